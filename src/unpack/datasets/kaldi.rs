//! Kaldi and kaldiio/ESPnet archives (`.ark`): `key ` then an object,
//! entry after entry (KAL `kaldi-holder-inl.h`, KIO `matio.py`). Bare WAVs
//! (`wav.ark`) and kaldiio `AUDIO` entries (FLAC, WAV …) are sniffed like
//! files; float vectors and matrices are judged as waveforms (MFCC frames
//! are too short a row to be judged); compressed matrices and integer
//! vectors are skipped by their computed sizes. An object whose length
//! cannot be computed (text mode) ends the walk.

use super::{malformed, Dtype, Reader, Step};
use crate::sniff::dataset::{ark_entry, le32, ArkObject};
use crate::sniff::HEAD_LEN;
use crate::unpack::{Level, Limit, Walk};

/// Entries looked at.
const MAX_ENTRIES: usize = 16;
/// Bytes of an entry's key and object header read at once.
const ENTRY_HEAD: usize = 512;
/// Bytes of an encoded entry sniffed (its head is what detectors need).
const VALUE_READ: u64 = 4 * HEAD_LEN as u64;

/// A Kaldi integer: a size byte (4), then a little-endian i32.
fn kaldi_int(b: &[u8], at: usize) -> Option<u64> {
    if *b.get(at)? != 4 {
        return None;
    }
    u64::try_from(le32(b, at + 1)? as i32).ok()
}

impl Walk<'_> {
    pub(super) fn kaldi(&mut self, level: &Level<'_, '_>, prefix: &str, depth: u32) -> Step<()> {
        let mut r = Reader::new(level);
        let mut pos = 0u64;
        for _ in 0..MAX_ENTRIES {
            if pos >= r.size() || self.out_of_time(prefix) {
                return Ok(());
            }
            let head = r.from(pos, ENTRY_HEAD)?.into_owned();
            let Some((key, at, kind)) = ark_entry(&head) else {
                return malformed(format!("entry at {pos} is not a binary Kaldi object"));
            };
            let key = key.to_string();
            let object = pos + at as u64;
            let rest = &head[at..];
            // (offset of the payload from `object`, payload length)
            let (skip, len): (u64, u64) = match kind {
                ArkObject::Wav => {
                    let size = if rest.starts_with(b"RIFX") {
                        u32::from_be_bytes(rest[4..8].try_into().unwrap_or_default())
                    } else {
                        le32(rest, 4).unwrap_or(0)
                    };
                    (0, 8 + u64::from(size))
                }
                ArkObject::Audio => {
                    let n = usize::from(rest[5]);
                    let len = rest
                        .get(6..6 + n)
                        .map(|b| b.iter().rev().fold(0u64, |a, &x| a << 8 | u64::from(x)));
                    let Some(len) = len else {
                        return malformed("AUDIO entry length cut short");
                    };
                    (6 + n as u64, len)
                }
                ArkObject::Binary => {
                    let token = &rest[2..];
                    let (token_len, payload) = binary_object(token).ok_or_else(|| {
                        super::Stop::Malformed(format!("entry {key}: binary object not understood"))
                    })?;
                    let at = 2 + token_len;
                    if let Payload::Floats { dtype, shape } = &payload {
                        let data_at = object + at as u64;
                        self.tensor(&mut r, prefix, &key, data_at, *dtype, false, shape)?;
                    }
                    let len = match payload {
                        Payload::Floats { dtype, shape } => shape
                            .iter()
                            .try_fold(dtype.size() as u64, |a, &d| a.checked_mul(d)),
                        Payload::Opaque(len) => Some(len),
                    };
                    let Some(len) = len else {
                        return malformed("object size overflows");
                    };
                    (at as u64, len)
                }
            };
            let data_at = object + skip;
            let end = data_at.checked_add(len).filter(|&e| e <= r.size());
            let Some(end) = end else {
                return malformed(format!("entry {key} declares {len} bytes past the end"));
            };
            if kind != ArkObject::Binary {
                let Some(budget) = self.remaining(prefix) else {
                    return Ok(());
                };
                let data = r
                    .from(data_at, len.min(budget).min(VALUE_READ) as usize)?
                    .into_owned();
                self.spent += data.len() as u64;
                if !data.is_empty() {
                    self.value(prefix, &key, &data, len, depth);
                }
            }
            pos = end;
        }
        if pos < r.size() {
            self.limit(
                prefix,
                Limit::Members,
                format!("kaldi-ark: more than {MAX_ENTRIES} entries; the rest not inspected"),
            );
        }
        Ok(())
    }
}

/// What a binary object holds after its token.
#[derive(Debug, PartialEq)]
enum Payload {
    /// A float vector or matrix: judged.
    Floats { dtype: Dtype, shape: Vec<u64> },
    /// Skipped: this many bytes.
    Opaque(u64),
}

/// Parses a binary object's token and sizes (after `\0B`): (bytes of the
/// token and sizes, payload).
fn binary_object(t: &[u8]) -> Option<(usize, Payload)> {
    let starts = |s: &[u8]| t.starts_with(s);
    if starts(b"FM ") || starts(b"DM ") {
        let dtype = if t[0] == b'F' { Dtype::F32 } else { Dtype::F64 };
        let rows = kaldi_int(t, 3)?;
        let cols = kaldi_int(t, 8)?;
        return Some((
            13,
            Payload::Floats {
                dtype,
                shape: vec![rows, cols],
            },
        ));
    }
    if starts(b"FV ") || starts(b"DV ") {
        let dtype = if t[0] == b'F' { Dtype::F32 } else { Dtype::F64 };
        return Some((
            8,
            Payload::Floats {
                dtype,
                shape: vec![kaldi_int(t, 3)?],
            },
        ));
    }
    // Compressed matrices: a global header {min, range, rows, cols}, then
    // (format 1) per-column percentile headers and a byte per value.
    for (token, per_value, per_column) in
        [(&b"CM "[..], 1u64, 8u64), (b"CM2 ", 2, 0), (b"CM3 ", 1, 0)]
    {
        if starts(token) {
            let h = token.len();
            let rows = u64::from(le32(t, h + 8)?);
            let cols = u64::from(le32(t, h + 12)?);
            let len = rows
                .checked_mul(cols)?
                .checked_mul(per_value)?
                .checked_add(cols.checked_mul(per_column)?)?;
            return Some((h + 16, Payload::Opaque(len)));
        }
    }
    // An integer vector (alignments): a count, then a sized i32 per element.
    if t.first() == Some(&4) {
        let n = kaldi_int(t, 0)?;
        return Some((5, Payload::Opaque(n.checked_mul(5)?)));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binary_objects_give_their_sizes() {
        let fm = [b'F', b'M', b' ', 4, 3, 0, 0, 0, 4, 13, 0, 0, 0];
        assert_eq!(
            binary_object(&fm),
            Some((
                13,
                Payload::Floats {
                    dtype: Dtype::F32,
                    shape: vec![3, 13]
                }
            ))
        );
        let dv = [b'D', b'V', b' ', 4, 0, 0x10, 0, 0];
        assert_eq!(
            binary_object(&dv),
            Some((
                8,
                Payload::Floats {
                    dtype: Dtype::F64,
                    shape: vec![4096]
                }
            ))
        );
        let mut cm2 = b"CM2 ".to_vec();
        cm2.extend([0u8; 8]);
        cm2.extend(10u32.to_le_bytes());
        cm2.extend(13u32.to_le_bytes());
        assert_eq!(binary_object(&cm2), Some((20, Payload::Opaque(260))));
        assert_eq!(
            binary_object(&[4, 2, 0, 0, 0]),
            Some((5, Payload::Opaque(10)))
        );
        // A negative row count, a size byte that is not 4, an unknown token.
        assert_eq!(
            binary_object(&[b'F', b'V', b' ', 4, 0xff, 0xff, 0xff, 0xff]),
            None
        );
        assert_eq!(binary_object(&[b'F', b'V', b' ', 8, 1, 0, 0, 0]), None);
        assert_eq!(binary_object(b"XY "), None);
    }
}
