//! The report as a fold: each object's outcome is added as it completes, so
//! memory follows findings, errors and limits, never the number of objects.
//! Scan and merge build reports the same way: one canonical sort,
//! de-duplication and recount in [`ReportBuilder::finish`].

use std::time::SystemTime;

use std::collections::BTreeMap;

use super::{
    BucketExposure, ErrorEntry, Finding, LimitEntry, ObjectEntry, Report, RulesInfo, Summary,
    Suppressed, Tool, SCHEMA,
};
use crate::sniff::Class;

/// What describes a run rather than its objects.
#[derive(Clone, Debug)]
pub struct RunInfo {
    pub rules: RulesInfo,
    pub targets: Vec<String>,
    pub started: SystemTime,
    pub finished: SystemTime,
    /// Why the run stopped early (`SIGTERM`, `--max-duration 50m`), if it did.
    pub stopped_by: Option<String>,
    pub shard: Option<String>,
    pub scan_id: String,
    pub requests: u64,
    /// The anonymous probe of each bucket, by URL.
    pub exposure: BTreeMap<String, BucketExposure>,
}

/// Skip reasons always present in `summary.skipped`, even at zero.
const SKIP_REASONS: [&str; 5] = [
    "special-file",
    "symlink",
    "storage-class",
    "noncurrent",
    "excluded",
];

#[derive(Debug, Default)]
pub struct ReportBuilder {
    summary: Summary,
    /// Lists are kept for sorted formats; a streamed report only counts.
    keep_lists: bool,
    findings: Vec<Finding>,
    suppressed: Vec<Suppressed>,
    errors: Vec<ErrorEntry>,
    limits: Vec<LimitEntry>,
    objects: Option<Vec<ObjectEntry>>,
    missing_shards: Vec<String>,
}

impl ReportBuilder {
    /// `keep_lists`: hold findings, errors and limits for a sorted report;
    /// `inventory`: also hold every object (only when they are not streamed).
    pub fn new(keep_lists: bool, inventory: bool) -> ReportBuilder {
        ReportBuilder {
            keep_lists,
            objects: (keep_lists && inventory).then(Vec::new),
            ..ReportBuilder::default()
        }
    }

    pub fn summary(&self) -> &Summary {
        &self.summary
    }

    /// Objects seen (scanned, skipped or failed) under one target.
    pub fn seen(&mut self, target: &str, objects: u64) {
        self.summary.objects_seen = self.summary.objects_seen.saturating_add(objects);
        let n = self
            .summary
            .by_target
            .entry(target.to_string())
            .or_default();
        *n = n.saturating_add(objects);
    }

    pub fn scanned(&mut self, class: Class, bytes_read: u64, unchanged: bool) {
        let s = &mut self.summary;
        s.objects_scanned = s.objects_scanned.saturating_add(1);
        s.bytes_read = s.bytes_read.saturating_add(bytes_read);
        s.unchanged = s.unchanged.saturating_add(u64::from(unchanged));
        s.by_class.add(class);
    }

    pub fn skipped(&mut self, reason: &str) {
        let n = self.summary.skipped.entry(reason.to_string()).or_default();
        *n = n.saturating_add(1);
    }

    pub fn finding(&mut self, finding: Finding) {
        self.summary.findings = self.summary.findings.saturating_add(1);
        self.summary.by_severity.add(finding.severity);
        if self.keep_lists {
            self.findings.push(finding);
        }
    }

    pub fn suppressed(&mut self, suppressed: Suppressed) {
        self.summary.suppressed = self.summary.suppressed.saturating_add(1);
        if self.keep_lists {
            self.suppressed.push(suppressed);
        }
    }

    pub fn error(&mut self, error: ErrorEntry) {
        self.summary.errors = self.summary.errors.saturating_add(1);
        if self.keep_lists {
            self.errors.push(error);
        }
    }

    /// An error of the run itself (a walk that stopped, state that could
    /// not be saved): an error entry, and no object.
    pub fn run_error(&mut self, error: ErrorEntry) {
        self.summary.run_errors = self.summary.run_errors.saturating_add(1);
        self.error(error);
    }

    pub fn limit(&mut self, limit: LimitEntry) {
        self.summary.limits_hit = self.summary.limits_hit.saturating_add(1);
        if self.keep_lists {
            self.limits.push(limit);
        }
    }

    pub fn object(&mut self, object: ObjectEntry) {
        if let Some(objects) = &mut self.objects {
            objects.push(object);
        }
    }

    /// Adds a whole report (a shard's, for `merge`): its counts that are
    /// not derived from its lists, then every entry of its lists.
    pub fn add_report(&mut self, r: Report) {
        let (a, b) = (&mut self.summary, &r.summary);
        for (x, y) in [
            (&mut a.objects_seen, b.objects_seen),
            (&mut a.objects_scanned, b.objects_scanned),
            (&mut a.bytes_read, b.bytes_read),
            (&mut a.requests, b.requests),
            (&mut a.unchanged, b.unchanged),
            (&mut a.run_errors, b.run_errors),
        ] {
            *x = x.saturating_add(y);
        }
        for (k, n) in &b.skipped {
            let v = a.skipped.entry(k.clone()).or_default();
            *v = v.saturating_add(*n);
        }
        for (k, n) in &b.by_target {
            let v = a.by_target.entry(k.clone()).or_default();
            *v = v.saturating_add(*n);
        }
        let (x, y) = (&mut a.by_class, &b.by_class);
        for (p, q) in [
            (&mut x.audio, y.audio),
            (&mut x.biometric, y.biometric),
            (&mut x.encrypted, y.encrypted),
            (&mut x.compressed, y.compressed),
            (&mut x.other, y.other),
        ] {
            *p = p.saturating_add(q);
        }
        // Suppressed findings of older reports exist only as a count.
        let unlisted = b.suppressed.saturating_sub(r.suppressed.len() as u64);
        a.suppressed = a.suppressed.saturating_add(unlisted);
        r.findings.into_iter().for_each(|f| self.finding(f));
        r.suppressed.into_iter().for_each(|s| self.suppressed(s));
        r.errors.into_iter().for_each(|e| self.error(e));
        r.limits.into_iter().for_each(|l| self.limit(l));
        if let Some(objects) = r.objects {
            self.objects.get_or_insert_with(Vec::new).extend(objects);
        }
    }

    pub fn missing_shards(&mut self, shards: Vec<String>) {
        self.missing_shards = shards;
    }

    /// Sorts, removes duplicates and recounts what the lists describe.
    pub fn finish(mut self, run: RunInfo) -> Report {
        // The size is part of what tells two members apart: a member named
        // `a.zip!/b.wav` and member `b.wav` of a nested `a.zip` share their
        // chain, and both are listed.
        // Keys borrow: a sort of 200,000 findings compares them some 3.5
        // million times, and a key that cloned would allocate three
        // strings each time.
        fn key(f: &Finding) -> (&str, Option<&str>, &str, u64) {
            (&f.location, f.member.as_deref(), &f.rule, f.size)
        }
        if self.keep_lists {
            self.findings.sort_by(|a, b| key(a).cmp(&key(b)));
            self.findings.dedup_by(|a, b| key(a) == key(b));
            self.suppressed
                .sort_by(|a, b| key(&a.finding).cmp(&key(&b.finding)));
            self.suppressed
                .dedup_by(|a, b| key(&a.finding) == key(&b.finding));
            // Every error stays, one per object seen: an inventory that lists
            // one key twice has two objects fail, and the counts reconcile.
            self.errors
                .sort_by(|a, b| (&a.location, &a.message).cmp(&(&b.location, &b.message)));
            fn lkey(l: &LimitEntry) -> (&str, Option<&str>, &str) {
                (&l.location, l.member.as_deref(), &l.limit)
            }
            self.limits.sort_by(|a, b| lkey(a).cmp(&lkey(b)));
            self.limits.dedup_by(|a, b| lkey(a) == lkey(b));
            let s = &mut self.summary;
            s.findings = self.findings.len() as u64;
            s.by_severity = Default::default();
            for f in &self.findings {
                s.by_severity.add(f.severity);
            }
            let listed = self.suppressed.len() as u64;
            s.suppressed = s.suppressed.max(listed);
            s.errors = self.errors.len() as u64;
            s.limits_hit = self.limits.len() as u64;
        }
        if let Some(objects) = &mut self.objects {
            fn key(o: &ObjectEntry) -> (&String, &Option<String>, Option<u64>) {
                (&o.location, &o.member, o.size)
            }
            objects.sort_by(|a, b| key(a).cmp(&key(b)));
            objects.dedup_by(|a, b| key(a) == key(b));
        }
        for reason in SKIP_REASONS {
            self.summary.skipped.entry(reason.to_string()).or_default();
        }
        self.summary.requests = self.summary.requests.saturating_add(run.requests);
        let interrupted = run.stopped_by.is_some();
        Report {
            schema: SCHEMA.to_string(),
            tool: Tool {
                name: "atrest".into(),
                version: env!("CARGO_PKG_VERSION").into(),
            },
            rules: run.rules,
            targets: run.targets,
            started_at: rfc3339(run.started),
            finished_at: rfc3339(run.finished),
            complete: self.summary.errors == 0 && !interrupted && self.missing_shards.is_empty(),
            interrupted,
            stopped_by: run.stopped_by,
            shard: run.shard,
            scan_id: run.scan_id,
            missing_shards: self.missing_shards,
            summary: self.summary,
            findings: self.findings,
            suppressed: self.suppressed,
            exposure: run.exposure,
            errors: self.errors,
            limits: self.limits,
            objects: self.objects,
        }
    }
}

pub fn rfc3339(t: SystemTime) -> String {
    humantime::format_rfc3339_seconds(t).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_object_listed_twice_that_fails_twice_is_two_errors() {
        let mut builder = ReportBuilder::new(true, false);
        builder.seen("s3://b", 2);
        for _ in 0..2 {
            builder.error(ErrorEntry {
                location: "s3://b/k.wav".into(),
                message: "not found".into(),
            });
        }
        let report = builder.finish(RunInfo {
            rules: RulesInfo {
                source: "embedded:default".into(),
                sha256: String::new(),
            },
            targets: vec!["s3://b".into()],
            started: SystemTime::UNIX_EPOCH,
            finished: SystemTime::UNIX_EPOCH,
            stopped_by: None,
            shard: None,
            scan_id: String::new(),
            requests: 0,
            exposure: BTreeMap::new(),
        });
        let s = &report.summary;
        assert_eq!((s.objects_seen, s.errors, report.errors.len()), (2, 2, 2));
    }
}
