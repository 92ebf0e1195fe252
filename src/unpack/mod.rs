//! Looking inside compressed files and archives, bounded in every
//! dimension: depth, members, decompressed bytes per member and per object,
//! and compression ratio. Every bound reached is reported as a [`LimitHit`];
//! a member that was not inspected is never counted as clean.
//!
//! Compressed streams are decompressed only as far as sniffing needs (a head
//! of at most `max_member_bytes`); zip members are located through the central
//! directory and read with positioned reads; tar, ar, cpio and RAR headers
//! are walked (RAR members stored as is are read, others judged by name); 7z
//! headers are validated by [`crate::formats::sevenz`] and their folders
//! decoded here.
//!
//! Hostile input: every declared size, count and offset is checked against
//! what was read and the budget before it sizes an allocation or a loop;
//! decoders run through [`pump`], in pieces of at most [`CHUNK`] bytes with
//! the deadline checked between pieces; nesting stops at [`MAX_DEPTH`]
//! whatever the caller asks. Limits of one kind are folded into one entry
//! per object (an overlapping-entry zip bomb is one finding, not 1,000).

pub mod datasets;
pub(crate) mod encoded;
#[doc(hidden)]
pub use encoded::fuzz_encoded;

mod appended;
mod ar;
mod cpio;
mod escaped;
mod gitpack;
mod gitpatch;
mod headerless;
mod hexdump;
mod ole;
pub(crate) mod openpgp;
mod pcap;
mod pdf;
mod pgdump;
mod rar;
mod sevenz;
mod sqldump;
mod sqlite;
mod streams;
mod tar;
mod uuencode;
mod zip;
pub(crate) use zip::entry_holds_up as local_header_holds_up;

use std::borrow::Cow;
use std::cell::RefCell;
use std::io::Read;
use std::time::Instant;

use crate::rules::{Limits, RuleSet};
use crate::sniff::{self, numbers, Class, Encryption, Sample, Sniff, Window, HEAD_LEN};

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
    Time,
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
            Limit::Time => "max-time",
            Limit::Unsupported => "not-inspected",
        })
    }
}

/// The message of a `max-time` limit.
pub(crate) fn stopped_after(secs: f64) -> String {
    format!("inspection stopped after {secs} s; the rest not inspected")
}

#[derive(Debug)]
pub struct LimitHit {
    pub member: Option<String>,
    pub limit: Limit,
    pub message: String,
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
    /// Another level's bytes from an offset on: an archive appended to a
    /// program, whose offsets count from its own start.
    Behind(&'a Level<'a, 'f>, u64),
}

impl Level<'_, '_> {
    /// Why a member of an archive at this level runs past its end: the
    /// archive's end, or the end of what was decoded of it (a compressed
    /// stream is decoded from its head only: what lies beyond, this member
    /// and any after it, was not inspected, whatever its size says).
    fn past_the_end(&self, member: String) -> String {
        match &self.bytes {
            LevelBytes::Memory(held) if (held.len() as u64) < self.size => format!(
                "{member} runs past the {} bytes decoded of the archive (the head of its \
                 compressed stream): it and any members after it were not inspected",
                held.len()
            ),
            _ => format!("{member} runs past the end of the archive"),
        }
    }

    /// Bytes that can be read from the start: all of them, unless the
    /// level holds only a decoded head of a longer stream.
    fn readable(&self) -> u64 {
        match &self.bytes {
            LevelBytes::Memory(held) => (held.len() as u64).min(self.size),
            LevelBytes::Outer(..) => self.size,
            LevelBytes::Behind(outer, base) => {
                outer.readable().saturating_sub(*base).min(self.size)
            }
        }
    }

    /// Why bytes at `at` could not be had: the level's end, or a read
    /// refused.
    fn ran_out(&self, at: u64) -> &'static str {
        if at >= self.size {
            "cut short"
        } else {
            "its bytes could not be read (the object's read bound or deadline)"
        }
    }

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
            LevelBytes::Behind(outer, base) => outer.from(base.checked_add(offset)?, len),
        }
    }
}

struct Walk<'r> {
    outer_name: &'r str,
    rules: &'r RuleSet,
    limits: &'r Limits,
    max_depth: u32,
    spent: u64,
    /// Past this instant nothing more is opened (`max-time`, reported once).
    deadline: std::time::Instant,
    timed_out: bool,
    inside: Inside,
    /// Further hits of each limit in `inside.limits` (same index), counted
    /// as they come: a crafted container can raise one limit millions of
    /// times, and each is not kept.
    more: Vec<usize>,
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
    deadline: std::time::Instant,
    fetch: &'f mut Fetch<'f>,
) -> Inside {
    let mut walk = Walk {
        outer_name: name,
        rules,
        limits: &rules.limits,
        max_depth,
        spent: 0,
        deadline,
        timed_out: false,
        inside: Inside::default(),
        more: Vec::new(),
    };
    walk.max_depth = walk.max_depth.min(MAX_DEPTH);
    let fetch = RefCell::new(fetch);
    let level = Level {
        size: sample.size,
        bytes: LevelBytes::Outer(sample, &fetch),
    };
    walk.open(&level, outer, "", 1);
    walk.finish()
}

/// Deepest nesting opened whatever the caller asks: each level costs a few
/// stack frames and a decoded head, so this stays far below the stack.
pub const MAX_DEPTH: u32 = 32;

/// Bytes of a member's head read even when the object's budget is spent:
/// enough for every detector's first checks. Bounded per object by the
/// member count, so it cannot be used to read a whole archive.
pub(crate) const PEEK: u64 = 4096;

/// Decoded bytes per decoder call: the deadline is checked between calls.
pub(crate) const CHUNK: usize = 64 * 1024;

/// How a bounded read from a decoder ended.
#[derive(Debug)]
pub(crate) enum Ended {
    /// All the bytes asked for were delivered (the stream may go on).
    Full,
    /// The decoder reached the end of its stream first.
    Eof,
    /// The decoder failed: damaged data, parameters it refuses, or input
    /// that ends early.
    Failed(std::io::Error),
    /// The object's time ran out between two pieces.
    Time,
}

/// A decoder's read, with a panic in it (a bug in a decoding crate, on
/// crafted data) turned into an error.
fn guarded(read: impl FnOnce() -> std::io::Result<usize>) -> std::io::Result<usize> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(read))
        .unwrap_or_else(|_| Err(std::io::Error::other("the decoder panicked on this data")))
}

/// Reads up to `want` bytes from `r`, at most [`CHUNK`] per call, appending
/// them to `out` (or discarding them), and checking `deadline` between calls.
/// The output grows with what arrives, never with what was declared. A
/// decoder that panics is a failure of this read, not of the scan.
pub(crate) fn pump(
    r: &mut dyn Read,
    want: u64,
    mut out: Option<&mut Vec<u8>>,
    deadline: Instant,
) -> (u64, Ended) {
    let mut got = 0u64;
    let mut scratch = Vec::new();
    while got < want {
        if Instant::now() > deadline {
            return (got, Ended::Time);
        }
        let n = (want - got).min(CHUNK as u64) as usize;
        let result = match out.as_deref_mut() {
            // Appended as the decoder yields it, never zero-filled a chunk
            // ahead (most streams are a few KiB); bytes read before an
            // error or a panic are kept, as separate reads would have.
            Some(v) => {
                let at = v.len();
                let result = guarded(|| (&mut *r).take(n as u64).read_to_end(v));
                let k = v.len() - at;
                match result {
                    Ok(_) => Ok(k),
                    Err(_) if k > 0 => {
                        got += k as u64;
                        result
                    }
                    Err(e) => Err(e),
                }
            }
            None => {
                scratch.resize(n, 0);
                guarded(|| r.read(&mut scratch))
            }
        };
        match result {
            Ok(0) => return (got, Ended::Eof),
            Ok(k) => got += k.min(n) as u64,
            Err(e) => return (got, Ended::Failed(e)),
        }
    }
    (got, Ended::Full)
}

/// The formats of OLE2 compound files (`ole2` names those that are not a
/// Word or Excel document: messages, packages, installers;
/// `ms-offcrypto` an encrypted Office document's envelope).
fn is_compound(format: &str) -> bool {
    matches!(format, "ole2" | "doc" | "xls" | "ms-offcrypto")
}

fn chain(prefix: &str, name: &str) -> String {
    if prefix.is_empty() {
        name.to_string()
    } else {
        format!("{prefix}!/{name}")
    }
}

impl Walk<'_> {
    /// What was found, each limit saying how many more of its kind the
    /// object raised.
    fn finish(mut self) -> Inside {
        for (hit, &more) in self.inside.limits.iter_mut().zip(&self.more) {
            if more > 0 {
                hit.message = format!(
                    "{} (and {more} more {} in this object)",
                    hit.message, hit.limit
                );
            }
        }
        self.inside
    }

    /// One entry per kind of limit: the first hit's member and message,
    /// with a count of the others. An archive of 1,000 overlapping members
    /// is one `max-ratio` entry saying so, not 1,000 entries.
    fn limit(&mut self, member: &str, limit: Limit, message: String) {
        if let Some(i) = self.inside.limits.iter().position(|h| h.limit == limit) {
            self.more[i] += 1;
            return;
        }
        self.more.push(0);
        let member = (!member.is_empty()).then(|| member.to_string());
        self.inside.limits.push(LimitHit {
            member,
            limit,
            message,
        });
    }

    /// True (and the limit reported once) when the object's time is up.
    /// One more header of a sequential archive walk (tar, ar, cpio, RAR):
    /// `false` when the walk must end, past `max` headers (a limit) or with
    /// the object's time spent (checked every 256 headers).
    fn another_header(&mut self, prefix: &str, kind: &str, headers: &mut u64, max: u64) -> bool {
        *headers += 1;
        if *headers > max {
            self.limit(
                prefix,
                Limit::Members,
                format!("more than {max} {kind} headers; the rest not inspected"),
            );
            return false;
        }
        !(headers.is_multiple_of(256) && self.out_of_time(prefix))
    }

    /// One more member of an archive: `false`, with a limit, once the
    /// rules' `max_members` are exceeded.
    fn another_member(&mut self, prefix: &str, seen: &mut u64) -> bool {
        *seen += 1;
        if *seen > self.limits.max_members {
            self.limit(
                prefix,
                Limit::Members,
                format!(
                    "more than {} members; the rest not inspected",
                    self.limits.max_members
                ),
            );
            return false;
        }
        true
    }

    fn out_of_time(&mut self, at: &str) -> bool {
        if self.timed_out {
            return true;
        }
        if std::time::Instant::now() <= self.deadline {
            return false;
        }
        self.timed_out = true;
        self.limit(at, Limit::Time, stopped_after(self.limits.max_seconds));
        true
    }

    fn open(&mut self, level: &Level<'_, '_>, sniff: &Sniff, name: &str, depth: u32) {
        // The object itself is opened right after its sniff, a bounded
        // step since its deadline was set: only what lies inside it is
        // asked the time.
        if depth > 1 && self.out_of_time(name) {
            return;
        }
        if sniff.format == "text" {
            if depth > self.max_depth {
                let text = level.from(0, HEAD_LEN).unwrap_or_default();
                if !encoded::runs(&text, 1).is_empty()
                    || !escaped::literals(&text, 1).is_empty()
                    || hexdump::find(&text).is_some()
                    || uuencode::next_begin(&text, 0).is_some()
                    || gitpatch::next_literal(&text, 0).is_some()
                {
                    self.limit(
                        name,
                        Limit::Depth,
                        format!(
                            "encoded runs, hex dumps, uuencoded files or binary patches in text not decoded beyond --max-archive-depth {}",
                            self.max_depth
                        ),
                    );
                }
                return;
            }
            // Text is judged by its first 8 KiB: a long script stub before
            // a zip (a self-extracting installer) is text too.
            self.open_behind(level, sniff, name, depth);
            let (mut judged_to, mut read_on) = (0, Covered::default());
            let mut pieces = encoded::Pieces::default();
            if let Some((text, width)) = ascii_head(level) {
                self.sql_blobs(level, &text, false, name, depth);
                read_on = self.encoded(level, &text, width, name, depth, &mut pieces);
                self.escaped(level, &text, width, name, depth);
                self.hex_dumps(level, &text, width, name, depth);
                self.uuencoded(level, &text, width, name, depth);
                self.git_binary_patches(level, &text, width, name, depth);
                judged_to = self.numbers(level, &text, 0, width, name, depth);
            }
            self.text_windows(level, name, depth, judged_to, read_on, &mut pieces);
            return self.pieces(&pieces, name, depth);
        }
        if let f @ ("openpgp-signed" | "openpgp-armor-signed") = &*sniff.format {
            return self.openpgp(level, f == "openpgp-armor-signed", name, depth);
        }
        let opens = matches!(
            &*sniff.format,
            "gzip"
                | "zlib"
                | "zstd"
                | "xz"
                | "lzma"
                | "bzip2"
                | "lz4"
                | "lz4-legacy"
                | "yenc"
                | "lz"
                | "zip"
                | "tar"
                | "7z"
                | "rar"
                | "ar"
                | "cpio"
                | "git-pack"
        ) || datasets::opens(&sniff.format)
            || is_compound(&sniff.format);
        // A PDF's attached files lie anywhere in it, deflated; what is
        // appended behind its end is searched as after any document.
        if sniff.format == "pdf" && depth <= self.max_depth {
            self.pdf(level, sniff.encryption != Encryption::None, name, depth);
        }
        if !opens {
            // A capture's packets first: its payloads may hold streams
            // (an HTTP response's gzip) that the search behind a head
            // would take for the object's.
            if sniff.format == "binary"
                && pcap::is_capture(&level.from(0, 1024).unwrap_or_default())
            {
                self.packet_capture(level, name);
            }
            if self.open_behind(level, sniff, name, depth)
                || self.archive_after(level, sniff, name, depth)
                || self.after_image(level, sniff, name, depth)
            {
                return;
            }
            // Bytes no format explains may be a stream with no header.
            if self.headerless(level, sniff, name, depth) {
                return;
            }
            // Plaintext behind an envelope's header that no detector
            // named: someone wrote the header over it, or appended it to
            // a real envelope, and what it is was not found.
            if sniff.format == "binary" && sniff.evidence.get("envelope").is_some() {
                self.limit(
                    name,
                    Limit::Unsupported,
                    "plaintext behind an encryption envelope's header, of no format recognised in what was read".into(),
                );
            }
            if sniff.format == "binary" {
                let head = level.from(0, 1024).unwrap_or_default();
                self.sql_blobs(level, &head, true, name, depth);
                self.pg_dump(level, &head, name, depth);
            }
            // Bytes no format explains that open as an archive or a store
            // atrest does not walk: said, not passed as clean (or, where
            // its compression looks random, as ciphertext).
            if matches!(&*sniff.format, "binary" | "random-like") {
                let head = level.from(0, HEAD_LEN).unwrap_or_default();
                if let Some((store, what)) = crate::sniff::other::unwalked_store(&head, level.size)
                {
                    self.limit(
                        name,
                        Limit::Unsupported,
                        format!("{store} contents ({what}) are not walked"),
                    );
                }
            }
            // A database is read through SQLite where it can be.
            if sniff.format == "sqlite" && depth <= self.max_depth {
                if let Err(why) = self.sqlite(level, name, depth) {
                    self.limit(
                        name,
                        Limit::Unsupported,
                        format!("sqlite contents are not walked ({why}); searched for audio headers only"),
                    );
                    self.headers_in_head(level, name, depth);
                }
                return;
            }
            if sniff.class == Class::Compressed && !crate::sniff::is_document(&sniff.format) {
                self.unwalked(level, sniff, name, depth);
            }
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
        match &*sniff.format {
            "gzip" | "zlib" | "zstd" | "xz" | "lzma" | "bzip2" | "lz4" | "lz4-legacy" | "lz"
            | "yenc" => self.stream(level, &sniff.format, name, depth),
            "zip" => self.zip(level, name, depth),
            "tar" => self.tar(level, name, depth),
            "ar" => self.ar(level, name, depth),
            "cpio" => self.cpio(level, name, depth),
            "git-pack" => self.git_pack(level, name, depth),
            f if is_compound(f) => {
                // An encrypted one is walked too: what says it is encrypted
                // (a stream's name, a header's flag) is no proof that every
                // stream is, and ciphertext is judged as such. One that
                // cannot be walked keeps its claim quietly.
                let sealed = sniff.encryption != Encryption::None;
                if let Err(why) = self.compound(level, name, depth) {
                    if !sealed {
                        self.limit(
                            name,
                            Limit::Unsupported,
                            format!(
                                "{f} streams are not walked ({why}); searched for audio headers only"
                            ),
                        );
                        self.headers_in_head(level, name, depth);
                    }
                }
            }
            "rar" => self.rar(level, name, depth),
            "7z" => {
                let sealed = sniff.encryption != Encryption::None;
                self.seven_zip(level, sealed, name, depth)
            }
            f if datasets::opens(f) => self.dataset(level, sniff, name, depth),
            other if sniff.encryption == Encryption::None => self.limit(
                name,
                Limit::Unsupported,
                format!("{other} members are not decompressed"),
            ),
            _ => {}
        }
    }

    /// Reads a zip, or else a compressed stream, behind the head of an
    /// object that is not opened as a container (zipapps, shell-wrapped
    /// jars, self-extractors, makeself installers: named by their stub).
    /// Whether one was there.
    pub(super) fn open_behind(
        &mut self,
        level: &Level<'_, '_>,
        sniff: &Sniff,
        name: &str,
        depth: u32,
    ) -> bool {
        let zip = self.zip_behind(level);
        let stream = match zip {
            zip::Behind::Nothing => self.stream_behind(level, sniff, name),
            _ => None,
        };
        let what = match (&zip, &stream) {
            (zip::Behind::Nothing, None) => return false,
            (zip::Behind::Nothing, Some(found)) => format!("{} stream", found.format),
            _ => "zip".to_string(),
        };
        if self.too_deep_behind(name, &what, &format!("{} head", sniff.format), depth) {
            return true;
        }
        match (zip, stream) {
            (zip::Behind::Zip(end), _) => self.zip_from_end(level, name, depth, end, 0),
            (zip::Behind::Entries(at), _) => self.entries_behind(level, name, depth, at),
            (zip::Behind::Nothing, Some(found)) => self.stream_at(level, name, depth, &found),
            (zip::Behind::Nothing, None) => {}
        }
        true
    }

    /// A 7z or zip archive appended to a program, where the program's own
    /// structure ends: self-extractors (7-Zip's, Info-ZIP's `unzipsfx`)
    /// put one behind a PE or ELF stub of a few hundred KiB, past the
    /// head, where the search for a zip behind a head does not reach.
    /// Whether one was there.
    fn archive_after(
        &mut self,
        level: &Level<'_, '_>,
        sniff: &Sniff,
        name: &str,
        depth: u32,
    ) -> bool {
        if !matches!(&*sniff.format, "elf" | "exe" | "dll") {
            return false;
        }
        let head;
        let sample = match &level.bytes {
            LevelBytes::Outer(sample, _) => *sample,
            _ => {
                head = level.from(0, HEAD_LEN).unwrap_or_default();
                &Sample::new(level.size, &head, &[])
            }
        };
        let Some(end) =
            crate::sniff::program_end(sample, &sniff.format).filter(|&e| e < level.size)
        else {
            return false;
        };
        let size = level.size - end;
        let seven_zip = level
            .at(end, crate::formats::sevenz::SIGNATURE_LEN as usize)
            .is_some_and(|start| crate::formats::sevenz::next_header(&start, size).is_ok());
        let zip = match seven_zip {
            true => zip::Behind::Nothing,
            false => self.zip_at(level, end),
        };
        let what = match (seven_zip, &zip) {
            (true, _) => "7z",
            (false, zip::Behind::Nothing) => return false,
            (false, _) => "zip",
        };
        if self.too_deep_behind(name, what, &sniff.format, depth) {
            return true;
        }
        match zip {
            zip::Behind::Zip(record) => self.zip_from_end(level, name, depth, record, end),
            zip::Behind::Entries(at) => self.entries_behind(level, name, depth, at),
            zip::Behind::Nothing => {
                let behind = Level {
                    size,
                    bytes: LevelBytes::Behind(level, end),
                };
                self.seven_zip(&behind, false, name, depth);
            }
        }
        true
    }

    /// An archive or stream found behind another format (`head`) at a depth
    /// the walk does not open: a limit says what was left closed.
    fn too_deep_behind(&mut self, name: &str, what: &str, head: &str, depth: u32) -> bool {
        if depth <= self.max_depth {
            return false;
        }
        self.limit(
            name,
            Limit::Depth,
            format!(
                "{what} behind a {head} beyond --max-archive-depth {}",
                self.max_depth
            ),
        );
        true
    }

    /// Judges a member stored as is at `data_at` of `level` (tar, ar, cpio,
    /// stored RAR): its head is read, as far as the budget allows but never
    /// less than [`PEEK`] bytes, so a spent budget does not hide what a
    /// member's first bytes name. A member longer than what was read is
    /// judged from its head and reported as a limit, never as clean.
    fn stored(
        &mut self,
        level: &Level<'_, '_>,
        prefix: &str,
        name: &str,
        (data_at, size): (u64, u64),
        depth: u32,
    ) {
        match level.from(data_at, self.stored_want(size) as usize) {
            Some(data) if !data.is_empty() || size == 0 => {
                self.stored_bytes(prefix, name, &data, size, depth)
            }
            _ => self.limit(
                &chain(prefix, name),
                Limit::ObjectBytes,
                "member data beyond what was read".into(),
            ),
        }
    }

    /// How much of a stored member of `size` bytes is judged: what the
    /// budget allows, never less than [`PEEK`].
    fn stored_want(&self, size: u64) -> u64 {
        size.min(self.budget().max(PEEK))
    }

    /// Judges a stored member from `data`, its first bytes (as many as are
    /// at hand), as [`Walk::stored`] does once it has read them.
    fn stored_bytes(&mut self, prefix: &str, name: &str, data: &[u8], size: u64, depth: u32) {
        let want = self.stored_want(size);
        let data = &data[..data.len().min(want as usize)];
        self.spent += data.len() as u64;
        self.member(prefix, name, data, size, depth);
        self.judged_from_head(prefix, name, size, data.len() as u64, want);
    }

    /// Reports a member judged from its first `got` bytes of `size` when
    /// the budget is why (it allowed `wanted` bytes, fewer than `size`): its
    /// verdict stands, the rest of it was not inspected. A member shorter
    /// than the budget but cut short by its archive's end is reported by the
    /// archive's walk instead.
    fn judged_from_head(&mut self, prefix: &str, name: &str, size: u64, got: u64, wanted: u64) {
        if got >= size || size <= wanted {
            return;
        }
        let (limit, what) = if wanted >= self.limits.max_member_bytes {
            (Limit::MemberBytes, "the per-member budget")
        } else {
            (Limit::ObjectBytes, "what is left of the object's budget")
        };
        self.limit(
            &chain(prefix, name),
            limit,
            format!(
                "member of {size} bytes is larger than {what}; judged from its first {got} bytes"
            ),
        );
    }

    /// Sniffs one member from its (possibly partial) bytes and opens it in turn.
    fn member(&mut self, prefix: &str, name: &str, data: &[u8], size: u64, depth: u32) {
        let s = self.sniff_bytes(data, size);
        self.keep(prefix, name, data, size, depth, s);
    }

    /// A container whose contents are not walked (SQLite, RPM, CAB, …)
    /// says so in a limit; an audio container whose validated header lies
    /// in its head (a WAV stored whole in a BLOB) is still a member.
    fn unwalked(&mut self, level: &Level<'_, '_>, sniff: &Sniff, prefix: &str, depth: u32) {
        self.limit(
            prefix,
            Limit::Unsupported,
            format!(
                "{} contents are not walked; searched for audio headers only",
                sniff.format
            ),
        );
        self.headers_in_head(level, prefix, depth);
    }

    /// An audio container whose validated header lies in the head of a
    /// container not walked (or not understood), as member `embedded@OFFSET`.
    fn headers_in_head(&mut self, level: &Level<'_, '_>, prefix: &str, depth: u32) {
        let found = level.from(0, HEAD_LEN).and_then(|head| {
            sniff::prefix::audio_behind(&Sample::new(level.size, &head, &[])).map(|(at, _)| at)
        });
        if let Some(at) = found {
            let at = at as u64;
            let data = level.from(at, HEAD_LEN).unwrap_or_default();
            let size = level.size.saturating_sub(at);
            let name = format!("embedded@{at}");
            self.member(prefix, &name, &data, size, depth);
        }
    }

    /// Bytes a reader of its own decoded from a text (a uuencoded file, a
    /// git patch's file), judged as a decoded base64 run is: kept as
    /// member `name`, `encoding` in the evidence, when they speak for
    /// themselves. Whether they did.
    fn keep_decoded(
        &mut self,
        (prefix, name): (&str, &str),
        encoding: String,
        data: &[u8],
        size: u64,
        depth: u32,
    ) -> bool {
        let s = self.sniff_bytes(data, size);
        if s.class == Class::Other || !encoded::speaks_for(&s, data.len()) {
            return false;
        }
        let s = s.with("encoding", encoding);
        self.keep(prefix, name, data, size, depth, s);
        true
    }

    fn sniff_bytes(&self, data: &[u8], size: u64) -> Sniff {
        let head = &data[..data.len().min(HEAD_LEN)];
        let mut windows = Vec::new();
        if data.len() > head.len() {
            // All of the rest, for what follows a chain of declared sizes;
            // and the middle and end, as a file's are read, since the
            // statistics judge a window by its first 64 KiB: what lies
            // behind a long first part (a photo, then a recording) is
            // judged as it would be in a file of these bytes.
            let held = data.len() as u64;
            let spread = Sample::new(held, head, &[]).spread_wants(0..held);
            windows.push(Window {
                offset: head.len() as u64,
                bytes: data[head.len()..].to_vec(),
            });
            // A window starting within the first 64 KiB behind the head
            // would be judged on bytes the window of the rest already is.
            for want in spread
                .into_iter()
                .filter(|w| w.start >= 2 * HEAD_LEN as u64)
            {
                windows.push(Window {
                    offset: want.start,
                    bytes: data[want.start as usize..want.end as usize].to_vec(),
                });
            }
        }
        let sample = Sample::held(size, head, &windows);
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

    /// A decoded run that is text may be a payload encoded twice (a
    /// base64 value put in a Kubernetes Secret, which base64-encodes it
    /// again; hex of base64): it is searched as any text is, one level
    /// down (past --max-archive-depth, a limit says so). Not a member of
    /// its own: only what is found in it is reported.
    pub(in crate::unpack) fn encoded_text(
        &mut self,
        prefix: &str,
        name: &str,
        data: &[u8],
        size: u64,
        depth: u32,
        s: &Sniff,
    ) {
        if s.format != "text" {
            return;
        }
        let level = Level {
            size,
            bytes: LevelBytes::Memory(data),
        };
        self.open(&level, s, &chain(prefix, name), depth + 1);
    }

    /// The runs of a text that said nothing alone, judged joined: kept as
    /// one member when together they are a recording (or biometric data).
    /// Anything else they make (random bytes, a binary) was judged piece by
    /// piece already.
    fn pieces(&mut self, pieces: &encoded::Pieces, prefix: &str, depth: u32) {
        for (data, how, name) in pieces.joined() {
            if self.out_of_time(prefix) {
                return;
            }
            let s = self.sniff_bytes(data, data.len() as u64);
            if matches!(s.class, Class::Audio | Class::Biometric) {
                let s = s.with("encoding", how);
                self.keep(prefix, &name, data, data.len() as u64, depth, s);
            }
        }
    }

    /// Payloads of one kind decoded from one text, at most.
    fn text_payloads(&self) -> usize {
        (self.limits.max_members as usize).min(encoded::MAX_RUNS)
    }

    /// The first `max` of `found` (searched for one more), and a limit
    /// naming `what` when there was that one more.
    fn capped<T>(&mut self, mut found: Vec<T>, max: usize, prefix: &str, what: &str) -> Vec<T> {
        if found.len() > max {
            found.truncate(max);
            self.limit(
                prefix,
                Limit::Members,
                format!("more than {max} {what}; the rest not inspected"),
            );
        }
        found
    }

    /// Base64 and hex runs in text: decoded heads go through the detectors.
    /// Only the text's head is searched (plus the rest of a run that reaches
    /// its end), so a large text file costs no more than its head. `text`
    /// and `width` are the head as [`ascii_head`] gives it.
    /// How far into the object the runs were read (on past the head, for
    /// one that reaches its end), so that no later window decodes a run
    /// again from its middle. A run that says nothing alone goes to
    /// `pieces`.
    fn encoded(
        &mut self,
        level: &Level<'_, '_>,
        text: &[u8],
        width: usize,
        prefix: &str,
        depth: u32,
        pieces: &mut encoded::Pieces,
    ) -> Covered {
        let max = self.text_payloads();
        let runs = self.capped(encoded::runs(text, max + 1), max, prefix, "encoded runs");
        let mut covered = Covered::default();
        let mut quiet = false;
        for run in &runs {
            let Some(budget) = self.remaining(prefix) else {
                return covered;
            };
            let budget = budget.min(4 * HEAD_LEN as u64) as usize;
            let reaches_end =
                width == 1 && run.end >= text.len() && (text.len() as u64) < level.size;
            let fetched = reaches_end
                .then(|| level.from(run.offset as u64, budget * 2 + budget / 8))
                .flatten();
            let chars: &[u8] = match &fetched {
                Some(f) => f,
                None => &text[run.offset..run.end],
            };
            if width == 1 {
                covered = covered.max(Covered::of(run.offset as u64, chars, fetched.is_some()));
            }
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
            let s = self.sniff_bytes(&data, size);
            if s.class == Class::Other || !encoded::speaks_for(&s, data.len()) {
                if s.format == "text" {
                    let name = format!("{}@{}", run.encoding.name(), run.offset * width);
                    self.encoded_text(prefix, &name, &data, size, depth, &s);
                }
                quiet = true;
                continue;
            }
            pieces.judged(&s);
            let mut s = s.with(
                "encoding",
                format!("{} at byte {}", run.encoding.name(), run.offset * width),
            );
            if let Some(mime) = &run.declared {
                s = s.with("declared", format!("data: URI of type {mime}"));
            }
            let name = format!("{}@{}", run.encoding.name(), run.offset * width);
            self.keep(prefix, &name, &data, size, depth, s);
        }
        if quiet && !pieces.spoken() {
            self.head_pieces(text, width, prefix, pieces);
        }
        covered
    }

    /// The runs of a text's head as pieces, in order: those judged alone,
    /// those past them (a stream of short pieces, a media stream's 20 ms
    /// each, fills a head with more runs than are judged), and those whose
    /// symbols do not mix (its silence encodes as `////` or `AAAA`), which
    /// only continue a stream.
    fn head_pieces(
        &mut self,
        text: &[u8],
        width: usize,
        prefix: &str,
        pieces: &mut encoded::Pieces,
    ) {
        for run in encoded::runs_and_plain(text, encoded::MAX_PIECE_RUNS) {
            let Some(budget) = self.remaining(prefix) else {
                return;
            };
            let piece = encoded::Piece::of(&run, text, 0, width);
            let want = pieces.room(&piece).min(budget as usize);
            let data = match want {
                0 => Vec::new(),
                _ => encoded::decode(&text[run.offset..run.end], run.encoding, want),
            };
            self.spent += data.len() as u64;
            pieces.push(&piece, &data);
        }
    }

    /// Samples written out as decimal numbers in text: each long stretch of
    /// numbers in `text` (read on past it, up to [`MAX_NUMBER_TEXT`], when
    /// the stretch reaches its end) is judged as a signal. `text` starts
    /// at byte `base` of the level, in units of `width` bytes (as
    /// [`ascii_head`] gives it). Returns where the text judged ends.
    fn numbers(
        &mut self,
        level: &Level<'_, '_>,
        text: &[u8],
        base: u64,
        width: usize,
        prefix: &str,
        depth: u32,
    ) -> u64 {
        // A 3-D model's numbers are its vertices (see `model_text`).
        if level
            .from(0, 1024)
            .is_some_and(|head| numbers::model_text(&head).is_some())
        {
            return base;
        }
        let max = self.text_payloads();
        let mut judged_to = base;
        for stretch in numbers::stretches(text, max) {
            if self.out_of_time(prefix) {
                break;
            }
            let at = base + (stretch.start * width) as u64;
            let reaches_end =
                width == 1 && stretch.end >= text.len() && base + (text.len() as u64) < level.size;
            let fetched = reaches_end
                .then(|| level.from(at, MAX_NUMBER_TEXT))
                .flatten();
            // Read on, the list ends where its stretch does: the text after
            // it (`xxd -i`'s length line, the next JSON key) is no number,
            // and one token that is not fails the whole reading.
            let chars: &[u8] = match &fetched {
                Some(f) => {
                    let end = f.iter().position(|&c| !numbers::in_stretch(c));
                    &f[..end.unwrap_or(f.len())]
                }
                None => &text[stretch.clone()],
            };
            judged_to = at + (chars.len() * width) as u64;
            let found = match numbers::read(chars) {
                Some(numbers::Reading::Recording(found)) => found,
                // A file written out as its byte values: sniffed like a
                // decoded base64 run, within the same budget, but a
                // verdict of statistics alone does not speak for it (a
                // list of pixel values is no recording).
                Some(numbers::Reading::Bytes(mut data)) => {
                    let Some(budget) = self.remaining(prefix) else {
                        break;
                    };
                    data.truncate(usize::try_from(budget).unwrap_or(usize::MAX));
                    self.spent += data.len() as u64;
                    let s = self.sniff_bytes(&data, data.len() as u64);
                    let statistical = encoded::by_statistics_alone(&s);
                    if s.class != Class::Other
                        && !statistical
                        && encoded::speaks_for(&s, data.len())
                    {
                        let s = s.with("encoding", format!("byte values at byte {at}"));
                        let size = data.len() as u64;
                        self.keep(prefix, &format!("bytes@{at}"), &data, size, depth, s);
                    }
                    continue;
                }
                None => continue,
            };
            let s = Sniff::new("waveform", None, Class::Audio, Encryption::None)
                .with("encoding", format!("decimal numbers at byte {at}"))
                .with(
                    "shape",
                    format!(
                        "{} numbers, column {} of {}",
                        found.numbers,
                        found.column + 1,
                        found.columns
                    ),
                )
                .with("samples_judged", found.judged)
                .with("lag1_autocorrelation", sniff::round3(found.rho))
                .with(
                    "basis",
                    "numbers written as text with the sample statistics of speech (formats.md §4.5)",
                );
            let size = chars.len() as u64;
            self.keep(prefix, &format!("numbers@{at}"), &[], size, depth, s);
        }
        judged_to
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
        self.limits.max_member_bytes.min(self.object_left())
    }

    /// Decompressed bytes the object may still produce, all members together.
    fn object_left(&self) -> u64 {
        self.limits.max_object_bytes.saturating_sub(self.spent)
    }
}

/// Where the runs of a text were read to: an offset in the object, and
/// whether the last of them went on past it (read only in part).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Covered {
    pub to: u64,
    pub open: bool,
}

impl Covered {
    /// A run at `offset` read as `chars`: to its end when the chars hold
    /// it, or open past them when a read on past the text's end did not.
    fn of(offset: u64, chars: &[u8], read_on: bool) -> Covered {
        match encoded::run_extent(chars) {
            Some(n) => Covered {
                to: offset + n as u64,
                open: false,
            },
            None => Covered {
                to: offset + chars.len() as u64,
                open: read_on,
            },
        }
    }
}

/// Where the lines that the searches for uuencoded files and binary
/// patches look at start, from `from` on: that line, then the first after
/// every [`hexdump::PROBE`] bytes, as for hex dumps. A file encoded so
/// that is longer than that is found at a few line tests a text; a search
/// of every line would cost a pass over every text.
pub(super) fn probe_lines(text: &[u8], from: usize) -> impl Iterator<Item = usize> + '_ {
    let mut next = Some(from);
    std::iter::from_fn(move || {
        let at = next.filter(|&at| at < text.len())?;
        let probe = at + hexdump::PROBE;
        next = text
            .get(probe..)
            .and_then(|rest| memchr::memchr(b'\n', rest))
            .map(|k| probe + k + 1);
        Some(at)
    })
}

/// Text read from a stretch of numbers that reaches the end of the head.
const MAX_NUMBER_TEXT: usize = 4 * HEAD_LEN;

/// The head of a text as the ASCII it carries, and the width of its units:
/// UTF-16 or UTF-32 text (PowerShell 5's `>` writes UTF-16) is searched as
/// one byte of each unit. Offsets are then the unit's, and nothing is read
/// past the head.
fn ascii_head<'a>(level: &'a Level<'_, '_>) -> Option<(Cow<'a, [u8]>, usize)> {
    let text = level.from(0, HEAD_LEN)?;
    // (unit width, the byte of each unit that carries the character)
    let (width, at) = match sniff::wide_text(&text) {
        Some("utf-16le") => (2, 0),
        Some("utf-16be") => (2, 1),
        Some("utf-32le") => (4, 0),
        Some(_) => (4, 3),
        None => (1, 0),
    };
    if width == 1 {
        return Some((text, 1));
    }
    Some((
        Cow::Owned(text.iter().skip(at).step_by(width).copied().collect()),
        width,
    ))
}

pub use streams::{decompress, decompress_counted};

/// What one fuzzed look inside cost, for the fuzz targets' budget asserts.
#[doc(hidden)]
pub struct FuzzCost {
    /// Bytes the unpackers asked to read beyond the head.
    pub bytes_read: u64,
    /// The most they may ask for (the pipeline's cap on unpack reads).
    pub read_cap: u64,
    pub elapsed: std::time::Duration,
    /// The rules' per-object time limit.
    pub max_seconds: f64,
}

/// Opens `data` as `format` (`7z`, `tar`, `zip`, `ar`, `cpio`, `rar`,
/// `gzip`, `zstd`, `xz`, `bzip2`, `lz4`) with the embedded rules, the object declared to be
/// `declared_size` bytes long, for the fuzz targets under `fuzz/` (which
/// cannot reach crate-private items). Reads are counted, not capped, so a
/// target can assert that the unpackers themselves stay in budget.
#[doc(hidden)]
pub fn fuzz_unpack(format: &str, data: &[u8], declared_size: u64) -> FuzzCost {
    thread_local! {
        static RULES: RuleSet = RuleSet::embedded();
    }
    RULES.with(|rules| {
        let started = Instant::now();
        let head = &data[..data.len().min(HEAD_LEN)];
        let sample = Sample::new(declared_size, head, &[]);
        let outer = Sniff::named(
            format.to_string(),
            None,
            Class::Compressed,
            Encryption::None,
        );
        let mut bytes_read = 0u64;
        let mut fetch = |offset: u64, len: usize| -> Option<Vec<u8>> {
            let start = usize::try_from(offset).ok()?.min(data.len());
            let piece = data[start..data.len().min(start.saturating_add(len))].to_vec();
            bytes_read += piece.len() as u64;
            Some(piece)
        };
        let deadline = started + std::time::Duration::from_secs_f64(rules.limits.max_seconds);
        let _ = look_inside(&sample, &outer, "fuzz", rules, 3, deadline, &mut fetch);
        FuzzCost {
            bytes_read,
            read_cap: 64 << 20,
            elapsed: started.elapsed(),
            max_seconds: rules.limits.max_seconds,
        }
    })
}

impl FuzzCost {
    /// The per-object budget every fuzz target asserts: bytes read within
    /// the cap, wall time within the time limit (+1 s for one bounded step).
    pub fn assert_in_budget(&self) {
        assert!(
            self.bytes_read <= self.read_cap,
            "read {} bytes",
            self.bytes_read
        );
        assert!(
            self.elapsed.as_secs_f64() <= self.max_seconds + 1.0,
            "took {:?}",
            self.elapsed
        );
    }
}

/// One fuzz input for the archive `format`: its first byte says whether the
/// declared size is true (bit 0 clear) or larger than the bytes; the rest is
/// the archive. Asserts the per-object budget.
#[doc(hidden)]
pub fn fuzz_archive(format: &str, data: &[u8]) {
    let (flag, body) = data.split_first().unwrap_or((&0, &[]));
    let declared = if flag & 1 == 0 {
        body.len() as u64
    } else {
        body.len() as u64 * 2 + 1
    };
    fuzz_unpack(format, body, declared).assert_in_budget();
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// The archive fuzz entry holds its budget on real archives, with the
    /// declared size true and lying.
    #[test]
    fn the_archive_fuzz_entry_stays_in_budget_on_fixtures() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
        for (format, file) in [
            ("tar", "compressed/tar/records.tar"),
            ("zip", "compressed/zip/nested.zip"),
            ("7z", "compressed/7z/plain.7z"),
            ("git-pack", "archives/git/deleted-call.pack"),
            ("ole2", "archives/ole/voicemail.msg"),
            ("lz4-legacy", "compressed/lz4/speech-legacy.wav.lz4"),
            ("pdf", "archives/pdf/voicemail-attached.pdf"),
        ] {
            let bytes = std::fs::read(root.join(file)).unwrap();
            for flag in [0u8, 1] {
                let mut input = vec![flag];
                input.extend_from_slice(&bytes);
                fuzz_archive(format, &input);
            }
        }
    }

    /// A small mono 16-bit PCM WAV: what the detectors call audio.
    pub(crate) fn wav() -> Vec<u8> {
        let pcm = crate::sniff::testutil::pcm16_tone(8000);
        let mut v = b"RIFF".to_vec();
        v.extend((36 + pcm.len() as u32).to_le_bytes());
        v.extend(b"WAVEfmt ");
        v.extend(16u32.to_le_bytes());
        v.extend([1, 0, 1, 0]);
        v.extend(8000u32.to_le_bytes());
        v.extend(16000u32.to_le_bytes());
        v.extend([2, 0, 16, 0]);
        v.extend(b"data");
        v.extend((pcm.len() as u32).to_le_bytes());
        v.extend(pcm);
        v
    }

    /// A ustar header with a valid checksum.
    pub(crate) fn tar_header(name: &[u8], kind: u8, size: &[u8; 12]) -> Vec<u8> {
        let mut h = vec![0u8; 512];
        h[..name.len()].copy_from_slice(name);
        h[100..108].copy_from_slice(b"0000644\0");
        h[124..136].copy_from_slice(size);
        h[156] = kind;
        h[257..263].copy_from_slice(b"ustar\0");
        h[263..265].copy_from_slice(b"00");
        let sum: u32 = h.iter().map(|&c| u32::from(c)).sum::<u32>() + 8 * 32;
        h[148..156].copy_from_slice(format!("{sum:06o}\0 ").as_bytes());
        h
    }

    /// Sniffs `bytes` as a whole object and looks inside, with `rules`.
    impl Inside {
        /// The members' formats, in order.
        pub(crate) fn formats(&self) -> Vec<&str> {
            self.members.iter().map(|m| &*m.sniff.format).collect()
        }

        /// Each member's name with its format, in order.
        pub(crate) fn found(&self) -> Vec<(&str, &str)> {
            self.members
                .iter()
                .map(|m| (m.member.as_str(), &*m.sniff.format))
                .collect()
        }

        /// Some limit's message says this.
        pub(crate) fn says(&self, text: &str) -> bool {
            self.limits.iter().any(|l| l.message.contains(text))
        }
    }

    pub(crate) fn look_with(bytes: &[u8], rules: &RuleSet) -> Inside {
        let head = &bytes[..bytes.len().min(HEAD_LEN)];
        let sample = Sample::new(bytes.len() as u64, head, &[]);
        let outer = sniff::sniff(&sample, &rules.signatures);
        let mut fetch = |offset: u64, len: usize| -> Option<Vec<u8>> {
            let start = usize::try_from(offset).ok()?.min(bytes.len());
            Some(bytes[start..bytes.len().min(start.saturating_add(len))].to_vec())
        };
        let deadline = Instant::now() + std::time::Duration::from_secs(10);
        look_inside(&sample, &outer, "x", rules, 3, deadline, &mut fetch)
    }

    /// [`look_with`] the embedded rules.
    pub(crate) fn look(bytes: &[u8]) -> Inside {
        look_with(bytes, &RuleSet::embedded())
    }

    /// A member read past its head is judged as a file of its bytes is: a
    /// recording behind 256 KiB of random bytes (a photo, a ciphertext) in
    /// a tar member or a stored zip member is found in its middle and end.
    #[test]
    fn a_recording_behind_a_long_first_part_of_a_member_is_found() {
        let mut data = crate::sniff::testutil::pseudo_random(256 << 10, 7);
        for x in crate::sniff::dataset::speechy(150_000) {
            data.extend(((x * 20_000.0) as i16).to_le_bytes());
        }
        let size = format!("{:011o}\0", data.len());
        let mut tar = tar_header(b"bundle.bin", b'0', size.as_bytes().try_into().unwrap());
        tar.extend(&data);
        tar.resize(tar.len().next_multiple_of(512) + 1024, 0);
        let zip = crate::sniff::wrapper::tests::tiny_zip("bundle.bin", &data, 0, 0);
        for archive in [tar, zip] {
            let inside = look(&archive);
            assert_eq!(inside.formats(), ["raw-pcm"], "{:?}", inside.limits);
        }
    }

    #[test]
    fn limits_of_one_kind_fold_into_one_entry_with_a_count() {
        let rules = RuleSet::embedded();
        let mut walk = Walk {
            outer_name: "x",
            rules: &rules,
            limits: &rules.limits,
            max_depth: 3,
            spent: 0,
            deadline: Instant::now(),
            timed_out: false,
            inside: Inside::default(),
            more: Vec::new(),
        };
        // Counted as they come: a million hits keep one entry each kind.
        for (i, (limit, member)) in [(Limit::Ratio, "a"), (Limit::ObjectBytes, "b")]
            .into_iter()
            .chain(std::iter::repeat_n((Limit::Ratio, "c"), 1_000_000))
            .enumerate()
        {
            walk.limit(member, limit, format!("{member} hit {i}"));
        }
        assert_eq!(walk.inside.limits.len(), 2);
        let folded = walk.finish().limits;
        assert_eq!(folded[0].member.as_deref(), Some("a"));
        assert_eq!(
            folded[0].message,
            "a hit 0 (and 1000000 more max-ratio in this object)"
        );
        assert_eq!(folded[1].message, "b hit 1");
    }

    /// Base64 in UTF-16 text (PowerShell 5's `>`), either byte order.
    #[test]
    fn base64_in_wide_text_is_decoded() {
        use base64::Engine;
        let line = format!(
            "audio = {}\r\n",
            base64::engine::general_purpose::STANDARD.encode(wav())
        );
        for (bom, unit) in [([0xffu8, 0xfe], 0usize), ([0xfe, 0xff], 1)] {
            let mut v = bom.to_vec();
            for c in line.bytes() {
                let mut u = [0u8; 2];
                u[unit] = c;
                v.extend(u);
            }
            let inside = look(&v);
            assert_eq!(inside.members.len(), 1, "{unit}: {:?}", inside.limits);
            assert_eq!(inside.members[0].sniff.format, "wav");
            // The byte offset in the file: a 2-byte mark, then 8 units.
            assert_eq!(inside.members[0].member, "base64@18");
        }
    }

    /// A payload encoded twice (base64 of base64, hex of base64) is decoded
    /// twice, in the head or in a window past it; deeper than the archive
    /// depth, a limit says so; base64 of prose is text and says nothing.
    #[test]
    fn a_payload_encoded_twice_is_decoded_twice() {
        use base64::Engine;
        let b64 = |v: &[u8]| base64::engine::general_purpose::STANDARD.encode(v);
        let hex = |v: &[u8]| v.iter().map(|b| format!("{b:02x}")).collect::<String>();
        let found = |text: &str| {
            let inside = look(text.as_bytes());
            assert!(inside.limits.is_empty(), "{:?}", inside.limits);
            let found: Vec<(String, String)> = inside
                .members
                .iter()
                .map(|m| (m.member.clone(), m.sniff.format.to_string()))
                .collect();
            found
        };
        let twice = b64(b64(&wav()).as_bytes());
        assert_eq!(
            found(&format!("{{\"audio\": \"{twice}\"}}")),
            [("base64@11!/base64@0".to_string(), "wav".to_string())]
        );
        assert_eq!(
            found(&hex(b64(&wav()).as_bytes())),
            [("hex@0!/base64@0".to_string(), "wav".to_string())]
        );
        let prose = "A line of prose, long enough to pass for a log.\n".repeat(2000);
        let behind = found(&format!("{prose}audio: {twice}\n"));
        assert_eq!(behind.len(), 1, "{behind:?}");
        assert!(behind[0].0.ends_with("!/base64@0"), "{behind:?}");
        assert_eq!(found(&b64(prose.as_bytes())), []);
        let mut deep = wav();
        for _ in 0..6 {
            deep = b64(&deep).into_bytes();
        }
        let inside = look(&deep);
        assert!(inside.members.is_empty());
        assert_eq!(inside.limits[0].limit, Limit::Depth, "{:?}", inside.limits);
    }

    /// A recording exported to JSON as numbers, longer than the head: read
    /// on past it, and judged as a waveform.
    #[test]
    fn samples_written_as_numbers_are_a_waveform_member() {
        let numbers: Vec<String> = crate::sniff::dataset::speechy(20_000)
            .iter()
            .map(|x| format!("{x:.12}"))
            .collect();
        let json = format!(
            "{{\"id\": 7, \"audio\": {{\"array\": [{}], \"sampling_rate\": 16000}}}}\n",
            numbers.join(", ")
        );
        assert!(json.len() > 4 * HEAD_LEN);
        let inside = look(json.as_bytes());
        assert_eq!(inside.found(), [("numbers@28", "waveform")]);
        let evidence = &inside.members[0].sniff.evidence;
        // 256 KiB of text read from the stretch: more than the head holds.
        assert_eq!(evidence["shape"], "15888 numbers, column 1 of 1");
        assert_eq!(evidence["samples_judged"], 15888);
        // Prose with numbers in it is no table.
        let prose = "In 2024, 1.5e3 of 12,000 units (3.2 %) failed.\n".repeat(2000);
        assert!(look(prose.as_bytes()).members.is_empty());
    }

    /// The same numbers as a 3-D model's points (a VRML file) are its
    /// vertices, not samples; without the model's first line they are.
    #[test]
    fn a_models_vertices_are_not_read_as_samples() {
        let points: Vec<String> = crate::sniff::dataset::speechy(20_000)
            .iter()
            .map(|x| format!("{x:.6}"))
            .collect();
        let body = format!(
            "Shape {{ coord Coordinate {{ point [{}] }} }}\n",
            points.join(" ")
        );
        let model = format!("#VRML V2.0 utf8\n{body}");
        assert_eq!(look(model.as_bytes()).found(), []);
        assert_eq!(look(body.as_bytes()).found().len(), 1);
    }

    /// Plaintext behind a real envelope that no detector names is a limit:
    /// what it is was not found.
    #[test]
    fn unnamed_plaintext_behind_an_envelope_is_a_limit() {
        let noise = crate::sniff::testutil::pseudo_random(60_000, 9);
        let records: Vec<u8> = (0..4000u32)
            .flat_map(|i| {
                [
                    &b"REC\0"[..],
                    &i.to_le_bytes(),
                    &noise[i as usize * 8..i as usize * 8 + 8],
                ]
                .concat()
            })
            .collect();
        let file = [&b"Salted__12345678"[..], &noise[..20_000], &records].concat();
        let inside = look(&file);
        assert!(
            inside.says("plaintext behind an encryption envelope's header"),
            "{:?}",
            inside.limits
        );
    }

    /// A WAV posted with yEnc is a stream holding that WAV; a cut post
    /// still yields its first bytes.
    #[test]
    fn a_yenc_post_holds_its_file() {
        use crate::formats::yenc::tests::encode;
        let post = encode(&wav(), "voicemail.wav", 128);
        let s = crate::sniff::sniff(&Sample::new(post.len() as u64, &post, &[]), &[]);
        assert_eq!((&*s.format, s.class), ("yenc", Class::Compressed));
        assert_eq!(look(&post).found(), [("(yenc stream)", "wav")]);
        assert_eq!(
            look(&post[..post.len() / 2]).found(),
            [("(yenc stream)", "wav")]
        );
    }

    /// A WAV written out as its byte values (`xxd -i`, Node's `Buffer` as
    /// JSON) is that WAV; a list of pixel values is nothing.
    #[test]
    fn a_file_written_as_byte_values_is_that_file() {
        let file = wav();
        let hex: Vec<String> = file.iter().map(|b| format!("0x{b:02x}")).collect();
        let c = format!("unsigned char call_wav[] = {{\n  {}\n}};\n", hex.join(", "));
        assert!(c.len() > HEAD_LEN, "the list is read on past the head");
        assert_eq!(look(c.as_bytes()).found(), [("bytes@28", "wav")]);
        // What follows the list, read on with it, is not read as numbers:
        // `xxd -i` writes the length after the array, JSON the next key.
        let with_len = format!("{c}unsigned int call_wav_len = {};\n", file.len());
        assert_eq!(look(with_len.as_bytes()).found(), [("bytes@28", "wav")]);
        let values: Vec<String> = file.iter().map(u8::to_string).collect();
        let json = format!("{{\"type\":\"Buffer\",\"data\":[{}]}}", values.join(","));
        assert_eq!(look(json.as_bytes()).found(), [("bytes@24", "wav")]);
        let keyed = format!(
            "{{\"file\":{{\"type\":\"Buffer\",\"data\":[{}]}},\"name\":\"call.wav\"}}",
            values.join(",")
        );
        assert_eq!(look(keyed.as_bytes()).found(), [("bytes@32", "wav")]);
        let pixels: Vec<String> = (0..20_000u32)
            .map(|i| ((i % 640) / 3 + (i / 640) * 2).min(255).to_string())
            .collect();
        assert!(look(pixels.join(",").as_bytes()).members.is_empty());
        // Within the object's decompression budget, like a base64 run:
        // what is left of it is read, and none left is a limit.
        let mut rules = RuleSet::embedded();
        rules.limits.max_member_bytes = 1024;
        let cut = look_with(c.as_bytes(), &rules);
        assert_eq!(cut.found(), [("bytes@28", "wav")]);
        assert_eq!(cut.members[0].size, 1024);
        rules.limits.max_object_bytes = 0;
        let spent = look_with(c.as_bytes(), &rules);
        assert!(spent.members.is_empty());
        assert!(spent.says("decompression budget of the object used up"));
    }

    /// A JSON Lines export whose audio row comes far past the head, and a
    /// megabyte of one number per line: each recording is one member.
    #[test]
    fn numbers_past_the_head_are_found_once() {
        let samples = crate::sniff::dataset::speechy(20_000);
        let written: Vec<String> = samples.iter().map(|x| format!("{x:.8}")).collect();
        let mut jsonl = String::new();
        for i in 0..4000 {
            jsonl.push_str(&format!("{{\"id\": {i}, \"text\": \"no audio here\"}}\n"));
        }
        let row_at = jsonl.len();
        jsonl.push_str(&format!(
            "{{\"id\": 9, \"array\": [{}]}}\n",
            written.join(",")
        ));
        assert!(row_at > HEAD_LEN);
        let inside = look(jsonl.as_bytes());
        assert_eq!(
            inside.found(),
            [(&*format!("numbers@{}", row_at + 18), "waveform")]
        );
        let lines = format!("{}\n", written.join("\n")).repeat(6);
        assert!(lines.len() > 1 << 20);
        assert_eq!(look(lines.as_bytes()).found(), [("numbers@0", "waveform")]);
    }

    /// A container whose contents are not walked is a limit, and a WAV
    /// stored whole in it (a SQLite BLOB) is a member all the same.
    #[test]
    fn an_unwalked_container_is_a_limit_and_its_stored_audio_a_member() {
        let mut db = b"SQLite format 3\0\x10\x00\x01\x01\x00\x40\x20\x20".to_vec();
        db.resize(4096, 0);
        db.extend(wav());
        db.resize(db.len().next_multiple_of(4096), 0);
        let inside = look(&db);
        assert_eq!(inside.members.len(), 1, "{:?}", inside.limits);
        assert_eq!(inside.members[0].member, "embedded@4096");
        assert_eq!(inside.members[0].sniff.format, "wav");
        assert_eq!(inside.limits[0].limit, Limit::Unsupported);
        // Without audio inside, the limit alone.
        db.truncate(4096);
        let inside = look(&db);
        assert!(inside.members.is_empty());
        assert!(
            inside.limits[0]
                .message
                .contains("sqlite contents are not walked"),
            "{:?}",
            inside.limits
        );
    }

    /// Bytes no format explains that open as an archive atrest does not
    /// walk (here WIM) are a limit, and stay judged as such bytes are.
    #[test]
    fn an_archive_not_walked_is_a_limit() {
        let mut wim = b"MSWIM\0\0\0\xd0\0\0\0".to_vec();
        wim.resize(208, 0);
        wim.extend(crate::sniff::testutil::pseudo_random(20_000, 5));
        let inside = look(&wim);
        assert!(inside.members.is_empty());
        assert_eq!(inside.limits.len(), 1, "{:?}", inside.limits);
        assert_eq!(inside.limits[0].limit, Limit::Unsupported);
        assert_eq!(
            inside.limits[0].message,
            "wim contents (WIM header at 0) are not walked"
        );
    }

    /// A file system image is a container not walked: its files are not
    /// inspected, and the report says so.
    #[test]
    fn a_disk_image_is_a_container_not_walked() {
        let mut iso = vec![0u8; 40_000];
        iso[32768..32775].copy_from_slice(b"\x01CD001\x01");
        let inside = look(&iso);
        assert!(inside.members.is_empty());
        assert_eq!(inside.limits[0].limit, Limit::Unsupported);
        assert!(
            inside.limits[0]
                .message
                .contains("iso9660 contents are not walked"),
            "{:?}",
            inside.limits
        );
    }

    #[test]
    fn pump_grows_with_what_arrives_and_stops_at_the_deadline() {
        let mut r: &[u8] = &[7u8; 10];
        let mut out = Vec::new();
        let far = Instant::now() + std::time::Duration::from_secs(60);
        assert!(matches!(
            pump(&mut r, 1 << 40, Some(&mut out), far),
            (10, Ended::Eof)
        ));
        assert_eq!(out, [7u8; 10]);
        let mut r: &[u8] = &[7u8; 10];
        let past = Instant::now() - std::time::Duration::from_secs(1);
        assert!(matches!(pump(&mut r, 5, None, past), (0, Ended::Time)));
    }

    /// A reader that panics, like a decoder meeting a case it never expected.
    struct Panics;
    impl Read for Panics {
        fn read(&mut self, _: &mut [u8]) -> std::io::Result<usize> {
            panic!("decoder bug")
        }
    }

    /// Answers from a script: bytes, an end of frame (`Ok(0)`), or damage.
    struct Script(Vec<Option<&'static [u8]>>);
    impl Read for Script {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            if self.0.is_empty() {
                return Ok(0);
            }
            match self.0.remove(0) {
                Some(b) => {
                    buf[..b.len()].copy_from_slice(b);
                    Ok(b.len())
                }
                None => Ok(0),
            }
        }
    }

    #[test]
    fn a_decoder_that_pauses_at_a_frame_end_is_read_on() {
        // lz4 frames one after another: the decoder answers 0 at the end
        // of each, then goes on with the next. Only a chunk that brings
        // nothing at all ends the stream.
        let far = Instant::now() + std::time::Duration::from_secs(60);
        let mut r = Script(vec![Some(b"note"), None, Some(b"RIFF"), None, None]);
        let mut out = Vec::new();
        assert!(matches!(
            pump(&mut r, 1 << 20, Some(&mut out), far),
            (8, Ended::Eof)
        ));
        assert_eq!(out, b"noteRIFF");
    }

    #[test]
    fn a_panicking_decoder_is_a_failed_read() {
        let far = Instant::now() + std::time::Duration::from_secs(60);
        assert!(matches!(
            pump(&mut Panics, 10, None, far),
            (0, Ended::Failed(_))
        ));
    }
}
