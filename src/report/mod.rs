//! Stage 4: the report. One data model, built once by the scan driver and
//! sorted, then rendered by exactly one renderer; the exit status is computed
//! from the model, never inside a renderer. No report ever holds file content:
//! only formats, offsets, statistics and hashes.

mod jsonl;
pub mod merge;
pub mod sarif;
pub mod table;

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::time::SystemTime;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::rules::{Rule, RuleSet, Severity};
use crate::sniff::{Class, Sniff};

pub const SCHEMA: &str = "atrest.report/1";

/// The whole result of one scan (`--format json`).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Report {
    /// Always `atrest.report/1`.
    pub schema: String,
    pub tool: Tool,
    /// Which rules decided the findings.
    pub rules: RulesInfo,
    /// The targets as given on the command line.
    pub targets: Vec<String>,
    /// RFC 3339, UTC, seconds (pinned by `SOURCE_DATE_EPOCH` when set).
    pub started_at: String,
    pub finished_at: String,
    /// False when any object could not be read: the findings are then a lower bound.
    pub complete: bool,
    pub summary: Summary,
    pub findings: Vec<Finding>,
    pub errors: Vec<ErrorEntry>,
    pub limits: Vec<LimitEntry>,
    /// Every object with its classification (`--inventory` only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub objects: Option<Vec<ObjectEntry>>,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Tool {
    pub name: String,
    pub version: String,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct RulesInfo {
    /// `embedded:default` or the rules file path.
    pub source: String,
    /// SHA-256 of the rules file text.
    pub sha256: String,
}

/// Counts that reconcile: `objects_seen = objects_scanned + Σ skipped + errors`.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct Summary {
    pub objects_seen: u64,
    pub objects_scanned: u64,
    /// Bytes actually read (local) or downloaded (object stores).
    pub bytes_read: u64,
    /// Object-store requests (0 for local scans).
    pub requests: u64,
    /// Scanned objects whose verdict `--state` kept from an earlier run
    /// (unchanged, not read again).
    #[serde(default)]
    pub unchanged: u64,
    /// Objects seen but not read, by reason.
    pub skipped: BTreeMap<String, u64>,
    /// Findings reported (after suppression).
    pub findings: u64,
    /// Findings suppressed by an allow-list or the baseline.
    pub suppressed: u64,
    /// Objects that could not be read.
    pub errors: u64,
    /// Archive and decompression limits reached.
    pub limits_hit: u64,
    pub by_severity: BySeverity,
    /// Scanned objects by class.
    pub by_class: ByClass,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct BySeverity {
    pub critical: u64,
    pub high: u64,
    pub medium: u64,
    pub low: u64,
}

impl BySeverity {
    pub fn add(&mut self, s: Severity) {
        *match s {
            Severity::Critical => &mut self.critical,
            Severity::High => &mut self.high,
            Severity::Medium => &mut self.medium,
            Severity::Low => &mut self.low,
        } += 1;
    }
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct ByClass {
    pub audio: u64,
    pub biometric: u64,
    pub encrypted: u64,
    pub compressed: u64,
    pub other: u64,
}

impl ByClass {
    pub fn add(&mut self, c: Class) {
        *match c {
            Class::Audio => &mut self.audio,
            Class::Biometric => &mut self.biometric,
            Class::Encrypted => &mut self.encrypted,
            Class::Compressed => &mut self.compressed,
            Class::Other => &mut self.other,
        } += 1;
    }
}

/// One rule matched by one object (or one member of an archive).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Finding {
    /// Rule id.
    pub rule: String,
    pub severity: Severity,
    pub category: String,
    /// The object: local path as given, or the full object URL.
    pub location: String,
    /// Path inside the object (`a.tar!/b.zip!/c.wav` chain), or null.
    pub member: Option<String>,
    /// Detected format id (`wav`, `iso19794-2`, …).
    pub format: String,
    pub mime: Option<String>,
    /// `none`, `weak`, `partial`, `encrypted` or `unknown`.
    pub encryption: crate::sniff::Encryption,
    /// Why: magic and offsets, codec, entropy, χ²; never content bytes.
    pub evidence: BTreeMap<String, Value>,
    /// Size in bytes of the object (or member, when known).
    pub size: u64,
    /// Stable over runs for the same location, member and rule.
    pub fingerprint: String,
}

impl Finding {
    pub fn new(
        rule: &Rule,
        location: &str,
        member: Option<&str>,
        sniff: &Sniff,
        size: u64,
    ) -> Finding {
        Finding {
            rule: rule.id.clone(),
            severity: rule.severity,
            category: rule.category.clone(),
            location: location.to_string(),
            member: member.map(str::to_string),
            format: sniff.format.clone(),
            mime: sniff.mime.clone(),
            encryption: sniff.encryption,
            evidence: sniff
                .evidence
                .iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect(),
            size,
            fingerprint: fingerprint(&rule.id, location, member),
        }
    }
}

/// SHA-256 over rule, normalised location and member.
pub fn fingerprint(rule: &str, location: &str, member: Option<&str>) -> String {
    let location = location.trim_start_matches("./");
    let mut h = Sha256::new();
    for part in ["atrest/v1", rule, location, member.unwrap_or("")] {
        h.update(part.as_bytes());
        h.update([0]);
    }
    format!("{:x}", h.finalize())
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct ErrorEntry {
    pub location: String,
    pub message: String,
}

/// A bound reached while looking inside: that part was not inspected.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct LimitEntry {
    pub location: String,
    pub member: Option<String>,
    /// `max-depth`, `max-members`, `max-member-bytes`, `max-object-bytes`, `max-ratio`.
    pub limit: String,
    pub message: String,
}

/// One object (or member) in the inventory.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct ObjectEntry {
    pub location: String,
    pub member: Option<String>,
    /// `scanned` or `skipped:<reason>`.
    pub state: String,
    pub format: Option<String>,
    pub class: Option<Class>,
    pub encryption: Option<crate::sniff::Encryption>,
    pub size: Option<u64>,
}

impl ObjectEntry {
    pub fn scanned(location: &str, member: Option<&str>, sniff: &Sniff, size: u64) -> ObjectEntry {
        ObjectEntry {
            location: location.to_string(),
            member: member.map(str::to_string),
            state: "scanned".into(),
            format: Some(sniff.format.clone()),
            class: Some(sniff.class),
            encryption: Some(sniff.encryption),
            size: Some(size),
        }
    }

    pub fn skipped(location: String, reason: &str) -> ObjectEntry {
        ObjectEntry {
            location,
            member: None,
            state: format!("skipped:{reason}"),
            format: None,
            class: None,
            encryption: None,
            size: None,
        }
    }
}

impl Report {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        rules: &RuleSet,
        targets: &[String],
        started: SystemTime,
        finished: SystemTime,
        summary: Summary,
        findings: Vec<Finding>,
        errors: Vec<ErrorEntry>,
        limits: Vec<LimitEntry>,
        objects: Option<Vec<ObjectEntry>>,
    ) -> Report {
        Report {
            schema: SCHEMA.to_string(),
            tool: Tool {
                name: "atrest".into(),
                version: env!("CARGO_PKG_VERSION").into(),
            },
            rules: RulesInfo {
                source: rules.source.clone(),
                sha256: rules.sha256.clone(),
            },
            targets: targets.to_vec(),
            started_at: humantime::format_rfc3339_seconds(started).to_string(),
            finished_at: humantime::format_rfc3339_seconds(finished).to_string(),
            complete: errors.is_empty(),
            summary,
            findings,
            errors,
            limits,
            objects,
        }
    }

    /// Does any reported finding reach `threshold`?
    pub fn fails(&self, threshold: Option<Severity>) -> bool {
        threshold.is_some_and(|t| self.findings.iter().any(|f| f.severity >= t))
    }
}

/// Report formats (`--format`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum OutputFormat {
    Table,
    Json,
    Jsonl,
    Sarif,
}

/// Writes `report` in `format`. `color` applies to the table only.
pub fn render(
    report: &Report,
    format: OutputFormat,
    rules: &RuleSet,
    color: bool,
    out: &mut dyn Write,
) -> io::Result<()> {
    match format {
        OutputFormat::Json => {
            serde_json::to_writer_pretty(&mut *out, report)?;
            writeln!(out)
        }
        OutputFormat::Jsonl => jsonl::write(report, out),
        OutputFormat::Sarif => {
            serde_json::to_writer_pretty(&mut *out, &sarif::build(report, rules))?;
            writeln!(out)
        }
        OutputFormat::Table => table::write(report, color, out),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_ignore_a_leading_dot_slash_and_differ_by_member() {
        assert_eq!(
            fingerprint("r", "./a/b.wav", None),
            fingerprint("r", "a/b.wav", None)
        );
        assert_ne!(
            fingerprint("r", "a.zip", Some("x.wav")),
            fingerprint("r", "a.zip", None)
        );
    }
}
