//! SARIF 2.1.0: one run, the rules as `tool.driver.rules`, each finding a
//! result with a physical location (validated against the official schema in
//! the test suite).

use serde_json::{json, Value};

use super::Report;
use crate::rules::{RuleSet, Severity};

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
    if location.contains("://") {
        return location.to_string();
    }
    let mut out = String::new();
    for b in location.trim_start_matches("./").bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
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
    let dir = if root.is_empty() { "." } else { root };
    match std::fs::canonicalize(dir) {
        Ok(abs) => {
            let mut uri = format!("file://{}", self::uri(&abs.display().to_string()));
            if !uri.ends_with('/') {
                uri.push('/');
            }
            json!({"uri": uri, "description": {"text": format!("scan target root {dir}")}})
        }
        Err(_) => json!({"description": {"text": format!("scan target root {dir}")}}),
    }
}

pub fn build(report: &Report, rules: &RuleSet) -> Value {
    let mut roots: Vec<String> = Vec::new();
    let rule_index = |id: &str| rules.rules.iter().position(|r| r.id == id);
    let driver_rules: Vec<Value> = rules
        .rules
        .iter()
        .map(|r| {
            json!({
                "id": r.id,
                "name": r.id.replace(['.', '-'], "_"),
                "shortDescription": {"text": r.title},
                "fullDescription": {"text": if r.description.is_empty() { &r.title } else { &r.description }},
                "defaultConfiguration": {"level": level(r.severity)},
                "properties": {"category": r.category, "severity": r.severity, "security-severity": security_severity(r.severity)}
            })
        })
        .collect();
    let results: Vec<Value> = report
        .findings
        .iter()
        .map(|f| {
            let place = f.member.as_ref().map_or(f.location.clone(), |m| format!("{} ! {m}", f.location));
            let mut result = json!({
                "ruleId": f.rule,
                "level": level(f.severity),
                "message": {"text": format!("{} ({}, encryption: {}) at {place}", f.rule, f.format, f.encryption)},
                "locations": [{"physicalLocation": {"artifactLocation": artifact(&mut roots, &f.location, &f.path)}}],
                "partialFingerprints": {"atrest/v1": f.fingerprint},
                "properties": {
                    "format": f.format, "encryption": f.encryption, "member": f.member,
                    "size": f.size, "evidence": f.evidence, "severity": f.severity
                }
            });
            if let Some(i) = rule_index(&f.rule) {
                result["ruleIndex"] = json!(i);
            }
            result
        })
        .collect();
    let notifications: Vec<Value> = report
        .errors
        .iter()
        .map(|e| json!({"level": "error", "message": {"text": format!("{}: {}", e.location, e.message)}}))
        .chain(report.limits.iter().map(|l| {
            json!({"level": "warning", "message": {"text": format!("{} {}: {}", l.location, l.limit, l.message)}})
        }))
        .collect();
    let bases: serde_json::Map<String, Value> = roots
        .iter()
        .enumerate()
        .map(|(i, root)| (format!("TARGET{i}"), base_uri(root)))
        .collect();
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "atrest",
                "version": report.tool.version,
                "informationUri": "https://github.com/atrest/atrest",
                "rules": driver_rules
            }},
            "invocations": [{
                "executionSuccessful": report.complete,
                "startTimeUtc": report.started_at,
                "endTimeUtc": report.finished_at,
                "toolExecutionNotifications": notifications
            }],
            "originalUriBaseIds": bases,
            "results": results,
            "properties": {"summary": report.summary}
        }]
    })
}

/// The artifact location of one finding, registering its root.
fn artifact(roots: &mut Vec<String>, location: &str, path: &str) -> Value {
    match anchor(location, path) {
        Some(root) => {
            let i = roots.iter().position(|r| *r == root).unwrap_or_else(|| {
                roots.push(root);
                roots.len() - 1
            });
            json!({"uri": uri(path), "uriBaseId": format!("TARGET{i}")})
        }
        None => json!({"uri": uri(location)}),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_paths_become_relative_uri_references() {
        assert_eq!(uri("./calls/a b#1.wav"), "calls/a%20b%231.wav");
        assert_eq!(uri("s3://bucket/k.wav"), "s3://bucket/k.wav");
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
        let mut roots = Vec::new();
        let a = artifact(&mut roots, "../repo/calls/1.wav", "calls/1.wav");
        assert_eq!(a, json!({"uri": "calls/1.wav", "uriBaseId": "TARGET0"}));
    }
}
