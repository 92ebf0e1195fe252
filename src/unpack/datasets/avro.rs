//! Avro object container files: blocks decompressed by the file's codec
//! and their records decoded by its schema (`crate::formats::avro`). Byte
//! strings are sniffed like files and arrays of numbers judged as
//! waveforms, each named `block B/record R/PATH`; a field (whatever its
//! array index or map key) found to hold audio is not looked at again.
//! Blocks are read until the read or decoding budget ends, records past
//! [`MAX_RECORDS`] of a block, a record that does not decode and blocks
//! past [`MAX_BLOCKS`] are limits.

use std::collections::{HashMap, HashSet};

use super::codecs::{decompress, Codec};
use super::{malformed, Reader, Step};
use crate::formats::avro::{self, Leaf, Records, Schema};
use crate::sniff::Class;
use crate::unpack::{Level, Limit, Walk};

/// Blocks read (the read and decoding budgets end most files first).
const MAX_BLOCKS: usize = 4096;
/// Records of one block decoded.
const MAX_RECORDS: i64 = 1 << 16;
/// Values of one field kept as members when they are neither audio nor
/// biometric (nor ordinary data, which is never kept).
const KEPT: usize = 4;

/// A leaf's field: its path without array indices and map keys.
fn field_of(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    let mut depth = 0usize;
    for c in path.chars() {
        match c {
            '[' => depth += 1,
            ']' => depth = depth.saturating_sub(1),
            _ if depth == 0 => out.push(c),
            _ => {}
        }
    }
    out
}
/// The most of a file read for its header (its schema).
const MAX_HEADER: usize = 4 << 20;

impl Walk<'_> {
    pub(super) fn avro(&mut self, level: &Level<'_, '_>, prefix: &str, depth: u32) -> Step<()> {
        let mut r = Reader::new(level);
        let head = r.from(0, 64 << 10)?;
        let h = match avro::header(&head) {
            Ok(h) => h,
            // A header longer than the first read (a schema of thousands
            // of fields) is read again, whole, up to a bound.
            Err(_) if (head.len() as u64) < r.size() => {
                let more = r.from(0, MAX_HEADER)?;
                avro::header(&more).map_err(|why| {
                    super::Stop::Malformed(match (more.len() as u64) < r.size() {
                        true => format!("header: {why} (its first {MAX_HEADER} bytes)"),
                        false => format!("header: {why}"),
                    })
                })?
            }
            Err(why) => return malformed(format!("header: {why}")),
        };
        let schema = Schema::parse(&h.schema).map_err(super::Stop::Malformed)?;
        let codec = match h.codec.as_str() {
            "null" => Codec::None,
            "deflate" => Codec::Deflate,
            "snappy" => Codec::Snappy,
            "zstandard" => Codec::Zstd,
            "bzip2" => Codec::Bzip2,
            "xz" => Codec::Xz,
            other => return malformed(format!("codec {other:?} is not decoded")),
        };
        let mut pos = h.blocks_at as u64;
        let mut done: HashSet<String> = HashSet::new();
        let mut kept: HashMap<String, usize> = HashMap::new();
        for block in 0..MAX_BLOCKS {
            if pos >= r.size() || self.out_of_time(prefix) {
                break;
            }
            let lengths = r.from(pos, 20)?;
            let mut p = 0;
            let (Some(count), Some(size)) =
                (avro::long(&lengths, &mut p), avro::long(&lengths, &mut p))
            else {
                return malformed(format!("block {block} at {pos}: no count and size"));
            };
            let data_at = pos + p as u64;
            let end = u64::try_from(size)
                .ok()
                .filter(|_| count >= 0)
                .and_then(|s| data_at.checked_add(s))
                .filter(|&e| e.saturating_add(avro::SYNC_LEN as u64) <= r.size());
            let Some(end) = end else {
                return malformed(format!(
                    "block {block} at {pos} declares {count} records in {size} bytes, past the end"
                ));
            };
            if *r.at(end, avro::SYNC_LEN)? != h.sync {
                return malformed(format!(
                    "block {block} at {pos}: its sync marker does not match the header's"
                ));
            }
            let Some(budget) = self.remaining(prefix) else {
                return Ok(());
            };
            let size = end - data_at;
            let mut input = r.from(data_at, size.min(budget) as usize)?.into_owned();
            // A snappy block ends with the CRC-32 of what it decodes to.
            if codec == Codec::Snappy && input.len() as u64 == size {
                input.truncate(input.len().saturating_sub(4));
            }
            let plain = decompress(codec, &input, budget as usize);
            self.spent += plain.len() as u64;
            // Decoded only in part: the budget, not the block, ended it.
            let cut = size > budget || plain.len() as u64 >= budget;
            let mut records = Records::new(&schema, &plain);
            for record in 0..count {
                if record == MAX_RECORDS {
                    self.limit(
                        prefix,
                        Limit::Members,
                        format!("avro block {block}: records past the first {MAX_RECORDS} not inspected"),
                    );
                    break;
                }
                let (leaves, whole) = records.next_record().unwrap_or_default();
                for (path, leaf) in leaves {
                    // A field is one whatever its array index or map key.
                    let field = field_of(&path);
                    if done.contains(&field) {
                        continue;
                    }
                    let name = format!("block {block}/record {record}/{path}");
                    let hit = match leaf {
                        Leaf::Bytes(v, declared) => {
                            let s = self.sniff_bytes(v, declared);
                            let hit = matches!(s.class, Class::Audio | Class::Biometric);
                            let shown = kept.entry(field.clone()).or_insert(0);
                            if hit || (s.class != Class::Other && *shown < KEPT) {
                                *shown += 1;
                                self.keep(prefix, &name, v, declared, depth, s);
                            }
                            hit
                        }
                        Leaf::Numbers(x, dtype, width) => {
                            self.list_samples(prefix, &name, dtype, &x, width)
                        }
                    };
                    if hit {
                        done.insert(field);
                    }
                }
                if !whole {
                    let (limit, why) = match cut {
                        true => (
                            Limit::ObjectBytes,
                            "decoded only as far as the budget allows",
                        ),
                        false => (
                            Limit::Unsupported,
                            "does not decode by the schema within its bounds (values nested 32 deep, 2^20 array items)",
                        ),
                    };
                    self.limit(
                        prefix,
                        limit,
                        format!("avro block {block} record {record} {why}; the rest of the block not inspected"),
                    );
                    break;
                }
            }
            pos = end + avro::SYNC_LEN as u64;
        }
        if pos < r.size() && !self.out_of_time(prefix) {
            self.limit(
                prefix,
                Limit::Members,
                format!("avro: blocks past the first {MAX_BLOCKS} not inspected"),
            );
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_inside;
    use crate::formats::avro::tests::{bytes, zz};

    const SYNC: [u8; 16] = [9; 16];

    /// A file of `blocks` blocks (codec null) of one record each, a
    /// `bytes` field holding `value(i)`.
    fn file(blocks: usize, value: impl Fn(usize) -> Vec<u8>) -> Vec<u8> {
        let schema = br#"{"type":"record","name":"r","fields":[{"name":"clip","type":"bytes"}]}"#;
        let mut f = b"Obj\x01".to_vec();
        f.extend(zz(1));
        f.extend(bytes(b"avro.schema"));
        f.extend(bytes(schema));
        f.extend(zz(0));
        f.extend(SYNC);
        for i in 0..blocks {
            let record = bytes(&value(i));
            f.extend(zz(1));
            f.extend(zz(record.len() as i64));
            f.extend(record);
            f.extend(SYNC);
        }
        f
    }

    #[test]
    fn a_recording_in_a_later_block_is_a_member() {
        let wav = crate::unpack::tests::wav();
        let f = file(5, |i| if i == 4 { wav.clone() } else { vec![0x80; 300] });
        let (members, limits) = test_inside(&f);
        assert_eq!(members, vec!["block 4/record 0/clip wav"], "{limits:?}");
        assert!(limits.is_empty(), "{limits:?}");
    }

    /// Blocks are read on past a first few of anything else, and a
    /// record that does not decode says so.
    #[test]
    fn later_blocks_are_read_and_a_record_that_does_not_decode_is_a_limit() {
        let wav = crate::unpack::tests::wav();
        let f = file(40, |i| {
            if i == 39 {
                wav.clone()
            } else {
                vec![0x80; 300]
            }
        });
        let (members, limits) = test_inside(&f);
        assert!(
            members.contains(&"block 39/record 0/clip wav".to_string()),
            "{members:?}"
        );
        assert!(limits.is_empty(), "{limits:?}");
        // A block whose one record declares a byte string past its end.
        let mut bad = file(1, |_| vec![0x80; 300]);
        let at = bad.len() - 16 - 302;
        bad[at..at + 2].copy_from_slice(&zz(5000));
        let (_, limits) = test_inside(&bad);
        assert!(
            limits
                .iter()
                .any(|l| l.contains("record 0 does not decode")),
            "{limits:?}"
        );
    }

    #[test]
    fn a_block_past_the_end_or_out_of_sync_is_reported() {
        let mut f = file(2, |_| vec![0x80; 300]);
        let n = f.len();
        f[n - 1] ^= 1;
        let (_, limits) = test_inside(&f);
        assert_eq!(limits.len(), 1, "{limits:?}");
        assert!(limits[0].contains("block 1") && limits[0].contains("sync marker"));
        f.truncate(n - 40);
        let (_, limits) = test_inside(&f);
        assert!(limits[0].contains("past the end"), "{limits:?}");
    }
}
