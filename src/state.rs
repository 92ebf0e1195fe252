//! `--state FILE`: an SQLite file remembering each object's verdict by its
//! version (local: size, mtime, ctime, inode; buckets: ETag or last-modified
//! and size), so a scheduled audit reads only new and changed objects. A
//! verdict is reused only under the same atrest version, rules and archive
//! depth.
//!
//! A second run over an unchanged tree should cost about what the walk
//! costs. So the walk's producer reads the state *in walk order*: a cursor
//! over one consistent snapshot, in the order the walk yields objects
//! (component order for local trees, key order for buckets), answers each
//! object with a step, not a lookup; only objects out of that order (a
//! listing fanned out by prefix, an inventory) cost a point lookup. Rows the
//! cursor passes without a match belong to objects that are gone; after a
//! complete run they are deleted. Unchanged objects are never written.
//!
//! Fresh verdicts are written by the one collector of a scan in batches (a
//! transaction every few seconds or thousand objects), so a killed run loses
//! at most one batch.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use rusqlite::{params, Connection, OpenFlags, OptionalExtension};

use crate::pipeline::verdict::Verdict;
use crate::sniff::Class;

/// `PRAGMA application_id` of atrest state files ("atrS").
const APPLICATION_ID: i32 = 0x6174_7253;
/// `PRAGMA user_version`: the schema below. Files of an older schema are
/// emptied (their verdicts would not be reused anyway: the version changed).
const SCHEMA_VERSION: i32 = 3;
/// A batch is written when it holds this many objects …
const BATCH_OBJECTS: usize = 1000;
/// … or is this old.
const BATCH_AGE: Duration = Duration::from_secs(2);
/// Rows the cursor reads per step of its snapshot.
const CHUNK: usize = 1024;
/// How long an empty state file is watched for another run's header.
const CREATION_WAIT: Duration = Duration::from_secs(2);
/// Page cache of each read connection, in KiB.
const READER_CACHE_KIB: u32 = 256;
/// Rows of vanished objects remembered for pruning; past this the run
/// prunes nothing (a whole tree gone is not a reason to hold memory).
const MAX_PASSED: usize = 1 << 20;

#[derive(Debug, thiserror::Error)]
pub enum StateError {
    #[error("{path}: cannot open the state file: {err}")]
    Open { path: String, err: rusqlite::Error },
    #[error("{path}: not an atrest state file ({why}); left untouched")]
    Foreign { path: String, why: String },
    #[error("{path}: state not saved: {err}")]
    Write { path: String, err: rusqlite::Error },
    #[error("{path}: cannot create the state file: {err}")]
    Create { path: String, err: std::io::Error },
    #[error(
        "{path}: the state file cannot be written (read-only to this user or on a read-only file system); a run with --state saves what it scanned there"
    )]
    ReadOnly { path: String },
}

/// The order the walk yields locations in, as a string that sorts so: local
/// trees walk by path component (so `/` sorts below every other byte),
/// buckets list by key.
pub fn sort_key(location: &str) -> String {
    if location.contains("://") {
        location.to_string()
    } else {
        location.replace('/', "\u{1}")
    }
}

/// `key` against `sort_key(location)`, without building the latter (the
/// walk compares every object it finds).
fn cmp_sort_key(key: &str, location: &str) -> std::cmp::Ordering {
    if location.contains("://") {
        key.cmp(location)
    } else {
        key.bytes()
            .cmp(location.bytes().map(|b| if b == b'/' { 1 } else { b }))
    }
}

/// The first key past every key that starts with `prefix`.
fn past(prefix: &str) -> String {
    let mut s = prefix.to_string();
    s.push(char::MAX);
    s
}

/// The writer side, owned by the scan's collector.
pub struct State {
    conn: Connection,
    path: PathBuf,
    /// What a stored verdict depends on besides the object itself.
    config: String,
    pending: Vec<(String, String, Verdict, usize)>,
    /// The configuration each target's rows are stored under: this run's,
    /// with the target's scope (see [`scoped`]).
    scopes: Vec<String>,
    pending_since: Instant,
}

impl std::fmt::Debug for State {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "State({})", self.path.display())
    }
}

/// A path as messages show it: losslessly, as reports do.
fn shown(path: &Path) -> String {
    crate::source::fs::escape_path(path)
}

fn class_code(c: Class) -> i64 {
    Class::ALL.iter().position(|x| *x == c).unwrap_or(4) as i64
}

fn class_of(code: i64) -> Class {
    usize::try_from(code)
        .ok()
        .and_then(|i| Class::ALL.get(i).copied())
        .unwrap_or_default()
}

/// The 16-byte header every SQLite database starts with.
fn sqlite_header(path: &Path) -> bool {
    let mut magic = [0u8; 16];
    std::fs::File::open(path)
        .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut magic))
        .is_ok_and(|()| &magic == b"SQLite format 3\0")
}

/// A journal SQLite left beside a database (a run that ended without
/// closing it): empty, or starting as SQLite writes each kind. The WAL
/// index is in the machine's byte order; a rollback journal's header may
/// have been zeroed to commit.
fn sqlite_sidecar(path: &Path, suffix: &str) -> bool {
    let Ok(meta) = std::fs::symlink_metadata(path) else {
        return false;
    };
    if !meta.is_file() {
        return false;
    }
    let mut head = [0u8; 8];
    let read = std::fs::File::open(path)
        .and_then(|mut f| std::io::Read::read(&mut f, &mut head))
        .unwrap_or(0);
    if read == 0 {
        return meta.len() == 0;
    }
    if read < 8 {
        return false;
    }
    let be = u32::from_be_bytes([head[0], head[1], head[2], head[3]]);
    match suffix {
        "-wal" => matches!(be, 0x377f_0682 | 0x377f_0683),
        // Zeros too: another run sharing the state may have just made it.
        "-shm" => {
            u32::from_ne_bytes([head[0], head[1], head[2], head[3]]) == 3_007_000 || head == [0; 8]
        }
        _ => head == [0xd9, 0xd5, 0x05, 0xf9, 0x20, 0xa1, 0x63, 0xd7] || head == [0; 8],
    }
}

/// The journals SQLite keeps beside a database while it is open, and
/// deletes as it closes: each with its suffix.
pub(crate) fn journals(path: &Path) -> impl Iterator<Item = (&'static str, PathBuf)> + '_ {
    ["-wal", "-shm", "-journal"].into_iter().map(move |suffix| {
        let mut name = path.as_os_str().to_owned();
        name.push(suffix);
        (suffix, PathBuf::from(name))
    })
}

/// Marks a database as an atrest state file of this schema, with its tables.
fn init_schema(conn: &Connection) -> rusqlite::Result<()> {
    conn.execute_batch(&format!(
        "PRAGMA application_id = {APPLICATION_ID};
         PRAGMA user_version = {SCHEMA_VERSION};
         PRAGMA journal_mode = WAL;
         PRAGMA synchronous = NORMAL;
         CREATE TABLE IF NOT EXISTS objects (
             location TEXT PRIMARY KEY,
             sortkey  TEXT NOT NULL,
             version  TEXT NOT NULL,
             config   TEXT NOT NULL,
             class    INTEGER NOT NULL,
             plain    INTEGER NOT NULL,
             verdict  TEXT NOT NULL
         );
         CREATE INDEX IF NOT EXISTS objects_in_walk_order ON objects (sortkey);"
    ))
}

/// Creates a new state file whole: built beside it under a name of its
/// own and linked into place once its header and tables are written. A
/// run killed while creating it, or a disk that fills, leaves no empty
/// file at the state path, which every later run would have to refuse (an
/// empty file may be anyone's).
fn create_whole(path: &Path) -> Result<(), StateError> {
    let mut name = path.as_os_str().to_owned();
    name.push(format!(".new-{}", std::process::id()));
    let temp = PathBuf::from(name);
    let built = Connection::open(&temp)
        .and_then(|conn| {
            init_schema(&conn)?;
            conn.close().map_err(|(_, e)| e)
        })
        .map_err(|err| StateError::Write {
            path: shown(path),
            err,
        });
    let placed = built.and_then(|()| match std::fs::hard_link(&temp, path) {
        // Another run created it first: theirs is as good.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        // A file system without hard links: moved instead, unless a file
        // has appeared there meanwhile.
        Err(_) if std::fs::symlink_metadata(path).is_err() => {
            std::fs::rename(&temp, path).map_err(|err| StateError::Create {
                path: shown(path),
                err,
            })
        }
        Err(err) => Err(StateError::Create {
            path: shown(path),
            err,
        }),
        Ok(()) => Ok(()),
    });
    for (_, journal) in journals(&temp) {
        let _ = std::fs::remove_file(journal);
    }
    let _ = std::fs::remove_file(&temp);
    placed
}

impl State {
    /// Opens or creates the state file. An existing file that is not an
    /// atrest state file is refused before anything is written to it.
    pub fn open(path: &Path, config: String) -> Result<State, StateError> {
        let open_err = |err| StateError::Open {
            path: shown(path),
            err,
        };
        let foreign = |why: &str| StateError::Foreign {
            path: shown(path),
            why: why.to_string(),
        };
        // SQLite takes files beside the database as its own journals and
        // deletes them: one that is not SQLite's (a user's file that
        // happens to bear such a name) is refused, never touched.
        for (suffix, side) in journals(path) {
            if std::fs::symlink_metadata(&side).is_ok() && !sqlite_sidecar(&side, suffix) {
                return Err(StateError::Foreign {
                    path: shown(&side),
                    why: "a file beside the state file that SQLite would take as its own \
                          journal and delete; move it or choose another --state path"
                        .to_string(),
                });
            }
        }
        if std::fs::symlink_metadata(path).is_err() {
            create_whole(path)?;
        }
        if let Ok(mut meta) = std::fs::metadata(path) {
            if !meta.is_file() {
                return Err(foreign("not a regular file"));
            }
            // Another run starting on the same new state file has created
            // it and not yet written its header: give it a moment.
            let since = Instant::now();
            while meta.len() == 0 && since.elapsed() < CREATION_WAIT {
                std::thread::sleep(Duration::from_millis(50));
                meta = std::fs::metadata(path).unwrap_or(meta);
            }
            // Looked at read-only first: a foreign file must stay as it was.
            let probe = Connection::open_with_flags(
                path,
                OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
            )
            .map_err(open_err)?;
            if meta.len() > 0 && !sqlite_header(path) {
                return Err(foreign("not an SQLite database"));
            }
            let id: i32 = probe
                .query_row("PRAGMA application_id", [], |r| r.get(0))
                .map_err(open_err)?;
            if id != APPLICATION_ID {
                return Err(foreign(if meta.len() == 0 {
                    "an empty file; atrest creates its state files whole, so delete it \
                     if an earlier version's interrupted run left it"
                } else {
                    "another program's database"
                }));
            }
        }
        let conn = Connection::open(path).map_err(open_err)?;
        // SQLite opens a file it may not write read-only, and its first
        // write fails as "attempt to write a readonly database": said
        // plainly, before anything is scanned.
        if conn.is_readonly(rusqlite::MAIN_DB).unwrap_or(false) {
            return Err(StateError::ReadOnly { path: shown(path) });
        }
        let version: i32 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(open_err)?;
        let write_err = |err| StateError::Write {
            path: shown(path),
            err,
        };
        if version > SCHEMA_VERSION {
            return Err(foreign(&format!(
                "written by a newer atrest: schema {version}, this one knows {SCHEMA_VERSION}"
            )));
        }
        if version != SCHEMA_VERSION {
            conn.execute_batch("DROP TABLE IF EXISTS objects; DROP TABLE IF EXISTS runs;")
                .map_err(write_err)?;
        }
        init_schema(&conn).map_err(write_err)?;
        Ok(State {
            conn,
            path: path.to_path_buf(),
            config,
            pending: Vec::new(),
            scopes: Vec::new(),
            pending_since: Instant::now(),
        })
    }

    /// What the walk and the workers need to read the state themselves.
    pub fn access(&self) -> StateAccess {
        StateAccess {
            path: self.path.clone(),
            config: self.config.clone(),
        }
    }

    /// The scope of each target of this run, in order (see [`scoped`]).
    pub fn scope_targets(&mut self, scopes: &[String]) {
        self.scopes = scopes.iter().map(|s| scoped(&self.config, s)).collect();
    }

    /// Queues a fresh verdict of an object of target `target`; written
    /// with the next batch.
    pub(crate) fn remember(
        &mut self,
        location: &str,
        version: &str,
        verdict: &Verdict,
        target: usize,
    ) {
        if self.pending.is_empty() {
            self.pending_since = Instant::now();
        }
        self.pending.push((
            location.to_string(),
            version.to_string(),
            verdict.clone(),
            target,
        ));
    }

    /// Writes the queued rows when the batch is full or old enough.
    pub fn flush_if_due(&mut self) -> Result<(), StateError> {
        if self.pending.len() >= BATCH_OBJECTS
            || (!self.pending.is_empty() && self.pending_since.elapsed() >= BATCH_AGE)
        {
            self.flush()?;
        }
        Ok(())
    }

    fn write_err(&self) -> impl Fn(rusqlite::Error) -> StateError + '_ {
        |err| StateError::Write {
            path: shown(&self.path),
            err,
        }
    }

    /// Writes the queued rows in one transaction.
    pub fn flush(&mut self) -> Result<(), StateError> {
        let rows = std::mem::take(&mut self.pending);
        if rows.is_empty() {
            return Ok(());
        }
        let path = shown(&self.path);
        let fail = |err| StateError::Write {
            path: path.clone(),
            err,
        };
        let tx = self.conn.transaction().map_err(fail)?;
        {
            let mut insert = tx
                .prepare_cached(
                    "INSERT OR REPLACE INTO objects
                       (location, sortkey, version, config, class, plain, verdict)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                )
                .map_err(fail)?;
            for (location, version, verdict, target) in &rows {
                let text = serde_json::to_string(verdict).unwrap_or_default();
                let config = self.scopes.get(*target).unwrap_or(&self.config);
                insert
                    .execute(params![
                        location,
                        sort_key(location),
                        version,
                        config,
                        class_code(verdict.class),
                        verdict.is_plain(),
                        text
                    ])
                    .map_err(fail)?;
            }
        }
        tx.commit().map_err(fail)
    }

    /// After a complete run: forgets the objects the walk passed without
    /// finding (they are gone). Returns how many.
    pub fn prune(&mut self, gone: &[i64]) -> Result<usize, StateError> {
        self.flush()?;
        let fail = self.write_err();
        let tx = self.conn.unchecked_transaction().map_err(&fail)?;
        let mut pruned = 0;
        {
            let mut delete = tx
                .prepare_cached("DELETE FROM objects WHERE rowid = ?1")
                .map_err(&fail)?;
            for id in gone {
                pruned += delete.execute([id]).map_err(&fail)?;
            }
        }
        tx.commit().map_err(&fail)?;
        Ok(pruned)
    }
}

/// A verdict holds for the target it was judged under: the path below the
/// target and a bucket's exposure are in it, and rules match on both (an
/// allow-list's `paths`, `audio.public`), so a run over `srv/qa` must not
/// take the verdicts of a run over `srv` for its own. The scope (the
/// target's root, and a bucket's exposure) joins the configuration.
fn scoped(config: &str, scope: &str) -> String {
    if scope.is_empty() {
        config.to_string()
    } else {
        format!("{config}\n{scope}")
    }
}

/// The state file and the configuration its verdicts must match.
#[derive(Clone, Debug)]
pub struct StateAccess {
    pub path: PathBuf,
    config: String,
}

impl StateAccess {
    fn connect(&self) -> Result<Connection, StateError> {
        let open = |err| StateError::Open {
            path: shown(&self.path),
            err,
        };
        let conn = Connection::open_with_flags(
            &self.path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(open)?;
        // Each worker has a connection of its own (a bucket scan has 32):
        // at SQLite's default of 2 MB each, their page caches grew with the
        // state file to 64 MB. Point lookups by row id and one pass in
        // key order need the B-tree's upper pages only.
        conn.execute_batch(&format!("PRAGMA cache_size = -{READER_CACHE_KIB}"))
            .map_err(open)?;
        Ok(conn)
    }

    /// A read connection for one worker (verdicts of unchanged objects).
    pub fn reader(&self) -> Result<StateReader, StateError> {
        Ok(StateReader {
            conn: self.connect()?,
        })
    }

    /// A cursor over the rows under `root` (a target's location), in walk
    /// order, on one snapshot taken now; rows stored under another scope
    /// than `scope` are not current.
    pub fn cursor(&self, root: &str, scope: &str) -> Result<StateCursor, StateError> {
        let conn = self.connect()?;
        // One read transaction for the whole walk: the collector's writes
        // during the scan must not appear as rows the walk then "passes".
        conn.execute_batch("BEGIN")
            .map_err(|err| StateError::Open {
                path: shown(&self.path),
                err,
            })?;
        // Rows below the root: its key and the separator of its kind. The
        // root itself (a file target) is found by a point lookup.
        let sep = if root.contains("://") { "/" } else { "\u{1}" };
        let below = format!("{}{sep}", sort_key(root.trim_end_matches('/')));
        Ok(StateCursor {
            conn,
            config: scoped(&self.config, scope),
            end: past(&below),
            last: below,
            rows: std::collections::VecDeque::new(),
            exhausted: false,
            passed: HashSet::new(),
            found_out_of_order: HashSet::new(),
            overflow: false,
        })
    }
}

/// What the state remembers of one object the walk found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stored {
    pub row: i64,
    /// The object's version when it was judged.
    pub version: String,
    /// Judged by this atrest, these rules and this depth.
    pub current: bool,
    pub class: Class,
    /// Nothing but a class: no findings, limits or allow-listed findings.
    pub plain: bool,
}

impl Stored {
    /// Does the stored verdict hold for an object now at `version`?
    pub fn holds_for(&self, version: &str) -> bool {
        self.current && self.version == version
    }
}

struct CursorRow {
    rowid: i64,
    key: String,
    version: String,
    /// Stored under this run's configuration.
    current: bool,
    class: i64,
    plain: bool,
}

impl CursorRow {
    /// A row of `SELECT rowid, sortkey, version, config = ?, class, plain`.
    fn read(r: &rusqlite::Row<'_>) -> rusqlite::Result<CursorRow> {
        Ok(CursorRow {
            rowid: r.get(0)?,
            key: r.get(1)?,
            version: r.get(2)?,
            current: r.get(3)?,
            class: r.get(4)?,
            plain: r.get(5)?,
        })
    }
}

/// The walk's view of the state: one step per object in walk order.
pub struct StateCursor {
    conn: Connection,
    config: String,
    /// The key of the last row read; rows after it up to `end` remain.
    last: String,
    end: String,
    rows: std::collections::VecDeque<CursorRow>,
    exhausted: bool,
    /// Rows passed without a match: objects gone since the last run.
    passed: HashSet<i64>,
    /// Rows found by a point lookup before the cursor reached them.
    found_out_of_order: HashSet<i64>,
    overflow: bool,
}

impl StateCursor {
    fn refill(&mut self) {
        if self.exhausted || !self.rows.is_empty() {
            return;
        }
        // The configuration is compared where it is stored: one flag per
        // row instead of a copy of the same long string.
        let fetched = self.conn.prepare_cached(
            "SELECT rowid, sortkey, version, config = ?4, class, plain FROM objects
             WHERE sortkey > ?1 AND sortkey < ?2 ORDER BY sortkey LIMIT ?3",
        );
        let rows: Vec<CursorRow> = match fetched {
            Ok(mut stmt) => stmt
                .query_map(
                    params![self.last, self.end, CHUNK as i64, self.config],
                    CursorRow::read,
                )
                .map(|rows| rows.filter_map(Result::ok).collect())
                .unwrap_or_default(),
            Err(_) => Vec::new(),
        };
        if rows.len() < CHUNK {
            self.exhausted = true;
        }
        if let Some(r) = rows.last() {
            self.last = r.key.clone();
        }
        self.rows.extend(rows);
    }

    fn pass(&mut self, rowid: i64) {
        if self.found_out_of_order.contains(&rowid) {
            return;
        }
        if self.passed.len() < MAX_PASSED {
            self.passed.insert(rowid);
        } else {
            self.overflow = true;
        }
    }

    fn stored(&self, row: CursorRow) -> Stored {
        Stored {
            row: row.rowid,
            current: row.current,
            version: row.version,
            class: class_of(row.class),
            plain: row.plain,
        }
    }

    /// What the state remembers of the object the walk found at `location`.
    pub fn locate(&mut self, location: &str) -> Option<Stored> {
        loop {
            self.refill();
            let Some(front) = self.rows.front() else {
                break;
            };
            match cmp_sort_key(&front.key, location) {
                std::cmp::Ordering::Less => {
                    let id = front.rowid;
                    self.rows.pop_front();
                    self.pass(id);
                }
                std::cmp::Ordering::Equal => {
                    let row = self.rows.pop_front().expect("front exists");
                    return Some(self.stored(row));
                }
                std::cmp::Ordering::Greater => break,
            }
        }
        // Out of walk order (or new): a point lookup.
        let found = self
            .conn
            .prepare_cached(
                "SELECT rowid, sortkey, version, config = ?2, class, plain FROM objects
                 WHERE location = ?1",
            )
            .and_then(|mut stmt| {
                stmt.query_row(params![location, self.config], CursorRow::read)
                    .optional()
            })
            .ok()
            .flatten();
        let row = found?;
        self.passed.remove(&row.rowid);
        // It may also lie ahead, still to be read: never pass it.
        if self.found_out_of_order.len() < MAX_PASSED {
            self.found_out_of_order.insert(row.rowid);
        } else {
            self.overflow = true;
        }
        Some(self.stored(row))
    }

    /// The walk is over: the rows it never reached are gone too. `None`
    /// when too many were gone to remember them all (nothing is pruned).
    pub fn finish(mut self) -> Option<Vec<i64>> {
        loop {
            self.refill();
            let Some(row) = self.rows.pop_front() else {
                break;
            };
            self.pass(row.rowid);
        }
        let _ = self.conn.execute_batch("COMMIT");
        (!self.overflow).then(|| self.passed.into_iter().collect())
    }
}

/// One worker's read connection.
pub struct StateReader {
    conn: Connection,
}

impl StateReader {
    /// The stored verdict of a row the walk found unchanged.
    pub(crate) fn verdict(&self, row: i64) -> Option<Verdict> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT verdict FROM objects WHERE rowid = ?1")
            .ok()?;
        let text: String = stmt.query_row([row], |r| r.get(0)).optional().ok()??;
        serde_json::from_str(&text).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn holds(state: &State, root: &str, location: &str, version: &str) -> bool {
        let found = state.access().cursor(root, "").unwrap().locate(location);
        found.is_some_and(|s| s.holds_for(version))
    }

    #[test]
    fn keys_compare_with_locations_as_their_sort_keys_do() {
        let locations = [
            "t/a.wav",
            "t/a",
            "t/a b",
            "t/a/b",
            "t/a.b/c",
            "t/\u{1}x",
            "t",
            "s3://b/a/x",
            "s3://b/a.x",
        ];
        for key in locations {
            for location in locations {
                assert_eq!(
                    cmp_sort_key(&sort_key(key), location),
                    sort_key(key).cmp(&sort_key(location)),
                    "{key} vs {location}"
                );
            }
        }
    }

    /// A state file this user may read but not write is refused when it
    /// is opened, not at the first batch of a long run. (Root writes any
    /// file, so the check needs another user to mean anything.)
    #[test]
    fn a_state_file_this_user_cannot_write_is_refused_at_once() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.db");
        drop(State::open(&path, "c".into()).unwrap());
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o444)).unwrap();
        let opened = State::open(&path, "c".into());
        if rustix::process::geteuid().is_root() {
            assert!(opened.is_ok());
            return;
        }
        let Err(err) = opened else {
            panic!("a read-only state file opened");
        };
        assert!(matches!(err, StateError::ReadOnly { .. }), "{err}");
        assert!(
            err.to_string()
                .contains("the state file cannot be written (read-only"),
            "{err}"
        );
    }

    #[test]
    fn verdicts_are_reused_only_for_the_same_version_and_config() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.db");
        let mut state = State::open(&path, "v1".into()).unwrap();
        state.remember("t/a.wav", "10:1", &Verdict::default(), 0);
        state.flush().unwrap();
        assert!(holds(&state, "t", "t/a.wav", "10:1"));
        assert!(!holds(&state, "t", "t/a.wav", "10:2"));
        drop(state);
        let other = State::open(&path, "v2".into()).unwrap();
        assert!(!holds(&other, "t", "t/a.wav", "10:1"));
    }

    #[test]
    fn the_cursor_follows_walk_order_and_finds_what_is_gone() {
        let dir = tempfile::tempdir().unwrap();
        let mut state = State::open(&dir.path().join("s.db"), "c".into()).unwrap();
        // Walk order: by component, so `a/x` before `a-b/x` and `a.wav`.
        let walked = ["t/a/x.wav", "t/a-b/x.wav", "t/a.wav", "t/b.wav", "t/c.wav"];
        for l in walked.iter().chain(&["t/gone.wav", "u/other.wav"]) {
            state.remember(l, "1", &Verdict::default(), 0);
        }
        state.flush().unwrap();
        let mut cursor = state.access().cursor("t", "").unwrap();
        for l in walked {
            assert!(cursor.locate(l).is_some_and(|s| s.plain), "{l}");
        }
        assert_eq!(cursor.locate("t/new.wav"), None);
        let gone = cursor.finish().unwrap();
        assert_eq!(gone.len(), 1, "t/gone.wav; u/ is another target's");
        assert_eq!(state.prune(&gone).unwrap(), 1);
        let mut again = state.access().cursor("t", "").unwrap();
        assert_eq!(again.locate("t/gone.wav"), None);
        // Out of walk order (a fanned-out listing): still found, not pruned.
        let mut cursor = state.access().cursor("t", "").unwrap();
        assert!(cursor.locate("t/c.wav").is_some());
        assert!(cursor.locate("t/a/x.wav").is_some());
        assert_eq!(
            cursor.finish().unwrap().len(),
            3,
            "a-b/x, a.wav, b.wav not walked"
        );
    }

    #[test]
    fn a_file_target_sees_only_itself() {
        let dir = tempfile::tempdir().unwrap();
        let mut state = State::open(&dir.path().join("s.db"), "c".into()).unwrap();
        for l in ["d/a.wav", "d/a.wav.bak"] {
            state.remember(l, "1", &Verdict::default(), 0);
        }
        state.flush().unwrap();
        let mut cursor = state.access().cursor("d/a.wav", "").unwrap();
        assert!(cursor.locate("d/a.wav").is_some());
        assert_eq!(cursor.finish().unwrap(), Vec::<i64>::new());
    }

    /// Each worker's read connection keeps a small page cache, whatever
    /// the size of the state file.
    #[test]
    fn read_connections_keep_a_small_cache() {
        let dir = tempfile::tempdir().unwrap();
        let state = State::open(&dir.path().join("s.db"), "c".into()).unwrap();
        let reader = state.access().reader().unwrap();
        let kib: i64 = reader
            .conn
            .query_row("PRAGMA cache_size", [], |r| r.get(0))
            .unwrap();
        assert_eq!(kib, -i64::from(READER_CACHE_KIB));
    }

    /// A run starting on a state file another run has just created (still
    /// empty) waits for its header instead of refusing it.
    #[test]
    fn an_empty_state_file_another_run_is_creating_is_waited_for() {
        let dir = tempfile::tempdir().unwrap();
        let (made, path) = (dir.path().join("made.db"), dir.path().join("s.db"));
        drop(State::open(&made, "c".into()).unwrap());
        std::fs::write(&path, b"").unwrap();
        let writer = {
            let (made, path) = (made.clone(), path.clone());
            std::thread::spawn(move || {
                std::thread::sleep(Duration::from_millis(300));
                std::fs::copy(made, path).unwrap();
            })
        };
        assert!(State::open(&path, "c".into()).is_ok());
        writer.join().unwrap();
    }

    #[test]
    fn a_new_state_file_appears_whole_and_alone() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("new.db");
        drop(State::open(&path, "v".into()).unwrap());
        assert!(sqlite_header(&path));
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .filter(|n| !n.starts_with("new.db-"))
            .collect();
        assert_eq!(names, ["new.db"]);
        // And is ours when opened again.
        assert!(State::open(&path, "v".into()).is_ok());
    }

    #[test]
    fn files_that_are_not_ours_are_refused_and_left_as_they_were() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("other.db");
        Connection::open(&path)
            .unwrap()
            .execute_batch("CREATE TABLE t (x)")
            .unwrap();
        let before = std::fs::read(&path).unwrap();
        let e = State::open(&path, "v".into()).unwrap_err().to_string();
        assert!(e.contains("not an atrest state file"), "{e}");
        assert_eq!(std::fs::read(&path).unwrap(), before);
        for (name, bytes) in [
            ("text.db", &b"hello, this is not sqlite at all"[..]),
            ("empty.db", &b""[..]),
        ] {
            let p = dir.path().join(name);
            std::fs::write(&p, bytes).unwrap();
            assert!(State::open(&p, "v".into()).is_err(), "{name}");
            assert_eq!(std::fs::read(&p).unwrap(), bytes, "{name}");
        }
    }
}
