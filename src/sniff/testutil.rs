//! Byte generators shared by the detectors' unit tests.

/// `n` as an unsigned LEB128 varint (protobuf, Avro after zig-zag, RAR 5's
/// vint): seven bits a byte, low first, the top bit set on all but the last.
pub(crate) fn leb128(mut n: u64) -> Vec<u8> {
    let mut out = Vec::new();
    while n >= 0x80 {
        out.push(n as u8 | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
    out
}

/// `data` as a zlib stream (deflate with its header and checksum).
pub(crate) fn zlib(data: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    z.write_all(data).expect("writing to a Vec");
    z.finish().expect("writing to a Vec")
}

/// `data` deflated, without a zlib header (as an OpenPGP packet holds it).
pub(crate) fn deflate_raw(data: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut z = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
    z.write_all(data).expect("writing to a Vec");
    z.finish().expect("writing to a Vec")
}

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

/// An MPEG-1 Layer III frame (128 kbit/s, 44.1 kHz: 417 bytes) of coded
/// bytes: most of the 256 values, in an order `seed` varies.
pub(crate) fn coded_mp3_frame(seed: u8) -> Vec<u8> {
    let mut f = vec![0xff, 0xfb, 0x90, 0x64];
    f.extend((0..413).map(|i: usize| (i as u8).wrapping_mul(seed | 1).wrapping_add(seed)));
    f
}

/// A PNG signature and IHDR chunk, its CRC right: `width` × `height`
/// pixels of 8 bits, colour type `colour`.
pub(crate) fn png_head(width: u32, height: u32, colour: u8) -> Vec<u8> {
    let mut ihdr = b"IHDR".to_vec();
    ihdr.extend(width.to_be_bytes());
    ihdr.extend(height.to_be_bytes());
    ihdr.extend([8, colour, 0, 0, 0]);
    let mut crc = flate2::Crc::new();
    crc.update(&ihdr);
    let mut head = b"\x89PNG\r\n\x1a\n\0\0\0\x0d".to_vec();
    head.extend(ihdr);
    head.extend(crc.sum().to_be_bytes());
    head
}

/// A 64 KiB head holding a BMP file header and BITMAPINFOHEADER: pixels
/// from `pixels_at`, `width` × `height` (negative: top-down), one plane of
/// `depth` bits, uncompressed; zeros after.
pub(crate) fn bmp_head(pixels_at: u32, width: u32, height: i32, depth: u16) -> Vec<u8> {
    let mut bmp = vec![0u8; super::HEAD_LEN];
    bmp[..2].copy_from_slice(b"BM");
    bmp[10..14].copy_from_slice(&pixels_at.to_le_bytes());
    bmp[14..18].copy_from_slice(&40u32.to_le_bytes());
    bmp[18..22].copy_from_slice(&width.to_le_bytes());
    bmp[22..26].copy_from_slice(&height.to_le_bytes());
    bmp[26..28].copy_from_slice(&1u16.to_le_bytes());
    bmp[28..30].copy_from_slice(&depth.to_le_bytes());
    bmp
}
