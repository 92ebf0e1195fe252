//! Encoded audio anywhere in a large text object: a JSONL or CSV export of
//! a dataset puts its base64 audio cells wherever the rows with audio are,
//! often far past the 64 KiB head that `encoded.rs` searches. Up to
//! [`TEXT_WINDOWS`] further windows are read (the whole rest of a text up
//! to 256 KiB past its head; beyond that, windows spread evenly to its
//! end), each searched from its first line break on so that no run is
//! decoded from its middle; a run that reaches a window's end is read on,
//! as in the head. Samples written as numbers are looked for the same way.

use super::super::encoded;
use crate::sniff::{numbers, Class, HEAD_LEN, WINDOW_LEN};
use crate::unpack::{Level, Limit, Walk};

/// Windows read past the head of a large text.
const TEXT_WINDOWS: u64 = 4;

/// Where the windows after the head start.
fn offsets(size: u64) -> Vec<u64> {
    let head = HEAD_LEN as u64;
    let w = WINDOW_LEN as u64;
    if size <= head {
        return Vec::new();
    }
    let span = size - head;
    if span <= TEXT_WINDOWS * w {
        return (0..span.div_ceil(w)).map(|i| head + i * w).collect();
    }
    // Evenly spread, the last one ending at the end.
    let step = (span - w) / (TEXT_WINDOWS - 1);
    (0..TEXT_WINDOWS)
        .map(|i| {
            if i + 1 == TEXT_WINDOWS {
                size - w
            } else {
                head + i * step
            }
        })
        .collect()
}

impl Walk<'_> {
    pub(in crate::unpack) fn text_windows(
        &mut self,
        level: &Level<'_, '_>,
        prefix: &str,
        depth: u32,
        mut numbers_judged_to: u64,
    ) {
        let max = self.limits.max_members as usize;
        let mut runs_seen = 0usize;
        for at in offsets(level.size) {
            if self.out_of_time(prefix) {
                return;
            }
            let Some(window) = level.from(at, WINDOW_LEN) else {
                return;
            };
            // Search from the first line start: a run that began before
            // this window was either followed already or is a row's middle.
            let Some(skip) = window.iter().position(|&c| c == b'\n').map(|p| p + 1) else {
                continue;
            };
            let text = &window[skip..];
            let base = at + skip as u64;
            // Numbers a stretch before this one was read on into are not
            // judged twice, nor the rest of a stretch that began before
            // this window (its first line continues the one before).
            let mut from = (numbers_judged_to.saturating_sub(base) as usize).min(text.len());
            let before = match from {
                0 => skip.checked_sub(2).map(|i| window[i]),
                _ => Some(text[from - 1]),
            };
            if before.is_some_and(numbers::in_stretch) {
                from += text[from..]
                    .iter()
                    .position(|&c| !numbers::in_stretch(c))
                    .unwrap_or(text.len() - from);
            }
            if let Some(rest) = text.get(from..) {
                let judged = self.numbers(level, rest, base + from as u64, 1, prefix, depth);
                numbers_judged_to = numbers_judged_to.max(judged);
            }
            for run in encoded::runs(text, max + 1) {
                runs_seen += 1;
                if runs_seen > max {
                    self.limit(
                        prefix,
                        Limit::Members,
                        format!("more than {max} encoded runs; the rest not inspected"),
                    );
                    return;
                }
                let Some(budget) = self.remaining(prefix) else {
                    return;
                };
                let budget = budget.min(4 * HEAD_LEN as u64) as usize;
                let offset = base + run.offset as u64;
                let reaches_end =
                    run.end >= text.len() && offset + ((run.end - run.offset) as u64) < level.size;
                let fetched = reaches_end
                    .then(|| level.from(offset, budget * 2 + budget / 8))
                    .flatten();
                let chars: &[u8] = match &fetched {
                    Some(f) => f,
                    None => &text[run.offset..run.end],
                };
                let data = encoded::decode(chars, run.encoding, budget);
                self.spent += data.len() as u64;
                let size = encoded::decoded_len(encoded::symbols(chars), run.encoding)
                    .max(data.len() as u64);
                let s = self.sniff_bytes(&data, size);
                let statistical = matches!(&*s.format, "random-like" | "raw-pcm");
                if s.class == Class::Other || (statistical && data.len() < 256) {
                    continue;
                }
                let mut s = s.with(
                    "encoding",
                    format!("{} at byte {offset}", run.encoding.name()),
                );
                if let Some(mime) = &run.declared {
                    s = s.with("declared", format!("data: URI of type {mime}"));
                }
                let name = format!("{}@{offset}", run.encoding.name());
                self.keep(prefix, &name, &data, size, depth, s);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_cover_a_short_rest_and_spread_over_a_long_one() {
        let k = 1024u64;
        assert!(offsets(60 * k).is_empty());
        assert_eq!(offsets(115 * k), vec![64 * k]);
        assert_eq!(offsets(64 * k * 5), vec![64 * k, 128 * k, 192 * k, 256 * k]);
        let spread = offsets(1 << 30);
        assert_eq!(spread.len(), 4);
        assert_eq!(*spread.last().unwrap() + 64 * k, 1 << 30);
    }
}
