//! Section lists with many entries are split into pages of 20: `news/`, `news/page/2/`…,
//! each linking to the others, newest first across the pages.

use crate::support::{assert_contains, assert_lacks, Site};

fn site_with_posts(count: usize) -> Site {
    let site = Site::empty();
    site.write("shequn.toml", "base_url = \"https://x.org/club/\"\n");
    site.write("charter.md", "+++\nname = \"Club\"\n+++\nHello.\n");
    site.write("content/news/_index.md", "+++\ntitle = \"News\"\n+++\n");
    for i in 1..=count {
        site.write(
            &format!("content/news/post-{i:02}.md"),
            &format!(
                "+++\ntitle = \"Post number {i:02}\"\ndate = 2026-01-{:02}\n+++\nBody.\n",
                (i % 28) + 1
            ),
        );
    }
    site
}

#[test]
fn long_section_lists_are_split_into_linked_pages() {
    let run = site_with_posts(45).build().ok();
    let first = run.page("/news/");
    let second = run.page("/news/page/2/");
    let third = run.page("/news/page/3/");
    assert!(!run.has_page("/news/page/4/"));
    assert!(
        !run.has_page("/news/page/1/"),
        "page 1 is the section itself"
    );
    let count = |html: &str| html.matches("Post number").count();
    assert_eq!((count(&first), count(&second), count(&third)), (20, 20, 5));
    assert_contains(&first, "href=\"/club/news/page/2/\"");
    assert_contains(&second, "href=\"/club/news/\"");
    assert_contains(&second, "href=\"/club/news/page/3/\"");
    assert_contains(&third, "rel=\"prev\"");
    assert_lacks(&third, "rel=\"next\"");
}

#[test]
fn short_section_lists_have_no_pagination() {
    let run = site_with_posts(20).build().ok();
    assert!(!run.has_page("/news/page/2/"));
    assert_lacks(&run.page("/news/"), "rel=\"next\"");
}

#[test]
fn a_long_section_links_each_page_to_its_neighbours_and_ends_only() {
    // 12 pages: page 6 shows 1 … 4 5 6 7 8 … 12, not every page, so that a section of
    // thousands of pages does not make each of them thousands of links long.
    let run = site_with_posts(20 * 11 + 1).build().ok();
    let sixth = run.page("/news/page/6/");
    let pagination = &sixth[sixth.find("class=\"pagination\"").unwrap()..];
    let pagination = &pagination[..pagination.find("</nav>").unwrap()];
    for shown in [
        "/club/news/\"",
        "/club/news/page/4/",
        "/club/news/page/8/",
        "/club/news/page/12/",
    ] {
        assert_contains(pagination, shown);
    }
    for left_out in [
        "/club/news/page/2/",
        "/club/news/page/3/",
        "/club/news/page/9/",
        "/club/news/page/11/",
    ] {
        assert_lacks(pagination, left_out);
    }
    assert_contains(pagination, "<span aria-current=\"page\">6</span>");
    assert_eq!(pagination.matches("class=\"pagination-gap\"").count(), 2);
    assert!(run.has_page("/news/page/12/"));
    assert!(!run.has_page("/news/page/13/"));
}
