//! Every detector and unpacker on arbitrary bytes, with the declared size
//! either true or larger than the bytes (a listing can disagree with the
//! object). `cargo +nightly fuzz run inspect fuzz/corpus/inspect fixtures`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (flag, body) = data.split_first().unwrap_or((&0, &[]));
    let declared = if flag & 1 == 0 {
        body.len() as u64
    } else {
        body.len() as u64 * 2 + 1
    };
    atrest::pipeline::inspect::fuzz_inspect(body, declared);
});
