//! Parquet: the footer (read at the offset its length gives, parsed by the
//! `parquet` crate), then, for each leaf column that can hold audio, the
//! first pages of its chunk in the first row groups: the page header
//! (Thrift compact, parsed here), a prefix of the page decompressed, the
//! first values.
//!
//! Columns that can hold audio: binary leaves that are not strings (the
//! `bytes` of a Hugging Face `Audio` struct, a plain `binary` column of
//! WAVs), and repeated numeric leaves (`list<float>`, `list<int16>` …), whose
//! values are judged as a waveform. Columns with modular-encryption
//! metadata are never decoded. Audio may start in a later row group (path-
//! only rows first): chunks whose statistics say they are all null are
//! skipped without a read; up to [`CHUNKS_PER_COLUMN`] chunks per column
//! with values (and [`EMPTY_CHUNKS_PER_COLUMN`] found to be all null when
//! statistics are missing) are read until one holds audio.

use parquet::basic::{Compression, ConvertedType, LogicalType, Type as Physical};
use parquet::file::metadata::{ColumnChunkMetaData, ParquetMetaDataReader};
use parquet::schema::types::ColumnDescriptor;

use super::codecs::{decompress, Codec};
use super::thrift::{page_header, PageHeader, PageKind};
use super::{malformed, Dtype, Reader, Step, Stop};
use crate::sniff::dataset::{le32, MAX_WAVEFORM};
use crate::unpack::{Level, Limit, Walk};

/// Largest footer read (pyarrow writes a few KiB per row group).
const MAX_FOOTER: u64 = 4 << 20;
/// Leaf columns examined.
const MAX_COLUMNS: usize = 64;
/// Row groups whose metadata is looked at.
const MAX_ROW_GROUPS: usize = 64;
/// Chunks of one column whose values are judged before giving up on it,
/// and chunks read that turn out to hold nulls only (path-only rows, when
/// the footer has no statistics to skip them by).
const CHUNKS_PER_COLUMN: usize = 4;
const EMPTY_CHUNKS_PER_COLUMN: usize = 16;
/// Pages of one chunk read (a dictionary page, then data pages).
const PAGES_PER_CHUNK: usize = 4;
/// Binary values sniffed per page.
const VALUES_PER_PAGE: usize = 3;
/// First read at a page: its header and, for small pages, the page itself.
const HEADER_READ: u64 = 16 << 10;
/// Page headers larger than this (statistics of huge values) are damaged.
const MAX_HEADER: u64 = 256 << 10;
/// Decoded bytes of one page looked at: the first values' heads, or the
/// samples a waveform judgement needs, whatever the page's size.
const PAGE_PREFIX: u64 = 256 << 10;

/// What a leaf column holds, as far as audio goes.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Leaf {
    /// Byte arrays (fixed-length ones carry their width).
    Binary(Option<usize>),
    /// Repeated numbers: a waveform candidate.
    Numbers(Dtype),
}

fn leaf(col: &ColumnDescriptor) -> Option<Leaf> {
    let logical = col.logical_type_ref();
    let converted = col.converted_type();
    let repeated = col.max_rep_level() > 0;
    let text = matches!(
        logical,
        Some(
            LogicalType::String
                | LogicalType::Enum
                | LogicalType::Json
                | LogicalType::Bson
                | LogicalType::Uuid
        )
    ) || matches!(
        converted,
        ConvertedType::UTF8 | ConvertedType::ENUM | ConvertedType::JSON | ConvertedType::BSON
    );
    let narrow_or_unsigned = matches!(logical, Some(LogicalType::Integer(t)) if t.bit_width <= 8 || !t.is_signed)
        || matches!(
            converted,
            ConvertedType::INT_8
                | ConvertedType::UINT_8
                | ConvertedType::UINT_16
                | ConvertedType::UINT_32
                | ConvertedType::UINT_64
        );
    let not_samples = matches!(
        logical,
        Some(
            LogicalType::Date
                | LogicalType::Time(_)
                | LogicalType::Timestamp(_)
                | LogicalType::Decimal(_)
        )
    ) || matches!(
        converted,
        ConvertedType::DATE
            | ConvertedType::TIME_MILLIS
            | ConvertedType::TIME_MICROS
            | ConvertedType::TIMESTAMP_MILLIS
            | ConvertedType::TIMESTAMP_MICROS
            | ConvertedType::DECIMAL
            | ConvertedType::INTERVAL
    );
    match col.physical_type() {
        Physical::BYTE_ARRAY if !text => Some(Leaf::Binary(None)),
        Physical::FIXED_LEN_BYTE_ARRAY if matches!(logical, Some(LogicalType::Float16)) => {
            repeated.then_some(Leaf::Numbers(Dtype::F16))
        }
        // Short fixed widths are ids, hashes and decimals.
        Physical::FIXED_LEN_BYTE_ARRAY if col.type_length() >= 64 && !not_samples => {
            Some(Leaf::Binary(usize::try_from(col.type_length()).ok()))
        }
        Physical::FLOAT if repeated => Some(Leaf::Numbers(Dtype::F32)),
        Physical::DOUBLE if repeated => Some(Leaf::Numbers(Dtype::F64)),
        Physical::INT32 if repeated && !narrow_or_unsigned && !not_samples => {
            Some(Leaf::Numbers(Dtype::I32))
        }
        Physical::INT64 if repeated && !narrow_or_unsigned && !not_samples => {
            Some(Leaf::Numbers(Dtype::I64))
        }
        _ => None,
    }
}

/// The column as people name it: `input_values`, not `input_values.list.element`.
fn column_name(path: &str) -> &str {
    for suffix in [".list.element", ".list.item", ".element", ".item", ".array"] {
        if let Some(stem) = path.strip_suffix(suffix) {
            return stem;
        }
    }
    path
}

fn codec(c: Compression) -> Step<Codec> {
    Ok(match c {
        Compression::UNCOMPRESSED => Codec::None,
        Compression::SNAPPY => Codec::Snappy,
        Compression::GZIP(_) => Codec::Gzip,
        Compression::BROTLI(_) => Codec::Brotli,
        Compression::ZSTD(_) => Codec::Zstd,
        Compression::LZ4_RAW => Codec::Lz4Block,
        Compression::LZ4 => Codec::Lz4Hadoop,
        Compression::LZO => return malformed("LZO pages are not decoded"),
    })
}

/// One column chunk to read: where, and what its values mean.
struct Chunk<'c> {
    meta: &'c ColumnChunkMetaData,
    leaf: Leaf,
    name: &'c str,
    group: usize,
    first_row: u64,
    max_def: u16,
    max_rep: u16,
}

impl Walk<'_> {
    pub(super) fn parquet(&mut self, level: &Level<'_, '_>, prefix: &str, depth: u32) -> Step<()> {
        let mut r = Reader::new(level);
        let size = r.size();
        if size < 12 {
            return malformed("shorter than its magic numbers");
        }
        let tail = r.at(size - 8, 8)?;
        if &tail[4..] != b"PAR1" {
            return malformed("no PAR1 at the end (encrypted footer or truncated file)");
        }
        let footer_len = u64::from(le32(&tail, 0).unwrap_or(0));
        if footer_len + 12 > size {
            return malformed(format!("footer length {footer_len} exceeds the file"));
        }
        if footer_len > MAX_FOOTER {
            return Err(Stop::Bound(format!(
                "footer of {footer_len} bytes is larger than the {} MiB read for it",
                MAX_FOOTER >> 20
            )));
        }
        let footer = r.at(size - 8 - footer_len, footer_len as usize)?;
        let meta = ParquetMetaDataReader::decode_metadata(&footer)
            .or_else(|e| malformed(format!("footer does not parse: {e}")))?;
        let data_end = size - 8 - footer_len;
        let schema = meta.file_metadata().schema_descr();
        let columns: Vec<(usize, Leaf)> = schema
            .columns()
            .iter()
            .enumerate()
            .filter_map(|(i, c)| leaf(c).map(|l| (i, l)))
            .take(MAX_COLUMNS)
            .collect();
        if schema.num_columns() > MAX_COLUMNS && columns.len() == MAX_COLUMNS {
            self.limit(
                prefix,
                Limit::Members,
                format!("parquet: more than {MAX_COLUMNS} columns could hold audio; the rest not inspected"),
            );
        }
        let mut reads = vec![0usize; columns.len()];
        let mut empty = vec![0usize; columns.len()];
        let mut damaged = 0;
        let mut found = vec![false; columns.len()];
        let mut first_row = 0u64;
        for (group, rg) in meta.row_groups().iter().enumerate().take(MAX_ROW_GROUPS) {
            for (k, &(ci, leaf)) in columns.iter().enumerate() {
                if found[k]
                    || reads[k] >= CHUNKS_PER_COLUMN
                    || empty[k] >= EMPTY_CHUNKS_PER_COLUMN
                    || self.out_of_time(prefix)
                {
                    continue;
                }
                let Some(meta) = rg.columns().get(ci) else {
                    continue;
                };
                // Modular encryption: this chunk is ciphertext, never decoded.
                if meta.crypto_metadata().is_some() {
                    continue;
                }
                let all_null = meta
                    .statistics()
                    .and_then(|s| s.null_count_opt())
                    .is_some_and(|n| n >= meta.num_values() as u64);
                if all_null {
                    continue;
                }
                let desc = &schema.columns()[ci];
                let path = desc.path().string();
                let chunk = Chunk {
                    meta,
                    leaf,
                    name: column_name(&path),
                    group,
                    first_row,
                    max_def: desc.max_def_level().max(0) as u16,
                    max_rep: desc.max_rep_level().max(0) as u16,
                };
                match self.parquet_chunk(&mut r, &chunk, data_end, prefix, depth) {
                    Ok(Some(hit)) => {
                        found[k] = hit;
                        reads[k] += 1;
                    }
                    Ok(None) => empty[k] += 1,
                    Err(Stop::Malformed(why)) => self.damaged(
                        prefix,
                        &mut damaged,
                        format!("parquet column {} in row group {group}: {why}", chunk.name),
                    )?,
                    Err(stop) => return Err(stop),
                }
            }
            first_row = first_row.saturating_add(rg.num_rows().max(0) as u64);
            if found.iter().all(|&f| f) {
                break;
            }
        }
        Ok(())
    }

    /// Reads the first pages of one chunk: whether audio was found, or
    /// `None` when the pages read held no value (nulls only).
    fn parquet_chunk(
        &mut self,
        r: &mut Reader<'_, '_, '_>,
        chunk: &Chunk<'_>,
        data_end: u64,
        prefix: &str,
        depth: u32,
    ) -> Step<Option<bool>> {
        let m = chunk.meta;
        let codec = codec(m.compression())?;
        let start = match m.dictionary_page_offset() {
            Some(d) if d > 0 => d,
            _ => m.data_page_offset(),
        };
        let (Ok(start), Ok(len)) = (u64::try_from(start), u64::try_from(m.compressed_size()))
        else {
            return malformed("negative chunk offset or size");
        };
        let end = start.saturating_add(len);
        if start < 4 || end > data_end {
            return malformed(format!("chunk {start}+{len} outside the data"));
        }
        let mut pos = start;
        for _ in 0..PAGES_PER_CHUNK {
            if pos >= end {
                break;
            }
            let window = r.from(pos, (end - pos).min(HEADER_READ) as usize)?;
            let header = match page_header(&window) {
                Some(h) => h,
                None if (window.len() as u64) < (end - pos).min(MAX_HEADER) => {
                    let larger = r.from(pos, (end - pos).min(MAX_HEADER) as usize)?;
                    page_header(&larger)
                        .ok_or_else(|| Stop::Malformed(format!("damaged page header at {pos}")))?
                }
                None => return malformed(format!("damaged page header at {pos}")),
            };
            let body_at = pos + header.header_len as u64;
            let body_len = header.compressed as u64;
            let next = body_at.saturating_add(body_len);
            if next > end {
                return malformed(format!("page at {pos} runs past its chunk"));
            }
            let (values, found) = match header.kind {
                Some(PageKind::Dictionary) => {
                    self.parquet_page(r, chunk, &header, codec, body_at, false, prefix, depth)?
                }
                Some(PageKind::Data | PageKind::DataV2) => {
                    // Dictionary indices: the values were in the dictionary page.
                    if matches!(header.encoding, 2 | 8) {
                        return Ok(None);
                    }
                    if header.encoding != 0 {
                        return malformed(format!(
                            "value encoding {} is not decoded",
                            header.encoding
                        ));
                    }
                    self.parquet_page(r, chunk, &header, codec, body_at, true, prefix, depth)?
                }
                _ => (0, false),
            };
            if found || values > 0 {
                return Ok(Some(found));
            }
            pos = next;
        }
        Ok(None)
    }

    /// Decodes a page prefix and judges its first values: (values seen, audio found).
    #[allow(clippy::too_many_arguments)]
    fn parquet_page(
        &mut self,
        r: &mut Reader<'_, '_, '_>,
        chunk: &Chunk<'_>,
        h: &PageHeader,
        codec: Codec,
        body_at: u64,
        data_page: bool,
        prefix: &str,
        depth: u32,
    ) -> Step<(usize, bool)> {
        if h.num_values == 0 || h.compressed == 0 {
            return Ok((0, false));
        }
        let Some(budget) = self.remaining(prefix) else {
            return Ok((0, false));
        };
        let out_limit = (h.uncompressed as u64).min(budget).min(PAGE_PREFIX) as usize;
        let v2 = h.kind == Some(PageKind::DataV2);
        let levels_len = if v2 {
            (h.rep_len as u64) + (h.def_len as u64)
        } else {
            0
        };
        if levels_len > h.compressed as u64 {
            return malformed("v2 level lengths exceed the page");
        }
        // Incompressible data (audio) is as long compressed as decoded; a
        // little more input than output covers codec framing.
        let input_len = (h.compressed as u64).min(levels_len + out_limit as u64 + (64 << 10));
        let raw = r.from(body_at, input_len as usize)?;
        let (levels, body) = raw.split_at((levels_len as usize).min(raw.len()));
        let compressed = !v2 || h.v2_compressed;
        let plain = if compressed {
            decompress(codec, body, out_limit)
        } else {
            body[..body.len().min(out_limit)].to_vec()
        };
        let n = h.num_values as usize;
        // Rows of the first values: levels say which entries are null and
        // where rows start; without levels, value i is row i.
        let (values, rows) = match data_page {
            false => (&plain[..], None),
            true if v2 => {
                let (rep, def) = levels.split_at((h.rep_len as usize).min(levels.len()));
                (&plain[..], Some(value_rows(rep, def, chunk, n)))
            }
            true => {
                let mut at = 0usize;
                let mut take = |max: u16, encoding: i32| -> Vec<u8> {
                    if max == 0 {
                        return Vec::new();
                    }
                    let len = if encoding == 4 {
                        (n * bit_width(max) as usize).div_ceil(8)
                    } else {
                        let len = le32(&plain, at).unwrap_or(0) as usize;
                        at += 4;
                        len
                    };
                    let part = plain
                        .get(at..at.saturating_add(len))
                        .unwrap_or(&[])
                        .to_vec();
                    at = at.saturating_add(len);
                    part
                };
                let rep = take(chunk.max_rep, h.rep_encoding);
                let def = take(chunk.max_def, h.def_encoding);
                let rows = value_rows(&rep, &def, chunk, n);
                (plain.get(at..).unwrap_or(&[]), Some(rows))
            }
        };
        self.spent += plain.len() as u64;
        match chunk.leaf {
            Leaf::Binary(width) => {
                let mut seen = 0;
                for (i, (value, declared)) in byte_arrays(values, width, n).into_iter().enumerate()
                {
                    seen += 1;
                    if value.is_empty() {
                        continue;
                    }
                    let name = match &rows {
                        Some(rows) => match rows.get(i) {
                            Some(row) => format!("{}[row {}]", chunk.name, chunk.first_row + row),
                            None => format!("{}[row group {}, value {i}]", chunk.name, chunk.group),
                        },
                        None => {
                            format!("{}[row group {}, dictionary {i}]", chunk.name, chunk.group)
                        }
                    };
                    if self.value(prefix, &name, value, declared, depth) {
                        return Ok((seen, true));
                    }
                    if seen >= VALUES_PER_PAGE {
                        break;
                    }
                }
                Ok((seen, false))
            }
            Leaf::Numbers(dtype) => {
                let samples = dtype.decode(values, false, 1, MAX_WAVEFORM.min(n));
                let name = match rows.as_ref().and_then(|r| r.first()) {
                    Some(row) => format!("{}[row {}]", chunk.name, chunk.first_row + row),
                    None => format!("{}[row group {}, dictionary]", chunk.name, chunk.group),
                };
                let shape = format!("[{}] values in the page", n);
                let found = self.samples(
                    prefix,
                    &name,
                    dtype.name(),
                    &shape,
                    &samples,
                    (n * dtype.size()) as u64,
                );
                Ok((samples.len(), found))
            }
        }
    }
}

/// The fuzz entry: levels and byte arrays decoded from arbitrary bytes.
pub(super) fn fuzz(b: &[u8]) -> usize {
    let max = u16::from(*b.first().unwrap_or(&1));
    let n = usize::from(*b.get(1).unwrap_or(&0)) * 64;
    hybrid(b, max, n).len()
        + byte_arrays(b, None, 8).len()
        + byte_arrays(b, Some(max.into()), 8).len()
}

/// The first values of a PLAIN byte-array buffer: (bytes, declared length).
/// A value cut off by the end of the prefix is returned as far as it goes.
fn byte_arrays(b: &[u8], width: Option<usize>, max: usize) -> Vec<(&[u8], u64)> {
    let mut out = Vec::new();
    let mut pos = 0usize;
    while out.len() < max.min(VALUES_PER_PAGE) && pos < b.len() {
        let (len, at) = match width {
            Some(w) if w > 0 => (w, pos),
            Some(_) => break,
            None => match le32(b, pos) {
                Some(len) => (len as usize, pos + 4),
                None => break,
            },
        };
        let end = at.saturating_add(len);
        let value = &b[at.min(b.len())..end.min(b.len())];
        out.push((value, len as u64));
        pos = end;
    }
    out
}

fn bit_width(max: u16) -> u32 {
    16 - max.leading_zeros()
}

/// Levels in the RLE / bit-packed hybrid encoding (PF Encodings.md), at most `n`.
fn hybrid(b: &[u8], max: u16, n: usize) -> Vec<u16> {
    let width = bit_width(max) as usize;
    let mut out = Vec::new();
    let mut pos = 0usize;
    while out.len() < n && pos < b.len() {
        let mut header = 0u64;
        let mut shift = 0;
        loop {
            let Some(&byte) = b.get(pos) else {
                return out;
            };
            pos += 1;
            header |= u64::from(byte & 0x7f) << shift;
            shift += 7;
            if byte & 0x80 == 0 || shift > 63 {
                break;
            }
        }
        if header & 1 == 0 {
            let run = usize::try_from(header >> 1).unwrap_or(usize::MAX);
            let bytes = width.div_ceil(8);
            let Some(v) = b.get(pos..pos + bytes) else {
                return out;
            };
            pos += bytes;
            let value = v
                .iter()
                .rev()
                .fold(0u16, |a, &x| a.wrapping_shl(8) | u16::from(x));
            if run == 0 {
                return out;
            }
            out.extend(std::iter::repeat_n(value, run.min(n - out.len())));
        } else {
            let groups = usize::try_from(header >> 1).unwrap_or(usize::MAX);
            if groups == 0 {
                return out;
            }
            let values = groups.saturating_mul(8);
            for k in 0..values.min(n - out.len()) {
                let bit = k * width;
                let mut v = 0u16;
                for j in 0..width {
                    let at = pos + (bit + j) / 8;
                    let Some(&byte) = b.get(at) else {
                        return out;
                    };
                    v |= u16::from(byte >> ((bit + j) % 8) & 1) << j;
                }
                out.push(v);
            }
            pos = pos.saturating_add(groups.saturating_mul(width));
        }
    }
    out
}

/// The row (within the row group) of each present value, from the levels:
/// a new row starts where the repetition level is 0; a value is present
/// where the definition level is at its maximum.
fn value_rows(rep: &[u8], def: &[u8], chunk: &Chunk<'_>, n: usize) -> Vec<u64> {
    let rep = (chunk.max_rep > 0).then(|| hybrid(rep, chunk.max_rep, n));
    let def = (chunk.max_def > 0).then(|| hybrid(def, chunk.max_def, n));
    let mut rows = Vec::new();
    let mut row: Option<u64> = None;
    for i in 0..n {
        let starts_row = rep.as_ref().is_none_or(|r| r.get(i) == Some(&0));
        if starts_row {
            row = Some(row.map_or(0, |r| r + 1));
        }
        let present = match &def {
            None => true,
            Some(d) => match d.get(i) {
                Some(&l) => l == chunk.max_def,
                None => break,
            },
        };
        if present {
            rows.push(row.unwrap_or(0));
            if rows.len() >= VALUES_PER_PAGE.max(1) {
                break;
            }
        }
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::unpack::datasets::test_inside as inside;

    const PARQUET: &[u8] =
        include_bytes!("../../../fixtures/datasets/parquet/codec-snappy.parquet");

    #[test]
    fn a_snappy_dictionary_page_yields_the_wav_and_damage_is_a_limit() {
        assert_eq!(
            inside(PARQUET).0,
            vec!["audio.bytes[row group 0, dictionary 0] wav".to_string()]
        );
        // A page header that is not Thrift, and a page longer than its chunk.
        let mut bad = PARQUET.to_vec();
        bad[4] = 0xff;
        let (members, limits) = inside(&bad);
        assert!(members.is_empty());
        assert!(limits[0].contains("damaged page header at 4"), "{limits:?}");
        let mut long = PARQUET.to_vec();
        assert_eq!(long[10], 0x15);
        long[11..14].copy_from_slice(&[0xfe, 0xff, 0x7f]);
        assert!(inside(&long).1[0].contains("runs past its chunk"));
        // Every cut of the file ends quietly (most are no longer Parquet).
        for cut in (0..PARQUET.len()).step_by(PARQUET.len() / 9) {
            let _ = inside(&PARQUET[..cut]);
        }
    }

    #[test]
    fn hybrid_levels_decode_runs_and_bit_packing() {
        // Run of 3 ones, then one bit-packed group of 8 values (width 1): 0b10110010.
        let b = [0x06, 0x01, 0x03, 0b1011_0010];
        assert_eq!(hybrid(&b, 1, 11), vec![1, 1, 1, 0, 1, 0, 0, 1, 1, 0, 1]);
        assert_eq!(hybrid(&b, 1, 2), vec![1, 1]);
        // A run of 2^40 values is capped at n; truncated groups end quietly.
        assert_eq!(
            hybrid(&[0x80, 0x80, 0x80, 0x80, 0x80, 0x20, 0x01], 1, 4).len(),
            4
        );
        assert_eq!(hybrid(&[0x03], 1, 4), Vec::<u16>::new());
        assert_eq!(
            hybrid(&[0x00, 0x01], 1, 4),
            Vec::<u16>::new(),
            "an empty run stops"
        );
        assert_eq!(bit_width(0), 0);
        assert_eq!(bit_width(1), 1);
        assert_eq!(bit_width(3), 2);
    }

    #[test]
    fn byte_array_values_and_truncation() {
        let mut b = 3u32.to_le_bytes().to_vec();
        b.extend(b"abc");
        b.extend(100u32.to_le_bytes());
        b.extend(b"only some");
        let v = byte_arrays(&b, None, 10);
        assert_eq!(v, vec![(&b"abc"[..], 3), (&b"only some"[..], 100)]);
        assert_eq!(byte_arrays(&[1, 2], None, 10), vec![]);
        assert_eq!(
            byte_arrays(b"aabbcc", Some(2), 2),
            vec![(&b"aa"[..], 2), (&b"bb"[..], 2)]
        );
        assert_eq!(byte_arrays(b"aabbcc", Some(0), 2), vec![]);
        let huge = u32::MAX.to_le_bytes();
        assert_eq!(
            byte_arrays(&huge, None, 10),
            vec![(&b""[..], u64::from(u32::MAX))]
        );
    }

    #[test]
    fn list_column_names_lose_their_list_nodes() {
        assert_eq!(column_name("input_values.list.element"), "input_values");
        assert_eq!(column_name("audio.bytes"), "audio.bytes");
    }
}
