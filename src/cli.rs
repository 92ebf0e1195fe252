//! The command line as the user types it (clap "low args"); `lib.rs` turns it
//! into validated settings before anything is read.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::report::OutputFormat;

#[derive(Parser, Debug)]
#[command(name = "atrest", version, about = "Find audio and biometric data stored without encryption", long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,

    /// Print nothing on stderr but errors (no closing line, no warnings).
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,

    /// More on stderr: -v per-target timing, retries and limits; -vv every object.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
}

// Built once per run: the size of the scan variant costs nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Subcommand, Debug)]
pub enum Command {
    /// Scan files and directories for unencrypted audio and biometric data.
    Scan(ScanArgs),
    /// Validate or list rules files.
    #[command(subcommand)]
    Rules(RulesCommand),
    /// Merge JSON reports of shards or runs into one (findings de-duplicated).
    Merge(MergeArgs),
    /// Print a shell completion script (bash, zsh, fish, powershell, elvish).
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff) to stdout: `atrest man > atrest.1`.
    Man,
}

#[derive(Args, Debug)]
pub struct MergeArgs {
    /// JSON reports written by `atrest scan --format json`.
    #[arg(required = true, value_name = "REPORT")]
    pub reports: Vec<PathBuf>,

    #[command(flatten)]
    pub report: ReportArgs,
}

/// How a report is written and judged (scan and merge alike).
#[derive(Args, Debug)]
pub struct ReportArgs {
    /// Rules file (TOML); default: the embedded rules (rules/default.toml).
    #[arg(long, value_name = "FILE")]
    pub rules: Option<PathBuf>,

    /// Report format; default: table on a terminal, else jsonl (scan) or json (merge).
    #[arg(long, value_enum)]
    pub format: Option<OutputFormat>,

    /// Write the report to FILE (atomically) instead of stdout.
    #[arg(short = 'o', long, value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Exit 1 when a finding at or above this severity remains.
    #[arg(long, value_enum, default_value = "high")]
    pub fail_on: FailOn,

    /// Exit 3 (incomplete) when any limit was reached: something was not
    /// looked at whole (an archive too deep, a member over budget, a format
    /// not opened).
    #[arg(long)]
    pub fail_on_limits: bool,
}

#[derive(Subcommand, Debug)]
pub enum RulesCommand {
    /// Validate a rules file and verify its example and counter-example files.
    Check {
        /// Rules file (TOML).
        file: PathBuf,
    },
    /// Print the rules of a file (default: the embedded rules).
    List { file: Option<PathBuf> },
    /// Print the embedded rules as TOML, to start a rules file of your own.
    Export,
    /// Print the format ids a rule's `formats` may name.
    Formats,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum FailOn {
    Critical,
    High,
    Medium,
    Low,
    Never,
}

/// `--listing`: how a bucket without an inventory is listed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ListingMode {
    /// Page by page, then in parallel by key range once the bucket proves large.
    Auto,
    /// Page by page only (one listing request at a time).
    Sequential,
    /// In parallel by key range as soon as there is a second page.
    Parallel,
}

/// `--versions`: which object versions of an inventory are read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum VersionsMode {
    /// Current objects; noncurrent versions are counted as skipped.
    Current,
    /// Noncurrent versions too, by their version id (S3, Azure) or
    /// generation (GCS); snapshots and soft-deleted blobs stay skipped.
    All,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ProgressMode {
    Auto,
    Always,
    Never,
}

#[derive(Args, Debug)]
pub struct ScanArgs {
    /// Local files or directories, or s3://, gs://, az:// (azure://) URLs.
    #[arg(required = true, value_name = "TARGET")]
    pub targets: Vec<std::ffi::OsString>,

    /// S3-compatible endpoint URL (MinIO, Ceph, R2, …); default: AWS_ENDPOINT_URL or AWS.
    #[arg(long, value_name = "URL")]
    pub endpoint: Option<String>,

    /// Object-store requests in flight at once (1–1024).
    #[arg(long, value_name = "N", default_value_t = 32, value_parser = clap::value_parser!(u16).range(1..=1024))]
    pub concurrency: u16,

    /// Skip the anonymous-access probe of buckets (two unsigned requests each).
    #[arg(long = "no-exposure", action = clap::ArgAction::SetFalse)]
    pub exposure: bool,

    /// Cap on object-store requests per second (all buckets together).
    #[arg(long, value_name = "RATE")]
    pub max_requests_per_second: Option<f64>,

    /// Use a bucket's inventory report as its object list instead of LIST: the URL of
    /// a manifest or of the folder of runs (the newest complete run is used); repeatable.
    #[arg(long, value_name = "URL")]
    pub inventory_from: Vec<String>,

    /// How buckets without an inventory are listed.
    #[arg(long, value_enum, default_value = "auto")]
    pub listing: ListingMode,

    /// Which versions an inventory's rows are read for: `current` objects only
    /// (older versions are counted as skipped), or `all` that a GET can ask for.
    #[arg(long, value_enum, default_value = "current")]
    pub versions: VersionsMode,

    #[command(flatten)]
    pub report: ReportArgs,

    /// Scan only paths matching GLOB (relative to the target); repeatable.
    #[arg(long, value_name = "GLOB")]
    pub include: Vec<String>,

    /// Skip paths matching GLOB (relative to the target); repeatable.
    #[arg(long, value_name = "GLOB")]
    pub exclude: Vec<String>,

    /// CPU threads (1–256; default: all cores).
    #[arg(short = 'j', long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=256))]
    pub threads: Option<u16>,

    /// Progress bar on stderr.
    #[arg(long, value_enum, default_value = "auto")]
    pub progress: ProgressMode,

    /// Suppress findings whose fingerprint is in FILE (an earlier JSON or JSONL report).
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,

    /// Incremental mode: an SQLite file remembering verdicts; unchanged objects are not read again.
    #[arg(long, value_name = "FILE")]
    pub state: Option<PathBuf>,

    /// Scan only objects whose stable hash falls in shard K of N.
    #[arg(long, value_name = "K/N", value_parser = crate::source::Shard::parse)]
    pub shard: Option<crate::source::Shard>,

    /// How deep to look inside compressed files and archives (0–16; 0: do not open them).
    #[arg(long, value_name = "N", default_value_t = 3, value_parser = clap::value_parser!(u32).range(0..=16))]
    pub max_archive_depth: u32,

    /// Stop cleanly after this long (e.g. 50m, 2h) with a partial report (exit 3).
    #[arg(long, value_name = "DURATION", value_parser = humantime::parse_duration)]
    pub max_duration: Option<std::time::Duration>,

    /// A target that yields no object is not an error (exit 2 otherwise).
    #[arg(long)]
    pub allow_empty: bool,

    /// Also list every scanned object with its classification.
    #[arg(long)]
    pub inventory: bool,

    /// Follow symbolic links (loops are detected and skipped).
    #[arg(long)]
    pub follow_symlinks: bool,
}
