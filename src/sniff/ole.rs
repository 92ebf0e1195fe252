//! OLE2 compound files (MS-CFB): encrypted OOXML packages (MS-OFFCRYPTO) and
//! legacy binary Office documents whose protection is RC4 or XOR
//! obfuscation (formats.md §2: weak and broken respectively).
//!
//! Only what grading needs is read: the header, the FAT sectors on the way to
//! the directory, the directory, and the first sector of the document stream.
//! Sectors outside the sample are asked for through [`Sniff::wants`].

use std::ops::Range;

use super::{Class, Encryption, Sample, Sniff};

const MAGIC: &[u8] = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1";
const END_OF_CHAIN: u32 = 0xFFFF_FFFE;
/// Directory sectors followed at most (4 entries each at 512-byte sectors).
const MAX_DIR_SECTORS: usize = 64;

struct Compound<'s, 'a> {
    s: &'s Sample<'a>,
    sector: u64,
    wants: Vec<Range<u64>>,
}

struct Entry {
    name: String,
    start: u32,
    size: u64,
}

impl Compound<'_, '_> {
    fn offset(&self, sector: u32) -> u64 {
        (u64::from(sector) + 1) * self.sector
    }

    /// `len` bytes at `offset`, or a note that they are wanted.
    fn read(&mut self, offset: u64, len: usize) -> Option<&[u8]> {
        if offset + len as u64 > self.s.size {
            return None;
        }
        let got = self.s.at(offset, len);
        if got.is_none() {
            // A whole sector, but never past the object's end: the pipeline
            // drops a wish that is (found by cargo-fuzz: a directory in the
            // last, short sector was never read).
            let end = (offset + self.sector.max(len as u64)).min(self.s.size);
            self.wants.push(offset..end);
        }
        got
    }

    fn u32_at(&mut self, offset: u64) -> Option<u32> {
        self.read(offset, 4)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    /// The sector after `sector` in its chain, through the FAT. Only FAT
    /// sectors listed in the header (the first 109) are followed.
    fn next(&mut self, sector: u32) -> Option<u32> {
        let per = (self.sector / 4) as u32;
        let index = sector / per;
        if index >= 109 {
            return None;
        }
        let fat = self.u32_at(0x4C + 4 * u64::from(index))?;
        self.u32_at(self.offset(fat) + 4 * u64::from(sector % per))
    }

    fn directory(&mut self) -> Vec<Entry> {
        let mut entries = Vec::new();
        let Some(mut sector) = self.u32_at(0x30) else {
            return entries;
        };
        // A chain that comes back to a sector (1 -> 1, 1 -> 3 -> 1) is read once.
        let mut seen: Vec<u32> = Vec::with_capacity(MAX_DIR_SECTORS);
        for _ in 0..MAX_DIR_SECTORS {
            if sector >= 0xFFFF_FFFA || seen.contains(&sector) {
                break;
            }
            seen.push(sector);
            let at = self.offset(sector);
            let Some(bytes) = self.read(at, self.sector as usize).map(<[u8]>::to_vec) else {
                break;
            };
            for e in bytes.chunks_exact(128) {
                let len = usize::from(u16::from_le_bytes([e[64], e[65]])).min(64);
                if e[66] != 2 || len < 2 {
                    continue;
                }
                let units: Vec<u16> = e[..len - 2]
                    .chunks_exact(2)
                    .map(|c| u16::from_le_bytes([c[0], c[1]]))
                    .collect();
                entries.push(Entry {
                    name: String::from_utf16_lossy(&units),
                    start: u32::from_le_bytes([e[116], e[117], e[118], e[119]]),
                    size: u64::from(u32::from_le_bytes([e[120], e[121], e[122], e[123]])),
                });
            }
            match self.next(sector) {
                Some(n) if n != END_OF_CHAIN => sector = n,
                _ => break,
            }
        }
        entries
    }

    /// The first bytes of a stream held in regular sectors (streams under the
    /// 4096-byte cutoff live in the mini stream and are not followed).
    fn stream_head(&mut self, entry: &Entry, len: usize) -> Option<Vec<u8>> {
        if entry.size < 4096 {
            return None;
        }
        let at = self.offset(entry.start);
        self.read(at, len.min(self.sector as usize))
            .map(<[u8]>::to_vec)
    }
}

pub(crate) fn detect(s: &Sample) -> Option<Sniff> {
    if !s.head.starts_with(MAGIC) || s.head.len() < 512 {
        return None;
    }
    let shift = u16::from_le_bytes([s.head[30], s.head[31]]);
    if !(shift == 9 || shift == 12) {
        return None;
    }
    let mut cf = Compound {
        s,
        sector: 1 << shift,
        wants: Vec::new(),
    };
    let entries = cf.directory();
    let find = |name: &str| entries.iter().find(|e| e.name.eq_ignore_ascii_case(name));
    let sealed = |format: &'static str, grade: Encryption, scheme: &str| {
        Sniff::new(
            format,
            Some("application/x-ole-storage"),
            Class::Encrypted,
            grade,
        )
        .with("magic", "OLE2 compound file")
        .with("scheme", scheme)
    };
    if find("EncryptedPackage").is_some() {
        return Some(
            sealed(
                "ms-offcrypto",
                Encryption::Encrypted,
                "MS-OFFCRYPTO (Standard or Agile AES)",
            )
            .with("stream", "EncryptedPackage"),
        );
    }
    if let Some(doc) = find("WordDocument") {
        if let Some(fib) = cf.stream_head(doc, 12) {
            let flags = u16::from_le_bytes([fib[10], fib[11]]);
            if fib[..2] == [0xEC, 0xA5] && flags & 0x0100 != 0 {
                let scheme = if flags & 0x8000 != 0 {
                    "Word XOR obfuscation (broken)"
                } else {
                    "Word RC4 / RC4 CryptoAPI (weak)"
                };
                return Some(
                    sealed("doc", Encryption::Weak, scheme).with("flag", "FIB fEncrypted"),
                );
            }
            return Some(plain("doc", "application/msword"));
        }
    }
    for name in ["Workbook", "Book"] {
        let Some(book) = find(name) else { continue };
        let Some(head) = cf.stream_head(book, 64) else {
            continue;
        };
        // BOF, then FILEPASS right after it when the workbook is protected.
        let bof_len = usize::from(u16::from_le_bytes([head[2], head[3]]));
        let at = 4 + bof_len;
        if head[..2] == [0x09, 0x08] && head.len() >= at + 6 {
            let kind = u16::from_le_bytes([head[at], head[at + 1]]);
            if kind == 0x002F {
                let scheme = match u16::from_le_bytes([head[at + 4], head[at + 5]]) {
                    0 => "Excel XOR obfuscation (broken)",
                    _ => "Excel RC4 / RC4 CryptoAPI (weak)",
                };
                return Some(sealed("xls", Encryption::Weak, scheme).with("record", "FILEPASS"));
            }
        }
        return Some(plain("xls", "application/vnd.ms-excel"));
    }
    let mut sniff = plain("ole2", "application/x-ole-storage");
    if !cf.wants.is_empty() {
        cf.wants.sort_by_key(|r| r.start);
        cf.wants.dedup();
        cf.wants.truncate(3);
        sniff = sniff.wanting(cf.wants);
    }
    Some(sniff)
}

fn plain(format: &'static str, mime: &'static str) -> Sniff {
    Sniff::new(format, Some(mime), Class::Other, Encryption::None)
        .with("magic", "OLE2 compound file")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A one-stream compound file: header, stream sectors, directory, FAT.
    fn compound(name: &str, stream: &[u8]) -> Vec<u8> {
        let n = stream.len().div_ceil(512) as u32;
        let (dir, fat) = (n, n + 1);
        let mut f = MAGIC.to_vec();
        f.resize(512, 0);
        f[30] = 9;
        f[44..48].copy_from_slice(&1u32.to_le_bytes());
        f[48..52].copy_from_slice(&dir.to_le_bytes());
        f[0x4C..0x50].copy_from_slice(&fat.to_le_bytes());
        let mut body = stream.to_vec();
        body.resize(n as usize * 512, 0);
        f.extend(body);
        let mut d = vec![0u8; 512];
        let units: Vec<u8> = name.encode_utf16().flat_map(u16::to_le_bytes).collect();
        d[..units.len()].copy_from_slice(&units);
        d[64..66].copy_from_slice(&(units.len() as u16 + 2).to_le_bytes());
        d[66] = 2;
        d[116..120].copy_from_slice(&0u32.to_le_bytes());
        d[120..124].copy_from_slice(&(stream.len() as u32).to_le_bytes());
        f.extend(d);
        let mut table: Vec<u32> = (1..n).collect();
        table.extend([END_OF_CHAIN, END_OF_CHAIN, 0xFFFF_FFFD]);
        table.resize(128, 0xFFFF_FFFF);
        f.extend(table.iter().flat_map(|v| v.to_le_bytes()));
        f
    }

    fn sniff(b: &[u8]) -> Sniff {
        detect(&Sample::new(b.len() as u64, b, &[])).unwrap()
    }

    #[test]
    fn word_flags_grade_rc4_and_xor() {
        let mut fib = vec![0u8; 4096];
        fib[..2].copy_from_slice(&[0xEC, 0xA5]);
        assert_eq!(
            sniff(&compound("WordDocument", &fib)).encryption,
            Encryption::None
        );
        fib[10..12].copy_from_slice(&0x0100u16.to_le_bytes());
        let s = sniff(&compound("WordDocument", &fib));
        assert_eq!((&*s.format, s.encryption), ("doc", Encryption::Weak));
        fib[10..12].copy_from_slice(&0x8100u16.to_le_bytes());
        assert!(sniff(&compound("WordDocument", &fib)).evidence["scheme"]
            .to_string()
            .contains("XOR"));
    }

    #[test]
    fn excel_filepass_and_ooxml_package() {
        let mut book = vec![0x09, 0x08, 4, 0, 0, 6, 5, 0, 0x2F, 0, 6, 0, 1, 0];
        book.resize(4096, 0);
        let s = sniff(&compound("Workbook", &book));
        assert_eq!((&*s.format, s.encryption), ("xls", Encryption::Weak));
        let s = sniff(&compound("EncryptedPackage", &[7u8; 4096]));
        assert_eq!(s.encryption, Encryption::Encrypted);
    }

    #[test]
    fn a_directory_beyond_the_sample_is_wanted() {
        let file = compound("WordDocument", &[0u8; 8192]);
        let s = detect(&Sample::new(file.len() as u64, &file[..1024], &[])).unwrap();
        assert_eq!(s.format, "ole2");
        assert!(!s.wants.is_empty());
    }

    /// The hostile corpus's FAT loops, impossible sector shifts and
    /// directory claims: each ends with a bounded read, never a panic.
    #[test]
    fn fat_loops_and_impossible_headers_end() {
        let mut fib = vec![0u8; 4096];
        fib[..2].copy_from_slice(&[0xEC, 0xA5]);
        let file = compound("WordDocument", &fib);
        let fat_at = file.len() - 512;
        let dir_sector = 8u32; // 8 stream sectors (0-7), then the directory
                               // The directory's FAT entry points at itself: read once, not 64 times.
        let mut looped = file.clone();
        let at = fat_at + 4 * dir_sector as usize;
        looped[at..at + 4].copy_from_slice(&dir_sector.to_le_bytes());
        let s = sniff(&looped);
        assert_eq!(s.format, "doc");
        // Sector shift 30 (1 GiB sectors) is not a compound file; a directory
        // at sector 0xFFFFFFF0 (offset ~2^44) is not read.
        let mut shift = file.clone();
        shift[30] = 30;
        assert!(detect(&Sample::new(shift.len() as u64, &shift, &[])).is_none());
        let mut far = file.clone();
        far[48..52].copy_from_slice(&0xFFFF_FFF0u32.to_le_bytes());
        assert_eq!(sniff(&far).format, "ole2");
        // 2^32 - 1 FAT and DIFAT sectors claimed: only the header's 109 are used.
        let mut claims = file;
        claims[44..48].copy_from_slice(&u32::MAX.to_le_bytes());
        claims[68..76].copy_from_slice(&[0xff; 8]);
        assert_eq!(sniff(&claims).format, "doc");
    }

    /// Found by cargo-fuzz: a sector wanted near the end of a file whose
    /// last sector is short reached past the object, and the reader drops
    /// such a wish.
    #[test]
    fn wanted_sectors_end_at_the_object() {
        let file = compound("Contents", &[0u8; 8192]);
        // Header, stream and directory read; the FAT sector after them, cut
        // short by 100 bytes, is wanted from the entry the walk needs.
        let size = file.len() as u64 - 100;
        let s = detect(&Sample::new(size, &file[..file.len() - 512], &[])).unwrap();
        assert!(!s.wants.is_empty());
        assert!(
            s.wants.iter().all(|w| w.start < w.end && w.end <= size),
            "{:?}",
            s.wants
        );
    }
}
