//! The index files, from the documents (`documents` before, `output` after): the terms
//! of every document are counted on all cores, a chunk of documents at a time, merged
//! into one posting list per term in document order, and written as compact text.
//!
//! Files under `search/index/`, so that a query fetches only what it needs:
//! - `meta.json`: counts and shard numbers, fetched first.
//! - `tNN.json`, the term shards: `{"term": postings, ...}`. A Han term goes to the shard
//!   of its first character, so that one fetch finds every indexed word that starts at a
//!   given character of a query; another term to the shard of the whole term.
//!   Postings are a string (below), or, when longer than [`INLINE_POSTINGS`], the number
//!   `N` of the file `pN.txt` that holds them, so a common word does not weigh on every
//!   query that shares its shard.
//! - `dNN.json`: `[kind, title, url, text]` of documents `NN`, `NN + D`, `NN + 2D`...
//!   (D the number of document shards): what a result shows.
//! - `t2s.txt`: the Traditional → Simplified character pairs that the query side applies.
//!
//! A posting is a document id, as the gap from the one before (the first from 0), and a
//! weight 1–31 (occurrences, plus 8 for a word of the title). Numbers are written in the
//! 64 characters of base64: a digit below 32 ends a number, one of 32 or more carries 5
//! bits and continues; a weight is one digit.

use jieba_rs::Jieba;
use rayon::prelude::*;
use rustc_hash::FxHashMap;

use super::dictionary::{segmenter, HanPairs};
use super::documents::Document;
use super::words::{han_words, t2s_pairs, Splitter};
use super::{Written, INDEX_DIR};
use crate::output::Sink;

/// Longer posting lists go to a file of their own.
pub const INLINE_POSTINGS: usize = 512;
/// Term and document shards aim at about this many bytes each: a query fetches one term
/// shard per word and one document shard per result shown, and each file costs the
/// build a file creation.
const TERM_SHARD_BYTES: usize = 8 * 1024;
const DOC_SHARD_BYTES: usize = 12 * 1024;
const MAX_SHARDS: usize = 4096;
/// Han text is cut by jieba about this many bytes at a time: each call has a cost of
/// its own, and its words are a list as long as the text.
const HAN_BATCH_BYTES: usize = 8 * 1024;
/// Characters of a document's text kept for snippets.
const SNIPPET_CHARS: usize = 600;
/// Weight of a term in a title, added to its occurrences (at most [`MAX_OCCURRENCES`]).
const TITLE_WEIGHT: u32 = 8;
const MAX_OCCURRENCES: u32 = 23;

pub const DIGITS: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

fn push_number(into: &mut Vec<u8>, mut n: u32) {
    while n >= 32 {
        into.push(DIGITS[32 + (n & 31) as usize]);
        n >>= 5;
    }
    into.push(DIGITS[n as usize]);
}

/// The postings of one term, in document order: the first document's id apart, so that
/// lists of consecutive chunks of documents join without decoding.
struct Postings {
    first: u32,
    last: u32,
    /// The first weight, then a gap and a weight for each further document.
    rest: Vec<u8>,
}

impl Postings {
    fn new(doc: u32, weight: u32) -> Postings {
        Postings {
            first: doc,
            last: doc,
            rest: vec![DIGITS[weight as usize]],
        }
    }

    fn push(&mut self, doc: u32, weight: u32) {
        push_number(&mut self.rest, doc - self.last);
        self.rest.push(DIGITS[weight as usize]);
        self.last = doc;
    }

    /// Appends the postings of later documents.
    fn append(&mut self, later: Postings) {
        push_number(&mut self.rest, later.first - self.last);
        self.rest.extend_from_slice(&later.rest);
        self.last = later.last;
    }

    fn encoded_len(&self) -> usize {
        let mut first = Vec::new();
        push_number(&mut first, self.first);
        first.len() + self.rest.len()
    }

    fn write(&self, into: &mut Vec<u8>) {
        push_number(into, self.first);
        into.extend_from_slice(&self.rest);
    }
}

type TermMap = FxHashMap<Box<str>, Postings>;

/// The postings of a chunk of documents, made in two passes: the words other than Han
/// first, while the Han text of each document is kept for the second, which runs once
/// the segmenter is made from all of the site's Han text (see `dictionary`). A Han word
/// and any other word are never the same term, so each term's postings are still in
/// document order.
struct ChunkIndex {
    /// The id of the chunk's first document.
    first: u32,
    terms: TermCounter,
    /// The Han text of each document's body and title, one after the other.
    han: String,
    /// Where each document's body and title end in `han`.
    han_ends: Vec<(usize, usize)>,
}

impl ChunkIndex {
    /// The first pass over the documents `first..`: their other words are counted, and
    /// their Han text is kept and added to `pairs`.
    fn new(first: u32, docs: &[Document], pairs: &HanPairs) -> ChunkIndex {
        let mut terms = TermCounter::default();
        let mut han = String::new();
        let mut han_ends = Vec::with_capacity(docs.len());
        let mut splitter = Splitter::default();
        for (i, doc) in docs.iter().enumerate() {
            let start = han.len();
            splitter.feed(&doc.text, &mut han, &mut |word| terms.count(word, false));
            let body_end = han.len();
            splitter.feed(&doc.title, &mut han, &mut |word| terms.count(word, true));
            terms.finish_document(first + i as u32);
            han_ends.push((body_end, han.len()));
            pairs.add(&han[start..]);
        }
        ChunkIndex {
            first,
            terms,
            han,
            han_ends,
        }
    }

    /// The second pass: the Han words of every document, cut by `jieba` a few
    /// documents at a time (each run of Han characters is cut on its own, and every
    /// document's text ends between two runs) and counted for the document they are in.
    fn finish(mut self, jieba: &Jieba) -> TermMap {
        let mut doc = 0;
        let mut from = 0;
        while doc < self.han_ends.len() {
            let mut last = doc;
            while last + 1 < self.han_ends.len() && self.han_ends[last].1 - from < HAN_BATCH_BYTES {
                last += 1;
            }
            let to = self.han_ends[last].1;
            let mut words = han_words(jieba, &self.han[from..to]).peekable();
            for i in doc..=last {
                let (body_end, title_end) = self.han_ends[i];
                while let Some((_, word)) = words.next_if(|(at, _)| from + at < body_end) {
                    self.terms.count(word, false);
                }
                while let Some((_, word)) = words.next_if(|(at, _)| from + at < title_end) {
                    self.terms.count(word, true);
                }
                self.terms.finish_document(self.first + i as u32);
            }
            from = to;
            doc = last + 1;
        }
        self.terms.into_map()
    }
}

/// Counts the terms of documents and adds their postings. Terms get a number the first
/// time they are met, so each word of the text costs one hash lookup: of a number for a
/// term of up to 15 bytes (most words, and Han words of up to five characters), which
/// needs no string compared, else of the term.
#[derive(Default)]
struct TermCounter {
    short_ids: FxHashMap<u128, u32>,
    long_ids: FxHashMap<Box<str>, u32>,
    /// By term number.
    terms: Vec<Box<str>>,
    lists: Vec<Option<Postings>>,
    /// By term number: occurrences in the document's text, and whether it is in the title.
    counts: Vec<(u32, bool)>,
    touched: Vec<u32>,
}

/// A term of at most 15 bytes as a number that no other term has: its length in the
/// top byte, and its bytes read with loads that may overlap (the length tells where).
fn short_key(term: &[u8]) -> Option<u128> {
    let n = term.len();
    let load = |at: usize, len: usize| {
        let mut bytes = [0; 8];
        bytes[..len].copy_from_slice(&term[at..at + len]);
        u64::from_le_bytes(bytes)
    };
    let (low, high) = match n {
        0 => (0, 0),
        1..=3 => {
            let b = |i: usize| u64::from(term[i]);
            (b(0) | b(n / 2) << 8 | b(n - 1) << 16, 0)
        }
        4..=7 => (load(0, 4), load(n - 4, 4)),
        8 => (load(0, 8), 0),
        // The bytes after the first eight, at most seven: the top of the last eight.
        9..=15 => (load(0, 8), load(n - 8, 8) >> (8 * (16 - n))),
        _ => return None,
    };
    Some(u128::from(low) | u128::from(high) << 64 | (n as u128) << 120)
}

impl TermCounter {
    /// Counts one occurrence of `term` in the document's text, or notes it in its title.
    fn count(&mut self, term: &str, in_title: bool) {
        let next = self.counts.len() as u32;
        let (id, new) = match short_key(term.as_bytes()) {
            Some(key) => match self.short_ids.get(&key) {
                Some(id) => (*id, false),
                None => {
                    self.short_ids.insert(key, next);
                    (next, true)
                }
            },
            None => match self.long_ids.get(term) {
                Some(id) => (*id, false),
                None => {
                    self.long_ids.insert(term.into(), next);
                    (next, true)
                }
            },
        };
        if new {
            self.terms.push(term.into());
            self.counts.push((0, false));
        }
        let id = id as usize;
        let count = &mut self.counts[id];
        if *count == (0, false) {
            self.touched.push(id as u32);
        }
        if in_title {
            count.1 = true;
        } else {
            count.0 += 1;
        }
    }

    /// Adds a posting of document `doc` for each term counted since the last one.
    fn finish_document(&mut self, doc: u32) {
        self.lists.resize_with(self.counts.len(), || None);
        for id in self.touched.drain(..) {
            let (occurrences, in_title) = std::mem::take(&mut self.counts[id as usize]);
            let weight = occurrences.min(MAX_OCCURRENCES) + if in_title { TITLE_WEIGHT } else { 0 };
            match &mut self.lists[id as usize] {
                Some(p) => p.push(doc, weight),
                none => *none = Some(Postings::new(doc, weight)),
            }
        }
    }

    fn into_map(self) -> TermMap {
        self.terms
            .into_iter()
            .zip(self.lists)
            .filter_map(|(term, list)| Some((term, list?)))
            .collect()
    }
}

/// The shard of a term: FNV-1a of its first character when that is a Han character,
/// else of the whole term, modulo the shard count. `search.js` computes the same.
pub fn shard_of(term: &str, shards: usize) -> usize {
    let key = match term.chars().next() {
        Some(c) if super::words::is_han(c) => &term[..c.len_utf8()],
        _ => term,
    };
    let mut hash: u32 = 0x811c9dc5;
    for b in key.bytes() {
        hash ^= u32::from(b);
        hash = hash.wrapping_mul(0x01000193);
    }
    hash as usize % shards
}

/// How many shards `bytes` of data need at `per_shard` each.
fn shard_count(bytes: usize, per_shard: usize) -> usize {
    bytes.div_ceil(per_shard).clamp(1, MAX_SHARDS)
}

/// Appends `text` as a JSON string, as `serde_json` writes it.
fn push_json_string(into: &mut Vec<u8>, text: &str) {
    // Most text has nothing to escape: one pass many bytes at a time finds that out,
    // and it is copied whole.
    let escapes =
        crate::scan::any_byte(text.as_bytes(), |b| (b < 0x20) | (b == b'"') | (b == b'\\'));
    if !escapes {
        into.reserve(text.len() + 2);
        into.push(b'"');
        into.extend_from_slice(text.as_bytes());
        into.push(b'"');
        return;
    }
    // Writing into a Vec cannot fail.
    serde_json::to_writer(&mut *into, text).unwrap();
}

/// Builds the index files and writes each as soon as it is made, so that the whole
/// index is never in memory at once. The document shards need only the documents: they
/// are written while the terms are counted, and keep a core busy while the other makes
/// the segmenter or merges the chunks' terms.
pub fn write_index_files(docs: &[Document], sink: &dyn Sink) -> Written {
    // Document shards aim at DOC_SHARD_BYTES from an estimate of each row's size.
    let doc_bytes: usize = docs
        .iter()
        .map(|d| d.title.len() + d.url.len() + d.text.len().min(SNIPPET_CHARS * 3) + 20)
        .sum();
    let doc_shards = shard_count(doc_bytes, DOC_SHARD_BYTES);
    let (mut written, doc_errors) = rayon::join(
        || write_term_files(docs, doc_shards, sink),
        || write_doc_shards(docs, doc_shards, sink),
    );
    written.errors.extend(doc_errors);
    written.files += doc_shards;
    written
}

/// The terms of `docs`, merged from chunks of documents counted on all cores.
fn terms(docs: &[Document]) -> TermMap {
    let chunk = docs.len().div_ceil(32).max(64);
    let pairs = HanPairs::default();
    let mut chunks: Vec<ChunkIndex> = docs
        .par_chunks(chunk)
        .enumerate()
        .map(|(i, part)| ChunkIndex::new((i * chunk) as u32, part, &pairs))
        .collect();
    // A site without Han text needs no dictionary.
    let jieba = if chunks.iter().any(|c| !c.han.is_empty()) {
        segmenter(&pairs)
    } else {
        Jieba::empty()
    };
    let chunks: Vec<TermMap> = chunks.par_drain(..).map(|c| c.finish(&jieba)).collect();
    drop(jieba);
    let mut terms = TermMap::default();
    for map in chunks {
        for (term, postings) in map {
            match terms.get_mut(&term) {
                Some(p) => p.append(postings),
                None => {
                    terms.insert(term, postings);
                }
            }
        }
    }
    terms
}

/// `meta.json`, `t2s.txt`, the term shards and the long posting lists.
fn write_term_files(docs: &[Document], doc_shards: usize, sink: &dyn Sink) -> Written {
    let terms = terms(docs);
    let term_bytes: usize = terms
        .iter()
        .map(|(t, p)| t.len() + 6 + p.rest.len().min(INLINE_POSTINGS))
        .sum();
    let term_shards = shard_count(term_bytes, TERM_SHARD_BYTES);
    let mut by_shard: Vec<Vec<(&str, &Postings)>> = vec![Vec::new(); term_shards];
    for (term, postings) in &terms {
        by_shard[shard_of(term, term_shards)].push((term, postings));
    }
    by_shard
        .par_iter_mut()
        .for_each(|s| s.sort_by_key(|(t, _)| *t));
    // Long posting lists are numbered in shard and term order.
    let mut long_lists = Vec::new();
    let mut shards = Vec::new();
    for shard in &by_shard {
        let mut entries = Vec::new();
        for (term, postings) in shard {
            if postings.encoded_len() > INLINE_POSTINGS {
                entries.push((*term, Err(long_lists.len())));
                long_lists.push(*postings);
            } else {
                entries.push((*term, Ok(*postings)));
            }
        }
        shards.push(entries);
    }

    let meta = format!(
        "{{\"version\":2,\"documents\":{},\"term_shards\":{term_shards},\"doc_shards\":{doc_shards}}}",
        docs.len()
    );
    let mut written = Written::default();
    let write = |path: String, bytes: &[u8]| sink.write(&path, bytes).err();
    written
        .errors
        .extend(write(format!("{INDEX_DIR}meta.json"), meta.as_bytes()));
    written
        .errors
        .extend(write(format!("{INDEX_DIR}t2s.txt"), t2s_pairs().as_bytes()));
    let term_errors = shards.par_iter().enumerate().filter_map(|(i, entries)| {
        let mut json = b"{".to_vec();
        for (n, (term, postings)) in entries.iter().enumerate() {
            if n > 0 {
                json.push(b',');
            }
            push_json_string(&mut json, term);
            json.push(b':');
            match postings {
                Ok(p) => {
                    json.push(b'"');
                    p.write(&mut json);
                    json.push(b'"');
                }
                Err(file) => json.extend_from_slice(file.to_string().as_bytes()),
            }
        }
        json.push(b'}');
        write(format!("{INDEX_DIR}t{i}.json"), &json)
    });
    let long_errors = long_lists.par_iter().enumerate().filter_map(|(i, p)| {
        let mut text = Vec::with_capacity(p.rest.len() + 8);
        p.write(&mut text);
        write(format!("{INDEX_DIR}p{i}.txt"), &text)
    });
    written
        .errors
        .extend(term_errors.chain(long_errors).collect::<Vec<_>>());
    written.files = 2 + term_shards + long_lists.len();
    written
}

/// The document shards `dN.json`; one message per failed write.
fn write_doc_shards(docs: &[Document], doc_shards: usize, sink: &dyn Sink) -> Vec<String> {
    (0..doc_shards)
        .into_par_iter()
        .filter_map(|i| {
            let mut json = b"[".to_vec();
            for (n, d) in docs.iter().skip(i).step_by(doc_shards).enumerate() {
                if n > 0 {
                    json.push(b',');
                }
                push_row(&mut json, d);
            }
            json.push(b']');
            sink.write(&format!("{INDEX_DIR}d{i}.json"), &json).err()
        })
        .collect()
}

/// `[kind, title, url, text]` of a document, its text cut for snippets.
fn push_row(into: &mut Vec<u8>, d: &Document) {
    into.push(b'[');
    for field in [d.kind, &d.title, d.url.as_str()] {
        push_json_string(into, field);
        into.push(b',');
    }
    // A text of at most SNIPPET_CHARS bytes has at most as many characters, and in
    // ASCII text (most of it) the SNIPPET_CHARS-th character is at that byte.
    let end = if d.text.len() <= SNIPPET_CHARS {
        d.text.len()
    } else if !crate::scan::any_byte(&d.text.as_bytes()[..SNIPPET_CHARS], |b| !b.is_ascii()) {
        SNIPPET_CHARS
    } else {
        d.text
            .char_indices()
            .nth(SNIPPET_CHARS)
            .map_or(d.text.len(), |(at, _)| at)
    };
    push_json_string(into, &d.text[..end]);
    into.push(b']');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encode(postings: &[(u32, u32)]) -> String {
        let mut p = Postings::new(postings[0].0, postings[0].1);
        for &(doc, weight) in &postings[1..] {
            p.push(doc, weight);
        }
        let mut out = Vec::new();
        p.write(&mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn postings_are_gaps_and_weights_in_base64_digits() {
        // 0 → "A", weight 1 → "B"; gap 40 = 8 + 32·1 → "o" (32 + 8) then "B" (1).
        assert_eq!(encode(&[(0, 1), (40, 31)]), "ABoBf");
        // Chunks joined by `append` equal one list.
        let mut a = Postings::new(3, 2);
        a.push(5, 2);
        let mut b = Postings::new(1000, 4);
        b.push(1001, 9);
        a.append(b);
        let mut joined = Vec::new();
        a.write(&mut joined);
        assert_eq!(
            String::from_utf8(joined).unwrap(),
            encode(&[(3, 2), (5, 2), (1000, 4), (1001, 9)])
        );
    }

    #[test]
    fn short_keys_tell_terms_apart() {
        let terms = [
            "",
            "a",
            "b",
            "ab",
            "ba",
            "aa",
            "abc",
            "acb",
            "abd",
            "abcd",
            "abce",
            "abcde",
            "abcdf",
            "abcdefg",
            "abcdefh",
            "abcdefgh",
            "abcdefgi",
            "bbcdefgh",
            "abcdefghi",
            "abcdefghij",
            "abcdefghijklmno",
            "abcdefghijklmnp",
            "数据",
            "数据库",
            "数据库的",
            "所有权借用",
            "ab\0",
            "ab\0\0",
        ];
        let keys: std::collections::HashSet<u128> = terms
            .iter()
            .map(|t| short_key(t.as_bytes()).unwrap())
            .collect();
        assert_eq!(keys.len(), terms.len());
        assert_eq!(short_key(b"abcdefghijklmnop"), None);
        let mut counter = TermCounter::default();
        for term in [
            "talk",
            "数据库",
            "abcdefghijklmnopq",
            "talk",
            "abcdefghijklmnopq",
        ] {
            counter.count(term, false);
        }
        counter.finish_document(7);
        let map = counter.into_map();
        let mut terms: Vec<&str> = map.keys().map(|t| &**t).collect();
        terms.sort();
        assert_eq!(terms, ["abcdefghijklmnopq", "talk", "数据库"]);
        assert_eq!(map["talk"].rest, b"C");
    }

    #[test]
    fn json_strings_are_written_as_serde_json_writes_them() {
        for text in [
            "",
            "plain 数据库 text",
            "a \"quote\" and \\ and \n\t\u{1} and \u{7f}",
        ] {
            let mut ours = Vec::new();
            push_json_string(&mut ours, text);
            assert_eq!(ours, serde_json::to_vec(text).unwrap(), "{text}");
        }
    }

    #[test]
    fn shard_counts_follow_the_data() {
        assert_eq!(shard_count(0, 8192), 1);
        assert_eq!(shard_count(8193, 8192), 2);
        assert_eq!(shard_count(100 << 20, 8192), 4096);
    }
}
