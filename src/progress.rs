//! The progress bar: stderr only, and only when wanted (a terminal, or
//! `--progress always`). Workers only bump counters; indicatif draws at its
//! own rate, so the bar costs nothing when hidden.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use indicatif::{HumanBytes, ProgressBar, ProgressDrawTarget, ProgressStyle};

pub struct Progress {
    bar: Option<ProgressBar>,
    started: Instant,
    objects: AtomicU64,
    bytes: AtomicU64,
    /// Findings before suppression (the report's count is the one that counts).
    findings: AtomicU64,
}

impl Progress {
    pub fn new(show: bool) -> Progress {
        let bar = show.then(|| {
            let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr_with_hz(8));
            bar.set_style(
                ProgressStyle::with_template("{spinner} {pos} objects  {msg}  {elapsed}")
                    .unwrap_or_else(|_| ProgressStyle::default_spinner()),
            );
            bar.enable_steady_tick(Duration::from_millis(125));
            bar
        });
        Progress {
            bar,
            started: Instant::now(),
            objects: AtomicU64::new(0),
            bytes: AtomicU64::new(0),
            findings: AtomicU64::new(0),
        }
    }

    /// One more object done, with the bytes it read and its findings.
    pub fn object(&self, bytes: u64, findings: u64) {
        let n = self.objects.fetch_add(1, Ordering::Relaxed) + 1;
        let bytes = self.bytes.fetch_add(bytes, Ordering::Relaxed) + bytes;
        self.findings.fetch_add(findings, Ordering::Relaxed);
        if let Some(bar) = &self.bar {
            bar.inc(1);
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
    }

    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }

    pub fn elapsed(&self) -> Duration {
        self.started.elapsed()
    }
}
