//! Bad record files: unknown keys, wrong types, bad file stems and a member handle that
//! is also a speaker id. Each is an error with a location and, where one exists, a fix.

use crate::support::{assert_contains, Site};

#[test]
fn unknown_member_key_suggests_city() {
    let run = Site::fixture("bad-member-key").check().fails();
    assert_contains(
        &run.stderr,
        "members/li-lei.toml:2:1: unknown key `citty` in a member record",
    );
    assert_contains(&run.stderr, "help: did you mean `city`?");
    insta::assert_snapshot!(run.stderr);
}

#[test]
fn wrong_type_is_an_error_at_the_value() {
    let run = Site::fixture("wrong-type").check().fails();
    assert_contains(
        &run.stderr,
        "events/meetup.toml:3:12: `capacity`: invalid type: string \"forty\", expected an integer",
    );
    insta::assert_snapshot!(run.stderr);
}

#[test]
fn bad_stems_suggest_a_valid_stem() {
    let run = Site::fixture("bad-stem").check().fails();
    assert_contains(
        &run.stderr,
        "members/李雷.toml:1:1: file name `李雷.toml` is not a valid id",
    );
    assert_contains(&run.stderr, "rename it to `members/li-lei.toml`");
    assert_contains(&run.stderr, "rename it to `speakers/grace-hopper.toml`");
    insta::assert_snapshot!(run.stderr);
}

#[test]
fn member_handle_and_speaker_id_may_not_collide() {
    let run = Site::fixture("id-collision").check().fails();
    assert_contains(
        &run.stderr,
        "speakers/ada.toml:1:1: speaker id `ada` is also a member handle (members/ada.toml)",
    );
    insta::assert_snapshot!(run.stderr);
}

#[test]
fn errors_are_all_reported_in_one_run_ordered_by_file_and_line() {
    let run = Site::fixture("dangling-record-refs").check().fails();
    let location = regex::Regex::new(r"^[a-z][^ ]*\.(toml|md):\d+:\d+: ").unwrap();
    let locations: Vec<&str> = run
        .stderr
        .lines()
        .filter(|l| location.is_match(l))
        .collect();
    let mut sorted = locations.clone();
    sorted.sort_by_key(|l| {
        let mut parts = l.splitn(3, ':');
        let file = parts.next().unwrap().to_string();
        let line: usize = parts.next().unwrap().parse().unwrap();
        (file, line)
    });
    assert_eq!(locations, sorted);
    assert_eq!(locations.len(), 10);
}
