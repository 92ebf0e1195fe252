//! HDF5, by hand and bounded (H5 File Format Specification): superblock
//! v0–v3 → root object header (v1, or v2 `OHDR` with `OCHK` continuations)
//! → groups (symbol tables: v1 B-tree, `SNOD` nodes, local heap; or link
//! messages) → datasets (dataspace, datatype, layout v3–v5, filter
//! pipeline) → the first chunk(s) of numeric datasets (contiguous, compact,
//! v1 B-tree, single chunk, implicit and fixed-array indexes), unfiltered
//! with deflate, shuffle, fletcher32, LZF and Zstandard (filter 32015). Structures it does not know
//! (dense link storage, extensible arrays, v2 B-trees, other filters) are a
//! `not-inspected` limit, never a clean result.
//!
//! Every address is checked against the file size, objects are visited at
//! most once (address loops end), and the walk stops after [`MAX_OBJECTS`]
//! objects and [`MAX_DATASETS`] datasets judged.

use std::collections::HashSet;

use super::codecs::{decompress, Codec};
use super::{malformed, Dtype, Reader, Step, Stop};
use crate::sniff::dataset::{
    hdf5_base, hdf5_far_offsets, hdf5_superblock, le16, le32, MAX_WAVEFORM,
};
use crate::sniff::HEAD_LEN;
use crate::unpack::{Level, Limit, Walk};

/// Object headers visited (groups and datasets together).
const MAX_OBJECTS: usize = 256;
/// Numeric datasets judged.
const MAX_DATASETS: usize = 16;
/// Continuation blocks followed per object header, and their largest size.
const MAX_CONTINUATIONS: usize = 16;
const MAX_BLOCK: u64 = 1 << 20;
/// Children listed per group; B-tree depth and nodes read per tree.
const MAX_CHILDREN: usize = 1024;
const MAX_BTREE_DEPTH: u32 = 16;
const MAX_BTREE_NODES: usize = 256;
/// Chunks read for one dataset: a vector's first 32,768 samples in
/// chunks of 256 (h5py chooses kilobytes or more unless told otherwise).
const MAX_CHUNKS: usize = 128;
/// Attributes of one object judged.
const MAX_ATTRIBUTES: usize = 64;

/// An object header message: type and body.
struct Message {
    kind: u16,
    body: Vec<u8>,
}

/// Layout of a dataset's data.
#[derive(Debug, PartialEq)]
enum Layout {
    Compact(Vec<u8>),
    Contiguous {
        addr: u64,
        size: u64,
    },
    /// v3 chunked: dims of a chunk (without the element-size dimension) and
    /// the v1 B-tree of chunks.
    BTree {
        chunk: Vec<u64>,
        addr: u64,
    },
    /// v4/v5 chunked with an index: 1 single chunk, 2 implicit, 3 fixed array.
    Indexed {
        chunk: Vec<u64>,
        index: u8,
        addr: u64,
        /// Single chunk with filters: (filtered size, filter mask).
        single: Option<(u64, u32)>,
    },
}

/// Values read from a dataset, and what they are.
struct Held<'d> {
    data: &'d [u8],
    /// The dataset's shape, and the shape of `data` (its first chunk).
    shape: &'d [u64],
    data_shape: &'d [u64],
    /// One-byte elements: a file's bytes, not samples.
    bytes: bool,
    dtype: Dtype,
    big_endian: bool,
}

/// A v1 B-tree walk: the leaves found, and the nodes read (a node is read
/// once, so a child pointing back at an ancestor ends the walk).
#[derive(Default)]
struct Leaves {
    found: Vec<(u64, Vec<u8>)>,
    nodes: HashSet<u64>,
}

struct File {
    base: u64,
    /// Sizes of offsets and lengths.
    o: usize,
    l: usize,
    size: u64,
}

impl File {
    fn uint(&self, b: &[u8], at: usize, width: usize) -> Option<u64> {
        let s = b.get(at..at.checked_add(width)?)?;
        Some(s.iter().rev().fold(0u64, |a, &x| a << 8 | u64::from(x)))
    }

    /// An address field: `None` when undefined (all ones) or past the end.
    fn addr(&self, b: &[u8], at: usize) -> Option<u64> {
        let a = self.uint(b, at, self.o)?;
        let undefined = if self.o >= 8 {
            u64::MAX
        } else {
            (1u64 << (8 * self.o)) - 1
        };
        (a != undefined && self.base.checked_add(a)? < self.size).then_some(a)
    }

    fn len(&self, b: &[u8], at: usize) -> Option<u64> {
        self.uint(b, at, self.l)
    }

    /// Reads `n` bytes at relative address `addr`.
    fn read<'r>(
        &self,
        r: &mut Reader<'r, '_, '_>,
        addr: u64,
        n: u64,
    ) -> Step<std::borrow::Cow<'r, [u8]>> {
        let at = self.base.checked_add(addr).ok_or(Stop::Unreadable(addr))?;
        r.from(at, n.min(MAX_BLOCK) as usize)
    }
}

fn bad<T>(what: &str, addr: u64) -> Step<T> {
    malformed(format!("{what} at {addr} is damaged or not supported"))
}

impl Walk<'_> {
    pub(super) fn hdf5(&mut self, level: &Level<'_, '_>, prefix: &str, depth: u32) -> Step<()> {
        let mut r = Reader::new(level);
        let head = r.from(0, HEAD_LEN)?.into_owned();
        let base = match hdf5_base(&head) {
            Some(base) => base,
            None => hdf5_far_offsets(r.size())
                .find(|&at| r.at(at, 9).is_ok_and(|b| hdf5_superblock(&b)))
                .ok_or_else(|| Stop::Malformed("no superblock".into()))?,
        };
        let far;
        let sb: &[u8] = match head.get(base as usize..).filter(|sb| !sb.is_empty()) {
            Some(sb) => sb,
            None => {
                far = r.from(base, HEAD_LEN)?.into_owned();
                &far
            }
        };
        let version = sb[8];
        let (o, l) = if version < 2 {
            (
                usize::from(*sb.get(13).unwrap_or(&0)),
                usize::from(*sb.get(14).unwrap_or(&0)),
            )
        } else {
            (
                usize::from(*sb.get(9).unwrap_or(&0)),
                usize::from(*sb.get(10).unwrap_or(&0)),
            )
        };
        if ![2, 4, 8].contains(&o) || ![2, 4, 8].contains(&l) {
            return malformed(format!(
                "superblock v{version} with address size {o} and length size {l}"
            ));
        }
        let f = File {
            base,
            o,
            l,
            size: r.size(),
        };
        let root_at = if version < 2 {
            24 + if version == 1 { 4 } else { 0 } + 4 * o + o
        } else {
            12 + 3 * o
        };
        let Some(root) = f.addr(sb, root_at) else {
            return malformed(format!(
                "superblock v{version}: root object address missing"
            ));
        };
        let mut visited: HashSet<u64> = HashSet::new();
        let mut queue: Vec<(u64, String)> = vec![(root, String::new())];
        let mut datasets = 0usize;
        let mut damaged = 0usize;
        // Attributes in a fractal heap, said once per file.
        let mut dense = false;
        while let Some((addr, path)) = queue.pop() {
            if visited.len() >= MAX_OBJECTS {
                self.limit(
                    prefix,
                    Limit::Members,
                    format!("hdf5: more than {MAX_OBJECTS} objects; the rest not inspected"),
                );
                break;
            }
            if !visited.insert(addr) || self.out_of_time(prefix) {
                continue;
            }
            let messages = match self.hdf5_messages(&mut r, &f, addr) {
                Ok(m) => m,
                Err(Stop::Malformed(why)) => {
                    self.damaged(
                        prefix,
                        &mut damaged,
                        format!("hdf5 {}: {why}", display(&path)),
                    )?;
                    continue;
                }
                Err(stop) => return Err(stop),
            };
            self.hdf5_attributes(&f, &messages, &path, prefix, depth, &mut damaged)?;
            if !dense
                && messages
                    .iter()
                    .any(|m| m.kind == 0x0015 && attributes_in_heap(&f, &m.body))
            {
                dense = true;
                self.limit(
                    prefix,
                    Limit::Unsupported,
                    format!(
                        "hdf5 {}: attributes in dense storage (fractal heap) are not read, here or in any object after",
                        display(&path)
                    ),
                );
            }
            if messages.iter().any(|m| m.kind == 0x0008) {
                if datasets >= MAX_DATASETS {
                    self.limit(
                        prefix,
                        Limit::Members,
                        format!("hdf5: more than {MAX_DATASETS} datasets; the rest not judged"),
                    );
                    break;
                }
                datasets += 1;
                match self.hdf5_dataset(&mut r, &f, &messages, &path, prefix, depth) {
                    Ok(()) => {}
                    Err(Stop::Malformed(why)) => self.damaged(
                        prefix,
                        &mut damaged,
                        format!("hdf5 {}: {why}", display(&path)),
                    )?,
                    Err(stop) => return Err(stop),
                }
                continue;
            }
            let mut children = Vec::new();
            for m in &messages {
                let found = match m.kind {
                    0x0011 => self.hdf5_symbol_table(&mut r, &f, &m.body, &path),
                    0x0006 => Ok(link(&f, &m.body, &path).into_iter().collect()),
                    // Dense link storage lives in a fractal heap.
                    0x0002 if f.addr(&m.body, 2).is_some() => {
                        malformed("links in dense storage (fractal heap) are not read")
                    }
                    _ => Ok(Vec::new()),
                };
                match found {
                    Ok(c) => children.extend(c),
                    Err(Stop::Malformed(why)) => self.damaged(
                        prefix,
                        &mut damaged,
                        format!("hdf5 {}: {why}", display(&path)),
                    )?,
                    Err(stop) => return Err(stop),
                }
                if children.len() >= MAX_CHILDREN {
                    self.limit(
                        prefix,
                        Limit::Members,
                        format!(
                            "hdf5 {}: {MAX_CHILDREN} links or more; the rest not inspected",
                            display(&path)
                        ),
                    );
                    break;
                }
            }
            // Depth first, in the order the group lists its children.
            queue.extend(children.into_iter().rev());
        }
        Ok(())
    }

    /// The messages of the object header at `addr`, continuations followed.
    fn hdf5_messages(
        &mut self,
        r: &mut Reader<'_, '_, '_>,
        f: &File,
        addr: u64,
    ) -> Step<Vec<Message>> {
        let h = f.read(r, addr, 512)?.into_owned();
        // (block, start, end, header version, v2 flags)
        let mut blocks: Vec<(Vec<u8>, usize, usize, u8, u8)> = Vec::new();
        if h.starts_with(b"OHDR") {
            let flags = *h.get(5).ok_or(Stop::Unreadable(addr))?;
            let mut p =
                6 + if flags & 0x20 != 0 { 16 } else { 0 } + if flags & 0x10 != 0 { 4 } else { 0 };
            let width = 1usize << (flags & 3);
            let n = f.uint(&h, p, width).ok_or(Stop::Unreadable(addr))?;
            p += width;
            if n > MAX_BLOCK {
                return bad("object header", addr);
            }
            let end = p + n as usize;
            let block = if end <= h.len() {
                h
            } else {
                f.read(r, addr, end as u64)?.into_owned()
            };
            if block.len() < end {
                return bad("object header", addr);
            }
            blocks.push((block, p, end, 2, flags));
        } else if h.first() == Some(&1) {
            let n = u64::from(le32(&h, 8).ok_or(Stop::Unreadable(addr))?);
            if n > MAX_BLOCK {
                return bad("object header", addr);
            }
            let end = 16 + n as usize;
            let block = if end <= h.len() {
                h
            } else {
                f.read(r, addr, end as u64)?.into_owned()
            };
            let end = end.min(block.len());
            blocks.push((block, 16, end, 1, 0));
        } else {
            return bad("object header", addr);
        }
        let mut out = Vec::new();
        let mut continuations = 0;
        let mut i = 0;
        while i < blocks.len() {
            let (block, mut p, end, v, flags) = std::mem::take(&mut blocks[i]);
            i += 1;
            let header = if v == 1 {
                8
            } else {
                4 + if flags & 0x04 != 0 { 2 } else { 0 }
            };
            while p + header <= end {
                let (kind, size) = if v == 1 {
                    (
                        le16(&block, p).unwrap_or(0),
                        usize::from(le16(&block, p + 2).unwrap_or(0)),
                    )
                } else {
                    (
                        u16::from(block[p]),
                        usize::from(le16(&block, p + 1).unwrap_or(0)),
                    )
                };
                p += header;
                let body = block.get(p..(p + size).min(end)).unwrap_or(&[]).to_vec();
                p += size;
                if v == 1 {
                    p = p.div_ceil(8) * 8;
                }
                if kind == 0x0010 {
                    continuations += 1;
                    let (Some(at), Some(len)) = (f.addr(&body, 0), f.len(&body, f.o)) else {
                        return bad("continuation message", addr);
                    };
                    if continuations > MAX_CONTINUATIONS || len > MAX_BLOCK {
                        return bad("continuation chain", addr);
                    }
                    let cb = f.read(r, at, len)?.into_owned();
                    let n = cb.len();
                    if cb.starts_with(b"OCHK") {
                        blocks.push((cb, 4, n.saturating_sub(4), 2, flags));
                    } else {
                        blocks.push((cb, 0, n, 1, 0));
                    }
                } else {
                    out.push(Message { kind, body });
                }
                if out.len() > 4096 {
                    return bad("object header", addr);
                }
            }
        }
        Ok(out)
    }

    /// The children of a symbol-table group: (object address, path).
    fn hdf5_symbol_table(
        &mut self,
        r: &mut Reader<'_, '_, '_>,
        f: &File,
        body: &[u8],
        path: &str,
    ) -> Step<Vec<(u64, String)>> {
        let (Some(tree), Some(heap)) = (f.addr(body, 0), f.addr(body, f.o)) else {
            return malformed("symbol table message without addresses");
        };
        let hp = f.read(r, heap, (8 + 2 * f.l + f.o) as u64)?.into_owned();
        if !hp.starts_with(b"HEAP") {
            return bad("local heap", heap);
        }
        let (Some(data_len), Some(data_at)) = (f.len(&hp, 8), f.addr(&hp, 8 + 2 * f.l)) else {
            return bad("local heap", heap);
        };
        let names = f.read(r, data_at, data_len.min(MAX_BLOCK))?.into_owned();
        let mut nodes = Leaves::default();
        self.hdf5_btree(r, f, tree, 0, 0, 0, &mut nodes)?;
        let mut out = Vec::new();
        let entry = 2 * f.o + 24;
        for (node, _) in nodes.found {
            let sn = f.read(r, node, 8 + 64 * entry as u64)?.into_owned();
            if !sn.starts_with(b"SNOD") {
                return bad("symbol table node", node);
            }
            let count = usize::from(le16(&sn, 6).unwrap_or(0));
            for i in 0..count {
                let e = 8 + i * entry;
                let Some(name_at) = f.uint(&sn, e, f.o) else {
                    break;
                };
                // A soft link's entry has no object address: it names a
                // path, whose object is reached by its own hard link.
                let Some(obj) = f.addr(&sn, e + f.o) else {
                    continue;
                };
                let name = names
                    .get(name_at as usize..)
                    .map(|n| {
                        String::from_utf8_lossy(
                            &n[..n.iter().position(|&c| c == 0).unwrap_or(n.len()).min(256)],
                        )
                        .into_owned()
                    })
                    .unwrap_or_default();
                out.push((obj, format!("{path}/{name}")));
                if out.len() >= MAX_CHILDREN {
                    return Ok(out);
                }
            }
        }
        Ok(out)
    }

    /// The leaves of a v1 B-tree, in order: (child address, key bytes).
    /// `kind` 0 = group nodes, 1 = raw data chunks of a `rank`-D dataset.
    #[allow(clippy::too_many_arguments)]
    fn hdf5_btree(
        &mut self,
        r: &mut Reader<'_, '_, '_>,
        f: &File,
        addr: u64,
        kind: u8,
        rank: usize,
        depth: u32,
        out: &mut Leaves,
    ) -> Step<()> {
        if depth > MAX_BTREE_DEPTH || out.found.len() >= MAX_CHILDREN {
            return Ok(());
        }
        if out.nodes.len() >= MAX_BTREE_NODES || !out.nodes.insert(addr) {
            return bad("B-tree (a loop, or too many nodes)", addr);
        }
        let head = f.read(r, addr, (8 + 2 * f.o) as u64)?.into_owned();
        if !head.starts_with(b"TREE") || head.get(4) != Some(&kind) {
            return bad("B-tree node", addr);
        }
        let Some(&node_level) = head.get(5) else {
            return bad("B-tree node", addr);
        };
        let used = usize::from(le16(&head, 6).unwrap_or(0));
        let key = if kind == 0 { f.l } else { 8 + 8 * (rank + 1) };
        let body_len = (used + 1) * key + used * f.o;
        let body = f
            .read(r, addr + (8 + 2 * f.o) as u64, body_len as u64)?
            .into_owned();
        for i in 0..used {
            let k = i * (key + f.o);
            let Some(child) = f.addr(&body, k + key) else {
                return bad("B-tree node", addr);
            };
            if node_level == 0 {
                out.found
                    .push((child, body.get(k..k + key).unwrap_or(&[]).to_vec()));
            } else {
                self.hdf5_btree(r, f, child, kind, rank, depth + 1, out)?;
            }
            if out.found.len() >= MAX_CHILDREN || (kind == 1 && out.found.len() >= MAX_CHUNKS) {
                break;
            }
        }
        Ok(())
    }

    /// Judges one dataset: its first chunk(s) decoded, the planned slice read.
    fn hdf5_dataset(
        &mut self,
        r: &mut Reader<'_, '_, '_>,
        f: &File,
        messages: &[Message],
        path: &str,
        prefix: &str,
        depth: u32,
    ) -> Step<()> {
        let find = |k: u16| {
            messages
                .iter()
                .find(|m| m.kind == k)
                .map(|m| m.body.as_slice())
        };
        let (Some(space), Some(ty), Some(layout)) = (find(0x0001), find(0x0003), find(0x0008))
        else {
            return malformed("dataset without dataspace, datatype or layout");
        };
        // A dataset of bytes (`uint8`, `int8`) holds no samples, but may hold
        // a whole file (`np.frombuffer(wav, np.uint8)` stored as is).
        let bytes = one_byte(ty);
        let Some((dtype, big_endian)) = datatype(ty).or(bytes.then_some((Dtype::I16, false)))
        else {
            // Variable-length sequences (h5py's `vlen_dtype(np.uint8)`, a
            // clip a row, kept in the global heap) and opaque values
            // (`np.void(mp3)`) hold whole files this reader does not
            // follow: said, never passed over.
            if let Some(what) = unread_bytes(ty) {
                self.limit(
                    prefix,
                    Limit::Unsupported,
                    format!("hdf5 {}: a dataset of {what} is not read", display(path)),
                );
            }
            return Ok(());
        };
        let shape = dataspace(f, space)
            .ok_or_else(|| Stop::Malformed("dataspace does not parse".into()))?;
        let filters = match find(0x000B) {
            Some(p) => pipeline(p)
                .ok_or_else(|| Stop::Malformed("filter pipeline does not parse".into()))?,
            None => Vec::new(),
        };
        if let Some(id) = filters
            .iter()
            .find(|id| ![1, 2, 3, 32000, 32015].contains(*id))
        {
            return malformed(format!("filter {id} is not decoded"));
        }
        let layout = parse_layout(f, layout)
            .ok_or_else(|| Stop::Malformed("layout message not supported".into()))?;
        let elem = if bytes { 1 } else { dtype.size() as u64 };
        let Some(budget) = self.remaining(prefix) else {
            return Ok(());
        };
        // Bytes are judged by their head, as a file's first bytes name it
        // (an image dataset's pixels are not read on).
        let want = match bytes {
            true => (crate::sniff::HEAD_LEN as u64).min(budget),
            false => ((MAX_WAVEFORM as u64) * 2 * elem).min(budget),
        };
        let name = if path.is_empty() {
            "/".to_string()
        } else {
            path.to_string()
        };
        // Numbers stored in one piece are read where they lie, as any
        // tensor is: the first slice, then the middle of a longer signal
        // (a recording that opens on seconds of room noise).
        if let Layout::Contiguous { addr, .. } = layout {
            if !bytes && super::plan(&shape).is_some() {
                let at = f.base.checked_add(addr).ok_or(Stop::Unreadable(addr))?;
                return match self.tensor(r, prefix, &name, at, dtype, big_endian, &shape) {
                    Ok(_) | Err(Stop::Unreadable(_)) => Ok(()),
                    Err(stop) => Err(stop),
                };
            }
        }
        // (data, the shape it has): a whole dataset's start, or its first chunk.
        let (data, data_shape): (Vec<u8>, Vec<u64>) = match layout {
            Layout::Compact(d) => (d, shape.clone()),
            Layout::Contiguous { addr, size } => {
                (f.read(r, addr, size.min(want))?.into_owned(), shape.clone())
            }
            Layout::BTree { chunk, addr } => {
                let mut leaves = Leaves::default();
                self.hdf5_btree(r, f, addr, 1, chunk.len(), 0, &mut leaves)?;
                let chunks = leaves.found.into_iter().map(|(a, key)| {
                    let size = u64::from(le32(&key, 0).unwrap_or(0));
                    let mask = le32(&key, 4).unwrap_or(0);
                    (a, size, mask)
                });
                self.hdf5_chunks(
                    r,
                    f,
                    chunks.collect(),
                    &chunk,
                    &shape,
                    elem,
                    &filters,
                    want,
                    prefix,
                    &name,
                )?
            }
            Layout::Indexed {
                chunk,
                index,
                addr,
                single,
            } => {
                let chunk_bytes = chunk
                    .iter()
                    .try_fold(elem, |a, &d| a.checked_mul(d))
                    .unwrap_or(u64::MAX);
                let chunks: Vec<(u64, u64, u32)> = match index {
                    1 => vec![match single {
                        Some((size, mask)) => (addr, size, mask),
                        None => (addr, chunk_bytes, 0),
                    }],
                    // Implicit: unfiltered chunks back to back, as many as the dataspace needs.
                    2 => {
                        let n = match (&shape[..], chunk.first()) {
                            ([len], Some(&c)) => len.div_ceil(c.max(1)),
                            _ => 1,
                        };
                        (0..n.min(MAX_CHUNKS as u64))
                            .map(|i| {
                                (
                                    addr.saturating_add(i.saturating_mul(chunk_bytes)),
                                    chunk_bytes,
                                    0,
                                )
                            })
                            .collect()
                    }
                    3 => self.hdf5_fixed_array(r, f, addr, !filters.is_empty(), chunk_bytes)?,
                    other => {
                        return malformed(format!(
                            "chunk index type {other} (extensible array or v2 B-tree) is not read"
                        ))
                    }
                };
                self.hdf5_chunks(
                    r, f, chunks, &chunk, &shape, elem, &filters, want, prefix, &name,
                )?
            }
        };
        self.spent += data.len() as u64;
        let held = Held {
            data: &data,
            shape: &shape,
            data_shape: &data_shape,
            bytes,
            dtype,
            big_endian,
        };
        self.hdf5_judge(&held, &name, prefix, depth)
    }

    /// The attributes of an object kept in its header (up to 64 KiB
    /// each): judged as datasets' values are, named `PATH@NAME`.
    fn hdf5_attributes(
        &mut self,
        f: &File,
        messages: &[Message],
        path: &str,
        prefix: &str,
        depth: u32,
        damaged: &mut usize,
    ) -> Step<()> {
        let mut judged = 0;
        for m in messages {
            if m.kind != 0x000C {
                continue;
            }
            let Some(a) = attribute(f, &m.body) else {
                let why = format!(
                    "hdf5 {}: an attribute message does not parse",
                    display(path)
                );
                self.damaged(prefix, damaged, why)?;
                continue;
            };
            let bytes = one_byte(a.datatype) || a.datatype.first().is_some_and(|c| c & 0x0f == 5);
            let Some((dtype, big_endian)) =
                datatype(a.datatype).or(bytes.then_some((Dtype::I16, false)))
            else {
                continue;
            };
            if judged == MAX_ATTRIBUTES {
                self.limit(
                    prefix,
                    Limit::Members,
                    format!(
                        "hdf5 {}: more than {MAX_ATTRIBUTES} attributes; the rest not judged",
                        display(path)
                    ),
                );
                return Ok(());
            }
            judged += 1;
            // A scalar attribute of an opaque type is one value of its size.
            let shape = match a.shape {
                ref s if s.is_empty() && bytes => vec![a.data.len() as u64],
                s => s,
            };
            let held = Held {
                data: a.data,
                shape: &shape,
                data_shape: &shape,
                bytes,
                dtype,
                big_endian,
            };
            let name = format!("{}@{}", display(path), a.name);
            match self.hdf5_judge(&held, &name, prefix, depth) {
                Ok(()) | Err(Stop::Malformed(_)) => {}
                Err(stop) => return Err(stop),
            }
        }
        Ok(())
    }

    /// Judges the values of a dataset: bytes sniffed as a file, numbers
    /// as samples.
    fn hdf5_judge(&mut self, held: &Held<'_>, name: &str, prefix: &str, depth: u32) -> Step<()> {
        let data = held.data;
        if held.bytes {
            // A shape whose product overflows declares more than any file
            // holds: the bytes read are what there is.
            let total = held.shape.iter().try_fold(1u64, |a, &d| a.checked_mul(d));
            let total = total.unwrap_or(data.len() as u64).max(data.len() as u64);
            let s = self.sniff_bytes(data, total);
            if super::tensors::names_a_file(&s) {
                self.keep(prefix, name, data, total, depth, s);
            }
            return Ok(());
        }
        let (dtype, big_endian, data_shape) = (held.dtype, held.big_endian, held.data_shape);
        match self.tensor_held(data, prefix, name, 0, dtype, big_endian, data_shape) {
            Ok(false) if super::plan(data_shape).is_none() => {
                self.frames_held(data, prefix, name, dtype, big_endian, data_shape);
                Ok(())
            }
            Ok(_) | Err(Stop::Unreadable(_)) => Ok(()),
            Err(stop) => Err(stop),
        }
    }

    /// Entries of a fixed-array chunk index (`FAHD` → `FADB`): (address, size, mask).
    fn hdf5_fixed_array(
        &mut self,
        r: &mut Reader<'_, '_, '_>,
        f: &File,
        addr: u64,
        filtered: bool,
        chunk_bytes: u64,
    ) -> Step<Vec<(u64, u64, u32)>> {
        let head = f.read(r, addr, (12 + f.l + f.o) as u64)?.into_owned();
        if !head.starts_with(b"FAHD") {
            return bad("fixed array header", addr);
        }
        let (Some(&entry), Some(&page_bits)) = (head.get(6), head.get(7)) else {
            return bad("fixed array header", addr);
        };
        let (entry, page_bits) = (usize::from(entry), u32::from(page_bits));
        let count = f.len(&head, 8).unwrap_or(0);
        if page_bits < 64 && count > 1u64 << page_bits {
            return malformed("paged fixed arrays are not read");
        }
        let Some(block) = f.addr(&head, 8 + f.l) else {
            return bad("fixed array header", addr);
        };
        let n = count.min(MAX_CHUNKS as u64) as usize;
        let db = f.read(r, block, (6 + f.o + n * entry) as u64)?.into_owned();
        if !db.starts_with(b"FADB") || entry < f.o || (filtered && entry < f.o + 5) {
            return bad("fixed array data block", block);
        }
        let mut out = Vec::new();
        for i in 0..n {
            let e = 6 + f.o + i * entry;
            let Some(a) = f.addr(&db, e) else { continue };
            if filtered {
                let width = entry - f.o - 4;
                let size = f.uint(&db, e + f.o, width).unwrap_or(0);
                let mask = le32(&db, e + f.o + width).unwrap_or(0);
                out.push((a, size, mask));
            } else {
                out.push((a, chunk_bytes, 0));
            }
        }
        Ok(out)
    }

    /// Reads and unfilters chunks in order until enough samples: for 1-D
    /// datasets the chunks are concatenated; otherwise the first chunk alone
    /// is judged with the chunk's own shape.
    #[allow(clippy::too_many_arguments)]
    fn hdf5_chunks(
        &mut self,
        r: &mut Reader<'_, '_, '_>,
        f: &File,
        chunks: Vec<(u64, u64, u32)>,
        chunk: &[u64],
        shape: &[u64],
        elem: u64,
        filters: &[u16],
        want: u64,
        prefix: &str,
        name: &str,
    ) -> Step<(Vec<u8>, Vec<u64>)> {
        let chunk_bytes = chunk
            .iter()
            .try_fold(elem, |a, &d| a.checked_mul(d))
            .unwrap_or(u64::MAX);
        let mut out = Vec::new();
        let mut read = 0;
        for (addr, size, mask) in chunks.into_iter().take(MAX_CHUNKS) {
            let raw = f.read(
                r,
                addr,
                size.min(chunk_bytes.saturating_add(1 << 16))
                    .min(want + (1 << 16)),
            )?;
            let mut data = raw.into_owned();
            for (k, id) in filters.iter().enumerate().rev() {
                if k < 32 && mask >> k & 1 != 0 {
                    continue;
                }
                data = match id {
                    1 => decompress(Codec::Zlib, &data, chunk_bytes.min(want) as usize),
                    32000 => decompress(Codec::Lzf, &data, chunk_bytes.min(want) as usize),
                    // hdf5plugin / h5py's Zstandard filter: one zstd frame.
                    32015 => decompress(Codec::Zstd, &data, chunk_bytes.min(want) as usize),
                    3 => {
                        data.truncate(data.len().saturating_sub(4));
                        data
                    }
                    // Shuffle needs the whole chunk: byte planes of `elem`.
                    2 if data.len() as u64 == chunk_bytes => unshuffle(&data, elem as usize),
                    2 => return malformed("shuffled chunk larger than the budget"),
                    _ => data,
                };
            }
            out.extend_from_slice(&data[..data.len().min(chunk_bytes as usize)]);
            read += 1;
            if shape.len() != 1 || out.len() as u64 >= want {
                break;
            }
        }
        // A vector in more chunks than are read, stopped short of what it
        // holds and of one judge's worth of samples: said, not passed over.
        let held = shape.first().map_or(0, |&n| n.saturating_mul(elem));
        let judged = (MAX_WAVEFORM as u64).saturating_mul(elem).min(want);
        if shape.len() == 1 && read >= MAX_CHUNKS && (out.len() as u64) < judged.min(held) {
            self.limit(
                prefix,
                Limit::Unsupported,
                format!(
                    "hdf5: {name}: its first {MAX_CHUNKS} chunks ({} of {} samples) read; the rest not inspected",
                    out.len() as u64 / elem.max(1),
                    shape[0]
                ),
            );
        }
        let shape = if shape.len() == 1 {
            vec![(out.len() as u64 / elem).min(shape[0])]
        } else {
            chunk.to_vec()
        };
        Ok((out, shape))
    }
}

/// `dataset /path` as people name HDF5 objects.
fn display(path: &str) -> String {
    if path.is_empty() {
        "/".into()
    } else {
        path.into()
    }
}

/// A link message (new-style groups): the hard link's target and path.
fn link(f: &File, b: &[u8], path: &str) -> Option<(u64, String)> {
    let flags = *b.get(1)?;
    let mut p = 2;
    let mut kind = 0;
    if flags & 0x08 != 0 {
        kind = *b.get(p)?;
        p += 1;
    }
    if flags & 0x04 != 0 {
        p += 8;
    }
    if flags & 0x10 != 0 {
        p += 1;
    }
    let width = 1usize << (flags & 3);
    let n = f.uint(b, p, width)? as usize;
    p += width;
    let name = String::from_utf8_lossy(b.get(p..p.checked_add(n)?)?).into_owned();
    p += n;
    (kind == 0).then(|| f.addr(b, p).map(|a| (a, format!("{path}/{name}"))))?
}

/// Dataspace message: the dimensions.
fn dataspace(f: &File, b: &[u8]) -> Option<Vec<u64>> {
    let rank = usize::from(*b.get(1)?);
    let at = match b.first()? {
        1 => 8,
        2 => 4,
        _ => return None,
    };
    if rank > 32 {
        return None;
    }
    (0..rank).map(|i| f.len(b, at + i * f.l)).collect()
}

/// An attribute message: its name, datatype, dataspace dimensions and
/// values (cut where the message ends). Versions 1 to 3: in version 1 the
/// name, datatype and dataspace are each padded to 8 bytes, and version 3
/// adds the name's character set.
struct Attribute<'b> {
    name: String,
    datatype: &'b [u8],
    shape: Vec<u64>,
    data: &'b [u8],
}

fn attribute<'b>(f: &File, b: &'b [u8]) -> Option<Attribute<'b>> {
    let (mut p, pad): (usize, usize) = match *b.first()? {
        1 => (8, 8),
        2 => (8, 1),
        3 => (9, 1),
        _ => return None,
    };
    let mut field = |len: usize| {
        let bytes = b.get(p..p.checked_add(len)?)?;
        p += len.div_ceil(pad) * pad;
        Some(bytes)
    };
    let (name_len, type_len, space_len) = (le16(b, 2)?, le16(b, 4)?, le16(b, 6)?);
    let name = field(usize::from(name_len))?;
    let datatype = field(usize::from(type_len))?;
    let space = field(usize::from(space_len))?;
    let shape = dataspace(f, space)?;
    let elem = u64::from(le32(datatype, 4)?);
    let len = shape
        .iter()
        .try_fold(elem, |a, &d| a.checked_mul(d))
        .unwrap_or(u64::MAX);
    let data = b.get(p.min(b.len())..)?;
    let data = &data[..data.len().min(usize::try_from(len).unwrap_or(usize::MAX))];
    let name = name.split(|&c| c == 0).next().unwrap_or_default();
    Some(Attribute {
        name: String::from_utf8_lossy(name).into_owned(),
        datatype,
        shape,
        data,
    })
}

/// An attribute info message whose fractal heap address is defined: the
/// object's attributes are kept there, not in its header.
fn attributes_in_heap(f: &File, b: &[u8]) -> bool {
    let at = if b.get(1).is_some_and(|flags| flags & 1 != 0) {
        4
    } else {
        2
    };
    f.addr(b, at).is_some()
}

/// Datatype message: numeric classes of waveform sizes, with byte order.
fn datatype(b: &[u8]) -> Option<(Dtype, bool)> {
    let class = b.first()? & 0x0f;
    let bits = *b.get(1)?;
    let size = le32(b, 4)?;
    let big_endian = bits & 1 != 0;
    let dtype = match (class, size, bits & 0x08 != 0) {
        (0, 2, true) => Dtype::I16,
        (0, 4, true) => Dtype::I32,
        (0, 8, true) => Dtype::I64,
        (1, 2, _) => Dtype::F16,
        (1, 4, _) => Dtype::F32,
        (1, 8, _) => Dtype::F64,
        _ => return None,
    };
    Some((dtype, big_endian))
}

/// What a datatype that may hold whole files, but is not read, holds:
/// variable-length sequences (not strings) and opaque values.
fn unread_bytes(b: &[u8]) -> Option<&'static str> {
    match (b.first()? & 0x0f, b.get(1)? & 0x0f) {
        (9, 0) => Some("variable-length sequences"),
        (5, _) => Some("opaque values"),
        _ => None,
    }
}

/// Datatype message of a one-byte integer (signed or not).
fn one_byte(b: &[u8]) -> bool {
    b.first().is_some_and(|c| c & 0x0f == 0) && le32(b, 4) == Some(1)
}

/// Filter pipeline message: the filter ids, in pipeline order.
fn pipeline(b: &[u8]) -> Option<Vec<u16>> {
    let version = *b.first()?;
    let count = usize::from(*b.get(1)?);
    let mut p = match version {
        1 => 8,
        2 => 2,
        _ => return None,
    };
    let mut ids = Vec::new();
    for _ in 0..count.min(32) {
        let id = le16(b, p)?;
        p += 2;
        let mut name_len = 0usize;
        if version == 1 || id >= 256 {
            name_len = usize::from(le16(b, p)?);
            p += 2;
        }
        p += 2; // flags
        let values = usize::from(le16(b, p)?);
        p += 2;
        p += if version == 1 {
            name_len.div_ceil(8) * 8
        } else {
            name_len
        };
        p += 4 * values
            + if version == 1 && values % 2 == 1 {
                4
            } else {
                0
            };
        ids.push(id);
    }
    Some(ids)
}

/// Layout message v3–v5.
fn parse_layout(f: &File, b: &[u8]) -> Option<Layout> {
    let version = *b.first()?;
    let class = *b.get(1)?;
    match (version, class) {
        (3..=5, 0) => {
            let n = usize::from(le16(b, 2)?);
            Some(Layout::Compact(b.get(4..4 + n)?.to_vec()))
        }
        (3..=5, 1) => Some(Layout::Contiguous {
            addr: f.addr(b, 2)?,
            size: f.len(b, 2 + f.o)?,
        }),
        (3, 2) => {
            let nd = usize::from(*b.get(2)?);
            if !(2..=33).contains(&nd) {
                return None;
            }
            let addr = f.addr(b, 3)?;
            let chunk = (0..nd - 1)
                .map(|i| le32(b, 3 + f.o + 4 * i).map(u64::from))
                .collect::<Option<Vec<_>>>()?;
            Some(Layout::BTree { chunk, addr })
        }
        (4 | 5, 2) => {
            let flags = *b.get(2)?;
            let nd = usize::from(*b.get(3)?);
            let width = usize::from(*b.get(4)?);
            if !(2..=33).contains(&nd) || !(1..=8).contains(&width) {
                return None;
            }
            let mut p = 5;
            let mut chunk = Vec::new();
            for i in 0..nd {
                let d = f.uint(b, p, width)?;
                if i < nd - 1 {
                    chunk.push(d);
                }
                p += width;
            }
            let index = *b.get(p)?;
            p += 1;
            let mut single = None;
            match index {
                1 if flags & 0x02 != 0 => {
                    single = Some((f.len(b, p)?, le32(b, p + f.l)?));
                    p += f.l + 4;
                }
                1 | 2 => {}
                3 => p += 1,
                4 => p += 5,
                5 => p += 6,
                _ => return None,
            }
            Some(Layout::Indexed {
                chunk,
                index,
                addr: f.addr(b, p)?,
                single,
            })
        }
        _ => None,
    }
}

/// Undoes the shuffle filter: byte plane k holds byte k of every element.
fn unshuffle(b: &[u8], elem: usize) -> Vec<u8> {
    let n = b.len() / elem.max(1);
    if n == 0 {
        return b.to_vec();
    }
    let mut out = vec![0u8; n * elem];
    for (k, plane) in b.chunks_exact(n.max(1)).take(elem).enumerate() {
        for (i, &x) in plane.iter().enumerate() {
            out[i * elem + k] = x;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::unpack::datasets::test_inside as inside_of;

    const LATEST: &[u8] = include_bytes!("../../../fixtures/datasets/hdf5/wave-libver-latest.h5");
    const GROUPED: &[u8] = include_bytes!("../../../fixtures/datasets/hdf5/utterances-grouped.h5");

    #[test]
    fn fixed_array_and_symbol_table_files_yield_their_waveforms() {
        assert_eq!(inside_of(LATEST).0, vec!["/audio[:] waveform".to_string()]);
        assert_eq!(inside_of(GROUPED).0.len(), 3);
        // Every cut ends quietly, with a limit or nothing.
        for data in [LATEST, GROUPED] {
            for cut in (8..data.len()).step_by(data.len() / 9) {
                let (members, _) = inside_of(&data[..cut]);
                assert!(members.len() <= 3);
            }
        }
    }

    /// A soft link's symbol-table entry has no object address; the
    /// entries after it in the group are read all the same.
    #[test]
    fn a_soft_link_does_not_hide_the_entries_after_it() {
        let linked = include_bytes!("../../../fixtures/datasets/hdf5/softlink-then-wave.h5");
        assert_eq!(
            inside_of(linked),
            (vec!["/zz_audio[:] waveform".to_string()], vec![])
        );
    }

    /// h5py: an int16 waveform as a dataset's attribute, a WAV's bytes as
    /// a group's opaque attribute (`np.void`), and a number and a string
    /// on the root; then, with `libver="latest"`, nine attributes, which
    /// HDF5 keeps in a fractal heap.
    #[test]
    fn attributes_are_judged_and_a_heap_of_them_is_a_limit() {
        let attributes = include_bytes!("testdata/attributes.h5");
        assert_eq!(
            inside_of(attributes),
            (
                vec![
                    "/labels@audio[:] waveform".to_string(),
                    "/raw@clip wav".to_string()
                ],
                vec![]
            )
        );
        let dense = include_bytes!("testdata/attributes-dense.h5");
        assert_eq!(
            inside_of(dense),
            (
                vec![],
                vec!["hdf5 /: attributes in dense storage (fractal heap) are not read, here or in any object after".to_string()]
            )
        );
        // 65 number attributes on the root (h5py, kept in its header): 64
        // are judged, and the rest said so.
        let many = include_bytes!("testdata/attributes-65.h5");
        assert_eq!(
            inside_of(many),
            (
                vec![],
                vec!["hdf5 /: more than 64 attributes; the rest not judged".to_string()]
            )
        );
        // An attribute message cut anywhere parses or is refused, quietly.
        let f = File {
            base: 0,
            o: 8,
            l: 8,
            size: 1 << 20,
        };
        let mut message = vec![1, 0, 6, 0, 12, 0, 16, 0];
        message.extend(b"audio\0\0\0");
        message.extend([0x10, 0x08, 0, 0, 2, 0, 0, 0, 0, 0, 0x10, 0, 0, 0, 0, 0]);
        message.extend([1, 1, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0]);
        message.extend([1, 0, 2, 0, 3, 0]);
        let a = attribute(&f, &message).unwrap();
        assert_eq!(
            (a.name.as_str(), a.shape.as_slice(), a.data),
            ("audio", &[3u64][..], &[1, 0, 2, 0, 3, 0][..])
        );
        for cut in 0..message.len() {
            let _ = attribute(&f, &message[..cut]);
        }
    }

    #[test]
    fn zstd_filtered_chunks_are_decoded() {
        // h5py + hdf5plugin.Zstd: int16, two chunks of 4000 samples.
        let zstd = include_bytes!("testdata/wave-zstd.h5");
        assert_eq!(
            inside_of(zstd),
            (vec!["/wave[:] waveform".to_string()], vec![])
        );
    }

    /// h5py: a WAV of a quarter second of espeak-ng speech as a row of a
    /// `vlen_dtype(np.uint8)` dataset (in the global heap, not read), and
    /// a dataset of variable-length strings. The WAV's header is found in
    /// the file's bytes, the dataset is a limit; the strings are neither.
    #[test]
    fn a_variable_length_dataset_is_a_limit_and_its_recording_found() {
        let file = include_bytes!("testdata/vlen-wav.h5");
        assert_eq!(
            inside_of(file),
            (
                vec!["embedded@2096 wav".to_string()],
                vec!["hdf5 /audio: a dataset of variable-length sequences is not read".to_string()]
            )
        );
    }

    /// A vector in more chunks than are read: judged from those read,
    /// and the rest is a limit that says how much was seen.
    #[test]
    fn tiny_chunks_are_read_to_a_bound_that_is_reported() {
        // h5py: int16, chunks of 16 (8,000 samples) and of 4 (4,000).
        let sixteen = include_bytes!("testdata/wave-chunks16.h5");
        let (members, limits) = inside_of(sixteen);
        assert_eq!(members, vec!["/wave[:] waveform".to_string()]);
        assert_eq!(
            limits,
            vec![
                "hdf5: /wave: its first 128 chunks (2048 of 8000 samples) read; the rest not inspected"
                    .to_string()
            ]
        );
        let four = include_bytes!("testdata/wave-chunks4.h5");
        let (members, limits) = inside_of(four);
        assert!(members.is_empty());
        assert!(limits[0].contains("(512 of 4000 samples)"), "{limits:?}");
    }

    /// A contiguous dataset of 200,000 int16 samples (h5py, zeros, its
    /// data at 2048), filled here: faint noise for 100,000 samples, then
    /// speech. What was read first (65,536 samples) holds noise alone; the
    /// middle is judged too.
    #[test]
    fn a_contiguous_signal_that_opens_on_noise_is_judged_in_its_middle() {
        let gz = include_bytes!("testdata/contiguous-i16.h5.gz");
        let (mut h5, _, _) = crate::unpack::streams::decompress_counted("gzip", gz, 1 << 20);
        assert_eq!(h5.len(), 2048 + 400_000);
        let noise = crate::sniff::testutil::pseudo_random(100_000, 5)
            .into_iter()
            .map(|b| (f32::from(b) - 128.0) / 128.0 * 0.0008);
        let signal: Vec<f32> = noise
            .chain(crate::sniff::dataset::speechy(100_000))
            .collect();
        for (i, x) in signal.iter().enumerate() {
            let v = (x * 32767.0) as i16;
            h5[2048 + 2 * i..2048 + 2 * i + 2].copy_from_slice(&v.to_le_bytes());
        }
        let (members, limits) = inside_of(&h5);
        assert_eq!(
            members,
            vec!["/voice[83616:] waveform".to_string()],
            "{limits:?}"
        );
    }

    fn file() -> File {
        File {
            base: 0,
            o: 8,
            l: 8,
            size: 1 << 20,
        }
    }

    #[test]
    fn messages_of_a_dataset_parse() {
        // Dataspace v1, rank 2: [2, 8000].
        let mut space = vec![1, 2, 0, 0, 0, 0, 0, 0];
        space.extend(2u64.to_le_bytes());
        space.extend(8000u64.to_le_bytes());
        assert_eq!(dataspace(&file(), &space), Some(vec![2, 8000]));
        assert_eq!(dataspace(&file(), &space[..12]), None);
        // Little-endian signed 16-bit integers; big-endian float32; unsigned bytes.
        assert_eq!(
            datatype(&[0x10, 0x08, 0, 0, 2, 0, 0, 0]),
            Some((Dtype::I16, false))
        );
        assert_eq!(
            datatype(&[0x11, 0x01, 0, 0, 4, 0, 0, 0]),
            Some((Dtype::F32, true))
        );
        assert_eq!(datatype(&[0x10, 0x00, 0, 0, 1, 0, 0, 0]), None);
        // Filter pipeline v2: shuffle (no name), then deflate with one value.
        let p = [2, 2, 2, 0, 1, 0, 0, 0, 1, 0, 1, 0, 1, 0, 6, 0, 0, 0];
        assert_eq!(pipeline(&p), Some(vec![2, 1]));
        assert_eq!(pipeline(&p[..9]), None);
        // Layout v3 contiguous; v4 chunked with a fixed array.
        let mut c = vec![3, 1];
        c.extend(4096u64.to_le_bytes());
        c.extend(16000u64.to_le_bytes());
        assert_eq!(
            parse_layout(&file(), &c),
            Some(Layout::Contiguous {
                addr: 4096,
                size: 16000
            })
        );
        let mut v4 = vec![4, 2, 0, 2, 4];
        v4.extend(2048u32.to_le_bytes());
        v4.extend(4u32.to_le_bytes());
        v4.extend([3, 10]);
        v4.extend(800u64.to_le_bytes());
        assert_eq!(
            parse_layout(&file(), &v4),
            Some(Layout::Indexed {
                chunk: vec![2048],
                index: 3,
                addr: 800,
                single: None
            })
        );
        // An address past the end of the file, a rank of 200.
        let mut far = vec![3, 1];
        far.extend((2u64 << 20).to_le_bytes());
        far.extend(1u64.to_le_bytes());
        assert_eq!(parse_layout(&file(), &far), None);
        assert_eq!(parse_layout(&file(), &[3, 2, 200]), None);
    }

    #[test]
    fn links_and_shuffle() {
        // Link message v1, flags: name length in 1 byte; "audio" → 0x300.
        let mut l = vec![1, 0, 5];
        l.extend(b"audio");
        l.extend(0x300u64.to_le_bytes());
        assert_eq!(link(&file(), &l, ""), Some((0x300, "/audio".into())));
        assert_eq!(link(&file(), &l[..8], ""), None);
        assert_eq!(unshuffle(&[1, 3, 2, 4], 2), vec![1, 2, 3, 4]);
        assert_eq!(unshuffle(&[], 4), Vec::<u8>::new());
        assert_eq!(
            unshuffle(&[9, 8, 7], 4),
            vec![9, 8, 7],
            "shorter than one element"
        );
    }
}
