//! `--state FILE`: an SQLite file remembering each object's verdict by its
//! version (local: size, mtime, inode; buckets: ETag or last-modified and
//! size), so a scheduled audit reads only new and changed objects. A verdict
//! is reused only under the same atrest version, rules and archive depth.
//! Rows of objects that no longer exist are left in place; they are never
//! matched again and cost only space.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use rusqlite::{params, Connection, OptionalExtension};

use crate::pipeline::verdict::Verdict;

/// `PRAGMA application_id` of atrest state files ("atrS").
const APPLICATION_ID: i32 = 0x6174_7253;

pub struct State {
    conn: Mutex<Connection>,
    path: PathBuf,
    /// What a stored verdict depends on besides the object itself.
    config: String,
}

impl std::fmt::Debug for State {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "State({})", self.path.display())
    }
}

impl State {
    /// Opens or creates the state file; refuses a file that is another
    /// program's database.
    pub fn open(path: &Path, config: String) -> Result<State, String> {
        let shown = path.display();
        let conn = Connection::open(path)
            .map_err(|e| format!("{shown}: cannot open state database: {e}"))?;
        let not_ours = |e: rusqlite::Error| format!("{shown}: not an atrest state database ({e})");
        let id: i32 = conn
            .query_row("PRAGMA application_id", [], |r| r.get(0))
            .map_err(not_ours)?;
        let tables: i64 = conn
            .query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get(0))
            .map_err(not_ours)?;
        if id != APPLICATION_ID && tables > 0 {
            return Err(format!(
                "{shown}: not an atrest state database (it holds other tables)"
            ));
        }
        conn.execute_batch(&format!(
            "PRAGMA application_id = {APPLICATION_ID};
             CREATE TABLE IF NOT EXISTS objects (
                 location TEXT PRIMARY KEY,
                 version  TEXT NOT NULL,
                 config   TEXT NOT NULL,
                 verdict  TEXT NOT NULL
             );"
        ))
        .map_err(|e| format!("{shown}: cannot initialise state database: {e}"))?;
        Ok(State {
            conn: Mutex::new(conn),
            path: path.to_path_buf(),
            config,
        })
    }

    /// The stored verdict, when the object is unchanged and was judged the same way.
    pub(crate) fn lookup(&self, location: &str, version: &str) -> Option<Verdict> {
        let conn = self.conn.lock().unwrap_or_else(|e| e.into_inner());
        let text: Option<String> = conn
            .query_row(
                "SELECT verdict FROM objects WHERE location = ?1 AND version = ?2 AND config = ?3",
                params![location, version, self.config],
                |r| r.get(0),
            )
            .optional()
            .ok()
            .flatten();
        text.and_then(|t| serde_json::from_str(&t).ok())
    }

    /// Stores this run's fresh verdicts in one transaction.
    pub(crate) fn remember(&self, fresh: &[(String, String, Verdict)]) -> Result<(), String> {
        let fail = |e: rusqlite::Error| format!("--state {}: not saved: {e}", self.path.display());
        let mut conn = self.conn.lock().unwrap_or_else(|e| e.into_inner());
        let tx = conn.transaction().map_err(fail)?;
        {
            let mut insert = tx
                .prepare(
                    "INSERT OR REPLACE INTO objects (location, version, config, verdict)
                     VALUES (?1, ?2, ?3, ?4)",
                )
                .map_err(fail)?;
            for (location, version, verdict) in fresh {
                let text = serde_json::to_string(verdict).unwrap_or_default();
                insert
                    .execute(params![location, version, self.config, text])
                    .map_err(fail)?;
            }
        }
        tx.commit().map_err(fail)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verdicts_are_reused_only_for_the_same_version_and_config() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.db");
        let state = State::open(&path, "v1".into()).unwrap();
        let verdict = Verdict::default();
        state
            .remember(&[("a.wav".into(), "10:1".into(), verdict)])
            .unwrap();
        assert!(state.lookup("a.wav", "10:1").is_some());
        assert!(state.lookup("a.wav", "10:2").is_none());
        drop(state);
        let other = State::open(&path, "v2".into()).unwrap();
        assert!(other.lookup("a.wav", "10:1").is_none());
    }

    #[test]
    fn foreign_databases_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("other.db");
        Connection::open(&path)
            .unwrap()
            .execute_batch("CREATE TABLE t (x)")
            .unwrap();
        assert!(State::open(&path, "v".into())
            .unwrap_err()
            .contains("not an atrest state database"));
        std::fs::write(
            dir.path().join("text.db"),
            "hello, this is not sqlite at all",
        )
        .unwrap();
        assert!(State::open(&dir.path().join("text.db"), "v".into()).is_err());
    }
}
