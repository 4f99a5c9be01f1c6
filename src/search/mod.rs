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

/// What [`write_index`] did.
#[derive(Debug, Default)]
pub struct Written {
    pub files: usize,
    /// One message per failed write.
    pub errors: Vec<String>,
}

/// Builds the index of the plan and writes it. The Chinese dictionary (about 0.1 s to
/// load, once per process) loads on one core while the documents are read on the other:
/// loaded any earlier, its memory would add to the peak of the render stage.
pub fn write_index(plan: &Plan<'_>, md: &[Rendered], sink: &dyn Sink) -> Written {
    let (docs, _) = rayon::join(
        || documents(plan, md),
        || (words::jieba(), words::simplified('国')),
    );
    index::write_index_files(&docs, sink)
}
