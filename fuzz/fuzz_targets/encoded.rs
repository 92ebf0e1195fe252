//! The base64/hex run finder and decoder on arbitrary text; the cap on runs,
//! the bounds of each run and of its declared type are asserted inside.
//! `cargo +nightly fuzz run encoded fuzz/corpus/encoded`
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| atrest::unpack::fuzz_encoded(data));
