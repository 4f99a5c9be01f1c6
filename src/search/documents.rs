//! What the search index holds: one document per searchable thing of the plan (a content
//! page, or a section of a long one; an event; a talk; a speaker; a listed member), with
//! the plain text of its rendered Markdown. Reads the plan only, which is the one place
//! deciding what is public, so an unlisted member or a left-out draft cannot reach the
//! index. `index` turns the documents into files.

use std::borrow::Cow;

use rayon::prelude::*;
use rustc_hash::FxHashSet;

use crate::markdown::Rendered;
use crate::model::*;
use crate::plan::{person_name, PageJob, Plan, PlannedPage};

/// A page longer than this, in characters, with headings, is indexed a section at a time,
/// so that a match links to its heading.
const SECTION_THRESHOLD: usize = 1500;

/// One searchable thing: a page (or one section of a long page), an event, a talk, a
/// speaker or a listed member. Its text is borrowed from the model and the Markdown
/// stage where it can be.
#[derive(Debug, Clone)]
pub struct Document<'a> {
    /// `page`, `post`, `transcript`, `event`, `talk`, `speaker` or `member`.
    pub kind: &'static str,
    pub title: Cow<'a, str>,
    /// The link, with the site root and `#anchor` where there is one.
    pub url: String,
    /// Plain text, indexed in full; its start is kept for snippets.
    pub text: Cow<'a, str>,
}

/// The documents of the plan, in the plan's order of pages.
pub fn documents<'a>(plan: &'a Plan<'_>, md: &'a [Rendered]) -> Vec<Document<'a>> {
    let transcripts: FxHashSet<&str> = plan
        .talks
        .iter()
        .filter_map(|t| t.talk().transcript.as_deref())
        .collect();
    let posts: FxHashSet<&str> = plan.posts.iter().map(|p| p.key.as_str()).collect();
    let kinds = PageKinds { transcripts, posts };
    let per_page: Vec<Vec<Document>> = plan
        .pages
        .par_iter()
        .map(|page| page_documents(plan, md, &kinds, page))
        .collect();
    per_page.into_iter().flatten().collect()
}

/// Which content pages are transcripts and which are posts.
struct PageKinds<'a> {
    transcripts: FxHashSet<&'a str>,
    posts: FxHashSet<&'a str>,
}

fn page_documents<'a>(
    plan: &'a Plan<'_>,
    md: &'a [Rendered],
    kinds: &PageKinds<'_>,
    page: &'a PlannedPage<'_>,
) -> Vec<Document<'a>> {
    let site = plan.site;
    let url = site.config.urls.path(&page.url_path);
    let plain = |id: Option<MdId>| id.map_or(Cow::Borrowed(""), |id| plain_text(&md[id.0]));
    let field = |f: &'a Option<String>| Cow::Borrowed(f.as_deref().unwrap_or(""));
    let tags = |tags: &'a [Tag]| tags.iter().map(|t| Cow::Borrowed(t.name.as_str()));
    let mut docs = Vec::new();
    match &page.job {
        PageJob::Event(e) => {
            let mut text = vec![field(&e.summary)];
            if let Some(v) = &e.venue {
                text.extend(v.name.as_deref().map(Cow::Borrowed));
                text.extend(v.city.as_deref().map(Cow::Borrowed));
            }
            text.extend(tags(&e.tags));
            text.push(plain(e.description));
            docs.push(Document {
                kind: "event",
                title: Cow::Borrowed(&e.title),
                url: url.clone(),
                text: join(text),
            });
            for talk in &e.talks {
                let mut text: Vec<Cow<str>> = talk
                    .speakers
                    .iter()
                    .map(|p| Cow::Borrowed(person_name(site, p)))
                    .collect();
                text.push(Cow::Borrowed(&e.title));
                text.push(plain(talk.abstract_));
                docs.push(Document {
                    kind: "talk",
                    title: Cow::Borrowed(&talk.title),
                    url: url.clone(),
                    text: join(text),
                });
            }
        }
        PageJob::Speaker(s) => docs.push(Document {
            kind: "speaker",
            title: Cow::Borrowed(&s.name),
            url,
            text: join(vec![field(&s.headline), plain(s.bio)]),
        }),
        PageJob::Member(m) => {
            let mut text = vec![field(&m.headline)];
            text.extend(m.city.as_deref().map(Cow::Borrowed));
            text.extend(tags(&m.tags));
            text.push(plain(m.bio));
            docs.push(Document {
                kind: "member",
                title: Cow::Borrowed(&m.name),
                url,
                text: join(text),
            });
        }
        PageJob::Page(p) | PageJob::Section(p) => {
            let kind = if kinds.transcripts.contains(p.key.as_str()) {
                "transcript"
            } else if kinds.posts.contains(p.key.as_str()) {
                "post"
            } else {
                "page"
            };
            let mut intro = vec![field(&p.summary)];
            intro.extend(tags(&p.tags));
            let sections = sections(&md[p.body.0]);
            let length: usize = sections.iter().map(|s| s.text.chars().count()).sum();
            if length <= SECTION_THRESHOLD || sections.len() < 2 {
                intro.extend(
                    sections
                        .into_iter()
                        .map(|s| Cow::Owned(format!("{} {}", s.heading, s.text))),
                );
                docs.push(Document {
                    kind,
                    title: Cow::Borrowed(&p.title),
                    url,
                    text: join(intro),
                });
                return docs;
            }
            let mut intro = Some(intro);
            for s in sections {
                let (title, url) = match &s.anchor {
                    None => (Cow::Borrowed(p.title.as_str()), url.clone()),
                    Some(a) => (
                        Cow::Owned(format!("{} › {}", p.title, s.heading)),
                        format!("{url}#{a}"),
                    ),
                };
                // The summary and tags go with the first part of the page.
                let text = match intro.take() {
                    Some(mut intro) => {
                        intro.push(s.text);
                        join(intro)
                    }
                    None => s.text,
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
    docs
}

/// The parts that are not empty, trimmed, joined by ` · `.
fn join<'a>(parts: Vec<Cow<'a, str>>) -> Cow<'a, str> {
    let mut parts = parts.into_iter().filter(|p| !p.trim().is_empty());
    let Some(first) = parts.next() else {
        return Cow::Borrowed("");
    };
    let mut rest = parts.peekable();
    if rest.peek().is_none() {
        return match first {
            Cow::Borrowed(text) => Cow::Borrowed(text.trim()),
            Cow::Owned(text) => Cow::Owned(text.trim().to_string()),
        };
    }
    let mut text = first.trim().to_string();
    for part in rest {
        text.push_str(" · ");
        text.push_str(part.trim());
    }
    Cow::Owned(text)
}

/// A part of a rendered text: before the first heading (no anchor) or under one heading.
struct Section<'a> {
    anchor: Option<Cow<'a, str>>,
    heading: Cow<'a, str>,
    text: Cow<'a, str>,
}

/// The sections of a rendered text: from the Markdown stage's plain text, or, for a
/// text with raw HTML, read from its HTML.
fn sections(rendered: &Rendered) -> Vec<Section<'_>> {
    let Some(plain) = &rendered.plain else {
        return html_sections(&rendered.html);
    };
    let text = plain.text.as_str();
    let mut sections = Vec::with_capacity(plain.headings.len() + 1);
    let intro = text[..plain.headings.first().map_or(text.len(), |h| h.start)].trim();
    if !intro.is_empty() {
        sections.push(Section {
            anchor: None,
            heading: Cow::Borrowed(""),
            text: Cow::Borrowed(intro),
        });
    }
    for (i, heading) in plain.headings.iter().enumerate() {
        let end = plain.headings.get(i + 1).map_or(text.len(), |h| h.start);
        sections.push(Section {
            anchor: rendered
                .headings
                .get(i)
                .map(|h| Cow::Borrowed(h.id.as_str())),
            heading: Cow::Borrowed(text[heading.clone()].trim()),
            text: Cow::Borrowed(text[heading.end..end].trim()),
        });
    }
    sections
}

/// The plain text of a rendered text.
fn plain_text(rendered: &Rendered) -> Cow<'_, str> {
    match &rendered.plain {
        Some(plain) => Cow::Borrowed(&plain.text),
        None => Cow::Owned(html_text(&rendered.html)),
    }
}

/// The plain text of rendered HTML, tags dropped and entities decoded.
pub fn html_text(html: &str) -> String {
    let mut text = String::new();
    for s in html_sections(html) {
        for part in [s.heading, s.text] {
            if !part.is_empty() {
                if !text.is_empty() {
                    text.push(' ');
                }
                text.push_str(&part);
            }
        }
    }
    text
}

/// Elements whose text runs on with the text around them; any other tag separates words
/// (`<p>a</p><p>b</p>` is "a b", not "ab").
fn is_inline(name: &str) -> bool {
    if name.len() > 6 {
        return false;
    }
    let mut lower = [0u8; 6];
    lower[..name.len()].copy_from_slice(name.as_bytes());
    lower.make_ascii_lowercase();
    matches!(
        &lower[..name.len()],
        b"a" | b"abbr"
            | b"b"
            | b"cite"
            | b"code"
            | b"del"
            | b"em"
            | b"i"
            | b"ins"
            | b"kbd"
            | b"mark"
            | b"q"
            | b"s"
            | b"small"
            | b"span"
            | b"strong"
            | b"sub"
            | b"sup"
            | b"u"
    )
}

/// Splits rendered HTML at its headings (`<h2 id="...">`), as plain text with runs of
/// white space made one space. The text of `<script>` and `<style>` is left out.
fn html_sections(html: &str) -> Vec<Section<'static>> {
    let mut sections = vec![HtmlSection::default()];
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
        let closing = tag.starts_with('/');
        let name = tag.trim_start_matches('/');
        let name_len = name
            .bytes()
            .take_while(|b| b.is_ascii_alphanumeric())
            .count();
        let name = &name[..name_len];
        let is_heading = name.len() == 2
            && matches!(name.as_bytes()[0], b'h' | b'H')
            && name.as_bytes()[1].is_ascii_digit();
        if is_heading && !closing {
            let anchor = tag
                .split_once("id=\"")
                .and_then(|(_, after)| after.split_once('"'))
                .map(|(id, _)| html_escape::decode_html_entities(id).into_owned());
            sections.push(HtmlSection {
                anchor,
                ..HtmlSection::default()
            });
            in_heading = true;
        } else if is_heading {
            in_heading = false;
        } else if !closing
            && (name.eq_ignore_ascii_case("script") || name.eq_ignore_ascii_case("style"))
        {
            let end = format!("</{}", name.to_ascii_lowercase());
            rest = match rest.to_ascii_lowercase().find(&end) {
                Some(at) => &rest[at..],
                None => "",
            };
        } else if !is_inline(name) {
            push_text(&mut sections, in_heading, " ");
        }
    }
    push_text(&mut sections, in_heading, rest);
    for s in &mut sections {
        trim_end_in_place(&mut s.heading);
        trim_end_in_place(&mut s.text);
    }
    sections.retain(|s| s.anchor.is_some() || !s.text.is_empty());
    sections
        .into_iter()
        .map(|s| Section {
            anchor: s.anchor.map(Cow::Owned),
            heading: Cow::Owned(s.heading),
            text: Cow::Owned(s.text),
        })
        .collect()
}

#[derive(Default)]
struct HtmlSection {
    anchor: Option<String>,
    heading: String,
    text: String,
}

fn trim_end_in_place(text: &mut String) {
    let len = text.trim_end().len();
    text.truncate(len);
}

fn push_text(sections: &mut [HtmlSection], in_heading: bool, raw: &str) {
    if raw.is_empty() {
        return;
    }
    // The first section always exists.
    let last = sections.last_mut().unwrap();
    let into = if in_heading {
        &mut last.heading
    } else {
        &mut last.text
    };
    if raw.contains('&') {
        crate::markdown::push_squashed(into, &html_escape::decode_html_entities(raw));
    } else {
        crate::markdown::push_squashed(into, raw);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sections_follow_headings() {
        let s = html_sections(
            "<p>Intro &amp; more</p><h2 id=\"a-b\">A <em>b</em></h2><p>one</p>\n<p>two</p>",
        );
        assert_eq!(s.len(), 2);
        assert_eq!(s[0].text, "Intro & more");
        assert_eq!(s[1].anchor.as_deref(), Some("a-b"));
        assert_eq!(s[1].heading, "A b");
        assert_eq!(s[1].text, "one two");
    }

    #[test]
    fn sections_of_the_plain_text_are_those_of_the_html() {
        for text in [
            "Intro *em* `code`\n\n## One\n\ntext &amp; more\n\n## One\n\nagain\n\n### 三 `x`\n\n中文，\n第二行",
            "## Only a heading",
            "# Top {#given}\n\n- a\n- b\n\n## \n\nempty heading",
            "no heading at all",
            "",
        ] {
            let rendered = crate::markdown::rendered(text);
            assert!(rendered.plain.is_some(), "{text}");
            let from_plain = sections(&rendered);
            let from_html = html_sections(&rendered.html);
            let parts = |s: &[Section]| -> Vec<(Option<String>, String, String)> {
                s.iter()
                    .map(|s| {
                        let anchor = s.anchor.as_ref().map(|a| a.to_string());
                        (anchor, s.heading.to_string(), s.text.to_string())
                    })
                    .collect()
            };
            assert_eq!(parts(&from_plain), parts(&from_html), "{text}");
        }
    }

    #[test]
    fn inline_tags_join_and_scripts_are_left_out() {
        assert_eq!(
            html_text("<p>数<strong>据</strong>库</p><script>var x = 1;</script><p>end</p>"),
            "数据库 end"
        );
        assert_eq!(html_text("<ul>\n<li>a</li>\n<li>b</li>\n</ul>"), "a b");
    }
}
