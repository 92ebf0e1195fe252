//! The robustness proof: no input can kill, hang or blind a scan.
//!
//! `tests/hostile/make.py` writes the attacker's corpus (7z headers declaring
//! exabytes, tar headers that loop, thousands of nested frames, zip bombs,
//! media and document structures that lie about their sizes, encoded-text
//! bombs) beside a copy of the repository's fixtures, plus a FIFO made here.
//! The real binary scans that whole tree in ONE run, and the test asserts:
//!
//! (a) every object's inspection ends within 1 s. The report holds no
//!     per-object time, so the run uses a rules file with `[limits]
//!     max_seconds = 1` and one worker (`-j 1`) at `-vv`, which logs one line
//!     per object as it finishes: with a single worker the time between two
//!     such lines bounds the second object's inspection. The scanner checks
//!     its budget between bounded steps (a 64 KiB decoder call, a member, a
//!     sniff of at most 1 MiB), not preemptively, so an object that reports
//!     `max-time` may overshoot by one step, [`OVERSHOOT_SECONDS`]. A debug
//!     build gets that overshoot for every object: unoptimised decoders spend
//!     0.3-0.4 s of CPU on a 1 MiB bomb, which a loaded 2-core machine
//!     stretches past 1 s of wall time (`cargo test --release` holds every
//!     object to 1 s). The watchdog's "abandoned" error (a worker stuck for
//!     2 × max_seconds + 20 s) must never appear, and the whole run must end
//!     within [`MAX_WALL`];
//! (b) the scanner's peak resident memory stays within 128 MB;
//! (c) every finding of a scan of `fixtures/` alone is still reported, with
//!     the same rule and location, under the copy in the hostile tree;
//! (d) the exit status is 1: the scan is complete (no `errors` entry: every
//!     hostile object ends in a finding, a limit or a clean verdict, none is
//!     unreadable), and the fixtures hold findings at or above `high`.
//!
//! Needs python3 (the generator and the memory probe); without it the test
//! says so on stderr and passes.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use serde_json::Value;

/// Per-object time budget given to the scanner, and asserted.
const OBJECT_SECONDS: f64 = 1.0;
/// How far past the budget an object that reports `max-time` may run: the
/// deadline is checked between reads and members, so one step can finish.
const OVERSHOOT_SECONDS: f64 = 1.0;
/// Peak resident set of the scanner process.
const MAX_RSS_KB: u64 = 128 * 1000;
/// The whole run, debug build, one worker, a shared 2-core machine.
const MAX_WALL: Duration = Duration::from_secs(60);
/// The probe kills the scanner past this (a hang must fail, not block CI).
const KILL_AFTER_SECONDS: u64 = 180;

/// Runs `argv` and records the peak RSS of the process it waited for.
///
/// Why Python and not `/usr/bin/time -f %M`: GNU time is its own Debian
/// package (`time`), absent from a clean CI image, while python3 is already
/// needed for the generator. `getrusage(RUSAGE_CHILDREN).ru_maxrss` is the
/// largest peak RSS among the waited-for children (KB on Linux; the probe
/// itself is not counted), and the crate forbids the `unsafe` a direct
/// `wait4` call would need. The probe also kills the scanner after
/// [`KILL_AFTER_SECONDS`] (exit 124), so a hang fails the test.
const RSS_PROBE: &str = r#"
import resource, subprocess, sys
try:
    code = subprocess.run(sys.argv[3:], timeout=int(sys.argv[2])).returncode
except subprocess.TimeoutExpired:
    code = 124
code = code if code >= 0 else 128 - code
with open(sys.argv[1], "w") as f:
    f.write(str(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss))
sys.exit(code)
"#;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn have_python() -> bool {
    Command::new("python3")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

fn json(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{e}: stdout {:?}, stderr {}",
            String::from_utf8_lossy(&out.stdout[..out.stdout.len().min(2000)]),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

/// The scan both runs make, with the 1 s rules file.
fn scan_args(rules: &Path, target: &Path) -> Vec<String> {
    [
        "scan",
        &target.to_string_lossy(),
        "--format",
        "json",
        "--inventory",
        "--rules",
        &rules.to_string_lossy(),
        "--progress",
        "never",
        "-j",
        "1",
        "-vv",
    ]
    .map(str::to_string)
    .to_vec()
}

/// (rule, location below `prefix`, member) of every finding.
fn findings(report: &Value, prefix: &str) -> BTreeSet<(String, String, String)> {
    let s = |v: &Value| v.as_str().unwrap_or_default().to_string();
    report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            let location = s(&f["location"]);
            let rel = location
                .strip_prefix(prefix)
                .map(|r| r.trim_start_matches('/'))
                .unwrap_or(&location)
                .to_string();
            (s(&f["rule"]), rel, s(&f["member"]))
        })
        .collect()
}

/// Seconds since midnight of a log line's RFC 3339 timestamp
/// (`2026-11-30T12:40:00.123456Z DEBUG ...`).
fn stamp(line: &str) -> Option<f64> {
    let time = line.split_whitespace().next()?.split('T').nth(1)?;
    let time = time.trim_end_matches('Z');
    let mut parts = time.split(':');
    let h: f64 = parts.next()?.parse().ok()?;
    let m: f64 = parts.next()?.parse().ok()?;
    let s: f64 = parts.next()?.parse().ok()?;
    Some(h * 3600.0 + m * 60.0 + s)
}

/// The value of `key=` in a compact log line (up to the next ` key=`).
fn field(line: &str, key: &str) -> Option<String> {
    let start = line.find(&format!(" {key}="))? + key.len() + 2;
    let rest = &line[start..];
    let end = rest
        .match_indices(' ')
        .find(|(i, _)| {
            let after = &rest[i + 1..];
            after.split_once('=').is_some_and(|(k, _)| {
                !k.is_empty() && k.bytes().all(|c| c.is_ascii_lowercase() || c == b'_')
            })
        })
        .map_or(rest.len(), |(i, _)| i);
    Some(rest[..end].to_string())
}

/// How long each object took: the gap between its "object" log line and the
/// previous one (the first counts from "walk started"), in finishing order.
fn object_times(stderr: &str) -> Vec<(String, f64)> {
    let mut last = None;
    let mut times = Vec::new();
    for line in stderr.lines() {
        let is_object = line.contains(" object location=") || line.contains(" object not read");
        if !is_object && !line.contains("walk started") {
            continue;
        }
        let Some(t) = stamp(line) else { continue };
        if let (true, Some(prev)) = (is_object, last) {
            // A run that crosses midnight starts the clock again.
            let gap = if t >= prev {
                t - prev
            } else {
                t + 86400.0 - prev
            };
            let location = field(line, "location").unwrap_or_else(|| line.to_string());
            times.push((location, gap));
        }
        last = Some(t);
    }
    times
}

struct Run {
    out: Output,
    wall: Duration,
    rss_kb: u64,
}

/// One scan of `target` under the memory probe.
fn scan(dir: &Path, rules: &Path, target: &Path) -> Run {
    let rss_file = dir.join(format!("rss-{}", std::process::id()));
    let started = Instant::now();
    let out = Command::new("python3")
        .arg("-c")
        .arg(RSS_PROBE)
        .arg(&rss_file)
        .arg(KILL_AFTER_SECONDS.to_string())
        .arg(env!("CARGO_BIN_EXE_atrest"))
        .args(scan_args(rules, target))
        .current_dir(root())
        .env("SOURCE_DATE_EPOCH", "1700000000")
        .env_remove("ATREST_LOG")
        .env_remove("RUST_LOG")
        .output()
        .expect("python3 runs");
    let wall = started.elapsed();
    let rss_kb = fs::read_to_string(&rss_file)
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or_else(|| panic!("no peak RSS from the probe; exit {:?}", out.status));
    Run { out, wall, rss_kb }
}

#[test]
fn no_input_kills_hangs_or_blinds_a_scan() {
    if !have_python() {
        eprintln!("python3 is missing: the hostile tree cannot be made; test skipped");
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let tree = dir.path().join("tree");
    let made = Command::new("python3")
        .arg(root().join("tests/hostile/make.py"))
        .arg(&tree)
        .arg("--fixtures")
        .arg(root().join("fixtures"))
        .output()
        .expect("python3 runs");
    assert!(
        made.status.success(),
        "make.py: {}",
        String::from_utf8_lossy(&made.stderr)
    );
    // A FIFO nobody writes to: opening it for reading would block forever.
    let fifo = Command::new("python3")
        .args(["-c", "import os, sys; os.mkfifo(sys.argv[1])"])
        .arg(tree.join("misc/fifo.wav"))
        .status()
        .expect("python3 runs");
    assert!(fifo.success());
    let rules = dir.path().join("rules.toml");
    fs::write(
        &rules,
        format!("extends = \"default\"\n\n[limits]\nmax_seconds = {OBJECT_SECONDS:.1}\n"),
    )
    .unwrap();

    let alone = scan(dir.path(), &rules, Path::new("fixtures"));
    let alone_report = json(&alone.out);
    let hostile = scan(dir.path(), &rules, &tree);
    let report = json(&hostile.out);
    let stderr = String::from_utf8_lossy(&hostile.out.stderr);
    let summary = &report["summary"];
    let times = object_times(&stderr);
    let slowest = times
        .iter()
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .cloned()
        .unwrap_or_default();
    eprintln!(
        "hostile tree: exit {:?}, {:.1} s, peak RSS {} KB, {} objects timed (slowest {:.3} s: {}), \
         summary {summary}; fixtures alone: {:.1} s, peak RSS {} KB",
        hostile.out.status.code(),
        hostile.wall.as_secs_f64(),
        hostile.rss_kb,
        times.len(),
        slowest.1,
        slowest.0,
        alone.wall.as_secs_f64(),
        alone.rss_kb,
    );

    // (a) time: every object, and the run as a whole.
    let seen = summary["objects_seen"].as_u64().unwrap();
    assert!(
        times.len() as u64 >= seen,
        "{} object log lines for {seen} objects: cannot time every object",
        times.len()
    );
    let timed_out: BTreeSet<String> = report["limits"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|l| l["limit"] == "max-time")
        .map(|l| l["location"].as_str().unwrap().to_string())
        .collect();
    let slow: Vec<_> = times
        .iter()
        .filter(|(location, secs)| {
            let allowed = if timed_out.contains(location) || cfg!(debug_assertions) {
                OBJECT_SECONDS + OVERSHOOT_SECONDS
            } else {
                OBJECT_SECONDS
            };
            *secs > allowed
        })
        .collect();
    assert!(slow.is_empty(), "objects over their time budget: {slow:?}");
    let over: Vec<_> = times.iter().filter(|t| t.1 > OBJECT_SECONDS).collect();
    if !over.is_empty() {
        eprintln!("over {OBJECT_SECONDS} s but within the overshoot: {over:?}");
    }
    let abandoned: Vec<_> = report["errors"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["message"].as_str().unwrap_or("").contains("abandoned"))
        .collect();
    assert!(abandoned.is_empty(), "stuck workers: {abandoned:?}");
    assert!(
        hostile.wall <= MAX_WALL,
        "the whole run took {:?}",
        hostile.wall
    );

    // (b) memory.
    assert!(
        hostile.rss_kb <= MAX_RSS_KB,
        "peak RSS {} KB over {MAX_RSS_KB} KB",
        hostile.rss_kb
    );

    // (c) nothing the fixtures alone show is lost among hostile neighbours.
    let expected = findings(&alone_report, "fixtures");
    assert!(!expected.is_empty(), "the fixtures alone found nothing");
    let tree_prefix = format!("{}/fixtures", tree.to_string_lossy());
    let got = findings(&report, &tree_prefix);
    let lost: Vec<_> = expected.difference(&got).collect();
    eprintln!(
        "fixture findings: {} alone, {} of them in the hostile run",
        expected.len(),
        expected.len() - lost.len()
    );
    assert!(
        lost.is_empty(),
        "{} of {} fixture findings lost in the hostile run: {lost:?}",
        lost.len(),
        expected.len()
    );

    // (d) complete, with findings: exit 1.
    let errors: BTreeMap<&str, &str> = report["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["location"].as_str().unwrap_or(""),
                e["message"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(
        hostile.out.status.code(),
        Some(1),
        "errors: {errors:?}; stderr tail: {}",
        stderr.lines().rev().take(5).collect::<Vec<_>>().join("\n")
    );
    assert_eq!(report["complete"], true);
}
