//! Text: plain text is not audio, but text carries envelopes (sops, JWE) and
//! encoded payloads; those are recognised here.

use base64::Engine;

use super::bytes::needle;
use super::{Class, Encryption, Sample, Sniff};

/// How much of a head the text tests read: text is judged on these bytes.
pub(crate) const TEXT_PROBE: usize = 8192;

/// Mostly printable UTF-8 (or ASCII with tabs and line breaks).
pub(crate) fn is_text(b: &[u8]) -> bool {
    if b.is_empty() {
        return false;
    }
    let probe = &b[..b.len().min(TEXT_PROBE)];
    // Most text is ASCII: valid UTF-8 of one character per byte and no C1
    // control, so one pass over the bytes settles it.
    let (total, control) = match ascii_controls(probe) {
        Some(control) => (probe.len(), control),
        None => {
            let text = match std::str::from_utf8(probe) {
                Ok(t) => t,
                // A multi-byte character cut at the window's end is still text.
                Err(e) if e.valid_up_to() + 4 >= probe.len() => {
                    std::str::from_utf8(&probe[..e.valid_up_to()]).unwrap_or("")
                }
                Err(_) => return false,
            };
            census(text.as_bytes())
        }
    };
    let total = total.max(1);
    (total - control) * 100 >= total * 97
}

/// A C0 control other than a line break, tab or form feed, or DEL.
fn c0_control(x: u8) -> bool {
    (x < 0x20 && !matches!(x, b'\n' | b'\r' | b'\t' | 0x0c)) | (x == 0x7f)
}

/// Is every byte of `b` printable ASCII, a line break, a tab or a form
/// feed? In blocks of 64, with saturating arithmetic the compiler turns
/// into a few vector instructions per 16 bytes; a block with any other
/// byte settles it.
fn plain(b: &[u8]) -> bool {
    // Zero for a printable byte (0x20–0x7e) and for 9, 10, 12 and 13.
    let odd = |x: u8| {
        let outside = x.wrapping_sub(0x20).saturating_sub(0x5e);
        let space = x.wrapping_sub(9).saturating_sub(4) == 0 && x != 0x0b;
        if space {
            0
        } else {
            outside
        }
    };
    let mut blocks = b.chunks_exact(64);
    for block in &mut blocks {
        if block.iter().fold(0, |any, &x| any | odd(x)) != 0 {
            return false;
        }
    }
    blocks.remainder().iter().all(|&x| odd(x) == 0)
}

/// The C0 controls and DELs in `b` when all of it is ASCII.
fn ascii_controls(b: &[u8]) -> Option<usize> {
    // A binary head leaves at its first bytes, as UTF-8 validation would.
    if !b[..b.len().min(16)].is_ascii() {
        return None;
    }
    // Most text holds no control character at all: a pass that only asks
    // whether any byte is one (or not ASCII) costs less than counting them.
    if plain(b) {
        return Some(0);
    }
    let mut control = 0usize;
    // As in `census`: narrow per-lane counters, so the loop vectorises.
    for chunk in b.chunks(240) {
        let (mut k8, mut any) = (0u8, 0u8);
        for &x in chunk {
            k8 += u8::from(c0_control(x));
            any |= x;
        }
        if any >= 0x80 {
            return None;
        }
        control += usize::from(k8);
    }
    Some(control)
}

/// Characters and control characters (other than line breaks, tabs and form
/// feeds) of valid UTF-8, counted over its bytes: a character starts at every
/// byte that is not a continuation byte, and the controls are C0, DEL and C1
/// (U+0080–U+009F, encoded `C2 80`–`C2 9F`), the whole of `char::is_control`.
fn census(b: &[u8]) -> (usize, usize) {
    let (mut chars, mut control) = (0usize, 0usize);
    // Chunks keep the per-lane counters narrow, so the loop vectorises; a
    // multiple of the vector width leaves no scalar tail in each.
    for chunk in b.chunks(240) {
        let (mut c8, mut k8) = (0u8, 0u8);
        for &x in chunk {
            c8 += u8::from(x & 0xc0 != 0x80);
            k8 += u8::from(c0_control(x));
        }
        chars += usize::from(c8);
        control += usize::from(k8);
    }
    control += memchr::memchr_iter(0xc2, b)
        .filter(|&at| b.get(at + 1).is_some_and(|c| (0x80..=0x9f).contains(c)))
        .count();
    (chars, control)
}

/// UTF-16 or UTF-32 text of mostly ASCII characters (either byte order):
/// the encoding's zero bytes sit at fixed positions around printable
/// characters. Wide text is otherwise a blocky 16- or 32-bit "signal" to the
/// headerless-PCM statistics.
pub(crate) fn wide_text(b: &[u8]) -> Option<&'static str> {
    let probe = &b[..b.len().min(TEXT_PROBE)];
    // 12 of the first 16 units must fit, each with a zero byte: a head
    // with fewer zeros in its first 64 bytes is none of the four layouts.
    // (A sum of flags over a fixed slice, which vectorises; a filtered
    // count over `take` does not.)
    let zeros: u8 = probe[..probe.len().min(64)]
        .iter()
        .map(|&x| u8::from(x == 0))
        .sum();
    if zeros < 12 {
        return None;
    }
    let printable = |x: u8| (0x20..0x7f).contains(&x) || matches!(x, b'\n' | b'\r' | b'\t');
    let fits = |u: &[u8], at: usize| {
        printable(u[at]) && u.iter().enumerate().all(|(i, &x)| i == at || x == 0)
    };
    let share = |width: usize, at: usize| {
        let units = probe.chunks_exact(width);
        let n = units.len();
        if n < 64 {
            return false;
        }
        // Every object's head passes here: most fail on the first units
        // (a byte-order mark or a line of other script may start wide text,
        // so 12 of the first 16 must fit): the fifth misfit settles it.
        let mut misfits = 0;
        for u in probe.chunks_exact(width).take(16) {
            misfits += usize::from(!fits(u, at));
            if misfits > 4 {
                return false;
            }
        }
        let hits = units.filter(|u| fits(u, at)).count();
        // Nine in ten units ASCII; or three in four when the rest is valid
        // UTF-16 (letters of other scripts, symbols in surrogate pairs): a
        // recording never puts three samples in four into the printable
        // ASCII band with a zero high byte.
        hits * 10 >= n * 9 || (width == 2 && hits * 4 >= n * 3 && valid_utf16(probe, at == 1))
    };
    [
        (4, 0, "utf-32le"),
        (4, 3, "utf-32be"),
        (2, 0, "utf-16le"),
        (2, 1, "utf-16be"),
    ]
    .into_iter()
    .find(|&(width, at, _)| share(width, at))
    .map(|(_, _, name)| name)
}

/// Do `b`'s 16-bit units decode as UTF-16 (every surrogate paired), but
/// for a last character the probe's end may cut?
fn valid_utf16(b: &[u8], big_endian: bool) -> bool {
    let units = b.chunks_exact(2).map(|u| {
        let pair = [u[0], u[1]];
        if big_endian {
            u16::from_be_bytes(pair)
        } else {
            u16::from_le_bytes(pair)
        }
    });
    // Only the last character may fail (a pair the probe's end cut).
    let mut chars = char::decode_utf16(units).peekable();
    while let Some(c) = chars.next() {
        if c.is_err() && chars.peek().is_some() {
            return false;
        }
    }
    true
}

pub(crate) fn detect(s: &Sample) -> Option<Sniff> {
    if let Some(encoding) = wide_text(s.head) {
        return Some(
            Sniff::new("text", Some("text/plain"), Class::Other, Encryption::None)
                .with("encoding", encoding),
        );
    }
    if !is_text(s.head) {
        return None;
    }
    let h = s.head;
    if needle!(b"ENC[AES256_GCM,data:").find(h).is_some() && needle!(b"sops").find(h).is_some() {
        return Some(
            Sniff::new(
                "sops",
                Some("text/plain"),
                Class::Encrypted,
                Encryption::Encrypted,
            )
            .with("magic", "ENC[AES256_GCM,…] values with sops metadata")
            .with(
                "scheme",
                "AES-256-GCM per value; keys and structure in the clear",
            ),
        );
    }
    if let Some(jwe) = jwe_compact(h) {
        return Some(jwe);
    }
    Some(Sniff::new(
        "text",
        Some("text/plain"),
        Class::Other,
        Encryption::None,
    ))
}

/// JWE compact serialisation: five base64url segments; the first is a JSON
/// header naming an `enc` algorithm (a JWS has three segments and no `enc`).
fn jwe_compact(h: &[u8]) -> Option<Sniff> {
    // Most text does not start with "eyJ": no need to validate and split
    // it. Past leading ASCII white space (as `trim` sees it), a byte other
    // than `e` that does not start a wider, possibly blank, character
    // settles it.
    let first = h
        .iter()
        .find(|&&b| !(b.is_ascii() && char::from(b).is_whitespace()))?;
    if first.is_ascii() && *first != b'e' {
        return None;
    }
    let text = std::str::from_utf8(h).ok()?.trim();
    if !text.starts_with("eyJ") {
        return None;
    }
    let parts: Vec<&str> = text.split('.').collect();
    if parts.len() != 5 {
        return None;
    }
    let header = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(parts[0])
        .ok()?;
    let header = String::from_utf8(header).ok()?;
    header.contains("\"enc\"").then(|| {
        Sniff::new(
            "jwe",
            Some("application/jose"),
            Class::Encrypted,
            Encryption::Encrypted,
        )
        .with("magic", "JWE compact (5 segments, enc header)")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_detection_tolerates_utf8_and_rejects_binary() {
        assert!(is_text("héllo wörld\nzweite Zeile\t✓".as_bytes()));
        assert!(!is_text(&[0u8, 1, 2, 3, 200, 201]));
    }

    #[test]
    fn byte_census_agrees_with_counting_chars() {
        let samples = [
            "plain ascii\n\twith tabs\r\n".to_string(),
            "héllo wörld ✓ 😀 \u{85}\u{9f}\u{a0}\u{80}".to_string(),
            "\u{0}\u{1f}\u{7f}\u{c}\u{2028}Ā".repeat(100),
            (0u32..0x800).filter_map(char::from_u32).collect(),
        ];
        for t in &samples {
            let total = t.chars().count();
            let printable = t
                .chars()
                .filter(|c| !c.is_control() || matches!(c, '\n' | '\r' | '\t' | '\x0c'))
                .count();
            assert_eq!(census(t.as_bytes()), (total, total - printable), "{t:?}");
        }
    }

    #[test]
    fn ascii_takes_the_short_way_to_the_same_answer() {
        // Every ASCII byte value, and text with controls on both sides of
        // the 3 % the test allows.
        let all: Vec<u8> = (0u8..0x80).collect();
        assert_eq!(ascii_controls(&all), Some(census(&all).1));
        for controls in [0usize, 10, 29, 30, 31, 32, 60] {
            let mut t = "a line of plain text\n".repeat(50).into_bytes();
            t.truncate(1000);
            for i in 0..controls {
                t[i * 13 % 1000] = [0x00, 0x1b, 0x7f, 0x08][i % 4];
            }
            assert_eq!(ascii_controls(&t), Some(census(&t).1), "{controls}");
            assert_eq!(is_text(&t), controls <= 30, "{controls}");
            // One byte past ASCII takes the long way, and answers alike.
            let mut wide = t.clone();
            wide.extend("é".as_bytes());
            assert_eq!(ascii_controls(&wide), None);
            assert_eq!(is_text(&wide), controls <= 30, "{controls} with é");
        }
    }

    /// The pass that says a block holds no control agrees, byte value by
    /// byte value and place by place, with the definition it stands for.
    #[test]
    fn plain_is_printable_ascii_and_line_breaks() {
        for x in 0..=255u8 {
            let expected = x.is_ascii() && !c0_control(x);
            let line = b"a line of text\n".repeat(20);
            for at in [0, 63, 64, 200, line.len() - 1] {
                let mut t = line.clone();
                t[at] = x;
                assert_eq!(plain(&t), expected, "{x:#04x} at {at}");
                assert_eq!(plain(&t[..=at]), expected, "{x:#04x} last of {}", at + 1);
            }
        }
        assert!(plain(b""));
    }

    #[test]
    fn jwe_is_encrypted_and_jws_is_text() {
        let header = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(r#"{"alg":"dir","enc":"A256GCM"}"#);
        let jwe = format!("{header}..aXY.Y2lwaGVy.dGFn");
        let s = detect(&Sample::new(jwe.len() as u64, jwe.as_bytes(), &[])).unwrap();
        assert_eq!(s.format, "jwe");
        // Blank lines and spaces, ASCII or wider, around the token.
        let padded = format!("\u{b}\n \u{2003}{jwe}\r\n");
        let s = detect(&Sample::new(padded.len() as u64, padded.as_bytes(), &[])).unwrap();
        assert_eq!(s.format, "jwe");
        let jws = format!("{header}.cGF5bG9hZA.c2ln");
        assert_eq!(
            detect(&Sample::new(jws.len() as u64, jws.as_bytes(), &[]))
                .unwrap()
                .format,
            "text"
        );
    }

    #[test]
    fn wide_text_is_text_in_either_byte_order() {
        let ascii = b"<!DOCTYPE html><html><body>plane one characters</body></html>\n".repeat(8);
        let widen = |width: usize, at: usize| -> Vec<u8> {
            ascii
                .iter()
                .flat_map(|&c| {
                    let mut unit = vec![0u8; width];
                    unit[at] = c;
                    unit
                })
                .collect()
        };
        assert_eq!(wide_text(&widen(2, 0)), Some("utf-16le"));
        let mut bom = b"\xff\xfe".to_vec();
        bom.extend(widen(2, 0));
        assert_eq!(wide_text(&bom), Some("utf-16le"));
        assert_eq!(wide_text(&widen(2, 1)), Some("utf-16be"));
        assert_eq!(wide_text(&widen(4, 0)), Some("utf-32le"));
        assert_eq!(wide_text(&widen(4, 3)), Some("utf-32be"));
        // Speech-like s16le (both signs) is not wide text.
        let pcm: Vec<u8> = (0..4096i32)
            .flat_map(|i| (((i * 37) % 2001 - 1000) as i16).to_le_bytes())
            .collect();
        assert_eq!(wide_text(&pcm), None);
    }

    /// A script of mostly ASCII with symbols in surrogate pairs (praat's
    /// IPA test, 87 % ASCII) is wide text; the same share of ASCII with
    /// unpaired surrogates is not.
    #[test]
    fn wide_text_of_other_scripts_needs_valid_utf16() {
        let line = "# vowel \u{1D4D0} test: a, e, i \u{1F600}\n";
        let text = line.repeat(60);
        let units: Vec<u8> = text.encode_utf16().flat_map(u16::to_be_bytes).collect();
        assert_eq!(wide_text(&units), Some("utf-16be"));
        // A pair cut by the probe's end is no fault; a lone surrogate
        // before the last character is.
        let cut = [&units[..], &[0xd8, 0x3d]].concat();
        assert!(valid_utf16(&cut, true));
        let lone = [&[0xd8, 0x3d][..], &units[..]].concat();
        assert!(!valid_utf16(&lone, true));
        let mut broken = units.clone();
        for (i, u) in broken.chunks_exact_mut(2).enumerate() {
            if u[0] & 0xfc == 0xdc && i % 2 == 0 {
                u.copy_from_slice(&[0xd8, 0x00]);
            }
        }
        assert_ne!(broken, units);
        assert_eq!(wide_text(&broken), None);
    }

    #[test]
    fn wide_text_may_start_with_four_units_of_something_else() {
        let text = "plain words in sixteen bit units\n".repeat(8);
        let units: Vec<u8> = text.encode_utf16().flat_map(u16::to_le_bytes).collect();
        let with_odd_start = |odd: usize| {
            let mut b = units.clone();
            for unit in b.chunks_exact_mut(2).take(odd) {
                unit.copy_from_slice(&[0x3a, 0x04]); // Cyrillic: not ASCII
            }
            b
        };
        assert_eq!(wide_text(&with_odd_start(4)), Some("utf-16le"));
        assert_eq!(wide_text(&with_odd_start(5)), None);
    }
}
