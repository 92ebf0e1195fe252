//! Zip archives: the central directory, then each member read at its
//! local header; encrypted members judged by name.

use super::{chain, decompress, Level, Limit, Member, Walk};
use crate::sniff::{self, Class, Encryption, Sample, Sniff, Window, HEAD_LEN};

impl Walk<'_> {
    pub(super) fn zip(&mut self, level: &Level<'_, '_>, prefix: &str, depth: u32) {
        // The end record lies in the last 64 KiB + 22 bytes of the archive.
        let tail_at = level.size.saturating_sub(sniff::WINDOW_LEN as u64 + 22);
        let Some(tail) = level.from(tail_at, sniff::WINDOW_LEN + 22) else {
            self.limit(
                prefix,
                Limit::MemberBytes,
                "zip end record could not be read".into(),
            );
            return;
        };
        let windows = [Window {
            offset: tail_at,
            bytes: tail.to_vec(),
        }];
        let Some((offset, cd_size, count)) =
            sniff::zip_directory(&Sample::new(level.size, &[], &windows))
        else {
            self.limit(
                prefix,
                Limit::Unsupported,
                "zip central directory not found (truncated archive?)".into(),
            );
            return;
        };
        let Some(cd) = level.from(offset, cd_size.min(4 << 20) as usize) else {
            self.limit(
                prefix,
                Limit::MemberBytes,
                "zip central directory could not be read".into(),
            );
            return;
        };
        let max = self.limits.max_members as usize;
        let entries = sniff::zip_entries(&cd, max);
        if count as usize > entries.len() {
            self.limit(
                prefix,
                Limit::Members,
                format!("{count} members; inspected {}", entries.len()),
            );
        }
        for e in entries.iter().filter(|e| !e.is_dir()) {
            let member = chain(prefix, &e.name);
            if e.encryption() != Encryption::None {
                self.inside.members.push(Member {
                    member,
                    sniff: by_name(&e.name, e.encryption()),
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
            let Some(budget) = self.remaining(&member) else {
                continue;
            };
            let Some(local) = level.at(e.local_offset, 30) else {
                self.limit(
                    &member,
                    Limit::MemberBytes,
                    "member header could not be read".into(),
                );
                continue;
            };
            let data_at = e.local_offset
                + 30
                + u64::from(u16::from_le_bytes([local[26], local[27]]))
                + u64::from(u16::from_le_bytes([local[28], local[29]]));
            // Enough compressed input for a head of `budget` bytes in most cases.
            let want = e.compressed_size.min(budget).min(4 * HEAD_LEN as u64) as usize;
            let Some(raw) = level.from(data_at, want) else {
                self.limit(
                    &member,
                    Limit::MemberBytes,
                    "member data could not be read".into(),
                );
                continue;
            };
            let (data, _) = match e.method {
                0 => (raw[..raw.len().min(budget as usize)].to_vec(), true),
                8 => decompress("deflate", &raw, budget),
                12 => decompress("bzip2", &raw, budget),
                93 => decompress("zstd", &raw, budget),
                95 => decompress("xz", &raw, budget),
                m => {
                    self.limit(
                        &member,
                        Limit::Unsupported,
                        format!("zip compression method {m}"),
                    );
                    continue;
                }
            };
            self.spent += data.len() as u64;
            self.member(prefix, &e.name, &data, e.size, depth);
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
