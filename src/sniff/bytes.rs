//! Bounds-checked integer reads: every parser here faces attacker-chosen bytes,
//! so a short buffer yields `None`, never a panic.

pub(crate) fn get(b: &[u8], at: usize, len: usize) -> Option<&[u8]> {
    b.get(at..at.checked_add(len)?)
}

pub(crate) fn u8_at(b: &[u8], at: usize) -> Option<u8> {
    b.get(at).copied()
}

pub(crate) fn be16(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes(get(b, at, 2)?.try_into().ok()?))
}

pub(crate) fn le16(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(get(b, at, 2)?.try_into().ok()?))
}

pub(crate) fn be32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(get(b, at, 4)?.try_into().ok()?))
}

pub(crate) fn le32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(get(b, at, 4)?.try_into().ok()?))
}

pub(crate) fn be64(b: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_be_bytes(get(b, at, 8)?.try_into().ok()?))
}

pub(crate) fn le64(b: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_le_bytes(get(b, at, 8)?.try_into().ok()?))
}

/// An unsigned LEB128 (protobuf, Thrift compact and Snappy varint) at
/// `pos`, which it passes; `None` when cut short or longer than 64 bits.
pub(crate) fn varint(b: &[u8], pos: &mut usize) -> Option<u64> {
    let mut v = 0u64;
    for shift in (0..64).step_by(7) {
        let byte = *b.get(*pos)?;
        *pos += 1;
        v |= u64::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            return Some(v);
        }
    }
    None
}

pub(crate) fn starts(b: &[u8], at: usize, magic: &[u8]) -> bool {
    get(b, at, magic.len()) == Some(magic)
}

/// Position of `needle` in `hay`, if any.
pub(crate) fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() || hay.len() < needle.len() {
        return None;
    }
    memchr::memmem::find(hay, needle)
}

/// A searcher for a fixed needle, built on first use: building one costs
/// more than searching a short head with it, and every head is searched.
macro_rules! needle {
    ($bytes:expr) => {{
        static FINDER: std::sync::LazyLock<memchr::memmem::Finder<'static>> =
            std::sync::LazyLock::new(|| memchr::memmem::Finder::new($bytes));
        &*FINDER
    }};
}
pub(crate) use needle;

/// Every `needle` of `finder` in `hay`, in order, none overlapping, as
/// `Finder::find_iter` finds them. That iterator starts from a copy of the
/// finder's searcher, hundreds of bytes: over a short head the copy cost
/// more than the search itself.
pub(crate) fn find_all<'a>(
    finder: &'a memchr::memmem::Finder<'static>,
    hay: &'a [u8],
) -> impl Iterator<Item = usize> + 'a {
    let step = finder.needle().len().max(1);
    let mut from = 0;
    std::iter::from_fn(move || {
        let at = from + finder.find(hay.get(from..)?)?;
        from = at + step;
        Some(at)
    })
}

/// The first `needle` in `hay`, found from its first byte. Over a KiB in
/// which that byte is rare (the `%` of `%PDF` in text or in random bytes),
/// skipping to each of its places costs less than a general searcher's
/// pass over every 32-byte block.
pub(crate) fn find_from_first(hay: &[u8], needle: &[u8]) -> Option<usize> {
    let (&first, _) = needle.split_first()?;
    memchr::memchr_iter(first, hay).find(|&at| hay[at..].starts_with(needle))
}

/// Every `needle` in `hay`, in order, found from its byte at `pivot`.
/// Where that byte is rare and the others are not (the `BA` of an MPEG
/// pack header `00 00 01 BA` in binary full of zeros and ones), skipping
/// to each of its places costs less than a general searcher, which looks
/// for the two bytes it guesses rarest.
pub(crate) fn find_iter_by<'a>(
    hay: &'a [u8],
    needle: &'a [u8],
    pivot: usize,
) -> impl Iterator<Item = usize> + 'a {
    let byte = needle.get(pivot).copied();
    let rest = hay
        .get(pivot..)
        .filter(|_| byte.is_some())
        .unwrap_or_default();
    memchr::memchr_iter(byte.unwrap_or_default(), rest)
        .filter(move |&at| hay[at..].starts_with(needle))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sniff::testutil::pseudo_random;

    #[test]
    fn finding_by_a_pivot_byte_finds_every_place_a_searcher_finds() {
        let needle = b"\x00\x00\x01\xba";
        for seed in 0..300u64 {
            // Zeros and ones everywhere, the needle and its cut-off heads
            // at a few places.
            let mut hay: Vec<u8> = pseudo_random(200 + (seed as usize % 700), seed)
                .iter()
                .map(|&b| if b < 200 { b & 1 } else { b })
                .collect();
            let len = hay.len();
            for i in 0..4 {
                let at = (seed as usize * 37 + i * 151) % len;
                let piece = &needle[..4 - i % 2];
                let end = (at + piece.len()).min(len);
                hay[at..end].copy_from_slice(&piece[..end - at]);
            }
            let expected: Vec<usize> = memchr::memmem::find_iter(&hay, needle).collect();
            for pivot in 0..4 {
                let found: Vec<usize> = find_iter_by(&hay, needle, pivot).collect();
                assert_eq!(found, expected, "seed {seed}, pivot {pivot}");
            }
        }
        assert_eq!(find_iter_by(b"\x00\x01\xba", needle, 3).count(), 0);
        assert_eq!(find_iter_by(needle, needle, 9).count(), 0);
    }

    #[test]
    fn finding_all_with_a_held_finder_finds_what_its_iterator_finds() {
        let finder = memchr::memmem::Finder::new(b"aa").into_owned();
        assert_eq!(find_all(&finder, b"aaaaa").collect::<Vec<_>>(), [0, 2]);
        assert_eq!(find_all(&finder, b"").count(), 0);
        for seed in 0..200u64 {
            let hay: Vec<u8> = pseudo_random(100 + seed as usize * 7, seed)
                .iter()
                .map(|&b| b"aPK\x03\x04"[b as usize % 5])
                .collect();
            for needle in [&b"PK\x03\x04"[..], b"aa", b"a"] {
                let finder = memchr::memmem::Finder::new(needle).into_owned();
                assert_eq!(
                    find_all(&finder, &hay).collect::<Vec<_>>(),
                    finder.find_iter(&hay).collect::<Vec<_>>(),
                    "seed {seed}"
                );
            }
        }
    }

    #[test]
    fn finding_from_the_first_byte_finds_what_a_searcher_finds() {
        for seed in 0..500u64 {
            let mut hay = pseudo_random(300 + (seed as usize % 900), seed);
            // Near misses and the needle itself, at the start, inside, and
            // cut by the end.
            let len = hay.len();
            for (i, piece) in [&b"%PD"[..], b"%%PDF", b"%PDF-", b"%PDF"]
                .iter()
                .enumerate()
            {
                let at = (seed as usize * 31 + i * 97) % len;
                let end = (at + piece.len()).min(len);
                hay[at..end].copy_from_slice(&piece[..end - at]);
            }
            for needle in [&b"%PDF-"[..], b"%PDF", b"%"] {
                assert_eq!(
                    find_from_first(&hay, needle),
                    memchr::memmem::find(&hay, needle),
                    "seed {seed}"
                );
            }
        }
        assert_eq!(find_from_first(b"abc", b""), None);
        assert_eq!(find_from_first(b"", b"%PDF"), None);
    }
}
