//! The compressed-stream unpacker (gzip, zlib, zstd, xz, LZMA-alone, bzip2,
//! lz4; the first byte picks one and whether the declared size is a lie) on
//! arbitrary bytes, asserting the per-object budget: bytes read within the cap and
//! wall time within the time limit (+1 s).
//! `cargo +nightly fuzz run streams -- -max_total_time=600`.
#![no_main]

use libfuzzer_sys::fuzz_target;

const FORMATS: [&str; 7] = ["gzip", "zlib", "zstd", "xz", "lzma", "bzip2", "lz4"];

fuzz_target!(|data: &[u8]| {
    let (flag, body) = data.split_first().unwrap_or((&0, &[]));
    let format = FORMATS[usize::from(flag & 0x7f) % FORMATS.len()];
    let declared = if flag & 0x80 == 0 {
        body.len() as u64
    } else {
        body.len() as u64 * 2 + 1
    };
    atrest::unpack::fuzz_unpack(format, body, declared).assert_in_budget();
});
