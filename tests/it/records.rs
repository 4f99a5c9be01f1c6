//! Every record kind and every field of SPEC §2, from the `full` fixture, shows up on
//! the pages that should show it.

use crate::support::{assert_contains, assert_shows, main_part, Site};

#[test]
fn site_settings_reach_every_page() {
    let run = Site::fixture("full").build().ok();
    let home = run.page("/");
    assert_contains(&home, "<title>Full Site Title</title>");
    assert_contains(&home, r#"<html lang="en""#);
    assert_contains(&home, "https://full.example.org/");
    // `theme = "default"` is the built-in theme.
    assert!(run.has_page("/assets/shequn.css"));
}

#[test]
fn charter_fields_show_on_home_manifesto_rules_and_join() {
    let run = Site::fixture("full").build().ok();
    let home = main_part(&run.page("/")).to_string();
    assert_contains(&home, "Purpose <strong>mark</strong>");
    assert_contains(&home, "Home intro mark.");

    let manifesto = run.page("/manifesto/");
    assert_contains(&manifesto, "Tagline mark");
    assert_contains(&manifesto, r#"datetime="2021-05-04""#);
    assert_shows(&manifesto, "4 May 2021");
    assert_contains(&manifesto, "Manifesto body mark.");
    assert_contains(&manifesto, "Value name mark");
    assert_contains(&manifesto, "Value <em>description</em> mark");

    let rules = main_part(&run.page("/rules/")).to_string();
    assert_contains(&rules, r#"id="rule-be-kind""#);
    assert_contains(&rules, r#"id="rule-no-ads""#);
    assert!(
        rules.find("Rule one title").unwrap() < rules.find("Rule two title").unwrap(),
        "rules keep file order:\n{rules}"
    );
    assert_contains(&rules, "Rule one text mark");

    let join = main_part(&run.page("/join/")).to_string();
    assert_contains(&join, "Audience mark");
    assert_contains(&join, "Threshold mark: an application.");
    assert_contains(&join, r#"href="https://apply.example.org/form""#);
    assert_contains(&join, "Tier name mark");
    assert_contains(&join, "$60 per year");
    assert_contains(&join, "Perks <em>mark</em>");
}

#[test]
fn roles_order_the_member_directory() {
    let run = Site::fixture("full").build().ok();
    let members = main_part(&run.page("/members/")).to_string();
    let organisers = members
        .find(r#"id="role-organiser-heading""#)
        .expect("organiser group");
    let rest = members
        .find(r#"id="role-member-heading""#)
        .expect("member group");
    assert!(organisers < rest, "roles in charter order:\n{members}");
    let ada = members.find(r#"href="/members/ada/""#).unwrap();
    assert!(organisers < ada && ada < rest, "{members}");
    assert!(members.find(r#"href="/members/bob/""#).unwrap() > rest);
}

#[test]
fn member_fields_show_on_the_profile() {
    let run = Site::fixture("full").build().ok();
    let ada = main_part(&run.page("/members/ada/")).to_string();
    for needle in [
        "Ada Lovelace-Mark",
        "Organiser role title",
        r#"href="/chapters/berlin/""#,
        "Member city mark",
        "1 Mar 2022",
        "Member headline mark",
        "Member bio <strong>mark</strong>.",
        r#"src="/img/ada.svg""#,
        r#"href="https://ada.example.org/""#,
        r#"href="https://github.example.com/ada""#,
        r#"href="/tags/analysis/""#,
        r#"href="/tags/engines/""#,
        // Talks given, events hosted, posts written.
        "Talk by a member mark",
        r#"href="/events/meetup/""#,
        r#"href="/posts/meetup-recap/""#,
    ] {
        assert_shows(&ada, needle);
    }
    // An avatar beside the record is copied next to the record's URL.
    assert_contains(&run.page("/members/bob/"), r#"src="/members/bob.svg""#);
    assert!(run.has_page("/members/bob.svg"));
    assert!(run.has_page("/img/ada.svg"));
}

#[test]
fn speaker_fields_show_on_the_speaker_page() {
    let run = Site::fixture("full").build().ok();
    let grace = main_part(&run.page("/speakers/grace/")).to_string();
    for needle in [
        "Grace Speaker-Mark",
        "Speaker headline mark",
        "Speaker bio <em>mark</em>.",
        r#"src="https://img.example.org/grace.png""#,
        r#"href="https://grace.example.org/""#,
        "Talk by a guest mark",
        "Guest talk abstract mark.",
        r#"href="https://slides.example.org/guest.pdf""#,
        r#"href="https://video.example.org/guest""#,
        r#"href="/transcripts/weekly-1/""#,
    ] {
        assert_shows(&grace, needle);
    }
    let speakers = main_part(&run.page("/speakers/")).to_string();
    // Everyone who gave a talk: guests and members.
    assert_contains(&speakers, r#"href="/speakers/grace/""#);
    assert_contains(&speakers, r#"href="/members/ada/""#);
    assert!(!speakers.contains("Bob Member"), "bob gave no talk");
}

#[test]
fn chapter_fields_show_on_the_chapter_pages() {
    let run = Site::fixture("full").build().ok();
    let berlin = main_part(&run.page("/chapters/berlin/")).to_string();
    for needle in [
        "Berlin Chapter",
        "Chapter city mark",
        "Chapter description mark.",
        r#"datetime="2022-01-15""#,
        r#"href="https://meetup.example.org/berlin""#,
        // Organisers and members.
        r#"href="/members/ada/""#,
        r#"href="/members/bob/""#,
        // The chapter's events.
        r#"href="/events/meetup/""#,
    ] {
        assert_shows(&berlin, needle);
    }
    let chapters = main_part(&run.page("/chapters/")).to_string();
    assert_contains(&chapters, "Chapter city mark");
}

#[test]
fn series_fields_show_on_the_series_pages() {
    let run = Site::fixture("full").build().ok();
    let weekly = main_part(&run.page("/series/weekly/")).to_string();
    assert_contains(&weekly, "Weekly Talks");
    assert_contains(&weekly, "Series description mark.");
    assert_contains(&weekly, "weekly, Thursdays");
    assert_contains(&weekly, r#"href="/events/weekly-1/""#);
    assert_contains(&weekly, "Session 1");
    assert_contains(&run.page("/series/"), "weekly, Thursdays");
}

#[test]
fn event_fields_show_on_the_event_page() {
    let run = Site::fixture("full").build().ok();
    let meetup = main_part(&run.page("/events/meetup/")).to_string();
    for needle in [
        "Berlin meetup",
        "Meetup summary mark",
        "Meetup description mark.",
        r#"datetime="2026-12-10T18:00:00+01:00""#,
        "Thu 10 Dec 2026, 18:00–21:00 CET",
        "Europe/Berlin",
        r#"href="/chapters/berlin/""#,
        "Venue name mark",
        "Venue address mark 1",
        "Venue city mark",
        r#"href="https://maps.example.org/venue""#,
        r#"href="https://stream.example.org/meetup""#,
        "In person and online",
        r#"href="https://rsvp.example.org/meetup""#,
        "42 places",
        r#"href="/members/ada/""#,
        r#"href="/members/bob/""#,
        "Rescheduled",
        // `previous_start`.
        r#"datetime="2026-12-03T18:00:00+01:00""#,
        "Thu 3 Dec 2026, 18:00 CET",
        r#"src="/img/cover.svg""#,
        r#"href="/tags/engines/""#,
    ] {
        assert_shows(&meetup, needle);
    }

    let weekly = main_part(&run.page("/events/weekly-1/")).to_string();
    for needle in [
        r#"href="/series/weekly/""#,
        "Weekly Talks",
        "Session 1",
        // A local time read in the event's `timezone`.
        r#"datetime="2026-11-05T19:00:00+01:00""#,
        r#"href="https://call.example.org/weekly-1""#,
        "Talk by a guest mark",
        r#"href="/speakers/grace/""#,
        "Guest talk abstract mark.",
        r#"href="https://slides.example.org/guest.pdf""#,
        r#"href="https://video.example.org/guest""#,
        r#"href="/transcripts/weekly-1/""#,
        "Language en",
        "Talk by a member mark",
        // Pages with `event = "weekly-1"`: the recap and the transcript.
        r#"href="/posts/meetup-recap/""#,
        "Transcript title mark",
    ] {
        assert_shows(&weekly, needle);
    }

    let picnic = main_part(&run.page("/events/picnic/")).to_string();
    assert_contains(&picnic, "Cancelled");
    assert_contains(&run.page("/events/"), "Picnic summary mark");
}

#[test]
fn page_fields_show_on_the_page_and_in_lists() {
    let run = Site::fixture("full").build().ok();
    // `slug` replaces the last segment of the URL.
    assert!(!run.has_page("/posts/recap/"));
    let recap = main_part(&run.page("/posts/meetup-recap/")).to_string();
    for needle in [
        "Recap title mark",
        r#"datetime="2026-11-06""#,
        "6 Nov 2026",
        r#"datetime="2026-11-07""#,
        "Updated 7 Nov 2026",
        r#"href="/members/ada/""#,
        r#"href="/events/weekly-1/""#,
        r#"href="/tags/analysis/""#,
        r#"<h2 id="what-we-learned">"#,
        // `template = "post.html"` with its `[extra]`.
        r#"<p class="custom-post-template">PAGE-EXTRA-MARK</p>"#,
        // Its section.
        r#"href="/posts/""#,
    ] {
        assert_shows(&recap, needle);
    }
    let section = main_part(&run.page("/posts/")).to_string();
    assert_contains(&section, "Posts section body mark.");
    assert_contains(&section, "Recap summary mark");
    let tag = main_part(&run.page("/tags/analysis/")).to_string();
    for needle in ["/members/ada/", "/events/weekly-1/", "/posts/meetup-recap/"] {
        assert_shows(&tag, needle);
    }
}

#[test]
fn full_site_output_file_list() {
    let run = Site::fixture("full").build().ok();
    insta::assert_snapshot!(run.files().join("\n"));
}
