//! Inside AI training containers: what their rows hold, judged from the
//! first pages, buffers, records or chunks of the columns and tensors that
//! can hold audio, never from names. Encoded files found there (a WAV in a
//! Parquet cell, a FLAC in a TFRecord feature) go through the detectors like
//! any member; numeric waveforms (list<float> columns, int16 tensors) are
//! judged by [`crate::sniff::dataset::waveform`] and become `waveform`
//! members.
//!
//! Reading is bounded per container, whatever it declares:
//!
//! | what | bound |
//! | --- | --- |
//! | positioned reads of one container, structure and data | [`READ_BUDGET`] (8 MiB) |
//! | a Parquet footer, Arrow message metadata, a safetensors header, a `data.pkl` or other pickle | 4 MiB each |
//! | one page, buffer or value list decoded | 256 KiB (and the rules' `max_member_bytes`) |
//! | samples judged per signal; values sniffed per page, batch or feature | 32,768 (and 32,768 more from its middle when those fail); 2–3, then those with an audio magic |
//! | Parquet | 64 columns × 64 row groups (binary columns: every chunk until the budget ends; numbers: 4 chunks with values, 16 all-null); 8 pages per chunk; 65,536 values per page |
//! | Arrow / TFRecord / Kaldi | 64 messages and 4 batches / 16 records / 16 entries |
//! | HDF5 | 256 objects, 16 datasets, 128 chunks, 256 B-tree nodes, 16 continuations |
//! | text past its head | 4 windows of 64 KiB, and 1 MiB read back before one that opens inside a run |
//!
//! Decoded bytes count in the walk's `spent` (`max_object_bytes`). Every
//! declared length, count and offset is checked against the object's size
//! and these bounds before anything is allocated or looped over; a bound
//! reached is a limit, and so is a structure not understood.

mod arrow;
mod avro;
mod blosc;
mod codecs;
mod hdf5;
mod kaldi;
mod onnx;
mod parquet;
mod pickle;
mod tensors;
mod text;
mod tfrecord;
mod thrift;

use std::borrow::Cow;

use super::{chain, Level, LevelBytes, Limit, Member, Walk};
use crate::sniff::dataset::{self, MAX_WAVEFORM};
use crate::sniff::{Encryption, Sniff};

/// Bytes of one container read by its unpacker, structure and data
/// together, whatever the container declares: 8 MiB (a footer or schema
/// larger than that is reported, not read).
pub(super) const READ_BUDGET: u64 = 8 << 20;

/// Damaged parts of one container (column chunks, HDF5 objects) reported
/// one by one before the container is given up.
const MAX_DAMAGED: usize = 8;

pub(super) use crate::sniff::bytes::varint;
pub(crate) use pickle::opens_a_pickle;

/// A ZigZag-encoded signed value.
pub(super) fn zigzag(v: u64) -> i64 {
    (v >> 1) as i64 ^ -((v & 1) as i64)
}

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

/// Values sniffed past the part of a container reported whole, and the
/// compressed ones among them opened.
const SEARCHED_VALUES: usize = 4096;
const SEARCHED_OPENED: usize = 16;

/// What [`Walk::value_searched`] has sniffed and opened in one container.
#[derive(Default)]
struct Searched {
    values: usize,
    opened: usize,
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

    /// Bytes that can be read from the start: all of them, unless the
    /// level holds only a decoded head of a longer stream.
    fn readable(&self) -> u64 {
        self.level.readable()
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
        // A range that starts in the sample (a page after the header in the
        // head) is read on from where the sample ends, not again from its start.
        if let LevelBytes::Outer(sample, _) = &self.level.bytes {
            if let Some(have) = sample.from_offset(offset).filter(|b| b.len() < len) {
                let mut out = have.to_vec();
                if let Some(rest) = self
                    .level
                    .from(offset + have.len() as u64, len - have.len())
                {
                    out.extend_from_slice(&rest);
                }
                return Ok(Cow::Owned(out));
            }
        }
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

/// Bytes a tensor of `dtype` and `shape` holds; `u64::MAX` past what a
/// count can hold (a crafted shape).
fn tensor_bytes(dtype: Dtype, shape: &[u64]) -> u64 {
    shape
        .iter()
        .try_fold(dtype.size() as u64, |a, &d| a.checked_mul(d))
        .unwrap_or(u64::MAX)
}

/// Which elements of a C-ordered tensor are judged as one signal.
#[derive(Clone, Debug, PartialEq)]
struct Plan {
    /// Stride between judged elements (channels interleaved: the channel count).
    stride: u64,
    /// Elements judged (at most [`MAX_WAVEFORM`]).
    count: u64,
    /// Elements along the judged axis, of which `count` are judged.
    len: u64,
    /// The slice judged, for the member name: `[:]`, `[0, :]`, `[:, 0]` …
    slice: String,
}

impl Plan {
    /// Bytes from the tensor's first element that hold the judged elements.
    fn bytes(&self, dtype: Dtype) -> u64 {
        self.bytes_of(self.count, dtype)
    }

    /// Bytes from a judged element that hold `count` judged elements.
    fn bytes_of(&self, count: u64, dtype: Dtype) -> u64 {
        ((count - 1) * self.stride + 1) * dtype.size() as u64
    }
}

/// Most channels an interleaved signal is taken to have.
const MAX_CHANNELS: u64 = 8;

/// The signal to judge in a tensor of `shape` (C order): a vector; the
/// first row of [channels, samples] or [batch, samples]; the first channel
/// of interleaved [samples, channels]; in higher ranks, [batch, channels …,
/// samples] or [batch, samples, 1–2 channels]. `None` when no axis is long
/// enough (embeddings, feature frames) or when more than one axis is
/// (images: [N, C, H, W], [H, W, 3]), whose rows are smooth but not sound.
fn plan(shape: &[u64]) -> Option<Plan> {
    plan_exact(shape).or_else(|| {
        // Axes of one at the end change nothing in the layout ([N, 1, 1]
        // is a vector): planned without them, and named with them.
        let kept = shape.iter().rposition(|&d| d != 1)? + 1;
        if kept == shape.len() {
            return None;
        }
        let mut p = plan_exact(&shape[..kept])?;
        p.slice.pop();
        p.slice.push_str(&", 0".repeat(shape.len() - kept));
        p.slice.push(']');
        Some(p)
    })
}

fn plan_exact(shape: &[u64]) -> Option<Plan> {
    let min = dataset::MIN_WAVEFORM as u64;
    let max = MAX_WAVEFORM as u64;
    // A shape whose element count overflows declares more than any object
    // holds, as one larger than its object does: what is there is judged.
    let total = shape.iter().fold(1u64, |a, &d| a.saturating_mul(d));
    if total < min {
        return None;
    }
    let zeros = |n: usize| vec!["0"; n].join(", ");
    let rank = shape.len();
    // Between the batch axis and the samples only channel-like axes.
    let narrow_between = |samples_axis: usize| {
        shape
            .get(1..samples_axis)
            .is_some_and(|mid| mid.iter().all(|&d| d <= MAX_CHANNELS))
    };
    let (stride, count, slice) = match shape {
        [] => return None,
        [n] => (1, *n, "[:]".to_string()),
        [.., long, narrow]
            if rank >= 3 && *narrow <= 2 && *long >= min && narrow_between(rank - 2) =>
        {
            (*narrow, *long, format!("[{}, :, 0]", zeros(rank - 2)))
        }
        [.., last] if *last >= min && narrow_between(rank - 1) => {
            (1, *last, format!("[{}, :]", zeros(rank - 1)))
        }
        [long, narrow] if *narrow <= MAX_CHANNELS && *long >= min => {
            (*narrow, *long, "[:, 0]".to_string())
        }
        _ => return None,
    };
    Some(Plan {
        stride,
        count: count.min(max),
        len: count,
        slice,
    })
}

/// Does `v` open like an encoded audio file? A cheap test on a value's
/// head, so that every value of a page can be looked at and only the ones
/// that may be audio are sniffed (which then decides).
fn audio_magic(v: &[u8]) -> bool {
    const AT_0: [&[u8]; 13] = [
        b"RIFF",
        b"RIFX",
        b"RF64",
        b"BW64",
        b"fLaC",
        b"OggS",
        b"ID3",
        b"FORM",
        b"#!AMR",
        b"caff",
        b".snd",
        b"wvpk",
        b"\x1a\x45\xdf\xa3",
    ];
    const MORE: [&[u8]; 4] = [b"MAC ", b"TTA1", b"MPCK", b"\x30\x26\xb2\x75"];
    AT_0.iter().chain(MORE.iter()).any(|m| v.starts_with(m))
        || v.get(4..8) == Some(b"ftyp")
        // MPEG audio and ADTS frame sync.
        || matches!(v, [0xff, b, ..] if b & 0xe0 == 0xe0)
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
        // A footer that `PARE` calls encrypted but that reads in the
        // clear is walked as any other.
        let sealed = sniff.encryption == Encryption::Encrypted;
        if sealed && !(sniff.format == "parquet" && parquet::footer_in_clear(level)) {
            // An encrypted footer may still front plaintext column chunks.
            if sniff.format == "parquet" {
                if let Err(stop) = self.parquet_plaintext(level, prefix, depth) {
                    self.stopped(prefix, &sniff.format, stop);
                }
            }
            return;
        }
        let members_before = self.inside.members.len();
        let result = match &*sniff.format {
            "parquet" => self.parquet(level, prefix, depth),
            "arrow" | "arrow-stream" => self.arrow(level, prefix, depth),
            "avro" => self.avro(level, prefix, depth),
            "blosc" => self.blosc(level, prefix, depth),
            "tfrecord" => self.tfrecord(level, sniff, prefix, depth),
            "npy" => self.npy(level, prefix, depth),
            // An npz is a zip of .npy members: each comes back here as `npy`.
            "npz" => {
                self.zip(level, prefix, depth);
                Ok(())
            }
            "safetensors" => self.safetensors(level, prefix, depth),
            "onnx" => self.onnx(level, prefix, depth),
            "pytorch" => self.pytorch(level, prefix, depth),
            "pickle" => self.pickle(level, prefix, depth),
            "hdf5" => self.hdf5(level, prefix, depth),
            "kaldi-ark" => self.kaldi(level, prefix, depth),
            _ => Ok(()),
        };
        // HDF5 keeps the values of the datatypes it does not read (the
        // global heap's variable-length rows, opaque values) as they are:
        // a recording's header among them is found as in a container not
        // walked.
        if result.is_ok()
            && sniff.format == "hdf5"
            && !self.inside.members[members_before..]
                .iter()
                .any(|m| m.sniff.class == crate::sniff::Class::Audio)
        {
            self.headers_in_head(level, prefix, depth);
        }
        if let Err(stop) = result {
            // A container whose structure does not hold (a footer length
            // past the object, a header that does not parse) is bytes of
            // no known layout: a zip or a stream behind its head is opened,
            // and a recording's header in its head found, as in bytes no
            // format explains.
            let malformed = matches!(stop, Stop::Malformed(_));
            self.stopped(prefix, &sniff.format, stop);
            if malformed && self.inside.members.len() == members_before {
                self.open_behind(level, sniff, prefix, depth);
                // What a stream behind decoded to need not be a recording
                // (a damaged container's own buffers): the head is
                // searched for one either way.
                let audio = self.inside.members[members_before..]
                    .iter()
                    .any(|m| m.sniff.class == crate::sniff::Class::Audio);
                if !audio {
                    self.headers_in_head(level, prefix, depth);
                }
            }
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

    /// Reports a damaged part and lets the walk go on with the next one,
    /// until [`MAX_DAMAGED`] of them: then the container is given up.
    fn damaged(&mut self, at: &str, seen: &mut usize, message: String) -> Step<()> {
        self.limit(at, Limit::Unsupported, message);
        *seen += 1;
        if *seen >= MAX_DAMAGED {
            return malformed(format!(
                "{MAX_DAMAGED} damaged parts; the rest not inspected"
            ));
        }
        Ok(())
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

    /// As [`Walk::value`], for a value past the part of a container that
    /// is reported whole: kept only when it is audio or biometric data, or
    /// compressed (which may hold either; the first [`SEARCHED_OPENED`]),
    /// so that a shard's thousands of images or blobs are searched without
    /// each becoming a member. [`SEARCHED_VALUES`] are sniffed at most.
    #[allow(clippy::too_many_arguments)]
    fn value_searched(
        &mut self,
        searched: &mut Searched,
        prefix: &str,
        name: &str,
        data: &[u8],
        size: u64,
        depth: u32,
    ) -> Step<bool> {
        use crate::sniff::Class;
        if searched.values == SEARCHED_VALUES {
            return Err(Stop::Bound(format!(
                "{SEARCHED_VALUES} values searched; the rest not inspected"
            )));
        }
        searched.values += 1;
        let s = self.sniff_bytes(data, size);
        match s.class {
            Class::Audio | Class::Biometric => {}
            Class::Compressed if searched.opened < SEARCHED_OPENED => searched.opened += 1,
            Class::Compressed => {
                if searched.opened == SEARCHED_OPENED {
                    searched.opened += 1;
                    self.limit(
                        prefix,
                        Limit::Members,
                        format!("{SEARCHED_OPENED} compressed values searched and opened; the rest not opened"),
                    );
                }
                return Ok(false);
            }
            _ => return Ok(false),
        }
        let audio = s.class == Class::Audio;
        self.keep(prefix, name, data, size, depth, s);
        Ok(audio)
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

    /// Judges a whole list of numbers held in memory (a feature of a
    /// record): its first slice, then its middle, as [`Walk::tensor`] does.
    fn list_samples(
        &mut self,
        prefix: &str,
        name: &str,
        dtype: &str,
        x: &[f32],
        width: u64,
    ) -> bool {
        let shape = format!("[{}]", x.len());
        let size = x.len() as u64 * width;
        if self.samples(prefix, name, dtype, &shape, x, size) {
            return true;
        }
        let Some(from) = dataset::middle(x.len() as u64) else {
            return false;
        };
        let named = format!("{name}[{from}:]");
        self.samples(prefix, &named, dtype, &shape, &x[from as usize..], size)
    }

    /// [`Walk::tensor`] over bytes already held (a decompressed member or
    /// chunk), as a level of their own.
    #[allow(clippy::too_many_arguments)]
    fn tensor_held(
        &mut self,
        data: &[u8],
        prefix: &str,
        name: &str,
        at: u64,
        dtype: Dtype,
        big_endian: bool,
        shape: &[u64],
    ) -> Step<bool> {
        let held = Level {
            size: data.len() as u64,
            bytes: crate::unpack::LevelBytes::Memory(data),
        };
        self.tensor(
            &mut Reader::new(&held),
            prefix,
            name,
            at,
            dtype,
            big_endian,
            shape,
        )
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
        let mut samples = dtype.decode(
            &bytes,
            big_endian,
            plan.stride as usize,
            plan.count as usize,
        );
        let size = tensor_bytes(dtype, shape);
        let mut slice = plan.slice.clone();
        let mut padded = false;
        // Padding before the signal (a batch whose first row is a silent
        // clip, zeros before the speech): judged from the first element
        // that is not zero.
        if plan.stride == 1 && !bytes.is_empty() && bytes.iter().all(|&b| b == 0) {
            let end = at.saturating_add(size);
            if let Some(first) = self.first_nonzero(r, at + bytes.len() as u64, end, prefix)? {
                let element = (first - at) / dtype.size() as u64;
                if let Some((start, count, named)) = after_padding(shape, element) {
                    let start_at = at + start * dtype.size() as u64;
                    let want =
                        (count * dtype.size() as u64).min(self.remaining(prefix).unwrap_or(0));
                    let bytes = r.from(start_at, want as usize)?;
                    self.spent += bytes.len() as u64;
                    samples = dtype.decode(&bytes, big_endian, 1, count as usize);
                    slice = named;
                    padded = true;
                }
            }
        }
        let shape = shape_text(shape);
        let named = format!("{name}{slice}");
        if self.samples(prefix, &named, dtype.name(), &shape, &samples, size) {
            return Ok(true);
        }
        // A recording often opens on seconds of room noise, which fail
        // the first slice: the middle of a longer signal (of the part held,
        // in a member decoded from its head) is judged too, within half
        // the reader's positioned reads, as the zeros above are.
        let element = plan.stride * dtype.size() as u64;
        let held = (r.readable().saturating_sub(at) / element).min(plan.len);
        let Some(from) = dataset::middle(held).filter(|_| !padded) else {
            return Ok(false);
        };
        let count = (held - from).min(MAX_WAVEFORM as u64);
        let want = plan.bytes_of(count, dtype);
        let reads_left = (READ_BUDGET / 2).saturating_sub(r.read);
        if want > self.budget().min(reads_left) {
            return Ok(false);
        }
        let start = at + from * element;
        let bytes = match r.from(start, want as usize) {
            Ok(bytes) => bytes,
            Err(Stop::Unreadable(_)) => return Ok(false),
            Err(stop) => return Err(stop),
        };
        self.spent += bytes.len() as u64;
        let samples = dtype.decode(&bytes, big_endian, plan.stride as usize, count as usize);
        let named = format!("{name}{}", plan.slice.replacen(':', &format!("{from}:"), 1));
        Ok(self.samples(prefix, &named, dtype.name(), &shape, &samples, size))
    }

    /// The offset of the first byte that is not zero in `from..end` of the
    /// reader, looked for a step at a time as far as [`MAX_PADDING`], the
    /// object's budget and half the reader's positioned reads allow: a
    /// model's zero buffers (a cache, fresh biases) must not use up the
    /// reads its other tensors are judged with.
    fn first_nonzero(
        &mut self,
        r: &mut Reader<'_, '_, '_>,
        from: u64,
        end: u64,
        prefix: &str,
    ) -> Step<Option<u64>> {
        let mut at = from;
        // Zeros to the end are silence; a search that stops before it
        // leaves the rest of the tensor unjudged, which is said.
        let stopped = |walk: &mut Self, at: u64, why: &str| {
            walk.limit(
                prefix,
                Limit::MemberBytes,
                format!(
                    "zeros from byte {from} to {at} of a tensor, then {why}: its rest \
                     (to byte {end}) not judged"
                ),
            );
            Ok(None)
        };
        while at < end {
            if at >= from.saturating_add(MAX_PADDING) {
                return stopped(
                    self,
                    at,
                    &format!("no more looked through ({} MiB)", MAX_PADDING >> 20),
                );
            }
            let Some(budget) = self.remaining(prefix) else {
                return Ok(None);
            };
            let reads_left = (READ_BUDGET / 2).saturating_sub(r.read);
            let step = (end - at).min(PADDING_STEP).min(budget).min(reads_left);
            if step == 0 {
                return stopped(self, at, "the container's reads used up");
            }
            let bytes = match r.from(at, step as usize) {
                Ok(bytes) => bytes,
                Err(Stop::Unreadable(_)) => return stopped(self, at, "a read that failed"),
                Err(stop) => return Err(stop),
            };
            self.spent += bytes.len() as u64;
            if let Some(k) = bytes.iter().position(|&b| b != 0) {
                return Ok(Some(at + k as u64));
            }
            if bytes.is_empty() {
                return stopped(self, at, "the end of what was held");
            }
            at += bytes.len() as u64;
        }
        Ok(None)
    }
}

/// Zeros before a signal looked through for where it starts, past the
/// first window judged, and the step they are read in.
const MAX_PADDING: u64 = 4 << 20;
const PADDING_STEP: u64 = 64 << 10;

/// Where to judge a tensor of `shape` whose elements before `element`
/// are zeros: from that element on along its signal axis (the last that
/// is not of one), or, where less than a judge's worth of that row is
/// left, from the start of its row. The first element, the count and the
/// slice's name (`[1, :]`, `[33000:]`); `None` past the end.
fn after_padding(shape: &[u64], element: u64) -> Option<(u64, u64, String)> {
    let kept = shape.iter().rposition(|&d| d != 1)? + 1;
    let row_len = shape[kept - 1];
    let total = shape[..kept]
        .iter()
        .try_fold(1u64, |a, &d| a.checked_mul(d))?;
    if element >= total || row_len == 0 {
        return None;
    }
    let (row, mut offset) = (element / row_len, element % row_len);
    if row_len - offset < dataset::MIN_WAVEFORM as u64 {
        offset = 0;
    }
    let count = (row_len - offset).min(MAX_WAVEFORM as u64);
    // The row's place over the leading axes, last axis fastest.
    let mut index = Vec::with_capacity(kept - 1);
    let mut rest = row;
    for &d in shape[..kept - 1].iter().rev() {
        index.push(rest % d.max(1));
        rest /= d.max(1);
    }
    index.reverse();
    let mut parts: Vec<String> = index.iter().map(u64::to_string).collect();
    parts.push(if offset == 0 {
        ":".into()
    } else {
        format!("{offset}:")
    });
    parts.extend(std::iter::repeat_n("0".to_string(), shape.len() - kept));
    Some((
        row * row_len + offset,
        count,
        format!("[{}]", parts.join(", ")),
    ))
}

/// Fewest and most samples in a row of a matrix judged as frames: 10 ms
/// at 16 kHz, and under the samples a vector needs (whose first row
/// [`plan`] judges instead).
const MIN_FRAME: u64 = 160;
/// Samples of a matrix's first row looked at before the matrix is read.
const FRAME_PEEK: usize = 256;

/// The rows and columns of a matrix that may be a recording cut into
/// frames (`[T, 400]`, with batch axes of one before it): at least five
/// rows of 160 to 2,047 samples, enough of them in all to judge.
fn frame_shape(shape: &[u64]) -> Option<(u64, u64)> {
    let first = shape.iter().position(|&d| d != 1)?;
    let [rows, cols] = shape[first..] else {
        return None;
    };
    let total = rows.checked_mul(cols)?;
    ((MIN_FRAME..dataset::MIN_WAVEFORM as u64).contains(&cols)
        && rows >= 5
        && total >= dataset::MIN_WAVEFORM as u64)
        .then_some((rows, cols))
}

/// The rows of `x` (`cols` samples each) join up as one signal's frames
/// do: the steps across row boundaries are on average no larger than
/// four times those inside the rows. A table's rows, an image's, a set of
/// separate clips or a basis of sines jump at every boundary; frames
/// that overlap (a hop shorter than the frame) do too, and are not
/// recognised.
fn rows_join(x: &[f32], cols: usize) -> bool {
    let (mut inside, mut inner, mut across, mut boundaries) = (0.0f64, 0usize, 0.0f64, 0usize);
    for (i, w) in x.windows(2).enumerate() {
        let step = (f64::from(w[1]) - f64::from(w[0])).powi(2);
        if (i + 1) % cols == 0 {
            across += step;
            boundaries += 1;
        } else {
            inside += step;
            inner += 1;
        }
    }
    boundaries >= 4 && inner > 0 && across / boundaries as f64 <= 4.0 * inside / inner as f64
}

/// The rows of `x` (`cols` samples each) share a window's shape: the
/// eighth at either end of the rows holds under a quarter of the energy
/// per sample of the rows as a whole, as the kernels of a filter bank
/// (SincNet's and Gabor's windowed at both ends, a gammatone's decaying
/// to its end) or a windowed basis do. A signal cut into frames is as
/// loud at a frame's ends as in its middle.
fn windowed(x: &[f32], cols: usize) -> bool {
    let edge = (cols / 8).max(1);
    let (mut head, mut tail, mut all) = (0.0f64, 0.0f64, 0.0f64);
    let mut rows = 0usize;
    for row in x.chunks_exact(cols) {
        rows += 1;
        for (i, &v) in row.iter().enumerate() {
            let e = f64::from(v).powi(2);
            all += e;
            if i < edge {
                head += e;
            } else if i >= cols - edge {
                tail += e;
            }
        }
    }
    let per_sample = |sum: f64, n: usize| sum / (n.max(1)) as f64;
    let mean = per_sample(all, rows * cols);
    rows > 0 && per_sample(head.min(tail), rows * edge) < 0.25 * mean
}

impl Walk<'_> {
    /// A matrix no axis of which [`plan`] takes for a signal, judged as
    /// the frames of one recording (flattened, `[:, :]`) when one of
    /// eight rows spread over it is smooth (lag-1 autocorrelation ≥ 0.6
    /// over its first 256 samples; weights and embeddings are not), its
    /// rows join up, they do not share a window's shape, and its loudness
    /// changes from frame to frame. Only for arrays a file holds one or a
    /// few of (`.npy`, pickles, HDF5): a model's hundreds of weight
    /// matrices would each cost a read.
    #[allow(clippy::too_many_arguments)]
    fn frames_held(
        &mut self,
        data: &[u8],
        prefix: &str,
        name: &str,
        dtype: Dtype,
        big_endian: bool,
        shape: &[u64],
    ) -> bool {
        let Some((rows, cols)) = frame_shape(shape) else {
            return false;
        };
        // Eight rows spread over what is judged: a recording may open
        // with a frame of silence or hiss.
        let count = rows.saturating_mul(cols).min(MAX_WAVEFORM as u64) as usize;
        let judged_rows = (count as u64 / cols).max(1);
        let row_bytes = (cols as usize).saturating_mul(dtype.size());
        let smooth = (0..8u64).any(|k| {
            let row = (k * judged_rows / 8) as usize;
            let from = row.saturating_mul(row_bytes);
            let peek = dtype.decode(
                data.get(from..).unwrap_or_default(),
                big_endian,
                1,
                FRAME_PEEK.min(cols as usize),
            );
            peek.len() >= 64 && dataset::smooth(&peek)
        });
        if !smooth {
            return false;
        }
        let samples = dtype.decode(data, big_endian, 1, count);
        // Rows of a matrix that is no recording (an image, a bank of
        // filters, a sensor's windows) are steady from row to row more
        // often than a vector's samples are.
        if !rows_join(&samples, cols as usize)
            || windowed(&samples, cols as usize)
            || !dataset::loudness_varies(&samples)
        {
            return false;
        }
        let size = tensor_bytes(dtype, shape);
        self.samples(
            prefix,
            &format!("{name}[:, :]"),
            dtype.name(),
            &shape_text(shape),
            &samples,
            size,
        )
    }
}

/// For the fuzz targets under `fuzz/` (which cannot reach crate-private
/// items): opens `data` as the dataset container `format` (`tfrecord+zlib`
/// for a zlib-compressed TFRecord) as if it had been sniffed so, with the
/// declared size true or larger than the bytes (a listing can disagree).
/// Returns how many members were found.
#[doc(hidden)]
pub fn fuzz_open(format: &str, data: &[u8], declared: u64) -> usize {
    thread_local! {
        static RULES: crate::rules::RuleSet = crate::rules::RuleSet::embedded();
    }
    let (id, zlib) = match format.strip_suffix("+zlib") {
        Some(id) => (id, true),
        None => (format, false),
    };
    let mut sniff = Sniff::named(
        id.to_string(),
        None,
        crate::sniff::Class::Other,
        Encryption::None,
    );
    if zlib {
        sniff = sniff.with("compression", "zlib");
    }
    let head = &data[..data.len().min(crate::sniff::HEAD_LEN)];
    let sample = crate::sniff::Sample::new(declared, head, &[]);
    let mut fetch = |offset: u64, len: usize| -> Option<Vec<u8>> {
        let start = usize::try_from(offset).ok()?;
        let end = start.checked_add(len)?.min(data.len());
        data.get(start..end).map(<[u8]>::to_vec)
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    RULES.with(|rules| {
        super::look_inside(&sample, &sniff, "fuzz", rules, 3, deadline, &mut fetch)
            .members
            .len()
    })
}

/// For the fuzz targets: the leaf parsers on arbitrary bytes, the first
/// byte choosing which (codecs, Parquet page headers and levels, pickles,
/// protobuf Examples, .npy headers, flatbuffers, Kaldi entries, waveforms).
#[doc(hidden)]
pub fn fuzz_parsers(data: &[u8]) -> usize {
    let Some((&which, rest)) = data.split_first() else {
        return 0;
    };
    match which % 8 {
        0 => codecs::fuzz(
            rest.first().copied().unwrap_or(0),
            rest.get(1..).unwrap_or(&[]),
        ),
        1 => usize::from(thrift::page_header(rest).is_some()),
        2 => {
            let p = pickle::read(rest);
            p.tensors.len() + p.payloads.iter().map(|p| p.data.len()).sum::<usize>()
        }
        3 => tfrecord::fuzz(rest),
        4 => parquet::fuzz(rest),
        5 => usize::from(dataset::npy_header(rest).is_some()),
        6 => {
            let t = dataset::Table::root(rest);
            t.map_or(0, |t| {
                t.tables(1, 64).len() + usize::from(t.string(0).is_some())
            }) + usize::from(dataset::ark_entry(rest).is_some())
        }
        _ => {
            let samples = Dtype::I16.decode(rest, false, 1, MAX_WAVEFORM);
            usize::from(dataset::waveform(&samples).is_some())
        }
    }
}

#[cfg(test)]
/// Members and limits the unpacker reports for `data` (sniffed as usual).
pub(crate) fn test_inside(data: &[u8]) -> (Vec<String>, Vec<String>) {
    let mut fetch = |offset: u64, len: usize| -> Option<Vec<u8>> {
        let start = usize::try_from(offset).ok()?;
        data.get(start..(start + len).min(data.len()))
            .map(<[u8]>::to_vec)
    };
    let head = &data[..data.len().min(crate::sniff::HEAD_LEN)];
    let tail_at = data.len().saturating_sub(crate::sniff::WINDOW_LEN);
    let windows = [crate::sniff::Window {
        offset: tail_at as u64,
        bytes: data[tail_at.max(head.len())..].to_vec(),
    }];
    let sample = crate::sniff::Sample::new(data.len() as u64, head, &windows);
    let sniff = crate::sniff::sniff(&sample, &[]);
    let rules = crate::rules::RuleSet::embedded();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let inside = crate::unpack::look_inside(&sample, &sniff, "x", &rules, 3, deadline, &mut fetch);
    (
        inside
            .members
            .iter()
            .map(|m| format!("{} {}", m.member, m.sniff.format))
            .collect(),
        inside.limits.iter().map(|l| l.message.clone()).collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varints_stop_at_the_end_of_their_bytes_and_at_64_bits() {
        let read = |b: &[u8]| {
            let mut pos = 0;
            super::varint(b, &mut pos).map(|v| (v, pos))
        };
        assert_eq!(read(&[0x96, 0x01, 0xff]), Some((150, 2)));
        assert_eq!(read(&[0x96]), None);
        assert_eq!(read(&[0x80; 12]), None);
        assert_eq!(
            read(&[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]),
            Some((u64::MAX, 10))
        );
        assert_eq!([0, 1, 2, 3, 4].map(zigzag), [0, -1, 1, -2, 2]);
    }
    use crate::sniff::dataset::{masked_crc32c, speechy};

    /// What the unpacker finds in `data` sniffed as `format`: (member, format) pairs and limits.
    fn open(format: &str, data: &[u8]) -> (Vec<(String, String)>, Vec<String>) {
        let mut fetch = |offset: u64, len: usize| -> Option<Vec<u8>> {
            let start = usize::try_from(offset).ok()?;
            data.get(start..(start + len).min(data.len()))
                .map(<[u8]>::to_vec)
        };
        let head = &data[..data.len().min(crate::sniff::HEAD_LEN)];
        let sample = crate::sniff::Sample::new(data.len() as u64, head, &[]);
        let sniff = crate::sniff::sniff(&sample, &[]);
        assert_eq!(sniff.format, format, "{sniff:?}");
        let rules = crate::rules::RuleSet::embedded();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        let inside =
            super::super::look_inside(&sample, &sniff, "x", &rules, 3, deadline, &mut fetch);
        (
            inside
                .members
                .iter()
                .map(|m| (m.member.clone(), m.sniff.format.to_string()))
                .collect(),
            inside.limits.iter().map(|l| l.message.clone()).collect(),
        )
    }

    fn int16(samples: &[f32]) -> Vec<u8> {
        samples
            .iter()
            .flat_map(|v| ((v * 20000.0) as i16).to_le_bytes())
            .collect()
    }

    /// A `.npy` file; a `descr` in brackets is a structured dtype's list.
    fn npy(descr: &str, shape: &str, data: &[u8]) -> Vec<u8> {
        let descr = match descr.starts_with('[') {
            true => descr.to_string(),
            false => format!("'{descr}'"),
        };
        let mut dict = format!("{{'descr': {descr}, 'fortran_order': False, 'shape': {shape}, }}");
        while (dict.len() + 11) % 64 != 0 {
            dict.push(' ');
        }
        dict.push('\n');
        let mut b = b"\x93NUMPY\x01\x00".to_vec();
        b.extend((dict.len() as u16).to_le_bytes());
        b.extend(dict.as_bytes());
        b.extend(data);
        b
    }

    /// Arrays of bytes or of records: a file kept as its bytes is judged
    /// as that file; records of fields are a limit; other bytes (an
    /// image, a mask) are nothing.
    #[test]
    fn npy_arrays_of_other_dtypes_are_judged_by_their_bytes() {
        let wav = crate::unpack::tests::wav();
        let shape = format!("({},)", wav.len());
        for descr in ["|u1", "|i1"] {
            assert_eq!(
                test_inside(&npy(descr, &shape, &wav)),
                (vec!["array wav".to_string()], vec![])
            );
        }
        // Records of one numeric type are samples side by side: channels.
        let stereo = npy("[('left', '<i2'), ('right', '<i2')]", "(4000,)", &wav[44..]);
        let (members, limits) = test_inside(&stereo);
        assert_eq!(members, vec!["array[:, 0] waveform"], "{limits:?}");
        // Records of mixed fields are not read as samples, and say so.
        let mixed = npy(
            "[('id', '<i2'), ('x', '<f4'), ('y', '<f4')]",
            "(1000,)",
            &wav[44..10044],
        );
        let (members, limits) = test_inside(&mixed);
        assert!(members.is_empty(), "{members:?}");
        assert!(limits[0].contains("structured (fields)"), "{limits:?}");
        let gradient: Vec<u8> = (0..64 * 64 * 3).map(|i| (i % 192) as u8).collect();
        assert_eq!(
            test_inside(&npy("|u1", "(64, 64, 3)", &gradient)),
            (vec![], vec![])
        );
    }

    #[test]
    fn a_recording_cut_into_frames_is_judged_and_other_matrices_are_not() {
        // 16,000 samples as 40 frames of 400 (25 ms at 16 kHz).
        let voice = int16(&speechy(16_000));
        assert_eq!(
            open("npy", &npy("<i2", "(40, 400)", &voice)).0,
            vec![("array[:, :]".into(), "waveform".into())]
        );
        assert_eq!(
            open("npy", &npy("<i2", "(1, 40, 400)", &voice)).0,
            vec![("array[:, :]".into(), "waveform".into())]
        );
        // The same frames out of order: every boundary a jump.
        let shuffled: Vec<u8> = (0..40)
            .flat_map(|i| {
                let f = (i * 17) % 40;
                voice[f * 800..(f + 1) * 800].to_vec()
            })
            .collect();
        assert_eq!(open("npy", &npy("<i2", "(40, 400)", &shuffled)).0, vec![]);
        // A sine basis (every row a different frequency, as a positional
        // table's or a DFT's) and weights.
        let basis: Vec<u8> = (0..64)
            .flat_map(|k| {
                (0..256).flat_map(move |n| {
                    ((f32::from(k as u8) * n as f32 / 256.0 * std::f32::consts::TAU).sin() * 0.5)
                        .to_le_bytes()
                })
            })
            .collect();
        assert_eq!(open("npy", &npy("<f4", "(64, 256)", &basis)).0, vec![]);
        // A filter bank: Hann-windowed cosines, quiet at both ends of each row.
        let bank: Vec<u8> = (0..64)
            .flat_map(|k| {
                (0..400).flat_map(move |n| {
                    let w = 0.5 - 0.5 * (n as f32 / 400.0 * std::f32::consts::TAU).cos();
                    let f = 0.02 + 0.004 * k as f32;
                    (w * (f * n as f32 * std::f32::consts::TAU).cos() * 0.5).to_le_bytes()
                })
            })
            .collect();
        assert_eq!(open("npy", &npy("<f4", "(64, 400)", &bank)).0, vec![]);
        // A gammatone bank: each kernel rises at once and decays to its end.
        let gammatone: Vec<u8> = (0..64)
            .flat_map(|k| {
                (0..512).flat_map(move |n| {
                    let t = n as f32 / 16_000.0;
                    let f = 100.0 + 60.0 * k as f32;
                    let env = t.powi(3) * (-2.0 * std::f32::consts::PI * 120.0 * t).exp() * 1e9;
                    (env * (std::f32::consts::TAU * f * t).cos()).to_le_bytes()
                })
            })
            .collect();
        assert_eq!(open("npy", &npy("<f4", "(64, 512)", &gammatone)).0, vec![]);
        // A recording that opens with a frame of silence.
        let mut late = vec![0u8; 800];
        late.extend(&voice[..voice.len() - 800]);
        assert_eq!(
            open("npy", &npy("<i2", "(40, 400)", &late)).0,
            vec![("array[:, :]".into(), "waveform".into())]
        );
        let weights = crate::sniff::testutil::pseudo_random(4 * 256 * 256, 3);
        assert_eq!(open("npy", &npy("<i4", "(256, 256)", &weights)).0, vec![]);
        // Rows too short for a frame, too few rows.
        assert_eq!(frame_shape(&[400, 40]), None);
        assert_eq!(frame_shape(&[4, 1000]), None);
        assert_eq!(frame_shape(&[40, 400]), Some((40, 400)));
        assert_eq!(frame_shape(&[1, 1, 40, 400]), Some((40, 400)));
        assert_eq!(frame_shape(&[2, 40, 400]), None);
        assert_eq!(frame_shape(&[40, 4000]), None, "a vector's row: planned");
    }

    #[test]
    fn frames_in_a_pickled_array_are_judged() {
        // protocol 5: _frombuffer(bytearray, dtype('<i2'), (40, 400), 'C').
        let voice = int16(&speechy(16_000));
        let mut p = b"\x80\x05\x95\x10\x00\x00\x00\x00\x00\x00\x00\x8c\x13numpy._core.numeric\x94\x8c\x0b_frombuffer\x93(\x96".to_vec();
        p.extend((voice.len() as u64).to_le_bytes());
        p.extend(&voice);
        p.extend(b"\x8c\x05numpy\x8c\x05dtype\x93\x8c\x02i2\x89\x88\x87R(K\x03\x8c\x01<NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00tbK(M\x90\x01\x86\x8c\x01Ct\x94R.");
        let (members, limits) = test_inside(&p);
        assert_eq!(
            members,
            vec!["array@32114[:, :] waveform".to_string()],
            "{limits:?}"
        );
    }

    /// An enrolment database pickled as `{user: {"template": record}}`:
    /// minutiae records of 204 bytes, shorter than the byte strings a
    /// pickle's payloads otherwise start at.
    #[test]
    fn short_biometric_records_in_a_pickle_are_judged() {
        let record = include_bytes!("../../../fixtures/biometric/iso19794-2/minutiae.fmr");
        let mut p = b"\x80\x04}\x8c\x04u001}\x8c\x08templateC".to_vec();
        p.push(record.len() as u8);
        p.extend(record);
        p.extend(b"ss.");
        let (members, limits) = test_inside(&p);
        assert_eq!(
            members,
            vec!["template iso19794-2".to_string()],
            "{limits:?}"
        );
    }

    /// Two pickles one after another whose payloads are the same size: the
    /// second's bytes may be allocated where the first's were, and are
    /// judged all the same.
    #[test]
    fn a_later_pickle_s_payload_of_the_same_size_is_judged() {
        let wav = crate::unpack::tests::wav();
        let pickle = |key: &[u8], data: &[u8]| {
            let mut p = vec![0x80, 4, b'}', 0x8c, key.len() as u8];
            p.extend(key);
            p.push(b'B');
            p.extend((data.len() as u32).to_le_bytes());
            p.extend(data);
            p.extend(b"s.");
            p
        };
        let junk: Vec<u8> = (0..wav.len()).map(|i| (i * 7 % 251) as u8).collect();
        let p = [pickle(b"blob", &junk), pickle(b"audio", &wav)].concat();
        let (members, limits) = test_inside(&p);
        assert!(
            members.iter().any(|m| m.starts_with("audio")),
            "{members:?} {limits:?}"
        );
    }

    /// Arrays rebuilt from one memoised buffer (`GET` of the same bytes)
    /// are judged once: 300 of them are one finding, not 256 and a limit,
    /// and frames are not judged 300 times over.
    #[test]
    fn arrays_rebuilt_from_one_buffer_are_judged_once() {
        let voice = int16(&speechy(16_000));
        let x = |s: &[u8]| [&b"X"[..], &(s.len() as u32).to_le_bytes(), s].concat();
        let mut p = b"\x80\x04B".to_vec();
        p.extend((voice.len() as u32).to_le_bytes());
        p.extend(&voice);
        p.extend(b"r\x00\x00\x00\x000cnumpy\ndtype\n");
        p.extend(x(b"i2"));
        p.extend(b"\x89\x88\x87R(K\x03");
        p.extend(x(b"<"));
        p.extend(b"NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00tbr\x01\x00\x00\x000");
        p.extend(b"cnumpy.core.multiarray\n_reconstruct\nr\x02\x00\x00\x000cnumpy\nndarray\nr\x03\x00\x00\x000](");
        for _ in 0..300 {
            p.extend(b"j\x02\x00\x00\x00j\x03\x00\x00\x00K\x00\x85C\x01b\x87R(K\x01K(M\x90\x01\x86j\x01\x00\x00\x00\x89j\x00\x00\x00\x00tb");
        }
        p.extend(b"e.");
        let (members, limits) = test_inside(&p);
        assert_eq!(
            members,
            vec!["array@32151[:, :] waveform".to_string()],
            "{limits:?}"
        );
        assert!(limits.is_empty(), "{limits:?}");
    }

    #[test]
    fn padding_before_a_signal_is_looked_through() {
        let voice = int16(&speechy(16_000));
        // Two seconds of zeros before the speech.
        let mut padded = vec![0u8; 2 * 40_000];
        padded.extend(&voice);
        assert_eq!(
            open("npy", &npy("<i2", "(56000,)", &padded)).0,
            vec![("array[40000:]".into(), "waveform".into())]
        );
        // A batch whose first row is a silent clip.
        let mut batch = vec![0u8; 2 * 16_000];
        batch.extend(&voice);
        batch.extend(vec![0u8; 2 * 32_000]);
        assert_eq!(
            open("npy", &npy("<i2", "(4, 16000)", &batch)).0,
            vec![("array[1, :]".into(), "waveform".into())]
        );
        // Zeros to the end are silence, said nothing about.
        let (found, limits) = open("npy", &npy("<i2", "(4, 16000)", &vec![0u8; 128_000]));
        assert_eq!((found, limits), (vec![], vec![]));
        // More zeros than are looked through: the speech behind them is
        // not judged, and that is said.
        let mut long = vec![0u8; 2 * 3_000_000];
        long.extend(&voice);
        let (found, limits) = open("npy", &npy("<i2", "(3016000,)", &long));
        assert!(found.is_empty());
        assert!(
            limits.iter().any(|l| l.contains("zeros from byte")),
            "{limits:?}"
        );
        assert_eq!(
            after_padding(&[4, 16000, 1], 20_000),
            Some((20_000, 12_000, "[1, 4000:, 0]".into()))
        );
        assert_eq!(
            after_padding(&[2, 3, 5000], 5000 * 4 + 4000),
            Some((20_000, 5000, "[1, 1, :]".into()))
        );
        assert_eq!(after_padding(&[4, 16000], 64_000), None);
    }

    #[test]
    fn a_signal_that_opens_on_noise_is_judged_in_its_middle_too() {
        // Faint noise (±16 of 32,767) for 40,000 samples, then speech:
        // the first 32,768 samples hold noise alone.
        let noise: Vec<f32> = crate::sniff::testutil::pseudo_random(40_000, 5)
            .iter()
            .map(|&b| (f32::from(b) - 128.0) / 128.0 * 0.0008)
            .collect();
        let mut signal = noise.clone();
        signal.extend(speechy(40_000));
        let voice = int16(&signal);
        assert_eq!(
            open("npy", &npy("<i2", "(80000,)", &voice)).0,
            vec![("array[32768:]".into(), "waveform".into())]
        );
        let stereo: Vec<u8> = voice.chunks(2).flat_map(|s| [s, s].concat()).collect();
        assert_eq!(
            open("npy", &npy("<i2", "(80000, 2)", &stereo)).0,
            vec![("array[32768:, 0]".into(), "waveform".into())]
        );
        let mut batch = voice.clone();
        batch.extend(&voice);
        assert_eq!(
            open("npy", &npy("<i2", "(2, 80000)", &batch)).0,
            vec![("array[0, 32768:]".into(), "waveform".into())]
        );
        // Noise throughout stays noise in the middle.
        let mut hiss = noise.clone();
        hiss.extend(&noise);
        assert_eq!(
            open("npy", &npy("<i2", "(80000,)", &int16(&hiss))).0,
            vec![]
        );
    }

    #[test]
    fn rows_join_where_one_signal_runs_on() {
        let wave: Vec<f32> = (0..4000).map(|i| (i as f32 / 9.0).sin()).collect();
        assert!(rows_join(&wave, 400));
        // Each row the same clip again: it restarts at every boundary.
        let clips: Vec<f32> = (0..4000).map(|i| ((i % 400) as f32 / 9.0).sin()).collect();
        assert!(!rows_join(&clips, 400));
        assert!(
            !rows_join(&wave[..1200], 400),
            "two boundaries are too few to tell"
        );
    }

    #[test]
    fn npy_waveforms_are_members_and_other_arrays_are_not() {
        let wave = npy("<i2", "(8000,)", &int16(&speechy(8000)));
        assert_eq!(
            open("npy", &wave).0,
            vec![("array[:]".into(), "waveform".into())]
        );
        let noise: Vec<u8> = crate::sniff::testutil::pseudo_random(16000, 9);
        assert_eq!(open("npy", &npy("<i2", "(8000,)", &noise)).0, vec![]);
        let image = npy("|u1", "(64, 64, 3)", &[7u8; 64 * 64 * 3]);
        assert_eq!(open("npy", &image).0, vec![]);
        // Declared larger than the bytes there: what there is gets judged, no panic.
        let cut = npy("<i2", "(800000,)", &int16(&speechy(4000)));
        assert_eq!(
            open("npy", &cut).0,
            vec![("array[:]".into(), "waveform".into())]
        );
    }

    #[test]
    fn tfrecord_float_lists_and_truncated_records() {
        let floats: Vec<u8> = speechy(6000).iter().flat_map(|v| v.to_le_bytes()).collect();
        // Feature { float_list { packed value } }, in an Example under key "wave".
        let varint = |n: usize| crate::sniff::testutil::leb128(n as u64);
        let field = |tag: u8, body: &[u8]| {
            let mut v = vec![tag];
            v.extend(varint(body.len()));
            v.extend(body);
            v
        };
        let feature = field(0x12, &field(0x0a, &floats));
        let mut entry = field(0x0a, b"wave");
        entry.extend(field(0x12, &feature));
        let example = field(0x0a, &field(0x0a, &entry));
        let mut rec = (example.len() as u64).to_le_bytes().to_vec();
        rec.extend(masked_crc32c(&rec).to_le_bytes());
        rec.extend(&example);
        rec.extend([0u8; 4]);
        assert_eq!(
            open("tfrecord", &rec).0,
            vec![("record 0/wave".into(), "waveform".into())]
        );
        // A list that opens on faint noise: judged in its middle too.
        let mut late: Vec<f32> = crate::sniff::testutil::pseudo_random(40_000, 5)
            .iter()
            .map(|&b| (f32::from(b) - 128.0) / 128.0 * 0.0008)
            .collect();
        late.extend(speechy(40_000));
        let late: Vec<u8> = late.iter().flat_map(|v| v.to_le_bytes()).collect();
        let mut entry = field(0x0a, b"wave");
        entry.extend(field(0x12, &field(0x12, &field(0x0a, &late))));
        let example = field(0x0a, &field(0x0a, &entry));
        let mut noisy = (example.len() as u64).to_le_bytes().to_vec();
        noisy.extend(masked_crc32c(&noisy).to_le_bytes());
        noisy.extend(&example);
        noisy.extend([0u8; 4]);
        assert_eq!(
            open("tfrecord", &noisy).0,
            vec![("record 0/wave[32768:]".into(), "waveform".into())]
        );
        // A second record cut short: the first still counts, the cut is a limit.
        let mut two = rec.clone();
        two.extend(&rec[..100]);
        let (members, limits) = open("tfrecord", &two);
        assert_eq!(members.len(), 1);
        assert!(limits[0].contains("past the end"), "{limits:?}");
        let record = |key: &str, value: &[u8]| {
            let example = field(
                0x0a,
                &field(0x0a, &{
                    let mut entry = field(0x0a, key.as_bytes());
                    entry.extend(field(0x12, &field(0x0a, &field(0x0a, value))));
                    entry
                }),
            );
            let mut rec = (example.len() as u64).to_le_bytes().to_vec();
            rec.extend(masked_crc32c(&rec).to_le_bytes());
            rec.extend(&example);
            rec.extend([0u8; 4]);
            rec
        };
        // Without a recording, every record is read: a key first met late
        // is judged, and so are binary values under a key met before.
        let text = record("caption", b"a person reading a sentence aloud");
        let blob = record("blob", &crate::sniff::testutil::pseudo_random(600, 3));
        let voice = record("clip", &crate::unpack::tests::wav());
        // The first records' blobs are members; the later ones, searched,
        // are not.
        let blobs: Vec<(String, String)> = (0..16)
            .map(|i| (format!("record {i}/blob"), "random-like".into()))
            .collect();
        for (filler, before) in [(&text, vec![]), (&blob, blobs.clone())] {
            let shard = [filler.repeat(40), voice.clone()].concat();
            let (members, limits) = open("tfrecord", &shard);
            let clip = ("record 40/clip".into(), "wav".into());
            assert_eq!(members, [before, vec![clip]].concat());
            assert_eq!(limits, Vec::<String>::new());
        }
        let late = record("blob", &crate::unpack::tests::wav());
        let shard = [blob.repeat(40), late].concat();
        let late = ("record 40/blob".into(), "wav".into());
        assert_eq!(open("tfrecord", &shard).0, [blobs, vec![late]].concat());
        assert_eq!(open("tfrecord", &text.repeat(40)).1, Vec::<String>::new());
        // Compressed values past the first records are opened 16 at most
        // (after the one judged where its feature was first met).
        let gz = {
            use std::io::Write;
            let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            e.write_all(b"a line of notes\n").unwrap();
            e.finish().unwrap()
        };
        let zipped = record("notes", &gz);
        let (members, limits) = open("tfrecord", &[text.repeat(16), zipped.repeat(40)].concat());
        assert_eq!(members.iter().filter(|(m, _)| !m.contains('!')).count(), 17);
        assert_eq!(
            limits,
            vec!["16 compressed values searched and opened; the rest not opened".to_string()]
        );
        // The search sniffs 4,096 values and follows 4,096 keys at most.
        let bin = record("bin", b"\x00\x01\x02\x03\x04\x05\x06\x07");
        assert_eq!(
            open("tfrecord", &bin.repeat(16 + 4097)).1,
            vec!["tfrecord: 4096 values searched; the rest not inspected".to_string()]
        );
        let keys: Vec<u8> = (0..=4096)
            .flat_map(|k| record(&format!("k{k}"), b"x"))
            .collect();
        assert_eq!(
            open("tfrecord", &keys).1,
            vec![
                "tfrecord: more than 4096 feature keys; records from 4096 on not inspected"
                    .to_string()
            ]
        );
        // Past the first records of a shard that holds a recording, the
        // rest are not read: a key whose binary values held none is a
        // limit, one that held text, numbers or audio is not.
        assert_eq!(open("tfrecord", &rec.repeat(17)).1, Vec::<String>::new());
        let with = |filler: &[u8]| [rec.clone(), filler.repeat(16)].concat();
        assert_eq!(open("tfrecord", &with(&text)).1, Vec::<String>::new());
        let limits = open("tfrecord", &with(&blob)).1;
        assert_eq!(limits.len(), 1, "{limits:?}");
        assert!(limits[0]
            .contains("tfrecord feature blob: binary values looked at in the first 16 records"));
        assert_eq!(
            open("tfrecord", &[rec.clone(), blob.repeat(15)].concat()).1,
            Vec::<String>::new()
        );
        // Without one, the read budget bounds the walk, and says so.
        let limits = open(
            "tfrecord",
            &text.repeat((READ_BUDGET as usize) / text.len() * 9 / 8),
        )
        .1;
        assert_eq!(limits.len(), 1, "{limits:?}");
        assert!(
            limits[0].contains("read budget of 8 MiB used up"),
            "{limits:?}"
        );
    }

    #[test]
    fn a_silk_header_in_a_feature_is_a_registered_format() {
        // Fuzzing found: a bytes feature opening with SILK's magic made the
        // audio detector report "silk", an id missing from the registry.
        let value = b"\x02#!SILK_V3 and then some bytes that are not frames";
        let mut feature = vec![0x0a, value.len() as u8 + 2, 0x0a, value.len() as u8];
        feature.extend(value);
        let mut entry = vec![0x0a, 4];
        entry.extend(b"clip");
        entry.extend([0x12, feature.len() as u8]);
        entry.extend(&feature);
        let mut example = vec![0x0a, entry.len() as u8 + 2, 0x0a, entry.len() as u8];
        example.extend(&entry);
        let mut rec = (example.len() as u64).to_le_bytes().to_vec();
        rec.extend(masked_crc32c(&rec).to_le_bytes());
        rec.extend(&example);
        rec.extend([0u8; 4]);
        let _ = open("tfrecord", &rec);
        assert!(crate::sniff::formats::is_known("silk"));
    }

    /// Zero buffers are looked through for a signal only with half the
    /// reads a container has: the voice after three of 3 MiB is judged.
    #[test]
    fn zero_buffers_do_not_use_up_the_reads_of_the_tensors_after_them() {
        let wave = int16(&speechy(8000));
        let zeros = 3 << 20;
        let mut entries: Vec<String> = (0..3)
            .map(|i| {
                format!(
                    r#""cache{i}":{{"dtype":"F32","shape":[{}],"data_offsets":[{},{}]}}"#,
                    zeros / 4,
                    i * zeros,
                    (i + 1) * zeros
                )
            })
            .collect();
        entries.push(format!(
            r#""z":{{"dtype":"I16","shape":[8000],"data_offsets":[{},{}]}}"#,
            3 * zeros,
            3 * zeros + wave.len()
        ));
        let json = format!("{{{}}}", entries.join(","));
        let mut b = (json.len() as u64).to_le_bytes().to_vec();
        b.extend(json.as_bytes());
        b.resize(b.len() + 3 * zeros, 0);
        b.extend(&wave);
        let (members, limits) = open("safetensors", &b);
        assert_eq!(
            members,
            vec![("z[:]".to_string(), "waveform".to_string())],
            "{limits:?}"
        );
    }

    #[test]
    fn safetensors_tensors_are_judged_by_values_not_names() {
        let wave = int16(&speechy(8000));
        let json = format!(
            r#"{{"__metadata__":{{"x":"y"}},"embedding":{{"dtype":"F32","shape":[4,4],"data_offsets":[0,64]}},"z":{{"dtype":"I16","shape":[8000],"data_offsets":[64,{}]}}}}"#,
            64 + wave.len()
        );
        let mut b = (json.len() as u64).to_le_bytes().to_vec();
        b.extend(json.as_bytes());
        b.extend([0u8; 64]);
        b.extend(&wave);
        assert_eq!(
            open("safetensors", &b).0,
            vec![("z[:]".into(), "waveform".into())]
        );
        // Offsets that do not match the shape are refused, and said so.
        let mut wrong = b.clone();
        let at = 8 + json.find("[64,").unwrap() + 1;
        wrong[at..at + 2].copy_from_slice(b"66");
        let (members, limits) = open("safetensors", &wrong);
        assert!(
            members.is_empty() && limits[0].contains("do not fit"),
            "{limits:?}"
        );
    }

    /// A stored zip of `locals` (name, data), then a directory entry for
    /// each of `listed` (name, index of the local header it points at).
    fn stored_zip(locals: &[(&str, &[u8])], listed: &[(&str, usize)]) -> Vec<u8> {
        let mut z = Vec::new();
        let mut offsets = Vec::new();
        for (name, data) in locals {
            offsets.push(z.len() as u32);
            z.extend(b"PK\x03\x04\x14\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00");
            z.extend((data.len() as u32).to_le_bytes());
            z.extend((data.len() as u32).to_le_bytes());
            z.extend((name.len() as u16).to_le_bytes());
            z.extend([0, 0]);
            z.extend(name.as_bytes());
            z.extend(*data);
        }
        let cd_at = z.len() as u32;
        for &(name, i) in listed {
            let data = locals[i].1;
            z.extend(b"PK\x01\x02\x14\x00\x14\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00");
            z.extend((data.len() as u32).to_le_bytes());
            z.extend((data.len() as u32).to_le_bytes());
            z.extend((name.len() as u16).to_le_bytes());
            z.extend([0u8; 12]);
            z.extend(offsets[i].to_le_bytes());
            z.extend(name.as_bytes());
        }
        let cd_len = z.len() as u32 - cd_at;
        z.extend(b"PK\x05\x06\x00\x00\x00\x00");
        z.extend((listed.len() as u16).to_le_bytes());
        z.extend((listed.len() as u16).to_le_bytes());
        z.extend(cd_len.to_le_bytes());
        z.extend(cd_at.to_le_bytes());
        z.extend([0, 0]);
        z
    }

    /// A pickle's arrays and byte strings are judged, and so are bytes
    /// behind it that no pickle opcode explains.
    #[test]
    fn a_pickle_s_arrays_bytes_and_what_follows_it_are_judged() {
        use super::pickle::tests::numpy_p2;
        let voice = int16(&dataset::speechy(8000));
        let wav = crate::unpack::tests::wav();
        // An int16 array of speech, protocol 2.
        let p = numpy_p2(&voice, "i2");
        let (members, limits) = open("pickle", &p);
        assert_eq!(members, [("audio[:]".into(), "waveform".into())]);
        assert!(limits.is_empty(), "{limits:?}");
        // The same array read as bytes of a WAV: the WAV.
        let (members, _) = open("pickle", &numpy_p2(&wav, "i2"));
        assert_eq!(members, [("audio".into(), "wav".into())]);
        // A WAV written behind the pickle, and behind a second pickle.
        let quiet = numpy_p2(&vec![0u8; 2000], "i2");
        let behind = [&quiet[..], &quiet, &wav].concat();
        let (members, limits) = open("pickle", &behind);
        let at = 2 * quiet.len();
        assert_eq!(members, [(format!("unread@{at}"), "wav".into())]);
        assert!(limits.is_empty(), "{limits:?}");
        let appended = [&quiet[..], &p].concat();
        let (members, _) = open("pickle", &appended);
        assert_eq!(members, [("audio#2[:]".into(), "waveform".into())]);
        // An opcode not understood past the head (one within it is no
        // pickle): a limit, and the bytes from there judged.
        let long = numpy_p2(&vec![0u8; 70_000], "i2");
        let mut odd = long[..long.len() - 1].to_vec();
        odd.push(0x01);
        let from = odd.len() - 1;
        odd.extend(&wav);
        let (members, limits) = open("pickle", &odd);
        assert_eq!(members, [(format!("unread@{from}"), "wav".into())]);
        assert_eq!(
            limits,
            [format!("pickle: opcode 0x01 at {from} not understood; the bytes from there judged as a file")]
        );
        // Cut short: said so.
        let (_, limits) = open("pickle", &p[..p.len() - 3]);
        assert_eq!(limits, ["pickle: cut short before its STOP"]);
        // A base64 WAV kept as a string.
        let b64 = {
            use base64::Engine;
            base64::engine::general_purpose::STANDARD.encode(&wav)
        };
        let mut s = b"\x80\x04}\x8c\x04clip\x8d".to_vec();
        s.extend((b64.len() as u64).to_le_bytes());
        s.extend(b64.as_bytes());
        s.extend(b"s.");
        let (members, _) = open("pickle", &s);
        assert!(
            members.contains(&("clip!/base64@0".into(), "wav".into())),
            "{members:?}"
        );
    }

    /// Weights do not count toward the tensors judged per checkpoint: a
    /// voice kept after a hundred weight matrices is judged, no limit.
    #[test]
    fn a_checkpoint_s_weights_leave_its_recording_judged() {
        let string = |p: &mut Vec<u8>, s: &str| {
            p.push(b'X');
            p.extend((s.len() as u32).to_le_bytes());
            p.extend(s.as_bytes());
        };
        // name: _rebuild_tensor_v2(('storage', FloatStorage, key, 'cpu',
        // numel), 0, shape, stride, False, OrderedDict()), as WAVEFORM_PKL.
        let record = |p: &mut Vec<u8>, name: &str, key: &str, shape: &[u32]| {
            string(p, name);
            p.extend(b"ctorch._utils\n_rebuild_tensor_v2\n((");
            string(p, "storage");
            p.extend(b"ctorch\nFloatStorage\n");
            string(p, key);
            string(p, "cpu");
            p.push(b'J');
            p.extend(shape.iter().product::<u32>().to_le_bytes());
            p.extend(b"tQK\x00(");
            for d in shape {
                p.push(b'J');
                p.extend(d.to_le_bytes());
            }
            p.extend(b"t(");
            for (i, _) in shape.iter().enumerate() {
                p.push(b'J');
                p.extend(shape[i + 1..].iter().product::<u32>().to_le_bytes());
            }
            p.extend(b"t\x89ccollections\nOrderedDict\n)RtR");
        };
        let voice: Vec<u8> = dataset::speechy(12800)
            .iter()
            .flat_map(|v| (v * 0.5).to_le_bytes())
            .collect();
        let weight = vec![0x3cu8; 8 * 8 * 4];
        let mut pkl = b"\x80\x02}(".to_vec();
        let mut names = Vec::new();
        for i in 0..100 {
            record(
                &mut pkl,
                &format!("layer{i}.weight"),
                &i.to_string(),
                &[8, 8],
            );
            names.push(format!("archive/data/{i}"));
        }
        record(&mut pkl, "voice", "v", &[12800]);
        pkl.extend(b"u.");
        let mut locals: Vec<(&str, &[u8])> = vec![("archive/data.pkl", &pkl)];
        locals.extend(names.iter().map(|n| (n.as_str(), &weight[..])));
        locals.push(("archive/data/v", &voice));
        let listed: Vec<(&str, usize)> = locals.iter().enumerate().map(|(i, l)| (l.0, i)).collect();
        let (members, limits) = open("pytorch", &stored_zip(&locals, &listed));
        assert!(
            members.contains(&("voice[:]".into(), "waveform".into())),
            "{members:?}"
        );
        assert!(limits.is_empty(), "{limits:?}");
    }

    /// The legacy `torch.save` stream: pickles (magic number, protocol
    /// version, system info, the object, its storage keys), then each
    /// storage as an element count and its elements. Its tensors are
    /// judged by dtype and shape; bytes that do not lay out so are a file.
    #[test]
    fn a_legacy_torch_stream_s_storages_are_its_tensors() {
        use super::pickle::tests::WAVEFORM_PKL;
        let voice: Vec<u8> = dataset::speechy(12800)
            .iter()
            .flat_map(|v| (v * 0.5).to_le_bytes())
            .collect();
        let mut stream =
            b"\x80\x02\x8a\x0al\xfc\x9cF\xf9 j\xa8P\x19.\x80\x02M\xe9\x03.\x80\x02}q\x00.".to_vec();
        stream.extend(WAVEFORM_PKL);
        stream.extend(b"\x80\x02]q\x00X\x01\x00\x00\x000a.");
        stream.extend(12800u64.to_le_bytes());
        stream.extend(&voice);
        let (members, limits) = open("pickle", &stream);
        assert_eq!(members, [("waveform[:]".into(), "waveform".into())]);
        assert!(limits.is_empty(), "{limits:?}");
        // A count that does not fit the bytes: judged as a file instead.
        let at = stream.len() - voice.len() - 8;
        stream[at..at + 8].copy_from_slice(&12801u64.to_le_bytes());
        let (members, _) = open("pickle", &stream);
        assert!(
            members.iter().all(|(m, _)| m.starts_with("unread@")),
            "{members:?}"
        );
    }

    /// Other containers that hold a pickle: a `.pt` whose `data.pkl` holds
    /// a NumPy array (read from the pickle's own 4 MiB, past the member
    /// budget of the walk), and an `.npy` of Python objects.
    #[test]
    fn pickles_inside_torch_zips_and_object_arrays_are_read() {
        use super::pickle::tests::numpy_p2;
        // 20 s of samples: a data.pkl well past 256 KiB.
        let voice = int16(&dataset::speechy(160_000));
        let pkl = numpy_p2(&voice, "i2");
        assert!(pkl.len() > 300_000);
        let z = stored_zip(
            &[("archive/data.pkl", &pkl), ("archive/version", b"3\n")],
            &[("archive/data.pkl", 0), ("archive/version", 1)],
        );
        let (members, limits) = open("pytorch", &z);
        assert!(
            members.contains(&("archive/data.pkl!/audio[:]".into(), "waveform".into())),
            "{members:?} {limits:?}"
        );
        assert!(members.contains(&("archive/data.pkl".into(), "pickle".into())));
        assert!(limits.is_empty(), "{limits:?}");
        // np.save of an object array: the header, then protocol 3.
        let mut objects = b"\x80\x03]q\x00(cnumpy.core.multiarray\n_reconstruct\ncnumpy\nndarray\nK\x00\x85C\x01b\x87R(K\x01M\x40\x1f\x85cnumpy\ndtype\nX\x02\x00\x00\x00i2\x89\x88\x87R(K\x03X\x01\x00\x00\x00<NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00tb\x89B".to_vec();
        let clip = &voice[..16_000];
        objects.extend((clip.len() as u32).to_le_bytes());
        objects.extend(clip);
        objects.extend(b"tbX\x01\x00\x00\x00xe.");
        let (members, limits) = open("npy", &npy("|O", "(2,)", &objects));
        assert_eq!(members.len(), 1, "{members:?} {limits:?}");
        assert_eq!(members[0].1, "waveform");
    }

    /// A torch zip's storage is skipped by the member walk only when its
    /// tensor settles it: a view of all of it, from a pickle read to its
    /// end, through a local header no other directory entry shares. Else
    /// the storage is walked like any member, and its samples are found
    /// there too.
    #[test]
    fn torch_storages_are_skipped_only_when_their_tensors_settle_them() {
        use super::pickle::tests::WAVEFORM_PKL;
        // The pickle's tensor: FloatStorage '0', 12,800 elements, [12800].
        let wave: Vec<u8> = speechy(12800)
            .iter()
            .flat_map(|v| v.to_le_bytes())
            .collect();
        let locals =
            |pkl: &'static [u8]| vec![("archive/data.pkl", pkl), ("archive/data/0", &wave[..])];
        let walked = |z: &[u8]| {
            let (members, limits) = open("pytorch", z);
            assert!(
                members.contains(&("waveform[:]".into(), "waveform".into())),
                "{members:?} {limits:?}"
            );
            members
                .iter()
                .filter(|(m, _)| m.starts_with("archive/data/") || m.starts_with("archive/x"))
                .count()
        };
        let plain = stored_zip(
            &locals(WAVEFORM_PKL),
            &[("archive/data.pkl", 0), ("archive/data/0", 1)],
        );
        assert_eq!(walked(&plain), 0, "settled");
        // A second directory entry on the storage's local header.
        let aliased = stored_zip(
            &locals(WAVEFORM_PKL),
            &[
                ("archive/data.pkl", 0),
                ("archive/data/0", 1),
                ("archive/x", 1),
            ],
        );
        // (both entries are then overlapping members: a limit, not silence),
        // and so is a second entry of the same name on it.
        let twice = stored_zip(
            &locals(WAVEFORM_PKL),
            &[
                ("archive/data.pkl", 0),
                ("archive/data/0", 1),
                ("archive/data/0", 1),
            ],
        );
        for z in [aliased, twice] {
            let (_, limits) = open("pytorch", &z);
            assert!(limits[0].starts_with("data overlaps member"), "{limits:?}");
        }
        // A pickle that stops before its STOP.
        let cut = &WAVEFORM_PKL[..WAVEFORM_PKL.len() - 1];
        let unfinished = stored_zip(
            &locals(cut),
            &[("archive/data.pkl", 0), ("archive/data/0", 1)],
        );
        assert_eq!(
            walked(&unfinished),
            1,
            "a storage of an unfinished pickle is walked"
        );
    }

    /// Protobuf by hand for the ONNX tests: varints, then a
    /// length-delimited field.
    fn leb(values: &[u64]) -> Vec<u8> {
        values
            .iter()
            .flat_map(|&v| crate::sniff::testutil::leb128(v))
            .collect()
    }

    fn pb(field: u64, body: &[u8]) -> Vec<u8> {
        [leb(&[field << 3 | 2, body.len() as u64]), body.to_vec()].concat()
    }

    /// A `TensorProto` of int16 samples: dims, data_type 5, name, raw_data.
    fn onnx_tensor(name: &str, dims: &[u64], raw: &[u8]) -> Vec<u8> {
        let mut t: Vec<u8> = dims.iter().flat_map(|&d| leb(&[0x08, d])).collect();
        t.extend([0x10, 5]);
        t.extend(pb(8, name.as_bytes()));
        t.extend(pb(9, raw));
        t
    }

    /// A `ModelProto` (IR version 8) around `graph`.
    fn onnx_model(graph: &[u8]) -> Vec<u8> {
        let mut m = vec![0x08, 0x08];
        m.extend(pb(2, b"test"));
        m.extend(pb(7, graph));
        m
    }

    #[test]
    fn onnx_tensors_are_judged_wherever_the_graph_keeps_them() {
        let wave = int16(&speechy(4096));
        let noise: Vec<u8> = crate::sniff::testutil::pseudo_random(8192, 9);
        let weights = onnx_tensor("w", &[64, 64], &noise);
        let voice = onnx_tensor("", &[1, 4096], &wave);
        // An initializer whose shape is no signal is not judged; the same
        // samples as the value of a Constant inside an If's branch are.
        let attribute = [pb(1, b"value"), pb(5, &voice)].concat();
        let constant = [pb(4, b"Constant"), pb(5, &attribute)].concat();
        let branch = pb(1, &constant);
        let node = [
            pb(4, b"If"),
            pb(5, &[pb(1, b"else_branch"), pb(6, &branch)].concat()),
        ]
        .concat();
        let graph = [pb(1, &node), pb(5, &weights)].concat();
        let (members, limits) = open("onnx", &onnx_model(&graph));
        assert!(limits.is_empty(), "{limits:?}");
        assert_eq!(members, vec![("tensor#0[0, :]".into(), "waveform".into())]);
        // A vector of the samples, named, as an initializer.
        let flat = [0x08, 0x80, 0x20, 0x10, 5]
            .into_iter()
            .chain(pb(8, b"prompt"))
            .chain(pb(9, &wave))
            .collect::<Vec<u8>>();
        let (members, _) = open("onnx", &onnx_model(&pb(5, &flat)));
        assert_eq!(members, vec![("prompt[:]".into(), "waveform".into())]);
        // Data that does not fit the shape is said so, not read as it.
        let short = onnx_tensor("cut", &[1, 4096], &wave[..100]);
        let (members, limits) = open("onnx", &onnx_model(&pb(5, &short)));
        assert!(
            members.is_empty() && limits[0].contains("not what its shape declares"),
            "{limits:?}"
        );
    }

    /// Every place protobuf readers take a tensor from: typed fields,
    /// sparse initializers, a second graph field, functions, training
    /// graphs, attribute lists; raw data before a decoy; files kept as
    /// strings or bytes.
    #[test]
    fn onnx_tensors_are_found_wherever_a_reader_would_take_them() {
        let speech = speechy(4096);
        let wave = int16(&speech);
        let raw = onnx_tensor("v", &[1, 4096], &wave);
        // int32_data: int16 values sign-extended to varints.
        let ints: Vec<u64> = wave
            .chunks(2)
            .map(|c| i64::from(i16::from_le_bytes([c[0], c[1]])) as u64)
            .collect();
        let typed = [
            leb(&[0x08, 1, 0x08, 4096, 0x10, 5]),
            pb(8, b"v"),
            pb(5, &leb(&ints)),
        ]
        .concat();
        let floats: Vec<u8> = speech.iter().flat_map(|v| v.to_le_bytes()).collect();
        let noise: Vec<u8> = crate::sniff::testutil::pseudo_random(4 * 4096, 4);
        let raw_then_decoy = [
            leb(&[0x08, 1, 0x08, 4096, 0x10, 1]),
            pb(8, b"v"),
            pb(9, &floats),
            pb(4, &noise),
        ]
        .concat();
        let constant = |tensor: &[u8]| {
            let attribute = [pb(1, b"value"), pb(5, tensor)].concat();
            [pb(4, b"Constant"), pb(5, &attribute)].concat()
        };
        let attribute_floats = pb(
            1,
            &[
                pb(4, b"Constant"),
                pb(5, &[pb(1, b"value_floats"), pb(7, &floats)].concat()),
            ]
            .concat(),
        );
        // proto2 writes repeated numbers one field each: value_floats
        // (field 7, fixed32) and, from some writers, float_data (field 4).
        let one_by_one = |key: u8| -> Vec<u8> {
            speech
                .iter()
                .flat_map(|v| [&[key][..], &v.to_le_bytes()].concat())
                .collect()
        };
        let unpacked_floats = pb(
            1,
            &[
                pb(4, b"Constant"),
                pb(5, &[pb(1, b"value_floats"), one_by_one(0x3d)].concat()),
            ]
            .concat(),
        );
        let unpacked_data = [
            leb(&[0x08, 1, 0x08, 4096, 0x10, 1]),
            pb(8, b"v"),
            one_by_one(0x25),
        ]
        .concat();
        let model = |graph: &[u8], more: &[u8]| [onnx_model(graph), more.to_vec()].concat();
        // An attribute's `t` written twice (shape, then data): merged.
        let split_t = pb(
            1,
            &[
                pb(4, b"Constant"),
                pb(
                    5,
                    &[
                        pb(1, b"value"),
                        pb(5, &leb(&[0x08, 1, 0x08, 4096, 0x10, 5])),
                        pb(5, &[pb(8, b"v"), pb(9, &wave)].concat()),
                    ]
                    .concat(),
                ),
            ]
            .concat(),
        );
        // A stray int64_data element before float_data written one by one;
        // float_data as two packed runs, which protobuf joins.
        let stray = [
            leb(&[0x08, 1, 0x08, 4096, 0x10, 1, 0x38, 5]),
            pb(8, b"v"),
            one_by_one(0x25),
        ]
        .concat();
        let two_runs = [
            leb(&[0x08, 1, 0x08, 4096, 0x10, 1]),
            pb(8, b"v"),
            pb(4, &floats[..8000]),
            pb(4, &floats[8000..]),
        ]
        .concat();
        // Seventy nodes with small packed `ints` attributes before the voice.
        let conv = pb(
            1,
            &[
                pb(4, b"Conv"),
                pb(5, &[pb(1, b"kernel_shape"), pb(8, &leb(&[3, 3]))].concat()),
            ]
            .concat(),
        );
        let convs_then_voice = [conv.repeat(70), pb(5, &raw)].concat();
        let name_only = pb(2, b"g");
        let cases: Vec<(&str, Vec<u8>, &str)> = vec![
            ("int32_data", model(&pb(5, &typed), &[]), "v[0, :]"),
            (
                "sparse initializer",
                model(&pb(15, &pb(1, &raw)), &[]),
                "v[0, :]",
            ),
            (
                "a second graph field",
                model(&name_only, &pb(7, &pb(5, &raw))),
                "v[0, :]",
            ),
            (
                "a function's Constant",
                model(
                    &name_only,
                    &pb(25, &[pb(1, b"f"), pb(7, &constant(&raw))].concat()),
                ),
                "v[0, :]",
            ),
            (
                "a training graph",
                model(&name_only, &pb(20, &pb(1, &pb(5, &raw)))),
                "v[0, :]",
            ),
            (
                "raw data before a decoy",
                model(&pb(5, &raw_then_decoy), &[]),
                "v[0, :]",
            ),
            ("value_floats", model(&attribute_floats, &[]), "floats@"),
            (
                "value_floats one by one",
                model(&unpacked_floats, &[]),
                "floats@",
            ),
            (
                "an attribute tensor written twice",
                model(&split_t, &[]),
                "v[0, :]",
            ),
            (
                "a stray element of another field",
                model(&pb(5, &stray), &[]),
                "v[0, :]",
            ),
            ("two packed runs", model(&pb(5, &two_runs), &[]), "v[0, :]"),
            (
                "small int lists before",
                model(&convs_then_voice, &[]),
                "v[0, :]",
            ),
            (
                "float_data one by one",
                model(&pb(5, &unpacked_data), &[]),
                "v[0, :]",
            ),
        ];
        for (what, bytes, member) in cases {
            let (members, limits) = open("onnx", &bytes);
            assert_eq!(members.len(), 1, "{what}: {members:?} {limits:?}");
            assert_eq!(members[0].1, "waveform", "{what}");
            assert!(members[0].0.contains(member), "{what}: {members:?}");
            assert!(limits.is_empty(), "{what}: {limits:?}");
        }
        // A WAV kept as a string attribute, and as a uint8 tensor.
        let mut wav = b"RIFF".to_vec();
        wav.extend((36 + wave.len() as u32).to_le_bytes());
        wav.extend(b"WAVEfmt \x10\0\0\0\x01\0\x01\0\x40\x1f\0\0\x80\x3e\0\0\x02\0\x10\0data");
        wav.extend((wave.len() as u32).to_le_bytes());
        wav.extend(&wave);
        let as_string = pb(
            1,
            &[pb(4, b"Note"), pb(5, &[pb(1, b"s"), pb(4, &wav)].concat())].concat(),
        );
        let as_bytes = pb(
            5,
            &[
                leb(&[0x08, wav.len() as u64, 0x10, 2]),
                pb(8, b"blob"),
                pb(9, &wav),
            ]
            .concat(),
        );
        // The fifth string of a STRING tensor, after four short ones.
        let fifth = [leb(&[0x08, 5, 0x10, 8]), pb(6, b"a").repeat(4), pb(6, &wav)].concat();
        for graph in [as_string, as_bytes, pb(5, &fifth)] {
            let (members, _) = open("onnx", &onnx_model(&graph));
            assert_eq!(
                members.iter().map(|m| m.1.as_str()).collect::<Vec<_>>(),
                ["wav"]
            );
        }
        // A tensor kept in an external file is said, not passed over.
        let external = [
            leb(&[0x08, 1, 0x08, 4096, 0x10, 5]),
            pb(8, b"ext"),
            leb(&[0x70, 1]),
        ]
        .concat();
        let (members, limits) = open("onnx", &onnx_model(&pb(5, &external)));
        assert!(members.is_empty());
        assert!(
            limits
                .iter()
                .any(|l| l.contains("external files (the first: ext)")),
            "{limits:?}"
        );
    }

    #[test]
    fn hostile_onnx_structures_end_in_limits() {
        // Subgraphs nested past the bound.
        let mut graph = pb(5, &onnx_tensor("x", &[4], &[0; 8]));
        for _ in 0..12 {
            let attribute = [pb(1, b"body"), pb(6, &graph)].concat();
            graph = pb(1, &[pb(4, b"Loop"), pb(5, &attribute)].concat());
        }
        let (_, limits) = open("onnx", &onnx_model(&graph));
        assert!(
            limits.iter().any(|l| l.contains("nested deeper")),
            "{limits:?}"
        );
        // A field longer than its message; a key cut short; a wire type 7.
        for (bad, says) in [
            (
                vec![0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f],
                "a field runs past its message",
            ),
            (vec![0x0a, 0x02, 0x2a, 0x80], "a length is cut short"),
            (vec![0x0a, 0x00, 0x0f], "wire type 7"),
        ] {
            let (members, limits) = open("onnx", &onnx_model(&[pb(2, b"g"), bad.clone()].concat()));
            assert!(members.is_empty(), "{bad:?}");
            assert_eq!(limits, [format!("onnx: {says}")], "{bad:?}");
        }
        // Thousands of initializers, each behind data the walk steps over:
        // the structure reads are bounded.
        let one = pb(5, &onnx_tensor("t", &[50, 50], &[0u8; 5000]));
        let many = one.repeat(2500);
        let (_, limits) = open("onnx", &onnx_model(&many));
        assert!(
            limits.iter().any(|l| l.contains("reads of its structure")),
            "{limits:?}"
        );
    }

    #[test]
    fn kaldi_wav_entries_are_sniffed_and_float_vectors_judged() {
        let pcm = int16(&speechy(8000));
        let mut wav = b"RIFF".to_vec();
        wav.extend((36 + pcm.len() as u32).to_le_bytes());
        wav.extend(b"WAVEfmt \x10\0\0\0\x01\0\x01\0\x40\x1f\0\0\x80\x3e\0\0\x02\0\x10\0data");
        wav.extend((pcm.len() as u32).to_le_bytes());
        wav.extend(&pcm);
        let mut ark = b"utt1 ".to_vec();
        ark.extend(&wav);
        ark.extend(b"utt2 \0BFV \x04");
        ark.extend(6000u32.to_le_bytes());
        ark.extend(speechy(6000).iter().flat_map(|v| v.to_le_bytes()));
        let (members, limits) = open("kaldi-ark", &ark);
        assert_eq!(
            members,
            vec![
                ("utt1".into(), "wav".into()),
                ("utt2[:]".into(), "waveform".into())
            ]
        );
        assert!(limits.is_empty(), "{limits:?}");
    }

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
        assert_eq!(
            p(&[1, 3, 2048, 2048]),
            None,
            "a large image, channels first"
        );
        // Ambiguous by shape alone: [batch, samples, 1] and a grey [H, W, 1]
        // image; the values decide (an image row is smooth but rarely
        // oscillates around zero like sound).
        assert_eq!(p(&[32, 16000, 1]), Some((1, 16000, "[0, :, 0]".into())));
        // Trailing axes of one are no channels.
        assert_eq!(p(&[16000, 1, 1]), Some((1, 16000, "[:, 0, 0]".into())));
        assert_eq!(
            p(&[1, 16000, 1, 1]),
            Some((1, 16000, "[0, :, 0, 0]".into()))
        );
        assert_eq!(p(&[64, 64, 1, 1]), None, "still an image");
        assert_eq!(p(&[1, 1]), None);
        assert_eq!(p(&[1000]), None);
        assert_eq!(
            p(&[u64::MAX, 4]),
            Some((4, MAX_WAVEFORM as u64, "[:, 0]".into())),
            "an element count that overflows, planned as any other"
        );
        assert_eq!(
            p(&[1 << 32, 1 << 32]),
            Some((1, MAX_WAVEFORM as u64, "[0, :]".into()))
        );
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
