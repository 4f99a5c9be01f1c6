//! The Markdown stage: every Markdown field and page body of the model rendered to HTML
//! in parallel, with `@` links resolved to URLs under `base_url`, every link and image
//! destination checked against the scheme allow-list, raw HTML escaped where the site's
//! policy says so, and headings given anchors that keep their Chinese characters. A link
//! that names nothing is an error at its own line. Comes after `model`; `render` puts
//! the HTML into pages.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

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
#[derive(Clone)]
struct AnchorCheck {
    page_key: String,
    anchor: String,
    diagnostic: Diagnostic,
}

/// Renders every Markdown text of the site. The result is indexed by `MdId`. With
/// `plain`, each text's plain text is kept for the search index
/// ([`Rendered::plain`]).
pub fn render_all(site: &Site, plain: bool, diags: &mut Diagnostics) -> Vec<Rendered> {
    render_all_cached(site, plain, None, diags)
}

/// Renders kept between the builds of one `serve` session: a text is rendered again
/// only when its file changed or one of its links now resolves otherwise.
#[derive(Default)]
pub struct Cache {
    entries: HashMap<CacheKey, Arc<CacheEntry>>,
}

/// A text is the same text when its file holds the same bytes and it lies at the same
/// place in it (which also keeps the lines of its messages right).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct CacheKey {
    file: u128,
    start: usize,
    end: usize,
    raw_html: bool,
    /// Whether the plain text was kept too.
    plain: bool,
}

struct CacheEntry {
    rendered: Rendered,
    diags: Vec<Diagnostic>,
    checks: Vec<AnchorCheck>,
    /// Every link of the text as written, with what it resolved to: the render stands
    /// while each resolves to the same again (a page renamed, a member removed, a
    /// draft left out all change an answer).
    links: Vec<(String, Result<Resolved, LinkError>)>,
}

impl CacheEntry {
    fn still_valid(&self, targets: &Targets<'_>) -> bool {
        self.links
            .iter()
            .all(|(raw, resolved)| resolve_link(raw, targets) == *resolved)
    }
}

/// One text's render, messages, anchor checks and cache entry.
type RenderedText = (
    Rendered,
    Vec<Diagnostic>,
    Vec<AnchorCheck>,
    Option<Arc<CacheEntry>>,
);

/// [`render_all`], taking unchanged texts from `cache` and leaving in it this build's.
pub fn render_all_cached(
    site: &Site,
    plain: bool,
    cache: Option<&mut Cache>,
    diags: &mut Diagnostics,
) -> Vec<Rendered> {
    let targets = Targets {
        site,
        pages: site
            .pages
            .values()
            .map(|p| (p.key.as_str(), p.path.as_str()))
            .collect(),
    };
    let keys: Vec<Option<CacheKey>> = match &cache {
        None => vec![None; site.markdown.len()],
        Some(_) => {
            // One hash per file, however many texts it holds.
            let id = |source: &crate::diag::SourceRef| Arc::as_ptr(source) as usize;
            let mut files: HashMap<usize, &crate::diag::SourceRef> = HashMap::new();
            for md in &site.markdown {
                files.insert(id(&md.source), &md.source);
            }
            let files: Vec<(usize, &crate::diag::SourceRef)> = files.into_iter().collect();
            let hashes: HashMap<usize, u128> = files
                .into_par_iter()
                .map(|(ptr, source)| {
                    let mut h = xxhash_rust::xxh3::Xxh3::new();
                    h.update(source.path.as_bytes());
                    h.update(&[0]);
                    h.update(source.text.as_bytes());
                    (ptr, h.digest128())
                })
                .collect();
            site.markdown
                .iter()
                .map(|md| {
                    Some(CacheKey {
                        file: hashes[&id(&md.source)],
                        start: md.raw_span.start,
                        end: md.raw_span.end,
                        raw_html: md.allows_raw_html,
                        plain,
                    })
                })
                .collect()
        }
    };
    let previous = cache.as_deref();
    let results: Vec<RenderedText> = site
        .markdown
        .par_iter()
        .zip(keys.par_iter())
        .map(|(md, key)| {
            let Some(key) = key else {
                let (r, d, c) = render_one(md, &targets, plain, &mut Vec::new());
                return (r, d, c, None);
            };
            if let Some(entry) = previous
                .and_then(|c| c.entries.get(key))
                .filter(|e| e.still_valid(&targets))
            {
                return (
                    entry.rendered.clone(),
                    entry.diags.clone(),
                    entry.checks.clone(),
                    Some(entry.clone()),
                );
            }
            let mut links = Vec::new();
            let (rendered, d, checks) = render_one(md, &targets, plain, &mut links);
            let entry = Arc::new(CacheEntry {
                rendered: rendered.clone(),
                diags: d.clone(),
                checks: checks.clone(),
                links,
            });
            (rendered, d, checks, Some(entry))
        })
        .collect();
    let mut rendered = Vec::with_capacity(results.len());
    let mut checks = Vec::new();
    let mut kept = HashMap::new();
    for ((r, d, c, entry), key) in results.into_iter().zip(keys) {
        rendered.push(r);
        diags.extend(d);
        checks.extend(c);
        if let (Some(entry), Some(key)) = (entry, key) {
            kept.insert(key, entry);
        }
    }
    if let Some(cache) = cache {
        cache.entries = kept;
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
    links: &mut Vec<(String, Result<Resolved, LinkError>)>,
) -> (Rendered, Vec<Diagnostic>, Vec<AnchorCheck>) {
    let mut diags = Vec::new();
    let mut checks = Vec::new();
    let mut search_from = md.raw_span.start;

    // Where the text starts in the file: a TOML string's span includes its quotes (and
    // a multi-line string drops the new line after its opening quotes).
    let text_start = match &md.owned {
        None => md.raw_span.start,
        Some(_) => {
            let raw = md.source.text.get(md.raw_span.clone()).unwrap_or("");
            let quotes = if raw.starts_with("\"\"\"") || raw.starts_with("'''") {
                3 + usize::from(raw[3..].starts_with('\n'))
            } else {
                usize::from(raw.starts_with(['"', '\'']))
            };
            md.raw_span.start + quotes
        }
    };
    if let Some((at, depth)) = too_deeply_nested(md.text()) {
        // Exact in Markdown files, close in TOML strings with escapes.
        let start = (text_start + at).min(md.source.text.len());
        diags.push(
            Diagnostic::error(format!(
                "block quotes and lists nested {depth} levels deep; the limit is {MAX_CONTAINER_DEPTH}"
            ))
            .at(&md.source, start..start + 1)
            .with_help("a `>` or a list marker at the start of a line opens a level; remove the extra ones"),
        );
        return (Rendered::default(), diags, checks);
    }
    let (mut events, ranges) = merged_events(md.text());

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
        // The whole link as written (`[x](java&#x73;cript:…)`), found in the file; else
        // its offset in the text, exact for a body and close for a TOML string.
        let written = md.text().get(link.clone()).unwrap_or("");
        let haystack = md.source.text.get(text_start..end).unwrap_or("");
        if let Some(i) = haystack.find(written).filter(|_| !written.is_empty()) {
            let start = text_start + i;
            return start..start + written.len();
        }
        let start = (text_start + link.start).min(end);
        start..(text_start + link.end).min(end)
    };

    // A control character comes from the text itself (a TOML escape) or from a
    // character reference; most texts have neither, and their events are not scanned.
    let may_hold_controls =
        md.text().contains("&#") || crate::load::text::has_forbidden_control(md.text());
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
                let resolved = resolve_link(&raw, targets);
                links.push((raw.clone(), resolved.clone()));
                match resolved {
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
            // `# Title {onclick=alert(1)}` would write any attribute, an event handler
            // included: where raw HTML is escaped, only the `{#id}` and `{.class}` stay.
            Event::Start(Tag::Heading { attrs, .. }) if !md.allows_raw_html => attrs.clear(),
            // A character reference such as `&#7;` makes a control character that the
            // file itself may not hold (see `load::text`); it would be invalid in HTML.
            Event::Text(text) | Event::Code(text)
                if may_hold_controls && crate::load::text::has_forbidden_control(text) =>
            {
                let clean: String = text
                    .chars()
                    .map(|c| {
                        if crate::load::text::is_forbidden_control(c) {
                            '\u{FFFD}'
                        } else {
                            c
                        }
                    })
                    .collect();
                *text = CowStr::from(clean);
            }
            _ => {}
        }
    }

    (
        rendered_from(events, md.text().len(), with_plain),
        diags,
        checks,
    )
}

/// The end of the Markdown stage, once links and raw HTML are dealt with: headings
/// given ids, words counted, the plain text (when asked for) and the HTML, from the
/// events of a text `source_len` bytes long.
fn rendered_from(mut events: Vec<Event<'_>>, source_len: usize, with_plain: bool) -> Rendered {
    join_cjk_soft_breaks(&mut events);
    let (headings, words, plain_start) = headings_and_words(&mut events);
    let plain = with_plain
        .then(|| plain_text(&events, source_len))
        .flatten();
    let mut html = String::with_capacity(source_len * 3 / 2);
    pulldown_cmark::html::push_html(&mut html, events.into_iter());
    Rendered {
        html,
        headings,
        words,
        plain_start,
        plain,
    }
}

/// Deepest nesting of block quotes and lists. Each level costs its reader nothing to
/// write (`>` is one byte) but the parser, the HTML and the browser a node each: 8 MB
/// of `>` made two gigabytes of events. Real pages stay under ten.
pub const MAX_CONTAINER_DEPTH: usize = 64;

/// The byte offset of the first line that opens more than `MAX_CONTAINER_DEPTH`
/// block quotes and list items, and how many it opens.
fn too_deeply_nested(text: &str) -> Option<(usize, usize)> {
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let bytes = line.as_bytes();
        let mut i = 0;
        let mut depth = 0;
        loop {
            let indent = bytes[i..].iter().take_while(|b| **b == b' ').count();
            if indent > 3 {
                break;
            }
            i += indent;
            let marker = match bytes.get(i) {
                Some(b'>') => 1,
                Some(b'-' | b'*' | b'+') if matches!(bytes.get(i + 1), Some(b' ' | b'\t')) => 1,
                Some(b'0'..=b'9') => {
                    let digits = bytes[i..].iter().take_while(|b| b.is_ascii_digit()).count();
                    let after = bytes.get(i + digits..i + digits + 2);
                    if digits <= 9 && matches!(after, Some([b'.' | b')', b' ' | b'\t'])) {
                        digits + 1
                    } else {
                        0
                    }
                }
                _ => 0,
            };
            if marker == 0 {
                break;
            }
            i += marker;
            depth += 1;
            if depth > MAX_CONTAINER_DEPTH {
                let (start, count) = (offset, depth);
                // Count the rest of the line's levels for the message.
                let rest = text[offset + i..]
                    .split('\n')
                    .next()
                    .unwrap_or("")
                    .matches(['>', '-', '*', '+'])
                    .count();
                return Some((start, count + rest));
            }
        }
        offset += line.len();
    }
    None
}

/// The parser's events with their byte ranges, adjacent text events merged into one.
/// The parser splits text at every character that might have opened a link or an
/// emphasis (`[`, `*`, `<`), so `[](` repeated a million times made three million events
/// and half a gigabyte; merged, it is one text event per paragraph (BAD-INPUTS row 8).
fn merged_events(text: &str) -> (Vec<Event<'_>>, Vec<std::ops::Range<usize>>) {
    let mut events = Vec::new();
    let mut ranges = Vec::new();
    let mut run: Option<TextRun<'_>> = None;
    for (event, range) in Parser::new_ext(text, options()).into_offset_iter() {
        match event {
            Event::Text(t) => match &mut run {
                Some(r) => {
                    r.rest
                        .get_or_insert_with(|| r.first.to_string())
                        .push_str(&t);
                    r.range.end = range.end;
                }
                None => {
                    run = Some(TextRun {
                        first: t,
                        rest: None,
                        range,
                    })
                }
            },
            other => {
                if let Some(r) = run.take() {
                    r.push_to(&mut events, &mut ranges);
                }
                events.push(other);
                ranges.push(range);
            }
        }
    }
    if let Some(r) = run.take() {
        r.push_to(&mut events, &mut ranges);
    }
    (events, ranges)
}

/// Adjacent text events being merged: the first text, and the whole run once there is
/// more than one (copied once, not once per event).
struct TextRun<'a> {
    first: CowStr<'a>,
    rest: Option<String>,
    range: std::ops::Range<usize>,
}

impl<'a> TextRun<'a> {
    fn push_to(self, events: &mut Vec<Event<'a>>, ranges: &mut Vec<std::ops::Range<usize>>) {
        let text = match self.rest {
            Some(joined) => CowStr::from(joined),
            None => self.first,
        };
        events.push(Event::Text(text));
        ranges.push(self.range);
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
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
    let mut plain_start_chars = 0;
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
                if !in_code_block && plain_start_chars < 300 {
                    if !plain_start.is_empty() && !plain_start.ends_with(' ') {
                        plain_start.push(' ');
                        plain_start_chars += 1;
                    }
                    let t = t.trim();
                    plain_start.push_str(t);
                    plain_start_chars += t.chars().count();
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

/// Appends `raw` with each run of white space as one space, and none at the start of
/// `text` or after a space there. Only ASCII white space is folded, the only kind HTML
/// folds. (The search index reads the text of raw HTML through it too.)
pub(crate) fn push_squashed(text: &mut String, raw: &str) {
    let bytes = raw.as_bytes();
    // Most text is words and single spaces: a scan many bytes at a time finds it, and
    // it is copied whole.
    let folds = crate::scan::any_byte(bytes, |b| {
        (b == b'\t') | (b == b'\n') | (b == b'\x0c') | (b == b'\r')
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
        // Most characters are ASCII: no Unicode tables for them.
        if c.is_ascii() {
            if c.is_ascii_alphanumeric() {
                count.latin += usize::from(!in_word);
                in_word = true;
            } else if c != '\'' {
                in_word = false;
            }
        } else if is_han(c) {
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
    rendered_from(Parser::new_ext(text, options()).collect(), text.len(), true)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Words counted one character at a time through the Unicode tables, as before the
    /// ASCII shortcut in [`count_words`].
    fn count_words_slowly(text: &str) -> (usize, usize) {
        let (mut han, mut latin, mut in_word) = (0, 0, false);
        for c in text.chars() {
            if is_han(c) {
                han += 1;
                in_word = false;
            } else if c.is_alphanumeric() {
                latin += usize::from(!in_word);
                in_word = true;
            } else if c != '\'' && c != '’' {
                in_word = false;
            }
        }
        (han, latin)
    }

    #[test]
    fn the_ascii_shortcut_counts_words_as_the_tables_do() {
        let pieces = [
            "a", "Z", "9", " ", "'", "’", "-", "_", "\n", "é", "ß", "中", "文", "，", "。", "ا",
            "١", "Ⅻ", "𠀀", "\u{0301}", "don't", "x86_64", "C++", "²",
        ];
        // Every pair and triple of pieces: word starts and ends at each boundary.
        for a in pieces {
            for b in pieces {
                for c in pieces {
                    let text = format!("{a}{b}{c}");
                    let mut count = WordCount::default();
                    count_words(&text, &mut count);
                    assert_eq!(
                        (count.han, count.latin),
                        count_words_slowly(&text),
                        "{text:?}"
                    );
                }
            }
        }
    }

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
    fn deep_quotes_and_lists_are_refused_at_their_line() {
        let deep = format!("ok\n\n{} deep\n", ">".repeat(10_000));
        assert_eq!(too_deeply_nested(&deep), Some((4, 10_000)));
        assert!(too_deeply_nested(&format!("{}x", "- ".repeat(100))).is_some());
        assert!(too_deeply_nested(&format!("{}x", "1. ".repeat(100))).is_some());
        assert_eq!(too_deeply_nested(&format!("{}x\n", "> ".repeat(64))), None);
        assert_eq!(
            too_deeply_nested("- a\n  - b\n    * c\n---\n***\n1.5 x\n"),
            None
        );
    }

    #[test]
    fn adjacent_text_is_one_event() {
        let (events, ranges) = merged_events("a [b *c");
        assert_eq!(events.len(), 3, "{events:?}");
        assert_eq!(events[1], Event::Text(CowStr::from("a [b *c")));
        assert_eq!(ranges[1], 0..7);
    }

    #[test]
    fn description_is_cut_on_characters() {
        assert_eq!(description_from("一二三四五", 3), "一二三…");
        assert_eq!(description_from("a  b", 10), "a b");
    }
}
