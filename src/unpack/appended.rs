//! Files appended to an image. A phone's motion photo is a JPEG with an
//! MP4 clip, sound included, written after its end-of-image marker, and
//! any file can follow an image the same way: viewers show the picture and
//! ignore the rest. Where the image's last bytes are not its end marker,
//! or the windows read behind its head hold bytes no JPEG scan holds, the
//! image is read through to where its own structure ends, and what follows
//! is judged as a file of its own (member `embedded@OFFSET`).
//!
//! A JPEG ends at the first end-of-image marker that follows its segments
//! and scans: segment lengths are skipped, so a thumbnail's marker inside
//! an EXIF segment does not count, and inside a scan a marker is an `FF`
//! followed by a byte other than the stuffed `00`, a restart `D0`–`D7` or
//! a fill `FF`. A PNG ends with its `IEND` chunk, found by walking chunk
//! lengths. Both walks read the image in blocks, no further than
//! [`MAX_IMAGE`] bytes; an image longer, or one whose structure breaks
//! before its end, is a limit: what follows was not inspected.

use std::borrow::Cow;

use super::{chain, Level, LevelBytes, Limit, Member, Walk};
use crate::pipeline::inspect::{sniff_reading, Sniffed};
use crate::sniff::{self, Ending, Sample, Window, HEAD_LEN, WINDOW_LEN};

/// The most of an image read to find its end: the largest photos a
/// camera writes, with room to spare.
pub(super) const MAX_IMAGE: u64 = 64 << 20;

/// Bytes read per step of a walk.
const BLOCK: usize = 64 * 1024;

/// Fewer bytes than this behind an image's end are a writer's padding or
/// a trailer's few fields, not a file.
const MIN_APPENDED: u64 = 64;

/// Where an image's own structure ends.
#[derive(Debug, PartialEq)]
pub(super) enum End {
    /// At this offset.
    At(u64),
    /// The structure breaks before any end: the reason.
    Broken(&'static str),
    /// Not within the first [`MAX_IMAGE`] bytes (or the bytes could not
    /// be read).
    Unread(u64),
}

/// Reads `len` bytes at an offset (fewer at the end); `None` where it fails.
type Read<'r> = dyn FnMut(u64, usize) -> Option<Vec<u8>> + 'r;

/// Reads an object in blocks, for a walk that goes forwards.
struct Blocks<'r> {
    read: &'r mut Read<'r>,
    size: u64,
    at: u64,
    block: Vec<u8>,
}

impl Blocks<'_> {
    /// The bytes from `offset` to the end of its block (at least one),
    /// or `None` at the end of the object or where a read fails.
    fn from(&mut self, offset: u64) -> Option<&[u8]> {
        if offset >= self.size {
            return None;
        }
        let held = offset >= self.at && offset < self.at + self.block.len() as u64;
        if !held {
            let len = (self.size - offset).min(BLOCK as u64) as usize;
            self.block = (self.read)(offset, len).filter(|b| !b.is_empty())?;
            self.at = offset;
        }
        Some(&self.block[(offset - self.at) as usize..])
    }

    fn byte(&mut self, offset: u64) -> Option<u8> {
        self.from(offset).map(|b| b[0])
    }

    /// `N` bytes at `offset`, across a block's end if need be.
    fn array<const N: usize>(&mut self, offset: u64) -> Option<[u8; N]> {
        let mut out = [0u8; N];
        for (i, b) in out.iter_mut().enumerate() {
            *b = self.byte(offset + i as u64)?;
        }
        Some(out)
    }
}

/// Whether the byte after an `FF` inside a JPEG scan leaves the scan: not
/// a stuffed zero, a restart marker or another fill byte.
fn leaves_scan(next: u8) -> bool {
    !matches!(next, 0x00 | 0xd0..=0xd7 | 0xff)
}

/// Where a JPEG ends (see the module's account), reading through `read`.
pub(super) fn jpeg_end(read: &mut Read<'_>, size: u64) -> End {
    let mut b = Blocks {
        read,
        size,
        at: 0,
        block: Vec::new(),
    };
    let mut end = match one_jpeg(&mut b, 0) {
        End::At(end) => end,
        other => return other,
    };
    // The images a multi-picture JPEG (MPO, a gain map) keeps behind its
    // first, after a writer's padding, are the photo's own.
    for _ in 0..MAX_IMAGES {
        match next_jpeg(&mut b, end) {
            Some(start) => match one_jpeg(&mut b, start) {
                End::At(next) => end = next,
                other => return other,
            },
            None => break,
        }
    }
    End::At(end)
}

/// Images of one multi-picture JPEG followed through.
const MAX_IMAGES: usize = 8;

/// Padding looked through between the images of a multi-picture JPEG.
const MAX_PADDING: u64 = 4096;

/// Where another JPEG starts at `at`, behind zero bytes and fill bytes of
/// at most [`MAX_PADDING`] bytes.
fn next_jpeg(b: &mut Blocks<'_>, at: u64) -> Option<u64> {
    let mut i = at;
    while i < at + MAX_PADDING && b.byte(i)? == 0 {
        i += 1;
    }
    let soi = loop {
        if i >= at + MAX_PADDING {
            return None;
        }
        match b.byte(i)? {
            0xff if b.byte(i + 1)? == 0xff => i += 1,
            0xff => break i,
            _ => return None,
        }
    };
    (b.array::<3>(soi)? == [0xff, 0xd8, 0xff]).then_some(soi)
}

/// Where the JPEG whose start-of-image marker is at `start` ends.
fn one_jpeg(b: &mut Blocks<'_>, start: u64) -> End {
    if b.array::<2>(start) != Some([0xff, 0xd8]) {
        return End::Broken("no start-of-image marker");
    }
    let mut at = start + 2;
    loop {
        if at > MAX_IMAGE {
            return End::Unread(MAX_IMAGE);
        }
        match b.byte(at) {
            Some(0xff) => {}
            Some(_) => return End::Broken("its segments do not chain to an end-of-image marker"),
            None => return End::Unread(at),
        }
        // Fill bytes may precede a marker.
        let marker = loop {
            at += 1;
            match b.byte(at) {
                Some(0xff) => continue,
                Some(m) => break m,
                None => return End::Unread(at),
            }
        };
        at += 1;
        match marker {
            0xd9 => return End::At(at),
            0x01 | 0xd0..=0xd7 => continue,
            0x00 | 0xd8 => {
                return End::Broken("its segments do not chain to an end-of-image marker")
            }
            _ => {}
        }
        let Some(len) = b.array::<2>(at).map(u16::from_be_bytes) else {
            return End::Unread(at);
        };
        if len < 2 {
            return End::Broken("a segment declares a length below 2");
        }
        at += u64::from(len);
        if marker != 0xda {
            continue;
        }
        // Entropy-coded data: on to the next `FF` that leaves it.
        at = loop {
            if at > MAX_IMAGE {
                return End::Unread(MAX_IMAGE);
            }
            let Some(rest) = b.from(at) else {
                return End::Unread(at);
            };
            let Some(i) = memchr::memchr(0xff, rest) else {
                at += rest.len() as u64;
                continue;
            };
            let ff = at + i as u64;
            match b.byte(ff + 1) {
                Some(next) if leaves_scan(next) => break ff,
                Some(_) => at = ff + 1,
                None => return End::Unread(ff + 1),
            }
        };
    }
}

/// Where a PNG ends: behind its `IEND` chunk, walking chunk lengths from
/// its signature.
pub(super) fn png_end(read: &mut Read<'_>, size: u64) -> End {
    let mut b = Blocks {
        read,
        size,
        at: 0,
        block: Vec::new(),
    };
    if b.array::<8>(0) != Some(*b"\x89PNG\r\n\x1a\n") {
        return End::Broken("no PNG signature");
    }
    let mut at = 8u64;
    loop {
        if at > MAX_IMAGE {
            return End::Unread(MAX_IMAGE);
        }
        let Some(header) = b.array::<8>(at) else {
            return End::Unread(at);
        };
        let len = u32::from_be_bytes([header[0], header[1], header[2], header[3]]);
        let kind = &header[4..];
        // A chunk type is four ASCII letters; the length at most 2³¹ − 1.
        if len > i32::MAX as u32 || !kind.iter().all(u8::is_ascii_alphabetic) {
            return End::Broken("its chunks do not chain to an IEND chunk");
        }
        at += 12 + u64::from(len);
        if kind == b"IEND" {
            return End::At(at);
        }
    }
}

/// Whether some chunk header in `tail` (a PNG's last bytes, ending with
/// its `IEND` chunk) declares a chunk that ends exactly where `IEND`
/// begins: four ASCII letters of type, its length before them. A genuine
/// PNG's last chunk (image data, cut by writers into chunks of 8 KiB or
/// so, or a text chunk) does; a file written between it and a copied
/// `IEND` leaves none that does, unless it ends with a whole chunk of its
/// own making. A PNG whose last chunk is longer than the tail read is
/// walked, as if it were suspect. Image data is looked for by its type;
/// `any_kind` also tries every position for a chunk of another type (a
/// text chunk last), which costs a step a byte.
fn chunk_ends_at_iend(tail: &[u8], any_kind: bool) -> bool {
    let Some(iend) = tail.len().checked_sub(12) else {
        return false;
    };
    let ends_here = |p: usize| {
        p.checked_sub(4)
            .and_then(|at| tail.get(at..p))
            .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]) as usize)
            .is_some_and(|len| p.checked_add(8 + len) == Some(iend))
    };
    // Image data is what most PNGs end with: its type is searched first.
    if memchr::memmem::find_iter(&tail[..iend], b"IDAT").any(ends_here) {
        return true;
    }
    if !any_kind {
        return false;
    }
    // Else any chunk: the header at `p` must declare `last - p` bytes.
    // Over each stretch of 2¹⁶ positions those lengths share their top two
    // bytes, which a byte-pair search finds where they stand; only there
    // are the length and the type read.
    let Some(last) = iend.checked_sub(12) else {
        return false;
    };
    (0..=last >> 16).any(|top| {
        let hi = last - (top << 16);
        let lo = hi.saturating_sub(0xffff);
        let needle = [(top >> 8) as u8, top as u8];
        memchr::memmem::find_iter(&tail[lo..hi + 2], &needle)
            .map(|i| lo + i)
            .any(|p| {
                let w = &tail[p..p + 8];
                u32::from_be_bytes([w[0], w[1], w[2], w[3]]) as usize == last - p
                    && w[4..].iter().all(u8::is_ascii_alphabetic)
            })
    })
}

/// Whether `window` holds bytes no JPEG scan holds: an `FF` followed by a
/// byte that is neither stuffing, a restart, a fill byte nor a marker
/// that may come between scans (tables, a scan's start, restart interval,
/// a comment or an application segment, the end). A scan never holds
/// another `FF`; a recording or a video's frames hold one in 256 bytes,
/// and far more than half of them followed by something else.
pub(super) fn foreign_to_a_scan(window: &[u8]) -> bool {
    let between_scans = |m: u8| {
        matches!(
            m,
            0xc4 | 0xcc | 0xd9 | 0xda | 0xdb | 0xdd | 0xe0..=0xef | 0xfe
        )
    };
    let mut strays = 0;
    for at in memchr::memchr_iter(0xff, window) {
        match window.get(at + 1) {
            Some(&next) if leaves_scan(next) && !between_scans(next) => strays += 1,
            _ => {}
        }
        // One stray could be a damaged byte; a few are another format.
        if strays >= 4 {
            return true;
        }
    }
    false
}

impl Walk<'_> {
    /// A file appended to an image (see the module's account): judged as
    /// member `embedded@END`, or a limit saying why its end was not found.
    /// Whether the image was read for one.
    pub(super) fn after_image(
        &mut self,
        level: &Level<'_, '_>,
        sniff: &sniff::Sniff,
        name: &str,
        depth: u32,
    ) -> bool {
        let format = &*sniff.format;
        if !matches!(format, "jpg" | "png") {
            return false;
        }
        // Another level (an image found behind an image, a member) is
        // read as the object's windows were: its end and its middle.
        let (head, windows);
        let sample = match &level.bytes {
            LevelBytes::Outer(sample, _) => *sample,
            _ => {
                head = level.from(0, HEAD_LEN).unwrap_or_default();
                let spread = Sample::new(level.size, &head, &[]).spread_wants(0..level.size);
                windows = spread
                    .into_iter()
                    .filter_map(|w| {
                        let bytes = level.from(w.start, (w.end - w.start) as usize)?;
                        Some(Window {
                            offset: w.start,
                            bytes: bytes.into_owned(),
                        })
                    })
                    .collect::<Vec<_>>();
                &Sample::new(level.size, &head, &windows)
            }
        };
        let suspect = match sniff::ending(sample, format) {
            Ending::Early(None) => true,
            // Anyone can write an end marker after what they append: a
            // window behind the head that no JPEG scan holds says so.
            Ending::Unproven if format == "jpg" => {
                sample.past_head().any(|w| foreign_to_a_scan(&w.bytes))
            }
            // A PNG's last chunk before `IEND` ends where `IEND` starts: an
            // end window in which none does holds something else.
            // Writers cut image data into chunks of up to 64 KiB (Pillow's
            // size): when the end window read holds no chunk header that
            // chains to IEND, one read a little longer does.
            Ending::Unproven => {
                let last = |n: u64| sample.at(level.size.saturating_sub(n), n as usize);
                let chained = last(WINDOW_LEN as u64)
                    .or_else(|| last(4096))
                    .is_some_and(|tail| chunk_ends_at_iend(tail, false));
                let longer = (WINDOW_LEN as u64 + 8192).min(level.size);
                !chained
                    && !level
                        .from(level.size - longer, longer as usize)
                        .is_some_and(|tail| chunk_ends_at_iend(&tail, true))
            }
            _ => false,
        };
        if !suspect {
            return false;
        }
        let mut read = |offset: u64, len: usize| level.from(offset, len).map(Cow::into_owned);
        let end = match format {
            "jpg" => jpeg_end(&mut read, level.size),
            _ => png_end(&mut read, level.size),
        };
        let end = match end {
            End::At(end) => end,
            End::Broken(why) => {
                self.limit(
                    name,
                    Limit::Unsupported,
                    format!("{format} with data behind its head: {why}; what follows its end was not inspected"),
                );
                return true;
            }
            // A file cut short: what its structure declares runs past the
            // object's end, so nothing can be known to follow it, and a
            // declared length can hide what does.
            End::Unread(at) if at >= level.size => {
                self.limit(
                    name,
                    Limit::Unsupported,
                    format!("{format} with data behind its head is cut short: its structure runs on past the object's end, so nothing behind it was looked for"),
                );
                return true;
            }
            End::Unread(at) => {
                self.limit(
                    name,
                    Limit::ObjectBytes,
                    format!("{format} with data behind its head: no end found in its first {at} bytes; what follows was not inspected"),
                );
                return true;
            }
        };
        if end.saturating_add(MIN_APPENDED) > level.size {
            return true;
        }
        if self.too_deep_behind(name, "a file", format, depth) {
            return true;
        }
        self.file_behind(level, name, end, depth);
        true
    }

    /// Judges `level`'s bytes from `at` on as a file of their own, member
    /// `embedded@AT`: its head, then the windows its detectors ask for, read
    /// as an object's are; opened in place, with no copy of what it holds.
    fn file_behind(&mut self, level: &Level<'_, '_>, prefix: &str, at: u64, depth: u32) {
        let behind = Level {
            size: level.size - at,
            bytes: LevelBytes::Behind(level, at),
        };
        let head = behind.from(0, HEAD_LEN).unwrap_or_default().into_owned();
        // A window that cannot be read is an empty one, judged as nothing.
        let read = |offset: u64, len: usize| {
            Ok::<_, std::convert::Infallible>(
                behind.from(offset, len).unwrap_or_default().into_owned(),
            )
        };
        let Ok(Sniffed { sniff: s, .. }) =
            sniff_reading(behind.size, &head, &self.rules.signatures, read);
        let member = chain(prefix, &format!("embedded@{at}"));
        self.open(&behind, &s, &member, depth + 1);
        self.inside.members.push(Member {
            member,
            sniff: s,
            size: behind.size,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn end_of(f: fn(&mut Read<'_>, u64) -> End, b: &[u8]) -> End {
        let mut read = |offset: u64, len: usize| {
            let at = offset as usize;
            b.get(at..(at + len).min(b.len())).map(<[u8]>::to_vec)
        };
        f(&mut read, b.len() as u64)
    }

    /// SOI, an APP1 segment holding a thumbnail's own SOI…EOI, a scan with
    /// stuffing, a restart and fill bytes, EOI.
    fn jpeg() -> Vec<u8> {
        let mut j = b"\xff\xd8".to_vec();
        j.extend(b"\xff\xe1\x00\x08\xff\xd8\xff\xd9\x00\x00");
        j.extend(b"\xff\xda\x00\x08\x01\x01\x00\x00\x3f\x00");
        j.extend(b"\x12\xff\x00\x34\xff\xd0\x56\xff\xff\xff\xd9");
        j
    }

    #[test]
    fn a_jpeg_ends_at_its_own_marker_not_a_thumbnails() {
        let mut j = jpeg();
        let end = j.len() as u64;
        assert_eq!(end_of(jpeg_end, &j), End::At(end));
        j.extend(b"\0\0\0\x18ftypisom");
        assert_eq!(end_of(jpeg_end, &j), End::At(end));
    }

    #[test]
    fn a_jpeg_scan_is_read_across_blocks() {
        let mut j = b"\xff\xd8\xff\xda\x00\x02".to_vec();
        j.extend(std::iter::repeat_n(0x11u8, 3 * BLOCK + 7));
        j.extend(b"\xff\x00\xff\xd9RIFF");
        assert_eq!(end_of(jpeg_end, &j), End::At(j.len() as u64 - 4));
    }

    #[test]
    fn the_images_of_a_multi_picture_jpeg_are_one_photo() {
        let one = jpeg();
        let mut mpo = one.clone();
        mpo.push(0);
        mpo.extend(&one);
        mpo.extend(b"\xff\xff");
        mpo.extend(&one);
        let end = mpo.len() as u64;
        mpo.extend(b"\0\0\0\x18ftypmp42");
        assert_eq!(end_of(jpeg_end, &mpo), End::At(end));
        // What follows padding is another image only if it is one.
        let mut two = one.clone();
        two.extend(b"\0\0\xff\xd8\x00");
        assert_eq!(end_of(jpeg_end, &two), End::At(one.len() as u64));
    }

    #[test]
    fn a_broken_or_cut_jpeg_has_no_end() {
        assert!(matches!(
            end_of(jpeg_end, b"\xff\xd8\x00\x00"),
            End::Broken(_)
        ));
        assert!(matches!(
            end_of(jpeg_end, b"\xff\xd8\xff\xe0\x00\x01"),
            End::Broken(_)
        ));
        assert!(matches!(end_of(jpeg_end, b"GIF89a"), End::Broken(_)));
        let cut = &jpeg()[..20];
        assert_eq!(end_of(jpeg_end, cut), End::Unread(22));
        // A segment length that points past the object.
        assert_eq!(
            end_of(jpeg_end, b"\xff\xd8\xff\xe0\xff\xff"),
            End::Unread(65539)
        );
    }

    #[test]
    fn a_png_ends_behind_its_iend_chunk() {
        let mut p = b"\x89PNG\r\n\x1a\n".to_vec();
        p.extend(b"\x00\x00\x00\x02IDATxx\x00\x00\x00\x00");
        p.extend(b"\x00\x00\x00\x00IEND\xae\x42\x60\x82");
        let end = p.len() as u64;
        p.extend(b"fLaC\0\0\0\x22");
        assert_eq!(end_of(png_end, &p), End::At(end));
        assert!(matches!(end_of(png_end, &p[..20]), End::Unread(_)));
        let mut bad = p[..8].to_vec();
        bad.extend(b"\x00\x00\x00\x02ID\x01T");
        assert!(matches!(end_of(png_end, &bad), End::Broken(_)));
    }

    /// A JPEG of `scan` bytes of entropy-coded data (every `FF` stuffed).
    fn photo(scan: usize) -> Vec<u8> {
        let mut j =
            b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00".to_vec();
        j.extend(b"\xff\xda\x00\x08\x01\x01\x00\x00\x3f\x00");
        for b in crate::sniff::testutil::pseudo_random(scan, 7) {
            j.push(b);
            if b == 0xff {
                j.push(0);
            }
        }
        j.extend(b"\xff\xd9");
        j
    }

    /// Walks `bytes` as the pipeline does: the head, and the windows the
    /// sniff asks for, read before the walk.
    fn walk(bytes: &[u8]) -> crate::unpack::Inside {
        use crate::rules::RuleSet;
        let rules = RuleSet::embedded();
        let size = bytes.len() as u64;
        let head = &bytes[..bytes.len().min(HEAD_LEN)];
        let Ok(Sniffed {
            sniff: outer,
            windows,
            ..
        }) = sniff_reading(size, head, &rules.signatures, |offset, len| {
            let at = offset as usize;
            Ok::<_, std::convert::Infallible>(bytes[at..(at + len).min(bytes.len())].to_vec())
        });
        let sample = Sample::new(size, head, &windows);
        let mut fetch = |offset: u64, len: usize| -> Option<Vec<u8>> {
            let start = usize::try_from(offset).ok()?.min(bytes.len());
            Some(bytes[start..bytes.len().min(start.saturating_add(len))].to_vec())
        };
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        crate::unpack::look_inside(&sample, &outer, "x", &rules, 3, deadline, &mut fetch)
    }

    #[test]
    fn a_file_behind_a_photo_is_a_member_wherever_it_starts() {
        // A WAV header whose samples no window behind the head reaches
        // before the photo's end: random bytes behind it, then the end.
        let mut wav = crate::unpack::tests::wav()[..44].to_vec();
        wav[40..44].copy_from_slice(&200_000u32.to_le_bytes());
        wav[4..8].copy_from_slice(&200_036u32.to_le_bytes());
        wav.extend(crate::sniff::testutil::pseudo_random(200_000, 3));
        let mut j = photo(300_000);
        let end = j.len();
        j.extend(&wav);
        let inside = walk(&j);
        assert_eq!(
            inside.found(),
            vec![(&*format!("embedded@{end}"), "wav")],
            "{:?}",
            inside.limits
        );
        // An end marker written after it does not hide it.
        j.extend(b"\xff\xd9");
        assert_eq!(walk(&j).found(), vec![(&*format!("embedded@{end}"), "wav")]);
        // A photo alone is read no further, and has no member.
        let alone = walk(&photo(300_000));
        assert!(alone.members.is_empty() && alone.limits.is_empty());
    }

    #[test]
    fn a_photo_whose_structure_breaks_is_a_limit() {
        let mut j = photo(300_000);
        // A stray marker in the scan: its "length" leads nowhere.
        let at = j.len() / 2;
        j[at..at + 4].copy_from_slice(b"\xff\x13\x00\x04");
        j.truncate(j.len() - 2);
        j.extend(crate::sniff::testutil::pseudo_random(100_000, 9));
        let inside = walk(&j);
        assert!(inside.members.is_empty());
        assert_eq!(inside.limits.len(), 1, "{:?}", inside.limits);
        assert_eq!(inside.limits[0].limit, Limit::Unsupported);
        assert!(inside.says("what follows its end was not inspected"));
        // A photo cut short: nothing can follow its end.
        let mut cut = photo(300_000);
        cut.truncate(250_000);
        let inside = walk(&cut);
        assert!(inside.members.is_empty());
        assert_eq!(inside.limits.len(), 1, "{:?}", inside.limits);
        assert!(inside.says("is cut short"));
    }

    #[test]
    fn a_png_tail_shows_whether_its_last_chunk_ends_at_iend() {
        let iend = b"\x00\x00\x00\x00IEND\xae\x42\x60\x82";
        let mut png = b"xx\x00\x00\x00\x03IDATabcCRC!".to_vec();
        png.extend(iend);
        assert!(chunk_ends_at_iend(&png, true));
        // Something written between the last chunk and a copied IEND.
        let mut forged = png[..png.len() - 12].to_vec();
        forged.extend(b"ftypisom and the rest of a clip");
        forged.extend(iend);
        assert!(!chunk_ends_at_iend(&forged, true));
        assert!(!chunk_ends_at_iend(iend, true));
    }

    /// The search by the lengths' top bytes finds what a test of every
    /// position finds, across the 2¹⁶ boundaries of the lengths.
    #[test]
    fn a_chunk_of_any_kind_is_found_where_a_test_of_every_position_finds_it() {
        fn every_position(tail: &[u8]) -> bool {
            let Some(iend) = tail.len().checked_sub(12) else {
                return false;
            };
            tail[..iend].windows(8).enumerate().any(|(p, w)| {
                let len = u32::from_be_bytes([w[0], w[1], w[2], w[3]]) as usize;
                iend.checked_sub(12 + p) == Some(len) && w[4..].iter().all(u8::is_ascii_alphabetic)
            })
        }
        let iend = b"\x00\x00\x00\x00IEND\xae\x42\x60\x82";
        for (n, at) in [(0, 0), (5, 0), (70_000, 3), (70_000, 4_460), (140_000, 7)] {
            let len = n / 2;
            let mut tail = crate::sniff::testutil::pseudo_random(n, at as u64);
            for head in [len.saturating_sub(8), len, len + 1] {
                let mut t = tail.clone();
                if let Some(declared) = n.checked_sub(head + 12) {
                    t[head..head + 4].copy_from_slice(&(declared as u32).to_be_bytes());
                    t[head + 4..head + 8].copy_from_slice(b"zTXt");
                }
                t.extend(iend);
                assert_eq!(
                    chunk_ends_at_iend(&t, true),
                    every_position(&t),
                    "{n} {head}"
                );
            }
            tail.extend(iend);
            assert_eq!(
                chunk_ends_at_iend(&tail, true),
                every_position(&tail),
                "{n}"
            );
        }
    }

    #[test]
    fn scan_data_is_told_from_other_formats() {
        // Scan data: stuffing, restarts, the next scan's tables.
        let scan = b"\x12\xff\x00\x34\xff\xd3\x99\xff\xc4\x00\x05\xff\xda\xff\xff\xd9";
        assert!(!foreign_to_a_scan(scan));
        let other: Vec<u8> = (0..64u8)
            .flat_map(|i| [0xff, i.wrapping_mul(3) | 0x01, 0x20])
            .collect();
        assert!(foreign_to_a_scan(&other));
        // Fewer than four strays: a damaged byte or two.
        assert!(!foreign_to_a_scan(b"\xff\x13\x00\xff\x27\x00\xff\x31"));
    }
}
