//! Binary files in git patches (`git format-patch --binary`, `git diff
//! --binary`): mailed, attached to tickets, kept by review tools. A file
//! added or replaced whole is a `literal SIZE` hunk after `GIT binary
//! patch`: its zlib stream in lines of base85 (git's own alphabet), each
//! opening with a letter that counts the bytes it holds. Neither the
//! alphabet nor the compressed bytes are anything the run search reads.

use super::{Level, Limit, Walk};
use crate::sniff::HEAD_LEN;

/// Fewer bytes in the file are no recording.
const MIN_BYTES: u64 = 256;
/// Binary hunks judged in one text, at most (past them, a limit).
const MAX_HUNKS: usize = 16;

const ALPHABET: &[u8; 85] =
    b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz!#$%&()*+-;<=>?@^_`{|}~";

/// The value of each base85 character, or 0xff.
const VALUES: [u8; 256] = {
    let mut t = [0xffu8; 256];
    let mut i = 0;
    while i < 85 {
        t[ALPHABET[i] as usize] = i as u8;
        i += 1;
    }
    t
};

/// The next `literal SIZE` hunk at or after `from`: where its marker
/// starts, the size it declares, and where its lines start. Lines are
/// looked at where [`super::probe_lines`] says: the marker there, or a
/// full line of base85 (`z`, 52 bytes, and 65 characters), from which the
/// marker is sought back.
pub(super) fn next_literal(text: &[u8], from: usize) -> Option<(usize, u64, usize)> {
    const MARKER: &[u8] = b"GIT binary patch\n";
    super::probe_lines(text, from).find_map(|line| {
        let at = if text[line..].starts_with(MARKER) {
            line
        } else if full_line(&text[line..]) {
            memchr::memmem::rfind(&text[from..line], MARKER)? + from
        } else {
            return None;
        };
        let lines = at + MARKER.len();
        let rest = text[lines..].strip_prefix(b"literal ")?;
        let digits = rest.iter().take_while(|c| c.is_ascii_digit()).count();
        let size = std::str::from_utf8(&rest[..digits]).ok()?.parse().ok()?;
        (rest.get(digits) == Some(&b'\n')).then_some((at, size, lines + 8 + digits + 1))
    })
}

/// A full line of base85: `z` (52 bytes) and 65 characters of the alphabet.
fn full_line(text: &[u8]) -> bool {
    text.first() == Some(&b'z')
        && text.get(66) == Some(&b'\n')
        && text[1..66].iter().all(|&c| VALUES[usize::from(c)] != 0xff)
}

/// Decodes the base85 lines from `at`, up to `budget` bytes: the bytes,
/// and whether the lines ran on to the end of `text`.
fn decode(text: &[u8], mut at: usize, budget: usize) -> (Vec<u8>, bool) {
    let mut out = Vec::new();
    while out.len() < budget {
        let Some(end) = memchr::memchr(b'\n', &text[at..]).map(|k| at + k) else {
            return (out, true);
        };
        let line = &text[at..end];
        let n = match line.first() {
            Some(c @ b'A'..=b'Z') => usize::from(c - b'A') + 1,
            Some(c @ b'a'..=b'z') => usize::from(c - b'a') + 27,
            _ => return (out, false),
        };
        let chars = n.div_ceil(4) * 5;
        if line.len() != 1 + chars {
            return (out, false);
        }
        let start = out.len();
        for group in line[1..].chunks_exact(5) {
            let mut v: u64 = 0;
            for &c in group {
                let d = VALUES[usize::from(c)];
                if d == 0xff {
                    out.truncate(start);
                    return (out, false);
                }
                v = v * 85 + u64::from(d);
            }
            let Ok(v) = u32::try_from(v) else {
                out.truncate(start);
                return (out, false);
            };
            out.extend(v.to_be_bytes());
        }
        // The last group's padding bytes.
        out.truncate(start + n);
        at = end + 1;
    }
    out.truncate(budget);
    (out, false)
}

impl Walk<'_> {
    /// The files that git patches in the text's head add or replace whole,
    /// each inflated and judged as a decoded base64 run is, member
    /// `git-binary@OFFSET` (where its `GIT binary patch` line is). `text`
    /// is the head as `ascii_head` gives it, of units `width` bytes wide.
    pub(super) fn git_binary_patches(
        &mut self,
        level: &Level<'_, '_>,
        text: &[u8],
        width: usize,
        prefix: &str,
        depth: u32,
    ) {
        // Hunks too short to judge (`literal 0`) do not count: a run of
        // them in front must not push a recording past the count.
        let (mut from, mut decoded) = (0, 0);
        loop {
            let Some((start, size, lines)) = next_literal(text, from) else {
                return;
            };
            from = lines;
            if size < MIN_BYTES {
                continue;
            }
            if decoded == MAX_HUNKS {
                self.limit(
                    prefix,
                    Limit::Members,
                    format!("more than {MAX_HUNKS} git binary hunks in text; the rest not decoded"),
                );
                return;
            }
            decoded += 1;
            let Some(budget) = self.remaining(prefix) else {
                return;
            };
            let budget = budget.min(4 * HEAD_LEN as u64) as usize;
            // The zlib stream of a file is read up to what the budget
            // allows it to inflate to, a little past it for what does
            // not compress.
            let (mut packed, open) = decode(text, lines, budget + budget / 8);
            if open && width == 1 && ((text.len() * width) as u64) < level.size {
                // 67 characters a line for 52 bytes.
                let want = (budget + budget / 8) / 52 * 67 + 67;
                if let Some(more) = level.from(lines as u64, want) {
                    packed = decode(&more, 0, budget + budget / 8).0;
                }
            }
            let (data, whole) = super::decompress("zlib", &packed, budget as u64);
            self.spent += data.len() as u64;
            let at = (start * width) as u64;
            // The size the hunk declares is the text's word; a stream
            // inflated to its end says it.
            let size = match whole {
                true => data.len() as u64,
                false => size.max(data.len() as u64),
            };
            let name = format!("git-binary@{at}");
            let encoding = format!("git binary patch at byte {at}");
            let kept = self.keep_decoded((prefix, &name), encoding, &data, size, depth);
            if !kept && !whole {
                self.limit(
                    prefix,
                    Limit::MemberBytes,
                    format!(
                        "git binary patch at byte {at} judged on the first {} of its {size} bytes; the rest not read",
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

    /// A file as `git format-patch --binary` writes it: zlib, then lines
    /// of base85 of up to 52 bytes.
    pub(crate) fn patch(file: &[u8]) -> String {
        let z = crate::sniff::testutil::zlib(file);
        let mut s = format!(
            "From 0123 Mon Sep 17 00:00:00 2001\nSubject: [PATCH] Add the memo\n\n\
             diff --git a/memo.wav b/memo.wav\nnew file mode 100644\n\
             index 0000000..1111111\nGIT binary patch\nliteral {}\n",
            file.len()
        );
        for line in z.chunks(52) {
            let n = line.len();
            s.push(if n <= 26 {
                (b'A' + n as u8 - 1) as char
            } else {
                (b'a' + n as u8 - 27) as char
            });
            for g in line.chunks(4) {
                let mut w = [0u8; 4];
                w[..g.len()].copy_from_slice(g);
                let mut v = u32::from_be_bytes(w);
                let mut five = [0u8; 5];
                for c in five.iter_mut().rev() {
                    *c = ALPHABET[(v % 85) as usize];
                    v /= 85;
                }
                s.push_str(std::str::from_utf8(&five).unwrap());
            }
            s.push('\n');
        }
        s.push_str("\nliteral 0\nHcmV?d00001\n\n--\n2.47.0\n");
        s
    }

    #[test]
    fn base85_lines_read_back() {
        // Random bytes do not compress: lines past the first 4 KiB, where
        // one is looked at.
        let file = crate::sniff::testutil::pseudo_random(6000, 1);
        let text = patch(&file);
        let (start, size, lines) = next_literal(text.as_bytes(), 0).unwrap();
        assert_eq!(&text[start..start + 16], "GIT binary patch");
        assert_eq!(size, 6000);
        let (packed, open) = decode(text.as_bytes(), lines, usize::MAX);
        assert!(!open);
        assert_eq!(crate::unpack::decompress("zlib", &packed, 1 << 20).0, file);
        // A delta hunk is not a file.
        assert_eq!(next_literal(b"GIT binary patch\ndelta 12\nzxyz\n", 0), None);
    }

    #[test]
    fn a_recording_in_a_binary_patch_is_found() {
        let text = patch(&crate::unpack::tests::wav());
        let inside = crate::unpack::tests::look(text.as_bytes());
        assert!(inside.limits.is_empty(), "{:?}", inside.limits);
        assert_eq!(inside.members.len(), 1);
        assert_eq!(inside.members[0].member, "git-binary@143");
        assert_eq!(inside.members[0].sniff.format, "wav");
    }

    /// Empty hunks in front (`literal 0`) do not count against the hunks
    /// judged.
    #[test]
    fn empty_hunks_do_not_hide_the_next() {
        let empty = "GIT binary patch\nliteral 0\n".repeat(40);
        let text = patch(&crate::unpack::tests::wav()).replacen(
            "diff --git",
            &format!("{empty}diff --git"),
            1,
        );
        let inside = crate::unpack::tests::look(text.as_bytes());
        assert_eq!(inside.members.len(), 1, "{:?}", inside.limits);
        assert_eq!(inside.members[0].sniff.format, "wav");
    }

    /// The size a hunk declares yields to a stream inflated to its end;
    /// a stream cut short that shows nothing is a limit.
    #[test]
    fn the_stream_not_the_hunk_says_the_size() {
        use crate::unpack::tests::{look, wav};
        let wav = wav();
        let lying = patch(&wav).replace(
            &format!("literal {}\n", wav.len()),
            "literal 999999999999\n",
        );
        let inside = look(lying.as_bytes());
        assert_eq!(inside.members[0].size, wav.len() as u64);
        // Text (which says nothing), deflated to some 10 KB.
        let words: Vec<u8> = crate::sniff::testutil::pseudo_random(10_000, 4)
            .iter()
            .flat_map(|b| format!("{b:02x} ").into_bytes())
            .collect();
        let text = patch(&words);
        let cut = &text[..text.find("\nliteral 0").unwrap() - 2000];
        let inside = look(cut.as_bytes());
        assert!(inside.members.is_empty());
        assert_eq!(inside.limits.len(), 1, "{:?}", inside.limits);
        assert!(inside.limits[0]
            .message
            .starts_with("git binary patch at byte 143 judged on the first"));
    }
}
