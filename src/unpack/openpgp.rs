//! OpenPGP messages that are signed or only compressed (`gpg --sign`,
//! `gpg --store`, and their ASCII armor): no key guards them, and their
//! literal data packet is the file as it was, behind at most a compressed
//! data packet that anyone can inflate (`gpg --decrypt` asks for no key).

use std::borrow::Cow;
use std::time::Instant;

use super::streams::decode;
use super::Ended;
use super::{Level, Limit, Walk, HEAD_LEN, PEEK};

/// Compressed data packets inside one another that are followed.
const MAX_NESTING: u32 = 2;

/// The literal data of a message, as far as it was read.
#[derive(Debug, PartialEq)]
pub(crate) struct Literal {
    /// The file name the packet carries (empty for none).
    pub name: Vec<u8>,
    pub data: Vec<u8>,
    /// The data's length when the packet and every layer around it were
    /// read to their end; else unknown.
    pub size: Option<u64>,
}

/// One packet at `at`: its tag, its body (partial-length chunks joined;
/// cut short where the input ends), where the next packet starts, and
/// whether the body was read to its end.
fn packet(b: &[u8], at: usize) -> Option<(u8, Cow<'_, [u8]>, usize, bool)> {
    let ctb = *b.get(at)?;
    if ctb & 0x80 == 0 {
        return None;
    }
    // The body from `from` of `len` bytes, as far as the input holds it.
    let span = |from: usize, len: usize| {
        let end = from.saturating_add(len);
        (b.get(from..end.min(b.len())), end)
    };
    if ctb & 0x40 == 0 {
        // The old format: the length's width is in the tag byte.
        let tag = (ctb >> 2) & 0x0f;
        let (from, len) = match ctb & 3 {
            0 => (at + 2, usize::from(*b.get(at + 1)?)),
            1 => (
                at + 3,
                usize::from(u16::from_be_bytes(b.get(at + 1..at + 3)?.try_into().ok()?)),
            ),
            2 => (
                at + 5,
                u32::from_be_bytes(b.get(at + 1..at + 5)?.try_into().ok()?) as usize,
            ),
            // Indeterminate: to the end of the message, which a compressed
            // layer's own end then tells.
            _ => return Some((tag, Cow::Borrowed(b.get(at + 1..)?), b.len(), true)),
        };
        let (body, end) = span(from, len);
        return Some((tag, Cow::Borrowed(body?), end, end <= b.len()));
    }
    let tag = ctb & 0x3f;
    let mut at = at + 1;
    let mut joined: Option<Vec<u8>> = None;
    loop {
        let l0 = usize::from(*b.get(at)?);
        let (from, len, last) = match l0 {
            0..=191 => (at + 1, l0, true),
            192..=223 => (
                at + 2,
                ((l0 - 192) << 8) + usize::from(*b.get(at + 1)?) + 192,
                true,
            ),
            255 => (
                at + 5,
                u32::from_be_bytes(b.get(at + 1..at + 5)?.try_into().ok()?) as usize,
                true,
            ),
            // A partial body length: a chunk of 2^n bytes, then another length.
            _ => (at + 1, 1 << (l0 & 0x1f), false),
        };
        let (body, end) = span(from, len);
        let body = body?;
        let whole = end <= b.len();
        if last && joined.is_none() {
            return Some((tag, Cow::Borrowed(body), end, whole));
        }
        let out = joined.get_or_insert_with(Vec::new);
        out.extend_from_slice(body);
        if last || !whole {
            return Some((tag, Cow::Owned(joined?), end, whole));
        }
        at = end;
    }
}

/// The literal data of a signed or compressed message `b`, decompressing
/// at most `limit` bytes of each compressed layer before `deadline`.
pub(crate) fn literal(b: &[u8], limit: u64, deadline: Instant) -> Option<Literal> {
    literal_in(b, limit, deadline, 0)
}

/// Whether `b`, which opens with a compressed-data packet, is a message:
/// the packets its data holds (stored, or the first bytes it decodes to)
/// are signatures, one-pass signatures, markers and literal data, one
/// after another to the end of what was read, literal data among them;
/// a deflated stream runs to the end of the packet, with nothing behind
/// it. bzip2, which gives nothing before a whole block (up to 900 kB) is
/// decoded, is known by its stream and block magics. Two bytes make the
/// packet's header; samples behind them would otherwise pass for a
/// message, hidden.
pub(crate) fn is_message(b: &[u8], deadline: Instant) -> bool {
    let Some((8, body, _, _)) = packet(b, 0) else {
        return false;
    };
    let Some((&algorithm, data)) = body.split_first() else {
        return false;
    };
    match algorithm {
        0 => packets_to_end(data),
        3 => {
            data.len() >= 10
                && data.starts_with(b"BZh")
                && (b'1'..=b'9').contains(&data[3])
                && data[4..10] == [0x31, 0x41, 0x59, 0x26, 0x53, 0x59]
        }
        _ => {
            let Some(codec) = codec(algorithm) else {
                return false;
            };
            let d = decode(codec, data, 4096, deadline);
            // A checksum or a few bytes of padding may follow a stream.
            let behind = matches!(d.ended, Ended::Eof) && d.consumed + 16 < data.len();
            !behind && packets_to_end(&d.out)
        }
    }
}

/// Packets that may make up a message's content, up to the end of `b`
/// (the last may be cut there), with literal data among them.
fn packets_to_end(b: &[u8]) -> bool {
    let (mut at, mut literal) = (0, false);
    loop {
        if at >= b.len() {
            return literal;
        }
        match packet(b, at) {
            Some((11, body, next, whole)) => {
                if !crate::sniff::envelope::literal_header(&body) {
                    return false;
                }
                literal = true;
                if !whole {
                    return true;
                }
                at = next;
            }
            Some((2 | 4 | 10, _, next, whole)) => {
                if !whole {
                    return literal;
                }
                at = next;
            }
            // Compressed again: read as the walk reads it.
            Some((8, ..)) => return true,
            _ => return false,
        }
    }
}

/// Whether `b` is beyond doubt an OpenPGP message: its first packet is a
/// compressed one whose data decodes, or a whole one-pass signature
/// followed by a packet that can follow one. The sniff takes a message
/// from its first packet header; bytes of other formats pass that now
/// and then, and a message that is not one is not a limit.
pub(crate) fn proven(b: &[u8], deadline: Instant) -> bool {
    match packet(b, 0) {
        Some((8, body, _, _)) => match body.split_first() {
            Some((&algorithm, data)) => codec(algorithm)
                .is_some_and(|codec| !decode(codec, data, 64, deadline).out.is_empty()),
            None => false,
        },
        Some((4, _, next, true)) => matches!(packet(b, next), Some((4 | 8 | 11, ..))),
        _ => false,
    }
}

/// The decoder of a compressed data packet's algorithm (RFC 4880 §9.3);
/// algorithm 0 stores its packets as they are.
fn codec(algorithm: u8) -> Option<&'static str> {
    match algorithm {
        1 => Some("deflate"),
        2 => Some("zlib"),
        3 => Some("bzip2"),
        _ => None,
    }
}

/// Whole signature packets and nothing else: a detached signature
/// (`gpg --detach-sign`), which holds no data to read.
pub(crate) fn only_signatures(b: &[u8]) -> bool {
    let mut at = 0;
    loop {
        match packet(b, at) {
            Some((2 | 10, _, next, true)) => at = next,
            _ => return false,
        }
        if at == b.len() {
            return true;
        }
    }
}

fn literal_in(b: &[u8], limit: u64, deadline: Instant, nesting: u32) -> Option<Literal> {
    let mut at = 0;
    loop {
        let (tag, body, next, whole) = packet(b, at)?;
        match tag {
            // Signatures, one-pass signatures, markers: passed over.
            2 | 4 | 10 if whole => at = next,
            8 if nesting < MAX_NESTING => {
                let (&algorithm, data) = body.split_first()?;
                if algorithm == 0 {
                    return literal_in(data, limit, deadline, nesting + 1);
                }
                let d = decode(codec(algorithm)?, data, limit, deadline);
                let ended = matches!(d.ended, Ended::Eof);
                let mut found = literal_in(&d.out, limit, deadline, nesting + 1)?;
                if !(whole && ended) {
                    found.size = None;
                }
                return Some(found);
            }
            11 => {
                // Format, name length, name, a 4-byte date, then the data.
                let name_len = usize::from(*body.get(1)?);
                let name = body.get(2..2 + name_len)?.to_vec();
                let data = body.get(2 + name_len + 4..)?.to_vec();
                let size = whole.then_some(data.len() as u64);
                return Some(Literal { name, data, size });
            }
            _ => return None,
        }
    }
}

impl Walk<'_> {
    /// Reads the literal data of a signed or compressed OpenPGP message as
    /// a member named as its packet names it (or `(literal data)`).
    pub(super) fn openpgp(&mut self, level: &Level<'_, '_>, armored: bool, name: &str, depth: u32) {
        if depth > self.max_depth {
            self.limit(
                name,
                Limit::Depth,
                format!(
                    "OpenPGP literal data beyond --max-archive-depth {}",
                    self.max_depth
                ),
            );
            return;
        }
        let want = (self.limits.max_member_bytes as usize).min(4 * HEAD_LEN);
        let input = level.from(0, want).unwrap_or_default();
        let binary = if armored {
            match crate::sniff::envelope::decode_armor(&input, input.len()) {
                Some(b) => Cow::Owned(b),
                None => Cow::Borrowed(&[][..]),
            }
        } else {
            input
        };
        let budget = self.budget().max(PEEK);
        let Some(found) = literal(&binary, budget, self.deadline) else {
            let message = proven(&binary, self.deadline) || is_message(&binary, self.deadline);
            if only_signatures(&binary) || !message {
                return;
            }
            self.limit(
                name,
                Limit::Unsupported,
                "OpenPGP message: no literal data read from its packets".to_string(),
            );
            return;
        };
        self.spent += found.data.len() as u64;
        let size = found
            .size
            .unwrap_or_else(|| (found.data.len() as u64 + 1).max(level.size));
        let inner = match String::from_utf8_lossy(&found.name) {
            n if n.is_empty() || n.contains(['/', '\0']) => "(literal data)".to_string(),
            n => n.into_owned(),
        };
        self.member(name, &inner, &found.data, size, depth);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn later() -> Instant {
        Instant::now() + std::time::Duration::from_secs(10)
    }

    /// A new-format packet of `tag` with a definite length.
    fn new_packet(tag: u8, body: &[u8]) -> Vec<u8> {
        let mut p = vec![0xc0 | tag, 0xff];
        p.extend((body.len() as u32).to_be_bytes());
        p.extend(body);
        p
    }

    fn literal_packet(name: &[u8], data: &[u8]) -> Vec<u8> {
        let mut body = vec![b'b', name.len() as u8];
        body.extend(name);
        body.extend([0, 0, 0, 0]);
        body.extend(data);
        new_packet(11, &body)
    }

    #[test]
    fn literal_data_is_found_behind_signatures_and_compression() {
        let wav = b"RIFF\x24\x00\x00\x00WAVEfmt ".repeat(40);
        let one_pass = new_packet(4, &[3, 0, 8, 22, 1, 2, 3, 4, 5, 6, 7, 8, 1]);
        let signature = new_packet(2, &[4, 0, 22, 8, 0, 0]);
        let mut message = one_pass.clone();
        message.extend(literal_packet(b"call.wav", &wav));
        message.extend(&signature);
        let plain = literal(&message, 1 << 20, later()).unwrap();
        assert_eq!(plain.name, b"call.wav");
        assert_eq!(plain.data, wav);
        assert_eq!(plain.size, Some(wav.len() as u64));
        // gpg's default: the whole message in a zlib compressed packet,
        // written with an indeterminate length (old format, type 3).
        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        z.write_all(&message).unwrap();
        let mut compressed = vec![0xa3, 2];
        compressed.extend(z.finish().unwrap());
        assert_eq!(literal(&compressed, 1 << 20, later()).unwrap(), plain);
        // Raw deflate (algorithm 1), in a definite-length packet.
        let mut d = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::fast());
        d.write_all(&message).unwrap();
        let mut body = vec![1];
        body.extend(d.finish().unwrap());
        assert_eq!(
            literal(&new_packet(8, &body), 1 << 20, later()).unwrap(),
            plain
        );
        // However many signatures come first, the walk reaches the data.
        let mut signed = signature.repeat(100);
        signed.extend(&compressed);
        assert_eq!(literal(&signed, 1 << 20, later()).unwrap(), plain);
    }

    #[test]
    fn partial_body_lengths_are_joined_and_truncation_leaves_the_size_open() {
        let data: Vec<u8> = (0..3000u32).map(|i| (i * 7) as u8).collect();
        let mut body = vec![b'b', 0, 0, 0, 0, 0];
        body.extend(&data);
        // Chunks of 1 KiB (0xea = 2^10), then the rest with a definite length.
        let mut packet = vec![0xcb];
        let mut rest = &body[..];
        while rest.len() > 1024 {
            packet.push(0xea);
            packet.extend(&rest[..1024]);
            rest = &rest[1024..];
        }
        packet.extend([
            0xc0 + ((rest.len() - 192) >> 8) as u8,
            ((rest.len() - 192) & 0xff) as u8,
        ]);
        packet.extend(rest);
        let found = literal(&packet, 1 << 20, later()).unwrap();
        assert_eq!((found.data.len(), found.size), (3000, Some(3000)));
        assert_eq!(found.data, data);
        let cut = literal(&packet[..1500], 1 << 20, later()).unwrap();
        assert_eq!(cut.size, None);
        assert_eq!(cut.data[..], data[..cut.data.len()]);
    }

    #[test]
    fn only_packets_that_decode_or_chain_prove_a_message() {
        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        z.write_all(&literal_packet(b"", &[7; 100])).unwrap();
        let mut zlib = vec![0xa3, 2];
        zlib.extend(z.finish().unwrap());
        assert!(proven(&zlib, later()));
        let one_pass = new_packet(4, &[3, 0, 8, 22, 1, 2, 3, 4, 5, 6, 7, 8, 1]);
        assert!(proven(
            &[one_pass.clone(), literal_packet(b"", b"x")].concat(),
            later()
        ));
        // Bytes of other formats that pass for a first packet header: an
        // "uncompressed" packet of zeros, a deflate packet of noise, a
        // one-pass signature followed by nothing a message holds.
        assert!(!proven(&[0xa0, 0x05, 0, 0, 0, 0, 0], later()));
        assert!(!proven(&[0xa3, 1, 0xff, 0xff, 0xff, 0xff], later()));
        assert!(!proven(&[one_pass, vec![0x81, 0]].concat(), later()));
    }

    #[test]
    fn a_detached_signature_is_only_signatures() {
        let signature = new_packet(2, &[4, 0, 22, 8, 0, 0]);
        assert!(only_signatures(&signature));
        assert!(only_signatures(
            &[signature.clone(), signature.clone()].concat()
        ));
        assert!(!only_signatures(&signature[..signature.len() - 1]));
        assert!(!only_signatures(
            &[signature, literal_packet(b"", b"x")].concat()
        ));
        assert!(!only_signatures(&[]));
    }

    #[test]
    fn encrypted_and_foreign_packets_give_nothing() {
        // A public-key encrypted session key, then encrypted data.
        let pkesk = new_packet(1, &[3, 1, 2, 3, 4, 5, 6, 7, 8, 1, 0]);
        assert_eq!(literal(&pkesk, 1 << 20, later()), None);
        assert_eq!(literal(b"not a packet", 1 << 20, later()), None);
        assert_eq!(literal(&[], 1 << 20, later()), None);
        // A compression algorithm that is not defined.
        assert_eq!(
            literal(&new_packet(8, &[9, 1, 2, 3]), 1 << 20, later()),
            None
        );
        // Compressed packets nested past the bound.
        let mut nested = literal_packet(b"", b"data");
        for _ in 0..4 {
            let mut body = vec![0];
            body.extend(&nested);
            nested = new_packet(8, &body);
        }
        assert_eq!(literal(&nested, 1 << 20, later()), None);
    }
}
