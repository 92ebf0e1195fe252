//! Who can read a bucket: one unsigned (anonymous) LIST and one unsigned
//! ranged GET of an object the scan listed, sent with no credentials, no
//! signature and no SAS, exactly as anyone on the internet would send them.
//! The answers decide `public-list`, `public-read`, `private` or `unknown`.
//! Both requests are counted and paced like every other; nothing is ever
//! written. Server-side encryption does not help here: the store decrypts
//! for whoever may read.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::{Provider, Wire};

/// Who can read a bucket's objects without credentials.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(rename_all = "kebab-case")]
pub enum Exposure {
    /// Anyone can list the objects (and, in practice, read them).
    PublicList,
    /// Anyone who knows a key can read the object.
    PublicRead,
    /// Anonymous requests are refused.
    Private,
    /// Not probed (local files, `--no-exposure`), or no decisive answer.
    #[default]
    Unknown,
}

impl Exposure {
    pub fn as_str(self) -> &'static str {
        match self {
            Exposure::PublicList => "public-list",
            Exposure::PublicRead => "public-read",
            Exposure::Private => "private",
            Exposure::Unknown => "unknown",
        }
    }

    pub fn is_public(self) -> bool {
        matches!(self, Exposure::PublicList | Exposure::PublicRead)
    }
}

impl std::fmt::Display for Exposure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What one anonymous request got back.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Answer {
    /// An HTTP answer: status, the provider's error code if any, and
    /// whether the body is a listing.
    Http {
        status: u16,
        code: Option<String>,
        listing: bool,
    },
    /// No answer (timeout, connection refused, TLS or DNS failure).
    Failed,
}

impl Answer {
    fn status(&self) -> Option<u16> {
        match self {
            Answer::Http { status, .. } => Some(*status),
            Answer::Failed => None,
        }
    }

    fn code(&self) -> &str {
        match self {
            Answer::Http { code: Some(c), .. } => c,
            _ => "",
        }
    }

    fn shown(&self) -> String {
        match self {
            Answer::Http { status, code, .. } => match code {
                Some(c) => format!("{status} {c}"),
                None => status.to_string(),
            },
            Answer::Failed => "no answer".into(),
        }
    }
}

/// Is this answer the provider's way of refusing an anonymous caller?
fn refused(provider: Provider, a: &Answer) -> bool {
    let Some(status) = a.status() else {
        return false;
    };
    match provider {
        // S3: 403 AccessDenied (some stores with an empty body); 400
        // InvalidArgument when the object is KMS-encrypted (anonymous
        // callers cannot use the key, so it is not readable by them).
        Provider::S3 => status == 403 || (status == 400 && a.code() == "InvalidArgument"),
        // Azure hides private containers behind 404 ResourceNotFound, or
        // answers 401 NoAuthenticationInformation, 409
        // PublicAccessNotPermitted (anonymous access off for the account),
        // 403 AuthorizationFailure (the emulator; network rules on Azure).
        Provider::Azure => {
            matches!(status, 401 | 403 | 409) || (status == 404 && a.code() == "ResourceNotFound")
        }
        // GCS: 401 on the JSON API, 403 on the XML API.
        Provider::Gcs => matches!(status, 401 | 403),
    }
}

fn success(a: &Answer) -> bool {
    a.status().is_some_and(|s| (200..300).contains(&s))
}

/// The decision: `list` is the anonymous LIST's answer, `get` the anonymous
/// ranged GET's (none when no key was known). Returns the class and why.
pub fn classify(provider: Provider, list: &Answer, get: Option<&Answer>) -> (Exposure, String) {
    let listed = matches!(list, Answer::Http { listing: true, .. }) && success(list);
    let why = format!(
        "anonymous LIST: {}; anonymous GET: {}",
        list.shown(),
        get.map_or("not sent (no object)".into(), Answer::shown)
    );
    if listed {
        return (Exposure::PublicList, why);
    }
    if !refused(provider, list) {
        return (Exposure::Unknown, why);
    }
    match get {
        Some(g) if success(g) => (Exposure::PublicRead, why),
        // A blob the scan listed but that an anonymous caller cannot find:
        // only a public container answers BlobNotFound.
        Some(g) if provider == Provider::Azure && g.code() == "BlobNotFound" => {
            (Exposure::PublicRead, why)
        }
        Some(g) if refused(provider, g) => (Exposure::Private, why),
        None => (Exposure::Private, why),
        Some(_) => (Exposure::Unknown, why),
    }
}

/// Where anonymous requests for one bucket go.
#[derive(Clone, Debug)]
pub struct Endpoint {
    pub provider: Provider,
    /// `https://s3.us-east-1.amazonaws.com`, `http://127.0.0.1:10000/devstoreaccount1`, …
    pub base: String,
    pub bucket: String,
}

fn env(key: &str) -> Option<String> {
    std::env::var(key).ok().filter(|v| !v.is_empty())
}

impl Endpoint {
    /// Where an anonymous caller would reach this bucket, from the same
    /// settings the signed client uses (endpoint, region, emulator, account).
    /// `s3_base` is the S3 client's own endpoint or regional host.
    pub fn of(provider: Provider, bucket: &str, s3_base: Option<&str>) -> Option<Endpoint> {
        let base = match provider {
            Provider::S3 => s3_base?.to_string(),
            Provider::Gcs => match env("STORAGE_EMULATOR_HOST") {
                Some(h) if h.contains("://") => h,
                Some(h) => format!("http://{h}"),
                None => "https://storage.googleapis.com".into(),
            },
            Provider::Azure => azure_base()?,
        };
        Some(Endpoint {
            provider,
            base,
            bucket: bucket.to_string(),
        })
    }

    fn list_url(&self) -> String {
        let (base, b) = (self.base.trim_end_matches('/'), &self.bucket);
        match self.provider {
            Provider::S3 => format!("{base}/{b}?list-type=2&max-keys=1"),
            Provider::Azure => format!("{base}/{b}?restype=container&comp=list&maxresults=1"),
            Provider::Gcs => format!("{base}/storage/v1/b/{b}/o?maxResults=1"),
        }
    }

    fn get_url(&self, key: &str) -> String {
        let (base, b) = (self.base.trim_end_matches('/'), &self.bucket);
        match self.provider {
            Provider::S3 | Provider::Azure => format!("{base}/{b}/{}", encode(key, false)),
            Provider::Gcs => format!("{base}/storage/v1/b/{b}/o/{}?alt=media", encode(key, true)),
        }
    }
}

/// Azurite's well-known development account key (published by Microsoft).
const AZURITE_KEY: &str =
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

/// The configured Azure account: (name, its key if one is configured, blob
/// endpoint), for the provider's statement.
pub fn azure_account() -> Option<(String, Option<String>, String)> {
    let base = azure_base()?;
    let conn = env("AZURE_STORAGE_CONNECTION_STRING").unwrap_or_default();
    let field = |name: &str| {
        conn.split(';')
            .filter_map(|p| p.split_once('='))
            .find(|(k, _)| k.trim() == name)
            .map(|(_, v)| v.trim().to_string())
    };
    let emulator = base.contains("devstoreaccount1");
    let account = env("AZURE_STORAGE_ACCOUNT_NAME")
        .or_else(|| env("AZURE_STORAGE_ACCOUNT"))
        .or_else(|| field("AccountName"))
        .or_else(|| emulator.then(|| "devstoreaccount1".to_string()))?;
    let key = env("AZURE_STORAGE_ACCOUNT_KEY")
        .or_else(|| env("AZURE_STORAGE_ACCESS_KEY"))
        .or_else(|| field("AccountKey"))
        .or_else(|| emulator.then(|| AZURITE_KEY.to_string()));
    Some((account, key, base))
}

/// The blob endpoint of the configured Azure account (the emulator's
/// included), or none when no account is configured.
fn azure_base() -> Option<String> {
    let conn = env("AZURE_STORAGE_CONNECTION_STRING").unwrap_or_default();
    let field = |name: &str| {
        conn.split(';')
            .filter_map(|p| p.split_once('='))
            .find(|(k, _)| k.trim() == name)
            .map(|(_, v)| v.trim().to_string())
    };
    let emulator = env("AZURE_STORAGE_USE_EMULATOR")
        .is_some_and(|v| v.eq_ignore_ascii_case("true"))
        || field("UseDevelopmentStorage").is_some_and(|v| v.eq_ignore_ascii_case("true"));
    if let Some(endpoint) = field("BlobEndpoint") {
        return Some(endpoint);
    }
    if emulator {
        let url =
            env("AZURITE_BLOB_STORAGE_URL").unwrap_or_else(|| "http://127.0.0.1:10000".into());
        return Some(format!("{}/devstoreaccount1", url.trim_end_matches('/')));
    }
    let account = env("AZURE_STORAGE_ACCOUNT_NAME")
        .or_else(|| env("AZURE_STORAGE_ACCOUNT"))
        .or_else(|| field("AccountName"))?;
    Some(format!("https://{account}.blob.core.windows.net"))
}

/// Percent-encodes a key for a URL path (`/` kept unless `slash`).
fn encode(key: &str, slash: bool) -> String {
    let mut out = String::with_capacity(key.len());
    for b in key.bytes() {
        let keep = b.is_ascii_alphanumeric() || b"-._~".contains(&b) || (b == b'/' && !slash);
        if keep {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The probe's outcome for one bucket.
#[derive(Clone, Debug, Default)]
pub struct Probe {
    pub exposure: Exposure,
    /// The answers that decided it, for the report.
    pub basis: String,
    /// The provider's own statement, where the credentials could ask.
    pub statement: Option<String>,
}

/// Sends the two anonymous requests (paced and counted by `wire`).
pub async fn probe(endpoint: &Endpoint, key: Option<&str>, wire: &Wire) -> Probe {
    let client = match reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(Duration::from_secs(5))
        .timeout(Duration::from_secs(10))
        .build()
    {
        Ok(c) => c,
        Err(_) => return Probe::default(),
    };
    let list = ask(&client, &endpoint.list_url(), None, endpoint.provider, wire).await;
    let get = match key {
        Some(k) => Some(
            ask(
                &client,
                &endpoint.get_url(k),
                Some(k),
                endpoint.provider,
                wire,
            )
            .await,
        ),
        None => None,
    };
    let (exposure, basis) = classify(endpoint.provider, &list, get.as_ref());
    tracing::info!(bucket = %endpoint.bucket, %exposure, %basis, "exposure probe");
    Probe {
        exposure,
        basis,
        statement: None,
    }
}

async fn ask(
    client: &reqwest::Client,
    url: &str,
    ranged: Option<&str>,
    provider: Provider,
    wire: &Wire,
) -> Answer {
    wire.pace().await;
    let mut req = client.get(url);
    if ranged.is_some() {
        req = req.header("Range", "bytes=0-15");
    }
    if provider == Provider::Azure {
        req = req.header("x-ms-version", "2021-08-06");
    }
    let Ok(resp) = req.send().await else {
        return Answer::Failed;
    };
    let status = resp.status().as_u16();
    let header_code = resp
        .headers()
        .get("x-ms-error-code")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    // Error bodies are small; a listing page of one key too.
    let body = resp.bytes().await.unwrap_or_default();
    let text = String::from_utf8_lossy(&body[..body.len().min(64 << 10)]);
    let code = header_code.or_else(|| error_code(&text));
    let listing = text.contains("<ListBucketResult")
        || text.contains("<EnumerationResults")
        || text.contains("\"kind\": \"storage#objects\"")
        || text.contains("\"kind\":\"storage#objects\"");
    Answer::Http {
        status,
        code,
        listing,
    }
}

/// `<Code>X</Code>` (S3, Azure, GCS XML) or a JSON error's `"reason": "x"`.
fn error_code(body: &str) -> Option<String> {
    let between = |open: &str, close: &str| {
        let from = body.find(open)? + open.len();
        let len = body[from..].find(close)?;
        Some(body[from..from + len].trim().to_string())
    };
    between("<Code>", "</Code>")
        .or_else(|| between("\"reason\": \"", "\""))
        .or_else(|| between("\"reason\":\"", "\""))
        .filter(|c| c.len() <= 64 && c.chars().all(|ch| ch.is_ascii_alphanumeric()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn http(status: u16, code: Option<&str>, listing: bool) -> Answer {
        Answer::Http {
            status,
            code: code.map(str::to_string),
            listing,
        }
    }

    /// The decision table on recorded answers of the emulators and of the
    /// providers' documented behaviour (tests/emulators/EXPOSURE.md).
    #[test]
    fn answers_decide_the_class() {
        use Exposure::*;
        use Provider::*;
        let cases = [
            (
                S3,
                http(200, None, true),
                Some(http(206, None, false)),
                PublicList,
            ),
            (
                S3,
                http(403, Some("AccessDenied"), false),
                Some(http(206, None, false)),
                PublicRead,
            ),
            (
                S3,
                http(403, Some("AccessDenied"), false),
                Some(http(403, Some("AccessDenied"), false)),
                Private,
            ),
            (
                S3,
                http(403, None, false),
                Some(http(403, None, false)),
                Private,
            ),
            (
                S3,
                http(403, None, false),
                Some(http(400, Some("InvalidArgument"), false)),
                Private,
            ),
            (S3, http(404, Some("NoSuchBucket"), false), None, Unknown),
            (
                S3,
                http(301, Some("PermanentRedirect"), false),
                None,
                Unknown,
            ),
            (S3, Answer::Failed, None, Unknown),
            (
                Azure,
                http(200, None, true),
                Some(http(206, None, false)),
                PublicList,
            ),
            (
                Azure,
                http(403, Some("AuthorizationFailure"), false),
                Some(http(206, None, false)),
                PublicRead,
            ),
            (
                Azure,
                http(404, Some("ResourceNotFound"), false),
                Some(http(404, Some("BlobNotFound"), false)),
                PublicRead,
            ),
            (
                Azure,
                http(403, Some("AuthorizationFailure"), false),
                Some(http(403, Some("AuthorizationFailure"), false)),
                Private,
            ),
            (
                Azure,
                http(404, Some("ResourceNotFound"), false),
                Some(http(404, Some("ResourceNotFound"), false)),
                Private,
            ),
            (
                Azure,
                http(409, Some("PublicAccessNotPermitted"), false),
                Some(http(409, Some("PublicAccessNotPermitted"), false)),
                Private,
            ),
            (
                Gcs,
                http(401, Some("required"), false),
                Some(http(401, Some("required"), false)),
                Private,
            ),
            (
                Gcs,
                http(200, None, true),
                Some(http(206, None, false)),
                PublicList,
            ),
            (Gcs, http(503, None, false), None, Unknown),
        ];
        for (provider, list, get, want) in cases {
            let (got, why) = classify(provider, &list, get.as_ref());
            assert_eq!(got, want, "{provider:?} {list:?} {get:?}: {why}");
        }
    }

    #[test]
    fn probe_urls_are_path_style_and_keys_encoded() {
        let e = |provider| Endpoint {
            provider,
            base: "http://127.0.0.1:1/".into(),
            bucket: "b".into(),
        };
        assert_eq!(
            e(Provider::S3).get_url("a b/c.wav"),
            "http://127.0.0.1:1/b/a%20b/c.wav"
        );
        assert_eq!(
            e(Provider::Gcs).get_url("a/c.wav"),
            "http://127.0.0.1:1/storage/v1/b/b/o/a%2Fc.wav?alt=media"
        );
        assert!(e(Provider::Azure)
            .list_url()
            .ends_with("/b?restype=container&comp=list&maxresults=1"));
    }

    #[test]
    fn error_codes_come_from_xml_or_json_bodies() {
        assert_eq!(
            error_code("<Error><Code>AccessDenied</Code></Error>").as_deref(),
            Some("AccessDenied")
        );
        assert_eq!(
            error_code("{\"error\":{\"errors\":[{\"reason\": \"required\"}]}}").as_deref(),
            Some("required")
        );
        assert_eq!(error_code("<Code><script></Code>"), None);
    }
}
