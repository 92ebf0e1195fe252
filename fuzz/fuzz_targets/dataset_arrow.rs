//! The Arrow IPC unpacker (message hop, flatbuffers, buffers) on arbitrary
//! bytes, as a file and as a stream.
//! `cargo +nightly fuzz run dataset_arrow fuzz/corpus/dataset_arrow fixtures/datasets/arrow`
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    for format in ["arrow", "arrow-stream"] {
        atrest::unpack::datasets::fuzz_open(format, data, data.len() as u64);
    }
    atrest::unpack::datasets::fuzz_open("arrow-stream", data, data.len() as u64 * 2 + 1);
});
