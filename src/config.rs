//! Settings resolved from the command line before any work starts.

use std::collections::HashSet;
use std::path::Path;

use anyhow::{Context, Result};
use globset::{Glob, GlobSet, GlobSetBuilder};

use crate::report::Report;
use crate::rules::RuleSet;

pub fn load_rules(path: Option<&Path>) -> Result<RuleSet> {
    match path {
        Some(p) => RuleSet::load(p).map_err(|e| anyhow::anyhow!("{e}")),
        None => Ok(RuleSet::embedded()),
    }
}

pub fn globs(patterns: &[String], flag: &str) -> Result<Option<GlobSet>> {
    if patterns.is_empty() {
        return Ok(None);
    }
    let mut b = GlobSetBuilder::new();
    for p in patterns {
        b.add(Glob::new(p).with_context(|| format!("{flag} {p:?}: not a valid glob"))?);
    }
    Ok(Some(b.build()?))
}

/// Reads the fingerprints of an earlier report (JSON, or JSONL findings).
pub fn load_baseline(path: &Path) -> Result<HashSet<String>> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("{}: cannot read baseline", path.display()))?;
    let mut set = HashSet::new();
    if let Ok(report) = serde_json::from_str::<Report>(&text) {
        set.extend(report.findings.into_iter().map(|f| f.fingerprint));
        return Ok(set);
    }
    for (i, line) in text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
    {
        let v: serde_json::Value = serde_json::from_str(line).with_context(|| {
            format!(
                "{}:{}: not a JSON report or JSONL line",
                path.display(),
                i + 1
            )
        })?;
        if let Some(fp) = v.get("fingerprint").and_then(|f| f.as_str()) {
            set.insert(fp.to_string());
        }
    }
    Ok(set)
}
