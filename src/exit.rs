//! Exit codes of the contract, decided from the finished report (never
//! inside a renderer), each with the reason the closing line gives.

use std::process::ExitCode;

use crate::cli::FailOn;
use crate::report::Report;
use crate::rules::Severity;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exit {
    /// The run is complete and no finding reaches `--fail-on`.
    Clean,
    /// The run is complete and a finding reaches `--fail-on`.
    Findings,
    /// Usage or configuration error: nothing was scanned.
    Usage,
    /// Some objects could not be read, or the run was stopped early.
    Incomplete,
}

impl Exit {
    pub fn code(self) -> u8 {
        match self {
            Exit::Clean => 0,
            Exit::Findings => 1,
            Exit::Usage => 2,
            Exit::Incomplete => 3,
        }
    }

    /// The exit status of a finished report, and why, in words. With
    /// `fail_on_limits`, a limit reached makes the run incomplete.
    pub fn of(report: &Report, fail_on: FailOn, fail_on_limits: bool) -> (Exit, String) {
        let threshold = match fail_on {
            FailOn::Critical => Some(Severity::Critical),
            FailOn::High => Some(Severity::High),
            FailOn::Medium => Some(Severity::Medium),
            FailOn::Low => Some(Severity::Low),
            FailOn::Never => None,
        };
        let failing = threshold.map_or(0, |t| report.summary.by_severity.at_or_above(t));
        let s = &report.summary;
        if let Some(why) = &report.stopped_by {
            return (Exit::Incomplete, format!("exit 3: stopped early ({why})"));
        }
        if !report.missing_shards.is_empty() {
            // One line, however many are missing.
            let all = &report.missing_shards;
            let mut missing = all[..all.len().min(10)].join(", ");
            if all.len() > 10 {
                missing.push_str(&format!(" and {} more", all.len() - 10));
            }
            return (
                Exit::Incomplete,
                format!("exit 3: shards missing: {missing}"),
            );
        }
        if !report.complete {
            let n = s.errors;
            return (
                Exit::Incomplete,
                format!(
                    "exit 3: {n} {} (objects not read, or the walk or the state failing; listed under errors)",
                    plural(n, "error", "errors")
                ),
            );
        }
        if fail_on_limits && s.limits_hit > 0 {
            let n = s.limits_hit;
            return (
                Exit::Incomplete,
                format!(
                    "exit 3: {n} {} reached (--fail-on-limits)",
                    plural(n, "limit", "limits")
                ),
            );
        }
        match threshold {
            Some(t) if failing > 0 => (
                Exit::Findings,
                format!(
                    "exit 1: {failing} {} at or above {t}",
                    plural(failing, "finding", "findings")
                ),
            ),
            Some(t) => (Exit::Clean, format!("exit 0: no finding at or above {t}")),
            None => (Exit::Clean, "exit 0: --fail-on never".to_string()),
        }
    }
}

impl From<Exit> for ExitCode {
    fn from(e: Exit) -> ExitCode {
        ExitCode::from(e.code())
    }
}

pub fn plural<'a>(n: u64, one: &'a str, many: &'a str) -> &'a str {
    if n == 1 {
        one
    } else {
        many
    }
}
