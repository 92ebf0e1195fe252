//! The three providers' manifests, read into one [`Manifest`]: what the
//! report covers, its format and columns, and its data files.
//!
//! - S3 Inventory `manifest.json`: `sourceBucket`, `destinationBucket`
//!   (an ARN), `fileFormat` (CSV, ORC, Parquet), `fileSchema` (the CSV
//!   columns in order: CSV files have no header row), `files[]` of
//!   `{key, size, MD5checksum}` with keys in the destination bucket.
//! - Azure Blob Inventory `<rule>-manifest.json`: `destinationContainer`,
//!   `files[]` of `{blob, size}` (paths in that container), `status`
//!   (`Pending` while running), `ruleDefinition` with `format` (csv,
//!   parquet), `schemaFields` and `filters.prefixMatch` (prefixes that
//!   begin with a container name). CSV files begin with a header row; the
//!   `Name` column is `container/blob`.
//! - GCS inventory reports `<config>_<snapshot>_manifest.json`:
//!   `report_shards_file_names` (file names beside the manifest) or
//!   `reportNames` (gs:// URLs), `report_config` with the CSV options, the
//!   metadata fields and the source bucket (`storage_filters.bucket`).
//!   Field spellings vary between snake and camel case; both are read.

use serde_json::Value;

use super::Kind;

/// How the data files are written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Format {
    Csv,
    Parquet,
    Orc,
}

/// Whether CSV files begin with a row of column names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Header {
    Present,
    Absent,
    /// Not said: told from the first row.
    Unknown,
}

/// One data file of the report.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct DataFile {
    /// Key in the inventory's own bucket.
    pub key: String,
    pub size: Option<u64>,
}

/// A manifest, whatever the provider.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Manifest {
    /// The bucket the report lists, when the manifest names it.
    pub source: Option<String>,
    /// Azure: the containers the rule's prefixes name (`None`: every container).
    pub containers: Option<Vec<String>>,
    /// The bucket (container) holding the data files, when named.
    pub destination: Option<String>,
    pub format: Format,
    /// Column names in file order, when the manifest gives them.
    pub schema: Option<Vec<String>>,
    pub header: Header,
    pub delimiter: u8,
    pub files: Vec<DataFile>,
    /// Azure's run status (`Succeeded`, `PartiallySucceeded`, `Pending`, `Failed`).
    pub status: Option<String>,
}

fn get<'a>(v: &'a Value, names: &[&str]) -> Option<&'a Value> {
    names
        .iter()
        .find_map(|n| v.get(*n))
        .filter(|v| !v.is_null())
}

fn text(v: &Value, names: &[&str]) -> Option<String> {
    get(v, names).and_then(|v| match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    })
}

fn number(v: &Value) -> Option<u64> {
    v.as_u64().or_else(|| v.as_str()?.trim().parse().ok())
}

fn format_of(s: &str) -> Result<Format, String> {
    match s.trim().to_ascii_lowercase().as_str() {
        "csv" => Ok(Format::Csv),
        "parquet" => Ok(Format::Parquet),
        "orc" => Ok(Format::Orc),
        other => Err(format!("unknown inventory file format {other:?}")),
    }
}

/// Reads a manifest. `folder` is the manifest's own folder (GCS lists its
/// files by name relative to it).
pub(crate) fn parse(kind: Kind, body: &[u8], folder: &str) -> Result<Manifest, String> {
    let v: Value = serde_json::from_slice(body).map_err(|e| format!("not a manifest: {e}"))?;
    if !v.is_object() {
        return Err("not a manifest: not a JSON object".into());
    }
    match kind {
        Kind::S3 => s3(&v),
        Kind::Azure => azure(&v),
        Kind::Gcs => gcs(&v, folder),
    }
}

fn s3(v: &Value) -> Result<Manifest, String> {
    let format = format_of(&text(v, &["fileFormat"]).ok_or("the manifest has no fileFormat")?)?;
    let schema = text(v, &["fileSchema"])
        .filter(|_| format == Format::Csv)
        .map(|s| s.split(',').map(|c| c.trim().to_string()).collect());
    let files = get(v, &["files"])
        .and_then(Value::as_array)
        .ok_or("the manifest has no files[]")?
        .iter()
        .map(|f| {
            Ok(DataFile {
                key: text(f, &["key"]).ok_or("a files[] entry has no key")?,
                size: get(f, &["size"]).and_then(number),
            })
        })
        .collect::<Result<Vec<_>, String>>()?;
    Ok(Manifest {
        source: text(v, &["sourceBucket"]),
        containers: None,
        destination: text(v, &["destinationBucket"])
            .map(|arn| arn.rsplit(":::").next().unwrap_or(&arn).to_string()),
        format,
        schema,
        header: Header::Absent,
        delimiter: b',',
        files,
        status: None,
    })
}

fn azure(v: &Value) -> Result<Manifest, String> {
    let rule = get(v, &["ruleDefinition"]).cloned().unwrap_or(Value::Null);
    let format = match text(&rule, &["format"]) {
        Some(f) => format_of(&f)?,
        None => Format::Csv,
    };
    let schema = get(&rule, &["schemaFields"])
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|s| s.as_str().map(str::to_string))
                .collect()
        });
    let prefixes: Vec<String> = get(&rule, &["filters"])
        .and_then(|f| get(f, &["prefixMatch"]))
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|s| s.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    // A prefix begins with a container name ("calls/2026" or "calls").
    let containers = (!prefixes.is_empty() && prefixes.iter().all(|p| !p.is_empty())).then(|| {
        prefixes
            .iter()
            .map(|p| p.split('/').next().unwrap_or_default().to_string())
            .collect()
    });
    let files = get(v, &["files"])
        .and_then(Value::as_array)
        .ok_or("the manifest has no files[]")?
        .iter()
        .map(|f| {
            Ok(DataFile {
                key: text(f, &["blob"]).ok_or("a files[] entry has no blob")?,
                size: get(f, &["size"]).and_then(number),
            })
        })
        .collect::<Result<Vec<_>, String>>()?;
    Ok(Manifest {
        source: None,
        containers,
        destination: text(v, &["destinationContainer"]),
        format,
        schema,
        header: Header::Present,
        delimiter: b',',
        files,
        status: text(v, &["status"]),
    })
}

fn gcs(v: &Value, folder: &str) -> Result<Manifest, String> {
    let config = get(v, &["report_config", "reportConfig"])
        .cloned()
        .unwrap_or(Value::Null);
    let options = get(
        &config,
        &[
            "object_metadata_report_options",
            "objectMetadataReportOptions",
        ],
    )
    .cloned()
    .unwrap_or(Value::Null);
    let source =
        get(&options, &["storage_filters", "storageFilters"]).and_then(|f| text(f, &["bucket"]));
    let schema = get(&options, &["metadata_fields", "metadataFields"])
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|s| s.as_str().map(str::to_string))
                .collect()
        });
    let csv = get(&config, &["csv_options", "csvOptions"]);
    let header = match csv.and_then(|c| get(c, &["header_required", "headerRequired"])) {
        Some(Value::Bool(true)) => Header::Present,
        Some(Value::Bool(false)) => Header::Absent,
        _ => Header::Unknown,
    };
    let delimiter = csv
        .and_then(|c| text(c, &["delimiter"]))
        .and_then(|d| (d.len() == 1).then(|| d.as_bytes()[0]))
        .unwrap_or(b',');
    let names: Vec<String> = if let Some(a) =
        get(v, &["report_shards_file_names", "reportShardsFileNames"]).and_then(Value::as_array)
    {
        let base = folder.trim_end_matches('/');
        a.iter()
            .filter_map(Value::as_str)
            .map(|n| {
                if base.is_empty() {
                    n.to_string()
                } else {
                    format!("{base}/{n}")
                }
            })
            .collect()
    } else if let Some(a) = get(v, &["reportNames", "report_names"]).and_then(Value::as_array) {
        // Full URLs: gs://bucket/path/name.
        a.iter()
            .filter_map(Value::as_str)
            .map(|u| {
                u.strip_prefix("gs://")
                    .and_then(|r| r.split_once('/'))
                    .map_or(u, |(_, key)| key)
                    .to_string()
            })
            .collect()
    } else {
        return Err("the manifest names no report files (report_shards_file_names)".into());
    };
    let parquet = get(&config, &["parquet_options", "parquetOptions"]).is_some()
        || names.iter().any(|n| n.ends_with(".parquet"));
    Ok(Manifest {
        source,
        containers: None,
        destination: None,
        format: if parquet {
            Format::Parquet
        } else {
            Format::Csv
        },
        schema,
        header: if parquet { Header::Absent } else { header },
        delimiter,
        files: names
            .into_iter()
            .map(|key| DataFile { key, size: None })
            .collect(),
        status: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn s3_manifest_gives_source_schema_and_files() {
        let m = parse(
            Kind::S3,
            br#"{"sourceBucket":"voice","destinationBucket":"arn:aws:s3:::inv",
                "version":"2016-11-30","creationTimestamp":"1514944800000",
                "fileFormat":"CSV","fileSchema":"Bucket, Key, Size, ETag, StorageClass",
                "files":[{"key":"voice/cfg/data/a.csv.gz","size":2147,"MD5checksum":"x"}]}"#,
            "",
        )
        .unwrap();
        assert_eq!(m.source.as_deref(), Some("voice"));
        assert_eq!(m.destination.as_deref(), Some("inv"));
        assert_eq!(m.format, Format::Csv);
        assert_eq!(
            m.schema.unwrap(),
            ["Bucket", "Key", "Size", "ETag", "StorageClass"]
        );
        assert_eq!(
            m.files,
            [DataFile {
                key: "voice/cfg/data/a.csv.gz".into(),
                size: Some(2147)
            }]
        );
        let orc = parse(
            Kind::S3,
            br#"{"sourceBucket":"v","fileFormat":"ORC","files":[]}"#,
            "",
        )
        .unwrap();
        assert_eq!(orc.format, Format::Orc);
        assert!(parse(Kind::S3, b"[1]", "").is_err());
        assert!(parse(Kind::S3, br#"{"fileFormat":"XML","files":[]}"#, "").is_err());
    }

    #[test]
    fn azure_manifest_gives_containers_status_and_blobs() {
        let m = parse(
            Kind::Azure,
            br#"{"destinationContainer":"inv","endpoint":"https://a.blob.core.windows.net",
                "files":[{"blob":"2021/05/26/13-25-36/Rule_1/Rule_1.csv","size":12710092}],
                "ruleDefinition":{"filters":{"blobTypes":["blockBlob"],"prefixMatch":["calls/2021","calls2"]},
                  "format":"csv","objectType":"blob","schemaFields":["Name","Content-Length"]},
                "ruleName":"Rule_1","status":"Succeeded","version":"1.0"}"#,
            "",
        )
        .unwrap();
        assert_eq!(m.containers.unwrap(), ["calls", "calls2"]);
        assert_eq!(m.status.as_deref(), Some("Succeeded"));
        assert_eq!(m.header, Header::Present);
        assert_eq!(m.files[0].key, "2021/05/26/13-25-36/Rule_1/Rule_1.csv");
        let everything = parse(
            Kind::Azure,
            br#"{"files":[],"ruleDefinition":{"format":"parquet"}}"#,
            "",
        )
        .unwrap();
        assert_eq!(
            (everything.containers, everything.format),
            (None, Format::Parquet)
        );
    }

    #[test]
    fn gcs_manifest_names_files_beside_it_or_by_url() {
        let m = parse(
            Kind::Gcs,
            br#"{"report_config":{"csv_options":{"delimiter":",","header_required":true},
                  "object_metadata_report_options":{"metadata_fields":["bucket","name","size"],
                    "storage_filters":{"bucket":"voice"}}},
                "records_processed":3,"snapshot_time":"2026-01-20T00:00:00Z","shard_count":1,
                "report_shards_file_names":["u_2026-01-20T00:00_0.csv"]}"#,
            "reports/",
        )
        .unwrap();
        assert_eq!(m.source.as_deref(), Some("voice"));
        assert_eq!(m.header, Header::Present);
        assert_eq!(m.files[0].key, "reports/u_2026-01-20T00:00_0.csv");
        let by_url = parse(
            Kind::Gcs,
            br#"{"reportNames":["gs://inv/r/u_1_0.parquet"]}"#,
            "r",
        )
        .unwrap();
        assert_eq!(
            (by_url.files[0].key.as_str(), by_url.format),
            ("r/u_1_0.parquet", Format::Parquet)
        );
    }
}
