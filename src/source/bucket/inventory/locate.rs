//! Which manifest a URL names. A manifest's own URL names it; a folder
//! names the newest *complete* run below it, so that a nightly job keeps
//! one URL:
//!
//! - S3: the configuration folder `…/<source>/<config>/` holds one folder
//!   per run, `YYYY-MM-DDTHH-MMZ/`; a run is complete once its
//!   `manifest.checksum` exists (AWS writes it last).
//! - Azure: runs are `YYYY/MM/DD/HH-MM-SS/<rule>/` from the container's
//!   root; complete once `<rule>-manifest.checksum` exists. The URL's path,
//!   if any, is the rule's name (`az://inventory/voice-rule`); without it
//!   the newest run must hold exactly one complete rule.
//! - GCS: manifests `<config>_<snapshot>_manifest.json` lie beside their
//!   shards, written once every shard is; newest snapshot first.

use std::sync::Arc;

use object_store::path::Path as KeyPath;
use object_store::{ObjectStore, ObjectStoreExt};

use super::Kind;

/// A manifest to read, and the file that proves its run complete.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Found {
    pub manifest: String,
    pub checksum: Option<String>,
}

/// How many run folders are looked at before giving up (a year of dailies).
const MAX_RUNS: usize = 400;

/// Is `path` a manifest's own key (rather than a folder)?
pub(super) fn is_manifest(path: &str) -> bool {
    path.ends_with("manifest.json")
}

/// The checksum file that sits beside a manifest, if the provider writes one.
pub(super) fn checksum_of(kind: Kind, manifest: &str) -> Option<String> {
    match kind {
        Kind::S3 | Kind::Azure => manifest
            .strip_suffix("manifest.json")
            .map(|stem| format!("{stem}manifest.checksum")),
        Kind::Gcs => None,
    }
}

/// Does a folder name read as an S3 run (`2026-01-31T02-00Z`)?
fn is_s3_run(name: &str) -> bool {
    let b = name.as_bytes();
    b.len() == 17
        && b.iter().enumerate().all(|(i, &c)| match i {
            4 | 7 | 13 => c == b'-',
            10 => c == b'T',
            16 => c == b'Z',
            _ => c.is_ascii_digit(),
        })
}

/// The snapshot time in a GCS manifest's name, for ordering.
fn gcs_snapshot(name: &str) -> Option<&str> {
    let stem = name.strip_suffix("_manifest.json")?;
    stem.split_once('_').map(|(_, when)| when)
}

struct Lister<'a> {
    store: &'a Arc<dyn ObjectStore>,
    runtime: &'a tokio::runtime::Runtime,
}

impl Lister<'_> {
    /// Sub-folder names and object names right under `folder` ("" = root).
    fn children(&self, folder: &str) -> Result<(Vec<String>, Vec<String>), String> {
        let prefix = match folder {
            "" => None,
            f => Some(super::key_path(f)?),
        };
        let listed = self
            .runtime
            .block_on(self.store.list_with_delimiter(prefix.as_ref()))
            .map_err(|e| super::super::one_line(&e))?;
        let last = |p: &KeyPath| p.filename().unwrap_or_default().to_string();
        Ok((
            listed.common_prefixes.iter().map(last).collect(),
            listed.objects.iter().map(|o| last(&o.location)).collect(),
        ))
    }

    fn exists(&self, key: &str) -> bool {
        super::key_path(key).is_ok_and(|k| self.runtime.block_on(self.store.head(&k)).is_ok())
    }
}

fn join(folder: &str, name: &str) -> String {
    if folder.is_empty() {
        name.to_string()
    } else {
        format!("{}/{name}", folder.trim_end_matches('/'))
    }
}

/// The manifests a folder holds, newest complete run first; errors say
/// why none will do.
pub(super) fn in_folder(
    kind: Kind,
    store: &Arc<dyn ObjectStore>,
    runtime: &tokio::runtime::Runtime,
    folder: &str,
) -> Result<Vec<Found>, String> {
    let lister = Lister { store, runtime };
    let folder = folder.trim_matches('/');
    match kind {
        Kind::S3 => {
            let (mut runs, objects) = lister.children(folder)?;
            runs.retain(|r| is_s3_run(r));
            if runs.is_empty() && objects.iter().any(|o| o == "manifest.json") {
                // The run's own folder.
                runs.push(String::new());
            }
            runs.sort_unstable_by(|a, b| b.cmp(a));
            for run in runs.iter().take(MAX_RUNS) {
                let dir = join(folder, run);
                let checksum = join(&dir, "manifest.checksum");
                if lister.exists(&checksum) {
                    return Ok(vec![Found {
                        manifest: join(&dir, "manifest.json"),
                        checksum: Some(checksum),
                    }]);
                }
            }
            Err(if runs.is_empty() {
                "no inventory runs (YYYY-MM-DDTHH-MMZ/manifest.json) in this folder; give the inventory configuration's folder or a manifest.json".into()
            } else {
                "no complete inventory run here (no manifest.checksum yet)".into()
            })
        }
        Kind::Azure => azure_runs(&lister, folder),
        Kind::Gcs => {
            let (_, objects) = lister.children(folder)?;
            let mut manifests: Vec<&String> = objects
                .iter()
                .filter(|o| gcs_snapshot(o).is_some())
                .collect();
            manifests.sort_unstable_by(|a, b| {
                (gcs_snapshot(b), b.as_str()).cmp(&(gcs_snapshot(a), a.as_str()))
            });
            if manifests.is_empty() {
                return Err(
                    "no inventory report manifests (*_manifest.json) in this folder".into(),
                );
            }
            Ok(manifests
                .into_iter()
                .take(MAX_RUNS)
                .map(|m| Found {
                    manifest: join(folder, m),
                    checksum: None,
                })
                .collect())
        }
    }
}

/// Azure: newest `YYYY/MM/DD/HH-MM-SS/` first, backing off to older runs
/// while the newest is still being written.
fn azure_runs(lister: &Lister<'_>, rule: &str) -> Result<Vec<Found>, String> {
    let mut seen = 0usize;
    let numbered = |names: Vec<String>, width: usize| {
        let mut n: Vec<String> = names
            .into_iter()
            .filter(|s| s.len() == width && s.bytes().all(|c| c.is_ascii_digit() || c == b'-'))
            .collect();
        n.sort_unstable_by(|a, b| b.cmp(a));
        n
    };
    for year in numbered(lister.children("")?.0, 4) {
        for month in numbered(lister.children(&year)?.0, 2) {
            let month = join(&year, &month);
            for day in numbered(lister.children(&month)?.0, 2) {
                let day = join(&month, &day);
                for time in numbered(lister.children(&day)?.0, 8) {
                    let run = join(&day, &time);
                    seen += 1;
                    if seen > MAX_RUNS {
                        return Err(format!(
                            "no complete inventory run among the newest {MAX_RUNS}"
                        ));
                    }
                    let rules = if rule.is_empty() {
                        lister.children(&run)?.0
                    } else {
                        vec![rule.to_string()]
                    };
                    let complete: Vec<Found> = rules
                        .iter()
                        .map(|r| {
                            let stem = join(&join(&run, r), r);
                            Found {
                                manifest: format!("{stem}-manifest.json"),
                                checksum: Some(format!("{stem}-manifest.checksum")),
                            }
                        })
                        .filter(|f| f.checksum.as_deref().is_some_and(|c| lister.exists(c)))
                        .collect();
                    match complete.len() {
                        0 => continue,
                        1 => return Ok(complete),
                        _ => {
                            return Err(format!(
                                "the run {run} holds several rules ({}); name one: az://<container>/<rule>",
                                rules.join(", ")
                            ))
                        }
                    }
                }
            }
        }
    }
    Err(if rule.is_empty() {
        "no complete inventory run (YYYY/MM/DD/HH-MM-SS/<rule>/<rule>-manifest.checksum) in this container".into()
    } else {
        format!("no complete inventory run of rule {rule} in this container")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_folders_and_manifest_names() {
        assert!(is_s3_run("2026-01-31T02-00Z"));
        assert!(!is_s3_run("hive") && !is_s3_run("data") && !is_s3_run("2026-01-31T02-00"));
        assert_eq!(
            gcs_snapshot("0f2c9c0e-1b7a-4d0e-9d53-5d4f3b1a2c3d_2026-01-20T00:00_manifest.json"),
            Some("2026-01-20T00:00")
        );
        assert_eq!(gcs_snapshot("u_2026_0.csv"), None);
        assert_eq!(
            checksum_of(Kind::Azure, "2021/05/26/13-25-36/R/R-manifest.json").as_deref(),
            Some("2021/05/26/13-25-36/R/R-manifest.checksum")
        );
        assert_eq!(
            checksum_of(Kind::S3, "i/src/cfg/2026-01-31T02-00Z/manifest.json").as_deref(),
            Some("i/src/cfg/2026-01-31T02-00Z/manifest.checksum")
        );
        assert!(is_manifest("a/R-manifest.json") && !is_manifest("a/cfg/"));
    }
}
