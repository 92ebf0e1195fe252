//! Files attached to a PDF: an embedded file is a stream whose dictionary
//! says `/Type /EmbeddedFile`, kept as is or deflated (`/FlateDecode`, as
//! qpdf and most writers keep it), anywhere in the file. Deflated, its
//! header lies in no window of the PDF, and a recording attached to a
//! form or a portfolio was a plain `pdf`.
//!
//! Streams are found by searching for that name, not through the
//! cross-reference table: since PDF 1.5 the dictionaries that lead to an
//! attachment may sit compressed in object streams, but a stream's own
//! dictionary never does. The search reads the PDF forward once.

use memchr::memmem;

use super::{chain, pump, streams, Ended, Level, Limit, Walk};
use crate::sniff::{Class, HEAD_LEN};

/// A PDF is searched for attached files up to here; past it, a limit.
/// Half the object's read bound: the rest is left for attachments that
/// do not lie whole in the piece that names them.
const MAX_SEARCHED: u64 = crate::pipeline::MAX_UNPACK_READ / 2;
/// Bytes searched per read. Each read takes in [`MAX_DICT`] bytes before
/// and after, so a dictionary is whole in the read whose piece holds its
/// name.
const PIECE: usize = 4 << 20;
/// A stream's dictionary is at most this long around its `/Type`.
const MAX_DICT: usize = 4096;
/// Deflated bytes read for one attached file at most: what the read
/// bound leaves, and more than any budget needs at the ratios recordings
/// deflate to.
const MAX_DEFLATED: u64 = MAX_SEARCHED;

/// The stream types judged as files, with the member each is named as:
/// an attached file, and a sound object (a Sound annotation's or
/// action's samples, raw, deflated or not).
const TYPES: [(&[u8], &str); 2] = [(b"/EmbeddedFile", "attachment"), (b"/Sound", "sound")];

/// Where `bytes` hold a type name of [`TYPES`], in order, with the name
/// and its member's kind.
fn type_names(bytes: &[u8]) -> impl Iterator<Item = (usize, &'static [u8], &'static str)> + '_ {
    static NAMES: std::sync::LazyLock<aho_corasick::AhoCorasick> = std::sync::LazyLock::new(|| {
        aho_corasick::AhoCorasick::builder()
            .match_kind(aho_corasick::MatchKind::LeftmostFirst)
            .build(TYPES.map(|t| t.0))
            .expect("two names build an automaton")
    });
    NAMES.find_iter(bytes).map(|m| {
        let (name, kind) = TYPES[m.pattern().as_usize()];
        (m.start(), name, kind)
    })
}

/// Places of the name looked at per PDF: each costs a search of the
/// dictionary around it, and a crafted file repeats the name millions
/// of times where no stream follows.
const MAX_NAMES: u64 = 4096;

/// How an attached file's bytes are kept.
#[derive(Debug, PartialEq, Eq)]
enum Filter {
    None,
    Flate,
    /// A filter chain this walk does not decode, by its names.
    Other(String),
}

/// What a stream's dictionary says: its filter and its direct `/Length`.
#[derive(Debug, PartialEq, Eq)]
struct Stream {
    filter: Filter,
    length: Option<u64>,
    /// `/DecodeParms` name a PNG or TIFF predictor, which this walk
    /// does not undo.
    predictor: bool,
    /// Offset of the stream's data from where the dictionary was read.
    data: usize,
}

/// An attached file as the search found it.
struct Found<'p> {
    stream: Stream,
    /// Where its data starts in the PDF.
    at: u64,
    /// How long its data is: the direct `/Length`, else up to the
    /// `endstream` found after it.
    length: Option<u64>,
    /// Its data, when the read that found it holds all of it.
    held: Option<&'p [u8]>,
}

impl Walk<'_> {
    /// Judges each file attached to the PDF at `level` as a member
    /// `attachment@OFFSET` (the offset of its stream's data). A `sealed`
    /// PDF says it is encrypted, so its streams should be ciphertext: only
    /// one that inflates (plaintext a forged `/Encrypt` string hides) is
    /// judged, and nothing is said of the others.
    pub(super) fn pdf(&mut self, level: &Level<'_, '_>, sealed: bool, prefix: &str, depth: u32) {
        let (mut seen, mut skip_to, mut names) = (0u64, 0u64, 0u64);
        // Objects a file specification's `/EF` names as its data, and the
        // data judged: an attachment's `/Type` is optional, and a stream
        // without it is found by reference, in a second pass.
        let (mut refs, mut judged) = (Refs::default(), Vec::new());
        'pieces: for piece in pieces(level) {
            let piece = match piece {
                Ok(piece) => piece,
                Err(at) => {
                    return self.limit(
                        prefix,
                        Limit::Unsupported,
                        format!(
                            "pdf searched for attached files up to byte {at} only: {}",
                            level.ran_out(at)
                        ),
                    );
                }
            };
            for (i, name, kind) in type_names(&piece.bytes) {
                if !piece.owns(i) || piece.base + (i as u64) < skip_to {
                    continue;
                }
                if !piece.bytes.get(i + name.len()).is_none_or(|&c| delimits(c)) {
                    continue;
                }
                names += 1;
                if names > MAX_NAMES {
                    self.limit(
                        prefix,
                        Limit::Members,
                        format!("more than {MAX_NAMES} /EmbeddedFile or /Sound names; the rest of the pdf not searched"),
                    );
                    break 'pieces;
                }
                // The name outside a stream's dictionary (a name tree's
                // key, text) is passed over.
                let Some((found, next)) = stream_around(&piece.bytes, piece.base, i) else {
                    continue;
                };
                if self.out_of_time(prefix) || !self.another_member(prefix, &mut seen) {
                    break 'pieces;
                }
                skip_to = next;
                judged.push(found.at);
                self.attachment(level, &found, kind, sealed, prefix, depth);
            }
            self.references(&piece, &mut refs, prefix);
        }
        if !refs.objects.is_empty() {
            self.referenced(
                level,
                &refs.objects,
                &judged,
                (sealed, &mut seen),
                prefix,
                depth,
            );
        }
        if level.size > MAX_SEARCHED {
            self.limit(
                prefix,
                Limit::Unsupported,
                format!(
                    "pdf searched for attached files in its first {} MiB only",
                    MAX_SEARCHED >> 20
                ),
            );
        }
    }

    /// Notes the objects that the `/EF` entries of `piece` name, also
    /// inside the object streams it holds, where PDF 1.5 writers keep file
    /// specifications.
    fn references(&mut self, piece: &Piece<'_>, refs: &mut Refs, prefix: &str) {
        refs.note(&piece.bytes, |i| piece.owns(i));
        for i in memmem::find_iter(&piece.bytes, b"/ObjStm") {
            if !piece.owns(i) || !piece.bytes.get(i + 7).is_none_or(|&c| delimits(c)) {
                continue;
            }
            // Said once: each later piece of the PDF comes back here.
            if refs.streams >= MAX_OBJECT_STREAMS {
                if refs.streams == MAX_OBJECT_STREAMS {
                    self.limit(
                        prefix,
                        Limit::Members,
                        format!(
                            "pdf with more than {MAX_OBJECT_STREAMS} object streams: attached \
                             files named in the rest were not looked for"
                        ),
                    );
                    refs.streams += 1;
                }
                return;
            }
            refs.streams += 1;
            let Some((found, _)) = stream_around(&piece.bytes, piece.base, i) else {
                continue;
            };
            let (Filter::Flate, Some(deflated)) = (&found.stream.filter, found.held) else {
                continue;
            };
            let Some(budget) = self.remaining(prefix) else {
                return;
            };
            let mut objects = Vec::new();
            if let Ok(mut r) = streams::decoder_until("zlib", deflated, Some(self.deadline)) {
                let want = budget.min(MAX_OBJECT_STREAM);
                let (got, ended) = pump(&mut r, want, Some(&mut objects), self.deadline);
                self.spent += got;
                if matches!(ended, Ended::Full) {
                    self.limit(
                        prefix,
                        Limit::MemberBytes,
                        format!(
                            "pdf object stream inflated to its first {} bytes only: attached \
                             files named past them were not looked for",
                            got
                        ),
                    );
                }
            }
            refs.note(&objects, |_| true);
        }
    }

    /// Judges the streams of `objects` not judged already (by the
    /// offsets of their data in `judged`), found by their `N G obj`
    /// headers in a second read of the PDF.
    fn referenced(
        &mut self,
        level: &Level<'_, '_>,
        objects: &std::collections::HashSet<(u64, u64)>,
        judged: &[u64],
        (sealed, seen): (bool, &mut u64),
        prefix: &str,
        depth: u32,
    ) {
        // The first read went through; a read refused now ends this one.
        for piece in pieces(level).map_while(Result::ok) {
            for i in memmem::find_iter(&piece.bytes, b"obj") {
                if !piece.owns(i) || piece.bytes[..i].ends_with(b"end") {
                    continue;
                }
                let Some(object) = object_number(&piece.bytes[..i]) else {
                    continue;
                };
                if !objects.contains(&object) {
                    continue;
                }
                let Some((found, _)) = stream_around(&piece.bytes, piece.base, i + 3) else {
                    continue;
                };
                if judged.contains(&found.at) {
                    continue;
                }
                if self.out_of_time(prefix) || !self.another_member(prefix, seen) {
                    return;
                }
                self.attachment(level, &found, "attachment", sealed, prefix, depth);
            }
        }
    }

    /// Judges one attached file (quietly in a `sealed` PDF, see
    /// [`Walk::pdf`]).
    fn attachment(
        &mut self,
        level: &Level<'_, '_>,
        found: &Found<'_>,
        kind: &str,
        sealed: bool,
        prefix: &str,
        depth: u32,
    ) {
        let Found {
            stream,
            at: data_at,
            length,
            held,
        } = found;
        let data_at = *data_at;
        let name = format!("{kind}@{data_at}");
        let member = chain(prefix, &name);
        let Some(budget) = self.remaining(prefix) else {
            return;
        };
        match &stream.filter {
            // An encrypted PDF may leave its attached files in the clear
            // (`/EFF /Identity`, or a forged `/Encrypt`): one whose bytes
            // are no ciphertext is judged, or, under a filter not decoded,
            // said to be so; ciphertext (and too few bytes to tell,
            // `unknown`) is said nothing of.
            Filter::None | Filter::Other(_) if sealed => {
                let size = length.unwrap_or_else(|| level.size.saturating_sub(data_at));
                // Bytes not decoded are only looked at.
                let want = match &stream.filter {
                    Filter::None => self.stored_want(size),
                    _ => size.min(HEAD_LEN as u64),
                };
                let read;
                let data = match held {
                    Some(data) => *data,
                    None => match level.from(data_at, want as usize) {
                        Some(data) => {
                            read = data;
                            &read[..]
                        }
                        None => return,
                    },
                };
                let s = self.sniff_bytes(&data[..data.len().min(HEAD_LEN)], size);
                if s.class == Class::Encrypted || s.format == "unknown" {
                    return;
                }
                match &stream.filter {
                    Filter::Other(names) => self.limit(
                        &member,
                        Limit::Unsupported,
                        format!("attached file kept with filter {names} is not decoded"),
                    ),
                    _ => self.stored_bytes(prefix, &name, data, size, depth),
                }
            }
            Filter::None => {
                let size = length.unwrap_or_else(|| level.size.saturating_sub(data_at));
                match held {
                    Some(data) => self.stored_bytes(prefix, &name, data, size, depth),
                    None => self.stored(level, prefix, &name, (data_at, size), depth),
                }
            }
            Filter::Flate => {
                // Deflate stores what it cannot shrink in blocks of up to
                // 64 KiB with 5 bytes each: no more input than this is
                // needed for `budget` bytes of output.
                let enough = budget.saturating_add(budget / 1024 + 4096);
                let want_in = length
                    .unwrap_or(MAX_DEFLATED)
                    .min(MAX_DEFLATED)
                    .min(enough)
                    .min(level.size.saturating_sub(data_at));
                let read;
                let deflated = match held {
                    Some(data) => data,
                    None => match level.from(data_at, want_in as usize) {
                        Some(data) => {
                            read = data;
                            &read[..]
                        }
                        None => {
                            let why = level.ran_out(data_at);
                            return self.limit(
                                &member,
                                Limit::Unsupported,
                                format!("attached file not read: {why}"),
                            );
                        }
                    },
                };
                let mut out = Vec::new();
                let (got, ended) =
                    match streams::decoder_until("zlib", deflated, Some(self.deadline)) {
                        Ok(mut r) => pump(&mut r, budget, Some(&mut out), self.deadline),
                        Err(e) => (0, Ended::Failed(e)),
                    };
                self.spent += got;
                // Output goes on past the budget: the member is no whole
                // file, and must not be judged as one.
                let size = if matches!(ended, Ended::Full) {
                    got + 1
                } else {
                    got
                };
                let inflated = matches!(ended, Ended::Eof | Ended::Full);
                if sealed && !inflated {
                    return;
                }
                if !out.is_empty() {
                    self.member(prefix, &name, &out, size, depth);
                }
                if stream.predictor {
                    self.limit(
                        &member,
                        Limit::Unsupported,
                        "attached file is stored with a predictor, judged without undoing it"
                            .into(),
                    );
                }
                match ended {
                    Ended::Eof => {}
                    Ended::Full => self.limit(
                        &member,
                        Limit::MemberBytes,
                        format!("attached file inflates past the budget; judged from its first {got} bytes"),
                    ),
                    Ended::Time => {
                        self.out_of_time(prefix);
                    }
                    Ended::Failed(e) => self.limit(
                        &member,
                        Limit::Unsupported,
                        format!("attached file does not inflate past {got} bytes ({e})"),
                    ),
                }
            }
            Filter::Other(names) => self.limit(
                &member,
                Limit::Unsupported,
                format!("attached file kept with filter {names} is not decoded"),
            ),
        }
    }
}

/// One read of the PDF: [`PIECE`] bytes of its own, from `at`, with
/// [`MAX_DICT`] bytes of context either side, read from `base`.
struct Piece<'l> {
    bytes: std::borrow::Cow<'l, [u8]>,
    base: u64,
    at: u64,
    end: u64,
}

impl Piece<'_> {
    /// Is `bytes[i]` this read's own, not its neighbours' context?
    fn owns(&self, i: usize) -> bool {
        (self.at..self.end).contains(&(self.base + i as u64))
    }
}

/// The reads that cover the PDF's first [`MAX_SEARCHED`] bytes, in order;
/// where one is refused, `Err` with its place, and no more.
fn pieces<'l, 'a, 'b>(
    level: &'l Level<'a, 'b>,
) -> impl Iterator<Item = Result<Piece<'l>, u64>> + use<'l, 'a, 'b> {
    let end = level.size.min(MAX_SEARCHED);
    let mut at = Some(0u64);
    std::iter::from_fn(move || {
        let from = at.filter(|&a| a < end)?;
        let base = from.saturating_sub(MAX_DICT as u64);
        let Some(bytes) = level.from(base, PIECE + 2 * MAX_DICT) else {
            at = None;
            return Some(Err(from));
        };
        let whole = bytes.len() == PIECE + 2 * MAX_DICT;
        at = whole.then_some(from + PIECE as u64);
        Some(Ok(Piece {
            bytes,
            base,
            at: from,
            end: (from + PIECE as u64).min(end),
        }))
    })
}

/// The stream whose dictionary holds `piece[i]` (`piece` read from `base`
/// of the PDF), and where a search for the next may go on: past its data
/// where `endstream` shows its length is true, else just past `i`.
fn stream_around(piece: &[u8], base: u64, i: usize) -> Option<(Found<'_>, u64)> {
    let lo = i.saturating_sub(MAX_DICT);
    let hi = (i + MAX_DICT).min(piece.len());
    let stream = dictionary(&piece[lo..hi], i - lo)?;
    let data = lo + stream.data;
    let data_at = base + data as u64;
    // The data's end: its direct `/Length`, else the `endstream` in the
    // next MiB of this read (the end of line before the keyword is not
    // data).
    let length = stream.length.or_else(|| {
        let rest = piece.get(data..)?;
        let rest = &rest[..rest.len().min(1 << 20)];
        let k = memmem::find(rest, b"endstream")?;
        let body = &rest[..k];
        let body = body.strip_suffix(b"\n").unwrap_or(body);
        Some(body.strip_suffix(b"\r").unwrap_or(body).len() as u64)
    });
    // What an attachment's data holds is its own (a PDF attached to this
    // one is walked as a member), where `endstream` shows its length is
    // true: a decoy that claims the rest of the file hides nothing behind
    // it.
    let ends = length.filter(|&n| {
        usize::try_from(n)
            .ok()
            .and_then(|n| piece.get(data.checked_add(n)?..))
            .is_some_and(|rest| rest.trim_ascii_start().starts_with(b"endstream"))
    });
    let next = ends.map_or(base + i as u64 + 1, |n| data_at.saturating_add(n));
    let held = length.and_then(|n| piece.get(data..data.checked_add(usize::try_from(n).ok()?)?));
    let found = Found {
        stream,
        at: data_at,
        length,
        held,
    };
    Some((found, next))
}

/// Object streams inflated per PDF to look for `/EF`, and bytes of each.
const MAX_OBJECT_STREAMS: usize = 64;
const MAX_OBJECT_STREAM: u64 = 1 << 20;
/// Bytes after `/EF` its dictionary's references are looked for in.
const EF_DICT: usize = 512;

/// The objects file specifications name as their data.
#[derive(Default)]
struct Refs {
    /// (object, generation), at most [`MAX_NAMES`].
    objects: std::collections::HashSet<(u64, u64)>,
    /// Places of `/EF` looked at, at most [`MAX_NAMES`]: a crafted file
    /// repeats the name where no reference follows.
    places: u64,
    /// Object streams inflated.
    streams: usize,
}

impl Refs {
    /// Notes the references of each `/EF << /F N G R … >>` in `text` at
    /// a place `within` accepts.
    fn note(&mut self, text: &[u8], within: impl Fn(usize) -> bool) {
        for i in memmem::find_iter(text, b"/EF") {
            if !within(i) || !text.get(i + 3).is_none_or(|&c| delimits(c)) {
                continue;
            }
            if self.places == MAX_NAMES {
                return;
            }
            self.places += 1;
            let dict = &text[i + 3..(i + 3 + EF_DICT).min(text.len())];
            let Some(dict) = dict.trim_ascii_start().strip_prefix(b"<<") else {
                continue;
            };
            let dict = &dict[..memmem::find(dict, b">>").unwrap_or(dict.len())];
            for j in memmem::find_iter(dict, b"/") {
                let Some(object) = reference(&dict[j + 1..]) else {
                    continue;
                };
                if self.objects.len() as u64 == MAX_NAMES {
                    return;
                }
                self.objects.insert(object);
            }
        }
    }
}

/// `KEY N G R` (after the key's `/`): the object and generation.
fn reference(text: &[u8]) -> Option<(u64, u64)> {
    let key = text.iter().position(|&c| delimits(c))?;
    let (n, rest) = number(text[key..].trim_ascii_start())?;
    let (g, rest) = number(rest.trim_ascii_start())?;
    rest.trim_ascii_start().starts_with(b"R").then_some((n, g))
}

/// The digits `text` starts with (at most 10), and what follows them.
fn number(text: &[u8]) -> Option<(u64, &[u8])> {
    let digits = text.iter().take_while(|c| c.is_ascii_digit()).count();
    if digits == 0 || digits > 10 {
        return None;
    }
    let n = std::str::from_utf8(&text[..digits]).ok()?.parse().ok()?;
    Some((n, &text[digits..]))
}

/// The `N G` an object header ends with just before `obj` (`before` is
/// the text up to the keyword).
fn object_number(before: &[u8]) -> Option<(u64, u64)> {
    let (rest, g) = last_number(before.trim_ascii_end(), 5)?;
    // Blanks between the two numbers, a delimiter before the first.
    let spaced = rest.trim_ascii_end();
    if spaced.len() == rest.len() {
        return None;
    }
    let (head, n) = last_number(spaced, 10)?;
    head.last().is_none_or(|&c| delimits(c)).then_some((n, g))
}

/// The digits `text` ends with (at most `max`), and what precedes them.
fn last_number(text: &[u8], max: usize) -> Option<(&[u8], u64)> {
    let digits = text.iter().rev().take_while(|c| c.is_ascii_digit()).count();
    if digits == 0 || digits > max {
        return None;
    }
    let (before, n) = text.split_at(text.len() - digits);
    Some((before, std::str::from_utf8(n).ok()?.parse().ok()?))
}

/// A PDF delimiter or white space: what ends a name.
fn delimits(c: u8) -> bool {
    matches!(
        c,
        b'\0'
            | b'\t'
            | b'\n'
            | b'\x0c'
            | b'\r'
            | b' '
            | b'('
            | b')'
            | b'<'
            | b'>'
            | b'['
            | b']'
            | b'{'
            | b'}'
            | b'/'
            | b'%'
    )
}

/// The stream dictionary around `text[at]` (a `/Type /EmbeddedFile`, or
/// a `/Subtype` of that name): from the `obj` before it to the `stream`
/// keyword after it, with no `endobj` between. `None` when the name is
/// not in a stream's dictionary (the `/EmbeddedFiles` of a name tree,
/// text in a content stream).
fn dictionary(text: &[u8], at: usize) -> Option<Stream> {
    let start = memmem::rfind(&text[..at], b"obj")?;
    if text[..start].ends_with(b"end") {
        return None;
    }
    // The keyword follows the dictionary's `>>` and ends its line; the
    // word alone is no keyword (`/Subtype /application#2Foctet-stream`).
    let tail = &text[at..];
    let stop = memmem::find(tail, b"endobj").unwrap_or(tail.len());
    let keyword = memmem::find_iter(&tail[..stop], b"stream")
        .map(|k| at + k)
        .find(|&k| {
            text[..k].trim_ascii_end().ends_with(b">>")
                && matches!(
                    text.get(past_blanks(text, k + b"stream".len())),
                    Some(b'\r' | b'\n')
                )
        })?;
    let dict = &text[start..keyword];
    // Blanks before the end of line break the standard, and readers
    // (qpdf among them) accept them.
    let mut data = past_blanks(text, keyword + b"stream".len());
    match (text.get(data), text.get(data + 1)) {
        (Some(b'\r'), Some(b'\n')) => data += 2,
        (Some(b'\n' | b'\r'), _) => data += 1,
        _ => return None,
    }
    let predictor = value(dict, b"/Predictor").is_some_and(|v| {
        let digits = v.iter().take_while(|c| c.is_ascii_digit()).count();
        std::str::from_utf8(&v[..digits.min(4)])
            .ok()
            .and_then(|n| n.parse::<u32>().ok())
            .is_some_and(|n| n > 1)
    });
    Some(Stream {
        filter: filter(dict),
        length: length(dict),
        predictor,
        data,
    })
}

/// Where the spaces and tabs from `at` on end.
fn past_blanks(text: &[u8], at: usize) -> usize {
    at + text.get(at..).map_or(0, |t| {
        t.iter().take_while(|&&c| c == b' ' || c == b'\t').count()
    })
}

/// The value after `/KEY` in a dictionary (the first such key).
fn value<'d>(dict: &'d [u8], key: &[u8]) -> Option<&'d [u8]> {
    let mut from = 0;
    while let Some(i) = memmem::find(&dict[from..], key) {
        let after = from + i + key.len();
        if dict.get(after).is_none_or(|&c| delimits(c)) {
            return Some(dict[after..].trim_ascii_start());
        }
        from = after;
    }
    None
}

/// The stream's filters: none, deflate alone, or what else they are.
fn filter(dict: &[u8]) -> Filter {
    let Some(v) = value(dict, b"/Filter") else {
        return Filter::None;
    };
    let names: Vec<&[u8]> = if let Some(list) = v.strip_prefix(b"[") {
        let list = &list[..list.iter().position(|&c| c == b']').unwrap_or(list.len())];
        list.split(|&c| c == b'/')
            .map(|n| n.trim_ascii())
            .filter(|n| !n.is_empty())
            .collect()
    } else if let Some(name) = v.strip_prefix(b"/") {
        vec![&name[..name.iter().position(|&c| delimits(c)).unwrap_or(name.len())]]
    } else {
        return Filter::Other("(not a name)".into());
    };
    // A `Crypt` filter that names no crypt filter but Identity (the
    // default) passes its bytes through: the way a PDF leaves one stream
    // unencrypted.
    let identity =
        memmem::find(dict, b"/Identity").is_some() || memmem::find(dict, b"/Name").is_none();
    let names: Vec<&[u8]> = names
        .into_iter()
        .filter(|&n| !(n == b"Crypt" && identity))
        .collect();
    match names.as_slice() {
        [] => Filter::None,
        [b"FlateDecode" | b"Fl"] => Filter::Flate,
        _ => Filter::Other(
            names
                .iter()
                .map(|n| crate::sniff::token(&n[..n.len().min(32)]))
                .collect::<Vec<_>>()
                .join(" "),
        ),
    }
}

/// A direct `/Length`: digits not followed by a generation and `R`.
fn length(dict: &[u8]) -> Option<u64> {
    let v = value(dict, b"/Length")?;
    let digits = v.iter().take_while(|c| c.is_ascii_digit()).count();
    if digits == 0 || digits > 12 {
        return None;
    }
    let rest = v[digits..].trim_ascii_start();
    let second = rest.iter().take_while(|c| c.is_ascii_digit()).count();
    if second > 0 && rest[second..].trim_ascii_start().starts_with(b"R") {
        return None;
    }
    std::str::from_utf8(&v[..digits]).ok()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sniff::testutil::zlib as deflate;
    use crate::unpack::tests::{look, wav};

    /// A PDF with one page and `streams` as objects after it, each a
    /// dictionary's inside and its data.
    fn pdf(streams: &[(&str, &[u8])]) -> Vec<u8> {
        let mut out = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R /Names << /EmbeddedFiles 5 0 R >> >>\nendobj\n2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\n".to_vec();
        for (k, (dict, data)) in streams.iter().enumerate() {
            out.extend_from_slice(format!("{} 0 obj\n<< {dict} >>\nstream\r\n", k + 10).as_bytes());
            out.extend_from_slice(data);
            out.extend_from_slice(b"\r\nendstream\nendobj\n");
        }
        out.extend_from_slice(b"trailer\n<< /Root 1 0 R >>\n%%EOF\n");
        out
    }

    /// An attachment's `/Type` is optional: a stream without it is found
    /// by the `/EF` of its file specification, written plain or inside a
    /// deflated object stream; a stream no specification names is not.
    #[test]
    fn an_attachment_without_its_type_is_found_by_reference() {
        let data = deflate(&wav());
        let bare = pdf(&[("/Filter /FlateDecode", &data)]);
        assert!(look(&bare).found().is_empty(), "nothing names it");
        let at = memmem::find(&bare, b"stream\r\n").unwrap() + 8;
        let want = format!("attachment@{at}");
        let spec = b"20 0 obj\n<< /Type /Filespec /F (call.wav) /EF << /F 10 0 R >> >>\nendobj\n";
        let trailer = memmem::find(&bare, b"trailer").unwrap();
        let mut plain = bare.clone();
        plain.splice(trailer..trailer, spec.iter().copied());
        assert_eq!(look(&plain).found(), vec![(&*want, "wav")]);
        let objects =
            deflate(b"20 0 << /Type /Filespec /F (call.wav) /EF << /F 10 0 R /UF 10 0 R >> >>");
        let packed = pdf(&[
            ("/Filter /FlateDecode", &data),
            ("/Type /ObjStm /N 1 /First 5 /Filter /FlateDecode", &objects),
        ]);
        assert_eq!(look(&packed).found(), vec![(&*want, "wav")]);
        // With its `/Type` too, it is judged once.
        let typed = pdf(&[("/Type /EmbeddedFile /Filter /FlateDecode", &data)]);
        let mut both = typed.clone();
        let trailer = memmem::find(&typed, b"trailer").unwrap();
        both.splice(trailer..trailer, spec.iter().copied());
        assert_eq!(look(&both).found().len(), 1);
    }

    /// A Sound annotation's samples are a stream of `/Type /Sound`, as an
    /// attached file is one of `/Type /EmbeddedFile`: deflated, they are
    /// found inflated; the annotation's own dictionary is no stream.
    #[test]
    fn a_sound_objects_samples_are_a_member() {
        let samples = crate::sniff::testutil::pcm16_tone(40_000);
        let data = deflate(&samples);
        let doc = pdf(&[(
            "/Type /Sound /R 8000 /C 1 /B 16 /E /Signed /Filter /FlateDecode",
            &data,
        )]);
        let at = memmem::find(&doc, b"stream\r\n").unwrap() + 8;
        let inside = look(&doc);
        assert_eq!(inside.found(), vec![(&*format!("sound@{at}"), "raw-pcm")]);
        let annotation = b"<< /Type /Annot /Subtype /Sound /Sound 10 0 R >>".to_vec();
        let mut plain = doc.clone();
        let trailer = memmem::find(&doc, b"trailer").unwrap();
        plain.splice(trailer..trailer, annotation);
        assert_eq!(look(&plain).found().len(), 1);
    }

    /// File specifications are looked for in a bounded number of object
    /// streams: one past the bound is a limit, not silence.
    #[test]
    fn object_streams_past_the_bound_are_a_limit() {
        let data = deflate(&wav());
        let spec = |n: usize| {
            let (object, names) = match n {
                0 => (20, 10),
                _ => (20 + n, 1000 + n),
            };
            let head = format!("{object} 0 ");
            let body = format!("{head}<< /Type /Filespec /EF << /F {names} 0 R >> >>");
            (head.len(), deflate(body.as_bytes()))
        };
        let with = |count: usize| {
            let specs: Vec<(String, Vec<u8>)> = (0..count)
                .rev()
                .map(|n| {
                    let (first, z) = spec(n);
                    let dict = format!("/Type /ObjStm /N 1 /First {first} /Filter /FlateDecode");
                    (dict, z)
                })
                .collect();
            let mut streams: Vec<(&str, &[u8])> = vec![("/Filter /FlateDecode", &data)];
            streams.extend(specs.iter().map(|(d, z)| (d.as_str(), z.as_slice())));
            pdf(&streams)
        };
        // The attachment's specification is in the last object stream.
        let within = look(&with(MAX_OBJECT_STREAMS));
        assert_eq!(within.found().len(), 1);
        assert!(within.limits.is_empty(), "{:?}", within.limits);
        let past = look(&with(MAX_OBJECT_STREAMS + 1));
        assert!(past.found().is_empty());
        assert!(
            past.says("more than 64 object streams"),
            "{:?}",
            past.limits
        );
        // More object streams in later pieces of the PDF: said once.
        let (first, z) = spec(1);
        let dict = format!("/Type /ObjStm /N 1 /First {first} /Filter /FlateDecode");
        let blank = vec![b' '; 9 << 20];
        let mut streams: Vec<(&str, &[u8])> = Vec::new();
        for _ in 0..MAX_OBJECT_STREAMS + 1 {
            streams.push((&dict, &z));
        }
        streams.extend([("", &blank[..]), (&dict, &z), ("", &blank[..]), (&dict, &z)]);
        let spread = look(&pdf(&streams));
        assert!(spread.says("more than 64 object streams"));
        assert!(!spread.says("more max-members"), "{:?}", spread.limits);
    }

    #[test]
    fn object_headers_and_references_are_read_as_written() {
        assert_eq!(object_number(b"\n12 0 "), Some((12, 0)));
        assert_eq!(object_number(b"endobj\r7 3"), Some((7, 3)));
        assert_eq!(object_number(b"x12 0 "), None);
        assert_eq!(object_number(b"120 "), None);
        assert_eq!(reference(b"F 10 0 R >>"), Some((10, 0)));
        assert_eq!(reference(b"UF 10 0 R"), Some((10, 0)));
        assert_eq!(reference(b"F (call.wav)"), None);
        assert_eq!(reference(b"F 10 0 obj"), None);
    }

    #[test]
    fn dictionaries_give_filter_and_length() {
        let d = |s: &str| {
            let t = format!("7 0 obj\n<< {s} >>\nstream\nDATA");
            dictionary(t.as_bytes(), t.find("/EmbeddedFile").unwrap())
        };
        let s = d("/Type /EmbeddedFile /Length 4 /Filter /FlateDecode").unwrap();
        assert_eq!((s.filter, s.length), (Filter::Flate, Some(4)));
        let s = d("/Length 9 0 R /Type/EmbeddedFile/Filter[/FlateDecode]").unwrap();
        assert_eq!((s.filter, s.length), (Filter::Flate, None));
        let t = "7 0 obj\n<< /Type /EmbeddedFile /Length 4 >>\nstream  \r\nDATA";
        let s = dictionary(t.as_bytes(), t.find("/EmbeddedFile").unwrap()).unwrap();
        assert_eq!(&t[s.data..], "DATA");
        let s = d("/Type /EmbeddedFile /Params << /Size 12 >> /Length 4").unwrap();
        assert_eq!((s.filter, s.length), (Filter::None, Some(4)));
        let s = d("/Type /EmbeddedFile /Filter [/ASCIIHexDecode /FlateDecode]").unwrap();
        assert_eq!(s.filter, Filter::Other("ASCIIHexDecode FlateDecode".into()));
        // A name tree's key, or the name with no stream after it.
        let t = b"1 0 obj\n<< /EmbeddedFile 5 0 R >>\nendobj\n2 0 obj\n<< >>\nstream\n";
        assert_eq!(dictionary(t, 14), None);
        assert_eq!(dictionary(b"<< /Type /EmbeddedFile >>\nstream\n", 9), None);
    }

    #[test]
    fn a_deflated_attachment_is_a_member_judged_as_a_file() {
        let wav = wav();
        let z = deflate(&wav);
        let dict = format!(
            "/Type /EmbeddedFile /Subtype /audio#2Fwav /Filter /FlateDecode /Length {}",
            z.len()
        );
        let inside = look(&pdf(&[("/Length 5", b"hello"), (&dict, &z)]));
        assert!(
            inside
                .found()
                .iter()
                .any(|(m, f)| m.contains("attachment@") && *f == "wav"),
            "{:?}",
            inside.found()
        );
        assert!(inside.limits.is_empty(), "{:?}", inside.limits);
        // Its length given indirectly: inflated to the stream's end.
        let dict = "/Type /EmbeddedFile /Filter /FlateDecode /Length 12 0 R";
        let inside = look(&pdf(&[(dict, &z)]));
        assert!(
            inside.found().iter().any(|(_, f)| *f == "wav"),
            "{:?}",
            inside.found()
        );
        // Kept as is, behind a page's content longer than the head (in
        // the head, the recording behind the PDF's header is the verdict).
        let page = b"q 1 0 0 1 72 72 cm BT /F1 12 Tf (call notes) Tj ET Q\n".repeat(1500);
        let raw = pdf(&[("/Length 84000", &page), ("/Type /EmbeddedFile", &wav)]);
        let inside = look(&raw);
        assert!(
            inside.found().iter().any(|(_, f)| *f == "wav"),
            "{:?} {:?}",
            inside.found(),
            inside.limits
        );
        // A subtype that spells the keyword.
        let dict = "/Type /EmbeddedFile /Subtype /application#2Foctet-stream /Filter /Fl";
        let inside = look(&pdf(&[(dict, &z)]));
        assert!(inside.found().iter().any(|(_, f)| *f == "wav"));
    }

    #[test]
    fn a_length_that_claims_the_rest_of_the_file_hides_nothing() {
        let z = deflate(&wav());
        let small = deflate(b"notes");
        let decoy = "/Type /EmbeddedFile /Filter /FlateDecode /Length 99999999";
        let dict = format!(
            "/Type /EmbeddedFile /Filter /FlateDecode /Length {}",
            z.len()
        );
        let inside = look(&pdf(&[(decoy, &small), (&dict, &z)]));
        assert!(
            inside.found().iter().any(|(_, f)| *f == "wav"),
            "{:?}",
            inside.found()
        );
    }

    /// A PDF that says it is encrypted: its attachments are ciphertext
    /// and pass unmentioned, unless one inflates (a forged `/Encrypt`
    /// dictionary in front of plaintext).
    #[test]
    fn an_encrypted_pdf_keeps_quiet_unless_an_attachment_is_plain() {
        let sealed = |data: &[u8]| {
            let mut p = pdf(&[
                (
                    "/Filter /Standard /V 2 /R 3 /Length 128 /O <aa> /U <bb> /P -4",
                    b"",
                ),
                ("/Type /EmbeddedFile /Filter /FlateDecode", data),
            ]);
            p.extend(b"trailer\n<< /Encrypt 10 0 R >>\n");
            p
        };
        let cipher = crate::sniff::testutil::pseudo_random(20_000, 7);
        let inside = look(&sealed(&cipher));
        assert!(
            inside.members.is_empty() && inside.limits.is_empty(),
            "{:?}",
            inside.limits
        );
        let inside = look(&sealed(&deflate(&wav())));
        assert!(
            inside.found().iter().any(|(_, f)| *f == "wav"),
            "{:?}",
            inside.found()
        );
        // Stored without a filter: ciphertext passes unmentioned, and a
        // file left in the clear (`/EFF /Identity`) is judged, past a
        // page's content that fills the head.
        let page = crate::sniff::testutil::pseudo_random(70_000, 3);
        let stored = |data: &[u8]| {
            let mut p = pdf(&[
                (
                    "/Filter /Standard /V 4 /R 4 /Length 128 /EFF /Identity /O <aa> /U <bb> /P -4",
                    b"",
                ),
                ("/Length 70000", &page),
                ("/Type /EmbeddedFile", data),
            ]);
            p.extend(b"trailer\n<< /Encrypt 10 0 R >>\n");
            p
        };
        let inside = look(&stored(&cipher));
        assert!(
            inside.members.is_empty() && inside.limits.is_empty(),
            "{:?}",
            inside.limits
        );
        let plain = look(&stored(&wav()));
        assert_eq!(plain.found().len(), 1, "{:?}", plain.limits);
        assert_eq!(plain.found()[0].1, "wav");
        // The Identity crypt filter, the spec's own way to leave a stream
        // unencrypted, passes its bytes through.
        let identity = |filter: &str, data: &[u8]| {
            let mut p = pdf(&[
                (
                    "/Filter /Standard /V 4 /R 4 /Length 128 /O <aa> /U <bb> /P -4",
                    b"",
                ),
                ("/Length 70000", &page),
                (filter, data),
            ]);
            p.extend(b"trailer\n<< /Encrypt 10 0 R >>\n");
            p
        };
        let crypt = "/Type /EmbeddedFile /Filter /Crypt /DecodeParms << /Name /Identity >>";
        assert_eq!(look(&identity(crypt, &wav())).found()[0].1, "wav");
        // Under a filter not decoded, plaintext is said to be there.
        let hex: String = wav().iter().map(|b| format!("{b:02x}")).collect();
        let inside = look(&identity(
            "/Type /EmbeddedFile /Filter /ASCIIHexDecode",
            hex.as_bytes(),
        ));
        assert!(inside.says("attached file kept with filter ASCIIHexDecode is not decoded"));
        let inside = look(&identity("/Type /EmbeddedFile /Filter /DCTDecode", &cipher));
        assert!(inside.members.is_empty() && inside.limits.is_empty());
        let flate = "/Type /EmbeddedFile /Filter [/Crypt /FlateDecode] /DecodeParms [<< /Name /Identity >> null]";
        assert_eq!(look(&identity(flate, &deflate(&wav()))).found()[0].1, "wav");
        assert_eq!(
            filter(b"/Filter /Crypt /DecodeParms << /Name /StdCF >>"),
            Filter::Other("Crypt".into())
        );
    }

    #[test]
    fn damaged_or_undecoded_attachments_are_limits() {
        let z = deflate(&wav());
        let cut = &z[..z.len() / 2];
        let mut flipped = z.clone();
        flipped[40] ^= 0xff;
        for (dict, data, says) in [
            (
                "/Type /EmbeddedFile /Filter /FlateDecode",
                cut,
                "does not inflate",
            ),
            (
                "/Type /EmbeddedFile /Filter /FlateDecode",
                &flipped[..],
                "does not inflate",
            ),
            (
                "/Type /EmbeddedFile /Filter /LZWDecode",
                &z[..],
                "LZWDecode is not decoded",
            ),
            (
                "/Type /EmbeddedFile /Filter /FlateDecode /DecodeParms << /Predictor 12 /Columns 4 >>",
                &z[..],
                "predictor",
            ),
        ] {
            let inside = look(&pdf(&[(dict, data)]));
            assert!(inside.says(says), "{dict}: {:?}", inside.limits);
        }
    }

    #[test]
    fn many_or_mutated_attachments_stay_bounded() {
        let small = deflate(&[7u8; 100]);
        let dict = "/Type /EmbeddedFile /Filter /FlateDecode";
        let many: Vec<(&str, &[u8])> = (0..1001).map(|_| (dict, &small[..])).collect();
        let inside = look(&pdf(&many));
        assert!(inside.says("more than 1000 members"), "{:?}", inside.limits);
        let z = deflate(&wav());
        let base = pdf(&[(dict, &z[..])]);
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        for _ in 0..300 {
            let mut m = base.clone();
            for _ in 0..4 {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                let i = (x % m.len() as u64) as usize;
                m[i] = (x >> 32) as u8;
            }
            let cut = (x >> 40) as usize % m.len();
            look(&m);
            look(&m[..cut]);
        }
        // The name everywhere, with no stream behind it: a bounded search.
        let mut flood = b"%PDF-1.7\n1 0 obj\n<< ".to_vec();
        flood.extend(b"/Type /EmbeddedFile ".repeat(200_000));
        let inside = look(&flood);
        assert!(
            inside.says("more than 4096 /EmbeddedFile or /Sound names"),
            "{:?}",
            inside.limits
        );
    }
}
