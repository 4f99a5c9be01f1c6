//! Links in the built site: with a `base_url` path every internal link starts with it,
//! and every internal link of `example-site` resolves to a file that exists.

use std::collections::BTreeSet;
use std::path::Path;

use regex::Regex;

use crate::support::{tree, Run, Site};

/// Every `href` and `src` value of every HTML file, with the file it is in.
fn links(run: &Run) -> Vec<(String, String)> {
    let attribute = Regex::new(r#"\s(?:href|src)\s*=\s*"([^"]*)""#).unwrap();
    let mut out = Vec::new();
    for (path, bytes) in tree(&run.output) {
        if !path.ends_with(".html") {
            continue;
        }
        let html = String::from_utf8(bytes).unwrap();
        for capture in attribute.captures_iter(&html) {
            let value = capture[1].replace("&amp;", "&").replace("&#x2F;", "/");
            out.push((path.clone(), value));
        }
    }
    out
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok());
        match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
            Some(b) if bytes[i] == b'%' => {
                out.push(b);
                i += 3;
            }
            _ => {
                out.push(bytes[i]);
                i += 1;
            }
        }
    }
    String::from_utf8(out).expect("percent-encoded UTF-8")
}

/// The output file an internal URL path names: `/x/` → `x/index.html`.
fn target(output: &Path, path: &str) -> std::path::PathBuf {
    let path = path.split(['#', '?']).next().unwrap_or("");
    let path = percent_decode(path);
    if path.is_empty() || path.ends_with('/') {
        output.join(&path).join("index.html")
    } else {
        output.join(&path)
    }
}

/// Internal links (under `root`) whose file does not exist, as "page -> link".
pub fn broken_links(run: &Run, root: &str) -> BTreeSet<String> {
    links(run)
        .into_iter()
        .filter_map(|(page, link)| {
            let rest = link.strip_prefix(root)?;
            (!target(&run.output, rest).is_file()).then(|| format!("{page} -> {link}"))
        })
        .collect()
}

/// Files that links point to but another issue builds: the calendars and the feed.
// TODO(issue 5): drop this once `.ics` files and `feed.xml` are built.
pub fn is_built_by_issue_5(link: &str) -> bool {
    let path = link.split(['#', '?']).next().unwrap_or("");
    path.ends_with(".ics") || path.ends_with("/feed.xml")
}

#[test]
fn base_url_path_prefixes_every_internal_link() {
    let run = Site::fixture("base-path").build().ok();
    let all = links(&run);
    assert!(all.len() > 100, "{all:?}");
    for (page, link) in &all {
        let fine = link.starts_with("/club/")
            || link.starts_with("https://x.org/club/")
            || link.starts_with('#');
        assert!(fine, "{page}: link `{link}` is not under /club/");
    }
    // Links written in Markdown and URL fields, too.
    let hello = run.page("/news/hello/");
    for needle in [
        r#"href="/club/events/meetup/""#,
        r#"src="/club/img/logo.svg""#,
        r#"href="/club/members/ada/""#,
    ] {
        crate::support::assert_contains(&hello, needle);
    }
    let manifesto = run.page("/manifesto/");
    for needle in [
        r#"href="/club/news/hello/#first""#,
        r#"href="/club/rules/#rule-be-kind""#,
        r#"href="/club/img/logo.svg""#,
    ] {
        crate::support::assert_contains(&manifesto, needle);
    }
    crate::support::assert_contains(&run.page("/join/"), r#"href="/club/members/ada/""#);
    crate::support::assert_contains(&run.page("/members/ada/"), r#"href="/club/news/""#);
    let broken: Vec<String> = broken_links(&run, "/club/")
        .into_iter()
        .filter(|l| !is_built_by_issue_5(l))
        .collect();
    assert!(broken.is_empty(), "broken links:\n{}", broken.join("\n"));
}

#[test]
fn example_site_builds_and_every_internal_link_resolves() {
    let site = Site::example();
    let args = [
        "build",
        "--source",
        "site",
        "--output",
        "public",
        "--now",
        crate::support::NOW,
    ]
    .map(String::from);
    let run = site.run_in(site.tmp(), &args, &[], site.public()).ok();
    assert!(!run.stderr.contains("warning:"), "{}", run.stderr);
    let all = links(&run);
    assert!(all.len() > 1000, "only {} links", all.len());
    let broken: Vec<String> = broken_links(&run, "/xinmeiti/")
        .into_iter()
        .filter(|l| !is_built_by_issue_5(l))
        .collect();
    assert!(broken.is_empty(), "broken links:\n{}", broken.join("\n"));
    // No internal link escapes the base path.
    for (page, link) in &all {
        assert!(
            !link.starts_with('/') || link.starts_with("/xinmeiti/"),
            "{page}: `{link}` is outside the base path"
        );
    }
}

#[test]
fn full_fixture_internal_links_resolve() {
    let run = Site::fixture("full").build().ok();
    let broken: Vec<String> = broken_links(&run, "/")
        .into_iter()
        .filter(|l| !is_built_by_issue_5(l))
        .collect();
    assert!(broken.is_empty(), "broken links:\n{}", broken.join("\n"));
}

#[test]
fn percent_decoding_and_index_files() {
    let out = Path::new("/o");
    assert_eq!(
        target(out, "tags/%E5%86%99%E4%BD%9C/"),
        out.join("tags/写作/index.html")
    );
    assert_eq!(target(out, "a.css?v=1"), out.join("a.css"));
    assert_eq!(target(out, "#top"), out.join("index.html"));
}

#[test]
fn base_url_flag_overrides_the_configured_one() {
    let site = Site::fixture("base-path");
    let run = site
        .build_with(&["--base-url", "https://preview.example.net/pr-7/"])
        .ok();
    let home = run.page("/");
    crate::support::assert_contains(&home, r#"href="/pr-7/manifesto/""#);
    crate::support::assert_contains(&home, "https://preview.example.net/pr-7/");
    assert!(!home.contains("/club/"), "{home}");
}
