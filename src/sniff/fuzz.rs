//! Entry points for the cargo-fuzz targets under `fuzz/` (which cannot reach
//! crate-private items): one detector at a time, read the way the pipeline
//! reads an object, with the per-object budget asserted on every verdict.
//! Not part of the library's public face.

use std::time::{Duration, Instant};

use serde_json::Value;

use super::{Sample, Sniff, Window, HEAD_LEN, MAX_EVIDENCE_CHARS, WINDOW_LEN};

/// The detectors with a fuzz target of their own.
#[doc(hidden)]
#[derive(Clone, Copy, Debug)]
pub enum Detector {
    Mp4,
    Matroska,
    Asf,
    Ole,
    Pdf,
}

/// Wall time one input may take, all rounds together.
const MAX_TIME: Duration = Duration::from_secs(1);
/// Rounds and windows as the pipeline allows them (`pipeline::inspect`).
const ROUNDS: usize = 3;
const WINDOWS: usize = 3;

/// Runs one detector over `data` as the pipeline would: the head, then up
/// to three windows it asks for, over three rounds. The first byte shapes
/// the read: bit 0 declares a size larger than the bytes (a listing can
/// disagree with the object), the rest cuts the head short, so that small
/// inputs exercise windows, ranged reads and offsets beyond the sample.
///
/// Panics when a verdict breaks the budget: a wish outside the object, an
/// evidence string longer than the cap, more than a second spent (twice in
/// a row, so that a stall of the machine is not taken for a slow parser).
#[doc(hidden)]
pub fn fuzz_detector(which: Detector, data: &[u8]) {
    let (flag, body) = data.split_first().unwrap_or((&0, &[]));
    let size = if flag & 1 == 0 {
        body.len() as u64
    } else {
        (body.len() as u64).saturating_mul(3).saturating_add(17)
    };
    let head_len = match flag >> 1 {
        0 => body.len(),
        cut => body.len() * usize::from(cut) / 128,
    }
    .min(HEAD_LEN);
    let head = &body[..head_len];
    let detect: fn(&Sample) -> Option<Sniff> = match which {
        Detector::Mp4 => super::media::isobmff,
        Detector::Matroska => super::media::matroska,
        Detector::Asf => super::media::asf,
        Detector::Ole => super::ole::detect,
        Detector::Pdf => super::envelope::pdf,
    };
    // A shared machine can stall a process for a second now and then; a
    // detector that is slow on these bytes is slow twice.
    if rounds(detect, body, head, size) > MAX_TIME {
        let again = rounds(detect, body, head, size);
        assert!(
            again <= MAX_TIME,
            "{which:?}: {again:?} for one input, twice"
        );
    }
}

/// The pipeline's rounds over `body`; returns the time they took.
fn rounds(detect: fn(&Sample) -> Option<Sniff>, body: &[u8], head: &[u8], size: u64) -> Duration {
    let started = Instant::now();
    let mut windows: Vec<Window> = Vec::new();
    for _ in 0..ROUNDS {
        let sample = Sample::new(size, head, &windows);
        let Some(sniff) = detect(&sample) else {
            break;
        };
        check_budget(&sniff, size);
        if windows.len() >= WINDOWS {
            break;
        }
        let wants: Vec<_> = sniff.wants.iter().take(WINDOWS - windows.len()).collect();
        if wants.is_empty() {
            break;
        }
        for want in wants {
            let start = usize::try_from(want.start)
                .unwrap_or(usize::MAX)
                .min(body.len());
            let end = usize::try_from(want.end.min(want.start + WINDOW_LEN as u64))
                .unwrap_or(usize::MAX)
                .clamp(start, body.len());
            windows.push(Window {
                offset: want.start,
                bytes: body[start..end].to_vec(),
            });
        }
    }
    started.elapsed()
}

/// What every verdict owes the report, whatever the bytes: wishes inside the
/// object, and evidence strings no longer than the cap.
#[doc(hidden)]
pub fn check_budget(sniff: &Sniff, size: u64) {
    for want in &sniff.wants {
        assert!(
            want.start <= want.end && want.end <= size,
            "a wish outside the object: {want:?} of {size}"
        );
    }
    for (key, value) in sniff.evidence.iter() {
        if let Value::String(text) = value {
            assert!(
                text.chars().count() <= MAX_EVIDENCE_CHARS + 3,
                "evidence {key} of {} characters",
                text.chars().count()
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The fuzz entries hold on every fixture, read whole, with a larger
    /// declared size, and with the head cut short: the budget checks run in
    /// every test run, not only under cargo-fuzz.
    #[test]
    fn every_fixture_keeps_the_budget_under_each_detector() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
        let mut stack = vec![root];
        let mut files = 0;
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    stack.push(path);
                    continue;
                }
                let bytes = std::fs::read(&path).unwrap();
                files += 1;
                for flag in [0u8, 1, 0x41] {
                    let input = [&[flag][..], &bytes].concat();
                    for which in [
                        Detector::Mp4,
                        Detector::Matroska,
                        Detector::Asf,
                        Detector::Ole,
                        Detector::Pdf,
                    ] {
                        fuzz_detector(which, &input);
                    }
                }
            }
        }
        assert!(files > 100, "{files} fixtures");
    }
}
