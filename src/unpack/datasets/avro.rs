//! Avro object container files: blocks decompressed by the file's codec
//! and their records decoded by its schema (`crate::formats::avro`). Byte
//! strings are sniffed like files and arrays of numbers judged as
//! waveforms, each named `block B/record R/PATH`; a field found to hold
//! audio is not looked at again. Blocks past the 16th are a `max-members`
//! limit for each field whose binary values held no audio, as TFRecord
//! records are.

use super::codecs::{decompress, Codec};
use super::{malformed, Reader, Step};
use crate::formats::avro::{self, Leaf, Records, Schema};
use crate::unpack::{Level, Limit, Walk};

/// Blocks read.
const MAX_BLOCKS: usize = 16;
/// Records of one block decoded.
const MAX_RECORDS: i64 = 64;
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
        let (mut done, mut open): (Vec<String>, Vec<String>) = (Vec::new(), Vec::new());
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
            let mut records = Records::new(&schema, &plain);
            for record in 0..count.min(MAX_RECORDS) {
                let Some((leaves, whole)) = records.next_record() else {
                    break;
                };
                for (path, leaf) in leaves {
                    if done.contains(&path) {
                        continue;
                    }
                    let name = format!("block {block}/record {record}/{path}");
                    let hit = match leaf {
                        Leaf::Bytes(v, declared) => {
                            let hit =
                                !v.is_empty() && self.value(prefix, &name, v, declared, depth);
                            let binary = !v.is_empty() && !crate::sniff::is_text(v);
                            if !hit && binary && !open.contains(&path) {
                                open.push(path.clone());
                            }
                            hit
                        }
                        Leaf::Numbers(x, dtype, width) => {
                            self.list_samples(prefix, &name, dtype, &x, width)
                        }
                    };
                    if hit {
                        done.push(path);
                    }
                }
                if !whole {
                    break;
                }
            }
            pos = end + avro::SYNC_LEN as u64;
        }
        if pos < r.size() && !self.out_of_time(prefix) {
            for path in open.iter().filter(|p| !done.contains(p)) {
                self.limit(
                    prefix,
                    Limit::Members,
                    format!(
                        "avro field {path}: binary values looked at in the first {MAX_BLOCKS} blocks; the rest not inspected"
                    ),
                );
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_inside;

    fn zz(v: i64) -> Vec<u8> {
        let mut u = ((v << 1) ^ (v >> 63)) as u64;
        let mut out = Vec::new();
        loop {
            let b = (u & 0x7f) as u8;
            u >>= 7;
            if u == 0 {
                out.push(b);
                return out;
            }
            out.push(b | 0x80);
        }
    }

    fn bytes(v: &[u8]) -> Vec<u8> {
        [zz(v.len() as i64), v.to_vec()].concat()
    }

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

    #[test]
    fn blocks_past_the_bound_are_a_limit_for_binary_fields() {
        let f = file(20, |_| vec![0x80; 300]);
        let (members, limits) = test_inside(&f);
        assert!(members.is_empty());
        assert_eq!(
            limits,
            vec!["avro field clip: binary values looked at in the first 16 blocks; the rest not inspected"]
        );
        // Text values raise none.
        let (_, limits) = test_inside(&file(20, |_| b"hello".to_vec()));
        assert!(limits.is_empty(), "{limits:?}");
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
