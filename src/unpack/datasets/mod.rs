//! Inside AI training containers: what their rows hold, judged from the
//! first pages, buffers, records or chunks of the columns and tensors that
//! can hold audio, never from names. Encoded files found there (a WAV in a
//! Parquet cell, a FLAC in a TFRecord feature) go through the detectors like
//! any member; numeric waveforms (list<float> columns, int16 tensors) are
//! judged by [`crate::sniff::dataset::waveform`] and become `waveform`
//! members.
//!
//! Reading is bounded per container: structure (footers, schemas, object
//! headers, record headers) and data together at most [`READ_BUDGET`] bytes
//! of the object, each decoded value at most the rules' `max_member_bytes`,
//! all decoded bytes counted in the walk's `spent`. Every declared length,
//! count and offset is checked against the object's size and the budget
//! before anything is allocated or looped over; a bound reached is a limit.

mod arrow;
mod codecs;
mod hdf5;
mod kaldi;
mod parquet;
mod pickle;
mod tensors;
mod text;
mod tfrecord;
mod thrift;

use std::borrow::Cow;

use super::{chain, Level, Limit, Member, Walk};
use crate::sniff::dataset::{self, MAX_WAVEFORM};
use crate::sniff::{Encryption, Sniff};

/// Bytes of one container read by its unpacker, structure and data
/// together, whatever the container declares: 8 MiB (a footer or schema
/// larger than that is reported, not read).
pub(super) const READ_BUDGET: u64 = 8 << 20;

/// Does `format` name a container this module opens?
pub(super) fn opens(format: &str) -> bool {
    dataset::CONTAINERS.contains(&format)
}

/// Why reading a container stopped early.
#[derive(Debug)]
enum Stop {
    /// [`READ_BUDGET`] spent.
    Budget,
    /// A declared size beyond what is read for it (a footer, a header).
    Bound(String),
    /// A read failed or fell outside the object.
    Unreadable(u64),
    /// The structure is not what the format says (or not supported).
    Malformed(String),
}

type Step<T> = Result<T, Stop>;

fn malformed<T>(why: impl Into<String>) -> Step<T> {
    Err(Stop::Malformed(why.into()))
}

/// Positioned reads of one container level, counted against [`READ_BUDGET`].
struct Reader<'l, 'a, 'f> {
    level: &'l Level<'a, 'f>,
    read: u64,
}

impl<'l, 'a, 'f> Reader<'l, 'a, 'f> {
    fn new(level: &'l Level<'a, 'f>) -> Self {
        Reader { level, read: 0 }
    }

    fn size(&self) -> u64 {
        self.level.size
    }

    fn charge(&mut self, len: usize) -> Step<()> {
        if self.read + len as u64 > READ_BUDGET {
            return Err(Stop::Budget);
        }
        self.read += len as u64;
        Ok(())
    }

    /// Exactly `len` bytes at `offset`.
    fn at(&mut self, offset: u64, len: usize) -> Step<Cow<'l, [u8]>> {
        if offset
            .checked_add(len as u64)
            .is_none_or(|end| end > self.size())
        {
            return Err(Stop::Unreadable(offset));
        }
        self.charge(len)?;
        self.level.at(offset, len).ok_or(Stop::Unreadable(offset))
    }

    /// Up to `len` bytes from `offset` (fewer at the end of the object).
    fn from(&mut self, offset: u64, len: usize) -> Step<Cow<'l, [u8]>> {
        if offset >= self.size() {
            return Err(Stop::Unreadable(offset));
        }
        let len = (len as u64).min(self.size() - offset) as usize;
        self.charge(len)?;
        self.level
            .from(offset, len)
            .filter(|b| !b.is_empty() || len == 0)
            .ok_or(Stop::Unreadable(offset))
    }
}

/// Numeric element types that can hold a waveform. 8-bit types (images,
/// masks, quantised weights), booleans and unsigned types are left out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Dtype {
    F16,
    BF16,
    F32,
    F64,
    I16,
    I32,
    I64,
}

impl Dtype {
    fn size(self) -> usize {
        match self {
            Dtype::F16 | Dtype::BF16 | Dtype::I16 => 2,
            Dtype::F32 | Dtype::I32 => 4,
            Dtype::F64 | Dtype::I64 => 8,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Dtype::F16 => "float16",
            Dtype::BF16 => "bfloat16",
            Dtype::F32 => "float32",
            Dtype::F64 => "float64",
            Dtype::I16 => "int16",
            Dtype::I32 => "int32",
            Dtype::I64 => "int64",
        }
    }

    /// Decodes every `stride`-th element of `bytes`, at most `max` of them.
    fn decode(self, bytes: &[u8], big_endian: bool, stride: usize, max: usize) -> Vec<f32> {
        let size = self.size();
        bytes
            .chunks_exact(size)
            .step_by(stride.max(1))
            .take(max)
            .map(|c| {
                let mut b = [0u8; 8];
                b[..size].copy_from_slice(c);
                if big_endian {
                    b[..size].reverse();
                }
                match self {
                    Dtype::F16 => f16_to_f32(u16::from_le_bytes([b[0], b[1]])),
                    Dtype::BF16 => {
                        f32::from_bits(u32::from(u16::from_le_bytes([b[0], b[1]])) << 16)
                    }
                    Dtype::F32 => f32::from_le_bytes([b[0], b[1], b[2], b[3]]),
                    Dtype::F64 => f64::from_le_bytes(b) as f32,
                    Dtype::I16 => f32::from(i16::from_le_bytes([b[0], b[1]])),
                    Dtype::I32 => i32::from_le_bytes([b[0], b[1], b[2], b[3]]) as f32,
                    Dtype::I64 => i64::from_le_bytes(b) as f32,
                }
            })
            .collect()
    }
}

fn f16_to_f32(h: u16) -> f32 {
    let sign = if h & 0x8000 != 0 { -1.0 } else { 1.0 };
    let exp = i32::from((h >> 10) & 0x1f);
    let frac = f32::from(h & 0x3ff);
    sign * match exp {
        0 => frac * 2f32.powi(-24),
        31 => f32::NAN,
        e => (1.0 + frac / 1024.0) * 2f32.powi(e - 15),
    }
}

/// Which elements of a C-ordered tensor are judged as one signal.
#[derive(Clone, Debug, PartialEq)]
struct Plan {
    /// Stride between judged elements (channels interleaved: the channel count).
    stride: u64,
    /// Elements judged (at most [`MAX_WAVEFORM`]).
    count: u64,
    /// The slice judged, for the member name: `[:]`, `[0, :]`, `[:, 0]` …
    slice: String,
}

impl Plan {
    /// Bytes from the tensor's first element that hold the judged elements.
    fn bytes(&self, dtype: Dtype) -> u64 {
        ((self.count - 1) * self.stride + 1) * dtype.size() as u64
    }
}

/// Most channels an interleaved signal is taken to have.
const MAX_CHANNELS: u64 = 8;

/// The signal to judge in a tensor of `shape` (C order): a vector; the
/// first row of [channels, samples] or [batch, samples]; the first channel
/// of interleaved [samples, channels]; the first vector along the last axis
/// of higher ranks (or the first channel when that axis is 1–2 wide).
/// `None` when no axis is long enough: embeddings, feature frames, images.
fn plan(shape: &[u64]) -> Option<Plan> {
    let min = dataset::MIN_WAVEFORM as u64;
    let max = MAX_WAVEFORM as u64;
    let total = shape.iter().try_fold(1u64, |a, &d| a.checked_mul(d))?;
    if total < min {
        return None;
    }
    let zeros = |n: usize| vec!["0"; n].join(", ");
    let rank = shape.len();
    let (stride, count, slice) = match shape {
        [] => return None,
        [n] => (1, *n, "[:]".to_string()),
        [.., long, narrow] if *narrow <= 2 && *long >= min && rank >= 3 => {
            (*narrow, *long, format!("[{}, :, 0]", zeros(rank - 2)))
        }
        [.., last] if *last >= min => (1, *last, format!("[{}, :]", zeros(rank - 1))),
        [long, narrow] if *narrow <= MAX_CHANNELS && *long >= min => {
            (*narrow, *long, "[:, 0]".to_string())
        }
        _ => return None,
    };
    Some(Plan {
        stride,
        count: count.min(max),
        slice,
    })
}

/// `shape` as the report shows it: `[2, 8000]`.
fn shape_text(shape: &[u64]) -> String {
    format!(
        "[{}]",
        shape
            .iter()
            .map(u64::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    )
}

impl Walk<'_> {
    /// Opens a dataset container sniffed as `sniff.format`.
    pub(super) fn dataset(
        &mut self,
        level: &Level<'_, '_>,
        sniff: &Sniff,
        prefix: &str,
        depth: u32,
    ) {
        if sniff.encryption == Encryption::Encrypted {
            return;
        }
        let result = match sniff.format.as_str() {
            "parquet" => self.parquet(level, prefix, depth),
            "arrow" | "arrow-stream" => self.arrow(level, prefix, depth),
            "tfrecord" => self.tfrecord(level, sniff, prefix, depth),
            "npy" => self.npy(level, prefix),
            // An npz is a zip of .npy members: each comes back here as `npy`.
            "npz" => {
                self.zip(level, prefix, depth);
                Ok(())
            }
            "safetensors" => self.safetensors(level, prefix),
            "pytorch" => self.pytorch(level, prefix),
            "hdf5" => self.hdf5(level, prefix),
            "kaldi-ark" => self.kaldi(level, prefix, depth),
            _ => Ok(()),
        };
        if let Err(stop) = result {
            self.stopped(prefix, &sniff.format, stop);
        }
    }

    /// Reports why a container was not read to its end.
    fn stopped(&mut self, at: &str, format: &str, stop: Stop) {
        match stop {
            Stop::Budget => self.limit(
                at,
                Limit::ObjectBytes,
                format!(
                    "{format}: read budget of {} MiB used up; the rest not inspected",
                    READ_BUDGET >> 20
                ),
            ),
            Stop::Bound(why) => self.limit(at, Limit::ObjectBytes, format!("{format}: {why}")),
            Stop::Unreadable(offset) => self.limit(
                at,
                Limit::MemberBytes,
                format!("{format}: bytes at {offset} could not be read (truncated?)"),
            ),
            Stop::Malformed(why) => self.limit(at, Limit::Unsupported, format!("{format}: {why}")),
        }
    }

    /// A decoded value (a cell, a feature, an archive entry): sniffed like a
    /// file and kept when it is anything but ordinary data, so that a column
    /// of PNGs or transcripts adds nothing to the report. `size` is the
    /// value's declared length (the bytes may be a prefix; the caller has
    /// counted them in `spent` when it decoded them). True when it was audio.
    fn value(&mut self, prefix: &str, name: &str, data: &[u8], size: u64, depth: u32) -> bool {
        let s = self.sniff_bytes(data, size);
        if s.class == crate::sniff::Class::Other {
            return false;
        }
        let audio = s.class == crate::sniff::Class::Audio;
        self.keep(prefix, name, data, size, depth, s);
        audio
    }

    /// Judges decoded samples as a waveform; a hit becomes a `waveform` member.
    fn samples(
        &mut self,
        prefix: &str,
        name: &str,
        dtype: &str,
        shape: &str,
        samples: &[f32],
        size: u64,
    ) -> bool {
        let Some(rho) = dataset::waveform(samples) else {
            return false;
        };
        let judged = samples.len().min(MAX_WAVEFORM);
        self.inside.members.push(Member {
            member: chain(prefix, name),
            sniff: dataset::waveform_sniff(dtype, shape, judged, rho),
            size,
        });
        true
    }

    /// Reads and judges the planned slice of a tensor whose first element is
    /// at `at`; `name` is the tensor's name (the slice is appended).
    #[allow(clippy::too_many_arguments)]
    fn tensor(
        &mut self,
        r: &mut Reader<'_, '_, '_>,
        prefix: &str,
        name: &str,
        at: u64,
        dtype: Dtype,
        big_endian: bool,
        shape: &[u64],
    ) -> Step<bool> {
        let Some(plan) = plan(shape) else {
            return Ok(false);
        };
        let Some(budget) = self.remaining(prefix) else {
            return Ok(false);
        };
        let want = plan.bytes(dtype).min(budget);
        let bytes = r.from(at, want as usize)?;
        self.spent += bytes.len() as u64;
        let samples = dtype.decode(
            &bytes,
            big_endian,
            plan.stride as usize,
            plan.count as usize,
        );
        let size = shape
            .iter()
            .product::<u64>()
            .saturating_mul(dtype.size() as u64);
        Ok(self.samples(
            prefix,
            &format!("{name}{}", plan.slice),
            dtype.name(),
            &shape_text(shape),
            &samples,
            size,
        ))
    }
}

/// For the fuzz targets under `fuzz/` (which cannot reach crate-private
/// items): runs one of this module's decoders on arbitrary bytes.
#[doc(hidden)]
pub fn fuzz_codec(codec: u8, data: &[u8]) -> usize {
    codecs::fuzz(codec, data)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plans_pick_one_signal_and_skip_short_axes() {
        let p = |s: &[u64]| plan(s).map(|p| (p.stride, p.count, p.slice));
        assert_eq!(p(&[16000]), Some((1, 16000, "[:]".into())));
        assert_eq!(p(&[2, 8000]), Some((1, 8000, "[0, :]".into())));
        assert_eq!(p(&[8000, 2]), Some((2, 8000, "[:, 0]".into())));
        assert_eq!(p(&[1, 16000, 1]), Some((1, 16000, "[0, :, 0]".into())));
        assert_eq!(
            p(&[4, 1, 40000]),
            Some((1, MAX_WAVEFORM as u64, "[0, 0, :]".into()))
        );
        assert_eq!(p(&[16, 512]), None, "embeddings");
        assert_eq!(p(&[400, 6]), None, "too few rows to judge a column");
        assert_eq!(p(&[64, 64, 3]), None, "an image");
        assert_eq!(p(&[1000]), None);
        assert_eq!(p(&[u64::MAX, 4]), None, "element count overflows");
        assert_eq!(p(&[]), None);
    }

    #[test]
    fn dtypes_decode_both_byte_orders() {
        let le: Vec<u8> = [1i16, -2, 300]
            .iter()
            .flat_map(|v| v.to_le_bytes())
            .collect();
        assert_eq!(Dtype::I16.decode(&le, false, 1, 10), vec![1.0, -2.0, 300.0]);
        let be: Vec<u8> = [1.5f32, -0.25]
            .iter()
            .flat_map(|v| v.to_be_bytes())
            .collect();
        assert_eq!(Dtype::F32.decode(&be, true, 1, 10), vec![1.5, -0.25]);
        assert_eq!(Dtype::I16.decode(&le, false, 2, 10), vec![1.0, 300.0]);
        assert_eq!(f16_to_f32(0x3c00), 1.0);
        assert_eq!(f16_to_f32(0xc000), -2.0);
        assert_eq!(Dtype::BF16.decode(&[0x80, 0x3f], false, 1, 1), vec![1.0]);
    }
}
