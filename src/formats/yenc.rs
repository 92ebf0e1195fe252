//! yEnc, the binary encoding of Usenet posts: a `=ybegin` line naming the
//! file (`line=`, `size=`, `name=`), for a part of a multi-part post a
//! `=ypart` line, lines of bytes each written as itself plus 42 (a NUL,
//! line break, `=` and a few others escaped as `=` and itself plus 64
//! more), and a `=yend` line. Almost every byte is written as one byte:
//! a recording encoded so is no text, and its bytes, shifted, no longer
//! show any container's magic.

use std::io::{self, BufRead, Read};

/// The first line of a yEnc file or part: `=ybegin ` and the fields the
/// specification requires, on a line of at most 1 KiB.
pub(crate) fn header(head: &[u8]) -> bool {
    let Some(rest) = head.strip_prefix(b"=ybegin ") else {
        return false;
    };
    let line = &rest[..rest.len().min(1024)];
    let Some(end) = memchr::memchr(b'\n', line) else {
        return false;
    };
    let line = &line[..end];
    [&b"line="[..], b"size=", b"name="]
        .iter()
        .all(|field| memchr::memmem::find(line, field).is_some())
}

/// A line longer than any writer's (they wrap at 128 to 256 bytes) is
/// decoded in pieces of this length: a line break is no more than a
/// boundary between them.
const MAX_LINE: u64 = 64 * 1024;

/// The bytes a yEnc file or part encodes, from its `=ybegin` line on:
/// its header lines are skipped and its `=yend` line ends it.
pub(crate) struct Decoder<R> {
    input: R,
    line: Vec<u8>,
    out: Vec<u8>,
    at: usize,
    ended: bool,
}

impl<R: BufRead> Decoder<R> {
    pub(crate) fn new(input: R) -> Self {
        Decoder {
            input,
            line: Vec::new(),
            out: Vec::new(),
            at: 0,
            ended: false,
        }
    }

    /// Decodes the next line into `out`; `false` at the end.
    fn next_line(&mut self) -> io::Result<bool> {
        self.line.clear();
        self.out.clear();
        self.at = 0;
        let read = (&mut self.input)
            .take(MAX_LINE)
            .read_until(b'\n', &mut self.line)?;
        if read == 0 {
            return Ok(false);
        }
        let line = self.line.strip_suffix(b"\n").unwrap_or(&self.line);
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.starts_with(b"=yend") {
            return Ok(false);
        }
        if line.starts_with(b"=ybegin ") || line.starts_with(b"=ypart ") {
            return Ok(true);
        }
        let mut bytes = line.iter();
        while let Some(&c) = bytes.next() {
            let b = match c {
                b'=' => match bytes.next() {
                    Some(&e) => e.wrapping_sub(64),
                    None => break,
                },
                c => c,
            };
            self.out.push(b.wrapping_sub(42));
        }
        Ok(true)
    }
}

impl<R: BufRead> Read for Decoder<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.at >= self.out.len() {
            if self.ended || !self.next_line()? {
                self.ended = true;
                return Ok(0);
            }
        }
        let n = buf.len().min(self.out.len() - self.at);
        buf[..n].copy_from_slice(&self.out[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// `bytes` yEnc-encoded as one part, lines of `width` bytes.
    pub(crate) fn encode(bytes: &[u8], name: &str, width: usize) -> Vec<u8> {
        let mut out =
            format!("=ybegin line={width} size={} name={name}\r\n", bytes.len()).into_bytes();
        let mut line = 0;
        for &b in bytes {
            let c = b.wrapping_add(42);
            if matches!(c, 0 | b'\n' | b'\r' | b'=') {
                out.extend([b'=', c.wrapping_add(64)]);
                line += 2;
            } else {
                out.push(c);
                line += 1;
            }
            if line >= width {
                out.extend(b"\r\n");
                line = 0;
            }
        }
        out.extend(format!("\r\n=yend size={}\r\n", bytes.len()).as_bytes());
        out
    }

    /// Every byte value, escaped or not, decodes back; what follows the
    /// `=yend` line is not read; a part's `=ypart` line is skipped.
    #[test]
    fn every_byte_value_round_trips() {
        let bytes: Vec<u8> = (0..=255u8).cycle().take(2000).collect();
        let mut encoded = encode(&bytes, "all.bin", 128);
        assert!(header(&encoded));
        encoded.extend(b"trailing text, not a part of the file\r\n");
        let mut decoded = Vec::new();
        Decoder::new(&encoded[..])
            .read_to_end(&mut decoded)
            .unwrap();
        assert_eq!(decoded, bytes);
        let one = encode(&bytes, "x", 128);
        let lines = &one[memchr::memchr(b'\n', &one).unwrap() + 1..];
        let part = [
            &b"=ybegin part=1 total=2 line=128 size=4000 name=all.bin\n=ypart begin=1 end=2000\n"[..],
            lines,
        ]
        .concat();
        assert!(header(&part));
        let mut decoded = Vec::new();
        Decoder::new(&part[..]).read_to_end(&mut decoded).unwrap();
        assert_eq!(decoded, bytes);
    }

    #[test]
    fn a_header_needs_its_fields_on_its_first_line() {
        assert!(header(b"=ybegin line=128 size=10 name=a.wav\r\n"));
        assert!(!header(b"=ybegin line=128 size=10\r\nname=a.wav\r\n"));
        assert!(!header(b"=ybegin line=128 size=10 name=a.wav"));
        assert!(!header(b"ybegin line=128 size=10 name=a.wav\n"));
    }
}
