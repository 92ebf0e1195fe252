//! End-to-end tests: the real binary, run as a process, on real files.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Output;

use assert_cmd::Command;
use serde_json::Value;

mod common;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn atrest() -> Command {
    let mut c = Command::cargo_bin("atrest").unwrap();
    c.current_dir(root())
        .env("SOURCE_DATE_EPOCH", "1700000000")
        .env_remove("NO_COLOR");
    c
}

fn run(args: &[&str]) -> Output {
    atrest().args(args).output().unwrap()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn json(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout)))
}

/// The golden sweep: every fixture's verdict (format, class, encryption, rules)
/// must equal `tests/data/verdicts.tsv`. A new fixture without a line fails.
/// `ATREST_BLESS=1 cargo test golden` rewrites the file after a deliberate change.
#[test]
fn golden_verdicts_of_every_fixture() {
    let out = run(&[
        "scan",
        "fixtures",
        "--format",
        "json",
        "--inventory",
        "--fail-on",
        "never",
        "--exclude",
        "*.sh",
        "--exclude",
        "*.py",
        "--exclude",
        "README.md",
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report = json(&out);
    let mut rules: BTreeMap<(String, String), Vec<String>> = BTreeMap::new();
    for f in report["findings"].as_array().unwrap() {
        let key = (
            f["location"].as_str().unwrap().to_string(),
            f["member"].as_str().unwrap_or("").to_string(),
        );
        rules
            .entry(key)
            .or_default()
            .push(f["rule"].as_str().unwrap().to_string());
    }
    let mut lines = vec!["# location\tmember\tformat\tclass\tencryption\trules".to_string()];
    for o in report["objects"].as_array().unwrap() {
        if o["state"] != "scanned" {
            continue;
        }
        let key = (
            o["location"].as_str().unwrap().to_string(),
            o["member"].as_str().unwrap_or("").to_string(),
        );
        let matched = rules
            .get(&key)
            .map(|r| r.join(","))
            .unwrap_or_else(|| "-".into());
        lines.push(format!(
            "{}\t{}\t{}\t{}\t{}\t{}",
            key.0,
            key.1,
            o["format"].as_str().unwrap(),
            o["class"].as_str().unwrap(),
            o["encryption"].as_str().unwrap(),
            matched
        ));
    }
    let actual = lines.join("\n") + "\n";
    let golden = root().join("tests/data/verdicts.tsv");
    if std::env::var_os("ATREST_BLESS").is_some() {
        fs::write(&golden, &actual).unwrap();
    }
    let expected = fs::read_to_string(&golden).unwrap_or_default();
    if expected != actual {
        let diff: Vec<String> = actual
            .lines()
            .filter(|l| !expected.lines().any(|e| e == *l))
            .map(|l| format!("+ {l}"))
            .chain(
                expected
                    .lines()
                    .filter(|l| !actual.lines().any(|a| a == *l))
                    .map(|l| format!("- {l}")),
            )
            .collect();
        panic!(
            "fixture verdicts changed (ATREST_BLESS=1 to accept):\n{}",
            diff.join("\n")
        );
    }
}

#[test]
fn every_audio_and_biometric_fixture_is_a_finding_and_no_encrypted_or_ordinary_one_is() {
    let report = json(&run(&[
        "scan",
        "fixtures",
        "--format",
        "json",
        "--fail-on",
        "never",
    ]));
    let flagged: Vec<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["location"].as_str().unwrap())
        .collect();
    for class in [
        "audio",
        "biometric",
        "video/mp4/with-audio.mp4",
        "video/mov",
        "video/mpg",
        "video/ts/with-audio.ts",
        "partial",
        "compressed",
        "encoded/json/voice-note.json",
        "encoded/base64",
        "encoded/sql",
    ] {
        for entry in walk(&root().join("fixtures").join(class)) {
            let rel = format!(
                "fixtures/{}",
                entry
                    .strip_prefix(root().join("fixtures"))
                    .unwrap()
                    .display()
            );
            assert!(flagged.contains(&rel.as_str()), "{rel} should be a finding");
        }
    }
    for clean in [
        "fixtures/video/mp4/no-audio.mp4",
        "fixtures/video/ts/no-audio.ts",
        "fixtures/encrypted/age/speech.wav.age",
        "fixtures/encrypted/gpg/speech.wav.gpg",
        "fixtures/encrypted/gpg/pubkey.wav.gpg",
        "fixtures/encrypted/cms/speech.p7m",
        "fixtures/encrypted/raw/aes-ctr.bin",
        "fixtures/encrypted/7z/aes.7z",
        "fixtures/encrypted/zip/aes-speech.zip",
        "fixtures/other/text/notes.txt",
        "fixtures/other/brotli/call-log.txt.br",
        "fixtures/other/elf/true",
        "fixtures/other/png/image.png",
        "fixtures/other/pgp/statement.txt.gpg",
        "fixtures/other/json/tokens.json",
        "fixtures/other/office/plain.doc",
        "fixtures/other/office/plain.xls",
        "fixtures/encoded/json/age-blob.json",
        "fixtures/encrypted/pdf/aes-256.pdf",
    ] {
        assert!(!flagged.contains(&clean), "{clean} must not be a finding");
    }
}

/// A zip holding one deflated member of `mib` MiB of zeros.
fn zip_deflated(name: &str, mib: usize) -> Vec<u8> {
    let zeros = vec![0u8; 1 << 20];
    let mut e = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::best());
    let mut crc = flate2::Crc::new();
    for _ in 0..mib {
        std::io::Write::write_all(&mut e, &zeros).unwrap();
        crc.update(&zeros);
    }
    let data = e.finish().unwrap();
    let size = (mib << 20) as u32;
    let fields = |z: &mut Vec<u8>| {
        z.extend([20, 0, 0, 0, 8, 0, 0, 0, 0, 0]); // version, flags, deflate, time, date
        z.extend(crc.sum().to_le_bytes());
        z.extend((data.len() as u32).to_le_bytes());
        z.extend(size.to_le_bytes());
        z.extend((name.len() as u16).to_le_bytes());
        z.extend(0u16.to_le_bytes());
    };
    let mut z = b"PK\x03\x04".to_vec();
    fields(&mut z);
    z.extend(name.as_bytes());
    z.extend(&data);
    let cd_at = z.len() as u32;
    z.extend(b"PK\x01\x02");
    z.extend([20, 0]);
    fields(&mut z);
    z.extend([0u8; 12]); // comment length, disk, attributes
    z.extend(0u32.to_le_bytes()); // local header offset
    z.extend(name.as_bytes());
    let cd_len = z.len() as u32 - cd_at;
    z.extend(b"PK\x05\x06\0\0\0\0\x01\0\x01\0");
    z.extend(cd_len.to_le_bytes());
    z.extend(cd_at.to_le_bytes());
    z.extend([0, 0]);
    z
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    if dir.is_file() {
        return vec![dir.to_path_buf()];
    }
    let mut out = Vec::new();
    for e in fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p))
        } else {
            out.push(p)
        }
    }
    out
}

#[test]
fn exit_codes_follow_the_contract() {
    assert_eq!(
        run(&["scan", "fixtures/other", "--format", "json"])
            .status
            .code(),
        Some(0)
    );
    assert_eq!(
        run(&["scan", "fixtures/audio/wav/pcm16.wav", "--format", "json"])
            .status
            .code(),
        Some(1)
    );
    // A medium finding passes the default gate (high) and fails --fail-on medium.
    let partial = "fixtures/partial/wav/encrypted-payload.wav";
    assert_eq!(
        run(&["scan", partial, "--format", "json"]).status.code(),
        Some(0)
    );
    assert_eq!(
        run(&["scan", partial, "--format", "json", "--fail-on", "medium"])
            .status
            .code(),
        Some(1)
    );
    assert_eq!(
        run(&[
            "scan",
            "fixtures/audio",
            "--format",
            "json",
            "--fail-on",
            "never"
        ])
        .status
        .code(),
        Some(0)
    );
    assert_eq!(
        run(&[
            "scan",
            "fixtures/biometric",
            "--format",
            "json",
            "--fail-on",
            "critical"
        ])
        .status
        .code(),
        Some(1)
    );
    // A limit reached is a clean exit unless --fail-on-limits makes the
    // run incomplete; the closing line says which limit count did it.
    assert_eq!(
        run(&["scan", "fixtures/limits", "--format", "json"])
            .status
            .code(),
        Some(0)
    );
    let out = run(&[
        "scan",
        "fixtures/limits",
        "--format",
        "json",
        "--fail-on-limits",
    ]);
    assert_eq!(out.status.code(), Some(3));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("exit 3: 1 limit reached (--fail-on-limits)")
    );
    assert_eq!(
        run(&[
            "scan",
            "fixtures/other",
            "--format",
            "json",
            "--fail-on-limits"
        ])
        .status
        .code(),
        Some(0)
    );
    // Usage errors: exit 2 before anything is read.
    let out = run(&["scan", "no/such/dir"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr).trim(),
        "atrest: no/such/dir: no such file or directory"
    );
    assert_eq!(
        run(&["scan", "fixtures", "--shard", "4/4"]).status.code(),
        Some(2)
    );
    assert_eq!(run(&["scan", "fixtures", "--bogus"]).status.code(), Some(2));
    assert_eq!(
        run(&["scan", "fixtures", "--include", "a/[b"])
            .status
            .code(),
        Some(2)
    );
}

#[test]
fn json_reports_reconcile_and_carry_no_content() {
    let out = run(&["scan", "fixtures", "--format", "json", "--fail-on", "never"]);
    let r = json(&out);
    assert_eq!(r["schema"], "atrest.report/1");
    assert_eq!(r["rules"]["source"], "embedded:default");
    assert_eq!(r["started_at"], "2023-11-14T22:13:20Z");
    let s = &r["summary"];
    common::assert_reconciles(s);
    let classes: u64 = s["by_class"]
        .as_object()
        .unwrap()
        .values()
        .map(|v| v.as_u64().unwrap())
        .sum();
    assert_eq!(classes, s["objects_scanned"].as_u64().unwrap());
    assert_eq!(
        s["findings"].as_u64().unwrap() as usize,
        r["findings"].as_array().unwrap().len()
    );
    // No report field holds file bytes: the speech text must not leak, nor magic runs of samples.
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(!text.contains("transfer of four hundred"));
    for f in r["findings"].as_array().unwrap() {
        assert_eq!(f["fingerprint"].as_str().unwrap().len(), 64);
    }
}

#[test]
fn output_is_identical_across_thread_counts_and_runs() {
    for format in ["json", "sarif", "table"] {
        let at = |threads: &str| {
            let args = [
                "scan",
                "fixtures",
                "--format",
                format,
                threads,
                "--fail-on",
                "never",
            ];
            run(&args).stdout
        };
        let (a, b, c) = (at("-j1"), at("-j4"), at("-j4"));
        assert_eq!(a, b, "{format}: -j1 vs -j4");
        assert_eq!(b, c, "{format}: two runs");
    }
}

#[test]
fn max_archive_depth_zero_leaves_archives_closed() {
    let tar = "fixtures/compressed/tar/calls.tar.gz";
    let open = json(&run(&["scan", tar, "--format", "json", "--inventory"]));
    assert_eq!(open["findings"][0]["member"], "calls.tar!/call.wav");
    let closed = json(&run(&[
        "scan",
        tar,
        "--format",
        "json",
        "--inventory",
        "--max-archive-depth",
        "0",
    ]));
    assert_eq!(closed["findings"].as_array().unwrap().len(), 0);
    assert_eq!(closed["objects"].as_array().unwrap().len(), 1);
    // What was left closed is said, never passed over in silence.
    assert_eq!(closed["limits"][0]["limit"], "max-depth", "{closed}");
    let b64 = json(&run(&[
        "scan",
        "fixtures/encoded",
        "--format",
        "json",
        "--max-archive-depth",
        "0",
        "--fail-on",
        "never",
    ]));
    assert_eq!(b64["findings"].as_array().unwrap().len(), 0);
    assert!(
        b64["limits"]
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l["limit"] == "max-depth"),
        "{b64}"
    );
    // Depth 1 opens the gzip stream but not the tar inside it, and says so.
    let one = json(&run(&[
        "scan",
        tar,
        "--format",
        "json",
        "--max-archive-depth",
        "1",
    ]));
    assert_eq!(one["limits"][0]["limit"], "max-depth");
}

#[test]
fn jsonl_has_one_kind_per_line_and_a_summary_last() {
    let out = run(&[
        "scan",
        "fixtures/audio/wav",
        "fixtures/other/text",
        "--format",
        "jsonl",
        "--inventory",
        "--fail-on",
        "never",
    ]);
    let lines: Vec<Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.last().unwrap()["kind"], "summary");
    assert!(lines.iter().any(|l| l["kind"] == "finding"));
    assert!(lines.iter().any(|l| l["kind"] == "object"));
    // Default format when stdout is not a terminal is jsonl.
    let out = run(&["scan", "fixtures/other/text"]);
    let last = String::from_utf8_lossy(&out.stdout)
        .lines()
        .last()
        .unwrap()
        .to_string();
    assert_eq!(
        serde_json::from_str::<Value>(&last).unwrap()["kind"],
        "summary"
    );
}

#[test]
fn sarif_validates_against_the_official_schema() {
    let out = run(&[
        "scan",
        "fixtures",
        "--format",
        "sarif",
        "--fail-on",
        "never",
    ]);
    let sarif = json(&out);
    let schema: Value = serde_json::from_str(
        &fs::read_to_string(root().join("tests/data/sarif-schema-2.1.0.json")).unwrap(),
    )
    .unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&sarif)
        .map(|e| format!("{} at {}", e, e.instance_path))
        .take(5)
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    assert!(!results.is_empty());
    assert!(results
        .iter()
        .all(|r| r["ruleId"].is_string() && r["level"].is_string()));
    assert_eq!(
        sarif["runs"][0]["tool"]["driver"]["rules"]
            .as_array()
            .unwrap()
            .len(),
        9
    );
    let run = &sarif["runs"][0];
    assert!(run["tool"]["driver"]["rules"][0]["help"]["markdown"]
        .as_str()
        .unwrap()
        .contains("What to do"));
    assert!(run["invocations"][0]["exitCode"].is_u64());
}

#[test]
fn table_fits_80_columns_and_colours_only_on_request() {
    let out = run(&[
        "scan",
        "fixtures",
        "--format",
        "table",
        "--fail-on",
        "never",
    ]);
    let text = String::from_utf8(out.stdout).unwrap();
    // Grouped by rule with its title, what to do, and folders when many.
    assert!(text.contains("Audio recording stored without encryption ("));
    assert!(text.contains("what to do:") && text.contains("OBJECTS  FOLDER"));
    assert!(text.contains("(every finding: --format json)"));
    for line in text.lines() {
        assert!(line.chars().count() <= 80, "{line:?}");
    }
    assert!(
        !text.contains('\x1b'),
        "no colour when stdout is not a terminal"
    );
}

#[test]
fn output_file_is_written_atomically_and_stdout_stays_empty() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("r.json");
    let out = run(&[
        "scan",
        "fixtures/audio/wav",
        "--format",
        "json",
        "-o",
        path.to_str().unwrap(),
        "--fail-on",
        "never",
    ]);
    assert!(out.stdout.is_empty());
    let r: Value = serde_json::from_str(&fs::read_to_string(&path).unwrap()).unwrap();
    assert!(r["summary"]["findings"].as_u64().unwrap() > 0);
    assert_eq!(
        fs::read_dir(dir.path()).unwrap().count(),
        1,
        "no temporary file left behind"
    );
}

/// `-o -` is standard output: no file named `-` appears.
#[test]
fn output_dash_is_stdout() {
    let dir = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_atrest"))
        .args(["scan", "--format", "json", "-o", "-", "--fail-on", "never"])
        .arg(root().join("fixtures/audio/wav"))
        .current_dir(dir.path())
        .output()
        .unwrap();
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(r["summary"]["findings"].as_u64().unwrap() > 0);
    assert_eq!(
        fs::read_dir(dir.path()).unwrap().count(),
        0,
        "no file named -"
    );
    // Scanning the working folder itself: `-` names no file in it.
    fs::copy(
        root().join("fixtures/audio/wav/pcm16.wav"),
        dir.path().join("a.wav"),
    )
    .unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_atrest"))
        .args([
            "scan",
            ".",
            "--format",
            "json",
            "-o",
            "-",
            "--fail-on",
            "never",
        ])
        .current_dir(dir.path())
        .output()
        .unwrap();
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(r["summary"]["findings"].as_u64(), Some(1), "{out:?}");
}

#[cfg(unix)]
#[test]
fn fifo_symlink_loop_and_unreadable_files_do_not_stop_the_scan() {
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
    symlink(d.join("a.wav"), d.join("link.wav")).unwrap();
    fs::write(d.join("locked.wav"), b"RIFF").unwrap();
    fs::set_permissions(d.join("locked.wav"), fs::Permissions::from_mode(0o000)).unwrap();
    let root_user = fs::read(d.join("locked.wav")).is_ok();
    let target = d.to_str().unwrap();

    let out = atrest()
        .args(["scan", target, "--format", "json"])
        .timeout(std::time::Duration::from_secs(60))
        .output()
        .unwrap();
    let r = json(&out);
    let s = &r["summary"];
    assert_eq!(s["skipped"]["special-file"], 1);
    assert_eq!(s["skipped"]["symlink"], 2);
    if root_user {
        assert_eq!(out.status.code(), Some(1));
    } else {
        assert_eq!(out.status.code(), Some(3), "unreadable file: exit 3");
        assert_eq!(r["complete"], false);
        assert_eq!(r["errors"][0]["message"], "permission denied");
        assert!(r["errors"][0]["location"]
            .as_str()
            .unwrap()
            .ends_with("locked.wav"));
        assert_eq!(
            r["findings"][0]["rule"], "audio.unencrypted",
            "findings still reported"
        );
    }
    // A folder of links only, not followed, yields nothing to read.
    let links = d.join("links");
    fs::create_dir(&links).unwrap();
    symlink(d.join("a.wav"), links.join("a.wav")).unwrap();
    let out = run(&["scan", links.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("holds no regular files, only 1 links"));
    let followed = run(&["scan", links.to_str().unwrap(), "--follow-symlinks"]);
    assert_eq!(followed.status.code(), Some(1), "{}", stderr(&followed));
    // A FIFO named as a target is never read: said before the scan, not
    // passed off as a clean run.
    let pipe = d.join("pipe");
    let out = run(&["scan", pipe.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("a pipe, socket or device"));
    // Following links: the loop is detected and skipped, the file link is read.
    let out = atrest()
        .args(["scan", target, "--format", "json", "--follow-symlinks"])
        .timeout(std::time::Duration::from_secs(60))
        .output()
        .unwrap();
    let r = json(&out);
    assert_eq!(r["summary"]["skipped"]["symlink-loop"], 1);
    assert!(r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["location"].as_str().unwrap().ends_with("link.wav")));
    fs::set_permissions(d.join("locked.wav"), fs::Permissions::from_mode(0o600)).unwrap();
}

#[test]
fn include_exclude_and_shards() {
    let r = json(&run(&[
        "scan",
        "fixtures/audio",
        "--format",
        "json",
        "--include",
        "wav/**",
        "--fail-on",
        "never",
    ]));
    assert!(r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .all(|f| f["location"]
            .as_str()
            .unwrap()
            .starts_with("fixtures/audio/wav/")));
    assert!(r["summary"]["skipped"]["excluded"].as_u64().unwrap() > 10);
    // A folder's name covers what it holds, as in a .gitignore.
    for folder in ["wav", "wav/", "/wav"] {
        let by_name = json(&run(&[
            "scan",
            "fixtures/audio",
            "--format",
            "json",
            "--include",
            folder,
            "--fail-on",
            "never",
        ]));
        assert_eq!(by_name["findings"], r["findings"], "{folder}");
    }
    assert_eq!(
        run(&["scan", "fixtures/audio", "--include", ""])
            .status
            .code(),
        Some(2)
    );
    // Globs that leave nothing to scan are a mistake, not a clean tree.
    let none = run(&["scan", "fixtures/audio", "--include", "*.WAV"]);
    assert_eq!(none.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&none.stderr).contains("leave none of its"));
    // So do files named as targets (a pre-commit hook's staged files).
    let (wav, mp3) = (
        "fixtures/audio/wav/pcm16.wav",
        "fixtures/audio/mp3/speech.mp3",
    );
    let files = run(&["scan", "--include", "*.WAV", "--", wav, mp3]);
    assert_eq!(files.status.code(), Some(2), "{}", stderr(&files));
    assert!(stderr(&files).contains("leave none of the 2 files named as targets"));
    let some = run(&[
        "scan",
        "--include",
        "*.wav",
        "--fail-on",
        "never",
        "--",
        wav,
        mp3,
    ]);
    assert_eq!(some.status.code(), Some(0), "{}", stderr(&some));
    let allowed = [
        "scan",
        "fixtures/audio",
        "--include",
        "*.WAV",
        "--allow-empty",
    ];
    assert_eq!(run(&allowed).status.code(), Some(0));
    let all = json(&run(&[
        "scan",
        "fixtures",
        "--format",
        "json",
        "--fail-on",
        "never",
    ]));
    let mut total = 0;
    let mut seen = 0;
    for k in 0..3 {
        let shard = format!("{k}/3");
        let r = json(&run(&[
            "scan",
            "fixtures",
            "--format",
            "json",
            "--fail-on",
            "never",
            "--shard",
            &shard,
        ]));
        total += r["findings"].as_array().unwrap().len();
        seen += r["summary"]["objects_seen"].as_u64().unwrap();
    }
    assert_eq!(total, all["findings"].as_array().unwrap().len());
    assert_eq!(seen, all["summary"]["objects_seen"].as_u64().unwrap());
}

#[test]
fn baseline_suppresses_accepted_findings() {
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path().join("base.json");
    run(&[
        "scan",
        "fixtures/audio/wav",
        "--format",
        "json",
        "-o",
        base.to_str().unwrap(),
    ]);
    let report: serde_json::Value = serde_json::from_slice(&fs::read(&base).unwrap()).unwrap();
    let scan_with = |baseline: &Path| {
        run(&[
            "scan",
            "fixtures/audio/wav",
            "--format",
            "json",
            "--baseline",
            baseline.to_str().unwrap(),
        ])
    };
    let with_baseline = || scan_with(&base);
    let out = with_baseline();
    assert_eq!(out.status.code(), Some(0));
    let r = json(&out);
    assert_eq!(r["summary"]["findings"], 0);
    assert!(r["summary"]["suppressed"].as_u64().unwrap() >= 6);
    // A report whose findings were all suppressed is the next run's
    // baseline (a rolling baseline): its suppressed entries accept.
    let next = dir.path().join("next.json");
    fs::write(&next, &out.stdout).unwrap();
    let rolled = scan_with(&next);
    assert_eq!(rolled.status.code(), Some(0), "{}", stderr(&rolled));
    assert_eq!(
        json(&rolled)["summary"]["suppressed"],
        r["summary"]["suppressed"]
    );
    // What is not a whole atrest report accepts nothing, loudly: an empty
    // or foreign file, a SARIF log, a JSONL stream cut before its summary.
    let jsonl = run(&[
        "scan",
        "fixtures/audio/wav",
        "--format",
        "jsonl",
        "--fail-on",
        "never",
    ]);
    // A whole JSONL report is a baseline as its JSON twin is.
    fs::write(&base, &jsonl.stdout).unwrap();
    let out = with_baseline();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(json(&out)["summary"]["findings"], 0);
    let cut = &jsonl.stdout[..jsonl.stdout.len() / 2];
    let sarif = run(&[
        "scan",
        "fixtures/audio/wav",
        "--format",
        "sarif",
        "--fail-on",
        "never",
    ]);
    // A report whose findings are not objects names that fault; a JSONL
    // line of more than 1 MiB or a fingerprint of anything but 64 hex
    // digits is refused, not held.
    let mut numbers = report.clone();
    numbers["findings"] = serde_json::json!([1, 2, "x"]);
    let numbers = serde_json::to_vec(&numbers).unwrap();
    let mut long = report.clone();
    long["findings"][0]["fingerprint"] = serde_json::json!("f".repeat(100_000));
    let long = serde_json::to_vec(&long).unwrap();
    let mut huge_line = b"{\"kind\":\"finding\",\"x\":\"".to_vec();
    huge_line.resize(2 << 20, b'a');
    huge_line.extend(b"\"}\n");
    // A report written on one line longer than a JSONL line may be, with a
    // fault of its own: that fault is named, not only the line's length.
    let mut dup_key = br#"{"schema":"atrest.report/1","schema":"x","pad":""#.to_vec();
    dup_key.resize(2 << 20, b'a');
    dup_key.extend(b"\"}");
    for (bad, why) in [
        (&b""[..], "no summary line"),
        (b"{}", "not an atrest JSON report"),
        (b"[]", "not an atrest JSON report"),
        (&sarif.stdout, "SARIF log is not a baseline"),
        (cut, "not an atrest JSON report"),
        (
            &numbers,
            "not an atrest JSON report: invalid type: integer `1`",
        ),
        (&long, "not 64 hex digits"),
        (&huge_line, "a line longer than 1 MiB"),
        (&dup_key, "duplicate field `schema`"),
    ] {
        fs::write(&base, bad).unwrap();
        let out = run(&[
            "scan",
            "fixtures/audio/wav",
            "--baseline",
            base.to_str().unwrap(),
        ]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{err}");
        assert!(err.contains(why), "{why}: {err}");
    }
}

#[test]
fn bad_rules_files_exit_2_with_file_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.toml");
    fs::write(&bad, "[[rule]]\nid = \"x\"\ntitle = \"t\"\nseverity = \"high\"\ncategory = \"audio\"\nflavour = 1\n").unwrap();
    let out = run(&["scan", "fixtures/other", "--rules", bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("bad.toml:6:1: error[R001]") && err.contains("flavour"),
        "{err}"
    );
    assert!(out.stdout.is_empty(), "nothing scanned");
    fs::write(
        &bad,
        "[[rule]]\nid = \"x\"\ntitle = \"t\"\nseverity = \"urgent\"\ncategory = \"audio\"\n",
    )
    .unwrap();
    let out = run(&["rules", "check", bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("bad.toml:4:12"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = run(&["scan", "fixtures", "--rules", "missing.toml"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("missing.toml"));
}

#[test]
fn default_rules_check_verifies_every_example() {
    let out = run(&["rules", "check", "rules/default.toml"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("9 rules"));
    // Weakly encrypted documents are findings only in the opt-in audit.
    let out = run(&["rules", "check", "rules/examples/crypto-hygiene.toml"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for (rules, expect) in [(None, 0), (Some("rules/examples/crypto-hygiene.toml"), 1)] {
        let mut args = vec![
            "scan",
            "fixtures/encrypted/pdf/rc4-40.pdf",
            "--format",
            "json",
        ];
        if let Some(r) = rules {
            args.extend(["--rules", r]);
        }
        assert_eq!(
            json(&run(&args))["summary"]["findings"],
            expect,
            "{rules:?}"
        );
    }
    let listed = run(&["rules", "list"]);
    let listed = String::from_utf8_lossy(&listed.stdout);
    assert!(listed.contains("audio.unencrypted"));
    // The public rules differ from the private ones only by exposure: the
    // listing must say so.
    assert!(
        listed.contains("exposure public-list|public-read"),
        "{listed}"
    );
    // A counter-example that is in fact flagged fails the check.
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("r.toml");
    let wav = root().join("fixtures/audio/wav/pcm16.wav");
    fs::write(&rules, format!("[[rule]]\nid = \"a\"\ntitle = \"t\"\nseverity = \"high\"\ncategory = \"audio\"\nclasses = [\"audio\"]\ncounter_examples = [{:?}]\n", wav.to_str().unwrap())).unwrap();
    assert_eq!(
        run(&["rules", "check", rules.to_str().unwrap()])
            .status
            .code(),
        Some(1)
    );
}

#[test]
fn custom_magic_in_a_rules_file_finds_a_proprietary_format() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join("print.tpl"),
        [
            b"ACMEVP01".as_slice(),
            &"minutiae ".repeat(200).into_bytes(),
        ]
        .concat(),
    )
    .unwrap();
    let rules = dir.path().join("r.toml");
    fs::write(&rules, "[[rule]]\nid = \"acme.voiceprint\"\ntitle = \"ACME template\"\nseverity = \"critical\"\ncategory = \"biometric\"\nencryption = [\"none\"]\nmagic = [{ offset = 0, hex = \"41 43 4d 45 56 50\" }]\n").unwrap();
    let r = json(&run(&[
        "scan",
        dir.path().to_str().unwrap(),
        "--rules",
        rules.to_str().unwrap(),
        "--format",
        "json",
    ]));
    assert_eq!(r["findings"][0]["rule"], "acme.voiceprint");
    assert_eq!(r["findings"][0]["format"], "acme.voiceprint");
}

#[test]
fn reads_are_bounded_whatever_the_file_size() {
    let dir = tempfile::tempdir().unwrap();
    let big = dir.path().join("big.bin");
    let f = fs::File::create(&big).unwrap();
    f.set_len(2 << 30).unwrap(); // 2 GiB sparse
    let r = json(&run(&["scan", big.to_str().unwrap(), "--format", "json"]));
    // The head, the middle and the end; and, as a head of zeros is what
    // pads an HDF5 user block, a window at each of 64, 128, 256 and 512
    // KiB, where a superblock behind a longer block would lie.
    assert_eq!(
        r["summary"]["bytes_read"],
        7 * 64 * 1024,
        "{}",
        r["summary"]
    );
    // A head that ends in anything else: the head, the middle and the end.
    {
        use std::io::{Seek, SeekFrom, Write};
        let mut f = fs::OpenOptions::new().write(true).open(&big).unwrap();
        f.seek(SeekFrom::Start(65_535)).unwrap();
        f.write_all(b"x").unwrap();
    }
    let r = json(&run(&["scan", big.to_str().unwrap(), "--format", "json"]));
    assert_eq!(
        r["summary"]["bytes_read"],
        3 * 64 * 1024,
        "{}",
        r["summary"]
    );
}

/// Files are opened with O_NOATIME, which the kernel grants the owner
/// (and root): a scan leaves their access times as it found them. Relatime
/// would update a time older than a day, as set here, at the first read.
#[test]
fn a_scan_leaves_access_times_as_they_were() {
    let dir = tempfile::tempdir().unwrap();
    let wav = fs::read(root().join("fixtures/audio/wav/pcm16.wav")).unwrap();
    let files = [
        ("voice.wav", wav.clone()),
        ("voice.wav.gz", gzip(&wav)),
        ("notes.txt", b"notes\n".repeat(20_000)),
    ];
    let long_ago = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_000_000_000);
    let before = std::time::UNIX_EPOCH + std::time::Duration::from_secs(900_000_000);
    for (name, bytes) in &files {
        let path = dir.path().join(name);
        fs::write(&path, bytes).unwrap();
        let times = fs::FileTimes::new()
            .set_accessed(long_ago)
            .set_modified(before);
        fs::File::options()
            .write(true)
            .open(&path)
            .unwrap()
            .set_times(times)
            .unwrap();
    }
    let out = run(&["scan", dir.path().to_str().unwrap(), "--format", "json"]);
    assert_eq!(json(&out)["summary"]["findings"], 2, "{}", stderr(&out));
    for (name, _) in &files {
        let meta = fs::metadata(dir.path().join(name)).unwrap();
        assert_eq!(meta.accessed().unwrap(), long_ago, "{name}");
    }
}

#[test]
fn hostile_file_names_are_sanitised_in_the_table() {
    let dir = tempfile::tempdir().unwrap();
    fs::copy(
        root().join("fixtures/audio/wav/pcm16.wav"),
        dir.path().join("evil\x1b[2Jname.wav"),
    )
    .unwrap();
    let out = run(&["scan", dir.path().to_str().unwrap(), "--format", "table"]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        !text.contains('\x1b') && text.contains("evil\\x1b[2Jname.wav"),
        "{text}"
    );
    // Logs name every object: a newline in a name must not start a fake
    // log line, nor a line separator, nor an escape reach the terminal.
    fs::write(dir.path().join("a\nERROR fake\u{2028}b"), b"x").unwrap();
    let d = dir.path().to_str().unwrap();
    let out = run(&["scan", d, "-vv", "--fail-on", "never", "-o", "/dev/null"]);
    let log = String::from_utf8(out.stderr).unwrap();
    assert!(log.contains("a\\x0aERROR fake\\xe2\\x80\\xa8b"), "{log}");
    assert!(!log.contains('\x1b') && !log.contains('\u{2028}'), "{log}");
    assert!(log.lines().all(|l| !l.starts_with("ERROR")), "{log}");
    // SARIF messages are read by people too (code-scanning pages); the
    // artifact's URI keeps the name exact.
    let out = run(&["scan", d, "--format", "sarif", "--fail-on", "never"]);
    let sarif: Value = serde_json::from_slice(&out.stdout).unwrap();
    let result = &sarif["runs"][0]["results"][0];
    let message = result["message"]["text"].as_str().unwrap();
    assert!(message.ends_with("evil\\x1b[2Jname.wav"), "{message}");
    let uri = result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        .as_str()
        .unwrap();
    assert!(uri.contains("evil%1B"), "{uri}");
}

#[test]
fn progress_goes_to_stderr_only() {
    let out = run(&[
        "scan",
        "fixtures/audio/wav",
        "--format",
        "json",
        "--progress",
        "always",
        "--fail-on",
        "never",
    ]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("objects"));
    json(&out);
    let plain = run(&[
        "scan",
        "fixtures/audio/wav",
        "--format",
        "json",
        "--fail-on",
        "never",
    ]);
    let stderr = String::from_utf8_lossy(&plain.stderr);
    assert_eq!(
        stderr.lines().count(),
        1,
        "no progress when stderr is not a terminal, only the closing line: {stderr}"
    );
    let quiet = run(&[
        "scan",
        "fixtures/audio/wav",
        "--format",
        "json",
        "--fail-on",
        "never",
        "-q",
    ]);
    assert!(quiet.stderr.is_empty(), "-q: nothing on stderr");
}

/// A git pack larger than the head, of hundreds of objects, read through
/// the scan's own per-object read bound: each byte of it is read once, so
/// the walk reaches the recording behind them.
#[test]
fn a_git_pack_of_many_objects_is_read_to_its_last() {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let wav = fs::read(root().join("fixtures/audio/wav/pcm16.wav")).unwrap();
    let mut x = 0x9e37_79b9_7f4a_7c15u64;
    let mut noise = || {
        (0..2048)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x as u8
            })
            .collect::<Vec<u8>>()
    };
    let blobs: Vec<Vec<u8>> = (0..400).map(|_| noise()).chain([wav]).collect();
    let mut pack = b"PACK".to_vec();
    pack.extend(2u32.to_be_bytes());
    pack.extend((blobs.len() as u32).to_be_bytes());
    for blob in &blobs {
        // Type 3 (blob), the size's low 4 bits, then the rest as LEB128.
        let mut size = blob.len() as u64;
        let mut byte = 0x30 | (size & 0x0f) as u8;
        size >>= 4;
        while size > 0 {
            pack.push(byte | 0x80);
            byte = (size & 0x7f) as u8;
            size >>= 7;
        }
        pack.push(byte);
        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        z.write_all(blob).unwrap();
        pack.extend(z.finish().unwrap());
    }
    pack.extend([0u8; 20]);
    assert!(pack.len() > 800_000);
    fs::write(dir.path().join("pack-1.pack"), &pack).unwrap();
    let out = run(&["scan", dir.path().to_str().unwrap(), "--format", "json"]);
    let report = json(&out);
    assert_eq!(report["limits"], serde_json::json!([]), "{report}");
    assert_eq!(report["summary"]["findings"], 1, "{report}");
}

fn gzip(data: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

#[test]
fn bombs_and_deep_nesting_end_quickly_with_their_limits_reported() {
    let dir = tempfile::tempdir().unwrap();
    let mut data = fs::read(root().join("fixtures/audio/wav/pcm16.wav")).unwrap();
    for _ in 0..20 {
        data = gzip(&data);
    }
    fs::write(dir.path().join("deep.wav.gz"), &data).unwrap();
    // 64 MiB of zeros in one gzip member: about 64 KiB on disk.
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    let zeros = vec![0u8; 1 << 20];
    for _ in 0..64 {
        std::io::Write::write_all(&mut e, &zeros).unwrap();
    }
    fs::write(dir.path().join("bomb.gz"), e.finish().unwrap()).unwrap();
    // The same zeros as a deflated zip member, and a 2 GiB sparse file.
    fs::write(dir.path().join("bomb.zip"), zip_deflated("zeros.bin", 64)).unwrap();
    fs::copy(
        root().join("fixtures/limits/zeros-bomb.7z"),
        dir.path().join("bomb.7z"),
    )
    .unwrap();
    let sparse = fs::File::create(dir.path().join("sparse.img")).unwrap();
    sparse.set_len(2 << 30).unwrap();
    let started = std::time::Instant::now();
    let out = run(&[
        "scan",
        dir.path().to_str().unwrap(),
        "--format",
        "json",
        "--fail-on",
        "never",
    ]);
    let r = json(&out);
    let limits: Vec<(String, String)> = r["limits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["location"]
                    .as_str()
                    .unwrap()
                    .rsplit('/')
                    .next()
                    .unwrap()
                    .to_string(),
                l["limit"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert!(
        limits.contains(&("deep.wav.gz".into(), "max-depth".into())),
        "{limits:?}"
    );
    assert!(
        limits.contains(&("bomb.gz".into(), "max-ratio".into())),
        "{limits:?}"
    );
    assert!(
        limits.contains(&("bomb.zip".into(), "max-ratio".into())),
        "{limits:?}"
    );
    assert!(
        limits.contains(&("bomb.7z".into(), "max-object-bytes".into())),
        "{limits:?}"
    );
    assert!(r["summary"]["bytes_read"].as_u64().unwrap() < 8 << 20);
    assert_eq!(
        r["summary"]["limits_hit"].as_u64().unwrap() as usize,
        limits.len()
    );
    assert!(started.elapsed() < std::time::Duration::from_secs(30));
}

#[test]
fn state_remembers_files_reached_through_followed_links() {
    let dir = tempfile::tempdir().unwrap();
    let tree = dir.path().join("tree");
    fs::create_dir(&tree).unwrap();
    let wav = root().join("fixtures/audio/wav/pcm16.wav");
    fs::copy(&wav, tree.join("plain.wav")).unwrap();
    fs::copy(&wav, dir.path().join("real.wav")).unwrap();
    std::os::unix::fs::symlink(dir.path().join("real.wav"), tree.join("link.wav")).unwrap();
    let state = dir.path().join("state.db");
    let scan = || {
        json(&run(&[
            "scan",
            tree.to_str().unwrap(),
            "--follow-symlinks",
            "--state",
            state.to_str().unwrap(),
            "--format",
            "json",
            "--fail-on",
            "never",
        ]))
    };
    let first = scan();
    assert_eq!(first["summary"]["unchanged"], 0);
    assert_eq!(first["findings"].as_array().unwrap().len(), 2, "{first}");
    // The version is the linked file's, as the scan that stored it saw it.
    let second = scan();
    assert_eq!(second["summary"]["unchanged"], 2, "{second}");
    assert_eq!(second["summary"]["bytes_read"], 0);
    assert_eq!(second["findings"], first["findings"]);
}

#[test]
fn state_skips_unchanged_files_and_rereads_changed_ones() {
    let dir = tempfile::tempdir().unwrap();
    let tree = dir.path().join("tree");
    fs::create_dir(&tree).unwrap();
    for (name, src) in [
        ("a.wav", "fixtures/audio/wav/pcm16.wav"),
        ("b.flac", "fixtures/audio/flac/speech.flac"),
        ("c.age", "fixtures/encrypted/age/speech.wav.age"),
        ("d.txt", "fixtures/other/text/notes.txt"),
    ] {
        fs::copy(root().join(src), tree.join(name)).unwrap();
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
            "--fail-on",
            "never",
        ];
        args.extend_from_slice(extra);
        json(&run(&args))
    };
    let first = scan(&[]);
    assert_eq!(first["summary"]["unchanged"], 0);
    let second = scan(&[]);
    assert_eq!(second["summary"]["unchanged"], 4);
    assert_eq!(second["summary"]["bytes_read"], 0, "nothing read again");
    assert_eq!(second["findings"], first["findings"]);
    // A changed file is read again; the others still are not.
    fs::copy(
        root().join("fixtures/encrypted/age/speech.wav.age"),
        tree.join("a.wav"),
    )
    .unwrap();
    let third = scan(&[]);
    assert_eq!(third["summary"]["unchanged"], 3);
    let flagged: Vec<&str> = third["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["location"].as_str().unwrap())
        .collect();
    assert!(!flagged.iter().any(|l| l.ends_with("a.wav")), "{flagged:?}");
    // The baseline applies to remembered verdicts too.
    let baseline = dir.path().join("base.json");
    fs::write(&baseline, serde_json::to_string(&third).unwrap()).unwrap();
    let fourth = scan(&["--baseline", baseline.to_str().unwrap()]);
    assert_eq!(fourth["summary"]["findings"], 0);
    assert_eq!(fourth["summary"]["unchanged"], 4);
    // Other rules or depth: nothing is reused.
    let fifth = scan(&["--max-archive-depth", "1"]);
    assert_eq!(fifth["summary"]["unchanged"], 0);
}

#[test]
fn a_state_file_that_is_not_ours_is_a_configuration_error() {
    let dir = tempfile::tempdir().unwrap();
    let bogus = dir.path().join("notes.db");
    fs::write(&bogus, "these are my notes, not a database").unwrap();
    let out = run(&["scan", "fixtures/other", "--state", bogus.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("notes.db"), "{stderr}");
    assert_eq!(
        fs::read_to_string(&bogus).unwrap(),
        "these are my notes, not a database",
        "never modified"
    );
}

/// SQLite takes `STATE-wal`, `-shm` and `-journal` as its own and deletes
/// them: a user's files of those names are refused, untouched, and a state
/// written by a newer schema is not emptied.
#[test]
fn files_beside_the_state_and_newer_states_are_left_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let tree = dir.path().join("t");
    fs::create_dir(&tree).unwrap();
    fs::write(tree.join("notes.txt"), "notes").unwrap();
    let wav = fs::read(root().join("fixtures/audio/wav/pcm16.wav")).unwrap();
    let state = tree.join("state.db");
    let t = tree.to_str().unwrap();
    for suffix in ["-wal", "-shm", "-journal"] {
        let side = tree.join(format!("state.db{suffix}"));
        fs::write(&side, &wav).unwrap();
        let out = run(&["scan", t, "--state", state.to_str().unwrap()]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{suffix}: {err}");
        assert!(err.contains(&format!("state.db{suffix}")), "{err}");
        assert_eq!(fs::read(&side).unwrap(), wav, "{suffix}");
        assert!(!state.exists());
        fs::remove_file(&side).unwrap();
    }
    let out = run(&["scan", t, "--state", state.to_str().unwrap(), "-q"]);
    assert_eq!(out.status.code(), Some(0));
    let c = rusqlite::Connection::open(&state).unwrap();
    c.execute_batch("PRAGMA user_version = 9").unwrap();
    drop(c);
    let out = run(&["scan", t, "--state", state.to_str().unwrap()]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("newer atrest"), "{err}");
    let c = rusqlite::Connection::open(&state).unwrap();
    let version: i32 = c
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(version, 9);
}

/// A state that cannot be written is an error of the run, in the report
/// and the exit status, even with `-q`.
#[test]
fn a_state_that_cannot_be_saved_is_an_error_of_the_run() {
    let dir = tempfile::tempdir().unwrap();
    let tree = dir.path().join("t");
    fs::create_dir(&tree).unwrap();
    for i in 0..2000 {
        fs::write(tree.join(format!("f{i}.txt")), format!("note {i}")).unwrap();
    }
    let state = dir.path().join("s.db");
    let (t, s) = (tree.to_str().unwrap(), state.to_str().unwrap());
    assert_eq!(run(&["scan", t, "--state", s, "-q"]).status.code(), Some(0));
    // Pages past the header overwritten: the file opens, writes fail.
    let mut bytes = fs::read(&state).unwrap();
    let mut x = 0x9e37_79b9_u32;
    for b in bytes.iter_mut().skip(8192) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        *b = x as u8;
    }
    fs::write(&state, &bytes).unwrap();
    for i in 0..2000 {
        fs::write(tree.join(format!("f{i}.txt")), format!("changed {i}")).unwrap();
    }
    let out = run(&["scan", t, "--state", s, "-q", "--format", "json"]);
    assert_eq!(out.status.code(), Some(3));
    let report = json(&out);
    assert_eq!(report["complete"], false);
    let errors = report["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0]["location"], s);
    // Every object was read: the error is the run's, and the counts say so.
    let sum = &report["summary"];
    assert_eq!(
        (sum["errors"].as_u64(), sum["run_errors"].as_u64()),
        (Some(1), Some(1))
    );
    assert_eq!(sum["objects_seen"], sum["objects_scanned"]);
    assert_eq!(sum["objects_seen"], 2000);
    assert!(
        errors[0]["message"]
            .as_str()
            .unwrap()
            .starts_with("state not saved: "),
        "{errors:?}"
    );
}

/// Lists of globs are bounded, and a list that cannot be compiled is an
/// error naming where it is, never a condition silently dropped.
#[test]
fn too_many_globs_are_an_error_with_a_location() {
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("r.toml");
    let globs: Vec<String> = (0..1001).map(|i| format!("\"d{i}/**/*.wav\"")).collect();
    fs::write(
        &rules,
        format!(
            "[[rule]]\nid = \"calls.only\"\ntitle = \"t\"\nseverity = \"critical\"\n\
             category = \"audio\"\nclasses = [\"audio\"]\npaths = [{}]\n",
            globs.join(",")
        ),
    )
    .unwrap();
    let out = run(&["scan", "fixtures/other", "--rules", rules.to_str().unwrap()]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("r.toml:7:"), "{err}");
    assert!(err.contains("R003") && err.contains("1001 globs"), "{err}");
    // Lists each within the bound, more than 4,000 globs in the file.
    let list: Vec<String> = (0..900).map(|i| format!("\"d{i}/**/*.wav\"")).collect();
    let rule = |n: usize| {
        format!(
            "[[rule]]\nid = \"r{n}\"\ntitle = \"t\"\nseverity = \"low\"\n\
             category = \"audio\"\nclasses = [\"audio\"]\npaths = [{}]\n",
            list.join(",")
        )
    };
    fs::write(&rules, (0..5).map(rule).collect::<String>()).unwrap();
    let out = run(&["scan", "fixtures/other", "--rules", rules.to_str().unwrap()]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("more than 4000 globs in the file"), "{err}");
    assert_eq!(err.matches("R003").count(), 1, "{err}");
    let mut args = vec!["scan", "fixtures/other"];
    for _ in 0..1001 {
        args.extend(["--exclude", "x/**"]);
    }
    let out = run(&args);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("--exclude: given 1001 times"), "{err}");
    // Long or wildcard-laden globs, and lists of them within the count,
    // compiled to gigabytes before the regex engine refused them: they are
    // measured first.
    let one = |globs: Vec<String>| {
        let list: Vec<String> = globs.iter().map(|g| format!("\"{g}\"")).collect();
        fs::write(
            &rules,
            format!(
                "[[rule]]\nid = \"r\"\ntitle = \"t\"\nseverity = \"low\"\n\
                 category = \"audio\"\nclasses = [\"audio\"]\npaths = [{}]\n",
                list.join(",")
            ),
        )
        .unwrap();
        let out = run(&["rules", "check", rules.to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(2));
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    let err = one(vec!["a".repeat(1025)]);
    assert!(
        err.contains("R003") && err.contains("a glob of 1025 bytes"),
        "{err}"
    );
    let err = one(vec!["*a".repeat(33)]);
    assert!(err.contains("a glob with 33 wildcards"), "{err}");
    let err = one((0..200)
        .map(|i| format!("{}{i}", "*a".repeat(30)))
        .collect());
    assert!(err.contains("6000 wildcards in one list"), "{err}");
    let long = "**/".repeat(400);
    let out = run(&["scan", "fixtures/other", "--include", &long]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("a glob of 1200 bytes"), "{err}");
    assert!(err.len() < 300, "the glob is not repeated whole: {err}");
}

/// `-o /dev/stdout` writes where the descriptor stands: into a pipe, or
/// after the lines a log opened for appending already holds.
#[test]
fn output_to_a_descriptor_path_writes_through_it() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("app.log");
    fs::write(&log, "EARLIER LINE\n").unwrap();
    let bin = assert_cmd::cargo::cargo_bin("atrest");
    let script = format!(
        "'{}' scan fixtures/other -q --fail-on never --format jsonl -o /dev/stdout >> '{}'",
        bin.display(),
        log.display()
    );
    let status = std::process::Command::new("sh")
        .arg("-c")
        .arg(&script)
        .current_dir(root())
        .status()
        .unwrap();
    assert!(status.success());
    let text = fs::read_to_string(&log).unwrap();
    assert!(text.starts_with("EARLIER LINE\n{"), "{text}");
    assert!(text.trim_end().ends_with('}'), "{text}");
    let piped = format!(
        "'{}' scan fixtures/other -q --fail-on never --format json -o /dev/stdout | cat",
        bin.display()
    );
    let out = std::process::Command::new("sh")
        .arg("-c")
        .arg(&piped)
        .current_dir(root())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(report["summary"]["objects_scanned"].as_u64().unwrap() > 0);
}

/// Targets that cover the same objects would count and report them twice.
#[test]
fn overlapping_targets_are_refused() {
    for args in [
        vec!["scan", "fixtures/other", "fixtures/other"],
        vec!["scan", "fixtures", "fixtures/other"],
        vec!["scan", "fixtures/other/", "fixtures"],
    ] {
        let out = run(&args);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains("overlaps target"), "{err}");
    }
    let out = run(&[
        "scan",
        "fixtures/other",
        "fixtures/audio",
        "--fail-on",
        "never",
        "-q",
    ]);
    assert_eq!(out.status.code(), Some(0));
}

/// Values that would stall or overflow are refused before any work.
#[test]
fn a_pace_slower_than_one_request_per_1000_s_and_10001_shards_are_refused() {
    let out = run(&[
        "scan",
        "fixtures/other",
        "--max-requests-per-second",
        "1e-30",
    ]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("at least 0.001"), "{err}");
    let out = run(&["scan", "fixtures/other", "--shard", "1/10001"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("at most 10000 shards"), "{err}");
    // A merge missing thousands of shards says so in one short line.
    let dir = tempfile::tempdir().unwrap();
    let part = dir.path().join("part.json");
    let p = part.to_str().unwrap();
    let out = run(&["scan", "fixtures/other", "--shard", "3/5000", "-q", "-o", p]);
    assert!(matches!(out.status.code(), Some(0 | 1)));
    let out = run(&[
        "merge",
        p,
        "-o",
        dir.path().join("m.json").to_str().unwrap(),
    ]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{err}");
    assert!(err.contains("9/5000, 10/5000 and 4989 more"), "{err}");
    assert!(err.len() < 1000, "{err}");
}

/// A `SOURCE_DATE_EPOCH` that pins nothing RFC 3339 can write is refused
/// before the scan, not ignored nor a panic once the scan is done.
#[test]
fn source_date_epoch_is_checked_before_the_run() {
    let scan = |epoch: &str| {
        atrest()
            .env("SOURCE_DATE_EPOCH", epoch)
            .args(["scan", "fixtures/audio/wav", "--format", "json"])
            .args(["--fail-on", "never"])
            .output()
            .unwrap()
    };
    for bad in ["abc", "-1", "253402300800", "18446744073709551615"] {
        let out = scan(bad);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{bad}: {err}");
        assert!(err.contains(&format!("SOURCE_DATE_EPOCH {bad:?}")), "{err}");
        assert_eq!(err.trim_end().lines().count(), 1, "{err}");
        assert!(out.stdout.is_empty());
    }
    let last = scan("253402300799");
    assert_eq!(last.status.code(), Some(0), "{}", stderr(&last));
    assert_eq!(json(&last)["started_at"], "9999-12-31T23:59:59Z");
    // Empty is unset, as most tools read it.
    assert_eq!(scan("").status.code(), Some(0));
}

/// An endpoint no request can be sent to is a one-line fault naming where
/// it came from, before any connection: never a panic of the client.
#[test]
fn malformed_endpoints_are_refused_in_one_line() {
    let bin = assert_cmd::cargo::cargo_bin("atrest");
    let scan = |url: &str, endpoint: Option<&str>, env: &[(&str, &str)]| {
        let mut cmd = std::process::Command::new(&bin);
        cmd.args(["scan", url]);
        if let Some(e) = endpoint {
            cmd.args(["--endpoint", e]);
        }
        cmd.env("AWS_ACCESS_KEY_ID", "test")
            .env("AWS_SECRET_ACCESS_KEY", "test")
            .env("AWS_REGION", "us-east-1")
            .env_remove("AWS_ENDPOINT_URL")
            .env_remove("AWS_ENDPOINT_URL_S3")
            .envs(env.iter().copied())
            .output()
            .unwrap()
    };
    for bad in [
        "http://[::1",
        "http://a b",
        "http://h:99999",
        "http://",
        "ftp://h",
    ] {
        for (out, source) in [
            (scan("s3://calls", Some(bad), &[]), "--endpoint"),
            (
                scan("s3://calls", None, &[("AWS_ENDPOINT_URL", bad)]),
                "AWS_ENDPOINT_URL",
            ),
            (
                scan("gs://calls", None, &[("STORAGE_EMULATOR_HOST", bad)]),
                "STORAGE_EMULATOR_HOST",
            ),
        ] {
            let err = stderr(&out);
            assert_eq!(out.status.code(), Some(2), "{bad}: {err}");
            assert!(err.contains(&format!("{source} {bad:?}")), "{err}");
            assert_eq!(err.trim_end().lines().count(), 1, "{err}");
        }
    }
}

/// SIGTERM (or SIGHUP: a closed terminal) while a bucket is being
/// connected (an endpoint that never answers) ends the run at once:
/// nothing was read, nothing to report.
#[test]
fn sigterm_while_connecting_ends_the_run_at_once() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    let bin = assert_cmd::cargo::cargo_bin("atrest");
    for signal in ["TERM", "HUP"] {
        let child = std::process::Command::new(&bin)
            .args(["scan", "s3://silent-bucket", "--endpoint", &endpoint])
            .env("AWS_ACCESS_KEY_ID", "test")
            .env("AWS_SECRET_ACCESS_KEY", "test")
            .env("AWS_REGION", "us-east-1")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(1500));
        let sent = std::process::Command::new("kill")
            .args([&format!("-{signal}"), &child.id().to_string()])
            .status()
            .unwrap();
        assert!(sent.success());
        let began = std::time::Instant::now();
        let out = child.wait_with_output().unwrap();
        assert!(began.elapsed() < std::time::Duration::from_secs(10));
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(3), "{err}");
        assert!(
            err.contains(&format!("SIG{signal} while connecting")),
            "{err}"
        );
    }
    drop(listener);
}

#[test]
fn merged_shards_equal_the_whole_and_mismatched_reports_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let whole = json(&run(&[
        "scan",
        "fixtures",
        "--format",
        "json",
        "--fail-on",
        "never",
    ]));
    let mut parts = Vec::new();
    for k in 0..3 {
        let part = dir.path().join(format!("part{k}.json"));
        let shard = format!("{k}/3");
        let out = run(&[
            "scan",
            "fixtures",
            "--shard",
            &shard,
            "--format",
            "json",
            "--fail-on",
            "never",
            "-o",
            part.to_str().unwrap(),
        ]);
        assert_eq!(out.status.code(), Some(0));
        parts.push(part.to_str().unwrap().to_string());
    }
    let mut args = vec!["merge", "--format", "json", "--fail-on", "never"];
    args.extend(parts.iter().map(String::as_str));
    let merged = json(&run(&args));
    let prints = |r: &Value| -> Vec<String> {
        r["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["fingerprint"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(prints(&merged), prints(&whole), "same findings, same order");
    assert_eq!(
        merged["summary"]["objects_seen"],
        whole["summary"]["objects_seen"]
    );
    assert_eq!(merged["summary"]["by_class"], whole["summary"]["by_class"]);
    common::assert_reconciles(&merged["summary"]);
    // --fail-on judges the merged findings like a scan does.
    let mut args = vec!["merge", "--format", "json"];
    args.extend(parts.iter().map(String::as_str));
    assert_eq!(run(&args).status.code(), Some(1));

    // Reports of other rules cannot be merged; a file that is no report names itself.
    let rules = dir.path().join("rules.toml");
    fs::write(
        &rules,
        "[[rule]]\nid = \"a\"\ntitle = \"t\"\nseverity = \"low\"\ncategory = \"audio\"\nclasses = [\"audio\"]\n",
    )
    .unwrap();
    let other = dir.path().join("other.json");
    let out = run(&[
        "scan",
        "fixtures/audio/wav",
        "--rules",
        rules.to_str().unwrap(),
        "--format",
        "json",
        "--fail-on",
        "never",
        "-o",
        other.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0));
    let out = run(&["merge", &parts[0], other.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("other rules"));
    // SARIF and the table describe the rules: the rules file must be the
    // one the findings were judged by. JSON carries no rule table.
    let o = other.to_str().unwrap();
    let sarif = run(&["merge", o, "--format", "sarif", "--fail-on", "never"]);
    assert_eq!(sarif.status.code(), Some(2), "{}", stderr(&sarif));
    assert!(stderr(&sarif).contains("give that rules file with --rules"));
    let r = rules.to_str().unwrap();
    let sarif = run(&[
        "merge",
        o,
        "--format",
        "sarif",
        "--rules",
        r,
        "--fail-on",
        "never",
    ]);
    assert_eq!(sarif.status.code(), Some(0), "{}", stderr(&sarif));
    let plain = run(&["merge", o, "--format", "json", "--fail-on", "never"]);
    assert_eq!(plain.status.code(), Some(0), "{}", stderr(&plain));
    // A JSON Lines report is named as one.
    let lines = dir.path().join("r.jsonl");
    let jsonl = run(&[
        "scan",
        "fixtures/audio/wav",
        "--format",
        "jsonl",
        "--fail-on",
        "never",
    ]);
    fs::write(&lines, &jsonl.stdout).unwrap();
    let out = run(&["merge", lines.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("a JSON Lines report; merge reads JSON reports"));
    let notes = dir.path().join("notes.json");
    fs::write(&notes, "{\"hello\": 1}").unwrap();
    let out = run(&["merge", notes.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("notes.json"));
}

// Hostile archives and streams

/// The attacker's corpus (tests/hostile/make.py, Python standard library
/// only) written into a temporary folder.
fn hostile_tree() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let out = std::process::Command::new("python3")
        .arg(root().join("tests/hostile/make.py"))
        .arg(dir.path().join("t"))
        .arg("--fixtures")
        .arg(root().join("fixtures"))
        .output()
        .expect("python3 runs tests/hostile/make.py");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    dir
}

/// (file, expected outcome) of the manifest rows of `classes`.
fn hostile_rows(tree: &Path, classes: &[&str]) -> Vec<(String, String)> {
    fs::read_to_string(tree.join("MANIFEST.tsv"))
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| l.split('\t').collect::<Vec<_>>())
        .filter(|f| classes.contains(&f[1]))
        .map(|f| (f[0].to_string(), f[3].to_string()))
        .collect()
}

#[test]
fn hostile_archives_and_streams_end_quickly_with_limits_beside_normal_findings() {
    let dir = hostile_tree();
    let tree = dir.path().join("t");
    let classes = ["7z", "tar", "zip", "nested", "normal"];
    let targets: Vec<String> = classes
        .iter()
        .map(|c| tree.join(c).to_str().unwrap().to_string())
        .collect();
    let started = std::time::Instant::now();
    let mut args = vec!["scan", "--format", "json"];
    args.extend(targets.iter().map(String::as_str));
    let out = run(&args);
    let took = started.elapsed();
    assert!(
        matches!(out.status.code(), Some(0 | 1 | 3)),
        "exit {:?}: {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    // Debug build, shared cores: the release build takes about a second.
    assert!(took < std::time::Duration::from_secs(40), "{took:?}");
    let r = json(&out);
    let at = |kind: &str, file: &str| -> Vec<Value> {
        r[kind]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["location"].as_str().unwrap().ends_with(file))
            .cloned()
            .collect()
    };
    assert!(
        r["errors"].as_array().unwrap().is_empty(),
        "{}",
        r["errors"]
    );
    for (file, expected) in hostile_rows(&tree, &classes) {
        let (limits, findings) = (at("limits", &file), at("findings", &file));
        match expected.as_str() {
            // Deflate64 members are decoded now: the WAV inside is found.
            "limit" if file == "zip/deflate64-member.zip" => {
                assert!(!findings.is_empty(), "{file}: no finding")
            }
            "limit" => assert!(!limits.is_empty(), "{file}: no limit"),
            "finding" => assert!(!findings.is_empty(), "{file}: no finding"),
            _ => {}
        }
    }
    // Overlapping entries: one limit for the whole archive, not one per entry.
    assert_eq!(at("limits", "zip/overlap-same-member-1000.zip").len(), 1);
    assert_eq!(at("limits", "zip/overlap-quoted-250.zip").len(), 1);
    // A pax size past the end is a limit, and the member is still judged from its head.
    assert!(!at("findings", "tar/pax-size-record-huge.tar").is_empty());
    // The ordinary fixtures beside the attack still count.
    assert_eq!(
        r["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["location"].as_str().unwrap().contains("/normal/"))
            .count(),
        4
    );
}

#[test]
fn deepest_archive_nesting_allowed_stays_on_the_stack() {
    let dir = hostile_tree();
    let nested = dir.path().join("t/nested");
    let out = run(&[
        "scan",
        nested.to_str().unwrap(),
        "--max-archive-depth",
        "16",
        "--format",
        "json",
    ]);
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "exit {:?}: {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    let r = json(&out);
    let depth = r["limits"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|l| l["limit"] == "max-depth")
        .count();
    assert!(depth >= 8, "{}", r["limits"]);
}

// Hostile media and documents

/// The top-level boxes of an ISO BMFF file: (type, offset, size).
fn top_level_boxes(v: &[u8]) -> Vec<([u8; 4], usize, usize)> {
    let mut out = Vec::new();
    let mut pos = 0;
    while pos + 8 <= v.len() {
        let size = u32::from_be_bytes(v[pos..pos + 4].try_into().unwrap()) as usize;
        out.push((v[pos + 4..pos + 8].try_into().unwrap(), pos, size));
        pos += size.max(8);
    }
    out
}

/// The committed speech M4A (ftyp, free, mdat, moov) with its mdat grown
/// to `mdat_len` bytes of its own AAC and its moov given a 64-bit size.
fn m4a_moov_largesize_after_mdat(mdat_len: usize) -> Vec<u8> {
    let seed = fs::read(root().join("tests/hostile/seed-audio.m4a")).unwrap();
    let boxes = top_level_boxes(&seed);
    let kinds: Vec<&[u8; 4]> = boxes.iter().map(|b| &b.0).collect();
    assert_eq!(kinds, [b"ftyp", b"free", b"mdat", b"moov"]);
    let (_, mdat_at, mdat_size) = boxes[2];
    let (_, moov_at, moov_size) = boxes[3];
    let aac = &seed[mdat_at + 8..mdat_at + mdat_size];
    let mut v = seed[..mdat_at].to_vec();
    v.extend(((mdat_len + 8) as u32).to_be_bytes());
    v.extend(b"mdat");
    v.extend(aac.iter().cycle().take(mdat_len));
    v.extend(1u32.to_be_bytes());
    v.extend(b"moov");
    v.extend((moov_size as u64 + 8).to_be_bytes());
    v.extend(&seed[moov_at + 8..moov_at + moov_size]);
    v
}

#[test]
fn m4a_with_a_64_bit_moov_after_mdat_is_a_finding() {
    let dir = tempfile::tempdir().unwrap();
    for kib in [8, 60, 64, 65, 256, 1024] {
        fs::write(
            dir.path().join(format!("speech-{kib}k.m4a")),
            m4a_moov_largesize_after_mdat(kib * 1024 + 3),
        )
        .unwrap();
    }
    let r = json(&run(&[
        "scan",
        dir.path().to_str().unwrap(),
        "--format",
        "json",
    ]));
    let found: Vec<&str> = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "audio.unencrypted")
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    assert_eq!(found.len(), 6, "{:#}", r["findings"]);
}

/// EBML header (DocType "matroska"), a Segment of unknown size, Tracks with
/// one audio TrackEntry whose CodecID is `codec` (three-byte sizes).
fn mka_with_codec(codec: &[u8]) -> Vec<u8> {
    let sized = |id: &[u8], body: &[u8]| {
        let n = body.len();
        [id, &[0x20 | (n >> 16) as u8, (n >> 8) as u8, n as u8], body].concat()
    };
    let mut v = vec![0x1a, 0x45, 0xdf, 0xa3, 0x8b, 0x42, 0x82, 0x88];
    v.extend(b"matroska");
    v.extend([
        0x18, 0x53, 0x80, 0x67, 0x01, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    ]);
    let entry = [&[0x83, 0x81, 0x02][..], &sized(&[0x86], codec)].concat();
    v.extend(sized(&[0x16, 0x54, 0xae, 0x6b], &sized(&[0xae], &entry)));
    v.extend([
        0x1f, 0x43, 0xb6, 0x75, 0x01, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    ]);
    v.extend((0..4096u32).map(|i| (i * 7 % 251) as u8));
    v
}

#[test]
fn matroska_codec_id_evidence_is_bounded_and_printable() {
    let dir = tempfile::tempdir().unwrap();
    let mut codec = b"A_\x1b]0;pwned\x07\n".to_vec();
    codec.resize(61_440, b'X');
    fs::write(dir.path().join("codecid-60k.mka"), mka_with_codec(&codec)).unwrap();
    let out = run(&["scan", dir.path().to_str().unwrap(), "--format", "json"]);
    let r = json(&out);
    let findings = r["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 1, "{r:#}");
    let shown = findings[0]["evidence"]["codec"].as_str().unwrap();
    assert!(shown.len() <= 64, "{shown}");
    assert!(
        shown.bytes().all(|c| (0x20..0x7f).contains(&c)),
        "{shown:?}"
    );
    assert!(
        out.stdout.len() < 16 * 1024,
        "{} bytes of report",
        out.stdout.len()
    );
}

/// A 57-byte WAV (RIFF, fmt, 6 samples of PCM, a pad byte): 76 base64 symbols.
fn tiny_wav() -> Vec<u8> {
    let data: Vec<u8> = [0i16, 900, 1700, 900, 0, -900]
        .iter()
        .flat_map(|s| s.to_le_bytes())
        .collect();
    let mut v = b"RIFF".to_vec();
    v.extend((36 + data.len() as u32).to_le_bytes());
    v.extend(b"WAVEfmt ");
    v.extend(16u32.to_le_bytes());
    v.extend([1, 0, 1, 0]);
    v.extend(8000u32.to_le_bytes());
    v.extend(16000u32.to_le_bytes());
    v.extend([2, 0, 16, 0]);
    v.extend(b"data");
    v.extend((data.len() as u32).to_le_bytes());
    v.extend(data);
    v.push(0);
    v
}

#[test]
fn a_flood_of_data_uris_gives_a_capped_number_of_findings_and_a_limit() {
    use base64::Engine;
    let dir = tempfile::tempdir().unwrap();
    let run_text = base64::engine::general_purpose::STANDARD.encode(tiny_wav());
    let line = format!("data:audio/wav;base64,{run_text}\"\n");
    assert_eq!(line.len(), 100);
    fs::write(dir.path().join("flood.txt"), line.repeat(614)).unwrap();
    let r = json(&run(&[
        "scan",
        dir.path().to_str().unwrap(),
        "--format",
        "json",
    ]));
    let findings = r["findings"].as_array().unwrap();
    assert!(
        (1..=64).contains(&findings.len()),
        "{} findings",
        findings.len()
    );
    assert!(
        findings
            .iter()
            .all(|f| f["evidence"]["declared"] == "data: URI of type audio/wav"),
        "{:#}",
        findings[0]
    );
    let limits = r["limits"].as_array().unwrap();
    assert!(
        limits
            .iter()
            .any(|l| l.to_string().contains("encoded runs")),
        "{limits:#?}"
    );
}

#[test]
fn odd_length_hex_runs_of_random_bytes_are_not_findings() {
    let dir = tempfile::tempdir().unwrap();
    let mut x = 0x9e37_79b9_7f4a_7c15u64;
    let mut random = |n: usize| -> Vec<u8> {
        (0..n)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x as u8
            })
            .collect()
    };
    let mut sql = b"INSERT INTO blobs VALUES\n".to_vec();
    for i in 0..40 {
        // One in four starts like an old-format OpenPGP SED packet whose
        // length byte spans the decoded bytes exactly (64 to 70 of them).
        let mut bytes = random(72);
        if i % 4 == 0 {
            bytes[..2].copy_from_slice(&[0xa4, 62 + (i % 7) as u8]);
        }
        let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        sql.extend(format!("X'{}',\n", &hex[..129 + 2 * (i % 7)]).bytes());
    }
    fs::write(dir.path().join("blobs.sql"), sql).unwrap();
    let out = run(&["scan", dir.path().to_str().unwrap(), "--format", "json"]);
    let r = json(&out);
    assert_eq!(r["findings"].as_array().unwrap().len(), 0, "{r:#}");
    assert_eq!(out.status.code(), Some(0));
}

/// Every file of the hostile tree's media and document classes
/// (`tests/hostile/make.py`) scans alone in a few seconds, with exit 0, 1 or
/// 3. Needs python3; says so and passes without it.
#[test]
fn hostile_media_and_documents_finish_fast() {
    let dir = tempfile::tempdir().unwrap();
    let made = std::process::Command::new("python3")
        .arg(root().join("tests/hostile/make.py"))
        .arg(dir.path())
        .arg("--fixtures")
        .arg(root().join("fixtures"))
        .output();
    let Ok(made) = made else {
        eprintln!("python3 not found: hostile tree not made");
        return;
    };
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    let mut files = Vec::new();
    for class in [
        "mp4", "mkv", "asf", "ole", "pdf", "riff", "flac", "id3", "encoded",
    ] {
        files.extend(walk(&dir.path().join(class)));
    }
    assert!(files.len() >= 50, "{} files", files.len());
    for file in files {
        let started = std::time::Instant::now();
        let out = atrest()
            .args(["scan", "--format", "json"])
            .arg(&file)
            .timeout(std::time::Duration::from_secs(20))
            .output()
            .unwrap();
        let took = started.elapsed();
        assert!(
            matches!(out.status.code(), Some(0 | 1 | 3)),
            "{}: {:?} {}",
            file.display(),
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(took.as_secs_f64() < 5.0, "{}: {took:?}", file.display());
        let r = json(&out);
        assert!(
            r["findings"].as_array().unwrap().len() <= 64,
            "{}",
            file.display()
        );
    }
}

// AI dataset containers

/// Every file of `fixtures/datasets` gets the verdict `expected.tsv` (written
/// by `fixtures/make_datasets.py`) gives it: speech stored in the clear is a
/// finding, whatever the container; tables, text, images, embeddings, token
/// ids, noise and features are not; audio behind Parquet modular encryption
/// is no finding, and its object says it is (partly) encrypted. Ordinary
/// dataset files hit no limit.
#[test]
fn dataset_fixtures_get_the_verdicts_expected_tsv_gives() {
    let report = json(&run(&[
        "scan",
        "fixtures/datasets",
        "--format",
        "json",
        "--inventory",
        "--fail-on",
        "never",
    ]));
    let mut rules: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for f in report["findings"].as_array().unwrap() {
        rules
            .entry(f["location"].as_str().unwrap().to_string())
            .or_default()
            .push(f["rule"].as_str().unwrap().to_string());
    }
    let object = |location: &str| {
        report["objects"]
            .as_array()
            .unwrap()
            .iter()
            .find(|o| o["location"] == location && o["member"].is_null())
            .cloned()
            .unwrap_or_else(|| panic!("{location} not in the inventory"))
    };
    let expected = fs::read_to_string(root().join("fixtures/datasets/expected.tsv")).unwrap();
    let mut checked = 0;
    for line in expected.lines().filter(|l| !l.starts_with('#')) {
        let mut cols = line.split('\t');
        let (file, verdict) = (cols.next().unwrap(), cols.next().unwrap());
        let location = format!("fixtures/datasets/{file}");
        let found = rules.get(&location).cloned().unwrap_or_default();
        match verdict {
            "audio.unencrypted" => assert!(
                found.iter().any(|r| r == "audio.unencrypted"),
                "{file} should be an audio.unencrypted finding, got {found:?}"
            ),
            "none" => assert!(found.is_empty(), "{file} must not be a finding: {found:?}"),
            "encrypted" => {
                assert!(found.is_empty(), "{file} must not be a finding: {found:?}");
                let o = object(&location);
                assert!(
                    o["encryption"] == "encrypted" || o["encryption"] == "partial",
                    "{file}: {o}"
                );
            }
            other => panic!("unknown verdict {other} for {file}"),
        }
        checked += 1;
    }
    assert_eq!(checked, 125, "every fixture of expected.tsv");
    assert_eq!(
        report["limits"],
        serde_json::json!([]),
        "ordinary datasets hit no limit"
    );
    // Containers are named by their bytes, waveforms by their tensors.
    for (file, format) in [
        ("parquet/hf-audio-wav.parquet", "parquet"),
        ("onnx/model-weights.onnx", "onnx"),
        ("arrow/file-none-hf-audio.arrow", "arrow"),
        (
            "arrow/hf-save-to-disk/data-00000-of-00001.arrow",
            "arrow-stream",
        ),
        ("tfrecord/waveform-float.tfrecord.zlib", "tfrecord"),
        ("numpy/wave-int16.npy", "npy"),
        ("numpy/utterance.npz", "npz"),
        ("safetensors/waveform.safetensors", "safetensors"),
        ("pytorch/waveform.pt", "pytorch"),
        ("hdf5/wave-libver-latest.h5", "hdf5"),
        ("kaldi/wav.ark", "kaldi-ark"),
    ] {
        assert_eq!(
            object(&format!("fixtures/datasets/{file}"))["format"],
            format,
            "{file}"
        );
    }
    let members: Vec<(String, String)> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["member"].as_str().unwrap_or("").to_string(),
                f["format"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    for (member, format) in [
        ("audio.bytes[row group 4, dictionary 0]", "wav"),
        ("audio.bytes[row 0]", "wav"),
        ("/train/utt0002/wav[:]", "waveform"),
        ("array[0, :]", "waveform"),
        ("record 0/audio/waveform", "waveform"),
        ("spk1-utt000", "wav"),
    ] {
        assert!(
            members.contains(&(member.to_string(), format.to_string())),
            "no {format} member {member}: {members:?}"
        );
    }
}

/// CRC32C (Castagnoli), bit by bit: TFRecord framing for the hostile files.
fn crc32c(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0x82f6_3b78
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

fn masked_crc32c(data: &[u8]) -> u32 {
    crc32c(data).rotate_right(15).wrapping_add(0xa282_ead8)
}

/// An HDF5 file (superblock v0, 8-byte addresses) whose root object header
/// holds `message` (type, body) at address 96; `tail` is written at 200.
fn hdf5_with(kind: u16, body: &[u8], tail: &[u8]) -> Vec<u8> {
    let mut h = b"\x89HDF\r\n\x1a\n".to_vec();
    h.extend([0, 0, 0, 0, 0, 8, 8, 0, 4, 0, 16, 0, 0, 0, 0, 0]);
    h.extend(0u64.to_le_bytes()); // base address
    h.extend([0xff; 8]); // free space: undefined
    h.extend(512u64.to_le_bytes()); // end of file
    h.extend([0xff; 8]); // driver info: undefined
    h.extend(0u64.to_le_bytes()); // root entry: link name offset
    h.extend(96u64.to_le_bytes()); // root object header
    h.extend([0u8; 24]); // cache type, reserved, scratch
    assert_eq!(h.len(), 96);
    h.extend([1, 0, 1, 0, 1, 0, 0, 0]); // v1 header, one message, refcount
    h.extend(((8 + body.len()) as u32).to_le_bytes());
    h.extend([0u8; 4]);
    h.extend(kind.to_le_bytes());
    h.extend((body.len() as u16).to_le_bytes());
    h.extend([0u8; 4]);
    h.extend(body);
    h.resize(200, 0);
    h.extend(tail);
    h.resize(512, 0);
    h
}

/// Hostile datasets: lengths, sizes, counts and addresses chosen by an
/// attacker. Each ends at once with a limit naming what was refused; none
/// allocates what it declares or loops on it.
#[test]
fn hostile_datasets_end_quickly_with_their_limits_reported() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let fixture = |p: &str| fs::read(root().join("fixtures/datasets").join(p)).unwrap();

    // A Parquet footer declared 12 MiB long (a sparse 16 MiB file).
    let f = fs::File::create(d.join("huge-footer.parquet")).unwrap();
    f.set_len(16 << 20).unwrap();
    {
        use std::io::{Seek, SeekFrom, Write};
        let mut f = f;
        f.write_all(b"PAR1\x15\x04\x15\x00").unwrap();
        f.seek(SeekFrom::Start((16 << 20) - 8)).unwrap();
        f.write_all(&(12u32 << 20).to_le_bytes()).unwrap();
        f.write_all(b"PAR1").unwrap();
    }
    // A page whose compressed size (about 1 MiB) runs past its column chunk.
    let mut page = fixture("parquet/codec-none.parquet");
    assert_eq!(&page[10..14], [0x15, 0xa0, 0xc4, 0x03]);
    page[11..14].copy_from_slice(&[0xfe, 0xff, 0x7f]);
    fs::write(d.join("huge-page.parquet"), page).unwrap();
    // An Arrow stream whose second message declares 2 GiB of metadata.
    let mut arrow = fixture("arrow/stream-none-hf-audio.arrow");
    arrow.truncate(536);
    arrow.extend([0xff, 0xff, 0xff, 0xff, 0xf8, 0xff, 0xff, 0x7f]);
    arrow.extend([0u8; 64]);
    fs::write(d.join("huge-metadata.arrow"), arrow).unwrap();
    // A TFRecord whose second record declares 2^40 bytes, with a valid CRC.
    let mut tf = fixture("tfrecord/wav-bytes.tfrecord");
    let first = u64::from_le_bytes(tf[..8].try_into().unwrap()) as usize;
    let second = 16 + first;
    let len = (1u64 << 40).to_le_bytes();
    tf[second..second + 8].copy_from_slice(&len);
    tf[second + 8..second + 12].copy_from_slice(&masked_crc32c(&len).to_le_bytes());
    fs::write(d.join("huge-record.tfrecord"), tf).unwrap();
    // A kaldiio AUDIO entry declaring 2^60 bytes.
    let mut ark = b"utt1 AUDIO\x08".to_vec();
    ark.extend((1u64 << 60).to_le_bytes());
    ark.extend(b"fLaC\0\0\0\x22");
    ark.resize(4096, 0);
    fs::write(d.join("huge-entry.ark"), ark).unwrap();
    // A safetensors header declared 6 MiB long (a sparse 8 MiB file).
    {
        use std::io::Write;
        let mut f = fs::File::create(d.join("huge-header.safetensors")).unwrap();
        f.write_all(&(6u64 << 20).to_le_bytes()).unwrap();
        f.write_all(br#"{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}"#)
            .unwrap();
        f.set_len(8 << 20).unwrap();
    }
    // HDF5: a continuation message that continues into itself, and a
    // B-tree node whose children are the node itself.
    let mut continuation = 112u64.to_le_bytes().to_vec();
    continuation.extend(24u64.to_le_bytes());
    fs::write(
        d.join("continuation-loop.h5"),
        hdf5_with(0x10, &continuation, &[]),
    )
    .unwrap();
    let mut table = 200u64.to_le_bytes().to_vec(); // B-tree
    table.extend(300u64.to_le_bytes()); // local heap
    let mut tree = b"TREE\x00\x01\x02\x00".to_vec(); // group node, level 1, 2 entries
    tree.extend([0xff; 16]); // no siblings
    for _ in 0..2 {
        tree.extend(0u64.to_le_bytes()); // key
        tree.extend(200u64.to_le_bytes()); // child: the node itself
    }
    tree.extend(0u64.to_le_bytes());
    tree.resize(100, 0);
    tree.extend(b"HEAP\0\0\0\0");
    tree.extend(16u64.to_le_bytes());
    tree.extend([0xff; 8]);
    tree.extend(340u64.to_le_bytes());
    fs::write(d.join("btree-loop.h5"), hdf5_with(0x11, &table, &tree)).unwrap();
    // A NumPy array of 2^62 × 2^62 elements (no limit needed: nothing to read).
    let dict = b"{'descr': '<f4', 'fortran_order': False, 'shape': (4611686018427387904, 4611686018427387904), }\n";
    let mut npy = b"\x93NUMPY\x01\x00".to_vec();
    npy.extend((dict.len() as u16).to_le_bytes());
    npy.extend(dict);
    npy.resize(8192, 0);
    fs::write(d.join("huge-shape.npy"), npy).unwrap();

    let started = std::time::Instant::now();
    let out = run(&[
        "scan",
        d.to_str().unwrap(),
        "--format",
        "json",
        "--fail-on",
        "never",
    ]);
    let elapsed = started.elapsed();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report = json(&out);
    assert!(elapsed.as_secs() < 20, "{elapsed:?}");
    let limits = report["limits"].as_array().unwrap();
    for (file, says) in [
        ("huge-footer.parquet", "footer of 12582912 bytes"),
        ("huge-page.parquet", "runs past its chunk"),
        ("huge-metadata.arrow", "bytes of metadata"),
        ("huge-record.tfrecord", "1099511627776 bytes past the end"),
        ("huge-entry.ark", "bytes past the end"),
        ("huge-header.safetensors", "header of 6291456 bytes"),
        ("continuation-loop.h5", "continuation chain"),
        ("btree-loop.h5", "B-tree (a loop"),
    ] {
        let hit = limits
            .iter()
            .find(|l| l["location"].as_str().unwrap().ends_with(file));
        let hit = hit.unwrap_or_else(|| panic!("no limit for {file}: {limits:?}"));
        assert!(
            hit["message"].as_str().unwrap().contains(says),
            "{file}: {hit}"
        );
    }
    assert_eq!(report["summary"]["objects_scanned"], 9);
    assert!(
        report["summary"]["bytes_read"].as_u64().unwrap() < 4 << 20,
        "{}",
        report["summary"]
    );
}

#[test]
fn the_report_never_replaces_what_the_run_reads() {
    let dir = tempfile::tempdir().unwrap();
    let wav = dir.path().join("evidence.wav");
    fs::copy(root().join("fixtures/audio/wav/pcm16.wav"), &wav).unwrap();
    let original = fs::read(&wav).unwrap();
    let rules = dir.path().join("rules.toml");
    fs::write(&rules, run(&["rules", "export"]).stdout).unwrap();
    let (w, r, state) = (
        wav.to_str().unwrap(),
        rules.to_str().unwrap(),
        dir.path().join("st.db"),
    );
    let s = state.to_str().unwrap();
    let wal = format!("{s}-wal");
    for (args, what) in [
        (vec!["scan", w, "-o", w], "a target"),
        (vec!["scan", w, "--rules", r, "-o", r], "the rules file"),
        (vec!["scan", w, "--state", s, "-o", s], "the state file"),
        // SQLite deletes its journals as it closes the state.
        (
            vec!["scan", w, "--state", s, "-o", &wal],
            "a journal of the state file",
        ),
    ] {
        let out = run(&args);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(&format!("is {what} of this run")), "{err}");
    }
    assert_eq!(fs::read(&wav).unwrap(), original);
    assert!(!state.exists());
    // Nor is the state file something to scan.
    let made = run(&[
        "scan",
        w,
        "--state",
        s,
        "--fail-on",
        "never",
        "-o",
        "/dev/null",
    ]);
    assert_eq!(made.status.code(), Some(0), "{}", stderr(&made));
    let own = run(&["scan", s, "--state", s]);
    assert_eq!(own.status.code(), Some(2), "{}", stderr(&own));
    assert!(stderr(&own).contains("is the state file of this run"));
    fs::remove_file(&state).unwrap();
    // A state file inside the scanned folder is not its object; an earlier
    // report is, like any file there: the second run sees it too.
    let report = dir.path().join("r.json");
    let scan = || {
        let args = [
            "scan",
            dir.path().to_str().unwrap(),
            "--state",
            s,
            "--fail-on",
            "never",
        ];
        let out = run(&[&args[..], &["-o", report.to_str().unwrap()]].concat());
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let mut r: Value = serde_json::from_slice(&fs::read(&report).unwrap()).unwrap();
        r["summary"]["objects_scanned"].take()
    };
    assert_eq!(scan(), 2);
    assert_eq!(scan(), 3);
    // A scan of the folder with its report at `path`.
    let report_to = |path: &Path| {
        let d = dir.path().to_str().unwrap();
        run(&[
            "scan",
            d,
            "--fail-on",
            "never",
            "-o",
            path.to_str().unwrap(),
        ])
    };
    // A recording dressed as a report (the markers a report's first or last
    // KiB carry, in its comment) is not replaced, whatever its name.
    for (name, marker) in [
        (
            "disguised.sarif",
            &b"\"$schema\": \"sarif\", \"name\": \"atrest\""[..],
        ),
        (
            "disguised.txt",
            b"objects seen, \nclasses: audio \nfindings: ",
        ),
        (
            "disguised.jsonl",
            b"\n{\"kind\":\"summary\",\"scan_id\":\"x\"}\n",
        ),
    ] {
        let path = dir.path().join(name);
        let mut bytes = original.clone();
        bytes.extend_from_slice(marker);
        fs::write(&path, &bytes).unwrap();
        let o = report_to(&path);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{name}: {err}");
        assert!(err.contains("is not an atrest report"), "{err}");
        assert_eq!(fs::read(&path).unwrap(), bytes);
        fs::remove_file(&path).unwrap();
    }
    // Inside the scanned folder only an earlier report (of any format)
    // may be replaced; a recording there, named or reached by a link, not.
    let d = dir.path().to_str().unwrap();
    let link = dir.path().join("report.json");
    std::os::unix::fs::symlink(&wav, &link).unwrap();
    for out in [w, link.to_str().unwrap()] {
        let o = run(&["scan", d, "--fail-on", "never", "-o", out]);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{err}");
        assert!(err.contains("is not an atrest report"), "{err}");
    }
    assert_eq!(fs::read(&wav).unwrap(), original);
    fs::remove_file(&link).unwrap();
    // Another program's JSON Lines, or a script that runs atrest, are not
    // reports.
    for (name, text) in [
        (
            "audit.log",
            "{\"kind\":\"Event\",\"apiVersion\":\"audit.k8s.io/v1\"}\n",
        ),
        (
            "nightly.sh",
            "#!/bin/sh\natrest scan \"/data\" -o \"/data/r.json\"\n",
        ),
    ] {
        let path = dir.path().join(name);
        fs::write(&path, text).unwrap();
        let o = report_to(&path);
        assert_eq!(o.status.code(), Some(2), "{name}");
        assert_eq!(fs::read_to_string(&path).unwrap(), text);
    }
    for name in ["r.sarif", "r.jsonl", "r.txt"] {
        let out = dir.path().join(name);
        for _ in 0..2 {
            let o = run(&["scan", d, "--fail-on", "never", "-o", out.to_str().unwrap()]);
            assert_eq!(o.status.code(), Some(0), "{name}");
        }
    }
}

/// In a container the scanned folder is often mounted twice (`-v
/// $PWD:/scan -v $PWD/reports:/out`): through the second mount a file of
/// the target has a path outside it. The report still may not replace it,
/// and its temporary file is still not an object. The mounts are made in
/// a namespace of the test's own (`unshare`), as any user may.
#[test]
fn the_report_knows_the_target_through_a_second_mount() {
    let dir = tempfile::tempdir().unwrap();
    let (scan, out) = (dir.path().join("scan"), dir.path().join("out"));
    fs::create_dir(&scan).unwrap();
    fs::create_dir(&out).unwrap();
    let original = fs::read(root().join("fixtures/audio/wav/pcm16.wav")).unwrap();
    fs::write(scan.join("notes.json"), &original).unwrap();
    fs::create_dir(scan.join("reports")).unwrap();
    fs::create_dir(dir.path().join("sub")).unwrap();
    fs::write(scan.join("reports/victim.wav"), &original).unwrap();
    let script = r#"mount --bind "$1/scan" "$1/out" || exit 99
mount --bind "$1/scan/reports" "$1/sub" || exit 99
"$2" scan "$1/scan" -o "$1/out/notes.json" 2>"$1/refused.txt"; echo $? >"$1/refused.code"
"$2" scan "$1/scan" -o "$1/sub/victim.wav" 2>"$1/sub-refused.txt"; echo $? >"$1/sub-refused.code"
"$2" scan "$1/scan" --inventory --fail-on never -q -o "$1/out/new.json"; echo $? >"$1/new.code""#;
    let status = std::process::Command::new("unshare")
        .args([
            "--user",
            "--map-root-user",
            "--mount",
            "sh",
            "-c",
            script,
            "sh",
        ])
        .arg(dir.path())
        .arg(env!("CARGO_BIN_EXE_atrest"))
        .status()
        .unwrap();
    assert!(status.success(), "unshare: {status}");
    let read = |name: &str| fs::read_to_string(dir.path().join(name)).unwrap();
    assert_eq!(read("refused.code").trim(), "2");
    assert!(
        read("refused.txt").contains("lies in target"),
        "{}",
        read("refused.txt")
    );
    assert_eq!(fs::read(scan.join("notes.json")).unwrap(), original);
    // A subfolder of the target mounted again: no path leads from the
    // report's folder to the target, but the walk meets the file.
    assert_eq!(read("sub-refused.code").trim(), "2");
    assert!(
        read("sub-refused.txt").contains("it was not replaced"),
        "{}",
        read("sub-refused.txt")
    );
    assert_eq!(fs::read(scan.join("reports/victim.wav")).unwrap(), original);
    assert_eq!(read("new.code").trim(), "0");
    let report: Value = serde_json::from_slice(&fs::read(scan.join("new.json")).unwrap()).unwrap();
    let objects: Vec<&str> = report["objects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["location"].as_str().unwrap())
        .collect();
    assert_eq!(objects.len(), 2, "{objects:?}");
    assert!(objects[0].ends_with("scan/notes.json"), "{objects:?}");
}

/// A folder whose only file cannot be reached (its path is past the
/// length limit) is not an empty target: the scan reports the file.
#[test]
fn a_target_holding_only_an_unreachable_file_is_not_empty() {
    let dir = tempfile::tempdir().unwrap();
    let made = std::process::Command::new("python3")
        .arg("-c")
        .arg(
            "import os,sys\n\
             fd=os.open(sys.argv[1],os.O_RDONLY)\n\
             for i in range(2100):\n\
             \x20   os.mkdir('d',dir_fd=fd); n=os.open('d',os.O_RDONLY,dir_fd=fd); os.close(fd); fd=n\n\
             f=os.open('x.wav',os.O_WRONLY|os.O_CREAT,0o644,dir_fd=fd); os.write(f,b'RIFF'); os.close(f)\n",
        )
        .arg(dir.path())
        .status()
        .unwrap();
    assert!(made.success());
    let out = run(&["scan", dir.path().to_str().unwrap(), "--format", "json"]);
    assert_eq!(
        out.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report = json(&out);
    assert_eq!(report["errors"].as_array().unwrap().len(), 1, "{report}");
    // The tree is removed by depth, as the path is too long for one call.
    let _ = std::process::Command::new("rm")
        .arg("-rf")
        .arg(dir.path())
        .status();
}

/// A scan refused for its rules file names each problem on a line of its
/// own, as `rules check` does; text that would reach a terminal as
/// controls is one of them.
#[test]
fn each_problem_of_a_rules_file_is_a_line() {
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("r.toml");
    fs::write(
        &rules,
        "[[rule]]\nid = \"x\"\ntitle = \"T\\u001b[2J\"\nseverity = \"high\"\n\
         category = \"audio\"\nclasses = [\"audio\"]\nremediation = \"a\\nb\"\n",
    )
    .unwrap();
    let out = run(&["scan", "fixtures/other", "--rules", rules.to_str().unwrap()]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 2, "{err}");
    assert!(
        lines
            .iter()
            .all(|l| l.starts_with("atrest: ") && l.contains("error[R011]")),
        "{err}"
    );
    assert!(!err.contains('\x1b'), "{err}");
}

/// A member named `inner.zip!/b.wav` and member `b.wav` of a nested
/// `inner.zip` share their chain (and fingerprint): both recordings are
/// still listed, told apart by their sizes.
#[test]
fn members_that_share_a_chain_are_both_listed() {
    let dir = tempfile::tempdir().unwrap();
    let made = std::process::Command::new("python3")
        .arg("-c")
        .arg(
            "import zipfile,io,sys\n\
             w=open(sys.argv[1],'rb').read()\n\
             b=io.BytesIO(); z=zipfile.ZipFile(b,'w'); z.writestr('b.wav',w); z.close()\n\
             z=zipfile.ZipFile(sys.argv[2],'w'); z.writestr('inner.zip',b.getvalue())\n\
             z.writestr('inner.zip!/b.wav',w[:30000]); z.close()\n",
        )
        .arg(root().join("fixtures/audio/wav/pcm16.wav"))
        .arg(dir.path().join("outer.zip"))
        .status()
        .unwrap();
    assert!(made.success());
    let d = dir.path().to_str().unwrap();
    let out = run(&[
        "scan",
        d,
        "--format",
        "json",
        "--inventory",
        "--fail-on",
        "never",
    ]);
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    let sizes = |list: &str| -> Vec<u64> {
        r[list]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["member"] == "inner.zip!/b.wav")
            .map(|f| f["size"].as_u64().unwrap())
            .collect()
    };
    assert_eq!(sizes("findings").len(), 2, "{}", r["findings"]);
    assert_eq!(sizes("findings"), sizes("objects"));
    assert!(sizes("findings").contains(&30000));
}
