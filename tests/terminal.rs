//! The binary on a real terminal: a pseudo-terminal made by util-linux
//! `script` (Debian's essential bsdutils), so that stdout and stderr are
//! ttys exactly as at a security engineer's desk. What only a terminal gets:
//! the table without `--format`, colour unless `NO_COLOR`, the progress bar
//! with totals and an ETA, and the closing line.

use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Runs atrest with `args` inside a pseudo-terminal; `None` when `script`
/// is missing (said on stderr, so a skipped check is visible).
fn on_terminal(args: &[&str], env: &[(&str, &str)]) -> Option<(Option<i32>, String)> {
    let bin = env!("CARGO_BIN_EXE_atrest");
    let quoted: Vec<String> = std::iter::once(bin)
        .chain(args.iter().copied())
        .map(|a| format!("'{}'", a.replace('\'', "'\\''")))
        .collect();
    let mut cmd = Command::new("script");
    // -e: the child's exit status; -q: no "Script started" lines; the
    // typescript itself goes nowhere.
    cmd.args(["-q", "-e", "-c", &quoted.join(" "), "/dev/null"])
        .env_remove("NO_COLOR")
        .env("COLUMNS", "100")
        .env("TERM", "xterm-256color");
    for (k, v) in env {
        cmd.env(k, v);
    }
    match cmd.output() {
        Ok(out) => Some((
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).replace("\r\n", "\n"),
        )),
        Err(e) => {
            eprintln!("script (util-linux) not runnable: {e}; terminal checks skipped");
            None
        }
    }
}

fn wav_tree() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for name in ["pcm16.wav", "mulaw.wav", "alaw.wav"] {
        std::fs::copy(
            root().join("fixtures/audio/wav").join(name),
            dir.path().join(name),
        )
        .unwrap();
    }
    std::fs::write(dir.path().join("notes.txt"), "nothing to see here\n").unwrap();
    dir
}

fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn a_terminal_gets_the_table_in_colour_progress_and_a_closing_line() {
    let tree = wav_tree();
    let Some((code, out)) = on_terminal(&["scan", path(tree.path()), "--progress", "always"], &[])
    else {
        return;
    };
    assert_eq!(code, Some(1), "{out}");
    // The table, not JSONL: the rule's title, what to do, red severity.
    assert!(
        out.contains("Audio recording stored without encryption (3)"),
        "{out}"
    );
    assert!(out.contains("what to do:"), "{out}");
    assert!(out.contains("\x1b[1;31mHIGH"), "{out}");
    assert!(!out.contains("\"kind\""), "{out}");
    // Progress with a known total and an ETA once the walk is counted.
    assert!(
        out.contains("4/4 objects") || out.contains("/4 objects"),
        "{out}"
    );
    assert!(out.contains("ETA"), "{out}");
    // The closing line says why the exit code is what it is.
    let closing = out
        .lines()
        .find(|l| l.starts_with("atrest: "))
        .unwrap_or_else(|| panic!("no closing line: {out}"));
    assert!(closing.contains("4 objects"), "{closing}");
    assert!(
        closing.contains("exit 1: 3 findings at or above high"),
        "{closing}"
    );
}

#[test]
fn no_color_and_quiet_are_honoured_on_a_terminal() {
    let tree = wav_tree();
    let Some((code, out)) = on_terminal(
        &["scan", path(tree.path()), "-q", "--progress", "never"],
        &[("NO_COLOR", "1")],
    ) else {
        return;
    };
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("HIGH"), "{out}");
    assert!(!out.contains('\x1b'), "escape codes with NO_COLOR: {out:?}");
    assert!(!out.contains("atrest: "), "closing line despite -q: {out}");
}

#[test]
fn a_clean_tree_says_so_and_exits_0_on_a_terminal() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("readme.txt"), "plain text\n").unwrap();
    let Some((code, out)) = on_terminal(&["scan", path(dir.path())], &[]) else {
        return;
    };
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("No findings"), "{out}");
    let closing = out.lines().find(|l| l.starts_with("atrest: ")).unwrap();
    assert!(closing.contains("exit 0"), "{closing}");
}
