//! The plan: what the site publishes, decided in one place. It keeps listed members
//! only, does every join once (a person's talks, a member's events and posts, a
//! chapter's members and events, a tag's entries), sorts every list, and claims every
//! output path, so two sources that would write one URL — even differing only in case
//! or Unicode normalisation — are an error naming both. Directory, counts, tag pages and
//! (later) sitemap, feeds and search all read the plan, so an unlisted member cannot slip
//! out through a side door. Comes after `model`; `render` and `output` follow it.

use std::collections::{BTreeMap, BTreeSet};

use jiff::Timestamp;
use unicode_normalization::UnicodeNormalization;

use crate::diag::{Diagnostic, Diagnostics};
use crate::load::AssetFile;
use crate::model::*;
use crate::theme::Theme;
use crate::urls::paths;

/// A talk, by its event and position in the event's `[[talks]]`.
#[derive(Debug, Clone, Copy)]
pub struct TalkRef<'a> {
    pub event: &'a Event,
    pub index: usize,
}

impl<'a> TalkRef<'a> {
    pub fn talk(&self) -> &'a Talk {
        &self.event.talks[self.index]
    }
}

/// Everything published under one tag.
#[derive(Debug, Default)]
pub struct TagEntry<'a> {
    pub name: String,
    pub slug: String,
    pub members: Vec<&'a Member>,
    pub events: Vec<&'a Event>,
    pub pages: Vec<&'a Page>,
}

impl TagEntry<'_> {
    pub fn count(&self) -> usize {
        self.members.len() + self.events.len() + self.pages.len()
    }
}

/// One HTML page to render.
#[derive(Debug, Clone)]
pub enum PageJob<'a> {
    Home,
    Manifesto,
    Rules,
    Join,
    Events,
    Event(&'a Event),
    SeriesList,
    Series(&'a Series),
    Talks,
    Speakers,
    Speaker(&'a Speaker),
    Members,
    Member(&'a Member),
    Chapters,
    Chapter(&'a Chapter),
    Tags,
    Tag(String),
    Section(&'a Page),
    /// Page `n` (2 or more) of a section's list, at `SECTION/page/n/`.
    SectionPage(&'a Page, usize),
    Page(&'a Page),
    /// `/search/`; `search` writes the index it reads.
    Search,
    NotFound,
}

/// An HTML page and the path it is written to, relative to the output folder.
#[derive(Debug, Clone)]
pub struct PlannedPage<'a> {
    pub job: PageJob<'a>,
    /// The page's URL path under the site root (`events/x/`); for `404.html`, itself.
    pub url_path: String,
    pub file: String,
}

#[derive(Debug)]
pub struct Plan<'a> {
    pub site: &'a Site,
    pub now: Timestamp,
    /// Listed members, by handle.
    pub members: Vec<&'a Member>,
    pub upcoming: Vec<&'a Event>,
    pub past: Vec<&'a Event>,
    /// Every talk, newest first.
    pub talks: Vec<TalkRef<'a>>,
    pub talks_by_person: BTreeMap<PersonRef, Vec<TalkRef<'a>>>,
    /// Everyone who gave a talk: guests and listed members, by name.
    pub speakers_with_talks: Vec<PersonRef>,
    pub events_by_host: BTreeMap<&'a MemberId, Vec<&'a Event>>,
    pub events_by_chapter: BTreeMap<&'a ChapterId, Vec<&'a Event>>,
    pub events_by_series: BTreeMap<&'a SeriesId, Vec<&'a Event>>,
    pub members_by_chapter: BTreeMap<&'a ChapterId, Vec<&'a Member>>,
    pub pages_by_author: BTreeMap<&'a MemberId, Vec<&'a Page>>,
    pub pages_by_event: BTreeMap<&'a EventId, Vec<&'a Page>>,
    /// Dated pages that are neither sections nor the home page, newest first.
    pub posts: Vec<&'a Page>,
    pub section_pages: BTreeMap<&'a str, Vec<&'a Page>>,
    pub tags: BTreeMap<String, TagEntry<'a>>,
    pub pages: Vec<PlannedPage<'a>>,
    /// Files copied as they are, by output path.
    pub copies: Vec<AssetFile>,
    /// Built-in theme files copied as they are (output path, bytes).
    pub builtin_copies: Vec<(String, &'static [u8])>,
    /// Calendars, feeds and other machine-readable files, by output path.
    pub files: Vec<PlannedFile<'a>>,
}

/// A machine-readable file to write (`files` renders it).
#[derive(Debug, Clone)]
pub enum FileJob<'a> {
    /// `events/ID/event.ics`
    EventCalendar(&'a Event),
    /// `calendar.ics`: every event.
    SiteCalendar,
    SeriesCalendar(&'a Series),
    ChapterCalendar(&'a Chapter),
    /// A guest speaker's talks (listed members who speak have their page under `members/`).
    SpeakerCalendar(&'a Speaker),
    /// `feed.xml`: posts and events.
    Feed,
    Sitemap,
    Robots,
    /// `shequn-build.json`: when the site was built and when it next changes.
    BuildInfo,
}

/// A machine-readable file and the path it is written to, relative to the output folder.
#[derive(Debug, Clone)]
pub struct PlannedFile<'a> {
    pub job: FileJob<'a>,
    pub file: String,
}

fn by_start(a: &&Event, b: &&Event) -> std::cmp::Ordering {
    a.start().cmp(&b.start()).then_with(|| a.id.cmp(&b.id))
}

fn newest_first(a: &&Page, b: &&Page) -> std::cmp::Ordering {
    b.date
        .cmp(&a.date)
        .then_with(|| a.title.cmp(&b.title))
        .then_with(|| a.key.cmp(&b.key))
}

pub fn person_name<'s>(site: &'s Site, person: &PersonRef) -> &'s str {
    match person {
        PersonRef::Member(m) => site.members.get(m).map_or("", |m| m.name.as_str()),
        PersonRef::Speaker(s) => site.speakers.get(s).map_or("", |s| s.name.as_str()),
    }
}

/// Makes the plan. Output-path collisions are reported to `diags`.
pub fn plan<'a>(
    site: &'a Site,
    theme: &Theme,
    now: Timestamp,
    diags: &mut Diagnostics,
) -> Plan<'a> {
    let members: Vec<&Member> = site.members.values().filter(|m| m.is_listed).collect();

    let mut events: Vec<&Event> = site.events.values().collect();
    events.sort_by(by_start);
    let (upcoming, mut past): (Vec<&Event>, Vec<&Event>) =
        events.iter().partition(|e| e.is_upcoming(now));
    past.reverse();

    let mut talks: Vec<TalkRef> = Vec::new();
    for e in events.iter().rev() {
        for index in 0..e.talks.len() {
            talks.push(TalkRef { event: e, index });
        }
    }
    let mut talks_by_person: BTreeMap<PersonRef, Vec<TalkRef>> = BTreeMap::new();
    for t in &talks {
        for p in &t.talk().speakers {
            talks_by_person.entry(p.clone()).or_default().push(*t);
        }
    }
    let mut speakers_with_talks: Vec<PersonRef> = talks_by_person.keys().cloned().collect();
    speakers_with_talks.sort_by(|a, b| {
        person_name(site, a)
            .cmp(person_name(site, b))
            .then_with(|| a.cmp(b))
    });

    let mut events_by_host: BTreeMap<&MemberId, Vec<&Event>> = BTreeMap::new();
    let mut events_by_chapter: BTreeMap<&ChapterId, Vec<&Event>> = BTreeMap::new();
    let mut events_by_series: BTreeMap<&SeriesId, Vec<&Event>> = BTreeMap::new();
    for e in events.iter().rev() {
        for h in &e.hosts {
            events_by_host.entry(h).or_default().push(e);
        }
        if let Some(c) = &e.chapter {
            events_by_chapter.entry(c).or_default().push(e);
        }
        if let Some(s) = &e.series {
            events_by_series.entry(s).or_default().push(e);
        }
    }
    for list in events_by_series.values_mut() {
        list.sort_by(|a, b| a.number.cmp(&b.number).then_with(|| by_start(a, b)));
    }

    let mut members_by_chapter: BTreeMap<&ChapterId, Vec<&Member>> = BTreeMap::new();
    for m in &members {
        if let Some(c) = &m.chapter {
            members_by_chapter.entry(c).or_default().push(m);
        }
    }

    let mut pages: Vec<&Page> = site.pages.values().collect();
    pages.sort_by(newest_first);
    let mut pages_by_author: BTreeMap<&MemberId, Vec<&Page>> = BTreeMap::new();
    let mut pages_by_event: BTreeMap<&EventId, Vec<&Page>> = BTreeMap::new();
    let mut section_pages: BTreeMap<&str, Vec<&Page>> = BTreeMap::new();
    let transcripts: BTreeSet<&str> = site
        .events
        .values()
        .flat_map(|e| e.talks.iter().filter_map(|t| t.transcript.as_deref()))
        .collect();
    let mut posts = Vec::new();
    for p in &pages {
        if p.kind != PageKind::Page {
            continue;
        }
        for a in &p.authors {
            pages_by_author.entry(a).or_default().push(p);
        }
        if let Some(e) = &p.event {
            pages_by_event.entry(e).or_default().push(p);
        }
        if let Some(s) = &p.section {
            section_pages.entry(s.as_str()).or_default().push(p);
        }
        if p.date.is_some() && !transcripts.contains(p.key.as_str()) {
            posts.push(*p);
        }
    }

    let mut tags: BTreeMap<String, TagEntry> = BTreeMap::new();
    for m in &members {
        for t in &m.tags {
            tag_entry(&mut tags, t).members.push(m);
        }
    }
    for e in events.iter().rev() {
        for t in &e.tags {
            tag_entry(&mut tags, t).events.push(e);
        }
    }
    for p in &pages {
        if p.kind == PageKind::Page {
            for t in &p.tags {
                tag_entry(&mut tags, t).pages.push(p);
            }
        }
    }

    let mut plan = Plan {
        site,
        now,
        members,
        upcoming,
        past,
        talks,
        talks_by_person,
        speakers_with_talks,
        events_by_host,
        events_by_chapter,
        events_by_series,
        members_by_chapter,
        pages_by_author,
        pages_by_event,
        posts,
        section_pages,
        tags,
        pages: Vec::new(),
        copies: Vec::new(),
        builtin_copies: Vec::new(),
        files: Vec::new(),
    };
    plan_outputs(&mut plan, theme, diags);
    check_tag_names(&plan, diags);
    plan
}

fn tag_entry<'m, 'a>(
    tags: &'m mut BTreeMap<String, TagEntry<'a>>,
    t: &Tag,
) -> &'m mut TagEntry<'a> {
    tags.entry(t.slug.clone()).or_insert_with(|| TagEntry {
        name: t.name.clone(),
        slug: t.slug.clone(),
        ..Default::default()
    })
}

/// How many entries one page of a section list shows.
pub const SECTION_PAGE_SIZE: usize = 20;

/// Pages a section list of `entries` needs (at least one).
pub fn page_count(entries: usize) -> usize {
    entries.div_ceil(SECTION_PAGE_SIZE).max(1)
}

/// `news/` and 3 → `news/page/3/`; page 1 is the section itself.
pub fn section_page_path(section_path: &str, number: usize) -> String {
    if number <= 1 {
        section_path.to_string()
    } else {
        format!("{section_path}page/{number}/")
    }
}

/// Who claims an output path, for collision messages.
struct Claims {
    by_key: BTreeMap<String, Vec<(String, String)>>,
}

impl Claims {
    /// `file` is the output path; `source` names what claims it.
    fn claim(&mut self, file: &str, source: String) {
        let key: String = file.nfc().flat_map(char::to_lowercase).collect();
        self.by_key
            .entry(key)
            .or_default()
            .push((file.to_string(), source));
    }
}

fn plan_outputs<'a>(plan: &mut Plan<'a>, theme: &Theme, diags: &mut Diagnostics) {
    let site = plan.site;
    let mut claims = Claims {
        by_key: BTreeMap::new(),
    };
    let mut pages: Vec<PlannedPage<'a>> = Vec::new();
    let mut add = |job: PageJob<'a>, url_path: String, source: String, claims: &mut Claims| {
        let file = if url_path.ends_with(".html") {
            url_path.clone()
        } else {
            format!("{url_path}index.html")
        };
        claims.claim(&file, source);
        pages.push(PlannedPage {
            job,
            url_path,
            file,
        });
    };
    let builtin = |what: &str| format!("the built-in {what} page");
    add(PageJob::Home, String::new(), builtin("home"), &mut claims);
    add(
        PageJob::Manifesto,
        "manifesto/".into(),
        builtin("manifesto"),
        &mut claims,
    );
    add(
        PageJob::Rules,
        "rules/".into(),
        builtin("rules"),
        &mut claims,
    );
    if site.charter.membership.is_some() {
        add(PageJob::Join, "join/".into(), builtin("join"), &mut claims);
    }
    add(
        PageJob::Events,
        "events/".into(),
        builtin("events list"),
        &mut claims,
    );
    for e in site.events.values() {
        add(
            PageJob::Event(e),
            paths::event(e.id.as_str()),
            e.source.path.clone(),
            &mut claims,
        );
    }
    if !site.series.is_empty() {
        add(
            PageJob::SeriesList,
            "series/".into(),
            builtin("series list"),
            &mut claims,
        );
    }
    for s in site.series.values() {
        add(
            PageJob::Series(s),
            paths::series(s.id.as_str()),
            s.source.path.clone(),
            &mut claims,
        );
    }
    add(
        PageJob::Talks,
        "talks/".into(),
        builtin("talk archive"),
        &mut claims,
    );
    add(
        PageJob::Speakers,
        "speakers/".into(),
        builtin("speakers list"),
        &mut claims,
    );
    for s in site.speakers.values() {
        add(
            PageJob::Speaker(s),
            paths::speaker(s.id.as_str()),
            s.source.path.clone(),
            &mut claims,
        );
    }
    add(
        PageJob::Members,
        "members/".into(),
        builtin("member directory"),
        &mut claims,
    );
    for m in &plan.members {
        add(
            PageJob::Member(m),
            paths::member(m.handle.as_str()),
            m.source.path.clone(),
            &mut claims,
        );
    }
    add(
        PageJob::Chapters,
        "chapters/".into(),
        builtin("chapters list"),
        &mut claims,
    );
    for c in site.chapters.values() {
        add(
            PageJob::Chapter(c),
            paths::chapter(c.id.as_str()),
            c.source.path.clone(),
            &mut claims,
        );
    }
    if !plan.tags.is_empty() {
        add(
            PageJob::Tags,
            "tags/".into(),
            builtin("tags list"),
            &mut claims,
        );
    }
    for slug in plan.tags.keys() {
        add(
            PageJob::Tag(slug.clone()),
            paths::tag(slug),
            format!("the tag `{}`", plan.tags[slug].name),
            &mut claims,
        );
    }
    for p in site.pages.values() {
        match p.kind {
            PageKind::Home => {}
            PageKind::Section => {
                add(
                    PageJob::Section(p),
                    p.path.clone(),
                    p.key.clone(),
                    &mut claims,
                );
                let listed = plan.section_pages.get(p.key.as_str()).map_or(0, Vec::len);
                for number in 2..=page_count(listed) {
                    let path = section_page_path(&p.path, number);
                    add(
                        PageJob::SectionPage(p, number),
                        path,
                        p.key.clone(),
                        &mut claims,
                    );
                }
            }
            PageKind::Page => add(PageJob::Page(p), p.path.clone(), p.key.clone(), &mut claims),
        }
    }
    add(
        PageJob::Search,
        "search/".into(),
        builtin("search"),
        &mut claims,
    );
    add(
        PageJob::NotFound,
        "404.html".into(),
        builtin("404"),
        &mut claims,
    );
    plan.pages = pages;
    plan.files = plan_files(site, &mut claims);
    // The search index names its own files in its folder (checked below).
    let index_meta = format!("{}meta.json", crate::search::INDEX_DIR);
    claims.claim(&index_meta, "the built-in search index".into());

    // Files copied as they are: the site's static/ wins over the local theme's, which
    // wins over the built-in theme's (SPEC §4).
    let mut copies: BTreeMap<String, AssetFile> = BTreeMap::new();
    for a in theme.static_files.iter().chain(&site.assets) {
        copies.insert(a.output_path.clone(), a.clone());
    }
    let mut record_assets: Vec<&AssetFile> = Vec::new();
    for m in &plan.members {
        record_assets.extend(m.avatar.as_ref().and_then(|i| i.copy.as_ref()));
    }
    for s in site.speakers.values() {
        record_assets.extend(s.avatar.as_ref().and_then(|i| i.copy.as_ref()));
    }
    for e in site.events.values() {
        record_assets.extend(e.cover.as_ref().and_then(|i| i.copy.as_ref()));
    }
    for a in record_assets {
        copies.insert(a.output_path.clone(), a.clone());
    }
    for a in copies.values() {
        claims.claim(&a.output_path, a.site_path.clone());
    }
    plan.builtin_copies = crate::theme::builtin_static()
        .into_iter()
        .filter(|(path, _)| !copies.contains_key(path))
        .collect();
    for (path, _) in &plan.builtin_copies {
        claims.claim(path, format!("the built-in theme's `{path}`"));
    }
    plan.copies = copies.into_values().collect();

    for claimants in claims.by_key.values() {
        if claimants.len() > 1 {
            let file = &claimants[0].0;
            let sources: Vec<String> = claimants
                .iter()
                .map(|(f, s)| {
                    if f == file {
                        s.clone()
                    } else {
                        format!("{s} (as `{f}`)")
                    }
                })
                .collect();
            diags.push(
                Diagnostic::error(format!("{} sources claim the output file `{file}`: {}", claimants.len(), sources.join(", ")))
                    .with_help("URLs that differ only in letter case or Unicode normalisation are the same URL; rename or set `slug` on all but one"),
            );
        }
    }
    for (key, claimants) in claims.by_key.range(crate::search::INDEX_DIR.to_string()..) {
        if !key.starts_with(crate::search::INDEX_DIR) {
            break;
        }
        let (file, source) = &claimants[0];
        if *key != index_meta {
            diags.push(
                Diagnostic::error(format!(
                    "{source} writes `{file}`, in the folder of the built-in search index"
                ))
                .with_help("rename it, or set `slug` on the page"),
            );
        }
    }
    // A path cannot be a file and a folder at once: a page with `slug = "feed.xml"`
    // needs a folder `feed.xml/` where the feed is a file.
    for (key, claimants) in &claims.by_key {
        let folder = format!("{key}/");
        let inside = claims
            .by_key
            .range(folder.clone()..)
            .next()
            .filter(|(k, _)| k.starts_with(&folder));
        if let Some((_, inner)) = inside {
            let (file, source) = &claimants[0];
            let (inner_file, inner_source) = &inner[0];
            diags.push(
                Diagnostic::error(format!(
                    "{source} writes the file `{file}`, but {inner_source} needs a folder of that name for `{inner_file}`"
                ))
                .with_help("rename one of them, or set `slug` on the page"),
            );
        }
    }
}

/// The calendars and feeds (SPEC §3), each claimed like a page so that a content page or
/// a static file at `feed.xml` or `events/x/event.ics` is reported as a collision.
fn plan_files<'a>(site: &'a Site, claims: &mut Claims) -> Vec<PlannedFile<'a>> {
    let mut files = Vec::new();
    let mut add = |job: FileJob<'a>, file: String, source: String| {
        claims.claim(&file, source);
        files.push(PlannedFile { job, file });
    };
    for e in site.events.values() {
        let file = format!("{}event.ics", paths::event(e.id.as_str()));
        add(FileJob::EventCalendar(e), file, e.source.path.clone());
    }
    let builtin = |what: &str| format!("the built-in {what}");
    add(
        FileJob::SiteCalendar,
        "calendar.ics".into(),
        builtin("calendar"),
    );
    for s in site.series.values() {
        let file = format!("{}calendar.ics", paths::series(s.id.as_str()));
        add(FileJob::SeriesCalendar(s), file, s.source.path.clone());
    }
    for c in site.chapters.values() {
        let file = format!("{}calendar.ics", paths::chapter(c.id.as_str()));
        add(FileJob::ChapterCalendar(c), file, c.source.path.clone());
    }
    for s in site.speakers.values() {
        let file = format!("{}calendar.ics", paths::speaker(s.id.as_str()));
        add(FileJob::SpeakerCalendar(s), file, s.source.path.clone());
    }
    add(FileJob::Feed, "feed.xml".into(), builtin("Atom feed"));
    add(FileJob::Sitemap, "sitemap.xml".into(), builtin("sitemap"));
    add(FileJob::Robots, "robots.txt".into(), builtin("robots.txt"));
    add(
        FileJob::BuildInfo,
        "shequn-build.json".into(),
        builtin("build report"),
    );
    files
}

/// Tags whose names differ but whose URL is the same (`C++` and `C`) are an error;
/// case-only differences (`Rust`, `rust`) share one page quietly.
fn check_tag_names(plan: &Plan<'_>, diags: &mut Diagnostics) {
    let site = plan.site;
    let mut names: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    let mut note = |t: &Tag, path: &str| {
        let folded: String = t.name.nfc().flat_map(char::to_lowercase).collect();
        names
            .entry(t.slug.clone())
            .or_default()
            .entry(folded)
            .or_insert_with(|| path.to_string());
    };
    for m in &plan.members {
        m.tags.iter().for_each(|t| note(t, &m.source.path));
    }
    for e in site.events.values() {
        e.tags.iter().for_each(|t| note(t, &e.source.path));
    }
    for p in site.pages.values() {
        p.tags.iter().for_each(|t| note(t, &p.key));
    }
    for (slug, variants) in names {
        if variants.len() > 1 {
            let list: Vec<String> = variants
                .iter()
                .map(|(name, path)| format!("`{name}` ({path})"))
                .collect();
            diags.push(
                Diagnostic::error(format!(
                    "tags {} all become the URL `/tags/{slug}/`",
                    list.join(", ")
                ))
                .with_help(
                    "use one spelling for the tag, or names that differ in letters or digits",
                ),
            );
        }
    }
}
