//! The search index behind `/search/` (SPEC §3): built from the plan only, so an unlisted
//! member or a left-out draft cannot reach it, and written as small files under
//! `search/index/` that the theme's `search.js` fetches part by part. Comes after
//! `render`; `output` owns the bytes.
//!
//! - `documents`: what is searchable, as plain text (reads the plan and the Markdown).
//! - `words`: normalising and cutting text into terms (jieba for Chinese).
//! - `index`: the files, and their format.
//! - `lookup`: the query side in Rust, which `search.js` mirrors.

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

/// Starts loading the Chinese dictionary (about 0.1 s of one core and 45 MiB, once per
/// process) on a thread of its own, so that it is ready when the index is built: the
/// stages before leave a core free often enough, and the memory it takes is below the
/// index's own peak. `SHEQUN_SEARCH_PRELOAD=0` leaves the load to [`write_index`], for
/// `bench/search.py` to measure the index's whole cost.
pub fn prepare() {
    if is_left_out() || std::env::var_os("SHEQUN_SEARCH_PRELOAD").is_some_and(|v| v == "0") {
        return;
    }
    std::thread::spawn(|| (words::jieba(), words::simplified('国')));
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

/// Builds the index of the plan and writes it. When [`prepare`] has not loaded the
/// dictionary yet, it loads on one core while the documents are read on the other.
pub fn write_index(plan: &Plan<'_>, md: &[Rendered], sink: &dyn Sink) -> Written {
    if is_left_out() {
        return Written::default();
    }
    let (docs, _) = rayon::join(
        || documents(plan, md),
        || (words::jieba(), words::simplified('国')),
    );
    index::write_index_files(&docs, sink)
}
