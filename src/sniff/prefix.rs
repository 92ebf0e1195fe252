//! Audio behind a prefix: a container that starts after bytes no detector
//! explains (HTTP response headers, a cache entry's record, junk) or after
//! an encryption envelope's header with nothing encrypted behind it. The
//! detectors are anchored at offset 0; here they are tried again where an
//! audio container's own magic starts (the headers themselves, not the
//! frame search, which already looks past junk from offset 0).

use std::ops::Range;

use super::{audio, media, Class, Encryption, Randomness, Sample, Sniff};
use crate::unpack::encoded;

/// Candidate places at most where an Ogg page is checked: each costs a
/// CRC over up to 64 KiB, so crafted `OggS` runs could otherwise cost a
/// gigabyte of CRC per object. The other headers fail within a few fields.
const MAX_OGG_TRIES: usize = 256;

/// The first audio container found starting after offset 0 in the head,
/// judged as if the object began there: its offset, and its sniff with the
/// offset as evidence. At each place an audio container's first bytes
/// occur, only that container's detector is tried (and the media
/// detectors where a media container, or a RIFF form, starts).
pub(crate) fn audio_behind(s: &Sample) -> Option<(usize, Sniff)> {
    audio_behind_in(s, Behind::Anything)
}

/// Where [`audio_behind_in`] looks.
#[derive(Clone, Copy, PartialEq)]
enum Behind {
    /// Any head: audio and media containers alike.
    Anything,
    /// A media container's head: audio containers' own headers only, not
    /// media containers' (a video's own clusters and boxes), and no Ogg
    /// page that begins no stream (an Ogg video's own next pages).
    Media,
}

/// [`audio_behind`], behind the kind of head `behind` says.
fn audio_behind_in(s: &Sample, behind: Behind) -> Option<(usize, Sniff)> {
    let containers = behind == Behind::Anything;
    let h = s.head;
    let mut ogg_tries = 0;
    let mut from = 0;
    // Each match restarts the search one byte on, so magics that overlap
    // (`RIFFORM`) are each found.
    while let Some(m) = MAGICS.find(aho_corasick::Input::new(h).span(from..h.len())) {
        from = m.start() + 1;
        // The container's own detector; the media detectors where an MP4,
        // a Matroska, ASF or FLV file, or a RIFF form (an AVI) may start.
        type Detector = fn(&Sample) -> Option<Sniff>;
        let (at, own, media): (_, Option<Detector>, bool) =
            match audio::HEADERS.get(m.pattern().as_usize()) {
                Some(&(magic, detect)) => (
                    Some(m.start()),
                    Some(detect),
                    containers && magic == b"RIFF",
                ),
                None if !containers => continue,
                None => {
                    let (_, back) = MEDIA[m.pattern().as_usize() - audio::HEADERS.len()];
                    (m.start().checked_sub(back), None, true)
                }
            };
        let Some(at) = at.filter(|&at| at > 0 && magic_holds_up_behind(&h[at..])) else {
            continue;
        };
        if h[at..].starts_with(b"OggS") {
            // The beginning-of-stream flag: a page without it continues a
            // stream, behind an Ogg video that video's own.
            if behind == Behind::Media && h.get(at + 5).is_some_and(|f| f & 0x02 == 0) {
                continue;
            }
            ogg_tries += 1;
            if ogg_tries > MAX_OGG_TRIES {
                continue;
            }
        }
        let rest = Sample::new(s.size.saturating_sub(at as u64), &h[at..], &[]);
        let found = own
            .into_iter()
            .chain(media.then_some(media::detect as Detector))
            .find_map(|detect| detect(&rest).filter(|f| f.class == Class::Audio));
        if let Some(found) = found {
            let mut found = found.with("payload_offset", at);
            found.wants.clear();
            return Some((at, found));
        }
    }
    if !containers {
        return None;
    }
    program_stream_behind(s).or_else(|| transport_stream_behind(s))
}

/// Places at most where an MPEG pack header is tried (each costs a scan
/// for start codes): crafted runs of them must not cost more.
const MAX_PACK_TRIES: usize = 64;

/// An MPEG program stream's pack header. Searched for on its own, not in
/// the automaton: its leading zeros, common in any binary, would flood
/// the automaton's prefilter with candidates.
fn program_stream_behind(s: &Sample) -> Option<(usize, Sniff)> {
    let h = s.head;
    // Found from its last byte: the zeros and ones before it fill
    // most binary records.
    super::bytes::find_iter_by(h.get(1..)?, b"\x00\x00\x01\xba", 3)
        .take(MAX_PACK_TRIES)
        .find_map(|i| media_at(s, i + 1))
}

/// The media detectors' audio verdict on the head from `at` on.
fn media_at(s: &Sample, at: usize) -> Option<(usize, Sniff)> {
    let rest = Sample::new(s.size.saturating_sub(at as u64), &s.head[at..], &[]);
    let mut found = media::detect(&rest)
        .filter(|f| f.class == Class::Audio)?
        .with("payload_offset", at);
    found.wants.clear();
    Some((at, found))
}

/// An MPEG transport stream starting within its first packet's length: it
/// has no magic to search for, only a sync byte every 188 (or 192) bytes.
fn transport_stream_behind(s: &Sample) -> Option<(usize, Sniff)> {
    let h = s.head;
    let first = h.get(1..192.min(h.len()))?;
    memchr::memchr_iter(0x47, first).find_map(|i| {
        let at = i + 1;
        let synced = |stride: usize| (0..5).all(|i| h.get(at + i * stride) == Some(&0x47));
        (synced(188) || synced(192))
            .then(|| media_at(s, at))
            .flatten()
    })
}

/// Media containers that may hold only audio, by bytes they start with and
/// how far into the file those stand: an MP4's `ftyp` box type (4 bytes
/// into the box that starts it), Matroska's and WebM's EBML header or a
/// Cluster (a later chunk of a recording), ASF's
/// header object (WMA) and FLV's signature.
const MEDIA: &[(&[u8], usize)] = &[
    (b"ftyp", 4),
    (b"\x1a\x45\xdf\xa3", 0),
    (b"\x1f\x43\xb6\x75", 0),
    (&media::ASF_HEADER, 0),
    (b"FLV\x01", 0),
];

/// Every audio container's first bytes, then the media containers'.
static MAGICS: std::sync::LazyLock<aho_corasick::AhoCorasick> = std::sync::LazyLock::new(|| {
    aho_corasick::AhoCorasick::builder()
        .match_kind(aho_corasick::MatchKind::LeftmostFirst)
        .build(
            audio::HEADERS
                .iter()
                .map(|h| h.0)
                .chain(MEDIA.iter().map(|m| m.0)),
        )
        .expect("a few short magics build an automaton")
});

/// An envelope's claim, or what lies in the clear behind its header: a
/// ciphertext never holds an audio container, so one found right behind
/// the header shows the envelope is a header and nothing more. A format
/// named here in the clear (a PDF) is any other signature at 0.
pub(crate) fn check_envelope(s: &Sample, envelope: Sniff) -> Sniff {
    if !matches!(
        envelope.encryption,
        Encryption::Encrypted | Encryption::Weak
    ) {
        return check_named(s, envelope);
    }
    if let Some(audio) = recording_behind(s) {
        return audio.with(
            "envelope",
            format!("{} header at 0 with plaintext behind it", envelope.format),
        );
    }
    // A text envelope (ansible-vault's hex, Vault transit's base64): its
    // first encoded run decoded is ciphertext, or an audio file in clear.
    let first_run = first_run_decoded(s.head);
    if let Some(audio) = first_run
        .as_ref()
        .and_then(|(data, run)| encoded_audio(data, run))
    {
        return audio.with(
            "envelope",
            format!(
                "{} header at 0 with encoded plaintext behind it",
                envelope.format
            ),
        );
    }
    match super::envelope::ciphertext(s, &envelope.format) {
        Some(range) => plaintext_behind(s, envelope, range),
        None => armored_plaintext(s, envelope, first_run),
    }
}

/// An armored envelope (age, OpenPGP, `openssl enc -a`) is its binary form
/// in base64: decoded (the first run, or OpenPGP's armor body after its
/// header lines), it is judged as that form is. Vault transit's base64 is
/// a nonce and ciphertext from its first byte.
fn armored_plaintext(
    s: &Sample,
    envelope: Sniff,
    first_run: Option<(Vec<u8>, encoded::Run)>,
) -> Sniff {
    // The binary form, and None where the decoded bytes are all ciphertext.
    let binary = match &*envelope.format {
        "age-armor" => Some("age"),
        "openpgp-armor" => Some("openpgp"),
        "openssl-enc-base64" => Some("openssl-enc"),
        "vault-transit" => None,
        _ => return envelope,
    };
    let decoded = if binary == Some("openpgp") {
        super::envelope::decode_armor_body(s.head).map(|data| (data, "armor body".to_string()))
    } else {
        first_run.map(|(data, run)| (data, run_name(&run)))
    };
    let Some((data, encoding)) = decoded else {
        return envelope;
    };
    let inner = Sample::new(data.len() as u64, &data, &[]);
    let range = match binary {
        Some(binary) => super::envelope::ciphertext(&inner, binary),
        None => Some(0..inner.size),
    };
    let Some(range) = range else {
        return envelope;
    };
    let judged = plaintext_behind(&inner, envelope, range);
    if judged.class == Class::Encrypted {
        return judged;
    }
    judged.with("encoding", encoding)
}

/// An envelope whose ciphertext is structured beyond doubt is a header in
/// front of plaintext: ciphertext has no structure anywhere, and one
/// window of it shows some with a chance under 10⁻⁵. The plaintext is
/// judged as headerless samples, or named text or binary, with the header
/// as evidence. Ciphertext in ECB mode repeats its blocks wherever the
/// plaintext does; with the repeats left out it is random again, and the
/// envelope stands, graded `weak`. Where what was read is random, the
/// claim stands and the middle and end are asked for: plaintext appended
/// to a real envelope lies past its head.
fn plaintext_behind(s: &Sample, envelope: Sniff, ciphertext: Range<u64>) -> Sniff {
    let start = ciphertext.start;
    let parts = parts_in(s, ciphertext.clone());
    let r = Randomness::of(&parts.iter().map(|&(_, b)| b).collect::<Vec<_>>());
    let structured = r.windows.iter().any(|w| w.is_strongly_structured());
    // `openssl enc` offers ECB, whose repeats a text leaves too rare for
    // the battery to see: its blocks are counted whatever the battery says.
    let ecb = (structured || envelope.format == "openssl-enc")
        .then(|| ecb_repeats(&parts, start))
        .flatten();
    let envelope = match ecb {
        Some((repeats, blocks)) => {
            let mut envelope = envelope.with(
                "mode",
                format!(
                    "ECB: {repeats} of {blocks} 8-byte ciphertext blocks repeat earlier ones \
                     (the plaintext's patterns show through)"
                ),
            );
            envelope.encryption = Encryption::Weak;
            envelope
        }
        None => envelope,
    };
    // The claim stands; the windows not read yet may hold what the head
    // (or ECB) does not explain.
    if ecb.is_some() || !structured {
        let wants = s.spread_wants(ciphertext);
        return envelope.wanting(wants);
    }
    let header = format!(
        "{} header at 0 with plaintext behind it (not ciphertext from byte {start})",
        envelope.format
    );
    let zipped = zipped_before(s, s.head.len());
    let samples = || {
        audio::raw_pcm(s)
            .or_else(|| {
                // Plaintext after random bytes in the head: judged from
                // the first 4 KiB that are structured on.
                let head = s.head;
                let from = (start as usize..head.len()).step_by(4096).find(|&at| {
                    let chunk = &head[at..head.len().min(at + 4096)];
                    chunk.len() >= super::entropy::MIN_WINDOW
                        && super::entropy::window_stats(chunk).is_strongly_structured()
                })?;
                let rest = &head[from..];
                let found = audio::raw_pcm(&Sample::new(rest.len() as u64, rest, &[]))?;
                Some(found.with("payload_offset", from))
            })
            .or_else(|| {
                // Plaintext in a window past the head: judged on its own.
                parts
                    .iter()
                    .filter(|(at, _)| *at >= s.head.len() as u64)
                    .find_map(|&(at, b)| {
                        let found = audio::raw_pcm(&Sample::new(b.len() as u64, b, &[]))?;
                        Some(found.with("payload_offset", at))
                    })
            })
            // A recording appended whole (`cat secret.gpg memo.mp3`): its
            // container's header or its frames, in the head or past it;
            // a FLAC stream's frames past the head, whose header lay
            // between the windows read.
            .or_else(|| recording_at(s).map(|(_, audio)| audio))
            .or_else(|| recording_past_head(s))
            .or_else(|| {
                s.past_head().find_map(|w| {
                    let piece = Sample::new(s.size.saturating_sub(w.offset), &w.bytes, &[]);
                    let found = audio::flac_piece(&piece)?;
                    let at = w.offset + found.evidence["payload_offset"].as_u64().unwrap_or(0);
                    Some(found.with("payload_offset", at))
                })
            })
    };
    let found = (!zipped).then(samples).flatten().unwrap_or_else(|| {
        let rest = s.head.get(start as usize..).unwrap_or_default();
        let format = if super::text::is_text(rest) {
            "text"
        } else {
            "binary"
        };
        Sniff::new(format, None, Class::Other, Encryption::None)
    });
    found.with("envelope", header).with_stats(&r)
}

/// The bytes read of `range`, each piece with its offset in the object.
/// Sorted, each cut to begin where the one before ended: bytes read twice
/// would count as repeated blocks.
fn parts_in<'a>(s: &Sample<'a>, range: Range<u64>) -> Vec<(u64, &'a [u8])> {
    let mut read: Vec<(u64, &'a [u8])> = std::iter::once((0u64, s.head))
        .chain(s.windows.iter().map(|w| (w.offset, w.bytes.as_slice())))
        .collect();
    read.sort_by_key(|&(at, _)| at);
    let mut from = range.start;
    read.into_iter()
        .filter_map(|(at, b)| {
            let lo = from.max(at);
            let hi = range.end.min(at + b.len() as u64);
            (lo < hi).then(|| {
                from = hi;
                (lo, &b[(lo - at) as usize..(hi - at) as usize])
            })
        })
        .collect()
}

/// ECB mode: some 8-byte blocks (aligned from the ciphertext's start; a
/// DES block, or half an AES block) repeat earlier ones, and the distinct
/// blocks are random. Too few distinct blocks to test (the ciphertext of
/// a file of zeros) count when each has at least six different byte
/// values, as random blocks do, and a run of one plaintext byte does not.
/// Returns (repeated blocks, blocks).
fn ecb_repeats<'a>(parts: &[(u64, &'a [u8])], start: u64) -> Option<(usize, usize)> {
    // A part's 8-byte blocks, aligned from the ciphertext's start.
    fn aligned<'a>(&(at, b): &(u64, &'a [u8]), start: u64) -> std::slice::ChunksExact<'a, u8> {
        let skip = ((8 - (at - start) % 8) % 8) as usize;
        b.get(skip..).unwrap_or_default().chunks_exact(8)
    }
    let blocks_of = |part: &(u64, &'a [u8])| aligned(part, start);
    let mut seen = std::collections::HashSet::new();
    let blocks: usize = parts.iter().map(|p| blocks_of(p).len()).sum();
    let repeats = parts
        .iter()
        .flat_map(blocks_of)
        .filter(|&block| !seen.insert(block))
        .count();
    if repeats == 0 {
        return None;
    }
    // The distinct blocks of each part, judged apart: plaintext appended
    // to ciphertext must not be averaged away.
    seen.clear();
    let random = parts.iter().all(|part| {
        let distinct: Vec<u8> = blocks_of(part)
            .filter(|&block| seen.insert(block))
            .flatten()
            .copied()
            .collect();
        if distinct.len() >= super::entropy::MIN_WINDOW {
            !super::entropy::window_stats(&distinct).is_strongly_structured()
        } else {
            distinct.chunks_exact(8).all(|block| {
                let mut values = block.to_vec();
                values.sort_unstable();
                values.dedup();
                values.len() >= 6
            })
        }
    });
    random.then_some((repeats, blocks))
}

/// A name from a signature at 0 (an image, a document, a program, a
/// script), or the recording behind it: a few bytes of any signature in
/// front of a recording must not hide it. Archives are left to the walk
/// inside them, which judges each member; documents infer counts as
/// archives and disk images are not walked, so they are searched.
pub(crate) fn check_named(s: &Sample, named: Sniff) -> Sniff {
    if named.class == Class::Compressed
        && !super::other::is_document(&named.format)
        && !super::other::is_disk_image(&named.format)
    {
        return named;
    }
    let found = recording_at(s).filter(|&(at, _)| {
        !PROGRAMS.contains(&&*named.format) || embedded_file_holds_up(&s.head[at..])
    });
    match found {
        Some((_, audio)) => audio.with(
            "head",
            format!("{} signature at 0 with a recording behind it", named.format),
        ),
        // A head that looks random is compressed or ciphertext, never samples:
        // one battery instead of the sample layouts' tests.
        None if super::other::signature_alone(s, &named)
            && !zipped_before(s, s.head.len())
            && !Randomness::of(&[s.head]).is_random_like() =>
        {
            match audio::raw_pcm(s) {
                Some(samples) => samples.with(
                    "head",
                    format!("{} signature at 0 with samples behind it", named.format),
                ),
                None => past_the_end(s, named),
            }
        }
        None => past_the_end(s, named),
    }
}

/// A format that ends before the object does has something behind it:
/// its middle and end are read and judged as behind a head that holds no
/// recording (a valid PNG or ELF header followed by silence and samples
/// would otherwise pass as the image or program). So are those of a
/// format whose end marker proves nothing, since anyone can write it.
fn past_the_end(s: &Sample, named: Sniff) -> Sniff {
    use super::other::Ending;
    let (end, early) = match super::other::ending(s, &named.format) {
        Ending::AsDeclared => return named,
        Ending::Unread(tail) => return named.wanting(vec![tail]),
        Ending::Unproven => (None, false),
        Ending::Early(end) => (end, true),
    };
    let wants = s.wants_behind(end.unwrap_or(0));
    if !wants.is_empty() {
        return named.wanting(wants);
    }
    // Behind a computed end the windows all lie in what follows it; behind
    // a marker, missing or not, the middle one may lie in the format. (A
    // header's end is often a table's, and such tables end in numbers that
    // pass for samples: pocketsphinx's `mdef` behind a `BM`.)
    let alone = || {
        (end.is_none() && super::other::marks_its_end(&named.format))
            .then(|| samples_in_one_window(s))
            .flatten()
    };
    let how = if early {
        "ends before the object does; a recording in the windows read behind it"
    } else {
        "marks its end with bytes anyone can append; a recording in the windows read behind its head"
    };
    match recording_past_head(s).or_else(alone) {
        Some(audio) => audio.with("head", format!("{} {how}", named.format)),
        None if early => named.with("trailing", "data after the format's end"),
        None => named,
    }
}

/// Samples, or a run of frames, in one window behind the head of a format
/// whose end marker is missing or proves nothing, judged alone. Appended
/// bytes end where the object does (a copied trailer after them is a few
/// bytes) and bytes hidden inside the format (a JPEG's application
/// segments, a PDF's streams) lie in its middle, while the other window
/// may lie in the format: the vote over all windows would let the format
/// outvote a recording shorter than half the object. The window that ends
/// the object is judged first. In the others only 16-bit and G.711
/// samples count: an uncompressed RGB or grey image in a PDF's middle
/// passes for 24-bit or 8-bit samples.
fn samples_in_one_window(s: &Sample) -> Option<Sniff> {
    let mut windows: Vec<&super::Window> =
        s.past_head().filter(|w| w.bytes.len() >= 4096).collect();
    windows.sort_by_key(|w| std::cmp::Reverse(w.offset));
    let last = windows.first()?;
    let ends = last.offset + last.bytes.len() as u64 == s.size;
    if ends {
        let rest = Sample::new(s.size - last.offset, &last.bytes, &[]);
        if let Some((at, frames)) = audio::frame_run(&rest) {
            return Some(frames.with("payload_offset", last.offset + at as u64));
        }
    }
    windows.iter().enumerate().find_map(|(i, w)| {
        if super::text::is_text(&w.bytes) {
            return None;
        }
        let found = audio::pcm_in(&[&w.bytes], s.size)?;
        let speech_codec = found
            .evidence
            .get("codec")
            .and_then(|c| c.as_str())
            .is_some_and(audio::is_speech_codec);
        ((i == 0 && ends) || speech_codec).then(|| found.with("payload_offset", w.offset))
    })
}

/// Programs: they hold the headers their code writes as constants.
const PROGRAMS: &[&str] = &["elf", "exe", "dll", "mach", "class", "dex", "wasm"];

/// A program holds the headers it writes as constants: espeak-ng a WAV
/// header with the sizes of a stream (`0x7ffff000`) before its code. Behind
/// a program's signature a RIFF form counts only as an embedded file, with
/// a size of its own (a file's, even one cut short; not 0, nor a stream's
/// placeholder of 2 GiB or more), and a FLAC only with a sample rate.
fn embedded_file_holds_up(h: &[u8]) -> bool {
    if h.starts_with(b"fLaC") {
        // STREAMINFO's 20-bit sample rate, which a test's or a writer's
        // template leaves 0 and a stream never has.
        return h.get(18..21).is_some_and(|r| {
            (u32::from(r[0]) << 12 | u32::from(r[1]) << 4 | u32::from(r[2]) >> 4) != 0
        });
    }
    !h.starts_with(b"RIFF")
        || h.get(4..8)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .is_some_and(|size| size != 0 && size < 0x7f00_0000)
}

/// Behind a prefix, a magic that is a line of text is a string any file
/// may quote: a MIME or `file(1)` magic database, a program's constants
/// (sox's AMR plugins), a format's documentation. Where the detector at 0
/// takes the magic alone, a recording behind a prefix needs its first
/// frames too: AMR's chain with the quality bit of speech frames set,
/// SILK's by their lengths. Multichannel AMR and EVS files have no frames
/// to check before their channel tables, so they are not looked for
/// behind a prefix.
fn magic_holds_up_behind(h: &[u8]) -> bool {
    for (magic, sizes) in [(&b"#!AMR\n"[..], &AMR_NB), (b"#!AMR-WB\n", &AMR_WB)] {
        if let Some(frames) = h.strip_prefix(magic) {
            return amr_frames_chain(frames, sizes);
        }
    }
    if let Some(frames) = h.strip_prefix(b"#!SILK_V3") {
        return silk_frames_chain(frames);
    }
    ![&b"#!AMR_MC1.0\n"[..], b"#!AMR-WB_MC1.0\n", b"#!EVS_MC1.0\n"]
        .iter()
        .any(|m| h.starts_with(m))
}

/// The first (up to) eight SILK frames: each a 16-bit little-endian length
/// of a packet's worth (1 to 1,280 bytes), then that many bytes; the end
/// of what was read, or the `FF FF` end mark, after the first.
fn silk_frames_chain(frames: &[u8]) -> bool {
    let (mut at, mut seen) = (0, 0);
    while seen < 8 {
        let Some(len) = frames
            .get(at..at + 2)
            .map(|b| u16::from_le_bytes([b[0], b[1]]))
        else {
            return seen > 0;
        };
        if len == 0xffff && seen > 0 {
            return true;
        }
        if !(1..=1280).contains(&len) {
            return false;
        }
        seen += 1;
        at += 2 + usize::from(len);
    }
    true
}

/// Speech bytes after the ToC byte by frame type (RFC 4867 §3.6, from the
/// bit counts of 3GPP TS 26.101 and 26.201); `None` for reserved types.
/// Type 15 is "no data", and AMR-WB's 14 "speech lost".
const AMR_NB: [Option<usize>; 16] = [
    Some(12),
    Some(13),
    Some(15),
    Some(17),
    Some(19),
    Some(20),
    Some(26),
    Some(31),
    Some(5),
    None,
    None,
    None,
    None,
    None,
    None,
    Some(0),
];
const AMR_WB: [Option<usize>; 16] = [
    Some(17),
    Some(23),
    Some(32),
    Some(36),
    Some(40),
    Some(46),
    Some(50),
    Some(58),
    Some(60),
    Some(5),
    None,
    None,
    None,
    None,
    Some(0),
    Some(0),
];

/// The first (up to) eight frames of an AMR stream: every ToC byte with
/// F and padding clear and a defined type, most with the quality bit set.
fn amr_frames_chain(frames: &[u8], sizes: &[Option<usize>; 16]) -> bool {
    let (mut at, mut seen, mut good) = (0, 0, 0);
    while seen < 8 {
        let Some(&toc) = frames.get(at) else {
            break;
        };
        let Some(len) = sizes[usize::from(toc >> 3 & 0x0f)].filter(|_| toc & 0x83 == 0) else {
            return false;
        };
        seen += 1;
        good += usize::from(toc & 0x04 != 0);
        at += 1 + len;
    }
    seen > 0 && good * 4 >= seen * 3
}

/// The recording behind the head's first bytes, unless a zip's local
/// header that holds up comes before it: then it is a member of a zip
/// behind the head (a self-extractor, a zipapp), which the walk inside
/// reads and reports by its name. Behind damaged headers the walk may not
/// start, so the recording is the object's.
fn recording_behind(s: &Sample) -> Option<Sniff> {
    recording_at(s).map(|(_, audio)| audio)
}

/// A video with no sound track (or a media container holding none) with
/// a recording behind it in the head: the recording. A container's chain
/// of boxes or elements says where it ends, and bytes appended after a
/// few KiB of video (`cat clip.mp4 call.wav`) are no part of it. Only an
/// audio container's header that its own detector validates counts: a
/// frame search over compressed video would find chains by chance.
pub(crate) fn check_media(s: &Sample, media: Sniff) -> Sniff {
    if media.class == Class::Audio {
        return media;
    }
    // Audio containers' own headers only: a media container's clusters or
    // boxes, which the search behind a prefix also takes, are this one's.
    match audio_behind_in(s, Behind::Media).filter(|&(at, _)| !zipped_before(s, at)) {
        Some((_, audio)) => audio.with(
            "head",
            format!(
                "{} with no sound track, a recording behind it",
                media.format
            ),
        ),
        None => media,
    }
}

fn recording_at(s: &Sample) -> Option<(usize, Sniff)> {
    let (at, audio) = audio_behind(s).or_else(|| audio::frames_behind(s))?;
    (!zipped_before(s, at)).then_some((at, audio))
}

/// A zip's local header that holds up before `at`: what follows is a
/// member, which the walk inside the zip reads and reports by its name.
fn zipped_before(s: &Sample, at: usize) -> bool {
    let finder = super::bytes::needle!(b"PK\x03\x04");
    super::bytes::find_all(finder, &s.head[..at.min(s.head.len())])
        .any(|p| crate::unpack::local_header_holds_up(&s.head[p..], p as u64, s.size))
}

/// A recording under a repeating XOR key of 1, 2 or 4 bytes: the key is
/// what turns the object's first bytes into an audio format's header, and
/// a second field of that header must come out right under the same key
/// before the head is decoded and the audio detectors judge it. XOR with
/// a short key hides nothing from anyone who tries this; without it such
/// a head is `binary`, or `random-like` (class encrypted) when the codec's
/// output was already random-looking.
pub(crate) fn xored_audio(s: &Sample) -> Option<Sniff> {
    let h = s.head;
    xor_keys(h).into_iter().find_map(|key| {
        let plain: Vec<u8> = h.iter().enumerate().map(|(i, b)| b ^ key[i % 4]).collect();
        let decoded = Sample::new(s.size, &plain, &[]);
        let mut found = audio::detect(&decoded)
            .or_else(|| media::detect(&decoded))
            .filter(|f| f.class == Class::Audio)?;
        found.wants.clear();
        // Only what lay in the clear under the key is weakly protected: a
        // payload random under the key too keeps its own grade.
        if found.encryption == Encryption::None {
            found.encryption = Encryption::Weak;
        }
        let period = if key[..2] == key[2..] {
            if key[0] == key[1] {
                1
            } else {
                2
            }
        } else {
            4
        };
        Some(
            found
                .with(
                    "obfuscation",
                    format!("XOR with a repeating {period}-byte key"),
                )
                .with(
                    "grade_basis",
                    "a short XOR key is recovered from the format's own header",
                ),
        )
    })
}

/// The keys (as four bytes, the key repeated) under which `h` opens with
/// an audio format's header whose second field holds too: RIFF/RF64 WAVE,
/// AIFF, Ogg, FLAC and ID3-tagged MP3 by their magic at 0, MP4/M4A by its
/// `ftyp` at 4 and the box's size before it, and MPEG, ADTS or AC-3 frames
/// with no tag by a one-byte key that makes the first two headers chain.
/// An ID3 tag's few fixed bits come out right under some key in one head
/// of a few thousand: the detectors then judge what it tags.
fn xor_keys(h: &[u8]) -> Vec<[u8; 4]> {
    /// A magic at 0, and the field at `at` that the header fixes or bounds.
    type Header = (&'static [u8; 4], usize, fn(&[u8; 4]) -> bool);
    const HEADERS: &[Header] = &[
        (b"RIFF", 8, |f| f == b"WAVE"),
        (b"RF64", 8, |f| f == b"WAVE"),
        (b"FORM", 8, |f| f == b"AIFF" || f == b"AIFC"),
        // Version 0, first page, granule position 0.
        (b"OggS", 4, |f| f == b"\x00\x02\x00\x00"),
        // STREAMINFO first (last-block flag either way), 34 bytes long.
        (b"fLaC", 4, |f| {
            f == b"\x00\x00\x00\x22" || f == b"\x80\x00\x00\x22"
        }),
        // ID3v2.2–2.4: revision 0, no undefined flag, a syncsafe size.
        (b"ID3\x02", 4, id3_rest),
        (b"ID3\x03", 4, id3_rest),
        (b"ID3\x04", 4, id3_rest),
    ];
    fn id3_rest(f: &[u8; 4]) -> bool {
        f[0] == 0 && f[1] & 0x0f == 0 && f[2] < 0x80 && f[3] < 0x80
    }
    let Some(first) = h.get(..8) else {
        return Vec::new();
    };
    let field = |key: &[u8; 4], at: usize| -> Option<[u8; 4]> {
        let f = h.get(at..at + 4)?;
        Some(std::array::from_fn(|i| f[i] ^ key[(at + i) % 4]))
    };
    let mut keys: Vec<[u8; 4]> = HEADERS
        .iter()
        .filter_map(|&(magic, at, holds)| {
            let key: [u8; 4] = std::array::from_fn(|i| first[i] ^ magic[i]);
            (key != [0; 4] && holds(&field(&key, at)?)).then_some(key)
        })
        .collect();
    // `ftyp` at 4, after a box size of a few dozen bytes.
    let key: [u8; 4] = std::array::from_fn(|i| first[4 + i] ^ b"ftyp"[i]);
    if key != [0; 4]
        && field(&key, 0).is_some_and(|size| matches!(u32::from_be_bytes(size), 12..=256))
    {
        keys.push(key);
    }
    // Two headers chained: the frame detector checks more before it speaks.
    if let Some(key) = audio::xored_frames(h) {
        keys.push([key; 4]);
    }
    keys
}

/// Text, or the recording behind it. Text is judged on its first 8 KiB,
/// and a few binary bytes among thousands of characters still pass; an
/// audio container's header always holds a zero byte (a chunk size, a
/// version), which text has none of, so only a head with one is searched.
pub(crate) fn check_text(s: &Sample, text: Sniff) -> Sniff {
    if text.class != Class::Other {
        return text;
    }
    if memchr::memchr(0, s.head).is_some() {
        if let Some(audio) = recording_behind(s) {
            return audio.with("head", "text with a recording behind it");
        }
    }
    match recording_past_head(s) {
        Some(audio) => audio.with(
            "head",
            format!(
                "text in the first {} bytes, a recording in the windows read behind them",
                s.head.len()
            ),
        ),
        None => text.wanting(s.spread_wants(0..s.size)),
    }
}

/// A recording in the windows read past the head. A head of text, of
/// silence or of bytes no format explains says nothing of what follows it:
/// a raw recording whose first seconds are quiet, or samples or MP3 frames
/// appended behind 64 KiB of anything, would otherwise pass on the head
/// alone. Samples must hold in two of every three windows (the vote over a
/// head), none of them text; frames must chain to a window's end.
pub(crate) fn recording_past_head(s: &Sample) -> Option<Sniff> {
    // Slivers read for a header field (a string table's length) carry no
    // samples worth a vote.
    let past: Vec<&super::Window> = s.past_head().filter(|w| w.bytes.len() >= 4096).collect();
    if past.is_empty() {
        return None;
    }
    if !past.iter().any(|w| super::text::is_text(&w.bytes)) {
        let slices: Vec<&[u8]> = past.iter().map(|w| w.bytes.as_slice()).collect();
        if let Some(pcm) = audio::pcm_in(&slices, s.size) {
            return Some(pcm);
        }
        if let Some(pcm) = samples_behind_random(s, &past) {
            return Some(pcm);
        }
    }
    // Frames chaining to a window's end, or an audio container whose
    // validated header lies in a window (a WAV or an Ogg stream stored in
    // a resource bundle past its first 64 KiB).
    // A window read where a format ends starts with what was appended:
    // its header is at the window's first byte.
    past.iter().find_map(|w| {
        let rest = Sample::new(s.size.saturating_sub(w.offset), &w.bytes, &[]);
        let at_start = || {
            audio::anchored(&rest)
                .or_else(|| super::media::detect(&rest))
                .filter(|f| f.class == Class::Audio)
                .map(|mut f| {
                    f.wants.clear();
                    (0, f)
                })
        };
        let (at, found) = audio::frames_behind(&rest)
            .or_else(at_start)
            .or_else(|| audio_behind(&rest))?;
        Some(found.with("payload_offset", w.offset + at as u64))
    })
}

/// Samples in the window that ends the object where every other window
/// read behind the head is too random to hold any: a recording appended
/// behind more ciphertext or compressed bytes than it is long. Those
/// windows cannot vote for samples, so they do not vote against them
/// either. Judged alone, the window counts in a speech codec only, and
/// only where it ends the object, as appended bytes do: a trie or an
/// index in a model file's middle passes for 16-bit samples.
fn samples_behind_random(s: &Sample, past: &[&super::Window]) -> Option<Sniff> {
    let last = past.iter().max_by_key(|w| w.offset)?;
    if past.len() < 2 || last.offset + last.bytes.len() as u64 != s.size {
        return None;
    }
    let others_random = past
        .iter()
        .filter(|w| w.offset != last.offset)
        .all(|w| audio::too_random_for_samples(&w.bytes));
    if !others_random {
        return None;
    }
    let found = audio::pcm_in(&[&last.bytes], s.size)?;
    let codec = found.evidence.get("codec").and_then(|c| c.as_str());
    codec
        .is_some_and(audio::is_speech_codec)
        .then(|| found.with("payload_offset", last.offset))
}

/// The first base64 or hex run of a text head, decoded (up to the head's
/// length).
fn first_run_decoded(head: &[u8]) -> Option<(Vec<u8>, encoded::Run)> {
    let run = encoded::runs(head, 1).into_iter().next()?;
    let data = encoded::decode(&head[run.offset..run.end], run.encoding, head.len());
    Some((data, run))
}

fn run_name(run: &encoded::Run) -> String {
    format!("{} at byte {}", run.encoding.name(), run.offset)
}

/// A decoded run that starts with an audio container's validated header.
fn encoded_audio(data: &[u8], run: &encoded::Run) -> Option<Sniff> {
    let found = audio::anchored(&Sample::new(data.len() as u64, data, &[]))?;
    let mut found = found
        .with("payload_offset", run.offset)
        .with("encoding", run_name(run));
    found.wants.clear();
    Some(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::unpack::tests::wav;

    fn sniff(b: &[u8]) -> Sniff {
        super::super::sniff(&Sample::new(b.len() as u64, b, &[]), &[])
    }

    #[test]
    fn a_fake_envelope_header_does_not_hide_the_recording_behind_it() {
        for header in [
            SALTED,
            b"\x00GITCRYPT\x00UUUUUUUUUUUU",
            b"age-encryption.org/v1\n-> X25519 abc\n--- def\n",
        ] {
            let mut v = header.to_vec();
            v.extend(wav());
            let s = sniff(&v);
            assert_eq!(
                (&*s.format, s.class, s.encryption),
                ("wav", Class::Audio, Encryption::None),
                "{:?}",
                &header[..8]
            );
            assert_eq!(s.evidence["payload_offset"], header.len());
        }
    }

    /// Another format's first bytes in front of a recording: a script
    /// line, an HTML tag, a PDF marker, an executable's or an image's
    /// signature. Each names the object when alone and hid the recording
    /// behind it before.
    #[test]
    fn a_signature_in_front_of_a_recording_does_not_hide_it() {
        let elf = [&b"\x7fELF\x02\x01\x01"[..], &[0; 57]].concat();
        let mz = [&b"MZ"[..], &[0; 200]].concat();
        let png = [&b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"[..], &[0; 17]].concat();
        for head in [
            &b"#!/bin/sh\nexit 0\n"[..],
            b"<html>\n",
            b"%PDF-1.4\n",
            b"GIF89a\x01\0\x01\0\0\0\0",
            &elf,
            &mz,
            &png,
        ] {
            let alone = sniff(&[head, &[0x55; 600][..]].concat());
            assert_ne!(alone.class, Class::Audio, "{:?}", &head[..4]);
            let mut v = head.to_vec();
            v.extend(wav());
            let s = sniff(&v);
            assert_eq!(
                (&*s.format, s.class, s.encryption),
                ("wav", Class::Audio, Encryption::None),
                "{:?} named {}",
                &head[..4],
                alone.format
            );
            assert_eq!(s.evidence["payload_offset"], head.len());
            assert!(s.evidence["head"]
                .as_str()
                .unwrap()
                .contains("signature at 0"));
        }
    }

    /// The constants of programs that write audio are not recordings:
    /// espeak-ng's WAV header with a stream's sizes before its code, sox's
    /// AMR magics before a table or code. An embedded file with its own
    /// sizes, or AMR frames, still is.
    #[test]
    fn a_program_holding_a_writers_header_is_not_a_recording() {
        let elf = [&b"\x7fELF\x02\x01\x01"[..], &[0; 57]].concat();
        let template = b"RIFF$\xf0\xff\x7fWAVEfmt \x10\x00\x00\x00\x01\x00\x01\x00\t=\x00\x00\x12z\x00\x00\x02\x00\x10\x00data\x00\xf0\xff\x7f";
        let code =
            b"\x48\x89\xdf\x31\xc0\xe8\xb2\xfc\xff\xff\x41\xbd\xff\xff\xff\xff\x0f\x1f".repeat(40);
        let amr_nb = [&b"#!AMR\n"[..], &[0; 18], b"\r\0\0\0\x0e\0\0\0\x10\0\0\0"].concat();
        let amr_wb = [&b"#!AMR-WB\nH9\x84$\x8f\0\0\0tPH\x8d\x15M\r\0\0"[..], &code].concat();
        let mut flac_template = b"fLaC\0\0\0\x22".to_vec();
        flac_template.extend([0x10, 0, 0x10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x0f]);
        flac_template.resize(42, 0);
        for constant in [&template[..], &amr_nb, &amr_wb, &flac_template] {
            let v = [&elf[..], constant, &[0; 400], &code].concat();
            let s = sniff(&v);
            assert_eq!(s.format, "elf", "{:?}", &constant[..6]);
        }
        // An AMR stream of good 12.2 kbit/s frames, and a WAV, whole or cut
        // short, in a program are recordings.
        let frame = [&[0x3c][..], &[0x55; 31]].concat();
        let stream = [&b"#!AMR\n"[..], &frame.repeat(10)].concat();
        let whole = wav();
        let cut = whole[..whole.len() / 2].to_vec();
        for embedded in [stream, whole, cut] {
            let s = sniff(&[&elf[..], &embedded, &code].concat());
            assert_eq!(s.class, Class::Audio, "{:?}", &embedded[..6]);
        }
    }

    /// A magic database quotes every audio magic; only the frames after a
    /// magic make it a recording behind a prefix.
    #[test]
    fn magics_quoted_in_a_database_are_not_recordings() {
        let mut db = b"MIME-Magic\0\n[50:audio/AMR]\n>0=\0\x06#!AMR\n\n".to_vec();
        for quoted in [
            &b"#!AMR-WB\n\n"[..],
            b"#!AMR_MC1.0\n\n",
            b"#!AMR-WB_MC1.0\n\n",
            b"#!EVS_MC1.0\n\n",
            b"#!SILK_V3\n\n",
        ] {
            db.extend(b"[50:audio/x]\n>0=\0\x0c");
            db.extend(quoted);
        }
        db.extend(b"[50:text/plain]\n>0=\0\x02#!\n".repeat(200));
        let s = sniff(&db);
        assert_ne!(s.class, Class::Audio, "{s:?}");
        // A SILK stream (lengths, packets, the end mark) behind a prefix.
        let mut silk = b"#!SILK_V3".to_vec();
        for n in 0..20u8 {
            silk.extend([40 + n, 0]);
            silk.extend((0..40 + n).map(|i| i.wrapping_mul(37) ^ n));
        }
        silk.extend([0xff, 0xff]);
        for prefix in [&b"HTTP/1.1 200 OK\r\n\r\n"[..], b"\x02"] {
            let s = sniff(&[prefix, &silk].concat());
            assert_eq!((&*s.format, s.class), ("silk", Class::Audio), "{s:?}");
        }
    }

    /// Each of `streams`, alone and behind each of `prefixes`, is the same
    /// audio container, found where it starts.
    fn found_behind(streams: &[(&[u8], &str)], prefixes: &[&[u8]]) {
        for &(stream, format) in streams {
            assert_eq!(sniff(stream).format, format);
            for prefix in prefixes {
                let s = sniff(&[prefix, stream].concat());
                assert_eq!(
                    (&*s.format, s.class, s.encryption),
                    (format, Class::Audio, Encryption::None),
                    "{format} behind {:?}",
                    &prefix[..8]
                );
                assert_eq!(s.evidence["payload_offset"], prefix.len());
            }
        }
    }

    const SALTED: &[u8] = b"Salted__\x11\x11\x11\x11\x11\x11\x11\x11";

    /// An envelope's header in front of bytes that are not ciphertext:
    /// headerless samples are found behind it, text and other structure
    /// are named, and the envelope keeps its claim over real ciphertext.
    #[test]
    fn an_envelope_header_in_front_of_plaintext_claims_nothing() {
        use crate::sniff::testutil::{pcm16_tone, pseudo_random};
        let mut luks = b"LUKS\xba\xbe\x00\x01aes".to_vec();
        luks.resize(592, 0);
        let aescrypt = b"AES\x02\x00\x00\x05hello\x00\x00".to_vec();
        let headers: [&[u8]; 5] = [
            SALTED,
            b"\x00GITCRYPT\x00UUUUUUUUUUUU",
            b"age-encryption.org/v1\n-> X25519 abc\nxyz\n--- def\n",
            &aescrypt,
            &luks,
        ];
        for header in headers {
            let name = String::from_utf8_lossy(&header[..4]).into_owned();
            // aescrypt: the key block's 96 bytes come before its ciphertext.
            let pad = if header.starts_with(b"AES") { 96 } else { 0 };
            let samples = sniff(&[header, &[0x11; 96][..pad], &pcm16_tone(20_000)].concat());
            assert_eq!(
                (&*samples.format, samples.class),
                ("raw-pcm", Class::Audio),
                "{name}"
            );
            assert!(samples.evidence["envelope"]
                .as_str()
                .unwrap()
                .contains("with plaintext behind it"));
            let text = "a line of a log that was never encrypted\n".repeat(100);
            let text = sniff(&[header, &[0x11; 96][..pad], text.as_bytes()].concat());
            assert_eq!(
                (&*text.format, text.encryption),
                ("text", Encryption::None),
                "{name}"
            );
            if !header.starts_with(b"LUKS") {
                let sealed =
                    sniff(&[header, &[0x11; 96][..pad], &pseudo_random(20_000, 4)].concat());
                assert_eq!(sealed.class, Class::Encrypted, "{name}");
            }
        }
    }

    /// ECB mode: equal plaintext blocks (silence, a constant fill) encrypt
    /// to equal ciphertext blocks, which the battery sees as structure;
    /// the distinct blocks are random, so the envelope stands, as `weak`.
    /// Zeros behind the header are no ciphertext at all.
    #[test]
    fn ecb_ciphertext_is_weak_not_plaintext() {
        use crate::sniff::testutil::pseudo_random;
        let noise = pseudo_random(16 * 2000, 5);
        let silence = pseudo_random(16, 6);
        // Every `n`th block the same one (a pause, a repeated line).
        let repeating_every = |n: usize| -> Vec<u8> {
            noise
                .chunks_exact(16)
                .enumerate()
                .flat_map(|(i, block)| if i % n == 0 { &silence[..] } else { block }.to_vec())
                .collect()
        };
        // A recording with pauses: every third block is the same one.
        let s = sniff(&[SALTED, &repeating_every(3)].concat());
        assert_eq!(
            (&*s.format, s.encryption),
            ("openssl-enc", Encryption::Weak)
        );
        assert!(s.evidence["mode"].as_str().unwrap().starts_with("ECB"));
        // A text enciphered: a block in thirty repeats, too few for the
        // battery to see; `openssl enc`'s blocks are counted anyway.
        let s = sniff(&[SALTED, &repeating_every(30)].concat());
        assert_eq!(
            (&*s.format, s.encryption),
            ("openssl-enc", Encryption::Weak)
        );
        // All blocks alike (a file of zeros enciphered): too few to test,
        // but each looks random.
        let s = sniff(&[SALTED, &silence.repeat(2000)].concat());
        assert_eq!(
            (&*s.format, s.encryption),
            ("openssl-enc", Encryption::Weak)
        );
        let s = sniff(&[SALTED, &[0u8; 32_000][..]].concat());
        assert_eq!((&*s.format, s.class), ("binary", Class::Other));
    }

    /// Headers no tool writes are headers only: LUKS1 with a key length of
    /// 0 or an active slot of fewer than 1,000 stripes, LUKS2 whose
    /// checksum fails.
    /// Kubernetes' aescbc values and Vault transit's base64 are ciphertext
    /// after their prefixes.
    #[test]
    fn forged_volume_headers_and_prefixed_values_hide_no_samples() {
        use crate::sniff::testutil::{pcm16_tone, pseudo_random};
        use base64::Engine;
        use sha2::{Digest, Sha256};
        let pcm = pcm16_tone(30_000);
        let luks1 = |key_bytes: u32, stripes: u32| {
            let mut v = b"LUKS\xba\xbe\x00\x01aes".to_vec();
            v.resize(108, 0);
            v.extend(key_bytes.to_be_bytes());
            v.resize(208, 0);
            for slot in 0..8u32 {
                v.extend(if slot == 0 { 0x00ac_71f3u32 } else { 0xdead }.to_be_bytes());
                v.extend([0; 36]);
                v.extend(8u32.to_be_bytes());
                v.extend(stripes.to_be_bytes());
            }
            v.resize(4096, 0);
            v
        };
        let luks2 = |sealed: bool| {
            let mut v = b"LUKS\xba\xbe\x00\x02".to_vec();
            v.extend(16384u64.to_be_bytes());
            v.resize(72, 0);
            v.extend(b"sha256");
            v.resize(4096, 0);
            v.extend(b"{\"keyslots\":{}}");
            v.resize(16384, 0);
            let mut digest = Sha256::new();
            digest.update(&v);
            let sum = digest.finalize();
            if sealed {
                v[448..480].copy_from_slice(&sum);
            }
            v
        };
        for head in [luks1(0, 4000), luks1(32, 0), luks1(32, 1), luks2(false)] {
            let s = sniff(&[&head[..], &pcm].concat());
            assert_eq!(
                (&*s.format, s.class),
                ("raw-pcm", Class::Audio),
                "{:?}",
                &head[..8]
            );
        }
        let sealed = [&luks2(true)[..], &[0x11; 16384], &pseudo_random(30_000, 1)].concat();
        assert_eq!(sniff(&sealed).format, "luks2");
        let k8s = b"k8s:enc:aescbc:v1:key1:";
        assert_eq!(sniff(&[&k8s[..], &pcm].concat()).format, "raw-pcm");
        let s = sniff(&[&k8s[..], &pseudo_random(30_000, 2)].concat());
        assert_eq!((&*s.format, s.encryption), ("k8s-aescbc", Encryption::Weak));
        let encode = |b: &[u8]| base64::engine::general_purpose::STANDARD.encode(b);
        let vault = format!("vault:v1:{}", encode(&pcm[..24_000]));
        assert_eq!(sniff(vault.as_bytes()).format, "raw-pcm");
        let vault = format!("vault:v1:{}", encode(&pseudo_random(24_000, 3)));
        assert_eq!(sniff(vault.as_bytes()).format, "vault-transit");
    }

    /// A box or a packet whose length covers the samples explains them no
    /// better than bytes that are no boxes: an MP4 `free` box with no track
    /// tables beside it, an OpenPGP session-key packet far longer than any
    /// session key.
    #[test]
    fn a_box_or_packet_that_swallows_the_samples_does_not_hide_them() {
        use crate::sniff::testutil::pcm16_tone;
        let pcm = pcm16_tone(20_000);
        let mut mp4 = b"\x00\x00\x00\x18ftypisom\x00\x00\x00\x00isomiso2".to_vec();
        mp4.extend((8 + pcm.len() as u32).to_be_bytes());
        mp4.extend(b"free");
        mp4.extend(&pcm);
        assert_eq!(sniff(&mp4).format, "raw-pcm");
        let mut pgp = vec![0xc1, 0xff];
        pgp.extend((10 + pcm.len() as u32).to_be_bytes());
        pgp.extend([3, 1, 2, 3, 4, 5, 6, 7, 8, 1]);
        pgp.extend(&pcm);
        assert_eq!(sniff(&pgp).format, "raw-pcm");
    }

    /// The armored forms are the binary ones in base64: decoded, they are
    /// judged alike.
    #[test]
    fn an_armored_envelope_around_plaintext_claims_nothing() {
        use crate::sniff::testutil::{pcm16_tone, pseudo_random};
        use base64::Engine;
        let lines = |b: &[u8]| -> String {
            let text = base64::engine::general_purpose::STANDARD.encode(b);
            text.as_bytes()
                .chunks(64)
                .map(|l| format!("{}\n", String::from_utf8_lossy(l)))
                .collect()
        };
        let age = b"age-encryption.org/v1\n-> X25519 abc\nxyz\n--- def\n";
        for (payload, sealed) in [
            (pcm16_tone(12_000), false),
            (pseudo_random(24_000, 3), true),
        ] {
            let openssl = lines(&[SALTED, &payload].concat());
            let armored = format!(
                "-----BEGIN AGE ENCRYPTED FILE-----\n{}-----END AGE ENCRYPTED FILE-----\n",
                lines(&[&age[..], &payload].concat())
            );
            for text in [openssl, armored] {
                let s = sniff(text.as_bytes());
                if sealed {
                    assert_eq!(s.class, Class::Encrypted, "{}", &text[..20]);
                } else {
                    assert_eq!(
                        (&*s.format, s.class),
                        ("raw-pcm", Class::Audio),
                        "{}",
                        &text[..20]
                    );
                    assert!(s.evidence["encoding"]
                        .as_str()
                        .unwrap()
                        .starts_with("base64"));
                }
            }
        }
    }

    /// Random bytes between the header and the samples: the samples are
    /// judged from the first structured 4 KiB on.
    #[test]
    fn samples_after_a_random_stretch_behind_an_envelope_are_found() {
        use crate::sniff::testutil::{pcm16_tone, pseudo_random};
        let v = [SALTED, &pseudo_random(40_000, 2), &pcm16_tone(12_000)].concat();
        let s = sniff(&v);
        assert_eq!((&*s.format, s.class), ("raw-pcm", Class::Audio), "{s:?}");
        let at = s.evidence["payload_offset"].as_u64().unwrap();
        assert!((36_000..=41_000).contains(&at), "{at}");
    }

    /// Plaintext appended to a real envelope lies past the head: the
    /// middle and the end of the ciphertext are asked for, and samples
    /// found there are the object's.
    #[test]
    fn plaintext_past_the_head_of_an_envelope_is_found() {
        use crate::sniff::testutil::pseudo_random;
        let size = 1 << 20;
        let head = [SALTED, &pseudo_random(crate::sniff::HEAD_LEN - 16, 8)].concat();
        let first = super::super::sniff(&Sample::new(size, &head, &[]), &[]);
        assert_eq!(first.class, Class::Encrypted);
        assert_eq!(first.wants.len(), 2, "{:?}", first.wants);
        let windows = tone_windows(&first.wants);
        let s = super::super::sniff(&Sample::new(size, &head, &windows), &[]);
        assert_eq!((&*s.format, s.class), ("raw-pcm", Class::Audio), "{s:?}");
        assert!(s.evidence["envelope"]
            .as_str()
            .unwrap()
            .contains("plaintext behind it"));
    }

    /// A compressed recording appended to a real envelope
    /// (`cat secret.enc memo.mp3`): its frames, past the head and behind
    /// ciphertext, are the object's; so is a WAV appended in the head.
    #[test]
    fn a_recording_appended_to_an_envelope_is_found() {
        use crate::sniff::testutil::{coded_mp3_frame, pseudo_random};
        let cipher = [SALTED, &pseudo_random(300_000, 4)].concat();
        let stream: Vec<u8> = (0..600u32).flat_map(|i| coded_mp3_frame(i as u8)).collect();
        let file = [&cipher[..], &stream].concat();
        let head = &file[..crate::sniff::HEAD_LEN];
        let s = sniff_reading(file.len() as u64, head, |at, len| {
            file[at as usize..(at as usize + len).min(file.len())].to_vec()
        });
        assert_eq!((&*s.format, s.class), ("mp3", Class::Audio), "{s:?}");
        assert!(s.evidence["envelope"]
            .as_str()
            .unwrap()
            .contains("plaintext behind it"));
        // FLAC frames behind ciphertext, their stream's header left
        // between the windows read (here, not there at all).
        let flac = include_bytes!("../../fixtures/audio/flac/speech.flac");
        let mut at = 4;
        loop {
            let last = flac[at] & 0x80 != 0;
            let len = usize::from(flac[at + 1]) << 16
                | usize::from(flac[at + 2]) << 8
                | usize::from(flac[at + 3]);
            at += 4 + len;
            if last {
                break;
            }
        }
        let file = [&cipher[..], &flac[at..]].concat();
        let s = sniff_reading(
            file.len() as u64,
            &file[..crate::sniff::HEAD_LEN],
            |at, len| file[at as usize..(at as usize + len).min(file.len())].to_vec(),
        );
        assert_eq!((&*s.format, s.class), ("flac", Class::Audio), "{s:?}");
        let small = [
            SALTED,
            &pseudo_random(20_000, 5),
            &crate::unpack::tests::wav(),
        ]
        .concat();
        let s = sniff(&small);
        assert_eq!((&*s.format, s.class), ("wav", Class::Audio), "{s:?}");
    }

    /// A LUKS1 header whose first active key slot's material is random keeps
    /// its claim: the zeros that pad the header are not judged.
    #[test]
    fn a_luks1_volume_is_judged_by_its_key_material() {
        use crate::sniff::testutil::pseudo_random;
        let mut v = b"LUKS\xba\xbe\x00\x01aes".to_vec();
        v.resize(108, 0);
        v.extend(32u32.to_be_bytes());
        v.resize(208, 0);
        for slot in 0..8u32 {
            let state: u32 = if slot == 0 { 0x00ac_71f3 } else { 0xdead };
            v.extend(state.to_be_bytes());
            v.extend([0; 36]);
            v.extend((8 + 256 * slot).to_be_bytes());
            v.extend(4000u32.to_be_bytes());
        }
        v.resize(4096, 0);
        let mut sealed = v.clone();
        sealed.extend(pseudo_random(60_000, 9));
        assert_eq!(sniff(&sealed).format, "luks1");
        v.extend(crate::sniff::testutil::pcm16_tone(30_000));
        let s = sniff(&v);
        assert_eq!((&*s.format, s.class), ("raw-pcm", Class::Audio));
    }

    /// A signature that infer names from its first bytes alone, in front of
    /// headerless samples: the samples are found. A bitmap whose header
    /// holds up keeps its name (its pixels are smooth rows).
    #[test]
    fn a_bare_signature_in_front_of_samples_does_not_hide_them() {
        use crate::sniff::testutil::pcm16_tone;
        let pcm = pcm16_tone(20_000);
        for head in [
            &b"BM"[..],
            b"MZ",
            b"\x00\x01\x00\x00\x00",
            b"GIF89a",
            b"\x7fELF\x02\x01\x01\x00",
            b"%PDF-1.4\n",
            b"II*\x00",
            b"8BPS",
            b"\x00\x00\x00\x18ftypisom\x00\x00\x00\x00isomiso2",
        ] {
            let s = sniff(&[head, &pcm].concat());
            assert_eq!(
                (&*s.format, s.class),
                ("raw-pcm", Class::Audio),
                "{:?}",
                &head[..4]
            );
            assert!(
                s.evidence["head"]
                    .as_str()
                    .unwrap()
                    .contains("then samples")
                    || s.evidence["head"]
                        .as_str()
                        .unwrap()
                        .contains("with samples behind it")
            );
        }
        let size = (54 + pcm.len()) as u32;
        let mut bmp = b"BM".to_vec();
        bmp.extend(size.to_le_bytes());
        bmp.extend([0, 0, 0, 0]);
        bmp.extend(54u32.to_le_bytes());
        bmp.extend(40u32.to_le_bytes());
        bmp.extend(100u32.to_le_bytes());
        bmp.extend(200u32.to_le_bytes());
        bmp.extend(1u16.to_le_bytes());
        bmp.extend(16u16.to_le_bytes());
        bmp.resize(54, 0);
        bmp.extend(&pcm);
        assert_eq!(sniff(&bmp).format, "bmp");
        // Writers get the size field wrong; the header still holds up.
        bmp[2..6].copy_from_slice(&(size + 2).to_le_bytes());
        assert_eq!(sniff(&bmp).format, "bmp");
        // A JPEG whose segments chain to its scan, a GIF whose screen is
        // followed by an image: smooth bytes after them are theirs.
        let mut jpeg =
            b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00".to_vec();
        jpeg.extend(b"\xff\xda\x00\x08\x01\x01\x00\x00\x3f\x00");
        let gif = b"GIF89a\x10\x00\x10\x00\x00\x00\x00\x2c";
        for (head, name) in [(&jpeg[..], "jpg"), (&gif[..], "gif")] {
            assert_eq!(sniff(&[head, &pcm].concat()).format, name);
        }
        // A DICOM image whose preamble is a TIFF header (pydicom's
        // `CT_small.dcm`): its pixels are not samples.
        let mut dicom = b"II*\x00".to_vec();
        dicom.resize(128, 0);
        dicom.extend(b"DICM");
        assert_ne!(sniff(&[&dicom[..], &pcm].concat()).class, Class::Audio);
    }

    /// Programs whose headers hold up keep their names whatever their
    /// data reads like (tables in an object file, a class file's strings):
    /// an ELF header with its sizes, a class file's version and constant
    /// pool, a PE signature where the DOS header points.
    #[test]
    fn a_program_whose_header_holds_up_keeps_its_name() {
        use crate::sniff::testutil::pcm16_tone;
        let pcm = pcm16_tone(20_000);
        let mut elf = b"\x7fELF\x02\x01\x01\x00".to_vec();
        elf.resize(64, 0);
        elf[40..48].copy_from_slice(&1000u64.to_le_bytes());
        elf[52..54].copy_from_slice(&64u16.to_le_bytes());
        elf[58..60].copy_from_slice(&64u16.to_le_bytes());
        let class = b"\xca\xfe\xba\xbe\x00\x00\x00\x3d\x01\x20".to_vec();
        let mut pe = b"MZ".to_vec();
        pe.resize(0x3c, 0);
        pe.extend(0x80u32.to_le_bytes());
        pe.resize(0x80, 0);
        pe.extend(b"PE\0\0");
        for (head, name) in [(elf, "elf"), (class, "class"), (pe, "exe")] {
            let s = sniff(&[&head[..], &pcm].concat());
            assert_eq!(s.format, name);
        }
    }

    /// Program and transport streams behind junk or a fake envelope: the
    /// pack header is searched for, a transport stream found by its sync
    /// bytes within a packet's length.
    #[test]
    fn mpeg_streams_behind_a_prefix_are_found() {
        let pack = [0, 0, 1, 0xba, 0x44, 0, 4, 0, 4, 1, 0, 3, 0xff, 0xf8];
        // MPEG-2 PES header: flags, a time stamp, then the payload.
        let pes = [
            &[0, 0, 1, 0xc0, 0, 32, 0x81, 0x80, 5, 0x21, 0, 1, 0, 1][..],
            &[0x55; 24],
        ]
        .concat();
        let ps = [&pack[..], &pes].concat().repeat(8);
        let ts = super::super::media::tests::transport_stream(&[(0x0f, 0x101)], 8, 0);
        let junk = b"GET /x HTTP/1.1\r\n\r\n\x01\x02";
        found_behind(&[(&ps, "mpeg-ps"), (&ts, "mpeg-ts")], &[junk, SALTED]);
        // A WebM chunk's clusters: found, and left `unknown` (a limit).
        let webm = super::super::media::tests::clusters(2);
        for prefix in [&junk[..], SALTED] {
            let s = sniff(&[prefix, &webm].concat());
            assert_eq!((&*s.format, s.encryption), ("webm", Encryption::Unknown));
            assert_eq!(s.evidence["payload_offset"], prefix.len());
        }
    }

    #[test]
    fn media_and_lesser_audio_containers_behind_a_prefix_are_found() {
        let mut flv = b"FLV\x01\x04\x00\x00\x00\x09\x00\x00\x00\x00".to_vec();
        flv.extend([0x55; 600]);
        let mut tta = b"TTA1\x01\x00\x01\x00\x10\x00\x80\x3e\x00\x00".to_vec();
        tta.extend([0x55; 600]);
        let http = b"HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n\r\n\x00";
        found_behind(&[(&flv, "flv"), (&tta, "tta")], &[http, SALTED]);
    }

    /// The windows a sniff asked for, each filled with a smooth tone.
    fn tone_windows(wants: &[Range<u64>]) -> Vec<super::super::Window> {
        wants
            .iter()
            .map(|w| super::super::Window {
                offset: w.start,
                bytes: super::super::testutil::pcm16_tone(((w.end - w.start) / 2) as usize),
            })
            .collect()
    }

    /// MP3 frames behind 64 KiB of text: found in the windows read behind.
    #[test]
    fn frames_behind_a_head_of_text_are_found_in_the_windows() {
        use super::super::HEAD_LEN;
        let text = b"a line of a long log, nothing more to it\n".repeat(HEAD_LEN / 41 + 1);
        let head = &text[..HEAD_LEN];
        let stream: Vec<u8> = (0..200u8)
            .flat_map(super::super::testutil::coded_mp3_frame)
            .collect();
        let s = sniff_reading(4 << 20, head, |at, len| {
            let from = (at % 417) as usize;
            stream[from..from + len.min(stream.len() - from)].to_vec()
        });
        assert_eq!((&*s.format, s.class), ("mp3", Class::Audio), "{s:?}");
        assert!(s.evidence["head"]
            .as_str()
            .unwrap()
            .starts_with("text in the first"));
    }

    /// Sniffs as the reader does: rounds of windows served by `bytes_at`,
    /// as many as it allows.
    fn sniff_reading(size: u64, head: &[u8], bytes_at: impl Fn(u64, usize) -> Vec<u8>) -> Sniff {
        let mut windows: Vec<super::super::Window> = Vec::new();
        let mut round = 0;
        loop {
            round += 1;
            let s = super::super::sniff(&Sample::new(size, head, &windows), &[]);
            assert!(
                round <= crate::pipeline::inspect::MAX_ROUNDS,
                "more rounds than the reader gives: {s:?}"
            );
            let fresh: Vec<_> = s
                .wants
                .iter()
                .filter(|w| windows.iter().all(|r| r.offset != w.start))
                .cloned()
                .collect();
            if fresh.is_empty() {
                return s;
            }
            for w in fresh {
                let bytes = bytes_at(w.start, (w.end - w.start) as usize);
                windows.push(super::super::Window {
                    offset: w.start,
                    bytes,
                });
            }
        }
    }

    /// A valid PNG (or ELF) header followed by silence and samples: the
    /// format ends before the object does, so what follows is judged.
    #[test]
    fn a_recording_behind_a_format_that_ends_early_is_found() {
        use super::super::testutil::pcm16_tone;
        use super::super::HEAD_LEN;
        let mut head = super::super::testutil::png_head(16, 16, 0);
        head.resize(HEAD_LEN, 0);
        let size = 4u64 << 20;
        let tone = pcm16_tone(HEAD_LEN);
        let s = sniff_reading(size, &head, |_, len| tone[..len].to_vec());
        assert_eq!((&*s.format, s.class), ("raw-pcm", Class::Audio), "{s:?}");
        assert!(s.evidence["head"]
            .as_str()
            .unwrap()
            .starts_with("png ends before"));
        // The image's own end at the object's end: the windows behind the
        // head are still judged (anyone can write `IEND`); zeros are none.
        let iend = b"\0\0\0\0IEND\xae\x42\x60\x82";
        let s = sniff_reading(size, &head, |at, len| {
            let mut b = vec![0u8; len];
            if at + len as u64 == size {
                b[len - iend.len()..].copy_from_slice(iend);
            }
            b
        });
        assert_eq!(s.format, "png", "{s:?}");
        // Zeros behind an early end are no recording.
        let s = sniff_reading(size, &head, |_, len| vec![0u8; len]);
        assert_eq!(
            (&*s.format, s.evidence.contains_key("trailing")),
            ("png", true)
        );
    }

    /// A BMP whose rows end early and a PDF without a trailer at its end,
    /// each in front of samples: the recording is found behind them.
    #[test]
    fn a_recording_behind_a_bitmap_or_a_pdf_that_ends_early_is_found() {
        use super::super::testutil::pcm16_tone;
        use super::super::HEAD_LEN;
        let size = 4u64 << 20;
        let tone = pcm16_tone(HEAD_LEN);
        let bmp = super::super::testutil::bmp_head(54, 64, 64, 8);
        let mut pdf = b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\n".to_vec();
        pdf.resize(HEAD_LEN, b' ');
        for (head, format) in [(&bmp, "bmp"), (&pdf, "pdf")] {
            let s = sniff_reading(size, head, |_, len| tone[..len].to_vec());
            assert_eq!((&*s.format, s.class), ("raw-pcm", Class::Audio), "{s:?}");
            let said = s.evidence["head"].as_str().unwrap();
            assert!(said.starts_with(&format!("{format} ends before")), "{said}");
            // Silence behind the early end is no recording.
            let s = sniff_reading(size, head, |_, len| vec![0u8; len]);
            assert_eq!(
                (&*s.format, s.evidence.contains_key("trailing")),
                (format, true)
            );
        }
    }

    /// A recording smaller than the bitmap it is appended to: the windows
    /// are read behind the bitmap's computed end (the first where the
    /// appended file starts), not over the whole object, where the middle
    /// one would fall among the pixels.
    #[test]
    fn windows_behind_a_computed_end_lie_in_what_was_appended() {
        use super::super::testutil::pcm16_tone;
        // 1,024 × 1,024 pixels of 8 bits from 1,078: the rows end at
        // 1,049,654; 200 KB of samples, or a WAV, follow.
        let end = 1078 + 1024 * 1024;
        let size = end + 200_000;
        let bmp = super::super::testutil::bmp_head(1078, 1024, 1024, 8);
        let tone = pcm16_tone(200_000);
        let appended = |at: u64, len: usize, tail: &[u8]| -> Vec<u8> {
            (at..at + len as u64)
                .map(|i| match i.checked_sub(end) {
                    Some(k) => tail.get(k as usize).copied().unwrap_or(0),
                    None => 0x40,
                })
                .collect()
        };
        let s = sniff_reading(size, &bmp, |at, len| appended(at, len, &tone));
        assert_eq!((&*s.format, s.class), ("raw-pcm", Class::Audio), "{s:?}");
        let wav = wav();
        let s = sniff_reading(size, &bmp, |at, len| appended(at, len, &wav));
        assert_eq!((&*s.format, s.class), ("wav", Class::Audio), "{s:?}");
        assert_eq!(s.evidence["payload_offset"], end);
    }

    /// An end marker is bytes anyone can write behind what they append (a
    /// PDF's `%%EOF`, which readers take the last of and incremental
    /// updates append by design; a PNG's `IEND`): a recording between the
    /// format and a copied marker is judged in the windows read behind the
    /// head, in the last window alone when the middle one lies in the
    /// format, and the format alone keeps its name.
    #[test]
    fn a_recording_before_a_copied_end_marker_is_found() {
        use super::super::testutil::pcm16_tone;
        use super::super::HEAD_LEN;
        let size = 8u64 << 20;
        let mut pdf = b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n".to_vec();
        pdf.resize(HEAD_LEN, b' ');
        let mut png = super::super::testutil::png_head(1024, 1024, 2);
        png.extend(super::super::testutil::pseudo_random(
            HEAD_LEN - png.len(),
            5,
        ));
        let tone = &pcm16_tone(size as usize);
        let body = |i: u64, format: &str| match format {
            "pdf" => b"q 1 0 0 1 72 720 cm BT /F1 12 Tf (text) Tj ET Q\n"[i as usize % 48],
            // Compressed pixels.
            _ => (i.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 56) as u8,
        };
        for (format, head, marker) in [
            ("pdf", &pdf, &b"\nstartxref\n116\n%%EOF\n"[..]),
            ("png", &png, &b"\0\0\0\0IEND\xae\x42\x60\x82"[..]),
        ] {
            // The recording from the middle on, then in the last 150 KB only.
            for document in [Some(size / 4), Some(size - 150_000), None] {
                let read = |at: u64, len: usize| -> Vec<u8> {
                    (at..at + len as u64)
                        .map(|i| match (i + marker.len() as u64).checked_sub(size) {
                            Some(k) => marker[k as usize],
                            None => match document {
                                Some(d) if i >= d => tone[(i - d) as usize],
                                _ => body(i, format),
                            },
                        })
                        .collect()
                };
                let s = sniff_reading(size, head, read);
                if document.is_none() {
                    assert_eq!((&*s.format, s.class), (format, Class::Other), "{s:?}");
                    assert!(!s.evidence.contains_key("trailing"));
                    continue;
                }
                assert_eq!(
                    (&*s.format, s.class),
                    ("raw-pcm", Class::Audio),
                    "{format} {document:?}: {s:?}"
                );
                let head = format!("{format} marks its end with bytes anyone can append");
                assert!(s.evidence["head"].as_str().unwrap().starts_with(&head));
            }
        }
    }

    /// Behind a marker that is missing, the window that ends the object
    /// counts alone too (the middle one may lie in the format); behind an
    /// end computed from a header every window lies behind it, and the
    /// vote over them stands: a table whose last entries pass for samples
    /// (pocketsphinx's `mdef` behind a `BM`) is not a recording.
    #[test]
    fn the_last_window_counts_alone_only_where_the_end_is_unknown() {
        use super::super::testutil::{bmp_head, pcm16_tone};
        use super::super::HEAD_LEN;
        let size = 8u64 << 20;
        let tone = pcm16_tone(HEAD_LEN);
        let last_only = |at: u64, len: usize| -> Vec<u8> {
            if at + len as u64 == size {
                tone[..len].to_vec()
            } else {
                vec![0x40; len]
            }
        };
        let mut jpeg = b"\xff\xd8\xff\xe0\0\x10JFIF\0\x01\x01\0\0\x01\0\x01\0\0".to_vec();
        jpeg.extend(super::super::testutil::pseudo_random(
            HEAD_LEN - jpeg.len(),
            9,
        ));
        let s = sniff_reading(size, &jpeg, last_only);
        assert_eq!((&*s.format, s.class), ("raw-pcm", Class::Audio), "{s:?}");
        assert!(s.evidence["head"]
            .as_str()
            .unwrap()
            .starts_with("jpg ends before the object does"));
        let bmp = bmp_head(1078, 1024, 1024, 8);
        let s = sniff_reading(size, &bmp, last_only);
        assert_eq!(s.format, "bmp", "{s:?}");
        assert!(s.evidence.contains_key("trailing"));
    }

    /// Samples hidden inside a marker format (a PDF stream, a JPEG's
    /// application segments) lie in its middle window only, the format's
    /// own bytes in the last: that window alone is a recording when its
    /// samples are 16-bit (24-bit ones are an RGB image's rows as often).
    #[test]
    fn samples_inside_a_marker_format_are_found_in_the_middle_window() {
        use super::super::testutil::{pcm16_tone, pseudo_random};
        use super::super::HEAD_LEN;
        let size = 8u64 << 20;
        let mut head = b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n".to_vec();
        head.resize(HEAD_LEN, b' ');
        let (from, to) = (size / 2 - 300_000, size / 2 + 300_000);
        let trailer = b"\nstartxref\n116\n%%EOF\n";
        let inside = |middle: &[u8]| {
            sniff_reading(size, &head, |at, len| {
                (at..at + len as u64)
                    .map(|i| match (i + trailer.len() as u64).checked_sub(size) {
                        Some(k) => trailer[k as usize],
                        None if (from..to).contains(&i) => middle[(i - from) as usize],
                        None => (i.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 56) as u8,
                    })
                    .collect()
            })
        };
        let s = inside(&pcm16_tone((to - from) as usize));
        assert_eq!((&*s.format, s.class), ("raw-pcm", Class::Audio), "{s:?}");
        // Smooth 24-bit values (an RGB image's rows read so as often as a
        // recording) pass for samples, but not in a middle window alone.
        let noise = pseudo_random((to - from) as usize, 5);
        let rgb: Vec<u8> = (0..(to - from) as usize / 3)
            .flat_map(|i| {
                let v = (i as f64 / 9.0).sin() * 3.0e6 + f64::from(noise[i]) * 4000.0;
                let b = (v as i32).to_le_bytes();
                [b[0], b[1], b[2]]
            })
            .chain([0; 3])
            .collect();
        let alone = audio::pcm_in(&[&rgb[..65536]], size).expect("24-bit samples");
        assert!(alone.evidence["codec"].as_str().unwrap().starts_with("s24"));
        let s = inside(&rgb);
        assert_eq!((&*s.format, s.class), ("pdf", Class::Other), "{s:?}");
    }

    /// An audio container stored past the head of a bundle (Qt resources,
    /// a game's pack): its validated header in a window read behind a head
    /// without a recording is the recording.
    #[test]
    fn an_audio_container_in_a_window_behind_the_head_is_found() {
        use super::super::HEAD_LEN;
        let size = 4u64 << 20;
        let head = vec![0u8; HEAD_LEN];
        let wav = wav();
        let s = sniff_reading(size, &head, |at, len| {
            let mut b = vec![0u8; len];
            if at + len as u64 == size {
                b[1000..1000 + wav.len()].copy_from_slice(&wav);
            }
            b
        });
        assert_eq!((&*s.format, s.class), ("wav", Class::Audio), "{s:?}");
        assert_eq!(s.evidence["payload_offset"], size - HEAD_LEN as u64 + 1000);
        assert!(s.evidence["head"]
            .as_str()
            .unwrap()
            .starts_with("no recording in the first"));
    }

    /// A head that holds no recording (silence, text, bytes of no format)
    /// says nothing of the rest of a large object: its middle and end are
    /// read, and samples there are a recording.
    #[test]
    fn a_recording_behind_a_head_without_one_is_found_in_the_windows() {
        use super::super::testutil::pcm16_tone;
        use super::super::{Window, HEAD_LEN};
        let size = 4u64 << 20;
        let text = b"a line of a long log, nothing more to it\n".repeat(HEAD_LEN / 41 + 1);
        let heads: [(&[u8], &str); 2] = [
            (&[0u8; HEAD_LEN], "no recording in the first"),
            (&text[..HEAD_LEN], "text in the first"),
        ];
        for (head, said) in heads {
            let first = super::super::sniff(&Sample::new(size, head, &[]), &[]);
            assert_eq!(first.class, Class::Other, "{said}");
            // The middle and the end; a head that ends in zeros also asks
            // where an HDF5 superblock behind a user block would lie.
            let probes = if head[HEAD_LEN - 1] == 0 { 4 } else { 0 };
            assert_eq!(first.wants.len(), 2 + probes, "{said}: {:?}", first.wants);
            let windows = tone_windows(&first.wants);
            let s = super::super::sniff(&Sample::new(size, head, &windows), &[]);
            assert_eq!((&*s.format, s.class), ("raw-pcm", Class::Audio), "{said}");
            assert!(
                s.evidence["head"].as_str().unwrap().starts_with(said),
                "{s:?}"
            );
            // Windows of the head's kind leave it as it was, asking no more.
            let same: Vec<Window> = first
                .wants
                .iter()
                .map(|w| Window {
                    offset: w.start,
                    bytes: head[..(w.end - w.start) as usize].to_vec(),
                })
                .collect();
            let s = super::super::sniff(&Sample::new(size, head, &same), &[]);
            assert_eq!((s.class, s.wants.len()), (Class::Other, 0), "{said}: {s:?}");
        }
        // One window of samples among two is not enough beside a text head.
        let first = super::super::sniff(&Sample::new(size, &text[..HEAD_LEN], &[]), &[]);
        let mixed = [
            Window {
                offset: first.wants[0].start,
                bytes: pcm16_tone(32768),
            },
            Window {
                offset: first.wants[1].start,
                bytes: text[..HEAD_LEN].to_vec(),
            },
        ];
        let s = super::super::sniff(&Sample::new(size, &text[..HEAD_LEN], &mixed), &[]);
        assert_eq!(s.format, "text");
    }

    /// Samples appended behind more random bytes than they are long: the
    /// head and the middle window are random, only the last window holds
    /// samples, and random windows cannot outvote it. Judged alone, it
    /// counts only where it ends the object and in a speech codec.
    #[test]
    fn samples_behind_a_longer_random_stretch_are_found_in_the_last_window() {
        use super::super::testutil::{pcm16_tone, pseudo_random};
        use super::super::{Window, HEAD_LEN};
        let size = 4u64 << 20;
        let head = pseudo_random(HEAD_LEN, 3);
        let first = super::super::sniff(&Sample::new(size, &head, &[]), &[]);
        assert_eq!((&*first.format, first.wants.len()), ("random-like", 2));
        let (mid, tail) = (&first.wants[0], &first.wants[1]);
        let len = (tail.end - tail.start) as usize;
        let sniff_with = |middle: Vec<u8>, last: Vec<u8>| {
            let windows = [
                Window {
                    offset: mid.start,
                    bytes: middle,
                },
                Window {
                    offset: tail.start,
                    bytes: last,
                },
            ];
            super::super::sniff(&Sample::new(size, &head, &windows), &[])
        };
        let random = || pseudo_random(len, 4);
        let s = sniff_with(random(), pcm16_tone(len / 2));
        assert_eq!((&*s.format, s.class), ("raw-pcm", Class::Audio), "{s:?}");
        assert_eq!(s.evidence["codec"], "s16le");
        assert_eq!(s.evidence["payload_offset"], tail.start);
        // Random everywhere stays random.
        let s = sniff_with(random(), pseudo_random(len, 5));
        assert_eq!(s.class, Class::Encrypted, "{s:?}");
        // Samples in the middle only, with random bytes after them: a table
        // inside a model file as often, outvoted as before.
        let s = sniff_with(pcm16_tone(len / 2), pseudo_random(len, 5));
        assert_eq!(s.format, "binary", "{s:?}");
        // 8-bit values at the end pass for samples in the whole of what was
        // read, but not in one window alone.
        let ramp: Vec<u8> = (0..len).map(|i| ((i / 7) % 200) as u8 + 20).collect();
        let alone = audio::pcm_in(&[&ramp], size).map(|f| f.evidence["codec"].clone());
        assert_eq!(alone, Some("u8".into()));
        let s = sniff_with(random(), ramp);
        assert_eq!(s.format, "binary", "{s:?}");
    }

    /// Text is judged on its first 8 KiB, and a recording's few binary
    /// bytes among them still pass: the recording behind is found. Text
    /// with a zero byte but no recording stays text.
    #[test]
    fn text_in_front_of_a_recording_does_not_hide_it() {
        let script = "echo a line of an installer script\n".repeat(300);
        let mut v = script.as_bytes().to_vec();
        v.extend(wav());
        let s = sniff(&v);
        assert_eq!((&*s.format, s.class), ("wav", Class::Audio));
        assert_eq!(s.evidence["payload_offset"], script.len());
        assert_eq!(s.evidence["head"], "text with a recording behind it");
        let mut plain = script.into_bytes();
        plain.extend(b"\0RIFF and WAVE are words here\n");
        assert_eq!(sniff(&plain).format, "text");
    }

    /// A recording XORed with a short repeating key is that recording,
    /// weakly protected; random bytes that happen to give a magic under
    /// some key are not.
    #[test]
    fn a_recording_under_a_short_xor_key_is_weakly_protected() {
        for key in [&[0x5a][..], &[0x13, 0x37], &[0xde, 0xad, 0xbe, 0xef]] {
            let v: Vec<u8> = wav()
                .iter()
                .enumerate()
                .map(|(i, b)| b ^ key[i % key.len()])
                .collect();
            let s = sniff(&v);
            assert_eq!(
                (&*s.format, s.class, s.encryption),
                ("wav", Class::Audio, Encryption::Weak),
                "key {key:02x?}"
            );
            let period = if key.len() == 1 { 1 } else { key.len() };
            assert_eq!(
                s.evidence["obfuscation"],
                format!("XOR with a repeating {period}-byte key")
            );
        }
        for seed in 0..200 {
            let mut v = crate::sniff::testutil::pseudo_random(4096, seed);
            v[..4].copy_from_slice(b"RIFX");
            assert_ne!(sniff(&v).class, Class::Audio, "seed {seed}");
        }
    }

    /// MP3 under its ID3 tag, M4A under its `ftyp`, and MP3, ADTS and
    /// AC-3 frames with no tag under a one-byte key are found as WAV is;
    /// random bytes made to open with those headers' first bytes are not.
    #[test]
    fn tagged_mp3_m4a_and_bare_frames_under_a_short_xor_key_are_found() {
        let xor = |v: &[u8], key: &[u8]| -> Vec<u8> {
            v.iter()
                .enumerate()
                .map(|(i, b)| b ^ key[i % key.len()])
                .collect()
        };
        let tagged: &[(&[u8], &str)] = &[
            (include_bytes!("../../fixtures/audio/mp3/speech.mp3"), "mp3"),
            (include_bytes!("../../fixtures/audio/m4a/speech.m4a"), "m4a"),
        ];
        let bare: &[(&[u8], &str)] = &[
            (include_bytes!("../../fixtures/audio/mp3/no-tag.mp3"), "mp3"),
            (include_bytes!("../../fixtures/audio/aac/speech.aac"), "aac"),
            (include_bytes!("../../fixtures/audio/ac3/speech.ac3"), "ac3"),
        ];
        for &(file, format) in tagged {
            for key in [&[0x5a][..], &[0x13, 0x37], &[0xde, 0xad, 0xbe, 0xef]] {
                let s = sniff(&xor(file, key));
                assert_eq!(
                    (&*s.format, s.class, s.encryption),
                    (format, Class::Audio, Encryption::Weak),
                    "{format} key {key:02x?}"
                );
            }
        }
        for &(file, format) in bare {
            let s = sniff(&xor(file, &[0xa5]));
            assert_eq!((&*s.format, s.class), (format, Class::Audio), "{format}");
            assert_eq!(s.evidence["obfuscation"], "XOR with a repeating 1-byte key");
        }
        for seed in 0..500 {
            let mut v = crate::sniff::testutil::pseudo_random(4096, seed);
            // The ID3 header's fields too, which hold once in thousands.
            for opening in [
                &b"ID3\x03\x00\x00\x00\x00\x02\x00"[..],
                b"\x00\x00\x00\x20ftyp",
                b"\xff\xfb",
            ] {
                let key = v[0] ^ 0x5a;
                v[..opening.len()].copy_from_slice(&xor(opening, &[key]));
                assert_ne!(sniff(&v).class, Class::Audio, "seed {seed}");
            }
        }
    }

    /// Text envelopes whose body decodes to a WAV, not to ciphertext.
    #[test]
    fn a_text_envelope_around_an_encoded_recording_is_that_recording() {
        use base64::Engine;
        let b64 = base64::engine::general_purpose::STANDARD.encode(wav());
        let hex: String = wav().iter().map(|b| format!("{b:02x}")).collect();
        for v in [
            format!("vault:v1:{b64}"),
            format!("$ANSIBLE_VAULT;1.1;AES256\n{hex}"),
        ] {
            let s = sniff(v.as_bytes());
            assert_eq!(
                (&*s.format, s.encryption),
                ("wav", Encryption::None),
                "{}",
                &v[..20]
            );
            assert!(s.evidence["envelope"]
                .as_str()
                .unwrap()
                .contains("encoded plaintext"));
        }
    }

    /// Hundreds of false starts before the real header do not hide it:
    /// each is judged by its own container's detector only, and cheaply.
    #[test]
    fn decoy_magics_before_the_recording_do_not_hide_it() {
        let mut v = b"junk".to_vec();
        for _ in 0..300 {
            v.extend(b"RIFF\0\0\0\0JUNKOggS\0\x02fLaCftypFORM");
        }
        let at = v.len();
        v.extend(wav());
        let (found, s) = audio_behind(&Sample::new(v.len() as u64, &v, &[])).unwrap();
        assert_eq!((found, &*s.format), (at, "wav"));
    }

    /// A false start whose magic runs into the real one (`RIFF` ending in
    /// the `F` of `FORM`) does not hide it: the search goes on one byte
    /// after each match, not after its end.
    #[test]
    fn a_magic_overlapping_the_real_start_does_not_hide_it() {
        let tone = crate::sniff::testutil::pcm16_tone(8000);
        let mut aiff = b"FORM\0\0\0\0AIFF".to_vec();
        aiff.extend(b"COMM\0\0\0\x12\0\x01\0\0\x1f\x40\0\x10\x40\x0c\xfa\0\0\0\0\0\0\0");
        aiff.extend(
            [
                &b"SSND"[..],
                &(tone.len() as u32 + 8).to_be_bytes(),
                &[0; 8],
            ]
            .concat(),
        );
        aiff.extend(&tone);
        let mut v = b"cache entry 17: RIF".to_vec();
        let at = v.len();
        v.extend(&aiff);
        let (found, s) = audio_behind(&Sample::new(v.len() as u64, &v, &[])).unwrap();
        assert_eq!((found, &*s.format), (at, "aiff"));
    }

    #[test]
    fn audio_after_http_headers_is_found() {
        let mut v =
            b"HTTP/1.1 200 OK\r\nContent-Type: audio/wav\r\nContent-Length: 16044\r\n\r\n".to_vec();
        let at = v.len();
        v.extend(wav());
        let s = sniff(&v);
        assert_eq!((&*s.format, s.class), ("wav", Class::Audio));
        assert_eq!(s.evidence["payload_offset"], at);
    }

    #[test]
    fn real_ciphertext_behind_an_envelope_stays_encrypted() {
        let mut x = 7u64;
        let mut v = b"Salted__12345678".to_vec();
        v.extend((0..4000).map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        }));
        let s = sniff(&v);
        assert_eq!(
            (&*s.format, s.encryption),
            ("openssl-enc", Encryption::Encrypted)
        );
    }
}
