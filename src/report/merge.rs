//! `atrest merge`: reports of shards (or of runs over parts of a tree) become
//! one. Summaries are added; findings, errors, limits and inventory entries
//! are de-duplicated (findings by fingerprint) and sorted as a scan sorts them.

use std::collections::HashSet;

use super::{Report, Summary, SCHEMA};

/// Merges reports made with the same rules; `names` label them in errors.
pub fn merge(reports: Vec<(String, Report)>) -> Result<Report, String> {
    let mut iter = reports.into_iter();
    let (first_name, mut merged) = iter.next().ok_or("merge: no reports given")?;
    check(&first_name, &merged)?;
    let mut seen: HashSet<String> = merged
        .findings
        .iter()
        .map(|f| f.fingerprint.clone())
        .collect();
    for (name, r) in iter {
        check(&name, &r)?;
        if r.rules.sha256 != merged.rules.sha256 {
            return Err(format!(
                "{name}: made with other rules ({} sha256 {}) than {first_name} ({} sha256 {}); merge reports of the same rules",
                r.rules.source, r.rules.sha256, merged.rules.source, merged.rules.sha256
            ));
        }
        for t in r.targets {
            if !merged.targets.contains(&t) {
                merged.targets.push(t);
            }
        }
        merged.started_at = merged.started_at.min(r.started_at);
        merged.finished_at = merged.finished_at.max(r.finished_at);
        merged.complete &= r.complete;
        add(&mut merged.summary, &r.summary);
        for f in r.findings {
            if seen.insert(f.fingerprint.clone()) {
                merged.findings.push(f);
            }
        }
        merged.errors.extend(r.errors);
        merged.limits.extend(r.limits);
        match (&mut merged.objects, r.objects) {
            (Some(mine), Some(theirs)) => mine.extend(theirs),
            (mine @ None, Some(theirs)) => *mine = Some(theirs),
            _ => {}
        }
    }
    let m = &mut merged;
    m.findings
        .sort_by(|a, b| (&a.location, &a.member, &a.rule).cmp(&(&b.location, &b.member, &b.rule)));
    m.errors
        .sort_by(|a, b| (&a.location, &a.message).cmp(&(&b.location, &b.message)));
    m.errors
        .dedup_by(|a, b| a.location == b.location && a.message == b.message);
    m.limits.sort_by(|a, b| {
        (&a.location, &a.member, &a.limit).cmp(&(&b.location, &b.member, &b.limit))
    });
    m.limits
        .dedup_by(|a, b| (&a.location, &a.member, &a.limit) == (&b.location, &b.member, &b.limit));
    if let Some(objects) = &mut m.objects {
        objects.sort_by(|a, b| (&a.location, &a.member).cmp(&(&b.location, &b.member)));
        objects.dedup_by(|a, b| a.location == b.location && a.member == b.member);
    }
    // Counts that describe the merged lists are recomputed from them.
    m.summary.findings = m.findings.len() as u64;
    m.summary.limits_hit = m.limits.len() as u64;
    m.summary.by_severity = Default::default();
    for f in &m.findings {
        m.summary.by_severity.add(f.severity);
    }
    Ok(merged)
}

fn check(name: &str, r: &Report) -> Result<(), String> {
    if r.schema != SCHEMA {
        return Err(format!(
            "{name}: schema {:?}, expected {SCHEMA:?}",
            r.schema
        ));
    }
    Ok(())
}

/// Adds the per-object counts of `b` to `a` (the lists' counts are redone later).
fn add(a: &mut Summary, b: &Summary) {
    a.objects_seen += b.objects_seen;
    a.objects_scanned += b.objects_scanned;
    a.bytes_read += b.bytes_read;
    a.requests += b.requests;
    a.unchanged += b.unchanged;
    a.suppressed += b.suppressed;
    a.errors += b.errors;
    for (reason, n) in &b.skipped {
        *a.skipped.entry(reason.clone()).or_default() += n;
    }
    let (x, y) = (&mut a.by_class, &b.by_class);
    x.audio += y.audio;
    x.biometric += y.biometric;
    x.encrypted += y.encrypted;
    x.compressed += y.compressed;
    x.other += y.other;
}
