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
//! skipped without a read, and so are byte-array chunks whose statistics
//! say every value is empty; the other chunks are read, row group after row
//! group, until one holds audio or the budget ends. In each page read, the
//! first [`VALUES_PER_PAGE`] values are sniffed like files, and every
//! further value whose head carries an audio magic number (a WAV at row 8
//! after `b"n/a"` values). A column whose values were not all looked at
//! that way (pages or row groups left, a page larger than its prefix) is
//! reported as a limit saying how far the reading got: a column is never
//! clean just because it was long.

use parquet::basic::{Compression, ConvertedType, LogicalType, Type as Physical};
use parquet::file::metadata::{ColumnChunkMetaData, ParquetMetaData, ParquetMetaDataReader};
use parquet::schema::types::ColumnDescriptor;

use super::codecs::{decompress, Codec};
use super::thrift::{page_header, PageHeader, PageKind};
use super::{audio_magic, malformed, Dtype, Reader, Step, Stop};
use crate::sniff::dataset::{le32, MAX_WAVEFORM, MIN_WAVEFORM};
use crate::unpack::{Level, Limit, Walk};

/// Largest footer read (pyarrow writes a few KiB per row group).
const MAX_FOOTER: u64 = 4 << 20;
/// Leaf columns examined.
const MAX_COLUMNS: usize = 64;
/// Row groups whose metadata is looked at.
const MAX_ROW_GROUPS: usize = 64;
/// Chunks of one numeric column whose values are judged as a waveform
/// before giving up on it (a signal judgement, not a search; a list
/// column's chunks are all read, within the bounds), and chunks
/// read that turn out to hold nulls only (path-only rows, when the footer
/// has no statistics to skip them by).
const CHUNKS_PER_COLUMN: usize = 4;
const EMPTY_CHUNKS_PER_COLUMN: usize = 16;
/// Chunks of a string column read while none of their first pages' values
/// is a payload in base64 or hex.
const TEXT_CHUNKS_PER_COLUMN: usize = 2;
/// Pages of one chunk read (a dictionary page, then data pages).
const PAGES_PER_CHUNK: usize = 8;
/// Binary values of a page sniffed whatever they hold; after them, only
/// values that open with an audio magic number are.
const VALUES_PER_PAGE: usize = 3;
/// Values of one page looked at (levels decoded, heads checked).
const MAX_PAGE_VALUES: usize = 1 << 16;
/// Bytes of a file with an encrypted footer searched for plaintext audio,
/// and candidates (magic numbers that fit) sniffed there.
const PLAINTEXT_SEARCH: u64 = 2 << 20;
const PLAINTEXT_CANDIDATES: usize = 16;
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
    /// Strings, which may each be a payload in base64 or hex (a table
    /// exported from JSON keeps its audio cells as text).
    Text,
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
    let string = matches!(logical, Some(LogicalType::String) | None)
        && matches!(converted, ConvertedType::UTF8 | ConvertedType::NONE);
    let narrow_or_unsigned = matches!(logical, Some(LogicalType::Integer(t)) if t.bit_width <= 8 || !t.is_signed)
        || matches!(
            converted,
            ConvertedType::INT_8
                | ConvertedType::UINT_8
                | ConvertedType::UINT_16
                | ConvertedType::UINT_32
                | ConvertedType::UINT_64
        );
    let sixteen_bit = matches!(logical, Some(LogicalType::Integer(t)) if t.bit_width == 16 && t.is_signed)
        || converted == ConvertedType::INT_16;
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
        Physical::BYTE_ARRAY if string => Some(Leaf::Text),
        Physical::FIXED_LEN_BYTE_ARRAY if matches!(logical, Some(LogicalType::Float16)) => {
            repeated.then_some(Leaf::Numbers(Dtype::F16))
        }
        // Short fixed widths are ids, hashes and decimals.
        Physical::FIXED_LEN_BYTE_ARRAY if col.type_length() >= 64 && !not_samples => {
            Some(Leaf::Binary(usize::try_from(col.type_length()).ok()))
        }
        // Floats in a plain column may be a waveform one sample per row;
        // tabular floats fail the judgement (no zero-centred oscillation).
        Physical::FLOAT => Some(Leaf::Numbers(Dtype::F32)),
        Physical::DOUBLE => Some(Leaf::Numbers(Dtype::F64)),
        Physical::INT32 if !repeated && sixteen_bit && !not_samples => {
            Some(Leaf::Numbers(Dtype::I32))
        }
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

/// What reading a chunk or a page came to.
#[derive(Default)]
struct Seen {
    /// Values decoded (nulls not counted).
    values: usize,
    found: bool,
    /// Why some values were not looked at, if some were not.
    short: Option<&'static str>,
    /// A numeric dictionary too short to judge alone: the data pages'
    /// indices into it give the samples in order.
    dictionary: Vec<f32>,
}

/// The file's metadata, from a footer in the clear, and where its data
/// ends. `PARE` at the end claims an encrypted footer, which a plaintext
/// one belies: such a footer is read as any other.
fn footer(r: &mut Reader<'_, '_, '_>) -> Step<(ParquetMetaData, u64)> {
    let size = r.size();
    if size < 12 {
        return malformed("shorter than its magic numbers");
    }
    let tail = r.at(size - 8, 8)?;
    if &tail[4..] != b"PAR1" && &tail[4..] != b"PARE" {
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
    Ok((meta, size - 8 - footer_len))
}

/// Whether a Parquet file that claims an encrypted footer (`PARE`) has
/// one in the clear after all.
pub(super) fn footer_in_clear(level: &Level<'_, '_>) -> bool {
    footer(&mut Reader::new(level)).is_ok()
}

impl Walk<'_> {
    pub(super) fn parquet(&mut self, level: &Level<'_, '_>, prefix: &str, depth: u32) -> Step<()> {
        let mut r = Reader::new(level);
        let (meta, data_end) = footer(&mut r)?;
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
        // Lists of numbers, a waveform per row: searched through the row
        // groups (one appended to a table of short lists is in its last),
        // where a column of one number per row is judged from its first.
        let lists: Vec<bool> = columns
            .iter()
            .map(|&(ci, leaf)| {
                matches!(leaf, Leaf::Numbers(_)) && schema.columns()[ci].max_rep_level() > 0
            })
            .collect();
        let mut damaged = 0;
        let mut found = vec![false; columns.len()];
        // Per column: the row group where looking stopped short, and why.
        let mut short: Vec<Option<(usize, &'static str)>> = vec![None; columns.len()];
        let groups = meta.row_groups().len();
        let mut first_row = 0u64;
        let mut stop = None;
        'groups: for (group, rg) in meta.row_groups().iter().enumerate() {
            if group >= MAX_ROW_GROUPS {
                for s in &mut short {
                    s.get_or_insert((group, "more row groups than are read"));
                }
                break;
            }
            for (k, &(ci, leaf)) in columns.iter().enumerate() {
                if found[k] || short[k].is_some() {
                    continue;
                }
                let numbers = matches!(leaf, Leaf::Numbers(_));
                // A waveform is judged from the first chunks with values.
                let judged = reads[k] >= CHUNKS_PER_COLUMN && !lists[k];
                if numbers && (judged || empty[k] >= EMPTY_CHUNKS_PER_COLUMN) {
                    continue;
                }
                // Strings whose first pages held no payload are words.
                if leaf == Leaf::Text && empty[k] >= TEXT_CHUNKS_PER_COLUMN {
                    continue;
                }
                if self.out_of_time(prefix) {
                    short[k] = Some((group, "time"));
                    continue;
                }
                let Some(meta) = rg.columns().get(ci) else {
                    continue;
                };
                // Modular encryption: this chunk is ciphertext, never decoded.
                if meta.crypto_metadata().is_some() {
                    continue;
                }
                let stats = meta.statistics();
                let all_null = stats
                    .and_then(|s| s.null_count_opt())
                    .is_some_and(|n| n >= meta.num_values() as u64);
                // The largest value empty: every value is `b""` (exact,
                // since a truncated maximum is never shorter than a value).
                let all_empty = !numbers
                    && stats
                        .filter(|s| s.max_is_exact())
                        .and_then(|s| s.max_bytes_opt())
                        .is_some_and(<[u8]>::is_empty);
                if all_null || all_empty {
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
                    Ok(seen) => {
                        found[k] = seen.found;
                        if seen.values > 0 {
                            reads[k] += 1;
                        } else {
                            empty[k] += 1;
                        }
                        if !seen.found && (!numbers || lists[k]) {
                            if let Some(why) = seen.short {
                                short[k] = Some((group, why));
                            }
                        }
                    }
                    Err(Stop::Malformed(why)) => {
                        // The damage is the limit reported for this column.
                        short[k] = Some((group, ""));
                        self.damaged(
                            prefix,
                            &mut damaged,
                            format!("parquet column {} in row group {group}: {why}", chunk.name),
                        )?
                    }
                    Err(s) => {
                        for s in &mut short {
                            s.get_or_insert((group, "read budget used up"));
                        }
                        stop = Some(s);
                        break 'groups;
                    }
                }
            }
            first_row = first_row.saturating_add(rg.num_rows().max(0) as u64);
            if found.iter().all(|&f| f) {
                break;
            }
        }
        for (k, &(ci, leaf)) in columns.iter().enumerate() {
            let Some((group, why)) = short[k] else {
                continue;
            };
            if found[k] || why.is_empty() || matches!(leaf, Leaf::Numbers(_)) && !lists[k] {
                continue;
            }
            let path = schema.columns()[ci].path().string();
            self.limit(
                prefix,
                Limit::ObjectBytes,
                format!(
                    "parquet column {}: values looked at up to row group {group} of {groups} ({why}); the rest not inspected",
                    column_name(&path)
                ),
            );
        }
        match stop {
            Some(s) => Err(s),
            None => Ok(()),
        }
    }

    /// A Parquet file whose footer is encrypted (`PARE`) cannot be walked,
    /// but columns without a key of their own are written in the clear: the
    /// first [`PLAINTEXT_SEARCH`] bytes are searched for embedded audio files
    /// (a RIFF/WAVE whose size fits the file, `fLaC` opening with STREAMINFO,
    /// an Ogg page of version 0), and the first one the detectors call audio
    /// becomes a member. Ciphertext matching a magic by chance is refused by
    /// those checks and then by the detectors.
    pub(super) fn parquet_plaintext(
        &mut self,
        level: &Level<'_, '_>,
        prefix: &str,
        depth: u32,
    ) -> Step<()> {
        let mut r = Reader::new(level);
        let size = r.size();
        let Some(budget) = self.remaining(prefix) else {
            return Ok(());
        };
        if size <= 12 {
            return Ok(());
        }
        let want = (size - 4).min(PLAINTEXT_SEARCH).min(budget) as usize;
        let data = r.from(4, want)?;
        self.spent += data.len() as u64;
        let mut tried = 0;
        for at in 0..data.len().saturating_sub(12) {
            let rest = &data[at..];
            let left = size - 4 - at as u64;
            let declared = match &rest[..4] {
                b"RIFF" if &rest[8..12] == b"WAVE" => {
                    let riff = u64::from(le32(rest, 4).unwrap_or(0)) + 8;
                    if riff > left || riff < 44 {
                        continue;
                    }
                    riff
                }
                b"fLaC" if rest[4] & 0x7f == 0 && rest[5..8] == [0, 0, 34] => left,
                b"OggS" if rest[4] == 0 => left,
                _ => continue,
            };
            tried += 1;
            if tried > PLAINTEXT_CANDIDATES {
                break;
            }
            let take = &rest[..rest.len().min(PAGE_PREFIX as usize)];
            let s = self.sniff_bytes(take, declared);
            if s.class == crate::sniff::Class::Audio {
                let name = format!("plaintext at byte {}", at + 4);
                self.keep(prefix, &name, take, declared, depth, s);
                return Ok(());
            }
        }
        Ok(())
    }

    /// Reads the pages of one chunk, up to [`PAGES_PER_CHUNK`].
    fn parquet_chunk(
        &mut self,
        r: &mut Reader<'_, '_, '_>,
        chunk: &Chunk<'_>,
        data_end: u64,
        prefix: &str,
        depth: u32,
    ) -> Step<Seen> {
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
        let mut seen = Seen::default();
        let mut dictionary: Vec<f32> = Vec::new();
        let mut pos = start;
        // A list of numbers per row: a waveform row may lie in any page.
        let list = matches!(chunk.leaf, Leaf::Numbers(_)) && chunk.max_rep > 0;
        for _ in 0..PAGES_PER_CHUNK {
            if pos >= end {
                return Ok(seen);
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
            let mut judged = true;
            let page = match header.kind {
                Some(PageKind::Dictionary) => {
                    let page = self.parquet_page(
                        r,
                        chunk,
                        &header,
                        codec,
                        body_at,
                        false,
                        prefix,
                        depth,
                        &[],
                    )?;
                    // A tone's dictionary is one period: its indices are the signal.
                    if !page.dictionary.is_empty() {
                        judged = false;
                        dictionary.clone_from(&page.dictionary);
                    }
                    page
                }
                Some(PageKind::Data | PageKind::DataV2) => {
                    // Dictionary indices: the values were in the dictionary
                    // page, unless it holds numbers too few to judge alone.
                    if matches!(header.encoding, 2 | 8) {
                        if dictionary.is_empty() {
                            return Ok(seen);
                        }
                        let page = self.parquet_page(
                            r,
                            chunk,
                            &header,
                            codec,
                            body_at,
                            true,
                            prefix,
                            depth,
                            &dictionary,
                        )?;
                        seen.found |= page.found;
                        if page.found || !list {
                            return Ok(seen);
                        }
                        seen.values += page.values;
                        pos = next;
                        continue;
                    }
                    // PLAIN; DELTA_LENGTH_BYTE_ARRAY and DELTA_BYTE_ARRAY
                    // for byte arrays (duckdb's and parquet v2 writers' pages).
                    let delta = matches!(header.encoding, 6 | 7)
                        && matches!(chunk.leaf, Leaf::Binary(None) | Leaf::Text);
                    if header.encoding != 0 && !delta {
                        return malformed(format!(
                            "value encoding {} is not decoded",
                            header.encoding
                        ));
                    }
                    self.parquet_page(r, chunk, &header, codec, body_at, true, prefix, depth, &[])?
                }
                _ => Seen::default(),
            };
            seen.values += page.values;
            seen.found |= page.found;
            seen.short = seen.short.or(page.short);
            // A waveform is judged from one page (a list column's, from
            // each); audio found ends the chunk.
            let one_page = matches!(chunk.leaf, Leaf::Numbers(_)) && !list;
            if page.found || (judged && page.values > 0 && one_page) {
                return Ok(seen);
            }
            // Strings are read on while their values are payloads.
            if chunk.leaf == Leaf::Text && judged && page.values == 0 {
                return Ok(seen);
            }
            pos = next;
        }
        if pos < end {
            seen.short = seen.short.or(Some("more pages than are read"));
        }
        Ok(seen)
    }

    /// Decodes a page prefix and judges its values.
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
        dictionary: &[f32],
    ) -> Step<Seen> {
        if h.num_values == 0 || h.compressed == 0 {
            return Ok(Seen::default());
        }
        let Some(budget) = self.remaining(prefix) else {
            return Ok(Seen {
                short: Some("decompression budget used up"),
                ..Seen::default()
            });
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
        let whole = (h.uncompressed as u64) <= out_limit as u64;
        let n = (h.num_values as usize).min(MAX_PAGE_VALUES);
        let short = (!whole || n < h.num_values as usize).then_some("a page larger than is read");
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
            Leaf::Binary(_) | Leaf::Text => {
                let width = match chunk.leaf {
                    Leaf::Binary(width) => width,
                    _ => None,
                };
                let text = chunk.leaf == Leaf::Text;
                let mut seen = 0;
                let mut sniffed = 0;
                let decoded: Vec<(std::borrow::Cow<'_, [u8]>, u64)> = match (data_page, h.encoding)
                {
                    (true, 6) => delta_length_byte_arrays(values, n)
                        .into_iter()
                        .map(|(v, d)| (v.into(), d))
                        .collect(),
                    (true, 7) => delta_byte_arrays(values, n, PAGE_PREFIX as usize)
                        .into_iter()
                        .map(|(v, d)| (v.into(), d))
                        .collect(),
                    _ => byte_arrays(values, width, n)
                        .into_iter()
                        .map(|(v, d)| (v.into(), d))
                        .collect(),
                };
                // Of strings, only payloads count: a column of words is
                // not read on, and not reported as read short.
                let mut cut = None;
                for (i, (value, declared)) in decoded.into_iter().enumerate() {
                    let (value, declared) = match text {
                        false => (value, declared),
                        true => match encoded_value(&value, declared) {
                            Some((data, size)) => (data.into(), size),
                            None => continue,
                        },
                    };
                    let value = &value[..];
                    seen += 1;
                    if (value.len() as u64) < declared {
                        cut = cut.or(Some("a value longer than is read"));
                    }
                    if value.is_empty() || (sniffed >= VALUES_PER_PAGE && !audio_magic(value)) {
                        continue;
                    }
                    sniffed += 1;
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
                        return Ok(Seen {
                            values: seen,
                            found: true,
                            ..Seen::default()
                        });
                    }
                }
                Ok(Seen {
                    values: seen,
                    short: match text && seen == 0 {
                        true => None,
                        false => cut.or(short),
                    },
                    ..Seen::default()
                })
            }
            Leaf::Numbers(dtype) => {
                let samples = if data_page && matches!(h.encoding, 2 | 8) {
                    // Indices: a bit width, then the RLE / bit-packed hybrid.
                    match values.split_first() {
                        Some((&w, rest)) if (1..=16).contains(&w) => {
                            hybrid(rest, ((1u32 << w) - 1) as u16, n.min(MAX_WAVEFORM))
                                .iter()
                                .filter_map(|&i| dictionary.get(usize::from(i)).copied())
                                .collect()
                        }
                        _ => Vec::new(),
                    }
                } else {
                    dtype.decode(values, false, 1, MAX_WAVEFORM.min(n))
                };
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
                let short_dictionary = !data_page && !found && samples.len() < MIN_WAVEFORM;
                Ok(Seen {
                    values: samples.len(),
                    found,
                    short: None,
                    dictionary: if short_dictionary {
                        samples
                    } else {
                        Vec::new()
                    },
                })
            }
        }
    }
}

/// A string value that is one base64 or hex payload of at least
/// `MIN_JUDGED` bytes (behind a `data:` URI's prefix at most):
/// its decoded bytes, as far as the value was read, and the size the
/// whole value decodes to.
fn encoded_value(value: &[u8], declared: u64) -> Option<(Vec<u8>, u64)> {
    use crate::unpack::encoded;
    let run = encoded::runs(value, 1).into_iter().next()?;
    // A cell holds the payload alone: a run behind a few words of prose,
    // or one the value goes on past, is a text that quotes one.
    if run.offset > MAX_URI_PREFIX || value.len() - run.end > 2 {
        return None;
    }
    let chars = &value[run.offset..];
    let data = encoded::decode(chars, run.encoding, PAGE_PREFIX as usize);
    let read = chars.len().max(1) as u64;
    let symbols = encoded::symbols(chars);
    // A value read in part decodes, whole, in proportion. The length is
    // the file's word (a delta encoding's reaches 2⁶³): widened, the
    // product cannot overflow.
    let whole = u128::from(declared.saturating_sub(run.offset as u64)) * u128::from(symbols)
        / u128::from(read);
    let whole = u64::try_from(whole).unwrap_or(u64::MAX);
    let size = encoded::decoded_len(whole, run.encoding).max(data.len() as u64);
    // Hashes, keys and ids are no payload: a column of them is not read
    // through.
    (size >= encoded::MIN_JUDGED as u64).then_some((data, size))
}

/// Bytes a `data:audio/…;base64,` prefix of a cell takes at most.
const MAX_URI_PREFIX: usize = 128;

/// The fuzz entry: levels and byte arrays decoded from arbitrary bytes.
pub(super) fn fuzz(b: &[u8]) -> usize {
    let max = u16::from(*b.first().unwrap_or(&1));
    let n = usize::from(*b.get(1).unwrap_or(&0)) * 64;
    hybrid(b, max, n).len()
        + delta_byte_arrays(b, n, 1 << 16).len()
        + byte_arrays(b, None, 8).len()
        + byte_arrays(b, Some(max.into()), 8).len()
}

/// The first values of a PLAIN byte-array buffer: (bytes, declared length).
/// A value cut off by the end of the prefix is returned as far as it goes.
fn byte_arrays(b: &[u8], width: Option<usize>, max: usize) -> Vec<(&[u8], u64)> {
    let mut out = Vec::new();
    let mut pos = 0usize;
    while out.len() < max && pos < b.len() {
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

/// Integers in the DELTA_BINARY_PACKED encoding (PF Encodings.md), at most
/// `max` of them, and the bytes they took (where what follows starts).
/// `None` when the header or a block does not fit.
fn delta_binary_packed(b: &[u8], max: usize) -> Option<(Vec<i64>, usize)> {
    let mut pos = 0usize;
    let uleb = |pos: &mut usize| super::varint(b, pos);
    let zigzag = super::zigzag;
    let block = usize::try_from(uleb(&mut pos)?).ok()?;
    let minis = usize::try_from(uleb(&mut pos)?).ok()?;
    let total = usize::try_from(uleb(&mut pos)?).ok()?;
    let mut last = zigzag(uleb(&mut pos)?);
    if minis == 0 || block == 0 || block % minis != 0 || (block / minis) % 8 != 0 || block > 1 << 16
    {
        return None;
    }
    let per_mini = block / minis;
    let want = total.min(max);
    let mut out = Vec::with_capacity(want.min(1 << 16));
    if want > 0 {
        out.push(last);
    }
    // The values after the first: whole blocks until `total` are there.
    let mut left = total.saturating_sub(1);
    while left > 0 {
        let min_delta = zigzag(uleb(&mut pos)?);
        let widths = b.get(pos..pos.checked_add(minis)?)?;
        pos += minis;
        for &w in widths {
            if left == 0 {
                break;
            }
            let w = usize::from(w);
            if w > 64 {
                return None;
            }
            let bytes = b.get(pos..pos.checked_add(per_mini * w / 8)?)?;
            pos += per_mini * w / 8;
            for k in 0..per_mini.min(left) {
                let mut v = 0u64;
                for j in 0..w {
                    let bit = k * w + j;
                    v |= u64::from(bytes[bit / 8] >> (bit % 8) & 1) << j;
                }
                last = last.wrapping_add(min_delta).wrapping_add(v as i64);
                if out.len() < want {
                    out.push(last);
                }
            }
            left -= per_mini.min(left);
        }
        if out.len() >= want && left > 0 {
            // The rest is not needed, but where it ends is unknown.
            return Some((out, b.len()));
        }
    }
    Some((out, pos))
}

/// The first values of a DELTA_LENGTH_BYTE_ARRAY buffer: the lengths,
/// delta-packed, then the bytes back to back.
fn delta_length_byte_arrays(b: &[u8], max: usize) -> Vec<(&[u8], u64)> {
    let Some((lengths, mut pos)) = delta_binary_packed(b, max) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for len in lengths {
        let Ok(len) = u64::try_from(len) else {
            break;
        };
        if pos >= b.len() && len > 0 {
            break;
        }
        let end = pos.saturating_add(usize::try_from(len).unwrap_or(usize::MAX));
        out.push((&b[pos.min(b.len())..end.min(b.len())], len));
        pos = end;
    }
    out
}

/// The first values of a DELTA_BYTE_ARRAY buffer (prefix lengths, then the
/// suffixes as DELTA_LENGTH_BYTE_ARRAY; each value is that much of the one
/// before and its suffix), `budget` bytes of values rebuilt at most.
fn delta_byte_arrays(b: &[u8], max: usize, budget: usize) -> Vec<(Vec<u8>, u64)> {
    let Some((prefixes, pos)) = delta_binary_packed(b, max) else {
        return Vec::new();
    };
    if pos >= b.len() {
        return Vec::new();
    }
    let mut out: Vec<(Vec<u8>, u64)> = Vec::new();
    let mut spent = 0usize;
    for (p, (suffix, declared)) in prefixes
        .into_iter()
        .zip(delta_length_byte_arrays(&b[pos..], max))
    {
        let p = usize::try_from(p).unwrap_or(0);
        let mut value = match out.last() {
            Some((prev, _)) => prev[..p.min(prev.len())].to_vec(),
            None => Vec::new(),
        };
        value.extend_from_slice(suffix);
        spent += value.len();
        if spent > budget {
            break;
        }
        let declared = (p as u64).saturating_add(declared);
        out.push((value, declared));
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

    /// pyarrow, a row group per row: five short list<float32> rows, then
    /// 12,000 samples of speech; a float64 column beside it. A list column
    /// is read through its row groups, past the first four.
    #[test]
    fn a_waveform_list_in_a_late_row_group_is_found() {
        let late = include_bytes!("testdata/late-waveform-group.parquet");
        assert_eq!(
            inside(late),
            (
                vec!["w[row group 5, dictionary] waveform".to_string()],
                vec![]
            )
        );
    }

    /// pyarrow, one row group, 4 KiB pages, no dictionary: twelve rows of
    /// 256 random floats (embeddings), then 8,000 samples of speech, which
    /// start in a later page. Every page of a list column is judged.
    #[test]
    fn a_waveform_list_in_a_later_page_is_found() {
        let late = include_bytes!("testdata/late-waveform-page.parquet");
        let (members, limits) = inside(late);
        assert_eq!(members.len(), 1, "{members:?}");
        assert!(members[0].ends_with("] waveform"), "{members:?}");
        assert_eq!(limits, Vec::<String>::new());
    }

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

    /// A footer length past the file stops the walk with a limit; a WAV
    /// whose header lies in the head is still found, as it was when such
    /// a file was no Parquet at all.
    #[test]
    fn a_footer_length_past_the_file_still_finds_the_wav_in_the_head() {
        let mut file = binary_parquet(&[vec![wav()]]);
        let n = file.len();
        file[n - 8..n - 4].copy_from_slice(&u32::MAX.to_le_bytes());
        let (members, limits) = inside(&file);
        assert_eq!(members.len(), 1, "{members:?}");
        assert!(members[0].ends_with(" wav"), "{members:?}");
        assert!(members[0].starts_with("embedded@"), "{members:?}");
        assert_eq!(
            limits,
            vec!["parquet: footer length 4294967295 exceeds the file".to_string()]
        );
    }

    /// A WAV of a speech-like signal.
    fn wav() -> Vec<u8> {
        let pcm: Vec<u8> = crate::sniff::dataset::speechy(4000)
            .iter()
            .flat_map(|v| ((v * 20000.0) as i16).to_le_bytes())
            .collect();
        let mut wav = b"RIFF".to_vec();
        wav.extend((36 + pcm.len() as u32).to_le_bytes());
        wav.extend(b"WAVEfmt \x10\0\0\0\x01\0\x01\0\x40\x1f\0\0\x80\x3e\0\0\x02\0\x10\0data");
        wav.extend((pcm.len() as u32).to_le_bytes());
        wav.extend(&pcm);
        wav
    }

    /// A Parquet file of one required binary column `b`, PLAIN, without
    /// dictionary or statistics, one row group per entry of `groups`.
    fn binary_parquet(groups: &[Vec<Vec<u8>>]) -> Vec<u8> {
        binary_parquet_encoded(groups, parquet::basic::Encoding::PLAIN)
    }

    fn binary_parquet_encoded(
        groups: &[Vec<Vec<u8>>],
        encoding: parquet::basic::Encoding,
    ) -> Vec<u8> {
        parquet_of("message m { required binary b; }", groups, encoding)
    }

    /// A Parquet file of the one byte-array column `message` declares.
    fn parquet_of(
        message: &str,
        groups: &[Vec<Vec<u8>>],
        encoding: parquet::basic::Encoding,
    ) -> Vec<u8> {
        use parquet::data_type::{ByteArray, ByteArrayType};
        use parquet::file::properties::{EnabledStatistics, WriterProperties};
        use parquet::file::writer::SerializedFileWriter;
        use parquet::schema::parser::parse_message_type;
        use std::sync::Arc;
        let schema = Arc::new(parse_message_type(message).unwrap());
        let props = Arc::new(
            WriterProperties::builder()
                .set_dictionary_enabled(false)
                .set_encoding(encoding)
                .set_statistics_enabled(EnabledStatistics::None)
                .build(),
        );
        let mut out = Vec::new();
        let mut w = SerializedFileWriter::new(&mut out, schema, props).unwrap();
        for values in groups {
            let mut rg = w.next_row_group().unwrap();
            let mut col = rg.next_column().unwrap().unwrap();
            let values: Vec<ByteArray> =
                values.iter().map(|v| ByteArray::from(v.clone())).collect();
            col.typed::<ByteArrayType>()
                .write_batch(&values, None, None)
                .unwrap();
            col.close().unwrap();
            rg.close().unwrap();
        }
        w.close().unwrap();
        out
    }

    #[test]
    fn audio_after_other_values_of_a_page_or_in_a_later_row_group_is_found() {
        let mut rows = vec![b"n/a".to_vec(); 8];
        rows.push(wav());
        let (members, limits) = inside(&binary_parquet(&[rows]));
        assert_eq!(members, vec!["b[row 8] wav".to_string()], "{limits:?}");
        // Ten row groups of empty values (no statistics to skip them by) first.
        let mut groups = vec![vec![Vec::new(); 6]; 10];
        groups.push(vec![wav()]);
        let (members, limits) = inside(&binary_parquet(&groups));
        assert_eq!(members, vec!["b[row 60] wav".to_string()], "{limits:?}");
        // The values all looked at and none audio: clean, no limit.
        let (members, limits) = inside(&binary_parquet(&[vec![b"ab".to_vec(); 40]]));
        assert!(members.is_empty() && limits.is_empty(), "{limits:?}");
    }

    /// A cell's length is the file's word: one past any file (a delta
    /// encoding's reaches 2⁶³) gives a size, never an overflow.
    #[test]
    fn a_declared_length_past_any_file_decodes_to_a_bounded_size() {
        use crate::unpack::encoded::{decoded_len, Encoding};
        use base64::Engine;
        let bytes = crate::sniff::testutil::pseudo_random(600, 1);
        let cell = base64::engine::general_purpose::STANDARD.encode(&bytes);
        let (data, size) = encoded_value(cell.as_bytes(), u64::MAX).unwrap();
        assert_eq!(data, bytes);
        assert_eq!(size, decoded_len(u64::MAX, Encoding::Base64));
        let (_, size) = encoded_value(cell.as_bytes(), cell.len() as u64).unwrap();
        assert_eq!(size, 600);
    }

    /// A string column whose cells are base64 (a table exported from
    /// JSON): a cell that is a payload alone is decoded and judged, behind
    /// a `data:` URI's prefix too; words, and hashes in hex, are not
    /// payloads, and a column of them is neither read on nor reported.
    #[test]
    fn base64_cells_of_a_string_column_are_decoded() {
        use base64::Engine;
        let strings = |groups: &[Vec<Vec<u8>>]| {
            let message = "message m { required binary s (UTF8); }";
            inside(&parquet_of(
                message,
                groups,
                parquet::basic::Encoding::PLAIN,
            ))
        };
        let cell = base64::engine::general_purpose::STANDARD.encode(wav());
        let mut rows = vec![b"n/a".to_vec(); 3];
        rows.push(cell.clone().into_bytes());
        rows.push(format!("data:audio/wav;base64,{cell}").into_bytes());
        let (members, limits) = strings(&[rows]);
        assert_eq!(members, vec!["s[row 3] wav".to_string()], "{limits:?}");
        let (members, limits) =
            strings(&[vec![format!("data:audio/wav;base64,{cell}").into_bytes()]]);
        assert_eq!(members, vec!["s[row 0] wav".to_string()], "{limits:?}");
        // A cell that quotes a payload among words is a text, not a payload.
        let quoted = format!("the recording was {cell} as sent");
        let (members, limits) = strings(&[vec![quoted.into_bytes()]]);
        assert!(
            members.is_empty() && limits.is_empty(),
            "{members:?} {limits:?}"
        );
        // Many pages and row groups of words and hashes: nothing, no limit.
        let hashes: Vec<Vec<u8>> = (0..20_000u64)
            .map(|i| match i % 2 {
                0 => format!(
                    "{:064x}",
                    u128::from(i).wrapping_mul(0x9e37_79b9_7f4a_7c15_f39c_c060_5ced_c835)
                )
                .into_bytes(),
                _ => b"a transcript of some words".to_vec(),
            })
            .collect();
        let (members, limits) = strings(&vec![hashes; 4]);
        assert!(
            members.is_empty() && limits.is_empty(),
            "{members:?} {limits:?}"
        );
    }

    #[test]
    fn plaintext_audio_behind_an_encrypted_footer_is_found() {
        let encrypted =
            include_bytes!("../../../fixtures/datasets/parquet-encrypted/encrypted-footer.parquet");
        let footer_len = le32(encrypted, encrypted.len() - 8).unwrap() as usize;
        let footer = &encrypted[encrypted.len() - 8 - footer_len..];
        // Column chunks: ciphertext, then a WAV in the clear.
        let mut file = b"PARE".to_vec();
        file.extend(crate::sniff::testutil::pseudo_random(3000, 5));
        file.extend(wav());
        file.extend(footer);
        let (members, limits) = inside(&file);
        assert_eq!(
            members,
            vec!["plaintext at byte 3004 wav".to_string()],
            "{limits:?}"
        );
        // A RIFF whose size runs past the file, and nothing in the clear.
        let mut wrong = file.clone();
        wrong[3008..3012].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(inside(&wrong).0.is_empty());
        assert!(inside(encrypted).0.is_empty());
    }

    /// `PARE` written over a file whose footer is in the clear claims an
    /// encryption the footer belies: the file is walked as any other.
    #[test]
    fn a_footer_in_the_clear_belies_the_encrypted_magic() {
        let mut rows: Vec<Vec<u8>> = (0..200).map(|i| format!("id-{i}").into_bytes()).collect();
        rows.push(wav());
        let mut file = binary_parquet(&[rows]);
        let n = file.len();
        file[..4].copy_from_slice(b"PARE");
        file[n - 4..].copy_from_slice(b"PARE");
        let (members, limits) = inside(&file);
        assert_eq!(members, vec!["b[row 200] wav".to_string()], "{limits:?}");
    }

    #[test]
    fn delta_encoded_byte_arrays_are_decoded() {
        use parquet::basic::Encoding;
        let mut rows: Vec<Vec<u8>> = (0..200).map(|i| format!("id-{i}").into_bytes()).collect();
        rows.push(wav());
        for (encoding, found) in [
            (Encoding::DELTA_LENGTH_BYTE_ARRAY, "b[row 200] wav"),
            (Encoding::DELTA_BYTE_ARRAY, "b[row 200] wav"),
        ] {
            let file = binary_parquet_encoded(&[rows.clone()], encoding);
            let (members, limits) = inside(&file);
            assert_eq!(members, vec![found.to_string()], "{encoding:?} {limits:?}");
        }
        // Lengths 3, 4, 5 (deltas 1, 1: block 128, 4 miniblocks of 32, width 0).
        let mut b = vec![0x80, 0x01, 0x04, 0x03, 0x06, 0x02, 0, 0, 0, 0];
        b.extend(b"abcdefghijkl");
        let v = delta_length_byte_arrays(&b, 10);
        assert_eq!(
            v,
            vec![(&b"abc"[..], 3), (&b"defg"[..], 4), (&b"hijkl"[..], 5)]
        );
        // Damaged headers and widths end quietly.
        assert!(delta_binary_packed(&[0x80, 0x01, 0x00, 0x03, 0x06], 10).is_none());
        assert!(delta_binary_packed(&[0x80, 0x01, 0x04, 0x03, 0x06, 0x02, 99], 10).is_none());
        assert!(delta_byte_arrays(&[0xff; 40], 10, 100).is_empty());
    }

    /// A required float column, one value per row.
    fn float_parquet(values: &[f32], dictionary: bool) -> Vec<u8> {
        use parquet::data_type::FloatType;
        use parquet::file::properties::WriterProperties;
        use parquet::file::writer::SerializedFileWriter;
        use parquet::schema::parser::parse_message_type;
        use std::sync::Arc;
        let schema = Arc::new(parse_message_type("message m { required float x; }").unwrap());
        let props = Arc::new(
            WriterProperties::builder()
                .set_dictionary_enabled(dictionary)
                .build(),
        );
        let mut out = Vec::new();
        let mut w = SerializedFileWriter::new(&mut out, schema, props).unwrap();
        let mut rg = w.next_row_group().unwrap();
        let mut col = rg.next_column().unwrap().unwrap();
        col.typed::<FloatType>()
            .write_batch(values, None, None)
            .unwrap();
        col.close().unwrap();
        rg.close().unwrap();
        w.close().unwrap();
        out
    }

    #[test]
    fn a_waveform_one_sample_per_row_and_a_dictionary_encoded_one_are_judged() {
        let speech = crate::sniff::dataset::speechy(8000);
        assert_eq!(
            inside(&float_parquet(&speech, false)).0,
            vec!["x[row 0] waveform".to_string()]
        );
        // Speech in steps of 0.01: a dictionary of some 120 values, the
        // signal in its indices.
        let stepped: Vec<f32> = speech.iter().map(|x| (x * 100.0).round() / 100.0).collect();
        assert_eq!(
            inside(&float_parquet(&stepped, true)).0,
            vec!["x[row 0] waveform".to_string()]
        );
        // Tabular floats (a ramp, noise) are not a waveform.
        let ramp: Vec<f32> = (0..8000).map(|i| i as f32 * 0.5).collect();
        assert!(inside(&float_parquet(&ramp, false)).0.is_empty());
        let noise: Vec<f32> = crate::sniff::testutil::pseudo_random(8000, 3)
            .iter()
            .map(|&b| f32::from(b) - 127.5)
            .collect();
        assert!(inside(&float_parquet(&noise, true)).0.is_empty());
    }

    #[test]
    fn a_column_longer_than_is_read_is_a_limit_not_clean() {
        // More row groups than are read: said so, with how far it got.
        let groups = vec![vec![b"ab".to_vec()]; MAX_ROW_GROUPS + 2];
        let (members, limits) = inside(&binary_parquet(&groups));
        assert!(members.is_empty());
        assert_eq!(
            limits,
            vec![format!(
                "parquet column b: values looked at up to row group {MAX_ROW_GROUPS} of {} (more row groups than are read); the rest not inspected",
                MAX_ROW_GROUPS + 2
            )]
        );
    }

    #[test]
    fn audio_magic_numbers_pick_values_worth_sniffing() {
        assert!(audio_magic(&wav()));
        assert!(audio_magic(b"fLaC\0\0\0\x22"));
        assert!(audio_magic(b"\xff\xfb\x90\x00"));
        assert!(audio_magic(b"\0\0\0\x20ftypM4A "));
        assert!(!audio_magic(b"n/a"));
        assert!(!audio_magic(b"\x89PNG\r\n"));
        assert!(!audio_magic(b""));
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
