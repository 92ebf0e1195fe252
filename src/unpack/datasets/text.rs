//! Encoded audio anywhere in a large text object: a JSONL or CSV export of
//! a dataset puts its base64 audio cells wherever the rows with audio are,
//! often far past the 64 KiB head that `encoded.rs` searches. Up to
//! [`TEXT_WINDOWS`] further windows are read (the whole rest of a text up
//! to 256 KiB past its head; beyond that, windows spread evenly to its
//! end), each searched from its first line break on so that no run is
//! decoded from its middle; a run that reaches a window's end is read on,
//! as in the head, and one a window opens inside of (a cell that began
//! between windows) is read back to its start and judged from there.
//! Samples written as numbers are looked for the same way.

use super::super::encoded;
use crate::sniff::{numbers, Class, HEAD_LEN, WINDOW_LEN};
use crate::unpack::{Covered, Level, Limit, Walk};

/// The most of a text that carries base64 payloads read through.
const MAX_THROUGH: u64 = 64 << 20;

/// A text that says in its head that it carries payloads as base64: a
/// mail folder (an mbox opens with `From `), a message or another MIME text (`MIME-Version:` or a
/// `Content-Transfer-Encoding:` header line), a page or notebook with a
/// `data:` URI (`;base64,`), an HTTP archive (HAR: `"encoding": "base64"`)
/// or a Jupyter notebook (`"nbformat"`, whose outputs are base64). Its
/// payloads lie anywhere, an attachment between two windows as easily as
/// in one, so it is read through rather than sampled.
fn declares_payloads(head: &[u8]) -> bool {
    const HEADERS: [&[u8]; 2] = [b"mime-version:", b"content-transfer-encoding:"];
    const MARKS: [&[u8]; 4] = [
        b";base64,",
        b"\"encoding\": \"base64\"",
        b"\"encoding\":\"base64\"",
        b"\"nbformat\"",
    ];
    let starts = std::iter::once(0).chain(memchr::memchr_iter(b'\n', head).map(|nl| nl + 1));
    let mime = starts.into_iter().any(|at| {
        let line = &head[at..];
        HEADERS
            .iter()
            .any(|h| line.len() >= h.len() && line[..h.len()].eq_ignore_ascii_case(h))
    });
    // An mbox folder opens with its first message's `From ` line.
    mime || head.starts_with(b"From ")
        || MARKS
            .iter()
            .any(|m| memchr::memmem::find(head, m).is_some())
}

/// Bytes a read-through window reads before its place.
const OVERLAP: u64 = 4096;

/// `window` (read from `at`) less what runs read on already covered: from
/// their end, and past the rest of one that went on past what was read of
/// it. `None` when nothing of it is left; else the rest and where it starts.
fn past_covered<'w>(
    window: std::borrow::Cow<'w, [u8]>,
    at: u64,
    covered: &mut Covered,
) -> Option<(std::borrow::Cow<'w, [u8]>, u64)> {
    let mut window = window;
    let mut at = at;
    if covered.to > at {
        let skip = ((covered.to - at) as usize).min(window.len());
        window = cut(window, skip);
        at += skip as u64;
    }
    if covered.open && covered.to == at {
        match encoded::run_extent(&window) {
            Some(n) => {
                *covered = Covered {
                    to: at + n as u64,
                    open: false,
                };
                window = cut(window, n);
                at += n as u64;
            }
            None => {
                covered.to = at + window.len() as u64;
                return None;
            }
        }
    }
    (!window.is_empty()).then_some((window, at))
}

/// `w` less its first `n` bytes.
fn cut(w: std::borrow::Cow<'_, [u8]>, n: usize) -> std::borrow::Cow<'_, [u8]> {
    match w {
        std::borrow::Cow::Borrowed(b) => std::borrow::Cow::Borrowed(&b[n..]),
        std::borrow::Cow::Owned(b) => std::borrow::Cow::Owned(b[n..].to_vec()),
    }
}

/// Windows read past the head of a large text.
const TEXT_WINDOWS: u64 = 4;

/// Where the windows after the head start.
fn offsets(size: u64) -> Vec<u64> {
    let head = HEAD_LEN as u64;
    let w = WINDOW_LEN as u64;
    if size <= head {
        return Vec::new();
    }
    let span = size - head;
    if span <= TEXT_WINDOWS * w {
        return (0..span.div_ceil(w)).map(|i| head + i * w).collect();
    }
    // Evenly spread, the last one ending at the end.
    let step = (span - w) / (TEXT_WINDOWS - 1);
    (0..TEXT_WINDOWS)
        .map(|i| {
            if i + 1 == TEXT_WINDOWS {
                size - w
            } else {
                head + i * step
            }
        })
        .collect()
}

impl Walk<'_> {
    pub(in crate::unpack) fn text_windows(
        &mut self,
        level: &Level<'_, '_>,
        prefix: &str,
        depth: u32,
        mut numbers_judged_to: u64,
        mut covered: Covered,
        pieces: &mut encoded::Pieces,
    ) {
        let max = self.limits.max_members as usize;
        let mut runs_seen = 0usize;
        // Where the text already searched ends: the head, then each window.
        let mut searched_to = HEAD_LEN as u64;
        // A text held in memory (decoded from a stream or an archive
        // member) costs no read to search whole.
        let held = matches!(level.bytes, crate::unpack::LevelBytes::Memory(_));
        let through = level.size > HEAD_LEN as u64
            && (held
                || level
                    .from(0, HEAD_LEN)
                    .is_some_and(|head| declares_payloads(&head)));
        let offsets = match through {
            true => {
                if level.size > MAX_THROUGH {
                    let why = match held {
                        true => "held in memory",
                        false => "that carries base64 payloads",
                    };
                    self.limit(
                        prefix,
                        Limit::ObjectBytes,
                        format!(
                            "text of {} bytes {why}: read through its first {} MiB only",
                            level.size,
                            MAX_THROUGH >> 20
                        ),
                    );
                }
                (HEAD_LEN as u64..level.size.min(MAX_THROUGH))
                    .step_by(WINDOW_LEN)
                    .collect()
            }
            false => {
                let offsets = offsets(level.size);
                let read = HEAD_LEN as u64 + WINDOW_LEN as u64 * offsets.len() as u64;
                if read < level.size {
                    self.limit(
                        prefix,
                        Limit::ObjectBytes,
                        format!(
                            "text of {} bytes sampled: its head and {} windows of {} KiB searched \
                             for encoded payloads ({:.1} % of it); what lies between them was not",
                            level.size,
                            offsets.len(),
                            WINDOW_LEN >> 10,
                            read as f64 * 100.0 / level.size as f64
                        ),
                    );
                }
                offsets
            }
        };
        for at in offsets {
            if self.out_of_time(prefix) {
                return;
            }
            // Read through, each window starts a little before its place:
            // a run whose first line begins just before a window's edge
            // is too short to be one in the window before, and would be
            // searched from its second line in this one.
            let from = match through {
                true => at.saturating_sub(OVERLAP).max(covered.to).min(at),
                false => at,
            };
            let Some(window) = level.from(from, WINDOW_LEN + (at - from) as usize) else {
                return;
            };
            // A run that went on past what was read of it, and reaches into
            // this window (nothing but run bytes in between, as far as a
            // read back can tell): this window's first bytes are its rest.
            if covered.open && covered.to <= from && run_start(level, from, covered.to).is_none() {
                covered.to = from;
            }
            let Some((mut window, at)) = past_covered(window, from, &mut covered) else {
                searched_to = from + WINDOW_LEN as u64;
                continue;
            };
            // A window that opens inside a long run (a row's base64 cell
            // that began between two windows): the run is read from its
            // start, found by reading back, and judged whole.
            // Blanks it opens on may indent the run's lines: the byte
            // before them, which would tell, is not in the window.
            let blanks = window.iter().take_while(|&&c| encoded::blank(c)).count();
            let lead = (blanks..window.len())
                .find(|&i| encoded::stop_at(&window, i))
                .unwrap_or(window.len());
            let from_start = (lead >= LONG_LEAD)
                .then(|| run_start(level, at, searched_to))
                .flatten()
                .and_then(|start| {
                    let context = (start - searched_to).min(RUN_CONTEXT);
                    let text = level.from(start - context, context as usize + WINDOW_LEN)?;
                    Some((text, start - context, context as usize))
                });
            searched_to = at + window.len() as u64;
            let mut at = at;
            if let Some((text, base, context)) = &from_start {
                // The run that reaches past the context read before it.
                let run = encoded::runs(text, 4)
                    .into_iter()
                    .find(|r| r.end > *context);
                if let Some(run) = run {
                    runs_seen += 1;
                    match self.encoded_run(level, (text, *base), &run, prefix, depth, pieces) {
                        Some(c) => covered = covered.max(c),
                        None => return,
                    }
                }
                // What that run covered of this window is not searched again.
                match past_covered(window, at, &mut covered) {
                    Some((rest, rest_at)) => (window, at) = (rest, rest_at),
                    None => continue,
                }
            }
            // Search from the first line start: a run that began before
            // this window was followed above or already, or is a row's middle.
            let Some(skip) = window.iter().position(|&c| c == b'\n').map(|p| p + 1) else {
                continue;
            };
            let text = &window[skip..];
            let base = at + skip as u64;
            // Numbers a stretch before this one was read on into are not
            // judged twice, nor the rest of a stretch that began before
            // this window (its first line continues the one before).
            let mut from = (numbers_judged_to.saturating_sub(base) as usize).min(text.len());
            let before = match from {
                0 => skip.checked_sub(2).map(|i| window[i]),
                _ => Some(text[from - 1]),
            };
            if before.is_some_and(numbers::in_stretch) {
                from += text[from..]
                    .iter()
                    .position(|&c| !numbers::in_stretch(c))
                    .unwrap_or(text.len() - from);
            }
            if let Some(rest) = text.get(from..) {
                let judged = self.numbers(level, rest, base + from as u64, 1, prefix, depth);
                numbers_judged_to = numbers_judged_to.max(judged);
            }
            for run in encoded::runs(text, max + 1) {
                runs_seen += 1;
                if runs_seen > max {
                    self.limit(
                        prefix,
                        Limit::Members,
                        format!("more than {max} encoded runs; the rest not inspected"),
                    );
                    return;
                }
                match self.encoded_run(level, (text, base), &run, prefix, depth, pieces) {
                    Some(c) => covered = covered.max(c),
                    None => return,
                }
            }
        }
    }

    /// Decodes one run of `text` (which starts at `base` in the object),
    /// read on past the text's end, and keeps it when it is more than
    /// plain data; a run that says nothing alone goes to `pieces`. How far
    /// it was read; `None` when the object's budget is spent.
    fn encoded_run(
        &mut self,
        level: &Level<'_, '_>,
        (text, base): (&[u8], u64),
        run: &encoded::Run,
        prefix: &str,
        depth: u32,
        pieces: &mut encoded::Pieces,
    ) -> Option<Covered> {
        let budget = self.remaining(prefix)?;
        let budget = budget.min(4 * HEAD_LEN as u64) as usize;
        let offset = base + run.offset as u64;
        let reaches_end =
            run.end >= text.len() && offset + ((run.end - run.offset) as u64) < level.size;
        let fetched = reaches_end
            .then(|| level.from(offset, budget * 2 + budget / 8))
            .flatten();
        let chars: &[u8] = match &fetched {
            Some(f) => f,
            None => &text[run.offset..run.end],
        };
        let covered = Covered::of(offset, chars, fetched.is_some());
        let data = encoded::decode(chars, run.encoding, budget);
        self.spent += data.len() as u64;
        let size =
            encoded::decoded_len(encoded::symbols(chars), run.encoding).max(data.len() as u64);
        let s = self.sniff_bytes(&data, size);
        let statistical = matches!(&*s.format, "random-like" | "raw-pcm");
        let name = format!("{}@{offset}", run.encoding.name());
        if s.class == Class::Other || (statistical && data.len() < 256) {
            self.encoded_text(prefix, &name, &data, size, depth, &s);
            pieces.push(&encoded::Piece::of(run, text, base, 1), &data);
            return Some(covered);
        }
        pieces.judged(&s);
        let mut s = s.with(
            "encoding",
            format!("{} at byte {offset}", run.encoding.name()),
        );
        if let Some(mime) = &run.declared {
            s = s.with("declared", format!("data: URI of type {mime}"));
        }
        self.keep(prefix, &name, &data, size, depth, s);
        Some(covered)
    }
}

/// Run bytes a window must open on before the run's start is looked for:
/// a recording's cell, not a hash or an id cut by the window's edge.
const LONG_LEAD: usize = 4096;
/// How far back a run's start is looked for, in one read: a recording of
/// a minute or so; a longer cell's start is not sought.
const MAX_BACK: u64 = 1 << 20;
/// Bytes read before a run's start, where a `data:` URI declares it.
const RUN_CONTEXT: u64 = 256;

/// The start of the run `at` is inside of, found in one read back, no
/// further than `floor` (what was searched already: a run that began
/// there was read on) nor [`MAX_BACK`].
fn run_start(level: &Level<'_, '_>, at: u64, floor: u64) -> Option<u64> {
    let from = floor.max(at.saturating_sub(MAX_BACK));
    let before = level.from(from, at.checked_sub(from)? as usize)?;
    let last = (0..before.len())
        .rev()
        .find(|&i| encoded::stop_at(&before, i))?;
    Some(from + last as u64 + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Rows of plain text, `len` bytes in all.
    fn filler(len: usize) -> Vec<u8> {
        let mut rows = b"{\"t\": \"a row of plain text\"}\n".repeat(len / 16 + 1);
        rows.truncate(len);
        if let Some(last) = rows.last_mut() {
            *last = b'\n';
        }
        rows
    }

    /// 16-bit speech-like samples, `n` of them.
    fn speech(n: usize) -> Vec<u8> {
        crate::sniff::dataset::speechy(n)
            .into_iter()
            .flat_map(|x| ((x * 20_000.0) as i16).to_le_bytes())
            .collect()
    }

    /// A realtime voice API's log: one JSON event per line, each with a
    /// delta of 100 ms of headerless samples in base64, too short to judge
    /// alone. Joined, the deltas are a recording: one member, named by the
    /// first run.
    #[test]
    fn audio_sent_in_base64_pieces_is_judged_joined() {
        use base64::Engine;
        let pcm = speech(20_000);
        let events = |pieces: &[u8]| -> String {
            pieces
                .chunks(3200)
                .map(|d| {
                    let d = base64::engine::general_purpose::STANDARD.encode(d);
                    format!("{{\"type\":\"response.audio.delta\",\"delta\":\"{d}\"}}\n")
                })
                .collect()
        };
        let first = "{\"type\":\"response.audio.delta\",\"delta\":\"".len();
        let text = events(&pcm);
        let inside = crate::unpack::tests::look(text.as_bytes());
        assert_eq!(
            inside.found(),
            vec![(&*format!("base64-pieces@{first}"), "raw-pcm")],
            "{:?}",
            inside.limits
        );
        let how = &inside.members[0].sniff.evidence["encoding"];
        // Every delta, or as many as fill the joined bytes.
        let deltas = text.matches("\"delta\":\"").count();
        let joined = encoded::MAX_JOINED.div_ceil(3200).min(deltas);
        let last = text
            .match_indices("\"delta\":\"")
            .nth(joined - 1)
            .unwrap()
            .0
            + 9;
        assert_eq!(
            how.as_str().unwrap(),
            format!("{joined} runs of base64 from byte {first} to byte {last}, decoded and joined")
        );
        // A token beside each delta, and 10 ms deltas, more than are judged
        // alone: the deltas are still one stream, read through the head.
        let b64 = |d: &[u8]| base64::engine::general_purpose::STANDARD.encode(d);
        let noise = crate::sniff::testutil::pseudo_random(48 * 200, 3);
        let busy: String = pcm
            .chunks(320)
            .zip(noise.chunks(48))
            .map(|(d, t)| format!("{{\"token\":\"{}\",\"delta\":\"{}\"}}\n", b64(t), b64(d)))
            .collect();
        let inside = crate::unpack::tests::look(busy.as_bytes());
        let found: Vec<&str> = inside.members.iter().map(|m| &*m.member).collect();
        let first = busy.find("\"delta\":\"").unwrap() + 9;
        assert_eq!(
            found,
            [format!("base64-pieces@{first}")],
            "{:?}",
            inside.limits
        );
        // Behind 100 KiB of other rows, in the windows read past the head:
        // one recording (a run a window's end cuts is read on, and may be
        // one alone).
        let mut late = filler(100 << 10);
        late.extend(events(&pcm).as_bytes());
        let inside = crate::unpack::tests::look(&late);
        assert_eq!(inside.formats(), ["raw-pcm"]);
        // Each event behind a hex id of 64 digits (a hash): the ids are a
        // stream of their own, random, and leave the deltas' alone.
        let id = |n: usize| {
            format!(
                "{:064x}",
                (n as u128 + 1).wrapping_mul(0x9e37_79b9_7f4a_7c15_f39c_c060_5ced_c835)
            )
        };
        let with_ids: String = text
            .lines()
            .enumerate()
            .map(|(n, line)| format!("{{\"id\":\"{}\",{}\n", id(n), &line[1..]))
            .collect();
        let inside = crate::unpack::tests::look(with_ids.as_bytes());
        assert_eq!(inside.formats(), ["raw-pcm"]);
        assert!(inside.members[0].member.starts_with("base64-pieces@"));
        // One piece alone says nothing; pieces of random bytes are each
        // random-like, and joined no recording.
        let one = events(&pcm[..3200]);
        assert!(crate::unpack::tests::look(one.as_bytes())
            .members
            .is_empty());
        let noise = events(&crate::sniff::testutil::pseudo_random(48_000, 5));
        let inside = crate::unpack::tests::look(noise.as_bytes());
        assert_eq!(inside.formats(), ["random-like"; 15]);
    }

    /// Lines of a wrapped payload that the run rules do not join (ending
    /// in blanks, in CR CR LF, indented unlike one another, or the
    /// strings of a JSON array) are runs each: an MP3 so wrapped, whose
    /// first line holds no whole frame, is found joined.
    #[test]
    fn lines_a_run_does_not_join_are_judged_as_pieces() {
        use base64::Engine;
        let mp3: Vec<u8> = (0..40u8)
            .flat_map(crate::sniff::testutil::coded_mp3_frame)
            .collect();
        let b64 = base64::engine::general_purpose::STANDARD.encode(&mp3);
        let lines: Vec<&str> = b64
            .as_bytes()
            .chunks(76)
            .map(|l| std::str::from_utf8(l).unwrap())
            .collect();
        let quoted: Vec<String> = lines.iter().map(|l| format!("\"{l}\"")).collect();
        let alternating: String = std::iter::once("a:".to_string())
            .chain(lines.iter().enumerate().map(|(i, l)| match i % 2 {
                0 => format!("\n  {l}"),
                _ => format!("\n\t{l}"),
            }))
            .collect();
        for (text, first) in [
            (format!("a:\n{}", lines.join("  \n")), 3),
            (format!("a:\r\r\n{}", lines.join("\r\r\n")), 5),
            (alternating, 5),
            (format!("[{}]", quoted.join(", ")), 2),
        ] {
            let inside = crate::unpack::tests::look(text.as_bytes());
            assert_eq!(
                inside.found(),
                vec![(&*format!("base64-pieces@{first}"), "mp3")],
                "{:?}",
                &text[..20]
            );
        }
    }

    /// A recording split into base64 parts: its first part is a WAV alone
    /// and is the finding; the parts behind it are its rest, not another.
    #[test]
    fn pieces_behind_a_recording_found_alone_are_its_rest() {
        use base64::Engine;
        let mut wav = crate::unpack::tests::wav();
        wav.extend(speech(16_000));
        let parts: Vec<String> = wav
            .chunks(3000)
            .map(|p| {
                format!(
                    "\"{}\"",
                    base64::engine::general_purpose::STANDARD.encode(p)
                )
            })
            .collect();
        let text = format!("{{\"parts\": [{}]}}", parts.join(", "));
        let inside = crate::unpack::tests::look(text.as_bytes());
        assert_eq!(inside.found(), vec![("base64@12", "wav")]);
    }

    /// A base64 cell that starts between two windows and runs into the
    /// second is read from its start, found by reading back: its WAV
    /// header decoded, where the second window alone saw its middle.
    #[test]
    fn a_run_a_window_opens_inside_is_read_from_its_start() {
        use base64::Engine;
        let wav = crate::unpack::tests::wav();
        let cell = base64::engine::general_purpose::STANDARD.encode(&wav);
        let row = format!("{{\"audio\": \"{cell}\"}}\n");
        let size = 1_000_000usize;
        let second = offsets(size as u64)[1] as usize;
        let start = second - 5000;
        let mut text = filler(start);
        text.extend(row.as_bytes());
        text.extend(filler(size - text.len()));
        assert_eq!(text.len(), size);
        let run_at = start + "{\"audio\": \"".len();
        let inside = crate::unpack::tests::look(&text);
        let found: Vec<(String, String)> = inside
            .members
            .iter()
            .map(|m| (m.member.clone(), m.sniff.format.to_string()))
            .collect();
        assert_eq!(found, vec![(format!("base64@{run_at}"), "wav".to_string())]);
        // The same row wholly inside the gap before that window: not seen,
        // as any row between windows is not, which is said.
        let mut gap = filler(second - 60_000);
        gap.extend(row.as_bytes());
        gap.extend(filler(size - gap.len()));
        let inside = crate::unpack::tests::look(&gap);
        assert!(inside.members.is_empty());
        assert!(
            inside.says("text of 1000000 bytes sampled: its head and 4 windows of 64 KiB"),
            "{:?}",
            inside.limits
        );
        // A text the head and windows cover whole says nothing.
        let inside = crate::unpack::tests::look(&filler(300_000));
        assert!(inside.limits.is_empty(), "{:?}", inside.limits);
    }

    /// A mail folder with a voicemail's WAV, base64 in 76-column lines,
    /// between the windows a sampled text would read: found once, from its
    /// start, and not again from the middle in each window it spans.
    #[test]
    fn a_mail_folder_is_read_through_and_an_attachment_decoded_once() {
        use base64::Engine;
        let mut wav = crate::unpack::tests::wav();
        wav.extend(crate::sniff::testutil::pcm16_tone(150_000));
        let body = base64::engine::general_purpose::STANDARD.encode(&wav);
        let lines: Vec<&str> = body
            .as_bytes()
            .chunks(76)
            .map(|l| std::str::from_utf8(l).unwrap())
            .collect();
        let note = "From a@example.com Thu Jan  1 00:00:00 2026\nMIME-Version: 1.0\n\
            Content-Type: text/plain\nContent-Transfer-Encoding: 7bit\n\nplain words here\n\n"
            .repeat(200);
        let voicemail = format!(
            "From pbx@example.com Thu Jan  1 00:00:00 2026\nMIME-Version: 1.0\n\
             Content-Type: audio/wav\nContent-Transfer-Encoding: base64\n\n{}\n\n",
            lines.join("\n")
        );
        let mut mbox = note.repeat(10);
        let at = mbox.len() + voicemail.find("UklG").unwrap();
        mbox.push_str(&voicemail);
        mbox.push_str(&note.repeat(60));
        assert!(at as u64 > 2 * HEAD_LEN as u64 && mbox.len() > 2_000_000);
        let inside = crate::unpack::tests::look(mbox.as_bytes());
        assert_eq!(
            inside.found(),
            vec![(&*format!("base64@{at}"), "wav")],
            "{:?}",
            inside.limits
        );
        // Sampled, as a text without MIME headers is, it lay between windows.
        let plain = mbox
            .replace("MIME-Version", "Xime-Version")
            .replace("Content-Transfer", "Xontent-Transfer")
            .replace("From ", "Xrom ");
        assert!(crate::unpack::tests::look(plain.as_bytes())
            .members
            .is_empty());
    }

    /// A notebook whose first output is an image as a `data:` URI, and
    /// whose recording, far in, is another: read through, found.
    #[test]
    fn a_text_with_data_uris_is_read_through() {
        use base64::Engine;
        let b64 = |b: &[u8]| base64::engine::general_purpose::STANDARD.encode(b);
        let cell = |mime: &str, data: &str| {
            format!("  {{\"output_type\": \"display_data\", \"data\": {{\"text/html\": \"<img src=\\\"data:{mime};base64,{data}\\\">\"}}}},\n")
        };
        let mut nb = String::from("{\"cells\": [\n");
        nb.push_str(&cell("image/png", &b64(b"\x89PNG\r\n\x1a\n tiny")));
        nb.push_str(&String::from_utf8(filler(400_000)).unwrap());
        let audio = cell("audio/wav", &b64(&crate::unpack::tests::wav()));
        let at = nb.len() + audio.find("UklG").unwrap();
        nb.push_str(&audio);
        nb.push_str(&String::from_utf8(filler(2_000_000)).unwrap());
        nb.push_str("], \"nbformat\": 4}\n");
        let inside = crate::unpack::tests::look(nb.as_bytes());
        assert_eq!(
            inside.found(),
            vec![(&*format!("base64@{at}"), "wav")],
            "{:?}",
            inside.limits
        );
    }

    /// One long recording as base64 in 76-column lines, sampled (no
    /// header says it carries payloads): one member, from its start,
    /// however many windows land in it.
    #[test]
    fn a_wrapped_run_across_sampled_windows_is_one_member() {
        use base64::Engine;
        let mut wav = crate::unpack::tests::wav();
        wav.extend(crate::sniff::testutil::pcm16_tone(1_500_000));
        let body = base64::engine::general_purpose::STANDARD.encode(&wav);
        let mut text: Vec<u8> = body
            .as_bytes()
            .chunks(76)
            .flat_map(|l| [l, b"\n"].concat())
            .collect();
        text.extend(filler(200_000));
        assert!(!declares_payloads(&text[..HEAD_LEN]));
        let inside = crate::unpack::tests::look(&text);
        assert_eq!(
            inside.found(),
            vec![("base64@0", "wav")],
            "{:?}",
            inside.limits
        );
        // A shorter one indented as plistlib writes it, behind more than
        // the head: the windows read back through the indentation to the
        // run's start.
        let mut wav = crate::unpack::tests::wav();
        wav.extend(crate::sniff::testutil::pcm16_tone(200_000));
        let body = base64::engine::general_purpose::STANDARD.encode(&wav);
        let mut plist = filler(300_000);
        plist.extend(b"\t\t<data>\n");
        let at = plist.len() + 3;
        for line in body.as_bytes().chunks(52) {
            plist.extend(b"\t\t\t");
            plist.extend(line);
            plist.push(b'\n');
        }
        plist.extend(b"\t\t</data>\n");
        plist.extend(filler(200_000));
        let inside = crate::unpack::tests::look(&plist);
        assert_eq!(
            inside.found(),
            vec![(&*format!("base64@{at}"), "wav")],
            "{:?}",
            inside.limits
        );
    }

    #[test]
    fn windows_cover_a_short_rest_and_spread_over_a_long_one() {
        let k = 1024u64;
        assert!(offsets(60 * k).is_empty());
        assert_eq!(offsets(115 * k), vec![64 * k]);
        assert_eq!(offsets(64 * k * 5), vec![64 * k, 128 * k, 192 * k, 256 * k]);
        let spread = offsets(1 << 30);
        assert_eq!(spread.len(), 4);
        assert_eq!(*spread.last().unwrap() + 64 * k, 1 << 30);
    }
}
