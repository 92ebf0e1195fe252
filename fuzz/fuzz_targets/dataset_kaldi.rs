//! The Kaldi/kaldiio archive walker and the large-text window search on
//! arbitrary bytes.
//! `cargo +nightly fuzz run dataset_kaldi fuzz/corpus/dataset_kaldi fixtures/datasets/kaldi fixtures/datasets/text`
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    atrest::unpack::datasets::fuzz_open("kaldi-ark", data, data.len() as u64);
    atrest::unpack::datasets::fuzz_open("text", data, data.len() as u64);
});
