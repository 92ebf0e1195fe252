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
            // A JSON Lines report's first line is an object with a `kind`.
            let first = text.lines().next().unwrap_or_default();
            let jsonl = serde_json::from_str::<serde_json::Value>(first)
                .is_ok_and(|v| v.get("kind").is_some());
            if jsonl {
                anyhow::anyhow!(
                    "{}: a JSON Lines report; merge reads JSON reports (scan --format json)",
                    path.display()
                )
            } else {
                anyhow::anyhow!(
                    "{}: not an atrest JSON report (line {}: {e})",
                    path.display(),
                    e.line()
                )
            }
        })?;
        reports.push((path.display().to_string(), report));
    }
    let n = reports.len();
    let merged = report::merge::merge(reports).map_err(anyhow::Error::msg)?;
    // SARIF and the table describe each rule (title, help, level) from the
    // rules file: it must be the one the findings were judged by.
    if matches!(out.format(), OutputFormat::Sarif | OutputFormat::Table)
        && merged.rules.sha256 != rules.sha256
    {
        anyhow::bail!(
            "the reports were judged by rules {} (sha256 {}), not {} (sha256 {}); \
             give that rules file with --rules to describe their findings",
            merged.rules.source,
            merged.rules.sha256,
            rules.source,
            rules.sha256
        );
    }
    let (exit, why) = Exit::of(&merged, args.report.fail_on, args.report.fail_on_limits);
    out.finish(&merged, &rules, (exit, &why))?;
    let s = &merged.summary;
    output::info(&format!(
        "merged {n} reports: {} objects, {} findings, {} errors; {why}",
        s.objects_seen, s.findings, s.errors
    ));
    Ok(exit)
}
