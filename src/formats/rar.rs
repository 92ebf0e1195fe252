//! RAR 4 and RAR 5 block headers, read for what they say in the clear:
//! member names, sizes, the compression method and the encryption flag.
//! atrest has no RAR decompressor (no maintained pure-Rust one exists, and
//! the reference unrar is C++ under a licence that forbids writing a
//! compressor from it); stored members are read in place and the others
//! are judged by name. Pure parsing; the walk is in `unpack::rar`.

/// Largest block header accepted. RAR 5 allows 2 MiB, but real headers are
/// a few hundred bytes; a larger one is not worth reading.
pub(crate) const MAX_HEADER: u64 = 64 << 10;

/// Which RAR generation, from the signature.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Version {
    V4,
    V5,
}

/// The version and the signature's length, when `b` starts with one.
pub(crate) fn signature(b: &[u8]) -> Option<(Version, u64)> {
    if b.starts_with(b"Rar!\x1a\x07\x01\x00") {
        Some((Version::V5, 8))
    } else if b.starts_with(b"Rar!\x1a\x07\x00") {
        Some((Version::V4, 7))
    } else {
        None
    }
}

/// One member, as its file header describes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Entry {
    pub name: String,
    /// Bytes of (possibly compressed, possibly encrypted) data after the header.
    pub packed: u64,
    /// Unpacked size, when the header knows it.
    pub size: Option<u64>,
    /// Stored without compression: the data are the member's bytes.
    pub stored: bool,
    pub encrypted: bool,
    pub dir: bool,
}

/// What one block is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Block {
    File(Entry),
    /// Main, service, comment, recovery … headers: skipped.
    Other,
    End,
    /// The rest of the archive's headers are encrypted (RAR 5 archive
    /// encryption header, RAR 4 main header flag `0x0080`).
    HeadersEncrypted,
}

/// A parsed block: what it is, and where its data start and the next
/// block starts, relative to the block's first byte.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Parsed {
    pub block: Block,
    pub data_at: u64,
    pub next: u64,
}

/// The length of the block header starting `b`, from its first bytes
/// (RAR 5: CRC32 and a variable-length size; RAR 4: the 16-bit size at 5).
pub(crate) fn header_len(version: Version, b: &[u8]) -> Option<u64> {
    match version {
        Version::V5 => {
            let (size, after) = vint(b, 4)?;
            (after as u64).checked_add(size)
        }
        Version::V4 => Some(u64::from(u16::from_le_bytes(b.get(5..7)?.try_into().ok()?))),
    }
}

/// Parses the block whose whole header is `b`.
pub(crate) fn block(version: Version, b: &[u8]) -> Option<Parsed> {
    match version {
        Version::V5 => rar5(b),
        Version::V4 => rar4(b),
    }
}

/// A RAR 5 variable-length integer at `at`: (value, offset after it).
pub(crate) fn vint(b: &[u8], mut at: usize) -> Option<(u64, usize)> {
    let mut v = 0u64;
    for i in 0..10 {
        let byte = *b.get(at)?;
        v |= u64::from(byte & 0x7f).checked_shl(7 * i)?;
        at += 1;
        if byte & 0x80 == 0 {
            return Some((v, at));
        }
    }
    None
}

fn le32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(
        b.get(at..at.checked_add(4)?)?.try_into().ok()?,
    ))
}

fn rar5(b: &[u8]) -> Option<Parsed> {
    let (size, after_size) = vint(b, 4)?;
    let end = after_size.checked_add(usize::try_from(size).ok()?)?;
    let b = b.get(..end)?;
    let (kind, p) = vint(b, after_size)?;
    let (flags, mut p) = vint(b, p)?;
    let mut extra = 0;
    if flags & 1 != 0 {
        (extra, p) = vint(b, p)?;
    }
    let mut data = 0;
    if flags & 2 != 0 {
        (data, p) = vint(b, p)?;
    }
    let data_at = end as u64;
    let next = data_at.checked_add(data)?;
    let block = match kind {
        2 => {
            let (file_flags, mut q) = vint(b, p)?;
            let (size, q2) = vint(b, q)?;
            let (_attributes, q3) = vint(b, q2)?;
            q = q3;
            if file_flags & 2 != 0 {
                q = q.checked_add(4)?;
            }
            if file_flags & 4 != 0 {
                q = q.checked_add(4)?;
            }
            let (compression, q) = vint(b, q)?;
            let (_host, q) = vint(b, q)?;
            let (name_len, q) = vint(b, q)?;
            let name = b.get(q..q.checked_add(usize::try_from(name_len).ok()?)?)?;
            // The extra area is the header's last `extra` bytes; records of
            // type 1 mean the data are encrypted.
            let extra_at = end.checked_sub(usize::try_from(extra).ok()?)?;
            let mut encrypted = false;
            let mut r = extra_at;
            for _ in 0..16 {
                let Some((rsize, rp)) = vint(b, r) else { break };
                let Some((rtype, _)) = vint(b, rp) else { break };
                encrypted |= rtype == 1;
                match usize::try_from(rsize).ok().and_then(|n| rp.checked_add(n)) {
                    Some(n) if n > r && n <= end => r = n,
                    _ => break,
                }
            }
            Block::File(Entry {
                name: String::from_utf8_lossy(name).into_owned(),
                packed: data,
                size: (file_flags & 8 == 0).then_some(size),
                stored: (compression >> 7) & 7 == 0,
                encrypted,
                dir: file_flags & 1 != 0,
            })
        }
        4 => Block::HeadersEncrypted,
        5 => Block::End,
        _ => Block::Other,
    };
    Some(Parsed {
        block,
        data_at,
        next,
    })
}

fn rar4(b: &[u8]) -> Option<Parsed> {
    let kind = *b.get(2)?;
    let flags = u16::from_le_bytes(b.get(3..5)?.try_into().ok()?);
    let head = u64::from(u16::from_le_bytes(b.get(5..7)?.try_into().ok()?));
    if head < 7 {
        return None;
    }
    // Blocks with data (files, service headers) carry its size at 7.
    let add = if flags & 0x8000 != 0 || matches!(kind, 0x74 | 0x7a) {
        u64::from(le32(b, 7)?)
    } else {
        0
    };
    let block = match kind {
        0x73 if flags & 0x0080 != 0 => Block::HeadersEncrypted,
        0x74 => {
            let large = flags & 0x0100 != 0;
            let (high_packed, high_size) = if large {
                (u64::from(le32(b, 32)?), u64::from(le32(b, 36)?))
            } else {
                (0, 0)
            };
            let packed = high_packed << 32 | add;
            let size = high_size << 32 | u64::from(le32(b, 11)?);
            let method = *b.get(25)?;
            let name_len = usize::from(u16::from_le_bytes(b.get(26..28)?.try_into().ok()?));
            let name_at = if large { 40 } else { 32 };
            let name = b.get(name_at..name_at + name_len)?;
            // Unicode names (flag 0x200) are "ASCII form \0 encoded form".
            let name = &name[..name.iter().position(|&c| c == 0).unwrap_or(name.len())];
            return Some(Parsed {
                block: Block::File(Entry {
                    name: String::from_utf8_lossy(name).into_owned(),
                    packed,
                    size: Some(size),
                    stored: method == 0x30,
                    encrypted: flags & 0x0004 != 0,
                    dir: flags & 0x00e0 == 0x00e0,
                }),
                data_at: head,
                next: head.checked_add(packed)?,
            });
        }
        0x7b => Block::End,
        _ => Block::Other,
    };
    Some(Parsed {
        block,
        data_at: head,
        next: head.checked_add(add)?,
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A RAR 5 file header for `name` with `data` after it; `method` 0 is
    /// stored; `encrypted` adds an encryption extra record.
    pub(crate) fn rar5_file(name: &str, data_len: u64, method: u64, encrypted: bool) -> Vec<u8> {
        let extra: Vec<u8> = if encrypted { vec![2, 1, 0] } else { vec![] };
        let mut body = vec![2u8, if encrypted { 3 } else { 2 }];
        if encrypted {
            body.push(extra.len() as u8);
        }
        body.extend(leb128(data_len));
        body.extend([0x04]); // file flags: CRC present
        body.extend(leb128(data_len));
        body.push(0x20); // attributes
        body.extend([0, 0, 0, 0]); // CRC
        body.extend(leb128(method << 7));
        body.push(1); // host: Unix
        body.extend(leb128(name.len() as u64));
        body.extend(name.as_bytes());
        body.extend(extra);
        let mut v = vec![0, 0, 0, 0];
        v.extend(leb128(body.len() as u64));
        v.extend(body);
        v
    }

    use crate::sniff::testutil::leb128;

    #[test]
    fn rar5_file_headers_give_name_size_method_and_encryption() {
        let h = rar5_file("calls/a.wav", 1000, 0, false);
        let len = header_len(Version::V5, &h).unwrap();
        assert_eq!(len, h.len() as u64);
        let p = block(Version::V5, &h).unwrap();
        let Block::File(e) = p.block else { panic!() };
        assert_eq!(
            (e.name.as_str(), e.packed, e.size, e.stored, e.encrypted),
            ("calls/a.wav", 1000, Some(1000), true, false)
        );
        assert_eq!(p.next, len + 1000);
        let h = rar5_file("b.fmr", 10, 3, true);
        let Block::File(e) = block(Version::V5, &h).unwrap().block else {
            panic!()
        };
        assert!(e.encrypted && !e.stored);
    }

    #[test]
    fn rar4_file_headers() {
        let mut h = vec![0, 0, 0x74, 0x00, 0x80];
        let name = b"speech.wav";
        h.extend(((32 + name.len()) as u16).to_le_bytes());
        h.extend(500u32.to_le_bytes());
        h.extend(500u32.to_le_bytes());
        h.extend([3, 0, 0, 0, 0, 0, 0, 0, 0, 29, 0x30]);
        h.extend((name.len() as u16).to_le_bytes());
        h.extend([0u8; 4]);
        h.extend(name);
        assert_eq!(header_len(Version::V4, &h), Some(h.len() as u64));
        let p = block(Version::V4, &h).unwrap();
        let Block::File(e) = p.block else { panic!() };
        assert_eq!(
            (e.name.as_str(), e.packed, e.stored, e.encrypted),
            ("speech.wav", 500, true, false)
        );
        assert_eq!(p.next, h.len() as u64 + 500);
    }

    #[test]
    fn hostile_numbers_do_not_wrap() {
        assert_eq!(vint(&[0xff; 12], 0), None);
        let mut h = vec![0, 0, 0, 0];
        h.extend(leb128(u64::MAX));
        assert!(header_len(Version::V5, &h).is_none() || block(Version::V5, &h).is_none());
        // A file header whose name runs past the header.
        let mut h = rar5_file("a.wav", 1, 0, false);
        let n = h.len();
        h[n - 6] = 0x7f;
        assert!(block(Version::V5, &h).is_none());
    }
}
