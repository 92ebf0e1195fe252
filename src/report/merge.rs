//! `atrest merge`: reports of shards (or of runs over parts of a tree) become
//! one, through the same [`ReportBuilder`] a scan folds into. The same shard
//! twice, or the same run twice, is refused (it would double the counts);
//! shards missing from a complete set make the merge incomplete.

use std::collections::{BTreeMap, BTreeSet};
use std::time::SystemTime;

use sha2::{Digest, Sha256};

use super::{Report, ReportBuilder, RunInfo, SCHEMA};

fn parse_time(s: &str) -> SystemTime {
    humantime::parse_rfc3339(s).unwrap_or(SystemTime::UNIX_EPOCH)
}

/// Do two targets as written cover some of the same objects: spelled
/// alike (`./calls/` is `calls`), or one inside the other (`calls` and
/// `calls/2024`, `s3://b` and `s3://b/voice`)? Reports may come from other
/// machines: a path is not resolved.
fn overlap(a: &str, b: &str) -> bool {
    fn plain(t: &str) -> &str {
        let mut t = t;
        while let Some(rest) = t.strip_prefix("./") {
            t = rest.trim_start_matches('/');
        }
        match t.trim_end_matches('/') {
            "" if t.starts_with('/') => "/",
            "" => ".",
            trimmed => trimmed,
        }
    }
    let inside = |outer: &str, inner: &str| match outer {
        "/" => inner.starts_with('/'),
        "." => !inner.starts_with('/') && !inner.starts_with("../") && !inner.contains("://"),
        _ => inner
            .strip_prefix(outer)
            .is_some_and(|rest| rest.starts_with('/')),
    };
    let (a, b) = (plain(a), plain(b));
    a == b || inside(a, b) || inside(b, a)
}

/// Merges reports made with the same rules; `names` label them in errors.
pub fn merge(reports: Vec<(String, Report)>) -> Result<Report, String> {
    let first = reports.first().ok_or("merge: no reports given")?;
    let rules = first.1.rules.clone();
    let first_name = first.0.clone();
    let mut runs: BTreeMap<String, String> = BTreeMap::new();
    // Shards split one run's targets: a set is complete per target list,
    // so `a` 0/3 with `b` 1/3 and 2/3 leaves shards missing, not none.
    // Each list's count, and which shard came from which report.
    let mut sets: BTreeMap<&[String], (u64, BTreeMap<u64, &str>)> = BTreeMap::new();
    for (name, r) in &reports {
        if r.schema != SCHEMA {
            return Err(format!(
                "{name}: schema {:?}, expected {SCHEMA:?}",
                r.schema
            ));
        }
        if r.rules.sha256 != rules.sha256 {
            return Err(format!(
                "{name}: made with other rules ({} sha256 {}) than {first_name} ({} sha256 {}); merge reports of the same rules",
                r.rules.source, r.rules.sha256, rules.source, rules.sha256
            ));
        }
        if !r.scan_id.is_empty() {
            if let Some(other) = runs.insert(r.scan_id.clone(), name.clone()) {
                return Err(format!(
                    "{name}: the same run as {other} (scan id {})",
                    r.scan_id
                ));
            }
        }
        if let Some(shard) = &r.shard {
            let (k, n) = match crate::source::Shard::parse(shard) {
                Ok(s) => (s.index, s.count),
                Err(why) => return Err(format!("{name}: shard {shard:?}: {why}")),
            };
            let (count, present) = sets.entry(&r.targets).or_insert((n, BTreeMap::new()));
            if *count != n {
                return Err(format!(
                    "merge: the shards of {} are of different counts",
                    r.targets.join(" ")
                ));
            }
            if let Some(other) = present.insert(k, name) {
                return Err(format!(
                    "{name}: shard {shard} of the same targets as {other}; each shard may be merged once"
                ));
            }
        }
    }
    // A run of a whole target covers every shard of it, and every other
    // run of it or of a part of it: merged with either, each of their
    // common objects would count twice.
    for (i, (name, r)) in reports.iter().enumerate() {
        for (other, o) in &reports[..i] {
            let shared = r.targets.iter().find_map(|t| {
                let u = o.targets.iter().find(|u| overlap(t, u))?;
                Some((t, u))
            });
            if let (Some((t, u)), true) = (shared, r.shard.is_none() || o.shard.is_none()) {
                let whole = if r.shard.is_none() { name } else { other };
                let what = if t == u {
                    format!("covers target {t}, as {other} does")
                } else {
                    format!("covers target {t}, which overlaps target {u} of {other}")
                };
                return Err(format!(
                    "{name}: {what}, and {whole} scanned all of it: its objects would count twice"
                ));
            }
        }
    }
    let mut missing = BTreeSet::new();
    // A merge that lacked shards stays incomplete when merged again: its
    // missing shards are this merge's too.
    for (name, r) in &reports {
        for shard in &r.missing_shards {
            match crate::source::Shard::parse(shard) {
                Ok(s) => missing.insert((s.index, s.count)),
                Err(why) => return Err(format!("{name}: missing shard {shard:?}: {why}")),
            };
        }
    }
    for (count, present) in sets.values() {
        missing.extend(
            (0..*count)
                .filter(|k| !present.contains_key(k))
                .map(|k| (k, *count)),
        );
    }
    let missing: Vec<String> = missing
        .into_iter()
        .map(|(k, n)| format!("{k}/{n}"))
        .collect();
    let inventory = reports.iter().any(|(_, r)| r.objects.is_some());
    let mut builder = ReportBuilder::new(true, inventory);
    let mut targets: Vec<String> = Vec::new();
    let (mut started, mut finished) = (None::<SystemTime>, None::<SystemTime>);
    let mut interrupted = 0;
    let mut ids = Sha256::new();
    let mut exposure = std::collections::BTreeMap::new();
    for (_, r) in reports {
        exposure.extend(r.exposure.clone());
        for t in &r.targets {
            if !targets.contains(t) {
                targets.push(t.clone());
            }
        }
        let (s, f) = (parse_time(&r.started_at), parse_time(&r.finished_at));
        started = Some(started.map_or(s, |x| x.min(s)));
        finished = Some(finished.map_or(f, |x| x.max(f)));
        interrupted += usize::from(r.interrupted);
        ids.update(r.scan_id.as_bytes());
        builder.add_report(r);
    }
    builder.missing_shards(missing);
    Ok(builder.finish(RunInfo {
        rules,
        targets,
        started: started.unwrap_or(SystemTime::UNIX_EPOCH),
        finished: finished.unwrap_or(SystemTime::UNIX_EPOCH),
        stopped_by: (interrupted > 0)
            .then(|| format!("{interrupted} of the merged runs stopped early")),
        shard: None,
        scan_id: format!("{:x}", ids.finalize())[..16].to_string(),
        requests: 0,
        exposure,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_overlap_as_spelled_alike_or_nested() {
        assert!(overlap("./calls/", "calls"));
        assert!(overlap("s3://b/", "s3://b"));
        assert!(overlap("./", "."));
        assert!(overlap("/", "//"));
        assert!(overlap("calls", "calls/2024"));
        assert!(overlap("s3://b/voice", "s3://b"));
        assert!(overlap(".", "calls"));
        assert!(!overlap("calls", "calls-2024"));
        assert!(!overlap("s3://b", "s3://bucket"));
        assert!(!overlap(".", "s3://b"));
        assert!(!overlap(".", "../b"));
        assert!(!overlap("calls", "/srv/calls"));
    }
}
