//! Bytes written as a string literal's escapes: Python's `repr` of
//! `bytes` (`b'RIFF$\x08\x00\x00WAVEfmt '`, what pandas writes to a CSV
//! cell for a bytes column and what a log line prints), C and JavaScript
//! strings of `\x52\x49…`, and JSON strings of bytes read as Latin-1
//! (`"RIFF$\u0008\u0000…"`). Such text is plain ASCII and holds no run of
//! one alphabet, so neither the base64 and hex search nor the statistics
//! see the recording in it. Each literal dense in byte escapes is decoded
//! (bounded) and judged as the bytes it spells.

use super::{Level, Walk};
use crate::sniff::{Class, HEAD_LEN};
use crate::unpack::encoded;

/// A literal is decoded only when it spells at least this many bytes by
/// `\xHH`, `\u00HH` or octal escapes: a string with an ANSI colour code or
/// two is text, not bytes.
const MIN_ESCAPES: usize = 16;
/// Nor when it spells fewer bytes than this: source code and its tests
/// write formats' headers out as literals (an Ogg page or two, a WAV
/// header), a few hundred bytes that are no recording.
const MIN_BYTES: u64 = 1024;
/// How far before its first byte escape a literal's opening quote is
/// looked for (on the same line).
const LOOKBACK: usize = 4096;

/// One literal: its content in the text, without its quotes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Literal {
    /// Offset of the content's first byte in the text.
    pub start: usize,
    /// The quote that opened it; `None` when the escapes run from a line's
    /// start (the literal then ends with the line).
    pub quote: Option<u8>,
    /// It lies in a CSV field quoted with `"`, where `""` stands for one
    /// `"` (pandas writes a bytes cell so).
    pub in_csv_field: bool,
}

/// What a literal decodes to.
#[derive(Debug, Default, PartialEq, Eq)]
pub(super) struct Decoded {
    /// Its first bytes, up to the limit asked for.
    pub bytes: Vec<u8>,
    /// How many bytes it spells in all (past the limit too).
    pub len: u64,
    /// Offset just past its last byte in the text (before the closing
    /// quote); the text's end when it runs on past it.
    pub end: usize,
    /// Bytes spelt by a byte escape (`\xHH`, `\u00HH`, octal).
    pub escapes: usize,
    /// It was still open where the text ends.
    pub open: bool,
}

/// The first `\xHH` or `\u00HH` escape at or after `from`: where its
/// backslash is.
fn next_byte_escape(text: &[u8], from: usize) -> Option<usize> {
    let mut at = from;
    while let Some(k) = memchr::memchr(b'\\', text.get(at..)?) {
        let i = at + k;
        if byte_escape(text, i).is_some() {
            return Some(i);
        }
        // An escaped backslash is not the start of an escape.
        at = i + if text.get(i + 1) == Some(&b'\\') {
            2
        } else {
            1
        };
    }
    None
}

/// The byte a `\xHH` or `\u00HH` at `i` spells, and the escape's length.
fn byte_escape(text: &[u8], i: usize) -> Option<(u8, usize)> {
    let hex = |b: &[u8]| -> Option<u8> {
        let s = std::str::from_utf8(b).ok()?;
        b.iter()
            .all(u8::is_ascii_hexdigit)
            .then(|| u8::from_str_radix(s, 16).ok())
            .flatten()
    };
    match text.get(i + 1..)? {
        [b'x', a, b, ..] => Some((hex(&[*a, *b])?, 4)),
        [b'u', b'0', b'0', a, b, ..] => Some((hex(&[*a, *b])?, 6)),
        _ => None,
    }
}

/// The literals of `text` that spell at least [`MIN_ESCAPES`] bytes by
/// escapes and [`MIN_BYTES`] in all (or run on past its end), up to `max`
/// of them, in order.
pub(super) fn literals(text: &[u8], max: usize) -> Vec<Literal> {
    let mut found = Vec::new();
    let mut from = 0;
    while found.len() < max {
        let Some(at) = next_byte_escape(text, from) else {
            break;
        };
        let literal = opening(text, from, at);
        let d = decode(text, literal, 0);
        if d.escapes >= MIN_ESCAPES && (d.len >= MIN_BYTES || d.open) {
            found.push(literal);
        }
        // Past the literal, and always past this escape.
        from = d.end.max(at + 2);
    }
    found
}

/// The literal an escape at `at` lies in: after the nearest quote before
/// it on its line (not before `from`), or from the line's start.
fn opening(text: &[u8], from: usize, at: usize) -> Literal {
    let floor = from.max(at.saturating_sub(LOOKBACK));
    let line = memchr::memrchr2(b'\n', b'\r', &text[floor..at]).map_or(floor, |k| floor + k + 1);
    let mut i = at;
    while i > line {
        i -= 1;
        let c = text[i];
        if matches!(c, b'\'' | b'"') && (i == 0 || text[i - 1] != b'\\') {
            // An odd number of `"` before a `'` on its line: a CSV field
            // that a `"` opened holds the literal.
            let fields = memchr::memchr_iter(b'"', &text[line..i]).count();
            return Literal {
                start: i + 1,
                quote: Some(c),
                in_csv_field: c == b'\'' && fields % 2 == 1,
            };
        }
    }
    Literal {
        start: line,
        quote: None,
        in_csv_field: false,
    }
}

/// Decodes `literal`, keeping its first `limit` bytes. The escapes of
/// Python, C and JSON are undone; a character of U+0080–U+00FF written as
/// UTF-8 is its Latin-1 byte (a JSON string of bytes read as Latin-1);
/// literals that only whitespace separates (`"…"\n"…"` in C, `b'…' b'…'`
/// in Python) are one. An unknown escape is kept as written, as Python
/// keeps it.
pub(super) fn decode(text: &[u8], literal: Literal, limit: usize) -> Decoded {
    let mut d = Decoded::default();
    let push = |d: &mut Decoded, byte: u8| {
        if d.bytes.len() < limit {
            d.bytes.push(byte);
        }
        d.len += 1;
    };
    let mut i = literal.start;
    loop {
        let Some(&c) = text.get(i) else {
            d.open = true;
            d.end = text.len();
            return d;
        };
        match c {
            b'\\' => {
                if let Some((byte, n)) = byte_escape(text, i) {
                    push(&mut d, byte);
                    d.escapes += 1;
                    i += n;
                    continue;
                }
                let Some(&e) = text.get(i + 1) else {
                    d.open = true;
                    d.end = text.len();
                    return d;
                };
                let simple = match e {
                    b'a' => Some(7),
                    b'b' => Some(8),
                    b't' => Some(b'\t'),
                    b'n' => Some(b'\n'),
                    b'v' => Some(0x0b),
                    b'f' => Some(0x0c),
                    b'r' => Some(b'\r'),
                    b'\\' | b'\'' | b'"' | b'/' => Some(e),
                    _ => None,
                };
                if let Some(byte) = simple {
                    push(&mut d, byte);
                    i += 2;
                } else if (b'0'..=b'7').contains(&e) {
                    // Octal: up to three digits, at most 0o377.
                    let digits = text[i + 1..]
                        .iter()
                        .take(3)
                        .take_while(|c| (b'0'..=b'7').contains(c))
                        .count();
                    let value = text[i + 1..i + 1 + digits]
                        .iter()
                        .fold(0u32, |v, &c| v * 8 + u32::from(c - b'0'));
                    push(&mut d, value as u8);
                    d.escapes += 1;
                    i += 1 + digits;
                } else if matches!(e, b'\n' | b'\r') {
                    // A line continued.
                    i += 2;
                } else {
                    push(&mut d, b'\\');
                    i += 1;
                }
            }
            b'\n' | b'\r' => {
                d.end = i;
                return d;
            }
            b'"' if literal.in_csv_field => {
                if text.get(i + 1) != Some(&b'"') {
                    // The field ends, and the literal with it.
                    d.end = i;
                    return d;
                }
                push(&mut d, b'"');
                i += 2;
            }
            q if Some(q) == literal.quote => {
                d.end = i;
                // The next literal joins on when only whitespace (and a
                // Python bytes prefix) lies between.
                let mut j = i + 1;
                while text.get(j).is_some_and(u8::is_ascii_whitespace) {
                    j += 1;
                }
                if matches!(text.get(j), Some(b'b' | b'B')) {
                    j += 1;
                }
                if text.get(j) != Some(&q) || j == i + 1 {
                    return d;
                }
                i = j + 1;
            }
            0xc2 | 0xc3 if text.get(i + 1).is_some_and(|c| c & 0xc0 == 0x80) => {
                push(&mut d, (c & 0x03) << 6 | (text[i + 1] & 0x3f));
                i += 2;
            }
            _ => {
                push(&mut d, c);
                i += 1;
            }
        }
    }
}

impl Walk<'_> {
    /// Literals of byte escapes in text: each decoded one goes through the
    /// detectors, as a decoded base64 run does. Literals that open in the
    /// text's head are searched (a literal that runs past it is read on);
    /// `text` and `width` are the head as `ascii_head` gives it.
    pub(super) fn escaped(
        &mut self,
        level: &Level<'_, '_>,
        text: &[u8],
        width: usize,
        prefix: &str,
        depth: u32,
    ) {
        // A literal long enough takes more characters than most small
        // texts hold: those are not searched at all.
        if level.size < MIN_BYTES + 3 * MIN_ESCAPES as u64 {
            return;
        }
        let max = self.text_payloads();
        let literals = self.capped(literals(text, max + 1), max, prefix, "escaped byte strings");
        for literal in literals {
            let Some(budget) = self.remaining(prefix) else {
                return;
            };
            let budget = budget.min(4 * HEAD_LEN as u64) as usize;
            let mut d = decode(text, literal, budget);
            if d.open && width == 1 && (text.len() as u64) < level.size {
                // An escape spells a byte in at most six characters.
                let want = 6 * budget;
                if let Some(more) = level.from(literal.start as u64, want) {
                    let read = more.len();
                    let start = Literal {
                        start: 0,
                        ..literal
                    };
                    d = decode(&more, start, budget);
                    if d.open {
                        // The literal goes on past what was read: scale by
                        // the bytes each character spelt.
                        let left = level.size - literal.start as u64;
                        let per = d.len as f64 / read.max(1) as f64;
                        d.len = d.len.max((left as f64 * per) as u64);
                    }
                }
            }
            self.spent += d.bytes.len() as u64;
            let size = d.len.max(d.bytes.len() as u64);
            let s = self.sniff_bytes(&d.bytes, size);
            // A verdict of statistics alone does not speak for a literal:
            // source code writes lookup tables of 16-bit values so.
            let statistical = encoded::by_statistics_alone(&s);
            if s.class == Class::Other || statistical || !encoded::speaks_for(&s, d.bytes.len()) {
                continue;
            }
            let at = literal.start * width;
            let s = s.with(
                "encoding",
                format!("escaped bytes in a string at byte {at}"),
            );
            self.keep(prefix, &format!("escaped@{at}"), &d.bytes, size, depth, s);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What the literal around the first byte escape spells.
    fn spelt(text: &[u8]) -> Vec<u8> {
        let at = next_byte_escape(text, 0).unwrap();
        decode(text, opening(text, 0, at), usize::MAX).bytes
    }

    /// Python's repr of bytes: printable bytes as themselves, the rest as
    /// `\xHH` or the short escapes.
    fn py_repr(bytes: &[u8]) -> Vec<u8> {
        let mut out = b"b'".to_vec();
        for &b in bytes {
            match b {
                b'\\' => out.extend_from_slice(b"\\\\"),
                b'\'' => out.extend_from_slice(b"\\'"),
                b'\t' => out.extend_from_slice(b"\\t"),
                b'\n' => out.extend_from_slice(b"\\n"),
                b'\r' => out.extend_from_slice(b"\\r"),
                0x20..=0x7e => out.push(b),
                _ => out.extend_from_slice(format!("\\x{b:02x}").as_bytes()),
            }
        }
        out.push(b'\'');
        out
    }

    #[test]
    fn a_python_repr_decodes_to_its_bytes() {
        let bytes: Vec<u8> = (0..=255u8).cycle().take(1024).collect();
        let mut log = b"DEBUG payload=".to_vec();
        log.extend_from_slice(&py_repr(&bytes));
        log.extend_from_slice(b" \"done\"\n");
        assert_eq!(spelt(&log), bytes);
        // In a CSV field, as pandas writes a bytes cell: `"` doubled.
        let mut csv = b"id,audio\n1,\"{'bytes': ".to_vec();
        let cell: Vec<u8> = py_repr(&bytes)
            .into_iter()
            .flat_map(|c| if c == b'"' { vec![c, c] } else { vec![c] })
            .collect();
        csv.extend_from_slice(&cell);
        csv.extend_from_slice(b", 'path': None}\"\n");
        assert_eq!(spelt(&csv), bytes);
        let lits = literals(&csv, 8);
        assert_eq!(decode(&csv, lits[0], usize::MAX).bytes, bytes);
    }

    #[test]
    fn c_json_and_octal_escapes_decode() {
        let c = b"static const char wav[] = \"\\x52\\x49\\x46\\x46\\x24\\x08\\x00\\x00\"\n  \"\\x57\\x41\\x56\\x45\\x66\\x6d\\x74\\x20\\x10\\x00\\x00\\x00\";";
        assert_eq!(spelt(c), b"RIFF\x24\x08\x00\x00WAVEfmt \x10\x00\x00\x00");
        let json = "{\"a\": \"RIFF\\u0024\\u0008\\u0000\\u0000WAVE\\u00e2\\u0010\\u0000\\u0000\\u0000\\u0001\\u0000\\u0002\\u0000\\u0044\\u00ac\\u0000\\u0000ÿ\"}";
        assert_eq!(
            spelt(json.as_bytes()),
            b"RIFF\x24\x08\x00\x00WAVE\xe2\x10\x00\x00\x00\x01\x00\x02\x00\x44\xac\x00\x00\xff"
        );
        // Octal is undone inside a literal its hex escapes find.
        let octal = b"'\\x00\\0\\1\\2\\3\\4\\5\\6\\7\\10\\11\\12\\13\\14\\15\\16\\377'";
        assert_eq!(
            spelt(octal),
            b"\x00\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\xff"
        );
    }

    #[test]
    fn few_escapes_are_text() {
        let log = b"INFO \"\\x1b[32mok\\x1b[0m\" done\n".repeat(7);
        assert!(literals(&log, 8).is_empty());
        assert!(literals(b"C:\\\\x86\\\\xyz \\x4", 8).is_empty());
        // A format's header written out in a test: no recording.
        let header = py_repr(&[0x80; 1023]);
        assert!(literals(&header, 8).is_empty());
        assert_eq!(literals(&py_repr(&[0x80; 1024]), 8).len(), 1);
    }

    #[test]
    fn a_literal_cut_by_the_text_is_open() {
        let text = py_repr(&[0u8; 100]);
        let cut = &text[..text.len() - 40];
        let lits = literals(cut, 8);
        let d = decode(cut, lits[0], 10);
        assert!(d.open);
        assert_eq!((d.bytes.len(), d.end), (10, cut.len()));
        assert_eq!(d.len, ((cut.len() - 2) / 4) as u64);
    }

    /// Text of escape-like pieces in any order: every literal found and
    /// decoded stays within the text and the limit asked for.
    #[test]
    fn any_mix_of_escape_pieces_is_decoded_within_bounds() {
        use crate::sniff::testutil::pseudo_random;
        const PIECES: [&[u8]; 12] = [
            b"\\x4", b"1", b"\\u00", b"e", b"\\", b"'", b"\"", b"\n", b"b", b"\\7", b"\\\n",
            b"\xc3",
        ];
        for seed in 0..200 {
            let text: Vec<u8> = pseudo_random(4000, seed)
                .iter()
                .flat_map(|&r| PIECES[usize::from(r) % PIECES.len()].iter().copied())
                .collect();
            for lit in literals(&text, 64) {
                assert!(lit.start <= text.len());
                let d = decode(&text, lit, 100);
                assert!(d.bytes.len() <= 100 && d.end <= text.len());
                assert!(d.len >= d.bytes.len() as u64);
            }
        }
    }

    #[test]
    fn literals_are_found_one_after_another_and_capped() {
        let one = py_repr(&[0x80; 1024]);
        let mut text = Vec::new();
        for _ in 0..5 {
            text.extend_from_slice(&one);
            text.extend_from_slice(b",\n");
        }
        let lits = literals(&text, 8);
        assert_eq!(lits.len(), 5);
        assert_eq!(lits[1].start, one.len() + 2 + 2);
        assert_eq!(literals(&text, 3).len(), 3);
    }
}
