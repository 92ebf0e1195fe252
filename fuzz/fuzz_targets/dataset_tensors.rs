//! The tensor unpackers (.npy, .npz, safetensors, ONNX, torch.save zips with
//! their pickles) on arbitrary bytes.
//! `cargo +nightly fuzz run dataset_tensors fuzz/corpus/dataset_tensors fixtures/datasets/numpy fixtures/datasets/safetensors fixtures/datasets/pytorch`
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    for format in ["npy", "npz", "safetensors", "pytorch", "onnx", "pickle"] {
        atrest::unpack::datasets::fuzz_open(format, data, data.len() as u64);
    }
});
