//! Zip archives: the central directory, then each member read at its
//! local header; encrypted members judged by name.
//!
//! Declared offsets and lengths are checked before use: a local header must
//! be one and must leave its data inside the archive; members whose data
//! overlap an earlier member's (the non-recursive zip bomb, or many entries
//! sharing one header) are reported once as a bomb, not decompressed again.

use std::borrow::Cow;

use super::streams::{decode, decode_first_block};
use super::{chain, Ended, Level, Limit, Member, Walk, PEEK};
use crate::sniff::bytes::{le16, le32, le64};
use crate::sniff::{self, Class, Encryption, Sample, Sniff, Window, ZipEnd, HEAD_LEN};

/// Local header length before the name and extra field.
const LOCAL_HEADER: u64 = 30;

/// What [`Walk::zip_behind`] found.
pub(super) enum Behind {
    Nothing,
    /// A zip whose end record (read already) ends the object.
    Zip(ZipEnd),
    /// The offset of the first local header that holds up on its own.
    Entries(u64),
}

/// The end record, from the last 64 KiB + 22 bytes of `level` (its comment
/// is at most 64 KiB); `Err` when those bytes cannot be read.
fn end_record(level: &Level<'_, '_>) -> Result<Option<ZipEnd>, ()> {
    let tail_at = level.size.saturating_sub(sniff::WINDOW_LEN as u64 + 22);
    let tail = level.from(tail_at, sniff::WINDOW_LEN + 22).ok_or(())?;
    let windows = [Window {
        offset: tail_at,
        bytes: tail.into_owned(),
    }];
    Ok(sniff::zip_end(&Sample::new(level.size, &[], &windows)))
}

/// An end record at the end of `level` whose directory is where it says
/// or right before it.
fn directory_at_end(level: &Level<'_, '_>) -> Option<ZipEnd> {
    let directory = |at: u64| level.at(at, 4).is_some_and(|b| *b == *b"PK\x01\x02");
    end_record(level).ok().flatten().filter(|end| {
        end.count > 0
            && (directory(end.offset) || end.at.checked_sub(end.size).is_some_and(directory))
    })
}

impl Walk<'_> {
    /// What lies behind the head of an object that does not start as a
    /// zip: a zip (a local header in the head and, at the end, an end
    /// record whose directory is where it says or right before it), or
    /// local entries with no directory. The tail is read only when the
    /// head holds a plausible local header.
    pub(super) fn zip_behind(&self, level: &Level<'_, '_>) -> Behind {
        let Some(head) = level.from(0, HEAD_LEN) else {
            return Behind::Nothing;
        };
        let local = sniff::bytes::needle!(b"PK\x03\x04");
        let first = sniff::bytes::find_all(local, &head).find(|&at| {
            // Version needed, a name that fits the head.
            at > 0
                && le16(&head, at + 4).is_some_and(|v| v <= 63 + 0x400)
                && le16(&head, at + 26)
                    .is_some_and(|n| n > 0 && at + 30 + usize::from(n) <= head.len())
        });
        let Some(first) = first else {
            return Behind::Nothing;
        };
        match directory_at_end(level) {
            Some(end) => Behind::Zip(end),
            // Without a directory to confirm it, a header must hold up on
            // its own: `PK\3\4` turns up in about one random 64 KiB head in
            // 65,000, and a walk from it would report its bytes as a limit.
            // The walk starts at the first that does (an earlier one may be
            // damaged).
            None => sniff::bytes::find_all(local, &head[first..])
                .map(|k| first + k)
                .find(|&at| entry_holds_up(&head[at..], at as u64, level.size))
                .map_or(Behind::Nothing, |at| Behind::Entries(at as u64)),
        }
    }

    /// A zip whose first local header is at `at`, past the head (a
    /// self-extractor's archive behind its program), judged as one in the
    /// head is.
    pub(super) fn zip_at(&self, level: &Level<'_, '_>, at: u64) -> Behind {
        // Most programs with bytes behind them hold no zip there: four
        // bytes say so before a header's name and extra field are read.
        if level.at(at, 4).is_none_or(|m| *m != *b"PK\x03\x04") {
            return Behind::Nothing;
        }
        let Some(h) = level.from(at, 30 + 2 * 0xffff) else {
            return Behind::Nothing;
        };
        match directory_at_end(level) {
            Some(end) => Behind::Zip(end),
            None if entry_holds_up(&h, at, level.size) => Behind::Entries(at),
            None => Behind::Nothing,
        }
    }

    /// Local entries from `at` on, read one after another as the
    /// directory-less bytes of a zip are (members `NAME@OFFSET`).
    pub(super) fn entries_behind(
        &mut self,
        level: &Level<'_, '_>,
        prefix: &str,
        depth: u32,
        at: u64,
    ) {
        let mut reads = UNLISTED_READS;
        self.unlisted_span(level, prefix, depth, at, level.size, &mut reads);
    }

    pub(super) fn zip(&mut self, level: &Level<'_, '_>, prefix: &str, depth: u32) {
        self.zip_except(level, prefix, depth, &|_| false);
    }

    /// The members of a zip but those `judged` already settles (a tensor
    /// file's storages, judged as tensors; told by their local header's
    /// offset, which no two entries share, not by a name two can).
    pub(super) fn zip_except(
        &mut self,
        level: &Level<'_, '_>,
        prefix: &str,
        depth: u32,
        judged: &dyn Fn(&sniff::ZipEntry) -> bool,
    ) {
        let (limit, message) = match end_record(level) {
            Ok(Some(end)) => return self.zip_listed(level, prefix, depth, (end, 0), judged),
            Ok(None) => (
                Limit::Unsupported,
                "zip central directory not found (truncated archive?)",
            ),
            Err(()) => (Limit::MemberBytes, "zip end record could not be read"),
        };
        // A zip cut short (a stored zip inside a zip, held up to the member
        // budget) still has its local entries: read one after another.
        let walkable = level
            .from(0, HEAD_LEN)
            .is_some_and(|h| entry_holds_up(&h, 0, level.size));
        if !walkable {
            return self.limit(prefix, limit, message.into());
        }
        self.limit(
            prefix,
            limit,
            format!("{message}; local entries read one after another"),
        );
        self.entries_behind(level, prefix, depth, 0);
    }

    /// The members of a zip whose end record is `end`. The bytes before
    /// `owned` belong to what holds the archive (a self-extractor's
    /// program), judged already: they are no bytes the listing leaves out.
    pub(super) fn zip_from_end(
        &mut self,
        level: &Level<'_, '_>,
        prefix: &str,
        depth: u32,
        end: ZipEnd,
        owned: u64,
    ) {
        self.zip_listed(level, prefix, depth, (end, owned), &|_| false);
    }

    fn zip_listed(
        &mut self,
        level: &Level<'_, '_>,
        prefix: &str,
        depth: u32,
        (end, owned): (ZipEnd, u64),
        judged: &dyn Fn(&sniff::ZipEntry) -> bool,
    ) {
        let (cd_size, count) = (end.size, end.count);
        let read_cd = |at: u64| level.from(at, cd_size.min(4 << 20) as usize);
        let Some(mut cd) = read_cd(end.offset) else {
            self.limit(
                prefix,
                Limit::MemberBytes,
                "zip central directory could not be read".into(),
            );
            return;
        };
        // Offsets that count from a later start than the file's: bytes were
        // put before the archive (`cat a.zip b.zip`, a self-extractor). As
        // unzip does, the directory is looked for right before the end
        // record, and every offset moves by the difference.
        let mut offset = end.offset;
        let mut shift = 0;
        if !cd.starts_with(b"PK\x01\x02") && count > 0 {
            let moved = end.at.checked_sub(cd_size).filter(|&at| at > offset);
            if let Some((at, moved)) = moved.and_then(|at| Some((at, read_cd(at)?))) {
                if moved.starts_with(b"PK\x01\x02") {
                    (shift, offset, cd) = (at - offset, at, moved);
                }
            }
        }
        let max = self.limits.max_members as usize;
        let mut entries = sniff::zip_entries(&cd, max);
        for e in &mut entries {
            e.local_offset = e.local_offset.saturating_add(shift);
        }
        if count as usize > entries.len() {
            self.limit(
                prefix,
                Limit::Members,
                format!("{count} members; inspected {}", entries.len()),
            );
        }
        // A folder entry holds nothing (jar tools store an empty deflate
        // stream, 2 bytes): one that declares more is read like a file.
        let holds_data = |e: &sniff::ZipEntry| !e.is_dir() || e.compressed_size > 16;
        let spans: Vec<_> = entries
            .iter()
            .map(|e| (e.local_offset, e.compressed_size, !holds_data(e)))
            .collect();
        let overlapping = overlaps(&spans);
        let walked = |e: &sniff::ZipEntry| holds_data(e) && !judged(e);
        for (i, e) in entries.iter().enumerate().filter(|(_, e)| walked(e)) {
            let member = chain(prefix, &e.name);
            if let Some(earlier) = overlapping[i] {
                self.limit(
                    &member,
                    Limit::Ratio,
                    format!(
                        "data overlaps member {:?} (overlapping entries: a zip bomb); \
                         not inspected",
                        entries[earlier].name
                    ),
                );
                continue;
            }
            if e.encryption() != Encryption::None {
                let sniff = self
                    .flagged_in_clear(level, e, &member)
                    .unwrap_or_else(|| by_name(&e.name, e.encryption()));
                self.inside.members.push(Member {
                    member,
                    sniff,
                    size: e.size,
                });
                continue;
            }
            if e.compressed_size > 0 && e.size / e.compressed_size > self.limits.max_ratio {
                self.limit(
                    &member,
                    Limit::Ratio,
                    format!(
                        "declared {} bytes from {} compressed",
                        e.size, e.compressed_size
                    ),
                );
            }
            // A spent budget still leaves a peek at each member's head: a
            // recording must not hide behind the members before it.
            let budget = self.budget().max(PEEK);
            // Enough compressed input for a head of `budget` bytes in most
            // cases; a stored member is read as far as the budget, as a
            // tar member is.
            let cap = match e.method {
                0 => budget,
                _ => budget.min(4 * HEAD_LEN as u64),
            };
            let want = e.compressed_size.min(cap) as usize;
            let Some(raw) = self.member_data(level, e, &member, want) else {
                continue;
            };
            let Some(format) = method_format(e.method) else {
                self.limit(
                    &member,
                    Limit::Unsupported,
                    format!("zip compression method {}", e.method),
                );
                self.undecoded_by_name(member, &e.name, e.size);
                continue;
            };
            let data = match format {
                None => raw[..raw.len().min(budget as usize)].to_vec(),
                Some(format) => {
                    let deadline = self.deadline;
                    let (raw, d, starved) =
                        decode_first_block(format, raw, e.compressed_size, budget, deadline, |n| {
                            let n = (n as u64).min(e.compressed_size) as usize;
                            self.member_data(level, e, &member, n)
                        });
                    if starved {
                        self.limit(
                            &member,
                            Limit::MemberBytes,
                            format!(
                                "{format} data: nothing decoded from its first {} bytes (a block longer than that)",
                                raw.len()
                            ),
                        );
                    }
                    // Input cut short on purpose (only a head is read) is not damage.
                    let cut = (raw.len() as u64) < e.compressed_size && d.consumed >= raw.len();
                    match d.ended {
                        Ended::Failed(err) if !cut => self.limit(
                            &member,
                            Limit::Unsupported,
                            format!("{format} data not decoded past byte {}: {err}", d.out.len()),
                        ),
                        Ended::Time => {
                            self.out_of_time(&member);
                        }
                        _ => {}
                    }
                    d.out
                }
            };
            self.spent += data.len() as u64;
            self.member(prefix, &e.name, &data, e.size, depth);
            self.judged_from_head(prefix, &e.name, e.size, data.len() as u64, budget);
        }
        // Only a directory read whole says which bytes no member holds:
        // past `max_members` the rest are members all the same.
        if entries.len() as u64 >= count {
            self.unlisted(
                level,
                prefix,
                depth,
                &entries,
                offset..offset.saturating_add(cd_size),
                (end.at, owned),
            );
        }
    }

    /// Bytes before the central directory that no listed member accounts
    /// for. Unzip shows only what the directory lists, but whoever reads
    /// the bytes sees everything: a zip appended to another (`cat a.zip
    /// b.zip`) lists only the last one's members, and a local entry left
    /// out of the directory is stored all the same. Local headers found
    /// there are read as members named `NAME@OFFSET`; a stretch with none
    /// is searched for an audio container's header.
    fn unlisted(
        &mut self,
        level: &Level<'_, '_>,
        prefix: &str,
        depth: u32,
        entries: &[sniff::ZipEntry],
        directory: std::ops::Range<u64>,
        (end_at, owned): (u64, u64),
    ) {
        // A listed member's data ends after its local header, name and
        // extra field (an aligning extra can be kilobytes long, and the
        // directory's copy differs) and a data descriptor: gaps up to this
        // long are descriptors.
        const SLACK: u64 = 128;
        // Ends are first taken from the directory; a member's local header
        // is read only where a gap follows it, which its extra field may
        // fill. Real archives have none, so this costs nothing per member.
        let end_of = |e: &sniff::ZipEntry, named: u64| {
            (e.local_offset)
                .saturating_add(LOCAL_HEADER + named)
                .saturating_add(e.compressed_size)
        };
        let real_end = |e: &sniff::ZipEntry| {
            let named = level
                .at(e.local_offset, LOCAL_HEADER as usize)
                .map_or(e.name_len, |h| {
                    u64::from(u16::from_le_bytes([h[26], h[27]]))
                        + u64::from(u16::from_le_bytes([h[28], h[29]]))
                });
            end_of(e, named)
        };
        let mut order: Vec<&sniff::ZipEntry> = entries.iter().collect();
        order.sort_unstable_by_key(|e| e.local_offset);
        let mut gaps = Vec::new();
        let (mut reached, mut estimated_by) = (owned, None);
        let starts = order.iter().map(|e| (e.local_offset, Some(*e)));
        for (start, entry) in starts.chain([(directory.start, None)]) {
            if start > reached.saturating_add(SLACK) {
                if let Some(e) = estimated_by.take() {
                    reached = reached.max(real_end(e));
                }
                if start > reached.saturating_add(SLACK) {
                    gaps.push((reached, start.min(directory.start)));
                }
            }
            if let Some(e) = entry {
                let end = end_of(e, e.name_len);
                if end >= reached {
                    (reached, estimated_by) = (end, Some(e));
                }
            }
        }
        // After the directory come the end records, then the archive
        // comment (at most 65,535 bytes, searched in one window): anything
        // else there is bytes no reader of the listing sees.
        let after = directory.end.max(reached);
        if end_at > after.saturating_add(SLACK) {
            gaps.push((after, end_at));
        }
        let comment = end_at.saturating_add(22).max(after);
        if level.size > comment.saturating_add(SLACK) {
            gaps.push((comment, level.size));
        }
        // What the search may read (its windows, not the members it finds),
        // all stretches together: crafted stretches cannot make it read
        // the archive many times over.
        let mut reads = UNLISTED_READS;
        for (from, to) in gaps {
            if self.out_of_time(prefix)
                || !self.unlisted_span(level, prefix, depth, from, to, &mut reads)
            {
                return;
            }
        }
    }

    /// Local entries from `from` to `to`, one after another, or the audio
    /// header the stretch holds when it has none.
    fn unlisted_span(
        &mut self,
        level: &Level<'_, '_>,
        prefix: &str,
        depth: u32,
        from: u64,
        to: u64,
        reads: &mut u64,
    ) -> bool {
        // Signatures that turn out not to start an entry are each a try;
        // a stretch of crafted `PK\3\4`s costs this many at most.
        const MAX_TRIES: u32 = 4096;
        let mut at = from;
        let (mut found, mut tries) = (0u64, 0u32);
        while at < to && found < self.limits.max_members && !self.out_of_time(prefix) {
            let Some(left) = reads.checked_sub((to - at).min(HEAD_LEN as u64)) else {
                self.limit(
                    prefix,
                    Limit::ObjectBytes,
                    format!(
                        "bytes {at} to {to} are in no listed member; searched {} MiB \
                         of such bytes for local headers",
                        UNLISTED_READS >> 20
                    ),
                );
                return false;
            };
            *reads = left;
            let Some(window) = level.from(at, (to - at).min(HEAD_LEN as u64) as usize) else {
                return true;
            };
            let mut next = None;
            let local = sniff::bytes::needle!(b"PK\x03\x04");
            for k in sniff::bytes::find_all(local, &window) {
                tries += 1;
                if tries > MAX_TRIES {
                    self.limit(
                        prefix,
                        Limit::Members,
                        format!(
                            "bytes {at} to {to} are in no listed member; \
                             {MAX_TRIES} false local headers tried"
                        ),
                    );
                    return true;
                }
                next = self.local_entry(level, prefix, depth, at + k as u64, to);
                if next.is_some() {
                    // Bytes skipped on the way to the entry may hold a
                    // recording of their own.
                    if k >= 64 {
                        self.embedded_audio(level, prefix, depth, &window[..k], at, at + k as u64);
                    }
                    break;
                }
            }
            match next {
                Some(n) => {
                    found += 1;
                    if found >= self.limits.max_members && n < to {
                        self.limit(
                            prefix,
                            Limit::Members,
                            format!(
                                "bytes {n} to {to} are in no listed member; \
                                 stopped after {found} unlisted entries"
                            ),
                        );
                    }
                    at = n;
                }
                None => {
                    if found == 0 {
                        self.embedded_audio(level, prefix, depth, &window, at, to);
                    }
                    let searched = at + window.len() as u64;
                    if searched < to {
                        self.limit(
                            prefix,
                            Limit::Unsupported,
                            format!(
                                "bytes {at} to {to} are in no listed member; \
                                 searched to byte {searched} for local headers and audio"
                            ),
                        );
                    }
                    return true;
                }
            }
        }
        true
    }

    /// An audio container whose header lies in `window` (read at `at`, in
    /// a stretch that ends at `to`) as a member `embedded@OFFSET`.
    fn embedded_audio(
        &mut self,
        level: &Level<'_, '_>,
        prefix: &str,
        depth: u32,
        window: &[u8],
        at: u64,
        to: u64,
    ) {
        let sample = Sample::new(to - at, window, &[]);
        let found = sniff::prefix::audio_behind(&sample)
            .map(|(k, _)| k)
            .or_else(|| {
                let s = sniff::sniff(&sample, &[]);
                (s.class == Class::Audio).then_some(0)
            });
        if let Some(k) = found {
            let start = at + k as u64;
            let data = level.from(start, HEAD_LEN).unwrap_or_default();
            self.member(
                prefix,
                &format!("embedded@{start}"),
                &data,
                to - start,
                depth,
            );
        }
    }

    /// The local entry at `at` (ending by `to`) as a member; where the next
    /// may start, or `None` when no plausible header is there.
    fn local_entry(
        &mut self,
        level: &Level<'_, '_>,
        prefix: &str,
        depth: u32,
        at: u64,
        to: u64,
    ) -> Option<u64> {
        let local = level.at(at, LOCAL_HEADER as usize)?;
        let le16 = |i: usize| u16::from_le_bytes([local[i], local[i + 1]]);
        let le32 =
            |i: usize| u32::from_le_bytes([local[i], local[i + 1], local[i + 2], local[i + 3]]);
        let (flags, method) = (le16(6), le16(8));
        let (compressed, size) = (u64::from(le32(18)), u64::from(le32(22)));
        let (name_len, extra_len) = (u64::from(le16(26)), u64::from(le16(28)));
        // What zip writers put there: a version below 10.0, a name.
        if le16(4) > 100 || name_len == 0 || name_len > 1024 {
            return None;
        }
        let name = level.at(at + LOCAL_HEADER, name_len as usize)?;
        let name = std::str::from_utf8(&name)
            .ok()
            .filter(|n| !n.contains('\0'))?
            .to_string();
        let data_at = (at + LOCAL_HEADER + name_len).checked_add(extra_len)?;
        if data_at > to {
            return None;
        }
        // A data descriptor after the data: its length is only known by
        // decoding it, or, stored, by the descriptor that follows it
        // (`torch.save` writes its members so).
        let described = (flags & 8 != 0 && method == 0)
            .then(|| stored_end(level, data_at, to))
            .flatten();
        let streamed = flags & 8 != 0 && described.is_none();
        let stored_len = match described {
            Some((len, _)) => len,
            None if streamed => to - data_at,
            None => compressed.min(to - data_at),
        };
        if stored_len == 0 {
            return Some(data_at);
        }
        let member = format!("{name}@{at}");
        if flags & 1 != 0 || method == 99 {
            let entry = sniff::ZipEntry {
                name: name.clone(),
                name_len,
                flags,
                method,
                compressed_size: stored_len,
                size,
                local_offset: at,
                aes: method == 99,
                aes_method: None,
            };
            let sniff = self
                .flagged_in_clear(level, &entry, &chain(prefix, &member))
                .unwrap_or_else(|| by_name(&name, entry.encryption()));
            self.inside.members.push(Member {
                member: chain(prefix, &member),
                sniff,
                size,
            });
        } else if method_format(method).is_none() {
            self.limit(
                &chain(prefix, &member),
                Limit::Unsupported,
                format!("zip compression method {method}"),
            );
            self.undecoded_by_name(chain(prefix, &member), &name, size);
            // Its declared length is not trusted to skip anything.
            return Some(data_at);
        } else if let Some(format) = method_format(method) {
            let budget = self.budget().max(PEEK);
            let want = stored_len.min(budget).min(4 * HEAD_LEN as u64) as usize;
            let raw = level.from(data_at, want)?;
            let data = match format {
                None => raw[..raw.len().min(budget as usize)].to_vec(),
                Some(format) => decode(format, &raw, budget, self.deadline).out,
            };
            self.spent += data.len() as u64;
            let size = match described {
                Some((len, _)) => len,
                None if streamed => data.len() as u64,
                None => size,
            };
            self.member(prefix, &member, &data, size, depth);
        }
        // After a streamed entry the search for the next header goes on
        // inside its data.
        Some(match described {
            Some((len, descriptor)) => data_at + len + descriptor,
            None if streamed => data_at,
            None => data_at + stored_len,
        })
    }

    /// Up to `want` bytes of a member's stored data, found through its
    /// local header; a limit says why not.
    fn member_data<'l>(
        &mut self,
        level: &'l Level<'_, '_>,
        e: &sniff::ZipEntry,
        member: &str,
        want: usize,
    ) -> Option<Cow<'l, [u8]>> {
        let Some(local) = level.at(e.local_offset, LOCAL_HEADER as usize) else {
            self.limit(
                member,
                Limit::MemberBytes,
                "member header could not be read".into(),
            );
            return None;
        };
        if !local.starts_with(b"PK\x03\x04") {
            self.limit(
                member,
                Limit::Unsupported,
                format!("no local header at byte {}", e.local_offset),
            );
            return None;
        }
        let name_len = u64::from(u16::from_le_bytes([local[26], local[27]]));
        let extra_len = u64::from(u16::from_le_bytes([local[28], local[29]]));
        let data_at = e
            .local_offset
            .checked_add(LOCAL_HEADER + name_len + extra_len)
            .filter(|&at| at <= level.size);
        let Some(data_at) = data_at else {
            self.limit(
                member,
                Limit::Unsupported,
                format!(
                    "local header at byte {} puts the data past the end of the archive",
                    e.local_offset
                ),
            );
            return None;
        };
        let Some(raw) = level.from(data_at, want) else {
            self.limit(
                member,
                Limit::MemberBytes,
                "member data could not be read".into(),
            );
            return None;
        };
        Some(raw)
    }

    /// A member flagged as encrypted whose stored bytes are a recording in
    /// the clear: the flag is one bit, and setting it on plain data hides
    /// nothing from whoever reads the bytes. Ciphertext (behind ZipCrypto's
    /// 12-byte header or AES's salt) never holds a validated audio header,
    /// nor does it inflate.
    fn flagged_in_clear(
        &mut self,
        level: &Level<'_, '_>,
        e: &sniff::ZipEntry,
        member: &str,
    ) -> Option<Sniff> {
        let budget = self.budget().max(PEEK).min(HEAD_LEN as u64);
        let raw = self.member_data(level, e, member, e.compressed_size.min(budget) as usize)?;
        self.spent += raw.len() as u64;
        // The method fields are as easy to set as the flag: deflate, what
        // nearly every zip uses, is tried whatever they say, from the start
        // and after ZipCrypto's 12-byte header, besides the declared method.
        let declared = method_format(e.aes_method.unwrap_or(e.method)).flatten();
        let mut decodes: Vec<(&str, usize)> = declared.into_iter().map(|f| (f, 0)).collect();
        decodes.extend([("deflate", 0), ("deflate", 12)]);
        decodes.dedup();
        if let Some(found) = recording_in_clear(&raw) {
            return Some(found);
        }
        for (format, skip) in decodes {
            let Some(input) = raw.get(skip..) else {
                continue;
            };
            let out = decode(format, input, budget, self.deadline).out;
            self.spent += out.len() as u64;
            if let Some(found) = recording_in_clear(&out) {
                return Some(found);
            }
        }
        None
    }
}

/// The recording a flagged member's bytes (stored or decoded) hold in the
/// clear: an audio container at their start or behind a short prefix.
fn recording_in_clear(bytes: &[u8]) -> Option<Sniff> {
    if bytes.is_empty() {
        return None;
    }
    let sample = Sample::new(bytes.len() as u64, bytes, &[]);
    let found = sniff::sniff(&sample, &[]);
    let found = if found.class == Class::Audio && found.encryption == Encryption::None {
        found
    } else {
        sniff::prefix::audio_behind(&sample)?.1
    };
    Some(found.with(
        "zip_flag",
        "marked encrypted, but its stored bytes are a recording in the clear",
    ))
}

/// Searched for a stored member's data descriptor, from its data on: as
/// much as a member's data is read for in one go.
const DESCRIPTOR_SEARCH: usize = 4 * HEAD_LEN;

/// The length of a stored member's data that a data descriptor follows,
/// and the descriptor's length: the first `PK 07 08` whose compressed and
/// uncompressed sizes (32-bit, or Zip64's 64-bit) both equal its distance
/// from `data_at`, within [`DESCRIPTOR_SEARCH`] bytes (and before `to`).
fn stored_end(level: &Level<'_, '_>, data_at: u64, to: u64) -> Option<(u64, u64)> {
    let want = (to - data_at).min(DESCRIPTOR_SEARCH as u64 + 24) as usize;
    let window = level.from(data_at, want)?;
    let descriptor = sniff::bytes::needle!(b"PK\x07\x08");
    let found = sniff::bytes::find_all(descriptor, &window).find_map(|p| {
        let len = p as u64;
        let sizes32 = le32(&window, p + 8).map(u64::from) == Some(len)
            && le32(&window, p + 12).map(u64::from) == Some(len);
        let sizes64 = le64(&window, p + 8) == Some(len) && le64(&window, p + 16) == Some(len);
        match (sizes32, sizes64) {
            (true, _) => Some((len, 16)),
            (_, true) => Some((len, 24)),
            _ => None,
        }
    });
    found
}

/// Bytes the search for unlisted entries may read in one archive.
const UNLISTED_READS: u64 = 16 << 20;

/// Does the local header at the start of `h` (at `at` in an object of
/// `size` bytes) look like one a zip tool wrote? A method atrest knows or a
/// flagged one, a name without NUL bytes, and data that fits the object
/// unless a data descriptor or a Zip64 extra field gives its size.
pub(crate) fn entry_holds_up(h: &[u8], at: u64, size: u64) -> bool {
    let (Some(flags), Some(method), Some(csize), Some(name_len), Some(extra_len)) = (
        le16(h, 6),
        le16(h, 8),
        le32(h, 18),
        le16(h, 26),
        le16(h, 28),
    ) else {
        return false;
    };
    let csize = u64::from(csize);
    let known = method_format(method).is_some() || method == 99 || flags & 1 != 0;
    let name = h.get(30..30 + usize::from(name_len));
    let data_end = at + 30 + u64::from(name_len) + u64::from(extra_len) + csize;
    known
        && name.is_some_and(|n| !n.is_empty() && !n.contains(&0))
        // (A Zip64 entry's sizes are in its extra field.)
        && (flags & 8 != 0 || csize == 0xffff_ffff || data_end <= size)
}

/// How a member's data is compressed: `Some(None)` when stored,
/// `None` for a method not decoded here.
fn method_format(method: u16) -> Option<Option<&'static str>> {
    Some(match method {
        0 => None,
        8 => Some("deflate"),
        9 => Some("deflate64"),
        12 => Some("bzip2"),
        93 => Some("zstd"),
        95 => Some("xz"),
        _ => return None,
    })
}

/// For each entry, an entry whose data it overlaps, if any. Entries are
/// taken in order of their local headers; one that starts before an earlier
/// one's data ends overlaps it, and the earlier one is marked too. Real archives never do this: the
/// non-recursive zip bomb (many entries over one deflate kernel, or each
/// entry's data quoting the next header) does.
/// `spans`: (local header offset, compressed size, is a directory) per entry.
fn overlaps(spans: &[(u64, u64, bool)]) -> Vec<Option<usize>> {
    let mut order: Vec<usize> = (0..spans.len()).filter(|&i| !spans[i].2).collect();
    order.sort_by_key(|&i| (spans[i].0, i));
    let mut out = vec![None; spans.len()];
    // (end of the furthest-reaching data so far, whose it is)
    let mut reach: Option<(u64, usize)> = None;
    for i in order {
        let (offset, compressed, _) = spans[i];
        if let Some((end, whose)) = reach {
            if offset < end {
                // Both sides are the bomb: the one whose data holds another
                // entry's header is not a member of a real archive either.
                out[i] = Some(whose);
                out[whose].get_or_insert(i);
                continue;
            }
        }
        let end = offset
            .saturating_add(LOCAL_HEADER)
            .saturating_add(compressed);
        if reach.is_none_or(|(r, _)| end > r) {
            reach = Some((end, i));
        }
    }
    out
}

impl Walk<'_> {
    /// A member compressed with a method not decoded here (LZMA, PPMd, …)
    /// is judged by its name where the name says what it is, as RAR's own
    /// method's members are: a `.wav` there is a recording anyone with
    /// 7-Zip can read. Beside the member's `not-inspected` limit.
    fn undecoded_by_name(&mut self, member: String, name: &str, size: u64) {
        if let Some((format, class)) = sniff::formats::of_extension(name) {
            let sniff = Sniff::new(format, None, class, Encryption::None).with(
                "basis",
                "compressed with a method not decoded here; class inferred from the member name",
            );
            self.inside.members.push(Member {
                member,
                sniff,
                size,
            });
        }
    }
}

/// What an encrypted member probably is, from its name alone: names, sizes
/// and CRCs of encrypted zip members stay in the clear.
pub(super) fn by_name(name: &str, encryption: Encryption) -> Sniff {
    let (format, class) =
        sniff::formats::of_extension(name).unwrap_or(("unknown", Class::Encrypted));
    Sniff::new(format, None, class, encryption)
        .with(
            "basis",
            "content encrypted; class inferred from the member name",
        )
        .with(
            "scheme",
            if encryption == Encryption::Weak {
                "ZipCrypto (broken)"
            } else {
                "WinZip AES"
            },
        )
}

#[cfg(test)]
mod tests {
    use super::super::tests::{look, wav};
    use crate::sniff::Encryption;
    use crate::unpack::{Inside, Limit};

    /// Is a WAV among the members, under a name `named` accepts? (Fails
    /// with the members and limits in the message.)
    fn assert_wav(inside: &Inside, named: impl Fn(&str) -> bool, what: &str) {
        assert!(
            inside
                .members
                .iter()
                .any(|m| named(&m.member) && m.sniff.format == "wav"),
            "{what}: {:?} {:?}",
            inside.members,
            inside.limits
        );
    }

    /// Nothing read and nothing reported.
    fn assert_nothing(inside: &Inside, what: &str) {
        assert!(
            inside.members.is_empty() && inside.limits.is_empty(),
            "{what}: {:?} {:?}",
            inside.members,
            inside.limits
        );
    }

    /// A local header then a central directory entry for each (name,
    /// local offset, compressed data, method); `name_len` overrides the
    /// local header's name length.
    fn zip(members: &[(&str, &[u8], u16)], name_len: Option<u16>, shared: bool) -> Vec<u8> {
        let mut body = Vec::new();
        let mut cd = Vec::new();
        for (i, (name, data, method)) in members.iter().enumerate() {
            let offset = if shared && i > 0 {
                0
            } else {
                body.len() as u32
            };
            if !shared || i == 0 {
                body.extend(b"PK\x03\x04\x14\x00\x00\x00");
                body.extend(method.to_le_bytes());
                body.extend([0u8; 8]);
                body.extend((data.len() as u32).to_le_bytes());
                body.extend((data.len() as u32 * 1000).to_le_bytes());
                body.extend(name_len.unwrap_or(name.len() as u16).to_le_bytes());
                body.extend(0u16.to_le_bytes());
                body.extend(name.as_bytes());
                body.extend(*data);
            }
            cd.extend(b"PK\x01\x02\x14\x00\x14\x00\x00\x00");
            cd.extend(method.to_le_bytes());
            cd.extend([0u8; 8]);
            cd.extend((data.len() as u32).to_le_bytes());
            cd.extend((data.len() as u32 * 1000).to_le_bytes());
            cd.extend((name.len() as u16).to_le_bytes());
            cd.extend([0u8; 12]);
            cd.extend(offset.to_le_bytes());
            cd.extend(name.as_bytes());
        }
        let at = body.len() as u32;
        let n = members.len() as u16;
        body.extend(&cd);
        body.extend(b"PK\x05\x06\x00\x00\x00\x00");
        body.extend(n.to_le_bytes());
        body.extend(n.to_le_bytes());
        body.extend((cd.len() as u32).to_le_bytes());
        body.extend(at.to_le_bytes());
        body.extend([0, 0]);
        body
    }

    /// Members of a method not decoded here (14, LZMA) are judged by a name
    /// that says what they are, beside the limit; others leave the limit.
    #[test]
    fn members_of_an_undecoded_method_are_judged_by_name() {
        let lzma = crate::sniff::testutil::pseudo_random(3000, 4);
        let z = zip(
            &[("calls/a.wav", &lzma, 14), ("notes.bin", &lzma, 14)],
            None,
            false,
        );
        let inside = look(&z);
        assert_eq!(
            inside.found(),
            [("calls/a.wav", "wav")],
            "{:?}",
            inside.limits
        );
        assert_eq!(inside.members[0].sniff.class, crate::sniff::Class::Audio);
        assert!(inside.says("zip compression method 14"));
    }

    /// A zip without its directory (cut short, or a stored zip inside a
    /// zip held only up to the member budget) is walked by its local
    /// entries, with a limit saying why.
    #[test]
    fn a_zip_without_its_directory_is_walked_by_its_local_entries() {
        use super::super::tests::{look, wav};
        // Longer than the member budget (1 MiB), to which a stored member
        // is read: nested, its directory lies beyond what is held.
        let mut long = wav();
        long.resize(1_200_000, 0x11);
        let z = crate::sniff::tiny_zip_with_extra("call.wav", &long, 0, 0, &[]);
        let cd = crate::sniff::bytes::needle!(b"PK\x01\x02")
            .find(&z)
            .unwrap();
        let inside = look(&z[..cd]);
        assert_eq!(inside.formats(), ["wav"], "{:?}", inside.limits);
        assert_eq!(inside.members[0].member, "call.wav@0");
        assert!(inside.says("central directory not found (truncated archive?); local entries"));
        let nested = crate::sniff::tiny_zip_with_extra("inner.zip", &z, 0, 0, &[]);
        let inside = look(&nested);
        let found = inside.found();
        assert!(
            found.contains(&("inner.zip!/call.wav@0", "wav")),
            "{found:?} {:?}",
            inside.limits
        );
    }

    /// Stored members followed by a data descriptor (as `torch.save`
    /// writes them, sizes zero in the local header) end where their
    /// descriptor says, in a zip without its directory: the next member
    /// is its own, not bytes of the one before it.
    #[test]
    fn stored_members_end_at_their_data_descriptor() {
        use super::super::tests::{look, wav};
        let entry = |name: &str, data: &[u8], zip64: bool| {
            let mut e = b"PK\x03\x04\x14\x00\x08\x08\x00\x00".to_vec();
            e.extend([0u8; 16]);
            e.extend((name.len() as u16).to_le_bytes());
            e.extend(0u16.to_le_bytes());
            e.extend(name.as_bytes());
            e.extend(data);
            e.extend(b"PK\x07\x08\x00\x00\x00\x00");
            if zip64 {
                e.extend((data.len() as u64).to_le_bytes());
                e.extend((data.len() as u64).to_le_bytes());
            } else {
                e.extend((data.len() as u32).to_le_bytes());
                e.extend((data.len() as u32).to_le_bytes());
            }
            e
        };
        let notes = b"a note, then a recording".repeat(40);
        let first = entry("archive/notes.txt", &notes, false);
        let z = [first.clone(), entry("archive/call.wav", &wav(), true)].concat();
        let inside = look(&z);
        let at = first.len();
        assert_eq!(
            inside.found(),
            [
                ("archive/notes.txt@0", "text"),
                (&*format!("archive/call.wav@{at}"), "wav")
            ],
            "{:?}",
            inside.limits
        );
        let notes_member = inside
            .members
            .iter()
            .find(|m| m.member.starts_with("archive/notes.txt"))
            .unwrap();
        assert_eq!(notes_member.size, notes.len() as u64);
    }

    /// The encryption flag is one bit: set on a member whose stored bytes
    /// are a plain (or merely deflated) recording, it hides nothing, and
    /// the member is that recording. Ciphertext under the same flags stays
    /// judged by name.
    #[test]
    fn a_recording_flagged_as_encrypted_but_stored_in_clear_is_found() {
        use std::io::Write;
        let w = wav();
        let mut deflated =
            flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::fast());
        deflated.write_all(&w).unwrap();
        let deflated = deflated.finish().unwrap();
        // Version 2, vendor "AE", AES-256, then the real method.
        let aes = |method: u16| {
            let mut x = vec![0x01, 0x99, 7, 0, 2, 0, b'A', b'E', 3];
            x.extend(method.to_le_bytes());
            x
        };
        let zipcrypto_header_then_wav = [&[0x5a; 12][..], &w].concat();
        let zipcrypto_header_then_deflated = [&[0x5a; 12][..], &deflated].concat();
        let mut x = 1u64;
        let noise: Vec<u8> = (0..w.len())
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x as u8
            })
            .collect();
        for (data, flags, method, extra, clear) in [
            (&w[..], 1u16, 0u16, vec![], true),
            (&zipcrypto_header_then_wav[..], 1, 0, vec![], true),
            (&w[..], 1, 99, aes(0), true),
            (&deflated[..], 1, 99, aes(8), true),
            (&deflated[..], 1, 8, vec![], true),
            // Method fields are as easy to set as the flag.
            (&deflated[..], 1, 99, aes(0), true),
            (&zipcrypto_header_then_deflated[..], 1, 0, vec![], true),
            (&noise[..], 1, 0, vec![], false),
            (&noise[..], 1, 99, aes(8), false),
        ] {
            let zip = crate::sniff::tiny_zip_with_extra("call.wav", data, flags, method, &extra);
            let inside = look(&zip);
            let m = &inside.members[0].sniff;
            let seen = (&*m.format, m.encryption);
            if clear {
                assert_eq!(seen, ("wav", Encryption::None), "method {method} {extra:?}");
                assert!(m.evidence.contains_key("zip_flag"));
            } else {
                assert_ne!(m.encryption, Encryption::None, "method {method}");
                assert_eq!(
                    m.evidence["basis"],
                    "content encrypted; class inferred from the member name"
                );
            }
        }
    }

    /// What unzip lists is the central directory; what a reader of the
    /// bytes gets is everything. A zip appended to another lists only the
    /// last one's members, and a local entry left out of the directory is
    /// still stored: both are read as members `NAME@OFFSET`.
    #[test]
    fn entries_the_directory_does_not_list_are_read() {
        let w = wav();
        let text = b"meeting notes\n".repeat(40);
        let first = zip(&[("voice.wav", &w, 0)], None, false);
        let second = zip(&[("notes.txt", &text, 0)], None, false);
        let appended = [&first[..], &second[..]].concat();
        // The second archive's own entry, between its data and directory.
        let cd_at = second.windows(4).position(|x| x == b"PK\x01\x02").unwrap();
        let local = &first[..first.windows(4).position(|x| x == b"PK\x01\x02").unwrap()];
        let mut unlisted = [&second[..cd_at], local, &second[cd_at..]].concat();
        let end = unlisted.len() - 22;
        let moved = (cd_at + local.len()) as u32;
        unlisted[end + 16..end + 20].copy_from_slice(&moved.to_le_bytes());
        for (z, hidden) in [
            (appended, "voice.wav@0"),
            (unlisted, &*format!("voice.wav@{cd_at}")),
        ] {
            let inside = look(&z);
            let names = inside.found();
            assert!(names.contains(&("notes.txt", "text")), "{names:?}");
            assert!(names.contains(&(hidden, "wav")), "{names:?}");
            // (The helper declares sizes a thousand times the data.)
            assert!(
                inside.limits.iter().all(|l| l.limit == Limit::Ratio),
                "{:?}",
                inside.limits
            );
        }
        // After the directory: an entry past the end record, a recording
        // as the archive comment.
        let text_zip = zip(&[("notes.txt", &text, 0)], None, false);
        let after_end = [&text_zip[..], local].concat();
        let mut as_comment = text_zip.clone();
        let at = as_comment.len() - 2;
        as_comment.splice(at.., (w.len() as u16).to_le_bytes());
        as_comment.extend(&w);
        for (z, hidden) in [
            (after_end, format!("voice.wav@{}", text_zip.len())),
            (as_comment, format!("embedded@{}", text_zip.len())),
        ] {
            let inside = look(&z);
            assert!(
                inside
                    .members
                    .iter()
                    .any(|m| m.member == hidden && m.sniff.format == "wav"),
                "{hidden}: {:?}",
                inside.members
            );
        }
        // A zip with no stray bytes gains nothing; nor does one whose local
        // extra field (alignment padding) is far longer than the
        // directory's: the bytes it pushes the data on by are that member's.
        let inside = look(&first);
        assert_eq!(inside.members.len(), 1);
        let nested = zip(&[("lib.zip", &first, 0)], None, false);
        let pad = 20_000usize;
        let name_end = 30 + "lib.zip".len();
        let mut padded = nested[..name_end].to_vec();
        padded[28..30].copy_from_slice(&(pad as u16).to_le_bytes());
        padded.extend(vec![0u8; pad]);
        padded.extend(&nested[name_end..]);
        let end = padded.len() - 22;
        let cd = u32::from_le_bytes(padded[end + 16..end + 20].try_into().unwrap()) + pad as u32;
        padded[end + 16..end + 20].copy_from_slice(&cd.to_le_bytes());
        let inside = look(&padded);
        let names: Vec<&str> = inside.members.iter().map(|m| m.member.as_str()).collect();
        // (Inside lib.zip, whose size the helper declares a thousand times
        // its bytes, no end record is found: its entries are read one
        // after another, as `lib.zip!/voice.wav@0`.)
        assert!(
            names.contains(&"lib.zip")
                && names
                    .iter()
                    .all(|n| !n.contains('@') || n.starts_with("lib.zip!/")),
            "{names:?}"
        );
    }

    /// The end record is searched for as far back as the longest comment
    /// (65,535 bytes) puts it.
    #[test]
    fn a_zip_with_the_longest_comment_is_opened() {
        let w = wav();
        let mut z = zip(&[("a.wav", &w, 0)], None, false);
        let at = z.len() - 2;
        z.splice(at.., 0xffffu16.to_le_bytes());
        z.extend(vec![b'C'; 0xffff]);
        let inside = look(&z);
        assert!(
            !inside.limits.iter().any(|l| l.limit == Limit::Unsupported),
            "{:?}",
            inside.limits
        );
        assert_eq!(inside.members.len(), 1);
        assert_eq!(inside.members[0].sniff.format, "wav");
    }

    #[test]
    fn a_local_name_length_past_the_end_is_a_limit() {
        let w = wav();
        let inside = look(&zip(&[("a.wav", &w, 0)], Some(0xffff), false));
        assert!(
            inside
                .limits
                .iter()
                .any(|l| l.limit == Limit::Unsupported && l.message.contains("past the end")),
            "{:?}",
            inside.limits
        );
    }

    #[test]
    fn overlapping_entries_are_one_bomb_limit() {
        let kernel = [0u8; 100];
        let members: Vec<(String, &[u8], u16)> = (0..300)
            .map(|i| (format!("z{i:03}.bin"), &kernel[..], 0))
            .collect();
        let members: Vec<(&str, &[u8], u16)> = members
            .iter()
            .map(|(n, d, m)| (n.as_str(), *d, *m))
            .collect();
        let inside = look(&zip(&members, None, true));
        assert_eq!(inside.limits.len(), 1, "{:?}", inside.limits);
        assert_eq!(inside.limits[0].limit, Limit::Ratio);
        assert!(inside.limits[0].message.contains("299 more"));
        assert!(inside.members.is_empty());
    }

    /// Past `max_members` the directory is not read whole, and the bytes
    /// of the members left out are members all the same, not unlisted:
    /// jars of thousands of classes gain nothing.
    /// `z` (a zip with no comment) with a Zip64 end record and locator
    /// before its end record, whose fields then defer to them.
    fn as_zip64(z: &[u8]) -> Vec<u8> {
        let end = z.len() - 22;
        let le16 = |at: usize| u64::from(u16::from_le_bytes([z[at], z[at + 1]]));
        let le32 = |at: usize| u64::from(u32::from_le_bytes(z[at..at + 4].try_into().unwrap()));
        let (count, cd_size, cd_at) = (le16(end + 10), le32(end + 12), le32(end + 16));
        let mut out = z[..end].to_vec();
        let record = out.len() as u64;
        out.extend(b"PK\x06\x06");
        out.extend(44u64.to_le_bytes());
        out.extend([45, 0, 45, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        for v in [count, count, cd_size, cd_at] {
            out.extend(v.to_le_bytes());
        }
        out.extend(b"PK\x06\x07\0\0\0\0");
        out.extend(record.to_le_bytes());
        out.extend(1u32.to_le_bytes());
        out.extend(b"PK\x05\x06\0\0\0\0\xff\xff\xff\xff");
        out.extend(u32::MAX.to_le_bytes());
        out.extend(u32::MAX.to_le_bytes());
        out.extend([0, 0]);
        out
    }

    #[test]
    fn a_zip64_archive_appended_to_other_bytes_is_read() {
        let w = wav();
        let voice = as_zip64(&zip(&[("voice.wav", &w, 0)], None, false));
        let text = b"meeting notes\n".repeat(40);
        let notes = zip(&[("notes.txt", &text, 0)], None, false);
        for (z, what) in [
            (voice.clone(), "alone"),
            ([&notes[..], &voice[..]].concat(), "after a zip"),
        ] {
            let inside = look(&z);
            assert_wav(&inside, |m| m == "voice.wav", what);
        }
    }

    #[test]
    fn a_zip_behind_a_stub_is_read() {
        let w = wav();
        let voice = zip(&[("voice.wav", &w, 0)], None, false);
        let mut stub_exe = b"MZ\x90\0".to_vec();
        stub_exe.extend(vec![0u8; 4000]);
        let long_script = b"#!/bin/sh\n# installer\n".repeat(500);
        for (prefix, what) in [
            (&b"\0"[..], "one byte"),
            (b"#!/bin/sh\nexec java -jar \"$0\" \"$@\"\n", "shell stub"),
            (b"#!/usr/bin/env python3\n", "zipapp"),
            (&stub_exe[..], "executable"),
            (&long_script[..], "a stub longer than the text probe"),
        ] {
            for z in [voice.clone(), as_zip64(&voice)] {
                let inside = look(&[prefix, &z[..]].concat());
                assert_wav(&inside, |m| m == "voice.wav", what);
            }
        }
        // With no end record (cut before its directory, or followed by
        // more than the tail the end record is looked for in), the local
        // entries are read one after another.
        let cd_at = voice.windows(4).position(|x| x == b"PK\x01\x02").unwrap();
        let junk = vec![7u8; 70_000];
        for (bytes, what) in [
            ([&stub_exe[..], &voice[..cd_at]].concat(), "cut"),
            (
                [&b"#!/bin/sh\n"[..], &voice[..], &junk[..]].concat(),
                "junk after",
            ),
            ([&long_script[..], &voice[..cd_at]].concat(), "text, cut"),
        ] {
            let inside = look(&bytes);
            assert_wav(&inside, |m| m.starts_with("voice.wav@"), what);
        }
        // Random bytes with a local header signature that no zip tool would
        // write after it (an unknown method) read nothing either.
        let mut noise = crate::sniff::testutil::pseudo_random(100_000, 5);
        noise[5000..5030]
            .copy_from_slice(b"PK\x03\x04\x14\x00\x00\x00\x34\x12abcdefghijklmnop\x04\x00\x00\x00");
        assert_nothing(&look(&noise), "noise");
        // An end record with no local header in the head is no zip: nothing
        // is read or reported.
        let bytes = [
            &stub_exe[..],
            &vec![7u8; crate::sniff::HEAD_LEN][..],
            &voice[cd_at..],
        ]
        .concat();
        assert_nothing(&look(&bytes), "end record only");
    }

    #[test]
    fn a_zip_behind_a_stub_beyond_the_depth_limit_is_a_limit() {
        let w = wav();
        // Stored members whose sizes are true (this module's builder
        // declares a thousand times the data, which the ratio guard stops).
        let stored =
            |name: &str, data: &[u8]| crate::sniff::tiny_zip_with_extra(name, data, 0, 0, &[]);
        let mut nested = [&b"#!/bin/sh\n"[..], &stored("voice.wav", &w)].concat();
        for _ in 0..3 {
            nested = stored("inner.zip", &nested);
        }
        let inside = look(&nested);
        assert!(
            inside
                .limits
                .iter()
                .any(|l| l.limit == Limit::Depth
                    && l.message.starts_with("zip behind a sh head beyond")),
            "{:?}",
            inside.limits
        );
        assert!(inside
            .members
            .iter()
            .all(|m| !m.member.ends_with("voice.wav")));
    }

    #[test]
    fn members_past_the_limit_are_not_taken_for_unlisted_entries() {
        let mut rules = crate::rules::RuleSet::embedded();
        rules.limits.max_members = 2;
        let text = b"class file\n".repeat(30);
        let names = ["a.txt", "b.txt", "c.txt", "d.txt"];
        let members: Vec<(&str, &[u8], u16)> = names.iter().map(|n| (*n, &text[..], 0)).collect();
        let inside = super::super::tests::look_with(&zip(&members, None, false), &rules);
        assert!(
            inside.members.iter().all(|m| !m.member.contains('@')),
            "{:?}",
            inside.members
        );
        assert!(inside.limits.iter().any(|l| l.limit == Limit::Members));
    }

    #[test]
    fn a_member_larger_than_the_budget_is_judged_from_its_head() {
        let mut rules = crate::rules::RuleSet::embedded();
        rules.limits.max_member_bytes = 8192;
        let w = wav();
        assert!(w.len() > 8192);
        let inside =
            super::super::tests::look_with(&zip(&[("call.wav", &w, 0)], None, false), &rules);
        assert_eq!(inside.members[0].sniff.format, "wav");
        // (The helper declares 1000 times the data: a ratio limit too.)
        assert!(
            inside.limits.iter().any(|l| l.limit == Limit::MemberBytes
                && l.message.contains("judged from its first 8192 bytes")),
            "{:?}",
            inside.limits
        );
        // With the object's budget spent on a first member, the second is
        // still judged from its head.
        rules.limits.max_member_bytes = 1 << 20;
        rules.limits.max_object_bytes = w.len() as u64;
        let v = zip(&[("a.wav", &w, 0), ("b.wav", &w, 0)], None, false);
        let inside = super::super::tests::look_with(&v, &rules);
        let formats = inside.formats();
        assert_eq!(formats, ["wav", "wav"], "{:?}", inside.limits);
        assert!(inside.limits.iter().any(|l| l.limit == Limit::ObjectBytes));
    }

    #[test]
    fn deflate64_members_are_decoded() {
        let w = wav();
        // Stored Deflate64 blocks of at most 65,535 bytes.
        let mut d = Vec::new();
        let blocks: Vec<&[u8]> = w.chunks(65_535).collect();
        for (i, b) in blocks.iter().enumerate() {
            d.push(u8::from(i + 1 == blocks.len()));
            d.extend((b.len() as u16).to_le_bytes());
            d.extend((!(b.len() as u16)).to_le_bytes());
            d.extend(*b);
        }
        let inside = look(&zip(&[("speech.wav", &d, 9)], None, false));
        assert_eq!(inside.members[0].sniff.format, "wav", "{:?}", inside.limits);
    }

    /// A bzip2 member whose first block compresses to more than the input
    /// a head's decoding reads: read on to the block's end; a block that
    /// still does not decode is a limit, never a clean `unknown`.
    #[test]
    fn a_bzip2_member_is_read_to_the_end_of_its_first_block() {
        use std::io::Write;
        let mut w = wav()[..44].to_vec();
        w.extend(crate::sniff::testutil::pseudo_random(800_000, 7));
        let mut e = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::best());
        e.write_all(&w).unwrap();
        let bz = e.finish().unwrap();
        assert!(bz.len() > 4 * crate::sniff::HEAD_LEN);
        let inside = look(&zip(&[("call.wav", &bz, 12)], None, false));
        assert_eq!(inside.members[0].sniff.format, "wav", "{:?}", inside.limits);
        // The same member cut before its first block ends decodes nothing,
        // and says so.
        let cut = &bz[..bz.len() / 2];
        let inside = look(&zip(&[("call.wav", cut, 12)], None, false));
        assert!(
            inside
                .limits
                .iter()
                .any(|l| l.message.contains("not decoded past byte 0")),
            "{:?}",
            inside.limits
        );
    }
}
