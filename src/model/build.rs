//! Building the model from the files `load` read: each record file is parsed into its
//! file shape (in parallel), then checked and turned into a model value with every
//! reference resolved (hosts, speakers, chapters, series, roles, authors, `event =`,
//! transcripts). Problems become diagnostics at the offending key; a record with an
//! error is left out, so later stages only see valid values. `@` links inside Markdown
//! are resolved later, by `markdown`.

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;

use rayon::prelude::*;
use toml::value::Datetime;
use unicode_normalization::UnicodeNormalization;

use super::time::{self, EventTime, Moment, Zone};
use super::*;
use crate::diag::{closest, Diagnostic, Diagnostics, Source, SourceRef};
use crate::load::frontmatter::{self, SplitError};
use crate::load::records::*;
use crate::load::{AssetFile, RecordSource, SiteFiles};
use crate::urls::{check_url, UrlKind};

/// Builds the model. Returns `None` when the charter is unusable; otherwise a model of
/// every valid record, with diagnostics for the rest.
pub fn build(
    config: Config,
    files: SiteFiles,
    include_drafts: bool,
    diags: &mut Diagnostics,
) -> Option<Site> {
    let members = parse_records::<MemberFile>(&files.members, "a member record", diags);
    let speakers = parse_records::<SpeakerFile>(&files.speakers, "a speaker record", diags);
    let chapters = parse_records::<ChapterFile>(&files.chapters, "a chapter record", diags);
    let series = parse_records::<SeriesFile>(&files.series, "a series record", diags);
    let events = parse_records::<EventFile>(&files.events, "an event record", diags);
    let pages = parse_pages(&files.content, diags);

    let mut b = Builder {
        config: &config,
        diags,
        markdown: Vec::new(),
        ids: Ids::default(),
        assets: &files.record_assets,
    };
    let charter = b.charter(files.charter.as_ref());

    // Ids first, so that every reference can be checked whatever the file order.
    // Ids come from the files, not from the records that parsed: a record with an
    // error of its own still exists, so naming it is not a second error.
    b.ids.members = b.collect_ids(&files.members, "members");
    b.ids.speakers = b.collect_ids(&files.speakers, "speakers");
    b.ids.chapters = b.collect_ids(&files.chapters, "chapters");
    b.ids.series = b.collect_ids(&files.series, "series");
    b.ids.events = b.collect_ids(&files.events, "events");
    // A record that could not be read (not UTF-8, say) exists all the same.
    for path in &files.unreadable {
        let Some((folder, stem)) = path.split_once('/') else {
            continue;
        };
        let Some(stem) = stem.strip_suffix(".toml") else {
            continue;
        };
        if check_stem(stem).is_err() {
            continue;
        }
        let ids = match folder {
            "members" => &mut b.ids.members,
            "speakers" => &mut b.ids.speakers,
            "chapters" => &mut b.ids.chapters,
            "series" => &mut b.ids.series,
            "events" => &mut b.ids.events,
            _ => continue,
        };
        ids.insert(stem.to_string());
    }
    for RecordSource { stem, source } in &files.speakers {
        if b.ids.members.contains(stem) {
            b.diags.push(
                Diagnostic::error(format!(
                    "speaker id `{stem}` is also a member handle (members/{stem}.toml)"
                ))
                .in_file(&source.path)
                .with_help(
                    "member handles and speaker ids share one namespace: rename one of the files",
                ),
            );
        }
    }
    b.ids.speakers.retain(|s| !b.ids.members.contains(s));
    b.ids.unlisted = members
        .iter()
        .filter(|(_, f, _)| f.listed == Some(false))
        .map(|(stem, _, _)| stem.clone())
        .collect();
    if let Some(c) = &charter {
        b.ids.roles = c.roles.iter().map(|r| r.id.0.clone()).collect();
        b.ids.rules = c.rules.iter().map(|r| r.id.0.clone()).collect();
    }
    let mut page_keys = BTreeSet::new();
    let mut left_out_drafts = BTreeSet::new();
    for (source, split, fm) in &pages {
        let _ = split;
        if fm.draft == Some(true) && !include_drafts {
            left_out_drafts.insert(source.path.clone());
        } else {
            page_keys.insert(source.path.clone());
        }
    }
    // A page whose front matter has errors still exists for links and `transcript`.
    let parsed: BTreeSet<&str> = pages.iter().map(|(s, _, _)| s.path.as_str()).collect();
    page_keys.extend(
        files
            .content
            .iter()
            .filter(|f| !parsed.contains(f.path.as_str()))
            .map(|f| f.path.clone()),
    );
    page_keys.extend(
        files
            .unreadable
            .iter()
            .filter(|p| p.starts_with("content/") && p.ends_with(".md"))
            .map(|p| p.nfc().collect::<String>()),
    );
    b.ids.pages = page_keys;
    b.ids.left_out_drafts = left_out_drafts.clone();

    let valid = b.ids.clone();
    let members: BTreeMap<MemberId, Member> = members
        .into_iter()
        .filter(|(stem, _, _)| valid.members.contains(stem))
        .filter_map(|(stem, f, s)| b.member(stem, f, s).map(|m| (m.handle.clone(), m)))
        .collect();
    let speakers: BTreeMap<SpeakerId, Speaker> = speakers
        .into_iter()
        .filter(|(stem, _, _)| valid.speakers.contains(stem))
        .filter_map(|(stem, f, s)| b.speaker(stem, f, s).map(|m| (m.id.clone(), m)))
        .collect();
    let chapters: BTreeMap<ChapterId, Chapter> = chapters
        .into_iter()
        .filter(|(stem, _, _)| valid.chapters.contains(stem))
        .filter_map(|(stem, f, s)| b.chapter(stem, f, s).map(|m| (m.id.clone(), m)))
        .collect();
    let series: BTreeMap<SeriesId, Series> = series
        .into_iter()
        .filter(|(stem, _, _)| valid.series.contains(stem))
        .filter_map(|(stem, f, s)| b.series(stem, f, s).map(|m| (m.id.clone(), m)))
        .collect();
    let events: BTreeMap<EventId, Event> = events
        .into_iter()
        .filter(|(stem, _, _)| valid.events.contains(stem))
        .filter_map(|(stem, f, s)| b.event(stem, f, s).map(|m| (m.id.clone(), m)))
        .collect();
    b.check_series_numbers(&events);
    let section_keys: BTreeSet<String> = pages
        .iter()
        .filter(|(s, _, _)| s.path.ends_with("/_index.md"))
        .map(|(s, _, _)| s.path.clone())
        .collect();
    let pages: BTreeMap<String, Page> = pages
        .into_iter()
        .filter(|(s, _, _)| valid.pages.contains(&s.path))
        .filter_map(|(s, split, fm)| b.page(s, split, fm, &section_keys))
        .map(|p| (p.key.clone(), p))
        .collect();

    // Records and pages that exist but were left out for their own errors.
    let mut records_with_errors = BTreeSet::new();
    let mut left_out = |kind: &str, ids: &BTreeSet<String>, is_built: &dyn Fn(&str) -> bool| {
        for id in ids.iter().filter(|id| !is_built(id)) {
            records_with_errors.insert(format!("{kind}/{id}"));
        }
    };
    left_out("member", &valid.members, &|id| members.contains_key(id));
    left_out("speaker", &valid.speakers, &|id| speakers.contains_key(id));
    left_out("chapter", &valid.chapters, &|id| chapters.contains_key(id));
    left_out("series", &valid.series, &|id| series.contains_key(id));
    left_out("event", &valid.events, &|id| events.contains_key(id));
    left_out("page", &valid.pages, &|id| pages.contains_key(id));

    let charter = charter?;
    let mut assets = files.static_files;
    assets.extend(files.content_assets);
    let markdown = b.markdown;
    Some(Site {
        config,
        charter,
        members,
        speakers,
        chapters,
        series,
        events,
        pages,
        left_out_drafts,
        records_with_errors,
        markdown,
        assets,
    })
}

type Parsed<T> = Vec<(String, T, SourceRef)>;

/// Parses record files in parallel; the results keep file order.
fn parse_records<T: serde::de::DeserializeOwned + Send>(
    files: &[RecordSource],
    what: &str,
    diags: &mut Diagnostics,
) -> Parsed<T> {
    let results: Vec<(Option<T>, Diagnostics)> = files
        .par_iter()
        .map(|r| {
            let mut d = Diagnostics::new();
            let value =
                crate::load::toml::parse::<T>(&r.source, 0..r.source.text.len(), what, &mut d);
            (value, d)
        })
        .collect();
    let mut out = Vec::new();
    for (r, (value, d)) in files.iter().zip(results) {
        diags.extend(d.items().iter().cloned());
        if let Some(v) = value {
            out.push((r.stem.clone(), v, r.source.clone()));
        }
    }
    out
}

type ParsedPage = (SourceRef, frontmatter::Split, PageFrontMatter);

fn parse_pages(files: &[SourceRef], diags: &mut Diagnostics) -> Vec<ParsedPage> {
    let results: Vec<(Option<ParsedPage>, Diagnostics)> = files
        .par_iter()
        .map(|source| {
            let mut d = Diagnostics::new();
            let parsed = split_front_matter(source, "a content page", &mut d).and_then(|split| {
                crate::load::toml::parse::<PageFrontMatter>(
                    source,
                    split.front_matter.clone(),
                    "page front matter",
                    &mut d,
                )
                .map(|fm| (source.clone(), split, fm))
            });
            (parsed, d)
        })
        .collect();
    let mut out = Vec::new();
    for (parsed, d) in results {
        diags.extend(d.items().iter().cloned());
        out.extend(parsed);
    }
    out
}

pub fn split_front_matter(
    source: &Source,
    what: &str,
    diags: &mut Diagnostics,
) -> Option<frontmatter::Split> {
    match frontmatter::split(&source.text) {
        Ok(s) => Some(s),
        Err(SplitError::Missing) => {
            let first_line = source.text.lines().next().unwrap_or("").trim_end();
            // Jekyll and Hugo users write YAML between `---` lines.
            let help = if first_line == "---" {
                "shequn's front matter is TOML between `+++` lines: replace both `---` lines with `+++` and write keys as `title = \"…\"`"
            } else {
                "start the file with a `+++` line, TOML keys such as `title = \"…\"`, and a closing `+++` line"
            };
            diags.push(
                Diagnostic::error(format!("missing front matter in {what}"))
                    .at(
                        source,
                        0..source.text.find('\n').unwrap_or(source.text.len()).min(3),
                    )
                    .with_help(help),
            );
            None
        }
        Err(SplitError::Unclosed) => {
            diags.push(
                Diagnostic::error(format!("front matter of {what} is not closed"))
                    .at(source, 0..3)
                    .with_help("add a line with `+++` after the front matter"),
            );
            None
        }
    }
}

#[derive(Default, Clone)]
struct Ids {
    members: BTreeSet<String>,
    unlisted: BTreeSet<String>,
    speakers: BTreeSet<String>,
    chapters: BTreeSet<String>,
    series: BTreeSet<String>,
    events: BTreeSet<String>,
    roles: BTreeSet<String>,
    rules: BTreeSet<String>,
    pages: BTreeSet<String>,
    left_out_drafts: BTreeSet<String>,
}

struct Builder<'a> {
    config: &'a Config,
    diags: &'a mut Diagnostics,
    markdown: Vec<Markdown>,
    ids: Ids,
    assets: &'a [AssetFile],
}

/// A file and the offset of the TOML text inside it (non-zero for front matter).
#[derive(Clone, Copy)]
struct At<'s> {
    source: &'s SourceRef,
    base: usize,
}

impl At<'_> {
    fn span(&self, span: Range<usize>) -> Range<usize> {
        self.base + span.start..self.base + span.end
    }
}

/// What kind of thing a reference names, for messages and suggestions.
#[derive(Clone, Copy)]
enum RefKind {
    Member,
    Chapter,
    Series,
    Role,
}

impl Builder<'_> {
    fn error(&mut self, at: At<'_>, span: Range<usize>, message: String, help: Option<String>) {
        self.diags.push(
            Diagnostic::error(message)
                .at(at.source, at.span(span))
                .with_help_opt(help),
        );
    }

    fn collect_ids(&mut self, files: &[RecordSource], folder: &str) -> BTreeSet<String> {
        let mut ids = BTreeSet::new();
        for RecordSource { stem, source } in files {
            match check_stem(stem) {
                Ok(()) => {
                    ids.insert(stem.clone());
                }
                Err((reason, suggestion)) => self.diags.push(
                    Diagnostic::error(format!(
                        "file name `{stem}.toml` is not a valid id: {reason}"
                    ))
                    .in_file(&source.path)
                    .with_help_opt(suggestion.map(|s| format!("rename it to `{folder}/{s}.toml`"))),
                ),
            }
        }
        ids
    }

    /// A plain-text field: control characters would break feeds, calendars and pages.
    fn text(&mut self, at: At<'_>, value: &S<String>, field: &str) -> Option<String> {
        let s = value.get_ref();
        if let Some(c) = s.chars().find(|c| is_refused_char(*c)) {
            self.error(
                at,
                value.span(),
                format!(
                    "`{field}` contains the control character U+{:04X}",
                    c as u32
                ),
                Some("remove it; control characters are not allowed in text fields".into()),
            );
            return None;
        }
        Some(s.trim().to_string())
    }

    /// A one-line field (`title`, `name`, `summary`): new lines are folded into spaces.
    fn line(&mut self, at: At<'_>, value: &S<String>, field: &str) -> Option<String> {
        let text = self.text(at, value, field)?;
        Some(text.split_whitespace().collect::<Vec<_>>().join(" "))
    }

    fn required_line(&mut self, at: At<'_>, value: &S<String>, field: &str) -> Option<String> {
        let line = self.line(at, value, field)?;
        if line.is_empty() {
            self.error(at, value.span(), format!("`{field}` is empty"), None);
            return None;
        }
        Some(line)
    }

    fn opt_line(&mut self, at: At<'_>, value: &Option<S<String>>, field: &str) -> Option<String> {
        value
            .as_ref()
            .and_then(|v| self.line(at, v, field))
            .filter(|s| !s.is_empty())
    }

    /// A Markdown field (a TOML string, so its text is owned). Control characters are
    /// refused as in plain fields: the text reaches feeds, calendars and the search index.
    fn md(&mut self, at: At<'_>, value: &S<String>, trusted: bool) -> MdId {
        if let Some(c) = value.get_ref().chars().find(|c| is_refused_char(*c)) {
            self.error(
                at,
                value.span(),
                format!("the text contains the control character U+{:04X}", c as u32),
                Some("remove it; control characters are not allowed in text fields".into()),
            );
        }
        self.push_md(
            at.source,
            at.span(value.span()),
            Some(value.get_ref().clone()),
            trusted,
        )
    }

    fn opt_md(&mut self, at: At<'_>, value: &Option<S<String>>, trusted: bool) -> Option<MdId> {
        value
            .as_ref()
            .filter(|v| !v.get_ref().trim().is_empty())
            .map(|v| self.md(at, v, trusted))
    }

    /// A page or charter body, read from its source file when rendered. A control
    /// character in it is a character of the file, refused where it is by `load`.
    fn body_md(&mut self, source: &SourceRef, range: Range<usize>, trusted: bool) -> MdId {
        self.push_md(source, range, None, trusted)
    }

    /// Adds a Markdown text. Raw HTML passes only where the site's policy allows:
    /// `trusted` texts are the organisers' (content, charter, events), the others come
    /// from member and speaker records.
    fn push_md(
        &mut self,
        source: &SourceRef,
        raw_span: Range<usize>,
        owned: Option<String>,
        trusted: bool,
    ) -> MdId {
        let allows_raw_html = match self.config.raw_html {
            RawHtml::All => true,
            RawHtml::None => false,
            RawHtml::Content => trusted,
        };
        let id = MdId(self.markdown.len());
        self.markdown.push(Markdown {
            owned,
            source: source.clone(),
            raw_span,
            allows_raw_html,
        });
        id
    }

    /// A URL field (SPEC §2): the allow-list, and site paths prefixed with the root.
    fn url(&mut self, at: At<'_>, value: &S<String>, field: &str) -> Option<Href> {
        let raw = value.get_ref();
        match check_url(raw, false) {
            Ok(UrlKind::At) => {
                self.error(
                    at,
                    value.span(),
                    format!("`{field}` must be a URL, not an `@` link"),
                    Some("`@` links work inside Markdown text".into()),
                );
                None
            }
            Ok(kind) => Some(self.config.urls.link(raw, &kind)),
            Err(reason) => {
                self.error(
                    at,
                    value.span(),
                    format!("`{field}` is not an allowed URL: {reason}"),
                    None,
                );
                None
            }
        }
    }

    fn opt_url(&mut self, at: At<'_>, value: &Option<S<String>>, field: &str) -> Option<Href> {
        value.as_ref().and_then(|v| self.url(at, v, field))
    }

    fn links(&mut self, at: At<'_>, links: &Links) -> Vec<Link> {
        let mut out = Vec::new();
        for (label, url) in links {
            if let Some(c) = label.chars().find(|c| is_refused_char(*c)) {
                // The key has no span of its own; its value is on the same line.
                self.error(
                    at,
                    url.span(),
                    format!(
                        "link label `{}` contains the control character U+{:04X}",
                        label.escape_debug(),
                        c as u32
                    ),
                    Some("remove it; control characters are not allowed in text fields".into()),
                );
                continue;
            }
            let field = format!("links.{label}");
            if let Some(u) = self.url(at, url, &field) {
                out.push(Link {
                    label: label.clone(),
                    url: u,
                });
            }
        }
        out
    }

    /// An image path: a URL, a path into `static/` (`/avatars/x.png`), or a file beside
    /// the record (`li-lei.jpg` next to `members/li-lei.toml`). Never outside the site.
    fn image(&mut self, at: At<'_>, value: &S<String>, field: &str, folder: &str) -> Option<Image> {
        let raw = value.get_ref();
        if raw.contains("..") || raw.contains('\\') || raw.contains('\0') || raw.contains('%') {
            self.error(
                at,
                value.span(),
                format!("`{field}` path `{raw}` may not contain `..`, `\\`, `%` or NUL"),
                Some("put the image in `static/` and write its path from there, e.g. `/avatars/x.png`".into()),
            );
            return None;
        }
        match check_url(raw, true) {
            Ok(UrlKind::External) => Some(Image {
                url: raw.clone(),
                copy: None,
            }),
            Ok(UrlKind::SitePath) => Some(Image {
                url: self.config.urls.path(raw),
                copy: None,
            }),
            Ok(UrlKind::Relative) => {
                let site_path = format!("{folder}/{raw}");
                match self.assets.iter().find(|a| a.site_path == site_path) {
                    Some(asset) => Some(Image {
                        url: self.config.urls.path(&asset.output_path),
                        copy: Some(asset.clone()),
                    }),
                    None => {
                        self.error(
                            at,
                            value.span(),
                            format!("`{field}` names `{site_path}`, which does not exist"),
                            Some("a path without a leading `/` is read beside the record; start it with `/` for a file in `static/`".into()),
                        );
                        None
                    }
                }
            }
            Ok(_) => {
                self.error(
                    at,
                    value.span(),
                    format!("`{field}` must be an image path or URL"),
                    None,
                );
                None
            }
            Err(reason) => {
                self.error(
                    at,
                    value.span(),
                    format!("`{field}` is not an allowed URL: {reason}"),
                    None,
                );
                None
            }
        }
    }

    fn opt_image(
        &mut self,
        at: At<'_>,
        value: &Option<S<String>>,
        field: &str,
        folder: &str,
    ) -> Option<Image> {
        value
            .as_ref()
            .and_then(|v| self.image(at, v, field, folder))
    }

    fn date(
        &mut self,
        at: At<'_>,
        value: &Option<S<Datetime>>,
        field: &str,
    ) -> Option<jiff::civil::Date> {
        let value = value.as_ref()?;
        match time::calendar_date(value.get_ref()) {
            Ok(d) => Some(d),
            Err(e) => {
                self.error(
                    at,
                    value.span(),
                    format!("`{field}`: {}", e.message),
                    e.help,
                );
                None
            }
        }
    }

    fn tags(&mut self, at: At<'_>, tags: &[S<String>]) -> Vec<Tag> {
        let mut out: Vec<Tag> = Vec::new();
        for t in tags {
            let Some(name) = self.line(at, t, "tags") else {
                continue;
            };
            let slug = tag_slug(&name);
            if slug.is_empty() {
                self.error(
                    at,
                    t.span(),
                    format!("tag `{name}` has no letters or digits to make a URL from"),
                    None,
                );
                continue;
            }
            if slug.len() > MAX_SEGMENT_BYTES {
                let shown: String = name.chars().take(40).collect();
                self.error(
                    at,
                    t.span(),
                    format!(
                        "tag `{shown}…` is too long to make a URL from ({} bytes; at most {MAX_SEGMENT_BYTES})",
                        slug.len()
                    ),
                    Some("file systems refuse longer file names; shorten the tag".into()),
                );
                continue;
            }
            let folded = |n: &str| n.nfc().flat_map(char::to_lowercase).collect::<String>();
            match out.iter().find(|o| o.slug == slug) {
                None => out.push(Tag { name, slug }),
                // `Rust` and `rust` are one tag; `a b` and `a-b` only share a URL.
                Some(o) if folded(&o.name) != folded(&name) => {
                    let first = o.name.clone();
                    self.error(
                        at,
                        t.span(),
                        format!("tags `{first}` and `{name}` both become the URL `/tags/{slug}/`"),
                        Some("use one spelling for the tag, or names that differ in letters or digits".into()),
                    );
                }
                Some(_) => {}
            }
        }
        out
    }

    /// Checks a reference to a record; unknown ids get the closest one as a suggestion.
    fn reference(
        &mut self,
        at: At<'_>,
        value: &S<String>,
        kind: RefKind,
        what: &str,
    ) -> Option<String> {
        let id = value.get_ref();
        let (set, folder, noun) = match kind {
            RefKind::Member => (&self.ids.members, "members", "member"),
            RefKind::Chapter => (&self.ids.chapters, "chapters", "chapter"),
            RefKind::Series => (&self.ids.series, "series", "series"),
            RefKind::Role => (&self.ids.roles, "", "role"),
        };
        if set.contains(id.as_str()) {
            if matches!(kind, RefKind::Member) && self.ids.unlisted.contains(id.as_str()) {
                self.error(
                    at,
                    value.span(),
                    format!("{what} `{id}` is an unlisted member (`listed = false`)"),
                    Some("unlisted members appear nowhere on the site; list them or name someone else".into()),
                );
                return None;
            }
            return Some(id.clone());
        }
        let help = closest(id, set.iter().map(String::as_str)).map(|c| {
            if folder.is_empty() {
                format!("did you mean `{c}`?")
            } else {
                format!("did you mean `{c}` ({folder}/{c}.toml)?")
            }
        });
        let help = help.or_else(|| match kind {
            RefKind::Role if set.is_empty() => None,
            RefKind::Role => Some(format!(
                "the charter's roles are: {}",
                set.iter().cloned().collect::<Vec<_>>().join(", ")
            )),
            _ => Some(format!("there is no `{folder}/{id}.toml`")),
        });
        self.error(
            at,
            value.span(),
            format!("{what} `{id}` is not a {noun}"),
            help,
        );
        None
    }

    fn person(&mut self, at: At<'_>, value: &S<String>) -> Option<PersonRef> {
        let id = value.get_ref();
        if self.ids.members.contains(id.as_str()) {
            return self
                .reference(at, value, RefKind::Member, "talk speaker")
                .map(|m| PersonRef::Member(MemberId(m)));
        }
        if self.ids.speakers.contains(id.as_str()) {
            return Some(PersonRef::Speaker(SpeakerId(id.clone())));
        }
        let all = self
            .ids
            .members
            .iter()
            .filter(|m| !self.ids.unlisted.contains(*m))
            .map(|m| (m, "members"));
        let all: Vec<(&String, &str)> = all
            .chain(self.ids.speakers.iter().map(|s| (s, "speakers")))
            .collect();
        let best = closest(id, all.iter().map(|(s, _)| s.as_str()));
        let help = best.map(|b| {
            let folder = all
                .iter()
                .find(|(s, _)| s.as_str() == b)
                .map_or("speakers", |(_, f)| f);
            format!("did you mean `{b}` ({folder}/{b}.toml)?")
        });
        self.error(
            at,
            value.span(),
            format!("talk speaker `{id}` is neither a member nor a speaker"),
            help.or(Some(format!(
                "add `speakers/{id}.toml` for a guest speaker"
            ))),
        );
        None
    }

    /// `@/path.md` → the key of a content page (`content/path.md`).
    fn page_reference(&mut self, at: At<'_>, value: &S<String>, field: &str) -> Option<String> {
        let raw = value.get_ref();
        let Some(path) = raw.strip_prefix("@/") else {
            self.error(
                at,
                value.span(),
                format!("`{field}` must name a content page as `@/path/page.md`"),
                None,
            );
            return None;
        };
        let key = match content_key(path) {
            Ok(k) => k,
            Err(reason) => {
                self.error(
                    at,
                    value.span(),
                    format!("`{field}` `{raw}`: {reason}"),
                    None,
                );
                return None;
            }
        };
        if self.ids.pages.contains(&key) {
            return Some(key);
        }
        if self.ids.left_out_drafts.contains(&key) {
            self.error(
                at,
                value.span(),
                format!("`{field}` names the draft page `{key}`"),
                Some("publish the page (remove `draft = true`) or build with `--drafts`".into()),
            );
            return None;
        }
        let help = closest(&key, self.ids.pages.iter().map(String::as_str))
            .map(|c| format!("did you mean `@/{}`?", c.trim_start_matches("content/")));
        self.error(
            at,
            value.span(),
            format!("`{field}` names `{key}`, which does not exist"),
            help,
        );
        None
    }

    /// A role or rule id: a valid stem, declared once (`taken` when an earlier one has it).
    fn charter_id(
        &mut self,
        at: At<'_>,
        id: &S<String>,
        kind: &str,
        taken: bool,
        twice_help: Option<&str>,
    ) -> Option<String> {
        let value = id.get_ref();
        if let Err((reason, suggestion)) = check_stem(value) {
            let help = suggestion.map(|s| format!("try `{s}`"));
            self.error(
                at,
                id.span(),
                format!("{kind} id `{value}` is not valid: {reason}"),
                help,
            );
            return None;
        }
        if taken {
            self.error(
                at,
                id.span(),
                format!("{kind} `{value}` is declared twice"),
                twice_help.map(str::to_string),
            );
            return None;
        }
        Some(value.clone())
    }

    fn charter(&mut self, source: Option<&SourceRef>) -> Option<Charter> {
        let source = source?;
        let split = split_front_matter(source, "the charter", self.diags)?;
        let file: CharterFile = crate::load::toml::parse(
            source,
            split.front_matter.clone(),
            "the charter",
            self.diags,
        )?;
        let at = At {
            source,
            base: split.front_matter.start,
        };
        let name = self.required_line(at, &file.name, "name");
        let tagline = self.opt_line(at, &file.tagline, "tagline");
        let founded = self.date(at, &file.founded, "founded");
        let purpose = self.opt_md(at, &file.purpose, true);
        let audience = self.opt_md(at, &file.audience, true);
        let values = file
            .values
            .iter()
            .filter_map(|v| {
                // Every field is checked, so one run reports all of a value's errors.
                let name = self.required_line(at, &v.name, "values.name");
                let description = self.opt_md(at, &v.description, true);
                Some(Value {
                    name: name?,
                    description,
                })
            })
            .collect();
        let mut roles: Vec<Role> = Vec::new();
        for r in &file.roles {
            let taken = roles.iter().any(|o| o.id.0 == *r.id.get_ref());
            let id = self.charter_id(at, &r.id, "role", taken, None);
            let title = self.required_line(at, &r.title, "roles.title");
            let description = self.opt_line(at, &r.description, "roles.description");
            let (Some(id), Some(title)) = (id, title) else {
                continue;
            };
            roles.push(Role {
                id: RoleId(id),
                title,
                description,
            });
        }
        let mut rules: Vec<Rule> = Vec::new();
        for r in &file.rules {
            let taken = rules.iter().any(|o| o.id.0 == *r.id.get_ref());
            let help = "each rule needs its own id: it is the anchor `#rule-<id>`";
            let id = self.charter_id(at, &r.id, "rule", taken, Some(help));
            let title = self.required_line(at, &r.title, "rules.title");
            let text = self.opt_md(at, &r.text, true);
            let (Some(id), Some(title)) = (id, title) else {
                continue;
            };
            rules.push(Rule {
                id: RuleId(id),
                title,
                text,
            });
        }
        let membership = file.membership.as_ref().map(|m| Membership {
            open: m.open.unwrap_or(true),
            threshold: self.opt_md(at, &m.threshold, true),
            apply_url: self.opt_url(at, &m.apply_url, "membership.apply_url"),
            tiers: m
                .tiers
                .iter()
                .filter_map(|t| {
                    let name = self.required_line(at, &t.name, "tiers.name");
                    let price = self.opt_line(at, &t.price, "tiers.price");
                    let perks = self.opt_md(at, &t.perks, true);
                    Some(Tier {
                        name: name?,
                        price,
                        perks,
                    })
                })
                .collect(),
        });
        let body = self.body_md(source, split.body.clone(), true);
        Some(Charter {
            source: source.clone(),
            name: name?,
            tagline,
            founded,
            purpose,
            audience,
            values,
            roles,
            rules,
            membership,
            body,
            extra: file.extra,
        })
    }

    fn member(&mut self, stem: String, f: MemberFile, source: SourceRef) -> Option<Member> {
        let at = At {
            source: &source,
            base: 0,
        };
        let errors = self.diags.error_count();
        let name = self.required_line(at, &f.name, "name");
        let role = match &f.role {
            // Without declared roles, a role is free text.
            Some(r) if self.ids.roles.is_empty() => self.line(at, r, "role"),
            Some(r) => self.reference(at, r, RefKind::Role, "role"),
            None => None,
        };
        let chapter = f
            .chapter
            .as_ref()
            .and_then(|c| self.reference(at, c, RefKind::Chapter, "chapter"));
        let member = Member {
            handle: MemberId(stem),
            name: name.unwrap_or_default(),
            role: role.map(RoleId),
            joined: self.date(at, &f.joined, "joined"),
            chapter: chapter.map(ChapterId),
            city: self.opt_line(at, &f.city, "city"),
            tags: self.tags(at, &f.tags),
            headline: self.opt_line(at, &f.headline, "headline"),
            bio: self.opt_md(at, &f.bio, false),
            avatar: self.opt_image(at, &f.avatar, "avatar", "members"),
            links: self.links(at, &f.links),
            is_listed: f.listed.unwrap_or(true),
            extra: f.extra,
            source: source.clone(),
        };
        (self.diags.error_count() == errors).then_some(member)
    }

    fn speaker(&mut self, stem: String, f: SpeakerFile, source: SourceRef) -> Option<Speaker> {
        let at = At {
            source: &source,
            base: 0,
        };
        let errors = self.diags.error_count();
        let speaker = Speaker {
            id: SpeakerId(stem),
            name: self.required_line(at, &f.name, "name").unwrap_or_default(),
            headline: self.opt_line(at, &f.headline, "headline"),
            bio: self.opt_md(at, &f.bio, false),
            avatar: self.opt_image(at, &f.avatar, "avatar", "speakers"),
            links: self.links(at, &f.links),
            extra: f.extra,
            source: source.clone(),
        };
        (self.diags.error_count() == errors).then_some(speaker)
    }

    fn chapter(&mut self, stem: String, f: ChapterFile, source: SourceRef) -> Option<Chapter> {
        let at = At {
            source: &source,
            base: 0,
        };
        let errors = self.diags.error_count();
        let organizers = f
            .organizers
            .iter()
            .filter_map(|o| {
                self.reference(at, o, RefKind::Member, "chapter organizer")
                    .map(MemberId)
            })
            .collect();
        let chapter = Chapter {
            id: ChapterId(stem),
            name: self.required_line(at, &f.name, "name").unwrap_or_default(),
            city: self.opt_line(at, &f.city, "city"),
            description: self.opt_md(at, &f.description, true),
            organizers,
            founded: self.date(at, &f.founded, "founded"),
            links: self.links(at, &f.links),
            extra: f.extra,
            source: source.clone(),
        };
        (self.diags.error_count() == errors).then_some(chapter)
    }

    fn series(&mut self, stem: String, f: SeriesFile, source: SourceRef) -> Option<Series> {
        let at = At {
            source: &source,
            base: 0,
        };
        let errors = self.diags.error_count();
        let series = Series {
            id: SeriesId(stem),
            name: self.required_line(at, &f.name, "name").unwrap_or_default(),
            description: self.opt_md(at, &f.description, true),
            cadence: self.opt_line(at, &f.cadence, "cadence"),
            extra: f.extra,
            source: source.clone(),
        };
        (self.diags.error_count() == errors).then_some(series)
    }

    fn moment(
        &mut self,
        at: At<'_>,
        value: &S<Datetime>,
        zone: &Zone,
        field: &str,
    ) -> Option<Moment> {
        match time::resolve(value.get_ref(), zone) {
            Ok(r) => {
                if let Some(w) = r.warning {
                    self.diags.push(
                        Diagnostic::warning(format!("`{field}`: {w}"))
                            .at(at.source, at.span(value.span())),
                    );
                }
                Some(r.moment)
            }
            Err(e) => {
                self.error(
                    at,
                    value.span(),
                    format!("`{field}`: {}", e.message),
                    e.help,
                );
                None
            }
        }
    }

    fn event(&mut self, stem: String, f: EventFile, source: SourceRef) -> Option<Event> {
        let at = At {
            source: &source,
            base: 0,
        };
        let errors = self.diags.error_count();
        let title = self.required_line(at, &f.title, "title");
        let zone = match &f.timezone {
            None => Some(self.config.zone.clone()),
            Some(z) => match time::zone(z.get_ref()) {
                Ok(zone) => Some(zone),
                Err(suggestion) => {
                    self.error(
                        at,
                        z.span(),
                        format!("unknown time zone `{}`", z.get_ref()),
                        suggestion.map(|s| format!("did you mean `{s}`?")),
                    );
                    None
                }
            },
        };
        let time = zone.as_ref().and_then(|zone| self.event_time(at, &f, zone));
        let series = f
            .series
            .as_ref()
            .and_then(|s| self.reference(at, s, RefKind::Series, "series"));
        let number = f.number.as_ref().and_then(|n| {
            let v = *n.get_ref();
            if v < 0 || v > i64::from(u32::MAX) {
                self.error(
                    at,
                    n.span(),
                    format!("`number` must be a whole number, 0 or more, not {v}"),
                    None,
                );
                None
            } else {
                Some(v as u32)
            }
        });
        if let (Some(n), None) = (&f.number, &f.series) {
            self.error(
                at,
                n.span(),
                "`number` needs a `series`".into(),
                Some("add `series = \"<series id>\"`".into()),
            );
        }
        let chapter = f
            .chapter
            .as_ref()
            .and_then(|c| self.reference(at, c, RefKind::Chapter, "chapter"));
        let venue = f.venue.as_ref().map(|v| {
            let v = v.get_ref();
            Venue {
                name: self.opt_line(at, &v.name, "venue.name"),
                address: self.opt_line(at, &v.address, "venue.address"),
                city: self.opt_line(at, &v.city, "venue.city"),
                map_url: self.opt_url(at, &v.map_url, "venue.map_url"),
            }
        });
        let hosts = f
            .hosts
            .iter()
            .filter_map(|h| self.reference(at, h, RefKind::Member, "host").map(MemberId))
            .collect();
        let capacity = f.capacity.as_ref().and_then(|c| {
            let v = *c.get_ref();
            if v < 0 || v > i64::from(u32::MAX) {
                self.error(
                    at,
                    c.span(),
                    format!("`capacity` must be a whole number, 0 or more, not {v}"),
                    None,
                );
                None
            } else {
                Some(v as u32)
            }
        });
        let status = match f.status.as_ref().map(|s| (s.get_ref().as_str(), s.span())) {
            None | Some(("scheduled", _)) => Status::Scheduled,
            Some(("cancelled", _)) => Status::Cancelled,
            Some(("postponed", _)) => Status::Postponed,
            Some(("rescheduled", _)) => Status::Rescheduled,
            Some((other, span)) => {
                let known = ["scheduled", "cancelled", "postponed", "rescheduled"];
                let help = closest(other, known).map(|c| format!("did you mean `{c}`?"));
                self.error(
                    at,
                    span,
                    format!("unknown event status `{other}`"),
                    help.or(Some(
                        "use scheduled, cancelled, postponed or rescheduled".into(),
                    )),
                );
                Status::Scheduled
            }
        };
        let previous_start = match (&f.previous_start, &zone) {
            (Some(p), Some(zone)) => {
                if status != Status::Rescheduled {
                    self.error(
                        at,
                        p.span(),
                        "`previous_start` is only for `status = \"rescheduled\"`".into(),
                        None,
                    );
                }
                self.moment(at, p, zone, "previous_start")
            }
            _ => None,
        };
        let talks = f.talks.iter().filter_map(|t| self.talk(at, t)).collect();
        let event = Event {
            title: title.unwrap_or_default(),
            time: time?,
            zone: zone?,
            series: series.map(SeriesId),
            number,
            chapter: chapter.map(ChapterId),
            venue,
            online_url: self.opt_url(at, &f.online_url, "online_url"),
            hosts,
            rsvp_url: self.opt_url(at, &f.rsvp_url, "rsvp_url"),
            capacity,
            status,
            previous_start,
            summary: self.opt_line(at, &f.summary, "summary"),
            description: self.opt_md(at, &f.description, true),
            cover: self.opt_image(at, &f.cover, "cover", "events"),
            tags: self.tags(at, &f.tags),
            talks,
            extra: f.extra,
            id: EventId(stem),
            source: source.clone(),
        };
        (self.diags.error_count() == errors).then_some(event)
    }

    fn event_time(&mut self, at: At<'_>, f: &EventFile, zone: &Zone) -> Option<EventTime> {
        let start = self.moment(at, &f.start, zone, "start")?;
        let end = match &f.end {
            Some(e) => Some((self.moment(at, e, zone, "end")?, e.span())),
            None => None,
        };
        match (start, end) {
            (Moment::Date(first), None) => Some(EventTime::AllDay { first, last: first }),
            (Moment::Date(first), Some((Moment::Date(last), span))) => {
                if last < first {
                    self.error(
                        at,
                        span,
                        format!("`end` ({last}) is before `start` ({first})"),
                        None,
                    );
                    return None;
                }
                Some(EventTime::AllDay { first, last })
            }
            (Moment::Instant(start), None) => Some(EventTime::Timed { start, end: None }),
            (Moment::Instant(start), Some((Moment::Instant(end), span))) => {
                if end.timestamp() < start.timestamp() {
                    self.error(
                        at,
                        span,
                        format!(
                            "`end` ({}) is before `start` ({})",
                            end.strftime("%Y-%m-%d %H:%M %Z"),
                            start.strftime("%Y-%m-%d %H:%M %Z")
                        ),
                        None,
                    );
                    return None;
                }
                Some(EventTime::Timed {
                    start,
                    end: Some(end),
                })
            }
            (_, Some((_, span))) => {
                self.error(
                    at,
                    span,
                    "`start` and `end` must both be dates (an all-day event) or both datetimes"
                        .into(),
                    None,
                );
                None
            }
        }
    }

    fn talk(&mut self, at: At<'_>, t: &TalkFile) -> Option<Talk> {
        let errors = self.diags.error_count();
        let title = self.required_line(at, &t.title, "talks.title");
        let speakers = t
            .speakers
            .iter()
            .filter_map(|s| self.person(at, s))
            .collect();
        let talk = Talk {
            title: title.unwrap_or_default(),
            speakers,
            abstract_: self.opt_md(at, &t.abstract_, true),
            slides: self.opt_url(at, &t.slides, "talks.slides"),
            video: self.opt_url(at, &t.video, "talks.video"),
            transcript: t
                .transcript
                .as_ref()
                .and_then(|p| self.page_reference(at, p, "talks.transcript")),
            language: self.opt_line(at, &t.language, "talks.language"),
        };
        (self.diags.error_count() == errors).then_some(talk)
    }

    /// Series numbers are unique within a series: two "Session 9"s are a typo.
    fn check_series_numbers(&mut self, events: &BTreeMap<EventId, Event>) {
        let mut seen: BTreeMap<(&SeriesId, u32), &Event> = BTreeMap::new();
        for e in events.values() {
            if let (Some(s), Some(n)) = (&e.series, e.number) {
                if let Some(first) = seen.get(&(s, n)) {
                    self.diags.push(
                        Diagnostic::error(format!(
                            "events `{}` and `{}` both have number {n} in series `{s}`",
                            first.id, e.id
                        ))
                        .in_file(&e.source.path)
                        .with_help(format!(
                            "give one of them another number (the other is {})",
                            first.source.path
                        )),
                    );
                } else {
                    seen.insert((s, n), e);
                }
            }
        }
    }

    fn page(
        &mut self,
        source: SourceRef,
        split: frontmatter::Split,
        fm: PageFrontMatter,
        sections: &BTreeSet<String>,
    ) -> Option<Page> {
        let at = At {
            source: &source,
            base: split.front_matter.start,
        };
        let errors = self.diags.error_count();
        let key = source.path.clone();
        let rel = key.trim_start_matches("content/");
        let (kind, mut segments) = if rel == "_index.md" {
            (PageKind::Home, Vec::new())
        } else if let Some(folder) = rel.strip_suffix("/_index.md") {
            (
                PageKind::Section,
                folder.split('/').map(str::to_string).collect::<Vec<_>>(),
            )
        } else {
            (
                PageKind::Page,
                rel.trim_end_matches(".md")
                    .split('/')
                    .map(str::to_string)
                    .collect::<Vec<_>>(),
            )
        };
        for segment in &segments {
            if let Err(reason) = check_path_segment(segment) {
                self.diags.push(
                    Diagnostic::error(format!("`{key}` cannot become a URL: `{segment}` {reason}"))
                        .in_file(&key)
                        .with_help_opt(
                            suggest_stem(segment)
                                .map(|s| format!("rename it to `{s}`, or set `slug`")),
                        ),
                );
            }
        }
        if let Some(slug) = &fm.slug {
            match check_path_segment(slug.get_ref()) {
                Ok(()) if kind == PageKind::Page => {
                    if let Some(last) = segments.last_mut() {
                        *last = slug.get_ref().clone();
                    }
                }
                Ok(()) => self.error(
                    at,
                    slug.span(),
                    "`slug` is for pages; a section's URL is its folder".into(),
                    None,
                ),
                Err(reason) => {
                    let help =
                        suggest_stem(slug.get_ref()).map(|s| format!("try `slug = \"{s}\"`"));
                    self.error(
                        at,
                        slug.span(),
                        format!("`slug` `{}` {reason}", slug.get_ref()),
                        help,
                    );
                }
            }
        }
        // NFC, like every URL: a file name or slug typed on another system may be
        // decomposed, or have its combining marks in another order.
        let path = if segments.is_empty() {
            String::new()
        } else {
            format!("{}/", segments.join("/")).nfc().collect()
        };
        let title = self.required_line(at, &fm.title, "title");
        let date = self.page_date(at, &fm.date, "date");
        let updated = self.page_date(at, &fm.updated, "updated");
        let authors = fm
            .authors
            .iter()
            .filter_map(|a| {
                self.reference(at, a, RefKind::Member, "author")
                    .map(MemberId)
            })
            .collect();
        let event = fm.event.as_ref().and_then(|e| {
            if self.ids.events.contains(e.get_ref().as_str()) {
                Some(EventId(e.get_ref().clone()))
            } else {
                let help = closest(e.get_ref(), self.ids.events.iter().map(String::as_str))
                    .map(|c| format!("did you mean `{c}` (events/{c}.toml)?"));
                self.error(
                    at,
                    e.span(),
                    format!("event `{}` does not exist", e.get_ref()),
                    help.or(Some(format!("there is no `events/{}.toml`", e.get_ref()))),
                );
                None
            }
        });
        let template = fm.template.as_ref().and_then(|t| {
            let name = t.get_ref();
            let valid = name.ends_with(".html")
                && !name.starts_with('/')
                && name.split('/').all(|s| !s.is_empty() && s != ".." && s != "." && !s.contains(['\\', '\0']));
            if valid {
                Some(name.clone())
            } else {
                self.error(at, t.span(), format!("`template` `{name}` must be a template name such as `talk.html`"), Some("templates are looked up in templates/, the theme, then the built-in theme; `..` is not allowed".into()));
                None
            }
        });
        let section = parent_section(&key, sections);
        let page = Page {
            kind,
            path,
            title: title.unwrap_or_default(),
            date,
            updated,
            is_draft: fm.draft == Some(true),
            summary: self.opt_line(at, &fm.summary, "summary"),
            tags: self.tags(at, &fm.tags),
            authors,
            event,
            template,
            extra: fm.extra,
            body: self.body_md(&source, split.body.clone(), true),
            section,
            key,
            source: source.clone(),
        };
        (self.diags.error_count() == errors).then_some(page)
    }

    fn page_date(
        &mut self,
        at: At<'_>,
        value: &Option<S<Datetime>>,
        field: &str,
    ) -> Option<PageDate> {
        let v = value.as_ref()?;
        let zone = self.config.zone.clone();
        match self.moment(at, v, &zone, field)? {
            Moment::Date(date) => {
                let instant = zone
                    .tz
                    .to_ambiguous_timestamp(date.to_datetime(jiff::civil::Time::midnight()))
                    .compatible()
                    .unwrap_or(jiff::Timestamp::UNIX_EPOCH);
                Some(PageDate { instant, date })
            }
            Moment::Instant(z) => Some(PageDate {
                instant: z.timestamp(),
                date: z.date(),
            }),
        }
    }
}

/// The longest URL segment (a folder name in the output) made from a tag or `slug`:
/// file systems allow 255 bytes, and a little room stays for what tools append.
pub const MAX_SEGMENT_BYTES: usize = 200;

/// Characters no text field may hold: control characters other than tab and line feed
/// (a CR left after line-end normalisation came from an escape), and the noncharacters
/// U+FFFE and U+FFFF. XML cannot carry most of them and iCalendar none of them.
pub fn is_refused_char(c: char) -> bool {
    (c.is_control() && c != '\t' && c != '\n') || matches!(c, '\u{FFFE}' | '\u{FFFF}')
}

/// A URL segment made from a file name or `slug`: one segment, nothing that could walk
/// out of the output folder or confuse a file system.
pub fn check_path_segment(segment: &str) -> Result<(), String> {
    if segment.is_empty() {
        return Err("is empty".into());
    }
    if segment.contains(['/', '\\']) {
        return Err("is one URL segment: it may not contain `/` or `\\`".into());
    }
    if segment.len() > MAX_SEGMENT_BYTES {
        return Err(format!(
            "is {} bytes long; a URL segment may have at most {MAX_SEGMENT_BYTES} (file systems refuse longer names)",
            segment.len()
        ));
    }
    if segment == "." || segment == ".." || segment.ends_with('.') || segment.starts_with('.') {
        return Err("may not start or end with `.`".into());
    }
    if let Some(c) = segment
        .chars()
        .find(|c| !(c.is_alphanumeric() || matches!(c, '-' | '_' | '.')))
    {
        return Err(format!(
            "contains `{}`; use letters, digits, `-`, `_` and `.`",
            c.escape_default()
        ));
    }
    let lower = segment.to_ascii_lowercase();
    let stem = lower.split('.').next().unwrap_or("");
    if [
        "con", "prn", "aux", "nul", "com1", "com2", "com3", "com4", "com5", "com6", "com7", "com8",
        "com9", "lpt1", "lpt2", "lpt3", "lpt4", "lpt5", "lpt6", "lpt7", "lpt8", "lpt9",
    ]
    .contains(&stem)
    {
        return Err("is a reserved file name on Windows".into());
    }
    Ok(())
}

/// `a/b.md` (under `content/`) → `content/a/b.md`, refusing anything that leaves it.
pub fn content_key(path: &str) -> Result<String, String> {
    let path = path.split('#').next().unwrap_or(path);
    if path.is_empty()
        || path.contains(['\\', '%'])
        || path.chars().any(char::is_control)
        || path
            .split('/')
            .any(|s| s == ".." || s == "." || s.is_empty())
    {
        return Err(
            "a content path may not be empty or contain `..`, `.`, `//`, `\\`, `%`, NUL or other control characters".into(),
        );
    }
    if !path.ends_with(".md") {
        return Err("a content path names a `.md` file".into());
    }
    Ok(format!("content/{}", path.nfc().collect::<String>()))
}

fn parent_section(key: &str, sections: &BTreeSet<String>) -> Option<String> {
    let mut folder = key.rsplit_once('/').map(|(f, _)| f.to_string())?;
    if key.ends_with("/_index.md") {
        folder = folder.rsplit_once('/').map(|(f, _)| f.to_string())?;
    }
    loop {
        let candidate = format!("{folder}/_index.md");
        if folder != "content" && sections.contains(&candidate) {
            return Some(candidate);
        }
        folder = folder.rsplit_once('/').map(|(f, _)| f.to_string())?;
    }
}

/// The URL segment of a tag: lower case, NFC, letters and digits kept (Chinese too),
/// everything else a `-`. `Rust` and `rust` share a page; `C++` and `C` collide and are
/// reported by `plan`.
pub fn tag_slug(name: &str) -> String {
    let mut out = String::new();
    for c in name.nfc().flat_map(char::to_lowercase) {
        if c.is_alphanumeric() {
            out.push(c);
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    out.trim_matches('-').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tag_slugs_keep_chinese_and_fold_case() {
        assert_eq!(tag_slug("Rust"), "rust");
        assert_eq!(tag_slug("短视频"), "短视频");
        assert_eq!(tag_slug("a b"), "a-b");
        assert_eq!(tag_slug("C++"), "c");
    }

    #[test]
    fn path_segments_refuse_traversal() {
        assert!(check_path_segment("hello").is_ok());
        assert!(check_path_segment("你好").is_ok());
        assert!(check_path_segment("..").is_err());
        assert!(check_path_segment("a/b").is_err());
        assert!(check_path_segment("a\\b").is_err());
        assert!(check_path_segment("%2e%2e").is_err());
        assert!(check_path_segment("con").is_err());
    }

    #[test]
    fn content_keys_stay_in_content() {
        assert_eq!(
            content_key("transcripts/a.md").unwrap(),
            "content/transcripts/a.md"
        );
        assert!(content_key("../../x.md").is_err());
        assert!(content_key("a/../../x.md").is_err());
    }

    #[test]
    fn pages_find_their_nearest_section() {
        let sections: BTreeSet<String> = ["content/news/_index.md".to_string()].into();
        assert_eq!(
            parent_section("content/news/a.md", &sections).as_deref(),
            Some("content/news/_index.md")
        );
        assert_eq!(
            parent_section("content/news/2024/a.md", &sections).as_deref(),
            Some("content/news/_index.md")
        );
        assert_eq!(parent_section("content/about.md", &sections), None);
        assert_eq!(parent_section("content/news/_index.md", &sections), None);
    }
}
