//! cpio archives: the portable ASCII format (`070707`, "odc"), the SVR4
//! "newc" format (`070701`, and `070702` with checksums, as initramfs and
//! RPM payloads use) and the old binary format (`0x71C7` in either byte
//! order). Pure parsing; the walk is in `unpack::cpio`.

/// Longest member name accepted (with its NUL): Linux paths stop at 4 KiB.
pub(crate) const MAX_NAME: u64 = 4096;
/// The name of the entry that ends an archive.
pub(crate) const TRAILER: &[u8] = b"TRAILER!!!";

/// Which of the cpio header formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    Odc,
    Newc,
    Crc,
    BinaryLe,
    BinaryBe,
}

impl Kind {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Kind::Odc => "odc (070707)",
            Kind::Newc => "newc (070701)",
            Kind::Crc => "crc (070702)",
            Kind::BinaryLe => "old binary, little-endian",
            Kind::BinaryBe => "old binary, big-endian",
        }
    }

    fn header_len(self) -> u64 {
        match self {
            Kind::Odc => 76,
            Kind::Newc | Kind::Crc => 110,
            Kind::BinaryLe | Kind::BinaryBe => 26,
        }
    }

    /// Alignment of the name's end and of the data's end.
    fn align(self) -> u64 {
        match self {
            Kind::Odc => 1,
            Kind::Newc | Kind::Crc => 4,
            Kind::BinaryLe | Kind::BinaryBe => 2,
        }
    }
}

/// One entry header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Header {
    pub kind: Kind,
    pub mode: u32,
    /// Length of the name, its NUL included.
    pub name_len: u64,
    pub size: u64,
}

impl Header {
    /// Offset of the name from the header's start.
    pub(crate) fn name_at(&self) -> u64 {
        self.kind.header_len()
    }

    /// Offset of the data from the header's start.
    pub(crate) fn data_at(&self) -> u64 {
        (self.kind.header_len() + self.name_len).next_multiple_of(self.kind.align())
    }

    /// Offset of the next header from this header's start, or `None` when it
    /// does not fit in a u64.
    pub(crate) fn next(&self) -> Option<u64> {
        self.data_at()
            .checked_add(self.size)?
            .checked_next_multiple_of(self.kind.align())
    }

    /// A regular file (not a directory, link, device or fifo).
    pub(crate) fn is_file(&self) -> bool {
        self.mode & 0o170000 == 0o100000
    }
}

/// Parses the header at the start of `b` (which must hold all of it).
pub(crate) fn header(b: &[u8]) -> Option<Header> {
    let kind = match b.get(..6)? {
        b"070707" => Kind::Odc,
        b"070701" => Kind::Newc,
        b"070702" => Kind::Crc,
        _ => match b.get(..2)? {
            [0xc7, 0x71] => Kind::BinaryLe,
            [0x71, 0xc7] => Kind::BinaryBe,
            _ => return None,
        },
    };
    let h = b.get(..kind.header_len() as usize)?;
    let (mode, name_len, size) = match kind {
        Kind::Odc => {
            let f = |at: usize, len: usize| number(&h[at..at + len], 8);
            // Every field is octal digits: a strong check over 70 bytes.
            for (at, len) in [
                (6, 6),
                (12, 6),
                (18, 6),
                (24, 6),
                (30, 6),
                (36, 6),
                (42, 6),
                (48, 11),
            ] {
                f(at, len)?;
            }
            (f(18, 6)?, f(59, 6)?, f(65, 11)?)
        }
        Kind::Newc | Kind::Crc => {
            let f = |i: usize| number(&h[6 + 8 * i..14 + 8 * i], 16);
            for i in 0..13 {
                f(i)?;
            }
            (f(1)?, f(11)?, f(6)?)
        }
        Kind::BinaryLe | Kind::BinaryBe => {
            let w = |i: usize| {
                let p = [h[2 * i], h[2 * i + 1]];
                u64::from(if kind == Kind::BinaryLe {
                    u16::from_le_bytes(p)
                } else {
                    u16::from_be_bytes(p)
                })
            };
            // 32-bit values are stored as two 16-bit words, high word first.
            (w(3), w(10), w(11) << 16 | w(12))
        }
    };
    Some(Header {
        kind,
        mode: u32::try_from(mode).ok()?,
        name_len,
        size,
    })
}

/// A fixed-width field of digits in `radix`, all of them digits.
fn number(f: &[u8], radix: u32) -> Option<u64> {
    let s = std::str::from_utf8(f).ok()?;
    if !s.bytes().all(|c| (c as char).is_digit(radix)) {
        return None;
    }
    u64::from_str_radix(s, radix).ok()
}

/// A name as stored (NUL-terminated, `name_len` bytes with the NUL).
pub(crate) fn name(b: &[u8]) -> String {
    let end = b.iter().position(|&c| c == 0).unwrap_or(b.len());
    String::from_utf8_lossy(&b[..end]).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn newc(name: &str, mode: u32, size: u64) -> Vec<u8> {
        let mut v = b"070701".to_vec();
        for f in [
            1,
            mode as u64,
            0,
            0,
            1,
            0,
            size,
            0,
            0,
            0,
            0,
            name.len() as u64 + 1,
            0,
        ] {
            v.extend(format!("{f:08x}").as_bytes());
        }
        v
    }

    #[test]
    fn newc_odc_and_binary_headers() {
        let h = header(&newc("a.wav", 0o100644, 1000)).unwrap();
        assert_eq!(
            (h.kind, h.size, h.name_len, h.is_file()),
            (Kind::Newc, 1000, 6, true)
        );
        assert_eq!((h.data_at(), h.next()), (116, Some(1116)));
        let odc = concat!(
            "070707",
            "000001",
            "000002",
            "100644",
            "000000",
            "000000",
            "000001",
            "000000",
            "00000000000",
            "000006",
            "00000017760",
            "a.wav\0"
        );
        let h = header(odc.as_bytes()).unwrap();
        assert_eq!(
            (h.kind, h.mode, h.name_len, h.size),
            (Kind::Odc, 0o100644, 6, 0o17760)
        );
        assert_eq!(h.data_at(), 82);
        let mut bin = vec![0xc7, 0x71, 0, 0, 0, 0, 0xa4, 0x81];
        bin.extend([0u8; 12]);
        bin.extend([6, 0, 1, 0, 0x10, 0x00]);
        let h = header(&bin).unwrap();
        assert_eq!(
            (h.kind, h.mode, h.name_len, h.size),
            (Kind::BinaryLe, 0o100644, 6, 0x10010)
        );
        assert_eq!(h.data_at(), 32);
    }

    #[test]
    fn non_digits_and_huge_sizes_are_handled() {
        let mut v = newc("a", 0o100644, 5);
        v[20] = b'g';
        assert!(header(&v).is_none());
        let mut v = newc("a", 0o100644, 0);
        v[54..62].copy_from_slice(b"ffffffff");
        let h = header(&v).unwrap();
        assert_eq!(h.size, 0xffff_ffff);
        assert!(h.next().is_some());
        assert!(header(&b"070701"[..]).is_none());
    }
}
