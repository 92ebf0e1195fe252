//! The parallel driver: the only module that knows sources, sniffing, rules
//! and reports. One producer walks the targets into a bounded channel; rayon
//! workers, each with its own reusable buffers, read a bounded sample of every
//! object and sniff it; one owner builds the sorted [`Report`] at the end.

use std::collections::HashSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use rayon::prelude::*;

use crate::progress::Progress;

use crate::report::{ErrorEntry, ObjectEntry, Report, Summary};
use crate::rules::RuleSet;
use crate::sniff::HEAD_LEN;
use crate::source::bucket::{Archived, Bucket, Wire};
use crate::source::fs::{self, LocalFile, Opened, WalkOptions};
use crate::source::{Candidate, Event, Origin, SkipReason, Unread};
use crate::state::State;

pub mod inspect;
pub mod verdict;

pub(crate) use inspect::{apply_facts, inspect, Inspection};
pub(crate) use verdict::{judge, Verdict};

/// One thing to scan: a local path or a connected bucket.
#[derive(Clone, Debug)]
pub enum Target {
    Local(String),
    Bucket(Arc<Bucket>),
}

impl Target {
    pub fn name(&self) -> String {
        match self {
            Target::Local(path) => path.clone(),
            Target::Bucket(b) => b.url.to_string(),
        }
    }
}

/// Settled options of one scan.
#[derive(Clone, Debug)]
pub struct ScanOptions {
    pub targets: Vec<Target>,
    /// The HTTP layer shared by all buckets (counts every request).
    pub wire: Option<Arc<Wire>>,
    /// `--state`: verdicts of unchanged objects are reused, not re-read.
    pub state: Option<Arc<State>>,
    pub walk: WalkOptions,
    pub threads: usize,
    pub max_archive_depth: u32,
    pub inventory: bool,
}

/// Per-worker state, built once per thread.
struct Worker {
    head: Vec<u8>,
    /// Keep inventory entries (`--inventory`, or `--state`, which stores them).
    inventory: bool,
}

/// The outcome for one object, collected from the workers.
enum Outcome {
    Scanned {
        location: String,
        /// What `--state` remembers the object by (size, mtime, ETag …).
        version: Option<String>,
        verdict: Verdict,
        bytes_read: u64,
        /// Taken from `--state`: unchanged since the last run, not read.
        unchanged: bool,
    },
    Unread(Unread),
}

impl Outcome {
    fn scanned(
        candidate: Candidate,
        inspection: &Inspection,
        rules: &RuleSet,
        inventory: bool,
    ) -> Outcome {
        let verdict = judge(&candidate, inspection, rules, inventory);
        Outcome::Scanned {
            location: candidate.location,
            version: candidate.version,
            verdict,
            bytes_read: inspection.bytes_read,
            unchanged: false,
        }
    }
}

/// Runs a scan to completion and returns the finished, sorted report.
pub fn run(
    opts: &ScanOptions,
    rules: &RuleSet,
    baseline: &HashSet<String>,
    progress: &Progress,
) -> Report {
    let state = opts.state.as_deref();
    let started = now();
    let (tx, rx) = crossbeam_channel::bounded::<Event>(opts.threads.max(1) * 64);
    let outcomes = Mutex::new(Vec::new());
    let bytes = AtomicU64::new(0);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(opts.threads.max(1))
        .build();
    let work = || {
        rx.into_iter().par_bridge().for_each_init(
            || Worker {
                head: Vec::with_capacity(HEAD_LEN),
                inventory: opts.inventory || opts.state.is_some(),
            },
            |worker, event| {
                let outcome = match event {
                    Event::Object(candidate) => match remembered(state, &candidate) {
                        Some(verdict) => Outcome::Scanned {
                            location: candidate.location,
                            version: candidate.version,
                            verdict,
                            bytes_read: 0,
                            unchanged: true,
                        },
                        None => scan_one(candidate, worker, rules, opts.max_archive_depth),
                    },
                    Event::Unread(unread) => Outcome::Unread(unread),
                };
                if let Outcome::Scanned {
                    verdict,
                    bytes_read,
                    ..
                } = &outcome
                {
                    bytes.fetch_add(*bytes_read, Ordering::Relaxed);
                    progress.findings(verdict.findings.len() as u64);
                }
                progress.object(bytes.load(Ordering::Relaxed));
                outcomes
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .push(outcome);
            },
        )
    };
    std::thread::scope(|scope| {
        scope.spawn(|| {
            for target in &opts.targets {
                let mut send = |event| {
                    let _ = tx.send(event);
                };
                match target {
                    Target::Local(path) => fs::walk(path, &opts.walk, &mut send),
                    Target::Bucket(bucket) => bucket.list(&opts.walk, &mut send),
                }
            }
            drop(tx);
        });
        match &pool {
            Ok(pool) => pool.install(work),
            Err(_) => work(),
        }
    });
    progress.finish();
    let outcomes = outcomes.into_inner().unwrap_or_else(|e| e.into_inner());
    build_report(opts, rules, baseline, outcomes, started)
}

/// The stored verdict of an object unchanged since the last run, if any.
fn remembered(state: Option<&State>, candidate: &Candidate) -> Option<Verdict> {
    let version = candidate.version.as_deref()?;
    state?.lookup(&candidate.location, version)
}

fn scan_one(candidate: Candidate, worker: &mut Worker, rules: &RuleSet, depth: u32) -> Outcome {
    match candidate.origin.clone() {
        Origin::Local(path) => scan_local(candidate, &path, worker, rules, depth),
        Origin::Remote(bucket, key) => {
            let mut object = bucket.open(&key, candidate.size);
            let size = candidate.size;
            match inspect(
                &mut object,
                size,
                &candidate.rel,
                &mut worker.head,
                rules,
                depth,
            ) {
                Ok(mut inspection) => {
                    apply_facts(&mut inspection, &object.facts());
                    Outcome::scanned(candidate, &inspection, rules, worker.inventory)
                }
                Err(e) if e.get_ref().is_some_and(|r| r.is::<Archived>()) => {
                    Outcome::Unread(Unread::Skipped {
                        reason: SkipReason::StorageClass,
                        location: candidate.location,
                    })
                }
                Err(e) => Outcome::Unread(Unread::Failed {
                    location: candidate.location,
                    message: e.to_string(),
                }),
            }
        }
    }
}

fn scan_local(
    candidate: Candidate,
    path: &std::path::Path,
    worker: &mut Worker,
    rules: &RuleSet,
    depth: u32,
) -> Outcome {
    let failed = |c: Candidate, e: &std::io::Error| {
        Outcome::Unread(Unread::Failed {
            location: c.location,
            message: fs::io_message(e),
        })
    };
    match LocalFile::open(path) {
        Ok(Opened::File(mut file, size)) => {
            match inspect(
                &mut file,
                size,
                &candidate.rel,
                &mut worker.head,
                rules,
                depth,
            ) {
                Ok(inspection) => {
                    let candidate = Candidate { size, ..candidate };
                    Outcome::scanned(candidate, &inspection, rules, worker.inventory)
                }
                Err(e) => failed(candidate, &e),
            }
        }
        Ok(Opened::NotRegular) => Outcome::Unread(Unread::Skipped {
            reason: SkipReason::SpecialFile,
            location: candidate.location,
        }),
        Err(e) => failed(candidate, &e),
    }
}

fn now() -> SystemTime {
    // SOURCE_DATE_EPOCH pins the timestamps, so reports can be compared byte for byte.
    std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|s| s.parse::<u64>().ok())
        .map(|s| SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(s))
        .unwrap_or_else(SystemTime::now)
}

fn build_report(
    opts: &ScanOptions,
    rules: &RuleSet,
    baseline: &HashSet<String>,
    outcomes: Vec<Outcome>,
    started: SystemTime,
) -> Report {
    let mut summary = Summary::default();
    let mut findings = Vec::new();
    let mut errors = Vec::new();
    let mut limits = Vec::new();
    let mut objects = Vec::new();
    let mut fresh = Vec::new();
    for outcome in outcomes {
        summary.objects_seen += 1;
        match outcome {
            Outcome::Unread(Unread::Skipped { reason, location }) => {
                *summary
                    .skipped
                    .entry(reason.as_str().to_string())
                    .or_default() += 1;
                if opts.inventory {
                    objects.push(ObjectEntry::skipped(location, reason.as_str()));
                }
            }
            Outcome::Unread(Unread::Failed { location, message }) => {
                errors.push(ErrorEntry { location, message })
            }
            Outcome::Scanned {
                location,
                version,
                verdict,
                bytes_read,
                unchanged,
            } => {
                summary.objects_scanned += 1;
                summary.bytes_read += bytes_read;
                summary.unchanged += u64::from(unchanged);
                summary.by_class.add(verdict.class);
                summary.suppressed += verdict.allowed;
                // Only `--state` keeps fresh verdicts (a copy per object otherwise wasted).
                if let (Some(version), false, true) = (version, unchanged, opts.state.is_some()) {
                    fresh.push((location, version, verdict.clone()));
                }
                for finding in verdict.findings {
                    if baseline.contains(&finding.fingerprint) {
                        summary.suppressed += 1;
                    } else {
                        findings.push(finding);
                    }
                }
                if opts.inventory {
                    objects.extend(verdict.objects);
                }
                limits.extend(verdict.limits);
            }
        }
    }
    for reason in ["special-file", "symlink", "storage-class", "excluded"] {
        summary.skipped.entry(reason.to_string()).or_default();
    }
    findings
        .sort_by(|a, b| (&a.location, &a.member, &a.rule).cmp(&(&b.location, &b.member, &b.rule)));
    errors.sort_by(|a, b| a.location.cmp(&b.location));
    limits.sort_by(|a, b| {
        (&a.location, &a.member, &a.limit).cmp(&(&b.location, &b.member, &b.limit))
    });
    objects.sort_by(|a, b| (&a.location, &a.member).cmp(&(&b.location, &b.member)));
    summary.findings = findings.len() as u64;
    summary.errors = errors.len() as u64;
    summary.limits_hit = limits.len() as u64;
    for f in &findings {
        summary.by_severity.add(f.severity);
    }
    if let Some(state) = &opts.state {
        // Not an object's failure: the next run simply reads these again.
        if let Err(e) = state.remember(&fresh) {
            eprintln!("atrest: warning: {e}");
        }
    }
    if let Some(wire) = &opts.wire {
        // Every HTTP request, listing pages and retries included.
        summary.requests = wire.requests();
    }
    let targets: Vec<String> = opts.targets.iter().map(Target::name).collect();
    Report::new(
        rules,
        &targets,
        started,
        now(),
        summary,
        findings,
        errors,
        limits,
        opts.inventory.then_some(objects),
    )
}
