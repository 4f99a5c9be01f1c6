//! Gives the program an identity that changes whenever what it renders could: a hash
//! of its sources, its built-in theme and its locked dependencies. A page whose
//! fingerprint (template, context and this identity) matches the previous build's is
//! kept rather than rendered again, so a rebuilt shequn must not match an older one.
//! The hash is of file contents only, so the same sources give the same identity on
//! every machine. (FNV-1a, written here: a build script should not need a crate for
//! twenty lines.)

use std::path::{Path, PathBuf};

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
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

fn main() {
    let mut list = Vec::new();
    for dir in ["src", "themes"] {
        files(Path::new(dir), &mut list);
        println!("cargo:rerun-if-changed={dir}");
    }
    list.push(PathBuf::from("Cargo.lock"));
    println!("cargo:rerun-if-changed=Cargo.lock");
    list.sort();
    let mut hash: u64 = 0xcbf29ce484222325;
    for path in &list {
        let bytes = std::fs::read(path).unwrap_or_default();
        for b in path.to_string_lossy().bytes().chain([0]).chain(bytes) {
            hash ^= u64::from(b);
            hash = hash.wrapping_mul(0x100000001b3);
        }
    }
    println!("cargo:rustc-env=SHEQUN_SOURCE_HASH={hash:016x}");
}
