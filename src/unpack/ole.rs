//! OLE2 compound files (MS-CFB) whose streams are in the clear: Outlook
//! `.msg` messages (a voicemail's recording is an attachment stream, often
//! past a long body), OLE packages (`\x01Ole10Native`), Word and Excel
//! documents with embedded objects, MSI installers. A stream's sectors may
//! lie anywhere in the file, chained through its allocation table, so a
//! recording is rarely where a window of the file would see its header.
//!
//! The `cfb` crate follows the chains, after checking the tables it reads
//! (no sector claimed twice, no loop in a chain or in the directory tree,
//! every index in range). It holds the allocation tables and the whole
//! directory in memory, about as many bytes as the directory has, so files
//! larger than [`MAX_COMPOUND`] are not walked, and say so. Each stream of
//! at least [`MIN_STREAM`] bytes is a member named by its path, judged from
//! what the decompression budget keeps.

use std::io::{Read, Seek, SeekFrom};
use std::time::Instant;

use super::{Level, Limit, Walk, PEEK};

/// The largest compound file walked: the crate holds its directory (up to
/// the file's size, for a crafted one) while the streams are read.
pub(super) const MAX_COMPOUND: u64 = 32 << 20;

/// Streams shorter than this hold no recording (a message's property
/// streams: a subject, an address, a flag).
const MIN_STREAM: u64 = 64;

/// Bytes fetched at a time: the allocation tables and directory are read a
/// sector at a time, and one fetch (one ranged GET for a bucket object)
/// serves the neighbouring sectors too.
const WINDOW: u64 = 64 << 10;

/// `Read` and `Seek` over a level, a window at a time; reads fail past the
/// deadline, which the crate's loops cannot otherwise be stopped at.
struct Windows<'l, 'a, 'f> {
    level: &'l Level<'a, 'f>,
    pos: u64,
    at: u64,
    held: Vec<u8>,
    deadline: Instant,
}

impl Read for Windows<'_, '_, '_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.pos >= self.level.size || buf.is_empty() {
            return Ok(0);
        }
        let held_end = self.at + self.held.len() as u64;
        if self.pos < self.at || self.pos >= held_end {
            if Instant::now() > self.deadline {
                return Err(std::io::Error::other("time is up"));
            }
            let start = self.pos - self.pos % WINDOW;
            let window = self.level.from(start, WINDOW as usize).filter(|w| {
                // Short only at the level's end.
                start + w.len() as u64 > self.pos
            });
            let Some(window) = window else {
                return Err(std::io::Error::other(format!(
                    "bytes at {} could not be read",
                    self.pos
                )));
            };
            self.held = window.into_owned();
            self.at = start;
        }
        let from = (self.pos - self.at) as usize;
        let n = buf.len().min(self.held.len() - from);
        buf[..n].copy_from_slice(&self.held[from..from + n]);
        self.pos += n as u64;
        Ok(n)
    }
}

impl Seek for Windows<'_, '_, '_> {
    fn seek(&mut self, to: SeekFrom) -> std::io::Result<u64> {
        let pos = match to {
            SeekFrom::Start(p) => Some(p),
            SeekFrom::End(d) => self.level.size.checked_add_signed(d),
            SeekFrom::Current(d) => self.pos.checked_add_signed(d),
        };
        self.pos = pos.ok_or_else(|| std::io::Error::other("seek before the start"))?;
        Ok(self.pos)
    }
}

impl Walk<'_> {
    /// Walks a compound file's streams; why it was not walked, for the
    /// caller to say so.
    pub(super) fn compound(
        &mut self,
        level: &Level<'_, '_>,
        prefix: &str,
        depth: u32,
    ) -> Result<(), String> {
        if level.size > MAX_COMPOUND {
            return Err(format!("larger than {} MiB", MAX_COMPOUND >> 20));
        }
        if level.readable() < level.size {
            return Err("only its head was decoded".into());
        }
        let windows = Windows {
            level,
            pos: 0,
            at: 0,
            held: Vec::new(),
            deadline: self.deadline,
        };
        let mut file = cfb::CompoundFile::open(windows).map_err(|e| e.to_string())?;
        // Paths first: the directory is borrowed while it is walked, and a
        // stream is opened through the file.
        let streams: Vec<(std::path::PathBuf, u64)> = file
            .walk()
            .filter(|e| e.is_stream() && e.len() >= MIN_STREAM)
            .map(|e| (e.path().to_path_buf(), e.len()))
            .collect();
        let mut seen = 0;
        for (path, size) in streams {
            if !self.another_member(prefix, &mut seen) || self.out_of_time(prefix) {
                break;
            }
            let name = path.to_string_lossy().trim_start_matches('/').to_string();
            let keep = size.min(self.budget().max(PEEK));
            let mut data = Vec::new();
            let read = file
                .open_stream(&path)
                .and_then(|s| s.take(keep).read_to_end(&mut data));
            if let Err(e) = read {
                if self.out_of_time(prefix) {
                    break;
                }
                self.limit(
                    &super::chain(prefix, &name),
                    Limit::Unsupported,
                    format!("OLE2 stream could not be read: {e}"),
                );
                continue;
            }
            self.spent += data.len() as u64;
            let got = data.len() as u64;
            self.member(prefix, &name, &data, size, depth);
            self.judged_from_head(prefix, &name, size, got, keep);
        }
        Ok(())
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::super::tests::{look, look_with, wav};
    use super::*;
    use crate::rules::RuleSet;
    use crate::sniff::Class;

    /// A version 3 compound file (512-byte sectors) holding `streams`
    /// (each of at least 4,096 bytes, so none lives in the mini stream) in
    /// the root storage. `interleave` alternates the sectors of all but the
    /// first stream, as a file written piece by piece has them.
    pub(crate) fn compound(streams: &[(&str, &[u8])], interleave: bool) -> Vec<u8> {
        const FREE: u32 = 0xFFFF_FFFF;
        const END: u32 = 0xFFFF_FFFE;
        const FAT_SECTOR: u32 = 0xFFFF_FFFD;
        let chunks: Vec<Vec<&[u8]>> = streams
            .iter()
            .map(|(_, d)| d.chunks(512).collect())
            .collect();
        let mut order = Vec::new();
        if interleave && !chunks.is_empty() {
            order.extend((0..chunks[0].len()).map(|k| (0, k)));
            let longest = chunks.iter().map(Vec::len).max().unwrap_or(0);
            for k in 0..longest {
                order.extend(
                    (1..chunks.len())
                        .filter(|&s| k < chunks[s].len())
                        .map(|s| (s, k)),
                );
            }
        } else {
            for (s, c) in chunks.iter().enumerate() {
                order.extend((0..c.len()).map(|k| (s, k)));
            }
        }
        let index = |s: usize, k: usize| order.iter().position(|&o| o == (s, k)).map(|i| i as u32);
        let mut fat: Vec<u32> = order
            .iter()
            .map(|&(s, k)| index(s, k + 1).unwrap_or(END))
            .collect();
        let mut sectors: Vec<Vec<u8>> = order
            .iter()
            .map(|&(s, k)| {
                let mut c = chunks[s][k].to_vec();
                c.resize(512, 0);
                c
            })
            .collect();
        // Siblings in MS-CFB order (shorter names first, then upper-cased),
        // each the right sibling of the one before.
        let mut names: Vec<usize> = (0..streams.len()).collect();
        names.sort_by_key(|&s| {
            (
                streams[s].0.encode_utf16().count(),
                streams[s].0.to_uppercase(),
            )
        });
        let entry = |name: &str, kind: u8, right: u32, child: u32, start: u32, size: u64| {
            let mut e = Vec::with_capacity(128);
            let units: Vec<u8> = name
                .encode_utf16()
                .chain([0])
                .flat_map(u16::to_le_bytes)
                .collect();
            e.extend(&units);
            e.resize(64, 0);
            e.extend((units.len() as u16).to_le_bytes());
            e.extend([kind, 1]);
            for v in [FREE, right, child] {
                e.extend(v.to_le_bytes());
            }
            e.resize(116, 0);
            e.extend(start.to_le_bytes());
            e.extend(size.to_le_bytes());
            e
        };
        let first = names.first().map_or(FREE, |_| 1);
        let mut dir = entry("Root Entry", 5, FREE, first, END, 0);
        for (i, &s) in names.iter().enumerate() {
            let right = if i + 1 < names.len() {
                i as u32 + 2
            } else {
                FREE
            };
            let start = index(s, 0).unwrap_or(END);
            dir.extend(entry(
                streams[s].0,
                2,
                right,
                FREE,
                start,
                streams[s].1.len() as u64,
            ));
        }
        let dir_start = sectors.len() as u32;
        for c in dir.chunks(512) {
            let mut c = c.to_vec();
            c.resize(512, 0);
            fat.push(sectors.len() as u32 + 1);
            sectors.push(c);
        }
        *fat.last_mut().unwrap() = END;
        let fats = (fat.len() + 1).div_ceil(127);
        let fat_start = sectors.len() as u32;
        fat.extend(std::iter::repeat_n(FAT_SECTOR, fats));
        fat.resize(fats * 128, FREE);
        for c in fat.chunks(128) {
            sectors.push(c.iter().flat_map(|v| v.to_le_bytes()).collect());
        }
        let mut f = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1".to_vec();
        f.resize(24, 0);
        for v in [0x3Eu16, 3, 0xFFFE, 9, 6] {
            f.extend(v.to_le_bytes());
        }
        f.resize(44, 0);
        for v in [fats as u32, dir_start, 0, 4096, END, 0, END, 0] {
            f.extend(v.to_le_bytes());
        }
        for i in 0..109u32 {
            let v = if (i as usize) < fats {
                fat_start + i
            } else {
                FREE
            };
            f.extend(v.to_le_bytes());
        }
        assert_eq!(f.len(), 512);
        f.extend(sectors.concat());
        f
    }

    fn body() -> Vec<u8> {
        "Voice message from extension 4471. "
            .repeat(3000)
            .encode_utf16()
            .flat_map(u16::to_le_bytes)
            .collect()
    }

    /// A voicemail message: the recording an attachment behind a body that
    /// outgrows the head, its sectors in a row or alternating with another
    /// attachment's.
    #[test]
    fn a_recording_attached_to_a_message_is_found() {
        let wav = wav();
        let other = crate::sniff::testutil::pseudo_random(20_000, 3);
        for interleave in [false, true] {
            let f = compound(
                &[
                    ("__substg1.0_1000001F", &body()),
                    ("__substg1.0_37010102", &wav),
                    ("__attach_version1.0_#00000001", &other),
                ],
                interleave,
            );
            assert!(f.len() > 128 << 10);
            let found = look(&f);
            let m = found
                .members
                .iter()
                .find(|m| m.member == "__substg1.0_37010102")
                .unwrap_or_else(|| panic!("{found:?}"));
            assert_eq!((&*m.sniff.format, m.sniff.class), ("wav", Class::Audio));
            assert_eq!(m.size, wav.len() as u64);
            assert_eq!(found.members.len(), 3);
            assert!(found.limits.is_empty(), "{:?}", found.limits);
        }
    }

    /// A stream named `EncryptedPackage` makes a compound file an
    /// encrypted Office document's envelope, but proves nothing of the
    /// other streams: each is judged, a recording among them found, the
    /// ciphertext judged as such and no limit said.
    #[test]
    fn an_encrypted_envelope_does_not_hide_its_other_streams() {
        let cipher = crate::sniff::testutil::pseudo_random(40_000, 5);
        let info = [4u8, 0, 4, 0, 0x40, 0, 0, 0].repeat(600);
        let sealed = compound(
            &[("EncryptionInfo", &info), ("EncryptedPackage", &cipher)],
            false,
        );
        let sniffed = crate::sniff::sniff(
            &crate::sniff::Sample::new(sealed.len() as u64, &sealed, &[]),
            &[],
        );
        assert_eq!(sniffed.format, "ms-offcrypto");
        let found = look(&sealed);
        assert_eq!(
            found.found(),
            [
                ("EncryptionInfo", "binary"),
                ("EncryptedPackage", "random-like")
            ]
        );
        assert!(found.limits.is_empty(), "{:?}", found.limits);
        let wav = wav();
        let forged = compound(
            &[
                ("__substg1.0_1000001F", &body()),
                ("__substg1.0_37010102", &wav),
                ("EncryptedPackage", &cipher[..600]),
            ],
            false,
        );
        let found = look(&forged);
        assert_eq!(
            found.found()[1],
            ("__substg1.0_37010102", "wav"),
            "{found:?}"
        );
    }

    /// An OLE package (an object embedded in a document) keeps the file it
    /// wraps behind a header of names and paths.
    #[test]
    fn a_recording_wrapped_in_an_ole_package_is_found() {
        let wav = wav();
        let mut native = Vec::new();
        native.extend([2, 0]);
        native.extend(b"voice.wav\0C:\\Users\\a\\voice.wav\0\0\0\x03\0");
        let temp = b"C:\\Temp\\voice.wav\0";
        native.extend((temp.len() as u32).to_le_bytes());
        native.extend(temp);
        native.extend((wav.len() as u32).to_le_bytes());
        native.extend(&wav);
        let mut stream = (native.len() as u32).to_le_bytes().to_vec();
        stream.extend(native);
        let f = compound(&[("body", &body()), ("\u{1}Ole10Native", &stream)], false);
        let found = look(&f);
        let m = &found.members[1];
        assert_eq!(
            (&*m.member, &*m.sniff.format),
            ("\u{1}Ole10Native", "wav"),
            "{found:?}"
        );
    }

    /// Cut anywhere, or declared longer than it is, a message is walked
    /// within the object's budget.
    #[test]
    fn cut_and_lying_compound_files_stay_in_budget() {
        let f = compound(&[("body", &body()[..8192]), ("a", &wav())], true);
        for cut in (0..f.len()).step_by(1021) {
            crate::unpack::fuzz_archive("ole2", &[[0u8].as_slice(), &f[..cut]].concat());
        }
        crate::unpack::fuzz_archive("ole2", &[[1u8].as_slice(), &f].concat());
        // Bytes of the header, tables and directory changed one at a time,
        // and stream sizes set to the largest a field holds.
        let noise = crate::sniff::testutil::pseudo_random(1024, 9);
        let tables = f.len() - 3 * 512;
        for (i, pair) in noise.chunks(2).enumerate() {
            let mut g = f.clone();
            let at = if i % 2 == 0 {
                usize::from(pair[0]) * 2
            } else {
                tables + usize::from(pair[0]) * 6
            };
            g[at % f.len()] ^= pair[1] | 1;
            crate::unpack::fuzz_archive("ole2", &[[0u8].as_slice(), &g].concat());
        }
        let mut g = f.clone();
        let dir = 512 * (1 + u32::from_le_bytes(f[48..52].try_into().unwrap()) as usize);
        for entry in 1..3 {
            g[dir + entry * 128 + 120..dir + entry * 128 + 128].fill(0xff);
        }
        crate::unpack::fuzz_archive("ole2", &[[0u8].as_slice(), &g].concat());
    }

    #[test]
    fn damaged_and_oversized_compound_files_are_limits() {
        let wav = wav();
        let mut f = compound(&[("__substg1.0_1000001F", &body()), ("a", &wav)], false);
        // The first FAT entry made to point at itself: a sector claimed twice.
        let fat_at = 512 * (1 + u64::from(u32::from_le_bytes(f[76..80].try_into().unwrap())));
        f[fat_at as usize + 4..fat_at as usize + 8].copy_from_slice(&1u32.to_le_bytes());
        let found = look(&f);
        assert!(found.members.is_empty(), "{found:?}");
        let limit = &found.limits[0];
        assert_eq!(limit.limit, Limit::Unsupported);
        assert!(
            limit.message.starts_with("ole2 streams are not walked ("),
            "{}",
            limit.message
        );
        // A larger file is not walked either, and says why.
        let mut big = compound(&[("body", &body()), ("a", &wav)], false);
        big.resize(MAX_COMPOUND as usize + 512, 0);
        let found = look(&big);
        assert!(
            found.limits[0].message.contains("larger than 32 MiB"),
            "{:?}",
            found.limits
        );
    }

    /// The budget bounds what is read of a stream, and a spent budget
    /// still leaves a peek at each stream.
    #[test]
    fn streams_are_read_as_far_as_the_budget() {
        let wav = wav();
        let f = compound(
            &[("body", &body()), ("first", &wav), ("second", &wav)],
            false,
        );
        let mut rules = RuleSet::embedded();
        rules.limits.max_member_bytes = 8192;
        rules.limits.max_object_bytes = 8192;
        let found = look_with(&f, &rules);
        assert_eq!(
            found.formats(),
            ["text", "wav", "wav"],
            "{:?}",
            found.limits
        );
        assert!(found
            .limits
            .iter()
            .any(|l| l.message.contains("judged from its first")));
    }
}
