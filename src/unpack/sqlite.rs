//! SQLite databases: the rows of every table, read through SQLite itself
//! from a read-only copy in memory (the file is never opened as a
//! database, so nothing beside it is created or changed). A recording kept
//! as a BLOB (a voice-memo app's table, an exported dataset) is sniffed
//! like a file, member `TABLE/row N/COLUMN`.
//!
//! SQLite checks a database as it reads it, and a crafted one is read
//! defensively: the schema is not trusted (no functions run from it),
//! views, triggers and virtual tables are never queried, the connection
//! is query-only and interrupted at the object's deadline. Bounds: a
//! database of at most [`MAX_DB`] bytes, [`MAX_TABLES`] tables,
//! [`MAX_ROWS`] rows each (a column without audio is a `max-members`
//! limit when more rows follow). Free pages and deleted rows are not rows:
//! a database whose tables held no audio is also searched as bytes.

use std::io::Read;
use std::time::Instant;

use rusqlite::config::DbConfig;
use rusqlite::limits::Limit as SqlLimit;
use rusqlite::types::ValueRef;
use rusqlite::{Connection, OpenFlags, MAIN_DB};

use super::{Level, Limit, Walk};
use crate::sniff::Class;

/// The largest database read (a copy of it is held while it is walked).
pub(super) const MAX_DB: u64 = 16 << 20;
/// Tables read.
const MAX_TABLES: usize = 64;
/// Rows read of one table.
const MAX_ROWS: usize = 1 << 20;
/// Values shorter than this hold no recording.
const MIN_VALUE: usize = 64;
/// Values of one column kept as members when they are neither audio nor
/// biometric (nor ordinary data, which is never kept).
const KEPT: usize = 4;
/// Virtual machine steps between two looks at the clock.
const STEPS: i32 = 10_000;

/// Reads a level from its start, for SQLite to copy.
struct LevelRead<'l, 'a, 'f> {
    level: &'l Level<'a, 'f>,
    at: u64,
}

impl Read for LevelRead<'_, '_, '_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let want = buf.len().min(1 << 20);
        let got = self.level.from(self.at, want).ok_or_else(|| {
            std::io::Error::other(format!("bytes at {} could not be read", self.at))
        })?;
        buf[..got.len()].copy_from_slice(&got);
        // A WAL-mode database (format versions 2 at 18 and 19) cannot be
        // opened in memory, where there is no log beside it: the copy is
        // marked a rollback-journal one, which reads the same pages.
        for i in 18..20u64 {
            if let Some(b) = i.checked_sub(self.at).and_then(|k| buf.get_mut(k as usize)) {
                if i < self.at + got.len() as u64 && *b == 2 {
                    *b = 1;
                }
            }
        }
        self.at += got.len() as u64;
        Ok(got.len())
    }
}

/// A query-only connection to a read-only copy of `level`'s bytes.
fn open(level: &Level<'_, '_>, deadline: Instant) -> rusqlite::Result<Connection> {
    let mut c = Connection::open_in_memory_with_flags(
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    c.set_db_config(DbConfig::SQLITE_DBCONFIG_DEFENSIVE, true)?;
    c.set_db_config(DbConfig::SQLITE_DBCONFIG_TRUSTED_SCHEMA, false)?;
    let size = usize::try_from(level.size).unwrap_or(usize::MAX);
    c.deserialize_read_exact(MAIN_DB, LevelRead { level, at: 0 }, size, true)?;
    // A value can be no longer than the database holds: a generated
    // column (`zeroblob(900000000)`) cannot make one larger.
    c.set_limit(SqlLimit::SQLITE_LIMIT_LENGTH, MAX_DB as i32)?;
    c.pragma_update(None, "query_only", true)?;
    c.progress_handler(STEPS, Some(move || Instant::now() > deadline))?;
    Ok(c)
}

/// The ordinary tables, by name (not SQLite's own, not virtual ones).
fn tables(c: &Connection) -> rusqlite::Result<Vec<String>> {
    let mut stmt = c.prepare(
        "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' \
         AND sql NOT LIKE 'CREATE VIRTUAL%' ORDER BY rootpage",
    )?;
    let names = stmt
        .query_map([], |row| row.get::<_, String>(0))?
        .take(MAX_TABLES + 1)
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(names)
}

impl Walk<'_> {
    /// Walks a database's tables; why it was not read (too large, or not a
    /// database SQLite opens), for the caller to say so.
    pub(super) fn sqlite(
        &mut self,
        level: &Level<'_, '_>,
        prefix: &str,
        depth: u32,
    ) -> Result<(), String> {
        if level.size > MAX_DB {
            return Err(format!("larger than {} MiB", MAX_DB >> 20));
        }
        if level.readable() < level.size {
            return Err("only its head was decoded".into());
        }
        let result = open(level, self.deadline).and_then(|c| {
            let names = tables(&c)?;
            Ok((c, names))
        });
        let (c, mut names) = result.map_err(|e| e.to_string())?;
        if names.len() > MAX_TABLES {
            names.truncate(MAX_TABLES);
            self.limit(
                prefix,
                Limit::Members,
                format!("sqlite: more than {MAX_TABLES} tables; the rest not inspected"),
            );
        }
        let audio_before = self.audio_members();
        for table in names {
            if let Err(e) = self.sqlite_table(&c, &table, prefix, depth) {
                if self.out_of_time(prefix) {
                    return Ok(());
                }
                self.limit(
                    prefix,
                    Limit::Unsupported,
                    format!("sqlite table {table}: {e}"),
                );
            }
        }
        // A deleted row's bytes stay on a free page until they are reused.
        if self.audio_members() == audio_before {
            self.headers_in_head(level, prefix, depth);
        }
        Ok(())
    }

    /// Members found so far that are recordings or biometric records.
    fn audio_members(&self) -> usize {
        self.inside
            .members
            .iter()
            .filter(|m| matches!(m.sniff.class, Class::Audio | Class::Biometric))
            .count()
    }

    fn sqlite_table(
        &mut self,
        c: &Connection,
        table: &str,
        prefix: &str,
        depth: u32,
    ) -> rusqlite::Result<()> {
        // Stored columns only: a generated column is an expression the
        // schema runs on every read, and could fail or grow every row.
        let columns: Vec<String> = c
            .prepare("SELECT name FROM pragma_table_xinfo(?1) WHERE hidden IN (0, 3)")?
            .query_map([table], |row| row.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        if columns.is_empty() {
            return Ok(());
        }
        let quote = |name: &str| format!("\"{}\"", name.replace('"', "\"\""));
        let list: Vec<String> = columns.iter().map(|c| quote(c)).collect();
        let mut stmt = c.prepare(&format!(
            "SELECT {} FROM {} LIMIT {}",
            list.join(", "),
            quote(table),
            MAX_ROWS + 1
        ))?;
        // Per column: audio found in it, and values of other kinds kept (a column of ciphertext is shown by
        // its first few, not by a member per row).
        let mut done = vec![false; columns.len()];
        let mut kept = vec![0usize; columns.len()];
        let mut rows = stmt.query([])?;
        let mut n = 0;
        while let Some(row) = rows.next()? {
            if n == MAX_ROWS {
                for (i, column) in columns.iter().enumerate() {
                    if done[i] {
                        continue;
                    }
                    self.limit(
                        prefix,
                        Limit::Members,
                        format!("sqlite table {table} column {column}: values looked at in the first {MAX_ROWS} rows; the rest not inspected"),
                    );
                }
                break;
            }
            for (i, column) in columns.iter().enumerate() {
                if done[i] {
                    continue;
                }
                let v = match row.get_ref(i)? {
                    ValueRef::Blob(v) | ValueRef::Text(v) if v.len() >= MIN_VALUE => v,
                    _ => continue,
                };
                // A value is read whole (the database is at most MAX_DB),
                // and judged from as much of it as a member is.
                let held = &v[..v.len().min(self.limits.max_member_bytes as usize)];
                let s = self.sniff_bytes(held, v.len() as u64);
                done[i] = matches!(s.class, Class::Audio | Class::Biometric);
                // Text is kept for what it encodes (a `data:` URI, base64),
                // which the walk of a kept text decodes.
                let encodes = s.format == "text" && !super::encoded::runs(held, 1).is_empty();
                if done[i] || ((s.class != Class::Other || encodes) && kept[i] < KEPT) {
                    kept[i] += 1;
                    let name = format!("{table}/row {n}/{column}");
                    self.keep(prefix, &name, held, v.len() as u64, depth, s);
                }
            }
            n += 1;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::unpack::tests::{look, wav};

    /// A database built in memory by `setup`, as the bytes of its file.
    fn database(setup: &str, blobs: &[Vec<u8>]) -> Vec<u8> {
        let mut c = Connection::open_in_memory().unwrap();
        c.execute_batch(setup).unwrap();
        for b in blobs {
            c.execute("INSERT INTO memo (title, audio) VALUES ('a memo', ?1)", [b])
                .unwrap();
        }
        let bytes = c.serialize(MAIN_DB).unwrap().to_vec();
        bytes
    }

    const MEMOS: &str = "CREATE TABLE memo (id INTEGER PRIMARY KEY, title TEXT, audio BLOB);
        CREATE TABLE notes (body TEXT); INSERT INTO notes VALUES (printf('%.*c', 500, 'x'));
        CREATE VIEW everything AS SELECT * FROM memo, notes;";

    #[test]
    fn a_recording_in_a_blob_is_a_member_named_by_table_row_and_column() {
        let noise = crate::sniff::testutil::pseudo_random(3000, 4);
        let db = database(MEMOS, &[noise.clone(), wav(), noise]);
        let inside = look(&db);
        assert_eq!(
            inside.found(),
            vec![
                ("memo/row 0/audio", "random-like"),
                ("memo/row 1/audio", "wav")
            ],
            "{:?}",
            inside.limits
        );
        assert!(inside.limits.is_empty(), "{:?}", inside.limits);
    }

    /// Behind 80 KiB of other rows, beyond the head a search for headers
    /// would look in.
    #[test]
    fn a_recording_far_into_the_database_is_found() {
        let mut rows = vec![b"a long memo text ".repeat(60); 80];
        rows.push(wav());
        let db = database(MEMOS, &rows);
        assert!(db.len() > 2 * crate::sniff::HEAD_LEN);
        assert_eq!(look(&db).found(), vec![("memo/row 80/audio", "wav")]);
    }

    /// A recording behind more than a thousand empty rows, and one in a
    /// row deleted (its bytes left on a free page).
    #[test]
    fn a_recording_behind_empty_rows_or_in_a_deleted_row_is_found() {
        let mut rows = vec![Vec::new(); 1100];
        rows.push(wav());
        let inside = look(&database(MEMOS, &rows));
        assert_eq!(inside.found(), vec![("memo/row 1100/audio", "wav")]);
        let mut c = Connection::open_in_memory().unwrap();
        c.execute_batch(MEMOS).unwrap();
        c.execute("INSERT INTO memo (title, audio) VALUES ('x', ?1)", [wav()])
            .unwrap();
        c.execute("DELETE FROM memo", []).unwrap();
        let db = c.serialize(MAIN_DB).unwrap().to_vec();
        let inside = look(&db);
        assert_eq!(inside.formats(), vec!["wav"], "{:?}", inside.limits);
    }

    /// A WAL-mode database (file format versions 2 at bytes 18 and 19)
    /// is read as a rollback-journal one: the same pages.
    #[test]
    fn a_wal_mode_database_is_read() {
        let mut db = database(MEMOS, &[wav()]);
        db[18] = 2;
        db[19] = 2;
        assert_eq!(look(&db).found(), vec![("memo/row 0/audio", "wav")]);
    }

    /// A value's base64 (a `data:` URI kept as text, as key-value stores
    /// keep recordings) is decoded.
    #[test]
    fn a_recording_as_base64_text_is_found() {
        use base64::Engine;
        let uri = format!(
            "data:audio/wav;base64,{}",
            base64::engine::general_purpose::STANDARD.encode(wav())
        );
        let db = database(MEMOS, &[uri.into_bytes()]);
        let inside = look(&db);
        assert!(inside.formats().contains(&"wav"), "{:?}", inside.found());
    }

    /// A schema rewritten to generate a value of 900 MB on every read: the
    /// column is not read, the rows are.
    #[test]
    fn a_generated_column_is_not_evaluated() {
        let db = database(
            "CREATE TABLE memo (title TEXT, audio BLOB); PRAGMA writable_schema = ON;
             UPDATE sqlite_schema SET sql = 'CREATE TABLE memo (title TEXT, audio BLOB, \
             big AS (zeroblob(900000000)))' WHERE name = 'memo';",
            &[wav()],
        );
        let inside = look(&db);
        assert_eq!(
            inside.found(),
            vec![("memo/row 0/audio", "wav")],
            "{:?}",
            inside.limits
        );
        assert!(inside.limits.is_empty(), "{:?}", inside.limits);
    }

    #[test]
    fn a_damaged_database_is_searched_as_before_and_never_panics() {
        let db = database(MEMOS, &[wav()]);
        // Page 2 onwards overwritten: SQLite refuses what it reads there.
        let mut broken = db.clone();
        for b in &mut broken[4096..] {
            *b = 0xee;
        }
        let inside = look(&broken);
        assert!(
            inside.limits.iter().any(|l| l.limit == Limit::Unsupported),
            "{:?}",
            inside.limits
        );
        // Bytes changed anywhere: whatever SQLite says, the walk ends.
        let mut x = 7u64;
        for _ in 0..200 {
            let mut d = db.clone();
            for _ in 0..8 {
                x = x
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                let at = (x >> 33) as usize % d.len();
                d[at] = (x >> 13) as u8;
            }
            let _ = look(&d);
        }
    }
}
