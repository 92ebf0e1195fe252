//! Object-store buckets (S3 and S3-compatible, Google Cloud Storage, Azure
//! Blob) through `object_store`. Async I/O stays in here: the rest of the
//! pipeline sees the same [`Candidate`]s and [`ObjectReader`]s as for local
//! files. Every read is a ranged GET at an absolute offset computed from the
//! listed size (Azure rejects suffix ranges; `get_ranges` would coalesce
//! nearby ranges into one large GET), so no object is ever downloaded whole.

mod aws_chain;
mod credentials;
mod errors;
pub mod exposure;
mod facts;
mod listing;
mod meter;
mod statement;
mod url;

use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use http::HeaderMap;
use object_store::azure::{MicrosoftAzure, MicrosoftAzureBuilder};
use object_store::path::Path as KeyPath;
use object_store::{
    BackoffConfig, CredentialProvider, GetOptions, GetRange, ObjectMeta, ObjectStore,
    ObjectStoreExt, RetryConfig,
};

use super::{Candidate, Event, ObjectReader, Origin, ReadError, SkipReason, Unread};
use crate::source::fs::WalkOptions;
use credentials::{azure_builder, gcs_builder, s3_builder, AzureSource, GoogleSource};
use meter::{Captured, Connector};

pub use errors::{one_line, tidy};
pub use exposure::{Endpoint, Exposure, Probe};
pub use facts::StorageFacts;
pub use meter::Wire;
pub use url::{BucketUrl, Provider};

/// How atrest talks to object stores.
#[derive(Clone, Debug)]
pub struct RemoteOptions {
    /// `--endpoint`: an S3-compatible endpoint (MinIO, Ceph, R2, a test server).
    pub endpoint: Option<String>,
    /// Retries of one request on 429/5xx/timeouts (with jittered backoff).
    pub max_retries: usize,
    /// Give up on one request after this long, retries included.
    pub retry_timeout: Duration,
    /// Send the anonymous exposure probe (two unsigned requests per bucket).
    pub exposure: bool,
}

impl Default for RemoteOptions {
    fn default() -> Self {
        RemoteOptions {
            endpoint: None,
            max_retries: 4,
            retry_timeout: Duration::from_secs(30),
            exposure: true,
        }
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
    yields: Yields,
    wire: Arc<Wire>,
    probe: Probe,
}

impl fmt::Debug for Bucket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Bucket({})", self.url)
    }
}

/// What a bucket URL turned out to name.
#[derive(Clone, Debug)]
pub enum Yields {
    /// Objects under the prefix (the first one's key).
    Objects(String),
    /// Exactly one object: the URL is an object's URL.
    One(ObjectMeta),
    /// Nothing at all (a mistyped prefix, or an empty bucket).
    Nothing,
}

/// After this many objects in a row fail to get an answer, stop asking.
const GIVE_UP_AFTER: usize = 3;

/// How long a metadata service (GCE, Azure managed identity) may take to
/// hand out a token when nothing else is configured: on a cloud machine it
/// answers in milliseconds, elsewhere nobody answers at all.
const METADATA_WAIT: Duration = Duration::from_secs(3);

/// How long a configured sign-in (a token exchange, a CLI) may take.
const SIGN_IN_WAIT: Duration = Duration::from_secs(30);

/// Asks a provider for credentials once, within `wait`; `None` in the error
/// when nobody answered in time.
async fn probe<T>(
    credentials: &dyn CredentialProvider<Credential = T>,
    wait: Duration,
) -> Result<(), Option<object_store::Error>> {
    match tokio::time::timeout(wait, credentials.get_credential()).await {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(e)) => Err(Some(e)),
        Err(_) => Err(None),
    }
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
        let connector = || Connector {
            wire: Arc::clone(wire),
        };
        let target = url.to_string();
        let built = |e: object_store::Error| errors::fit(&target, &one_line(&e));
        // Credentials are asked for once before the listing, so that a
        // sign-in failure reads as one, not as a failed request.
        let mut s3_base = None;
        // What the provider's own statement on public access is asked with.
        let mut asker = None;
        let store: Arc<dyn ObjectStore> = match url.provider {
            Provider::S3 => {
                let setup = s3_builder(&url, opts, runtime)?;
                s3_base = Some(setup.base.clone());
                let region = setup.region.clone();
                let s3 = setup
                    .builder
                    .with_retry(retry)
                    .with_http_connector(connector())
                    .build()
                    .map_err(built)?;
                if let Some(credentials) = &setup.credentials {
                    runtime
                        .block_on(credentials.fetch())
                        .map_err(|e| errors::aws_sign_in(&target, setup.via.as_deref(), &e))?;
                    asker = Some(statement::Asker::S3 {
                        credentials: Arc::clone(s3.credentials()),
                        region,
                        base: setup.base.clone(),
                        bucket: url.bucket.clone(),
                    });
                }
                Arc::new(s3)
            }
            Provider::Gcs => {
                let (builder, source) = gcs_builder(&url)?;
                let gcs = builder
                    .with_retry(retry)
                    .with_http_connector(connector())
                    .build()
                    .map_err(|e| errors::google_setup(&target, &source, &e))?;
                if source != GoogleSource::Emulator {
                    let wait = match source {
                        GoogleSource::MetadataServer => METADATA_WAIT,
                        _ => SIGN_IN_WAIT,
                    };
                    runtime
                        .block_on(probe(gcs.credentials().as_ref(), wait))
                        .map_err(|e| errors::google_sign_in(&target, &source, e.as_ref()))?;
                }
                if let Some(endpoint) = Endpoint::of(Provider::Gcs, &url.bucket, None) {
                    asker = Some(statement::Asker::Gcs {
                        credentials: Arc::clone(gcs.credentials()),
                        base: endpoint.base,
                        bucket: url.bucket.clone(),
                    });
                }
                Arc::new(gcs)
            }
            Provider::Azure => {
                let (builder, source) = azure_builder(&url)?;
                let build = |b: MicrosoftAzureBuilder| {
                    b.with_retry(retry.clone())
                        .with_http_connector(connector())
                        .build()
                        .map_err(built)
                };
                let azure = build(builder.clone())?;
                let check = |azure: &MicrosoftAzure, wait| {
                    runtime.block_on(probe(azure.credentials().as_ref(), wait))
                };
                let azure = match source {
                    AzureSource::Emulator | AzureSource::Given => azure,
                    AzureSource::Exchange | AzureSource::Asked => {
                        check(&azure, SIGN_IN_WAIT)
                            .map_err(|e| errors::azure_sign_in(&target, source, e.as_ref()))?;
                        azure
                    }
                    // DefaultAzureCredential's order: managed identity, then
                    // whoever `az login` signed in.
                    AzureSource::Implicit => match check(&azure, METADATA_WAIT) {
                        Ok(()) => azure,
                        Err(_) if credentials::has_azure_cli() => {
                            let cli = build(builder.with_use_azure_cli(true))?;
                            check(&cli, SIGN_IN_WAIT).map_err(|e| {
                                errors::azure_sign_in(&target, AzureSource::Asked, e.as_ref())
                            })?;
                            cli
                        }
                        Err(e) => return Err(errors::azure_sign_in(&target, source, e.as_ref())),
                    },
                };
                if let Some((account, key, base)) = exposure::azure_account() {
                    asker = Some(statement::Asker::Azure {
                        credentials: Arc::clone(azure.credentials()),
                        key,
                        account,
                        base,
                        container: url.bucket.clone(),
                    });
                }
                Arc::new(azure)
            }
        };
        let mut bucket = Bucket {
            url,
            store,
            runtime: Arc::clone(runtime),
            failing: AtomicUsize::new(0),
            down: AtomicBool::new(false),
            yields: Yields::Nothing,
            wire: Arc::clone(wire),
            probe: Probe::default(),
        };
        bucket.yields = bucket.preflight()?;
        if opts.exposure {
            let key = match &bucket.yields {
                Yields::Objects(key) => Some(key.clone()),
                Yields::One(meta) => Some(meta.location.to_string()),
                Yields::Nothing => None,
            };
            if let Some(endpoint) =
                Endpoint::of(bucket.url.provider, &bucket.url.bucket, s3_base.as_deref())
            {
                bucket.probe = runtime.block_on(exposure::probe(&endpoint, key.as_deref(), wire));
            }
            if let Some(asker) = &asker {
                bucket.probe.statement = runtime.block_on(statement::ask(asker, wire));
            }
        }
        Ok(bucket)
    }

    /// Who can read this bucket anonymously (`unknown` when not probed).
    pub fn exposure(&self) -> &Probe {
        &self.probe
    }

    /// What the pre-flight listing found under the URL.
    pub fn yields(&self) -> &Yields {
        &self.yields
    }

    fn prefix(&self) -> Option<KeyPath> {
        (!self.url.prefix.is_empty()).then(|| KeyPath::from(self.url.prefix.as_str()))
    }

    /// One listing request: a missing bucket or rejected credentials end the
    /// run here, before anything is scanned. A prefix with nothing below it
    /// may name one object (`s3://b/calls/1.wav`): one HEAD request tells.
    fn preflight(&self) -> Result<Yields, String> {
        let prefix = self.prefix();
        let first = self
            .runtime
            .block_on(async { self.store.list(prefix.as_ref()).next().await });
        match first {
            Some(Ok(meta)) => Ok(Yields::Objects(meta.location.to_string())),
            None => match &prefix {
                None => Ok(Yields::Nothing),
                Some(key) => match self.runtime.block_on(self.store.head(key)) {
                    Ok(meta) => Ok(Yields::One(meta)),
                    Err(_) => Ok(Yields::Nothing),
                },
            },
            Some(Err(e)) => Err(errors::listing_failed(&self.url, &e)),
        }
    }

    /// Lists the prefix page by page (memory does not grow with the bucket),
    /// handing each object to `emit` until it says stop. A listing that
    /// breaks off is an error entry: the report is then incomplete.
    pub fn list(
        self: &Arc<Self>,
        index: usize,
        walk: &WalkOptions,
        emit: &mut dyn FnMut(Event) -> bool,
    ) {
        if let Yields::One(meta) = &self.yields {
            self.offer(index, meta.clone(), walk, emit);
            return;
        }
        let prefix = self.prefix();
        // Keys the pre-flight page set aside come again with the first page.
        self.wire.take_unlisted();
        let mut stream = self.store.list(prefix.as_ref());
        loop {
            let next = self.runtime.block_on(stream.next());
            for key in self.wire.take_unlisted() {
                if walk.in_shard(&key)
                    && !emit(Event::Unread(
                        index,
                        Unread::Failed {
                            location: self.url.object_url(&key),
                            message: "the object-store client cannot read this key (an empty, '.' or '..' segment, a control character, or a leading or trailing '/')".into(),
                        },
                    ))
                {
                    return;
                }
            }
            let meta = match next {
                None => break,
                Some(Ok(meta)) => meta,
                Some(Err(e)) => {
                    emit(Event::Unread(
                        index,
                        Unread::Failed {
                            location: self.url.to_string(),
                            message: format!("listing broke off: {}", one_line(&e)),
                        },
                    ));
                    return;
                }
            };
            if !self.offer(index, meta, walk, emit) {
                return;
            }
        }
    }

    /// Hands one listed object to `emit`, unless the shard or globs rule it out.
    fn offer(
        self: &Arc<Self>,
        index: usize,
        meta: ObjectMeta,
        walk: &WalkOptions,
        emit: &mut dyn FnMut(Event) -> bool,
    ) -> bool {
        let key = meta.location.to_string();
        if !walk.in_shard(&key) {
            return true;
        }
        let location = self.url.object_url(&key);
        if walk.is_excluded(&key) {
            return emit(Event::Unread(
                index,
                Unread::Skipped {
                    reason: SkipReason::Excluded,
                    location,
                },
            ));
        }
        // Listings quote ETags on some stores and not on others.
        let tag = meta
            .e_tag
            .as_deref()
            .map(|t| t.trim_start_matches("W/").trim_matches('"').to_string())
            .unwrap_or_else(|| meta.last_modified.to_rfc3339());
        emit(Event::Object(Candidate {
            target: index,
            location,
            rel: key,
            size: meta.size,
            version: Some(format!("{}:{tag}", meta.size)),
            origin: Origin::Remote(Arc::clone(self), meta.location),
        }))
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

/// One object being read with ranged GETs.
pub struct RemoteObject {
    bucket: Arc<Bucket>,
    key: KeyPath,
    size: u64,
    headers: Option<HeaderMap>,
}

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
    fn read_at(&mut self, offset: u64, buf: &mut [u8]) -> Result<usize, ReadError> {
        let end = (offset + buf.len() as u64).min(self.size);
        if offset >= end {
            return Ok(0);
        }
        let bucket = &self.bucket;
        if bucket.down.load(Ordering::Relaxed) {
            return Err(ReadError::EndpointDown);
        }
        let options = GetOptions {
            range: Some(GetRange::Bounded(offset..end)),
            ..Default::default()
        };
        // The request's wait does not hold a CPU permit (see `gate`).
        let result = crate::gate::waiting(|| {
            bucket.runtime.block_on(async {
                let got = bucket.store.get_opts(&self.key, options).await?;
                let headers = got.extensions.get::<Captured>().map(|c| c.0.clone());
                let bytes = got.bytes().await?;
                Ok::<_, object_store::Error>((headers, bytes))
            })
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
                // object_store keeps the provider's error code only in its text.
                let text = e.to_string();
                if text.contains("InvalidObjectState") || text.contains("BlobArchived") {
                    return Err(ReadError::Archived);
                }
                if matches!(e, object_store::Error::NotFound { .. }) {
                    return Err(ReadError::NotFound);
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
                Err(ReadError::Remote(one_line(&e)))
            }
        }
    }
}
