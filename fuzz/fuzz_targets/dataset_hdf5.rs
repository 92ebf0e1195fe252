//! The HDF5 walker (superblock, object headers, groups, B-trees, layouts,
//! filters) on arbitrary bytes.
//! `cargo +nightly fuzz run dataset_hdf5 fuzz/corpus/dataset_hdf5 fixtures/datasets/hdf5`
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    for declared in [data.len() as u64, data.len() as u64 * 2 + 1] {
        atrest::unpack::datasets::fuzz_open("hdf5", data, declared);
    }
});
