//! The search index: queries run in Rust (`shequn::search::lookup`, which the theme's
//! `search.js` mirrors) against the index a build writes for `tests/sites/search`.

use shequn::search::{lookup, Hit};

use crate::support::{assert_contains, Site};

fn search_site() -> crate::support::Run {
    Site::fixture("search").build().ok()
}

fn query(run: &crate::support::Run, q: &str) -> Vec<Hit> {
    let dir = run.output.join("search/index");
    lookup(&|name| std::fs::read_to_string(dir.join(name)).ok(), q)
}

fn urls(hits: &[Hit]) -> Vec<&str> {
    hits.iter().map(|h| h.url.as_str()).collect()
}

#[test]
fn chinese_word_inside_a_sentence_is_found() {
    let run = search_site();
    let hits = query(&run, "讲座");
    assert_eq!(urls(&hits), ["/club/posts/recap/"]);
    assert_eq!(hits[0].kind, "post");
    assert_eq!(hits[0].title, "十一月回顾");
    // A word inside a longer word of the dictionary: 数据 in 数据库.
    assert_eq!(urls(&query(&run, "数据")), ["/club/posts/recap/"]);
}

#[test]
fn chinese_query_does_not_match_across_a_word_boundary() {
    let run = search_site();
    // 研究生命起源 is 研究 / 生命 / 起源: 究生 and 研究生 straddle two words.
    assert!(urls(&query(&run, "生命")).contains(&"/club/members/lin/"));
    assert!(query(&run, "究生").is_empty());
    assert!(query(&run, "研究生").is_empty());
}

#[test]
fn english_plural_and_singular_find_each_other() {
    let run = search_site();
    for q in ["story", "stories", "Stories"] {
        assert_eq!(urls(&query(&run, q)), ["/club/events/rust-night/"], "{q}");
    }
    let talk = query(&run, "lifetime");
    assert!(urls(&talk).contains(&"/club/events/rust-night/"));
    assert!(talk.iter().any(|h| h.kind == "talk"));
    assert_eq!(urls(&query(&run, "compiler")), ["/club/speakers/grace/"]);
}

#[test]
fn mixed_query_needs_every_word() {
    let run = search_site();
    let hits = query(&run, "Rust 所有权");
    let lin = hits.iter().find(|h| h.url == "/club/members/lin/");
    assert_eq!(lin.map(|h| h.kind.as_str()), Some("member"), "{hits:?}");
    // The transcript's section has Rust in its title and 所有权 as its heading.
    assert!(urls(&hits).contains(&"/club/transcripts/rust-night/#所有权"));
    // Every word must match: nothing has both of these.
    assert!(query(&run, "compilers 讲座").is_empty());
}

#[test]
fn match_in_a_long_transcript_links_to_its_heading() {
    let run = search_site();
    let hits = query(&run, "借用检查器");
    assert_eq!(
        urls(&hits),
        ["/club/transcripts/rust-night/#生命周期"],
        "{hits:?}"
    );
    assert_eq!(hits[0].kind, "transcript");
    assert_eq!(hits[0].title, "Rust 之夜文字稿 › 生命周期");
}

#[test]
fn traditional_and_simplified_find_each_other() {
    let run = search_site();
    // Traditional text (這場講座) is found by either script.
    assert_eq!(urls(&query(&run, "講座")), ["/club/posts/recap/"]);
    assert_eq!(urls(&query(&run, "讲座")), ["/club/posts/recap/"]);
    // A Traditional query finds Simplified text too (所有權 = 所有权).
    let ownership = urls(&query(&run, "所有權")).join(" ");
    for url in [
        "/club/posts/recap/",
        "/club/members/lin/",
        "/club/transcripts/rust-night/#所有权",
    ] {
        assert!(ownership.contains(url), "{url} in {ownership}");
    }
    // A page written only in Traditional: found by a Simplified word inside a sentence,
    // and by its Traditional form; the snippet keeps the page's own script.
    let hits = query(&run, "开源");
    assert_eq!(urls(&hits), ["/club/posts/taipei/"]);
    assert!(hits[0].text.contains("開源軟體"), "{hits:?}");
    assert_eq!(urls(&query(&run, "開源")), ["/club/posts/taipei/"]);
    // 臺北 and 台北 are one place name in either script.
    assert_eq!(urls(&query(&run, "台北")), ["/club/posts/taipei/"]);
}

#[test]
fn word_only_in_a_draft_finds_nothing() {
    let run = search_site();
    assert!(query(&run, "quokkaplanning").is_empty());
    assert!(query(&run, "袋鼠").is_empty());
    assert!(query(&run, "Unfinished").is_empty());
    // With --drafts the draft is built, and searchable.
    let drafts = Site::fixture("search").build_with(&["--drafts"]).ok();
    assert_eq!(
        urls(&query(&drafts, "quokkaplanning")),
        ["/club/posts/draft/"]
    );
}

#[test]
fn index_files_are_the_same_on_every_build() {
    let site = Site::fixture("search");
    let read_all = |run: &crate::support::Run| {
        let dir = run.output.join("search/index");
        let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .map(|p| {
                (
                    p.file_name().unwrap().to_string_lossy().into_owned(),
                    std::fs::read(&p).unwrap(),
                )
            })
            .collect();
        files.sort();
        files
    };
    let first = read_all(&site.build().ok());
    let second = read_all(&site.build().ok());
    assert!(
        first.len() >= 4,
        "{:?}",
        first.iter().map(|f| &f.0).collect::<Vec<_>>()
    );
    assert!(first == second);
}

#[test]
fn a_file_in_the_index_folder_is_a_collision() {
    let site = Site::fixture("search");
    site.write("static/search/index/t0.json", "{}");
    let run = site.build().fails();
    assert_contains(&run.stderr, "in the folder of the built-in search index");
}

#[test]
fn word_only_in_an_unlisted_member_bio_finds_nothing() {
    let run = search_site();
    assert!(query(&run, "zebrafinchology").is_empty());
    assert!(query(&run, "蜂鸟").is_empty());
    assert!(query(&run, "Hidden").is_empty());
}

#[test]
fn search_page_points_at_the_index_under_the_base_path() {
    let run = search_site();
    let page = run.page("/search/");
    assert_contains(&page, "data-index=\"/club/search/index/\"");
    assert_contains(&page, "/club/assets/search.js");
    assert_contains(&page, "<noscript>");
    assert_contains(&page, "href=\"/club/talks/\"");
}
