//! What one inspected object means under the rules: the verdict kept per
//! object (and in `--state`), built by matching every view of the object
//! against every rule once. Pure: no I/O.

use serde::{Deserialize, Serialize};

use crate::report::{Finding, LimitEntry, ObjectEntry, Suppressed};
use crate::rules::{Rule, RuleSet};
use crate::sniff::{Class, Sniff};
use crate::source::bucket::Exposure;
use crate::source::Candidate;

use super::inspect::Inspection;

/// What scanning one object concluded: all the report needs of it, small
/// enough to keep per object and to store in `--state` for the next run.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub(crate) struct Verdict {
    pub class: Class,
    /// Findings before the baseline (which may change between runs).
    pub findings: Vec<Finding>,
    /// Findings an allow-list of the rules suppressed, with its reason.
    #[serde(default)]
    pub allowed: Vec<Suppressed>,
    /// The object and its members, for `--inventory`.
    pub objects: Vec<ObjectEntry>,
    pub limits: Vec<LimitEntry>,
}

impl Verdict {
    /// Nothing but a class: no finding, allow-listed finding or limit (the
    /// state can then reuse it without reading it back).
    pub(crate) fn is_plain(&self) -> bool {
        self.findings.is_empty() && self.allowed.is_empty() && self.limits.is_empty()
    }
}

/// Matches every view of an inspected object against the rules, once. Path
/// globs see the relative path, and `rel!/member` for members.
/// `inventory`: also list the object and its members (for `--inventory`
/// and `--state`; a plain scan does not pay for the entries).
pub(crate) fn judge(
    candidate: &Candidate,
    inspection: &Inspection,
    rules: &RuleSet,
    inventory: bool,
) -> Verdict {
    let mut verdict = Verdict {
        class: inspection.sniff.class,
        ..Verdict::default()
    };
    let exposure = candidate.exposure();
    for (member, sniff, size) in inspection.views(candidate.size) {
        // The object's own path is borrowed: only a member's is built.
        let path: std::borrow::Cow<'_, str> = match member {
            Some(m) => format!("{}!/{m}", candidate.rule_path()).into(),
            None => candidate.rule_path().into(),
        };
        for m in classify(sniff, &path, exposure, rules) {
            let finding = Finding::new(
                m.rule,
                &candidate.location,
                candidate.rel(),
                candidate.identity(),
                member,
                sniff,
                size,
                exposure,
            );
            match m.allowed {
                Some(reason) => verdict.allowed.push(Suppressed {
                    finding,
                    by: "allow-list".into(),
                    reason: reason.to_string(),
                }),
                None => verdict.findings.push(finding),
            }
        }
        if inventory {
            verdict.objects.push(ObjectEntry::scanned(
                &candidate.location,
                member,
                sniff,
                size,
            ));
        }
    }
    verdict.limits = inspection
        .inside
        .limits
        .iter()
        .map(|hit| LimitEntry {
            location: candidate.location.clone(),
            member: hit.member.clone(),
            limit: hit.limit.to_string(),
            message: hit.message.clone(),
        })
        .collect();
    verdict
}

/// A rule that matched, and the allow-list reason when it is suppressed.
#[derive(Debug)]
pub struct Match<'r> {
    pub rule: &'r Rule,
    pub allowed: Option<&'r str>,
}

/// Every rule that matches `sniff` at `path` (relative to its target) in a
/// place with that `exposure`.
pub fn classify<'r>(
    sniff: &Sniff,
    path: &str,
    exposure: Exposure,
    rules: &'r RuleSet,
) -> Vec<Match<'r>> {
    rules
        .rules
        .iter()
        .filter(|r| r.matches(sniff, path, exposure))
        .map(|rule| Match {
            rule,
            allowed: rule.allowed(path),
        })
        .collect()
}
#[cfg(test)]
mod tests {
    use super::*;
    use crate::sniff::{Class, Encryption};

    #[test]
    fn default_rules_flag_plain_audio_and_not_encrypted_audio() {
        let rules = RuleSet::embedded();
        let plain = Sniff::new("wav", None, Class::Audio, Encryption::None);
        let ids: Vec<_> = classify(&plain, "a.wav", Exposure::Unknown, &rules)
            .iter()
            .map(|m| m.rule.id.as_str())
            .collect();
        assert_eq!(ids, ["audio.unencrypted"]);
        let sealed = Sniff::new("age", None, Class::Encrypted, Encryption::Encrypted);
        assert!(classify(&sealed, "a.age", Exposure::Unknown, &rules).is_empty());
        let raw = Sniff::new("raw-pcm", None, Class::Audio, Encryption::None);
        let ids: Vec<_> = classify(&raw, "a.pcm", Exposure::Unknown, &rules)
            .iter()
            .map(|m| m.rule.id.as_str())
            .collect();
        assert_eq!(ids, ["audio.raw-pcm"]);
    }

    #[test]
    fn allow_lists_suppress_with_their_reason() {
        let text = r#"
[[rule]]
id = "a"
title = "t"
severity = "low"
category = "audio"
classes = ["audio"]
[[rule.allow]]
paths = ["qa/**"]
reason = "synthetic test tones"
"#;
        let rules = RuleSet::parse(text, "r.toml", None).unwrap();
        let s = Sniff::new("wav", None, Class::Audio, Encryption::None);
        assert_eq!(
            classify(&s, "qa/tone.wav", Exposure::Unknown, &rules)[0].allowed,
            Some("synthetic test tones")
        );
        assert_eq!(
            classify(&s, "calls/1.wav", Exposure::Unknown, &rules)[0].allowed,
            None
        );
    }
}
