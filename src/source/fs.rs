//! Local files: a walkdir producer that never follows links unless asked,
//! never opens anything but regular files, and turns every failure into an
//! event so the scan goes on.

use std::fs::{File, OpenOptions};
use std::io;
use std::os::unix::fs::{FileExt, MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use globset::GlobSet;

use super::{Candidate, Event, ObjectReader, Origin, Shard, SkipReason, Unread};

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

/// Walks one local target, handing each event to `emit` in walk order.
pub fn walk(target: &str, opts: &WalkOptions, emit: &mut dyn FnMut(Event)) {
    let root = Path::new(target);
    let walker = walkdir::WalkDir::new(root)
        .follow_links(opts.follow_symlinks)
        .sort_by_file_name();
    for entry in walker {
        let entry = match entry {
            Ok(e) => e,
            Err(e) => {
                let location = e
                    .path()
                    .map_or_else(|| target.to_string(), |p| p.display().to_string());
                let unread = if e.loop_ancestor().is_some() {
                    Unread::Skipped {
                        reason: SkipReason::SymlinkLoop,
                        location,
                    }
                } else {
                    let message = e.io_error().map_or_else(|| e.to_string(), io_message);
                    Unread::Failed { location, message }
                };
                emit(Event::Unread(unread));
                continue;
            }
        };
        let ft = entry.file_type();
        if ft.is_dir() {
            continue;
        }
        let rel = relative(root, entry.path());
        if !opts.in_shard(&rel) {
            continue;
        }
        let location = entry.path().display().to_string();
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
            Some(reason) => Event::Unread(Unread::Skipped { reason, location }),
            None => {
                let meta = entry.metadata().ok();
                Event::Object(Candidate {
                    location,
                    rel,
                    size: meta.as_ref().map_or(0, |m| m.len()),
                    origin: Origin::Local(entry.path().to_path_buf()),
                    version: meta.map(|m| {
                        format!("{}:{}.{}:{}", m.len(), m.mtime(), m.mtime_nsec(), m.ino())
                    }),
                })
            }
        };
        emit(event);
    }
}

/// The path below the target, with `/` separators; a file target is its own name.
fn relative(root: &Path, path: &Path) -> String {
    let rel = path
        .strip_prefix(root)
        .ok()
        .filter(|r| !r.as_os_str().is_empty());
    let rel = rel
        .map(PathBuf::from)
        .unwrap_or_else(|| path.file_name().map(PathBuf::from).unwrap_or_default());
    rel.components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
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
    File(LocalFile, u64),
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
        Ok(Opened::File(LocalFile { file }, meta.len()))
    }
}

impl ObjectReader for LocalFile {
    fn read_at(&mut self, offset: u64, buf: &mut [u8]) -> io::Result<usize> {
        let mut done = 0;
        while done < buf.len() {
            match self.file.read_at(&mut buf[done..], offset + done as u64) {
                Ok(0) => break,
                Ok(n) => done += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
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
        assert_eq!(relative(Path::new("a"), Path::new("a/b/c.wav")), "b/c.wav");
        assert_eq!(
            relative(Path::new("a/b.wav"), Path::new("a/b.wav")),
            "b.wav"
        );
    }
}
