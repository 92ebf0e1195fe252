//! ONNX models: the tensors a `ModelProto` carries — its graph's
//! initializers, the values of `Constant` nodes and tensor attributes, and
//! those of subgraphs (`If`, `Loop`, `Scan` bodies) — found by walking the
//! protobuf structure and judged by dtype and shape, as safetensors' are.
//! Weights kept in external files are not in the object and not looked for.
//!
//! Only keys and lengths are read: a payload the walk does not descend into
//! (a tensor's data, a doc string) is stepped over by its length, so a
//! model of hundreds of megabytes costs its structure and the judged slices.

use super::tensors::MAX_TENSORS;
use super::{malformed, varint, Dtype, Reader, Step, Stop};
use crate::sniff;
use crate::unpack::{Level, Limit, Walk};

/// Subgraphs inside subgraphs followed (an `If` inside a `Loop` body …).
const MAX_NESTING: u32 = 8;
/// Structure reads start this small, since a skipped tensor leaves the next
/// field far away, and double while the walk reads on from where the last
/// one ended (a run of small node messages), up to [`MAX_CHUNK`].
const MIN_CHUNK: usize = 4 << 10;
const MAX_CHUNK: usize = 256 << 10;
/// Structure reads per model: each skipped tensor costs one, and a bucket
/// object's read is a request.
const MAX_READS: usize = 512;
/// Longest tensor name read; longer ones are cut.
const MAX_NAME: usize = 256;
/// Longest packed `dims` read: 64 dimensions of ten bytes.
const MAX_DIMS_BYTES: usize = 640;

/// What a field holds after its key.
enum Wire {
    Varint(u64),
    /// A length-delimited payload at this offset, of this length.
    Bytes(u64, u64),
    /// A fixed-width number (stepped over).
    Fixed,
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
            self.chunk = if offset == end {
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
        let (Some(key), mut wire) = (varint(b, &mut i), None) else {
            return malformed("a field key is cut short");
        };
        let next = match key & 7 {
            0 => {
                let Some(v) = varint(b, &mut i) else {
                    return malformed("a varint is cut short");
                };
                wire = Some(Wire::Varint(v));
                pos + i as u64
            }
            1 => pos + i as u64 + 8,
            2 => {
                let Some(len) = varint(b, &mut i) else {
                    return malformed("a length is cut short");
                };
                let at = pos + i as u64;
                wire = Some(Wire::Bytes(at, len));
                at.saturating_add(len)
            }
            5 => pos + i as u64 + 4,
            w => return malformed(format!("wire type {w}")),
        };
        if next > end {
            return malformed("a field runs past its message");
        }
        Ok((key >> 3, wire.unwrap_or(Wire::Fixed), next))
    }
}

/// What the walk is inside of.
#[derive(Clone, Copy)]
enum Kind {
    Graph,
    Node,
    Attribute,
}

/// A `TensorProto`'s description: where its little-endian elements lie.
#[derive(Default)]
struct Tensor {
    dims: Vec<u64>,
    data_type: u64,
    name: Option<String>,
    /// `raw_data`, or packed `float_data` / `double_data`: (offset, length,
    /// the element type those fields hold when it is not `data_type`'s).
    data: Option<(u64, u64, Option<Dtype>)>,
    external: bool,
}

/// ONNX `TensorProto.DataType` values that can hold a waveform.
fn dtype(data_type: u64) -> Option<Dtype> {
    Some(match data_type {
        1 => Dtype::F32,
        5 => Dtype::I16,
        6 => Dtype::I32,
        7 => Dtype::I64,
        10 => Dtype::F16,
        11 => Dtype::F64,
        16 => Dtype::BF16,
        _ => return None,
    })
}

/// The walk's progress over one model.
struct Found {
    /// Tensors described so far (unnamed ones are numbered by it).
    seen: usize,
    /// Tensors whose shape could hold a signal, judged.
    judged: usize,
    damaged: usize,
}

impl Walk<'_> {
    pub(super) fn onnx(&mut self, level: &Level<'_, '_>, prefix: &str) -> Step<()> {
        let mut r = Reader::new(level);
        let head = r.from(0, sniff::HEAD_LEN)?;
        let Some((at, len)) = sniff::dataset::onnx_graph(&head, r.size()) else {
            return malformed("ModelProto does not parse");
        };
        let mut cur = Cursor::new();
        let mut found = Found {
            seen: 0,
            judged: 0,
            damaged: 0,
        };
        self.onnx_message(
            &mut r,
            &mut cur,
            prefix,
            Kind::Graph,
            at,
            at + len,
            0,
            &mut found,
        )
    }

    /// Walks one message of `kind` at `start..end`, descending into the
    /// fields that hold tensors or graphs. False once the walk should stop
    /// (the tensors judged reached their bound, or time ran out).
    #[allow(clippy::too_many_arguments)]
    fn onnx_message(
        &mut self,
        r: &mut Reader<'_, '_, '_>,
        cur: &mut Cursor,
        prefix: &str,
        kind: Kind,
        start: u64,
        end: u64,
        nesting: u32,
        found: &mut Found,
    ) -> Step<()> {
        let mut pos = start;
        while pos < end {
            let (field, wire, next) = cur.field(r, pos, end)?;
            pos = next;
            let Wire::Bytes(at, len) = wire else {
                continue;
            };
            let (body, body_end) = (at, at + len);
            match (kind, field) {
                // GraphProto.node
                (Kind::Graph, 1) => {
                    self.onnx_message(r, cur, prefix, Kind::Node, body, body_end, nesting, found)?
                }
                // GraphProto.initializer; AttributeProto.t and .tensors
                (Kind::Graph, 5) | (Kind::Attribute, 5 | 10) => {
                    let t = tensor(r, cur, body, body_end)?;
                    self.onnx_tensor(r, prefix, t, found)?;
                }
                // NodeProto.attribute
                (Kind::Node, 5) => self.onnx_message(
                    r,
                    cur,
                    prefix,
                    Kind::Attribute,
                    body,
                    body_end,
                    nesting,
                    found,
                )?,
                // AttributeProto.g and .graphs
                (Kind::Attribute, 6 | 11) => {
                    if nesting >= MAX_NESTING {
                        self.limit(
                            prefix,
                            Limit::Depth,
                            format!("onnx: subgraphs nested deeper than {MAX_NESTING} not read"),
                        );
                        continue;
                    }
                    self.onnx_message(
                        r,
                        cur,
                        prefix,
                        Kind::Graph,
                        body,
                        body_end,
                        nesting + 1,
                        found,
                    )?;
                }
                _ => {}
            }
            if found.judged > MAX_TENSORS || self.timed_out {
                return Ok(());
            }
        }
        Ok(())
    }

    /// Judges one described tensor's planned slice.
    fn onnx_tensor(
        &mut self,
        r: &mut Reader<'_, '_, '_>,
        prefix: &str,
        t: Tensor,
        found: &mut Found,
    ) -> Step<()> {
        found.seen += 1;
        let Some(declared) = dtype(t.data_type) else {
            return Ok(());
        };
        let Some((at, len, held)) = t.data.filter(|_| !t.external) else {
            return Ok(());
        };
        let dtype = held.unwrap_or(declared);
        let name = t
            .name
            .unwrap_or_else(|| format!("tensor#{}", found.seen - 1));
        let fits = t
            .dims
            .iter()
            .try_fold(dtype.size() as u64, |a, &d| a.checked_mul(d))
            == Some(len);
        if !fits {
            return self.damaged(
                prefix,
                &mut found.damaged,
                format!("onnx: tensor {name} holds {len} bytes, not what its shape declares"),
            );
        }
        if super::plan(&t.dims).is_none() {
            return Ok(());
        }
        found.judged += 1;
        if found.judged > MAX_TENSORS {
            self.limit(
                prefix,
                Limit::Members,
                format!("onnx: more than {MAX_TENSORS} tensors shaped like signals; the rest not judged"),
            );
            return Ok(());
        }
        if self.out_of_time(prefix) {
            return Ok(());
        }
        match self.tensor(r, prefix, &name, at, dtype, false, &t.dims) {
            Ok(_) | Err(Stop::Unreadable(_)) => Ok(()),
            Err(stop) => Err(stop),
        }
    }
}

/// Reads a `TensorProto` at `start..end`: its shape, type, name and where
/// its elements lie, never the elements.
fn tensor(r: &mut Reader<'_, '_, '_>, cur: &mut Cursor, start: u64, end: u64) -> Step<Tensor> {
    let mut t = Tensor::default();
    let mut pos = start;
    while pos < end {
        let (field, wire, next) = cur.field(r, pos, end)?;
        pos = next;
        match (field, wire) {
            // dims, one by one
            (1, Wire::Varint(d)) => t.dims.push(d),
            // dims, packed
            (1, Wire::Bytes(at, len)) => {
                if len > MAX_DIMS_BYTES as u64 {
                    return malformed("a tensor declares too many dimensions");
                }
                let b = cur.bytes(r, at, len as usize)?;
                let mut i = 0;
                while i < b.len() {
                    let Some(d) = varint(b, &mut i) else {
                        return malformed("a dimension is cut short");
                    };
                    t.dims.push(d);
                }
            }
            (2, Wire::Varint(v)) => t.data_type = v,
            // float_data, packed
            (4, Wire::Bytes(at, len)) => t.data = Some((at, len, Some(Dtype::F32))),
            (8, Wire::Bytes(at, len)) => {
                let b = cur.bytes(r, at, (len as usize).min(MAX_NAME))?;
                t.name = (!b.is_empty()).then(|| sniff::token(b));
            }
            (9, Wire::Bytes(at, len)) => t.data = Some((at, len, None)),
            // double_data, packed
            (10, Wire::Bytes(at, len)) => t.data = Some((at, len, Some(Dtype::F64))),
            // data_location: EXTERNAL
            (14, Wire::Varint(v)) => t.external = v == 1,
            _ => {}
        }
    }
    Ok(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn onnx_types_keep_only_wide_numbers() {
        assert_eq!(dtype(1), Some(Dtype::F32));
        assert_eq!(dtype(10), Some(Dtype::F16));
        assert_eq!(dtype(16), Some(Dtype::BF16));
        // UINT8, INT8, STRING, BOOL, UINT16
        for small in [2, 3, 8, 9, 4] {
            assert_eq!(dtype(small), None);
        }
    }
}
