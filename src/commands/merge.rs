//! `atrest merge`: reports of shards or runs into one.

use anyhow::Result;

use crate::cli::MergeArgs;
use crate::config::{load_rules, read_bounded};
use crate::exit::Exit;
use crate::output::{self, Output};
use crate::report::{self, OutputFormat, Report};

pub(super) fn merge_command(args: MergeArgs) -> Result<Exit> {
    let rules = load_rules(args.report.rules.as_deref())?;
    let out = Output::open(&args.report, OutputFormat::Json)?;
    let mut reports = Vec::new();
    for path in &args.reports {
        let text = read_bounded(path, "the report")?;
        let report: Report = serde_json::from_str(&text).map_err(|e| {
            anyhow::anyhow!(
                "{}: not an atrest JSON report (line {}: {e})",
                path.display(),
                e.line()
            )
        })?;
        reports.push((path.display().to_string(), report));
    }
    let n = reports.len();
    let merged = report::merge::merge(reports).map_err(anyhow::Error::msg)?;
    let (exit, why) = Exit::of(&merged, args.report.fail_on, args.report.fail_on_limits);
    out.finish(&merged, &rules, (exit, &why))?;
    let s = &merged.summary;
    output::info(&format!(
        "merged {n} reports: {} objects, {} findings, {} errors; {why}",
        s.objects_seen, s.findings, s.errors
    ));
    Ok(exit)
}
