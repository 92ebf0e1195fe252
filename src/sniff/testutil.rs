//! Byte generators shared by the detectors' unit tests.

/// xorshift64*: a deterministic stand-in for ciphertext.
pub(crate) fn pseudo_random(n: usize, seed: u64) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    (0..n)
        .map(|_| {
            x ^= x >> 12;
            x ^= x << 25;
            x ^= x >> 27;
            (x.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 56) as u8
        })
        .collect()
}

/// A 16-bit little-endian tone with a little noise: smooth like speech.
pub(crate) fn pcm16_tone(samples: usize) -> Vec<u8> {
    let noise = pseudo_random(samples, 99);
    (0..samples)
        .flat_map(|i| {
            let v = (i as f64 / 7.0).sin() * 4000.0 + (i as f64 / 23.0).sin() * 2500.0;
            ((v as i16).wrapping_add(noise[i] as i16 - 128)).to_le_bytes()
        })
        .collect()
}
