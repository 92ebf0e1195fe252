//! Media containers that may carry voice next to (or instead of) video:
//! ISO BMFF (MP4/M4A/MOV/3GP), Matroska/WebM, ASF, AVI, FLV, MPEG-PS and
//! MPEG-TS (broadcast recordings, HLS segments).
//! A container is audio data when it carries at least one audio track; the
//! track tables are walked, including a `moov` at the end of the file, which
//! is fetched with a ranged read at the offset the box sizes imply.

use super::bytes::{be16, be32, be64, find, get, le32, le64, starts, u8_at};
use super::{judge_payload, Class, Encryption, Sample, Sniff, WINDOW_LEN};

pub(crate) fn detect(s: &Sample) -> Option<Sniff> {
    isobmff(s)
        .or_else(|| matroska(s))
        .or_else(|| matroska_clusters(s))
        .or_else(|| asf(s))
        .or_else(|| avi(s))
        .or_else(|| flv(s))
        .or_else(|| mpeg_ps(s))
        .or_else(|| mpeg_ts(s))
}

/// MPEG transport stream: 188-byte packets (192 in M2TS/Blu-ray, with a
/// 4-byte timestamp first) that all start with 0x47. The program map table
/// names each elementary stream's type; audio PIDs whose packets are
/// scrambled mean a clear container around encrypted audio.
fn mpeg_ts(s: &Sample) -> Option<Sniff> {
    let h = s.head;
    let (stride, skip) = [(188, 0), (192, 4)].into_iter().find(|&(stride, skip)| {
        let packets = (h.len().saturating_sub(skip) / stride).min(64);
        packets >= 5 && (0..packets).all(|i| h[skip + i * stride] == 0x47)
    })?;
    let packets: Vec<&[u8]> = h[skip..]
        .chunks_exact(stride)
        .map(|p| &p[..188])
        .take_while(|p| p[0] == 0x47)
        .collect();
    let pid = |p: &[u8]| u16::from(p[1] & 0x1f) << 8 | u16::from(p[2]);
    // The payload of a packet that starts a section, after its pointer field.
    let section = |p: &[u8]| -> Option<Vec<u8>> {
        if p[1] & 0x40 == 0 {
            return None;
        }
        let mut at = 4;
        if p[3] & 0x20 != 0 {
            at += 1 + usize::from(*p.get(4)?);
        }
        let pointer = usize::from(*p.get(at)?);
        p.get(at + 1 + pointer..).map(<[u8]>::to_vec)
    };
    // The stream id of the first PES packet starting on `pid`.
    let pes_stream_id = |es_pid: u16| -> Option<u8> {
        packets
            .iter()
            .filter(|p| pid(p) == es_pid && p[1] & 0x40 != 0)
            .find_map(|p| {
                let at = if p[3] & 0x20 != 0 {
                    5 + usize::from(p[4])
                } else {
                    4
                };
                (p.get(at..at + 3)? == [0, 0, 1]).then(|| p.get(at + 3).copied())?
            })
    };
    let mut pmt_pids = Vec::new();
    for p in packets.iter().filter(|p| pid(p) == 0) {
        if let Some(sec) = section(p).filter(|s| s.first() == Some(&0x00)) {
            let len = (usize::from(sec.get(1)? & 0x0f) << 8 | usize::from(*sec.get(2)?))
                .min(sec.len().saturating_sub(3));
            // Program entries sit between the 8-byte header and the CRC.
            for entry in sec.get(8..(3 + len).saturating_sub(4))?.chunks_exact(4) {
                let program = u16::from_be_bytes([entry[0], entry[1]]);
                if program != 0 {
                    pmt_pids.push(u16::from(entry[2] & 0x1f) << 8 | u16::from(entry[3]));
                }
            }
            break;
        }
    }
    let mut tracks = Tracks::default();
    let mut audio_pids = Vec::new();
    let mut seen_pmt = false;
    for p in packets.iter().filter(|p| pmt_pids.contains(&pid(p))) {
        let Some(sec) = section(p).filter(|s| s.first() == Some(&0x02)) else {
            continue;
        };
        seen_pmt = true;
        let len = (usize::from(sec.get(1)? & 0x0f) << 8 | usize::from(*sec.get(2)?))
            .min(sec.len().saturating_sub(3));
        let info = usize::from(sec.get(10)? & 0x0f) << 8 | usize::from(*sec.get(11)?);
        let mut at = 12 + info;
        let end = (3 + len).saturating_sub(4);
        while at + 5 <= end {
            let kind = sec[at];
            let es_pid = u16::from(sec[at + 1] & 0x1f) << 8 | u16::from(sec[at + 2]);
            let es_len = usize::from(sec[at + 3] & 0x0f) << 8 | usize::from(sec[at + 4]);
            let descriptors = sec
                .get(at + 5..(at + 5 + es_len).min(sec.len()))
                .unwrap_or(&[]);
            // Private streams name their audio codec in a descriptor (AC-3,
            // E-AC-3, DTS, AAC: ETSI EN 300 468 tags 0x6A, 0x7A, 0x7B, 0x7C).
            let mut tags = Vec::new();
            let mut d = 0;
            while d + 2 <= descriptors.len() {
                tags.push(descriptors[d]);
                d += 2 + usize::from(descriptors[d + 1]);
            }
            // Without one, the PES stream id of its packets still says audio.
            let private_audio = kind == 0x06
                && (tags.iter().any(|t| matches!(t, 0x6a | 0x7a | 0x7b | 0x7c))
                    || pes_stream_id(es_pid).is_some_and(|id| (0xc0..=0xdf).contains(&id)));
            let codec = match kind {
                0x03 | 0x04 => Some("mpeg-audio"),
                0x0f => Some("aac-adts"),
                0x11 => Some("aac-latm"),
                0x1c => Some("mpeg4-audio"),
                0x81 => Some("ac3"),
                0x87 => Some("eac3"),
                0x06 if private_audio => Some("private-audio"),
                _ => None,
            };
            match codec {
                Some(c) => {
                    tracks.audio.push(c.to_string());
                    audio_pids.push(es_pid);
                }
                None if matches!(kind, 0x01 | 0x02 | 0x10 | 0x1b | 0x24 | 0xea) => {
                    tracks.video += 1
                }
                None => {}
            }
            at += 5 + es_len;
        }
        break;
    }
    if !seen_pmt {
        return None;
    }
    let audio_packets: Vec<&&[u8]> = packets
        .iter()
        .filter(|p| audio_pids.contains(&pid(p)))
        .collect();
    let scrambled = audio_packets.iter().filter(|p| p[3] & 0xc0 != 0).count();
    if !audio_packets.is_empty() && scrambled * 2 >= audio_packets.len() {
        tracks.protected.push("transport-stream scrambling".into());
    }
    Some(tracks.verdict("mpeg-ts", "mpeg-ts", "video/mp2t").with(
        "magic",
        format!("{} TS packets of {stride} bytes at {skip}", packets.len()),
    ))
}

/// What the track tables of a container say.
#[derive(Default, Debug)]
struct Tracks {
    audio: Vec<String>,
    video: usize,
    /// Protection scheme of encrypted audio tracks (CENC `schm`, `drms`, Matroska AES …).
    protected: Vec<String>,
}

impl Tracks {
    fn verdict(
        self,
        format_audio: &'static str,
        format_video: &'static str,
        mime: &'static str,
    ) -> Sniff {
        let format = if self.video > 0 {
            format_video
        } else {
            format_audio
        };
        if self.audio.is_empty() {
            return Sniff::new(format, Some(mime), Class::Other, Encryption::None)
                .with("audio_tracks", 0)
                .with("video_tracks", self.video);
        }
        let encryption = if self.protected.is_empty() {
            Encryption::None
        } else {
            Encryption::Partial
        };
        let mut sniff = Sniff::new(format, Some(mime), Class::Audio, encryption)
            .with("audio_tracks", self.audio.len())
            .with("video_tracks", self.video)
            .with("codec", distinct(&self.audio));
        if !self.protected.is_empty() {
            sniff = sniff.with("scheme", distinct(&self.protected)).with(
                "leaked",
                "container, track tables, codecs and durations in the clear; samples encrypted",
            );
        }
        sniff
    }
}

/// The distinct names in `names`, in order of appearance, at most eight: a
/// file with thousands of tracks gets a short list, not a long one.
fn distinct(names: &[String]) -> String {
    let mut shown: Vec<&str> = Vec::new();
    for n in names {
        if !shown.contains(&n.as_str()) {
            if shown.len() == 8 {
                shown.push("...");
                break;
            }
            shown.push(n);
        }
    }
    shown.join(",")
}

/// At most this many boxes are looked at in one parent (a `moov` with
/// 100,000 `trak`s costs no more than one with 4,096).
const MAX_BOXES: usize = 4096;

/// One ISO BMFF box header (ISO/IEC 14496-12 §4.2).
#[derive(Debug, PartialEq, Eq)]
struct BoxHeader {
    kind: [u8; 4],
    /// 8, or 16 with a 64-bit `largesize`.
    header: u64,
    /// The whole box, header included, cut to the room its parent leaves.
    len: u64,
}

/// Parses the box header at the start of `b`, for a box that may take at most
/// `room` bytes (to the end of its parent, or of the file). Size 1 means a
/// 64-bit size follows the type; size 0 means "to the end of the parent". A
/// size smaller than its own header is impossible and ends the walk; a size
/// larger than the room is cut to it. `None` also when the header is not all
/// in `b`; so every box the walk accepts is at least 8 bytes long and the
/// walk always advances.
fn box_header(b: &[u8], room: u64) -> Option<BoxHeader> {
    let size = be32(b, 0)?;
    let kind: [u8; 4] = get(b, 4, 4)?.try_into().ok()?;
    let (header, len) = match size {
        1 => (16, be64(b, 8)?),
        0 => (8, room),
        n => (8, u64::from(n)),
    };
    if len < header || room < header {
        return None;
    }
    Some(BoxHeader {
        kind,
        header,
        len: len.min(room),
    })
}

/// The boxes inside `b`: (type, body), the body cut to what `b` holds.
fn bmff_children(b: &[u8]) -> impl Iterator<Item = ([u8; 4], &[u8])> {
    let mut rest = b;
    std::iter::from_fn(move || {
        let h = box_header(rest, rest.len() as u64)?;
        // `len` ≤ room = rest.len(), so both casts are lossless.
        let (body, next) = (
            &rest[h.header as usize..h.len as usize],
            &rest[h.len as usize..],
        );
        rest = next;
        Some((h.kind, body))
    })
    .take(MAX_BOXES)
}

/// Bytes of one `trak` read from its start: its header boxes (`tkhd`, `mdia`
/// → `hdlr`, `minf` → `stbl` → `stsd`) come first and the sample tables
/// after them are never needed, so one window at the track's start decides it.
const TRAK_READ: usize = WINDOW_LEN;

/// Walks the children of a `moov` whose body is `body` (absolute offsets)
/// across everything read, header by header, so a `moov` larger than the
/// head (a long video's sample tables) is followed to its sound track with
/// one window per track rather than read whole. Returns the offset to read
/// next when the tracks read so far hold no audio and more of the `moov` lies
/// beyond the sample; `None` when the walk is done or cannot go on.
fn walk_moov(s: &Sample, body: std::ops::Range<u64>, t: &mut Tracks) -> Option<u64> {
    let mut pos = body.start;
    for _ in 0..MAX_BOXES {
        if body.end.saturating_sub(pos) < 8 {
            return None;
        }
        let room = body.end - pos;
        let Some(b) = s.at(pos, 16).or_else(|| s.at(pos, 8)) else {
            return Some(pos);
        };
        let Some(bx) = box_header(b, room) else {
            // Only a 64-bit size cut off at the end of what was read is worth a read.
            return (be32(b, 0) == Some(1) && b.len() < 16 && room >= 16).then_some(pos);
        };
        if &bx.kind == b"trak" {
            let at = pos + bx.header;
            let len = usize::try_from(bx.len - bx.header).unwrap_or(usize::MAX);
            let trak = super::audio::contiguous(s, at, len.min(TRAK_READ));
            if trak.is_empty() {
                return Some(at);
            }
            // A track cut short before its handler or sample description:
            // the rest of its start is asked for.
            let cut = trak.len() < len;
            if !walk_trak(&trak, cut, t) && trak.len() < len.min(TRAK_READ) {
                return Some(at + trak.len() as u64);
            }
        }
        pos += bx.len;
    }
    None
}

/// Sample entry types that are audio whatever the handler says (or when it
/// was not read): ISO BMFF, QuickTime and 3GPP sound sample descriptions.
const SOUND_ENTRIES: &[&[u8; 4]] = &[
    b"mp4a", b"enca", b"alac", b"fLaC", b"Opus", b"ac-3", b"ec-3", b"ac-4", b"dtsc", b"dtsh",
    b"dtsl", b"dtse", b"mha1", b"mhm1", b"samr", b"sawb", b"sawp", b"sevc", b"sqcp", b"ssmv",
    b"lpcm", b"sowt", b"twos", b"in24", b"in32", b"fl32", b"fl64", b"raw ", b"ulaw", b"alaw",
    b"ima4", b".mp3", b"mp3 ", b"MAC3", b"MAC6", b"QDM2", b"QDMC", b"agsm", b"ipcm", b"fpcm",
];

/// Records one track's type and codec. `cut`: `trak` holds only the start
/// of the track; then `false` (nothing recorded) when its handler, or a sound
/// track's sample description, lies beyond what was read.
fn walk_trak(trak: &[u8], cut: bool, t: &mut Tracks) -> bool {
    let mut handler = [0u8; 4];
    let mut entries: Vec<[u8; 4]> = Vec::new();
    let mut schemes: Vec<String> = Vec::new();
    fn descend(
        b: &[u8],
        handler: &mut [u8; 4],
        entries: &mut Vec<[u8; 4]>,
        schemes: &mut Vec<String>,
        depth: u8,
    ) {
        if depth > 8 {
            return;
        }
        for (kind, body) in bmff_children(b) {
            match &kind {
                b"mdia" | b"minf" | b"stbl" | b"sinf" | b"schi" => {
                    descend(body, handler, entries, schemes, depth + 1)
                }
                // QuickTime's `minf` holds a second, data-reference handler
                // ('dhlr'); only the media handler names the track type.
                b"hdlr" if get(body, 4, 4) != Some(&b"dhlr"[..]) => {
                    if let Some(h) = get(body, 8, 4) {
                        handler.copy_from_slice(h);
                    }
                }
                b"stsd" => {
                    for (entry, fields) in bmff_children(body.get(8..).unwrap_or(&[])) {
                        if entries.len() < MAX_BOXES {
                            entries.push(entry);
                        }
                        // Audio sample entries carry 28 bytes of fields before child boxes.
                        if matches!(&entry, b"enca" | b"encv" | b"drms") {
                            if let Some(children) = fields.get(28..) {
                                descend(children, handler, entries, schemes, depth + 1);
                            }
                        }
                    }
                }
                b"schm" => {
                    if let (Some(s), true) = (get(body, 4, 4), schemes.len() < 16) {
                        schemes.push(super::token(s));
                    }
                }
                b"frma" => {
                    if let (Some(f), true) = (get(body, 0, 4), entries.len() < MAX_BOXES) {
                        entries.push(f.try_into().unwrap_or([0; 4]));
                    }
                }
                _ => {}
            }
        }
    }
    descend(trak, &mut handler, &mut entries, &mut schemes, 0);
    let sound_entry = entries.iter().any(|e| SOUND_ENTRIES.contains(&e));
    if handler == [0; 4] && sound_entry {
        handler = *b"soun";
    }
    match &handler {
        [0, 0, 0, 0] | b"soun" if cut && entries.is_empty() => return false,
        b"soun" => {
            let codec = entries
                .iter()
                .find(|e| !matches!(*e, b"enca" | b"drms"))
                .or(entries.first())
                .map(|e| super::token(e).trim().to_string())
                .unwrap_or_default();
            if entries.iter().any(|e| matches!(e, b"enca" | b"drms")) {
                let scheme = if entries.iter().any(|e| e == b"drms") {
                    "fairplay".to_string()
                } else {
                    schemes.first().cloned().unwrap_or_else(|| "cenc".into())
                };
                t.protected.push(scheme);
            }
            t.audio.push(codec);
        }
        b"vide" => t.video += 1,
        _ => {}
    }
    true
}

pub(super) fn isobmff(s: &Sample) -> Option<Sniff> {
    let h = s.head;
    let first = get(h, 4, 4)?;
    let brand = if first == b"ftyp" {
        let size = be32(h, 0)? as usize;
        if !(16..=4096).contains(&size) {
            return None;
        }
        super::token(get(h, 8, 4)?)
    } else if matches!(
        first,
        b"moov" | b"mdat" | b"wide" | b"free" | b"skip" | b"pnot"
    ) && be32(h, 0)? >= 8
    {
        // Old QuickTime files start straight with atoms; the next atom must parse too.
        let size = be32(h, 0)? as u64;
        if size < s.size {
            let next = s.at(size, 8)?;
            if !next[4..].iter().all(u8::is_ascii_alphanumeric) {
                return None;
            }
        }
        "qt  ".to_string()
    } else {
        return None;
    };
    let family = match brand.as_str() {
        b if b.starts_with("3g") => ("3gp", "3gp", "video/3gpp"),
        "M4A " | "M4B " | "M4P " | "F4A " | "F4B " => ("m4a", "mp4", "audio/mp4"),
        "qt  " => ("mov", "mov", "video/quicktime"),
        _ => ("m4a", "mp4", "video/mp4"),
    };
    // Walk the top-level boxes across everything read, asking for the next one
    // when it lies beyond the sample (a `moov` after a large `mdat`).
    let mut pos = 0u64;
    let mut tracks = Tracks::default();
    let mut moov_seen = false;
    let mut mdat: Option<std::ops::Range<u64>> = None;
    let mut wants = Vec::new();
    // Where the chain of boxes stopped making sense, when it did.
    let mut broken = None;
    for _ in 0..1024 {
        if pos >= s.size {
            break;
        }
        let want_from_here = pos..pos.saturating_add(WINDOW_LEN as u64).min(s.size);
        let room = s.size - pos;
        // The header is 8 bytes, or 16 with a 64-bit size.
        let Some(b) = s.at(pos, 16).or_else(|| s.at(pos, 8)) else {
            wants.push(want_from_here);
            break;
        };
        let Some(bx) = box_header(b, room) else {
            if be32(b, 0) == Some(1) && b.len() < 16 && room >= 16 {
                // The 64-bit size lies just past what was read.
                wants.push(want_from_here);
            } else {
                broken = Some(pos);
            }
            break;
        };
        if !bx.kind.iter().all(|c| c.is_ascii_graphic() || *c == b' ') {
            broken = Some(pos);
            break;
        }
        let body_at = pos + bx.header;
        let end = pos + bx.len;
        match &bx.kind {
            b"moov" => match walk_moov(s, body_at..end, &mut tracks) {
                None => moov_seen = true,
                // A sound track found is a verdict; the tracks after it may wait.
                Some(_) if !tracks.audio.is_empty() => moov_seen = true,
                Some(next) => {
                    wants.push(next..next.saturating_add(WINDOW_LEN as u64).min(s.size));
                    break;
                }
            },
            b"mdat" if mdat.is_none() => mdat = Some(body_at..end),
            _ => {}
        }
        pos = end;
    }
    let (audio_format, video_format, mime) = family;
    // No track tables and no media data in the head: the boxes explain
    // nothing after them (bytes that are no boxes, or a `free` box around
    // them), and headerless samples there are judged as if they were not
    // there.
    if !moov_seen && mdat.is_none() {
        if let Some(samples) = super::audio::raw_pcm(s) {
            let head = match broken {
                Some(at) => format!("ISO BMFF boxes up to byte {at}, then samples"),
                None => {
                    "ISO BMFF boxes without track tables or media data around samples".to_string()
                }
            };
            return Some(samples.with("head", head));
        }
    }
    let mut sniff = if moov_seen {
        tracks.verdict(audio_format, video_format, mime)
    } else if audio_format == "m4a" && mime == "audio/mp4" {
        Sniff::new("m4a", Some(mime), Class::Audio, Encryption::None)
            .with("note", "track tables not read; audio brand")
    } else {
        Sniff::new(video_format, Some(mime), Class::Other, Encryption::None)
            .with("note", "track tables not read")
            .with("video_tracks", tracks.video)
    };
    sniff = sniff
        .with("magic", format!("ISO BMFF, brand '{}'", brand.trim()))
        .with("brand", brand.trim());
    if sniff.class == Class::Audio && sniff.encryption == Encryption::None {
        if let Some(mdat) = mdat {
            sniff = judge_payload(s, sniff, mdat);
        }
    }
    if !moov_seen {
        sniff.wants.extend(wants);
    }
    Some(sniff)
}

/// An EBML element header at `at`: (id, data start, data size; None = unknown).
fn ebml(b: &[u8], at: usize) -> Option<(u32, usize, Option<u64>)> {
    let first = u8_at(b, at)?;
    let id_len = first.leading_zeros() as usize + 1;
    if id_len > 4 {
        return None;
    }
    let id = get(b, at, id_len)?
        .iter()
        .fold(0u32, |a, &x| a << 8 | u32::from(x));
    let s0 = u8_at(b, at + id_len)?;
    let size_len = s0.leading_zeros() as usize + 1;
    if size_len > 8 {
        return None;
    }
    let raw = get(b, at + id_len, size_len)?;
    let mask = (0xffu16 >> size_len) as u8;
    let mut v = u64::from(s0 & mask);
    let mut all_ones = v == u64::from(mask);
    for &x in &raw[1..] {
        v = v << 8 | u64::from(x);
        all_ones &= x == 0xff;
    }
    Some((id, at + id_len + size_len, (!all_ones).then_some(v)))
}

fn ebml_uint(b: &[u8]) -> u64 {
    b.iter().take(8).fold(0u64, |a, &x| a << 8 | u64::from(x))
}

/// The element at `at` inside `b`: (id, body cut to `b`), or `None` at an
/// unknown size or a header cut short. Known sizes only: inside a TrackEntry
/// an unknown size means nothing good.
fn ebml_body(b: &[u8], at: usize) -> Option<(u32, &[u8])> {
    let (id, data, size) = ebml(b, at)?;
    let end = data.saturating_add(usize::try_from(size?).unwrap_or(usize::MAX));
    Some((id, &b[data..end.min(b.len())]))
}

/// The elements one after another inside `b`, known sizes only, at most
/// [`MAX_BOXES`] of them. Each step moves past a header of at least two
/// bytes, so the walk always ends.
fn ebml_children(b: &[u8]) -> impl Iterator<Item = (u32, &[u8])> {
    let mut pos = 0usize;
    std::iter::from_fn(move || {
        let (id, data, size) = ebml(b, pos)?;
        let end = data
            .saturating_add(usize::try_from(size?).unwrap_or(usize::MAX))
            .min(b.len());
        pos = end;
        Some((id, &b[data..end]))
    })
    .take(MAX_BOXES)
}

fn mkv_tracks(b: &[u8], t: &mut Tracks) {
    for (id, entry) in ebml_children(b) {
        if id != 0xae {
            continue;
        }
        let (mut kind, mut codec, mut encrypted) = (0u64, String::new(), false);
        for (cid, body) in ebml_children(entry) {
            match cid {
                0x83 => kind = ebml_uint(body),
                0x86 => codec = super::token(body),
                // ContentEncodings holding a ContentEncryption element.
                0x6d80 => encrypted = find(body, &[0x50, 0x35]).is_some(),
                _ => {}
            }
        }
        match kind {
            2 => {
                if encrypted {
                    t.protected.push("matroska-aes".into());
                }
                t.audio.push(codec);
            }
            1 => t.video += 1,
            _ => {}
        }
    }
}

pub(super) fn matroska(s: &Sample) -> Option<Sniff> {
    let h = s.head;
    let (id, data, size) = ebml(h, 0)?;
    if id != 0x1a45_dfa3 {
        return None;
    }
    let header = get(h, data, usize::try_from(size?).ok()?)?;
    let header_end = data + header.len();
    let doc_at = find(header, &[0x42, 0x82])?;
    let (_, doctype) = ebml_body(header, doc_at)?;
    let doctype = match doctype {
        b"webm" => "webm",
        b"matroska" => "matroska",
        _ => return None,
    };
    let (seg_id, seg_data, _) = ebml(h, header_end)?;
    if seg_id != 0x1853_8067 {
        return None;
    }
    // An unknown size (live recordings) runs to the end of what was read.
    let body_of = |data: usize, size: Option<u64>| {
        let end = size.map_or(h.len(), |n| {
            data.saturating_add(usize::try_from(n).unwrap_or(usize::MAX))
        });
        &h[data..end.min(h.len())]
    };
    let mut tracks = Tracks::default();
    let mut found = false;
    let mut tracks_at: Option<u64> = None;
    let mut pos = seg_data;
    for _ in 0..256 {
        let Some((cid, cdata, csize)) = ebml(h, pos) else {
            break;
        };
        match cid {
            0x1654_ae6b => {
                mkv_tracks(body_of(cdata, csize), &mut tracks);
                found = true;
                break;
            }
            0x114d_9b74 => {
                // SeekHead: remember where Tracks is, relative to the segment data.
                for (sid, seek) in ebml_children(body_of(cdata, csize)) {
                    if sid == 0x4dbb
                        && find(seek, &[0x53, 0xab, 0x84, 0x16, 0x54, 0xae, 0x6b]).is_some()
                    {
                        if let Some((_, at)) =
                            find(seek, &[0x53, 0xac]).and_then(|at| ebml_body(seek, at))
                        {
                            tracks_at = (seg_data as u64).checked_add(ebml_uint(at));
                        }
                    }
                }
            }
            0x1f43_b675 => break,
            _ => {}
        }
        let Some(n) = csize else { break };
        pos = cdata.saturating_add(usize::try_from(n).unwrap_or(usize::MAX));
    }
    if !found {
        if let Some(b) = tracks_at.and_then(|at| s.from_offset(at)) {
            if let Some((0x1654_ae6b, d, sz)) = ebml(b, 0) {
                let end = sz.map_or(b.len(), |n| {
                    d.saturating_add(usize::try_from(n).unwrap_or(usize::MAX))
                });
                mkv_tracks(&b[d..end.min(b.len())], &mut tracks);
                found = true;
            }
        }
    }
    let (audio_format, video_format, mime) = if doctype == "webm" {
        ("webm", "webm", "video/webm")
    } else {
        ("mka", "mkv", "video/x-matroska")
    };
    let mut sniff = if found {
        tracks.verdict(audio_format, video_format, mime)
    } else {
        let wants = tracks_at
            .filter(|&a| a < s.size)
            .map(|a| vec![a..a.saturating_add(WINDOW_LEN as u64).min(s.size)])
            .unwrap_or_default();
        Sniff::new(video_format, Some(mime), Class::Other, Encryption::None)
            .with("note", "track list not read")
            .wanting(wants)
    };
    sniff = sniff.with("magic", format!("EBML DocType '{doctype}' at 0"));
    Some(sniff)
}

/// Blocks that must chain before clusters without a header count.
const CLUSTER_BLOCKS: usize = 3;

/// Matroska clusters without the file's header: the second and later
/// chunks of a browser recording (`MediaRecorder` with a time slice, each
/// uploaded as an object of its own), or a byte range of a WebM file. A
/// Cluster element at 0 whose Timecode comes first and whose blocks chain
/// by their sizes, each for a track numbered 1–127. The track list (and
/// any encryption of the blocks) is in the first chunk only, so neither
/// whether a track is sound nor whether it is encrypted can be told: a
/// DASH video segment looks the same. The verdict is left `unknown`,
/// which makes it a limit rather than a finding or a clean verdict.
fn matroska_clusters(s: &Sample) -> Option<Sniff> {
    let h = s.head;
    let (mut pos, mut blocks, mut clusters) = (0usize, 0usize, 0usize);
    while blocks < 64 {
        let Some((id, data, size)) = ebml(h, pos) else {
            break;
        };
        if id != 0x1f43_b675 {
            break;
        }
        clusters += 1;
        let end = size.map_or(h.len(), |n| {
            data.saturating_add(usize::try_from(n).unwrap_or(usize::MAX))
        });
        // The Timecode first (after a CRC-32, which mkvmerge and FFmpeg
        // write for Matroska), with a 1- to 8-byte value.
        let data = match ebml(h, data)? {
            (0xbf, crc, Some(4)) => crc + 4,
            _ => data,
        };
        let (tid, tdata, tsize) = ebml(h, data)?;
        if tid != 0xe7 || !(1..=8).contains(&tsize?) {
            return None;
        }
        let mut at = tdata + tsize? as usize;
        while at < end.min(h.len()) && blocks < 64 {
            let Some((cid, cdata, Some(csize))) = ebml(h, at) else {
                break;
            };
            match cid {
                // SimpleBlock, BlockGroup: a track number (1–127), a
                // 16-bit relative time code, flags.
                0xa3 | 0xa0 => {
                    let track = if cid == 0xa3 {
                        u8_at(h, cdata)
                    } else {
                        // The Block among the group's children.
                        let end = cdata.saturating_add(csize as usize).min(h.len());
                        ebml_children(&h[cdata..end])
                            .find(|(id, _)| *id == 0xa1)
                            .and_then(|(_, block)| block.first().copied())
                    };
                    if track.is_none_or(|t| t <= 0x80) || csize < 4 {
                        return None;
                    }
                    blocks += 1;
                }
                // Position, PrevSize, SilentTracks, Void.
                0xa7 | 0xab | 0x5854 | 0xec => {}
                _ => return None,
            }
            at = cdata.saturating_add(usize::try_from(csize).unwrap_or(usize::MAX));
        }
        if size.is_none() || at < end {
            break;
        }
        pos = end;
    }
    (blocks >= CLUSTER_BLOCKS).then(|| {
        Sniff::new(
            "webm",
            Some("video/webm"),
            Class::Audio,
            Encryption::Unknown,
        )
        .with("magic", "Matroska Cluster at 0, no EBML header")
        .with("clusters", clusters)
        .with("blocks_checked", blocks)
        .with(
            "note",
            "clusters without the file's header (a later chunk of a recording, a segment): \
                 whether they hold sound, and in the clear, is not told without the track list",
        )
    })
}

pub(super) const ASF_HEADER: [u8; 16] = [
    0x30, 0x26, 0xb2, 0x75, 0x8e, 0x66, 0xcf, 0x11, 0xa6, 0xd9, 0x00, 0xaa, 0x00, 0x62, 0xce, 0x6c,
];
const ASF_STREAM_PROPERTIES: [u8; 16] = [
    0x91, 0x07, 0xdc, 0xb7, 0xb7, 0xa9, 0xcf, 0x11, 0x8e, 0xe6, 0x00, 0xc0, 0x0c, 0x20, 0x53, 0x65,
];
const ASF_AUDIO: [u8; 16] = [
    0x40, 0x9e, 0x69, 0xf8, 0x4d, 0x5b, 0xcf, 0x11, 0xa8, 0xfd, 0x00, 0x80, 0x5f, 0x5c, 0x44, 0x2b,
];
const ASF_VIDEO: [u8; 16] = [
    0xc0, 0xef, 0x19, 0xbc, 0x4d, 0x5b, 0xcf, 0x11, 0xa8, 0xfd, 0x00, 0x80, 0x5f, 0x5c, 0x44, 0x2b,
];
// Content Encryption and Extended Content Encryption objects (ASF spec; from
// memory, formats.md marks them unverified).
const ASF_DRM: [[u8; 16]; 2] = [
    [
        0xfb, 0xb3, 0x11, 0x22, 0x23, 0xbd, 0xd2, 0x11, 0xb4, 0xb7, 0x00, 0xa0, 0xc9, 0x55, 0xfc,
        0x6e,
    ],
    [
        0x14, 0xe6, 0x8a, 0x29, 0x22, 0x26, 0x17, 0x4c, 0xb9, 0x35, 0xda, 0xe0, 0x7e, 0xe9, 0x28,
        0x9c,
    ],
];

pub(super) fn asf(s: &Sample) -> Option<Sniff> {
    let h = s.head;
    if get(h, 0, 16)? != ASF_HEADER {
        return None;
    }
    let (header_size, count) = (le64(h, 16)?, le32(h, 24)?);
    if header_size < 30 || count > 1024 {
        return None;
    }
    let mut tracks = Tracks::default();
    // The objects are walked across everything read, to the header's end:
    // a picture in the metadata (cover art of hundreds of KB) may come
    // before the stream properties, whose object is then asked for.
    let header_end = header_size.min(s.size);
    let mut wants = Vec::new();
    let mut pos = 30u64;
    for _ in 0..count {
        if header_end.saturating_sub(pos) < 24 {
            break;
        }
        let Some(object) = s.at(pos, 40).or_else(|| s.at(pos, 24)) else {
            wants.push(pos..pos.saturating_add(WINDOW_LEN as u64).min(s.size));
            break;
        };
        let (guid, size) = (&object[..16], le64(object, 16)?);
        if guid == ASF_STREAM_PROPERTIES {
            match get(object, 24, 16) {
                Some(t) if t == ASF_AUDIO => tracks.audio.push("asf-audio".into()),
                Some(t) if t == ASF_VIDEO => tracks.video += 1,
                Some(_) => {}
                None => {
                    wants.push(pos..pos.saturating_add(WINDOW_LEN as u64).min(s.size));
                    break;
                }
            }
        }
        if ASF_DRM.iter().any(|d| d == guid) {
            tracks.protected.push("asf-drm".into());
        }
        // Every object is at least its own 24-byte header, so the walk
        // moves forward; a size near 2^64 ends it (found by cargo-fuzz).
        match pos.checked_add(size) {
            Some(next) if size >= 24 => pos = next,
            _ => break,
        }
    }
    if tracks.audio.is_empty() {
        tracks.protected.clear();
    }
    Some(
        tracks
            .verdict("wma", "wmv", "video/x-ms-asf")
            .with("magic", "ASF header object GUID at 0")
            .wanting(wants),
    )
}

fn avi(s: &Sample) -> Option<Sniff> {
    let h = s.head;
    if !starts(h, 0, b"RIFF") || !starts(h, 8, b"AVI ") {
        return None;
    }
    let mut tracks = Tracks::default();
    let mut from = 12;
    while let Some(i) = find(&h[from..h.len().min(65536)], b"strh") {
        match get(h, from + i + 8, 4) {
            Some(b"auds") => tracks.audio.push("avi-audio".into()),
            Some(b"vids") => tracks.video += 1,
            _ => {}
        }
        from += i + 4;
    }
    Some(
        tracks
            .verdict("avi", "avi", "video/x-msvideo")
            .with("magic", "RIFF....AVI at 0"),
    )
}

fn flv(s: &Sample) -> Option<Sniff> {
    let h = s.head;
    if !starts(h, 0, b"FLV\x01") || be32(h, 5)? != 9 || u8_at(h, 4)? & 0xfa != 0 {
        return None;
    }
    let flags = h[4];
    let mut tracks = Tracks::default();
    if flags & 4 != 0 {
        tracks.audio.push("flv-audio".into());
    }
    if flags & 1 != 0 {
        tracks.video += 1;
    }
    Some(
        tracks
            .verdict("flv", "flv", "video/x-flv")
            .with("magic", "FLV v1 at 0"),
    )
}

/// MPEG program stream: a pack header at 0, then packs, system headers
/// and PES packets, each starting where the one before ends by its length
/// field; stream ids C0–DF are audio, E0–EF video. A program's debug
/// information holds `00 00 01 xx` start codes by the hundred, so only
/// packets the chain reaches, with a PES header of their own, name
/// tracks. Where the chain breaks (a damaged stream), it goes on at the
/// next pack header whose marker bits hold, a bounded number of times.
fn mpeg_ps(s: &Sample) -> Option<Sniff> {
    let h = s.head;
    let (version, _) = pack_header(h)?;
    let mut tracks = Tracks::default();
    let mut ids = [false; 256];
    let (mut at, mut resyncs) = (0, 0);
    while at < h.len() {
        let id = if starts(h, at, b"\x00\x00\x01") {
            u8_at(h, at + 3)
        } else {
            None
        };
        let len = match id {
            Some(0xba) => pack_header(&h[at..]).map(|(_, len)| len),
            Some(0xb9) => Some(4),
            Some(0xbb..=0xff) => be16(h, at + 4)
                .filter(|&n| n > 0)
                .map(|n| 6 + usize::from(n)),
            _ => None,
        };
        let Some(len) = len else {
            // Not where the last element ended: the next pack that holds.
            resyncs += 1;
            if resyncs > MAX_PS_RESYNCS {
                break;
            }
            let finder = super::bytes::needle!(b"\x00\x00\x01\xba");
            let next = super::bytes::find_all(finder, &h[at + 1..])
                .map(|i| at + 1 + i)
                .find(|&p| pack_header(&h[p..]).is_some());
            match next {
                Some(p) => {
                    at = p;
                    continue;
                }
                None => break,
            }
        };
        let id = id.unwrap_or(0);
        if (0xc0..=0xef).contains(&id) && !ids[usize::from(id)] && pes_header_holds(&h[at..]) {
            ids[usize::from(id)] = true;
            if id < 0xe0 {
                tracks.audio.push("mpeg-audio".into());
            } else {
                tracks.video += 1;
            }
        }
        at += len;
    }
    Some(
        tracks
            .verdict("mpeg-ps", "mpeg-ps", "video/mpeg")
            .with("magic", format!("{version} pack header at 0")),
    )
}

/// Places a broken program stream is taken up again at most.
const MAX_PS_RESYNCS: usize = 16;

/// An MPEG-2 (`01` marker bits) or MPEG-1 (`0010`) pack header with its
/// marker bits set: its version and length (MPEG-2 with its stuffing).
fn pack_header(h: &[u8]) -> Option<(&'static str, usize)> {
    if !starts(h, 0, b"\x00\x00\x01\xba") {
        return None;
    }
    let b = |i| u8_at(h, i).unwrap_or(0);
    if b(4) & 0xc4 == 0x44 && b(6) & 4 != 0 && b(8) & 4 != 0 && b(9) & 1 != 0 && b(12) & 3 == 3 {
        return Some(("MPEG-2", 14 + usize::from(b(13) & 7)));
    }
    (b(4) & 0xf1 == 0x21 && b(6) & 1 != 0 && b(8) & 1 != 0 && b(9) & 0x80 != 0 && b(11) & 1 != 0)
        .then_some(("MPEG-1", 12))
}

/// A PES packet's header after its length: MPEG-2's `10` marker bits with
/// a header length inside the packet, or MPEG-1's stuffing, buffer size
/// and time stamps.
fn pes_header_holds(p: &[u8]) -> bool {
    let Some(len) = be16(p, 4).map(usize::from) else {
        return false;
    };
    let body = &p[6..p.len().min(6 + len)];
    match body {
        [flags, _, header, ..] if flags & 0xc0 == 0x80 => usize::from(*header) + 3 <= len,
        _ => {
            let mut rest = body;
            let stuffing = rest.iter().take(16).take_while(|&&b| b == 0xff).count();
            rest = &rest[stuffing..];
            if rest.first().is_some_and(|b| b & 0xc0 == 0x40) {
                rest = rest.get(2..).unwrap_or_default();
            }
            matches!(rest.first(), Some(b) if b & 0xf0 == 0x20 || b & 0xf0 == 0x30 || *b == 0x0f)
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::super::Window;
    use super::*;

    fn sniff_whole(b: &[u8]) -> Option<Sniff> {
        detect(&Sample::new(b.len() as u64, b, &[]))
    }

    fn boxed(kind: &[u8; 4], body: &[u8]) -> Vec<u8> {
        let mut v = ((body.len() + 8) as u32).to_be_bytes().to_vec();
        v.extend(kind);
        v.extend(body);
        v
    }

    fn trak(handler: &[u8; 4], entry: &[u8; 4]) -> Vec<u8> {
        let hdlr = boxed(b"hdlr", &[&[0u8; 8][..], handler, &[0u8; 12]].concat());
        let mut stsd_body = vec![0u8; 4];
        stsd_body.extend(1u32.to_be_bytes());
        stsd_body.extend(boxed(entry, &[0u8; 28]));
        let stbl = boxed(b"stbl", &boxed(b"stsd", &stsd_body));
        let minf = boxed(b"minf", &stbl);
        boxed(b"trak", &boxed(b"mdia", &[hdlr, minf].concat()))
    }

    /// A track whose sample tables (`stsz`, after the sample description)
    /// take `tables` bytes, as a long video's do.
    fn trak_with_tables(handler: &[u8; 4], entry: &[u8; 4], tables: usize) -> Vec<u8> {
        let hdlr = boxed(b"hdlr", &[&[0u8; 8][..], handler, &[0u8; 12]].concat());
        let mut stsd_body = vec![0u8; 4];
        stsd_body.extend(1u32.to_be_bytes());
        stsd_body.extend(boxed(entry, &[0u8; 28]));
        let stbl = [
            boxed(b"stsd", &stsd_body),
            boxed(b"stsz", &vec![0x11; tables]),
        ]
        .concat();
        let minf = boxed(b"minf", &boxed(b"stbl", &stbl));
        let tkhd = boxed(b"tkhd", &[0u8; 84]);
        boxed(
            b"trak",
            &[tkhd, boxed(b"mdia", &[hdlr, minf].concat())].concat(),
        )
    }

    /// Inspects `v` as the pipeline does (head, then the windows asked for,
    /// within its budget): the verdict and the limits it reported.
    fn as_read(v: &[u8]) -> (Sniff, Vec<String>, u64) {
        let rules = crate::rules::RuleSet::embedded();
        let (mut head, mut reader) = (Vec::new(), v);
        let i = crate::pipeline::inspect(&mut reader, v.len() as u64, "t", &mut head, &rules, 0)
            .unwrap();
        let limits = i.inside.limits.iter().map(|l| l.message.clone()).collect();
        (i.sniff, limits, i.bytes_read)
    }

    /// The real case: a 10-minute H.264 + AAC mp4 whose `moov` is 265,624
    /// bytes, the sound track's handler at 155,580. The video track's sample
    /// tables are stepped over, not read: one window at the sound track's
    /// start, whether the `moov` comes first or after the `mdat`.
    #[test]
    fn moov_larger_than_the_head_is_walked_to_its_sound_track() {
        for tables in [65_536, 155_000, 262_144, 1 << 20] {
            for moov_last in [false, true] {
                let traks = [
                    trak_with_tables(b"vide", b"avc1", tables),
                    trak_with_tables(b"soun", b"mp4a", 100_000),
                ];
                let v = mp4(b"isom", &traks, &aac_like(300_000), moov_last);
                let (s, limits, read) = as_read(&v);
                assert_eq!(
                    (s.class, s.evidence.get("codec"), limits.len()),
                    (Class::Audio, Some(&"mp4a".into()), 0),
                    "tables {tables}, moov last {moov_last}: {s:?} {limits:?}"
                );
                assert_eq!(s.evidence["video_tracks"], 1);
                assert!(read <= 5 * WINDOW_LEN as u64, "{read}");
            }
        }
    }

    #[test]
    fn sound_sample_entries_name_the_codec_with_or_without_a_handler() {
        for entry in [
            b"sowt", b"twos", b"lpcm", b"ulaw", b"alaw", b"ima4", b"samr", b"Opus", b"fLaC",
            b"alac", b"ac-3", b"ec-3", b"mp4a", b"in24", b"fl32", b".mp3",
        ] {
            let v = mp4(b"qt  ", &[trak(b"soun", entry)], &aac_like(5000), false);
            let s = sniff_whole(&v).unwrap();
            assert_eq!(
                (s.class, s.evidence["codec"].as_str()),
                (Class::Audio, Some(super::super::token(entry).trim())),
            );
            // A handler this walk does not know: the sample entry still says sound.
            let v = mp4(b"qt  ", &[trak(b"\0\0\0\0", entry)], &aac_like(5000), false);
            assert_eq!(sniff_whole(&v).unwrap().class, Class::Audio, "{entry:?}");
        }
        let v = mp4(
            b"isom",
            &[trak(b"\0\0\0\0", b"avc1")],
            &aac_like(5000),
            false,
        );
        assert_eq!(sniff_whole(&v).unwrap().class, Class::Other);
    }

    /// Twelve large video tracks before the sound track: the windows run
    /// out before the structure decides, and the verdict says so with a
    /// limit instead of a clean "no audio".
    #[test]
    fn a_moov_the_budget_cannot_reach_through_is_a_limit() {
        let mut traks: Vec<Vec<u8>> = (0..12)
            .map(|_| trak_with_tables(b"vide", b"avc1", 100_000))
            .collect();
        traks.push(trak(b"soun", b"mp4a"));
        let v = mp4(b"isom", &traks, &aac_like(1000), false);
        let (s, limits, read) = as_read(&v);
        assert_eq!(s.class, Class::Other);
        assert_eq!(limits.len(), 1, "{limits:?}");
        assert!(limits[0].contains("structure continues"), "{limits:?}");
        assert!(read <= 9 * WINDOW_LEN as u64, "{read}");
    }

    /// Hostile `trak` sizes inside a `moov` larger than the head: 0 (to the
    /// end of the parent), below the header, 2^64 - 1 as a largesize, and
    /// beyond the file. None loops, none reads more than the budget.
    #[test]
    fn hostile_track_sizes_in_a_large_moov_are_bounded() {
        let video = trak_with_tables(b"vide", b"avc1", 100_000);
        let sizes: [&[u8]; 6] = [
            b"\0\0\0\0trak",
            b"\0\0\0\x07trak",
            b"\0\0\0\x01trak\xff\xff\xff\xff\xff\xff\xff\xff",
            b"\0\0\0\x01trak\0\0\0\0\0\0\0\x08",
            b"\x7f\xff\xff\xfftrak",
            b"\0\0\0\x08trak",
        ];
        for hostile in sizes {
            let moov_body = [&video[..], hostile, &[0x22; 70_000]].concat();
            let v = [
                boxed(b"ftyp", b"isom\0\0\0\0isom"),
                boxed(b"moov", &moov_body),
                boxed(b"mdat", &aac_like(1000)),
            ]
            .concat();
            let (s, _, read) = as_read(&v);
            assert_eq!(s.format, "mp4");
            assert!(read <= 9 * WINDOW_LEN as u64, "{read}");
        }
    }

    fn mp4(brand: &[u8; 4], traks: &[Vec<u8>], mdat: &[u8], moov_last: bool) -> Vec<u8> {
        let ftyp = boxed(b"ftyp", &[&brand[..], &[0, 0, 0, 0], b"isom"].concat());
        let moov = boxed(b"moov", &traks.concat());
        let mdat = boxed(b"mdat", mdat);
        if moov_last {
            [ftyp, mdat, moov].concat()
        } else {
            [ftyp, moov, mdat].concat()
        }
    }

    fn aac_like(n: usize) -> Vec<u8> {
        (0..n)
            .map(|i| {
                if i % 200 < 7 {
                    0xff
                } else {
                    (i * 31 % 97) as u8
                }
            })
            .collect()
    }

    #[test]
    fn mp4_with_an_audio_track_is_audio_and_without_is_not() {
        let v = mp4(
            b"isom",
            &[trak(b"vide", b"avc1"), trak(b"soun", b"mp4a")],
            &aac_like(5000),
            false,
        );
        let s = detect(&Sample::new(v.len() as u64, &v, &[])).unwrap();
        assert_eq!(
            (&*s.format, s.class, s.encryption),
            ("mp4", Class::Audio, Encryption::None)
        );
        let v = mp4(b"isom", &[trak(b"vide", b"avc1")], &aac_like(5000), false);
        let s = detect(&Sample::new(v.len() as u64, &v, &[])).unwrap();
        assert_eq!(s.class, Class::Other);
    }

    #[test]
    fn cenc_audio_is_partial() {
        let v = mp4(b"M4A ", &[trak(b"soun", b"enca")], &aac_like(5000), false);
        let s = detect(&Sample::new(v.len() as u64, &v, &[])).unwrap();
        assert_eq!((&*s.format, s.encryption), ("m4a", Encryption::Partial));
    }

    #[test]
    fn moov_after_a_large_mdat_is_fetched_by_offset() {
        let v = mp4(b"isom", &[trak(b"soun", b"mp4a")], &aac_like(200_000), true);
        let head = &v[..65536];
        let s = detect(&Sample::new(v.len() as u64, head, &[])).unwrap();
        assert_eq!(s.wants.len(), 1, "{s:?}");
        let at = s.wants[0].start;
        assert_eq!(&v[at as usize + 4..at as usize + 8], b"moov");
        let w = [Window {
            offset: at,
            bytes: v[at as usize..].to_vec(),
        }];
        let s = detect(&Sample::new(v.len() as u64, head, &w)).unwrap();
        assert_eq!(s.class, Class::Audio);
    }

    /// A transport stream: PAT → PMT on PID 0x100 listing `streams`
    /// (type, PID), then `n` packets on PID 0x101 with `scrambling` bits.
    pub(crate) fn transport_stream(streams: &[(u8, u16)], n: usize, scrambling: u8) -> Vec<u8> {
        let packet = |pid: u16, flags: u8, payload: &[u8]| {
            let mut p = vec![0x47, 0x40 | (pid >> 8) as u8, pid as u8, flags];
            p.extend_from_slice(payload);
            p.resize(188, 0xff);
            p
        };
        let pat = [
            0, 0x00, 0xb0, 13, 0, 1, 0xc1, 0, 0, 0, 1, 0xe1, 0x00, 0, 0, 0, 0,
        ];
        let mut pmt = vec![0, 0x02, 0xb0, 0, 0, 1, 0xc1, 0, 0, 0xe1, 0x01, 0xf0, 0];
        for &(kind, pid) in streams {
            pmt.extend([kind, 0xe0 | (pid >> 8) as u8, pid as u8, 0xf0, 0]);
        }
        pmt.extend([0, 0, 0, 0]);
        pmt[3] = (pmt.len() - 4) as u8;
        let mut ts = packet(0, 0x10, &pat);
        ts.extend(packet(0x100, 0x10, &pmt));
        for _ in 0..n {
            ts.extend(packet(0x101, 0x10 | scrambling << 6, &[0, 0, 1, 0xc0]));
        }
        ts
    }

    /// Found by cargo-fuzz: an ASF object claiming a size near 2^64 made the
    /// object walk overflow.
    #[test]
    fn asf_object_sizes_near_the_limit_end_the_walk() {
        let mut h = ASF_HEADER.to_vec();
        h.extend(1000u64.to_le_bytes());
        h.extend(3u32.to_le_bytes());
        h.extend([1, 2]);
        for size in [40u64, u64::MAX - 8] {
            h.extend([7u8; 16]);
            h.extend(size.to_le_bytes());
            h.extend([0u8; 16]);
        }
        assert!(sniff_whole(&h).is_some());
    }

    /// A Matroska cluster with its blocks (a later chunk of a recording).
    pub(crate) fn clusters(n: usize) -> Vec<u8> {
        let block = |i: u8| {
            let mut b = vec![0xa3, 0x80 | 44, 0x81, 0x00, i, 0x80];
            b.extend((0..40u8).map(|j| j.wrapping_mul(31) ^ i));
            b
        };
        let mut body = vec![0xe7, 0x82, 0x03, 0xe8];
        body.extend((0..8).flat_map(block));
        let mut v = Vec::new();
        for _ in 0..n {
            v.extend([
                0x1f,
                0x43,
                0xb6,
                0x75,
                0x40 | (body.len() >> 8) as u8,
                body.len() as u8,
            ]);
            v.extend(&body);
        }
        v
    }

    #[test]
    fn clusters_without_a_header_are_a_recordings_chunk() {
        let s = sniff_whole(&clusters(3)).unwrap();
        assert_eq!(
            (&*s.format, s.class, s.encryption),
            ("webm", Class::Audio, Encryption::Unknown),
            "{s:?}"
        );
        assert_eq!(s.evidence["blocks_checked"], 24);
        // Blocks in groups, a Block of 300 bytes (a 2-byte size) among
        // the group's children.
        let mut group = vec![0x1f, 0x43, 0xb6, 0x75, 0x44, 0x00, 0xe7, 0x81, 0x00];
        for i in 0..4u8 {
            group.extend([
                0xa0, 0x41, 0x32, 0xfb, 0x81, 0x02, 0xa1, 0x41, 0x2c, 0x81, 0x00, i, 0x80,
            ]);
            group.extend((0..296u16).map(|j| (j as u8).wrapping_mul(29) ^ i));
        }
        let len = group.len() - 6;
        group[4..6].copy_from_slice(&(0x4000 | len as u16).to_be_bytes());
        let s = sniff_whole(&group).unwrap();
        assert_eq!(s.evidence["blocks_checked"], 4, "{s:?}");
        // A cluster ID followed by anything but a time code and blocks.
        let mut junk = clusters(1);
        junk[6] = 0x42;
        assert!(sniff_whole(&junk).is_none());
        let mut track0 = clusters(1);
        track0[12] = 0x80;
        assert!(sniff_whole(&track0).is_none());
    }

    /// Only PES packets the chain of lengths reaches name tracks; a break
    /// is taken up again at the next pack header that holds.
    #[test]
    fn program_stream_tracks_come_from_chained_packets() {
        let pack = [0, 0, 1, 0xba, 0x44, 0, 4, 0, 4, 1, 0, 3, 0xff, 0xf8];
        let pes = |id: u8| [&[0, 0, 1, id, 0, 16, 0x81, 0x80, 0][..], &[0x5a; 13]].concat();
        let tracks = |v: &[u8]| {
            let s = sniff_whole(v).unwrap();
            (s.class, s.evidence.get("audio_tracks").cloned())
        };
        let stream = [&pack[..], &pes(0xe0), &pes(0xc0), &pack, &pes(0xc0)].concat();
        assert_eq!(tracks(&stream), (Class::Audio, Some(1.into())));
        // Start codes among other records (debug information): no packet
        // starts where the pack ends, nor do their headers hold.
        let mut table = pack.to_vec();
        table.extend([0x13, 0x6c, 0x65, 0x6e, 0, 0xd3, 0x02]);
        for id in [0xc0, 0xc8, 0xd0, 0xe0] {
            table.extend([0, 0, 1, id, 0x02, 0x14, 0x2f, 0x01, 0, 0, 0x06]);
        }
        assert_eq!(tracks(&table).0, Class::Other);
        // A pack whose marker bits fail is no place to go on from.
        let mut broken = table.clone();
        broken.extend([0, 0, 1, 0xba, 0x44, 0, 0, 0, 4, 1, 0, 3, 0xff, 0xf8]);
        broken.extend(pes(0xc0));
        assert_eq!(tracks(&broken).0, Class::Other);
        // A damaged stream goes on at its next pack.
        let damaged = [&table[..], &pack, &pes(0xc0)].concat();
        assert_eq!(tracks(&damaged), (Class::Audio, Some(1.into())));
    }

    #[test]
    fn transport_stream_program_map_names_audio() {
        let ts = transport_stream(&[(0x1b, 0x102), (0x0f, 0x101)], 8, 0);
        let s = sniff_whole(&ts).unwrap();
        assert_eq!(
            (&*s.format, s.class, s.encryption),
            ("mpeg-ts", Class::Audio, Encryption::None)
        );
        let scrambled = sniff_whole(&transport_stream(&[(0x0f, 0x101)], 8, 2)).unwrap();
        assert_eq!(scrambled.encryption, Encryption::Partial);
        let video_only = sniff_whole(&transport_stream(&[(0x1b, 0x102)], 8, 0)).unwrap();
        assert_eq!(video_only.class, Class::Other);
        // A private stream is audio when its PES stream id says so.
        let private = sniff_whole(&transport_stream(&[(0x06, 0x101)], 8, 0)).unwrap();
        assert_eq!(private.class, Class::Audio);
    }

    #[test]
    fn matroska_audio_track_type_is_read() {
        // EBML header with DocType "webm", Segment (unknown size), Tracks, one audio track.
        let mut v = vec![0x1a, 0x45, 0xdf, 0xa3, 0x87, 0x42, 0x82, 0x84];
        v.extend(b"webm");
        v.extend([
            0x18, 0x53, 0x80, 0x67, 0x01, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        ]);
        let entry = [
            0x83, 0x81, 0x02, 0x86, 0x86, b'A', b'_', b'O', b'P', b'U', b'S',
        ];
        v.extend([
            0x16,
            0x54,
            0xae,
            0x6b,
            0x80 | (entry.len() as u8 + 2),
            0xae,
            0x80 | entry.len() as u8,
        ]);
        v.extend(entry);
        let s = detect(&Sample::new(v.len() as u64, &v, &[])).unwrap();
        assert_eq!((&*s.format, s.class), ("webm", Class::Audio));
        assert_eq!(s.evidence["codec"], "A_OPUS");
    }

    /// A box with a 64-bit size: size field 1, type, then the largesize.
    fn large_boxed(kind: &[u8; 4], body: &[u8]) -> Vec<u8> {
        let mut v = 1u32.to_be_bytes().to_vec();
        v.extend(kind);
        v.extend((body.len() as u64 + 16).to_be_bytes());
        v.extend(body);
        v
    }

    /// Reads `v` the way the pipeline does: the head, then the windows the
    /// detector asks for, for up to three rounds.
    fn sniff_as_read(v: &[u8]) -> Sniff {
        let head = &v[..v.len().min(super::super::HEAD_LEN)];
        let mut windows: Vec<Window> = Vec::new();
        let mut s = detect(&Sample::new(v.len() as u64, head, &windows)).unwrap();
        for _ in 0..2 {
            for w in s.wants.clone() {
                let end = (w.start + WINDOW_LEN as u64).min(w.end) as usize;
                windows.push(Window {
                    offset: w.start,
                    bytes: v[w.start as usize..end].to_vec(),
                });
            }
            s = detect(&Sample::new(v.len() as u64, head, &windows)).unwrap();
        }
        s
    }

    #[test]
    fn box_headers_with_64_bit_and_zero_sizes() {
        let h = |b: &[u8], room| box_header(b, room).map(|h| (h.header, h.len));
        assert_eq!(h(b"\0\0\0\x10moov", 100), Some((8, 16)));
        // Size 1: the 8 bytes after the type are the size, not a child box.
        assert_eq!(h(b"\0\0\0\x01moov\0\0\0\0\0\0\0\x20", 100), Some((16, 32)));
        // A 64-bit size cut off: no box, not a box of the wrong length.
        assert_eq!(h(b"\0\0\0\x01moov\0\0\0", 100), None);
        // Size 0: to the end of the parent.
        assert_eq!(h(b"\0\0\0\0moov", 100), Some((8, 100)));
        // Smaller than its own header: the walk ends.
        for size in [2u8, 4, 7] {
            assert_eq!(h(&[0, 0, 0, size, b'm', b'o', b'o', b'v'], 100), None);
        }
        assert_eq!(
            h(b"\0\0\0\x01moov\0\0\0\0\0\0\0\x0f", 100),
            None,
            "a largesize below 16"
        );
        // Larger than the room: cut to it.
        assert_eq!(
            h(b"\0\0\0\x01moov\xff\xff\xff\xff\xff\xff\xff\xff", 40),
            Some((16, 40))
        );
    }

    #[test]
    fn child_boxes_with_64_bit_sizes_are_walked() {
        let trak = trak(b"soun", b"mp4a");
        let moov = large_boxed(b"moov", &large_boxed(b"trak", &trak[8..]));
        let v = [
            boxed(b"ftyp", b"M4A \0\0\0\0isom"),
            moov,
            boxed(b"mdat", &aac_like(3000)),
        ]
        .concat();
        let s = sniff_whole(&v).unwrap();
        assert_eq!(
            (s.class, s.evidence["codec"].as_str()),
            (Class::Audio, Some("mp4a"))
        );
    }

    /// The defect the hostile corpus found: a `moov` with a 64-bit size after
    /// the `mdat` was read from 8 bytes too early, its largesize taken for a
    /// child box, and its audio track missed. Leading `mdat`s around the
    /// sizes of the head and windows put the header in the head, straddling
    /// its end, and in a window.
    #[test]
    fn moov_with_a_64_bit_size_after_mdat_is_found_at_any_offset() {
        for mdat_len in [
            100,
            65_536 - 40,
            65_536 - 30,
            65_536 - 20,
            65_536 - 12,
            65_536,
            262_144,
            262_144 + 7,
            1 << 20,
        ] {
            let ftyp = boxed(b"ftyp", b"M4A \0\0\0\0isom");
            let moov = large_boxed(b"moov", &trak(b"soun", b"mp4a"));
            let v = [ftyp, boxed(b"mdat", &aac_like(mdat_len)), moov].concat();
            let s = sniff_as_read(&v);
            assert_eq!(
                (s.class, s.evidence.get("audio_tracks")),
                (Class::Audio, Some(&1.into())),
                "mdat of {mdat_len} bytes: {s:?}"
            );
        }
    }

    #[test]
    fn box_walks_end_on_impossible_and_endless_structures() {
        // 10,000 nested containers: descent stops at a fixed depth.
        let mut inner = trak(b"soun", b"mp4a");
        for _ in 0..10_000 {
            inner = boxed(b"mdia", &inner);
        }
        let v = [boxed(b"ftyp", b"isom\0\0\0\0isom"), boxed(b"moov", &inner)].concat();
        assert!(sniff_whole(&v).is_some());
        // 20,000 empty `trak`s: a bounded count is looked at.
        let traks = boxed(b"trak", b"").repeat(20_000);
        let v = [boxed(b"ftyp", b"isom\0\0\0\0isom"), boxed(b"moov", &traks)].concat();
        let s = sniff_whole(&v).unwrap();
        assert_eq!(s.class, Class::Other);
        // Sizes 0 in the middle, and sizes 1..7, never loop.
        for size in 0u8..8 {
            let mut moov = vec![0, 0, 0, size];
            moov.extend(b"trak".repeat(10));
            let v = [boxed(b"ftyp", b"isom\0\0\0\0isom"), boxed(b"moov", &moov)].concat();
            assert!(sniff_whole(&v).is_some());
        }
    }

    /// Found by reading: a TrackEntry shorter than its first child's header
    /// made the child's body start after the entry's end (a slice panic).
    #[test]
    fn matroska_children_overrunning_their_entry_do_not_panic() {
        let mut v = vec![0x1a, 0x45, 0xdf, 0xa3, 0x87, 0x42, 0x82, 0x84];
        v.extend(b"webm");
        v.extend([
            0x18, 0x53, 0x80, 0x67, 0x01, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        ]);
        v.extend([
            0x16, 0x54, 0xae, 0x6b, 0x88, 0xae, 0x81, 0x83, 0x84, 2, 2, 2, 2,
        ]);
        assert!(sniff_whole(&v).is_some());
    }

    #[test]
    fn matroska_codec_ids_are_bounded_printable_tokens() {
        let mut v = vec![0x1a, 0x45, 0xdf, 0xa3, 0x87, 0x42, 0x82, 0x84];
        v.extend(b"webm");
        v.extend([
            0x18, 0x53, 0x80, 0x67, 0x01, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        ]);
        let mut codec = b"A_\x1b]0;pwned\x07".to_vec();
        codec.resize(60_000, b'X');
        // Three-byte sizes (up to 2 MiB).
        let sized = |id: &[u8], body: &[u8]| {
            let n = body.len();
            [id, &[0x20 | (n >> 16) as u8, (n >> 8) as u8, n as u8], body].concat()
        };
        let entry = [&[0x83, 0x81, 0x02][..], &sized(&[0x86], &codec)].concat();
        v.extend(sized(&[0x16, 0x54, 0xae, 0x6b], &sized(&[0xae], &entry)));
        let s = sniff_whole(&v).unwrap();
        assert_eq!(s.class, Class::Audio);
        let shown = s.evidence["codec"].as_str().unwrap();
        assert!(shown.len() <= 64, "{shown}");
        assert!(shown.starts_with("A_?]0;pwned?XX"), "{shown}");
        assert!(shown.bytes().all(|c| (0x20..0x7f).contains(&c)));
    }

    #[test]
    fn matroska_seek_heads_and_sizes_near_the_limit_are_bounded() {
        let mut v = vec![0x1a, 0x45, 0xdf, 0xa3, 0x87, 0x42, 0x82, 0x84];
        v.extend(b"webm");
        v.extend([
            0x18, 0x53, 0x80, 0x67, 0x01, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        ]);
        // A SeekHead of unknown size full of Seek entries pointing at 2^64 - 1.
        v.extend([
            0x11, 0x4d, 0x9b, 0x74, 0x01, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        ]);
        let seek = [
            0x4d, 0xbb, 0x93, 0x53, 0xab, 0x84, 0x16, 0x54, 0xae, 0x6b, 0x53, 0xac, 0x88, 0xff,
            0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        ];
        for _ in 0..3000 {
            v.extend(seek);
        }
        let s = sniff_whole(&v).unwrap();
        assert!(s.wants.is_empty(), "{:?}", s.wants);
        // An element claiming 2^56 - 2 bytes.
        let mut w = v[..24].to_vec();
        w.extend([0xec, 0x01, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe, 0]);
        assert!(sniff_whole(&w).is_some());
    }

    #[test]
    fn asf_object_counts_beyond_the_cap_are_not_walked() {
        let mut h = ASF_HEADER.to_vec();
        h.extend(48_030u64.to_le_bytes());
        h.extend(u32::MAX.to_le_bytes());
        h.extend([1, 2]);
        for _ in 0..2000 {
            h.extend([7u8; 16]);
            h.extend(24u64.to_le_bytes());
        }
        assert!(sniff_whole(&h).is_none());
        // 1024 objects of size 0: the walk stops at the first.
        let mut h = ASF_HEADER.to_vec();
        h.extend((30u64 + 1024 * 24).to_le_bytes());
        h.extend(1024u32.to_le_bytes());
        h.extend([1, 2]);
        for _ in 0..1024 {
            h.extend([7u8; 16]);
            h.extend(0u64.to_le_bytes());
        }
        assert_eq!(sniff_whole(&h).unwrap().class, Class::Other);
    }

    /// An ASF header: `objects` (GUID, body) after the header object, then
    /// a data object of `data` bytes.
    fn asf_file(objects: &[([u8; 16], Vec<u8>)], data: usize) -> Vec<u8> {
        let mut body = Vec::new();
        for (guid, b) in objects {
            body.extend(guid);
            body.extend((24 + b.len() as u64).to_le_bytes());
            body.extend(b);
        }
        let mut v = ASF_HEADER.to_vec();
        v.extend((30 + body.len() as u64).to_le_bytes());
        v.extend((objects.len() as u32).to_le_bytes());
        v.extend([1, 2]);
        v.extend(body);
        v.extend(pseudo_random(data));
        v
    }

    fn pseudo_random(n: usize) -> Vec<u8> {
        let mut x = 0x2545_f491_4f6c_dd1du64;
        (0..n)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x as u8
            })
            .collect()
    }

    /// WMA with cover art of 64 KiB to 1 MiB (a metadata object before the
    /// stream properties): the stream properties object is read where the
    /// object sizes put it.
    #[test]
    fn asf_stream_properties_after_large_metadata_are_read() {
        const METADATA_LIBRARY: [u8; 16] = [
            0x94, 0x1c, 0x23, 0x44, 0x98, 0x94, 0xd1, 0x49, 0xa1, 0x41, 0x1d, 0x13, 0x4e, 0x45,
            0x70, 0x54,
        ];
        let stream = [&ASF_AUDIO[..], &[0u8; 38]].concat();
        for art in [65_536, 262_144, 1 << 20] {
            let v = asf_file(
                &[
                    ([7u8; 16], vec![0; 80]),
                    (METADATA_LIBRARY, pseudo_random(art)),
                    (ASF_STREAM_PROPERTIES, stream.clone()),
                ],
                20_000,
            );
            let (s, limits, read) = as_read(&v);
            assert_eq!(
                (&*s.format, s.class, limits.len()),
                ("wma", Class::Audio, 0),
                "{art}: {s:?} {limits:?}"
            );
            assert!(read <= 3 * WINDOW_LEN as u64, "{read}");
        }
        // Object sizes of 0, below the header, and beyond the header's end.
        for size in [0u64, 23, u64::MAX, 1 << 40] {
            let mut v = asf_file(
                &[
                    ([7u8; 16], pseudo_random(100_000)),
                    (ASF_STREAM_PROPERTIES, stream.clone()),
                ],
                1000,
            );
            v[30 + 16..30 + 24].copy_from_slice(&size.to_le_bytes());
            let (s, _, read) = as_read(&v);
            assert_eq!((&*s.format, s.class), ("wma", Class::Other));
            assert!(read <= 3 * WINDOW_LEN as u64, "{read}");
        }
    }

    /// Found by cargo-fuzz: an object size that keeps the next position just
    /// below usize::MAX passed the checked add, and reading the following
    /// object's size at `pos + 16` overflowed (a panic with overflow checks,
    /// a read from a wrapped offset without).
    #[test]
    fn asf_objects_past_the_head_end_the_walk() {
        let mut h = ASF_HEADER.to_vec();
        h.extend(1000u64.to_le_bytes());
        h.extend(3u32.to_le_bytes());
        h.extend([1, 2]);
        h.extend([7u8; 16]);
        h.extend((u64::MAX - 100).to_le_bytes());
        h.extend([0u8; 64]);
        assert!(sniff_whole(&h).is_some());
    }
}
