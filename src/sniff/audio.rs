//! Audio containers and codec streams, validated beyond their magic, and the
//! payload check that tells a plaintext recording from a plaintext header in
//! front of ciphertext (formats.md §2.1, §5.2).

use std::borrow::Cow;

use super::bytes::{be16, be32, be64, find, get, le16, le32, le64, starts, u8_at};
use super::{judge_payload, magic_text, Class, Encryption, Sample, Sniff, WINDOW_LEN};

pub(crate) fn detect(s: &Sample) -> Option<Sniff> {
    // Every detector before the headerless ones needs its magic, or ID3
    // tags, at 0: a head that starts with a byte none of them starts with
    // (most objects) goes straight to those two.
    let anchored = match s.head.first() {
        Some(&b) if MAGIC_FIRST[usize::from(b)] => ANCHORED,
        _ => &[],
    };
    anchored.iter().chain(HEADERLESS).find_map(|d| d(s))
}

/// The detectors that need their magic (or ID3 tags) at 0, in the order
/// they are tried, before the [`HEADERLESS`] ones.
const ANCHORED: &[Detector] = &[
    riff_wave, wave64, aiff, nsp, au, caf, flac, ogg, amr_family, wavpack, tta, ape, musepack, dsf,
    dff, voc, sphere, codec2,
];

/// Headerless GSM and the frame search, which look past the first bytes.
const HEADERLESS: &[Detector] = &[gsm_raw, mpeg_or_adts];

/// The first bytes of the magics the anchored detectors of [`detect`]
/// accept at 0: RIFF, RIFX, RF64, BW64; Wave64's `riff` GUID; FORM (AIFF,
/// NSP); `.snd` and `dns.`; `caff`; `fLaC`, `wvpk`, `TTA1`, `MAC ` or the
/// `ID3` in front of them; `OggS`; `#!AMR`, `#!SILK_V3`, `#!EVS`, `\x02#!SILK_V3`;
/// MPCK, MP+; `DSD `; FRM8; `Creative Voice File`; `NIST_1A`; Codec 2's
/// `C0 DE C2`.
const MAGIC_FIRST: [bool; 256] = {
    let mut table = [false; 256];
    let firsts = b"RBrF.dcfwTMIO#\x02DCN\xc0";
    let mut i = 0;
    while i < firsts.len() {
        table[firsts[i] as usize] = true;
        i += 1;
    }
    table
};

/// Each audio container's first bytes, and the detector that validates a
/// header starting with them: what the search behind a prefix tries at
/// each place one of them occurs.
pub(crate) const HEADERS: &[(&[u8], Detector)] = &[
    (b"RIFF", riff_wave),
    (b"RF64", riff_wave),
    (b"FORM", aiff),
    (b"fLaC", flac),
    (b"OggS", ogg),
    (b"caff", caf),
    (b".snd", au),
    (b"#!AMR", amr_family),
    (b"#!SILK_V3", amr_family),
    (b"ID3", id3_frames),
    (b"wvpk", wavpack),
    (b"TTA1", tta),
    (b"NIST_1A\n", sphere),
    (b"Creative Voice File\x1a", voc),
];

type Detector = fn(&Sample) -> Option<Sniff>;

/// The detectors that need their format's header at offset 0 (not the
/// frame search, which looks past junk, nor headerless GSM).
pub(crate) fn anchored(s: &Sample) -> Option<Sniff> {
    const DETECTORS: &[fn(&Sample) -> Option<Sniff>] =
        &[riff_wave, wave64, aiff, au, caf, flac, ogg, amr_family];
    DETECTORS.iter().find_map(|d| d(s))
}

/// The bytes read from `from` on, at most `max` of them, joining windows
/// that continue one another (a box or tag straddling the end of the head is
/// read whole once the window after the head is there). Borrowed when one
/// window holds them; the copy is bounded by `max` and by what was read.
pub(super) fn contiguous<'a>(s: &Sample<'a>, from: u64, max: usize) -> Cow<'a, [u8]> {
    let Some(first) = s.from_offset(from) else {
        return Cow::Borrowed(&[]);
    };
    if first.len() >= max {
        return Cow::Borrowed(&first[..max]);
    }
    let mut run: Option<Vec<u8>> = None;
    let mut len = first.len();
    while len < max {
        let Some(next) = s.from_offset(from + len as u64) else {
            break;
        };
        let take = next.len().min(max - len);
        run.get_or_insert_with(|| first.to_vec())
            .extend_from_slice(&next[..take]);
        len += take;
    }
    run.map_or(Cow::Borrowed(first), Cow::Owned)
}

fn audio(format: &'static str, mime: &'static str) -> Sniff {
    Sniff::new(format, Some(mime), Class::Audio, Encryption::None)
}

/// WAVE format tags (formats.md §2.1) → codec name.
fn wave_codec(tag: u16) -> &'static str {
    match tag {
        0x0001 => "pcm",
        0x0002 => "ms-adpcm",
        0x0003 => "float",
        0x0006 => "alaw",
        0x0007 => "mulaw",
        0x0011 => "ima-adpcm",
        0x0031 => "gsm610",
        0x0040 => "g721",
        0x0050 => "mpeg",
        0x0055 => "mp3",
        0x0064 => "g726",
        0x0065 => "g722",
        0x00ff | 0x1600 | 0x1610 => "aac",
        0xfffe => "extensible",
        _ => "other",
    }
}

/// RIFF/RIFX/RF64/BW64 WAVE, and RIFF QLCM (Qualcomm PureVoice).
fn riff_wave(s: &Sample) -> Option<Sniff> {
    let h = s.head;
    let form = get(h, 0, 4)?;
    let big_endian = form == b"RIFX";
    if !matches!(form, b"RIFF" | b"RIFX" | b"RF64" | b"BW64") {
        return None;
    }
    let kind = get(h, 8, 4)?;
    if form == b"RIFF" && kind == b"QLCM" {
        return Some(audio("qcp", "audio/qcelp").with("magic", magic_text(&h[..12], 0)));
    }
    if kind != b"WAVE" {
        return None;
    }
    // Chunks are read across the head and windows: a large LIST or JUNK
    // chunk may put `fmt ` or `data` beyond the head, and their header is
    // then asked for.
    let rd32 = |at: u64| {
        let b = s.at(at, 4)?;
        if big_endian {
            be32(b, 0)
        } else {
            le32(b, 0)
        }
    };
    let rd16 = |at: u64| {
        let b = s.at(at, 2)?;
        if big_endian {
            be16(b, 0)
        } else {
            le16(b, 0)
        }
    };
    let format = match form {
        b"RF64" => "rf64",
        b"BW64" => "bw64",
        _ => "wav",
    };
    let mut sniff = audio(format, "audio/wav").with("magic", magic_text(&h[..12], 0));
    let mut ds64_data_size: Option<u64> = None;
    let mut pos = 12u64;
    // Every chunk moves the walk on by 8 bytes at least, and it stops at
    // the first header not read: it is bounded by the bytes read, not by a
    // count of chunks that thousands of empty ones would exhaust.
    loop {
        let (Some(id), Some(size)) = (s.at(pos, 4), rd32(pos + 4)) else {
            if pos.saturating_add(8) <= s.size {
                sniff = sniff.wanting(vec![pos..pos.saturating_add(WINDOW_LEN as u64).min(s.size)]);
            }
            break;
        };
        match id {
            b"ds64" => ds64_data_size = s.at(pos + 16, 8).and_then(|b| le64(b, 0)),
            b"fmt " => {
                let tag = rd16(pos + 8)?;
                let channels = rd16(pos + 10)?;
                let rate = rd32(pos + 12)?;
                let bits = rd16(pos + 22).unwrap_or(0);
                // A real fmt chunk is at least 14 bytes with sane channel and rate fields.
                if size < 14 || channels == 0 || channels > 64 || rate == 0 || rate > 1_536_000 {
                    return None;
                }
                sniff = sniff
                    .with("codec", wave_codec(tag))
                    .with("format_tag", format!("0x{tag:04x}"))
                    .with("channels", channels)
                    .with("sample_rate", rate)
                    .with("bits_per_sample", bits);
            }
            b"data" => {
                let start = pos + 8;
                let len = match (size, ds64_data_size) {
                    (0xffff_ffff, Some(n)) => n,
                    (n, _) => u64::from(n),
                };
                let end = start.saturating_add(len).min(s.size);
                sniff = sniff.with("payload_offset", start);
                return Some(judge_payload(s, sniff, start..end));
            }
            _ => {}
        }
        // Chunks are word-aligned; RF64 keeps 0xFFFFFFFF placeholders only for data.
        pos += 8 + u64::from(size) + u64::from(size & 1);
    }
    // `fmt ` may lie beyond a chunk larger than what was read (a Broadcast
    // WAV's iXML, a JUNK pad).
    if !sniff.evidence.contains_key("codec") {
        return awaiting(sniff, "fmt", pos);
    }
    Some(sniff)
}

/// A chunk walk that ended before the format's header chunk: when the
/// next chunk header was asked for, the verdict waits on it; otherwise the
/// file is not of this format.
fn awaiting(mut sniff: Sniff, chunk: &str, pos: u64) -> Option<Sniff> {
    if sniff.wants.is_empty() {
        return None;
    }
    sniff.encryption = Encryption::Unknown;
    Some(sniff.with(
        "note",
        format!("the {chunk} chunk lies beyond byte {pos}, not yet read"),
    ))
}

const W64_RIFF: [u8; 16] = [
    0x72, 0x69, 0x66, 0x66, 0x2e, 0x91, 0xcf, 0x11, 0xa5, 0xd6, 0x28, 0xdb, 0x04, 0xc1, 0x00, 0x00,
];
const W64_SUFFIX: [u8; 12] = [
    0xf3, 0xac, 0xd3, 0x11, 0x8c, 0xd1, 0x00, 0xc0, 0x4f, 0x8e, 0xdb, 0x8a,
];

/// Sony Wave64: GUID chunks with 64-bit sizes.
fn wave64(s: &Sample) -> Option<Sniff> {
    let h = s.head;
    if get(h, 0, 16)? != W64_RIFF || get(h, 24, 4)? != b"wave" || get(h, 28, 12)? != W64_SUFFIX {
        return None;
    }
    let mut sniff = audio("w64", "audio/x-w64").with("magic", "Wave64 riff/wave GUIDs at 0 and 24");
    let mut pos = 40usize;
    for _ in 0..64 {
        let (id, size) = (get(h, pos, 4)?, le64(h, pos + 16)?);
        if get(h, pos + 4, 12)? != W64_SUFFIX || size < 24 {
            break;
        }
        if id == b"fmt " {
            sniff = sniff
                .with("codec", wave_codec(le16(h, pos + 24)?))
                .with("channels", le16(h, pos + 26)?);
        } else if id == b"data" {
            let start = (pos + 24) as u64;
            let end = (pos as u64).saturating_add(size).min(s.size);
            return Some(judge_payload(
                s,
                sniff.with("payload_offset", start),
                start..end,
            ));
        }
        // 8-byte aligned; a size near 2^64 must not wrap to a small step,
        // and the next chunk must start within the head (its fields are read
        // at `pos + 16`).
        pos = usize::try_from(size.checked_add(7)? & !7)
            .ok()
            .and_then(|n| pos.checked_add(n))
            .filter(|&next| next <= h.len())?;
    }
    Some(sniff)
}

/// CSL / Multi-Speech NSP (Kay Elemetrics; clinical voice recordings): an
/// IFF-like `FORM` of type `DS16` with little-endian chunk sizes, a `HEDR`
/// (or `HDR8`) chunk of 32 (40) bytes holding a date, the sample rate and
/// the sample count, then 16-bit samples in `SDA_` (`SD_B`, `SDAB`).
fn nsp(s: &Sample) -> Option<Sniff> {
    let h = s.head;
    if !starts(h, 0, b"FORMDS16") {
        return None;
    }
    let (header, size) = (get(h, 12, 4)?, le32(h, 16)?);
    if !matches!((header, size), (b"HEDR", 32) | (b"HDR8", 40)) {
        return None;
    }
    let rate = le32(h, 20 + 20)?;
    if !(1000..=400_000).contains(&rate) {
        return None;
    }
    let sniff = audio("nsp", "audio/x-nsp")
        .with("magic", "FORM DS16 at 0, HEDR chunk")
        .with("sample_rate", rate)
        .with("codec", "pcm_s16le");
    // The samples: the first `SDA_`/`SD_B`/`SDAB` chunk after the header.
    let mut pos = 20 + u64::from(size);
    for _ in 0..16 {
        let (Some(id), Some(len)) = (s.at(pos, 4), s.at(pos + 4, 4).and_then(|b| le32(b, 0)))
        else {
            break;
        };
        if matches!(id, b"SDA_" | b"SD_B" | b"SDAB") {
            let data = pos + 8;
            return Some(
                judge_payload(
                    s,
                    sniff,
                    data..data.saturating_add(u64::from(len)).min(s.size),
                )
                .with("payload_offset", data),
            );
        }
        pos = pos.saturating_add(8 + u64::from(len) + u64::from(len & 1));
    }
    Some(sniff)
}

/// AIFF, AIFF-C and 8SVX (IFF, big-endian).
fn aiff(s: &Sample) -> Option<Sniff> {
    let h = s.head;
    if !starts(h, 0, b"FORM") {
        return None;
    }
    let (format, mime) = match get(h, 8, 4)? {
        b"AIFF" => ("aiff", "audio/aiff"),
        b"AIFC" => ("aifc", "audio/aiff"),
        b"8SVX" => ("8svx", "audio/x-8svx"),
        _ => return None,
    };
    let mut sniff = audio(format, mime).with("magic", magic_text(&h[..12], 0));
    // Chunks are read across the head and windows, as in a WAV: an `ANNO`
    // or `APPL` chunk may put `COMM` beyond the head.
    let rd16 = |at: u64| s.at(at, 2).and_then(|b| be16(b, 0));
    let rd32 = |at: u64| s.at(at, 4).and_then(|b| be32(b, 0));
    let mut pos = 12u64;
    let mut seen_header = false;
    // Bounded by the bytes read, as a WAV's chunk walk is.
    loop {
        let (Some(id), Some(size)) = (s.at(pos, 4), rd32(pos + 4)) else {
            if pos.saturating_add(8) <= s.size {
                sniff = sniff.wanting(vec![pos..pos.saturating_add(WINDOW_LEN as u64).min(s.size)]);
            }
            break;
        };
        if !id.iter().all(|c| c.is_ascii_graphic() || *c == b' ') {
            return None;
        }
        match id {
            b"COMM" => {
                let channels = rd16(pos + 8)?;
                if channels == 0 || channels > 64 {
                    return None;
                }
                seen_header = true;
                sniff = sniff
                    .with("channels", channels)
                    .with("bits_per_sample", rd16(pos + 14)?);
                if format == "aifc" {
                    if let Some(c) = s.at(pos + 26, 4) {
                        sniff = sniff.with("codec", super::token(c).trim().to_string());
                    }
                }
            }
            b"VHDR" => seen_header = true,
            b"SSND" | b"BODY" => {
                let skip = if id == b"SSND" {
                    8 + u64::from(rd32(pos + 8).unwrap_or(0))
                } else {
                    0
                };
                let start = pos + 8 + skip;
                let end = (pos + 8 + u64::from(size)).min(s.size);
                return Some(judge_payload(
                    s,
                    sniff.with("payload_offset", start),
                    start..end,
                ));
            }
            _ => {}
        }
        pos = pos.checked_add(8 + u64::from(size) + u64::from(size & 1))?;
    }
    if !seen_header {
        return awaiting(sniff, if format == "8svx" { "VHDR" } else { "COMM" }, pos);
    }
    Some(sniff)
}

/// Sun/NeXT AU (`.snd`), big- or little-endian header.
fn au(s: &Sample) -> Option<Sniff> {
    let h = s.head;
    let rd = match get(h, 0, 4)? {
        b".snd" => be32,
        b"dns." => le32,
        _ => return None,
    };
    let (offset, encoding, rate, channels) = (rd(h, 4)?, rd(h, 12)?, rd(h, 16)?, rd(h, 20)?);
    let codec = match encoding {
        1 => "mulaw",
        2 => "pcm8",
        3 => "pcm16",
        4 => "pcm24",
        5 => "pcm32",
        6 => "float",
        7 => "double",
        23 => "g721",
        24 => "g722",
        25 | 26 => "g723",
        27 => "alaw",
        _ => return None,
    };
    if !(24..=1 << 20).contains(&offset)
        || rate == 0
        || rate > 1_536_000
        || channels == 0
        || channels > 64
    {
        return None;
    }
    let sniff = audio("au", "audio/basic")
        .with("magic", magic_text(&h[..4], 0))
        .with("codec", codec)
        .with("sample_rate", rate)
        .with("channels", channels)
        .with("payload_offset", offset);
    Some(judge_payload(s, sniff, u64::from(offset)..s.size))
}

/// Apple Core Audio Format.
fn caf(s: &Sample) -> Option<Sniff> {
    let h = s.head;
    if !starts(h, 0, b"caff\x00\x01\x00\x00") || !starts(h, 8, b"desc") {
        return None;
    }
    let codec = super::token(get(h, 28, 4)?).trim().to_string();
    let mut sniff = audio("caf", "audio/x-caf")
        .with("magic", "caff v1 + desc at 0")
        .with("codec", codec);
    // Chunks are read across the head and windows, as in a WAV: a `free`
    // or `pakt` chunk larger than the head puts `data` beyond it, and the
    // next chunk header is then asked for. Each chunk moves the walk on by
    // 12 bytes at least; it stops at the first header not read.
    let mut pos = 8u64;
    loop {
        let size = pos
            .checked_add(4)
            .and_then(|at| s.at(at, 8))
            .and_then(|b| be64(b, 0));
        let (Some(id), Some(size)) = (s.at(pos, 4), size) else {
            if pos.saturating_add(12) <= s.size {
                sniff = sniff.wanting(vec![pos..pos.saturating_add(WINDOW_LEN as u64).min(s.size)]);
            }
            break;
        };
        if id == b"data" {
            // The data chunk starts with a 4-byte edit count; size -1 means "to EOF".
            let start = pos + 16;
            let end = if size == u64::MAX {
                s.size
            } else {
                (pos + 12).saturating_add(size).min(s.size)
            };
            sniff = sniff.with("payload_offset", start);
            return Some(judge_payload(s, sniff, start..end));
        }
        pos = pos.checked_add(size)?.checked_add(12)?;
    }
    awaiting(sniff, "data", pos)
}

/// Length of an ID3v2 tag at `at` (header + syncsafe size + footer), if one is there.
fn id3v2_len(b: &[u8], at: usize) -> Option<usize> {
    let h = get(b, at, 10)?;
    if &h[..3] != b"ID3"
        || !(2..=4).contains(&h[3])
        || h[4] == 0xff
        || h[6..10].iter().any(|x| x & 0x80 != 0)
    {
        return None;
    }
    let size = h[6..10].iter().fold(0usize, |a, &x| (a << 7) | x as usize);
    let footer = if h[5] & 0x10 != 0 { 10 } else { 0 };
    Some(10 + size + footer)
}

/// Where the audio starts after the ID3v2 tags at the start of the object
/// (0 when there is none): `Ok` when the bytes there were read or the tags
/// run to the end of the object, `Err` with the offset to read next when a
/// tag (cover art of hundreds of KB) ends beyond what was read. Each tag's
/// syncsafe size (plus its footer) moves the walk forward by at least ten
/// bytes, and a tag header not read ends it: taggers write one or two
/// tags, and thousands of empty ones cost a walk over the bytes read, then
/// a window, then a limit, never a verdict on the tags alone.
fn after_id3(s: &Sample) -> Result<u64, u64> {
    if !starts(s.head, 0, b"ID3") {
        return Ok(0);
    }
    let mut pos = 0u64;
    loop {
        // Fewer than ten bytes left: no room for another tag header.
        if s.size.saturating_sub(pos) < 10 {
            break;
        }
        let Some(h) = s.at(pos, 10) else {
            return Err(pos);
        };
        match id3v2_len(h, 0) {
            Some(len) => pos += len as u64,
            None => break,
        }
    }
    Ok(pos)
}

/// The bytes after the ID3v2 tags (all of an object without any), joined
/// across windows up to `len`, with their offset, when they start with
/// `magic`; `None` while they are unread.
fn after_tags<'a>(s: &Sample<'a>, len: usize, magic: &[u8]) -> Option<(u64, Cow<'a, [u8]>)> {
    // Every object passes here, most of them no recordings: a head that
    // starts with neither tags nor the magic is settled without joining.
    if s.head.len() >= magic.len() && !starts(s.head, 0, b"ID3") && !starts(s.head, 0, magic) {
        return None;
    }
    let start = after_id3(s).ok()?;
    let h = contiguous(s, start, len);
    starts(&h, 0, magic).then_some((start, h))
}

/// FLAC: `fLaC`, a 34-byte STREAMINFO first, then metadata blocks, then frames
/// that must start with the 14-bit frame sync (a FLAC header in front of
/// ciphertext has no frames).
fn flac(s: &Sample) -> Option<Sniff> {
    let (tag, h) = after_tags(s, 42, b"fLaC")?;
    if u8_at(&h, 4)? & 0x7f != 0 || get(&h, 5, 3)? != [0, 0, 34] {
        return None;
    }
    let rate = (be32(&h, 18)? >> 12) as u64;
    let channels = ((u8_at(&h, 20)? >> 1) & 7) + 1;
    let mut sniff = audio("flac", "audio/flac")
        .with("magic", format!("fLaC at {tag}"))
        .with("sample_rate", rate)
        .with("channels", channels);
    // Metadata blocks are walked through everything read (each moves the
    // walk on by 4 bytes at least); a header beyond it is asked for. A
    // chain that does not end within the windows read (200,000 empty
    // PADDING blocks) or a first frame without its sync leaves the payload
    // unlocated: the container says FLAC, but nothing says the audio is
    // readable.
    let mut pos = tag + 4;
    let mut ended = false;
    loop {
        let Some(block) = s.at(pos, 4) else {
            if pos < s.size {
                sniff = sniff.wanting(vec![pos..pos.saturating_add(WINDOW_LEN as u64).min(s.size)]);
            }
            break;
        };
        if block[0] & 0x7f == 127 {
            return None;
        }
        pos += 4 + u64::from(be32(block, 0)? & 0x00ff_ffff);
        if block[0] & 0x80 != 0 {
            ended = true;
            break;
        }
    }
    if !ended {
        sniff.encryption = Encryption::Unknown;
        return Some(sniff.with(
            "note",
            "metadata does not end within what was read; no frame seen",
        ));
    }
    // Where the first frame is in the sample, it must carry the frame sync.
    match s.at(pos, 2) {
        Some(frame) if frame[0] == 0xff && frame[1] & 0xfe == 0xf8 => {
            Some(sniff.with("payload_offset", pos))
        }
        Some(_) => {
            // Metadata whose declared lengths are wrong (a tagger's bug)
            // misplaces the first frame; frames whose headers hold up
            // (CRC-8) found anywhere behind STREAMINFO are the stream.
            let from = tag + 42;
            let frames = contiguous(s, from, FRAME_SEARCH_READ);
            if let Some(at) = flac_frames_in(&frames) {
                return Some(sniff.with("payload_offset", from + at as u64).with(
                    "note",
                    "metadata lengths do not lead to the first frame; frames found behind them",
                ));
            }
            let sniff = judge_payload(s, sniff.with("payload_offset", pos), pos..s.size);
            if sniff.encryption != Encryption::None {
                return Some(sniff);
            }
            let mut sniff = sniff.with("note", "no frame sync where the first frame must start");
            sniff.encryption = Encryption::Unknown;
            Some(sniff)
        }
        None if pos < s.size => Some(
            sniff
                .with("note", "first frame not read")
                .wanting(vec![pos..pos.saturating_add(WINDOW_LEN as u64).min(s.size)]),
        ),
        None => Some(sniff),
    }
}

/// The offset of the first of two FLAC frame headers in `b` that hold
/// up (sync, reserved bits clear, valid codes, CRC-8) and agree on the
/// blocking strategy, channel assignment and sample size: a stream whose
/// metadata does not say where its frames are.
fn flac_frames_in(b: &[u8]) -> Option<usize> {
    let mut first: Option<(usize, [u8; 2])> = None;
    for at in memchr::memchr_iter(0xff, b) {
        if flac_frame_header(&b[at..]).is_none() {
            continue;
        }
        let kind = [b[at + 1] & 1, b[at + 3] & 0xfe];
        match first {
            Some((start, k)) if k == kind => return Some(start),
            Some(_) => {}
            None => first = Some((at, kind)),
        }
    }
    None
}

/// The length of a FLAC frame header at the start of `b`, when it holds
/// up: 14-bit sync and reserved bit, no reserved block-size, rate,
/// channel or sample-size code, a UTF-8-coded frame or sample number,
/// the extra size and rate bytes its codes ask for, and its CRC-8.
fn flac_frame_header(b: &[u8]) -> Option<usize> {
    if b.len() < 6 || b[0] != 0xff || b[1] & 0xfe != 0xf8 {
        return None;
    }
    let (size_code, rate_code) = (b[2] >> 4, b[2] & 0x0f);
    let (channels, depth, reserved) = (b[3] >> 4, (b[3] >> 1) & 7, b[3] & 1);
    if size_code == 0 || rate_code == 15 || channels > 10 || depth == 3 || reserved != 0 {
        return None;
    }
    // The frame (or sample) number: one to seven bytes, UTF-8 style.
    let lead = b[4];
    let extra = match lead.leading_ones() {
        0 => 0,
        n @ 2..=7 => n as usize - 1,
        _ => return None,
    };
    let mut at = 5;
    for _ in 0..extra {
        if b.get(at)? & 0xc0 != 0x80 {
            return None;
        }
        at += 1;
    }
    at += match size_code {
        6 => 1,
        7 => 2,
        _ => 0,
    };
    at += match rate_code {
        12 => 1,
        13 | 14 => 2,
        _ => 0,
    };
    (flac_crc8(b.get(..at)?) == *b.get(at)?).then_some(at + 1)
}

/// Candidate first frames tried for a chain of FLAC frames without the
/// stream's header: each costs a CRC-16 pass over what follows it.
const MAX_FLAC_TRIES: usize = 16;
/// The longest FLAC frame followed: 65,535 samples of 8 channels at 32
/// bits would be longer, but encoders write frames of a few KiB.
const MAX_FLAC_FRAME: usize = 64 * 1024;

/// FLAC frames without the stream's header (`fLaC` and STREAMINFO): a
/// piece of a file cut with `split`, a stream whose first bytes were
/// lost. Its compressed residuals look random, so it was called
/// ciphertext. Three frames in a row must hold up: headers that pass
/// their CRC-8 and agree on blocking, rate, channels and sample size,
/// numbered one after another, each frame ending where the next header
/// starts (its CRC-16, taken over the whole frame, comes out 0). Random
/// bytes pass the header once in 2¹⁶ places and each frame end once in
/// 2¹⁶ more. The first frame's offset and the frames chained.
pub(crate) fn flac_piece(s: &Sample) -> Option<Sniff> {
    let (at, frames) = flac_frames_headerless(s.head)?;
    Some(
        audio("flac", "audio/flac")
            .with("magic", format!("FLAC frame sync at {at}"))
            .with("frames_chained", frames)
            .with("payload_offset", at)
            .with(
                "note",
                "frames without the stream's header: a piece of a FLAC stream",
            ),
    )
}

fn flac_frames_headerless(b: &[u8]) -> Option<(usize, usize)> {
    const CHAIN: usize = 3;
    // The two syncs (fixed and variable blocking), each searched for as a
    // pair of bytes: `FF` alone fills structured bytes.
    let fixed = super::bytes::find_all(super::bytes::needle!(b"\xff\xf8"), b);
    let variable = super::bytes::find_all(super::bytes::needle!(b"\xff\xf9"), b);
    let mut syncs: Vec<usize> = fixed.chain(variable).take(4096).collect();
    syncs.sort_unstable();
    let headers: Vec<(usize, u64)> = syncs
        .into_iter()
        .filter(|&at| flac_frame_header(&b[at..]).is_some())
        .filter_map(|at| Some((at, flac_number(&b[at..])?)))
        .take(256)
        .collect();
    let kind = |at: usize| [b[at + 1], b[at + 2] & 0x0f, b[at + 3]];
    for (i, &(start, number)) in headers.iter().enumerate().take(MAX_FLAC_TRIES) {
        let (mut at, mut number, mut chained) = (start, number, 1);
        let mut next = i + 1;
        'chain: while chained < CHAIN {
            // The CRC runs on from the frame's start over each candidate
            // end in turn: a header-like run inside a frame is passed.
            let (mut crc, mut from) = (0u16, at);
            for (k, &(q, n)) in headers.iter().enumerate().skip(next) {
                if q - at > MAX_FLAC_FRAME {
                    break 'chain;
                }
                crc = flac_crc16(crc, &b[from..q]);
                from = q;
                if crc == 0 && n == number + 1 && kind(q) == kind(at) {
                    (at, number, next, chained) = (q, n, k + 1, chained + 1);
                    continue 'chain;
                }
            }
            break;
        }
        if chained == CHAIN {
            return Some((start, chained));
        }
    }
    None
}

/// The frame number (fixed blocking) or sample number (variable) of a
/// FLAC frame header, UTF-8 coded from its fifth byte.
fn flac_number(b: &[u8]) -> Option<u64> {
    let lead = *b.get(4)?;
    let extra = match lead.leading_ones() {
        0 => return Some(u64::from(lead)),
        n @ 2..=7 => n as usize - 1,
        _ => return None,
    };
    let mut v = u64::from(lead & (0x7f >> extra));
    for &c in b.get(5..5 + extra)? {
        v = v << 6 | u64::from(c & 0x3f);
    }
    Some(v)
}

/// FLAC's frame CRC-16: polynomial 0x8005, initial value 0, most
/// significant bit first; over a whole frame, its own CRC included, 0.
fn flac_crc16(crc: u16, bytes: &[u8]) -> u16 {
    const TABLE: [u16; 256] = {
        let mut t = [0u16; 256];
        let mut i = 0;
        while i < 256 {
            let mut c = (i as u16) << 8;
            let mut bit = 0;
            while bit < 8 {
                c = if c & 0x8000 != 0 {
                    (c << 1) ^ 0x8005
                } else {
                    c << 1
                };
                bit += 1;
            }
            t[i] = c;
            i += 1;
        }
        t
    };
    bytes.iter().fold(crc, |c, &x| {
        (c << 8) ^ TABLE[usize::from((c >> 8) as u8 ^ x)]
    })
}

/// FLAC's frame-header CRC-8: polynomial 0x07, initial value 0. By
/// table: structured bytes hold frame syncs by the hundred (`FF F8` is
/// -8 as a big-endian 16-bit number), each checked.
fn flac_crc8(bytes: &[u8]) -> u8 {
    const TABLE: [u8; 256] = {
        let mut t = [0u8; 256];
        let mut i = 0;
        while i < 256 {
            let mut c = i as u8;
            let mut bit = 0;
            while bit < 8 {
                c = if c & 0x80 != 0 {
                    (c << 1) ^ 0x07
                } else {
                    c << 1
                };
                bit += 1;
            }
            t[i] = c;
            i += 1;
        }
        t
    };
    bytes.iter().fold(0u8, |c, &x| TABLE[usize::from(c ^ x)])
}

/// Ogg's CRC tables: `OGG_CRC[k][b]` is the CRC of byte `b` followed by
/// `k` zero bytes, so that eight bytes fold in with eight independent
/// lookups instead of eight dependent steps.
const OGG_CRC: [[u32; 256]; 8] = {
    let mut t = [[0u32; 256]; 8];
    let mut i = 0;
    while i < 256 {
        let mut crc = (i as u32) << 24;
        let mut bit = 0;
        while bit < 8 {
            crc = if crc & 0x8000_0000 != 0 {
                (crc << 1) ^ 0x04c1_1db7
            } else {
                crc << 1
            };
            bit += 1;
        }
        t[0][i] = crc;
        i += 1;
    }
    let mut k = 1;
    while k < 8 {
        let mut i = 0;
        while i < 256 {
            let prev = t[k - 1][i];
            t[k][i] = (prev << 8) ^ t[0][(prev >> 24) as usize];
            i += 1;
        }
        k += 1;
    }
    t
};

/// Folds `bytes` into an Ogg CRC, eight at a time (slicing-by-8): an Ogg
/// head is up to 64 KiB of pages, each checked whole.
fn ogg_crc_update(mut crc: u32, bytes: &[u8]) -> u32 {
    let t = &OGG_CRC;
    let mut eights = bytes.chunks_exact(8);
    for c in &mut eights {
        let x = crc ^ u32::from_be_bytes([c[0], c[1], c[2], c[3]]);
        crc = t[7][(x >> 24) as usize]
            ^ t[6][((x >> 16) & 0xff) as usize]
            ^ t[5][((x >> 8) & 0xff) as usize]
            ^ t[4][(x & 0xff) as usize]
            ^ t[3][c[4] as usize]
            ^ t[2][c[5] as usize]
            ^ t[1][c[6] as usize]
            ^ t[0][c[7] as usize];
    }
    for &b in eights.remainder() {
        crc = (crc << 8) ^ t[0][((crc >> 24) as u8 ^ b) as usize];
    }
    crc
}

/// The Ogg page CRC: polynomial 0x04C11DB7, not reflected, initial value 0;
/// the page's own CRC field (bytes 22–25) counts as zeros.
fn ogg_crc(page: &[u8]) -> u32 {
    if page.len() < 26 {
        let mut field = page.to_vec();
        field.iter_mut().skip(22).for_each(|b| *b = 0);
        return ogg_crc_update(0, &field);
    }
    let crc = ogg_crc_update(0, &page[..22]);
    let crc = ogg_crc_update(crc, &[0; 4]);
    ogg_crc_update(crc, &page[26..])
}

/// Length of a valid Ogg page at `at` (CRC checked), with its payload range.
fn ogg_page(b: &[u8], at: usize) -> Option<(usize, usize)> {
    if !starts(b, at, b"OggS\x00") {
        return None;
    }
    let nsegs = u8_at(b, at + 26)? as usize;
    let lacing = get(b, at + 27, nsegs)?;
    let body: usize = lacing.iter().map(|&x| x as usize).sum();
    let len = 27 + nsegs + body;
    let page = get(b, at, len)?;
    (ogg_crc(page) == le32(page, 22)?).then_some((len, at + 27 + nsegs))
}

/// What an Ogg logical stream carries, from its first packet.
pub(crate) fn ogg_codec(packet: &[u8]) -> Option<(&'static str, bool)> {
    const CODECS: &[(&[u8], &str, bool)] = &[
        (b"\x01vorbis", "vorbis", true),
        (b"OpusHead", "opus", true),
        (b"Speex   ", "speex", true),
        (b"\x7fFLAC", "flac", true),
        (b"\x80theora", "theora", false),
        (b"\x80kate", "kate", false),
        (b"fishead\x00", "skeleton", false),
        (b"\x01video", "ogm-video", false),
    ];
    CODECS
        .iter()
        .find(|(m, _, _)| packet.starts_with(m))
        .map(|&(_, name, is_audio)| (name, is_audio))
}

/// Ogg: every beginning-of-stream page in the head names a codec; pages must
/// pass their CRC, so random data starting with "OggS" is not audio.
fn ogg(s: &Sample) -> Option<Sniff> {
    let h = s.head;
    let (first_len, payload) = ogg_page(h, 0)?;
    let mut audio_codecs: Vec<&str> = Vec::new();
    let mut other: Vec<&str> = Vec::new();
    let (mut pos, mut page) = (0usize, Some((first_len, payload)));
    let (mut pages, mut begins) = (0, false);
    while let Some((len, payload)) = page {
        if u8_at(h, pos + 5)? & 0x02 != 0 {
            begins = true;
            match ogg_codec(&h[payload..pos + len]) {
                Some((c, true)) => audio_codecs.push(c),
                Some((c, false)) => other.push(c),
                None => {}
            }
        }
        pages += 1;
        pos += len;
        if pages > 32 {
            break;
        }
        page = ogg_page(h, pos);
    }
    // Pages of a stream cut mid-way (a rotated dump, a byte range, a part
    // of a split upload) carry no beginning-of-stream page to name the
    // codec; Ogg carries sound (Vorbis, Opus, Speex, FLAC) far more often
    // than anything else, and its pages are in the clear.
    let cut = !begins;
    let sniff = if cut {
        audio("ogg", "audio/ogg").with(
            "note",
            "no beginning-of-stream page: the stream starts mid-way, its codec unnamed",
        )
    } else if audio_codecs.is_empty() {
        Sniff::new(
            "ogg",
            Some("application/ogg"),
            Class::Other,
            Encryption::None,
        )
    } else if other.contains(&"theora") {
        Sniff::new("ogv", Some("video/ogg"), Class::Audio, Encryption::None)
            .with("audio_tracks", audio_codecs.len())
    } else {
        audio(
            "ogg",
            if audio_codecs == ["opus"] {
                "audio/opus"
            } else {
                "audio/ogg"
            },
        )
    };
    let sniff = sniff
        .with("magic", "OggS page with valid CRC at 0")
        .with(
            "codec",
            audio_codecs
                .first()
                .or(other.first())
                .copied()
                .unwrap_or("unknown"),
        )
        .with("pages_checked", pages);
    // A valid first page followed by no valid page is a header in front of something else.
    if pages == 1 && !s.is_whole() && h.len() > first_len + 4096 {
        return Some(judge_payload(s, sniff, first_len as u64..s.size));
    }
    Some(sniff)
}

/// AMR-NB/WB, their multichannel variants, EVS and SILK: full header strings,
/// and for single-channel AMR a valid first frame ToC byte (F = 0, P = 0).
fn amr_family(s: &Sample) -> Option<Sniff> {
    let h = s.head;
    const HEADERS: &[(&[u8], &str, &str, bool)] = &[
        (b"#!AMR\n", "amr-nb", "audio/amr", true),
        (b"#!AMR-WB\n", "amr-wb", "audio/amr-wb", true),
        (b"#!AMR_MC1.0\n", "amr-nb", "audio/amr", false),
        (b"#!AMR-WB_MC1.0\n", "amr-wb", "audio/amr-wb", false),
        (b"#!EVS_MC1.0\n", "evs", "audio/evs", false),
        (b"#!SILK_V3", "silk", "audio/silk", false),
        (b"\x02#!SILK_V3", "silk", "audio/silk", false),
    ];
    let &(magic, format, mime, toc) = HEADERS.iter().find(|(m, ..)| h.starts_with(m))?;
    let sniff = audio(format, mime).with("magic", magic_text(magic, 0));
    if toc {
        if let Some(b) = u8_at(h, magic.len()) {
            if b & 0x83 != 0 {
                return Some(judge_payload(s, sniff, magic.len() as u64..s.size));
            }
        }
    }
    Some(sniff)
}

/// WavPack: a `wvpk` block header with a known stream version (after any
/// ID3v2 tags, as taggers leave them).
fn wavpack(s: &Sample) -> Option<Sniff> {
    let (at, h) = after_tags(s, 10, b"wvpk")?;
    let (size, version) = (le32(&h, 4)?, le16(&h, 8)?);
    ((0x402..=0x410).contains(&version) && size < 1 << 24).then(|| {
        audio("wavpack", "audio/x-wavpack")
            .with("magic", format!("wvpk block at {at}"))
            .with("version", version)
    })
}

fn tta(s: &Sample) -> Option<Sniff> {
    let (at, h) = after_tags(s, 14, b"TTA1")?;
    let (fmt, channels, bits, rate) = (le16(&h, 4)?, le16(&h, 6)?, le16(&h, 8)?, le32(&h, 10)?);
    ((1..=3).contains(&fmt)
        && (1..=16).contains(&channels)
        && matches!(bits, 8 | 16 | 24 | 32)
        && (1..=768_000).contains(&rate))
    .then(|| {
        audio("tta", "audio/x-tta")
            .with("magic", format!("TTA1 at {at}"))
            .with("sample_rate", rate)
    })
}

fn ape(s: &Sample) -> Option<Sniff> {
    let (at, h) = after_tags(s, 6, b"MAC ")?;
    let version = le16(&h, 4)?;
    (3800..=4100).contains(&version).then(|| {
        audio("ape", "audio/x-ape")
            .with("magic", format!("MAC at {at}"))
            .with("version", version)
    })
}

fn musepack(s: &Sample) -> Option<Sniff> {
    let h = s.head;
    let sv8 =
        starts(h, 0, b"MPCK") && get(h, 4, 2).is_some_and(|k| k.iter().all(u8::is_ascii_uppercase));
    let sv7 = starts(h, 0, b"MP+") && u8_at(h, 3).is_some_and(|v| matches!(v & 0x0f, 7 | 8));
    (sv8 || sv7)
        .then(|| audio("musepack", "audio/x-musepack").with("magic", magic_text(&h[..4], 0)))
}

fn dsf(s: &Sample) -> Option<Sniff> {
    (starts(s.head, 0, b"DSD ") && le64(s.head, 4)? == 28 && starts(s.head, 28, b"fmt "))
        .then(|| audio("dsf", "audio/x-dsf").with("magic", "DSD + fmt at 0, 28"))
}

fn dff(s: &Sample) -> Option<Sniff> {
    (starts(s.head, 0, b"FRM8") && starts(s.head, 12, b"DSD "))
        .then(|| audio("dff", "audio/x-dff").with("magic", "FRM8 ... DSD at 0"))
}

fn voc(s: &Sample) -> Option<Sniff> {
    let h = s.head;
    let (offset, version, check) = (le16(h, 20)?, le16(h, 22)?, le16(h, 24)?);
    if !starts(h, 0, b"Creative Voice File\x1a") || check != (!version).wrapping_add(0x1234) {
        return None;
    }
    let sniff = audio("voc", "audio/x-voc").with("magic", "Creative Voice File at 0");
    Some(judge_payload(s, sniff, u64::from(offset) + 4..s.size))
}

/// Codec 2 (`.c2`: low-bitrate speech from digital voice radio), as
/// `c2enc` and FFmpeg write it: magic `C0 DE C2`, a version (major 0 or
/// 1, minor), one of the nine modes, flags; then frames.
fn codec2(s: &Sample) -> Option<Sniff> {
    const MODES: [&str; 9] = [
        "3200", "2400", "1600", "1400", "1300", "1200", "700", "700B", "700C",
    ];
    const HEADER: u64 = 7;
    let h = s.head;
    if !starts(h, 0, b"\xc0\xde\xc2") || s.size <= HEADER || u8_at(h, 3)? > 1 {
        return None;
    }
    let mode = MODES.get(usize::from(u8_at(h, 5)?))?;
    let sniff = audio("codec2", "audio/x-codec2")
        .with("magic", "C0 DE C2 at 0")
        .with("codec", format!("codec2 {mode}"));
    Some(judge_payload(s, sniff, HEADER..s.size))
}

/// Headerless GSM 06.10 full-rate (`.gsm`, telephony and PBX recordings):
/// 33-byte frames whose first nibble is always 0xD. Twenty frames in a row
/// happen by chance once in 16^20, but in every fill of `DD` bytes: the
/// frames' bytes must be coded (many values, none of them a quarter; real
/// GSM heads hold 250 values, the commonest 1–3 % of the bytes). A short
/// prompt (a beep, one word) has fewer: a whole object of 8 to 19 frames,
/// exactly, counts.
fn gsm_raw(s: &Sample) -> Option<Sniff> {
    const FRAME: usize = 33;
    const NEED: usize = 20;
    const NEED_WHOLE: usize = 8;
    let h = s.head;
    let frames = (h.len() / FRAME).min(1000);
    let whole = s.size.is_multiple_of(FRAME as u64);
    let short = frames >= NEED_WHOLE && whole && h.len() as u64 == s.size;
    if !(frames >= NEED || short)
        || !h.chunks_exact(FRAME).take(frames).all(|f| f[0] >> 4 == 0xd)
        || !coded(&h[..frames * FRAME])
    {
        return None;
    }
    Some(
        audio("gsm", "audio/gsm")
            .with(
                "magic",
                format!("{frames} GSM 06.10 frames (0xD_ every 33 bytes) at 0"),
            )
            .with("codec", "gsm-fr")
            .with("whole_frames", whole),
    )
}

/// NIST SPHERE (speech corpora): a 1024-byte ASCII header, then samples.
fn sphere(s: &Sample) -> Option<Sniff> {
    let h = s.head;
    if !starts(h, 0, b"NIST_1A\n") {
        return None;
    }
    let len: u64 = std::str::from_utf8(get(h, 8, 8)?)
        .ok()?
        .trim()
        .parse()
        .ok()?;
    let header = get(h, 0, len as usize).unwrap_or(h);
    let mut sniff = audio("sphere", "audio/x-nist-sphere").with("magic", "NIST_1A at 0");
    if let Some(at) = find(header, b"sample_coding -s") {
        let rest = &header[at..];
        let line = rest.split(|&c| c == b'\n').next().unwrap_or(rest);
        let coding = line
            .split(u8::is_ascii_whitespace)
            .filter(|w| !w.is_empty())
            .nth(2)
            .map(super::token)
            .unwrap_or_default();
        sniff = sniff.with("codec", coding);
    }
    Some(judge_payload(s, sniff, len..s.size))
}

/// Parses one frame header: (frame length, stream identity, sample rate).
type FrameParser = fn(&[u8]) -> Option<(usize, u8, u32)>;

/// One MPEG-1/2/2.5 audio frame header → (frame length, version+layer id, rate).
fn mpeg_frame(h: &[u8]) -> Option<(usize, u8, u32)> {
    if h.len() < 4 || h[0] != 0xff || h[1] & 0xe0 != 0xe0 {
        return None;
    }
    let version = (h[1] >> 3) & 3; // 0: 2.5, 2: 2, 3: 1
    let layer = (h[1] >> 1) & 3; // 1: III, 2: II, 3: I
    let bitrate_index = (h[2] >> 4) as usize;
    let rate_index = ((h[2] >> 2) & 3) as usize;
    if version == 1
        || layer == 0
        || bitrate_index == 0
        || bitrate_index == 15
        || rate_index == 3
        || h[3] & 3 == 2
    {
        return None;
    }
    const V1: [[u32; 14]; 3] = [
        [
            32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448,
        ],
        [
            32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384,
        ],
        [
            32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320,
        ],
    ];
    const V2: [[u32; 14]; 2] = [
        [
            32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256,
        ],
        [8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160],
    ];
    let kbps = match (version, layer) {
        (3, 3) => V1[0][bitrate_index - 1],
        (3, 2) => V1[1][bitrate_index - 1],
        (3, _) => V1[2][bitrate_index - 1],
        (_, 3) => V2[0][bitrate_index - 1],
        _ => V2[1][bitrate_index - 1],
    };
    let rate = [
        [11025, 12000, 8000],
        [0, 0, 0],
        [22050, 24000, 16000],
        [44100, 48000, 32000],
    ][version as usize][rate_index];
    let padding = ((h[2] >> 1) & 1) as u32;
    let bps = kbps * 1000;
    let len = match layer {
        3 => (12 * bps / rate + padding) * 4,
        1 if version != 3 => 72 * bps / rate + padding,
        _ => 144 * bps / rate + padding,
    };
    // A stream keeps its version, layer and rate; Layer I, whose frames are
    // multiples of 4 bytes and chain through periodic records of `FF FF`
    // fields, keeps its channel mode too. Layers II and III only keep mono
    // or not: encoders may switch stereo and joint stereo between frames
    // (FFmpeg's frame-consistency mask leaves the mode out for that reason).
    let mode = h[3] >> 6;
    let channels = if layer == 3 {
        mode
    } else {
        u8::from(mode == 3)
    };
    let id = version << 6 | layer << 4 | (rate_index as u8) << 2 | channels;
    Some((len as usize, id, rate))
}

/// One AAC ADTS frame header → (frame length, sampling index + channels id, 0).
fn adts_frame(h: &[u8]) -> Option<(usize, u8, u32)> {
    if h.len() < 7 || h[0] != 0xff || h[1] & 0xf6 != 0xf0 {
        return None;
    }
    let rate_index = (h[2] >> 2) & 0x0f;
    let len = ((h[3] as usize & 3) << 11) | ((h[4] as usize) << 3) | (h[5] as usize >> 5);
    let header = if h[1] & 1 == 0 { 9 } else { 7 };
    (rate_index < 13 && len > header).then_some((len, rate_index << 2 | (h[2] & 1), 0))
}

/// One AC-3 or E-AC-3 sync frame header → (frame length, rate + bsid id, rate)
/// (ATSC A/52 §5.4.1 and Annex E).
fn ac3_frame(h: &[u8]) -> Option<(usize, u8, u32)> {
    if h.len() < 6 || h[0] != 0x0b || h[1] != 0x77 {
        return None;
    }
    let bsid = h[5] >> 3;
    let fscod = h[4] >> 6;
    let words = match bsid {
        0..=10 => {
            let code = usize::from(h[4] & 0x3f);
            if fscod == 3 || code >= 38 {
                return None;
            }
            const KBPS: [u32; 19] = [
                32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384, 448, 512, 576,
                640,
            ];
            let kbps = KBPS[code / 2];
            match fscod {
                0 => 2 * kbps,
                1 => kbps * 320 / 147 + (code as u32 & 1),
                _ => 3 * kbps,
            }
        }
        11..=16 => ((u32::from(h[2] & 7) << 8) | u32::from(h[3])) + 1,
        _ => return None,
    };
    let rate = [48000, 44100, 32000, 24000][usize::from(fscod)];
    (words >= 32).then_some((words as usize * 2, fscod << 5 | bsid, rate))
}

/// Counts consecutive, mutually consistent frames starting at `at`.
fn frame_chain(b: &[u8], at: usize, parse: FrameParser, want: usize) -> (usize, usize) {
    let Some((mut len, id, _)) = b.get(at..).and_then(parse) else {
        return (0, at);
    };
    let (mut pos, mut n) = (at, 1);
    while n < want {
        pos += len;
        match b.get(pos..).and_then(parse) {
            Some((l, i, _)) if i == id => {
                len = l;
                n += 1;
            }
            _ => return (n, pos),
        }
    }
    (n, pos + len)
}

/// The one-byte key under which `h` opens with a frame of MPEG audio,
/// ADTS or AC-3 that the next frame's header follows: frames with no tag
/// in front, XORed with one byte. (Under a longer key the header bytes
/// after the sync are unknown.)
pub(crate) fn xored_frames(h: &[u8]) -> Option<u8> {
    FRAME_PARSERS.iter().find_map(|&(parse, format, _)| {
        let sync = if format == "ac3" { 0x0b } else { 0xff };
        let key = h.first()? ^ sync;
        let header = |at: usize| -> Option<[u8; 8]> {
            let b = h.get(at..at + 8)?;
            Some(std::array::from_fn(|i| b[i] ^ key))
        };
        let (len, id, _) = parse(&header(0)?)?;
        let (_, next, _) = parse(&header(len)?)?;
        (key != 0 && next == id).then_some(key)
    })
}

/// The frame parsers a search for frames tries at each sync byte, with the
/// format each names.
const FRAME_PARSERS: [(FrameParser, &str, &str); 3] = [
    (mpeg_frame, "mp3", "audio/mpeg"),
    (adts_frame, "aac", "audio/aac"),
    (ac3_frame, "ac3", "audio/ac3"),
];

/// Whether a frame of one of [`FRAME_PARSERS`] may start at `h`: the sync
/// each checks first (MPEG's 11 bits, which ADTS's 12 include, and AC-3's
/// 16). Binary heads hold many lone `0xff` and `0x0b` bytes; each would
/// otherwise cost three parser calls.
fn frame_sync(h: &[u8]) -> bool {
    matches!(h, [0xff, b, ..] if b & 0xe0 == 0xe0) || h.starts_with(&[0x0b, 0x77])
}

/// Every place in `h` where [`frame_sync`] holds, in order. In text `FF`
/// and `0B` are rare and a byte search skips to them; in compressed or
/// binary bytes one comes every hundred bytes or so, and stopping at each
/// costs more than testing 64 places at once for the two-byte sync, which
/// comes sixteen times less often. The search starts with the first and
/// turns to the second after a few stops.
fn syncs(h: &[u8]) -> impl Iterator<Item = usize> + '_ {
    /// Stops of the byte search before it turns to blocks.
    const BYTE_STOPS: u32 = 4;
    let (mut at, mut stops, mut base, mut mask) = (0, 0, 0, 0u64);
    std::iter::from_fn(move || loop {
        if mask != 0 {
            let p = base + mask.trailing_zeros() as usize;
            mask &= mask - 1;
            return Some(p);
        }
        if stops < BYTE_STOPS {
            let p = at + memchr::memchr2(0xff, 0x0b, h.get(at..)?)?;
            (at, stops) = (p + 1, stops + 1);
            if frame_sync(&h[p..]) {
                return Some(p);
            }
            continue;
        }
        if at >= h.len() {
            return None;
        }
        base = at;
        mask = match h
            .get(base..base + 65)
            .and_then(|w| <&[u8; 65]>::try_from(w).ok())
        {
            Some(block) => block_syncs(block),
            // The last 64 places or fewer.
            None => (base..h.len())
                .filter(|&p| frame_sync(&h[p..]))
                .fold(0, |m, p| m | 1 << (p - base)),
        };
        at = base + 64;
    })
}

/// Bit `i` set where [`frame_sync`] holds at `block[i..]`, for the first 64
/// places of a block (the 65th byte completes the last place's sync). One
/// flag per byte in a loop the compiler vectorises, then, where any is
/// set, eight flags to a bit by one multiplication each.
fn block_syncs(block: &[u8; 65]) -> u64 {
    let mut flags = [0u8; 64];
    for (i, flag) in flags.iter_mut().enumerate() {
        let (a, b) = (block[i], block[i + 1]);
        *flag = u8::from(((a == 0xff) & (b >= 0xe0)) | ((a == 0x0b) & (b == 0x77)));
    }
    // Three blocks of random bytes in a hundred hold a sync: one vector
    // OR tells the rest apart before eight multiplications would.
    if flags.iter().fold(0, |any, &f| any | f) == 0 {
        return 0;
    }
    flags
        .chunks_exact(8)
        .enumerate()
        .fold(0, |mask, (k, eight)| {
            let word = u64::from_le_bytes(eight.try_into().unwrap_or_default());
            mask | (word.wrapping_mul(0x0102_0408_1020_4080) >> 56) << (8 * k)
        })
}

/// Names `n` chained frames starting `frames` (at `at` in the object):
/// MPEG layers and E-AC-3 are told apart by their first header.
fn frames_named(
    frames: &[u8],
    format: &'static str,
    mime: &'static str,
    n: usize,
    at: u64,
) -> Sniff {
    let mut sniff = audio(format, mime)
        .with("frames_checked", n)
        .with("payload_offset", at);
    if format == "ac3" && frames[5] >> 3 > 10 {
        sniff.format = "eac3".into();
        sniff.mime = Some("audio/eac3".into());
    }
    if format == "mp3" {
        let layer = (frames[1] >> 1) & 3;
        sniff = sniff.with("codec", ["", "mp3", "mp2", "mp1"][layer as usize]);
        sniff.format = if layer == 1 { "mp3" } else { "mp2" }.into();
        if let Some((_, _, rate)) = mpeg_frame(frames) {
            sniff = sniff.with("sample_rate", rate);
        }
    }
    sniff
}

/// Frames a chain behind another format's first bytes needs.
const BEHIND_FRAMES: usize = 8;

/// Frames after junk that make a stream whatever its first frames hold.
const LONG_CHAIN: usize = 16;

/// MPEG, ADTS or AC-3 frames behind another format's first bytes (a script
/// line, an image or program header), chained without a break from their
/// first frame to the end of what was read: to the object's end (or its
/// 128-byte ID3v1 tag), or into a last frame the end cuts. A foreign
/// structure whose records happen to chain as frames (an ELF program's
/// PLT, a bitmap's rows, an icon) does so for a few records, never to the
/// end of a head; that is why frames after junk otherwise defer to a
/// signature at 0.
///
/// Frames that are all the same bytes are no recording found: a uniform
/// fill (an image of one colour, a table of `FF` runs) can chain as
/// identical frames, and a recording of pure silence holds no voice. Nor
/// are frames whose bytes take a few values only: a table of records in a
/// program's debug information (`FF FF E4 00`, zeros and a counter) chains
/// as Layer I frames to the end of a head, mostly zeros, while coded
/// audio spreads over nearly every byte value within a few frames.
///
/// Each position starts at most one frame (the three sync patterns
/// exclude each other), so a chain that reaches a frame an earlier chain
/// walked ends as that one did: positions walked are marked, and the
/// search costs one parse per position at most, whatever decoys a crafted
/// head holds.
/// Returns the offset of the first frame with the sniff, as
/// [`super::prefix::audio_behind`] does.
pub(crate) fn frames_behind(s: &Sample) -> Option<(usize, Sniff)> {
    frames_where(s, None)
}

/// Frames in a run of at least [`LONG_RUN`] behind other bytes, wherever
/// the run ends: in the last window of a format whose end marker anyone
/// can write, the stream ends where the copied marker (or a copied tail of
/// the format) begins, not at the object's end. Records that happen to
/// chain as frames do so for a few; coded frames that chain this long are
/// a stream.
pub(crate) fn frame_run(s: &Sample) -> Option<(usize, Sniff)> {
    frames_where(s, Some(LONG_RUN))
}

/// Frames in a run that ends anywhere: about a second of audio.
const LONG_RUN: usize = 24;

/// Frames behind other bytes that run to the end of what was read, or
/// (`long`) for at least that many frames.
fn frames_where(s: &Sample, long: Option<usize>) -> Option<(usize, Sniff)> {
    let h = s.head;
    let whole = h.len() as u64 >= s.size;
    let reaches_end = |end: usize| match h.len().checked_sub(end) {
        // To the end, or into a last frame the end cuts (a stream cut
        // short is still a recording).
        None | Some(0) => true,
        Some(left) if whole => left == 128 && h[end..].starts_with(b"TAG"),
        // Too close to the end of the head for another header.
        Some(left) => left < 7,
    };
    // Allocated at the first frame found: most heads hold none.
    let mut walked: Vec<u64> = Vec::new();
    for pos in syncs(h).filter(|&p| p > 0) {
        for (parse, format, mime) in FRAME_PARSERS {
            let (mut at, mut n, mut fresh, mut varied) = (pos, 0, true, false);
            // The first frame's id, bytes and length.
            let mut first: Option<(u8, &[u8], usize)> = None;
            while let Some((len, id, _)) = h.get(at..).and_then(parse) {
                let frame = &h[at..(at + len).min(h.len())];
                let (first_id, first_frame, _) = *first.get_or_insert((id, frame, len));
                if first_id != id {
                    break;
                }
                if walked.is_empty() {
                    walked = vec![0u64; h.len().div_ceil(64)];
                }
                let (word, bit) = (at / 64, 1u64 << (at % 64));
                if walked[word] & bit != 0 {
                    fresh = false;
                    break;
                }
                walked[word] |= bit;
                varied |= !first_frame.starts_with(frame);
                n += 1;
                at += len;
            }
            let to_the_end = n >= BEHIND_FRAMES && reaches_end(at);
            let long_run = long.is_some_and(|least| n >= least);
            let frames = &h[pos..at.min(h.len())];
            if fresh
                && varied
                && (to_the_end || long_run)
                && coded(frames)
                && !first.is_some_and(|(_, _, len)| periodic(frames, len))
            {
                let magic = if to_the_end {
                    format!("frame sync at {pos}, frames to the end of what was read")
                } else {
                    format!("frame sync at {pos}, a run of {n} frames")
                };
                let found =
                    frames_named(&h[pos..], format, mime, n, pos as u64).with("magic", magic);
                return Some((pos, found));
            }
            if n > 0 || !fresh {
                break;
            }
        }
    }
    None
}

/// Distinct byte values frames behind a prefix hold at least.
const CODED_VALUES: usize = 64;

/// Do `frames` spread over byte values as coded audio does: many values,
/// none of them (a table's zeros) a quarter of the bytes?
pub(super) fn coded(frames: &[u8]) -> bool {
    let mut counts = [0usize; 256];
    for &b in frames {
        counts[usize::from(b)] += 1;
    }
    let distinct = counts.iter().filter(|&&c| c > 0).count();
    let most = counts.iter().copied().max().unwrap_or(0);
    distinct >= CODED_VALUES && most * 4 <= frames.len()
}

/// Bytes of a chain [`periodic`] compares: a few dozen frames.
const PERIODIC_SPAN: usize = 16 * 1024;

/// Whether `frames` repeat with a period that divides `frame_len`: then
/// any header in them recurs a frame length on, and the chain is the
/// data's period (unrolled machine code, an array of fixed records), not
/// audio. Coded frames of a real stream agree with themselves a period
/// on about once in 256 bytes.
fn periodic(frames: &[u8], frame_len: usize) -> bool {
    let frames = &frames[..frames.len().min(PERIODIC_SPAN)];
    (1..=frame_len / 2)
        .filter(|p| frame_len.is_multiple_of(*p) && *p < frames.len())
        .any(|p| {
            let same = frames
                .iter()
                .zip(&frames[p..])
                .filter(|(a, b)| a == b)
                .count();
            same * 2 > frames.len() - p
        })
}

/// Bytes after the ID3v2 tags a frame search needs: the search span and
/// four frames of the longest kind (an MPEG-1 Layer II frame at 384 kbit/s
/// and 32 kHz is 1,728 bytes).
const FRAME_SEARCH_READ: usize = 16 * 1024;

/// MP3/MP2 and AAC ADTS: optional ID3v2 tags, then frames whose headers chain
/// at the offsets their own lengths imply. Three in a row at the start (four if
/// the stream starts after junk) is what random bytes essentially never show.
/// Tags larger than the head (cover art) are stepped over by their sizes and
/// the frames after them asked for.
fn mpeg_or_adts(s: &Sample) -> Option<Sniff> {
    let start = match after_id3(s) {
        Ok(start) => start,
        Err(at) => {
            let mut sniff = audio("mp3", "audio/mpeg")
                .with("magic", "ID3v2 tag at 0")
                .with(
                    "note",
                    format!("what follows the ID3v2 tags, at {at}, not read"),
                )
                .wanting(vec![at..at.saturating_add(WINDOW_LEN as u64).min(s.size)]);
            sniff.encryption = Encryption::Unknown;
            return Some(sniff);
        }
    };
    let tagged = start > 0;
    let h = contiguous(s, start, s.head.len().max(FRAME_SEARCH_READ));
    let whole = start + h.len() as u64 >= s.size;
    let search_end = (if tagged { 8192 } else { 4096 }).min(h.len());
    // Only sync bytes can start a frame; memchr skips the rest a word at a time.
    'search: for pos in syncs(&h[..search_end]) {
        let need = if pos == 0 { 3 } else { 4 };
        for (parse, format, mime) in FRAME_PARSERS {
            // A stream shorter than `need` frames may still be whole in the head.
            let (n, end) = frame_chain(&h, pos, parse, need);
            let whole_short = whole && n >= 1 && pos == 0 && ends_clean(&h, pos, parse);
            if n >= need || whole_short {
                // After junk with no ID3 tag in front (a tag names the
                // stream behind it, whatever its frames hold: test files
                // fill them with bit patterns), frames must hold coded
                // bytes: a structure's records chain as frames for a few
                // (an icon's colour entries `FF E2 64 FF`, a vertex
                // array's), three values in all between the headers,
                // while coded audio spreads over nearly every value
                // within a few frames. MPEG Layer I frames are whole
                // 4-byte slots, as the records of an int32 array are
                // (small negative numbers put `FF Fx` in step with a
                // chain of them): after any junk they must hold coded
                // bytes and not repeat with the frame's period.
                let layer_one = pos > 0 && h.get(pos + 1).is_some_and(|b| b >> 1 & 3 == 3);
                let frames = &h[pos..end.min(h.len())];
                let repeats = || parse(&h[pos..]).is_some_and(|(len, _, _)| periodic(frames, len));
                let uncoded = || !coded(frames);
                // Records chain for a few frames; a stream that opens on
                // silence (LAME's silent frames are `55` and zeros) goes
                // on: a long chain needs no coded bytes in its first ones.
                let short = || frame_chain(&h, pos, parse, LONG_CHAIN).0 < LONG_CHAIN;
                if (layer_one && format == "mp3" && (uncoded() || repeats()))
                    || (pos > 0 && !tagged && uncoded() && short())
                {
                    continue;
                }
                // Frames found after junk lose to a non-audio signature at 0
                // (an ELF program, a bitmap, an icon): their records chain
                // like frames. Asked only now: naming the head costs more
                // than trying the sync bytes of a random head.
                if pos != 0 && super::other::names_the_head(s) {
                    break 'search;
                }
                let at = start + pos as u64;
                let sniff = frames_named(&h[pos..], format, mime, n, at);
                let magic = if tagged {
                    "ID3v2 tag at 0, frame sync".to_string()
                } else {
                    "frame sync".into()
                };
                return Some(sniff.with("magic", format!("{magic} at {at}")));
            }
        }
    }
    if !tagged {
        return None;
    }
    // Tags ending just before the end of what was read: the frames are asked for.
    if h.len() < FRAME_SEARCH_READ && !whole {
        let at = start + h.len() as u64;
        let mut sniff = audio("mp3", "audio/mpeg")
            .with("magic", "ID3v2 tag at 0")
            .with(
                "note",
                format!("frames after the ID3v2 tags, at {at}, not read"),
            )
            .wanting(vec![at..at.saturating_add(WINDOW_LEN as u64).min(s.size)]);
        sniff.encryption = Encryption::Unknown;
        return Some(sniff);
    }
    // ID3v2 tags with no frames after them: a plaintext tag around something else.
    let sniff = audio("mp3", "audio/mpeg")
        .with("magic", "ID3v2 tag at 0, no valid frames")
        .with("payload_offset", start);
    let judged = judge_payload(s, sniff, start..s.size);
    (judged.encryption == Encryption::Partial).then_some(judged)
}

/// MPEG or ADTS frames found behind ID3v2 tags: all that the search behind
/// a prefix takes an `ID3` for. Tags alone, or tags whose frames lie beyond
/// what was read, show no recording there.
fn id3_frames(s: &Sample) -> Option<Sniff> {
    mpeg_or_adts(s).filter(|f| f.evidence.contains_key("frames_checked"))
}

/// The frames from `pos` run exactly to the end of `b` (a whole, tiny
/// stream), all of the same stream.
fn ends_clean(b: &[u8], mut pos: usize, parse: FrameParser) -> bool {
    let first = b.get(pos..).and_then(parse).map(|f| f.1);
    while let Some((len, id, _)) = b.get(pos..).and_then(parse) {
        if Some(id) != first {
            return false;
        }
        pos += len;
        if pos == b.len() {
            return true;
        }
    }
    false
}

const MIN_RAW_PCM: u64 = 8192;

/// Headerless sampled audio (formats.md §4.3), tried only on structured,
/// non-text bytes that no signature explains. Several interpretations are
/// scored; speech-like smoothness plus format-specific corroboration is needed.
pub(crate) fn raw_pcm(s: &Sample) -> Option<Sniff> {
    if super::text::is_text(s.head) {
        return None;
    }
    pcm_in(&s.slices_in(0..s.size), s.size)
}

/// Bits per byte above which a window is not judged as samples.
const MAX_PCM_ENTROPY: f64 = 7.95;

/// Bytes too random to be samples: ciphertext, compressed data.
pub(crate) fn too_random_for_samples(w: &[u8]) -> bool {
    super::entropy::entropy(w) >= MAX_PCM_ENTROPY
}

/// The sample layouts telephony and speech corpora store: in a window
/// judged alone, the others are as often a table or a bitmap.
pub(crate) fn is_speech_codec(codec: &str) -> bool {
    matches!(codec, "s16le" | "s16be" | "mulaw" | "alaw")
}

/// Samples in two of every three of `windows` (pieces of an object of
/// `size` bytes): the vote [`raw_pcm`] takes over a whole sample, here
/// also over windows read behind a head that holds none.
pub(crate) fn pcm_in(windows: &[&[u8]], size: u64) -> Option<Sniff> {
    let windows: Vec<&[u8]> = windows
        .iter()
        .copied()
        .filter(|w| w.len() >= 2048)
        .collect();
    // Under a second of telephone audio is too little to tell samples from
    // tables and bitmaps by statistics alone (formats.md §3.7.2).
    if windows.is_empty() || size < MIN_RAW_PCM {
        return None;
    }
    let mut votes: Vec<(&'static str, f64)> = Vec::new();
    // The vote below, as a count: two of every three windows.
    let needed = (windows.len() * 2).div_ceil(3);
    for (i, w) in windows.iter().enumerate() {
        // Once the windows left cannot make up the vote, the rest are not
        // guessed at (most objects here are not recordings at all).
        if votes.len() + (windows.len() - i) < needed {
            return None;
        }
        // Samples spend fewer of a byte's 8 bits (their high bytes crowd
        // near zero: loud stereo WAVs measure 7.5–7.75 bits per byte, a
        // full-scale sine 7.90): a window of nearly 8 (compressed pixels
        // behind an image's head, a PDF's streams, ciphertext) gets no
        // vote and none of the sample layouts' tests, which cost a hundred
        // times more than the byte counts.
        if too_random_for_samples(w) {
            continue;
        }
        // Judge 4 KiB pieces across the window: quiet stretches are common in speech.
        let pieces: Vec<&[u8]> = w.chunks(8192).filter(|p| p.len() >= 2048).collect();
        let mut hits = Vec::new();
        for (j, p) in pieces.iter().enumerate() {
            // Likewise within a window: half its pieces, or it fails.
            if (hits.len() + (pieces.len() - j)) * 2 < pieces.len() {
                break;
            }
            if let Some(hit) = super::pcm::guess(p) {
                hits.push(hit);
            }
        }
        // Pauses are part of speech: half the pieces suffice within a window.
        if !pieces.is_empty() && hits.len() * 2 >= pieces.len() {
            let best = hits.iter().max_by(|a, b| a.1.total_cmp(&b.1)).copied()?;
            votes.push(best);
        }
    }
    if votes.len() * 3 < windows.len() * 2 {
        return None;
    }
    let (format, rho) = votes[0];
    Some(
        Sniff::new("raw-pcm", None, Class::Audio, Encryption::None)
            .with("codec", format)
            .with("lag1_autocorrelation", super::round3(rho))
            .with(
                "basis",
                "headerless: speech-like sample statistics (formats.md §4.3)",
            ),
    )
}

#[cfg(test)]
mod tests {
    use super::super::testutil::{pcm16_tone, pseudo_random};
    use super::super::Window;
    use super::*;

    #[test]
    fn the_sync_search_finds_every_place_a_frame_can_start() {
        let every =
            |h: &[u8]| -> Vec<usize> { (0..h.len()).filter(|&p| frame_sync(&h[p..])).collect() };
        for seed in 0..400u64 {
            // Random bytes, text with a few syncs, and heads dense in `FF`,
            // cut at every length around the block size.
            let len = (seed as usize * 13) % 300;
            let mut h = pseudo_random(len, seed);
            if seed % 3 == 1 {
                h.iter_mut().for_each(|b| *b = b'a' + *b % 26);
            }
            if seed % 3 == 2 {
                h.iter_mut().step_by(3).for_each(|b| *b = 0xff);
            }
            for (i, sync) in [[0xffu8, 0xe0], [0x0b, 0x77], [0xff, 0xff]]
                .iter()
                .enumerate()
            {
                let at = (seed as usize * 7 + i * 61) % len.max(1);
                let end = (at + 2).min(len);
                h[at..end].copy_from_slice(&sync[..end - at]);
            }
            assert_eq!(syncs(&h).collect::<Vec<_>>(), every(&h), "seed {seed}");
        }
        assert_eq!(syncs(&[0xff; 200]).count(), 199);
        assert_eq!(syncs(&[0xff]).count(), 0);
    }

    /// The first-byte gate names what trying every detector in turn names:
    /// on each magic the anchored detectors know (followed by a valid
    /// header where one is at hand, by noise otherwise), on noise starting
    /// with every byte value, and on every fixture of the repository.
    #[test]
    fn the_first_byte_gate_names_what_every_detector_in_turn_names() {
        let magics: [&[u8]; 26] = [
            b"RIFF",
            b"RIFX",
            b"RF64",
            b"BW64",
            &W64_RIFF,
            b"FORM",
            b".snd",
            b"dns.",
            b"caff",
            b"fLaC",
            b"wvpk",
            b"TTA1",
            b"MAC ",
            b"ID3",
            b"OggS",
            b"#!AMR",
            b"#!SILK_V3",
            b"#!EVS",
            b"\x02#!SILK_V3",
            b"MPCK",
            b"MP+",
            b"DSD ",
            b"FRM8",
            b"Creative Voice File",
            b"NIST_1A",
            b"\xc0\xde\xc2",
        ];
        let mut heads: Vec<Vec<u8>> = Vec::new();
        for (i, magic) in magics.iter().enumerate() {
            assert!(MAGIC_FIRST[usize::from(magic[0])], "{magic:?}");
            let mut h = magic.to_vec();
            h.extend(pseudo_random(4096, i as u64));
            heads.push(h);
        }
        heads.push(wav(&pcm16_tone(4000)));
        for b in 0..=255u8 {
            let mut h = pseudo_random(2048, 1000 + u64::from(b));
            h[0] = b;
            heads.push(h);
        }
        let fixtures = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures");
        for entry in walkdir::WalkDir::new(fixtures).into_iter().flatten() {
            if entry.file_type().is_file() {
                let mut h = std::fs::read(entry.path()).unwrap();
                h.truncate(super::super::HEAD_LEN);
                heads.push(h);
            }
        }
        assert!(heads.len() > 400, "{}", heads.len());
        let mut named = 0;
        for h in &heads {
            let s = Sample::new(h.len() as u64, h, &[]);
            let every = ANCHORED.iter().chain(HEADERLESS).find_map(|d| d(&s));
            named += usize::from(every.is_some());
            assert_eq!(detect(&s), every, "{:?}", &h[..h.len().min(16)]);
        }
        assert!(named >= 30, "{named}");
    }

    pub(crate) fn wav(payload: &[u8]) -> Vec<u8> {
        let mut v = b"RIFF".to_vec();
        v.extend((36 + payload.len() as u32).to_le_bytes());
        v.extend(b"WAVEfmt ");
        v.extend(16u32.to_le_bytes());
        v.extend([1, 0, 1, 0]);
        v.extend(16000u32.to_le_bytes());
        v.extend(32000u32.to_le_bytes());
        v.extend([2, 0, 16, 0]);
        v.extend(b"data");
        v.extend((payload.len() as u32).to_le_bytes());
        v.extend(payload);
        v
    }

    fn sniff_whole(b: &[u8]) -> Option<Sniff> {
        detect(&Sample::new(b.len() as u64, b, &[]))
    }

    #[test]
    fn codec2_files_are_found_by_their_header() {
        // c2enc's header (version 0.8, mode 3200, no flags), then 8-byte
        // frames of quantised parameters.
        let frames: Vec<u8> = (0..1600u32).map(|i| (i % 8 * 17 + i / 40) as u8).collect();
        let file = |header: &[u8]| [header, &frames].concat();
        let s = sniff_whole(&file(b"\xc0\xde\xc2\x00\x08\x00\x00")).unwrap();
        assert_eq!((&*s.format, s.class), ("codec2", Class::Audio));
        assert_eq!(s.encryption, Encryption::None);
        assert_eq!(s.evidence["codec"], "codec2 3200");
        let c = sniff_whole(&file(b"\xc0\xde\xc2\x01\x00\x08\x00")).unwrap();
        assert_eq!(c.evidence["codec"], "codec2 700C");
        // No such mode, no such version, the header alone.
        for header in [
            &b"\xc0\xde\xc2\x00\x08\x09\x00"[..],
            b"\xc0\xde\xc2\x07\x08\x00\x00",
        ] {
            assert!(sniff_whole(&file(header)).is_none_or(|s| s.format != "codec2"));
        }
        assert!(sniff_whole(b"\xc0\xde\xc2\x00\x08\x00\x00").is_none());
    }

    #[test]
    fn every_frame_a_parser_takes_starts_with_a_sync() {
        let mut taken = 0;
        for seed in 0..48 {
            let mut h = pseudo_random(16, seed);
            for first in 0..=255u8 {
                for second in 0..=255u8 {
                    (h[0], h[1]) = (first, second);
                    let parsed = FRAME_PARSERS.iter().any(|(parse, ..)| parse(&h).is_some());
                    assert!(!parsed || frame_sync(&h), "{first:02x} {second:02x}");
                    taken += usize::from(parsed);
                }
            }
        }
        assert!(taken > 300, "{taken}");
    }

    #[test]
    fn wav_with_pcm_is_plain_audio() {
        let s = sniff_whole(&wav(&pcm16_tone(8000))).unwrap();
        assert_eq!(
            (&*s.format, s.class, s.encryption),
            ("wav", Class::Audio, Encryption::None)
        );
        assert_eq!(s.evidence["codec"], "pcm");
    }

    #[test]
    fn wav_header_before_ciphertext_is_partial() {
        let s = sniff_whole(&wav(&pseudo_random(16000, 3))).unwrap();
        assert_eq!(s.encryption, Encryption::Partial);
    }

    #[test]
    fn wav_in_a_large_file_asks_for_more_only_when_the_head_looks_encrypted() {
        let plain = wav(&pcm16_tone(40000));
        let s = detect(&Sample::new(50 << 20, &plain[..65536], &[])).unwrap();
        assert!(s.wants.is_empty());
        let mut enc = wav(&pseudo_random(70000, 1));
        enc[40..44].copy_from_slice(&((50u32 << 20) - 44).to_le_bytes());
        let s = detect(&Sample::new(50 << 20, &enc[..65536], &[])).unwrap();
        assert_eq!(s.wants.len(), 2);
        // The tail turns out to be plaintext: the object leaks audio after all.
        let tail = Window {
            offset: (50 << 20) - 65536,
            bytes: pcm16_tone(32768),
        };
        let mid = Window {
            offset: (25 << 20) - 32768,
            bytes: pcm16_tone(32768),
        };
        let s = detect(&Sample::new(50 << 20, &enc[..65536], &[mid, tail])).unwrap();
        assert_eq!(s.encryption, Encryption::None);
    }

    #[test]
    fn truncated_riff_without_fmt_is_not_audio() {
        assert!(sniff_whole(b"RIFF\x00\x00\x00\x00WAVE").is_none());
        assert!(sniff_whole(b"RIFF\x10\x00\x00\x00AVI LIST").is_none());
    }

    fn mp3_frame() -> Vec<u8> {
        // MPEG-1 Layer III, 128 kbit/s, 44.1 kHz, no padding: 417 bytes.
        let mut f = vec![0xff, 0xfb, 0x90, 0x64];
        f.resize(417, 0x55);
        f
    }

    /// MPEG-1 Layer I, 32 kbit/s, no CRC: 32 bytes at 44.1 kHz, 48 at 32 kHz.
    fn layer1_frame(rate_index: u8, mode: u8) -> Vec<u8> {
        let mut f = vec![0xff, 0xff, 0x10 | rate_index << 2, mode << 6];
        f.resize(if rate_index == 0 { 32 } else { 48 }, 0x11);
        f
    }

    #[test]
    fn frames_that_change_rate_or_layer_i_mode_do_not_chain() {
        let steady: Vec<u8> = (0..6).flat_map(|_| layer1_frame(0, 0)).collect();
        assert_eq!(sniff_whole(&steady).map(|s| s.format), Some("mp2".into()));
        let rates: Vec<u8> = (0..6).flat_map(|i| layer1_frame(i % 2 * 2, 0)).collect();
        assert!(sniff_whole(&rates).is_none());
        let modes: Vec<u8> = (0..6).flat_map(|i| layer1_frame(0, i % 2 * 3)).collect();
        assert!(sniff_whole(&modes).is_none());
    }

    #[test]
    fn frames_after_a_foreign_signature_are_not_audio() {
        // An ELF program whose PLT entries look like Layer I frames.
        let mut elf = b"\x7fELF\x01\x01\x01\x00".to_vec();
        elf.resize(300, 0);
        elf.extend((0..8).flat_map(|_| layer1_frame(0, 0)));
        elf.resize(4000, 0x90);
        assert!(sniff_whole(&elf).is_none());
        // After junk that no signature names, Layer I frames of zeros are
        // no stream either: they hold no coded bytes (see below).
        elf[..4].copy_from_slice(b"junk");
        assert!(sniff_whole(&elf).is_none());
    }

    /// MPEG-1 Layer I frames at 32 kbit/s, 44.1 kHz are 32 bytes: four
    /// 8-byte records of a table holding `FF FF 10 00` chain like them. After
    /// junk, a Layer I chain must hold coded bytes; real ones still do.
    #[test]
    fn a_table_of_records_is_not_a_layer_one_stream() {
        let whole = |v: &[u8]| super::super::sniff(&Sample::new(v.len() as u64, v, &[]), &[]);
        let mut table = vec![0u8; 30];
        for i in 0..400u32 {
            table.extend([0x10, 0, i as u8, 0, 0x7f, 0xff, 0xff, 0xff]);
        }
        let s = whole(&table);
        assert_ne!(s.class, Class::Audio, "{s:?}");
        let payload = crate::sniff::testutil::pseudo_random(28 * 40, 5);
        let mut stream = b"some junk before the stream ".to_vec();
        for chunk in payload.chunks(28) {
            stream.extend([0xff, 0xff, 0x10, 0x00]);
            stream.extend(chunk);
        }
        let s = whole(&stream);
        assert_eq!(
            (s.class, s.evidence["codec"].as_str()),
            (Class::Audio, Some("mp1")),
            "{s:?}"
        );
    }

    /// An icon's colour entries (`FF E2 64 FF`, opaque) a frame's length
    /// apart chain as MPEG-2.5 frames behind its header, with three byte
    /// values in all: no coded audio. Coded bytes between the same
    /// headers are.
    #[test]
    fn records_that_chain_as_frames_behind_junk_are_not_coded_audio() {
        let whole = |v: &[u8]| super::super::sniff(&Sample::new(v.len() as u64, v, &[]), &[]);
        let header = [0xff, 0xe2, 0x64, 0xff];
        let frame_len = mpeg_frame(&header).unwrap().0;
        let mut icon = b"VCO\0".to_vec();
        icon.resize(1076, 0x9b);
        for _ in 0..6 {
            icon.extend(header);
            icon.extend(std::iter::repeat_n(0x9b, frame_len - 4));
        }
        icon.extend([0x9b; 400]);
        assert_ne!(whole(&icon).class, Class::Audio);
        // A stream that opens on silent frames goes on past a few.
        let mut silent = b"VCO\0".to_vec();
        silent.resize(1076, 0x9b);
        for _ in 0..LONG_CHAIN {
            silent.extend(header);
            silent.extend(std::iter::repeat_n(0x55, frame_len - 4));
        }
        assert_eq!(whole(&silent).format, "mp3");
        // Behind an ID3 tag, the tag names the stream whatever its frames
        // hold (mutagen's test files fill them with bit patterns).
        let mut tagged = b"ID3\x03\0\0\0\0\0\x10".to_vec();
        tagged.extend([0; 16]);
        tagged.extend(&icon[4..]);
        assert_eq!(whole(&tagged).format, "mp3");
        let mut stream = b"VCO\0".to_vec();
        stream.resize(1076, 0x9b);
        let coded = crate::sniff::testutil::pseudo_random(frame_len * 40, 3);
        for chunk in coded.chunks(frame_len - 4) {
            stream.extend(header);
            stream.extend(chunk);
        }
        assert_eq!(whole(&stream).format, "mp3");
    }

    /// The entropy gate in front of the sample tests leaves loud samples
    /// to them (a full-scale sine, noise at −10 dB) and turns away what a
    /// compressor or a cipher writes.
    #[test]
    fn loud_samples_pass_the_entropy_gate_and_compressed_bytes_do_not() {
        let entropy = super::super::entropy::entropy;
        let sine: Vec<u8> = (0..32768)
            .flat_map(|i| (((i as f64 * 0.05).sin() * 32767.0) as i16).to_le_bytes())
            .collect();
        let noise = super::super::testutil::pseudo_random(65536, 8);
        // Sums of 12 uniform bytes: near-Gaussian, σ ≈ 10,000 (−10 dB).
        let loud: Vec<u8> = noise
            .chunks(12)
            .flat_map(|c| {
                let sum: i32 = c.iter().map(|&b| i32::from(b) - 128).sum();
                ((sum * 95).clamp(-32768, 32767) as i16).to_le_bytes()
            })
            .collect();
        assert!(entropy(&sine) < MAX_PCM_ENTROPY, "{}", entropy(&sine));
        assert!(entropy(&loud) < MAX_PCM_ENTROPY, "{}", entropy(&loud));
        assert!(entropy(&noise) >= MAX_PCM_ENTROPY);
    }

    /// A long run of frames counts wherever it ends (in the last window of
    /// an image, before a copied end marker or tail); a short one, or one
    /// of identical frames, does not.
    #[test]
    fn a_long_run_of_frames_counts_wherever_it_ends() {
        let frame = super::super::testutil::coded_mp3_frame;
        let window = |frames: usize, seed: Option<u8>| {
            let mut w = super::super::testutil::pseudo_random(5000, 3);
            for i in 0..frames {
                w.extend(frame(seed.unwrap_or(i as u8)));
            }
            w.extend(super::super::testutil::pseudo_random(20_000, 4));
            w.extend(b"\0\0\0\0IEND\xae\x42\x60\x82");
            w
        };
        let run = |w: &[u8]| frame_run(&Sample::new(w.len() as u64, w, &[]));
        let (at, found) = run(&window(LONG_RUN, None)).expect("a run of frames");
        assert_eq!(
            (at, &*found.format, found.class),
            (5000, "mp3", Class::Audio)
        );
        assert!(frames_behind(&Sample::new(1 << 30, &window(LONG_RUN, None), &[])).is_none());
        assert!(run(&window(LONG_RUN - 1, None)).is_none());
        assert!(run(&window(60, Some(7))).is_none());
    }

    /// Untagged frames behind another format's signature are found when
    /// they run to the end of what was read; a few that chain after a
    /// program header (a PLT) or a uniform fill that chains as identical
    /// frames are not.
    #[test]
    fn frames_behind_a_signature_are_found_when_they_run_to_the_end() {
        let whole = |v: &[u8]| super::super::sniff(&Sample::new(v.len() as u64, v, &[]), &[]);
        // Coded bytes: most of the 256 values within a frame.
        let frame = super::super::testutil::coded_mp3_frame;
        let stream: Vec<u8> = (0..20u8).flat_map(frame).collect();
        for head in [
            &b"#!/bin/sh\nexit 0\n"[..],
            b"Salted__\x01\x02\x03\x04\x05\x06\x07\x08",
        ] {
            let s = whole(&[head, &stream].concat());
            assert_eq!((&*s.format, s.class), ("mp3", Class::Audio), "{s:?}");
            assert_eq!(s.evidence["payload_offset"], head.len());
            // Cut by the head's end inside a frame: still the end of what was read.
            let cut = &[head, &stream[..stream.len() - 100]].concat();
            let s = super::super::sniff(&Sample::new(1 << 20, cut, &[]), &[]);
            assert_eq!(s.class, Class::Audio, "{s:?}");
            // A whole object cut inside its last frame (a download cut short).
            let short = [head, &stream[..stream.len() - 100]].concat();
            assert_eq!(whole(&short).class, Class::Audio);
            // Ten frames, then something else: not to the end.
            let mut broken = [head, &stream[..417 * 10]].concat();
            broken.extend([0x33; 3000]);
            assert_ne!(whole(&broken).class, Class::Audio);
            // Identical frames (a uniform fill) are no MP3.
            let same: Vec<u8> = (0..20).flat_map(|_| frame(0x55)).collect();
            // (Read as 24-bit samples they are a sawtooth: not frames.)
            assert_ne!(whole(&[head, &same].concat()).format, "mp3");
        }
    }

    /// A program's debug information holds tables whose records chain as
    /// Layer I frames (`FF FF E4 00`, then zeros and a counter) to the end
    /// of a head; frames of coded audio at the same place are found.
    #[test]
    fn a_table_that_chains_as_frames_is_no_recording() {
        let behind_elf = |body: &dyn Fn(usize, usize) -> u8| {
            let mut v = b"\x7fELF\x02\x01\x01\x00".to_vec();
            v.resize(300, 0);
            for n in 0..140 {
                // Layer I, 448 kbit/s, 48 kHz: 448 bytes.
                let mut f = vec![0xff, 0xff, 0xe4, 0x00];
                f.extend((4..448).map(|i| body(n, i)));
                v.extend(f);
            }
            super::super::sniff(&Sample::new(v.len() as u64, &v, &[]), &[])
        };
        let table = behind_elf(&|n, i| if i == 20 { n as u8 } else { 0 });
        assert_ne!(table.class, Class::Audio, "{table:?}");
        let coded = behind_elf(&|n, i| (i * 7 + n * 13 + i * i) as u8);
        assert_eq!((&*coded.format, coded.class), ("mp2", Class::Audio));
    }

    /// Unrolled machine code repeats every 64 bytes; where a block opens
    /// with `FF FF 48` (a Layer I header of 192 bytes), each third block
    /// holds a header where the last frame ends, to the end of the head.
    #[test]
    fn data_that_repeats_within_a_frame_is_no_recording() {
        let mut v = b"\x7fELF\x02\x01\x01\x00".to_vec();
        v.resize(50_000, 0);
        for n in 0..400usize {
            let mut block = vec![0xff, 0xff, 0x48, 0x89];
            block.extend((4..64).map(|i| (i * 37 + 11) as u8));
            // A call's displacement differs from block to block.
            block[12] = n as u8;
            v.extend(block);
        }
        // The program goes on past the head.
        let head = &v[..super::super::HEAD_LEN];
        let s = super::super::sniff(&Sample::new(1 << 20, head, &[]), &[]);
        assert_ne!(s.class, Class::Audio, "{s:?}");
        assert!(periodic(&v[50_000..], 192));
        let frames: Vec<u8> = (0..20u8)
            .flat_map(super::super::testutil::coded_mp3_frame)
            .collect();
        assert!(!periodic(&frames, 417));
    }

    /// A tagged MP3 behind a script line is found by its tags; tags with no
    /// frames after them behind the line are no recording.
    #[test]
    fn a_tagged_mp3_behind_another_signature_is_found() {
        let tags = [&b"ID3\x04\x00\x00\x00\x00\x00\x0a"[..], &[0x20; 10]].concat();
        let frames: Vec<u8> = (0..6).flat_map(|_| mp3_frame()).collect();
        let head = b"#!/bin/sh\nexit 0\n";
        let whole = |v: &[u8]| super::super::sniff(&Sample::new(v.len() as u64, v, &[]), &[]);
        let s = whole(&[&head[..], &tags, &frames].concat());
        assert_eq!((&*s.format, s.class), ("mp3", Class::Audio), "{s:?}");
        assert_eq!(s.evidence["payload_offset"], head.len());
        let s = whole(&[&head[..], &tags, &[0x20; 3000]].concat());
        assert_eq!(s.class, Class::Other, "{s:?}");
    }

    #[test]
    fn mp3_needs_three_chained_frames() {
        let one = mp3_frame();
        let three: Vec<u8> = one
            .iter()
            .chain(&one)
            .chain(&one)
            .chain(&[0u8; 100])
            .copied()
            .collect();
        assert_eq!(sniff_whole(&three).unwrap().format, "mp3");
        let mut broken = three.clone();
        broken[417] = 0x00;
        assert!(sniff_whole(&broken).is_none());
    }

    /// A tagger that wrote a metadata block's length wrong misplaces the
    /// first frame; two frame headers that hold up behind STREAMINFO are
    /// the stream. Without them the verdict stays `unknown`.
    #[test]
    fn flac_frames_behind_wrong_metadata_lengths_are_found() {
        let frame = |n: u8| {
            let mut h = vec![0xff, 0xf8, 0xc9, 0x18, n];
            let crc = flac_crc8(&h);
            h.push(crc);
            h.extend(crate::sniff::testutil::pseudo_random(400, u64::from(n)));
            h
        };
        // CRC-8/SMBUS, FLAC's header check: its check value pins it.
        assert_eq!(flac_crc8(b"123456789"), 0xf4);
        assert_eq!(flac_frame_header(&frame(0)), Some(6));
        let mut v = b"fLaC\x00\0\0\x22".to_vec();
        v.extend([0x10, 0, 0x10, 0, 0, 0, 0, 0, 0, 0]);
        v.extend([0x0a, 0xc4, 0x42, 0xf0]); // 44.1 kHz, 2 channels, 16 bits
        v.resize(42, 0);
        // The last block, PADDING, declares 100 bytes and holds 10.
        v.extend([0x81, 0, 0, 100]);
        v.extend([0u8; 10]);
        v.extend(frame(0));
        v.extend(frame(1));
        let s = sniff_whole(&v).unwrap();
        assert_eq!(
            (&*s.format, s.encryption),
            ("flac", Encryption::None),
            "{s:?}"
        );
        assert_eq!(s.evidence["payload_offset"], 56);
        let mut noise = v[..56].to_vec();
        noise.extend(crate::sniff::testutil::pseudo_random(900, 3));
        let s = sniff_whole(&noise).unwrap();
        assert_ne!(s.encryption, Encryption::None, "{s:?}");
    }

    #[test]
    fn nsp_is_named_by_its_form_type_and_header_chunk() {
        let mut v = b"FORMDS16".to_vec();
        v.extend(0u32.to_le_bytes());
        v.extend(b"HEDR");
        v.extend(32u32.to_le_bytes());
        v.extend(b"Oct 10 13:23:33 2012");
        v.extend(16000u32.to_le_bytes());
        v.extend(8000u32.to_le_bytes());
        v.extend([0u8; 4]);
        let pcm = crate::sniff::testutil::pcm16_tone(16000);
        v.extend(b"SDA_");
        v.extend((pcm.len() as u32).to_le_bytes());
        v.extend(&pcm);
        let s = sniff_whole(&v).unwrap();
        assert_eq!(
            (&*s.format, s.class, s.encryption),
            ("nsp", Class::Audio, Encryption::None)
        );
        assert_eq!(s.evidence["sample_rate"], 16000);
        assert_eq!(s.evidence["payload_offset"], 60);
        v[40..44].copy_from_slice(&0u32.to_le_bytes());
        assert!(sniff_whole(&v).is_none());
    }

    #[test]
    fn raw_gsm_needs_its_frame_nibble_every_33_bytes() {
        let mut gsm: Vec<u8> = (0..33 * 40).map(|i| (i * 37 % 251) as u8).collect();
        for f in gsm.chunks_mut(33) {
            f[0] = 0xd0 | (f[0] & 0x0f);
        }
        assert_eq!(sniff_whole(&gsm).map(|s| s.format), Some("gsm".into()));
        gsm[33 * 7] = 0x12;
        assert!(sniff_whole(&gsm).is_none_or(|s| s.format != "gsm"));
        // A whole prompt of 10 frames (a beep), coded bytes: GSM. The same
        // frames at the start of a larger object, or a fill of `DD`, not.
        let mut beep = crate::sniff::testutil::pseudo_random(330, 9);
        for f in beep.chunks_mut(33) {
            f[0] = 0xd0 | (f[0] & 0x0f);
        }
        assert_eq!(sniff_whole(&beep).map(|s| s.format), Some("gsm".into()));
        let cut = gsm_raw(&Sample::new(33 * 100, &beep, &[]));
        assert!(cut.is_none());
        assert!(sniff_whole(&[0xdd; 330]).is_none_or(|s| s.format != "gsm"));
        // However many frames a fill makes, it is no coded speech.
        assert!(sniff_whole(&[0xdd; 33 * 40]).is_none_or(|s| s.format != "gsm"));
        assert!(sniff_whole(&beep[..231]).is_none_or(|s| s.format != "gsm"));
    }

    #[test]
    fn ac3_frames_chain_by_their_size_code() {
        // 48 kHz, 96 kbit/s (frmsizecod 12): 192 words = 384 bytes per frame.
        let mut frame = vec![0u8; 384];
        frame[..6].copy_from_slice(&[0x0b, 0x77, 0x12, 0x34, 0x0c, 0x40]);
        assert_eq!(ac3_frame(&frame).map(|f| f.0), Some(384));
        let stream: Vec<u8> = frame.repeat(5);
        let s = sniff_whole(&stream).unwrap();
        assert_eq!((&*s.format, s.class), ("ac3", Class::Audio));
        let mut broken = stream.clone();
        broken[384 + 1] = 0;
        broken[768 + 1] = 0;
        assert!(sniff_whole(&broken[..]).is_none_or(|s| s.format != "ac3"));
    }

    #[test]
    fn mpeg_25_and_layer2_are_recognised() {
        assert_eq!(
            mpeg_frame(&[0xff, 0xe3, 0x28, 0xc4]).map(|f| f.2),
            Some(8000)
        );
        assert!(mpeg_frame(&[0xff, 0xf5, 0x88, 0xc4]).is_some());
        assert!(mpeg_frame(&[0xff, 0xfb, 0xf0, 0x00]).is_none()); // bad bitrate index
    }

    #[test]
    fn id3_in_front_of_ciphertext_is_partial_mp3() {
        let mut v = b"ID3\x04\x00\x00\x00\x00\x01\x00".to_vec();
        v.extend([0u8; 128]);
        v.extend(pseudo_random(20000, 9));
        let s = sniff_whole(&v).unwrap();
        assert_eq!((&*s.format, s.encryption), ("mp3", Encryption::Partial));
    }

    #[test]
    fn amr_wb_is_audio_not_a_shell_script() {
        let s = sniff_whole(b"#!AMR-WB\n\x04\x10\x20").unwrap();
        assert_eq!(s.format, "amr-wb");
    }

    #[test]
    fn au_needs_sane_fields() {
        let mut v =
            b".snd\x00\x00\x00\x18\xff\xff\xff\xff\x00\x00\x00\x01\x00\x00\x1f\x40\x00\x00\x00\x01"
                .to_vec();
        v.extend(std::iter::repeat_n(0xffu8, 100));
        assert_eq!(sniff_whole(&v).unwrap().format, "au");
        v[15] = 99;
        assert!(sniff_whole(&v).is_none());
    }

    #[test]
    fn the_bytes_after_the_tags_must_start_with_the_magic() {
        let body = b"TTA1\x01\x00\x01\x00\x10\x00\x80\x3e\x00\x00".repeat(10);
        for tag in [Vec::new(), id3(3, 300, false)] {
            let v = [&tag[..], &body].concat();
            let s = Sample::new(v.len() as u64, &v, &[]);
            assert_eq!(
                after_tags(&s, 14, b"TTA1").map(|(at, _)| at),
                Some(tag.len() as u64)
            );
            assert!(after_tags(&s, 14, b"wvpk").is_none());
            // A head shorter than the magic takes the slow way, to no.
            assert!(after_tags(&Sample::new(100, b"TT", &[]), 14, b"TTA1").is_none());
        }
    }

    #[test]
    fn lesser_containers_need_their_second_field() {
        let mut ape = b"MAC \x96\x0f".to_vec();
        ape.resize(64, 0);
        assert_eq!(sniff_whole(&ape).unwrap().format, "ape");
        ape[5] = 0x20; // version 8342: no such release
        assert!(sniff_whole(&ape).is_none());
        let mut dsf = b"DSD ".to_vec();
        dsf.extend(28u64.to_le_bytes());
        dsf.extend([0u8; 16]);
        dsf.extend(b"fmt ");
        assert_eq!(sniff_whole(&dsf).unwrap().format, "dsf");
        let dff = b"FRM8\x00\x00\x00\x00\x00\x00\x10\x00DSD PROP";
        assert_eq!(sniff_whole(dff).unwrap().format, "dff");
        assert_eq!(sniff_whole(b"MPCKSH\x00\x00").unwrap().format, "musepack");
        let mut wv = b"wvpk".to_vec();
        wv.extend(1000u32.to_le_bytes());
        wv.extend(0x410u16.to_le_bytes());
        assert_eq!(sniff_whole(&wv).unwrap().format, "wavpack");
        let caf_wrong_version = b"caff\x00\x02\x00\x00desc";
        assert!(sniff_whole(caf_wrong_version).is_none());
    }

    /// Ogg's CRC is CRC-32/CKSUM without the final inversion or the length:
    /// its check value for "123456789" is 0x765e7680 inverted.
    /// Slicing-by-8 agrees with the byte-at-a-time CRC at every length and
    /// alignment.
    #[test]
    fn ogg_crc_eight_at_a_time_is_the_bytewise_crc() {
        let bytewise = |page: &[u8]| {
            page.iter().enumerate().fold(0u32, |crc, (i, &b)| {
                let b = if (22..26).contains(&i) { 0 } else { b };
                (crc << 8) ^ OGG_CRC[0][((crc >> 24) as u8 ^ b) as usize]
            })
        };
        let data = crate::sniff::testutil::pseudo_random(600, 11);
        for start in 0..9 {
            for len in [
                0,
                1,
                7,
                8,
                9,
                21,
                22,
                23,
                25,
                26,
                27,
                33,
                64,
                255,
                591 - start,
            ] {
                let page = &data[start..start + len];
                assert_eq!(ogg_crc(page), bytewise(page), "{start} {len}");
            }
        }
    }

    #[test]
    fn ogg_crc_has_the_known_check_value() {
        assert_eq!(ogg_crc(b"123456789"), !0x765e_7680);
        assert_eq!(ogg_crc(b""), 0);
        // Bytes 22..26 (the CRC field) count as zeros.
        let mut page = [7u8; 40];
        let before = ogg_crc(&page);
        page[22..26].copy_from_slice(&[1, 2, 3, 4]);
        assert_eq!(ogg_crc(&page), before);
    }

    #[test]
    fn ogg_page_crc_is_checked() {
        let mut page = b"OggS\x00\x02".to_vec();
        page.extend([0u8; 20]);
        page.push(1);
        page.push(19);
        page.extend(b"OpusHead\x01\x01\x38\x01\x80\xbb\x00\x00\x00\x00\x00");
        let crc = ogg_crc(&page);
        page[22..26].copy_from_slice(&crc.to_le_bytes());
        let s = sniff_whole(&page).unwrap();
        assert_eq!(
            (&*s.format, s.evidence["codec"].as_str()),
            ("ogg", Some("opus"))
        );
        page[30] ^= 1;
        assert!(sniff_whole(&page).is_none());
    }

    /// Pages of a stream that starts mid-way name no codec, yet are the
    /// pages of a recording; a video stream's first page keeps it video.
    #[test]
    fn ogg_pages_cut_from_the_middle_of_a_stream_are_audio() {
        let page = |flags: u8, sequence: u32, body: &[u8]| {
            let mut p = b"OggS\x00".to_vec();
            p.push(flags);
            p.extend([0u8; 12]);
            p.extend(sequence.to_le_bytes());
            p.extend([0u8; 4]);
            p.push(1);
            p.push(body.len() as u8);
            p.extend(body);
            let crc = ogg_crc(&p);
            p[22..26].copy_from_slice(&crc.to_le_bytes());
            p
        };
        let packet: Vec<u8> = (0..200u32).map(|i| (i * 37 % 251) as u8).collect();
        let middle: Vec<u8> = (7..12).flat_map(|n| page(0, n, &packet)).collect();
        let s = sniff_whole(&middle).unwrap();
        assert_eq!((&*s.format, s.class), ("ogg", Class::Audio), "{s:?}");
        let video = [page(2, 0, b"\x80theora\x03\x02\x01"), middle].concat();
        assert_ne!(sniff_whole(&video).unwrap().class, Class::Audio);
        // Its own next pages are no recording behind the video; a stream
        // that begins behind it is.
        let whole = |b: &[u8]| super::super::sniff(&Sample::new(b.len() as u64, b, &[]), &[]);
        let s = whole(&video);
        assert_eq!((&*s.format, s.class), ("ogg", Class::Other), "{s:?}");
        let opus = page(
            2,
            0,
            b"OpusHead\x01\x01\x38\x01\x80\xbb\x00\x00\x00\x00\x00",
        );
        let chained = [&video[..], &opus, &page(0, 1, &packet)].concat();
        let s = whole(&chained);
        assert_eq!((&*s.format, s.class), ("ogv", Class::Audio), "{s:?}");
        assert_eq!(s.evidence["codec"], "opus");
    }

    /// A piece of a FLAC file cut from its middle: frames chained by their
    /// CRCs and numbers, found wherever the piece starts; not in random
    /// bytes, nor from a frame whose bytes were damaged.
    #[test]
    fn flac_frames_without_the_streams_header_are_found() {
        let flac: &[u8] = include_bytes!("../../fixtures/audio/flac/speech.flac");
        for cut in [5_000, 10_000, 20_000] {
            let piece = &flac[cut..];
            let s = super::super::sniff(&Sample::new(piece.len() as u64, piece, &[]), &[]);
            assert_eq!(
                (&*s.format, s.class),
                ("flac", Class::Audio),
                "{cut}: {s:?}"
            );
            let at = s.evidence["payload_offset"].as_u64().unwrap() as usize;
            assert!(flac_frame_header(&piece[at..]).is_some(), "{cut}");
        }
        for seed in 0..50 {
            assert_eq!(flac_frames_headerless(&pseudo_random(65536, seed)), None);
        }
        // A byte changed in the first frame: its CRC-16 fails there.
        let (at, _) = flac_frames_headerless(&flac[10_000..]).unwrap();
        let mut frames = flac[10_000 + at..].to_vec();
        let second = flac_frames_headerless(&frames[1..]).unwrap().0 + 1;
        frames[second / 2] ^= 0x40;
        assert_ne!(flac_frames_headerless(&frames).map(|f| f.0), Some(0));
        assert_eq!(flac_crc16(0, b"123456789"), 0xfee8);
        // A header whose size and rate bytes run past the end of what was
        // read: no header, and no panic (one such sync in a million small
        // files of the benchmark tree stopped their inspection).
        for end in 6..9 {
            let cut = &[0xff, 0xf8, 0x7c, 0x08, 0x00, 0x00, 0x00, 0x00][..end];
            assert_eq!(flac_frame_header(cut), None);
            assert_eq!(flac_frames_headerless(cut), None);
        }
        assert_eq!(flac_number(&[0xff, 0xf8, 0x69, 0x08, 0x07]), Some(7));
        assert_eq!(
            flac_number(&[0xff, 0xf8, 0x69, 0x08, 0xc2, 0x80]),
            Some(128)
        );
    }

    /// `fLaC`, STREAMINFO (16 kHz mono), then `blocks` (type, body) and `rest`.
    fn flac_file(blocks: &[(u8, Vec<u8>)], rest: &[u8]) -> Vec<u8> {
        let mut v = b"fLaC".to_vec();
        let mut info = vec![0u8; 34];
        info[10..13].copy_from_slice(&[0x03, 0xe8, 0x00]);
        let all: Vec<(u8, Vec<u8>)> = std::iter::once((0, info))
            .chain(blocks.iter().cloned())
            .collect();
        for (i, (kind, body)) in all.iter().enumerate() {
            let last = if i + 1 == all.len() { 0x80 } else { 0 };
            v.push(kind | last);
            v.extend(&(body.len() as u32).to_be_bytes()[1..]);
            v.extend(body);
        }
        v.extend(rest);
        v
    }

    #[test]
    fn flac_frames_must_follow_an_ended_metadata_chain() {
        let frames = [0xff, 0xf8, 0x69, 0x08, 0, 0x0f].repeat(200);
        let s = sniff_whole(&flac_file(&[(1, vec![0; 16])], &frames)).unwrap();
        assert_eq!((s.class, s.encryption), (Class::Audio, Encryption::None));
        // Structured bytes with no frame sync: FLAC, but not readable audio.
        let s = sniff_whole(&flac_file(&[], &[0x11; 4096])).unwrap();
        assert_eq!((s.class, s.encryption), (Class::Audio, Encryption::Unknown));
        // Ciphertext after the metadata: partial, as before.
        let s = sniff_whole(&flac_file(&[], &pseudo_random(8192, 3))).unwrap();
        assert_eq!(s.encryption, Encryption::Partial);
    }

    /// The hostile corpus's `metadata-chain-forever.flac`: 15,000 empty
    /// PADDING blocks, none marked last, was called unencrypted audio.
    #[test]
    fn flac_metadata_that_never_ends_is_not_confident_audio() {
        let mut v = flac_file(&[], &[]);
        v[4] &= 0x7f;
        v.extend([1u8, 0, 0, 0].repeat(15_000));
        let s = sniff_whole(&v).unwrap();
        assert_eq!((&*s.format, s.encryption), ("flac", Encryption::Unknown));
        assert!(s.wants.is_empty());
    }

    /// A cover picture larger than the head: the first frame is asked for,
    /// not given up on (the detector used to drop the file as not FLAC).
    #[test]
    fn flac_with_a_large_picture_asks_for_its_first_frame() {
        let frames = [0xff, 0xf8, 0x69, 0x08, 0, 0x0f].repeat(100);
        let v = flac_file(&[(6, vec![0x42; 100_000])], &frames);
        let head = &v[..65536];
        let s = detect(&Sample::new(v.len() as u64, head, &[])).unwrap();
        assert_eq!(s.format, "flac");
        let at = s.wants[0].start;
        assert_eq!(at as usize, v.len() - frames.len());
        let w = [Window {
            offset: at,
            bytes: v[at as usize..].to_vec(),
        }];
        let s = detect(&Sample::new(v.len() as u64, head, &w)).unwrap();
        assert_eq!(s.encryption, Encryption::None);
        // Block lengths of 2^24 - 1, chained: offsets computed without wrapping.
        let mut v = flac_file(&[], &[]);
        v[4] &= 0x7f;
        v.extend([1u8, 0xff, 0xff, 0xff]);
        let s = detect(&Sample::new(u64::MAX, &v, &[])).unwrap();
        assert_eq!(s.wants[0].start, v.len() as u64 + 0xff_ffff);
    }

    /// A chunk larger than the head before the format chunk (a Broadcast
    /// WAV's iXML, a JUNK pad; an AIFF's ANNO before COMM): the header
    /// chunk is asked for and the verdict waits on it, instead of the file
    /// being given up as no WAV at all.
    #[test]
    fn a_format_chunk_beyond_a_large_chunk_is_asked_for() {
        let tone = crate::sniff::testutil::pcm16_tone(8000);
        let wav = wav(&tone);
        let junk = [&b"JUNK"[..], &100_000u32.to_le_bytes(), &[0u8; 100_000]].concat();
        let v = [&wav[..12], &junk[..], &wav[12..]].concat();
        let mut aiff = b"FORM\0\0\0\0AIFF".to_vec();
        aiff.extend([&b"ANNO"[..], &100_000u32.to_be_bytes(), &[b'x'; 100_000]].concat());
        aiff.extend(b"COMM\0\0\0\x12\0\x01\0\0\x1f\x40\0\x10\x40\x0c\xfa\0\0\0\0\0\0\0");
        aiff.extend(
            [
                &b"SSND"[..],
                &(tone.len() as u32 + 8).to_be_bytes(),
                &[0; 8],
                &tone[..],
            ]
            .concat(),
        );
        for (v, format) in [(v, "wav"), (aiff, "aiff")] {
            let size = v.len() as u64;
            let s = detect(&Sample::new(size, &v[..65536], &[])).unwrap();
            assert_eq!((&*s.format, s.encryption), (format, Encryption::Unknown));
            let at = 12 + 100_008;
            assert_eq!(s.wants.first().map(|w| w.start), Some(at), "{s:?}");
            let w = [Window {
                offset: at,
                bytes: v[at as usize..].to_vec(),
            }];
            let s = detect(&Sample::new(size, &v[..65536], &w)).unwrap();
            assert_eq!(
                (&*s.format, s.encryption),
                (format, Encryption::None),
                "{s:?}"
            );
        }
    }

    /// A LIST chunk larger than the head between `fmt ` and `data`: the
    /// data chunk's header is asked for and its payload judged, instead of
    /// a verdict on the format chunk alone.
    #[test]
    fn wav_data_beyond_a_large_list_chunk_is_asked_for() {
        let mut v = wav(&[0u8; 16]);
        let data_at = v.len() - 24;
        let list = [&b"LIST"[..], &100_000u32.to_le_bytes(), &[0x20; 100_000]].concat();
        v.splice(data_at..data_at, list);
        let at = (data_at + 100_008) as u64;
        let size = v.len() as u64;
        let s = detect(&Sample::new(size, &v[..65536], &[])).unwrap();
        assert_eq!(s.wants.first().map(|w| w.start), Some(at), "{s:?}");
        let w = [Window {
            offset: at,
            bytes: v[at as usize..].to_vec(),
        }];
        let s = detect(&Sample::new(size, &v[..65536], &w)).unwrap();
        assert_eq!(s.evidence["payload_offset"], at + 8);
        // ds64 sizes of 2^64 - 1 and chunk sizes of 2^32 - 1 end the walk.
        let mut v = b"RF64\xff\xff\xff\xffWAVEds64\x1c\0\0\0".to_vec();
        v.extend([0xff; 24]);
        v.extend(b"\0\0\0\0fmt \x10\0\0\0\x01\0\x01\0\x40\x1f\0\0\x80\x3e\0\0\x02\0\x10\0");
        v.extend(b"data\xff\xff\xff\xff");
        v.extend([0x11; 64]);
        let s = sniff_whole(&v).unwrap();
        assert_eq!(s.format, "rf64");
    }

    /// An ID3v2 tag declaring 256 MB on a 1 KB file, and 100 tags in a row:
    /// offsets past the object are not read, and no verdict rests on them.
    #[test]
    fn id3_tags_larger_than_the_object_or_repeated_are_bounded() {
        let mut v = b"ID3\x04\x00\x00\x7f\x7f\x7f\x7f".to_vec();
        v.extend(pseudo_random(1014, 9));
        let s = sniff_whole(&v);
        assert!(s.as_ref().is_none_or(|s| s.class != Class::Audio), "{s:?}");
        let mut v = b"ID3\x04\x00\x00\x00\x00\x00\x0a".to_vec();
        v.extend([0u8; 10]);
        let tags = v.repeat(100);
        let frames = mp3_frame().repeat(20);
        let s = sniff_whole(&[tags, frames].concat()).unwrap();
        assert_eq!((&*s.format, s.class), ("mp3", Class::Audio));
    }

    /// Inspects `v` as the pipeline does (head, then the windows asked for,
    /// within its budget): the verdict, the limits it reported, bytes read.
    fn as_read(v: &[u8]) -> (Sniff, Vec<String>, u64) {
        let rules = crate::rules::RuleSet::embedded();
        let (mut head, mut reader) = (Vec::new(), v);
        let i = crate::pipeline::inspect(&mut reader, v.len() as u64, "t", &mut head, &rules, 0)
            .unwrap();
        let limits = i.inside.limits.iter().map(|l| l.message.clone()).collect();
        (i.sniff, limits, i.bytes_read)
    }

    /// Headers spread over thousands of empty chunks, tags or blocks are
    /// walked through the bytes read; past the windows a sample may read
    /// they are a limit, never a clean verdict on the bytes before them.
    #[test]
    fn many_small_header_blocks_are_walked_or_a_limit() {
        let pcm: Vec<u8> = (0..32_000u32).map(|i| (i * 7 % 251) as u8).collect();
        let wav = |junk: usize| {
            let mut body = b"WAVE".to_vec();
            body.extend(b"junk\0\0\0\0".repeat(junk));
            body.extend(b"fmt \x10\0\0\0\x01\0\x01\0\x80\x3e\0\0\0\x7d\0\0\x02\0\x10\0");
            body.extend(b"data\0\x7d\0\0");
            body.extend(&pcm);
            [&b"RIFF"[..], &(body.len() as u32).to_le_bytes(), &body].concat()
        };
        let (s, limits, _) = as_read(&wav(20_000));
        assert_eq!(
            (&*s.format, s.encryption),
            ("wav", Encryption::None),
            "{limits:?}"
        );
        let (s, limits, _) = as_read(&wav(200_000));
        assert_eq!(s.format, "wav");
        assert_eq!(limits.len(), 1, "{limits:?}");
        let padding: Vec<_> = (0..200_000).map(|_| (1, vec![])).collect();
        let flac = flac_file(&padding, &[0xff, 0xf8, 0x69, 0x08]);
        let (s, limits, _) = as_read(&flac);
        assert_eq!((&*s.format, s.encryption), ("flac", Encryption::Unknown));
        assert_eq!(limits.len(), 1, "{limits:?}");
        // A CAF whose `free` chunk is larger than the head: `data` is read.
        let mut caf = b"caff\0\x01\0\0desc".to_vec();
        caf.extend(32u64.to_be_bytes());
        caf.extend([&16_000f64.to_be_bytes()[..], b"lpcm", &[0; 20]].concat());
        caf.extend(b"free");
        caf.extend(100_000u64.to_be_bytes());
        caf.extend(vec![0; 100_000]);
        caf.extend(b"data");
        caf.extend((pcm.len() as u64 + 4).to_be_bytes());
        caf.extend([0; 4]);
        caf.extend(&pcm);
        let (s, limits, _) = as_read(&caf);
        assert_eq!(
            (&*s.format, s.encryption),
            ("caf", Encryption::None),
            "{limits:?}"
        );
        assert_eq!(s.evidence["payload_offset"], 100_080);
        // A chunk size that puts the next header at the end of the offsets.
        let mut edge = caf[..52].to_vec();
        edge[12..20].copy_from_slice(&(u64::MAX - 21).to_be_bytes());
        let _ = as_read(&edge);
    }

    /// An ID3v2 tag of `body` bytes (cover art), version 3 or 4, with a
    /// footer when asked.
    fn id3(version: u8, body: usize, footer: bool) -> Vec<u8> {
        let size: Vec<u8> = [21, 14, 7, 0]
            .iter()
            .map(|sh| (body >> sh) as u8 & 0x7f)
            .collect();
        let flags = if footer { 0x10 } else { 0 };
        let mut v = [&b"ID3"[..], &[version, 0, flags], &size].concat();
        v.extend(pseudo_random(body, body as u64));
        if footer {
            v.extend([&b"3DI"[..], &[version, 0, flags], &size].concat());
        }
        v
    }

    /// What taggers put in front of every kind of audio: tags of 64 KiB,
    /// 256 KiB and 1 MiB (cover art), two tags in a row, a v2.4 footer. The
    /// tags are stepped over by their syncsafe sizes and what follows judged.
    #[test]
    fn audio_behind_id3_tags_larger_than_the_head_is_found() {
        let adts = {
            // 16 kHz mono AAC-LC, 100-byte frames.
            let mut f = vec![0xff, 0xf1, 0x60, 0x40, 0x0c, 0x9f, 0xfc];
            f.resize(100, 0x21);
            f.repeat(30)
        };
        let flac = flac_file(&[], &[0xff, 0xf8, 0x69, 0x08, 0, 0x0f].repeat(200));
        let mut ape = b"MAC \x96\x0f".to_vec();
        ape.resize(4096, 0x33);
        let mut tta = b"TTA1\x01\x00\x01\x00\x10\x00\x80\x3e\x00\x00".to_vec();
        tta.resize(4096, 0x33);
        let mut wv = b"wvpk".to_vec();
        wv.extend(1000u32.to_le_bytes());
        wv.extend(0x410u16.to_le_bytes());
        wv.resize(4096, 0x33);
        let audio: [(&str, Vec<u8>); 6] = [
            ("mp3", mp3_frame().repeat(20)),
            ("aac", adts),
            ("flac", flac),
            ("ape", ape),
            ("tta", tta),
            ("wavpack", wv),
        ];
        for art in [65_536, 262_144, 1 << 20] {
            for (format, body) in &audio {
                let tags = [
                    id3(3, art, false),
                    [id3(4, art, true), id3(3, 300, false)].concat(),
                ];
                for tag in tags {
                    let v = [&tag[..], body].concat();
                    let (s, limits, read) = as_read(&v);
                    assert_eq!(
                        (&*s.format, s.class, s.encryption),
                        (*format, Class::Audio, Encryption::None),
                        "{format} after {art} bytes of tags: {s:?}"
                    );
                    assert!(limits.is_empty(), "{limits:?}");
                    assert!(read <= 4 * WINDOW_LEN as u64, "{read}");
                }
            }
        }
    }

    /// Hostile tag sizes: 10,000 empty tags (walked through: the frames
    /// after them are found; past the windows read they are a limit), a tag
    /// declaring 256 MB on a small object, a size with its high bits set
    /// (not syncsafe: no tag), and a chain of tags each ending beyond the
    /// last window read.
    #[test]
    fn id3_tag_chains_are_bounded() {
        let empty = b"ID3\x04\x00\x00\x00\x00\x00\x00".repeat(10_000);
        let v = [&empty[..], &mp3_frame().repeat(20)].concat();
        let s = sniff_whole(&v).unwrap();
        assert_eq!((&*s.format, s.encryption), ("mp3", Encryption::None));
        assert_eq!(s.evidence["payload_offset"], empty.len());
        let many = [&empty.repeat(20)[..], &mp3_frame().repeat(20)].concat();
        let (s, limits, _) = as_read(&many);
        assert_eq!((&*s.format, s.encryption), ("mp3", Encryption::Unknown));
        assert_eq!(limits.len(), 1, "{limits:?}");
        let v = [&b"ID3\x03\x00\x00\x7f\x7f\x7f\x7f"[..], &[0x11; 4000]].concat();
        assert_eq!(
            after_id3(&Sample::new(v.len() as u64, &v, &[])),
            Ok(268_435_465)
        );
        assert!(sniff_whole(&v).is_none_or(|s| s.class != Class::Audio));
        let v = b"ID3\x03\x00\x00\x80\x00\x00\x00".to_vec();
        assert_eq!(after_id3(&Sample::new(10, &v, &[])), Ok(0));
        // Objects too short for a tag header are no tag, and ask for nothing.
        for short in [&b""[..], b"ID3", b"ID3\x03\x00\x00\x00\x00\x00"] {
            assert_eq!(
                after_id3(&Sample::new(short.len() as u64, short, &[])),
                Ok(0)
            );
            assert!(sniff_whole(short).is_none_or(|s| s.wants.is_empty()));
        }
        // Twelve tags of 70 KB: every step costs a window, until none is left.
        let chain: Vec<u8> = (0..12).flat_map(|_| id3(3, 70_000, false)).collect();
        let v = [chain, mp3_frame().repeat(20)].concat();
        let (s, limits, read) = as_read(&v);
        assert_eq!((&*s.format, s.encryption), ("mp3", Encryption::Unknown));
        assert_eq!(limits.len(), 1, "{limits:?}");
        assert!(read <= 9 * WINDOW_LEN as u64, "{read}");
    }

    /// A FLAC PICTURE or PADDING block of 64 KiB to 1 MiB: the first frame
    /// is read where the block sizes put it, with no limit reported.
    #[test]
    fn flac_with_a_picture_of_up_to_a_mebibyte_is_audio() {
        let frames = [0xff, 0xf8, 0x69, 0x08, 0, 0x0f].repeat(200);
        for size in [65_536, 262_144, 1 << 20, 0xff_ffff] {
            for kind in [1, 2, 6] {
                let v = flac_file(&[(4, vec![0; 40]), (kind, vec![0x42; size])], &frames);
                let (s, limits, _) = as_read(&v);
                assert_eq!(
                    (&*s.format, s.encryption, limits.len()),
                    ("flac", Encryption::None, 0),
                    "block {kind} of {size}: {s:?} {limits:?}"
                );
            }
        }
    }

    /// The same shape as the ASF walk cargo-fuzz broke: Wave64 and CAF chunk
    /// sizes near 2^64 must neither wrap to a small step nor leave the next
    /// position where `pos + 16` overflows.
    #[test]
    fn wave64_and_caf_chunk_sizes_near_the_limit_end_the_walk() {
        for size in [u64::MAX, u64::MAX - 7, u64::MAX - 100, 1 << 40] {
            let mut v = W64_RIFF.to_vec();
            v.extend(1000u64.to_le_bytes());
            v.extend(b"wave");
            v.extend(W64_SUFFIX);
            v.extend(b"junk");
            v.extend(W64_SUFFIX);
            v.extend(size.to_le_bytes());
            v.extend([0u8; 64]);
            let _ = sniff_whole(&v);
            let mut v = b"caff\x00\x01\x00\x00desc".to_vec();
            v.extend(32u64.to_be_bytes());
            v.extend([0u8; 8]);
            v.extend(b"lpcm");
            v.extend([0u8; 20]);
            v.extend(b"free");
            v.extend(size.to_be_bytes());
            v.extend([0u8; 64]);
            let _ = sniff_whole(&v);
        }
    }
}
