//! Stage 2 of the pipeline: sniffing. Pure functions from sampled bytes to a
//! [`Sniff`]: what the object is, which class of data it holds and whether that
//! data is encrypted. Nothing here touches the filesystem or the network, so
//! every detector is tested with byte literals.
//!
//! Invariants:
//! - a format is claimed only after multi-field validation (random data must not
//!   be called MP3: formats.md §1.6); one short magic is never enough;
//! - a container is never trusted for its payload: where the payload can be
//!   located, its statistics must agree with the declared codec, otherwise the
//!   verdict is `partial` (plaintext container, ciphertext payload);
//! - detectors may ask for more bytes at absolute offsets ([`Sniff::wants`]); the
//!   caller reads them (a ranged read) and sniffs again with the larger sample.

mod audio;
pub(crate) mod biometric;
pub(crate) mod bytes;
mod codecs;
pub(crate) mod dataset;
pub mod entropy;
pub(crate) mod envelope;
pub mod formats;
#[doc(hidden)]
pub mod fuzz;
mod infer_table;
mod media;
pub(crate) mod numbers;
mod ole;
pub(crate) mod other;
mod pcm;
pub(crate) mod prefix;
pub(crate) use other::{ending, is_document, program_end, Ending};
pub(crate) use text::{is_text, wide_text, TEXT_PROBE};
mod telephony;
#[cfg(test)]
pub(crate) mod testutil;
mod text;
pub(crate) mod wrapper;

use std::borrow::Cow;
use std::fmt;
use std::ops::Range;

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

pub use entropy::Randomness;
#[cfg(test)]
pub(crate) use wrapper::tests::tiny_zip_with_extra;
pub(crate) use wrapper::{is_tar_header, zip_directory, zip_end, zip_entries, ZipEnd, ZipEntry};

/// How many bytes are read from the start of every object.
pub const HEAD_LEN: usize = 64 * 1024;
/// The size of each further window (middle, tail, or at a computed offset).
pub const WINDOW_LEN: usize = 64 * 1024;

/// The broad kind of data an object holds; what rules match on first.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Class {
    Audio,
    Biometric,
    Encrypted,
    Compressed,
    #[default]
    Other,
}

impl Class {
    pub const ALL: [Class; 5] = [
        Class::Audio,
        Class::Biometric,
        Class::Encrypted,
        Class::Compressed,
        Class::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Class::Audio => "audio",
            Class::Biometric => "biometric",
            Class::Encrypted => "encrypted",
            Class::Compressed => "compressed",
            Class::Other => "other",
        }
    }
}

impl fmt::Display for Class {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Whether the data of interest is protected by encryption.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Encryption {
    /// In the clear.
    None,
    /// Encrypted with a broken or practically attackable scheme (ZipCrypto, RC4 …).
    Weak,
    /// A plaintext container (metadata in the clear) around a ciphertext payload.
    Partial,
    /// A recognised strong envelope, or bytes indistinguishable from ciphertext.
    Encrypted,
    /// Too little data to tell.
    Unknown,
}

impl Encryption {
    pub fn as_str(self) -> &'static str {
        match self {
            Encryption::None => "none",
            Encryption::Weak => "weak",
            Encryption::Partial => "partial",
            Encryption::Encrypted => "encrypted",
            Encryption::Unknown => "unknown",
        }
    }
}

impl fmt::Display for Encryption {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Bytes read from one object at a known offset.
#[derive(Clone, Debug, Default)]
pub struct Window {
    pub offset: u64,
    pub bytes: Vec<u8>,
}

/// What was read of one object: its head and any further windows.
#[derive(Clone, Copy, Debug)]
pub struct Sample<'a> {
    /// The object's full size (from the listing or `fstat`), not what was read.
    pub size: u64,
    /// Bytes from offset 0 (up to [`HEAD_LEN`]).
    pub head: &'a [u8],
    /// Further windows, in any order, not overlapping the head.
    pub windows: &'a [Window],
    /// Will windows a detector asks for be read? Not for an archive's
    /// member, judged from the bytes the walk holds.
    pub reads: bool,
}

impl<'a> Sample<'a> {
    pub fn new(size: u64, head: &'a [u8], windows: &'a [Window]) -> Self {
        Sample {
            size,
            head,
            windows,
            reads: true,
        }
    }

    /// A sample of bytes held, all that will ever be read of the object.
    pub fn held(size: u64, head: &'a [u8], windows: &'a [Window]) -> Self {
        Sample {
            reads: false,
            ..Sample::new(size, head, windows)
        }
    }

    /// The whole object is in the head.
    pub fn is_whole(&self) -> bool {
        self.head.len() as u64 >= self.size
    }

    /// The longest run of contiguous bytes read from `offset` on (up to the end
    /// of the head or window holding it), or `None` when nothing at `offset`
    /// was read.
    pub fn from_offset(&self, offset: u64) -> Option<&'a [u8]> {
        // Most objects are read whole in the head: every detector asks
        // here, so the usual case skips the search over windows.
        if self.windows.is_empty() {
            let skip = usize::try_from(offset).ok()?;
            return self.head.get(skip..).filter(|b| !b.is_empty());
        }
        std::iter::once((0u64, self.head))
            .chain(self.windows.iter().map(|w| (w.offset, w.bytes.as_slice())))
            .filter_map(|(start, bytes)| {
                let skip = usize::try_from(offset.checked_sub(start)?).ok()?;
                bytes.get(skip..).filter(|b| !b.is_empty())
            })
            .max_by_key(|b| b.len())
    }

    /// Exactly `len` bytes at `offset`, when they were read. A window that
    /// overlaps the head's end serves a read the head cuts short (a box header
    /// straddling the end of the head).
    pub fn at(&self, offset: u64, len: usize) -> Option<&'a [u8]> {
        self.from_offset(offset).and_then(|b| b.get(..len))
    }

    /// Has anything at `offset` been read?
    pub fn has(&self, offset: u64) -> bool {
        self.from_offset(offset).is_some()
    }

    /// The slices holding bytes of `range`, for statistics over a payload.
    pub fn slices_in(&self, range: Range<u64>) -> Vec<&'a [u8]> {
        let mut out = Vec::with_capacity(1 + self.windows.len());
        // Most samples are a head alone.
        if self.windows.is_empty() {
            let hi = range.end.min(self.head.len() as u64);
            if range.start < hi {
                out.push(&self.head[range.start as usize..hi as usize]);
            }
            return out;
        }
        let mut parts: Vec<(u64, &'a [u8])> = vec![(0, self.head)];
        parts.extend(self.windows.iter().map(|w| (w.offset, w.bytes.as_slice())));
        parts.sort_by_key(|p| p.0);
        for (off, bytes) in parts {
            let end = off + bytes.len() as u64;
            let lo = range.start.max(off);
            let hi = range.end.min(end);
            if lo < hi {
                out.push(&bytes[(lo - off) as usize..(hi - off) as usize]);
            }
        }
        out
    }

    /// The windows read past the head (not those a detector placed inside
    /// it, nor empty ones).
    pub fn past_head(&self) -> impl Iterator<Item = &'a Window> {
        let head = self.head.len() as u64;
        self.windows
            .iter()
            .filter(move |w| w.offset >= head && !w.bytes.is_empty())
    }

    /// Windows worth reading to judge `range` statistically: its middle and its
    /// end, skipping what is already read. Empty when the sample covers enough.
    /// Windows over what follows a format's end at `end` (0: the end is
    /// not known): where a file appended there starts, so its header is
    /// read; then the middle and end of the rest, so the windows lie in
    /// what was appended and not in the format before it.
    pub fn wants_behind(&self, end: u64) -> Vec<Range<u64>> {
        let len = WINDOW_LEN as u64;
        let first = end.max(self.head.len() as u64);
        let mut wants = Vec::new();
        // The same windows every round, read or not: where the rest
        // begins does not move once the first of them is in hand.
        let rest = if end > 0 && first < self.size {
            let window = first..(first + len).min(self.size);
            if !self.has(first) {
                wants.push(window.clone());
            }
            window.end
        } else {
            end
        };
        wants.extend(self.spread_wants(rest..self.size));
        wants
    }

    pub fn spread_wants(&self, range: Range<u64>) -> Vec<Range<u64>> {
        let end = range.end.min(self.size);
        let floor = range.start.max(self.head.len() as u64);
        if end <= floor {
            return Vec::new();
        }
        let len = WINDOW_LEN as u64;
        let mid = range.start + (end - range.start) / 2;
        let mut wants: Vec<Range<u64>> = Vec::new();
        for start in [mid.saturating_sub(len / 2), end.saturating_sub(len)] {
            let mut want = start.max(floor)..(start.max(floor) + len).min(end);
            if let Some(last) = wants.last() {
                want.start = want.start.max(last.end);
            }
            // A sliver adds no power to the tests; a read window needs no second read.
            if want.end.saturating_sub(want.start) < 4096 || self.has(want.start) {
                continue;
            }
            wants.push(want);
        }
        wants
    }
}

/// Structured facts behind a verdict: formats, offsets and statistics, never
/// content. A map by key, in key order, as a few pairs in one vector: every
/// object gets one and most hold two to six facts, for which a B-tree paid
/// a node allocation and a search per fact.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Evidence(Vec<(&'static str, Value)>);

impl Evidence {
    pub fn new() -> Evidence {
        Evidence(Vec::new())
    }

    /// Sets `key`, replacing (and returning) what it held.
    pub fn insert(&mut self, key: &'static str, value: Value) -> Option<Value> {
        match self.0.binary_search_by(|(k, _)| key_order(k, key)) {
            Ok(at) => Some(std::mem::replace(&mut self.0[at].1, value)),
            Err(at) => {
                // Room for most objects' facts at the first: growing from
                // one pair would allocate twice and move them once.
                if self.0.capacity() == 0 {
                    self.0.reserve_exact(8);
                }
                self.0.insert(at, (key, value));
                None
            }
        }
    }

    pub fn get(&self, key: &str) -> Option<&Value> {
        let at = self.0.binary_search_by(|(k, _)| key_order(k, key)).ok()?;
        Some(&self.0[at].1)
    }

    pub fn contains_key(&self, key: &str) -> bool {
        self.get(key).is_some()
    }

    /// The facts in key order.
    pub fn iter(&self) -> impl Iterator<Item = (&'static str, &Value)> {
        self.0.iter().map(|(k, v)| (*k, v))
    }
}

/// The order of keys, as `str` orders them: most differ in their first
/// byte, which settles it without a call to compare the rest.
fn key_order(a: &str, b: &str) -> std::cmp::Ordering {
    match (a.as_bytes().first(), b.as_bytes().first()) {
        (Some(x), Some(y)) if x != y => x.cmp(y),
        _ => a.cmp(b),
    }
}

impl std::ops::Index<&str> for Evidence {
    type Output = Value;

    /// `Value::Null` for a key it does not hold, as a JSON map indexes.
    fn index(&self, key: &str) -> &Value {
        static NULL: Value = Value::Null;
        self.get(key).unwrap_or(&NULL)
    }
}

impl serde::Serialize for Evidence {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_map(self.iter())
    }
}

/// Longest evidence string, in characters; anything longer is cut.
pub const MAX_EVIDENCE_CHARS: usize = 256;
/// Longest text taken from an object's bytes into evidence (a codec id, a
/// brand, a declared type), in characters.
pub const MAX_TOKEN_CHARS: usize = 64;

/// Text taken from an object's bytes, made fit for evidence: printable ASCII
/// only (anything else becomes `?`, so no terminal escape, no line break, no
/// invisible character reaches a report) and at most [`MAX_TOKEN_CHARS`]
/// characters, the last three `...` when it was cut. The attacker chooses
/// these bytes; the report must neither carry their content nor grow with it.
pub fn token(b: &[u8]) -> String {
    let shown = |c: &u8| {
        if (0x20..0x7f).contains(c) {
            *c as char
        } else {
            '?'
        }
    };
    if b.len() <= MAX_TOKEN_CHARS {
        return b.iter().map(shown).collect();
    }
    let mut t: String = b[..MAX_TOKEN_CHARS - 3].iter().map(shown).collect();
    t.push_str("...");
    t
}

/// Storage-level encryption of one object, as its provider reports it.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(rename_all = "kebab-case")]
pub enum AtRest {
    /// Not an object-store object, or the provider said nothing.
    #[default]
    Unknown,
    /// The provider reports no server-side encryption.
    None,
    /// Provider-managed keys (SSE-S3, Azure Microsoft-managed, Google default).
    Provider,
    /// A key-management-service key (SSE-KMS, Azure encryption scope, GCS CMEK).
    Kms,
    /// A key the customer supplies per request (SSE-C, Azure CPK, GCS CSEK).
    CustomerKey,
}

impl AtRest {
    pub fn as_str(self) -> &'static str {
        match self {
            AtRest::Unknown => "unknown",
            AtRest::None => "none",
            AtRest::Provider => "provider",
            AtRest::Kms => "kms",
            AtRest::CustomerKey => "customer-key",
        }
    }
}

/// The result of sniffing one object (or one member of an archive).
#[derive(Clone, Debug, PartialEq)]
pub struct Sniff {
    /// Short, stable format id (`wav`, `mp3`, `iso19794-2`, `age`, …).
    pub format: Cow<'static, str>,
    pub mime: Option<Cow<'static, str>>,
    pub class: Class,
    pub encryption: Encryption,
    pub evidence: Evidence,
    /// Mean entropy of the windows that were tested, when any were.
    pub entropy: Option<f64>,
    /// Byte ranges that would sharpen this verdict, if read.
    pub wants: Vec<Range<u64>>,
    /// Storage-level encryption reported by an object store.
    pub at_rest: AtRest,
}

impl Sniff {
    /// A format of the registry. Its id and MIME type are borrowed: copying
    /// them cost two allocations on every object.
    pub fn new(
        format: &'static str,
        mime: Option<&'static str>,
        class: Class,
        encryption: Encryption,
    ) -> Sniff {
        debug_assert!(
            formats::is_known(format),
            "format {format:?} is missing from sniff::formats::FORMATS"
        );
        Sniff::named(format, mime.map(Cow::Borrowed), class, encryption)
    }

    /// A format a rules file defined (custom magic): not in the registry.
    pub fn named(
        format: impl Into<Cow<'static, str>>,
        mime: Option<Cow<'static, str>>,
        class: Class,
        encryption: Encryption,
    ) -> Sniff {
        Sniff {
            format: format.into(),
            mime,
            class,
            encryption,
            evidence: Evidence::new(),
            entropy: None,
            wants: Vec::new(),
            at_rest: AtRest::Unknown,
        }
    }

    /// Adds one fact to the evidence. Strings are cut to [`MAX_EVIDENCE_CHARS`]
    /// whatever built them: a detector that forgets [`token`] around bytes of
    /// the object still cannot copy the object into the report.
    pub fn with(mut self, key: &'static str, value: impl Into<Value>) -> Sniff {
        let mut value = value.into();
        if let Value::String(text) = &mut value {
            // No more bytes than the limit means no more characters either:
            // the usual short text is not walked character by character.
            if text.len() > MAX_EVIDENCE_CHARS {
                if let Some((cut, _)) = text.char_indices().nth(MAX_EVIDENCE_CHARS) {
                    text.truncate(cut);
                    text.push_str("...");
                }
            }
        }
        self.evidence.insert(key, value);
        self
    }

    /// Records the randomness statistics in the evidence.
    pub fn with_stats(mut self, r: &Randomness) -> Sniff {
        if let (Some(e), Some(c)) = (r.entropy(), r.chi2()) {
            self.entropy = Some(e);
            self.evidence.insert("entropy", json!(round3(e)));
            self.evidence.insert("chi2", json!(round3(c)));
            self.evidence.insert("windows", json!(r.windows.len()));
            self.evidence
                .insert("random_like", json!(r.is_random_like()));
        }
        self
    }

    pub fn wanting(mut self, wants: Vec<Range<u64>>) -> Sniff {
        self.wants = wants;
        self
    }
}

/// Rounds for the report: stable, readable, and enough to compare runs.
pub fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

/// A user-defined magic signature from the rules file.
#[derive(Clone, Debug, PartialEq)]
pub struct Signature {
    pub format: String,
    pub class: Class,
    pub offset: u64,
    pub bytes: Vec<u8>,
}

type Detector = fn(&Sample) -> Option<Sniff>;

/// Ordered as formats.md §6 recommends: encryption envelopes first (a header in
/// the clear that announces ciphertext), then biometric records, audio, media
/// containers, compression wrappers, text, other known formats; statistics last.
const DETECTORS: &[Detector] = &[
    // AI dataset containers first: each is validated beyond a magic (a
    // TFRecord length's CRC32C, Parquet's magic at both ends, a parsed Arrow
    // schema) and none can be an envelope's header, while an OpenPGP packet
    // check accepts a TFRecord length as a packet; an npz or a torch
    // checkpoint is a zip, and a Parquet page or a Kaldi archive holds whole
    // MP3s and WAVs that the audio detector would otherwise name instead.
    dataset::detect,
    |s| envelope::detect(s).map(|e| prefix::check_envelope(s, e)),
    biometric::detect,
    // Containers first: an MPEG program stream holds MP2 frames, and a stored
    // zip or 7z holds whole MP3s, that the audio detector's frame search
    // would otherwise name instead of the container (hiding its other members).
    |s| media::detect(s).map(|m| prefix::check_media(s, m)),
    wrapper::detect,
    codecs::detect,
    // An Ogg stream of video only (Theora) is judged here.
    |s| audio::detect(s).map(|a| prefix::check_media(s, a)),
    |s| text::detect(s).map(|t| prefix::check_text(s, t)),
    |s| other::detect(s).map(|named| prefix::check_named(s, named)),
];

/// Identifies one object from its sample.
pub fn sniff(sample: &Sample, custom: &[Signature]) -> Sniff {
    if sample.size == 0 {
        return Sniff::new("empty", None, Class::Other, Encryption::None);
    }
    if let Some(s) = custom.iter().find_map(|sig| custom_signature(sample, sig)) {
        return s;
    }
    let mut sniff = DETECTORS
        .iter()
        .find_map(|detect| detect(sample))
        .unwrap_or_else(|| statistics(sample));
    // Wishes are cut to the object, whatever a detector computed: the reader
    // drops a wish that reaches past the end, which would leave the bytes
    // before it unread.
    for want in &mut sniff.wants {
        want.end = want.end.min(sample.size);
    }
    sniff.wants.retain(|w| w.start < w.end);
    sniff
}

fn custom_signature(sample: &Sample, sig: &Signature) -> Option<Sniff> {
    if sample.at(sig.offset, sig.bytes.len())? != sig.bytes.as_slice() {
        return None;
    }
    let header_end = sig.offset + sig.bytes.len() as u64;
    let sniff = Sniff::named(sig.format.clone(), None, sig.class, Encryption::None).with(
        "magic",
        format!("{} at {} (rules file)", hex(&sig.bytes), sig.offset),
    );
    Some(judge_payload(sample, sniff, header_end..sample.size))
}

/// The least payload of a recording judged for ciphertext.
const MIN_AUDIO_PAYLOAD: usize = 4096;

/// Compares a located payload with what its container promises: when the bytes
/// are indistinguishable from ciphertext, the container is a plaintext wrapper
/// around encrypted data (`partial`); when they are structured, the plaintext
/// verdict stands. Asks for the middle and end of the payload while the head
/// alone looks random, so one encrypted region cannot hide plaintext elsewhere.
pub(crate) fn judge_payload(sample: &Sample, sniff: Sniff, payload: Range<u64>) -> Sniff {
    let r = Randomness::of(&sample.slices_in(payload.clone()));
    if !r.is_decided() {
        return sniff;
    }
    let mut sniff = sniff.with_stats(&r);
    // Samples of 24 or 32 bits (or floats) have low bytes as noisy as
    // ciphertext: over less than a few KiB of them the battery cannot
    // tell, and a recording is not called encrypted on so little.
    let too_short = sniff.class == Class::Audio
        && payload.end.saturating_sub(payload.start) < MIN_AUDIO_PAYLOAD as u64;
    if r.is_random_like() && !too_short {
        if sniff.encryption == Encryption::None {
            sniff.encryption = Encryption::Partial;
            sniff = sniff.with(
                "payload",
                "indistinguishable from ciphertext; container metadata in the clear",
            );
        }
        sniff.wants = sample.spread_wants(payload);
    }
    sniff
}

/// The last resort for bytes no signature explains.
fn statistics(sample: &Sample) -> Sniff {
    if let Some(xored) = prefix::xored_audio(sample) {
        return xored;
    }
    // A piece of a FLAC stream looks random: its frames are asked first.
    if let Some(piece) = audio::flac_piece(sample) {
        return piece;
    }
    let r = Randomness::of(&sample.slices_in(0..sample.size));
    if !r.is_decided() {
        return Sniff::new("unknown", None, Class::Other, Encryption::Unknown)
            .with("reason", "too few bytes for a statistical verdict");
    }
    if r.is_random_like() {
        let wants = sample.spread_wants(0..sample.size);
        return Sniff::new("random-like", None, Class::Encrypted, Encryption::Encrypted)
            .with(
                "basis",
                "no envelope recognised; bytes indistinguishable from ciphertext (or range-coded compression)",
            )
            .with_stats(&r)
            .wanting(wants);
    }
    if let Some((_, audio)) = prefix::audio_behind(sample) {
        return audio;
    }
    // Windows past the head are read only when the head held no recording.
    if let Some(audio) = prefix::recording_past_head(sample) {
        return audio.with(
            "head",
            format!(
                "no recording in the first {} bytes, one in the windows read behind them",
                sample.head.len()
            ),
        );
    }
    // With windows past the head, the head held no samples (or it was
    // random): the vote over all of them is the one just taken.
    let past = sample.past_head().next().is_some();
    let pcm = if past { None } else { audio::raw_pcm(sample) };
    if let Some(pcm) = pcm.or_else(|| telephony::g722(sample)) {
        return pcm.with_stats(&r);
    }
    // What the head does not explain may still hold a recording further on:
    // its middle and end are read before the object is called plain binary.
    let mut wants = sample.spread_wants(0..sample.size);
    wants.extend(dataset::hdf5_far_wants(sample, &wants));
    Sniff::new("binary", None, Class::Other, Encryption::None)
        .with("basis", "structured bytes of no recognised format")
        .with_stats(&r)
        .wanting(wants)
}

pub(crate) fn hex(b: &[u8]) -> String {
    b.iter()
        .map(|x| format!("{x:02x}"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Describes a magic for the evidence: printable bytes as text, others as `..`.
pub(crate) fn magic_text(b: &[u8], offset: usize) -> String {
    let shown: String = b
        .iter()
        .map(|&c| {
            if (0x20..0x7f).contains(&c) {
                c as char
            } else {
                '.'
            }
        })
        .collect();
    format!("{shown} at {offset}")
}

#[cfg(test)]
mod tests {
    use super::testutil::pseudo_random;
    use super::*;

    /// A WAV whose payload looks random is `partial`, but not when the
    /// payload is under 4 KiB: the low bytes of 32-bit samples are as
    /// noisy. What counts is the payload's size, not the share of it in
    /// the head (a long chunk before a large payload leaves little).
    #[test]
    fn a_short_random_looking_recording_is_not_called_encrypted() {
        let wav = |payload: &[u8]| {
            let mut v = b"RIFF".to_vec();
            v.extend((36 + payload.len() as u32).to_le_bytes());
            v.extend(b"WAVEfmt \x10\0\0\0\x01\0\x01\0\x44\xac\0\0\x10\xb1\x02\0\x04\0\x20\0data");
            v.extend((payload.len() as u32).to_le_bytes());
            v.extend(payload);
            v
        };
        let judged = |payload: &[u8]| {
            let v = wav(payload);
            let s = sniff(&Sample::new(v.len() as u64, &v, &[]), &[]);
            (s.format.to_string(), s.encryption)
        };
        assert_eq!(
            judged(&pseudo_random(944, 3)),
            ("wav".into(), Encryption::None)
        );
        assert_eq!(
            judged(&pseudo_random(16_384, 3)),
            ("wav".into(), Encryption::Partial)
        );
        let mut junk = b"JUNK".to_vec();
        junk.extend(((HEAD_LEN - 1024) as u32).to_le_bytes());
        junk.resize(junk.len() + HEAD_LEN - 1024, 0);
        let mut v = wav(&pseudo_random(2 << 20, 5));
        v.splice(12..12, junk);
        let s = sniff(&Sample::new(v.len() as u64, &v[..HEAD_LEN], &[]), &[]);
        assert_eq!((&*s.format, s.encryption), ("wav", Encryption::Partial));
    }

    /// Facts come out in key order whatever order they went in, and the
    /// first-byte shortcut orders keys as `str` does.
    #[test]
    fn evidence_keys_are_kept_in_str_order() {
        let keys = [
            "windows",
            "chi2",
            "codec",
            "",
            "entropy",
            "c",
            "random_like",
            "basis",
        ];
        for a in keys {
            for b in keys {
                assert_eq!(key_order(a, b), a.cmp(b), "{a:?} {b:?}");
            }
        }
        let mut e = Evidence::new();
        for (i, k) in keys.iter().enumerate() {
            e.insert(k, json!(i));
        }
        assert_eq!(e.insert("chi2", json!("again")), Some(json!(1)));
        let mut sorted = keys.to_vec();
        sorted.sort();
        assert_eq!(e.iter().map(|(k, _)| k).collect::<Vec<_>>(), sorted);
        assert_eq!(e["chi2"], "again");
    }

    #[test]
    fn random_bytes_are_called_encrypted_not_audio() {
        for seed in 0..200 {
            let data = pseudo_random(4096, seed);
            let s = sniff(&Sample::new(4096, &data, &[]), &[]);
            assert_ne!(s.class, Class::Audio, "seed {seed}: {s:?}");
            assert_ne!(s.class, Class::Biometric, "seed {seed}: {s:?}");
        }
    }

    #[test]
    fn a_large_random_head_asks_for_middle_and_tail() {
        let data = pseudo_random(HEAD_LEN, 5);
        let s = sniff(&Sample::new(10 << 20, &data, &[]), &[]);
        assert_eq!(s.format, "random-like");
        assert_eq!(s.wants.len(), 2, "{:?}", s.wants);
        assert!(s.wants.iter().all(|w| w.end - w.start == WINDOW_LEN as u64));
        assert_eq!(s.wants[1].end, 10 << 20);
    }

    #[test]
    fn custom_signatures_come_first() {
        let mut data = b"ACMEVOX1".to_vec();
        data.extend(b"structured payload ".repeat(100));
        let sig = Signature {
            format: "acme".into(),
            class: Class::Biometric,
            offset: 0,
            bytes: b"ACMEVOX".to_vec(),
        };
        let s = sniff(
            &Sample::new(data.len() as u64, &data, &[]),
            std::slice::from_ref(&sig),
        );
        assert_eq!(
            (&*s.format, s.class, s.encryption),
            ("acme", Class::Biometric, Encryption::None)
        );
        let mut enc = b"ACMEVOX1".to_vec();
        enc.extend(pseudo_random(8192, 1));
        let s = sniff(&Sample::new(enc.len() as u64, &enc, &[]), &[sig]);
        assert_eq!(s.encryption, Encryption::Partial);
    }

    #[test]
    fn sample_slices_cover_head_and_windows() {
        let head = vec![1u8; 10];
        let w = [Window {
            offset: 100,
            bytes: vec![2u8; 10],
        }];
        let s = Sample::new(200, &head, &w);
        assert_eq!(
            s.slices_in(5..105)
                .iter()
                .map(|x| x.len())
                .collect::<Vec<_>>(),
            vec![5, 5]
        );
        assert_eq!(s.at(100, 3), Some(&[2u8, 2, 2][..]));
        assert!(s.at(50, 1).is_none());
    }

    #[test]
    fn tokens_from_object_bytes_are_short_and_printable() {
        assert_eq!(token(b"mp4a"), "mp4a");
        assert_eq!(token(b"\x1b]0;x\x07\n\xff"), "?]0;x???");
        let long = token(&[b'A'; 60_000]);
        assert_eq!(long.len(), MAX_TOKEN_CHARS);
        assert!(long.ends_with("..."));
        // Evidence strings built any other way are cut too.
        let s =
            Sniff::new("wav", None, Class::Audio, Encryption::None).with("codec", "é".repeat(1000));
        let shown = s.evidence["codec"].as_str().unwrap();
        assert_eq!(shown.chars().count(), MAX_EVIDENCE_CHARS + 3);
    }

    #[test]
    fn reads_straddling_the_end_of_the_head_are_served_by_a_window() {
        let head = vec![1u8; 100];
        let w = [Window {
            offset: 90,
            bytes: vec![2u8; 50],
        }];
        let s = Sample::new(1000, &head, &w);
        assert_eq!(s.at(95, 16), Some(&[2u8; 16][..]));
        assert_eq!(s.from_offset(95).map(<[u8]>::len), Some(45));
        assert!(s.at(130, 16).is_none());
        assert!(s.from_offset(u64::MAX).is_none());
    }
}
