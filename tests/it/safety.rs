//! Safety: the raw-HTML policy (`[markdown] raw_html`) and the URL-scheme allow-list.

use crate::support::{assert_contains, assert_lacks, main_part, Run, Site};

const MEMBER_RAW: &str = r#"<b class="raw-member">"#;
const MEMBER_ESCAPED: &str = r#"&lt;b class="raw-member"&gt;"#;
const SPEAKER_RAW: &str = r#"<i class="raw-speaker">"#;
const SPEAKER_ESCAPED: &str = r#"&lt;i class="raw-speaker"&gt;"#;
const PAGE_RAW: &str = r#"<span class="raw-page">"#;
const PAGE_ESCAPED: &str = r#"&lt;span class="raw-page"&gt;"#;
const CHARTER_RAW: &str = r#"<span class="raw-charter">"#;
const CHARTER_ESCAPED: &str = r#"&lt;span class="raw-charter"&gt;"#;

fn raw_html_site(policy: Option<&str>) -> Run {
    let site = Site::fixture("raw-html");
    if let Some(policy) = policy {
        site.write(
            "shequn.toml",
            &format!(
                "base_url = \"https://example.org/\"\n\n[markdown]\nraw_html = \"{policy}\"\n"
            ),
        );
    }
    site.build().ok()
}

/// The bios, the content page and the manifesto, as rendered.
fn pages(run: &Run) -> (String, String, String, String) {
    (
        main_part(&run.page("/members/ada/")).to_string(),
        main_part(&run.page("/speakers/grace/")).to_string(),
        main_part(&run.page("/page/")).to_string(),
        main_part(&run.page("/manifesto/")).to_string(),
    )
}

#[test]
fn default_policy_escapes_bios_and_passes_content() {
    let run = raw_html_site(None);
    let (member, speaker, page, manifesto) = pages(&run);
    assert_contains(&member, MEMBER_ESCAPED);
    assert_lacks(&member, MEMBER_RAW);
    assert_contains(&speaker, SPEAKER_ESCAPED);
    assert_lacks(&speaker, SPEAKER_RAW);
    assert_contains(&page, PAGE_RAW);
    assert_contains(&manifesto, CHARTER_RAW);
    // Saying "content" is the same as saying nothing.
    let explicit = raw_html_site(Some("content"));
    assert_eq!(pages(&explicit), (member, speaker, page, manifesto));
}

#[test]
fn raw_html_none_escapes_everywhere() {
    let run = raw_html_site(Some("none"));
    let (member, speaker, page, manifesto) = pages(&run);
    assert_contains(&member, MEMBER_ESCAPED);
    assert_contains(&speaker, SPEAKER_ESCAPED);
    assert_contains(&page, PAGE_ESCAPED);
    assert_lacks(&page, PAGE_RAW);
    assert_contains(&manifesto, CHARTER_ESCAPED);
    assert_lacks(&manifesto, CHARTER_RAW);
}

#[test]
fn raw_html_all_passes_everywhere() {
    let run = raw_html_site(Some("all"));
    let (member, speaker, page, manifesto) = pages(&run);
    assert_contains(&member, MEMBER_RAW);
    assert_contains(&speaker, SPEAKER_RAW);
    assert_contains(&page, PAGE_RAW);
    assert_contains(&manifesto, CHARTER_RAW);
}

#[test]
fn javascript_links_are_refused_in_markdown_and_url_fields() {
    let run = Site::fixture("javascript-link").check().fails();
    assert_contains(
        &run.stderr,
        "content/page.md:5:21: link `javascript:alert(document.cookie)` is not allowed",
    );
    assert_contains(
        &run.stderr,
        "members/ada.toml:4:11: `links.website` is not an allowed URL: URL scheme `javascript:` is not allowed",
    );
    insta::assert_snapshot!(run.stderr);
}

#[test]
fn other_schemes_and_spellings_of_javascript_are_refused() {
    let site = Site::fixture("javascript-link");
    site.write(
        "content/page.md",
        "+++\ntitle = \"Page\"\n+++\n\n[a](JaVaScRiPt:alert(1)) [b](data:text/html,hi) [c](file:///etc/passwd)\n\n![d](vbscript:x) <javascript:alert(1)>\n",
    );
    let run = site.check().fails();
    for refused in [
        "content/page.md:5:5: link `JaVaScRiPt:alert(1)` is not allowed",
        "content/page.md:5:30: link `data:text/html,hi` is not allowed",
        "content/page.md:5:53: link `file:///etc/passwd` is not allowed",
        "content/page.md:7:6: link `vbscript:x` is not allowed",
        "content/page.md:7:19: link `javascript:alert(1)` is not allowed",
    ] {
        assert_contains(&run.stderr, refused);
    }
}

#[test]
fn a_refused_site_writes_nothing() {
    let site = Site::fixture("javascript-link");
    site.build().fails();
    assert!(!site.public().exists());
}
