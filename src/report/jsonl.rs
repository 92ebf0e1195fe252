//! JSONL: one JSON object per line, each with a `kind`; the summary last.
//! A scan streams the lines in completion order as objects finish, so memory
//! stays flat; the summary line closes the stream.

use std::io::{self, Write};

use serde::Serialize;

use super::{ErrorEntry, Finding, LimitEntry, ObjectEntry, Report, RulesInfo, Summary};

/// One line of the stream.
#[derive(Serialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Line<'a> {
    Finding(&'a Finding),
    Error(&'a ErrorEntry),
    Limit(&'a LimitEntry),
    Object(&'a ObjectEntry),
    Summary(SummaryLine<'a>),
}

/// The last line: the summary with what describes the run.
#[derive(Serialize)]
pub struct SummaryLine<'a> {
    #[serde(flatten)]
    summary: &'a Summary,
    schema: &'a str,
    tool: &'a super::Tool,
    complete: bool,
    interrupted: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    stopped_by: Option<&'a str>,
    shard: Option<&'a str>,
    scan_id: &'a str,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    missing_shards: &'a [String],
    targets: &'a [String],
    rules: &'a RulesInfo,
    started_at: &'a str,
    finished_at: &'a str,
}

pub fn line(out: &mut dyn Write, line: &Line) -> io::Result<()> {
    serde_json::to_writer(&mut *out, line)?;
    writeln!(out)
}

pub fn summary(out: &mut dyn Write, r: &Report) -> io::Result<()> {
    line(
        out,
        &Line::Summary(SummaryLine {
            summary: &r.summary,
            schema: &r.schema,
            tool: &r.tool,
            complete: r.complete,
            interrupted: r.interrupted,
            stopped_by: r.stopped_by.as_deref(),
            shard: r.shard.as_deref(),
            scan_id: &r.scan_id,
            missing_shards: &r.missing_shards,
            targets: &r.targets,
            rules: &r.rules,
            started_at: &r.started_at,
            finished_at: &r.finished_at,
        }),
    )
}

/// A finished report as JSONL (what `merge` writes; a scan streams instead).
pub(super) fn write(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    for f in &report.findings {
        line(out, &Line::Finding(f))?;
    }
    for e in &report.errors {
        line(out, &Line::Error(e))?;
    }
    for l in &report.limits {
        line(out, &Line::Limit(l))?;
    }
    for o in report.objects.iter().flatten() {
        line(out, &Line::Object(o))?;
    }
    summary(out, report)
}
