//! Every kind of reference: resolved to the right URL in the `full` fixture, and an
//! error at its own FILE:LINE:COL with a "did you mean" when it names nothing.

use crate::support::{assert_contains, assert_link, assert_shows, main_part, Site};

#[test]
fn at_links_in_markdown_resolve_to_their_urls() {
    let run = Site::fixture("full").build().ok();
    let manifesto = main_part(&run.page("/manifesto/")).to_string();
    assert_contains(
        &manifesto,
        r#"<a href="/posts/meetup-recap/#what-we-learned">the recap</a>"#,
    );
    assert_contains(&manifesto, r#"<a href="/speakers/grace/">Grace</a>"#);
    assert_contains(&manifesto, r#"<a href="/events/meetup/">the meetup</a>"#);
    assert_contains(&manifesto, r#"<a href="/chapters/berlin/">Berlin</a>"#);
    assert_contains(
        &run.page("/"),
        r#"<a href="/series/weekly/">the weekly</a>"#,
    );
    assert_contains(&run.page("/join/"), r#"<a href="/members/ada/">Ada</a>"#);
    assert_contains(
        &run.page("/rules/"),
        r##"<a href="/rules/#rule-be-kind">rule one</a>"##,
    );
}

#[test]
fn record_references_resolve_to_their_records() {
    let run = Site::fixture("full").build().ok();
    let weekly = main_part(&run.page("/events/weekly-1/")).to_string();
    // hosts, a guest speaker, a member speaker, series, transcript, `event =` pages.
    assert_link(&weekly, "/members/ada/", "Ada Lovelace-Mark");
    assert_link(&weekly, "/speakers/grace/", "Grace Speaker-Mark");
    assert_link(&weekly, "/series/weekly/", "Weekly Talks");
    assert_link(&weekly, "/transcripts/weekly-1/", "Transcript");
    assert_link(&weekly, "/posts/meetup-recap/", "Recap title mark");
    let meetup = main_part(&run.page("/events/meetup/")).to_string();
    assert_link(&meetup, "/chapters/berlin/", "Berlin Chapter");
    // Organisers of a chapter, a member's role and chapter.
    let berlin = main_part(&run.page("/chapters/berlin/")).to_string();
    assert_link(&berlin, "/members/ada/", "Ada Lovelace-Mark");
    let ada = main_part(&run.page("/members/ada/")).to_string();
    assert_shows(&ada, "Organiser role title");
    assert_link(&ada, "/chapters/berlin/", "Berlin Chapter");
    // A page's authors.
    let recap = main_part(&run.page("/posts/meetup-recap/")).to_string();
    assert_link(&recap, "/members/ada/", "Ada Lovelace-Mark");
}

#[test]
fn dangling_record_references_are_errors_at_their_key() {
    let run = Site::fixture("dangling-record-refs").check().fails();
    for (location, help) in [
        (
            "chapters/berlin.toml:2:15: chapter organizer `adda`",
            "`ada` (members/ada.toml)",
        ),
        (
            "content/posts/recap.md:3:12: author `ad`",
            "`ada` (members/ada.toml)",
        ),
        (
            "content/posts/recap.md:4:9: event `meetpu`",
            "`meetup` (events/meetup.toml)",
        ),
        (
            "events/meetup.toml:3:10: series `weekyl`",
            "`weekly` (series/weekly.toml)",
        ),
        (
            "events/meetup.toml:5:11: chapter `berlni`",
            "`berlin` (chapters/berlin.toml)",
        ),
        (
            "events/meetup.toml:6:10: host `adaa`",
            "`ada` (members/ada.toml)",
        ),
        (
            "events/meetup.toml:10:13: talk speaker `grac`",
            "`grace` (speakers/grace.toml)",
        ),
        (
            "events/meetup.toml:11:14: `talks.transcript`",
            "`@/transcripts/weekly-1.md`",
        ),
        ("members/ada.toml:2:8: role `organizer`", "`organiser`"),
        (
            "members/ada.toml:3:11: chapter `berln`",
            "`berlin` (chapters/berlin.toml)",
        ),
    ] {
        assert_contains(&run.stderr, location);
        assert_contains(&run.stderr, &format!("did you mean {help}?"));
    }
    assert_contains(&run.stderr, "10 errors");
    insta::assert_snapshot!(run.stderr);
}

#[test]
fn dangling_at_links_are_errors_at_their_line_and_column() {
    let run = Site::fixture("dangling-links").check().fails();
    for (location, help) in [
        ("content/links.md:5:12: link `@member/adx`", "`@member/ada`"),
        (
            "content/links.md:5:41: link `@speaker/grase`",
            "`@speaker/grace`",
        ),
        (
            "content/links.md:6:13: link `@event/meetpu`",
            "`@event/meetup`",
        ),
        (
            "content/links.md:6:43: link `@chapter/berlinn`",
            "`@chapter/berlin`",
        ),
        (
            "content/links.md:6:75: link `@series/weekli`",
            "`@series/weekly`",
        ),
        (
            "content/links.md:7:12: link `@rule/be-kid`",
            "`@rule/be-kind`",
        ),
        (
            "content/links.md:7:36: link `@/posts/recpa.md`",
            "`@/posts/recap.md`",
        ),
        (
            "content/links.md:7:70: link `@/posts/recap.md#note`",
            "`#notes`",
        ),
        // A Markdown field of a record points into the record file.
        (
            "events/meetup.toml:4:11: link `@speaker/grase`",
            "`@speaker/grace`",
        ),
    ] {
        assert_contains(&run.stderr, location);
        assert_contains(&run.stderr, &format!("did you mean {help}"));
    }
    insta::assert_snapshot!(run.stderr);
}
