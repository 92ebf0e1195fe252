//! Everything else `infer` knows (images, documents, executables, fonts …):
//! named so the inventory is readable, never classed as audio or video (our own
//! detectors are authoritative there), and distrusted where infer's magic is
//! two bytes long and random data would match it (formats.md §1.6).

use super::entropy::Randomness;
use super::{Class, Encryption, Sample, Sniff};

/// infer types whose test is too short to stand on its own.
const WEAK_MAGIC: &[&str] = &[
    "bmp", "exe", "dll", "der", "crt", "obj", "bc", "Z", "cpio", "sh", "ps", "jxl", "jxr", "mp3",
    "aac",
];

pub(crate) fn detect(s: &Sample) -> Option<Sniff> {
    let kind = infer::get(s.head)?;
    if matches!(
        kind.matcher_type(),
        infer::MatcherType::Audio | infer::MatcherType::Video
    ) {
        return None;
    }
    let ext = kind.extension();
    if WEAK_MAGIC.contains(&ext) && Randomness::of(&[s.head]).is_random_like() {
        return None;
    }
    let class = if matches!(kind.matcher_type(), infer::MatcherType::Archive) {
        Class::Compressed
    } else {
        Class::Other
    };
    Some(
        Sniff::new(ext, Some(kind.mime_type()), class, Encryption::None)
            .with("magic", format!("{} (infer)", kind.mime_type())),
    )
}
