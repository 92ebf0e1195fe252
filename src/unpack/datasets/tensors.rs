//! Tensor files: NumPy `.npy` (alone or inside an `.npz`, which the zip
//! walker opens member by member), safetensors and PyTorch `torch.save`
//! zips. The header (dict literal, JSON table, pickle) gives each tensor's
//! dtype, shape and data offset; the planned slice of each numeric tensor
//! is read and judged as a waveform, whatever the tensor is called.

use std::collections::{BTreeMap, HashMap, HashSet};

use super::pickle;
use super::{malformed, Dtype, Reader, Step, Stop};
use crate::sniff::dataset::{npy_header, MAX_WAVEFORM};
use crate::sniff::{self, Sample, Window};
use crate::unpack::{chain, Level, Limit, Member, Walk};

/// Largest safetensors header read (the reference reader allows 100 MB;
/// real ones are a few KiB per hundred tensors).
const MAX_HEADER: u64 = 4 << 20;
/// Largest pickle read: a `data.pkl`, a joblib or other pickle file.
const MAX_PICKLE: u64 = 4 << 20;
/// Tensors judged per file.
pub(super) const MAX_TENSORS: usize = 64;
/// Bytes of a tensor that cannot be a signal read to see whether they
/// name a file format (a WAV kept as an int16 matrix): a header's worth.
const HEADER_PEEK: u64 = 4096;
/// Byte strings, arrays and runs of numbers judged per pickle (arrays no
/// axis of which can hold a signal are looked at for a header only and
/// are not counted).
const MAX_PAYLOADS: usize = 256;
/// Pickles read one after another from one object: `pickle.dump` called
/// again on an open file appends another.
const MAX_PICKLES: usize = 64;

/// A NumPy dtype string: `<f4`, `>i2`, `|u1` …
fn numpy_dtype(descr: &str) -> Option<(Dtype, bool)> {
    // `get`, not `split_at`: a pickle's dtype may open with a wide character.
    let (order, code) = (descr.get(..1)?, descr.get(1..)?);
    let big_endian = match order {
        "<" | "|" | "=" => false,
        ">" => true,
        _ => return None,
    };
    let dtype = match code {
        "f2" | "e" => Dtype::F16,
        "f4" | "f" => Dtype::F32,
        "f8" | "d" => Dtype::F64,
        "i2" | "h" => Dtype::I16,
        "i4" | "i" => Dtype::I32,
        "i8" | "q" => Dtype::I64,
        _ => return None,
    };
    Some((dtype, big_endian))
}

/// Bytes a tensor file holds as numbers that name a file format all the
/// same (an audio container, a biometric record, an archive, compressed
/// stream or tensor file that may hold one): walked as a member. The headerless tests
/// (raw PCM, G.722, GSM) are not asked: weights pass them; nor is the
/// randomness battery (quantised and trained weights can look random).
pub(super) fn names_a_file(s: &crate::sniff::Sniff) -> bool {
    use crate::sniff::Class;
    let named = matches!(s.class, Class::Audio | Class::Biometric | Class::Compressed)
        || super::opens(&s.format);
    named && !matches!(&*s.format, "raw-pcm" | "g722" | "gsm")
}

fn safetensors_dtype(name: &str) -> Option<Dtype> {
    Some(match name {
        "F16" => Dtype::F16,
        "BF16" => Dtype::BF16,
        "F32" => Dtype::F32,
        "F64" => Dtype::F64,
        "I16" => Dtype::I16,
        "I32" => Dtype::I32,
        "I64" => Dtype::I64,
        _ => return None,
    })
}

impl Walk<'_> {
    pub(super) fn npy(&mut self, level: &Level<'_, '_>, prefix: &str, depth: u32) -> Step<()> {
        let mut r = Reader::new(level);
        let head = r.from(0, sniff::HEAD_LEN)?;
        let Some(h) = npy_header(&head) else {
            return malformed("header does not parse");
        };
        // An array of Python objects (`allow_pickle`: ragged clips, dicts)
        // is a pickle behind the header.
        if h.descr.as_deref() == Some("|O") {
            let size = r.size().saturating_sub(h.data_at);
            if size == 0 {
                return Ok(());
            }
            let held = r
                .from(h.data_at, size.min(MAX_PICKLE) as usize)?
                .into_owned();
            let origin = usize::try_from(h.data_at).unwrap_or(usize::MAX);
            return self.pickle_held(&held, None, size, origin, prefix, depth);
        }
        // Records whose fields are all of one numeric type (a stereo pair
        // as fields `left`, `right`) are that type's samples side by side:
        // an array with one more axis, of the fields as channels.
        let channels = h
            .fields
            .as_ref()
            .filter(|f| f.len() as u64 <= super::MAX_CHANNELS && f.iter().all(|t| *t == f[0]));
        let descr = match channels {
            Some(f) => Some(f[0].as_str()),
            None => h.descr.as_deref(),
        };
        let Some((dtype, big_endian)) = descr.and_then(numpy_dtype) else {
            return self.npy_other(&mut r, &h, prefix, depth);
        };
        // Fortran order is C order of the transposed shape.
        let mut shape = h.shape.clone();
        if h.fortran_order {
            shape.reverse();
        }
        if let Some(f) = channels {
            shape.push(f.len() as u64);
        }
        if super::plan(&shape).is_some() {
            self.tensor(
                &mut r, prefix, "array", h.data_at, dtype, big_endian, &shape,
            )?;
        } else if let Some((rows, cols)) = super::frame_shape(&shape) {
            // The one array of the file: read as far as is judged.
            let count = rows.saturating_mul(cols).min(MAX_WAVEFORM as u64);
            let want = count.saturating_mul(dtype.size() as u64);
            let Some(budget) = self.remaining(prefix) else {
                return Ok(());
            };
            let data = r.from(h.data_at, want.min(budget) as usize)?;
            self.spent += data.len() as u64;
            self.frames_held(&data, prefix, "array", dtype, big_endian, &shape);
        }
        Ok(())
    }

    /// An array of a dtype not judged as samples: bytes (`|u1`, `|i1`),
    /// records of fields (a structured dtype), strings, complex numbers.
    /// Its bytes are judged as a file where they name a file format (a
    /// WAV kept as `np.frombuffer(wav, np.uint8)`); the headerless tests
    /// are not asked of them, as of any tensor's (8-bit images pass for
    /// samples). Records of fields may hold samples side by side (a
    /// stereo pair as fields `left`, `right`) that are not read: a limit
    /// says so. Bytes, booleans and strings hold none.
    fn npy_other(
        &mut self,
        r: &mut Reader<'_, '_, '_>,
        h: &sniff::dataset::NpyHeader,
        prefix: &str,
        depth: u32,
    ) -> Step<()> {
        let size = r.size().saturating_sub(h.data_at);
        if size == 0 {
            return Ok(());
        }
        if self.file_in_bytes(r, (h.data_at, size), "array", prefix, depth)? {
            return Ok(());
        }
        let plain = h.descr.as_deref().is_some_and(|d| {
            let code = d.get(1..).unwrap_or("");
            matches!(code, "u1" | "i1" | "b1" | "B" | "b" | "?")
                || code.starts_with(['S', 'U', 'a'])
        });
        if !plain {
            let dtype = h.descr.as_deref().unwrap_or("structured (fields)");
            self.limit(
                prefix,
                Limit::Unsupported,
                format!("npy array of dtype {dtype}: its values are not judged as samples"),
            );
        }
        Ok(())
    }

    /// A file kept in bytes (`np.frombuffer(wav, np.uint8)`) at `at` of
    /// `size` bytes: the head says whether they name one, and only then is
    /// the rest read (an image's pixels are not), as member `name`.
    fn file_in_bytes(
        &mut self,
        r: &mut Reader<'_, '_, '_>,
        (at, size): (u64, u64),
        name: &str,
        prefix: &str,
        depth: u32,
    ) -> Step<bool> {
        let Some(budget) = self.remaining(prefix) else {
            return Ok(false);
        };
        let head = r.from(at, size.min(sniff::HEAD_LEN as u64) as usize)?;
        let s = self.sniff_bytes(&head, size);
        if !names_a_file(&s) {
            return Ok(false);
        }
        let data = r.from(at, size.min(budget) as usize)?.into_owned();
        self.spent += data.len() as u64;
        self.keep(prefix, name, &data, size, depth, s);
        Ok(true)
    }

    pub(super) fn safetensors(
        &mut self,
        level: &Level<'_, '_>,
        prefix: &str,
        depth: u32,
    ) -> Step<()> {
        let mut r = Reader::new(level);
        let n = u64::from_le_bytes(r.at(0, 8)?[..].try_into().unwrap_or_default());
        if n > MAX_HEADER {
            return Err(Stop::Bound(format!(
                "header of {n} bytes is larger than the {} MiB read for it",
                MAX_HEADER >> 20
            )));
        }
        let data_at = 8 + n;
        if data_at > r.size() {
            return malformed("header longer than the file");
        }
        let header = r.at(8, n as usize)?;
        let Ok(serde_json::Value::Object(table)) =
            serde_json::from_slice::<serde_json::Value>(&header)
        else {
            return malformed("header is not a JSON object");
        };
        let mut tensors: Vec<(u64, &str, Option<Dtype>, Vec<u64>)> = Vec::new();
        let mut damaged = 0;
        for (name, t) in &table {
            // Bytes (`U8`, `I8`) hold no samples, but may hold a file.
            let dtype = match t["dtype"].as_str() {
                Some("U8" | "I8") => None,
                Some(other) => match safetensors_dtype(other) {
                    Some(d) => Some(d),
                    None => continue,
                },
                None => continue,
            };
            let width = dtype.map_or(1, |d| d.size() as u64);
            let shape: Option<Vec<u64>> = t["shape"]
                .as_array()
                .map(|a| a.iter().filter_map(|d| d.as_u64()).collect());
            let offsets: Option<Vec<u64>> = t["data_offsets"]
                .as_array()
                .map(|a| a.iter().filter_map(|d| d.as_u64()).collect());
            let (Some(shape), Some(offsets)) = (shape, offsets) else {
                continue;
            };
            let [begin, end] = offsets[..] else { continue };
            let elements = shape.iter().try_fold(1u64, |a, &d| a.checked_mul(d));
            let fits = begin <= end
                && data_at.checked_add(end).is_some_and(|e| e <= r.size())
                && elements.and_then(|e| e.checked_mul(width)) == Some(end - begin);
            if !fits {
                self.damaged(
                    prefix,
                    &mut damaged,
                    format!("safetensors: tensor {name} declares offsets that do not fit"),
                )?;
                continue;
            }
            tensors.push((begin, name, dtype, shape));
        }
        tensors.sort_by(|a, b| (a.0, a.1).cmp(&(b.0, b.1)));
        if tensors.len() > MAX_TENSORS {
            self.limit(
                prefix,
                Limit::Members,
                format!(
                    "safetensors: {} tensors; the first {MAX_TENSORS} judged",
                    tensors.len()
                ),
            );
        }
        for (begin, name, dtype, shape) in tensors.into_iter().take(MAX_TENSORS) {
            if self.out_of_time(prefix) {
                break;
            }
            match dtype {
                Some(dtype) => {
                    self.tensor(&mut r, prefix, name, data_at + begin, dtype, false, &shape)?;
                }
                None => {
                    let size = shape.iter().product::<u64>();
                    if size > 0 {
                        self.file_in_bytes(&mut r, (data_at + begin, size), name, prefix, depth)?;
                    }
                }
            }
        }
        Ok(())
    }

    /// A pickle (joblib, pandas, NumPy, a `torch.save` zip's `data.pkl`),
    /// from its first [`MAX_PICKLE`] bytes: its byte strings are sniffed as
    /// files, its NumPy arrays and runs of numbers judged as tensors by
    /// dtype and shape (an array whose bytes name a file format is that
    /// file). Pickles appended one after another are read in turn; other
    /// bytes behind one, or from an opcode not understood on, are sniffed
    /// as a file of their own, so nothing the pickle machine does not read
    /// goes unjudged.
    pub(super) fn pickle(&mut self, level: &Level<'_, '_>, prefix: &str, depth: u32) -> Step<()> {
        let mut r = Reader::new(level);
        let size = r.size();
        let held = r.from(0, size.min(MAX_PICKLE) as usize)?.into_owned();
        self.pickle_held(&held, None, size, 0, prefix, depth)
    }

    /// [`Walk::pickle`] over the first bytes of a pickle of `size` bytes,
    /// already held, which starts at `origin` in its object (what is named
    /// by offset is named by the object's); `first`, its first pickle when
    /// the caller has read it already.
    fn pickle_held(
        &mut self,
        held: &[u8],
        mut first: Option<pickle::Pickle>,
        size: u64,
        origin: usize,
        prefix: &str,
        depth: u32,
    ) -> Step<()> {
        let cut = (held.len() as u64) < size;
        let read = |held: &[u8]| {
            format!(
                "of {size} bytes; what follows its first {} not read",
                held.len()
            )
        };
        let mut judge = Judge::default();
        let mut records: Vec<pickle::Tensor> = Vec::new();
        let mut at = 0;
        for _ in 0..MAX_PICKLES {
            let p = first.take().unwrap_or_else(|| pickle::read(&held[at..]));
            for payload in &p.payloads {
                if self.out_of_time(prefix) {
                    return Ok(());
                }
                self.pickled(
                    prefix,
                    payload,
                    origin.saturating_add(at),
                    &mut judge,
                    depth,
                )?;
            }
            if p.dropped > 0 {
                self.limit(
                    prefix,
                    Limit::Members,
                    format!(
                        "pickle: {} more tensor records, byte strings or arrays than the reader keeps; not judged",
                        p.dropped
                    ),
                );
            }
            records.extend(p.tensors);
            let unread = match p.end {
                pickle::End::Stop(next) if at + next < held.len() => {
                    at += next;
                    // Another pickle, by its head (the probe reads every
                    // pickle it is given to the end of its bytes).
                    let head = &held[at..held.len().min(at + sniff::HEAD_LEN)];
                    if pickle::opens_a_pickle(head, size - at as u64) {
                        continue;
                    }
                    // The legacy torch.save stream: its storages.
                    if !records.is_empty()
                        && self.legacy_storages(&held[at..], size - at as u64, &records, prefix)?
                    {
                        return Ok(());
                    }
                    at
                }
                pickle::End::Stop(_) | pickle::End::Short if cut => {
                    return Err(Stop::Bound(read(held)))
                }
                pickle::End::Stop(_) => return Ok(()),
                pickle::End::Short => return malformed("cut short before its STOP"),
                pickle::End::Bound(what) => {
                    return Err(Stop::Bound(format!(
                        "the reader's bound on {what} reached; the rest not read"
                    )))
                }
                pickle::End::Unknown(off) => {
                    let from = at + off;
                    self.limit(
                        prefix,
                        Limit::Unsupported,
                        format!(
                            "pickle: opcode {:#04x} at {from} not understood; the bytes from there judged as a file",
                            held[from]
                        ),
                    );
                    from
                }
            };
            let name = format!("unread@{}", origin.saturating_add(unread));
            self.loose(prefix, &name, &held[unread..], size - unread as u64, depth);
            return Ok(());
        }
        self.limit(
            prefix,
            Limit::Members,
            format!("pickle: more than {MAX_PICKLES} pickles one after another; the rest not read"),
        );
        Ok(())
    }

    /// The storages the legacy `torch.save` stream writes behind its
    /// pickles (`_use_new_zipfile_serialization=False`), by their keys in
    /// sorted order, each an 8-byte element count and its elements: every
    /// C-ordered tensor record is judged from its storage by dtype and
    /// shape, as a torch zip's are. False, with nothing judged, when the
    /// bytes (`area`, the first of `left` bytes) do not lay out so.
    fn legacy_storages(
        &mut self,
        area: &[u8],
        left: u64,
        records: &[pickle::Tensor],
        prefix: &str,
    ) -> Step<bool> {
        // The records of each storage, by key in sorted order (one pass:
        // a stream of pickles may hold hundreds of thousands of records).
        let mut by_key: BTreeMap<&str, Vec<(usize, &pickle::Tensor)>> = BTreeMap::new();
        for (i, t) in records.iter().enumerate() {
            by_key.entry(&t.key).or_default().push((i, t));
        }
        // Where each storage's elements lie; the layout must end with the object.
        let mut spans = Vec::with_capacity(by_key.len());
        let mut pos = 0u64;
        for (key, views) in &by_key {
            let dtype = views.first().and_then(|(_, t)| t.dtype);
            let count = usize::try_from(pos)
                .ok()
                .and_then(|p| area.get(p..p.checked_add(8)?))
                .map(|b| u64::from_le_bytes(b.try_into().unwrap_or_default()));
            let (Some(dtype), Some(count)) = (dtype, count) else {
                return Ok(false);
            };
            let Some(end) = count
                .checked_mul(dtype.size() as u64)
                .and_then(|n| n.checked_add(pos + 8))
            else {
                return Ok(false);
            };
            spans.push((*key, views, dtype, pos + 8, end));
            pos = end;
        }
        if pos != left {
            return Ok(false);
        }
        let mut judged = 0;
        for (key, views, dtype, from, to) in spans {
            let held = |o: u64| usize::try_from(o).unwrap_or(usize::MAX).min(area.len());
            let data = &area[held(from)..held(to)];
            for &(i, t) in views {
                if !t.c_ordered() || self.out_of_time(prefix) {
                    continue;
                }
                if !self.tensor_budget(prefix, &mut judged, &t.shape) {
                    continue;
                }
                let name = t
                    .name
                    .clone()
                    .unwrap_or_else(|| format!("storage {key}#{i}"));
                let at = t.offset.saturating_mul(dtype.size() as u64);
                match self.tensor_held(data, prefix, &name, at, dtype, false, &t.shape) {
                    Ok(_) => {}
                    Err(Stop::Unreadable(_)) => self.limit(
                        prefix,
                        Limit::MemberBytes,
                        format!("pickle: tensor {name} lies past the bytes read"),
                    ),
                    Err(stop) => return Err(stop),
                }
            }
        }
        Ok(true)
    }

    /// Whether a tensor may be judged under the [`MAX_TENSORS`] of a file,
    /// counted in `judged`. A tensor no axis of which can hold a signal (a
    /// weight matrix, a short bias) is only looked at for a file's header
    /// and is free: a checkpoint's weights would use the budget up before
    /// the one recording kept beside them. Past the budget a limit says so.
    fn tensor_budget(&mut self, prefix: &str, judged: &mut usize, shape: &[u64]) -> bool {
        if super::plan(shape).is_none() {
            return true;
        }
        if *judged == MAX_TENSORS {
            self.limit(
                prefix,
                Limit::Members,
                format!("pytorch: more than {MAX_TENSORS} tensors; the rest not judged"),
            );
            return false;
        }
        *judged += 1;
        true
    }

    /// One payload of a pickle that starts at `base` in the object.
    fn pickled(
        &mut self,
        prefix: &str,
        p: &pickle::Payload,
        base: usize,
        judge: &mut Judge,
        depth: u32,
    ) -> Step<()> {
        if p.claimed || p.data.is_empty() {
            return Ok(());
        }
        if !judge.buffers.insert(p.data.as_ptr() as usize) {
            return Ok(());
        }
        judge.held.push(p.data.clone());
        // Arrays judged as a signal or as frames count; other small
        // arrays (a model's biases, a table of labels) are looked at
        // only for a file's header, and a pickle holds thousands.
        let counted = match &p.kind {
            pickle::Kind::Array { shape, .. } => {
                super::plan(shape).is_some() || super::frame_shape(shape).is_some()
            }
            _ => true,
        };
        if counted && judge.judged == MAX_PAYLOADS {
            self.limit(
                prefix,
                Limit::Members,
                format!("pickle: more than {MAX_PAYLOADS} byte strings, arrays and lists of numbers; the rest not judged"),
            );
            return Ok(());
        }
        judge.judged += usize::from(counted);
        let what = match p.kind {
            pickle::Kind::Bytes => "bytes",
            pickle::Kind::Array { .. } => "array",
            pickle::Kind::Floats => "floats",
            pickle::Kind::Ints => "ints",
        };
        let name = judge.unique(
            p.name
                .clone()
                .unwrap_or_else(|| format!("{what}@{}", base + p.at)),
        );
        let data = &p.data[..];
        let (dtype, big_endian, shape) = match &p.kind {
            pickle::Kind::Bytes => {
                self.loose(prefix, &name, data, data.len() as u64, depth);
                return Ok(());
            }
            pickle::Kind::Array {
                descr,
                shape,
                fortran,
            } => {
                let signal = super::plan(shape).is_some();
                let peek = if signal {
                    sniff::HEAD_LEN
                } else {
                    HEADER_PEEK as usize
                };
                let head = &data[..data.len().min(peek)];
                // A dtype never given its byte order is the machine's,
                // little-endian everywhere NumPy runs.
                let descr = if descr.starts_with(['<', '>', '|', '=']) {
                    descr.clone()
                } else {
                    format!("<{descr}")
                };
                let numbers = numpy_dtype(&descr)
                    .filter(|_| !names_a_file(&self.sniff_bytes(head, data.len() as u64)));
                let Some((dtype, big_endian)) = numbers else {
                    self.loose(prefix, &name, data, data.len() as u64, depth);
                    return Ok(());
                };
                // Fortran order is C order of the transposed shape.
                let mut shape = shape.clone();
                if *fortran {
                    shape.reverse();
                }
                (dtype, big_endian, shape)
            }
            pickle::Kind::Floats => (Dtype::F64, false, vec![data.len() as u64 / 8]),
            pickle::Kind::Ints => (Dtype::I64, false, vec![data.len() as u64 / 8]),
        };
        match self.tensor_held(data, prefix, &name, 0, dtype, big_endian, &shape) {
            Ok(false) if super::plan(&shape).is_none() => {
                self.frames_held(data, prefix, &name, dtype, big_endian, &shape);
                Ok(())
            }
            Ok(_) => Ok(()),
            // An array cut short by the bytes read.
            Err(Stop::Unreadable(_)) => {
                self.limit(
                    prefix,
                    Limit::MemberBytes,
                    format!("pickle: array {name} is longer than the bytes read of it"),
                );
                Ok(())
            }
            Err(stop) => Err(stop),
        }
    }

    /// Bytes sniffed as a file, kept when they are anything but ordinary
    /// data or a container to open.
    fn loose(&mut self, prefix: &str, name: &str, data: &[u8], size: u64, depth: u32) {
        let s = self.sniff_bytes(&data[..data.len().min(sniff::HEAD_LEN)], size);
        // Text is opened for the base64 and hex runs it may hold.
        if s.class != crate::sniff::Class::Other || super::opens(&s.format) || s.format == "text" {
            self.keep(prefix, name, data, size, depth, s);
        }
    }

    /// A `torch.save` or TorchScript zip: the tensors its pickles rebuild
    /// (`data.pkl`, and TorchScript's `constants.pkl`), each read from its
    /// storage member (`data/<key>`, `constants/<key>`) and judged by dtype
    /// and shape; then every other member, as any zip's. A storage of
    /// numbers that one C-ordered view covers whole is settled by its
    /// tensors unless its bytes name a file format (a WAV or a SPHERE file
    /// kept as a tensor's bytes): smooth weights are not raw PCM, and the
    /// headerless tests are not asked. A storage only part of which a view
    /// reads (a slice, a transposed or strided view) is walked as a member.
    pub(super) fn pytorch(&mut self, level: &Level<'_, '_>, prefix: &str, depth: u32) -> Step<()> {
        let mut settled = HashSet::new();
        let result = self.torch_tensors(level, prefix, depth, &mut settled);
        self.zip_except(level, prefix, depth, &|e| settled.contains(&e.local_offset));
        result
    }

    /// Judges the tensors of a torch zip; `settled` gets the local offsets
    /// of the storages they account for.
    fn torch_tensors(
        &mut self,
        level: &Level<'_, '_>,
        prefix: &str,
        depth: u32,
        settled: &mut HashSet<u64>,
    ) -> Step<()> {
        let mut r = Reader::new(level);
        let size = r.size();
        let tail_at = size.saturating_sub(sniff::WINDOW_LEN as u64 + 22);
        let tail = r.from(tail_at, sniff::WINDOW_LEN + 22)?.into_owned();
        let windows = [Window {
            offset: tail_at,
            bytes: tail,
        }];
        let Some((cd_at, cd_len, _)) = sniff::zip_directory(&Sample::new(size, &[], &windows))
        else {
            return malformed("zip central directory not found");
        };
        let cd = r.from(cd_at, cd_len.min(4 << 20) as usize)?;
        let entries = sniff::zip_entries(&cd, 100_000);
        // The folder is the first entry's, as torch reads it; without a
        // `data.pkl` there it is a zip like any other, walked as such.
        let Some((first, _)) = entries.first().and_then(|e| e.name.split_once('/')) else {
            return Ok(());
        };
        let folder = format!("{first}/");
        let Some(pkl) = entries
            .iter()
            .find(|e| e.name == format!("{folder}data.pkl"))
        else {
            return Ok(());
        };
        // A local header two directory entries share can be read as either:
        // never settled.
        let mut sharing: HashMap<u64, usize> = HashMap::new();
        // A storage is the first entry of its name, as a search finds it.
        let mut by_name: HashMap<&str, &sniff::ZipEntry> = HashMap::new();
        for e in &entries {
            *sharing.entry(e.local_offset).or_default() += 1;
            by_name.entry(&e.name).or_insert(e);
        }
        let constants = format!("{folder}constants.pkl");
        let pickles = [(pkl, "data")].into_iter().chain(
            entries
                .iter()
                .find(|e| e.name == constants)
                .map(|e| (e, "constants")),
        );
        let mut judged = 0;
        for (pkl, storages) in pickles {
            if pkl.encryption() != sniff::Encryption::None {
                return malformed(format!("{} is encrypted", pkl.name));
            }
            let (pickle_bytes, own_header) = self.zip_member(&mut r, pkl, MAX_PICKLE)?;
            // A pickle read to its end, or its tensors settle nothing (one
            // that stops early may describe a decoy view and hide the rest).
            let pickle = pickle::read(&pickle_bytes);
            let complete = pickle.complete();
            let tensors = pickle.tensors.clone();
            // What else the pickle holds (NumPy arrays, bytes, lists of
            // samples) is judged from this read, which the member walk
            // would cut at its member budget: the pickle is settled here.
            let member = chain(prefix, &pkl.name);
            let head = &pickle_bytes[..pickle_bytes.len().min(sniff::HEAD_LEN)];
            let sniffed = self.sniff_bytes(head, pkl.size);
            if sniffed.format == "pickle"
                && own_header
                && sharing.get(&pkl.local_offset) == Some(&1)
            {
                let read = Some(pickle);
                if let Err(stop) =
                    self.pickle_held(&pickle_bytes, read, pkl.size, 0, &member, depth + 1)
                {
                    self.stopped(&member, "pickle", stop);
                }
                self.inside.members.push(Member {
                    member,
                    sniff: sniffed,
                    size: pkl.size,
                });
                settled.insert(pkl.local_offset);
            }
            for (i, t) in tensors.iter().enumerate() {
                if self.out_of_time(prefix) {
                    return Ok(());
                }
                let Some(dtype) = t.dtype else { continue };
                let member = format!("{folder}{storages}/{}", t.key);
                let Some(&entry) = by_name.get(member.as_str()) else {
                    continue;
                };
                if entry.encryption() != sniff::Encryption::None {
                    continue;
                }
                if !self.tensor_budget(prefix, &mut judged, &t.shape) {
                    // Numbers like the ones judged: not sniffed as loose files
                    // either, where weights pass the raw-PCM test.
                    settled.insert(entry.local_offset);
                    continue;
                }
                let name = t.name.clone().unwrap_or_else(|| {
                    if i == 0 {
                        member.clone()
                    } else {
                        format!("{member}#{i}")
                    }
                });
                let alone = sharing.get(&entry.local_offset) == Some(&1);
                if self.torch_tensor(&mut r, prefix, entry, &name, dtype, t)? && complete && alone {
                    settled.insert(entry.local_offset);
                }
            }
        }
        Ok(())
    }

    /// Judges one tensor from its storage member. True when the tensor
    /// settles its storage: a C-ordered view of all of it, read, whose
    /// bytes name no file format, and whose local header is the entry's.
    fn torch_tensor(
        &mut self,
        r: &mut Reader<'_, '_, '_>,
        prefix: &str,
        entry: &sniff::ZipEntry,
        name: &str,
        dtype: Dtype,
        t: &pickle::Tensor,
    ) -> Step<bool> {
        let Some(budget) = self.remaining(prefix) else {
            return Ok(false);
        };
        let offset_bytes = t.offset.saturating_mul(dtype.size() as u64);
        let want = if super::plan(&t.shape).is_some() {
            offset_bytes
                .saturating_add((MAX_WAVEFORM * 2 * dtype.size()) as u64)
                .max(sniff::HEAD_LEN as u64)
        } else {
            HEADER_PEEK
        }
        .min(budget);
        let (data, own_header) = self.zip_member(r, entry, want)?;
        let elements = t.shape.iter().try_fold(1u64, |a, &d| a.checked_mul(d));
        let whole = t.offset == 0
            && elements.and_then(|n| n.checked_mul(dtype.size() as u64)) == Some(entry.size);
        if names_a_file(&self.sniff_bytes(&data[..data.len().min(sniff::HEAD_LEN)], entry.size)) {
            return Ok(false);
        }
        // Only contiguous C-ordered views are planned like arrays.
        if !t.c_ordered() {
            return Ok(false);
        }
        match self.tensor_held(&data, prefix, name, offset_bytes, dtype, false, &t.shape) {
            Ok(_) => Ok(whole && own_header),
            // A view past the bytes the storage holds: the storage is
            // walked as a member, whatever it is.
            Err(Stop::Unreadable(_)) => Ok(false),
            Err(stop) => Err(stop),
        }
    }

    /// The first `limit` bytes of an unencrypted zip member, stored or
    /// deflated: (local header offset, compressed size, method).
    /// Also whether its local header carries the directory entry's name
    /// (read with the header, in one read).
    fn zip_member(
        &mut self,
        r: &mut Reader<'_, '_, '_>,
        entry: &sniff::ZipEntry,
        limit: u64,
    ) -> Step<(Vec<u8>, bool)> {
        let (local_offset, compressed_size, method) =
            (entry.local_offset, entry.compressed_size, entry.method);
        let local = r.from(local_offset, 30 + entry.name.len())?;
        if local.len() < 30 {
            return Err(Stop::Unreadable(local_offset));
        }
        let name_len = u64::from(u16::from_le_bytes([local[26], local[27]]));
        let extra_len = u64::from(u16::from_le_bytes([local[28], local[29]]));
        let own_name = name_len == entry.name.len() as u64 && local[30..] == *entry.name.as_bytes();
        let data_at = local_offset + 30 + name_len + extra_len;
        let want = compressed_size.min(limit.saturating_add(64 << 10));
        let raw = r.from(data_at, want as usize)?;
        let data = match method {
            0 => raw[..raw.len().min(limit as usize)].to_vec(),
            8 => crate::unpack::decompress("deflate", &raw, limit).0,
            m => return malformed(format!("zip method {m} for a tensor member")),
        };
        self.spent += data.len() as u64;
        Ok((data, own_name))
    }
}

/// Counts and names what a pickle walk judges.
#[derive(Default)]
struct Judge {
    judged: usize,
    names: std::collections::HashMap<String, usize>,
    /// The payloads' bytes judged, by address: arrays rebuilt from one
    /// memoised buffer share it, and it is judged once.
    buffers: std::collections::HashSet<usize>,
    /// The bytes of those addresses, held so that no later payload (of
    /// the next pickle in the file) can be given one of them.
    held: Vec<std::rc::Rc<[u8]>>,
}

impl Judge {
    /// `name`, or `name#2`, `name#3` … for the same dict key set again (a
    /// list of records each with its `audio`).
    fn unique(&mut self, name: String) -> String {
        let seen = self.names.entry(name.clone()).or_default();
        *seen += 1;
        if *seen == 1 {
            name
        } else {
            format!("{name}#{seen}")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tensor_bytes_are_a_file_only_by_a_header() {
        use crate::sniff::{Class, Encryption, Sniff};
        let named =
            |format, class| names_a_file(&Sniff::new(format, None, class, Encryption::None));
        assert!(named("wav", Class::Audio));
        assert!(named("iso19794-2", Class::Biometric));
        assert!(named("gzip", Class::Compressed));
        assert!(named("npz", Class::Other), "a tensor file in a tensor");
        // What weights pass: the headerless tests and the randomness battery.
        assert!(!named("raw-pcm", Class::Audio));
        assert!(!named("g722", Class::Audio));
        assert!(!named("random-like", Class::Encrypted));
        assert!(!named("binary", Class::Other));
    }

    #[test]
    fn numpy_dtypes_keep_only_wide_numbers() {
        assert_eq!(numpy_dtype("<f4"), Some((Dtype::F32, false)));
        assert_eq!(numpy_dtype(">i2"), Some((Dtype::I16, true)));
        assert_eq!(numpy_dtype("|u1"), None);
        assert_eq!(numpy_dtype("<i8"), Some((Dtype::I64, false)));
        assert_eq!(numpy_dtype("|b1"), None);
        assert_eq!(numpy_dtype("<U10"), None);
        assert_eq!(numpy_dtype(""), None);
        assert_eq!(numpy_dtype("\u{e9}2"), None);
    }
}
