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
    let base = rules.base_dir.clone().unwrap_or_else(|| ".".into());
    let mut failures = Vec::new();
    let mut checked = 0;
    for rule in &rules.rules {
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
    let file = match source::fs::LocalFile::open(path)? {
        source::fs::Opened::File(f, size) => (f, size),
        source::fs::Opened::NotRegular => bail!("not a regular file"),
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
    let rel = path.to_string_lossy().to_string();
    let candidate = source::Candidate {
        target: 0,
        location: rel.clone(),
        rel,
        size,
        origin: source::Origin::Local(path.to_path_buf()),
        version: None,
    };
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
