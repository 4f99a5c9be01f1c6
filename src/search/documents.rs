//! What the search index holds: one document per searchable thing of the plan (a content
//! page, or a section of a long one; an event; a talk; a speaker; a listed member), with
//! the plain text of its rendered Markdown. Reads the plan only, which is the one place
//! deciding what is public, so an unlisted member or a left-out draft cannot reach the
//! index. `index` turns the documents into files.

use rayon::prelude::*;
use rustc_hash::FxHashSet;

use crate::markdown::Rendered;
use crate::model::*;
use crate::plan::{person_name, PageJob, Plan, PlannedPage};

/// A page longer than this, in characters, with headings, is indexed a section at a time,
/// so that a match links to its heading.
const SECTION_THRESHOLD: usize = 1500;

/// One searchable thing: a page (or one section of a long page), an event, a talk, a
/// speaker or a listed member.
#[derive(Debug, Clone)]
pub struct Document {
    /// `page`, `post`, `transcript`, `event`, `talk`, `speaker` or `member`.
    pub kind: &'static str,
    pub title: String,
    /// The link, with the site root and `#anchor` where there is one.
    pub url: String,
    /// Plain text, indexed in full; its start is kept for snippets.
    pub text: String,
}

/// The documents of the plan, in the plan's order of pages.
pub fn documents(plan: &Plan<'_>, md: &[Rendered]) -> Vec<Document> {
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

fn page_documents(
    plan: &Plan<'_>,
    md: &[Rendered],
    kinds: &PageKinds<'_>,
    page: &PlannedPage<'_>,
) -> Vec<Document> {
    let site = plan.site;
    let url = site.config.urls.path(&page.url_path);
    let plain = |id: Option<MdId>| id.map(|id| html_text(&md[id.0].html)).unwrap_or_default();
    let mut docs = Vec::new();
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
                url: url.clone(),
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
                    url: url.clone(),
                    text: join(text),
                });
            }
        }
        PageJob::Speaker(s) => docs.push(Document {
            kind: "speaker",
            title: s.name.clone(),
            url,
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
            let mut intro = vec![p.summary.clone().unwrap_or_default()];
            intro.extend(p.tags.iter().map(|t| t.name.clone()));
            let sections = html_sections(&md[p.body.0].html);
            let length: usize = sections.iter().map(|s| s.text.chars().count()).sum();
            if length <= SECTION_THRESHOLD || sections.len() < 2 {
                intro.extend(sections.into_iter().map(|s| s.heading + " " + &s.text));
                docs.push(Document {
                    kind,
                    title: p.title.clone(),
                    url,
                    text: join(intro),
                });
                return docs;
            }
            let mut intro = Some(intro);
            for s in sections {
                let (title, url, text) = match &s.anchor {
                    None => (p.title.clone(), url.clone(), s.text),
                    Some(a) => (
                        format!("{} › {}", p.title, s.heading),
                        format!("{url}#{a}"),
                        s.text,
                    ),
                };
                // The summary and tags go with the first part of the page.
                let text = match intro.take() {
                    Some(mut intro) => {
                        intro.push(text);
                        join(intro)
                    }
                    None => text,
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
            sections.push(Section {
                anchor,
                heading: String::new(),
                text: String::new(),
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
}

fn trim_end_in_place(text: &mut String) {
    let len = text.trim_end().len();
    text.truncate(len);
}

fn push_text(sections: &mut [Section], in_heading: bool, raw: &str) {
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
        push_squashed(into, &html_escape::decode_html_entities(raw));
    } else {
        push_squashed(into, raw);
    }
}

/// Appends `text` with each run of white space as one space, and none at the start.
/// Only ASCII white space is folded, the only kind HTML folds.
fn push_squashed(into: &mut String, text: &str) {
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i].is_ascii_whitespace() {
            while i < bytes.len() && bytes[i].is_ascii_whitespace() {
                i += 1;
            }
            if !into.is_empty() && !into.ends_with(' ') {
                into.push(' ');
            }
            continue;
        }
        let start = i;
        while i < bytes.len() && !bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        // Both ends are at ASCII bytes or the ends of `text`: character boundaries.
        into.push_str(&text[start..i]);
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
    fn inline_tags_join_and_scripts_are_left_out() {
        assert_eq!(
            html_text("<p>数<strong>据</strong>库</p><script>var x = 1;</script><p>end</p>"),
            "数据库 end"
        );
        assert_eq!(html_text("<ul>\n<li>a</li>\n<li>b</li>\n</ul>"), "a b");
    }
}
