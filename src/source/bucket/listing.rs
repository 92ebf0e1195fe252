//! Listing pages made safe for the object-store client. object_store turns
//! each listed key into a `Path`, and refuses keys with an empty, `.` or
//! `..` segment or a control character — one such key, uploaded by anyone
//! who can write to the bucket, fails its whole listing page and hides every
//! object on it. So each page is read here first: keys the client cannot
//! represent exactly are taken out (and reported by the scan as errors of
//! their own), and the page goes on with the rest.

use object_store::path::Path as KeyPath;

/// Which listing dialect a response body speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dialect {
    /// S3 ListObjectsV2 (also the GCS XML API): `<Contents><Key>`.
    S3,
    /// Azure List Blobs: `<Blob><Name>`.
    Azure,
}

impl Dialect {
    /// The dialect of a listing request, from its query string.
    pub fn of_query(query: &str) -> Option<Dialect> {
        let has = |k: &str| query.split('&').any(|p| p == k);
        if has("list-type=2") {
            Some(Dialect::S3)
        } else if has("comp=list") && has("restype=container") {
            Some(Dialect::Azure)
        } else {
            None
        }
    }

    fn tags(self) -> (&'static str, &'static str, &'static str) {
        match self {
            Dialect::S3 => ("<Contents>", "</Contents>", "Key"),
            Dialect::Azure => ("<Blob>", "</Blob>", "Name"),
        }
    }
}

/// Would object_store read exactly this key back?
pub fn is_representable(key: &str) -> bool {
    KeyPath::parse(key).is_ok_and(|p| p.as_ref() == key)
}

/// Removes the entries whose keys the client cannot represent; returns the
/// page to hand on (unchanged when nothing was removed) and those keys.
pub fn filter(body: &str, dialect: Dialect) -> (Option<String>, Vec<String>) {
    let (open, close, field) = dialect.tags();
    let mut out = String::with_capacity(body.len());
    let mut rejected = Vec::new();
    let mut rest = body;
    while let Some(start) = rest.find(open) {
        let Some(len) = rest[start..].find(close) else {
            break;
        };
        let end = start + len + close.len();
        let entry = &rest[start..end];
        out.push_str(&rest[..start]);
        match entry_key(entry, field) {
            Some(key) if !is_representable(&key) => rejected.push(key),
            _ => out.push_str(entry),
        }
        rest = &rest[end..];
    }
    out.push_str(rest);
    if rejected.is_empty() {
        (None, rejected)
    } else {
        (Some(out), rejected)
    }
}

/// A page that says more follows but gives no token to ask for it: the
/// client would take it as the last page, and the listing as complete.
pub fn truncated_without_token(page: &str, dialect: Dialect) -> bool {
    dialect == Dialect::S3
        && page.contains("<IsTruncated>true</IsTruncated>")
        && !page.contains("<NextContinuationToken>")
}

/// The key of one entry: `<Key>…</Key>`, or Azure's `<Name Encoded="true">`
/// form, which percent-encodes names XML cannot carry.
fn entry_key(entry: &str, field: &str) -> Option<String> {
    let open_at = entry.find(&format!("<{field}"))?;
    let after = &entry[open_at + field.len() + 1..];
    let tag_end = after.find('>')?;
    let attrs = &after[..tag_end];
    let text_end = after.find(&format!("</{field}>"))?;
    let raw = after.get(tag_end + 1..text_end)?;
    let text = unescape_xml(raw);
    if attrs.contains("Encoded=\"true\"") {
        Some(percent_decode(&text))
    } else {
        Some(text)
    }
}

fn unescape_xml(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        let tail = &rest[amp..];
        let Some(semi) = tail.find(';').filter(|&i| i <= 10) else {
            out.push('&');
            rest = &tail[1..];
            continue;
        };
        let name = &tail[1..semi];
        let ch = match name {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            _ => name
                .strip_prefix("#x")
                .map(|h| u32::from_str_radix(h, 16))
                .or_else(|| name.strip_prefix('#').map(str::parse::<u32>))
                .and_then(Result::ok)
                .and_then(char::from_u32),
        };
        match ch {
            Some(c) => {
                out.push(c);
                rest = &tail[semi + 1..];
            }
            None => {
                out.push('&');
                rest = &tail[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = |c: u8| (c as char).to_digit(16);
        match (
            b[i],
            b.get(i + 1).copied().and_then(hex),
            b.get(i + 2).copied().and_then(hex),
        ) {
            (b'%', Some(h), Some(l)) => {
                out.push((h * 16 + l) as u8);
                i += 3;
            }
            (c, _, _) => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(keys: &[&str]) -> String {
        let mut s = String::from("<ListBucketResult><IsTruncated>true</IsTruncated>");
        for k in keys {
            s.push_str(&format!(
                "<Contents><Key>{k}</Key><Size>1</Size></Contents>"
            ));
        }
        s.push_str("<NextContinuationToken>t</NextContinuationToken></ListBucketResult>");
        s
    }

    #[test]
    fn a_truncated_page_needs_a_token_to_go_on_with() {
        let full = page(&["a"]);
        assert!(!truncated_without_token(&full, Dialect::S3));
        let cut = full.replace("<NextContinuationToken>t</NextContinuationToken>", "");
        assert!(truncated_without_token(&cut, Dialect::S3));
        let last = cut.replace("true", "false");
        assert!(!truncated_without_token(&last, Dialect::S3));
        assert!(!truncated_without_token(&cut, Dialect::Azure));
    }

    #[test]
    fn keys_the_client_cannot_represent_are_taken_out_and_the_page_goes_on() {
        let body = page(&[
            "ok/a.wav",
            "a//b.wav",
            "x/./y.wav",
            "x/../y.wav",
            "ctl\u{1}.wav",
            "/lead.wav",
            "trail.wav/",
            "R&amp;D/z.wav",
        ]);
        let (kept, rejected) = filter(&body, Dialect::S3);
        assert_eq!(
            rejected,
            [
                "a//b.wav",
                "x/./y.wav",
                "x/../y.wav",
                "ctl\u{1}.wav",
                "/lead.wav",
                "trail.wav/"
            ]
        );
        let kept = kept.unwrap();
        assert!(kept.contains("<Key>ok/a.wav</Key>") && kept.contains("R&amp;D/z.wav"));
        assert!(kept.contains("<NextContinuationToken>t</NextContinuationToken>"));
        assert_eq!(filter(&page(&["fine.wav"]), Dialect::S3), (None, vec![]));
    }

    #[test]
    fn azure_names_and_their_encoded_form() {
        let body = "<EnumerationResults><Blobs><Blob><Name>a.wav</Name></Blob>\
                    <Blob><Name Encoded=\"true\">b%01.wav</Name></Blob></Blobs></EnumerationResults>";
        let (kept, rejected) = filter(body, Dialect::Azure);
        assert_eq!(rejected, ["b\u{1}.wav"]);
        assert!(kept.unwrap().contains("<Name>a.wav</Name>"));
    }

    #[test]
    fn listing_requests_are_told_by_their_query() {
        assert_eq!(Dialect::of_query("list-type=2&prefix=a"), Some(Dialect::S3));
        assert_eq!(
            Dialect::of_query("restype=container&comp=list&maxresults=5"),
            Some(Dialect::Azure)
        );
        assert_eq!(Dialect::of_query("comp=blocklist"), None);
    }
}
