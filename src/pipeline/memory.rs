//! How many objects may be opened at once so that the members they
//! decompress fit in memory. With the default limits every worker may
//! (16 MiB an object); raised to their maxima (4 GiB an object), eight
//! workers each holding a bomb's output would need 64 GiB, and the process
//! would be killed with no report. Objects then wait for a slot: slower,
//! and every verdict the same, where cutting members short would make a
//! verdict depend on what the other workers happened to hold.

use std::sync::{Condvar, Mutex, OnceLock};

use crate::rules::Limits;

/// Memory one object's look inside may hold at worst: its decompressed
/// members (all of them at once when nested, and a growing buffer may
/// hold twice what it was given), the copy of one member its sniff reads,
/// and what it fetches of the object.
pub(crate) fn per_object(limits: &Limits, fetched: u64) -> u64 {
    limits
        .max_object_bytes
        .saturating_mul(2)
        .saturating_add(limits.max_member_bytes)
        .saturating_add(fetched)
}

/// Address space the process takes before any member is read, measured
/// (VmPeak): 1.4 GB with one worker (the binary, thread stacks, the
/// allocator's reserved segments), 1.9 GB with 8, 2.3 GB with 32 and no
/// more with 128.
fn address_space_overhead(workers: usize) -> u64 {
    (1536 << 20) + (workers.min(32) as u64) * (32 << 20)
}

/// The memory this process may use, and what bounds it: the smallest of
/// the machine's memory, its control group's limit and its address-space
/// limit (`ulimit -v`, less what `workers` map before reading anything),
/// where each can be read.
pub(crate) fn available(workers: usize) -> Option<(u64, &'static str)> {
    let mut best: Option<(u64, &'static str)> = None;
    let mut take = |bytes: Option<u64>, what: &'static str| {
        if let Some(b) = bytes.filter(|&b| b > 0) {
            if best.is_none_or(|(have, _)| b < have) {
                best = Some((b, what));
            }
        }
    };
    let meminfo = std::fs::read_to_string("/proc/meminfo").ok();
    take(
        meminfo.as_deref().and_then(|m| field_kib(m, "MemTotal:")),
        "the machine's memory",
    );
    for path in cgroup_files() {
        let text = std::fs::read_to_string(path).ok();
        // "max" (v2) or a huge number (v1) mean no limit.
        let limit = text.and_then(|t| t.trim().parse::<u64>().ok());
        take(
            limit.filter(|&l| l < 1 << 60),
            "the control group's memory limit",
        );
    }
    let limits = std::fs::read_to_string("/proc/self/limits").ok();
    let overhead = address_space_overhead(workers);
    take(
        limits
            .as_deref()
            .and_then(address_space)
            .map(|l| l.saturating_sub(overhead).max(1)),
        "the address space left under ulimit -v",
    );
    best
}

/// `Key:   N kB` of /proc/meminfo, in bytes.
fn field_kib(text: &str, key: &str) -> Option<u64> {
    let line = text.lines().find(|l| l.starts_with(key))?;
    let kib: u64 = line[key.len()..].split_whitespace().next()?.parse().ok()?;
    kib.checked_mul(1024)
}

/// The soft `Max address space` of /proc/self/limits, in bytes.
fn address_space(text: &str) -> Option<u64> {
    let line = text.lines().find(|l| l.starts_with("Max address space"))?;
    line["Max address space".len()..]
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// The memory-limit files of this process's control group and of the
/// groups above it (a limit set on a parent bounds its children too), v2
/// and v1, as mounted in a container (its own group at the root) or on a
/// host (the group's path below the root).
fn cgroup_files() -> Vec<String> {
    let groups = std::fs::read_to_string("/proc/self/cgroup").unwrap_or_default();
    cgroup_files_of(&groups)
}

fn cgroup_files_of(groups: &str) -> Vec<String> {
    let mut files = vec![
        "/sys/fs/cgroup/memory.max".to_string(),
        "/sys/fs/cgroup/memory/memory.limit_in_bytes".to_string(),
    ];
    for line in groups.lines() {
        let mut parts = line.splitn(3, ':');
        let (_, controllers, path) = (parts.next(), parts.next(), parts.next());
        let Some(path) = path.filter(|p| p.len() > 1 && !p.contains("..")) else {
            continue;
        };
        let (root, file) = match controllers {
            Some("") => ("/sys/fs/cgroup", "memory.max"),
            Some(c) if c.split(',').any(|c| c == "memory") => {
                ("/sys/fs/cgroup/memory", "memory.limit_in_bytes")
            }
            _ => continue,
        };
        let mut group = path.trim_end_matches('/');
        while !group.is_empty() {
            files.push(format!("{root}{group}/{file}"));
            group = group.rsplit_once('/').map_or("", |(parent, _)| parent);
        }
    }
    files
}

/// Objects that may be opened at once: all `workers` when their worst
/// case fits in three quarters of `available` (the rest is the process's
/// own: heads, decoders' tables, the report), fewer otherwise but at least
/// one while one object's worst case fits in all of it, and none when not.
pub(crate) fn slots(workers: usize, per_object: u64, available: u64) -> usize {
    if per_object > available {
        return 0;
    }
    let room = available / 4 * 3;
    usize::try_from(room / per_object.max(1)).map_or(workers, |n| n.clamp(1, workers))
}

/// The slots, once the run has counted them; none set (tests, fuzzing)
/// is no gate at all.
static GATE: OnceLock<Gate> = OnceLock::new();

struct Gate {
    free: Mutex<usize>,
    freed: Condvar,
}

/// Sets how many objects may be opened at once, for the whole process.
pub(crate) fn limit_open_objects(slots: usize) {
    let _ = GATE.set(Gate {
        free: Mutex::new(slots.max(1)),
        freed: Condvar::new(),
    });
}

/// Are objects held to fewer than the workers? (Asked first, so that a
/// run with room for all pays nothing per object.)
pub(crate) fn gated() -> bool {
    GATE.get().is_some()
}

/// A slot held while one object is opened; given back when dropped.
pub(crate) struct Slot(bool);

impl Drop for Slot {
    fn drop(&mut self) {
        if let (true, Some(gate)) = (self.0, GATE.get()) {
            *gate.free.lock().unwrap_or_else(|e| e.into_inner()) += 1;
            gate.freed.notify_one();
        }
    }
}

/// Waits for a slot to open one object. The wait gives this thread's CPU
/// permit back: a slot's holder may need one after a read from a bucket,
/// and must not wait on threads that wait on it.
pub(crate) fn open_slot() -> Slot {
    let Some(gate) = GATE.get() else {
        return Slot(false);
    };
    {
        let mut free = gate.free.lock().unwrap_or_else(|e| e.into_inner());
        if *free > 0 {
            *free -= 1;
            return Slot(true);
        }
    }
    crate::gate::waiting(|| {
        let mut free = gate.free.lock().unwrap_or_else(|e| e.into_inner());
        while *free == 0 {
            free = gate.freed.wait(free).unwrap_or_else(|e| e.into_inner());
        }
        *free -= 1;
    });
    Slot(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_leave_a_quarter_and_never_exceed_the_workers() {
        let gib = 1u64 << 30;
        let maxima = Limits {
            max_object_bytes: 4 * gib,
            ..Limits::default()
        };
        let one = per_object(&maxima, 64 << 20);
        assert_eq!(one, 8 * gib + (1 << 20) + (64 << 20));
        assert_eq!(slots(8, one, 24 * gib), 2);
        assert_eq!(slots(8, one, 10 * gib), 1);
        assert_eq!(slots(8, one, 8 * gib), 0);
        let defaults = per_object(&Limits::default(), 64 << 20);
        assert_eq!(slots(8, defaults, 2 * gib), 8);
        // A container of 128 MiB holds one object's worst case.
        assert_eq!(slots(2, defaults, 128 << 20), 1);
    }

    #[test]
    fn the_groups_above_the_process_are_read_too() {
        let files = cgroup_files_of("4:memory:/a/b\n0::/x/y\n");
        assert_eq!(
            files[2..],
            [
                "/sys/fs/cgroup/memory/a/b/memory.limit_in_bytes",
                "/sys/fs/cgroup/memory/a/memory.limit_in_bytes",
                "/sys/fs/cgroup/x/y/memory.max",
                "/sys/fs/cgroup/x/memory.max",
            ]
        );
    }

    #[test]
    fn limits_are_read_from_their_files_text() {
        let meminfo = "MemTotal:       24683792 kB\nMemFree:        21653848 kB\n";
        assert_eq!(field_kib(meminfo, "MemTotal:"), Some(24683792 * 1024));
        let limits = "Limit                     Soft Limit           Hard Limit           Units\n\
                      Max address space         3072000000           unlimited            bytes\n";
        assert_eq!(address_space(limits), Some(3072000000));
        assert_eq!(
            address_space("Max address space  unlimited  unlimited  bytes\n"),
            None
        );
    }
}
