//! The one owner of stdout and stderr. stdout (or `-o FILE`) carries the
//! report and nothing else; stderr carries the closing line, warnings and
//! errors, each one line and sanitised (an attacker chooses file names).
//!
//! `-o FILE` is checked before the scan starts: the report is written to a
//! temporary file beside it, created right away, and renamed over FILE once
//! complete, keeping FILE's mode (or the umask's) and following a symbolic
//! link to its target. Devices and FIFOs (`-o /dev/stdout`, `/dev/null`) are
//! written directly. A report that streams (`jsonl`) is written as objects
//! complete; a closed pipe stops the writing, never the scan or its exit
//! status.

use std::fs::{File, OpenOptions};
use std::io::{self, BufWriter, IsTerminal, Write};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

use crate::cli::ReportArgs;
use crate::exit::Exit;
use crate::pipeline::Sink;
use crate::report::jsonl::{self, Line};
use crate::report::table::sanitize;
use crate::report::{self, ErrorEntry, Finding, LimitEntry, ObjectEntry, OutputFormat, Report};
use crate::rules::RuleSet;

static QUIET: AtomicBool = AtomicBool::new(false);
/// The temporary report file, removed if a second signal ends the process.
static PENDING: Mutex<Option<PathBuf>> = Mutex::new(None);

/// `-q`: stderr carries errors only.
pub fn set_quiet(quiet: bool) {
    QUIET.store(quiet, Ordering::Relaxed);
}

fn stderr_line(text: &str) {
    let mut err = io::stderr().lock();
    let _ = writeln!(err, "atrest: {}", sanitize(text));
}

/// Structured logs on stderr: `-v` (per-target walks, retries, limits,
/// unreadable objects), `-vv` (every object and request); `ATREST_LOG` or
/// `RUST_LOG` (a tracing filter such as `atrest=debug,object_store=info`)
/// choose instead.
pub fn init_logging(verbose: u8) {
    let filter = std::env::var("ATREST_LOG")
        .or_else(|_| std::env::var("RUST_LOG"))
        .unwrap_or_else(|_| {
            match verbose {
                0 => "off",
                1 => "atrest=info,object_store=info",
                _ => "atrest=debug,object_store=debug",
            }
            .to_string()
        });
    let Ok(filter) = tracing_subscriber::EnvFilter::try_new(&filter) else {
        warn(&format!(
            "ATREST_LOG {filter:?} is not a valid filter; logging off"
        ));
        return;
    };
    // Log fields carry names an attacker chooses: every line goes through
    // the table's sanitising, which would also escape colours.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(|| LogLine(io::stderr()))
        .with_ansi(false)
        .log_internal_errors(false)
        .with_target(false)
        .compact()
        .try_init();
}

/// Stderr for one formatted log event: control characters in it (a file
/// name's escape sequences, carriage returns, newlines that would start a
/// fake log line) shown as `\xNN`, its own closing newline kept.
struct LogLine(io::Stderr);

impl Write for LogLine {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let text = String::from_utf8_lossy(buf);
        let (line, newline) = match text.strip_suffix('\n') {
            Some(line) => (line, "\n"),
            None => (&*text, ""),
        };
        // Logs are best effort: a stderr that fails (a pipe whose reader
        // left, a full disk) must not change the scan, and an error handed
        // back would make the subscriber print one itself, panicking where
        // that print fails too.
        let _ = self
            .0
            .write_all(format!("{}{newline}", sanitize(line)).as_bytes());
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        let _ = self.0.flush();
        Ok(())
    }
}

/// A configuration or fatal error: always shown.
pub fn error(text: &str) {
    stderr_line(text);
}

/// Something the user should know that does not change the exit status.
pub fn warn(text: &str) {
    if !QUIET.load(Ordering::Relaxed) {
        stderr_line(&format!("warning: {text}"));
    }
}

/// Informational lines (the closing line, listings of rules): not with `-q`.
pub fn info(text: &str) {
    if !QUIET.load(Ordering::Relaxed) {
        stderr_line(text);
    }
}

/// A diagnostic that starts with its own `file:line:col` (rules files).
pub fn located(text: &str) {
    let mut err = io::stderr().lock();
    let _ = writeln!(err, "{}", sanitize(text));
}

/// A command's own output on stdout (rules listings); a closed pipe is quiet.
pub fn print(text: &str) {
    let mut out = io::stdout().lock();
    let _ = out.write_all(text.as_bytes()).and_then(|()| out.flush());
}

/// Removes the temporary report file of an interrupted run (called from the
/// signal thread just before the process exits).
pub fn discard_pending() {
    if let Some(path) = PENDING.lock().unwrap_or_else(|e| e.into_inner()).take() {
        let _ = std::fs::remove_file(path);
    }
}

#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    #[error("{path}: cannot write the report here: {why}")]
    Unwritable { path: String, why: String },
    #[error("{path}: writing the report failed: {err}")]
    Write { path: String, err: io::Error },
}

/// Where the report goes.
enum Dest {
    Stdout,
    /// A regular file, replaced atomically.
    Atomic {
        target: PathBuf,
        temp: tempfile::NamedTempFile,
        mode: u32,
    },
    /// A device or FIFO, written in place.
    Direct(PathBuf),
}

/// The report's writer for one run.
pub struct Output {
    format: OutputFormat,
    color: bool,
    dest: Dest,
    /// Opened on the first write (a FIFO blocks until someone reads).
    writer: Option<Box<dyn Write + Send>>,
    /// The reader went away (`| head`): nothing more is written.
    closed: bool,
    failed: Option<io::Error>,
    shown: String,
}

/// The format `-o FILE`'s extension names, if any.
fn format_of(path: &Path) -> Option<OutputFormat> {
    let ext = path.extension()?.to_str()?.to_ascii_lowercase();
    Some(match ext.as_str() {
        "sarif" => OutputFormat::Sarif,
        "json" => OutputFormat::Json,
        "jsonl" | "ndjson" => OutputFormat::Jsonl,
        "txt" | "text" => OutputFormat::Table,
        _ => return None,
    })
}

/// The process's umask, for a new report file's mode. Calling umask(2)
/// would need `unsafe` (which the crate forbids) and would briefly change it;
/// Linux shows it in /proc.
fn umask() -> u32 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("Umask:"))
                .and_then(|v| u32::from_str_radix(v.trim(), 8).ok())
        })
        .unwrap_or(0o022)
}

impl Output {
    /// Resolves the format and checks the destination, before any work:
    /// `--format`, else `-o`'s extension, else a table on a terminal and
    /// `piped` otherwise.
    pub fn open(args: &ReportArgs, piped: OutputFormat) -> Result<Output, OutputError> {
        let stdout_tty = io::stdout().is_terminal();
        // `-o -` is standard output, as for most tools that take a path.
        let output = args.output.as_deref().filter(|p| *p != Path::new("-"));
        let format = args
            .format
            .or_else(|| output.and_then(format_of))
            .unwrap_or(if stdout_tty && output.is_none() {
                OutputFormat::Table
            } else {
                piped
            });
        let to_terminal = format == OutputFormat::Table && output.is_none() && stdout_tty;
        let color = wants_color(to_terminal, std::env::var_os("NO_COLOR"));
        let (dest, shown) = match output {
            None => (Dest::Stdout, "stdout".to_string()),
            Some(path) => (Self::destination(path)?, path.display().to_string()),
        };
        Ok(Output {
            format,
            color,
            dest,
            writer: None,
            closed: false,
            failed: None,
            shown,
        })
    }

    fn destination(path: &Path) -> Result<Dest, OutputError> {
        let unwritable = |why: String| OutputError::Unwritable {
            path: path.display().to_string(),
            why,
        };
        // A descriptor named as a path (`-o /dev/stdout` behind `>> log` or
        // a pipe) is written where it stands: reopened and renamed over, a
        // log's earlier lines would be lost, and a pipe has no path at all.
        if let Some(fd) = descriptor(path) {
            if fd == 1 {
                return Ok(Dest::Stdout);
            }
            OpenOptions::new()
                .append(true)
                .open(path)
                .map_err(|e| unwritable(e.to_string().to_lowercase()))?;
            return Ok(Dest::Direct(path.to_path_buf()));
        }
        // A link is followed: the report replaces what it points to.
        let target = match std::fs::symlink_metadata(path) {
            Ok(m) if m.file_type().is_symlink() => std::fs::canonicalize(path)
                .map_err(|e| unwritable(format!("the link leads nowhere ({e})")))?,
            _ => path.to_path_buf(),
        };
        match std::fs::metadata(&target) {
            Ok(m) if m.is_dir() => return Err(unwritable("it is a directory".into())),
            Ok(m) if !m.is_file() => {
                OpenOptions::new()
                    .write(true)
                    .custom_flags_nonblock()
                    .open(&target)
                    .map_err(|e| unwritable(e.to_string().to_lowercase()))?;
                return Ok(Dest::Direct(target));
            }
            _ => {}
        }
        let mode = std::fs::metadata(&target)
            .map(|m| m.mode() & 0o7777)
            .unwrap_or(0o666 & !umask());
        let dir = target
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        if !dir.is_dir() {
            return Err(unwritable(format!(
                "folder {} does not exist",
                dir.display()
            )));
        }
        let name = target
            .file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_else(|| "report".into());
        let temp = tempfile::Builder::new()
            .prefix(&format!(".{name}."))
            .suffix(".tmp")
            .tempfile_in(dir)
            .map_err(|e| unwritable(e.to_string().to_lowercase()))?;
        *PENDING.lock().unwrap_or_else(|e| e.into_inner()) = Some(temp.path().to_path_buf());
        Ok(Dest::Atomic { target, temp, mode })
    }

    pub fn format(&self) -> OutputFormat {
        self.format
    }

    /// The temporary file this run writes the report to until it is
    /// renamed over the report.
    pub fn temp_files(&self) -> Vec<PathBuf> {
        match &self.dest {
            Dest::Atomic { temp, .. } => vec![temp.path().to_path_buf()],
            Dest::Stdout | Dest::Direct(_) => Vec::new(),
        }
    }

    fn writer(&mut self) -> Option<&mut Box<dyn Write + Send>> {
        if self.closed || self.failed.is_some() {
            return None;
        }
        if self.writer.is_none() {
            let opened: io::Result<Box<dyn Write + Send>> = match &self.dest {
                Dest::Stdout => Ok(Box::new(BufWriter::new(io::stdout()))),
                Dest::Atomic { temp, .. } => temp
                    .reopen()
                    .map(|f| Box::new(BufWriter::new(f)) as Box<dyn Write + Send>),
                Dest::Direct(path) => OpenOptions::new()
                    .append(true)
                    .open(path)
                    .map(|f: File| Box::new(BufWriter::new(f)) as Box<dyn Write + Send>),
            };
            match opened {
                Ok(w) => self.writer = Some(w),
                Err(e) => {
                    self.failed = Some(e);
                    return None;
                }
            }
        }
        self.writer.as_mut()
    }

    /// Runs one write; a closed pipe ends all writing quietly, another
    /// failure is kept for [`Output::finish`] to report.
    fn write_with(&mut self, f: impl FnOnce(&mut dyn Write) -> io::Result<()>) {
        let Some(w) = self.writer() else {
            return;
        };
        if let Err(e) = f(w.as_mut()) {
            if e.kind() == io::ErrorKind::BrokenPipe {
                self.closed = true;
            } else {
                self.failed = Some(e);
            }
        }
    }

    fn stream(&mut self, line: &Line) {
        if self.format == OutputFormat::Jsonl {
            self.write_with(|w| jsonl::line(w, line));
        }
    }

    /// Writes the finished report (or, when streaming, its summary line) and
    /// puts the file in place.
    pub fn finish(
        mut self,
        report: &Report,
        rules: &RuleSet,
        exit: (Exit, &str),
    ) -> Result<(), OutputError> {
        let (format, color) = (self.format, self.color);
        let status = Some((exit.0.code(), exit.1));
        self.write_with(|w| match format {
            OutputFormat::Jsonl => jsonl::summary(w, report),
            _ => report::render(report, format, rules, color, status, w),
        });
        self.write_with(|w| w.flush());
        drop(self.writer.take());
        let fail = |err| OutputError::Write {
            path: self.shown.clone(),
            err,
        };
        if let Some(e) = self.failed.take() {
            return Err(fail(e));
        }
        if let Dest::Atomic { target, temp, mode } = self.dest {
            temp.as_file()
                .set_permissions(std::fs::Permissions::from_mode(mode))
                .map_err(fail)?;
            temp.persist(&target).map_err(|e| fail(e.error))?;
            PENDING.lock().unwrap_or_else(|e| e.into_inner()).take();
        }
        Ok(())
    }
}

/// Non-blocking open, so checking a FIFO does not wait for a reader.
trait NonBlock {
    fn custom_flags_nonblock(&mut self) -> &mut Self;
}

impl NonBlock for OpenOptions {
    fn custom_flags_nonblock(&mut self) -> &mut Self {
        use std::os::unix::fs::OpenOptionsExt;
        self.custom_flags(libc::O_NONBLOCK)
    }
}

impl Sink for Output {
    fn finding(&mut self, f: &Finding) {
        self.stream(&Line::Finding(f));
    }
    fn error(&mut self, e: &ErrorEntry) {
        self.stream(&Line::Error(e));
    }
    fn limit(&mut self, l: &LimitEntry) {
        self.stream(&Line::Limit(l));
    }
    fn object(&mut self, o: &ObjectEntry) {
        self.stream(&Line::Object(o));
    }
    fn streams(&self) -> bool {
        self.format == OutputFormat::Jsonl
    }
}

/// Colour only on a terminal, and never when `NO_COLOR` is set to anything
/// non-empty (no-color.org).
fn wants_color(to_terminal: bool, no_color: Option<std::ffi::OsString>) -> bool {
    to_terminal && no_color.is_none_or(|v| v.is_empty())
}

/// The descriptor a path names by itself (`/dev/stdout`, `/dev/stderr`,
/// `/dev/fd/N`, `/proc/self/fd/N`), as the path was given.
fn descriptor(path: &Path) -> Option<u32> {
    let p = path.to_str()?;
    match p {
        "/dev/stdin" => Some(0),
        "/dev/stdout" => Some(1),
        "/dev/stderr" => Some(2),
        _ => ["/dev/fd/", "/proc/self/fd/"]
            .iter()
            .find_map(|dir| p.strip_prefix(dir))
            .and_then(|n| n.parse().ok()),
    }
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

    #[test]
    fn the_extension_of_the_output_names_its_format() {
        assert_eq!(format_of(Path::new("r.sarif")), Some(OutputFormat::Sarif));
        assert_eq!(format_of(Path::new("r.JSON")), Some(OutputFormat::Json));
        assert_eq!(format_of(Path::new("r.ndjson")), Some(OutputFormat::Jsonl));
        assert_eq!(format_of(Path::new("r.txt")), Some(OutputFormat::Table));
        assert_eq!(format_of(Path::new("report")), None);
    }
}
