//! Biometric records: ISO/IEC 19794 (and ANSI INCITS) headers, ANSI/NIST-ITL
//! transactions, WSQ fingerprint images and ICAO/CBEFF data groups
//! (formats.md §2.3). Each is validated beyond its first four bytes.

use super::bytes::{be16, be32, find, get, starts, u8_at};
use super::{judge_payload, Class, Encryption, Sample, Sniff};

pub(crate) fn detect(s: &Sample) -> Option<Sniff> {
    iso19794(s)
        .or_else(|| an2k(s))
        .or_else(|| wsq(s))
        .or_else(|| cbeff(s))
}

fn record(format: &str, what: &str) -> Sniff {
    Sniff::new(
        format,
        Some("application/octet-stream"),
        Class::Biometric,
        Encryption::None,
    )
    .with("record", what)
}

/// ISO/IEC 19794-2/-4/-5/-6/-7/-8/-9/-10 generic headers: a 4-byte format identifier and
/// a version string (" 20\0", "010\0", "020\0", "030\0"), then a record length
/// that must fit the file (4-byte, or the 6-byte form of the -4 and ANSI headers).
fn iso19794(s: &Sample) -> Option<Sniff> {
    let h = s.head;
    let (format, what) = match get(h, 0, 4)? {
        b"FMR\0" => ("iso19794-2", "finger minutiae"),
        b"FIR\0" => ("iso19794-4", "finger image"),
        b"FAC\0" => ("iso19794-5", "face image"),
        b"IIR\0" => ("iso19794-6", "iris image"),
        b"SDI\0" => ("iso19794-7", "signature time series"),
        b"FSK\0" => ("iso19794-8", "finger pattern skeleton"),
        b"VIR\0" => ("iso19794-9", "vascular image"),
        b"HND\0" => ("iso19794-10", "hand geometry silhouette"),
        _ => return None,
    };
    let version = get(h, 4, 4)?;
    if !matches!(version, b" 20\0" | b"010\0" | b"020\0" | b"030\0") {
        return None;
    }
    let len4 = u64::from(be32(h, 8)?);
    let len6 = u64::from(be16(h, 8)?) << 32 | u64::from(be32(h, 10)?);
    let len2 = u64::from(be16(h, 8)?);
    // A record may be followed by padding or be one of several; it must not
    // claim to be longer than the object, nor shorter than its own header.
    let plausible = |n: u64| (14..=s.size).contains(&n);
    let length = [len4, len6, len2]
        .into_iter()
        .find(|&n| n == s.size)
        .or_else(|| [len4, len6].into_iter().find(|&n| plausible(n)));
    let length = length?;
    let sniff = record(format, what)
        .with(
            "magic",
            format!(
                "{}{} at 0",
                String::from_utf8_lossy(&h[..3]),
                String::from_utf8_lossy(&version[..3]).trim()
            ),
        )
        .with("record_length", length);
    // Image records carry their pixels after a short header: the image may be
    // encrypted while the header is not.
    // Skip the general header and the first per-view header (≤ 64 bytes).
    let header = if format == "iso19794-2" { 24 } else { 64 };
    Some(if s.size > 4096 {
        judge_payload(s, sniff, header..s.size)
    } else {
        sniff
    })
}

/// ANSI/NIST-ITL traditional encoding: a Type-1 record starting "1.001:" with a
/// decimal length, a group separator, and "1.002:" (the version) next.
fn an2k(s: &Sample) -> Option<Sniff> {
    let h = s.head;
    if !starts(h, 0, b"1.001:") {
        return None;
    }
    let digits = h[6..]
        .iter()
        .take(12)
        .take_while(|c| c.is_ascii_digit())
        .count();
    if digits == 0 || u8_at(h, 6 + digits)? != 0x1d || !starts(h, 7 + digits, b"1.002:") {
        return None;
    }
    let version = super::token(get(h, 13 + digits, 4)?);
    // Record types present are named in field 1.003 (CNT); Type-11 is voice.
    let voice = find(&h[..h.len().min(4096)], b"\x1f11\x1e").is_some()
        || find(&h[..h.len().min(4096)], b"\x1e11\x1f").is_some();
    let mut sniff = record("ansi-nist-itl", "ANSI/NIST-ITL transaction")
        .with("magic", "1.001: Type-1 record at 0")
        .with("version", version);
    if voice {
        sniff = sniff.with("contains", "Type-11 voice record");
    }
    Some(sniff)
}

/// WSQ: SOI `FF A0`, then a WSQ table, comment or frame marker.
fn wsq(s: &Sample) -> Option<Sniff> {
    let h = s.head;
    if get(h, 0, 3)? != [0xff, 0xa0, 0xff]
        || !matches!(u8_at(h, 3)?, 0xa2 | 0xa4 | 0xa5 | 0xa6 | 0xa8)
    {
        return None;
    }
    let segment = be16(h, 4)?;
    (segment >= 2)
        .then(|| record("wsq", "WSQ fingerprint image").with("magic", "FF A0 + WSQ marker at 0"))
}

/// ICAO 9303 / CBEFF data groups: DG2 (face, tag 75), DG3 (finger, 63), DG4
/// (iris, 76), each opening with a biometric information template group `7F 61`.
fn cbeff(s: &Sample) -> Option<Sniff> {
    let h = s.head;
    let what = match u8_at(h, 0)? {
        0x75 => "ICAO DG2 face",
        0x63 => "ICAO DG3 fingerprint",
        0x76 => "ICAO DG4 iris",
        _ => return None,
    };
    let (len, header) = ber_length(h, 1)?;
    if (1 + header as u64).saturating_add(len) > s.size.saturating_add(2)
        || get(h, 1 + header, 2)? != [0x7f, 0x61]
    {
        return None;
    }
    let window = &h[..h.len().min(512)];
    let inner = [b"FAC\0", b"FIR\0", b"IIR\0", b"FMR\0"]
        .iter()
        .any(|m| find(window, *m).is_some());
    inner.then(|| record("cbeff", what).with("magic", "ICAO data group + 7F 61 at 0"))
}

/// A BER/DER definite length at `at`: (value, bytes used).
pub(crate) fn ber_length(b: &[u8], at: usize) -> Option<(u64, usize)> {
    let first = u8_at(b, at)?;
    if first < 0x80 {
        return Some((u64::from(first), 1));
    }
    let n = (first & 0x7f) as usize;
    if n == 0 || n > 4 {
        return None;
    }
    let v = get(b, at + 1, n)?
        .iter()
        .fold(0u64, |a, &x| a << 8 | u64::from(x));
    Some((v, 1 + n))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fmr(len: u32) -> Vec<u8> {
        let mut v = b"FMR\0 20\0".to_vec();
        v.extend(len.to_be_bytes());
        v.resize(len as usize, 0x11);
        v
    }

    #[test]
    fn iso_minutiae_record_with_matching_length() {
        let v = fmr(60);
        let s = detect(&Sample::new(60, &v, &[])).unwrap();
        assert_eq!(
            (s.format.as_str(), s.class),
            ("iso19794-2", Class::Biometric)
        );
    }

    #[test]
    fn every_19794_part_is_named_by_its_identifier() {
        for (magic, format) in [
            (b"FIR\0", "iso19794-4"),
            (b"FSK\0", "iso19794-8"),
            (b"VIR\0", "iso19794-9"),
            (b"HND\0", "iso19794-10"),
        ] {
            let mut v = fmr(80);
            v[..4].copy_from_slice(magic);
            v[4..8].copy_from_slice(b"020\0");
            assert_eq!(detect(&Sample::new(80, &v, &[])).unwrap().format, format);
        }
    }

    #[test]
    fn wrong_version_or_impossible_length_is_rejected() {
        let mut v = fmr(60);
        v[5] = b'9';
        assert!(detect(&Sample::new(60, &v, &[])).is_none());
        let mut v = fmr(60);
        v[8..12].copy_from_slice(&1_000_000u32.to_be_bytes());
        v[8] = 0x7f;
        assert!(detect(&Sample::new(60, &v, &[])).is_none());
    }

    #[test]
    fn an2k_needs_the_type1_structure() {
        let v = b"1.001:251\x1d1.002:0500\x1d1.003:1\x1f2\x1e11\x1f01\x1c";
        let s = detect(&Sample::new(v.len() as u64, v, &[])).unwrap();
        assert_eq!(s.format, "ansi-nist-itl");
        assert_eq!(s.evidence["contains"], "Type-11 voice record");
        assert!(detect(&Sample::new(9, b"1.001:abc", &[])).is_none());
    }

    #[test]
    fn wsq_needs_a_second_marker() {
        let v = [0xff, 0xa0, 0xff, 0xa8, 0x00, 0x10, 0x4e];
        assert_eq!(detect(&Sample::new(7, &v, &[])).unwrap().format, "wsq");
        assert!(detect(&Sample::new(7, &[0xff, 0xa0, 0x12, 0x34, 0, 0, 0], &[])).is_none());
    }

    #[test]
    fn declared_lengths_near_the_limit_do_not_wrap() {
        // A data group declaring 2^32 - 1 bytes in a 16-byte object.
        let v = [
            0x75, 0x84, 0xff, 0xff, 0xff, 0xff, 0x7f, 0x61, b'F', b'A', b'C', 0, 0, 0, 0, 0,
        ];
        assert!(detect(&Sample::new(16, &v, &[])).is_none());
        // An ANSI/NIST version field of control bytes is shown as a token.
        let v = b"1.001:251\x1d1.002:\x1b[2J\x1d1.003:1";
        let s = detect(&Sample::new(v.len() as u64, v, &[])).unwrap();
        assert_eq!(s.evidence["version"], "?[2J");
    }
}
