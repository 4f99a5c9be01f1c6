//! The render stage: one Tera context per page of the plan, rendered in parallel and
//! handed to the output sink. The context shapes built here are the template contract
//! (`docs/templates.md`): renaming a field breaks themes. Shared pieces (a member card,
//! an event card, a talk) are built once and reused by every page that shows them, so a
//! page costs its own size, not the site's. Comes after `plan` and `markdown`;
//! `output` owns where the bytes go.

use std::collections::BTreeMap;

use rayon::prelude::*;
use serde::Serialize;
use serde_json::{json, Value as Json};
use tera::{Context, Tera};

use crate::dates;
use crate::diag::{Diagnostic, Diagnostics};
use crate::markdown::{description_from, Rendered};
use crate::model::time::{EventTime, Moment};
use crate::model::*;
use crate::output::Sink;
use crate::plan::{
    page_count, section_page_path, PageJob, Plan, PlannedPage, TalkRef, SECTION_PAGE_SIZE,
};
use crate::theme::Theme;
use crate::urls::paths;

/// How many talks and posts the home page shows.
const HOME_LIST_LENGTH: usize = 6;

/// Compiles the merged theme's templates once.
pub fn compile_templates(theme: &Theme, diags: &mut Diagnostics) -> Option<Tera> {
    let mut tera = Tera::default();
    tera.autoescape_on(vec![".html", ".htm", ".xml"]);
    tera.set_escape_fn(escape_html);
    let templates: Vec<(&str, &str)> = theme
        .templates
        .values()
        .map(|t| (t.name.as_str(), t.source.text.as_str()))
        .collect();
    match tera.add_raw_templates(templates) {
        Ok(()) => Some(tera),
        Err(e) => {
            diags.push(crate::template_error::compile_error(&e, theme));
            None
        }
    }
}

/// Escapes text for HTML: `&`, `<`, `>`, `"` and `'`, which is all a text node or a
/// quoted attribute needs (Tera's default also escapes `/`, which makes URLs unreadable).
fn escape_html(input: &str) -> String {
    if !input
        .bytes()
        .any(|b| matches!(b, b'&' | b'<' | b'>' | b'"' | b'\''))
    {
        return input.to_string();
    }
    let mut out = String::with_capacity(input.len() + 8);
    for c in input.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

#[derive(Serialize)]
struct TimeView {
    iso: String,
    date: String,
    time: String,
    display: String,
    zone: String,
    zone_abbr: String,
    year: i16,
}

/// A page's template variables. Values are moved in, never serialised a second time:
/// `tera::Context::insert` would copy every list of cards once more per page.
struct PageVars(serde_json::Map<String, Json>);

impl PageVars {
    fn insert(&mut self, key: &str, value: impl Into<Json>) {
        self.0.insert(key.to_string(), value.into());
    }

    fn into_context(self) -> Context {
        // `from_value` only fails for a non-object, and this is always an object.
        Context::from_value(Json::Object(self.0)).unwrap_or_default()
    }
}

/// Everything built once and shared by the pages that show it.
struct Shared<'a> {
    plan: &'a Plan<'a>,
    site: &'a Site,
    md: &'a [Rendered],
    strings: &'a BTreeMap<String, String>,
    language: Language,
    base: serde_json::Map<String, Json>,
    member_cards: BTreeMap<&'a MemberId, Json>,
    persons: BTreeMap<PersonRef, Json>,
    event_cards: BTreeMap<&'a EventId, Json>,
    page_cards: BTreeMap<&'a str, Json>,
}

impl<'a> Shared<'a> {
    fn html(&self, id: Option<MdId>) -> String {
        id.map(|i| self.md[i.0].html.clone()).unwrap_or_default()
    }

    fn t(&self, key: &str) -> String {
        self.strings.get(key).cloned().unwrap_or_default()
    }

    fn url(&self, rel: &str) -> String {
        self.site.config.urls.path(rel)
    }

    fn member_cards(&self, members: &[&Member]) -> Vec<Json> {
        members
            .iter()
            .filter_map(|m| self.member_cards.get(&m.handle).cloned())
            .collect()
    }

    fn member_cards_by_id(&self, ids: &[MemberId]) -> Vec<Json> {
        ids.iter()
            .filter_map(|m| self.member_cards.get(m).cloned())
            .collect()
    }

    fn event_cards(&self, events: &[&Event]) -> Vec<Json> {
        events
            .iter()
            .filter_map(|e| self.event_cards.get(&e.id).cloned())
            .collect()
    }

    fn page_cards(&self, pages: &[&Page]) -> Vec<Json> {
        pages
            .iter()
            .filter_map(|p| self.page_cards.get(p.key.as_str()).cloned())
            .collect()
    }

    fn talk(&self, t: &TalkRef<'_>) -> Json {
        let talk = t.talk();
        let transcript = talk
            .transcript
            .as_ref()
            .and_then(|k| self.site.pages.get(k))
            .map(|p| json!({ "title": p.title, "url": self.url(&p.path) }));
        let mut value = json!({
            "title": talk.title,
            "anchor": format!("talk-{}", t.index + 1),
            "abstract_html": self.html(talk.abstract_),
            "slides": talk.slides,
            "video": talk.video,
            "transcript": transcript,
            "language": talk.language,
        });
        // Moved in rather than through `json!`, which would serialise them once more.
        let speakers: Vec<Json> = talk
            .speakers
            .iter()
            .filter_map(|p| self.persons.get(p).cloned())
            .collect();
        value["speakers"] = Json::Array(speakers);
        value["event"] = self
            .event_cards
            .get(&t.event.id)
            .cloned()
            .unwrap_or(Json::Null);
        value
    }

    fn talks(&self, talks: &[TalkRef<'_>]) -> Vec<Json> {
        talks.iter().map(|t| self.talk(t)).collect()
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

fn links_json(links: &[Link]) -> Json {
    Json::Array(
        links
            .iter()
            .map(|l| json!({ "label": l.label, "url": l.url }))
            .collect(),
    )
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
    }
}

fn moment_view(m: &Moment, zone: &str, language: Language) -> TimeView {
    match m {
        Moment::Date(d) => day_view(*d, zone, language),
        Moment::Instant(z) => time_view(z, language),
    }
}

fn date_json(d: Option<PageDate>, language: Language) -> Json {
    match d {
        Some(d) => json!({ "iso": d.date.to_string(), "display": dates::date(d.date, language) }),
        None => Json::Null,
    }
}

fn build_shared<'a>(plan: &'a Plan<'a>, md: &'a [Rendered], theme: &'a Theme) -> Shared<'a> {
    let site = plan.site;
    let language = site.config.language;
    let urls = &site.config.urls;
    let strings = &theme.strings;
    let t = |k: &str| strings.get(k).cloned().unwrap_or_default();

    let mut nav = vec![
        json!({ "title": t("nav_home"), "url": urls.path("") }),
        json!({ "title": t("nav_manifesto"), "url": urls.path("manifesto/") }),
        json!({ "title": t("nav_rules"), "url": urls.path("rules/") }),
    ];
    if site.charter.membership.is_some() {
        nav.push(json!({ "title": t("nav_join"), "url": urls.path("join/") }));
    }
    for (key, path) in [
        ("nav_events", "events/"),
        ("nav_talks", "talks/"),
        ("nav_speakers", "speakers/"),
        ("nav_members", "members/"),
        ("nav_chapters", "chapters/"),
        ("nav_search", "search/"),
    ] {
        nav.push(json!({ "title": t(key), "url": urls.path(path) }));
    }
    let site_json = json!({
        "title": site.title(),
        "name": site.charter.name,
        "tagline": site.charter.tagline,
        "language": language.code(),
        "base_url": urls.base,
        "root": urls.root,
        "timezone": site.config.zone.name,
        "has_join": site.charter.membership.is_some(),
        "nav": nav,
        "counts": {
            "members": plan.members.len(),
            "chapters": site.chapters.len(),
            "events": site.events.len(),
            "speakers": plan.speakers_with_talks.len(),
            "talks": plan.talks.len(),
        },
        "extra": site.config.extra,
    });
    let mut base = serde_json::Map::new();
    base.insert("site".into(), site_json);
    base.insert("t".into(), json!(strings));
    base.insert("now".into(), Json::String(plan.now.to_string()));

    let chapter_link = |id: &ChapterId| {
        site.chapters.get(id).map(|c| json!({ "id": c.id, "name": c.name, "url": urls.path(&paths::chapter(c.id.as_str())) }))
    };
    let tag_json = |tags: &[Tag]| {
        Json::Array(tags.iter().map(|t| json!({ "name": t.name, "slug": t.slug, "url": urls.path(&paths::tag(&t.slug)) })).collect())
    };

    let mut member_cards = BTreeMap::new();
    let mut persons = BTreeMap::new();
    for m in &plan.members {
        let url = urls.path(&paths::member(m.handle.as_str()));
        let avatar = m.avatar.as_ref().map(|a| a.url.clone());
        let role = m.role.as_ref().map(|r| {
            let title = site
                .charter
                .roles
                .iter()
                .find(|x| x.id == *r)
                .map_or(r.0.clone(), |x| x.title.clone());
            json!({ "id": r, "title": title })
        });
        let person = json!({
            "id": m.handle, "kind": "member", "name": m.name, "url": url, "headline": m.headline,
            "avatar": avatar, "initials": initials(&m.name),
        });
        let mut card = person.clone();
        if let Json::Object(o) = &mut card {
            o.insert("handle".into(), json!(m.handle));
            o.insert("role".into(), role.unwrap_or(Json::Null));
            o.insert(
                "chapter".into(),
                m.chapter
                    .as_ref()
                    .and_then(chapter_link)
                    .unwrap_or(Json::Null),
            );
            o.insert("city".into(), json!(m.city));
            o.insert("tags".into(), tag_json(&m.tags));
            o.insert("links".into(), links_json(&m.links));
            o.insert(
                "joined".into(),
                json!(m.joined.map(|d| dates::date(d, language))),
            );
        }
        member_cards.insert(&m.handle, card);
        persons.insert(PersonRef::Member(m.handle.clone()), person);
    }
    for s in site.speakers.values() {
        persons.insert(
            PersonRef::Speaker(s.id.clone()),
            json!({
                "id": s.id, "kind": "speaker", "name": s.name, "url": urls.path(&paths::speaker(s.id.as_str())),
                "headline": s.headline, "avatar": s.avatar.as_ref().map(|a| a.url.clone()), "initials": initials(&s.name),
            }),
        );
    }

    let mut event_cards = BTreeMap::new();
    for e in site.events.values() {
        let zone = e.zone.name.as_str();
        let (start, end, when, all_day) = match &e.time {
            EventTime::AllDay { first, last } => (
                day_view(*first, zone, language),
                (first != last).then(|| day_view(*last, zone, language)),
                format!(
                    "{} ({})",
                    dates::day_range(*first, *last, language),
                    t("all_day")
                ),
                true,
            ),
            EventTime::Timed { start, end } => (
                time_view(start, language),
                end.as_ref().map(|z| time_view(z, language)),
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
        let series = e.series.as_ref().and_then(|s| site.series.get(s)).map(|s| json!({ "id": s.id, "name": s.name, "url": urls.path(&paths::series(s.id.as_str())) }));
        let venue = e.venue.as_ref().map(|v| json!({ "name": v.name, "address": v.address, "city": v.city, "map_url": v.map_url }));
        let card = json!({
            "id": e.id,
            "title": e.title,
            "url": urls.path(&paths::event(e.id.as_str())),
            "summary": e.summary,
            "status": e.status.as_str(),
            "status_label": status_label,
            "is_upcoming": e.is_upcoming(plan.now),
            "is_cancelled": e.status == Status::Cancelled,
            "all_day": all_day,
            "start": start,
            "end": end,
            "when": when,
            "timezone": zone,
            "series": series,
            "number": e.number,
            "session_label": session_label,
            "chapter": e.chapter.as_ref().and_then(chapter_link),
            "venue": venue,
            "online_url": e.online_url,
            "is_online": e.online_url.is_some() && e.venue.is_none(),
            "is_in_person": e.venue.is_some() && e.online_url.is_none(),
            "is_hybrid": e.venue.is_some() && e.online_url.is_some(),
            "cover": e.cover.as_ref().map(|c| c.url.clone()),
            "tags": tag_json(&e.tags),
        });
        event_cards.insert(&e.id, card);
    }

    let mut page_cards = BTreeMap::new();
    for p in site.pages.values() {
        let rendered = &md[p.body.0];
        let summary = p
            .summary
            .clone()
            .unwrap_or_else(|| description_from(&rendered.plain_start, 160));
        let card = json!({
            "title": p.title,
            "url": urls.path(&p.path),
            "date": date_json(p.date, language),
            "updated": date_json(p.updated, language),
            "summary": summary,
            "tags": tag_json(&p.tags),
            "authors": p.authors.iter().filter_map(|a| member_cards.get(a).cloned()).collect::<Vec<_>>(),
            "reading_minutes": rendered.words.reading_minutes(),
            "words": rendered.words.total(),
            "event": p.event.as_ref().and_then(|e| event_cards.get(e).cloned()),
        });
        page_cards.insert(p.key.as_str(), card);
    }

    Shared {
        plan,
        site,
        md,
        strings,
        language,
        base,
        member_cards,
        persons,
        event_cards,
        page_cards,
    }
}

/// A section list's pages: null when everything fits on one page.
fn paginator(s: &Shared<'_>, section_path: &str, number: usize, total: usize) -> Json {
    if total <= 1 {
        return Json::Null;
    }
    let url = |n: usize| s.url(&section_page_path(section_path, n));
    json!({
        "number": number,
        "total": total,
        "previous": (number > 1).then(|| url(number - 1)),
        "next": (number < total).then(|| url(number + 1)),
        "pages": (1..=total).map(|n| json!({ "number": n, "url": url(n), "is_current": n == number })).collect::<Vec<_>>(),
    })
}

fn charter_json(s: &Shared<'_>) -> Json {
    let c = &s.site.charter;
    json!({
        "name": c.name,
        "tagline": c.tagline,
        "founded": c.founded.map(|d| json!({ "iso": d.to_string(), "display": dates::date(d, s.language) })),
        "purpose_html": s.html(c.purpose),
        "audience_html": s.html(c.audience),
        "body_html": s.html(Some(c.body)),
        "values": c.values.iter().map(|v| json!({ "name": v.name, "description_html": s.html(v.description) })).collect::<Vec<_>>(),
        "roles": c.roles.iter().map(|r| json!({ "id": r.id, "title": r.title, "description": r.description })).collect::<Vec<_>>(),
        "rules": c.rules.iter().enumerate().map(|(i, r)| json!({
            "id": r.id, "number": i + 1, "anchor": format!("rule-{}", r.id), "title": r.title, "text_html": s.html(r.text),
        })).collect::<Vec<_>>(),
        "membership": c.membership.as_ref().map(|m| json!({
            "open": m.open,
            "threshold_html": s.html(m.threshold),
            "apply_url": m.apply_url,
            "tiers": m.tiers.iter().map(|t| json!({ "name": t.name, "price": t.price, "perks_html": s.html(t.perks) })).collect::<Vec<_>>(),
        })),
    })
}

/// The template and the variables of one page.
fn page_context(s: &Shared<'_>, page: &PlannedPage<'_>) -> (String, Context) {
    let site = s.site;
    let plan = s.plan;
    let mut ctx = PageVars(s.base.clone());
    let site_description = site.charter.tagline.clone().unwrap_or_else(|| {
        description_from(
            &site
                .charter
                .purpose
                .map(|p| s.md[p.0].plain_start.clone())
                .unwrap_or_default(),
            160,
        )
    });
    let title_with_site = |title: &str| format!("{title} · {}", site.title());
    let (template, title, description): (String, String, String) = match &page.job {
        PageJob::Home => {
            ctx.insert("charter", charter_json(s));
            let intro = site
                .pages
                .values()
                .find(|p| p.kind == PageKind::Home)
                .map(|p| s.md[p.body.0].html.clone())
                .unwrap_or_default();
            ctx.insert("intro_html", intro);
            ctx.insert("upcoming_events", s.event_cards(&plan.upcoming));
            let talks: Vec<TalkRef> = plan
                .talks
                .iter()
                .filter(|t| !t.event.is_upcoming(plan.now))
                .take(HOME_LIST_LENGTH)
                .copied()
                .collect();
            ctx.insert("latest_talks", s.talks(&talks));
            let posts: Vec<&Page> = plan.posts.iter().take(HOME_LIST_LENGTH).copied().collect();
            ctx.insert("latest_posts", s.page_cards(&posts));
            (
                "index.html".into(),
                site.title().to_string(),
                site_description.clone(),
            )
        }
        PageJob::Manifesto => {
            ctx.insert("charter", charter_json(s));
            let d = description_from(&s.md[site.charter.body.0].plain_start, 160);
            (
                "manifesto.html".into(),
                title_with_site(&s.t("manifesto_title")),
                d,
            )
        }
        PageJob::Rules => {
            ctx.insert("charter", charter_json(s));
            (
                "rules.html".into(),
                title_with_site(&s.t("rules_title")),
                site_description.clone(),
            )
        }
        PageJob::Join => {
            ctx.insert("charter", charter_json(s));
            (
                "join.html".into(),
                title_with_site(&s.t("join_title")),
                site_description.clone(),
            )
        }
        PageJob::Events => {
            ctx.insert("upcoming", s.event_cards(&plan.upcoming));
            ctx.insert("past", s.event_cards(&plan.past));
            (
                "events.html".into(),
                title_with_site(&s.t("events_title")),
                site_description.clone(),
            )
        }
        PageJob::Event(e) => {
            let mut event = s.event_cards.get(&e.id).cloned().unwrap_or(Json::Null);
            let talks: Vec<TalkRef> = (0..e.talks.len())
                .map(|index| TalkRef { event: e, index })
                .collect();
            if let Json::Object(o) = &mut event {
                o.insert("description_html".into(), json!(s.html(e.description)));
                o.insert("hosts".into(), json!(s.member_cards_by_id(&e.hosts)));
                o.insert("talks".into(), json!(s.talks(&talks)));
                o.insert("rsvp_url".into(), json!(e.rsvp_url));
                o.insert("capacity".into(), json!(e.capacity));
                o.insert(
                    "previous_start".into(),
                    json!(e.previous_start.as_ref().map(|m| moment_view(
                        m,
                        &e.zone.name,
                        s.language
                    ))),
                );
                o.insert(
                    "pages".into(),
                    json!(s.page_cards(plan.pages_by_event.get(&e.id).map_or(&[][..], |v| v))),
                );
                o.insert("extra".into(), json!(e.extra));
            }
            ctx.insert("event", event);
            let d = e.summary.clone().unwrap_or_else(|| {
                description_from(
                    &e.description
                        .map(|d| s.md[d.0].plain_start.clone())
                        .unwrap_or_default(),
                    160,
                )
            });
            ("event.html".into(), title_with_site(&e.title), d)
        }
        PageJob::SeriesList => {
            let list: Vec<Json> = site
                .series
                .values()
                .map(|x| json!({ "id": x.id, "name": x.name, "url": s.url(&paths::series(x.id.as_str())), "cadence": x.cadence,
                    "event_count": plan.events_by_series.get(&x.id).map_or(0, Vec::len) }))
                .collect();
            ctx.insert("series", list);
            (
                "series_list.html".into(),
                title_with_site(&s.t("nav_series")),
                site_description.clone(),
            )
        }
        PageJob::Series(x) => {
            ctx.insert("series", json!({ "id": x.id, "name": x.name, "url": s.url(&paths::series(x.id.as_str())), "cadence": x.cadence,
                "description_html": s.html(x.description), "extra": x.extra }));
            let events = plan
                .events_by_series
                .get(&x.id)
                .cloned()
                .unwrap_or_default();
            let upcoming: Vec<&Event> = plan
                .upcoming
                .iter()
                .filter(|e| e.series.as_ref() == Some(&x.id))
                .copied()
                .collect();
            let past: Vec<&Event> = plan
                .past
                .iter()
                .filter(|e| e.series.as_ref() == Some(&x.id))
                .copied()
                .collect();
            ctx.insert("events", s.event_cards(&events));
            ctx.insert("upcoming", s.event_cards(&upcoming));
            ctx.insert("past", s.event_cards(&past));
            let d = description_from(
                &x.description
                    .map(|d| s.md[d.0].plain_start.clone())
                    .unwrap_or_default(),
                160,
            );
            ("series.html".into(), title_with_site(&x.name), d)
        }
        PageJob::Talks => {
            let mut years: Vec<(i16, Vec<Json>)> = Vec::new();
            for t in &plan.talks {
                let year = t
                    .event
                    .time
                    .start_timestamp(&t.event.zone.tz)
                    .to_zoned(t.event.zone.tz.clone())
                    .year();
                match years.last_mut() {
                    Some((y, list)) if *y == year => list.push(s.talk(t)),
                    _ => years.push((year, vec![s.talk(t)])),
                }
            }
            let years: Vec<Json> = years
                .into_iter()
                .map(|(year, talks)| json!({ "year": year, "talks": talks }))
                .collect();
            ctx.insert("years", years);
            (
                "talks.html".into(),
                title_with_site(&s.t("talks_title")),
                site_description.clone(),
            )
        }
        PageJob::Speakers => {
            let list: Vec<Json> = plan
                .speakers_with_talks
                .iter()
                .filter_map(|p| {
                    let mut v = s.persons.get(p)?.clone();
                    if let Json::Object(o) = &mut v {
                        o.insert(
                            "talk_count".into(),
                            json!(plan.talks_by_person.get(p).map_or(0, Vec::len)),
                        );
                    }
                    Some(v)
                })
                .collect();
            ctx.insert("speakers", list);
            (
                "speakers.html".into(),
                title_with_site(&s.t("speakers_title")),
                site_description.clone(),
            )
        }
        PageJob::Speaker(sp) => {
            let key = PersonRef::Speaker(sp.id.clone());
            let mut v = s.persons.get(&key).cloned().unwrap_or(Json::Null);
            if let Json::Object(o) = &mut v {
                o.insert("bio_html".into(), json!(s.html(sp.bio)));
                o.insert("links".into(), links_json(&sp.links));
                o.insert("extra".into(), json!(sp.extra));
            }
            ctx.insert("speaker", v);
            ctx.insert(
                "talks",
                s.talks(plan.talks_by_person.get(&key).map_or(&[][..], |v| v)),
            );
            let d = sp.headline.clone().unwrap_or_else(|| {
                description_from(
                    &sp.bio
                        .map(|b| s.md[b.0].plain_start.clone())
                        .unwrap_or_default(),
                    160,
                )
            });
            ("speaker.html".into(), title_with_site(&sp.name), d)
        }
        PageJob::Members => {
            let mut sorted = plan.members.clone();
            sorted.sort_by(|a, b| a.name.cmp(&b.name).then_with(|| a.handle.cmp(&b.handle)));
            let mut groups: Vec<Json> = Vec::new();
            for role in &site.charter.roles {
                let members: Vec<&Member> = sorted
                    .iter()
                    .filter(|m| m.role.as_ref() == Some(&role.id))
                    .copied()
                    .collect();
                if !members.is_empty() {
                    groups.push(json!({ "role": { "id": role.id, "title": role.title }, "members": s.member_cards(&members) }));
                }
            }
            let declared = |m: &&Member| {
                m.role
                    .as_ref()
                    .is_some_and(|r| site.charter.roles.iter().any(|x| x.id == *r))
            };
            let others: Vec<&Member> = sorted.iter().filter(|m| !declared(m)).copied().collect();
            if !others.is_empty() {
                groups.push(json!({ "role": null, "members": s.member_cards(&others) }));
            }
            let chapters: Vec<Json> = site
                .chapters
                .values()
                .filter(|c| plan.members_by_chapter.contains_key(&c.id))
                .map(|c| json!({ "id": c.id, "name": c.name, "url": s.url(&paths::chapter(c.id.as_str())) }))
                .collect();
            let roles: Vec<Json> = site
                .charter
                .roles
                .iter()
                .filter(|r| plan.members.iter().any(|m| m.role.as_ref() == Some(&r.id)))
                .map(|r| json!({ "id": r.id, "title": r.title }))
                .collect();
            let tags: Vec<Json> = plan
                .tags
                .values()
                .filter(|t| !t.members.is_empty())
                .map(|t| json!({ "name": t.name, "slug": t.slug, "url": s.url(&paths::tag(&t.slug)) }))
                .collect();
            ctx.insert("groups", groups);
            ctx.insert(
                "filters",
                json!({ "chapters": chapters, "roles": roles, "tags": tags }),
            );
            ctx.insert("member_count", plan.members.len());
            (
                "members.html".into(),
                title_with_site(&s.t("members_title")),
                site_description.clone(),
            )
        }
        PageJob::Member(m) => {
            let mut card = s.member_cards.get(&m.handle).cloned().unwrap_or(Json::Null);
            if let Json::Object(o) = &mut card {
                o.insert("bio_html".into(), json!(s.html(m.bio)));
                o.insert("extra".into(), json!(m.extra));
            }
            ctx.insert("member", card);
            let key = PersonRef::Member(m.handle.clone());
            ctx.insert(
                "talks",
                s.talks(plan.talks_by_person.get(&key).map_or(&[][..], |v| v)),
            );
            ctx.insert(
                "hosted_events",
                s.event_cards(plan.events_by_host.get(&m.handle).map_or(&[][..], |v| v)),
            );
            ctx.insert(
                "posts",
                s.page_cards(plan.pages_by_author.get(&m.handle).map_or(&[][..], |v| v)),
            );
            let d = m.headline.clone().unwrap_or_else(|| {
                description_from(
                    &m.bio
                        .map(|b| s.md[b.0].plain_start.clone())
                        .unwrap_or_default(),
                    160,
                )
            });
            ("member.html".into(), title_with_site(&m.name), d)
        }
        PageJob::Chapters => {
            let list: Vec<Json> = site
                .chapters
                .values()
                .map(|c| json!({ "id": c.id, "name": c.name, "url": s.url(&paths::chapter(c.id.as_str())), "city": c.city,
                    "member_count": plan.members_by_chapter.get(&c.id).map_or(0, Vec::len),
                    "founded": c.founded.map(|d| json!({ "iso": d.to_string(), "display": dates::date(d, s.language) })) }))
                .collect();
            ctx.insert("chapters", list);
            (
                "chapters.html".into(),
                title_with_site(&s.t("chapters_title")),
                site_description.clone(),
            )
        }
        PageJob::Chapter(c) => {
            ctx.insert("chapter", json!({
                "id": c.id, "name": c.name, "url": s.url(&paths::chapter(c.id.as_str())), "city": c.city,
                "description_html": s.html(c.description),
                "founded": c.founded.map(|d| json!({ "iso": d.to_string(), "display": dates::date(d, s.language) })),
                "organizers": s.member_cards_by_id(&c.organizers), "links": links_json(&c.links), "extra": c.extra,
            }));
            ctx.insert(
                "members",
                s.member_cards(plan.members_by_chapter.get(&c.id).map_or(&[][..], |v| v)),
            );
            let upcoming: Vec<&Event> = plan
                .upcoming
                .iter()
                .filter(|e| e.chapter.as_ref() == Some(&c.id))
                .copied()
                .collect();
            let past: Vec<&Event> = plan
                .past
                .iter()
                .filter(|e| e.chapter.as_ref() == Some(&c.id))
                .copied()
                .collect();
            ctx.insert("upcoming", s.event_cards(&upcoming));
            ctx.insert("past", s.event_cards(&past));
            let d = description_from(
                &c.description
                    .map(|d| s.md[d.0].plain_start.clone())
                    .unwrap_or_default(),
                160,
            );
            ("chapter.html".into(), title_with_site(&c.name), d)
        }
        PageJob::Tags => {
            let list: Vec<Json> = plan
                .tags
                .values()
                .map(|t| json!({ "name": t.name, "slug": t.slug, "url": s.url(&paths::tag(&t.slug)), "count": t.count() }))
                .collect();
            ctx.insert("tags", list);
            (
                "tags.html".into(),
                title_with_site(&s.t("tags_title")),
                site_description.clone(),
            )
        }
        PageJob::Tag(slug) => {
            let tag = &plan.tags[slug.as_str()];
            ctx.insert(
                "tag",
                json!({ "name": tag.name, "slug": tag.slug, "url": s.url(&paths::tag(slug)) }),
            );
            ctx.insert("members", s.member_cards(&tag.members));
            ctx.insert("events", s.event_cards(&tag.events));
            ctx.insert("pages", s.page_cards(&tag.pages));
            (
                "tag.html".into(),
                title_with_site(&format!("#{}", tag.name)),
                site_description.clone(),
            )
        }
        PageJob::Section(p) | PageJob::SectionPage(p, _) => {
            let number = match &page.job {
                PageJob::SectionPage(_, n) => *n,
                _ => 1,
            };
            ctx.insert("section", json!({ "title": p.title, "url": s.url(&p.path), "content_html": s.md[p.body.0].html, "extra": p.extra }));
            let all = plan
                .section_pages
                .get(p.key.as_str())
                .map_or(&[][..], |v| v);
            let start = (number - 1) * SECTION_PAGE_SIZE;
            let shown = &all[start.min(all.len())..(start + SECTION_PAGE_SIZE).min(all.len())];
            ctx.insert("pages", s.page_cards(shown));
            ctx.insert(
                "paginator",
                paginator(s, &p.path, number, page_count(all.len())),
            );
            let d = p
                .summary
                .clone()
                .unwrap_or_else(|| description_from(&s.md[p.body.0].plain_start, 160));
            (
                p.template.clone().unwrap_or_else(|| "section.html".into()),
                title_with_site(&p.title),
                d,
            )
        }
        PageJob::Page(p) => {
            let mut card = s
                .page_cards
                .get(p.key.as_str())
                .cloned()
                .unwrap_or(Json::Null);
            let rendered = &s.md[p.body.0];
            if let Json::Object(o) = &mut card {
                o.insert("content_html".into(), json!(rendered.html));
                o.insert("toc".into(), json!(rendered.headings));
                o.insert("extra".into(), json!(p.extra));
                let section = p
                    .section
                    .as_ref()
                    .and_then(|k| site.pages.get(k))
                    .map(|sec| json!({ "title": sec.title, "url": s.url(&sec.path) }));
                o.insert("section".into(), json!(section));
            }
            ctx.insert("page", card);
            let d = p
                .summary
                .clone()
                .unwrap_or_else(|| description_from(&rendered.plain_start, 160));
            (
                p.template.clone().unwrap_or_else(|| "page.html".into()),
                title_with_site(&p.title),
                d,
            )
        }
        PageJob::Search => {
            ctx.insert("index_url", s.url(crate::search::INDEX_DIR));
            (
                "search.html".into(),
                title_with_site(&s.t("search_title")),
                site_description.clone(),
            )
        }
        PageJob::NotFound => (
            "404.html".into(),
            title_with_site(&s.t("not_found_title")),
            site_description.clone(),
        ),
    };
    ctx.insert("page_url", s.url(&page.url_path));
    ctx.insert("canonical_url", site.config.urls.absolute(&page.url_path));
    // Every page carries a description (SPEC §3): the site's when the page has none.
    let description = if description.trim().is_empty() {
        site_description
    } else {
        description
    };
    ctx.insert(
        "json_ld_html",
        crate::jsonld::script(plan, &page.job, &description).as_str(),
    );
    ctx.insert("page_title", title);
    ctx.insert("description", description);
    (template, ctx.into_context())
}

/// Renders every page of the plan and writes it to `sink`. Every failing page is
/// reported, not only the first.
pub fn render_pages(
    plan: &Plan<'_>,
    md: &[Rendered],
    theme: &Theme,
    tera: &Tera,
    sink: &dyn Sink,
    diags: &mut Diagnostics,
) {
    let shared = build_shared(plan, md, theme);
    let results: Vec<Option<Diagnostic>> = plan
        .pages
        .par_iter()
        .map(|page| {
            let (template, ctx) = page_context(&shared, page);
            if !theme.templates.contains_key(&template) {
                let (source, what) = match &page.job {
                    PageJob::Page(p) | PageJob::Section(p) | PageJob::SectionPage(p, _) => {
                        (p.key.clone(), "page")
                    }
                    _ => (String::new(), "page"),
                };
                let mut d =
                    Diagnostic::error(format!("{what} template `{template}` does not exist"))
                        .with_help("put it in templates/ or the theme's templates/ folder");
                if !source.is_empty() {
                    d = d.in_file(&source);
                }
                return Some(d);
            }
            match tera.render(&template, &ctx) {
                Ok(html) => sink
                    .write(&page.file, html.as_bytes())
                    .err()
                    .map(Diagnostic::error),
                Err(e) => Some(crate::template_error::render_error(
                    &e, &template, &page.file, theme,
                )),
            }
        })
        .collect();
    diags.extend(crate::template_error::group(
        results.into_iter().flatten().collect(),
    ));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn initials_for_latin_and_chinese_names() {
        assert_eq!(initials("Li Lei"), "LL");
        assert_eq!(initials("陈雨桐"), "陈");
        assert_eq!(initials("ada"), "A");
    }

    #[test]
    fn escaping_leaves_slashes_alone() {
        assert_eq!(
            escape_html("<a href=\"/x/\">'&'</a>"),
            "&lt;a href=&quot;/x/&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
    }
}
