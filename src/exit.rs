//! Exit codes of the contract, decided from the finished report.

use crate::cli::FailOn;
use crate::report::Report;
use crate::rules::Severity;

/// Exit codes of the contract.
pub const CLEAN: u8 = 0;
pub const FINDINGS: u8 = 1;
pub const USAGE: u8 = 2;
pub const INCOMPLETE: u8 = 3;

pub fn exit_status(report: &Report, fail_on: FailOn) -> u8 {
    let threshold = match fail_on {
        FailOn::Critical => Some(Severity::Critical),
        FailOn::High => Some(Severity::High),
        FailOn::Medium => Some(Severity::Medium),
        FailOn::Low => Some(Severity::Low),
        FailOn::Never => None,
    };
    if !report.complete {
        INCOMPLETE
    } else if report.fails(threshold) {
        FINDINGS
    } else {
        CLEAN
    }
}
