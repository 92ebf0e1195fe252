//! Thrift compact protocol (THR), just enough for Parquet page headers: the
//! `parquet` crate parses footers but keeps its page-header parser private
//! and its page reader wants whole pages, which can exceed any budget.
//! Every length is checked against the bytes at hand, nesting is bounded,
//! and every element consumes at least one byte, so hostile counts cannot
//! make a loop outlast its input.

/// Deepest struct/list nesting skipped (real page headers nest three deep).
const MAX_DEPTH: u32 = 16;

pub(super) struct Compact<'a> {
    b: &'a [u8],
    pub(super) pos: usize,
}

impl<'a> Compact<'a> {
    pub(super) fn new(b: &'a [u8]) -> Self {
        Compact { b, pos: 0 }
    }

    fn byte(&mut self) -> Option<u8> {
        let v = *self.b.get(self.pos)?;
        self.pos += 1;
        Some(v)
    }

    fn varint(&mut self) -> Option<u64> {
        super::varint(self.b, &mut self.pos)
    }

    fn zigzag(&mut self) -> Option<i64> {
        self.varint().map(super::zigzag)
    }

    pub(super) fn i32(&mut self) -> Option<i32> {
        i32::try_from(self.zigzag()?).ok()
    }

    /// The next field header of a struct: (field id, type), or `None` at its stop byte.
    pub(super) fn field(&mut self, last: &mut i16) -> Option<Option<(i16, u8)>> {
        let h = self.byte()?;
        if h == 0 {
            return Some(None);
        }
        let ty = h & 0x0f;
        let id = match h >> 4 {
            0 => i16::try_from(self.zigzag()?).ok()?,
            delta => last.checked_add(i16::from(delta))?,
        };
        *last = id;
        Some(Some((id, ty)))
    }

    /// Skips a value of compact type `ty`.
    pub(super) fn skip(&mut self, ty: u8) -> Option<()> {
        self.skip_at(ty, 0)
    }

    fn skip_at(&mut self, ty: u8, depth: u32) -> Option<()> {
        if depth > MAX_DEPTH {
            return None;
        }
        match ty {
            // Booleans live in the field header (in lists they take a byte).
            1 | 2 => {}
            3 => {
                self.byte()?;
            }
            4..=6 => {
                self.varint()?;
            }
            7 => self.advance(8)?,
            8 => {
                let n = usize::try_from(self.varint()?).ok()?;
                self.advance(n)?;
            }
            9 | 10 => {
                let h = self.byte()?;
                let n = match h >> 4 {
                    15 => self.varint()?,
                    n => u64::from(n),
                };
                let elem = h & 0x0f;
                for _ in 0..n {
                    if elem == 1 || elem == 2 {
                        self.byte()?;
                    } else {
                        let before = self.pos;
                        self.skip_at(elem, depth + 1)?;
                        if self.pos == before {
                            return None;
                        }
                    }
                }
            }
            11 => {
                let n = self.varint()?;
                if n > 0 {
                    let kv = self.byte()?;
                    for _ in 0..n {
                        let before = self.pos;
                        self.skip_at(kv >> 4, depth + 1)?;
                        self.skip_at(kv & 0x0f, depth + 1)?;
                        if self.pos == before {
                            return None;
                        }
                    }
                }
            }
            12 => {
                let mut last = 0;
                while let Some((_, t)) = self.field(&mut last)? {
                    self.skip_at(t, depth + 1)?;
                }
            }
            13 => self.advance(16)?,
            _ => return None,
        }
        Some(())
    }

    fn advance(&mut self, n: usize) -> Option<()> {
        let end = self.pos.checked_add(n)?;
        if end > self.b.len() {
            return None;
        }
        self.pos = end;
        Some(())
    }
}

/// Parquet page types (PF thrift `PageType`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum PageKind {
    Data,
    Index,
    Dictionary,
    DataV2,
}

/// What a page header says, as far as finding values needs.
#[derive(Clone, Debug, Default, PartialEq)]
pub(super) struct PageHeader {
    pub kind: Option<PageKind>,
    pub uncompressed: i32,
    pub compressed: i32,
    /// Values in the page (data and dictionary pages).
    pub num_values: i32,
    /// Value encoding (0 PLAIN, 2 PLAIN_DICTIONARY, 8 RLE_DICTIONARY …).
    pub encoding: i32,
    /// Level encodings of a v1 data page (3 RLE, 4 BIT_PACKED).
    pub def_encoding: i32,
    pub rep_encoding: i32,
    /// v2: level byte lengths (uncompressed, ahead of the values).
    pub def_len: i32,
    pub rep_len: i32,
    /// v2: whether the values are compressed (default true).
    pub v2_compressed: bool,
    /// Length of the header itself.
    pub header_len: usize,
}

/// Parses a page header at the start of `b`; `None` when it is damaged or
/// does not end within `b`.
pub(super) fn page_header(b: &[u8]) -> Option<PageHeader> {
    let mut c = Compact::new(b);
    let mut h = PageHeader {
        v2_compressed: true,
        ..PageHeader::default()
    };
    let mut last = 0;
    while let Some((id, ty)) = c.field(&mut last)? {
        match (id, ty) {
            (1, 5) => {
                h.kind = Some(match c.i32()? {
                    0 => PageKind::Data,
                    1 => PageKind::Index,
                    2 => PageKind::Dictionary,
                    3 => PageKind::DataV2,
                    _ => return None,
                })
            }
            (2, 5) => h.uncompressed = c.i32()?,
            (3, 5) => h.compressed = c.i32()?,
            (5 | 7 | 8, 12) => {
                let mut last = 0;
                while let Some((sub, t)) = c.field(&mut last)? {
                    match (id, sub, t) {
                        (_, 1, 5) => h.num_values = c.i32()?,
                        (5 | 7, 2, 5) | (8, 4, 5) => h.encoding = c.i32()?,
                        (5, 3, 5) => h.def_encoding = c.i32()?,
                        (5, 4, 5) => h.rep_encoding = c.i32()?,
                        (8, 5, 5) => h.def_len = c.i32()?,
                        (8, 6, 5) => h.rep_len = c.i32()?,
                        (8, 7, 1 | 2) => h.v2_compressed = t == 1,
                        _ => c.skip(t)?,
                    }
                }
            }
            _ => c.skip(ty)?,
        }
    }
    h.kind?;
    if h.compressed < 0 || h.uncompressed < 0 || h.num_values < 0 || h.def_len < 0 || h.rep_len < 0
    {
        return None;
    }
    h.header_len = c.pos;
    Some(h)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dictionary_page_header_parses() {
        // type=2 (DICTIONARY), uncompressed=28944, compressed=100,
        // dictionary_page_header {num_values=3, encoding=0 PLAIN}.
        let mut b = vec![0x15, 0x04, 0x15];
        b.extend([0xa0, 0xc4, 0x03]); // zigzag(28944) = 57888
        b.extend([0x15, 0xc8, 0x01]); // 100
        b.extend([0x4c, 0x15, 0x06, 0x15, 0x00, 0x00]); // field 7 struct
        b.push(0x00);
        b.extend([0xde, 0xad]);
        let h = page_header(&b).unwrap();
        assert_eq!(h.kind, Some(PageKind::Dictionary));
        assert_eq!(
            (h.uncompressed, h.compressed, h.num_values, h.encoding),
            (28944, 100, 3, 0)
        );
        assert_eq!(h.header_len, b.len() - 2);
        assert!(page_header(&b[..b.len() - 3]).is_none(), "truncated");
    }

    #[test]
    fn v2_headers_and_skipped_statistics() {
        // type=3, sizes, crc (skipped), v2 header with a statistics struct holding binaries.
        let mut b = vec![0x15, 0x06, 0x15, 0x10, 0x15, 0x10, 0x15, 0x02];
        b.push(0x4c); // field 8 (delta 4) struct
        b.extend([0x15, 0x06]); // num_values 3
        b.extend([0x15, 0x00, 0x15, 0x06]); // num_nulls, num_rows
        b.extend([0x15, 0x00]); // encoding PLAIN
        b.extend([0x15, 0x04, 0x15, 0x00]); // def_len 2, rep_len 0
        b.push(0x12); // is_compressed = false
        b.extend([0x1c, 0x18, 0x02, b'a', b'b', 0x00]); // statistics {1: binary "ab"}
        b.extend([0x00, 0x00]);
        let h = page_header(&b).unwrap();
        assert_eq!(h.kind, Some(PageKind::DataV2));
        assert_eq!(
            (h.num_values, h.def_len, h.rep_len, h.v2_compressed),
            (3, 2, 0, false)
        );
    }

    #[test]
    fn hostile_headers_end_without_looping() {
        assert!(page_header(&[]).is_none());
        assert!(page_header(&[0x00]).is_none(), "no page type");
        assert!(page_header(&[0x15, 0x0a, 0x00]).is_none(), "page type 5");
        assert!(
            page_header(&[0x15, 0x04, 0x15, 0x01, 0x00]).is_none(),
            "negative size"
        );
        // A list declaring 2^32 elements of empty structs in 3 bytes.
        let mut c = Compact::new(&[0xfc, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x00]);
        assert!(c.skip(9).is_none());
        // Nested structs beyond the depth bound.
        let deep = vec![0x1c; 100];
        assert!(Compact::new(&deep).skip(12).is_none());
        // A binary longer than the input.
        assert!(Compact::new(&[0x80, 0x80, 0x04, 0x01]).skip(8).is_none());
        // A map of zero-byte elements does not spin.
        assert!(Compact::new(&[0xff, 0xff, 0x03, 0x11]).skip(11).is_none());
    }
}
