//! Compressed streams without a header: raw deflate (`zlib.compress` less
//! its two bytes, `Content-Encoding: deflate` from some servers, a zip
//! member cut out), raw LZMA2 (`xz --format=raw`) and brotli, which has no
//! magic at all. Their bytes look like ciphertext (`random-like`) or like
//! binary of no format, so an object no detector explains is tried as each
//! of them before it keeps that verdict.
//!
//! Ciphertext and chance must not pass for a stream. Each codec's first
//! header is checked before its decoder runs, so that most random objects
//! cost a few comparisons; a stream whose first block is stored (a copy of
//! the input, which was judged already) is not tried. A stream must then
//! decode [`PROOF_OUT`] bytes (or end, whole, after [`MIN_STREAM`]) from
//! the object's first [`PROOF_IN`] bytes, and what it decodes must be
//! something a signature names: a recording, a biometric record, an
//! archive. Random bytes decode 745 bytes at most as raw deflate (20,000
//! tries of 4 KiB) and nothing as LZMA2; as brotli, about one in 700
//! decodes long stretches of a copy, or of one or two repeated byte values,
//! none of which a signature names. Statistics alone (raw PCM) are not
//! asked.

use super::{Ended, Level, Limit, Walk};
use crate::sniff::{Class, Sniff};

/// Objects smaller than this are not tried: a recording compressed into
/// fewer bytes is a tenth of a second, and the small objects that make up
/// most of a tree would pay for the decoders' set-up.
pub(super) const MIN_SIZE: u64 = 2048;

/// Input a stream is proven on: the object's first bytes.
const PROOF_IN: usize = 16 << 10;

/// Output a stream must give from [`PROOF_IN`] bytes (unless it ends): a
/// sniff needs the first KiB of most formats, a tar header 512 bytes.
const PROOF_OUT: u64 = 4096;

/// Output a whole stream must give, when it ends within [`PROOF_IN`]:
/// random bytes decode a few hundred bytes as raw deflate at most.
const MIN_STREAM: usize = 1024;

/// One codec tried.
struct Codec {
    /// The format named in the report.
    format: &'static str,
    /// Its decoder (`streams::decoder`).
    codec: &'static str,
    /// The check of its first header.
    first: fn(&[u8]) -> bool,
    /// Whether random-like objects are tried. A brotli decoder allocates and
    /// clears its code tables before it can fail, some 15,000 instructions
    /// for a random object whose header passed, where the others fail
    /// within a few hundred: it is tried on binary objects only, which is
    /// what `brotli` makes of most recordings (34 of 40 WAVs and 17 of 17
    /// Ogg files from Debian packages; the rest look random).
    on_random: bool,
}

/// The codecs tried, cheapest rejection first.
const CODECS: [Codec; 3] = [
    Codec {
        format: "lzma2",
        codec: "lzma2-raw",
        first: lzma2_first_chunk,
        on_random: true,
    },
    Codec {
        format: "deflate",
        codec: "deflate",
        first: deflate_first_block,
        on_random: true,
    },
    Codec {
        format: "brotli",
        codec: "brotli",
        first: brotli_first_meta_block,
        on_random: false,
    },
];

impl Walk<'_> {
    /// Decodes the object as the first codec whose stream holds up and
    /// decodes to something a signature names, as member `(FORMAT stream)`.
    /// Whether one did.
    pub(super) fn headerless(
        &mut self,
        level: &Level<'_, '_>,
        sniff: &Sniff,
        name: &str,
        depth: u32,
    ) -> bool {
        let random = match &*sniff.format {
            "random-like" => true,
            "binary" => false,
            _ => return false,
        };
        if level.size < MIN_SIZE {
            return false;
        }
        let Some(head) = level.from(0, PROOF_IN) else {
            return false;
        };
        let found = CODECS.iter().find(|c| {
            if random && !c.on_random || !(c.first)(&head) {
                return false;
            }
            let Some(out) = self.proof(c.codec, &head) else {
                return false;
            };
            let s = self.sniff_bytes(&out, level.size.max(out.len() as u64 + 1));
            let statistical = super::encoded::by_statistics_alone(&s);
            s.class != Class::Other
                && s.class != Class::Encrypted
                && !statistical
                && super::encoded::speaks_for(&s, out.len())
        });
        let Some(&Codec { format, codec, .. }) = found else {
            return false;
        };
        if depth > self.max_depth {
            self.limit(
                name,
                Limit::Depth,
                format!(
                    "{format} stream without a header not decoded beyond --max-archive-depth {}",
                    self.max_depth
                ),
            );
            return true;
        }
        self.stream_with(level, format, codec, name, depth);
        true
    }
}

impl Walk<'_> {
    /// What `input` decodes to as `codec`, when that shows a stream: at
    /// least [`PROOF_OUT`] bytes, or a whole stream of at least
    /// [`MIN_STREAM`].
    fn proof(&self, codec: &str, input: &[u8]) -> Option<Vec<u8>> {
        if codec == "deflate" {
            // libdeflate's decoder is kept from object to object, where a
            // streaming decoder allocates its state and window each time:
            // most objects tried are random, and fail within bytes.
            thread_local! {
                static INFLATER: std::cell::RefCell<libdeflater::Decompressor> =
                    std::cell::RefCell::new(libdeflater::Decompressor::new());
            }
            let mut out = vec![0; PROOF_OUT as usize];
            let n = match INFLATER.with(|d| d.borrow_mut().deflate_decompress(input, &mut out)) {
                Err(libdeflater::DecompressionError::InsufficientSpace) => out.len(),
                Ok(n) if n >= MIN_STREAM => n,
                _ => return None,
            };
            out.truncate(n);
            return Some(out);
        }
        let d = super::streams::decode(codec, input, PROOF_OUT, self.deadline);
        let ended = matches!(d.ended, Ended::Eof) && d.out.len() >= MIN_STREAM;
        (d.out.len() as u64 >= PROOF_OUT || ended).then_some(d.out)
    }
}

/// A raw LZMA2 stream's first chunk resets the dictionary and sets the
/// properties (control byte 0xE0–0xFF, as `xz --format=raw` writes it),
/// with properties in range (lc + lp ≤ 4, pb ≤ 4). An uncompressed first
/// chunk (0x01) is the input itself: not tried.
fn lzma2_first_chunk(b: &[u8]) -> bool {
    let (Some(&control), Some(&props)) = (b.first(), b.get(5)) else {
        return false;
    };
    control >= 0xe0 && props < 225 && props % 9 + props / 9 % 5 <= 4
}

/// A raw deflate stream's first block is compressed, with fixed or dynamic
/// codes (`BTYPE` 01 or 10): 11 is invalid, and a stored block (00) is the
/// input itself.
fn deflate_first_block(b: &[u8]) -> bool {
    b.first().is_some_and(|&h| matches!(h >> 1 & 3, 1 | 2))
}

/// A brotli stream's window size and first meta-block header (RFC 7932
/// §9.1–9.2): a standard window (not the large-window extension), and a
/// first meta-block that is neither empty nor stored (`ISUNCOMPRESSED`, the
/// input itself). A metadata block is left to the decoder.
fn brotli_first_meta_block(b: &[u8]) -> bool {
    let mut bits = Bits { bytes: b, at: 0 };
    let mut check = || -> Option<bool> {
        // WBITS: 0 is 16; 1 then three bits n ≠ 0 is 17 + n; 1000 then
        // three bits m is 8 + m, 17 for m = 0, and m = 1 marks a large window.
        if bits.take(1)? == 1 && bits.take(3)? == 0 && bits.take(3)? == 1 {
            return Some(false);
        }
        let last = bits.take(1)? == 1;
        if last && bits.take(1)? == 1 {
            return Some(false);
        }
        let nibbles = match bits.take(2)? {
            3 => return Some(true),
            n => 4 + n,
        };
        let length = bits.take(4 * nibbles)?;
        // More nibbles than the length needs are invalid.
        if nibbles > 4 && length >> (4 * (nibbles - 1)) == 0 {
            return Some(false);
        }
        Some(last || bits.take(1)? == 0)
    };
    check().unwrap_or(false)
}

/// Bits of a byte string, least significant first, as deflate and brotli
/// pack them.
struct Bits<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Bits<'_> {
    fn take(&mut self, n: u32) -> Option<u32> {
        let mut value = 0;
        for i in 0..n {
            let byte = *self.bytes.get(self.at / 8)?;
            value |= u32::from(byte >> (self.at % 8) & 1) << i;
            self.at += 1;
        }
        Some(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn raw_deflate(data: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::best());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    /// `xz --format=raw`: LZMA2 chunks and nothing around them.
    fn raw_lzma2(data: &[u8]) -> Vec<u8> {
        use liblzma::stream::{Filters, LzmaOptions, Stream};
        let opts = LzmaOptions::new_preset(6).unwrap();
        let raw = Stream::new_raw_encoder(Filters::new().lzma2(&opts)).unwrap();
        let mut e = liblzma::write::XzEncoder::new_stream(Vec::new(), raw);
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    /// A noisy tone compresses into bytes of no format (deflate) or bytes
    /// like ciphertext (LZMA2): either way its stream is found and read.
    #[test]
    fn a_recording_in_a_stream_without_a_header_is_a_member() {
        let mut wav = super::super::tests::wav();
        // Noise in the low bits, so that LZMA2 does not shrink the tone to
        // a few hundred bytes.
        let noise = crate::sniff::testutil::pseudo_random(wav.len(), 5);
        for (s, n) in wav[44..].iter_mut().zip(noise).step_by(2) {
            *s ^= n & 0x0f;
        }
        for (bytes, member) in [
            (raw_deflate(&wav), "(deflate stream)"),
            (raw_lzma2(&wav), "(lzma2 stream)"),
        ] {
            assert!(bytes.len() as u64 >= MIN_SIZE, "{member}: {}", bytes.len());
            let inside = super::super::tests::look(&bytes);
            let names: Vec<_> = inside
                .members
                .iter()
                .map(|m| (&*m.member, &*m.sniff.format))
                .collect();
            assert_eq!(names, [(member, "wav")], "{:?}", inside.limits);
        }
    }

    /// Random bytes, and streams of what no signature names (text), give
    /// nothing: no member, no limit.
    #[test]
    fn random_bytes_and_compressed_text_are_left_as_they_are() {
        let text: Vec<u8> = (0..4000)
            .flat_map(|i| format!("call log line {i}\n").into_bytes())
            .collect();
        let random: Vec<Vec<u8>> = (0..200)
            .map(|seed| crate::sniff::testutil::pseudo_random(4096, seed))
            .collect();
        for bytes in random
            .iter()
            .chain([&raw_deflate(&text), &raw_lzma2(&text)])
        {
            let inside = super::super::tests::look(bytes);
            assert!(inside.members.is_empty(), "{:?}", inside.members);
            assert!(inside.limits.is_empty(), "{:?}", inside.limits);
        }
    }

    /// A stream under 2 KiB is not tried, whatever it holds.
    #[test]
    fn objects_under_the_floor_are_not_tried() {
        let mut wav = super::super::tests::wav();
        wav.truncate(44 + 1600);
        let bytes = raw_deflate(&wav);
        assert!((bytes.len() as u64) < MIN_SIZE);
        assert!(super::super::tests::look(&bytes).members.is_empty());
    }

    #[test]
    fn first_headers_are_read_bit_by_bit() {
        // xz --format=raw: an LZMA chunk resetting everything, lc=3 lp=0 pb=2 (0x5d).
        assert!(lzma2_first_chunk(b"\xe0\x00\xff\x00\x80\x5d"));
        assert!(!lzma2_first_chunk(b"\x01\x00\xff\x00\x80\x5d"), "stored");
        assert!(!lzma2_first_chunk(b"\xe0\x00\xff\x00\x80\xe1"), "props");
        // (pb·5 + lp)·9 + lc with lc 4, lp 1: 13.
        assert!(
            !lzma2_first_chunk(b"\xe0\x00\xff\x00\x80\x0d"),
            "lc + lp = 5"
        );
        assert!(!lzma2_first_chunk(b"\xe0"));
        // Deflate: BFINAL then BTYPE, least significant bit first.
        assert!(deflate_first_block(&[0b011]), "fixed");
        assert!(deflate_first_block(&[0b101]), "dynamic");
        assert!(!deflate_first_block(&[0b001]), "stored");
        assert!(!deflate_first_block(&[0b111]), "invalid");
        // Brotli: `brotli` of a 64 KB WAV begins 0x62: WBITS 16 (0), ISLAST,
        // not empty, four nibbles of length, then the codes.
        assert!(brotli_first_meta_block(b"\x62\x45\xbf\x64\xec\x6e"));
        // WBITS 24 (1 111), ISLAST, ISLASTEMPTY: `brotli` of nothing.
        assert!(!brotli_first_meta_block(b"\x3f"));
        // WBITS 16, not last, four nibbles (length 1), ISUNCOMPRESSED.
        assert!(!brotli_first_meta_block(&[
            0b0000_0000,
            0b0000_0000,
            0b0001_0000
        ]));
        assert!(brotli_first_meta_block(&[
            0b0000_0000,
            0b0000_0000,
            0b0000_0000
        ]));
        // The large-window marker (1000 001).
        assert!(!brotli_first_meta_block(&[0b0001_0001, 0]));
        assert!(!brotli_first_meta_block(b""));
    }
}
