//! `--state FILE`: an SQLite file remembering each object's verdict by its
//! version (local: size, mtime, ctime, inode; buckets: ETag or last-modified
//! and size), so a scheduled audit reads only new and changed objects. A
//! verdict is reused only under the same atrest version, rules and archive
//! depth.
//!
//! Writes are batched by the one collector of a scan (a transaction every
//! few seconds or thousand objects), so a killed run loses at most one
//! batch; workers look verdicts up through read connections of their own
//! (WAL mode: readers never wait for the writer). After a complete run, rows
//! under the scanned targets that the run did not see are pruned.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use rusqlite::{params, Connection, OpenFlags, OptionalExtension};

use crate::pipeline::verdict::Verdict;

/// `PRAGMA application_id` of atrest state files ("atrS").
const APPLICATION_ID: i32 = 0x6174_7253;
/// `PRAGMA user_version`: the schema below. Files of an older schema are
/// emptied (their verdicts would not be reused anyway: the version changed).
const SCHEMA_VERSION: i32 = 2;
/// A batch is written when it holds this many objects …
const BATCH_OBJECTS: usize = 1000;
/// … or is this old.
const BATCH_AGE: Duration = Duration::from_secs(2);

#[derive(Debug, thiserror::Error)]
pub enum StateError {
    #[error("{path}: cannot open the state file: {source}")]
    Open {
        path: String,
        source: rusqlite::Error,
    },
    #[error("{path}: not an atrest state file ({why}); left untouched")]
    Foreign { path: String, why: String },
    #[error("{path}: state not saved: {source}")]
    Write {
        path: String,
        source: rusqlite::Error,
    },
}

/// The writer side, owned by the scan's collector.
pub struct State {
    conn: Connection,
    path: PathBuf,
    /// What a stored verdict depends on besides the object itself.
    config: String,
    /// This run's number: rows it writes or confirms carry it.
    run: i64,
    pending: Vec<Row>,
    pending_since: Instant,
}

/// One object's row: fresh verdicts carry the verdict, unchanged objects
/// only confirm they still exist.
struct Row {
    location: String,
    version: String,
    verdict: Option<String>,
}

impl std::fmt::Debug for State {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "State({})", self.path.display())
    }
}

fn shown(path: &Path) -> String {
    path.display().to_string()
}

impl State {
    /// Opens or creates the state file. An existing file that is not an
    /// atrest state file is refused before anything is written to it.
    pub fn open(path: &Path, config: String) -> Result<State, StateError> {
        let open_err = |source| StateError::Open {
            path: shown(path),
            source,
        };
        let foreign = |why: &str| StateError::Foreign {
            path: shown(path),
            why: why.to_string(),
        };
        if let Ok(meta) = std::fs::metadata(path) {
            if !meta.is_file() {
                return Err(foreign("not a regular file"));
            }
            // Looked at read-only first: a foreign file must stay as it was.
            let probe = Connection::open_with_flags(
                path,
                OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
            )
            .map_err(open_err)?;
            let id: i32 = probe
                .query_row("PRAGMA application_id", [], |r| r.get(0))
                .map_err(|_| foreign("not an SQLite database"))?;
            if id != APPLICATION_ID {
                return Err(foreign(if meta.len() == 0 {
                    "an empty file"
                } else {
                    "another program's database"
                }));
            }
        }
        let conn = Connection::open(path).map_err(open_err)?;
        let version: i32 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(open_err)?;
        let write_err = |source| StateError::Write {
            path: shown(path),
            source,
        };
        if version != SCHEMA_VERSION {
            conn.execute_batch("DROP TABLE IF EXISTS objects; DROP TABLE IF EXISTS runs;")
                .map_err(write_err)?;
        }
        conn.execute_batch(&format!(
            "PRAGMA application_id = {APPLICATION_ID};
             PRAGMA user_version = {SCHEMA_VERSION};
             PRAGMA journal_mode = WAL;
             PRAGMA synchronous = NORMAL;
             CREATE TABLE IF NOT EXISTS objects (
                 location TEXT PRIMARY KEY,
                 version  TEXT NOT NULL,
                 config   TEXT NOT NULL,
                 verdict  TEXT NOT NULL,
                 seen     INTEGER NOT NULL
             );
             CREATE TABLE IF NOT EXISTS runs (run INTEGER PRIMARY KEY, started TEXT NOT NULL);"
        ))
        .map_err(write_err)?;
        conn.execute("INSERT INTO runs (started) VALUES (datetime('now'))", [])
            .map_err(write_err)?;
        let run = conn.last_insert_rowid();
        Ok(State {
            conn,
            path: path.to_path_buf(),
            config,
            run,
            pending: Vec::new(),
            pending_since: Instant::now(),
        })
    }

    /// What a worker needs to open a read connection of its own.
    pub fn access(&self) -> StateAccess {
        StateAccess {
            path: self.path.clone(),
            config: self.config.clone(),
        }
    }

    #[cfg(test)]
    fn reader(&self) -> Result<StateReader, StateError> {
        self.access().reader()
    }

    /// Queues a fresh verdict; written with the next batch.
    pub(crate) fn remember(&mut self, location: &str, version: &str, verdict: &Verdict) {
        let text = serde_json::to_string(verdict).unwrap_or_default();
        self.queue(Row {
            location: location.to_string(),
            version: version.to_string(),
            verdict: Some(text),
        });
    }

    /// Queues the confirmation that an unchanged object still exists.
    pub(crate) fn confirm(&mut self, location: &str) {
        self.queue(Row {
            location: location.to_string(),
            version: String::new(),
            verdict: None,
        });
    }

    fn queue(&mut self, row: Row) {
        if self.pending.is_empty() {
            self.pending_since = Instant::now();
        }
        self.pending.push(row);
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

    /// Writes the queued rows in one transaction.
    pub fn flush(&mut self) -> Result<(), StateError> {
        let rows = std::mem::take(&mut self.pending);
        let fail = |source| StateError::Write {
            path: shown(&self.path),
            source,
        };
        let tx = self.conn.transaction().map_err(fail)?;
        {
            let mut insert = tx
                .prepare_cached(
                    "INSERT OR REPLACE INTO objects (location, version, config, verdict, seen)
                     VALUES (?1, ?2, ?3, ?4, ?5)",
                )
                .map_err(fail)?;
            for row in rows.iter().filter(|r| r.verdict.is_some()) {
                insert
                    .execute(params![
                        row.location,
                        row.version,
                        self.config,
                        row.verdict,
                        self.run
                    ])
                    .map_err(fail)?;
            }
            let mut seen = tx
                .prepare_cached("UPDATE objects SET seen = ?1 WHERE location = ?2")
                .map_err(fail)?;
            for row in rows.iter().filter(|r| r.verdict.is_none()) {
                seen.execute(params![self.run, row.location])
                    .map_err(fail)?;
            }
        }
        tx.commit().map_err(fail)
    }

    /// After a complete run: forgets objects under `roots` (locations as
    /// the report spells them) that this run did not see. Returns how many.
    pub fn prune(&mut self, roots: &[String]) -> Result<usize, StateError> {
        self.flush()?;
        let fail = |source| StateError::Write {
            path: shown(&self.path),
            source,
        };
        let mut pruned = 0;
        for root in roots {
            // `root` itself (a file target) or anything below it.
            let below = format!("{}/", root.trim_end_matches('/'));
            pruned += self
                .conn
                .execute(
                    "DELETE FROM objects WHERE seen < ?1
                     AND (location = ?2 OR substr(location, 1, length(?3)) = ?3)",
                    params![self.run, root, below],
                )
                .map_err(fail)?;
        }
        Ok(pruned)
    }
}

/// The state file and the configuration its verdicts must match.
#[derive(Clone, Debug)]
pub struct StateAccess {
    pub path: PathBuf,
    config: String,
}

impl StateAccess {
    /// A read connection for one worker.
    pub fn reader(&self) -> Result<StateReader, StateError> {
        let conn = Connection::open_with_flags(
            &self.path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(|source| StateError::Open {
            path: shown(&self.path),
            source,
        })?;
        Ok(StateReader {
            conn,
            config: self.config.clone(),
        })
    }
}

/// One worker's read connection.
pub struct StateReader {
    conn: Connection,
    config: String,
}

impl StateReader {
    /// The stored verdict, when the object is unchanged and was judged the same way.
    pub(crate) fn lookup(&self, location: &str, version: &str) -> Option<Verdict> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT verdict FROM objects WHERE location = ?1 AND version = ?2 AND config = ?3",
            )
            .ok()?;
        let text: Option<String> = stmt
            .query_row(params![location, version, self.config], |r| r.get(0))
            .optional()
            .ok()
            .flatten();
        text.and_then(|t| serde_json::from_str(&t).ok())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verdicts_are_reused_only_for_the_same_version_and_config() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.db");
        let mut state = State::open(&path, "v1".into()).unwrap();
        state.remember("a.wav", "10:1", &Verdict::default());
        state.flush().unwrap();
        let reader = state.reader().unwrap();
        assert!(reader.lookup("a.wav", "10:1").is_some());
        assert!(reader.lookup("a.wav", "10:2").is_none());
        drop((reader, state));
        let other = State::open(&path, "v2".into()).unwrap();
        assert!(other.reader().unwrap().lookup("a.wav", "10:1").is_none());
    }

    #[test]
    fn batches_are_written_when_due_and_unseen_rows_pruned() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.db");
        let mut first = State::open(&path, "c".into()).unwrap();
        for name in ["t/a.wav", "t/b.wav", "u/c.wav"] {
            first.remember(name, "1", &Verdict::default());
        }
        first.flush_if_due().unwrap();
        assert!(
            first.reader().unwrap().lookup("t/a.wav", "1").is_none(),
            "not due yet"
        );
        first.flush().unwrap();
        drop(first);
        let mut second = State::open(&path, "c".into()).unwrap();
        second.confirm("t/a.wav");
        assert_eq!(second.prune(&["t".into()]).unwrap(), 1, "t/b.wav is gone");
        let reader = second.reader().unwrap();
        assert!(reader.lookup("t/a.wav", "1").is_some());
        assert!(
            reader.lookup("u/c.wav", "1").is_some(),
            "other targets kept"
        );
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
            assert_eq!(std::fs::read(&p).unwrap(), bytes, "{name} untouched");
        }
    }
}
