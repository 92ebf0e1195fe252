//! Encoded payloads in text (formats.md §3.7.4, §6 stage 4): voice notes are
//! often stored as base64 data URIs inside JSON, HTML or database dumps, and
//! hex blobs fill SQL dumps. Long runs of the base64 or hex alphabet are
//! decoded (bounded) so the same detectors judge the decoded bytes.

use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::DecodePaddingMode;
use base64::Engine;

use crate::sniff::{self, Class, Sniff};

/// Shorter runs are identifiers, hashes and tokens, not payloads.
pub const MIN_RUN: usize = 64;

/// At most this many runs of one text are decoded and judged, whatever
/// `max_members` allows: each decoded run may become a finding, and a text
/// that repeats one data: URI every 100 bytes must give a handful of findings
/// and a limit, not hundreds of copies of one verdict.
pub const MAX_RUNS: usize = 64;

/// Decoded tokens shorter than this are judged by strong magics only:
/// statistics need a few hundred bytes (formats.md §3.7.2), and a magic of one
/// or two bytes plus a length field is met by chance once in a few thousand
/// random tokens, and a SQL dump holds thousands.
pub const MIN_JUDGED: usize = 256;

/// Formats whose detection rests on a few bits (a packet tag and a length, a
/// frame sync) or on statistics alone: on a short decoded token they are
/// coincidence, not evidence.
const WEAK_ON_TOKENS: &[&str] = &[
    "random-like",
    "raw-pcm",
    "openpgp",
    "mp3",
    "mp2",
    "aac",
    "ac3",
    "eac3",
    "gsm",
    "wsq",
    "cbeff",
];

/// Whether a verdict rests on statistics alone (headerless samples,
/// ciphertext-like bytes, G.722's code set): bytes reached by a weaker
/// route than a run's alphabet or a container's header (a list of byte
/// values, escapes, a hex dump, a headerless codec's trial decoding)
/// need more, since tables of words pass for samples.
pub fn by_statistics_alone(s: &Sniff) -> bool {
    matches!(&*s.format, "raw-pcm" | "random-like" | "g722")
}

/// Whether the verdict on a decoded run of `len` bytes speaks for the run:
/// a class worth reporting, and no weak magic on a short token.
pub fn speaks_for(s: &Sniff, len: usize) -> bool {
    s.class != Class::Other && (len >= MIN_JUDGED || !WEAK_ON_TOKENS.contains(&&*s.format))
}

/// Decoded runs of one text that said nothing alone, joined in the order
/// they were found: a stream sent in pieces (a realtime voice API's audio
/// deltas logged one JSON event per line, an array of chunks) is headerless
/// samples cut into pieces too short for the statistics to judge, and only
/// together do they show what they are.
///
/// A text may carry other runs beside the pieces (each event's id, token
/// or signature), which would break the samples up: runs are joined by
/// what they follow. A run a few separators behind the last one (the next
/// line of a wrapped payload, the next string of an array) continues its
/// stream; any other goes to the stream of its key, the last word before
/// it (the JSON key, the XML tag, none in a CSV row), base64 and hex apart.
/// At most [`MAX_STREAMS`] streams of [`MAX_JOINED`] bytes each.
///
/// A text one of whose runs was a recording alone is reported by that
/// run: the pieces behind a recording's first are its rest, not a second.
#[derive(Debug, Default)]
pub struct Pieces {
    streams: Vec<Joined>,
    /// Where the last run added ends (in the text's units), and its stream.
    last: Option<(u64, usize)>,
    /// A run of the text was a recording (or biometric data) alone.
    spoken: bool,
}

/// The runs of one stream joined.
#[derive(Debug)]
struct Joined {
    encoding: Encoding,
    key: Vec<u8>,
    /// Where the first and the last joined run start, by byte offset.
    first: u64,
    last: u64,
    count: usize,
    data: Vec<u8>,
}

/// Bytes of decoded pieces joined per stream, as many as the statistics
/// judge of an object: a call's first seconds are often silence.
pub const MAX_JOINED: usize = 64 << 10;
/// Streams of one text.
pub const MAX_STREAMS: usize = 8;
/// Runs of a text's head looked at as pieces, those judged alone included.
pub const MAX_PIECE_RUNS: usize = 1024;
/// Separators between two runs of one stream, at most (`", "` between
/// an array's strings, blanks and a line break between wrapped lines).
const MAX_GAP: u64 = 8;
/// Bytes before a run searched for its key, and the key's longest part kept.
const KEY_SEARCH: usize = 32;
const MAX_KEY: usize = 16;

/// A run to add to [`Pieces`]: where it lies in the text (`start..end`,
/// in the text's units), the byte offset it is named by, and the text
/// just before it (its key is looked for there).
pub struct Piece<'a> {
    pub encoding: Encoding,
    /// Its symbols do not mix (see [`Run::plain`]).
    pub plain: bool,
    pub start: u64,
    pub end: u64,
    pub offset: u64,
    pub before: &'a [u8],
}

impl<'a> Piece<'a> {
    /// `run` of `text`, which starts at `base` of the object, in units of
    /// `width` bytes.
    pub fn of(run: &Run, text: &'a [u8], base: u64, width: usize) -> Piece<'a> {
        Piece {
            encoding: run.encoding,
            plain: run.plain,
            start: base + run.offset as u64,
            end: base + run.end as u64,
            offset: (base + run.offset as u64) * width as u64,
            before: &text[run.offset.saturating_sub(KEY_SEARCH)..run.offset],
        }
    }
}

impl Pieces {
    /// Adds a run's decoded bytes to its stream, while there is room. A
    /// run that does not mix its symbols only continues a stream.
    pub fn push(&mut self, piece: &Piece<'_>, data: &[u8]) {
        let found = match piece.plain {
            true => self.find(piece),
            false => self.stream_of(piece),
        };
        let Some(k) = found else {
            return;
        };
        self.last = Some((piece.end, k));
        let joined = &mut self.streams[k];
        let room = MAX_JOINED - joined.data.len();
        if room == 0 || data.is_empty() {
            return;
        }
        if joined.count == 0 {
            joined.first = piece.offset;
        }
        joined.last = piece.offset;
        joined.count += 1;
        joined.data.extend_from_slice(&data[..data.len().min(room)]);
    }

    /// Room left in the stream `piece` would join (0 when it joins none).
    pub fn room(&self, piece: &Piece<'_>) -> usize {
        match self.find(piece) {
            Some(k) => MAX_JOINED - self.streams[k].data.len(),
            None if !piece.plain && self.streams.len() < MAX_STREAMS => MAX_JOINED,
            None => 0,
        }
    }

    /// The stream a run continues or whose key it has.
    fn find(&self, piece: &Piece<'_>) -> Option<usize> {
        if let Some((end, k)) = self.last {
            let gap = piece.start.checked_sub(end).filter(|&g| g <= MAX_GAP);
            let between = gap.and_then(|g| {
                piece
                    .before
                    .get(piece.before.len().checked_sub(g as usize)?..)
            });
            let separated = between.is_some_and(|b| !b.iter().any(u8::is_ascii_alphanumeric));
            if separated && self.streams[k].encoding == piece.encoding {
                return Some(k);
            }
        }
        let key = key(piece.before);
        self.streams
            .iter()
            .position(|j| j.encoding == piece.encoding && j.key == key)
    }

    fn stream_of(&mut self, piece: &Piece<'_>) -> Option<usize> {
        if let Some(k) = self.find(piece) {
            return Some(k);
        }
        if self.streams.len() == MAX_STREAMS {
            return None;
        }
        self.streams.push(Joined {
            encoding: piece.encoding,
            key: key(piece.before).to_vec(),
            first: piece.offset,
            last: piece.offset,
            count: 0,
            data: Vec::new(),
        });
        Some(self.streams.len() - 1)
    }

    /// Notes a run judged alone: one that was a recording or biometric
    /// data speaks for the text.
    pub fn judged(&mut self, s: &Sniff) {
        self.spoken |= matches!(s.class, Class::Audio | Class::Biometric);
    }

    /// Whether a run of the text spoke alone (the pieces are not judged).
    pub fn spoken(&self) -> bool {
        self.spoken
    }

    /// Each stream's joined bytes, where two runs or more were joined,
    /// unless a run spoke alone: with how they were read from the text and
    /// the member's name.
    pub fn joined(&self) -> impl Iterator<Item = (&[u8], String, String)> {
        let streams = if self.spoken {
            &[][..]
        } else {
            &self.streams[..]
        };
        streams.iter().filter(|j| j.count >= 2).map(|j| {
            let name = j.encoding.name();
            (
                &j.data[..],
                format!(
                    "{} runs of {name} from byte {} to byte {}, decoded and joined",
                    j.count, j.first, j.last
                ),
                format!("{name}-pieces@{}", j.first),
            )
        })
    }
}

/// The last word before a run, to its last letter (letters, digits, `_`
/// and `-`), within the [`KEY_SEARCH`] bytes before it: a JSON key, an XML tag, a
/// YAML key; empty where there is none (a CSV row's cell).
fn key(before: &[u8]) -> &[u8] {
    let before = &before[before.len().saturating_sub(KEY_SEARCH)..];
    let word = |c: &u8| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'-');
    let Some(end) = before.iter().rposition(|c| c.is_ascii_alphabetic()) else {
        return &[];
    };
    let start = before[..end]
        .iter()
        .rposition(|c| !word(c))
        .map_or(0, |i| i + 1);
    let key = &before[start..=end];
    &key[key.len().saturating_sub(MAX_KEY)..]
}

/// A line of a wrapped payload is at least this long (MIME wraps at 76,
/// PEM at 64, `xxd -p` at 60); a line break after a shorter line ends the run,
/// so a list of short words never joins into one "payload".
const MIN_WRAPPED_LINE: usize = 40;

/// A line of a wrapped payload that the next line's indentation shows a
/// pretty-printer wrote: `plistlib` narrows its lines by the depth they
/// are written at, down to 16 symbols.
const MIN_INDENTED_LINE: usize = 16;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Base64,
    Hex,
}

impl Encoding {
    pub fn name(self) -> &'static str {
        match self {
            Encoding::Base64 => "base64",
            Encoding::Hex => "hex",
        }
    }
}

/// One run of encoded text found in a buffer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Run {
    /// Byte offset of the run's first symbol in the text.
    pub offset: usize,
    /// Byte offset just past the run's last symbol.
    pub end: usize,
    pub encoding: Encoding,
    /// The MIME type a `data:` URI declares for it.
    pub declared: Option<String>,
    /// Its symbols do not mix as encoded bytes do (a path, a word, a
    /// piece of silence): given only by [`runs_and_plain`], as a piece
    /// that may continue a stream of pieces, never as a payload.
    pub plain: bool,
}

fn is_b64(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b'+' | b'/' | b'-' | b'_')
}

/// A symbol written as a JSON escape: `\/` (PHP's default) and `\u002B`
/// or `\u002F` (System.Text.Json escapes `+` by default): the symbol and
/// the escape's length.
fn escaped_symbol(text: &[u8], i: usize) -> Option<(u8, usize)> {
    let rest = text.get(i..)?;
    if rest.starts_with(b"\\/") {
        return Some((b'/', 2));
    }
    match rest.get(..6)? {
        [b'\\', b'u', b'0', b'0', b'2', b'B' | b'b'] => Some((b'+', 6)),
        [b'\\', b'u', b'0', b'0', b'2', b'F' | b'f'] => Some((b'/', 6)),
        _ => None,
    }
}

/// The indentation of a wrapped run's lines: every line after a real line
/// break is indented alike (by what indents the run's first line, when
/// that line holds nothing else before the run), so the key that follows a
/// YAML block, less indented, does not join it. An escaped `\n` is
/// followed by what the string holds, not by indentation.
#[derive(Clone, Copy)]
struct Indent(Option<usize>);

impl Indent {
    /// The indentation of a run that starts at `text[start]`: known when
    /// only blanks stand between it and a line break or the text's start.
    fn of_run(text: &[u8], start: usize) -> Indent {
        let blanks = text[..start]
            .iter()
            .rev()
            .take_while(|&&c| blank(c))
            .count();
        let line_start = start - blanks;
        let known = line_start == 0 || matches!(text[line_start - 1], b'\n' | b'\r');
        Indent(known.then_some(blanks))
    }

    /// Where the line that starts at `text[i]`, after a line break, goes
    /// on with the run: past its indentation, or `None` when that differs
    /// from the lines' before it.
    fn next_line(&mut self, text: &[u8], i: usize) -> Option<usize> {
        if !matches!(text.get(i.wrapping_sub(1)), Some(b'\n' | b'\r')) {
            return Some(i);
        }
        let blanks = text[i..].iter().take_while(|&&c| blank(c)).count();
        match self.0 {
            Some(indent) if indent != blanks => None,
            _ => {
                self.0 = Some(blanks);
                Some(i + blanks)
            }
        }
    }
}

/// Line breaks inside a run: real ones and JSON's escaped `\n`, `\r\n`.
fn line_break(text: &[u8], i: usize) -> Option<usize> {
    match text[i] {
        b'\n' => Some(1),
        b'\r' if text.get(i + 1) == Some(&b'\n') => Some(2),
        b'\r' => Some(1),
        b'\\' => match (text.get(i + 1), text.get(i + 2), text.get(i + 3)) {
            (Some(b'r'), Some(b'\\'), Some(b'n')) => Some(4),
            (Some(b'n'), _, _) | (Some(b'r'), _, _) => Some(2),
            _ => None,
        },
        _ => None,
    }
}

/// Any byte a run can hold: a symbol, the `\\` of an escape, a line break.
/// A run lies inside one stretch of such bytes and has no more symbols than
/// the stretch has bytes.
const IN_RUN: [bool; 256] = {
    let mut table = [false; 256];
    let mut c = 0;
    while c < 256 {
        table[c] = in_run_compared(c as u8);
        c += 1;
    }
    table
};

fn in_run(c: u8) -> bool {
    IN_RUN[c as usize]
}

/// How many of `chars` (read from a run's start on) the run spans: its
/// bytes, line breaks, indentation and padding, up to the first byte that
/// stops every run; `None` when all of them are run bytes (the run goes on
/// past them).
pub fn run_extent(chars: &[u8]) -> Option<usize> {
    (0..chars.len()).find(|&i| chars[i] != b'=' && stop_at(chars, i))
}

/// The next stretch of run bytes (`start..end`, maximal, cut at `from`)
/// that is long enough to hold a run, searching from `from`.
///
/// A window of [`MIN_RUN`] bytes is judged from its far end back: the first
/// byte found that stops every run moves the window past it, so ordinary
/// text (a space or a stop every few bytes) is passed over a window at a
/// time after looking at a few of its bytes. The bytes between that byte and
/// the window's end are known run bytes and are not looked at again.
fn next_stretch(text: &[u8], from: usize) -> Option<(usize, usize)> {
    if !any_window(text, from) {
        return None;
    }
    // The window is `at..at + MIN_RUN`; `at..known` are run bytes.
    let (mut at, mut known) = (from, from);
    loop {
        let last = at + MIN_RUN - 1;
        if last >= text.len() {
            return None;
        }
        match last_stop(text, known, last + 1) {
            Some(stop) => (at, known) = (stop + 1, last + 1),
            None => return Some((at, first_stop(text, last + 1).unwrap_or(text.len()))),
        }
    }
}

/// Whether a window of [`MIN_RUN`] run bytes starts in `text[from..]`.
///
/// Most texts hold none, and the search that says so is one chain of
/// dependent steps (load a word, look its bytes up, move past the last
/// stop): it waits on each step's latency. Four searches, each over the
/// windows starting in one quarter, stepped in turn, overlap those waits
/// and answer in well under half the time. Each costs at most what one
/// search from `from` to its first window costs, so a text with a run
/// pays this once more than the search that follows.
fn any_window(text: &[u8], from: usize) -> bool {
    const SEARCHES: usize = 4;
    const SHORT: usize = 16 * MIN_RUN;
    // Windows start in `from..=last_start`.
    let Some(last_start) = text.len().checked_sub(MIN_RUN) else {
        return false;
    };
    if from > last_start {
        return false;
    }
    let starts = last_start + 1 - from;
    // A short text is searched in a few steps: splitting it costs more
    // than it overlaps, and the search that follows answers as well.
    if starts < SHORT {
        return true;
    }
    let quarter = starts.div_ceil(SEARCHES);
    // Per search: the next window's start, the end of the known run
    // bytes (as in `next_stretch`), and where its windows stop starting.
    let mut at: [usize; SEARCHES] = std::array::from_fn(|k| from + (k * quarter).min(starts));
    let mut known = at;
    let end: [usize; SEARCHES] = std::array::from_fn(|k| from + ((k + 1) * quarter).min(starts));
    loop {
        let mut searching = false;
        for k in 0..SEARCHES {
            if at[k] >= end[k] {
                continue;
            }
            searching = true;
            let last = at[k] + MIN_RUN - 1;
            match last_stop(text, known[k], last + 1) {
                Some(stop) => (at[k], known[k]) = (stop + 1, last + 1),
                None => return true,
            }
        }
        if !searching {
            return false;
        }
    }
}

/// Whether `c` is a run byte (what [`IN_RUN`] holds), by comparisons: a
/// loop that asks this of a word of bytes vectorises, where lookups cannot.
const fn in_run_compared(c: u8) -> bool {
    ((c | 0x20).wrapping_sub(b'a') < 26)
        | (c.wrapping_sub(b'0') < 10)
        | (c == b'+')
        | (c == b'/')
        | (c == b'-')
        | (c == b'_')
        | (c == b'\\')
        | (c == b'\n')
        | (c == b'\r')
}

/// The bytes the searches judge at a time.
const WORD: usize = 16;

/// A space or tab.
pub(crate) const fn blank(c: u8) -> bool {
    (c == b' ') | (c == b'\t')
}

/// Whether `c`, after `prev`, may indent a line of a wrapped run: a blank
/// after a line break or after another blank. Pretty-printers indent the
/// lines of base64 they wrap (plists, YAML, XML); a blank anywhere else
/// stops a run.
const fn indents(c: u8, prev: u8) -> bool {
    blank(c) & (blank(prev) | (prev == b'\n') | (prev == b'\r'))
}

/// Whether `text[i]` stops every run: no run byte, nor what may indent one.
/// A search for a long run's start or end goes by it.
pub(crate) fn stop_at(text: &[u8], i: usize) -> bool {
    let c = text[i];
    !(in_run(c) || i > 0 && indents(c, text[i - 1]))
}

/// Bit `i` set where `word[i]` stops every run (as [`stop_at`] judges it,
/// `prev[i]` being the byte before it): comparisons over the whole word at
/// once, without a branch (a byte-by-byte search paid a mispredicted exit
/// in every window). The flags, one byte each, are gathered eight at a
/// time by one multiply: byte `i` of a `u64` lands in bit `56 + i`, and no
/// two partial products meet.
fn stops(prev: &[u8; WORD], word: &[u8; WORD]) -> u32 {
    const GATHER: u64 = 0x0102_0408_1020_4080;
    let flags: [u8; WORD] =
        std::array::from_fn(|i| u8::from(!in_run_compared(word[i]) & !indents(word[i], prev[i])));
    let (low, high) = flags.split_at(8);
    let eight = |half: &[u8]| {
        let half: [u8; 8] = half.try_into().unwrap_or_default();
        (u64::from_le_bytes(half).wrapping_mul(GATHER) >> 56) as u32
    };
    eight(low) | eight(high) << 8
}

/// [`stops`] of the word at `text[at..]`, when a whole word is there.
#[inline(always)]
fn stops_at(text: &[u8], at: usize) -> Option<u32> {
    let word: &[u8; WORD] = text.get(at..at + WORD)?.try_into().ok()?;
    let prev: [u8; WORD] = match at.checked_sub(1) {
        Some(before) => text[before..before + WORD].try_into().ok()?,
        // Nothing comes before the text: no line break to indent after.
        None => std::array::from_fn(|i| if i == 0 { 0 } else { word[i - 1] }),
    };
    Some(stops(&prev, word))
}

/// The last byte of `text[lo..hi]` that stops every run. Inlined: it is
/// the step of the searches above, and a call per step costs a third more.
#[inline(always)]
fn last_stop(text: &[u8], lo: usize, mut hi: usize) -> Option<usize> {
    while hi >= lo + WORD {
        let Some(bits) = stops_at(text, hi - WORD) else {
            break;
        };
        if bits != 0 {
            // The highest set bit of the word's.
            return Some(hi - WORD + (31 - bits.leading_zeros() as usize));
        }
        hi -= WORD;
    }
    (lo..hi).rev().find(|&i| stop_at(text, i))
}

/// The first byte of `text[lo..]` that stops every run.
fn first_stop(text: &[u8], mut lo: usize) -> Option<usize> {
    while let Some(bits) = stops_at(text, lo) {
        if bits != 0 {
            return Some(lo + bits.trailing_zeros() as usize);
        }
        lo += WORD;
    }
    (lo..text.len()).find(|&i| stop_at(text, i))
}

/// Finds runs of at least [`MIN_RUN`] symbols, up to `max_runs` of them.
///
/// Only stretches that can hold a run are walked symbol by symbol: the walk
/// below visits the start of every stretch anyway (a run ends where its
/// stretch does, or on padding, which is not a run byte), so skipping to
/// the long ones finds exactly the runs a walk over every byte finds.
pub fn runs(text: &[u8], max_runs: usize) -> Vec<Run> {
    walk_runs(text, max_runs, next_stretch, false)
}

/// [`runs`], and the runs that do not mix their symbols (marked `plain`):
/// a stream of pieces holds some (silence encodes as `////` or `AAAA`).
pub fn runs_and_plain(text: &[u8], max_runs: usize) -> Vec<Run> {
    walk_runs(text, max_runs, next_stretch, true)
}

/// Where the walk may find runs, from a position on: `(start, end)`.
type Stretches = fn(&[u8], usize) -> Option<(usize, usize)>;

fn walk_runs(text: &[u8], max_runs: usize, stretches: Stretches, keep_plain: bool) -> Vec<Run> {
    let mut found = Vec::new();
    let mut i = 0;
    let mut stretch_end = 0;
    while i < text.len() && found.len() < max_runs {
        if i >= stretch_end {
            match stretches(text, i) {
                Some((start, end)) => (i, stretch_end) = (start, end),
                None => break,
            }
        }
        if !is_b64(text[i]) || (i > 0 && is_b64(text[i - 1])) {
            i += 1;
            continue;
        }
        let start = i;
        let (mut symbols, mut line, mut end) = (0usize, 0usize, i);
        let mut indent = Indent::of_run(text, start);
        let mut all_hex = true;
        while i < text.len() {
            let c = text[i];
            if is_b64(c) {
                all_hex &= c.is_ascii_hexdigit();
                symbols += 1;
                line += 1;
                i += 1;
                end = i;
            } else if let Some((_, n)) = escaped_symbol(text, i) {
                all_hex = false;
                symbols += 1;
                line += 1;
                i += n;
                end = i;
            } else if let Some(n) = line_break(text, i).filter(|_| line >= MIN_INDENTED_LINE) {
                let Some(next) = indent.next_line(text, i + n) else {
                    break;
                };
                if line < MIN_WRAPPED_LINE && next == i + n {
                    break;
                }
                line = 0;
                i = next;
            } else {
                break;
            }
        }
        // Padding closes a base64 run.
        let mut padding = 0;
        while end < text.len() && text[end] == b'=' && padding < 2 {
            end += 1;
            padding += 1;
            all_hex = false;
        }
        i = i.max(end);
        // `0x…`, `x'…'` and PostgreSQL's `\x…` put a marker before hex.
        let mut start = start;
        if !all_hex {
            for marker in [&b"0x"[..], b"x"] {
                let body = &text[start + marker.len().min(end - start)..end];
                if text[start..end].starts_with(marker)
                    && body
                        .iter()
                        .all(|c| c.is_ascii_hexdigit() || matches!(c, b'\n' | b'\r'))
                {
                    start += marker.len();
                    all_hex = true;
                    break;
                }
            }
        }
        if symbols < MIN_RUN {
            continue;
        }
        // A declared data URI is a payload whatever its symbols, and so is
        // a run that starts with a format's header: long silence after it
        // encodes as a run of `A` (or `0`) that is not mixed.
        let run = &text[start..end];
        let declared = data_uri(&text[..start]);
        let plain =
            declared.is_none() && !mixed(run, all_hex) && !opens_with_a_header(run, all_hex);
        if plain && !keep_plain {
            continue;
        }
        let encoding = if all_hex {
            Encoding::Hex
        } else {
            Encoding::Base64
        };
        found.push(Run {
            offset: start,
            end,
            encoding,
            declared,
            plain,
        });
    }
    found
}

/// A payload mixes symbol classes; a run of one letter class is a word,
/// a path or a constant name.
fn mixed(run: &[u8], hex: bool) -> bool {
    let digits = run.iter().filter(|c| c.is_ascii_digit()).count();
    let upper = run.iter().filter(|c| c.is_ascii_uppercase()).count();
    let lower = run.iter().filter(|c| c.is_ascii_lowercase()).count();
    if hex {
        digits > 0 && upper + lower > 0
    } else {
        // Random base64 has ~16 % digits, ~40 % of each case.
        let n = run.len();
        digits * 50 >= n && upper * 10 >= n && lower * 10 >= n
    }
}

/// The run's first decoded bytes are a header some detector names (an
/// audio container, an archive, a compressed stream, an envelope). The
/// sniff cannot lead back here: 48 bytes hold no run of [`MIN_RUN`]
/// symbols.
fn opens_with_a_header(run: &[u8], hex: bool) -> bool {
    let encoding = if hex { Encoding::Hex } else { Encoding::Base64 };
    let head = decode(run, encoding, 48);
    let size = decoded_len(symbols(run), encoding).max(head.len() as u64);
    sniff::sniff(&sniff::Sample::new(size, &head, &[]), &[]).class != Class::Other
}

/// `data:audio/wav;base64,` immediately before the run: the declared type,
/// as a bounded, printable token (the attacker writes it).
fn data_uri(before: &[u8]) -> Option<String> {
    let tail = &before[before.len().saturating_sub(128)..];
    let prefix = tail.strip_suffix(b";base64,")?;
    let at = prefix.windows(5).rposition(|w| w == b"data:")?;
    let mime = prefix[at + 5..].split(|&c| c == b';').next()?.trim_ascii();
    (!mime.is_empty() && mime.len() < 100).then(|| sniff::token(mime))
}

/// Decodes at most `limit` bytes of a run. Truncated input decodes as far as
/// complete groups go: a head is all sniffing needs.
pub fn decode(run_text: &[u8], encoding: Encoding, limit: usize) -> Vec<u8> {
    let mut symbols: Vec<u8> = Vec::with_capacity(run_text.len().min(limit * 2 + 4));
    let want = match encoding {
        Encoding::Base64 => limit.div_ceil(3) * 4,
        Encoding::Hex => limit * 2,
    };
    let mut i = 0;
    let mut indent = Indent(None);
    while i < run_text.len() && symbols.len() < want {
        let c = run_text[i];
        if let Some((symbol, n)) = escaped_symbol(run_text, i) {
            symbols.push(symbol);
            i += n;
            continue;
        }
        match c {
            // URL-safe symbols decode like the standard ones.
            b'-' => symbols.push(b'+'),
            b'_' => symbols.push(b'/'),
            c if is_b64(c) => symbols.push(c),
            _ => match line_break(run_text, i) {
                Some(n) => match indent.next_line(run_text, i + n) {
                    Some(next) => {
                        i = next;
                        continue;
                    }
                    None => break,
                },
                // Padding or anything else ends the run.
                None => break,
            },
        }
        i += 1;
    }
    let mut out = match encoding {
        Encoding::Hex => symbols
            .chunks_exact(2)
            .filter_map(|p| u8::from_str_radix(std::str::from_utf8(p).ok()?, 16).ok())
            .collect(),
        Encoding::Base64 => {
            let whole = symbols.len() / 4 * 4;
            let rest = symbols.len() - whole;
            // A final group of 2 or 3 symbols is valid unpadded base64.
            let take = if (2..=3).contains(&rest) && symbols.len() < want {
                symbols.len()
            } else {
                whole
            };
            const LENIENT: GeneralPurpose = GeneralPurpose::new(
                &base64::alphabet::STANDARD,
                GeneralPurposeConfig::new()
                    .with_decode_padding_mode(DecodePaddingMode::Indifferent)
                    .with_decode_allow_trailing_bits(true),
            );
            LENIENT.decode(&symbols[..take]).unwrap_or_default()
        }
    };
    out.truncate(limit);
    out
}

/// The symbols in a piece of run text (line breaks and escapes not counted).
pub fn symbols(run_text: &[u8]) -> u64 {
    let (mut n, mut i) = (0u64, 0usize);
    while i < run_text.len() {
        match escaped_symbol(run_text, i) {
            Some((_, len)) => {
                n += 1;
                i += len;
            }
            None => {
                n += u64::from(is_b64(run_text[i]));
                i += 1;
            }
        }
    }
    n
}

/// How many bytes a run of `symbols` symbols decodes to.
pub fn decoded_len(symbols: u64, encoding: Encoding) -> u64 {
    match encoding {
        // `symbols * 3 / 4`, without overflow for a length a file declares.
        Encoding::Base64 => symbols / 4 * 3 + symbols % 4 * 3 / 4,
        Encoding::Hex => symbols / 2,
    }
}

/// For the cargo-fuzz target `encoded`: finds the runs of `text` with the
/// cap the unpacker uses and decodes each within a budget, asserting what the
/// report relies on: at most the cap plus one run (the one that reports the
/// limit), runs inside the text and in order, declared types as short
/// printable tokens, decoded heads within their budget.
#[doc(hidden)]
pub fn fuzz_encoded(text: &[u8]) {
    const BUDGET: usize = 4096;
    let found = runs(text, MAX_RUNS + 1);
    assert!(found.len() <= MAX_RUNS + 1, "{} runs", found.len());
    let mut last_end = 0;
    for run in &found {
        assert!(last_end <= run.offset && run.offset < run.end && run.end <= text.len());
        last_end = run.end;
        if let Some(mime) = &run.declared {
            assert!(
                mime.len() <= sniff::MAX_TOKEN_CHARS,
                "declared {} bytes",
                mime.len()
            );
            assert!(mime.bytes().all(|c| (0x20..0x7f).contains(&c)), "{mime:?}");
        }
        let chars = &text[run.offset..run.end];
        let data = decode(chars, run.encoding, BUDGET);
        assert!(data.len() <= BUDGET);
        let symbols = symbols(chars);
        assert!(decoded_len(symbols, run.encoding) <= chars.len() as u64);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The stretch search skips windows, and finds what a scan of every byte
    /// finds: the first maximal stretch, cut at `from`, of `MIN_RUN` bytes.
    #[test]
    fn stretches_are_those_a_scan_of_every_byte_finds() {
        fn every_byte(t: &[u8], from: usize) -> Option<(usize, usize)> {
            let mut at = from;
            while at < t.len() {
                let end = (at..t.len()).find(|&i| stop_at(t, i)).unwrap_or(t.len());
                if end - at >= MIN_RUN {
                    return Some((at, end));
                }
                at = end + 1;
            }
            None
        }
        // Alphabets from all run bytes to mostly stops, so stretches of
        // every length around MIN_RUN occur.
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        for round in 0..4000usize {
            // Up to 4,000 bytes: the quarters `any_window` searches
            // are several windows long, and stretches cross them.
            let len = (round * 7) % 400 + if round % 2 == 1 { round % 3600 } else { 0 };
            let stops = 1 + round % 90;
            let t: Vec<u8> = (0..len)
                .map(|_| {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    if x % 1000 < stops as u64 {
                        b" .,\"=:\xc3\xff"[(x >> 20) as usize % 8]
                    } else {
                        b"aZ9+/-_\\\n\r \t"[(x >> 24) as usize % 12]
                    }
                })
                .collect();
            for from in [0, 1, 31, 63, 64, 65, len / 2, len.saturating_sub(64), len] {
                let from = from.min(len);
                let want = every_byte(&t, from);
                assert_eq!(next_stretch(&t, from), want, "{from} {t:?}");
                // Short texts are left to the search that follows.
                let short = t.len().saturating_sub(from) < 17 * MIN_RUN;
                assert!(
                    any_window(&t, from) == want.is_some() || short,
                    "{from} {t:?}"
                );
            }
        }
    }

    #[test]
    fn pieces_join_by_what_they_follow_up_to_a_bound() {
        fn add(p: &mut Pieces, text: &[u8], at: usize, len: usize, data: &[u8]) {
            let encoding = match text[at] {
                b'#' => Encoding::Hex,
                _ => Encoding::Base64,
            };
            let piece = Piece {
                encoding,
                plain: false,
                start: at as u64,
                end: (at + len) as u64,
                offset: at as u64,
                before: &text[at.saturating_sub(KEY_SEARCH)..at],
            };
            p.push(&piece, data);
        }
        let joined = |p: &Pieces| -> Vec<(Vec<u8>, String, String)> {
            p.joined()
                .map(|(d, how, name)| (d.to_vec(), how, name))
                .collect()
        };
        // Each event: an id in hex (`#` marks hex here), a token and a
        // delta in base64; the deltas are one stream, the tokens another.
        let line = b"{\"id\":\"#1\",\"token\":\"T1\",\"delta\":\"D1\"}\n";
        let text = line.repeat(3);
        let n = line.len();
        let mut p = Pieces::default();
        for (e, event) in [b"1", b"2", b"3"].iter().enumerate() {
            add(&mut p, &text, e * n + 7, 2, &[b'i', event[0]]);
            add(&mut p, &text, e * n + 20, 2, &[b't', event[0]]);
            add(&mut p, &text, e * n + 33, 2, &[b'd', event[0]]);
        }
        let all = joined(&p);
        let names: Vec<&str> = all.iter().map(|j| &*j.2).collect();
        assert_eq!(
            names,
            ["hex-pieces@7", "base64-pieces@20", "base64-pieces@33"]
        );
        assert_eq!(all[2].0, b"d1d2d3");
        assert_eq!(
            all[2].1,
            format!(
                "3 runs of base64 from byte 33 to byte {}, decoded and joined",
                2 * n + 33
            )
        );
        // Wrapped lines and an array's strings continue the run before
        // them, whatever word came before the first.
        let text = b"audio: AAAA  \nBBBB  \nCCCC\nlist: [\"DDDD\", \"EEEE\"]";
        let mut p = Pieces::default();
        for (at, d) in [(7, b"a"), (14, b"b"), (21, b"c"), (34, b"x"), (42, b"y")] {
            add(&mut p, text, at, 4, d);
        }
        let all = joined(&p);
        assert_eq!(all.len(), 2, "{all:?}");
        assert_eq!((&*all[0].0, &*all[0].2), (&b"abc"[..], "base64-pieces@7"));
        assert_eq!((&*all[1].0, &*all[1].2), (&b"xy"[..], "base64-pieces@34"));
        // Full: what does not fit is left out, and so are runs after it.
        let text = b"k: AAAA\nk: BBBB\nk: CCCC";
        let mut p = Pieces::default();
        add(&mut p, text, 3, 4, b"ab");
        add(&mut p, text, 11, 4, &vec![7u8; MAX_JOINED]);
        add(&mut p, text, 19, 4, b"zz");
        let all = joined(&p);
        assert_eq!(all[0].0.len(), MAX_JOINED);
        assert_eq!(&all[0].0[..3], b"ab\x07");
        assert_eq!(
            all[0].1,
            "2 runs of base64 from byte 3 to byte 11, decoded and joined"
        );
        // A run that was a recording alone speaks for the text.
        p.judged(&Sniff::new(
            "wav",
            None,
            Class::Audio,
            sniff::Encryption::None,
        ));
        assert_eq!(joined(&p), []);
        // At most MAX_STREAMS streams: a key past them is not joined.
        let mut p = Pieces::default();
        let text: Vec<u8> = (0..=MAX_STREAMS)
            .flat_map(|k| {
                let k = char::from(b'a' + k as u8);
                format!("k{k}: AAAA k{k}: BBBB ").into_bytes()
            })
            .collect();
        for at in memchr::memmem::find_iter(&text, b"AAAA")
            .chain(memchr::memmem::find_iter(&text, b"BBBB"))
        {
            add(&mut p, &text, at, 4, b"s");
        }
        assert_eq!(p.joined().count(), MAX_STREAMS);
    }

    /// Runs that do not mix their symbols (silence is `////`) continue a
    /// stream, by its key or right behind its last run, and start none.
    #[test]
    fn plain_runs_only_continue_a_stream() {
        let text = b"path: /usr/lib k: AAAA k: ////, ////  p: //// p: ////";
        let piece = |at: usize, plain: bool| Piece {
            encoding: Encoding::Base64,
            plain,
            start: at as u64,
            end: at as u64 + 4,
            offset: at as u64,
            before: &text[at.saturating_sub(KEY_SEARCH)..at],
        };
        let mut p = Pieces::default();
        p.push(&piece(6, true), b"u");
        p.push(&piece(18, false), b"a");
        p.push(&piece(26, true), b"s");
        p.push(&piece(32, true), b"t");
        p.push(&piece(41, true), b"x");
        p.push(&piece(49, true), b"y");
        let all: Vec<(Vec<u8>, String)> = p.joined().map(|(d, _, n)| (d.to_vec(), n)).collect();
        assert_eq!(all, [(b"ast".to_vec(), "base64-pieces@18".to_string())]);
    }

    #[test]
    fn a_key_is_the_last_word_before_a_run() {
        assert_eq!(key(b"{\"type\":\"x\",\"delta\":\""), b"delta");
        assert_eq!(key(b"<chunk>"), b"chunk");
        assert_eq!(key(b"<chunk id=\"7\">"), b"id");
        assert_eq!(key(b"  media_payload-2: "), b"media_payload");
        assert_eq!(key(b"17,1700000000,\""), b"");
        assert_eq!(key(b""), b"");
    }

    #[test]
    fn decoded_lengths_are_exact_and_never_overflow() {
        for n in 0..1000u64 {
            assert_eq!(decoded_len(n, Encoding::Base64), n * 3 / 4);
        }
        assert_eq!(
            decoded_len(u64::MAX, Encoding::Base64),
            u64::MAX / 4 * 3 + 2
        );
        assert_eq!(decoded_len(u64::MAX, Encoding::Hex), u64::MAX / 2);
    }

    #[test]
    fn run_bytes_compared_are_the_tables() {
        for c in 0..=255u8 {
            assert_eq!(in_run_compared(c), in_run(c), "{c:#04x}");
            let defined = c.is_ascii_alphanumeric()
                || matches!(c, b'+' | b'/' | b'-' | b'_' | b'\\' | b'\n' | b'\r');
            assert_eq!(in_run(c), defined, "{c:#04x}");
        }
    }

    /// The prefilter finds exactly the runs a walk over every byte finds.
    #[test]
    fn skipping_short_stretches_finds_the_same_runs() {
        let every_byte: Stretches = |t, from| (from < t.len()).then_some((from, t.len()));
        let payload = b64(&pseudo_random(200));
        let hex: String = pseudo_random(90)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        let pieces: Vec<String> = vec![
            "the quick brown fox ".into(),
            "data:audio/wav;base64,".into(),
            payload.clone(),
            "==".into(),
            "=".into(),
            "\\/".into(),
            "\\u002B".into(),
            "\\u002f".into(),
            "\\n".into(),
            "\\r\\n".into(),
            "\n".into(),
            "\r\n".into(),
            "\n\t\t".into(),
            "\r\n    ".into(),
            " ".into(),
            "0x".into(),
            "x'".into(),
            hex,
            "/usr/share/some_long_path-name/with/many/segments/and_more_of_them/".into(),
            "\"".into(),
            payload[..70].to_string(),
            payload[..40].to_string(),
            "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA".into(),
        ];
        let mut x = 0x1234_5678_9abc_def1u64;
        for _ in 0..3000 {
            let mut text = String::new();
            let count = (x % 12) as usize + 1;
            for _ in 0..count {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                text.push_str(&pieces[(x % pieces.len() as u64) as usize]);
            }
            let t = text.as_bytes();
            for max in [1, 3, MAX_RUNS + 1] {
                assert_eq!(
                    runs(t, max),
                    walk_runs(t, max, every_byte, false),
                    "{text:?}"
                );
            }
        }
    }

    fn b64(data: &[u8]) -> String {
        base64::engine::general_purpose::STANDARD.encode(data)
    }

    fn pseudo_random(n: usize) -> Vec<u8> {
        let mut x = 0x2545_f491_4f6c_dd1du64;
        (0..n)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x as u8
            })
            .collect()
    }

    #[test]
    fn data_uri_in_json_is_found_and_decoded() {
        let payload = pseudo_random(300);
        let json = format!(
            r#"{{"id": 7, "note": "data:audio/wav;base64,{}", "ok": true}}"#,
            b64(&payload)
        );
        let runs = runs(json.as_bytes(), 10);
        assert_eq!(runs.len(), 1);
        let r = &runs[0];
        assert_eq!(r.declared.as_deref(), Some("audio/wav"));
        let decoded = decode(&json.as_bytes()[r.offset..r.end], r.encoding, 1 << 20);
        assert_eq!(decoded, payload);
    }

    /// Digital silence encodes as a run of `A` that no word could be
    /// mistaken for; the header before it is what shows a payload.
    #[test]
    fn a_payload_of_long_silence_after_its_header_is_a_run() {
        let mut wav = b"RIFF\x24\xf4\x01\x00WAVEfmt \x10\x00\x00\x00".to_vec();
        wav.extend(b"\x01\x00\x01\x00\x80\x3e\x00\x00\x00\x7d\x00\x00\x02\x00\x10\x00");
        wav.extend(b"data\x00\xf4\x01\x00");
        wav.extend(vec![0u8; 3000]);
        let json = format!(r#"{{"audio": "{}"}}"#, b64(&wav));
        let found = runs(json.as_bytes(), 10);
        assert_eq!(found.len(), 1);
        let r = &found[0];
        assert_eq!(
            decode(&json.as_bytes()[r.offset..r.end], r.encoding, 1 << 20),
            wav
        );
        // Declared as a data URI, any run is a payload.
        let silence = format!("data:audio/wav;base64,{}", b64(&[0u8; 300]));
        assert_eq!(runs(silence.as_bytes(), 10).len(), 1);
        // Without either, a run of one letter is a word.
        assert!(runs(b64(&[0u8; 300]).as_bytes(), 10).is_empty());
    }

    #[test]
    fn wrapped_escaped_and_url_safe_runs_decode() {
        let payload = pseudo_random(500);
        let text = b64(&payload);
        // MIME-style lines, JSON-escaped newlines and slashes.
        let wrapped: Vec<String> = text
            .as_bytes()
            .chunks(76)
            .map(|c| String::from_utf8(c.to_vec()).unwrap())
            .collect();
        let json = format!(r#"{{"b":"{}"}}"#, wrapped.join("\\n").replace('/', "\\/"));
        let r = &runs(json.as_bytes(), 10)[0];
        assert_eq!(
            decode(&json.as_bytes()[r.offset..r.end], r.encoding, 1 << 20),
            payload
        );
        // System.Text.Json writes `+` as `\u002B` (and may write `/` as
        // `\u002F`): the run goes on through them, each one symbol.
        for (plus, slash) in [("\\u002B", "/"), ("\\u002b", "\\u002F")] {
            let net = format!(
                r#"{{"b":"{}"}}"#,
                text.replace('+', plus).replace('/', slash)
            );
            let found = runs(net.as_bytes(), 10);
            assert_eq!(found.len(), 1, "{plus}");
            let chars = &net.as_bytes()[found[0].offset..found[0].end];
            assert_eq!(decode(chars, found[0].encoding, 1 << 20), payload);
            assert_eq!(symbols(chars), text.trim_end_matches('=').len() as u64);
        }
        let url = text.replace('+', "-").replace('/', "_").replace('=', "");
        let r = &runs(url.as_bytes(), 10)[0];
        assert_eq!(
            decode(&url.as_bytes()[r.offset..r.end], r.encoding, 1 << 20),
            payload
        );
    }

    /// Pretty-printers indent the lines of base64 they wrap: Python's
    /// `plistlib` (52 symbols a line three levels deep, behind tabs), YAML
    /// `!!binary |` blocks (76, behind spaces), XML with CRLF line ends.
    #[test]
    fn indented_wrapped_lines_are_one_run() {
        let payload = pseudo_random(600);
        let text = b64(&payload);
        let lines = |width: usize, indent: &str, eol: &str| -> String {
            text.as_bytes()
                .chunks(width)
                .map(|c| format!("{indent}{}{eol}", std::str::from_utf8(c).unwrap()))
                .collect()
        };
        for doc in [
            format!(
                "<dict>\n\t\t\t<data>\n{}\t\t\t</data>\n",
                lines(52, "\t\t\t", "\n")
            ),
            format!("voice: !!binary |\n{}next: 1\n", lines(76, "    ", "\n")),
            // Eight levels deep, plistlib's narrowest.
            format!("<data>\n{}</data>\n", lines(16, "\t\t\t\t\t\t\t\t", "\n")),
            format!("<b64>\r\n{}  </b64>\r\n", lines(64, "  ", "\r\n")),
        ] {
            let found = runs(doc.as_bytes(), 10);
            assert_eq!(found.len(), 1, "{doc}");
            let chars = &doc.as_bytes()[found[0].offset..found[0].end];
            assert_eq!(decode(chars, found[0].encoding, 1 << 20), payload, "{doc}");
            assert_eq!(symbols(chars), text.trim_end_matches('=').len() as u64);
            // What a read on past the head counts as covered takes in
            // the whole run.
            let extent = run_extent(&doc.as_bytes()[found[0].offset..]).unwrap();
            assert!(extent >= found[0].end - found[0].offset);
        }
        // Blanks join only lines a payload wraps: not words on one line,
        // not a short line, not what an escaped `\n` is followed by.
        let word = &text[..70];
        let short = &text[..30];
        for doc in [
            format!("{word} {word}"),
            format!("{short}\n    {word}"),
            format!("{}\n{word}", &text[..20]),
            format!("{}\n    {word}", &text[..12]),
            format!("\"{word}\\n    {word}\""),
        ] {
            let found = runs(doc.as_bytes(), 10);
            assert!(found.iter().all(|r| r.end - r.offset <= 70), "{doc}");
        }
    }

    #[test]
    fn hex_runs_and_bounded_decoding() {
        let payload = pseudo_random(200);
        let hex: String = payload.iter().map(|b| format!("{b:02x}")).collect();
        let sql = format!("INSERT INTO t VALUES ('\\x{hex}');");
        let r = &runs(sql.as_bytes(), 10)[0];
        assert_eq!(r.encoding, Encoding::Hex, "PostgreSQL bytea");
        assert_eq!(
            decode(&sql.as_bytes()[r.offset..r.end], r.encoding, 1 << 20),
            payload
        );
        let plain = format!("blob: {hex}\n");
        let r = &runs(plain.as_bytes(), 10)[0];
        assert_eq!(r.encoding, Encoding::Hex);
        assert_eq!(
            decode(&plain.as_bytes()[r.offset..r.end], r.encoding, 16),
            payload[..16]
        );
    }

    #[test]
    fn prose_identifiers_and_word_lists_are_not_runs() {
        let prose = "The quick brown fox jumps over the lazy dog; ".repeat(20);
        assert!(runs(prose.as_bytes(), 10).is_empty());
        let ident = "some_really_long_function_name_that_keeps_going_and_going_forever_more";
        assert!(runs(ident.as_bytes(), 10).is_empty());
        let words = "apple\nbanana\ncherry\n".repeat(30);
        assert!(runs(words.as_bytes(), 10).is_empty());
        let path = "/usr/share/doc/packages/some/very/long/directory/structure/file.txt";
        assert!(runs(path.as_bytes(), 10).is_empty());
    }

    #[test]
    fn declared_types_are_bounded_printable_tokens() {
        let text = format!(
            "data:audio/\x1b[2J{};base64,{}",
            "x".repeat(80),
            b64(&pseudo_random(300))
        );
        let r = &runs(text.as_bytes(), 10)[0];
        let declared = r.declared.as_deref().unwrap();
        assert!(declared.len() <= sniff::MAX_TOKEN_CHARS, "{declared}");
        assert!(declared.starts_with("audio/?[2Jxx"), "{declared}");
        // A type longer than the look-behind is not a declaration at all.
        let far = format!(
            "data:audio/{};base64,{}",
            "x.".repeat(30_000),
            b64(&pseudo_random(300))
        );
        assert_eq!(runs(far.as_bytes(), 10)[0].declared, None);
    }

    /// The hostile corpus's false positive: 64 random bytes decoded from an
    /// odd-length hex run begin like an old-format OpenPGP SED packet whose
    /// length spans them exactly (a 2-byte coincidence met once in a few
    /// thousand random tokens), and were reported as weak encryption.
    #[test]
    fn short_tokens_are_not_judged_by_a_weak_magic() {
        let mut token = vec![0xa4, 62];
        token.extend(pseudo_random(62));
        let s = sniff::sniff(&sniff::Sample::new(64, &token, &[]), &[]);
        assert_eq!((&*s.format, s.class), ("openpgp", Class::Encrypted));
        assert!(!speaks_for(&s, token.len()));
        // The same packet as a long token, or a strong magic on a short one, speaks.
        assert!(speaks_for(&s, MIN_JUDGED));
        let age = b"age-encryption.org/v1\n-> X25519 abc\n";
        let s = sniff::sniff(&sniff::Sample::new(age.len() as u64, age, &[]), &[]);
        assert!(speaks_for(&s, age.len()));
    }

    #[test]
    fn runs_are_capped_by_the_caller() {
        let line = format!("data:audio/wav;base64,{}\n", b64(&pseudo_random(57)));
        let text = line.repeat(600);
        assert_eq!(runs(text.as_bytes(), MAX_RUNS + 1).len(), MAX_RUNS + 1);
    }

    /// The fuzz entry's assertions hold on the shapes that stress them.
    #[test]
    fn fuzz_entry_holds_on_floods_and_long_declarations() {
        let line = format!("data:audio/wav;base64,{}\n", b64(&pseudo_random(57)));
        fuzz_encoded(line.repeat(700).as_bytes());
        let long = format!(
            "data:{};base64,{}",
            "a/\x01".repeat(40),
            b64(&pseudo_random(90))
        );
        fuzz_encoded(long.as_bytes());
        fuzz_encoded(b"0x");
        fuzz_encoded(&[b'A'; 100]);
    }
}
