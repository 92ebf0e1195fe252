//! SARIF 2.1.0: one run, the rules as `tool.driver.rules` (with markdown
//! help: what was found, why it matters, what to do), each finding a result
//! with a physical location, suppressed findings as results carrying their
//! `suppressions` (the allow-list reason or the baseline), and one
//! invocation with the exit status. Serialised from the typed report
//! directly, result by result, so a large report costs its own size, not a
//! copy as a JSON tree. Validated against the official schema in the tests.

use std::collections::BTreeMap;

use serde::ser::{SerializeSeq, Serializer};
use serde::Serialize;
use serde_json::{json, Value};

use super::{Finding, Report, Summary, Suppressed};
use crate::rules::{Rule, RuleSet, Severity};

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low => "note",
    }
}

/// GitHub code scanning reads this 0–10 score to rank security results.
fn security_severity(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "9.5",
        Severity::High => "8.0",
        Severity::Medium => "5.5",
        Severity::Low => "3.0",
    }
}

/// A location as a URI reference: object URLs as they are, local paths with
/// `/` separators and reserved characters percent-encoded.
fn uri(location: &str) -> String {
    if let Some(object) = object_uri(location) {
        return object;
    }
    percent_encoded(&unescape(location.trim_start_matches("./")), b"-._~/")
}

/// Bytes outside `keep` and the unreserved ones as `%XX`.
fn percent_encoded(bytes: &[u8], keep: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for &b in bytes {
        if b.is_ascii_alphanumeric() || keep.contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A bucket object's location (`s3://bucket/key`, a `?` or backslash of
/// the key escaped, an older version's `?versionId=…` after it) as a URI:
/// the key's own bytes percent-encoded, the version a query.
fn object_uri(location: &str) -> Option<String> {
    let (scheme, rest) = location.split_once("://")?;
    let (bucket, escaped) = rest.split_once('/').unwrap_or((rest, ""));
    // The first `?` no backslash escapes starts the version (both are
    // ASCII: a step past a backslash never lands on one inside a character).
    let b = escaped.as_bytes();
    let mut at = 0;
    while at < b.len() && b[at] != b'?' {
        at += if b[at] == b'\\' { 2 } else { 1 };
    }
    let (key, query) = match escaped.get(at..) {
        Some(rest) if !rest.is_empty() => (&escaped[..at], Some(&rest[1..])),
        _ => (escaped, None),
    };
    let mut uri = format!(
        "{scheme}://{bucket}/{}",
        percent_encoded(&unescape(key), b"-._~/")
    );
    if let Some(query) = query {
        uri.push('?');
        uri.push_str(&percent_encoded(query.as_bytes(), b"-._~="));
    }
    Some(uri)
}

/// The name's own bytes from its display form (a backslash doubled, a
/// byte that is not UTF-8 as `\xNN`, a bucket key's `?` as `\?`): a URI
/// names the file, not its escaped spelling.
fn unescape(shown: &str) -> Vec<u8> {
    let b = shown.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = b
            .get(i + 2..i + 4)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (b[i], b.get(i + 1), hex) {
            (b'\\', Some(&c @ (b'\\' | b'?')), _) => {
                out.push(c);
                i += 2;
            }
            (b'\\', Some(b'x'), Some(byte)) => {
                out.push(byte);
                i += 4;
            }
            (c, ..) => {
                out.push(c);
                i += 1;
            }
        }
    }
    out
}

/// Where a finding's SARIF location is anchored: local objects are
/// relative to their target's root (a `uriBaseId` per root, so code
/// scanning can map them to the repository whatever the target's spelling);
/// object URLs stand on their own.
fn anchor(location: &str, path: &str) -> Option<String> {
    if location.contains("://") || path.is_empty() {
        return None;
    }
    let root = location.strip_suffix(path)?;
    Some(root.to_string())
}

/// The base URI of a target root, when it can be resolved on this machine.
fn base_uri(root: &str) -> Value {
    use std::os::unix::ffi::OsStrExt;
    let dir = if root.is_empty() { "." } else { root };
    // The location is escaped (`\xff` for a byte that is no UTF-8): the
    // folder is found, and its URI written, from its own bytes.
    let raw = unescape(dir);
    match std::fs::canonicalize(std::ffi::OsStr::from_bytes(&raw)) {
        Ok(abs) => {
            let path = percent_encoded(abs.as_os_str().as_bytes(), b"-._~/");
            let mut uri = format!("file://{path}");
            if !uri.ends_with('/') {
                uri.push('/');
            }
            json!({"uri": uri, "description": {"text": format!("scan target root {dir}")}})
        }
        Err(_) => json!({"description": {"text": format!("scan target root {dir}")}}),
    }
}

#[derive(Serialize)]
struct Text<'a> {
    text: &'a str,
}

#[derive(Serialize)]
struct Markdown {
    text: String,
    markdown: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct DriverRule<'a> {
    id: &'a str,
    name: String,
    short_description: Text<'a>,
    full_description: Text<'a>,
    help: Markdown,
    default_configuration: Value,
    properties: Value,
}

/// The rule's help: what was found, why it matters, what to do.
fn help(r: &Rule) -> Markdown {
    let why = if r.description.is_empty() {
        &r.title
    } else {
        &r.description
    };
    let fix = if r.remediation.is_empty() {
        "Encrypt the data before it is stored, or move it under a customer-managed key."
    } else {
        &r.remediation
    };
    Markdown {
        text: format!("{}. {why} What to do: {fix}", r.title),
        markdown: format!("**{}**\n\n{why}\n\n**What to do:** {fix}\n", r.title),
    }
}

fn driver_rule(r: &Rule) -> DriverRule<'_> {
    DriverRule {
        id: &r.id,
        name: r.id.replace(['.', '-'], "_"),
        short_description: Text { text: &r.title },
        full_description: Text {
            text: if r.description.is_empty() {
                &r.title
            } else {
                &r.description
            },
        },
        help: help(r),
        default_configuration: json!({"level": level(r.severity)}),
        properties: json!({
            "category": r.category,
            "severity": r.severity,
            "security-severity": security_severity(r.severity),
            "tags": ["security", r.category],
        }),
    }
}

/// Serialises the results lazily: findings, then suppressed findings.
struct Results<'a> {
    findings: &'a [Finding],
    suppressed: &'a [Suppressed],
    rule_index: &'a BTreeMap<&'a str, usize>,
    roots: &'a [String],
}

fn result(f: &Finding, rule_index: &BTreeMap<&str, usize>, roots: &[String]) -> Value {
    // Message text is shown to people (code-scanning pages, terminals): a
    // name's control characters are escaped as the table escapes them; the
    // artifact's URI keeps the name exact.
    let location = super::table::sanitize(&f.location);
    let place = f.member.as_ref().map_or(location.clone(), |m| {
        format!("{location} ! {}", super::table::sanitize_member(m))
    });
    let artifact = match anchor(&f.location, &f.path) {
        Some(root) => {
            let i = roots.iter().position(|r| *r == root).unwrap_or(0);
            json!({"uri": uri(&f.path), "uriBaseId": format!("TARGET{i}")})
        }
        None => json!({"uri": uri(&f.location)}),
    };
    let mut r = json!({
        "ruleId": f.rule,
        "level": level(f.severity),
        "message": {"text": format!("{} ({}, encryption: {}, storage: {}, exposure: {}) at {place}", f.rule, f.format, f.encryption, f.storage.as_str(), f.exposure)},
        "locations": [{"physicalLocation": {"artifactLocation": artifact}}],
        "partialFingerprints": {"atrest/v2": f.fingerprint},
        "properties": {
            "format": f.format, "encryption": f.encryption, "storage": f.storage,
            "exposure": f.exposure, "member": f.member,
            "size": f.size, "evidence": f.evidence, "severity": f.severity
        }
    });
    if let Some(i) = rule_index.get(f.rule.as_str()) {
        r["ruleIndex"] = json!(i);
    }
    r
}

impl Serialize for Results<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.findings.len() + self.suppressed.len()))?;
        for f in self.findings {
            seq.serialize_element(&result(f, self.rule_index, self.roots))?;
        }
        for x in self.suppressed {
            let mut r = result(&x.finding, self.rule_index, self.roots);
            let kind = if x.by == "baseline" {
                "external"
            } else {
                "inSource"
            };
            r["suppressions"] = json!([{
                "kind": kind,
                "status": "accepted",
                "justification": format!("{}: {}", x.by, x.reason),
            }]);
            seq.serialize_element(&r)?;
        }
        seq.end()
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Invocation<'a> {
    execution_successful: bool,
    exit_code: u8,
    #[serde(skip_serializing_if = "Option::is_none")]
    exit_code_description: Option<&'a str>,
    start_time_utc: &'a str,
    end_time_utc: &'a str,
    tool_execution_notifications: Vec<Value>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Run<'a> {
    tool: Value,
    invocations: [Invocation<'a>; 1],
    original_uri_base_ids: BTreeMap<String, Value>,
    results: Results<'a>,
    properties: RunProperties<'a>,
}

#[derive(Serialize)]
struct RunProperties<'a> {
    summary: &'a Summary,
    complete: bool,
    interrupted: bool,
}

#[derive(Serialize)]
struct Log<'a> {
    #[serde(rename = "$schema")]
    schema: &'static str,
    version: &'static str,
    runs: [Run<'a>; 1],
}

/// Writes the SARIF log; `exit` is the status the run ends with and why.
pub fn write(
    report: &Report,
    rules: &RuleSet,
    exit: Option<(u8, &str)>,
    out: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    let rule_index: BTreeMap<&str, usize> = rules
        .rules
        .iter()
        .enumerate()
        .map(|(i, r)| (r.id.as_str(), i))
        .collect();
    let mut roots: Vec<String> = Vec::new();
    let all = report
        .findings
        .iter()
        .chain(report.suppressed.iter().map(|s| &s.finding));
    for f in all {
        if let Some(root) = anchor(&f.location, &f.path) {
            if !roots.contains(&root) {
                roots.push(root);
            }
        }
    }
    let notifications: Vec<Value> = report
        .errors
        .iter()
        .map(|e| json!({"level": "error", "message": {"text": super::table::sanitize(&format!("{}: {}", e.location, e.message))}}))
        .chain(report.limits.iter().map(|l| {
            json!({"level": "warning", "message": {"text": super::table::sanitize(&format!("{} {}: {}", l.location, l.limit, l.message))}})
        }))
        .collect();
    let (exit_code, why) = exit.map_or((0, None), |(c, w)| (c, Some(w)));
    let log = Log {
        schema: "https://json.schemastore.org/sarif-2.1.0.json",
        version: "2.1.0",
        runs: [Run {
            tool: json!({"driver": {
                "name": "atrest",
                "version": report.tool.version,
                "informationUri": "https://github.com/atrest/atrest",
                "rules": rules.rules.iter().map(driver_rule).collect::<Vec<_>>(),
            }}),
            invocations: [Invocation {
                execution_successful: report.complete,
                exit_code,
                exit_code_description: why,
                start_time_utc: &report.started_at,
                end_time_utc: &report.finished_at,
                tool_execution_notifications: notifications,
            }],
            original_uri_base_ids: roots
                .iter()
                .enumerate()
                .map(|(i, root)| (format!("TARGET{i}"), base_uri(root)))
                .collect(),
            results: Results {
                findings: &report.findings,
                suppressed: &report.suppressed,
                rule_index: &rule_index,
                roots: &roots,
            },
            properties: RunProperties {
                summary: &report.summary,
                complete: report.complete,
                interrupted: report.interrupted,
            },
        }],
    };
    serde_json::to_writer_pretty(&mut *out, &log)?;
    writeln!(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A target folder whose name is no UTF-8 gets the URI of its own
    /// bytes, whether named by its escaped location or as `.` inside it.
    #[test]
    fn base_uris_of_folders_whose_names_are_not_utf8() {
        use std::os::unix::ffi::OsStrExt;
        let dir = tempfile::tempdir().unwrap();
        let raw = dir.path().join(std::ffi::OsStr::from_bytes(b"rec\xff"));
        std::fs::create_dir(&raw).unwrap();
        let shown = crate::source::fs::escape_path(&raw);
        assert!(shown.ends_with("rec\\xff"), "{shown}");
        let uri = base_uri(&shown)["uri"].as_str().unwrap().to_string();
        assert!(uri.starts_with("file:///"), "{uri}");
        assert!(uri.ends_with("/rec%FF/"), "{uri}");
    }

    #[test]
    fn local_paths_become_relative_uri_references() {
        assert_eq!(uri("./calls/a b#1.wav"), "calls/a%20b%231.wav");
        assert_eq!(uri("s3://bucket/k.wav"), "s3://bucket/k.wav");
        // A key's own bytes, percent-encoded; an older version's id a query.
        assert_eq!(
            uri("s3://b/calls/a b#1\\?x.wav?versionId=3/H+k"),
            "s3://b/calls/a%20b%231%3Fx.wav?versionId=3%2FH%2Bk"
        );
        assert_eq!(uri("gs://b/back\\\\slash"), "gs://b/back%5Cslash");
        // Display escapes stand for the name's own bytes.
        assert_eq!(uri("back\\\\slash.wav"), "back%5Cslash.wav");
        assert_eq!(uri("inv\\xff.wav"), "inv%FF.wav");
        assert_eq!(uri("odd\\x.wav"), "odd%5Cx.wav");
    }

    #[test]
    fn local_findings_are_relative_to_their_target_root() {
        assert_eq!(
            anchor("/home/ci/repo/a/b.wav", "a/b.wav").as_deref(),
            Some("/home/ci/repo/")
        );
        assert_eq!(anchor("./a/b.wav", "a/b.wav").as_deref(), Some("./"));
        assert_eq!(anchor("x.wav", "x.wav").as_deref(), Some(""));
        assert_eq!(anchor("s3://b/a.wav", "a.wav"), None);
    }

    #[test]
    fn rule_help_says_what_to_do() {
        let rules = RuleSet::embedded();
        let audio = rules
            .rules
            .iter()
            .find(|r| r.id == "audio.unencrypted")
            .unwrap();
        let h = help(audio);
        assert!(h.markdown.contains("**What to do:**") && h.markdown.contains("age"));
    }
}
