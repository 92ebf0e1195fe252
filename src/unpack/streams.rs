//! Compressed streams (gzip, zstd, xz, bzip2, lz4, and the raw deflate and
//! Deflate64 of zip members): the head decompressed as far as the budget
//! allows, in pieces with the deadline checked between them, with the ratio
//! guard. A stream cut at the budget or refused by its decoder is reported
//! as a limit, never taken for a clean, complete one.

use std::borrow::Cow;
use std::io::{BufRead, Read};
use std::time::Instant;

use liblzma::stream::{Stream, CONCATENATED};

use super::{chain, pump, Ended, Level, LevelBytes, Limit, Walk, PEEK};
use crate::sniff::{Sniff, HEAD_LEN, TEXT_PROBE};

/// zstd frames asking for a window above 2^27 (128 MiB, zstd's own default
/// limit for decoders) are refused, not allocated.
const ZSTD_WINDOW_LOG_MAX: u32 = 27;
/// xz streams needing more memory than this (a dictionary over 256 MiB) are
/// refused, not allocated.
const XZ_MEMLIMIT: u64 = 288 << 20;
/// The dictionary an LZMA-alone stream is decoded with, at most: what lies
/// further back than this is beyond every budget but raised ones.
const LZMA_DICT_CAP: u32 = 256 << 20;

/// The dictionary a raw LZMA2 stream is decoded with: `xz`'s default
/// (preset 6).
const LZMA2_RAW_DICT: u32 = 8 << 20;

/// What decompressing the head of a stream gave.
pub(crate) struct Decoded {
    pub out: Vec<u8>,
    /// `Full`: cut at the limit; `Eof`: the whole stream fitted.
    pub ended: Ended,
    /// Compressed bytes consumed (for the ratio guard).
    pub consumed: usize,
}

/// Compressed streams that may follow another format's first bytes (a
/// shell installer's payload, a boot stub's kernel), by their first bytes,
/// with the decoder of one stream of each: what lies behind another
/// format's head is followed by more of that format, not by a second
/// stream.
const BEHIND: [(&[u8], &str, &str); 8] = [
    (b"\x1f\x8b\x08", "gzip", "gzip-first"),
    (b"\xfd7zXZ\x00", "xz", "xz-first"),
    (b"BZh", "bzip2", "bzip2-first"),
    (b"\x28\xb5\x2f\xfd", "zstd", "zstd-first"),
    // A 32 KiB window and each of the four levels' check bits, no preset
    // dictionary: MATLAB's v7 `.mat`, an Android backup, many a format's
    // payload behind its own header.
    (b"\x78\x01", "zlib", "zlib"),
    (b"\x78\x5e", "zlib", "zlib"),
    (b"\x78\x9c", "zlib", "zlib"),
    (b"\x78\xda", "zlib", "zlib"),
];

/// The magics of [`BEHIND`] looked for behind a recognised format's head:
/// the first four. zlib's two bytes come by chance a few times in every
/// 64 KiB, and a recognised format's own deflated parts (a PNG's image
/// data, a PDF's streams) are its walker's to read, or nobody's: they are
/// looked for only behind bytes no format explains.
const NAMED_BEHIND: usize = 4;

/// Leftmost-first, so that the automaton's vectorised prefilter runs; no
/// magic is a prefix of another's start, and each match restarts the
/// search one byte on. Behind a recognised format's head, and behind one
/// no format explains.
static BEHIND_MAGICS: std::sync::LazyLock<[aho_corasick::AhoCorasick; 2]> =
    std::sync::LazyLock::new(|| {
        [NAMED_BEHIND, BEHIND.len()].map(|n| {
            aho_corasick::AhoCorasick::builder()
                .match_kind(aho_corasick::MatchKind::LeftmostFirst)
                .build(BEHIND[..n].iter().map(|b| b.0))
                .expect("a few short magics build an automaton")
        })
    });

/// Compressed input read when the head decodes to nothing: lz4's largest
/// block (4 MiB) and its frame header, or a bzip2 block (900 kB before
/// compression) of incompressible data.
const FIRST_BLOCK_INPUT: usize = (4 << 20) + (64 << 10);

/// Decodes `input`, the first bytes of a compressed stream of `total`
/// bytes. When nothing decodes from all of it and there is more, the first
/// block is longer than what was read (bzip2 compresses 900 kB at a time,
/// lz4 up to 4 MiB): `more(FIRST_BLOCK_INPUT)` is read, once, and decoded
/// instead. Returns the input decoded, what it gave, and whether the
/// stream still gave nothing from all of it (the caller's limit).
pub(super) fn decode_first_block<'a>(
    codec: &str,
    input: Cow<'a, [u8]>,
    total: u64,
    budget: u64,
    deadline: Instant,
    more: impl FnOnce(usize) -> Option<Cow<'a, [u8]>>,
) -> (Cow<'a, [u8]>, Decoded, bool) {
    let starved = |d: &Decoded, input: &[u8]| {
        d.out.is_empty()
            && d.consumed >= input.len()
            && (input.len() as u64) < total
            && !matches!(d.ended, Ended::Time)
    };
    let d = decode(codec, &input, budget, deadline);
    if !starved(&d, &input) {
        return (input, d, false);
    }
    match more(FIRST_BLOCK_INPUT).filter(|m| m.len() > input.len()) {
        Some(longer) => {
            let d = decode(codec, &longer, budget, deadline);
            let starved = starved(&d, &longer);
            (longer, d, starved)
        }
        None => (input, d, true),
    }
}

/// Places tried behind a head: each costs a decode of a KiB at most
/// (most fail within bytes). Past them the rest are not tried, and a
/// limit says so (decoys in front of a stream would otherwise hide it);
/// a two-byte magic is common text (`x^` is zlib's `78 5E`), so the
/// bound is well above what ordinary heads hold.
const MAX_BEHIND_TRIES: usize = 256;
/// Decoded bytes a place must give (unless its whole stream is shorter):
/// a magic is a few bytes random data holds by chance, a stream that
/// decodes a KiB is not.
const BEHIND_PROOF: u64 = 1024;

/// A compressed stream found behind a head: where, and how to decode it.
pub(super) struct StreamBehind {
    at: u64,
    pub format: &'static str,
    codec: &'static str,
    /// Compressed bytes its first block needed to decode.
    input: usize,
}

impl Walk<'_> {
    /// The first place in the head of an object not opened as a container
    /// (a makeself installer: a shell script, then a tar.gz) where a
    /// compressed stream's magic starts and a KiB decodes, or a whole
    /// stream does. Places that do not decode are passed over without a
    /// word, being chance.
    pub(super) fn stream_behind(
        &mut self,
        level: &Level<'_, '_>,
        sniff: &Sniff,
        name: &str,
    ) -> Option<StreamBehind> {
        let head = level.from(0, HEAD_LEN)?;
        // Text was judged on its first 8 KiB, and a compressed stream is
        // not UTF-8 for more than a few bytes: only a head that stops being
        // text after its probe can hold one, from a little before that.
        let start = if sniff.format == "text" {
            let probe = head.len().min(TEXT_PROBE);
            let rest = std::str::from_utf8(&head[probe..]).err()?;
            (probe + rest.valid_up_to()).saturating_sub(64)
        } else {
            0
        };
        let plausible = |at: usize, format: &str| match format {
            // Reserved flag bits clear.
            "gzip" => head.get(at + 3).is_some_and(|f| f & 0xe0 == 0),
            // A block size digit, then a block's or the end's magic.
            "bzip2" => {
                head.get(at + 3).is_some_and(u8::is_ascii_digit)
                    && matches!(
                        head.get(at + 4..at + 10),
                        Some(b"1AY&SY") | Some(b"\x17rE8P\x90")
                    )
            }
            // The frame header descriptor's reserved bit clear.
            "zstd" => head.get(at + 4).is_some_and(|d| d & 0x08 == 0),
            _ => true,
        };
        // A head its own walker reads (a pg_dump's zlib chunks, a capture's
        // packets) is explained, whatever its sniff says.
        let unexplained = matches!(
            &*sniff.format,
            "binary" | "text" | "random-like" | "unknown"
        ) && super::pgdump::custom_dump(&head).is_none()
            && !super::pcap::is_capture(&head);
        let magics = &BEHIND_MAGICS[usize::from(unexplained)];
        let mut from = start;
        let places = std::iter::from_fn(|| {
            let m = magics.find(aho_corasick::Input::new(&head[..]).span(from..head.len()))?;
            from = m.start() + 1;
            let (_, format, codec) = BEHIND[m.pattern().as_usize()];
            Some((m.start(), format, codec))
        });
        // A stream behind a short header (a Kafka batch, an Avro block, a
        // database page) whose first block outruns the head (a zstd block
        // holds up to 128 KiB, a bzip2 block 900 kB) decodes nothing from
        // it: the first place so starved is read on as a stream's first
        // block is, once per object.
        let mut read_on = true;
        let places = places.filter(|&(at, format, _)| at > 0 && plausible(at, format));
        for (tried, (at, format, codec)) in places.enumerate() {
            if tried == MAX_BEHIND_TRIES {
                self.limit(
                    name,
                    Limit::Members,
                    format!(
                        "more than {MAX_BEHIND_TRIES} places where a compressed stream's magic starts in the head; the rest not tried"
                    ),
                );
                return None;
            }
            let rest = level.size - at as u64;
            let more = |n| {
                std::mem::take(&mut read_on)
                    .then(|| level.from(at as u64, n))
                    .flatten()
            };
            let (input, d, _) = decode_first_block(
                codec,
                Cow::Borrowed(&head[at..]),
                rest,
                BEHIND_PROOF,
                self.deadline,
                more,
            );
            let proven = d.out.len() as u64 >= BEHIND_PROOF
                || (matches!(d.ended, Ended::Eof) && !d.out.is_empty());
            if proven {
                return Some(StreamBehind {
                    at: at as u64,
                    format,
                    codec,
                    input: input.len(),
                });
            }
        }
        None
    }

    /// Reads a stream found behind a head as member `embedded@OFFSET`.
    pub(super) fn stream_at(
        &mut self,
        level: &Level<'_, '_>,
        name: &str,
        depth: u32,
        found: &StreamBehind,
    ) {
        let want = (self.limits.max_member_bytes as usize).min(4 * HEAD_LEN);
        let input = level
            .from(found.at, want.max(found.input))
            .unwrap_or_default();
        let stream = Level {
            size: level.size.saturating_sub(found.at),
            bytes: LevelBytes::Memory(&input),
        };
        let prefix = chain(name, &format!("embedded@{}", found.at));
        self.stream_with(&stream, found.format, found.codec, &prefix, depth);
    }

    /// Decompresses the head of a stream: as much as the budget allows.
    pub(super) fn stream(&mut self, level: &Level<'_, '_>, format: &str, prefix: &str, depth: u32) {
        self.stream_with(level, format, format, prefix, depth);
    }

    /// [`Walk::stream`] decoded by `codec` (one of `format`'s decoders).
    pub(super) fn stream_with(
        &mut self,
        level: &Level<'_, '_>,
        format: &str,
        codec: &str,
        prefix: &str,
        depth: u32,
    ) {
        // Compressed input: what the sample holds (the head), or up to the budget.
        let input = level
            .from(0, (self.limits.max_member_bytes as usize).min(4 * HEAD_LEN))
            .unwrap_or_default();
        // A spent budget still decodes a peek at the head: a recording must
        // not hide behind the members before it.
        let budget = self.budget();
        if budget == 0 {
            self.limit(
                prefix,
                Limit::ObjectBytes,
                format!("decompression budget of the object used up; {format} head only"),
            );
        }
        let budget = budget.max(PEEK);
        // A member held in memory has no more to read than it holds.
        let (input, d, starved) =
            decode_first_block(codec, input, level.size, budget, self.deadline, |n| {
                level.from(0, n)
            });
        let whole = input.len() as u64 >= level.size;
        if codec == "zlib" {
            if let Some(id) = crate::sniff::wrapper::zlib_dictionary(&input) {
                self.limit(
                    prefix,
                    Limit::Unsupported,
                    format!(
                        "{format} stream primed with a preset dictionary (id {id:08x}) it does not carry: what it copies from the dictionary was read as zeros"
                    ),
                );
            }
        }
        self.spent += d.out.len() as u64;
        let n = d.out.len();
        let ratio = n as u64 / (d.consumed as u64).max(1);
        let done = matches!(d.ended, Ended::Eof);
        // The decoder ate all the input read and asked for more: the rest
        // of the stream was never decoded.
        let rest_unread =
            matches!(d.ended, Ended::Failed(_)) && !whole && d.consumed >= input.len();
        let (mut said, mut cut) = (false, false);
        match &d.ended {
            Ended::Full if ratio > self.limits.max_ratio => self.limit(
                prefix,
                Limit::Ratio,
                format!(
                    "{format} expands more than {}:1; inspected the first {n} bytes",
                    self.limits.max_ratio
                ),
            ),
            Ended::Full => self.limit(
                prefix,
                Limit::MemberBytes,
                format!("{format} stream longer than the budget; inspected the first {n} bytes"),
            ),
            // Only the head was read: a decoder that ate all of it and asks
            // for more is the expected end, not damage, unless the head
            // decoded to less than half its size. No compressor shrinks
            // data that much by expanding it; a flood of tiny streams one
            // after another (`"a\n"` gzipped 13,000 times) does, and what
            // follows it was never decoded. So does a decoder of
            // concatenated streams that ends in the padding between two
            // (xz allows any multiple of four zeros) as the head does.
            Ended::Failed(_) | Ended::Eof if !whole && d.consumed >= input.len() => {
                // Nothing at all is the starved case below. Either way the
                // stream goes on past what was read: a recording there (an
                // attachment further down a compressed mail folder) was
                // not looked at, and the report says so.
                if n > 0 && n < input.len() / 2 {
                    said = true;
                    self.limit(
                        prefix,
                        Limit::MemberBytes,
                        format!(
                            "{format} stream: its first {} compressed bytes decoded to only {n}; the rest was not read",
                            input.len()
                        ),
                    );
                } else {
                    cut = n > 0;
                }
            }
            Ended::Eof => {}
            Ended::Failed(e) => self.limit(
                prefix,
                Limit::Unsupported,
                format!("{format} stream not decoded past byte {n}: {e}"),
            ),
            Ended::Time => {
                self.out_of_time(prefix);
            }
        }
        if d.out.is_empty() {
            // Silent above only when the decoder ran out of input: nothing
            // decoded is no verdict on what the stream holds.
            if starved {
                self.limit(
                    prefix,
                    Limit::MemberBytes,
                    format!(
                        "{format} stream: nothing decoded from its first {} bytes (a block longer than that)",
                        input.len()
                    ),
                );
            }
            return;
        }
        // The inner size is known only when the stream ended within the
        // budget; otherwise it is more than was decoded (at least a byte),
        // which tells an archive inside that its end was not reached.
        let size = if done {
            n as u64
        } else {
            (n as u64 + 1).max(level.size)
        };
        let name = inner_name(
            if prefix.is_empty() {
                self.outer_name
            } else {
                prefix
            },
            format,
        );
        let inner = self.sniff_bytes(&d.out, size);
        // A file whose head is random is judged on its middle and end as
        // well before it is called encrypted; a stream's cannot be reached
        // without decoding all of it. That verdict on the head of a longer
        // stream (a recording behind an encrypted part, both compressed)
        // is partial, and says so. A head a format names, text included,
        // speaks for the stream as a file's does, and so does one of no
        // known format, which claims nothing.
        if rest_unread && !said && inner.format == "random-like" {
            self.limit(
                prefix,
                Limit::Unsupported,
                format!(
                    "{format} stream: judged {} from the {n} bytes its first {} compressed bytes decoded to; the rest was not decoded",
                    inner.format,
                    input.len()
                ),
            );
        } else if cut {
            self.limit(
                prefix,
                Limit::MemberBytes,
                format!(
                    "{format} stream of {} bytes: judged from the {n} bytes its first {} compressed bytes decoded to; the rest was not read",
                    level.size,
                    input.len()
                ),
            );
        }
        self.keep(prefix, &name, &d.out, size, depth, inner);
        // Bytes after a stream that ends there (zlib and LZMA-alone read
        // one stream; the others read on) are judged as a file of their
        // own, a second stream as much as anything appended: kept when
        // they are anything but ordinary data, as a dataset's values are.
        // A stream found behind another format's head is followed by more
        // of that format (a FITS file's next compressed tile), not looked at.
        let rest = input.get(d.consumed..).unwrap_or_default();
        if done && matches!(codec, "zlib" | "lzma") && rest.iter().any(|&b| b != 0) {
            let at = d.consumed as u64;
            let s = self.sniff_bytes(rest, level.size.saturating_sub(at));
            if s.class != crate::sniff::Class::Other {
                let size = level.size.saturating_sub(at);
                self.keep(prefix, &format!("embedded@{at}"), rest, size, depth, s);
            }
        }
    }
}

/// The name of what a compressed stream holds: its own name less the suffix.
fn inner_name(prefix: &str, format: &str) -> String {
    let last = prefix.rsplit("!/").next().unwrap_or("");
    let base = last.rsplit('/').next().unwrap_or("");
    for suffix in [
        ".gz", ".tgz", ".zst", ".xz", ".txz", ".bz2", ".tbz2", ".lz4", ".z", ".lzma", ".zz", ".lz",
        ".br",
    ] {
        if let Some(stem) = base.strip_suffix(suffix) {
            if !stem.is_empty() {
                return if suffix.starts_with(".t") && suffix.len() > 3 {
                    format!("{stem}.tar")
                } else {
                    stem.to_string()
                };
            }
        }
    }
    format!("({format} stream)")
}

/// A zlib stream, also one whose writer primed its window with a preset
/// dictionary it does not carry (zlib's `deflateSetDictionary`, Python's
/// `zdict`): no reader without those bytes can restore what the stream
/// copies from them, but its literals and what it copies from its own
/// output are as plain as in any stream. The deflate data is read behind a
/// stored block of 32 KiB of zeros, which stand in for the
/// dictionary, and the zeros are dropped from the output. The walk says
/// the dictionary was missing.
fn zlib<'i, R: BufRead + 'i>(mut input: R) -> std::io::Result<Box<dyn Read + 'i>> {
    let header = input.fill_buf()?;
    if header.len() < 6 || crate::sniff::wrapper::zlib_dictionary(header).is_none() {
        return Ok(Box::new(flate2::bufread::ZlibDecoder::new(input)));
    }
    input.consume(6);
    use crate::sniff::wrapper::{DICTIONARY, STAND_IN};
    static ZEROS: [u8; DICTIONARY] = [0; DICTIONARY];
    let primed = STAND_IN.chain(&ZEROS[..]).chain(input);
    let mut d = flate2::bufread::DeflateDecoder::new(primed);
    let skipped = std::io::copy(&mut (&mut d).take(DICTIONARY as u64), &mut std::io::sink())?;
    if skipped < DICTIONARY as u64 {
        return Err(std::io::Error::other("preset dictionary not taken"));
    }
    Ok(Box::new(Adler { d, read: false }))
}

/// A raw deflate decoder that, where the deflate data ends, also takes the
/// stream's 4-byte Adler-32 from its input, as a zlib decoder does: what
/// follows the stream starts after it. (The checksum covers bytes copied
/// from the dictionary, which are not known, so it is not checked.)
struct Adler<A, R> {
    d: flate2::bufread::DeflateDecoder<std::io::Chain<A, R>>,
    read: bool,
}

impl<A: BufRead, R: BufRead> Read for Adler<A, R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.d.read(buf)?;
        if n == 0 && !buf.is_empty() && !self.read {
            self.read = true;
            let (_, input) = self.d.get_mut().get_mut();
            let mut left = 4;
            while left > 0 {
                let available = input.fill_buf()?.len().min(left);
                if available == 0 {
                    break;
                }
                input.consume(available);
                left -= available;
            }
        }
        Ok(n)
    }
}

/// A decoder for `format` reading `input`, configured so that no header
/// field can make it allocate more than a fixed bound.
pub(crate) fn decoder<'i, R: BufRead + 'i>(
    format: &str,
    input: R,
) -> std::io::Result<Box<dyn Read + 'i>> {
    decoder_until(format, input, None)
}

/// [`decoder`], whose reads of streams one after another stop at
/// `deadline` too (a read that works through thousands of empty streams
/// returns nothing, so the caller cannot look at the time between them).
pub(crate) fn decoder_until<'i, R: BufRead + 'i>(
    format: &str,
    input: R,
    deadline: Option<Instant>,
) -> std::io::Result<Box<dyn Read + 'i>> {
    Ok(match format {
        "gzip" => Box::new(flate2::bufread::MultiGzDecoder::new(input)),
        "zlib" => zlib(input)?,
        // The dictionary a header declares is allocated whole: capped, so
        // that a gigabyte's claim is no reason to refuse a stream whose
        // output the budget bounds far below that anyway.
        "lzma" => {
            let mut input = input;
            let mut header = [0u8; 13];
            input.read_exact(&mut header)?;
            crate::sniff::wrapper::cap_lzma_dictionary(&mut header, LZMA_DICT_CAP);
            lzma_family(
                std::io::Cursor::new(header).chain(input),
                Stream::new_lzma_decoder(XZ_MEMLIMIT),
            )?
        }
        "deflate" => Box::new(flate2::bufread::DeflateDecoder::new(input)),
        "deflate64" => Box::new(Deflate64::new(input)),
        "bzip2" => Box::new(Concatenated::new(
            input,
            "bzip2",
            bzip2::bufread::BzDecoder::new,
            bzip2::bufread::BzDecoder::into_inner,
            deadline,
        )),
        "xz" => lzma_family(input, Stream::new_stream_decoder(XZ_MEMLIMIT, CONCATENATED))?,
        "lz4" => Box::new(Concatenated::new(
            input,
            "lz4",
            lz4_flex::frame::FrameDecoder::new,
            lz4_flex::frame::FrameDecoder::into_inner,
            deadline,
        )),
        // The magic first, then blocks (and further frames).
        "lz4-legacy" => {
            let mut input = input;
            let mut magic = [0u8; 4];
            input.read_exact(&mut magic)?;
            if magic != crate::formats::lz4legacy::MAGIC {
                return Err(std::io::Error::other("no lz4 legacy magic"));
            }
            Box::new(LegacyLz4::new(input))
        }
        "yenc" => Box::new(crate::formats::yenc::Decoder::new(input)),
        // LZMA2 chunks with no header (`xz --format=raw`), whose
        // dictionary size only the writer knew: xz's default. Distances past
        // it fail, saying so, and come only after as many bytes of output.
        "lzma2-raw" => {
            let mut options =
                liblzma::stream::LzmaOptions::new_preset(6).map_err(std::io::Error::other)?;
            options.dict_size(LZMA2_RAW_DICT);
            let mut filters = liblzma::stream::Filters::new();
            filters.lzma2(&options);
            lzma_family(input, Stream::new_raw_decoder(&filters))?
        }
        // Its ring buffer grows with the output, up to the window the
        // stream declares (16 MiB at most in a standard stream).
        "brotli" => Box::new(brotli_decompressor::Decompressor::new(input, 4096)),
        // lzip: LZMA with a fixed header and a trailer, members one after
        // another.
        "lz" => lzma_family(input, Stream::new_lzip_decoder(XZ_MEMLIMIT, CONCATENATED))?,
        "zstd" => {
            let mut d = zstd::stream::read::Decoder::with_buffer(input)?;
            d.window_log_max(ZSTD_WINDOW_LOG_MAX)?;
            Box::new(d)
        }
        // One stream and nothing after it: what lies behind another
        // format's head is followed by more of that format, not by a
        // second stream, and a decoder that reads on fails there, losing
        // the output of the call that met the trailing bytes.
        "gzip-first" => Box::new(flate2::bufread::GzDecoder::new(input)),
        "bzip2-first" => Box::new(bzip2::bufread::BzDecoder::new(input)),
        "xz-first" => lzma_family(input, Stream::new_stream_decoder(XZ_MEMLIMIT, 0))?,
        "zstd-first" => {
            let mut d = zstd::stream::read::Decoder::with_buffer(input)?.single_frame();
            d.window_log_max(ZSTD_WINDOW_LOG_MAX)?;
            Box::new(d)
        }
        other => return Err(std::io::Error::other(format!("no decoder for {other}"))),
    })
}

/// Streams (or frames) one after another, read as one, where a decoder
/// reads one at a time: lz4_flex's frame decoder ends at the end of each
/// frame (an empty first frame hid all after it), and bzip2's own
/// multi-stream decoder works through any number of empty streams within
/// one call (a second per 25,000 of them, each allocating its tables)
/// where no deadline is looked at. The deadline is looked at here, every
/// [`DEADLINE_EVERY`] streams, and past [`MAX_STREAMS`] the read fails,
/// saying so (0.3–1.3 s of empty bzip2 streams).
struct Concatenated<R, D> {
    current: Option<D>,
    open: fn(R) -> D,
    close: fn(D) -> R,
    format: &'static str,
    streams: usize,
    deadline: Option<Instant>,
}

/// Streams one after another decoded from one input. Real ones come in
/// blocks of 100–900 KiB (pbzip2, a Wikipedia multistream dump's hundred
/// pages), so a head holds a few dozen; empty ones in front of a
/// recording must cost their time, not hide it.
const MAX_STREAMS: usize = 8192;
/// Streams decoded between two looks at the deadline.
const DEADLINE_EVERY: usize = 64;

impl<R: BufRead, D: Read> Concatenated<R, D> {
    fn new(
        input: R,
        format: &'static str,
        open: fn(R) -> D,
        close: fn(D) -> R,
        deadline: Option<Instant>,
    ) -> Self {
        Concatenated {
            current: Some(open(input)),
            open,
            close,
            format,
            streams: 1,
            deadline,
        }
    }
}

impl<R: BufRead, D: Read> Read for Concatenated<R, D> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        loop {
            let Some(current) = self.current.as_mut() else {
                return Ok(0);
            };
            let n = current.read(buf)?;
            if n > 0 || buf.is_empty() {
                return Ok(n);
            }
            let Some(done) = self.current.take() else {
                return Ok(0);
            };
            let mut input = (self.close)(done);
            if input.fill_buf()?.is_empty() {
                return Ok(0);
            }
            if self.streams >= MAX_STREAMS {
                return Err(std::io::Error::other(format!(
                    "more than {MAX_STREAMS} {} streams one after another; the rest not decoded",
                    self.format
                )));
            }
            if self.streams.is_multiple_of(DEADLINE_EVERY)
                && self.deadline.is_some_and(|d| Instant::now() > d)
            {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::TimedOut,
                    format!(
                        "time ran out after {} {} streams one after another",
                        self.streams, self.format
                    ),
                ));
            }
            self.streams += 1;
            self.current = Some((self.open)(input));
        }
    }
}

/// One of liblzma's decoders (xz, LZMA-alone, lzip) reading `input`, as
/// its constructor configured it.
fn lzma_family<'i, R: BufRead + 'i>(
    input: R,
    stream: Result<Stream, liblzma::stream::Error>,
) -> std::io::Result<Box<dyn Read + 'i>> {
    let stream = stream.map_err(std::io::Error::other)?;
    Ok(Box::new(liblzma::bufread::XzDecoder::new_stream(
        input, stream,
    )))
}

/// Decompresses at most `limit` bytes of `input`, in pieces, stopping at
/// `deadline`. One byte past the limit is asked for, to tell a stream that
/// ends there from a longer one.
pub(crate) fn decode(format: &str, input: &[u8], limit: u64, deadline: Instant) -> Decoded {
    // A decode whose time is up (as `pump` counts it) is left to the
    // streaming decoder, which says so.
    if format == "gzip" && Instant::now() <= deadline {
        if let Some(out) = whole_gzip(input, limit) {
            return Decoded {
                out,
                ended: Ended::Eof,
                consumed: input.len(),
            };
        }
    }
    let mut rest = input;
    // Room for a typical expansion up front: growing chunk by chunk moves
    // the output at every doubling (an allocator that cannot grow a large
    // block in place copies it).
    let room = (input.len() as u64)
        .saturating_mul(4)
        .saturating_add(super::CHUNK as u64);
    let mut out = Vec::with_capacity(room.min(limit.saturating_add(1)) as usize);
    let ended = match decoder_until(format, &mut rest, Some(deadline)) {
        Ok(mut reader) => {
            pump(
                &mut *reader,
                limit.saturating_add(1),
                Some(&mut out),
                deadline,
            )
            .1
        }
        Err(e) => Ended::Failed(e),
    };
    let consumed = input.len() - rest.len();
    let ended = if out.len() as u64 > limit {
        out.truncate(limit as usize);
        Ended::Full
    } else {
        ended
    };
    Decoded {
        out,
        ended,
        consumed,
    }
}

/// Output at most, in bytes, that [`whole_gzip`] decodes in one call: the
/// call cannot be stopped at a deadline, and takes about 20 ms per 16 MiB.
const WHOLE_GZIP_MAX: u64 = 16 << 20;

/// `input` decoded in one call when it is one gzip member and nothing
/// more, of at most `limit` (and [`WHOLE_GZIP_MAX`]) bytes, at about 1.6
/// times the streaming decoder's speed. The output is allocated at the
/// size the input's last 4 bytes declare. libdeflate checks the member's
/// CRC and size where its deflate data ends but does not say where that
/// is: the member ends at the input's end when those 8 bytes occur
/// nowhere before it. Anything else (more members, bytes after the
/// member, a size that lies, damage libdeflate refuses) is left to the
/// streaming decoder, which says where it stopped and why. The call such an
/// input wastes decodes at most the size it declares: a head cut from a
/// longer stream ends in deflate data, whose last 4 bytes pass the bounds
/// about once in 250.
///
/// On a conforming member both decoders give the same bytes. libdeflate
/// also reads a few things zlib refuses (a header CRC that does not match,
/// a name longer than 64 KiB, length codes 286–287, distance codes 30–31,
/// more code lengths than symbols, a lone code sent as `1`): what zlib
/// decodes of such a member is the start of what libdeflate decodes, so
/// the whole member is judged where zlib's reading would stop with a limit.
fn whole_gzip(input: &[u8], limit: u64) -> Option<Vec<u8>> {
    thread_local! {
        static INFLATER: std::cell::RefCell<libdeflater::Decompressor> =
            std::cell::RefCell::new(libdeflater::Decompressor::new());
    }
    let at = input.len().checked_sub(8)?;
    let declared = u64::from(u32::from_le_bytes(input[at + 4..].try_into().ok()?));
    // Deflate expands at most 1,032 to 1: a larger claim is a lie, and
    // is not allocated for.
    if declared > limit.min(WHOLE_GZIP_MAX) || declared > input.len() as u64 * 1032 {
        return None;
    }
    let mut out = vec![0u8; declared as usize];
    let n = INFLATER
        .with(|d| d.borrow_mut().gzip_decompress(input, &mut out))
        .ok()?;
    out.truncate(n);
    let mut trailer = [0u8; 8];
    trailer[..4].copy_from_slice(&libdeflater::crc32(&out).to_le_bytes());
    trailer[4..].copy_from_slice(&(n as u32).to_le_bytes());
    (memchr::memmem::find(input, &trailer) == Some(at)).then_some(out)
}

/// Decompresses at most `limit` bytes. Returns the output, whether the
/// stream ended within the limit, and how many input bytes produced it.
pub fn decompress_counted(format: &str, input: &[u8], limit: u64) -> (Vec<u8>, bool, usize) {
    // No deadline of its own: the caller bounds the input and the limit.
    let far = Instant::now() + std::time::Duration::from_secs(3600);
    let d = decode(format, input, limit, far);
    let done = matches!(d.ended, Ended::Eof);
    (d.out, done, d.consumed)
}

/// [`decompress_counted`] without the input count.
pub fn decompress(format: &str, input: &[u8], limit: u64) -> (Vec<u8>, bool) {
    let (out, done, _) = decompress_counted(format, input, limit);
    (out, done)
}

/// Deflate64 (zip method 9, 7z's 04 01 09) over a `BufRead`. The crate's own
/// reader loops while the inflater neither reads nor writes; this one fails
/// instead, so no input can spin it.
struct Deflate64<R> {
    inner: R,
    inflater: Box<deflate64::InflaterManaged>,
}

impl<R> Deflate64<R> {
    fn new(inner: R) -> Self {
        Deflate64 {
            inner,
            inflater: Box::new(deflate64::InflaterManaged::new()),
        }
    }
}

impl<R: BufRead> Read for Deflate64<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if buf.is_empty() || self.inflater.finished() {
            return Ok(0);
        }
        loop {
            let input = self.inner.fill_buf()?;
            let (eof, len) = (input.is_empty(), input.len());
            let r = self.inflater.inflate(input, buf);
            self.inner.consume(r.bytes_consumed.min(len));
            if r.data_error {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    "invalid deflate64 data",
                ));
            }
            if r.bytes_written > 0 || self.inflater.finished() {
                return Ok(r.bytes_written.min(buf.len()));
            }
            if eof {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::UnexpectedEof,
                    "deflate64 data ends early",
                ));
            }
            if r.bytes_consumed == 0 {
                return Err(std::io::Error::other("deflate64 decoder made no progress"));
            }
        }
    }
}

/// LZ4's legacy frame over a `BufRead`: blocks decoded one at a time
/// (each up to 8 MiB of output), frames one after another. A block cut
/// short by the end of the input gives what its complete sequences decode
/// to, then the read fails, saying so: the input is often only a head.
struct LegacyLz4<R> {
    input: R,
    out: Vec<u8>,
    at: usize,
    /// Why no block follows the one being served, once known.
    ended: Option<std::io::Result<()>>,
}

impl<R: BufRead> LegacyLz4<R> {
    fn new(input: R) -> Self {
        LegacyLz4 {
            input,
            out: Vec::new(),
            at: 0,
            ended: None,
        }
    }

    /// Decodes the next block into `out`; `Ok(false)` at the input's end.
    fn next_block(&mut self) -> std::io::Result<bool> {
        use crate::formats::lz4legacy::{decode_block, plausible_block, Block, BLOCK_OUT, MAGIC};
        let mut word = [0u8; 4];
        loop {
            match read_full(&mut self.input, &mut word)? {
                0 => return Ok(false),
                4 => {}
                _ => return Err(cut_short("block length")),
            }
            // A frame's magic where a block's length would be: the next frame.
            if word != MAGIC {
                break;
            }
        }
        let len = u32::from_le_bytes(word);
        if !plausible_block(len) {
            return Err(std::io::Error::other(format!(
                "lz4 legacy block of {len} bytes"
            )));
        }
        let mut block = Vec::new();
        (&mut self.input)
            .take(u64::from(len))
            .read_to_end(&mut block)?;
        self.out.clear();
        self.at = 0;
        let ended =
            decode_block(&block, &mut self.out, BLOCK_OUT).map_err(std::io::Error::other)?;
        self.ended = match ended {
            Block::Full => Some(Err(std::io::Error::other(
                "lz4 legacy block decodes past 8 MiB",
            ))),
            _ if ended == Block::CutShort || block.len() < len as usize => {
                Some(Err(cut_short("block")))
            }
            Block::Whole | Block::CutShort => None,
        };
        Ok(true)
    }
}

/// Reads as many bytes as `buf` holds, fewer only at the input's end.
fn read_full(input: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match input.read(&mut buf[n..])? {
            0 => break,
            k => n += k,
        }
    }
    Ok(n)
}

fn cut_short(what: &str) -> std::io::Error {
    std::io::Error::new(
        std::io::ErrorKind::UnexpectedEof,
        format!("lz4 legacy {what} cut short"),
    )
}

impl<R: BufRead> Read for LegacyLz4<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while self.at == self.out.len() {
            match self.ended.take() {
                Some(ended) => {
                    self.ended = Some(Ok(()));
                    ended?;
                    return Ok(0);
                }
                None => {
                    if !self.next_block()? {
                        self.ended = Some(Ok(()));
                    }
                }
            }
        }
        let n = buf.len().min(self.out.len() - self.at);
        buf[..n].copy_from_slice(&self.out[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    /// An lz4 legacy frame (`lz4 -l`) of one block holding `data`.
    fn lz4_legacy(data: &[u8]) -> Vec<u8> {
        let block = lz4_flex::block::compress(data);
        let mut f = crate::formats::lz4legacy::MAGIC.to_vec();
        f.extend((block.len() as u32).to_le_bytes());
        f.extend(block);
        f
    }

    /// Reads `input` through the lz4 legacy decoder: what came out, and
    /// the error that ended it.
    fn unlz4_legacy(input: &[u8]) -> (Vec<u8>, Option<String>) {
        let mut out = Vec::new();
        let ended = decoder_until("lz4-legacy", input, None)
            .and_then(|mut r| r.read_to_end(&mut out))
            .err()
            .map(|e| e.to_string());
        (out, ended)
    }

    #[test]
    fn lz4_legacy_frames_are_read_in_turn_and_damage_is_said() {
        let a = crate::sniff::testutil::pcm16_tone(3000);
        let b = crate::sniff::testutil::pseudo_random(5000, 1);
        let mut both = lz4_legacy(&a);
        both.extend(lz4_legacy(&b));
        assert_eq!(unlz4_legacy(&both), ([a.clone(), b].concat(), None));
        // Cut inside the first block: what its whole sequences give, and
        // the cut said.
        let (out, ended) = unlz4_legacy(&both[..both.len() / 4]);
        assert!(!out.is_empty() && a.starts_with(&out), "{}", out.len());
        assert_eq!(ended.as_deref(), Some("lz4 legacy block cut short"));
        // A block that decodes past a legacy block's 8 MiB is damage.
        let (out, ended) = unlz4_legacy(&lz4_legacy(&vec![0u8; 9 << 20]));
        assert_eq!(out.len(), 8 << 20);
        assert_eq!(
            ended.as_deref(),
            Some("lz4 legacy block decodes past 8 MiB")
        );
        // A length no block can have.
        let mut lying = crate::formats::lz4legacy::MAGIC.to_vec();
        lying.extend(u32::MAX.to_le_bytes());
        assert!(unlz4_legacy(&lying)
            .1
            .is_some_and(|e| e.contains("block of")));
    }

    /// The speech WAV compressed by a writer that primed zlib with the
    /// WAV's own 44-byte header (`zdict`): the copies of that header read
    /// as zeros, everything else decodes as written, and the walk finds
    /// the samples and says the dictionary was missing.
    #[test]
    fn a_preset_dictionary_is_stood_in_for_by_zeros() {
        let z: &[u8] = include_bytes!("../../fixtures/compressed/zlib/speech-dictionary.wav.z");
        let gz: &[u8] = include_bytes!("../../fixtures/compressed/gzip/speech.wav.gz");
        let (wav, _) = decompress("gzip", gz, 1 << 20);
        let (out, done) = decompress("zlib", z, 1 << 20);
        assert!(done);
        assert_eq!(out.len(), wav.len());
        let differ: Vec<usize> = (0..out.len()).filter(|&i| out[i] != wav[i]).collect();
        assert_eq!(differ.len(), 59, "{differ:?}");
        assert!(differ.iter().all(|&i| out[i] == 0), "{differ:?}");
        let inside = super::super::tests::look(z);
        assert!(
            inside.says("preset dictionary (id bbd50789)"),
            "{:?}",
            inside.limits
        );
        assert!(inside
            .members
            .iter()
            .any(|m| m.sniff.class == crate::sniff::Class::Audio));
        // What follows the stream starts after its Adler-32, as it does
        // behind a stream that carries no dictionary.
        let mut behind = z.to_vec();
        behind.extend_from_slice(&wav);
        let inside = super::super::tests::look(&behind);
        let at = format!("embedded@{}", z.len());
        assert!(
            inside
                .members
                .iter()
                .any(|m| m.member == at && m.sniff.format == "wav"),
            "{:?}",
            inside.members
        );
        // Without its flag the same bytes are no zlib stream at all.
        let mut plain = z.to_vec();
        plain[1] &= !0x20;
        assert_eq!(crate::sniff::wrapper::zlib_dictionary(&plain), None);
        assert_eq!(crate::sniff::wrapper::zlib_dictionary(z), Some(0xbbd5_0789));
    }

    /// A flood of tiny gzip members decodes its read head to a fraction of
    /// its size: what lies behind it was not read, and a limit says so;
    /// so does an ordinary stream whose head alone was read (a mail
    /// folder's later attachments were not looked at).
    #[test]
    fn a_head_that_decodes_to_less_than_half_its_size_is_a_limit() {
        let member = compressed("gzip", b"a\n");
        let mut flood = member.repeat(400_000 / member.len());
        flood.extend(compressed("gzip", &super::super::tests::wav()));
        let inside = super::super::tests::look(&flood);
        assert!(inside.says("decoded to only"), "{:?}", inside.limits);
        let text: Vec<u8> = (0..60_000u32)
            .flat_map(|i| format!("{i:08x} {}\n", i.wrapping_mul(2_654_435_761)).into_bytes())
            .collect();
        let gz = compressed("gzip", &text);
        assert!(gz.len() > 4 * crate::sniff::HEAD_LEN, "{}", gz.len());
        let inside = super::super::tests::look(&gz);
        assert_eq!(inside.members[0].sniff.format, "text");
        assert_eq!(inside.limits.len(), 1, "{:?}", inside.limits);
        assert!(inside.says("the rest was not read"), "{:?}", inside.limits);
        // xz streams may be padded apart by zeros: a head that ends in the
        // padding after a tiny first stream decodes to almost nothing.
        let mut padded = compressed("xz", b"x");
        padded.resize(padded.len() + 300_000, 0);
        padded.extend(compressed("xz", &super::super::tests::wav()));
        let inside = super::super::tests::look(&padded);
        assert!(inside.says("decoded to only"), "{:?}", inside.limits);
    }

    /// A file of random bytes, or of bytes no format names, has its middle
    /// and end read too; a stream's head is all that was decoded, and a
    /// verdict of that kind on it is partial: a recording behind the
    /// random part (`gzip -c secret.enc call.wav`) was never seen.
    #[test]
    fn a_random_head_of_a_longer_stream_is_a_limit() {
        let mut data = crate::sniff::testutil::pseudo_random(600_000, 5);
        data.extend(super::super::tests::wav());
        let inside = super::super::tests::look(&compressed("gzip", &data));
        assert_eq!(inside.members[0].sniff.format, "random-like");
        assert_eq!(inside.limits.len(), 1, "{:?}", inside.limits);
        assert_eq!(inside.limits[0].limit, Limit::Unsupported);
        assert!(
            inside.says("judged random-like from the"),
            "{:?}",
            inside.limits
        );
        // The whole of a short one was decoded and judged.
        let short = crate::sniff::testutil::pseudo_random(100_000, 5);
        let inside = super::super::tests::look(&compressed("gzip", &short));
        assert!(inside.limits.is_empty(), "{:?}", inside.limits);
    }

    fn compressed(format: &str, data: &[u8]) -> Vec<u8> {
        match format {
            "gzip" => {
                let mut e =
                    flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
                e.write_all(data).unwrap();
                e.finish().unwrap()
            }
            "bzip2" => {
                let mut e = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::default());
                e.write_all(data).unwrap();
                e.finish().unwrap()
            }
            "xz" => {
                let mut e = liblzma::write::XzEncoder::new(Vec::new(), 6);
                e.write_all(data).unwrap();
                e.finish().unwrap()
            }
            "lz" => {
                // lzip: `LZIP`, version 1, a 1 MiB dictionary, raw LZMA
                // (lc 3, lp 0, pb 2, with its end marker), then the CRC-32
                // of the data, its size and the member's size.
                use liblzma::stream::{Filters, LzmaOptions, Stream};
                let mut opts = LzmaOptions::new_preset(6).unwrap();
                opts.dict_size(1 << 20)
                    .literal_context_bits(3)
                    .literal_position_bits(0)
                    .position_bits(2);
                let raw = Stream::new_raw_encoder(Filters::new().lzma1(&opts)).unwrap();
                let mut e = liblzma::write::XzEncoder::new_stream(Vec::new(), raw);
                e.write_all(data).unwrap();
                let lzma = e.finish().unwrap();
                let crc = data.iter().fold(!0u32, |c, &b| {
                    (0..8).fold(c ^ u32::from(b), |c, _| {
                        (c >> 1) ^ (0xedb8_8320 & (c & 1).wrapping_neg())
                    })
                });
                let mut v = b"LZIP\x01\x14".to_vec();
                v.extend(lzma);
                v.extend((!crc).to_le_bytes());
                v.extend((data.len() as u64).to_le_bytes());
                let member = v.len() as u64 + 8;
                v.extend(member.to_le_bytes());
                v
            }
            _ => zstd::encode_all(data, 3).unwrap(),
        }
    }

    /// What follows a stream that ends before its object does is judged
    /// as a file: a second LZMA-alone stream, a WAV behind a zlib stream.
    /// Zero padding and plain text add nothing.
    #[test]
    fn bytes_after_a_single_stream_are_judged() {
        let wav = super::super::tests::wav();
        let lzma = |data: &[u8]| {
            let opts = liblzma::stream::LzmaOptions::new_preset(6).unwrap();
            let mut e = liblzma::write::XzEncoder::new_stream(
                Vec::new(),
                liblzma::stream::Stream::new_lzma_encoder(&opts).unwrap(),
            );
            e.write_all(data).unwrap();
            e.finish().unwrap()
        };
        let zlib = |data: &[u8]| {
            let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
            e.write_all(data).unwrap();
            e.finish().unwrap()
        };
        let first = lzma(b"a first stream ");
        let two = [first.clone(), lzma(&wav)].concat();
        let found = |data: &[u8]| -> Vec<(String, String)> {
            super::super::tests::look(data)
                .members
                .iter()
                .map(|m| (m.member.clone(), m.sniff.format.to_string()))
                .collect()
        };
        let at = first.len();
        assert!(
            found(&two).contains(&(format!("embedded@{at}!/(lzma stream)"), "wav".into())),
            "{:?}",
            found(&two)
        );
        let text = zlib(b"hello hello hello");
        let at = text.len();
        let behind = [text.clone(), wav.clone()].concat();
        assert!(found(&behind).contains(&(format!("embedded@{at}"), "wav".into())));
        for tail in [vec![0u8; 100], b"trailing text".to_vec()] {
            let members = found(&[text.clone(), tail].concat());
            assert!(
                members.iter().all(|(m, _)| !m.contains("embedded")),
                "{members:?}"
            );
        }
    }

    #[test]
    fn lzip_streams_are_decoded() {
        let wav = super::super::tests::wav();
        let lz = compressed("lz", &wav);
        let (out, done) = decompress("lz", &lz, 1 << 20);
        assert!(done && out == wav);
        let inside = super::super::tests::look(&lz);
        assert_eq!(inside.members[0].sniff.format, "wav", "{:?}", inside.limits);
    }

    /// A shell installer's payload (makeself: a script, then a compressed
    /// tar), and a stream with the rest of its host's bytes after it.
    #[test]
    fn a_stream_behind_a_script_or_a_program_header_is_read() {
        let wav = super::super::tests::wav();
        // A script longer than the text probe: the object is text.
        let long = b"echo installing, please wait\n".repeat(400);
        for format in ["gzip", "bzip2", "xz", "zstd"] {
            for head in [
                &b"#!/bin/sh\ntail -n +4 \"$0\" | tar xz\nexit 0\n"[..],
                b"\x7fELF\x02\x01\x01\0",
                &long,
            ] {
                let mut v = head.to_vec();
                v.extend(compressed(format, &wav));
                v.extend(b"more of the host after the stream\n".repeat(40));
                let inside = super::super::tests::look(&v);
                assert!(inside.limits.is_empty(), "{format}: {:?}", inside.limits);
                assert_eq!(inside.members.len(), 1, "{format}");
                let m = &inside.members[0];
                assert_eq!(
                    m.member,
                    format!("embedded@{}!/({format} stream)", head.len())
                );
                assert_eq!(m.sniff.format, "wav", "{format}");
            }
        }
    }

    /// A zlib stream behind a header no format names (MATLAB's v7 `.mat`,
    /// an Android backup) is read; one inside a recognised format (a PNG's
    /// image data) is that format's, and chance pairs of its two magic
    /// bytes in random bytes are passed over without a word.
    #[test]
    fn a_zlib_stream_behind_bytes_no_format_names_is_read() {
        let wav = super::super::tests::wav();
        let z = crate::sniff::testutil::zlib(&wav);
        let mut mat = format!("{:<116}", "MATLAB 5.0 MAT-file, Platform: GLNXA64").into_bytes();
        mat.extend([0; 8]);
        mat.extend(b"\x00\x01IM\x0f\x00\x00\x00");
        mat.extend((z.len() as u32).to_le_bytes());
        let backup = b"ANDROID BACKUP\n5\n1\nnone\n".to_vec();
        for head in [mat, backup] {
            let v = [&head[..], &z].concat();
            let inside = super::super::tests::look(&v);
            assert!(inside.limits.is_empty(), "{:?}", inside.limits);
            assert_eq!(inside.members.len(), 1);
            let m = &inside.members[0];
            assert_eq!(m.member, format!("embedded@{}!/(zlib stream)", head.len()));
            assert_eq!(m.sniff.format, "wav");
        }
        let mut png = crate::sniff::testutil::png_head(64, 64, 0);
        png.extend((z.len() as u32).to_be_bytes());
        png.extend(b"IDAT");
        png.extend(&z);
        assert!(super::super::tests::look(&png).members.is_empty());
        let mut noise = crate::sniff::testutil::pseudo_random(60_000, 3);
        for at in (100..60_000).step_by(3_000) {
            noise[at..at + 2].copy_from_slice(b"\x78\x9c");
        }
        let inside = super::super::tests::look(&noise);
        assert!(inside.members.is_empty() && inside.limits.is_empty());
        // Decoys in front (magics that decode nothing) do not hide a
        // stream behind them; past the places tried, a limit.
        let decoys = |n: usize| {
            let mut v = b"\x00\x01IM".to_vec();
            for i in 0..n {
                v.extend(b"\x78\x9c");
                v.extend(crate::sniff::testutil::pseudo_random(30, i as u64));
            }
            v
        };
        let inside = super::super::tests::look(&[&decoys(40)[..], &z].concat());
        assert_eq!(inside.formats(), ["wav"], "{:?}", inside.limits);
        let inside = super::super::tests::look(&[&decoys(MAX_BEHIND_TRIES)[..], &z].concat());
        assert!(inside.says("the rest not tried"), "{:?}", inside.limits);
    }

    /// A stream behind a short binary header (an Avro block, a Kafka
    /// batch) whose first block is longer than the head: a zstd block of
    /// 128 KiB, a bzip2 block of 900 kB, each compressing to more than
    /// 64 KiB. It is read on, as a stream's first block is.
    #[test]
    fn a_stream_whose_first_block_outruns_the_head_is_read_on() {
        let noise = crate::sniff::testutil::pseudo_random(1 << 20, 7);
        let pcm: Vec<u8> = noise
            .chunks_exact(2)
            .flat_map(|c| (i16::from(c[0] as i8) * 16).to_le_bytes())
            .collect();
        let mut wav = super::super::tests::wav();
        wav.truncate(44);
        wav[4..8].copy_from_slice(&(36 + pcm.len() as u32).to_le_bytes());
        wav[40..44].copy_from_slice(&(pcm.len() as u32).to_le_bytes());
        wav.extend(&pcm);
        let head = b"Obj\x01\x04\x14avro.codec\x08zstd".repeat(6);
        for format in ["zstd", "bzip2"] {
            let stream = compressed(format, &wav);
            let mut v = head.clone();
            v.extend(&stream);
            let inside = super::super::tests::look(&v);
            assert_eq!(inside.formats(), ["wav"], "{format}: {:?}", inside.limits);
        }
    }

    /// A stream behind a head deeper than the depth limit is a limit, and
    /// is not decoded.
    #[test]
    fn a_stream_behind_a_head_beyond_the_depth_limit_is_a_limit() {
        let wav = super::super::tests::wav();
        let stored =
            |name: &str, data: &[u8]| crate::sniff::tiny_zip_with_extra(name, data, 0, 0, &[]);
        let mut nested = [&b"#!/bin/sh\nexit 0\n"[..], &compressed("gzip", &wav)].concat();
        for _ in 0..3 {
            nested = stored("inner.zip", &nested);
        }
        let inside = super::super::tests::look(&nested);
        assert!(
            inside.limits.iter().any(|l| l.limit == Limit::Depth
                && l.message.starts_with("gzip stream behind a sh head beyond")),
            "{:?}",
            inside.limits
        );
        assert!(inside.members.iter().all(|m| m.sniff.format != "wav"));
    }

    /// Each magic is a few bytes random data holds: where nothing decodes
    /// behind it, nothing is reported, not even a limit.
    #[test]
    fn a_stream_magic_that_does_not_decode_is_passed_over() {
        for (magic, _, _) in BEHIND {
            let mut v = b"#!/bin/sh\nexit 0\n".to_vec();
            v.extend(crate::sniff::testutil::pseudo_random(300, 3));
            v.extend(magic);
            v.extend(b"\x00\x00\x00\x00\x00\x00\x00");
            v.extend(crate::sniff::testutil::pseudo_random(3000, 4));
            let inside = super::super::tests::look(&v);
            assert!(inside.members.is_empty(), "{magic:?}: {:?}", inside.members);
            assert!(inside.limits.is_empty(), "{magic:?}: {:?}", inside.limits);
        }
    }

    /// Raw zlib (a git loose object: `blob N\0` then the file) and
    /// LZMA-alone streams are opened; bytes that only look like their
    /// headers are not.
    #[test]
    fn zlib_and_lzma_alone_streams_are_opened() {
        let wav = super::super::tests::wav();
        let mut blob = format!("blob {}\0", wav.len()).into_bytes();
        blob.extend(&wav);
        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        z.write_all(&blob).unwrap();
        let zlib = z.finish().unwrap();
        let opts = liblzma::stream::LzmaOptions::new_preset(6).unwrap();
        let stream = liblzma::stream::Stream::new_lzma_encoder(&opts).unwrap();
        let mut l = liblzma::write::XzEncoder::new_stream(Vec::new(), stream);
        l.write_all(&wav).unwrap();
        let lzma = l.finish().unwrap();
        for (bytes, format) in [(&zlib, "zlib"), (&lzma, "lzma")] {
            let s = crate::sniff::sniff(
                &crate::sniff::Sample::new(bytes.len() as u64, bytes, &[]),
                &[],
            );
            assert_eq!(s.format, format);
            let inside = super::super::tests::look(bytes);
            assert_eq!(inside.members.len(), 1, "{format}: {:?}", inside.limits);
            assert_eq!(inside.members[0].sniff.format, "wav", "{format}");
        }
        // A zlib header on random bytes: no stream.
        let mut fake = vec![0x78, 0x9c];
        fake.extend(crate::sniff::testutil::pseudo_random(4000, 9));
        let s = crate::sniff::sniff(
            &crate::sniff::Sample::new(fake.len() as u64, &fake, &[]),
            &[],
        );
        assert_ne!(s.format, "zlib");
    }

    /// pzstd writes a skippable frame before each zstd frame.
    #[test]
    fn zstd_behind_skippable_frames_is_opened() {
        let wav = super::super::tests::wav();
        let frame = zstd::encode_all(&wav[..], 3).unwrap();
        let mut z = b"\x50\x2a\x4d\x18\x04\x00\x00\x00abcd".to_vec();
        z.extend(b"\x5f\x2a\x4d\x18\x00\x00\x00\x00");
        z.extend(&frame);
        let inside = super::super::tests::look(&z);
        assert_eq!(inside.members.len(), 1, "{:?}", inside.limits);
        assert_eq!(inside.members[0].sniff.format, "wav");
        // A skippable frame before anything else is not taken for zstd.
        let mut not = b"\x50\x2a\x4d\x18\x04\x00\x00\x00abcd".to_vec();
        not.extend(&wav);
        assert!(super::super::tests::look(&not)
            .members
            .iter()
            .all(|m| m.sniff.format != "zstd"));
        // Skippable frames past the head: one of 300 KB, or 20,000 empty
        // ones (which no head holds all of).
        let mut large = b"\x50\x2a\x4d\x18".to_vec();
        large.extend(300_000u32.to_le_bytes());
        large.resize(8 + 300_000, 0);
        let many = b"\x50\x2a\x4d\x18\x00\x00\x00\x00".repeat(20_000);
        for (what, mut z) in [("one large", large), ("many empty", many)] {
            z.extend(&frame);
            let inside = super::super::tests::look(&z);
            assert_eq!(inside.members.len(), 1, "{what}: {:?}", inside.limits);
            assert_eq!(inside.members[0].sniff.format, "wav", "{what}");
        }
    }

    #[test]
    fn decompression_stops_at_the_limit() {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(&vec![0u8; 1 << 20]).unwrap();
        let gz = e.finish().unwrap();
        let (out, done) = decompress("gzip", &gz, 4096);
        assert_eq!((out.len(), done), (4096, false));
        let (out, done) = decompress("gzip", &gz, 2 << 20);
        assert_eq!((out.len(), done), (1 << 20, true));
    }

    /// A WAV of `len` payload bytes that do not compress: a bzip2 or lz4
    /// block of it is longer than the head and the first read after it.
    fn incompressible_wav(len: usize) -> Vec<u8> {
        let mut v = super::super::tests::wav()[..44].to_vec();
        v[4..8].copy_from_slice(&(36 + len as u32).to_le_bytes());
        v[40..44].copy_from_slice(&(len as u32).to_le_bytes());
        v.extend(crate::sniff::testutil::pseudo_random(len, 5));
        v
    }

    fn lz4_max_blocks(data: &[u8]) -> Vec<u8> {
        let mut lz4 = lz4_flex::frame::FrameEncoder::with_frame_info(
            lz4_flex::frame::FrameInfo::new().block_size(lz4_flex::frame::BlockSize::Max4MB),
            Vec::new(),
        );
        lz4.write_all(data).unwrap();
        lz4.finish().unwrap()
    }

    #[test]
    fn a_first_block_longer_than_the_first_read_is_read_whole() {
        let wav = incompressible_wav(800_000);
        for stream in [compressed("bzip2", &wav), lz4_max_blocks(&wav)] {
            assert!(stream.len() > 4 * HEAD_LEN);
            let inside = super::super::tests::look(&stream);
            assert_eq!(inside.members.len(), 1, "{:?}", inside.limits);
            assert_eq!(inside.members[0].sniff.format, "wav");
        }
    }

    #[test]
    fn a_stream_that_decodes_to_nothing_from_what_was_read_is_a_limit() {
        use super::super::tests::{look, tar_header};
        // A tar member is held up to the member budget (1 MiB): an lz4
        // block longer than that cannot be read whole.
        let stream = lz4_max_blocks(&incompressible_wav(1_500_000));
        let size = format!("{:011o}\0", stream.len());
        let mut tar = tar_header(b"call.wav.lz4", b'0', size.as_bytes().try_into().unwrap());
        tar.extend(&stream);
        tar.resize(tar.len().div_ceil(512) * 512 + 1024, 0);
        let inside = look(&tar);
        assert!(
            inside.members.iter().all(|m| m.sniff.format != "wav"),
            "{:?}",
            inside.members
        );
        assert!(
            inside.limits.iter().any(|l| l.limit == Limit::MemberBytes
                && l.message
                    .starts_with("lz4 stream: nothing decoded from its first")),
            "{:?}",
            inside.limits
        );
    }

    /// The one-call decoder takes a lone member and nothing else; every
    /// conforming input decodes to what the streaming decoder gives, with
    /// the same end.
    #[test]
    fn only_a_lone_gzip_member_is_decoded_in_one_call() {
        let far = Instant::now() + std::time::Duration::from_secs(60);
        let text: Vec<u8> = b"call 17 agent=noa queue=support\n".repeat(300);
        let one = compressed("gzip", &text);
        let abc = compressed("gzip", b"abc");
        // The member's trailer (CRC and size) also in its header's extra
        // field: where the deflate data ends cannot be told from the bytes.
        let mut extra = Vec::new();
        flate2::GzBuilder::new()
            .extra(abc[abc.len() - 8..].to_vec())
            .write(&mut extra, flate2::Compression::fast())
            .write_all(b"abc")
            .unwrap();
        let mut lying = one.clone();
        let at = lying.len() - 4;
        lying[at..].copy_from_slice(&10u32.to_le_bytes());
        let cases: [(&str, Vec<u8>, bool); 7] = [
            ("one member", one.clone(), true),
            ("member in the extra field", extra, false),
            // Equal members end in equal trailers.
            (
                "two equal members",
                [abc.clone(), abc.clone()].concat(),
                false,
            ),
            ("two members", [one.clone(), abc.clone()].concat(), false),
            (
                "bytes after the member",
                [one.clone(), b"RIFF....WAVE".to_vec()].concat(),
                false,
            ),
            ("a size that lies", lying, false),
            ("cut short", one[..one.len() / 2].to_vec(), false),
        ];
        for (what, input, whole) in cases {
            assert_eq!(whole_gzip(&input, 1 << 20).is_some(), whole, "{what}");
            let mut rest = &input[..];
            let mut streamed = Vec::new();
            let mut reader = decoder("gzip", &mut rest).unwrap();
            let (_, ended) = pump(&mut *reader, 1 << 20, Some(&mut streamed), far);
            let d = decode("gzip", &input, 1 << 20, far);
            assert_eq!(d.out, streamed, "{what}");
            assert_eq!(format!("{:?}", d.ended), format!("{ended:?}"), "{what}");
        }
        // Over the limit, the streaming decoder cuts the output and says so.
        assert!(whole_gzip(&one, text.len() as u64 - 1).is_none());
        assert_eq!(whole_gzip(&one, text.len() as u64), Some(text));
        // Past the deadline nothing is decoded in one call: the time is up.
        let past = Instant::now();
        std::thread::sleep(std::time::Duration::from_millis(2));
        let d = decode("gzip", &one, 1 << 20, past);
        assert!(
            matches!(d.ended, Ended::Time) && d.out.is_empty(),
            "{:?}",
            d.ended
        );
    }

    /// Streams and frames one after another are all decoded, an empty one
    /// first included, and a flood of them ends in a failure that says so.
    #[test]
    fn concatenated_streams_are_read_on_and_counted() {
        let far = Instant::now() + std::time::Duration::from_secs(60);
        let lz4 = |data: &[u8]| {
            let mut e = lz4_flex::frame::FrameEncoder::new(Vec::new());
            e.write_all(data).unwrap();
            e.finish().unwrap()
        };
        let bz = |data: &[u8]| compressed("bzip2", data);
        for (format, frame) in [("lz4", &lz4 as &dyn Fn(&[u8]) -> Vec<u8>), ("bzip2", &bz)] {
            let input = [frame(b""), frame(b"hello "), frame(b""), frame(b"world")].concat();
            let d = decode(format, &input, 1 << 20, far);
            assert_eq!(d.out, b"hello world", "{format}");
            assert!(matches!(d.ended, Ended::Eof), "{format}: {:?}", d.ended);
            assert_eq!(d.consumed, input.len(), "{format}");
            // Two thousand empty streams in front cost time, not the data.
            let mut flood = frame(b"").repeat(2000);
            flood.extend(frame(b"RIFF"));
            let d = decode(format, &flood, 1 << 20, far);
            assert_eq!(d.out, b"RIFF", "{format}");
            // Past the deadline, the streams after it are not decoded.
            let past = Instant::now() - std::time::Duration::from_millis(1);
            let mut rest = &flood[..];
            let mut reader = decoder_until(format, &mut rest, Some(past)).unwrap();
            let mut out = Vec::new();
            let e = reader.read_to_end(&mut out).unwrap_err();
            assert_eq!(e.kind(), std::io::ErrorKind::TimedOut, "{format}");
            assert!(out.is_empty());
        }
        // Past the cap, a failure that says so (lz4: empty frames are cheap).
        let mut flood = lz4(b"").repeat(MAX_STREAMS);
        flood.extend(lz4(b"RIFF"));
        let d = decode("lz4", &flood, 1 << 20, far);
        match d.ended {
            Ended::Failed(e) => assert_eq!(
                e.to_string(),
                "more than 8192 lz4 streams one after another; the rest not decoded"
            ),
            other => panic!("{other:?}"),
        }
        assert!(d.out.is_empty());
        // Bytes after the last stream that start none are an error too.
        let d = decode(
            "lz4",
            &[lz4(b"hi"), b"not an lz4 frame".to_vec()].concat(),
            1 << 20,
            far,
        );
        assert_eq!(d.out, b"hi");
        assert!(matches!(d.ended, Ended::Failed(_)), "{:?}", d.ended);
    }

    /// A member zlib refuses where libdeflate reads on is judged whole: an
    /// `a` behind a header whose CRC (`dead`) does not match, and 259 `a`s
    /// whose last match uses length code 286, which deflate reserves.
    #[test]
    fn members_only_libdeflate_reads_are_decoded_whole() {
        let far = Instant::now() + std::time::Duration::from_secs(60);
        let hex = |s: &str| -> Vec<u8> {
            (0..s.len())
                .step_by(2)
                .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
                .collect()
        };
        for (input, out) in [
            ("1f8b0802010203040003dead4b040043beb7e801000000", vec![b'a']),
            (
                "1f8b08000102030400034b1c030056fac23403010000",
                vec![b'a'; 259],
            ),
        ] {
            let input = hex(input);
            let d = decode("gzip", &input, 1 << 20, far);
            assert_eq!((d.out, d.consumed), (out, input.len()));
            assert!(matches!(d.ended, Ended::Eof));
            let mut rest = &input[..];
            let mut streamed = Vec::new();
            let mut reader = decoder("gzip", &mut rest).unwrap();
            let (_, ended) = pump(&mut *reader, 1 << 20, Some(&mut streamed), far);
            assert!(matches!(ended, Ended::Failed(_)), "{ended:?}");
        }
    }

    #[test]
    fn truncated_streams_yield_their_head() {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        let data: Vec<u8> = (0..200_000u32).map(|i| (i * 7 % 251) as u8).collect();
        e.write_all(&data).unwrap();
        let gz = e.finish().unwrap();
        let (out, done) = decompress("gzip", &gz[..gz.len() / 2], 1 << 20);
        assert!(!done && !out.is_empty() && out[..] == data[..out.len()]);
    }

    #[test]
    fn a_stream_after_the_object_budget_is_spent_still_shows_its_head() {
        use super::super::tests::{look_with, tar_header, wav};
        let w = wav();
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(&w).unwrap();
        let gz = gz.finish().unwrap();
        let mut v = Vec::new();
        for (name, data) in [("a.wav", &w), ("b.wav.gz", &gz)] {
            let size = format!("{:011o}\0", data.len());
            v.extend(tar_header(
                name.as_bytes(),
                b'0',
                size.as_bytes().try_into().unwrap(),
            ));
            v.extend(data.iter());
            v.resize(v.len().next_multiple_of(512), 0);
        }
        v.extend([0u8; 1024]);
        let mut rules = crate::rules::RuleSet::embedded();
        rules.limits.max_object_bytes = w.len() as u64;
        let inside = look_with(&v, &rules);
        let found = inside.found();
        assert!(
            found.contains(&("b.wav.gz!/b.wav", "wav")),
            "{found:?} {:?}",
            inside.limits
        );
        assert!(inside.limits.iter().any(|l| l.limit == Limit::ObjectBytes));
    }

    #[test]
    fn inner_names_drop_the_compression_suffix() {
        assert_eq!(inner_name("calls/a.wav.gz", "gzip"), "a.wav");
        assert_eq!(inner_name("x.tgz", "gzip"), "x.tar");
        assert_eq!(inner_name("", "zstd"), "(zstd stream)");
    }
}

#[cfg(test)]
mod hostile {
    use super::super::tests::{look, wav};
    use crate::unpack::Limit;

    /// A zstd block header: last flag, type (0 raw, 1 RLE), size.
    fn zstd_block(kind: u32, size: u32, body: &[u8], last: bool) -> Vec<u8> {
        let h = u32::from(last) | kind << 1 | size << 3;
        let mut v = h.to_le_bytes()[..3].to_vec();
        v.extend(body);
        v
    }

    #[test]
    fn zstd_frames_asking_for_huge_windows_are_refused_with_a_limit() {
        // Window descriptor 0xa8: 2^31 bytes; then RLE blocks of zeros.
        let mut z = b"\x28\xb5\x2f\xfd\x00\xa8".to_vec();
        for _ in 0..8 {
            z.extend(zstd_block(1, 131_072, b"\0", false));
        }
        z.extend(zstd_block(0, 1, b"x", true));
        let inside = look(&z);
        assert!(
            inside.limits.iter().any(|l| l.limit == Limit::Unsupported),
            "{:?}",
            inside.limits
        );
        // Single segment whose content size (and so window) is 2^60.
        let mut z = b"\x28\xb5\x2f\xfd\xe0".to_vec();
        z.extend((1u64 << 60).to_le_bytes());
        z.extend(zstd_block(0, 5, b"hello", true));
        let inside = look(&z);
        assert_eq!(inside.limits.len(), 1, "{:?}", inside.limits);
        assert_eq!(inside.limits[0].limit, Limit::Unsupported);
    }

    #[test]
    fn an_lz4_stream_longer_than_the_budget_leaves_a_limit() {
        use std::io::Write;
        let mut e = lz4_flex::frame::FrameEncoder::new(Vec::new());
        e.write_all(&vec![0u8; 4 << 20]).unwrap();
        let lz4 = e.finish().unwrap();
        let inside = look(&lz4);
        assert_eq!(inside.limits.len(), 1, "{:?}", inside.limits);
        assert!(matches!(
            inside.limits[0].limit,
            Limit::MemberBytes | Limit::Ratio
        ));
        assert!(inside.members[0].size >= 1 << 20);
    }

    #[test]
    fn a_complete_small_stream_leaves_no_limit() {
        use std::io::Write;
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        e.write_all(&wav()).unwrap();
        let inside = look(&e.finish().unwrap());
        assert!(inside.limits.is_empty(), "{:?}", inside.limits);
        assert_eq!(inside.members[0].sniff.format, "wav");
    }

    #[test]
    fn deflate64_stored_blocks_decode() {
        // A final stored block: valid deflate and Deflate64 alike.
        let data = b"hello deflate64";
        let mut d = vec![1u8];
        d.extend((data.len() as u16).to_le_bytes());
        d.extend((!(data.len() as u16)).to_le_bytes());
        d.extend(data);
        let (out, done) = super::decompress("deflate64", &d, 1024);
        assert_eq!((out.as_slice(), done), (&data[..], true));
        // Cut inside the block: a failure, not a loop.
        let (out, done) = super::decompress("deflate64", &d[..8], 1024);
        assert!(!done && out.len() <= 3);
    }
}
