//! The parallel driver: the only module that knows sources, sniffing, rules
//! and reports. One producer walks the targets into a bounded channel; rayon
//! workers, each with its own reusable buffers, read a bounded sample of every
//! object and sniff it; one owner builds the sorted [`Report`] at the end.

use std::collections::HashSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use rayon::prelude::*;

use crate::classify::classify;
use crate::progress::Progress;
use serde::{Deserialize, Serialize};

use crate::report::{ErrorEntry, Finding, LimitEntry, ObjectEntry, Report, Summary};
use crate::rules::RuleSet;
use crate::sniff::Class;
use crate::sniff::{self, Sample, Sniff, Window, HEAD_LEN};
use crate::source::bucket::{Archived, Bucket, StorageFacts, Wire};
use crate::source::fs::{self, LocalFile, Opened, WalkOptions};
use crate::source::{Candidate, Event, ObjectReader, Origin, SkipReason, Unread};
use crate::state::State;
use crate::unpack::{self, Inside};

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

/// At most this many sniff rounds per object: the head, then windows the
/// detectors asked for, then (rarely) windows at offsets learned in round two.
const MAX_ROUNDS: usize = 3;
/// At most this many extra windows per object: with the head, ≤ 256 KiB read.
const MAX_WINDOWS: usize = 3;

/// Per-worker state, built once per thread.
struct Worker {
    head: Vec<u8>,
    /// Keep inventory entries (`--inventory`, or `--state`, which stores them).
    inventory: bool,
}

/// What reading one object produced.
pub(crate) struct Inspection {
    pub sniff: Sniff,
    pub bytes_read: u64,
    pub inside: Inside,
}

/// Reads a bounded sample of one object and sniffs it, reading the extra
/// windows the detectors ask for. The byte budget is fixed whatever the size.
pub(crate) fn inspect(
    reader: &mut dyn ObjectReader,
    size: u64,
    name: &str,
    head: &mut Vec<u8>,
    rules: &RuleSet,
    max_depth: u32,
) -> std::io::Result<Inspection> {
    let head_len = size.min(HEAD_LEN as u64) as usize;
    head.clear();
    head.resize(head_len, 0);
    let n = reader.read_at(0, head)?;
    head.truncate(n);
    let mut bytes_read = n as u64;
    let mut windows: Vec<Window> = Vec::new();
    let mut sniffed = sniff::sniff(&Sample::new(size, head, &windows), &rules.signatures);
    for _ in 1..MAX_ROUNDS {
        let wants: Vec<_> = sniffed
            .wants
            .iter()
            .filter(|w| w.start < w.end && w.end <= size)
            .cloned()
            .collect();
        if wants.is_empty() || windows.len() >= MAX_WINDOWS {
            break;
        }
        for want in wants.into_iter().take(MAX_WINDOWS - windows.len()) {
            let mut bytes = vec![0u8; (want.end - want.start) as usize];
            let got = reader.read_at(want.start, &mut bytes)?;
            bytes.truncate(got);
            bytes_read += got as u64;
            windows.push(Window {
                offset: want.start,
                bytes,
            });
        }
        sniffed = sniff::sniff(&Sample::new(size, head, &windows), &rules.signatures);
    }
    sniffed.wants.clear();
    let inside = if max_depth > 0 {
        let sample = Sample::new(size, head, &windows);
        let mut extra = 0u64;
        let mut fetch = |offset: u64, len: usize| -> Option<Vec<u8>> {
            let mut buf = vec![0u8; len];
            let got = reader.read_at(offset, &mut buf).ok()?;
            buf.truncate(got);
            extra += got as u64;
            Some(buf)
        };
        let inside = unpack::look_inside(&sample, &sniffed, name, rules, max_depth, &mut fetch);
        bytes_read += extra;
        inside
    } else {
        Inside::default()
    };
    Ok(Inspection {
        sniff: sniffed,
        bytes_read,
        inside,
    })
}

/// Sniffs and unpacks an in-memory object with the embedded rules, for the
/// fuzz targets under `fuzz/` (which cannot reach crate-private items).
#[doc(hidden)]
pub fn fuzz_inspect(data: &[u8], declared_size: u64) {
    thread_local! {
        static RULES: RuleSet = RuleSet::embedded();
    }
    RULES.with(|rules| {
        let (mut head, mut reader) = (Vec::new(), data);
        let _ = inspect(&mut reader, declared_size, "fuzz", &mut head, rules, 3);
    });
}

impl Inspection {
    /// The object itself, then each member found inside it: (member, sniff, size).
    fn views(&self, size: u64) -> impl Iterator<Item = (Option<&str>, &Sniff, u64)> {
        std::iter::once((None, &self.sniff, size)).chain(
            self.inside
                .members
                .iter()
                .map(|m| (Some(m.member.as_str()), &m.sniff, m.size)),
        )
    }
}

/// What scanning one object concluded: all the report needs of it, small
/// enough to keep per object and to store in `--state` for the next run.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub(crate) struct Verdict {
    pub class: Class,
    /// Findings before the baseline (which may change between runs).
    pub findings: Vec<Finding>,
    /// Findings an allow-list of the rules suppressed.
    pub allowed: u64,
    /// The object and its members, for `--inventory`.
    pub objects: Vec<ObjectEntry>,
    pub limits: Vec<LimitEntry>,
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
    for (member, sniff, size) in inspection.views(candidate.size) {
        let path = member.map_or_else(
            || candidate.rel.clone(),
            |m| format!("{}!/{m}", candidate.rel),
        );
        for m in classify(sniff, &path, rules) {
            if m.allowed.is_some() {
                verdict.allowed += 1;
            } else {
                let finding = Finding::new(m.rule, &candidate.location, member, sniff, size);
                verdict.findings.push(finding);
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

/// Storage-level facts join the evidence of the object and of every member;
/// client-side envelope metadata proves the bytes are ciphertext.
fn apply_facts(inspection: &mut Inspection, facts: &StorageFacts) {
    let views = std::iter::once(&mut inspection.sniff)
        .chain(inspection.inside.members.iter_mut().map(|m| &mut m.sniff));
    for sniff in views {
        sniff.at_rest = facts.at_rest;
        if let Some(sse) = &facts.server_side {
            sniff
                .evidence
                .insert("server_side_encryption", sse.clone().into());
        } else if facts.at_rest == sniff::AtRest::None {
            sniff
                .evidence
                .insert("server_side_encryption", "none reported".into());
        }
        if let Some(key) = &facts.kms_key {
            sniff.evidence.insert("kms_key", key.clone().into());
        }
        if let Some(cse) = &facts.client_side {
            sniff
                .evidence
                .insert("client_side_encryption", cse.clone().into());
            sniff.class = sniff::Class::Encrypted;
            sniff.encryption = sniff::Encryption::Encrypted;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn storage_facts_reach_members_and_client_side_metadata_means_ciphertext() {
        let wav = || Sniff::new("wav", None, Class::Audio, sniff::Encryption::None);
        let mut inspection = Inspection {
            sniff: Sniff::new("zip", None, Class::Compressed, sniff::Encryption::None),
            bytes_read: 0,
            inside: Inside {
                members: vec![unpack::Member {
                    member: "a.wav".into(),
                    sniff: wav(),
                    size: 10,
                }],
                limits: Vec::new(),
            },
        };
        let kms = StorageFacts {
            at_rest: sniff::AtRest::Kms,
            server_side: Some("SSE-KMS".into()),
            kms_key: Some("arn:k".into()),
            client_side: None,
        };
        apply_facts(&mut inspection, &kms);
        let member = &inspection.inside.members[0].sniff;
        assert_eq!(member.at_rest, sniff::AtRest::Kms);
        assert_eq!(member.evidence["kms_key"], "arn:k");
        assert_eq!(
            member.class,
            Class::Audio,
            "SSE does not make plaintext safe"
        );
        let cse = StorageFacts {
            client_side: Some("S3 Encryption Client".into()),
            ..kms
        };
        apply_facts(&mut inspection, &cse);
        for s in [&inspection.sniff, &inspection.inside.members[0].sniff] {
            assert_eq!(
                (s.class, s.encryption),
                (Class::Encrypted, sniff::Encryption::Encrypted)
            );
        }
    }

    fn fixtures() -> Vec<Vec<u8>> {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
        walkdir::WalkDir::new(root)
            .into_iter()
            .filter_map(Result::ok)
            .filter(|e| e.file_type().is_file())
            .map(|e| std::fs::read(e.path()).unwrap())
            .collect()
    }

    /// Every detector and unpacker sees truncated and corrupted versions of
    /// every fixture, and of its own bytes under a wrong declared size: none
    /// may panic or read past its budget. (A cheap, deterministic stand-in for
    /// fuzzing that runs in every `cargo test`.)
    #[test]
    fn damaged_inputs_never_panic_or_overread() {
        let rules = RuleSet::embedded();
        let mut head = Vec::new();
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        // ATREST_MUTATION_ROUNDS=500 for a longer local run.
        let rounds: usize = std::env::var("ATREST_MUTATION_ROUNDS")
            .ok()
            .and_then(|r| r.parse().ok())
            .unwrap_or(6);
        let mut checked = 0;
        for original in fixtures() {
            let len = original.len();
            let mut variants: Vec<Vec<u8>> =
                [1, 7, 64, 300, len / 3, len / 2, len.saturating_sub(1)]
                    .iter()
                    .map(|&cut| original[..cut.min(len)].to_vec())
                    .collect();
            for round in 0..rounds {
                let mut v = original.clone();
                // Headers first; every few rounds anywhere in the object.
                let reach = if round % 3 == 2 {
                    v.len()
                } else {
                    v.len().min(4096)
                };
                for _ in 0..8 {
                    if !v.is_empty() {
                        let at = next() as usize % reach;
                        v[at] = next() as u8;
                    }
                }
                variants.push(v);
            }
            for v in variants {
                // The size a listing reports can disagree with the bytes there.
                for size in [v.len() as u64, v.len() as u64 * 3 + 17] {
                    let mut reader: &[u8] = &v;
                    let inspection = inspect(&mut reader, size, "x", &mut head, &rules, 3).unwrap();
                    assert!(
                        inspection.bytes_read <= 4 << 20,
                        "{}",
                        inspection.bytes_read
                    );
                    checked += 1;
                }
            }
        }
        assert!(checked > 1000, "{checked}");
    }
}
