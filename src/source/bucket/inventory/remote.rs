//! Reading inventory files with ranged GETs of bounded size: a CSV file is
//! streamed in chunks, a Parquet file is read through a small block cache,
//! so a 500 MB inventory file never sits in memory. Every request goes
//! through the run's HTTP layer and counts in `summary.requests`.

use std::io::{self, Read};
use std::ops::Range;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use object_store::path::Path as KeyPath;
use object_store::{GetOptions, GetRange, ObjectStore, ObjectStoreExt};

/// Bytes per GET when streaming a file from start to end …
pub(super) const STREAM_CHUNK: u64 = 8 << 20;
/// … and when only its first rows are wanted.
pub(super) const PEEK_CHUNK: u64 = 256 << 10;
/// Parquet reads go through blocks of this size …
const BLOCK: u64 = 1 << 20;
/// … of which this many are kept (a row group's projected columns are read
/// side by side, each from its own column chunk).
const BLOCKS_KEPT: usize = 24;

/// One object of the inventory's bucket.
#[derive(Clone)]
pub(super) struct RemoteFile {
    pub store: Arc<dyn ObjectStore>,
    pub runtime: Arc<tokio::runtime::Runtime>,
    pub key: KeyPath,
    pub size: u64,
}

impl RemoteFile {
    /// One ranged GET (never a suffix range: Azure rejects those).
    pub(super) fn fetch(&self, range: Range<u64>) -> Result<Bytes, object_store::Error> {
        let options = GetOptions {
            range: Some(GetRange::Bounded(range)),
            ..Default::default()
        };
        self.runtime
            .block_on(async { self.store.get_opts(&self.key, options).await?.bytes().await })
    }

    /// The whole object, refused past `max` bytes (manifests, checksums).
    pub(super) fn read_small(
        store: &Arc<dyn ObjectStore>,
        runtime: &tokio::runtime::Runtime,
        key: &KeyPath,
        max: u64,
    ) -> Result<Bytes, object_store::Error> {
        runtime.block_on(async {
            let got = store.get(key).await?;
            if got.meta.size > max {
                return Err(object_store::Error::Generic {
                    store: "inventory",
                    source: format!("{key} is larger than {} KiB", max >> 10).into(),
                });
            }
            got.bytes().await
        })
    }
}

fn io_error(e: object_store::Error) -> io::Error {
    io::Error::other(super::super::one_line(&e))
}

/// The file from start to end, `step` bytes per request.
pub(super) struct Stream {
    file: RemoteFile,
    pos: u64,
    step: u64,
    chunk: Bytes,
}

impl Stream {
    pub(super) fn new(file: RemoteFile, step: u64) -> Stream {
        Stream {
            file,
            pos: 0,
            step: step.max(1),
            chunk: Bytes::new(),
        }
    }
}

impl Read for Stream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.chunk.is_empty() {
            if self.pos >= self.file.size {
                return Ok(0);
            }
            let end = (self.pos + self.step).min(self.file.size);
            self.chunk = self.file.fetch(self.pos..end).map_err(io_error)?;
            if self.chunk.is_empty() {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "the inventory file ended before its listed size",
                ));
            }
            self.pos += self.chunk.len() as u64;
        }
        let n = buf.len().min(self.chunk.len());
        buf[..n].copy_from_slice(&self.chunk[..n]);
        let _ = self.chunk.split_to(n);
        Ok(n)
    }
}

/// Random access for the Parquet reader: aligned blocks, least recently
/// used dropped first; reads longer than a block go straight to the store.
pub(super) struct Blocks {
    file: RemoteFile,
    kept: Mutex<Vec<(u64, Bytes)>>,
}

impl Blocks {
    pub(super) fn new(file: RemoteFile) -> Blocks {
        Blocks {
            file,
            kept: Mutex::new(Vec::new()),
        }
    }

    pub(super) fn len(&self) -> u64 {
        self.file.size
    }

    fn block(&self, index: u64) -> io::Result<Bytes> {
        {
            let mut kept = self.kept.lock().unwrap_or_else(|e| e.into_inner());
            if let Some(at) = kept.iter().position(|(i, _)| *i == index) {
                let hit = kept.remove(at);
                let bytes = hit.1.clone();
                kept.push(hit);
                return Ok(bytes);
            }
        }
        let start = index * BLOCK;
        let end = (start + BLOCK).min(self.file.size);
        let bytes = self.file.fetch(start..end).map_err(io_error)?;
        let mut kept = self.kept.lock().unwrap_or_else(|e| e.into_inner());
        if kept.len() >= BLOCKS_KEPT {
            kept.remove(0);
        }
        kept.push((index, bytes.clone()));
        Ok(bytes)
    }

    /// `len` bytes at `start` (fewer only at the end of the file).
    pub(super) fn bytes(&self, start: u64, len: usize) -> io::Result<Bytes> {
        let end = (start + len as u64).min(self.file.size);
        if start >= end {
            return Ok(Bytes::new());
        }
        if end - start > BLOCK {
            return self.file.fetch(start..end).map_err(io_error);
        }
        let (first, last) = (start / BLOCK, (end - 1) / BLOCK);
        let head = self.block(first)?;
        let from = (start - first * BLOCK) as usize;
        if first == last {
            let to = (end - first * BLOCK) as usize;
            return Ok(head.slice(from.min(head.len())..to.min(head.len())));
        }
        let tail = self.block(last)?;
        let mut joined = Vec::with_capacity((end - start) as usize);
        joined.extend_from_slice(&head[from.min(head.len())..]);
        let to = ((end - last * BLOCK) as usize).min(tail.len());
        joined.extend_from_slice(&tail[..to]);
        Ok(Bytes::from(joined))
    }
}

/// A reader from an offset on, through the blocks.
pub(super) struct BlockRead {
    blocks: Arc<Blocks>,
    pos: u64,
}

impl BlockRead {
    pub(super) fn new(blocks: Arc<Blocks>, pos: u64) -> BlockRead {
        BlockRead { blocks, pos }
    }
}

impl Read for BlockRead {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.pos >= self.blocks.len() || buf.is_empty() {
            return Ok(0);
        }
        // Up to the end of the current block: one block per call.
        let room = BLOCK - self.pos % BLOCK;
        let want = (buf.len() as u64).min(room) as usize;
        let got = self.blocks.bytes(self.pos, want)?;
        buf[..got.len()].copy_from_slice(&got);
        self.pos += got.len() as u64;
        Ok(got.len())
    }
}
