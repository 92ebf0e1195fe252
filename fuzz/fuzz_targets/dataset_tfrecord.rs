//! The TFRecord unpacker (framing, protobuf Examples) on arbitrary bytes,
//! plain and zlib-compressed; built with --cfg fuzzing, length CRCs are
//! not checked so that records past the first are reached.
//! `cargo +nightly fuzz run dataset_tfrecord fuzz/corpus/dataset_tfrecord fixtures/datasets/tfrecord`
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    for format in ["tfrecord", "tfrecord+zlib"] {
        atrest::unpack::datasets::fuzz_open(format, data, data.len() as u64);
    }
});
