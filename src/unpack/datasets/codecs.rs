//! Prefix decompression for the codecs of dataset pages, buffers and
//! chunks. A Parquet page can be larger than the budget (pyarrow checks the
//! page size once per 1,024 rows, so one page may hold a megabyte of WAVs),
//! so every decoder here yields the first `limit` bytes of the output from
//! however much input it was given, and keeps what it decoded when the
//! input ends early. Block decoders that need the whole block and an output
//! of its declared size (the `snap` crate's raw decoder, `lz4_flex`'s
//! block decoder) cannot do that; snappy, LZ4 blocks and LZF are simple
//! enough to decode here, every offset and length checked.

use std::io::Read;

/// A page, buffer or chunk codec.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Codec {
    None,
    Snappy,
    Gzip,
    /// zlib (RFC 1950): HDF5 deflate, TFRecord `ZLIB`.
    Zlib,
    Brotli,
    Zstd,
    /// LZ4 block format (Parquet LZ4_RAW).
    Lz4Block,
    /// Parquet's deprecated LZ4: Hadoop framing (big-endian lengths around
    /// blocks), or a bare block from older writers.
    Lz4Hadoop,
    /// LZ4 frame format (Arrow IPC LZ4_FRAME).
    Lz4Frame,
    /// LZF (h5py filter 32000).
    Lzf,
    /// Raw deflate (RFC 1951, no header): Avro's `deflate`.
    Deflate,
    Bzip2,
    Xz,
}

/// The first `limit` bytes `input` decompresses to (fewer when the input
/// ends or is damaged: what decoded so far is kept).
pub(super) fn decompress(codec: Codec, input: &[u8], limit: usize) -> Vec<u8> {
    match codec {
        Codec::None => input[..input.len().min(limit)].to_vec(),
        Codec::Snappy => snappy(input, limit),
        Codec::Gzip => stream(flate2::bufread::MultiGzDecoder::new(input), limit),
        Codec::Zlib => stream(flate2::bufread::ZlibDecoder::new(input), limit),
        Codec::Brotli => stream(brotli_decompressor::Decompressor::new(input, 4096), limit),
        Codec::Zstd => match zstd::stream::read::Decoder::with_buffer(input) {
            Ok(d) => stream(d, limit),
            Err(_) => Vec::new(),
        },
        Codec::Lz4Block => {
            let mut out = Vec::new();
            lz4_block(input, limit, &mut out);
            out
        }
        Codec::Lz4Hadoop => lz4_hadoop(input, limit),
        Codec::Lz4Frame => stream(lz4_flex::frame::FrameDecoder::new(input), limit),
        Codec::Lzf => lzf(input, limit),
        Codec::Deflate => stream(flate2::bufread::DeflateDecoder::new(input), limit),
        Codec::Bzip2 => stream(bzip2::bufread::BzDecoder::new(input), limit),
        Codec::Xz => stream(liblzma::bufread::XzDecoder::new(input), limit),
    }
}

/// Blocks of a Blosc chunk larger than this are not decoded: c-blosc
/// writes at most a few MiB.
const BLOSC_MAX_BLOCK: usize = 16 << 20;

/// Streams decoded from one Blosc chunk at most. Each costs a decoder's
/// set-up whatever its size (a zstd frame declaring a large window, a
/// Huffman table: 20–120 µs); c-blosc's chunks of a few MiB in blocks of
/// 16 KiB or more, split into at most 16 streams, stay within it. Past
/// this the chunk is judged from what was decoded, a limit the caller
/// reports.
const BLOSC_MAX_STREAMS: usize = 4096;

/// The first `limit` bytes a Blosc (version 1 format) chunk holds, its
/// element size and the size it declares: every block's streams (one per byte of an element, when
/// the writer split them) decoded with the chunk's codec, then the byte
/// shuffle undone. A codec or filter not read here, or a chunk whose
/// sizes do not add up, is an error naming why.
pub(super) fn blosc(input: &[u8], limit: usize) -> Result<(Vec<u8>, usize, usize), String> {
    let le32 = |at: usize| -> Result<usize, String> {
        input
            .get(at..at + 4)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize)
            .ok_or_else(|| format!("chunk cut at byte {at}"))
    };
    let (Some(&flags), Some(&typesize)) = (input.get(2), input.get(3)) else {
        return Err("chunk shorter than its header".into());
    };
    let typesize = usize::from(typesize).max(1);
    let (nbytes, blocksize) = (le32(4)?, le32(8)?);
    if flags & 0x02 != 0 {
        // Copied whole: neither compressed nor shuffled.
        let body = input.get(16..).unwrap_or_default();
        return Ok((
            body[..body.len().min(nbytes).min(limit)].to_vec(),
            typesize,
            nbytes,
        ));
    }
    if flags & 0x04 != 0 {
        return Err("bit-shuffled chunk: not decoded".into());
    }
    let codec = match flags >> 5 {
        1 => Codec::Lz4Block,
        2 => Codec::Snappy,
        3 => Codec::Zlib,
        4 => Codec::Zstd,
        0 => return Err("chunk compressed with blosclz: not decoded".into()),
        other => return Err(format!("compressor {other}: not decoded")),
    };
    if blocksize == 0 || blocksize > BLOSC_MAX_BLOCK {
        return Err(format!("block size {blocksize}: not decoded"));
    }
    let shuffled = flags & 0x01 != 0 && typesize > 1;
    let split_allowed = flags & 0x10 == 0 && typesize <= 16 && blocksize / typesize >= 128;
    let blocks = nbytes.div_ceil(blocksize);
    let cut = le32(12)? > input.len();
    let mut out = Vec::with_capacity(nbytes.min(limit).min(BLOSC_MAX_BLOCK));
    let mut block = Vec::new();
    // Blocks lie side by side: the streams of a chunk cannot add up to
    // more than it holds, and offsets that point at one stream again (to
    // pay its decoding many times over) are no chunk c-blosc wrote.
    let (mut streams, mut consumed) = (0usize, 0usize);
    for j in 0..blocks {
        if out.len() >= limit || streams >= BLOSC_MAX_STREAMS {
            break;
        }
        let bsize = blocksize.min(nbytes - j * blocksize);
        // A last block shorter than the others is never split.
        let splits = if split_allowed && bsize == blocksize {
            typesize
        } else {
            1
        };
        let neblock = bsize / splits;
        let mut at = le32(16 + 4 * j)?;
        block.clear();
        for _ in 0..splits {
            // Past a prefix the caller read of a larger chunk (threads
            // write blocks in any order): what the blocks in it hold.
            let data = le32(at).ok().and_then(|cbytes| {
                let from = at + 4;
                Some((cbytes, input.get(from..from.checked_add(cbytes)?)?))
            });
            let Some((cbytes, data)) = data else {
                if cut {
                    return Ok((out, typesize, nbytes));
                }
                return Err(format!("block {j} runs past the chunk"));
            };
            at += 4;
            streams += 1;
            consumed = consumed.saturating_add(cbytes.saturating_add(4));
            if consumed > input.len() {
                return Err(format!("block {j} overlaps the blocks before it"));
            }
            let part = if cbytes == neblock {
                data.to_vec()
            } else if codec == Codec::Lz4Block {
                let mut part = Vec::with_capacity(neblock);
                lz4_block(data, neblock, &mut part);
                part
            } else {
                decompress(codec, data, neblock)
            };
            if part.len() != neblock {
                return Err(format!("block {j} does not decode to its size"));
            }
            block.extend_from_slice(&part);
            at += cbytes;
        }
        // Bytes beyond a multiple of the splits (none in practice).
        block.resize(bsize, 0);
        if shuffled {
            let n = bsize / typesize;
            for e in 0..n {
                out.extend((0..typesize).map(|b| block[b * n + e]));
            }
            out.extend_from_slice(&block[n * typesize..]);
        } else {
            out.extend_from_slice(&block);
        }
    }
    out.truncate(limit);
    Ok((out, typesize, nbytes))
}

fn stream(reader: impl Read, limit: usize) -> Vec<u8> {
    let mut out = Vec::new();
    // A damaged or truncated stream keeps what decoded before the error.
    let _ = reader.take(limit as u64).read_to_end(&mut out);
    out
}

/// Copies `len` bytes from `dist` back in `out` (overlapping copies repeat
/// a pattern), stopping at `limit`. False when `dist` reaches before the start.
fn back_copy(out: &mut Vec<u8>, dist: usize, len: usize, limit: usize) -> bool {
    if dist == 0 || dist > out.len() {
        return false;
    }
    let from = out.len() - dist;
    for k in 0..len.min(limit.saturating_sub(out.len())) {
        out.push(out[from + k]);
    }
    true
}

/// Raw snappy (the block format Parquet uses): a varint length, then
/// literals and copies with 1-, 2- or 4-byte offsets.
fn snappy(input: &[u8], limit: usize) -> Vec<u8> {
    let mut pos = 0;
    let Some(declared) = super::varint(input, &mut pos) else {
        return Vec::new();
    };
    let limit = limit.min(usize::try_from(declared).unwrap_or(usize::MAX));
    let mut out = Vec::with_capacity(limit.min(1 << 20));
    while out.len() < limit && pos < input.len() {
        let tag = input[pos];
        pos += 1;
        let (len, dist) = match tag & 3 {
            0 => {
                let mut len = usize::from(tag >> 2) + 1;
                if len > 60 {
                    let n = len - 60;
                    let Some(b) = input.get(pos..pos + n) else {
                        break;
                    };
                    len = b.iter().rev().fold(0usize, |a, &x| a << 8 | usize::from(x)) + 1;
                    pos += n;
                }
                let end = pos.saturating_add(len).min(input.len());
                let take = (end - pos).min(limit - out.len());
                out.extend_from_slice(&input[pos..pos + take]);
                pos = end;
                continue;
            }
            1 => {
                let Some(&b) = input.get(pos) else { break };
                pos += 1;
                (
                    usize::from((tag >> 2) & 7) + 4,
                    usize::from(tag >> 5) << 8 | usize::from(b),
                )
            }
            2 => {
                let Some(b) = input.get(pos..pos + 2) else {
                    break;
                };
                pos += 2;
                (
                    usize::from(tag >> 2) + 1,
                    usize::from(u16::from_le_bytes([b[0], b[1]])),
                )
            }
            _ => {
                let Some(b) = input.get(pos..pos + 4) else {
                    break;
                };
                pos += 4;
                (
                    usize::from(tag >> 2) + 1,
                    u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize,
                )
            }
        };
        if !back_copy(&mut out, dist, len, limit) {
            break;
        }
    }
    out
}

/// One LZ4 block (appended to `out`, offsets relative to `out`).
fn lz4_block(input: &[u8], limit: usize, out: &mut Vec<u8>) {
    let mut pos = 0;
    let length = |pos: &mut usize, mut len: usize| -> Option<usize> {
        if len == 15 {
            loop {
                let b = *input.get(*pos)?;
                *pos += 1;
                len = len.checked_add(usize::from(b))?;
                if b != 255 {
                    break;
                }
            }
        }
        Some(len)
    };
    while out.len() < limit && pos < input.len() {
        let token = input[pos];
        pos += 1;
        let Some(lit) = length(&mut pos, usize::from(token >> 4)) else {
            return;
        };
        let end = pos.saturating_add(lit).min(input.len());
        let take = (end - pos).min(limit - out.len());
        out.extend_from_slice(&input[pos..pos + take]);
        pos = end;
        // The last sequence of a block has literals only.
        let Some(d) = input.get(pos..pos + 2) else {
            return;
        };
        pos += 2;
        let dist = usize::from(u16::from_le_bytes([d[0], d[1]]));
        let Some(len) = length(&mut pos, usize::from(token & 15)) else {
            return;
        };
        if !back_copy(out, dist, len + 4, limit) {
            return;
        }
    }
}

/// Hadoop's LZ4 framing: [u32 BE decompressed size][u32 BE compressed
/// size][block] … When the lengths do not fit, the page is a bare block
/// (what arrow-rs falls back to as well).
fn lz4_hadoop(input: &[u8], limit: usize) -> Vec<u8> {
    let mut out = Vec::new();
    let mut pos = 0;
    let be = |p: usize| {
        input
            .get(p..p + 4)
            .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]) as usize)
    };
    let framed = matches!((be(0), be(4)), (Some(_), Some(c)) if c > 0 && c <= input.len() - 8);
    if !framed {
        lz4_block(input, limit, &mut out);
        return out;
    }
    while out.len() < limit {
        let (Some(_), Some(clen)) = (be(pos), be(pos + 4)) else {
            break;
        };
        let start = pos + 8;
        let end = start.saturating_add(clen).min(input.len());
        if start >= end {
            break;
        }
        lz4_block(&input[start..end], limit, &mut out);
        pos = end;
    }
    out
}

/// LZF (liblzf, as h5py's filter 32000 uses it): literal runs (control < 32)
/// and back references with a 13-bit distance.
fn lzf(input: &[u8], limit: usize) -> Vec<u8> {
    let mut out = Vec::new();
    let mut pos = 0;
    while out.len() < limit && pos < input.len() {
        let ctrl = usize::from(input[pos]);
        pos += 1;
        if ctrl < 32 {
            let end = (pos + ctrl + 1).min(input.len());
            let take = (end - pos).min(limit - out.len());
            out.extend_from_slice(&input[pos..pos + take]);
            pos = end;
            continue;
        }
        let mut len = ctrl >> 5;
        if len == 7 {
            let Some(&b) = input.get(pos) else { break };
            len += usize::from(b);
            pos += 1;
        }
        let Some(&b) = input.get(pos) else { break };
        pos += 1;
        let dist = ((ctrl & 0x1f) << 8 | usize::from(b)) + 1;
        if !back_copy(&mut out, dist, len + 2, limit) {
            break;
        }
    }
    out
}

/// The fuzz entry: the codec named by `codec % 10` over `data`, up to 1 MiB.
pub(super) fn fuzz(codec: u8, data: &[u8]) -> usize {
    let codec = [
        Codec::None,
        Codec::Snappy,
        Codec::Gzip,
        Codec::Zlib,
        Codec::Brotli,
        Codec::Zstd,
        Codec::Lz4Block,
        Codec::Lz4Hadoop,
        Codec::Lz4Frame,
        Codec::Lzf,
    ][usize::from(codec % 10)];
    decompress(codec, data, 1 << 20).len()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text() -> Vec<u8> {
        (0..5000u32)
            .flat_map(|i| format!("row {} of a page; ", i % 97).into_bytes())
            .collect()
    }

    #[test]
    fn snappy_prefixes_match_the_snap_format() {
        // 'abcd' literal, then a 1-byte-offset copy of 8 at distance 4, then a 2-byte-offset copy.
        let block = [16u8, 0x0c, b'a', b'b', b'c', b'd', 0x11, 4, 0x0e, 4, 0];
        assert_eq!(snappy(&block, 100), b"abcdabcdabcdabcd");
        assert_eq!(snappy(&block, 6), b"abcdab");
        // Truncated input keeps what decoded; a distance before the start stops.
        assert_eq!(snappy(&block[..7], 100), b"abcd");
        assert_eq!(
            snappy(&[8, 0x0c, b'a', b'b', b'c', b'd', 0x11, 9], 100),
            b"abcd"
        );
        // A literal whose length runs past the input, and an empty input.
        assert_eq!(
            snappy(&[100, 0xfc, 0xff, 0xff, 0xff, 0x7f, b'x'], 100),
            b"x"
        );
        assert!(snappy(&[], 10).is_empty());
    }

    #[test]
    fn lz4_blocks_and_hadoop_frames_decode_a_prefix() {
        let data = text();
        let block = lz4_flex::block::compress(&data);
        assert_eq!(decompress(Codec::Lz4Block, &block, usize::MAX), data);
        assert_eq!(decompress(Codec::Lz4Block, &block, 1000), data[..1000]);
        let half = decompress(Codec::Lz4Block, &block[..block.len() / 2], usize::MAX);
        assert!(!half.is_empty() && data.starts_with(&half));
        let mut hadoop = (data.len() as u32).to_be_bytes().to_vec();
        hadoop.extend((block.len() as u32).to_be_bytes());
        hadoop.extend(&block);
        assert_eq!(decompress(Codec::Lz4Hadoop, &hadoop, usize::MAX), data);
        assert_eq!(
            decompress(Codec::Lz4Hadoop, &block, usize::MAX),
            data,
            "bare block"
        );
        // A match reaching before the output's start.
        assert!(decompress(Codec::Lz4Block, &[0x04, 0x01, 0x00], 100).is_empty());
        assert_eq!(
            decompress(
                Codec::Lz4Block,
                &[0x1f, b'z', 0x01, 0x00, 0xff, 0xff, 0x01],
                40
            ),
            vec![b'z'; 40]
        );
    }

    #[test]
    fn lzf_back_references_and_hostile_distances() {
        // literal "ab", then a back reference of 3 at distance 2: "ababa".
        assert_eq!(lzf(&[1, b'a', b'b', 0x20, 1], 100), b"ababa");
        assert_eq!(lzf(&[1, b'a', b'b', 0x20, 9], 100), b"ab");
        assert_eq!(lzf(&[1, b'a', b'b', 0xe0, 250, 1], 10), b"ababababab");
        assert_eq!(lzf(&[5, b'a'], 100), b"a");
    }

    #[test]
    fn streaming_codecs_stop_at_the_limit() {
        let data = text();
        let z = zstd::encode_all(&data[..], 3).unwrap();
        assert_eq!(decompress(Codec::Zstd, &z, 777), data[..777]);
        let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::fast());
        std::io::Write::write_all(&mut e, &data).unwrap();
        let zl = e.finish().unwrap();
        let part = decompress(Codec::Zlib, &zl[..zl.len() / 3], usize::MAX);
        assert!(!part.is_empty() && data.starts_with(&part));
        let frame = {
            let mut f = lz4_flex::frame::FrameEncoder::new(Vec::new());
            std::io::Write::write_all(&mut f, &data).unwrap();
            f.finish().unwrap()
        };
        assert_eq!(decompress(Codec::Lz4Frame, &frame, 5000), data[..5000]);
        assert!(decompress(Codec::Brotli, b"not brotli at all", 100).len() <= 100);
        for codec in 0..10 {
            fuzz(codec, &[0xff; 64]);
        }
    }

    /// Chunks numcodecs wrote (`Blosc(cname, shuffle, blocksize)`) of 3,000
    /// elements of `((i·37) mod 1024) − 512 + i/50`: lz4 with the byte
    /// shuffle and each block split into one stream per byte of an
    /// element; zstd over several blocks, unsplit; zlib unshuffled. Each
    /// decodes to the array, exactly; blosclz is refused by name.
    #[test]
    fn blosc_chunks_decode_to_what_numcodecs_compressed() {
        let i16s: Vec<u8> = (0..3000i32)
            .flat_map(|i| ((i * 37 % 1024) - 512 + i / 50).to_le_bytes()[..2].to_vec())
            .collect();
        let f32s: Vec<u8> = i16s
            .chunks_exact(2)
            .flat_map(|b| (f32::from(i16::from_le_bytes([b[0], b[1]])) / 1024.0).to_le_bytes())
            .collect();
        let lz4 = include_bytes!("testdata/blosc-i16-lz4-shuffle.blosc");
        let zstd = include_bytes!("testdata/blosc-f32-zstd-shuffle.blosc");
        let zlib = include_bytes!("testdata/blosc-i16-zlib-noshuffle.blosc");
        assert_eq!(blosc(lz4, usize::MAX), Ok((i16s.clone(), 2, 6000)));
        assert_eq!(blosc(zstd, usize::MAX), Ok((f32s.clone(), 4, 12000)));
        assert_eq!(blosc(zlib, usize::MAX), Ok((i16s.clone(), 2, 6000)));
        // A limit keeps the start, and so does a prefix of a chunk (the
        // blocks that lie in it, whatever order threads wrote them in).
        assert_eq!(blosc(zstd, 5000).unwrap().0, f32s[..5000]);
        let (part, _, declared) = blosc(&zstd[..2000], usize::MAX).unwrap();
        assert_eq!(declared, 12000);
        assert!(!part.is_empty() && part.len() < declared, "{}", part.len());
        assert!(f32s.starts_with(&part));
        let blosclz = include_bytes!("testdata/blosc-f32-blosclz.blosc");
        assert_eq!(
            blosc(blosclz, usize::MAX),
            Err("chunk compressed with blosclz: not decoded".into())
        );
        // Damage is an error, never a panic: every prefix, and a block
        // offset past the end.
        for cut in 0..lz4.len() {
            let _ = blosc(&lz4[..cut], usize::MAX);
        }
        let mut far = zstd.to_vec();
        far[16..20].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(blosc(&far, usize::MAX).is_err());
    }

    /// A header: version 2, version of the codec, flags, element size,
    /// then the decoded, block and chunk sizes.
    fn blosc_header(flags: u8, nbytes: usize, blocksize: usize, cbytes: usize) -> Vec<u8> {
        let mut h = vec![2, 1, flags, 1];
        for v in [nbytes, blocksize, cbytes] {
            h.extend((v as u32).to_le_bytes());
        }
        h
    }

    #[test]
    fn blosc_blocks_that_share_a_stream_or_never_end_are_bounded() {
        // Every block's offset pointing at one zstd frame: decoding it a
        // million times over would take seconds.
        let frame = zstd::bulk::compress(&[7u8; 64], 3).unwrap();
        let blocks = 1000;
        let table = 16 + 4 * blocks;
        let mut chunk = blosc_header(4 << 5, 64 * blocks, 64, 0);
        for _ in 0..blocks {
            chunk.extend((table as u32).to_le_bytes());
        }
        chunk.extend((frame.len() as u32).to_le_bytes());
        chunk.extend(&frame);
        let n = chunk.len();
        chunk[12..16].copy_from_slice(&(n as u32).to_le_bytes());
        let err = blosc(&chunk, usize::MAX).unwrap_err();
        assert!(err.contains("overlaps"), "{err}");

        // Blocks side by side, stored as they are (each `cbytes` equal to
        // its size), more of them than are decoded: the first ones are.
        let blocks = 5000;
        let table = 16 + 4 * blocks;
        let mut chunk = blosc_header(4 << 5, 8 * blocks, 8, 0);
        for j in 0..blocks {
            chunk.extend(((table + 12 * j) as u32).to_le_bytes());
        }
        for j in 0..blocks {
            chunk.extend(8u32.to_le_bytes());
            chunk.extend([j as u8; 8]);
        }
        let n = chunk.len();
        chunk[12..16].copy_from_slice(&(n as u32).to_le_bytes());
        let (out, _, declared) = blosc(&chunk, usize::MAX).unwrap();
        assert_eq!((out.len(), declared), (8 * BLOSC_MAX_STREAMS, 8 * blocks));
        assert_eq!(out[8 * 300], 300u16 as u8);
    }
}
