//! `ar` archives (Debian packages, static libraries): 60-byte member
//! headers walked forward, members read in place.
//!
//! Every next offset is computed with checked arithmetic from a size that
//! must fit the archive, so the walk only moves forward; headers (symbol
//! and name tables too) are counted against a bound; the GNU long-name table
//! and BSD inline names are read only when small (names stop at 4 KiB).

use super::{chain, Level, Limit, Walk};
use crate::formats::ar::{self, Name};

/// Largest GNU long-name table read; a larger one is skipped with a limit
/// and the members it names are called by their offset.
const MAX_TABLE: u64 = 1 << 20;

impl Walk<'_> {
    pub(super) fn ar(&mut self, level: &Level<'_, '_>, prefix: &str, depth: u32) {
        let max_headers = self.limits.max_members.saturating_mul(4).max(4096);
        let mut pos = ar::MAGIC.len() as u64;
        let mut table: Option<Vec<u8>> = None;
        let (mut headers, mut seen) = (0u64, 0u64);
        // A last member of odd size may lack its padding byte.
        while pos.saturating_add(1) < level.size {
            if !self.another_header(prefix, "ar", &mut headers, max_headers) {
                return;
            }
            let Some(h) = level.at(pos, ar::HEADER) else {
                self.limit(
                    prefix,
                    Limit::Unsupported,
                    format!("ar archive ends inside the member header at byte {pos}"),
                );
                return;
            };
            let Some(header) = ar::header(&h) else {
                self.limit(
                    prefix,
                    Limit::Unsupported,
                    format!("damaged ar member header at byte {pos}"),
                );
                return;
            };
            let data_at = pos + ar::HEADER as u64;
            let end = data_at
                .checked_add(header.size)
                .filter(|&end| end <= level.size);
            let (name, data_at, size) = match header.name {
                Name::Symbols => (None, data_at, header.size),
                Name::LongNames => {
                    if header.size > MAX_TABLE {
                        self.limit(
                            prefix,
                            Limit::Unsupported,
                            format!("ar long-name table of {} bytes skipped", header.size),
                        );
                    } else if let Some(t) = level.at(data_at, header.size as usize) {
                        table = Some(t.into_owned());
                    }
                    (None, data_at, header.size)
                }
                Name::Plain(n) => (Some(n), data_at, header.size),
                Name::Table(offset) => {
                    let n = table
                        .as_deref()
                        .and_then(|t| ar::table_name(t, offset))
                        .filter(|n| n.len() as u64 <= ar::MAX_NAME)
                        .unwrap_or_else(|| format!("(long name {offset})"));
                    (Some(n), data_at, header.size)
                }
                Name::Inline(len) if len <= ar::MAX_NAME && len <= header.size => {
                    let n = level
                        .at(data_at, len as usize)
                        .map(|b| ar::inline_name(&b))
                        .unwrap_or_else(|| "(unreadable name)".into());
                    (Some(n), data_at + len, header.size - len)
                }
                Name::Inline(len) => {
                    self.limit(
                        prefix,
                        Limit::Unsupported,
                        format!("ar member name of {len} bytes at byte {pos}"),
                    );
                    return;
                }
            };
            if let Some(name) = name {
                if !self.another_member(prefix, &mut seen) {
                    return;
                }
                // Even a member whose size is a lie is judged from its first bytes.
                self.stored(level, prefix, &name, (data_at, size), depth);
                if end.is_none() {
                    self.limit(
                        &chain(prefix, &name),
                        Limit::Unsupported,
                        level.past_the_end(format!("member of {size} bytes")),
                    );
                    return;
                }
            }
            let Some(end) = end else {
                self.limit(
                    prefix,
                    Limit::Unsupported,
                    format!(
                        "ar header at byte {pos} declares {} bytes, past the end of the archive",
                        header.size
                    ),
                );
                return;
            };
            // Members start on even offsets; `end` is inside the archive.
            pos = end + (end & 1);
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::super::tests::{look, look_with, wav};
    use crate::rules::RuleSet;
    use crate::unpack::Limit;

    pub(crate) fn header(name: &str, size: u64) -> Vec<u8> {
        format!(
            "{name:<16}{:<12}{:<6}{:<6}{:<8}{size:<10}`\n",
            0, 0, 0, 100644
        )
        .into_bytes()
    }

    /// An archive of (header name, data) members, padded to even offsets.
    pub(crate) fn archive(members: &[(&str, &[u8])]) -> Vec<u8> {
        let mut v = b"!<arch>\n".to_vec();
        for (name, data) in members {
            v.extend(header(name, data.len() as u64));
            v.extend(*data);
            if v.len() % 2 == 1 {
                v.push(b'\n');
            }
        }
        v
    }

    #[test]
    fn gnu_and_bsd_long_names_name_their_members() {
        let w = wav();
        let table = b"a-very-long-recording-name.wav/\n";
        let mut bsd = b"bsd-long-recording-name.wav\0".to_vec();
        bsd.extend(&w);
        let v = archive(&[
            ("/", &[0u8; 8]),
            ("//", table),
            ("/0", &w),
            ("#1/28", &bsd),
            ("short.wav/", &w),
        ]);
        let inside = look(&v);
        let names: Vec<_> = inside.members.iter().map(|m| m.member.as_str()).collect();
        assert_eq!(
            names,
            [
                "a-very-long-recording-name.wav",
                "bsd-long-recording-name.wav",
                "short.wav"
            ]
        );
        assert!(inside.members.iter().all(|m| m.sniff.format == "wav"));
        assert!(inside.limits.is_empty(), "{:?}", inside.limits);
    }

    #[test]
    fn sizes_past_the_end_and_damaged_headers_are_limits() {
        let w = wav();
        let mut v = archive(&[("a.wav", &w)]);
        // Declare ten times the data: still judged from its head.
        let declared = format!("{:<10}", w.len() * 10);
        v[8 + 48..8 + 58].copy_from_slice(declared.as_bytes());
        let inside = look(&v);
        assert_eq!(inside.members[0].sniff.format, "wav");
        assert!(inside.says("past the end"));
        let mut v = archive(&[("a.wav", &w), ("b.wav", &w)]);
        let second = 8 + 60 + w.len() + w.len() % 2;
        v[second + 58] = b'x';
        let inside = look(&v);
        assert_eq!(inside.members.len(), 1);
        assert!(inside.says("damaged"));
        // A BSD name longer than its member, or than 4 KiB.
        let v = archive(&[("#1/99", b"short")]);
        assert!(look(&v)
            .limits
            .iter()
            .any(|l| l.limit == Limit::Unsupported));
    }

    #[test]
    fn a_member_larger_than_the_budget_is_judged_from_its_head() {
        let mut rules = RuleSet::embedded();
        rules.limits.max_member_bytes = 8192;
        let w = wav();
        assert!(w.len() > 8192);
        let inside = look_with(&archive(&[("call.wav", &w)]), &rules);
        assert_eq!(inside.members[0].sniff.format, "wav");
        assert_eq!(inside.limits.len(), 1, "{:?}", inside.limits);
        assert_eq!(inside.limits[0].limit, Limit::MemberBytes);
    }

    #[test]
    fn headers_are_bounded() {
        let members: Vec<(&str, &[u8])> = (0..5000).map(|_| ("/", &b""[..])).collect();
        let inside = look(&archive(&members));
        assert!(inside.limits.iter().any(|l| l.limit == Limit::Members));
    }
}
