//! git pack files (`.git/objects/pack/*.pack`): a file committed once and
//! deleted later lives on in them, deflated behind a short object header.
//! Objects are walked forward, each zlib stream inflated to find where the
//! next object starts; blobs are members `blob@OFFSET`. A deltified blob
//! (copies from an earlier object and bytes of its own: how git keeps a
//! second version of a file) is rebuilt when its base is a blob held from
//! earlier in the pack; other deltas large enough to be a recording (a
//! base by id, or one no longer held) are counted in a limit.
//!
//! Every object's compressed bytes are read up to a bound that follows from
//! its declared size (deflate grows stored data by a few bytes per 64 KiB),
//! and all that is inflated counts against the object's decompression
//! budget, so a pack of many objects or one forged size costs at most that.

use super::{Level, Limit, Walk};
use std::collections::HashMap;

use crate::formats::gitpack::{apply_delta, base_offset, delta_sizes, header, object_header};
use crate::unpack::streams::decompress_counted;

/// Most compressed bytes read for one object: objects larger than this end
/// the walk with a limit (the next object's place is not known without
/// inflating this one).
const MAX_OBJECT_READ: u64 = 16 << 20;

/// Deltified objects whose result is smaller cannot hold a recording worth
/// naming; larger ones not rebuilt are counted in a limit.
const DELTA_WORTH_NAMING: u64 = 64 << 10;

/// Bytes of blobs held as bases for the deltas after them; once full, later
/// blobs are not held (a delta on one is then counted in the limit).
const MAX_HELD: usize = 64 << 20;

impl Walk<'_> {
    pub(super) fn git_pack(&mut self, level: &Level<'_, '_>, prefix: &str, depth: u32) {
        let Some(count) = level.from(0, 12).and_then(|h| header(&h)) else {
            return;
        };
        let max_headers = self.limits.max_members.saturating_mul(16).max(16_384);
        let (mut pos, mut headers, mut seen, mut deltas) = (12u64, 0u64, 0u64, 0u64);
        // Blobs (and blobs rebuilt) by where their header starts.
        let (mut held, mut held_bytes) = (HashMap::<u64, Vec<u8>>::new(), 0usize);
        for _ in 0..count {
            if !self.another_header(prefix, "git object", &mut headers, max_headers) {
                return;
            }
            let head = level.from(pos, 32).unwrap_or_default();
            let Some((kind, size, len)) = object_header(&head) else {
                self.limit(
                    prefix,
                    Limit::Unsupported,
                    format!("damaged git object header at byte {pos}"),
                );
                return;
            };
            // An offset delta names its base by how far back it starts.
            let (base, skip) = match kind {
                6 => match base_offset(&head[len..]) {
                    Some((back, n)) => (pos.checked_sub(back).filter(|_| back > 0), Some(n)),
                    None => (None, None),
                },
                7 => (None, Some(20)),
                _ => (None, Some(0)),
            };
            let Some(data_at) = skip.map(|n| pos + (len + n) as u64) else {
                self.limit(
                    prefix,
                    Limit::Unsupported,
                    format!("damaged git delta base at byte {pos}"),
                );
                return;
            };
            // Deflate's stored blocks add 5 bytes per 65,535, and the zlib
            // header and checksum 6: a stream of `size` bytes is no longer.
            let bound = size.saturating_add(size / 8192).saturating_add(64);
            let read = bound.min(level.size.saturating_sub(data_at));
            if read > MAX_OBJECT_READ.min(self.budget()) {
                self.limit(
                    prefix,
                    Limit::ObjectBytes,
                    format!(
                        "git object of {size} bytes at byte {pos} is past the read bound; it and the objects after it not inspected"
                    ),
                );
                return;
            }
            let Some(input) = level.from(data_at, read as usize) else {
                self.limit(
                    prefix,
                    Limit::Unsupported,
                    level.past_the_end(format!("git object at byte {pos}")),
                );
                return;
            };
            let (data, done, consumed) = decompress_counted("zlib", &input, size);
            self.spent += data.len() as u64;
            if !done {
                self.limit(
                    prefix,
                    Limit::Unsupported,
                    format!("git object at byte {pos} does not inflate to its {size} bytes"),
                );
                return;
            }
            let blob = match kind {
                3 => Some(data),
                6 | 7 => {
                    let rebuilt = base
                        .and_then(|b| held.get(&b))
                        .and_then(|b| apply_delta(b, &data, MAX_OBJECT_READ.min(self.budget())));
                    if rebuilt.is_none()
                        && delta_sizes(&data).is_some_and(|(_, n, _)| n >= DELTA_WORTH_NAMING)
                    {
                        deltas += 1;
                    }
                    rebuilt
                }
                _ => None,
            };
            if let Some(blob) = blob {
                if !self.another_member(prefix, &mut seen) {
                    return;
                }
                self.spent += if kind == 3 { 0 } else { blob.len() as u64 };
                let n = blob.len() as u64;
                self.member(prefix, &format!("blob@{pos}"), &blob, n, depth);
                if held_bytes + blob.len() <= MAX_HELD {
                    held_bytes += blob.len();
                    held.insert(pos, blob);
                }
            }
            pos = data_at + consumed as u64;
        }
        if deltas > 0 {
            self.limit(
                prefix,
                Limit::Unsupported,
                format!(
                    "{deltas} git objects of 64 KiB or more stored as changes to other objects are not rebuilt"
                ),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{look, wav};
    use std::io::Write;

    /// A pack of `objects` (type and inflated bytes; an offset delta's base
    /// is the object before it), with a zeroed checksum.
    fn pack(objects: &[(u8, &[u8])]) -> Vec<u8> {
        let mut p = b"PACK".to_vec();
        p.extend(2u32.to_be_bytes());
        p.extend((objects.len() as u32).to_be_bytes());
        let mut previous = 0;
        for &(kind, data) in objects {
            let start = p.len();
            let mut size = data.len() as u64;
            let mut first = kind << 4 | (size & 0x0f) as u8;
            size >>= 4;
            while size > 0 {
                p.push(first | 0x80);
                first = (size & 0x7f) as u8;
                size >>= 7;
            }
            p.push(first);
            if kind == 6 {
                // git's offset encoding: 7 bits a byte, most significant
                // first, one taken off each before it is shifted down.
                let mut back = (start - previous) as u64;
                let mut bytes = vec![(back & 0x7f) as u8];
                back >>= 7;
                while back > 0 {
                    back -= 1;
                    bytes.push(0x80 | (back & 0x7f) as u8);
                    back >>= 7;
                }
                p.extend(bytes.iter().rev());
            }
            let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
            z.write_all(data).unwrap();
            p.extend(z.finish().unwrap());
            previous = start;
        }
        p.extend([0u8; 20]);
        p
    }

    /// A second version of a recording, kept as a delta on the first.
    #[test]
    fn a_blob_kept_as_a_delta_on_an_earlier_blob_is_rebuilt() {
        let audio = wav();
        let n = audio.len();
        let grown = n + 2;
        let mut delta = Vec::new();
        for mut size in [n, grown] {
            while size >= 0x80 {
                delta.push(0x80 | (size & 0x7f) as u8);
                size >>= 7;
            }
            delta.push(size as u8);
        }
        // Copy all of the base (offset 0, a 2-byte size), then insert 2 bytes.
        delta.extend([0xb0, n as u8, (n >> 8) as u8, 2, b'!', b'!']);
        let inside = look(&pack(&[(3, &audio), (6, &delta)]));
        assert_eq!(inside.found(), [("blob@12", "wav"), ("blob@14989", "wav")]);
        assert_eq!(inside.members[1].size, grown as u64);
        assert!(inside.limits.is_empty(), "{:?}", inside.limits);
    }

    #[test]
    fn blobs_in_a_pack_are_members_and_the_rest_is_walked_past() {
        let audio = wav();
        let commit = b"tree 0123\nauthor someone\n\nadd a call\n".as_slice();
        let p = pack(&[
            (1, commit),
            (2, b"100644 call.wav\0"),
            (3, &audio),
            (3, b"notes\n"),
        ]);
        let inside = look(&p);
        // Offsets: the 12-byte header, the commit's 2 + 39, the tree's 1 + 24.
        assert_eq!(inside.found(), [("blob@85", "wav"), ("blob@15062", "text")]);
        assert!(inside.limits.is_empty(), "{:?}", inside.limits);
    }

    /// A pack git wrote (`fixtures/archives/git`): the WAV committed and
    /// then deleted is a blob of its history; the notes file, the trees and
    /// the commits are walked past.
    #[test]
    fn a_recording_deleted_from_a_repository_is_found_in_its_pack() {
        let p = include_bytes!("../../fixtures/archives/git/deleted-call.pack");
        let inside = look(p);
        let wavs: Vec<_> = inside
            .found()
            .into_iter()
            .filter(|m| m.1 == "wav")
            .collect();
        assert_eq!(wavs.len(), 1, "{:?}", inside.found());
        assert!(wavs[0].0.starts_with("blob@"));
        assert!(inside.limits.is_empty(), "{:?}", inside.limits);
    }

    /// Cut anywhere or with any byte changed, a pack is walked as far as
    /// it holds up, within the archive fuzz entry's budget checks.
    #[test]
    fn damaged_packs_are_walked_as_far_as_they_hold_up() {
        let p = include_bytes!("../../fixtures/archives/git/deleted-call.pack");
        for cut in (0..p.len()).step_by(97) {
            crate::unpack::fuzz_archive("git-pack", &[[0u8].as_slice(), &p[..cut]].concat());
        }
        for at in (0..p.len()).step_by(53) {
            let mut q = p.to_vec();
            q[at] ^= 0x5a;
            crate::unpack::fuzz_archive("git-pack", &[[1u8].as_slice(), &q].concat());
            look(&q);
        }
    }

    #[test]
    fn large_deltas_damage_and_truncation_are_limits() {
        // A delta whose result is 1 MiB: base size 10, result 2^20.
        let delta = [0x0a, 0x80, 0x80, 0x40, 0x90, 0x01];
        let inside = look(&pack(&[(3, b"small"), (6, &delta)]));
        assert!(
            inside.says("1 git objects of 64 KiB or more"),
            "{:?}",
            inside.limits
        );
        // A small delta (a tree's change) says nothing.
        let inside = look(&pack(&[(6, &[0x0a, 0x0b, 0x01])]));
        assert!(inside.limits.is_empty(), "{:?}", inside.limits);
        // Cut inside the second object.
        let p = pack(&[(3, b"first blob"), (3, &wav())]);
        let inside = look(&p[..p.len() / 2]);
        assert!(!inside.limits.is_empty());
        // A type that no object has, in the second object's header.
        let at = pack(&[(3, b"x")]).len() - 20;
        let mut p = pack(&[(3, b"x"), (3, b"y")]);
        p[at] = 0x50;
        assert!(look(&p).says(&format!("damaged git object header at byte {at}")));
    }
}
