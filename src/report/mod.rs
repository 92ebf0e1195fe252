//! Stage 4: the report. One data model, built once by the scan driver and
//! sorted, then rendered by exactly one renderer; the exit status is computed
//! from the model, never inside a renderer. No report ever holds file content:
//! only formats, offsets, statistics and hashes.

mod builder;
pub mod jsonl;
pub mod merge;
pub mod sarif;
pub mod table;

use std::collections::BTreeMap;
use std::io::{self, Write};

use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::rules::{Rule, RuleSet, Severity};
use crate::sniff::{Class, Sniff};
use crate::source::bucket::Exposure;

pub use builder::{ReportBuilder, RunInfo};

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
    /// False when any object could not be read, or the run was interrupted:
    /// the findings are then a lower bound.
    pub complete: bool,
    /// The run was stopped before the end (a signal, or `--max-duration`);
    /// `stopped_by` says which.
    #[serde(default)]
    pub interrupted: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stopped_by: Option<String>,
    /// `K/N` when the run scanned one shard (`--shard`), else null.
    #[serde(default)]
    pub shard: Option<String>,
    /// Random per run: tells two reports of the same shard apart (`merge`).
    #[serde(default)]
    pub scan_id: String,
    /// Shards missing from a merge of `K/N` reports (the merge is then incomplete).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub missing_shards: Vec<String>,
    pub summary: Summary,
    pub findings: Vec<Finding>,
    /// Findings an allow-list or the baseline suppressed, with the reason.
    #[serde(default)]
    pub suppressed: Vec<Suppressed>,
    /// Each bucket's anonymous-access probe, by bucket URL (buckets only).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub exposure: BTreeMap<String, BucketExposure>,
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
    /// Objects seen per target, as the target was given.
    #[serde(default)]
    pub by_target: BTreeMap<String, u64>,
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
    /// Error entries: objects that could not be read, and failures of the
    /// run itself (a walk that stopped, state that could not be saved).
    pub errors: u64,
    /// Of `errors`, the failures of the run itself, which are no object:
    /// `objects_seen = objects_scanned + Σ skipped + errors − run_errors`.
    #[serde(default)]
    pub run_errors: u64,
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
    /// Findings of severity `t` or worse.
    pub fn at_or_above(&self, t: Severity) -> u64 {
        [
            (Severity::Critical, self.critical),
            (Severity::High, self.high),
            (Severity::Medium, self.medium),
            (Severity::Low, self.low),
        ]
        .iter()
        .filter(|(s, _)| *s >= t)
        .map(|(_, n)| n)
        .sum()
    }

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
    /// The object's path below its target (local), or its key (buckets):
    /// what globs match and what SARIF locations are relative to.
    #[serde(default)]
    pub path: String,
    /// Path inside the object (`a.tar!/b.zip!/c.wav` chain), or null.
    pub member: Option<String>,
    /// Detected format id (`wav`, `iso19794-2`, …).
    pub format: String,
    pub mime: Option<String>,
    /// `none`, `weak`, `partial`, `encrypted` or `unknown`.
    pub encryption: crate::sniff::Encryption,
    /// Encryption by the object store itself, as its response reported it:
    /// `none`, `provider`, `kms`, `customer-key`, or `unknown` (local files).
    #[serde(default)]
    pub storage: crate::sniff::AtRest,
    /// Who can read it without credentials, from the bucket's anonymous
    /// probe: `public-list`, `public-read`, `private`, or `unknown` (local
    /// files, `--no-exposure`, or no decisive answer).
    #[serde(default)]
    pub exposure: Exposure,
    /// Why: magic and offsets, codec, entropy, χ²; never content bytes.
    pub evidence: Evidence,
    /// Size in bytes of the object (or member, when known).
    pub size: u64,
    /// Stable over runs for the same rule, object and member, however the
    /// target was spelled: local objects by their path below the target,
    /// bucket objects by their full URL.
    pub fingerprint: String,
}

/// What the anonymous probe found for one bucket or container.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct BucketExposure {
    pub exposure: Exposure,
    /// The answers that decided it (status and provider error code of the
    /// anonymous LIST and GET).
    pub basis: String,
    /// What the provider itself says about public access, read with the
    /// scan's credentials where they allow it (S3 policy status, Block Public
    /// Access and ACL; Azure container access level; GCS IAM policy).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub statement: Option<String>,
}

/// A finding that is not reported, and why.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Suppressed {
    #[serde(flatten)]
    pub finding: Finding,
    /// `allow-list` or `baseline`.
    pub by: String,
    /// The allow-list entry's `reason`, or the baseline file.
    pub reason: String,
}

impl Finding {
    /// `identity` is what the fingerprint hashes: the path below the target
    /// for local objects, the object URL in a bucket.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        rule: &Rule,
        location: &str,
        path: &str,
        identity: &str,
        member: Option<&str>,
        sniff: &Sniff,
        size: u64,
        exposure: Exposure,
    ) -> Finding {
        Finding {
            rule: rule.id.clone(),
            severity: rule.severity,
            category: rule.category.clone(),
            location: location.to_string(),
            path: path.to_string(),
            member: member.map(str::to_string),
            format: sniff.format.to_string(),
            mime: sniff.mime.as_deref().map(str::to_string),
            encryption: sniff.encryption,
            storage: sniff.at_rest,
            exposure,
            evidence: Evidence::of(&sniff.evidence),
            size,
            fingerprint: fingerprint(&rule.id, identity, member),
        }
    }
}

/// A finding's evidence, kept as its compact JSON text: a report may hold
/// hundreds of thousands of findings until it is written, and a map of
/// small values costs several times its text in allocations.
#[derive(Clone, Debug)]
pub struct Evidence(Box<serde_json::value::RawValue>);

impl Evidence {
    pub fn of(facts: &crate::sniff::Evidence) -> Evidence {
        Evidence::from_map(facts)
    }

    fn from_map(map: &impl Serialize) -> Evidence {
        // A map of strings to JSON values always serialises.
        let text = serde_json::to_string(map).unwrap_or_else(|_| "{}".to_string());
        Evidence(
            serde_json::value::RawValue::from_string(text)
                .unwrap_or_else(|_| Evidence::default().0),
        )
    }

    /// The evidence as a JSON object.
    pub fn to_map(&self) -> BTreeMap<String, Value> {
        serde_json::from_str(self.0.get()).unwrap_or_default()
    }
}

impl Default for Evidence {
    fn default() -> Evidence {
        Evidence(
            serde_json::value::RawValue::from_string("{}".to_string())
                .expect("an empty object is JSON"),
        )
    }
}

impl PartialEq for Evidence {
    fn eq(&self, other: &Evidence) -> bool {
        self.0.get() == other.0.get()
    }
}

impl Serialize for Evidence {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(s)
    }
}

impl<'de> Deserialize<'de> for Evidence {
    // Through a map, not RawValue directly: `Suppressed` flattens its
    // finding, and flattened content cannot be read as raw JSON.
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Evidence, D::Error> {
        let map = BTreeMap::<String, Value>::deserialize(d)?;
        Ok(Evidence::from_map(&map))
    }
}

/// SHA-256 over rule, object identity and member.
pub fn fingerprint(rule: &str, identity: &str, member: Option<&str>) -> String {
    let mut h = Sha256::new();
    for part in ["atrest/v2", rule, identity, member.unwrap_or("")] {
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
    /// `max-depth`, `max-members`, `max-member-bytes`, `max-object-bytes`,
    /// `max-ratio`, `max-time` or `not-inspected`.
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
            format: Some(sniff.format.to_string()),
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
    /// Does any reported finding reach `threshold`?
    pub fn fails(&self, threshold: Option<Severity>) -> bool {
        threshold.is_some_and(|t| self.summary.by_severity.at_or_above(t) > 0)
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

/// Writes `report` in `format`. `color` applies to the table only; `exit`
/// (the status the run ends with, and why) goes into SARIF's invocation.
pub fn render(
    report: &Report,
    format: OutputFormat,
    rules: &RuleSet,
    color: bool,
    exit: Option<(u8, &str)>,
    out: &mut dyn Write,
) -> io::Result<()> {
    match format {
        OutputFormat::Json => {
            serde_json::to_writer_pretty(&mut *out, report)?;
            writeln!(out)
        }
        OutputFormat::Jsonl => jsonl::write(report, out),
        OutputFormat::Sarif => sarif::write(report, rules, exit, out),
        OutputFormat::Table => table::write(report, rules, color, out),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fingerprint is a promise across machines and versions: baselines
    /// written today must match tomorrow's findings.
    #[test]
    fn fingerprints_are_pinned_and_differ_by_member() {
        assert_eq!(
            fingerprint("audio.unencrypted", "calls/2026/a.wav", None),
            "439d62492f7b84374a7ac6fe4ad967668bc17c2dbbd357550f7924b4910ddbd7"
        );
        assert_ne!(
            fingerprint("r", "a.zip", Some("x.wav")),
            fingerprint("r", "a.zip", None)
        );
    }
}
