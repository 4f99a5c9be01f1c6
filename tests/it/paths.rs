//! Output paths (issue 6, BAD-INPUTS rows 13, 14, 15, 19): two sources that claim one URL
//! — the same slug, case-only and NFC/NFD twins, a page at a built-in page's URL, an event
//! and a page, a page inside an event's folder, two tags with one URL, a content page at
//! a member's URL — are an error naming every claimant; names that would leave the site
//! or the output (`..`, `%2e%2e`, `\`, NUL, `template`, `avatar`, `@/../`), links out of
//! the site and link loops, and Windows-reserved names are refused at their key.

use crate::support::{assert_contains, Site};

/// The `minimal` fixture with `files` added; `check` must fail and name every location.
#[track_caller]
fn refused(files: &[(&str, &str)], wanted: &[&str]) -> String {
    let site = Site::fixture("minimal");
    for (path, text) in files {
        site.write(path, text);
    }
    let run = site.check().fails();
    for w in wanted {
        assert_contains(&run.stderr, w);
    }
    run.stderr
}

const PAGE: &str = "+++\ntitle = \"P\"\n+++\n";

fn page_with(key: &str) -> String {
    format!("+++\ntitle = \"P\"\n{key}\n+++\n")
}

#[test]
fn two_pages_with_one_slug_name_both_files() {
    let a = page_with("slug = \"same\"");
    refused(
        &[("content/a.md", &a), ("content/b.md", &a)],
        &["same/", "content/a.md", "content/b.md"],
    );
}

#[test]
fn case_only_twins_name_both_files() {
    refused(
        &[("content/About.md", PAGE), ("content/about.md", PAGE)],
        &["content/About.md", "content/about.md"],
    );
}

#[test]
fn nfc_and_nfd_twins_name_both_files() {
    refused(
        &[("content/café.md", PAGE), ("content/cafe\u{301}.md", PAGE)],
        // Both files have one name once normalised: it is shown once, said to be twice.
        &["content/café.md:", "twice", "NFC and NFD"],
    );
}

#[test]
fn a_page_at_a_built_in_page_url_names_both() {
    // The lists exist once there is something to list.
    let records = [
        ("members/m.toml", "name = \"M\"\ntags = [\"t\"]\n"),
        ("events/e.toml", "title = \"E\"\nstart = 2026-12-01\n"),
    ];
    for (file, url) in [
        ("content/events.md", "events/"),
        ("content/members/_index.md", "members/"),
        ("content/search.md", "search/"),
        ("content/tags.md", "tags/"),
        ("content/manifesto.md", "manifesto/"),
    ] {
        refused(&[records[0], records[1], (file, PAGE)], &[file, url]);
    }
}

#[test]
fn an_event_and_a_page_with_one_url_name_both_files() {
    let event = "title = \"E\"\nstart = 2026-12-01T10:00:00Z\n";
    refused(
        &[
            ("events/calendar.toml", event),
            ("content/events/calendar.md", PAGE),
        ],
        &["events/calendar.toml", "content/events/calendar.md"],
    );
    // A page whose folder is the event's calendar file.
    refused(
        &[
            ("events/meetup.toml", event),
            ("content/events/meetup/event.ics.md", PAGE),
        ],
        &["events/meetup.toml", "content/events/meetup/event.ics.md"],
    );
    // A slug that is the calendar's name, in the event's folder.
    refused(
        &[
            ("events/meetup.toml", event),
            (
                "content/events/meetup/cal.md",
                &page_with("slug = \"event.ics\""),
            ),
        ],
        &["events/meetup.toml", "content/events/meetup/cal.md"],
    );
}

#[test]
fn a_content_page_at_a_member_url_names_both_files() {
    refused(
        &[
            ("members/x.toml", "name = \"X\"\n"),
            ("content/members/x.md", PAGE),
        ],
        &["members/x.toml", "content/members/x.md"],
    );
}

#[test]
fn tags_with_one_url_name_both_files_and_case_twins_share_a_page() {
    refused(
        &[
            ("content/a.md", &page_with("tags = [\"C++\"]")),
            ("content/b.md", &page_with("tags = [\"c\"]")),
        ],
        &["tags/c/", "content/a.md", "content/b.md"],
    );
    refused(
        &[
            ("content/a.md", &page_with("tags = [\"a b\"]")),
            ("members/m.toml", "name = \"M\"\ntags = [\"a-b\"]\n"),
        ],
        &["tags/a-b/", "content/a.md", "members/m.toml"],
    );
    let site = Site::fixture("minimal");
    site.write("content/a.md", &page_with("tags = [\"Rust\"]"));
    site.write("content/b.md", &page_with("tags = [\"rust\"]"));
    let run = site.build().ok();
    assert!(run.has_page("/tags/rust/"));
    let tag = run.page("/tags/rust/");
    assert_contains(&tag, "/a/");
    assert_contains(&tag, "/b/");
}

#[test]
fn slugs_that_would_leave_their_folder_are_refused_at_the_key() {
    for slug in [
        "../../x",
        "a/../../b",
        "%2e%2e",
        "..",
        "a\\\\b",
        "a\\u0000b",
        "/etc",
        "C:x",
        "con",
        "x.",
    ] {
        let stderr = refused(
            &[("content/a.md", &page_with(&format!("slug = \"{slug}\"")))],
            &["content/a.md:3:8: `slug`"],
        );
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
}

#[test]
fn template_and_avatar_paths_out_of_the_site_are_refused_at_the_key() {
    refused(
        &[(
            "content/a.md",
            &page_with("template = \"../../secret.html\""),
        )],
        &["content/a.md:3:12: `template`"],
    );
    refused(
        &[(
            "content/a.md",
            &page_with("template = \"/etc/passwd.html\""),
        )],
        &["content/a.md:3:12: `template`"],
    );
    refused(
        &[(
            "members/m.toml",
            "name = \"M\"\navatar = \"../../../.ssh/id_ed25519\"\n",
        )],
        &["members/m.toml:2:10: `avatar`"],
    );
    refused(
        &[(
            "members/m.toml",
            "name = \"M\"\navatar = \"/../../x.png\"\n",
        )],
        &["members/m.toml:2:10: `avatar`"],
    );
    refused(
        &[(
            "events/e.toml",
            "title = \"E\"\nstart = 2026-12-01\ncover = \"..\\\\..\\\\x.png\"\n",
        )],
        &["events/e.toml:3:9: `cover`"],
    );
}

#[test]
fn at_links_out_of_the_content_folder_are_refused_at_the_link() {
    refused(
        &[(
            "content/a.md",
            "+++\ntitle = \"A\"\n+++\n\n[x](@/../../x.md) [y](@/a/../../y.md) [z](@/%2e%2e/z.md)\n",
        )],
        &[
            "content/a.md:5:5: link `@/../../x.md`",
            "content/a.md:5:23: link `@/a/../../y.md`",
            "content/a.md:5:43: link `@/%2e%2e/z.md`",
        ],
    );
}

#[cfg(unix)]
#[test]
fn symbolic_links_out_of_the_site_and_loops_are_refused_naming_the_link() {
    use std::os::unix::fs::symlink;
    let site = Site::fixture("minimal");
    let outside = site.tmp().join("secret.md");
    std::fs::write(&outside, PAGE).unwrap();
    let root = site.root();
    symlink(&outside, root.join("content/leak.md")).unwrap();
    std::fs::create_dir_all(root.join("static")).unwrap();
    symlink("/etc/hostname", root.join("static/host.txt")).unwrap();
    symlink(".", root.join("content/loop")).unwrap();
    symlink("self.md", root.join("content/self.md")).unwrap();
    symlink("b.md", root.join("content/a.md")).unwrap();
    symlink("a.md", root.join("content/b.md")).unwrap();
    let run = site.build().fails();
    for wanted in [
        "content/leak.md",
        "points outside the site folder",
        "static/host.txt",
        "content/loop",
        "content/self.md",
        "content/a.md",
        "content/b.md",
    ] {
        assert_contains(&run.stderr, wanted);
    }
    assert!(!site.public().exists());
}

#[test]
fn windows_reserved_names_are_refused_on_every_system() {
    refused(
        &[
            ("content/con.md", PAGE),
            ("content/aux/x.md", PAGE),
            ("members/nul.toml", "name = \"N\"\n"),
            ("events/com1.toml", "title = \"E\"\nstart = 2026-12-01\n"),
            ("content/lpt1.txt.md", PAGE),
        ],
        &[
            "content/con.md",
            "content/aux/x.md",
            "members/nul.toml",
            "events/com1.toml",
            "content/lpt1.txt.md",
        ],
    );
}
