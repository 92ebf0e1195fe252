//! Settings resolved from the command line before any work starts ("high
//! args"): everything that can be wrong — rules, targets, globs, baseline,
//! output path, state file — is found here, so a mistake is exit 2 in
//! milliseconds, never after a scan. Buckets are connected later (that needs
//! the network) but still before any object is read.

use std::collections::HashSet;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use globset::{GlobSet, GlobSetBuilder};

use crate::cli::{FailOn, ListingMode, ProgressMode, ScanArgs, VersionsMode};
use crate::output::Output;
use crate::pipeline::Baseline;
use crate::report::OutputFormat;
use crate::rules::{path_globs, RuleSet};
use crate::source::bucket::BucketUrl;
use crate::source::fs::{folder_id, OutputWatch, OwnFiles, WalkOptions};
use crate::source::Shard;
use crate::state::State;

/// Reports and baselines larger than this are refused, not read into memory.
pub const MAX_REPORT_BYTES: u64 = 512 << 20;

/// A target as the user gave it, checked but not yet connected.
#[derive(Debug)]
pub enum Given {
    Local(std::path::PathBuf),
    Bucket(BucketUrl),
}

/// A validated `atrest scan`.
pub struct ScanConfig {
    pub rules: Arc<RuleSet>,
    pub targets: Vec<Given>,
    pub walk: WalkOptions,
    pub baseline: Baseline,
    pub threads: usize,
    /// Workers: one per request in flight when a target is a bucket (they
    /// wait on the network; CPU permits keep work to `threads`).
    pub workers: usize,
    pub concurrency: usize,
    pub max_requests_per_second: Option<f64>,
    pub endpoint: Option<String>,
    pub exposure: bool,
    /// `--inventory-from`: inventory reports to list buckets from.
    pub inventories: Vec<BucketUrl>,
    pub listing: ListingMode,
    /// `--versions all`: noncurrent versions an inventory lists are read.
    pub all_versions: bool,
    pub state: Option<State>,
    pub output: Output,
    pub fail_on: FailOn,
    pub fail_on_limits: bool,
    pub progress: bool,
    pub max_archive_depth: u32,
    pub inventory: bool,
    pub allow_empty: bool,
    pub max_duration: Option<Duration>,
    pub shard: Option<Shard>,
    /// Objects opened at once, when memory allows fewer than the workers.
    pub open_slots: Option<usize>,
}

impl ScanConfig {
    pub fn from_args(args: ScanArgs) -> Result<ScanConfig> {
        let rules = Arc::new(load_rules(args.report.rules.as_deref())?);
        let walk = WalkOptions {
            follow_symlinks: args.follow_symlinks,
            include: globs(&args.include, "--include")?,
            exclude: globs(&args.exclude, "--exclude")?,
            shard: args.shard,
            own: OwnFiles::default(),
            output: None,
            sorted: args.state.is_some(),
        };
        let mut targets = Vec::new();
        for t in &args.targets {
            // A name that is not UTF-8 can only be a local path.
            let url = match t.to_str() {
                Some(s) => BucketUrl::parse(s).map_err(anyhow::Error::msg)?,
                None => None,
            };
            targets.push(match url {
                Some(url) => Given::Bucket(url),
                None => {
                    let path = std::path::PathBuf::from(t);
                    check_local(&path, &walk, args.allow_empty)?;
                    Given::Local(path)
                }
            });
        }
        overlapping(&targets)?;
        // The state file (and its journals) are the run's own, never its
        // objects: named as a target, it would be skipped and the run clean.
        if let Some(state) = args.state.as_deref() {
            let own = state_files(state);
            for t in targets.iter().filter_map(|g| match g {
                Given::Local(p) => Some(p),
                Given::Bucket(_) => None,
            }) {
                if own.iter().any(|o| same_file(t, o)) {
                    bail!(
                        "{}: is the state file of this run (or its journal), not something to scan",
                        crate::source::fs::escape_path(t)
                    );
                }
            }
        }
        if !args.allow_empty {
            all_files_left_out(&targets, &walk)?;
        }
        let mut inventories = Vec::new();
        for u in &args.inventory_from {
            match BucketUrl::parse(u).map_err(|e| anyhow::anyhow!("--inventory-from {e}"))? {
                Some(url) => inventories.push(url),
                None => bail!("--inventory-from {u}: not an s3://, gs:// or az:// URL"),
            }
        }
        if !inventories.is_empty() && !targets.iter().any(|t| matches!(t, Given::Bucket(_))) {
            bail!("--inventory-from lists a bucket: give that bucket (s3://, gs://, az://) as a target");
        }
        let all_versions = args.versions == VersionsMode::All;
        if all_versions && inventories.is_empty() {
            bail!(
                "--versions all needs --inventory-from: a listing shows current objects only, \
                 an inventory with all versions included names the others"
            );
        }
        if let Some(rate) = args.max_requests_per_second {
            // Below one request per 1,000 s a pace is a stall, and its
            // interval leaves the range a clock can wait for.
            if !(rate >= 0.001 && rate.is_finite()) {
                bail!(
                    "--max-requests-per-second must be a number of at least 0.001 \
                     (one request every 1,000 s)"
                );
            }
        }
        if args.max_duration.is_some_and(|d| d.is_zero()) {
            bail!("--max-duration must be longer than zero");
        }
        let baseline = match args.baseline.as_deref() {
            Some(p) => Baseline {
                source: p.display().to_string(),
                fingerprints: load_baseline(p)?,
            },
            None => Baseline::default(),
        };
        let threads = args.threads.map_or_else(
            || std::thread::available_parallelism().map_or(1, |n| n.get()),
            usize::from,
        );
        let workers = if targets.iter().any(|t| matches!(t, Given::Bucket(_))) {
            threads.max(usize::from(args.concurrency))
        } else {
            threads
        };
        let open_slots = open_objects_within_memory(&rules, threads, workers)?;
        let progress = match args.progress {
            ProgressMode::Always => true,
            ProgressMode::Never => false,
            ProgressMode::Auto => std::io::IsTerminal::is_terminal(&std::io::stderr()),
        };
        // The report must not replace a file the run reads (`-o -` is
        // standard output, no file).
        if let Some(out) = args
            .report
            .output
            .as_deref()
            .filter(|o| *o != Path::new("-"))
        {
            let targets = args.targets.iter().map(|t| ("a target", Path::new(t)));
            let inputs = [
                ("the rules file", args.report.rules.as_deref()),
                ("the baseline", args.baseline.as_deref()),
                ("the state file", args.state.as_deref()),
            ];
            let inputs = inputs.into_iter().filter_map(|(what, p)| Some((what, p?)));
            // SQLite keeps the state's journals beside it and deletes them
            // as it closes: a report written there would vanish.
            let journals: Vec<PathBuf> = args.state.as_deref().map_or(Vec::new(), |state| {
                crate::state::journals(state).map(|(_, j)| j).collect()
            });
            let journals = journals
                .iter()
                .map(|j| ("a journal of the state file", j.as_path()));
            if let Some((what, _)) = targets
                .chain(inputs)
                .chain(journals)
                .find(|(_, p)| same_file(out, p))
            {
                bail!(
                    "-o {}: is {what} of this run; the report would replace it",
                    crate::source::fs::escape_path(out)
                );
            }
            // Inside a folder the run scans, only an earlier report may be
            // replaced: anything else there is what the audit is about.
            let local = args
                .targets
                .iter()
                .filter(|t| !t.to_string_lossy().contains("://"));
            if let Some(target) = local.map(Path::new).find(|t| lies_in(out, t)) {
                if !is_a_report(out) {
                    bail!(
                        "-o {}: lies in target {} and is not an atrest report; the report \
                         would replace it (choose another path)",
                        crate::source::fs::escape_path(out),
                        crate::source::fs::escape_path(target)
                    );
                }
            }
        }
        // The output before the state: a bad -o must not leave a new state file.
        let output = Output::open(&args.report, OutputFormat::Jsonl)?;
        // The run's own files are not objects of a target they lie in: the
        // report's temporary file, the state database and its journals. An
        // earlier report at the output path is scanned like any other file
        // before it is replaced: skipped, a file made to pass for one
        // would never be looked at.
        let mut own = output.temp_files();
        if let Some(state) = args.state.as_deref() {
            own.extend(state_files(state));
        }
        // An existing file at the -o path that the walk meets is a file of
        // a target, reached by another path (a second mount of a folder in
        // it): checked again before the report replaces it.
        let output_watch = args
            .report
            .output
            .as_deref()
            .filter(|o| *o != Path::new("-"))
            .and_then(OutputWatch::new)
            .map(Arc::new);
        let walk = WalkOptions {
            own: OwnFiles::new(&own),
            output: output_watch,
            ..walk
        };
        let state = match args.state.as_deref() {
            Some(p) => {
                // What a remembered verdict depends on besides the object itself.
                let key = format!(
                    "atrest {} build {} rules {} depth {}",
                    env!("CARGO_PKG_VERSION"),
                    env!("ATREST_BUILD_ID"),
                    rules.sha256,
                    args.max_archive_depth
                );
                Some(State::open(p, key)?)
            }
            None => None,
        };
        Ok(ScanConfig {
            rules,
            targets,
            walk,
            baseline,
            threads,
            workers,
            concurrency: usize::from(args.concurrency),
            max_requests_per_second: args.max_requests_per_second,
            endpoint: args.endpoint,
            exposure: args.exposure,
            inventories,
            listing: args.listing,
            all_versions,
            state,
            output,
            fail_on: args.report.fail_on,
            fail_on_limits: args.report.fail_on_limits,
            progress,
            max_archive_depth: args.max_archive_depth,
            inventory: args.inventory,
            allow_empty: args.allow_empty,
            max_duration: args.max_duration,
            shard: args.shard,
            open_slots,
        })
    }
}

/// Limits raised far enough let each worker hold gigabytes of one
/// object's members: fewer objects are then opened at once, and a limit no
/// single object fits under is refused before anything is read. The
/// slots, when fewer than the workers.
fn open_objects_within_memory(
    rules: &RuleSet,
    threads: usize,
    workers: usize,
) -> Result<Option<usize>> {
    use crate::pipeline::memory;
    let Some((available, what)) = memory::available(workers) else {
        return Ok(None);
    };
    let one = memory::per_object(&rules.limits, crate::pipeline::MAX_UNPACK_READ);
    let slots = memory::slots(workers, one, available);
    let held = format!(
        "limits.max_object_bytes = {} lets one object hold up to {} while its members \
         are read",
        rules.limits.max_object_bytes,
        crate::report::table::human_bytes(one)
    );
    if slots == 0 {
        bail!(
            "{}: {held}, more than {what} of {}; lower it",
            rules.source,
            crate::report::table::human_bytes(available)
        );
    }
    // Fewer slots than CPU threads is slower, and said when the rules
    // raised the limits (with the defaults only a small container is
    // short of room, and every run there would say so); fewer than the
    // workers that wait on a bucket's answers only bounds those waiting.
    let raised = rules.limits.max_object_bytes > crate::rules::Limits::default().max_object_bytes
        || rules.limits.max_member_bytes > crate::rules::Limits::default().max_member_bytes;
    if slots < threads && raised {
        crate::output::warn(&format!(
            "{held}: {slots} of {workers} workers open objects at once, within {what} of {}",
            crate::report::table::human_bytes(available)
        ));
    }
    Ok((slots < workers).then_some(slots))
}

/// The state file and the journals SQLite keeps beside it: the run's
/// own files, never its objects nor a place for its report.
fn state_files(state: &Path) -> Vec<PathBuf> {
    let mut files = vec![state.to_path_buf()];
    files.extend(crate::state::journals(state).map(|(_, j)| j));
    files
}

/// Both paths name one file: an existing one (links followed, as the
/// report's writer follows them), or one to be created (the same name in
/// the same folder, reached by any path, as a new state file).
fn same_file(a: &Path, b: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (std::fs::metadata(a), std::fs::metadata(b)) {
        (Ok(a), Ok(b)) => a.is_file() && a.dev() == b.dev() && a.ino() == b.ino(),
        (Err(_), Err(_)) => {
            let place = |p: &Path| Some((folder_id(p)?, p.file_name()?.to_owned()));
            place(a).is_some_and(|a| Some(a) == place(b))
        }
        _ => false,
    }
}

/// Two targets that cover the same objects (the same folder twice, a
/// folder and something inside it, the same bucket URL twice) would count
/// and report those objects twice, under two spellings of their path.
fn overlapping(targets: &[Given]) -> Result<()> {
    let mut seen: Vec<(String, Option<PathBuf>)> = Vec::new();
    for given in targets {
        let (shown, real) = match given {
            Given::Local(p) => (
                crate::source::fs::escape_path(p),
                std::fs::canonicalize(p).ok(),
            ),
            Given::Bucket(url) => (url.to_string(), None),
        };
        for (earlier, earlier_real) in &seen {
            let covered = match (&real, earlier_real) {
                (Some(a), Some(b)) => a.starts_with(b) || b.starts_with(a),
                _ => *earlier == shown,
            };
            if covered {
                bail!(
                    "{shown}: overlaps target {earlier}, which covers the same objects; \
                     give each once"
                );
            }
        }
        seen.push((shown, real));
    }
    Ok(())
}

/// Is `file` an existing file (links followed) below the folder `dir`?
/// Folders are compared by identity, not by path: through a bind mount
/// (a container given `-v $PWD:/scan -v $PWD/reports:/out`) a file in the
/// target has a path outside it.
fn lies_in(file: &Path, dir: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    let (Ok(file), Ok(dir)) = (std::fs::canonicalize(file), std::fs::metadata(dir)) else {
        return false;
    };
    if !(file.is_file() && dir.is_dir()) {
        return false;
    }
    let same = |m: std::fs::Metadata| m.dev() == dir.dev() && m.ino() == dir.ino();
    file.ancestors()
        .skip(1)
        .any(|a| std::fs::metadata(a).is_ok_and(same))
}

/// After the walk: may the report replace the file at `-o`? Not when the
/// walk met it (a file of a target) and it holds no earlier report.
pub fn output_replaceable(config: &ScanConfig) -> Result<()> {
    let Some(watch) = config.walk.output.as_ref().filter(|w| w.met()) else {
        return Ok(());
    };
    let output = &watch.path;
    if !is_a_report(output) {
        bail!(
            "-o {}: is a file of a target, reached by another path (a second mount of a \
             folder in it), and not an atrest report; it was not replaced and no report \
             was written (choose another path)",
            crate::source::fs::escape_path(output)
        );
    }
    Ok(())
}

/// Does `path` hold a report of an earlier run (or nothing)? The whole
/// file must be UTF-8 text in one of the report formats, checked end to
/// end: JSON or SARIF that parses, with the report's schema id or atrest
/// as SARIF's tool; JSON Lines whose every line is a record with a `kind`,
/// closed by a summary with its scan id; a table ending in its three
/// closing lines. Another program's JSON Lines, a script that merely
/// mentions atrest, or a recording whose comment quotes those markers is
/// none of these, and is never replaced.
fn is_a_report(path: &Path) -> bool {
    use std::io::{BufReader, Seek, SeekFrom};
    let Ok(mut file) = std::fs::File::open(path) else {
        return false;
    };
    let size = file.metadata().map(|m| m.len()).unwrap_or(0);
    if size == 0 {
        return true;
    }
    if !utf8_throughout(&mut file) {
        return false;
    }
    let (mut head, mut tail) = (Vec::new(), Vec::new());
    let read = file.seek(SeekFrom::Start(0)).is_ok()
        && (&mut file).take(4096).read_to_end(&mut head).is_ok()
        && file
            .seek(SeekFrom::Start(size.saturating_sub(4096)))
            .is_ok()
        && (&mut file).take(4096).read_to_end(&mut tail).is_ok()
        && file.seek(SeekFrom::Start(0)).is_ok();
    if !read {
        return false;
    }
    let (head, tail) = (
        String::from_utf8_lossy(&head),
        String::from_utf8_lossy(&tail),
    );
    let parses = |file: &mut std::fs::File| {
        let mut de = serde_json::Deserializer::from_reader(BufReader::new(file));
        serde::de::IgnoredAny::deserialize(&mut de).is_ok() && de.end().is_ok()
    };
    use serde::Deserialize;
    if head.contains("\"schema\": \"atrest.report/")
        || (head.contains("sarif") && head.contains("\"name\": \"atrest\""))
    {
        return parses(&mut file);
    }
    let last_line = tail.trim_end().rsplit('\n').next().unwrap_or_default();
    if last_line.starts_with("{\"kind\":\"summary\"") && last_line.contains("\"scan_id\"") {
        #[derive(Deserialize)]
        struct Record {
            #[allow(dead_code)]
            kind: String,
        }
        // A line at a time, each bounded: one endless line is no report.
        let mut reader = BufReader::new(file);
        let mut line = Vec::new();
        loop {
            match bounded_line(&mut reader, &mut line, 64 << 20) {
                Ok(true) => {}
                Ok(false) => return true,
                Err(_) => return false,
            }
            let text = line.trim_ascii_end();
            if !text.is_empty() && serde_json::from_slice::<Record>(text).is_err() {
                return false;
            }
        }
    }
    ["objects seen, ", "\nclasses: audio ", "\nfindings: "]
        .iter()
        .all(|l| tail.contains(l))
}

/// Every byte of `file` from where it stands is UTF-8 text without NUL,
/// read a chunk at a time (a report may be larger than memory should hold).
fn utf8_throughout(file: &mut std::fs::File) -> bool {
    let mut buf = vec![0u8; 1 << 20];
    let mut carried = 0;
    loop {
        let n = match file.read(&mut buf[carried..]) {
            Ok(n) => n,
            Err(_) => return false,
        };
        if n == 0 {
            return carried == 0;
        }
        let filled = carried + n;
        let valid = match std::str::from_utf8(&buf[..filled]) {
            Ok(_) => filled,
            // A character cut at the chunk's end is carried to the next.
            Err(e) if e.error_len().is_none() => e.valid_up_to(),
            Err(_) => return false,
        };
        if memchr::memchr(0, &buf[..valid]).is_some() {
            return false;
        }
        buf.copy_within(valid..filled, 0);
        carried = filled - valid;
    }
}

/// A local target must exist and, unless empty targets are allowed, hold
/// at least one object the globs let through: a mistyped folder or glob
/// must not pass as "no findings". The search stops at the first such
/// file, and gives up (accepting the target) after 100,000 entries, so a
/// large tree is not walked twice.
fn check_local(path: &Path, walk: &WalkOptions, allow_empty: bool) -> Result<()> {
    let target = crate::source::fs::escape_path(path);
    let Ok(meta) = std::fs::symlink_metadata(path) else {
        bail!("{target}: no such file or directory");
    };
    // A pipe, socket or device named as a target (`scan /dev/stdin` at the
    // end of a pipe) is never read: the run would say "no findings".
    let kind = std::fs::metadata(path)
        .map(|m| m.file_type())
        .unwrap_or(meta.file_type());
    if !allow_empty && !kind.is_file() && !kind.is_dir() && !kind.is_symlink() {
        bail!(
            "{target}: a pipe, socket or device, which atrest does not read; save the \
             stream to a file and scan that (--allow-empty accepts such a target)"
        );
    }
    if allow_empty || !meta.is_dir() {
        return Ok(());
    }
    let (mut seen, mut files, mut unread) = (0u32, 0u64, 0u64);
    for entry in walkdir::WalkDir::new(path)
        .follow_links(walk.follow_symlinks)
        .into_iter()
    {
        // Something there could not be read (a name past the path-length
        // limit, a folder without permission): not an empty target, and
        // the scan reports it as an error of its own.
        let Ok(entry) = entry else {
            return Ok(());
        };
        seen += 1;
        if seen > 100_000 {
            return Ok(());
        }
        if entry.file_type().is_dir() {
            continue;
        }
        // Links not followed, pipes, sockets and devices are not read.
        if !entry.file_type().is_file() {
            unread += 1;
            continue;
        }
        files += 1;
        let rel = entry.path().strip_prefix(path).unwrap_or(entry.path());
        let rel = rel
            .to_string_lossy()
            .replace(std::path::MAIN_SEPARATOR, "/");
        if !walk.is_excluded(&rel) {
            return Ok(());
        }
    }
    if files == 0 && unread > 0 {
        bail!(
            "{target}: the folder holds no regular files, only {unread} links, pipes or devices, \
             which are not read (--follow-symlinks follows links; --allow-empty accepts that)"
        );
    }
    if files == 0 {
        bail!("{target}: the folder holds no files (--allow-empty accepts that)");
    }
    bail!(
        "{target}: --include/--exclude leave none of its {files} files to scan (--allow-empty accepts that)"
    );
}

/// Files named as targets (as a pre-commit hook names staged files) that
/// `--include`/`--exclude` all leave out: the run would scan nothing, and
/// a mistyped glob must not pass as "no findings", as for a folder.
fn all_files_left_out(targets: &[Given], walk: &WalkOptions) -> Result<()> {
    let mut files = 0;
    for given in targets {
        let Given::Local(path) = given else {
            return Ok(());
        };
        if std::fs::metadata(path).is_ok_and(|m| m.is_dir()) {
            return Ok(());
        }
        let location = crate::source::fs::escape_path(path);
        if !walk.is_excluded(crate::source::fs::file_target_path(&location)) {
            return Ok(());
        }
        files += 1;
    }
    if files > 0 {
        bail!(
            "--include/--exclude leave none of the {files} files named as targets to scan \
             (--allow-empty accepts that)"
        );
    }
    Ok(())
}

pub fn load_rules(path: Option<&Path>) -> Result<RuleSet> {
    match path {
        Some(p) => Ok(RuleSet::load(p)?),
        None => Ok(RuleSet::embedded()),
    }
}

pub fn globs(patterns: &[String], flag: &str) -> Result<Option<GlobSet>> {
    if patterns.is_empty() {
        return Ok(None);
    }
    if patterns.len() > crate::rules::MAX_GLOBS {
        bail!(
            "{flag}: given {} times, more than {}: write fewer, wider patterns",
            patterns.len(),
            crate::rules::MAX_GLOBS
        );
    }
    let weight = crate::rules::weight(patterns.iter().map(String::as_str));
    if let Some(why) = crate::rules::globs_too_large(weight) {
        bail!("{flag}: {why}");
    }
    let mut b = GlobSetBuilder::new();
    for p in patterns {
        if p.trim_matches('/').is_empty() {
            bail!("{flag} {p:?}: an empty pattern (use --include '**' for everything)");
        }
        if let Some(why) = crate::rules::glob_too_large(p) {
            bail!("{flag} {}: {why}", shown_glob(p));
        }
        for glob in path_globs(p).with_context(|| format!("{flag} {p:?}: not a valid glob"))? {
            b.add(glob);
        }
    }
    Ok(Some(b.build().with_context(|| {
        format!("{flag}: the patterns cannot be compiled together")
    })?))
}

/// A glob as an error names it: a refused one may be kilobytes long.
fn shown_glob(p: &str) -> String {
    match p.char_indices().nth(64) {
        Some((end, _)) => format!("{:?}…", &p[..end]),
        None => format!("{p:?}"),
    }
}

/// Reads the next line of `reader` into `line` (cleared first), `false`
/// at the end. A line longer than `max` bytes is an error, read no
/// further than that: one endless line is never held whole.
fn bounded_line(
    reader: &mut impl std::io::BufRead,
    line: &mut Vec<u8>,
    max: u64,
) -> std::io::Result<bool> {
    use std::io::{BufRead, Read};
    line.clear();
    let read = reader.take(max + 1).read_until(b'\n', line)?;
    if read as u64 > max {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("a line longer than {} MiB", max >> 20),
        ));
    }
    Ok(read > 0)
}

/// Opens a report or baseline file, refusing what is not a regular file
/// or is larger than [`MAX_REPORT_BYTES`] (`/dev/zero` is not a report).
fn open_bounded(path: &Path, what: &str) -> Result<std::io::Take<std::fs::File>> {
    let shown = crate::source::fs::escape_path(path);
    let meta = std::fs::metadata(path).with_context(|| format!("{shown}: cannot read {what}"))?;
    if !meta.is_file() {
        bail!("{shown}: {what} must be a regular file");
    }
    if meta.len() > MAX_REPORT_BYTES {
        bail!(
            "{shown}: {what} is larger than {} MiB",
            MAX_REPORT_BYTES >> 20
        );
    }
    let file = std::fs::File::open(path).with_context(|| format!("{shown}: cannot read {what}"))?;
    Ok(file.take(MAX_REPORT_BYTES + 1))
}

/// Reads a report or baseline file whole, bounded as [`open_bounded`] says.
pub fn read_bounded(path: &Path, what: &str) -> Result<String> {
    let mut text = String::new();
    open_bounded(path, what)?
        .read_to_string(&mut text)
        .with_context(|| {
            format!(
                "{}: cannot read {what}",
                crate::source::fs::escape_path(path)
            )
        })?;
    Ok(text)
}

/// Of a JSON report, what a baseline keeps: the fingerprints. The other
/// fields are checked for presence and skipped, never held: a baseline of
/// a million findings costs their fingerprints, not the report.
#[derive(serde::Deserialize)]
struct BaselineReport {
    schema: String,
    #[allow(dead_code)]
    tool: serde::de::IgnoredAny,
    #[allow(dead_code)]
    summary: serde::de::IgnoredAny,
    findings: Vec<Fingerprinted>,
    /// Suppressed findings are written flattened: a fingerprint beside
    /// `by` and `reason`.
    #[serde(default)]
    suppressed: Vec<Fingerprinted>,
}

#[derive(serde::Deserialize)]
struct Fingerprinted {
    fingerprint: String,
}

/// A SARIF log, told apart to say why it is not a baseline.
#[derive(serde::Deserialize)]
struct SarifLog {
    #[allow(dead_code)]
    runs: serde::de::IgnoredAny,
}

/// One line of a JSONL report, as far as a baseline reads it.
#[derive(serde::Deserialize)]
struct BaselineLine {
    kind: String,
    fingerprint: Option<String>,
    schema: Option<String>,
}

/// Longest line of a JSONL baseline: a finding's line is a few KiB.
const MAX_BASELINE_LINE: u64 = 1 << 20;

/// A fingerprint as reports write it: 64 lower-case hex digits.
fn fingerprint(fp: &str) -> Result<String> {
    if fp.len() == 64 && fp.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
        Ok(fp.to_string())
    } else {
        bail!(
            "a fingerprint that is not 64 hex digits ({:?}…)",
            fp.chars().take(16).collect::<String>()
        )
    }
}

/// Reads the fingerprints of an earlier report (JSON, or JSONL findings),
/// streaming: what stays in memory is the set of fingerprints.
pub fn load_baseline(path: &Path) -> Result<HashSet<String>> {
    let shown = crate::source::fs::escape_path(path);
    let open = || open_bounded(path, "the baseline").map(std::io::BufReader::new);
    let ours = |schema: Option<&str>| schema == Some(crate::report::SCHEMA);
    let as_report = serde_json::from_reader::<_, BaselineReport>(open()?);
    if let Ok(report) = as_report.as_ref() {
        if !ours(Some(&report.schema)) {
            bail!(
                "{shown}: a report of schema {:?}, not {}",
                report.schema,
                crate::report::SCHEMA
            );
        }
        let findings = report.findings.iter().map(|f| &f.fingerprint);
        let suppressed = report.suppressed.iter().map(|s| &s.fingerprint);
        let mut set = HashSet::new();
        for fp in findings.chain(suppressed) {
            set.insert(fingerprint(fp).with_context(|| shown.clone())?);
        }
        return Ok(set);
    }
    // A document whose first line is no JSONL line either was meant as a
    // report: the report's fault is the one to name (a finding that is
    // not an object), not the JSONL reading's (a missing `kind`).
    let report_error = as_report.err();
    let report_fault = report_error.as_ref().filter(|e| e.is_data());
    if serde_json::from_reader::<_, SarifLog>(open()?).is_ok() {
        bail!("{shown}: a SARIF log is not a baseline; give the JSON or JSONL report of that run");
    }
    // A JSONL stream: findings, then its summary line last. A stream cut
    // off before the summary may have lost findings, and is refused.
    let mut set = HashSet::new();
    let mut summary = false;
    let mut reader = open()?;
    let mut line = Vec::new();
    let mut first = true;
    for i in 0.. {
        // A line of a finding is a few KiB: a longer one is not read whole.
        // A report on one long line (the JSON of a tool that does not
        // indent) is no JSONL line either: both faults are named.
        let more = match bounded_line(&mut reader, &mut line, MAX_BASELINE_LINE) {
            Ok(more) => more,
            Err(e) => match &report_error {
                Some(fault) if first => {
                    bail!("{shown}: not an atrest JSON report ({fault}) nor JSONL (line 1: {e})")
                }
                _ => {
                    let at = format!("{shown}:{}: not an atrest JSONL line", i + 1);
                    return Err(anyhow::Error::new(e).context(at));
                }
            },
        };
        if !more {
            break;
        }
        if line.trim_ascii().is_empty() {
            continue;
        }
        let v: BaselineLine = match serde_json::from_slice(&line) {
            Ok(v) => v,
            Err(e) => match &report_fault {
                Some(fault) if first => bail!("{shown}: not an atrest JSON report: {fault}"),
                _ => {
                    return Err(anyhow::Error::new(e).context(format!(
                        "{shown}:{}: not an atrest JSON report or JSONL line",
                        i + 1
                    )))
                }
            },
        };
        first = false;
        if summary {
            bail!("{shown}:{}: a line after the summary line", i + 1);
        }
        if let Some(fp) = v.fingerprint {
            set.insert(fingerprint(&fp).with_context(|| format!("{shown}:{}", i + 1))?);
        }
        if v.kind == "summary" {
            if !ours(v.schema.as_deref()) {
                bail!(
                    "{shown}:{}: a summary of another schema than {}",
                    i + 1,
                    crate::report::SCHEMA
                );
            }
            summary = true;
        }
    }
    if !summary {
        bail!("{shown}: no summary line: not an atrest report, or a JSONL stream cut off before its end");
    }
    Ok(set)
}
