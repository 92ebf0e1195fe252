//! Biometric records: ISO/IEC 19794 (and ANSI INCITS) headers, ISO/IEC 39794
//! DER records, ANSI/NIST-ITL transactions, WSQ fingerprint images and
//! ICAO/CBEFF data groups (formats.md §2.3). Each is validated beyond its
//! first four bytes: the 39794 records and the data groups have no magic at
//! all, only an ASN.1 structure, so they are walked tag by tag.

use super::bytes::{be16, be32, find, get, starts, u8_at};
use super::{judge_payload, Class, Encryption, Sample, Sniff};

pub(crate) fn detect(s: &Sample) -> Option<Sniff> {
    iso19794(s)
        .or_else(|| iso39794(s))
        .or_else(|| an2k(s))
        .or_else(|| wsq(s))
        .or_else(|| cbeff(s))
}

fn record(format: &'static str, what: &str) -> Sniff {
    Sniff::new(
        format,
        Some("application/octet-stream"),
        Class::Biometric,
        Encryption::None,
    )
    .with("record", what)
}

/// The format identifiers that open ISO/IEC 19794 records.
const ISO19794_IDS: [&[u8; 4]; 8] = [
    b"FMR\0", b"FIR\0", b"FAC\0", b"IIR\0", b"SDI\0", b"FSK\0", b"VIR\0", b"HND\0",
];

/// Whether `b` opens like an ISO/IEC 19794 record (its identifier and a
/// version) or an ANSI/NIST-ITL transaction (its Type-1 length field). A
/// minutiae template or a text-only transaction is a few hundred bytes,
/// shorter than the byte strings containers otherwise pass over as names
/// and hashes.
pub(crate) fn opens_a_record(b: &[u8]) -> bool {
    let iso = b
        .get(..4)
        .is_some_and(|id| ISO19794_IDS.iter().any(|m| &m[..] == id))
        && matches!(b.get(4..8), Some(b" 20\0" | b"010\0" | b"020\0" | b"030\0"));
    iso || b.starts_with(b"1.001:") || b.starts_with(b"1.01:")
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
    // ANSI 378's 2-byte length is shorter than the object only when what
    // follows is a fixed slot's zero padding or the next record of a
    // gallery: a 2-byte field otherwise matches too much by chance.
    let followed = |n: u64| {
        let rest = usize::try_from(n).ok().and_then(|n| h.get(n..));
        rest.is_some_and(|r| r.iter().all(|&b| b == 0) || r.starts_with(&h[..8]))
    };
    let length = [len4, len6, len2]
        .into_iter()
        .find(|&n| n == s.size)
        .or_else(|| [len4, len6].into_iter().find(|&n| plausible(n)))
        .or_else(|| Some(len2).filter(|&n| plausible(n) && followed(n)));
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

/// A Type-1 field tag `1.<n>:` for field `field`, its number written with
/// or without leading zeros: the standard's examples say `1.001:`, and
/// writers in the field emit `1.01:` and `1.1:` too (readers such as NIST's
/// own parse the number, not the spelling). Returns the offset after `:`.
fn type1_tag(h: &[u8], at: usize, field: u32) -> Option<usize> {
    if !starts(h, at, b"1.") {
        return None;
    }
    let digits = h
        .get(at + 2..)?
        .iter()
        .take(10)
        .take_while(|c| c.is_ascii_digit())
        .count();
    if !(1..=9).contains(&digits) || u8_at(h, at + 2 + digits)? != b':' {
        return None;
    }
    let n: u32 = std::str::from_utf8(&h[at + 2..at + 2 + digits])
        .ok()?
        .parse()
        .ok()?;
    (n == field).then_some(at + 3 + digits)
}

/// ANSI/NIST-ITL traditional encoding: a Type-1 record starting with field
/// 1.001 (LEN, a decimal length), a group separator, and field 1.002 (the
/// version) next.
fn an2k(s: &Sample) -> Option<Sniff> {
    let h = s.head;
    let len_at = type1_tag(h, 0, 1)?;
    let digits = h[len_at..]
        .iter()
        .take(12)
        .take_while(|c| c.is_ascii_digit())
        .count();
    if digits == 0 || u8_at(h, len_at + digits)? != 0x1d {
        return None;
    }
    let version_at = type1_tag(h, len_at + digits + 1, 2)?;
    let version = super::token(get(h, version_at, 4)?);
    // Record types present are named in field 1.003 (CNT); Type-11 is voice.
    let voice = find(&h[..h.len().min(4096)], b"\x1f11\x1e").is_some()
        || find(&h[..h.len().min(4096)], b"\x1e11\x1f").is_some();
    let mut sniff = record("ansi-nist-itl", "ANSI/NIST-ITL transaction")
        .with(
            "magic",
            format!("{} Type-1 record at 0", super::token(&h[..len_at])),
        )
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
/// (iris, 76), each opening with a biometric information template group
/// `7F 61`. The data block of the first template names what is stored: a
/// 19794 record, a 39794 record (the 9303 edition that adopts 39794) or a
/// bare image. An older layout that the walk misses still counts when a
/// 19794 record identifier sits in the first 512 bytes.
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
    let sniff = record("cbeff", what).with("magic", "ICAO data group + 7F 61 at 0");
    if let Some(holds) = icao_data_block(h, s.size.saturating_add(2)) {
        return Some(sniff.with("data_block", holds));
    }
    let window = &h[..h.len().min(512)];
    let inner = [b"FAC\0", b"FIR\0", b"IIR\0", b"FMR\0"]
        .iter()
        .any(|m| find(window, *m).is_some());
    inner.then_some(sniff)
}

/// One BER/DER element header at `at`: (tag, offset of the value, declared
/// value length). Tags of one or two bytes (ICAO uses `5F2E`, `7F61`); longer
/// tags are refused. The value may run past `b`: callers check the length
/// against the object's size.
fn tlv(b: &[u8], at: usize) -> Option<(u16, usize, u64)> {
    let first = u8_at(b, at)?;
    let (tag, len_at) = if first & 0x1f == 0x1f {
        let second = u8_at(b, at + 1)?;
        if second & 0x80 != 0 {
            return None;
        }
        (u16::from(first) << 8 | u16::from(second), at + 2)
    } else {
        (u16::from(first), at + 1)
    };
    let (len, n) = ber_length(b, len_at)?;
    Some((tag, len_at + n, len))
}

/// The ISO/IEC 39794 part a record's outer tag names: `[APPLICATION n]`,
/// constructed, where n is the part (39794-4 finger image, -5 face image,
/// -6 iris image, the parts ICAO 9303 adopts for DG3, DG2 and DG4).
fn part_39794(tag: u16) -> Option<(&'static str, &'static str)> {
    Some(match tag {
        0x64 => ("iso39794-4", "finger image"),
        0x65 => ("iso39794-5", "face image"),
        0x66 => ("iso39794-6", "iris image"),
        _ => return None,
    })
}

/// An ISO/IEC 39794 record at `at` of `b`, of at most `room` bytes: the
/// part's application tag, then the version block `[0]` (the framework of
/// 39794-1: small context-specific integers, generation `[0]` and year
/// `[1]`), then the representation blocks `[1]`. Returns (format, what,
/// generation, year, record length).
fn record_39794(
    b: &[u8],
    at: usize,
    room: u64,
) -> Option<(&'static str, &'static str, u64, u64, u64)> {
    let (tag, value, len) = tlv(b, at)?;
    let (format, what) = part_39794(tag)?;
    let total = (value - at) as u64 + len;
    if total > room {
        return None;
    }
    let (vtag, vvalue, vlen) = tlv(b, value)?;
    if vtag != 0xa0 || !(3..=16).contains(&vlen) {
        return None;
    }
    let vend = vvalue + vlen as usize;
    let (mut generation, mut year, mut pos) = (0, 0, vvalue);
    while pos < vend {
        let (t, v, l) = tlv(b, pos)?;
        // Only small primitive context-specific integers belong here.
        if !(0x80..=0x8f).contains(&t) || !(1..=2).contains(&l) {
            return None;
        }
        let n = get(b, v, l as usize)?
            .iter()
            .fold(0u64, |a, &x| a << 8 | u64::from(x));
        match t {
            0x80 => generation = n,
            0x81 => year = n,
            _ => {}
        }
        pos = v + l as usize;
    }
    if pos != vend || (year != 0 && !(2010..=2099).contains(&year)) {
        return None;
    }
    let (rtag, _, rlen) = tlv(b, vend)?;
    if rtag != 0xa1 || rlen == 0 {
        return None;
    }
    Some((format, what, generation, year, total))
}

/// ISO/IEC 39794-4/-5/-6 records stored on their own (DER, no magic).
fn iso39794(s: &Sample) -> Option<Sniff> {
    let (format, what, generation, year, len) = record_39794(s.head, 0, s.size)?;
    let mut sniff = record(format, what)
        .with(
            "magic",
            "ISO/IEC 39794 application tag + version block at 0",
        )
        .with("record_length", len);
    if generation != 0 {
        sniff = sniff.with("generation", generation);
    }
    if year != 0 {
        sniff = sniff.with("year", year);
    }
    Some(sniff)
}

/// What an ICAO biometric data block (`5F2E` primitive, `7F2E` constructed)
/// holds, judged from its first bytes: an ISO/IEC 19794 record (`FAC\0`,
/// `FIR\0`, `IIR\0`, `FMR\0`), an ISO/IEC 39794 record, or a bare image.
fn data_block(b: &[u8], at: usize, len: u64) -> Option<&'static str> {
    let v = b.get(at..)?;
    Some(match get(v, 0, 4)? {
        b"FAC\0" => "ISO/IEC 19794-5 face record",
        b"FIR\0" => "ISO/IEC 19794-4 finger image record",
        b"IIR\0" => "ISO/IEC 19794-6 iris record",
        b"FMR\0" => "ISO/IEC 19794-2 finger minutiae record",
        _ if starts(v, 0, b"\x00\x00\x00\x0cjP  ") => "JPEG 2000 image",
        _ if starts(v, 0, b"\xff\x4f\xff\x51") => "JPEG 2000 codestream",
        _ if starts(v, 0, b"\xff\xd8\xff") => "JPEG image",
        _ => match record_39794(b, at, len)?.0 {
            "iso39794-4" => "ISO/IEC 39794-4 finger image record",
            "iso39794-5" => "ISO/IEC 39794-5 face image record",
            _ => "ISO/IEC 39794-6 iris image record",
        },
    })
}

/// Walks an ICAO data group: `75`/`63`/`76`, the biometric information
/// group template `7F61` (a count `02`, then templates `7F60`), and in the
/// first template its header `A1` and its data block `5F2E`/`7F2E`.
/// Returns what the first data block holds. A fixed path, no recursion.
fn icao_data_block(h: &[u8], size: u64) -> Option<&'static str> {
    let (_, value, len) = tlv(h, 0)?;
    if (value as u64).saturating_add(len) > size {
        return None;
    }
    let (group, mut pos, _) = tlv(h, value)?;
    if group != 0x7f61 {
        return None;
    }
    for _ in 0..4 {
        let (tag, v, l) = tlv(h, pos)?;
        if tag == 0x7f60 {
            let mut inner = v;
            for _ in 0..8 {
                let (t, iv, il) = tlv(h, inner)?;
                if matches!(t, 0x5f2e | 0x7f2e) {
                    return data_block(h, iv, il);
                }
                inner = iv.checked_add(usize::try_from(il).ok()?)?;
            }
            return None;
        }
        pos = v.checked_add(usize::try_from(l).ok()?)?;
    }
    None
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
    fn short_records_are_told_by_their_openings() {
        assert!(opens_a_record(b"FMR\0 20\0\x00\xd4"));
        assert!(opens_a_record(b"IIR\x00010\0"));
        assert!(opens_a_record(b"1.001:251\x1d1.002:0500"));
        assert!(!opens_a_record(b"FMR\0 21\0"));
        assert!(!opens_a_record(b"FMR"));
        assert!(!opens_a_record(b"1.0:"));
    }

    #[test]
    fn iso_minutiae_record_with_matching_length() {
        let v = fmr(60);
        let s = detect(&Sample::new(60, &v, &[])).unwrap();
        assert_eq!((&*s.format, s.class), ("iso19794-2", Class::Biometric));
    }

    /// ANSI 378's 2-byte length: a record in a fixed slot (zero padding)
    /// or followed by the next record is found; followed by other bytes,
    /// a 2-byte field that merely fits is no record.
    #[test]
    fn ansi_records_padded_to_a_slot_or_in_a_gallery_are_found() {
        let mut record = b"FMR\0 20\0\x00\xd4".to_vec();
        record.extend((0..202u32).map(|i| (i * 7 + 1) as u8));
        let found = |v: &[u8]| detect(&Sample::new(v.len() as u64, v, &[]));
        let mut slot = record.clone();
        slot.resize(1024, 0);
        assert_eq!(found(&slot).map(|s| s.format), Some("iso19794-2".into()));
        let gallery = record.repeat(3);
        assert_eq!(found(&gallery).map(|s| s.format), Some("iso19794-2".into()));
        let mut other = record.clone();
        other.extend([0x5a; 800]);
        assert!(found(&other).is_none());
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

    /// DER element: tag bytes, definite length, value.
    fn der(tag: &[u8], value: &[u8]) -> Vec<u8> {
        let mut v = tag.to_vec();
        match value.len() {
            n if n < 0x80 => v.push(n as u8),
            n if n < 0x100 => v.extend([0x81, n as u8]),
            n => v.extend([0x82, (n >> 8) as u8, n as u8]),
        }
        v.extend(value);
        v
    }

    /// A 39794 record: application tag, version block (generation 3,
    /// year 2019), representation blocks around `image`.
    fn rec39794(tag: u8, image: &[u8]) -> Vec<u8> {
        let mut version = der(&[0x80], &[3]);
        version.extend(der(&[0x81], &[0x07, 0xe3]));
        let mut body = der(&[0xa0], &version);
        body.extend(der(&[0xa1], &der(&[0x30], &der(&[0x80], image))));
        der(&[tag], &body)
    }

    #[test]
    fn iso39794_records_are_named_by_part_and_version_block() {
        for (tag, format) in [
            (0x64, "iso39794-4"),
            (0x65, "iso39794-5"),
            (0x66, "iso39794-6"),
        ] {
            let v = rec39794(tag, &[0x55; 300]);
            let s = detect(&Sample::new(v.len() as u64, &v, &[])).unwrap();
            assert_eq!((&*s.format, s.class), (format, Class::Biometric));
            assert_eq!(s.evidence["year"], 2019);
            assert_eq!(s.evidence["generation"], 3);
        }
        // Another application tag, a version block holding a constructed
        // element, a year out of range, or a length past the object: no.
        let v = rec39794(0x67, &[0x55; 300]);
        assert!(detect(&Sample::new(v.len() as u64, &v, &[])).is_none());
        let mut v = rec39794(0x65, &[0x55; 300]);
        v[6] = 0xa0;
        assert!(detect(&Sample::new(v.len() as u64, &v, &[])).is_none());
        let mut v = rec39794(0x65, &[0x55; 300]);
        v[11] = 0x01;
        assert!(detect(&Sample::new(v.len() as u64, &v, &[])).is_none());
        let v = rec39794(0x65, &[0x55; 300]);
        assert!(detect(&Sample::new(v.len() as u64 - 1, &v, &[])).is_none());
    }

    /// DG2 as ICAO 9303 lays it out: 75 { 7F61 { 02 count, 7F60 { A1
    /// header, data block } } }.
    fn dg2(block_tag: &[u8], block: &[u8]) -> Vec<u8> {
        let mut template = der(&[0xa1], &der(&[0x80], &[1, 1]));
        template.extend(der(block_tag, block));
        let mut group = der(&[0x02], &[1]);
        group.extend(der(&[0x7f, 0x60], &template));
        der(&[0x75], &der(&[0x7f, 0x61], &group))
    }

    #[test]
    fn icao_data_groups_name_their_data_block() {
        let face = rec39794(0x65, &[0x55; 200]);
        let v = dg2(&[0x7f, 0x2e], &face);
        let s = detect(&Sample::new(v.len() as u64, &v, &[])).unwrap();
        assert_eq!(s.format, "cbeff");
        assert_eq!(
            s.evidence["data_block"],
            "ISO/IEC 39794-5 face image record"
        );
        let mut fac = b"FAC\x00010\x00".to_vec();
        fac.extend([0u8; 40]);
        let v = dg2(&[0x5f, 0x2e], &fac);
        let s = detect(&Sample::new(v.len() as u64, &v, &[])).unwrap();
        assert_eq!(s.evidence["data_block"], "ISO/IEC 19794-5 face record");
        let mut jp2 = b"\x00\x00\x00\x0cjP  \r\n\x87\n".to_vec();
        jp2.extend([0u8; 40]);
        let v = dg2(&[0x5f, 0x2e], &jp2);
        let s = detect(&Sample::new(v.len() as u64, &v, &[])).unwrap();
        assert_eq!(s.evidence["data_block"], "JPEG 2000 image");
        // A data block of nothing recognisable, and no 19794 identifier
        // anywhere: not claimed.
        let v = dg2(&[0x5f, 0x2e], &[0x12; 64]);
        assert!(detect(&Sample::new(v.len() as u64, &v, &[])).is_none());
    }

    #[test]
    fn an2k_field_numbers_with_or_without_leading_zeros() {
        for v in [
            &b"1.01:230\x1d1.02:0300\x1d1.03:1\x1f1\x1e4\x1f01\x1c"[..],
            b"1.1:230\x1d1.2:0400\x1d1.3:1\x1f1\x1c",
            b"1.0001:230\x1d1.002:0500\x1d1.3:1\x1f1\x1c",
        ] {
            let s = detect(&Sample::new(v.len() as u64, v, &[])).unwrap();
            assert_eq!(s.format, "ansi-nist-itl", "{v:?}");
        }
        let s = detect(&Sample::new(30, b"1.01:230\x1d1.02:0300\x1d1.03:1", &[])).unwrap();
        assert_eq!(s.evidence["magic"], "1.01: Type-1 record at 0");
        assert_eq!(s.evidence["version"], "0300");
        // Field 1 must be followed by field 2; ten digits are not a field number.
        assert!(detect(&Sample::new(20, b"1.01:230\x1d1.03:0300", &[])).is_none());
        assert!(detect(&Sample::new(24, b"1.0000000001:230\x1d1.2:03", &[])).is_none());
        assert!(detect(&Sample::new(16, b"1.:230\x1d1.2:0300", &[])).is_none());
    }
}
