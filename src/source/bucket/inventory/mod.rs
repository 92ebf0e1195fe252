//! `--inventory-from URL`: a provider's inventory report as the object list
//! instead of LIST. A bucket of 100 million keys costs 100,000 listing
//! requests and hours before its first GET; its nightly inventory report
//! is a few files read in large ranged GETs.
//!
//! Supported: S3 Inventory (CSV.gz, Parquet; ORC is refused with a
//! message), Azure Blob Inventory (CSV, Parquet) and GCS inventory reports
//! (CSV, Parquet). The URL names a manifest or a folder of runs (see
//! [`locate`]); the report must list the target's bucket.
//!
//! What the rows are used for, beyond the key and size:
//! - delete markers and folders are no objects; older versions and
//!   generations, snapshots and soft-deleted blobs are counted as
//!   `noncurrent`, and with `--versions all` the versions a GET can name
//!   are read;
//! - archival tiers (S3 Glacier Flexible Retrieval and Deep Archive, the
//!   Intelligent-Tiering archive tiers, Azure Archive) are skipped as
//!   `storage-class` without any request;
//! - the ETag (or last-modified time) and size make the `--state` version,
//!   as a listing would;
//! - the encryption status (S3 `EncryptionStatus`, Azure `ServerEncrypted`,
//!   `EncryptionScope`, `CustomerProvidedKeySHA256`) is storage evidence
//!   where the GET response says nothing of its own (see
//!   [`InventoryFacts::merge`]).
//!
//! Memory stays flat: CSV is decompressed and parsed a record at a time
//! from 8 MiB ranged GETs; Parquet is read through the `parquet` crate's row
//! reader over a 24 MiB block cache, with only the needed columns.

mod csv;
mod locate;
pub(crate) mod manifest;
mod parquet;
mod remote;

use std::io::{BufRead, BufReader};
use std::sync::Arc;

use object_store::path::Path as KeyPath;
use object_store::{ObjectStore, ObjectStoreExt};

use super::{BucketUrl, StorageFacts};
use crate::sniff::AtRest;
use crate::source::Shard;
use manifest::{DataFile, Format, Header, Manifest};
use remote::RemoteFile;

pub(crate) use super::Provider as Kind;

/// Manifests and checksums larger than this are refused.
const MAX_MANIFEST: u64 = 64 << 20;

/// The columns atrest reads, whatever each provider calls them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Column {
    Bucket,
    Key,
    Size,
    ETag,
    Modified,
    /// S3 `StorageClass`, Azure `AccessTier`, GCS `storageClass`.
    Class,
    /// S3 `IntelligentTieringAccessTier`.
    Tier,
    /// S3 `EncryptionStatus`.
    Encryption,
    /// S3 `IsLatest`, Azure `IsCurrentVersion`.
    Latest,
    /// S3 `IsDeleteMarker`, Azure `Deleted`.
    DeleteMarker,
    /// GCS `timeDeleted`: a noncurrent generation (replaced or deleted).
    Gone,
    /// Azure `Snapshot`: a snapshot, not the blob itself.
    Snapshot,
    /// S3 and Azure `VersionId`, GCS `generation`: which version a row is.
    Version,
    /// Azure `hdi_isfolder`: a directory of a hierarchical namespace.
    Folder,
    ServerEncrypted,
    Scope,
    CustomerKey,
    KmsKey,
}

const COLUMNS: usize = 18;

/// Which column a header or schema name is, across providers and cases
/// (`LastModifiedDate`, `last_modified_date`, `Last-Modified`, `updated`).
pub(crate) fn field_of(name: &str) -> Option<Column> {
    let n: String = name
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect();
    Some(match n.as_str() {
        "bucket" => Column::Bucket,
        "key" | "name" => Column::Key,
        "size" | "contentlength" => Column::Size,
        "etag" => Column::ETag,
        "lastmodifieddate" | "lastmodified" | "updated" => Column::Modified,
        "storageclass" | "accesstier" => Column::Class,
        "intelligenttieringaccesstier" => Column::Tier,
        "encryptionstatus" => Column::Encryption,
        "islatest" | "iscurrentversion" => Column::Latest,
        "isdeletemarker" | "deleted" => Column::DeleteMarker,
        "timedeleted" => Column::Gone,
        "snapshot" => Column::Snapshot,
        "versionid" | "generation" => Column::Version,
        "hdiisfolder" => Column::Folder,
        "serverencrypted" => Column::ServerEncrypted,
        "encryptionscope" => Column::Scope,
        "customerprovidedkeysha256" => Column::CustomerKey,
        "kmskeyname" => Column::KmsKey,
        _ => return None,
    })
}

/// One row's cells that atrest reads.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Record {
    cells: [Option<String>; COLUMNS],
}

impl Record {
    pub(crate) fn set(&mut self, column: Column, value: String) {
        self.cells[column as usize] = Some(value);
    }

    /// A cell, trimmed; `None` when absent or empty.
    pub(crate) fn get(&self, column: Column) -> Option<&str> {
        self.exact(column).map(str::trim).filter(|s| !s.is_empty())
    }

    /// A cell as written: a name or a version id whose spaces are its
    /// own (`calls/a.wav ` is another object than `calls/a.wav`).
    pub(crate) fn exact(&self, column: Column) -> Option<&str> {
        self.cells[column as usize]
            .as_deref()
            .filter(|s| !s.is_empty())
    }

    fn is_true(&self, column: Column) -> bool {
        self.get(column)
            .is_some_and(|v| v.eq_ignore_ascii_case("true") || v == "1")
    }

    fn is_false(&self, column: Column) -> bool {
        self.get(column)
            .is_some_and(|v| v.eq_ignore_ascii_case("false") || v == "0")
    }
}

/// What the inventory says of one object's storage encryption, and which
/// version of the object it describes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct InventoryFacts {
    pub facts: StorageFacts,
    pub etag: Option<String>,
    pub size: u64,
}

impl InventoryFacts {
    /// Does a GET's answer (its ETag and size) show the same version?
    pub(crate) fn describes(&self, etag: Option<&str>, size: u64) -> bool {
        match (&self.etag, etag.map(unquote)) {
            (Some(a), Some(b)) => *a == b,
            _ => self.size == size,
        }
    }

    /// The GET response's headers are fresher and win, except where they
    /// say nothing (no header at all) or report no encryption while the
    /// inventory reports some for the same version: S3-compatible gateways
    /// and CDNs drop `x-amz-server-side-encryption`, the inventory does not.
    pub(crate) fn merge(&self, headers: StorageFacts) -> StorageFacts {
        let listed = &self.facts;
        let silent = headers.at_rest == AtRest::Unknown
            || (headers.at_rest == AtRest::None
                && !matches!(listed.at_rest, AtRest::Unknown | AtRest::None));
        if !silent || listed.at_rest == AtRest::Unknown {
            return headers;
        }
        StorageFacts {
            client_side: headers.client_side,
            ..listed.clone()
        }
    }
}

/// What one row means for the scan.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Entry {
    /// A current object to read.
    Object {
        key: String,
        size: u64,
        /// The `--state` version: `size:ETag` (or last-modified), as LIST gives.
        version: String,
        facts: Option<InventoryFacts>,
    },
    /// In an archival tier: skipped without a request.
    Archived { key: String },
    /// A noncurrent version or generation, a snapshot or a soft-deleted
    /// blob: data the store keeps (and anyone allowed to ask for it can read),
    /// counted, not read, unless `--versions all` asks for the versions a
    /// GET can name. `which` names it beside the key (`versionId=…`,
    /// `snapshot=…`, or `noncurrent` when the row gives no id), so that it
    /// never shares a location with the current object.
    Noncurrent {
        key: String,
        which: String,
        readable: Option<OlderVersion>,
        /// In an archival tier: a GET would need a restore first.
        archived: bool,
    },
}

/// A noncurrent version a GET can ask for by its id (S3, Azure) or
/// generation (GCS).
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct OlderVersion {
    pub id: String,
    pub size: u64,
    /// The `--state` version, as for a current object.
    pub version: String,
    pub facts: Option<InventoryFacts>,
}

fn unquote(s: &str) -> String {
    s.trim()
        .trim_start_matches("W/")
        .trim_matches('"')
        .to_string()
}

/// Keys as they are (object_store's `Path::from` would percent-encode some).
pub(crate) fn key_path(key: &str) -> Result<KeyPath, String> {
    KeyPath::parse(key)
        .ok()
        .filter(|p| p.as_ref() == key)
        .ok_or_else(|| format!("{key:?} is not a key the object-store client can read"))
}

/// An inventory report, opened and checked: its manifest read, its first
/// file's columns known.
pub struct Inventory {
    /// Where the manifest lives (the inventory's own bucket).
    location: BucketUrl,
    kind: Kind,
    /// The manifest's key.
    manifest_key: String,
    manifest: Manifest,
    store: Arc<dyn ObjectStore>,
    runtime: Arc<tokio::runtime::Runtime>,
    /// Its rows say which version they are (S3 and Azure `VersionId`, GCS
    /// `generation`).
    names_versions: bool,
}

impl std::fmt::Debug for Inventory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Inventory({})", self.url())
    }
}

impl Inventory {
    /// Finds and reads the manifest `url` names (`targets`: the run's bucket
    /// URLs, to choose among a GCS folder's reports), and checks that its
    /// files can be read: their format, their key and size columns.
    pub(crate) fn open(
        url: &BucketUrl,
        targets: &[&BucketUrl],
        store: Arc<dyn ObjectStore>,
        runtime: &Arc<tokio::runtime::Runtime>,
    ) -> Result<Inventory, String> {
        let kind = url.provider;
        let path = url.prefix.as_str();
        let fail = |what: String| format!("{url}: {what}");
        let found = if locate::is_manifest(path) {
            vec![locate::Found {
                manifest: path.to_string(),
                checksum: locate::checksum_of(kind, path),
            }]
        } else {
            locate::in_folder(kind, &store, runtime, path).map_err(fail)?
        };
        let given = found.len() == 1;
        let mut chosen = None;
        for f in found {
            let shown = url.object_url(&f.manifest);
            let key = key_path(&f.manifest).map_err(|e| format!("{shown}: {e}"))?;
            let body =
                RemoteFile::read_small(&store, runtime, &key, MAX_MANIFEST).map_err(|e| {
                    format!("{shown}: cannot read the manifest: {}", super::one_line(&e))
                })?;
            if let Some(sum) = &f.checksum {
                verify_checksum(&store, runtime, sum, &body)
                    .map_err(|e| format!("{shown}: {e}"))?;
            }
            let folder = f.manifest.rsplit_once('/').map_or("", |(dir, _)| dir);
            let manifest =
                manifest::parse(kind, &body, folder).map_err(|e| format!("{shown}: {e}"))?;
            let wanted = manifest
                .source
                .as_deref()
                .is_none_or(|s| targets.iter().any(|t| t.provider == kind && t.bucket == s));
            if wanted || given {
                chosen = Some((f.manifest, manifest));
                break;
            }
        }
        let Some((manifest_key, manifest)) = chosen else {
            return Err(fail(
                "none of the inventory reports in this folder lists a target bucket".into(),
            ));
        };
        let shown = url.object_url(&manifest_key);
        match manifest.format {
            Format::Orc => {
                return Err(format!(
                    "{shown}: ORC inventories are not supported; configure the inventory report as CSV or Parquet"
                ))
            }
            Format::Csv | Format::Parquet => {}
        }
        match manifest.status.as_deref() {
            None | Some("Succeeded") => {}
            Some("PartiallySucceeded") => crate::output::warn(&format!(
                "{shown}: the inventory run only partially succeeded; objects it missed are not scanned"
            )),
            Some(other) => {
                return Err(format!(
                    "{shown}: the inventory run is {other}, not complete; give an earlier run or its folder"
                ))
            }
        }
        if let Some(dest) = &manifest.destination {
            if *dest != url.bucket {
                return Err(format!(
                    "{shown}: the manifest's files are in {dest}, not in {}",
                    url.bucket
                ));
            }
        }
        let mut inventory = Inventory {
            location: url.clone(),
            kind,
            manifest_key,
            manifest,
            store,
            runtime: Arc::clone(runtime),
            names_versions: false,
        };
        inventory.check_first_file()?;
        Ok(inventory)
    }

    /// The manifest's URL.
    pub fn url(&self) -> String {
        self.location.object_url(&self.manifest_key)
    }

    /// Data files, in the manifest's order.
    pub(crate) fn files(&self) -> &[DataFile] {
        &self.manifest.files
    }

    /// A data file's URL (for error entries).
    pub(crate) fn file_url(&self, file: &DataFile) -> String {
        self.location.object_url(&file.key)
    }

    /// Does this report list (part of) the bucket `target` names?
    pub(crate) fn covers(&self, target: &BucketUrl) -> bool {
        if target.provider != self.kind {
            return false;
        }
        if let Some(source) = &self.manifest.source {
            return *source == target.bucket;
        }
        self.manifest
            .containers
            .as_ref()
            .is_none_or(|c| c.contains(&target.bucket))
    }

    /// What the report lists, for a refusal.
    pub(crate) fn lists(&self) -> String {
        match (&self.manifest.source, &self.manifest.containers) {
            (Some(s), _) => format!("bucket {s}"),
            (None, Some(c)) => format!("containers {}", c.join(", ")),
            (None, None) => "no bucket by name".into(),
        }
    }

    /// `--shard K/N` over an inventory: with at least N data files (and no
    /// `--state`, whose shards must keep their keys from run to run), shard
    /// K reads only files K, K+N, K+2N … of the manifest's list and takes
    /// every row in them; otherwise every shard reads every file and keeps
    /// the keys whose hash falls in it, as with LIST. Returns the files to
    /// read and whether keys are still to be filtered by hash.
    pub(crate) fn files_for(&self, shard: Option<Shard>, stable: bool) -> (Vec<usize>, bool) {
        let all = 0..self.manifest.files.len();
        match shard {
            Some(s) if !stable && self.manifest.files.len() as u64 >= s.count => (
                all.filter(|i| *i as u64 % s.count == s.index).collect(),
                false,
            ),
            Some(_) => (all.collect(), true),
            None => (all.collect(), false),
        }
    }

    fn remote(&self, file: &DataFile) -> Result<RemoteFile, String> {
        let key = key_path(&file.key)?;
        let size = match file.size {
            Some(s) => s,
            None => {
                self.runtime
                    .block_on(self.store.head(&key))
                    .map_err(|e| super::one_line(&e))?
                    .size
            }
        };
        Ok(RemoteFile {
            store: Arc::clone(&self.store),
            runtime: Arc::clone(&self.runtime),
            key,
            size,
        })
    }

    /// The rows of one data file, read as they are consumed.
    pub(crate) fn rows(
        &self,
        file: &DataFile,
    ) -> Result<Box<dyn Iterator<Item = Result<Record, String>>>, String> {
        let remote = self.remote(file)?;
        match self.manifest.format {
            Format::Parquet => Ok(Box::new(parquet::Rows::open(remote)?)),
            Format::Csv | Format::Orc => Ok(Box::new(CsvRows::open(remote, &self.manifest)?)),
        }
    }

    /// Do its rows name their versions, so that older ones can be read?
    pub(crate) fn names_versions(&self) -> bool {
        self.names_versions
    }

    /// Reads the first file's columns (and, for GCS without a source
    /// bucket in the manifest, its first row's bucket): an inventory
    /// without keys or sizes is refused before anything is scanned.
    fn check_first_file(&mut self) -> Result<(), String> {
        let Some(first) = self.manifest.files.first().cloned() else {
            return Ok(());
        };
        let shown = self.file_url(&first);
        let remote = self.remote(&first).map_err(|e| format!("{shown}: {e}"))?;
        // Asked once (GCS manifests give no sizes).
        self.manifest.files[0].size = Some(remote.size);
        let columns: Vec<Column> = match self.manifest.format {
            Format::Parquet => parquet::Rows::open(remote)
                .map_err(|e| format!("{shown}: not a readable Parquet file: {e}"))?
                .columns()
                .collect(),
            _ => {
                let mut rows = CsvRows::open_with(remote, &self.manifest, remote::PEEK_CHUNK)
                    .map_err(|e| format!("{shown}: {e}"))?;
                let columns = rows.columns.iter().flatten().copied().collect();
                if self.manifest.source.is_none() && self.kind == Kind::Gcs {
                    if let Some(Ok(row)) = rows.next() {
                        self.manifest.source = row.get(Column::Bucket).map(str::to_string);
                    }
                }
                columns
            }
        };
        self.names_versions = columns.contains(&Column::Version);
        for (needed, names) in [
            (Column::Key, "Key / Name / name"),
            (Column::Size, "Size / Content-Length / size"),
        ] {
            if !columns.contains(&needed) {
                return Err(format!(
                    "{shown}: the inventory has no {names} column; add it to the inventory configuration"
                ));
            }
        }
        Ok(())
    }

    /// What a row means for a scan of `bucket`; `None` for rows that hold
    /// no object of that bucket (another bucket's, a delete marker, a
    /// folder).
    pub(crate) fn entry(&self, record: &Record, bucket: &str) -> Result<Option<Entry>, String> {
        let raw = record.exact(Column::Key).ok_or("a row without a key")?;
        let (owner, key) = match self.kind {
            // Azure names are container/blob.
            Kind::Azure => match raw.split_once('/') {
                Some((container, blob)) => (Some(container), blob.to_string()),
                None => return Ok(None),
            },
            Kind::S3 if self.manifest.format == Format::Csv => {
                (record.get(Column::Bucket), csv::form_decode(raw))
            }
            _ => (record.get(Column::Bucket), raw.to_string()),
        };
        if owner.is_some_and(|o| o != bucket) {
            return Ok(None);
        }
        // An S3 delete marker holds no bytes; Azure's `Deleted` is a
        // soft-deleted blob, which does, as do older versions, snapshots and
        // GCS's noncurrent generations.
        let deleted = record.is_true(Column::DeleteMarker);
        if (deleted && self.kind != Kind::Azure) || record.is_true(Column::Folder) {
            return Ok(None);
        }
        // Tiers that need a restore before a GET. GCS Archive and S3
        // Glacier Instant Retrieval answer at once: they are read.
        let class = record.get(Column::Class).unwrap_or_default();
        let tier = record.get(Column::Tier).unwrap_or_default();
        let archived = match self.kind {
            Kind::S3 => {
                ["GLACIER", "DEEP_ARCHIVE"].contains(&class)
                    || ["ARCHIVE_ACCESS", "DEEP_ARCHIVE_ACCESS"].contains(&tier)
            }
            Kind::Azure => class.eq_ignore_ascii_case("Archive"),
            Kind::Gcs => false,
        };
        let snapshot = record.get(Column::Snapshot);
        if deleted
            || record.is_false(Column::Latest)
            || record.get(Column::Gone).is_some()
            || snapshot.is_some()
        {
            // S3 lists the version written before versioning was enabled
            // without an id; GETs name it `null`.
            let id = match record.exact(Column::Version) {
                None if self.kind == Kind::S3 => Some("null"),
                id => id,
            };
            let which = match (snapshot, id) {
                (Some(at), _) => format!("snapshot={at}"),
                (None, Some(id)) => format!("versionId={id}"),
                (None, None) => "noncurrent".to_string(),
            };
            // A soft-deleted blob must be restored first, and a snapshot is
            // asked for by another parameter than a version. A size the row
            // does not give is asked for (see `Bucket::open`), as for a
            // current object listed as empty.
            let readable = match (id, snapshot, deleted) {
                (Some(id), None, false) => {
                    let size = record.get(Column::Size).and_then(|s| s.parse().ok());
                    let size = size.unwrap_or(0);
                    let (version, facts) = self.described(record, size);
                    Some(OlderVersion {
                        id: id.to_string(),
                        size,
                        version,
                        facts,
                    })
                }
                _ => None,
            };
            return Ok(Some(Entry::Noncurrent {
                key,
                which,
                readable,
                archived,
            }));
        }
        if archived {
            return Ok(Some(Entry::Archived { key }));
        }
        let size: u64 = match record.get(Column::Size) {
            Some(s) => s
                .parse()
                .map_err(|_| format!("{key}: size {s:?} is not a number"))?,
            None => return Err(format!("{key}: the row has no size")),
        };
        let (version, facts) = self.described(record, size);
        Ok(Some(Entry::Object {
            key,
            size,
            version,
            facts,
        }))
    }

    /// A row's object of `size` bytes: its `--state` version (size and
    /// ETag, or else last-modified time, as a listing gives) and what the
    /// row says of its storage encryption.
    fn described(&self, record: &Record, size: u64) -> (String, Option<InventoryFacts>) {
        let etag = record.get(Column::ETag).map(unquote);
        let tag = etag
            .clone()
            .or_else(|| record.get(Column::Modified).map(str::to_string))
            .unwrap_or_default();
        let facts = self
            .facts(record)
            .map(|facts| InventoryFacts { facts, etag, size });
        (format!("{size}:{tag}"), facts)
    }

    /// The row's storage-encryption columns, when it has any.
    fn facts(&self, record: &Record) -> Option<StorageFacts> {
        let said = |at_rest, what: String, kms_key: Option<String>| StorageFacts {
            at_rest,
            server_side: Some(format!("{what} (inventory report)")),
            kms_key,
            client_side: None,
        };
        match self.kind {
            Kind::S3 => {
                let status = record.get(Column::Encryption)?;
                Some(match status.to_ascii_uppercase().as_str() {
                    "NOT-SSE" => said(AtRest::None, "none".into(), None),
                    "SSE-S3" => said(AtRest::Provider, "SSE-S3 (AES256)".into(), None),
                    "SSE-KMS" | "DSSE-KMS" => said(AtRest::Kms, status.to_ascii_uppercase(), None),
                    "SSE-C" => said(AtRest::CustomerKey, "SSE-C".into(), None),
                    _ => return None,
                })
            }
            Kind::Azure => {
                if record.get(Column::CustomerKey).is_some() {
                    Some(said(
                        AtRest::CustomerKey,
                        "Azure customer-provided key".into(),
                        None,
                    ))
                } else if let Some(scope) = record.get(Column::Scope) {
                    Some(said(
                        AtRest::Kms,
                        format!("Azure encryption scope {scope}"),
                        None,
                    ))
                } else if record.is_true(Column::ServerEncrypted) {
                    Some(said(
                        AtRest::Provider,
                        "Azure Storage encryption (Microsoft-managed key)".into(),
                        None,
                    ))
                } else if record.is_false(Column::ServerEncrypted) {
                    Some(said(AtRest::None, "none".into(), None))
                } else {
                    None
                }
            }
            Kind::Gcs => record.get(Column::KmsKey).map(|key| {
                said(
                    AtRest::Kms,
                    "Cloud KMS (CMEK)".into(),
                    Some(key.to_string()),
                )
            }),
        }
    }
}

/// The checksum file: the MD5 of the manifest, in hex (S3) or base64. S3
/// and Azure write it last, so a manifest without one belongs to a run
/// still being written.
fn verify_checksum(
    store: &Arc<dyn ObjectStore>,
    runtime: &tokio::runtime::Runtime,
    key: &str,
    body: &[u8],
) -> Result<(), String> {
    use md5::{Digest, Md5};
    let got = match RemoteFile::read_small(store, runtime, &key_path(key)?, 4096) {
        Ok(b) => b,
        Err(object_store::Error::NotFound { .. }) => {
            return Err(format!(
                "no {} beside it: the inventory run is not complete (its folder names the newest complete run)",
                key.rsplit('/').next().unwrap_or(key)
            ))
        }
        Err(e) => return Err(format!("cannot read {key}: {}", super::one_line(&e))),
    };
    let digest = Md5::digest(body);
    let said = String::from_utf8_lossy(&got).trim().to_string();
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD.encode(digest);
    if said.eq_ignore_ascii_case(&hex) || said == b64 {
        Ok(())
    } else {
        Err(format!(
            "the manifest does not match its checksum {key} (a run still being written?)"
        ))
    }
}

/// Rows of a CSV file (gzip-compressed or not, told by its magic bytes).
struct CsvRows {
    records: csv::Records<Box<dyn BufRead>>,
    columns: Vec<Option<Column>>,
    fields: Vec<String>,
    /// A data row read while telling whether the first row was a header.
    pending: Option<Vec<String>>,
}

impl CsvRows {
    fn open(remote: RemoteFile, manifest: &Manifest) -> Result<CsvRows, String> {
        Self::open_with(remote, manifest, remote::STREAM_CHUNK)
    }

    /// `chunk`: bytes per GET (small when only the first rows are wanted).
    fn open_with(remote: RemoteFile, manifest: &Manifest, chunk: u64) -> Result<CsvRows, String> {
        let mut raw = BufReader::with_capacity(64 << 10, remote::Stream::new(remote, chunk));
        let gzip = raw
            .fill_buf()
            .map_err(|e| format!("cannot read: {e}"))?
            .starts_with(&[0x1f, 0x8b]);
        let inner: Box<dyn BufRead> = if gzip {
            Box::new(BufReader::with_capacity(
                64 << 10,
                flate2::bufread::MultiGzDecoder::new(raw),
            ))
        } else {
            Box::new(raw)
        };
        let mut records = csv::Records::new(inner, manifest.delimiter);
        let by_name = |names: &[String]| -> Vec<Option<Column>> {
            names.iter().map(|n| field_of(n)).collect()
        };
        let mut fields = Vec::new();
        let mut pending = None;
        let columns = match manifest.header {
            Header::Absent => by_name(
                manifest
                    .schema
                    .as_deref()
                    .ok_or("the manifest gives no column names (fileSchema) for its CSV files")?,
            ),
            Header::Present | Header::Unknown => {
                let read = records
                    .next_into(&mut fields)
                    .map_err(|e| format!("cannot read: {e}"))?;
                let named = by_name(&fields);
                let is_header = read
                    && named.contains(&Some(Column::Key))
                    && named.contains(&Some(Column::Size));
                if manifest.header == Header::Present || is_header {
                    named
                } else {
                    if read {
                        pending = Some(std::mem::take(&mut fields));
                    }
                    by_name(manifest.schema.as_deref().ok_or(
                        "the CSV files have no header row and the manifest gives no column names",
                    )?)
                }
            }
        };
        Ok(CsvRows {
            records,
            columns,
            fields,
            pending,
        })
    }

    fn record(&self, fields: &[String]) -> Record {
        let mut record = Record::default();
        for (value, column) in fields.iter().zip(&self.columns) {
            if let Some(column) = column {
                record.set(*column, value.clone());
            }
        }
        record
    }
}

impl Iterator for CsvRows {
    type Item = Result<Record, String>;

    fn next(&mut self) -> Option<Self::Item> {
        if let Some(fields) = self.pending.take() {
            return Some(Ok(self.record(&fields)));
        }
        let mut fields = std::mem::take(&mut self.fields);
        let item = match self.records.next_into(&mut fields) {
            Ok(true) => Some(Ok(self.record(&fields))),
            Ok(false) => None,
            Err(e) => Some(Err(e.to_string())),
        };
        self.fields = fields;
        item
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(pairs: &[(Column, &str)]) -> Record {
        let mut r = Record::default();
        for (c, v) in pairs {
            r.set(*c, v.to_string());
        }
        r
    }

    fn inventory(kind: Kind, format: Format) -> Inventory {
        let url = BucketUrl::parse(match kind {
            Kind::S3 => "s3://inv/m/manifest.json",
            Kind::Azure => "az://inv/R/R-manifest.json",
            Kind::Gcs => "gs://inv/r/u_1_manifest.json",
        })
        .unwrap()
        .unwrap();
        let _ = rustls::crypto::ring::default_provider().install_default();
        let runtime = Arc::new(
            tokio::runtime::Builder::new_current_thread()
                .build()
                .unwrap(),
        );
        Inventory {
            location: url,
            kind,
            manifest_key: "m".into(),
            manifest: Manifest {
                source: Some("voice".into()),
                containers: None,
                destination: None,
                format,
                schema: None,
                header: Header::Absent,
                delimiter: b',',
                files: vec![],
                status: None,
            },
            store: Arc::new(object_store::memory::InMemory::new()),
            runtime,
            names_versions: true,
        }
    }

    #[test]
    fn column_names_of_every_provider() {
        for (name, column) in [
            ("Key", Column::Key),
            ("last_modified_date", Column::Modified),
            ("Last-Modified", Column::Modified),
            ("Content-Length", Column::Size),
            ("e_tag", Column::ETag),
            ("AccessTier", Column::Class),
            ("storageClass", Column::Class),
            ("IsCurrentVersion", Column::Latest),
            ("hdi_isfolder", Column::Folder),
        ] {
            assert_eq!(field_of(name), Some(column), "{name}");
        }
        assert_eq!(field_of("ReplicationStatus"), None);
    }

    #[test]
    fn s3_rows_current_objects_archives_and_encryption() {
        let inv = inventory(Kind::S3, Format::Csv);
        let row = |extra: &[(Column, &str)]| {
            let mut pairs = vec![
                (Column::Bucket, "voice"),
                (Column::Key, "calls/a+b%2Cc.wav"),
                (Column::Size, "51244"),
                (Column::ETag, "d41d8cd98f00b204e9800998ecf8427e"),
            ];
            pairs.extend_from_slice(extra);
            inv.entry(&record(&pairs), "voice").unwrap()
        };
        let Some(Entry::Object {
            key,
            size,
            version,
            facts,
        }) = row(&[(Column::Encryption, "SSE-KMS")])
        else {
            panic!("an object")
        };
        assert_eq!(
            (key.as_str(), size, version.as_str()),
            (
                "calls/a b,c.wav",
                51244,
                "51244:d41d8cd98f00b204e9800998ecf8427e"
            )
        );
        let facts = facts.unwrap();
        assert_eq!(facts.facts.at_rest, AtRest::Kms);
        assert_eq!(
            facts.facts.server_side.as_deref(),
            Some("SSE-KMS (inventory report)")
        );
        assert_eq!(
            row(&[(Column::Class, "DEEP_ARCHIVE")]),
            Some(Entry::Archived {
                key: "calls/a b,c.wav".into()
            })
        );
        assert!(matches!(
            row(&[(Column::Class, "GLACIER_IR")]),
            Some(Entry::Object { .. })
        ));
        assert!(matches!(
            row(&[(Column::Tier, "ARCHIVE_ACCESS")]),
            Some(Entry::Archived { .. })
        ));
        // A delete marker holds nothing; an older version holds bytes.
        assert_eq!(row(&[(Column::DeleteMarker, "true")]), None);
        // S3 lists the version from before versioning without an id: GETs
        // call it `null`.
        let older = |id: &str| {
            Some(Entry::Noncurrent {
                key: "calls/a b,c.wav".into(),
                which: format!("versionId={id}"),
                readable: Some(OlderVersion {
                    id: id.into(),
                    size: 51244,
                    version: "51244:d41d8cd98f00b204e9800998ecf8427e".into(),
                    facts: None,
                }),
                archived: false,
            })
        };
        assert_eq!(row(&[(Column::Latest, "false")]), older("null"));
        assert_eq!(
            row(&[(Column::Latest, "false"), (Column::Version, "3HL4kqt")]),
            older("3HL4kqt")
        );
        // Its own row's storage evidence goes with it.
        let Some(Entry::Noncurrent {
            readable: Some(kms),
            ..
        }) = row(&[
            (Column::Latest, "false"),
            (Column::Version, "k1"),
            (Column::Encryption, "SSE-KMS"),
        ])
        else {
            panic!("a readable older version")
        };
        assert_eq!(kms.facts.unwrap().facts.at_rest, AtRest::Kms);
        // An older version in Glacier says so; one without a size is asked.
        let Some(Entry::Noncurrent { archived, .. }) =
            row(&[(Column::Latest, "false"), (Column::Class, "GLACIER")])
        else {
            panic!("an older version")
        };
        assert!(archived);
        let Some(Entry::Noncurrent {
            readable: Some(unsized_row),
            ..
        }) = inv
            .entry(
                &record(&[
                    (Column::Bucket, "voice"),
                    (Column::Key, "k"),
                    (Column::Latest, "false"),
                    (Column::Version, "v"),
                ]),
                "voice",
            )
            .unwrap()
        else {
            panic!("a readable older version")
        };
        assert_eq!(unsized_row.size, 0);
        assert_eq!(
            row(&[(Column::Latest, "false"), (Column::DeleteMarker, "true")]),
            None
        );
        assert_eq!(
            inv.entry(
                &record(&[(Column::Bucket, "other"), (Column::Key, "k")]),
                "voice"
            )
            .unwrap(),
            None
        );
        assert!(inv
            .entry(&record(&[(Column::Key, "k"), (Column::Size, "x")]), "voice")
            .is_err());
    }

    #[test]
    fn gcs_noncurrent_generations_are_counted_and_readable_by_generation() {
        let inv = inventory(Kind::Gcs, Format::Csv);
        let entry = |pairs: &[(Column, &str)]| inv.entry(&record(pairs), "calls").unwrap();
        let base = [(Column::Key, "a.wav"), (Column::Size, "3")];
        assert!(matches!(entry(&base), Some(Entry::Object { .. })));
        // A name's spaces are its own: another object than `a.wav`.
        let Some(Entry::Object { key, .. }) = entry(&[(Column::Key, " a.wav "), base[1]]) else {
            panic!("an object")
        };
        assert_eq!(key, " a.wav ");
        let gone = [base[0], base[1], (Column::Gone, "2026-01-02T00:00:00Z")];
        assert_eq!(
            entry(&gone),
            Some(Entry::Noncurrent {
                key: "a.wav".into(),
                which: "noncurrent".into(),
                readable: None,
                archived: false,
            })
        );
        let older = [base[0], base[1], (Column::Version, "1712"), gone[2]];
        assert_eq!(
            entry(&older),
            Some(Entry::Noncurrent {
                key: "a.wav".into(),
                which: "versionId=1712".into(),
                readable: Some(OlderVersion {
                    id: "1712".into(),
                    size: 3,
                    version: "3:".into(),
                    facts: None,
                }),
                archived: false,
            })
        );
    }

    #[test]
    fn azure_names_carry_their_container() {
        let inv = inventory(Kind::Azure, Format::Parquet);
        let entry = |pairs: &[(Column, &str)]| inv.entry(&record(pairs), "calls").unwrap();
        let Some(Entry::Object { key, facts, .. }) = entry(&[
            (Column::Key, "calls/2021/a.wav"),
            (Column::Size, "3"),
            (Column::Scope, "voice-scope"),
        ]) else {
            panic!("an object")
        };
        assert_eq!(key, "2021/a.wav");
        assert_eq!(facts.unwrap().facts.at_rest, AtRest::Kms);
        assert_eq!(
            entry(&[(Column::Key, "other/a.wav"), (Column::Size, "3")]),
            None
        );
        // Snapshots, older versions and soft-deleted blobs keep their bytes;
        // only a version is asked for by its id (a snapshot by another
        // parameter, a soft-deleted blob not before it is restored).
        let id = (Column::Version, "2021-05-26T13:25:36.1234567Z");
        for extra in [
            (Column::Snapshot, "2021-05-26T13:25:36.1234567Z"),
            (Column::Latest, "false"),
            (Column::DeleteMarker, "true"),
        ] {
            let got = entry(&[(Column::Key, "calls/a.wav"), (Column::Size, "3"), extra, id]);
            let Some(Entry::Noncurrent {
                key,
                which,
                readable,
                ..
            }) = got
            else {
                panic!("{extra:?}: {got:?}")
            };
            assert_eq!(key, "a.wav");
            let snapshot = extra.0 == Column::Snapshot;
            let named = if snapshot { "snapshot" } else { "versionId" };
            assert_eq!(which, format!("{named}={}", id.1), "{extra:?}");
            assert_eq!(readable.is_some(), extra.0 == Column::Latest, "{extra:?}");
        }
        // A folder of a hierarchical namespace is no object at all.
        assert_eq!(
            entry(&[
                (Column::Key, "calls/2021"),
                (Column::Size, "0"),
                (Column::Folder, "true")
            ]),
            None
        );
        assert!(matches!(
            entry(&[
                (Column::Key, "calls/a.wav"),
                (Column::Size, "3"),
                (Column::Class, "Archive")
            ]),
            Some(Entry::Archived { .. })
        ));
    }

    #[test]
    fn inventory_facts_fill_in_only_where_headers_are_silent() {
        let listed = InventoryFacts {
            facts: StorageFacts {
                at_rest: AtRest::Kms,
                server_side: Some("SSE-KMS (inventory report)".into()),
                kms_key: None,
                client_side: None,
            },
            etag: Some("abc".into()),
            size: 9,
        };
        assert!(listed.describes(Some("\"abc\""), 1));
        assert!(!listed.describes(Some("\"abd\""), 9));
        let none = StorageFacts {
            at_rest: AtRest::None,
            ..Default::default()
        };
        assert_eq!(listed.merge(none).at_rest, AtRest::Kms);
        assert_eq!(listed.merge(StorageFacts::default()).at_rest, AtRest::Kms);
        let provider = StorageFacts {
            at_rest: AtRest::Provider,
            server_side: Some("SSE-S3 (AES256)".into()),
            ..Default::default()
        };
        assert_eq!(listed.merge(provider.clone()), provider);
    }

    #[test]
    fn shards_split_files_when_there_are_enough() {
        let mut inv = inventory(Kind::S3, Format::Csv);
        inv.manifest.files = (0..5)
            .map(|i| DataFile {
                key: format!("f{i}"),
                size: None,
            })
            .collect();
        let shard = |k, n| Some(Shard { index: k, count: n });
        assert_eq!(inv.files_for(shard(1, 2), false), (vec![1, 3], false));
        assert_eq!(inv.files_for(shard(0, 2), false), (vec![0, 2, 4], false));
        assert_eq!(inv.files_for(shard(1, 8), false), ((0..5).collect(), true));
        assert_eq!(inv.files_for(shard(1, 2), true), ((0..5).collect(), true));
        assert_eq!(inv.files_for(None, false), ((0..5).collect(), false));
    }
}
