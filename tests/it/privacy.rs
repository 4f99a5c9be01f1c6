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

/// Markers that only unlisted members hold, one per field; each must be in no output byte,
/// in any spelling an output could give it (as written, lower case, as a URL segment,
/// percent-encoded, JSON-escaped).
const MARKERS: [&str; 14] = [
    "zqhandlemarker",
    "ZqNameMarker",
    "秘密名字标记",
    "ZqBioMarker",
    "ZqHeadlineMarker",
    "ZqCityMarker",
    "ZqTagMarker",
    "ZqLinkLabelMarker",
    "zqlinkurlmarker",
    "zqavatarfilemarker",
    "ZqAvatarBytesMarker",
    "ZqExtraMarker",
    "ZqJoinedMarker",
    "zqsecondmarker",
];

fn spellings(marker: &str) -> Vec<String> {
    let lower = marker.to_lowercase();
    let percent: String = marker.bytes().map(|b| format!("%{b:02X}")).collect();
    let json: String = marker
        .chars()
        .map(|c| {
            if c.is_ascii() {
                c.to_string()
            } else {
                format!("\\u{:04x}", c as u32)
            }
        })
        .collect();
    vec![marker.to_string(), lower, percent, json]
}

#[test]
fn unlisted_members_with_a_marker_in_every_field_leave_no_byte_in_any_output() {
    let site = Site::fixture("unlisted-member");
    site.write(
        "members/zqhandlemarker.toml",
        r#"name = "ZqNameMarker 秘密名字标记"
role = "member"
joined = 2019-03-04
chapter = "berlin"
city = "ZqCityMarker"
tags = ["writing", "ZqTagMarker"]
headline = "ZqHeadlineMarker"
bio = "ZqBioMarker, who writes with [Ada](@member/ada)."
avatar = "zqavatarfilemarker.png"
listed = false

[links]
ZqLinkLabelMarker = "https://zqlinkurlmarker.example.org/"

[extra]
note = "ZqExtraMarker"
"#,
    );
    // The avatar beside the record: its name and its bytes are markers.
    std::fs::write(
        site.root().join("members/zqavatarfilemarker.png"),
        b"\x89PNG\r\n\x1a\nZqAvatarBytesMarker\x00\xff",
    )
    .unwrap();
    site.write(
        "members/zqsecondmarker.toml",
        "name = \"Second\"\nlisted = false\ntags = [\"ZqTagMarker\"]\n",
    );
    // The listed member `ada` shares their chapter, role and the tag `writing`.
    let run = site.build().ok();
    let files = tree(&run.output);
    assert!(files.len() > 10);
    let mut found = Vec::new();
    for (path, bytes) in &files {
        let text = String::from_utf8_lossy(bytes).to_lowercase();
        let path_lower = path.to_lowercase();
        for marker in MARKERS {
            for spelling in spellings(marker) {
                let spelling = spelling.to_lowercase();
                if text.contains(&spelling) || path_lower.contains(&spelling) {
                    found.push(format!("{path}: {spelling}"));
                }
            }
        }
        // The date the member joined, in the formats pages and feeds use.
        for date in ["2019-03-04", "4 Mar 2019", "March 2019", "2019年3月"] {
            if text.contains(&date.to_lowercase()) {
                found.push(format!("{path}: joined date {date}"));
            }
        }
    }
    assert!(
        found.is_empty(),
        "unlisted members leak:\n{}",
        found.join("\n")
    );
    // Counts leave them out too: one listed member, in the directory and its chapter.
    assert_contains(&run.page("/"), ">1 member<");
    assert!(!run.has_page("/tags/zqtagmarker/"));
}
