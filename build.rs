//! The build's identity: a hash of everything that decides a verdict (the
//! sources, the embedded rules, the locked dependencies). `--state` reuses
//! a verdict only under the same identity, so a build that sees more than
//! the one that judged an object reads the object again, even when both
//! carry the same version number.

use std::fs;
use std::path::{Path, PathBuf};

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            files(&path, out);
        } else {
            out.push(path);
        }
    }
}

/// FNV-1a, 64 bits: stable across toolchains, unlike the standard hasher.
fn fnv(hash: &mut u64, bytes: &[u8]) {
    for &b in bytes {
        *hash ^= u64::from(b);
        *hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
}

fn main() {
    let mut inputs = Vec::new();
    files(Path::new("src"), &mut inputs);
    inputs.push(PathBuf::from("rules/default.toml"));
    inputs.push(PathBuf::from("Cargo.lock"));
    inputs.sort();
    let mut hash = 0xcbf2_9ce4_8422_2325u64;
    for path in &inputs {
        fnv(&mut hash, path.to_string_lossy().as_bytes());
        fnv(&mut hash, &fs::read(path).unwrap_or_default());
    }
    println!("cargo:rerun-if-changed=src");
    println!("cargo:rerun-if-changed=rules/default.toml");
    println!("cargo:rerun-if-changed=Cargo.lock");
    println!("cargo:rustc-env=ATREST_BUILD_ID={hash:016x}");
}
