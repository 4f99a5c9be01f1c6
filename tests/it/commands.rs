//! The command line: exit codes 0/1/2, `check` writes nothing, `new` makes a site that
//! builds in every language and refuses a non-empty folder, and `theme eject` gives a
//! theme that builds byte-identical output.

use crate::support::{assert_contains, shequn, tree, Site, NOW};

#[test]
fn exit_code_is_0_for_a_good_site_and_1_for_a_bad_one() {
    let site = Site::fixture("minimal");
    assert_eq!(site.build().code, 0);
    assert_eq!(site.check().code, 0);
    let bad = Site::fixture("bad-member-key");
    assert_eq!(bad.build().code, 1);
    assert_eq!(bad.check().code, 1);
}

#[test]
fn exit_code_is_2_for_a_bad_command_line() {
    let site = Site::fixture("minimal");
    let root = site.root().display().to_string();
    for args in [
        vec!["build", "--source", &root, "--bogus"],
        vec!["build", "--source", &root, "--now", "yesterday"],
        vec!["check", "--source", &root, "--now", "2026-13-45"],
        vec!["frobnicate"],
        vec![],
        vec!["new", "fresh", "--language", "fr"],
    ] {
        let (code, stderr) = shequn(site.tmp(), &args);
        assert_eq!(code, 2, "shequn {args:?}: {stderr}");
        assert!(!stderr.is_empty(), "shequn {args:?} said nothing");
    }
    let (_, stderr) = shequn(
        site.tmp(),
        &["build", "--source", &root, "--now", "yesterday"],
    );
    assert_contains(&stderr, "--now: `yesterday` is not a time");
    assert!(!site.public().exists());
    assert!(!site.tmp().join("fresh").exists());
}

#[test]
fn check_writes_nothing() {
    let site = Site::fixture("full");
    let before = tree(site.tmp());
    let run = site.check().ok();
    assert_contains(&run.stderr, "No errors");
    assert_eq!(before, tree(site.tmp()), "check changed files");
    // Not even the site's default output folder.
    assert!(!site.root().join("public").exists());
}

#[test]
fn new_site_builds_in_every_language() {
    for (language, lang_attr) in [("en", "en"), ("zh-Hans", "zh-Hans"), ("zh-Hant", "zh-Hant")] {
        let site = Site::empty();
        let dir = format!("new-{language}");
        let (code, stderr) = shequn(site.tmp(), &["new", &dir, "--language", language]);
        assert_eq!(code, 0, "new --language {language}: {stderr}");
        let args = ["build", "--source", &dir, "--output", "out", "--now", NOW].map(String::from);
        let run = site
            .run_in(site.tmp(), &args, &[], site.tmp().join("out"))
            .ok();
        assert!(!run.stderr.contains("warning"), "{}", run.stderr);
        assert_contains(&run.page("/"), &format!(r#"<html lang="{lang_attr}""#));
        assert!(run.files().len() > 10);
    }
}

#[test]
fn new_refuses_a_non_empty_folder() {
    let site = Site::empty();
    std::fs::create_dir(site.tmp().join("busy")).unwrap();
    std::fs::write(site.tmp().join("busy/notes.txt"), "keep me").unwrap();
    let (code, stderr) = shequn(site.tmp(), &["new", "busy"]);
    assert_eq!(code, 1, "{stderr}");
    assert_contains(&stderr, "busy is not empty");
    let files = tree(&site.tmp().join("busy"));
    assert_eq!(files.keys().collect::<Vec<_>>(), ["notes.txt"]);
    // An empty folder is fine.
    std::fs::create_dir(site.tmp().join("empty")).unwrap();
    assert_eq!(shequn(site.tmp(), &["new", "empty"]).0, 0);
}

#[test]
fn ejected_theme_builds_byte_identical_output() {
    let site = Site::fixture("full");
    let builtin = site.build().ok();
    let builtin = tree(&builtin.output);

    let (code, stderr) = shequn(&site.root(), &["theme", "eject"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(site
        .root()
        .join("themes/custom/templates/base.html")
        .is_file());
    site.edit("shequn.toml", "theme = \"default\"", "theme = \"custom\"");
    let args = [
        "build", "--source", "site", "--output", "ejected", "--now", NOW,
    ]
    .map(String::from);
    let ejected = site
        .run_in(site.tmp(), &args, &[], site.tmp().join("ejected"))
        .ok();
    let ejected = tree(&ejected.output);
    assert_eq!(
        builtin.keys().collect::<Vec<_>>(),
        ejected.keys().collect::<Vec<_>>()
    );
    for (path, bytes) in &builtin {
        assert!(
            ejected[path] == *bytes,
            "{path} differs with the ejected theme"
        );
    }
}

#[test]
fn theme_eject_writes_into_a_given_folder() {
    let site = Site::empty();
    let (code, stderr) = shequn(site.tmp(), &["theme", "eject", "mytheme"]);
    assert_eq!(code, 0, "{stderr}");
    for file in [
        "templates/page.html",
        "templates/base.html",
        "i18n/en.toml",
        "i18n/zh-Hans.toml",
    ] {
        assert!(site.tmp().join("mytheme").join(file).is_file(), "no {file}");
    }
    // A second eject refuses to overwrite what the user may have edited.
    let edited = site.tmp().join("mytheme/templates/page.html");
    std::fs::write(&edited, "my edit").unwrap();
    let (code, stderr) = shequn(site.tmp(), &["theme", "eject", "mytheme"]);
    assert_eq!(code, 1, "{stderr}");
    assert_contains(&stderr, "already exists");
    assert_eq!(std::fs::read_to_string(&edited).unwrap(), "my edit");
}

#[test]
fn timings_name_every_stage_and_add_up() {
    let site = Site::fixture("full");
    let run = site.build_with(&["--timings"]).ok();
    let rows: Vec<(&str, f64, bool)> = run
        .stderr
        .lines()
        .filter_map(|line| {
            let (stage, rest) = line.split_once(':')?;
            let wall: f64 = rest.split_whitespace().next()?.parse().ok()?;
            Some((stage.trim(), wall, line.contains("(at the same time)")))
        })
        .collect();
    let names: Vec<&str> = rows.iter().map(|r| r.0).collect();
    assert_eq!(
        names,
        [
            "load",
            "model",
            "markdown",
            "render",
            "search",
            "render+search",
            "write",
            "total"
        ],
        "{}",
        run.stderr
    );
    // Render and search overlap: the total counts their shared stage once, and each
    // is no longer than it.
    let wall = |name: &str| rows.iter().find(|r| r.0 == name).unwrap().1;
    let counted: f64 = rows
        .iter()
        .filter(|r| !r.2 && r.0 != "total")
        .map(|r| r.1)
        .sum();
    assert!((counted - wall("total")).abs() < 0.5, "{}", run.stderr);
    for beside in ["render", "search"] {
        assert!(
            wall(beside) <= wall("render+search") + 0.1,
            "{}",
            run.stderr
        );
    }
    assert_contains(&run.stderr, "ms cpu");
    assert_contains(&run.stderr, "MiB peak");
}
