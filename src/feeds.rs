//! Feeds and crawler files: the Atom feed of posts and events (`feed.xml`), the sitemap
//! of every public HTML page, `robots.txt` pointing at it, and `shequn-build.json`, which
//! tells a scheduled job when the next rebuild is due. Everything here reads the plan,
//! so nothing unlisted or draft can appear; `files` writes the results.

use std::collections::BTreeMap;

use jiff::Timestamp;
use serde_json::json;

use crate::dates;
use crate::ics::is_public;
use crate::markdown::{description_from, Rendered};
use crate::model::time::EventTime;
use crate::model::*;
use crate::plan::{PageJob, Plan};
use crate::urls::paths;

/// How many entries the feed keeps: readers poll it often, and a community with years
/// of weekly sessions would otherwise serve megabytes each time.
pub const FEED_LENGTH: usize = 100;

/// The Atom feed (RFC 4287): posts and events, newest `updated` first, at most
/// [`FEED_LENGTH`] of them. Ids are the entries' absolute URLs, which stay the same from
/// build to build. An event has no edit date, so its `updated` and `published` are its
/// start: upcoming events sort first, which is what a member skimming the feed wants.
pub fn atom(plan: &Plan<'_>, md: &[Rendered], strings: &BTreeMap<String, String>) -> String {
    let site = plan.site;
    let urls = &site.config.urls;
    let language = site.config.language;
    // Which entries make the feed is decided on their times and URLs alone, so that
    // only those few are written out (a large site has thousands of posts and events).
    enum Source<'p> {
        Post(&'p Page),
        Event(&'p Event),
    }
    let mut chosen: Vec<(Timestamp, String, Source)> = Vec::new();
    for p in &plan.posts {
        let Some(date) = p.date else { continue };
        let updated = p
            .updated
            .map_or(date.instant, |u| u.instant.max(date.instant));
        chosen.push((updated, urls.absolute(&p.path), Source::Post(p)));
    }
    for ev in plan.upcoming.iter().chain(&plan.past) {
        let url = urls.absolute(&paths::event(ev.id.as_str()));
        chosen.push((ev.start(), url, Source::Event(ev)));
    }
    chosen.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
    chosen.truncate(FEED_LENGTH);
    let mut entries: Vec<(Timestamp, String, String)> = Vec::new();

    for (updated, url, source) in chosen {
        let p = match source {
            Source::Post(p) => p,
            Source::Event(ev) => {
                entries.push((
                    updated,
                    url.clone(),
                    event_entry(plan, md, strings, ev, &url),
                ));
                continue;
            }
        };
        let Some(date) = p.date else { continue };
        let rendered = &md[p.body.0];
        let summary = p
            .summary
            .clone()
            .unwrap_or_else(|| description_from(&rendered.plain_start, 300));
        let mut e = String::new();
        e.push_str("<entry>\n");
        tag(&mut e, "id", &url);
        tag(&mut e, "title", &p.title);
        link(&mut e, &url);
        tag(&mut e, "published", &date.instant.to_string());
        tag(&mut e, "updated", &updated.to_string());
        for a in &p.authors {
            if let Some(m) = site.members.get(a).filter(|m| m.is_listed) {
                author(
                    &mut e,
                    &m.name,
                    &urls.absolute(&paths::member(m.handle.as_str())),
                );
            }
        }
        for t in &p.tags {
            category(&mut e, &t.name);
        }
        tag(&mut e, "summary", &summary);
        html_content(&mut e, &rendered.html);
        e.push_str("</entry>\n");
        entries.push((updated, url, e));
    }

    let updated = entries.first().map_or(plan.now, |e| e.0);
    let mut out = String::new();
    out.push_str("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n");
    out.push_str(&format!(
        "<feed xmlns=\"http://www.w3.org/2005/Atom\" xml:lang=\"{}\" xml:base=\"{}\">\n",
        language.code(),
        escape(&urls.base)
    ));
    tag(&mut out, "id", &urls.base);
    tag(&mut out, "title", site.title());
    if let Some(t) = &site.charter.tagline {
        tag(&mut out, "subtitle", t);
    }
    out.push_str(&format!(
        "<link rel=\"self\" type=\"application/atom+xml\" href=\"{}\"/>\n",
        escape(&urls.absolute("feed.xml"))
    ));
    out.push_str(&format!(
        "<link rel=\"alternate\" type=\"text/html\" href=\"{}\"/>\n",
        escape(&urls.base)
    ));
    tag(&mut out, "updated", &updated.to_string());
    // A feed-level author makes every entry valid, with or without its own authors.
    author(&mut out, site.title(), &urls.base);
    out.push_str("<generator>shequn</generator>\n");
    for (_, _, e) in entries {
        out.push_str(&e);
    }
    out.push_str("</feed>\n");
    out
}

/// The feed entry of an event: its start is both `published` and `updated` (an event
/// has no edit date of its own).
fn event_entry(
    plan: &Plan<'_>,
    md: &[Rendered],
    strings: &BTreeMap<String, String>,
    ev: &Event,
    url: &str,
) -> String {
    let site = plan.site;
    let urls = &site.config.urls;
    let language = site.config.language;
    let start = ev.start();
    let when = match &ev.time {
        EventTime::AllDay { first, last } => dates::day_range(*first, *last, language),
        EventTime::Timed { start, end } => dates::range(start, end.as_ref(), language),
    };
    let status = match ev.status {
        Status::Scheduled => String::new(),
        Status::Cancelled => text(strings, "status_cancelled"),
        Status::Postponed => text(strings, "status_postponed"),
        Status::Rescheduled => text(strings, "status_rescheduled"),
    };
    let place = ev
        .venue
        .as_ref()
        .and_then(|v| v.name.clone().or_else(|| v.city.clone()));
    let summary_parts: Vec<String> = [
        (!status.is_empty()).then_some(status),
        Some(when),
        place,
        ev.summary.clone(),
    ]
    .into_iter()
    .flatten()
    .collect();
    let mut e = String::new();
    e.push_str("<entry>\n");
    tag(&mut e, "id", url);
    tag(&mut e, "title", &ev.title);
    link(&mut e, url);
    tag(&mut e, "published", &start.to_string());
    tag(&mut e, "updated", &start.to_string());
    for h in &ev.hosts {
        if let Some(m) = site.members.get(h).filter(|m| m.is_listed) {
            author(
                &mut e,
                &m.name,
                &urls.absolute(&paths::member(m.handle.as_str())),
            );
        }
    }
    for t in &ev.tags {
        category(&mut e, &t.name);
    }
    tag(&mut e, "summary", &summary_parts.join(" · "));
    let mut html = ev
        .description
        .map(|d| md[d.0].html.clone())
        .unwrap_or_default();
    if !ev.talks.is_empty() {
        html.push_str("<ul>");
        for t in &ev.talks {
            let names: Vec<&str> = t
                .speakers
                .iter()
                .filter(|p| is_public(site, p))
                .map(|p| crate::plan::person_name(site, p))
                .collect();
            html.push_str("<li>");
            html.push_str(&escape(&t.title));
            if !names.is_empty() {
                html.push_str(" — ");
                html.push_str(&escape(&names.join(", ")));
            }
            html.push_str("</li>");
        }
        html.push_str("</ul>");
    }
    if !html.is_empty() {
        html_content(&mut e, &html);
    }
    e.push_str("</entry>\n");
    e
}

/// Every public HTML page, as absolute URLs, with `lastmod` where a page has a date.
/// The 404 page is not a page to index.
pub fn sitemap(plan: &Plan<'_>) -> String {
    let urls = &plan.site.config.urls;
    let mut out = String::new();
    out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    out.push_str("<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n");
    for page in &plan.pages {
        let lastmod = match &page.job {
            PageJob::NotFound => continue,
            PageJob::Page(p) | PageJob::Section(p) => p.updated.or(p.date).map(|d| d.date),
            _ => None,
        };
        out.push_str("<url><loc>");
        out.push_str(&escape(&percent_encode(&urls.absolute(&page.url_path))));
        out.push_str("</loc>");
        if let Some(d) = lastmod {
            out.push_str(&format!("<lastmod>{d}</lastmod>"));
        }
        out.push_str("</url>\n");
    }
    out.push_str("</urlset>\n");
    out
}

/// Lets every crawler in and names the sitemap.
pub fn robots(plan: &Plan<'_>) -> String {
    let urls = &plan.site.config.urls;
    format!(
        "User-agent: *\nAllow: /\n\nSitemap: {}\n",
        percent_encode(&urls.absolute("sitemap.xml"))
    )
}

/// `shequn-build.json`: the build's "now" and the next moment the site would change if
/// rebuilt (null when no event starts or ends later), for a scheduled rebuild.
pub fn build_info(plan: &Plan<'_>, next_change: Option<Timestamp>) -> String {
    let value = json!({
        "built_at": plan.now.to_string(),
        "next_change": next_change.map(|t| t.to_string()),
    });
    // A JSON value always serialises.
    let mut text = serde_json::to_string_pretty(&value).unwrap_or_default();
    text.push('\n');
    text
}

fn text(strings: &BTreeMap<String, String>, key: &str) -> String {
    strings.get(key).cloned().unwrap_or_default()
}

fn tag(out: &mut String, name: &str, value: &str) {
    out.push_str(&format!("<{name}>{}</{name}>\n", escape(value)));
}

fn link(out: &mut String, url: &str) {
    out.push_str(&format!(
        "<link rel=\"alternate\" type=\"text/html\" href=\"{}\"/>\n",
        escape(url)
    ));
}

fn author(out: &mut String, name: &str, uri: &str) {
    out.push_str(&format!(
        "<author><name>{}</name><uri>{}</uri></author>\n",
        escape(name),
        escape(uri)
    ));
}

fn category(out: &mut String, term: &str) {
    out.push_str(&format!("<category term=\"{}\"/>\n", escape(term)));
}

/// HTML content, escaped as text (`type="html"`), which no reader misparses.
fn html_content(out: &mut String, html: &str) {
    out.push_str(&format!(
        "<content type=\"html\">{}</content>\n",
        escape(html)
    ));
}

/// Escapes text and attribute values for XML, and drops the characters XML 1.0 does not
/// allow at all: control characters, and U+FFFE and U+FFFF, which Markdown can produce
/// from a character reference (`&#xFFFE;`) although text fields refuse them.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if c.is_control() => {}
            '\u{FFFE}' | '\u{FFFF}' => {}
            c => out.push(c),
        }
    }
    out
}

/// Percent-encodes what a sitemap URL may not hold as is (RFC 3986): non-ASCII bytes
/// (Chinese tag and page slugs), spaces and other unsafe characters.
pub fn percent_encode(url: &str) -> String {
    let mut out = String::with_capacity(url.len());
    for b in url.bytes() {
        let keep = b.is_ascii_alphanumeric() || b"-._~:/?#[]@!$&'()*+,;=%".contains(&b);
        if keep {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xml_escaping_covers_markup_and_drops_controls() {
        assert_eq!(
            escape("<a href=\"x\">&'\u{1}\u{FFFE}\u{FFFF}"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&apos;"
        );
    }

    #[test]
    fn sitemap_urls_encode_chinese_slugs() {
        assert_eq!(
            percent_encode("https://x.org/tags/社群/"),
            "https://x.org/tags/%E7%A4%BE%E7%BE%A4/"
        );
    }
}
