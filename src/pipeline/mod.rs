//! The parallel driver: the only module that knows sources, sniffing, rules
//! and reports.
//!
//! One producer thread walks the targets into a bounded channel, local
//! objects in batches; worker threads, each with its own reusable buffers
//! (and its own `--state` read connection), inspect one object at a time and
//! hand their outcomes, in batches, to the collector, this thread, which
//! folds them into a [`ReportBuilder`], streams them to the output when the
//! format streams, and batches `--state` writes. Memory follows findings,
//! not objects.
//!
//! No object can take the run down with it: each inspection runs under its
//! own time budget, a panic becomes that object's error, and a worker stuck
//! past the hard limit is abandoned (its object reported, the rest of its
//! batch left to the others, a fresh worker started while spare slots
//! remain). A stop (a signal, `--max-duration`) ends the walk, lets
//! in-flight objects finish for a bounded time, and reports what was done.

pub mod inspect;
pub(crate) mod memory;
pub mod verdict;

use std::cell::RefCell;
use std::collections::HashSet;
use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use crossbeam_channel::{Receiver, RecvTimeoutError, Sender};
use sha2::{Digest, Sha256};

use crate::progress::Progress;
use crate::report::{
    BucketExposure, ErrorEntry, Finding, LimitEntry, ObjectEntry, Report, ReportBuilder, RulesInfo,
    RunInfo, Suppressed,
};
use crate::rules::RuleSet;
use crate::sniff::HEAD_LEN;
use crate::source::bucket::{Again, PutOff};
use crate::source::bucket::{Bucket, Exposure, Wire};
use crate::source::fs::{self, Headed, LocalFile, WalkOptions};
use crate::source::{Candidate, Event, Origin, ReadError, SkipReason, Unread};
use crate::state::{State, StateAccess, StateError, StateReader, Stored};

pub(crate) use inspect::{apply_facts, inspect, inspect_read, HeadRead, MAX_UNPACK_READ};
pub(crate) use verdict::{judge, Verdict};

/// One thing to scan: a local path (as the user spelled it) or a connected bucket.
#[derive(Clone, Debug)]
pub enum Target {
    /// A local file or folder, as given (its name need not be UTF-8).
    Local(std::path::PathBuf),
    Bucket(Arc<Bucket>),
}

impl Target {
    pub fn name(&self) -> String {
        match self {
            Target::Local(path) => fs::escape_path(path),
            Target::Bucket(b) => b.url.to_string(),
        }
    }

    /// Where its objects' locations begin (for pruning `--state`).
    fn root(&self) -> String {
        match self {
            Target::Local(path) => fs::escape_path(path),
            Target::Bucket(b) => b.url.to_string(),
        }
    }

    /// What the verdicts of this target's objects depend on besides the
    /// objects themselves: paths below its root, and a bucket's exposure.
    fn scope(&self) -> String {
        match self {
            Target::Local(_) => self.root(),
            Target::Bucket(b) => format!("{}\n{:?}", self.root(), b.exposure().exposure),
        }
    }
}

/// A request to stop early; the first reason given is the one reported.
#[derive(Debug, Default)]
pub struct Stop {
    set: AtomicBool,
    why: Mutex<Option<String>>,
    scanning: AtomicBool,
}

impl Stop {
    /// The scan has begun: from now on a stop ends in a report.
    pub fn begin(&self) {
        self.scanning.store(true, Ordering::SeqCst);
    }

    /// Whether [`Stop::begin`] was called: before it (while buckets are
    /// connected, which a slow endpoint or a paced request can stretch to
    /// minutes) there is nothing to report and a stop ends the process.
    pub fn scanning(&self) -> bool {
        self.scanning.load(Ordering::SeqCst)
    }

    pub fn request(&self, why: impl Into<String>) {
        let mut slot = self.why.lock().unwrap_or_else(|e| e.into_inner());
        if slot.is_none() {
            *slot = Some(why.into());
        }
        self.set.store(true, Ordering::SeqCst);
    }

    pub fn is_set(&self) -> bool {
        self.set.load(Ordering::Relaxed)
    }

    pub fn why(&self) -> Option<String> {
        self.why.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

/// Fingerprints the baseline accepts, and where they came from.
#[derive(Debug, Default)]
pub struct Baseline {
    pub source: String,
    pub fingerprints: HashSet<String>,
}

/// Where streamed report lines go as objects complete (`jsonl`); sorted
/// formats ignore them and render the finished report instead.
pub trait Sink {
    fn finding(&mut self, _f: &Finding) {}
    fn error(&mut self, _e: &ErrorEntry) {}
    fn limit(&mut self, _l: &LimitEntry) {}
    fn object(&mut self, _o: &ObjectEntry) {}
    /// Streaming sinks need no lists kept; sorted formats need them all.
    fn streams(&self) -> bool {
        false
    }
}

/// A sink for sorted formats: everything waits for the finished report.
pub struct Sorted;
impl Sink for Sorted {}

/// Everything a run needs, settled before it starts.
#[derive(Clone, Debug)]
pub struct Plan {
    pub targets: Vec<Target>,
    /// The HTTP layer shared by all buckets (counts every request).
    pub wire: Option<Arc<Wire>>,
    pub walk: Arc<WalkOptions>,
    /// CPU threads inspecting at once (`-j`).
    pub threads: usize,
    /// Worker threads: `threads`, or more when buckets keep requests in flight.
    pub workers: usize,
    pub max_archive_depth: u32,
    pub inventory: bool,
    pub rules: Arc<RuleSet>,
    /// `--max-duration`: past it the run stops as if interrupted.
    pub max_duration: Option<Duration>,
    /// `--shard K/N` as given, for the report.
    pub shard: Option<String>,
    /// Where `--state` lives (workers open read connections of their own).
    pub state: Option<StateAccess>,
}

/// How long in-flight objects may still finish once a stop is requested
/// (a bucket's with the requests already sent: no other goes out).
const GRACE: Duration = Duration::from_secs(10);
/// After the grace, how long the workers not holding an object are given
/// to hand over what they finished and stop.
const HAND_OVER: Duration = Duration::from_secs(2);
/// Local objects handed to a worker at once, and outcomes handed back: one
/// channel hand-off per object cost more than inspecting a small file.
/// Bucket objects go one by one: each costs a round trip anyway, and a
/// batch would queue behind one slow GET.
const LOCAL_BATCH: usize = 64;
/// How long the walk holds a part batch while workers wait for work.
const BATCH_WAIT: Duration = Duration::from_millis(2);
/// How long a worker keeps finished outcomes before handing them over, so
/// progress, streaming and `--state` commits keep pace with a slow trickle.
const FLUSH_EVERY: Duration = Duration::from_millis(100);
/// How long an idle worker waits for the walk before helping another
/// worker with its batch.
const STEAL_AFTER: Duration = Duration::from_millis(20);
/// How often the collector does its housekeeping: the deadline, `--state`
/// commits, the watchdog, outcomes finished before a slow object.
const TICK: Duration = Duration::from_millis(200);
/// Stack of each worker: recursion in parsers is bounded far below it.
const WORKER_STACK: usize = 8 << 20;

/// What the walk hands a worker.
enum Job {
    Event(Event),
    /// `--state` remembers this object: the worker compares its version
    /// (a stat, for local files) before deciding to read it.
    Remembered(Candidate, Stored),
    /// A bucket object put off, read once more in a final pass.
    Again(PutOff),
}

impl Job {
    fn whose(&self) -> (usize, &str) {
        match self {
            Job::Event(Event::Object(c))
            | Job::Remembered(c, _)
            | Job::Again(PutOff { candidate: c, .. }) => (c.target, &c.location),
            Job::Event(Event::Unread(t, u)) => (*t, u.location()),
        }
    }
}

/// Rows of objects gone since the last run, gathered by the walk: `None`
/// when the walk did not see everything it would need to be sure.
type Gone = Arc<Mutex<Option<Vec<i64>>>>;

/// A worker's report to the collector.
enum Msg {
    Outcomes(Vec<Outcome>),
    /// The worker saw the end of the queue (or a stop) and quit.
    Done,
}

/// The outcome for one object.
enum Outcome {
    Scanned {
        target: usize,
        location: String,
        /// What `--state` remembers the object by (size, mtime, ETag …).
        version: Option<String>,
        verdict: Verdict,
        bytes_read: u64,
        /// Taken from `--state`: unchanged since the last run, not read.
        unchanged: bool,
    },
    Unread(usize, Unread),
    /// A bucket object whose read got no answer: the worker hands it to its
    /// bucket to read once more (see `Bucket::put_off`), unless the
    /// watchdog has reported it already.
    PutOff(PutOff),
}

impl Outcome {
    /// An object of `target` that could not be judged, and why.
    fn failed(target: usize, location: String, message: String) -> Outcome {
        Outcome::Unread(target, Unread::Failed { location, message })
    }
}

/// What each worker holds, for the watchdog: the object it is busy with,
/// the rest of its batch and the outcomes not yet handed over. Kept here,
/// not on the worker's stack, so that a stuck worker's batch is taken over
/// and nothing it finished is lost.
#[derive(Default)]
struct Slot {
    busy: Option<(usize, String, Instant)>,
    /// The last busy location's buffer, written over for the next object:
    /// naming what a worker is busy with allocates nothing per object.
    spare: String,
    /// The rest of the batch, last job first.
    pending: Vec<Job>,
    done: Vec<Outcome>,
    abandoned: bool,
}

struct Shared {
    rules: Arc<RuleSet>,
    depth: u32,
    /// Keep inventory entries (`--inventory`, or `--state`, which stores them).
    entries: bool,
    /// Note each object's version (`--state` remembers verdicts by it).
    versions: bool,
    stop: Arc<Stop>,
    progress: Arc<Progress>,
    slots: Vec<PaddedSlot>,
    /// Jobs taken from an abandoned worker, for the others to do.
    orphans: Mutex<Vec<Job>>,
}

/// A worker's slot on cache lines of its own. Its worker locks it twice per
/// object: a line shared with another worker's slot, or with a count every
/// worker updates, would move from core to core on every object.
#[derive(Default)]
#[repr(align(128))]
struct PaddedSlot {
    slot: Mutex<Slot>,
    /// The jobs in the slot's batch, set under its lock: idle workers look
    /// for one to take only when some slot has one (bucket workers, with
    /// batches of one, then sleep instead of locking every slot).
    queued: AtomicUsize,
}

impl Shared {
    fn slot(&self, id: usize) -> std::sync::MutexGuard<'_, Slot> {
        self.slots[id]
            .slot
            .lock()
            .unwrap_or_else(|e| e.into_inner())
    }

    /// Notes how many jobs slot `id` holds; called under its lock.
    fn queue(&self, id: usize, slot: &Slot) {
        self.slots[id]
            .queued
            .store(slot.pending.len(), Ordering::Relaxed);
    }

    /// Jobs waiting in all slots' batches.
    fn queued(&self) -> usize {
        self.slots
            .iter()
            .map(|padded| padded.queued.load(Ordering::Relaxed))
            .sum()
    }

    /// The watchdog: marks every worker busy with one object for longer
    /// than `limit` as abandoned, returns those objects and what their
    /// workers had finished, and leaves the rest of their batches to others.
    /// A worker busy with one object for longer than [`FLUSH_EVERY`] cannot
    /// hand over what it finished before it: those outcomes are taken too,
    /// so that a slow object delays neither the report nor `--state`.
    fn watch(&self, limit: Duration) -> (Vec<(usize, String)>, Vec<Outcome>) {
        let (mut stuck, mut finished) = (Vec::new(), Vec::new());
        for id in 0..self.slots.len() {
            let mut slot = self.slot(id);
            let Some((target, location, since)) = slot.busy.as_ref().filter(|_| !slot.abandoned)
            else {
                continue;
            };
            let age = since.elapsed();
            if age >= limit {
                stuck.push((*target, location.clone()));
                slot.abandoned = true;
                finished.append(&mut slot.done);
                let pending = std::mem::take(&mut slot.pending);
                self.queue(id, &slot);
                drop(slot);
                self.lock_orphans().extend(pending);
            } else if age >= FLUSH_EVERY {
                finished.append(&mut slot.done);
            }
        }
        (stuck, finished)
    }

    /// The scan is over while workers still hold objects: each is marked
    /// abandoned (its worker then drops the outcome) and returned.
    fn abandon_busy(&self) -> Vec<(usize, String)> {
        let mut busy = Vec::new();
        for id in 0..self.slots.len() {
            let mut slot = self.slot(id);
            if slot.abandoned {
                continue;
            }
            if let Some((target, location, _)) = slot.busy.as_ref() {
                busy.push((*target, location.clone()));
                slot.abandoned = true;
            }
        }
        busy
    }

    fn lock_orphans(&self) -> std::sync::MutexGuard<'_, Vec<Job>> {
        self.orphans.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Outcomes finished but not yet handed over, from every worker (when
    /// the collector stops waiting for them).
    fn take_done(&self) -> Vec<Outcome> {
        (0..self.slots.len())
            .flat_map(|id| std::mem::take(&mut self.slot(id).done))
            .collect()
    }

    /// Work for an idle worker: an abandoned worker's jobs, or the far half
    /// (rounded up) of the longest batch of a worker busy with an object,
    /// so that one slow object does not hold the objects queued behind it.
    fn steal(&self, id: usize) -> Vec<Job> {
        let orphans = std::mem::take(&mut *self.lock_orphans());
        if !orphans.is_empty() || self.queued() == 0 {
            return orphans;
        }
        let busiest = (0..self.slots.len())
            .filter(|&other| other != id)
            .map(|other| {
                let slot = self.slot(other);
                let busy = slot.busy.is_some() && !slot.abandoned;
                (other, if busy { slot.pending.len() } else { 0 })
            })
            .max_by_key(|&(_, pending)| pending);
        match busiest {
            Some((other, pending)) if pending > 0 => {
                let mut slot = self.slot(other);
                // The front holds the jobs its worker would reach last.
                let half = slot.pending.len().div_ceil(2);
                let taken: Vec<Job> = slot.pending.drain(..half).collect();
                self.queue(other, &slot);
                taken
            }
            _ => Vec::new(),
        }
    }

    /// Does this worker's batch hold a job? (Only the worker fills it;
    /// others may take from it.)
    fn has_work(&self, id: usize) -> bool {
        !self.slot(id).pending.is_empty()
    }

    /// A worker's next job from its own batch, marked as what it is busy
    /// with since the moment returned with it.
    fn next_job(&self, id: usize) -> Result<Option<(Job, Instant)>, Abandoned> {
        let mut slot = self.slot(id);
        if slot.abandoned {
            return Err(Abandoned);
        }
        let Some(job) = slot.pending.pop() else {
            return Ok(None);
        };
        self.queue(id, &slot);
        let (target, location) = job.whose();
        let mut name = std::mem::take(&mut slot.spare);
        name.clear();
        name.push_str(location);
        let began = Instant::now();
        slot.busy = Some((target, name, began));
        Ok(Some((job, began)))
    }

    /// A worker's new batch (in walk order; kept last job first).
    fn give(&self, id: usize, mut batch: Vec<Job>) {
        batch.reverse();
        let mut slot = self.slot(id);
        slot.pending = batch;
        self.queue(id, &slot);
    }
}

/// The watchdog gave up on this worker; it must quit without a word.
struct Abandoned;

thread_local! {
    /// The last panic of this worker (or walk) thread, with its place in
    /// the code.
    static PANIC: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Panics in workers become the object's error entry, and the walk's an
/// error of the run; the default hook would print them to stderr, which
/// the output owns.
fn install_panic_hook() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let default = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            // The walk's thread too: its panic becomes an error of the run.
            let worker = std::thread::current()
                .name()
                .is_some_and(|n| n.starts_with("atrest-worker") || n == "atrest-walk");
            if worker {
                let place = info
                    .location()
                    .map(|l| format!(" at {}:{}", l.file(), l.line()))
                    .unwrap_or_default();
                let what = info
                    .payload()
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| info.payload().downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "panic".into());
                PANIC.with(|p| *p.borrow_mut() = Some(format!("{what}{place}")));
            } else {
                default(info);
            }
        }));
    });
}

/// Runs a scan and returns the finished report. `state` is the writer side
/// of `--state`; `sink` receives streamed lines.
pub fn run(
    plan: &Plan,
    mut state: Option<&mut State>,
    baseline: &Baseline,
    sink: &mut dyn Sink,
    progress: &Arc<Progress>,
    stop: &Arc<Stop>,
) -> Report {
    install_panic_hook();
    let started = now();
    let clock = Instant::now();
    let workers = plan.workers.max(1);
    let hard_limit = Duration::from_secs_f64(plan.rules.limits.max_seconds * 2.0 + 20.0);
    // Room for sixteen local batches per worker each way (walk to workers,
    // workers to the collector), or as many bucket objects (one per
    // message) as a listing page holds. With four, the walk, the workers
    // and the collector sharing two cores kept waiting on each other's
    // full or empty channel: a tenth of the time one core stood idle.
    let local_only = plan.targets.iter().all(|t| matches!(t, Target::Local(_)));
    let queue = if local_only {
        workers * 16
    } else {
        workers * 64
    };
    let (event_tx, event_rx) = crossbeam_channel::bounded::<Vec<Job>>(queue);
    let (msg_tx, msg_rx) = crossbeam_channel::bounded::<Msg>(workers * 16);
    let shared = Arc::new(Shared {
        rules: Arc::clone(&plan.rules),
        depth: plan.max_archive_depth,
        entries: plan.inventory || plan.state.is_some(),
        versions: plan.state.is_some(),
        stop: Arc::clone(stop),
        progress: Arc::clone(progress),
        // Room for one replacement per worker.
        slots: (0..workers * 2).map(|_| PaddedSlot::default()).collect(),
        orphans: Mutex::default(),
    });
    let gone: Gone = Arc::new(Mutex::new(Some(Vec::new())));
    if let Some(state) = state.as_deref_mut() {
        let scopes: Vec<String> = plan.targets.iter().map(Target::scope).collect();
        state.scope_targets(&scopes);
    }
    let walk_failed = spawn_producer(plan, event_tx, stop, progress, &gone);
    let spawn = |id: usize| spawn_worker(id, &event_rx, &msg_tx, &shared, plan);
    let mut live = (0..workers).filter(|&id| spawn(id)).count();
    let mut next_slot = workers;

    let targets: Vec<String> = plan.targets.iter().map(Target::name).collect();
    let mut builder = ReportBuilder::new(!sink.streams(), plan.inventory);
    let (fold_seen, state_failed) = {
        let mut fold = Fold {
            builder: &mut builder,
            sink,
            state: state.as_deref_mut(),
            baseline,
            seen: vec![0; targets.len()],
            inventory: plan.inventory,
            state_failed: false,
        };
        let mut last_tick = Instant::now();
        let mut grace_until: Option<Instant> = None;
        while live > 0 {
            match msg_rx.recv_timeout(TICK) {
                Ok(Msg::Outcomes(outcomes)) => outcomes.into_iter().for_each(|o| fold.add(o)),
                Ok(Msg::Done) => live -= 1,
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => break,
            }
            // The housekeeping below runs every TICK whatever the pace of
            // objects: a slow trickle (a rate-limited bucket) must meet
            // its deadline as surely as a fast one. Reading the clock per
            // object costs tens of nanoseconds.
            if last_tick.elapsed() < TICK {
                continue;
            }
            last_tick = Instant::now();
            if let Some(Err(e)) = fold.state.as_deref_mut().map(State::flush_if_due) {
                fold.state_error(&e);
            }
            if let Some(max) = plan.max_duration {
                if clock.elapsed() >= max {
                    stop.request(format!(
                        "--max-duration {}",
                        humantime::format_duration(max)
                    ));
                }
            }
            if stop.is_set() {
                if grace_until.is_none() {
                    if let Some(wire) = &plan.wire {
                        wire.halt();
                    }
                }
                let until = *grace_until.get_or_insert_with(|| Instant::now() + GRACE);
                if Instant::now() >= until {
                    break;
                }
            }
            let (stuck, finished) = shared.watch(hard_limit);
            finished.into_iter().for_each(|o| fold.add(o));
            for (target, location) in stuck {
                fold.add(Outcome::failed(
                    target,
                    location,
                    format!(
                        "inspection did not finish within {} s; abandoned",
                        hard_limit.as_secs()
                    ),
                ));
                live -= 1;
                // A fresh worker takes the stuck one's place while room lasts.
                if next_slot < shared.slots.len() && spawn(next_slot) {
                    next_slot += 1;
                    live += 1;
                }
            }
        }
        // Objects still being read when a stop's grace ran out: listed and
        // partly read, so errors that name them. Marked abandoned first,
        // so a worker that finishes now drops its outcome.
        if stop.is_set() {
            let busy = shared.abandon_busy();
            let mut others = live.saturating_sub(busy.len());
            for (target, location) in busy {
                fold.add(Outcome::failed(target, location, not_judged(stop)));
            }
            // The other workers stop before their next object. One that
            // was blocked handing over what it finished (the channel
            // full) hands it over as this drains the channel: waited for,
            // briefly, so that no finished object is dropped.
            let until = Instant::now() + HAND_OVER;
            while others > 0 {
                match msg_rx.recv_deadline(until) {
                    Ok(Msg::Outcomes(outcomes)) => outcomes.into_iter().for_each(|o| fold.add(o)),
                    Ok(Msg::Done) => {
                        others -= 1;
                        live -= 1;
                    }
                    Err(_) => break,
                }
            }
        }
        // What workers finished but the collector did not take: after a
        // stop's grace ran out, handed over or still in their slots.
        for msg in msg_rx.try_iter() {
            if let Msg::Outcomes(outcomes) = msg {
                outcomes.into_iter().for_each(|o| fold.add(o));
            }
        }
        shared.take_done().into_iter().for_each(|o| fold.add(o));
        // Every worker abandoned with no room for another: what the walk
        // still had is not scanned, and the run says so.
        if live == 0
            && !stop.is_set()
            && !matches!(
                event_rx.try_recv(),
                Err(crossbeam_channel::TryRecvError::Disconnected)
            )
        {
            stop.request("every worker was stuck on an object; the rest was not scanned");
        }
        if live == 0 {
            let orphans = std::mem::take(&mut *shared.lock_orphans());
            for job in orphans {
                let (target, location) = job.whose();
                fold.add(Outcome::failed(
                    target,
                    location.to_string(),
                    "not inspected: its worker was stuck on another object".into(),
                ));
            }
        }
        // Objects put off that no final pass read (the scan stopped first:
        // still put off, queued, or in a worker's batch): tried and not
        // read, so errors, never silently dropped.
        let mut left: Vec<PutOff> = event_rx
            .try_iter()
            .flatten()
            .chain(
                (0..shared.slots.len()).flat_map(|id| std::mem::take(&mut shared.slot(id).pending)),
            )
            .filter_map(|job| match job {
                Job::Again(put_off) => Some(put_off),
                _ => None,
            })
            .collect();
        for target in &plan.targets {
            if let Target::Bucket(bucket) = target {
                left.extend(bucket.take_put_off());
            }
        }
        for PutOff {
            candidate, message, ..
        } in left
        {
            fold.add(Outcome::failed(
                candidate.target,
                candidate.location,
                format!("{message}; not asked again: the scan stopped"),
            ));
        }
        (fold.seen, fold.state_failed)
    };
    progress.finish();
    for (target, n) in targets.iter().zip(&fold_seen) {
        builder.seen(target, *n);
    }
    // A walk that died listed only part of its targets: the run is not
    // complete, whatever the objects it did list held.
    let failed = walk_failed.lock().unwrap_or_else(|e| e.into_inner()).take();
    if let Some(error) = failed {
        crate::output::warn(&format!("{}: {}", error.location, error.message));
        sink.error(&error);
        builder.run_error(error);
    }
    let stopped_by = stop.why();
    if let Some(state) = state {
        // Only a complete, unsharded run has seen every object under its
        // targets: only then are the rows it did not meet objects that are gone.
        let complete =
            stopped_by.is_none() && builder.summary().errors == 0 && plan.shard.is_none();
        let gone = gone.lock().unwrap_or_else(|e| e.into_inner()).take();
        let saved = match gone.filter(|_| complete) {
            Some(rows) => state.prune(&rows).map(|n| {
                tracing::info!(rows = n, "state: objects gone since the last run forgotten")
            }),
            None => state.flush(),
        };
        if let Err(e) = saved {
            if !state_failed {
                let error = state_error(&e);
                sink.error(&error);
                builder.run_error(error);
            }
            crate::output::warn(&e.to_string());
        }
    }
    builder.finish(RunInfo {
        rules: RulesInfo {
            source: plan.rules.source.clone(),
            sha256: plan.rules.sha256.clone(),
        },
        targets,
        started,
        finished: now(),
        stopped_by,
        shard: plan.shard.clone(),
        scan_id: scan_id(plan),
        requests: plan.wire.as_ref().map_or(0, |w| w.requests()),
        exposure: plan
            .targets
            .iter()
            .filter_map(|t| match t {
                Target::Bucket(b)
                    if b.exposure().exposure != Exposure::Unknown
                        || !b.exposure().basis.is_empty() =>
                {
                    Some((
                        b.url.to_string(),
                        BucketExposure {
                            exposure: b.exposure().exposure,
                            basis: b.exposure().basis.clone(),
                            statement: b.exposure().statement.clone(),
                        },
                    ))
                }
                _ => None,
            })
            .collect(),
    })
}

/// The walk (or listing), one target after the other, until the end or a
/// stop; with `--state`, each object is looked up in walk order on the way.
/// Returns where the walk's failure will be told, should it die (a panic)
/// or not start: the targets after the point it reached went unlisted.
fn spawn_producer(
    plan: &Plan,
    tx: Sender<Vec<Job>>,
    stop: &Arc<Stop>,
    progress: &Arc<Progress>,
    gone: &Gone,
) -> Arc<Mutex<Option<ErrorEntry>>> {
    let failed = Arc::new(Mutex::new(None));
    let walking = Arc::new(Mutex::new(String::new()));
    let targets = plan.targets.clone();
    let walk = Arc::clone(&plan.walk);
    let stop = Arc::clone(stop);
    let progress = Arc::clone(progress);
    let access = plan.state.clone();
    let gone = Arc::clone(gone);
    let at = Arc::clone(&walking);
    let walked = Arc::clone(&progress);
    let produce = move || {
        for (index, target) in targets.iter().enumerate() {
            *at.lock().unwrap_or_else(|e| e.into_inner()) = target.name();
            let clock = Instant::now();
            let mut found = 0u64;
            tracing::info!(target = %target.name(), "walk started");
            let scope = target.scope();
            let mut cursor = access
                .as_ref()
                .and_then(|a| a.cursor(&target.root(), &scope).ok());
            let size = match target {
                Target::Local(_) => LOCAL_BATCH,
                Target::Bucket(_) => 1,
            };
            let mut batch = Vec::with_capacity(size);
            // Batches grow from one object to `size`, so that every worker
            // has work at once; later, a batch goes out when full, or when
            // the queue ran dry and the batch waited (a slow walk).
            let (mut limit, mut begun) = (1, Instant::now());
            let mut send = |event| {
                found += 1;
                progress.found();
                let job = match (event, cursor.as_mut()) {
                    (Event::Object(c), Some(cursor)) => match cursor.locate(&c.location) {
                        Some(stored) => Job::Remembered(c, stored),
                        None => Job::Event(Event::Object(c)),
                    },
                    (event, _) => Job::Event(event),
                };
                if batch.is_empty() {
                    begun = Instant::now();
                }
                batch.push(job);
                let starving = || tx.is_empty() && begun.elapsed() >= BATCH_WAIT;
                if batch.len() < limit && !starving() {
                    return !stop.is_set();
                }
                limit = (limit * 2).min(size);
                let full = std::mem::replace(&mut batch, Vec::with_capacity(size));
                !stop.is_set() && tx.send(full).is_ok()
            };
            match target {
                Target::Local(path) => fs::walk(index, path.as_ref(), &walk, &mut send),
                Target::Bucket(bucket) => bucket.list(index, &walk, &mut send),
            }
            if !batch.is_empty() && !stop.is_set() {
                let _ = tx.send(batch);
            }
            let rows = cursor.map(|c| c.finish());
            let mut all = gone.lock().unwrap_or_else(|e| e.into_inner());
            match (rows, stop.is_set()) {
                (Some(Some(rows)), false) => {
                    if let Some(all) = all.as_mut() {
                        all.extend(rows);
                    }
                }
                (None, _) => {}
                _ => *all = None,
            }
            drop(all);
            tracing::info!(
                target = %target.name(),
                objects = found,
                seconds = clock.elapsed().as_secs_f64(),
                "walk finished"
            );
            if stop.is_set() {
                break;
            }
        }
        progress.walk_done();
        // Every bucket's objects that got no answer, once more. Their state
        // rows were met on the way, so the cursors are done with.
        let going_on = || !stop.is_set();
        for target in &targets {
            if let Target::Bucket(bucket) = target {
                bucket.read_again(&going_on, &mut |again| {
                    if !going_on() {
                        return Err(Box::new(again));
                    }
                    progress.found();
                    let job = match again {
                        Again::Read(put_off) => Job::Again(put_off),
                        Again::Failed(event) => Job::Event(event),
                    };
                    match tx.send(vec![job]) {
                        Err(unsent) => match unsent.0.into_iter().next() {
                            Some(Job::Again(put_off)) => Err(Box::new(Again::Read(put_off))),
                            Some(Job::Event(event)) => Err(Box::new(Again::Failed(event))),
                            _ => Ok(()),
                        },
                        Ok(()) => Ok(()),
                    }
                });
            }
        }
    };
    let told = Arc::clone(&failed);
    let guarded = move || {
        if panic::catch_unwind(AssertUnwindSafe(produce)).is_err() {
            let what = PANIC.with(|p| p.borrow_mut().take()).unwrap_or_default();
            let location = walking.lock().unwrap_or_else(|e| e.into_inner()).clone();
            *told.lock().unwrap_or_else(|e| e.into_inner()) = Some(ErrorEntry {
                location,
                message: format!(
                    "the walk stopped (internal error: {what}); objects it had not \
                     listed yet, here and in later targets, were not scanned; please report it"
                ),
            });
            walked.walk_done();
        }
    };
    // Without a producer nothing is listed: the collector sees every worker
    // finish at once, and the report says why it is empty.
    if let Err(e) = std::thread::Builder::new()
        .name("atrest-walk".into())
        .spawn(guarded)
    {
        *failed.lock().unwrap_or_else(|e| e.into_inner()) = Some(ErrorEntry {
            location: plan.targets.first().map(Target::name).unwrap_or_default(),
            message: format!("the walk could not start: {e}; nothing was scanned"),
        });
    }
    failed
}

fn spawn_worker(
    id: usize,
    events: &Receiver<Vec<Job>>,
    out: &Sender<Msg>,
    shared: &Arc<Shared>,
    plan: &Plan,
) -> bool {
    let (events, out, shared) = (events.clone(), out.clone(), Arc::clone(shared));
    let state = plan.state.clone();
    let inventory = plan.inventory;
    std::thread::Builder::new()
        .name(format!("atrest-worker-{id}"))
        .stack_size(WORKER_STACK)
        .spawn(move || {
            let reader = state.and_then(|s| s.reader().ok());
            let mut head = Vec::with_capacity(HEAD_LEN);
            let mut flushed = Instant::now();
            // Hands over what this worker finished; false once the
            // collector is gone.
            let flush = |flushed: &mut Instant| {
                *flushed = Instant::now();
                let done = {
                    let mut slot = shared.slot(id);
                    if slot.done.is_empty() {
                        return true;
                    }
                    // The next batch starts at its full size: grown from
                    // nothing, it would be reallocated and copied four
                    // times on the way.
                    std::mem::replace(&mut slot.done, Vec::with_capacity(LOCAL_BATCH))
                };
                out.send(Msg::Outcomes(done)).is_ok()
            };
            // Held while this worker has objects in hand, given back while
            // it waits for more or another worker waits for one. Taken
            // before the next object is marked busy (the watchdog's clock
            // counts inspection, never a wait for a permit), and only with
            // an object in hand: an idle worker does not take a busy one's.
            let mut permit = None;
            loop {
                if shared.stop.is_set() {
                    break;
                }
                if permit.is_none() && shared.has_work(id) {
                    permit = Some(crate::gate::Permit::take());
                }
                // Where memory holds fewer objects' members than there are
                // workers, a worker waits for room before it takes up the
                // next object, so neither that object's clock nor the
                // watchdog's counts the wait; the room is given back when
                // the object is done, at the end of this turn.
                let _room = (memory::gated() && shared.has_work(id)).then(memory::open_slot);
                let Ok(job) = shared.next_job(id) else {
                    return;
                };
                let Some((job, began)) = job else {
                    permit = None;
                    release_retired();
                    if !flush(&mut flushed) {
                        return;
                    }
                    let batch = match events.recv_timeout(STEAL_AFTER) {
                        Ok(batch) => batch,
                        Err(RecvTimeoutError::Timeout) => shared.steal(id),
                        Err(RecvTimeoutError::Disconnected) => match shared.steal(id) {
                            batch if batch.is_empty() => break,
                            batch => batch,
                        },
                    };
                    shared.give(id, batch);
                    continue;
                };
                // Held already: only this worker fills its batch, so a job
                // it finds was there when it looked. Taken here should that
                // ever change, so no object is inspected without one.
                permit.get_or_insert_with(crate::gate::Permit::take);
                let outcome = panic::catch_unwind(AssertUnwindSafe(|| {
                    process(job, began, &shared, reader.as_ref(), &mut head, inventory)
                }))
                .unwrap_or_else(|_| {
                    // Named from the slot, which holds what the worker is
                    // busy with: no copy of the location per object.
                    let (target, location) = shared
                        .slot(id)
                        .busy
                        .as_ref()
                        .map(|(target, location, _)| (*target, location.clone()))
                        .unwrap_or_default();
                    let what = PANIC.with(|p| p.borrow_mut().take()).unwrap_or_default();
                    Outcome::failed(
                        target,
                        location,
                        format!("internal error while inspecting ({what}); please report it"),
                    )
                });
                let (bytes, findings) = outcome_progress(&outcome);
                if tracing::enabled!(tracing::Level::DEBUG) {
                    log_outcome(&outcome);
                }
                let (due, began) = {
                    let mut slot = shared.slot(id);
                    let began = slot.busy.take().map(|(_, name, began)| {
                        slot.spare = name;
                        began
                    });
                    if slot.abandoned {
                        // The collector has reported this object already.
                        return;
                    }
                    // Handed over under the slot's lock: the watchdog
                    // cannot report it as abandoned as well.
                    match outcome {
                        Outcome::PutOff(one) => slot.done.extend(put_off(one).map(put_off_failed)),
                        outcome => slot.done.push(outcome),
                    }
                    (slot.done.len() >= LOCAL_BATCH, began)
                };
                if crate::gate::contended() {
                    permit = None;
                }
                shared.progress.object(bytes, findings);
                // The clock as this object began stands for now: a hand-over
                // is at most one object late, and a slow object's outcomes
                // are taken by the watchdog anyway.
                let waited = began.map_or(FLUSH_EVERY, |t| t.saturating_duration_since(flushed));
                if (due || waited >= FLUSH_EVERY) && !flush(&mut flushed) {
                    return;
                }
            }
            if flush(&mut flushed) {
                let _ = out.send(Msg::Done);
            }
        })
        .is_ok()
}

/// Hands a bucket object whose read got no answer to its bucket; gives it
/// back when it cannot be put off.
fn put_off(one: PutOff) -> Option<PutOff> {
    match &one.candidate.origin {
        Origin::Remote(listed, ..) => Arc::clone(listed.bucket()).put_off(one),
        Origin::Local(_) => Some(one),
    }
}

/// An object that could not be put off: the failure stands.
fn put_off_failed(one: PutOff) -> Outcome {
    Outcome::failed(one.candidate.target, one.candidate.location, one.message)
}

/// `-vv`: one line per object.
fn log_outcome(outcome: &Outcome) {
    match outcome {
        Outcome::Scanned {
            location,
            verdict,
            bytes_read,
            unchanged,
            ..
        } => tracing::debug!(
            location = %location,
            class = %verdict.class,
            findings = verdict.findings.len(),
            bytes = bytes_read,
            unchanged,
            "object"
        ),
        Outcome::Unread(_, unread) => {
            tracing::debug!(location = %unread.location(), ?unread, "object not read")
        }
        Outcome::PutOff(one) => {
            tracing::debug!(location = %one.candidate.location, error = %one.message, "object put off")
        }
    }
}

/// What the progress bar learns from one outcome: bytes read and findings.
fn outcome_progress(outcome: &Outcome) -> (u64, u64) {
    match outcome {
        Outcome::Scanned {
            verdict,
            bytes_read,
            ..
        } => (*bytes_read, verdict.findings.len() as u64),
        Outcome::Unread(..) | Outcome::PutOff(..) => (0, 0),
    }
}

fn process(
    job: Job,
    began: Instant,
    shared: &Shared,
    state: Option<&StateReader>,
    head: &mut Vec<u8>,
    inventory: bool,
) -> Outcome {
    let (candidate, stored) = match job {
        Job::Event(Event::Unread(target, unread)) => return Outcome::Unread(target, unread),
        Job::Event(Event::Object(candidate)) => return scan_one(candidate, began, shared, head),
        // Its unanswered reads so far count toward its last try.
        Job::Again(PutOff {
            candidate, tries, ..
        }) => {
            return match scan_one(candidate, began, shared, head) {
                Outcome::PutOff(mut again) => {
                    again.tries = again.tries.saturating_add(tries);
                    Outcome::PutOff(again)
                }
                outcome => outcome,
            }
        }
        Job::Remembered(candidate, stored) => (candidate, stored),
    };
    // A local file's version is a stat away (compared where it is
    // written: an unchanged file costs no allocation); a bucket object's
    // came with it.
    let holds = match &candidate.origin {
        Origin::Local(local) => local
            .version(local.path(&candidate.location))
            .is_some_and(|v| stored.holds_for(v.write(&mut [0; 128]))),
        Origin::Remote(..) => candidate
            .version
            .as_deref()
            .is_some_and(|v| stored.holds_for(v)),
    };
    if !holds {
        return scan_one(candidate, began, shared, head);
    }
    // A plain verdict is its class; others (and every verdict an inventory
    // lists) are read back.
    let verdict = if stored.plain && !inventory {
        Some(Verdict {
            class: stored.class,
            ..Verdict::default()
        })
    } else {
        state.and_then(|s| s.verdict(stored.row))
    };
    match verdict {
        Some(verdict) => Outcome::Scanned {
            target: candidate.target,
            location: candidate.location,
            version: candidate.version,
            verdict,
            bytes_read: 0,
            unchanged: true,
        },
        None => scan_one(candidate, began, shared, head),
    }
}

/// Why an object the scan had begun to read has no verdict.
fn not_judged(stop: &Stop) -> String {
    format!(
        "not judged: the scan stopped ({}) while it was being read",
        stop.why().unwrap_or_default()
    )
}

/// Why an older version named by an inventory could not be read.
const NO_SUCH_VERSION: &str =
    "no such version (deleted since the inventory was taken, or an id the store does not know)";

fn scan_one(candidate: Candidate, began: Instant, shared: &Shared, head: &mut Vec<u8>) -> Outcome {
    let (rules, depth) = (&*shared.rules, shared.depth);
    let target = candidate.target;
    let unread = |c: Candidate, e: ReadError| {
        let unread = match e {
            ReadError::Archived => Unread::Skipped {
                reason: SkipReason::StorageClass,
                location: c.location,
            },
            ReadError::Stopped => Unread::Failed {
                location: c.location,
                message: not_judged(&shared.stop),
            },
            e => Unread::Failed {
                location: c.location,
                message: e.to_string(),
            },
        };
        Outcome::Unread(target, unread)
    };
    let skipped = |c: Candidate, reason| {
        Outcome::Unread(
            target,
            Unread::Skipped {
                reason,
                location: c.location,
            },
        )
    };
    let (candidate, inspection) = match &candidate.origin {
        Origin::Local(local) => {
            // The buffer only grows (see `inspect_read`).
            if head.len() < HEAD_LEN {
                head.resize(HEAD_LEN, 0);
            }
            let path = local.path(&candidate.location);
            match LocalFile::open_with_head(local, path, head, shared.versions) {
                Ok(Headed::File {
                    mut file,
                    size,
                    read,
                    meta,
                }) => {
                    let name = candidate.rel();
                    let read = HeadRead { len: read, began };
                    match inspect_read(&mut file, size, Some(read), name, head, rules, depth) {
                        Ok(inspection) => {
                            let version = meta
                                .filter(|_| shared.versions)
                                .map(|m| fs::Version::of(&m).to_string());
                            let mut candidate = candidate;
                            (candidate.size, candidate.version) = (size, version);
                            (candidate, inspection)
                        }
                        Err(e) => return unread(candidate, e),
                    }
                }
                Ok(Headed::NotRegular) => return skipped(candidate, SkipReason::SpecialFile),
                Ok(Headed::Link) => return skipped(candidate, SkipReason::Symlink),
                Err(e) => return unread(candidate, e),
            }
        }
        Origin::Remote(listed, key, version) => {
            let (bucket, key, version) =
                (Arc::clone(listed.bucket()), key.clone(), version.clone());
            let (key, version) = (&key, version.as_deref());
            // An older version that is not there was not deleted during
            // the scan: its id is stale or wrong.
            let unread = |c, e| match e {
                ReadError::NotFound if version.is_some() => {
                    unread(c, ReadError::Remote(NO_SUCH_VERSION.into()))
                }
                e => unread(c, e),
            };
            let mut candidate = candidate;
            let mut object = bucket.open(key, version, candidate.size);
            // An inventory row is a day old: an object it lists as empty
            // may have been written since, and would never be asked for.
            if candidate.size == 0 && bucket.has_inventory() {
                match object.stat() {
                    Ok(size) => candidate.size = size,
                    Err(e) => return unread(candidate, e),
                }
            }
            // The bytes of a read made again still count as read.
            let (mut read_again, mut read_before) = (true, 0);
            loop {
                // Members are named from the key (an older version's too).
                match inspect(
                    &mut object,
                    candidate.size,
                    key.as_ref(),
                    head,
                    rules,
                    depth,
                ) {
                    // The store answered with another size than the row or
                    // listing gave (the object was replaced since): the
                    // verdict would be on a head cut to the old size.
                    Ok(first)
                        if read_again
                            && object
                                .answered_size()
                                .is_some_and(|size| size != candidate.size) =>
                    {
                        read_again = false;
                        read_before = first.bytes_read;
                        candidate.size = object.answered_size().unwrap_or(candidate.size);
                        object.put_back();
                        object = bucket.open(key, version, candidate.size);
                    }
                    Ok(mut inspection) => {
                        inspection.bytes_read += read_before;
                        apply_facts(&mut inspection, &object.facts());
                        // `--state` remembers the version that was read,
                        // not the one listed: an object replaced in
                        // between is read again next time.
                        if let (Some(_), Some(read)) = (&candidate.version, object.version_read()) {
                            candidate.version = Some(read);
                        }
                        break (candidate, inspection);
                    }
                    // Read once more at the end of the scan, when it can be.
                    Err(e @ (ReadError::Unanswered(_) | ReadError::EndpointDown)) => {
                        object.put_back();
                        return Outcome::PutOff(PutOff::new(candidate, &e));
                    }
                    Err(e) => return unread(candidate, e),
                }
            }
        }
    };
    let verdict = judge(&candidate, &inspection, rules, shared.entries);
    let Candidate {
        location,
        version,
        origin,
        ..
    } = candidate;
    retire(origin);
    Outcome::Scanned {
        target,
        location,
        version,
        verdict,
        bytes_read: inspection.bytes_read,
        unchanged: false,
    }
}

/// Directory handles a worker has finished with, let go of a batch at a
/// time.
const RETIRED_DIRS: usize = 16;

thread_local! {
    /// The walk takes a reference to a folder's open handle for each of
    /// its files, and the worker that read one gave it back: the count,
    /// shared by the folder's files, moved between the walk's core and
    /// the workers' on every object. Given back a batch at a time, it
    /// moves once per batch. A handle is closed at most that many objects
    /// later.
    static RETIRED: RefCell<Vec<fs::Anchor>> = const { RefCell::new(Vec::new()) };
}

/// Lets go of the folder handles retired so far: when a worker has no
/// object in hand, so that none stays open while it waits.
fn release_retired() {
    RETIRED.with(|retired| retired.borrow_mut().clear());
}

/// Lets go of a read object's origin, its folder's handle with others.
fn retire(origin: Origin) {
    let Origin::Local(fs::LocalPath {
        anchor: Some(anchor),
        ..
    }) = origin
    else {
        return;
    };
    RETIRED.with(|retired| {
        let mut retired = retired.borrow_mut();
        retired.push(anchor);
        if retired.len() >= RETIRED_DIRS {
            retired.clear();
        }
    });
}

/// The collector's side: each outcome into the report, the stream and the state.
struct Fold<'a> {
    builder: &'a mut ReportBuilder,
    sink: &'a mut dyn Sink,
    state: Option<&'a mut State>,
    baseline: &'a Baseline,
    /// Objects seen per target (by index), added to the report at the end.
    seen: Vec<u64>,
    inventory: bool,
    /// A batch of verdicts could not be saved: reported once, as an error.
    state_failed: bool,
}

/// A state that cannot be written is an error of the run, not a warning
/// a quiet run would drop: the next run reads every object again, and a
/// scheduled audit must learn why.
fn state_error(e: &StateError) -> ErrorEntry {
    let (location, message) = match e {
        StateError::Write { path, err } => (
            path.clone(),
            format!("state not saved: {err}; the next run reads these objects again"),
        ),
        other => (String::new(), other.to_string()),
    };
    ErrorEntry { location, message }
}

impl Fold<'_> {
    fn state_error(&mut self, e: &StateError) {
        crate::output::warn(&e.to_string());
        if !self.state_failed {
            self.state_failed = true;
            let error = state_error(e);
            self.sink.error(&error);
            self.builder.run_error(error);
        }
    }

    fn add(&mut self, outcome: Outcome) {
        match outcome {
            Outcome::Unread(target, Unread::Skipped { reason, location }) => {
                self.seen[target] += 1;
                self.builder.skipped(reason.as_str());
                if self.inventory {
                    self.object(ObjectEntry::skipped(location, reason.as_str()));
                }
            }
            Outcome::Unread(target, Unread::Failed { location, message }) => {
                self.seen[target] += 1;
                tracing::info!(location = %location, message = %message, "not read");
                let error = ErrorEntry { location, message };
                self.sink.error(&error);
                self.builder.error(error);
            }
            Outcome::PutOff(one) => self.add(put_off_failed(one)),
            Outcome::Scanned {
                target,
                location,
                version,
                verdict,
                bytes_read,
                unchanged,
            } => {
                self.seen[target] += 1;
                self.builder.scanned(verdict.class, bytes_read, unchanged);
                if let (Some(state), false, Some(version)) =
                    (self.state.as_deref_mut(), unchanged, &version)
                {
                    state.remember(&location, version, &verdict, target);
                }
                for s in verdict.allowed {
                    self.builder.suppressed(s);
                }
                for finding in verdict.findings {
                    if self.baseline.fingerprints.contains(&finding.fingerprint) {
                        self.builder.suppressed(Suppressed {
                            finding,
                            by: "baseline".into(),
                            reason: format!("accepted in {}", self.baseline.source),
                        });
                    } else {
                        self.sink.finding(&finding);
                        self.builder.finding(finding);
                    }
                }
                if self.inventory {
                    for object in verdict.objects {
                        self.object(object);
                    }
                }
                for limit in verdict.limits {
                    tracing::info!(location = %limit.location, member = ?limit.member, limit = %limit.limit, message = %limit.message, "limit reached");
                    self.sink.limit(&limit);
                    self.builder.limit(limit);
                }
            }
        }
    }

    fn object(&mut self, object: ObjectEntry) {
        self.sink.object(&object);
        self.builder.object(object);
    }
}

/// A fresh identifier per run: enough to tell two reports of one shard
/// apart. Under `SOURCE_DATE_EPOCH` (reproducible reports) it is derived
/// from what the run scanned instead of the clock.
fn scan_id(plan: &Plan) -> String {
    let mut h = Sha256::new();
    match source_date_epoch().ok().flatten() {
        Some(epoch) => {
            h.update(epoch.to_string().as_bytes());
            for t in &plan.targets {
                h.update(t.name().as_bytes());
                h.update([0]);
            }
            h.update(plan.shard.as_deref().unwrap_or("").as_bytes());
            h.update(plan.rules.sha256.as_bytes());
        }
        None => {
            let nanos = SystemTime::now()
                .duration_since(SystemTime::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos());
            h.update(nanos.to_le_bytes());
            h.update(std::process::id().to_le_bytes());
        }
    }
    format!("{:x}", h.finalize())[..16].to_string()
}

pub fn now() -> SystemTime {
    // SOURCE_DATE_EPOCH pins the timestamps, so reports can be compared byte for byte.
    source_date_epoch()
        .ok()
        .flatten()
        .map(|s| SystemTime::UNIX_EPOCH + Duration::from_secs(s))
        .unwrap_or_else(SystemTime::now)
}

/// The last second a report's RFC 3339 timestamps can write:
/// 9999-12-31T23:59:59Z.
const LAST_EPOCH: u64 = 253_402_300_799;

/// `SOURCE_DATE_EPOCH` when set (an empty value counts as unset): whole
/// seconds since 1970 that pin a report's timestamps. Anything else is a
/// fault to name before the run, not a value to ignore: the report it was
/// set to pin would silently not be.
pub fn source_date_epoch() -> anyhow::Result<Option<u64>> {
    let Some(raw) = std::env::var_os("SOURCE_DATE_EPOCH").filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    let text = raw.to_string_lossy();
    match text.parse::<u64>() {
        Ok(s) if s <= LAST_EPOCH => Ok(Some(s)),
        _ => anyhow::bail!(
            "SOURCE_DATE_EPOCH {text:?}: expected whole seconds since 1970, at most \
             {LAST_EPOCH} (the end of year 9999)"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job(name: &str) -> Job {
        Job::Event(Event::Object(Candidate::new(
            0,
            name.into(),
            name,
            0,
            Origin::Local(name.into()),
            None,
        )))
    }

    fn names(jobs: &[Job]) -> Vec<String> {
        jobs.iter().map(|j| j.whose().1.to_string()).collect()
    }

    fn shared(workers: usize) -> Shared {
        Shared {
            rules: Arc::new(RuleSet::embedded()),
            depth: 3,
            entries: false,
            versions: false,
            stop: Arc::default(),
            progress: Arc::new(Progress::new(false)),
            slots: (0..workers).map(|_| PaddedSlot::default()).collect(),
            orphans: Mutex::default(),
        }
    }

    #[test]
    fn a_stuck_worker_gives_up_its_batch_and_keeps_what_it_finished() {
        let shared = shared(2);
        shared.give(0, vec![job("b"), job("c")]);
        {
            let mut slot = shared.slot(0);
            let long_ago = Instant::now() - Duration::from_secs(60);
            slot.busy = Some((0, "stuck".into(), long_ago));
            slot.done = vec![Outcome::Unread(
                0,
                Unread::Skipped {
                    reason: SkipReason::Excluded,
                    location: "a".into(),
                },
            )];
        }
        shared.slot(1).busy = Some((0, "fresh".into(), Instant::now()));
        let (stuck, finished) = shared.watch(Duration::from_secs(30));
        assert_eq!(stuck, [(0, "stuck".to_string())]);
        assert_eq!(finished.len(), 1);
        assert!(shared.slot(0).abandoned && shared.slot(0).pending.is_empty());
        assert!(!shared.slot(1).abandoned);
        // Another worker takes the abandoned batch, in the order it was left.
        assert_eq!(names(&shared.steal(1)), ["c", "b"]);
        assert!(shared.steal(1).is_empty());
        // Marked once: a later look names only the other worker.
        assert_eq!(shared.watch(Duration::ZERO).0, [(0, "fresh".to_string())]);
        assert_eq!(shared.queued(), 0);
    }

    /// At the end of a stop's grace, objects still in hand are named once
    /// (an object the watchdog reported is not named again) and marked, so
    /// that their workers drop what they finish later.
    #[test]
    fn objects_in_hand_when_the_scan_stops_are_named_once() {
        let shared = shared(3);
        shared.slot(0).busy = Some((0, "reading".into(), Instant::now()));
        {
            let mut slot = shared.slot(1);
            slot.busy = Some((1, "stuck".into(), Instant::now()));
            slot.abandoned = true;
        }
        assert_eq!(shared.abandon_busy(), [(0, "reading".to_string())]);
        assert!(shared.slot(0).abandoned);
        assert!(shared.abandon_busy().is_empty());
    }

    #[test]
    fn an_idle_worker_takes_the_far_half_of_the_longest_busy_batch() {
        let shared = shared(3);
        let busy = |id: usize| shared.slot(id).busy = Some((0, "slow".into(), Instant::now()));
        shared.give(0, vec![job("y"), job("z")]);
        shared.give(1, vec![job("2"), job("3"), job("4"), job("5"), job("6")]);
        // A batch just handed over, its worker not yet busy, stays put.
        assert!(shared.steal(2).is_empty());
        busy(0);
        busy(1);
        // Worker 1 reaches "2" next; the thief takes what it would reach last.
        assert_eq!(names(&shared.steal(2)), ["6", "5", "4"]);
        assert_eq!(names(&shared.slot(1).pending), ["3", "2"]);
        assert_eq!(names(&shared.steal(2)), ["3"], "then the longer of two");
        assert_eq!(names(&shared.steal(2)), ["z"]);
        // One job left behind a slow object is taken too.
        assert_eq!(names(&shared.steal(2)), ["2"]);
        assert_eq!(names(&shared.steal(2)), ["y"]);
        assert!(shared.steal(2).is_empty());
        assert_eq!(shared.queued(), 0);
    }

    #[test]
    fn outcomes_finished_before_a_slow_object_are_taken_at_a_tick() {
        let shared = shared(1);
        let skipped = |name: &str| {
            Outcome::Unread(
                0,
                Unread::Skipped {
                    reason: SkipReason::Excluded,
                    location: name.into(),
                },
            )
        };
        {
            let mut slot = shared.slot(0);
            slot.busy = Some((0, "slow".into(), Instant::now()));
            slot.done = vec![skipped("a")];
        }
        assert!(
            shared.watch(Duration::from_secs(30)).1.is_empty(),
            "not yet"
        );
        shared.slot(0).busy = Some((0, "slow".into(), Instant::now() - FLUSH_EVERY));
        let (stuck, finished) = shared.watch(Duration::from_secs(30));
        assert!(stuck.is_empty());
        assert_eq!(finished.len(), 1);
        assert!(!shared.slot(0).abandoned);
    }

    #[test]
    fn folder_handles_are_let_go_of_a_batch_at_a_time_and_when_idle() {
        let dir = tempfile::tempdir().unwrap();
        let anchor = fs::anchor_at(dir.path()).unwrap();
        let origin = || {
            Origin::Local(fs::LocalPath {
                path: None,
                anchor: Some(anchor.clone()),
                follow: false,
            })
        };
        // Held: the walk's own reference and those retired since.
        for held in 1..RETIRED_DIRS {
            retire(origin());
            assert_eq!(Arc::strong_count(&anchor.dir), 1 + held);
        }
        retire(origin());
        assert_eq!(Arc::strong_count(&anchor.dir), 1);
        retire(origin());
        assert_eq!(Arc::strong_count(&anchor.dir), 2);
        release_retired();
        assert_eq!(Arc::strong_count(&anchor.dir), 1);
    }
}
