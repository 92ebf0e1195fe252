//! Local files: a walkdir producer that never follows links unless asked,
//! never opens anything but regular files, and turns every failure into an
//! event so the scan goes on.

use std::fs::File;
use std::io;
use std::os::fd::OwnedFd;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use globset::GlobSet;

use super::{Candidate, Event, ObjectReader, Origin, ReadError, Shard, SkipReason, Unread};

/// What decides which files of a tree are scanned.
#[derive(Clone, Debug, Default)]
pub struct WalkOptions {
    pub follow_symlinks: bool,
    pub include: Option<GlobSet>,
    pub exclude: Option<GlobSet>,
    pub shard: Option<Shard>,
    pub own: OwnFiles,
    /// The existing file `-o` names, watched for: met by the walk, it is a
    /// file of a target, whatever path `-o` reached it by.
    pub output: Option<Arc<OutputWatch>>,
    /// Siblings in name order, which the state's cursor reads along; a
    /// run without a state takes the folder's own order and skips a sort
    /// that costs more per file than reading a small one.
    pub sorted: bool,
}

/// Files the run itself writes (report, temporary file, state database),
/// by name and the identity of their folder: a target that holds them does
/// not scan them, whatever path — a second mount, a link — it reaches
/// that folder by.
#[derive(Clone, Debug, Default)]
pub struct OwnFiles(Vec<Place>);

/// A folder's device and inode: the same on every path that reaches it,
/// bind mounts included, where comparing resolved paths is not.
pub type FolderId = (u64, u64);

/// The folder a path names its file in (a bare name is in the working
/// folder), by identity, whether or not the file exists.
pub fn folder_id(path: &Path) -> Option<FolderId> {
    let parent = path.parent().filter(|d| !d.as_os_str().is_empty());
    let meta = std::fs::metadata(parent.unwrap_or(Path::new("."))).ok()?;
    meta.is_dir().then(|| (meta.dev(), meta.ino()))
}

/// One file, by its name and its folder's identity.
#[derive(Clone, Debug)]
struct Place {
    name: std::ffi::OsString,
    folder: FolderId,
}

impl Place {
    fn of(path: &Path) -> Option<Place> {
        Some(Place {
            name: path.file_name()?.to_owned(),
            folder: folder_id(path)?,
        })
    }

    /// Is `path`, whose file name is `name`, this file? Names are compared
    /// first: a folder is looked up only for an entry of the same name.
    fn is(&self, path: &Path, name: &std::ffi::OsStr) -> bool {
        self.name == name && folder_id(path) == Some(self.folder)
    }
}

impl OwnFiles {
    pub fn new(paths: &[PathBuf]) -> OwnFiles {
        OwnFiles(paths.iter().filter_map(|p| Place::of(p)).collect())
    }

    /// Is `path`, named `name`, one of them?
    fn holds(&self, path: &Path, name: &std::ffi::OsStr) -> bool {
        self.0.iter().any(|place| place.is(path, name))
    }
}

/// The existing file `-o` names, as the walk may meet it.
#[derive(Debug)]
pub struct OutputWatch {
    pub path: PathBuf,
    place: Place,
    met: std::sync::atomic::AtomicBool,
}

impl OutputWatch {
    /// Watches for `path` when it names an existing file.
    pub fn new(path: &Path) -> Option<OutputWatch> {
        std::fs::metadata(path).ok().filter(|m| m.is_file())?;
        Some(OutputWatch {
            path: path.to_owned(),
            place: Place::of(path)?,
            met: std::sync::atomic::AtomicBool::new(false),
        })
    }

    /// Notes `path`, named `name`, when it is the watched file.
    fn check(&self, path: &Path, name: &std::ffi::OsStr) {
        if self.place.is(path, name) {
            self.met.store(true, Ordering::Relaxed);
        }
    }

    /// Did a walk meet it?
    pub fn met(&self) -> bool {
        self.met.load(Ordering::Relaxed)
    }
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
    let mut walker = walkdir::WalkDir::new(root).follow_links(opts.follow_symlinks);
    if opts.sorted {
        walker = walker.sort_by(|a, b| a.path().as_os_str().cmp(b.path().as_os_str()));
    }
    // The directories on the way down to the current entry, by depth: a
    // file's parent is `dirs[depth - 1]`.
    let mut dirs: Vec<Option<Arc<DirHandle>>> = Vec::new();
    let mut walker = walker.into_iter();
    while let Some(entry) = walker.next() {
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
        let depth = entry.depth();
        // A link the user named is followed: walkdir enters a root link to
        // a folder itself, and a root link to a file is that file.
        let ft = if depth == 0 && entry.path_is_symlink() {
            std::fs::metadata(entry.path()).map_or(entry.file_type(), |m| m.file_type())
        } else {
            entry.file_type()
        };
        // Slot `depth` always holds this entry's directory (or `None`): the
        // root takes its slot whatever its type (a root link to a folder
        // is opened through the link, as walkdir enters it).
        if depth == 0 || ft.is_dir() {
            dirs.truncate(depth);
            dirs.resize(depth, None);
            let follow = opts.follow_symlinks || depth == 0;
            let anchor = anchor(&dirs);
            let opened = if ft.is_dir() {
                DirHandle::open(anchor.as_ref(), entry.path(), follow)
            } else {
                Ok(None)
            };
            let handle = match opened {
                Ok(handle) => handle,
                // Swapped for a link after its parent was listed: walkdir
                // has listed the link's target, which is not entered.
                // (O_NOFOLLOW with O_DIRECTORY fails on a link as ENOTDIR.)
                Err(e)
                    if matches!(e.raw_os_error(), Some(libc::ELOOP | libc::ENOTDIR))
                        && std::fs::symlink_metadata(entry.path())
                            .is_ok_and(|m| m.file_type().is_symlink()) =>
                {
                    walker.skip_current_dir();
                    let location = escape_path(entry.path());
                    let in_shard = opts.in_shard(below(&root_shown, &location));
                    let skipped = Unread::Skipped {
                        reason: SkipReason::Symlink,
                        location,
                    };
                    if in_shard && !emit(Event::Unread(index, skipped)) {
                        return;
                    }
                    continue;
                }
                Err(_) => None,
            };
            dirs.push(handle);
            if ft.is_dir() {
                continue;
            }
        }
        if let Some(name) = file_name(entry.path()) {
            if let Some(output) = &opts.output {
                output.check(entry.path(), name);
            }
            if opts.own.holds(entry.path(), name) {
                continue;
            }
        }
        let (location, own_path) = located(entry.into_path());
        let rel = below(&root_shown, &location);
        if !opts.in_shard(rel) {
            continue;
        }
        let skip = if opts.is_excluded(rel) {
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
            None => {
                let anchor = dirs.get(..depth).and_then(anchor);
                let rel = rel.len();
                let origin = Origin::Local(LocalPath {
                    path: own_path,
                    anchor,
                    follow: opts.follow_symlinks || depth == 0,
                });
                Event::Object(Candidate::ending(index, location, rel, origin))
            }
        };
        if !emit(event) {
            return;
        }
    }
}

/// What tells a file's content changed: size, mtime, inode, and ctime,
/// which (unlike mtime) no user can set back after rewriting in place.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Version {
    size: u64,
    mtime: (i64, i64),
    ino: u64,
    ctime: (i64, i64),
}

impl Version {
    pub fn of(m: &std::fs::Metadata) -> Version {
        Version {
            size: m.len(),
            mtime: (m.mtime(), m.mtime_nsec()),
            ino: m.ino(),
            ctime: (m.ctime(), m.ctime_nsec()),
        }
    }

    /// Written into `buf`, as the state stores it: no allocation per file
    /// when a second run only compares.
    pub fn write<'b>(&self, buf: &'b mut [u8; 128]) -> &'b str {
        use std::io::Write;
        let mut rest = &mut buf[..];
        // Five integers of at most 20 digits and their separators: < 128 bytes.
        let _ = write!(
            rest,
            "{}:{}.{}:{}:{}.{}",
            self.size, self.mtime.0, self.mtime.1, self.ino, self.ctime.0, self.ctime.1
        );
        let len = 128 - rest.len();
        std::str::from_utf8(&buf[..len]).unwrap_or_default()
    }
}

impl std::fmt::Display for Version {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.write(&mut [0; 128]))
    }
}

/// The deepest open directory among those on the way down (`dirs[d]` at
/// depth `d`), and how many path components lie below it to the entry one
/// level deeper than the last.
fn anchor(dirs: &[Option<Arc<DirHandle>>]) -> Option<Anchor> {
    let (depth, dir) = dirs
        .iter()
        .enumerate()
        .rev()
        .find_map(|(d, h)| Some((d, h.clone()?)))?;
    Some(Anchor {
        dir,
        steps: dirs.len() - depth,
    })
}

/// An open directory the walk passed through. Its files are opened and
/// stat-ed by name relative to it, so the kernel looks up one name per
/// file rather than every component of its path.
#[derive(Debug)]
pub struct DirHandle {
    fd: OwnedFd,
    /// Its filesystem answers a read short only at the end of a file, so a
    /// short read of a head gives the file's size (see [`ends_reads_short`]).
    short_read_ends: bool,
}

/// Filesystems (by `statfs` magic) whose reads of a regular file come back
/// short only at its end: local disks and memory. FUSE and network
/// filesystems may answer a read short in the middle, and anything not
/// named here is asked for its size.
#[cfg(target_os = "linux")]
const SHORT_READ_ENDS: [u32; 8] = [
    0xEF53,      // ext2, ext3, ext4
    0x5846_5342, // XFS
    0x9123_683E, // Btrfs
    0x0102_1994, // tmpfs
    0x8584_58F6, // ramfs
    0x2FC1_2FC1, // ZFS
    0xF2F5_2010, // F2FS
    0x794C_7630, // overlayfs (containers' root filesystems)
];

/// Whether the filesystem of `fd` is one of [`SHORT_READ_ENDS`].
fn ends_reads_short(fd: &OwnedFd) -> bool {
    #[cfg(target_os = "linux")]
    {
        rustix::fs::fstatfs(fd).is_ok_and(|st| {
            let magic = st.f_type as u64 as u32;
            SHORT_READ_ENDS.contains(&magic)
        })
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = fd;
        false
    }
}

/// Directories held open at once, by the walk and by files in flight: a
/// deep or wide tree falls back to whole paths instead of running out of
/// descriptors. At most a quarter of the process's limit, so files,
/// sockets and the state database always find one.
const MAX_OPEN_DIRS: usize = 128;
static OPEN_DIRS: AtomicUsize = AtomicUsize::new(0);

fn open_dirs_allowed() -> usize {
    static ALLOWED: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *ALLOWED.get_or_init(|| {
        let limit = rustix::process::getrlimit(rustix::process::Resource::Nofile).current;
        limit.map_or(MAX_OPEN_DIRS, |n| {
            MAX_OPEN_DIRS.min(usize::try_from(n / 4).unwrap_or(MAX_OPEN_DIRS))
        })
    })
}

impl DirHandle {
    /// `None` (whole paths are used) when too many are open; an error when
    /// it cannot be opened (a link where links are not followed is one).
    /// The walk reports the directory's other errors itself. Opened below
    /// `anchor` where one is open, as files are.
    fn open(
        anchor: Option<&Anchor>,
        path: &Path,
        follow: bool,
    ) -> io::Result<Option<Arc<DirHandle>>> {
        use rustix::fs::OFlags;
        if OPEN_DIRS.fetch_add(1, Ordering::Relaxed) >= open_dirs_allowed() {
            OPEN_DIRS.fetch_sub(1, Ordering::Relaxed);
            return Ok(None);
        }
        // Without --follow-symlinks a directory swapped for a link after
        // the walk listed it is not entered.
        let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC | OFlags::NOCTTY;
        match open_below(anchor, path, flags, follow) {
            Ok(fd) => {
                let short_read_ends = ends_reads_short(&fd);
                Ok(Some(Arc::new(DirHandle {
                    fd,
                    short_read_ends,
                })))
            }
            Err(e) => {
                OPEN_DIRS.fetch_sub(1, Ordering::Relaxed);
                Err(e)
            }
        }
    }
}

/// An open directory above an entry, and how many components of the
/// entry's path lie below it (1: the entry is in it).
#[derive(Clone, Debug)]
pub struct Anchor {
    pub dir: Arc<DirHandle>,
    pub steps: usize,
}

impl Anchor {
    /// The last `steps` components of `path`: the entry's path below the anchor.
    fn below<'p>(&self, path: &'p Path) -> Option<std::borrow::Cow<'p, Path>> {
        if self.steps == 1 {
            return Some(Path::new(file_name(path)?).into());
        }
        let parts: Vec<_> = path.components().collect();
        let rest = parts.get(parts.len().checked_sub(self.steps)?..)?;
        rest.iter()
            .all(|c| matches!(c, std::path::Component::Normal(_)))
            .then(|| rest.iter().collect::<PathBuf>().into())
    }
}

/// `path.file_name()`, found from the last `/` when that ends a plain name:
/// what the walk's paths (a directory joined with an entry) always are.
/// Parsing components cost a few hundred instructions on every entry.
fn file_name(path: &Path) -> Option<&std::ffi::OsStr> {
    use std::os::unix::ffi::OsStrExt;
    let bytes = path.as_os_str().as_bytes();
    let name = memchr::memrchr(b'/', bytes).map_or(bytes, |at| &bytes[at + 1..]);
    if name.is_empty() || name == b"." || name == b".." {
        return path.file_name();
    }
    Some(std::ffi::OsStr::from_bytes(name))
}

/// Opens `path` by its components below `anchor` (by whole path without
/// one). Without `follow`, no link is followed on the way: a directory
/// swapped for a link after the walk entered its parent leads nowhere
/// outside the target. The anchor was opened without following links, so
/// only the components below it need checking: one name is checked by
/// O_NOFOLLOW, several by openat2's RESOLVE_NO_SYMLINKS. A kernel without
/// openat2 (before 5.6, or one a sandbox denies it) checks the last only.
fn open_below(
    anchor: Option<&Anchor>,
    path: &Path,
    mut flags: rustix::fs::OFlags,
    follow: bool,
) -> io::Result<OwnedFd> {
    use rustix::fs::{Mode, OFlags};
    if !follow {
        flags |= OFlags::NOFOLLOW;
    }
    let Some((anchor, below)) = anchor.and_then(|a| Some((a, a.below(path)?))) else {
        return rustix::fs::open(path, flags, Mode::empty()).map_err(io::Error::from);
    };
    #[cfg(target_os = "linux")]
    if !follow && anchor.steps > 1 {
        use rustix::fs::ResolveFlags;
        let open = |flags| {
            rustix::fs::openat2(
                &anchor.dir.fd,
                &*below,
                flags,
                Mode::empty(),
                ResolveFlags::NO_SYMLINKS,
            )
        };
        // EPERM is a refused O_NOATIME or a sandbox's refusal of openat2:
        // asked again without the flag first, so that the open below, which
        // checks no link on the way, is made only for the sandbox.
        match keeping_atime(flags, |flags| open(flags).map_err(io::Error::from)) {
            Err(e) if matches!(e.raw_os_error(), Some(libc::ENOSYS | libc::EPERM)) => {}
            opened => return opened,
        }
    }
    rustix::fs::openat(&anchor.dir.fd, &*below, flags, Mode::empty()).map_err(io::Error::from)
}

/// How a file is opened: read-only, without blocking (a FIFO swapped in
/// after the walk must not hang the scan) and without becoming the
/// controlling terminal.
const FILE_FLAGS: rustix::fs::OFlags = rustix::fs::OFlags::RDONLY
    .union(rustix::fs::OFlags::NONBLOCK)
    .union(rustix::fs::OFlags::NOCTTY)
    .union(rustix::fs::OFlags::CLOEXEC);

/// Set once the kernel refused `O_NOATIME` (a file of another owner, to a
/// user without CAP_FOWNER): the files after it are opened without asking.
/// One refusal foretells many in a tree that is not the user's, and each
/// costs a second open.
#[cfg(target_os = "linux")]
static NOATIME_REFUSED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// [`FILE_FLAGS`], asking the kernel not to update the file's access time
/// unless it refused that before. Relatime updates it at a read a day
/// after the last: a nightly audit would write every inode it reads, and
/// wipe the record of who last read the file, which an investigation of
/// a leak may need.
fn file_flags() -> rustix::fs::OFlags {
    #[cfg(target_os = "linux")]
    if !NOATIME_REFUSED.load(Ordering::Relaxed) {
        return FILE_FLAGS | rustix::fs::OFlags::NOATIME;
    }
    FILE_FLAGS
}

/// `open(flags)`, and where the kernel refused `O_NOATIME` in them (EPERM
/// where the open without it succeeds), the open without it.
fn keeping_atime<T>(
    flags: rustix::fs::OFlags,
    open: impl Fn(rustix::fs::OFlags) -> io::Result<T>,
) -> io::Result<T> {
    #[cfg(target_os = "linux")]
    {
        use rustix::fs::OFlags;
        match open(flags) {
            Err(e) if flags.contains(OFlags::NOATIME) && e.raw_os_error() == Some(libc::EPERM) => {
                let opened = open(flags - OFlags::NOATIME);
                if opened.is_ok() {
                    NOATIME_REFUSED.store(true, Ordering::Relaxed);
                }
                opened
            }
            opened => opened,
        }
    }
    #[cfg(not(target_os = "linux"))]
    open(flags)
}

/// Opens a file by its name in the directory `anchor` holds, read-only,
/// without blocking and without following a final link, refusing to cross
/// a mount point (`RESOLVE_NO_XDEV`). `None` where it would cross one, or
/// where the kernel (before 5.6) or a sandbox refuses `openat2`: the caller
/// opens it as any other file and asks it what it is.
fn open_on_this_filesystem(anchor: &Anchor, path: &Path) -> io::Result<Option<File>> {
    #[cfg(target_os = "linux")]
    {
        use rustix::fs::{Mode, OFlags, ResolveFlags};
        let Some(name) = file_name(path) else {
            return Ok(None);
        };
        // EPERM here may be a sandbox's answer to openat2: the caller's
        // open tells it from a refused O_NOATIME.
        match rustix::fs::openat2(
            &anchor.dir.fd,
            name,
            file_flags() | OFlags::NOFOLLOW,
            Mode::empty(),
            ResolveFlags::NO_XDEV,
        ) {
            Ok(fd) => Ok(Some(File::from(fd))),
            Err(rustix::io::Errno::XDEV | rustix::io::Errno::NOSYS | rustix::io::Errno::PERM) => {
                Ok(None)
            }
            Err(e) => Err(e.into()),
        }
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = (anchor, path);
        Ok(None)
    }
}

impl Drop for DirHandle {
    fn drop(&mut self) {
        OPEN_DIRS.fetch_sub(1, Ordering::Relaxed);
    }
}

/// A local file: its path, an open directory above it when the walk holds
/// one, and whether a link in its place may be followed.
#[derive(Clone, Debug)]
pub struct LocalPath {
    /// The file's path where its location (what the report calls it) is
    /// not that path as it is. A walked path of UTF-8 without a backslash
    /// is its own location, kept once: a second copy cost an allocation on
    /// the walk's core and a cache miss on the worker's, per file.
    pub path: Option<PathBuf>,
    pub anchor: Option<Anchor>,
    /// The walk followed links here (`--follow-symlinks`, or a path the
    /// user named). Otherwise the file is opened without following a
    /// link: one swapped in after the walk saw a file or a folder on its
    /// way is not read through.
    pub follow: bool,
}

impl From<PathBuf> for LocalPath {
    fn from(path: PathBuf) -> LocalPath {
        LocalPath {
            path: Some(path),
            anchor: None,
            follow: true,
        }
    }
}

impl From<&str> for LocalPath {
    fn from(path: &str) -> LocalPath {
        PathBuf::from(path).into()
    }
}

impl LocalPath {
    /// The file's path, given its location.
    pub fn path<'a>(&'a self, location: &'a str) -> &'a Path {
        self.path.as_deref().unwrap_or_else(|| Path::new(location))
    }

    /// Its directory and its name in it (its path is `path`), when the
    /// directory is open.
    fn in_dir<'a>(&'a self, path: &'a Path) -> Option<(&'a DirHandle, &'a std::ffi::OsStr)> {
        let anchor = self.anchor.as_ref().filter(|a| a.steps == 1)?;
        Some((&anchor.dir, path.file_name()?))
    }

    /// Its version now, following a final link only where the walk
    /// follows links (as the open that read it did): `None` unless it is a
    /// regular file.
    pub fn version(&self, path: &Path) -> Option<Version> {
        #[cfg(target_os = "linux")]
        if let Some((dir, name)) = self.in_dir(path) {
            use rustix::fs::{AtFlags, FileType, StatxFlags};
            let want = StatxFlags::TYPE
                | StatxFlags::SIZE
                | StatxFlags::INO
                | StatxFlags::MTIME
                | StatxFlags::CTIME;
            // Asked as std asks (network file systems decide by the mask
            // whether to revalidate cached attributes).
            let ask = StatxFlags::BASIC_STATS | StatxFlags::BTIME;
            let at = if self.follow {
                AtFlags::empty()
            } else {
                AtFlags::SYMLINK_NOFOLLOW
            };
            if let Ok(st) = rustix::fs::statx(&dir.fd, name, at, ask) {
                if StatxFlags::from_bits_retain(st.stx_mask).contains(want) {
                    let file = FileType::from_raw_mode(st.stx_mode.into()) == FileType::RegularFile;
                    return file.then_some(Version {
                        size: st.stx_size,
                        mtime: (st.stx_mtime.tv_sec, st.stx_mtime.tv_nsec.into()),
                        ino: st.stx_ino,
                        ctime: (st.stx_ctime.tv_sec, st.stx_ctime.tv_nsec.into()),
                    });
                }
            }
            // Anything unexpected: the path says what it is.
        }
        let meta = if self.follow {
            std::fs::metadata(path)
        } else {
            std::fs::symlink_metadata(path)
        };
        meta.ok().filter(|m| m.is_file()).map(|m| Version::of(&m))
    }
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

/// A walked path's location (as [`escape_path`] writes it) and the path
/// itself where the location is not it: a path of UTF-8 without a
/// backslash is its own location, and is kept once.
fn located(path: PathBuf) -> (String, Option<PathBuf>) {
    match path.into_os_string().into_string() {
        Ok(plain) if !plain.contains('\\') => (plain, None),
        Ok(text) => (escape_bytes(text.as_bytes()), Some(PathBuf::from(text))),
        Err(bytes) => {
            let path = PathBuf::from(bytes);
            (escape_path(&path), Some(path))
        }
    }
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
/// names to the target as given). A file target stands for itself: its
/// path as given, less a leading `/` and `./`, so that a file named as a
/// target (as a pre-commit hook names staged files) has the path, and so
/// the fingerprint and allow-list matches, it has in a scan of the folder
/// it was named from. Its name alone would make `qa/tone.wav` the
/// `tone.wav` at the top of that folder. Always the end of `location`,
/// which a candidate keeps instead of a second string.
fn below<'l>(root: &str, location: &'l str) -> &'l str {
    match location
        .strip_prefix(root)
        .map(|r| r.trim_start_matches('/'))
    {
        Some(rel) if !rel.is_empty() => rel,
        _ => {
            let mut rel = location;
            while let Some(rest) = rel.strip_prefix("./").or_else(|| rel.strip_prefix('/')) {
                rel = rest;
            }
            rel
        }
    }
}

/// The path a file target stands for below itself (see [`below`]), from
/// its escaped location.
pub(crate) fn file_target_path(location: &str) -> &str {
    below(location, location)
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
    /// Replaced by a symbolic link after the walk saw it, where links are
    /// not followed.
    Link,
}

impl LocalFile {
    /// Opens without blocking (a FIFO swapped in after the walk must not hang
    /// the scan) and without becoming the controlling terminal; read-only.
    pub fn open(local: &LocalPath, path: &Path) -> io::Result<Opened> {
        let Some(file) = Self::open_unchecked(local, path)? else {
            return Ok(Opened::Link);
        };
        let meta = file.metadata()?;
        if !meta.is_file() {
            return Ok(Opened::NotRegular);
        }
        Ok(Opened::File(LocalFile { file }, meta))
    }

    /// The open of [`LocalFile::open`], before anything is asked of the
    /// file; `None` for a link where links are not followed.
    fn open_unchecked(local: &LocalPath, path: &Path) -> io::Result<Option<File>> {
        let open = |flags| open_below(local.anchor.as_ref(), path, flags, local.follow);
        match keeping_atime(file_flags(), open) {
            Ok(fd) => Ok(Some(File::from(fd))),
            // O_NOFOLLOW's answer for a final link, and openat2's for a
            // link on the way.
            Err(e) if !local.follow && e.raw_os_error() == Some(libc::ELOOP) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Opens as [`LocalFile::open`] does and reads the head into `head`
    /// (from offset 0, at most its length) in the same visit. Where the
    /// walk saw a regular file, not through a link nor a mount point, in a
    /// directory whose filesystem ends reads short only at a file's end, a
    /// short read is the whole file and gives its size: a small file costs
    /// no stat. A full read, a failed one (a FIFO swapped in answers
    /// ESPIPE, a directory EISDIR), an empty one, another filesystem
    /// (procfs and sysfs files stat as empty and read as more), or `stat`
    /// asks the file what it is and how long. A device node swapped in
    /// between the walk and the open, which takes the right to create one
    /// (root), is read before it is told apart if it answers a short read.
    pub fn open_with_head(
        local: &LocalPath,
        path: &Path,
        head: &mut [u8],
        stat: bool,
    ) -> Result<Headed, ReadError> {
        // Opened in its own directory (as `in_dir` finds it, without
        // parsing the path for the name, which the open did not need), and
        // not through a link, which may lead to another filesystem.
        let dir = local
            .anchor
            .as_ref()
            .filter(|a| !stat && !local.follow && a.steps == 1 && a.dir.short_read_ends);
        // Nor across a mount point: a device or a procfs file bound over a
        // file of the tree is listed as that file, and answers a read short.
        let mut trusted = false;
        let file = match dir.map(|a| open_on_this_filesystem(a, path)) {
            Some(Ok(Some(file))) => {
                trusted = true;
                file
            }
            Some(Err(e)) if e.raw_os_error() == Some(libc::ELOOP) => return Ok(Headed::Link),
            Some(Err(e)) => return Err(e.into()),
            Some(Ok(None)) | None => match Self::open_unchecked(local, path)? {
                Some(file) => file,
                None => return Ok(Headed::Link),
            },
        };
        let mut file = LocalFile { file };
        // The one read made before the stat, where a short one can be trusted.
        let mut first = None;
        if trusted {
            let read = loop {
                match pread(&file.file, head, 0) {
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    read => break read,
                }
            };
            // Nothing read may be an empty file or a device swapped in
            // (/dev/null): asked, as it costs little.
            if let Ok(n) = read {
                if n > 0 && n < head.len() {
                    return Ok(Headed::File {
                        file,
                        size: n as u64,
                        read: n,
                        meta: None,
                    });
                }
            }
            first = Some(read);
        }
        let meta = file.file.metadata()?;
        if !meta.is_file() {
            return Ok(Headed::NotRegular);
        }
        // Read as the stat says; a first read that fell short of it (a file
        // that grew in between) or failed is made again.
        let want = head
            .len()
            .min(usize::try_from(meta.len()).unwrap_or(usize::MAX));
        let read = match first {
            Some(Ok(n)) if n >= want => n,
            _ => file.read_at(0, &mut head[..want])?,
        };
        Ok(Headed::File {
            file,
            size: meta.len(),
            read,
            meta: Some(meta),
        })
    }
}

/// One `pread` as a bare system call. The C library's wrapper is a
/// cancellation point, which marks the thread cancellable around every
/// call: two more steps per read of every file, for threads that are
/// never cancelled.
fn pread(file: &std::fs::File, buf: &mut [u8], offset: u64) -> io::Result<usize> {
    rustix::io::pread(file, buf, offset).map_err(io::Error::from)
}

/// What [`LocalFile::open_with_head`] found.
pub enum Headed {
    File {
        file: LocalFile,
        /// Its size, from a short read or from a stat.
        size: u64,
        /// Bytes of its head now in the buffer, from offset 0.
        read: usize,
        /// The stat that was made, if one was.
        meta: Option<std::fs::Metadata>,
    },
    /// Replaced by a FIFO, socket or device after the walk saw it.
    NotRegular,
    /// Replaced by a symbolic link after the walk saw it, where links are
    /// not followed.
    Link,
}

impl ObjectReader for LocalFile {
    fn read_at(&mut self, offset: u64, buf: &mut [u8]) -> Result<usize, ReadError> {
        let mut done = 0;
        while done < buf.len() {
            match pread(&self.file, &mut buf[done..], offset + done as u64) {
                Ok(0) => break,
                Ok(n) => done += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e.into()),
            }
        }
        Ok(done)
    }
}

/// `dir`, open, as the directory its entries are found in (for tests).
#[cfg(test)]
pub(crate) fn anchor_at(dir: &Path) -> Option<Anchor> {
    let dir = DirHandle::open(None, dir, false).unwrap()?;
    Some(Anchor { dir, steps: 1 })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A refusal of O_NOATIME is met by an open without it, and the files
    /// after it are not asked; an EPERM the open without it meets too (a
    /// sandbox's) is the answer.
    #[cfg(target_os = "linux")]
    #[test]
    fn a_refused_noatime_is_asked_once_more_without_it() {
        use rustix::fs::OFlags;
        let perm = || io::Error::from_raw_os_error(libc::EPERM);
        let asked = std::cell::RefCell::new(Vec::new());
        let open = |flags: OFlags| {
            asked.borrow_mut().push(flags);
            if flags.contains(OFlags::NOATIME) {
                Err(perm())
            } else {
                Ok(7)
            }
        };
        assert_eq!(keeping_atime(FILE_FLAGS, open).unwrap(), 7);
        assert!(!NOATIME_REFUSED.load(Ordering::Relaxed));
        assert_eq!(
            keeping_atime(FILE_FLAGS | OFlags::NOATIME, open).unwrap(),
            7
        );
        assert_eq!(
            *asked.borrow(),
            [FILE_FLAGS, FILE_FLAGS | OFlags::NOATIME, FILE_FLAGS]
        );
        assert!(!file_flags().contains(OFlags::NOATIME));
        NOATIME_REFUSED.store(false, Ordering::Relaxed);
        let sandbox = |_: OFlags| Err::<u8, _>(perm());
        let e = keeping_atime(FILE_FLAGS | OFlags::NOATIME, sandbox).unwrap_err();
        assert_eq!(e.raw_os_error(), Some(libc::EPERM));
        assert!(!NOATIME_REFUSED.load(Ordering::Relaxed));
        assert!(file_flags().contains(OFlags::NOATIME));
    }

    #[test]
    fn file_names_are_found_as_the_standard_library_finds_them() {
        for p in [
            "a.wav",
            "/a.wav",
            "dir/a.wav",
            "dir/a.wav/",
            "dir/.",
            "dir/..",
            "..",
            ".",
            "/",
            "",
            "dir//a",
            "dir/./a",
            "a/.hidden",
            "/x/y/..z",
            "é/ü.wav",
        ] {
            assert_eq!(file_name(Path::new(p)), Path::new(p).file_name(), "{p:?}");
        }
    }

    #[test]
    fn a_version_reads_the_same_by_path_and_by_directory() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("a.wav");
        std::fs::write(&file, b"RIFF").unwrap();
        std::os::unix::fs::symlink(&file, dir.path().join("link")).unwrap();
        let by_dir = |name: &str| {
            LocalPath {
                path: None,
                anchor: anchor_at(dir.path()),
                follow: false,
            }
            .version(&dir.path().join(name))
        };
        let by_path = |name: &str| {
            let path = dir.path().join(name);
            LocalPath {
                follow: false,
                ..LocalPath::from(path.clone())
            }
            .version(&path)
        };
        let meta = std::fs::metadata(&file).unwrap();
        assert_eq!(by_dir("a.wav"), Some(Version::of(&meta)));
        assert_eq!(by_path("a.wav"), Some(Version::of(&meta)));
        // A link is not a regular file, whichever way it is asked.
        assert_eq!(by_dir("link"), None);
        assert_eq!(by_path("link"), None);
        assert_eq!(by_dir("missing"), None);
        // Where links are followed, a link has its file's version.
        let link = dir.path().join("link");
        let followed = LocalPath {
            path: None,
            anchor: anchor_at(dir.path()),
            follow: true,
        };
        assert_eq!(followed.version(&link), Some(Version::of(&meta)));
        assert_eq!(
            LocalPath::from(link.clone()).version(&link),
            Some(Version::of(&meta))
        );
    }

    /// A walk in name order, which the tests that change a tree during the
    /// walk rely on.
    fn sorted() -> WalkOptions {
        WalkOptions {
            sorted: true,
            ..WalkOptions::default()
        }
    }

    /// What each object the walk emits reads as: its content, or why not.
    fn walk_and_read(root: &Path, during: &mut dyn FnMut()) -> Vec<String> {
        let mut seen = Vec::new();
        walk(0, root, &sorted(), &mut |event| {
            during();
            if let Event::Object(c) = event {
                let Origin::Local(local) = &c.origin else {
                    unreachable!()
                };
                let read = match LocalFile::open(local, local.path(&c.location)) {
                    Ok(Opened::File(mut f, meta)) => {
                        let mut buf = vec![0; meta.len() as usize];
                        f.read_at(0, &mut buf).unwrap();
                        String::from_utf8_lossy(&buf).into_owned()
                    }
                    Ok(Opened::Link) => "link".into(),
                    Ok(Opened::NotRegular) => "not regular".into(),
                    Err(e) => io_message(&e),
                };
                seen.push(format!("{}: {read}", c.rel()));
            }
            true
        });
        seen
    }

    /// A link the user names is followed, to a file as to a folder, and
    /// is not also listed as a skipped link.
    #[test]
    fn a_link_named_as_the_target_is_followed() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("real")).unwrap();
        std::fs::write(dir.path().join("real/a.wav"), b"audio").unwrap();
        std::os::unix::fs::symlink(dir.path().join("real/a.wav"), dir.path().join("file")).unwrap();
        std::os::unix::fs::symlink(dir.path().join("real"), dir.path().join("folder")).unwrap();
        let mut events = Vec::new();
        for target in ["file", "folder"] {
            walk(
                0,
                &dir.path().join(target),
                &WalkOptions::default(),
                &mut |e| {
                    events.push(match e {
                        Event::Object(c) => format!("{target}: object {}", c.rel()),
                        Event::Unread(_, u) => format!("{target}: {u:?}"),
                    });
                    true
                },
            );
        }
        // A file target stands for its own path, less the leading `/`.
        let file = dir.path().join("file");
        let rel = &file.to_str().unwrap()[1..];
        assert_eq!(
            events,
            [format!("file: object {rel}"), "folder: object a.wav".into()]
        );
        assert_eq!(walk_and_read(&file, &mut || {}), [format!("{rel}: audio")]);
    }

    #[test]
    fn a_folder_on_the_way_swapped_for_a_link_leads_nowhere_outside() {
        let root = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        std::fs::create_dir(outside.path().join("b")).unwrap();
        std::fs::write(outside.path().join("b/secret.wav"), b"secret").unwrap();
        std::fs::create_dir_all(root.path().join("a/b")).unwrap();
        std::fs::write(root.path().join("a/0.txt"), b"zero").unwrap();
        std::fs::write(root.path().join("a/b/x.txt"), b"x").unwrap();
        // Once the walk is inside `a` (its first file emitted), `a` moves
        // away and a link to a folder outside the target takes its place:
        // `a/b` is then listed through the link, but read in the real `a`.
        let mut swapped = false;
        let seen = walk_and_read(root.path(), &mut || {
            if !swapped {
                swapped = true;
                std::fs::rename(root.path().join("a"), root.path().join("a.old")).unwrap();
                std::os::unix::fs::symlink(outside.path(), root.path().join("a")).unwrap();
            }
        });
        assert_eq!(
            seen,
            [
                "a/0.txt: zero",
                "a/b/secret.wav: vanished during the scan (not found)"
            ]
        );
    }

    /// Whatever the walk saw, the open that reads a head tells a file from
    /// what was swapped into its place, and gives the size a stat gives:
    /// from a short read where the filesystem ends reads only at a file's
    /// end, from a stat otherwise and wherever a version is wanted.
    #[test]
    fn a_head_read_with_the_open_gives_the_size_and_tells_files_from_the_rest() {
        let root = tempfile::tempdir().unwrap();
        let small = b"RIFF small".to_vec();
        let large: Vec<u8> = (0..70_000u32).map(|i| (i % 251) as u8).collect();
        std::fs::write(root.path().join("small"), &small).unwrap();
        std::fs::write(root.path().join("large"), &large).unwrap();
        std::fs::write(root.path().join("empty"), b"").unwrap();
        std::fs::create_dir(root.path().join("dir")).unwrap();
        std::os::unix::fs::symlink("small", root.path().join("link")).unwrap();
        let made = std::process::Command::new("mkfifo")
            .arg(root.path().join("fifo"))
            .status()
            .unwrap();
        assert!(made.success());
        let anchor = anchor_at(root.path());
        let trusted = anchor.as_ref().unwrap().dir.short_read_ends;
        let open_as = |name: &str, stat: bool, follow: bool| {
            let local = LocalPath {
                path: None,
                anchor: anchor.clone(),
                follow,
            };
            let mut head = vec![0u8; 65_536];
            match LocalFile::open_with_head(&local, &root.path().join(name), &mut head, stat) {
                Ok(Headed::File {
                    size, read, meta, ..
                }) => {
                    if let Some(m) = &meta {
                        assert_eq!(m.len(), size, "{name}");
                    }
                    let how = if meta.is_some() { "stat" } else { "read" };
                    (format!("{size} bytes by {how}"), head[..read].to_vec())
                }
                Ok(Headed::NotRegular) => ("not regular".into(), vec![]),
                Ok(Headed::Link) => ("link".into(), vec![]),
                Err(e) => (e.to_string(), vec![]),
            }
        };
        let open = |name: &str, stat: bool| open_as(name, stat, false);
        let by = if trusted { "read" } else { "stat" };
        assert_eq!(
            open("small", false),
            (format!("10 bytes by {by}"), small.clone())
        );
        assert_eq!(open("small", true), ("10 bytes by stat".into(), small));
        assert_eq!(open("empty", false), ("0 bytes by stat".into(), vec![]));
        assert_eq!(
            open("large", false),
            ("70000 bytes by stat".into(), large[..65_536].to_vec())
        );
        assert_eq!(open("dir", false).0, "not regular");
        assert_eq!(open("fifo", false).0, "not regular");
        assert_eq!(open("link", false).0, "link");
        // A link followed may lead to another filesystem: its target is
        // asked for its size.
        assert_eq!(open_as("link", false, true).0, "10 bytes by stat");
    }

    /// A file bound over a file of the tree (a device or a procfs file, in
    /// the cases that matter: they answer a read short) is another
    /// filesystem's, whatever its folder's: it is asked what it is. Needs
    /// the right to mount; says so and passes where there is none.
    #[test]
    fn a_file_mounted_over_a_file_of_the_tree_is_asked_what_it_is() {
        let root = tempfile::tempdir().unwrap();
        std::fs::write(root.path().join("notes.txt"), b"just notes\n").unwrap();
        std::fs::write(root.path().join("other.txt"), b"RIFF and more").unwrap();
        let target = root.path().join("notes.txt");
        let mounted = std::process::Command::new("mount")
            .arg("--bind")
            .arg(root.path().join("other.txt"))
            .arg(&target)
            .stderr(std::process::Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if !mounted {
            eprintln!("no right to mount here: the bind mount case is not tested");
            return;
        }
        struct Unmount(PathBuf);
        impl Drop for Unmount {
            fn drop(&mut self) {
                let _ = std::process::Command::new("umount").arg(&self.0).status();
            }
        }
        let _unmount = Unmount(target.clone());
        let local = LocalPath {
            path: None,
            anchor: anchor_at(root.path()),
            follow: false,
        };
        let mut head = vec![0u8; 65_536];
        match LocalFile::open_with_head(&local, &target, &mut head, false) {
            Ok(Headed::File {
                size, read, meta, ..
            }) => {
                assert_eq!((size, read), (13, 13));
                assert!(meta.is_some(), "a mount point's file was trusted");
                assert_eq!(&head[..13], b"RIFF and more");
            }
            _ => panic!("the mounted file was not opened"),
        }
    }

    /// Below an open folder by several names (where too many folders are
    /// open to hold the file's own), no link on the way is followed.
    #[test]
    fn a_file_opened_by_several_names_follows_no_link_on_the_way() {
        let root = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        std::fs::write(outside.path().join("secret.wav"), b"secret").unwrap();
        std::fs::create_dir_all(root.path().join("real/b")).unwrap();
        std::fs::write(root.path().join("real/b/secret.wav"), b"inside").unwrap();
        std::os::unix::fs::symlink(outside.path(), root.path().join("real/link")).unwrap();
        let read = |rel: &str, follow: bool| {
            let local = LocalPath {
                path: None,
                anchor: anchor_at(root.path()).map(|a| Anchor { steps: 3, ..a }),
                follow,
            };
            match LocalFile::open(&local, &root.path().join(rel)) {
                Ok(Opened::File(mut f, _)) => {
                    let mut buf = [0; 6];
                    f.read_at(0, &mut buf).unwrap();
                    String::from_utf8_lossy(&buf).into_owned()
                }
                Ok(Opened::Link) => "link".into(),
                Ok(Opened::NotRegular) => "not regular".into(),
                Err(e) => io_message(&e),
            }
        };
        assert_eq!(read("real/b/secret.wav", false), "inside");
        assert_eq!(read("real/link/secret.wav", false), "link");
        assert_eq!(read("real/link/secret.wav", true), "secret");
    }

    #[test]
    fn a_folder_swapped_for_a_link_during_the_walk_is_not_entered() {
        let root = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        std::fs::write(outside.path().join("secret.wav"), b"RIFF").unwrap();
        for d in ["a", "b"] {
            std::fs::create_dir(root.path().join(d)).unwrap();
            std::fs::write(root.path().join(d).join("x.txt"), b"x").unwrap();
        }
        let mut seen = Vec::new();
        walk(0, root.path(), &sorted(), &mut |event| {
            // The walk is inside `a`, `b` is listed but not yet entered:
            // now `b` becomes a link to a folder outside the target.
            if seen.is_empty() {
                std::fs::rename(root.path().join("b"), root.path().join("b.old")).unwrap();
                std::os::unix::fs::symlink(outside.path(), root.path().join("b")).unwrap();
            }
            seen.push(match event {
                Event::Object(c) => format!("object {}", c.rel()),
                Event::Unread(_, Unread::Skipped { reason, location }) => {
                    let name = Path::new(&location).file_name().unwrap().to_owned();
                    format!("skipped {reason:?} {}", name.to_string_lossy())
                }
                Event::Unread(_, u) => format!("{u:?}"),
            });
            true
        });
        assert_eq!(seen, ["object a/x.txt", "skipped Symlink b"]);
    }

    #[test]
    fn a_link_in_place_of_a_file_is_read_through_only_where_links_are_followed() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("secret"), b"RIFF").unwrap();
        std::os::unix::fs::symlink(dir.path().join("secret"), dir.path().join("a.wav")).unwrap();
        let open = |by_dir: bool, follow: bool| {
            let local = LocalPath {
                path: None,
                anchor: by_dir.then(|| anchor_at(dir.path())).flatten(),
                follow,
            };
            assert_eq!(local.anchor.is_some(), by_dir);
            match LocalFile::open(&local, &dir.path().join("a.wav")).unwrap() {
                Opened::File(_, meta) => format!("file of {} bytes", meta.len()),
                Opened::Link => "link".into(),
                Opened::NotRegular => "not regular".into(),
            }
        };
        for by_dir in [true, false] {
            assert_eq!(open(by_dir, false), "link");
            assert_eq!(open(by_dir, true), "file of 4 bytes");
        }
    }

    #[test]
    fn a_version_is_written_as_the_state_stores_it() {
        let v = Version {
            size: 18_446_744_073_709_551_615,
            mtime: (-9_223_372_036_854_775_808, 999_999_999),
            ino: 18_446_744_073_709_551_615,
            ctime: (9_223_372_036_854_775_807, 999_999_999),
        };
        assert_eq!(
            v.to_string(),
            "18446744073709551615:-9223372036854775808.999999999:\
             18446744073709551615:9223372036854775807.999999999"
        );
        let small = Version {
            size: 44,
            mtime: (1_700_000_000, 5),
            ino: 12,
            ctime: (1_700_000_001, 0),
        };
        assert_eq!(
            small.write(&mut [0; 128]),
            "44:1700000000.5:12:1700000001.0"
        );
    }

    #[test]
    fn relative_paths_use_slashes_and_file_targets_their_own_path() {
        assert_eq!(below("a", "a/b/c.wav"), "b/c.wav");
        assert_eq!(below("./a/", "./a/b.wav"), "b.wav");
        assert_eq!(below(".", "./b.wav"), "b.wav");
        assert_eq!(below("a/b.wav", "a/b.wav"), "a/b.wav");
        assert_eq!(below("./a/b.wav", "./a/b.wav"), "a/b.wav");
        assert_eq!(below(".//a/./b.wav", ".//a/./b.wav"), "a/./b.wav");
        assert_eq!(below("/srv/b.wav", "/srv/b.wav"), "srv/b.wav");
        assert_eq!(below("../b.wav", "../b.wav"), "../b.wav");
        // A file target's path as escaping writes it: bytes that are no
        // UTF-8, a character cut by a `/`, backslashes.
        use std::os::unix::ffi::OsStrExt;
        for raw in [
            &b"d\\xe2\\x82/n\\xff\\\\a.wav"[..],
            b"d\xe2\x82/\x82\xac.wav",
            b"\xff\xfe.wav",
            b"/abs/\xc3\xa9.wav",
        ] {
            let path = Path::new(std::ffi::OsStr::from_bytes(raw));
            let location = escape_path(path);
            assert_eq!(
                below(&location, &location),
                location.trim_start_matches('/')
            );
            let name = escape_bytes(path.file_name().unwrap().as_bytes());
            assert!(
                location == name || location.ends_with(&format!("/{name}")),
                "{location}"
            );
        }
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

    #[test]
    fn a_plain_path_is_its_own_location_and_any_other_keeps_its_path() {
        use std::ffi::OsStr;
        use std::os::unix::ffi::OsStrExt;
        for (raw, own) in [
            (&b"t/a/\xc3\xa9.wav"[..], false),
            (b"t/a\\b.wav", true),
            (b"t/x\xff.wav", true),
        ] {
            let path = Path::new(OsStr::from_bytes(raw)).to_path_buf();
            let (location, kept) = located(path.clone());
            assert_eq!(location, escape_path(&path));
            assert_eq!(kept.is_some(), own, "{location}");
            let local = LocalPath {
                path: kept,
                anchor: None,
                follow: false,
            };
            assert_eq!(local.path(&location), path);
        }
    }

    /// Files whose names are no UTF-8 or hold a backslash are read by
    /// their own paths, the others by their locations.
    #[test]
    fn files_of_every_kind_of_name_are_read() {
        use std::ffi::OsStr;
        use std::os::unix::ffi::OsStrExt;
        let root = tempfile::tempdir().unwrap();
        for name in [&b"plain.wav"[..], b"back\\slash.wav", b"bad\xff.wav"] {
            std::fs::write(root.path().join(OsStr::from_bytes(name)), name).unwrap();
        }
        let mut seen = walk_and_read(root.path(), &mut || {});
        seen.sort();
        let mut want = [
            "plain.wav: plain.wav",
            "back\\\\slash.wav: back\\slash.wav",
            "bad\\xff.wav: bad\u{fffd}.wav",
        ];
        want.sort();
        assert_eq!(seen, want);
    }
}
