//! The ar unpacker on arbitrary bytes, with the declared size either true
//! or larger than the bytes, asserting the per-object budget: bytes read
//! within the cap and wall time within the time limit (+1 s).
//! `cargo +nightly fuzz run ar -- -max_total_time=600`, seeded with
//! fixtures and `python3 tests/hostile/make.py`'s files of this kind.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (flag, body) = data.split_first().unwrap_or((&0, &[]));
    let declared = if flag & 1 == 0 {
        body.len() as u64
    } else {
        body.len() as u64 * 2 + 1
    };
    let cost = atrest::unpack::fuzz_unpack("ar", body, declared);
    assert!(
        cost.bytes_read <= cost.read_cap,
        "read {} bytes",
        cost.bytes_read
    );
    assert!(
        cost.elapsed.as_secs_f64() <= cost.max_seconds + 1.0,
        "took {:?}",
        cost.elapsed
    );
});
