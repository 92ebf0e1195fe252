//! `atrest merge`: reports of shards or runs into one.

use anyhow::{Context, Result};

use crate::cli::MergeArgs;
use crate::config::load_rules;
use crate::exit::exit_status;
use crate::output::emit;
use crate::report::{self, OutputFormat, Report};

pub(super) fn merge_command(args: MergeArgs) -> Result<u8> {
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
