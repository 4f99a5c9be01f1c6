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

/// What [`write_index`] did.
#[derive(Debug, Default)]
pub struct Written {
    pub files: usize,
    /// One message per failed write.
    pub errors: Vec<String>,
}

/// Builds the index of the plan and writes it.
pub fn write_index(plan: &Plan<'_>, md: &[Rendered], sink: &dyn Sink) -> Written {
    if is_left_out() {
        return Written::default();
    }
    index::write_index_files(&documents(plan, md), sink)
}
