//! `atrest rules check|list`.

use std::path::Path;

use anyhow::{bail, Result};

use crate::config::load_rules;
use crate::exit::Exit;
use crate::output;
use crate::rules::RuleSet;
use crate::{pipeline, source};

/// `atrest rules check FILE`: syntax, then every example and counter-example.
pub(super) fn rules_check(file: &Path) -> Result<Exit> {
    let rules = match RuleSet::load(file) {
        Ok(r) => r,
        Err(errors) => {
            for e in &errors.0 {
                output::located(&e.to_string());
            }
            return Ok(Exit::Usage);
        }
    };
    let mut failures = Vec::new();
    let mut checked = 0;
    // Inherited embedded rules were verified when atrest was built.
    for (rule, base) in rules
        .rules
        .iter()
        .filter_map(|r| Some((r, r.base_dir.as_ref()?)))
    {
        for (example, expect) in rule
            .examples
            .iter()
            .map(|e| (e, true))
            .chain(rule.counter_examples.iter().map(|e| (e, false)))
        {
            checked += 1;
            let path = base.join(example);
            match rule_ids_for(&path, &rules) {
                Ok(ids) if ids.contains(&rule.id) == expect => {}
                Ok(ids) => failures.push(format!(
                    "{}: rule {}: {} {} {}, but it matched [{}]",
                    file.display(),
                    rule.id,
                    if expect { "example" } else { "counter-example" },
                    example,
                    if expect {
                        "is not flagged"
                    } else {
                        "is flagged"
                    },
                    ids.join(", ")
                )),
                Err(e) => failures.push(format!(
                    "{}: rule {}: {example}: {e:#}",
                    file.display(),
                    rule.id
                )),
            }
        }
    }
    for f in &failures {
        output::located(f);
    }
    if failures.is_empty() {
        output::print(&format!(
            "{}: {} rules, {} examples verified\n",
            file.display(),
            rules.rules.len(),
            checked
        ));
        Ok(Exit::Clean)
    } else {
        Ok(Exit::Findings)
    }
}

/// The rule ids one file (and its members) triggers.
fn rule_ids_for(path: &Path, rules: &RuleSet) -> Result<Vec<String>> {
    let file = match source::fs::LocalFile::open(&path.to_path_buf().into(), path)? {
        source::fs::Opened::File(f, meta) => (f, meta.len()),
        source::fs::Opened::NotRegular | source::fs::Opened::Link => {
            bail!("not a regular file")
        }
    };
    let (mut reader, size) = file;
    let mut head = Vec::new();
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    let inspection = pipeline::inspect(&mut reader, size, &name, &mut head, rules, 3)?;
    // The example's own path stands in for the relative path, so `paths`
    // globs apply; an allow-listed example counts as not flagged.
    let location = path.to_string_lossy().to_string();
    let whole = location.len();
    let mut candidate = source::Candidate::ending(
        0,
        location,
        whole,
        source::Origin::Local(path.to_path_buf().into()),
    );
    candidate.size = size;
    let verdict = pipeline::judge(&candidate, &inspection, rules, false);
    Ok(verdict.findings.into_iter().map(|f| f.rule).collect())
}

/// `a|b|c` for the rules listing.
fn joined<T: std::fmt::Display>(items: &[T]) -> String {
    items
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("|")
}

/// `atrest rules export`: the embedded rules as a file of one's own. The
/// examples point at the source tree's fixtures, which an installed atrest
/// does not have, so they are left out; the result passes `rules check`.
pub(super) fn rules_export() -> Result<Exit> {
    let mut out = String::from(
        "# The rules embedded in atrest, exported by `atrest rules export`.\n\
         # To adjust a few rules instead of copying all, write a file with\n\
         # `extends = \"default\"` and only the rules you change (same id) or add.\n",
    );
    for line in crate::rules::DEFAULT_RULES.lines() {
        let t = line.trim_start();
        if t.starts_with("examples")
            || t.starts_with("counter_examples")
            || t.starts_with("# Example paths")
        {
            continue;
        }
        out.push_str(line);
        out.push('\n');
    }
    // Multi-line example lists leave their items and closing bracket.
    let out = strip_example_lists(&out);
    output::print(&out);
    Ok(Exit::Clean)
}

/// Removes the continuation lines of multi-line `examples = [` lists whose
/// first line was dropped: quoted paths on their own and the closing `]`.
fn strip_example_lists(text: &str) -> String {
    let mut out = String::new();
    for line in text.lines() {
        let t = line.trim();
        let dangling = (t.starts_with('"') && (t.ends_with("\",") || t.ends_with('"'))) || t == "]";
        if !dangling {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

/// `atrest rules formats`: every format id rules may name.
pub(super) fn rules_formats() -> Result<Exit> {
    let mut out = String::new();
    for f in crate::sniff::formats::FORMATS {
        out.push_str(f);
        out.push('\n');
    }
    out.push_str("# and the file types of the infer crate (png, pdf, elf, …)\n");
    output::print(&out);
    Ok(Exit::Clean)
}

pub(super) fn rules_list(file: Option<&Path>) -> Result<Exit> {
    use std::fmt::Write;
    let rules = load_rules(file)?;
    let mut out = String::new();
    writeln!(out, "# {} (sha256 {})", rules.source, &rules.sha256[..16])?;
    for r in &rules.rules {
        let conditions = [
            ("class", joined(&r.classes)),
            ("format", joined(&r.formats)),
            ("not format", joined(&r.exclude_formats)),
            ("encryption", joined(&r.encryption)),
            (
                "storage",
                r.storage
                    .iter()
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join("|"),
            ),
            ("exposure", joined(&r.exposure)),
        ];
        let what: Vec<String> = conditions
            .iter()
            .filter(|(_, v)| !v.is_empty())
            .map(|(k, v)| format!("{k} {v}"))
            .collect();
        writeln!(out, "{:<9} {:<28} {}", r.severity.as_str(), r.id, r.title)?;
        writeln!(out, "          matches {}", what.join(", "))?;
    }
    output::print(&out);
    Ok(Exit::Clean)
}
