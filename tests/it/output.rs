//! The output folder: refusals, staging (a failed build leaves the previous output
//! byte-identical), no stale files, and byte-identical builds whatever `TZ` is set or
//! wherever the output goes.

use std::path::Path;

use crate::support::{assert_contains, tree, Run, Site, NOW};

/// `build` with `--output` exactly as given, run in `cwd`.
fn build_into(site: &Site, cwd: &Path, source: &str, output: &str) -> Run {
    let args = [
        "build", "--source", source, "--output", output, "--now", NOW,
    ]
    .map(String::from);
    site.run_in(cwd, &args, &[], cwd.join(output))
}

#[track_caller]
fn assert_refused(site: &Site, cwd: &Path, source: &str, output: &str, why: &str) -> String {
    let before = tree(site.tmp());
    let run = build_into(site, cwd, source, output).fails();
    assert_contains(&run.stderr, "as the output folder");
    assert_contains(&run.stderr, why);
    assert_eq!(before, tree(site.tmp()), "a refused build changed files");
    run.stderr
}

#[test]
fn output_may_not_be_the_site_folder() {
    let site = Site::fixture("minimal");
    let stderr = assert_refused(&site, site.tmp(), "site", "site", "it is the site folder");
    insta::assert_snapshot!(stderr);
}

#[test]
fn output_may_not_contain_the_site_folder() {
    let site = Site::fixture("minimal");
    let tmp = site.tmp().display().to_string();
    let stderr = assert_refused(
        &site,
        site.tmp(),
        "site",
        &tmp,
        "it contains the site folder",
    );
    insta::assert_snapshot!(site.redact(&stderr));
}

#[test]
fn output_may_not_hold_a_site_or_a_repository() {
    for (name, why) in [
        ("shequn.toml", "it holds `shequn.toml`"),
        ("charter.md", "it holds `charter.md`"),
        (".git", "it holds `.git`"),
    ] {
        let site = Site::fixture("minimal");
        let other = site.tmp().join("other");
        std::fs::create_dir(&other).unwrap();
        if name == ".git" {
            std::fs::create_dir(other.join(name)).unwrap();
        } else {
            std::fs::write(other.join(name), "mine").unwrap();
        }
        let stderr = assert_refused(&site, site.tmp(), "site", "other", why);
        insta::assert_snapshot!(
            format!("output_may_not_hold_{}", name.trim_start_matches('.')),
            stderr
        );
    }
}

#[test]
fn output_may_not_be_a_foreign_non_empty_folder() {
    let site = Site::fixture("minimal");
    std::fs::create_dir(site.tmp().join("photos")).unwrap();
    std::fs::write(site.tmp().join("photos/holiday.jpg"), "not a site").unwrap();
    let stderr = assert_refused(
        &site,
        site.tmp(),
        "site",
        "photos",
        "it is not empty and shequn did not create it",
    );
    insta::assert_snapshot!(stderr);
    // An empty folder is fine.
    std::fs::create_dir(site.tmp().join("empty")).unwrap();
    build_into(&site, site.tmp(), "site", "empty").ok();
}

#[test]
fn output_may_not_be_the_content_folder() {
    let site = Site::fixture("minimal");
    let stderr = assert_refused(&site, &site.root(), ".", "content", "`content` folder");
    insta::assert_snapshot!(stderr);
}

#[test]
fn default_output_is_public_inside_the_site_and_is_not_read_back() {
    let site = Site::fixture("minimal");
    let args = ["build", "--source", "site", "--now", NOW].map(String::from);
    let first = site
        .run_in(site.tmp(), &args, &[], site.root().join("public"))
        .ok();
    assert!(first.has_page("/hello/"));
    let files = first.files();
    let second = site
        .run_in(site.tmp(), &args, &[], site.root().join("public"))
        .ok();
    assert_eq!(files, second.files());
}

#[test]
fn failed_build_leaves_the_previous_output_byte_identical() {
    let site = Site::fixture("minimal");
    let run = site.build().ok();
    let before = tree(&run.output);
    assert!(before.contains_key("hello/index.html"));
    site.write(
        "content/hello.md",
        "+++\ntitle = \"Hello\"\ncolour = \"red\"\n+++\n\nChanged.\n",
    );
    site.write("content/new.md", "+++\ntitle = \"New\"\n+++\n");
    let failed = site.build().fails();
    assert_contains(&failed.stderr, "unknown key `colour`");
    assert_eq!(
        before,
        tree(&site.public()),
        "the failed build changed the output"
    );
    // No staging folder is left beside it.
    let beside: Vec<String> = std::fs::read_dir(site.tmp())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    let mut beside = beside;
    beside.sort();
    assert_eq!(beside, ["public", "site"]);
}

#[test]
fn no_stale_files_after_a_page_is_removed() {
    let site = Site::fixture("minimal");
    site.write("content/old.md", "+++\ntitle = \"Old\"\n+++\n\nOld page.\n");
    let run = site.build().ok();
    assert!(run.has_page("/old/"));
    site.remove("content/old.md");
    let run = site.build().ok();
    assert!(!run.has_page("/old/"));
    assert!(!run.output.join("old").exists());
    // The rebuilt folder equals a fresh build.
    let fresh = Site::fixture("minimal").build().ok();
    assert_eq!(tree(&run.output), tree(&fresh.output));
}

#[test]
fn a_rebuild_reuses_unchanged_files_and_still_equals_a_fresh_build() {
    use std::os::unix::fs::MetadataExt;
    let site = Site::fixture("full");
    let first = site.build().ok();
    let inode = |path: &str| std::fs::metadata(first.output.join(path)).unwrap().ino();
    let (picnic, sitemap) = (inode("events/picnic/index.html"), inode("sitemap.xml"));
    // The author adds a page, and someone edits a built file by hand.
    let extra = "+++\ntitle = \"About us\"\n+++\n\nNew.\n";
    site.write("content/extra.md", extra);
    std::thread::sleep(std::time::Duration::from_millis(20));
    std::fs::write(first.output.join("assets/shequn.css"), "tampered").unwrap();
    let again = site.build().ok();
    // The unchanged page is the same file, not a copy; the changed one is new.
    assert_eq!(inode("events/picnic/index.html"), picnic);
    assert_ne!(inode("sitemap.xml"), sitemap);
    let fresh = Site::fixture("full");
    fresh.write("content/extra.md", extra);
    let fresh = fresh.build().ok();
    assert_eq!(tree(&again.output), tree(&fresh.output));
    // A manifest that cannot be read makes the build write everything.
    let marker = again.output.join(".shequn-output");
    let text = std::fs::read_to_string(&marker).unwrap();
    std::fs::write(
        &marker,
        text.replace(" events/picnic/index.html", " events/picnic/index.html\n!"),
    )
    .unwrap();
    let third = site.build().ok();
    assert_ne!(inode("events/picnic/index.html"), picnic);
    assert_eq!(tree(&third.output), tree(&fresh.output));
}

/// What is beside the output folder of `run`: nothing but the site, after a build.
fn beside_output(run: &Run) -> Vec<String> {
    let parent = run.output.parent().unwrap();
    let mut names: Vec<String> = std::fs::read_dir(parent)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n != "site" && n != "public")
        .collect();
    names.sort();
    names
}

#[test]
fn a_rebuild_that_changes_one_file_or_none_updates_the_output_folder_in_place() {
    use std::os::unix::fs::MetadataExt;
    let site = Site::fixture("full");
    site.write("static/notice.txt", "Opening hours: 9-5.\n");
    let first = site.build().ok();
    let inode = |path: &Path| std::fs::metadata(path).unwrap().ino();
    let folder = inode(&first.output);
    let page = inode(&first.output.join("events/picnic/index.html"));
    let built = tree(&first.output);

    // Nothing changed (the same --now): the same folder and files, no swap.
    let again = site.build().ok();
    assert_eq!(inode(&again.output), folder);
    assert_eq!(inode(&again.output.join("events/picnic/index.html")), page);
    assert!(
        tree(&again.output) == built,
        "the rebuild changed the output"
    );
    assert_eq!(beside_output(&again), Vec::<String>::new());

    // One file changed: replaced where it is, and the rest is what a fresh build gives.
    site.write("static/notice.txt", "Opening hours: 10-6.\n");
    let edited = site.build().ok();
    assert_eq!(inode(&edited.output), folder);
    assert_eq!(inode(&edited.output.join("events/picnic/index.html")), page);
    let fresh = Site::fixture("full");
    fresh.write("static/notice.txt", "Opening hours: 10-6.\n");
    let fresh = tree(&fresh.build().ok().output);
    assert!(
        tree(&edited.output) == fresh,
        "the updated output differs from a fresh build"
    );
    assert_eq!(beside_output(&edited), Vec::<String>::new());

    // A file or folder someone put into the output is not the build's: the next build
    // swaps in a whole new folder, without them.
    std::fs::write(edited.output.join("events/stray.html"), "stray").unwrap();
    std::fs::create_dir(edited.output.join("empty")).unwrap();
    let swapped = site.build().ok();
    assert_ne!(inode(&swapped.output), folder);
    assert!(!swapped.output.join("events/stray.html").exists());
    assert!(!swapped.output.join("empty").exists());
    assert!(
        tree(&swapped.output) == fresh,
        "the swapped output differs from a fresh build"
    );

    // Two files changed: swapped in whole, never a mix of two builds.
    let folder = inode(&swapped.output);
    site.write("static/notice.txt", "Closed.\n");
    site.write("static/second.txt", "New.\n");
    let two = site.build().ok();
    assert_ne!(inode(&two.output), folder);
    assert_eq!(beside_output(&two), Vec::<String>::new());
    let fresh = Site::fixture("full");
    fresh.write("static/notice.txt", "Closed.\n");
    fresh.write("static/second.txt", "New.\n");
    assert!(tree(&two.output) == tree(&fresh.build().ok().output));
}

/// Appends `line` to the manifest of the output of `run`, after a pause so that the
/// manifest is newer than the files it lists.
fn add_to_manifest(run: &Run, line: &str) {
    let marker = run.output.join(".shequn-output");
    let text = std::fs::read_to_string(&marker).unwrap();
    std::thread::sleep(std::time::Duration::from_millis(20));
    std::fs::write(&marker, format!("{text}{line}\n")).unwrap();
}

/// The manifest line of `path` in the output of `run`, naming `other` instead.
fn relisted(run: &Run, path: &str, other: &str) -> String {
    let text = std::fs::read_to_string(run.output.join(".shequn-output")).unwrap();
    let line = text.lines().find(|l| l.ends_with(&format!(" {path}")));
    let line = line.unwrap_or_else(|| panic!("{path} is not in the manifest"));
    format!("{} {other}", &line[..line.len() - path.len() - 1])
}

#[test]
fn a_manifest_edited_to_name_a_file_outside_the_output_cannot_reach_it() {
    let site = Site::fixture("full");
    let first = site.build().ok();
    // A file outside the output folder with the bytes of one inside, and a manifest line
    // in the search index's folder that climbs out to it.
    let outside = first.output.parent().unwrap().join("outside.txt");
    let robots = std::fs::read(first.output.join("robots.txt")).unwrap();
    std::fs::write(&outside, &robots).unwrap();
    let line = relisted(&first, "robots.txt", "search/index/../../../outside.txt");
    add_to_manifest(&first, &line);
    let again = site.build().ok();
    assert_eq!(std::fs::read(&outside).unwrap(), robots);
    let fresh = Site::fixture("full").build().ok();
    assert!(tree(&again.output) == tree(&fresh.output));
}

#[test]
fn a_symbolic_link_in_the_search_index_folder_publishes_nothing_it_points_to() {
    let site = Site::fixture("full");
    let first = site.build().ok();
    let secret = first.output.parent().unwrap().join("secret");
    std::fs::create_dir(&secret).unwrap();
    std::fs::write(secret.join("id_rsa"), "PRIVATE KEY").unwrap();
    std::os::unix::fs::symlink(&secret, first.output.join("search/index/k")).unwrap();
    add_to_manifest(
        &first,
        "11 00000000000000000000000000000000 - search/index/k/id_rsa",
    );
    let again = site.build().ok();
    assert!(!again.output.join("search/index/k").exists());
    let fresh = Site::fixture("full").build().ok();
    assert!(tree(&again.output) == tree(&fresh.output));
}

#[test]
fn a_manifest_path_with_a_dot_segment_cannot_empty_the_previous_output() {
    let site = Site::fixture("full");
    let first = site.build().ok();
    let meta = first.output.join("search/index/meta.json");
    let before = std::fs::read(&meta).unwrap();
    let line = relisted(&first, "search/index/meta.json", "search/index/./meta.json");
    // A stray file makes the rebuild swap, so that it links the kept files.
    std::fs::write(first.output.join("stray.txt"), "x").unwrap();
    add_to_manifest(&first, &line);
    let again = site.build().ok();
    assert_eq!(
        std::fs::read(again.output.join("search/index/meta.json")).unwrap(),
        before
    );
    let fresh = Site::fixture("full").build().ok();
    assert!(tree(&again.output) == tree(&fresh.output));
}

#[test]
fn a_search_index_file_missing_from_the_output_makes_the_index_again() {
    let site = Site::fixture("full");
    let first = site.build().ok();
    std::fs::remove_file(first.output.join("search/index/t0.json")).unwrap();
    let again = site.build().ok();
    let fresh = Site::fixture("full").build().ok();
    assert!(tree(&again.output) == tree(&fresh.output));
}

/// A change to a file's text.
type Edit = dyn Fn(&str) -> String;

/// Rebuilds into the same folder after each edit, and compares with a fresh build of
/// the same sources: a page kept from the previous build (its fingerprint unchanged)
/// must be what rendering it again gives.
#[test]
fn rebuilds_after_edits_equal_fresh_builds() {
    let site = Site::fixture("full");
    site.build().ok();
    let edits: [(&str, &Edit); 4] = [
        ("members/ada.toml", &|t| {
            t.replacen("name = \"", "name = \"Renamed ", 1)
        }),
        ("templates/post.html", &|t| {
            t.replace("custom-post-template", "custom-post-template edited")
        }),
        ("content/posts/recap.md", &|t| {
            format!("{t}\n\nOne more paragraph.\n")
        }),
        ("events/picnic.toml", &|t| {
            t.replacen("title = \"", "title = \"Moved ", 1)
        }),
    ];
    for (path, edit) in edits {
        let text = std::fs::read_to_string(site.root().join(path)).unwrap();
        let edited = edit(&text);
        assert_ne!(text, edited, "{path}");
        site.write(path, &edited);
        let rebuilt = tree(&site.build().ok().output);
        let fresh = Site::fixture("full");
        for (done, _) in edits.iter().take_while(|(p, _)| *p != path) {
            fresh.write(
                done,
                &std::fs::read_to_string(site.root().join(done)).unwrap(),
            );
        }
        fresh.write(path, &edited);
        assert!(
            rebuilt == tree(&fresh.build().ok().output),
            "after editing {path}, the rebuild differs from a fresh build"
        );
    }
}

#[test]
fn builds_are_byte_identical_whatever_the_time_zone() {
    for fixture in ["full", "timezones"] {
        let site = Site::fixture(fixture);
        let mut trees = Vec::new();
        for tz in ["UTC", "Asia/Tokyo", "America/New_York"] {
            let output = format!("public-{}", tz.replace('/', "-"));
            let args = [
                "build", "--source", "site", "--output", &output, "--now", NOW,
            ]
            .map(String::from);
            let run = site
                .run_in(
                    site.tmp(),
                    &args,
                    &[("TZ", tz), ("LC_ALL", "C")],
                    site.tmp().join(&output),
                )
                .ok();
            trees.push((tz, tree(&run.output)));
        }
        let (_, first) = &trees[0];
        assert!(first.len() > 10);
        for (tz, other) in &trees[1..] {
            assert!(
                first == other,
                "{fixture}: TZ={tz} gave other bytes than TZ=UTC"
            );
        }
    }
}

#[test]
fn builds_into_two_folders_are_byte_identical() {
    let site = Site::fixture("full");
    let a = build_into(&site, site.tmp(), "site", "a").ok();
    let b = build_into(&site, site.tmp(), "site", "deeper/b").ok();
    assert_eq!(tree(&a.output), tree(&b.output));
}

#[test]
fn bom_and_crlf_make_no_difference_to_the_output() {
    let plain = Site::fixture("full").build().ok();
    let site = Site::fixture("full");
    for (path, bytes) in tree(&site.root()) {
        if path.ends_with(".toml") || path.ends_with(".md") {
            let text = String::from_utf8(bytes).unwrap().replace('\n', "\r\n");
            std::fs::write(site.root().join(&path), format!("\u{feff}{text}")).unwrap();
        }
    }
    let windows = site.build().ok();
    let (plain, windows) = (tree(&plain.output), tree(&windows.output));
    assert_eq!(
        plain.keys().collect::<Vec<_>>(),
        windows.keys().collect::<Vec<_>>()
    );
    for (path, bytes) in &plain {
        assert!(windows[path] == *bytes, "{path} differs with BOM and CRLF");
    }
}

/// FNV-1a, 64 bits: enough to tell whether a file's bytes changed.
fn digest(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// Every byte of example-site's output, as a digest per file. Performance work must not
/// change what is built: a change to this snapshot is a change to the output, to be
/// reviewed like one (`cargo insta review`). The marker `.shequn-output` is listed by
/// size only: its manifest names the program's own build (see `build.rs`), which
/// changes with every change to the sources.
#[test]
fn example_site_output_is_unchanged() {
    let run = Site::example().build().ok();
    let listing: String = tree(&run.output)
        .iter()
        .map(|(path, bytes)| {
            let digest = if path == ".shequn-output" {
                "marker".to_string()
            } else {
                format!("{:016x}", digest(bytes))
            };
            format!("{digest:>16} {:>7} {path}\n", bytes.len())
        })
        .collect();
    insta::assert_snapshot!(listing);
}
