//! AI training containers (docs/formats.md §2.7): Parquet,
//! Arrow IPC files and streams, TFRecord, NumPy `.npy`/`.npz`, safetensors,
//! PyTorch zips, HDF5 and Kaldi/kaldiio archives. Each is recognised from its
//! head (and, for Parquet, its tail) with more than a magic: a Parquet page
//! header or footer length that fits, an Arrow schema message that parses, a
//! TFRecord length whose masked CRC32C matches, an HDF5 superblock version, a
//! Kaldi key followed by a known object marker.
//!
//! The container is only the envelope: what its rows hold is judged by
//! `unpack::datasets`, which reads the first pages, buffers, records or
//! chunks. Waveforms found there (float or integer tensors, not encoded
//! files) are judged here, by [`waveform`], with the headerless-PCM
//! statistics of `pcm.rs` plus checks that only a signal passes (both signs,
//! many distinct values, zero crossings): token ids, masks, ramps, images and
//! embeddings are not speech.
//!
//! Also here: the small pure structure readers that sniffing and unpacking
//! share (CRC32C, a flatbuffer table, the `.npy` header).

use std::collections::HashSet;

use parquet::file::metadata::ParquetMetaDataReader;

pub(crate) use super::bytes::{get, le16, le32, le64};
use super::bytes::{starts, u8_at};
use super::{Class, Encryption, Sample, Sniff, HEAD_LEN, WINDOW_LEN};

/// Container format ids this module reports; `unpack` opens each of them.
pub(crate) const CONTAINERS: &[&str] = &[
    "arrow",
    "arrow-stream",
    "avro",
    "blosc",
    "hdf5",
    "kaldi-ark",
    "npy",
    "npz",
    "onnx",
    "parquet",
    "pickle",
    "pytorch",
    "safetensors",
    "tfrecord",
];

pub(crate) fn detect(s: &Sample) -> Option<Sniff> {
    parquet(s)
        .or_else(|| arrow(s))
        .or_else(|| avro(s))
        .or_else(|| tfrecord(s))
        .or_else(|| npy(s))
        .or_else(|| safetensors(s))
        .or_else(|| onnx(s))
        .or_else(|| zip_dataset(s))
        .or_else(|| hdf5(s))
        .or_else(|| kaldi(s))
        .or_else(|| pickle(s))
        .or_else(|| blosc(s))
}

fn container(format: &'static str, mime: Option<&'static str>) -> Sniff {
    Sniff::new(format, mime, Class::Other, Encryption::None)
}

// ---------------------------------------------------------------- Parquet

const PARQUET_MIME: &str = "application/vnd.apache.parquet";

/// `PAR1` at both ends with a footer length that fits; `PARE` is modular
/// encryption with an encrypted footer (formats: PF Encryption §5.4).
fn parquet(s: &Sample) -> Option<Sniff> {
    let magic = get(s.head, 0, 4)?;
    let encrypted = match magic {
        b"PAR1" => false,
        b"PARE" => true,
        _ => return None,
    };
    if s.size < 12 {
        return None;
    }
    let Some(tail) = s.at(s.size - 8, 8) else {
        // The tail is not read yet: claim provisionally and ask for it. A
        // plaintext file must at least open with a page header (a Thrift
        // struct whose field 1 is the page type).
        if !(encrypted || (u8_at(s.head, 4)? == 0x15 && u8_at(s.head, 5)? <= 6)) {
            return None;
        }
        let from = s.size.saturating_sub(WINDOW_LEN as u64);
        return Some(
            container("parquet", Some(PARQUET_MIME))
                .with("magic", "PAR at 0; footer not read yet")
                .wanting(vec![from..s.size]),
        );
    };
    let footer_len = u64::from(le32(tail, 0)?);
    if &tail[4..] != magic {
        return None;
    }
    // Both magics and a footer that cannot be there: a damaged (or
    // doctored) file, named so that the walk says why it stopped, where
    // `binary` would pass it over in silence.
    if footer_len + 12 > s.size {
        if encrypted {
            return None;
        }
        return Some(
            container("parquet", Some(PARQUET_MIME))
                .with("magic", "PAR1 at 0 and at the end")
                .with("footer_bytes", footer_len)
                .with("footer", "declares more bytes than the object holds"),
        );
    }
    if encrypted {
        return Some(
            Sniff::new(
                "parquet",
                Some(PARQUET_MIME),
                Class::Encrypted,
                Encryption::Encrypted,
            )
            .with("magic", "PARE at 0 and at the end")
            .with(
                "scheme",
                "Parquet modular encryption with an encrypted footer: schema and pages unreadable without keys",
            ),
        );
    }
    let sniff = container("parquet", Some(PARQUET_MIME))
        .with("magic", "PAR1 at 0 and at the end")
        .with("footer_bytes", footer_len);
    let footer_at = s.size - 8 - footer_len;
    let Some(footer) = s.at(footer_at, footer_len as usize) else {
        return Some(sniff.with(
            "footer",
            "larger than the sampled tail; read by the unpacker",
        ));
    };
    let Ok(meta) = ParquetMetaDataReader::decode_metadata(footer) else {
        return Some(sniff.with("footer", "does not parse"));
    };
    let schema = meta.file_metadata().schema_descr();
    let mut encrypted_columns: Vec<String> = Vec::new();
    for rg in meta.row_groups() {
        for c in rg.columns() {
            let path = c.column_path().string();
            if c.crypto_metadata().is_some() && !encrypted_columns.contains(&path) {
                encrypted_columns.push(path);
            }
        }
    }
    let mut sniff = sniff
        .with("columns", schema.num_columns())
        .with("row_groups", meta.num_row_groups())
        .with("rows", meta.file_metadata().num_rows());
    if !encrypted_columns.is_empty() {
        // The footer is plaintext but some column chunks are ciphertext: a
        // plaintext container around (some) encrypted payload. Each column is
        // judged on its own by the unpacker; encrypted ones are never decoded.
        sniff.encryption = Encryption::Partial;
        sniff = sniff
            .with(
                "scheme",
                "Parquet modular encryption with a plaintext footer",
            )
            .with("encrypted_columns", encrypted_columns);
    }
    Some(sniff)
}

// ---------------------------------------------------------------- Arrow IPC

/// An IPC file (`ARROW1`, two pad bytes, a stream, a footer) or a bare
/// stream (what Hugging Face `datasets` writes): the first message must be a
/// flatbuffer `Message` holding a `Schema`.
fn arrow(s: &Sample) -> Option<Sniff> {
    let (format, mime, at) = if starts(s.head, 0, b"ARROW1\0\0") {
        ("arrow", "application/vnd.apache.arrow.file", 8)
    } else {
        ("arrow-stream", "application/vnd.apache.arrow.stream", 0)
    };
    // polars writes a file's schema right after `ARROW1\0\0` as a bare
    // flatbuffer, with neither continuation marker nor length (readers find
    // it through the footer): taken as it is when it is a schema message.
    let framed = ipc_message(s.head, at).and_then(|(m, whole)| Some((Table::root(m)?, whole)));
    let (message, whole) = match framed {
        Some(m) => m,
        None if at == 8 => (Table::root(s.head.get(8..)?)?, false),
        None => return None,
    };
    // MessageHeader union: 1 = Schema. A schema larger than the head (tens
    // of thousands of fields) is taken on its header type alone.
    if message.u8(1, 0) != 1 || (whole && message.table(2).is_none()) {
        return None;
    }
    Some(container(format, Some(mime)).with("magic", format!("IPC schema message at {at}")))
}

/// The flatbuffer of the IPC message at `at` (as much of it as `b` holds)
/// and whether it is whole: after the continuation marker `FF FF FF FF`
/// (absent before Arrow 0.15) comes an i32 metadata length, then the
/// metadata. `None` at the end-of-stream marker or a length out of bounds.
pub(crate) fn ipc_message(b: &[u8], at: usize) -> Option<(&[u8], bool)> {
    let mut p = at;
    if le32(b, p)? == 0xffff_ffff {
        p += 4;
    }
    let len = le32(b, p)? as usize;
    // Real schemas are a few KiB; 16 MiB bounds what a hostile length claims.
    if !(8..=16 << 20).contains(&len) {
        return None;
    }
    let rest = b.get(p + 4..)?;
    let meta = &rest[..rest.len().min(len)];
    (meta.len() >= 8).then_some((meta, meta.len() == len))
}

/// A flatbuffer table: enough of the format to read Arrow IPC metadata
/// (scalars, child tables, vectors, strings), every offset checked against
/// the buffer, so hostile offsets give `None`, never a panic.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Table<'a> {
    buf: &'a [u8],
    pos: usize,
    vtable: usize,
    vlen: usize,
}

impl<'a> Table<'a> {
    /// The root table of a finished buffer.
    pub(crate) fn root(buf: &'a [u8]) -> Option<Table<'a>> {
        let off = le32(buf, 0)? as usize;
        Table::at(buf, off)
    }

    fn at(buf: &'a [u8], pos: usize) -> Option<Table<'a>> {
        let soff = le32(buf, pos)? as i32 as i64;
        let vtable = usize::try_from(pos as i64 - soff).ok()?;
        let vlen = usize::from(le16(buf, vtable)?);
        if vlen < 4 || vlen % 2 != 0 || vtable + vlen > buf.len() {
            return None;
        }
        Some(Table {
            buf,
            pos,
            vtable,
            vlen,
        })
    }

    /// Where field `i` lies, when present.
    fn field(&self, i: usize) -> Option<usize> {
        let slot = 4 + 2 * i;
        if slot + 2 > self.vlen {
            return None;
        }
        let off = le16(self.buf, self.vtable + slot)?;
        (off != 0).then_some(self.pos + usize::from(off))
    }

    pub(crate) fn u8(&self, i: usize, default: u8) -> u8 {
        self.field(i)
            .and_then(|p| u8_at(self.buf, p))
            .unwrap_or(default)
    }

    pub(crate) fn i16(&self, i: usize, default: i16) -> i16 {
        self.field(i)
            .and_then(|p| le16(self.buf, p))
            .map_or(default, |v| v as i16)
    }

    pub(crate) fn i32(&self, i: usize, default: i32) -> i32 {
        self.field(i)
            .and_then(|p| le32(self.buf, p))
            .map_or(default, |v| v as i32)
    }

    pub(crate) fn i64(&self, i: usize, default: i64) -> i64 {
        self.field(i)
            .and_then(|p| le64(self.buf, p))
            .map_or(default, |v| v as i64)
    }

    /// The position the offset stored in field `i` points to.
    fn indirect(&self, i: usize) -> Option<usize> {
        let p = self.field(i)?;
        p.checked_add(le32(self.buf, p)? as usize)
    }

    pub(crate) fn table(&self, i: usize) -> Option<Table<'a>> {
        Table::at(self.buf, self.indirect(i)?)
    }

    /// A vector's element count and where its elements start.
    fn vector(&self, i: usize) -> Option<(usize, usize)> {
        let v = self.indirect(i)?;
        let n = le32(self.buf, v)? as usize;
        Some((n, v + 4))
    }

    /// A vector of structs of `size` bytes each, as raw bytes.
    pub(crate) fn structs(&self, i: usize, size: usize) -> Option<&'a [u8]> {
        let (n, at) = self.vector(i)?;
        get(self.buf, at, n.checked_mul(size)?)
    }

    /// A vector of tables (at most `max`; the rest are ignored).
    pub(crate) fn tables(&self, i: usize, max: usize) -> Vec<Table<'a>> {
        let Some((n, at)) = self.vector(i) else {
            return Vec::new();
        };
        (0..n.min(max))
            .filter_map(|k| {
                let p = at + 4 * k;
                Table::at(self.buf, p.checked_add(le32(self.buf, p)? as usize)?)
            })
            .collect()
    }

    pub(crate) fn string(&self, i: usize) -> Option<&'a str> {
        let (n, at) = self.vector(i)?;
        std::str::from_utf8(get(self.buf, at, n)?).ok()
    }
}

// ---------------------------------------------------------------- TFRecord

const CRC32C: [u32; 256] = {
    let mut table = [0u32; 256];
    let mut i = 0;
    while i < 256 {
        let mut c = i as u32;
        let mut k = 0;
        while k < 8 {
            c = if c & 1 != 0 {
                (c >> 1) ^ 0x82f6_3b78
            } else {
                c >> 1
            };
            k += 1;
        }
        table[i] = c;
        i += 1;
    }
    table
};

pub(crate) fn crc32c(b: &[u8]) -> u32 {
    !b.iter().fold(!0u32, |c, &x| {
        CRC32C[((c ^ u32::from(x)) & 0xff) as usize] ^ (c >> 8)
    })
}

/// TFRecord's masked CRC (TF crc32c.h): rotated and offset so that a CRC of
/// data holding CRCs stays informative.
pub(crate) fn masked_crc32c(b: &[u8]) -> u32 {
    let c = crc32c(b);
    c.rotate_right(15).wrapping_add(0xa282_ead8)
}

/// The length of the TFRecord record framed at the start of `b`, when its
/// masked CRC matches (a 1 in 2^32 accident otherwise).
pub(crate) fn tfrecord_length(b: &[u8]) -> Option<u64> {
    let len = le64(b, 0)?;
    (le32(b, 8)? == masked_crc32c(get(b, 0, 8)?)).then_some(len)
}

/// Plain TFRecord, or a whole file compressed with zlib (TFRecordOptions
/// `ZLIB`, which has no other signature). GZIP files are gzip streams: the
/// gzip unpacker opens them and their content comes back here.
fn tfrecord(s: &Sample) -> Option<Sniff> {
    // A record must fit the object; its CRC is computed only where it
    // does, or where a zlib stream could begin (whose answer depends on
    // whether the plain CRC matches).
    let (cmf, flg) = (u8_at(s.head, 0)?, u8_at(s.head, 1)?);
    let fits = le64(s.head, 0)
        .is_some_and(|len| len > 0 && len.checked_add(16).is_some_and(|n| n <= s.size));
    if (fits || cmf == 0x78) && tfrecord_length(s.head).is_some() {
        return fits.then(|| {
            container("tfrecord", None)
                .with("magic", "record length with a matching masked CRC32C at 0")
        });
    }
    if cmf != 0x78 || (u16::from(cmf) << 8 | u16::from(flg)) % 31 != 0 || flg & 0x20 != 0 {
        return None;
    }
    let mut first = Vec::new();
    let mut z = flate2::bufread::ZlibDecoder::new(s.head);
    let _ = std::io::Read::read_to_end(&mut std::io::Read::take(&mut z, 12), &mut first);
    tfrecord_length(&first).filter(|&len| len > 0)?;
    Some(
        container("tfrecord", None)
            .with("compression", "zlib")
            .with(
                "magic",
                "zlib stream whose first record's masked CRC32C matches",
            ),
    )
}

// ---------------------------------------------------------------- Avro

/// An Avro object container file: the magic and a metadata map that names
/// a schema. A header longer than the head (a schema of thousands of
/// fields) is named when its first key is one of Avro's, and read whole by
/// the walk.
fn avro(s: &Sample) -> Option<Sniff> {
    use crate::formats::avro;
    if !s.head.starts_with(avro::MAGIC) {
        return None;
    }
    let sniff = container("avro", Some("application/avro"));
    match avro::header(s.head) {
        Ok(h) => Some(
            sniff
                .with("magic", "Obj 01 and a metadata map naming a schema")
                .with("codec", h.codec),
        ),
        Err(_) if !s.is_whole() && avro_key_first(s.head) => Some(sniff.with(
            "magic",
            "Obj 01 and a metadata map of avro. keys, longer than the head",
        )),
        Err(_) => None,
    }
}

/// The metadata map's first key starts `avro.`.
fn avro_key_first(h: &[u8]) -> bool {
    use crate::formats::avro::long;
    let mut pos = 4;
    let Some(count) = long(h, &mut pos) else {
        return false;
    };
    if count < 0 && long(h, &mut pos).is_none() {
        return false;
    }
    let len = long(h, &mut pos).and_then(|n| usize::try_from(n).ok());
    count != 0 && len.is_some_and(|n| get(h, pos, n).is_some_and(|k| k.starts_with(b"avro.")))
}

// ---------------------------------------------------------------- NumPy

/// The header of a `.npy` array (NP `_format_impl.py`).
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct NpyHeader {
    /// The dtype string (`<f4`, `<i2`, `|u1` …); `None` for structured dtypes.
    pub descr: Option<String>,
    /// A structured dtype's field types, in order, when every field is a
    /// plain one (`[('left', '<i2'), ('right', '<i2')]`: no sub-array
    /// shapes, no nested records).
    pub fields: Option<Vec<String>>,
    pub fortran_order: bool,
    pub shape: Vec<u64>,
    /// Where the data starts.
    pub data_at: u64,
}

/// Parses the magic, version, header length and the dict literal
/// `{'descr': '<i2', 'fortran_order': False, 'shape': (16000,), }`.
pub(crate) fn npy_header(b: &[u8]) -> Option<NpyHeader> {
    if !starts(b, 0, b"\x93NUMPY") {
        return None;
    }
    let (len, at) = match u8_at(b, 6)? {
        1 => (usize::from(le16(b, 8)?), 10),
        2 | 3 => (le32(b, 8)? as usize, 12),
        _ => return None,
    };
    let text = std::str::from_utf8(get(b, at, len)?).ok()?;
    let text = text.trim();
    if !text.starts_with('{') {
        return None;
    }
    let value = |key: &str| -> Option<&str> {
        let k = text
            .find(&format!("'{key}'"))
            .or_else(|| text.find(&format!("\"{key}\"")))?;
        let rest = text[k + key.len() + 2..].trim_start();
        Some(rest.strip_prefix(':')?.trim_start())
    };
    let descr_text = value("descr")?;
    let descr = match descr_text.chars().next()? {
        q @ ('\'' | '"') => Some(descr_text[1..].split(q).next()?.to_string()),
        _ => None,
    };
    let fields = descr_text
        .strip_prefix('[')
        .and_then(|list| plain_fields(&list[..list.find(']')?]));
    let fortran_order = value("fortran_order")?.starts_with("True");
    let shape_text = value("shape")?.strip_prefix('(')?;
    let shape_text = &shape_text[..shape_text.find(')')?];
    let mut shape = Vec::new();
    for dim in shape_text
        .split(',')
        .map(str::trim)
        .filter(|d| !d.is_empty())
    {
        shape.push(dim.trim_end_matches('L').parse().ok()?);
        if shape.len() > 32 {
            return None;
        }
    }
    Some(NpyHeader {
        descr,
        fields,
        fortran_order,
        shape,
        data_at: (at + len) as u64,
    })
}

/// The types of `('name', 'type')` tuples, at most 64 of them; `None` when
/// a tuple holds more (a sub-array's shape) or a field is itself a record.
fn plain_fields(list: &str) -> Option<Vec<String>> {
    let mut types = Vec::new();
    let tuples = list
        .split(')')
        .map(|t| t.trim().trim_start_matches(',').trim())
        .filter(|t| !t.is_empty());
    for tuple in tuples {
        let tuple = tuple.strip_prefix('(')?;
        let quoted: Vec<&str> = tuple
            .split(['\'', '"'])
            .enumerate()
            .filter(|(i, _)| i % 2 == 1)
            .map(|(_, q)| q)
            .collect();
        let rest_is_plain = tuple.matches(',').count() == 1;
        match quoted[..] {
            [_, ty] if rest_is_plain && types.len() < 64 => types.push(ty.to_string()),
            _ => return None,
        }
    }
    (!types.is_empty()).then_some(types)
}

fn npy(s: &Sample) -> Option<Sniff> {
    let h = npy_header(s.head)?;
    if h.data_at > s.size {
        return None;
    }
    Some(
        container("npy", Some("application/x-npy"))
            .with("dtype", h.descr.unwrap_or_else(|| "structured".into()))
            .with("shape", h.shape),
    )
}

// ---------------------------------------------------------------- pickle

/// A Python pickle of protocol 2 to 5 (joblib files, `torch.save`'s
/// `data.pkl`, pandas and NumPy pickles): opened so that the byte strings,
/// arrays and numbers it holds are judged, however pickled.
fn pickle(s: &Sample) -> Option<Sniff> {
    if !crate::unpack::datasets::opens_a_pickle(s.head, s.size) {
        return None;
    }
    Some(
        container("pickle", Some("application/x-python-pickle")).with(
            "magic",
            match s.head {
                [0x80, protocol, ..] => format!("PROTO {protocol} at 0, opcodes that read on"),
                _ => "protocol 0 or 1 opcodes that read on, from 0".into(),
            },
        ),
    )
}

// ---------------------------------------------------------------- safetensors

/// A u64 header length, then a JSON object of tensors (ST `tensor.rs`; the
/// reference reader refuses headers over 100,000,000 bytes).
fn safetensors(s: &Sample) -> Option<Sniff> {
    let n = le64(s.head, 0)?;
    if !(2..=100_000_000).contains(&n) || n.checked_add(8)? > s.size || u8_at(s.head, 8)? != b'{' {
        return None;
    }
    let shown = &s.head[8..s.head.len().min(8 + n as usize)];
    let text = std::str::from_utf8(shown).ok().or_else(|| {
        // The head may end inside a multi-byte character.
        std::str::from_utf8(&shown[..shown.len().saturating_sub(3)]).ok()
    })?;
    let first_key = text.get(1..)?.trim_start();
    if !(first_key.starts_with('"')
        && (text.contains("\"dtype\"") || text.contains("\"__metadata__\"")))
    {
        return None;
    }
    let mut sniff =
        container("safetensors", None).with("magic", "header length and JSON tensor table at 0");
    if let Ok(serde_json::Value::Object(map)) = serde_json::from_str::<serde_json::Value>(text) {
        sniff = sniff.with(
            "tensors",
            map.keys().filter(|k| *k != "__metadata__").count(),
        );
    }
    Some(sniff)
}

// ---------------------------------------------------------------- ONNX

/// The most an ONNX model's IR version is taken to be (11 in ONNX 1.17)
/// when the head shows no graph to confirm the model.
const MAX_ONNX_IR: u64 = 32;

/// What the head of an ONNX `ModelProto` shows.
#[derive(Debug, PartialEq)]
pub(crate) struct OnnxHead {
    pub ir_version: Option<u64>,
    /// The first graph field: `(offset, length)`.
    pub graph: Option<(u64, u64)>,
    pub producer: Option<String>,
}

/// Reads the head as a `ModelProto`: fields of the model's own numbers,
/// each of the wire type ONNX gives it, in any order (protobuf allows any),
/// every length within the object, the producer's name and version and the
/// domain printable text. A model is two such fields or more with a
/// graph (field 7) whose first field is a `GraphProto` one, or a valid IR
/// version (field 1) followed by fields that run past the head (a doc
/// string longer than the head hides the graph). A protobuf of another
/// schema (a TensorFlow `SavedModel` opens with field 1 too, then its meta
/// graphs as field 2) breaks one of these, and so do text and noise.
pub(crate) fn onnx_head(b: &[u8], size: u64) -> Option<OnnxHead> {
    use super::bytes::varint;
    let mut head = OnnxHead {
        ir_version: None,
        graph: None,
        producer: None,
    };
    let (mut pos, mut fields) = (0usize, 0);
    let past_head = loop {
        if pos >= b.len() {
            break false;
        }
        let key = varint(b, &mut pos)?;
        match key {
            // ir_version, model_version
            0x08 | 0x28 => {
                let v = varint(b, &mut pos)?;
                if key == 0x08 {
                    head.ir_version = Some(v);
                }
            }
            // producer name and version, domain, doc string, graph, opset
            // imports, metadata, training info, functions, configuration.
            0x12 | 0x1a | 0x22 | 0x32 | 0x3a | 0x42 | 0x72 | 0xa2 | 0xca | 0xd2 => {
                let len = varint(b, &mut pos)?;
                let at = pos as u64;
                if at.checked_add(len)? > size {
                    return None;
                }
                if key == 0x3a && head.graph.is_none() {
                    if !graph_opens(b, pos, len) {
                        return None;
                    }
                    head.graph = Some((at, len));
                }
                if matches!(key, 0x12 | 0x1a | 0x22) {
                    // Names and versions: printable text, as far as the head shows.
                    let shown = usize::try_from(len)
                        .map_or(b.len(), |l| pos.saturating_add(l).min(b.len()));
                    let text = b.get(pos..shown)?;
                    if !text.iter().all(|c| (0x20..0x7f).contains(c)) {
                        return None;
                    }
                    if key == 0x12 && head.producer.is_none() {
                        head.producer = Some(super::token(text));
                    }
                }
                fields += 1;
                match usize::try_from(len).ok().and_then(|l| pos.checked_add(l)) {
                    Some(end) if end <= b.len() => pos = end,
                    _ => break true,
                }
                continue;
            }
            _ => return None,
        }
        fields += 1;
    };
    // A graph written first, longer than the head: its own fields confirm it.
    let confirmed = head
        .graph
        .is_some_and(|(at, len)| fields >= 2 || graph_fields(b, at as usize, len) >= 4);
    let hidden = past_head
        && fields >= 2
        && head
            .ir_version
            .is_some_and(|v| (1..=MAX_ONNX_IR).contains(&v));
    (confirmed || hidden).then_some(head)
}

/// How many `GraphProto` fields follow one another from `at`, inside the
/// head, in a graph of `len` bytes (at most 8 counted).
fn graph_fields(b: &[u8], at: usize, len: u64) -> usize {
    use super::bytes::varint;
    let end = (at as u64).saturating_add(len);
    let (mut pos, mut n) = (at, 0);
    while n < 8 && pos < b.len() {
        let Some(key) = varint(b, &mut pos) else {
            break;
        };
        let Some(flen) = varint(b, &mut pos) else {
            break;
        };
        let next = (pos as u64).saturating_add(flen);
        if !(matches!(key >> 3, 1 | 2 | 5 | 10..=16) && key & 7 == 2) || next > end {
            break;
        }
        n += 1;
        pos = usize::try_from(next).unwrap_or(usize::MAX);
    }
    n
}

/// Does a graph of `len` bytes at `at` open with a `GraphProto` field (node,
/// name, initializer, doc string, inputs, outputs, value info, quantisation
/// annotation, sparse initializer, metadata) that fits it? Unknown beyond
/// the head.
fn graph_opens(b: &[u8], at: usize, len: u64) -> bool {
    use super::bytes::varint;
    let mut pos = at;
    let Some(key) = varint(b, &mut pos) else {
        return at >= b.len() || b.len() - at < 12;
    };
    let known = matches!(key >> 3, 1 | 2 | 5 | 10..=16) && key & 7 == 2;
    let fits = varint(b, &mut pos).is_none_or(|n| {
        ((pos - at) as u64)
            .checked_add(n)
            .is_some_and(|end| end <= len)
    });
    known && len >= 2 && fits
}

/// An ONNX model (`ModelProto`): its tensors (initializers, constants) are
/// judged by dtype and shape like a safetensors file's.
fn onnx(s: &Sample) -> Option<Sniff> {
    let head = onnx_head(s.head, s.size)?;
    let version = head.ir_version.map_or_else(
        || "no IR version".to_string(),
        |v| format!("IR version {v}"),
    );
    let graph = head.graph.map_or_else(
        || "the graph past the head".to_string(),
        |(at, len)| format!("graph of {len} bytes at {at}"),
    );
    let sniff =
        container("onnx", None).with("magic", format!("ONNX ModelProto: {version}, {graph}"));
    Some(match head.producer {
        Some(p) => sniff.with("producer", p),
        None => sniff,
    })
}

// ---------------------------------------------------------------- zips of tensors

/// `np.savez` archives and PyTorch checkpoints are zips: named by their
/// first member (`x.npy`; `<folder>/data.pkl`, which `torch.save` writes
/// first, or a storage `<folder>/data/<key>` or `<folder>/constants.pkl`,
/// which TorchScript archives may) so that the unpacker reads their
/// storages as tensors, not as loose members.
fn zip_dataset(s: &Sample) -> Option<Sniff> {
    let h = s.head;
    if !starts(h, 0, b"PK\x03\x04") || le16(h, 6)? & 1 != 0 {
        return None;
    }
    let name_len = usize::from(le16(h, 26)?);
    let name = std::str::from_utf8(get(h, 30, name_len)?).ok()?;
    let torch = name.split_once('/').is_some_and(|(folder, rest)| {
        let storage = rest
            .strip_prefix("data/")
            .is_some_and(|key| !key.is_empty() && key.bytes().all(|b| b.is_ascii_digit()));
        !folder.is_empty() && (rest == "data.pkl" || rest == "constants.pkl" || storage)
    });
    let (format, mime) = if torch {
        ("pytorch", None)
    } else if name.ends_with(".npy") {
        ("npz", Some("application/x-npz"))
    } else {
        return None;
    };
    Some(container(format, mime).with("magic", format!("zip whose first member is {name}")))
}

// ---------------------------------------------------------------- HDF5

const HDF5_SIGNATURE: &[u8] = b"\x89HDF\r\n\x1a\n";

/// Where the HDF5 superblock is: at 0, or after a user block of 512 bytes
/// times a power of two (H5 superblock text).
pub(crate) fn hdf5_base(b: &[u8]) -> Option<u64> {
    let mut at = 0usize;
    loop {
        if starts(b, at, HDF5_SIGNATURE) && u8_at(b, at + 8)? <= 3 {
            return Some(at as u64);
        }
        at = if at == 0 { 512 } else { at.checked_mul(2)? };
        if at + 9 > b.len() {
            return None;
        }
    }
}

/// Probes for a superblock behind a user block of [`HEAD_LEN`] or more:
/// 64 KiB up to 512 KiB. Each takes one of an object's windows, which the
/// later rounds of another format's detector may need.
const HDF5_FAR_PROBES: u32 = 4;

/// Where a superblock may lie past the head, behind a user block of
/// 64 KiB × 2ⁿ, in an object of `size` bytes.
pub(crate) fn hdf5_far_offsets(size: u64) -> impl Iterator<Item = u64> {
    (0..HDF5_FAR_PROBES)
        .map(|k| (HEAD_LEN as u64) << k)
        .take_while(move |&at| at + 9 <= size)
}

/// An HDF5 signature and a superblock version this reader knows.
pub(crate) fn hdf5_superblock(b: &[u8]) -> bool {
    b.starts_with(HDF5_SIGNATURE) && b.get(8).is_some_and(|&v| v <= 3)
}

/// Windows asked for from where a superblock may lie behind a user block
/// of 64 KiB or more (h5py's `userblock_size`), when the head ends in the
/// zeros that pad such a block: an HDF5 file whose head is all user
/// block would otherwise be `binary`, its datasets never opened. Beside
/// the windows `asked` already: a place one of them holds is not asked
/// again, and a window is cut where the next of them begins (windows do
/// not overlap).
pub(crate) fn hdf5_far_wants(
    s: &Sample,
    asked: &[std::ops::Range<u64>],
) -> Vec<std::ops::Range<u64>> {
    let padded = s.head.len() == HEAD_LEN
        && s.size > HEAD_LEN as u64
        && s.head[HEAD_LEN - 512..].iter().all(|&b| b == 0);
    // Asked once, with the head's first wishes.
    if !padded || !s.reads || !s.windows.is_empty() {
        return Vec::new();
    }
    // Whole windows: a later wish for a window at one of these offsets
    // (bytes behind the head start at 64 KiB) is served by it.
    hdf5_far_offsets(s.size)
        .filter(|&at| !s.has(at))
        .filter(|&at| !asked.iter().any(|w| w.start <= at && at + 9 <= w.end))
        .map(|at| {
            let next = asked
                .iter()
                .map(|w| w.start)
                .filter(|&start| start > at)
                .min();
            at..(at + WINDOW_LEN as u64)
                .min(s.size)
                .min(next.unwrap_or(u64::MAX))
        })
        .collect()
}

fn hdf5(s: &Sample) -> Option<Sniff> {
    let base = hdf5_base(s.head).or_else(|| {
        hdf5_far_offsets(s.size).find(|&at| s.at(at, 9).is_some_and(hdf5_superblock))
    })?;
    let version = s.at(base, 9)?[8];
    Some(
        container("hdf5", Some("application/x-hdf5"))
            .with("magic", format!("HDF5 signature at {base}"))
            .with("superblock_version", version),
    )
}

// ---------------------------------------------------------------- Blosc

/// A Blosc chunk (c-blosc's version 1 format, Zarr v2's default
/// compressor) stored as an object of its own, as a Zarr array's chunk
/// files are: a 16-byte header whose compressed size is the object's, a
/// known codec, and, unless the chunk was copied whole, a table of block
/// offsets that all lie past it, the lowest right after it. Nothing else
/// in a chunk is checked by its writer's library either.
fn blosc(s: &Sample) -> Option<Sniff> {
    let h = s.head;
    // Every object is asked: the one field that settles most, first.
    if u64::from(le32(h, 12)?) != s.size {
        return None;
    }
    let (version, versionlz, flags, typesize) = (h[0], h[1], h[2], h[3]);
    let (nbytes, blocksize) = (le32(h, 4)?, le32(h, 8)?);
    if !(1..=2).contains(&version) || versionlz == 0 || typesize == 0 || flags >> 5 > 4 {
        return None;
    }
    // c-blosc leaves bit 3 clear and no block larger than the data.
    if nbytes == 0 || blocksize == 0 || blocksize > nbytes || flags & 0x08 != 0 {
        return None;
    }
    let whole = if flags & 0x02 != 0 {
        u64::from(nbytes) + 16 == s.size
    } else {
        // Threads write blocks as they finish: the first in the file is
        // the one at the lowest offset, right after the table.
        let blocks = nbytes.div_ceil(blocksize) as usize;
        let table_end = 16 + 4 * blocks as u64;
        let starts: Vec<u64> = (0..blocks)
            .map_while(|j| le32(h, 16 + 4 * j))
            .map(u64::from)
            .collect();
        let first = starts.iter().min().copied().unwrap_or(0);
        table_end <= s.size
            && starts.iter().all(|&at| at >= table_end && at < s.size)
            && (starts.len() < blocks || first == table_end)
    };
    if !whole {
        return None;
    }
    let codec = ["blosclz", "lz4", "snappy", "zlib", "zstd"][usize::from(flags >> 5)];
    Some(
        Sniff::new("blosc", None, Class::Compressed, Encryption::None)
            .with(
                "magic",
                "Blosc chunk header whose compressed size is the object's",
            )
            .with("codec", if flags & 0x02 != 0 { "none" } else { codec })
            .with("typesize", typesize),
    )
}

// ---------------------------------------------------------------- Kaldi

/// What follows `key ` in a Kaldi or kaldiio archive entry (KAL, KIO).
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum ArkObject {
    /// `\0B` + a binary token (`FM `, `DV `, `CM2 ` …) or an integer vector.
    Binary,
    /// A bare RIFF/RIFX WAV (`wav.ark`).
    Wav,
    /// kaldiio `AUDIO` + length + an encoded file (FLAC, WAV …).
    Audio,
}

/// The key of the archive entry at the start of `b` and where its object
/// starts, with the kind of object.
pub(crate) fn ark_entry(b: &[u8]) -> Option<(&str, usize, ArkObject)> {
    let space = memchr::memchr(b' ', &b[..b.len().min(257)])?;
    let at = space + 1;
    let rest = b.get(at..)?;
    // What follows the key is a handful of fixed prefixes: checked before
    // the key's characters, which every line of text would otherwise pay.
    let kind = if rest.starts_with(b"\0B") {
        let token = rest.get(2..)?;
        let known = [
            &b"FM "[..],
            b"DM ",
            b"FV ",
            b"DV ",
            b"CM ",
            b"CM2 ",
            b"CM3 ",
            b"SM ",
        ];
        if !(known.iter().any(|t| token.starts_with(t)) || token.first() == Some(&4)) {
            return None;
        }
        ArkObject::Binary
    } else if (rest.starts_with(b"RIFF") && starts(rest, 8, b"WAVE"))
        || (rest.starts_with(b"RIFX") && starts(rest, 8, b"WAVE"))
    {
        ArkObject::Wav
    } else if rest.starts_with(b"AUDIO") && (1..=8).contains(&u8_at(rest, 5)?) {
        ArkObject::Audio
    } else {
        return None;
    };
    let key = std::str::from_utf8(&b[..space]).ok()?;
    if key.is_empty()
        || !key
            .chars()
            .all(|c| c.is_ascii_graphic() || (!c.is_ascii() && !c.is_control()))
    {
        return None;
    }
    Some((key, at, kind))
}

fn kaldi(s: &Sample) -> Option<Sniff> {
    let (_, _, kind) = ark_entry(s.head)?;
    let what = match kind {
        ArkObject::Binary => "binary Kaldi object",
        ArkObject::Wav => "bare RIFF WAV (wav.ark)",
        ArkObject::Audio => "kaldiio AUDIO entry",
    };
    Some(container("kaldi-ark", None).with("magic", format!("key, then a {what}")))
}

// ---------------------------------------------------------------- waveforms

/// Fewest samples judged as a waveform: a quarter second at 8 kHz. Shorter
/// vectors (embeddings, feature frames) are not judged at all.
pub(crate) const MIN_WAVEFORM: usize = 2048;
/// Most samples judged: sixteen pieces of [`MIN_WAVEFORM`].
pub(crate) const MAX_WAVEFORM: usize = 16 * MIN_WAVEFORM;

/// Where a second slice of [`MAX_WAVEFORM`] samples of a signal `len`
/// samples long starts: in its middle, and past the first slice where the
/// signal is long enough (else at its end). Recordings often open on
/// seconds of room noise, which a judge of the first slice alone takes for
/// noise. `None` when the second slice would add less than a piece.
pub(crate) fn middle(len: u64) -> Option<u64> {
    let (max, min) = (MAX_WAVEFORM as u64, MIN_WAVEFORM as u64);
    let past = len.checked_sub(max)?;
    let from = (past / 2).max(past.min(max));
    (from >= min).then_some(from)
}

/// Judges numeric samples (in order, converted to `f32`) as a speech
/// waveform; returns the best lag-1 autocorrelation of the pieces that passed.
///
/// Speech is a zero-centred oscillation: both signs in fair shares, many
/// distinct values, frequent zero crossings. Token ids, masks and position
/// ids (non-negative, few values, ramps and steps) fail these first checks;
/// noise and embeddings then fail the smoothness and spectral tests of
/// `pcm.rs`, run on 2048-sample pieces as f32le, of which half must pass
/// (pauses are part of speech). A random walk (a drifting sensor, prices
/// less their mean) passes all of those, and fails on its steps: white
/// noise, where the steps of speech keep its colour.
pub(crate) fn waveform(samples: &[f32]) -> Option<f64> {
    let x = &samples[..samples.len().min(MAX_WAVEFORM)];
    if x.len() < MIN_WAVEFORM || x.iter().any(|v| !v.is_finite()) {
        return None;
    }
    let peak = x.iter().fold(0f32, |m, v| m.max(v.abs()));
    if peak <= 0.0 {
        return None;
    }
    let n = x.len() as f64;
    let mean = x.iter().map(|&v| f64::from(v)).sum::<f64>() / n;
    let var = x
        .iter()
        .map(|&v| (f64::from(v) - mean).powi(2))
        .sum::<f64>()
        / n;
    let negative = x.iter().filter(|&&v| v < 0.0).count() as f64 / n;
    if mean.abs() > var.sqrt() || !(0.1..=0.9).contains(&negative) {
        return None;
    }
    let distinct: HashSet<u32> = x.iter().map(|v| v.to_bits()).take(MAX_WAVEFORM).collect();
    let crossings = x
        .windows(2)
        .filter(|w| (f64::from(w[0]) - mean).signum() != (f64::from(w[1]) - mean).signum())
        .count();
    if distinct.len() < 64 || crossings < x.len() / 256 {
        return None;
    }
    let pieces: Vec<&[f32]> = x.chunks_exact(MIN_WAVEFORM).collect();
    let mut best: Option<f64> = None;
    let mut hits = 0;
    for (i, piece) in pieces.iter().enumerate() {
        // Half must pass: once more than half have failed, the rest cannot
        // change the answer (the spectral tests are most of the cost, and
        // embeddings fail every piece).
        if (i - hits) * 2 > pieces.len() {
            return None;
        }
        let bytes: Vec<u8> = piece
            .iter()
            .flat_map(|v| (v / peak).to_le_bytes())
            .collect();
        if let Some(("f32le", rho)) = super::pcm::guess(&bytes) {
            hits += 1;
            best = Some(best.map_or(rho, |b: f64| b.max(rho)));
        }
    }
    if hits * 2 < pieces.len() {
        return None;
    }
    let samples: Vec<f64> = x.iter().map(|&v| f64::from(v)).collect();
    best.filter(|_| super::pcm::steps_coloured(&samples))
}

/// Whether a series' loudness changes from frame to frame, as a
/// recording's does (see `pcm::loudness_varies`).
pub(crate) fn loudness_varies(samples: &[f32]) -> bool {
    super::pcm::loudness_varies(samples)
}

/// Neighbouring samples strongly correlated (lag-1 autocorrelation of at
/// least 0.6, what §4.3 asks of speech): the cheap first look at a matrix
/// that may hold frames, which weights and embeddings fail.
pub(crate) fn smooth(samples: &[f32]) -> bool {
    let x: Vec<f64> = samples.iter().map(|&v| f64::from(v)).collect();
    x.iter().all(|v| v.is_finite()) && super::pcm::autocorrelation(&x, 1) >= 0.6
}

/// The member a waveform becomes: class audio, so `audio.unencrypted` reports it.
pub(crate) fn waveform_sniff(dtype: &str, shape: &str, judged: usize, rho: f64) -> Sniff {
    Sniff::new("waveform", None, Class::Audio, Encryption::None)
        .with("dtype", dtype)
        .with("shape", shape)
        .with("samples_judged", judged)
        .with("lag1_autocorrelation", super::round3(rho))
        .with(
            "basis",
            "tensor values with the sample statistics of speech (formats.md §4.3)",
        )
}

/// A speech-like signal for tests: two tones under a syllable envelope and
/// a faint noise floor.
#[cfg(test)]
pub(crate) fn speechy(n: usize) -> Vec<f32> {
    let noise = super::testutil::pseudo_random(n, 3);
    (0..n)
        .map(|i| {
            let t = i as f32;
            let env = (t / 900.0).sin().abs();
            env * (0.4 * (t / 7.0).sin() + 0.2 * (t / 3.1).sin())
                + (f32::from(noise[i]) - 128.0) / 128.0 * 0.002
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::super::testutil::pseudo_random;
    use super::*;

    fn sniff_of(b: &[u8]) -> Option<Sniff> {
        detect(&Sample::new(b.len() as u64, b, &[]))
    }

    #[test]
    fn crc32c_matches_the_castagnoli_check_value() {
        assert_eq!(crc32c(b"123456789"), 0xe306_9283);
        let mut rec = 5u64.to_le_bytes().to_vec();
        rec.extend(masked_crc32c(&rec).to_le_bytes());
        assert_eq!(tfrecord_length(&rec), Some(5));
        rec[0] = 6;
        assert_eq!(tfrecord_length(&rec), None);
    }

    #[test]
    fn tfrecords_plain_and_zlib_are_recognised() {
        let mut rec = 3u64.to_le_bytes().to_vec();
        rec.extend(masked_crc32c(&rec).to_le_bytes());
        rec.extend(b"abc\0\0\0\0");
        assert_eq!(sniff_of(&rec).unwrap().format, "tfrecord");
        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        std::io::Write::write_all(&mut z, &rec).unwrap();
        let z = z.finish().unwrap();
        let s = sniff_of(&z).unwrap();
        assert_eq!(
            (&*s.format, &s.evidence["compression"]),
            ("tfrecord", &serde_json::json!("zlib"))
        );
        // A declared length beyond the object is not a TFRecord.
        let mut long = 1000u64.to_le_bytes().to_vec();
        long.extend(masked_crc32c(&long).to_le_bytes());
        assert!(sniff_of(&long).is_none());
    }

    #[test]
    fn npy_headers_parse_and_hostile_ones_do_not() {
        let mut b = b"\x93NUMPY\x01\x00".to_vec();
        let dict = b"{'descr': '<i2', 'fortran_order': False, 'shape': (2, 8000), }          \n";
        b.extend((dict.len() as u16).to_le_bytes());
        b.extend(dict);
        let h = npy_header(&b).unwrap();
        assert_eq!(h.descr.as_deref(), Some("<i2"));
        assert_eq!(
            (h.fortran_order, h.shape.clone(), h.data_at),
            (false, vec![2, 8000], b.len() as u64)
        );
        assert_eq!(sniff_of(&b).unwrap().format, "npy");
        // Header length past the bytes; a shape that is not a number.
        let mut cut = b.clone();
        cut[8] = 0xff;
        assert!(npy_header(&cut).is_none());
        let bad = String::from_utf8_lossy(&b)
            .replace("8000", "8x00")
            .into_bytes();
        assert!(npy_header(&bad).is_none());
        let dict = b"{'descr': [('a', '<f4')], 'fortran_order': True, 'shape': ()}";
        let mut structured = b"\x93NUMPY\x01\x00".to_vec();
        structured.extend((dict.len() as u16).to_le_bytes());
        structured.extend(dict);
        let h = npy_header(&structured).unwrap();
        assert_eq!((h.descr, h.fortran_order, h.shape), (None, true, vec![]));
        assert_eq!(h.fields, Some(vec!["<f4".to_string()]));
    }

    #[test]
    fn plain_structured_fields_are_listed_and_others_are_not() {
        assert_eq!(
            plain_fields("('left', '<i2'), ('right', '<i2')"),
            Some(vec!["<i2".into(), "<i2".into()])
        );
        assert_eq!(plain_fields("(\"t\", \"<f8\"),"), Some(vec!["<f8".into()]));
        // A sub-array's shape, a nested record, an empty list.
        assert_eq!(plain_fields("('a', '<i2', (2,))"), None);
        assert_eq!(plain_fields("('a', [('b', '<i2')"), None);
        assert_eq!(plain_fields(""), None);
    }

    #[test]
    fn parquet_needs_both_magics_and_a_fitting_footer() {
        let mut b = b"PAR1\x15\x04\x15".to_vec();
        b.resize(100, 0);
        b.extend(20u32.to_le_bytes());
        b.extend(b"PAR1");
        let s = sniff_of(&b).unwrap();
        assert_eq!((&*s.format, s.class), ("parquet", Class::Other));
        assert_eq!(s.evidence["footer"], "does not parse");
        let n = b.len();
        b[n - 8..n - 4].copy_from_slice(&1000u32.to_le_bytes());
        let s = sniff_of(&b).unwrap();
        assert_eq!(
            (&*s.format, &s.evidence["footer"]),
            (
                "parquet",
                &serde_json::json!("declares more bytes than the object holds")
            ),
            "footer longer than the file: named, for the walk to say why it stops"
        );
        b[n - 4..].copy_from_slice(b"PAR2");
        assert!(sniff_of(&b).is_none(), "no magic at the end");
        let mut e = b"PARE".to_vec();
        e.resize(100, 7);
        e.extend(20u32.to_le_bytes());
        e.extend(b"PARE");
        let s = sniff_of(&e).unwrap();
        assert_eq!(
            (s.class, s.encryption),
            (Class::Encrypted, Encryption::Encrypted)
        );
        // A large file whose tail is not read yet asks for it.
        let head = &b[..20];
        let s = detect(&Sample::new(10 << 20, head, &[])).unwrap();
        assert_eq!(s.wants, vec![(10 << 20) - WINDOW_LEN as u64..10 << 20]);
        assert!(detect(&Sample::new(10 << 20, b"PAR1\x00\x00\x00\x00", &[])).is_none());
    }

    #[test]
    fn flatbuffer_offsets_are_checked() {
        let good = [
            12u8, 0, 0, 0, // root: the table at 12
            6, 0, 8, 0, 4, 0, // vtable at 4: 6 bytes long, table 8 bytes, field 0 at +4
            0, 0, // padding
            8, 0, 0, 0, // table at 12: its vtable is 8 bytes before
            7, 0, 0, 0, // field 0
        ];
        let t = Table::root(&good).unwrap();
        assert_eq!(t.u8(0, 0), 7);
        assert_eq!(t.u8(1, 9), 9, "absent fields take the default");
        assert!(t.string(0).is_none(), "an offset to nowhere is no string");
        assert!(Table::root(&[0xff, 0xff, 0, 0]).is_none());
        let mut far = good;
        far[12..16].copy_from_slice(&(-1000i32).to_le_bytes());
        assert!(Table::root(&far).is_none());
        let mut long = good;
        long[4] = 200;
        assert!(
            Table::root(&long).is_none(),
            "a vtable longer than the buffer"
        );
    }

    /// A `Message { header_type: Schema, header: Schema {} }` flatbuffer.
    const SCHEMA_MESSAGE: [u8; 40] = [
        16, 0, 0, 0, // root: the Message table at 16
        10, 0, 12, 0, 0, 0, 4, 0, 8, 0, 0, 0, // its vtable: header_type at +4, header at +8
        12, 0, 0, 0, 1, 0, 0, 0, 8, 0, 0, 0, // Message: header_type 1, header at 24 + 8
        4, 0, 4, 0, // Schema's vtable: no fields
        4, 0, 0, 0, 0, 0, 0, 0, // Schema table
    ];

    #[test]
    fn arrow_streams_and_files_open_with_a_schema_message() {
        let mut stream = vec![0xff, 0xff, 0xff, 0xff, 40, 0, 0, 0];
        stream.extend(SCHEMA_MESSAGE);
        stream.extend([0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0]);
        assert_eq!(sniff_of(&stream).unwrap().format, "arrow-stream");
        let mut file = b"ARROW1\0\0".to_vec();
        file.extend(&stream);
        file.extend(b"ARROW1");
        assert_eq!(sniff_of(&file).unwrap().format, "arrow");
        // The schema message with no framing at all after the file magic (polars).
        let mut bare = b"ARROW1\0\0".to_vec();
        bare.extend(SCHEMA_MESSAGE);
        assert_eq!(sniff_of(&bare).unwrap().format, "arrow");
        let mut not_schema = bare.clone();
        not_schema[8 + 20] = 3;
        assert!(sniff_of(&not_schema).is_none());
        // A record batch (header type 3) first, a length past 16 MiB, a cut message.
        let mut batch = stream.clone();
        batch[8 + 20] = 3;
        assert!(sniff_of(&batch).is_none());
        let mut long = stream.clone();
        long[4..8].copy_from_slice(&(32u32 << 20).to_le_bytes());
        assert!(sniff_of(&long).is_none());
        assert!(sniff_of(&stream[..14]).is_none());
    }

    #[test]
    fn kaldi_entries_need_a_key_and_a_known_object() {
        let mut wav = b"utt1 RIFF\x24\x00\x00\x00WAVEfmt ".to_vec();
        wav.resize(64, 0);
        assert_eq!(
            ark_entry(&wav).map(|e| (e.0, e.1, e.2)),
            Some(("utt1", 5, ArkObject::Wav))
        );
        assert_eq!(sniff_of(&wav).unwrap().format, "kaldi-ark");
        assert_eq!(
            ark_entry(b"utt1 \0BFM \x04\x02\0\0\0").map(|e| e.2),
            Some(ArkObject::Binary)
        );
        assert_eq!(
            ark_entry(b"u AUDIO\x02\x10\x00fLaC").map(|e| e.2),
            Some(ArkObject::Audio)
        );
        assert!(
            ark_entry(b"utt1 [ 1 2 3 ]").is_none(),
            "text matrices are text"
        );
        assert!(ark_entry(b"hello world").is_none());
        assert!(ark_entry(b" RIFF....WAVE").is_none());
    }

    #[test]
    fn hdf5_superblock_is_found_after_a_user_block() {
        let mut b = vec![0u8; 512];
        b.extend(HDF5_SIGNATURE);
        b.push(0);
        assert_eq!(hdf5_base(&b), Some(512));
        assert_eq!(sniff_of(&b).unwrap().format, "hdf5");
        let mut v9 = b.clone();
        v9[520] = 9;
        assert_eq!(hdf5_base(&v9), None);
    }

    /// A head of zeros to its end (a user block's padding) asks where a
    /// superblock behind a user block of 64 KiB × 2ⁿ would be, and the
    /// window holding one names the file.
    #[test]
    fn hdf5_superblock_is_looked_for_behind_a_long_user_block() {
        let head = vec![0u8; HEAD_LEN];
        let s = Sample::new(200_000, &head, &[]);
        assert_eq!(
            hdf5_far_wants(&s, &[]),
            vec![65_536..131_072, 131_072..196_608]
        );
        // Beside the middle and end windows the statistics ask for, and
        // each cut where the next of those begins.
        let wants = crate::sniff::sniff(&s, &[]).wants;
        for probe in [65_536, 131_072] {
            assert!(
                wants.iter().any(|w| w.start <= probe && probe + 9 <= w.end),
                "{wants:?}"
            );
        }
        for (i, a) in wants.iter().enumerate() {
            assert!(
                wants[i + 1..]
                    .iter()
                    .all(|b| a.end <= b.start || b.end <= a.start),
                "{wants:?}"
            );
        }
        let mut superblock = HDF5_SIGNATURE.to_vec();
        superblock.push(0);
        let windows = [super::super::Window {
            offset: 131_072,
            bytes: superblock,
        }];
        let s = Sample::new(200_000, &head, &windows);
        let found = hdf5(&s).unwrap();
        assert_eq!(found.evidence["magic"], "HDF5 signature at 131072");
        // Asked with the head's first wishes only: later rounds keep
        // their windows for the detectors that need them.
        assert!(hdf5_far_wants(&s, &[]).is_empty());
        // A head that does not end in padding, or one that is the whole
        // object, asks for nothing.
        let mut text = head.clone();
        text[HEAD_LEN - 1] = b'\n';
        assert!(hdf5_far_wants(&Sample::new(200_000, &text, &[]), &[]).is_empty());
        assert!(hdf5_far_wants(&Sample::new(HEAD_LEN as u64, &head, &[]), &[]).is_empty());
    }

    /// A Blosc chunk is named by a header whose compressed size is the
    /// object's and whose block table holds up; the same bytes with one
    /// more byte behind them, or a block offset inside the table, are not.
    #[test]
    fn blosc_chunks_are_named_by_their_header() {
        let chunk: &[u8] =
            include_bytes!("../unpack/datasets/testdata/blosc-f32-zstd-shuffle.blosc");
        let s = blosc(&Sample::new(chunk.len() as u64, chunk, &[])).unwrap();
        assert_eq!((&*s.format, s.class), ("blosc", Class::Compressed));
        assert_eq!(
            (&s.evidence["codec"], &s.evidence["typesize"]),
            (&serde_json::json!("zstd"), &serde_json::json!(4))
        );
        let mut longer = chunk.to_vec();
        longer.push(0);
        assert!(blosc(&Sample::new(longer.len() as u64, &longer, &[])).is_none());
        let mut inside = chunk.to_vec();
        inside[16..20].copy_from_slice(&20u32.to_le_bytes());
        assert!(blosc(&Sample::new(inside.len() as u64, &inside, &[])).is_none());
    }

    #[test]
    fn zips_of_tensors_are_named_by_their_first_member() {
        let local = |name: &str| {
            let mut z = b"PK\x03\x04\x14\x00\x00\x00\x00\x00".to_vec();
            z.resize(26, 0);
            z.extend((name.len() as u16).to_le_bytes());
            z.extend([0, 0]);
            z.extend(name.as_bytes());
            z.resize(200, 0);
            z
        };
        assert_eq!(
            sniff_of(&local("archive/data.pkl")).unwrap().format,
            "pytorch"
        );
        // TorchScript archives may open with a storage or the constants.
        for first in ["model/data/0", "VADr/data/17", "m/constants.pkl"] {
            assert_eq!(
                sniff_of(&local(first)).unwrap().format,
                "pytorch",
                "{first}"
            );
        }
        assert_eq!(sniff_of(&local("arr_0.npy")).unwrap().format, "npz");
        for other in [
            "a/b/data.pkl",
            "notes.txt",
            "/data.pkl",
            "a/data/",
            "a/data/x1",
            "a/b/data/0",
        ] {
            assert!(sniff_of(&local(other)).is_none(), "{other}");
        }
    }

    #[test]
    fn onnx_models_are_named_by_their_own_fields_in_any_order() {
        let graph = |h: &[u8], size: u64| onnx_head(h, size).and_then(|m| m.graph);
        // ir_version 8, producer "pytorch", version "2.3.0", graph of 6 bytes opening with a node.
        let mut m = b"\x08\x08\x12\x07pytorch\x1a\x052.3.0\x3a\x06\x0a\x04\x22\x02Op".to_vec();
        assert_eq!(graph(&m, m.len() as u64), Some((20, 6)));
        let s = sniff_of(&m).unwrap();
        assert_eq!((&*s.format, s.class), ("onnx", Class::Other));
        assert_eq!(s.evidence["producer"], "pytorch");
        // Any order, no IR version, or one no ONNX has: still a model.
        let graph_first = b"\x3a\x06\x0a\x04\x22\x02Op\x42\x02\x10\x11\x08\x21";
        assert_eq!(graph(graph_first, 100), Some((2, 6)));
        assert_eq!(graph(&m[2..], 100), Some((18, 6)));
        // A doc string longer than the head after a valid IR version.
        let mut long_doc = b"\x08\x09\x32\x80\x80\x08".to_vec();
        long_doc.resize(4096, b'x');
        let hidden = onnx_head(&long_doc, 1 << 20).unwrap();
        assert_eq!((hidden.ir_version, hidden.graph), (Some(9), None));
        assert_eq!(
            onnx_head(&long_doc, 4096),
            None,
            "the doc string must fit the object"
        );
        // A graph longer than the object, a graph opening with no
        // GraphProto field, a field ONNX's model has not (a TensorFlow
        // SavedModel: version 1, then meta graphs as field 2 holding field
        // 1), a graph alone, text, noise.
        assert_eq!(graph(&m, m.len() as u64 - 1), None);
        m[20] = 0x08;
        assert_eq!(graph(&m, 1 << 20), None);
        assert_eq!(
            onnx_head(b"\x08\x01\x12\x04\x0a\x02\x08\x01", 1 << 20),
            None
        );
        assert_eq!(onnx_head(b"\x3a\x06\x0a\x04\x22\x02Op", 1 << 20), None);
        // A producer name longer than the head, printable as far as seen.
        let mut long_name = b"\x08\x08\x12\x80\x80\x04".to_vec();
        long_name.resize(4096, b'p');
        assert!(onnx_head(&long_name, 1 << 20).is_some());
        // A SavedModel whose meta graph runs past the head.
        let mut saved = b"\x08\x01\x12\x80\x80\x04\x0a\x10\x0a\x05serve".to_vec();
        saved.resize(4096, 0x12);
        assert_eq!(onnx_head(&saved, 1 << 20), None);
        // A graph written first and longer than the head is confirmed by
        // its first fields: nodes, one after another.
        let mut nodes = b"\x3a\xff\xff\x3f".to_vec();
        for _ in 0..1000 {
            nodes.extend(b"\x0a\x0c\x0a\x01x\x12\x01y\x22\x04Relu");
        }
        let big = onnx_head(&nodes[..4096], 1 << 21).unwrap();
        assert_eq!(big.graph, Some((4, (1 << 20) - 1)));
        assert_eq!(
            onnx_head(&nodes[..20], 1 << 21),
            None,
            "one node is too little"
        );
        assert_eq!(onnx_head(b":\n\nkey: value\n", 1 << 20), None);
        for seed in 0..4000 {
            let noise = pseudo_random(256, seed);
            assert_eq!(onnx_head(&noise, 1 << 30), None, "seed {seed}");
        }
    }

    #[test]
    fn safetensors_headers_are_json_tables() {
        let json = br#"{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#;
        let mut b = (json.len() as u64).to_le_bytes().to_vec();
        b.extend(json);
        b.extend([0u8; 8]);
        let s = sniff_of(&b).unwrap();
        assert_eq!(
            (&*s.format, &s.evidence["tensors"]),
            ("safetensors", &serde_json::json!(1))
        );
        let mut huge = b.clone();
        huge[..8].copy_from_slice(&u64::MAX.to_le_bytes());
        assert!(sniff_of(&huge).is_none());
    }

    #[test]
    fn the_second_slice_lies_past_the_first_and_in_the_middle() {
        let max = MAX_WAVEFORM as u64;
        assert_eq!(middle(max), None, "the first slice saw it all");
        assert_eq!(middle(max + 2047), None, "less than a piece more");
        assert_eq!(middle(max + 2048), Some(2048), "the end");
        assert_eq!(middle(max + max / 2), Some(max / 2), "the end");
        assert_eq!(middle(2 * max + 100), Some(max), "right after the first");
        assert_eq!(middle(5 * max), Some(2 * max), "the middle");
        assert_eq!(middle(u64::MAX), Some((u64::MAX - max) / 2));
    }

    #[test]
    fn speech_like_waveforms_pass_and_noise_ids_and_masks_do_not() {
        assert!(waveform(&speechy(8000)).is_some());
        assert!(waveform(&speechy(1000)).is_none(), "too short to judge");
        let noise: Vec<f32> = pseudo_random(8000, 1)
            .iter()
            .map(|&b| (f32::from(b) - 127.5) / 128.0)
            .collect();
        assert!(waveform(&noise).is_none());
        let ramp: Vec<f32> = (0..8000).map(|i| i as f32).collect();
        assert!(waveform(&ramp).is_none(), "position ids");
        let mask: Vec<f32> = (0..8000).map(|i| f32::from(u8::from(i < 5000))).collect();
        assert!(waveform(&mask).is_none(), "attention mask");
        let ids: Vec<f32> = pseudo_random(8000, 2)
            .iter()
            .map(|&b| f32::from(b) * 100.0)
            .collect();
        assert!(waveform(&ids).is_none(), "token ids");
        let offset: Vec<f32> = speechy(8000).iter().map(|v| v + 20.0).collect();
        assert!(
            waveform(&offset).is_none(),
            "a slow series around a large offset"
        );
        let mut nan = speechy(8000);
        nan[5] = f32::NAN;
        assert!(waveform(&nan).is_none());
    }

    /// Half the pieces must pass, and half is enough: a recording that
    /// opens on faint noise for as long as it then speaks passes, however
    /// early its failing pieces come.
    #[test]
    fn half_the_pieces_passing_is_enough() {
        let piece = MIN_WAVEFORM;
        let speech = speechy(2 * piece);
        let faint: Vec<f32> = pseudo_random(2 * piece, 4)
            .iter()
            .map(|&b| (f32::from(b) - 127.5) / 127.5 * 0.01)
            .collect();
        assert!(waveform(&faint).is_none());
        assert!(waveform(&[&faint[..], &speech[..]].concat()).is_some());
        let more = &faint[..piece + 1];
        assert!(waveform(&[more, &faint[..], &speech[..]].concat()).is_none());
    }

    #[test]
    fn waves_at_one_loudness_do_not_vary_and_syllables_do() {
        // Each with a faint noise floor, so that only its loudness tells
        // it from speech: a tone, a chirp and a sum of tones.
        let noise = pseudo_random(16000, 9);
        let with_floor = |f: &dyn Fn(f32) -> f32| -> Vec<f32> {
            (0..16000)
                .map(|i| f(i as f32) + (f32::from(noise[i]) - 127.5) / 127.5 * 0.002)
                .collect()
        };
        let tone = with_floor(&|t| (t / 7.0).sin() * 0.5);
        let chirp = with_floor(&|t| (t * t / 400_000.0 + t / 40.0).sin() * 0.5);
        let tones =
            with_floor(&|t| 0.3 * (t / 9.0).sin() + 0.2 * (t / 31.0).sin() + 0.1 * (t / 4.3).sin());
        for (name, wave) in [("tone", &tone), ("chirp", &chirp), ("tones", &tones)] {
            assert!(!loudness_varies(wave), "{name}");
        }
        // The same tone rising and falling, as syllables do.
        let spoken = with_floor(&|t| (t / 7.0).sin() * 0.5 * (t / 900.0).sin().abs());
        assert!(loudness_varies(&spoken));
    }
}
