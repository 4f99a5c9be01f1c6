//! The search index behind `/search/` (SPEC §3): built from the plan only, so an unlisted
//! member or a left-out draft cannot reach it, and written as small files under
//! `search/index/` that the theme's `search.js` fetches part by part. Comes after
//! `render`; `output` owns the bytes.
//!
//! - `documents`: what is searchable, as plain text (reads the plan and the Markdown).
//! - `words`: normalising and cutting text into terms (jieba for Chinese).
//! - `dictionary`: jieba's dictionary, cut down to the words the site's text can hold.
//! - `index`: the files, and their format.
//! - `lookup`: the query side in Rust, which `search.js` mirrors.

mod dictionary;
mod documents;
mod index;
mod lookup;
mod words;

use crate::markdown::Rendered;
use crate::output::Sink;
use crate::plan::Plan;

pub use documents::{documents, html_text, Document};
pub use lookup::{lookup, Hit};
pub use words::{is_han, stem};

/// The folder of the index, relative to the output root. The index names the files in
/// it; nothing else writes there.
pub const INDEX_DIR: &str = "search/index/";

/// Starts making the Traditional → Simplified table on a thread of its own, so that it
/// is ready when the index is built.
pub fn prepare() {
    if is_left_out() {
        return;
    }
    std::thread::spawn(|| words::simplified('国'));
}

/// Whether the build makes the index (see [`is_left_out`]).
pub fn builds_index() -> bool {
    !is_left_out()
}

/// `SHEQUN_BENCH_NO_SEARCH=1` builds the site without its index (the `/search/` page
/// stays): a benchmark knob for `bench/search.py`, which measures what the index adds
/// to a build, not an option for users.
fn is_left_out() -> bool {
    std::env::var_os("SHEQUN_BENCH_NO_SEARCH").is_some_and(|v| v == "1")
}

/// The output file whose entry in the manifest (or in `serve`'s last build) holds the
/// fingerprint of what the index was made from.
const FINGERPRINT_FILE: &str = "search/index/meta.json";

/// What [`write_index`] did.
#[derive(Debug, Default)]
pub struct Written {
    pub files: usize,
    /// One message per failed write.
    pub errors: Vec<String>,
    /// What the index was made from (see [`write_index`]); 0 when no index was made.
    pub fingerprint: u128,
}

/// Builds the index of the plan and writes it. The index depends on its documents and
/// on this program alone: when their fingerprint is `previous`, the previous build's
/// index files are kept through the sink and nothing is counted again (a rebuild after
/// a change to a template, the CSS or a record's private field).
pub fn write_index(
    plan: &Plan<'_>,
    md: &[Rendered],
    sink: &dyn Sink,
    previous: Option<u128>,
) -> Written {
    if is_left_out() {
        return Written::default();
    }
    let docs = documents(plan, md);
    let fingerprint = fingerprint(&docs);
    if previous == Some(fingerprint) {
        if let Some(files) = sink.keep_folder(INDEX_DIR) {
            return Written {
                files,
                errors: Vec::new(),
                fingerprint,
            };
        }
    }
    Written {
        fingerprint,
        ..index::write_index_files(&docs, sink)
    }
}

/// The fingerprint the index of the build behind `fingerprints` was made from.
pub fn last_fingerprint(fingerprints: &crate::render::Fingerprints) -> Option<u128> {
    fingerprints.pages().get(FINGERPRINT_FILE).copied()
}

/// Lists the fingerprint of the index `written` describes with `fingerprints`, for the
/// next build; nothing when the build made no index.
pub fn list_fingerprint(written: &Written, fingerprints: &mut crate::render::Fingerprints) {
    if written.files > 0 {
        fingerprints.insert(FINGERPRINT_FILE, written.fingerprint);
    }
}

/// The program and every field of every document, each with its length.
fn fingerprint(docs: &[Document]) -> u128 {
    let mut h = xxhash_rust::xxh3::Xxh3Default::new();
    h.update(crate::render::PROGRAM_IDENTITY.as_bytes());
    h.update(&(docs.len() as u64).to_le_bytes());
    for d in docs {
        for field in [d.kind, &d.title, &d.url, &d.text] {
            h.update(&(field.len() as u64).to_le_bytes());
            h.update(field.as_bytes());
        }
    }
    h.digest128()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diag::Diagnostics;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// Counts writes; keeps a folder when told to.
    struct Recorder {
        writes: AtomicUsize,
        can_keep: bool,
    }

    impl Sink for Recorder {
        fn write(&self, _path: &str, _bytes: &[u8]) -> Result<(), String> {
            self.writes.fetch_add(1, Ordering::Relaxed);
            Ok(())
        }

        fn keep_folder(&self, prefix: &str) -> Option<usize> {
            assert_eq!(prefix, INDEX_DIR);
            self.can_keep.then_some(7)
        }
    }

    fn recorder(can_keep: bool) -> Recorder {
        Recorder {
            writes: AtomicUsize::new(0),
            can_keep,
        }
    }

    #[test]
    fn an_index_of_the_same_documents_is_kept_not_made_again() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/sites/full");
        let mut diags = Diagnostics::new();
        let config_source = crate::load::read_text(&root, "shequn.toml")
            .unwrap()
            .unwrap();
        let config = crate::model::config::build(&config_source, None, &mut diags).unwrap();
        let files = crate::load::load_site(&root, None, None, &mut diags);
        let theme = crate::theme::load(&files, None, config.language, &mut diags);
        let site = crate::model::build::build(config, files, false, &mut diags).unwrap();
        let now = "2026-11-23T12:00:00Z".parse().unwrap();
        let plan = crate::plan::plan(&site, &theme, now, &mut diags);
        let md = crate::markdown::render_all(&site, true, &mut diags);
        assert!(!diags.has_errors(), "{diags:?}");

        let first = recorder(true);
        let made = write_index(&plan, &md, &first, None);
        assert!(made.files > 2 && made.fingerprint != 0, "{made:?}");
        assert_eq!(first.writes.into_inner(), made.files);

        // The same documents: the previous files are kept, none written.
        let again = recorder(true);
        let kept = write_index(&plan, &md, &again, Some(made.fingerprint));
        assert_eq!((kept.files, kept.fingerprint), (7, made.fingerprint));
        assert_eq!(again.writes.into_inner(), 0);

        // Another fingerprint, or previous files the sink no longer has: made again.
        for (previous, can_keep) in [(made.fingerprint ^ 1, true), (made.fingerprint, false)] {
            let sink = recorder(can_keep);
            let remade = write_index(&plan, &md, &sink, Some(previous));
            assert_eq!(remade.files, made.files);
            assert_eq!(sink.writes.into_inner(), made.files);
        }

        // One document's text changes the fingerprint.
        let mut docs = documents(&plan, &md);
        let before = fingerprint(&docs);
        docs[0].text = format!("{} more", docs[0].text).into();
        assert_ne!(fingerprint(&docs), before);
    }
}
