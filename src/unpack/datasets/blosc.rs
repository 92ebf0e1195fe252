//! A Blosc chunk stored as an object of its own (a Zarr v2 array's chunk
//! files, with its default compressor): decoded, then judged as a file
//! would be, and as waveform samples where its elements are 4 or 8 bytes
//! wide (what the chunk holds is written in the array's `.zarray`, which
//! the chunk does not name).

use super::codecs::blosc;
use super::{malformed, Dtype, Reader, Step};
use crate::sniff::dataset::MAX_WAVEFORM;
use crate::unpack::{Level, Limit, Walk};

/// What a chunk holds: its decoded bytes, named so.
const NAME: &str = "(blosc chunk)";
/// The most of a chunk read: c-blosc's chunks are a few MiB at most, and
/// a container's reads share an 8 MiB budget.
const MAX_CHUNK: u64 = 4 << 20;
/// Elements judged as samples: a first slice and one of the middle.
const SAMPLES: usize = 4 * MAX_WAVEFORM;

impl Walk<'_> {
    pub(super) fn blosc(&mut self, level: &Level<'_, '_>, prefix: &str, depth: u32) -> Step<()> {
        let Some(budget) = self.remaining(prefix) else {
            return Ok(());
        };
        let mut r = Reader::new(level);
        let input = r.from(0, level.size.min(MAX_CHUNK) as usize)?;
        let (out, typesize, nbytes) = match blosc(&input, budget as usize) {
            Ok(decoded) => decoded,
            Err(why) => return malformed(why),
        };
        if out.len() < nbytes {
            self.limit(
                prefix,
                Limit::MemberBytes,
                format!(
                    "blosc chunk of {nbytes} bytes: judged from its first {}",
                    out.len()
                ),
            );
        }
        let size = nbytes as u64;
        self.spent += out.len() as u64;
        // Elements of 4 or 8 bytes are most often floats: judged as a
        // waveform first, which names the recording by its samples (a
        // file's sniff would call them headerless PCM).
        let float = match typesize {
            4 => Some(Dtype::F32),
            8 => Some(Dtype::F64),
            _ => None,
        };
        if let Some(dtype) = float {
            let samples = dtype.decode(&out, false, 1, SAMPLES);
            if self.list_samples(prefix, NAME, dtype.name(), &samples, typesize as u64) {
                return Ok(());
            }
        }
        self.value(prefix, NAME, &out, size, depth);
        Ok(())
    }
}
