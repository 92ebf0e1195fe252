//! The tar unpacker on arbitrary bytes, with the declared size either true
//! or larger than the bytes, asserting the per-object budget: bytes read
//! within the cap and wall time within the time limit (+1 s).
//! `cargo +nightly fuzz run tar -- -max_total_time=600`, seeded with
//! fixtures and `python3 tests/hostile/make.py`'s files of this kind.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| atrest::unpack::fuzz_archive("tar", data));
