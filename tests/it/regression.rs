//! Regression tests: each reproduces a bug these tests found, with its issue above it.

use crate::support::{assert_contains, Site};

// Issue 2 (`issues show 2`), found by these tests: a record with an error of its own (here an
// unknown key) was left out of the id lists, so every host, speaker, author,
// transcript and `@` link naming it got a second, false error ("there is no
// `members/li-lei.toml`") although the file exists.
#[test]
fn record_with_an_error_is_not_reported_again_where_it_is_named() {
    let run = Site::fixture("referenced-record-with-error")
        .check()
        .fails();
    assert_contains(&run.stderr, "members/li-lei.toml:2:1: unknown key `citty`");
    assert_contains(&run.stderr, "speakers/grace.toml:2:1: unknown key `bioo`");
    assert_contains(
        &run.stderr,
        "content/transcript.md:3:1: unknown key `author`",
    );
    assert_contains(&run.stderr, "3 errors, 0 warnings");
    assert!(!run.stderr.contains("events/meetup.toml"), "{}", run.stderr);
    assert!(!run.stderr.contains("content/links.md"), "{}", run.stderr);
    insta::assert_snapshot!(run.stderr);
}
