//! Object-store buckets (S3 and S3-compatible, Google Cloud Storage, Azure
//! Blob) through `object_store`. Async I/O stays in here: the rest of the
//! pipeline sees the same [`Candidate`]s and [`ObjectReader`]s as for local
//! files. Every read is a ranged GET at an absolute offset computed from the
//! listed size (Azure rejects suffix ranges; `get_ranges` would coalesce
//! nearby ranges into one large GET), so no object is ever downloaded whole.
//!
//! The object list comes from LIST (page by page; a large bucket in
//! parallel by key range, see [`fanout`]) or from the bucket's inventory
//! report (`--inventory-from`, see [`inventory`]).

mod aws_chain;
mod credentials;
mod errors;
pub mod exposure;
mod facts;
mod fanout;
mod health;
pub mod inventory;
mod listing;
mod meter;
mod statement;
mod url;

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures::StreamExt;
use http::HeaderMap;
use object_store::azure::{MicrosoftAzure, MicrosoftAzureBuilder};
use object_store::list::PaginatedListStore;
use object_store::path::Path as KeyPath;
use object_store::{
    BackoffConfig, CredentialProvider, GetOptions, GetRange, ObjectMeta, ObjectStore,
    ObjectStoreExt, RetryConfig,
};

use super::{Candidate, Event, ObjectReader, Origin, ReadError, SkipReason, Unread};
use crate::source::fs::WalkOptions;
use credentials::{azure_builder, gcs_builder, s3_builder, AzureSource, GoogleSource};
use health::{Admit, Health};
use meter::{Captured, Connector};

pub use errors::{one_line, tidy};
pub use exposure::{Endpoint, Exposure, Probe};
pub use facts::StorageFacts;
pub use health::{Listed, PutOff};
pub use inventory::Inventory;
pub use meter::Wire;
pub use url::{BucketUrl, Provider};

/// How a bucket without an inventory is listed (`--listing`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Listing {
    /// Page by page; in parallel by key range once the bucket proves large.
    #[default]
    Auto,
    /// Page by page, one request at a time.
    Sequential,
    /// In parallel by key range as soon as a second page exists.
    Parallel,
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
    /// Send the anonymous exposure probe (two unsigned requests per bucket).
    pub exposure: bool,
    /// `--listing`.
    pub listing: Listing,
    /// `--concurrency`: parallel listing requests at most this many at once.
    pub concurrency: usize,
    /// Shards must keep their objects from run to run (`--state`): an
    /// inventory is then split by key hash, never by file.
    pub stable_shards: bool,
    /// `--versions all`: noncurrent versions an inventory lists are read.
    pub all_versions: bool,
}

impl Default for RemoteOptions {
    fn default() -> Self {
        RemoteOptions {
            endpoint: None,
            max_retries: 4,
            retry_timeout: Duration::from_secs(30),
            exposure: true,
            listing: Listing::Auto,
            concurrency: 32,
            stable_shards: false,
            all_versions: false,
        }
    }
}

/// A connected client: reads, and listing page by page.
struct Client {
    store: Arc<dyn ObjectStore>,
    lister: Arc<dyn PaginatedListStore>,
    /// The S3 endpoint's base URL (for the anonymous probe).
    s3_base: Option<String>,
    /// Asks the provider's own statement on public access, where the
    /// credentials allow it.
    asker: Option<statement::Asker>,
}

/// Inventory facts of objects handed to the scan and not yet opened, by
/// key. Objects are opened in about the order they are listed, so the
/// oldest entries beyond the queue's length are ones never opened (taken
/// from `--state`, or the run stopped): they are dropped.
#[derive(Debug, Default)]
struct Pending {
    facts: HashMap<String, inventory::InventoryFacts>,
    order: VecDeque<String>,
}

const PENDING_FACTS: usize = 1 << 16;

impl Pending {
    fn put(&mut self, key: String, facts: inventory::InventoryFacts) {
        if self.order.len() >= PENDING_FACTS {
            if let Some(old) = self.order.pop_front() {
                self.facts.remove(&old);
            }
        }
        self.order.push_back(key.clone());
        self.facts.insert(key, facts);
    }

    fn take(&mut self, key: &str) -> Option<inventory::InventoryFacts> {
        // The key stays in `order` until it ages out; removing it there
        // would cost a scan of the queue.
        self.facts.remove(key)
    }
}

/// Where an object's inventory facts wait: its key, and for an older
/// version its id after a byte no key holds (each version's row has its
/// own facts).
fn pending_key<'k>(key: &'k str, version: Option<&str>) -> std::borrow::Cow<'k, str> {
    match version {
        Some(id) => format!("{key}\0{id}").into(),
        None => key.into(),
    }
}

/// Keys object_store cannot read back exactly: reported, never read.
const UNREPRESENTABLE: &str = "the object-store client cannot read this key (an empty, '.' or '..' segment, a control character, or a leading or trailing '/')";

/// One connected bucket (or container), ready to list and read.
pub struct Bucket {
    pub url: BucketUrl,
    store: Arc<dyn ObjectStore>,
    lister: Arc<dyn PaginatedListStore>,
    runtime: Arc<tokio::runtime::Runtime>,
    listing: Listing,
    concurrency: usize,
    stable_shards: bool,
    /// `--versions all`.
    all_versions: bool,
    /// The object list to use instead of LIST.
    inventory: Option<Arc<Inventory>>,
    pending: Mutex<Pending>,
    /// Whether the endpoint answers, and the objects put off while not.
    health: Health,
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

/// Builds the client from the provider's usual environment and asks for
/// credentials once, so that a sign-in failure reads as one, not as a
/// failed request.
fn client(
    url: &BucketUrl,
    opts: &RemoteOptions,
    wire: &Arc<Wire>,
    runtime: &Arc<tokio::runtime::Runtime>,
) -> Result<Client, String> {
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
    Ok(match url.provider {
        Provider::S3 => {
            let setup = s3_builder(url, opts, runtime)?;
            let s3 = setup
                .builder
                .with_retry(retry)
                .with_http_connector(connector())
                .build()
                .map_err(built)?;
            // What the provider's own statement on public access is asked with.
            let mut asker = None;
            if let Some(credentials) = &setup.credentials {
                runtime
                    .block_on(credentials.fetch())
                    .map_err(|e| errors::aws_sign_in(&target, setup.via.as_deref(), &e))?;
                asker = Some(statement::Asker::S3 {
                    credentials: Arc::clone(s3.credentials()),
                    region: setup.region.clone(),
                    base: setup.base.clone(),
                    bucket: url.bucket.clone(),
                });
            }
            let s3 = Arc::new(s3);
            Client {
                store: s3.clone(),
                lister: s3,
                s3_base: Some(setup.base.clone()),
                asker,
            }
        }
        Provider::Gcs => {
            let (builder, source) = gcs_builder(url)?;
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
            let asker = Endpoint::of(Provider::Gcs, &url.bucket, None).map(|endpoint| {
                statement::Asker::Gcs {
                    credentials: Arc::clone(gcs.credentials()),
                    base: endpoint.base,
                    bucket: url.bucket.clone(),
                }
            });
            let gcs = Arc::new(gcs);
            Client {
                store: gcs.clone(),
                lister: gcs,
                s3_base: None,
                asker,
            }
        }
        Provider::Azure => {
            let (builder, source) = azure_builder(url)?;
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
            let asker =
                exposure::azure_account().map(|(account, key, base)| statement::Asker::Azure {
                    credentials: Arc::clone(azure.credentials()),
                    key,
                    account,
                    base,
                    container: url.bucket.clone(),
                });
            let azure = Arc::new(azure);
            Client {
                store: azure.clone(),
                lister: azure,
                s3_base: None,
                asker,
            }
        }
    })
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
        let Client {
            store,
            lister,
            s3_base,
            asker,
        } = client(&url, opts, wire, runtime)?;
        let mut bucket = Bucket {
            url,
            store,
            lister,
            runtime: Arc::clone(runtime),
            listing: opts.listing,
            concurrency: opts.concurrency.max(1),
            stable_shards: opts.stable_shards,
            all_versions: opts.all_versions,
            inventory: None,
            pending: Mutex::default(),
            health: Health::default(),
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

    /// Reads the inventory report `url` names, with the credentials its
    /// provider's environment gives (the report usually lives in a bucket
    /// of its own). `targets` are the run's buckets.
    pub fn open_inventory(
        url: &BucketUrl,
        targets: &[&BucketUrl],
        opts: &RemoteOptions,
        wire: &Arc<Wire>,
        runtime: &Arc<tokio::runtime::Runtime>,
    ) -> Result<Inventory, String> {
        let client = client(url, opts, wire, runtime)?;
        let opened = Inventory::open(url, targets, client.store, runtime);
        // Listing the report's folder is not listing a target.
        wire.take_unlisted();
        opened
    }

    /// Lists this bucket from `inventory` instead of LIST.
    pub fn use_inventory(&mut self, inventory: Arc<Inventory>) {
        self.inventory = Some(inventory);
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
        // A prefix the client would rewrite (a control character, an empty
        // segment) lists something else, or nothing: the object it names
        // would go unread without a word.
        let written = self.url.prefix.trim_end_matches('/');
        if !written.is_empty() && !listing::is_representable(written) {
            return Err(format!("{}: {UNREPRESENTABLE}", self.url));
        }
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

    /// Hands every object under the URL to `emit`, until it says stop: from
    /// the inventory when there is one, else from LIST. Memory does not
    /// grow with the bucket. A listing that breaks off is an error entry:
    /// the report is then incomplete.
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
        match &self.inventory {
            Some(inventory) => self.list_inventory(inventory, index, walk, emit),
            None => fanout::list(self, index, walk, emit),
        }
    }

    /// A key the client cannot read, as an error entry.
    fn unrepresentable(
        &self,
        index: usize,
        key: &str,
        emit: &mut dyn FnMut(Event) -> bool,
    ) -> bool {
        emit(Event::Unread(
            index,
            Unread::Failed {
                location: self.url.object_url(key),
                message: UNREPRESENTABLE.into(),
            },
        ))
    }

    /// The inventory's rows of this bucket under the URL's prefix, file by
    /// file (this shard's files only, when the files are shared out).
    fn list_inventory(
        self: &Arc<Self>,
        inventory: &Inventory,
        index: usize,
        walk: &WalkOptions,
        emit: &mut dyn FnMut(Event) -> bool,
    ) {
        let folder = (!self.url.prefix.is_empty()).then(|| format!("{}/", self.url.prefix));
        let (files, by_key) = inventory.files_for(walk.shard, self.stable_shards);
        // Rows under the URL, before shards and globs: none at all, where
        // the pre-flight listing found objects, is a report that does not
        // describe this bucket (empty, stale, another bucket's).
        let (mut under, mut failed) = (0u64, false);
        for i in files {
            let file = &inventory.files()[i];
            let broke = |message: String| {
                Event::Unread(
                    index,
                    Unread::Failed {
                        location: inventory.file_url(file),
                        message,
                    },
                )
            };
            let rows = match inventory.rows(file) {
                Ok(rows) => rows,
                Err(e) => {
                    failed = true;
                    if !emit(broke(format!("cannot read the inventory file: {e}"))) {
                        return;
                    }
                    continue;
                }
            };
            for row in rows {
                let entry = match row.and_then(|r| inventory.entry(&r, &self.url.bucket)) {
                    Ok(Some(entry)) => entry,
                    Ok(None) => continue,
                    Err(e) => {
                        failed = true;
                        if !emit(broke(format!("inventory broke off: {e}"))) {
                            return;
                        }
                        break;
                    }
                };
                let key = match &entry {
                    inventory::Entry::Object { key, .. }
                    | inventory::Entry::Archived { key }
                    | inventory::Entry::Noncurrent { key, .. } => key,
                };
                if folder.as_deref().is_some_and(|f| !key.starts_with(f)) {
                    continue;
                }
                under += 1;
                if by_key && !walk.in_shard(key) {
                    continue;
                }
                let go_on = match entry {
                    // Before the key is asked whether it can be read: a
                    // version that is not read is counted whatever its key.
                    inventory::Entry::Noncurrent {
                        key,
                        which,
                        readable,
                        archived,
                    } => {
                        // Named apart from the current object of that key.
                        let location = format!("{}?{which}", self.url.object_url(&key));
                        let skipped = |reason| {
                            Event::Unread(
                                index,
                                Unread::Skipped {
                                    reason,
                                    location: location.clone(),
                                },
                            )
                        };
                        match readable.filter(|_| self.all_versions) {
                            _ if walk.is_excluded(&key) => emit(skipped(SkipReason::Excluded)),
                            None => emit(skipped(SkipReason::Noncurrent)),
                            Some(_) if archived => emit(skipped(SkipReason::StorageClass)),
                            Some(_) if !listing::is_representable(&key) => emit(Event::Unread(
                                index,
                                Unread::Failed {
                                    location,
                                    message: UNREPRESENTABLE.into(),
                                },
                            )),
                            Some(older) => self.older_version(index, &key, location, older, emit),
                        }
                    }
                    _ if !listing::is_representable(key) => {
                        let key = key.clone();
                        self.unrepresentable(index, &key, emit)
                    }
                    inventory::Entry::Archived { key } => {
                        if walk.is_excluded(&key) {
                            self.skip(index, &key, SkipReason::Excluded, emit)
                        } else {
                            self.skip(index, &key, SkipReason::StorageClass, emit)
                        }
                    }
                    inventory::Entry::Object {
                        key,
                        size,
                        version,
                        facts,
                    } => {
                        if walk.is_excluded(&key) {
                            self.skip(index, &key, SkipReason::Excluded, emit)
                        } else {
                            if let Some(facts) = facts {
                                self.pending
                                    .lock()
                                    .unwrap_or_else(|e| e.into_inner())
                                    .put(key.clone(), facts);
                            }
                            self.candidate(index, key, size, version, emit)
                        }
                    }
                };
                if !go_on {
                    return;
                }
            }
        }
        if let (Yields::Objects(first), 0, false, None) = (&self.yields, under, failed, walk.shard)
        {
            emit(Event::Unread(
                index,
                Unread::Failed {
                    location: self.url.to_string(),
                    message: format!(
                        "the inventory {} lists no object here, yet the bucket holds some \
                         ({} for one): the report is empty, stale or another bucket's",
                        inventory.url(),
                        crate::source::fs::escape_bytes(first.as_bytes())
                    ),
                },
            ));
        }
    }

    fn skip(
        &self,
        index: usize,
        key: &str,
        reason: SkipReason,
        emit: &mut dyn FnMut(Event) -> bool,
    ) -> bool {
        emit(Event::Unread(
            index,
            Unread::Skipped {
                reason,
                location: self.url.object_url(key),
            },
        ))
    }

    fn candidate(
        self: &Arc<Self>,
        index: usize,
        key: String,
        size: u64,
        version: String,
        emit: &mut dyn FnMut(Event) -> bool,
    ) -> bool {
        let Ok(path) = KeyPath::parse(&key) else {
            return true;
        };
        let origin = Origin::Remote(Listed::new(self), path, None);
        emit(Event::Object(self.object(
            index,
            self.url.object_url(&key),
            size,
            origin,
            version,
        )))
    }

    /// A noncurrent version to read by its id (`--versions all`).
    fn older_version(
        self: &Arc<Self>,
        index: usize,
        key: &str,
        location: String,
        older: inventory::OlderVersion,
        emit: &mut dyn FnMut(Event) -> bool,
    ) -> bool {
        let Ok(path) = KeyPath::parse(key) else {
            return true;
        };
        if let Some(facts) = older.facts {
            self.pending
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .put(pending_key(key, Some(&older.id)).into_owned(), facts);
        }
        let origin = Origin::Remote(Listed::new(self), path, Some(older.id.into()));
        emit(Event::Object(self.object(
            index,
            location,
            older.size,
            origin,
            older.version,
        )))
    }

    /// An object at `location`, whose part below the bucket is its
    /// findings' `path` (the key as the location writes it, with an older
    /// version's id; rules match [`Candidate::rule_path`]).
    fn object(
        &self,
        index: usize,
        location: String,
        size: u64,
        origin: Origin,
        version: String,
    ) -> Candidate {
        let rel_len = location.len() - self.url.key_at();
        Candidate {
            size,
            version: Some(version),
            ..Candidate::ending(index, location, rel_len, origin)
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
        if walk.is_excluded(&key) {
            return self.skip(index, &key, SkipReason::Excluded, emit);
        }
        // Listings quote ETags on some stores and not on others.
        let version = match meta.e_tag.as_deref() {
            Some(etag) => version_of(meta.size, etag),
            None => format!("{}:{}", meta.size, meta.last_modified.to_rfc3339()),
        };
        let location = self.url.object_url(&key);
        let origin = Origin::Remote(Listed::new(self), meta.location, None);
        emit(Event::Object(
            self.object(index, location, meta.size, origin, version),
        ))
    }

    /// Are objects listed from an inventory report (sizes a day old)?
    pub fn has_inventory(&self) -> bool {
        self.inventory.is_some()
    }

    /// Opens one object (its current version, or `version`) for ranged reads.
    pub fn open(self: &Arc<Self>, key: &KeyPath, version: Option<&str>, size: u64) -> RemoteObject {
        let listed = match self.inventory {
            Some(_) => self
                .pending
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .take(&pending_key(key.as_ref(), version)),
            None => None,
        };
        RemoteObject {
            bucket: Arc::clone(self),
            key: key.clone(),
            version: version.map(str::to_string),
            size,
            headers: None,
            answered: None,
            listed,
        }
    }

    /// Takes an object whose read got no answer, to read once more at the
    /// end of the scan; gives it back when it cannot be put off.
    pub fn put_off(&self, put_off: PutOff) -> Option<PutOff> {
        self.health.put_off_one(put_off)
    }

    /// What is still put off when the scan ends without a final pass.
    pub fn take_put_off(&self) -> Vec<PutOff> {
        self.health.take_put_off()
    }

    /// The final passes, once the listing is done: each waits for every
    /// listed object to settle, then for the endpoint to answer (a ranged
    /// GET of one object put off, every [`health::LAST_PROBES_EVERY`], at
    /// most [`health::LAST_WAIT`]), and hands the objects put off to
    /// `emit` to be read once more (`Again::Read`), or as errors when it
    /// did not answer (`Again::Failed`). What goes unanswered again is put
    /// off again, for the next pass. `emit` gives back what it could not
    /// send (the scan stopped): that object stays put off, for the
    /// collector to report.
    pub fn read_again(
        &self,
        going_on: &dyn Fn() -> bool,
        emit: &mut dyn FnMut(Again) -> Result<(), Box<Again>>,
    ) {
        for round in 0..health::MAX_ROUNDS {
            let Some(probe) = self.health.settle(going_on) else {
                return;
            };
            let last = round + 1 == health::MAX_ROUNDS;
            let answers = !last && self.answers_again(&probe, going_on);
            if !going_on() {
                return;
            }
            let n = self.health.put_off_count();
            match (answers, self.health.tripped(), last) {
                (true, false, _) => {
                    tracing::info!(target = %self.url, objects = n, "unanswered reads asked again")
                }
                (true, true, _) => crate::output::warn(&format!(
                    "{}: {n} objects put off while the endpoint did not answer are read again",
                    self.url
                )),
                (false, _, false) => crate::output::warn(&format!(
                    "{}: the endpoint did not answer again within {} s; {n} objects not read",
                    self.url,
                    health::LAST_WAIT.as_secs()
                )),
                (false, _, true) => crate::output::warn(&format!(
                    "{}: {n} objects still without an answer after {} passes; not read",
                    self.url,
                    health::MAX_ROUNDS - 1
                )),
            }
            let why = if last {
                format!("no answer in {} passes", health::MAX_ROUNDS - 1)
            } else {
                format!("no answer again within {} s", health::LAST_WAIT.as_secs())
            };
            while going_on() {
                let Some(put_off) = self.health.next_put_off() else {
                    break;
                };
                let again = if answers {
                    Again::Read(put_off)
                } else {
                    let PutOff {
                        candidate, message, ..
                    } = put_off;
                    Again::Failed(Event::Unread(
                        candidate.target,
                        Unread::Failed {
                            location: candidate.location,
                            message: format!("{message}; {why}"),
                        },
                    ))
                };
                if let Err(again) = emit(again) {
                    if let Again::Read(put_off) = *again {
                        self.health.give_back(put_off);
                    }
                    return;
                }
            }
            if !answers {
                return;
            }
        }
    }

    /// Waits for the endpoint to answer a ranged GET of `key`, asking every
    /// few seconds for at most [`health::LAST_WAIT`].
    fn answers_again(&self, key: &KeyPath, going_on: &dyn Fn() -> bool) -> bool {
        if !self.health.is_open() {
            return true;
        }
        let until = Instant::now() + health::LAST_WAIT;
        while going_on() && Instant::now() < until {
            let options = GetOptions {
                range: Some(GetRange::Bounded(0..1)),
                ..Default::default()
            };
            let asked = crate::gate::waiting(|| {
                self.runtime
                    .block_on(async { self.store.get_opts(key, options).await?.bytes().await })
            });
            match asked {
                Err(e)
                    if !errors::is_answer(&e)
                        && !matches!(e, object_store::Error::NotFound { .. }) =>
                {
                    let next = Instant::now() + health::LAST_PROBES_EVERY;
                    while going_on() && Instant::now() < next.min(until) {
                        std::thread::sleep(Duration::from_millis(100));
                    }
                }
                _ => {
                    self.health.answered();
                    return true;
                }
            }
        }
        false
    }
}

/// What a final pass hands on: an object put off, to read once more, or
/// its failure, when the endpoint did not answer again.
#[derive(Debug)]
pub enum Again {
    Read(PutOff),
    Failed(Event),
}

/// One object being read with ranged GETs.
pub struct RemoteObject {
    bucket: Arc<Bucket>,
    key: KeyPath,
    /// The version asked for, when not the current one.
    version: Option<String>,
    size: u64,
    headers: Option<HeaderMap>,
    /// The first answer's ETag and object size: which version was read.
    answered: Option<(Option<String>, u64)>,
    /// What the inventory report said of it.
    listed: Option<inventory::InventoryFacts>,
}

/// How a version is written in `--state`: size and ETag (unquoted, weak
/// marker dropped; stores quote them in some answers and not in others).
pub fn version_of(size: u64, etag: &str) -> String {
    format!("{size}:{}", etag.trim_start_matches("W/").trim_matches('"'))
}

impl RemoteObject {
    /// The size the store answered with, when a read was answered: the
    /// object as it is now, which a day-old inventory row (or a listing
    /// the object was replaced after) may not describe.
    pub fn answered_size(&self) -> Option<u64> {
        self.answered.as_ref().map(|(_, size)| *size)
    }

    /// The version the bytes read came from, as `--state` writes versions,
    /// when the store named it.
    pub fn version_read(&self) -> Option<String> {
        match &self.answered {
            Some((Some(etag), size)) => Some(version_of(*size, etag)),
            _ => None,
        }
    }

    /// Asks the store for the object's size and version now (one HEAD
    /// request), for an object listed as empty.
    pub fn stat(&mut self) -> Result<u64, ReadError> {
        let bucket = &self.bucket;
        let options = GetOptions {
            head: true,
            version: self.version.clone(),
            ..Default::default()
        };
        let asked = crate::gate::waiting(|| {
            bucket
                .runtime
                .block_on(async { Ok(bucket.store.get_opts(&self.key, options).await?.meta) })
        });
        match asked {
            Ok(meta) => {
                self.size = meta.size;
                self.answered = Some((meta.e_tag, meta.size));
                Ok(meta.size)
            }
            Err(e) if errors::halted(&e) => Err(ReadError::Stopped),
            Err(object_store::Error::NotFound { .. }) => Err(ReadError::NotFound),
            Err(e) => Err(ReadError::Remote(one_line(&e))),
        }
    }

    /// Gives the inventory's facts back for the next read of this object
    /// (it is put off, to be read again).
    pub fn put_back(self) {
        if let Some(facts) = self.listed {
            self.bucket
                .pending
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .put(self.key.to_string(), facts);
        }
    }

    /// Storage-level facts from the first response's headers, completed by
    /// the inventory's where they are silent and describe the version read.
    pub fn facts(&self) -> StorageFacts {
        let headers = self
            .headers
            .as_ref()
            .map(StorageFacts::from_headers)
            .unwrap_or_default();
        match (&self.listed, &self.answered) {
            (Some(listed), Some((etag, size))) if listed.describes(etag.as_deref(), *size) => {
                listed.merge(headers)
            }
            _ => headers,
        }
    }
}

impl ObjectReader for RemoteObject {
    fn read_at(&mut self, offset: u64, buf: &mut [u8]) -> Result<usize, ReadError> {
        let end = (offset + buf.len() as u64).min(self.size);
        if offset >= end {
            return Ok(0);
        }
        let bucket = &self.bucket;
        let admit = bucket.health.admit();
        if admit == Admit::Refuse {
            return Err(ReadError::EndpointDown);
        }
        // Every range after the first comes from the version the first
        // came from: an object replaced while it is read is an error, not
        // a verdict on bytes of two versions.
        let options = GetOptions {
            range: Some(GetRange::Bounded(offset..end)),
            if_match: self.answered.as_ref().and_then(|(etag, _)| etag.clone()),
            version: self.version.clone(),
            ..Default::default()
        };
        // The request's wait does not hold a CPU permit (see `gate`).
        let result = crate::gate::waiting(|| {
            bucket.runtime.block_on(async {
                let got = bucket.store.get_opts(&self.key, options).await?;
                let headers = got.extensions.get::<Captured>().map(|c| c.0.clone());
                let answered = (got.meta.e_tag.clone(), got.meta.size);
                let bytes = got.bytes().await?;
                Ok::<_, object_store::Error>((headers, answered, bytes))
            })
        });
        let e = match result {
            Ok((headers, answered, bytes)) => {
                bucket.health.answered();
                if self.headers.is_none() {
                    self.headers = headers;
                    self.answered = Some(answered);
                }
                let n = bytes.len().min(buf.len());
                buf[..n].copy_from_slice(&bytes[..n]);
                return Ok(n);
            }
            Err(e) => e,
        };
        // Neither an answer nor its absence: the endpoint's health stands.
        if errors::halted(&e) {
            return Err(ReadError::Stopped);
        }
        let answered = matches!(
            e,
            object_store::Error::NotFound { .. }
                | object_store::Error::PermissionDenied { .. }
                | object_store::Error::Unauthenticated { .. }
                | object_store::Error::Precondition { .. }
                | object_store::Error::NotModified { .. }
        ) || errors::is_answer(&e);
        if !answered {
            if bucket.health.unanswered(admit == Admit::Probe) {
                crate::output::warn(&format!(
                    "{}: the endpoint stopped answering; reads are put off and asked again \
                     once it answers",
                    bucket.url
                ));
            }
            return Err(ReadError::Unanswered(one_line(&e)));
        }
        bucket.health.answered();
        if matches!(e, object_store::Error::Precondition { .. }) {
            return Err(ReadError::Remote(
                "replaced while it was read: a later range belongs to another version".into(),
            ));
        }
        // object_store keeps the provider's error code only in its text.
        let text = e.to_string();
        if text.contains("InvalidObjectState") || text.contains("BlobArchived") {
            return Err(ReadError::Archived);
        }
        if matches!(e, object_store::Error::NotFound { .. }) {
            return Err(ReadError::NotFound);
        }
        Err(ReadError::Remote(one_line(&e)))
    }
}
