//! The query side of the index, in Rust: what the theme's `search.js` does in the
//! browser, step for step, so that tests (and anyone reading the JavaScript) can check
//! the index itself. Not used by `build`.

use std::collections::{BTreeMap, HashMap};

use serde_json::Value as Json;

use super::index::{shard_of, DIGITS};
use super::words::{runs, Run};

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
/// `search/index/` → text), and returns every result, best first. Every word of the
/// query must match; Han text in the query is matched by the longest indexed word at
/// each character, so a query never matches across a boundary the index does not have.
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
    let pairs: Vec<char> = read("t2s.txt").unwrap_or_default().chars().collect();
    let t2s: HashMap<char, char> = pairs.chunks(2).map(|p| (p[0], p[1])).collect();
    let simplify = |c: char| t2s.get(&c).copied().unwrap_or(c);

    let mut shards: BTreeMap<usize, serde_json::Map<String, Json>> = BTreeMap::new();
    let mut shard = |term: &str| -> serde_json::Map<String, Json> {
        let i = shard_of(term, term_shards);
        shards
            .entry(i)
            .or_insert_with(|| {
                read(&format!("t{i}.json"))
                    .and_then(|t| serde_json::from_str(&t).ok())
                    .unwrap_or_default()
            })
            .clone()
    };
    let mut terms: Vec<String> = Vec::new();
    for run in runs(query, &simplify) {
        match run {
            Run::Word(w) => terms.push(w),
            Run::Han(h) => {
                let chars: Vec<char> = h.chars().collect();
                let mut i = 0;
                while i < chars.len() {
                    let rest: String = chars[i..].iter().collect();
                    let best = shard(&rest)
                        .keys()
                        .filter(|t| rest.starts_with(t.as_str()))
                        .max_by_key(|t| t.chars().count())
                        .cloned()
                        .unwrap_or_else(|| chars[i].to_string());
                    i += best.chars().count();
                    terms.push(best);
                }
            }
        }
    }
    let mut seen = std::collections::HashSet::new();
    terms.retain(|t| seen.insert(t.clone()));
    if terms.is_empty() {
        return Vec::new();
    }
    let mut scores: Option<BTreeMap<u32, f64>> = None;
    for term in &terms {
        let postings = match shard(term).get(term.as_str()) {
            Some(Json::String(p)) => p.clone(),
            Some(Json::Number(n)) => read(&format!("p{n}.txt")).unwrap_or_default(),
            _ => String::new(),
        };
        let postings = decode(&postings);
        let idf = (1.0 + total as f64 / (postings.len().max(1) as f64)).ln();
        let these: BTreeMap<u32, f64> = postings
            .into_iter()
            .map(|(doc, weight)| (doc, f64::from(weight) * idf))
            .collect();
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

/// `(document, weight)` pairs of a posting list (see `index`).
fn decode(postings: &str) -> Vec<(u32, u32)> {
    let mut value = [0u8; 128];
    for (i, d) in DIGITS.iter().enumerate() {
        value[*d as usize] = i as u8;
    }
    let digits: Vec<u32> = postings
        .bytes()
        .map(|b| u32::from(value[usize::from(b & 127)]))
        .collect();
    let mut out = Vec::new();
    let (mut i, mut doc) = (0, 0u32);
    while i < digits.len() {
        let (mut gap, mut shift) = (0u32, 0);
        loop {
            let v = digits[i];
            i += 1;
            gap += (v & 31) << shift;
            shift += 5;
            if v < 32 || i >= digits.len() {
                break;
            }
        }
        doc += gap;
        let Some(weight) = digits.get(i) else { break };
        i += 1;
        out.push((doc, *weight));
    }
    out
}
