//! Just enough of Python's pickle machine to find what a pickle holds that
//! can be a recording, without importing or calling anything:
//!
//! - a `torch.save` checkpoint's tensors (PT `torch/serialization.py`):
//!   `REDUCE` of `torch._utils._rebuild_tensor_v2` over a persistent storage
//!   id gives a tensor record with its dtype, shape and strides;
//! - byte strings however pickled: `bytes` and `bytearray` opcodes
//!   (protocol 3 and later), and `_codecs.encode(str, 'latin1')` or
//!   `bytearray(str, 'latin-1')`, as protocol 2 (torch.save's) writes bytes:
//!   each byte above 127 becomes two bytes of UTF-8, so the samples are not
//!   in the file as they were;
//! - NumPy arrays: `_reconstruct` then `BUILD` (protocols 2–4), `_frombuffer`
//!   (protocol 5), and joblib's `NumpyArrayWrapper`, whose array bytes
//!   follow its `BUILD` in the stream, outside any opcode;
//! - runs of pickled floats and ints (a list of samples).
//!
//! `GLOBAL` yields a name; what is not one of these is an opaque value.
//! Bounded: at most [`MAX_OPS`] opcodes, [`MAX_STACK`] stack entries,
//! [`MAX_MEMO`] memo slots, [`MAX_COPIED`] items copied and [`MAX_DECODED`]
//! bytes decoded; values are shared (`Rc`), so a pickle that duplicates a
//! value exponentially costs pointers, not memory.

use std::cell::RefCell;
use std::rc::Rc;

use super::Dtype;
use crate::sniff::biometric;

const MAX_OPS: usize = 200_000;
/// Stack entries: a tuple of samples (`tuple(array.tolist())`) is built on
/// the stack, one entry per number, before its TUPLE.
const MAX_STACK: usize = 100_000;
const MAX_MEMO: usize = 100_000;
const MAX_TENSORS: usize = 4096;
/// Items copied into updated containers, over the whole pickle: a dict or
/// list that `SETITEMS` or `APPENDS` extends while the memo still holds it
/// is copied, so a small pickle could ask for gigabytes.
const MAX_COPIED: usize = 1 << 20;
/// Deepest nesting of containers: dropping a deeper chain of `Rc`s would
/// recurse as deep (a pickle of a million `TUPLE1`s must not overflow the stack).
const MAX_DEPTH: u32 = 64;
/// Byte strings shorter than this are names, hashes and tokens, not files
/// or samples (as for ONNX strings).
pub(super) const MIN_PAYLOAD: usize = 512;
/// Payloads recorded per pickle.
const MAX_PAYLOADS: usize = 4096;
/// Bytes made by decoding latin-1 strings and collecting numbers, over the
/// whole pickle: a memoised string encoded again and again by `GET`s would
/// otherwise be decoded once per `GET`.
const MAX_DECODED: usize = 16 << 20;
/// The shortest run of pickled numbers kept: a list of samples is long,
/// a record's fields are not.
const MIN_NUMBERS: usize = 2048;

/// A tensor as `_rebuild_tensor_v2(storage, offset, size, stride, …)` describes it.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct Tensor {
    /// The state-dict key, when the tensor was stored under one.
    pub name: Option<String>,
    /// The storage's key: its data is the archive member `data/<key>`.
    pub key: String,
    /// `None` for storages that cannot hold a waveform (bytes, bools …).
    pub dtype: Option<Dtype>,
    pub offset: u64,
    pub shape: Vec<u64>,
    pub stride: Vec<u64>,
}

impl Tensor {
    /// A contiguous C-ordered view (strides falling by the shape from the
    /// last axis, axes of one aside): only such views are planned like
    /// arrays.
    pub fn c_ordered(&self) -> bool {
        let mut step = 1u64;
        self.stride.len() == self.shape.len()
            && self.shape.iter().zip(&self.stride).rev().all(|(&d, &s)| {
                let ok = d <= 1 || s == step;
                step = step.saturating_mul(d.max(1));
                ok
            })
    }
}

/// What a payload's bytes are.
#[derive(Clone, Debug, PartialEq)]
pub(super) enum Kind {
    /// A `bytes` or `bytearray` (or a Python 2 `str`), however pickled.
    Bytes,
    /// A NumPy array: its dtype as an `.npy` header writes it (`<i2`),
    /// its shape, and whether it is in Fortran order.
    Array {
        descr: String,
        shape: Vec<u64>,
        fortran: bool,
    },
    /// Consecutive pickled floats, as little-endian `f64`.
    Floats,
    /// Consecutive pickled ints, as little-endian `i64`.
    Ints,
}

/// Bytes a pickle holds that may be a recording or a file.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct Payload {
    /// The dict key it was set under, when it was.
    pub name: Option<String>,
    /// Where it starts in the pickle (its opcode).
    pub at: usize,
    pub kind: Kind,
    /// Empty for an array whose state never came.
    pub data: Rc<[u8]>,
    /// The bytes of an array, judged as that array.
    pub claimed: bool,
}

/// How reading a pickle ended.
#[derive(Clone, Debug, PartialEq)]
pub(super) enum End {
    /// At `STOP`; the next pickle or other bytes start at this offset.
    Stop(usize),
    /// The bytes ran out before `STOP`.
    Short,
    /// At this offset: an opcode unknown here, or one the stack cannot take.
    Unknown(usize),
    /// One of this reader's bounds.
    Bound(&'static str),
}

/// What one pickle holds.
#[derive(Debug)]
pub(super) struct Pickle {
    pub tensors: Vec<Tensor>,
    pub payloads: Vec<Payload>,
    pub end: End,
    /// Opcodes read, those of the pickles nested in it too.
    pub ops: usize,
    /// Bytes decoded, as counted against [`MAX_DECODED`] (nested pickles'
    /// too).
    pub decoded: usize,
    /// Where a byte string cut short by the end of the bytes says it ends.
    pub wanted: Option<u64>,
    /// Tensor records and payloads not kept, past the reader's bounds.
    pub dropped: usize,
}

impl Pickle {
    pub fn complete(&self) -> bool {
        matches!(self.end, End::Stop(_))
    }
}

#[derive(Debug)]
enum V {
    None,
    Int(i64),
    /// A string, and the payload its bytes are when it is long and not
    /// plain text (see [`Machine::text`]).
    Str(String, Option<usize>),
    Global(String, String),
    /// Containers carry their nesting depth.
    Tuple(u32, Vec<Rc<V>>),
    List(u32, Vec<Rc<V>>),
    Dict(u32, Vec<(Rc<V>, Rc<V>)>),
    /// A persistent id: for torch, ('storage', type, key, location, numel).
    Persistent(u32, Rc<V>),
    /// A rebuilt tensor: its index in the found list.
    Tensor(usize),
    /// Bytes, an array, or a joblib array wrapper: an index in the payloads.
    Bytes(usize),
    /// Bytes too short to be a payload but enough for one NumPy scalar
    /// (`numpy.int16(5)` pickles as `scalar(dtype, b'\x05\x00')`).
    Small([u8; 16], u8),
    Array(usize),
    Wrapper(usize),
    /// A NumPy dtype: its code (`i2`), with the byte order once `BUILD`
    /// has given it (`<i2`). Changed in place, as Python's object is:
    /// the memo's copy, which later arrays name, is the same dtype.
    Dtype(RefCell<String>),
    Mark,
    Other,
}

impl V {
    fn depth(&self) -> u32 {
        match self {
            V::Tuple(d, _) | V::List(d, _) | V::Dict(d, _) | V::Persistent(d, _) => *d,
            _ => 0,
        }
    }

    fn items(&self) -> Option<&[Rc<V>]> {
        match self {
            V::Tuple(_, items) | V::List(_, items) => Some(items),
            _ => None,
        }
    }

    fn str(&self) -> Option<&str> {
        match self {
            V::Str(s, _) => Some(s),
            _ => None,
        }
    }
}

/// The depth of a container holding `items`, or `None` past [`MAX_DEPTH`].
fn deeper<'v>(items: impl IntoIterator<Item = &'v Rc<V>>) -> Option<u32> {
    let d = 1 + items.into_iter().map(|v| v.depth()).max().unwrap_or(0);
    (d <= MAX_DEPTH).then_some(d)
}

/// Most dimensions a tensor record may have: a shape is copied into every
/// record that names it, and a memoised one can be named thousands of times.
const MAX_DIMS: usize = 64;

fn int_tuple(v: &V) -> Option<Vec<u64>> {
    match v {
        V::Tuple(_, items) if items.len() > MAX_DIMS => None,
        V::Tuple(_, items) => items
            .iter()
            .map(|x| match **x {
                V::Int(i) => u64::try_from(i).ok(),
                _ => None,
            })
            .collect(),
        _ => None,
    }
}

fn storage_dtype(name: &str) -> Option<Dtype> {
    Some(match name {
        "FloatStorage" => Dtype::F32,
        "DoubleStorage" => Dtype::F64,
        "HalfStorage" => Dtype::F16,
        "BFloat16Storage" => Dtype::BF16,
        "ShortStorage" => Dtype::I16,
        "IntStorage" => Dtype::I32,
        "LongStorage" => Dtype::I64,
        _ => return None,
    })
}

/// The tensor a `REDUCE` of `callable(args)` rebuilds, if it is one.
fn rebuild(callable: &V, args: &V) -> Option<Tensor> {
    let V::Global(module, name) = callable else {
        return None;
    };
    if module != "torch._utils" || !name.starts_with("_rebuild_tensor") {
        return None;
    }
    let V::Tuple(_, args) = args else { return None };
    let V::Persistent(_, pid) = &**args.first()? else {
        return None;
    };
    let V::Tuple(_, pid) = &**pid else {
        return None;
    };
    let (V::Str(kind, _), V::Global(_, storage), V::Str(key, _)) =
        (&**pid.first()?, &**pid.get(1)?, &**pid.get(2)?)
    else {
        return None;
    };
    if kind != "storage" {
        return None;
    }
    let offset = match **args.get(1)? {
        V::Int(o) => u64::try_from(o).ok()?,
        _ => return None,
    };
    Some(Tensor {
        name: None,
        key: key.clone(),
        dtype: storage_dtype(storage),
        offset,
        shape: int_tuple(args.get(2)?)?,
        stride: int_tuple(args.get(3)?)?,
    })
}

/// The bytes a latin-1 string stands for (`_codecs.encode(s, 'latin1')`),
/// or `None` if it holds a character above U+00FF.
fn latin1(s: &str) -> Option<Vec<u8>> {
    s.chars().map(|c| u8::try_from(u32::from(c)).ok()).collect()
}

/// Protocol 0's `UNICODE` line (raw-unicode-escape): bytes are latin-1
/// characters but for `\uXXXX` and `\UXXXXXXXX` escapes.
fn raw_unicode_escape(line: &[u8]) -> String {
    let mut out = String::with_capacity(line.len());
    let mut i = 0;
    while i < line.len() {
        let escape = match (line[i], line.get(i + 1)) {
            (b'\\', Some(b'u')) => Some(4),
            (b'\\', Some(b'U')) => Some(8),
            _ => None,
        };
        let code = escape.and_then(|n| {
            let hex = std::str::from_utf8(line.get(i + 2..i + 2 + n)?).ok()?;
            Some((char::from_u32(u32::from_str_radix(hex, 16).ok()?)?, n))
        });
        match code {
            Some((c, n)) => {
                out.push(c);
                i += 2 + n;
            }
            None => {
                out.push(char::from(line[i]));
                i += 1;
            }
        }
    }
    out
}

/// Protocol 0's `STRING` line: a Python 2 `str` as `repr` writes it,
/// quoted, with backslash escapes; `None` when it is not quoted.
fn quoted(line: &[u8]) -> Option<Vec<u8>> {
    let (&q, rest) = line.split_first()?;
    let body = rest.strip_suffix(&[q])?;
    if !matches!(q, b'\'' | b'"') {
        return None;
    }
    let mut out = Vec::with_capacity(body.len());
    let mut i = 0;
    while i < body.len() {
        if body[i] != b'\\' || i + 1 == body.len() {
            out.push(body[i]);
            i += 1;
            continue;
        }
        let c = body[i + 1];
        i += 2;
        match c {
            b'n' => out.push(b'\n'),
            b'r' => out.push(b'\r'),
            b't' => out.push(b'\t'),
            b'a' => out.push(7),
            b'b' => out.push(8),
            b'f' => out.push(12),
            b'v' => out.push(11),
            b'x' => {
                let hex = body.get(i..i + 2).and_then(|h| std::str::from_utf8(h).ok());
                out.push(hex.and_then(|h| u8::from_str_radix(h, 16).ok())?);
                i += 2;
            }
            b'0'..=b'7' => {
                let digits = body[i - 1..]
                    .iter()
                    .take(3)
                    .take_while(|d| (b'0'..=b'7').contains(d))
                    .count();
                let octal = std::str::from_utf8(&body[i - 1..i - 1 + digits]).ok()?;
                out.push(u8::try_from(u32::from_str_radix(octal, 8).ok()?).ok()?);
                i += digits - 1;
            }
            other => out.push(other),
        }
    }
    Some(out)
}

fn is_latin1(encoding: &str) -> bool {
    matches!(
        &*encoding.to_ascii_lowercase().replace('_', "-"),
        "latin1" | "latin-1" | "iso-8859-1" | "iso8859-1" | "l1"
    )
}

/// Bytes per element of a NumPy dtype (`<i2`, `|S10`, `<U4`), as joblib
/// writes an array's bytes: `None` for a dtype not understood here.
fn itemsize(descr: &str) -> Option<u64> {
    let code = descr.trim_start_matches(['<', '>', '|', '=']);
    // `get`, not `split_at`: a code is the attacker's, and may open with
    // a character wider than a byte.
    let (kind, digits) = (code.get(..1)?, code.get(1..)?);
    let n: u64 = digits.parse().ok()?;
    match kind {
        "U" => n.checked_mul(4),
        "b" | "i" | "u" | "f" | "c" | "S" | "V" | "m" | "M" => Some(n),
        _ => None,
    }
}

/// The number a NumPy scalar of dtype `descr` (`<i2`, `f4`, `>f8`) holds
/// in `b`, as a run keeps it: an `i64` or an `f64`, little-endian. `None`
/// for other dtypes or bytes of the wrong length.
fn scalar(descr: &str, b: &[u8]) -> Option<(Kind, [u8; 8])> {
    let (big, code) = match descr.as_bytes().first()? {
        b'>' => (true, &descr[1..]),
        b'<' | b'=' | b'|' => (false, &descr[1..]),
        _ => (false, descr),
    };
    let (kind, width) = code.split_at_checked(1)?;
    if width.parse::<usize>().ok()? != b.len() {
        return None;
    }
    // A complex sample's real part (a voice kept as an analytic signal):
    // the first half, in the byte order of each part.
    let (kind, b) = match kind {
        "c" => ("f", &b[..b.len() / 2]),
        kind => (kind, b),
    };
    if b.is_empty() || b.len() > 8 {
        return None;
    }
    let mut raw = [0u8; 8];
    raw[..b.len()].copy_from_slice(b);
    if big {
        raw[..b.len()].reverse();
    }
    let bits = 8 * b.len() as u32;
    let unsigned = u64::from_le_bytes(raw);
    let signed = ((unsigned << (64 - bits)) as i64) >> (64 - bits);
    match (kind, b.len()) {
        ("i", 1 | 2 | 4 | 8) => Some((Kind::Ints, signed.to_le_bytes())),
        ("u", 1 | 2 | 4) => Some((Kind::Ints, (unsigned as i64).to_le_bytes())),
        ("f", 2) => {
            let v = f64::from(super::f16_to_f32(unsigned as u16));
            Some((Kind::Floats, v.to_le_bytes()))
        }
        ("f", 4) => {
            let v = f64::from(f32::from_bits(unsigned as u32));
            Some((Kind::Floats, v.to_le_bytes()))
        }
        ("f", 8) => Some((Kind::Floats, unsigned.to_le_bytes())),
        _ => None,
    }
}

/// A run of pickled numbers being collected.
struct Run {
    at: usize,
    kind: Kind,
    name: Option<String>,
    bytes: Vec<u8>,
    /// Its numbers are NumPy scalars, each pickled as a call: the opcodes
    /// of those calls do not end it.
    scalars: bool,
}

/// The pickle machine's state.
struct Machine<'b> {
    b: &'b [u8],
    pos: usize,
    stack: Vec<Rc<V>>,
    memo: Vec<Option<Rc<V>>>,
    tensors: Vec<Tensor>,
    payloads: Vec<Payload>,
    copied: usize,
    /// Bytes decoded and opcodes read, by this machine and those of the
    /// pickles nested in it, which share the bounds: thirty nested pickles
    /// of 16 MiB each would otherwise hold 480 MiB.
    decoded: usize,
    ops: usize,
    /// The bound a nested pickle's read ended on.
    nested_bound: Option<&'static str>,
    run: Option<Run>,
    /// Where a payload cut short by the end of the bytes says it ends.
    wanted: Option<u64>,
    /// Tensors and payloads past [`MAX_TENSORS`] and [`MAX_PAYLOADS`].
    dropped: usize,
    /// Pickles this one is nested in (joblib writes an array of objects
    /// as a whole pickle inside another).
    depth: u32,
}

impl<'b> Machine<'b> {
    fn take(&mut self, n: usize) -> Option<&'b [u8]> {
        let b = self.b;
        let s = b.get(self.pos..self.pos.checked_add(n)?)?;
        self.pos += n;
        Some(s)
    }

    /// A line of protocol 0's text opcodes, however long (a string's
    /// bytes); `Err(Short)` when the bytes end before its newline.
    fn long_line(&mut self) -> Result<&'b [u8], End> {
        let b = self.b;
        let rest = &b[self.pos..];
        let Some(end) = memchr::memchr(b'\n', rest) else {
            // A string running past the bytes held, its end unknown.
            self.wanted = Some(u64::MAX);
            return Err(End::Short);
        };
        self.pos += end + 1;
        Ok(&rest[..end])
    }

    /// `PUT`: the top of the stack kept in memo slot `slot`.
    fn put(&mut self, slot: usize, at: usize) -> Result<(), End> {
        let top = self.stack.last().cloned().ok_or(End::Unknown(at))?;
        if slot >= MAX_MEMO {
            return Err(End::Bound("memo"));
        }
        if self.memo.len() <= slot {
            self.memo.resize(slot + 1, None);
        }
        self.memo[slot] = Some(top);
        Ok(())
    }

    /// `GET`: memo slot `slot` onto the stack; `None` when it holds nothing.
    fn get(&mut self, slot: usize) -> Option<()> {
        let v = self.memo.get(slot).cloned().flatten()?;
        self.stack.push(v);
        Some(())
    }

    /// `GLOBAL` and `INST`'s module and name, a line each.
    fn global(&mut self) -> Result<V, End> {
        let module = self.line()?;
        let name = self.line()?;
        Ok(V::Global(module, name))
    }

    /// A line of a text opcode (`GLOBAL`'s module and name), at most 256
    /// bytes; `Err(Short)` when the bytes end before its newline.
    fn line(&mut self) -> Result<String, End> {
        let b = self.b;
        let rest = &b[self.pos..];
        match rest.iter().take(256).position(|&c| c == b'\n') {
            Some(end) => {
                self.pos += end + 1;
                Ok(String::from_utf8_lossy(&rest[..end]).into_owned())
            }
            None if rest.len() < 256 => Err(End::Short),
            None => Err(End::Unknown(self.pos)),
        }
    }

    fn uint(s: &[u8]) -> u64 {
        s.iter().rev().fold(0u64, |a, &x| a << 8 | u64::from(x))
    }

    /// A new payload; `None` when the pickle has recorded its share.
    fn payload(&mut self, at: usize, kind: Kind, data: Rc<[u8]>) -> Option<usize> {
        if self.payloads.len() >= MAX_PAYLOADS {
            self.dropped += 1;
            return None;
        }
        self.payloads.push(Payload {
            name: None,
            at,
            kind,
            data,
            claimed: false,
        });
        Some(self.payloads.len() - 1)
    }

    /// Bytes as a value: a payload when long enough to matter.
    fn bytes(&mut self, at: usize, data: &[u8]) -> V {
        if data.len() <= 16 {
            let mut small = [0u8; 16];
            small[..data.len()].copy_from_slice(data);
            return V::Small(small, data.len() as u8);
        }
        if data.len() < MIN_PAYLOAD && !biometric::opens_a_record(data) {
            return V::Other;
        }
        match self.payload(at, Kind::Bytes, data.into()) {
            Some(i) => V::Bytes(i),
            None => V::Other,
        }
    }

    /// A string; a long one is a payload too when it can be a file or
    /// samples: its characters all latin-1 with a tenth or more above
    /// U+007F (bytes kept as latin-1 text, as protocol 2 writes them), as
    /// those bytes; or holding a base64 or hex run, as its text, which the
    /// search for encoded runs reads. Transcripts and names are neither.
    fn text(&mut self, at: usize, s: String) -> V {
        let short = s.len() < MIN_PAYLOAD && !biometric::opens_a_record(s.as_bytes());
        if short || self.payloads.len() >= MAX_PAYLOADS || !self.decode(s.len()) {
            return V::Str(s, None);
        }
        let high = s.chars().filter(|&c| u32::from(c) > 0x7f).count();
        let bytes = match latin1(&s) {
            Some(bytes) if high * 10 >= bytes.len() => bytes,
            _ if !crate::unpack::encoded::runs(s.as_bytes(), 1).is_empty() => s.as_bytes().to_vec(),
            _ => return V::Str(s, None),
        };
        let i = self.payload(at, Kind::Bytes, bytes.into());
        V::Str(s, i)
    }

    /// Counts `n` decoded bytes against [`MAX_DECODED`]; past it the read
    /// ends.
    fn decode(&mut self, n: usize) -> bool {
        self.decoded = self.decoded.saturating_add(n);
        self.decoded <= MAX_DECODED
    }

    /// A number for the current run (started, or ended and started anew,
    /// when the kind changes).
    fn number(&mut self, at: usize, kind: Kind, le: [u8; 8]) -> bool {
        // Inside a run of NumPy scalars, numbers pickled as themselves are
        // not samples: a dtype's state rebuilt for each scalar (a pickle
        // written without a memo), or ints put among the samples.
        if self.run.as_ref().is_some_and(|r| r.scalars) {
            return true;
        }
        self.add_number(at, kind, le)
    }

    /// A number for the current run, from an opcode or a NumPy scalar.
    fn add_number(&mut self, at: usize, kind: Kind, le: [u8; 8]) -> bool {
        // A run of NumPy scalars takes integers as floats: a list may mix
        // the two (`np.int16` and `np.float32` items), and a run of
        // integer scalars becomes one of floats at the first float.
        if let Some(r) = self
            .run
            .as_mut()
            .filter(|r| r.scalars && r.kind == Kind::Ints)
        {
            if kind == Kind::Floats {
                for n in r.bytes.chunks_exact_mut(8) {
                    let v = i64::from_le_bytes(n.try_into().unwrap_or_default()) as f64;
                    n.copy_from_slice(&v.to_le_bytes());
                }
                r.kind = Kind::Floats;
            }
        }
        let (kind, le) = match &self.run {
            Some(r) if r.scalars && r.kind == Kind::Floats && kind == Kind::Ints => {
                (Kind::Floats, (i64::from_le_bytes(le) as f64).to_le_bytes())
            }
            _ => (kind, le),
        };
        if self.run.as_ref().is_some_and(|r| r.kind != kind) {
            self.end_run();
        }
        if self.run.is_none() {
            // A list set under a key: the key, the list and its MARK lie
            // on the stack below the first number.
            let name = self
                .stack
                .iter()
                .rev()
                .take(8)
                .find(|v| !matches!(***v, V::Mark | V::List(..)))
                .and_then(|v| v.str())
                .map(str::to_string);
            self.run = Some(Run {
                at,
                kind,
                name,
                bytes: Vec::new(),
                scalars: false,
            });
        }
        if !self.decode(8) {
            return false;
        }
        if let Some(run) = &mut self.run {
            run.bytes.extend_from_slice(&le);
        }
        true
    }

    fn end_run(&mut self) {
        let Some(run) = self.run.take() else { return };
        if run.bytes.len() / 8 >= MIN_NUMBERS {
            if let Some(i) = self.payload(run.at, run.kind, run.bytes.into()) {
                self.payloads[i].name = run.name;
            }
        }
    }

    /// The value a `REDUCE` (or `NEWOBJ`) of `callable(args)` makes.
    fn reduce(&mut self, at: usize, callable: &V, args: &V) -> V {
        if let Some(t) = rebuild(callable, args) {
            if self.tensors.len() < MAX_TENSORS {
                self.tensors.push(t);
                return V::Tensor(self.tensors.len() - 1);
            }
            self.dropped += 1;
            return V::Other;
        }
        let V::Global(module, name) = callable else {
            return V::Other;
        };
        let args = args.items().unwrap_or_default();
        let arg = |i: usize| args.get(i).map(|v| &**v);
        match (&**module, &**name) {
            ("numpy.core.multiarray" | "numpy._core.multiarray", "_reconstruct") => self
                .payload(
                    at,
                    Kind::Array {
                        descr: String::new(),
                        shape: Vec::new(),
                        fortran: false,
                    },
                    Rc::from(&[][..]),
                )
                .map_or(V::Other, V::Array),
            ("numpy.core.multiarray" | "numpy._core.multiarray", "scalar") => {
                if let (Some(V::Dtype(descr)), Some(V::Small(b, n))) = (arg(0), arg(1)) {
                    let number = scalar(&descr.borrow(), &b[..usize::from(*n)]);
                    if let Some((kind, le)) = number {
                        if !self.add_number(at, kind, le) {
                            return V::Other;
                        }
                        if let Some(run) = &mut self.run {
                            run.scalars = true;
                        }
                    }
                }
                V::Other
            }
            ("numpy", "dtype") => match arg(0) {
                Some(V::Str(code, _)) => V::Dtype(RefCell::new(code.clone())),
                _ => V::Other,
            },
            ("numpy.core.numeric" | "numpy._core.numeric", "_frombuffer") => {
                match (arg(0), arg(1), arg(2).and_then(int_tuple), arg(3)) {
                    (Some(V::Bytes(j)), Some(V::Dtype(descr)), Some(shape), order) => {
                        let fortran = order.and_then(V::str) == Some("F");
                        let descr = descr.borrow().clone();
                        self.array_of(at, *j, descr, shape, fortran)
                    }
                    _ => V::Other,
                }
            }
            ("_codecs", "encode") | ("__builtin__" | "builtins", "bytearray" | "bytes") => {
                match (arg(0), arg(1)) {
                    (Some(V::Str(s, text)), Some(V::Str(encoding, _))) if is_latin1(encoding) => {
                        // The string's bytes are judged as these.
                        if let Some(p) = text.and_then(|i| self.payloads.get_mut(i)) {
                            p.claimed = true;
                        }
                        if !self.decode(s.len()) {
                            return V::Other;
                        }
                        match latin1(s) {
                            Some(bytes) => self.bytes(at, &bytes),
                            None => V::Other,
                        }
                    }
                    (Some(V::Bytes(j)), None) => V::Bytes(*j),
                    _ => V::Other,
                }
            }
            ("joblib.numpy_pickle", "NumpyArrayWrapper") => self
                .payload(
                    at,
                    Kind::Array {
                        descr: String::new(),
                        shape: Vec::new(),
                        fortran: false,
                    },
                    Rc::from(&[][..]),
                )
                .map_or(V::Other, V::Wrapper),
            // `_rebuild_parameter(tensor, …)` and the like keep the tensor.
            _ => match arg(0) {
                Some(V::Tensor(i)) => V::Tensor(*i),
                _ => V::Other,
            },
        }
    }

    /// An array over the bytes of payload `j`.
    fn array_of(
        &mut self,
        at: usize,
        j: usize,
        descr: String,
        shape: Vec<u64>,
        fortran: bool,
    ) -> V {
        let Some(data) = self.payloads.get_mut(j).map(|p| {
            p.claimed = true;
            p.data.clone()
        }) else {
            return V::Other;
        };
        self.payload(
            at,
            Kind::Array {
                descr,
                shape,
                fortran,
            },
            data,
        )
        .map_or(V::Other, V::Array)
    }

    /// A whole pickle in this one's stream (joblib's array of objects): read
    /// with a machine of its own, its payloads kept as this one's. False
    /// when it ends before its `STOP`.
    fn nested(&mut self) -> bool {
        if self.depth >= MAX_NESTED {
            return false;
        }
        let b = self.b;
        let inner = read_nested(&b[self.pos..], self.depth + 1, self.ops, self.decoded);
        (self.ops, self.decoded) = (inner.ops, inner.decoded);
        if let End::Bound(bound) = inner.end {
            self.nested_bound = Some(bound);
        }
        let base = self.pos;
        self.tensors.extend(inner.tensors);
        self.dropped += inner.dropped;
        for mut p in inner.payloads {
            p.at += base;
            if self.payload(p.at, p.kind.clone(), p.data.clone()).is_some() {
                let kept = self.payloads.len() - 1;
                self.payloads[kept].name = p.name.take();
                self.payloads[kept].claimed = p.claimed;
            }
        }
        match inner.end {
            End::Stop(next) => {
                self.pos += next;
                true
            }
            _ => false,
        }
    }

    /// `BUILD`: the state of the object on top of the stack. Gives a NumPy
    /// array its dtype, shape and bytes, a dtype its byte order, and reads
    /// the bytes joblib writes behind an array wrapper's state. False when
    /// those bytes are not all there.
    fn build(&mut self, state: &V) -> bool {
        let Some(obj) = self.stack.last().cloned() else {
            return true;
        };
        match &*obj {
            V::Array(i) => {
                // (version, shape, dtype, is_fortran, data), or without the version.
                let items = state.items().unwrap_or_default();
                let [shape, dtype, fortran, data] = &items[items.len().saturating_sub(4)..] else {
                    return true;
                };
                let (Some(shape), V::Dtype(descr), V::Int(fortran)) =
                    (int_tuple(shape), &**dtype, &**fortran)
                else {
                    return true;
                };
                let V::Bytes(j) = **data else {
                    // Bytes too short to be recorded: an array of no
                    // interest gives back its slot, when it is the last.
                    if *i + 1 == self.payloads.len() {
                        self.payloads.pop();
                    }
                    return true;
                };
                let Some(bytes) = self.payloads.get_mut(j).map(|p| {
                    p.claimed = true;
                    p.data.clone()
                }) else {
                    return true;
                };
                if let Some(p) = self.payloads.get_mut(*i) {
                    p.kind = Kind::Array {
                        descr: descr.borrow().clone(),
                        shape,
                        fortran: *fortran != 0,
                    };
                    p.data = bytes;
                }
            }
            V::Dtype(code) => {
                // (version, byte order, …)
                let order = state.items().and_then(|s| s.get(1)).and_then(|v| v.str());
                let mut code = code.borrow_mut();
                if let Some(order) = order.filter(|_| !code.starts_with(['<', '>', '|', '='])) {
                    code.insert_str(0, order);
                }
            }
            V::Wrapper(i) => return self.wrapped(*i, state),
            _ => {}
        }
        true
    }

    /// joblib's array wrapper: its state gives shape, order and dtype; the
    /// array's bytes follow at once (after a padding length and padding
    /// when the state names an alignment). An array of objects is pickled
    /// there instead, and is read on as pickle.
    fn wrapped(&mut self, i: usize, state: &V) -> bool {
        let V::Dict(_, entries) = state else {
            return true;
        };
        let field = |key: &str| {
            entries
                .iter()
                .find(|(k, _)| k.str() == Some(key))
                .map(|(_, v)| v.clone())
        };
        let (Some(shape), Some(dtype)) = (field("shape"), field("dtype")) else {
            return true;
        };
        let (Some(shape), V::Dtype(descr)) = (int_tuple(&shape), &*dtype) else {
            return true;
        };
        let descr = descr.borrow().clone();
        // `|O8`: an array of Python objects, pickled whole right here.
        if descr
            .trim_start_matches(['<', '>', '|', '='])
            .starts_with('O')
        {
            return self.nested();
        }
        let Some(size) = itemsize(&descr) else {
            return true;
        };
        // joblib pads only when it could tell the file's position: the
        // alignment is then a number, else `None`.
        if field("numpy_array_alignment_bytes").is_some_and(|a| matches!(*a, V::Int(_))) {
            let Some(pad) = self.take(1).map(|s| usize::from(s[0])) else {
                return false;
            };
            if self.take(pad).is_none() {
                return false;
            }
        }
        let fortran = field("order").is_some_and(|o| o.str() == Some("F"));
        let len = shape.iter().try_fold(size, |a, &d| a.checked_mul(d));
        let Some(len) = len.and_then(|n| usize::try_from(n).ok()) else {
            return false;
        };
        // What the object holds of the array, when it is cut short.
        let available = len.min(self.b.len() - self.pos);
        let data: Rc<[u8]> = self.b[self.pos..self.pos + available].into();
        self.pos += available;
        if let Some(p) = self.payloads.get_mut(i) {
            p.kind = Kind::Array {
                descr,
                shape,
                fortran,
            };
            p.data = data;
        }
        available == len
    }
}

/// Reads the pickle that starts at the beginning of `b`.
pub(super) fn read(b: &[u8]) -> Pickle {
    read_nested(b, 0, 0, 0)
}

/// Pickles nested in pickles read: joblib's arrays of objects, each a
/// pickle in the stream of another.
const MAX_NESTED: u32 = 4;

/// Reads a pickle nested `depth` deep, after `ops` opcodes and `decoded`
/// bytes of the pickles around it.
fn read_nested(b: &[u8], depth: u32, ops: usize, decoded: usize) -> Pickle {
    let mut m = Machine {
        b,
        pos: 0,
        stack: Vec::new(),
        memo: Vec::new(),
        tensors: Vec::new(),
        payloads: Vec::new(),
        copied: 0,
        decoded,
        ops,
        nested_bound: None,
        run: None,
        wanted: None,
        dropped: 0,
        depth,
    };
    let end = run(&mut m);
    m.end_run();
    Pickle {
        tensors: m.tensors,
        payloads: m.payloads,
        end,
        ops: m.ops,
        decoded: m.decoded,
        wanted: m.wanted,
        dropped: m.dropped,
    }
}

/// The opcodes, until `STOP`, the end of the bytes, or a bound.
fn run(m: &mut Machine<'_>) -> End {
    loop {
        if m.ops >= MAX_OPS {
            return End::Bound("opcodes");
        }
        if m.stack.len() > MAX_STACK {
            return End::Bound("stack");
        }
        let at = m.pos;
        let Some(op) = m.take(1).map(|s| s[0]) else {
            return End::Short;
        };
        m.ops += 1;
        // The opcodes a list of numbers is pickled with: its numbers, the
        // MARKs and APPENDS of its batches, frames, and the lists, tuples
        // and memo entries of a list of lists (frames of a signal, one
        // after another); in a run of NumPy scalars, also the memo reads,
        // bytes and calls of each; anything else ends a run.
        let keeps_run = matches!(
            op,
            b'G' | b'K'
                | b'M'
                | b'J'
                | 0x8a
                | b'I'
                | b'L'
                | b'F'
                | b'p'
                | b'('
                | b'e'
                | b'a'
                | 0x95
                | b']'
                | b')'
                | b'l'
                | b't'
                | 0x85..=0x87 | b'q' | b'r' | 0x94
        ) || (m.run.as_ref().is_some_and(|r| r.scalars)
            && matches!(
                op,
                b'h' | b'j'
                    | b'g'
                    | b'C'
                    | b'B'
                    | b'X'
                    | 0x8c
                    | b'T'
                    | b'U'
                    | b'V'
                    | b'S'
                    | b'R'
                    | 0x81
                    // A dict's batches of them (under int or str keys).
                    | b'u'
                    | b's'
                    // Pickled without a memo (`Pickler.fast`), each
                    // scalar names its callable and builds its dtype anew.
                    | b'c'
                    | 0x93
                    | b'b'
                    | b'N'
                    | 0x88
                    | 0x89
            ));
        if !keeps_run {
            m.end_run();
        }
        // Why an opcode cannot be taken: its bytes ran out, or the stack
        // or memo do not hold what it needs.
        macro_rules! need {
            ($e:expr) => {
                match $e {
                    Some(v) => v,
                    None => return End::Unknown(at),
                }
            };
        }
        macro_rules! bytes {
            ($n:expr) => {
                match m.take($n) {
                    Some(s) => s,
                    None => return End::Short,
                }
            };
        }
        let pushed: Option<V> = match op {
            0x80 => {
                bytes!(1);
                None
            }
            0x95 => {
                bytes!(8);
                None
            }
            b'}' => Some(V::Dict(1, Vec::new())),
            b']' => Some(V::List(1, Vec::new())),
            b')' => Some(V::Tuple(1, Vec::new())),
            b'(' => Some(V::Mark),
            b'N' => Some(V::None),
            0x88 | 0x89 => Some(V::Int(i64::from(op == 0x88))),
            b'K' | b'M' | b'J' => {
                let width = match op {
                    b'K' => 1,
                    b'M' => 2,
                    _ => 4,
                };
                let raw = Machine::uint(bytes!(width));
                let v = if op == b'J' {
                    i64::from(raw as u32 as i32)
                } else {
                    raw as i64
                };
                if !m.number(at, Kind::Ints, v.to_le_bytes()) {
                    return End::Bound("decoded bytes");
                }
                Some(V::Int(v))
            }
            0x8a => {
                let n = usize::from(bytes!(1)[0]);
                let s = bytes!(n);
                let v = if n <= 8 && n > 0 {
                    let shift = 64 - 8 * n as u32;
                    Some(((Machine::uint(s) << shift) as i64) >> shift)
                } else if n == 0 {
                    Some(0)
                } else {
                    None
                };
                match v {
                    Some(v) => {
                        if !m.number(at, Kind::Ints, v.to_le_bytes()) {
                            return End::Bound("decoded bytes");
                        }
                        Some(V::Int(v))
                    }
                    None => Some(V::Other),
                }
            }
            0x8b => {
                let n = Machine::uint(bytes!(4));
                bytes!(need!(usize::try_from(n).ok()));
                Some(V::Other)
            }
            b'G' => {
                let s = bytes!(8);
                let v = f64::from_be_bytes(s.try_into().unwrap_or_default());
                if !m.number(at, Kind::Floats, v.to_le_bytes()) {
                    return End::Bound("decoded bytes");
                }
                Some(V::Other)
            }
            b'X' | b'T' | b'B' | 0x8c | b'U' | b'C' | 0x8d | 0x8e | 0x96 => {
                let width = match op {
                    0x8c | b'U' | b'C' => 1,
                    0x8d | 0x8e | 0x96 => 8,
                    _ => 4,
                };
                let n = Machine::uint(bytes!(width));
                let n = need!(usize::try_from(n).ok());
                // A payload longer than the bytes held: what is held of it
                // (a recording's first seconds are enough).
                let available = n.min(m.b.len() - m.pos);
                let s = bytes!(available);
                let value = match op {
                    b'B' | b'C' | 0x8e | 0x96 => m.bytes(at, s),
                    // Python 2's `str` is bytes.
                    b'T' | b'U' if s.len() >= MIN_PAYLOAD || biometric::opens_a_record(s) => {
                        m.bytes(at, s)
                    }
                    _ => m.text(at, String::from_utf8_lossy(s).into_owned()),
                };
                if m.decoded > MAX_DECODED {
                    return End::Bound("decoded bytes");
                }
                if available < n {
                    m.stack.push(Rc::new(value));
                    m.wanted = Some((m.pos as u64).saturating_add((n - available) as u64));
                    return End::Short;
                }
                Some(value)
            }
            // Protocol 0: numbers, strings, memo and objects as text lines.
            b'I' | b'L' | b'F' => {
                let line = match m.long_line() {
                    Ok(line) => String::from_utf8_lossy(line).into_owned(),
                    Err(end) => return end,
                };
                let line = line.trim_end_matches('L');
                if op == b'F' {
                    let v: f64 = need!(line.parse().ok());
                    if !m.number(at, Kind::Floats, v.to_le_bytes()) {
                        return End::Bound("decoded bytes");
                    }
                    Some(V::Other)
                } else {
                    // `I00` and `I01` are False and True.
                    match line.parse::<i64>() {
                        Ok(v) => {
                            if !m.number(at, Kind::Ints, v.to_le_bytes()) {
                                return End::Bound("decoded bytes");
                            }
                            Some(V::Int(v))
                        }
                        Err(_) if op == b'L' => Some(V::Other),
                        Err(_) => return End::Unknown(at),
                    }
                }
            }
            b'S' | b'V' | b'P' => {
                let line = match m.long_line() {
                    Ok(line) => line,
                    Err(end) => return end,
                };
                match op {
                    b'S' => {
                        let bytes = need!(quoted(line));
                        if bytes.len() >= MIN_PAYLOAD || biometric::opens_a_record(&bytes) {
                            Some(m.bytes(at, &bytes))
                        } else {
                            Some(V::Str(String::from_utf8_lossy(&bytes).into_owned(), None))
                        }
                    }
                    b'V' => {
                        let value = m.text(at, raw_unicode_escape(line));
                        if m.decoded > MAX_DECODED {
                            return End::Bound("decoded bytes");
                        }
                        Some(value)
                    }
                    _ => Some(V::Other),
                }
            }
            b'p' | b'g' => {
                let line = match m.line() {
                    Ok(line) => line,
                    Err(end) => return end,
                };
                let slot: usize = need!(line.parse().ok());
                if op == b'g' {
                    need!(m.get(slot));
                } else if let Err(end) = m.put(slot, at) {
                    return end;
                }
                None
            }
            b'i' | b'o' => {
                let callable = if op == b'i' {
                    match m.global() {
                        Ok(global) => Some(Rc::new(global)),
                        Err(end) => return end,
                    }
                } else {
                    None
                };
                let mark = need!(m.stack.iter().rposition(|v| matches!(**v, V::Mark)));
                let mut items: Vec<Rc<V>> = m.stack.drain(mark + 1..).collect();
                m.stack.pop();
                let callable = match callable {
                    Some(c) => c,
                    None if items.is_empty() => return End::Unknown(at),
                    None => items.remove(0),
                };
                let Some(depth) = deeper(&items) else {
                    return End::Bound("nesting");
                };
                let args = V::Tuple(depth, items);
                let value = m.reduce(at, &callable, &args);
                if m.decoded > MAX_DECODED {
                    return End::Bound("decoded bytes");
                }
                Some(value)
            }
            b'c' => match m.global() {
                Ok(global) => Some(global),
                Err(end) => return end,
            },
            0x93 => {
                let name = need!(m.stack.pop());
                let module = need!(m.stack.pop());
                match (&*module, &*name) {
                    (V::Str(m, _), V::Str(n, _)) => Some(V::Global(m.clone(), n.clone())),
                    _ => Some(V::Other),
                }
            }
            b'q' | b'r' | 0x94 => {
                let slot = match op {
                    b'q' => Machine::uint(bytes!(1)),
                    b'r' => Machine::uint(bytes!(4)),
                    _ => m.memo.len() as u64,
                } as usize;
                if let Err(end) = m.put(slot, at) {
                    return end;
                }
                None
            }
            b'h' | b'j' => {
                let width = if op == b'h' { 1 } else { 4 };
                let slot = Machine::uint(bytes!(width)) as usize;
                need!(m.get(slot));
                None
            }
            b't' | b'l' | b'd' | b'u' | b'e' | 0x90 | b'1' => {
                let mark = need!(m.stack.iter().rposition(|v| matches!(**v, V::Mark)));
                let items: Vec<Rc<V>> = m.stack.drain(mark + 1..).collect();
                m.stack.pop();
                let Some(depth) = deeper(&items) else {
                    return End::Bound("nesting");
                };
                match op {
                    b't' => Some(V::Tuple(depth, items)),
                    b'l' => Some(V::List(depth, items)),
                    b'd' => Some(V::Dict(depth, pairs(&items, m))),
                    b'1' => None,
                    _ => {
                        // SETITEMS / APPENDS / ADDITEMS into the object below the mark.
                        let target = need!(m.stack.pop());
                        let updated = match (&*target, op) {
                            (V::Dict(d0, d), b'u') => {
                                let named = pairs(&items, m);
                                if d.len() >= KEPT_ENTRIES && depth <= *d0 {
                                    // Nothing kept changes: the same dict.
                                    m.stack.push(target);
                                    continue;
                                }
                                match kept(m, d, named) {
                                    Some(d) => V::Dict(depth.max(*d0), d),
                                    None => return End::Bound("copies"),
                                }
                            }
                            // A list's items are never looked at again (its
                            // numbers are runs, its tensors and payloads
                            // recorded when made): only its depth is kept,
                            // so a long list costs no copies.
                            (V::List(d0, _), b'e') => V::List(depth.max(*d0), Vec::new()),
                            (_, b'u') => {
                                pairs(&items, m);
                                V::Other
                            }
                            _ => V::Other,
                        };
                        Some(updated)
                    }
                }
            }
            0x85..=0x87 => {
                let n = usize::from(op - 0x84);
                if m.stack.len() < n {
                    return End::Unknown(at);
                }
                let items = m.stack.split_off(m.stack.len() - n);
                let Some(depth) = deeper(&items) else {
                    return End::Bound("nesting");
                };
                Some(V::Tuple(depth, items))
            }
            b's' => {
                let value = need!(m.stack.pop());
                let key = need!(m.stack.pop());
                let target = need!(m.stack.pop());
                let named = pairs(&[key.clone(), value.clone()], m);
                let Some(depth) = deeper([&key, &value]) else {
                    return End::Bound("nesting");
                };
                if let V::Dict(d0, d) = &*target {
                    if d.len() >= KEPT_ENTRIES && depth <= *d0 {
                        m.stack.push(target);
                        continue;
                    }
                }
                Some(match &*target {
                    V::Dict(d0, d) => match kept(m, d, named) {
                        Some(d) => V::Dict(depth.max(*d0), d),
                        None => return End::Bound("copies"),
                    },
                    _ => V::Other,
                })
            }
            b'a' => {
                let item = need!(m.stack.pop());
                let target = need!(m.stack.pop());
                Some(match &*target {
                    V::List(d0, _) => {
                        let Some(depth) = deeper([&item]) else {
                            return End::Bound("nesting");
                        };
                        V::List(depth.max(*d0), Vec::new())
                    }
                    _ => V::Other,
                })
            }
            b'Q' => {
                let pid = need!(m.stack.pop());
                let Some(depth) = deeper([&pid]) else {
                    return End::Bound("nesting");
                };
                Some(V::Persistent(depth, pid))
            }
            b'R' | 0x81 | 0x92 => {
                if op == 0x92 {
                    need!(m.stack.pop());
                }
                let args = need!(m.stack.pop());
                let callable = need!(m.stack.pop());
                let value = m.reduce(at, &callable, &args);
                if m.decoded > MAX_DECODED {
                    return End::Bound("decoded bytes");
                }
                Some(value)
            }
            b'b' => {
                // BUILD: state applied to the object below; the object stays.
                let state = need!(m.stack.pop());
                need!(m.stack.last());
                if !m.build(&state) {
                    return m.nested_bound.take().map_or(End::Short, End::Bound);
                }
                None
            }
            b'0' => {
                need!(m.stack.pop());
                None
            }
            b'2' => {
                let top = need!(m.stack.last()).clone();
                m.stack.push(top);
                None
            }
            0x8f => Some(V::Other),
            0x91 => {
                let mark = need!(m.stack.iter().rposition(|v| matches!(**v, V::Mark)));
                m.stack.truncate(mark);
                Some(V::Other)
            }
            b'.' => return End::Stop(m.pos),
            _ => return End::Unknown(at),
        };
        if let Some(v) = pushed {
            m.stack.push(Rc::new(v));
        }
    }
}

/// Entries of a dict kept for what is read back from one (a joblib
/// wrapper's state); keys set past them still name their values.
const KEPT_ENTRIES: usize = 64;

/// A dict's kept entries after an update: a copy (the memo may hold the
/// old one), of at most [`KEPT_ENTRIES`]; `None` past [`MAX_COPIED`].
fn kept(
    m: &mut Machine<'_>,
    d: &[(Rc<V>, Rc<V>)],
    more: Vec<(Rc<V>, Rc<V>)>,
) -> Option<Vec<(Rc<V>, Rc<V>)>> {
    let room = KEPT_ENTRIES.saturating_sub(d.len());
    let mut d = d.to_vec();
    d.extend(more.into_iter().take(room));
    m.copied += d.len();
    (m.copied <= MAX_COPIED).then_some(d)
}

/// Key/value pairs from a flat list; a tensor or payload set under a string
/// key takes the key as its name.
fn pairs(items: &[Rc<V>], m: &mut Machine<'_>) -> Vec<(Rc<V>, Rc<V>)> {
    items
        .chunks_exact(2)
        .map(|kv| {
            if let V::Str(k, _) = &*kv[0] {
                let name = match &*kv[1] {
                    V::Tensor(i) => m.tensors.get_mut(*i).map(|t| &mut t.name),
                    V::Bytes(i) | V::Array(i) | V::Wrapper(i) | V::Str(_, Some(i)) => {
                        m.payloads.get_mut(*i).map(|p| &mut p.name)
                    }
                    _ => None,
                };
                if let Some(name) = name {
                    name.get_or_insert_with(|| k.clone());
                }
            }
            (kv[0].clone(), kv[1].clone())
        })
        .collect()
}

/// Whether a head opens with pickles of protocol 2 to 5 (`PROTO`, a
/// `FRAME` that fits the object when there is one) whose opcodes read on
/// to `STOP` or to the end of the head, a byte string that runs past it
/// ending within the object: four opcodes or more, over the pickles one
/// after another (`pickle.dump(count, f)` then the items, or the legacy
/// `torch.save` stream, open with a pickle of one number). Random bytes
/// with `80 02` in front fail within a few opcodes.
pub(crate) fn opens_a_pickle(head: &[u8], size: u64) -> bool {
    if head.first() != Some(&0x80) {
        return opens_an_old_pickle(head, size);
    }
    let mut at = 0;
    let mut ops = 0;
    for _ in 0..64 {
        let rest = &head[at..];
        let [0x80, protocol, ..] = *rest else {
            return false;
        };
        if !(2..=5).contains(&protocol) {
            return false;
        }
        if let Some([0x95, len @ ..]) = rest.get(2..11) {
            let frame = u64::from_le_bytes(len.try_into().unwrap_or_default());
            if frame == 0 || frame > size {
                return false;
            }
        }
        let p = read(rest);
        ops += p.ops;
        match p.end {
            // Another pickle behind this one: read on. (Other bytes may
            // start with 80 too: a legacy torch.save storage's count.)
            End::Stop(next) if matches!(rest.get(next..next + 2), Some([0x80, 2..=5])) => {
                at += next
            }
            End::Stop(_) => return ops >= 4,
            End::Short => {
                return (ops >= 3 || !p.payloads.is_empty())
                    && p.wanted
                        .is_none_or(|end| end.saturating_add(at as u64) <= size)
            }
            End::Unknown(_) | End::Bound(_) => return false,
        }
    }
    ops >= 4
}

/// A pickle of protocol 0 or 1 (Python 2's default, and `cPickle`'s):
/// no `PROTO`, so eight opcodes that read on to `STOP`, or to the end of
/// the head with a byte string, array or run of numbers read. Text and
/// source code fail within a line or two (a `V` or `S` line, then a
/// letter that is no opcode or whose operands do not parse).
fn opens_an_old_pickle(head: &[u8], size: u64) -> bool {
    // What such a pickle of anything worth reading opens with: a MARK, an
    // empty dict or list, or a GLOBAL (an object, an array, bytes). Other
    // first bytes (a bare number or string) are not read: one object in
    // twenty opens with one of them, and would be parsed for nothing.
    if !matches!(head.first(), Some(b'(' | b'}' | b']' | b'c')) {
        return false;
    }
    let p = read(head);
    match p.end {
        End::Stop(_) => p.ops >= 8,
        // A string longer than the head (a recording's bytes), as a line
        // or of a length that fits the object: the opcodes before it must
        // have read.
        End::Short if p.wanted.is_some_and(|end| end == u64::MAX || end <= size) => p.ops >= 4,
        // A long pickle cut by the head between opcodes or in a short line.
        End::Short => p.ops >= 256 || (p.ops >= 8 && !p.payloads.is_empty()),
        End::Unknown(_) | End::Bound(_) => false,
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    /// `{'waveform': _rebuild_tensor_v2(('storage', FloatStorage, '0', 'cpu', 12800), 0, (12800,), (1,), False, OrderedDict()), 'sample_rate': 16000}`
    /// as torch.save writes it (protocol 2), from the fixture's data.pkl.
    pub(in crate::unpack::datasets) const WAVEFORM_PKL: &[u8] = b"\x80\x02}q\x00(X\x08\x00\x00\x00waveformq\x01ctorch._utils\n_rebuild_tensor_v2\nq\x02((X\x07\x00\x00\x00storageq\x03ctorch\nFloatStorage\nq\x04X\x01\x00\x00\x000q\x05X\x03\x00\x00\x00cpuq\x06M\x002tq\x07QK\x00M\x002\x85q\x08K\x01\x85q\t\x89ccollections\nOrderedDict\nq\n)Rq\x0btq\x0cRq\rX\x0b\x00\x00\x00sample_rateq\x0eM\x80>u.";

    #[test]
    fn shapes_of_more_than_64_dimensions_make_no_tensor() {
        let shape = |n: usize| V::Tuple(1, (0..n).map(|_| Rc::new(V::Int(1))).collect());
        assert_eq!(int_tuple(&shape(64)).map(|s| s.len()), Some(64));
        assert_eq!(int_tuple(&shape(65)), None);
    }

    /// A dict memoised again after every `SETITEMS` is copied each time
    /// (the memo holds the old one): only its first entries are, and a
    /// list keeps none, so neither grows with what is set into it. Past
    /// the copy bound the read ends.
    #[test]
    fn containers_updated_again_and_again_stay_small() {
        let mut p = b"\x80\x02}q\x00".to_vec();
        for _ in 0..2000 {
            p.extend(b"h\x00(K\x01K\x02uq\x00");
        }
        p.extend(b"0]q\x01");
        for _ in 0..30_000 {
            p.extend(b"(K\x01eq\x01");
        }
        p.push(b'.');
        let started = std::time::Instant::now();
        let got = read(&p);
        assert_eq!(got.end, End::Stop(p.len()));
        assert!(started.elapsed().as_secs() < 2);
        // A dict of 60 entries copied by 20,000 updates of the memo's
        // copy (a full one is not copied at all): bounded.
        let mut p = b"\x80\x02}q\x00(".to_vec();
        for i in 0..60u8 {
            p.extend([b'K', i, b'K', i]);
        }
        p.push(b'u');
        p.extend(b"q\x00");
        for _ in 0..20_000 {
            p.extend(b"h\x00(K\x01K\x02u0");
        }
        p.push(b'.');
        assert_eq!(read(&p).end, End::Bound("copies"));
    }

    #[test]
    fn a_state_dict_names_its_tensors() {
        let p = read(WAVEFORM_PKL);
        assert_eq!(p.end, End::Stop(WAVEFORM_PKL.len()));
        assert_eq!(
            p.tensors,
            vec![Tensor {
                name: Some("waveform".into()),
                key: "0".into(),
                dtype: Some(Dtype::F32),
                offset: 0,
                shape: vec![12800],
                stride: vec![1],
            }]
        );
    }

    #[test]
    fn truncated_and_hostile_pickles_end_quietly() {
        for cut in 0..WAVEFORM_PKL.len() {
            let p = read(&WAVEFORM_PKL[..cut]);
            assert!(p.tensors.len() <= 1);
            assert!(matches!(p.end, End::Short), "{cut}: {:?}", p.end);
        }
        // A memo slot far away, a GET of nothing, an unknown opcode.
        assert_eq!(read(b"\x80\x02Nr\xff\xff\xff\x7f.").end, End::Bound("memo"));
        assert_eq!(read(b"h\x05").end, End::Unknown(0));
        assert_eq!(read(b"\xfe").end, End::Unknown(0));
        // Exponential sharing (DUP and TUPLE2) costs pointers, and nesting
        // stops at MAX_DEPTH: a million TUPLE1s do not overflow the stack.
        let mut bomb = b"\x80\x02N".to_vec();
        for _ in 0..60 {
            bomb.extend(b"2\x86");
        }
        bomb.extend(std::iter::repeat_n(0x85u8, 1_000_000));
        bomb.push(b'.');
        assert_eq!(read(&bomb).end, End::Bound("nesting"));
        // A huge string length: what is there of it.
        assert_eq!(read(b"X\xff\xff\xff\xff").end, End::Short);
    }

    /// `{'audio': numpy.ndarray}` as protocol 2 (torch.save's) writes it,
    /// after `pickle.dumps({'audio': a}, protocol=2)`: the array's bytes a
    /// latin-1 string.
    pub(in crate::unpack::datasets) fn numpy_p2(data: &[u8], code: &str) -> Vec<u8> {
        let text: String = data.iter().map(|&b| char::from(b)).collect();
        let mut p = b"\x80\x02}q\x00X\x05\x00\x00\x00audioq\x01cnumpy._core.multiarray\n_reconstruct\nq\x02cnumpy\nndarray\nq\x03K\x00\x85q\x04c_codecs\nencode\nq\x05X\x01\x00\x00\x00bq\x06X\x06\x00\x00\x00latin1q\x07\x86q\x08Rq\t\x87q\nRq\x0b(K\x01".to_vec();
        p.push(b'M');
        p.extend((data.len() as u16 / 2).to_le_bytes());
        p.extend(b"\x85q\x0ccnumpy\ndtype\nq\rX");
        p.extend((code.len() as u32).to_le_bytes());
        p.extend(code.as_bytes());
        p.extend(b"q\x0e\x89\x88\x87q\x0fRq\x10(K\x03X\x01\x00\x00\x00<q\x11NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00tq\x12b\x89h\x05X");
        p.extend((text.len() as u32).to_le_bytes());
        p.extend(text.as_bytes());
        p.extend(b"q\x13h\x07\x86q\x14Rq\x15tq\x16bs.");
        p
    }

    fn samples(n: usize) -> Vec<u8> {
        (0..n)
            .flat_map(|i| (((i as f64 / 9.0).sin() * 9000.0) as i16).to_le_bytes())
            .collect()
    }

    #[test]
    fn a_protocol_2_array_is_its_bytes_dtype_and_shape() {
        let data = samples(3000);
        let p = read(&numpy_p2(&data, "i2"));
        assert!(p.complete(), "{:?}", p.end);
        let arrays: Vec<_> = p.payloads.iter().filter(|p| !p.claimed).collect();
        assert_eq!(arrays.len(), 1, "the latin-1 bytes are the array's");
        assert_eq!(arrays[0].name.as_deref(), Some("audio"));
        assert_eq!(
            arrays[0].kind,
            Kind::Array {
                descr: "<i2".into(),
                shape: vec![3000],
                fortran: false
            }
        );
        assert_eq!(&arrays[0].data[..], &data[..]);
    }

    #[test]
    fn protocol_3_and_5_arrays_and_a_dtype_named_again() {
        // protocol 3: the bytes as BINBYTES; two arrays, the second naming
        // the first's dtype from the memo (after its BUILD gave it `>`).
        let data = samples(400);
        let mut p = b"\x80\x03]q\x00(".to_vec();
        let array = |p: &mut Vec<u8>, first: bool| {
            p.extend(b"cnumpy.core.multiarray\n_reconstruct\ncnumpy\nndarray\nK\x00\x85C\x01b\x87R(K\x01M\x90\x01\x85");
            if first {
                p.extend(b"cnumpy\ndtype\nX\x02\x00\x00\x00f2\x89\x88\x87Rq\x05(K\x03X\x01\x00\x00\x00>NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00tb");
            } else {
                p.extend(b"h\x05");
            }
            p.extend(b"\x89B\x20\x03\x00\x00");
            p.extend(&data);
            p.extend(b"tb");
        };
        array(&mut p, true);
        array(&mut p, false);
        p.extend(b"e.");
        let got = read(&p);
        assert!(got.complete(), "{:?}", got.end);
        let kinds: Vec<_> = got
            .payloads
            .iter()
            .filter(|p| !p.claimed)
            .map(|p| &p.kind)
            .collect();
        let big_f2 = Kind::Array {
            descr: ">f2".into(),
            shape: vec![400],
            fortran: false,
        };
        assert_eq!(kinds, [&big_f2, &big_f2]);
        // protocol 5: _frombuffer(bytearray, dtype, shape, order).
        let mut p = b"\x80\x05\x95\x10\x00\x00\x00\x00\x00\x00\x00\x8c\x13numpy._core.numeric\x94\x8c\x0b_frombuffer\x93(\x96".to_vec();
        p.extend((data.len() as u64).to_le_bytes());
        p.extend(&data);
        p.extend(b"\x8c\x05numpy\x8c\x05dtype\x93\x8c\x02i2\x89\x88\x87R(K\x03\x8c\x01<NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00tbM\x90\x01K\x01\x86\x8c\x01Ft\x94R.");
        let got = read(&p);
        assert!(got.complete(), "{:?}", got.end);
        let arrays: Vec<_> = got.payloads.iter().filter(|p| !p.claimed).collect();
        assert_eq!(
            arrays[0].kind,
            Kind::Array {
                descr: "<i2".into(),
                shape: vec![400, 1],
                fortran: true
            }
        );
        assert_eq!(&arrays[0].data[..], &data[..]);
        assert!(opens_a_pickle(&p, p.len() as u64));
    }

    #[test]
    fn joblib_array_bytes_behind_the_wrapper_are_read_and_the_pickle_goes_on() {
        let data = samples(300);
        let mut p = b"\x80\x04\x95\x10\x00\x00\x00\x00\x00\x00\x00}\x8c\x01x\x8c\x13joblib.numpy_pickle\x8c\x11NumpyArrayWrapper\x93)\x81}(\x8c\x05shapeM,\x01\x85\x8c\x05order\x8c\x01C\x8c\x05dtype\x8c\x05numpy\x8c\x05dtype\x93\x8c\x02i2\x89\x88\x87R(K\x03\x8c\x01<NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00tb\x8c\x1bnumpy_array_alignment_bytesK\x10ub".to_vec();
        p.extend(b"\x03\xff\xff\xff");
        p.extend(&data);
        p.extend(b"s.");
        let got = read(&p);
        assert_eq!(got.end, End::Stop(p.len()));
        assert_eq!(got.payloads.len(), 1);
        assert_eq!(got.payloads[0].name.as_deref(), Some("x"));
        assert_eq!(&got.payloads[0].data[..], &data[..]);
        // Cut inside the array's bytes: what is there, and the pickle is short.
        let got = read(&p[..p.len() - 100]);
        assert_eq!(got.end, End::Short);
        assert_eq!(got.payloads[0].data.len(), data.len() - 98);
    }

    #[test]
    fn byte_strings_however_pickled() {
        let raw: Vec<u8> = (0..600u32).map(|i| (i * 7) as u8).collect();
        let text: String = raw.iter().map(|&b| char::from(b)).collect();
        let str_op = |s: &str| {
            let mut v = vec![b'X'];
            v.extend((s.len() as u32).to_le_bytes());
            v.extend(s.as_bytes());
            v
        };
        // protocol 2: _codecs.encode(str, 'latin1'), bytearray(str, 'latin-1')
        let mut p = b"\x80\x02](c_codecs\nencode\n".to_vec();
        p.extend(str_op(&text));
        p.extend(str_op("latin1"));
        p.extend(b"\x86Rc__builtin__\nbytearray\n");
        p.extend(str_op(&text));
        p.extend(str_op("latin-1"));
        p.extend(b"\x86R");
        // Not latin-1: a character above U+00FF makes no bytes.
        p.extend(b"c_codecs\nencode\n");
        p.extend(str_op(&format!("{text}\u{263a}")));
        p.extend(str_op("latin1"));
        p.extend(b"\x86R");
        // protocol 3 bytes and a short one, Python 2's str.
        p.extend(b"B");
        p.extend(600u32.to_le_bytes());
        p.extend(&raw);
        p.extend(b"C\x03abcT");
        p.extend(600u32.to_le_bytes());
        p.extend(&raw);
        p.extend(b"e.");
        let got = read(&p);
        assert!(got.complete(), "{:?}", got.end);
        // The latin-1 strings are payloads too, claimed by what encodes them.
        let judged: Vec<_> = got.payloads.iter().filter(|p| !p.claimed).collect();
        assert_eq!(judged.len(), 4);
        for payload in judged {
            assert_eq!((&payload.kind, &payload.data[..]), (&Kind::Bytes, &raw[..]));
        }
        // A latin-1 string of samples on its own, and a base64 run in text.
        let b64 = {
            use base64::Engine;
            base64::engine::general_purpose::STANDARD.encode(&raw)
        };
        let mut p = b"\x80\x04]".to_vec();
        for s in [&text, &b64, &"a transcript, words and spaces. ".repeat(20)] {
            p.push(0x8d);
            p.extend((s.len() as u64).to_le_bytes());
            p.extend(s.as_bytes());
        }
        p.push(b'.');
        let got = read(&p);
        let data: Vec<_> = got.payloads.iter().map(|p| &p.data[..]).collect();
        assert_eq!(data, [&raw[..], b64.as_bytes()]);
    }

    #[test]
    fn runs_of_numbers_are_kept_when_long_and_named_by_their_key() {
        let mut p = b"\x80\x04}\x8c\x03wav](".to_vec();
        for i in 0..2500 {
            if i % 1000 == 999 {
                p.extend(b"e(");
            }
            p.push(b'G');
            p.extend((f64::from(i) / 10.0).sin().to_be_bytes());
        }
        p.extend(b"es\x8c\x03ids](K\x01J\xff\xff\xff\xffM\x10\x27es.");
        let got = read(&p);
        assert!(got.complete(), "{:?}", got.end);
        assert_eq!(got.payloads.len(), 1, "three ints are no run");
        let run = &got.payloads[0];
        assert_eq!(
            (run.name.as_deref(), &run.kind),
            (Some("wav"), &Kind::Floats)
        );
        assert_eq!(run.data.len(), 2500 * 8);
        assert_eq!(&run.data[8..16], &(0.1f64).sin().to_le_bytes());
    }

    #[test]
    fn a_list_of_frames_is_one_run() {
        // [[f, f, …], [f, f, …], …] as protocol 4 writes it: every inner
        // list memoised, filled in batches, appended to the outer one.
        let mut p = b"\x80\x04}\x8c\x06frames]\x94(".to_vec();
        for frame in 0..3 {
            p.extend(b"]\x94(");
            for i in 0..1000 {
                p.push(b'G');
                p.extend(f64::from(frame * 1000 + i).to_be_bytes());
            }
            p.push(b'e');
        }
        p.extend(b"es.");
        let got = read(&p);
        assert!(got.complete(), "{:?}", got.end);
        assert_eq!(got.payloads.len(), 1);
        assert_eq!(got.payloads[0].name.as_deref(), Some("frames"));
        assert_eq!(got.payloads[0].data.len(), 3000 * 8);
        assert_eq!(
            &got.payloads[0].data[8 * 1999..8 * 2000],
            &1999f64.to_le_bytes()
        );
    }

    #[test]
    fn decoding_one_string_again_and_again_is_bounded() {
        // A 1 MiB latin-1 string memoised, then encoded by 40 GETs.
        let text = "\u{e9}".repeat(1 << 19);
        let mut p = b"\x80\x02(X".to_vec();
        p.extend((text.len() as u32).to_le_bytes());
        p.extend(text.as_bytes());
        p.extend(b"q\x00X\x06\x00\x00\x00latin1q\x010");
        for _ in 0..40 {
            p.extend(b"c_codecs\nencode\nh\x00h\x01\x86R");
        }
        p.extend(b"l.");
        let got = read(&p);
        assert_eq!(got.end, End::Bound("decoded bytes"));
        assert!(got.payloads.len() < 40);
    }

    #[test]
    fn a_pickle_head_is_told_from_bytes_that_start_alike() {
        let p2 = numpy_p2(&samples(100), "i2");
        assert!(opens_a_pickle(&p2, p2.len() as u64));
        // A bytes pickle whose payload runs past the head.
        let mut big = b"\x80\x03B\x00\x00\x10\x00".to_vec();
        big.extend(samples(2000));
        assert!(opens_a_pickle(&big, (1 << 20) + 7));
        assert!(
            !opens_a_pickle(&big, 1 << 20),
            "a string longer than the object"
        );
        // A frame longer than the object, protocol 6.
        assert!(!opens_a_pickle(
            b"\x80\x04\x95\xff\xff\x00\x00\x00\x00\x00\x00}.",
            100
        ));
        assert!(!opens_a_pickle(b"\x80\x06}.", 4));
        // A count, then the items; the legacy torch.save stream's magic.
        assert!(opens_a_pickle(b"\x80\x04K\x05.\x80\x04]\x94.", 20));
        assert!(opens_a_pickle(
            b"\x80\x02\x8a\x0al\xfc\x9cF\xf9 j\xa8P\x19.\x80\x02M\xe9\x03.",
            1000
        ));
        assert!(!opens_a_pickle(b"\x80\x02N.", 4), "one pickle of None");
        // Random bytes behind `80 02`…`80 05`.
        let mut accepted = 0;
        for seed in 0..4000u64 {
            let mut head = crate::sniff::testutil::pseudo_random(4096, seed);
            head[..2].copy_from_slice(&[0x80, 2 + (seed % 4) as u8]);
            accepted += usize::from(opens_a_pickle(&head, 1 << 20));
        }
        assert!(accepted <= 4, "{accepted} random heads taken for pickles");
    }

    #[test]
    fn mutated_pickles_end_within_bounds() {
        // Bytes of real-looking pickles, flipped, duplicated and spliced.
        let bases = [
            numpy_p2(&samples(300), "i2"),
            WAVEFORM_PKL.to_vec(),
            b"\x80\x04\x95\x10\x00\x00\x00\x00\x00\x00\x00}\x8c\x01x\x8c\x13joblib.numpy_pickle\x8c\x11NumpyArrayWrapper\x93)\x81}(\x8c\x05shapeM,\x01\x85\x8c\x05dtype\x8c\x05numpy\x8c\x05dtype\x93\x8c\x02i2\x85Rub\x00s.".to_vec(),
        ];
        let noise = crate::sniff::testutil::pseudo_random(1 << 16, 5);
        let started = std::time::Instant::now();
        for round in 0..3000usize {
            let mut p = bases[round % bases.len()].clone();
            for k in 0..1 + round % 6 {
                let r = usize::from(noise[(round * 7 + k) % noise.len()]) << 8
                    | usize::from(noise[(round * 13 + k + 1) % noise.len()]);
                let at = r % p.len();
                match (round + k) % 3 {
                    0 => p[at] = noise[r % noise.len()],
                    1 => {
                        let piece = p[at..(at + 9).min(p.len())].to_vec();
                        p.splice(at..at, piece);
                    }
                    _ => p.truncate(at.max(1)),
                }
            }
            let got = read(&p);
            let held: usize = got.payloads.iter().map(|p| p.data.len()).sum();
            // Payloads share the pickle's bytes or decode them: never more
            // than a few times its size.
            assert!(held <= 8 * p.len(), "{round}");
        }
        assert!(started.elapsed().as_secs() < 20);
    }

    /// Protocols 0 and 1 (no PROTO) as Python writes them, and what only
    /// looks like them: this crate's own text and source, random bytes.
    #[test]
    fn old_pickles_are_told_from_text() {
        // pickle.dumps(b'\x00\xff' * 300, 0) and pickle.dumps([0.5] * 3, 0)
        let mut bytes0 = b"c_codecs\nencode\np0\n(V".to_vec();
        bytes0.extend("\u{0}\u{ff}".repeat(300).chars().map(|c| c as u8));
        bytes0.extend(b"\np1\nVlatin1\np2\ntp3\nRp4\n.");
        assert!(opens_a_pickle(&bytes0, bytes0.len() as u64));
        let got = read(&bytes0);
        let judged: Vec<_> = got.payloads.iter().filter(|p| !p.claimed).collect();
        assert_eq!(judged.len(), 1);
        assert_eq!(&judged[0].data[..], &b"\x00\xff".repeat(300)[..]);
        // Protocol 1 bytes: a string of a length running past the head.
        let mut bytes1 = b"c_codecs\nencode\nq\x00(X\x00\x00\x10\x00".to_vec();
        bytes1.extend("\u{0}\u{ff}".repeat(300).as_bytes());
        assert!(opens_a_pickle(&bytes1, 1 << 21));
        assert!(!opens_a_pickle(&bytes1, 1 << 20), "longer than the object");
        // Its string line cut by the end of the head; in a protocol 2
        // pickle such a line is no string of known length.
        assert!(opens_a_pickle(&bytes0[..400], 1 << 20));
        let p2 = [&b"\x80\x02]q\x00("[..], &bytes0[..400]].concat();
        assert!(!opens_a_pickle(&p2, 1 << 20));
        let floats0 = b"(lp0\nF0.5\naF0.5\naF0.5\na.";
        assert!(opens_a_pickle(floats0, floats0.len() as u64));
        // A head that ends between opcodes: 256 of them read, or no pickle.
        let mut long = b"(lp0\n".to_vec();
        long.extend(b"F0.5\na".repeat(300));
        assert!(opens_a_pickle(&long[..5 + 6 * 200], 1 << 20));
        assert!(!opens_a_pickle(&long[..5 + 6 * 50], 1 << 20));
        assert_eq!(quoted(br"'a\x00\n\\\'\101'"), Some(b"a\x00\n\\'A".to_vec()));
        assert_eq!(raw_unicode_escape(br"a\u005cb\u000a\xff"), "a\\b\n\\xff");
        for text in [
            &include_bytes!("../../../README.md")[..],
            include_bytes!("../../../CHANGELOG.md"),
            include_bytes!("pickle.rs"),
            include_bytes!("../../../Cargo.toml"),
            include_bytes!("../../../rules/default.toml"),
        ] {
            for start in 0..text.len().min(4000) {
                assert!(!opens_a_pickle(&text[start..], 1 << 20), "text at {start}");
            }
        }
        let mut accepted = 0;
        for seed in 0..4000u64 {
            let mut head = crate::sniff::testutil::pseudo_random(4096, seed);
            head[0] = b"(}]c"[seed as usize % 4];
            accepted += usize::from(opens_a_pickle(&head, 1 << 20));
        }
        assert_eq!(accepted, 0);
    }

    /// A dtype code that opens with a wide character, a string length
    /// near 2^64, and more arrays than the reader keeps: no panic, and
    /// what is dropped is counted (the walk reports it).
    #[test]
    fn hostile_dtypes_lengths_and_counts() {
        let wide = b"\x80\x04\x8c\x13joblib.numpy_pickle\x8c\x11NumpyArrayWrapper\x93)\x81}(\x8c\x05shapeK\x01\x85\x8c\x05dtype\x8c\x05numpy\x8c\x05dtype\x93\x8c\x03\xc3\xa92\x85Rub.";
        assert_eq!(read(wide).end, End::Stop(wide.len()));
        assert_eq!(itemsize("\u{e9}2"), None);
        let mut huge = b"\x80\x04\x8d".to_vec();
        huge.extend(u64::MAX.to_le_bytes());
        huge.extend(b"abc");
        let got = read(&huge);
        assert_eq!((got.end, got.wanted), (End::Short, Some(u64::MAX)));
        assert!(!opens_a_pickle(&huge, 1 << 40));
        // 4,100 arrays never built, then bytes: the last are dropped, counted.
        let mut p = b"\x80\x03](".to_vec();
        for _ in 0..4100 {
            p.extend(
                b"cnumpy.core.multiarray\n_reconstruct\ncnumpy\nndarray\nK\x00\x85C\x01b\x87R",
            );
        }
        p.extend(b"B\x00\x04\x00\x00");
        p.extend([7u8; 1024]);
        p.extend(b"e.");
        let got = read(&p);
        assert_eq!(got.end, End::Stop(p.len()));
        assert_eq!((got.payloads.len(), got.dropped), (MAX_PAYLOADS, 5));
        // joblib's array of objects: a whole pickle behind its wrapper's
        // BUILD, then the outer pickle goes on to the next array.
        let data = samples(400);
        let mut p = b"\x80\x04}(\x8c\x04meta\x8c\x13joblib.numpy_pickle\x8c\x11NumpyArrayWrapper\x93)\x81}(\x8c\x05shapeK\x03\x85\x8c\x05dtype\x8c\x05numpy\x8c\x05dtype\x93\x8c\x02O8\x89\x88\x87R(K\x03\x8c\x01|NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK?tb\x8c\x1bnumpy_array_alignment_bytesK\x10ub".to_vec();
        p.extend(b"\x80\x05](\x8c\x01aK\x01Ne.");
        p.extend(b"\x8c\x05audioB");
        p.extend((data.len() as u32).to_le_bytes());
        p.extend(&data);
        p.extend(b"u.");
        let got = read(&p);
        assert_eq!(got.end, End::Stop(p.len()));
        let held: Vec<_> = got.payloads.iter().filter(|p| !p.data.is_empty()).collect();
        assert_eq!(held.len(), 1, "the wrapper's own array holds nothing");
        assert_eq!(held[0].name.as_deref(), Some("audio"));
        // Tiny arrays built with their (unrecorded) bytes give back their slot.
        let mut p = b"\x80\x03](".to_vec();
        for _ in 0..5000 {
            p.extend(b"cnumpy.core.multiarray\n_reconstruct\ncnumpy\nndarray\nK\x00\x85C\x01b\x87R(K\x01K\x03\x85cnumpy\ndtype\nX\x02\x00\x00\x00f8\x89\x88\x87R\x89C\x18");
            p.extend([0u8; 24]);
            p.extend(b"tb");
        }
        p.extend(b"e.");
        let got = read(&p);
        assert!(got.complete(), "{:?}", got.end);
        assert_eq!((got.payloads.len(), got.dropped), (0, 0));
    }

    /// Nested pickles share the bounds of the pickle around them: each
    /// of thirty object arrays decoding 8 MiB (a memoised string encoded
    /// again and again) ends the read on its bound, not at 240 MiB.
    #[test]
    fn nested_pickles_share_the_bound_on_decoded_bytes() {
        let x = |s: &[u8]| [&b"X"[..], &(s.len() as u32).to_le_bytes(), s].concat();
        let put = |i: u32| [&b"r"[..], &i.to_le_bytes()].concat();
        let get = |i: u32| [&b"j"[..], &i.to_le_bytes()].concat();
        let text = b"ab. ".repeat(32 * 1024);
        let mut inner = [
            &b"\x80\x04"[..],
            &x(&text),
            &put(0),
            b"0c_codecs\nencode\n",
            &put(1),
            b"0",
        ]
        .concat();
        for _ in 0..64 {
            inner.extend([&get(1)[..], b"(", &get(0), &x(b"latin1"), b"tR0"].concat());
        }
        inner.extend(b"N.");
        let mut p = [
            &b"\x80\x04cnumpy\ndtype\n"[..],
            &x(b"O8"),
            b"\x85R",
            &put(0),
            b"0",
        ]
        .concat();
        p.extend(
            [
                &b"cjoblib.numpy_pickle\nNumpyArrayWrapper\n"[..],
                &put(1),
                b"0",
            ]
            .concat(),
        );
        for _ in 0..30 {
            p.extend(
                [
                    &get(1)[..],
                    b")R}(",
                    &x(b"shape"),
                    b"K\x01\x85",
                    &x(b"dtype"),
                    &get(0),
                    b"ub",
                ]
                .concat(),
            );
            p.extend(&inner);
            p.extend(b"0");
        }
        p.extend(b"N.");
        let got = read(&p);
        assert_eq!(got.end, End::Bound("decoded bytes"));
        let held: usize = got.payloads.iter().map(|p| p.data.len()).sum();
        assert!(held <= MAX_DECODED, "{held}");
    }

    /// `tuple(samples)` is built on the stack, an entry per number.
    #[test]
    fn a_tuple_of_samples_is_a_run() {
        let mut p = b"\x80\x02(".to_vec();
        for i in 0..16_000i32 {
            p.push(b'J');
            p.extend((i % 3000 - 1500).to_le_bytes());
        }
        p.extend(b"t.");
        let got = read(&p);
        assert!(got.complete(), "{:?}", got.end);
        assert_eq!(got.payloads.len(), 1);
        assert_eq!(
            (&got.payloads[0].kind, got.payloads[0].data.len()),
            (&Kind::Ints, 16_000 * 8)
        );
    }

    /// NumPy scalars in a list or dict as protocol 4 writes them: `open`
    /// after PROTO (the container, its memo entry, MARK, a first key), the
    /// scalar callable and the dtype (`code`, two characters) once, then
    /// each item's bytes, the callable and dtype named from the memo after
    /// the first and `between(i)` before item i > 0 (a key, a batch's
    /// end), then `close`.
    fn p4_scalars(
        open: &[u8],
        code: &str,
        items: &[Vec<u8>],
        between: impl Fn(usize) -> Vec<u8>,
        close: &[u8],
    ) -> Vec<u8> {
        let mut p = b"\x80\x04".to_vec();
        p.extend(open);
        p.extend(b"\x8c\x16numpy._core.multiarray\x94\x8c\x06scalar\x94\x93\x94\x8c\x05numpy\x94\x8c\x05dtype\x94\x93\x94\x8c\x02");
        p.extend(code.as_bytes());
        p.extend(b"\x94\x89\x88\x87\x94R\x94(K\x03\x8c\x01<\x94NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00t\x94b");
        for (i, item) in items.iter().enumerate() {
            if i > 0 {
                p.extend(between(i));
                p.extend(b"h\x03h\x09");
            }
            p.push(b'C');
            p.push(item.len() as u8);
            p.extend(item);
            p.extend(b"\x94\x86\x94R\x94");
        }
        p.extend(close);
        p
    }

    /// `list(array)`: every sample a NumPy scalar, pickled as a call of
    /// `scalar(dtype, bytes)`, in Python's opcode order for protocol 4
    /// (the dtype and the callable named from the memo after the first)
    /// and protocol 2 (the bytes as `_codecs.encode(latin-1 text)`).
    #[test]
    fn a_list_of_numpy_scalars_is_a_run() {
        let samples: Vec<i16> = (0..3000)
            .map(|i| ((i as f64 / 7.0).sin() * 3000.0) as i16)
            .collect();
        let items: Vec<Vec<u8>> = samples.iter().map(|v| v.to_le_bytes().to_vec()).collect();
        let p = p4_scalars(b"]\x94(", "i2", &items, |_| Vec::new(), b"e.");
        let got = read(&p);
        assert!(got.complete(), "{:?}", got.end);
        assert_eq!(got.payloads.len(), 1);
        let run = &got.payloads[0];
        assert_eq!((&run.kind, run.data.len()), (&Kind::Ints, 3000 * 8));
        assert_eq!(&run.data[8..16], &i64::from(samples[1]).to_le_bytes());

        // Protocol 2, float32 samples: the memo numbers as Python writes them.
        let mut p = b"\x80\x02]q\x00(cnumpy._core.multiarray\nscalar\nq\x01cnumpy\ndtype\nq\x02X\x02\x00\x00\x00f4q\x03\x89\x88\x87q\x04Rq\x05(K\x03X\x01\x00\x00\x00<q\x06NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00tq\x07bc_codecs\nencode\nq\x08".to_vec();
        let mut memo = 9u8;
        for i in 0..2500 {
            let v = (i as f32 / 5.0).sin() * 0.5;
            let text: String = v.to_le_bytes().iter().map(|&b| char::from(b)).collect();
            if i > 0 {
                p.extend(b"h\x01h\x05h\x08");
            }
            p.push(b'X');
            p.extend((text.len() as u32).to_le_bytes());
            p.extend(text.as_bytes());
            p.extend([b'h', memo, 0x86, b'R', 0x86, b'R']);
            if i == 0 {
                // The encoding's name, memoised the first time.
                let at = p.len() - 6;
                p.splice(at..at + 2, *b"X\x06\x00\x00\x00latin1q\x0a");
                memo = 10;
            }
        }
        p.extend(b"e.");
        let got = read(&p);
        assert!(got.complete(), "{:?}", got.end);
        assert_eq!(got.payloads.len(), 1);
        let run = &got.payloads[0];
        assert_eq!((&run.kind, run.data.len()), (&Kind::Floats, 2500 * 8));
        assert_eq!(
            &run.data[8..16],
            &f64::from((0.2f32).sin() * 0.5).to_le_bytes()
        );
        // Protocol 0: the bytes as raw-unicode-escape lines, the memo by
        // number, as Python writes it.
        let mut p = b"(lp0\ncnumpy._core.multiarray\nscalar\np1\n(cnumpy\ndtype\np2\n(Vi2\np3\nI00\nI01\ntp4\nRp5\n(I3\nV<\np6\nNNNI-1\nI-1\nI0\ntp7\nbc_codecs\nencode\np8\n".to_vec();
        let mut memo = 9;
        for (i, v) in samples.iter().enumerate() {
            if i > 0 {
                p.extend(b"g1\n(g5\ng8\n");
            }
            p.extend(b"(V");
            for b in v.to_le_bytes() {
                match b {
                    0..=0x1f | b'\\' | 0x7f => p.extend(format!("\\u{b:04x}").bytes()),
                    b => p.push(b),
                }
            }
            if i == 0 {
                p.extend(format!("\np{memo}\nVlatin1\np10\n").bytes());
                memo = 11;
            } else {
                p.extend(format!("\np{memo}\ng10\n").bytes());
                memo += 1;
            }
            p.extend(
                format!(
                    "tp{}\nRp{}\ntp{}\nRp{}\na",
                    memo,
                    memo + 1,
                    memo + 2,
                    memo + 3
                )
                .bytes(),
            );
            memo += 4;
        }
        p.push(b'.');
        let got = read(&p);
        assert!(got.complete(), "{:?}", got.end);
        assert_eq!(got.payloads.len(), 1);
        assert_eq!(
            (&got.payloads[0].kind, got.payloads[0].data.len()),
            (&Kind::Ints, 3000 * 8)
        );
        assert_eq!(
            &got.payloads[0].data[8..16],
            &i64::from(samples[1]).to_le_bytes()
        );
        // Float scalars with Python ints put among them: one run of the
        // scalars, the ints left out.
        let floats: Vec<Vec<u8>> = (0..3000)
            .map(|j| (2.0 * j as f32 / 9.0).sin().to_le_bytes().to_vec())
            .collect();
        let p = p4_scalars(b"]\x94(", "f4", &floats, |_| b"K\x05".to_vec(), b"K\x05e.");
        let got = read(&p);
        assert_eq!(got.payloads.len(), 1, "{:?}", got.end);
        assert_eq!(
            (&got.payloads[0].kind, got.payloads[0].data.len()),
            (&Kind::Floats, 3000 * 8)
        );
        assert_eq!(
            &got.payloads[0].data[8..16],
            &f64::from((2.0f32 / 9.0).sin()).to_le_bytes()
        );
        // A dict of them under int keys, in SETITEMS batches of 1,000.
        let between = |i: usize| {
            let mut b = if i.is_multiple_of(1000) {
                b"u(".to_vec()
            } else {
                Vec::new()
            };
            b.push(b'M');
            b.extend((i as u16).to_le_bytes());
            b
        };
        let p = p4_scalars(b"}\x94(K\x00", "i2", &items, between, b"u.");
        let got = read(&p);
        assert!(got.complete(), "{:?}", got.end);
        assert_eq!(got.payloads.len(), 1);
        assert_eq!(got.payloads[0].data.len(), 3000 * 8);
        // Scalars of other dtypes, or bytes that do not fit theirs, are no numbers.
        assert_eq!(scalar("<i2", &[1, 0]).map(|s| s.0), Some(Kind::Ints));
        assert_eq!(
            scalar(">u2", &[1, 0]).map(|s| s.1),
            Some(256i64.to_le_bytes())
        );
        assert_eq!(scalar("<i2", &[1, 0, 0]), None);
        assert_eq!(scalar("|b1", &[1]), None);
        assert_eq!(
            scalar(">c8", &[0x3f, 0x80, 0, 0, 0x40, 0, 0, 0]).map(|s| s.1),
            Some(1.0f64.to_le_bytes()),
            "a complex scalar's real part"
        );
        assert_eq!(scalar("<c16", &[0; 16]).map(|s| s.0), Some(Kind::Floats));
        assert_eq!(scalar("<i0", &[]), None);
        assert_eq!(scalar("<i16", &[0; 16]), None);
        assert_eq!(
            scalar("<f2", &[0x00, 0x3c]).map(|s| s.1),
            Some(1.0f64.to_le_bytes())
        );
        assert_eq!(scalar("", &[]), None);
    }

    /// Long strings count toward the bytes decoded: past the bound the
    /// read ends, however they are pickled.
    #[test]
    fn strings_spend_the_decode_budget() {
        let text = "\u{e9}".repeat(1 << 19);
        let mut p = b"\x80\x04(".to_vec();
        for _ in 0..20 {
            p.push(0x8d);
            p.extend((text.len() as u64).to_le_bytes());
            p.extend(text.as_bytes());
        }
        p.extend(b"l.");
        assert_eq!(read(&p).end, End::Bound("decoded bytes"));
    }

    #[test]
    fn every_cut_of_an_array_pickle_ends_quietly() {
        let p = numpy_p2(&samples(700), "i2");
        for cut in 0..p.len() {
            let got = read(&p[..cut]);
            assert_eq!(got.end, End::Short, "{cut}");
        }
    }
}
