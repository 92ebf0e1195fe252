//! ONNX models: every tensor a `ModelProto` carries — its graphs'
//! initializers and sparse initializers, the values of `Constant` nodes and
//! tensor attributes (`value`, `value_floats`, `value_ints`, sparse ones),
//! in subgraphs (`If`, `Loop`, `Scan` bodies), functions and training
//! graphs too — found by walking the protobuf structure and judged by dtype
//! and shape, as safetensors' are. The whole object is walked as one
//! model: protobuf merges a field written twice, and so would a reader.
//!
//! Only keys and lengths are read: a payload the walk does not descend
//! into is stepped over by its length, so a model of hundreds of megabytes
//! costs its structure and the judged slices. Strings and byte tensors long
//! enough to hold a recording (a model's own names and doc strings are short
//! text) are sniffed like any value; a tensor's bytes, numbers or not, are
//! walked as a file when their first kilobyte names a file format. Weights
//! kept in external files are not in the object; one that could hold a
//! signal is reported as a limit.

use super::tensors::{names_a_file, MAX_TENSORS};
use super::{malformed, plan, shape_text, varint, Dtype, Reader, Step, Stop};
use crate::sniff;
use crate::unpack::{Level, Limit, Walk};

/// Subgraphs inside subgraphs followed (an `If` inside a `Loop` body …).
const MAX_NESTING: u32 = 8;
/// Structure reads start this small, since a skipped tensor leaves the next
/// field far away, and double while the walk reads on through the bytes it
/// last read (a run of small node messages), up to [`MAX_CHUNK`].
const MIN_CHUNK: usize = 4 << 10;
const MAX_CHUNK: usize = 256 << 10;
/// Structure reads per model: one per tensor stepped over at worst, and a
/// bucket object's read is a request. As many as the read budget holds
/// reads of the smallest chunk.
const MAX_READS: usize = (super::READ_BUDGET as usize) / MIN_CHUNK;
/// Longest tensor name read; longer ones are cut.
const MAX_NAME: usize = 256;
/// Most dimensions a tensor may declare, packed or one by one.
const MAX_DIMS: usize = 64;
/// Strings and byte payloads at least this long may hold a recording.
const MIN_VALUE: u64 = 512;
/// Values sniffed per model.
const MAX_VALUES: usize = 64;
/// Strings of one STRING tensor sniffed.
const MAX_STRINGS: usize = 4;
/// First bytes of a tensor's data asked whether they name a file format
/// (a SPHERE header is 1,024 bytes).
const PROBE: usize = 1024;
/// Elements decoded per tensor where they are not one run of fixed-width
/// bytes: enough for any planned slice.
const MAX_DECODED: usize = super::MAX_WAVEFORM * super::MAX_CHANNELS as usize;

/// What a field holds after its key.
enum Wire {
    Varint(u64),
    /// A length-delimited payload at this offset, of this length.
    Bytes(u64, u64),
    /// Fixed-width numbers, as their bits.
    Fixed32(u32),
    Fixed64(u64),
}

/// Buffered reads of the structure: the bytes at `at..at + buf.len()`.
struct Cursor {
    at: u64,
    buf: Vec<u8>,
    chunk: usize,
    reads: usize,
}

impl Cursor {
    fn new() -> Cursor {
        Cursor {
            at: 0,
            buf: Vec::new(),
            chunk: MIN_CHUNK,
            reads: 0,
        }
    }

    /// Up to `len` bytes at `offset` (fewer at the end of the object).
    fn bytes(&mut self, r: &mut Reader<'_, '_, '_>, offset: u64, len: usize) -> Step<&[u8]> {
        let end = self.at + self.buf.len() as u64;
        let want_end = offset.saturating_add(len as u64).min(r.size());
        if offset < self.at || want_end > end {
            // Reading on from inside what was read: a run of structure.
            self.chunk = if (self.at..=end).contains(&offset) && !self.buf.is_empty() {
                (self.chunk * 2).min(MAX_CHUNK)
            } else {
                MIN_CHUNK
            };
            if self.reads == MAX_READS {
                return Err(Stop::Bound(format!(
                    "more than {MAX_READS} reads of its structure; the rest not inspected"
                )));
            }
            self.reads += 1;
            self.buf = r.from(offset, self.chunk.max(len))?.into_owned();
            self.at = offset;
        }
        let from = (offset - self.at) as usize;
        let to = (from + len).min(self.buf.len());
        Ok(&self.buf[from..to])
    }

    /// The field whose key is at `pos`, inside a message ending at `end`:
    /// its number, what it holds, and where the next field starts.
    fn field(&mut self, r: &mut Reader<'_, '_, '_>, pos: u64, end: u64) -> Step<(u64, Wire, u64)> {
        let b = self.bytes(r, pos, 20.min((end - pos) as usize))?;
        let mut i = 0;
        let Some(key) = varint(b, &mut i) else {
            return malformed("a field key is cut short");
        };
        let fixed = |i: usize, n: usize| match b.get(i..i + n) {
            Some(x) => Ok(x.iter().rev().fold(0u64, |a, &c| a << 8 | u64::from(c))),
            None => malformed("a number is cut short"),
        };
        let (wire, next) = match key & 7 {
            0 => {
                let Some(v) = varint(b, &mut i) else {
                    return malformed("a varint is cut short");
                };
                (Wire::Varint(v), pos + i as u64)
            }
            1 => (Wire::Fixed64(fixed(i, 8)?), pos + i as u64 + 8),
            2 => {
                let Some(len) = varint(b, &mut i) else {
                    return malformed("a length is cut short");
                };
                let at = pos + i as u64;
                (Wire::Bytes(at, len), at.saturating_add(len))
            }
            5 => (Wire::Fixed32(fixed(i, 4)? as u32), pos + i as u64 + 4),
            w => return malformed(format!("wire type {w}")),
        };
        if next > end {
            return malformed("a field runs past its message");
        }
        Ok((key >> 3, wire, next))
    }
}

/// The message kinds the walk descends into.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Kind {
    Model,
    Graph,
    Node,
    Attribute,
    Function,
    Training,
    Sparse,
    /// A metadata `StringStringEntryProto`.
    Entry,
}

/// What a length-delimited field holds.
enum Holds {
    /// A message; true when it is a subgraph, one level deeper.
    Message(Kind, bool),
    /// A repeated tensor: each one its own.
    Tensor,
    /// A singular tensor (an attribute's `t`, a sparse tensor's values or
    /// indices): written twice, protobuf merges the two, and so does the
    /// walk (the slot of the parent's merged tensors).
    OneTensor(usize),
    /// `value_floats`: packed little-endian floats.
    Floats,
    /// `value_ints`: packed varints.
    Ints,
    /// Anything else: a string or bytes.
    Value,
}

fn holds(kind: Kind, field: u64) -> Holds {
    use Kind::*;
    match (kind, field) {
        (Model, 7) => Holds::Message(Graph, false),
        (Model, 20) => Holds::Message(Training, false),
        (Model, 25) => Holds::Message(Function, false),
        (Model, 14) | (Graph, 16) | (Node, 9) | (Function, 14) => Holds::Message(Entry, false),
        (Graph, 1) | (Function, 7) => Holds::Message(Node, false),
        (Graph, 15) | (Attribute, 22 | 23) => Holds::Message(Sparse, false),
        (Node, 5) | (Function, 11) => Holds::Message(Attribute, false),
        (Attribute, 6 | 11) | (Training, 1 | 2) => Holds::Message(Graph, true),
        (Graph, 5) | (Attribute, 10) => Holds::Tensor,
        (Attribute, 5) | (Sparse, 1) => Holds::OneTensor(0),
        (Sparse, 2) => Holds::OneTensor(1),
        (Attribute, 7) => Holds::Floats,
        (Attribute, 8) => Holds::Ints,
        _ => Holds::Value,
    }
}

/// The repeated number fields of a `TensorProto` that hold elements:
/// `float_data`, `int32_data`, `int64_data`, `double_data`.
const NUMBER_FIELDS: [u64; 4] = [4, 5, 7, 10];

/// A `TensorProto`'s description: where its elements lie.
#[derive(Default)]
struct Tensor {
    dims: Vec<u64>,
    data_type: u64,
    name: Option<String>,
    /// `raw_data` (the last one written, as for any singular field).
    raw: Option<(u64, u64)>,
    /// Each of [`NUMBER_FIELDS`]: its packed runs, in order, and its
    /// elements written one field each (their bits, at most
    /// [`MAX_DECODED`]).
    runs: [Vec<(u64, u64)>; 4],
    single: [Vec<u64>; 4],
    /// `string_data` of at least [`MIN_VALUE`] bytes, and how many more.
    strings: Vec<(u64, u64)>,
    more_strings: usize,
    external: bool,
}

/// Where a tensor's elements lie.
enum Data {
    /// One run of `len` bytes at `at`: little-endian fixed-width elements
    /// (`raw_data`, a packed float or double field) or varints.
    Run(u64, u64, bool),
    /// Several runs, or elements written one field each: decoded.
    Pieces(usize),
}

impl Tensor {
    /// Reads one `TensorProto` at `start..end` into this one: a tensor
    /// written twice where one is expected is the two merged.
    fn read(&mut self, m: &mut Model<'_, '_, '_, '_>, start: u64, end: u64) -> Step<()> {
        let mut pos = start;
        while pos < end {
            let (field, wire, next) = m.cur.field(m.r, pos, end)?;
            pos = next;
            let slot = NUMBER_FIELDS.iter().position(|&f| f == field);
            match (field, wire, slot) {
                // dims, one by one
                (1, Wire::Varint(d), _) => self.dim(d)?,
                // dims, packed
                (1, Wire::Bytes(at, len), _) => {
                    if len > 10 * MAX_DIMS as u64 {
                        return malformed(format!(
                            "a tensor declares more than {MAX_DIMS} dimensions"
                        ));
                    }
                    let b = m.cur.bytes(m.r, at, len as usize)?.to_vec();
                    let mut i = 0;
                    while i < b.len() {
                        let Some(d) = varint(&b, &mut i) else {
                            return malformed("a dimension is cut short");
                        };
                        self.dim(d)?;
                    }
                }
                (2, Wire::Varint(v), _) => self.data_type = v,
                (_, Wire::Bytes(at, len), Some(k)) => self.runs[k].push((at, len)),
                (_, Wire::Fixed32(v), Some(k)) => self.single(k, u64::from(v)),
                (_, Wire::Fixed64(v) | Wire::Varint(v), Some(k)) => self.single(k, v),
                (6, Wire::Bytes(at, len), _) if len >= MIN_VALUE => {
                    if self.strings.len() < MAX_STRINGS {
                        self.strings.push((at, len));
                    } else {
                        self.more_strings += 1;
                    }
                }
                (8, Wire::Bytes(at, len), _) => {
                    let b = m.cur.bytes(m.r, at, (len as usize).min(MAX_NAME))?;
                    self.name = (!b.is_empty()).then(|| sniff::token(b));
                }
                (9, Wire::Bytes(at, len), _) => self.raw = Some((at, len)),
                // data_location: EXTERNAL
                (14, Wire::Varint(v), _) => self.external = v == 1,
                _ => {}
            }
        }
        Ok(())
    }

    fn dim(&mut self, d: u64) -> Step<()> {
        if self.dims.len() == MAX_DIMS {
            return malformed(format!("a tensor declares more than {MAX_DIMS} dimensions"));
        }
        self.dims.push(d);
        Ok(())
    }

    fn single(&mut self, slot: usize, bits: u64) {
        if self.single[slot].len() < MAX_DECODED {
            self.single[slot].push(bits);
        }
    }

    /// The slot of [`NUMBER_FIELDS`] `dtype`'s elements go in.
    fn slot(dtype: Dtype) -> usize {
        match dtype {
            Dtype::F32 => 0,
            Dtype::F64 => 3,
            Dtype::I64 => 2,
            _ => 1,
        }
    }

    /// Where the elements of `dtype` lie: `raw_data` first, as the
    /// runtimes read it, then the typed field.
    fn data(&self, dtype: Dtype) -> Option<Data> {
        if let Some((at, len)) = self.raw {
            return Some(Data::Run(at, len, false));
        }
        let k = Tensor::slot(dtype);
        match (&self.runs[k][..], self.single[k].is_empty()) {
            ([], true) => None,
            (&[(at, len)], true) => Some(Data::Run(
                at,
                len,
                NUMBER_FIELDS[k] == 5 || NUMBER_FIELDS[k] == 7,
            )),
            _ => Some(Data::Pieces(k)),
        }
    }
}

/// ONNX `TensorProto.DataType` values that can hold a waveform: 16-bit
/// unsigned ones are read as the signed samples their bits are.
fn dtype(data_type: u64) -> Option<Dtype> {
    Some(match data_type {
        1 => Dtype::F32,
        4 | 5 => Dtype::I16,
        6 => Dtype::I32,
        7 => Dtype::I64,
        10 => Dtype::F16,
        11 => Dtype::F64,
        16 => Dtype::BF16,
        _ => return None,
    })
}

/// An element written as a varint, as the runtimes read it back.
fn from_varint(v: u64, dtype: Dtype) -> f32 {
    match dtype {
        Dtype::F16 => super::f16_to_f32(v as u16),
        Dtype::BF16 => f32::from_bits(u32::from(v as u16) << 16),
        Dtype::I16 => f32::from(v as i16),
        Dtype::I32 => v as i32 as f32,
        _ => v as i64 as f32,
    }
}

/// Up to `max` elements written as varints, from the start of `bytes`.
fn decode_varints(bytes: &[u8], dtype: Dtype, max: usize) -> Vec<f32> {
    let mut values = Vec::new();
    let mut i = 0;
    while values.len() < max {
        let Some(v) = varint(bytes, &mut i) else {
            break;
        };
        values.push(from_varint(v, dtype));
    }
    values
}

/// An element from its bits as written in the number field of `slot`: a
/// float's, a double's, or a varint's.
fn element(bits: u64, dtype: Dtype, slot: usize) -> f32 {
    match NUMBER_FIELDS[slot] {
        4 => f32::from_bits(bits as u32),
        10 => f64::from_bits(bits) as f32,
        _ => from_varint(bits, dtype),
    }
}

/// One model's walk: its reads and what it has found so far.
struct Model<'r, 'l, 'a, 'f> {
    r: &'r mut Reader<'l, 'a, 'f>,
    cur: Cursor,
    prefix: String,
    depth: u32,
    /// Tensors described so far (unnamed ones are numbered by it).
    seen: usize,
    /// Tensors judged as signals.
    judged: usize,
    values: usize,
    damaged: usize,
    /// External tensors that could hold a signal, and the first one's name.
    external: (usize, Option<String>),
    /// Bounds already reported, so that a model repeating a case adds one
    /// limit, not one per repeat.
    said_nesting: bool,
    said_values: bool,
    /// The walk ends (tensors judged reached their bound).
    done: bool,
}

impl Walk<'_> {
    pub(super) fn onnx(&mut self, level: &Level<'_, '_>, prefix: &str, depth: u32) -> Step<()> {
        let mut r = Reader::new(level);
        let size = r.size();
        let mut m = Model {
            r: &mut r,
            cur: Cursor::new(),
            prefix: prefix.to_string(),
            depth,
            seen: 0,
            judged: 0,
            values: 0,
            damaged: 0,
            external: (0, None),
            said_nesting: false,
            said_values: false,
            done: false,
        };
        let walked = self.onnx_message(&mut m, Kind::Model, 0, size, 0);
        if let (n @ 1.., Some(first)) = &m.external {
            self.limit(
                prefix,
                Limit::Unsupported,
                format!(
                    "onnx: {n} tensor(s) shaped like signals kept in external files \
                     (the first: {first}); judged only where those files are scanned"
                ),
            );
        }
        walked
    }

    /// Walks one message of `kind` at `start..end`, descending into the
    /// fields that hold tensors, graphs or values.
    fn onnx_message(
        &mut self,
        m: &mut Model<'_, '_, '_, '_>,
        kind: Kind,
        start: u64,
        end: u64,
        nesting: u32,
    ) -> Step<()> {
        let mut pos = start;
        // Singular tensors, merged over their occurrences; an attribute's
        // floats and ints written one field each (proto2's way).
        let mut one: [Option<Tensor>; 2] = [None, None];
        let mut listed = Tensor::default();
        while pos < end && !m.done && !self.timed_out {
            let (field, wire, next) = m.cur.field(m.r, pos, end)?;
            pos = next;
            let (at, len) = match (kind, field, wire) {
                (_, _, Wire::Bytes(at, len)) => (at, len),
                (Kind::Attribute, 7, Wire::Fixed32(v)) => {
                    listed.single(0, u64::from(v));
                    continue;
                }
                (Kind::Attribute, 8, Wire::Varint(v)) => {
                    listed.single(2, v);
                    continue;
                }
                _ => continue,
            };
            match holds(kind, field) {
                Holds::Message(inner, deeper) => {
                    if deeper && nesting >= MAX_NESTING {
                        if !m.said_nesting {
                            m.said_nesting = true;
                            self.limit(
                                &m.prefix,
                                Limit::Depth,
                                format!(
                                    "onnx: subgraphs nested deeper than {MAX_NESTING} not read"
                                ),
                            );
                        }
                        continue;
                    }
                    self.onnx_message(m, inner, at, at + len, nesting + u32::from(deeper))?;
                }
                Holds::Tensor => {
                    let mut t = Tensor::default();
                    t.read(m, at, at + len)?;
                    self.onnx_tensor(m, t)?;
                }
                Holds::OneTensor(k) => {
                    one[k]
                        .get_or_insert_with(Tensor::default)
                        .read(m, at, at + len)?
                }
                Holds::Floats => listed.runs[0].push((at, len)),
                Holds::Ints => listed.runs[2].push((at, len)),
                // Names, types and short strings (most fields) are passed over unnamed.
                Holds::Value if len < MIN_VALUE => {}
                Holds::Value => self.onnx_value(m, &format!("bytes@{at}"), at, len, false)?,
            }
        }
        for t in one.into_iter().flatten() {
            self.onnx_tensor(m, t)?;
        }
        if kind == Kind::Attribute {
            for (k, dtype, what) in [(0, Dtype::F32, "floats"), (2, Dtype::I64, "ints")] {
                if !listed.runs[k].is_empty() || !listed.single[k].is_empty() {
                    let values = self.onnx_decode(m, &listed, k, dtype)?;
                    self.onnx_values(m, &format!("{what}@{start}"), &[], values, dtype);
                }
            }
        }
        Ok(())
    }

    /// Judges one described tensor.
    fn onnx_tensor(&mut self, m: &mut Model<'_, '_, '_, '_>, t: Tensor) -> Step<()> {
        m.seen += 1;
        let name = t
            .name
            .clone()
            .unwrap_or_else(|| format!("tensor#{}", m.seen - 1));
        for (i, &(at, len)) in t.strings.iter().enumerate() {
            self.onnx_value(m, &format!("{name}[{i}]"), at, len, false)?;
        }
        if t.more_strings > 0 {
            self.limit(
                &m.prefix,
                Limit::Members,
                format!("onnx: tensor {name}: more than {MAX_STRINGS} long strings; the rest not sniffed"),
            );
        }
        let Some(dtype) = dtype(t.data_type) else {
            // Bytes of another type (uint8, int8, bool …) may be a file.
            if let Some((at, len)) = t.raw {
                self.onnx_probe(m, &name, at, len)?;
            }
            return Ok(());
        };
        if t.external {
            if plan(&t.dims).is_some() {
                m.external.0 += 1;
                m.external.1.get_or_insert(name);
            }
            return Ok(());
        }
        match t.data(dtype) {
            None => Ok(()),
            Some(Data::Run(at, len, varints)) => {
                if !varints && self.onnx_probe(m, &name, at, len)? {
                    return Ok(());
                }
                self.onnx_run(m, &name, &t.dims, at, len, dtype, varints)
            }
            Some(Data::Pieces(k)) => {
                let values = self.onnx_decode(m, &t, k, dtype)?;
                self.onnx_values(m, &name, &t.dims, values, dtype);
                Ok(())
            }
        }
    }

    /// Asks whether the first bytes of a tensor's data name a file format;
    /// if so, sniffs the data as a value. True when they did. Data that
    /// cannot be read names nothing here: judging it says so.
    fn onnx_probe(
        &mut self,
        m: &mut Model<'_, '_, '_, '_>,
        name: &str,
        at: u64,
        len: u64,
    ) -> Step<bool> {
        if len < MIN_VALUE {
            return Ok(false);
        }
        let probe = match m.cur.bytes(m.r, at, PROBE.min(len as usize)) {
            Ok(b) => b.to_vec(),
            Err(Stop::Unreadable(_)) => return Ok(false),
            Err(stop) => return Err(stop),
        };
        if !names_a_file(&self.sniff_bytes(&probe, len)) {
            return Ok(false);
        }
        self.onnx_value(m, name, at, len, true)?;
        Ok(true)
    }

    /// Judges one run of elements at `at..at + len`, fixed-width or varints.
    #[allow(clippy::too_many_arguments)]
    fn onnx_run(
        &mut self,
        m: &mut Model<'_, '_, '_, '_>,
        name: &str,
        dims: &[u64],
        at: u64,
        len: u64,
        dtype: Dtype,
        varints: bool,
    ) -> Step<()> {
        let count = dims.iter().try_fold(1u64, |a, &d| a.checked_mul(d));
        // Fixed-width elements fill their bytes exactly; a varint takes
        // one to ten bytes.
        let fits = if varints {
            count.is_some_and(|c| c <= len && len / 10 <= c)
        } else {
            count.and_then(|c| c.checked_mul(dtype.size() as u64)) == Some(len)
        };
        if !fits {
            return self.damaged(
                &m.prefix,
                &mut m.damaged,
                format!("onnx: tensor {name} holds {len} bytes, not what its shape declares"),
            );
        }
        let Some(planned) = plan(dims) else {
            return Ok(());
        };
        if !self.onnx_another(m) {
            return Ok(());
        }
        let prefix = m.prefix.clone();
        let judged = if varints {
            // At most ten bytes for each element up to the last one judged.
            let needed = (planned.count - 1) * planned.stride + 1;
            let Some(budget) = self.remaining(&prefix) else {
                return Ok(());
            };
            let want = len.min(needed.saturating_mul(10)).min(budget);
            m.r.from(at, want as usize).map(|bytes| {
                self.spent += bytes.len() as u64;
                let values = decode_varints(&bytes, dtype, needed as usize);
                self.judge_planned(&prefix, name, dims, &values, dtype, &planned);
            })
        } else {
            self.tensor(m.r, &prefix, name, at, dtype, false, dims)
                .map(|_| ())
        };
        match judged {
            Err(Stop::Unreadable(offset)) => {
                self.limit(
                    &prefix,
                    Limit::MemberBytes,
                    format!(
                        "onnx: tensor {name}: its data at {offset} could not be read (truncated?)"
                    ),
                );
                Ok(())
            }
            other => other,
        }
    }

    /// Counts one more tensor judged; false (and the walk ends, with a
    /// limit) past [`MAX_TENSORS`] or out of time.
    fn onnx_another(&mut self, m: &mut Model<'_, '_, '_, '_>) -> bool {
        m.judged += 1;
        if m.judged > MAX_TENSORS {
            m.done = true;
            self.limit(
                &m.prefix,
                Limit::Members,
                format!("onnx: more than {MAX_TENSORS} tensors shaped like signals; the rest not judged"),
            );
            return false;
        }
        !self.out_of_time(&m.prefix)
    }

    /// The elements of number field `slot` of `t`: its packed runs read and
    /// decoded in order, then those written one field each, at most
    /// [`MAX_DECODED`].
    fn onnx_decode(
        &mut self,
        m: &mut Model<'_, '_, '_, '_>,
        t: &Tensor,
        slot: usize,
        dtype: Dtype,
    ) -> Step<Vec<f32>> {
        let mut values = Vec::new();
        for &(at, len) in &t.runs[slot] {
            let Some(budget) = self.remaining(&m.prefix) else {
                break;
            };
            let left = (MAX_DECODED - values.len()) as u64;
            let want = len.min(left * 10).min(budget) as usize;
            let bytes = match m.r.from(at, want) {
                Ok(b) => b,
                Err(Stop::Unreadable(_)) => break,
                Err(stop) => return Err(stop),
            };
            self.spent += bytes.len() as u64;
            let left = left as usize;
            values.extend(match NUMBER_FIELDS[slot] {
                4 => Dtype::F32.decode(&bytes, false, 1, left),
                10 => Dtype::F64.decode(&bytes, false, 1, left),
                _ => decode_varints(&bytes, dtype, left),
            });
            if values.len() == MAX_DECODED {
                return Ok(values);
            }
        }
        values.extend(t.single[slot].iter().map(|&b| element(b, dtype, slot)));
        values.truncate(MAX_DECODED);
        Ok(values)
    }

    /// Judges decoded elements planned by `dims` (empty: a vector of all of
    /// them), counted as a tensor judged when they are planned.
    fn onnx_values(
        &mut self,
        m: &mut Model<'_, '_, '_, '_>,
        name: &str,
        dims: &[u64],
        values: Vec<f32>,
        dtype: Dtype,
    ) {
        let dims = if dims.is_empty() {
            vec![values.len() as u64]
        } else {
            dims.to_vec()
        };
        let Some(planned) = plan(&dims) else {
            return;
        };
        if !self.onnx_another(m) {
            return;
        }
        let prefix = m.prefix.clone();
        self.judge_planned(&prefix, name, &dims, &values, dtype, &planned);
    }

    /// Judges the planned slice of decoded elements.
    fn judge_planned(
        &mut self,
        prefix: &str,
        name: &str,
        dims: &[u64],
        values: &[f32],
        dtype: Dtype,
        planned: &super::Plan,
    ) {
        let samples: Vec<f32> = values
            .iter()
            .step_by(planned.stride as usize)
            .take(planned.count as usize)
            .copied()
            .collect();
        let size = super::tensor_bytes(dtype, dims);
        self.samples(
            prefix,
            &format!("{name}{}", planned.slice),
            dtype.name(),
            &shape_text(dims),
            &samples,
            size,
        );
    }

    /// Sniffs a string or byte payload long enough to hold a recording,
    /// unless (and `file` not said) all of it that is read is plain text:
    /// names, doc strings, the stack traces exporters keep in node metadata.
    fn onnx_value(
        &mut self,
        m: &mut Model<'_, '_, '_, '_>,
        name: &str,
        at: u64,
        len: u64,
        file: bool,
    ) -> Step<()> {
        if len < MIN_VALUE {
            return Ok(());
        }
        let want = len.min(sniff::HEAD_LEN as u64) as usize;
        let data = match m.cur.bytes(m.r, at, want) {
            Ok(data) if !file && plain_text(data) => return Ok(()),
            Ok(data) => data.to_vec(),
            Err(Stop::Unreadable(offset)) => {
                self.limit(
                    &m.prefix,
                    Limit::MemberBytes,
                    format!("onnx: {name}: bytes at {offset} could not be read (truncated?)"),
                );
                return Ok(());
            }
            Err(stop) => return Err(stop),
        };
        m.values += 1;
        if m.values > MAX_VALUES {
            if !m.said_values {
                m.said_values = true;
                self.limit(
                    &m.prefix,
                    Limit::Members,
                    format!("onnx: more than {MAX_VALUES} binary strings or byte tensors; the rest not sniffed"),
                );
            }
            return Ok(());
        }
        self.spent += data.len() as u64;
        let prefix = m.prefix.clone();
        self.value(&prefix, name, &data, len, m.depth);
        Ok(())
    }
}

/// UTF-8 with no control character but tabs and line breaks (a character
/// cut at the end of what was read is allowed).
fn plain_text(b: &[u8]) -> bool {
    let valid = match std::str::from_utf8(b) {
        Ok(_) => b.len(),
        Err(e) if e.error_len().is_none() => e.valid_up_to(),
        Err(_) => return false,
    };
    !b[..valid]
        .iter()
        .any(|&c| (c < 0x20 && !matches!(c, b'\t' | b'\n' | b'\r')) || c == 0x7f)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn onnx_types_keep_only_wide_numbers() {
        assert_eq!(dtype(1), Some(Dtype::F32));
        assert_eq!(dtype(10), Some(Dtype::F16));
        assert_eq!(dtype(16), Some(Dtype::BF16));
        assert_eq!(
            dtype(4),
            Some(Dtype::I16),
            "UINT16: the bits of int16 samples"
        );
        // UINT8, INT8, STRING, BOOL
        for small in [2, 3, 8, 9] {
            assert_eq!(dtype(small), None);
        }
    }

    #[test]
    fn only_plain_text_is_passed_over_unsniffed() {
        assert!(plain_text(b"File \"model.py\", line 17\n\tout = f(x)\r\n"));
        assert!(plain_text("na\u{ef}ve".as_bytes()));
        // A character cut by the end of the read.
        assert!(plain_text(&"\u{20ac}".as_bytes()[..2]));
        assert!(!plain_text(b"RIFF\x24\x08\0\0WAVE"));
        assert!(!plain_text(b"text, then \x00\x01 samples"));
        assert!(!plain_text(b"\xff\xfe"));
    }

    #[test]
    fn elements_written_one_field_each_read_back_by_their_field() {
        assert_eq!(element(u64::from(1.5f32.to_bits()), Dtype::F32, 0), 1.5);
        assert_eq!(element((-0.25f64).to_bits(), Dtype::F64, 3), -0.25);
        assert_eq!(element((-7i64) as u64, Dtype::I16, 1), -7.0);
    }

    #[test]
    fn varint_elements_read_back_as_the_runtimes_write_them() {
        // int32_data holds int16 and int32 values sign-extended (a
        // negative one is ten bytes), and float16 / bfloat16 bit patterns.
        assert_eq!(from_varint(u64::MAX, Dtype::I16), -1.0);
        assert_eq!(from_varint((-300i64) as u64, Dtype::I32), -300.0);
        assert_eq!(from_varint(0x3c00, Dtype::F16), 1.0);
        assert_eq!(from_varint(0x3f80, Dtype::BF16), 1.0);
        assert_eq!(from_varint((-5i64) as u64, Dtype::I64), -5.0);
    }
}
