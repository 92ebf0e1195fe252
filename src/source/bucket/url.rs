//! Object-store URLs as users type them: `s3://bucket/prefix`, `gs://…`,
//! `az://…` or `azure://…`.

use std::fmt;

/// Which service a URL names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Provider {
    S3,
    Gcs,
    Azure,
}

/// `s3://bucket/prefix`, `gs://…`, `az://…` or `azure://…`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BucketUrl {
    pub provider: Provider,
    scheme: String,
    pub bucket: String,
    pub prefix: String,
}

impl BucketUrl {
    /// `None` for a local path; an error for a URL atrest cannot scan.
    pub fn parse(target: &str) -> Result<Option<BucketUrl>, String> {
        let Some((scheme, rest)) = target.split_once("://") else {
            return Ok(None);
        };
        let provider = match scheme {
            "s3" => Provider::S3,
            "gs" => Provider::Gcs,
            "az" | "azure" => Provider::Azure,
            _ => {
                return Err(format!(
                "{target}: unsupported URL scheme {scheme:?} (use s3://, gs://, az:// or azure://)"
            ))
            }
        };
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        let valid = (3..=63).contains(&bucket.len())
            && bucket
                .bytes()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || b".-_".contains(&c))
            && bucket
                .bytes()
                .next()
                .is_some_and(|c| c.is_ascii_alphanumeric());
        if !valid {
            let what = if provider == Provider::Azure {
                "container"
            } else {
                "bucket"
            };
            return Err(format!(
                "{target}: {what} name {bucket:?} is not valid (3–63 lower-case letters, digits, '-', '.')"
            ));
        }
        Ok(Some(BucketUrl {
            provider,
            scheme: scheme.to_string(),
            bucket: bucket.to_string(),
            prefix: prefix.trim_matches('/').to_string(),
        }))
    }

    /// The report's `location` of one key. A `?` of the key is written
    /// `\?` (and a backslash doubled), so that an unescaped `?` in a
    /// location always starts which older version it is: no key can take
    /// the location, the fingerprint or the verdict of another object's
    /// version.
    pub fn object_url(&self, key: &str) -> String {
        let mut url = format!("{}://{}/", self.scheme, self.bucket);
        if key.contains(['?', '\\']) {
            url.push_str(&key.replace('\\', "\\\\").replace('?', "\\?"));
        } else {
            url.push_str(key);
        }
        url
    }

    /// Where the part of an object's location below the bucket begins.
    pub fn key_at(&self) -> usize {
        self.scheme.len() + 3 + self.bucket.len() + 1
    }
}

impl fmt::Display for BucketUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}://{}", self.scheme, self.bucket)?;
        if !self.prefix.is_empty() {
            write!(f, "/{}", self.prefix)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_parse_and_bad_ones_say_why() {
        let u = BucketUrl::parse("s3://voice-data/calls/2026/")
            .unwrap()
            .unwrap();
        assert_eq!(
            (u.bucket.as_str(), u.prefix.as_str()),
            ("voice-data", "calls/2026")
        );
        assert_eq!(
            u.object_url("calls/2026/a.wav"),
            "s3://voice-data/calls/2026/a.wav"
        );
        // A key that looks like an older version of another does not
        // share its location.
        assert_eq!(
            u.object_url("a.wav?versionId=7"),
            "s3://voice-data/a.wav\\?versionId=7"
        );
        assert_eq!(u.object_url("a\\?b"), "s3://voice-data/a\\\\\\?b");
        assert_eq!(u.key_at(), "s3://voice-data/".len());
        assert_eq!(
            BucketUrl::parse("azure://rec").unwrap().unwrap().provider,
            Provider::Azure
        );
        assert!(BucketUrl::parse("fixtures/audio").unwrap().is_none());
        assert!(BucketUrl::parse("ftp://x/y")
            .unwrap_err()
            .contains("unsupported"));
        assert!(BucketUrl::parse("s3://A_B")
            .unwrap_err()
            .contains("not valid"));
        assert!(BucketUrl::parse("gs://").unwrap_err().contains("not valid"));
    }
}
