//! Audio formats named by a header at offset 0 that the main audio detector
//! does not follow: lossless coders (TAK, OptimFROG, Shorten), AAC's ADIF
//! header, RealAudio and RealMedia, Yamaha SMAF ringtones, Sony OpenMG
//! (ATRAC in `.oma`), and the instrument samples of Gravis Ultrasound
//! patches, SoundFonts and tracker modules (formats.md §2.1). Each magic is backed by a second field (a block chain,
//! a version, a header length, a sane sample rate), so random bytes and files
//! that merely start with the same letters are not claimed (formats.md §1.6).

use super::bytes::{be16, be32, get, le16, le32, starts, u8_at};
use super::{judge_payload, token, Class, Encryption, Sample, Sniff};

pub(crate) fn detect(s: &Sample) -> Option<Sniff> {
    const DETECTORS: &[fn(&Sample) -> Option<Sniff>] = &[
        tak,
        optimfrog,
        shorten,
        adif,
        realaudio,
        realmedia,
        smaf,
        oma,
        gus_patch,
        soundfont,
        tracker_module,
    ];
    DETECTORS.iter().find_map(|d| d(s))
}

fn audio(format: &'static str, mime: &'static str) -> Sniff {
    Sniff::new(format, Some(mime), Class::Audio, Encryption::None)
}

/// TAK (Tom's lossless Audio Kompressor): `tBaK`, then metadata blocks of a
/// type byte (low 7 bits, 0 ends the list) and a 24-bit little-endian size,
/// STREAMINFO (type 1) first. The chain is walked while it stays in the head.
fn tak(s: &Sample) -> Option<Sniff> {
    let h = s.head;
    if !starts(h, 0, b"tBaK") || u8_at(h, 4)? & 0x7f != 1 {
        return None;
    }
    let mut pos = 4usize;
    let mut blocks = 0;
    while let Some(head) = get(h, pos, 4) {
        let kind = head[0] & 0x7f;
        let size = u32::from_le_bytes([head[1], head[2], head[3], 0]) as usize;
        if kind == 0 {
            break;
        }
        // Known block types are 1–7; a metadata block is small (a seek table
        // of a long file is the largest, well under a megabyte).
        if kind > 7 || !(3..1 << 20).contains(&size) {
            return None;
        }
        blocks += 1;
        pos += 4 + size;
        if blocks >= 16 {
            break;
        }
    }
    // STREAMINFO alone proves little when the head holds more than it.
    (blocks >= 2 || pos >= h.len()).then(|| {
        audio("tak", "audio/x-tak")
            .with("magic", "tBaK at 0")
            .with("metadata_blocks", blocks)
    })
}

/// OptimFROG (`.ofr`, and DualStream `.ofs`): `OFR `, a 32-bit header size,
/// a sample rate at 16, and the `HEAD` block (the original file's header)
/// right after the header.
fn optimfrog(s: &Sample) -> Option<Sniff> {
    let h = s.head;
    let size = le32(h, 4)? as usize;
    let rate = le32(h, 16)?;
    (starts(h, 0, b"OFR ")
        && (12..=64).contains(&size)
        && (1..=1_536_000).contains(&rate)
        && starts(h, 8 + size, b"HEAD"))
    .then(|| {
        audio("optimfrog", "audio/x-optimfrog")
            .with("magic", "OFR at 0, HEAD block")
            .with("sample_rate", rate)
    })
}

/// Shorten (`.shn`, the lossless coder of early tape-trading archives):
/// `ajkg` and a format version 1–3.
fn shorten(s: &Sample) -> Option<Sniff> {
    let version = u8_at(s.head, 4)?;
    (starts(s.head, 0, b"ajkg") && (1..=3).contains(&version)).then(|| {
        audio("shorten", "audio/x-shorten")
            .with("magic", "ajkg at 0")
            .with("version", version)
    })
}

/// Big-endian bit reader over a short header.
struct Bits<'a> {
    b: &'a [u8],
    pos: usize,
}

impl Bits<'_> {
    fn read(&mut self, n: usize) -> Option<u32> {
        let mut v = 0u32;
        for _ in 0..n {
            let byte = *self.b.get(self.pos / 8)?;
            v = v << 1 | u32::from(byte >> (7 - self.pos % 8) & 1);
            self.pos += 1;
        }
        Some(v)
    }
}

/// AAC in an ADIF header (ISO/IEC 13818-7 §6.2.1): `ADIF`, then a bit
/// field header whose first program config element must name an AAC
/// profile and a sampling-frequency index below 12.
fn adif(s: &Sample) -> Option<Sniff> {
    if !starts(s.head, 0, b"ADIF") {
        return None;
    }
    let mut r = Bits {
        b: get(s.head, 4, 32.min(s.head.len() - 4))?,
        pos: 0,
    };
    if r.read(1)? == 1 {
        r.read(72)?; // copyright id
    }
    r.read(2)?; // original_copy, home
    let variable_rate = r.read(1)? == 1;
    let bitrate = r.read(23)?;
    r.read(4)?; // number of program config elements, minus one
    if !variable_rate {
        r.read(20)?; // buffer fullness
    }
    r.read(6)?; // element instance tag, object type (every value is defined)
    let rate_index = r.read(4)?;
    let elements = r.read(4)? + r.read(4)? + r.read(4)?; // front, side, back
    (rate_index < 12 && elements > 0 && bitrate > 0).then(|| {
        audio("aac", "audio/aac")
            .with("magic", "ADIF at 0")
            .with("container", "adif")
            .with(
                "sample_rate",
                [
                    96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025,
                    8000,
                ][rate_index as usize],
            )
    })
}

/// RealAudio (`.ra`): `.ra` + `FD`, a version 3–5; versions 4 and 5 repeat
/// `.ra4` / `.ra5` at 8.
fn realaudio(s: &Sample) -> Option<Sniff> {
    let h = s.head;
    let version = be16(h, 4)?;
    let ok = starts(h, 0, b".ra\xfd")
        && match version {
            3 => true,
            4 => starts(h, 8, b".ra4"),
            5 => starts(h, 8, b".ra5"),
            _ => false,
        };
    ok.then(|| {
        audio("realaudio", "audio/x-pn-realaudio")
            .with("magic", ".ra at 0")
            .with("version", version)
    })
}

/// RealMedia (`.rm`, `.rmvb`): `.RMF` with a header size of at least 16,
/// then chunks (id, 32-bit size, version) up to `DATA`. Each `MDPR` (media
/// properties) chunk names its stream's MIME type: a stream whose type says
/// audio makes the file class `audio`, as for any video with a sound track.
fn realmedia(s: &Sample) -> Option<Sniff> {
    let h = s.head;
    let first = be32(h, 4)? as usize;
    if !starts(h, 0, b".RMF") || !(16..=64).contains(&first) || be16(h, 8)? > 1 {
        return None;
    }
    let (mut pos, mut audio_streams, mut streams, mut chunks) = (first, 0u32, 0u32, 0);
    let mut mimes: Vec<String> = Vec::new();
    while let (Some(id), Some(size)) = (get(h, pos, 4), be32(h, pos + 4)) {
        if !id.iter().all(|c| c.is_ascii_alphanumeric()) || size < 10 {
            break;
        }
        chunks += 1;
        if id == b"MDPR" {
            streams += 1;
            let name_len = usize::from(u8_at(h, pos + 40)?);
            let mime_at = pos + 41 + name_len;
            let mime_len = usize::from(u8_at(h, mime_at)?);
            let mime = get(h, mime_at + 1, mime_len)?;
            if mime.windows(6).any(|w| w == b"audio/") {
                audio_streams += 1;
            }
            if mimes.len() < 4 {
                mimes.push(token(mime));
            }
        }
        if id == b"DATA" || chunks >= 64 {
            break;
        }
        pos += size as usize;
    }
    if chunks == 0 {
        return None;
    }
    let class = if audio_streams > 0 {
        Class::Audio
    } else {
        Class::Other
    };
    Some(
        Sniff::new(
            "realmedia",
            Some("application/vnd.rn-realmedia"),
            class,
            Encryption::None,
        )
        .with("magic", ".RMF at 0")
        .with("streams", streams)
        .with("audio_streams", audio_streams)
        .with("mime_types", mimes.join(", ")),
    )
}

/// Yamaha SMAF (`.mmf`, mobile-phone ringtones and voice memos): `MMMD`, a
/// 32-bit size, a `CNTI` (contents info) chunk first. A file carries score
/// tracks (`MTR*`, synthesiser notes like MIDI) and may carry sampled audio
/// tracks (`ATR*`) or wave data inside a score track (`Mwa*`): only those
/// are recordings, so a score-only file is class `other`, like MIDI.
fn smaf(s: &Sample) -> Option<Sniff> {
    let h = s.head;
    let total = be32(h, 4)? as u64;
    if !starts(h, 0, b"MMMD") || !starts(h, 8, b"CNTI") || total < 16 {
        return None;
    }
    let (mut pos, mut score, mut wave) = (8usize, 0u32, 0u32);
    for _ in 0..32 {
        let (Some(id), Some(size)) = (get(h, pos, 4), be32(h, pos + 4)) else {
            break;
        };
        if !id[..3].iter().all(u8::is_ascii_alphanumeric) {
            break;
        }
        let body_end = (pos + 8).saturating_add(size as usize).min(h.len());
        match &id[..3] {
            b"ATR" => wave += 1,
            b"MTR" => {
                score += 1;
                if h[pos + 8..body_end].windows(3).any(|w| w == b"Mwa") {
                    wave += 1;
                }
            }
            _ => {}
        }
        pos = (pos + 8).saturating_add(size as usize);
    }
    let class = if wave > 0 { Class::Audio } else { Class::Other };
    Some(
        Sniff::new(
            "smaf",
            Some("application/vnd.smaf"),
            class,
            Encryption::None,
        )
        .with("magic", "MMMD + CNTI at 0, 8")
        .with("score_tracks", score)
        .with("wave_tracks", wave),
    )
}

/// Sony OpenMG audio (`.oma`, `.aa3`: ATRAC3, ATRAC3plus, also MP3 or LPCM):
/// an ID3v2-like tag with the magic `ea3` (absent in some files), then a
/// 96-byte `EA3` header: `EA3`, a version, `00`, `60`. Its encryption id
/// (big-endian 16 bits at 6) is `FFFF` or `FF80` for plain audio; any other
/// value means the frames are encrypted with OpenMG DRM (checked against
/// FFmpeg's and Rockbox's readers, which both refuse or decrypt exactly
/// those). The tag and the header stay in the clear, so DRM-protected audio
/// is `partial`, as for encrypted MP4 tracks.
fn oma(s: &Sample) -> Option<Sniff> {
    let h = s.head;
    let ea3_at = if starts(h, 0, b"ea3") {
        let (version, flags) = (u8_at(h, 3)?, u8_at(h, 5)?);
        let size = get(h, 6, 4)?;
        if !matches!(version, 3 | 4) || size.iter().any(|&b| b >= 0x80) {
            return None;
        }
        let len = size.iter().fold(0usize, |a, &b| a << 7 | usize::from(b));
        10 + len + if flags & 0x10 != 0 { 10 } else { 0 }
    } else {
        0
    };
    let header = get(h, ea3_at, 36)?;
    if !header.starts_with(b"EA3") || header[4] != 0 || header[5] != 0x60 {
        return None;
    }
    let id = u16::from_be_bytes([header[6], header[7]]);
    let codec = match header[32] {
        0 => "atrac3",
        1 => "atrac3plus",
        3 => "mp3",
        4 => "lpcm",
        5 => "wma",
        33 => "atrac3-lossless",
        34 => "atrac3plus-lossless",
        _ => "other",
    };
    let sniff = audio("oma", "audio/x-oma")
        .with("magic", format!("EA3 header at {ea3_at}"))
        .with("codec", codec);
    if matches!(id, 0xffff | 0xff80) {
        let payload = ea3_at as u64 + 96;
        return Some(judge_payload(s, sniff, payload..s.size));
    }
    let mut sniff = sniff.with("encryption_id", format!("{id:04x}")).with(
        "payload",
        "OpenMG DRM: frames encrypted, tag and header in the clear",
    );
    sniff.encryption = Encryption::Partial;
    Some(sniff)
}

/// Gravis Ultrasound instrument patch (`.pat`, freepats, TiMidity): the
/// full 22-byte header `GF1PATCH110` or `GF1PATCH100`, `00`, `ID#000002`,
/// `00`. Its samples are recordings of musical instruments for a MIDI
/// synthesiser, not of people: class `other`, like SoundFonts and tracker
/// modules, named so an inventory (or a rule on the format) can still find
/// them.
fn gus_patch(s: &Sample) -> Option<Sniff> {
    let h = s.head;
    ((starts(h, 0, b"GF1PATCH110\0") || starts(h, 0, b"GF1PATCH100\0"))
        && starts(h, 12, b"ID#000002\0"))
    .then(|| {
        Sniff::new("gus-patch", None, Class::Other, Encryption::None)
            .with("magic", "GF1PATCH at 0")
            .with(
                "basis",
                "instrument samples for a synthesiser, not a recording of speech",
            )
    })
}

/// An instrument bank or a tracker module: sampled notes for a
/// synthesiser or a music tracker, class `other` as [`gus_patch`] is.
fn instruments(format: &'static str, magic: String) -> Sniff {
    Sniff::new(format, None, Class::Other, Encryption::None)
        .with("magic", magic)
        .with(
            "basis",
            "instrument samples for a synthesiser, not a recording of speech",
        )
}

/// A SoundFont bank (`.sf2`, and `.sf3` with Ogg-coded samples): a RIFF
/// form `sfbk` whose first chunk is the `LIST` of `INFO` the
/// specification puts first.
fn soundfont(s: &Sample) -> Option<Sniff> {
    let h = s.head;
    (starts(h, 0, b"RIFF")
        && starts(h, 8, b"sfbk")
        && starts(h, 12, b"LIST")
        && starts(h, 20, b"INFO"))
    .then(|| instruments("soundfont", "RIFF form sfbk at 0".into()))
}

/// Tracker modules (music with its instrument samples): Impulse Tracker
/// `IMPM` at 0, Scream Tracker 3 `SCRM` at 44, FastTracker 2 `Extended
/// Module: ` at 0, and ProTracker and its kin, a channel tag at 1080. Each
/// magic is backed by fields a module keeps in range: mixing and global
/// volumes, the file-type bytes, or the volumes and fine-tunes of all 31
/// sample headers.
fn tracker_module(s: &Sample) -> Option<Sniff> {
    let h = s.head;
    let found = if starts(h, 0, b"IMPM") {
        // Global volume ≤ 128, mixing volume ≤ 128, stereo separation ≤ 128,
        // and at most 256 orders.
        let fields = [u8_at(h, 0x30)?, u8_at(h, 0x31)?, u8_at(h, 0x34)?];
        (fields.iter().all(|&v| v <= 128) && le16(h, 0x20)? <= 256).then_some("IMPM at 0")
    } else if starts(h, 44, b"SCRM") {
        // The end-of-song-name marker and the file type of a module.
        (u8_at(h, 28)? == 0x1a && u8_at(h, 29)? == 16).then_some("SCRM at 44")
    } else if starts(h, 0, b"Extended Module: ") {
        (u8_at(h, 37)? == 0x1a).then_some("Extended Module at 0")
    } else {
        let tag = get(h, 1080, 4)?;
        let channels = matches!(
            tag,
            b"M.K." | b"M!K!" | b"FLT4" | b"FLT8" | b"CD81" | b"OKTA"
        ) || (tag[0].is_ascii_digit() && &tag[1..] == b"CHN")
            || (tag[..2].iter().all(u8::is_ascii_digit) && &tag[2..] == b"CH");
        // 31 sample headers of 30 bytes from 20: fine-tune in the low
        // nibble of byte 24, volume (≤ 64) in byte 25.
        let samples = (0..31).all(|i| {
            let at = 20 + 30 * i;
            h[at + 24] & 0xf0 == 0 && h[at + 25] <= 64
        });
        (channels && samples).then_some("a channel tag at 1080")
    };
    found.map(|magic| instruments("tracker-module", magic.into()))
}

#[cfg(test)]
mod tests {
    use super::super::testutil::pseudo_random;
    use super::*;

    fn sniff_whole(b: &[u8]) -> Option<Sniff> {
        detect(&Sample::new(b.len() as u64, b, &[]))
    }

    fn with_body(header: &[u8], len: usize) -> Vec<u8> {
        let mut v = header.to_vec();
        v.extend((0..len).map(|i| (i * 7 % 251) as u8));
        v
    }

    #[test]
    fn tak_needs_its_metadata_chain() {
        // From a TAK 2.3 file: STREAMINFO (13), LAST_FRAME (11), ENCODER (7), then END.
        let mut tak = b"tBaK\x01\x0d\x00\x00".to_vec();
        tak.extend([
            0x82, 0x04, 0x91, 3, 0, 0, 0x40, 0x4d, 9, 0x0a, 0x7f, 0xca, 0xc5,
        ]);
        tak.extend(b"\x07\x0b\x00\x00");
        tak.extend([0u8; 11]);
        tak.extend(b"\x04\x07\x00\x00");
        tak.extend([0u8; 7]);
        tak.extend(b"\x00\x00\x00\x00");
        let tak = with_body(&tak, 2000);
        let s = sniff_whole(&tak).unwrap();
        assert_eq!((&*s.format, s.class), ("tak", Class::Audio));
        assert_eq!(s.evidence["metadata_blocks"], 3);
        let mut broken = tak.clone();
        broken[21] = 0x29; // block type 41 does not exist
        assert!(sniff_whole(&broken).is_none());
        assert!(sniff_whole(&with_body(b"tBaK\x05\x0d\x00\x00", 100)).is_none());
    }

    #[test]
    fn optimfrog_needs_a_sane_rate_and_its_head_block() {
        let mut ofr = b"OFR \x11\x00\x00\x00\x10\xb1\x02\x00\x00\x00\x03\x01".to_vec();
        ofr.extend(b"\x44\xac\x00\x00\x82\x25\x0a\x64\x00HEAD,\x00\x00\x00RIFF");
        let s = sniff_whole(&with_body(&ofr, 500)).unwrap();
        assert_eq!((&*s.format, s.class), ("optimfrog", Class::Audio));
        assert_eq!(s.evidence["sample_rate"], 44100);
        let mut no_head = ofr.clone();
        no_head[25..29].copy_from_slice(b"DATA");
        assert!(sniff_whole(&with_body(&no_head, 500)).is_none());
    }

    #[test]
    fn shorten_needs_a_known_version() {
        assert_eq!(
            sniff_whole(b"ajkg\x02\xff\x5d\xc1\x03\x00").map(|s| s.format),
            Some("shorten".into())
        );
        assert!(sniff_whole(b"ajkg is a word in this text file").is_none());
    }

    #[test]
    fn adif_header_fields_are_parsed() {
        // As in mutagen's adif.aac: 128 kbit/s, constant rate, 48 kHz.
        let adif = b"ADIF\x00\x3e\x80\x00\x00\x00\x01\x98\x80\x00\x04\x00\x00\x21\x10\x03";
        let s = sniff_whole(&with_body(adif, 200)).unwrap();
        assert_eq!((&*s.format, s.class), ("aac", Class::Audio));
        assert_eq!(s.evidence["container"], "adif");
        assert_eq!(s.evidence["sample_rate"], 48000);
        // A sampling-frequency index of 15 is reserved.
        let bad = b"ADIF\x00\x3e\x80\x00\x00\x00\x01\xf8\x80\x00\x04\x00\x00\x21\x10\x03";
        assert!(sniff_whole(&with_body(bad, 200)).is_none());
    }

    #[test]
    fn realaudio_needs_its_version_marker() {
        let ra4 = with_body(b".ra\xfd\x00\x04\x00\x00.ra4\x00\x01\x02\x03", 300);
        assert_eq!(sniff_whole(&ra4).unwrap().format, "realaudio");
        let wrong = with_body(b".ra\xfd\x00\x04\x00\x00xxxx\x00\x01\x02\x03", 300);
        assert!(sniff_whole(&wrong).is_none());
    }

    fn rm_chunk(id: &[u8], body: &[u8]) -> Vec<u8> {
        let mut v = id.to_vec();
        v.extend((10 + body.len() as u32).to_be_bytes());
        v.extend([0, 0]);
        v.extend(body);
        v
    }

    fn mdpr(mime: &[u8]) -> Vec<u8> {
        let mut body = vec![0u8; 30]; // stream number … duration
        body.push(5);
        body.extend(b"Audio");
        body.push(mime.len() as u8);
        body.extend(mime);
        body.extend([0, 0, 0, 0]);
        rm_chunk(b"MDPR", &body)
    }

    fn realmedia_file(mimes: &[&[u8]]) -> Vec<u8> {
        let mut v = b".RMF\x00\x00\x00\x12\x00\x00\x00\x00\x00\x00\x00\x00\x00\x04".to_vec();
        v.extend(rm_chunk(b"PROP", &[0u8; 40]));
        for m in mimes {
            v.extend(mdpr(m));
        }
        v.extend(rm_chunk(b"DATA", &[0u8; 8]));
        with_body(&v, 400)
    }

    #[test]
    fn realmedia_is_audio_only_with_an_audio_stream() {
        let s = sniff_whole(&realmedia_file(&[
            b"video/x-pn-realvideo",
            b"audio/x-pn-realaudio",
        ]))
        .unwrap();
        assert_eq!((&*s.format, s.class), ("realmedia", Class::Audio));
        assert_eq!(s.evidence["audio_streams"], 1);
        let video = sniff_whole(&realmedia_file(&[b"video/x-pn-realvideo"])).unwrap();
        assert_eq!(video.class, Class::Other);
    }

    #[test]
    fn smaf_is_audio_only_with_wave_data() {
        let chunk = |id: &[u8], body: &[u8]| {
            let mut v = id.to_vec();
            v.extend((body.len() as u32).to_be_bytes());
            v.extend(body);
            v
        };
        let build = |tracks: &[u8]| {
            let mut body = chunk(b"CNTI", b"\x00\x00\x00\x00\x00");
            body.extend(tracks);
            let mut v = b"MMMD".to_vec();
            v.extend((body.len() as u32 + 2).to_be_bytes());
            v.extend(body);
            v.extend([0x12, 0x34]);
            v
        };
        let with_wave = build(&chunk(b"ATR\x00", &[0u8; 64]));
        let s = sniff_whole(&with_wave).unwrap();
        assert_eq!((&*s.format, s.class), ("smaf", Class::Audio));
        let score = build(&chunk(b"MTR\x05", b"MtsqXXXXnotes"));
        assert_eq!(sniff_whole(&score).unwrap().class, Class::Other);
        let voice_in_score = build(&chunk(b"MTR\x05", b"Mtsp\x00\x00\x00\x08Mwa\x01\x00\x00"));
        assert_eq!(sniff_whole(&voice_in_score).unwrap().class, Class::Audio);
    }

    fn oma_file(encryption_id: [u8; 2]) -> Vec<u8> {
        let mut v = b"ea3\x03\x00\x00\x00\x00\x00\x10".to_vec();
        v.extend([0u8; 16]); // the tag body (frames would be here)
        let mut ea3 = b"EA3\x01\x00\x60".to_vec();
        ea3.extend(encryption_id);
        ea3.resize(32, 0);
        ea3.extend([1, 0x00, 0x28, 0x5c]); // ATRAC3plus
        ea3.resize(96, 0);
        v.extend(ea3);
        v.extend((0..4000).map(|i| (i * 13 % 97) as u8));
        v
    }

    #[test]
    fn oma_drm_is_graded_by_the_encryption_id() {
        let plain = sniff_whole(&oma_file([0xff, 0xff])).unwrap();
        assert_eq!(
            (&*plain.format, plain.class, plain.encryption),
            ("oma", Class::Audio, Encryption::None)
        );
        assert_eq!(plain.evidence["codec"], "atrac3plus");
        let drm = sniff_whole(&oma_file([0x00, 0x01])).unwrap();
        assert_eq!(drm.encryption, Encryption::Partial);
        let mut bad = oma_file([0xff, 0xff]);
        bad[31] = 0x61; // header length must be 96
        assert!(sniff_whole(&bad).is_none());
    }

    #[test]
    fn gus_patches_are_named_but_not_recordings() {
        let pat = with_body(b"GF1PATCH110\0ID#000002\0Copyright", 500);
        let s = sniff_whole(&pat).unwrap();
        assert_eq!((&*s.format, s.class), ("gus-patch", Class::Other));
        assert!(sniff_whole(&with_body(b"GF1PATCH110\0something", 500)).is_none());
    }

    #[test]
    fn soundfonts_and_tracker_modules_are_named_but_not_recordings() {
        let mut sf2 = b"RIFF\0\0\0\0sfbkLIST\x10\0\0\0INFOifil".to_vec();
        sf2.extend(pseudo_random(800, 1));
        let s = sniff_whole(&sf2).unwrap();
        assert_eq!((&*s.format, s.class), ("soundfont", Class::Other));
        // A RIFF form of any other kind is not a bank.
        sf2[8..12].copy_from_slice(b"WAVE");
        assert!(sniff_whole(&sf2).is_none());

        let mut it = b"IMPMsong".to_vec();
        it.resize(0xc0, 0);
        it[0x20] = 12; // orders
        it[0x30] = 128; // global volume
        it[0x31] = 48; // mixing volume
        it[0x34] = 128; // separation
        assert_eq!(sniff_whole(&it).unwrap().format, "tracker-module");
        it[0x31] = 200;
        assert!(sniff_whole(&it).is_none());

        let mut s3m = vec![b' '; 96];
        s3m[28] = 0x1a;
        s3m[29] = 16;
        s3m[44..48].copy_from_slice(b"SCRM");
        assert_eq!(sniff_whole(&s3m).unwrap().format, "tracker-module");
        s3m[29] = 17;
        assert!(sniff_whole(&s3m).is_none());

        let mut xm = b"Extended Module: tune".to_vec();
        xm.resize(80, b' ');
        xm[37] = 0x1a;
        assert_eq!(sniff_whole(&xm).unwrap().format, "tracker-module");

        let mut module = vec![0u8; 2048];
        for i in 0..31 {
            module[20 + 30 * i + 25] = 64; // volume
        }
        module[1080..1084].copy_from_slice(b"M.K.");
        assert_eq!(sniff_whole(&module).unwrap().format, "tracker-module");
        module[1080..1084].copy_from_slice(b"12CH");
        assert_eq!(sniff_whole(&module).unwrap().format, "tracker-module");
        // Random bytes under the tag: some sample header is out of range.
        for seed in 0..20 {
            let mut b = pseudo_random(2048, seed);
            b[1080..1084].copy_from_slice(b"M.K.");
            assert!(sniff_whole(&b).is_none(), "seed {seed}");
        }
    }

    #[test]
    fn random_bytes_behind_a_magic_are_not_claimed() {
        for (i, magic) in [&b"tBaK"[..], b"OFR ", b"ADIF", b".RMF", b"MMMD", b"ea3\x03"]
            .iter()
            .enumerate()
        {
            for seed in 0..50 {
                let mut b = magic.to_vec();
                b.extend(pseudo_random(1024, seed + 100 * i as u64));
                if let Some(s) = sniff_whole(&b) {
                    // ADIF's header is a few bit fields: a chance pass is
                    // possible, but it must never be more than `aac`.
                    assert_eq!(s.format, "aac", "{magic:?} seed {seed}: {s:?}");
                }
            }
        }
    }
}
