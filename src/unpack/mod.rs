//! Looking inside compressed files and archives (issue 3), bounded in every
//! dimension: depth, members, decompressed bytes per member and per object,
//! and compression ratio. Every bound reached is reported as a [`LimitHit`];
//! a member that was not inspected is never counted as clean.
//!
//! Compressed streams are decompressed only as far as sniffing needs (a head
//! of at most `max_member_bytes`); zip members are located through the central
//! directory and read with positioned reads; tar headers are walked.

mod encoded;

use std::borrow::Cow;
use std::cell::RefCell;
use std::io::Read;

use crate::rules::{Limits, RuleSet};
use crate::sniff::{self, Class, Encryption, Sample, Sniff, Window, HEAD_LEN};

/// What was found inside one object.
#[derive(Debug, Default)]
pub struct Inside {
    pub members: Vec<Member>,
    pub limits: Vec<LimitHit>,
}

/// One member, named by its chain inside the outer object (`a.tar!/b.wav`).
#[derive(Debug)]
pub struct Member {
    pub member: String,
    pub sniff: Sniff,
    pub size: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limit {
    Depth,
    Members,
    MemberBytes,
    ObjectBytes,
    Ratio,
    Unsupported,
}

impl std::fmt::Display for Limit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Limit::Depth => "max-depth",
            Limit::Members => "max-members",
            Limit::MemberBytes => "max-member-bytes",
            Limit::ObjectBytes => "max-object-bytes",
            Limit::Ratio => "max-ratio",
            Limit::Unsupported => "not-inspected",
        })
    }
}

#[derive(Debug)]
pub struct LimitHit {
    pub member: Option<String>,
    pub limit: Limit,
    pub message: String,
}

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

/// Reads `len` bytes at an offset of the outer object (a positioned read or a
/// ranged GET); `None` when the read fails or would cross the end.
pub type Fetch<'f> = dyn FnMut(u64, usize) -> Option<Vec<u8>> + 'f;

/// Bytes of one container level: the outer object, or a decompressed buffer.
struct Level<'a, 'f> {
    /// Declared size of this level (may exceed what is held).
    size: u64,
    bytes: LevelBytes<'a, 'f>,
}

enum LevelBytes<'a, 'f> {
    /// The outer object: what the sample holds, else a fresh read.
    Outer(&'a Sample<'a>, &'a RefCell<&'f mut Fetch<'f>>),
    Memory(&'a [u8]),
}

impl Level<'_, '_> {
    /// Exactly `len` bytes at `offset`.
    fn at(&self, offset: u64, len: usize) -> Option<Cow<'_, [u8]>> {
        self.from(offset, len).filter(|b| b.len() == len)
    }

    /// Up to `len` bytes from `offset` (fewer at the end of what exists).
    fn from(&self, offset: u64, len: usize) -> Option<Cow<'_, [u8]>> {
        let len = (len as u64).min(self.size.saturating_sub(offset)) as usize;
        match &self.bytes {
            LevelBytes::Memory(m) => {
                let b = m.get(offset as usize..)?;
                Some(Cow::Borrowed(&b[..b.len().min(len)]))
            }
            LevelBytes::Outer(sample, fetch) => {
                if let Some(b) = sample.from_offset(offset).filter(|b| b.len() >= len) {
                    return Some(Cow::Borrowed(&b[..len]));
                }
                let mut fetch = fetch.borrow_mut();
                (*fetch)(offset, len).map(Cow::Owned)
            }
        }
    }
}

struct Walk<'r> {
    outer_name: &'r str,
    rules: &'r RuleSet,
    limits: &'r Limits,
    max_depth: u32,
    spent: u64,
    inside: Inside,
}

/// Opens `outer` (already sniffed) when it is a wrapper or an archive.
/// `name` is the outer object's path (it names an unnamed compressed stream);
/// `fetch` reads more of the outer object where the sample does not reach.
pub fn look_inside<'f>(
    sample: &Sample,
    outer: &Sniff,
    name: &str,
    rules: &RuleSet,
    max_depth: u32,
    fetch: &'f mut Fetch<'f>,
) -> Inside {
    let mut walk = Walk {
        outer_name: name,
        rules,
        limits: &rules.limits,
        max_depth,
        spent: 0,
        inside: Inside::default(),
    };
    let fetch = RefCell::new(fetch);
    let level = Level {
        size: sample.size,
        bytes: LevelBytes::Outer(sample, &fetch),
    };
    walk.open(&level, outer, "", 1);
    walk.inside
}

fn chain(prefix: &str, name: &str) -> String {
    if prefix.is_empty() {
        name.to_string()
    } else {
        format!("{prefix}!/{name}")
    }
}

impl Walk<'_> {
    fn limit(&mut self, member: &str, limit: Limit, message: String) {
        let member = (!member.is_empty()).then(|| member.to_string());
        self.inside.limits.push(LimitHit {
            member,
            limit,
            message,
        });
    }

    fn open(&mut self, level: &Level<'_, '_>, sniff: &Sniff, name: &str, depth: u32) {
        if sniff.format == "text" {
            return self.encoded(level, name, depth);
        }
        let opens = matches!(
            sniff.format.as_str(),
            "gzip" | "zstd" | "xz" | "bzip2" | "lz4" | "zip" | "tar" | "7z" | "rar"
        );
        if !opens {
            return;
        }
        if depth > self.max_depth {
            self.limit(
                name,
                Limit::Depth,
                format!(
                    "nested {} beyond --max-archive-depth {}",
                    sniff.format, self.max_depth
                ),
            );
            return;
        }
        match sniff.format.as_str() {
            "gzip" | "zstd" | "xz" | "bzip2" | "lz4" => {
                self.stream(level, &sniff.format, name, depth)
            }
            "zip" => self.zip(level, name, depth),
            "tar" => self.tar(level, name, depth),
            "7z" if sniff.encryption == Encryption::None => self.seven_zip(level, name, depth),
            other if sniff.encryption == Encryption::None => self.limit(
                name,
                Limit::Unsupported,
                format!("{other} members are not decompressed"),
            ),
            _ => {}
        }
    }

    /// Sniffs one member from its (possibly partial) bytes and opens it in turn.
    fn member(&mut self, prefix: &str, name: &str, data: &[u8], size: u64, depth: u32) {
        let s = self.sniff_bytes(data, size);
        self.keep(prefix, name, data, size, depth, s);
    }

    fn sniff_bytes(&self, data: &[u8], size: u64) -> Sniff {
        let head = &data[..data.len().min(HEAD_LEN)];
        let rest = [Window {
            offset: head.len() as u64,
            bytes: data[head.len()..].to_vec(),
        }];
        let windows: &[Window] = if data.len() > head.len() { &rest } else { &[] };
        let sample = Sample::new(size, head, windows);
        let mut s = sniff::sniff(&sample, &self.rules.signatures);
        s.wants.clear();
        s
    }

    /// Records a sniffed member and opens it when it is a container.
    fn keep(&mut self, prefix: &str, name: &str, data: &[u8], size: u64, depth: u32, s: Sniff) {
        let member = chain(prefix, name);
        let level: Level<'_, '_> = Level {
            size,
            bytes: LevelBytes::Memory(data),
        };
        self.open(&level, &s, &member, depth + 1);
        self.inside.members.push(Member {
            member,
            sniff: s,
            size,
        });
    }

    /// Base64 and hex runs in text: decoded heads go through the detectors.
    /// Only the text's head is searched (plus the rest of a run that reaches
    /// its end), so a large text file costs no more than its head.
    fn encoded(&mut self, level: &Level<'_, '_>, prefix: &str, depth: u32) {
        let Some(text) = level.from(0, HEAD_LEN) else {
            return;
        };
        let max = self.limits.max_members as usize;
        let runs = encoded::runs(&text, max + 1);
        if runs.len() > max {
            self.limit(
                prefix,
                Limit::Members,
                format!("more than {max} encoded runs; the rest not inspected"),
            );
        }
        for run in runs.iter().take(max) {
            let Some(budget) = self.remaining(prefix) else {
                return;
            };
            let budget = budget.min(4 * HEAD_LEN as u64) as usize;
            let reaches_end = run.end >= text.len() && (text.len() as u64) < level.size;
            let fetched = reaches_end
                .then(|| level.from(run.offset as u64, budget * 2 + budget / 8))
                .flatten();
            let chars: &[u8] = match &fetched {
                Some(f) => f,
                None => &text[run.offset..run.end],
            };
            let data = encoded::decode(chars, run.encoding, budget);
            self.spent += data.len() as u64;
            let symbols = encoded::symbols(chars);
            let size = if reaches_end {
                // The run goes on past what was read: scale by its density.
                let density = symbols as f64 / chars.len().max(1) as f64;
                let rest = (level.size - run.offset as u64) as f64 * density;
                encoded::decoded_len(rest as u64, run.encoding)
            } else {
                encoded::decoded_len(symbols, run.encoding)
            }
            .max(data.len() as u64);
            // Statistics need a few hundred bytes (formats.md §3.7.2); below
            // that only a magic number may speak for a decoded token.
            let s = self.sniff_bytes(&data, size);
            let statistical = matches!(s.format.as_str(), "random-like" | "raw-pcm");
            if s.class == Class::Other || (statistical && data.len() < 256) {
                continue;
            }
            let mut s = s.with(
                "encoding",
                format!("{} at byte {}", run.encoding.name(), run.offset),
            );
            if let Some(mime) = &run.declared {
                s = s.with("declared", format!("data: URI of type {mime}"));
            }
            let name = format!("{}@{}", run.encoding.name(), run.offset);
            self.keep(prefix, &name, &data, size, depth, s);
        }
    }

    /// The budget left, or `None` (and the limit reported for `at`) when spent.
    fn remaining(&mut self, at: &str) -> Option<u64> {
        let budget = self.budget();
        if budget == 0 {
            self.limit(
                at,
                Limit::ObjectBytes,
                "decompression budget of the object used up".into(),
            );
            return None;
        }
        Some(budget)
    }

    fn budget(&self) -> u64 {
        self.limits
            .max_member_bytes
            .min(self.limits.max_object_bytes.saturating_sub(self.spent))
    }

    /// Decompresses the head of a stream: as much as the budget allows.
    fn stream(&mut self, level: &Level<'_, '_>, format: &str, prefix: &str, depth: u32) {
        // Compressed input: what the sample holds (the head), or up to the budget.
        let input = level
            .from(0, (self.limits.max_member_bytes as usize).min(4 * HEAD_LEN))
            .unwrap_or_default();
        let input = &input[..];
        let Some(budget) = self.remaining(prefix) else {
            return;
        };
        let (out, done, consumed) = decompress_counted(format, input, budget);
        self.spent += out.len() as u64;
        let ratio = out.len() as u64 / (consumed as u64).max(1);
        if !done && ratio > self.limits.max_ratio {
            self.limit(
                prefix,
                Limit::Ratio,
                format!(
                    "{format} expands more than {}:1; inspected the first {} bytes",
                    self.limits.max_ratio,
                    out.len()
                ),
            );
        }
        if out.is_empty() {
            return;
        }
        // The inner size is known only when the stream ended within the budget.
        let size = if done {
            out.len() as u64
        } else {
            (out.len() as u64).max(level.size)
        };
        let name = inner_name(
            if prefix.is_empty() {
                self.outer_name
            } else {
                prefix
            },
            format,
        );
        self.member(prefix, &name, &out, size, depth);
    }

    fn zip(&mut self, level: &Level<'_, '_>, prefix: &str, depth: u32) {
        // The end record lies in the last 64 KiB + 22 bytes of the archive.
        let tail_at = level.size.saturating_sub(sniff::WINDOW_LEN as u64 + 22);
        let Some(tail) = level.from(tail_at, sniff::WINDOW_LEN + 22) else {
            self.limit(
                prefix,
                Limit::MemberBytes,
                "zip end record could not be read".into(),
            );
            return;
        };
        let windows = [Window {
            offset: tail_at,
            bytes: tail.to_vec(),
        }];
        let Some((offset, cd_size, count)) =
            sniff::zip_directory(&Sample::new(level.size, &[], &windows))
        else {
            self.limit(
                prefix,
                Limit::Unsupported,
                "zip central directory not found (truncated archive?)".into(),
            );
            return;
        };
        let Some(cd) = level.from(offset, cd_size.min(4 << 20) as usize) else {
            self.limit(
                prefix,
                Limit::MemberBytes,
                "zip central directory could not be read".into(),
            );
            return;
        };
        let max = self.limits.max_members as usize;
        let entries = sniff::zip_entries(&cd, max);
        if count as usize > entries.len() {
            self.limit(
                prefix,
                Limit::Members,
                format!("{count} members; inspected {}", entries.len()),
            );
        }
        for e in entries.iter().filter(|e| !e.is_dir()) {
            let member = chain(prefix, &e.name);
            if e.encryption() != Encryption::None {
                self.inside.members.push(Member {
                    member,
                    sniff: by_name(&e.name, e.encryption()),
                    size: e.size,
                });
                continue;
            }
            if e.compressed_size > 0 && e.size / e.compressed_size > self.limits.max_ratio {
                self.limit(
                    &member,
                    Limit::Ratio,
                    format!(
                        "declared {} bytes from {} compressed",
                        e.size, e.compressed_size
                    ),
                );
            }
            let Some(budget) = self.remaining(&member) else {
                continue;
            };
            let Some(local) = level.at(e.local_offset, 30) else {
                self.limit(
                    &member,
                    Limit::MemberBytes,
                    "member header could not be read".into(),
                );
                continue;
            };
            let data_at = e.local_offset
                + 30
                + u64::from(u16::from_le_bytes([local[26], local[27]]))
                + u64::from(u16::from_le_bytes([local[28], local[29]]));
            // Enough compressed input for a head of `budget` bytes in most cases.
            let want = e.compressed_size.min(budget).min(4 * HEAD_LEN as u64) as usize;
            let Some(raw) = level.from(data_at, want) else {
                self.limit(
                    &member,
                    Limit::MemberBytes,
                    "member data could not be read".into(),
                );
                continue;
            };
            let (data, _) = match e.method {
                0 => (raw[..raw.len().min(budget as usize)].to_vec(), true),
                8 => decompress("deflate", &raw, budget),
                12 => decompress("bzip2", &raw, budget),
                93 => decompress("zstd", &raw, budget),
                95 => decompress("xz", &raw, budget),
                m => {
                    self.limit(
                        &member,
                        Limit::Unsupported,
                        format!("zip compression method {m}"),
                    );
                    continue;
                }
            };
            self.spent += data.len() as u64;
            self.member(prefix, &e.name, &data, e.size, depth);
        }
    }

    /// 7z: the header (at the end, usually LZMA-compressed) lists the
    /// members; their data is decoded in order, since a solid block can only
    /// be read from its start. Members are inspected while the decompression
    /// budget lasts; the rest are reported as a limit.
    fn seven_zip(&mut self, level: &Level<'_, '_>, prefix: &str, depth: u32) {
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

    fn tar(&mut self, level: &Level<'_, '_>, prefix: &str, depth: u32) {
        let mut pos = 0u64;
        let mut seen = 0u64;
        let mut long_name: Option<String> = None;
        while pos + 512 <= level.size {
            let Some(h) = level.at(pos, 512) else {
                self.limit(
                    prefix,
                    Limit::ObjectBytes,
                    format!("tar members after byte {pos} not reached"),
                );
                return;
            };
            if h.iter().all(|&b| b == 0) {
                return;
            }
            if !sniff::is_tar_header(&h) {
                self.limit(
                    prefix,
                    Limit::Unsupported,
                    format!("damaged tar header at byte {pos}"),
                );
                return;
            }
            let size = tar_size(&h[124..136]);
            let kind = h[156];
            let name = long_name.take().unwrap_or_else(|| tar_name(&h));
            let data_at = pos + 512;
            match kind {
                b'L' => {
                    long_name = level.from(data_at, size.min(4096) as usize).map(|b| {
                        String::from_utf8_lossy(&b)
                            .trim_end_matches('\0')
                            .to_string()
                    })
                }
                b'0' | 0 | b'7' => {
                    seen += 1;
                    if seen > self.limits.max_members {
                        self.limit(
                            prefix,
                            Limit::Members,
                            format!(
                                "more than {} members; the rest not inspected",
                                self.limits.max_members
                            ),
                        );
                        return;
                    }
                    let want = size.min(self.budget()) as usize;
                    match level.from(data_at, want) {
                        Some(data) if !data.is_empty() || size == 0 => {
                            let data = data.into_owned();
                            self.spent += data.len() as u64;
                            self.member(prefix, &name, &data, size, depth);
                        }
                        _ => self.limit(
                            &chain(prefix, &name),
                            Limit::ObjectBytes,
                            "member data beyond what was read".into(),
                        ),
                    }
                }
                _ => {}
            }
            pos = data_at + size.div_ceil(512) * 512;
        }
    }
}

fn tar_size(field: &[u8]) -> u64 {
    if field[0] & 0x80 != 0 {
        return field[1..].iter().fold(0u64, |a, &b| {
            a.saturating_mul(256).saturating_add(u64::from(b))
        });
    }
    let s = String::from_utf8_lossy(field);
    u64::from_str_radix(s.trim_matches(|c: char| c == '\0' || c == ' '), 8).unwrap_or(0)
}

fn tar_name(h: &[u8]) -> String {
    let field = |r: std::ops::Range<usize>| {
        String::from_utf8_lossy(&h[r])
            .trim_end_matches('\0')
            .to_string()
    };
    let name = field(0..100);
    let prefix = if &h[257..262] == b"ustar" {
        field(345..500)
    } else {
        String::new()
    };
    if prefix.is_empty() {
        name
    } else {
        format!("{prefix}/{name}")
    }
}

/// The name of what a compressed stream holds: its own name less the suffix.
fn inner_name(prefix: &str, format: &str) -> String {
    let last = prefix.rsplit("!/").next().unwrap_or("");
    let base = last.rsplit('/').next().unwrap_or("");
    for suffix in [
        ".gz", ".tgz", ".zst", ".xz", ".txz", ".bz2", ".tbz2", ".lz4", ".z",
    ] {
        if let Some(stem) = base.strip_suffix(suffix) {
            if !stem.is_empty() {
                return if suffix.starts_with(".t") && suffix.len() > 3 {
                    format!("{stem}.tar")
                } else {
                    stem.to_string()
                };
            }
        }
    }
    format!("({format} stream)")
}

/// What an encrypted member probably is, from its name alone: names, sizes
/// and CRCs of encrypted zip members stay in the clear.
fn by_name(name: &str, encryption: Encryption) -> Sniff {
    const AUDIO: &[&str] = &[
        "wav", "mp3", "m4a", "aac", "flac", "ogg", "oga", "opus", "amr", "awb", "3gp", "wma",
        "aif", "aiff", "caf", "au", "snd", "webm", "mka", "mp4", "mov", "pcm", "raw", "spx", "wv",
        "tta", "voc", "sph",
    ];
    const BIOMETRIC: &[&str] = &[
        "fmr", "fir", "fac", "iir", "sdi", "wsq", "an2", "eft", "nist", "ebts", "min", "xyt",
    ];
    let ext = name
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    let class = if AUDIO.contains(&ext.as_str()) {
        Class::Audio
    } else if BIOMETRIC.contains(&ext.as_str()) {
        Class::Biometric
    } else {
        Class::Encrypted
    };
    let format = if ext.is_empty() {
        "unknown".to_string()
    } else {
        ext
    };
    Sniff::new(&format, None, class, encryption)
        .with(
            "basis",
            "content encrypted; class inferred from the member name",
        )
        .with(
            "scheme",
            if encryption == Encryption::Weak {
                "ZipCrypto (broken)"
            } else {
                "WinZip AES"
            },
        )
}

/// Decompresses at most `limit` bytes. Returns the output, whether the
/// stream ended within the limit, and how many input bytes produced it (the
/// decoders read from a slice, so this is exact enough to compute a ratio).
pub fn decompress_counted(format: &str, input: &[u8], limit: u64) -> (Vec<u8>, bool, usize) {
    let mut rest = input;
    let mut out = Vec::new();
    let result = {
        let reader: Box<dyn Read + '_> = match format {
            "gzip" => Box::new(flate2::bufread::MultiGzDecoder::new(&mut rest)),
            "deflate" => Box::new(flate2::bufread::DeflateDecoder::new(&mut rest)),
            "bzip2" => Box::new(bzip2::bufread::MultiBzDecoder::new(&mut rest)),
            "xz" => Box::new(liblzma::bufread::XzDecoder::new_multi_decoder(&mut rest)),
            "lz4" => Box::new(lz4_flex::frame::FrameDecoder::new(&mut rest)),
            "zstd" => match zstd::stream::read::Decoder::with_buffer(&mut rest) {
                Ok(d) => Box::new(d),
                Err(_) => return (Vec::new(), false, 0),
            },
            _ => return (Vec::new(), false, 0),
        };
        // Reading one byte past the limit tells a stream that ends there from a longer one.
        reader.take(limit + 1).read_to_end(&mut out)
    };
    let consumed = input.len() - rest.len();
    match result {
        Ok(_) => {
            let done = out.len() as u64 <= limit;
            out.truncate(limit as usize);
            (out, done, consumed)
        }
        // Truncated input (only the head was read): keep what decoded.
        Err(_) => (out, false, consumed),
    }
}

/// [`decompress_counted`] without the input count.
pub fn decompress(format: &str, input: &[u8], limit: u64) -> (Vec<u8>, bool) {
    let (out, done, _) = decompress_counted(format, input, limit);
    (out, done)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn decompression_stops_at_the_limit() {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(&vec![0u8; 1 << 20]).unwrap();
        let gz = e.finish().unwrap();
        let (out, done) = decompress("gzip", &gz, 4096);
        assert_eq!((out.len(), done), (4096, false));
        let (out, done) = decompress("gzip", &gz, 2 << 20);
        assert_eq!((out.len(), done), (1 << 20, true));
    }

    #[test]
    fn truncated_streams_yield_their_head() {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        let data: Vec<u8> = (0..200_000u32).map(|i| (i * 7 % 251) as u8).collect();
        e.write_all(&data).unwrap();
        let gz = e.finish().unwrap();
        let (out, done) = decompress("gzip", &gz[..gz.len() / 2], 1 << 20);
        assert!(!done && !out.is_empty() && out[..] == data[..out.len()]);
    }

    #[test]
    fn inner_names_drop_the_compression_suffix() {
        assert_eq!(inner_name("calls/a.wav.gz", "gzip"), "a.wav");
        assert_eq!(inner_name("x.tgz", "gzip"), "x.tar");
        assert_eq!(inner_name("", "zstd"), "(zstd stream)");
    }
}
