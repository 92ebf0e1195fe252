//! 7z archives through sevenz-rust2, over a capped `Read + Seek` view of the level.

use std::io::Read;

use super::{Level, Limit, Walk};
use crate::sniff;

/// `Read + Seek` over a level, for libraries that want a stream: reads go
/// through [`Level::from`] in 64 KiB pieces (one ranged GET each for a bucket
/// object) and stop with an error past `cap` bytes.
struct LevelReader<'l, 'a, 'f> {
    level: &'l Level<'a, 'f>,
    pos: u64,
    cache: (u64, Vec<u8>),
    read: u64,
    cap: u64,
}

impl<'l, 'a, 'f> LevelReader<'l, 'a, 'f> {
    fn new(level: &'l Level<'a, 'f>, cap: u64) -> Self {
        LevelReader {
            level,
            pos: 0,
            cache: (0, Vec::new()),
            read: 0,
            cap,
        }
    }
}

impl Read for LevelReader<'_, '_, '_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let (start, bytes) = &self.cache;
        let cached = self.pos >= *start && self.pos < start + bytes.len() as u64;
        if !cached {
            if self.pos >= self.level.size {
                return Ok(0);
            }
            if self.read >= self.cap {
                return Err(std::io::Error::other("read budget of the archive used up"));
            }
            let piece = self
                .level
                .from(self.pos, sniff::WINDOW_LEN)
                .ok_or_else(|| std::io::Error::other("archive bytes could not be read"))?
                .into_owned();
            if piece.is_empty() {
                return Ok(0);
            }
            self.read += piece.len() as u64;
            self.cache = (self.pos, piece);
        }
        let (start, bytes) = &self.cache;
        let from = (self.pos - start) as usize;
        let n = buf.len().min(bytes.len() - from);
        buf[..n].copy_from_slice(&bytes[from..from + n]);
        self.pos += n as u64;
        Ok(n)
    }
}

impl std::io::Seek for LevelReader<'_, '_, '_> {
    fn seek(&mut self, to: std::io::SeekFrom) -> std::io::Result<u64> {
        let target = match to {
            std::io::SeekFrom::Start(n) => Some(n),
            std::io::SeekFrom::End(d) => self.level.size.checked_add_signed(d),
            std::io::SeekFrom::Current(d) => self.pos.checked_add_signed(d),
        };
        self.pos = target.ok_or_else(|| std::io::Error::other("seek before the start"))?;
        Ok(self.pos)
    }
}

impl Walk<'_> {
    /// 7z: the header (at the end, usually LZMA-compressed) lists the
    /// members; their data is decoded in order, since a solid block can only
    /// be read from its start. Members are inspected while the decompression
    /// budget lasts; the rest are reported as a limit.
    pub(super) fn seven_zip(&mut self, level: &Level<'_, '_>, prefix: &str, depth: u32) {
        let source = LevelReader::new(level, 4 * self.limits.max_object_bytes);
        let mut archive =
            match sevenz_rust2::ArchiveReader::new(source, sevenz_rust2::Password::empty()) {
                Ok(a) => a,
                Err(e) => {
                    self.limit(
                        prefix,
                        Limit::Unsupported,
                        format!("7z header not read: {e}"),
                    );
                    return;
                }
            };
        let keep = self.limits.max_member_bytes;
        let max_members = self.limits.max_members as usize;
        let mut decode_left = self.budget();
        let mut heads: Vec<(String, Vec<u8>, u64)> = Vec::new();
        let mut left_out = 0usize;
        let walked = archive.for_each_entries(|entry, data| {
            if entry.is_directory || !entry.has_stream {
                return Ok(true);
            }
            if heads.len() >= max_members || entry.size > decode_left {
                left_out += 1;
                return Ok(false);
            }
            let mut head = Vec::new();
            (&mut *data).take(keep).read_to_end(&mut head)?;
            // The next member of a solid block starts where this one ends.
            std::io::copy(data, &mut std::io::sink())?;
            decode_left -= entry.size;
            heads.push((entry.name.clone(), head, entry.size));
            Ok(true)
        });
        let decoded: u64 = heads.iter().map(|h| h.2).sum();
        self.spent += decoded;
        if let Err(e) = walked {
            self.limit(
                prefix,
                Limit::Unsupported,
                format!(
                    "7z members after the first {} not decoded: {e}",
                    heads.len()
                ),
            );
        }
        if left_out > 0 {
            self.limit(
                prefix,
                Limit::ObjectBytes,
                format!("{left_out} 7z members beyond the decompression budget not inspected"),
            );
        }
        for (name, head, size) in heads {
            self.member(prefix, &name, &head, size, depth);
        }
    }
}
