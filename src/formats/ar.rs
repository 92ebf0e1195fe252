//! Unix `ar` archives (`!<arch>\n`, as Debian packages and static libraries
//! use them): 60-byte member headers with decimal sizes, GNU (`//` name
//! table, `/123` references) and BSD (`#1/len`, the name after the header)
//! long names. Pure parsing; the walk is in `unpack::ar`.

/// The global header.
pub(crate) const MAGIC: &[u8] = b"!<arch>\n";
/// One member header.
pub(crate) const HEADER: usize = 60;
/// Longest member name accepted (GNU table entry or BSD name): Linux paths
/// stop at 4 KiB.
pub(crate) const MAX_NAME: u64 = 4096;

/// What a member header's name field says.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Name {
    /// A name in the field itself (GNU ends it with `/`).
    Plain(String),
    /// GNU: offset of the name in the `//` table.
    Table(u64),
    /// BSD: the name is the first `n` bytes of the member's data.
    Inline(u64),
    /// GNU `//`: the long-name table itself.
    LongNames,
    /// A symbol table (`/`, `/SYM64/`, `__.SYMDEF…`): no file of its own.
    Symbols,
}

/// One member header: its name and the size of the data after it (BSD
/// inline names included).
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Header {
    pub name: Name,
    pub size: u64,
}

/// Parses the 60-byte header at the start of `h`: the terminator "`\n" at
/// 58, a decimal size at 48..58 (spaces after the digits), the other numeric
/// fields digits or spaces.
pub(crate) fn header(h: &[u8]) -> Option<Header> {
    let h = h.get(..HEADER)?;
    if &h[58..60] != b"`\n" {
        return None;
    }
    let numeric = |r: std::ops::Range<usize>| {
        h[r].iter()
            .all(|&c| c.is_ascii_digit() || c == b' ' || c == b'-')
    };
    if !numeric(16..48) {
        return None;
    }
    let size = decimal(&h[48..58])?;
    let field = &h[..16];
    if !field.iter().all(|&c| (0x20..0x7f).contains(&c)) {
        return None;
    }
    let text = std::str::from_utf8(field).ok()?.trim_end_matches(' ');
    let name = match text {
        "/" | "/SYM64/" => Name::Symbols,
        t if t.starts_with("__.SYMDEF") => Name::Symbols,
        "//" => Name::LongNames,
        t if t.starts_with("#1/") => Name::Inline(decimal(&field[3..])?),
        t if t.len() > 1 && t.starts_with('/') => Name::Table(decimal(&field[1..])?),
        t => Name::Plain(t.strip_suffix('/').unwrap_or(t).to_string()),
    };
    Some(Header { name, size })
}

/// A decimal field: digits then spaces, at least one digit.
fn decimal(f: &[u8]) -> Option<u64> {
    let digits = f.iter().take_while(|c| c.is_ascii_digit()).count();
    if digits == 0 || !f[digits..].iter().all(|&c| c == b' ') {
        return None;
    }
    std::str::from_utf8(&f[..digits]).ok()?.parse().ok()
}

/// The name at `offset` of a GNU `//` table: up to `/\n` (or `\n`).
pub(crate) fn table_name(table: &[u8], offset: u64) -> Option<String> {
    let rest = table.get(usize::try_from(offset).ok()?..)?;
    let end = rest.iter().position(|&c| c == b'\n')?;
    let name = &rest[..end];
    let name = name.strip_suffix(b"/").unwrap_or(name);
    Some(String::from_utf8_lossy(name).into_owned())
}

/// A BSD inline name: its bytes, up to the first NUL (the name is padded).
pub(crate) fn inline_name(b: &[u8]) -> String {
    let end = b.iter().position(|&c| c == 0).unwrap_or(b.len());
    String::from_utf8_lossy(&b[..end]).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(name: &str, size: u64) -> Vec<u8> {
        format!(
            "{name:<16}{:<12}{:<6}{:<6}{:<8}{size:<10}`\n",
            0, 0, 0, 100644
        )
        .into_bytes()
    }

    #[test]
    fn names_of_every_flavour() {
        assert_eq!(
            header(&h("debian-binary", 4)).unwrap(),
            Header {
                name: Name::Plain("debian-binary".into()),
                size: 4
            }
        );
        assert_eq!(
            header(&h("a.wav/", 9)).unwrap().name,
            Name::Plain("a.wav".into())
        );
        assert_eq!(header(&h("/", 9)).unwrap().name, Name::Symbols);
        assert_eq!(header(&h("//", 9)).unwrap().name, Name::LongNames);
        assert_eq!(header(&h("/18", 9)).unwrap().name, Name::Table(18));
        assert_eq!(header(&h("#1/20", 9)).unwrap().name, Name::Inline(20));
        assert_eq!(
            table_name(b"x.o/\nlong-name.wav/\n", 5),
            Some("long-name.wav".into())
        );
        assert_eq!(table_name(b"x.o/", 0), None);
        assert_eq!(inline_name(b"a.wav\0\0\0"), "a.wav");
    }

    #[test]
    fn damaged_headers_are_refused() {
        let mut v = h("a", 9);
        v[59] = b'x';
        assert!(header(&v).is_none());
        let mut v = h("a", 9);
        v[48] = b'x';
        assert!(header(&v).is_none());
        let v = h("a", 99_999_999_999);
        assert!(header(&v).is_none(), "eleven digits do not fit the field");
        assert!(header(&h("/1x", 9)).is_none());
        assert!(header(&h("a", 9)[..59]).is_none());
    }
}
