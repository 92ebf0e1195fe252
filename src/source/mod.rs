//! Stage 1: where objects come from. A source enumerates [`Candidate`]s and
//! opens them for bounded, positioned reads; everything downstream is the same
//! whatever the source.

pub mod bucket;
pub mod fs;

use std::io;
use std::sync::Arc;

/// Why an object was seen but not read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SkipReason {
    /// FIFO, socket or device node: never opened (a FIFO would block forever).
    SpecialFile,
    /// A symbolic link, not followed (see `--follow-symlinks`).
    Symlink,
    /// A link that leads back to one of its own ancestors.
    SymlinkLoop,
    /// Filtered out by `--include` / `--exclude`.
    Excluded,
    /// Archival storage class (Glacier, Archive tier): reading would need a restore.
    StorageClass,
}

impl SkipReason {
    pub fn as_str(self) -> &'static str {
        match self {
            SkipReason::SpecialFile => "special-file",
            SkipReason::Symlink => "symlink",
            SkipReason::SymlinkLoop => "symlink-loop",
            SkipReason::Excluded => "excluded",
            SkipReason::StorageClass => "storage-class",
        }
    }
}

/// One object to scan.
#[derive(Clone, Debug)]
pub struct Candidate {
    /// What the report calls it: the target as given joined with the path below it.
    pub location: String,
    /// Path relative to its target (or the object key): what globs and shards see.
    pub rel: String,
    pub size: u64,
    pub origin: Origin,
    /// What tells this object's content changed (`--state`): size, mtime
    /// and inode locally; ETag (or last-modified) and size in a bucket.
    pub version: Option<String>,
}

/// Where a candidate's bytes are.
#[derive(Clone, Debug)]
pub enum Origin {
    Local(std::path::PathBuf),
    Remote(Arc<bucket::Bucket>, object_store::path::Path),
}

/// What a walk yields, in walk order.
#[derive(Debug)]
pub enum Event {
    Object(Candidate),
    Unread(Unread),
}

/// An object seen but not read: by choice (skipped) or not (failed). Workers
/// produce these too, when an object turns out unreadable on opening.
#[derive(Debug)]
pub enum Unread {
    Skipped {
        reason: SkipReason,
        location: String,
    },
    Failed {
        location: String,
        message: String,
    },
}

/// Positioned reads of one opened object.
pub trait ObjectReader {
    /// Reads up to `buf.len()` bytes at `offset`; fewer only at end of object.
    fn read_at(&mut self, offset: u64, buf: &mut [u8]) -> io::Result<usize>;
}

/// An object held in memory (decoded members, tests, fuzzing).
impl ObjectReader for &[u8] {
    fn read_at(&mut self, offset: u64, buf: &mut [u8]) -> io::Result<usize> {
        let from = usize::try_from(offset)
            .unwrap_or(usize::MAX)
            .min(self.len());
        let n = buf.len().min(self.len() - from);
        buf[..n].copy_from_slice(&self[from..from + n]);
        Ok(n)
    }
}

/// A stable 64-bit hash of an object's key (FNV-1a): the same key lands in the
/// same shard on every machine and every run, whatever the listing order.
pub fn shard_hash(key: &str) -> u64 {
    key.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// `--shard K/N`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shard {
    pub index: u64,
    pub count: u64,
}

impl Shard {
    pub fn parse(s: &str) -> Result<Shard, String> {
        let (k, n) = s
            .split_once('/')
            .ok_or_else(|| format!("--shard {s:?}: expected K/N, e.g. 0/4"))?;
        let (index, count): (u64, u64) = (
            k.trim()
                .parse()
                .map_err(|_| format!("--shard {s:?}: K is not a number"))?,
            n.trim()
                .parse()
                .map_err(|_| format!("--shard {s:?}: N is not a number"))?,
        );
        if count == 0 || index >= count {
            return Err(format!("--shard {s:?}: need 0 <= K < N"));
        }
        Ok(Shard { index, count })
    }

    pub fn contains(&self, key: &str) -> bool {
        shard_hash(key) % self.count == self.index
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_partition_keys_stably() {
        let keys: Vec<String> = (0..1000).map(|i| format!("calls/2026/{i}.wav")).collect();
        let shards: Vec<Shard> = (0..4).map(|k| Shard { index: k, count: 4 }).collect();
        for key in &keys {
            assert_eq!(shards.iter().filter(|s| s.contains(key)).count(), 1);
        }
        let first = keys.iter().filter(|k| shards[0].contains(k)).count();
        assert!((180..320).contains(&first), "{first}");
        assert_eq!(shard_hash("a/b.wav"), shard_hash("a/b.wav"));
    }

    #[test]
    fn shard_syntax_is_checked() {
        assert_eq!(Shard::parse("1/3"), Ok(Shard { index: 1, count: 3 }));
        assert!(Shard::parse("3/3").is_err());
        assert!(Shard::parse("x").is_err());
    }
}
