//! Looking inside compressed files and archives (issue 3), bounded in every
//! dimension: depth, members, decompressed bytes per member and per object,
//! and compression ratio. Every bound reached is reported as a [`LimitHit`];
//! a member that was not inspected is never counted as clean.
//!
//! Compressed streams are decompressed only as far as sniffing needs (a head
//! of at most `max_member_bytes`); zip members are located through the central
//! directory and read with positioned reads; tar headers are walked.

pub mod datasets;
mod encoded;

mod sevenz;
mod streams;
mod tar;
mod zip;

use std::borrow::Cow;
use std::cell::RefCell;

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
    /// Past this instant nothing more is opened (`max-time`, reported once).
    deadline: std::time::Instant,
    timed_out: bool,
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

    /// True (and the limit reported once) when the object's time is up.
    fn out_of_time(&mut self, at: &str) -> bool {
        if self.timed_out {
            return true;
        }
        if std::time::Instant::now() <= self.deadline {
            return false;
        }
        self.timed_out = true;
        let secs = self.limits.max_seconds;
        self.limit(
            at,
            Limit::Time,
            format!("inspection stopped after {secs} s; the rest not inspected"),
        );
        true
    }

    fn open(&mut self, level: &Level<'_, '_>, sniff: &Sniff, name: &str, depth: u32) {
        if self.out_of_time(name) {
            return;
        }
        if sniff.format == "text" {
            self.encoded(level, name, depth);
            return self.text_windows(level, name, depth);
        }
        let opens = matches!(
            sniff.format.as_str(),
            "gzip" | "zstd" | "xz" | "bzip2" | "lz4" | "zip" | "tar" | "7z" | "rar"
        ) || datasets::opens(&sniff.format);
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
            f if datasets::opens(f) => self.dataset(level, sniff, name, depth),
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
}

pub use streams::{decompress, decompress_counted};
