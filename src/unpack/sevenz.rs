//! 7z archives: the header validated by [`crate::formats::sevenz`] (decoding
//! an encoded header here first), then each folder decoded from its start,
//! since a solid folder can only be read in order. Members are inspected
//! while the object's decompression budget lasts; the rest are a limit.
//!
//! atrest decodes 7z itself rather than through a 7z crate: a third-party
//! reader sized its vectors, dictionaries and model memory from declared
//! numbers (a 35-byte file could ask for exabytes), panicked on inconsistent
//! indexes, brute-forced a damaged start header, spawned decoder threads and
//! offered no way to stop at a deadline. Folders here are simple coder
//! chains (what 7-Zip writes for all but BCJ2): LZMA and LZMA2 with BCJ or
//! Delta filters through liblzma's raw decoder, whose dictionary is clamped
//! to what will actually be decoded; Copy, Deflate, Deflate64 and BZip2.
//! PPMd and BCJ2 folders are reported as not inspected.

use std::io::{BufReader, Read};
use std::time::Instant;

use super::{pump, streams, Ended, Level, Limit, Member, Walk};
use crate::formats::sevenz::{self, Bad, Folder, Header, Parsed, Streams};
use crate::sniff::{self, Class, Encryption, Sniff};

/// Largest LZMA dictionary accepted (7-Zip's ultra preset uses 64 MiB); the
/// one allocated is further clamped to the bytes that will be decoded.
const MAX_DICT: u64 = 256 << 20;

const COPY: &[u8] = &[0x00];
const DELTA: &[u8] = &[0x03];
const LZMA: &[u8] = &[0x03, 0x01, 0x01];
const LZMA2: &[u8] = &[0x21];
const PPMD: &[u8] = &[0x03, 0x04, 0x01];
const BCJ2: &[u8] = &[0x03, 0x03, 0x01, 0x1b];
const DEFLATE: &[u8] = &[0x04, 0x01, 0x08];
const DEFLATE64: &[u8] = &[0x04, 0x01, 0x09];
const BZIP2: &[u8] = &[0x04, 0x02, 0x02];
const AES: &[u8] = &[0x06, 0xf1, 0x07, 0x01];

/// `Read` over a byte range of a level, in pieces of one window (one ranged
/// GET each for a bucket object); it fails past the deadline.
struct RangeReader<'l, 'a, 'f> {
    level: &'l Level<'a, 'f>,
    pos: u64,
    end: u64,
    deadline: Instant,
}

impl Read for RangeReader<'_, '_, '_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.pos >= self.end || buf.is_empty() {
            return Ok(0);
        }
        if Instant::now() > self.deadline {
            return Err(std::io::Error::other("time is up"));
        }
        let want = (self.end - self.pos)
            .min(buf.len() as u64)
            .min(sniff::WINDOW_LEN as u64) as usize;
        let piece = self
            .level
            .from(self.pos, want)
            .ok_or_else(|| std::io::Error::other("archive bytes could not be read"))?;
        let n = piece.len().min(want);
        buf[..n].copy_from_slice(&piece[..n]);
        self.pos += n as u64;
        Ok(n)
    }
}

/// Why a folder is not decoded.
enum Undecodable {
    Encrypted,
    Unsupported(String),
}

/// A decoder for `folder`'s output. `decode_at_most` bounds what will be
/// read from it, and so the dictionary any back-reference can need.
fn folder_reader<'l>(
    level: &'l Level<'_, '_>,
    streams: &Streams,
    folder: &Folder,
    decode_at_most: u64,
    deadline: Instant,
) -> Result<Box<dyn Read + 'l>, Undecodable> {
    if folder.coders.iter().any(|c| c.method == AES) {
        return Err(Undecodable::Encrypted);
    }
    let name = |m: &[u8]| match m {
        PPMD => "PPMd".to_string(),
        BCJ2 => "BCJ2".to_string(),
        m => format!("method {m:02x?}"),
    };
    let Some(chain) = folder.chain() else {
        let methods: Vec<String> = folder.coders.iter().map(|c| name(&c.method)).collect();
        return Err(Undecodable::Unsupported(format!(
            "coder graph of {} not decoded",
            methods.join(" + ")
        )));
    };
    // `first_pack` was checked against the pack streams by the parser.
    let at = streams.pack_offsets[folder.first_pack];
    let end = at + streams.pack_sizes[folder.first_pack];
    let input = BufReader::with_capacity(
        sniff::WINDOW_LEN,
        RangeReader {
            level,
            pos: at,
            end,
            deadline,
        },
    );
    let coders: Vec<&sevenz::Coder> = chain.iter().map(|&i| &folder.coders[i]).collect();
    let first = coders[0];
    let unsupported = |m: &[u8]| Undecodable::Unsupported(format!("{} not decoded", name(m)));
    if first.method == LZMA || first.method == LZMA2 {
        let dict_cap = decode_at_most.min(folder.unpack_size()).max(4096);
        let filters = lzma_filters(&coders, dict_cap).map_err(Undecodable::Unsupported)?;
        let stream = liblzma::stream::Stream::new_raw_decoder(&filters)
            .map_err(|e| Undecodable::Unsupported(format!("LZMA decoder refused: {e}")))?;
        return Ok(Box::new(liblzma::bufread::XzDecoder::new_stream(
            input, stream,
        )));
    }
    // Delta filters after the other methods (7-Zip adds one for WAV files
    // whatever the method) are undone here; no other filter is.
    if let Some(c) = coders[1..].iter().find(|c| c.method != DELTA) {
        return Err(unsupported(&c.method));
    }
    let format = match first.method.as_slice() {
        COPY => None,
        DEFLATE => Some("deflate"),
        DEFLATE64 => Some("deflate64"),
        BZIP2 => Some("bzip2"),
        m => return Err(unsupported(m)),
    };
    let mut reader: Box<dyn Read + 'l> = match format {
        None => Box::new(input),
        Some(format) => {
            streams::decoder(format, input).map_err(|e| Undecodable::Unsupported(e.to_string()))?
        }
    };
    for c in &coders[1..] {
        let distance = c.props.first().map_or(1, |&d| usize::from(d) + 1);
        reader = Box::new(Delta::new(reader, distance));
    }
    Ok(reader)
}

/// 7-Zip's Delta filter undone: each byte is stored as its difference from
/// the byte `distance` (1 to 256) before it.
struct Delta<R> {
    inner: R,
    distance: usize,
    /// The last 256 bytes decoded, by position modulo 256.
    history: [u8; 256],
    pos: usize,
}

impl<R> Delta<R> {
    fn new(inner: R, distance: usize) -> Delta<R> {
        Delta {
            inner,
            distance,
            history: [0; 256],
            pos: 0,
        }
    }
}

impl<R: Read> Read for Delta<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        for b in &mut buf[..n] {
            let before = self.history[self.pos.wrapping_sub(self.distance) & 0xff];
            *b = b.wrapping_add(before);
            self.history[self.pos & 0xff] = *b;
            self.pos = self.pos.wrapping_add(1);
        }
        Ok(n)
    }
}

/// liblzma's raw filter chain for `coders` (decoding order: LZMA first, then
/// BCJ/Delta filters). liblzma wants the encoder's order, LZMA last.
fn lzma_filters(
    coders: &[&sevenz::Coder],
    dict_cap: u64,
) -> Result<liblzma::stream::Filters, String> {
    use liblzma::stream::{Filters, LzmaOptions};
    if coders.len() > 4 {
        return Err(format!("chain of {} coders not decoded", coders.len()));
    }
    let mut filters = Filters::new();
    let refused = |e: liblzma::stream::Error| format!("filter properties refused: {e}");
    for c in coders[1..].iter().rev() {
        let p = &c.props[..];
        match c.method.as_slice() {
            DELTA if p.len() == 1 => filters.delta_properties(p).map(|_| ()),
            DELTA => Ok(filters.delta()).map(|_| ()),
            m => {
                let bcj: Option<fn(&mut Filters) -> &mut Filters> = match m {
                    [0x03, 0x03, 0x01, 0x03] => Some(Filters::x86),
                    [0x03, 0x03, 0x02, 0x05] => Some(Filters::powerpc),
                    [0x03, 0x03, 0x04, 0x01] => Some(Filters::ia64),
                    [0x03, 0x03, 0x05, 0x01] => Some(Filters::arm),
                    [0x03, 0x03, 0x07, 0x01] => Some(Filters::arm_thumb),
                    [0x03, 0x03, 0x08, 0x05] => Some(Filters::sparc),
                    [0x0a] => Some(Filters::arm64),
                    [0x0b] => Some(Filters::riscv),
                    _ => None,
                };
                // A start offset in the properties is rare; not honoured.
                match bcj {
                    Some(add) if p.is_empty() => {
                        add(&mut filters);
                        Ok(())
                    }
                    _ => return Err(format!("filter {m:02x?} before LZMA not decoded")),
                }
            }
        }
        .map_err(refused)?;
    }
    let c = coders[0];
    let mut opts = LzmaOptions::new();
    let declared = if c.method == LZMA {
        let p = c.props.get(..5).ok_or("LZMA properties too short")?;
        let (mut lclppb, dict) = (p[0], u32::from_le_bytes([p[1], p[2], p[3], p[4]]));
        if lclppb >= 9 * 5 * 5 {
            return Err("LZMA properties out of range".into());
        }
        opts.literal_context_bits(u32::from(lclppb % 9));
        lclppb /= 9;
        opts.literal_position_bits(u32::from(lclppb % 5));
        opts.position_bits(u32::from(lclppb / 5));
        u64::from(dict)
    } else {
        let bits = *c.props.first().ok_or("LZMA2 properties too short")?;
        match bits {
            0..=39 => u64::from(2 | (bits & 1)) << (bits / 2 + 11),
            40 => u64::from(u32::MAX),
            _ => return Err("LZMA2 dictionary size out of range".into()),
        }
    };
    if declared > MAX_DICT {
        return Err(format!(
            "LZMA dictionary of {declared} bytes is over {MAX_DICT}"
        ));
    }
    // A back-reference can reach no further than the bytes decoded so far.
    let dict = declared.min(dict_cap).max(4096);
    opts.dict_size(dict as u32);
    if c.method == LZMA {
        filters.lzma1(&opts);
    } else {
        filters.lzma2(&opts);
    }
    Ok(filters)
}

impl Walk<'_> {
    /// A `sealed` archive (one whose header names the AES coder) is
    /// walked too, since one encrypted folder says nothing of the others;
    /// a header it cannot read keeps the claim without a limit.
    pub(super) fn seven_zip(
        &mut self,
        level: &Level<'_, '_>,
        sealed: bool,
        prefix: &str,
        depth: u32,
    ) {
        match self.seven_zip_header(level) {
            Ok(Some(header)) => self.seven_zip_members(level, &header, prefix, depth),
            Ok(None) => {}
            Err(_) if sealed => {}
            Err(e) => self.limit(
                prefix,
                Limit::Unsupported,
                format!("7z header not read: {e}"),
            ),
        }
    }

    /// The validated header, decoding an encoded one; `None` for an empty archive.
    fn seven_zip_header(&mut self, level: &Level<'_, '_>) -> Result<Option<Header>, String> {
        let start = level
            .at(0, sevenz::SIGNATURE_LEN as usize)
            .ok_or("start header could not be read")?;
        let Some(next) = sevenz::next_header(&start, level.size).map_err(|e| e.to_string())? else {
            return Ok(None);
        };
        // `next.size` is at most MAX_HEADER (16 MiB), checked above.
        let bytes = level
            .at(next.offset, next.size as usize)
            .ok_or("header could not be read")?;
        if sevenz::crc32(&bytes) != next.crc {
            return Err(Bad::Invalid("header CRC mismatch").to_string());
        }
        let streams = match sevenz::parse(&bytes, level.size).map_err(|e| e.to_string())? {
            Parsed::Plain(h) => return Ok(Some(h)),
            Parsed::Encoded(streams) => streams,
        };
        let folder = &streams.folders[0];
        let size = folder.unpack_size();
        let mut reader =
            folder_reader(level, &streams, folder, size, self.deadline).map_err(|e| match e {
                Undecodable::Encrypted => "header encrypted".to_string(),
                Undecodable::Unsupported(m) => format!("encoded header: {m}"),
            })?;
        let mut decoded = Vec::new();
        match pump(&mut *reader, size, Some(&mut decoded), self.deadline) {
            (_, Ended::Full) => {}
            (_, Ended::Time) => return Err("time ran out decoding the header".into()),
            (got, Ended::Eof) => return Err(format!("encoded header ends at {got} of {size}")),
            (_, Ended::Failed(e)) => return Err(format!("encoded header not decoded: {e}")),
        }
        sevenz::parse_decoded(&decoded, level.size)
            .map(Some)
            .map_err(|e| e.to_string())
    }

    fn seven_zip_members(&mut self, level: &Level<'_, '_>, h: &Header, prefix: &str, depth: u32) {
        let keep = self.limits.max_member_bytes;
        let max_members = self.limits.max_members;
        let mut files = h.files.iter().filter(|f| f.has_stream);
        let mut sizes = h.streams.substream_sizes.iter().copied();
        let (mut inspected, mut over_members, mut over_budget) = (0u64, 0u64, 0u64);
        for folder in &h.streams.folders {
            let members: Vec<(&sevenz::Entry, u64)> = files
                .by_ref()
                .zip(sizes.by_ref())
                .take(folder.substreams as usize)
                .collect();
            let n = members.len() as u64;
            if n == 0 {
                continue;
            }
            if self.out_of_time(prefix) {
                over_budget += n;
                continue;
            }
            if inspected >= max_members {
                over_members += n;
                continue;
            }
            let decode_at_most = self.object_left();
            let mut reader =
                match folder_reader(level, &h.streams, folder, decode_at_most, self.deadline) {
                    Ok(r) => r,
                    Err(Undecodable::Encrypted) => {
                        for (entry, size) in members {
                            self.inside.members.push(Member {
                                member: super::chain(prefix, &entry.name),
                                sniff: by_name(&entry.name),
                                size,
                            });
                        }
                        continue;
                    }
                    Err(Undecodable::Unsupported(m)) => {
                        self.limit(
                            prefix,
                            Limit::Unsupported,
                            format!("{n} 7z member(s) not inspected: {m}"),
                        );
                        continue;
                    }
                };
            for (j, &(entry, size)) in members.iter().enumerate() {
                let left = n - j as u64;
                if inspected >= max_members {
                    over_members += left;
                    break;
                }
                let allowance = self.object_left();
                if allowance == 0 {
                    over_budget += left;
                    break;
                }
                let mut head = Vec::new();
                let want = size.min(keep).min(allowance);
                let (got, ended) = pump(&mut *reader, want, Some(&mut head), self.deadline);
                self.spent += got;
                inspected += 1;
                let name = if entry.name.is_empty() {
                    format!("(file {j})")
                } else {
                    entry.name.clone()
                };
                if size > allowance {
                    self.limit(
                        &super::chain(prefix, &name),
                        Limit::ObjectBytes,
                        format!(
                            "member of {size} bytes is larger than the decompression budget; \
                             inspected its first {got} bytes"
                        ),
                    );
                } else {
                    // Within the object's budget but over the member's.
                    self.judged_from_head(prefix, &name, size, got, want);
                }
                let stop = self.seven_zip_stop(prefix, &name, ended);
                self.member(prefix, &name, &head, size, depth);
                if stop {
                    over_budget += left - 1;
                    break;
                }
                if j + 1 == members.len() {
                    break;
                }
                // The next member of a solid folder starts where this one ends.
                let tail = size - got;
                if tail > self.object_left() {
                    over_budget += left - 1;
                    break;
                }
                let (skipped, ended) = pump(&mut *reader, tail, None, self.deadline);
                self.spent += skipped;
                if self.seven_zip_stop(prefix, &name, ended) {
                    over_budget += left - 1;
                    break;
                }
            }
        }
        if over_members > 0 {
            self.limit(
                prefix,
                Limit::Members,
                format!("{over_members} 7z members beyond the first {max_members} not inspected"),
            );
        }
        if over_budget > 0 {
            self.limit(
                prefix,
                Limit::ObjectBytes,
                format!("{over_budget} 7z members beyond the decompression budget not inspected"),
            );
        }
    }

    /// Reports why decoding a folder stopped early; true when it did.
    fn seven_zip_stop(&mut self, prefix: &str, name: &str, ended: Ended) -> bool {
        match ended {
            Ended::Full => false,
            Ended::Eof => {
                self.limit(
                    &super::chain(prefix, name),
                    Limit::Unsupported,
                    "7z data ends before the member's declared size".into(),
                );
                true
            }
            Ended::Failed(e) => {
                self.limit(
                    &super::chain(prefix, name),
                    Limit::Unsupported,
                    format!("7z data not decoded: {e}"),
                );
                true
            }
            Ended::Time => {
                self.out_of_time(prefix);
                true
            }
        }
    }
}

/// A member of an encrypted folder: its class from its name alone (7z
/// names stay in the clear unless the header is encrypted too).
fn by_name(name: &str) -> Sniff {
    let (format, class) =
        sniff::formats::of_extension(name).unwrap_or(("unknown", Class::Encrypted));
    Sniff::new(format, None, class, Encryption::Encrypted)
        .with(
            "basis",
            "content encrypted; class inferred from the member name",
        )
        .with("scheme", "7zAES")
}

#[cfg(test)]
mod tests {
    use super::super::tests::{look, look_with, wav};
    use crate::formats::sevenz::tests::{archive, n7};
    use crate::rules::RuleSet;
    use crate::unpack::Limit;
    use liblzma::stream::{Action, Filters, LzmaOptions, Status, Stream};

    #[test]
    fn delta_is_undone_at_each_distance() {
        use std::io::Read;
        let plain: Vec<u8> = (0..1000u32).map(|i| (i * i % 251) as u8).collect();
        for distance in [1usize, 2, 4, 256] {
            let delta: Vec<u8> = (0..plain.len())
                .map(|i| {
                    plain[i].wrapping_sub(if i >= distance {
                        plain[i - distance]
                    } else {
                        0
                    })
                })
                .collect();
            // Small reads, so the history carries across them.
            let mut r = super::Delta::new(Read::chain(&delta[..7], &delta[7..]), distance);
            let (mut out, mut buf) = (Vec::<u8>::new(), [0u8; 13]);
            loop {
                let n = r.read(&mut buf).unwrap();
                if n == 0 {
                    break;
                }
                out.extend(&buf[..n]);
            }
            assert_eq!(out, plain, "distance {distance}");
        }
    }

    const COPY_CODER: &[u8] = &[0x01, 0x00];

    /// LZMA2 coder bytes with dictionary byte `dict`.
    fn lzma2_coder(dict: u8) -> Vec<u8> {
        vec![0x21, 0x21, 1, dict]
    }

    fn raw_encode(data: &[u8], lzma1: bool) -> Vec<u8> {
        let mut opts = LzmaOptions::new_preset(1).unwrap();
        opts.dict_size(1 << 20);
        let mut f = Filters::new();
        if lzma1 {
            f.lzma1(&opts);
        } else {
            f.lzma2(&opts);
        }
        let mut s = Stream::new_raw_encoder(&f).unwrap();
        let mut out = Vec::with_capacity(data.len() + 4096);
        let mut input = data;
        loop {
            let before = s.total_in();
            let status = s.process_vec(input, &mut out, Action::Finish).unwrap();
            input = &input[(s.total_in() - before) as usize..];
            if status == Status::StreamEnd {
                return out;
            }
            out.reserve(out.capacity().max(4096));
        }
    }

    fn utf16_names(names: &[&str]) -> Vec<u8> {
        names
            .iter()
            .flat_map(|n| n.encode_utf16().chain([0]).flat_map(u16::to_le_bytes))
            .collect()
    }

    /// A plain header: one folder of `coder` over pack stream `pack_pos`
    /// (`pack_len` bytes), cut into files `sizes` named `names`.
    fn header(
        coder: &[u8],
        pack_pos: u64,
        pack_len: u64,
        sizes: &[u64],
        names: &[&str],
    ) -> Vec<u8> {
        let mut h = vec![1, 4, 6];
        h.extend(n7(pack_pos));
        h.extend(n7(1));
        h.push(9);
        h.extend(n7(pack_len));
        // End of pack info; one folder, not external, of one coder.
        h.extend([0, 7, 0x0b, 1, 0, 1]);
        h.extend(coder);
        h.push(0x0c);
        h.extend(n7(sizes.iter().sum()));
        h.extend([0, 8, 0x0d]);
        h.extend(n7(sizes.len() as u64));
        h.push(9);
        for s in &sizes[..sizes.len() - 1] {
            h.extend(n7(*s));
        }
        h.extend([0, 0, 5]);
        h.extend(n7(names.len() as u64));
        let names = utf16_names(names);
        h.push(0x11);
        h.extend(n7(names.len() as u64 + 1));
        h.push(0);
        h.extend(names);
        h.extend([0, 0]);
        h
    }

    #[test]
    fn a_stored_member_is_inspected() {
        let w = wav();
        let h = header(COPY_CODER, 0, w.len() as u64, &[w.len() as u64], &["a.wav"]);
        let inside = look(&archive(&h, &w, None));
        assert!(inside.limits.is_empty(), "{:?}", inside.limits);
        assert_eq!(inside.members[0].member, "a.wav");
        assert_eq!(inside.members[0].sniff.format, "wav");
    }

    /// Self-extractors: a program, then the archive where its section
    /// table ends, past the head (7-Zip's 7zCon.sfx is 487 KiB). A zip
    /// there too (Info-ZIP's `unzipsfx`). Other bytes behind a program
    /// open nothing.
    #[test]
    fn an_archive_behind_a_program_is_walked() {
        let w = wav();
        let h = header(COPY_CODER, 0, w.len() as u64, &[w.len() as u64], &["a.wav"]);
        let mut stub = vec![0u8; 100 << 10];
        stub[..7].copy_from_slice(b"\x7fELF\x02\x01\x01");
        let table = stub.len() as u64 - 2 * 64;
        stub[40..48].copy_from_slice(&table.to_le_bytes());
        stub[52..54].copy_from_slice(&64u16.to_le_bytes());
        stub[58..60].copy_from_slice(&64u16.to_le_bytes());
        stub[60..62].copy_from_slice(&2u16.to_le_bytes());
        let sfx = [stub.clone(), archive(&h, &w, None)].concat();
        let inside = look(&sfx);
        assert!(inside.limits.is_empty(), "{:?}", inside.limits);
        assert_eq!(inside.members[0].member, "a.wav");
        assert_eq!(inside.members[0].sniff.format, "wav");
        let zip = crate::sniff::wrapper::tests::tiny_zip("b.wav", &w, 0, 0);
        let inside = look(&[stub.clone(), zip].concat());
        assert!(inside.limits.is_empty(), "{:?}", inside.limits);
        assert_eq!(inside.members[0].member, "b.wav");
        assert_eq!(inside.members[0].sniff.format, "wav");
        // Beyond the depth the walk opens, a limit says what was left
        // closed (the WAV compressed, so that no window of the program's
        // bytes shows it either).
        let packed = raw_encode(&w, false);
        let h = header(
            &lzma2_coder(16),
            0,
            packed.len() as u64,
            &[w.len() as u64],
            &["a.wav"],
        );
        let mut nested = [stub.clone(), archive(&h, &packed, None)].concat();
        for _ in 0..3 {
            nested = crate::sniff::tiny_zip_with_extra("inner.zip", &nested, 0, 0, &[]);
        }
        let inside = look(&nested);
        assert!(
            inside.limits.iter().any(|l| l.limit == Limit::Depth
                && l.message.starts_with("7z behind a elf beyond")),
            "{:?}",
            inside.limits
        );
        assert!(inside.members.iter().all(|m| m.sniff.format != "wav"));
        let other = [stub, crate::sniff::testutil::pseudo_random(8192, 1)].concat();
        let inside = look(&other);
        assert!(inside.members.is_empty() && inside.limits.is_empty());
    }

    #[test]
    fn a_solid_lzma2_folder_yields_every_member() {
        let w = wav();
        let notes = b"meeting notes\n".repeat(50);
        let mut data = notes.clone();
        data.extend(&w);
        let packed = raw_encode(&data, false);
        let sizes = [notes.len() as u64, w.len() as u64];
        let h = header(
            &lzma2_coder(16),
            0,
            packed.len() as u64,
            &sizes,
            &["n.txt", "b.wav"],
        );
        let inside = look(&archive(&h, &packed, None));
        assert!(inside.limits.is_empty(), "{:?}", inside.limits);
        let formats: Vec<&str> = inside.members.iter().map(|m| &*m.sniff.format).collect();
        assert_eq!(formats, ["text", "wav"]);
    }

    #[test]
    fn an_encoded_header_is_decoded() {
        let w = wav();
        let plain = header(COPY_CODER, 0, w.len() as u64, &[w.len() as u64], &["a.wav"]);
        let packed_header = raw_encode(&plain, true);
        let mut h = vec![0x17, 6];
        h.extend(n7(w.len() as u64));
        h.extend([1, 9]);
        h.extend(n7(packed_header.len() as u64));
        h.extend([0, 7, 0x0b, 1, 0, 1, 0x23, 3, 1, 1, 5, 0x5d]);
        h.extend((1u32 << 16).to_le_bytes());
        h.push(0x0c);
        h.extend(n7(plain.len() as u64));
        h.extend([0, 0]);
        let mut packed = w.clone();
        packed.extend(&packed_header);
        let inside = look(&archive(&h, &packed, None));
        assert!(inside.limits.is_empty(), "{:?}", inside.limits);
        assert_eq!(inside.members[0].sniff.format, "wav");
    }

    #[test]
    fn a_four_gib_dictionary_is_refused_not_allocated() {
        let w = wav();
        let packed = raw_encode(&w, false);
        let h = header(
            &lzma2_coder(40),
            0,
            packed.len() as u64,
            &[w.len() as u64],
            &["a.wav"],
        );
        let inside = look(&archive(&h, &packed, None));
        assert_eq!(inside.limits.len(), 1, "{:?}", inside.limits);
        assert_eq!(inside.limits[0].limit, Limit::Unsupported);
        assert!(inside.limits[0].message.contains("dictionary"));
    }

    #[test]
    fn members_beyond_the_budget_are_a_limit_and_the_first_is_judged_by_its_head() {
        let w = wav();
        let filler = vec![0u8; 300_000];
        let mut data = w.clone();
        data.extend(&filler);
        data.extend(&w);
        let packed = raw_encode(&data, false);
        let sizes = [w.len() as u64 + filler.len() as u64, w.len() as u64];
        let h = header(
            &lzma2_coder(16),
            0,
            packed.len() as u64,
            &sizes,
            &["a.wav", "b.wav"],
        );
        let mut rules = RuleSet::embedded();
        rules.limits.max_member_bytes = 4096;
        rules.limits.max_object_bytes = 100_000;
        let inside = look_with(&archive(&h, &packed, None), &rules);
        assert_eq!(inside.members.len(), 1);
        assert_eq!(inside.members[0].sniff.format, "wav");
        let kinds: Vec<Limit> = inside.limits.iter().map(|l| l.limit).collect();
        assert_eq!(kinds, [Limit::ObjectBytes], "{:?}", inside.limits);
        assert!(
            inside.limits[0].message.contains("1 more"),
            "{:?}",
            inside.limits
        );
    }

    #[test]
    fn a_member_over_its_own_budget_but_within_the_objects_says_so() {
        let w = wav();
        let packed = raw_encode(&w, false);
        let h = header(
            &lzma2_coder(16),
            0,
            packed.len() as u64,
            &[w.len() as u64],
            &["a.wav"],
        );
        let mut rules = RuleSet::embedded();
        rules.limits.max_member_bytes = 4096;
        let inside = look_with(&archive(&h, &packed, None), &rules);
        assert_eq!(inside.members[0].sniff.format, "wav");
        let kinds: Vec<Limit> = inside.limits.iter().map(|l| l.limit).collect();
        assert_eq!(kinds, [Limit::MemberBytes], "{:?}", inside.limits);
    }

    #[test]
    fn truncated_pack_data_is_a_limit_not_a_clean_member() {
        let w = wav();
        let packed = raw_encode(&w, false);
        let cut = &packed[..packed.len() / 2];
        // The pack stream is declared as cut, the member at its full size.
        let h = header(
            &lzma2_coder(16),
            0,
            cut.len() as u64,
            &[w.len() as u64],
            &["a.wav"],
        );
        let inside = look(&archive(&h, cut, None));
        assert!(
            inside.limits.iter().any(|l| l.limit == Limit::Unsupported),
            "{:?}",
            inside.limits
        );
    }
}
