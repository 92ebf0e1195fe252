//! The Parquet unpacker (footer, page headers, page prefixes, values) on
//! arbitrary bytes, the declared size true and larger than the bytes.
//! `cargo +nightly fuzz run dataset_parquet fuzz/corpus/dataset_parquet fixtures/datasets/parquet`
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    for declared in [data.len() as u64, data.len() as u64 * 2 + 1] {
        atrest::unpack::datasets::fuzz_open("parquet", data, declared);
    }
});
