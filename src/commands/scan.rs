//! `atrest scan`: validate, connect, run the pipeline, write the report.

use std::sync::Arc;
use std::time::Instant;

use anyhow::{bail, Context, Result};

use crate::cli::{ListingMode, ScanArgs};
use crate::config::{Given, ScanConfig};
use crate::exit::{plural, Exit};
use crate::pipeline::{self, Plan, Stop, Target};
use crate::progress::Progress;
use crate::report::table::human_bytes;
use crate::report::Report;
use crate::source::bucket::{Bucket, BucketUrl, Listing, RemoteOptions, Wire, Yields};
use crate::{gate, output};

pub(super) fn scan_command(args: ScanArgs) -> Result<Exit> {
    let clock = Instant::now();
    let mut config = ScanConfig::from_args(args)?;
    let stop = Arc::new(Stop::default());
    super::signals::install(&stop)?;
    // Buckets are connected (credentials, bucket, one listing request) last,
    // but still before anything is scanned: a bad target is exit 2.
    let (wire, targets) = connect(&config)?;
    stop.begin();
    gate::init(config.threads);
    if let Some(slots) = config.open_slots {
        pipeline::memory::limit_open_objects(slots);
    }
    let plan = Plan {
        targets,
        wire,
        walk: Arc::new(config.walk.clone()),
        threads: config.threads,
        workers: config.workers,
        max_archive_depth: config.max_archive_depth,
        inventory: config.inventory,
        rules: Arc::clone(&config.rules),
        max_duration: config.max_duration,
        shard: config.shard.map(|s| s.to_string()),
        state: config.state.as_ref().map(|s| s.access()),
    };
    let progress = Arc::new(Progress::new(config.progress));
    let report = pipeline::run(
        &plan,
        config.state.as_mut(),
        &config.baseline,
        &mut config.output,
        &progress,
        &stop,
    );
    let (exit, why) = Exit::of(&report, config.fail_on, config.fail_on_limits);
    crate::config::output_replaceable(&config)?;
    config.output.finish(&report, &config.rules, (exit, &why))?;
    output::info(&closing_line(&report, &why, clock.elapsed().as_secs_f64()));
    Ok(exit)
}

/// Local paths as they are; bucket URLs connected, in the order given. The
/// HTTP layer they share exists only when there is a bucket.
fn connect(config: &ScanConfig) -> Result<(Option<Arc<Wire>>, Vec<Target>)> {
    if config.targets.iter().all(|g| matches!(g, Given::Local(_))) {
        let locals = config.targets.iter().filter_map(|g| match g {
            Given::Local(path) => Some(Target::Local(path.clone())),
            Given::Bucket(_) => None,
        });
        return Ok((None, locals.collect()));
    }
    // object_store and reqwest are built with ring, not aws-lc (two minutes
    // less of C compilation on every clean build); rustls needs it named.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let runtime = Arc::new(
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .context("cannot start the I/O runtime")?,
    );
    let wire = Arc::new(Wire::new(config.max_requests_per_second));
    let opts = RemoteOptions {
        endpoint: config.endpoint.clone(),
        exposure: config.exposure,
        listing: match config.listing {
            ListingMode::Auto => Listing::Auto,
            ListingMode::Sequential => Listing::Sequential,
            ListingMode::Parallel => Listing::Parallel,
        },
        concurrency: config.concurrency,
        stable_shards: config.state.is_some(),
        all_versions: config.all_versions,
        ..Default::default()
    };
    // Inventories first: each must list one of the buckets given.
    let buckets: Vec<&BucketUrl> = config
        .targets
        .iter()
        .filter_map(|g| match g {
            Given::Bucket(url) => Some(url),
            Given::Local(_) => None,
        })
        .collect();
    let mut inventories = Vec::new();
    for url in &config.inventories {
        let inventory = Bucket::open_inventory(url, &buckets, &opts, &wire, &runtime)
            .map_err(anyhow::Error::msg)?;
        if !buckets.iter().any(|b| inventory.covers(b)) {
            bail!(
                "{}: the inventory lists {}, which is not a target (give that bucket as the target)",
                inventory.url(),
                inventory.lists()
            );
        }
        if config.all_versions && !inventory.names_versions() {
            bail!(
                "{}: --versions all: the inventory names no versions (no VersionId or generation \
                 column); include all versions in its configuration",
                inventory.url()
            );
        }
        inventories.push(Arc::new(inventory));
    }
    let mut targets = Vec::new();
    for given in &config.targets {
        targets.push(match given {
            Given::Local(path) => Target::Local(path.clone()),
            Given::Bucket(url) => {
                let mut bucket = Bucket::connect(url.clone(), &opts, &wire, &runtime)
                    .map_err(anyhow::Error::msg)?;
                if let Some(inventory) = inventories.iter().find(|i| i.covers(url)) {
                    bucket.use_inventory(Arc::clone(inventory));
                }
                if matches!(bucket.yields(), Yields::Nothing) && !config.allow_empty {
                    bail!(
                        "{url}: no objects under this {} (--allow-empty accepts that)",
                        if url.prefix.is_empty() {
                            "bucket"
                        } else {
                            "prefix"
                        }
                    );
                }
                Target::Bucket(Arc::new(bucket))
            }
        });
    }
    Ok((Some(wire), targets))
}

/// The one line a run ends with on stderr: what was seen, what was found,
/// and why the exit status is what it is.
pub(super) fn closing_line(report: &Report, why: &str, seconds: f64) -> String {
    let s = &report.summary;
    let v = &s.by_severity;
    let mut parts = vec![format!(
        "{} {} ({} read",
        s.objects_seen,
        plural(s.objects_seen, "object", "objects"),
        human_bytes(s.bytes_read)
    )];
    if s.requests > 0 {
        parts[0].push_str(&format!(", {} requests", s.requests));
    }
    parts[0].push_str(&format!(") in {seconds:.1} s"));
    let mut found = format!(
        "{} {}",
        s.findings,
        plural(s.findings, "finding", "findings")
    );
    let by: Vec<String> = [
        ("critical", v.critical),
        ("high", v.high),
        ("medium", v.medium),
        ("low", v.low),
    ]
    .iter()
    .filter(|(_, n)| *n > 0)
    .map(|(k, n)| format!("{n} {k}"))
    .collect();
    if !by.is_empty() {
        found.push_str(&format!(" ({})", by.join(", ")));
    }
    parts.push(found);
    if s.errors > 0 {
        parts.push(format!(
            "{} {}",
            s.errors,
            plural(s.errors, "error", "errors")
        ));
    }
    if s.limits_hit > 0 {
        parts.push(format!(
            "{} {} reached",
            s.limits_hit,
            plural(s.limits_hit, "limit", "limits")
        ));
    }
    if s.suppressed > 0 {
        parts.push(format!("{} suppressed", s.suppressed));
    }
    let per_target: Vec<String> = report
        .targets
        .iter()
        .map(|t| format!("{t}: {}", s.by_target.get(t).copied().unwrap_or(0)))
        .collect();
    format!("{}; {}; {}", parts.join(", "), per_target.join(", "), why)
}
