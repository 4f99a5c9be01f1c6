//! Replays every target's seed corpus (`seeds/TARGET/`) and the inputs the fuzzers found
//! worth keeping (`corpus/TARGET/`, when present) through the harness, without
//! libFuzzer: CI checks the targets' invariants on stable Rust in a few seconds.

use std::path::Path;

fn replay(target: &str, run: fn(&[u8])) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut count = 0;
    for folder in ["seeds", "corpus", "artifacts"] {
        let dir = root.join(folder).join(target);
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        let mut paths: Vec<_> = entries.map(|e| e.unwrap().path()).collect();
        paths.sort();
        for path in paths {
            let data = std::fs::read(&path).unwrap();
            let result = std::panic::catch_unwind(|| run(&data));
            assert!(result.is_ok(), "{target}: {} fails", path.display());
            count += 1;
        }
    }
    assert!(count > 0, "{target}: no seed inputs in seeds/{target}/");
}

macro_rules! targets {
    ($($name:ident),*) => {
        $(
            #[test]
            fn $name() {
                replay(stringify!($name), shequn_fuzz::$name);
            }
        )*
    };
}

targets!(
    frontmatter,
    config,
    charter,
    member,
    speaker,
    event,
    chapter,
    series,
    page,
    markdown,
    url,
    paths
);
