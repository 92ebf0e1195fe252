//! RAR archives: block headers walked for what they say in the clear.
//!
//! atrest decodes no RAR compression: the crates that do bind the C++
//! UnRAR library (`unrar`), or are unmaintained partial decoders (`rar`),
//! and RAR's licence forbids deriving a compressor from UnRAR's source, so
//! a clean-room decoder is a project of its own. What the headers give is
//! enough for a verdict: members stored without compression (`-m0`, common
//! for recordings that do not compress) are read in place and sniffed like
//! tar members; compressed members are judged by their names, as encrypted
//! zip members are, with one limit entry saying how many; encrypted members
//! are listed as encrypted by name. Archives whose headers are encrypted
//! list nothing (the sniffer has graded them `encrypted`).
//!
//! Every next offset is computed with checked arithmetic, must move
//! forward and must lie inside the archive; headers are bounded in size
//! ([`rar::MAX_HEADER`]) and in number.

use super::{chain, Level, Limit, Member, Walk};
use crate::formats::rar::{self, Block};
use crate::sniff::{self, Class, Encryption, Sniff};

impl Walk<'_> {
    pub(super) fn rar(&mut self, level: &Level<'_, '_>, prefix: &str, depth: u32) {
        let Some((version, start)) = level.at(0, 8).and_then(|b| rar::signature(&b)) else {
            return;
        };
        let max_headers = self.limits.max_members.saturating_mul(4).max(4096);
        let (mut headers, mut seen, mut by_name) = (0u64, 0u64, 0u64);
        let mut pos = start;
        while pos < level.size {
            if !self.another_header(prefix, "RAR", &mut headers, max_headers) {
                break;
            }
            let len = level
                .from(pos, 16)
                .and_then(|b| rar::header_len(version, &b));
            let Some(len) = len.filter(|&n| (7..=rar::MAX_HEADER).contains(&n)) else {
                self.limit(
                    prefix,
                    Limit::Unsupported,
                    format!("damaged or oversized RAR block header at byte {pos}"),
                );
                break;
            };
            let parsed = level
                .at(pos, len as usize)
                .and_then(|b| rar::block(version, &b));
            let Some(parsed) = parsed else {
                self.limit(
                    prefix,
                    Limit::Unsupported,
                    format!("damaged RAR block header at byte {pos}"),
                );
                break;
            };
            let next = pos
                .checked_add(parsed.next)
                .filter(|&n| n > pos && n <= level.size);
            match parsed.block {
                Block::End | Block::HeadersEncrypted => break,
                Block::Other => {}
                Block::File(e) if e.dir => {}
                Block::File(e) => {
                    if !self.another_member(prefix, &mut seen) {
                        break;
                    }
                    let size = e.size.unwrap_or(e.packed);
                    if e.encrypted {
                        self.by_rar_name(prefix, &e.name, size, Encryption::Encrypted);
                    } else if e.stored {
                        let at = pos + parsed.data_at;
                        self.stored(level, prefix, &e.name, (at, e.packed), depth);
                    } else {
                        by_name += 1;
                        self.by_rar_name(prefix, &e.name, size, Encryption::None);
                    }
                    if next.is_none() {
                        self.limit(
                            &chain(prefix, &e.name),
                            Limit::Unsupported,
                            format!(
                                "member of {} bytes runs past the end of the archive",
                                e.packed
                            ),
                        );
                        break;
                    }
                }
            }
            let Some(next) = next else {
                self.limit(
                    prefix,
                    Limit::Unsupported,
                    format!("RAR block at byte {pos} runs past the end of the archive"),
                );
                break;
            };
            pos = next;
        }
        if by_name > 0 {
            self.limit(
                prefix,
                Limit::Unsupported,
                format!(
                    "{by_name} RAR member(s) compressed with RAR's own method, not decoded; \
                     judged by name"
                ),
            );
        }
    }

    /// Lists a member whose bytes are not read, with the class its name
    /// suggests (names stay in the clear unless the headers are encrypted).
    fn by_rar_name(&mut self, prefix: &str, name: &str, size: u64, encryption: Encryption) {
        let fallback = if encryption == Encryption::None {
            ("unknown", Class::Compressed)
        } else {
            ("unknown", Class::Encrypted)
        };
        let (format, class) = sniff::formats::of_extension(name).unwrap_or(fallback);
        let sniff = Sniff::new(format, None, class, encryption).with(
            "basis",
            if encryption == Encryption::None {
                "RAR-compressed member, not decoded; class inferred from the member name"
            } else {
                "content encrypted (RAR AES); class inferred from the member name"
            },
        );
        self.inside.members.push(Member {
            member: chain(prefix, name),
            sniff,
            size,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{look, look_with, wav};
    use crate::formats::rar::tests::rar5_file;
    use crate::rules::RuleSet;
    use crate::sniff::{Class, Encryption};
    use crate::unpack::Limit;

    const END5: &[u8] = &[0, 0, 0, 0, 3, 5, 0, 0];

    fn rar5(members: &[(&str, &[u8], u64, bool)]) -> Vec<u8> {
        let mut v = b"Rar!\x1a\x07\x01\x00".to_vec();
        // Main archive header: type 1, no flags, archive flags 0.
        v.extend([0, 0, 0, 0, 3, 1, 0, 0]);
        for (name, data, method, encrypted) in members {
            v.extend(rar5_file(name, data.len() as u64, *method, *encrypted));
            v.extend(*data);
        }
        v.extend(END5);
        v
    }

    #[test]
    fn stored_members_are_sniffed_and_others_judged_by_name() {
        let w = wav();
        let v = rar5(&[
            ("calls/stored.wav", &w, 0, false),
            ("calls/packed.wav", &[0x5a; 300], 3, false),
            ("prints/left.fmr", &[0x5a; 300], 3, true),
            ("notes.bin", &[0x5a; 300], 3, false),
        ]);
        let inside = look(&v);
        let got: Vec<_> = inside
            .members
            .iter()
            .map(|m| {
                (
                    m.member.as_str(),
                    &*m.sniff.format,
                    m.sniff.class,
                    m.sniff.encryption,
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                ("calls/stored.wav", "wav", Class::Audio, Encryption::None),
                ("calls/packed.wav", "wav", Class::Audio, Encryption::None),
                (
                    "prints/left.fmr",
                    "iso19794-2",
                    Class::Biometric,
                    Encryption::Encrypted
                ),
                ("notes.bin", "unknown", Class::Compressed, Encryption::None),
            ]
        );
        assert_eq!(inside.limits.len(), 1, "{:?}", inside.limits);
        assert!(inside.limits[0].message.starts_with("2 RAR member(s)"));
    }

    #[test]
    fn rar4_stored_member() {
        let w = wav();
        let mut v = b"Rar!\x1a\x07\x00".to_vec();
        v.extend([0, 0, 0x73, 0, 0, 13, 0, 0, 0, 0, 0, 0, 0]);
        let name = b"speech.wav";
        v.extend([0, 0, 0x74, 0x00, 0x80]);
        v.extend(((32 + name.len()) as u16).to_le_bytes());
        v.extend((w.len() as u32).to_le_bytes());
        v.extend((w.len() as u32).to_le_bytes());
        v.extend([3, 0, 0, 0, 0, 0, 0, 0, 0, 29, 0x30]);
        v.extend((name.len() as u16).to_le_bytes());
        v.extend([0u8; 4]);
        v.extend(name);
        v.extend(&w);
        v.extend([0, 0, 0x7b, 0, 0x40, 7, 0]);
        let inside = look(&v);
        assert_eq!(inside.members.len(), 1, "{:?}", inside.limits);
        assert_eq!(inside.members[0].sniff.format, "wav");
        assert!(inside.limits.is_empty(), "{:?}", inside.limits);
    }

    #[test]
    fn hostile_blocks_end_the_walk_with_a_limit() {
        let w = wav();
        // A data size past the end: judged from its head, then a limit.
        let mut v = b"Rar!\x1a\x07\x01\x00".to_vec();
        let mut h = rar5_file("a.wav", w.len() as u64 * 100, 0, false);
        // rar5_file writes the same size twice (data and unpacked); the
        // header stays parsable with the larger values.
        v.append(&mut h);
        v.extend(&w);
        let inside = look(&v);
        assert_eq!(inside.members[0].sniff.format, "wav");
        assert!(inside.says("past the end"));
        // A header claiming 1 MiB.
        let mut v = b"Rar!\x1a\x07\x01\x00".to_vec();
        v.extend([0, 0, 0, 0, 0x80, 0x80, 0x40, 2]);
        v.extend([0u8; 64]);
        let inside = look(&v);
        assert!(inside.limits.iter().any(|l| l.limit == Limit::Unsupported));
    }

    #[test]
    fn a_stored_member_larger_than_the_budget_is_judged_from_its_head() {
        let mut rules = RuleSet::embedded();
        rules.limits.max_member_bytes = 8192;
        let inside = look_with(&rar5(&[("call.wav", &wav(), 0, false)]), &rules);
        assert_eq!(inside.members[0].sniff.format, "wav");
        assert_eq!(inside.limits.len(), 1, "{:?}", inside.limits);
        assert_eq!(inside.limits[0].limit, Limit::MemberBytes);
    }
}
