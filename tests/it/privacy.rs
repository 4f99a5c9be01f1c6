//! An unlisted member (`listed = false`) is in no output byte, and naming one as a
//! host, talk speaker, page author or `@member/` link is an error.

use crate::support::{assert_contains, tree, Site};

#[test]
fn unlisted_member_is_in_no_output_file() {
    let run = Site::fixture("unlisted-member").build().ok();
    let files = tree(&run.output);
    assert!(files.len() > 10, "the site was built: {:?}", files.keys());
    for (path, bytes) in &files {
        assert!(
            !path.contains("zq-hidden"),
            "{path} names the unlisted member"
        );
        let text = String::from_utf8_lossy(bytes);
        for secret in [
            "zq-hidden",
            "Qwyx",
            "Hiddenname",
            "Hiddencity-zq",
            "hiddentag-zq",
            "HIDDEN-HEADLINE-MARKER",
            "HIDDEN-BIO-MARKER",
            "hidden-zq.example.org",
        ] {
            assert!(!text.contains(secret), "{path} contains `{secret}`");
        }
    }
    // No count gives them away either.
    assert_contains(&run.page("/"), ">1 member<");
    assert!(!run.has_page("/members/zq-hidden/"));
    assert!(!run.has_page("/tags/hiddentag-zq/"));
}

#[test]
fn naming_an_unlisted_member_is_an_error() {
    let run = Site::fixture("unlisted-member-referenced").check().fails();
    for location in [
        "content/hello.md:3:12: author `zq-hidden` is an unlisted member",
        "content/hello.md:6:24: link `@member/zq-hidden` names an unlisted member",
        "events/meetup.toml:3:17: host `zq-hidden` is an unlisted member",
        "events/meetup.toml:7:13: talk speaker `zq-hidden` is an unlisted member",
    ] {
        assert_contains(&run.stderr, location);
    }
    insta::assert_snapshot!(run.stderr);
}
