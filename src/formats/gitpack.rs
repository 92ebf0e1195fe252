//! git pack files: the pack header and each object's header, as git
//! writes them (`Documentation/gitformat-pack.txt`). Pure parsers; the walk
//! is `unpack::gitpack`.

use crate::sniff::bytes::varint;

/// The pack's header: `PACK`, version 2 or 3, and how many objects follow.
pub(crate) fn header(b: &[u8]) -> Option<u32> {
    let version = u32::from_be_bytes(b.get(4..8)?.try_into().ok()?);
    let count = u32::from_be_bytes(b.get(8..12)?.try_into().ok()?);
    (b.starts_with(b"PACK") && matches!(version, 2 | 3) && count > 0).then_some(count)
}

/// An object's type and inflated size, and the length of the header that
/// says so (type in bits 4–6 of the first byte, the size's low 4 bits
/// below it, and while its top bit is set, the rest of the size as a
/// LEB128 number).
pub(crate) fn object_header(b: &[u8]) -> Option<(u8, u64, usize)> {
    let first = *b.first()?;
    let kind = (first >> 4) & 7;
    if !matches!(kind, 1..=4 | 6 | 7) {
        return None;
    }
    let mut at = 1;
    let high = match first & 0x80 {
        0 => 0,
        _ => varint(b, &mut at).filter(|&h| h <= u64::MAX >> 4)?,
    };
    Some((kind, high << 4 | u64::from(first & 0x0f), at))
}

/// An offset-delta's base: how far before the delta's own header it
/// starts, and how many bytes of `b` say so (7 bits a byte, most
/// significant first, each continuation adding one before it shifts).
pub(crate) fn base_offset(b: &[u8]) -> Option<(u64, usize)> {
    let mut byte = *b.first()?;
    let mut offset = u64::from(byte & 0x7f);
    let mut at = 1;
    while byte & 0x80 != 0 {
        byte = *b.get(at)?;
        if at >= 9 {
            return None;
        }
        offset = ((offset + 1) << 7) | u64::from(byte & 0x7f);
        at += 1;
    }
    Some((offset, at))
}

/// A delta's base and result sizes (two LEB128 numbers), and where its
/// instructions start.
pub(crate) fn delta_sizes(delta: &[u8]) -> Option<(u64, u64, usize)> {
    let mut at = 0;
    let base = varint(delta, &mut at)?;
    let result = varint(delta, &mut at)?;
    Some((base, result, at))
}

/// The object a delta rebuilds from `base`: copies from the base and bytes
/// of its own, in turn. `None` when it does not fit its base, asks for
/// more than `max` bytes, or does not come to the size it declares.
pub(crate) fn apply_delta(base: &[u8], delta: &[u8], max: u64) -> Option<Vec<u8>> {
    let (base_size, size, mut at) = delta_sizes(delta)?;
    if base_size != base.len() as u64 || size > max {
        return None;
    }
    // Room for what the delta declares only up to 1 MiB: the output grows
    // by what its copies and inserts really produce, never past `size`.
    let mut out = Vec::with_capacity(usize::try_from(size.min(1 << 20)).ok()?);
    while let Some(&op) = delta.get(at) {
        at += 1;
        if op & 0x80 != 0 {
            // Copy: offset in up to 4 bytes, size in up to 3 (0 is 64 KiB),
            // each byte present where its bit is set.
            let mut field = |bits: u8, n: usize| -> Option<usize> {
                let mut v = 0usize;
                for i in 0..n {
                    if bits & (1 << i) != 0 {
                        v |= usize::from(*delta.get(at)?) << (8 * i);
                        at += 1;
                    }
                }
                Some(v)
            };
            let offset = field(op & 0x0f, 4)?;
            let len = match field(op >> 4 & 0x07, 3)? {
                0 => 0x10000,
                n => n,
            };
            out.extend_from_slice(base.get(offset..offset.checked_add(len)?)?);
        } else if op != 0 {
            let n = usize::from(op);
            out.extend_from_slice(delta.get(at..at + n)?);
            at += n;
        } else {
            return None;
        }
        if out.len() as u64 > size {
            return None;
        }
    }
    (out.len() as u64 == size).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_are_read_as_git_writes_them() {
        assert_eq!(header(b"PACK\0\0\0\x02\0\0\0\x03"), Some(3));
        assert_eq!(header(b"PACK\0\0\0\x04\0\0\0\x03"), None);
        assert_eq!(header(b"PACK\0\0\0\x02\0\0\0\0"), None);
        // Blob of 300 bytes: 0xbc (type 3, low bits 12, more), then 18.
        assert_eq!(object_header(&[0xbc, 0x12]), Some((3, 300, 2)));
        assert_eq!(object_header(&[0x50]), None);
        assert_eq!(object_header(&[0xff; 12]), None);
        // 0x85 0x05: (5 + 1) << 7 | 5.
        assert_eq!(base_offset(&[0x85, 0x05, 0xff]), Some((773, 2)));
        assert_eq!(base_offset(&[0x05]), Some((5, 1)));
        assert_eq!(base_offset(&[0xff; 12]), None);
        assert_eq!(
            delta_sizes(&[0x0a, 0x80, 0x80, 0x40]),
            Some((10, 1 << 20, 4))
        );
        assert_eq!(delta_sizes(&[0x0a, 0x80]), None);
    }

    #[test]
    fn a_delta_rebuilds_its_object_from_copies_and_inserts() {
        let base = b"the quick brown fox";
        // Sizes 19 and 16; copy 4 bytes from 4 ("quic"), insert "k red",
        // copy 3 from 16 ("fox"), insert " !" and a copy of 2 from 0.
        let delta = [
            19, 16, 0x91, 4, 4, 5, b'k', b' ', b'r', b'e', b'd', 0x91, 16, 3, 2, b' ', b'!', 0x90,
            2,
        ];
        assert_eq!(
            apply_delta(base, &delta, 100).as_deref(),
            Some(&b"quick redfox !th"[..])
        );
        // Too large for the bound, a base of another size, a copy past
        // the base, a zero opcode, a result short of its size.
        assert_eq!(apply_delta(base, &delta, 15), None);
        assert_eq!(apply_delta(b"short", &delta, 100), None);
        assert_eq!(apply_delta(base, &[19, 4, 0x91, 18, 4], 100), None);
        assert_eq!(apply_delta(base, &[19, 1, 0], 100), None);
        assert_eq!(apply_delta(base, &[19, 9, 2, b'a', b'b'], 100), None);
        // Size 0 stands for 64 KiB.
        let big = vec![7u8; 0x10000];
        let copy_all = [0x80, 0x80, 0x04, 0x80, 0x80, 0x04, 0x80];
        assert_eq!(apply_delta(&big, &copy_all, 1 << 20), Some(big.clone()));
    }
}
