//! PostgreSQL custom-format backups (`pg_dump -Fc`, its default for
//! backups meant for `pg_restore`). Each table's rows are one COPY text
//! (a `bytea` column as `\\x5249…` hex), compressed as one zlib stream or
//! not at all, and cut into chunks each led by its length: no stream
//! decodes across the lengths, so the dump read as it lies is `binary`.
//! Data blocks are told by their shape, not by the table of contents
//! (whose fields change with every archive version): a block mark, a dump
//! id, then chunks whose lengths lead from one to the next and end on a
//! length of zero. Each block's chunks are joined and read as a stream
//! (member `table-data@OFFSET`), whose COPY text is searched as any text.

use super::{chain, Level, LevelBytes, Limit, Walk};
use crate::sniff::HEAD_LEN;

/// The longest chunk taken for one: pg_dump writes a few KiB compressed,
/// or a buffer's worth of COPY text uncompressed.
const MAX_CHUNK: usize = 64 << 20;
/// Block marks (`BLK_DATA`, `BLK_BLOBS` in pg_dump's archiver): a
/// table's rows, and large objects.
const BLOCK_DATA: u8 = 1;
/// Blocks read from one dump.
const MAX_BLOCKS: usize = 64;
/// Chunks followed in one block: pg_dump writes up to 4 KiB of
/// compressed data per chunk, so 16 MiB of them.
const MAX_CHUNKS: usize = 4096;

/// The archive's integer width when `head` opens a custom-format dump:
/// `PGDMP`, version 1.x, integer and offset widths, format 1 (custom).
pub(super) fn custom_dump(head: &[u8]) -> Option<usize> {
    match head.get(..11)? {
        [b'P', b'G', b'D', b'M', b'P', 1, _, _, int @ 4..=8, 4..=8, 1] => Some(usize::from(*int)),
        _ => None,
    }
}

/// An archive integer at `at`: a sign byte (0 or 1), then `width` bytes
/// little-endian. Returns it and where it ends.
fn int_at(b: &[u8], at: usize, width: usize) -> Option<(i64, usize)> {
    let sign = *b.get(at)?;
    let digits = b.get(at + 1..at + 1 + width)?;
    if sign > 1 || digits[4..].iter().any(|&d| d != 0) {
        return None;
    }
    let v = i64::from(u32::from_le_bytes(digits[..4].try_into().ok()?));
    Some((if sign == 1 { -v } else { v }, at + 1 + width))
}

const BLOCK_BLOBS: u8 = 3;

/// One stream of a block: a table's rows, or one large object. Its
/// chunks are offsets in the bytes held; the last may run past them.
#[derive(Debug, PartialEq, Eq)]
struct Part {
    at: usize,
    chunks: Vec<(usize, usize)>,
}

/// One data block: where it starts, what kind, its streams.
#[derive(Debug, PartialEq, Eq)]
struct Block {
    at: usize,
    blobs: bool,
    parts: Vec<Part>,
    /// Where the block ends; `None` when it runs past the bytes held.
    end: Option<usize>,
}

/// Chunks from `next` on, each led by its length, to a length of zero:
/// the chunks, and where that zero length ends (`None` when they run past
/// the end of `b` to where `links(offset)` says a length lies; the caller
/// reads it there).
type Chunks = (Vec<(usize, usize)>, Option<usize>);

fn chunks_from(
    b: &[u8],
    mut next: usize,
    width: usize,
    links: &dyn Fn(usize) -> bool,
) -> Option<Chunks> {
    let mut chunks = Vec::new();
    loop {
        let Some((len, data)) = int_at(b, next, width) else {
            // The bytes held end inside a length: chunks before it count.
            return (next >= b.len().saturating_sub(width) && !chunks.is_empty())
                .then_some((chunks, None));
        };
        if len == 0 {
            return Some((chunks, Some(data)));
        }
        let len = usize::try_from(len).ok().filter(|&n| n <= MAX_CHUNK)?;
        if data + len > b.len() && !links(data + len) {
            return None;
        }
        if chunks.len() == MAX_CHUNKS || data + len > b.len() {
            chunks.push((data, len.min(b.len().saturating_sub(data))));
            return Some((chunks, None));
        }
        chunks.push((data, len));
        next = data + len;
    }
}

/// The block that starts at `at`, if its shape holds: a mark, a positive
/// dump id, then a table's chunks (at least one), or large objects, each
/// an id and its chunks, ended by an id of zero.
fn block_at(b: &[u8], at: usize, width: usize, links: &dyn Fn(usize) -> bool) -> Option<Block> {
    let blobs = match *b.get(at)? {
        BLOCK_DATA => false,
        BLOCK_BLOBS => true,
        _ => return None,
    };
    let (id, mut next) = int_at(b, at + 1, width)?;
    if id <= 0 {
        return None;
    }
    if !blobs {
        let (chunks, end) = chunks_from(b, next, width, links)?;
        return (!chunks.is_empty()).then_some(Block {
            at,
            blobs,
            parts: vec![Part { at, chunks }],
            end,
        });
    }
    let mut parts = Vec::new();
    loop {
        let Some((oid, after)) = int_at(b, next, width) else {
            return (!parts.is_empty()).then_some(Block {
                at,
                blobs,
                parts,
                end: None,
            });
        };
        if oid <= 0 {
            return (oid == 0 && !parts.is_empty()).then_some(Block {
                at,
                blobs,
                parts,
                end: Some(after),
            });
        }
        let (chunks, end) = chunks_from(b, after, width, links)?;
        parts.push(Part { at: next, chunks });
        match end {
            Some(end) if parts.len() <= MAX_BLOCKS => next = end,
            _ => {
                return Some(Block {
                    at,
                    blobs,
                    parts,
                    end: None,
                })
            }
        }
    }
}

/// The blocks in `b`, in order, up to `max` (`links` as for
/// [`chunks_from`]).
fn blocks(b: &[u8], width: usize, max: usize, links: &dyn Fn(usize) -> bool) -> Vec<Block> {
    let mut found = Vec::new();
    let mut from = 11;
    while found.len() < max {
        let Some(k) = memchr::memchr2(BLOCK_DATA, BLOCK_BLOBS, b.get(from..).unwrap_or_default())
        else {
            break;
        };
        let at = from + k;
        match block_at(b, at, width, links) {
            Some(block) => {
                from = block.end.unwrap_or(b.len());
                found.push(block);
            }
            None => from = at + 1,
        }
    }
    found
}

impl Walk<'_> {
    /// The table data of a `pg_dump -Fc` backup, block by block.
    pub(super) fn pg_dump(&mut self, level: &Level<'_, '_>, head: &[u8], name: &str, depth: u32) {
        let Some(width) = custom_dump(head) else {
            return;
        };
        let want = (self.limits.max_member_bytes as usize).min(16 * HEAD_LEN);
        let Some(dump) = level.from(0, want) else {
            return;
        };
        // A chunk that runs past what was read must lead to a length.
        let links = |at: usize| {
            level
                .from(at as u64, 1 + width)
                .and_then(|b| int_at(&b, 0, width))
                .is_some_and(|(len, _)| (0..=MAX_CHUNK as i64).contains(&len))
        };
        let found = blocks(&dump, width, MAX_BLOCKS + 1, &links);
        if found.len() > MAX_BLOCKS {
            self.limit(
                name,
                Limit::Members,
                format!(
                    "pg_dump: more than {MAX_BLOCKS} table data blocks; the rest not inspected"
                ),
            );
        }
        let parts = found.iter().take(MAX_BLOCKS).flat_map(|b| {
            let last = b.parts.len() - 1;
            b.parts
                .iter()
                .enumerate()
                .map(move |(i, p)| (b, p, i == last))
        });
        for (block, part, last) in parts.take(MAX_BLOCKS) {
            if self.out_of_time(name) {
                return;
            }
            let data: Vec<u8> = part
                .chunks
                .iter()
                .flat_map(|&(at, len)| &dump[at..at + len])
                .copied()
                .collect();
            // What a stream holds in all, when it runs past the bytes
            // read: the rest of the object at most.
            let size = match (block.end, last) {
                (None, true) => level.size - part.chunks.first().map_or(0, |c| c.0) as u64,
                _ => data.len() as u64,
            };
            let member = if block.blobs {
                format!("large-object@{}", part.at)
            } else {
                format!("table-data@{}", part.at)
            };
            let zlib = data.len() >= 2
                && data[0] & 0x0f == 8
                && (u16::from(data[0]) << 8 | u16::from(data[1])) % 31 == 0;
            if zlib {
                let stream = Level {
                    size,
                    bytes: LevelBytes::Memory(&data),
                };
                self.stream_with(&stream, "zlib", "zlib", &chain(name, &member), depth);
            } else if !data.is_empty() {
                let s = self.sniff_bytes(&data, size);
                self.keep(name, &member, &data, size, depth, s);
            }
        }
        let streams: usize = found.iter().map(|b| b.parts.len()).sum();
        if streams > MAX_BLOCKS && found.len() <= MAX_BLOCKS {
            self.limit(
                name,
                Limit::Members,
                format!("pg_dump: more than {MAX_BLOCKS} streams; the rest not inspected"),
            );
        }
        // A block cut at its chunk cap ends the search as the end of what
        // was read does: what follows it is not inspected.
        let capped = found
            .iter()
            .any(|b| b.end.is_none() && b.parts.iter().any(|p| p.chunks.len() > MAX_CHUNKS));
        if capped {
            self.limit(
                name,
                Limit::Members,
                format!("pg_dump: a block of more than {MAX_CHUNKS} chunks; what follows it not inspected"),
            );
        } else if found.last().is_none_or(|b| b.end.is_none()) && (dump.len() as u64) < level.size {
            self.limit(
                name,
                Limit::ObjectBytes,
                format!(
                    "pg_dump: its first {} bytes searched for table data; the rest not inspected",
                    dump.len()
                ),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn int(v: u32) -> Vec<u8> {
        [&[0u8][..], &v.to_le_bytes()].concat()
    }

    /// A data block of `chunks`, ended by a zero length.
    fn block(id: u32, chunks: &[&[u8]]) -> Vec<u8> {
        let mut v = vec![BLOCK_DATA];
        v.extend(int(id));
        for c in chunks {
            v.extend(int(c.len() as u32));
            v.extend(*c);
        }
        v.extend(int(0));
        v
    }

    #[test]
    fn blocks_are_told_by_their_chained_lengths() {
        let mut dump = b"PGDMP\x01\x0e\x00\x04\x08\x01".to_vec();
        // A table of contents with ints and strings of its own.
        dump.extend([&int(3)[..], &int(5), b"users", &[1, 0, 2, 0, 0, 0]].concat());
        let first = dump.len();
        dump.extend(block(3342, &[b"abc", b"defg"]));
        let second = dump.len();
        dump.extend(block(3343, &[b"x"]));
        assert_eq!(custom_dump(&dump), Some(4));
        let got = blocks(&dump, 4, 8, &|_| false);
        assert_eq!(got.len(), 2, "{got:?}");
        assert_eq!(got[0].at, first);
        assert_eq!(got[0].parts[0].chunks.len(), 2);
        assert_eq!(got[1].at, second);
        // Cut inside the second chunk of the first block: what is held.
        let cut = &dump[..first + 1 + 5 + 5 + 3 + 5 + 2];
        let got = blocks(cut, 4, 8, &|at| at == first + 1 + 5 + 5 + 3 + 5 + 4);
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].end, None);
        assert_eq!(got[0].parts[0].chunks.last().unwrap().1, 2);
        // A chunk past the bytes held that leads to no length is none.
        assert!(blocks(cut, 4, 8, &|_| false).is_empty());
    }

    /// Large objects: each an id and its chunks, ended by an id of zero.
    #[test]
    fn large_objects_are_a_stream_each() {
        let mut dump = b"PGDMP\x01\x0e\x00\x04\x08\x01\x01".to_vec();
        let at = dump.len();
        dump.push(BLOCK_BLOBS);
        dump.extend(int(7));
        for (oid, chunks) in [
            (16384u32, &[&b"RIFF"[..], b"WAVE"][..]),
            (16385, &[&b"x"[..]][..]),
        ] {
            dump.extend(int(oid));
            for c in chunks {
                dump.extend(int(c.len() as u32));
                dump.extend(*c);
            }
            dump.extend(int(0));
        }
        dump.extend(int(0));
        let got = blocks(&dump, 4, 8, &|_| false);
        assert_eq!(got.len(), 1, "{got:?}");
        assert!(got[0].blobs);
        assert_eq!(got[0].end, Some(dump.len()));
        let parts: Vec<_> = got[0]
            .parts
            .iter()
            .map(|p| (p.at, p.chunks.len()))
            .collect();
        assert_eq!(parts, [(at + 6, 2), (at + 6 + 5 + 5 + 4 + 5 + 4 + 5, 1)]);
    }

    /// Any bytes behind the magic: blocks stay within what is held.
    #[test]
    fn any_bytes_give_blocks_within_bounds() {
        use crate::sniff::testutil::pseudo_random;
        for seed in 0..300 {
            let mut b = b"PGDMP\x01\x0e\x00\x04\x08\x01".to_vec();
            // Small values, so that lengths and ids chain now and then.
            b.extend(pseudo_random(3000, seed).iter().map(|&r| r % 8));
            for block in blocks(&b, 4, 64, &|at| at % 3 == 0) {
                for part in &block.parts {
                    for &(at, len) in &part.chunks {
                        assert!(at + len <= b.len());
                    }
                }
            }
        }
    }

    /// Streams past 64, and a block cut at its chunk cap, are limits.
    #[test]
    fn streams_past_the_caps_are_limits() {
        let mut dump = b"PGDMP\x01\x0e\x00\x04\x08\x01\x01".to_vec();
        dump.push(BLOCK_BLOBS);
        dump.extend(int(7));
        for oid in 0..70 {
            dump.extend([int(16384 + oid), int(4), b"data".to_vec(), int(0)].concat());
        }
        dump.extend(int(0));
        let inside = crate::unpack::tests::look(&dump);
        assert!(inside.says("more than 64 streams"), "{:?}", inside.limits);
        let chunks: Vec<&[u8]> = vec![b"row\n"; MAX_CHUNKS + 2];
        let mut dump = b"PGDMP\x01\x0e\x00\x04\x08\x01\x01".to_vec();
        dump.extend(block(3342, &chunks));
        let inside = crate::unpack::tests::look(&dump);
        assert!(
            inside.says("what follows it not inspected"),
            "{:?}",
            inside.limits
        );
    }

    #[test]
    fn other_archives_are_not_custom_dumps() {
        assert_eq!(
            custom_dump(b"PGDMP\x01\x0e\x00\x04\x08\x03"),
            None,
            "tar format"
        );
        assert_eq!(custom_dump(b"PGDMQ\x01\x0e\x00\x04\x08\x01"), None);
        assert_eq!(custom_dump(b"PGDMP"), None);
    }
}
