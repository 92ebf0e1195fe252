//! TFRecord files of `tf.train.Example` (or `SequenceExample`: context and
//! feature lists) protobufs: records are walked by their CRC-checked lengths, features
//! decoded by hand (TF `example.proto`, `feature.proto`): bytes features are
//! sniffed like files, float and int64 lists judged as waveforms. Which key
//! holds the audio is the dataset's choice, so every feature is looked at.
//! Whole-file `ZLIB` compression is inflated as a prefix here; `GZIP` files
//! are gzip streams that the stream unpacker opens first.

use super::codecs::{decompress, Codec};
use super::{malformed, varint, Reader, Searched, Step, Stop};
use crate::sniff::dataset::{masked_crc32c, MAX_WAVEFORM};

/// Numbers kept of one list: enough for a judge of its first slice and
/// one of its middle (`Walk::list_samples`), bounded per feature.
const LIST_VALUES: usize = 4 * MAX_WAVEFORM;
use crate::sniff::Sniff;
use crate::unpack::{Level, LevelBytes, Limit, Walk};

/// Records read once a recording is found; without one, all are, within
/// the container's read budget.
const MAX_RECORDS: usize = 16;
/// Distinct feature keys followed through the records.
const MAX_KEYS: usize = 4096;
/// Features of one record looked at.
const MAX_FEATURES: usize = 256;
/// Values of one bytes feature sniffed from its start; the largest of
/// the others is sniffed too (a recording after its metadata strings).
const VALUES_PER_FEATURE: usize = 2;
/// Values of one bytes feature listed at most, for the largest.
const MAX_LISTED: usize = 4096;

/// A protobuf field: its number and, for length-delimited ones, the bytes
/// (cut short when the record was) with the declared length.
#[derive(Debug, PartialEq)]
enum Wire<'a> {
    Varint(u64),
    Fixed32(u32),
    Bytes(&'a [u8], u64),
    Other,
}

/// The fields of one message, in order; a field cut off by the end of the
/// bytes ends the list (a length-delimited one is returned as far as it goes).
fn fields(b: &[u8]) -> Vec<(u64, Wire<'_>)> {
    let mut out = Vec::new();
    let mut pos = 0;
    while pos < b.len() {
        let Some(key) = varint(b, &mut pos) else {
            break;
        };
        let wire = match key & 7 {
            0 => match varint(b, &mut pos) {
                Some(v) => Wire::Varint(v),
                None => break,
            },
            1 => {
                pos += 8;
                Wire::Other
            }
            2 => {
                let Some(len) = varint(b, &mut pos) else {
                    break;
                };
                let end = pos.saturating_add(usize::try_from(len).unwrap_or(usize::MAX));
                let w = Wire::Bytes(&b[pos.min(b.len())..end.min(b.len())], len);
                pos = end;
                w
            }
            5 => match b.get(pos..pos + 4) {
                Some(x) => {
                    pos += 4;
                    Wire::Fixed32(u32::from_le_bytes([x[0], x[1], x[2], x[3]]))
                }
                None => break,
            },
            _ => break,
        };
        out.push((key >> 3, wire));
        if pos > b.len() {
            break;
        }
    }
    out
}

/// One feature's values.
#[derive(Debug, PartialEq)]
enum Values<'a> {
    /// Byte strings with their declared lengths, by their place in the
    /// list.
    Bytes(Vec<(usize, &'a [u8], u64)>),
    Floats(Vec<f32>),
    Ints(Vec<f32>),
}

/// `Feature { oneof { BytesList bytes_list = 1; FloatList float_list = 2; Int64List int64_list = 3; } }`;
/// lists hold `repeated … value = 1`, numbers packed or not.
fn feature(b: &[u8]) -> Option<Values<'_>> {
    let (kind, Wire::Bytes(list, _)) = fields(b).into_iter().next()? else {
        return None;
    };
    let items = fields(list);
    Some(match kind {
        1 => {
            let mut values: Vec<(usize, &[u8], u64)> = items
                .into_iter()
                .filter_map(|(n, w)| match (n, w) {
                    (1, Wire::Bytes(v, len)) => Some((v, len)),
                    _ => None,
                })
                .take(MAX_LISTED)
                .enumerate()
                .map(|(i, (v, len))| (i, v, len))
                .collect();
            if values.len() > VALUES_PER_FEATURE {
                let rest = values.split_off(VALUES_PER_FEATURE);
                // The first of equals: a list of like values keeps its order.
                let largest = rest.into_iter().rev().max_by_key(|&(_, _, len)| len);
                values.extend(largest);
            }
            Values::Bytes(values)
        }
        2 => {
            let mut out = Vec::new();
            for (n, w) in items {
                match (n, w) {
                    (1, Wire::Bytes(packed, _)) => out.extend(
                        packed
                            .chunks_exact(4)
                            .take(LIST_VALUES - out.len().min(LIST_VALUES))
                            .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])),
                    ),
                    (1, Wire::Fixed32(v)) => out.push(f32::from_bits(v)),
                    _ => {}
                }
                if out.len() >= LIST_VALUES {
                    break;
                }
            }
            Values::Floats(out)
        }
        3 => {
            let mut out = Vec::new();
            for (n, w) in items {
                match (n, w) {
                    (1, Wire::Bytes(packed, _)) => {
                        let mut p = 0;
                        while out.len() < LIST_VALUES {
                            let Some(v) = varint(packed, &mut p) else {
                                break;
                            };
                            out.push(v as i64 as f32);
                        }
                    }
                    (1, Wire::Varint(v)) => out.push(v as i64 as f32),
                    _ => {}
                }
                if out.len() >= LIST_VALUES {
                    break;
                }
            }
            Values::Ints(out)
        }
        _ => return None,
    })
}

/// `FeatureList { repeated Feature feature = 1; }`: one feature per time
/// step, read as one list. Numbers are joined in step order (a recording
/// stored a frame per step is its samples again, as far as
/// [`LIST_VALUES`]); byte strings are numbered by their place among all
/// the steps' values and kept as one feature's are (the first ones and
/// the largest). The kind of the first step is the list's.
fn feature_list(b: &[u8]) -> Option<Values<'_>> {
    let mut steps = fields(b)
        .into_iter()
        .filter_map(|(n, w)| match (n, w) {
            (1, Wire::Bytes(f, _)) => feature(f),
            _ => None,
        })
        .take(MAX_LISTED);
    let mut joined = steps.next()?;
    let mut count = match &joined {
        Values::Bytes(v) => v.len(),
        _ => 0,
    };
    for step in steps {
        match (&mut joined, step) {
            (Values::Bytes(all), Values::Bytes(more)) => {
                all.extend(more.into_iter().map(|(i, v, len)| (count + i, v, len)));
                count = all.last().map_or(count, |&(i, _, _)| i + 1);
                if all.len() > VALUES_PER_FEATURE + 1 {
                    let rest = all.split_off(VALUES_PER_FEATURE);
                    all.extend(rest.into_iter().rev().max_by_key(|&(_, _, len)| len));
                }
            }
            (Values::Floats(all), Values::Floats(more))
            | (Values::Ints(all), Values::Ints(more)) => {
                let room = LIST_VALUES.saturating_sub(all.len());
                all.extend(more.into_iter().take(room));
            }
            _ => {}
        }
    }
    Some(joined)
}

/// The features of an `Example` (field 1 `Features`), or of a
/// `SequenceExample`: its context (also field 1, `map<string, Feature>`)
/// and its feature lists (field 2, `map<string, FeatureList>`).
fn example(b: &[u8]) -> Vec<(String, Values<'_>)> {
    let mut out = Vec::new();
    for (n, w) in fields(b) {
        let (n @ (1 | 2), Wire::Bytes(features, _)) = (n, w) else {
            continue;
        };
        for (m, entry) in fields(features) {
            let (1, Wire::Bytes(entry, _)) = (m, entry) else {
                continue;
            };
            let (mut key, mut value) = (String::new(), None);
            for (k, w) in fields(entry) {
                match (k, w) {
                    (1, Wire::Bytes(name, _)) => key = String::from_utf8_lossy(name).into_owned(),
                    (2, Wire::Bytes(f, _)) if n == 1 => value = feature(f),
                    (2, Wire::Bytes(f, _)) => value = feature_list(f),
                    _ => {}
                }
            }
            if let Some(v) = value {
                out.push((key, v));
            }
            if out.len() >= MAX_FEATURES {
                return out;
            }
        }
    }
    out
}

/// The fuzz entry: an Example's features decoded.
pub(super) fn fuzz(b: &[u8]) -> usize {
    example(b).len()
}

impl Walk<'_> {
    pub(super) fn tfrecord(
        &mut self,
        level: &Level<'_, '_>,
        sniff: &Sniff,
        prefix: &str,
        depth: u32,
    ) -> Step<()> {
        if sniff.evidence.get("compression").and_then(|v| v.as_str()) == Some("zlib") {
            let Some(budget) = self.remaining(prefix) else {
                return Ok(());
            };
            let mut r = Reader::new(level);
            let input = r.from(0, (budget as usize).saturating_add(64 << 10))?;
            let plain = decompress(Codec::Zlib, &input, budget as usize);
            self.spent += plain.len() as u64;
            let inner = Level {
                size: plain.len() as u64,
                bytes: LevelBytes::Memory(&plain),
            };
            return self.records(&inner, prefix, depth);
        }
        self.records(level, prefix, depth)
    }

    fn records(&mut self, level: &Level<'_, '_>, prefix: &str, depth: u32) -> Step<()> {
        let mut r = Reader::new(level);
        let mut pos = 0u64;
        let mut done: Vec<String> = Vec::new();
        // Keys met so far. An ordinary shard holds the same keys in every
        // record; a key first met in a later record (a recording appended
        // to a shard of captions) is judged as the first records' are.
        let mut seen: std::collections::HashSet<String> = std::collections::HashSet::new();
        // Keys whose byte values were binary and held no audio: what the
        // records left unread, once a recording is found, might still hold
        // audio under.
        let mut open: Vec<String> = Vec::new();
        let mut searched = Searched::default();
        let mut record = 0;
        while pos + 12 <= r.size() && !self.out_of_time(prefix) {
            // The object holds a recording: the records past the first
            // (and past the one that held it) are read only to look for one.
            if record >= MAX_RECORDS && !done.is_empty() {
                for key in open.iter().filter(|k| !done.contains(k)) {
                    self.limit(
                        prefix,
                        Limit::Members,
                        format!(
                            "tfrecord feature {key}: binary values looked at in the first {record} records; the rest not inspected"
                        ),
                    );
                }
                break;
            }
            let head = r.at(pos, 12)?;
            let len = u64::from_le_bytes(head[..8].try_into().unwrap_or_default());
            let crc = u32::from_le_bytes(head[8..12].try_into().unwrap_or_default());
            if crc != masked_crc32c(&head[..8]) && !cfg!(fuzzing) {
                return malformed(format!(
                    "record {record} at {pos}: length CRC does not match"
                ));
            }
            let end = pos.checked_add(16).and_then(|p| p.checked_add(len));
            if end.is_none_or(|e| e > r.size()) {
                return malformed(format!(
                    "record {record} at {pos} declares {len} bytes past the end"
                ));
            }
            let Some(budget) = self.remaining(prefix) else {
                return Ok(());
            };
            let payload = r.from(pos + 12, len.min(budget) as usize)?;
            self.spent += payload.len() as u64;
            for (key, values) in example(&payload) {
                if done.contains(&key) {
                    continue;
                }
                let first = !seen.contains(&key);
                if first {
                    if seen.len() == MAX_KEYS {
                        return Err(Stop::Bound(format!(
                            "more than {MAX_KEYS} feature keys; records from {record} on not inspected"
                        )));
                    }
                    seen.insert(key.clone());
                }
                // Past the first records, a key met before is looked at
                // again only where its bytes are not text: numbers and text
                // were judged where it was met, and are what every record
                // of an ordinary shard holds.
                let again = record < MAX_RECORDS || first;
                let name = format!("record {record}/{key}");
                let hit = match values {
                    Values::Bytes(list) => {
                        let (mut hit, mut binary) = (false, false);
                        for (i, v, declared) in list.iter() {
                            if v.is_empty() {
                                continue;
                            }
                            let text = crate::sniff::is_text(v);
                            binary |= !text;
                            if !again && text {
                                continue;
                            }
                            let name = if list.len() > 1 {
                                format!("{name}[{i}]")
                            } else {
                                name.clone()
                            };
                            let audio = match again {
                                true => self.value(prefix, &name, v, *declared, depth),
                                false => self.value_searched(
                                    &mut searched,
                                    prefix,
                                    &name,
                                    v,
                                    *declared,
                                    depth,
                                )?,
                            };
                            if audio {
                                hit = true;
                                break;
                            }
                        }
                        // Every value was looked at unless one held audio.
                        if !hit && binary && !open.contains(&key) {
                            open.push(key.clone());
                        }
                        hit
                    }
                    _ if !again => false,
                    Values::Floats(x) => self.list_samples(prefix, &name, "float32", &x, 4),
                    Values::Ints(x) => self.list_samples(prefix, &name, "int64", &x, 8),
                };
                if hit {
                    done.push(key);
                }
            }
            pos = end.unwrap_or(u64::MAX);
            record += 1;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An Example with one feature, built by hand: key + Feature bytes.
    pub(crate) fn example_with(key: &str, feature: &[u8]) -> Vec<u8> {
        let msg = |field: u8, body: &[u8]| {
            let mut v = vec![field << 3 | 2];
            v.extend(crate::sniff::testutil::leb128(body.len() as u64));
            v.extend(body);
            v
        };
        let mut entry = msg(1, key.as_bytes());
        entry.extend(msg(2, feature));
        msg(1, &msg(1, &entry))
    }

    #[test]
    fn features_of_each_kind_decode() {
        let bytes = [0x0a, 0x05, 0x0a, 0x03, b'a', b'b', b'c'];
        let ex = example_with("audio", &bytes);
        assert_eq!(
            example(&ex),
            vec![(
                "audio".to_string(),
                Values::Bytes(vec![(0, &b"abc"[..], 3)])
            )]
        );
        let floats = [0x12, 0x0a, 0x0a, 0x08, 0, 0, 0x80, 0x3f, 0, 0, 0, 0xc0];
        assert_eq!(feature(&floats), Some(Values::Floats(vec![1.0, -2.0])));
        // int64 -1 is a ten-byte varint.
        let ints = [
            0x1a, 0x0d, 0x0a, 0x0b, 0x05, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
            0x01,
        ];
        assert_eq!(feature(&ints), Some(Values::Ints(vec![5.0, -1.0])));
    }

    /// A bytes list of metadata strings with a recording among them:
    /// the first two values and the largest are sniffed, each named by
    /// its place in the list.
    #[test]
    fn the_largest_value_of_a_bytes_list_is_sniffed_with_the_first() {
        let values: Vec<Vec<u8>> = vec![
            b"speaker-7".to_vec(),
            b"en-GB".to_vec(),
            b"2026-01-01".to_vec(),
            vec![b'x'; 4000],
            b"ok".to_vec(),
        ];
        // Field 1, length-delimited: a tag, a two-byte length, the body.
        let field = |body: &[u8]| {
            let n = body.len();
            [&[0x0a, (n & 0x7f) as u8 | 0x80, (n >> 7) as u8][..], body].concat()
        };
        let list: Vec<u8> = values.iter().flat_map(|v| field(v)).collect();
        let bytes = field(&list);
        let Some(Values::Bytes(got)) = feature(&bytes) else {
            panic!("a bytes list");
        };
        let kept: Vec<(usize, usize)> = got.iter().map(|&(i, v, _)| (i, v.len())).collect();
        assert_eq!(kept, vec![(0, 9), (1, 5), (3, 4000)]);
    }

    /// A SequenceExample's feature list is one list over its steps:
    /// frames of samples joined in order, byte strings numbered across
    /// steps and kept as a feature's are.
    #[test]
    fn a_feature_list_joins_its_steps() {
        let msg = |field: u8, body: &[u8]| [&[field << 3 | 2, body.len() as u8][..], body].concat();
        let floats = |x: &[f32]| {
            let packed: Vec<u8> = x.iter().flat_map(|v| v.to_le_bytes()).collect();
            msg(2, &msg(1, &packed))
        };
        let bytes = |v: &[u8]| msg(1, &msg(1, v));
        let list = |steps: &[Vec<u8>]| {
            let body: Vec<u8> = steps.iter().flat_map(|f| msg(1, f)).collect();
            let entry = [msg(1, b"audio"), msg(2, &body)].concat();
            // SequenceExample { feature_lists = 2 { feature_list = 1 { … } } }
            msg(2, &msg(1, &entry))
        };
        let seq = list(&[floats(&[0.5, -0.5]), floats(&[0.25])]);
        assert_eq!(
            example(&seq),
            vec![("audio".into(), Values::Floats(vec![0.5, -0.5, 0.25]))]
        );
        let steps: Vec<Vec<u8>> = [&b"a"[..], b"bb", b"c", b"dddd", b"ee"]
            .iter()
            .map(|v| bytes(v))
            .collect();
        let seq = list(&steps);
        let Values::Bytes(got) = &example(&seq)[0].1 else {
            panic!("a bytes list");
        };
        let kept: Vec<(usize, &[u8])> = got.iter().map(|&(i, v, _)| (i, v)).collect();
        assert_eq!(kept, vec![(0, &b"a"[..]), (1, b"bb"), (3, b"dddd")]);
        // A context feature under the same key is read as a feature.
        let ctx = msg(
            1,
            &msg(1, &[msg(1, b"id"), msg(2, &floats(&[1.0]))].concat()),
        );
        assert_eq!(
            example(&ctx),
            vec![("id".into(), Values::Floats(vec![1.0]))]
        );
    }

    #[test]
    fn truncated_and_hostile_messages_end_quietly() {
        // A bytes field declaring 2^62 bytes keeps what there is.
        let b = [
            0x0a, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x40, b'x',
        ];
        assert_eq!(fields(&b), vec![(1, Wire::Bytes(&b"x"[..], 1 << 62))]);
        assert!(
            fields(&[0x0b]).is_empty(),
            "wire type 3 (groups) ends the message"
        );
        assert!(fields(&[0xff; 12]).is_empty(), "an endless varint");
        assert_eq!(feature(&[0x22, 0x00]), None, "feature kind 4");
        assert!(example(&[0x0a, 0x02, 0x0a, 0x7f]).is_empty());
    }
}
