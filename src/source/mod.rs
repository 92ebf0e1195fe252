//! Stage 1: where objects come from. A source enumerates [`Candidate`]s and
//! opens them for bounded, positioned reads; everything downstream is the same
//! whatever the source.

pub mod bucket;
pub mod fs;

use std::io;

/// Why an object was seen but not read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SkipReason {
    /// FIFO, socket or device node: never opened (a FIFO would block forever).
    SpecialFile,
    /// A symbolic link, not followed (see `--follow-symlinks`).
    Symlink,
    /// A link that leads back to itself or one of its own ancestors.
    SymlinkLoop,
    /// A link to nothing (with `--follow-symlinks`).
    DanglingSymlink,
    /// Filtered out by `--include` / `--exclude`.
    Excluded,
    /// Archival storage class (Glacier, Archive tier): reading would need a restore.
    StorageClass,
    /// A noncurrent version or generation, a snapshot or a soft-deleted blob
    /// an inventory lists: bytes the store keeps, not read (see `--versions`).
    Noncurrent,
}

impl SkipReason {
    pub fn as_str(self) -> &'static str {
        match self {
            SkipReason::SpecialFile => "special-file",
            SkipReason::Symlink => "symlink",
            SkipReason::SymlinkLoop => "symlink-loop",
            SkipReason::DanglingSymlink => "dangling-symlink",
            SkipReason::Excluded => "excluded",
            SkipReason::StorageClass => "storage-class",
            SkipReason::Noncurrent => "noncurrent",
        }
    }
}

/// One object to scan.
#[derive(Clone, Debug)]
pub struct Candidate {
    /// Index of the target (as given) that yielded it.
    pub target: usize,
    /// What the report calls it: the target as given joined with the path below it.
    pub location: String,
    /// Where [`Candidate::rel`] begins in `location`, which always ends
    /// with it: one string per object instead of two.
    rel_at: usize,
    pub size: u64,
    pub origin: Origin,
    /// What tells this object's content changed (`--state`): size, mtime
    /// and inode locally; ETag (or last-modified) and size in a bucket.
    pub version: Option<String>,
}

impl Candidate {
    /// `location` must end with `rel` (a local path below its target, or
    /// an object key after its bucket's URL); otherwise its last path
    /// segment stands for it.
    pub fn new(
        target: usize,
        location: String,
        rel: &str,
        size: u64,
        origin: Origin,
        version: Option<String>,
    ) -> Candidate {
        debug_assert!(location.ends_with(rel), "{rel:?} ends {location:?}");
        let rel_len = if location.ends_with(rel) {
            rel.len()
        } else {
            location.len() - location.rfind('/').map_or(0, |at| at + 1)
        };
        Candidate {
            size,
            version,
            ..Candidate::ending(target, location, rel_len, origin)
        }
    }

    /// A walked file, whose path below its target is the last `rel_len`
    /// bytes of `location`; size and version are the worker's to find.
    /// A length that does not end on a character stands for the last path
    /// segment, never for an empty path.
    pub fn ending(target: usize, location: String, rel_len: usize, origin: Origin) -> Candidate {
        let mut rel_at = location.len().saturating_sub(rel_len);
        if !location.is_char_boundary(rel_at) {
            debug_assert!(false, "{rel_len} bytes end {location:?} inside a character");
            rel_at = location.rfind('/').map_or(0, |at| at + 1);
        }
        Candidate {
            target,
            rel_at,
            location,
            size: 0,
            origin,
            version: None,
        }
    }

    /// Path relative to its target (or the object key as the location
    /// writes it, with an older version's id): what a finding's `path` and
    /// SARIF show. Rules match [`Candidate::rule_path`].
    pub fn rel(&self) -> &str {
        self.location.get(self.rel_at..).unwrap_or_default()
    }

    /// What rules' `paths` and the allow-list match, as `--include` and
    /// `--exclude` do: the path below a local target, or a bucket object's
    /// key itself (not its location's escapes, nor an older version's id:
    /// a rule for `calls/*.wav` covers every version of those keys).
    pub fn rule_path(&self) -> &str {
        match &self.origin {
            Origin::Local(_) => self.rel(),
            Origin::Remote(_, key, _) => key.as_ref(),
        }
    }

    /// What its findings' fingerprints hash: the path below the target for a
    /// local object (so `.`, `$PWD` and `../repo` agree), the full URL for a
    /// bucket object.
    pub fn identity(&self) -> &str {
        match self.origin {
            Origin::Local(_) => self.rel(),
            Origin::Remote(..) => &self.location,
        }
    }

    /// Who can read it without credentials (its bucket's probe).
    pub fn exposure(&self) -> bucket::Exposure {
        match &self.origin {
            Origin::Local(_) => bucket::Exposure::Unknown,
            Origin::Remote(b, ..) => b.exposure().exposure,
        }
    }
}

/// Where a candidate's bytes are.
#[derive(Clone, Debug)]
pub enum Origin {
    Local(fs::LocalPath),
    /// A bucket object: its key, and the version a GET asks for when it is
    /// not the current one (`--versions all`).
    Remote(bucket::Listed, object_store::path::Path, Option<Box<str>>),
}

/// What a walk yields, in walk order.
#[derive(Debug)]
pub enum Event {
    Object(Candidate),
    Unread(usize, Unread),
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

/// Why an object's bytes could not be read. The message is what the report
/// shows: lower-case, one line, no paths or credentials.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("permission denied")]
    PermissionDenied,
    #[error("vanished during the scan (not found)")]
    NotFound,
    /// An archival tier (S3 Glacier/Deep Archive, Azure Archive): not an
    /// error of the scan but a skip (`storage-class`).
    #[error("archival storage class: a restore is needed before reading")]
    Archived,
    #[error("not read: the endpoint had stopped answering")]
    EndpointDown,
    /// The scan stopped before every request the object needed went out.
    #[error("not read: the scan stopped first")]
    Stopped,
    /// No answer (a timeout, a connection refused or dropped, throttling or
    /// a server error after every retry): may well work later.
    #[error("{0}")]
    Unanswered(String),
    /// An object store's answer, already made one line and credential-free.
    #[error("{0}")]
    Remote(String),
    #[error("{}", fs::io_message(.0))]
    Io(io::Error),
}

impl From<io::Error> for ReadError {
    fn from(e: io::Error) -> Self {
        match e.kind() {
            io::ErrorKind::PermissionDenied => ReadError::PermissionDenied,
            io::ErrorKind::NotFound => ReadError::NotFound,
            _ => ReadError::Io(e),
        }
    }
}

impl Unread {
    pub fn location(&self) -> &str {
        match self {
            Unread::Skipped { location, .. } | Unread::Failed { location, .. } => location,
        }
    }
}

/// Positioned reads of one opened object.
pub trait ObjectReader {
    /// Reads up to `buf.len()` bytes at `offset`; fewer only at end of object.
    fn read_at(&mut self, offset: u64, buf: &mut [u8]) -> Result<usize, ReadError>;
}

/// An object held in memory (decoded members, tests, fuzzing).
impl ObjectReader for &[u8] {
    fn read_at(&mut self, offset: u64, buf: &mut [u8]) -> Result<usize, ReadError> {
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

impl std::fmt::Display for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

/// The most shards one scan may be split into.
pub const MAX_SHARDS: u64 = 10_000;

impl Shard {
    pub fn parse(s: &str) -> Result<Shard, String> {
        let (k, n) = s
            .split_once('/')
            .ok_or_else(|| "expected K/N, e.g. 0/4".to_string())?;
        let (index, count): (u64, u64) = (
            k.trim().parse().map_err(|_| "K is not a number")?,
            n.trim().parse().map_err(|_| "N is not a number")?,
        );
        if count == 0 || index >= count {
            return Err("need 0 <= K < N".into());
        }
        // A merge lists every shard it lacks: N bounds that list.
        if count > MAX_SHARDS {
            return Err(format!("at most {MAX_SHARDS} shards"));
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
