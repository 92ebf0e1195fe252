//! CPU permits: `-j N` threads inspect at once, however many workers wait on
//! the network. A worker holds a permit while it works; a read from an
//! object store gives it back for as long as the request is in flight, so
//! `--concurrency` raises the requests in flight, not the CPU threads.

use std::cell::Cell;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};
use std::thread::Thread;

struct Gate {
    permits: Mutex<Permits>,
    /// `Permits::queue`'s length, readable without the lock: a worker that
    /// holds a permit across objects gives it back between two of them
    /// only when another thread waits for one.
    queued: AtomicUsize,
}

struct Permits {
    /// No permit is free while a thread waits: a release hands it over.
    free: usize,
    /// Threads waiting for a permit, oldest first, by ticket: a permit
    /// given back goes to the oldest, so a thread that asks again right
    /// after giving its permit back queues behind those that waited. Each
    /// is woken on its own, not all of them for one permit.
    queue: VecDeque<(u64, Thread)>,
    /// Tickets issued so far, and permits handed to queued threads: ticket
    /// `t` holds a permit once `served > t`.
    tickets: u64,
    served: u64,
}

static GATE: OnceLock<Gate> = OnceLock::new();

thread_local! {
    static HOLDS: Cell<bool> = const { Cell::new(false) };
}

/// Sets the number of permits (once per process; later calls are ignored).
pub fn init(permits: usize) {
    let _ = GATE.set(Gate::new(permits));
}

impl Gate {
    fn new(permits: usize) -> Gate {
        Gate {
            permits: Mutex::new(Permits {
                free: permits.max(1),
                queue: VecDeque::new(),
                tickets: 0,
                served: 0,
            }),
            queued: AtomicUsize::new(0),
        }
    }
}

fn lock(gate: &Gate) -> std::sync::MutexGuard<'_, Permits> {
    gate.permits.lock().unwrap_or_else(|e| e.into_inner())
}

fn acquire(gate: &Gate) {
    let mut permits = lock(gate);
    if permits.free > 0 && permits.queue.is_empty() {
        permits.free -= 1;
        return;
    }
    let ticket = permits.tickets;
    permits.tickets += 1;
    permits.queue.push_back((ticket, std::thread::current()));
    gate.queued.store(permits.queue.len(), Ordering::Relaxed);
    drop(permits);
    // An unpark before the park is kept: no wake-up is lost, and a
    // spurious one only looks at the count again.
    while lock(gate).served <= ticket {
        std::thread::park();
    }
}

fn release(gate: &Gate) {
    let mut permits = lock(gate);
    let Some((_, next)) = permits.queue.pop_front() else {
        permits.free += 1;
        return;
    };
    permits.served += 1;
    gate.queued.store(permits.queue.len(), Ordering::Relaxed);
    drop(permits);
    next.unpark();
}

/// Does another thread wait for a permit? (A hint: one that starts to
/// wait just after is seen at the holder's next object.)
pub fn contended() -> bool {
    GATE.get()
        .is_some_and(|g| g.queued.load(Ordering::Relaxed) > 0)
}

/// This thread's permit, held until dropped (none is needed when the gate
/// was never set, or when the thread holds one already).
pub struct Permit(Option<&'static Gate>);

impl Permit {
    /// Waits for a permit unless this thread holds one. A worker takes one
    /// for the run of objects it has in hand, not one per object: two
    /// lock round trips per object cost more than a small object's read.
    pub fn take() -> Permit {
        let Some(gate) = GATE.get().filter(|_| !HOLDS.get()) else {
            return Permit(None);
        };
        acquire(gate);
        HOLDS.set(true);
        Permit(Some(gate))
    }
}

impl Drop for Permit {
    fn drop(&mut self) {
        if let Some(gate) = self.0 {
            HOLDS.set(false);
            release(gate);
        }
    }
}

/// Runs `wait` (a network request) without holding this thread's permit.
pub fn waiting<T>(wait: impl FnOnce() -> T) -> T {
    let Some(gate) = GATE.get().filter(|_| HOLDS.get()) else {
        return wait();
    };
    release(gate);
    HOLDS.set(false);
    struct Reacquire<'g>(&'g Gate);
    impl Drop for Reacquire<'_> {
        fn drop(&mut self) {
            acquire(self.0);
            HOLDS.set(true);
        }
    }
    let _again = Reacquire(gate);
    wait()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn permits_bound_the_threads_at_work_and_every_waiter_gets_one() {
        let gate = Arc::new(Gate::new(2));
        let (now, most) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
        let threads: Vec<_> = (0..8)
            .map(|_| {
                let (gate, now, most) = (gate.clone(), now.clone(), most.clone());
                std::thread::spawn(move || {
                    for _ in 0..200 {
                        acquire(&gate);
                        let at_work = now.fetch_add(1, Ordering::SeqCst) + 1;
                        most.fetch_max(at_work, Ordering::SeqCst);
                        std::thread::yield_now();
                        now.fetch_sub(1, Ordering::SeqCst);
                        release(&gate);
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        assert_eq!(most.load(Ordering::SeqCst), 2);
        let permits = lock(&gate);
        assert_eq!((permits.free, permits.queue.len()), (2, 0));
    }

    /// A worker keeps its permit across objects and gives it back only
    /// when another thread waits; asking again at once, it queues behind
    /// that thread instead of taking the permit back in front of it.
    #[test]
    fn a_permit_given_back_goes_to_the_thread_that_waited() {
        let gate = Arc::new(Gate::new(1));
        acquire(&gate);
        let served = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let waiter = {
            let (gate, served) = (gate.clone(), served.clone());
            std::thread::spawn(move || {
                acquire(&gate);
                served.store(true, Ordering::SeqCst);
                release(&gate);
            })
        };
        let mut gave_back = 0;
        for _ in 0..1_000_000 {
            if served.load(Ordering::SeqCst) {
                break;
            }
            if gate.queued.load(Ordering::Relaxed) > 0 {
                release(&gate);
                acquire(&gate);
                gave_back += 1;
            }
            std::thread::yield_now();
        }
        assert!(served.load(Ordering::SeqCst), "the waiting thread starved");
        assert_eq!(gave_back, 1, "one hand-over was enough");
        waiter.join().unwrap();
        release(&gate);
        let permits = lock(&gate);
        assert_eq!((permits.free, permits.queue.len()), (1, 0));
    }
}
