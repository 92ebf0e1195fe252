//! Everything else `infer` knows (images, documents, executables, fonts …):
//! named so the inventory is readable, never classed as audio or video (our own
//! detectors are authoritative there), and distrusted where infer's magic is
//! two bytes long and random data would match it (formats.md §1.6).
//!
//! Uncompressed raster formats that infer does not know (SGI, FITS, PFM and
//! netpbm, TGA) are recognised here too: their rows are smooth runs of 8-,
//! 16- or 32-bit samples, exactly what the headerless-PCM statistics look
//! for, so they must be named before those statistics run (formats.md §2.4).
//! So are biosignal recordings (EDF, BDF), for the same reason.

use super::bytes::{be16, be32, be64, get, le16, le32, le64, starts, u8_at};
use super::entropy::Randomness;
use super::{Class, Encryption, Sample, Sniff};

/// infer types whose test is too short to stand on its own.
const WEAK_MAGIC: &[&str] = &[
    "bmp", "exe", "dll", "der", "crt", "obj", "bc", "Z", "cpio", "sh", "ps", "jxl", "jxr", "mp3",
    "aac",
];

pub(crate) fn detect(s: &Sample) -> Option<Sniff> {
    raster(s)
        .or_else(|| disk_image(s))
        .or_else(|| by_infer(s))
        .or_else(|| pyc(s))
}

/// File system and virtual disk images: containers of files that are not
/// walked, so they are named (class compressed, as SQLite is) and the
/// walk reports that their files were not inspected. Each is checked
/// beyond its magic where the structure allows: a sector size, a version,
/// a block size.
fn disk_image(s: &Sample) -> Option<Sniff> {
    let h = s.head;
    // Most heads fail at the first test that applies to them: a magic at
    // 0 is one compare of four bytes; the rest need a head long enough.
    let (format, what) = match get(h, 0, 4)? {
        b"hsqs" if le16(h, 28) == Some(4) => ("squashfs", "squashfs 4 superblock at 0"),
        b"sqsh" if be16(h, 28) == Some(4) => ("squashfs", "squashfs 4 superblock at 0"),
        b"XFSB"
            if be32(h, 4).is_some_and(|b| (512..=65536).contains(&b) && b.is_power_of_two()) =>
        {
            ("xfs", "XFS superblock at 0")
        }
        b"QFI\xfb" if be32(h, 4).is_some_and(|v| (1..=3).contains(&v)) => {
            ("qcow2", "QEMU copy-on-write header at 0")
        }
        b"KDMV" if le32(h, 4).is_some_and(|v| (1..=3).contains(&v)) => {
            ("vmdk", "VMware sparse extent header at 0")
        }
        b"vhdx" if starts(h, 4, b"file") => ("vhdx", "VHDX file identifier at 0"),
        b"cone" if starts(h, 4, b"ctix") && starts(h, 512, b"cxsparse") => {
            ("vhd", "VHD footer copy and dynamic header at 0")
        }
        _ if h.len() < 68 => return None,
        _ if starts(h, 32, b"NXSB") => ("apfs", "APFS container superblock at 32"),
        _ if le32(h, 64) == Some(0xbeda_107f) => ("vdi", "VirtualBox disk image signature at 64"),
        _ if h.len() < 520 => return None,
        _ => match boot_sector(h) {
            Some(found) => found,
            None => image_further_in(h)?,
        },
    };
    Some(Sniff::new(format, None, Class::Compressed, Encryption::None).with("magic", what))
}

/// An archive or data store atrest does not walk, by the header at the
/// start of `h` (the first bytes of an object of `size` bytes): its name
/// and what named it. Not a format of its own: its bytes are judged as
/// bytes no format explains (a store's uncompressed samples or stored
/// MP3s are found so), and the walk says its contents were not read.
pub(crate) fn unwalked_store(h: &[u8], size: u64) -> Option<(&'static str, &'static str)> {
    Some(
        if starts(h, 0, b"MSWIM\0\0\0") && le32(h, 8).is_some_and(|n| n >= 0xd0) {
            ("wim", "WIM header at 0")
        } else if starts(h, 8, b"DUCK") && le64(h, 12).is_some_and(|v| v > 0 && v < 1 << 16) {
            ("duckdb", "DuckDB main header at 8")
        } else if starts(h, 0, &[0x60, 0xea])
            && le16(h, 2).is_some_and(|n| (30..=2600).contains(&n))
            && u8_at(h, 4).is_some_and(|n| (30..=34).contains(&n))
        {
            ("arj", "ARJ main header at 0")
        } else if starts(h, 0, b"ORC")
            // Whole, its postscript (the last byte its length) ends in
            // the magic too.
            && ((h.len() as u64) < size || h.len() > 4 && h[..h.len() - 1].ends_with(b"ORC"))
        {
            ("orc", "ORC magic at 0")
        } else {
            return None;
        },
    )
}

/// Images whose marks lie further in than a boot sector's: a GPT header,
/// an HFS+ or ext superblock, an ISO 9660 or UDF descriptor (behind a
/// hybrid image's boot sector too).
fn image_further_in(h: &[u8]) -> Option<(&'static str, &'static str)> {
    let nsr = |k: usize| {
        let at = 32769 + 2048 * k;
        starts(h, at, b"NSR02") || starts(h, at, b"NSR03")
    };
    if starts(h, 512, b"EFI PART") || starts(h, 4096, b"EFI PART") {
        Some(("gpt-disk", "GPT header at LBA 1"))
    } else if (starts(h, 1024, b"H+") || starts(h, 1024, b"HX"))
        && be16(h, 1026).is_some_and(|v| v == 4 || v == 5)
    {
        Some(("hfsplus", "HFS+ volume header at 1024"))
    } else if le16(h, 1080) == Some(0xef53)
        && le32(h, 1048).is_some_and(|b| b <= 6)
        && le32(h, 1100).is_some_and(|r| r <= 1)
        && le32(h, 1028).is_some_and(|b| b > 0)
    {
        Some(("ext", "ext2/3/4 superblock at 1024"))
    } else if starts(h, 32769, b"CD001") && u8_at(h, 32774) == Some(1) {
        Some(("iso9660", "ISO 9660 volume descriptor at 32769"))
    } else if (starts(h, 32769, b"BEA01") || starts(h, 34817, b"BEA01")) && (0..8).any(nsr) {
        Some(("udf", "UDF volume recognition sequence at 32769"))
    } else {
        None
    }
}

/// A boot sector's file system (`55 AA` at 510): FAT (a sector size, a
/// power-of-two cluster, the type's name), exFAT or NTFS.
fn boot_sector(h: &[u8]) -> Option<(&'static str, &'static str)> {
    if !starts(h, 510, &[0x55, 0xaa]) {
        return None;
    }
    let sector = |at: usize| le16(h, at).is_some_and(|b| matches!(b, 512 | 1024 | 2048 | 4096));
    if sector(11)
        && u8_at(h, 13).is_some_and(|c| c.is_power_of_two())
        && (starts(h, 54, b"FAT1") || starts(h, 82, b"FAT32   "))
    {
        Some(("fat", "FAT boot sector at 0"))
    } else if starts(h, 3, b"EXFAT   ") {
        Some(("exfat", "exFAT boot sector at 0"))
    } else if starts(h, 3, b"NTFS    ") && sector(11) {
        Some(("ntfs", "NTFS boot sector at 0"))
    } else {
        None
    }
}

/// Compiled Python: a version magic and `\r\n`, then (3.7 on, PEP 552)
/// a flags word of 0–3, and a marshalled code object (`c`, with or without
/// the reference flag) where that version's header ends. Named, it is not
/// read past the head: the line tables of a large module of constants
/// (`html.entities`) read as smooth 32-bit samples.
fn pyc(s: &Sample) -> Option<Sniff> {
    let h = s.head;
    if h.get(2..4)? != b"\r\n" {
        return None;
    }
    let magic = u16::from_le_bytes([h[0], h[1]]);
    let code_at = match magic {
        3390..=4000 if u32::from_le_bytes(h.get(4..8)?.try_into().ok()?) <= 3 => 16,
        3190..=3389 => 12,
        3000..=3189 | 20000..=62300 => 8,
        _ => return None,
    };
    if *h.get(code_at)? & 0x7f != b'c' {
        return None;
    }
    Some(
        Sniff::new(
            "pyc",
            Some("application/x-python-code"),
            Class::Other,
            Encryption::None,
        )
        .with("magic", format!("Python bytecode (magic {magic}) at 0")),
    )
}

/// The file system and disk images [`disk_image`] names: containers whose
/// header says nothing of the bytes after it, so those are searched and
/// judged as behind any signature (a FAT image's headerless samples, or
/// samples behind eight bytes of `XFSB`), and then reported not walked.
pub(crate) fn is_disk_image(format: &str) -> bool {
    matches!(
        format,
        "iso9660"
            | "udf"
            | "squashfs"
            | "ext"
            | "fat"
            | "exfat"
            | "ntfs"
            | "xfs"
            | "hfsplus"
            | "apfs"
            | "gpt-disk"
            | "qcow2"
            | "vmdk"
            | "vhdx"
            | "vhd"
            | "vdi"
    )
}

/// Documents and fonts infer counts as archives: not containers of files
/// (PDF attachments are a documented blind spot).
pub(crate) fn is_document(format: &str) -> bool {
    matches!(format, "pdf" | "ps" | "rtf" | "eot")
}

/// Does a known non-audio signature start the object? An unanchored search
/// for audio frames (which may start after junk) defers to it: an ELF
/// program's PLT or a bitmap's `FF FF` pixels chain like MPEG frames.
pub(crate) fn names_the_head(s: &Sample) -> bool {
    detect(s).is_some()
}

fn by_infer(s: &Sample) -> Option<Sniff> {
    let kind = super::infer_table::get(s.head)?;
    if matches!(
        kind.matcher_type,
        infer::MatcherType::Audio | infer::MatcherType::Video
    ) {
        return None;
    }
    let ext = kind.extension;
    if WEAK_MAGIC.contains(&ext) && Randomness::of(&[s.head]).is_random_like() {
        return None;
    }
    if matches!(ext, "ico" | "cur") && !icon_directory(s) {
        return None;
    }
    let class = if matches!(kind.matcher_type, infer::MatcherType::Archive) {
        Class::Compressed
    } else {
        Class::Other
    };
    Some(
        Sniff::new(ext, Some(kind.mime), class, Encryption::None)
            .with("magic", format!("{} (infer)", kind.mime)),
    )
}

/// infer's icon test is `00 00 01 00` (or `02 00`): silence followed by a
/// sample of 1 in headerless 16-bit PCM. A real icon directory lists at
/// least one image whose reserved byte is zero and whose data lies after
/// the directory and within the object.
fn icon_directory(s: &Sample) -> bool {
    let h = s.head;
    let Some(count) = le16(h, 4) else {
        return false;
    };
    let (Some(size), Some(offset)) = (
        get(h, 14, 4).map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]])),
        get(h, 18, 4).map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]])),
    ) else {
        return false;
    };
    let directory_end = 6 + 16 * u64::from(count);
    count > 0
        && u8_at(h, 9) == Some(0)
        && size > 0
        && u64::from(offset) >= directory_end
        && u64::from(offset) + u64::from(size) <= s.size
}

/// Was `named` given for infer's few bytes at 0 alone, with nothing behind
/// them checked? Then they explain nothing that follows: a `BM`, an `MZ`
/// or a font's `00 01 00 00` in front of headerless samples must not hide
/// them. Images that store their pixels as they are (BMP, TIFF and camera
/// raw, Photoshop) are named by their structure when their header holds up:
/// their rows are smooth samples too. Icons were checked before naming. A
/// PDF is its `%PDF` marker alone until an object follows it. A DICOM
/// file is never a signature alone.
pub(crate) fn signature_alone(s: &Sample, named: &Sniff) -> bool {
    let by_infer = named
        .evidence
        .get("magic")
        .and_then(|m| m.as_str())
        .is_some_and(|m| m.ends_with("(infer)"));
    // DICOM's 128-byte preamble may hold another format's header (a TIFF's,
    // for files both readers open); `DICM` after it names the structure,
    // and CT and MR pixels are smooth 16-bit samples.
    if starts(s.head, 128, b"DICM") {
        return false;
    }
    match &*named.format {
        // Whoever named it (`%PDF` anywhere in the first KiB names it): an
        // object must follow within 4 KiB.
        "pdf" => {
            super::bytes::find_from_first(&s.head[..s.head.len().min(4096)], b" obj").is_none()
        }
        // Sixteen bytes of header prove nothing of what follows them.
        "pyc" => true,
        // Nor does a file system's superblock prove what its blocks hold.
        f if is_disk_image(f) => true,
        _ if !by_infer => false,
        "bmp" => !bitmap_header(s),
        "tif" | "cr2" => !tiff_directory(s),
        "psd" => !photoshop_header(s),
        "png" => !png_header(s),
        "jpg" => !jpeg_segments(s),
        "gif" => !gif_screen(s),
        "webp" => !webp_chunk(s),
        "ttf" | "otf" => !font_directory(s),
        "elf" => !elf_header(s),
        "class" => !class_header(s),
        "exe" | "dll" => !pe_header(s),
        "ico" | "cur" => false,
        _ => true,
    }
}

/// A reader of one integer at an offset, in the byte order a header names.
type Read<T> = fn(&[u8], usize) -> Option<T>;

/// An ELF header: class and byte order 1 or 2, version 1, the header and
/// section-header entry sizes of that class, and its section table within
/// the object.
fn elf_header(s: &Sample) -> bool {
    elf_section_table(s).is_some()
}

/// An ELF header that holds up (as [`elf_header`] checks it), read for
/// its section table: offset, entry size and entry count.
fn elf_section_table(s: &Sample) -> Option<(u64, u16, u16)> {
    let h = s.head;
    let (Some(class @ (1 | 2)), Some(order @ (1 | 2)), Some(1)) =
        (u8_at(h, 4), u8_at(h, 5), u8_at(h, 6))
    else {
        return None;
    };
    let (u16_at, u32_at, u64_at): (Read<u16>, Read<u32>, Read<u64>) = if order == 2 {
        (be16, be32, be64)
    } else {
        (le16, le32, le64)
    };
    let (table, header_size, entry_size, count, header, entry) = if class == 2 {
        (
            u64_at(h, 40),
            u16_at(h, 52),
            u16_at(h, 58),
            u16_at(h, 60),
            64,
            64,
        )
    } else {
        (
            u32_at(h, 32).map(u64::from),
            u16_at(h, 40),
            u16_at(h, 46),
            u16_at(h, 48),
            52,
            40,
        )
    };
    let (table, entry_size) = (table?, entry_size?);
    (header_size == Some(header) && (entry_size == 0 || entry_size == entry) && table <= s.size)
        .then_some((table, entry_size, count.unwrap_or(0)))
}

/// Where a format says it ends, against where the object does.
#[derive(Debug, PartialEq)]
pub(crate) enum Ending {
    /// The format's end is the object's end (or no end is declared).
    AsDeclared,
    /// The bytes that would tell were not read: the object's last 4 KiB.
    Unread(std::ops::Range<u64>),
    /// The format ends well before the object: something follows it, from
    /// the computed end when the header gave one.
    Early(Option<u64>),
    /// The end is marked by bytes anyone can write after appended ones (a
    /// PNG's `IEND` chunk, a GIF's `;`, a JPEG's `FF D9`, a PDF's `%%EOF`,
    /// which incremental updates append by design): the marker proves
    /// nothing, what lies behind the head is judged.
    Unproven,
}

/// Where a program's own structure ends, as its headers compute it (an
/// ELF's section table, a PE's sections and tables): what lies behind was
/// appended, as a self-extractor's archive is. `None` where the headers
/// read do not say.
pub(crate) fn program_end(s: &Sample, format: &str) -> Option<u64> {
    match format {
        "elf" => elf_table_end(s),
        "exe" | "dll" => pe_end(s).ok().flatten(),
        _ => None,
    }
}

/// Formats whose end is fixed by their structure: a PNG's `IEND` chunk, a
/// GIF's trailer, a JPEG's end-of-image marker (trailing zeros allowed), a
/// PDF's last `%%EOF`; or computed from their header: an ELF's section
/// table (written last), a BMP's rows of pixels (and colour profile), a
/// PE's sections, signature and symbol tables, a WebP's RIFF size. A
/// recording appended behind a valid header of one of them is otherwise
/// judged by the header alone. Where the header leaves the end open (a
/// compressed BMP without its image size), the end is as declared.
pub(crate) fn ending(s: &Sample, format: &str) -> Ending {
    const SLACK: u64 = 4096;
    if s.size <= s.head.len() as u64 + SLACK {
        return Ending::AsDeclared;
    }
    let computed = match format {
        "elf" => Some(elf_table_end(s)),
        "bmp" => Some(bitmap_end(s.head)),
        "exe" | "dll" => match pe_end(s) {
            Ok(end) => Some(end),
            Err(unread) => return Ending::Unread(unread),
        },
        "webp" => Some(le32(s.head, 4).map(|size| 8 + u64::from(size) + u64::from(size & 1))),
        _ => None,
    };
    if let Some(end) = computed {
        return match end {
            Some(end) if end.saturating_add(SLACK) < s.size => Ending::Early(Some(end)),
            // Rows or sections declared far past the object: the header
            // is no account of what the object holds, which is judged as
            // if its end were unknown. (A WebP's RIFF size past the object
            // is a file cut short, its end still its own.)
            Some(end) if end > s.size.saturating_add(SLACK) && format != "webp" => {
                Ending::Early(None)
            }
            _ => Ending::AsDeclared,
        };
    }
    let Some(ends) = end_marker(format) else {
        return Ending::AsDeclared;
    };
    let tail = s.size - SLACK;
    match s.at(tail, SLACK as usize) {
        Some(t) if ends(t) => Ending::Unproven,
        Some(_) => Ending::Early(None),
        // Either way the end window is judged next: it is read now, in the
        // same request as the marker.
        None => Ending::Unread(
            s.size
                .saturating_sub(super::WINDOW_LEN as u64)
                .max(s.head.len() as u64)..s.size,
        ),
    }
}

/// Formats whose end is a marker in their last bytes (see [`ending`]).
pub(crate) fn marks_its_end(format: &str) -> bool {
    end_marker(format).is_some()
}

/// Whether the last 4 KiB of a format end with its end marker.
fn end_marker(format: &str) -> Option<fn(&[u8]) -> bool> {
    Some(match format {
        "png" => |t| t.ends_with(b"\0\0\0\0IEND\xae\x42\x60\x82"),
        "gif" => |t| t.ends_with(b";"),
        "jpg" => |t| {
            let t = &t[..t.iter().rposition(|&b| b != 0).map_or(0, |i| i + 1)];
            t.ends_with(b"\xff\xd9")
        },
        // Readers look for the last `%%EOF` near the end; what follows it
        // within the slack (line ends, a writer's padding) is tolerated.
        "pdf" => |t| super::bytes::find_from_first(t, b"%%EOF").is_some(),
        _ => return None,
    })
}

/// The end of an ELF's section header table, when it has one. Sizes are
/// the file's word: saturating, a forged offset cannot overflow.
fn elf_table_end(s: &Sample) -> Option<u64> {
    let (table, entry, count) = elf_section_table(s)?;
    (table > 0 && count > 0).then(|| table.saturating_add(u64::from(entry) * u64::from(count)))
}

/// Where a BMP's pixels end: uncompressed rows padded to four bytes (or
/// the declared image size of a compressed one), and a V5 header's colour
/// profile when it lies behind them. Sizes are the file's word: a forged
/// dimension saturates, it cannot overflow.
fn bitmap_end(h: &[u8]) -> Option<u64> {
    let pixels = u64::from(le32(h, 10)?);
    let info = le32(h, 14)?;
    let (width, height, depth, compression, image) = if info == 12 {
        (
            u64::from(le16(h, 18)?),
            u64::from(le16(h, 20)?),
            le16(h, 24)?,
            0,
            0,
        )
    } else {
        let signed = |at| le32(h, at).map(|v| u64::from((v as i32).unsigned_abs()));
        (
            signed(18)?,
            signed(22)?,
            le16(h, 28)?,
            le32(h, 30)?,
            le32(h, 34)?,
        )
    };
    let rows = match compression {
        // BI_RGB, BI_BITFIELDS, BI_ALPHABITFIELDS: rows as they are.
        0 | 3 | 6 => width.saturating_mul(u64::from(depth)).saturating_add(31) / 32 * 4,
        _ if image > 0 => return Some(pixels.saturating_add(u64::from(image))),
        _ => return None,
    };
    let end = pixels.saturating_add(rows.saturating_mul(height));
    // BITMAPV5HEADER: the profile's offset counts from the info header.
    let profile = if info == 124 {
        let (at, size) = (le32(h, 14 + 112)?, le32(h, 14 + 116)?);
        14 + u64::from(at) + u64::from(size)
    } else {
        0
    };
    Some(end.max(profile))
}

/// Where a PE image's raw data ends: its last section, the Authenticode
/// signature (the security directory holds a file offset), or a COFF
/// symbol table (MinGW and Wine builds) and the string table behind it,
/// whichever lies furthest. The string table's length is read where it
/// lies: `Err` asks for those 4 bytes first.
fn pe_end(s: &Sample) -> Result<Option<u64>, std::ops::Range<u64>> {
    let h = s.head;
    let Some(end) = pe_image_end(h) else {
        return Ok(None);
    };
    let symbols = || -> Option<(u64, u64)> {
        let pe = usize::try_from(le32(h, 0x3c)?).ok()?;
        Some((u64::from(le32(h, pe + 12)?), u64::from(le32(h, pe + 16)?)))
    };
    match symbols() {
        Some((table, count)) if table > 0 => {
            let strings = table.saturating_add(18 * count);
            if strings.saturating_add(4) > s.size {
                return Ok(Some(end.max(strings)));
            }
            match s.at(strings, 4) {
                Some(len) => {
                    let len = u64::from(le32(len, 0).unwrap_or(0));
                    Ok(Some(end.max(strings.saturating_add(len.max(4)))))
                }
                None => Err(strings..strings + 4),
            }
        }
        _ => Ok(Some(end)),
    }
}

/// Where a PE image's sections and Authenticode signature end, from its
/// headers in the head.
fn pe_image_end(h: &[u8]) -> Option<u64> {
    let pe = usize::try_from(le32(h, 0x3c)?).ok()?;
    if get(h, pe, 4)? != b"PE\0\0" {
        return None;
    }
    let sections = usize::from(le16(h, pe + 6)?);
    let optional = pe + 24;
    let table = optional + usize::from(le16(h, pe + 20)?);
    let mut end = 0u64;
    for i in 0..sections {
        let at = table + 40 * i;
        let (size, offset) = (le32(h, at + 16)?, le32(h, at + 20)?);
        if size > 0 {
            end = end.max(u64::from(offset) + u64::from(size));
        }
    }
    let directories = match le16(h, optional)? {
        0x10b => optional + 96,
        0x20b => optional + 112,
        _ => return None,
    };
    let count = le32(h, directories - 4)?;
    if count > 4 {
        let (offset, size) = (le32(h, directories + 32)?, le32(h, directories + 36)?);
        // Signatures with their timestamps run to tens of KiB; a larger
        // one may be bytes appended and declared a signature: its bytes
        // are judged as what follows the image, from where it starts.
        if offset > 0 && size > 0 {
            let size = if size > MAX_SIGNATURE { 0 } else { size };
            end = end.max(u64::from(offset) + u64::from(size));
        }
    }
    (end > 0).then_some(end)
}

/// Largest Authenticode signature taken as one.
const MAX_SIGNATURE: u32 = 256 << 10;

/// A JPEG's segments from its start-of-image marker on: each a marker and
/// a length that lands on the next marker, to the start of the scan (or
/// eight of them, or the head's end).
fn jpeg_segments(s: &Sample) -> bool {
    let h = s.head;
    let mut at = 2;
    for _ in 0..8 {
        let (Some(0xff), Some(marker)) = (u8_at(h, at), u8_at(h, at + 1)) else {
            return at >= h.len();
        };
        if marker == 0xda {
            return true;
        }
        if !matches!(marker, 0xc0..=0xfe) || marker == 0xd8 {
            return false;
        }
        let Some(len) = be16(h, at + 2).filter(|&len| len >= 2) else {
            return at + 2 >= h.len();
        };
        at += 2 + usize::from(len);
    }
    true
}

/// A GIF's logical screen: after it (and its colour table, when the flags
/// announce one) an extension, an image or the trailer.
fn gif_screen(s: &Sample) -> bool {
    let h = s.head;
    let Some(flags) = u8_at(h, 10) else {
        return false;
    };
    let table = if flags & 0x80 != 0 {
        3 << ((flags & 7) + 1)
    } else {
        0
    };
    matches!(u8_at(h, 13 + table), Some(0x21 | 0x2c | 0x3b))
}

/// A WebP file: its RIFF size within the object, and a `VP8 `, `VP8L` or
/// `VP8X` chunk first.
fn webp_chunk(s: &Sample) -> bool {
    le32(s.head, 4).is_some_and(|size| u64::from(size) + 8 <= s.size)
        && [&b"VP8 "[..], b"VP8L", b"VP8X"]
            .iter()
            .any(|chunk| starts(s.head, 12, chunk))
}

/// A PNG's first chunk: `IHDR`, 13 bytes long, with its CRC.
fn png_header(s: &Sample) -> bool {
    let h = s.head;
    let (Some(chunk), Some(crc)) = (get(h, 12, 17), get(h, 29, 4)) else {
        return false;
    };
    let mut sum = flate2::Crc::new();
    sum.update(chunk);
    starts(h, 8, b"\x00\x00\x00\x0dIHDR") && sum.sum().to_be_bytes() == crc
}

/// A TrueType or OpenType table directory: 1–64 tables, the binary-search
/// fields that follow from their number, and each record (as far as it
/// was read) a printable tag with its table inside the object.
fn font_directory(s: &Sample) -> bool {
    let h = s.head;
    let Some(tables) = be16(h, 4) else {
        return false;
    };
    if !(1..=64).contains(&tables) {
        return false;
    }
    let search = 16 << (15 - tables.leading_zeros());
    let records_hold_up = (0..usize::from(tables)).all(|i| {
        let at = 12 + 16 * i;
        match (get(h, at, 4), be32(h, at + 8), be32(h, at + 12)) {
            (Some(tag), Some(offset), Some(len)) => {
                tag.iter().all(|c| (0x20..0x7f).contains(c))
                    && u64::from(offset) + u64::from(len) <= s.size
            }
            _ => at >= h.len(),
        }
    });
    be16(h, 6) == Some(search) && be16(h, 10) == Some(tables * 16 - search) && records_hold_up
}

/// A Java class file: a major version from 1.0.2 (45) to a few releases
/// past today's, and a constant pool.
fn class_header(s: &Sample) -> bool {
    be16(s.head, 6).is_some_and(|major| (45..=80).contains(&major))
        && be16(s.head, 8).is_some_and(|pool| pool > 0)
}

/// A PE program: the DOS header's pointer to a `PE\0\0` signature within
/// the object (where it was read).
fn pe_header(s: &Sample) -> bool {
    le32(s.head, 0x3c).is_some_and(|at| {
        let at = u64::from(at);
        at >= 0x40
            && at < s.size
            && match usize::try_from(at).ok().and_then(|at| get(s.head, at, 4)) {
                Some(signature) => signature == b"PE\0\0",
                None => at >= s.head.len() as u64,
            }
    })
}

/// A BMP file header: the pixels' offset within the object and after both
/// headers, a known info-header size, one plane and a bit depth. The
/// file-size field is not asked: writers leave it 0, get it wrong or pad
/// the file after it.
fn bitmap_header(s: &Sample) -> bool {
    let h = s.head;
    let (Some(pixels), Some(info)) = (le32(h, 10), le32(h, 14)) else {
        return false;
    };
    let (planes, depth) = if info == 12 {
        (le16(h, 22), le16(h, 24))
    } else {
        (le16(h, 26), le16(h, 28))
    };
    matches!(info, 12 | 16 | 40 | 52 | 56 | 64 | 108 | 124)
        && u64::from(pixels) >= 14 + u64::from(info)
        && u64::from(pixels) < s.size
        && planes == Some(1)
        && matches!(depth, Some(1 | 2 | 4 | 8 | 16 | 24 | 32 | 48 | 64))
}

/// A TIFF's first image file directory: within the object after the
/// 8-byte header, 1–1,000 entries, each of a known field type (1–18),
/// where the directory was read. Tag order is not asked: libtiff only
/// warns about unsorted tags, and writers leave them so.
fn tiff_directory(s: &Sample) -> bool {
    let h = s.head;
    let little = starts(h, 0, b"II");
    let (u16_at, u32_at): (Read<u16>, Read<u32>) = if little { (le16, le32) } else { (be16, be32) };
    let Some(first) = u32_at(h, 4) else {
        return false;
    };
    if first < 8 || u64::from(first) >= s.size {
        return false;
    }
    let at = first as usize;
    let Some(count) = u16_at(h, at) else {
        // Beyond the head: the offset is all there is to go on.
        return at >= h.len();
    };
    if !(1..=1000).contains(&count) {
        return false;
    }
    (0..usize::from(count).min(32)).all(|i| {
        let entry = at + 2 + 12 * i;
        match u16_at(h, entry + 2) {
            Some(kind) => (1..=18).contains(&kind),
            // Entries past the head are not held against it.
            None => entry + 4 > h.len(),
        }
    })
}

/// A Photoshop header: version 1 (PSD) or 2 (PSB), six reserved zero
/// bytes, 1–56 channels, a bit depth and a colour mode.
fn photoshop_header(s: &Sample) -> bool {
    let h = s.head;
    matches!(be16(h, 4), Some(1 | 2))
        && get(h, 6, 6) == Some(&[0; 6][..])
        && be16(h, 12).is_some_and(|c| (1..=56).contains(&c))
        && matches!(be16(h, 22), Some(1 | 8 | 16 | 32))
        && be16(h, 24).is_some_and(|m| m <= 9)
}

fn image(format: &'static str, mime: &'static str, magic: String) -> Sniff {
    Sniff::new(format, Some(mime), Class::Other, Encryption::None).with("magic", magic)
}

fn raster(s: &Sample) -> Option<Sniff> {
    sgi(s)
        .or_else(|| fits(s))
        .or_else(|| netpbm(s))
        .or_else(|| tga(s))
        .or_else(|| pcf(s))
        .or_else(|| wmf(s))
        .or_else(|| gimp(s))
        .or_else(|| jimage(s))
        .or_else(|| edf(s))
        .or_else(|| nifti(s))
}

/// NIfTI-1 and NIfTI-2 medical volumes (MRI, CT, PET): the header's own
/// size (348 or 540) in either byte order at 0, and the version magic
/// (`n+1`/`ni1` at 344, `n+2` with its line-ending check bytes at 4). Their
/// voxels are smooth 16-bit or 8-bit samples, what the headerless-PCM
/// statistics look for.
fn nifti(s: &Sample) -> Option<Sniff> {
    let h = s.head;
    let sized = |n: u32| le32(h, 0) == Some(n) || be32(h, 0) == Some(n);
    let version = if sized(348) && matches!(get(h, 344, 4)?, b"n+1\0" | b"ni1\0") {
        "NIfTI-1 header: size 348, magic at 344"
    } else if sized(540) && matches!(get(h, 4, 8)?, b"n+2\0\r\n\x1a\n" | b"ni2\0\r\n\x1a\n") {
        "NIfTI-2 header: size 540, magic at 4"
    } else {
        return None;
    };
    Some(Sniff::new("nifti", None, Class::Other, Encryption::None).with("magic", version))
}

/// EDF, EDF+ and BDF biosignal recordings (EEG, ECG, sleep studies): a
/// 256-byte ASCII header with version `0` (BDF: `FF` `BIOSEMI`), a start
/// date `dd.mm.yy` and time `hh.mm.ss`, and a header length of 256 bytes
/// for each signal plus one. Their 16- or 24-bit samples are smooth
/// signals, what the headerless-PCM statistics look for.
fn edf(s: &Sample) -> Option<Sniff> {
    let h = s.head;
    let format = if starts(h, 0, b"0       ") {
        "edf"
    } else if starts(h, 0, b"\xffBIOSEMI") {
        "bdf"
    } else {
        return None;
    };
    let clock = |at: usize| {
        get(h, at, 8).is_some_and(|field| {
            field.iter().enumerate().all(|(i, &c)| match i % 3 {
                2 => c == b'.',
                _ => c.is_ascii_digit(),
            })
        })
    };
    let number = |at: usize, len: usize| -> Option<u64> {
        std::str::from_utf8(get(h, at, len)?)
            .ok()?
            .trim()
            .parse()
            .ok()
    };
    let (header, signals) = (number(184, 8)?, number(252, 4)?);
    (clock(168) && clock(176) && signals > 0 && header == 256 * (signals + 1)).then(|| {
        Sniff::new(format, None, Class::Other, Encryption::None)
            .with(
                "magic",
                format!(
                    "{} header: start date and time, {header} header bytes",
                    format.to_uppercase()
                ),
            )
            .with("signals", signals)
    })
}

/// Windows Metafile: the placeable header `D7 CD C6 9A` (then the standard
/// header at 22), or a bare standard header: type 1 (memory) or 2 (disk),
/// header size 9 words, version 0x0100 or 0x0300. Its polygons are runs of
/// 16-bit coordinates, smooth enough for the headerless-PCM statistics.
fn wmf(s: &Sample) -> Option<Sniff> {
    let h = s.head;
    let standard = |at: usize| {
        matches!(le16(h, at), Some(1 | 2))
            && le16(h, at + 2) == Some(9)
            && matches!(le16(h, at + 4), Some(0x0100 | 0x0300))
    };
    let magic = if starts(h, 0, b"\xd7\xcd\xc6\x9a") && standard(22) {
        "placeable WMF D7 CD C6 9A at 0"
    } else if standard(0) {
        "WMF header (type, 9-word header, version) at 0"
    } else {
        return None;
    };
    Some(image("wmf", "image/wmf", magic.into()))
}

/// GIMP patterns and brushes: a big-endian header size (at least 28, below
/// 4 KiB) and version, then `GPAT` (pattern) or `GIMP` (brush) at 20; the
/// pixels follow uncompressed.
fn gimp(s: &Sample) -> Option<Sniff> {
    let h = s.head;
    let header = super::bytes::be32(h, 0)?;
    let version = super::bytes::be32(h, 4)?;
    if !(28..4096).contains(&header) || !(1..=3).contains(&version) {
        return None;
    }
    if starts(h, 20, b"GPAT") {
        Some(image(
            "gimp-pattern",
            "image/x-gimp-pat",
            "GPAT at 20".into(),
        ))
    } else if starts(h, 20, b"GIMP") {
        Some(image("gimp-brush", "image/x-gimp-gbr", "GIMP at 20".into()))
    } else {
        None
    }
}

/// The JDK's jimage module file (`lib/modules`): magic `CAFEDADA` in the
/// platform's byte order and version 1.0. Its resource tables hold runs of
/// `FF FF` that chain like MPEG Layer I frames.
fn jimage(s: &Sample) -> Option<Sniff> {
    let h = s.head;
    let le = starts(h, 0, b"\xda\xda\xfe\xca") && get(h, 4, 4)? == b"\x00\x00\x01\x00";
    let be = starts(h, 0, b"\xca\xfe\xda\xda") && get(h, 4, 4)? == b"\x00\x01\x00\x00";
    (le || be).then(|| {
        Sniff::new("jimage", None, Class::Other, Encryption::None)
            .with("magic", "CAFEDADA at 0 (JDK module image)")
    })
}

/// X11 PCF bitmap font: `01 f c p`, a table count of 1–16, and a table of
/// contents whose entries name one of the nine PCF table types (a single
/// bit) at an offset inside the object. Glyph bitmaps full of `FF FF` rows
/// chain like MPEG Layer I frames, so the font must be named.
fn pcf(s: &Sample) -> Option<Sniff> {
    let h = s.head;
    let count = le32(h, 4)?;
    if !starts(h, 0, b"\x01fcp") || !(1..=16).contains(&count) {
        return None;
    }
    for i in 0..count as usize {
        let kind = le32(h, 8 + 16 * i)?;
        let offset = le32(h, 8 + 16 * i + 12)?;
        if !kind.is_power_of_two() || kind > 0x100 || u64::from(offset) >= s.size {
            return None;
        }
    }
    Some(
        Sniff::new(
            "pcf",
            Some("application/x-font-pcf"),
            Class::Other,
            Encryption::None,
        )
        .with("magic", "01 fcp at 0, table of contents"),
    )
}

/// SGI image (`.sgi`, `.rgb`, `.bw`): `01 DA`, storage 0 (verbatim) or 1
/// (RLE), 1 or 2 bytes per channel, dimension 1–3, non-zero sizes and 1–4
/// channels.
fn sgi(s: &Sample) -> Option<Sniff> {
    let h = s.head;
    let (storage, bpc, dim) = (u8_at(h, 2)?, u8_at(h, 3)?, be16(h, 4)?);
    let (x, y, z) = (be16(h, 6)?, be16(h, 8)?, be16(h, 10)?);
    (starts(h, 0, b"\x01\xda")
        && storage <= 1
        && matches!(bpc, 1 | 2)
        && (1..=3).contains(&dim)
        && x > 0
        && y > 0
        && (1..=4).contains(&z))
    .then(|| image("sgi", "image/x-sgi", "01 DA at 0".into()).with("bytes_per_channel", bpc))
}

/// FITS (astronomy images and tables): the first 80-byte card is
/// `SIMPLE  =` with the logical value `T` or `F` right-aligned in column 30,
/// and the second card is `BITPIX`.
fn fits(s: &Sample) -> Option<Sniff> {
    let h = s.head;
    let value = u8_at(h, 29)?;
    (starts(h, 0, b"SIMPLE  =")
        && matches!(value, b'T' | b'F')
        && get(h, 10, 19)?.iter().all(|&c| c == b' ')
        && starts(h, 80, b"BITPIX"))
    .then(|| image("fits", "image/fits", "SIMPLE = T at 0, BITPIX at 80".into()))
}

/// Netpbm and PFM: `P1`–`P6`, or `PF`/`Pf` (float colour / grey), then
/// whitespace-separated decimal width and height (comments allowed in
/// netpbm), each 1–65535.
fn netpbm(s: &Sample) -> Option<Sniff> {
    let h = s.head;
    let kind = *get(h, 0, 2)?.get(1)?;
    if u8_at(h, 0)? != b'P' || !matches!(kind, b'1'..=b'6' | b'F' | b'f') {
        return None;
    }
    let mut pos = 2;
    let mut dims = [0u32; 2];
    for dim in &mut dims {
        let start = pos;
        loop {
            match u8_at(h, pos)? {
                b' ' | b'\t' | b'\r' | b'\n' => pos += 1,
                b'#' if kind != b'F' && kind != b'f' => {
                    while u8_at(h, pos)? != b'\n' {
                        pos += 1;
                        if pos > 1024 {
                            return None;
                        }
                    }
                }
                _ => break,
            }
        }
        if pos == start {
            return None;
        }
        let digits = h[pos..].iter().take_while(|c| c.is_ascii_digit()).count();
        if !(1..=5).contains(&digits) {
            return None;
        }
        *dim = std::str::from_utf8(&h[pos..pos + digits])
            .ok()?
            .parse()
            .ok()?;
        pos += digits;
    }
    if dims.iter().any(|&d| d == 0 || d > 65535) || !u8_at(h, pos)?.is_ascii_whitespace() {
        return None;
    }
    let (format, mime) = if matches!(kind, b'F' | b'f') {
        ("pfm", "image/x-portable-floatmap")
    } else {
        ("pnm", "image/x-portable-anymap")
    };
    Some(image(
        format,
        mime,
        format!("P{} {}x{} at 0", kind as char, dims[0], dims[1]),
    ))
}

/// Truevision TGA: no magic at the start, so the 18-byte header must hold
/// together: a colour-map flag 0/1 (with an empty colour-map spec when 0), an
/// image type 1–3 or 9–11, a pixel depth of 8, 15, 16, 24 or 32, non-zero
/// sizes, clear interleave bits; and then either the version-2 footer
/// `TRUEVISION-XFILE.` at the end, or, uncompressed, a size the header
/// predicts exactly.
fn tga(s: &Sample) -> Option<Sniff> {
    let h = get(s.head, 0, 18)?;
    let (id_len, cmap, kind) = (usize::from(h[0]), h[1], h[2]);
    let (cmap_len, cmap_bits) = (u64::from(le16(h, 5)?), u64::from(h[7]));
    let (w, ht, depth, desc) = (
        u64::from(le16(h, 12)?),
        u64::from(le16(h, 14)?),
        h[16],
        h[17],
    );
    let sane = cmap <= 1
        && matches!(kind, 1..=3 | 9..=11)
        && (cmap == 1 || (cmap_len == 0 && cmap_bits == 0 && le16(h, 3)? == 0))
        && (cmap == 0 || matches!(cmap_bits, 15 | 16 | 24 | 32))
        && matches!(depth, 8 | 15 | 16 | 24 | 32)
        && w > 0
        && ht > 0
        && desc & 0xc0 == 0;
    if !sane {
        return None;
    }
    let footer = s.size >= 44
        && s.at(s.size - 18, 18)
            .is_some_and(|f| f == b"TRUEVISION-XFILE.\0");
    let predicted = 18
        + id_len as u64
        + cmap_len * cmap_bits.div_ceil(8)
        + w * ht * u64::from(depth).div_ceil(8);
    let exact = matches!(kind, 1..=3) && s.size == predicted;
    // A version-2 file adds its extension and developer areas and footer
    // behind the pixels; where its last bytes were not read yet (a large
    // file's head), an uncompressed image that leaves room for no more
    // than those is named, and the tail asked for to confirm it. Not an
    // archive member's: its tail is never read, and a TGA header in front
    // of samples would hide them.
    let tail = s.size.saturating_sub(18)..s.size;
    let unread = s.reads && s.size >= 44 && s.at(tail.start, 18).is_none();
    let room = matches!(kind, 1..=3) && (predicted..=predicted + 65536).contains(&s.size);
    let basis = if footer {
        "18-byte header, TRUEVISION-XFILE footer"
    } else if exact {
        "18-byte header predicting the object's size"
    } else if unread && room {
        "18-byte header predicting the object's size up to a footer area (the end not read)"
    } else {
        return None;
    };
    let named = image("tga", "image/x-tga", basis.into())
        .with("width", w)
        .with("height", ht);
    Some(if footer || exact {
        named
    } else {
        named.wanting(vec![tail])
    })
}

#[cfg(test)]
mod tests {
    use super::super::testutil::pcm16_tone;
    use super::*;

    /// Archives and stores not walked are told by their headers; the
    /// same first bytes with what follows them wrong are not.
    #[test]
    fn archives_and_stores_not_walked_are_told() {
        let named = |h: &[u8], size: u64| unwalked_store(h, size).map(|(name, _)| name);
        let mut wim = b"MSWIM\0\0\0\xd0\0\0\0".to_vec();
        wim.resize(256, 0);
        assert_eq!(named(&wim, 1 << 20), Some("wim"));
        let mut duck = b"\xfd\x4f\xf2\x1c\x62\x92\x97\x9aDUCK\xe7\x03\0\0\0\0\0\0".to_vec();
        duck.resize(256, 0);
        assert_eq!(named(&duck, 1 << 20), Some("duckdb"));
        let arj = b"\x60\xea\x30\x00\x22\x0b\x01\x02\x10\x00\x02";
        assert_eq!(named(arj, 1 << 20), Some("arj"));
        assert_eq!(named(b"\x60\xea\xff\xff\x22", 1 << 20), None);
        let orc = b"ORC\x11\0\0\x0a\x06 ... \x08\x03ORC\x17";
        assert_eq!(named(orc, orc.len() as u64), Some("orc"));
        assert_eq!(named(&orc[..12], 1 << 20), Some("orc"));
        // Whole, but no postscript ending in the magic.
        let bare = b"ORC\x11 and nothing after";
        assert_eq!(named(bare, bare.len() as u64), None);
    }

    /// The last 4 KiB of an object of `size` bytes, read as one window:
    /// `fill`, ending in `last`.
    fn last_4k(size: u64, fill: u8, last: &[u8]) -> [super::super::Window; 1] {
        let mut bytes = vec![fill; 4096];
        bytes[4096 - last.len()..].copy_from_slice(last);
        [super::super::Window {
            offset: size - 4096,
            bytes,
        }]
    }

    #[test]
    fn formats_that_end_early_are_told_from_those_that_end_with_the_object() {
        let size = 1u64 << 20;
        // ELF64, little-endian: the section table at 0x1000, 10 entries of 64.
        let mut elf = b"\x7fELF\x02\x01\x01".to_vec();
        elf.resize(64, 0);
        elf[40..48].copy_from_slice(&0x1000u64.to_le_bytes());
        elf[52..54].copy_from_slice(&64u16.to_le_bytes());
        elf[58..60].copy_from_slice(&64u16.to_le_bytes());
        elf[60..62].copy_from_slice(&10u16.to_le_bytes());
        elf.resize(65536, 0);
        assert_eq!(
            ending(&Sample::new(size, &elf, &[]), "elf"),
            Ending::Early(Some(0x1000 + 640))
        );
        elf[40..48].copy_from_slice(&(size - 640).to_le_bytes());
        assert_eq!(
            ending(&Sample::new(size, &elf, &[]), "elf"),
            Ending::AsDeclared
        );
        // A JPEG's end-of-image marker, with a writer's zero padding after
        // it: two bytes anyone can write behind what they append.
        let head = vec![0u8; 65536];
        let tail = |last: &[u8]| last_4k(size, 0x55, last);
        let w = tail(b"\xff\xd9\0\0\0");
        assert_eq!(
            ending(&Sample::new(size, &head, &w), "jpg"),
            Ending::Unproven
        );
        let w = tail(b"\xff\xd9RIFF");
        assert_eq!(
            ending(&Sample::new(size, &head, &w), "jpg"),
            Ending::Early(None)
        );
        assert_eq!(
            ending(&Sample::new(size, &head, &[]), "jpg"),
            Ending::Unread(size - 65536..size)
        );
    }

    /// Each image by the fields that prove it, and each magic alone not.
    #[test]
    fn disk_images_are_named_by_their_structure() {
        let named = |patches: &[(usize, &[u8])]| {
            let mut head = vec![0u8; 65536];
            for (at, bytes) in patches {
                head[*at..at + bytes.len()].copy_from_slice(bytes);
            }
            disk_image(&Sample::new(1 << 30, &head, &[])).map(|s| s.format.to_string())
        };
        let boot: (usize, &[u8]) = (510, b"\x55\xaa");
        type Patches<'a> = &'a [(usize, &'a [u8])];
        let cases: [(Patches, Option<&str>); 20] = [
            (&[(32768, b"\x01CD001\x01")], Some("iso9660")),
            (&[(32768, b"\x01CD001\x02")], None),
            (&[(32769, b"BEA01"), (34817, b"NSR02")], Some("udf")),
            (&[(32769, b"BEA01")], None),
            (&[(0, b"hsqs"), (28, b"\x04\x00")], Some("squashfs")),
            (&[(0, b"hsqs"), (28, b"\x03\x00")], None),
            (
                &[
                    (1028, b"\x00\x10"),
                    (1048, b"\x02"),
                    (1080, b"\x53\xef"),
                    (1100, b"\x01"),
                ],
                Some("ext"),
            ),
            (
                &[(1028, b"\x00\x10"), (1048, b"\x09"), (1080, b"\x53\xef")],
                None,
            ),
            (
                &[boot, (11, b"\x00\x02\x04"), (54, b"FAT12   ")],
                Some("fat"),
            ),
            (
                &[boot, (11, b"\x00\x02\x08"), (82, b"FAT32   ")],
                Some("fat"),
            ),
            (&[boot, (11, b"\x64\x00\x04"), (54, b"FAT16   ")], None),
            (&[(11, b"\x00\x02\x04"), (54, b"FAT16   ")], None),
            (&[boot, (3, b"EXFAT   ")], Some("exfat")),
            (&[boot, (3, b"NTFS    "), (11, b"\x00\x02")], Some("ntfs")),
            (&[(0, b"XFSB\x00\x00\x10\x00")], Some("xfs")),
            (&[(1024, b"H+\x00\x04")], Some("hfsplus")),
            (&[(512, b"EFI PART")], Some("gpt-disk")),
            (&[(0, b"QFI\xfb\x00\x00\x00\x03")], Some("qcow2")),
            (&[(0, b"QFI\xfb\x00\x00\x00\x09")], None),
            (&[(64, b"\x7f\x10\xda\xbe")], Some("vdi")),
        ];
        for (patches, format) in cases {
            assert_eq!(named(patches).as_deref(), format, "{patches:?}");
        }
        assert_eq!(named(&[(32, b"NXSB")]).as_deref(), Some("apfs"));
        assert_eq!(
            named(&[(0, b"KDMV\x01\x00\x00\x00")]).as_deref(),
            Some("vmdk")
        );
        assert_eq!(named(&[(0, b"vhdxfile")]).as_deref(), Some("vhdx"));
        assert_eq!(
            named(&[(0, b"conectix"), (512, b"cxsparse")]).as_deref(),
            Some("vhd")
        );
        assert_eq!(
            named(&[(0, b"conectix")]),
            None,
            "a fixed VHD's footer is at its end"
        );
        assert_eq!(named(&[]), None);
        // A protective MBR before a GPT, a hybrid ISO's boot sector.
        assert_eq!(
            named(&[boot, (512, b"EFI PART")]).as_deref(),
            Some("gpt-disk")
        );
        assert_eq!(
            named(&[boot, (32768, b"\x01CD001\x01")]).as_deref(),
            Some("iso9660")
        );
    }

    /// A disk image's header is a signature alone: samples behind eight
    /// bytes of `XFSB` are judged, not hidden behind the image's name.
    #[test]
    fn samples_behind_a_disk_image_header_are_judged() {
        let voice: Vec<u8> = crate::sniff::dataset::speechy(30_000)
            .iter()
            .flat_map(|v| ((v * 20000.0) as i16).to_le_bytes())
            .collect();
        let mut object = b"XFSB\x00\x00\x10\x00".to_vec();
        object.extend(&voice);
        let s = crate::sniff::sniff(&Sample::new(object.len() as u64, &object, &[]), &[]);
        assert_eq!(s.format, "raw-pcm", "{s:?}");
        // The header alone, with nothing like samples behind it, is the image.
        object.truncate(8);
        object.resize(60_000, 0);
        let s = crate::sniff::sniff(&Sample::new(object.len() as u64, &object, &[]), &[]);
        assert_eq!(s.format, "xfs");
    }

    #[test]
    fn ends_computed_from_headers_and_a_pdf_trailer() {
        let size = 1u64 << 20;
        let early = |head: &[u8], format| ending(&Sample::new(size, head, &[]), format);
        // BMP, BITMAPINFOHEADER: 100 × 50 pixels of 24 bits, rows padded to
        // 300 bytes, from offset 54: the image ends at 15,054.
        let mut bmp = super::super::testutil::bmp_head(54, 100, -50, 24);
        assert_eq!(bitmap_end(&bmp), Some(54 + 300 * 50));
        assert_eq!(early(&bmp, "bmp"), Ending::Early(Some(54 + 300 * 50)));
        // Rows that fill the object: nothing behind them.
        bmp[22..26].copy_from_slice(&3495i32.to_le_bytes());
        assert_eq!(early(&bmp, "bmp"), Ending::AsDeclared);
        // RLE without an image size: no end to compare.
        bmp[30..34].copy_from_slice(&1u32.to_le_bytes());
        assert_eq!(bitmap_end(&bmp), None);
        // Forged dimensions saturate, and rows declared far past the
        // object leave its end unknown: its windows are judged.
        bmp[30..34].copy_from_slice(&0u32.to_le_bytes());
        bmp[18..22].copy_from_slice(&i32::MAX.to_le_bytes());
        bmp[28..30].copy_from_slice(&64u16.to_le_bytes());
        assert_eq!(early(&bmp, "bmp"), Ending::Early(None));

        // PE32+: two sections, the last ending at 0x3000, a signature at
        // 0x3000 of 0x800 bytes.
        let mut pe = vec![0u8; 65536];
        pe[..2].copy_from_slice(b"MZ");
        pe[0x3c..0x40].copy_from_slice(&0x80u32.to_le_bytes());
        pe[0x80..0x84].copy_from_slice(b"PE\0\0");
        pe[0x86..0x88].copy_from_slice(&2u16.to_le_bytes());
        pe[0x94..0x96].copy_from_slice(&240u16.to_le_bytes());
        let optional = 0x98;
        pe[optional..optional + 2].copy_from_slice(&0x20bu16.to_le_bytes());
        pe[optional + 108..optional + 112].copy_from_slice(&16u32.to_le_bytes());
        let security = optional + 112 + 32;
        pe[security..security + 4].copy_from_slice(&0x3000u32.to_le_bytes());
        pe[security + 4..security + 8].copy_from_slice(&0x800u32.to_le_bytes());
        let table = optional + 240;
        for (i, (offset, len)) in [(0x400u32, 0x1000u32), (0x1400, 0x1c00)].iter().enumerate() {
            let at = table + 40 * i;
            pe[at + 16..at + 20].copy_from_slice(&len.to_le_bytes());
            pe[at + 20..at + 24].copy_from_slice(&offset.to_le_bytes());
        }
        let pe_at = |pe: &[u8]| pe_end(&Sample::new(size, pe, &[]));
        assert_eq!(pe_at(&pe), Ok(Some(0x3800)));
        assert_eq!(early(&pe, "exe"), Ending::Early(Some(0x3800)));
        // A "signature" of 512 KiB covering what follows is not taken for
        // one: the image ends where it starts.
        pe[security + 4..security + 8].copy_from_slice(&(512u32 << 10).to_le_bytes());
        assert_eq!(pe_at(&pe), Ok(Some(0x3000)));
        pe[security + 4..security + 8].copy_from_slice(&0x800u32.to_le_bytes());
        // A COFF symbol table (10 symbols of 18 bytes at 0x3800) and its
        // string table of 0x200 bytes behind them: the end is theirs.
        pe[0x8c..0x90].copy_from_slice(&0x3800u32.to_le_bytes());
        pe[0x90..0x94].copy_from_slice(&10u32.to_le_bytes());
        pe[0x38b4..0x38b8].copy_from_slice(&0x200u32.to_le_bytes());
        assert_eq!(pe_at(&pe), Ok(Some(0x38b4 + 0x200)));
        // Past the head, the string table's length is asked for first.
        pe[0x8c..0x90].copy_from_slice(&0x20000u32.to_le_bytes());
        assert_eq!(pe_at(&pe), Err(0x200b4..0x200b8));
        assert_eq!(early(&pe, "exe"), Ending::Unread(0x200b4..0x200b8));

        // WebP: the RIFF size, padded to even.
        let mut webp = b"RIFF".to_vec();
        webp.extend(((size - 8) as u32).to_le_bytes());
        webp.resize(65536, 0);
        assert_eq!(early(&webp, "webp"), Ending::AsDeclared);
        webp[4..8].copy_from_slice(&99_999u32.to_le_bytes());
        assert_eq!(early(&webp, "webp"), Ending::Early(Some(8 + 100_000)));

        // PDF: a last `%%EOF` within the object's last 4 KiB, which anyone
        // may write after what they append: it proves no end.
        let head = vec![0u8; 65536];
        let tail = |last: &[u8]| last_4k(size, b' ', last);
        let w = tail(b"startxref\n1234\n%%EOF\r\n");
        assert_eq!(
            ending(&Sample::new(size, &head, &w), "pdf"),
            Ending::Unproven
        );
        let w = tail(b"%%EOF\nRIFF....WAVEfmt ");
        assert_eq!(
            ending(&Sample::new(size, &head, &w), "pdf"),
            Ending::Unproven
        );
        let w = tail(b"no trailer");
        assert_eq!(
            ending(&Sample::new(size, &head, &w), "pdf"),
            Ending::Early(None)
        );
        assert_eq!(
            ending(&Sample::new(size, &head, &[]), "pdf"),
            Ending::Unread(size - 65536..size)
        );
    }

    #[test]
    fn nifti_volumes_are_named_by_header_size_and_magic() {
        let mut one = vec![0u8; 352];
        one[..4].copy_from_slice(&348u32.to_le_bytes());
        one[344..348].copy_from_slice(b"n+1\0");
        assert_eq!(named(&one).as_deref(), Some("nifti"));
        one[..4].copy_from_slice(&348u32.to_be_bytes());
        assert_eq!(named(&one).as_deref(), Some("nifti"));
        one[344..348].copy_from_slice(b"n+9\0");
        assert_eq!(named(&one), None);
        let mut two = vec![0u8; 544];
        two[..4].copy_from_slice(&540u32.to_le_bytes());
        two[4..12].copy_from_slice(b"n+2\0\r\n\x1a\n");
        assert_eq!(named(&two).as_deref(), Some("nifti"));
        two[8] = b'\n';
        assert_eq!(named(&two), None);
    }

    #[test]
    fn compiled_python_is_named_by_its_header_and_code_object() {
        let mut pyc = b"\x6f\x0d\x0d\x0a\0\0\0\0".to_vec(); // 3.10
        pyc.extend([0u8; 8]);
        pyc.push(0xe3);
        pyc.extend([0u8; 64]);
        let s = detect(&Sample::new(pyc.len() as u64, &pyc, &[])).unwrap();
        assert_eq!(s.format, "pyc");
        // A 3.6 file's code object starts at 12; flags past 3 are not PEP 552.
        let mut old = b"\x33\x0d\x0d\x0a".to_vec();
        old.extend([0u8; 8]);
        old.push(b'c');
        old.extend([0u8; 64]);
        assert_eq!(detect(&Sample::new(99, &old, &[])).unwrap().format, "pyc");
        pyc[4] = 9;
        assert!(detect(&Sample::new(pyc.len() as u64, &pyc, &[])).is_none());
    }

    fn named(b: &[u8]) -> Option<String> {
        detect(&Sample::new(b.len() as u64, b, &[])).map(|s| s.format.into_owned())
    }

    #[test]
    fn sgi_fits_and_netpbm_headers_are_images() {
        let mut sgi = b"\x01\xda\x00\x02\x00\x02\x00\x80\x00\x40\x00\x01".to_vec();
        sgi.extend(pcm16_tone(4000));
        assert_eq!(named(&sgi).as_deref(), Some("sgi"));
        sgi[3] = 3; // three bytes per channel do not exist
        assert_eq!(named(&sgi), None);

        let mut fits = format!(
            "{:<80}",
            "SIMPLE  =                    T / conforms to FITS"
        );
        fits.push_str(&format!("{:<80}", "BITPIX  =                   16"));
        assert_eq!(named(fits.as_bytes()).as_deref(), Some("fits"));

        let mut pfm = b"Pf\n128 128\n-1.0\n".to_vec();
        pfm.extend([0u8; 64]);
        assert_eq!(named(&pfm).as_deref(), Some("pfm"));
        let mut pgm = b"P5\n# made by hand\n640 480\n65535\n".to_vec();
        pgm.extend(pcm16_tone(4000));
        assert_eq!(named(&pgm).as_deref(), Some("pnm"));
        assert_eq!(named(b"P5 is a parking lot, not an image header"), None);
    }

    #[test]
    fn biosignal_recordings_are_named_before_the_statistics() {
        let header = |version: &[u8], date: &str, header_bytes: &str, signals: &str| {
            let mut h = version.to_vec();
            h.extend(
                format!(
                    "{:<80}{:<80}",
                    "X M 30-JUN-1969 X", "Startdate 04-APR-2011 X"
                )
                .bytes(),
            );
            h.extend(
                format!(
                    "{date:<8}12.57.02{header_bytes:<8}{:<44}{:<8}{:<8}{signals:<4}",
                    "EDF+C", "600", "1"
                )
                .bytes(),
            );
            assert_eq!(h.len(), 256);
            h.extend(pcm16_tone(4000));
            h
        };
        assert_eq!(
            named(&header(b"0       ", "04.04.11", "3328", "12")).as_deref(),
            Some("edf")
        );
        assert_eq!(
            named(&header(b"\xffBIOSEMI", "04.04.11", "768", "2")).as_deref(),
            Some("bdf")
        );
        // A header length that does not fit the signals, a date that is none.
        assert_eq!(named(&header(b"0       ", "04.04.11", "3072", "12")), None);
        assert_eq!(named(&header(b"0       ", "April 4 ", "3328", "12")), None);
    }

    #[test]
    fn icons_need_a_directory_silence_does_not_do() {
        let mut ico = b"\x00\x00\x01\x00\x01\x00".to_vec();
        ico.extend([16, 16, 0, 0, 1, 0, 32, 0]);
        ico.extend(68u32.to_le_bytes()); // image size
        ico.extend(22u32.to_le_bytes()); // image offset
        ico.resize(90, 0x7f);
        assert_eq!(named(&ico).as_deref(), Some("ico"));
        // Headerless PCM that starts with silence and a sample of 1.
        let mut pcm = b"\x00\x00\x01\x00\x00\x00\x01\x00\x00\x00\xff\xff".to_vec();
        pcm.extend(pcm16_tone(4000));
        assert_eq!(named(&pcm), None);
    }

    #[test]
    fn pcf_fonts_are_named_by_their_table_of_contents() {
        let mut pcf = b"\x01fcp\x02\x00\x00\x00".to_vec();
        for (kind, offset) in [(1u32, 40u32), (4, 60)] {
            for v in [kind, 0x0e, 20, offset] {
                pcf.extend(v.to_le_bytes());
            }
        }
        pcf.resize(100, 0xff);
        assert_eq!(named(&pcf).as_deref(), Some("pcf"));
        pcf[8] = 3; // not a single table-type bit
        assert_eq!(named(&pcf), None);
    }

    fn tga_header(kind: u8, w: u16, h: u16, depth: u8) -> Vec<u8> {
        let mut v = vec![0, 0, kind, 0, 0, 0, 0, 0, 0, 0, 0, 0];
        v.extend(w.to_le_bytes());
        v.extend(h.to_le_bytes());
        v.extend([depth, 0x08]);
        v
    }

    #[test]
    fn tga_needs_its_footer_or_an_exact_size() {
        let mut raw = tga_header(3, 200, 32, 16);
        raw.extend(pcm16_tone(200 * 32));
        assert_eq!(named(&raw).as_deref(), Some("tga"));
        raw.push(0); // one byte too many, and no footer
        assert_eq!(named(&raw), None);

        let mut rle = tga_header(10, 200, 32, 24);
        rle.extend(pcm16_tone(3000));
        rle.extend([0u8; 8]);
        rle.extend(b"TRUEVISION-XFILE.\0");
        assert_eq!(named(&rle).as_deref(), Some("tga"));
        // Headerless samples whose first bytes happen to fit a TGA header
        // still need the footer or the exact size.
        let mut pcm = tga_header(10, 200, 32, 24);
        pcm.extend(pcm16_tone(3000));
        assert_eq!(named(&pcm), None);

        // Only the first bytes held (a large file, a member past the
        // budget): room for the footer area behind the pixels names it and
        // asks for the end; the end read without a footer does not.
        let mut head = tga_header(3, 400, 300, 8);
        head.extend(pcm16_tone(2000));
        let size = 18 + 400 * 300 + 26;
        let s = detect(&Sample::new(size, &head, &[])).unwrap();
        assert_eq!((&*s.format, s.wants.len()), ("tga", 1));
        let end = [super::super::Window {
            offset: size - 18,
            bytes: vec![0; 18],
        }];
        assert!(detect(&Sample::new(size, &head, &end)).is_none_or(|s| s.format != "tga"));
        assert!(detect(&Sample::new(size + 70_000, &head, &[])).is_none_or(|s| s.format != "tga"));
        // An archive member's end is never read: its header alone names
        // nothing (a TGA header in front of samples would hide them).
        assert!(detect(&Sample::held(size, &head, &[])).is_none_or(|s| s.format != "tga"));
    }

    #[test]
    fn metafiles_gimp_patterns_and_jdk_images_are_named() {
        let mut wmf =
            b"\xd7\xcd\xc6\x9a\0\0\0\0\0\0\x10\x27\x72\x1f\xec\x09\0\0\0\0\x9f\x66".to_vec();
        wmf.extend_from_slice(b"\x01\x00\x09\x00\x00\x03\xed\x37\0\0");
        assert_eq!(named(&wmf).as_deref(), Some("wmf"));
        assert_eq!(
            named(b"\x01\x00\x09\x00\x00\x03\xed\x37\0\0\x10\0").as_deref(),
            Some("wmf")
        );
        let mut pat = b"\0\0\0\x1f\0\0\0\x01\0\0\0\x60\0\0\0\x60\0\0\0\x03GPATBricks\0".to_vec();
        pat.resize(64, 0x8e);
        assert_eq!(named(&pat).as_deref(), Some("gimp-pattern"));
        assert_eq!(
            named(b"\xda\xda\xfe\xca\0\0\x01\0\0\0\0\0").as_deref(),
            Some("jimage")
        );
        // Near misses stay unnamed.
        assert_eq!(named(b"\x01\x00\x08\x00\x00\x03\xed\x37\0\0\x10\0"), None);
        assert_eq!(named(b"\xda\xda\xfe\xca\0\0\x02\0\0\0\0\0"), None);
    }
}
