//! PDF /Encrypt dictionaries on arbitrary bytes, read as the pipeline reads an object (head,
//! then the windows the detector asks for); the per-object budget is
//! asserted inside (wishes inside the object, bounded evidence, ≤ 1 s).
//! `cargo +nightly fuzz run pdf fuzz/corpus/pdf`
#![no_main]

use atrest::sniff::fuzz::{fuzz_detector, Detector};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| fuzz_detector(Detector::Pdf, data));
