//! The search index behind `/search/` (SPEC §3): built from the plan only, so an unlisted
//! member or a left-out draft cannot reach it, and written as small JSON files that the
//! theme's `search.js` fetches part by part. Chinese text is cut into words by jieba (its
//! dictionary is built into the binary); other text is cut at non-letters, lower-cased
//! and stripped of plural endings. Comes after `plan` and `markdown`; `output` owns the
//! bytes. The query side is [`lookup`], which `search.js` mirrors line for line.
//!
//! Layout under `search/index/`: `meta.json` says how many shards there are; `tNN.json`
//! maps each term to its postings (`[doc, weight, doc delta, weight, ...]`), a term going
//! to the shard of its first Han character or first two other characters, so that
//! the query side can find every indexed word that starts at a given character with one
//! fetch; `dNN.json` holds the display data of documents `NN`, `NN + D`, `NN + 2D`...

use std::collections::BTreeMap;
use std::sync::OnceLock;

use jieba_rs::Jieba;
use rayon::prelude::*;
use serde_json::{json, Value as Json};
use unicode_normalization::UnicodeNormalization;

use crate::markdown::Rendered;
use crate::model::*;
use crate::output::Sink;
use crate::plan::{person_name, PageJob, Plan};

/// The folder of the index, relative to the output root.
pub const INDEX_DIR: &str = "search/index/";
/// A page longer than this, in characters, with headings, is indexed a section at a time,
/// so that a match links to its heading.
const SECTION_THRESHOLD: usize = 1500;
/// Characters of text kept per document for snippets.
const SNIPPET_TEXT: usize = 1200;
/// Weight of a term in a title, against 1 for each occurrence in the text.
const TITLE_WEIGHT: u32 = 8;
const MAX_WEIGHT: u32 = 255;

/// How many shards the index has, decided by the plan from its size so that the plan can
/// claim every file before anything is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IndexLayout {
    pub term_shards: usize,
    pub doc_shards: usize,
}

impl IndexLayout {
    /// About 32 documents' terms per term shard and 16 documents per document shard.
    pub fn for_documents(estimate: usize) -> IndexLayout {
        let shards = |per: usize, max: usize| estimate.div_ceil(per).next_power_of_two().min(max);
        IndexLayout {
            term_shards: shards(32, 1024),
            doc_shards: shards(16, 4096),
        }
    }

    /// Every file of the index, relative to the output root.
    pub fn files(&self) -> Vec<String> {
        let mut files = vec![format!("{INDEX_DIR}meta.json")];
        files.extend((0..self.term_shards).map(|i| format!("{INDEX_DIR}t{i}.json")));
        files.extend((0..self.doc_shards).map(|i| format!("{INDEX_DIR}d{i}.json")));
        files
    }
}

/// One searchable thing: a page (or one section of a long page), an event, a talk, a
/// speaker or a listed member.
#[derive(Debug, Clone)]
pub struct Document {
    /// `page`, `post`, `transcript`, `event`, `talk`, `speaker` or `member`.
    pub kind: &'static str,
    pub title: String,
    /// The link, with the site root and `#anchor` where there is one.
    pub url: String,
    /// Plain text, searched in full; its start is kept for snippets.
    pub text: String,
}

/// The documents of the plan, in a fixed order.
pub fn documents(plan: &Plan<'_>, md: &[Rendered]) -> Vec<Document> {
    let site = plan.site;
    let urls = &site.config.urls;
    let plain = |id: Option<MdId>| id.map(|id| html_text(&md[id.0].html)).unwrap_or_default();
    let transcripts: Vec<&str> = plan
        .talks
        .iter()
        .filter_map(|t| t.talk().transcript.as_deref())
        .collect();
    let mut docs = Vec::new();
    for page in &plan.pages {
        match &page.job {
            PageJob::Event(e) => {
                let mut text = vec![e.summary.clone().unwrap_or_default()];
                if let Some(v) = &e.venue {
                    text.extend(v.name.clone());
                    text.extend(v.city.clone());
                }
                text.extend(e.tags.iter().map(|t| t.name.clone()));
                text.push(plain(e.description));
                docs.push(Document {
                    kind: "event",
                    title: e.title.clone(),
                    url: urls.path(&page.url_path),
                    text: join(text),
                });
                for talk in &e.talks {
                    let mut text: Vec<String> = talk
                        .speakers
                        .iter()
                        .map(|p| person_name(site, p).to_string())
                        .collect();
                    text.push(e.title.clone());
                    text.push(plain(talk.abstract_));
                    docs.push(Document {
                        kind: "talk",
                        title: talk.title.clone(),
                        url: urls.path(&page.url_path),
                        text: join(text),
                    });
                }
            }
            PageJob::Speaker(s) => docs.push(Document {
                kind: "speaker",
                title: s.name.clone(),
                url: urls.path(&page.url_path),
                text: join(vec![s.headline.clone().unwrap_or_default(), plain(s.bio)]),
            }),
            PageJob::Member(m) => {
                let mut text = vec![m.headline.clone().unwrap_or_default()];
                text.extend(m.city.clone());
                text.extend(m.tags.iter().map(|t| t.name.clone()));
                text.push(plain(m.bio));
                docs.push(Document {
                    kind: "member",
                    title: m.name.clone(),
                    url: urls.path(&page.url_path),
                    text: join(text),
                });
            }
            PageJob::Page(p) | PageJob::Section(p) => {
                let kind = if transcripts.contains(&p.key.as_str()) {
                    "transcript"
                } else if plan.posts.iter().any(|q| q.key == p.key) {
                    "post"
                } else {
                    "page"
                };
                let url = urls.path(&page.url_path);
                let sections = html_sections(&md[p.body.0].html);
                let length: usize = sections.iter().map(|s| s.text.chars().count()).sum();
                let summary = p.summary.clone().unwrap_or_default();
                if length <= SECTION_THRESHOLD || sections.len() < 2 {
                    let mut text = vec![summary];
                    text.extend(sections.into_iter().map(|s| s.heading + " " + &s.text));
                    docs.push(Document {
                        kind,
                        title: p.title.clone(),
                        url,
                        text: join(text),
                    });
                    continue;
                }
                for s in sections {
                    let (title, url) = match &s.anchor {
                        None => (p.title.clone(), url.clone()),
                        Some(a) => (format!("{} › {}", p.title, s.heading), format!("{url}#{a}")),
                    };
                    let text = if s.anchor.is_none() {
                        join(vec![summary.clone(), s.text])
                    } else {
                        s.text
                    };
                    docs.push(Document {
                        kind,
                        title,
                        url,
                        text,
                    });
                }
            }
            _ => {}
        }
    }
    docs
}

fn join(parts: Vec<String>) -> String {
    let parts: Vec<&str> = parts
        .iter()
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
        .collect();
    parts.join(" · ")
}

/// A part of a rendered text: before the first heading (no anchor) or under one heading.
struct Section {
    anchor: Option<String>,
    heading: String,
    text: String,
}

/// The plain text of rendered HTML, tags dropped and entities decoded.
pub fn html_text(html: &str) -> String {
    html_sections(html)
        .into_iter()
        .map(|s| {
            if s.heading.is_empty() {
                s.text
            } else {
                format!("{} {}", s.heading, s.text)
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
        .trim()
        .to_string()
}

/// Splits rendered HTML at its headings (`<h2 id="...">`), as plain text.
fn html_sections(html: &str) -> Vec<Section> {
    let mut sections = vec![Section {
        anchor: None,
        heading: String::new(),
        text: String::new(),
    }];
    let mut in_heading = false;
    let mut rest = html;
    while let Some(lt) = rest.find('<') {
        push_text(&mut sections, in_heading, &rest[..lt]);
        let Some(gt) = rest[lt..].find('>') else {
            rest = "";
            break;
        };
        let tag = &rest[lt + 1..lt + gt];
        rest = &rest[lt + gt + 1..];
        let name: String = tag
            .trim_start_matches('/')
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect();
        let is_heading = name.len() == 2 && name.starts_with('h') && name != "hr";
        if is_heading && !tag.starts_with('/') {
            let anchor = tag
                .split_once("id=\"")
                .and_then(|(_, after)| after.split_once('"'))
                .map(|(id, _)| html_escape::decode_html_entities(id).into_owned());
            sections.push(Section {
                anchor,
                heading: String::new(),
                text: String::new(),
            });
            in_heading = true;
        } else if is_heading {
            in_heading = false;
        } else if !matches!(
            name.as_str(),
            "a" | "em" | "strong" | "code" | "del" | "sup" | "sub"
        ) {
            // Block boundaries separate words: `<p>a</p><p>b</p>` is "a b", not "ab".
            push_text(&mut sections, in_heading, " ");
        }
    }
    push_text(&mut sections, in_heading, rest);
    for s in &mut sections {
        s.heading = squash(&s.heading);
        s.text = squash(&s.text);
    }
    sections.retain(|s| s.anchor.is_some() || !s.text.is_empty());
    sections
}

fn push_text(sections: &mut [Section], in_heading: bool, raw: &str) {
    if raw.is_empty() {
        return;
    }
    // The first section always exists.
    let last = sections.last_mut().unwrap();
    let decoded = html_escape::decode_html_entities(raw);
    if in_heading {
        last.heading.push_str(&decoded);
    } else {
        last.text.push_str(&decoded);
    }
}

fn squash(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Han characters, as counted by the Markdown stage.
pub fn is_han(c: char) -> bool {
    matches!(c as u32, 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0x20000..=0x2FA1F)
}

/// A run of text of one script, after normalising (NFKC, lower case).
#[derive(Debug, PartialEq, Eq)]
pub enum Run {
    Han(String),
    Word(String),
}

/// Cuts normalised text into Han runs and words of other letters and digits.
pub fn runs(text: &str) -> Vec<Run> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut current_is_han = false;
    for c in text.nfkc().flat_map(char::to_lowercase) {
        let han = is_han(c);
        let wordy = han || c.is_alphanumeric();
        if !current.is_empty() && (!wordy || han != current_is_han) {
            out.push(finish_run(std::mem::take(&mut current), current_is_han));
        }
        if wordy {
            current.push(c);
            current_is_han = han;
        }
    }
    if !current.is_empty() {
        out.push(finish_run(current, current_is_han));
    }
    out
}

fn finish_run(text: String, is_han: bool) -> Run {
    if is_han {
        Run::Han(text)
    } else {
        Run::Word(stem(&text))
    }
}

/// English plural endings off: talks → talk, stories → story, classes → class, boxes → box.
/// Anything that is not a plain ASCII word is kept as it is.
pub fn stem(word: &str) -> String {
    if word.len() <= 3 || !word.bytes().all(|b| b.is_ascii_lowercase()) {
        return word.to_string();
    }
    if let Some(base) = word.strip_suffix("ies") {
        if word.len() > 4 {
            return format!("{base}y");
        }
    }
    if let Some(base) = word.strip_suffix("sses") {
        return format!("{base}ss");
    }
    for ending in ["xes", "ches", "shes", "zzes"] {
        if word.ends_with(ending) {
            return word[..word.len() - 2].to_string();
        }
    }
    if word.ends_with("ss") || word.ends_with("us") || word.ends_with("is") {
        return word.to_string();
    }
    match word.strip_suffix('s') {
        Some(base) => base.to_string(),
        None => word.to_string(),
    }
}

/// The shard of a term: FNV-1a of its first Han character, or of its first two other
/// characters, modulo the shard count. `search.js` computes the same.
pub fn shard_of(term: &str, shards: usize) -> usize {
    let mut chars = term.chars();
    let key: String = match chars.next() {
        Some(c) if is_han(c) => c.to_string(),
        Some(c) => std::iter::once(c).chain(chars.next()).collect(),
        None => String::new(),
    };
    let mut hash: u32 = 0x811c9dc5;
    for b in key.bytes() {
        hash ^= u32::from(b);
        hash = hash.wrapping_mul(0x01000193);
    }
    hash as usize % shards
}

/// The terms of a text, with how often each occurs.
fn terms(text: &str, into: &mut BTreeMap<String, u32>) {
    for run in runs(text) {
        match run {
            Run::Word(w) => *into.entry(w).or_default() += 1,
            Run::Han(h) => {
                // Words and, for long words, the dictionary words inside them
                // (所有权 → 所有, 所有权), never a string across two words. Jieba's
                // dictionary is Simplified, so Traditional text is cut where its
                // Simplified form is cut, and indexed in both scripts.
                let simplified = fast2s::convert(&h);
                let original: Vec<char> = h.chars().collect();
                for token in jieba().cut_for_search(&simplified, true) {
                    if token.word.is_empty() {
                        continue;
                    }
                    *into.entry(token.word.to_string()).or_default() += 1;
                    if simplified != h {
                        let word: String = original[token.start..token.end].iter().collect();
                        if word != token.word {
                            *into.entry(word).or_default() += 1;
                        }
                    }
                }
            }
        }
    }
}

/// The index files, by path under the output root.
pub fn index_files(layout: IndexLayout, docs: &[Document]) -> Vec<(String, String)> {
    let weighted: Vec<BTreeMap<String, u32>> = docs
        .par_iter()
        .map(|d| {
            let mut body = BTreeMap::new();
            terms(&d.text, &mut body);
            let mut title = BTreeMap::new();
            terms(&d.title, &mut title);
            for t in title.into_keys() {
                *body.entry(t).or_default() += TITLE_WEIGHT;
            }
            body.values_mut().for_each(|w| *w = (*w).min(MAX_WEIGHT));
            body
        })
        .collect();
    // Postings are [doc, weight] pairs with each doc as the gap from the one before.
    let mut shards: Vec<BTreeMap<&str, (u32, Vec<u32>)>> =
        vec![BTreeMap::new(); layout.term_shards];
    for (id, terms) in weighted.iter().enumerate() {
        let id = id as u32;
        for (term, weight) in terms {
            let (last, postings) = shards[shard_of(term, layout.term_shards)]
                .entry(term.as_str())
                .or_default();
            postings.push(id - *last);
            postings.push(*weight);
            *last = id;
        }
    }
    let mut files = vec![(
        format!("{INDEX_DIR}meta.json"),
        json!({
            "version": 1,
            "documents": docs.len(),
            "term_shards": layout.term_shards,
            "doc_shards": layout.doc_shards,
        })
        .to_string(),
    )];
    for (i, shard) in shards.iter().enumerate() {
        let terms: BTreeMap<&str, &Vec<u32>> = shard.iter().map(|(t, (_, p))| (*t, p)).collect();
        files.push((format!("{INDEX_DIR}t{i}.json"), json!(terms).to_string()));
    }
    let mut doc_shards: Vec<Vec<Json>> = vec![Vec::new(); layout.doc_shards];
    for (id, d) in docs.iter().enumerate() {
        let text: String = d.text.chars().take(SNIPPET_TEXT).collect();
        doc_shards[id % layout.doc_shards].push(json!([d.kind, d.title, d.url, text]));
    }
    for (i, shard) in doc_shards.iter().enumerate() {
        files.push((format!("{INDEX_DIR}d{i}.json"), json!(shard).to_string()));
    }
    files
}

/// The segmenter, made on first use: loading its dictionary takes about half a second
/// and 50 MiB, which a site without Chinese text never pays and `serve` pays once.
fn jieba() -> &'static Jieba {
    static JIEBA: OnceLock<Jieba> = OnceLock::new();
    JIEBA.get_or_init(Jieba::new)
}

/// Builds the index of the plan and writes it; each failed write is one message.
pub fn write_index(plan: &Plan<'_>, md: &[Rendered], sink: &dyn Sink) -> Vec<String> {
    let docs = documents(plan, md);
    index_files(plan.search, &docs)
        .par_iter()
        .filter_map(|(path, text)| sink.write(path, text.as_bytes()).err())
        .collect()
}

/// An estimate of the document count for [`IndexLayout::for_documents`].
pub fn document_estimate(plan: &Plan<'_>) -> usize {
    plan.pages.len() + plan.talks.len()
}

/// One result of [`lookup`].
#[derive(Debug, Clone, PartialEq)]
pub struct Hit {
    pub kind: String,
    pub title: String,
    pub url: String,
    pub text: String,
    pub score: f64,
}

/// Runs a query against an index, reading its files with `read` (path under
/// `search/index/` → text): what `search.js` does in the browser. Every word of the query
/// must match; Han text in the query is matched by the longest indexed word at each
/// character, so a query never matches across a boundary the index does not have.
pub fn lookup(read: &dyn Fn(&str) -> Option<String>, query: &str) -> Vec<Hit> {
    let Some(meta) = read("meta.json").and_then(|t| serde_json::from_str::<Json>(&t).ok()) else {
        return Vec::new();
    };
    let count = |k: &str| meta[k].as_u64().unwrap_or(1).max(1) as usize;
    let (term_shards, doc_shards, total) = (
        count("term_shards"),
        count("doc_shards"),
        count("documents"),
    );
    let mut loaded: BTreeMap<usize, BTreeMap<String, Vec<u32>>> = BTreeMap::new();
    let mut shard = |term: &str| -> BTreeMap<String, Vec<u32>> {
        let i = shard_of(term, term_shards);
        loaded
            .entry(i)
            .or_insert_with(|| {
                read(&format!("t{i}.json"))
                    .and_then(|t| serde_json::from_str(&t).ok())
                    .unwrap_or_default()
            })
            .clone()
    };
    let mut query_terms: Vec<String> = Vec::new();
    for run in runs(query) {
        match run {
            Run::Word(w) => query_terms.push(w),
            Run::Han(h) => {
                let chars: Vec<char> = h.chars().collect();
                let mut i = 0;
                while i < chars.len() {
                    let rest: String = chars[i..].iter().collect();
                    let terms = shard(&rest);
                    let best = terms
                        .keys()
                        .filter(|t| rest.starts_with(t.as_str()))
                        .max_by_key(|t| t.chars().count())
                        .cloned()
                        .unwrap_or_else(|| chars[i].to_string());
                    i += best.chars().count();
                    query_terms.push(best);
                }
            }
        }
    }
    if query_terms.is_empty() {
        return Vec::new();
    }
    let mut scores: Option<BTreeMap<u32, f64>> = None;
    for term in &query_terms {
        let postings = shard(term).get(term).cloned().unwrap_or_default();
        let df = postings.len() / 2;
        let idf = (1.0 + total as f64 / (df.max(1) as f64)).ln();
        let mut these = BTreeMap::new();
        let mut doc = 0;
        for pair in postings.chunks(2) {
            doc += pair[0];
            these.insert(doc, f64::from(pair[1]) * idf);
        }
        scores = Some(match scores {
            None => these,
            Some(before) => before
                .into_iter()
                .filter_map(|(d, s)| these.get(&d).map(|t| (d, s + t)))
                .collect(),
        });
    }
    let mut ranked: Vec<(u32, f64)> = scores.unwrap_or_default().into_iter().collect();
    ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    ranked
        .into_iter()
        .filter_map(|(doc, score)| {
            let d = doc as usize;
            let shard: Json =
                serde_json::from_str(&read(&format!("d{}.json", d % doc_shards))?).ok()?;
            let row = &shard[d / doc_shards];
            let s = |i: usize| row[i].as_str().unwrap_or("").to_string();
            Some(Hit {
                kind: s(0),
                title: s(1),
                url: s(2),
                text: s(3),
                score,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plurals_are_stemmed() {
        assert_eq!(stem("talks"), "talk");
        assert_eq!(stem("stories"), "story");
        assert_eq!(stem("classes"), "class");
        assert_eq!(stem("boxes"), "box");
        assert_eq!(stem("matches"), "match");
        assert_eq!(stem("bus"), "bus");
        assert_eq!(stem("analysis"), "analysis");
        assert_eq!(stem("rust"), "rust");
    }

    #[test]
    fn runs_split_han_from_latin() {
        assert_eq!(
            runs("Rust所有权Talks, ＡＢＣ"),
            vec![
                Run::Word("rust".into()),
                Run::Han("所有权".into()),
                Run::Word("talk".into()),
                Run::Word("abc".into()),
            ]
        );
    }

    #[test]
    fn sections_follow_headings() {
        let s = html_sections(
            "<p>Intro &amp; more</p><h2 id=\"a-b\">A <em>b</em></h2><p>one</p><p>two</p>",
        );
        assert_eq!(s.len(), 2);
        assert_eq!(s[0].text, "Intro & more");
        assert_eq!(s[1].anchor.as_deref(), Some("a-b"));
        assert_eq!(s[1].heading, "A b");
        assert_eq!(s[1].text, "one two");
    }

    #[test]
    fn layout_grows_with_the_site() {
        assert_eq!(IndexLayout::for_documents(5).term_shards, 1);
        assert_eq!(IndexLayout::for_documents(15000).term_shards, 512);
        assert_eq!(IndexLayout::for_documents(5).files().len(), 3);
    }
}
