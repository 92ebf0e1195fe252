//! The one owner of stdout and stderr: report rendering and atomic `-o`.

use std::io::{self, IsTerminal, Write};
use std::path::Path;

use anyhow::{Context, Result};

use crate::cli;
use crate::report::{self, OutputFormat, Report};
use crate::rules::RuleSet;

/// Writes the report as asked: `--format`, else a table on a terminal and
/// `piped` otherwise; colour only for a table going to a terminal.
pub fn emit(
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
