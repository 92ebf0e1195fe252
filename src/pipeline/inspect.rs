//! One object, start to end of its reading: the head, the detectors, the
//! windows they ask for, then a look inside containers. Also the fuzz entry
//! point, since it is exactly what every object goes through.

use std::time::{Duration, Instant};

use crate::rules::RuleSet;
use crate::sniff::{self, Class, Encryption, Sample, Sniff, Window, HEAD_LEN, WINDOW_LEN};
use crate::source::bucket::StorageFacts;
use crate::source::{ObjectReader, ReadError};
use crate::unpack::{self, Inside};

/// At most this many sniff rounds per object: the head, then windows the
/// detectors asked for, then windows at offsets learned from those (a chain
/// of declared sizes: two ID3v2 tags, then a FLAC picture; a `moov` after
/// the `mdat`, then the sound `trak` after a large video `trak`).
pub(crate) const MAX_ROUNDS: usize = 7;
/// At most this many further windows per object, each at most
/// [`sniff::WINDOW_LEN`]: with the head, ≤ 576 KiB read whatever sizes the
/// object declares. A wish the budget cannot serve becomes a `limits` entry.
pub(crate) const MAX_WINDOWS: usize = 8;
/// Bytes the look inside containers may read of one object besides the
/// sample (zip directories, member data, 7z streams): a bound on memory and
/// on requests whatever the archive declares.
pub(crate) const MAX_UNPACK_READ: u64 = 64 << 20;

/// What reading one object produced.
pub(crate) struct Inspection {
    pub sniff: Sniff,
    pub bytes_read: u64,
    pub inside: Inside,
}

/// An object's sniff from its head and the windows its detectors asked for.
pub(crate) struct Sniffed {
    /// The last round's sniff, its wishes cleared.
    pub sniff: Sniff,
    pub windows: Vec<Window>,
    /// The first wish no window served when the rounds or windows ran out:
    /// the verdict rests on part of the structure only.
    pub unread: Option<u64>,
}

/// Sniffs an object of `size` bytes from its `head`, then again with each
/// round of windows its detectors ask for, read through `read` (offset,
/// length): at most [`MAX_ROUNDS`] rounds and [`MAX_WINDOWS`] windows of at
/// most [`sniff::WINDOW_LEN`] each. A window already read is never read
/// again: a chain of declared sizes that points back at itself costs
/// nothing more. A detector's wish is a window, never a licence to allocate.
pub(crate) fn sniff_reading<E>(
    size: u64,
    head: &[u8],
    signatures: &[sniff::Signature],
    mut read: impl FnMut(u64, usize) -> Result<Vec<u8>, E>,
) -> Result<Sniffed, E> {
    let mut windows: Vec<Window> = Vec::new();
    let mut sniffed = sniff::sniff(&Sample::new(size, head, &windows), signatures);
    for _ in 1..MAX_ROUNDS {
        let wants: Vec<_> = sniffed
            .wants
            .iter()
            .filter(|w| w.start < w.end && w.end <= size)
            .filter(|w| w.start != 0 && windows.iter().all(|r| r.offset != w.start))
            .cloned()
            .collect();
        if wants.is_empty() || windows.len() >= MAX_WINDOWS {
            break;
        }
        for want in wants.into_iter().take(MAX_WINDOWS - windows.len()) {
            let len = (want.end - want.start).min(WINDOW_LEN as u64) as usize;
            let bytes = read(want.start, len)?;
            windows.push(Window {
                offset: want.start,
                bytes,
            });
        }
        sniffed = sniff::sniff(&Sample::new(size, head, &windows), signatures);
    }
    let unread = sniffed
        .wants
        .iter()
        .find(|w| w.start != 0 && windows.iter().all(|r| r.offset != w.start))
        .map(|w| w.start);
    sniffed.wants.clear();
    Ok(Sniffed {
        sniff: sniffed,
        windows,
        unread,
    })
}

/// Reads a bounded sample of one object and sniffs it, reading the extra
/// windows the detectors ask for. The byte budget is fixed whatever the size.
pub(crate) fn inspect(
    reader: &mut dyn ObjectReader,
    size: u64,
    name: &str,
    head: &mut Vec<u8>,
    rules: &RuleSet,
    max_depth: u32,
) -> Result<Inspection, ReadError> {
    inspect_read(reader, size, None, name, head, rules, max_depth)
}

/// A head read before inspection: `len` bytes of it are in the head buffer
/// from offset 0 (a local file's open reads it), and the object was taken
/// up at `began`, a moment before.
pub(crate) struct HeadRead {
    pub len: usize,
    pub began: Instant,
}

/// [`inspect`], where the head may have been read already.
pub(crate) fn inspect_read(
    reader: &mut dyn ObjectReader,
    size: u64,
    read: Option<HeadRead>,
    name: &str,
    head: &mut Vec<u8>,
    rules: &RuleSet,
    max_depth: u32,
) -> Result<Inspection, ReadError> {
    let head_len = size.min(HEAD_LEN as u64) as usize;
    // The buffer only grows: zeroing 64 KiB per object would cost more than
    // sniffing a small one.
    if head.len() < head_len {
        head.resize(head_len, 0);
    }
    // A bucket object's clock starts with its first bytes in hand: a busy
    // endpoint's wait for its first answer is not inspection, and a small
    // object read whole in that answer has nothing left to cut short. A
    // local file's head comes with its open, moments after the worker took
    // it up: that moment starts its clock (open and first read included),
    // one clock reading fewer per file.
    let (n, started) = match read {
        Some(read) => (read.len.min(head_len), read.began),
        None => (reader.read_at(0, &mut head[..head_len])?, Instant::now()),
    };
    let deadline = started + Duration::from_secs_f64(rules.limits.max_seconds);
    let head: &[u8] = &head[..n];
    let mut bytes_read = n as u64;
    let Sniffed {
        sniff: sniffed,
        windows,
        unread,
    } = sniff_reading(size, head, &rules.signatures, |offset, len| {
        let mut bytes = vec![0u8; len];
        let got = reader.read_at(offset, &mut bytes)?;
        bytes.truncate(got);
        Ok::<_, ReadError>(bytes)
    })?;
    bytes_read += windows.iter().map(|w| w.bytes.len() as u64).sum::<u64>();
    // Opened at every depth limit: at 0 the walk opens nothing but says
    // what it left closed.
    let mut unanswered = None;
    // A read refused here ends a parser's walk as the end of its data
    // would; said once below, whatever the parser made of it.
    let (mut over_budget, mut over_time) = (false, false);
    let mut inside = {
        let sample = Sample::new(size, head, &windows);
        let mut extra = 0u64;
        let mut fetch = |offset: u64, len: usize| -> Option<Vec<u8>> {
            let len = len.min(size.saturating_sub(offset) as usize);
            if extra + len as u64 > MAX_UNPACK_READ {
                over_budget = true;
                return None;
            }
            if Instant::now() > deadline {
                over_time = true;
                return None;
            }
            let mut buf = vec![0u8; len];
            let got = match reader.read_at(offset, &mut buf) {
                Ok(got) => got,
                Err(
                    e @ (ReadError::Unanswered(_) | ReadError::EndpointDown | ReadError::Stopped),
                ) => {
                    unanswered = Some(e);
                    return None;
                }
                Err(_) => return None,
            };
            buf.truncate(got);
            extra += got as u64;
            Some(buf)
        };
        let inside = unpack::look_inside(
            &sample, &sniffed, name, rules, max_depth, deadline, &mut fetch,
        );
        bytes_read += extra;
        inside
    };
    // A member the endpoint did not answer for (or that the scan stopped
    // before asking for) is not a verdict on what was read: the object is
    // read again, whole, when it answers, or is not judged.
    if let Some(e) = unanswered {
        return Err(e);
    }
    // Said even beside a limit of bytes the walk reported, which may name
    // a bound short of where reads stopped (a text read through "to
    // 64 MiB" whose reads ran out before); a time limit it reported says
    // all a refusal would.
    if over_budget {
        inside.limits.push(unpack::LimitHit {
            member: None,
            limit: unpack::Limit::ObjectBytes,
            message: format!(
                "more than {} MiB read besides the head: further reads refused, the rest not inspected",
                MAX_UNPACK_READ >> 20
            ),
        });
    }
    if over_time && !inside.limits.iter().any(|l| l.limit == unpack::Limit::Time) {
        inside.limits.push(unpack::LimitHit {
            member: None,
            limit: unpack::Limit::Time,
            message: unpack::stopped_after(rules.limits.max_seconds),
        });
    }
    match unread {
        Some(offset) => inside.limits.push(unpack::LimitHit {
            member: None,
            limit: unpack::Limit::Unsupported,
            message: format!(
                "{}: structure continues at offset {offset}, beyond the {MAX_WINDOWS} further \
                 windows of {} KiB a sample may read; verdict from what was read",
                sniffed.format,
                WINDOW_LEN / 1024
            ),
        }),
        // A recording whose payload was not located or judged: no rule
        // matches `unknown`, so without a limit it would pass as clean.
        None if unsettled(&sniffed) => inside.limits.push(not_told(None, &sniffed)),
        None => {}
    }
    // Members too, unless a limit names them already: a recording inside
    // an archive left `unknown` is no more a clean verdict than one outside.
    let members: Vec<unpack::LimitHit> = inside
        .members
        .iter()
        .filter(|m| unsettled(&m.sniff))
        .filter(|m| {
            !inside
                .limits
                .iter()
                .any(|l| l.member.as_deref() == Some(&*m.member))
        })
        .map(|m| not_told(Some(&m.member), &m.sniff))
        .collect();
    inside.limits.extend(members);
    Ok(Inspection {
        sniff: sniffed,
        bytes_read,
        inside,
    })
}

/// The limit of a recording (or a member) left `unknown`, with what its
/// detector noted.
fn not_told(member: Option<&str>, s: &Sniff) -> unpack::LimitHit {
    let why = s
        .evidence
        .get("note")
        .and_then(|n| n.as_str())
        .unwrap_or("its payload was not reached");
    unpack::LimitHit {
        member: member.map(str::to_string),
        limit: unpack::Limit::Unsupported,
        message: format!(
            "{}: encryption not told: {why}; verdict from what was read",
            s.format
        ),
    }
}

/// A recording or biometric record whose encryption was left unknown: its
/// payload not located (a header walk that ends nowhere), or not read.
fn unsettled(s: &Sniff) -> bool {
    matches!(s.class, Class::Audio | Class::Biometric) && s.encryption == Encryption::Unknown
}

/// Sniffs and unpacks an in-memory object with the embedded rules, for the
/// fuzz targets under `fuzz/` (which cannot reach crate-private items).
#[doc(hidden)]
pub fn fuzz_inspect(data: &[u8], declared_size: u64) {
    thread_local! {
        static RULES: RuleSet = RuleSet::embedded();
    }
    RULES.with(|rules| {
        let (mut head, mut reader) = (Vec::new(), data);
        let _ = inspect(&mut reader, declared_size, "fuzz", &mut head, rules, 3);
    });
}

impl Inspection {
    /// The object itself, then each member found inside it: (member, sniff, size).
    pub(crate) fn views(&self, size: u64) -> impl Iterator<Item = (Option<&str>, &Sniff, u64)> {
        std::iter::once((None, &self.sniff, size)).chain(
            self.inside
                .members
                .iter()
                .map(|m| (Some(m.member.as_str()), &m.sniff, m.size)),
        )
    }
}

/// Storage-level facts join the evidence of the object and of every member;
/// client-side envelope metadata proves the bytes are ciphertext.
pub(crate) fn apply_facts(inspection: &mut Inspection, facts: &StorageFacts) {
    let views = std::iter::once(&mut inspection.sniff)
        .chain(inspection.inside.members.iter_mut().map(|m| &mut m.sniff));
    for sniff in views {
        sniff.at_rest = facts.at_rest;
        if let Some(sse) = &facts.server_side {
            sniff
                .evidence
                .insert("server_side_encryption", sse.clone().into());
        } else if facts.at_rest == sniff::AtRest::None {
            sniff
                .evidence
                .insert("server_side_encryption", "none reported".into());
        }
        if let Some(key) = &facts.kms_key {
            sniff.evidence.insert("kms_key", key.clone().into());
        }
        if let Some(cse) = &facts.client_side {
            sniff
                .evidence
                .insert("client_side_encryption", cse.clone().into());
            sniff.class = sniff::Class::Encrypted;
            sniff.encryption = sniff::Encryption::Encrypted;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sniff::Class;

    #[test]
    fn storage_facts_reach_members_and_client_side_metadata_means_ciphertext() {
        let wav = || Sniff::new("wav", None, Class::Audio, sniff::Encryption::None);
        let mut inspection = Inspection {
            sniff: Sniff::new("zip", None, Class::Compressed, sniff::Encryption::None),
            bytes_read: 0,
            inside: Inside {
                members: vec![unpack::Member {
                    member: "a.wav".into(),
                    sniff: wav(),
                    size: 10,
                }],
                limits: Vec::new(),
            },
        };
        let kms = StorageFacts {
            at_rest: sniff::AtRest::Kms,
            server_side: Some("SSE-KMS".into()),
            kms_key: Some("arn:k".into()),
            client_side: None,
        };
        apply_facts(&mut inspection, &kms);
        let member = &inspection.inside.members[0].sniff;
        assert_eq!(member.at_rest, sniff::AtRest::Kms);
        assert_eq!(member.evidence["kms_key"], "arn:k");
        assert_eq!(
            member.class,
            Class::Audio,
            "SSE does not make plaintext safe"
        );
        let cse = StorageFacts {
            client_side: Some("S3 Encryption Client".into()),
            ..kms
        };
        apply_facts(&mut inspection, &cse);
        for s in [&inspection.sniff, &inspection.inside.members[0].sniff] {
            assert_eq!(
                (s.class, s.encryption),
                (Class::Encrypted, sniff::Encryption::Encrypted)
            );
        }
    }

    /// A FLAC whose first frame has no sync is `unknown`, alone or as a
    /// tar member: a limit says so either way, naming the member.
    #[test]
    fn a_recording_left_unknown_is_a_limit_inside_an_archive_too() {
        let rules = RuleSet::embedded();
        let mut flac = b"fLaC\x80\0\0\x22".to_vec();
        flac.extend([0x10, 0, 0x10, 0, 0, 0, 0, 0, 0, 0, 0x03, 0xe8, 0x00]);
        flac.resize(42, 0);
        flac.extend(b"no frame sync here, ".repeat(300));
        let size = format!("{:011o}\0", flac.len());
        let mut tar = crate::unpack::tests::tar_header(
            b"call.flac",
            b'0',
            size.as_bytes().try_into().unwrap(),
        );
        tar.extend(&flac);
        tar.resize(tar.len().div_ceil(512) * 512 + 1024, 0);
        for (bytes, member) in [(&flac, None), (&tar, Some("call.flac"))] {
            let mut head = Vec::new();
            let i = inspect(
                &mut &bytes[..],
                bytes.len() as u64,
                "t",
                &mut head,
                &rules,
                3,
            )
            .unwrap();
            let hit = i
                .inside
                .limits
                .iter()
                .find(|l| l.message.contains("not told"));
            assert!(
                hit.is_some_and(|l| l.member.as_deref() == member),
                "{:?}",
                i.inside
            );
        }
    }

    /// A wish the object cannot serve (the listing says 1 MB, the bytes
    /// stop at 80 KB) is read once, not once per round; a chain of tags
    /// longer than the budget ends in a limit, never in more reads.
    #[test]
    fn follow_up_reads_are_bounded_and_never_repeated() {
        let rules = RuleSet::embedded();
        let mut head = Vec::new();
        let tag = |body: usize| {
            let size: Vec<u8> = [21, 14, 7, 0]
                .iter()
                .map(|sh| (body >> sh) as u8 & 0x7f)
                .collect();
            let mut t = [&b"ID3\x03\x00\x00"[..], &size].concat();
            t.resize(10 + body, 0x5a);
            t
        };
        /// Counts the reads it serves.
        struct Counted<'a>(&'a [u8], usize);
        impl ObjectReader for Counted<'_> {
            fn read_at(&mut self, offset: u64, buf: &mut [u8]) -> Result<usize, ReadError> {
                self.1 += 1;
                self.0.read_at(offset, buf)
            }
        }
        let mut short = tag(100_000);
        short.truncate(80_000);
        let mut reader = Counted(&short, 0);
        let i = inspect(&mut reader, 1 << 20, "x", &mut head, &rules, 0).unwrap();
        assert_eq!((reader.1, i.bytes_read), (2, HEAD_LEN as u64));
        let chain: Vec<u8> = (0..20).flat_map(|_| tag(70_000)).collect();
        let mut reader: &[u8] = &chain;
        let i = inspect(&mut reader, chain.len() as u64, "x", &mut head, &rules, 0).unwrap();
        // One step of the chain per round: the rounds run out first.
        assert_eq!(
            i.bytes_read,
            (HEAD_LEN + (MAX_ROUNDS - 1) * WINDOW_LEN) as u64,
            "head and a window per further round, no more"
        );
        assert_eq!(i.inside.limits.len(), 1);
        assert_eq!(i.inside.limits[0].limit, unpack::Limit::Unsupported);
    }

    /// A parser that meets a refused read stops as at the end of its data;
    /// the refusal is a limit whichever parser met it. A PDF over 32 MiB
    /// that names an attachment is read twice (its objects, then the
    /// object named), and the second read runs past the object's budget.
    #[test]
    fn reads_refused_past_the_budget_are_a_limit() {
        /// A PDF of `size` bytes, blanks but for its first bytes.
        struct Blank(u64);
        impl ObjectReader for Blank {
            fn read_at(&mut self, offset: u64, buf: &mut [u8]) -> Result<usize, ReadError> {
                const START: &[u8] = b"%PDF-1.7\n1 0 obj\n<< /EF << /F 5 0 R >> >>\nendobj\n";
                let n = buf.len().min(self.0.saturating_sub(offset) as usize);
                for (i, b) in buf[..n].iter_mut().enumerate() {
                    let at = offset as usize + i;
                    *b = START.get(at).copied().unwrap_or(b' ');
                }
                Ok(n)
            }
        }
        let rules = RuleSet::embedded();
        let size = MAX_UNPACK_READ * 3 / 4;
        let mut head = Vec::new();
        let i = inspect(&mut Blank(size), size, "x.pdf", &mut head, &rules, 3).unwrap();
        assert!(
            i.inside
                .limits
                .iter()
                .any(|l| l.limit == unpack::Limit::ObjectBytes && l.message.contains("refused")),
            "{:?}",
            i.inside.limits
        );
    }

    fn fixtures() -> Vec<Vec<u8>> {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
        walkdir::WalkDir::new(root)
            .into_iter()
            .filter_map(Result::ok)
            .filter(|e| e.file_type().is_file())
            .map(|e| std::fs::read(e.path()).unwrap())
            .collect()
    }

    /// Every detector and unpacker sees truncated and corrupted versions of
    /// every fixture, and of its own bytes under a wrong declared size: none
    /// may panic or read past its budget. (A cheap, deterministic stand-in for
    /// fuzzing that runs in every `cargo test`.)
    #[test]
    fn damaged_inputs_never_panic_or_overread() {
        let rules = RuleSet::embedded();
        let mut head = Vec::new();
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        // ATREST_MUTATION_ROUNDS=500 for a longer local run.
        let rounds: usize = std::env::var("ATREST_MUTATION_ROUNDS")
            .ok()
            .and_then(|r| r.parse().ok())
            .unwrap_or(6);
        let mut checked = 0;
        for original in fixtures() {
            let len = original.len();
            let mut variants: Vec<Vec<u8>> =
                [1, 7, 64, 300, len / 3, len / 2, len.saturating_sub(1)]
                    .iter()
                    .map(|&cut| original[..cut.min(len)].to_vec())
                    .collect();
            for round in 0..rounds {
                let mut v = original.clone();
                // Headers first; every few rounds anywhere in the object.
                let reach = if round % 3 == 2 {
                    v.len()
                } else {
                    v.len().min(4096)
                };
                for _ in 0..8 {
                    if !v.is_empty() {
                        let at = next() as usize % reach;
                        v[at] = next() as u8;
                    }
                }
                variants.push(v);
            }
            for v in variants {
                // The size a listing reports can disagree with the bytes there.
                for size in [v.len() as u64, v.len() as u64 * 3 + 17] {
                    let mut reader: &[u8] = &v;
                    let inspection = inspect(&mut reader, size, "x", &mut head, &rules, 3).unwrap();
                    assert!(
                        inspection.bytes_read <= 4 << 20,
                        "{}",
                        inspection.bytes_read
                    );
                    checked += 1;
                }
            }
        }
        assert!(checked > 1000, "{checked}");
    }
}
