//! The run around the verdict, through the real binary: what a scan refuses
//! before it starts, what it keeps when it is stopped, and what it writes
//! where. (Bucket runs, signals and deadlines: tests/buckets.rs.)

use std::fs;
use std::os::unix::fs::{symlink, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::Value;

mod common;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn atrest() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_atrest"));
    c.current_dir(root())
        .env("SOURCE_DATE_EPOCH", "1700000000")
        .env_remove("NO_COLOR");
    c
}

fn run_in(dir: &Path, args: &[&str]) -> Output {
    atrest().current_dir(dir).args(args).output().unwrap()
}

fn run(args: &[&str]) -> Output {
    run_in(&root(), args)
}

fn json(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{e}: {}\nstderr: {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn wav() -> Vec<u8> {
    fs::read(root().join("fixtures/audio/wav/pcm16.wav")).unwrap()
}

/// One string field of every finding, sorted.
fn of_findings(r: &Value, field: &str) -> Vec<String> {
    let mut v: Vec<String> = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f[field].as_str().unwrap().to_string())
        .collect();
    v.sort();
    v
}

fn fingerprints(r: &Value) -> Vec<String> {
    of_findings(r, "fingerprint")
}

#[test]
fn an_unwritable_output_is_refused_before_anything_is_read() {
    let out = run(&["scan", "fixtures", "-o", "/nonexistent-dir/report.json"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("/nonexistent-dir/report.json") && err.contains("does not exist"),
        "{err}"
    );
    assert!(!err.contains(".tmp"), "no temp-file name: {err}");
    let dir = tempfile::tempdir().unwrap();
    let out = run(&["scan", "fixtures", "-o", dir.path().to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "a folder is not a report file");
}

#[test]
fn output_files_keep_their_mode_follow_links_and_devices_stay_devices() {
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("report.json");
    fs::write(&report, "old").unwrap();
    fs::set_permissions(&report, fs::Permissions::from_mode(0o644)).unwrap();
    let link = dir.path().join("latest.json");
    symlink(&report, &link).unwrap();
    let out = run(&[
        "scan",
        "fixtures/audio/wav",
        "--fail-on",
        "never",
        "-o",
        link.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(fs::symlink_metadata(&link)
        .unwrap()
        .file_type()
        .is_symlink());
    let text = fs::read_to_string(&report).unwrap();
    assert!(
        text.starts_with('{'),
        "the link's target got the report (.json: json)"
    );
    assert_eq!(
        fs::metadata(&report).unwrap().permissions().mode() & 0o777,
        0o644
    );
    let leftovers: Vec<_> = fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .filter(|n| n.to_string_lossy().ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    // A device is written in place, never replaced by a regular file.
    let out = run(&["scan", "fixtures/audio/wav", "-o", "/dev/null"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(!fs::metadata("/dev/null").unwrap().is_file());
}

#[test]
fn the_output_extension_names_the_format() {
    let dir = tempfile::tempdir().unwrap();
    for (name, check) in [
        ("r.sarif", "\"version\": \"2.1.0\""),
        ("r.json", "\"schema\": \"atrest.report/1\""),
        ("r.jsonl", "\"kind\":\"summary\""),
        ("r.txt", "findings"),
    ] {
        let path = dir.path().join(name);
        run(&["scan", "fixtures/audio/wav", "-o", path.to_str().unwrap()]);
        let text = fs::read_to_string(&path).unwrap();
        assert!(text.contains(check), "{name}: {text:.200}");
    }
}

#[test]
fn a_closed_pipe_keeps_the_exit_status_the_findings_give() {
    let bin = env!("CARGO_BIN_EXE_atrest");
    let status = Command::new("bash")
        .current_dir(root())
        .arg("-c")
        .arg(format!(
            "set -o pipefail; '{bin}' scan fixtures --format jsonl | head -c 1 >/dev/null"
        ))
        .status()
        .unwrap();
    assert_eq!(status.code(), Some(1), "findings at or above high: exit 1");
}

/// Logs are best effort: a stderr nobody reads any more (its pipe's reader
/// gone) once stopped the walk, and the run reported nothing as complete.
#[test]
fn logging_to_a_closed_stderr_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    for i in 0..20 {
        fs::write(dir.path().join(format!("call{i}.wav")), wav()).unwrap();
    }
    let report = dir.path().join("report.json");
    let bin = env!("CARGO_BIN_EXE_atrest");
    let status = Command::new("bash")
        .current_dir(dir.path())
        .env("RUST_LOG", "debug")
        .arg("-c")
        .arg(format!(
            "exec 2> >(exit 0); sleep 0.2; '{bin}' scan . --format json -o '{}' --exclude report.json",
            report.display()
        ))
        .status()
        .unwrap();
    assert_eq!(status.code(), Some(1), "20 findings: exit 1");
    let r: Value = serde_json::from_slice(&fs::read(&report).unwrap()).unwrap();
    assert_eq!(r["complete"], true);
    assert_eq!(r["summary"]["findings"], 20);
}

#[test]
fn empty_targets_are_an_error_unless_allowed() {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir_all(dir.path().join("a/b")).unwrap();
    let target = dir.path().to_str().unwrap();
    let out = run(&["scan", target]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains(target) && stderr(&out).contains("--allow-empty"));
    let out = run(&["scan", target, "--allow-empty", "--format", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(json(&out)["summary"]["objects_seen"], 0);
}

#[test]
fn the_closing_line_says_what_each_target_yielded_and_why_the_exit() {
    let out = run(&[
        "scan",
        "fixtures/audio/wav",
        "fixtures/other/text",
        "--format",
        "json",
    ]);
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    let wavs = fs::read_dir(root().join("fixtures/audio/wav"))
        .unwrap()
        .count();
    assert!(
        err.contains(&format!("fixtures/audio/wav: {wavs}")),
        "{err}"
    );
    assert!(err.contains("fixtures/other/text: "), "{err}");
    assert!(
        err.contains("exit 1: ") && err.contains("at or above high"),
        "{err}"
    );
    let r = json(&out);
    assert_eq!(r["summary"]["by_target"]["fixtures/audio/wav"], wavs);
}

#[test]
fn fingerprints_do_not_depend_on_how_the_target_was_spelled() {
    let work = tempfile::tempdir().unwrap();
    let repo = work.path().join("repo");
    fs::create_dir_all(repo.join("calls")).unwrap();
    fs::write(repo.join("calls/a.wav"), wav()).unwrap();
    fs::create_dir_all(work.path().join("other")).unwrap();
    let spellings: [(&Path, String); 4] = [
        (&repo, ".".into()),
        (&repo, "./".into()),
        (&repo, repo.display().to_string()),
        (&work.path().join("other"), "../repo".into()),
    ];
    let mut seen = Vec::new();
    for (cwd, target) in &spellings {
        let out = run_in(cwd, &["scan", target, "--format", "json"]);
        seen.push(fingerprints(&json(&out)));
    }
    assert!(!seen[0].is_empty());
    assert!(seen.iter().all(|f| *f == seen[0]), "{seen:?}");
    // So a baseline written at `.` holds in CI at an absolute path.
    let base = work.path().join("base.json");
    run_in(
        &repo,
        &[
            "scan",
            ".",
            "--format",
            "json",
            "-o",
            base.to_str().unwrap(),
        ],
    );
    let out = run(&[
        "scan",
        repo.to_str().unwrap(),
        "--format",
        "json",
        "--baseline",
        base.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let r = json(&out);
    assert_eq!(r["summary"]["findings"], 0);
    assert_eq!(r["suppressed"][0]["by"], "baseline");
    // SARIF: relative to the target root, anchored by a uriBaseId.
    let out = run(&["scan", repo.to_str().unwrap(), "--format", "sarif"]);
    let sarif = json(&out);
    let location = &sarif["runs"][0]["results"][0]["locations"][0]["physicalLocation"];
    assert_eq!(location["artifactLocation"]["uri"], "calls/a.wav");
    assert_eq!(location["artifactLocation"]["uriBaseId"], "TARGET0");
    let base_uri = sarif["runs"][0]["originalUriBaseIds"]["TARGET0"]["uri"]
        .as_str()
        .unwrap();
    assert!(
        base_uri.starts_with("file:///") && base_uri.ends_with("/repo/"),
        "{base_uri}"
    );
}

#[test]
fn names_that_differ_only_in_invalid_bytes_stay_two_findings() {
    use std::ffi::OsStr;
    use std::os::unix::ffi::OsStrExt;
    let dir = tempfile::tempdir().unwrap();
    for name in [&b"x\xff.wav"[..], &b"x\xfe.wav"[..]] {
        fs::write(dir.path().join(OsStr::from_bytes(name)), wav()).unwrap();
    }
    let out = run(&["scan", dir.path().to_str().unwrap(), "--format", "json"]);
    let r = json(&out);
    let locations: Vec<&str> = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["location"].as_str().unwrap())
        .collect();
    assert_eq!(locations.len(), 2, "{locations:?}");
    assert!(locations[0].ends_with("x\\xfe.wav") && locations[1].ends_with("x\\xff.wav"));
    let prints = fingerprints(&r);
    assert_ne!(prints[0], prints[1]);
    // Each file named on the command line: a target need not be UTF-8.
    let named = atrest()
        .arg("scan")
        .arg(dir.path().join(OsStr::from_bytes(b"x\xff.wav")))
        .args(["--format", "json"])
        .output()
        .unwrap();
    assert_eq!(named.status.code(), Some(1), "{}", stderr(&named));
    let one = json(&named);
    assert!(
        one["findings"][0]["location"]
            .as_str()
            .unwrap()
            .ends_with("x\\xff.wav"),
        "{one}"
    );
}

#[test]
fn followed_links_that_loop_or_lead_nowhere_are_skips_not_errors() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    fs::write(d.join("a.wav"), wav()).unwrap();
    symlink("self", d.join("self")).unwrap();
    symlink("ping", d.join("pong")).unwrap();
    symlink("pong", d.join("ping")).unwrap();
    symlink("missing", d.join("dangling")).unwrap();
    symlink(".", d.join("here")).unwrap();
    let out = run(&[
        "scan",
        d.to_str().unwrap(),
        "--follow-symlinks",
        "--format",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let r = json(&out);
    let skipped = &r["summary"]["skipped"];
    assert_eq!(skipped["symlink-loop"], 4, "{skipped}");
    assert_eq!(skipped["dangling-symlink"], 1, "{skipped}");
    assert_eq!(r["summary"]["errors"], 0);
    common::assert_reconciles(&r["summary"]);
}

/// A verdict depends on the path below the target (an allow-list's
/// `paths` match it): a run over a subfolder judges its objects anew, not
/// with the verdicts a run over the parent stored for the same files.
#[test]
fn state_verdicts_hold_only_for_the_target_they_were_judged_under() {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir_all(dir.path().join("srv/qa")).unwrap();
    fs::write(dir.path().join("srv/qa/call.wav"), wav()).unwrap();
    fs::write(
        dir.path().join("rules.toml"),
        r#"extends = "default"
[[rule]]
id = "audio.unencrypted"
title = "Audio recording stored without encryption"
severity = "high"
category = "audio"
classes = ["audio"]
encryption = ["none"]
[[rule.allow]]
paths = ["/qa/**"]
reason = "the QA folder below the audited root"
"#,
    )
    .unwrap();
    let scan = |target: &str| {
        let out = run_in(
            dir.path(),
            &[
                "scan",
                target,
                "--rules",
                "rules.toml",
                "--state",
                "s.db",
                "--format",
                "json",
            ],
        );
        json(&out)["summary"].clone()
    };
    let parent = scan("srv");
    assert_eq!(
        (parent["findings"].as_u64(), parent["suppressed"].as_u64()),
        (Some(0), Some(1))
    );
    for target in ["srv/qa", "srv/qa/call.wav"] {
        let s = scan(target);
        assert_eq!(s["findings"], 1, "{target}: {s}");
        assert_eq!(s["unchanged"], 0, "{target}: {s}");
    }
    assert_eq!(
        scan("srv/qa/call.wav")["unchanged"],
        1,
        "a target's own verdicts are reused"
    );
}

#[test]
fn state_notices_a_file_rewritten_in_place_with_its_mtime_restored() {
    let dir = tempfile::tempdir().unwrap();
    let tree = dir.path().join("tree");
    fs::create_dir(&tree).unwrap();
    let file = tree.join("memo.bin");
    let text = b"quarterly numbers, nothing to see here ".repeat(200);
    fs::write(&file, &text).unwrap();
    let state = dir.path().join("state.db");
    let scan = || {
        json(&run(&[
            "scan",
            tree.to_str().unwrap(),
            "--state",
            state.to_str().unwrap(),
            "--format",
            "json",
            "--allow-empty",
        ]))
    };
    assert_eq!(scan()["summary"]["findings"], 0);
    assert_eq!(scan()["summary"]["unchanged"], 1);
    // Same size, same mtime, same inode; only ctime tells.
    let mtime = fs::metadata(&file).unwrap().modified().unwrap();
    let mut swapped = wav();
    swapped.resize(text.len(), 0);
    fs::OpenOptions::new()
        .write(true)
        .open(&file)
        .and_then(|mut f| std::io::Write::write_all(&mut f, &swapped))
        .unwrap();
    fs::File::options()
        .write(true)
        .open(&file)
        .unwrap()
        .set_modified(mtime)
        .unwrap();
    let again = scan();
    assert_eq!(again["summary"]["unchanged"], 0);
    assert_eq!(again["summary"]["findings"], 1);
}

#[test]
fn rules_that_would_pass_silently_are_located_errors() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        ("", "R009"),
        (
            "[[rule]]\nid = \"a\"\ntitle = \"t\"\nseverity = \"high\"\ncategory = \"audio\"\nformats = [\"wave\"]\n",
            "R007",
        ),
        (
            "[[rule]]\nid = \"a\"\ntitle = \"t\"\nseverity = \"high\"\ncategory = \"audio\"\nencryption = [\"none\"]\n",
            "R008",
        ),
        (
            "[[rule]]\nid = \"a\"\ntitle = \"t\"\nseverity = \"high\"\ncategory = \"audio\"\nclasses = [\"wave\"]\n",
            "R001",
        ),
        (
            "extends = \"default\"\n[limits]\nmax_member_bytes = 18446744073709551615\n",
            "R006",
        ),
        (
            "[[rule]]\nid = \"a\"\ntitle = \"t\"\nseverity = \"high\"\ncategory = \"audio\"\nmagic = [{ hex = \"é1\" }]\n",
            "R004",
        ),
    ];
    for (text, code) in cases {
        let path = dir.path().join("r.toml");
        fs::write(&path, text).unwrap();
        for args in [
            vec!["rules", "check", path.to_str().unwrap()],
            vec![
                "scan",
                "fixtures/audio/wav",
                "--rules",
                path.to_str().unwrap(),
            ],
        ] {
            let out = run(&args);
            let err = stderr(&out);
            assert_eq!(out.status.code(), Some(2), "{code} {args:?}: {err}");
            assert!(err.contains(&format!("error[{code}]")), "{code}: {err}");
            assert!(err.contains("r.toml:"), "{err}");
            assert!(out.stdout.is_empty());
        }
    }
}

#[test]
fn rules_extend_the_embedded_ones_and_the_export_checks_clean() {
    let dir = tempfile::tempdir().unwrap();
    let export = run(&["rules", "export"]);
    assert_eq!(export.status.code(), Some(0));
    let path = dir.path().join("exported.toml");
    fs::write(&path, &export.stdout).unwrap();
    let check = run(&["rules", "check", path.to_str().unwrap()]);
    assert_eq!(check.status.code(), Some(0), "{}", stderr(&check));
    // Same id replaces, a new id adds; globs match at any depth.
    let own = dir.path().join("own.toml");
    fs::write(
        &own,
        "extends = \"default\"\n\
         [[rule]]\nid = \"audio.unencrypted\"\ntitle = \"Voice in the clear\"\nseverity = \"critical\"\ncategory = \"audio\"\nclasses = [\"audio\"]\nexclude_formats = [\"raw-pcm\"]\nencryption = [\"none\"]\n\
         [[rule.allow]]\npaths = [\"wav/**\"]\nreason = \"synthetic test speech\"\n",
    )
    .unwrap();
    let out = run(&[
        "scan",
        "fixtures/audio",
        "--rules",
        own.to_str().unwrap(),
        "--format",
        "json",
    ]);
    let r = json(&out);
    assert!(r["rules"]["source"].as_str().unwrap().contains("extends"));
    let findings = r["findings"].as_array().unwrap();
    assert!(findings
        .iter()
        .all(|f| f["severity"] == "critical" || f["rule"] != "audio.unencrypted"));
    assert!(findings
        .iter()
        .all(|f| !f["location"].as_str().unwrap().contains("/wav/")));
    let suppressed = r["suppressed"].as_array().unwrap();
    assert!(!suppressed.is_empty());
    assert_eq!(suppressed[0]["by"], "allow-list");
    assert_eq!(suppressed[0]["reason"], "synthetic test speech");
    // Code scanning shows suppressions with their justification.
    let out = run(&[
        "scan",
        "fixtures/audio",
        "--rules",
        own.to_str().unwrap(),
        "--format",
        "sarif",
    ]);
    let sarif = json(&out);
    let schema: Value = serde_json::from_str(
        &fs::read_to_string(root().join("tests/data/sarif-schema-2.1.0.json")).unwrap(),
    )
    .unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    assert!(validator.is_valid(&sarif));
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    let held: Vec<&Value> = results
        .iter()
        .filter(|r| r["suppressions"].is_array())
        .collect();
    assert!(!held.is_empty());
    assert_eq!(held[0]["suppressions"][0]["kind"], "inSource");
    assert_eq!(
        held[0]["suppressions"][0]["justification"],
        "allow-list: synthetic test speech"
    );
    assert_eq!(sarif["runs"][0]["invocations"][0]["exitCode"], 1);
}

#[test]
fn merge_refuses_a_shard_twice_and_reports_missing_ones() {
    let dir = tempfile::tempdir().unwrap();
    // A scan of `args` to the report `name` (at the moment `epoch`), whose
    // path is returned.
    let report = |name: &str, args: &[&str], epoch: &str| {
        let path = dir.path().join(name);
        let out = atrest()
            .env("SOURCE_DATE_EPOCH", epoch)
            .arg("scan")
            .args(args)
            .args(["--fail-on", "never", "-o"])
            .arg(&path)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        path.to_str().unwrap().to_string()
    };
    let epoch = "1700000000";
    let parts: Vec<String> = (0..3)
        .map(|k| {
            let shard = format!("{k}/3");
            report(
                &format!("part{k}.json"),
                &["fixtures", "--shard", &shard],
                epoch,
            )
        })
        .collect();
    let merge = |files: &[&str]| {
        let mut args = vec!["merge", "--format", "json", "--fail-on", "never"];
        args.extend_from_slice(files);
        run(&args)
    };
    let whole = merge(&[&parts[0], &parts[1], &parts[2]]);
    assert_eq!(whole.status.code(), Some(0), "{}", stderr(&whole));
    assert_eq!(json(&whole)["complete"], true);
    let twice = merge(&[&parts[0], &parts[1], &parts[1]]);
    assert_eq!(twice.status.code(), Some(2));
    assert!(stderr(&twice).contains("part1.json"));
    let missing = merge(&[&parts[0], &parts[2]]);
    assert_eq!(missing.status.code(), Some(3));
    let r = json(&missing);
    assert_eq!(r["missing_shards"], serde_json::json!(["1/3"]));
    assert!(stderr(&missing).contains("shards missing: 1/3"));
    // Merged again (a weekly roll-up of daily merges), it stays incomplete.
    let daily = dir.path().join("daily.json");
    fs::write(&daily, &missing.stdout).unwrap();
    let again = merge(&[daily.to_str().unwrap()]);
    assert_eq!(again.status.code(), Some(3), "{}", stderr(&again));
    assert_eq!(json(&again)["complete"], false);
    assert_eq!(json(&again)["missing_shards"], serde_json::json!(["1/3"]));
    // Shards of other targets do not complete a set: each target list is
    // a set of its own (0/3 of fixtures with 1/3 and 2/3 of fixtures/audio).
    let others: Vec<String> = (1..3)
        .map(|k| {
            let shard = format!("{k}/3");
            report(
                &format!("audio{k}.json"),
                &["fixtures/audio", "--shard", &shard],
                epoch,
            )
        })
        .collect();
    let mixed = merge(&[&parts[0], &others[0], &others[1]]);
    assert_eq!(mixed.status.code(), Some(3), "{}", stderr(&mixed));
    let r = json(&mixed);
    assert_eq!(r["complete"], false);
    assert_eq!(
        r["missing_shards"],
        serde_json::json!(["0/3", "1/3", "2/3"])
    );
    // Shards of the same targets cut into a different number of parts.
    let half = report("half.json", &["fixtures", "--shard", "0/2"], epoch);
    let counts = merge(&[&parts[1], &half]);
    assert_eq!(counts.status.code(), Some(2));
    assert!(
        stderr(&counts).contains("different counts"),
        "{}",
        stderr(&counts)
    );
    // A run of the whole target merged with another run of it, or with
    // its shards, or with a run of a part of it, would count each object
    // twice. (Runs at two moments, the target spelled two ways.)
    let wholes = [
        report("whole-a.json", &["fixtures"], epoch),
        report("whole-b.json", &["./fixtures/"], "1700000100"),
    ];
    let audio = report("whole-audio.json", &["fixtures/audio"], epoch);
    for files in [
        vec![&wholes[0], &wholes[1]],
        vec![&parts[0], &wholes[0], &parts[1]],
        vec![&wholes[0], &audio],
    ] {
        let files: Vec<&str> = files.iter().map(|f| f.as_str()).collect();
        let out = merge(&files);
        assert_eq!(out.status.code(), Some(2), "{files:?}");
        let err = stderr(&out);
        assert!(
            err.contains("fixtures") && err.contains("covers target"),
            "{err}"
        );
        assert!(err.contains("would count twice"), "{err}");
    }
    // Inputs are read with a bound: a device is not a report.
    let zero = merge(&["/dev/zero"]);
    assert_eq!(zero.status.code(), Some(2));
    assert!(stderr(&zero).contains("regular file"));
}

#[test]
fn interrupted_scans_write_the_report_so_far() {
    // A FIFO that nobody writes to is skipped, never read; a folder of many
    // files keeps the scan busy long enough to be interrupted.
    let dir = tempfile::tempdir().unwrap();
    let tree = dir.path().join("tree");
    fs::create_dir(&tree).unwrap();
    for i in 0..40_000 {
        fs::write(tree.join(format!("{i:05}.txt")), format!("line {i}\n")).unwrap();
    }
    fs::write(tree.join("00000.wav"), wav()).unwrap();
    let report = dir.path().join("partial.json");
    let child = atrest()
        .args(["scan", tree.to_str().unwrap(), "-j1", "-o"])
        .arg(&report)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(250));
    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let r: Value = serde_json::from_slice(&fs::read(&report).unwrap()).unwrap();
    let seen = r["summary"]["objects_seen"].as_u64().unwrap();
    if seen == 40_001 {
        // The scan won the race; nothing to check but that it is whole.
        assert_eq!(r["complete"], true);
        return;
    }
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert_eq!(r["interrupted"], true);
    assert_eq!(r["complete"], false);
    assert_eq!(r["stopped_by"], "SIGTERM");
    assert!(
        stderr(&out).contains("stopped early (SIGTERM)"),
        "{}",
        stderr(&out)
    );
    common::assert_reconciles(&r["summary"]);
}

#[test]
fn state_forgets_objects_that_are_gone_after_a_complete_run() {
    let dir = tempfile::tempdir().unwrap();
    let tree = dir.path().join("tree");
    fs::create_dir_all(tree.join("a-b")).unwrap();
    fs::create_dir_all(tree.join("a")).unwrap();
    for name in ["a/x.wav", "a-b/x.wav", "a.wav", "keep.txt", "gone.wav"] {
        fs::write(tree.join(name), wav()).unwrap();
    }
    let state = dir.path().join("state.db");
    let scan = |extra: &[&str]| {
        let mut args = vec![
            "scan",
            tree.to_str().unwrap(),
            "--state",
            state.to_str().unwrap(),
            "--format",
            "json",
        ];
        args.extend_from_slice(extra);
        json(&run(&args))
    };
    let rows = || {
        rusqlite::Connection::open(&state)
            .unwrap()
            .query_row("SELECT count(*) FROM objects", [], |r| r.get::<_, i64>(0))
            .unwrap()
    };
    scan(&[]);
    assert_eq!(rows(), 5);
    fs::remove_file(tree.join("gone.wav")).unwrap();
    // A sharded run sees only part of the tree: nothing is forgotten.
    scan(&["--shard", "0/2"]);
    assert_eq!(rows(), 5);
    let r = scan(&[]);
    assert_eq!(
        r["summary"]["unchanged"], 4,
        "walk order and state order agree"
    );
    assert_eq!(rows(), 4, "the vanished file's row is gone");
}

#[test]
fn deep_trees_and_few_descriptors_still_see_every_file() {
    // Deeper than the directories a walk may hold open, and then with a
    // descriptor limit below that: every level's file is read both times.
    let dir = tempfile::tempdir().unwrap();
    let tree = dir.path().join("tree");
    let mut level = tree.clone();
    for i in 0..200 {
        level.push(format!("d{i}"));
        fs::create_dir_all(&level).unwrap();
        if i % 20 == 19 {
            fs::write(level.join("v.wav"), wav()).unwrap();
        }
    }
    let state = dir.path().join("state.db");
    let scan = |nofile: u32| {
        let out = Command::new("sh")
            .arg("-c")
            .arg(format!("ulimit -n {nofile} && exec \"$@\""))
            .arg("sh")
            .arg(env!("CARGO_BIN_EXE_atrest"))
            .args(["scan", "-j", "4", "--format", "json", "--state"])
            .arg(&state)
            .arg(&tree)
            .output()
            .unwrap();
        json(&out)
    };
    for (nofile, unchanged) in [(1024, 0), (48, 10)] {
        let r = scan(nofile);
        assert_eq!(r["summary"]["objects_scanned"], 10, "ulimit -n {nofile}");
        assert_eq!(r["summary"]["unchanged"], unchanged, "ulimit -n {nofile}");
        assert_eq!(r["findings"].as_array().unwrap().len(), 10);
        assert_eq!(r["errors"].as_array().unwrap().len(), 0, "{r}");
    }
}

#[test]
fn a_root_that_links_to_a_tree_reads_each_file_from_its_own_directory() {
    // Same names at several depths, audio in some and ciphertext in others:
    // a file opened in the wrong directory changes the verdict.
    let dir = tempfile::tempdir().unwrap();
    let real = dir.path().join("real");
    fs::create_dir_all(real.join("a/c/d")).unwrap();
    let gpg = fs::read(root().join("fixtures/encrypted/gpg/speech.wav.gpg")).unwrap();
    fs::write(real.join("voice.wav"), wav()).unwrap();
    fs::write(real.join("a/voice.wav"), &gpg).unwrap();
    fs::write(real.join("a/c/rec.wav"), wav()).unwrap();
    fs::write(real.join("a/c/d/rec.wav"), &gpg).unwrap();
    symlink("real", dir.path().join("link")).unwrap();
    let state = dir.path().join("state.db");
    let scan = || {
        json(&run_in(
            dir.path(),
            &[
                "scan",
                "link",
                "--format",
                "json",
                "--state",
                state.to_str().unwrap(),
            ],
        ))
    };
    let paths = |r: &Value| of_findings(r, "location");
    let r = scan();
    assert_eq!(paths(&r), ["link/a/c/rec.wav", "link/voice.wav"], "{r}");
    assert_eq!(r["errors"].as_array().unwrap().len(), 0, "{r}");
    // A changed file is noticed through the link too.
    fs::write(real.join("a/voice.wav"), wav()).unwrap();
    let r = scan();
    assert_eq!(r["summary"]["unchanged"], 3, "{r}");
    assert_eq!(paths(&r).len(), 3, "{r}");
}

/// Limits raised to their maxima let one object hold gigabytes of
/// members: under an address-space limit that cannot hold one, the scan is
/// refused before it reads anything, naming the limit; where it holds a
/// few, fewer objects are opened at once, and the run says so.
#[test]
fn raised_limits_are_held_to_the_memory_the_process_has() {
    let dir = tempfile::tempdir().unwrap();
    let tree = dir.path().join("tree");
    fs::create_dir(&tree).unwrap();
    fs::write(tree.join("call.wav"), wav()).unwrap();
    let limits = |object_mib: u64| {
        let path = dir.path().join(format!("limits-{object_mib}.toml"));
        let (object, member) = (object_mib << 20, (object_mib << 20).min(1 << 30));
        fs::write(
            &path,
            format!(
                "extends = \"default\"\n[limits]\nmax_member_bytes = {member}\n\
                 max_object_bytes = {object}\nmax_ratio = 1000000\n"
            ),
        )
        .unwrap();
        path
    };
    // 4 GiB of address space: about 2 GiB left once four workers are
    // mapped, room for two objects of 256 MiB (832 MiB each at worst).
    let under_ulimit = |rules: &Path| {
        Command::new("sh")
            .arg("-c")
            .arg("ulimit -v 4194304 && exec \"$0\" \"$@\"")
            .arg(env!("CARGO_BIN_EXE_atrest"))
            .args([
                "scan",
                tree.to_str().unwrap(),
                "-j",
                "4",
                "--format",
                "json",
            ])
            .arg("--rules")
            .arg(rules)
            .output()
            .unwrap()
    };
    let refused = under_ulimit(&limits(4096));
    assert_eq!(refused.status.code(), Some(2), "{}", stderr(&refused));
    let err = stderr(&refused);
    assert!(
        err.contains("limits.max_object_bytes = 4294967296"),
        "{err}"
    );
    assert!(err.contains("ulimit -v"), "{err}");
    assert!(refused.stdout.is_empty());
    let slowed = under_ulimit(&limits(256));
    assert_eq!(slowed.status.code(), Some(1), "{}", stderr(&slowed));
    let err = stderr(&slowed);
    assert!(err.contains("of 4 workers open objects at once"), "{err}");
    assert_eq!(json(&slowed)["summary"]["findings"], 1);
    // The default limits fit anywhere: no word of memory.
    let plain = run(&[
        "scan",
        tree.to_str().unwrap(),
        "-j",
        "4",
        "--format",
        "json",
    ]);
    assert!(
        !stderr(&plain).contains("workers open objects"),
        "{}",
        stderr(&plain)
    );
}
