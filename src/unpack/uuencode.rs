//! uuencoded files in text (`uuencode voice.wav voice.wav`, a `shar`
//! archive's binaries, Usenet and old mail gateways): `begin MODE NAME`,
//! then lines whose first character counts the bytes they hold (`M`, 45)
//! in four characters for every three, from `!` up (a zero six-bit group
//! as a blank or a backquote), to an empty line and `end`. The alphabet
//! has blanks and punctuation in it, so no run search sees such a file.

use super::{Level, Limit, Walk};
use crate::sniff::HEAD_LEN;

/// Fewer bytes encoded are no recording.
const MIN_BYTES: usize = 256;
/// uuencoded files judged in one text, at most (past them, a limit).
const MAX_FILES: usize = 16;

/// Where the first `begin MODE NAME` line at or after `from` starts, and
/// where the encoded lines after it do. Lines are looked at where
/// [`super::probe_lines`] says (a search of every line would cost a pass
/// over every text): a `begin` line there, or a full line of encoded bytes
/// (`M` and 60 characters), from which the `begin` line is sought back.
pub(super) fn next_begin(text: &[u8], from: usize) -> Option<(usize, usize)> {
    super::probe_lines(text, from).find_map(|line| {
        let at = match begin_line(text, line) {
            Some(_) => line,
            None if full_line(&text[line..]) => {
                match memchr::memmem::rfind(&text[from..line], b"\nbegin ") {
                    Some(k) => from + k + 1,
                    None if text[from..].starts_with(b"begin ") => from,
                    None => return None,
                }
            }
            None => return None,
        };
        Some((at, begin_line(text, at)?))
    })
}

/// Where the lines after a `begin MODE NAME` line at `at` start.
fn begin_line(text: &[u8], at: usize) -> Option<usize> {
    let rest = text.get(at..)?.strip_prefix(b"begin ")?;
    let end = memchr::memchr(b'\n', rest)?;
    let line = &rest[..end];
    // A mode of three or four octal digits, a blank, a name.
    let digits = line
        .iter()
        .take_while(|c| (b'0'..=b'7').contains(c))
        .count();
    ((3..=4).contains(&digits) && line.get(digits) == Some(&b' ') && line.len() > digits + 1)
        .then_some(at + 6 + end + 1)
}

/// A full line of a uuencoded body: `M` (45 bytes) and 60 characters from
/// the blank to the backquote (a checksum character and a CR may follow).
fn full_line(text: &[u8]) -> bool {
    if text.first() != Some(&b'M') {
        return false;
    }
    let look = &text[..text.len().min(64)];
    let Some(end) = memchr::memchr(b'\n', look) else {
        return false;
    };
    let line = look[..end].strip_suffix(b"\r").unwrap_or(&look[..end]);
    (61..=62).contains(&line.len()) && line.iter().all(|c| (b' '..=b'`').contains(c))
}

/// Decodes the lines from `at` (stopping at `budget` bytes): the bytes,
/// where the lines read end, and whether they ran on to the end of `text`
/// without their closing empty line.
fn decode(text: &[u8], mut at: usize, budget: usize) -> (Vec<u8>, usize, bool) {
    let sixbits = |c: u8| c.wrapping_sub(b' ') & 0x3f;
    let mut out = Vec::new();
    while out.len() < budget {
        let Some(end) = memchr::memchr(b'\n', &text[at..]).map(|k| at + k) else {
            return (out, text.len(), true);
        };
        let line = text[at..end].strip_suffix(b"\r").unwrap_or(&text[at..end]);
        let Some(&count) = line.first() else {
            return (out, at, false);
        };
        let n = usize::from(sixbits(count));
        // Four characters for every three bytes, any trailing characters
        // (a checksum some encoders add) aside.
        let chars = n.div_ceil(3) * 4;
        if n == 0
            || line.len() < 1 + chars
            || line[1..].iter().any(|&c| !(b' '..=b'`').contains(&c))
        {
            return (out, at, false);
        }
        let start = out.len();
        for group in line[1..1 + chars].chunks_exact(4) {
            let v = group
                .iter()
                .fold(0u32, |v, &c| v << 6 | u32::from(sixbits(c)));
            out.extend([(v >> 16) as u8, (v >> 8) as u8, v as u8]);
        }
        // The last group's padding bytes.
        out.truncate(start + n);
        at = end + 1;
    }
    out.truncate(budget);
    (out, at, false)
}

impl Walk<'_> {
    /// uuencoded files in the text's head, each decoded (read on past the
    /// head when its lines reach it) and judged as a decoded base64 run
    /// is, member `uuencode@OFFSET`. `text` is the head as `ascii_head`
    /// gives it, of units `width` bytes wide.
    pub(super) fn uuencoded(
        &mut self,
        level: &Level<'_, '_>,
        text: &[u8],
        width: usize,
        prefix: &str,
        depth: u32,
    ) {
        // Files too short to judge do not count: a run of empty ones in
        // front must not push a recording past the count.
        let (mut from, mut decoded) = (0, 0);
        loop {
            let Some((begin, lines)) = next_begin(text, from) else {
                return;
            };
            let Some(budget) = self.remaining(prefix) else {
                return;
            };
            let budget = budget.min(4 * HEAD_LEN as u64) as usize;
            let (mut data, end, mut open) = decode(text, lines, budget);
            from = end.max(lines);
            // Where the text the lines were read from ends in the object.
            let mut read_to = (text.len() * width) as u64;
            if open && width == 1 && read_to < level.size {
                // Four characters, and a line's count and break, for three bytes.
                let want = budget / 3 * 4 + budget / 45 * 2 + 64;
                if let Some(more) = level.from(lines as u64, want) {
                    (data, _, open) = decode(&more, 0, budget);
                    read_to = lines as u64 + more.len() as u64;
                }
            }
            self.spent += data.len() as u64;
            if data.len() < MIN_BYTES {
                continue;
            }
            if decoded == MAX_FILES {
                self.limit(
                    prefix,
                    Limit::Members,
                    format!("more than {MAX_FILES} uuencoded files in text; the rest not judged"),
                );
                return;
            }
            decoded += 1;
            let at = (begin * width) as u64;
            let (name, size) = (format!("uuencode@{at}"), data.len() as u64);
            let encoding = format!("uuencode at byte {at}");
            let kept = self.keep_decoded((prefix, &name), encoding, &data, size, depth);
            if !kept && open && (data.len() >= budget || read_to < level.size) {
                self.limit(
                    prefix,
                    Limit::MemberBytes,
                    format!(
                        "uuencoded file at byte {at} judged on its first {} bytes; the rest not read",
                        data.len()
                    ),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `uuencode` of `data`, as sharutils writes it.
    fn encoded(data: &[u8]) -> String {
        let six = |v: u8| if v == 0 { '`' } else { (v + b' ') as char };
        let mut s = String::from("begin 644 voice.wav\n");
        for line in data.chunks(45) {
            s.push((line.len() as u8 + b' ') as char);
            for g in line.chunks(3) {
                let b = [g[0], *g.get(1).unwrap_or(&0), *g.get(2).unwrap_or(&0)];
                for v in [
                    b[0] >> 2,
                    (b[0] & 3) << 4 | b[1] >> 4,
                    (b[1] & 15) << 2 | b[2] >> 6,
                    b[2] & 63,
                ] {
                    s.push(six(v));
                }
            }
            s.push('\n');
        }
        s.push_str("`\nend\n");
        s
    }

    #[test]
    fn uuencoded_lines_read_back() {
        // Longer than the 4 KiB between the lines looked at, so that one
        // of its lines is; a shorter one behind other text is not sought.
        let data: Vec<u8> = (0..6000u32).map(|i| (i * 7) as u8).collect();
        let text = format!("Here is the file:\n\n{}-- \nsig\n", encoded(&data));
        let (begin, lines) = next_begin(text.as_bytes(), 0).unwrap();
        assert_eq!(begin, 19);
        let (out, end, open) = decode(text.as_bytes(), lines, usize::MAX);
        assert_eq!(out, data);
        assert!(!open);
        assert!(text[end..].starts_with("`\nend"));
        // Cut before its end: open.
        let cut = &text.as_bytes()[..lines + 40];
        assert!(decode(cut, lines, usize::MAX).2);
        let short = format!("Here is the file:\n\n{}", encoded(&data[..100]));
        assert_eq!(next_begin(short.as_bytes(), 0), None);
        assert!(next_begin(encoded(&data[..100]).as_bytes(), 0).is_some());
        // Prose that begins a line with "begin" is no header.
        assert_eq!(next_begin(b"begin the work\nbegin 12 x\n", 0), None);
    }

    #[test]
    fn a_uuencoded_recording_in_text_is_found() {
        let wav = crate::unpack::tests::wav();
        let text = format!("From: voicemail@example.com\n\n{}", encoded(&wav));
        let inside = crate::unpack::tests::look(text.as_bytes());
        assert!(inside.limits.is_empty(), "{:?}", inside.limits);
        assert_eq!(inside.members.len(), 1);
        assert_eq!(inside.members[0].member, "uuencode@29");
        assert_eq!(inside.members[0].sniff.format, "wav");
    }

    /// Empty files in front do not count against the files judged.
    #[test]
    fn files_too_short_to_judge_do_not_hide_the_next() {
        let wav = crate::unpack::tests::wav();
        // `begin` lines one after another, each a file of nothing.
        let empty = "begin 644 empty\n".repeat(40);
        let text = format!("From: voicemail@example.com\n\n{empty}{}", encoded(&wav));
        let inside = crate::unpack::tests::look(text.as_bytes());
        assert_eq!(inside.members.len(), 1, "{:?}", inside.limits);
        assert_eq!(inside.members[0].sniff.format, "wav");
    }
}
