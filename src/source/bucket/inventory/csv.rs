//! CSV inventory files, one record at a time: RFC 4180 quoting (a quoted
//! field may hold the delimiter, `""` and line breaks), `\n` or `\r\n`
//! record ends. Nothing but the current record is held, and a record is
//! bounded: a file without a line break is an error, not an allocation.

use std::io::{self, BufRead, Read};

/// A record longer than this is refused (inventory rows are a few hundred bytes).
pub(super) const MAX_RECORD: usize = 1 << 20;

/// Reads CSV records from a buffered byte stream.
pub(super) struct Records<R> {
    inner: R,
    delimiter: u8,
    line: Vec<u8>,
}

impl<R: BufRead> Records<R> {
    pub(super) fn new(inner: R, delimiter: u8) -> Records<R> {
        Records {
            inner,
            delimiter,
            line: Vec::with_capacity(512),
        }
    }

    /// The next record's fields into `fields`; `false` at the end. Blank
    /// lines are skipped.
    pub(super) fn next_into(&mut self, fields: &mut Vec<String>) -> io::Result<bool> {
        loop {
            self.line.clear();
            // A quoted field may span lines: read on while a quote is open.
            loop {
                let before = self.line.len();
                let n = Read::by_ref(&mut self.inner)
                    .take((MAX_RECORD + 1 - before) as u64)
                    .read_until(b'\n', &mut self.line)?;
                if self.line.len() > MAX_RECORD {
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidData,
                        format!("a record longer than {} KiB", MAX_RECORD >> 10),
                    ));
                }
                if n == 0 || !quote_open(&self.line) {
                    break;
                }
            }
            if self.line.is_empty() {
                return Ok(false);
            }
            let mut end = self.line.len();
            while end > 0 && matches!(self.line[end - 1], b'\n' | b'\r') {
                end -= 1;
            }
            if end == 0 {
                continue;
            }
            split(&self.line[..end], self.delimiter, fields);
            return Ok(true);
        }
    }
}

/// Is a quote left open at the end of these bytes?
fn quote_open(line: &[u8]) -> bool {
    line.iter().filter(|&&b| b == b'"').count() % 2 == 1
}

/// Splits one record into its fields, unquoting them.
fn split(record: &[u8], delimiter: u8, fields: &mut Vec<String>) {
    fields.clear();
    let mut field = Vec::new();
    let mut quoted = false;
    let mut i = 0;
    while i < record.len() {
        let b = record[i];
        if quoted {
            if b == b'"' {
                if record.get(i + 1) == Some(&b'"') {
                    field.push(b'"');
                    i += 1;
                } else {
                    quoted = false;
                }
            } else {
                field.push(b);
            }
        } else if b == b'"' {
            quoted = true;
        } else if b == delimiter {
            fields.push(String::from_utf8_lossy(&field).into_owned());
            field.clear();
        } else {
            field.push(b);
        }
        i += 1;
    }
    fields.push(String::from_utf8_lossy(&field).into_owned());
}

/// S3 Inventory writes keys URL-encoded, a space as `+` (form encoding).
pub(super) fn form_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = |c: u8| (c as char).to_digit(16);
        match b[i] {
            b'+' => out.push(b' '),
            b'%' => match (
                b.get(i + 1).copied().and_then(hex),
                b.get(i + 2).copied().and_then(hex),
            ) {
                (Some(h), Some(l)) => {
                    out.push((h * 16 + l) as u8);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(bytes: &[u8], delimiter: u8) -> io::Result<Vec<Vec<String>>> {
        let mut r = Records::new(bytes, delimiter);
        let mut out = Vec::new();
        let mut fields = Vec::new();
        while r.next_into(&mut fields)? {
            out.push(fields.clone());
        }
        Ok(out)
    }

    #[test]
    fn s3_rows_quoted_fields_and_crlf() {
        let rows = all(
            b"\"b\",\"calls/a%2Bb+c.wav\",\"12\",\"2026-01-02T03:04:05.000Z\"\r\n\"b\",\"x\",\"\",\"\"\n",
            b',',
        )
        .unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(
            rows[0],
            ["b", "calls/a%2Bb+c.wav", "12", "2026-01-02T03:04:05.000Z"]
        );
        assert_eq!(rows[1], ["b", "x", "", ""]);
        assert_eq!(form_decode(&rows[0][1]), "calls/a+b c.wav");
    }

    #[test]
    fn quotes_delimiters_and_line_breaks_inside_a_field() {
        let rows = all(
            b"Name,Content-Length\n\"c/a, \"\"b\"\"\nc.wav\",7\n\nc/d.wav,8",
            b',',
        )
        .unwrap();
        assert_eq!(
            rows,
            [
                vec!["Name", "Content-Length"],
                vec!["c/a, \"b\"\nc.wav", "7"],
                vec!["c/d.wav", "8"],
            ]
        );
        assert_eq!(all(b"a|b\n", b'|').unwrap(), [vec!["a", "b"]]);
    }

    #[test]
    fn a_record_without_end_is_refused_not_buffered() {
        let endless = vec![b'"'; MAX_RECORD + 10];
        let e = all(&endless, b',').unwrap_err();
        assert!(e.to_string().contains("longer than"), "{e}");
    }

    #[test]
    fn form_decoding_keeps_broken_escapes() {
        assert_eq!(form_decode("a%2"), "a%2");
        assert_eq!(form_decode("%E2%9C%93%zz"), "\u{2713}%zz");
    }
}
