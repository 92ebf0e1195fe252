//! Object-store buckets (S3 and S3-compatible, Google Cloud Storage, Azure
//! Blob) through `object_store`. Async I/O stays in here: the rest of the
//! pipeline sees the same [`Candidate`]s and [`ObjectReader`]s as for local
//! files. Every read is a ranged GET at an absolute offset computed from the
//! listed size (Azure rejects suffix ranges; `get_ranges` would coalesce
//! nearby ranges into one large GET), so no object is ever downloaded whole.

use std::fmt;
use std::io;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures::StreamExt;
use http::HeaderMap;
use object_store::aws::AmazonS3Builder;
use object_store::azure::MicrosoftAzureBuilder;
use object_store::client::{
    HttpClient, HttpConnector, HttpError, HttpRequest, HttpResponse, HttpService,
};
use object_store::gcp::GoogleCloudStorageBuilder;
use object_store::path::Path as KeyPath;
use object_store::{BackoffConfig, ClientOptions, GetOptions, GetRange, ObjectStore, RetryConfig};

use super::{Candidate, Event, ObjectReader, Origin, SkipReason, Unread};
use crate::sniff::AtRest;
use crate::source::fs::WalkOptions;

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

    /// The report's `location` of one key.
    pub fn object_url(&self, key: &str) -> String {
        format!("{}://{}/{key}", self.scheme, self.bucket)
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

/// How atrest talks to object stores.
#[derive(Clone, Debug)]
pub struct RemoteOptions {
    /// `--endpoint`: an S3-compatible endpoint (MinIO, Ceph, R2, a test server).
    pub endpoint: Option<String>,
    /// Retries of one request on 429/5xx/timeouts (with jittered backoff).
    pub max_retries: usize,
    /// Give up on one request after this long, retries included.
    pub retry_timeout: Duration,
}

impl Default for RemoteOptions {
    fn default() -> Self {
        RemoteOptions {
            endpoint: None,
            max_retries: 4,
            retry_timeout: Duration::from_secs(30),
        }
    }
}

/// Shared by every request of a run: the count, the pace, the headers.
#[derive(Debug, Default)]
pub struct Wire {
    requests: AtomicU64,
    pace: Option<Pace>,
}

#[derive(Debug)]
struct Pace {
    interval: Duration,
    next: Mutex<Instant>,
}

impl Wire {
    pub fn new(max_requests_per_second: Option<f64>) -> Wire {
        Wire {
            requests: AtomicU64::new(0),
            pace: max_requests_per_second.filter(|r| *r > 0.0).map(|r| Pace {
                interval: Duration::from_secs_f64(1.0 / r),
                next: Mutex::new(Instant::now()),
            }),
        }
    }

    /// HTTP requests sent so far, retries and listing pages included.
    pub fn requests(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    /// How long to wait before the next request may go out.
    fn reserve(&self) -> Duration {
        let Some(pace) = &self.pace else {
            return Duration::ZERO;
        };
        let mut next = pace.next.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        let slot = (*next).max(now);
        *next = slot + pace.interval;
        slot - now
    }
}

/// Response headers of the storage-level facts, copied into the response's
/// extensions so they reach [`object_store::GetResult::extensions`].
#[derive(Clone, Debug)]
struct Captured(HeaderMap);

#[derive(Debug)]
struct CountingService {
    inner: reqwest::Client,
    wire: Arc<Wire>,
}

#[async_trait::async_trait]
impl HttpService for CountingService {
    async fn call(&self, req: HttpRequest) -> Result<HttpResponse, HttpError> {
        let wait = self.wire.reserve();
        if !wait.is_zero() {
            tokio::time::sleep(wait).await;
        }
        self.wire.requests.fetch_add(1, Ordering::Relaxed);
        let mut resp = self.inner.call(req).await?;
        let kept: HeaderMap = resp
            .headers()
            .iter()
            .filter(|(k, _)| {
                let k = k.as_str();
                k.starts_with("x-amz-") || k.starts_with("x-ms-") || k.starts_with("x-goog-")
            })
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        resp.extensions_mut().insert(Captured(kept));
        Ok(resp)
    }
}

#[derive(Debug)]
struct Connector {
    wire: Arc<Wire>,
}

impl HttpConnector for Connector {
    fn connect(&self, _options: &ClientOptions) -> object_store::Result<HttpClient> {
        let client = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(30))
            .build()
            .map_err(|e| object_store::Error::Generic {
                store: "HTTP",
                source: Box::new(e),
            })?;
        Ok(HttpClient::new(CountingService {
            inner: client,
            wire: Arc::clone(&self.wire),
        }))
    }
}

/// One connected bucket (or container), ready to list and read.
pub struct Bucket {
    pub url: BucketUrl,
    store: Arc<dyn ObjectStore>,
    runtime: Arc<tokio::runtime::Runtime>,
    /// Consecutive objects that failed for want of an answer; past a few, the
    /// endpoint is taken as gone and the rest fail without waiting.
    failing: AtomicUsize,
    down: AtomicBool,
}

impl fmt::Debug for Bucket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Bucket({})", self.url)
    }
}

/// After this many objects in a row fail to get an answer, stop asking.
const GIVE_UP_AFTER: usize = 3;

/// A one-line, credential-free error message: object_store's errors span
/// lines and may quote URLs whose query strings carry SAS signatures.
pub fn one_line(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        let s = cause.to_string();
        if !text.contains(&s) {
            text.push_str(": ");
            text.push_str(&s);
        }
        source = cause.source();
    }
    let words: Vec<String> = text
        .split_whitespace()
        .map(|w| match (w.find("://"), w.find('?')) {
            (Some(_), Some(q)) => format!("{}?…", &w[..q]),
            _ => w.to_string(),
        })
        .collect();
    let mut line = words.join(" ");
    if line.len() > 300 {
        let cut = (0..=300)
            .rev()
            .find(|&i| line.is_char_boundary(i))
            .unwrap_or(0);
        line.truncate(cut);
        line.push('…');
    }
    line
}

fn env(key: &str) -> Option<String> {
    std::env::var(key).ok().filter(|v| !v.is_empty())
}

impl Bucket {
    /// Builds the client from the provider's usual environment, then proves
    /// the bucket exists and the credentials work with one listing request.
    pub fn connect(
        url: BucketUrl,
        opts: &RemoteOptions,
        wire: &Arc<Wire>,
        runtime: &Arc<tokio::runtime::Runtime>,
    ) -> Result<Bucket, String> {
        let retry = RetryConfig {
            backoff: BackoffConfig {
                init_backoff: Duration::from_millis(100),
                max_backoff: Duration::from_secs(5),
                base: 2.0,
            },
            max_retries: opts.max_retries,
            retry_timeout: opts.retry_timeout,
        };
        let connector = Connector {
            wire: Arc::clone(wire),
        };
        let fail = |e: object_store::Error| format!("{url}: {}", one_line(&e));
        let store: Arc<dyn ObjectStore> = match url.provider {
            Provider::S3 => Arc::new(
                s3_builder(&url, opts)?
                    .with_retry(retry)
                    .with_http_connector(connector)
                    .build()
                    .map_err(fail)?,
            ),
            Provider::Gcs => Arc::new(
                gcs_builder(&url)?
                    .with_retry(retry)
                    .with_http_connector(connector)
                    .build()
                    .map_err(fail)?,
            ),
            Provider::Azure => Arc::new(
                azure_builder(&url)?
                    .with_retry(retry)
                    .with_http_connector(connector)
                    .build()
                    .map_err(fail)?,
            ),
        };
        let bucket = Bucket {
            url,
            store,
            runtime: Arc::clone(runtime),
            failing: AtomicUsize::new(0),
            down: AtomicBool::new(false),
        };
        bucket.preflight()?;
        Ok(bucket)
    }

    fn prefix(&self) -> Option<KeyPath> {
        (!self.url.prefix.is_empty()).then(|| KeyPath::from(self.url.prefix.as_str()))
    }

    /// One listing request: a missing bucket or rejected credentials end the
    /// run here, before anything is scanned.
    fn preflight(&self) -> Result<(), String> {
        let prefix = self.prefix();
        let first = self
            .runtime
            .block_on(async { self.store.list(prefix.as_ref()).next().await });
        match first {
            None | Some(Ok(_)) => Ok(()),
            Some(Err(e)) => {
                let text = e.to_string();
                if text.contains("169.254.169.254") || text.contains("169.254.170.2") {
                    return Err(format!(
                        "{}: no AWS credentials: none in the environment or profile, and the instance/container metadata service did not provide any",
                        self.url
                    ));
                }
                let what = match &e {
                    object_store::Error::NotFound { .. } => "bucket or container not found",
                    object_store::Error::PermissionDenied { .. } => "access denied",
                    object_store::Error::Unauthenticated { .. } => "credentials rejected",
                    _ => {
                        if text.contains("NoSuchBucket") || text.contains("ContainerNotFound") {
                            "bucket or container not found"
                        } else if text.contains("AuthenticationFailed")
                            || text.contains("InvalidAccessKeyId")
                            || text.contains("SignatureDoesNotMatch")
                            || text.contains("403")
                        {
                            "credentials rejected"
                        } else {
                            "cannot list"
                        }
                    }
                };
                Err(format!("{}: {what} ({})", self.url, one_line(&e)))
            }
        }
    }

    /// Lists the prefix page by page (memory does not grow with the bucket),
    /// handing each object to `emit`. A listing that breaks off is an error
    /// entry: the report is then incomplete.
    pub fn list(self: &Arc<Self>, walk: &WalkOptions, emit: &mut dyn FnMut(Event)) {
        let prefix = self.prefix();
        let mut stream = self.store.list(prefix.as_ref());
        loop {
            let next = self.runtime.block_on(stream.next());
            let meta = match next {
                None => break,
                Some(Ok(meta)) => meta,
                Some(Err(e)) => {
                    emit(Event::Unread(Unread::Failed {
                        location: self.url.to_string(),
                        message: format!("listing broke off: {}", one_line(&e)),
                    }));
                    return;
                }
            };
            let key = meta.location.to_string();
            if !walk.in_shard(&key) {
                continue;
            }
            let location = self.url.object_url(&key);
            if walk.is_excluded(&key) {
                emit(Event::Unread(Unread::Skipped {
                    reason: SkipReason::Excluded,
                    location,
                }));
                continue;
            }
            // Listings quote ETags on some stores and not on others.
            let tag = meta
                .e_tag
                .as_deref()
                .map(|t| t.trim_start_matches("W/").trim_matches('"').to_string())
                .unwrap_or_else(|| meta.last_modified.to_rfc3339());
            emit(Event::Object(Candidate {
                location,
                rel: key,
                size: meta.size,
                version: Some(format!("{}:{tag}", meta.size)),
                origin: Origin::Remote(Arc::clone(self), meta.location),
            }));
        }
    }

    /// Opens one object for ranged reads.
    pub fn open(self: &Arc<Self>, key: &KeyPath, size: u64) -> RemoteObject {
        RemoteObject {
            bucket: Arc::clone(self),
            key: key.clone(),
            size,
            headers: None,
        }
    }
}

fn s3_builder(url: &BucketUrl, opts: &RemoteOptions) -> Result<AmazonS3Builder, String> {
    let mut b = AmazonS3Builder::from_env().with_bucket_name(&url.bucket);
    let endpoint = opts
        .endpoint
        .clone()
        .or_else(|| env("AWS_ENDPOINT_URL_S3"))
        .or_else(|| env("AWS_ENDPOINT_URL"));
    if let Some(endpoint) = &endpoint {
        if !endpoint.starts_with("http://") && !endpoint.starts_with("https://") {
            return Err(format!(
                "--endpoint {endpoint}: expected an http:// or https:// URL"
            ));
        }
        b = b
            .with_endpoint(endpoint)
            .with_allow_http(endpoint.starts_with("http://"))
            .with_virtual_hosted_style_request(false);
    }
    if env("AWS_REGION").is_none() && env("AWS_DEFAULT_REGION").is_none() {
        let region = super::aws_profile::region().unwrap_or_else(|| "us-east-1".into());
        b = b.with_region(region);
    }
    if env("AWS_ACCESS_KEY_ID").is_none() {
        match super::aws_profile::credentials() {
            Ok(Some(c)) => {
                b = b
                    .with_access_key_id(c.key_id)
                    .with_secret_access_key(c.secret);
                if let Some(token) = c.token {
                    b = b.with_token(token);
                }
            }
            Ok(None) => {
                let other_source = env("AWS_WEB_IDENTITY_TOKEN_FILE").is_some()
                    || env("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI").is_some()
                    || env("AWS_CONTAINER_CREDENTIALS_FULL_URI").is_some();
                let imds_off = env("AWS_EC2_METADATA_DISABLED")
                    .is_some_and(|v| v.eq_ignore_ascii_case("true"));
                if !other_source && imds_off {
                    return Err(format!(
                        "{url}: no AWS credentials (set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE, or a web-identity/container role)"
                    ));
                }
            }
            Err(e) => return Err(format!("{url}: {e}")),
        }
    }
    Ok(b)
}

fn gcs_builder(url: &BucketUrl) -> Result<GoogleCloudStorageBuilder, String> {
    let mut b = GoogleCloudStorageBuilder::from_env().with_bucket_name(&url.bucket);
    if let Some(path) = env("GOOGLE_APPLICATION_CREDENTIALS") {
        b = b.with_application_credentials(path);
    }
    // The convention of Google's own client libraries for emulators.
    if let Some(host) = env("STORAGE_EMULATOR_HOST") {
        let base = if host.contains("://") {
            host
        } else {
            format!("http://{host}")
        };
        let account = serde_json::json!({
            "gcs_base_url": base.trim_end_matches('/'),
            "disable_oauth": true,
            "client_email": "",
            "private_key": "",
            "private_key_id": "",
        });
        b = b
            .with_service_account_key(account.to_string())
            .with_client_options(ClientOptions::new().with_allow_http(true));
    }
    Ok(b)
}

fn azure_builder(url: &BucketUrl) -> Result<MicrosoftAzureBuilder, String> {
    let mut b = MicrosoftAzureBuilder::from_env().with_container_name(&url.bucket);
    if let Some(conn) = env("AZURE_STORAGE_CONNECTION_STRING") {
        for part in conn.split(';').filter(|p| !p.trim().is_empty()) {
            let Some((k, v)) = part.split_once('=') else {
                return Err(format!(
                    "{url}: AZURE_STORAGE_CONNECTION_STRING: expected Key=Value pairs"
                ));
            };
            b = match k.trim() {
                "AccountName" => b.with_account(v),
                "AccountKey" => b.with_access_key(v),
                "BlobEndpoint" => b
                    .with_endpoint(v.trim_end_matches('/').to_string())
                    .with_allow_http(v.starts_with("http://")),
                "SharedAccessSignature" => {
                    let pairs: Vec<(String, String)> = v
                        .split('&')
                        .filter_map(|kv| kv.split_once('='))
                        .map(|(k, v)| (k.to_string(), v.to_string()))
                        .collect();
                    b.with_sas_authorization(pairs)
                }
                "UseDevelopmentStorage" if v.eq_ignore_ascii_case("true") => {
                    b.with_use_emulator(true)
                }
                _ => b,
            };
        }
    }
    Ok(b)
}

/// One object being read with ranged GETs.
pub struct RemoteObject {
    bucket: Arc<Bucket>,
    key: KeyPath,
    size: u64,
    headers: Option<HeaderMap>,
}

/// Marks a read refused because the object sits in an archival tier.
#[derive(Debug)]
pub struct Archived;

impl fmt::Display for Archived {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("archival storage class: a restore is needed before reading")
    }
}

impl std::error::Error for Archived {}

impl RemoteObject {
    /// Storage-level facts from the first response's headers.
    pub fn facts(&self) -> StorageFacts {
        self.headers
            .as_ref()
            .map(StorageFacts::from_headers)
            .unwrap_or_default()
    }
}

impl ObjectReader for RemoteObject {
    fn read_at(&mut self, offset: u64, buf: &mut [u8]) -> io::Result<usize> {
        let end = (offset + buf.len() as u64).min(self.size);
        if offset >= end {
            return Ok(0);
        }
        let bucket = &self.bucket;
        if bucket.down.load(Ordering::Relaxed) {
            return Err(io::Error::other(
                "not read: the endpoint stopped answering earlier in this scan",
            ));
        }
        let options = GetOptions {
            range: Some(GetRange::Bounded(offset..end)),
            ..Default::default()
        };
        let result = bucket.runtime.block_on(async {
            let got = bucket.store.get_opts(&self.key, options).await?;
            let headers = got.extensions.get::<Captured>().map(|c| c.0.clone());
            let bytes = got.bytes().await?;
            Ok::<_, object_store::Error>((headers, bytes))
        });
        match result {
            Ok((headers, bytes)) => {
                bucket.failing.store(0, Ordering::Relaxed);
                if self.headers.is_none() {
                    self.headers = headers;
                }
                let n = bytes.len().min(buf.len());
                buf[..n].copy_from_slice(&bytes[..n]);
                Ok(n)
            }
            Err(e) => {
                let text = e.to_string();
                if text.contains("InvalidObjectState") || text.contains("BlobArchived") {
                    return Err(io::Error::other(Archived));
                }
                if matches!(e, object_store::Error::NotFound { .. }) {
                    return Err(io::Error::new(
                        io::ErrorKind::NotFound,
                        "vanished during the scan (not found)",
                    ));
                }
                let answered = matches!(
                    e,
                    object_store::Error::PermissionDenied { .. }
                        | object_store::Error::Unauthenticated { .. }
                        | object_store::Error::Precondition { .. }
                        | object_store::Error::NotModified { .. }
                );
                if !answered && bucket.failing.fetch_add(1, Ordering::Relaxed) + 1 >= GIVE_UP_AFTER
                {
                    bucket.down.store(true, Ordering::Relaxed);
                }
                Err(io::Error::other(one_line(&e)))
            }
        }
    }
}

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
    fn from_headers(h: &HeaderMap) -> StorageFacts {
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

    #[test]
    fn error_lines_drop_query_strings() {
        let e = io::Error::other("GET http://h/c/b?sv=1&sig=SECRET failed\n  retry");
        let line = one_line(&e);
        assert!(!line.contains("SECRET") && !line.contains('\n'), "{line}");
    }

    #[test]
    fn pace_spaces_requests() {
        let wire = Wire::new(Some(100.0));
        let waits: Vec<Duration> = (0..3).map(|_| wire.reserve()).collect();
        assert!(waits[2] >= Duration::from_millis(15), "{waits:?}");
    }
}
