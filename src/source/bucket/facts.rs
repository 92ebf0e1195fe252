//! Storage-level encryption facts from response headers (SSE, KMS,
//! customer keys, client-side envelopes) of S3, Azure and GCS.

use http::HeaderMap;

use crate::sniff::AtRest;

/// What the storage layer says about one object's encryption.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StorageFacts {
    pub at_rest: AtRest,
    /// e.g. "SSE-KMS" with its key id.
    pub server_side: Option<String>,
    pub kms_key: Option<String>,
    /// Client-side envelope metadata: the object is ciphertext.
    pub client_side: Option<String>,
}

impl StorageFacts {
    pub(super) fn from_headers(h: &HeaderMap) -> StorageFacts {
        let get = |k: &str| h.get(k).and_then(|v| v.to_str().ok()).map(str::to_string);
        let mut f = StorageFacts::default();
        // S3 (and S3-compatible stores).
        if let Some(sse) = get("x-amz-server-side-encryption") {
            f.at_rest = if sse.starts_with("aws:kms") {
                AtRest::Kms
            } else {
                AtRest::Provider
            };
            f.kms_key = get("x-amz-server-side-encryption-aws-kms-key-id");
            f.server_side = Some(match sse.as_str() {
                "AES256" => "SSE-S3 (AES256)".into(),
                "aws:kms" => "SSE-KMS".into(),
                "aws:kms:dsse" => "DSSE-KMS".into(),
                other => other.to_string(),
            });
        } else if h.keys().any(|k| k.as_str().starts_with("x-amz-")) {
            f.at_rest = AtRest::None;
        }
        if get("x-amz-server-side-encryption-customer-algorithm").is_some() {
            f.at_rest = AtRest::CustomerKey;
            f.server_side = Some("SSE-C".into());
        }
        if let Some(alg) = get("x-amz-meta-x-amz-cek-alg") {
            f.client_side = Some(format!("S3 Encryption Client ({alg})"));
        } else if get("x-amz-meta-x-amz-key-v2").is_some() || get("x-amz-meta-x-amz-key").is_some()
        {
            f.client_side = Some("S3 Encryption Client".into());
        }
        // Azure Blob: always encrypted at rest; scopes and customer keys say by whom.
        if get("x-ms-server-encrypted").is_some_and(|v| v == "true") {
            f.at_rest = AtRest::Provider;
            f.server_side = Some("Azure Storage encryption (Microsoft-managed key)".into());
        }
        if let Some(scope) = get("x-ms-encryption-scope") {
            f.at_rest = AtRest::Kms;
            f.server_side = Some(format!("Azure encryption scope {scope}"));
        }
        if get("x-ms-encryption-key-sha256").is_some() {
            f.at_rest = AtRest::CustomerKey;
            f.server_side = Some("Azure customer-provided key".into());
        }
        if let Some(data) = get("x-ms-meta-encryptiondata") {
            let algo = serde_json::from_str::<serde_json::Value>(&data)
                .ok()
                .and_then(|v| {
                    v["EncryptionAgent"]["EncryptionAlgorithm"]
                        .as_str()
                        .map(str::to_string)
                })
                .unwrap_or_else(|| "unknown algorithm".into());
            f.client_side = Some(format!("Azure client-side encryption ({algo})"));
        }
        // Google Cloud Storage: Google-managed unless a KMS or customer key shows.
        if h.keys().any(|k| k.as_str().starts_with("x-goog-")) {
            f.at_rest = AtRest::Provider;
            f.server_side = Some("Google-managed encryption".into());
            if let Some(key) = get("x-goog-encryption-kms-key-name") {
                f.at_rest = AtRest::Kms;
                f.server_side = Some("Cloud KMS (CMEK)".into());
                f.kms_key = Some(key);
            }
            if get("x-goog-encryption-algorithm").is_some() {
                f.at_rest = AtRest::CustomerKey;
                f.server_side = Some("customer-supplied key (CSEK)".into());
            }
        }
        f
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_tell_provider_kms_customer_and_client_side_keys() {
        let h = |pairs: &[(&'static str, &str)]| {
            let mut m = HeaderMap::new();
            for (k, v) in pairs {
                m.insert(*k, v.parse().unwrap());
            }
            StorageFacts::from_headers(&m)
        };
        assert_eq!(
            h(&[("x-amz-server-side-encryption", "AES256")]).at_rest,
            AtRest::Provider
        );
        let kms = h(&[
            ("x-amz-server-side-encryption", "aws:kms"),
            (
                "x-amz-server-side-encryption-aws-kms-key-id",
                "arn:aws:kms:k",
            ),
        ]);
        assert_eq!(
            (kms.at_rest, kms.kms_key.as_deref()),
            (AtRest::Kms, Some("arn:aws:kms:k"))
        );
        assert_eq!(h(&[("x-amz-request-id", "1")]).at_rest, AtRest::None);
        assert!(h(&[
            ("x-amz-meta-x-amz-key-v2", "AQID"),
            ("x-amz-meta-x-amz-cek-alg", "AES/GCM/NoPadding")
        ])
        .client_side
        .is_some());
        assert_eq!(
            h(&[
                ("x-ms-server-encrypted", "true"),
                ("x-ms-encryption-key-sha256", "x")
            ])
            .at_rest,
            AtRest::CustomerKey
        );
        assert_eq!(h(&[]).at_rest, AtRest::Unknown);
    }
}
