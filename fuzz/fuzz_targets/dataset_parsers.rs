//! The datasets' leaf parsers on arbitrary bytes, the first byte choosing
//! which: prefix decoders (snappy, LZ4 block and Hadoop, LZF, gzip, zlib,
//! brotli, zstd, LZ4 frame), Parquet page headers and levels, pickles,
//! protobuf Examples, .npy headers, flatbuffers, Kaldi entries, waveforms.
//! `cargo +nightly fuzz run dataset_parsers fuzz/corpus/dataset_parsers`
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    atrest::unpack::datasets::fuzz_parsers(data);
});
