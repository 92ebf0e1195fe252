//! Whether the endpoint answers, and the objects put off while it did not.
//!
//! A breaker: after [`TRIP_AFTER`] reads in a row get no answer (a
//! timeout, a refused or dropped connection, after object_store's own
//! retries) the endpoint is taken as not answering, and reads fail at once
//! instead of each waiting out its timeout. After a cool-off (5 s, doubling
//! up to a minute) one read goes through as a probe, and an answer closes
//! the breaker again: a busy or restarting endpoint is not given up for the
//! rest of a long run.
//!
//! An object whose read got no answer is put off, not reported. Once the
//! listing is done and every listed object is settled, the objects put off
//! are read once more, after the endpoint answers (waiting at most
//! [`LAST_WAIT`]). Only what fails then, or what is still put off when the
//! scan stops, is an error: an endpoint that stops answering for a while
//! costs time, not objects.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use super::Bucket;
use crate::source::Candidate;

/// Reads in a row without an answer that open the breaker.
const TRIP_AFTER: usize = 3;
/// The first cool-off; each probe without an answer doubles it.
const FIRST_COOL_OFF: Duration = Duration::from_secs(5);
const LONGEST_COOL_OFF: Duration = Duration::from_secs(60);
/// How long the final pass waits for the endpoint to answer again.
pub(super) const LAST_WAIT: Duration = Duration::from_secs(60);
/// How long the final pass waits for listed objects to settle while none
/// does (a read stuck past every timeout must not hold the run).
const SETTLE_WAIT: Duration = Duration::from_secs(120);
/// Objects put off at most; past this, a read without an answer is an
/// error at once (memory grows with errors, not with the bucket).
const MOST_PUT_OFF: usize = 100_000;

/// May this read go out?
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Admit {
    Go,
    /// The one read that tests a breaker whose cool-off is over.
    Probe,
    /// The endpoint is taken as not answering: fail without asking.
    Refuse,
}

#[derive(Debug, Default)]
struct Breaker {
    failing: usize,
    open_until: Option<Instant>,
    cool_off: Duration,
    probing: bool,
}

/// An object to read once more, and why its read failed.
#[derive(Debug)]
pub struct PutOff {
    pub candidate: Candidate,
    pub message: String,
}

#[derive(Debug, Default)]
pub(super) struct Health {
    breaker: Mutex<Breaker>,
    put_off: Mutex<Vec<PutOff>>,
    /// Objects listed and not yet settled (see [`Listed`]).
    outstanding: AtomicUsize,
    /// The final pass began: nothing more is put off.
    closing: AtomicBool,
    /// The breaker opened at least once.
    tripped: AtomicBool,
}

impl Health {
    fn breaker(&self) -> MutexGuard<'_, Breaker> {
        self.breaker.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn put_off(&self) -> MutexGuard<'_, Vec<PutOff>> {
        self.put_off.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(super) fn admit(&self) -> Admit {
        self.admit_at(Instant::now())
    }

    fn admit_at(&self, now: Instant) -> Admit {
        let mut b = self.breaker();
        match b.open_until {
            None => Admit::Go,
            Some(until) if now < until || b.probing => Admit::Refuse,
            Some(_) => {
                b.probing = true;
                Admit::Probe
            }
        }
    }

    /// The endpoint answered (whatever it said).
    pub(super) fn answered(&self) {
        let mut b = self.breaker();
        if b.open_until.is_some() {
            tracing::info!("the endpoint answers again");
        }
        *b = Breaker::default();
    }

    /// The endpoint stopped answering at least once in this run.
    pub(super) fn tripped(&self) -> bool {
        self.tripped.load(Ordering::Relaxed)
    }

    /// A read got no answer; `probe` when it was the breaker's probe.
    /// `true` when this opened the breaker for the first time in the run.
    pub(super) fn unanswered(&self, probe: bool) -> bool {
        self.unanswered_at(probe, Instant::now())
    }

    fn unanswered_at(&self, probe: bool, now: Instant) -> bool {
        let mut b = self.breaker();
        if probe {
            b.probing = false;
            b.cool_off = (b.cool_off * 2).min(LONGEST_COOL_OFF);
            b.open_until = Some(now + b.cool_off);
            return false;
        }
        b.failing += 1;
        if b.failing < TRIP_AFTER || b.open_until.is_some() {
            return false;
        }
        tracing::info!("the endpoint stopped answering");
        b.cool_off = FIRST_COOL_OFF;
        b.open_until = Some(now + FIRST_COOL_OFF);
        !self.tripped.swap(true, Ordering::Relaxed)
    }

    /// Takes `candidate` to read again later; gives it back when it cannot
    /// be (the final pass began, or too many are put off already).
    pub fn put_off_one(&self, candidate: Candidate, message: String) -> Result<(), Candidate> {
        if self.closing.load(Ordering::Relaxed) {
            return Err(candidate);
        }
        let mut all = self.put_off();
        if all.len() >= MOST_PUT_OFF {
            return Err(candidate);
        }
        all.push(PutOff { candidate, message });
        Ok(())
    }

    /// Ends putting off and waits, while the scan goes on and objects keep
    /// settling, until every listed object is settled or put off; then
    /// hands over what was put off.
    pub(super) fn close(&self, going_on: &dyn Fn() -> bool) -> Vec<PutOff> {
        let mut last = (usize::MAX, Instant::now());
        loop {
            let left = {
                let all = self.put_off();
                // Read under the lock: putting one off does not change
                // `outstanding`, so the two agree here.
                let left = self
                    .outstanding
                    .load(Ordering::Acquire)
                    .saturating_sub(all.len());
                if left == 0 {
                    self.closing.store(true, Ordering::Relaxed);
                }
                left
            };
            if left == 0 || !going_on() {
                break;
            }
            if left < last.0 {
                last = (left, Instant::now());
            } else if last.1.elapsed() >= SETTLE_WAIT {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        self.closing.store(true, Ordering::Relaxed);
        std::mem::take(&mut *self.put_off())
    }

    /// Takes back what the final pass did not get to (the scan stopped).
    pub(super) fn give_back(&self, rest: impl IntoIterator<Item = PutOff>) {
        self.put_off().extend(rest);
    }

    /// What is still put off (the scan stopped before its final pass).
    pub fn take_put_off(&self) -> Vec<PutOff> {
        self.closing.store(true, Ordering::Relaxed);
        std::mem::take(&mut *self.put_off())
    }

    /// Waits for the breaker to let a read through, at most until
    /// `until`: `Admit::Go`, `Admit::Probe` or (out of time) `Refuse`.
    pub(super) fn wait_for_admission(&self, until: Instant, going_on: &dyn Fn() -> bool) -> Admit {
        loop {
            let admit = self.admit();
            if admit != Admit::Refuse || Instant::now() >= until || !going_on() {
                return admit;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

/// A listed object not yet settled: held by its candidate from the listing
/// until it is dropped (scanned, reported or put off and read again), so
/// the final pass knows when nothing more can be put off.
pub struct Listed(Arc<Bucket>);

impl Listed {
    pub(super) fn new(bucket: &Arc<Bucket>) -> Listed {
        bucket.health.outstanding.fetch_add(1, Ordering::AcqRel);
        Listed(Arc::clone(bucket))
    }

    pub fn bucket(&self) -> &Arc<Bucket> {
        &self.0
    }
}

impl Clone for Listed {
    fn clone(&self) -> Listed {
        Listed::new(&self.0)
    }
}

impl Drop for Listed {
    fn drop(&mut self) {
        self.0.health.outstanding.fetch_sub(1, Ordering::AcqRel);
    }
}

impl std::fmt::Debug for Listed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl std::ops::Deref for Listed {
    type Target = Bucket;
    fn deref(&self) -> &Bucket {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_breaker_opens_after_three_unanswered_and_a_probe_closes_it() {
        let h = Health::default();
        let t = Instant::now();
        h.unanswered_at(false, t);
        h.unanswered_at(false, t);
        assert_eq!(h.admit_at(t), Admit::Go, "two are not a pattern");
        h.unanswered_at(false, t);
        assert_eq!(h.admit_at(t), Admit::Refuse);
        assert_eq!(h.admit_at(t + Duration::from_secs(4)), Admit::Refuse);
        let later = t + FIRST_COOL_OFF;
        assert_eq!(h.admit_at(later), Admit::Probe);
        assert_eq!(h.admit_at(later), Admit::Refuse, "one probe at a time");
        // No answer: the cool-off doubles, to at most a minute.
        h.unanswered_at(true, later);
        assert_eq!(h.admit_at(later + Duration::from_secs(9)), Admit::Refuse);
        assert_eq!(h.admit_at(later + Duration::from_secs(10)), Admit::Probe);
        for _ in 0..10 {
            h.unanswered_at(true, later);
        }
        assert_eq!(h.breaker().cool_off, LONGEST_COOL_OFF);
        h.answered();
        assert_eq!(h.admit_at(later), Admit::Go);
        // An answer between failures resets the count.
        h.unanswered_at(false, t);
        h.unanswered_at(false, t);
        h.answered();
        h.unanswered_at(false, t);
        assert_eq!(h.admit_at(t), Admit::Go);
    }
}
