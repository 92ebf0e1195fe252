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

pub fn build(report: &Report, rules: &RuleSet) -> Value {
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
                "locations": [{"physicalLocation": {"artifactLocation": {"uri": uri(&f.location)}}}],
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
            "results": results,
            "properties": {"summary": report.summary}
        }]
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_paths_become_relative_uri_references() {
        assert_eq!(uri("./calls/a b#1.wav"), "calls/a%20b%231.wav");
        assert_eq!(uri("s3://bucket/k.wav"), "s3://bucket/k.wav");
    }
}
