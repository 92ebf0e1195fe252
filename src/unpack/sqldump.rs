//! SQL dumps that write BLOBs as escaped strings: mysqldump without
//! `--hex-blob` (its default) and MariaDB's dump put a column's bytes
//! themselves between quotes (`_binary 'RIFF…'`), escaping only NUL, the
//! quotes, the backslash, CR, LF and Ctrl-Z. A WAV stored so keeps its
//! header, but every `00` of it is `\0`: its chunk sizes no longer parse
//! where they lie and its samples slip by a byte at each escape. The
//! dump's head is unescaped and searched for recordings as a head is.

use super::{Level, Limit, Walk};
use crate::sniff::{self, Class, Sample, HEAD_LEN};

/// Marks in a dump's first KiB: the dump tools' banners, a `SET` of the
/// session every mysqldump file opens with, or the rows themselves.
const MARKS: [&[u8]; 5] = [
    b"-- MySQL dump",
    b"-- MariaDB dump",
    b"/*!40101 SET",
    b"INSERT INTO",
    b"_binary '",
];

/// Recordings kept from one dump's strings.
const MAX_BLOBS: usize = 16;
/// Bytes each search of the unescaped dump shares with the one before:
/// more than the header any recording is told by.
const OVERLAP: usize = 4096;

/// Statements and comments a SQL file opens with: looked at first, at
/// the cost of a few byte compares, since every text and binary object
/// is asked.
const OPENINGS: [&[u8]; 7] = [
    b"--",
    b"/*",
    b"INSERT INTO",
    b"LOCK TABLES",
    b"DROP TABLE",
    b"CREATE TABLE",
    b"SET ",
];

/// Whether `head` opens like a MySQL or MariaDB dump: a SQL opening, and
/// a dump's mark in its first KiB.
pub(super) fn is_dump(head: &[u8]) -> bool {
    let first = &head[..head.len().min(1024)];
    let start = first
        .iter()
        .position(|c| !c.is_ascii_whitespace())
        .unwrap_or(first.len());
    // One byte turns most objects away: JSON, logs, prose, binary.
    if !matches!(
        first.get(start),
        Some(b'-' | b'/' | b'I' | b'L' | b'D' | b'C' | b'S')
    ) {
        return false;
    }
    OPENINGS.iter().any(|o| first[start..].starts_with(o))
        && MARKS
            .iter()
            .any(|mark| memchr::memmem::find(first, mark).is_some())
}

/// A dump with MySQL's string escapes undone.
struct Unescaped {
    bytes: Vec<u8>,
    /// For each escape: its offset in `bytes` and in the dump.
    escapes: Vec<(usize, usize)>,
    /// Offsets in `bytes` of the quotes that were not escaped: where
    /// strings open and close (in an export, the tabs and line breaks
    /// that end fields).
    quotes: Vec<usize>,
}

/// How a MySQL file writes bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Dialect {
    /// A dump's SQL strings between quotes.
    Dump,
    /// Tab-separated fields (`SELECT … INTO OUTFILE`, `mysqldump --tab`,
    /// the client's batch output): `\0`, `\t`, `\n` and `\\`, or a
    /// backslash before the very tab or line break; no quotes.
    Export,
}

impl Dialect {
    fn what(self) -> &'static str {
        match self {
            Dialect::Dump => "SQL dump",
            Dialect::Export => "MySQL export",
        }
    }

    fn encoding(self) -> &'static str {
        match self {
            Dialect::Dump => "MySQL escaped string",
            Dialect::Export => "MySQL tab-separated field",
        }
    }

    fn member(self) -> &'static str {
        match self {
            Dialect::Dump => "sql-blob",
            Dialect::Export => "field",
        }
    }
}

/// Whether `head` opens like a MySQL tab-separated export holding bytes:
/// a tab on its first line, no NUL (every one is written `\0`), and at
/// least eight `\0`. A binary object is asked, so the NUL test comes
/// first: most have one in their first bytes.
fn is_export(head: &[u8]) -> bool {
    let first = &head[..head.len().min(1024)];
    if memchr::memchr(0, first).is_some() {
        return false;
    }
    let line = memchr::memchr(b'\n', first).map_or(first, |n| &first[..n]);
    memchr::memchr(b'\t', line).is_some()
        && memchr::memmem::find_iter(first, b"\\0").take(8).count() == 8
}

/// `dump` with MySQL's string escapes undone (`\0 \' \" \\ \n \r \Z`,
/// and in an export `\t` and a backslash before any other byte, which
/// stands for that byte; in a dump such a backslash is kept, as MySQL
/// keeps `\%` and `\_`).
fn unescape(dump: &[u8], dialect: Dialect) -> Unescaped {
    let mut out = Vec::with_capacity(dump.len());
    let mut escapes = Vec::new();
    let mut quotes = Vec::new();
    let mut i = 0;
    while i < dump.len() {
        let next = match dialect {
            Dialect::Dump => memchr::memchr2(b'\\', b'\'', &dump[i..]),
            Dialect::Export => memchr::memchr3(b'\\', b'\t', b'\n', &dump[i..]),
        };
        let Some(k) = next else {
            out.extend_from_slice(&dump[i..]);
            break;
        };
        out.extend_from_slice(&dump[i..i + k]);
        i += k;
        if dump[i] != b'\\' {
            quotes.push(out.len());
            out.push(dump[i]);
            i += 1;
            continue;
        }
        let byte = match (dump.get(i + 1), dialect) {
            (Some(b'0'), _) => 0,
            (Some(b'n'), _) => b'\n',
            (Some(b'r'), _) => b'\r',
            (Some(b'Z'), _) => 0x1a,
            (Some(&c @ (b'\'' | b'"' | b'\\')), _) => c,
            (Some(b't'), Dialect::Export) => b'\t',
            (Some(&c), Dialect::Export) => c,
            _ => {
                out.push(b'\\');
                i += 1;
                continue;
            }
        };
        escapes.push((out.len(), i));
        out.push(byte);
        i += 2;
    }
    Unescaped {
        bytes: out,
        escapes,
        quotes,
    }
}

/// The offset in the dump of byte `at` of its unescaped form.
fn dump_offset(escapes: &[(usize, usize)], at: usize) -> usize {
    // Each escape before `at` took two bytes of the dump for one.
    at + escapes.partition_point(|&(unescaped, _)| unescaped < at)
}

impl Walk<'_> {
    /// Recordings stored whole in a dump's escaped strings, each a member
    /// `sql-blob@OFFSET` (its offset in the dump). The dump is read from
    /// its start as far as a stream's head is; a recording found there is
    /// judged from its unescaped bytes.
    /// `head` is the object's first bytes as the caller holds them, for
    /// the test of whether it is a dump at all.
    /// `binary`: the object is no text, as an export that holds bytes is
    /// not (text is spared the export's test).
    pub(super) fn sql_blobs(
        &mut self,
        level: &Level<'_, '_>,
        head: &[u8],
        binary: bool,
        name: &str,
        depth: u32,
    ) {
        let dialect = if is_dump(head) {
            Dialect::Dump
        } else if binary && is_export(head) {
            Dialect::Export
        } else {
            return;
        };
        let want = (self.limits.max_member_bytes as usize).min(4 * HEAD_LEN);
        let Some(dump) = level.from(0, want) else {
            return;
        };
        if memchr::memchr(b'\\', &dump).is_none() {
            return;
        }
        let Unescaped {
            bytes,
            escapes,
            quotes,
        } = unescape(&dump, dialect);
        let mut from = 0;
        let mut found = 0;
        while from < bytes.len() {
            let rest = &bytes[from..];
            let head = &rest[..rest.len().min(HEAD_LEN)];
            let sample = Sample::new(rest.len() as u64, head, &[]);
            let Some((at, _)) = sniff::prefix::audio_behind(&sample) else {
                // The next head's worth, overlapping this one by more than
                // any header a recording is told by.
                if rest.len() <= HEAD_LEN {
                    break;
                }
                from += HEAD_LEN - OVERLAP;
                continue;
            };
            // The recording runs to the quote that closes its string (to
            // the end of what was read when that lies further).
            let start = from + at;
            let end = quotes[quotes.partition_point(|&q| q <= start)..]
                .first()
                .copied()
                .unwrap_or(bytes.len());
            let data = &bytes[start..end];
            let s = self.sniff_bytes(data, data.len() as u64);
            if s.class != Class::Other {
                if found == MAX_BLOBS {
                    self.limit(
                        name,
                        Limit::Members,
                        format!("more than {MAX_BLOBS} recordings in a {}'s strings; the rest not inspected", dialect.what()),
                    );
                    return;
                }
                let offset = dump_offset(&escapes, start);
                let s = s.with("encoding", dialect.encoding());
                let size = data.len() as u64;
                let member = format!("{}@{offset}", dialect.member());
                self.keep(name, &member, data, size, depth, s);
                found += 1;
            }
            from = end.max(start + 1);
        }
        if (dump.len() as u64) < level.size {
            self.limit(
                name,
                Limit::ObjectBytes,
                format!(
                    "{}: its first {} bytes unescaped and searched for recordings; the rest not inspected",
                    dialect.what(),
                    dump.len()
                ),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_are_undone_and_their_places_kept() {
        let Unescaped {
            bytes,
            escapes,
            quotes,
        } = unescape(b"'a\\0b\\'c\\\\d\\%e\\Z'", Dialect::Dump);
        assert_eq!(bytes, b"'a\0b'c\\d\\%e\x1a'");
        assert_eq!(escapes, vec![(2, 2), (4, 5), (6, 8), (11, 14)]);
        assert_eq!(quotes, vec![0, 12], "the escaped quote opens nothing");
        // Byte 5 of the unescaped form (`c`) is byte 7 of the dump.
        assert_eq!(dump_offset(&escapes, 5), 7);
        assert_eq!(dump_offset(&escapes, 0), 0);
        assert_eq!(
            unescape(b"trailing \\", Dialect::Dump).bytes,
            b"trailing \\"
        );
        // An export: fields end at tabs and line breaks; a backslash stands
        // for the byte after it, the very tab or line break among them.
        let export = unescape(b"1\tR\\0\\\t\\\nx\\t\\%\n", Dialect::Export);
        assert_eq!(export.bytes, b"1\tR\0\t\nx\t%\n");
        assert_eq!(export.quotes, vec![1, 9]);
    }

    #[test]
    fn exports_are_told_by_a_tab_and_escaped_nuls() {
        let row = b"1\tjohn\tRIFF\xe0\xff\x07\\0WAVEfmt \x10\\0\\0\\0\x01\\0\x01\\0\\0\\0".to_vec();
        assert!(is_export(&row));
        assert!(!is_export(&row[7..]), "no tab on the first line");
        let mut raw = row.clone();
        raw.push(0);
        assert!(!is_export(&raw), "a NUL written as itself");
        assert!(!is_export(b"a\tb\\0c\n"));
    }

    #[test]
    fn dumps_are_told_by_their_first_kilobyte() {
        assert!(is_dump(b"-- MySQL dump 10.13  Distrib 8.0.36"));
        assert!(is_dump(b"INSERT INTO `voice` VALUES (1,_binary 'RIFF"));
        assert!(!is_dump(b"just text with a \\0 in it"));
        assert!(!is_dump(b"a log line naming INSERT INTO and _binary '"));
    }

    /// `bytes` as mysqldump writes them between quotes.
    fn escaped(bytes: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        for &b in bytes {
            match b {
                0 => out.extend(b"\\0"),
                b'\'' | b'"' | b'\\' => out.extend([b'\\', b]),
                b'\n' => out.extend(b"\\n"),
                b'\r' => out.extend(b"\\r"),
                0x1a => out.extend(b"\\Z"),
                _ => out.push(b),
            }
        }
        out
    }

    /// A WAV in a field of a tab-separated export (`INTO OUTFILE`): found
    /// to the tab that ends its field, named by where it starts.
    #[test]
    fn a_recording_in_an_exported_field_is_a_member() {
        let wav = crate::unpack::tests::wav();
        let mut row = b"1\tjohn\t".to_vec();
        for &b in &wav {
            match b {
                0 => row.extend(b"\\0"),
                b'\t' | b'\n' | b'\\' => row.extend([b'\\', b]),
                _ => row.push(b),
            }
        }
        row.extend(b"\t2026-12-01\n");
        let inside = crate::unpack::tests::look(&row);
        assert_eq!(inside.formats(), ["wav"], "{:?}", inside.limits);
        assert_eq!(inside.members[0].member, "field@7");
        assert_eq!(inside.members[0].size, wav.len() as u64);
    }

    /// A WAV in each of two `_binary` strings, as mysqldump writes them, is
    /// found whole (to its string's closing quote), and named by where it
    /// starts in the dump.
    #[test]
    fn a_recording_in_an_escaped_blob_is_a_member() {
        let wav = crate::unpack::tests::wav();
        let mut dump = b"-- MySQL dump 10.13\n\nINSERT INTO `notes` VALUES (1,_binary '".to_vec();
        let first = dump.len();
        dump.extend(escaped(&wav));
        dump.extend(b"'),(2,_binary '");
        let second = dump.len();
        dump.extend(escaped(&wav));
        dump.extend(b"');\n");
        let inside = crate::unpack::tests::look(&dump);
        let found: Vec<(String, String, u64)> = inside
            .members
            .iter()
            .map(|m| (m.member.clone(), m.sniff.format.to_string(), m.size))
            .collect();
        let size = wav.len() as u64;
        assert_eq!(
            found,
            vec![
                (format!("sql-blob@{first}"), "wav".to_string(), size),
                (format!("sql-blob@{second}"), "wav".to_string(), size)
            ]
        );
        assert!(inside.limits.is_empty(), "{:?}", inside.limits);
        // A dump longer than what is read says so.
        dump.extend(b"-- more rows\n".repeat(30_000));
        let inside = crate::unpack::tests::look(&dump);
        assert_eq!(inside.members.len(), 2);
        assert!(
            inside.limits[0]
                .message
                .starts_with("SQL dump: its first 262144 bytes"),
            "{:?}",
            inside.limits
        );
    }
}
