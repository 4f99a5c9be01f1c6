//! Scale: the 10 000-page community from `../shared/bench/gen_site.py` builds, and every
//! internal link in it resolves. A correctness test, not a timing: speed is measured by
//! `bench/run.py`.

use std::path::Path;
use std::process::Command;

use crate::links::{broken_links, is_built_by_issue_5};
use crate::support::{Site, NOW};

#[test]
fn generated_ten_thousand_page_site_builds_and_every_internal_link_resolves() {
    let generator = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/bench/gen_site.py");
    assert!(
        generator.is_file(),
        "the site generator is missing at {} (the steering repository's shared/ sits beside this one)",
        generator.display()
    );
    let site = Site::empty();
    let status = Command::new("python3")
        .arg(&generator)
        .args(["--tool", "shequn", "--pages", "10000", "--force", "--out"])
        .arg(site.root())
        .status()
        .expect("run python3");
    assert!(status.success(), "gen_site.py failed");
    let run = site.build_at(NOW).ok();
    let html_pages = run.files().iter().filter(|f| f.ends_with(".html")).count();
    assert!(html_pages >= 10_000, "only {html_pages} HTML pages");
    let broken: Vec<String> = broken_links(&run, "/")
        .into_iter()
        .filter(|l| !is_built_by_issue_5(l))
        .collect();
    assert!(
        broken.is_empty(),
        "{} broken links, e.g.:\n{}",
        broken.len(),
        broken
            .iter()
            .take(20)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
}
