//! atrest finds audio and biometric data stored without encryption.
//!
//! The pipeline, one module per stage, data flowing one way:
//! [`source`] (walk, bounded reads) → [`sniff`] (pure: bytes → format, class,
//! encryption) → [`unpack`] (inside archives, bounded) → [`pipeline::verdict`]
//! (pure: verdict × rules) → [`report`] (one model, many renderers).
//! [`pipeline`] is the parallel driver and the only module that knows them all.

// Detectors' `wants` are lists of ranges; a list of one is the common case.
#![allow(clippy::single_range_in_vec_init)]

pub mod cli;
pub mod pipeline;
pub mod progress;
pub mod report;
pub mod rules;
pub mod sniff;
pub mod source;
pub mod state;
pub mod unpack;

use std::collections::HashSet;
use std::io::{self, IsTerminal, Write};
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{bail, Context, Result};
use globset::{Glob, GlobSet, GlobSetBuilder};

use cli::{Cli, Command, FailOn, MergeArgs, ProgressMode, RulesCommand, ScanArgs};
use report::{OutputFormat, Report};
use rules::{RuleSet, Severity};

/// Exit codes of the contract.
pub mod exit {
    pub const CLEAN: u8 = 0;
    pub const FINDINGS: u8 = 1;
    pub const USAGE: u8 = 2;
    pub const INCOMPLETE: u8 = 3;
}

/// Runs the command line; all errors end here as one line on stderr.
pub fn run(cli: Cli) -> ExitCode {
    let result = match cli.command {
        Command::Scan(args) => scan_command(args),
        Command::Rules(RulesCommand::Check { file }) => rules_check(&file),
        Command::Rules(RulesCommand::List { file }) => rules_list(file.as_deref()),
        Command::Merge(args) => merge_command(args),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(e) if is_broken_pipe(&e) => ExitCode::from(exit::CLEAN),
        Err(e) => {
            eprintln!("atrest: {e:#}");
            ExitCode::from(exit::USAGE)
        }
    }
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<io::Error>()
            .is_some_and(|io| io.kind() == io::ErrorKind::BrokenPipe)
    })
}

fn load_rules(path: Option<&Path>) -> Result<RuleSet> {
    match path {
        Some(p) => RuleSet::load(p).map_err(|e| anyhow::anyhow!("{e}")),
        None => Ok(RuleSet::embedded()),
    }
}

fn globs(patterns: &[String], flag: &str) -> Result<Option<GlobSet>> {
    if patterns.is_empty() {
        return Ok(None);
    }
    let mut b = GlobSetBuilder::new();
    for p in patterns {
        b.add(Glob::new(p).with_context(|| format!("{flag} {p:?}: not a valid glob"))?);
    }
    Ok(Some(b.build()?))
}

/// Reads the fingerprints of an earlier report (JSON, or JSONL findings).
fn load_baseline(path: &Path) -> Result<HashSet<String>> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("{}: cannot read baseline", path.display()))?;
    let mut set = HashSet::new();
    if let Ok(report) = serde_json::from_str::<Report>(&text) {
        set.extend(report.findings.into_iter().map(|f| f.fingerprint));
        return Ok(set);
    }
    for (i, line) in text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
    {
        let v: serde_json::Value = serde_json::from_str(line).with_context(|| {
            format!(
                "{}:{}: not a JSON report or JSONL line",
                path.display(),
                i + 1
            )
        })?;
        if let Some(fp) = v.get("fingerprint").and_then(|f| f.as_str()) {
            set.insert(fp.to_string());
        }
    }
    Ok(set)
}

fn merge_command(args: MergeArgs) -> Result<u8> {
    let rules = load_rules(args.report.rules.as_deref())?;
    let mut reports = Vec::new();
    for path in &args.reports {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("{}: cannot read", path.display()))?;
        let report: Report = serde_json::from_str(&text).map_err(|e| {
            anyhow::anyhow!(
                "{}: not an atrest JSON report (line {}: {e})",
                path.display(),
                e.line()
            )
        })?;
        reports.push((path.display().to_string(), report));
    }
    let merged = report::merge::merge(reports).map_err(anyhow::Error::msg)?;
    emit(&merged, &args.report, &rules, OutputFormat::Json)?;
    Ok(exit_status(&merged, args.report.fail_on))
}

/// Writes the report as asked: `--format`, else a table on a terminal and
/// `piped` otherwise; colour only for a table going to a terminal.
fn emit(
    report: &Report,
    args: &cli::ReportArgs,
    rules: &RuleSet,
    piped: OutputFormat,
) -> Result<()> {
    let stdout_tty = io::stdout().is_terminal();
    let format = args
        .format
        .unwrap_or(if stdout_tty && args.output.is_none() {
            OutputFormat::Table
        } else {
            piped
        });
    let to_terminal = format == OutputFormat::Table && args.output.is_none() && stdout_tty;
    let color = wants_color(to_terminal, std::env::var_os("NO_COLOR"));
    write_report(report, format, rules, color, args.output.as_deref())
}

fn exit_status(report: &Report, fail_on: FailOn) -> u8 {
    let threshold = match fail_on {
        FailOn::Critical => Some(Severity::Critical),
        FailOn::High => Some(Severity::High),
        FailOn::Medium => Some(Severity::Medium),
        FailOn::Low => Some(Severity::Low),
        FailOn::Never => None,
    };
    if !report.complete {
        exit::INCOMPLETE
    } else if report.fails(threshold) {
        exit::FINDINGS
    } else {
        exit::CLEAN
    }
}

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

fn scan_command(args: ScanArgs) -> Result<u8> {
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

/// Colour only on a terminal, and never when `NO_COLOR` is set to anything
/// non-empty (no-color.org).
fn wants_color(to_terminal: bool, no_color: Option<std::ffi::OsString>) -> bool {
    to_terminal && no_color.is_none_or(|v| v.is_empty())
}

/// Writes to stdout, or atomically to a file: a temporary file in the same
/// folder, renamed over the target only once complete.
fn write_report(
    report: &Report,
    format: OutputFormat,
    rules: &RuleSet,
    color: bool,
    output: Option<&Path>,
) -> Result<()> {
    match output {
        None => {
            let stdout = io::stdout();
            let mut out = io::BufWriter::new(stdout.lock());
            report::render(report, format, rules, color, &mut out)?;
            out.flush()?;
        }
        Some(path) => {
            let dir = path
                .parent()
                .filter(|p| !p.as_os_str().is_empty())
                .unwrap_or(Path::new("."));
            let mut tmp = tempfile::NamedTempFile::new_in(dir)
                .with_context(|| format!("{}: cannot create the report", path.display()))?;
            {
                let mut out = io::BufWriter::new(tmp.as_file_mut());
                report::render(report, format, rules, false, &mut out)?;
                out.flush()?;
            }
            tmp.persist(path)
                .with_context(|| format!("{}: cannot write the report", path.display()))?;
        }
    }
    Ok(())
}

/// `atrest rules check FILE`: syntax, then every example and counter-example.
fn rules_check(file: &Path) -> Result<u8> {
    let rules = match RuleSet::load(file) {
        Ok(r) => r,
        Err(errors) => {
            for e in &errors.0 {
                eprintln!("{e}");
            }
            return Ok(exit::USAGE);
        }
    };
    let base = rules.base_dir.clone().unwrap_or_else(|| ".".into());
    let mut failures = Vec::new();
    let mut checked = 0;
    for rule in &rules.rules {
        for (example, expect) in rule
            .examples
            .iter()
            .map(|e| (e, true))
            .chain(rule.counter_examples.iter().map(|e| (e, false)))
        {
            checked += 1;
            let path = base.join(example);
            match rule_ids_for(&path, &rules) {
                Ok(ids) if ids.contains(&rule.id) == expect => {}
                Ok(ids) => failures.push(format!(
                    "{}: rule {}: {} {} {}, but it matched [{}]",
                    file.display(),
                    rule.id,
                    if expect { "example" } else { "counter-example" },
                    example,
                    if expect {
                        "is not flagged"
                    } else {
                        "is flagged"
                    },
                    ids.join(", ")
                )),
                Err(e) => failures.push(format!(
                    "{}: rule {}: {example}: {e:#}",
                    file.display(),
                    rule.id
                )),
            }
        }
    }
    for f in &failures {
        eprintln!("{f}");
    }
    if failures.is_empty() {
        println!(
            "{}: {} rules, {} examples verified",
            file.display(),
            rules.rules.len(),
            checked
        );
        Ok(exit::CLEAN)
    } else {
        Ok(exit::FINDINGS)
    }
}

/// The rule ids one file (and its members) triggers.
fn rule_ids_for(path: &Path, rules: &RuleSet) -> Result<Vec<String>> {
    let file = match source::fs::LocalFile::open(path)? {
        source::fs::Opened::File(f, size) => (f, size),
        source::fs::Opened::NotRegular => bail!("not a regular file"),
    };
    let (mut reader, size) = file;
    let mut head = Vec::new();
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    let inspection = pipeline::inspect(&mut reader, size, &name, &mut head, rules, 3)?;
    // The example's own path stands in for the relative path, so `paths`
    // globs apply; an allow-listed example counts as not flagged.
    let rel = path.to_string_lossy().to_string();
    let candidate = source::Candidate {
        location: rel.clone(),
        rel,
        size,
        origin: source::Origin::Local(path.to_path_buf()),
        version: None,
    };
    let verdict = pipeline::judge(&candidate, &inspection, rules, false);
    Ok(verdict.findings.into_iter().map(|f| f.rule).collect())
}

/// `a|b|c` for the rules listing.
fn joined<T: std::fmt::Display>(items: &[T]) -> String {
    items
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("|")
}

fn rules_list(file: Option<&Path>) -> Result<u8> {
    let rules = load_rules(file)?;
    let mut out = io::stdout().lock();
    writeln!(out, "# {} (sha256 {})", rules.source, &rules.sha256[..16])?;
    for r in &rules.rules {
        let conditions = [
            ("class", joined(&r.classes)),
            ("format", joined(&r.formats)),
            ("not format", joined(&r.exclude_formats)),
            ("encryption", joined(&r.encryption)),
        ];
        let what: Vec<String> = conditions
            .iter()
            .filter(|(_, v)| !v.is_empty())
            .map(|(k, v)| format!("{k} {v}"))
            .collect();
        writeln!(out, "{:<9} {:<28} {}", r.severity.as_str(), r.id, r.title)?;
        writeln!(out, "          matches {}", what.join(", "))?;
    }
    Ok(exit::CLEAN)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colour_needs_a_terminal_and_no_no_color() {
        assert!(wants_color(true, None));
        assert!(wants_color(true, Some("".into())));
        assert!(!wants_color(true, Some("1".into())));
        assert!(!wants_color(false, None));
    }
}
