//! Bucket scans through the real binary against real emulators on 127.0.0.1:
//! moto (S3, :5000), Azurite (Azure Blob, :10000), fake-gcs-server (GCS,
//! :4443), started and seeded by `tests/emulators/up.sh`. Every test here is
//! `#[ignore]`d so a plain `cargo test` reports them as ignored, not passed;
//! `.ci/run` starts the emulators and runs them with `--include-ignored`.

use std::collections::BTreeSet;
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

mod common;

const S3: &str = "http://127.0.0.1:5000";

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn listening(port: u16) -> bool {
    let addr: SocketAddr = ([127, 0, 0, 1], port).into();
    TcpStream::connect_timeout(&addr, Duration::from_millis(300)).is_ok()
}

/// Fails (never skips) when the emulators do not answer.
fn emulators() {
    let down: Vec<u16> = [5000, 10000, 4443]
        .into_iter()
        .filter(|&p| !listening(p))
        .collect();
    assert!(
        down.is_empty(),
        "emulators not answering on 127.0.0.1:{down:?}: start them with bash tests/emulators/up.sh"
    );
}

/// The binary with no cloud settings inherited from the caller's shell.
fn atrest() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_atrest"));
    for (key, _) in std::env::vars() {
        if key.starts_with("AWS_")
            || key.starts_with("AZURE_")
            || key.starts_with("AZURITE_")
            || key.starts_with("GOOGLE_")
            || key == "STORAGE_EMULATOR_HOST"
        {
            cmd.env_remove(key);
        }
    }
    cmd.current_dir(root())
        .env("SOURCE_DATE_EPOCH", "0")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("HOME", "/nonexistent");
    cmd
}

fn s3() -> Command {
    let mut cmd = atrest();
    cmd.env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env("AWS_REGION", "us-east-1");
    cmd
}

fn azure() -> Command {
    let mut cmd = atrest();
    cmd.env("AZURE_STORAGE_USE_EMULATOR", "true");
    cmd
}

fn gcs() -> Command {
    let mut cmd = atrest();
    cmd.env("STORAGE_EMULATOR_HOST", "127.0.0.1:4443");
    cmd
}

fn json_of(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}); stderr: {}",
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

fn scan(mut cmd: Command, args: &[&str]) -> (i32, Value) {
    let out = cmd
        .arg("scan")
        .args(args)
        .args(["--format", "json", "--fail-on", "never"])
        .output()
        .unwrap();
    (out.status.code().unwrap_or(-1), json_of(&out))
}

/// A scan without the anonymous exposure probe: for tests that compare a
/// bucket with the local tree, or count requests.
fn scan_quiet(cmd: Command, args: &[&str]) -> (i32, Value) {
    let mut all = args.to_vec();
    all.push("--no-exposure");
    scan(cmd, &all)
}

type Verdict = (String, Option<String>, String, String, String);

/// Findings as (location below `prefix`, member, rule, format, encryption).
fn verdicts(report: &Value, prefix: &str) -> BTreeSet<Verdict> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let s = |k: &str| f[k].as_str().unwrap_or_default().to_string();
            (
                s("location").trim_start_matches(prefix).to_string(),
                f["member"].as_str().map(str::to_string),
                s("rule"),
                s("format"),
                s("encryption"),
            )
        })
        .collect()
}

#[test]
#[ignore = "needs tests/emulators/up.sh"]
fn every_provider_reports_what_the_local_scan_of_the_same_tree_reports() {
    emulators();
    let (code, local) = scan(atrest(), &["fixtures"]);
    assert_eq!(code, 0);
    let want = verdicts(&local, "");
    assert!(want.len() > 50);
    let cases: Vec<(&str, Command, Vec<&str>)> = vec![
        (
            "s3://atrest-fixtures/",
            s3(),
            vec!["s3://atrest-fixtures/fixtures", "--endpoint", S3],
        ),
        (
            "az://atrest-fixtures/",
            azure(),
            vec!["az://atrest-fixtures/fixtures"],
        ),
        (
            "gs://atrest-fixtures/",
            gcs(),
            vec!["gs://atrest-fixtures/fixtures"],
        ),
    ];
    for (prefix, cmd, args) in cases {
        let (code, remote) = scan_quiet(cmd, &args);
        assert_eq!(code, 0, "{prefix}: {remote}");
        assert_eq!(verdicts(&remote, prefix), want, "{prefix}");
        let (s, l) = (&remote["summary"], &local["summary"]);
        assert_eq!(s["objects_seen"], l["objects_seen"], "{prefix}");
        assert_eq!(
            s["bytes_read"], l["bytes_read"],
            "{prefix}: same ranges read"
        );
        assert_eq!(remote["complete"], true);
        // One ranged GET per object that fits its 64 KiB head; the few larger
        // fixtures (datasets, archives) ask for a window or two more.
        let objects = s["objects_seen"].as_u64().unwrap();
        let requests = s["requests"].as_u64().unwrap();
        assert!(
            requests >= objects && requests <= objects + objects / 4 + 4,
            "{prefix}: {requests} requests for {objects} objects"
        );
    }
    // AWS_ENDPOINT_URL is the standard way to name an S3-compatible store.
    let mut cmd = s3();
    cmd.env("AWS_ENDPOINT_URL", S3);
    let (code, remote) = scan_quiet(cmd, &["s3://atrest-fixtures/fixtures"]);
    assert_eq!(code, 0);
    assert_eq!(verdicts(&remote, "s3://atrest-fixtures/"), want);
}

#[test]
#[ignore = "needs tests/emulators/up.sh"]
fn storage_encryption_facts_and_archival_tiers() {
    emulators();
    let (code, r) = scan(s3(), &["s3://atrest-sse", "--endpoint", S3, "--inventory"]);
    assert_eq!(code, 0, "{r}");
    let finding = |loc: &str| {
        r["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["location"] == loc)
            .cloned()
    };
    let kms = finding("s3://atrest-sse/sse-kms.wav").expect("SSE-KMS voice is still a finding");
    assert_eq!(kms["evidence"]["server_side_encryption"], "SSE-KMS");
    assert!(kms["evidence"]["kms_key"]
        .as_str()
        .unwrap()
        .starts_with("arn:aws:kms:"));
    let sse = finding("s3://atrest-sse/sse-s3.wav").unwrap();
    assert_eq!(sse["evidence"]["server_side_encryption"], "SSE-S3 (AES256)");
    assert!(finding("s3://atrest-sse/plain.wav").is_some());
    assert!(
        finding("s3://atrest-sse/cse.wav").is_none(),
        "client-side envelope metadata proves ciphertext"
    );
    assert_eq!(r["summary"]["skipped"]["storage-class"], 1);
    let glacier = r["objects"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["location"] == "s3://atrest-sse/glacier.wav")
        .unwrap();
    assert_eq!(glacier["state"], "skipped:storage-class");

    let (code, r) = scan(azure(), &["az://atrest-cse"]);
    assert_eq!(code, 0);
    let locations: Vec<&str> = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["location"].as_str().unwrap())
        .collect();
    assert_eq!(locations, ["az://atrest-cse/plain.wav"]);
    assert_eq!(
        r["summary"]["skipped"]["storage-class"], 1,
        "the Archive-tier blob"
    );
    assert!(r["findings"][0]["evidence"]["server_side_encryption"]
        .as_str()
        .unwrap()
        .contains("Microsoft-managed"));
}

#[test]
#[ignore = "needs tests/emulators/up.sh"]
fn rules_can_lower_the_severity_of_kms_encrypted_objects() {
    emulators();
    let dir = tempfile::tempdir().unwrap();
    let rules = rules_file(
        dir.path(),
        r#"
[[rule]]
id = "audio.plain-storage"
title = "Voice on provider-managed or no storage encryption"
severity = "high"
category = "audio"
classes = ["audio"]
encryption = ["none"]
storage = ["none", "provider", "unknown"]

[[rule]]
id = "audio.kms-storage"
title = "Voice under a KMS key"
severity = "low"
category = "audio"
classes = ["audio"]
encryption = ["none"]
storage = ["kms", "customer-key"]
"#,
    );
    let (_, r) = scan(
        s3(),
        &[
            "s3://atrest-sse",
            "--endpoint",
            S3,
            "--rules",
            rules.to_str().unwrap(),
        ],
    );
    let by_location: BTreeSet<(String, String)> = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["location"].as_str().unwrap().to_string(),
                f["severity"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert!(by_location.contains(&("s3://atrest-sse/sse-kms.wav".into(), "low".into())));
    assert!(by_location.contains(&("s3://atrest-sse/sse-s3.wav".into(), "high".into())));
}

#[test]
#[ignore = "needs tests/emulators/up.sh"]
fn a_200_mib_object_costs_three_ranged_gets() {
    emulators();
    let (code, r) = scan_quiet(s3(), &["s3://atrest-big", "--endpoint", S3]);
    assert_eq!(code, 0, "{r}");
    let s = &r["summary"];
    assert_eq!(s["objects_scanned"], 1);
    // Listing: the pre-flight request and one page; then the object's GETs.
    let gets = s["requests"].as_u64().unwrap() - 2;
    assert!(gets <= 3, "{gets} GETs");
    assert!(s["bytes_read"].as_u64().unwrap() <= 256 << 10, "{s}");
    assert_eq!(r["findings"][0]["encryption"], "partial");
}

#[test]
#[ignore = "needs tests/emulators/up.sh"]
fn listing_pages_through_a_bucket_within_the_request_budget() {
    emulators();
    let (code, r) = scan_quiet(s3(), &["s3://atrest-many", "--endpoint", S3]);
    assert_eq!(code, 0);
    let s = &r["summary"];
    let objects = s["objects_seen"].as_u64().unwrap();
    assert_eq!(objects, 2100, "more than one listing page of 1,000");
    assert!(s["requests"].as_u64().unwrap() <= 3 * objects);
    assert!(s["bytes_read"].as_u64().unwrap() <= objects * (256 << 10));
}

#[test]
#[ignore = "needs tests/emulators/up.sh"]
fn shards_of_a_bucket_merge_into_the_whole() {
    emulators();
    let dir = tempfile::tempdir().unwrap();
    let (_, whole) = scan(s3(), &["s3://atrest-fixtures", "--endpoint", S3]);
    let mut parts = Vec::new();
    for k in 0..3 {
        let part = dir.path().join(format!("part{k}.json"));
        let shard = format!("{k}/3");
        let status = s3()
            .args([
                "scan",
                "s3://atrest-fixtures",
                "--endpoint",
                S3,
                "--shard",
                &shard,
            ])
            .args(["--format", "json", "--fail-on", "never", "-o"])
            .arg(&part)
            .status()
            .unwrap();
        assert_eq!(status.code(), Some(0));
        parts.push(part);
    }
    let merged = merge_parts(&parts);
    let prints = |r: &Value| -> BTreeSet<String> {
        r["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["fingerprint"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(prints(&merged), prints(&whole));
    assert_eq!(
        merged["summary"]["objects_seen"],
        whole["summary"]["objects_seen"]
    );
    // The same shard twice would double its counts: refused, naming it.
    let twice = atrest()
        .arg("merge")
        .args([&parts[0], &parts[0]])
        .args(["--format", "json", "--fail-on", "never"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&twice.stderr);
    assert_eq!(twice.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("part0.json"), "{stderr}");
    // A missing shard makes the merge incomplete (exit 3), and says which.
    let out = atrest()
        .arg("merge")
        .args(&parts[..2])
        .args(["--format", "json", "--fail-on", "never"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    let partial = json_of(&out);
    assert_eq!(partial["complete"], false);
    assert_eq!(partial["missing_shards"], serde_json::json!(["2/3"]));
}

/// A rules file of `text` in `dir`.
fn rules_file(dir: &Path, text: &str) -> PathBuf {
    let rules = dir.join("rules.toml");
    std::fs::write(&rules, text).unwrap();
    rules
}

fn assert_exit_2_naming(mut cmd: Command, args: &[&str], target: &str, says: &str) {
    let out = cmd.arg("scan").args(args).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{target}: {stderr}");
    assert!(out.stdout.is_empty(), "nothing scanned, nothing reported");
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(stderr.contains(target) && stderr.contains(says), "{stderr}");
    assert!(!stderr.contains("Eby8vdM02x"), "no credentials in messages");
}

#[test]
#[ignore = "needs tests/emulators/up.sh"]
fn bad_targets_and_credentials_stop_before_scanning() {
    emulators();
    assert_exit_2_naming(
        s3(),
        &["s3://no-such-bucket", "--endpoint", S3],
        "s3://no-such-bucket",
        "not found",
    );
    let mut missing = atrest();
    missing.env("AWS_REGION", "us-east-1");
    assert_exit_2_naming(
        missing,
        &["s3://atrest-fixtures", "--endpoint", S3],
        "s3://atrest-fixtures",
        "no AWS credentials",
    );
    let mut wrong = azure();
    wrong
        .env("AZURE_STORAGE_ACCOUNT_NAME", "devstoreaccount1")
        .env(
            "AZURE_STORAGE_ACCOUNT_KEY",
            "d3Jvbmcga2V5IGZvciB0aGUgdGVzdA==",
        );
    assert_exit_2_naming(
        wrong,
        &["az://atrest-fixtures"],
        "az://atrest-fixtures",
        "rejected",
    );
    assert_exit_2_naming(
        azure(),
        &["az://no-such-container"],
        "az://no-such-container",
        "not found",
    );
    assert_exit_2_naming(
        atrest(),
        &["s3://Not_A_Bucket"],
        "s3://Not_A_Bucket",
        "not valid",
    );
    assert_exit_2_naming(atrest(), &["ftp://host/x"], "ftp://host/x", "unsupported");
}

/// A moto server of this test's own, so killing it disturbs no other test.
struct OwnMoto {
    child: std::process::Child,
    port: u16,
}

impl OwnMoto {
    /// Tests run side by side: a port another test's moto took makes this
    /// one exit at once, and it is started again on another.
    fn start() -> OwnMoto {
        let bin = root().join(".emu/venv/bin/moto_server");
        for _ in 0..10 {
            let port = std::net::TcpListener::bind("127.0.0.1:0")
                .and_then(|l| l.local_addr())
                .unwrap()
                .port();
            if listening(port) {
                continue;
            }
            let mut child = Command::new(&bin)
                .args(["-H", "127.0.0.1", "-p", &port.to_string()])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap_or_else(|e| panic!("{}: {e}", bin.display()));
            let started = Instant::now();
            while !listening(port) && child.try_wait().unwrap().is_none() {
                assert!(
                    started.elapsed() < Duration::from_secs(20),
                    "moto did not start"
                );
                std::thread::sleep(Duration::from_millis(100));
            }
            // A moto that lost the port exits once it has started up.
            std::thread::sleep(Duration::from_millis(1500));
            if child.try_wait().unwrap().is_none() {
                return OwnMoto { child, port };
            }
        }
        panic!("moto found no free port");
    }

    fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

impl Drop for OwnMoto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Creates a bucket and puts `n` copies of a WAV through object_store (moto
/// checks no signatures, but object_store signs anyway).
fn seed(endpoint: &str, bucket: &str, n: usize, body: &Path) {
    use object_store::{ObjectStoreExt, PutPayload};
    let _ = rustls::crypto::ring::default_provider().install_default();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let client = reqwest::Client::new();
        let resp = client
            .put(format!("{endpoint}/{bucket}"))
            .send()
            .await
            .unwrap();
        assert!(
            resp.status().is_success(),
            "create bucket: {}",
            resp.status()
        );
        let store = object_store::aws::AmazonS3Builder::new()
            .with_endpoint(endpoint)
            .with_allow_http(true)
            .with_bucket_name(bucket)
            .with_region("us-east-1")
            .with_access_key_id("test")
            .with_secret_access_key("test")
            .build()
            .unwrap();
        let bytes = std::fs::read(body).unwrap();
        for i in 0..n {
            let key = object_store::path::Path::from(format!("calls/{i:04}.wav"));
            store
                .put(&key, PutPayload::from(bytes.clone()))
                .await
                .unwrap();
        }
    });
}

#[test]
#[ignore = "needs tests/emulators/up.sh"]
fn an_emulator_killed_mid_scan_gives_exit_3_and_keeps_what_was_scanned() {
    emulators();
    let mut moto = OwnMoto::start();
    let endpoint = moto.endpoint();
    seed(
        &endpoint,
        "atrest-kill",
        150,
        &root().join("fixtures/audio/wav/pcm16.wav"),
    );
    // Paced at 25 requests/s the scan needs about 6 s; the server dies after 1.5 s.
    let child = s3()
        .args(["scan", "s3://atrest-kill", "--endpoint", &endpoint])
        .args(["--max-requests-per-second", "25", "--format", "json"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(1500));
    let _ = moto.child.kill();
    let _ = moto.child.wait();
    let started = Instant::now();
    let out = child.wait_with_output().unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(120),
        "gave up in reasonable time"
    );
    assert_eq!(
        out.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r = json_of(&out);
    assert_eq!(r["complete"], false);
    let scanned = r["summary"]["objects_scanned"].as_u64().unwrap();
    assert!(
        scanned > 0 && scanned < 150,
        "{scanned} scanned before the kill"
    );
    assert_eq!(r["findings"].as_array().unwrap().len() as u64, scanned);
    assert!(r["summary"]["errors"].as_u64().unwrap() > 0);
    // Each was put off and asked for again before it became an error.
    for e in r["errors"].as_array().unwrap() {
        let message = e["message"].as_str().unwrap();
        assert!(
            message.ends_with("; no answer again within 60 s"),
            "{message}"
        );
    }
    common::assert_reconciles(&r["summary"]);
}

#[test]
#[ignore = "needs tests/emulators/up.sh"]
fn local_and_bucket_targets_mix_and_credentials_come_from_profiles_and_strings() {
    emulators();
    // AWS_PROFILE with a credential_process in ~/.aws/config (no key variables).
    let home = tempfile::tempdir().unwrap();
    std::fs::create_dir(home.path().join(".aws")).unwrap();
    std::fs::write(
        home.path().join(".aws/config"),
        "[profile audit]\nregion = us-east-1\ncredential_process = printf '{\"Version\":1,\"AccessKeyId\":\"test\",\"SecretAccessKey\":\"test\"}'\n",
    )
    .unwrap();
    let mut cmd = atrest();
    cmd.env("HOME", home.path()).env("AWS_PROFILE", "audit");
    let (code, r) = scan(
        cmd,
        &[
            "fixtures/audio/wav/pcm16.wav",
            "s3://atrest-sse",
            "--endpoint",
            S3,
        ],
    );
    assert_eq!(code, 0, "{r}");
    let locations: BTreeSet<&str> = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["location"].as_str().unwrap())
        .collect();
    assert!(locations.contains("fixtures/audio/wav/pcm16.wav"));
    assert!(locations.contains("s3://atrest-sse/plain.wav"));
    assert_eq!(
        r["targets"],
        serde_json::json!(["fixtures/audio/wav/pcm16.wav", "s3://atrest-sse"])
    );
    // An unknown profile is a configuration error, not a scan.
    let mut cmd = atrest();
    cmd.env("HOME", home.path()).env("AWS_PROFILE", "nobody");
    assert_exit_2_naming(
        cmd,
        &["s3://atrest-sse", "--endpoint", S3],
        "s3://atrest-sse",
        "no such profile",
    );

    // Azure: the connection string users copy from the portal (Azurite's public one).
    let mut cmd = atrest();
    cmd.env(
        "AZURE_STORAGE_CONNECTION_STRING",
        "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;\
         AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;\
         BlobEndpoint=http://127.0.0.1:10000/devstoreaccount1;",
    );
    let (code, r) = scan(cmd, &["az://atrest-cse"]);
    assert_eq!(code, 0, "{r}");
    assert_eq!(r["summary"]["findings"], 1);
    assert_eq!(r["summary"]["objects_scanned"], 2);
}

#[test]
#[ignore = "needs tests/emulators/up.sh"]
fn state_makes_a_second_bucket_scan_list_only() {
    emulators();
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state.db");
    let args = [
        "s3://atrest-sse",
        "--endpoint",
        S3,
        "--state",
        state.to_str().unwrap(),
    ];
    let (_, first) = scan_quiet(s3(), &args);
    let (code, second) = scan_quiet(s3(), &args);
    assert_eq!(code, 0);
    let scanned = first["summary"]["objects_scanned"].as_u64().unwrap();
    assert_eq!(second["summary"]["unchanged"].as_u64().unwrap(), scanned);
    // The pre-flight request and one listing page; only the Deep Archive
    // object is asked again (listings do not carry the storage class).
    let archived = second["summary"]["skipped"]["storage-class"]
        .as_u64()
        .unwrap();
    assert_eq!(archived, 1);
    assert_eq!(
        second["summary"]["requests"].as_u64().unwrap(),
        2 + archived
    );
    assert_eq!(second["summary"]["bytes_read"], 0);
    assert_eq!(second["findings"], first["findings"]);
}

#[test]
#[ignore = "needs tests/emulators/up.sh"]
fn object_urls_empty_prefixes_and_keys_the_client_cannot_read() {
    emulators();
    // An object's URL scans that object.
    let (code, r) = scan(
        s3(),
        &[
            "s3://atrest-fixtures/fixtures/audio/wav/pcm16.wav",
            "--endpoint",
            S3,
        ],
    );
    assert_eq!(code, 0);
    assert_eq!(r["summary"]["objects_seen"], 1);
    assert_eq!(
        r["findings"][0]["location"],
        "s3://atrest-fixtures/fixtures/audio/wav/pcm16.wav"
    );
    // A prefix with nothing under it (a typo) and an empty bucket: exit 2.
    for url in ["s3://atrest-fixtures/fixtures/audoi", "s3://atrest-empty"] {
        assert_exit_2_naming(s3(), &[url, "--endpoint", S3], url, "--allow-empty");
    }
    let (code, r) = scan(
        s3(),
        &["s3://atrest-empty", "--endpoint", S3, "--allow-empty"],
    );
    assert_eq!((code, r["summary"]["objects_seen"].as_u64()), (0, Some(0)));
    // Six keys object_store cannot represent: six errors; the page goes on.
    let (code, r) = scan(s3(), &["s3://atrest-weird", "--endpoint", S3]);
    assert_eq!(code, 3);
    assert_eq!(r["summary"]["objects_seen"], 8);
    assert_eq!(r["summary"]["errors"], 6);
    assert_eq!(r["summary"]["findings"], 2, "ok/fine.wav and z.wav");
    common::assert_reconciles(&r["summary"]);
    let located: BTreeSet<&str> = r["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["location"].as_str().unwrap())
        .collect();
    assert!(
        located.contains("s3://atrest-weird/a//b.wav"),
        "{located:?}"
    );
    assert!(
        located.contains("s3://atrest-weird/ctl\u{1}.wav"),
        "{located:?}"
    );
    // Such a key named as the target is refused, not listed as nothing
    // (which --allow-empty would have passed as a clean run).
    for extra in [&[][..], &["--allow-empty"]] {
        let mut args = vec!["s3://atrest-weird/ctl\u{1}.wav", "--endpoint", S3];
        args.extend(extra);
        assert_exit_2_naming(s3(), &args, "atrest-weird", "cannot read this key");
    }
}

/// A slow scan: 2,100 objects at 25 requests per second.
fn slow_scan(state: &Path, report: &Path, extra: &[&str]) -> std::process::Child {
    s3().args([
        "scan",
        "s3://atrest-many",
        "--endpoint",
        S3,
        "--max-requests-per-second",
        "25",
        "--fail-on",
        "never",
        "--state",
    ])
    .arg(state)
    .arg("-o")
    .arg(report)
    .args(extra)
    .stderr(Stdio::piped())
    .spawn()
    .unwrap()
}

/// Verdicts committed to a state file so far (it may not exist yet).
fn committed(state: &Path) -> u64 {
    let Ok(conn) =
        rusqlite::Connection::open_with_flags(state, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
    else {
        return 0;
    };
    conn.query_row("SELECT count(*) FROM objects", [], |r| r.get::<_, i64>(0))
        .map_or(0, |n| n as u64)
}

/// Waits (a shared emulator can be slow) until some batches are committed.
fn wait_for_batches(state: &Path, at_least: u64) -> u64 {
    let until = Instant::now() + Duration::from_secs(60);
    loop {
        let n = committed(state);
        if n >= at_least || Instant::now() > until {
            return n;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// A second run, stopped by its deadline: how many verdicts it reused.
fn unchanged_after_rescan(state: &Path, dir: &Path) -> u64 {
    let report = dir.join("again.json");
    let child = slow_scan(state, &report, &["--max-duration", "8s"]);
    child.wait_with_output().unwrap();
    let r: Value = serde_json::from_slice(&std::fs::read(&report).unwrap()).unwrap();
    r["summary"]["unchanged"].as_u64().unwrap()
}

#[test]
#[ignore = "needs tests/emulators/up.sh"]
fn sigterm_writes_the_report_so_far_and_state_keeps_what_was_judged() {
    emulators();
    let dir = tempfile::tempdir().unwrap();
    let (state, report) = (dir.path().join("state.db"), dir.path().join("r.json"));
    let child = slow_scan(&state, &report, &[]);
    assert!(
        wait_for_batches(&state, 20) >= 20,
        "the scan makes progress"
    );
    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    let started = Instant::now();
    let out = child.wait_with_output().unwrap();
    assert!(started.elapsed() < Duration::from_secs(15), "bounded wait");
    assert_eq!(out.status.code(), Some(3));
    let r: Value = serde_json::from_slice(&std::fs::read(&report).unwrap()).unwrap();
    assert_eq!(
        (r["interrupted"].as_bool(), r["complete"].as_bool()),
        (Some(true), Some(false))
    );
    let scanned = r["summary"]["objects_scanned"].as_u64().unwrap();
    assert!((20..2100).contains(&scanned), "{scanned}");
    common::assert_reconciles(&r["summary"]);
    // Everything judged before the stop was committed on the way out …
    assert!(committed(&state) >= scanned);
    // … and the next run reuses it.
    assert!(unchanged_after_rescan(&state, dir.path()) >= scanned);
}

#[test]
#[ignore = "needs tests/emulators/up.sh"]
fn sigkill_loses_at_most_one_state_batch() {
    emulators();
    let dir = tempfile::tempdir().unwrap();
    let (state, report) = (dir.path().join("state.db"), dir.path().join("r.json"));
    let mut child = slow_scan(&state, &report, &[]);
    let before = wait_for_batches(&state, 20);
    assert!(before >= 20, "the scan makes progress");
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(!report.exists(), "no report after SIGKILL");
    // What was committed before the kill survives it, and is reused.
    assert!(committed(&state) >= before);
    let reused = unchanged_after_rescan(&state, dir.path());
    assert!(reused >= before, "{reused} reused of {before} committed");
}

#[test]
#[ignore = "needs tests/emulators/up.sh"]
fn max_duration_ends_a_run_cleanly_at_its_deadline() {
    emulators();
    let started = Instant::now();
    let out = s3()
        .args([
            "scan",
            "s3://atrest-many",
            "--endpoint",
            S3,
            "--max-requests-per-second",
            "25",
            "--max-duration",
            "2s",
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    // At 25 requests a second the 2,000 objects would take well over a
    // minute; the run ends at its deadline plus the requests already sent
    // then (about 3 s here). Requests still waiting for their turn are not
    // sent: draining that queue took up to 12 s on a busy emulator, and a
    // clock read only every 256 outcomes would not stop it before 12 s.
    let took = started.elapsed();
    assert!(took < Duration::from_secs(10), "{took:?}");
    assert_eq!(out.status.code(), Some(3));
    let r = json_of(&out);
    assert_eq!(r["stopped_by"], "--max-duration 2s");
    // What was cut is named, not dropped, and nothing else failed.
    let s = &r["summary"];
    assert_eq!(
        s["objects_seen"].as_u64(),
        Some(s["objects_scanned"].as_u64().unwrap() + s["errors"].as_u64().unwrap())
    );
    for e in r["errors"].as_array().unwrap() {
        assert_eq!(
            e["message"],
            "not judged: the scan stopped (--max-duration 2s) while it was being read"
        );
    }
    assert!(String::from_utf8_lossy(&out.stderr).contains("stopped early (--max-duration 2s)"));
}

/// The anonymous probe on each emulator. The emulators differ from the
/// clouds in ways tests/emulators/EXPOSURE.md records: moto answers every
/// unsigned LIST (so its private buckets look public-list, while its GET
/// is refused as on S3), fake-gcs-server enforces nothing; Azurite tells
/// all three cases apart.
#[test]
#[ignore = "needs tests/emulators/up.sh"]
fn anonymous_probes_tell_who_can_read_each_bucket() {
    emulators();
    // (client, bucket, exposure, rule, part of the basis, part of the statement)
    type Case = (
        fn() -> Command,
        &'static str,
        &'static str,
        &'static str,
        &'static str,
        &'static str,
    );
    let cases: [Case; 8] = [
        (
            azure,
            "az://exposure-container",
            "public-list",
            "audio.public",
            "LIST: 200",
            "level: container",
        ),
        (
            azure,
            "az://exposure-blob",
            "public-read",
            "audio.public",
            "GET: 206",
            "level: blob",
        ),
        (
            azure,
            "az://exposure-private",
            "private",
            "audio.unencrypted",
            "GET: 403",
            "level: private",
        ),
        (
            s3,
            "s3://exposure-public",
            "public-list",
            "audio.public",
            "GET: 206",
            "policy: public",
        ),
        (
            s3,
            "s3://exposure-private",
            "public-list",
            "audio.public",
            "GET: 403",
            "ACL: no public grant",
        ),
        (
            s3,
            "s3://exposure-blocked",
            "public-list",
            "audio.public",
            "GET: 403",
            "Block Public Access: all on",
        ),
        (
            gcs,
            "gs://exposure-public",
            "public-list",
            "audio.public",
            "GET: 206",
            "IAM policy: unknown (404)",
        ),
        (
            gcs,
            "gs://exposure-private",
            "public-list",
            "audio.public",
            "LIST: 200",
            "IAM policy: unknown",
        ),
    ];
    for (cmd, url, exposure, rule, basis, statement) in cases {
        let mut args = vec![url];
        if url.starts_with("s3://") {
            args.extend(["--endpoint", S3]);
        }
        let (_, r) = scan(cmd(), &args);
        let probe = &r["exposure"][url];
        assert_eq!(probe["exposure"], exposure, "{url}: {probe}");
        let why = probe["basis"].as_str().unwrap();
        assert!(why.contains(basis), "{url}: {why}");
        let said = probe["statement"].as_str().unwrap();
        assert!(said.contains(statement), "{url}: {said}");
        let finding = &r["findings"][0];
        assert_eq!(
            (finding["rule"].as_str(), finding["exposure"].as_str()),
            (Some(rule), Some(exposure)),
            "{url}"
        );
        if rule == "audio.public" {
            assert_eq!(finding["severity"], "critical");
        }
        // Pre-flight and listing (2), the anonymous LIST and GET (2), the statement (S3:
        // policy status, block, ACL; Azure and GCS: one call), two objects.
        let statement_calls = if url.starts_with("s3://") { 3 } else { 1 };
        assert_eq!(r["summary"]["requests"], 6 + statement_calls, "{url}");
    }
    // --no-exposure: no anonymous request, exposure unknown.
    let (_, r) = scan(azure(), &["az://exposure-container", "--no-exposure"]);
    assert!(r.get("exposure").is_none() || r["exposure"].as_object().unwrap().is_empty());
    assert_eq!(r["findings"][0]["exposure"], "unknown");
    assert_eq!(r["findings"][0]["rule"], "audio.unencrypted");
    assert_eq!(r["summary"]["requests"], 4);
}

// Clouds as their users sign in

/// A local port nothing listens on (bound, then released).
fn closed_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The binary with every metadata service it could ask pointed at a closed
/// local port: these tests send nothing to link-local addresses.
fn offline() -> Command {
    let closed = format!("127.0.0.1:{}", closed_port());
    let mut cmd = atrest();
    cmd.env("GCE_METADATA_HOST", &closed)
        .env("GCE_METADATA_IP", &closed)
        .env("AZURE_MSI_ENDPOINT", format!("http://{closed}/token"))
        .env("PATH", "/usr/bin:/bin");
    cmd
}

/// A sign-in service on 127.0.0.1 (an SSO portal, a container credentials
/// endpoint) that gives every request the same JSON and keeps its head; or,
/// `silent`, a metadata service that accepts connections and never answers.
struct Stub {
    port: u16,
    heads: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

impl Stub {
    fn answering(body: &str) -> Stub {
        Stub::start(Some(body.to_string()))
    }

    fn silent() -> Stub {
        Stub::start(None)
    }

    fn start(body: Option<String>) -> Stub {
        use std::io::{Read, Write};
        use std::sync::atomic::Ordering;
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let port = listener.local_addr().unwrap().port();
        let heads = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let (kept, stopped) = (heads.clone(), stop.clone());
        std::thread::spawn(move || {
            let mut held = Vec::new();
            while !stopped.load(Ordering::Relaxed) {
                let Ok((mut conn, _)) = listener.accept() else {
                    std::thread::sleep(Duration::from_millis(10));
                    continue;
                };
                let Some(body) = &body else {
                    held.push(conn);
                    continue;
                };
                conn.set_nonblocking(false).unwrap();
                conn.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
                let mut head = Vec::new();
                let mut byte = [0u8; 1];
                while !head.ends_with(b"\r\n\r\n") && conn.read(&mut byte).unwrap_or(0) == 1 {
                    head.push(byte[0]);
                }
                kept.lock()
                    .unwrap()
                    .push(String::from_utf8_lossy(&head).to_ascii_lowercase());
                let _ = write!(
                    conn,
                    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
            }
        });
        Stub { port, heads, stop }
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn heads(&self) -> Vec<String> {
        self.heads.lock().unwrap().clone()
    }
}

impl Drop for Stub {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
    }
}

/// A home directory with these files under it (`.aws/config`, …).
fn home_with(files: &[(&str, &str)]) -> tempfile::TempDir {
    let home = tempfile::tempdir().unwrap();
    for (path, text) in files {
        let path = home.path().join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    home
}

/// Runs a scan that must stop before scanning, and returns its one line
/// after checking what every such line owes its reader: exit 2, nothing on
/// stdout, one line of at most 160 characters, the target named, no XML or
/// JSON, no credential.
fn refusal(mut cmd: Command, args: &[&str], target: &str) -> String {
    let started = Instant::now();
    let out = cmd.arg("scan").args(args).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).trim().to_string();
    assert_eq!(out.status.code(), Some(2), "{target}: {stderr}");
    assert!(
        out.stdout.is_empty(),
        "{target}: nothing scanned, nothing reported"
    );
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    let line = stderr
        .strip_prefix("atrest: ")
        .unwrap_or(&stderr)
        .to_string();
    assert!(
        line.chars().count() <= 160,
        "{} chars: {line}",
        line.chars().count()
    );
    assert!(line.starts_with(target), "{line}");
    assert!(!line.contains('<') && !line.contains('{'), "{line}");
    for secret in ["Eby8vdM02x", "sig=", "wrong-secret", "sEcReT"] {
        assert!(!line.contains(secret), "{line}");
    }
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "{target}: {:?}",
        started.elapsed()
    );
    // Shown with --nocapture, for a person to read them all at once.
    eprintln!("{line}");
    line
}

const PROCESS_KEYS: &str =
    r#"printf '{"Version":1,"AccessKeyId":"test","SecretAccessKey":"test"}'"#;

#[test]
#[ignore = "needs tests/emulators/up.sh"]
fn aws_profiles_assume_roles_through_sts_and_web_identity_and_containers_sign_in() {
    emulators();
    let config = format!(
        "[profile base]\naws_access_key_id = test\naws_secret_access_key = test\n\n\
         [profile auditor]\nrole_arn = arn:aws:iam::123456789012:role/auditor\nsource_profile = base\n\
         region = eu-west-1\nendpoint_url = {S3}\n\n\
         [profile chained]\nrole_arn = arn:aws:iam::123456789012:role/second\nsource_profile = auditor\n\
         endpoint_url = {S3}\n\n\
         [profile from-env]\nrole_arn = arn:aws:iam::123456789012:role/auditor\ncredential_source = Environment\n\n\
         [profile from-process]\ncredential_process = {PROCESS_KEYS}\n\n\
         [profile dead-sts]\nrole_arn = arn:aws:iam::123456789012:role/auditor\nsource_profile = base\n\
         endpoint_url = http://127.0.0.1:{}\n",
        closed_port()
    );
    let home = home_with(&[(".aws/config", &config)]);
    let signed_in = |profile: &str, extra: &[(&str, &str)], args: &[&str]| {
        let mut cmd = offline();
        cmd.env("HOME", home.path()).env("AWS_PROFILE", profile);
        for (k, v) in extra {
            cmd.env(k, v);
        }
        let (code, r) = scan(cmd, args);
        assert_eq!(code, 0, "{profile}: {r}");
        assert_eq!(r["summary"]["errors"], 0, "{profile}: {r}");
        assert!(r["summary"]["findings"].as_u64().unwrap() >= 3, "{profile}");
    };
    // moto's STS answers AssumeRole on the S3 port: the profile's
    // endpoint_url serves both, as it does for the SDK.
    signed_in("auditor", &[], &["s3://atrest-sse"]);
    signed_in("chained", &[], &["s3://atrest-sse"]);
    signed_in(
        "from-env",
        &[
            ("AWS_ACCESS_KEY_ID", "test"),
            ("AWS_SECRET_ACCESS_KEY", "test"),
            ("AWS_ENDPOINT_URL", S3),
        ],
        &["s3://atrest-sse"],
    );
    signed_in("from-process", &[], &["s3://atrest-sse", "--endpoint", S3]);
    // The same role through an STS nobody answers: STS was in the path.
    let mut cmd = offline();
    cmd.env("HOME", home.path()).env("AWS_PROFILE", "dead-sts");
    let line = refusal(
        cmd,
        &["s3://atrest-sse", "--endpoint", S3],
        "s3://atrest-sse",
    );
    assert!(
        line.contains("sign-in failed (profile dead-sts)") && line.contains("cannot connect"),
        "{line}"
    );

    // Web identity (EKS service accounts, GitHub OIDC): AssumeRoleWithWebIdentity.
    let token = home.path().join("web-identity-token");
    std::fs::write(&token, "eyJhbGciOiJub25lIn0.eyJzdWIiOiJzY2FubmVyIn0.").unwrap();
    let mut cmd = offline();
    cmd.env("AWS_WEB_IDENTITY_TOKEN_FILE", &token)
        .env("AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/scanner")
        .env("AWS_ENDPOINT_URL", S3);
    let (code, r) = scan(cmd, &["s3://atrest-sse"]);
    assert_eq!((code, r["summary"]["errors"].as_u64()), (0, Some(0)), "{r}");
    let mut cmd = offline();
    cmd.env("AWS_WEB_IDENTITY_TOKEN_FILE", home.path().join("missing"))
        .env("AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/scanner");
    let line = refusal(
        cmd,
        &["s3://atrest-sse", "--endpoint", S3],
        "s3://atrest-sse",
    );
    assert!(line.contains("AWS_WEB_IDENTITY_TOKEN_FILE"), "{line}");

    // Container credentials (ECS tasks, EKS Pod Identity), with their token.
    let endpoint = Stub::answering(
        r#"{"AccessKeyId":"test","SecretAccessKey":"test","Token":"t","Expiration":"2099-01-01T00:00:00Z"}"#,
    );
    let mut cmd = offline();
    cmd.env(
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        format!("{}/v2/credentials", endpoint.url()),
    )
    .env("AWS_CONTAINER_AUTHORIZATION_TOKEN", "pod-token");
    let (code, r) = scan(cmd, &["s3://atrest-sse", "--endpoint", S3]);
    assert_eq!((code, r["summary"]["errors"].as_u64()), (0, Some(0)), "{r}");
    let heads = endpoint.heads();
    assert_eq!(heads.len(), 1, "asked once, then cached: {heads:?}");
    assert!(
        heads[0].starts_with("get /v2/credentials")
            && heads[0].contains("authorization: pod-token"),
        "{heads:?}"
    );
}

/// The name `aws sso login` gives a cached token: the SHA-1 of the
/// session's name (or, for legacy profiles, of the start URL).
fn sso_cache_name(key: &str) -> String {
    use std::io::Write;
    let mut child = Command::new("sha1sum")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(key.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let hex = String::from_utf8(out.stdout).unwrap();
    format!(".aws/sso/cache/{}.json", &hex[..40])
}

#[test]
#[ignore = "needs tests/emulators/up.sh"]
fn sso_profiles_use_the_token_aws_sso_login_cached() {
    emulators();
    // moto has no IAM Identity Center portal (GetRoleCredentials): this
    // stub plays it, at AWS_ENDPOINT_URL_SSO as the SDK allows.
    let portal = Stub::answering(
        r#"{"roleCredentials":{"accessKeyId":"test","secretAccessKey":"test","sessionToken":"sso","expiration":4102444800000}}"#,
    );
    let start = "https://corp.awsapps.com/start";
    let config = format!(
        "[profile sso]\nsso_session = corp\nsso_account_id = 123456789012\nsso_role_name = Auditor\nregion = us-east-1\n\n\
         [sso-session corp]\nsso_start_url = {start}\nsso_region = us-east-1\nsso_registration_scopes = sso:account:access\n\n\
         [profile legacy]\nsso_start_url = {start}\nsso_region = us-east-1\nsso_account_id = 123456789012\nsso_role_name = Legacy\n\n\
         [profile lapsed]\nsso_session = lapsed\nsso_account_id = 123456789012\nsso_role_name = Auditor\n\n\
         [sso-session lapsed]\nsso_start_url = https://lapsed.awsapps.com/start\nsso_region = us-east-1\n"
    );
    let token = |access: &str, expires: &str| {
        format!(
            r#"{{"startUrl":"{start}","region":"us-east-1","accessToken":"{access}","expiresAt":"{expires}"}}"#
        )
    };
    let home = home_with(&[
        (".aws/config", &config),
        (
            &sso_cache_name("corp"),
            &token("session-token", "2099-01-01T00:00:00Z"),
        ),
        (
            &sso_cache_name(start),
            &token("legacy-token", "2099-01-01T00:00:00Z"),
        ),
        (
            &sso_cache_name("lapsed"),
            &token("old-token", "2020-01-01T00:00:00Z"),
        ),
    ]);
    for (profile, bearer, role) in [
        ("sso", "session-token", "auditor"),
        ("legacy", "legacy-token", "legacy"),
    ] {
        let mut cmd = offline();
        cmd.env("HOME", home.path())
            .env("AWS_PROFILE", profile)
            .env("AWS_ENDPOINT_URL_SSO", portal.url());
        let (code, r) = scan(cmd, &["s3://atrest-sse", "--endpoint", S3]);
        assert_eq!((code, r["summary"]["errors"].as_u64()), (0, Some(0)), "{r}");
        let heads = portal.heads();
        let last = heads.last().unwrap();
        assert!(
            last.contains(&format!("role_name={role}&account_id=123456789012"))
                && last.contains(&format!("x-amz-sso_bearer_token: {bearer}")),
            "{heads:?}"
        );
    }
    let asked = portal.heads().len();
    let mut cmd = offline();
    cmd.env("HOME", home.path())
        .env("AWS_PROFILE", "lapsed")
        .env("AWS_ENDPOINT_URL_SSO", portal.url());
    let line = refusal(
        cmd,
        &["s3://atrest-sse", "--endpoint", S3],
        "s3://atrest-sse",
    );
    assert!(
        line.ends_with("run aws sso login --profile lapsed"),
        "{line}"
    );
    assert_eq!(portal.heads().len(), asked, "an expired token is not sent");
    // No cached token at all: the same advice.
    let bare = home_with(&[(".aws/config", &config)]);
    let mut cmd = offline();
    cmd.env("HOME", bare.path()).env("AWS_PROFILE", "sso");
    let line = refusal(
        cmd,
        &["s3://atrest-sse", "--endpoint", S3],
        "s3://atrest-sse",
    );
    assert!(line.ends_with("run aws sso login --profile sso"), "{line}");
}

#[test]
#[ignore = "needs tests/emulators/up.sh"]
fn expiring_credentials_are_fetched_again_during_a_long_scan() {
    emulators();
    let home = tempfile::tempdir().unwrap();
    let calls = home.path().join("calls");
    let script = home.path().join("credentials.sh");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\necho called >> '{}'\n\
             printf '{{\"Version\":1,\"AccessKeyId\":\"test\",\"SecretAccessKey\":\"test\",\"SessionToken\":\"s\",\"Expiration\":\"%s\"}}' \
             \"$(date -u -d '+3 seconds' +%Y-%m-%dT%H:%M:%SZ)\"\n",
            calls.display()
        ),
    )
    .unwrap();
    std::fs::create_dir(home.path().join(".aws")).unwrap();
    std::fs::write(
        home.path().join(".aws/config"),
        format!(
            "[profile short]\ncredential_process = sh {}\n",
            script.display()
        ),
    )
    .unwrap();
    // 39 objects at 8 requests a second: some five seconds of credentials
    // that last two or three.
    let mut cmd = offline();
    cmd.env("HOME", home.path()).env("AWS_PROFILE", "short");
    let started = Instant::now();
    let (code, r) = scan(
        cmd,
        &[
            "s3://atrest-fixtures/fixtures/audio/",
            "--endpoint",
            S3,
            "--max-requests-per-second",
            "8",
            // Requests are signed before they wait for their turn: few in
            // flight, so each is signed close to when it goes out.
            "--concurrency",
            "2",
        ],
    );
    let took = started.elapsed();
    assert_eq!(code, 0, "{r}");
    assert_eq!(
        (r["complete"].as_bool(), r["summary"]["errors"].as_u64()),
        (Some(true), Some(0))
    );
    let asked = std::fs::read_to_string(&calls).unwrap().lines().count();
    assert!(
        asked >= 3 && (asked as f64) < took.as_secs_f64() * 2.0 + 2.0,
        "credential_process ran {asked} times in {took:?}: renewed, and not for every request"
    );
}

#[test]
#[ignore = "needs tests/emulators/up.sh"]
fn no_credentials_anywhere_is_said_at_once_even_where_a_metadata_service_hangs() {
    emulators();
    let hanging = Stub::silent();
    let mut cmd = offline();
    cmd.env_remove("AWS_EC2_METADATA_DISABLED")
        .env("AWS_EC2_METADATA_SERVICE_ENDPOINT", hanging.url());
    let started = Instant::now();
    let line = refusal(
        cmd,
        &["s3://atrest-sse", "--endpoint", S3],
        "s3://atrest-sse",
    );
    let took = started.elapsed();
    assert!(
        line.contains("no AWS credentials") && line.contains("AWS_PROFILE"),
        "{line}"
    );
    assert!(
        took < Duration::from_secs(4),
        "waited {took:?} for a silent metadata service"
    );
}

/// A moto of this test's own that checks signatures against its IAM: the
/// first three requests (a bucket, a user, the user's key) go unchecked.
fn moto_enforcing_iam() -> (OwnMoto, String, String) {
    let bin = root().join(".emu/venv/bin/moto_server");
    let port = (5200..5300).find(|&p| !listening(p)).unwrap();
    let child = Command::new(&bin)
        .args(["-H", "127.0.0.1", "-p", &port.to_string()])
        .env("INITIAL_NO_AUTH_ACTION_COUNT", "3")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("{}: {e}", bin.display()));
    let moto = OwnMoto { child, port };
    let started = Instant::now();
    while !listening(port) {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "moto did not start"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let out = Command::new(root().join(".emu/venv/bin/python"))
        .arg("-c")
        .arg(
            "import boto3, sys\n\
             kw = dict(endpoint_url=sys.argv[1], region_name='us-east-1', aws_access_key_id='test', aws_secret_access_key='test')\n\
             boto3.client('s3', **kw).create_bucket(Bucket='locked')\n\
             iam = boto3.client('iam', **kw)\n\
             iam.create_user(UserName='nobody')\n\
             k = iam.create_access_key(UserName='nobody')['AccessKey']\n\
             print(k['AccessKeyId'], k['SecretAccessKey'])\n",
        )
        .arg(moto.endpoint())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let (key, secret) = text.trim().split_once(' ').unwrap();
    (moto, key.to_string(), secret.to_string())
}

#[test]
#[ignore = "needs tests/emulators/up.sh"]
fn every_refusal_is_one_short_line_naming_the_target_and_what_to_do() {
    emulators();
    let says = |cmd: Command, args: &[&str], target: &str, words: &[&str]| {
        let line = refusal(cmd, args, target);
        for w in words {
            assert!(line.contains(w), "{target}: {w:?} not in {line:?}");
        }
        line
    };
    let keys = |id: &str, secret: &str| {
        let mut cmd = offline();
        cmd.env("AWS_ACCESS_KEY_ID", id)
            .env("AWS_SECRET_ACCESS_KEY", secret)
            .env("AWS_REGION", "us-east-1");
        cmd
    };

    // S3: a missing bucket, a key nobody issued, a wrong secret, a key
    // without permissions, an endpoint nobody answers, no credentials.
    says(
        keys("test", "test"),
        &["s3://no-such-bucket", "--endpoint", S3],
        "s3://no-such-bucket",
        &["bucket not found (NoSuchBucket)"],
    );
    let (moto, key, secret) = moto_enforcing_iam();
    let ep = moto.endpoint();
    says(
        keys("AKIAEXAMPLEUNKNOWN00", "sEcReT"),
        &["s3://locked", "--endpoint", &ep],
        "s3://locked",
        &["credentials rejected (InvalidAccessKeyId)"],
    );
    says(
        keys(&key, "wrong-secret"),
        &["s3://locked", "--endpoint", &ep],
        "s3://locked",
        &["credentials rejected (SignatureDoesNotMatch)"],
    );
    says(
        keys(&key, &secret),
        &["s3://locked", "--endpoint", &ep],
        "s3://locked",
        &["access denied (AccessDenied)", "s3:ListBucket"],
    );
    drop(moto);
    let dead = format!("http://127.0.0.1:{}", closed_port());
    says(
        keys("test", "test"),
        &["s3://atrest-sse", "--endpoint", &dead],
        "s3://atrest-sse",
        &["cannot reach 127.0.0.1:", "--endpoint"],
    );
    says(
        offline(),
        &["s3://atrest-sse", "--endpoint", S3],
        "s3://atrest-sse",
        &["no AWS credentials", "AWS_PROFILE"],
    );
    let home = home_with(&[(
        ".aws/config",
        "[default]\ncredential_process = sh -c 'echo expired >&2; exit 3'\n",
    )]);
    let mut failing = offline();
    failing.env("HOME", home.path());
    says(
        failing,
        &["s3://atrest-sse", "--endpoint", S3],
        "s3://atrest-sse",
        &[
            "(profile default)",
            "credential_process failed",
            "exit status 3",
        ],
    );

    // Google: a missing bucket, no credentials, a file that is not there
    // or not a kind object_store reads.
    let mut cmd = offline();
    cmd.env("STORAGE_EMULATOR_HOST", "127.0.0.1:4443");
    says(
        cmd,
        &["gs://no-such-bucket"],
        "gs://no-such-bucket",
        &["bucket not found"],
    );
    let line = says(
        offline(),
        &["gs://atrest-fixtures"],
        "gs://atrest-fixtures",
        &[
            "no Google credentials",
            "GOOGLE_APPLICATION_CREDENTIALS",
            "gcloud auth application-default login",
        ],
    );
    assert!(!line.contains("AWS"), "{line}");
    let mut cmd = offline();
    cmd.env("GOOGLE_APPLICATION_CREDENTIALS", "/nonexistent/key.json");
    says(
        cmd,
        &["gs://atrest-fixtures"],
        "gs://atrest-fixtures",
        &["GOOGLE_APPLICATION_CREDENTIALS: cannot read /nonexistent/key.json"],
    );
    let federated = home_with(&[(
        "wif.json",
        r#"{"type":"external_account","audience":"//iam.googleapis.com/x"}"#,
    )]);
    let mut cmd = offline();
    cmd.env(
        "GOOGLE_APPLICATION_CREDENTIALS",
        federated.path().join("wif.json"),
    );
    says(
        cmd,
        &["gs://atrest-fixtures"],
        "gs://atrest-fixtures",
        &["external_account credentials are not supported"],
    );

    // Azure: a missing container, a wrong key, a forged SAS, no account,
    // no credentials.
    says(
        azure(),
        &["az://no-such-container"],
        "az://no-such-container",
        &[
            "container not found (ContainerNotFound)",
            "AZURE_STORAGE_ACCOUNT_NAME",
        ],
    );
    let mut cmd = offline();
    cmd.env("AZURE_STORAGE_USE_EMULATOR", "true").env(
        "AZURE_STORAGE_ACCOUNT_KEY",
        "d3Jvbmcga2V5IGZvciB0aGUgdGVzdA==",
    );
    says(
        cmd,
        &["az://atrest-fixtures"],
        "az://atrest-fixtures",
        &["credentials rejected", "account key"],
    );
    let mut cmd = offline();
    cmd.env("AZURE_STORAGE_USE_EMULATOR", "true").env(
        "AZURE_STORAGE_SAS_TOKEN",
        "sv=2021-08-06&ss=b&srt=sco&sp=rl&se=2099-01-01T00:00:00Z&sig=Zm9yZ2VkIHNpZ25hdHVyZQ%3D%3D",
    );
    says(
        cmd,
        &["az://atrest-fixtures"],
        "az://atrest-fixtures",
        &["credentials rejected", "SAS"],
    );
    says(
        offline(),
        &["az://atrest-fixtures"],
        "az://atrest-fixtures",
        &["no Azure storage account", "AZURE_STORAGE_ACCOUNT_NAME"],
    );
    let account = |cmd: &mut Command| {
        cmd.env("AZURE_STORAGE_ACCOUNT_NAME", "devstoreaccount1")
            .env(
                "AZURE_STORAGE_ENDPOINT",
                "http://127.0.0.1:10000/devstoreaccount1",
            )
            .env("AZURE_ALLOW_HTTP", "true");
    };
    let mut cmd = offline();
    account(&mut cmd);
    let line = says(
        cmd,
        &["az://atrest-fixtures"],
        "az://atrest-fixtures",
        &[
            "no Azure credentials",
            "AZURE_STORAGE_ACCOUNT_KEY",
            "az login",
        ],
    );
    assert!(!line.contains("AWS"), "{line}");
}

#[test]
#[ignore = "needs tests/emulators/up.sh"]
fn google_key_files_and_gcloud_credentials_and_the_azure_cli_sign_in() {
    emulators();
    let dir = tempfile::tempdir().unwrap();
    let pem = dir.path().join("key.pem");
    let made = Command::new("openssl")
        .args([
            "genpkey",
            "-algorithm",
            "RSA",
            "-pkeyopt",
            "rsa_keygen_bits:2048",
            "-out",
        ])
        .arg(&pem)
        .output()
        .unwrap();
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    let mut account = serde_json::json!({
        "type": "service_account",
        "project_id": "scan",
        "private_key_id": "k1",
        "private_key": std::fs::read_to_string(&pem).unwrap(),
        "client_email": "scanner@scan.iam.gserviceaccount.com",
    });
    // gcloud's application-default file, found through CLOUDSDK_CONFIG.
    let gcloud = dir.path().join("gcloud");
    std::fs::create_dir(&gcloud).unwrap();
    std::fs::write(
        gcloud.join("application_default_credentials.json"),
        account.to_string(),
    )
    .unwrap();
    // A key file of object_store's own, which may name its endpoint.
    account["gcs_base_url"] = "http://127.0.0.1:4443".into();
    let key = dir.path().join("sa.json");
    std::fs::write(&key, account.to_string()).unwrap();
    let prefix = "gs://atrest-fixtures/fixtures/audio/wav";
    for env in [
        vec![("GOOGLE_SERVICE_ACCOUNT", key.to_str().unwrap())],
        vec![
            ("CLOUDSDK_CONFIG", gcloud.to_str().unwrap()),
            ("GOOGLE_BASE_URL", "http://127.0.0.1:4443"),
        ],
    ] {
        let mut cmd = offline();
        cmd.envs(env.clone()).env("GOOGLE_ALLOW_HTTP", "true");
        let (code, r) = scan(cmd, &[prefix]);
        assert_eq!(
            (code, r["summary"]["errors"].as_u64()),
            (0, Some(0)),
            "{env:?}: {r}"
        );
        assert_eq!(r["summary"]["findings"], 6, "{env:?}");
    }

    // Azure: no key and no managed identity, but `az login` was run: the
    // CLI is asked for a token, as DefaultAzureCredential would.
    let bin = dir.path().join("bin");
    std::fs::create_dir(&bin).unwrap();
    let asked = dir.path().join("az-asked");
    std::fs::write(
        bin.join("az"),
        format!(
            "#!/bin/sh\necho \"$@\" >> '{}'\n\
             printf '{{\"accessToken\":\"az-token\",\"expiresOn\":\"%s\",\"tokenType\":\"Bearer\"}}' \"$(date -d '+1 hour' '+%Y-%m-%d %H:%M:%S.000000')\"\n",
            asked.display()
        ),
    )
    .unwrap();
    Command::new("chmod")
        .arg("+x")
        .arg(bin.join("az"))
        .status()
        .unwrap();
    let mut cmd = offline();
    cmd.env("PATH", format!("{}:/usr/bin:/bin", bin.display()))
        .env("AZURE_STORAGE_ACCOUNT_NAME", "devstoreaccount1")
        .env(
            "AZURE_STORAGE_ENDPOINT",
            "http://127.0.0.1:10000/devstoreaccount1",
        )
        .env("AZURE_ALLOW_HTTP", "true");
    // Azurite takes bearer tokens over HTTPS only: the CLI's token is
    // refused, which shows it was the one sent.
    let line = refusal(cmd, &["az://atrest-fixtures"], "az://atrest-fixtures");
    assert!(line.contains("credentials rejected"), "{line}");
    let args = std::fs::read_to_string(&asked).unwrap();
    assert!(args.starts_with("account get-access-token"), "{args}");
}

// Inventories and listing at scale

/// Runs tests/emulators/make_inventory.py (idempotent) with the emulators'
/// Python (boto3, pyarrow, azure-storage-blob).
fn make_inventory(args: &[&str]) {
    let python = root().join(".emu/venv/bin/python");
    let out = Command::new(&python)
        .arg(root().join("tests/emulators/make_inventory.py"))
        .args(&args[..1])
        .arg(root().join("fixtures"))
        .args(&args[1..])
        .output()
        .unwrap_or_else(|e| panic!("{}: {e}", python.display()));
    assert!(
        out.status.success(),
        "make_inventory.py {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `atrest merge` of shard reports: exit 0 and its JSON.
fn merge_parts(parts: &[std::path::PathBuf]) -> Value {
    let out = atrest()
        .arg("merge")
        .args(parts)
        .args(["--format", "json", "--fail-on", "never"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    json_of(&out)
}

const INV: &str = "s3://atrest-inv-dest/inv/atrest-inv-src";

fn locations(report: &Value, key: &str) -> BTreeSet<String> {
    report[key]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["location"].as_str().unwrap().to_string())
        .collect()
}

fn fingerprints(report: &Value) -> BTreeSet<String> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["fingerprint"].as_str().unwrap().to_string())
        .collect()
}

#[test]
#[ignore = "needs tests/emulators/up.sh"]
fn s3_inventories_in_csv_and_parquet_replace_the_listing() {
    emulators();
    make_inventory(&["s3"]);
    let src = "s3://atrest-inv-src";
    let (code, listed) = scan_quiet(s3(), &[src, "--endpoint", S3]);
    assert_eq!(code, 0, "{listed}");
    let folder = format!("{INV}/csv/");
    let (code, r) = scan_quiet(
        s3(),
        &[
            src,
            "--endpoint",
            S3,
            "--inventory-from",
            &folder,
            "--inventory",
        ],
    );
    assert_eq!(code, 0, "{r}");
    let s = &r["summary"];
    common::assert_reconciles(s);
    // Ten current objects (a key with a space and a plus among them, URL-encoded
    // in the CSV); the Deep Archive row skipped without a request, and so is
    // the older version of voice/plain.wav (counted: it still holds bytes);
    // the delete marker is no object at all.
    assert_eq!(s["objects_scanned"], 10, "{s}");
    assert_eq!(s["skipped"]["storage-class"], 1);
    assert_eq!(s["skipped"]["noncurrent"], 1);
    assert_eq!(s["objects_seen"], 12);
    let state = |location: &str| {
        r["objects"]
            .as_array()
            .unwrap()
            .iter()
            .find(|o| o["location"] == location)
            .map(|o| o["state"].clone())
    };
    assert_eq!(
        state("s3://atrest-inv-src/voice/plain.wav?versionId=v1"),
        Some("skipped:noncurrent".into()),
        "the older version, named apart"
    );
    assert_eq!(
        state("s3://atrest-inv-src/voice/plain.wav"),
        Some("scanned".into())
    );
    assert_eq!(
        fingerprints(&r),
        fingerprints(&listed),
        "the same findings as LIST"
    );
    assert!(locations(&r, "findings").contains("s3://atrest-inv-src/voice/a b+c.wav"));
    // One GET per object and the pre-flight request, as with LIST; the
    // listing pages replaced by nine inventory reads: the folder's listing,
    // two checksum HEADs (the newest run has none yet), the manifest and its
    // checksum, a peek at the first file's columns, the three data files.
    assert_eq!(s["requests"], 1 + 10 + 9, "{s}");
    // voice/kms.wav is a plain object to moto, SSE-KMS to the inventory: the
    // row fills in what the GET response does not say. Elsewhere the
    // response's own "none" stands.
    let kms = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["location"] == "s3://atrest-inv-src/voice/kms.wav")
        .unwrap();
    assert_eq!(
        kms["evidence"]["server_side_encryption"],
        "SSE-KMS (inventory report)"
    );
    assert_eq!(kms["storage"], "kms");
    let plain = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["location"] == "s3://atrest-inv-src/voice/plain.wav")
        .unwrap();
    assert_eq!(plain["storage"], "none");

    // Parquet, by the manifest's URL, for a prefix of the bucket: other/x.wav
    // is not under it.
    let manifest = format!("{INV}/parquet/2026-01-02T00-00Z/manifest.json");
    let (code, p) = scan_quiet(
        s3(),
        &[
            "s3://atrest-inv-src/voice",
            "--endpoint",
            S3,
            "--inventory-from",
            &manifest,
        ],
    );
    assert_eq!(code, 0, "{p}");
    let s = &p["summary"];
    assert_eq!(
        (
            s["objects_scanned"].as_u64(),
            s["skipped"]["storage-class"].as_u64()
        ),
        (Some(9), Some(1))
    );
    // Manifest, checksum, the footer of the first file, the two files.
    assert_eq!(s["requests"], 1 + 9 + 5, "{s}");
    assert!(!locations(&p, "findings").contains("s3://atrest-inv-src/other/x.wav"));

    // --state: versions from the inventory are the listing's, so a state
    // written by a LIST scan makes the inventory scan read nothing.
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state.db");
    let state = state.to_str().unwrap();
    scan_quiet(s3(), &[src, "--endpoint", S3, "--state", state]);
    let (code, again) = scan_quiet(
        s3(),
        &[
            src,
            "--endpoint",
            S3,
            "--inventory-from",
            &folder,
            "--state",
            state,
        ],
    );
    assert_eq!(code, 0);
    assert_eq!(again["summary"]["unchanged"], 10);
    assert_eq!(again["summary"]["bytes_read"], 0);
    assert_eq!(again["summary"]["requests"], 1 + 9);
}

#[test]
#[ignore = "needs tests/emulators/up.sh"]
fn recordings_that_live_on_as_older_versions_are_counted_and_read_on_request() {
    emulators();
    make_inventory(&["versions"]);
    let src = "s3://atrest-inv-ver";
    let folder = "s3://atrest-inv-dest/inv/atrest-inv-ver/versions/";
    let scan_with = |extra: &[&str]| {
        let mut args = vec![
            src,
            "--endpoint",
            S3,
            "--inventory-from",
            folder,
            "--inventory",
        ];
        args.extend_from_slice(extra);
        scan_quiet(s3(), &args)
    };
    // What LIST sees: calls/a.wav as text, calls/b.wav gone, and one
    // recording under a key that reads like a version. The two older
    // versions are counted.
    let (code, r) = scan_with(&[]);
    assert_eq!(code, 0, "{r}");
    let s = &r["summary"];
    common::assert_reconciles(s);
    assert_eq!(
        (
            s["objects_scanned"].as_u64(),
            s["skipped"]["noncurrent"].as_u64(),
            s["findings"].as_u64()
        ),
        (Some(2), Some(2), Some(1)),
        "{s}"
    );
    // Asked for, both are read by their version id and found; the key that
    // reads like a version keeps a location (and a fingerprint) of its own.
    let (code, r) = scan_with(&["--versions", "all"]);
    assert_eq!(code, 0, "{r}");
    let s = &r["summary"];
    common::assert_reconciles(s);
    assert_eq!(
        (
            s["objects_scanned"].as_u64(),
            s["skipped"]["noncurrent"].as_u64()
        ),
        (Some(4), Some(0)),
        "{s}"
    );
    let found = locations(&r, "findings");
    assert_eq!(found.len(), 3, "{found:?}");
    let lookalike = format!("{src}/calls/a.wav\\?versionId=");
    for key in ["calls/a.wav", "calls/b.wav"] {
        let prefix = format!("{src}/{key}?versionId=");
        assert!(found.iter().any(|l| l.starts_with(&prefix)), "{found:?}");
    }
    assert!(found.iter().any(|l| l.starts_with(&lookalike)), "{found:?}");
    assert_eq!(fingerprints(&r).len(), 3);
    assert_eq!(r["objects"].as_array().unwrap().len(), 4);
    // Rules and allow-lists match the key itself, as --include does: of an
    // older version too, and of the lookalike key with its `?` unescaped.
    let dir = tempfile::tempdir().unwrap();
    let rules = rules_file(
        dir.path(),
        r#"
[[rule]]
id = "calls.any"
title = "Anything under calls/"
severity = "low"
category = "other"
paths = ["calls/b.wav", "calls/a.wav?versionId=*"]
"#,
    );
    let (_, r) = scan_with(&["--versions", "all", "--rules", rules.to_str().unwrap()]);
    let matched = locations(&r, "findings");
    assert_eq!(matched.len(), 2, "{matched:?}");
    assert!(matched
        .iter()
        .any(|l| l.starts_with(&format!("{src}/calls/b.wav?versionId="))));
    assert!(
        matched.iter().any(|l| l.starts_with(&lookalike)),
        "{matched:?}"
    );
    // A second run with --state reads nothing again; --exclude covers every
    // version of a key.
    let state = dir.path().join("state.db");
    let state = state.to_str().unwrap();
    let (_, first) = scan_with(&["--versions", "all", "--state", state]);
    let (_, again) = scan_with(&["--versions", "all", "--state", state]);
    assert_eq!(first["summary"]["objects_scanned"], 4);
    assert_eq!(again["summary"]["unchanged"], 4, "{}", again["summary"]);
    assert_eq!(again["summary"]["bytes_read"], 0);
    let (_, r) = scan_with(&["--versions", "all", "--exclude", "calls/b.wav"]);
    assert_eq!(r["summary"]["skipped"]["excluded"], 1, "{}", r["summary"]);
    // Without an inventory there is nothing to name older versions by.
    assert_exit_2_naming(
        s3(),
        &[src, "--endpoint", S3, "--versions", "all"],
        "--versions all",
        "--inventory-from",
    );
}

#[test]
#[ignore = "needs tests/emulators/up.sh"]
fn an_inventory_folder_means_its_newest_complete_run() {
    emulators();
    make_inventory(&["s3"]);
    // 2026-01-01 lists one object; 2026-01-03 has no checksum yet.
    let (code, r) = scan_quiet(
        s3(),
        &[
            "s3://atrest-inv-src",
            "--endpoint",
            S3,
            "--inventory-from",
            &format!("{INV}/csv"),
        ],
    );
    assert_eq!(code, 0, "{r}");
    assert_eq!(r["summary"]["objects_seen"], 12);
    let older = format!("{INV}/csv/2026-01-01T00-00Z/manifest.json");
    let (_, r) = scan_quiet(
        s3(),
        &[
            "s3://atrest-inv-src",
            "--endpoint",
            S3,
            "--inventory-from",
            &older,
        ],
    );
    assert_eq!(r["summary"]["objects_seen"], 1);
    // The run still being written, named outright: refused.
    let newest = format!("{INV}/csv/2026-01-03T00-00Z/manifest.json");
    assert_exit_2_naming(
        s3(),
        &[
            "s3://atrest-inv-src",
            "--endpoint",
            S3,
            "--inventory-from",
            &newest,
        ],
        &newest,
        "not complete",
    );
}

/// A day-old inventory never makes a scan say clean about bytes it did not
/// read: objects written since their row (0 or 5 bytes then, a recording
/// now) are read at their size now; an object replaced since is remembered
/// by the version read, so putting the recording back is seen; a report
/// that lists nothing of a bucket that holds objects is an error.
#[test]
#[ignore = "needs tests/emulators/up.sh"]
fn stale_and_empty_inventories_never_pass_for_clean() {
    emulators();
    make_inventory(&["stale"]);
    let src = "s3://atrest-inv-stale";
    let inv = "s3://atrest-inv-dest/inv/atrest-inv-stale";
    let manifest = format!("{inv}/csv/2026-01-02T00-00Z/manifest.json");
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state.db");
    let state = state.to_str().unwrap();
    let args = [
        src,
        "--endpoint",
        S3,
        "--inventory-from",
        &manifest,
        "--state",
        state,
    ];
    let (code, r) = scan_quiet(s3(), &args);
    assert_eq!(code, 0, "{r}");
    assert_eq!(
        locations(&r, "findings"),
        BTreeSet::from([
            format!("{src}/calls/note.wav"),
            format!("{src}/calls/placeholder.wav")
        ])
    );
    // Three objects of a WAV's size read whole, and the 5 bytes first
    // read of note.wav, at its row's size, count too.
    let wav = std::fs::metadata(root().join("fixtures/audio/wav/pcm16.wav"))
        .unwrap()
        .len();
    assert_eq!(r["summary"]["bytes_read"], 3 * wav + 5, "{r}");
    make_inventory(&["stale", "restore"]);
    let (code, r) = scan_quiet(s3(), &args);
    assert_eq!(code, 0, "{r}");
    assert!(
        locations(&r, "findings").contains(&format!("{src}/calls/swapped.wav")),
        "{r}"
    );
    let empty = format!("{inv}/empty/2026-01-02T00-00Z/manifest.json");
    let (code, r) = scan_quiet(s3(), &[src, "--endpoint", S3, "--inventory-from", &empty]);
    assert_eq!(code, 3, "{r}");
    let said = r["errors"][0]["message"].as_str().unwrap();
    assert!(said.contains("lists no object here"), "{said}");
    assert_eq!(r["errors"][0]["location"], src);
}

#[test]
#[ignore = "needs tests/emulators/up.sh"]
fn inventories_of_another_bucket_and_orc_inventories_are_refused() {
    emulators();
    make_inventory(&["s3"]);
    let wrong = format!("{INV}/wrong/");
    assert_exit_2_naming(
        s3(),
        &[
            "s3://atrest-inv-src",
            "--endpoint",
            S3,
            "--inventory-from",
            &wrong,
        ],
        "atrest-someone-else",
        "not a target",
    );
    let orc = format!("{INV}/orc/");
    assert_exit_2_naming(
        s3(),
        &[
            "s3://atrest-inv-src",
            "--endpoint",
            S3,
            "--inventory-from",
            &orc,
        ],
        "orc/2026-01-02T00-00Z/manifest.json",
        "ORC inventories are not supported; configure the inventory report as CSV or Parquet",
    );
    assert_exit_2_naming(
        s3(),
        &["fixtures", "--inventory-from", &orc],
        "--inventory-from",
        "give that bucket",
    );
}

#[test]
#[ignore = "needs tests/emulators/up.sh"]
fn shards_over_an_inventory_of_several_files_merge_into_the_whole() {
    emulators();
    make_inventory(&["s3"]);
    let dir = tempfile::tempdir().unwrap();
    let folder = format!("{INV}/csv/");
    let args = [
        "s3://atrest-inv-src",
        "--endpoint",
        S3,
        "--no-exposure",
        "--inventory-from",
        &folder,
    ];
    let (_, whole) = scan(s3(), &args);
    // Three data files: two shards take files (0, 2) and (1); five shards
    // are more than the files, so each reads all three and keeps its keys.
    for n in [2, 5] {
        let mut parts = Vec::new();
        let mut requests = 0;
        for k in 0..n {
            let part = dir.path().join(format!("part{n}-{k}.json"));
            let shard = format!("{k}/{n}");
            let status = s3()
                .arg("scan")
                .args(args)
                .args([
                    "--shard",
                    &shard,
                    "--format",
                    "json",
                    "--fail-on",
                    "never",
                    "-o",
                ])
                .arg(&part)
                .status()
                .unwrap();
            assert_eq!(status.code(), Some(0));
            let report: Value = serde_json::from_slice(&std::fs::read(&part).unwrap()).unwrap();
            requests += report["summary"]["requests"].as_u64().unwrap();
            parts.push(part);
        }
        let merged = merge_parts(&parts);
        assert_eq!(fingerprints(&merged), fingerprints(&whole), "{n} shards");
        assert_eq!(
            merged["summary"]["objects_seen"],
            whole["summary"]["objects_seen"]
        );
        assert_eq!(merged["summary"]["objects_scanned"], 10);
        if n == 2 {
            // Each data file read once among the shards: the GETs of the
            // objects, and per shard the pre-flight and the same five reads
            // to find and check the manifest, plus its own files.
            assert_eq!(requests, 10 + 2 * (1 + 6) + 3, "{requests}");
        }
    }
}

#[test]
#[ignore = "needs tests/emulators/up.sh"]
fn azure_and_gcs_inventory_reports_list_their_buckets() {
    emulators();
    make_inventory(&["azure"]);
    make_inventory(&["gcs"]);
    // Azure: the container's root holds YYYY/MM/DD/HH-MM-SS/<rule>/ runs; the
    // newest (2026/01/03) is Pending, without a checksum. Rows are
    // container/blob: another container's row is not this scan's.
    let (code, r) = scan_quiet(
        azure(),
        &[
            "az://atrest-inv-az",
            "--inventory-from",
            "az://atrest-inv-azdest/voice-rule",
        ],
    );
    assert_eq!(code, 0, "{r}");
    let s = &r["summary"];
    assert_eq!(
        (
            s["objects_scanned"].as_u64(),
            s["skipped"]["storage-class"].as_u64(),
            s["skipped"]["noncurrent"].as_u64()
        ),
        (Some(3), Some(1), Some(2)),
        "{s}: a snapshot and a soft-deleted blob are counted, not read"
    );
    assert_eq!(
        locations(&r, "findings"),
        ["n1", "plain", "scoped"]
            .iter()
            .map(|n| format!("az://atrest-inv-az/voice/{n}.wav"))
            .collect()
    );
    // Azurite answers x-ms-server-encrypted: true; the response, fresher
    // than the report, says what protects the object.
    for f in r["findings"].as_array().unwrap() {
        assert_eq!(f["storage"], "provider", "{f}");
    }
    // Without the rule's name, the newest run's only complete rule.
    let (_, r) = scan_quiet(
        azure(),
        &[
            "az://atrest-inv-az",
            "--inventory-from",
            "az://atrest-inv-azdest",
        ],
    );
    assert_eq!(r["summary"]["objects_seen"], 6);
    // An inventory that names no versions cannot serve --versions all.
    assert_exit_2_naming(
        azure(),
        &[
            "az://atrest-inv-az",
            "--inventory-from",
            "az://atrest-inv-azdest",
            "--versions",
            "all",
        ],
        "az://atrest-inv-azdest",
        "names no versions",
    );
    // GCS: the newest *_manifest.json in the folder; its report has a header
    // row. GCS Archive needs no restore: that object is read like the rest.
    let (code, r) = scan_quiet(
        gcs(),
        &[
            "gs://atrest-inv-gcs",
            "--inventory-from",
            "gs://atrest-inv-gcsdest/reports/",
        ],
    );
    assert_eq!(code, 0, "{r}");
    let s = &r["summary"];
    assert_eq!(
        (
            s["objects_scanned"].as_u64(),
            s["objects_seen"].as_u64(),
            s["skipped"]["noncurrent"].as_u64()
        ),
        (Some(3), Some(4), Some(1)),
        "{s}: the older generation is counted, not read"
    );
    assert_eq!(r["summary"]["findings"], 3);
}

/// Runs a command under Python's `resource` module and returns its exit
/// code, stdout and peak resident memory in KiB.
fn with_peak_rss(mut cmd: Command) -> (i32, Vec<u8>, u64) {
    let peak = tempfile::NamedTempFile::new().unwrap();
    let mut wrapped = Command::new("python3");
    wrapped
        .arg("-c")
        .arg(
            "import resource, subprocess, sys\n\
             r = subprocess.run(sys.argv[2:])\n\
             open(sys.argv[1], 'w').write(str(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss))\n\
             sys.exit(r.returncode)",
        )
        .arg(peak.path())
        .arg(cmd.get_program())
        .args(cmd.get_args());
    for (k, v) in cmd.get_envs() {
        match v {
            Some(v) => wrapped.env(k, v),
            None => wrapped.env_remove(k),
        };
    }
    if let Some(dir) = cmd.get_current_dir() {
        wrapped.current_dir(dir);
    }
    cmd = wrapped;
    let out = cmd.output().unwrap();
    let kib = std::fs::read_to_string(peak.path())
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    (out.status.code().unwrap_or(-1), out.stdout, kib)
}

#[test]
#[ignore = "needs tests/emulators/up.sh"]
fn a_million_row_inventory_is_read_in_flat_memory() {
    emulators();
    // 1,000,000 rows (about 9 MB of CSV.gz, 130 MB of text); one row in
    // 5,000 is a real object under real/, the rest name bulk/ keys.
    make_inventory(&["big", "1000000"]);
    let mut cmd = s3();
    cmd.args([
        "scan",
        "s3://atrest-inv-big/real",
        "--endpoint",
        S3,
        "--no-exposure",
        "--inventory-from",
        "s3://atrest-inv-dest/inv/atrest-inv-big/big/",
        "--format",
        "json",
        "--fail-on",
        "never",
    ]);
    let (code, stdout, peak_kib) = with_peak_rss(cmd);
    let r: Value = serde_json::from_slice(&stdout).unwrap();
    assert_eq!(code, 0, "{r}");
    let s = &r["summary"];
    assert_eq!(s["objects_scanned"], 200, "{s}");
    // One GET per object, as with LIST; besides them the pre-flight and
    // the inventory: a folder listing, a checksum HEAD, the manifest and its
    // checksum, a peek, and the data file in 8 MiB ranges.
    let requests = s["requests"].as_u64().unwrap();
    assert!(requests - 200 <= 1 + 5 + 2, "{requests} requests");
    eprintln!(
        "1,000,000 rows: peak RSS {} MiB, {requests} requests",
        peak_kib >> 10
    );
    assert!(peak_kib <= 128 << 10, "peak RSS {} MiB", peak_kib >> 10);
}

/// The tree bucket through `endpoint`, listed by `mode` (`--concurrency`
/// at its default, 32), with the inventory of every object.
fn scan_tree(endpoint: &str, mode: &str) -> (i32, Value) {
    scan_quiet(
        s3(),
        &[
            "s3://atrest-tree",
            "--endpoint",
            endpoint,
            "--inventory",
            "--listing",
            mode,
        ],
    )
}

/// The start-after of the range holding b/0000.wav … b/0999.wav: listed
/// from just below its split point, which sorts between "b/" and "b/0".
fn b_range(after: &str) -> bool {
    after > "b/" && after < "b/0"
}

#[test]
#[ignore = "needs tests/emulators/up.sh"]
fn large_buckets_are_listed_in_parallel_with_every_key_once() {
    emulators();
    make_inventory(&["tree"]);
    let run = |mode: &str| scan_tree(S3, mode);
    let (code, one) = run("sequential");
    assert_eq!(code, 3, "two keys the client cannot represent");
    let (code, many) = run("parallel");
    assert_eq!(code, 3);
    let objects = |r: &Value| -> Vec<String> {
        let mut v: Vec<String> = r["objects"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["location"].as_str().unwrap().to_string())
            .collect();
        v.sort();
        v
    };
    let (a, b) = (objects(&one), objects(&many));
    assert_eq!(a.len(), 2560);
    assert_eq!(a, b, "the same objects, none twice");
    assert_eq!(locations(&one, "errors"), locations(&many, "errors"));
    assert_eq!(many["summary"]["errors"], 2);
    assert_eq!(many["summary"]["objects_seen"], 2562);
    // Split points cost a few requests, each range at most one page past
    // its end: the parallel listing stays within a small margin of the
    // three sequential pages.
    let (r1, r2) = (
        one["summary"]["requests"].as_u64().unwrap(),
        many["summary"]["requests"].as_u64().unwrap(),
    );
    assert!(r2 <= r1 + 200, "{r1} sequential, {r2} parallel");
}

/// A request's head (through the blank line) and its request line, read
/// from a proxy's client.
fn request_head(conn: &mut TcpStream) -> (Vec<u8>, String) {
    use std::io::Read;
    let _ = conn.set_read_timeout(Some(Duration::from_secs(10)));
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") && conn.read(&mut byte).unwrap_or(0) == 1 {
        head.push(byte[0]);
    }
    let line = String::from_utf8_lossy(&head)
        .lines()
        .next()
        .unwrap_or("")
        .to_string();
    (head, line)
}

/// Passes a bodiless request to moto, one request per connection, and its
/// answer back.
fn to_moto(conn: &mut TcpStream, head: Vec<u8>) {
    to_moto_at(5000, conn, head)
}

fn to_moto_at(port: u16, conn: &mut TcpStream, mut head: Vec<u8>) {
    use std::io::{Read, Write};
    if !head.ends_with(b"\r\n\r\n") {
        return;
    }
    head.truncate(head.len() - 2);
    head.extend_from_slice(b"Connection: close\r\n\r\n");
    let Ok(mut moto) = TcpStream::connect(("127.0.0.1", port)) else {
        return;
    };
    let mut answer = Vec::new();
    if moto.write_all(&head).is_ok() && moto.read_to_end(&mut answer).is_ok() {
        let _ = conn.write_all(&answer);
    }
}

/// A proxy in front of moto that spoils one listing response, the one
/// after the pre-flight page atrest asks for before the scan — cut short
/// (its headers promise more body than is sent), or held without an answer
/// for `stall` — and passes everything else through, one request per
/// connection.
struct CuttingProxy {
    port: u16,
    cut: std::sync::Arc<std::sync::atomic::AtomicUsize>,
}

impl CuttingProxy {
    fn start(stall: Option<Duration>) -> CuttingProxy {
        use std::io::Write;
        use std::sync::atomic::Ordering;
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let cut = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let counted = cut.clone();
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                let Ok(mut conn) = conn else { continue };
                let counted = counted.clone();
                std::thread::spawn(move || {
                    let (head, line) = request_head(&mut conn);
                    if line.contains("list-type=2") && counted.fetch_add(1, Ordering::SeqCst) == 1 {
                        if let Some(stall) = stall {
                            std::thread::sleep(stall);
                            return;
                        }
                        let _ = conn.write_all(
                            b"HTTP/1.1 200 OK\r\nContent-Type: application/xml\r\nContent-Length: 5000\r\n\r\n<?xml version=\"1.0\"",
                        );
                        return;
                    }
                    to_moto(&mut conn, head);
                });
            }
        });
        CuttingProxy { port, cut }
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn listings(&self) -> usize {
        self.cut.load(std::sync::atomic::Ordering::SeqCst)
    }
}

#[test]
#[ignore = "needs tests/emulators/up.sh"]
fn a_listing_page_cut_short_or_unanswered_is_asked_again() {
    emulators();
    let scan = |endpoint: &str| {
        json_of(
            &s3()
                .args(["scan", "s3://atrest-fixtures", "--endpoint", endpoint])
                .args([
                    "--no-exposure",
                    "--listing",
                    "sequential",
                    "--format",
                    "json",
                ])
                .args(["--fail-on", "never"])
                .output()
                .unwrap(),
        )
    };
    let direct = scan(S3);
    // Cut short: object_store asks again at once. Unanswered past the
    // 30 s request timeout, which is also object_store's whole retry
    // budget: the listing asks for the page again itself.
    for stall in [None, Some(Duration::from_secs(35))] {
        let proxy = CuttingProxy::start(stall);
        let spoiled = scan(&proxy.url());
        assert_eq!(spoiled["errors"], serde_json::json!([]), "{spoiled}");
        assert_eq!(spoiled["complete"], true);
        assert_eq!(
            spoiled["summary"]["objects_seen"],
            direct["summary"]["objects_seen"]
        );
        assert_eq!(spoiled["findings"], direct["findings"]);
        assert!(proxy.listings() >= 3, "{}", proxy.listings());
    }
}

/// The decoded value of `name` in a request line's query string.
fn query_value(line: &str, name: &str) -> Option<String> {
    let target = line.split_whitespace().nth(1)?;
    let query = target.split_once('?')?.1;
    let raw = query
        .split('&')
        .find_map(|pair| pair.strip_prefix(name)?.strip_prefix('='))?;
    let mut bytes = Vec::new();
    let mut rest = raw.as_bytes();
    while let Some((&b, tail)) = rest.split_first() {
        match (b, tail) {
            (b'%', [h, l, more @ ..]) => {
                let hex = std::str::from_utf8(&[*h, *l]).ok().map(str::to_string)?;
                bytes.push(u8::from_str_radix(&hex, 16).ok()?);
                rest = more;
            }
            (b'+', _) => {
                bytes.push(b' ');
                rest = tail;
            }
            _ => {
                bytes.push(b);
                rest = tail;
            }
        }
    }
    Some(String::from_utf8_lossy(&bytes).into_owned())
}

/// What [`RefusingProxy`] does to the listing requests of its chosen range.
#[derive(Clone, Copy)]
enum Spoil {
    /// S3's 403 AccessDenied, an answer object_store does not ask again.
    Refuse,
    /// The first so many requests closed without an answer, then passed.
    Drop(usize),
}

/// A proxy in front of moto that spoils every listing request of one key
/// range — the first `start-after` it sees that `picks` accepts, then every
/// request with that same `start-after` — and passes everything else through.
struct RefusingProxy {
    port: u16,
    chosen: std::sync::Arc<std::sync::Mutex<Option<String>>>,
    refusals: std::sync::Arc<std::sync::atomic::AtomicUsize>,
}

impl RefusingProxy {
    fn start(picks: fn(&str) -> bool) -> RefusingProxy {
        RefusingProxy::spoiling(picks, Spoil::Refuse)
    }

    fn spoiling(picks: fn(&str) -> bool, spoil: Spoil) -> RefusingProxy {
        use std::io::Write;
        use std::sync::atomic::Ordering;
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let chosen = std::sync::Arc::new(std::sync::Mutex::new(None::<String>));
        let refusals = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let (picked, refused) = (chosen.clone(), refusals.clone());
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                let Ok(mut conn) = conn else { continue };
                let (picked, refused) = (picked.clone(), refused.clone());
                std::thread::spawn(move || {
                    let (head, line) = request_head(&mut conn);
                    let after =
                        query_value(&line, "start-after").filter(|_| line.contains("list-type=2"));
                    let refuse = after.is_some_and(|after| {
                        let mut chosen = picked.lock().unwrap();
                        match chosen.as_deref() {
                            Some(c) => c == after,
                            None if picks(&after) => {
                                *chosen = Some(after);
                                true
                            }
                            None => false,
                        }
                    });
                    if !refuse {
                        return to_moto(&mut conn, head);
                    }
                    let n = refused.fetch_add(1, Ordering::SeqCst);
                    match spoil {
                        Spoil::Drop(first) if n < first => {}
                        Spoil::Drop(_) => to_moto(&mut conn, head),
                        Spoil::Refuse => {
                            let body = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>AccessDenied</Code><Message>Access Denied</Message><RequestId>refused-by-test</RequestId></Error>";
                            let _ = conn.write_all(
                                format!(
                                    "HTTP/1.1 403 Forbidden\r\nContent-Type: application/xml\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                                    body.len()
                                )
                                .as_bytes(),
                            );
                        }
                    }
                });
            }
        });
        RefusingProxy {
            port,
            chosen,
            refusals,
        }
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn spoiled(&self) -> usize {
        self.refusals.load(std::sync::atomic::Ordering::SeqCst)
    }
}

/// The two quoted keys of `… keys from "A" up to "B" broke off: …`.
fn range_bounds(message: &str) -> Option<(String, String)> {
    let rest = message.split_once("keys from \"")?.1;
    let (from, rest) = rest.split_once("\" up to \"")?;
    let (to, _) = rest.split_once("\" broke off: ")?;
    Some((from.to_string(), to.to_string()))
}

#[test]
#[ignore = "needs tests/emulators/up.sh"]
fn a_range_that_breaks_off_costs_its_own_keys_and_the_other_ranges_are_listed() {
    emulators();
    make_inventory(&["tree"]);
    let (_, whole) = scan_tree(S3, "sequential");
    let proxy = RefusingProxy::start(b_range);
    let (code, cut) = scan_tree(&proxy.url(), "parallel");
    let chosen = proxy.chosen.lock().unwrap().clone();
    assert!(chosen.is_some(), "no range was refused");
    let refusals = proxy.refusals.load(std::sync::atomic::Ordering::SeqCst);
    assert_eq!(refusals, 1, "a 403 is not asked again");
    assert_eq!(code, 3, "{}", cut["errors"]);
    assert_eq!(cut["complete"], false);
    let errors = cut["errors"].as_array().unwrap();
    let broke: Vec<&Value> = errors
        .iter()
        .filter(|e| e["message"].as_str().unwrap().contains("broke off"))
        .collect();
    assert_eq!(broke.len(), 1, "{errors:#?}");
    assert_eq!(broke[0]["location"], "s3://atrest-tree");
    let message = broke[0]["message"].as_str().unwrap();
    assert!(
        message.chars().count() <= 160 && !message.contains('\n'),
        "{message}"
    );
    assert!(message.contains("AccessDenied"), "{message}");
    let (from, to) = range_bounds(message).unwrap_or_else(|| panic!("no bounds: {message}"));
    assert!(
        from.starts_with("b/") && to.starts_with("b/") && from < to,
        "{message}"
    );
    let key = |location: &str| location.trim_start_matches("s3://atrest-tree/").to_string();
    let inside = |k: &String| from <= *k && k < &to;
    let keys = |r: &Value, list: &str| -> Vec<String> {
        let mut v: Vec<String> = r[list]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| key(o["location"].as_str().unwrap()))
            .collect();
        v.sort();
        v
    };
    // Every object outside the refused range is scanned, once; none inside.
    let all = keys(&whole, "objects");
    let outside: Vec<String> = all.iter().filter(|k| !inside(k)).cloned().collect();
    assert_eq!(all.len() - outside.len(), 1000, "{message}");
    assert_eq!(keys(&cut, "objects"), outside);
    // The keys the client cannot represent are still reported where their
    // range was listed.
    let unreadable: Vec<String> = keys(&whole, "errors")
        .into_iter()
        .filter(|k| !inside(k))
        .collect();
    let mut others = keys(&cut, "errors");
    others.retain(|k| k != "s3://atrest-tree");
    assert_eq!(others, unreadable);
    assert_eq!(cut["summary"]["errors"], errors.len());
    // Every error counts as one object seen, the range's as well.
    assert_eq!(
        cut["summary"]["objects_seen"],
        outside.len() + unreadable.len() + 1
    );
}

#[test]
#[ignore = "needs tests/emulators/up.sh"]
fn a_range_without_an_answer_is_listed_again_after_the_others() {
    emulators();
    make_inventory(&["tree"]);
    let run = |endpoint: &str| scan_tree(endpoint, "parallel");
    let (code, whole) = run(S3);
    // Never answered: the range is listed again once, alone, and then it
    // is one error naming its keys.
    let proxy = RefusingProxy::spoiling(b_range, Spoil::Drop(usize::MAX));
    let (lost, cut) = run(&proxy.url());
    assert_eq!(lost, 3, "{}", cut["errors"]);
    let broke: Vec<&str> = cut["errors"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["message"].as_str())
        .filter(|m| m.contains("broke off"))
        .collect();
    assert_eq!(broke.len(), 1, "{broke:?}");
    assert!(range_bounds(broke[0]).is_some(), "{}", broke[0]);
    let both = proxy.spoiled();
    assert!(
        both >= 2 && both.is_multiple_of(2),
        "{both} tries over two passes"
    );
    // Answered when asked again alone: nothing is lost.
    let proxy = RefusingProxy::spoiling(b_range, Spoil::Drop(both / 2));
    let (healed_code, healed) = run(&proxy.url());
    assert_eq!(proxy.spoiled(), both / 2 + 1, "the second pass asked once");
    assert_eq!(healed_code, code);
    for list in ["objects", "findings", "errors"] {
        assert_eq!(healed[list], whole[list], "{list}");
    }
}

/// A proxy in front of a moto that drops every connection, unanswered,
/// for each `(after, pause)`: from when `after` object reads have passed,
/// for `pause`; everything else passes. An endpoint that stops answering
/// for a while, and again.
struct PausingProxy {
    port: u16,
    dropped: std::sync::Arc<std::sync::atomic::AtomicUsize>,
}

impl PausingProxy {
    fn start(moto: u16, pauses: &[(usize, Duration)]) -> PausingProxy {
        use std::sync::atomic::Ordering;
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let dropped = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let counted = dropped.clone();
        // Reads passed, and when each pause began.
        type Clock = (usize, Vec<Option<Instant>>);
        let clock = std::sync::Arc::new(std::sync::Mutex::new((0, vec![None; pauses.len()])));
        let pauses = pauses.to_vec();
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                let Ok(mut conn) = conn else { continue };
                let (counted, clock, pauses) = (counted.clone(), clock.clone(), pauses.clone());
                std::thread::spawn(move || {
                    let (head, line) = request_head(&mut conn);
                    let read = line.starts_with("GET ") && !line.contains("list-type");
                    let paused = {
                        let (reads, began): &mut Clock = &mut clock.lock().unwrap();
                        for (i, (after, _)) in pauses.iter().enumerate() {
                            if began[i].is_none() && read && *reads >= *after {
                                began[i] = Some(Instant::now());
                            }
                        }
                        let paused = pauses
                            .iter()
                            .zip(began.iter())
                            .any(|((_, pause), b)| b.is_some_and(|t| t.elapsed() < *pause));
                        *reads += usize::from(read && !paused);
                        paused
                    };
                    if paused {
                        counted.fetch_add(1, Ordering::SeqCst);
                        return;
                    }
                    to_moto_at(moto, &mut conn, head);
                });
            }
        });
        PausingProxy { port, dropped }
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

#[test]
#[ignore = "needs tests/emulators/up.sh"]
fn an_endpoint_that_stops_answering_for_a_while_costs_time_not_objects() {
    emulators();
    let moto = OwnMoto::start();
    seed(
        &moto.endpoint(),
        "atrest-pause",
        40,
        &root().join("fixtures/audio/wav/pcm16.wav"),
    );
    // Silent for 8 s after 8 reads, and for 3 s again while the objects
    // put off are being read once more.
    let pauses = [(8, Duration::from_secs(8)), (20, Duration::from_secs(3))];
    let proxy = PausingProxy::start(moto.port, &pauses);
    let started = Instant::now();
    let out = s3()
        .args(["scan", "s3://atrest-pause", "--endpoint", &proxy.url()])
        .args(["--no-exposure", "-j", "2", "--format", "json"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    let r = json_of(&out);
    assert_eq!(r["errors"], serde_json::json!([]), "{stderr}");
    assert_eq!(r["complete"], true);
    assert_eq!(r["summary"]["objects_scanned"], 40);
    assert_eq!(r["findings"].as_array().unwrap().len(), 40);
    assert!(
        proxy.dropped.load(std::sync::atomic::Ordering::SeqCst) > 0,
        "the pause was never met"
    );
    assert!(stderr.contains("stopped answering"), "{stderr}");
    assert!(started.elapsed() < Duration::from_secs(90));

    // Still not answering when --max-duration stops the scan: what was put
    // off is reported, not dropped.
    let proxy = PausingProxy::start(moto.port, &[(8, Duration::from_secs(600))]);
    let out = s3()
        .args(["scan", "s3://atrest-pause", "--endpoint", &proxy.url()])
        .args(["--no-exposure", "-j", "2", "--format", "json"])
        .args(["--max-duration", "12s"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    let r = json_of(&out);
    let scanned = r["summary"]["objects_scanned"].as_u64().unwrap();
    let errors = r["errors"].as_array().unwrap();
    assert!(scanned >= 8, "{scanned}");
    assert_eq!(scanned + errors.len() as u64, 40, "{stderr}");
    for e in errors {
        let message = e["message"].as_str().unwrap();
        assert!(
            message.ends_with("; not asked again: the scan stopped"),
            "{message}"
        );
    }
    common::assert_reconciles(&r["summary"]);
}
