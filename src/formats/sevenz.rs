//! 7z headers, parsed in the order 7-Zip writes them (7zFormat.txt, 7zIn.cpp):
//! the 32-byte signature header, then the header it points at, plain or
//! encoded (the caller decodes an encoded header's one folder and hands the
//! result to [`parse_decoded`]).
//!
//! Every declared count is checked before it bounds a loop or sizes a
//! vector: against the bytes the header still holds (each item costs at
//! least a byte, so a count larger than the rest of the header is a lie) and
//! against fixed caps. Declared *sizes* of unpacked data are kept as numbers
//! and never allocated from; pack streams must lie inside the archive.

use thiserror::Error;

pub(crate) const SIGNATURE: &[u8; 6] = b"7z\xbc\xaf\x27\x1c";
/// Bytes of the signature header; pack positions count from its end.
pub(crate) const SIGNATURE_LEN: u64 = 32;
/// Largest header accepted, read or decoded. 7-Zip's own headers for
/// 100,000 files with long names stay well under this.
pub(crate) const MAX_HEADER: u64 = 16 << 20;
/// Most files, folders, pack streams or unpacked streams in one archive.
pub(crate) const MAX_ITEMS: u64 = 100_000;
/// 7-Zip's own bound on coders and on coder streams in one folder.
const MAX_FOLDER_CODERS: u64 = 64;
/// Method ids are at most 8 bytes in 7-Zip (15 fit the bit field).
const MAX_METHOD_ID: usize = 8;

const K_END: u8 = 0x00;
const K_HEADER: u8 = 0x01;
const K_ARCHIVE_PROPERTIES: u8 = 0x02;
const K_ADDITIONAL_STREAMS: u8 = 0x03;
const K_MAIN_STREAMS: u8 = 0x04;
const K_FILES: u8 = 0x05;
const K_PACK_INFO: u8 = 0x06;
const K_UNPACK_INFO: u8 = 0x07;
const K_SUBSTREAMS: u8 = 0x08;
const K_SIZE: u8 = 0x09;
const K_CRC: u8 = 0x0a;
const K_FOLDER: u8 = 0x0b;
const K_CODERS_UNPACK_SIZE: u8 = 0x0c;
const K_NUM_UNPACK_STREAM: u8 = 0x0d;
const K_EMPTY_STREAM: u64 = 0x0e;
const K_EMPTY_FILE: u64 = 0x0f;
const K_NAME: u64 = 0x11;
const K_ENCODED_HEADER: u8 = 0x17;

/// Why a 7z header is not trusted.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub(crate) enum Bad {
    #[error("{0} ends early")]
    Truncated(&'static str),
    #[error("{what} {value} exceeds {max}")]
    TooLarge {
        what: &'static str,
        value: u64,
        max: u64,
    },
    #[error("{0}")]
    Invalid(&'static str),
    #[error("{0} is not supported")]
    Unsupported(&'static str),
}

/// Where the header lies, from the signature header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct NextHeader {
    /// Absolute offset in the archive.
    pub offset: u64,
    pub size: u64,
    pub crc: u32,
}

/// Reads the signature header (the first 32 bytes). `Ok(None)` is an empty
/// archive (no header at all); the header must lie inside `archive_size`.
pub(crate) fn next_header(start: &[u8], archive_size: u64) -> Result<Option<NextHeader>, Bad> {
    let start = start
        .get(..SIGNATURE_LEN as usize)
        .ok_or(Bad::Truncated("signature header"))?;
    if &start[..6] != SIGNATURE {
        return Err(Bad::Invalid("no 7z signature"));
    }
    if start[6] != 0 {
        return Err(Bad::Unsupported("7z major version other than 0"));
    }
    if crc32(&start[12..32]) != le32(&start[8..12]) {
        return Err(Bad::Invalid("signature header CRC mismatch"));
    }
    let offset = SIGNATURE_LEN
        .checked_add(le64(&start[12..20]))
        .ok_or(Bad::Invalid("next header offset overflows"))?;
    let size = le64(&start[20..28]);
    if size == 0 {
        return Ok(None);
    }
    if size > MAX_HEADER {
        return Err(Bad::TooLarge {
            what: "next header size",
            value: size,
            max: MAX_HEADER,
        });
    }
    match offset.checked_add(size) {
        Some(end) if end <= archive_size => Ok(Some(NextHeader {
            offset,
            size,
            crc: le32(&start[28..32]),
        })),
        _ => Err(Bad::Invalid("next header lies past the end of the archive")),
    }
}

pub(crate) fn crc32(b: &[u8]) -> u32 {
    let mut crc = flate2::Crc::new();
    crc.update(b);
    crc.sum()
}

fn le32(b: &[u8]) -> u32 {
    u32::from_le_bytes([b[0], b[1], b[2], b[3]])
}

fn le64(b: &[u8]) -> u64 {
    let mut a = [0u8; 8];
    a.copy_from_slice(&b[..8]);
    u64::from_le_bytes(a)
}

/// One coder of a folder: a method, its stream count and its properties.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Coder {
    pub method: Vec<u8>,
    /// Packed-side streams (1 for every method atrest decodes; BCJ2 has 4).
    pub in_streams: u64,
    pub props: Vec<u8>,
}

/// A folder: coders bound into a graph, fed by one or more pack streams.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Folder {
    pub coders: Vec<Coder>,
    /// (packed-side stream index, coder index whose output feeds it).
    pub bind_pairs: Vec<(u64, u64)>,
    /// Packed-side stream indexes fed straight from pack streams.
    pub packed: Vec<u64>,
    /// Declared unpacked size of each coder's output.
    pub unpack_sizes: Vec<u64>,
    pub has_crc: bool,
    /// Index of this folder's first pack stream.
    pub first_pack: usize,
    /// Unpacked streams (files) this folder holds.
    pub substreams: u64,
}

impl Folder {
    /// The coder whose output is not bound to another coder: the folder's output.
    fn main_coder(&self) -> usize {
        (0..self.coders.len())
            .find(|&c| !self.bind_pairs.iter().any(|&(_, out)| out == c as u64))
            .unwrap_or(0)
    }

    /// The declared size of the folder's output.
    pub fn unpack_size(&self) -> u64 {
        self.unpack_sizes
            .get(self.main_coder())
            .copied()
            .unwrap_or(0)
    }

    /// For a simple chain (one pack stream, every coder one input), the
    /// coders in decoding order: the one reading the pack stream first, the
    /// folder's output last. `None` for any other shape (BCJ2).
    pub fn chain(&self) -> Option<Vec<usize>> {
        if self.packed.len() != 1 || self.coders.iter().any(|c| c.in_streams != 1) {
            return None;
        }
        // With one input per coder, packed-side stream i is coder i's input.
        let mut at = usize::try_from(self.packed[0]).ok()?;
        let mut order = Vec::with_capacity(self.coders.len());
        loop {
            if at >= self.coders.len() || order.contains(&at) {
                return None;
            }
            order.push(at);
            match self.bind_pairs.iter().find(|&&(_, out)| out == at as u64) {
                Some(&(input, _)) => at = usize::try_from(input).ok()?,
                None => break,
            }
        }
        (order.len() == self.coders.len()).then_some(order)
    }
}

/// Pack streams, folders and the unpacked streams cut out of them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Streams {
    /// Absolute offset of each pack stream in the archive.
    pub pack_offsets: Vec<u64>,
    pub pack_sizes: Vec<u64>,
    pub folders: Vec<Folder>,
    /// Declared size of every unpacked stream, folder by folder.
    pub substream_sizes: Vec<u64>,
}

/// One file of the archive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Entry {
    pub name: String,
    pub has_stream: bool,
    pub is_dir: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Header {
    pub streams: Streams,
    pub files: Vec<Entry>,
}

/// What the bytes at the next-header offset hold.
#[derive(Debug)]
pub(crate) enum Parsed {
    Plain(Header),
    /// The header is the output of `streams.folders[0]` (checked: exactly
    /// one folder, declared output at most [`MAX_HEADER`]).
    Encoded(Streams),
}

/// Parses the bytes at the next-header offset.
pub(crate) fn parse(bytes: &[u8], archive_size: u64) -> Result<Parsed, Bad> {
    let mut c = Cursor::new(bytes);
    match c.u8("header")? {
        K_HEADER => header(&mut c, archive_size).map(Parsed::Plain),
        K_ENCODED_HEADER => {
            let streams = streams_info(&mut c, archive_size)?;
            if streams.folders.len() != 1 {
                return Err(Bad::Invalid("encoded header without exactly one folder"));
            }
            let size = streams.folders[0].unpack_size();
            if size > MAX_HEADER {
                return Err(Bad::TooLarge {
                    what: "encoded header unpack size",
                    value: size,
                    max: MAX_HEADER,
                });
            }
            Ok(Parsed::Encoded(streams))
        }
        _ => Err(Bad::Invalid("no header at the next-header offset")),
    }
}

/// Parses a decoded header (the output of an encoded header's folder).
pub(crate) fn parse_decoded(bytes: &[u8], archive_size: u64) -> Result<Header, Bad> {
    let mut c = Cursor::new(bytes);
    match c.u8("decoded header")? {
        K_HEADER => header(&mut c, archive_size),
        _ => Err(Bad::Invalid("decoded header does not start with a header")),
    }
}

struct Cursor<'a> {
    b: &'a [u8],
    at: usize,
}

impl<'a> Cursor<'a> {
    fn new(b: &'a [u8]) -> Self {
        Cursor { b, at: 0 }
    }

    fn rest(&self) -> u64 {
        (self.b.len() - self.at) as u64
    }

    fn u8(&mut self, what: &'static str) -> Result<u8, Bad> {
        let v = *self.b.get(self.at).ok_or(Bad::Truncated(what))?;
        self.at += 1;
        Ok(v)
    }

    fn take(&mut self, n: u64, what: &'static str) -> Result<&'a [u8], Bad> {
        if n > self.rest() {
            return Err(Bad::Truncated(what));
        }
        let s = &self.b[self.at..self.at + n as usize];
        self.at += n as usize;
        Ok(s)
    }

    /// 7z's variable-length number: the leading one bits of the first byte
    /// say how many little-endian bytes follow.
    fn number(&mut self, what: &'static str) -> Result<u64, Bad> {
        let first = self.u8(what)?;
        let mut mask = 0x80u8;
        let mut value = 0u64;
        for i in 0..8 {
            if first & mask == 0 {
                let high = u64::from(first & mask.wrapping_sub(1));
                return Ok(value | (high << (8 * i)));
            }
            value |= u64::from(self.u8(what)?) << (8 * i);
            mask >>= 1;
        }
        Ok(value)
    }

    /// A count of items that each take at least `min_bytes` further bytes of
    /// the header: larger than `max`, or than the rest can hold, is refused.
    fn count(&mut self, what: &'static str, max: u64, min_bytes: u64) -> Result<usize, Bad> {
        let n = self.number(what)?;
        if n > max {
            return Err(Bad::TooLarge {
                what,
                value: n,
                max,
            });
        }
        if n.saturating_mul(min_bytes) > self.rest() {
            return Err(Bad::Truncated(what));
        }
        Ok(n as usize)
    }

    fn expect(&mut self, id: u8, what: &'static str) -> Result<(), Bad> {
        if self.u8(what)? == id {
            Ok(())
        } else {
            Err(Bad::Invalid(what))
        }
    }
}

/// A bit vector of `n` items, most significant bit first.
fn bits(c: &mut Cursor, n: usize, what: &'static str) -> Result<Vec<bool>, Bad> {
    let bytes = c.take(n.div_ceil(8) as u64, what)?;
    Ok((0..n)
        .map(|i| bytes[i / 8] & (0x80 >> (i % 8)) != 0)
        .collect())
}

/// A digest list: which of `n` items have a CRC, then the CRCs (skipped).
fn digests(c: &mut Cursor, n: usize) -> Result<Vec<bool>, Bad> {
    let all = c.u8("digests")?;
    let defined = if all != 0 {
        vec![true; n]
    } else {
        bits(c, n, "digest bits")?
    };
    let count = defined.iter().filter(|&&d| d).count() as u64;
    c.take(count * 4, "digests")?;
    Ok(defined)
}

fn header(c: &mut Cursor, archive_size: u64) -> Result<Header, Bad> {
    let mut nid = c.u8("header")?;
    if nid == K_ARCHIVE_PROPERTIES {
        loop {
            if c.number("archive property")? == 0 {
                break;
            }
            let size = c.number("archive property size")?;
            c.take(size, "archive property")?;
        }
        nid = c.u8("header")?;
    }
    if nid == K_ADDITIONAL_STREAMS {
        return Err(Bad::Unsupported("additional streams"));
    }
    let mut streams = Streams::default();
    if nid == K_MAIN_STREAMS {
        streams = streams_info(c, archive_size)?;
        nid = c.u8("header")?;
    }
    let mut files = Vec::new();
    if nid == K_FILES {
        files = files_info(c, &streams)?;
        nid = c.u8("header")?;
    }
    if nid != K_END {
        return Err(Bad::Invalid("header not terminated"));
    }
    if files.is_empty() && !streams.substream_sizes.is_empty() {
        return Err(Bad::Invalid("streams without files"));
    }
    Ok(Header { streams, files })
}

fn streams_info(c: &mut Cursor, archive_size: u64) -> Result<Streams, Bad> {
    let mut s = Streams::default();
    let mut nid = c.u8("streams info")?;
    if nid == K_PACK_INFO {
        pack_info(c, &mut s, archive_size)?;
        nid = c.u8("streams info")?;
    }
    if nid == K_UNPACK_INFO {
        unpack_info(c, &mut s)?;
        nid = c.u8("streams info")?;
    }
    // Without substreams info each folder holds one stream of its full size.
    for f in &mut s.folders {
        f.substreams = 1;
    }
    if nid == K_SUBSTREAMS {
        substreams_info(c, &mut s)?;
        nid = c.u8("streams info")?;
    } else {
        s.substream_sizes = s.folders.iter().map(Folder::unpack_size).collect();
    }
    if nid != K_END {
        return Err(Bad::Invalid("streams info not terminated"));
    }
    Ok(s)
}

fn pack_info(c: &mut Cursor, s: &mut Streams, archive_size: u64) -> Result<(), Bad> {
    let pack_pos = c.number("pack position")?;
    let n = c.count("pack streams", MAX_ITEMS, 1)?;
    c.expect(K_SIZE, "pack sizes")?;
    let mut at = SIGNATURE_LEN
        .checked_add(pack_pos)
        .ok_or(Bad::Invalid("pack position overflows"))?;
    for _ in 0..n {
        let size = c.number("pack size")?;
        let end = at
            .checked_add(size)
            .filter(|&end| end <= archive_size)
            .ok_or(Bad::Invalid("pack stream lies past the end of the archive"))?;
        s.pack_offsets.push(at);
        s.pack_sizes.push(size);
        at = end;
    }
    let mut nid = c.u8("pack info")?;
    if nid == K_CRC {
        digests(c, n)?;
        nid = c.u8("pack info")?;
    }
    if nid != K_END {
        return Err(Bad::Invalid("pack info not terminated"));
    }
    Ok(())
}

fn unpack_info(c: &mut Cursor, s: &mut Streams) -> Result<(), Bad> {
    c.expect(K_FOLDER, "folders")?;
    // A folder takes at least 2 bytes (coder count, coder flags).
    let n = c.count("folders", MAX_ITEMS, 2)?;
    if c.u8("folders")? != 0 {
        return Err(Bad::Unsupported("external folders"));
    }
    let mut next_pack = 0usize;
    for _ in 0..n {
        let mut f = folder(c)?;
        f.first_pack = next_pack;
        next_pack += f.packed.len();
        if next_pack > s.pack_sizes.len() {
            return Err(Bad::Invalid("folders use more pack streams than exist"));
        }
        s.folders.push(f);
    }
    c.expect(K_CODERS_UNPACK_SIZE, "coder unpack sizes")?;
    for f in &mut s.folders {
        for _ in 0..f.coders.len() {
            f.unpack_sizes.push(c.number("unpack size")?);
        }
    }
    let mut nid = c.u8("unpack info")?;
    if nid == K_CRC {
        for (f, has) in s.folders.iter_mut().zip(digests(c, n)?) {
            f.has_crc = has;
        }
        nid = c.u8("unpack info")?;
    }
    if nid != K_END {
        return Err(Bad::Invalid("unpack info not terminated"));
    }
    Ok(())
}

fn folder(c: &mut Cursor) -> Result<Folder, Bad> {
    let n = c.count("coders", MAX_FOLDER_CODERS, 1)?;
    if n == 0 {
        return Err(Bad::Invalid("folder without coders"));
    }
    let mut coders = Vec::with_capacity(n);
    let mut total_in = 0u64;
    for _ in 0..n {
        let flags = c.u8("coder")?;
        if flags & 0x80 != 0 {
            return Err(Bad::Unsupported("alternative coder methods"));
        }
        let id_len = usize::from(flags & 0x0f);
        if id_len > MAX_METHOD_ID {
            return Err(Bad::Unsupported("method id longer than 8 bytes"));
        }
        let method = c.take(id_len as u64, "method id")?.to_vec();
        let in_streams = if flags & 0x10 != 0 {
            let ins = c.number("coder in-streams")?;
            let outs = c.number("coder out-streams")?;
            if outs != 1 {
                return Err(Bad::Unsupported("coder with other than one output"));
            }
            ins
        } else {
            1
        };
        total_in = total_in.saturating_add(in_streams);
        if in_streams == 0 || total_in > MAX_FOLDER_CODERS {
            return Err(Bad::Invalid("coder stream count out of range"));
        }
        let props = if flags & 0x20 != 0 {
            let len = c.number("coder properties size")?;
            c.take(len, "coder properties")?.to_vec()
        } else {
            Vec::new()
        };
        coders.push(Coder {
            method,
            in_streams,
            props,
        });
    }
    let bound = n - 1;
    let mut bind_pairs: Vec<(u64, u64)> = Vec::with_capacity(bound);
    for _ in 0..bound {
        let input = c.number("bind pair")?;
        let output = c.number("bind pair")?;
        let reused = bind_pairs.iter().any(|&(i, o)| i == input || o == output);
        if input >= total_in || output >= n as u64 || reused {
            return Err(Bad::Invalid("bind pair out of range"));
        }
        bind_pairs.push((input, output));
    }
    // `bound < n <= total_in`, so at least one input stays unbound.
    let packed_count = total_in as usize - bound;
    let is_bound = |i: u64| bind_pairs.iter().any(|&(input, _)| input == i);
    let packed = if packed_count == 1 {
        vec![(0..total_in)
            .find(|&i| !is_bound(i))
            .ok_or(Bad::Invalid("no packed stream"))?]
    } else {
        let mut packed = Vec::with_capacity(packed_count);
        for _ in 0..packed_count {
            let i = c.number("packed stream")?;
            if i >= total_in || is_bound(i) || packed.contains(&i) {
                return Err(Bad::Invalid("packed stream index out of range"));
            }
            packed.push(i);
        }
        packed
    };
    Ok(Folder {
        coders,
        bind_pairs,
        packed,
        unpack_sizes: Vec::new(),
        has_crc: false,
        first_pack: 0,
        substreams: 1,
    })
}

fn substreams_info(c: &mut Cursor, s: &mut Streams) -> Result<(), Bad> {
    let mut nid = c.u8("substreams info")?;
    if nid == K_NUM_UNPACK_STREAM {
        let mut total = 0u64;
        for f in &mut s.folders {
            f.substreams = c.number("unpack streams")?;
            total = total.saturating_add(f.substreams);
            if total > MAX_ITEMS {
                return Err(Bad::TooLarge {
                    what: "unpack streams",
                    value: total,
                    max: MAX_ITEMS,
                });
            }
        }
        nid = c.u8("substreams info")?;
    }
    let has_sizes = nid == K_SIZE;
    for f in &s.folders {
        if f.substreams == 0 {
            continue;
        }
        if f.substreams > 1 && !has_sizes {
            return Err(Bad::Invalid(
                "several streams in a folder without their sizes",
            ));
        }
        let total = f.unpack_size();
        let mut sum = 0u64;
        // Each size read takes at least a byte, so this loop is bounded by
        // the header even before the count was (it was: MAX_ITEMS).
        for _ in 1..f.substreams {
            let size = c.number("unpack stream size")?;
            sum = sum
                .checked_add(size)
                .filter(|&sum| sum <= total)
                .ok_or(Bad::Invalid("stream sizes exceed their folder"))?;
            s.substream_sizes.push(size);
        }
        s.substream_sizes.push(total - sum);
    }
    if has_sizes {
        nid = c.u8("substreams info")?;
    }
    if nid == K_CRC {
        let n: u64 = s
            .folders
            .iter()
            .filter(|f| f.substreams != 1 || !f.has_crc)
            .map(|f| f.substreams)
            .sum();
        digests(c, n as usize)?;
        nid = c.u8("substreams info")?;
    }
    if nid != K_END {
        return Err(Bad::Invalid("substreams info not terminated"));
    }
    Ok(())
}

fn files_info(c: &mut Cursor, streams: &Streams) -> Result<Vec<Entry>, Bad> {
    let n = c.count("files", MAX_ITEMS, 0)?;
    let mut empty_stream: Option<Vec<bool>> = None;
    let mut empty_file: Option<Vec<bool>> = None;
    let mut names: Option<Vec<String>> = None;
    loop {
        let kind = c.number("file property")?;
        if kind == u64::from(K_END) {
            break;
        }
        let size = c.number("file property size")?;
        let mut p = Cursor::new(c.take(size, "file property")?);
        match kind {
            K_EMPTY_STREAM => empty_stream = Some(bits(&mut p, n, "empty-stream bits")?),
            K_EMPTY_FILE => {
                let empties = empty_stream
                    .as_ref()
                    .ok_or(Bad::Invalid("empty-file bits before empty-stream bits"))?
                    .iter()
                    .filter(|&&e| e)
                    .count();
                empty_file = Some(bits(&mut p, empties, "empty-file bits")?);
            }
            K_NAME => {
                if p.u8("names")? != 0 {
                    return Err(Bad::Unsupported("external names"));
                }
                names = Some(utf16_names(p.take(p.rest(), "names")?, n)?);
            }
            // Times, attributes, padding and unknown properties: their size
            // was checked, their content is not needed.
            _ => {}
        }
    }
    let empty_stream = empty_stream.unwrap_or_else(|| vec![false; n]);
    let with_stream = empty_stream.iter().filter(|&&e| !e).count();
    if with_stream != streams.substream_sizes.len() {
        return Err(Bad::Invalid(
            "files with data do not match the unpacked streams",
        ));
    }
    let mut names = names.unwrap_or_default().into_iter();
    let mut empties = empty_file.unwrap_or_default().into_iter();
    Ok(empty_stream
        .iter()
        .map(|&empty| Entry {
            name: names.next().unwrap_or_default(),
            has_stream: !empty,
            is_dir: empty && !empties.next().unwrap_or(false),
        })
        .collect())
}

/// `n` null-terminated UTF-16LE names filling `b` exactly.
fn utf16_names(b: &[u8], n: usize) -> Result<Vec<String>, Bad> {
    if !b.len().is_multiple_of(2) {
        return Err(Bad::Invalid("names of odd length"));
    }
    let mut names = Vec::with_capacity(n.min(b.len() / 2));
    let mut unit = Vec::new();
    for pair in b.chunks_exact(2) {
        let u = u16::from_le_bytes([pair[0], pair[1]]);
        if u != 0 {
            unit.push(u);
            continue;
        }
        if names.len() == n {
            return Err(Bad::Invalid("more names than files"));
        }
        names.push(String::from_utf16_lossy(&unit));
        unit.clear();
    }
    if names.len() != n || !unit.is_empty() {
        return Err(Bad::Invalid("names do not match the files"));
    }
    Ok(names)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// 7z's variable-length number (the inverse of `Cursor::number`).
    pub(crate) fn n7(v: u64) -> Vec<u8> {
        for i in 0..8u32 {
            if v < 1u64 << (7 * (i + 1)) {
                let first = (0xffu16 << (8 - i)) as u8 | (v >> (8 * i)) as u8;
                let mut out = vec![first];
                out.extend(&v.to_le_bytes()[..i as usize]);
                return out;
            }
        }
        let mut out = vec![0xff];
        out.extend(v.to_le_bytes());
        out
    }

    /// A whole archive: signature header, `packed`, then `header`.
    pub(crate) fn archive(header: &[u8], packed: &[u8], next_size: Option<u64>) -> Vec<u8> {
        let mut start = Vec::new();
        start.extend((packed.len() as u64).to_le_bytes());
        start.extend(next_size.unwrap_or(header.len() as u64).to_le_bytes());
        start.extend(crc32(header).to_le_bytes());
        let mut v = SIGNATURE.to_vec();
        v.extend([0, 4]);
        v.extend(crc32(&start).to_le_bytes());
        v.extend(start);
        v.extend(packed);
        v.extend(header);
        v
    }

    fn parse_archive(v: &[u8]) -> Result<Parsed, Bad> {
        let next = next_header(v, v.len() as u64)?.expect("a header");
        let at = next.offset as usize;
        parse(&v[at..at + next.size as usize], v.len() as u64)
    }

    #[test]
    fn numbers_round_trip() {
        for v in [0, 1, 0x7f, 0x80, 0x3fff, 0x4000, 1 << 40, u64::MAX] {
            assert_eq!(Cursor::new(&n7(v)).number("n"), Ok(v), "{v}");
        }
    }

    /// A stored (Copy) archive of one file "a" holding "AB".
    fn copy_archive() -> Vec<u8> {
        let mut h = vec![K_HEADER, K_MAIN_STREAMS, K_PACK_INFO];
        h.extend(n7(0));
        h.extend(n7(1));
        h.extend([
            K_SIZE,
            2,
            K_END,
            K_UNPACK_INFO,
            K_FOLDER,
            1,
            0,
            1,
            0x01,
            0x00,
        ]);
        h.extend([K_CODERS_UNPACK_SIZE, 2, K_END, K_END]);
        h.extend([K_FILES, 1, K_NAME as u8, 5, 0, b'a', 0, 0, 0, K_END, K_END]);
        archive(&h, b"AB", None)
    }

    #[test]
    fn a_copy_archive_parses() {
        let Parsed::Plain(h) = parse_archive(&copy_archive()).unwrap() else {
            panic!("not plain")
        };
        assert_eq!(h.streams.pack_offsets, vec![32]);
        assert_eq!(h.streams.substream_sizes, vec![2]);
        assert_eq!(h.streams.folders[0].chain(), Some(vec![0]));
        assert_eq!(h.files[0].name, "a");
        assert!(h.files[0].has_stream);
    }

    #[test]
    fn next_header_size_and_offset_lies_are_refused() {
        let h = [K_HEADER, K_END];
        for size in [1u64 << 62, 1 << 36] {
            let v = archive(&h, b"", Some(size));
            assert!(matches!(
                next_header(&v, v.len() as u64),
                Err(Bad::TooLarge { .. })
            ));
        }
        // Offset 2^64 - 32: 32 + offset wraps.
        let mut v = archive(&h, b"", None);
        v[12..20].copy_from_slice(&(u64::MAX - 31).to_le_bytes());
        let crc = crc32(&v[12..32]);
        v[8..12].copy_from_slice(&crc.to_le_bytes());
        assert!(next_header(&v, v.len() as u64).is_err());
    }

    fn refused(header: &[u8]) -> Bad {
        parse_archive(&archive(header, b"AB", None)).unwrap_err()
    }

    #[test]
    fn counts_beyond_the_header_are_refused_before_allocating() {
        let mut pack = vec![K_HEADER, K_MAIN_STREAMS, K_PACK_INFO, 0];
        pack.extend(n7(1 << 40));
        pack.extend([K_SIZE, 1]);
        assert!(matches!(refused(&pack), Bad::TooLarge { .. }));
        // 2^33 pack CRCs, "all defined": refused at the count.
        let mut crcs = vec![K_HEADER, K_MAIN_STREAMS, K_PACK_INFO, 0];
        crcs.extend(n7(1 << 33));
        crcs.extend([K_CRC, 1]);
        assert!(matches!(refused(&crcs), Bad::TooLarge { .. }));
        // 50,000 pack streams in a 20-byte header: more than its bytes.
        let mut many = vec![K_HEADER, K_MAIN_STREAMS, K_PACK_INFO, 0];
        many.extend(n7(50_000));
        many.extend([K_SIZE, 1]);
        assert_eq!(refused(&many), Bad::Truncated("pack streams"));
        let mut folders = vec![K_HEADER, K_MAIN_STREAMS, K_UNPACK_INFO, K_FOLDER];
        folders.extend(n7(1 << 40));
        folders.push(0);
        assert!(matches!(refused(&folders), Bad::TooLarge { .. }));
        let mut coders = vec![K_HEADER, K_MAIN_STREAMS, K_UNPACK_INFO, K_FOLDER, 1, 0];
        coders.extend(n7(1 << 40));
        assert!(matches!(refused(&coders), Bad::TooLarge { .. }));
        let mut props = vec![K_HEADER, K_MAIN_STREAMS, K_UNPACK_INFO, K_FOLDER, 1, 0, 1];
        props.extend([0x21, 0x21]);
        props.extend(n7(1 << 40));
        assert_eq!(refused(&props), Bad::Truncated("coder properties"));
        let mut ins = vec![K_HEADER, K_MAIN_STREAMS, K_UNPACK_INFO, K_FOLDER, 1, 0, 1];
        ins.extend([0x11, 0x00]);
        ins.extend(n7(1 << 62));
        ins.extend(n7(1 << 62));
        assert!(refused(&ins) != Bad::Truncated("x"));
        let mut files = vec![K_HEADER, K_FILES];
        files.extend(n7(1 << 32));
        files.extend([K_END, K_END]);
        assert!(matches!(refused(&files), Bad::TooLarge { .. }));
    }

    /// One Copy folder over pack stream "A" (and "B"), then `tail`.
    fn folders(n: u64) -> Vec<u8> {
        let mut h = vec![K_HEADER, K_MAIN_STREAMS, K_PACK_INFO, 0];
        h.extend(n7(n));
        h.push(K_SIZE);
        h.extend((0..n).flat_map(|_| n7(1)));
        h.extend([K_END, K_UNPACK_INFO, K_FOLDER]);
        h.extend(n7(n));
        h.push(0);
        h.extend((0..n).flat_map(|_| [1, 0x01, 0x00]));
        h.push(K_CODERS_UNPACK_SIZE);
        h.extend((0..n).flat_map(|_| n7(1)));
        h.push(K_END);
        h
    }

    #[test]
    fn substream_counts_that_wrap_or_exceed_their_folder_are_refused() {
        let mut h = folders(1);
        h.extend([K_SUBSTREAMS, K_NUM_UNPACK_STREAM]);
        h.extend(n7(1 << 40));
        h.extend([K_END, K_END, K_END]);
        assert!(matches!(refused(&h), Bad::TooLarge { .. }));
        let mut h = folders(2);
        h.extend([K_SUBSTREAMS, K_NUM_UNPACK_STREAM]);
        h.extend(n7(1 << 63));
        h.extend(n7(1 << 63));
        h.push(K_SIZE);
        h.extend([1, 1, 1, 1, K_END, K_END, K_END]);
        assert!(matches!(refused(&h), Bad::TooLarge { .. }));
        // Sizes of two streams summing past their folder's size (1).
        let mut h = folders(1);
        h.extend([
            K_SUBSTREAMS,
            K_NUM_UNPACK_STREAM,
            2,
            K_SIZE,
            5,
            K_END,
            K_END,
        ]);
        assert_eq!(
            refused(&h),
            Bad::Invalid("stream sizes exceed their folder")
        );
    }

    #[test]
    fn names_claiming_more_than_the_header_are_refused() {
        let mut h = vec![K_HEADER, K_FILES, 1, 14, 1, 0x00, 17];
        h.extend(n7((1 << 62) + 1));
        h.extend([0, b'a', 0, 0, 0, K_END, K_END]);
        assert_eq!(refused(&h), Bad::Truncated("file property"));
    }

    #[test]
    fn files_must_match_the_streams() {
        // One file with data, no streams info at all.
        let h = [K_HEADER, K_FILES, 1, K_END, K_END];
        assert!(refused(&h).to_string().contains("do not match"));
    }

    #[test]
    fn bind_pairs_and_packed_indexes_are_checked() {
        // Two coders, bind pair naming coder 5.
        let mut h = vec![K_HEADER, K_MAIN_STREAMS, K_UNPACK_INFO, K_FOLDER, 1, 0, 2];
        h.extend([0x01, 0x00, 0x01, 0x00, 0, 5]);
        assert_eq!(refused(&h), Bad::Invalid("bind pair out of range"));
    }

    #[test]
    fn folders_cannot_use_pack_streams_that_do_not_exist() {
        let mut h = vec![K_HEADER, K_MAIN_STREAMS, K_UNPACK_INFO, K_FOLDER, 1, 0];
        h.extend([1, 0x01, 0x00, K_CODERS_UNPACK_SIZE, 1, K_END, K_END]);
        assert!(refused(&h).to_string().contains("pack streams"));
    }

    #[test]
    fn pack_streams_past_the_end_are_refused() {
        let mut h = vec![K_HEADER, K_MAIN_STREAMS, K_PACK_INFO];
        h.extend(n7(u64::MAX - 40));
        h.extend([1, K_SIZE, 1, K_END, K_END, K_END]);
        assert!(refused(&h).to_string().contains("past the end"));
    }

    #[test]
    fn an_encoded_header_declaring_more_than_the_cap_is_refused() {
        let mut h = vec![K_ENCODED_HEADER, K_PACK_INFO, 0, 1, K_SIZE, 2, K_END];
        h.extend([K_UNPACK_INFO, K_FOLDER, 1, 0, 1, 0x01, 0x00]);
        h.push(K_CODERS_UNPACK_SIZE);
        h.extend(n7(1 << 41));
        h.extend([K_END, K_END]);
        assert!(matches!(refused(&h), Bad::TooLarge { .. }));
    }

    #[test]
    fn chains_are_found_and_cycles_are_not() {
        let coder = |m: u8| Coder {
            method: vec![m],
            in_streams: 1,
            props: Vec::new(),
        };
        // BCJ (0) over LZMA (1): LZMA reads the pack stream, BCJ outputs.
        let f = Folder {
            coders: vec![coder(3), coder(1)],
            bind_pairs: vec![(0, 1)],
            packed: vec![1],
            unpack_sizes: vec![10, 10],
            has_crc: false,
            first_pack: 0,
            substreams: 1,
        };
        assert_eq!(f.chain(), Some(vec![1, 0]));
        assert_eq!(f.unpack_size(), 10);
        let cycle = Folder {
            bind_pairs: vec![(1, 1)],
            ..f
        };
        assert_eq!(cycle.chain(), None);
    }
}
