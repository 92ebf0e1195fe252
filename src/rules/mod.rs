//! Stage 3's input: the rules file. TOML parsed with serde, unknown keys
//! rejected, every error carrying `file:line:col` and a stable code, compiled
//! once into a [`RuleSet`] that classification only reads.

use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};

use globset::{Glob, GlobSet, GlobSetBuilder};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use toml::Spanned;

use crate::sniff::{formats, AtRest, Class, Encryption, Signature, Sniff};
use crate::source::bucket::Exposure;

/// The rules compiled into the binary: the same text as `rules/default.toml`.
pub const DEFAULT_RULES: &str = include_str!("../../rules/default.toml");
pub const DEFAULT_SOURCE: &str = "embedded:default";

/// How bad a finding is; ordered so that `Critical > Low`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A rules-file problem, located in the file.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{file}:{line}:{col}: error[{code}]: {message}")]
pub struct RuleError {
    pub file: String,
    pub line: usize,
    pub col: usize,
    /// Stable code, documented in docs/rules.md.
    pub code: &'static str,
    pub message: String,
}

/// Every problem found in one rules file (a check reports them all at once).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))]
pub struct RuleErrors(pub Vec<RuleError>);

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RulesFile {
    /// `"default"`: start from the embedded rules; this file's rules add to
    /// them or replace those with the same id.
    extends: Option<Spanned<String>>,
    limits: Option<Spanned<Limits>>,
    #[serde(default, rename = "rule")]
    rules: Vec<RuleSpec>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleSpec {
    id: Spanned<String>,
    title: String,
    severity: Severity,
    category: String,
    #[serde(default)]
    description: String,
    /// What to do about a finding (shown in the table and as SARIF help).
    #[serde(default)]
    remediation: String,
    #[serde(default)]
    classes: Vec<Class>,
    #[serde(default)]
    formats: Vec<Spanned<String>>,
    #[serde(default)]
    exclude_formats: Vec<Spanned<String>>,
    #[serde(default)]
    encryption: Vec<Encryption>,
    /// Storage-level encryption reported by the object store.
    #[serde(default)]
    storage: Vec<AtRest>,
    /// Who can read the bucket anonymously.
    #[serde(default)]
    exposure: Vec<Exposure>,
    #[serde(default)]
    paths: Vec<Spanned<String>>,
    min_entropy: Option<Spanned<f64>>,
    max_entropy: Option<Spanned<f64>>,
    #[serde(default)]
    magic: Vec<MagicSpec>,
    #[serde(default)]
    examples: Vec<Spanned<String>>,
    #[serde(default)]
    counter_examples: Vec<Spanned<String>>,
    #[serde(default)]
    allow: Vec<AllowSpec>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MagicSpec {
    #[serde(default)]
    offset: u64,
    hex: Spanned<String>,
    format: Option<String>,
    class: Option<Class>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AllowSpec {
    paths: Vec<Spanned<String>>,
    reason: String,
}

/// Bounds on looking inside compressed files and archives; every bound
/// reached is reported, never treated as a clean result.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct Limits {
    /// Members inspected per archive.
    pub max_members: u64,
    /// Decompressed bytes inspected per member.
    pub max_member_bytes: u64,
    /// Decompressed bytes inspected per outer object, all members together.
    pub max_object_bytes: u64,
    /// Largest accepted ratio of decompressed to compressed bytes (bomb guard).
    pub max_ratio: u64,
    /// Wall-clock seconds one object's inspection may take; past it the
    /// object is reported with what was learned and a `max-time` limit.
    pub max_seconds: f64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_members: 1000,
            max_member_bytes: 1 << 20,
            max_object_bytes: 16 << 20,
            max_ratio: 200,
            max_seconds: 10.0,
        }
    }
}

/// Where `key = …` is written in the table whose span is `table`: on the
/// lines from its start to the next table header (the span of a `[table]`
/// is its header alone). A bound that took its default has no line of its
/// own, nor has a key of an inline table: the table is named then.
fn key_in(text: &str, table: Range<usize>, key: &str) -> Range<usize> {
    let mut at = table.start;
    let body = text.get(table.start..).unwrap_or_default();
    for (i, line) in body.split_inclusive('\n').enumerate() {
        let written = line.trim_start();
        if i > 0 && written.starts_with('[') {
            break;
        }
        let indent = line.len() - written.len();
        let named = written
            .strip_prefix(key)
            .or_else(|| written.strip_prefix(&format!("\"{key}\"")))
            .is_some_and(|rest| rest.trim_start().starts_with('='));
        if named {
            return at + indent..at + line.trim_end().len();
        }
        at += line.len();
    }
    table
}

impl Limits {
    /// The first bound outside the range atrest can honour: its key, and
    /// the message with that range.
    fn out_of_range(&self) -> Option<(&'static str, String)> {
        let int = |name: &'static str, v: u64, lo: u64, hi: u64| {
            (!(lo..=hi).contains(&v)).then(|| {
                (
                    name,
                    format!("limits.{name} = {v}: must be from {lo} to {hi}"),
                )
            })
        };
        int("max_members", self.max_members, 1, 1_000_000)
            .or_else(|| int("max_member_bytes", self.max_member_bytes, 4096, 1 << 30))
            .or_else(|| {
                int(
                    "max_object_bytes",
                    self.max_object_bytes,
                    self.max_member_bytes.min(1 << 30),
                    4 << 30,
                )
            })
            .or_else(|| int("max_ratio", self.max_ratio, 2, 1_000_000))
            .or_else(|| {
                (!(0.1..=3600.0).contains(&self.max_seconds)).then(|| {
                    // `{:?}` keeps 1e-300 short where `{}` writes every digit.
                    let why = format!(
                        "limits.max_seconds = {:?}: must be from 0.1 to 3600",
                        self.max_seconds
                    );
                    ("max_seconds", why)
                })
            })
    }
}

/// An allow-list entry: matching paths are suppressed, with a reason on record.
#[derive(Clone, Debug)]
pub struct Allow {
    globs: GlobSet,
    pub reason: String,
}

/// One compiled rule.
#[derive(Clone, Debug)]
pub struct Rule {
    pub id: String,
    pub title: String,
    pub description: String,
    pub remediation: String,
    pub severity: Severity,
    pub category: String,
    pub classes: Vec<Class>,
    pub formats: Vec<String>,
    pub exclude_formats: Vec<String>,
    pub encryption: Vec<Encryption>,
    pub storage: Vec<AtRest>,
    pub exposure: Vec<Exposure>,
    paths: Option<GlobSet>,
    pub min_entropy: Option<f64>,
    pub max_entropy: Option<f64>,
    pub allow: Vec<Allow>,
    pub examples: Vec<String>,
    pub counter_examples: Vec<String>,
    /// Where this rule's example paths are resolved from: its file's folder
    /// (none for embedded rules inherited through `extends`).
    pub base_dir: Option<PathBuf>,
}

impl Rule {
    /// Does this rule describe the object? `path` is relative to its
    /// target; `exposure` is who can read it without credentials.
    pub fn matches(&self, sniff: &Sniff, path: &str, exposure: Exposure) -> bool {
        (self.classes.is_empty() || self.classes.contains(&sniff.class))
            && (self.formats.is_empty() || self.formats.iter().any(|f| f == &sniff.format))
            && !self.exclude_formats.iter().any(|f| f == &sniff.format)
            && (self.encryption.is_empty() || self.encryption.contains(&sniff.encryption))
            && (self.storage.is_empty() || self.storage.contains(&sniff.at_rest))
            && (self.exposure.is_empty() || self.exposure.contains(&exposure))
            && self.paths.as_ref().is_none_or(|g| g.is_match(path))
            && self
                .min_entropy
                .is_none_or(|m| sniff.entropy.is_some_and(|e| e >= m))
            && self
                .max_entropy
                .is_none_or(|m| sniff.entropy.is_some_and(|e| e <= m))
    }

    /// The allow-list reason covering `path`, if any.
    pub fn allowed(&self, path: &str) -> Option<&str> {
        self.allow
            .iter()
            .find(|a| a.globs.is_match(path))
            .map(|a| a.reason.as_str())
    }
}

/// A validated rules file, ready for classification.
#[derive(Clone, Debug)]
pub struct RuleSet {
    /// `embedded:default` or the path given.
    pub source: String,
    pub sha256: String,
    pub rules: Vec<Rule>,
    pub signatures: Vec<Signature>,
    pub limits: Limits,
}

impl RuleSet {
    pub fn embedded() -> RuleSet {
        RuleSet::parse(DEFAULT_RULES, DEFAULT_SOURCE, None)
            .expect("the embedded rules are checked by tests")
    }

    /// Reads and compiles a rules file.
    pub fn load(path: &Path) -> Result<RuleSet, RuleErrors> {
        use std::io::Read;
        let file = crate::source::fs::escape_path(path);
        let fail = |line: usize, col: usize, message: String| {
            RuleErrors(vec![RuleError {
                file: file.clone(),
                line,
                col,
                code: "R000",
                message,
            }])
        };
        // `/dev/zero` or a FIFO is no rules file, and a file larger than any
        // rules file is read no further than the bound. Opened without
        // blocking: opening a FIFO with no writer would wait forever
        // before the check below could refuse it.
        let opened = {
            use std::os::unix::fs::OpenOptionsExt;
            std::fs::OpenOptions::new()
                .read(true)
                .custom_flags(libc::O_NONBLOCK)
                .open(path)
                .and_then(|f| Ok((f.metadata()?, f)))
        };
        let (meta, f) = opened.map_err(|e| fail(0, 0, format!("cannot read: {e}")))?;
        if !meta.is_file() {
            return Err(fail(0, 0, "cannot read: not a regular file".into()));
        }
        let mut bytes = Vec::new();
        f.take(MAX_RULES_BYTES + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| fail(0, 0, format!("cannot read: {e}")))?;
        if bytes.len() as u64 > MAX_RULES_BYTES {
            return Err(fail(
                0,
                0,
                format!(
                    "larger than {} MiB: not a rules file",
                    MAX_RULES_BYTES >> 20
                ),
            ));
        }
        let text = String::from_utf8(bytes).map_err(|e| {
            let good = &e.as_bytes()[..e.utf8_error().valid_up_to()];
            let line = good.iter().filter(|&&b| b == b'\n').count() + 1;
            let col = good.iter().rev().take_while(|&&b| b != b'\n').count() + 1;
            fail(line, col, "not UTF-8 text".into())
        })?;
        let base = path
            .parent()
            .map(|p| {
                if p.as_os_str().is_empty() {
                    Path::new(".")
                } else {
                    p
                }
            })
            .map(Path::to_path_buf);
        RuleSet::parse(&text, &file, base)
    }

    pub fn parse(text: &str, file: &str, base_dir: Option<PathBuf>) -> Result<RuleSet, RuleErrors> {
        let at = |span: Range<usize>, code: &'static str, message: String| {
            let (line, col) = line_col(text, span.start);
            RuleError {
                file: file.to_string(),
                line,
                col,
                code,
                message,
            }
        };
        let parsed: RulesFile = toml::from_str(text).map_err(|e| {
            let message = e.message().trim().to_string();
            RuleErrors(vec![at(e.span().unwrap_or(0..0), "R001", message)])
        })?;
        let mut errors = Vec::new();
        let mut base = match &parsed.extends {
            None => None,
            Some(name) if name.get_ref() == "default" => Some(RuleSet::embedded()),
            Some(name) => {
                errors.push(at(
                    name.span(),
                    "R010",
                    format!(
                        "extends {:?}: only \"default\" (the embedded rules) can be extended",
                        name.get_ref()
                    ),
                ));
                None
            }
        };
        let mut rules = Vec::new();
        let mut signatures = Vec::new();
        let mut seen = std::collections::HashSet::new();
        // Formats this file defines through `magic` are known too.
        let defined: Vec<String> = parsed
            .rules
            .iter()
            .flat_map(|r| {
                r.magic
                    .iter()
                    .map(|m| m.format.clone().unwrap_or_else(|| r.id.get_ref().clone()))
            })
            .collect();
        let total = std::cell::Cell::new(0usize);
        let weight_total = std::cell::Cell::new((0usize, 0usize));
        let globs = |items: &[Spanned<String>], errors: &mut Vec<RuleError>| -> Option<GlobSet> {
            let before = total.get();
            total.set(before + items.len());
            if total.get() > MAX_FILE_GLOBS {
                // Said once, at the list that crosses the bound.
                if let (Some(first), true) = (items.first(), before <= MAX_FILE_GLOBS) {
                    errors.push(at(
                        first.span(),
                        "R003",
                        format!("more than {MAX_FILE_GLOBS} globs in the file by this list"),
                    ));
                }
                return None;
            }
            // Lists each within their bounds still add up: the file's
            // total is bounded too, said once, at the list that crosses it.
            let (bytes, wild) = weight(items.iter().map(|g| g.get_ref().as_str()));
            let (bytes_before, wild_before) = weight_total.get();
            let (bytes_total, wild_total) = (bytes_before + bytes, wild_before + wild);
            weight_total.set((bytes_total, wild_total));
            if bytes_total > MAX_FILE_GLOB_BYTES || wild_total > MAX_FILE_WILDCARDS {
                let first_over =
                    bytes_before <= MAX_FILE_GLOB_BYTES && wild_before <= MAX_FILE_WILDCARDS;
                if let (Some(first), true) = (items.first(), first_over) {
                    errors.push(at(
                        first.span(),
                        "R003",
                        format!(
                            "globs of more than {MAX_FILE_GLOB_BYTES} bytes or \
                             {MAX_FILE_WILDCARDS} wildcards in the file by this list"
                        ),
                    ));
                }
                return None;
            }
            if let (Some(first), true) = (items.first(), items.len() > MAX_GLOBS) {
                errors.push(at(
                    first.span(),
                    "R003",
                    format!(
                        "{} globs in one list, more than {MAX_GLOBS}: write fewer, wider globs",
                        items.len()
                    ),
                ));
                return None;
            }
            if let (Some(first), Some(why)) = (items.first(), globs_too_large((bytes, wild))) {
                errors.push(at(first.span(), "R003", why));
                return None;
            }
            let mut b = GlobSetBuilder::new();
            for g in items {
                // `""` (or `/`) compiles to a glob matching every path: an
                // allow-list entry would silence its rule everywhere.
                if g.get_ref().trim_matches('/').is_empty() {
                    errors.push(at(
                        g.span(),
                        "R003",
                        format!(
                            "empty glob {:?}: it would match every path (write \"**\" if that is meant)",
                            g.get_ref()
                        ),
                    ));
                    continue;
                }
                if let Some(why) = glob_too_large(g.get_ref()) {
                    errors.push(at(g.span(), "R003", why));
                    continue;
                }
                match path_globs(g.get_ref()) {
                    Ok(globs) => {
                        for glob in globs {
                            b.add(glob);
                        }
                    }
                    Err(e) => errors.push(at(
                        g.span(),
                        "R003",
                        format!("bad glob {:?}: {}", g.get_ref(), e.kind()),
                    )),
                }
            }
            match b.build() {
                Ok(set) => Some(set),
                // Dropped, the list would match every path (`paths`) or
                // silence nothing (an allow-list): the file is refused.
                Err(e) => {
                    if let Some(first) = items.first() {
                        errors.push(at(
                            first.span(),
                            "R003",
                            format!("these globs cannot be compiled together: {e}"),
                        ));
                    }
                    None
                }
            }
        };
        for spec in parsed.rules {
            let id = spec.id.get_ref().clone();
            if id.is_empty()
                || !id
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
            {
                errors.push(at(
                    spec.id.span(),
                    "R002",
                    format!(
                        "rule id {id:?} must be non-empty ASCII letters, digits, '.', '_' or '-'"
                    ),
                ));
            }
            if !seen.insert(id.clone()) {
                errors.push(at(
                    spec.id.span(),
                    "R002",
                    format!("duplicate rule id {id:?}"),
                ));
            }
            for bound in [&spec.min_entropy, &spec.max_entropy].into_iter().flatten() {
                if !(0.0..=8.0).contains(bound.get_ref()) {
                    errors.push(at(
                        bound.span(),
                        "R005",
                        "entropy bounds are bits per byte, from 0 to 8".into(),
                    ));
                }
            }
            if let (Some(min), Some(max)) = (&spec.min_entropy, &spec.max_entropy) {
                if min.get_ref() > max.get_ref() {
                    errors.push(at(
                        min.span(),
                        "R005",
                        format!(
                            "min_entropy {} is above max_entropy {}: the rule could never match",
                            min.get_ref(),
                            max.get_ref()
                        ),
                    ));
                }
            }
            for f in spec.formats.iter().chain(&spec.exclude_formats) {
                let name = f.get_ref();
                if !formats::is_known(name) && !defined.contains(name) {
                    errors.push(at(
                        f.span(),
                        "R007",
                        format!(
                            "unknown format {name:?} (`atrest rules formats` lists them; a `magic` entry can define new ones)"
                        ),
                    ));
                }
            }
            let positive = !spec.classes.is_empty()
                || !spec.formats.is_empty()
                || !spec.magic.is_empty()
                || !spec.paths.is_empty();
            if !positive {
                errors.push(at(
                    spec.id.span(),
                    "R008",
                    format!(
                        "rule {id:?} has no condition on classes, formats, magic or paths: it would match every object"
                    ),
                ));
            }
            // Shown in the table, `rules list` and SARIF to people: a
            // control character or a bidirectional override there would
            // reach their terminal, or forge a line of the table.
            let texts = [("title", &spec.title), ("category", &spec.category)]
                .into_iter()
                .chain([("remediation", &spec.remediation)])
                .chain(spec.allow.iter().map(|a| ("allow-list reason", &a.reason)))
                .chain(
                    spec.magic
                        .iter()
                        .filter_map(|m| Some(("magic format", m.format.as_ref()?))),
                );
            // A description may break lines (SARIF shows it as a paragraph),
            // nothing else.
            let description = spec
                .description
                .chars()
                .find(|&c| not_printable(c) && c != '\n' && c != '\t');
            if let Some(c) = description {
                errors.push(at(
                    spec.id.span(),
                    "R011",
                    format!("rule {id:?}: its description holds {c:?}, a control character"),
                ));
            }
            for (what, text) in texts {
                if let Some(c) = text.chars().find(|&c| not_printable(c)) {
                    errors.push(at(
                        spec.id.span(),
                        "R011",
                        format!(
                            "rule {id:?}: its {what} holds {:?}, a character that is not \
                             printed text (one line, no terminal controls)",
                            c
                        ),
                    ));
                }
            }
            let mut formats: Vec<String> =
                spec.formats.iter().map(|f| f.get_ref().clone()).collect();
            for m in &spec.magic {
                match parse_hex(m.hex.get_ref()) {
                    Some(bytes) if !bytes.is_empty() && bytes.len() <= 64 && m.offset < 65536 => {
                        let format = m.format.clone().unwrap_or_else(|| id.clone());
                        let class = m.class.unwrap_or_else(|| class_of_category(&spec.category));
                        if !formats.contains(&format) {
                            formats.push(format.clone());
                        }
                        signatures.push(Signature { format, class, offset: m.offset, bytes });
                    }
                    _ => errors.push(at(
                        m.hex.span(),
                        "R004",
                        "magic needs 1 to 64 bytes of hex (\"46 4d 52 00\") at an offset below 65536".into(),
                    )),
                }
            }
            let paths = if spec.paths.is_empty() {
                None
            } else {
                globs(&spec.paths, &mut errors)
            };
            let allow = spec
                .allow
                .iter()
                .filter_map(|a| {
                    Some(Allow {
                        globs: globs(&a.paths, &mut errors)?,
                        reason: a.reason.clone(),
                    })
                })
                .collect();
            rules.push(Rule {
                id,
                title: spec.title,
                description: spec.description,
                remediation: spec.remediation,
                severity: spec.severity,
                category: spec.category,
                classes: spec.classes,
                formats,
                exclude_formats: spec
                    .exclude_formats
                    .iter()
                    .map(|f| f.get_ref().clone())
                    .collect(),
                encryption: spec.encryption,
                storage: spec.storage,
                exposure: spec.exposure,
                paths,
                min_entropy: spec.min_entropy.map(|s| *s.get_ref()),
                max_entropy: spec.max_entropy.map(|s| *s.get_ref()),
                allow,
                examples: spec.examples.iter().map(|s| s.get_ref().clone()).collect(),
                counter_examples: spec
                    .counter_examples
                    .iter()
                    .map(|s| s.get_ref().clone())
                    .collect(),
                base_dir: base_dir.clone(),
            });
        }
        let limits = match parsed.limits {
            Some(l) => {
                if let Some((key, why)) = l.get_ref().out_of_range() {
                    errors.push(at(key_in(text, l.span(), key), "R006", why));
                }
                l.into_inner()
            }
            None => base.as_ref().map(|b| b.limits.clone()).unwrap_or_default(),
        };
        if rules.is_empty() && base.is_none() && errors.is_empty() {
            errors.push(at(
                0..0,
                "R009",
                "no rules: add [[rule]] tables, or `extends = \"default\"` to build on the embedded rules".into(),
            ));
        }
        if !errors.is_empty() {
            return Err(RuleErrors(errors));
        }
        let mut sha = Sha256::new();
        let source = match base.take() {
            Some(mut inherited) => {
                sha.update(DEFAULT_RULES.as_bytes());
                sha.update([0]);
                // Same id: this file's rule replaces the embedded one in place.
                for rule in rules {
                    match inherited.rules.iter_mut().find(|r| r.id == rule.id) {
                        Some(old) => *old = rule,
                        None => inherited.rules.push(rule),
                    }
                }
                rules = inherited.rules;
                inherited.signatures.extend(signatures);
                signatures = inherited.signatures;
                format!("{file} (extends {DEFAULT_SOURCE})")
            }
            None => file.to_string(),
        };
        sha.update(text.as_bytes());
        Ok(RuleSet {
            source,
            sha256: format!("{:x}", sha.finalize()),
            rules,
            signatures,
            limits,
        })
    }
}

/// Compiles a path pattern with gitignore's reach: a pattern without a
/// leading `/` matches at any depth below the target (`recordings/**`
/// matches `a/recordings/x.wav` too); a leading `/` anchors it at the
/// target's root; a pattern that names a folder covers everything in it
/// (`calls` and `calls/` match `calls/a.wav`; a trailing `/` matches
/// folders only).
/// The largest rules file read: far above any real one, far below what
/// would strain memory.
const MAX_RULES_BYTES: u64 = 16 << 20;

/// Globs one list (a rule's `paths`, an allow-list entry, `--exclude`)
/// may hold: a few thousand compile to a matcher of gigabytes.
pub const MAX_GLOBS: usize = 1000;
/// Globs a whole rules file may hold, for the same reason.
pub const MAX_FILE_GLOBS: usize = 4000;

/// What the table escapes, but zero-width joiners (U+200C, U+200D): a
/// rule's text is written by its author, and they are part of Persian,
/// Indic and emoji text. (A file name's joiner stays escaped: invisible,
/// it could make two names look alike.)
fn not_printable(c: char) -> bool {
    crate::report::table::unprintable(c) && !matches!(c, '\u{200c}' | '\u{200d}')
}

/// Bytes of one glob: far longer than any real path pattern.
pub const MAX_GLOB_BYTES: usize = 1024;
/// Wildcards (`*`, `?`, `[`, `{`) in one glob. Each becomes a state of
/// the matcher, repeated for every spelling of the glob; a list of long
/// runs of them compiled to gigabytes before the regex engine gave up.
pub const MAX_GLOB_WILDCARDS: usize = 32;

/// Bytes and wildcards of one list together: a thousand real globs hold
/// a few each, and a list at these bounds compiles in about 200 MB.
pub const MAX_LIST_BYTES: usize = 64 << 10;
pub const MAX_LIST_WILDCARDS: usize = 4096;
/// The same for all lists of a file: four lists at their bounds.
pub const MAX_FILE_GLOB_BYTES: usize = 4 * MAX_LIST_BYTES;
pub const MAX_FILE_WILDCARDS: usize = 4 * MAX_LIST_WILDCARDS;

/// Wildcards of a glob, `**` (or any run of `*`) counted once.
fn wildcards(pattern: &str) -> usize {
    let b = pattern.as_bytes();
    (0..b.len())
        .filter(|&i| b"*?[{".contains(&b[i]) && !(b[i] == b'*' && i > 0 && b[i - 1] == b'*'))
        .count()
}

/// Bytes and wildcards of globs, all together.
pub fn weight<'a>(patterns: impl IntoIterator<Item = &'a str>) -> (usize, usize) {
    patterns
        .into_iter()
        .fold((0, 0), |(b, w), p| (b + p.len(), w + wildcards(p)))
}

/// Why a list of globs of this [`weight`] is too large to compile
/// together, checked before it is (each glob's own bounds apart).
pub fn globs_too_large((bytes, wild): (usize, usize)) -> Option<String> {
    if bytes > MAX_LIST_BYTES {
        Some(format!(
            "globs of {bytes} bytes in one list, more than {MAX_LIST_BYTES}: write fewer, \
             wider globs"
        ))
    } else if wild > MAX_LIST_WILDCARDS {
        Some(format!(
            "{wild} wildcards in one list, more than {MAX_LIST_WILDCARDS}: write fewer, \
             wider globs"
        ))
    } else {
        None
    }
}

/// Why a glob is too large to compile, checked before it is: what it would
/// cost grows with its length and its wildcards.
pub fn glob_too_large(pattern: &str) -> Option<String> {
    let wildcards = wildcards(pattern);
    if pattern.len() > MAX_GLOB_BYTES {
        Some(format!(
            "a glob of {} bytes, more than {MAX_GLOB_BYTES}",
            pattern.len()
        ))
    } else if wildcards > MAX_GLOB_WILDCARDS {
        Some(format!(
            "a glob with {wildcards} wildcards, more than {MAX_GLOB_WILDCARDS}"
        ))
    } else {
        None
    }
}

pub fn path_globs(pattern: &str) -> Result<Vec<Glob>, globset::Error> {
    let (pattern, folder_only) = match pattern.strip_suffix('/') {
        Some(p) if !p.is_empty() => (p, true),
        _ => (pattern, false),
    };
    let bases = match pattern.strip_prefix('/') {
        Some(anchored) => vec![anchored.to_string()],
        None if pattern.starts_with("**/") => vec![pattern.to_string()],
        None => vec![pattern.to_string(), format!("**/{pattern}")],
    };
    let mut globs = Vec::new();
    for base in bases {
        if !folder_only {
            globs.push(Glob::new(&base)?);
        }
        if !base.ends_with("**") {
            globs.push(Glob::new(&format!("{base}/**"))?);
        }
    }
    Ok(globs)
}

/// A category that names a class gives custom signatures that class.
fn class_of_category(category: &str) -> Class {
    Class::ALL
        .into_iter()
        .find(|c| c.as_str() == category)
        .unwrap_or(Class::Other)
}

fn parse_hex(s: &str) -> Option<Vec<u8>> {
    let digits: String = s
        .chars()
        .filter(|c| !c.is_whitespace() && *c != ':')
        .collect();
    // Byte slicing below needs ASCII; anything else is not hex anyway.
    if !digits.len().is_multiple_of(2) || !digits.is_ascii() {
        return None;
    }
    (0..digits.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&digits[i..i + 2], 16).ok())
        .collect()
}

/// 1-based line and column of a byte offset.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rules_file_is_bounded_regular_utf8_text() {
        let err = RuleSet::load(Path::new("/dev/zero"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("not a regular file"), "{err}");
        let dir = tempfile::tempdir().unwrap();
        // A FIFO with no writer: refused at once, not waited on.
        let fifo = dir.path().join("rules.fifo");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status();
        if made.is_ok_and(|s| s.success()) {
            let err = RuleSet::load(&fifo).unwrap_err().to_string();
            assert!(err.contains("not a regular file"), "{err}");
        }
        let bad = dir.path().join("bad.toml");
        std::fs::write(&bad, b"extends = \"default\"\n# caf\xe9\n").unwrap();
        let err = RuleSet::load(&bad).unwrap_err().to_string();
        assert!(
            err.contains("bad.toml:2:6: error[R000]: not UTF-8 text"),
            "{err}"
        );
        let big = dir.path().join("big.toml");
        let f = std::fs::File::create(&big).unwrap();
        f.set_len(MAX_RULES_BYTES + 1).unwrap();
        let err = RuleSet::load(&big).unwrap_err().to_string();
        assert!(err.contains("larger than 16 MiB"), "{err}");
    }

    #[test]
    fn a_limit_out_of_range_is_reported_at_its_key() {
        for (text, said) in [
            // The key's own line, indented or not.
            (
                "extends = \"default\"\n\n[limits]\nmax_members = 10\n  max_seconds = 0.01 # too short\n",
                "r.toml:5:3: error[R006]: limits.max_seconds = 0.01",
            ),
            (
                "extends = \"default\"\n[limits]\nmax_object_bytes = 4096\n",
                "r.toml:3:1: error[R006]: limits.max_object_bytes",
            ),
            // A default another key made invalid has no line: the table's.
            (
                "extends = \"default\"\n[limits]\nmax_member_bytes = 1073741824\n",
                "r.toml:2:1: error[R006]: limits.max_object_bytes",
            ),
            // An inline table's keys are not looked for: the table's place.
            (
                "extends = \"default\"\nlimits = { max_ratio = 1 }\n",
                "r.toml:2:10: error[R006]: limits.max_ratio = 1",
            ),
        ] {
            let err = RuleSet::parse(text, "r.toml", None)
                .unwrap_err()
                .to_string();
            assert!(err.starts_with(said), "{err}");
        }
    }

    /// Patterns reach as gitignore's do: at any depth unless anchored, and
    /// into a folder they name.
    #[test]
    fn path_patterns_reach_into_the_folders_they_name() {
        let matches = |pattern: &str, path: &str| {
            let mut b = globset::GlobSetBuilder::new();
            for g in path_globs(pattern).unwrap() {
                b.add(g);
            }
            b.build().unwrap().is_match(path)
        };
        for pattern in ["calls", "calls/", "/calls", "**/calls", "calls/**"] {
            assert!(matches(pattern, "calls/a.wav"), "{pattern}");
            assert!(matches(pattern, "calls/2024/a.wav"), "{pattern}");
            assert!(!matches(pattern, "callsign.wav"), "{pattern}");
        }
        for pattern in ["calls", "calls/", "**/calls"] {
            assert!(matches(pattern, "x/calls/a.wav"), "{pattern}");
        }
        assert!(!matches("/calls", "x/calls/a.wav"));
        assert!(matches("calls", "x/calls"));
        assert!(!matches("calls/", "x/calls"));
        assert!(matches("*.wav", "a/b.wav"));
        assert!(!matches("*.wav", "a/b.wav.txt"));
    }

    const MINIMAL: &str = r#"
[[rule]]
id = "audio.test"
title = "t"
severity = "high"
category = "audio"
classes = ["audio"]
encryption = ["none"]
"#;

    #[test]
    fn embedded_rules_parse() {
        let r = RuleSet::embedded();
        assert!(r.rules.len() >= 5);
        assert_eq!(r.source, "embedded:default");
    }

    #[test]
    fn unknown_keys_are_rejected_with_line_and_column() {
        let text = format!("{MINIMAL}colour = \"red\"\n");
        let e = RuleSet::parse(&text, "r.toml", None).unwrap_err();
        let first = &e.0[0];
        assert_eq!((first.code, first.line), ("R001", 9));
        assert!(first.message.contains("colour"), "{first}");
        assert!(
            first.to_string().starts_with("r.toml:9:1: error[R001]"),
            "{first}"
        );
    }

    /// Text shown to people is one line of printed characters: an escape
    /// sequence would reach their terminal, a line break forge the table.
    #[test]
    fn text_fields_with_controls_are_refused() {
        let rule = |title: &str, category: &str, extra: &str| {
            format!(
                "[[rule]]\nid = \"r\"\ntitle = \"{title}\"\nseverity = \"high\"\n\
                 category = \"{category}\"\nclasses = [\"audio\"]\n{extra}"
            )
        };
        for (text, says) in [
            (
                rule("T\\u001b]0;PWN\\u0007", "audio", ""),
                "title holds '\\u{1b}'",
            ),
            (
                rule("t", "audio", "remediation = \"fix\\nfindings: 0\"\n"),
                "remediation holds '\\n'",
            ),
            (rule("t", "audio\\u202e", ""), "category holds '\\u{202e}'"),
            (
                rule(
                    "t",
                    "audio",
                    "[[rule.allow]]\npaths = [\"qa/**\"]\nreason = \"a\\rb\"\n",
                ),
                "allow-list reason holds '\\r'",
            ),
        ] {
            let e = RuleSet::parse(&text, "r.toml", None).unwrap_err();
            assert_eq!(e.0[0].code, "R011", "{e}");
            assert!(e.0[0].message.contains(says), "{e}");
        }
        // A description is not shown in a terminal or a table: its lines
        // may break; joiners are part of words.
        let described = rule("t", "audio", "description = \"a\\nb\"\n");
        assert!(RuleSet::parse(&described, "r.toml", None).is_ok());
        let persian = rule("داده\u{200c}های صوتی", "audio", "");
        assert!(RuleSet::parse(&persian, "r.toml", None).is_ok());
        let reversed = rule("t", "audio", "description = \"a\\u202eb\"\n");
        let e = RuleSet::parse(&reversed, "r.toml", None).unwrap_err();
        assert!(e.0[0].message.contains("description holds"), "{e}");
    }

    /// Lists each within their bounds add up: the file's total is
    /// bounded, and said once, at the list that crosses it.
    #[test]
    fn the_globs_of_a_file_are_bounded_in_all() {
        let list: Vec<String> = (0..60)
            .map(|i| format!("\"{}{i}\"", "a".repeat(1000)))
            .collect();
        let text: String = (0..5)
            .map(|n| {
                format!(
                    "[[rule]]\nid = \"r{n}\"\ntitle = \"t\"\nseverity = \"low\"\n\
                     category = \"audio\"\nclasses = [\"audio\"]\npaths = [{}]\n",
                    list.join(",")
                )
            })
            .collect();
        let e = RuleSet::parse(&text, "r.toml", None).unwrap_err();
        assert_eq!(e.0.len(), 1, "{e}");
        assert_eq!(e.0[0].code, "R003");
        assert!(e.0[0].message.contains("in the file by this list"), "{e}");
        assert_eq!(e.0[0].line, 35, "the fifth list: {e}");
    }

    #[test]
    fn a_run_of_stars_is_one_wildcard() {
        assert_eq!(wildcards("**/calls/2024-*/**/*.wav"), 4);
        assert_eq!(wildcards("a?[bc]{d,e}"), 3);
        assert_eq!(wildcards("plain/path.wav"), 0);
    }

    #[test]
    fn bad_globs_hex_and_duplicates_are_all_reported() {
        let text = format!("{MINIMAL}paths = [\"a/[\"]\nmagic = [{{ hex = \"zz\" }}]\n{MINIMAL}");
        let e = RuleSet::parse(&text, "r.toml", None).unwrap_err();
        let codes: Vec<_> = e.0.iter().map(|e| e.code).collect();
        assert_eq!(codes, vec!["R004", "R003", "R002"], "{e}");
    }

    /// An empty allow-list glob would silence its rule for every path; a
    /// rule whose entropy bounds cross could never match.
    #[test]
    fn rules_that_match_everything_or_nothing_are_refused() {
        for (extra, says) in [
            (
                "[[rule.allow]]\npaths = [\"\"]\nreason = \"x\"\n",
                "empty glob",
            ),
            ("paths = [\"/\"]\n", "empty glob"),
            (
                "min_entropy = 7.5\nmax_entropy = 7.0\n",
                "could never match",
            ),
        ] {
            let text = format!("{MINIMAL}{extra}");
            let e = RuleSet::parse(&text, "r.toml", None).unwrap_err();
            assert!(e.to_string().contains(says), "{extra}: {e}");
        }
    }

    #[test]
    fn custom_magic_adds_a_signature_and_a_format() {
        let text = format!("{MINIMAL}magic = [{{ offset = 4, hex = \"41 43 4d 45\", format = \"acme\", class = \"biometric\" }}]\n");
        let r = RuleSet::parse(&text, "r.toml", None).unwrap();
        assert_eq!(r.signatures[0].bytes, b"ACME");
        assert_eq!(r.signatures[0].class, Class::Biometric);
        assert!(r.rules[0].formats.contains(&"acme".to_string()));
    }

    #[test]
    fn severity_orders_critical_highest() {
        assert!(Severity::Critical > Severity::High && Severity::Medium > Severity::Low);
    }
}
