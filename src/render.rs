//! The render stage: one Tera context per page of the plan, rendered in parallel and
//! handed to the output sink. The context shapes built here are the template contract
//! (`docs/templates.md`): renaming a field breaks themes.
//!
//! Speed comes from sharing, not copying. Tera values hold their maps, lists and long
//! strings behind reference counts, so a card (a member, an event, a talk, a page) is
//! built once, as a template value, and every page that shows it takes a cheap handle to
//! it. What every page sees (`site`, `t`, `now`) is Tera's global context, set once. A
//! page's context is then a handful of handles plus its own few fields, and its cost is
//! its own size, not the site's. Comes after `plan` and `markdown`; `output` owns where
//! the bytes go.

use std::collections::{BTreeMap, HashMap};

use rayon::prelude::*;
use rustc_hash::FxHashMap;
use tera::{Context, Map, Tera, Value};
// The default-secret hasher: nothing to copy when one is made (one per map and list).
use xxhash_rust::xxh3::Xxh3Default as Xxh3;

use crate::dates;
use crate::diag::{Diagnostic, Diagnostics, Source};
use crate::markdown::{description_from, Rendered};
use crate::model::time::{EventTime, Moment};
use crate::model::*;
use crate::output::Sink;
use crate::plan::{
    page_count, section_page_path, PageJob, Plan, PlannedPage, TalkRef, SECTION_PAGE_SIZE,
};
use crate::theme::Theme;
use crate::urls::paths;

/// The navigation's sections below the home page, in order (`site.nav`).
const NAV_SECTIONS: [&str; 9] = [
    "manifesto/",
    "rules/",
    "join/",
    "events/",
    "talks/",
    "speakers/",
    "members/",
    "chapters/",
    "search/",
];

/// How many talks and posts the home page shows.
const HOME_LIST_LENGTH: usize = 6;

/// Compiles the merged theme's templates once. Every template with a syntax error is
/// reported, not only the first.
pub fn compile_templates(theme: &Theme, diags: &mut Diagnostics) -> Option<Tera> {
    let mut templates: Vec<(&str, &str)> = theme
        .templates
        .values()
        .map(|t| (t.name.as_str(), t.source.text.as_str()))
        .collect();
    let mut failed = false;
    let mut taken_out: Vec<String> = Vec::new();
    // Tera stops at the first template that does not parse: take it out and try again,
    // so that one run names every broken template (bounded by the number of templates).
    loop {
        let mut tera = new_tera();
        match tera.add_raw_templates(templates.iter().copied()) {
            Ok(()) if !failed => return Some(tera),
            Ok(()) => return None,
            Err(e) => {
                failed = true;
                let mut found = Diagnostics::default();
                let broken = template_error(theme, &e, "in the template", None, &mut found);
                // A template that extends or includes one taken out is not broken itself.
                let follows = |d: &Diagnostic| {
                    taken_out.iter().any(|t| {
                        d.message.contains(&format!("`{t}`"))
                            && (d.message.contains("which does not exist")
                                || d.message.contains("unknown template"))
                    })
                };
                if !found.items().iter().all(follows) {
                    diags.extend(found.items().iter().cloned());
                }
                taken_out.extend(broken.clone());
                let before = templates.len();
                templates.retain(|(name, _)| Some(*name) != broken.as_deref());
                if templates.len() == before {
                    return None;
                }
            }
        }
    }
}

fn new_tera() -> Tera {
    let mut tera = Tera::new();
    tera.autoescape_on([".html", ".htm", ".xml"]);
    tera.set_escape_fn(escape_html);
    tera
}

/// Escapes text for HTML: `&`, `<`, `>`, `"` and `'`, which is all a text node or a
/// quoted attribute needs (escaping `/` too, as some engines do, makes URLs unreadable).
/// Runs of ordinary text are written in one piece, and most values (names, links,
/// dates) have nothing to escape: one pass many bytes at a time finds that out.
fn escape_html(input: &str, out: &mut dyn std::io::Write) -> std::io::Result<()> {
    let bytes = input.as_bytes();
    let special = |b: u8| (b == b'&') | (b == b'<') | (b == b'>') | (b == b'"') | (b == b'\'');
    if !crate::scan::any_byte(bytes, special) {
        return out.write_all(bytes);
    }
    let mut start = 0;
    for (i, b) in bytes.iter().enumerate() {
        let entity: &[u8] = match b {
            b'&' => b"&amp;",
            b'<' => b"&lt;",
            b'>' => b"&gt;",
            b'"' => b"&quot;",
            b'\'' => b"&#39;",
            _ => continue,
        };
        out.write_all(&bytes[start..i])?;
        out.write_all(entity)?;
        start = i + 1;
    }
    out.write_all(&bytes[start..])
}

/// Turns a Tera error into diagnostics at the template's own file, line and column, and
/// returns the name of the template it names, if any. A message that bundles several
/// reports (Tera checks every filter, test and component a template uses at once) gives
/// one diagnostic each.
fn template_error(
    theme: &Theme,
    error: &tera::Error,
    what: &str,
    rendering: Option<&str>,
    diags: &mut Diagnostics,
) -> Option<String> {
    use tera::ErrorKind;
    let in_template = |name: &str, d: Diagnostic| match theme.templates.get(name) {
        Some(t) => d.in_file(&t.source.path),
        None => d,
    };
    let chain = |names: &[String]| names.join(" → ");
    match error.kind() {
        ErrorKind::CircularInclude { tpl, include_chain } => {
            let d = Diagnostic::error(format!(
                "{what}: `{tpl}` includes itself: {}",
                chain(include_chain)
            ));
            diags.push(in_template(tpl, d));
            Some(tpl.clone())
        }
        ErrorKind::CircularExtend {
            tpl,
            inheritance_chain,
        } => {
            let d = Diagnostic::error(format!(
                "{what}: `{tpl}` extends itself: {}",
                chain(inheritance_chain)
            ));
            diags.push(in_template(tpl, d));
            Some(tpl.clone())
        }
        ErrorKind::MissingParent { current, parent } => {
            let d = Diagnostic::error(format!(
                "{what}: `{current}` extends `{parent}`, which does not exist"
            ))
            .with_help("put it in templates/ or the theme's templates/ folder");
            diags.push(in_template(current, d));
            Some(current.clone())
        }
        ErrorKind::SyntaxError(report) | ErrorKind::RenderingError(report) => {
            let name = report.filename().to_string();
            let span = report.span();
            // Tera appends what a map offers; that reads best as the help line.
            let (message, offer) = match report.message().split_once(". Available fields: ") {
                Some((m, fields)) => (m, Some(fields)),
                None => (report.message(), None),
            };
            let mut d = Diagnostic::error(format!("{what}: {}", lower_first(message)));
            if let Some(fields) = offer {
                let wrong = message.split('`').nth(1).unwrap_or_default();
                let close = crate::diag::closest(wrong, fields.split(", "));
                d = d.with_help(match close {
                    Some(field) => {
                        format!("did you mean `{field}`? The fields there are: {fields}")
                    }
                    None => format!("the fields there are: {fields}"),
                });
            }
            diags.push(match theme.templates.get(&name) {
                Some(t) if span.range.end <= t.source.text.len() => {
                    d.at(&t.source, span.range.clone())
                }
                Some(t) => at_line_column(&t.source, d, span.start_line, span.start_col, 1),
                None => d,
            });
            Some(name)
        }
        _ => {
            let text = error.to_string();
            let mut named = None;
            let mut any = false;
            for report in text.split("\n\n") {
                let message = report
                    .lines()
                    .find_map(|l| l.strip_prefix("error: "))
                    .unwrap_or_else(|| report.lines().next().unwrap_or(report));
                let location = report.lines().find_map(|l| {
                    let rest = l.trim_start().strip_prefix("--> ")?;
                    let mut parts = rest.rsplitn(3, ':');
                    let column: usize = parts.next()?.trim().parse().ok()?;
                    let line: usize = parts.next()?.trim().parse().ok()?;
                    Some((parts.next()?.to_string(), line, column))
                });
                // The report marks the span with carets under the line.
                let width = report
                    .lines()
                    .filter(|l| l.trim_start().starts_with('|'))
                    .map(|l| l.matches('^').count())
                    .max()
                    .unwrap_or(1);
                let d = Diagnostic::error(format!("{what}: {}", lower_first(message.trim())));
                let d = match (&location, rendering) {
                    (None, Some(name)) => in_template(name, d),
                    _ => d,
                };
                match location.and_then(|(n, l, c)| Some((theme.templates.get(&n)?, n, l, c))) {
                    Some((t, n, line, column)) => {
                        let column = column.saturating_sub(1);
                        diags.push(at_line_column(&t.source, d, line, column, width));
                        named.get_or_insert(n);
                    }
                    None => diags.push(d),
                }
                any = true;
            }
            if !any {
                let d = Diagnostic::error(format!("{what}: {}", lower_first(text.trim())));
                diags.push(match rendering {
                    Some(name) => in_template(name, d),
                    None => d,
                });
            }
            named
        }
    }
}

fn lower_first(message: &str) -> String {
    let mut chars = message.chars();
    match chars.next() {
        Some(c) if c.is_uppercase() && !chars.clone().next().is_some_and(char::is_uppercase) => {
            c.to_lowercase().chain(chars).collect()
        }
        _ => message.to_string(),
    }
}

/// A diagnostic at a 1-based line and 0-based column of a template, `width` characters
/// wide.
fn at_line_column(
    source: &Source,
    d: Diagnostic,
    line: usize,
    column: usize,
    width: usize,
) -> Diagnostic {
    if line == 0 {
        return d.in_file(&source.path);
    }
    let offset = source
        .text
        .split_inclusive('\n')
        .take(line - 1)
        .map(str::len)
        .sum::<usize>();
    let text = source.line_text(line);
    let start = text
        .char_indices()
        .nth(column)
        .map_or(text.len(), |(i, _)| i);
    let end = text[start..]
        .char_indices()
        .nth(width.max(1))
        .map_or(text.len(), |(i, _)| start + i);
    d.at(source, offset + start..offset + end)
}

/// Template values: `obj` builds a map with its keys in the order given.
fn obj<const N: usize>(entries: [(&'static str, Value); N]) -> Value {
    let mut map = Map::with_capacity(N);
    for (key, value) in entries {
        map.insert(key.into(), value);
    }
    Value::from(map)
}

/// A copy of the map `base` with more entries: the copy is shallow, each entry a handle.
fn with<const N: usize>(base: &Value, entries: [(&'static str, Value); N]) -> Value {
    let mut map = base.as_map().cloned().unwrap_or_default();
    for (key, value) in entries {
        map.insert(key.into(), value);
    }
    Value::from(map)
}

fn text(s: &str) -> Value {
    Value::from(s)
}

fn opt(s: Option<&String>) -> Value {
    Value::from(s.map(String::as_str))
}

fn list(items: impl IntoIterator<Item = Value>) -> Value {
    Value::from(items.into_iter().collect::<Vec<_>>())
}

fn extra(table: &toml::Table) -> Value {
    Value::from_serializable(table)
}

/// Everything built once and shared by the pages that show it.
struct Shared<'a> {
    plan: &'a Plan<'a>,
    site: &'a Site,
    md: &'a [Rendered],
    strings: &'a BTreeMap<String, String>,
    language: Language,
    charter: Value,
    site_description: String,
    member_cards: BTreeMap<&'a MemberId, Value>,
    persons: BTreeMap<PersonRef, Value>,
    event_cards: BTreeMap<&'a EventId, Value>,
    page_cards: BTreeMap<&'a str, Value>,
    /// Every talk by its event and index, as the talk shape.
    talks: BTreeMap<(&'a EventId, usize), Value>,
}

impl<'a> Shared<'a> {
    fn html(&self, id: Option<MdId>) -> Value {
        text(id.map_or("", |i| self.md[i.0].html.as_str()))
    }

    fn plain_start(&self, id: Option<MdId>) -> &str {
        id.map_or("", |i| self.md[i.0].plain_start.as_str())
    }

    fn t(&self, key: &str) -> String {
        self.strings.get(key).cloned().unwrap_or_default()
    }

    fn url(&self, rel: &str) -> String {
        self.site.config.urls.path(rel)
    }

    fn member_cards(&self, members: &[&Member]) -> Value {
        list(
            members
                .iter()
                .filter_map(|m| self.member_cards.get(&m.handle).cloned()),
        )
    }

    fn member_cards_by_id(&self, ids: &[MemberId]) -> Value {
        list(ids.iter().filter_map(|m| self.member_cards.get(m).cloned()))
    }

    fn event_cards<'e>(&self, events: impl IntoIterator<Item = &'e &'e Event>) -> Value
    where
        'a: 'e,
    {
        list(
            events
                .into_iter()
                .filter_map(|e| self.event_cards.get(&e.id).cloned()),
        )
    }

    fn page_cards(&self, pages: &[&Page]) -> Value {
        list(
            pages
                .iter()
                .filter_map(|p| self.page_cards.get(p.key.as_str()).cloned()),
        )
    }

    fn talks(&self, talks: &[TalkRef<'_>]) -> Value {
        list(
            talks
                .iter()
                .filter_map(|t| self.talks.get(&(&t.event.id, t.index)).cloned()),
        )
    }
}

fn initials(name: &str) -> String {
    let words: Vec<&str> = name.split_whitespace().collect();
    let first = name
        .chars()
        .next()
        .map(|c| c.to_string())
        .unwrap_or_default();
    if first
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic())
        && words.len() > 1
    {
        let second = words[words.len() - 1].chars().next().unwrap_or(' ');
        format!("{}{}", first.to_uppercase(), second.to_uppercase())
    } else {
        first.to_uppercase()
    }
}

/// Which of the theme's six avatar colours a person's initials get: stable for a
/// person, varied across a list.
fn hue(id: &str) -> usize {
    id.chars().count() % 6
}

fn links_value(links: &[Link]) -> Value {
    list(
        links
            .iter()
            .map(|l| obj([("label", text(&l.label)), ("url", text(&l.url))])),
    )
}

/// The time shape of the template contract.
struct TimeView {
    iso: String,
    date: String,
    time: String,
    display: String,
    zone: String,
    zone_abbr: String,
    year: i16,
    month: i8,
    day: i8,
}

impl TimeView {
    /// The template value; `strings` give the short month name (`month_short`).
    fn value(self, strings: &BTreeMap<String, String>) -> Value {
        let month_short = strings
            .get(&format!("month_{}", self.month))
            .cloned()
            .unwrap_or_else(|| self.month.to_string());
        obj([
            ("iso", self.iso.into()),
            ("date", self.date.into()),
            ("time", self.time.into()),
            ("display", self.display.into()),
            ("zone", self.zone.into()),
            ("zone_abbr", self.zone_abbr.into()),
            ("year", self.year.into()),
            ("month", self.month.into()),
            ("month_short", month_short.into()),
            ("day", self.day.into()),
        ])
    }
}

fn time_view(z: &jiff::Zoned, language: Language) -> TimeView {
    TimeView {
        iso: z
            .timestamp()
            .to_zoned(z.time_zone().clone())
            .strftime("%Y-%m-%dT%H:%M:%S%:z")
            .to_string(),
        date: dates::date_with_weekday(z.date(), language),
        time: dates::time(z),
        display: dates::date_time(z, language),
        zone: z.time_zone().iana_name().unwrap_or("UTC").to_string(),
        zone_abbr: dates::zone_abbreviation(z),
        year: z.year(),
        month: z.month(),
        day: z.day(),
    }
}

fn day_view(d: jiff::civil::Date, zone: &str, language: Language) -> TimeView {
    TimeView {
        iso: d.to_string(),
        date: dates::date_with_weekday(d, language),
        time: String::new(),
        display: dates::date_with_weekday(d, language),
        zone: zone.to_string(),
        zone_abbr: String::new(),
        year: d.year(),
        month: d.month(),
        day: d.day(),
    }
}

fn moment_view(m: &Moment, zone: &str, language: Language) -> TimeView {
    match m {
        Moment::Date(d) => day_view(*d, zone, language),
        Moment::Instant(z) => time_view(z, language),
    }
}

fn date_value(d: Option<jiff::civil::Date>, language: Language) -> Value {
    match d {
        Some(d) => obj([
            ("iso", d.to_string().into()),
            ("display", dates::date(d, language).into()),
        ]),
        None => Value::none(),
    }
}

/// The values every page sees, for Tera's global context.
fn globals(plan: &Plan<'_>, theme: &Theme) -> Context {
    let site = plan.site;
    let urls = &site.config.urls;
    let strings = &theme.strings;
    let t = |k: &str| Value::from(strings.get(k).map_or("", String::as_str));
    let item = |key: &str, path: &str| obj([("title", t(key)), ("url", urls.path(path).into())]);

    let mut nav = vec![item("nav_home", "")];
    for path in NAV_SECTIONS {
        if path == "join/" && site.charter.membership.is_none() {
            continue;
        }
        nav.push(item(&format!("nav_{}", path.trim_end_matches('/')), path));
    }
    let site_value = obj([
        ("title", text(site.title())),
        (
            "initial",
            site.title()
                .chars()
                .next()
                .map(String::from)
                .unwrap_or_default()
                .into(),
        ),
        ("name", text(&site.charter.name)),
        ("tagline", opt(site.charter.tagline.as_ref())),
        ("language", text(site.config.language.code())),
        ("base_url", text(&urls.base)),
        ("root", text(&urls.root)),
        ("timezone", text(&site.config.zone.name)),
        ("has_join", site.charter.membership.is_some().into()),
        ("nav", Value::from(nav)),
        (
            "counts",
            obj([
                ("members", plan.members.len().into()),
                ("chapters", site.chapters.len().into()),
                ("events", site.events.len().into()),
                ("speakers", plan.speakers_with_talks.len().into()),
                ("talks", plan.talks.len().into()),
            ]),
        ),
        ("extra", extra(&site.config.extra)),
    ]);
    let mut context = Context::new();
    context.insert_value("site", site_value);
    context.insert_value(
        "t",
        Value::from(
            strings
                .iter()
                .map(|(k, v)| (k.clone(), v.as_str()))
                .collect::<BTreeMap<String, &str>>(),
        ),
    );
    context.insert_value("now", plan.now.to_string().into());
    context
}

fn build_shared<'a>(plan: &'a Plan<'a>, md: &'a [Rendered], theme: &'a Theme) -> Shared<'a> {
    let site = plan.site;
    let language = site.config.language;
    let urls = &site.config.urls;
    let strings = &theme.strings;
    let t = |k: &str| strings.get(k).cloned().unwrap_or_default();
    let html = |id: Option<MdId>| text(id.map_or("", |i| md[i.0].html.as_str()));

    let chapter_link = |id: &ChapterId| {
        site.chapters.get(id).map_or(Value::none(), |c| {
            obj([
                ("id", text(c.id.as_str())),
                ("name", text(&c.name)),
                ("url", urls.path(&paths::chapter(c.id.as_str())).into()),
            ])
        })
    };
    let tag_values = |tags: &[Tag]| {
        list(tags.iter().map(|t| {
            obj([
                ("name", text(&t.name)),
                ("slug", text(&t.slug)),
                ("url", urls.path(&paths::tag(&t.slug)).into()),
            ])
        }))
    };

    // Each kind of card is made in parallel; the maps are filled in key order after.
    let members: Vec<(&MemberId, Value, Value)> = plan
        .members
        .par_iter()
        .map(|m| {
            let url = urls.path(&paths::member(m.handle.as_str()));
            let avatar = Value::from(m.avatar.as_ref().map(|a| a.url.as_str()));
            let role = m.role.as_ref().map_or(Value::none(), |r| {
                let title = site
                    .charter
                    .roles
                    .iter()
                    .find(|x| x.id == *r)
                    .map_or(r.0.as_str(), |x| x.title.as_str());
                obj([("id", text(r.0.as_str())), ("title", text(title))])
            });
            let person = obj([
                ("id", text(m.handle.as_str())),
                ("kind", text("member")),
                ("name", text(&m.name)),
                ("url", text(&url)),
                ("headline", opt(m.headline.as_ref())),
                ("avatar", avatar),
                ("initials", initials(&m.name).into()),
                ("hue", hue(m.handle.as_str()).into()),
            ]);
            let card = with(
                &person,
                [
                    ("handle", text(m.handle.as_str())),
                    ("role", role),
                    (
                        "chapter",
                        m.chapter.as_ref().map_or(Value::none(), chapter_link),
                    ),
                    ("city", opt(m.city.as_ref())),
                    ("tags", tag_values(&m.tags)),
                    ("links", links_value(&m.links)),
                    (
                        "joined",
                        Value::from(m.joined.map(|d| dates::date(d, language))),
                    ),
                ],
            );
            (&m.handle, card, person)
        })
        .collect();
    let speakers: Vec<&Speaker> = site.speakers.values().collect();
    let speakers: Vec<(PersonRef, Value)> = speakers
        .par_iter()
        .map(|s| {
            (
                PersonRef::Speaker(s.id.clone()),
                obj([
                    ("id", text(s.id.as_str())),
                    ("kind", text("speaker")),
                    ("name", text(&s.name)),
                    ("url", urls.path(&paths::speaker(s.id.as_str())).into()),
                    ("headline", opt(s.headline.as_ref())),
                    (
                        "avatar",
                        Value::from(s.avatar.as_ref().map(|a| a.url.as_str())),
                    ),
                    ("initials", initials(&s.name).into()),
                    ("hue", hue(s.id.as_str()).into()),
                ]),
            )
        })
        .collect();
    let mut member_cards = BTreeMap::new();
    let mut persons = BTreeMap::new();
    for (handle, card, person) in members {
        member_cards.insert(handle, card);
        persons.insert(PersonRef::Member(handle.clone()), person);
    }
    persons.extend(speakers);

    let events: Vec<&Event> = site.events.values().collect();
    let event_cards: BTreeMap<&EventId, Value> = events
        .par_iter()
        .map(|e| {
            let zone = e.zone.name.as_str();
            let (start, end, when, all_day) = match &e.time {
                EventTime::AllDay { first, last } => (
                    day_view(*first, zone, language).value(strings),
                    if first != last {
                        day_view(*last, zone, language).value(strings)
                    } else {
                        Value::none()
                    },
                    format!(
                        "{} ({})",
                        dates::day_range(*first, *last, language),
                        t("all_day")
                    ),
                    true,
                ),
                EventTime::Timed { start, end } => (
                    time_view(start, language).value(strings),
                    end.as_ref()
                        .map_or(Value::none(), |z| time_view(z, language).value(strings)),
                    dates::range(start, end.as_ref(), language),
                    false,
                ),
            };
            let status_label = match e.status {
                Status::Scheduled => String::new(),
                Status::Cancelled => t("status_cancelled"),
                Status::Postponed => t("status_postponed"),
                Status::Rescheduled => t("status_rescheduled"),
            };
            let session_label = e
                .number
                .map(|n| t("session_label").replace("{n}", &n.to_string()))
                .unwrap_or_default();
            let series =
                e.series
                    .as_ref()
                    .and_then(|s| site.series.get(s))
                    .map_or(Value::none(), |s| {
                        obj([
                            ("id", text(s.id.as_str())),
                            ("name", text(&s.name)),
                            ("url", urls.path(&paths::series(s.id.as_str())).into()),
                        ])
                    });
            let venue = e.venue.as_ref().map_or(Value::none(), |v| {
                obj([
                    ("name", opt(v.name.as_ref())),
                    ("address", opt(v.address.as_ref())),
                    ("city", opt(v.city.as_ref())),
                    ("map_url", opt(v.map_url.as_ref())),
                ])
            });
            let card = obj([
                ("id", text(e.id.as_str())),
                ("title", text(&e.title)),
                ("url", urls.path(&paths::event(e.id.as_str())).into()),
                ("summary", opt(e.summary.as_ref())),
                ("status", text(e.status.as_str())),
                ("status_label", status_label.into()),
                ("is_upcoming", e.is_upcoming(plan.now).into()),
                ("is_cancelled", (e.status == Status::Cancelled).into()),
                ("all_day", all_day.into()),
                ("start", start),
                ("end", end),
                ("when", when.into()),
                ("timezone", text(zone)),
                ("series", series),
                ("number", Value::from(e.number)),
                ("session_label", session_label.into()),
                (
                    "chapter",
                    e.chapter.as_ref().map_or(Value::none(), chapter_link),
                ),
                ("venue", venue),
                ("online_url", opt(e.online_url.as_ref())),
                (
                    "is_online",
                    (e.online_url.is_some() && e.venue.is_none()).into(),
                ),
                (
                    "is_in_person",
                    (e.venue.is_some() && e.online_url.is_none()).into(),
                ),
                (
                    "is_hybrid",
                    (e.venue.is_some() && e.online_url.is_some()).into(),
                ),
                (
                    "cover",
                    Value::from(e.cover.as_ref().map(|c| c.url.as_str())),
                ),
                ("tags", tag_values(&e.tags)),
            ]);
            (&e.id, card)
        })
        .collect::<Vec<_>>()
        .into_iter()
        .collect();

    let pages: Vec<&Page> = site.pages.values().collect();
    let page_cards: BTreeMap<&str, Value> = pages
        .par_iter()
        .map(|p| {
            let rendered = &md[p.body.0];
            let summary = p
                .summary
                .clone()
                .unwrap_or_else(|| description_from(&rendered.plain_start, 160));
            let card = obj([
                ("title", text(&p.title)),
                ("url", urls.path(&p.path).into()),
                ("date", date_value(p.date.map(|d| d.date), language)),
                ("updated", date_value(p.updated.map(|d| d.date), language)),
                ("summary", summary.into()),
                ("tags", tag_values(&p.tags)),
                (
                    "authors",
                    list(
                        p.authors
                            .iter()
                            .filter_map(|a| member_cards.get(a).cloned()),
                    ),
                ),
                ("reading_minutes", rendered.words.reading_minutes().into()),
                (
                    "reading_time",
                    t("reading_minutes")
                        .replace("{n}", &rendered.words.reading_minutes().to_string())
                        .into(),
                ),
                ("words", rendered.words.total().into()),
                (
                    "event",
                    p.event
                        .as_ref()
                        .and_then(|e| event_cards.get(e).cloned())
                        .unwrap_or(Value::none()),
                ),
            ]);
            (p.key.as_str(), card)
        })
        .collect::<Vec<_>>()
        .into_iter()
        .collect();

    let talk_refs: Vec<(&Event, usize, &Talk)> = events
        .iter()
        .flat_map(|e| e.talks.iter().enumerate().map(move |(i, t)| (*e, i, t)))
        .collect();
    let talks: BTreeMap<(&EventId, usize), Value> = talk_refs
        .par_iter()
        .map(|&(e, index, talk)| {
            let transcript = talk
                .transcript
                .as_ref()
                .and_then(|k| site.pages.get(k))
                .map_or(Value::none(), |p| {
                    obj([
                        ("title", text(&p.title)),
                        ("url", urls.path(&p.path).into()),
                    ])
                });
            let value = obj([
                ("title", text(&talk.title)),
                ("anchor", format!("talk-{}", index + 1).into()),
                ("abstract_html", html(talk.abstract_)),
                ("slides", opt(talk.slides.as_ref())),
                ("video", opt(talk.video.as_ref())),
                ("transcript", transcript),
                ("language", opt(talk.language.as_ref())),
                (
                    "speakers",
                    list(talk.speakers.iter().filter_map(|p| persons.get(p).cloned())),
                ),
                (
                    "event",
                    event_cards.get(&e.id).cloned().unwrap_or(Value::none()),
                ),
            ]);
            ((&e.id, index), value)
        })
        .collect::<Vec<_>>()
        .into_iter()
        .collect();

    let site_description = site.charter.tagline.clone().unwrap_or_else(|| {
        description_from(
            site.charter
                .purpose
                .map_or("", |p| md[p.0].plain_start.as_str()),
            160,
        )
    });
    let mut shared = Shared {
        plan,
        site,
        md,
        strings,
        language,
        charter: Value::none(),
        site_description,
        member_cards,
        persons,
        event_cards,
        page_cards,
        talks,
    };
    shared.charter = charter_value(&shared);
    shared
}

/// A section list's pages: null when everything fits on one page.
fn paginator(s: &Shared<'_>, section_path: &str, number: usize, total: usize) -> Value {
    if total <= 1 {
        return Value::none();
    }
    let url = |n: usize| s.url(&section_page_path(section_path, n));
    obj([
        ("number", number.into()),
        ("total", total.into()),
        (
            "previous",
            Value::from((number > 1).then(|| url(number - 1))),
        ),
        (
            "next",
            Value::from((number < total).then(|| url(number + 1))),
        ),
        (
            "pages",
            list(page_window(number, total).into_iter().map(|n| match n {
                Some(n) => obj([
                    ("number", n.into()),
                    ("url", url(n).into()),
                    ("is_current", (n == number).into()),
                    ("is_gap", false.into()),
                ]),
                None => obj([
                    ("number", Value::none()),
                    ("url", Value::none()),
                    ("is_current", false.into()),
                    ("is_gap", true.into()),
                ]),
            })),
        ),
    ])
}

/// Pages on either side of the current one that the paginator links to.
const PAGINATOR_REACH: usize = 2;

/// The page numbers a paginator shows, `None` for a gap: the first and the last page, and
/// those within [`PAGINATOR_REACH`] of page `number`. Listing every page would make each
/// of a section's N pages N links long: quadratic in the section's length (a section of
/// 30 000 posts has 1 500 pages). A gap of one page shows that page instead.
fn page_window(number: usize, total: usize) -> Vec<Option<usize>> {
    let near =
        number.saturating_sub(PAGINATOR_REACH).max(1)..=(number + PAGINATOR_REACH).min(total);
    let mut shown: Vec<usize> = std::iter::once(1).chain(near).chain([total]).collect();
    shown.dedup();
    let mut pages = Vec::with_capacity(shown.len() + 2);
    for (i, &n) in shown.iter().enumerate() {
        if let Some(&before) = i.checked_sub(1).and_then(|i| shown.get(i)) {
            match n - before {
                1 => {}
                2 => pages.push(Some(before + 1)),
                _ => pages.push(None),
            }
        }
        pages.push(Some(n));
    }
    pages
}

fn charter_value(s: &Shared<'_>) -> Value {
    let c = &s.site.charter;
    obj([
        ("name", text(&c.name)),
        ("tagline", opt(c.tagline.as_ref())),
        ("founded", date_value(c.founded, s.language)),
        ("purpose_html", s.html(c.purpose)),
        ("audience_html", s.html(c.audience)),
        ("body_html", s.html(Some(c.body))),
        (
            "values",
            list(c.values.iter().map(|v| {
                obj([
                    ("name", text(&v.name)),
                    ("description_html", s.html(v.description)),
                ])
            })),
        ),
        (
            "roles",
            list(c.roles.iter().map(|r| {
                obj([
                    ("id", text(r.id.as_str())),
                    ("title", text(&r.title)),
                    ("description", opt(r.description.as_ref())),
                ])
            })),
        ),
        (
            "rules",
            list(c.rules.iter().enumerate().map(|(i, r)| {
                obj([
                    ("id", text(r.id.as_str())),
                    ("number", (i + 1).into()),
                    ("anchor", format!("rule-{}", r.id.as_str()).into()),
                    ("title", text(&r.title)),
                    ("text_html", s.html(r.text)),
                ])
            })),
        ),
        (
            "membership",
            c.membership.as_ref().map_or(Value::none(), |m| {
                obj([
                    ("open", m.open.into()),
                    ("threshold_html", s.html(m.threshold)),
                    ("apply_url", opt(m.apply_url.as_ref())),
                    (
                        "tiers",
                        list(m.tiers.iter().map(|t| {
                            obj([
                                ("name", text(&t.name)),
                                ("price", opt(t.price.as_ref())),
                                ("perks_html", s.html(t.perks)),
                            ])
                        })),
                    ),
                ])
            }),
        ),
    ])
}

/// A plain-text description from the start of a Markdown text, or `fallback` when the
/// text is empty (every page carries a description, SPEC §3).
fn describe(s: &Shared<'_>, own: Option<&String>, md: Option<MdId>) -> String {
    own.cloned()
        .unwrap_or_else(|| description_from(s.plain_start(md), 160))
}

/// The template and the variables of one page.
/// A page's context as its keys and values, so that it can be fingerprinted before it
/// becomes a Tera `Context`.
#[derive(Default)]
struct PageContext {
    values: Vec<(&'static str, Value)>,
}

impl PageContext {
    fn insert_value(&mut self, key: &'static str, value: Value) {
        self.values.push((key, value));
    }

    fn fingerprint(&self, template: &str, memo: &Memo) -> u128 {
        let mut h = Xxh3::new();
        h.update(template.as_bytes());
        let mut values: Vec<&(&str, Value)> = self.values.iter().collect();
        values.sort_by_key(|(k, _)| *k);
        for (key, value) in values {
            h.update(key.as_bytes());
            hash_value(value, &mut h, memo);
        }
        h.digest128()
    }

    fn into_context(self) -> Context {
        let mut ctx = Context::new();
        for (key, value) in self.values {
            ctx.insert_value(key, value);
        }
        ctx
    }
}

/// Digests of the maps and lists that many pages share (the cards built once), by
/// address: hashing a page's context then costs one lookup per shared card instead of a
/// walk through it. Only values that live as long as the memo are in it, so an address
/// cannot be reused by another value while it is consulted.
#[derive(Default)]
struct Memo {
    digests: FxHashMap<usize, u128>,
}

impl Memo {
    fn of(shared: &Shared<'_>) -> Memo {
        let mut memo = Memo::default();
        let values = std::iter::once(&shared.charter)
            .chain(shared.member_cards.values())
            .chain(shared.persons.values())
            .chain(shared.event_cards.values())
            .chain(shared.page_cards.values())
            .chain(shared.talks.values());
        for value in values {
            memo.register(value);
        }
        memo
    }

    /// Computes and keeps the digest of `value` and of every map and list inside it.
    fn register(&mut self, value: &Value) {
        if let Some(address) = address(value) {
            if self.digests.contains_key(&address) {
                return;
            }
            for child in children(value) {
                self.register(child);
            }
            let digest = node_digest(value, self);
            self.digests.insert(address, digest);
        }
    }
}

/// Where a map's or list's shared storage lives; `None` for other values.
fn address(value: &Value) -> Option<usize> {
    if let Some(map) = value.as_map() {
        return Some(map as *const Map as usize);
    }
    value.as_array().map(|items| items.as_ptr() as usize)
}

fn children(value: &Value) -> Box<dyn Iterator<Item = &Value> + '_> {
    match (value.as_map(), value.as_array()) {
        (Some(map), _) => Box::new(map.values()),
        (_, Some(items)) => Box::new(items.iter()),
        _ => Box::new(std::iter::empty()),
    }
}

/// The digest of a map or list: its entries hashed on their own, so that it is the same
/// whether it is computed here or taken from the memo.
fn node_digest(value: &Value, memo: &Memo) -> u128 {
    let mut h = Xxh3::new();
    if let Some(map) = value.as_map() {
        h.update(&[4]);
        h.update(&(map.len() as u64).to_le_bytes());
        for (key, item) in map {
            // Keys are names (`title`); other kinds print.
            let printed;
            let key = match key.as_str() {
                Some(name) => name,
                None => {
                    printed = key.to_string();
                    &printed
                }
            };
            h.update(&(key.len() as u64).to_le_bytes());
            h.update(key.as_bytes());
            hash_value(item, &mut h, memo);
        }
    } else if let Some(items) = value.as_array() {
        h.update(&[3]);
        h.update(&(items.len() as u64).to_le_bytes());
        for item in items {
            hash_value(item, &mut h, memo);
        }
    }
    h.digest128()
}

/// Feeds a value to `h` so that two values that render alike hash alike and any
/// difference (kind, text, safe-ness, order of a map) changes the hash.
fn hash_value(value: &Value, h: &mut Xxh3, memo: &Memo) {
    use tera::value::ValueKind;
    let kind = value.kind();
    let tag = |h: &mut Xxh3, t: u8| h.update(&[t]);
    match kind {
        ValueKind::String => {
            let text = value.as_str().unwrap_or("");
            tag(h, if value.is_safe() { 1 } else { 2 });
            h.update(&(text.len() as u64).to_le_bytes());
            h.update(text.as_bytes());
        }
        ValueKind::Array | ValueKind::Map => {
            let known = address(value).and_then(|a| memo.digests.get(&a).copied());
            let digest = known.unwrap_or_else(|| node_digest(value, memo));
            tag(h, 3);
            h.update(&digest.to_le_bytes());
        }
        ValueKind::Bytes => {
            let bytes = value.as_bytes().unwrap_or(&[]);
            tag(h, 5);
            h.update(&(bytes.len() as u64).to_le_bytes());
            h.update(bytes);
        }
        ValueKind::Undefined => tag(h, 6),
        ValueKind::None => tag(h, 7),
        ValueKind::Bool => {
            tag(h, 8);
            h.update(&[u8::from(value.as_bool() == Some(true))]);
        }
        ValueKind::U64 | ValueKind::I64 => {
            tag(h, 9);
            let n = value
                .as_i64()
                .map_or(value.as_u64().unwrap_or(0) as i128, i128::from);
            h.update(&n.to_le_bytes());
        }
        ValueKind::F64 => {
            tag(h, 10);
            h.update(&value.as_f64().unwrap_or(0.0).to_bits().to_le_bytes());
        }
        // Anything else (128-bit numbers, kinds a later Tera adds): its kind and how it prints.
        _ => {
            tag(h, 11);
            h.update(format!("{kind:?}:{value}").as_bytes());
        }
    }
}

/// What the last build's pages were rendered from, for `serve`: a page whose template
/// and context hash the same as last time, under the same templates and globals, is
/// the same bytes, so its last rendering is kept instead of rendering it again.
#[derive(Debug, Default, Clone)]
pub struct Fingerprints {
    global: u128,
    pages: HashMap<String, u128>,
    /// How many pages this build rendered (the others it kept).
    pub rendered: usize,
}

impl Fingerprints {
    /// Fingerprints as a manifest kept them.
    pub fn from_parts(global: u128, pages: HashMap<String, u128>) -> Fingerprints {
        Fingerprints {
            global,
            pages,
            rendered: 0,
        }
    }

    pub fn global(&self) -> u128 {
        self.global
    }

    pub fn pages(&self) -> &HashMap<String, u128> {
        &self.pages
    }

    /// Adds the fingerprint of another output file than a page (the search index's).
    pub fn insert(&mut self, file: &str, fingerprint: u128) {
        self.pages.insert(file.to_string(), fingerprint);
    }
}

/// This program: its version and a hash of its sources, built-in theme and locked
/// dependencies (see `build.rs`), so that pages a changed shequn would render otherwise
/// are rendered again.
pub(crate) const PROGRAM_IDENTITY: &str =
    concat!(env!("CARGO_PKG_VERSION"), " ", env!("SHEQUN_SOURCE_HASH"));

/// The templates' sources, the global context and the program: a change to any may
/// change any page.
fn global_fingerprint(theme: &Theme, globals: &Context) -> u128 {
    let mut h = Xxh3::new();
    h.update(PROGRAM_IDENTITY.as_bytes());
    h.update(&[0]);
    let mut uses_now = false;
    for template in theme.templates.values() {
        h.update(template.name.as_bytes());
        h.update(&[0]);
        h.update(template.source.text.as_bytes());
        h.update(&[0]);
        uses_now |= mentions_word(&template.source.text, "now");
    }
    for key in ["site", "t"] {
        h.update(key.as_bytes());
        hash_value(
            globals.get(key).unwrap_or(&Value::none()),
            &mut h,
            &Memo::default(),
        );
    }
    // The build's time changes at every build; only templates that name it depend on it.
    if uses_now {
        hash_value(
            globals.get("now").unwrap_or(&Value::none()),
            &mut h,
            &Memo::default(),
        );
    }
    h.digest128()
}

/// Whether `word` occurs in `text` as a whole identifier (`now`, not `apply_now`).
fn mentions_word(text: &str, word: &str) -> bool {
    let is_ident = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_');
    text.match_indices(word).any(|(i, _)| {
        !is_ident(text[..i].chars().next_back()) && !is_ident(text[i + word.len()..].chars().next())
    })
}

fn page_context(s: &Shared<'_>, page: &PlannedPage<'_>) -> (String, PageContext) {
    let site = s.site;
    let plan = s.plan;
    let mut ctx = PageContext::default();
    let site_description = || s.site_description.clone();
    let title_with_site = |title: &str| format!("{title} · {}", site.title());
    let (template, title, description): (String, String, String) = match &page.job {
        PageJob::Home => {
            ctx.insert_value("charter", s.charter.clone());
            let intro = site
                .pages
                .values()
                .find(|p| p.kind == PageKind::Home)
                .map_or(text(""), |p| text(&s.md[p.body.0].html));
            ctx.insert_value("intro_html", intro);
            ctx.insert_value("upcoming_events", s.event_cards(&plan.upcoming));
            let talks: Vec<TalkRef> = plan
                .talks
                .iter()
                .filter(|t| !t.event.is_upcoming(plan.now))
                .take(HOME_LIST_LENGTH)
                .copied()
                .collect();
            ctx.insert_value("latest_talks", s.talks(&talks));
            let posts: Vec<&Page> = plan.posts.iter().take(HOME_LIST_LENGTH).copied().collect();
            ctx.insert_value("latest_posts", s.page_cards(&posts));
            (
                "index.html".into(),
                site.title().to_string(),
                site_description(),
            )
        }
        PageJob::Manifesto => {
            ctx.insert_value("charter", s.charter.clone());
            let d = description_from(s.plain_start(Some(site.charter.body)), 160);
            (
                "manifesto.html".into(),
                title_with_site(&s.t("manifesto_title")),
                d,
            )
        }
        PageJob::Rules => {
            ctx.insert_value("charter", s.charter.clone());
            (
                "rules.html".into(),
                title_with_site(&s.t("rules_title")),
                site_description(),
            )
        }
        PageJob::Join => {
            ctx.insert_value("charter", s.charter.clone());
            (
                "join.html".into(),
                title_with_site(&s.t("join_title")),
                site_description(),
            )
        }
        PageJob::Events => {
            ctx.insert_value("upcoming", s.event_cards(&plan.upcoming));
            ctx.insert_value("past", s.event_cards(&plan.past));
            (
                "events.html".into(),
                title_with_site(&s.t("events_title")),
                site_description(),
            )
        }
        PageJob::Event(e) => {
            let card = s.event_cards.get(&e.id).cloned().unwrap_or(Value::none());
            let talks: Vec<TalkRef> = (0..e.talks.len())
                .map(|index| TalkRef { event: e, index })
                .collect();
            let event = with(
                &card,
                [
                    ("description_html", s.html(e.description)),
                    ("hosts", s.member_cards_by_id(&e.hosts)),
                    ("talks", s.talks(&talks)),
                    ("rsvp_url", opt(e.rsvp_url.as_ref())),
                    ("capacity", Value::from(e.capacity)),
                    (
                        "previous_start",
                        e.previous_start.as_ref().map_or(Value::none(), |m| {
                            moment_view(m, &e.zone.name, s.language).value(s.strings)
                        }),
                    ),
                    (
                        "pages",
                        s.page_cards(plan.pages_by_event.get(&e.id).map_or(&[][..], |v| v)),
                    ),
                    ("extra", extra(&e.extra)),
                ],
            );
            ctx.insert_value("event", event);
            let d = describe(s, e.summary.as_ref(), e.description);
            ("event.html".into(), title_with_site(&e.title), d)
        }
        PageJob::SeriesList => {
            let list_value = list(site.series.values().map(|x| {
                obj([
                    ("id", text(x.id.as_str())),
                    ("name", text(&x.name)),
                    ("url", s.url(&paths::series(x.id.as_str())).into()),
                    ("cadence", opt(x.cadence.as_ref())),
                    (
                        "event_count",
                        plan.events_by_series.get(&x.id).map_or(0, Vec::len).into(),
                    ),
                ])
            }));
            ctx.insert_value("series", list_value);
            (
                "series_list.html".into(),
                title_with_site(&s.t("nav_series")),
                site_description(),
            )
        }
        PageJob::Series(x) => {
            ctx.insert_value(
                "series",
                obj([
                    ("id", text(x.id.as_str())),
                    ("name", text(&x.name)),
                    ("url", s.url(&paths::series(x.id.as_str())).into()),
                    ("cadence", opt(x.cadence.as_ref())),
                    ("description_html", s.html(x.description)),
                    ("extra", extra(&x.extra)),
                ]),
            );
            let in_series = |e: &&&Event| e.series.as_ref() == Some(&x.id);
            let events = plan.events_by_series.get(&x.id).map_or(&[][..], |v| v);
            ctx.insert_value("events", s.event_cards(events));
            ctx.insert_value(
                "upcoming",
                s.event_cards(plan.upcoming.iter().filter(in_series)),
            );
            ctx.insert_value("past", s.event_cards(plan.past.iter().filter(in_series)));
            let d = describe(s, None, x.description);
            ("series.html".into(), title_with_site(&x.name), d)
        }
        PageJob::Talks => {
            let mut years: Vec<(i16, Vec<Value>)> = Vec::new();
            for t in &plan.talks {
                let year = t
                    .event
                    .time
                    .start_timestamp(&t.event.zone.tz)
                    .to_zoned(t.event.zone.tz.clone())
                    .year();
                let talk = s
                    .talks
                    .get(&(&t.event.id, t.index))
                    .cloned()
                    .unwrap_or(Value::none());
                match years.last_mut() {
                    Some((y, list)) if *y == year => list.push(talk),
                    _ => years.push((year, vec![talk])),
                }
            }
            let years = list(
                years
                    .into_iter()
                    .map(|(year, talks)| obj([("year", year.into()), ("talks", talks.into())])),
            );
            ctx.insert_value("years", years);
            (
                "talks.html".into(),
                title_with_site(&s.t("talks_title")),
                site_description(),
            )
        }
        PageJob::Speakers => {
            let speakers = list(plan.speakers_with_talks.iter().filter_map(|p| {
                let person = s.persons.get(p)?;
                let count = plan.talks_by_person.get(p).map_or(0, Vec::len);
                Some(with(person, [("talk_count", count.into())]))
            }));
            ctx.insert_value("speakers", speakers);
            (
                "speakers.html".into(),
                title_with_site(&s.t("speakers_title")),
                site_description(),
            )
        }
        PageJob::Speaker(sp) => {
            let key = PersonRef::Speaker(sp.id.clone());
            let person = s.persons.get(&key).cloned().unwrap_or(Value::none());
            ctx.insert_value(
                "speaker",
                with(
                    &person,
                    [
                        ("bio_html", s.html(sp.bio)),
                        ("links", links_value(&sp.links)),
                        ("extra", extra(&sp.extra)),
                    ],
                ),
            );
            ctx.insert_value(
                "talks",
                s.talks(plan.talks_by_person.get(&key).map_or(&[][..], |v| v)),
            );
            let d = describe(s, sp.headline.as_ref(), sp.bio);
            ("speaker.html".into(), title_with_site(&sp.name), d)
        }
        PageJob::Members => {
            let mut sorted = plan.members.clone();
            sorted.sort_by(|a, b| a.name.cmp(&b.name).then_with(|| a.handle.cmp(&b.handle)));
            let mut groups: Vec<Value> = Vec::new();
            for role in &site.charter.roles {
                let members: Vec<&Member> = sorted
                    .iter()
                    .filter(|m| m.role.as_ref() == Some(&role.id))
                    .copied()
                    .collect();
                if !members.is_empty() {
                    groups.push(obj([
                        (
                            "role",
                            obj([("id", text(role.id.as_str())), ("title", text(&role.title))]),
                        ),
                        ("members", s.member_cards(&members)),
                    ]));
                }
            }
            let declared = |m: &&Member| {
                m.role
                    .as_ref()
                    .is_some_and(|r| site.charter.roles.iter().any(|x| x.id == *r))
            };
            let others: Vec<&Member> = sorted.iter().filter(|m| !declared(m)).copied().collect();
            if !others.is_empty() {
                groups.push(obj([
                    ("role", Value::none()),
                    ("members", s.member_cards(&others)),
                ]));
            }
            let chapters = list(
                site.chapters
                    .values()
                    .filter(|c| plan.members_by_chapter.contains_key(&c.id))
                    .map(|c| {
                        obj([
                            ("id", text(c.id.as_str())),
                            ("name", text(&c.name)),
                            ("url", s.url(&paths::chapter(c.id.as_str())).into()),
                        ])
                    }),
            );
            let roles = list(
                site.charter
                    .roles
                    .iter()
                    .filter(|r| plan.members.iter().any(|m| m.role.as_ref() == Some(&r.id)))
                    .map(|r| obj([("id", text(r.id.as_str())), ("title", text(&r.title))])),
            );
            let tags = list(
                plan.tags
                    .values()
                    .filter(|t| !t.members.is_empty())
                    .map(|t| {
                        obj([
                            ("name", text(&t.name)),
                            ("slug", text(&t.slug)),
                            ("url", s.url(&paths::tag(&t.slug)).into()),
                        ])
                    }),
            );
            ctx.insert_value("groups", groups.into());
            ctx.insert_value(
                "filters",
                obj([("chapters", chapters), ("roles", roles), ("tags", tags)]),
            );
            ctx.insert_value("member_count", plan.members.len().into());
            (
                "members.html".into(),
                title_with_site(&s.t("members_title")),
                site_description(),
            )
        }
        PageJob::Member(m) => {
            let card = s
                .member_cards
                .get(&m.handle)
                .cloned()
                .unwrap_or(Value::none());
            ctx.insert_value(
                "member",
                with(
                    &card,
                    [("bio_html", s.html(m.bio)), ("extra", extra(&m.extra))],
                ),
            );
            let key = PersonRef::Member(m.handle.clone());
            ctx.insert_value(
                "talks",
                s.talks(plan.talks_by_person.get(&key).map_or(&[][..], |v| v)),
            );
            ctx.insert_value(
                "hosted_events",
                s.event_cards(plan.events_by_host.get(&m.handle).map_or(&[][..], |v| v)),
            );
            ctx.insert_value(
                "posts",
                s.page_cards(plan.pages_by_author.get(&m.handle).map_or(&[][..], |v| v)),
            );
            let d = describe(s, m.headline.as_ref(), m.bio);
            ("member.html".into(), title_with_site(&m.name), d)
        }
        PageJob::Chapters => {
            let chapters = list(site.chapters.values().map(|c| {
                obj([
                    ("id", text(c.id.as_str())),
                    ("name", text(&c.name)),
                    ("url", s.url(&paths::chapter(c.id.as_str())).into()),
                    ("city", opt(c.city.as_ref())),
                    (
                        "member_count",
                        plan.members_by_chapter
                            .get(&c.id)
                            .map_or(0, Vec::len)
                            .into(),
                    ),
                    ("founded", date_value(c.founded, s.language)),
                ])
            }));
            ctx.insert_value("chapters", chapters);
            (
                "chapters.html".into(),
                title_with_site(&s.t("chapters_title")),
                site_description(),
            )
        }
        PageJob::Chapter(c) => {
            ctx.insert_value(
                "chapter",
                obj([
                    ("id", text(c.id.as_str())),
                    ("name", text(&c.name)),
                    ("url", s.url(&paths::chapter(c.id.as_str())).into()),
                    ("city", opt(c.city.as_ref())),
                    ("description_html", s.html(c.description)),
                    ("founded", date_value(c.founded, s.language)),
                    ("organizers", s.member_cards_by_id(&c.organizers)),
                    ("links", links_value(&c.links)),
                    ("extra", extra(&c.extra)),
                ]),
            );
            ctx.insert_value(
                "members",
                s.member_cards(plan.members_by_chapter.get(&c.id).map_or(&[][..], |v| v)),
            );
            let in_chapter = |e: &&&Event| e.chapter.as_ref() == Some(&c.id);
            ctx.insert_value(
                "upcoming",
                s.event_cards(plan.upcoming.iter().filter(in_chapter)),
            );
            ctx.insert_value("past", s.event_cards(plan.past.iter().filter(in_chapter)));
            let d = describe(s, None, c.description);
            ("chapter.html".into(), title_with_site(&c.name), d)
        }
        PageJob::Tags => {
            let tags = list(plan.tags.values().map(|t| {
                obj([
                    ("name", text(&t.name)),
                    ("slug", text(&t.slug)),
                    ("url", s.url(&paths::tag(&t.slug)).into()),
                    ("count", t.count().into()),
                ])
            }));
            ctx.insert_value("tags", tags);
            (
                "tags.html".into(),
                title_with_site(&s.t("tags_title")),
                site_description(),
            )
        }
        PageJob::Tag(slug) => {
            let tag = &plan.tags[slug.as_str()];
            ctx.insert_value(
                "tag",
                obj([
                    ("name", text(&tag.name)),
                    ("slug", text(&tag.slug)),
                    ("url", s.url(&paths::tag(slug)).into()),
                ]),
            );
            ctx.insert_value("members", s.member_cards(&tag.members));
            ctx.insert_value("events", s.event_cards(&tag.events));
            ctx.insert_value("pages", s.page_cards(&tag.pages));
            (
                "tag.html".into(),
                title_with_site(&format!("#{}", tag.name)),
                site_description(),
            )
        }
        PageJob::Section(p) | PageJob::SectionPage(p, _) => {
            let number = match &page.job {
                PageJob::SectionPage(_, n) => *n,
                _ => 1,
            };
            ctx.insert_value(
                "section",
                obj([
                    ("title", text(&p.title)),
                    ("url", s.url(&p.path).into()),
                    ("content_html", s.html(Some(p.body))),
                    ("extra", extra(&p.extra)),
                ]),
            );
            let all = plan
                .section_pages
                .get(p.key.as_str())
                .map_or(&[][..], |v| v);
            let start = (number - 1) * SECTION_PAGE_SIZE;
            let shown = &all[start.min(all.len())..(start + SECTION_PAGE_SIZE).min(all.len())];
            ctx.insert_value("pages", s.page_cards(shown));
            ctx.insert_value(
                "paginator",
                paginator(s, &p.path, number, page_count(all.len())),
            );
            let d = describe(s, p.summary.as_ref(), Some(p.body));
            (
                p.template.clone().unwrap_or_else(|| "section.html".into()),
                title_with_site(&p.title),
                d,
            )
        }
        PageJob::Page(p) => {
            let card = s
                .page_cards
                .get(p.key.as_str())
                .cloned()
                .unwrap_or(Value::none());
            let rendered = &s.md[p.body.0];
            let section =
                p.section
                    .as_ref()
                    .and_then(|k| site.pages.get(k))
                    .map_or(Value::none(), |sec| {
                        obj([
                            ("title", text(&sec.title)),
                            ("url", s.url(&sec.path).into()),
                        ])
                    });
            let toc = list(rendered.headings.iter().map(|h| {
                obj([
                    ("level", h.level.into()),
                    ("id", text(&h.id)),
                    ("title", text(&h.title)),
                ])
            }));
            ctx.insert_value(
                "page",
                with(
                    &card,
                    [
                        ("content_html", text(&rendered.html)),
                        ("toc", toc),
                        ("extra", extra(&p.extra)),
                        ("section", section),
                    ],
                ),
            );
            let d = describe(s, p.summary.as_ref(), Some(p.body));
            (
                p.template.clone().unwrap_or_else(|| "page.html".into()),
                title_with_site(&p.title),
                d,
            )
        }
        PageJob::Search => {
            ctx.insert_value("index_url", s.url(crate::search::INDEX_DIR).into());
            (
                "search.html".into(),
                title_with_site(&s.t("search_title")),
                site_description(),
            )
        }
        PageJob::NotFound => (
            "404.html".into(),
            title_with_site(&s.t("not_found_title")),
            site_description(),
        ),
    };
    let page_url = s.url(&page.url_path);
    // The navigation item this page lies under (`/events/` for an event), if any.
    let nav_active = NAV_SECTIONS
        .iter()
        .find(|section| page.url_path.starts_with(*section))
        .map_or(String::new(), |section| s.url(section));
    ctx.insert_value("nav_active", nav_active.into());
    ctx.insert_value("page_url", page_url.into());
    ctx.insert_value(
        "canonical_url",
        site.config.urls.absolute(&page.url_path).into(),
    );
    // Every page carries a description (SPEC §3): the site's when the page has none.
    let description = if description.trim().is_empty() {
        site_description()
    } else {
        description
    };
    ctx.insert_value(
        "json_ld_html",
        crate::jsonld::script(plan, &page.job, &description).into(),
    );
    ctx.insert_value("page_title", title.into());
    ctx.insert_value("description", description.into());
    (template, ctx)
}

/// Renders every page of the plan and writes it to `sink`. Every failing page is
/// reported, not only the first.
pub fn render_pages(
    plan: &Plan<'_>,
    md: &[Rendered],
    theme: &Theme,
    tera: &mut Tera,
    sink: &dyn Sink,
    diags: &mut Diagnostics,
) {
    render_pages_reusing(plan, md, theme, tera, sink, None, diags);
}

/// [`render_pages`], keeping (through [`Sink::keep`]) every page whose fingerprint is
/// the one in `previous`; returns this build's fingerprints. Without `previous`, no
/// fingerprint is computed and an empty set is returned.
pub fn render_pages_reusing(
    plan: &Plan<'_>,
    md: &[Rendered],
    theme: &Theme,
    tera: &mut Tera,
    sink: &dyn Sink,
    previous: Option<&Fingerprints>,
    diags: &mut Diagnostics,
) -> Fingerprints {
    *tera.global_context() = globals(plan, theme);
    let global = previous.map_or(0, |_| global_fingerprint(theme, tera.global_context()));
    let reusable = previous.filter(|p| p.global == global);
    let tera = &*tera;
    let shared = build_shared(plan, md, theme);
    let memo = previous.map_or_else(Memo::default, |_| Memo::of(&shared));
    let results: Vec<(Diagnostics, Option<u128>, bool)> = plan
        .pages
        .par_iter()
        .map_init(Vec::new, |buffer, page| {
            let mut found = Diagnostics::default();
            let (template, ctx) = page_context(&shared, page);
            if !theme.templates.contains_key(&template) {
                let source = match &page.job {
                    PageJob::Page(p) | PageJob::Section(p) | PageJob::SectionPage(p, _) => {
                        p.key.as_str()
                    }
                    _ => "",
                };
                let mut d = Diagnostic::error(format!("page template `{template}` does not exist"))
                    .with_help("put it in templates/ or the theme's templates/ folder");
                if !source.is_empty() {
                    d = d.in_file(source);
                }
                found.push(d);
                return (found, None, false);
            }
            let fingerprint = previous.map(|_| ctx.fingerprint(&template, &memo));
            let unchanged = reusable.is_some_and(|p| {
                fingerprint.is_some() && p.pages.get(&page.file) == fingerprint.as_ref()
            });
            if unchanged && sink.keep(&page.file) {
                return (found, fingerprint, false);
            }
            buffer.clear();
            match tera.render_to(&template, &ctx.into_context(), &mut *buffer) {
                Ok(()) => {
                    if let Err(e) = sink.write(&page.file, buffer) {
                        found.push(Diagnostic::error(e));
                    }
                }
                Err(e) => {
                    let what = format!("rendering `{}` with `{template}`", page.file);
                    template_error(theme, &e, &what, Some(&template), &mut found);
                }
            }
            (found, fingerprint, true)
        })
        .collect();
    let mut fingerprints = Fingerprints {
        global,
        pages: HashMap::new(),
        rendered: results.iter().filter(|r| r.2).count(),
    };
    for (page, (d, fingerprint, _)) in plan.pages.iter().zip(results) {
        if let Some(f) = fingerprint.filter(|_| d.items().is_empty()) {
            fingerprints.pages.insert(page.file.clone(), f);
        }
        diags.extend(d);
    }
    fingerprints
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_paginator_shows_the_ends_and_the_pages_near_the_current_one() {
        let shown = |number, total| {
            page_window(number, total)
                .into_iter()
                .map(|n| n.map_or("…".to_string(), |n| n.to_string()))
                .collect::<Vec<_>>()
                .join(" ")
        };
        assert_eq!(shown(1, 2), "1 2");
        assert_eq!(shown(1, 7), "1 2 3 … 7");
        assert_eq!(shown(4, 7), "1 2 3 4 5 6 7");
        assert_eq!(shown(5, 12), "1 2 3 4 5 6 7 … 12");
        assert_eq!(shown(6, 12), "1 … 4 5 6 7 8 … 12");
        assert_eq!(shown(12, 12), "1 … 10 11 12");
        // However long the section, a page links to at most nine.
        for number in [1, 2, 700, 1499, 1500] {
            assert!(page_window(number, 1500).len() <= 9, "{number}");
        }
    }

    #[test]
    fn initials_for_latin_and_chinese_names() {
        assert_eq!(initials("Li Lei"), "LL");
        assert_eq!(initials("陈雨桐"), "陈");
        assert_eq!(initials("ada"), "A");
    }

    #[test]
    fn escaping_leaves_slashes_alone() {
        let mut out = Vec::new();
        escape_html("<a href=\"/x/\">'&'</a>", &mut out).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "&lt;a href=&quot;/x/&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
    }

    #[test]
    fn messages_start_in_lower_case_unless_an_acronym() {
        assert_eq!(
            lower_first("Field `x` is not defined"),
            "field `x` is not defined"
        );
        assert_eq!(lower_first("IO error"), "IO error");
    }
}
