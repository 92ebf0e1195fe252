//! LZ4's legacy frame (`lz4 -l`, the format of Linux kernel and initramfs
//! images): a magic, then blocks, each its compressed length (32-bit
//! little-endian) and an LZ4 block that decodes to at most 8 MiB. No
//! checksums, no sizes of the output. A later frame may follow, starting
//! with the magic again.
//!
//! The block decoder gives what a block's complete sequences decode to
//! when the block is cut short: a scan holds the head of a stream, and a
//! legacy block is as long as 8 MiB of output needs.

/// The frame's magic, as it is written.
pub(crate) const MAGIC: [u8; 4] = [0x02, 0x21, 0x4c, 0x18];

/// What a block decodes to at most.
pub(crate) const BLOCK_OUT: usize = 8 << 20;

/// The longest compressed block (LZ4's bound for [`BLOCK_OUT`] bytes).
pub(crate) const BLOCK_IN: u32 = (BLOCK_OUT + BLOCK_OUT / 255 + 16) as u32;

/// A block length that can follow the magic.
pub(crate) fn plausible_block(len: u32) -> bool {
    (1..=BLOCK_IN).contains(&len)
}

/// How decoding a block ended.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Block {
    /// Every sequence decoded.
    Whole,
    /// The input ended inside a sequence: what came before it is output.
    CutShort,
    /// `max` bytes of output were reached first.
    Full,
}

/// Decodes the LZ4 block `input` onto `out`, stopping at `max` bytes of
/// `out`. A match that reaches before the start of the output is damage.
pub(crate) fn decode_block(input: &[u8], out: &mut Vec<u8>, max: usize) -> Result<Block, String> {
    // A length of 15 in a token goes on in bytes of 255 and one below it.
    let length = |at: &mut usize, n: usize| -> Option<usize> {
        let mut n = n;
        if n == 15 {
            loop {
                let b = *input.get(*at)?;
                *at += 1;
                n += usize::from(b);
                if b != 255 {
                    break;
                }
            }
        }
        Some(n)
    };
    let mut at = 0;
    while at < input.len() {
        let token = input[at];
        at += 1;
        let Some(literals) = length(&mut at, usize::from(token >> 4)) else {
            return Ok(Block::CutShort);
        };
        let have = literals.min(input.len() - at);
        let room = max.saturating_sub(out.len());
        out.extend_from_slice(&input[at..at + have.min(room)]);
        if have > room {
            return Ok(Block::Full);
        }
        if have < literals {
            return Ok(Block::CutShort);
        }
        at += literals;
        // The last sequence is literals only.
        if at == input.len() {
            return Ok(Block::Whole);
        }
        let Some(offset) = input.get(at..at + 2) else {
            return Ok(Block::CutShort);
        };
        let offset = usize::from(u16::from_le_bytes([offset[0], offset[1]]));
        at += 2;
        let Some(matched) = length(&mut at, usize::from(token & 15)) else {
            return Ok(Block::CutShort);
        };
        if offset == 0 || offset > out.len() {
            return Err(format!(
                "a match {offset} bytes back at output byte {}",
                out.len()
            ));
        }
        let matched = matched + 4;
        let room = max.saturating_sub(out.len());
        let start = out.len() - offset;
        let n = matched.min(room);
        if offset >= n {
            out.extend_from_within(start..start + n);
        } else {
            // The match overlaps what it writes: a run repeating the
            // last `offset` bytes.
            for k in 0..n {
                let b = out[start + k];
                out.push(b);
            }
        }
        if matched > room {
            return Ok(Block::Full);
        }
    }
    Ok(Block::Whole)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sniff::testutil::pseudo_random;

    fn decode(input: &[u8], max: usize) -> (Vec<u8>, Result<Block, String>) {
        let mut out = Vec::new();
        let r = decode_block(input, &mut out, max);
        (out, r)
    }

    /// Blocks lz4_flex writes decode to what went in, from random bytes
    /// (literals only) to long runs (overlapping matches).
    #[test]
    fn blocks_decode_to_what_was_compressed() {
        let mut text = Vec::new();
        for i in 0..3000u32 {
            text.extend(format!("line {} of the log, level {}\n", i % 97, i % 5).as_bytes());
        }
        let inputs = [
            pseudo_random(70_000, 1),
            vec![7u8; 100_000],
            text,
            [&b"ab"[..], &vec![0u8; 300], &pseudo_random(20, 2)].concat(),
            Vec::new(),
        ];
        for data in inputs {
            let block = lz4_flex::block::compress(&data);
            let (out, r) = decode(&block, BLOCK_OUT);
            assert_eq!(r, Ok(Block::Whole));
            assert_eq!(out, data);
        }
    }

    /// A block cut anywhere decodes to a prefix of its output; a bound on
    /// the output stops it there.
    #[test]
    fn cut_blocks_give_a_prefix_and_the_bound_holds() {
        let mut data = b"RIFF....WAVEfmt ".to_vec();
        data.extend(pseudo_random(5000, 3));
        data.extend(vec![0u8; 5000]);
        data.extend(b"the end".repeat(50));
        let block = lz4_flex::block::compress(&data);
        for cut in 0..block.len() {
            let (out, r) = decode(&block[..cut], BLOCK_OUT);
            assert!(data.starts_with(&out), "cut at {cut}");
            assert_ne!(r, Ok(Block::Full));
        }
        for max in [0, 1, 16, 5016, 7000, data.len() - 1] {
            let (out, r) = decode(&block, max);
            assert_eq!((out.as_slice(), r), (&data[..max], Ok(Block::Full)));
        }
    }

    #[test]
    fn a_match_before_the_output_is_damage() {
        // Four literals, then a match eight bytes back.
        let block = [0x40, b'a', b'b', b'c', b'd', 8, 0, 0x00];
        assert!(decode(&block, 100).1.is_err());
        assert!(decode(&[0x00, 0, 0], 100).1.is_err());
        assert!(plausible_block(1) && plausible_block(BLOCK_IN) && !plausible_block(0));
    }
}
