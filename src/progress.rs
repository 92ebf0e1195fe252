//! The progress bar: stderr only, and only when wanted (a terminal, or
//! `--progress always`). Workers and the walk only bump counters; indicatif
//! draws at its own rate. A hidden bar counts nothing: counters shared by
//! every worker would pass their cache line between cores on every object.
//!
//! The total is what the walk (or listing) has found so far, shown as
//! `found+` while it goes on; once it ends the total is known and the bar
//! shows an ETA.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use indicatif::{HumanBytes, ProgressBar, ProgressDrawTarget, ProgressStyle};

pub struct Progress {
    bar: Option<ProgressBar>,
    started: Instant,
    objects: AtomicU64,
    /// Objects the walk or listing has found so far.
    found: AtomicU64,
    walk_done: AtomicBool,
    bytes: AtomicU64,
    /// Findings before suppression (the report's count is the one that counts).
    findings: AtomicU64,
}

const WALKING: &str = "{spinner} {pos}/{len}+ objects  {msg}  {elapsed}";
const KNOWN: &str = "{spinner} {bar:20} {pos}/{len} objects  {msg}  {elapsed}, ETA {eta}";

fn style(template: &str) -> ProgressStyle {
    ProgressStyle::with_template(template).unwrap_or_else(|_| ProgressStyle::default_spinner())
}

impl Progress {
    pub fn new(show: bool) -> Progress {
        let bar = show.then(|| {
            let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr_with_hz(8));
            bar.set_style(style(WALKING));
            bar.enable_steady_tick(Duration::from_millis(125));
            bar
        });
        Progress {
            bar,
            started: Instant::now(),
            objects: AtomicU64::new(0),
            found: AtomicU64::new(0),
            walk_done: AtomicBool::new(false),
            bytes: AtomicU64::new(0),
            findings: AtomicU64::new(0),
        }
    }

    /// The walk found one more object (it may still be skipped).
    pub fn found(&self) {
        let Some(bar) = &self.bar else {
            return;
        };
        let n = self.found.fetch_add(1, Ordering::Relaxed) + 1;
        if n % 64 == 1 {
            bar.set_length(n);
        }
    }

    /// The walk is over: the total is known from here on.
    pub fn walk_done(&self) {
        self.walk_done.store(true, Ordering::Relaxed);
        if let Some(bar) = &self.bar {
            bar.set_length(self.found.load(Ordering::Relaxed));
            bar.set_style(style(KNOWN));
        }
    }

    /// One more object done, with the bytes it read and its findings.
    pub fn object(&self, bytes: u64, findings: u64) {
        let Some(bar) = &self.bar else {
            return;
        };
        let n = self.objects.fetch_add(1, Ordering::Relaxed) + 1;
        let bytes = self.bytes.fetch_add(bytes, Ordering::Relaxed) + bytes;
        self.findings.fetch_add(findings, Ordering::Relaxed);
        bar.inc(1);
        if !self.walk_done.load(Ordering::Relaxed) {
            let found = self.found.load(Ordering::Relaxed);
            if bar.length().is_some_and(|l| l < found) {
                bar.set_length(found);
            }
        }
        if n % 16 == 1 {
            let secs = self.started.elapsed().as_secs_f64().max(0.001);
            bar.set_message(format!(
                "{} read  {:.0} objects/s  {}/s  {} findings",
                HumanBytes(bytes),
                n as f64 / secs,
                HumanBytes((bytes as f64 / secs) as u64),
                self.findings.load(Ordering::Relaxed)
            ));
        }
    }

    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            // The last frame, with the known total, is drawn whatever the
            // refresh rate let through: a scan shorter than one refresh
            // would otherwise end on the frame of an unfinished walk.
            if self.walk_done.load(Ordering::Relaxed) {
                bar.finish();
            }
            bar.finish_and_clear();
        }
    }

    pub fn elapsed(&self) -> Duration {
        self.started.elapsed()
    }
}
