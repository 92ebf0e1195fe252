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
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Scan files and directories for unencrypted audio and biometric data.
    Scan(ScanArgs),
    /// Validate or list rules files.
    #[command(subcommand)]
    Rules(RulesCommand),
    /// Merge JSON reports of shards or runs into one (findings de-duplicated).
    Merge(MergeArgs),
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
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum FailOn {
    Critical,
    High,
    Medium,
    Low,
    Never,
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
    pub targets: Vec<String>,

    /// S3-compatible endpoint URL (MinIO, Ceph, R2, …); default: AWS_ENDPOINT_URL or AWS.
    #[arg(long, value_name = "URL")]
    pub endpoint: Option<String>,

    /// Object-store requests in flight at once.
    #[arg(long, value_name = "N", default_value_t = 32)]
    pub concurrency: usize,

    /// Cap on object-store requests per second (all buckets together).
    #[arg(long, value_name = "RATE")]
    pub max_requests_per_second: Option<f64>,

    #[command(flatten)]
    pub report: ReportArgs,

    /// Scan only paths matching GLOB (relative to the target); repeatable.
    #[arg(long, value_name = "GLOB")]
    pub include: Vec<String>,

    /// Skip paths matching GLOB (relative to the target); repeatable.
    #[arg(long, value_name = "GLOB")]
    pub exclude: Vec<String>,

    /// Worker threads (default: all cores).
    #[arg(short = 'j', long, value_name = "N")]
    pub threads: Option<usize>,

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
    #[arg(long, value_name = "K/N")]
    pub shard: Option<String>,

    /// How deep to look inside compressed files and archives (0: do not open them).
    #[arg(long, value_name = "N", default_value_t = 3)]
    pub max_archive_depth: u32,

    /// Also list every scanned object with its classification.
    #[arg(long)]
    pub inventory: bool,

    /// Follow symbolic links (loops are detected and skipped).
    #[arg(long)]
    pub follow_symlinks: bool,
}
