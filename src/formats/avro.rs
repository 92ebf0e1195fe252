//! Apache Avro object container files (Avro 1.11 specification, "Object
//! Container Files"): the `Obj\x01` magic, a metadata map holding the
//! writer's schema (`avro.schema`, JSON) and codec (`avro.codec`), a
//! 16-byte sync marker, then blocks of records, each a count, a byte size,
//! the (compressed) records and the sync marker again.
//!
//! Records are decoded by the schema into their leaves: byte strings
//! (`bytes`, `string`, `fixed`) and lists of numbers (an `array` of `int`,
//! `long`, `float` or `double`), each named by its path in the record. Every
//! count and length is checked against the bytes present; a schema is at
//! most [`MAX_SCHEMA_DEPTH`] deep and [`MAX_TYPES`] types large, and a record
//! yields at most [`MAX_LEAVES`] leaves, so a crafted schema or record
//! cannot make the decoder loop or allocate without bound.

use serde_json::Value;

pub(crate) const MAGIC: &[u8; 4] = b"Obj\x01";
pub(crate) const SYNC_LEN: usize = 16;

/// Entries of the metadata map read (the writer puts two or three).
const MAX_META: usize = 64;
/// Nesting of a schema, and of a value being decoded.
pub(crate) const MAX_SCHEMA_DEPTH: usize = 32;
/// Types one schema defines.
pub(crate) const MAX_TYPES: usize = 4096;
/// Leaves taken from one record.
pub(crate) const MAX_LEAVES: usize = 256;
/// Values (array and map items, record fields, union branches) decoded by
/// one [`Records`], all records together: a `null` costs no bytes, so
/// bytes alone do not bound a record of a thousand null fields, nor a
/// block that declares 2¹⁶ of them.
const MAX_ITEMS: u64 = 1 << 20;
/// Numbers kept of one array.
pub(crate) const MAX_NUMBERS: usize = 1 << 17;

/// A zig-zag encoded `long` at `*pos`.
pub(crate) fn long(b: &[u8], pos: &mut usize) -> Option<i64> {
    let v = crate::sniff::bytes::varint(b, pos)?;
    Some((v >> 1) as i64 ^ -((v & 1) as i64))
}

/// A length (a `long` that must be 0 or more) and the bytes it covers,
/// when all of them are there.
fn counted<'a>(b: &'a [u8], pos: &mut usize) -> Option<&'a [u8]> {
    let len = usize::try_from(long(b, pos)?).ok()?;
    let v = b.get(*pos..pos.checked_add(len)?)?;
    *pos += len;
    Some(v)
}

/// What a file's header says.
#[derive(Debug, PartialEq)]
pub(crate) struct Header {
    pub schema: Vec<u8>,
    pub codec: String,
    pub sync: [u8; SYNC_LEN],
    /// Where the first block starts.
    pub blocks_at: usize,
}

/// Parses the header at the start of `b`; `Err` says what does not hold
/// (or that `b` ends before the header does).
pub(crate) fn header(b: &[u8]) -> Result<Header, &'static str> {
    if !b.starts_with(MAGIC) {
        return Err("no Avro magic");
    }
    let cut = "the metadata map does not parse within the bytes read";
    let mut pos = MAGIC.len();
    let (mut schema, mut codec) = (None, None);
    let mut entries = 0;
    loop {
        let count = long(b, &mut pos).ok_or(cut)?;
        if count == 0 {
            break;
        }
        if count < 0 {
            // A negative count is followed by the block's size in bytes.
            long(b, &mut pos).ok_or(cut)?;
        }
        for _ in 0..count.unsigned_abs() {
            entries += 1;
            if entries > MAX_META {
                return Err("more metadata entries than any writer puts");
            }
            let key = counted(b, &mut pos).ok_or(cut)?;
            let value = counted(b, &mut pos).ok_or(cut)?;
            match key {
                b"avro.schema" => schema = Some(value.to_vec()),
                b"avro.codec" => codec = Some(String::from_utf8_lossy(value).into_owned()),
                _ => {}
            }
        }
    }
    let sync = b
        .get(pos..pos + SYNC_LEN)
        .and_then(|s| s.try_into().ok())
        .ok_or(cut)?;
    Ok(Header {
        schema: schema.ok_or("no avro.schema in the metadata")?,
        codec: codec.unwrap_or_else(|| "null".into()),
        sync,
        blocks_at: pos + SYNC_LEN,
    })
}

/// One type of a schema; named types are referred to by their index in
/// [`Schema::types`].
#[derive(Clone, Debug, PartialEq)]
enum Type {
    Null,
    Boolean,
    Int,
    Float,
    Double,
    /// `bytes` and `string`.
    Bytes,
    Fixed(usize),
    Enum,
    Array(usize),
    Map(usize),
    Union(Vec<usize>),
    Record(Vec<(String, usize)>),
}

/// A parsed schema: its types, the first being the records'.
#[derive(Debug)]
pub(crate) struct Schema {
    types: Vec<Type>,
    names: Vec<(String, usize)>,
}

impl Schema {
    pub(crate) fn parse(json: &[u8]) -> Result<Schema, String> {
        let v: Value = serde_json::from_slice(json).map_err(|e| format!("schema: {e}"))?;
        let mut s = Schema {
            types: Vec::new(),
            names: Vec::new(),
        };
        s.add(&v, "", 0)?;
        Ok(s)
    }

    fn push(&mut self, t: Type) -> Result<usize, String> {
        if self.types.len() >= MAX_TYPES {
            return Err(format!("schema of more than {MAX_TYPES} types"));
        }
        self.types.push(t);
        Ok(self.types.len() - 1)
    }

    /// Adds `v` (and what it defines), returning its index.
    fn add(&mut self, v: &Value, space: &str, depth: usize) -> Result<usize, String> {
        if depth > MAX_SCHEMA_DEPTH {
            return Err(format!("schema nested more than {MAX_SCHEMA_DEPTH} deep"));
        }
        let (kind, o) = match v {
            Value::String(name) => (name.as_str(), None),
            Value::Array(branches) => {
                let at = self.push(Type::Null)?;
                let mut all = Vec::with_capacity(branches.len().min(64));
                for b in branches {
                    all.push(self.add(b, space, depth + 1)?);
                }
                self.types[at] = Type::Union(all);
                return Ok(at);
            }
            Value::Object(o) => match o.get("type") {
                // `{"type": {"type": "array", …}}`: the type is the inner one.
                Some(t @ (Value::Object(_) | Value::Array(_))) => {
                    return self.add(t, space, depth + 1)
                }
                t => (t.and_then(Value::as_str).unwrap_or(""), Some(o)),
            },
            _ => return Err("schema: a type that is neither a name, a union nor an object".into()),
        };
        let primitive = match kind {
            "null" => Some(Type::Null),
            "boolean" => Some(Type::Boolean),
            "int" | "long" => Some(Type::Int),
            "float" => Some(Type::Float),
            "double" => Some(Type::Double),
            "bytes" | "string" => Some(Type::Bytes),
            _ => None,
        };
        if let Some(t) = primitive {
            return self.push(t);
        }
        let Some(o) = o else {
            // A reference to a named type defined before.
            let full = qualified(kind, space);
            return self
                .names
                .iter()
                .rev()
                .find(|(n, _)| *n == full || n.rsplit('.').next() == Some(kind))
                .map(|&(_, i)| i)
                .ok_or_else(|| format!("schema: unknown type {kind:?}"));
        };
        let name = o.get("name").and_then(Value::as_str).unwrap_or("");
        let inner = o
            .get("namespace")
            .and_then(Value::as_str)
            .unwrap_or(if name.contains('.') { "" } else { space });
        let at = self.push(Type::Null)?;
        if !name.is_empty() {
            self.names.push((qualified(name, inner), at));
        }
        let t = match kind {
            "record" | "error" => {
                let fields = o.get("fields").and_then(Value::as_array);
                let mut out = Vec::new();
                for f in fields.into_iter().flatten() {
                    let fname = f.get("name").and_then(Value::as_str).unwrap_or("?");
                    let ft = f.get("type").ok_or("schema: a field without a type")?;
                    out.push((fname.to_string(), self.add(ft, inner, depth + 1)?));
                }
                Type::Record(out)
            }
            "enum" => Type::Enum,
            "fixed" => Type::Fixed(
                o.get("size")
                    .and_then(Value::as_u64)
                    .and_then(|n| usize::try_from(n).ok())
                    .ok_or("schema: fixed without a size")?,
            ),
            "array" => Type::Array(self.add(
                o.get("items").ok_or("schema: array without items")?,
                inner,
                depth + 1,
            )?),
            "map" => Type::Map(self.add(
                o.get("values").ok_or("schema: map without values")?,
                inner,
                depth + 1,
            )?),
            // `{"type": "int", "logicalType": …}` and the like.
            // A named type referred to as `{"type": "Name"}`: the index of
            // its definition (its slot may still be in the making, as in a
            // record that refers to itself).
            other => return self.add(&Value::String(other.to_string()), inner, depth + 1),
        };
        self.types[at] = t;
        Ok(at)
    }
}

fn qualified(name: &str, space: &str) -> String {
    if name.contains('.') || space.is_empty() {
        name.to_string()
    } else {
        format!("{space}.{name}")
    }
}

/// What one record holds that may be a recording.
#[derive(Debug, PartialEq)]
pub(crate) enum Leaf<'a> {
    /// A byte string (as far as the bytes go) and its declared length.
    Bytes(&'a [u8], u64),
    /// An array of numbers, as `f32`, with the Avro type's name as a dtype
    /// and its width in bytes (a `long`'s largest).
    Numbers(Vec<f32>, &'static str, u64),
}

/// Decodes records by a schema.
pub(crate) struct Records<'s, 'a> {
    schema: &'s Schema,
    b: &'a [u8],
    pos: usize,
    items: u64,
}

impl<'s, 'a> Records<'s, 'a> {
    pub(crate) fn new(schema: &'s Schema, b: &'a [u8]) -> Self {
        Records {
            schema,
            b,
            pos: 0,
            items: 0,
        }
    }

    /// The next record's leaves, by path; `None` when the bytes end (a
    /// byte string cut short by them is its last leaf) or do not decode.
    pub(crate) fn next_record(&mut self) -> Option<(Vec<(String, Leaf<'a>)>, bool)> {
        let mut out = Vec::new();
        let whole = self.value(0, String::new(), 0, &mut out).is_some();
        (whole || !out.is_empty()).then_some((out, whole))
    }

    fn value(
        &mut self,
        t: usize,
        path: String,
        depth: usize,
        out: &mut Vec<(String, Leaf<'a>)>,
    ) -> Option<()> {
        self.items += 1;
        if depth > MAX_SCHEMA_DEPTH || self.items > MAX_ITEMS {
            return None;
        }
        let (b, schema) = (self.b, self.schema);
        match &schema.types[t] {
            Type::Null => {}
            Type::Boolean => {
                b.get(self.pos)?;
                self.pos += 1;
            }
            Type::Int | Type::Enum => {
                long(b, &mut self.pos)?;
            }
            Type::Float => self.pos = self.skip(4)?,
            Type::Double => self.pos = self.skip(8)?,
            Type::Bytes => {
                let len = u64::try_from(long(b, &mut self.pos)?).ok()?;
                let end = self
                    .pos
                    .saturating_add(usize::try_from(len).unwrap_or(usize::MAX));
                let v = &b[self.pos.min(b.len())..end.min(b.len())];
                // Empty strings hold nothing, and must not use up the leaves.
                if out.len() < MAX_LEAVES && len > 0 {
                    out.push((path, Leaf::Bytes(v, len)));
                }
                if end > b.len() {
                    return None;
                }
                self.pos = end;
            }
            Type::Fixed(n) => {
                let end = self.pos.checked_add(*n)?;
                let v = &b[self.pos.min(b.len())..end.min(b.len())];
                if out.len() < MAX_LEAVES && *n > 0 {
                    out.push((path, Leaf::Bytes(v, *n as u64)));
                }
                if end > b.len() {
                    return None;
                }
                self.pos = end;
            }
            Type::Union(branches) => {
                let i = usize::try_from(long(b, &mut self.pos)?).ok()?;
                let branch = *branches.get(i)?;
                self.value(branch, path, depth + 1, out)?;
            }
            Type::Record(fields) => {
                for (name, ft) in fields {
                    let p = if path.is_empty() {
                        name.clone()
                    } else {
                        format!("{path}/{name}")
                    };
                    self.value(*ft, p, depth + 1, out)?;
                }
            }
            Type::Array(item) | Type::Map(item) => {
                let (item, map) = (*item, matches!(schema.types[t], Type::Map(_)));
                let (width, dtype) = match schema.types[item] {
                    Type::Int => (Some(0), "int64"),
                    Type::Float => (Some(4), "float32"),
                    Type::Double => (Some(8), "float64"),
                    _ => (None, ""),
                };
                let mut numbers = Vec::new();
                let mut i = 0u64;
                loop {
                    let count = long(b, &mut self.pos)?;
                    if count == 0 {
                        break;
                    }
                    if count < 0 {
                        long(b, &mut self.pos)?;
                    }
                    for _ in 0..count.unsigned_abs() {
                        i += 1;
                        self.items += 1;
                        if self.items > MAX_ITEMS {
                            return None;
                        }
                        let mut key = None;
                        if map {
                            let len = usize::try_from(long(b, &mut self.pos)?).ok()?;
                            let at = self.pos;
                            self.pos = self.skip(len)?;
                            let k = &b[at..self.pos];
                            key = Some(String::from_utf8_lossy(&k[..k.len().min(64)]).into_owned());
                        }
                        match width {
                            Some(w) if !map => {
                                let at = self.pos;
                                let x = match w {
                                    0 => long(b, &mut self.pos)? as f32,
                                    4 => {
                                        self.pos = self.skip(4)?;
                                        f32::from_le_bytes(b[at..at + 4].try_into().ok()?)
                                    }
                                    _ => {
                                        self.pos = self.skip(8)?;
                                        f64::from_le_bytes(b[at..at + 8].try_into().ok()?) as f32
                                    }
                                };
                                if numbers.len() < MAX_NUMBERS {
                                    numbers.push(x);
                                }
                            }
                            _ => {
                                let at = key.unwrap_or_else(|| (i - 1).to_string());
                                self.value(item, format!("{path}[{at}]"), depth + 1, out)?
                            }
                        }
                    }
                }
                if !numbers.is_empty() && out.len() < MAX_LEAVES {
                    let w = width.filter(|&w| w > 0).unwrap_or(8) as u64;
                    out.push((path, Leaf::Numbers(numbers, dtype, w)));
                }
            }
        }
        Some(())
    }

    fn skip(&self, n: usize) -> Option<usize> {
        let end = self.pos.checked_add(n)?;
        (end <= self.b.len()).then_some(end)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A `long` as Avro writes it: zig-zag, then a varint.
    pub(crate) fn zz(v: i64) -> Vec<u8> {
        crate::sniff::testutil::leb128(((v << 1) ^ (v >> 63)) as u64)
    }

    /// `bytes` or `string`: a length, then the bytes.
    pub(crate) fn bytes(v: &[u8]) -> Vec<u8> {
        [zz(v.len() as i64), v.to_vec()].concat()
    }

    #[test]
    fn a_header_gives_its_schema_codec_and_sync() {
        let mut f = MAGIC.to_vec();
        f.extend(zz(2));
        f.extend(bytes(b"avro.codec"));
        f.extend(bytes(b"deflate"));
        f.extend(bytes(b"avro.schema"));
        f.extend(bytes(b"\"bytes\""));
        f.extend(zz(0));
        f.extend([7u8; 16]);
        let h = header(&f).unwrap();
        assert_eq!(
            (h.codec.as_str(), &h.schema[..], h.sync, h.blocks_at),
            ("deflate", &b"\"bytes\""[..], [7; 16], f.len())
        );
        assert_eq!(
            header(&f[..f.len() - 1]),
            Err("the metadata map does not parse within the bytes read")
        );
        assert_eq!(header(b"Obj\x02"), Err("no Avro magic"));
    }

    #[test]
    fn records_decode_to_their_byte_strings_and_number_arrays() {
        let schema = br#"{"type":"record","name":"Call","namespace":"x","fields":[
            {"name":"id","type":"long"},
            {"name":"meta","type":["null",{"type":"map","values":"string"}]},
            {"name":"audio","type":["null","bytes"]},
            {"name":"frames","type":{"type":"array","items":"float"}},
            {"name":"next","type":["null","Call"]}]}"#;
        let s = Schema::parse(schema).unwrap();
        let mut r = zz(42);
        r.extend(zz(1));
        r.extend(zz(1));
        r.extend(bytes(b"k"));
        r.extend(bytes(b"v"));
        r.extend(zz(0));
        r.extend(zz(1));
        r.extend(bytes(b"RIFF...."));
        r.extend(zz(-2));
        r.extend(zz(8));
        r.extend(0.5f32.to_le_bytes());
        r.extend((-0.25f32).to_le_bytes());
        r.extend(zz(0));
        r.extend(zz(0));
        let mut recs = Records::new(&s, &r);
        let (leaves, whole) = recs.next_record().unwrap();
        assert!(whole);
        assert_eq!(
            leaves,
            vec![
                ("meta[k]".to_string(), Leaf::Bytes(b"v", 1)),
                ("audio".to_string(), Leaf::Bytes(b"RIFF....", 8)),
                (
                    "frames".to_string(),
                    Leaf::Numbers(vec![0.5, -0.25], "float32", 4)
                ),
            ]
        );
        assert_eq!(recs.next_record(), None);
    }

    #[test]
    fn a_record_cut_short_keeps_its_last_bytes_as_far_as_they_go() {
        let s = Schema::parse(
            br#"{"type":"record","name":"r","fields":[{"name":"a","type":"bytes"}]}"#,
        )
        .unwrap();
        let mut r = zz(1000);
        r.extend(b"RIFF");
        let (leaves, whole) = Records::new(&s, &r).next_record().unwrap();
        assert!(!whole);
        assert_eq!(leaves, vec![("a".to_string(), Leaf::Bytes(b"RIFF", 1000))]);
    }

    #[test]
    fn hostile_schemas_and_records_end() {
        let deep = "[".repeat(40) + &"]".repeat(40);
        assert!(Schema::parse(deep.as_bytes()).is_err());
        assert!(Schema::parse(
            br#"{"type":"record","name":"r","fields":[{"name":"a","type":"Nope"}]}"#
        )
        .is_err());
        // A self-referencing record with no exit: decoding stops at the depth bound.
        let s =
            Schema::parse(br#"{"type":"record","name":"r","fields":[{"name":"a","type":"r"}]}"#)
                .unwrap();
        assert_eq!(Records::new(&s, b"").next_record(), None);
        // An array declaring 2^62 nulls ends at the item bound.
        let s = Schema::parse(br#"{"type":"array","items":"null"}"#).unwrap();
        assert_eq!(Records::new(&s, &zz(1 << 62)).next_record(), None);
        // Records of a thousand null fields cost no bytes: the same bound
        // ends them, all records of one decoder together.
        let fields: Vec<String> = (0..1000)
            .map(|i| format!(r#"{{"name":"f{i}","type":"null"}}"#))
            .collect();
        let schema = format!(
            r#"{{"type":"record","name":"r","fields":[{}]}}"#,
            fields.join(",")
        );
        let s = Schema::parse(schema.as_bytes()).unwrap();
        let mut empty = Records::new(&s, b"");
        let decoded = std::iter::from_fn(|| empty.next_record())
            .take(2000)
            .count();
        assert!(decoded < 1100, "{decoded}");
    }
}
