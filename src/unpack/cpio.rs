//! cpio archives (initramfs images, RPM payloads): headers of the odc,
//! newc/crc and old binary formats walked forward, regular files read in
//! place. After the `TRAILER!!!` entry, zero padding is skipped and a
//! further archive is walked too (initramfs images concatenate them); other
//! bytes after the trailer (a compressed initramfs segment) are judged as
//! one more member.
//!
//! Every next offset is computed with checked arithmetic and must lie
//! strictly after the current header and inside the archive; names are
//! bounded (4 KiB); headers of every kind are counted against a bound.

use super::{chain, Level, Limit, Walk};
use crate::formats::cpio;

/// Zero bytes skipped after a trailer looking for another archive.
const MAX_PADDING: u64 = 64 << 10;

impl Walk<'_> {
    pub(super) fn cpio(&mut self, level: &Level<'_, '_>, prefix: &str, depth: u32) {
        let max_headers = self.limits.max_members.saturating_mul(16).max(16_384);
        let (mut headers, mut seen, mut pos) = (0u64, 0u64, 0u64);
        while pos < level.size {
            if !self.another_header(prefix, "cpio", &mut headers, max_headers) {
                return;
            }
            let header = level.from(pos, 110).and_then(|b| cpio::header(&b));
            let Some(h) = header else {
                self.limit(
                    prefix,
                    Limit::Unsupported,
                    format!("damaged cpio header at byte {pos}"),
                );
                return;
            };
            if h.name_len == 0 || h.name_len > cpio::MAX_NAME {
                self.limit(
                    prefix,
                    Limit::Unsupported,
                    format!("cpio name of {} bytes at byte {pos}", h.name_len),
                );
                return;
            }
            let Some(raw_name) = level.at(pos + h.name_at(), h.name_len as usize) else {
                self.limit(
                    prefix,
                    Limit::Unsupported,
                    format!("cpio archive ends inside the name at byte {pos}"),
                );
                return;
            };
            let name = cpio::name(&raw_name);
            let data_at = pos + h.data_at();
            // Strictly after this header (the header has a length), inside the archive.
            let next = h
                .next()
                .and_then(|n| pos.checked_add(n))
                .filter(|&n| n <= level.size);
            if raw_name.starts_with(cpio::TRAILER) && h.size == 0 {
                let Some(after) = next else { return };
                match self.after_trailer(level, after) {
                    Some(at)
                        if level
                            .from(at, 110)
                            .is_some_and(|b| cpio::header(&b).is_some()) =>
                    {
                        pos = at;
                        continue;
                    }
                    Some(at) => {
                        let size = level.size - at;
                        let name = format!("(data after the cpio trailer at byte {at})");
                        self.stored(level, prefix, &name, (at, size), depth);
                        return;
                    }
                    None => return,
                }
            }
            if h.is_file() {
                if !self.another_member(prefix, &mut seen) {
                    return;
                }
                // Even a member whose size is a lie is judged from its first bytes.
                self.stored(level, prefix, &name, (data_at, h.size), depth);
            }
            let Some(next) = next else {
                self.limit(
                    &chain(prefix, &name),
                    Limit::Unsupported,
                    level.past_the_end(format!("entry of {} bytes", h.size)),
                );
                return;
            };
            pos = next;
        }
    }

    /// The first non-zero byte at or after `at` (within [`MAX_PADDING`]),
    /// or `None` when only zeros (or nothing) follow.
    fn after_trailer(&mut self, level: &Level<'_, '_>, mut at: u64) -> Option<u64> {
        let stop = at.saturating_add(MAX_PADDING).min(level.size);
        // A header's worth first: archives concatenated with little or no
        // padding (thousands of them, if crafted) cost a small read each.
        let mut want = 512;
        while at < stop {
            let chunk = level.from(at, want.min((stop - at) as usize))?;
            want = 4096;
            if chunk.is_empty() {
                return None;
            }
            if let Some(i) = chunk.iter().position(|&c| c != 0) {
                return Some(at + i as u64);
            }
            at += chunk.len() as u64;
        }
        (at < level.size).then_some(at)
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{look, look_with, wav};
    use crate::rules::RuleSet;
    use crate::unpack::Limit;

    /// A newc entry: header, name, padding, data, padding.
    fn newc(name: &str, mode: u32, data: &[u8]) -> Vec<u8> {
        let mut v = b"070701".to_vec();
        for f in [
            1,
            mode as u64,
            0,
            0,
            1,
            0,
            data.len() as u64,
            0,
            0,
            0,
            0,
            name.len() as u64 + 1,
            0,
        ] {
            v.extend(format!("{f:08x}").as_bytes());
        }
        v.extend(name.as_bytes());
        v.push(0);
        v.resize(v.len().next_multiple_of(4), 0);
        v.extend(data);
        v.resize(v.len().next_multiple_of(4), 0);
        v
    }

    fn odc(name: &str, data: &[u8]) -> Vec<u8> {
        let mut v = format!(
            "070707{:06o}{:06o}{:06o}{:06o}{:06o}{:06o}{:06o}{:011o}{:06o}{:011o}",
            0,
            1,
            0o100644,
            0,
            0,
            1,
            0,
            0,
            name.len() + 1,
            data.len()
        )
        .into_bytes();
        v.extend(name.as_bytes());
        v.push(0);
        v.extend(data);
        v
    }

    fn binary(name: &str, data: &[u8], big: bool) -> Vec<u8> {
        let words = [
            0o070707u16,
            0,
            1,
            0o100644,
            0,
            0,
            1,
            0,
            0,
            0,
            name.len() as u16 + 1,
            (data.len() >> 16) as u16,
            data.len() as u16,
        ];
        let mut v: Vec<u8> = words
            .iter()
            .flat_map(|w| {
                if big {
                    w.to_be_bytes()
                } else {
                    w.to_le_bytes()
                }
            })
            .collect();
        v.extend(name.as_bytes());
        v.push(0);
        v.resize(v.len().next_multiple_of(2), 0);
        v.extend(data);
        v.resize(v.len().next_multiple_of(2), 0);
        v
    }

    #[test]
    fn every_header_format_yields_its_members() {
        let w = wav();
        let cases = [
            [
                newc("calls", 0o040755, b""),
                newc("calls/a.wav", 0o100644, &w),
                newc("TRAILER!!!", 0, b""),
            ]
            .concat(),
            [odc("a.wav", &w), odc("TRAILER!!!", b"")].concat(),
            [binary("a.wav", &w, false), binary("TRAILER!!!", b"", false)].concat(),
            [binary("a.wav", &w, true), binary("TRAILER!!!", b"", true)].concat(),
        ];
        for (i, v) in cases.iter().enumerate() {
            let inside = look(v);
            assert_eq!(inside.members.len(), 1, "case {i}: {:?}", inside.limits);
            assert_eq!(inside.members[0].sniff.format, "wav", "case {i}");
            assert!(inside.limits.is_empty(), "case {i}: {:?}", inside.limits);
        }
    }

    #[test]
    fn concatenated_archives_and_appended_data_after_the_trailer() {
        let w = wav();
        let mut v = [
            newc("early/ucode.bin", 0o100644, b"microcode"),
            newc("TRAILER!!!", 0, b""),
        ]
        .concat();
        v.resize(v.len() + 512, 0);
        v.extend([newc("a.wav", 0o100644, &w), newc("TRAILER!!!", 0, b"")].concat());
        v.extend(w.iter().take(4096));
        let inside = look(&v);
        let formats = inside.formats();
        assert_eq!(formats[1..], ["wav", "wav"], "{:?}", inside.members);
        assert!(inside.members[2].member.contains("after the cpio trailer"));
    }

    /// Thousands of empty archives in a row are walked with small reads
    /// up to the bound on headers, which is said; a member behind the
    /// bound is not silently passed over.
    #[test]
    fn a_chain_of_empty_archives_ends_at_the_header_bound() {
        let trailer = newc("TRAILER!!!", 0, b"");
        let chain = |n: usize| {
            let mut v = trailer.repeat(n);
            v.extend(newc("a.wav", 0o100644, &wav()));
            v
        };
        let within = look(&chain(12_000));
        assert_eq!(within.formats(), ["wav"], "{:?}", within.limits);
        let past = look(&chain(20_000));
        assert!(
            past.says("more than 16384 cpio headers"),
            "{:?}",
            past.limits
        );
        // Read as a scan reads it, within the object's read allowance:
        // 16,200 empty archives read 4 KiB each used it up first.
        let chain = chain(16_200);
        let rules = RuleSet::embedded();
        let mut head = Vec::new();
        let mut reader: &[u8] = &chain;
        let size = chain.len() as u64;
        let i = crate::pipeline::inspect(&mut reader, size, "x", &mut head, &rules, 3).unwrap();
        let formats: Vec<&str> = i.inside.members.iter().map(|m| &*m.sniff.format).collect();
        assert_eq!(formats, ["wav"], "{:?}", i.inside.limits);
    }

    #[test]
    fn hostile_sizes_and_names_end_the_walk_with_a_limit() {
        let w = wav();
        // A size past the end: judged from its head, then a limit.
        let mut v = newc("a.wav", 0o100644, &w);
        v[54..62].copy_from_slice(b"7fffffff");
        let inside = look(&v);
        assert_eq!(inside.members[0].sniff.format, "wav");
        assert!(inside.says("past the end"));
        // A name length of 4 GiB, and of zero.
        for field in [b"ffffffff", b"00000000"] {
            let mut v = newc("a.wav", 0o100644, &w);
            v[94..102].copy_from_slice(field);
            let inside = look(&v);
            assert!(inside.members.is_empty());
            assert!(inside.limits.iter().any(|l| l.limit == Limit::Unsupported));
        }
        // A damaged second header.
        let mut v = [newc("a.wav", 0o100644, &w), newc("b.wav", 0o100644, &w)].concat();
        let second = newc("a.wav", 0o100644, &w).len();
        v[second + 10] = b'z';
        let inside = look(&v);
        assert_eq!(inside.members.len(), 1);
        assert!(inside.says("damaged"));
    }

    #[test]
    fn a_member_larger_than_the_budget_is_judged_from_its_head() {
        let mut rules = RuleSet::embedded();
        rules.limits.max_member_bytes = 8192;
        let v = [
            newc("call.wav", 0o100644, &wav()),
            newc("TRAILER!!!", 0, b""),
        ]
        .concat();
        let inside = look_with(&v, &rules);
        assert_eq!(inside.members[0].sniff.format, "wav");
        assert_eq!(inside.limits.len(), 1, "{:?}", inside.limits);
        assert_eq!(inside.limits[0].limit, Limit::MemberBytes);
    }

    #[test]
    fn directories_links_and_devices_are_not_members() {
        let v = [
            newc("d", 0o040755, b""),
            newc("l", 0o120777, b"target.wav"),
            newc("c", 0o020644, b""),
            newc("TRAILER!!!", 0, b""),
        ]
        .concat();
        let inside = look(&v);
        assert!(inside.members.is_empty() && inside.limits.is_empty());
    }
}
