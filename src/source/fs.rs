//! Local files: a walkdir producer that never follows links unless asked,
//! never opens anything but regular files, and turns every failure into an
//! event so the scan goes on.

use std::fs::{File, OpenOptions};
use std::io;
use std::os::unix::fs::{FileExt, MetadataExt, OpenOptionsExt};
use std::path::Path;

use globset::GlobSet;

use super::{Candidate, Event, ObjectReader, Origin, ReadError, Shard, SkipReason, Unread};

/// What decides which files of a tree are scanned.
#[derive(Clone, Debug, Default)]
pub struct WalkOptions {
    pub follow_symlinks: bool,
    pub include: Option<GlobSet>,
    pub exclude: Option<GlobSet>,
    pub shard: Option<Shard>,
}

impl WalkOptions {
    /// Excluded by the globs? (Paths outside the shard are not this run's objects at all.)
    pub fn is_excluded(&self, rel: &str) -> bool {
        self.exclude.as_ref().is_some_and(|g| g.is_match(rel))
            || self.include.as_ref().is_some_and(|g| !g.is_match(rel))
    }

    pub fn in_shard(&self, rel: &str) -> bool {
        self.shard.is_none_or(|s| s.contains(rel))
    }
}

/// Walks one local target (number `index` of the run), handing each event
/// to `emit` in walk order until `emit` says stop.
pub fn walk(index: usize, target: &Path, opts: &WalkOptions, emit: &mut dyn FnMut(Event) -> bool) {
    let root = target;
    let root_shown = escape_path(root);
    // By name, as `sort_by_file_name` would, but compared as whole paths:
    // siblings share their parent's path byte for byte, so the order is the
    // same, without parsing a file name out of each path at every comparison.
    let walker = walkdir::WalkDir::new(root)
        .follow_links(opts.follow_symlinks)
        .sort_by(|a, b| a.path().as_os_str().cmp(b.path().as_os_str()));
    for entry in walker {
        let entry = match entry {
            Ok(e) => e,
            Err(e) => {
                let location = escape_path(e.path().unwrap_or(root));
                let unread = match e.path().and_then(|p| link_trouble(p, &e)) {
                    Some(reason) => Unread::Skipped { reason, location },
                    None => {
                        let message = e.io_error().map_or_else(|| e.to_string(), io_message);
                        Unread::Failed { location, message }
                    }
                };
                if !emit(Event::Unread(index, unread)) {
                    return;
                }
                continue;
            }
        };
        let ft = entry.file_type();
        if ft.is_dir() {
            continue;
        }
        let location = escape_path(entry.path());
        let rel = below(&root_shown, &location, || entry.file_name());
        if !opts.in_shard(&rel) {
            continue;
        }
        let skip = if opts.is_excluded(&rel) {
            Some(SkipReason::Excluded)
        } else if ft.is_symlink() {
            Some(SkipReason::Symlink)
        } else if !ft.is_file() {
            Some(SkipReason::SpecialFile)
        } else {
            None
        };
        let event = match skip {
            Some(reason) => Event::Unread(index, Unread::Skipped { reason, location }),
            // Size and version come from the worker's fstat when it opens
            // the file (or its stat, when --state may spare the read): the
            // walk itself never stats a file, it only reads directories.
            None => Event::Object(Candidate {
                target: index,
                location,
                rel,
                size: 0,
                origin: Origin::Local(entry.path().to_path_buf()),
                version: None,
            }),
        };
        if !emit(event) {
            return;
        }
    }
}

/// What tells a file's content changed: size, mtime, inode, and ctime,
/// which (unlike mtime) no user can set back after rewriting in place.
pub fn version(m: &std::fs::Metadata) -> String {
    format!(
        "{}:{}.{}:{}:{}.{}",
        m.len(),
        m.mtime(),
        m.mtime_nsec(),
        m.ino(),
        m.ctime(),
        m.ctime_nsec()
    )
}

/// With `--follow-symlinks`, links that lead nowhere or back to themselves
/// are skips (the tree is as it is), not read errors.
fn link_trouble(path: &Path, e: &walkdir::Error) -> Option<SkipReason> {
    if e.loop_ancestor().is_some() {
        return Some(SkipReason::SymlinkLoop);
    }
    let is_link = std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink());
    let io = e.io_error()?;
    match (is_link, io.kind(), io.raw_os_error()) {
        (true, _, Some(libc::ELOOP)) => Some(SkipReason::SymlinkLoop),
        (true, io::ErrorKind::NotFound, _) => Some(SkipReason::DanglingSymlink),
        _ => None,
    }
}

/// A path as the report shows it, losslessly: UTF-8 as it is (backslashes
/// doubled), every other byte as `\xNN`. Two names that differ in their
/// bytes never share a location or a fingerprint.
pub fn escape_path(path: &Path) -> String {
    use std::os::unix::ffi::OsStrExt;
    escape_bytes(path.as_os_str().as_bytes())
}

pub fn escape_bytes(mut bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    while !bytes.is_empty() {
        let (valid, rest) = match std::str::from_utf8(bytes) {
            Ok(s) => (s, &[][..]),
            Err(e) => {
                let (ok, bad) = bytes.split_at(e.valid_up_to());
                (std::str::from_utf8(ok).unwrap_or_default(), bad)
            }
        };
        if valid.contains('\\') {
            out.push_str(&valid.replace('\\', "\\\\"));
        } else {
            out.push_str(valid);
        }
        bytes = rest;
        if let Some((&b, tail)) = bytes.split_first() {
            out.push_str(&format!("\\x{b:02x}"));
            bytes = tail;
        }
    }
    out
}

/// The path below the target, from the escaped location (the walk joins
/// names to the target as given); a file target is its own name.
fn below<'a>(root: &str, location: &str, name: impl FnOnce() -> &'a std::ffi::OsStr) -> String {
    use std::os::unix::ffi::OsStrExt;
    match location
        .strip_prefix(root)
        .map(|r| r.trim_start_matches('/'))
    {
        Some(rel) if !rel.is_empty() => rel.to_string(),
        _ => escape_bytes(name().as_bytes()),
    }
}

/// Lower-case, path-free I/O messages for the report.
pub fn io_message(e: &io::Error) -> String {
    match e.kind() {
        io::ErrorKind::PermissionDenied => "permission denied".into(),
        io::ErrorKind::NotFound => "vanished during the scan (not found)".into(),
        _ => {
            let s = e.to_string();
            s.split(" (os error").next().unwrap_or(&s).to_lowercase()
        }
    }
}

/// An opened local file.
pub struct LocalFile {
    file: File,
}

/// What opening a candidate found.
pub enum Opened {
    File(LocalFile, std::fs::Metadata),
    /// Replaced by a FIFO, socket or device after the walk saw it.
    NotRegular,
}

impl LocalFile {
    /// Opens without blocking (a FIFO swapped in after the walk must not hang
    /// the scan) and without becoming the controlling terminal; read-only.
    pub fn open(path: &Path) -> io::Result<Opened> {
        let file = OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY)
            .open(path)?;
        let meta = file.metadata()?;
        if !meta.is_file() {
            return Ok(Opened::NotRegular);
        }
        Ok(Opened::File(LocalFile { file }, meta))
    }
}

impl ObjectReader for LocalFile {
    fn read_at(&mut self, offset: u64, buf: &mut [u8]) -> Result<usize, ReadError> {
        let mut done = 0;
        while done < buf.len() {
            match self.file.read_at(&mut buf[done..], offset + done as u64) {
                Ok(0) => break,
                Ok(n) => done += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e.into()),
            }
        }
        Ok(done)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_paths_use_slashes_and_file_targets_use_their_name() {
        let name = |s: &'static str| move || std::ffi::OsStr::new(s);
        assert_eq!(below("a", "a/b/c.wav", name("c.wav")), "b/c.wav");
        assert_eq!(below("./a/", "./a/b.wav", name("b.wav")), "b.wav");
        assert_eq!(below(".", "./b.wav", name("b.wav")), "b.wav");
        assert_eq!(below("a/b.wav", "a/b.wav", name("b.wav")), "b.wav");
    }

    #[test]
    fn paths_are_escaped_losslessly() {
        use std::ffi::OsStr;
        use std::os::unix::ffi::OsStrExt;
        let p = |b: &[u8]| escape_path(Path::new(OsStr::from_bytes(b)));
        assert_eq!(p(b"x\xff.wav"), "x\\xff.wav");
        assert_eq!(p(b"x\\xff.wav"), "x\\\\xff.wav");
        assert_ne!(p(b"x\xff.wav"), p(b"x\xfe.wav"));
        assert_eq!(p("é.wav".as_bytes()), "é.wav");
    }
}
