//! JSONL: one object per line with a `kind`, the summary last.

use std::io::{self, Write};

use serde_json::Value;

use super::Report;

pub(super) fn write(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let mut line = |kind: &str, value: Value| -> io::Result<()> {
        let mut v = value;
        if let Value::Object(map) = &mut v {
            map.insert("kind".into(), Value::String(kind.into()));
        }
        serde_json::to_writer(&mut *out, &v)?;
        writeln!(out)
    };
    for f in &report.findings {
        line("finding", serde_json::to_value(f)?)?;
    }
    for e in &report.errors {
        line("error", serde_json::to_value(e)?)?;
    }
    for l in &report.limits {
        line("limit", serde_json::to_value(l)?)?;
    }
    for o in report.objects.iter().flatten() {
        line("object", serde_json::to_value(o)?)?;
    }
    let mut summary = serde_json::to_value(&report.summary)?;
    if let Value::Object(map) = &mut summary {
        map.insert("schema".into(), Value::String(report.schema.clone()));
        map.insert("complete".into(), Value::Bool(report.complete));
        map.insert("targets".into(), serde_json::to_value(&report.targets)?);
        map.insert("rules".into(), serde_json::to_value(&report.rules)?);
        map.insert(
            "started_at".into(),
            Value::String(report.started_at.clone()),
        );
        map.insert(
            "finished_at".into(),
            Value::String(report.finished_at.clone()),
        );
    }
    line("summary", summary)
}
