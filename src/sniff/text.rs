//! Text: plain text is not audio, but text carries envelopes (sops, JWE) and
//! encoded payloads; those are recognised here.

use base64::Engine;

use super::bytes::find;
use super::{Class, Encryption, Sample, Sniff};

/// Mostly printable UTF-8 (or ASCII with tabs and line breaks).
pub(crate) fn is_text(b: &[u8]) -> bool {
    if b.is_empty() {
        return false;
    }
    let probe = &b[..b.len().min(8192)];
    let text = match std::str::from_utf8(probe) {
        Ok(t) => t,
        // A multi-byte character cut at the window's end is still text.
        Err(e) if e.valid_up_to() + 4 >= probe.len() => {
            std::str::from_utf8(&probe[..e.valid_up_to()]).unwrap_or("")
        }
        Err(_) => return false,
    };
    let total = text.chars().count().max(1);
    let printable = text
        .chars()
        .filter(|c| !c.is_control() || matches!(c, '\n' | '\r' | '\t' | '\x0c'))
        .count();
    printable * 100 >= total * 97
}

pub(crate) fn detect(s: &Sample) -> Option<Sniff> {
    if !is_text(s.head) {
        return None;
    }
    let h = s.head;
    if find(h, b"ENC[AES256_GCM,data:").is_some() && (find(h, b"sops").is_some()) {
        return Some(
            Sniff::new(
                "sops",
                Some("text/plain"),
                Class::Encrypted,
                Encryption::Encrypted,
            )
            .with("magic", "ENC[AES256_GCM,…] values with sops metadata")
            .with(
                "scheme",
                "AES-256-GCM per value; keys and structure in the clear",
            ),
        );
    }
    if let Some(jwe) = jwe_compact(h) {
        return Some(jwe);
    }
    Some(Sniff::new(
        "text",
        Some("text/plain"),
        Class::Other,
        Encryption::None,
    ))
}

/// JWE compact serialisation: five base64url segments; the first is a JSON
/// header naming an `enc` algorithm (a JWS has three segments and no `enc`).
fn jwe_compact(h: &[u8]) -> Option<Sniff> {
    let text = std::str::from_utf8(h).ok()?.trim();
    let parts: Vec<&str> = text.split('.').collect();
    if parts.len() != 5 || !text.starts_with("eyJ") {
        return None;
    }
    let header = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(parts[0])
        .ok()?;
    let header = String::from_utf8(header).ok()?;
    header.contains("\"enc\"").then(|| {
        Sniff::new(
            "jwe",
            Some("application/jose"),
            Class::Encrypted,
            Encryption::Encrypted,
        )
        .with("magic", "JWE compact (5 segments, enc header)")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_detection_tolerates_utf8_and_rejects_binary() {
        assert!(is_text("héllo wörld\nzweite Zeile\t✓".as_bytes()));
        assert!(!is_text(&[0u8, 1, 2, 3, 200, 201]));
    }

    #[test]
    fn jwe_is_encrypted_and_jws_is_text() {
        let header = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(r#"{"alg":"dir","enc":"A256GCM"}"#);
        let jwe = format!("{header}..aXY.Y2lwaGVy.dGFn");
        let s = detect(&Sample::new(jwe.len() as u64, jwe.as_bytes(), &[])).unwrap();
        assert_eq!(s.format, "jwe");
        let jws = format!("{header}.cGF5bG9hZA.c2ln");
        assert_eq!(
            detect(&Sample::new(jws.len() as u64, jws.as_bytes(), &[]))
                .unwrap()
                .format,
            "text"
        );
    }
}
