//! The documentation is part of the contract: reports the real binary writes
//! must match the JSON Schema in `docs/`, and the docs must name every format
//! id, limit, skip reason and rules-file error code the code can produce.
//!
//! The code is read as text where a name list lives in it; the file holding
//! a list is found by its declaration, so moving it does not break the test.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Output;

use assert_cmd::Command;
use jsonschema::{Draft, Resource, Validator};
use serde_json::Value;

mod common;

/// Where the line schema's relative `$ref` resolves from in these tests (no
/// file or network access is needed: the main schema is registered there).
const DOCS_BASE: &str = "https://atrest.invalid/docs/";

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn atrest() -> Command {
    let mut c = Command::cargo_bin("atrest").unwrap();
    c.current_dir(root()).env("SOURCE_DATE_EPOCH", "1700000000");
    c
}

fn run(args: &[&str]) -> Output {
    atrest()
        .args(args)
        .timeout(std::time::Duration::from_secs(120))
        .output()
        .unwrap()
}

fn read_json(path: &Path) -> Value {
    let text = fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn report_schema() -> Value {
    read_json(&root().join("docs/report.schema.json"))
}

fn report_validator() -> Validator {
    jsonschema::options()
        .with_draft(Draft::Draft202012)
        .should_validate_formats(true)
        .build(&report_schema())
        .expect("docs/report.schema.json compiles")
}

/// The validator of one JSONL line, built from `docs/report-line.schema.json`
/// as users would use it: its `$ref` points into `report.schema.json`.
fn line_validator() -> Validator {
    let main = Resource::from_contents(report_schema()).unwrap();
    jsonschema::options()
        .with_draft(Draft::Draft202012)
        .should_validate_formats(true)
        .with_base_uri(format!("{DOCS_BASE}report-line.schema.json"))
        .with_resource(format!("{DOCS_BASE}report.schema.json"), main)
        .build(&read_json(&root().join("docs/report-line.schema.json")))
        .expect("docs/report-line.schema.json compiles")
}

/// The validator of one kind of line alone: for a readable message when a
/// line fails the `oneOf` of the line schema.
fn kind_validator(kind: &str) -> Validator {
    let schema = report_schema();
    let name = format!("line{}{}", kind[..1].to_uppercase(), &kind[1..]);
    let only = serde_json::json!({
        "$schema": schema["$schema"],
        "$defs": schema["$defs"],
        "$ref": format!("#/$defs/{name}"),
    });
    jsonschema::options()
        .with_draft(Draft::Draft202012)
        .should_validate_formats(true)
        .build(&only)
        .unwrap()
}

fn assert_valid(validator: &Validator, instance: &Value, what: &str) {
    let errors: Vec<String> = validator
        .iter_errors(instance)
        .map(|e| format!("{e} at {}", e.instance_path))
        .take(10)
        .collect();
    assert!(errors.is_empty(), "{what}: {errors:#?}");
}

/// A `--format json` report, checked against the schema and the invariants
/// the schema cannot state (the counts reconcile and match the lists).
fn assert_report(report: &Value, what: &str) {
    assert_valid(&report_validator(), report, what);
    let s = &report["summary"];
    common::assert_reconciles(s);
    let len = |k: &str| report[k].as_array().unwrap().len() as u64;
    assert_eq!(s["findings"], len("findings"), "{what}: summary.findings");
    assert_eq!(s["errors"], len("errors"), "{what}: summary.errors");
    assert_eq!(s["limits_hit"], len("limits"), "{what}: summary.limits_hit");
    assert!(
        s["suppressed"].as_u64() >= Some(len("suppressed")),
        "{what}: summary.suppressed counts every listed suppression"
    );
    let severities: u64 = s["by_severity"]
        .as_object()
        .unwrap()
        .values()
        .map(|v| v.as_u64().unwrap())
        .sum();
    assert_eq!(severities, len("findings"), "{what}: by_severity");
    let classes: u64 = s["by_class"]
        .as_object()
        .unwrap()
        .values()
        .map(|v| v.as_u64().unwrap())
        .sum();
    assert_eq!(
        Some(classes),
        s["objects_scanned"].as_u64(),
        "{what}: by_class"
    );
}

/// Runs a command that writes a JSON report; exit 0, 1 or 3 are all reports.
fn json_of(args: &[&str]) -> Value {
    let out = run(args);
    assert!(
        matches!(out.status.code(), Some(0 | 1 | 3)),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{args:?}: {e}: {}", String::from_utf8_lossy(&out.stdout)))
}

/// Every line of a JSONL report against the line schema, and the order the
/// docs promise: one summary, last.
fn assert_jsonl(stdout: &[u8], what: &str) -> Vec<Value> {
    let validator = line_validator();
    let lines: Vec<Value> = String::from_utf8_lossy(stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{what}: {e}: {l}")))
        .collect();
    assert!(!lines.is_empty(), "{what}: no lines");
    for (i, line) in lines.iter().enumerate() {
        if !validator.is_valid(line) {
            let kind = line["kind"].as_str().unwrap_or("?");
            match ["finding", "error", "limit", "object", "summary"].contains(&kind) {
                true => assert_valid(&kind_validator(kind), line, &format!("{what} line {i}")),
                false => panic!("{what} line {i}: unknown kind {kind:?}: {line}"),
            }
            assert_valid(&validator, line, &format!("{what} line {i}"));
        }
    }
    let summaries = lines.iter().filter(|l| l["kind"] == "summary").count();
    assert_eq!(summaries, 1, "{what}: one summary line");
    assert_eq!(
        lines.last().unwrap()["kind"],
        "summary",
        "{what}: summary last"
    );
    common::assert_reconciles(lines.last().unwrap());
    lines
}

const EXCLUDES: [&str; 6] = [
    "--exclude",
    "*.sh",
    "--exclude",
    "*.py",
    "--exclude",
    "README.md",
];

#[test]
fn the_schemas_are_valid_json_schema_2020_12() {
    for name in ["report.schema.json", "report-line.schema.json"] {
        let schema = read_json(&root().join("docs").join(name));
        assert_eq!(
            schema["$schema"], "https://json-schema.org/draft/2020-12/schema",
            "{name}"
        );
        if let Err(e) = jsonschema::meta::validate(&schema) {
            panic!("{name}: {e} at {}", e.instance_path);
        }
    }
    // The schema rejects what the model does not have.
    let validator = report_validator();
    let report = json_of(&["scan", "fixtures/audio/wav", "--format", "json"]);
    assert_valid(&validator, &report, "wav fixtures");
    let mut extra = report.clone();
    extra["colour"] = Value::from("red");
    assert!(
        !validator.is_valid(&extra),
        "unknown top-level keys are rejected"
    );
    let mut bad = report.clone();
    bad["findings"][0]["encryption"] = Value::from("strong");
    assert!(!validator.is_valid(&bad), "encryption is an enum");
}

#[test]
fn json_reports_of_the_fixtures_match_the_schema() {
    let mut args = vec!["scan", "fixtures", "--format", "json", "--fail-on", "never"];
    args.extend(EXCLUDES);
    let plain = json_of(&args);
    assert_report(&plain, "scan fixtures");
    assert!(
        plain.get("objects").is_none(),
        "objects only with --inventory"
    );
    assert!(!plain["findings"].as_array().unwrap().is_empty());
    assert!(
        !plain["limits"].as_array().unwrap().is_empty(),
        "the 7z bomb"
    );

    args.push("--inventory");
    let inventory = json_of(&args);
    assert_report(&inventory, "scan fixtures --inventory");
    let objects = inventory["objects"].as_array().unwrap();
    assert!(objects.iter().any(|o| o["state"] == "scanned"));
    assert!(
        objects.iter().any(|o| o["state"] == "skipped:excluded"),
        "--exclude makes skipped entries"
    );
    assert!(
        objects.iter().any(|o| o["member"].is_string()),
        "members of archives are listed"
    );
}

#[test]
fn suppressed_findings_match_the_schema() {
    let dir = tempfile::tempdir().unwrap();
    // Accept today's findings under wav/ …
    let base = dir.path().join("base.json");
    let accepted = json_of(&[
        "scan",
        "fixtures/audio",
        "--format",
        "json",
        "--include",
        "wav/**",
    ]);
    fs::write(&base, accepted.to_string()).unwrap();
    // … and allow-list mp3/ with a reason, in a rules file that extends the embedded one.
    let rules = dir.path().join("allow.toml");
    fs::write(
        &rules,
        r#"extends = "default"

[[rule]]
id = "audio.unencrypted"
title = "Audio recording stored without encryption"
severity = "high"
category = "audio"
classes = ["audio"]
exclude_formats = ["raw-pcm"]
encryption = ["none"]

[[rule.allow]]
paths = ["mp3/**"]
reason = "published podcast episodes"
"#,
    )
    .unwrap();
    let report = json_of(&[
        "scan",
        "fixtures/audio",
        "--format",
        "json",
        "--fail-on",
        "never",
        "--rules",
        rules.to_str().unwrap(),
        "--baseline",
        base.to_str().unwrap(),
    ]);
    assert_report(&report, "scan with a baseline and an allow-list");
    let by: Vec<&str> = report["suppressed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["by"].as_str().unwrap())
        .collect();
    assert!(by.contains(&"baseline"), "{by:?}");
    assert!(by.contains(&"allow-list"), "{by:?}");
    assert!(report["rules"]["source"]
        .as_str()
        .unwrap()
        .ends_with("(extends embedded:default)"));
}

#[test]
fn shard_reports_and_their_merges_match_the_schema() {
    let dir = tempfile::tempdir().unwrap();
    let mut parts = Vec::new();
    for k in 0..2 {
        let shard = format!("{k}/2");
        let report = json_of(&[
            "scan",
            "fixtures/audio",
            "fixtures/biometric",
            "--format",
            "json",
            "--fail-on",
            "never",
            "--inventory",
            "--shard",
            &shard,
        ]);
        assert_report(&report, &format!("shard {shard}"));
        assert_eq!(report["shard"], shard.as_str());
        let path = dir.path().join(format!("part{k}.json"));
        fs::write(&path, report.to_string()).unwrap();
        parts.push(path.to_str().unwrap().to_string());
    }
    let merge = |parts: &[String], format: &str| {
        let mut args = vec!["merge", "--format", format, "--fail-on", "never"];
        args.extend(parts.iter().map(String::as_str));
        run(&args)
    };
    let whole = merge(&parts, "json");
    assert_eq!(whole.status.code(), Some(0));
    let whole: Value = serde_json::from_slice(&whole.stdout).unwrap();
    assert_report(&whole, "merge of both shards");
    assert_eq!(whole["shard"], Value::Null);
    assert!(whole.get("missing_shards").is_none());
    assert!(whole["objects"].is_array(), "inventories merge too");

    let half = merge(&parts[..1], "json");
    assert_eq!(half.status.code(), Some(3), "a missing shard is exit 3");
    let half: Value = serde_json::from_slice(&half.stdout).unwrap();
    assert_report(&half, "merge with a missing shard");
    assert_eq!(half["missing_shards"], serde_json::json!(["1/2"]));
    assert_eq!(half["complete"], false);

    let lines = merge(&parts[..1], "jsonl");
    assert_jsonl(&lines.stdout, "merge --format jsonl");
}

#[test]
fn every_jsonl_line_matches_the_line_schema() {
    let mut args = vec![
        "scan",
        "fixtures",
        "--format",
        "jsonl",
        "--inventory",
        "--fail-on",
        "never",
    ];
    args.extend(EXCLUDES);
    let out = run(&args);
    assert_eq!(out.status.code(), Some(0));
    let lines = assert_jsonl(&out.stdout, "scan fixtures --format jsonl --inventory");
    for kind in ["finding", "limit", "object"] {
        assert!(
            lines.iter().any(|l| l["kind"] == kind),
            "a {kind} line is exercised"
        );
    }
}

#[test]
fn skipped_and_unreadable_objects_match_the_schema() {
    use std::os::unix::fs::{symlink, PermissionsExt};
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    fs::copy(root().join("fixtures/audio/wav/pcm16.wav"), d.join("a.wav")).unwrap();
    assert!(std::process::Command::new("mkfifo")
        .arg(d.join("pipe"))
        .status()
        .unwrap()
        .success());
    fs::create_dir(d.join("sub")).unwrap();
    symlink(d, d.join("sub/loop")).unwrap();
    symlink(d.join("gone.wav"), d.join("dangling.wav")).unwrap();
    fs::write(d.join("locked.wav"), b"RIFF").unwrap();
    fs::set_permissions(d.join("locked.wav"), fs::Permissions::from_mode(0o000)).unwrap();
    let target = d.to_str().unwrap();
    for follow in [false, true] {
        let mut args = vec!["scan", target, "--format", "json", "--inventory"];
        if follow {
            args.push("--follow-symlinks");
        }
        let report = json_of(&args);
        assert_report(&report, &format!("special files, follow links: {follow}"));
        assert!(report["objects"]
            .as_array()
            .unwrap()
            .iter()
            .any(|o| o["state"].as_str().unwrap().starts_with("skipped:")));
        args[3] = "jsonl";
        let out = run(&args);
        assert_jsonl(&out.stdout, &format!("jsonl, follow links: {follow}"));
    }
    fs::set_permissions(d.join("locked.wav"), fs::Permissions::from_mode(0o600)).unwrap();
}

#[test]
fn an_interrupted_run_matches_the_schema() {
    for format in ["json", "jsonl"] {
        let out = run(&[
            "scan",
            "fixtures",
            "--format",
            format,
            "--fail-on",
            "never",
            "--max-duration",
            "1ms",
        ]);
        let summary = if format == "json" {
            let report: Value = serde_json::from_slice(&out.stdout).unwrap();
            assert_report(&report, "a run stopped by --max-duration");
            report
        } else {
            let lines = assert_jsonl(&out.stdout, "a jsonl run stopped by --max-duration");
            lines.last().unwrap().clone()
        };
        // The clock is read a few times a second: a fast run may finish first.
        let stopped = summary["interrupted"] == true;
        assert_eq!(out.status.code(), Some(if stopped { 3 } else { 0 }));
        assert_eq!(summary.get("stopped_by").is_some(), stopped);
    }
}

/// The source file under `src/` that contains `marker`.
fn source_with(marker: &str) -> String {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    let mut files = Vec::new();
    walk(&root().join("src"), &mut files);
    files.sort();
    files
        .iter()
        .map(|f| fs::read_to_string(f).unwrap())
        .find(|text| text.contains(marker))
        .unwrap_or_else(|| panic!("no file under src/ contains {marker:?}"))
}

/// The string literals of the block that starts at `marker` and ends at the
/// first line that is `end` (its indentation included).
fn literals_after(text: &str, marker: &str, end: &str) -> Vec<String> {
    let start = text.find(marker).unwrap() + marker.len();
    let rest = &text[start..];
    let block = &rest[..rest.find(end).unwrap_or(rest.len())];
    block
        .split('"')
        .skip(1)
        .step_by(2)
        .map(str::to_string)
        .collect()
}

fn doc(name: &str) -> String {
    fs::read_to_string(root().join("docs").join(name)).unwrap()
}

#[test]
fn every_registered_format_id_is_described_in_docs_formats_md() {
    let registry = source_with("pub const FORMATS: &[&str]");
    let ids = literals_after(&registry, "pub const FORMATS: &[&str] = &[", "\n];");
    assert!(ids.len() >= 90, "{} ids read from the registry", ids.len());
    let formats = doc("formats.md");
    let missing: Vec<&String> = ids
        .iter()
        .filter(|id| !formats.contains(&format!("`{id}`")))
        .collect();
    assert!(
        missing.is_empty(),
        "format ids of the registry not described (as `id`) in docs/formats.md: {missing:?}"
    );
}

#[test]
fn limits_skip_reasons_and_rule_error_codes_are_documented() {
    let schema = report_schema();
    let enum_of = |def: &str| -> Vec<String> {
        schema["$defs"][def]["enum"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap().to_string())
            .collect()
    };
    let limits = literals_after(
        &source_with("impl std::fmt::Display for Limit"),
        "impl std::fmt::Display for Limit",
        "\n}\n",
    );
    assert_eq!(
        sorted(limits.clone()),
        sorted(enum_of("limitName")),
        "limit names: code vs docs/report.schema.json"
    );
    let formats = doc("formats.md");
    let report = doc("report.md");
    for limit in &limits {
        assert!(
            formats.contains(&format!("`{limit}`")),
            "{limit} in docs/formats.md"
        );
        assert!(
            report.contains(&format!("`{limit}`")),
            "{limit} in docs/report.md"
        );
    }
    let source = source_with("impl SkipReason {");
    let skip_impl = &source[source.find("impl SkipReason {").unwrap()..];
    let skips = literals_after(skip_impl, "pub fn as_str(self)", "\n    }\n");
    assert_eq!(
        sorted(skips.clone()),
        sorted(enum_of("skipReason")),
        "skip reasons: code vs docs/report.schema.json"
    );
    for reason in &skips {
        assert!(
            report.contains(&format!("`{reason}`")),
            "{reason} in docs/report.md"
        );
    }
    // Every stable error code the rules parser can give is explained.
    let rules_src = source_with("pub struct RuleError");
    let mut codes: Vec<String> = rules_src
        .split('"')
        .filter(|s| {
            s.len() == 4 && s.starts_with('R') && s[1..].bytes().all(|b| b.is_ascii_digit())
        })
        .map(str::to_string)
        .collect();
    codes.sort();
    codes.dedup();
    assert!(codes.len() >= 10, "{codes:?}");
    let rules_doc = doc("rules.md");
    for code in &codes {
        assert!(
            rules_doc.contains(&format!("`{code}`")),
            "{code} in docs/rules.md"
        );
    }
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}
