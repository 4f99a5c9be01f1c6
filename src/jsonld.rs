//! schema.org JSON-LD for search engines: `Event` on event pages, `Person` on speaker and
//! member pages, `Organization` on the home page. Each block is built here as JSON and
//! escaped for a `<script>` element, so templates only place it
//! (`{{ json_ld_html | safe }}`); `render` asks for it once per page.

use serde_json::{json, Map, Value as Json};

use crate::ics::{absolute_href, is_public};
use crate::model::time::{EventTime, Moment};
use crate::model::*;
use crate::plan::{PageJob, Plan};
use crate::urls::paths;

/// The complete `<script type="application/ld+json">` element for a page, or an empty
/// string for pages without one. `description` is the page's meta description.
pub fn script(plan: &Plan<'_>, job: &PageJob<'_>, description: &str) -> String {
    let value = match job {
        PageJob::Home => organization(plan.site, description),
        PageJob::Event(e) => event(plan.site, e, description),
        PageJob::Speaker(s) => person(
            plan.site,
            &s.name,
            &paths::speaker(s.id.as_str()),
            s.headline.as_deref(),
            s.avatar.as_ref(),
            &s.links,
            false,
        ),
        PageJob::Member(m) => person(
            plan.site,
            &m.name,
            &paths::member(m.handle.as_str()),
            m.headline.as_deref(),
            m.avatar.as_ref(),
            &m.links,
            true,
        ),
        _ => return String::new(),
    };
    // serde_json cannot fail on a `Value`.
    let text = serde_json::to_string(&value).unwrap_or_default();
    format!(
        "<script type=\"application/ld+json\">{}</script>",
        escape_for_script(&text)
    )
}

/// Inside `<script>`, `</script>` or `<!--` in a string would end or confuse the element;
/// JSON allows `\u003c` for `<` anywhere in a string, and `>` and `&` get the same
/// treatment so no HTML parser sees markup.
pub fn escape_for_script(json: &str) -> String {
    // Most blocks hold none of the three: one pass finds that out.
    if !crate::scan::any_byte(json.as_bytes(), |b| (b == b'<') | (b == b'>') | (b == b'&')) {
        return json.to_string();
    }
    json.replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
}

fn organization(site: &Site, description: &str) -> Json {
    let mut o = Map::new();
    o.insert("@context".into(), json!("https://schema.org"));
    o.insert("@type".into(), json!("Organization"));
    o.insert("name".into(), json!(site.charter.name));
    o.insert("url".into(), json!(site.config.urls.base));
    if !description.is_empty() {
        o.insert("description".into(), json!(description));
    }
    if let Some(t) = &site.charter.tagline {
        o.insert("slogan".into(), json!(t));
    }
    if let Some(d) = site.charter.founded {
        o.insert("foundingDate".into(), json!(d.to_string()));
    }
    Json::Object(o)
}

fn organization_ref(site: &Site) -> Json {
    json!({ "@type": "Organization", "name": site.charter.name, "url": site.config.urls.base })
}

fn person_ref(site: &Site, p: &PersonRef) -> Option<Json> {
    if !is_public(site, p) {
        return None;
    }
    let (name, path) = match p {
        PersonRef::Member(m) => (&site.members.get(m)?.name, paths::member(m.as_str())),
        PersonRef::Speaker(s) => (&site.speakers.get(s)?.name, paths::speaker(s.as_str())),
    };
    Some(json!({ "@type": "Person", "name": name, "url": site.config.urls.absolute(&path) }))
}

fn event(site: &Site, e: &Event, description: &str) -> Json {
    let urls = &site.config.urls;
    let mut o = Map::new();
    o.insert("@context".into(), json!("https://schema.org"));
    o.insert("@type".into(), json!("Event"));
    o.insert("name".into(), json!(e.title));
    o.insert(
        "url".into(),
        json!(urls.absolute(&paths::event(e.id.as_str()))),
    );
    match &e.time {
        EventTime::AllDay { first, last } => {
            o.insert("startDate".into(), json!(first.to_string()));
            o.insert("endDate".into(), json!(last.to_string()));
        }
        EventTime::Timed { start, end } => {
            o.insert("startDate".into(), json!(iso(start)));
            if let Some(end) = end {
                o.insert("endDate".into(), json!(iso(end)));
            }
        }
    }
    let status = match e.status {
        Status::Scheduled => "EventScheduled",
        Status::Cancelled => "EventCancelled",
        Status::Postponed => "EventPostponed",
        Status::Rescheduled => "EventRescheduled",
    };
    o.insert(
        "eventStatus".into(),
        json!(format!("https://schema.org/{status}")),
    );
    if let Some(previous) = &e.previous_start {
        let text = match previous {
            Moment::Date(d) => d.to_string(),
            Moment::Instant(z) => iso(z),
        };
        o.insert("previousStartDate".into(), json!(text));
    }
    let place = e.venue.as_ref().map(|v| {
        let mut p = Map::new();
        p.insert("@type".into(), json!("Place"));
        p.insert(
            "name".into(),
            json!(v
                .name
                .clone()
                .or_else(|| v.address.clone())
                .or_else(|| v.city.clone())
                .unwrap_or_default()),
        );
        let mut address = Map::new();
        address.insert("@type".into(), json!("PostalAddress"));
        if let Some(a) = &v.address {
            address.insert("streetAddress".into(), json!(a));
        }
        if let Some(c) = &v.city {
            address.insert("addressLocality".into(), json!(c));
        }
        p.insert("address".into(), Json::Object(address));
        if let Some(m) = &v.map_url {
            p.insert("hasMap".into(), json!(absolute_href(site, m)));
        }
        Json::Object(p)
    });
    let virtual_location = e
        .online_url
        .as_ref()
        .map(|u| json!({ "@type": "VirtualLocation", "url": absolute_href(site, u) }));
    let (mode, location) = match (place, virtual_location) {
        (Some(p), Some(v)) => (Some("Mixed"), Some(json!([p, v]))),
        (Some(p), None) => (Some("Offline"), Some(p)),
        (None, Some(v)) => (Some("Online"), Some(v)),
        (None, None) => (None, None),
    };
    if let Some(mode) = mode {
        o.insert(
            "eventAttendanceMode".into(),
            json!(format!("https://schema.org/{mode}EventAttendanceMode")),
        );
    }
    if let Some(l) = location {
        o.insert("location".into(), l);
    }
    if !description.is_empty() {
        o.insert("description".into(), json!(description));
    }
    if let Some(c) = &e.cover {
        o.insert("image".into(), json!(absolute_href(site, &c.url)));
    }
    let mut performers: Vec<Json> = Vec::new();
    for t in &e.talks {
        for p in &t.speakers {
            if let Some(j) = person_ref(site, p) {
                if !performers.contains(&j) {
                    performers.push(j);
                }
            }
        }
    }
    if !performers.is_empty() {
        o.insert("performer".into(), json!(performers));
    }
    let mut organizers: Vec<Json> = e
        .hosts
        .iter()
        .filter_map(|h| person_ref(site, &PersonRef::Member(h.clone())))
        .collect();
    organizers.push(organization_ref(site));
    o.insert("organizer".into(), json!(organizers));
    Json::Object(o)
}

fn person(
    site: &Site,
    name: &str,
    path: &str,
    headline: Option<&str>,
    avatar: Option<&Image>,
    links: &[Link],
    is_member: bool,
) -> Json {
    let mut o = Map::new();
    o.insert("@context".into(), json!("https://schema.org"));
    o.insert("@type".into(), json!("Person"));
    o.insert("name".into(), json!(name));
    o.insert("url".into(), json!(site.config.urls.absolute(path)));
    if let Some(h) = headline {
        o.insert("description".into(), json!(h));
    }
    if let Some(a) = avatar {
        o.insert("image".into(), json!(absolute_href(site, &a.url)));
    }
    let same_as: Vec<String> = links
        .iter()
        .filter(|l| l.url.starts_with("https:") || l.url.starts_with("http:"))
        .map(|l| l.url.clone())
        .collect();
    if !same_as.is_empty() {
        o.insert("sameAs".into(), json!(same_as));
    }
    if is_member {
        o.insert("memberOf".into(), organization_ref(site));
    }
    Json::Object(o)
}

/// RFC 3339 with the event zone's offset: what schema.org dates expect.
fn iso(z: &jiff::Zoned) -> String {
    z.strftime("%Y-%m-%dT%H:%M:%S%:z").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn script_end_cannot_appear_in_the_block() {
        let text = serde_json::to_string(&json!({ "name": "</script><b>&" })).unwrap();
        let escaped = escape_for_script(&text);
        assert!(!escaped.contains('<') && !escaped.contains('>'));
        let back: Json = serde_json::from_str(&escaped).unwrap();
        assert_eq!(back["name"], "</script><b>&");
    }
}
