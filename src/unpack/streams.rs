//! Compressed streams (gzip, zstd, xz, bzip2, lz4): the head decompressed
//! as far as the budget allows, with the ratio guard.

use std::io::Read;

use super::{Level, Limit, Walk};
use crate::sniff::HEAD_LEN;

impl Walk<'_> {
    /// Decompresses the head of a stream: as much as the budget allows.
    pub(super) fn stream(&mut self, level: &Level<'_, '_>, format: &str, prefix: &str, depth: u32) {
        // Compressed input: what the sample holds (the head), or up to the budget.
        let input = level
            .from(0, (self.limits.max_member_bytes as usize).min(4 * HEAD_LEN))
            .unwrap_or_default();
        let input = &input[..];
        let Some(budget) = self.remaining(prefix) else {
            return;
        };
        let (out, done, consumed) = decompress_counted(format, input, budget);
        self.spent += out.len() as u64;
        let ratio = out.len() as u64 / (consumed as u64).max(1);
        if !done && ratio > self.limits.max_ratio {
            self.limit(
                prefix,
                Limit::Ratio,
                format!(
                    "{format} expands more than {}:1; inspected the first {} bytes",
                    self.limits.max_ratio,
                    out.len()
                ),
            );
        }
        if out.is_empty() {
            return;
        }
        // The inner size is known only when the stream ended within the budget.
        let size = if done {
            out.len() as u64
        } else {
            (out.len() as u64).max(level.size)
        };
        let name = inner_name(
            if prefix.is_empty() {
                self.outer_name
            } else {
                prefix
            },
            format,
        );
        self.member(prefix, &name, &out, size, depth);
    }
}

/// The name of what a compressed stream holds: its own name less the suffix.
fn inner_name(prefix: &str, format: &str) -> String {
    let last = prefix.rsplit("!/").next().unwrap_or("");
    let base = last.rsplit('/').next().unwrap_or("");
    for suffix in [
        ".gz", ".tgz", ".zst", ".xz", ".txz", ".bz2", ".tbz2", ".lz4", ".z",
    ] {
        if let Some(stem) = base.strip_suffix(suffix) {
            if !stem.is_empty() {
                return if suffix.starts_with(".t") && suffix.len() > 3 {
                    format!("{stem}.tar")
                } else {
                    stem.to_string()
                };
            }
        }
    }
    format!("({format} stream)")
}

/// Decompresses at most `limit` bytes. Returns the output, whether the
/// stream ended within the limit, and how many input bytes produced it (the
/// decoders read from a slice, so this is exact enough to compute a ratio).
pub fn decompress_counted(format: &str, input: &[u8], limit: u64) -> (Vec<u8>, bool, usize) {
    let mut rest = input;
    let mut out = Vec::new();
    let result = {
        let reader: Box<dyn Read + '_> = match format {
            "gzip" => Box::new(flate2::bufread::MultiGzDecoder::new(&mut rest)),
            "deflate" => Box::new(flate2::bufread::DeflateDecoder::new(&mut rest)),
            "bzip2" => Box::new(bzip2::bufread::MultiBzDecoder::new(&mut rest)),
            "xz" => Box::new(liblzma::bufread::XzDecoder::new_multi_decoder(&mut rest)),
            "lz4" => Box::new(lz4_flex::frame::FrameDecoder::new(&mut rest)),
            "zstd" => match zstd::stream::read::Decoder::with_buffer(&mut rest) {
                Ok(d) => Box::new(d),
                Err(_) => return (Vec::new(), false, 0),
            },
            _ => return (Vec::new(), false, 0),
        };
        // Reading one byte past the limit tells a stream that ends there from a longer one.
        reader.take(limit + 1).read_to_end(&mut out)
    };
    let consumed = input.len() - rest.len();
    match result {
        Ok(_) => {
            let done = out.len() as u64 <= limit;
            out.truncate(limit as usize);
            (out, done, consumed)
        }
        // Truncated input (only the head was read): keep what decoded.
        Err(_) => (out, false, consumed),
    }
}

/// [`decompress_counted`] without the input count.
pub fn decompress(format: &str, input: &[u8], limit: u64) -> (Vec<u8>, bool) {
    let (out, done, _) = decompress_counted(format, input, limit);
    (out, done)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn decompression_stops_at_the_limit() {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(&vec![0u8; 1 << 20]).unwrap();
        let gz = e.finish().unwrap();
        let (out, done) = decompress("gzip", &gz, 4096);
        assert_eq!((out.len(), done), (4096, false));
        let (out, done) = decompress("gzip", &gz, 2 << 20);
        assert_eq!((out.len(), done), (1 << 20, true));
    }

    #[test]
    fn truncated_streams_yield_their_head() {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        let data: Vec<u8> = (0..200_000u32).map(|i| (i * 7 % 251) as u8).collect();
        e.write_all(&data).unwrap();
        let gz = e.finish().unwrap();
        let (out, done) = decompress("gzip", &gz[..gz.len() / 2], 1 << 20);
        assert!(!done && !out.is_empty() && out[..] == data[..out.len()]);
    }

    #[test]
    fn inner_names_drop_the_compression_suffix() {
        assert_eq!(inner_name("calls/a.wav.gz", "gzip"), "a.wav");
        assert_eq!(inner_name("x.tgz", "gzip"), "x.tar");
        assert_eq!(inner_name("", "zstd"), "(zstd stream)");
    }
}
