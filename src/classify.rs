//! Stage 3: classification. Which rules describe a sniffed object, and which
//! of those an allow-list suppresses. Pure: no I/O.

use crate::rules::{Rule, RuleSet};
use crate::sniff::Sniff;

/// A rule that matched, and the allow-list reason when it is suppressed.
#[derive(Debug)]
pub struct Match<'r> {
    pub rule: &'r Rule,
    pub allowed: Option<&'r str>,
}

/// Every rule that matches `sniff` at `path` (relative to its target).
pub fn classify<'r>(sniff: &Sniff, path: &str, rules: &'r RuleSet) -> Vec<Match<'r>> {
    rules
        .rules
        .iter()
        .filter(|r| r.matches(sniff, path))
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
        let ids: Vec<_> = classify(&plain, "a.wav", &rules)
            .iter()
            .map(|m| m.rule.id.as_str())
            .collect();
        assert_eq!(ids, ["audio.unencrypted"]);
        let sealed = Sniff::new("age", None, Class::Encrypted, Encryption::Encrypted);
        assert!(classify(&sealed, "a.age", &rules).is_empty());
        let raw = Sniff::new("raw-pcm", None, Class::Audio, Encryption::None);
        let ids: Vec<_> = classify(&raw, "a.pcm", &rules)
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
            classify(&s, "qa/tone.wav", &rules)[0].allowed,
            Some("synthetic test tones")
        );
        assert_eq!(classify(&s, "calls/1.wav", &rules)[0].allowed, None);
    }
}
