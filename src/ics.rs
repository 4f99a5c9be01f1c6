//! iCalendar (RFC 5545), written by hand: one event's `event.ics` and the subscribable
//! calendars of the site, a series, a chapter and a speaker. The format's rules are easy
//! to get wrong and calendar apps are unforgiving, so each lives in one small function:
//! CRLF line ends, lines folded at 75 octets without splitting a UTF-8 character, TEXT
//! escaping, and a `VTIMEZONE` built from the zone database for every `TZID` used.
//! Which events go in which calendar is `plan`'s call; `files` writes the result.

use std::collections::BTreeMap;

use jiff::civil::Date;
use jiff::tz::{Offset, TimeZone};
use jiff::Timestamp;

use crate::markdown::Rendered;
use crate::model::time::{EventTime, Zone};
use crate::model::*;
use crate::plan::person_name;
use crate::urls::paths;

/// Everything a calendar needs besides its events.
pub struct CalendarSite<'a> {
    pub site: &'a Site,
    pub md: &'a [Rendered],
    /// The build's "now": `DTSTAMP`, so that two builds give the same bytes.
    pub now: Timestamp,
    /// Each event's `VEVENT`, made once by [`vevents`]: an event is in its own file and in
    /// up to four subscribable calendars, and its text is the same in all of them.
    pub vevents: BTreeMap<&'a EventId, String>,
}

/// The `VEVENT` of each of `events`, for [`CalendarSite::vevents`].
pub fn vevents<'a>(cs: &CalendarSite<'_>, events: &[&'a Event]) -> BTreeMap<&'a EventId, String> {
    use rayon::prelude::*;
    events
        .par_iter()
        .map(|e| {
            let mut text = String::new();
            vevent(&mut text, cs, e);
            (&e.id, text)
        })
        .collect()
}

/// A whole `VCALENDAR`. `name` becomes `X-WR-CALNAME` (subscribable calendars have one,
/// a single event's file does not).
pub fn calendar(cs: &CalendarSite<'_>, events: &[&Event], name: Option<&str>) -> String {
    let mut out = String::new();
    line(&mut out, "BEGIN:VCALENDAR");
    line(&mut out, "VERSION:2.0");
    line(&mut out, "PRODID:-//shequn//NONSGML shequn//EN");
    line(&mut out, "CALSCALE:GREGORIAN");
    line(&mut out, "METHOD:PUBLISH");
    if let Some(name) = name {
        line(&mut out, &format!("X-WR-CALNAME:{}", escape_text(name)));
    }
    // Every zone a timed event uses, with the span of time its events cover, so the
    // VTIMEZONE holds each transition the events need and no more.
    let mut zones: BTreeMap<&str, (&Zone, Timestamp, Timestamp)> = BTreeMap::new();
    for e in events {
        if let EventTime::Timed { start, end } = &e.time {
            let first = start.timestamp();
            let last = end.as_ref().unwrap_or(start).timestamp();
            let span = zones
                .entry(e.zone.name.as_str())
                .or_insert((&e.zone, first, last));
            span.1 = span.1.min(first);
            span.2 = span.2.max(last);
        }
    }
    if events.is_empty() {
        // RFC 5545 wants at least one component; a calendar with no event yet (a new
        // chapter) still has to be a valid file that subscribers can add now.
        let zone = &cs.site.config.zone;
        zones.insert(zone.name.as_str(), (zone, cs.now, cs.now));
    }
    for (zone, first, last) in zones.values() {
        vtimezone(&mut out, zone, *first, *last);
    }
    for e in events {
        match cs.vevents.get(&e.id) {
            Some(text) => out.push_str(text),
            None => vevent(&mut out, cs, e),
        }
    }
    line(&mut out, "END:VCALENDAR");
    out
}

/// The name of a subscribable calendar: `Series · Site`.
pub fn calendar_name(site: &Site, what: Option<&str>) -> String {
    match what {
        Some(w) => format!("{w} · {}", site.title()),
        None => site.title().to_string(),
    }
}

/// A stable `UID`: the event id at the site's host and path, so two sites on one host
/// (or two events on one site) never share one, and a rebuild keeps it.
pub fn uid(site: &Site, event: &EventId) -> String {
    let base = &site.config.urls.base;
    let host = base.split_once("://").map_or(base.as_str(), |(_, r)| r);
    format!(
        "{}@{}",
        event.as_str(),
        host.trim_end_matches('/').to_ascii_lowercase()
    )
}

/// `SEQUENCE` rises with each change subscribers must see. Statuses usually move
/// scheduled → postponed → rescheduled → cancelled, so each gets a higher number.
pub fn sequence(status: Status) -> u32 {
    match status {
        Status::Scheduled => 0,
        Status::Postponed => 1,
        Status::Rescheduled => 2,
        Status::Cancelled => 3,
    }
}

fn vevent(out: &mut String, cs: &CalendarSite<'_>, e: &Event) {
    let site = cs.site;
    let urls = &site.config.urls;
    line(out, "BEGIN:VEVENT");
    line(out, &format!("UID:{}", escape_text(&uid(site, &e.id))));
    line(out, &format!("DTSTAMP:{}", utc(cs.now)));
    match &e.time {
        EventTime::AllDay { first, last } => {
            // DTEND of a VALUE=DATE event is exclusive: the day after the last day.
            let end = last.tomorrow().unwrap_or(*last);
            line(out, &format!("DTSTART;VALUE=DATE:{}", date(*first)));
            line(out, &format!("DTEND;VALUE=DATE:{}", date(end)));
        }
        EventTime::Timed { start, end } => {
            let tzid = &e.zone.name;
            line(out, &format!("DTSTART;TZID={tzid}:{}", local(start)));
            if let Some(end) = end {
                line(out, &format!("DTEND;TZID={tzid}:{}", local(end)));
            }
        }
    }
    line(out, &format!("SUMMARY:{}", escape_text(&e.title)));
    if let Some(location) = location(e) {
        line(out, &format!("LOCATION:{}", escape_text(&location)));
    }
    let page = urls.absolute(&paths::event(e.id.as_str()));
    line(out, &format!("URL:{page}"));
    line(
        out,
        &format!("DESCRIPTION:{}", escape_text(&description(cs, e, &page))),
    );
    let status = match e.status {
        Status::Cancelled => "CANCELLED",
        Status::Postponed => "TENTATIVE",
        Status::Scheduled | Status::Rescheduled => "CONFIRMED",
    };
    line(out, &format!("STATUS:{status}"));
    line(out, &format!("SEQUENCE:{}", sequence(e.status)));
    if !e.tags.is_empty() {
        let tags: Vec<String> = e.tags.iter().map(|t| escape_text(&t.name)).collect();
        line(out, &format!("CATEGORIES:{}", tags.join(",")));
    }
    line(out, "END:VEVENT");
}

/// Venue name, address and city; for an online-only event, its link.
fn location(e: &Event) -> Option<String> {
    if let Some(v) = &e.venue {
        let parts: Vec<&str> = [&v.name, &v.address, &v.city]
            .into_iter()
            .flatten()
            .map(String::as_str)
            .filter(|s| !s.trim().is_empty())
            .collect();
        if !parts.is_empty() {
            return Some(parts.join(", "));
        }
    }
    e.online_url.clone()
}

/// Plain text: the summary, the description, the talks with their speakers, the links.
fn description(cs: &CalendarSite<'_>, e: &Event, page: &str) -> String {
    let site = cs.site;
    let mut parts: Vec<String> = Vec::new();
    if let Some(s) = &e.summary {
        parts.push(s.clone());
    }
    if let Some(d) = e.description {
        let text = plain_text(&cs.md[d.0].html);
        if !text.is_empty() {
            parts.push(text);
        }
    }
    let talks: Vec<String> = e
        .talks
        .iter()
        .map(|t| {
            let names: Vec<&str> = t
                .speakers
                .iter()
                .filter(|p| is_public(site, p))
                .map(|p| person_name(site, p))
                .collect();
            if names.is_empty() {
                format!("• {}", t.title)
            } else {
                format!("• {} — {}", t.title, names.join(", "))
            }
        })
        .collect();
    if !talks.is_empty() {
        parts.push(talks.join("\n"));
    }
    let mut links = Vec::new();
    if let Some(u) = &e.online_url {
        links.push(absolute_href(site, u));
    }
    if let Some(u) = &e.rsvp_url {
        links.push(absolute_href(site, u));
    }
    links.push(page.to_string());
    parts.push(links.join("\n"));
    parts.join("\n\n")
}

/// Whether a person may be named in output: guests always, members only when listed.
pub fn is_public(site: &Site, person: &PersonRef) -> bool {
    match person {
        PersonRef::Member(m) => site.members.get(m).is_some_and(|m| m.is_listed),
        PersonRef::Speaker(s) => site.speakers.contains_key(s),
    }
}

/// A checked URL field made absolute: site paths (already under the base path) get the
/// scheme and host of `base_url`.
pub fn absolute_href(site: &Site, href: &str) -> String {
    let urls = &site.config.urls;
    if href.starts_with('/') {
        let origin = &urls.base[..urls.base.len() - urls.root.len()];
        format!("{origin}{href}")
    } else {
        href.to_string()
    }
}

/// Rendered HTML as plain text: block ends become line breaks, tags go, entities are
/// decoded. Good enough for a calendar's description, which apps show as text.
pub fn plain_text(html: &str) -> String {
    let mut text = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(open) = rest.find('<') {
        // A line break inside a paragraph is a soft break in Markdown: a space.
        text.push_str(&rest[..open].replace('\n', " "));
        let Some(close) = rest[open..].find('>') else {
            rest = "";
            break;
        };
        let tag = rest[open + 1..open + close].to_ascii_lowercase();
        let name: String = tag
            .trim_start_matches('/')
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect();
        let is_block = matches!(
            name.as_str(),
            "p" | "br"
                | "li"
                | "ul"
                | "ol"
                | "div"
                | "h1"
                | "h2"
                | "h3"
                | "h4"
                | "h5"
                | "h6"
                | "blockquote"
                | "pre"
                | "tr"
                | "table"
                | "hr"
        );
        if is_block {
            match (name.as_str(), tag.starts_with('/')) {
                ("li", false) => text.push_str("\n• "),
                ("li", true) => {}
                _ => text.push('\n'),
            }
        }
        rest = &rest[open + close + 1..];
    }
    text.push_str(&rest.replace('\n', " "));
    let decoded = html_escape::decode_html_entities(&text);
    let mut lines: Vec<&str> = Vec::new();
    for l in decoded.lines().map(str::trim) {
        if l.is_empty() && lines.last().is_none_or(|p| p.is_empty()) {
            continue;
        }
        lines.push(l);
    }
    while lines.last().is_some_and(|l| l.is_empty()) {
        lines.pop();
    }
    lines.join("\n")
}

/// A `VTIMEZONE` for `zone` covering `first..=last`: the observance in force at the start
/// of `first`'s year, then one observance per transition until the end of `last`'s year,
/// each with the offsets the zone database gives. `TZID` is the IANA name, never an
/// abbreviation; there is no `TZNAME`, because abbreviations are ambiguous.
fn vtimezone(out: &mut String, zone: &Zone, first: Timestamp, last: Timestamp) {
    let tz = &zone.tz;
    let year_start = |t: Timestamp, plus: i16| {
        let year = t.to_zoned(tz.clone()).year().saturating_add(plus);
        Date::new(year, 1, 1)
            .ok()
            .and_then(|d| d.to_zoned(tz.clone()).ok())
            .map_or(t, |z| z.timestamp())
    };
    let from = year_start(first, 0);
    let until = year_start(last, 1);
    line(out, "BEGIN:VTIMEZONE");
    line(out, &format!("TZID:{}", zone.name));
    let info = tz.to_offset_info(from);
    let mut offset = info.offset();
    observance(out, info.dst().is_dst(), from, offset, offset);
    for t in tz.following(from) {
        if t.timestamp() >= until {
            break;
        }
        observance(out, t.dst().is_dst(), t.timestamp(), offset, t.offset());
        offset = t.offset();
    }
    line(out, "END:VTIMEZONE");
}

/// One `STANDARD` or `DAYLIGHT` block. Its `DTSTART` is the local time of the onset in
/// the offset in force before it (RFC 5545 §3.6.5).
fn observance(out: &mut String, is_dst: bool, at: Timestamp, before: Offset, after: Offset) {
    let kind = if is_dst { "DAYLIGHT" } else { "STANDARD" };
    let local_start = at.to_zoned(TimeZone::fixed(before)).datetime();
    line(out, &format!("BEGIN:{kind}"));
    line(
        out,
        &format!("DTSTART:{}", local_start.strftime("%Y%m%dT%H%M%S")),
    );
    line(out, &format!("TZOFFSETFROM:{}", utc_offset(before)));
    line(out, &format!("TZOFFSETTO:{}", utc_offset(after)));
    line(out, &format!("END:{kind}"));
}

/// `+0800`, `-0330`, or with seconds when the offset has them (`+005328`).
fn utc_offset(offset: Offset) -> String {
    let total = offset.seconds();
    let sign = if total < 0 { '-' } else { '+' };
    let abs = total.unsigned_abs();
    let (h, m, s) = (abs / 3600, abs / 60 % 60, abs % 60);
    if s == 0 {
        format!("{sign}{h:02}{m:02}")
    } else {
        format!("{sign}{h:02}{m:02}{s:02}")
    }
}

fn utc(t: Timestamp) -> String {
    t.strftime("%Y%m%dT%H%M%SZ").to_string()
}

fn date(d: Date) -> String {
    d.strftime("%Y%m%d").to_string()
}

fn local(z: &jiff::Zoned) -> String {
    z.datetime().strftime("%Y%m%dT%H%M%S").to_string()
}

/// Escapes a TEXT value (RFC 5545 §3.3.11): backslash, `;`, `,` and line breaks. Other
/// control characters cannot appear in a content line and are dropped.
pub fn escape_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' => out.push_str("\\n"),
            '\r' => {
                if chars.peek() != Some(&'\n') {
                    out.push_str("\\n");
                }
            }
            '\t' => out.push(' '),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// Writes one content line, folded (RFC 5545 §3.1): no line longer than 75 octets before
/// its CRLF, continuation lines start with one space, and a cut never falls inside a
/// UTF-8 character (calendar apps show a broken character otherwise).
fn line(out: &mut String, content: &str) {
    let mut rest = content;
    let mut is_first = true;
    loop {
        let limit = if is_first { 75 } else { 74 };
        if !is_first {
            out.push(' ');
        }
        if rest.len() <= limit {
            out.push_str(rest);
            out.push_str("\r\n");
            return;
        }
        let mut cut = limit;
        while !rest.is_char_boundary(cut) {
            cut -= 1;
        }
        out.push_str(&rest[..cut]);
        out.push_str("\r\n");
        rest = &rest[cut..];
        is_first = false;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_escaping_covers_the_four_specials() {
        assert_eq!(escape_text("a\\b;c,d\ne\r\nf"), "a\\\\b\\;c\\,d\\ne\\nf");
    }

    #[test]
    fn folding_keeps_lines_short_and_characters_whole() {
        let mut out = String::new();
        let content = format!("SUMMARY:{}", "社群".repeat(100));
        line(&mut out, &content);
        for l in out.split("\r\n").filter(|l| !l.is_empty()) {
            assert!(l.len() <= 75, "{} octets", l.len());
        }
        let unfolded = out.trim_end_matches("\r\n").replace("\r\n ", "");
        assert_eq!(unfolded, content);
    }

    #[test]
    fn short_lines_are_not_folded() {
        let mut out = String::new();
        line(&mut out, &"x".repeat(75));
        assert_eq!(out, format!("{}\r\n", "x".repeat(75)));
    }

    #[test]
    fn offsets_have_sign_hours_minutes() {
        assert_eq!(utc_offset(Offset::from_seconds(8 * 3600).unwrap()), "+0800");
        assert_eq!(
            utc_offset(Offset::from_seconds(-(3 * 3600 + 1800)).unwrap()),
            "-0330"
        );
        assert_eq!(utc_offset(Offset::UTC), "+0000");
    }

    #[test]
    fn plain_text_keeps_paragraphs_and_decodes_entities() {
        assert_eq!(
            plain_text("<p>A &amp; B</p>\n<ul><li>one</li><li>two</li></ul>"),
            "A & B\n\n• one\n• two"
        );
    }
}
