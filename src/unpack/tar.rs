//! Tar archives: 512-byte headers walked, members read in place.
//!
//! The walk can only move forward: every next offset is computed with
//! checked arithmetic from a size that must fit the archive, so a size near
//! 2^64 or one that points backwards ends the walk with a limit instead of
//! wrapping to an earlier header. The number of headers walked is bounded
//! (extension headers too, not only members), and so are GNU long names and
//! pax records, which are parsed for `path` and `size` (a pax `size`
//! overrides the header's, as tar itself does).

use super::{chain, Level, Limit, Walk};
use crate::formats::tar::{self as fields, Pax};
use crate::sniff;

/// Longest GNU long name (`L`/`K`) or pax header data read; longer ones are
/// skipped with a limit (Linux paths stop at 4 KiB).
const MAX_EXTENSION: u64 = 64 << 10;
/// Extension headers (`L`, `K`, `x`, `g`) in a row before one member: a
/// chain longer than this is reported (only the last of each kind applies).
const MAX_CHAIN: u64 = 64;

impl Walk<'_> {
    pub(super) fn tar(&mut self, level: &Level<'_, '_>, prefix: &str, depth: u32) {
        // Headers walked: members and everything else, so a tar of nothing
        // but extension or directory headers ends too.
        let max_headers = self.limits.max_members.saturating_mul(16).max(16_384);
        let mut headers = 0u64;
        let mut seen = 0u64;
        let mut chain_len = 0u64;
        let mut chain_reported = false;
        let mut pos = 0u64;
        let mut long_name: Option<String> = None;
        let mut pax = Pax::default();
        let mut global = Pax::default();
        let mut after_end = false;
        while pos.saturating_add(512) <= level.size {
            if !self.another_header(prefix, "tar", &mut headers, max_headers) {
                return;
            }
            let Some(h) = level.at(pos, 512) else {
                self.limit(
                    prefix,
                    Limit::ObjectBytes,
                    format!("tar members after byte {pos} not reached"),
                );
                return;
            };
            if h.iter().all(|&b| b == 0) {
                // The end-of-archive blocks. `tar -i` and Python's
                // ignore_zeros read on past them, so an archive appended to
                // another (`cat a.tar b.tar`) is walked too; anything else
                // after the zeros is said, not passed over.
                match past_zeros(level, pos + 512) {
                    Zeros::ToTheEnd => return,
                    Zeros::Unread(at) => {
                        self.limit(
                            prefix,
                            Limit::ObjectBytes,
                            format!(
                                "bytes after the tar's end blocks, from byte {at}, not reached"
                            ),
                        );
                        return;
                    }
                    Zeros::Then(at) => {
                        after_end = true;
                        pos = at;
                        continue;
                    }
                }
            }
            if !sniff::is_tar_header(&h) {
                let message = if after_end {
                    format!("{} bytes after the tar's end blocks, from byte {pos}, are no tar header; not inspected", level.size - pos)
                } else {
                    format!("damaged tar header at byte {pos}")
                };
                self.limit(prefix, Limit::Unsupported, message);
                return;
            }
            let kind = h[156];
            let extension = is_extension(kind);
            let applies = pax.over(&global);
            let size = match fields::size(&h[124..136]) {
                // A pax size applies to the member it precedes, not to headers.
                Some(_) if !extension && applies.size.is_some() => applies.size.flatten(),
                size => size,
            };
            let data_at = pos + 512;
            let Some(size) = size else {
                self.limit(
                    prefix,
                    Limit::Unsupported,
                    format!("tar header at byte {pos} declares a size that is not a number"),
                );
                return;
            };
            // The next header: strictly after this one, inside the archive.
            let next = size
                .checked_next_multiple_of(512)
                .and_then(|padded| data_at.checked_add(padded))
                .filter(|&next| next <= level.size);
            if !extension && (is_file(kind) || size > 0) {
                chain_len = 0;
                let name = long_name
                    .take()
                    .or_else(|| applies.path.clone())
                    .unwrap_or_else(|| fields::name(&h));
                pax = Pax::default();
                if !self.another_member(prefix, &mut seen) {
                    return;
                }
                // Even a member whose size is a lie is judged from its first bytes.
                self.stored(level, prefix, &name, (data_at, size), depth);
                if next.is_none() {
                    self.limit(
                        &chain(prefix, &name),
                        Limit::Unsupported,
                        level.past_the_end(format!("member of {size} bytes")),
                    );
                    return;
                }
            } else {
                if extension {
                    chain_len += 1;
                    if chain_len > MAX_CHAIN && !chain_reported {
                        chain_reported = true;
                        self.limit(
                            prefix,
                            Limit::Unsupported,
                            format!(
                                "more than {MAX_CHAIN} tar extension headers in a row at byte \
                                 {pos}; only the last of each kind applies"
                            ),
                        );
                    }
                }
                if next.is_none() {
                    self.limit(
                        prefix,
                        Limit::Unsupported,
                        format!(
                            "tar header at byte {pos} declares {size} bytes, past the end of \
                             the archive"
                        ),
                    );
                    return;
                }
                if extension {
                    let state = (&mut long_name, &mut pax, &mut global);
                    self.extension(level, prefix, kind, data_at, size, state);
                }
            }
            // Checked above: strictly after this header, inside the archive.
            pos = next.unwrap_or(level.size);
        }
    }

    /// Reads a GNU long name or a pax header's records, when small enough,
    /// into (long name, pax records for the next member, global pax records).
    fn extension(
        &mut self,
        level: &Level<'_, '_>,
        prefix: &str,
        kind: u8,
        data_at: u64,
        size: u64,
        (long_name, pax, global): (&mut Option<String>, &mut Pax, &mut Pax),
    ) {
        if size > MAX_EXTENSION {
            self.limit(
                prefix,
                Limit::Unsupported,
                format!("tar extension header of {size} bytes at byte {data_at} skipped"),
            );
            return;
        }
        let Some(data) = level.at(data_at, size as usize) else {
            self.limit(
                prefix,
                Limit::ObjectBytes,
                format!("tar extension header at byte {data_at} not reached"),
            );
            return;
        };
        match kind {
            b'L' => *long_name = Some(fields::long_name(&data)),
            b'K' => {}
            _ => match fields::pax(&data) {
                Some(p) if kind == b'x' => *pax = p,
                Some(p) => *global = p.over(global),
                None => self.limit(
                    prefix,
                    Limit::Unsupported,
                    format!("damaged pax records at byte {data_at}"),
                ),
            },
        }
    }
}

/// Type flags of regular and contiguous files (`\0` is the pre-POSIX
/// regular file): members even when empty.
fn is_file(kind: u8) -> bool {
    matches!(kind, b'0' | 0 | b'7')
}

/// Type flags of headers that describe the member after them (GNU long
/// names and links, pax records). Every other entry that declares data
/// is a member: GNU tar extracts a sparse file's (`S`) regions, a
/// multi-volume continuation (`M`) and any type it does not know as
/// bytes of a file, so a recording stored under such a flag is there.
fn is_extension(kind: u8) -> bool {
    matches!(kind, b'L' | b'K' | b'x' | b'g')
}

/// What follows a tar's end-of-archive blocks.
enum Zeros {
    /// Zeros to the end of the object (a tar padded to its record size).
    ToTheEnd,
    /// A block that is not all zeros, at this offset.
    Then(u64),
    /// The bytes from this offset could not be read (the read budget).
    Unread(u64),
}

/// Steps over zero blocks from `from` (a block boundary), 64 KiB at a time.
fn past_zeros(level: &Level<'_, '_>, from: u64) -> Zeros {
    let mut at = from;
    while at < level.size {
        let Some(bytes) = level.from(at, 64 * 1024).filter(|b| !b.is_empty()) else {
            return Zeros::Unread(at);
        };
        if let Some(i) = bytes.iter().position(|&b| b != 0) {
            let block = at + (i as u64) / 512 * 512;
            return if block.saturating_add(512) <= level.size {
                Zeros::Then(block)
            } else {
                Zeros::ToTheEnd
            };
        }
        at += bytes.len() as u64;
    }
    Zeros::ToTheEnd
}

#[cfg(test)]
mod tests {
    use super::super::tests::{look, tar_header, wav};
    use crate::unpack::Limit;

    fn b256(v: u64) -> [u8; 12] {
        let mut f = [0u8; 12];
        f[0] = 0x80;
        f[4..].copy_from_slice(&v.to_be_bytes());
        f
    }

    fn member(name: &str, data: &[u8]) -> Vec<u8> {
        let mut v = tar_header(name.as_bytes(), b'0', &octal(data.len() as u64));
        v.extend(data);
        v.resize(v.len().next_multiple_of(512), 0);
        v
    }

    fn octal(n: u64) -> [u8; 12] {
        let mut f = [0u8; 12];
        f[..11].copy_from_slice(format!("{n:011o}").as_bytes());
        f
    }

    /// A tar.gz decoded from the head of its stream: a first member larger
    /// than what was decoded hides the members after it, and the limit says
    /// so instead of blaming the archive's end.
    #[test]
    fn a_member_past_the_decoded_head_of_a_stream_is_not_the_archive_end() {
        use std::io::Write;
        // Hex text: it compresses to about half, so the member is larger
        // than the whole compressed object.
        let hex: Vec<u8> = crate::sniff::testutil::pseudo_random(3 << 19, 3)
            .iter()
            .flat_map(|b| format!("{b:02x}").into_bytes())
            .collect();
        let mut tar = member("big.txt", &hex);
        tar.extend(member("call.wav", &wav()));
        tar.extend([0u8; 1024]);
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(&tar).unwrap();
        let inside = look(&gz.finish().unwrap());
        assert!(
            inside.says("decoded of the archive (the head of its compressed stream): it and any members after it were not inspected"),
            "{:?}",
            inside.limits
        );
        assert!(!inside.says("runs past the end of the archive"));
    }

    /// `cat a.tar b.tar`: the second archive lies after the first one's
    /// end blocks and its record padding, and is walked as `tar -i` does;
    /// other bytes there are a limit, and zeros to the end are nothing.
    #[test]
    fn an_archive_appended_after_the_end_blocks_is_walked() {
        let mut a = member("a.txt", b"hello\n");
        a.resize(10_240, 0);
        let mut b = member("call.wav", &wav());
        b.resize(b.len().next_multiple_of(10_240), 0);
        let inside = look(&[&a[..], &b[..]].concat());
        let names: Vec<_> = inside.members.iter().map(|m| m.member.as_str()).collect();
        assert_eq!(names, ["a.txt", "call.wav"], "{:?}", inside.limits);
        assert!(inside.limits.is_empty(), "{:?}", inside.limits);
        let mut junk = a.clone();
        junk.extend(b"RIFF and other bytes that are no tar header");
        junk.resize(junk.len().next_multiple_of(512), 0);
        let inside = look(&junk);
        assert!(
            inside
                .limits
                .iter()
                .any(|l| l.message.contains("after the tar's end blocks")),
            "{:?}",
            inside.limits
        );
    }

    #[test]
    fn sizes_that_wrap_or_point_back_end_the_walk_with_a_limit() {
        for (kind, size) in [
            (b'L', u64::MAX - 511),
            (b'x', u64::MAX - 511),
            (b'5', u64::MAX - 1023),
        ] {
            let mut v = tar_header(b"./x", kind, &b256(size));
            v.extend(vec![0u8; 512]);
            v.extend(member("a.wav", &wav()));
            v.extend([0u8; 1024]);
            let inside = look(&v);
            assert!(
                inside.limits.iter().any(|l| l.limit == Limit::Unsupported),
                "{}: {:?}",
                kind as char,
                inside.limits
            );
        }
    }

    #[test]
    fn a_pax_size_overrides_the_header_and_a_huge_one_is_a_limit() {
        let rec = b"29 size=18446744073709551000\n";
        let mut v = tar_header(b"PaxHeaders/a.wav", b'x', &octal(rec.len() as u64));
        v.extend(rec);
        v.resize(1024, 0);
        v.extend(member("a.wav", &wav()));
        v.extend([0u8; 1024]);
        let inside = look(&v);
        assert!(inside.says("past the end"), "{:?}", inside.limits);
        assert_eq!(
            inside.members[0].sniff.format, "wav",
            "still judged from its head"
        );
        // A pax path names the member.
        let rec = b"20 path=calls/b.wav\n";
        let mut v = tar_header(b"PaxHeaders/b", b'x', &octal(rec.len() as u64));
        v.extend(rec);
        v.resize(1024, 0);
        v.extend(member("b", &wav()));
        v.extend([0u8; 1024]);
        let inside = look(&v);
        assert_eq!(inside.members[0].member, "calls/b.wav");
        assert_eq!(inside.members[0].sniff.format, "wav");
    }

    #[test]
    fn a_long_chain_of_long_names_is_reported_and_the_member_after_it_found() {
        let mut v = Vec::new();
        for _ in 0..200 {
            v.extend(tar_header(b"././@LongLink", b'L', &octal(0)));
        }
        v.extend(member("a.wav", &wav()));
        v.extend([0u8; 1024]);
        let inside = look(&v);
        assert!(inside.says("in a row"));
        assert_eq!(inside.members[0].sniff.format, "wav");
    }

    #[test]
    fn a_member_larger_than_the_budget_is_judged_from_its_head() {
        let mut rules = crate::rules::RuleSet::embedded();
        rules.limits.max_member_bytes = 8192;
        let mut v = member("call.wav", &wav());
        v.extend([0u8; 1024]);
        let inside = super::super::tests::look_with(&v, &rules);
        assert_eq!(inside.members[0].sniff.format, "wav");
        assert_eq!(inside.limits.len(), 1, "{:?}", inside.limits);
        assert_eq!(inside.limits[0].limit, Limit::MemberBytes);
        // A spent object budget still leaves each member's head a peek.
        rules.limits.max_member_bytes = 1 << 20;
        rules.limits.max_object_bytes = wav().len() as u64;
        let mut v = member("a.wav", &wav());
        v.extend(member("b.wav", &wav()));
        v.extend([0u8; 1024]);
        let inside = super::super::tests::look_with(&v, &rules);
        let formats = inside.formats();
        assert_eq!(formats, ["wav", "wav"]);
        assert_eq!(
            inside.limits[0].limit,
            Limit::ObjectBytes,
            "{:?}",
            inside.limits
        );
    }

    /// GNU sparse (`S`), multi-volume (`M`) and unknown type flags carry
    /// a file's bytes; links and directories without data are no members.
    #[test]
    fn entries_of_any_type_that_declare_data_are_judged() {
        let wav = wav();
        for kind in [b'S', b'M', b'Z', b'D', b'5'] {
            let mut v = tar_header(b"voice.wav", kind, &octal(wav.len() as u64));
            v.extend(&wav);
            v.resize(v.len().next_multiple_of(512) + 1024, 0);
            let inside = look(&v);
            assert_eq!(
                inside.formats(),
                ["wav"],
                "{}: {:?}",
                kind as char,
                inside.limits
            );
            assert!(inside.limits.is_empty(), "{:?}", inside.limits);
        }
        let mut v = tar_header(b"calls/", b'5', &octal(0));
        v.extend(tar_header(b"link.wav", b'2', &octal(0)));
        v.extend([0u8; 1024]);
        assert!(look(&v).members.is_empty());
    }

    #[test]
    fn headers_are_bounded_not_only_members() {
        let mut v = Vec::new();
        for i in 0..20_000 {
            v.extend(tar_header(format!("d{i}/").as_bytes(), b'5', &octal(0)));
        }
        let inside = look(&v);
        assert!(inside
            .limits
            .iter()
            .any(|l| l.limit == Limit::Members && l.message.contains("headers")));
    }
}
