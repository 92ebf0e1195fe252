//! git pack files (`.git/objects/pack/*.pack`): a file committed once and
//! deleted later lives on in them, deflated behind a short object header.
//! Objects are walked forward, each zlib stream inflated to its end to find
//! where the next object starts; blobs are members `blob@OFFSET`, judged
//! from as much as the decompression budget keeps. A deltified blob (copies
//! from an earlier object and bytes of its own: how git keeps a second
//! version of a file) is rebuilt when its base is a blob held whole from
//! earlier in the pack; other deltas that could hold a recording (a base
//! named by id, or one not held) are counted in a limit.
//!
//! What is inflated past what is kept is not held, only counted: an
//! object may declare and inflate to at most [`MAX_INFLATED`] bytes, the
//! whole pack to [`MAX_WALKED`], and the deadline is asked between pieces,
//! so a forged size or a stream of zeros costs at most that.

use std::collections::HashMap;

use flate2::{Decompress, FlushDecompress, Status};

use super::{Level, Limit, Walk, PEEK};
use crate::formats::gitpack::{apply_delta, base_offset, delta_sizes, header, object_header};

/// Compressed bytes read at a time.
const PIECE: usize = 256 << 10;

/// Most bytes one object may inflate to: past it, the walk stops (where the
/// next object starts is not known without inflating this one).
const MAX_INFLATED: u64 = 256 << 20;

/// Most bytes all objects of a pack may inflate to, kept or not.
const MAX_WALKED: u64 = 1 << 30;

/// Deltified objects whose result is smaller hold no recording worth
/// naming; larger ones not rebuilt are counted in a limit.
const DELTA_WORTH_NAMING: u64 = 4 << 10;

/// Bytes of blobs held as bases for the deltas after them; once full, later
/// blobs are not held (a delta on one is then counted in the limit).
const MAX_HELD: usize = 64 << 20;

/// The pack's bytes, read forward a piece at a time and each read once:
/// every read counts against the object's read bound, and most objects
/// are far smaller than a piece.
struct Pieces {
    at: u64,
    buf: Vec<u8>,
}

impl Pieces {
    /// The bytes from `at` on, at least `want` of them where the pack has
    /// them; `None` where they cannot be read.
    fn from(&mut self, level: &Level<'_, '_>, at: u64, want: usize) -> Option<&[u8]> {
        let end = at.saturating_add(want as u64).min(level.size);
        let held_end = self.at + self.buf.len() as u64;
        if at < self.at || end > held_end || at >= held_end {
            let len = want.max(PIECE);
            self.buf = level.from(at, len)?.into_owned();
            self.at = at;
        }
        let start = usize::try_from(at - self.at).ok()?;
        self.buf.get(start..).filter(|b| !b.is_empty())
    }
}

/// The pack's bytes and the decoder with its output buffer, made once per
/// pack (the decoder reset for each object: a pack holds thousands of
/// small ones).
struct Reader {
    pieces: Pieces,
    d: Decompress,
    out: Vec<u8>,
}

/// One object's stream inflated: the first bytes kept, and how many
/// compressed bytes it took.
struct Inflated {
    kept: Vec<u8>,
    consumed: u64,
}

impl Walk<'_> {
    pub(super) fn git_pack(&mut self, level: &Level<'_, '_>, prefix: &str, depth: u32) {
        let Some(count) = level.from(0, 12).and_then(|h| header(&h)) else {
            return;
        };
        let max_headers = self.limits.max_members.saturating_mul(16).max(16_384);
        let (mut pos, mut headers, mut seen) = (12u64, 0u64, 0u64);
        let (mut deltas, mut walked) = (0u64, 0u64);
        // Blobs (and blobs rebuilt) held whole, by where their header starts.
        let (mut held, mut held_bytes) = (HashMap::<u64, Vec<u8>>::new(), 0usize);
        let mut reader = Reader {
            pieces: Pieces {
                at: 0,
                buf: Vec::new(),
            },
            d: Decompress::new(true),
            out: vec![0u8; 64 << 10],
        };
        for _ in 0..count {
            if !self.another_header(prefix, "git object", &mut headers, max_headers)
                || self.out_of_time(prefix)
            {
                break;
            }
            let head = reader.pieces.from(level, pos, 32).unwrap_or_default();
            let head = &head[..head.len().min(32)];
            let Some((kind, size, len)) = object_header(head) else {
                self.limit(
                    prefix,
                    Limit::Unsupported,
                    format!("damaged git object header at byte {pos}"),
                );
                break;
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
                break;
            };
            if size > MAX_INFLATED || walked.saturating_add(size) > MAX_WALKED {
                self.limit(
                    prefix,
                    Limit::ObjectBytes,
                    format!(
                        "git object of {size} bytes at byte {pos} is past what a pack may inflate; it and the objects after it not inspected"
                    ),
                );
                break;
            }
            walked += size;
            // A blob keeps what the budget allows; a delta, all of itself
            // (it is no larger than what it rebuilds).
            let keep = match kind {
                3 => size.min(self.budget().max(PEEK)),
                6 | 7 => size.min(self.budget()),
                _ => 0,
            };
            let inflated = match self.inflate(level, &mut reader, data_at, size, keep, prefix) {
                Ok(inflated) => inflated,
                Err(_) if self.timed_out => break,
                Err(why) => {
                    self.limit(
                        prefix,
                        Limit::Unsupported,
                        format!("git object at byte {pos}: {why}; it and the objects after it not inspected"),
                    );
                    break;
                }
            };
            self.spent += inflated.kept.len() as u64;
            let whole = inflated.kept.len() as u64 == size;
            let blob = match kind {
                3 => Some(inflated.kept),
                6 | 7 => {
                    let rebuilt = base
                        .and_then(|b| held.get(&b))
                        .filter(|_| whole)
                        .and_then(|b| apply_delta(b, &inflated.kept, self.budget()));
                    if let Some(r) = &rebuilt {
                        self.spent += r.len() as u64;
                    } else if delta_sizes(&inflated.kept)
                        .is_none_or(|(_, n, _)| n >= DELTA_WORTH_NAMING)
                    {
                        deltas += 1;
                    }
                    rebuilt
                }
                _ => None,
            };
            if let Some(blob) = blob {
                if !self.another_member(prefix, &mut seen) {
                    break;
                }
                let name = format!("blob@{pos}");
                let (got, blob_size) = (
                    blob.len() as u64,
                    if kind == 3 { size } else { blob.len() as u64 },
                );
                self.member(prefix, &name, &blob, blob_size, depth);
                self.judged_from_head(prefix, &name, blob_size, got, keep);
                if got == blob_size && held_bytes + blob.len() <= MAX_HELD {
                    held_bytes += blob.len();
                    held.insert(pos, blob);
                }
            }
            pos = data_at + inflated.consumed;
        }
        if deltas > 0 {
            self.limit(
                prefix,
                Limit::Unsupported,
                format!(
                    "{deltas} git objects of 4 KiB or more stored as changes to other objects are not rebuilt (a base named by id, in another pack, or not held)"
                ),
            );
        }
    }

    /// Inflates the zlib stream at `at` to its end, keeping its first
    /// `keep` bytes: it must come to exactly `size` bytes.
    fn inflate(
        &mut self,
        level: &Level<'_, '_>,
        reader: &mut Reader,
        at: u64,
        size: u64,
        keep: u64,
        prefix: &str,
    ) -> Result<Inflated, String> {
        let Reader { pieces, d, out } = reader;
        d.reset(true);
        let mut kept = Vec::with_capacity(usize::try_from(keep.min(1 << 20)).unwrap_or(0));
        let mut read = at;
        loop {
            let Some(piece) = pieces.from(level, read, 1) else {
                return Err(level.ran_out(read).into());
            };
            let mut used = 0;
            while used < piece.len() {
                let (in_before, out_before) = (d.total_in(), d.total_out());
                let status = d
                    .decompress(&piece[used..], out, FlushDecompress::None)
                    .map_err(|_| "damaged deflate data".to_string())?;
                used += (d.total_in() - in_before) as usize;
                let produced = (d.total_out() - out_before) as usize;
                let room =
                    usize::try_from(keep.saturating_sub(kept.len() as u64)).unwrap_or(usize::MAX);
                kept.extend_from_slice(&out[..produced.min(room)]);
                if d.total_out() > size {
                    return Err(format!("inflates past its {size} bytes"));
                }
                if status == Status::StreamEnd {
                    if d.total_out() != size {
                        return Err(format!(
                            "inflates to {} bytes, not its {size}",
                            d.total_out()
                        ));
                    }
                    return Ok(Inflated {
                        kept,
                        consumed: d.total_in(),
                    });
                }
                if produced == 0 && d.total_in() == in_before {
                    return Err("damaged deflate data".into());
                }
            }
            if self.out_of_time(prefix) {
                return Err("out of time".into());
            }
            read += used as u64;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{look, wav};
    use crate::sniff::testutil::zlib;

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
            p.extend(zlib(data));
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

    /// A blob larger than the member budget is judged from its first
    /// bytes, and one that does not compress (whose stream is a little
    /// longer than the blob) is walked past all the same.
    #[test]
    fn large_and_incompressible_blobs_do_not_end_the_walk() {
        let noise = crate::sniff::testutil::pseudo_random(400_000, 3);
        let zeros = vec![0u8; 3 << 20];
        let inside = look(&pack(&[(3, &noise), (3, &zeros), (3, &wav())]));
        let found = inside.found();
        assert_eq!(found.len(), 3, "{found:?}");
        assert_eq!(found[2].1, "wav", "{found:?}");
        assert!(inside.says("judged from its first"), "{:?}", inside.limits);
    }

    /// A stream that ends before its declared size, or a size no pack may
    /// inflate to, ends the walk with a limit naming the object.
    #[test]
    fn a_size_the_stream_does_not_keep_is_a_limit() {
        let mut p = b"PACK\0\0\0\x02\0\0\0\x02".to_vec();
        // A blob declaring 1,000 bytes (0xb8 0x3e: 8 + 62 << 4) over 10.
        p.extend([0xb8, 0x3e]);
        p.extend(zlib(b"0123456789"));
        p.extend(pack(&[(3, &wav())])[12..].iter());
        let inside = look(&p);
        assert!(
            inside.says("inflates to 10 bytes, not its 1000"),
            "{:?}",
            inside.limits
        );
        // A blob declaring 2^39 bytes is not inflated at all.
        let mut p = b"PACK\0\0\0\x02\0\0\0\x01\xb0\x80\x80\x80\x80\x80\x01".to_vec();
        p.extend([0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01]);
        let inside = look(&p);
        assert!(
            inside.says("past what a pack may inflate"),
            "{:?}",
            inside.limits
        );
    }

    #[test]
    fn large_deltas_damage_and_truncation_are_limits() {
        // A delta whose result is 1 MiB: base size 10, result 2^20.
        let delta = [0x0a, 0x80, 0x80, 0x40, 0x90, 0x01];
        let inside = look(&pack(&[(3, b"small"), (6, &delta)]));
        assert!(
            inside.says("1 git objects of 4 KiB or more"),
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
