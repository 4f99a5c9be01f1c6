//! The Markdown stage: every Markdown field and page body of the model rendered to HTML
//! in parallel, with `@` links resolved to URLs under `base_url`, every link and image
//! destination checked against the scheme allow-list, raw HTML escaped where the site's
//! policy says so, and headings given anchors that keep their Chinese characters. A link
//! that names nothing is an error at its own line. Comes after `model`; `render` puts
//! the HTML into pages.

use std::collections::{BTreeMap, BTreeSet};

use pulldown_cmark::{CowStr, Event, HeadingLevel, LinkType, Options, Parser, Tag, TagEnd};
use rayon::prelude::*;
use unicode_normalization::UnicodeNormalization;

use crate::diag::{closest, Diagnostic, Diagnostics};
use crate::model::build::content_key;
use crate::model::{Markdown, Site};
use crate::urls::{check_url, paths, UrlKind};

/// A heading of a rendered text, for tables of contents and `#anchor` checks.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Heading {
    pub level: u8,
    pub id: String,
    pub title: String,
}

/// Words of a text: Chinese (Han) characters and Latin words are counted apart, because
/// one Chinese character reads about as fast as one short English word does not.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WordCount {
    pub han: usize,
    pub latin: usize,
}

impl WordCount {
    /// Minutes to read, at 400 Chinese characters or 200 English words a minute.
    pub fn reading_minutes(&self) -> usize {
        let minutes = self.han as f64 / 400.0 + self.latin as f64 / 200.0;
        (minutes.ceil() as usize).max(1)
    }

    pub fn total(&self) -> usize {
        self.han + self.latin
    }
}

#[derive(Debug, Clone, Default)]
pub struct Rendered {
    pub html: String,
    pub headings: Vec<Heading>,
    pub words: WordCount,
    /// The first words of the text, plain, for descriptions.
    pub plain_start: String,
    /// The whole text, plain, for the search index; `None` when the build makes no
    /// index, and when the text has raw HTML or footnotes, whose words only the HTML
    /// shows as a reader sees them.
    pub plain: Option<PlainText>,
}

/// The words of a rendered text as its HTML shows them (tags dropped, entities
/// decoded, image descriptions left out): one space for each run of white space and
/// between blocks, none at the ends.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PlainText {
    pub text: String,
    /// Where the text of each heading of [`Rendered::headings`] is in `text`. What
    /// follows, up to the next heading, is that heading's section.
    pub headings: Vec<std::ops::Range<usize>>,
}

/// Everything an `@` link can name, with URLs, built once for all texts.
struct Targets<'a> {
    site: &'a Site,
    /// Content page key → path under the site root.
    pages: BTreeMap<&'a str, &'a str>,
}

/// A link to `@/page.md#anchor`, checked once every page is rendered.
struct AnchorCheck {
    page_key: String,
    anchor: String,
    diagnostic: Diagnostic,
}

/// Renders every Markdown text of the site. The result is indexed by `MdId`. With
/// `plain`, each text's plain text is kept for the search index
/// ([`Rendered::plain`]).
pub fn render_all(site: &Site, plain: bool, diags: &mut Diagnostics) -> Vec<Rendered> {
    let targets = Targets {
        site,
        pages: site
            .pages
            .values()
            .map(|p| (p.key.as_str(), p.path.as_str()))
            .collect(),
    };
    let results: Vec<(Rendered, Vec<Diagnostic>, Vec<AnchorCheck>)> = site
        .markdown
        .par_iter()
        .map(|md| render_one(md, &targets, plain))
        .collect();
    let mut rendered = Vec::with_capacity(results.len());
    let mut checks = Vec::new();
    for (r, d, c) in results {
        rendered.push(r);
        diags.extend(d);
        checks.extend(c);
    }
    let anchors: BTreeMap<&str, BTreeSet<&str>> = site
        .pages
        .values()
        .map(|p| {
            (
                p.key.as_str(),
                rendered[p.body.0]
                    .headings
                    .iter()
                    .map(|h| h.id.as_str())
                    .collect(),
            )
        })
        .collect();
    for check in checks {
        let Some(ids) = anchors.get(check.page_key.as_str()) else {
            continue;
        };
        if !ids.contains(check.anchor.as_str()) {
            let help = closest(&check.anchor, ids.iter().copied())
                .map(|c| format!("did you mean `#{c}`?"));
            diags.push(check.diagnostic.with_help_opt(help.or(Some(format!(
                "`{}` has no heading with that anchor",
                check.page_key
            )))));
        }
    }
    rendered
}

fn options() -> Options {
    Options::ENABLE_TABLES
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_HEADING_ATTRIBUTES
}

fn render_one(
    md: &Markdown,
    targets: &Targets<'_>,
    with_plain: bool,
) -> (Rendered, Vec<Diagnostic>, Vec<AnchorCheck>) {
    let mut diags = Vec::new();
    let mut checks = Vec::new();
    let mut search_from = md.raw_span.start;
    let (mut events, ranges): (Vec<Event<'_>>, Vec<std::ops::Range<usize>>) =
        Parser::new_ext(md.text(), options())
            .into_offset_iter()
            .unzip();

    // Where a link target is written in the file: searched for in file order. A
    // reference definition used twice is found again from the start; a target written
    // with entities (`java&#x73;cript:`) is not found at all, and then the link itself
    // is marked (exact in Markdown files, close in TOML strings with escapes).
    let mut locate = |needle: &str, link: &std::ops::Range<usize>| -> std::ops::Range<usize> {
        let end = md.raw_span.end.min(md.source.text.len());
        for from in [search_from, md.raw_span.start] {
            let haystack = md.source.text.get(from..end).unwrap_or("");
            if let Some(i) = haystack.find(needle) {
                let start = from + i;
                search_from = start + needle.len();
                return start..start + needle.len();
            }
        }
        let start = (md.raw_span.start + link.start).min(end);
        start..(md.raw_span.start + link.end).min(end)
    };

    for (event, link) in events.iter_mut().zip(&ranges) {
        match event {
            Event::Start(Tag::Link {
                link_type,
                dest_url,
                ..
            })
            | Event::Start(Tag::Image {
                link_type,
                dest_url,
                ..
            }) => {
                if matches!(link_type, LinkType::Email) {
                    continue;
                }
                let raw = dest_url.to_string();
                match resolve_link(&raw, targets) {
                    Ok(Resolved::Url(url)) => *dest_url = CowStr::from(url),
                    Ok(Resolved::PageAnchor {
                        url,
                        page_key,
                        anchor,
                    }) => {
                        let span = locate(&raw, link);
                        checks.push(AnchorCheck {
                            page_key,
                            anchor: anchor.clone(),
                            diagnostic: Diagnostic::error(format!(
                                "link `{raw}`: no heading `#{anchor}` on that page"
                            ))
                            .at(&md.source, span),
                        });
                        *dest_url = CowStr::from(url);
                    }
                    Err((message, help)) => {
                        let span = locate(&raw, link);
                        diags.push(
                            Diagnostic::error(message)
                                .at(&md.source, span)
                                .with_help_opt(help),
                        );
                        *dest_url = CowStr::from("#");
                    }
                }
            }
            Event::Html(html) | Event::InlineHtml(html) if !md.allows_raw_html => {
                *event = Event::Text(html.clone());
            }
            _ => {}
        }
    }

    join_cjk_soft_breaks(&mut events);
    let (headings, words, plain_start) = headings_and_words(&mut events);
    let plain = with_plain
        .then(|| plain_text(&events, md.text().len()))
        .flatten();
    let mut html = String::with_capacity(md.text().len() * 3 / 2);
    pulldown_cmark::html::push_html(&mut html, events.into_iter());
    (
        Rendered {
            html,
            headings,
            words,
            plain_start,
            plain,
        },
        diags,
        checks,
    )
}

enum Resolved {
    Url(String),
    PageAnchor {
        url: String,
        page_key: String,
        anchor: String,
    },
}

type LinkError = (String, Option<String>);

fn resolve_link(raw: &str, targets: &Targets<'_>) -> Result<Resolved, LinkError> {
    let site = targets.site;
    let urls = &site.config.urls;
    let kind = check_url(raw, true)
        .map_err(|reason| (format!("link `{raw}` is not allowed: {reason}"), None))?;
    if kind != UrlKind::At {
        return Ok(Resolved::Url(urls.link(raw, &kind)));
    }
    let body = &raw[1..];
    if let Some(path) = body.strip_prefix('/') {
        let (file, anchor) = match path.split_once('#') {
            Some((f, a)) => (f, Some(a)),
            None => (path, None),
        };
        let key = content_key(file).map_err(|reason| (format!("link `{raw}`: {reason}"), None))?;
        if site.records_with_errors.contains(&format!("page/{key}")) {
            // Reported at the page already; the build fails, so the URL is never written.
            return Ok(Resolved::Url(String::new()));
        }
        let Some(page_path) = targets.pages.get(key.as_str()) else {
            if site.left_out_drafts.contains(&key) {
                return Err((
                    format!("link `{raw}` points to a draft page"),
                    Some(
                        "publish the page (remove `draft = true`) or build with `--drafts`".into(),
                    ),
                ));
            }
            let help = closest(&key, targets.pages.keys().copied())
                .map(|c| format!("did you mean `@/{}`?", c.trim_start_matches("content/")));
            return Err((
                format!("link `{raw}` names `{key}`, which does not exist"),
                help,
            ));
        };
        let url = urls.path(page_path);
        return Ok(match anchor {
            Some(a) if !a.is_empty() => {
                let anchor: String = a.nfc().collect();
                Resolved::PageAnchor {
                    url: format!("{url}#{anchor}"),
                    page_key: key,
                    anchor,
                }
            }
            _ => Resolved::Url(url),
        });
    }
    let (kind, rest) = body.split_once('/').ok_or_else(|| {
        (format!("link `{raw}` is not an `@` link shequn knows"), Some("write `@member/HANDLE`, `@speaker/ID`, `@event/ID`, `@chapter/ID`, `@series/ID`, `@rule/ID` or `@/path/page.md`".into()))
    })?;
    let (id, fragment) = match rest.split_once('#') {
        Some((i, f)) => (i, Some(f)),
        None => (rest, None),
    };
    let with_fragment = |url: String| match fragment {
        Some(f) if !f.is_empty() => format!("{url}#{f}"),
        _ => url,
    };
    let missing = |noun: &str, folder: &str, ids: Vec<&str>| -> LinkError {
        let help =
            closest(id, ids).map(|c| format!("did you mean `@{kind}/{c}` ({folder}/{c}.toml)?"));
        (format!("link `{raw}`: there is no {noun} `{id}`"), help)
    };
    // The record's own errors are reported already and the build will fail, so this
    // URL is never written.
    if site.records_with_errors.contains(&format!("{kind}/{id}")) {
        return Ok(Resolved::Url(String::new()));
    }
    match kind {
        "member" => match site.members.get(id) {
            Some(m) if m.is_listed => {
                Ok(Resolved::Url(with_fragment(urls.path(&paths::member(id)))))
            }
            Some(_) => Err((
                format!("link `{raw}` names an unlisted member"),
                Some("unlisted members appear nowhere on the site; remove the link".into()),
            )),
            None => Err(missing(
                "member",
                "members",
                site.members
                    .values()
                    .filter(|m| m.is_listed)
                    .map(|m| m.handle.as_str())
                    .collect(),
            )),
        },
        "speaker" => match site.speakers.get(id) {
            Some(_) => Ok(Resolved::Url(with_fragment(urls.path(&paths::speaker(id))))),
            None if site.members.get(id).is_some_and(|m| m.is_listed) => Err((
                format!("link `{raw}`: `{id}` is a member, not a guest speaker"),
                Some(format!("write `@member/{id}`")),
            )),
            None => Err(missing(
                "speaker",
                "speakers",
                site.speakers.keys().map(|k| k.as_str()).collect(),
            )),
        },
        "event" => match site.events.get(id) {
            Some(_) => Ok(Resolved::Url(with_fragment(urls.path(&paths::event(id))))),
            None => Err(missing(
                "event",
                "events",
                site.events.keys().map(|k| k.as_str()).collect(),
            )),
        },
        "chapter" => match site.chapters.get(id) {
            Some(_) => Ok(Resolved::Url(with_fragment(urls.path(&paths::chapter(id))))),
            None => Err(missing(
                "chapter",
                "chapters",
                site.chapters.keys().map(|k| k.as_str()).collect(),
            )),
        },
        "series" => match site.series.get(id) {
            Some(_) => Ok(Resolved::Url(with_fragment(urls.path(&paths::series(id))))),
            None => Err(missing(
                "series",
                "series",
                site.series.keys().map(|k| k.as_str()).collect(),
            )),
        },
        "rule" => match site.charter.rules.iter().find(|r| r.id.as_str() == id) {
            Some(_) => Ok(Resolved::Url(urls.path(&paths::rule(id)))),
            None => {
                let help = closest(id, site.charter.rules.iter().map(|r| r.id.as_str()))
                    .map(|c| format!("did you mean `@rule/{c}`?"));
                Err((
                    format!("link `{raw}`: the charter has no rule `{id}`"),
                    help,
                ))
            }
        },
        _ => {
            let kinds = ["member", "speaker", "event", "chapter", "series", "rule"];
            let help = closest(kind, kinds).map(|c| format!("did you mean `@{c}/{id}`?"));
            Err((
                format!("link `{raw}`: unknown `@` link kind `{kind}`"),
                help,
            ))
        }
    }
}

/// A line break inside a Chinese paragraph is not a space: browsers would show the
/// source's soft line break between two Chinese characters as one, so it is dropped
/// there (as CSS Text 3 intends but browsers do not yet do).
fn join_cjk_soft_breaks(events: &mut [Event<'_>]) {
    for i in 1..events.len().saturating_sub(1) {
        if !matches!(events[i], Event::SoftBreak) {
            continue;
        }
        let before = match &events[i - 1] {
            Event::Text(t) => t.chars().last(),
            _ => None,
        };
        let after = match &events[i + 1] {
            Event::Text(t) => t.chars().next(),
            _ => None,
        };
        if before.is_some_and(is_cjk_wide) && after.is_some_and(is_cjk_wide) {
            events[i] = Event::Text(CowStr::Borrowed(""));
        }
    }
}

/// Han characters and the full-width punctuation that goes with them.
fn is_cjk_wide(c: char) -> bool {
    is_han(c) || matches!(c as u32, 0x3000..=0x303F | 0xFF00..=0xFFEF | 0x3040..=0x30FF)
}

/// Gives headings ids (keeping any `{#id}` the author wrote) and counts words.
fn headings_and_words(events: &mut [Event<'_>]) -> (Vec<Heading>, WordCount, String) {
    let mut headings = Vec::new();
    let mut used: BTreeSet<String> = BTreeSet::new();
    let mut words = WordCount::default();
    let mut plain_start = String::new();
    let mut heading_start: Option<(usize, HeadingLevel)> = None;
    let mut heading_text = String::new();
    let mut in_code_block = false;
    for i in 0..events.len() {
        match &events[i] {
            Event::Start(Tag::Heading { level, .. }) => {
                heading_start = Some((i, *level));
                heading_text.clear();
            }
            Event::End(TagEnd::Heading(_)) => {
                if let Some((start, level)) = heading_start.take() {
                    if let Event::Start(Tag::Heading { id, .. }) = &mut events[start] {
                        let base = match id {
                            Some(given) => given.to_string(),
                            None => heading_slug(&heading_text),
                        };
                        let base = if base.is_empty() {
                            "section".to_string()
                        } else {
                            base
                        };
                        let mut unique = base.clone();
                        let mut n = 1;
                        while used.contains(&unique) {
                            unique = format!("{base}-{n}");
                            n += 1;
                        }
                        used.insert(unique.clone());
                        *id = Some(CowStr::from(unique.clone()));
                        headings.push(Heading {
                            level: level as u8,
                            id: unique,
                            title: heading_text.trim().to_string(),
                        });
                    }
                }
            }
            Event::Start(Tag::CodeBlock(_)) => in_code_block = true,
            Event::End(TagEnd::CodeBlock) => in_code_block = false,
            Event::Text(t) | Event::Code(t) => {
                if heading_start.is_some() {
                    heading_text.push_str(t);
                }
                count_words(t, &mut words);
                if !in_code_block && plain_start.chars().count() < 300 {
                    if !plain_start.is_empty() && !plain_start.ends_with(' ') {
                        plain_start.push(' ');
                    }
                    plain_start.push_str(t.trim());
                }
            }
            _ => {}
        }
    }
    (headings, words, plain_start)
}

/// The plain text of `events`, as `pulldown_cmark::html` writes them and a browser shows
/// them; `None` for raw HTML and footnotes (see [`Rendered::plain`]).
fn plain_text(events: &[Event<'_>], source_len: usize) -> Option<PlainText> {
    // The text is shorter than its source: one allocation, and little to spare.
    let mut plain = PlainText {
        text: String::with_capacity(source_len),
        headings: Vec::new(),
    };
    let text = &mut plain.text;
    let mut in_image = 0;
    let mut heading_start = 0;
    for event in events {
        match event {
            Event::Html(_)
            | Event::InlineHtml(_)
            | Event::FootnoteReference(_)
            | Event::Start(Tag::FootnoteDefinition(_)) => return None,
            // The HTML writes an image's text into its `alt` attribute.
            Event::Start(Tag::Image { .. }) => {
                in_image += 1;
                push_space(text);
            }
            Event::End(TagEnd::Image) => in_image -= 1,
            _ if in_image > 0 => {}
            Event::Text(t) | Event::Code(t) => push_squashed(text, t),
            Event::Start(Tag::Heading { .. }) => {
                push_space(text);
                heading_start = text.len();
            }
            Event::End(TagEnd::Heading(_)) => {
                let end = text.trim_end().len();
                plain.headings.push(heading_start.min(end)..end);
                push_space(text);
            }
            // Inline elements run on with the text around them; any other separates.
            Event::Start(
                Tag::Emphasis
                | Tag::Strong
                | Tag::Strikethrough
                | Tag::Link { .. }
                | Tag::Superscript
                | Tag::Subscript
                | Tag::HtmlBlock,
            )
            | Event::End(
                TagEnd::Emphasis
                | TagEnd::Strong
                | TagEnd::Strikethrough
                | TagEnd::Link
                | TagEnd::Superscript
                | TagEnd::Subscript
                | TagEnd::HtmlBlock,
            ) => {}
            _ => push_space(text),
        }
    }
    let end = text.trim_end().len();
    text.truncate(end);
    Some(plain)
}

fn push_space(text: &mut String) {
    if !text.is_empty() && !text.ends_with(' ') {
        text.push(' ');
    }
}

/// Appends `raw` with each run of white space as one space. Only ASCII white space is
/// folded, the only kind HTML folds.
fn push_squashed(text: &mut String, raw: &str) {
    let bytes = raw.as_bytes();
    // Most text is words and single spaces: a scan without branches finds it, and it is
    // copied whole.
    let folds = bytes.iter().fold(false, |any, b| {
        any | matches!(b, b'\t' | b'\n' | b'\x0c' | b'\r')
    });
    if !folds && !raw.contains("  ") {
        let at_space = text.is_empty() || text.ends_with(' ');
        text.push_str(if at_space {
            raw.trim_start_matches(' ')
        } else {
            raw
        });
        return;
    }
    let mut from = 0;
    let mut i = 0;
    while i < bytes.len() {
        if !bytes[i].is_ascii_whitespace() {
            i += 1;
            continue;
        }
        // One space between two words stays as it is.
        let is_lone_space = bytes[i] == b' '
            && i > from
            && bytes.get(i + 1).is_some_and(|b| !b.is_ascii_whitespace());
        if is_lone_space {
            i += 1;
            continue;
        }
        text.push_str(&raw[from..i]);
        while i < bytes.len() && bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        push_space(text);
        from = i;
    }
    text.push_str(&raw[from..]);
}

/// A heading's anchor: lower case, spaces to `-`, punctuation dropped, Chinese kept.
pub fn heading_slug(text: &str) -> String {
    let mut out = String::new();
    for c in text.trim().nfc().flat_map(char::to_lowercase) {
        if c.is_alphanumeric() || c == '_' || c == '-' {
            out.push(c);
        } else if c.is_whitespace() && !out.ends_with('-') {
            out.push('-');
        }
    }
    out.trim_matches('-').to_string()
}

fn is_han(c: char) -> bool {
    matches!(c as u32, 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0x20000..=0x2FA1F)
}

fn count_words(text: &str, count: &mut WordCount) {
    let mut in_word = false;
    for c in text.chars() {
        if is_han(c) {
            count.han += 1;
            in_word = false;
        } else if c.is_alphanumeric() {
            if !in_word {
                count.latin += 1;
                in_word = true;
            }
        } else if c != '\'' && c != '’' {
            in_word = false;
        }
    }
}

/// The plain-text start of a page's own body, for descriptions: a page's `summary`
/// wins, then the first sentence-sized piece of its text.
pub fn description_from(plain: &str, limit: usize) -> String {
    let plain = plain.split_whitespace().collect::<Vec<_>>().join(" ");
    if plain.chars().count() <= limit {
        return plain;
    }
    let cut: String = plain.chars().take(limit).collect();
    format!("{}…", cut.trim_end())
}

/// `text` rendered as the Markdown stage does, without `@` links, for the tests of the
/// stages that read it.
#[cfg(test)]
pub(crate) fn rendered(text: &str) -> Rendered {
    let mut events: Vec<Event> = Parser::new_ext(text, options()).collect();
    join_cjk_soft_breaks(&mut events);
    let (headings, words, plain_start) = headings_and_words(&mut events);
    let plain = plain_text(&events, text.len());
    let mut html = String::new();
    pulldown_cmark::html::push_html(&mut html, events.into_iter());
    Rendered {
        html,
        headings,
        words,
        plain_start,
        plain,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heading_slugs_keep_chinese() {
        assert_eq!(heading_slug("三个阶段"), "三个阶段");
        assert_eq!(heading_slug("Hello, World!"), "hello-world");
        assert_eq!(heading_slug("第 1 步：开始"), "第-1-步开始");
    }

    #[test]
    fn words_count_han_and_latin_apart() {
        let mut c = WordCount::default();
        count_words("我们学习 Rust and Tera 模板", &mut c);
        assert_eq!(c, WordCount { han: 6, latin: 3 });
        assert_eq!(WordCount { han: 800, latin: 0 }.reading_minutes(), 2);
    }

    #[test]
    fn soft_breaks_between_chinese_characters_are_dropped() {
        let md = |text: &str| {
            let mut html = String::new();
            let mut events: Vec<Event> = Parser::new(text).collect();
            join_cjk_soft_breaks(&mut events);
            pulldown_cmark::html::push_html(&mut html, events.into_iter());
            html
        };
        assert_eq!(md("第一行，\n第二行"), "<p>第一行，第二行</p>\n");
        assert_eq!(md("one\ntwo"), "<p>one\ntwo</p>\n");
        assert_eq!(md("中文\nEnglish"), "<p>中文\nEnglish</p>\n");
    }

    fn plain(text: &str) -> (Option<PlainText>, String) {
        let rendered = rendered(text);
        (rendered.plain, rendered.html)
    }

    #[test]
    fn plain_text_is_the_text_the_html_shows() {
        let (text, html) = plain(
            "Intro *em*phasis, `code` &amp;\nnext line  \n\n## Head *one*\n\n- a\n- [x] b\n\n\
             | x | y |\n|---|---|\n| 1 | 2 |\n\n![alt text](/i.png) after\n\n\
             ```rust\nfn main() {}\n```\n\n---\n\n### 第二节\n\n中文，\n第二行",
        );
        let text = text.unwrap();
        assert_eq!(text.text, crate::search::html_text(&html));
        assert!(text
            .text
            .starts_with("Intro emphasis, code & next line Head one a b x"));
        assert!(!text.text.contains("alt text"));
        let headings: Vec<&str> = text
            .headings
            .iter()
            .map(|h| &text.text[h.clone()])
            .collect();
        assert_eq!(headings, ["Head one", "第二节"]);
        assert!(text.text.ends_with("第二节 中文，第二行"));
    }

    #[test]
    fn raw_html_and_footnotes_have_no_plain_text() {
        assert!(plain("a <b>bold</b> move").0.is_none());
        assert!(plain("<div>\nblock\n</div>").0.is_none());
        assert!(plain("a note[^1]\n\n[^1]: the note").0.is_none());
        assert!(plain("plain").0.is_some());
    }

    #[test]
    fn description_is_cut_on_characters() {
        assert_eq!(description_from("一二三四五", 3), "一二三…");
        assert_eq!(description_from("a  b", 10), "a b");
    }
}
