//! Drafts are built only with `--drafts`; a link to a draft that is left out is an error.

use crate::support::{assert_contains, main_part, Site};

#[test]
fn drafts_are_left_out_without_the_drafts_flag() {
    let run = Site::fixture("drafts").build().ok();
    assert!(run.has_page("/news/published/"));
    assert!(!run.has_page("/news/unfinished/"));
    for (path, bytes) in crate::support::tree(&run.output) {
        let text = String::from_utf8_lossy(&bytes);
        assert!(!text.contains("Draft title mark"), "{path} names the draft");
        assert!(
            !text.contains("/news/unfinished/"),
            "{path} links to the draft"
        );
        assert!(
            !text.contains("draftonlytag"),
            "{path} names the draft's tag"
        );
    }
    assert!(!run.has_page("/tags/draftonlytag/"));
}

#[test]
fn drafts_are_built_with_the_drafts_flag() {
    let run = Site::fixture("drafts").build_with(&["--drafts"]).ok();
    assert!(run.has_page("/tags/draftonlytag/"));
    assert_contains(&run.page("/news/unfinished/"), "Draft body mark.");
    assert_contains(
        main_part(&run.page("/news/")),
        r#"href="/news/unfinished/""#,
    );
}

#[test]
fn link_to_a_draft_is_an_error() {
    let site = Site::fixture("draft-link");
    let run = site.check().fails();
    assert_contains(
        &run.stderr,
        "content/hello.md:5:23: link `@/not-ready.md` points to a draft page",
    );
    insta::assert_snapshot!(run.stderr);
    // With `--drafts` the draft is published and the link resolves.
    let run = site.build_with(&["--drafts"]).ok();
    assert_contains(&run.page("/hello/"), r#"href="/not-ready/""#);
}
