//! Tar header fields (POSIX ustar, GNU and pax extensions): sizes in octal
//! or base-256, names with their ustar prefix, and pax extended records.
//! Pure parsing; the walk over an archive is in `unpack::tar`.

/// A tar header's size field: octal digits, or base-256 when the high bit of
/// the first byte is set. `None` for a negative, unparsable or > 2^64 size.
pub(crate) fn size(field: &[u8]) -> Option<u64> {
    let (&first, rest) = field.split_first()?;
    if first & 0x80 != 0 {
        // Base-256, big-endian; 0xff starts a negative number.
        if first == 0xff {
            return None;
        }
        let mut v = u64::from(first & 0x7f);
        for &b in rest {
            v = v.checked_mul(256)?.checked_add(u64::from(b))?;
        }
        return Some(v);
    }
    let digits = field
        .iter()
        .skip_while(|&&c| c == b' ')
        .take_while(|&&c| c != 0 && c != b' ');
    // An empty field is a size of 0 (some writers leave it blank for links).
    let mut v = 0u64;
    for &c in digits {
        if !(b'0'..=b'7').contains(&c) {
            return None;
        }
        v = v.checked_mul(8)?.checked_add(u64::from(c - b'0'))?;
    }
    Some(v)
}

/// The member name of a 512-byte header: `prefix/name` for ustar.
pub(crate) fn name(h: &[u8]) -> String {
    let field = |r: std::ops::Range<usize>| {
        let b = h.get(r).unwrap_or(&[]);
        let end = b.iter().position(|&c| c == 0).unwrap_or(b.len());
        String::from_utf8_lossy(&b[..end]).into_owned()
    };
    let name = field(0..100);
    let prefix = if h.get(257..262) == Some(b"ustar") {
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

/// A GNU long name or link name (`L`/`K` data): up to its first NUL.
pub(crate) fn long_name(data: &[u8]) -> String {
    let end = data.iter().position(|&c| c == 0).unwrap_or(data.len());
    String::from_utf8_lossy(&data[..end]).into_owned()
}

/// What a pax extended header (`x` or `g`) says about the next member(s).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Pax {
    pub path: Option<String>,
    /// `Some(None)`: a `size` record that is not a number that fits in u64.
    pub size: Option<Option<u64>>,
}

impl Pax {
    /// These records over `base`'s: an `x` header's over a `g` header's.
    pub(crate) fn over(&self, base: &Pax) -> Pax {
        Pax {
            path: self.path.clone().or_else(|| base.path.clone()),
            size: self.size.or(base.size),
        }
    }
}

/// Parses pax records (`"%d %s=%s\n"`, the length counting the whole
/// record). `None` when a record's length is malformed or runs past the data:
/// the rest cannot be trusted.
pub(crate) fn pax(data: &[u8]) -> Option<Pax> {
    let mut out = Pax::default();
    let mut rest = data;
    // Trailing NUL padding is not a record.
    while let Some(&c) = rest.first() {
        if c == 0 {
            break;
        }
        let space = rest.iter().take(20).position(|&c| c == b' ')?;
        let len: usize = std::str::from_utf8(&rest[..space]).ok()?.parse().ok()?;
        // Each record is at least "N k=\n" long, so the loop always advances.
        if len <= space + 1 || len > rest.len() {
            return None;
        }
        let record = &rest[space + 1..len];
        let record = record.strip_suffix(b"\n")?;
        let eq = record.iter().position(|&c| c == b'=')?;
        let (key, value) = (&record[..eq], &record[eq + 1..]);
        match key {
            b"path" => out.path = Some(String::from_utf8_lossy(value).into_owned()),
            b"size" => {
                out.size = Some(std::str::from_utf8(value).ok().and_then(|v| v.parse().ok()))
            }
            _ => {}
        }
        rest = &rest[len..];
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_in_octal_and_base_256() {
        assert_eq!(size(b"00000000012\0"), Some(10));
        assert_eq!(size(b"          \0\0"), Some(0));
        assert_eq!(size(b"0000000001x\0"), None);
        let mut f = [0u8; 12];
        f[0] = 0x80;
        f[4..].copy_from_slice(&(u64::MAX - 511).to_be_bytes());
        assert_eq!(size(&f), Some(u64::MAX - 511));
        // 2^64 and above do not fit.
        let mut f = [0u8; 12];
        f[0] = 0x80;
        f[3] = 1;
        assert_eq!(size(&f), None);
        assert_eq!(size(&[0xff; 12]), None);
    }

    #[test]
    fn pax_records_give_path_and_size() {
        let p = pax(b"20 path=calls/a.wav\n29 size=18446744073709551000\n").unwrap();
        assert_eq!(p.path.as_deref(), Some("calls/a.wav"));
        assert_eq!(p.size, Some(Some(18_446_744_073_709_551_000)));
        let p = pax(b"29 size=99999999999999999999\n").unwrap();
        assert_eq!(p.size, Some(None));
        assert_eq!(pax(b"99 path=x\n"), None);
        assert_eq!(pax(b"3 x\n"), None);
        assert_eq!(pax(b"0 \n"), None);
        assert_eq!(pax(b"\0\0\0"), Some(Pax::default()));
    }

    #[test]
    fn names_join_the_ustar_prefix() {
        let mut h = vec![0u8; 512];
        h[..5].copy_from_slice(b"a.wav");
        h[257..262].copy_from_slice(b"ustar");
        h[345..350].copy_from_slice(b"calls");
        assert_eq!(name(&h), "calls/a.wav");
        assert_eq!(long_name(b"x/y\0junk"), "x/y");
    }
}
