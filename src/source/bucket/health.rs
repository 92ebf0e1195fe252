//! Whether the endpoint answers, and the objects put off while it did not.
//!
//! A breaker: after [`TRIP_AFTER`] reads in a row get no answer (a
//! timeout, a refused or dropped connection, throttling or a server error,
//! each after object_store's own retries) the endpoint is taken as not
//! answering, and reads fail at once
//! instead of each waiting out its timeout. After a cool-off (5 s, doubling
//! up to a minute) one read goes through as a probe, and an answer closes
//! the breaker again: a busy or restarting endpoint is not given up for the
//! rest of a long run.
//!
//! An object whose read got no answer is put off, not reported. Once the
//! listing is done and every listed object is settled, a final pass waits
//! for the endpoint to answer a probe (asked every [`LAST_PROBES_EVERY`]
//! for at most [`LAST_WAIT`]) and reads the objects put off once more;
//! what goes unanswered again is put off again, for up to [`MAX_ROUNDS`]
//! passes and [`MAX_TRIES`] unanswered reads of one object. Only then, or
//! when the endpoint does not answer again, or when the scan stops, is an
//! object an error: an endpoint that stops answering for a while costs
//! time, not objects.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use object_store::path::Path as KeyPath;

use super::Bucket;
use crate::source::{Candidate, ReadError};

/// Reads in a row without an answer that open the breaker.
const TRIP_AFTER: usize = 3;
/// The first cool-off; each probe without an answer doubles it.
const FIRST_COOL_OFF: Duration = Duration::from_secs(5);
const LONGEST_COOL_OFF: Duration = Duration::from_secs(60);
/// How long the final pass waits for the endpoint to answer again, and how
/// often it asks meanwhile.
pub(super) const LAST_WAIT: Duration = Duration::from_secs(60);
pub(super) const LAST_PROBES_EVERY: Duration = Duration::from_secs(5);
/// How long the final pass waits for listed objects to settle while none
/// does (a read stuck past every timeout must not hold the run).
const SETTLE_WAIT: Duration = Duration::from_secs(120);
/// Objects put off at most; past this, a read without an answer is an
/// error at once (memory grows with errors, not with the bucket).
const MOST_PUT_OFF: usize = 100_000;
/// Unanswered reads of one object after which its failure stands (reads
/// the open breaker refused do not count: they asked nothing).
const MAX_TRIES: u8 = 3;
/// Final passes at most: each waits for the endpoint to answer again, and
/// reads what is put off once more.
pub(super) const MAX_ROUNDS: usize = 6;

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

/// An object to read once more, why its last read failed, and how many of
/// its reads went unanswered (it travels with the object, so nothing is
/// kept of the objects read in the end).
#[derive(Debug)]
pub struct PutOff {
    pub candidate: Candidate,
    pub message: String,
    pub tries: u8,
}

impl PutOff {
    /// `candidate`, whose read failed with `why`; a read the open breaker
    /// refused asked nothing and is not a try.
    pub fn new(candidate: Candidate, why: &ReadError) -> PutOff {
        PutOff {
            candidate,
            message: why.to_string(),
            tries: u8::from(!matches!(why, ReadError::EndpointDown)),
        }
    }
}

#[derive(Debug, Default)]
pub(super) struct Health {
    breaker: Mutex<Breaker>,
    put_off: Mutex<Vec<PutOff>>,
    /// Objects listed and not yet settled (see [`Listed`]).
    outstanding: AtomicUsize,
    /// The scan is over: nothing more is put off.
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
        }
        // A probe's failure after a read in flight closed the breaker is
        // one more failure like any other.
        if probe && b.open_until.is_some() {
            b.cool_off = (b.cool_off * 2).clamp(FIRST_COOL_OFF, LONGEST_COOL_OFF);
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

    /// Is the breaker open (reads refused or probing)?
    pub(super) fn is_open(&self) -> bool {
        self.breaker().open_until.is_some()
    }

    /// Takes an object to read again later; gives it back when it cannot
    /// be: the scan is over, too many are put off already, or more than
    /// [`MAX_TRIES`] of its reads went unanswered.
    pub fn put_off_one(&self, put_off: PutOff) -> Option<PutOff> {
        let mut all = self.put_off();
        // Checked under the lock `take_put_off` sets it under.
        if self.closing.load(Ordering::Relaxed)
            || all.len() >= MOST_PUT_OFF
            || put_off.tries > MAX_TRIES
        {
            return Some(put_off);
        }
        all.push(put_off);
        None
    }

    /// Waits, while the scan goes on and objects keep settling, until
    /// every listed object is settled or put off; then the objects put off
    /// are the final pass's to take one by one. The first one's key, for
    /// a probe; `None` when there is none.
    pub(super) fn settle(&self, going_on: &dyn Fn() -> bool) -> Option<KeyPath> {
        let mut last = (usize::MAX, Instant::now());
        loop {
            let left = {
                let all = self.put_off();
                // Putting one off does not change `outstanding`: under the
                // lock the two agree.
                self.outstanding
                    .load(Ordering::Acquire)
                    .saturating_sub(all.len())
            };
            if left == 0 || !going_on() {
                break;
            }
            if left < last.0 {
                last = (left, Instant::now());
            } else if last.1.elapsed() >= SETTLE_WAIT {
                tracing::info!(left, "listed objects still unsettled; final pass begins");
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let all = self.put_off();
        all.first().and_then(|p| match &p.candidate.origin {
            crate::source::Origin::Remote(_, key, _) => Some(key.clone()),
            crate::source::Origin::Local(_) => None,
        })
    }

    /// How many objects are put off.
    pub(super) fn put_off_count(&self) -> usize {
        self.put_off().len()
    }

    /// The next object put off, taken out only now: one not yet taken when
    /// the scan stops is still here for the collector to report.
    pub(super) fn next_put_off(&self) -> Option<PutOff> {
        self.put_off().pop()
    }

    /// Puts back an object the final pass could not hand on.
    pub(super) fn give_back(&self, one: PutOff) {
        self.put_off().push(one);
    }

    /// What is still put off when the scan is over.
    pub fn take_put_off(&self) -> Vec<PutOff> {
        let mut all = self.put_off();
        self.closing.store(true, Ordering::Relaxed);
        std::mem::take(&mut *all)
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

    /// An object is put off while the scan goes on, up to its tries and
    /// the list's bound; refused reads cost no try.
    #[test]
    fn put_off_stops_at_its_tries_and_at_the_end_of_the_scan() {
        let h = Health::default();
        let one = |why: &ReadError| {
            let c = Candidate::new(
                0,
                "calls/a.wav".into(),
                "calls/a.wav",
                1,
                crate::source::Origin::Local(std::path::PathBuf::from("a.wav").into()),
                None,
            );
            PutOff::new(c, why)
        };
        let unanswered = ReadError::Unanswered("timed out".into());
        assert_eq!(one(&unanswered).tries, 1);
        assert_eq!(one(&ReadError::EndpointDown).tries, 0);
        let mut again = one(&unanswered);
        again.tries = MAX_TRIES;
        assert!(h.put_off_one(again).is_none());
        let mut past = one(&unanswered);
        past.tries = MAX_TRIES + 1;
        let back = h.put_off_one(past).expect("given back");
        assert_eq!(back.message, "timed out");
        assert_eq!(h.take_put_off().len(), 1);
        assert!(
            h.put_off_one(one(&unanswered)).is_some(),
            "the scan is over"
        );
    }

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
        // A probe that fails after a read in flight closed the breaker is
        // one failure, not a cool-off of nothing.
        let h = Health::default();
        for _ in 0..3 {
            h.unanswered_at(false, t);
        }
        assert_eq!(h.admit_at(later), Admit::Probe);
        h.answered();
        h.unanswered_at(true, later);
        assert_eq!(h.admit_at(later), Admit::Go);
        assert!(!h.is_open());
    }
}
