//! CPU permits: `-j N` threads inspect at once, however many workers wait on
//! the network. A worker holds a permit while it works; a read from an
//! object store gives it back for as long as the request is in flight, so
//! `--concurrency` raises the requests in flight, not the CPU threads.

use std::cell::Cell;
use std::sync::{Condvar, Mutex, OnceLock};

struct Gate {
    permits: Mutex<Permits>,
    freed: Condvar,
}

struct Permits {
    free: usize,
    /// Threads blocked in `acquire`: a release wakes one only if there is
    /// one (a notification is a system call, per object otherwise).
    waiting: usize,
}

static GATE: OnceLock<Gate> = OnceLock::new();

thread_local! {
    static HOLDS: Cell<bool> = const { Cell::new(false) };
}

/// Sets the number of permits (once per process; later calls are ignored).
pub fn init(permits: usize) {
    let _ = GATE.set(Gate {
        permits: Mutex::new(Permits {
            free: permits.max(1),
            waiting: 0,
        }),
        freed: Condvar::new(),
    });
}

fn lock(gate: &Gate) -> std::sync::MutexGuard<'_, Permits> {
    gate.permits.lock().unwrap_or_else(|e| e.into_inner())
}

fn acquire(gate: &Gate) {
    let mut permits = lock(gate);
    while permits.free == 0 {
        permits.waiting += 1;
        permits = gate.freed.wait(permits).unwrap_or_else(|e| e.into_inner());
        permits.waiting -= 1;
    }
    permits.free -= 1;
}

fn release(gate: &Gate) {
    let mut permits = lock(gate);
    permits.free += 1;
    let wake = permits.waiting > 0;
    drop(permits);
    if wake {
        gate.freed.notify_one();
    }
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
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    #[test]
    fn permits_bound_the_threads_at_work_and_every_waiter_gets_one() {
        let gate = Arc::new(Gate {
            permits: Mutex::new(Permits {
                free: 2,
                waiting: 0,
            }),
            freed: Condvar::new(),
        });
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
        assert_eq!((permits.free, permits.waiting), (2, 0));
    }
}
