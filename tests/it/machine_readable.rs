//! The files machines read (issue 5): every `.ics` parsed by the `icalendar` crate's
//! parser (shequn writes iCalendar by hand, so this is an independent reader), the Atom
//! feed by `feed-rs`, the sitemap by `roxmltree`, every JSON-LD block by `serde_json`.
//! The fixture `machine-readable` has a title full of specials and 200 Chinese
//! characters, an event across a DST change, an all-day event, a cancelled and a
//! rescheduled one, an unlisted member and a draft.

use std::collections::{BTreeMap, BTreeSet};
use std::str::FromStr;

use icalendar::{
    Calendar, CalendarComponent, CalendarDateTime, Component, DatePerhapsTime, Event, EventLike,
    EventStatus,
};

use crate::support::{Run, Site};

const BASE: &str = "https://club.example.org/sub/";

fn build() -> Run {
    Site::fixture("machine-readable").build().ok()
}

fn read(run: &Run, path: &str) -> String {
    std::fs::read_to_string(run.output.join(path))
        .unwrap_or_else(|e| panic!("cannot read {path}: {e}"))
}

fn files_ending(run: &Run, suffix: &str) -> Vec<String> {
    run.files()
        .into_iter()
        .filter(|f| f.ends_with(suffix))
        .collect()
}

/// CRLF after every line, no bare LF, no line over 75 octets, and every physical line
/// valid UTF-8 by itself (a fold never cuts a character).
#[track_caller]
fn assert_content_lines(name: &str, bytes: &[u8]) {
    let pieces: Vec<&[u8]> = bytes.split(|b| *b == b'\n').collect();
    assert_eq!(
        pieces.last(),
        Some(&&b""[..]),
        "{name} does not end with CRLF"
    );
    for (i, line) in pieces[..pieces.len() - 1].iter().enumerate() {
        let line = line
            .strip_suffix(b"\r")
            .unwrap_or_else(|| panic!("{name}: line {} ends in a bare LF", i + 1));
        assert!(!line.contains(&b'\r'), "{name}: bare CR on line {}", i + 1);
        assert!(
            line.len() <= 75,
            "{name}: line {} is {} octets",
            i + 1,
            line.len()
        );
        assert!(
            std::str::from_utf8(line).is_ok(),
            "{name}: line {} splits a UTF-8 character",
            i + 1
        );
    }
}

fn parse_calendar(name: &str, text: &str) -> Calendar {
    Calendar::from_str(text).unwrap_or_else(|e| panic!("{name} does not parse: {e}"))
}

fn events(cal: &Calendar) -> BTreeMap<String, Event> {
    cal.components
        .iter()
        .filter_map(|c| match c {
            CalendarComponent::Event(e) => Some((e.get_uid().unwrap().to_string(), e.clone())),
            _ => None,
        })
        .collect()
}

/// The low-level parse, which keeps `VTIMEZONE` blocks and every parameter.
fn with_raw<T>(text: &str, f: impl FnOnce(&icalendar::parser::Calendar<'_>) -> T) -> T {
    let unfolded = icalendar::parser::unfold(text);
    let cal = icalendar::parser::read_calendar(&unfolded).expect("low-level parse");
    f(&cal)
}

fn uid(id: &str) -> String {
    format!("{id}@club.example.org/sub")
}

fn local(d: Option<DatePerhapsTime>) -> (String, Option<String>) {
    match d.expect("a date") {
        DatePerhapsTime::Date(d) => (d.format("%Y%m%d").to_string(), None),
        DatePerhapsTime::DateTime(CalendarDateTime::WithTimezone { date_time, tzid }) => {
            (date_time.format("%Y%m%dT%H%M%S").to_string(), Some(tzid))
        }
        other => panic!("expected a date or a time with TZID, got {other:?}"),
    }
}

#[test]
fn every_calendar_is_valid_icalendar_with_zones_for_every_tzid() {
    let run = build();
    let calendars = files_ending(&run, ".ics");
    for expected in [
        "calendar.ics",
        "events/tricky/event.ics",
        "events/dst/event.ics",
        "series/weekly/calendar.ics",
        "chapters/berlin/calendar.ics",
        "speakers/grace/calendar.ics",
    ] {
        assert!(calendars.iter().any(|c| c == expected), "no {expected}");
    }
    let mut uids_by_summary: BTreeMap<String, String> = BTreeMap::new();
    for name in &calendars {
        let bytes = std::fs::read(run.output.join(name)).unwrap();
        assert_content_lines(name, &bytes);
        let text = String::from_utf8(bytes).unwrap();
        let cal = parse_calendar(name, &text);
        assert_eq!(cal.property_value("VERSION"), Some("2.0"), "{name}");
        assert!(cal.property_value("PRODID").is_some(), "{name}");
        let is_subscription = name.ends_with("calendar.ics");
        assert_eq!(
            cal.get_name().is_some(),
            is_subscription,
            "{name}: X-WR-CALNAME only on subscribable calendars"
        );
        with_raw(&text, |raw| {
            let zones: BTreeSet<String> = raw
                .components
                .iter()
                .filter(|c| c.name == "VTIMEZONE")
                .map(|c| {
                    let tzid = c
                        .properties
                        .iter()
                        .find(|p| p.name == "TZID")
                        .expect("VTIMEZONE has a TZID");
                    let observances = c
                        .components
                        .iter()
                        .filter(|o| o.name == "STANDARD" || o.name == "DAYLIGHT")
                        .count();
                    assert!(observances > 0, "{name}: empty VTIMEZONE");
                    tzid.val.as_str().to_string()
                })
                .collect();
            assert!(
                !raw.components.is_empty(),
                "{name}: a calendar needs a component"
            );
            for zone in &zones {
                assert!(
                    jiff::tz::db().get(zone).is_ok(),
                    "{name}: TZID `{zone}` is not an IANA name"
                );
            }
            for event in raw.components.iter().filter(|c| c.name == "VEVENT") {
                for required in [
                    "UID",
                    "DTSTAMP",
                    "DTSTART",
                    "SUMMARY",
                    "URL",
                    "STATUS",
                    "SEQUENCE",
                    "DESCRIPTION",
                ] {
                    assert!(
                        event.properties.iter().any(|p| p.name == required),
                        "{name}: a VEVENT has no {required}"
                    );
                }
                for p in &event.properties {
                    for param in &p.params {
                        if param.key == "TZID" {
                            let tzid = param.val.as_ref().unwrap().as_str();
                            assert!(zones.contains(tzid), "{name}: no VTIMEZONE for {tzid}");
                        }
                    }
                }
            }
        });
        for (uid, e) in events(&cal) {
            assert_eq!(
                e.get_timestamp().unwrap().to_rfc3339(),
                "2026-11-23T12:00:00+00:00",
                "{name}: DTSTAMP is --now"
            );
            let summary = e.get_summary().unwrap().to_string();
            let previous = uids_by_summary.insert(summary, uid.clone());
            assert!(
                previous.is_none_or(|p| p == uid),
                "{name}: one event, two UIDs"
            );
        }
    }
}

#[test]
fn tricky_title_is_escaped_folded_and_read_back_whole() {
    let run = build();
    let text = read(&run, "events/tricky/event.ics");
    assert!(text.contains("SUMMARY:Semi\\; comma\\, back\\\\slash"));
    assert!(
        text.lines().filter(|l| l.starts_with(' ')).count() >= 8,
        "200 Chinese characters need several folded lines"
    );
    let cal = parse_calendar("event.ics", &text);
    let events = events(&cal);
    let e = &events[&uid("tricky")];
    let chinese: String = "社群日历测试中文标题折行验证"
        .chars()
        .cycle()
        .take(200)
        .collect();
    // The model turns a line break in a title into a space; descriptions keep theirs.
    assert_eq!(
        e.get_summary().unwrap(),
        format!("Semi; comma, back\\slash second line {chinese}")
    );
    let description = e.get_description().unwrap();
    assert!(
        description.starts_with("Tricky summary; with, specials\n\nFirst paragraph with bold"),
        "{description}"
    );
    assert!(description.contains("\n\nSecond paragraph."));
    assert!(description.contains("A talk by Grace — Grace </script> Speaker"));
    assert!(description.ends_with("https://club.example.org/sub/events/tricky/"));
    assert_eq!(
        local(e.get_start()),
        ("20261203T200000".into(), Some("Asia/Shanghai".into()))
    );
    assert_eq!(
        local(e.get_end()),
        ("20261203T213000".into(), Some("Asia/Shanghai".into()))
    );
    assert_eq!(e.get_location(), Some("https://meet.example.org/tricky"));
    assert_eq!(
        e.get_url(),
        Some("https://club.example.org/sub/events/tricky/")
    );
    assert_eq!(e.get_status(), Some(EventStatus::Confirmed));
    assert_eq!(e.get_sequence(), Some(0));
}

/// Resolves a local time through the file's own VTIMEZONE, the way a calendar app does.
fn to_utc(text: &str, tzid: &str, local: &str) -> jiff::Timestamp {
    let local: jiff::civil::DateTime = jiff::fmt::strtime::parse("%Y%m%dT%H%M%S", local)
        .unwrap()
        .to_datetime()
        .unwrap();
    let mut onsets: Vec<(jiff::civil::DateTime, i32)> = with_raw(text, |raw| {
        let zone = raw
            .components
            .iter()
            .find(|c| {
                c.name == "VTIMEZONE"
                    && c.properties
                        .iter()
                        .any(|p| p.name == "TZID" && p.val == tzid)
            })
            .expect("the VTIMEZONE");
        zone.components
            .iter()
            .map(|o| {
                let value = |n: &str| {
                    o.properties
                        .iter()
                        .find(|p| p.name == n)
                        .unwrap()
                        .val
                        .as_str()
                        .to_string()
                };
                let start = jiff::fmt::strtime::parse("%Y%m%dT%H%M%S", value("DTSTART"))
                    .unwrap()
                    .to_datetime()
                    .unwrap();
                let to = value("TZOFFSETTO");
                let sign = if to.starts_with('-') { -1 } else { 1 };
                let h: i32 = to[1..3].parse().unwrap();
                let m: i32 = to[3..5].parse().unwrap();
                (start, sign * (h * 3600 + m * 60))
            })
            .collect()
    });
    onsets.sort();
    let offset = onsets
        .iter()
        .rev()
        .find(|(start, _)| *start <= local)
        .expect("an observance before the time")
        .1;
    local
        .to_zoned(jiff::tz::TimeZone::fixed(
            jiff::tz::Offset::from_seconds(offset).unwrap(),
        ))
        .unwrap()
        .timestamp()
}

#[test]
fn event_across_the_dst_change_resolves_to_the_right_instants() {
    let run = build();
    let text = read(&run, "events/dst/event.ics");
    let cal = parse_calendar("event.ics", &text);
    let e = &events(&cal)[&uid("dst")];
    let (start, tz) = local(e.get_start());
    let (end, _) = local(e.get_end());
    assert_eq!(tz.as_deref(), Some("Europe/Berlin"));
    assert_eq!(
        to_utc(&text, "Europe/Berlin", &start).to_string(),
        "2026-10-24T20:00:00Z"
    );
    // 10:00 on 25 October is after the change back to CET (+01:00): 13 hours, not 12.
    assert_eq!(
        to_utc(&text, "Europe/Berlin", &end).to_string(),
        "2026-10-25T09:00:00Z"
    );
    assert!(text.contains("TZOFFSETFROM:+0200\r\nTZOFFSETTO:+0100"));
    assert_eq!(e.get_location(), Some("Club House, Hauptstraße 1, Berlin"));
}

#[test]
fn all_day_event_uses_dates_with_an_exclusive_end() {
    let run = build();
    let text = read(&run, "events/allday/event.ics");
    assert!(text.contains("DTSTART;VALUE=DATE:20261205\r\n"));
    let cal = parse_calendar("event.ics", &text);
    let e = &events(&cal)[&uid("allday")];
    assert_eq!(local(e.get_start()), ("20261205".into(), None));
    // The event's last day is 6 December; DTEND names the day after.
    assert_eq!(local(e.get_end()), ("20261207".into(), None));
    assert!(
        !text.contains("BEGIN:VTIMEZONE"),
        "all-day events need no zone"
    );
}

#[test]
fn cancelled_and_rescheduled_events_stay_with_status_and_higher_sequence() {
    let run = build();
    let cal = parse_calendar("calendar.ics", &read(&run, "calendar.ics"));
    let events = events(&cal);
    let scheduled = &events[&uid("dst")];
    let cancelled = &events[&uid("cancelled")];
    let moved = &events[&uid("moved")];
    assert_eq!(cancelled.get_status(), Some(EventStatus::Cancelled));
    assert_eq!(moved.get_status(), Some(EventStatus::Confirmed));
    let seq = |e: &Event| e.get_sequence().unwrap();
    assert!(seq(moved) > seq(scheduled));
    assert!(seq(cancelled) > seq(moved));
    assert_eq!(
        local(moved.get_start()).0,
        "20261217T190000",
        "the new time, not the previous one"
    );
    assert_eq!(cal.get_name(), Some("Machine Club"));
    assert_eq!(events.len(), 6, "every event, cancelled included");
}

#[test]
fn series_chapter_and_speaker_calendars_hold_their_events() {
    let run = build();
    let uids = |path: &str| -> BTreeSet<String> {
        events(&parse_calendar(path, &read(&run, path)))
            .into_keys()
            .collect()
    };
    assert_eq!(
        uids("series/weekly/calendar.ics"),
        [uid("moved"), uid("tricky")].into()
    );
    assert_eq!(
        uids("chapters/berlin/calendar.ics"),
        [uid("allday"), uid("cancelled"), uid("dst")].into()
    );
    assert_eq!(
        uids("speakers/grace/calendar.ics"),
        [uid("moved"), uid("tricky")].into()
    );
    let series = parse_calendar("series", &read(&run, "series/weekly/calendar.ics"));
    assert_eq!(
        series.get_name(),
        Some("Weekly, Talks; Series · Machine Club")
    );
}

#[test]
fn atom_feed_parses_with_absolute_stable_ids_links_titles_and_dates() {
    let run = build();
    let xml = read(&run, "feed.xml");
    let feed = feed_rs::parser::parse(xml.as_bytes()).expect("feed.xml parses");
    assert_eq!(feed.title.unwrap().content, "Machine Club");
    assert_eq!(feed.id, BASE);
    assert!(feed.updated.is_some());
    let mut ids = BTreeSet::new();
    for entry in &feed.entries {
        assert!(
            entry.id.starts_with(BASE),
            "id {} is not absolute",
            entry.id
        );
        assert!(ids.insert(entry.id.clone()), "duplicate id {}", entry.id);
        assert_eq!(entry.links.len(), 1);
        assert_eq!(entry.links[0].href, entry.id);
        assert!(!entry.title.as_ref().unwrap().content.is_empty());
        assert!(entry.updated.is_some(), "{} has no updated", entry.id);
    }
    let expected: BTreeSet<String> = [
        "news/hello/",
        "events/tricky/",
        "events/dst/",
        "events/allday/",
        "events/cancelled/",
        "events/moved/",
        "events/past/",
    ]
    .iter()
    .map(|p| format!("{BASE}{p}"))
    .collect();
    assert_eq!(ids, expected);
    let post = feed
        .entries
        .iter()
        .find(|e| e.id.ends_with("news/hello/"))
        .unwrap();
    assert_eq!(
        post.title.as_ref().unwrap().content,
        "Hello <world> & friends"
    );
    assert_eq!(
        post.updated.unwrap().to_rfc3339(),
        "2026-11-04T23:00:00+00:00",
        "midnight of the `updated` date in the site's zone"
    );
    assert_eq!(post.authors[0].name.as_deref(), Some("Ada Host"));
    assert_eq!(
        post.summary.as_ref().unwrap().content,
        "A summary with <b>markup</b> & ampersand"
    );
    let content = post.content.as_ref().unwrap().body.as_ref().unwrap();
    assert!(content.contains("<code>&lt;code&gt;</code>"), "{content}");
    let moved = feed
        .entries
        .iter()
        .find(|e| e.id.ends_with("events/moved/"))
        .unwrap();
    assert_eq!(
        moved.updated.unwrap().to_rfc3339(),
        "2026-12-17T18:00:00+00:00"
    );
}

#[test]
fn sitemap_lists_every_public_page_and_robots_points_at_it() {
    let run = build();
    let xml = read(&run, "sitemap.xml");
    let doc = roxmltree::Document::parse(&xml).expect("sitemap.xml parses");
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "urlset");
    assert_eq!(
        root.tag_name().namespace(),
        Some("http://www.sitemaps.org/schemas/sitemap/0.9")
    );
    let locs: BTreeSet<String> = root
        .descendants()
        .filter(|n| n.has_tag_name("loc"))
        .map(|n| n.text().unwrap().to_string())
        .collect();
    let pages: BTreeSet<String> = files_ending(&run, "index.html")
        .iter()
        .map(|f| format!("{BASE}{}", f.trim_end_matches("index.html")))
        .collect();
    assert_eq!(locs, pages, "the sitemap is exactly the HTML pages");
    assert!(!xml.contains("404"));
    let robots = read(&run, "robots.txt");
    assert!(robots.contains(&format!("Sitemap: {BASE}sitemap.xml\n")));
}

/// Every JSON-LD block of a page, parsed.
fn json_ld(html: &str) -> Vec<serde_json::Value> {
    let open = "<script type=\"application/ld+json\">";
    html.split(open)
        .skip(1)
        .map(|rest| {
            let block = &rest[..rest.find("</script>").expect("a closed script")];
            assert!(!block.contains('<'), "a raw `<` in JSON-LD: {block}");
            serde_json::from_str(block).unwrap_or_else(|e| panic!("bad JSON-LD {e}: {block}"))
        })
        .collect()
}

#[test]
fn json_ld_blocks_parse_with_their_type_and_required_fields() {
    let run = build();
    let mut types: BTreeMap<String, String> = BTreeMap::new();
    for file in files_ending(&run, ".html") {
        for block in json_ld(&read(&run, &file)) {
            assert_eq!(block["@context"], "https://schema.org", "{file}");
            let kind = block["@type"].as_str().unwrap().to_string();
            let required: &[&str] = match kind.as_str() {
                "Event" => &["name", "url", "startDate", "eventStatus", "organizer"],
                "Person" | "Organization" => &["name", "url"],
                other => panic!("{file}: unexpected @type {other}"),
            };
            for key in required {
                assert!(block.get(key).is_some(), "{file}: {kind} without {key}");
            }
            assert!(block["url"].as_str().unwrap().starts_with(BASE));
            assert!(
                types.insert(file.clone(), kind).is_none(),
                "{file}: two blocks"
            );
        }
    }
    assert_eq!(types["index.html"], "Organization");
    assert_eq!(types["speakers/grace/index.html"], "Person");
    assert_eq!(types["members/ada/index.html"], "Person");
    for e in ["tricky", "dst", "allday", "cancelled", "moved", "past"] {
        assert_eq!(types[&format!("events/{e}/index.html")], "Event");
    }
    assert!(!types.contains_key("events/index.html"));

    let event = |id: &str| json_ld(&run.page(&format!("/events/{id}/"))).remove(0);
    let cancelled = event("cancelled");
    assert_eq!(
        cancelled["eventStatus"],
        "https://schema.org/EventCancelled"
    );
    assert_eq!(
        cancelled["eventAttendanceMode"],
        "https://schema.org/MixedEventAttendanceMode"
    );
    assert_eq!(cancelled["location"][0]["@type"], "Place");
    assert_eq!(
        cancelled["location"][0]["address"]["streetAddress"],
        "Hauptstraße 1"
    );
    assert_eq!(cancelled["location"][1]["@type"], "VirtualLocation");
    let moved = event("moved");
    assert_eq!(moved["eventStatus"], "https://schema.org/EventRescheduled");
    assert_eq!(moved["previousStartDate"], "2026-12-16T19:00:00+01:00");
    assert_eq!(moved["startDate"], "2026-12-17T19:00:00+01:00");
    assert_eq!(moved["performer"][1]["name"], "Grace </script> Speaker");
    let tricky = event("tricky");
    assert_eq!(
        tricky["eventAttendanceMode"],
        "https://schema.org/OnlineEventAttendanceMode"
    );
    assert_eq!(tricky["location"]["url"], "https://meet.example.org/tricky");
    let dst = event("dst");
    assert_eq!(
        dst["eventAttendanceMode"],
        "https://schema.org/OfflineEventAttendanceMode"
    );
    assert_eq!(dst["organizer"][0]["name"], "Ada Host");
    assert_eq!(dst["eventStatus"], "https://schema.org/EventScheduled");
    let allday = event("allday");
    assert_eq!(allday["startDate"], "2026-12-05");
    assert_eq!(allday["endDate"], "2026-12-06");
    let ada = json_ld(&run.page("/members/ada/")).remove(0);
    assert_eq!(
        ada["sameAs"],
        serde_json::json!(["https://ada.example.org/"])
    );
    assert_eq!(ada["image"], "https://club.example.org/sub/avatars/ada.svg");
}

#[test]
fn every_page_has_description_and_opengraph_tags() {
    let run = build();
    for file in files_ending(&run, ".html") {
        let html = read(&run, &file);
        for tag in [
            "<meta name=\"description\" content=\"",
            "<meta property=\"og:title\" content=\"",
            "<meta property=\"og:description\" content=\"",
            "<meta property=\"og:type\" content=\"",
            "<meta property=\"og:site_name\" content=\"Machine Club\"",
            "<meta property=\"og:url\" content=\"https://club.example.org/sub/",
        ] {
            assert!(html.contains(tag), "{file} lacks {tag}");
        }
    }
}

#[test]
fn build_report_file_names_the_next_change() {
    let run = build();
    let info: serde_json::Value = serde_json::from_str(&read(&run, "shequn-build.json")).unwrap();
    assert_eq!(info["built_at"], crate::support::NOW);
    // The tricky event starts at 20:00 in Shanghai on 3 December.
    assert_eq!(info["next_change"], "2026-12-03T12:00:00Z");
}

#[test]
fn no_unlisted_member_draft_or_unsafe_url_reaches_machine_readable_files() {
    let run = build();
    let mut texts: Vec<(String, String)> = Vec::new();
    for file in run.files() {
        let is_machine = [".ics", ".xml", ".txt", ".json"]
            .iter()
            .any(|s| file.ends_with(s));
        if is_machine {
            texts.push((file.clone(), read(&run, &file)));
        } else if file.ends_with(".html") {
            for block in json_ld(&read(&run, &file)) {
                texts.push((format!("{file} JSON-LD"), block.to_string()));
            }
        }
    }
    assert!(texts.len() > 10);
    let url = regex::Regex::new(r"(?i)\b([a-z][a-z0-9+.-]*)://").unwrap();
    for (file, text) in &texts {
        for secret in [
            "hidden-member",
            "Hidden Unlisted",
            "hidden-unlisted",
            "Unlisted headline",
            "Draft Secret",
            "news/secret",
        ] {
            assert!(!text.contains(secret), "{file} names `{secret}`");
        }
        let lower = text.to_ascii_lowercase();
        for scheme in ["javascript:", "data:", "vbscript:", "file:"] {
            assert!(!lower.contains(scheme), "{file} holds `{scheme}`");
        }
        // An escaped iCalendar line break (`\n`) may stand right before a URL.
        let text = text.replace("\\n", " ");
        for m in url.captures_iter(&text) {
            let scheme = m[1].to_ascii_lowercase();
            assert!(
                ["https", "http", "mailto"].contains(&scheme.as_str()),
                "{file}: URL scheme `{scheme}:`"
            );
        }
    }
}

#[test]
fn a_static_file_at_a_feed_or_calendar_path_is_a_collision() {
    let site = Site::fixture("machine-readable");
    site.write("static/feed.xml", "<feed/>");
    site.write("static/events/dst/event.ics", "BEGIN:VCALENDAR");
    let run = site.build().fails();
    assert!(
        run.stderr.contains("claim the output file `feed.xml`"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("the built-in Atom feed"));
    assert!(
        run.stderr.contains("`events/dst/event.ics`") && run.stderr.contains("events/dst.toml"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_page_whose_folder_is_the_feed_file_is_a_collision() {
    let site = Site::fixture("machine-readable");
    site.write(
        "content/feed.md",
        "+++\ntitle = \"Feed page\"\nslug = \"feed.xml\"\n+++\n\nBody.\n",
    );
    let run = site.build().fails();
    assert!(
        run.stderr
            .contains("the built-in Atom feed writes the file `feed.xml`")
            && run.stderr.contains("content/feed.md"),
        "{}",
        run.stderr
    );
}
