//! Tar archives: 512-byte headers walked, members read in place.

use super::{chain, Level, Limit, Walk};
use crate::sniff;

impl Walk<'_> {
    pub(super) fn tar(&mut self, level: &Level<'_, '_>, prefix: &str, depth: u32) {
        let mut pos = 0u64;
        let mut seen = 0u64;
        let mut long_name: Option<String> = None;
        while pos + 512 <= level.size {
            let Some(h) = level.at(pos, 512) else {
                self.limit(
                    prefix,
                    Limit::ObjectBytes,
                    format!("tar members after byte {pos} not reached"),
                );
                return;
            };
            if h.iter().all(|&b| b == 0) {
                return;
            }
            if !sniff::is_tar_header(&h) {
                self.limit(
                    prefix,
                    Limit::Unsupported,
                    format!("damaged tar header at byte {pos}"),
                );
                return;
            }
            let size = tar_size(&h[124..136]);
            let kind = h[156];
            let name = long_name.take().unwrap_or_else(|| tar_name(&h));
            let data_at = pos + 512;
            match kind {
                b'L' => {
                    long_name = level.from(data_at, size.min(4096) as usize).map(|b| {
                        String::from_utf8_lossy(&b)
                            .trim_end_matches('\0')
                            .to_string()
                    })
                }
                b'0' | 0 | b'7' => {
                    seen += 1;
                    if seen > self.limits.max_members {
                        self.limit(
                            prefix,
                            Limit::Members,
                            format!(
                                "more than {} members; the rest not inspected",
                                self.limits.max_members
                            ),
                        );
                        return;
                    }
                    let want = size.min(self.budget()) as usize;
                    match level.from(data_at, want) {
                        Some(data) if !data.is_empty() || size == 0 => {
                            let data = data.into_owned();
                            self.spent += data.len() as u64;
                            self.member(prefix, &name, &data, size, depth);
                        }
                        _ => self.limit(
                            &chain(prefix, &name),
                            Limit::ObjectBytes,
                            "member data beyond what was read".into(),
                        ),
                    }
                }
                _ => {}
            }
            pos = data_at + size.div_ceil(512) * 512;
        }
    }
}

fn tar_size(field: &[u8]) -> u64 {
    if field[0] & 0x80 != 0 {
        return field[1..].iter().fold(0u64, |a, &b| {
            a.saturating_mul(256).saturating_add(u64::from(b))
        });
    }
    let s = String::from_utf8_lossy(field);
    u64::from_str_radix(s.trim_matches(|c: char| c == '\0' || c == ' '), 8).unwrap_or(0)
}

fn tar_name(h: &[u8]) -> String {
    let field = |r: std::ops::Range<usize>| {
        String::from_utf8_lossy(&h[r])
            .trim_end_matches('\0')
            .to_string()
    };
    let name = field(0..100);
    let prefix = if &h[257..262] == b"ustar" {
        field(345..500)
    } else {
        String::new()
    };
    if prefix.is_empty() {
        name
    } else {
        format!("{prefix}/{name}")
    }
}
