//! `atrest scan`: validate, connect, run the pipeline, write the report.

use std::io::{self, IsTerminal};
use std::sync::Arc;

use anyhow::{bail, Context, Result};

use crate::cli::{ProgressMode, ScanArgs};
use crate::config::{globs, load_baseline, load_rules};
use crate::exit::exit_status;
use crate::output::emit;
use crate::report::OutputFormat;
use crate::{pipeline, progress, source, state};

/// A target as the user gave it, checked but not yet connected.
enum Given {
    Local(String),
    Bucket(source::bucket::BucketUrl),
}

/// Local paths as they are; bucket URLs connected, in the order given. The
/// HTTP layer they share exists only when there is a bucket.
fn connect_targets(
    given: Vec<Given>,
    args: &ScanArgs,
) -> Result<(Option<Arc<source::bucket::Wire>>, Vec<pipeline::Target>)> {
    if given.iter().all(|g| matches!(g, Given::Local(_))) {
        let locals = given.into_iter().filter_map(|g| match g {
            Given::Local(path) => Some(pipeline::Target::Local(path)),
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
    let wire = Arc::new(source::bucket::Wire::new(args.max_requests_per_second));
    let opts = source::bucket::RemoteOptions {
        endpoint: args.endpoint.clone(),
        ..Default::default()
    };
    let targets = given
        .into_iter()
        .map(|g| match g {
            Given::Local(path) => Ok(pipeline::Target::Local(path)),
            Given::Bucket(url) => source::bucket::Bucket::connect(url, &opts, &wire, &runtime)
                .map(|b| pipeline::Target::Bucket(Arc::new(b)))
                .map_err(anyhow::Error::msg),
        })
        .collect::<Result<Vec<_>>>()?;
    Ok((Some(wire), targets))
}

pub(super) fn scan_command(args: ScanArgs) -> Result<u8> {
    // Everything that can be wrong with the configuration fails here, before any read.
    let rules = load_rules(args.report.rules.as_deref())?;
    let mut given = Vec::new();
    for t in &args.targets {
        given.push(
            match source::bucket::BucketUrl::parse(t).map_err(anyhow::Error::msg)? {
                Some(url) => Given::Bucket(url),
                None if std::fs::symlink_metadata(t).is_err() => {
                    bail!("{t}: no such file or directory")
                }
                None => Given::Local(t.clone()),
            },
        );
    }
    if args.concurrency == 0 {
        bail!("--concurrency must be at least 1");
    }
    if let Some(rate) = args.max_requests_per_second {
        if !(rate > 0.0 && rate.is_finite()) {
            bail!("--max-requests-per-second must be a positive number");
        }
    }
    let shard = args
        .shard
        .as_deref()
        .map(source::Shard::parse)
        .transpose()
        .map_err(anyhow::Error::msg)?;
    let baseline = args
        .baseline
        .as_deref()
        .map(load_baseline)
        .transpose()?
        .unwrap_or_default();
    let threads = args
        .threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    if threads == 0 {
        bail!("--threads must be at least 1");
    }
    let show_progress = match args.progress {
        ProgressMode::Always => true,
        ProgressMode::Never => false,
        ProgressMode::Auto => io::stderr().is_terminal(),
    };
    // What a remembered verdict depends on besides the object itself.
    let state_config = format!(
        "atrest {} rules {} depth {}",
        env!("CARGO_PKG_VERSION"),
        rules.sha256,
        args.max_archive_depth
    );
    let state = args
        .state
        .as_deref()
        .map(|p| state::State::open(p, state_config).map(Arc::new))
        .transpose()
        .map_err(anyhow::Error::msg)?;
    let walk = source::fs::WalkOptions {
        follow_symlinks: args.follow_symlinks,
        include: globs(&args.include, "--include")?,
        exclude: globs(&args.exclude, "--exclude")?,
        shard,
    };
    // Buckets are connected (credentials, bucket, one listing request) last,
    // but still before anything is scanned: a bad target is exit 2, not a
    // half-finished scan.
    let (wire, targets) = connect_targets(given, &args)?;
    // Remote reads wait on the network: one worker per request in flight.
    let threads = if wire.is_some() {
        threads.max(args.concurrency)
    } else {
        threads
    };
    let opts = pipeline::ScanOptions {
        targets,
        wire,
        state,
        walk,
        threads,
        max_archive_depth: args.max_archive_depth,
        inventory: args.inventory,
    };
    let progress = progress::Progress::new(show_progress);
    let report = pipeline::run(&opts, &rules, &baseline, &progress);
    emit(&report, &args.report, &rules, OutputFormat::Jsonl)?;
    if show_progress {
        eprintln!(
            "atrest: {} objects in {:.1}s, {} findings",
            report.summary.objects_seen,
            progress.elapsed().as_secs_f64(),
            report.summary.findings
        );
    }
    Ok(exit_status(&report, args.report.fail_on))
}
