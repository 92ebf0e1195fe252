//! Files shown as hex dumps: `xxd` (any `-g`, `-e`, `-u`), `hexdump -C`
//! (`hd`), `hexdump`, `od -t x1` and `od -x` with or without offsets.
//! Pasted into a ticket, a log or a chat export, a recording dumped so is
//! plain ASCII in short groups of hex digits between offsets and a column
//! of characters: no run of one alphabet for the base64 and hex search,
//! no list of numbers for the number readers, and text to the statistics.
//!
//! Every such tool writes a fixed layout: the same groups at the same
//! columns on every full line, offsets that grow by the bytes a line
//! holds, repeated lines squeezed to a `*` (read back from the offsets
//! around it), and a last line of the total size. The layout is learned
//! from three lines and each line must keep to it, so a table of hex
//! numbers that is no dump (a code page, a register map) is not read as
//! one unless it holds the same shape.

use super::{Level, Limit, Walk};
use crate::sniff::{Class, HEAD_LEN};
use crate::unpack::encoded;

/// A dump is looked for on the line after every this many bytes of text:
/// a dump longer than this (about 900 bytes dumped) is found whatever
/// else the text holds, at a few line tests per text.
pub(super) const PROBE: usize = 4096;
/// Lines longer than this are no dump's (`xxd -c 256` writes 1,300).
const MAX_LINE: usize = 2048;
/// Fewer bytes dumped are no recording (a header shown in a bug report).
const MIN_BYTES: usize = 256;
/// Text read from a dump that reaches the end of the head: about 60 KB
/// dumped, a recording's header and its first second or two.
const MAX_DUMP_TEXT: usize = 4 * HEAD_LEN;

/// How the groups of a dump's lines are laid out.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Layout {
    /// The radix of the offset each line opens with (16, or od's 8);
    /// `None` when lines have no offset (`od -A n`).
    radix: Option<u32>,
    /// Hex digits in a group: 2 for bytes, 4 for `xxd`'s and `od -x`'s
    /// default words, up to 16.
    digits: usize,
    /// Where each group of a full line starts.
    columns: Vec<usize>,
    /// Full lines end in a column of the bytes as characters.
    text_column: bool,
    /// Bytes before the dump's own on every line: a log's timestamp, a
    /// quote's `> `, a comment's `# `.
    prefix: usize,
}

impl Layout {
    fn line_bytes(&self) -> usize {
        self.columns.len() * self.digits / 2
    }

    /// The layout in words, for the evidence: many tools share each.
    pub fn describe(&self) -> String {
        let offsets = match self.radix {
            Some(16) => "hexadecimal offsets",
            Some(8) => "octal offsets",
            Some(_) => "decimal offsets",
            None => "no offsets",
        };
        let chars = match self.text_column {
            true => ", the bytes as characters beside",
            false => "",
        };
        let prefix = match self.prefix {
            0 => String::new(),
            n => format!(", behind {n} other bytes on every line"),
        };
        format!(
            "{} bytes a line in groups of {}, {offsets}{chars}{prefix}",
            self.line_bytes(),
            self.digits / 2
        )
    }

    /// The dump's own part of a line: what follows its prefix.
    fn own<'l>(&self, line: &'l [u8]) -> &'l [u8] {
        line.get(self.prefix..).unwrap_or_default()
    }
}

/// The order of the bytes in a group of more than one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Order {
    /// As written: `xxd`'s and `od -t x1`'s groups.
    Written,
    /// Each group least significant byte first, as `xxd -e`, `od -x` and
    /// `hexdump` write a little-endian machine's words.
    Swapped,
    /// No column of characters tells: both are judged.
    Either,
}

/// One dump read.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Dump {
    /// The bytes of its groups as written.
    written: Vec<u8>,
    /// How many bytes it shows: a last group may be padded (`hexdump`'s
    /// words), and the line of the total size says by how much.
    len: usize,
    /// Bytes in a group.
    group: usize,
    pub order: Order,
    /// Offset just past its last line in the text.
    pub end: usize,
    /// It went on past the bytes asked for or the text's end.
    pub open: bool,
}

impl Dump {
    /// The bytes it shows, each group turned around for `Order::Swapped`.
    pub fn bytes(&self, order: Order) -> Vec<u8> {
        let mut out = self.written.clone();
        if order == Order::Swapped {
            for g in out.chunks_mut(self.group) {
                g.reverse();
            }
        }
        out.truncate(self.len);
        out
    }

    pub fn len(&self) -> usize {
        self.len
    }
}

/// The spaces-separated tokens of a line: where each starts and ends.
fn tokens(line: &[u8]) -> impl Iterator<Item = (usize, usize)> + '_ {
    let mut i = 0;
    std::iter::from_fn(move || {
        while i < line.len() && matches!(line[i], b' ' | b'\t') {
            i += 1;
        }
        if i >= line.len() {
            return None;
        }
        let start = i;
        while i < line.len() && !matches!(line[i], b' ' | b'\t') {
            i += 1;
        }
        Some((start, i))
    })
}

/// A line's offset token (`00000010`, `00000010:`, `0x0010:`), as digits.
fn offset_digits(token: &[u8]) -> Option<&[u8]> {
    let t = token.strip_suffix(b":").unwrap_or(token);
    let t = t.strip_prefix(b"0x").unwrap_or(t);
    ((4..=16).contains(&t.len()) && t.iter().all(u8::is_ascii_hexdigit)).then_some(t)
}

fn value(digits: &[u8], radix: u32) -> Option<u64> {
    u64::from_str_radix(std::str::from_utf8(digits).ok()?, radix).ok()
}

fn hex_group(token: &[u8]) -> bool {
    token.len().is_multiple_of(2) && token.len() <= 64 && token.iter().all(u8::is_ascii_hexdigit)
}

/// The line that starts at `at`, without its line break; `None` past the
/// text or for a line longer than any dump's.
fn line_at(text: &[u8], at: usize) -> Option<(&[u8], usize)> {
    let rest = text.get(at..).filter(|r| !r.is_empty())?;
    let (line, next) = match memchr::memchr(b'\n', &rest[..rest.len().min(MAX_LINE + 1)]) {
        Some(n) => (&rest[..n], at + n + 1),
        None if rest.len() <= MAX_LINE => (rest, text.len()),
        None => return None,
    };
    Some((line.strip_suffix(b"\r").unwrap_or(line), next))
}

/// A line's offset digits, and where each of its groups starts and ends.
type Groups<'l> = (Option<&'l [u8]>, Vec<(usize, usize)>);

/// A line's groups as far as they go: the offset (when `with_offset`),
/// then groups of one width with no more than two blanks between them.
fn groups(line: &[u8], with_offset: bool) -> Option<Groups<'_>> {
    let mut toks = tokens(line);
    let offset = match with_offset {
        true => Some(toks.next().and_then(|(s, e)| offset_digits(&line[s..e]))?),
        false => None,
    };
    let mut found: Vec<(usize, usize)> = Vec::new();
    for (s, e) in toks {
        let t = &line[s..e];
        let width_holds = found.first().is_none_or(|&(fs, fe)| fe - fs == t.len());
        let near = found.last().is_none_or(|&(_, pe)| s - pe <= 2);
        if !hex_group(t) || !width_holds || !near {
            break;
        }
        found.push((s, e));
    }
    Some((offset, found))
}

/// The layout of a dump whose first line starts at `at`, from that line
/// and the two after it.
pub(crate) fn layout_at(text: &[u8], at: usize) -> Option<Layout> {
    let prefix = dump_start(text.get(at..)?)?;
    let (l0, n1) = line_at(text, at)?;
    let (l1, n2) = line_at(text, n1)?;
    let (l2, _) = line_at(text, n2)?;
    let lines = [l0, l1, l2].map(|l| l.get(prefix..).unwrap_or_default());
    let l0 = lines[0];
    for with_offset in [true, false] {
        let Some(parsed) = lines
            .iter()
            .map(|l| groups(l, with_offset))
            .collect::<Option<Vec<_>>>()
        else {
            continue;
        };
        let n = parsed.iter().map(|(_, g)| g.len()).min().unwrap_or(0);
        let Some(&(s, e)) = parsed[0].1.first() else {
            continue;
        };
        let digits = e - s;
        // Eight bytes or more a line, at the same columns on all three
        // lines; two groups or more where no offset opens the line (one
        // group alone is a hex run, which the search for runs reads).
        let columns: Vec<usize> = parsed[0].1[..n].iter().map(|&(s, _)| s).collect();
        if n < 2 - usize::from(with_offset)
            || n * digits < 16
            || parsed
                .iter()
                .any(|(_, g)| g[..n].iter().map(|&(s, _)| s).ne(columns.iter().copied()))
        {
            continue;
        }
        let per_line = (n * digits / 2) as u64;
        let radix = match with_offset {
            false => None,
            true => {
                let offsets: Vec<&[u8]> = parsed.iter().filter_map(|(o, _)| *o).collect();
                let steps = |radix: u32| -> Option<()> {
                    let v: Vec<u64> = offsets
                        .iter()
                        .map(|d| value(d, radix))
                        .collect::<Option<_>>()?;
                    (v[1].checked_sub(v[0]) == Some(per_line)
                        && v[2].checked_sub(v[1]) == Some(per_line))
                    .then_some(())
                };
                // Hexadecimal, od's octal, or `od -A d`'s decimal.
                match [16, 8, 10]
                    .into_iter()
                    .find(|&radix| steps(radix).is_some())
                {
                    Some(radix) => Some(radix),
                    None => continue,
                }
            }
        };
        let last = parsed[0].1[n - 1].1;
        let text_column = l0[last..].iter().any(|&c| !matches!(c, b' ' | b'\t'));
        return Some(Layout {
            radix,
            digits,
            columns,
            text_column,
            prefix,
        });
    }
    None
}

/// Where a dump's own part of the line `line` opens, if it can: at 16
/// bytes of hex digits, blanks and an offset's `:` or `0x` (one look at
/// them turns almost any other line away before it is split), at the
/// line's start or behind one of its first few blanks.
fn dump_start(line: &[u8]) -> Option<usize> {
    const TRIES: usize = 4;
    const MAX_PREFIX: usize = 64;
    // The first token (an offset, or a group of a dump without offsets)
    // ends in a blank within 19 bytes (`0x`, 16 digits, `:`): a column of
    // hex ids or hashes opens as a dump does, but runs on.
    let opens = |at: usize| {
        line.get(at..at + 20).is_some_and(|o| {
            let lead = o.iter().take_while(|&&c| encoded::blank(c)).count();
            o[..16]
                .iter()
                .all(|&c| c.is_ascii_hexdigit() || encoded::blank(c) || matches!(c, b':' | b'x'))
                && o[lead..].iter().any(|&c| encoded::blank(c))
        })
    };
    if opens(0) {
        return Some(0);
    }
    // A byte loop: a vector search costs more to set up than these few
    // dozen bytes take.
    let mut tries = 0;
    for (i, &c) in line.iter().take(MAX_PREFIX).enumerate() {
        match c {
            b'\n' => return None,
            b' ' | b'\t' if line.get(i + 1).is_some_and(u8::is_ascii_hexdigit) => {
                if opens(i + 1) {
                    return Some(i + 1);
                }
                tries += 1;
                if tries == TRIES {
                    return None;
                }
            }
            _ => {}
        }
    }
    None
}

/// The first dump in `text`: where its first line starts, and its layout.
/// Lines are tested after every [`PROBE`] bytes; from one that opens a
/// dump, the lines before it are followed back to the dump's first.
pub(crate) fn find(text: &[u8]) -> Option<(usize, Layout)> {
    let mut probe = 0;
    while probe < text.len() {
        let start = match probe {
            // Behind a byte-order mark (UTF-8's, or the byte UTF-16's
            // leaves of it), if any.
            0 => [&b"\xef\xbb\xbf"[..], b"\xff", b"\xfe"]
                .iter()
                .find(|bom| text.starts_with(bom))
                .map_or(0, |bom| bom.len()),
            p => p + memchr::memchr(b'\n', &text[p..])? + 1,
        };
        if let Some(layout) = layout_at(text, start) {
            let mut first = start;
            while let Some(before) = previous_line(text, first) {
                match layout_at(text, before) {
                    Some(l) if l == layout => first = before,
                    _ => break,
                }
            }
            return Some((first, layout));
        }
        probe = start.max(probe) + PROBE;
    }
    None
}

/// Where the line before the one at `at` starts.
fn previous_line(text: &[u8], at: usize) -> Option<usize> {
    let end = at.checked_sub(1)?;
    let from = end.saturating_sub(MAX_LINE + 1);
    match memchr::memrchr(b'\n', &text[from..end]) {
        Some(i) => Some(from + i + 1),
        None if from == 0 => Some(0),
        None => None,
    }
}

/// The group at `col` of `line` as bytes onto `out`; `false` when none of
/// the layout's width stands there.
fn group_at(line: &[u8], col: usize, digits: usize, out: &mut Vec<u8>) -> bool {
    let Some(g) = line.get(col..col + digits) else {
        return false;
    };
    if !g.iter().all(u8::is_ascii_hexdigit)
        || line
            .get(col + digits)
            .is_some_and(|c| !matches!(c, b' ' | b'\t'))
    {
        return false;
    }
    push_pairs(g, out);
    true
}

/// The bytes that `digits` (hex digits, an even number of them, checked
/// by the caller) spell, onto `out`.
fn push_pairs(digits: &[u8], out: &mut Vec<u8>) {
    let hex = |c: u8| match c {
        b'0'..=b'9' => c - b'0',
        _ => (c | 0x20).wrapping_sub(b'a').wrapping_add(10),
    };
    out.extend(digits.chunks_exact(2).map(|p| hex(p[0]) << 4 | hex(p[1])));
}

/// The groups a last line holds short of a full one: those at the
/// layout's columns, and one group shorter than the others that ends the
/// bytes (`xxd -g 2` of an odd length, or `xxd -e` right-aligning it).
fn last_groups(line: &[u8], layout: &Layout, out: &mut Vec<u8>) {
    for &col in &layout.columns {
        if group_at(line, col, layout.digits, out) {
            continue;
        }
        let slot = &line[col.min(line.len())..(col + layout.digits).min(line.len())];
        let digits: Vec<u8> = slot.iter().copied().filter(|c| *c != b' ').collect();
        let packed = slot.trim_ascii() == digits.as_slice();
        if packed && !digits.is_empty() && hex_group(&digits) {
            push_pairs(&digits, out);
        }
        return;
    }
}

/// What one line of a dump is, as its layout reads it.
#[derive(Debug, PartialEq, Eq)]
enum Line {
    /// `*`: lines like the one before it were left out.
    Squeeze,
    /// Groups at the layout's columns: all of them (`full`), or those of a
    /// last line; behind the offset the line opens with, if any.
    Groups {
        offset: Option<u64>,
        bytes: Vec<u8>,
        full: bool,
    },
    /// An offset alone: the dump's length, from its first offset.
    Total(u64),
    /// Anything else.
    Other,
}

fn parse_line(line: &[u8], layout: &Layout) -> Line {
    let line = layout.own(line);
    if line.trim_ascii() == b"*" {
        return Line::Squeeze;
    }
    let mut offset = None;
    if let Some(radix) = layout.radix {
        let mut toks = tokens(line);
        let Some(v) = toks
            .next()
            .and_then(|(s, e)| offset_digits(&line[s..e]))
            .and_then(|d| value(d, radix))
        else {
            return Line::Other;
        };
        if toks.next().is_none() {
            return Line::Total(v);
        }
        offset = Some(v);
    }
    let mut bytes = Vec::with_capacity(layout.line_bytes());
    let full = layout
        .columns
        .iter()
        .all(|&col| group_at(line, col, layout.digits, &mut bytes));
    if !full {
        bytes.clear();
        last_groups(line, layout, &mut bytes);
        if bytes.is_empty() {
            return Line::Other;
        }
    }
    Line::Groups {
        offset,
        bytes,
        full,
    }
}

/// Lines that may interrupt a dump (a blank line, a pager's note, a
/// line a chat client wrapped) before a line that continues it.
const MAX_INTERRUPTION: usize = 3;

/// Bytes squeezed lines are restored to at most, in one dump: a `*`
/// before an offset gigabytes on is a few bytes of text.
const MAX_RESTORED: usize = 4 * HEAD_LEN;

/// Where the dump goes on after an interruption that ends at `from`: the
/// first of the next [`MAX_INTERRUPTION`] lines that is a full line of
/// the layout at the offset the dump has reached (`expected`, when lines
/// carry offsets).
fn resume(text: &[u8], mut from: usize, layout: &Layout, expected: Option<u64>) -> Option<usize> {
    for _ in 0..MAX_INTERRUPTION {
        let (line, after) = line_at(text, from)?;
        if let Line::Groups {
            offset, full: true, ..
        } = parse_line(line, layout)
        {
            if offset == expected {
                return Some(from);
            }
        }
        from = after;
    }
    None
}

/// Reads the dump whose first line starts at `at`, up to `max` bytes.
pub(crate) fn read(text: &[u8], at: usize, layout: &Layout, max: usize) -> Dump {
    let per_line = layout.line_bytes();
    let mut bytes: Vec<u8> = Vec::new();
    let mut len = None;
    let (mut next, mut end) = (at, at);
    let mut base: Option<u64> = None;
    let (mut squeezed, mut restored) = (false, 0usize);
    // Printable bytes the column of characters shows as written, and
    // with each group turned around.
    let mut agree = [0usize; 2];
    let open = loop {
        if bytes.len() >= max {
            break true;
        }
        let Some((line, after)) = line_at(text, next) else {
            // The text's end, or a line no dump writes.
            break next >= text.len();
        };
        // A line the text's end cuts goes on past it.
        let cut = after == text.len() && !text.ends_with(b"\n");
        let expected = base.map(|b| b.saturating_add(bytes.len() as u64));
        match parse_line(line, layout) {
            Line::Squeeze if !squeezed && bytes.len() >= per_line => {
                // Without offsets there is no telling how many lines were
                // left out: one stands for them, which keeps what follows
                // on the lines' boundaries (a sample's too).
                match layout.radix {
                    Some(_) => squeezed = true,
                    None => bytes.extend_from_within(bytes.len() - per_line..),
                }
                (next, end) = (after, after);
            }
            Line::Groups {
                offset,
                bytes: shown,
                full,
            } if offset.is_none() || expected.is_none() || offset >= expected => {
                if let (true, Some(v), Some(e)) = (squeezed, offset, expected) {
                    // The lines left out repeat the line before them.
                    let gap = usize::try_from(v - e).unwrap_or(usize::MAX);
                    if !gap.is_multiple_of(per_line) {
                        break false;
                    }
                    let room = max
                        .saturating_sub(bytes.len())
                        .min(MAX_RESTORED.saturating_sub(restored));
                    let lines = (gap / per_line).min(room.div_ceil(per_line));
                    let last = bytes.len() - per_line;
                    for _ in 0..lines {
                        bytes.extend_from_within(last..last + per_line);
                    }
                    restored += lines * per_line;
                    squeezed = false;
                    if lines < gap / per_line {
                        break true;
                    }
                } else if offset != expected && expected.is_some() {
                    match resume(text, next, layout, expected) {
                        Some(at) => {
                            next = at;
                            continue;
                        }
                        None => break false,
                    }
                }
                base = base.or(offset);
                if full && layout.text_column && layout.digits > 2 {
                    let shown = column_agrees(line, layout, &shown);
                    agree = [agree[0] + shown[0], agree[1] + shown[1]];
                }
                if !full && cut {
                    break true;
                }
                bytes.extend_from_slice(&shown);
                (next, end) = (after, after);
                if !full {
                    // A last line short of a full one; the line of the
                    // total size may follow it.
                    if let Some((line, after)) = line_at(text, next) {
                        if let (Line::Total(v), Some(b)) = (parse_line(line, layout), base) {
                            len = usize::try_from(v.saturating_sub(b)).ok();
                            end = after;
                        }
                    }
                    break false;
                }
            }
            Line::Total(v) if !cut && !squeezed => {
                len = base.and_then(|b| usize::try_from(v.saturating_sub(b)).ok());
                end = after;
                break false;
            }
            _ if cut => break true,
            _ => match resume(text, after, layout, expected) {
                Some(at) => next = at,
                None => break false,
            },
        }
    };
    bytes.truncate(max);
    let group = layout.digits / 2;
    let order = match (group, layout.text_column) {
        (1, _) => Order::Written,
        (_, false) => Order::Either,
        _ if agree[1] > agree[0] => Order::Swapped,
        _ => Order::Written,
    };
    Dump {
        len: len.unwrap_or(usize::MAX).min(bytes.len()),
        written: bytes,
        group,
        order,
        end,
        open,
    }
}

/// How many printable bytes of a full line (`bytes`) its column of
/// characters shows: as written, and with each group turned around.
fn column_agrees(line: &[u8], layout: &Layout, bytes: &[u8]) -> [usize; 2] {
    let line = layout.own(line);
    let last = layout.columns.last().copied().unwrap_or(0) + layout.digits;
    let chars = line[last.min(line.len())..].trim_ascii_start();
    let chars = chars
        .strip_prefix(b"|")
        .or_else(|| chars.strip_prefix(b">"))
        .unwrap_or(chars);
    let agree = |bytes: &mut dyn Iterator<Item = u8>| {
        bytes
            .zip(chars)
            .filter(|&(b, &c)| (0x21..0x7f).contains(&b) && b == c)
            .count()
    };
    let group = layout.digits / 2;
    let swapped = bytes.chunks(group).flat_map(|g| g.iter().rev().copied());
    [
        agree(&mut bytes.iter().copied()),
        agree(&mut swapped.into_iter()),
    ]
}

impl Walk<'_> {
    /// Hex dumps in the text's head: each is read back into the bytes it
    /// shows (a dump that runs past the head is read on) and judged as a
    /// decoded base64 run is. `text` and `width` are the head as
    /// `ascii_head` gives it.
    pub(super) fn hex_dumps(
        &mut self,
        level: &Level<'_, '_>,
        text: &[u8],
        width: usize,
        prefix: &str,
        depth: u32,
    ) {
        let max = self.text_payloads();
        let (mut from, mut judged) = (0, 0);
        while let Some((start, layout)) = text.get(from..).and_then(find) {
            let start = from + start;
            let Some(budget) = self.remaining(prefix) else {
                return;
            };
            let budget = usize::try_from(budget).unwrap_or(usize::MAX);
            let mut dump = read(text, start, &layout, budget);
            from = dump.end.max(start + 1);
            let at = (start * width) as u64;
            // Where the text the dump was read from ends in the object.
            let mut read_to = (text.len() * width) as u64;
            let mut read_end = (dump.end * width) as u64;
            if dump.open && width == 1 && read_to < level.size {
                if let Some(more) = level.from(at, MAX_DUMP_TEXT) {
                    dump = read(&more, 0, &layout, budget);
                    read_to = at + more.len() as u64;
                    read_end = at + dump.end as u64;
                }
            }
            // Open at the end of the object is whole: `xxd` writes no
            // line of the total.
            let cut = dump.open && (dump.len() >= budget || read_to < level.size);
            if dump.len() < MIN_BYTES {
                continue;
            }
            judged += 1;
            if judged > max {
                self.limit(
                    prefix,
                    Limit::Members,
                    format!("more than {max} hex dumps; the rest not inspected"),
                );
                return;
            }
            self.spent += dump.len() as u64;
            let orders: &[Order] = match dump.order {
                Order::Either => &[Order::Written, Order::Swapped],
                o => &[o][..],
            };
            let found = orders.iter().find_map(|&order| {
                let bytes = dump.bytes(order);
                let s = self.sniff_bytes(&bytes, bytes.len() as u64);
                // Statistics alone do not speak for a dump, as for any
                // bytes spelt in text: a table of words passes for samples.
                (s.class != Class::Other
                    && !encoded::by_statistics_alone(&s)
                    && encoded::speaks_for(&s, bytes.len()))
                .then_some((bytes, s, order))
            });
            match found {
                Some((bytes, s, order)) => {
                    let words = match order {
                        Order::Swapped => ", words least significant byte first",
                        _ => "",
                    };
                    let s = s
                        .with("encoding", format!("hex dump at byte {at}{words}"))
                        .with("layout", layout.describe());
                    let size = bytes.len() as u64;
                    self.keep(prefix, &format!("hexdump@{at}"), &bytes, size, depth, s);
                }
                None if cut => self.limit(
                    prefix,
                    Limit::MemberBytes,
                    format!(
                        "hex dump at byte {at} judged on the {} bytes its text to byte {read_end} shows; the rest not read",
                        dump.len()
                    ),
                ),
                None => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The 107 bytes every dump below shows: a WAV header, 67 zeros
    /// (squeezed by the tools that squeeze) and three bytes.
    fn shown() -> Vec<u8> {
        let mut d = b"RIFF\x24\x00\x01\x00WAVEfmt \x10\x00\x00\x00\x01\x00\x01\x00\x40\x1f\x00\x00\x80\x3e\x00\x00\x02\x00\x10\x00data".to_vec();
        d.extend([0; 64]);
        d.extend([1, 2, 3]);
        d
    }

    fn read_whole(text: &str) -> (Layout, Dump) {
        let (start, layout) =
            find(text.as_bytes()).unwrap_or_else(|| panic!("no dump found in {text}"));
        let dump = read(text.as_bytes(), start, &layout, usize::MAX);
        (layout, dump)
    }

    // Each tool's output of `shown()`, verbatim.
    const XXD: &str = "\
00000000: 5249 4646 2400 0100 5741 5645 666d 7420  RIFF$...WAVEfmt 
00000010: 1000 0000 0100 0100 401f 0000 803e 0000  ........@....>..
00000020: 0200 1000 6461 7461 0000 0000 0000 0000  ....data........
00000030: 0000 0000 0000 0000 0000 0000 0000 0000  ................
00000040: 0000 0000 0000 0000 0000 0000 0000 0000  ................
00000050: 0000 0000 0000 0000 0000 0000 0000 0000  ................
00000060: 0000 0000 0000 0000 0102 03              ...........
";
    const XXD_E: &str = "\
00000000: 46464952 00010024 45564157 20746d66  RIFF$...WAVEfmt 
00000010: 00000010 00010001 00001f40 00003e80  ........@....>..
00000020: 00100002 61746164 00000000 00000000  ....data........
00000030: 00000000 00000000 00000000 00000000  ................
00000040: 00000000 00000000 00000000 00000000  ................
00000050: 00000000 00000000 00000000 00000000  ................
00000060: 00000000 00000000   030201           ...........
";
    const HEXDUMP_C: &str = "\
00000000  52 49 46 46 24 00 01 00  57 41 56 45 66 6d 74 20  |RIFF$...WAVEfmt |
00000010  10 00 00 00 01 00 01 00  40 1f 00 00 80 3e 00 00  |........@....>..|
00000020  02 00 10 00 64 61 74 61  00 00 00 00 00 00 00 00  |....data........|
00000030  00 00 00 00 00 00 00 00  00 00 00 00 00 00 00 00  |................|
*
00000060  00 00 00 00 00 00 00 00  01 02 03                 |...........|
0000006b
";
    const HEXDUMP: &str = "\
0000000 4952 4646 0024 0001 4157 4556 6d66 2074
0000010 0010 0000 0001 0001 1f40 0000 3e80 0000
0000020 0002 0010 6164 6174 0000 0000 0000 0000
0000030 0000 0000 0000 0000 0000 0000 0000 0000
*
0000060 0000 0000 0000 0000 0201 0003          
000006b
";
    const OD_X1: &str = "\
0000000 52 49 46 46 24 00 01 00 57 41 56 45 66 6d 74 20
0000020 10 00 00 00 01 00 01 00 40 1f 00 00 80 3e 00 00
0000040 02 00 10 00 64 61 74 61 00 00 00 00 00 00 00 00
0000060 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00
*
0000140 00 00 00 00 00 00 00 00 01 02 03
0000153
";
    // The continuation skips the first line's leading blank: `\x20`.
    const OD_AN: &str = "\
\x2052 49 46 46 24 00 01 00 57 41 56 45 66 6d 74 20
 10 00 00 00 01 00 01 00 40 1f 00 00 80 3e 00 00
 02 00 10 00 64 61 74 61 00 00 00 00 00 00 00 00
 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00
 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00
 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00
 00 00 00 00 00 00 00 00 01 02 03
";

    /// Each tool's dump reads back to the bytes it shows, squeezed lines
    /// and a last line's odd group included, in the order its column of
    /// characters (or, without one, the sniff) tells.
    #[test]
    fn each_tools_dump_reads_back_to_its_bytes() {
        for (text, name, order) in [
            (XXD, "16 bytes a line in groups of 2, hexadecimal offsets, the bytes as characters beside", Order::Written),
            (XXD_E, "16 bytes a line in groups of 4, hexadecimal offsets, the bytes as characters beside", Order::Swapped),
            (HEXDUMP_C, "16 bytes a line in groups of 1, hexadecimal offsets, the bytes as characters beside", Order::Written),
            (HEXDUMP, "16 bytes a line in groups of 2, hexadecimal offsets", Order::Either),
            (OD_X1, "16 bytes a line in groups of 1, octal offsets", Order::Written),
            (OD_AN, "16 bytes a line in groups of 1, no offsets", Order::Written),
        ] {
            let (layout, dump) = read_whole(text);
            assert_eq!((layout.describe(), dump.order), (name.to_string(), order), "{text}");
            let bytes = match text {
                HEXDUMP => dump.bytes(Order::Swapped),
                _ => dump.bytes(dump.order),
            };
            assert_eq!(bytes, shown(), "{text}");
            assert_eq!(dump.end, text.len(), "{text}");
            assert!(!dump.open, "{text}");
        }
    }

    /// A dump in the middle of other text is found from a line far into
    /// it and read from its first line; the text around it is not read.
    #[test]
    fn a_dump_amid_text_is_found_from_its_first_line() {
        let prose = "The recording that failed to play is below.\n".repeat(100);
        let lines: String = (0..400)
            .map(|i| {
                format!(
                    "{:08x}: 0000 0000 0000 0000 0000 0000 0000 0000  ................\n",
                    i * 16
                )
            })
            .collect();
        let text = format!("{prose}{lines}{prose}");
        let (start, layout) = find(text.as_bytes()).unwrap();
        assert_eq!(start, prose.len());
        let dump = read(text.as_bytes(), start, &layout, usize::MAX);
        assert_eq!(dump.len(), 400 * 16);
        assert_eq!(dump.end, prose.len() + lines.len());
        // Asked for fewer bytes, it is open.
        let cut = read(text.as_bytes(), start, &layout, 1000);
        assert_eq!(cut.len(), 1000);
        assert!(cut.open);
    }

    /// Tables of hex numbers that are no dump are not read as one: a code
    /// page's rows (the first number is no offset that grows by a line),
    /// a register listing whose columns move, prose.
    #[test]
    fn tables_that_are_no_dump_are_not_read() {
        let code_page: String = (0..300)
            .map(|i| {
                format!(
                    "0x{:04X}\t0x{:04X}\t# CJK IDEOGRAPH\n",
                    0x8140 + i,
                    0x4e00 + 7 * i
                )
            })
            .collect();
        assert_eq!(find(code_page.as_bytes()), None);
        let ragged: String = (0..300)
            .map(|i| format!("{:08x}: {}\n", i * 16, "ab ".repeat(1 + i % 3)))
            .collect();
        assert_eq!(find(ragged.as_bytes()), None);
        assert_eq!(
            find("deadbeef cafe babe is a word\n".repeat(500).as_bytes()),
            None
        );
        // Offsets that do not grow by what a line holds.
        let stuck: String = (0..300)
            .map(|_| "00000000  00 11 22 33 44 55 66 77  88 99 aa bb cc dd ee ff\n".to_string())
            .collect();
        assert_eq!(find(stuck.as_bytes()), None);
    }

    /// A squeeze marker is bounded by what is asked for; in a dump without
    /// offsets it stands for one line.
    #[test]
    fn squeezed_lines_are_bounded() {
        let huge = HEXDUMP_C
            .replace("00000060", "7fffff60")
            .replace("0000006b", "7fffff6b");
        let (start, layout) = find(huge.as_bytes()).unwrap();
        let dump = read(huge.as_bytes(), start, &layout, 4096);
        assert_eq!(dump.len(), 4096);
        assert!(dump.open);
        // `od -A n` as it squeezes: a zero line, then `*` for the two
        // after it.
        let zeros = " 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00\n";
        let od = OD_AN.replacen(&zeros.repeat(3), &format!("{zeros}*\n"), 1);
        let (_, dump) = read_whole(&od);
        let mut once = shown();
        once.drain(64..80);
        assert_eq!(dump.bytes(Order::Written), once);
        assert!(!dump.open);
    }

    /// `xxd`'s layout of `bytes`, and `hexdump`'s (16-bit words, least
    /// significant byte first, no column of characters).
    fn xxd(bytes: &[u8]) -> String {
        let mut out = String::new();
        for (i, line) in bytes.chunks(16).enumerate() {
            let groups: Vec<String> = line
                .chunks(2)
                .map(|g| g.iter().map(|b| format!("{b:02x}")).collect())
                .collect();
            let chars: String = line
                .iter()
                .map(|&b| {
                    if (0x20..0x7f).contains(&b) {
                        b as char
                    } else {
                        '.'
                    }
                })
                .collect();
            out += &format!("{:08x}: {:<40} {chars}\n", i * 16, groups.join(" "));
        }
        out
    }

    fn hexdump(bytes: &[u8]) -> String {
        let mut out = String::new();
        for (i, line) in bytes.chunks(16).enumerate() {
            let words: Vec<String> = line
                .chunks(2)
                .map(|w| format!("{:02x}{:02x}", w.get(1).copied().unwrap_or(0), w[0]))
                .collect();
            out += &format!("{:07x} {}\n", i * 16, words.join(" "));
        }
        out + &format!("{:07x}\n", bytes.len())
    }

    /// A recording dumped into a ticket is that recording, whichever tool
    /// dumped it and wherever in the text it starts; one longer than the
    /// head is read on. A dumped image is nothing; a dump cut by the read
    /// that shows nothing is a limit.
    #[test]
    fn a_dumped_recording_is_that_recording() {
        use crate::unpack::tests::{look, wav};
        let file = wav();
        let intro = "Attached is the voicemail that fails to play:\n\n$ xxd voicemail.wav\n";
        let ticket = format!("{intro}{}\nThanks.\n", xxd(&file));
        assert!(ticket.len() > HEAD_LEN, "the dump is read on past the head");
        let at = intro.len();
        let inside = look(ticket.as_bytes());
        assert_eq!(inside.found(), [(&*format!("hexdump@{at}"), "wav")]);
        assert_eq!(
            inside.members[0].sniff.evidence["encoding"],
            format!("hex dump at byte {at}")
        );
        let words = look(hexdump(&file).as_bytes());
        assert_eq!(words.found(), [("hexdump@0", "wav")]);
        assert_eq!(
            words.members[0].sniff.evidence["encoding"],
            "hex dump at byte 0, words least significant byte first"
        );
        let image = crate::sniff::testutil::png_head(64, 64, 2);
        let mut image = image;
        image.extend(crate::sniff::testutil::pseudo_random(4000, 7));
        assert!(look(xxd(&image).as_bytes()).members.is_empty());
        let noise = crate::sniff::testutil::pseudo_random(100_000, 3);
        let cut = look(xxd(&noise).as_bytes());
        assert!(cut.members.is_empty());
        assert!(
            cut.says("hex dump at byte 0 judged on the"),
            "{:?}",
            cut.limits
        );
    }

    /// A dump interrupted by a blank line or a note, within its first
    /// lines, goes on after it; one made with decimal offsets, one group
    /// a line, or saved behind a byte-order mark is read too.
    #[test]
    fn interrupted_and_unusual_dumps_are_read() {
        use crate::unpack::tests::{look, wav};
        let file = wav();
        let dump = xxd(&file);
        let lines: Vec<&str> = dump.lines().collect();
        for note in ["", "[... output trimmed by pager ...]"] {
            let text = format!(
                "{}\n{note}\n{}\n",
                lines[..15].join("\n"),
                lines[15..].join("\n")
            );
            assert_eq!(
                look(text.as_bytes()).found(),
                [("hexdump@0", "wav")],
                "{note:?}"
            );
        }
        let decimal: String = file
            .chunks(16)
            .enumerate()
            .map(|(i, l)| {
                let groups: Vec<String> = l.iter().map(|b| format!("{b:02x}")).collect();
                format!("{:07} {}\n", i * 16, groups.join(" "))
            })
            .collect();
        assert_eq!(look(decimal.as_bytes()).found(), [("hexdump@0", "wav")]);
        let one_group: String = file
            .chunks(16)
            .enumerate()
            .map(|(i, l)| {
                let group: String = l.iter().map(|b| format!("{b:02x}")).collect();
                format!("{:08x}: {group:<32}  ................\n", i * 16)
            })
            .collect();
        assert_eq!(look(one_group.as_bytes()).found(), [("hexdump@0", "wav")]);
        let bom = format!("\u{feff}{dump}");
        assert_eq!(look(bom.as_bytes()).found(), [("hexdump@3", "wav")]);
        // Every line behind a log's timestamp, or a quote's marker.
        for (i, mark) in ["2026-01-01 12:00:0", "> "].iter().enumerate() {
            let marked: String = lines
                .iter()
                .enumerate()
                .map(|(n, l)| match i {
                    0 => format!("{mark}{} INFO {l}\n", n % 10),
                    _ => format!("{mark}{l}\n"),
                })
                .collect();
            let inside = look(marked.as_bytes());
            assert_eq!(inside.found(), [("hexdump@0", "wav")], "{mark}");
            let layout = &inside.members[0].sniff.evidence["layout"];
            assert!(layout
                .as_str()
                .unwrap()
                .contains("other bytes on every line"));
        }
    }

    /// A whole dump of bytes that say nothing is no limit, however its
    /// last line ends; nor are tables of hex numbers, whichever blanks
    /// part them. One cut by the read names where its text was read to.
    #[test]
    fn only_a_dump_cut_short_is_a_limit() {
        use crate::unpack::tests::look;
        let noise = crate::sniff::testutil::pseudo_random(4096, 11);
        for n in [4096, 4095] {
            let whole = look(xxd(&noise[..n]).as_bytes());
            assert!(
                whole.members.is_empty() && whole.limits.is_empty(),
                "{:?}",
                whole.limits
            );
        }
        let table: String = (0..2000u32)
            .map(|i| format!("{:04x}\t{:04x}\t{:04x}\n", i, i * 7 % 65536, i * 13 % 65536))
            .collect();
        let t = look(table.as_bytes());
        assert!(
            t.members.is_empty() && t.limits.is_empty(),
            "{:?}",
            t.limits
        );
        let prose = "A dump of a corrupt file follows.\n";
        let long = crate::sniff::testutil::pseudo_random(100_000, 3);
        let cut = look(format!("{prose}{}", xxd(&long)).as_bytes());
        // The 256 KiB read on hold whole lines of 68 bytes, 16 shown each.
        let lines = MAX_DUMP_TEXT / 68;
        let said = format!(
            "hex dump at byte {} judged on the {} bytes its text to byte {} shows",
            prose.len(),
            lines * 16,
            prose.len() + lines * 68
        );
        assert!(cut.says(&said), "{said} {:?}", cut.limits);
    }

    /// A dump deeper than the walk goes is a limit, as an encoded run is.
    #[test]
    fn a_dump_past_the_depth_is_a_limit() {
        use crate::unpack::tests::{look, wav};
        use std::io::Write;
        let mut data = xxd(&wav()).into_bytes();
        for _ in 0..3 {
            let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            e.write_all(&data).unwrap();
            data = e.finish().unwrap();
        }
        let deep = look(&data);
        assert!(
            deep.says("uuencoded files or binary patches in text not decoded beyond"),
            "{:?}",
            deep.limits
        );
    }
}
