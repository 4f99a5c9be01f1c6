//! Event times: offset, local and all-day forms, DST gaps and overlaps, an event in
//! another zone, and upcoming/past at the fixed `--now`.

use crate::support::{assert_contains, assert_shows, main_part, Site};

/// The `<main>` part of an event's page.
fn when(run: &crate::support::Run, event: &str) -> String {
    main_part(&run.page(&format!("/events/{event}/"))).to_string()
}

#[test]
fn offset_datetime_keeps_its_instant_and_shows_in_the_site_zone() {
    let run = Site::fixture("timezones").build().ok();
    let offset = when(&run, "offset");
    // 10:00+05:30 is 04:30 UTC, 05:30 in Berlin.
    assert_contains(&offset, r#"datetime="2026-12-01T05:30:00+01:00""#);
    assert_shows(&offset, "05:30–06:30 CET");
}

#[test]
fn local_datetime_is_read_in_the_site_zone() {
    let run = Site::fixture("timezones").build().ok();
    let local = when(&run, "local");
    assert_contains(&local, r#"datetime="2026-12-02T19:00:00+01:00""#);
    assert_shows(&local, "Wed 2 Dec 2026, 19:00–21:00 CET");
    assert_contains(&local, "Europe/Berlin");
}

#[test]
fn all_day_event_has_dates_and_no_time() {
    let run = Site::fixture("timezones").build().ok();
    let all_day = when(&run, "all-day");
    assert_contains(&all_day, r#"datetime="2026-12-05""#);
    assert_shows(&all_day, "Sat 5 Dec 2026 – Sun 6 Dec 2026 (All day)");
}

#[test]
fn event_in_another_zone_shows_its_own_zone() {
    let run = Site::fixture("timezones").build().ok();
    let tokyo = when(&run, "tokyo");
    assert_contains(&tokyo, r#"datetime="2026-12-03T20:00:00+09:00""#);
    assert_shows(&tokyo, "Thu 3 Dec 2026, 20:00 JST");
    assert_contains(&tokyo, "Asia/Tokyo");
}

#[test]
fn dst_overlap_takes_the_earlier_instant_with_a_warning() {
    let run = Site::fixture("timezones").build().ok();
    let overlap = when(&run, "overlap");
    assert_contains(&overlap, r#"datetime="2026-10-25T02:30:00+02:00""#);
    assert_shows(&overlap, "02:30 CEST");
    assert_contains(
        &run.stderr,
        "events/overlap.toml:2:9: warning: `start`: local time 2026-10-25T02:30 occurs twice in Europe/Berlin",
    );
    assert_contains(&run.stderr, "0 errors, 1 warning");
    let warnings: String = run
        .stderr
        .lines()
        .take_while(|l| !l.starts_with("Built "))
        .map(|l| format!("{l}\n"))
        .collect();
    insta::assert_snapshot!(warnings);
}

#[test]
fn dst_gap_is_an_error_naming_the_nearest_valid_times() {
    let run = Site::fixture("dst-gap").check().fails();
    assert_contains(
        &run.stderr,
        "events/gap.toml:2:9: `start`: local time 2026-03-29T02:30 does not exist in Europe/Berlin",
    );
    assert_contains(&run.stderr, "the nearest valid times are 01:59 and 03:00");
    insta::assert_snapshot!(run.stderr);
}

#[test]
fn upcoming_soonest_first_and_past_newest_first() {
    let run = Site::fixture("upcoming-past").build().ok();
    let events = main_part(&run.page("/events/")).to_string();
    let position = |slug: &str| {
        events
            .find(&format!(r#"href="/events/{slug}/""#))
            .unwrap_or_else(|| panic!("no link to {slug} in:\n{events}"))
    };
    let past_heading = events.find(r#"id="past-heading""#).expect("a past heading");
    let order = [
        "under-way",
        "ends-now",
        "soon",
        "later",
        "past-recent",
        "past-old",
    ];
    let positions: Vec<usize> = order.iter().map(|s| position(s)).collect();
    assert!(
        positions.windows(2).all(|w| w[0] < w[1]),
        "expected order {order:?} in:\n{events}"
    );
    // An event under way, or ending exactly at "now", is still upcoming.
    assert!(position("ends-now") < past_heading);
    assert!(position("past-recent") > past_heading);
    // The home page lists only upcoming events.
    let home = main_part(&run.page("/")).to_string();
    assert_contains(&home, r#"href="/events/soon/""#);
    assert!(!home.contains(r#"href="/events/past-old/""#), "{home}");
}

#[test]
fn build_reports_the_next_change() {
    let run = Site::fixture("upcoming-past").build().ok();
    assert_contains(&run.stderr, "Next change: 2026-11-23T14:00:00Z");
}

#[test]
fn all_day_event_is_upcoming_until_its_last_day_ends_in_its_zone() {
    let site = Site::fixture("timezones");
    let is_upcoming = |now: &str| {
        let run = site.build_at(now).ok();
        let events = main_part(&run.page("/events/")).to_string();
        let link = events
            .find(r#"href="/events/all-day/""#)
            .expect("all-day listed");
        link < events.find(r#"id="past-heading""#).unwrap_or(usize::MAX)
    };
    // The event runs 5–6 Dec in Europe/Berlin: until 2026-12-06T23:00:00Z.
    assert!(is_upcoming("2026-12-06T22:59:59Z"));
    assert!(!is_upcoming("2026-12-06T23:00:01Z"));
}
