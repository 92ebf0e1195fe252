//! Arrow IPC files and streams (Feather v2, Hugging Face `datasets` cache
//! and `save_to_disk` shards): the schema message, then a hop from message
//! to message by metadata length and `bodyLength`, reading of each of the
//! first record batches only the buffers of binary columns (offsets, then
//! the first values) and the value buffers of numeric lists. LZ4_FRAME and
//! ZSTD buffer compression are decoded as a prefix; a buffer that did not
//! shrink is stored raw behind a length of −1.

use super::codecs::{decompress, Codec};
use super::{audio_magic, malformed, Dtype, Reader, Step};
use crate::sniff::dataset::{le32, le64, Table, MAX_WAVEFORM};
use crate::unpack::{Level, Limit, Walk};

/// Messages hopped over (dictionaries and batches together): a hop reads
/// a message's metadata only, and a table of many dictionary-encoded
/// label columns writes one dictionary message each before its first
/// record batch.
const MAX_MESSAGES: usize = 1024;
/// Record batches looked into; past them, numeric lists only, within
/// the read bound.
const MAX_BATCHES: usize = 4;
/// Largest message metadata read (a schema of thousands of fields).
const MAX_METADATA: u64 = 4 << 20;
/// Fields of a schema taken into account, and their nesting.
const MAX_FIELDS: usize = 4096;
const MAX_NESTING: usize = 32;
/// Binary values sniffed per column and batch.
const VALUES_PER_BATCH: usize = 3;
/// Views of one binary view column and batch looked at (16 bytes each).
const MAX_VIEWS: usize = 4096;
/// Bytes of those values read: their heads are what the detectors need.
const VALUES_PREFIX: u64 = 256 << 10;

/// A field's type, as far as its buffers and values go.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Kind {
    /// No buffers (Null, RunEndEncoded parents).
    NoBuffers,
    /// Validity + values: Bool, Decimal, dates, times, FixedSizeBinary …
    Fixed,
    Number(Dtype),
    /// Validity, offsets, data; `large` offsets are 64-bit.
    Binary {
        large: bool,
    },
    /// Utf8 and LargeUtf8: three buffers of text.
    Text,
    /// Validity + offsets (List, LargeList, Map), then the child's buffers.
    List,
    /// Validity only (FixedSizeList, Struct), then the children's.
    Validity,
    /// Sparse (type ids) or dense (type ids + offsets) union.
    Union {
        dense: bool,
    },
    /// Validity + views + variadic data buffers (BinaryView, Utf8View).
    View {
        text: bool,
    },
    /// Validity, offsets and sizes (ListView, LargeListView).
    ListView,
    /// Dictionary-encoded: validity + indices.
    Dictionary,
}

impl Kind {
    fn buffers(self) -> usize {
        match self {
            Kind::NoBuffers => 0,
            Kind::Validity => 1,
            Kind::Fixed | Kind::Number(_) | Kind::List | Kind::View { .. } | Kind::Dictionary => 2,
            Kind::Union { dense } => 1 + usize::from(dense),
            Kind::Binary { .. } | Kind::Text | Kind::ListView => 3,
        }
    }
}

/// One field of the schema, flattened in pre-order (the order of a batch's
/// nodes and buffers).
#[derive(Clone, Debug)]
struct Field {
    path: String,
    kind: Kind,
    /// The field is inside a list: its values are not rows.
    in_list: bool,
    /// The field is a list whose only child holds numbers.
    numeric_list: bool,
    /// Dictionary-encoded: the dictionary's id and its values' type (a
    /// `DictionaryBatch` of that id holds the values, the field indices).
    dictionary: Option<(i64, Kind)>,
}

fn flatten(
    field: &Table<'_>,
    parent: &str,
    in_list: bool,
    depth: usize,
    out: &mut Vec<Field>,
) -> Step<()> {
    if depth > MAX_NESTING || out.len() >= MAX_FIELDS {
        return malformed("schema nested too deep or too wide");
    }
    let name = field.string(0).unwrap_or("");
    let path = if parent.is_empty() {
        name.to_string()
    } else {
        format!("{parent}.{name}")
    };
    let ty = field.table(3);
    let int = |t: &Table<'_>| match (t.i32(0, 0), t.u8(1, 0) != 0) {
        (16, true) => Kind::Number(Dtype::I16),
        (32, true) => Kind::Number(Dtype::I32),
        (64, true) => Kind::Number(Dtype::I64),
        _ => Kind::Fixed,
    };
    let value = {
        match field.u8(2, 0) {
            1 | 22 => Kind::NoBuffers,
            2 => ty.map_or(Kind::Fixed, |t| int(&t)),
            3 => match ty.map_or(-1, |t| t.i16(0, 0)) {
                0 => Kind::Number(Dtype::F16),
                1 => Kind::Number(Dtype::F32),
                2 => Kind::Number(Dtype::F64),
                _ => Kind::Fixed,
            },
            4 => Kind::Binary { large: false },
            19 => Kind::Binary { large: true },
            5 | 20 => Kind::Text,
            6..=11 | 15 | 18 => Kind::Fixed,
            12 | 17 | 21 => Kind::List,
            13 | 16 => Kind::Validity,
            14 => Kind::Union {
                dense: ty.is_some_and(|t| t.i16(0, 0) == 1),
            },
            23 => Kind::View { text: false },
            24 => Kind::View { text: true },
            25 | 26 => Kind::ListView,
            other => return malformed(format!("field type {other} is not known")),
        }
    };
    let (kind, dictionary) = match field.table(4) {
        Some(encoding) => (Kind::Dictionary, Some((encoding.i64(0, 0), value))),
        None => (value, None),
    };
    let children = field.tables(5, MAX_FIELDS);
    // List, FixedSizeList, LargeList, ListView, LargeListView: a numeric
    // child's values are the waveforms, however the rows are cut.
    let is_list = matches!(field.u8(2, 0), 12 | 16 | 21 | 25 | 26) && kind != Kind::Dictionary;
    let numeric_list = is_list
        && children.len() == 1
        && children[0].table(4).is_none()
        && match children[0].u8(2, 0) {
            2 => children[0]
                .table(3)
                .is_some_and(|t| matches!(int(&t), Kind::Number(_))),
            3 => true,
            _ => false,
        };
    out.push(Field {
        path: path.clone(),
        kind,
        in_list,
        numeric_list,
        dictionary,
    });
    for child in &children {
        flatten(
            child,
            &path,
            in_list || is_list || kind == Kind::ListView,
            depth + 1,
            out,
        )?;
    }
    Ok(())
}

/// A record batch's buffers are addressed relative to its body.
struct Body {
    at: u64,
    len: u64,
    codec: Option<Codec>,
}

/// The IPC message at `pos`: its metadata and body. After the continuation
/// marker `FF FF FF FF` comes an i32 metadata length; before Arrow 0.15 the
/// length came alone. `None` at the end-of-stream marker.
fn message_at(r: &mut Reader<'_, '_, '_>, pos: u64) -> Step<Option<(Vec<u8>, Body)>> {
    let head = r.at(pos, 8)?;
    let (meta_len, meta_at) = match le32(&head, 0).unwrap_or(0) {
        0xffff_ffff => (u64::from(le32(&head, 4).unwrap_or(0)), pos + 8),
        len => (u64::from(len), pos + 4),
    };
    if meta_len == 0 {
        return Ok(None);
    }
    if meta_len > MAX_METADATA || meta_at + meta_len > r.size() {
        return malformed(format!(
            "message at {pos} declares {meta_len} bytes of metadata"
        ));
    }
    let meta = r.at(meta_at, meta_len as usize)?.into_owned();
    let message = Table::root(&meta)
        .ok_or_else(|| super::Stop::Malformed(format!("message at {pos} does not parse")))?;
    let body = Body {
        at: meta_at + meta_len,
        len: u64::try_from(message.i64(3, 0)).unwrap_or(u64::MAX),
        codec: None,
    };
    if body
        .at
        .checked_add(body.len)
        .is_none_or(|end| end > r.size())
    {
        return malformed(format!("message at {pos} declares a body past the end"));
    }
    Ok(Some((meta, body)))
}

/// An IPC file's footer (`Footer` flatbuffer, its i32 length, `ARROW1` at
/// the end): the schema and where the record batches are. Some writers
/// (polars) put the schema after `ARROW1` as a bare flatbuffer that only
/// the footer leads past, so a file is read through its footer when it
/// has one. `None` when there is no footer that parses.
/// A record batch's buffer compression.
fn batch_codec(batch: &Table<'_>) -> Step<Option<Codec>> {
    Ok(match batch.table(3) {
        None => None,
        Some(c) => Some(match c.u8(0, 0) {
            0 => Codec::Lz4Frame,
            1 => Codec::Zstd,
            other => return malformed(format!("buffer codec {other}")),
        }),
    })
}

fn footer(r: &mut Reader<'_, '_, '_>) -> Step<Option<(Vec<Field>, Vec<u64>)>> {
    let size = r.size();
    if size < 8 + 10 {
        return Ok(None);
    }
    let tail = r.at(size - 10, 10)?;
    if &tail[4..] != b"ARROW1" {
        return Ok(None);
    }
    let len = u64::from(le32(&tail, 0).unwrap_or(0));
    if len < 8 || len + 18 > size || len > MAX_METADATA {
        return Ok(None);
    }
    let bytes = r.at(size - 10 - len, len as usize)?;
    let Some(footer) = Table::root(&bytes) else {
        return Ok(None);
    };
    let Some(schema) = footer.table(1) else {
        return Ok(None);
    };
    let mut flat = Vec::new();
    for f in schema.tables(1, MAX_FIELDS) {
        flatten(&f, "", false, 0, &mut flat)?;
    }
    // Block: offset i64, metaDataLength i32 (+4 padding), bodyLength i64.
    // Dictionaries first, as a reader needs them before the batches.
    let mut at = Vec::new();
    for list in [2, 3] {
        let blocks = footer.structs(list, 24).unwrap_or(&[]);
        at.extend(
            (0..blocks.len() / 24).filter_map(|k| u64::try_from(le64(blocks, k * 24)? as i64).ok()),
        );
    }
    Ok(Some((flat, at)))
}

/// Whether a numeric list column holds no waveform yet.
fn lists_left(fields: Option<&[Field]>, found: &[bool]) -> bool {
    fields
        .into_iter()
        .flatten()
        .zip(found)
        .any(|(f, &hit)| f.numeric_list && !hit)
}

impl Walk<'_> {
    pub(super) fn arrow(&mut self, level: &Level<'_, '_>, prefix: &str, depth: u32) -> Step<()> {
        let mut r = Reader::new(level);
        let file = r
            .at(0, 8.min(r.size() as usize))
            .is_ok_and(|h| h.starts_with(b"ARROW1"));
        let mut pos: u64 = if file { 8 } else { 0 };
        let mut fields: Option<Vec<Field>> = None;
        // A file's footer lists its record batches; a stream is hopped.
        let mut blocks: Option<std::vec::IntoIter<u64>> = None;
        if file {
            if let Some((flat, at)) = footer(&mut r)? {
                fields = Some(flat);
                blocks = Some(at.into_iter());
            }
        }
        let mut found: Vec<bool> = vec![false; fields.as_ref().map_or(0, Vec::len)];
        let (mut batches, mut rows) = (0usize, 0u64);
        let mut hops = 0;
        // A block taken from the footer's list and then left unread.
        let mut unread = false;
        for _ in 0..MAX_MESSAGES {
            if let Some(b) = blocks.as_mut() {
                match b.next() {
                    Some(at) => pos = at,
                    None => break,
                }
            }
            // Past the first batches, only numeric lists are read on (a
            // waveform batch appended to a table of short lists): they add
            // a member only where they hold one, and the read bound ends
            // the walk with a limit.
            let searching = batches >= MAX_BATCHES;
            let wanted = lists_left(fields.as_deref(), &found);
            if searching && !wanted || pos + 8 > r.size() || self.out_of_time(prefix) {
                unread = blocks.is_some();
                break;
            }
            let Some((meta, body)) = message_at(&mut r, pos)? else {
                break; // end of stream
            };
            hops += 1;
            let message = Table::root(&meta).ok_or_else(|| {
                super::Stop::Malformed(format!("message at {pos} does not parse"))
            })?;
            match (message.u8(1, 0), message.table(2)) {
                (1, Some(schema)) if fields.is_none() => {
                    let mut flat = Vec::new();
                    for f in schema.tables(1, MAX_FIELDS) {
                        flatten(&f, "", false, 0, &mut flat)?;
                    }
                    found = vec![false; flat.len()];
                    fields = Some(flat);
                }
                // A dictionary of a binary field: its values are the
                // field's, judged as a one-column batch of that type.
                (2, Some(dict)) if !searching => {
                    if let (Some(fields), Some(batch)) = (&fields, dict.table(1)) {
                        self.arrow_dictionary(
                            &mut r, &dict, &batch, fields, &mut found, &body, prefix, depth,
                        )?;
                    }
                }
                (3, Some(batch)) => {
                    let Some(fields) = &fields else {
                        return malformed("record batch before the schema");
                    };
                    batches += 1;
                    let codec = batch_codec(&batch)?;
                    let body = Body { codec, ..body };
                    let length = u64::try_from(batch.i64(0, 0)).unwrap_or(0);
                    // Other columns count as found: they are not read again.
                    let mut judged: Vec<bool> = match searching {
                        true => fields
                            .iter()
                            .zip(&found)
                            .map(|(f, &h)| h || !f.numeric_list)
                            .collect(),
                        false => found.clone(),
                    };
                    self.arrow_batch(
                        &mut r,
                        &batch,
                        fields,
                        &mut judged,
                        &body,
                        rows,
                        prefix,
                        depth,
                    )?;
                    for (hit, (f, &now)) in found.iter_mut().zip(fields.iter().zip(&judged)) {
                        *hit |= now && (!searching || f.numeric_list);
                    }
                    rows = rows.saturating_add(length);
                    if !found.is_empty() && found.iter().all(|&f| f) {
                        break;
                    }
                }
                _ => {}
            }
            pos = body.at + body.len;
        }
        // Batches left unread: a binary column without audio so far is
        // said to have been looked at only that far.
        let more = match &blocks {
            Some(b) => unread || b.len() > 0,
            None => pos + 8 < r.size(),
        };
        let lists_left = lists_left(fields.as_deref(), &found);
        if hops >= MAX_MESSAGES && more && (batches < MAX_BATCHES || lists_left) {
            self.limit(
                prefix,
                Limit::Members,
                format!(
                    "arrow: {MAX_MESSAGES} messages hopped ({batches} record batches among them); the rest not inspected"
                ),
            );
        }
        // Binary columns were looked at in the first batches only.
        if batches > MAX_BATCHES || batches == MAX_BATCHES && more {
            for (f, &hit) in fields.iter().flatten().zip(&found) {
                if hit || !matches!(f.kind, Kind::Binary { .. } | Kind::View { text: false }) {
                    continue;
                }
                self.limit(
                    prefix,
                    Limit::ObjectBytes,
                    format!(
                        "arrow column {}: values looked at in the first {MAX_BATCHES} record batches; the rest not inspected",
                        f.path
                    ),
                );
            }
        }
        Ok(())
    }

    /// A dictionary of a dictionary-encoded binary field: its values are
    /// the field's, judged as a one-column batch of the values' type.
    #[allow(clippy::too_many_arguments)]
    fn arrow_dictionary(
        &mut self,
        r: &mut Reader<'_, '_, '_>,
        dict: &Table<'_>,
        batch: &Table<'_>,
        fields: &[Field],
        found: &mut [bool],
        body: &Body,
        prefix: &str,
        depth: u32,
    ) -> Step<()> {
        let id = dict.i64(0, 0);
        let of = fields.iter().position(|f| {
            f.dictionary.is_some_and(|(d, k)| {
                d == id && matches!(k, Kind::Binary { .. } | Kind::View { text: false })
            })
        });
        let Some(i) = of.filter(|&i| !found[i]) else {
            return Ok(());
        };
        let values = [Field {
            path: format!("{}.dictionary", fields[i].path),
            kind: fields[i].dictionary.map_or(Kind::Fixed, |(_, k)| k),
            in_list: false,
            numeric_list: false,
            dictionary: None,
        }];
        let body = Body {
            codec: batch_codec(batch)?,
            ..*body
        };
        let mut hit = [false];
        self.arrow_batch(r, batch, &values, &mut hit, &body, 0, prefix, depth)?;
        found[i] |= hit[0];
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    fn arrow_batch(
        &mut self,
        r: &mut Reader<'_, '_, '_>,
        batch: &Table<'_>,
        fields: &[Field],
        found: &mut [bool],
        body: &Body,
        rows: u64,
        prefix: &str,
        depth: u32,
    ) -> Step<()> {
        let nodes = batch.structs(1, 16).unwrap_or(&[]);
        let buffers = batch.structs(2, 16).unwrap_or(&[]);
        let variadic = batch.structs(4, 8).unwrap_or(&[]);
        let node_len = |i: usize| le64(nodes, i * 16).map(|v| v as i64);
        let buffer = |i: usize| -> Option<(u64, u64)> {
            let off = le64(buffers, i * 16)? as i64;
            let len = le64(buffers, i * 16 + 8)? as i64;
            Some((u64::try_from(off).ok()?, u64::try_from(len).ok()?))
        };
        // Buffer index of each field, in the batch's pre-order.
        let mut next = 0usize;
        let mut views = 0usize;
        let mut first = Vec::with_capacity(fields.len());
        for f in fields {
            first.push(next);
            next += f.kind.buffers();
            if matches!(f.kind, Kind::View { .. }) {
                let extra = le64(variadic, views * 8).unwrap_or(0);
                next = next.saturating_add(usize::try_from(extra).unwrap_or(usize::MAX));
                views += 1;
            }
            if next > buffers.len() / 16 {
                return malformed("a record batch has fewer buffers than its schema needs");
            }
        }
        // Buffers of each view field's data, after its views.
        let mut variadic_of = Vec::with_capacity(fields.len());
        let mut views = 0usize;
        for (i, f) in fields.iter().enumerate() {
            let mut extra = 0;
            if matches!(f.kind, Kind::View { .. }) {
                extra = usize::try_from(le64(variadic, views * 8).unwrap_or(0)).unwrap_or(0);
                views += 1;
            }
            variadic_of.push((first[i] + 2, extra));
        }
        for (i, f) in fields.iter().enumerate() {
            if found[i] {
                continue;
            }
            let mut numbers: Option<(usize, Dtype, String)> = None;
            match f.kind {
                Kind::View { text: false } => {
                    let count = node_len(i).unwrap_or(0).clamp(0, MAX_VIEWS as i64) as usize;
                    let Some(views) = buffer(first[i] + 1) else {
                        continue;
                    };
                    let (at, n) = variadic_of[i];
                    let data: Vec<(u64, u64)> = (at..at + n).filter_map(buffer).collect();
                    found[i] =
                        self.arrow_views(r, body, views, &data, count, f, rows, prefix, depth)?;
                }
                Kind::Binary { large } => {
                    let count = node_len(i).unwrap_or(0).clamp(0, MAX_VIEWS as i64) as usize;
                    let (Some(offsets), Some(data)) = (buffer(first[i] + 1), buffer(first[i] + 2))
                    else {
                        continue;
                    };
                    found[i] = self.arrow_binary(
                        r, body, offsets, data, large, count, f, rows, prefix, depth,
                    )?;
                }
                _ if f.numeric_list => {
                    let Some(child) = fields.get(i + 1) else {
                        continue;
                    };
                    let Kind::Number(dtype) = child.kind else {
                        continue;
                    };
                    let name = if f.in_list {
                        format!("{}[values]", f.path)
                    } else {
                        format!("{}[row {rows}]", f.path)
                    };
                    numbers = Some((i + 1, dtype, name));
                }
                // A column of floats or 16-bit integers, one sample a row
                // (`pd.DataFrame({"sample": x}).to_feather()`), as in
                // Parquet; tabular numbers fail the judgement.
                Kind::Number(dtype @ (Dtype::F16 | Dtype::F32 | Dtype::F64 | Dtype::I16))
                    if !f.in_list =>
                {
                    numbers = Some((i, dtype, format!("{}[rows from {rows}]", f.path)));
                }
                _ => {}
            }
            // The numbers of field `node` (a list's child, or the column
            // itself) judged as a waveform.
            let Some((node, dtype, name)) = numbers else {
                continue;
            };
            let Some(values) = buffer(first[node] + 1) else {
                continue;
            };
            let total = node_len(node).unwrap_or(0).max(0) as u64;
            match self.arrow_numbers(r, body, values, dtype, total, &name, prefix)? {
                Some(hit) => found[i] = hit,
                None => return Ok(()),
            }
        }
        Ok(())
    }

    /// Judges the `total` numbers of `dtype` in buffer `values` of a batch
    /// as a waveform, member `name`: whether they are one; `None` when the
    /// object's budget is spent.
    #[allow(clippy::too_many_arguments)]
    fn arrow_numbers(
        &mut self,
        r: &mut Reader<'_, '_, '_>,
        body: &Body,
        values: (u64, u64),
        dtype: Dtype,
        total: u64,
        name: &str,
        prefix: &str,
    ) -> Step<Option<bool>> {
        let Some(budget) = self.remaining(prefix) else {
            return Ok(None);
        };
        let want = (MAX_WAVEFORM * dtype.size()).min(budget as usize);
        let bytes = self.arrow_buffer(r, body, values, want)?;
        self.spent += bytes.len() as u64;
        let samples = dtype.decode(&bytes, false, 1, MAX_WAVEFORM);
        let shape = format!("[{total}] values in the batch");
        Ok(Some(self.samples(
            prefix,
            name,
            dtype.name(),
            &shape,
            &samples,
            total.saturating_mul(dtype.size() as u64),
        )))
    }

    /// The values of a binary column: the first [`VALUES_PER_BATCH`]
    /// sniffed, then every one whose head carries an audio magic (heads
    /// past the prefix read are fetched one by one when the body is not
    /// compressed): true on audio.
    #[allow(clippy::too_many_arguments)]
    fn arrow_binary(
        &mut self,
        r: &mut Reader<'_, '_, '_>,
        body: &Body,
        offsets: (u64, u64),
        data: (u64, u64),
        large: bool,
        count: usize,
        f: &Field,
        rows: u64,
        prefix: &str,
        depth: u32,
    ) -> Step<bool> {
        if count == 0 {
            return Ok(false);
        }
        let width = if large { 8 } else { 4 };
        let raw = self.arrow_buffer(r, body, offsets, (count + 1) * width)?;
        let offset = |k: usize| -> Option<u64> {
            let v = if large {
                le64(&raw, k * 8)? as i64
            } else {
                i64::from(le32(&raw, k * 4)? as i32)
            };
            u64::try_from(v).ok()
        };
        let Some(base) = offset(0) else {
            return Ok(false);
        };
        let last = (1..=count).rev().find_map(offset).unwrap_or(base);
        let Some(budget) = self.remaining(prefix) else {
            return Ok(false);
        };
        let want = last.saturating_sub(base).min(budget).min(VALUES_PREFIX) as usize;
        let values = self.arrow_buffer(r, body, data, (base as usize).saturating_add(want))?;
        self.spent += values.len() as u64;
        let mut sniffed = 0;
        for k in 0..count {
            let (Some(from), Some(to)) = (offset(k), offset(k + 1)) else {
                break;
            };
            if to <= from {
                continue; // null or empty
            }
            let lo = (from as usize).min(values.len());
            let hi = (to as usize).min(values.len());
            let name = if f.in_list {
                format!("{}[value {k}]", f.path)
            } else {
                format!("{}[row {}]", f.path, rows + k as u64)
            };
            if lo >= hi {
                // Past the prefix: a head read in place, when it can be.
                if body.codec.is_some() || to > data.1 {
                    break;
                }
                let head = r.from(body.at + data.0 + from, 12)?;
                if !audio_magic(&head) {
                    continue;
                }
                let Some(budget) = self.remaining(prefix) else {
                    return Ok(false);
                };
                let len = (to - from).min(budget).min(VALUES_PREFIX) as usize;
                let value = r.from(body.at + data.0 + from, len)?;
                self.spent += value.len() as u64;
                if self.value(prefix, &name, &value, to - from, depth) {
                    return Ok(true);
                }
                continue;
            }
            if sniffed >= VALUES_PER_BATCH && !audio_magic(&values[lo..hi]) {
                continue;
            }
            sniffed += 1;
            if self.value(prefix, &name, &values[lo..hi], to - from, depth) {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// The values of a binary view column (16-byte views: length, then the
    /// value inline when it fits in 12 bytes, else its first 4 bytes, a data
    /// buffer index and an offset): the first [`VALUES_PER_BATCH`] sniffed,
    /// and every further one whose inline head carries an audio magic.
    #[allow(clippy::too_many_arguments)]
    fn arrow_views(
        &mut self,
        r: &mut Reader<'_, '_, '_>,
        body: &Body,
        views: (u64, u64),
        data: &[(u64, u64)],
        count: usize,
        f: &Field,
        rows: u64,
        prefix: &str,
        depth: u32,
    ) -> Step<bool> {
        if count == 0 {
            return Ok(false);
        }
        let raw = self.arrow_buffer(r, body, views, count * 16)?;
        let mut sniffed = 0;
        for (k, view) in raw.chunks_exact(16).enumerate() {
            let len = le32(view, 0).unwrap_or(0) as i32;
            let Ok(len) = usize::try_from(len) else {
                continue;
            };
            if len == 0 || (sniffed >= VALUES_PER_BATCH && !audio_magic(&view[4..4 + len.min(12)]))
            {
                continue;
            }
            sniffed += 1;
            let name = if f.in_list {
                format!("{}[value {k}]", f.path)
            } else {
                format!("{}[row {}]", f.path, rows + k as u64)
            };
            let value = if len <= 12 {
                view[4..4 + len].to_vec()
            } else {
                let index = le32(view, 8).unwrap_or(u32::MAX) as usize;
                let offset = le32(view, 12).unwrap_or(0) as usize;
                let Some(&buffer) = data.get(index) else {
                    return malformed("a view names a data buffer the batch does not have");
                };
                let Some(budget) = self.remaining(prefix) else {
                    return Ok(false);
                };
                let want = (len as u64).min(budget).min(VALUES_PREFIX) as usize;
                let bytes = self.arrow_buffer(r, body, buffer, offset.saturating_add(want))?;
                self.spent += bytes.len() as u64;
                bytes.get(offset..).unwrap_or(&[]).to_vec()
            };
            if value.is_empty() {
                continue;
            }
            if self.value(prefix, &name, &value, len as u64, depth) {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// Up to `want` bytes of a body buffer, decompressed when the batch says so.
    fn arrow_buffer(
        &mut self,
        r: &mut Reader<'_, '_, '_>,
        body: &Body,
        (off, len): (u64, u64),
        want: usize,
    ) -> Step<Vec<u8>> {
        if off.checked_add(len).is_none_or(|end| end > body.len) {
            return malformed("a buffer lies outside its message body");
        }
        if len == 0 || want == 0 {
            return Ok(Vec::new());
        }
        let at = body.at + off;
        let Some(codec) = body.codec else {
            return Ok(r.from(at, (len as usize).min(want))?.into_owned());
        };
        if len < 8 {
            return malformed("a compressed buffer shorter than its length prefix");
        }
        let head = r.at(at, 8)?;
        let declared = le64(&head, 0).unwrap_or(0) as i64;
        let input_len = (len - 8).min(want as u64 + (64 << 10)) as usize;
        let input = r.from(at + 8, input_len)?;
        Ok(if declared == -1 {
            input[..input.len().min(want)].to_vec()
        } else {
            let limit = want.min(usize::try_from(declared.max(0)).unwrap_or(usize::MAX));
            decompress(codec, &input, limit)
        })
    }
}

#[cfg(test)]
mod tests {
    /// polars `write_ipc` / `write_ipc_stream` (lz4) of a BinaryView column:
    /// four short values (two inline, two in a data buffer), then a WAV.
    const POLARS_FILE: &[u8] = include_bytes!("testdata/polars-binary-view.arrow");
    const POLARS_STREAM: &[u8] = include_bytes!("testdata/polars-binary-view.arrows");

    #[test]
    fn polars_files_and_binary_views_are_read() {
        // The file's schema follows `ARROW1` unframed; its footer leads on.
        assert_eq!(&POLARS_FILE[8..12], &[4, 0, 0, 0]);
        assert_eq!(
            inside(POLARS_FILE),
            (vec!["clip[row 4] wav".to_string()], vec![])
        );
        assert_eq!(
            inside(POLARS_STREAM),
            (vec!["clip[row 4] wav".to_string()], vec![])
        );
        // LargeBinary (compat_level=oldest): the WAV at row 6, after six b"n/a".
        let large = include_bytes!("testdata/polars-large-binary.arrow");
        assert_eq!(inside(large), (vec!["clip[row 6] wav".to_string()], vec![]));
        // Six record batches of b"n/a" (pyarrow): the two not read are said so.
        let six = include_bytes!("testdata/six-batches.arrows");
        assert_eq!(
            inside(six),
            (
                vec![],
                vec!["arrow column clip: values looked at in the first 4 record batches; the rest not inspected".to_string()]
            )
        );
        // The file form: the footer's fifth block, taken and not read, is
        // still one left.
        let five = include_bytes!("testdata/five-batches.arrow");
        assert_eq!(
            inside(five),
            (
                vec![],
                vec!["arrow column clip: values looked at in the first 4 record batches; the rest not inspected".to_string()]
            )
        );
        // pyarrow: five batches of a short list<float32> and a binary
        // column, then one whose list holds 12,000 samples of speech. The
        // lists are read on past the first batches; the binary column is not.
        let late = include_bytes!("testdata/late-waveform-batch.arrows");
        assert_eq!(
            inside(late),
            (
                vec!["w[row 5] waveform".to_string()],
                vec!["arrow column clip: values looked at in the first 4 record batches; the rest not inspected".to_string()]
            )
        );
        // 1,100 batches of a short list<float32> (pyarrow, gzipped here):
        // the list column, still without a waveform at the message bound,
        // is what the limit is for.
        let gz = include_bytes!("testdata/1100-list-batches.arrows.gz");
        let (stream, _, _) = crate::unpack::streams::decompress_counted("gzip", gz, 1 << 20);
        assert_eq!(
            inside(&stream),
            (
                vec![],
                vec!["arrow: 1024 messages hopped (1023 record batches among them); the rest not inspected".to_string()]
            )
        );
        // Every cut ends quietly.
        for cut in (0..POLARS_FILE.len()).step_by(97) {
            let _ = inside(&POLARS_FILE[..cut]);
        }
    }

    use crate::unpack::datasets::test_inside as inside;

    /// A waveform in a `list_view<float32>` column (pyarrow 14's layout of
    /// offsets and sizes), as one in a `list<float32>` is.
    #[test]
    fn a_list_view_of_samples_is_a_waveform() {
        let file = include_bytes!("testdata/list-view-waveform.arrow");
        assert_eq!(
            inside(file),
            (vec!["wave[row 0] waveform".to_string()], vec![])
        );
    }

    /// pandas' `to_feather` (pyarrow 26, LZ4 frames) of a frame with one
    /// sample a row: half a second of espeak-ng speech as `int16`, beside
    /// prices, counts (`int16` too) and timestamps. The samples are a
    /// waveform; the table's columns are not.
    #[test]
    fn a_column_of_samples_one_a_row_is_a_waveform() {
        let file = include_bytes!("testdata/flat-int16-column.feather");
        assert_eq!(
            inside(file),
            (vec!["sample[rows from 0] waveform".to_string()], vec![])
        );
    }

    const STREAM: &[u8] =
        include_bytes!("../../../fixtures/datasets/arrow/stream-zstd-hf-audio.arrow");

    #[test]
    fn a_stream_yields_its_first_audio_value_and_damage_is_a_limit() {
        assert_eq!(inside(STREAM).0, vec!["audio.bytes[row 0] wav".to_string()]);
        // The record batch (at 536) declares a body far past the end.
        let mut long = STREAM.to_vec();
        let body_at = 536 + 8 + 376;
        // (What a stream behind the cut head decodes to is a member of no
        // format, never audio.)
        let (members, limits) = inside(&long[..body_at + 100]);
        assert!(
            members.iter().all(|m| m.ends_with(" unknown")) && !limits.is_empty(),
            "{members:?} {limits:?}"
        );
        // Metadata length of 2 GiB after the schema.
        long.truncate(536);
        long.extend([0xff, 0xff, 0xff, 0xff, 0xf8, 0xff, 0xff, 0x7f, 0, 0, 0, 0]);
        assert!(inside(&long).1[0].contains("bytes of metadata"));
        // Fuzzing found: a list child whose node declares i64::MAX values
        // overflowed the member size (now saturating).
        let mut wave =
            include_bytes!("../../../fixtures/datasets/arrow/stream-none-waveform.arrow").to_vec();
        assert_eq!(
            wave[528..544],
            [0, 0x32, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]
        );
        wave[528..536].copy_from_slice(&i64::MAX.to_le_bytes());
        let _ = inside(&wave);
        // A message declaring a negative body length: the walk must not
        // step back from an overflowed position (or panic, in a debug build).
        let mut labels =
            include_bytes!("../../../fixtures/datasets/arrow/stream-70-dictionaries.arrow")
                .to_vec();
        use crate::sniff::dataset::{le32, Table};
        let schema_len = le32(&labels, 4).unwrap() as usize;
        let at = 8 + schema_len;
        let meta_len = le32(&labels, at + 4).unwrap() as usize;
        let meta = at + 8..at + 8 + meta_len;
        let body = Table::root(&labels[meta.clone()]).unwrap().i64(3, 0);
        assert!(body > 0);
        let field = labels[meta.clone()]
            .windows(8)
            .position(|w| w == body.to_le_bytes())
            .unwrap();
        let field = meta.start + field;
        labels[field..field + 8].copy_from_slice(&(-1i64).to_le_bytes());
        assert_eq!(Table::root(&labels[meta]).unwrap().i64(3, 0), -1);
        let _ = inside(&labels);
        // Every cut of the stream ends quietly.
        for cut in (0..STREAM.len()).step_by(STREAM.len() / 9) {
            let _ = inside(&STREAM[..cut]);
        }
    }
}
