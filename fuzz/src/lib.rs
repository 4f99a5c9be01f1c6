//! The fuzz harness: one function per fuzz target, each feeding its input to one part of
//! shequn and asserting what must hold whatever the input, beyond "no panic":
//!
//! - record targets (`config`, `charter`, `member`, `speaker`, `event`, `chapter`,
//!   `series`, `page`) put the input in place of one file of a small, complete fixture
//!   site and run the whole build in memory (load's decoding, model, plan, Markdown,
//!   templates, calendars, feeds, search index). Every diagnostic must point inside its
//!   file; a build that succeeds must pass every output check of `checks` (HTML parsed by
//!   html5ever: no script, handler or URL scheme from data; XML well-formed; iCalendar
//!   valid; JSON parses; every path inside the output, NFC, no `..`, `\` or NUL; no two
//!   paths differing only in case).
//! - `markdown`: the input as a page body and a member bio; the rendered HTML may hold no
//!   URL outside the allow-list and no markup where the raw-HTML policy escapes it.
//! - `url`: `check_url` against the WHATWG URL parser (the `url` crate): an accepted
//!   external URL has an allowed scheme, an accepted path stays on the site's host.
//! - `paths`: a content file name, `slug`, tags and `template` from the input; every
//!   planned output path passes the path checks, and none collide without an error.
//! - `frontmatter`: the split's ranges are inside the text, on character boundaries.
//!
//! The same functions replay the seed corpora under `cargo test` (`tests/replay.rs`),
//! so CI runs every target's checks without libFuzzer.

#[path = "../../tests/it/checks.rs"]
pub mod checks;

use std::collections::BTreeMap;
use std::sync::Mutex;

use shequn::diag::{Diagnostics, Source, SourceRef};
use shequn::load::{RecordSource, SiteFiles};
use shequn::output::Sink;

/// The build's "now" for every target.
pub const NOW: &str = "2026-11-23T12:00:00Z";

const CONFIG: &str = r#"base_url = "https://club.example.org/sub/"
title = "Fuzz Club"
timezone = "Asia/Shanghai"
"#;

const RAW_HTML_NONE: &str = "\n[markdown]\nraw_html = \"none\"\n";

const CHARTER: &str = r#"+++
name = "Fuzz Club"
tagline = "We learn together"
founded = 2020-01-01
purpose = "We **learn** together; read the [rules](@rule/be-kind)."
audience = "Everyone curious"
values = [{ name = "Care", description = "We *care*." }]

[[roles]]
id = "organizer"
title = "Organizer"
description = "Runs things"

[[roles]]
id = "member"
title = "Member"

[[rules]]
id = "be-kind"
title = "Be kind"
text = "Be [kind](@member/ada)."

[membership]
open = true
threshold = "An application"
apply_url = "https://club.example.org/apply"

[[membership.tiers]]
name = "Basic"
price = "¥199 / 年"
perks = "Talks"
+++

The manifesto. See [the meetup](@event/meetup) and [Grace](@speaker/grace).
"#;

const ADA: &str = r#"name = "Ada Lovelace"
role = "organizer"
joined = 2021-02-03
chapter = "sh"
city = "Shanghai"
tags = ["Rust", "数学"]
headline = "Analyst"
bio = "Writes [notes](@event/meetup) and [posts](@/posts/hello.md#first)."

[links]
website = "https://ada.example.org"
"#;

const BO: &str = r#"name = "Bo"
role = "member"
"#;

const GRACE: &str = r#"name = "Grace Hopper"
headline = "Navy"
bio = "Compilers."

[links]
website = "https://grace.example.org"
"#;

const CHAPTER: &str = r#"name = "Shanghai"
city = "上海"
description = "Meets [monthly](@series/weekly)."
organizers = ["ada"]
founded = 2022-01-01

[links]
wechat = "https://chapter.example.org"
"#;

const SERIES: &str = r#"name = "Weekly"
description = "Every week."
cadence = "weekly, Thursdays"
"#;

const MEETUP: &str = r#"title = "Meetup 1"
start = 2026-12-10T19:00:00
end = 2026-12-10T21:00:00
series = "weekly"
number = 1
chapter = "sh"
hosts = ["ada"]
online_url = "https://meet.example.org/x"
rsvp_url = "https://club.example.org/rsvp"
capacity = 30
summary = "The first one"
description = "Come [along](@/posts/hello.md)."
tags = ["Rust"]

[venue]
name = "Hall"
address = "1 Road"
city = "Shanghai"
map_url = "https://maps.example.org/x"

[[talks]]
title = "A talk"
speakers = ["grace", "ada"]
abstract = "About *things*."
slides = "https://slides.example.org/x"
video = "https://video.example.org/x"
transcript = "@/transcripts/t.md"
language = "en"
"#;

const OLD: &str = r#"title = "Old day"
start = 2025-05-01
status = "cancelled"
"#;

const HOME: &str = "+++\ntitle = \"Home\"\n+++\n\nHello from the club.\n";
const POSTS: &str = "+++\ntitle = \"Posts\"\n+++\n";
const HELLO: &str = r#"+++
title = "Hello"
date = 2026-01-02
tags = ["Rust", "news"]
authors = ["ada"]
summary = "A post"
+++

## First

Text with a [link](https://example.org) and [a rule](@rule/be-kind).
"#;
const TRANSCRIPT: &str =
    "+++\ntitle = \"Transcript\"\nevent = \"meetup\"\n+++\n\n# Heading\n\nSaid things.\n";

/// The fixture site: path → text.
pub fn fixture() -> BTreeMap<String, Vec<u8>> {
    [
        ("shequn.toml", CONFIG),
        ("charter.md", CHARTER),
        ("members/ada.toml", ADA),
        ("members/bo.toml", BO),
        ("speakers/grace.toml", GRACE),
        ("chapters/sh.toml", CHAPTER),
        ("series/weekly.toml", SERIES),
        ("events/meetup.toml", MEETUP),
        ("events/old.toml", OLD),
        ("content/_index.md", HOME),
        ("content/posts/_index.md", POSTS),
        ("content/posts/hello.md", HELLO),
        ("content/transcripts/t.md", TRANSCRIPT),
    ]
    .into_iter()
    .map(|(p, t)| (p.to_string(), t.as_bytes().to_vec()))
    .collect()
}

/// What an in-memory build did.
pub struct Outcome {
    pub sources: BTreeMap<String, SourceRef>,
    pub diagnostics: Diagnostics,
    /// The output tree, when the build succeeded and was rendered.
    pub output: Option<BTreeMap<String, Vec<u8>>>,
    pub theme_scripts: Vec<String>,
}

struct MemorySink(Mutex<BTreeMap<String, Vec<u8>>>);

impl Sink for MemorySink {
    fn write(&self, path: &str, bytes: &[u8]) -> Result<(), String> {
        let mut files = self.0.lock().map_err(|_| "poisoned".to_string())?;
        if files.insert(path.to_string(), bytes.to_vec()).is_some() {
            // The plan claims every path once; a second write would lose a file.
            panic!("`{path}` written twice");
        }
        Ok(())
    }
}

/// The built-in theme, compiled once per process: the templates do not depend on the
/// input (the fixture has no `templates/`), and compiling them is most of a small build.
/// `render_pages` sets the global context of each build itself.
fn with_tera<T>(theme: &shequn::theme::Theme, f: impl FnOnce(&mut tera::Tera) -> T) -> T {
    static TERA: Mutex<Option<tera::Tera>> = Mutex::new(None);
    let mut guard = TERA.lock().unwrap_or_else(|e| e.into_inner());
    if guard.is_none() {
        let mut diags = Diagnostics::new();
        let compiled = shequn::render::compile_templates(theme, &mut diags);
        assert!(compiled.is_some(), "the built-in theme does not compile");
        *guard = compiled;
    }
    f(guard.as_mut().expect("compiled above"))
}

/// Decodes the files as `load` does and sorts them into `SiteFiles`.
fn site_files(
    files: &BTreeMap<String, Vec<u8>>,
    diags: &mut Diagnostics,
) -> (SiteFiles, BTreeMap<String, SourceRef>) {
    let mut site = SiteFiles::default();
    let mut sources = BTreeMap::new();
    for (path, bytes) in files {
        let source = match shequn::load::text::decode(path, bytes.as_slice()) {
            Ok(s) => s,
            Err(d) => {
                // Not UTF-8 (or too large): the error points into the text as far as it
                // decodes, which the lossy decoding keeps line for line.
                let lossy =
                    String::from_utf8_lossy(bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes));
                let text = shequn::load::text::normalise_line_ends(lossy);
                sources.insert(path.clone(), Source::new(path.clone(), text));
                diags.push(d);
                continue;
            }
        };
        sources.insert(path.clone(), source.clone());
        let record = |folder: &str| {
            path.strip_prefix(folder)
                .and_then(|p| p.strip_suffix(".toml"))
                .map(|stem| RecordSource {
                    stem: stem.to_string(),
                    source: source.clone(),
                })
        };
        if path == "charter.md" {
            site.charter = Some(source.clone());
        } else if let Some(r) = record("members/") {
            site.members.push(r);
        } else if let Some(r) = record("speakers/") {
            site.speakers.push(r);
        } else if let Some(r) = record("chapters/") {
            site.chapters.push(r);
        } else if let Some(r) = record("series/") {
            site.series.push(r);
        } else if let Some(r) = record("events/") {
            site.events.push(r);
        } else if path.starts_with("content/") {
            site.content.push(source.clone());
        }
    }
    (site, sources)
}

/// Runs the build pipeline of `shequn::build` in memory. `render` false stops after the
/// Markdown stage (for targets that check only the model and plan).
pub fn build(files: &BTreeMap<String, Vec<u8>>, render: bool) -> Outcome {
    let mut diags = Diagnostics::new();
    let (site_files, sources) = site_files(files, &mut diags);
    let mut outcome = Outcome {
        sources,
        diagnostics: Diagnostics::new(),
        output: None,
        theme_scripts: Vec::new(),
    };
    let finish = |mut outcome: Outcome, diags: Diagnostics| {
        outcome.diagnostics = diags;
        outcome
    };
    let Some(config_source) = outcome.sources.get("shequn.toml").cloned() else {
        return finish(outcome, diags);
    };
    let now: jiff::Timestamp = NOW.parse().expect("a valid now");
    let Some(config) = shequn::model::config::build(&config_source, None, &mut diags) else {
        return finish(outcome, diags);
    };
    if config.theme.is_some() {
        // `load` reports the missing `themes/NAME/` folder; there are no theme files here.
        return finish(outcome, diags);
    }
    let root = config.urls.root.clone();
    outcome.theme_scripts = shequn::theme::builtin_static()
        .into_iter()
        .filter(|(p, _)| p.ends_with(".js"))
        .map(|(p, _)| format!("{root}{p}"))
        .collect();
    let theme = shequn::theme::load(&site_files, None, config.language, &mut diags);
    let Some(site) = shequn::model::build::build(config, site_files, false, &mut diags) else {
        return finish(outcome, diags);
    };
    let plan = shequn::plan::plan(&site, &theme, now, &mut diags);
    let rendered = shequn::markdown::render_all(&site, true, &mut diags);
    for (md, r) in site.markdown.iter().zip(&rendered) {
        if !md.allows_raw_html {
            let problems = checks::fragment_problems(&md.source.path, &r.html);
            assert!(problems.is_empty(), "{problems:#?}");
        }
    }
    if diags.has_errors() || !render {
        return finish(outcome, diags);
    }
    let sink = MemorySink(Mutex::new(BTreeMap::new()));
    with_tera(&theme, |tera| {
        shequn::render::render_pages(&plan, &rendered, &theme, tera, &sink, &mut diags)
    });
    diags.extend(shequn::files::write_files(
        &plan,
        &rendered,
        &theme.strings,
        None,
        &sink,
    ));
    let search = shequn::search::write_index(&plan, &rendered, &sink, None);
    assert!(
        search.errors.is_empty(),
        "search index: {:?}",
        search.errors
    );
    for (path, bytes) in &plan.builtin_copies {
        let _ = sink.write(path, bytes);
    }
    for copy in &plan.copies {
        let _ = sink.write(&copy.output_path, b"");
    }
    outcome.output = Some(sink.0.into_inner().unwrap_or_default());
    finish(outcome, diags)
}

/// Every diagnostic points at a line and column inside its file, and shows that line.
pub fn assert_locations_inside(outcome: &Outcome) {
    for d in outcome.diagnostics.items() {
        let Some(l) = &d.location else { continue };
        let Some(source) = outcome.sources.get(&l.path) else {
            assert!(
                l.path.starts_with("(built-in theme)"),
                "diagnostic in unknown file `{}`: {}",
                l.path,
                d.message
            );
            continue;
        };
        let lines = source.text.split('\n').count();
        assert!(
            l.line >= 1 && l.line <= lines,
            "{}:{}:{} is past the file's {lines} lines: {}",
            l.path,
            l.line,
            l.column,
            d.message
        );
        let line_text = source.line_text(l.line);
        // The shown line is the file's line (up to the first bad byte, for a file that
        // is not UTF-8).
        assert!(
            line_text.starts_with(&l.line_text),
            "{}: shown line {:?} is not line {}",
            l.path,
            l.line_text,
            l.line
        );
        assert!(
            l.column >= 1 && l.column <= line_text.chars().count() + 1,
            "{}:{}:{} is past the end of the line ({} characters): {}",
            l.path,
            l.line,
            l.column,
            line_text.chars().count(),
            d.message
        );
    }
}

/// Every output check of `checks`, on a successful build.
pub fn assert_output_valid(outcome: &Outcome) {
    if let Some(files) = &outcome.output {
        let problems = checks::tree_problems(files, &outcome.theme_scripts);
        assert!(problems.is_empty(), "{problems:#?}");
    }
}

/// Builds the fixture with `path` replaced by `data` and checks everything.
fn record_target(path: &str, data: &[u8], raw_html_none: bool) {
    let mut files = fixture();
    if raw_html_none {
        let config = files.get_mut("shequn.toml").expect("fixture config");
        config.extend_from_slice(RAW_HTML_NONE.as_bytes());
    }
    files.insert(path.to_string(), data.to_vec());
    let outcome = build(&files, true);
    assert_locations_inside(&outcome);
    assert_output_valid(&outcome);
}

pub fn config(data: &[u8]) {
    record_target("shequn.toml", data, false);
}

pub fn charter(data: &[u8]) {
    record_target("charter.md", data, true);
}

pub fn member(data: &[u8]) {
    // The default policy: raw HTML is escaped in member records (SPEC §2).
    record_target("members/ada.toml", data, false);
}

pub fn speaker(data: &[u8]) {
    record_target("speakers/grace.toml", data, false);
}

pub fn event(data: &[u8]) {
    record_target("events/meetup.toml", data, true);
}

pub fn chapter(data: &[u8]) {
    record_target("chapters/sh.toml", data, true);
}

pub fn series(data: &[u8]) {
    record_target("series/weekly.toml", data, true);
}

pub fn page(data: &[u8]) {
    record_target("content/posts/hello.md", data, true);
}

/// A TOML basic string holding `text` exactly.
pub fn toml_string(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The input as a page body and as a member's bio. The first byte picks the raw-HTML
/// policy: even → `none` (every text checked), odd → the default (the bio checked).
pub fn markdown(data: &[u8]) {
    let Some((&policy, rest)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    let mut files = fixture();
    if policy % 2 == 0 {
        let config = files.get_mut("shequn.toml").expect("fixture config");
        config.extend_from_slice(RAW_HTML_NONE.as_bytes());
    }
    let page = format!("+++\ntitle = \"Fuzzed\"\n+++\n{text}");
    files.insert("content/fuzzed.md".into(), page.into_bytes());
    let member = format!("name = \"Fuzz\"\nbio = {}\n", toml_string(text));
    files.insert("members/fuzz.toml".into(), member.into_bytes());
    // `build` checks every rendered text whose policy escapes raw HTML.
    let outcome = build(&files, false);
    assert_locations_inside(&outcome);
}

/// `check_url` against the WHATWG URL parser.
pub fn url(data: &[u8]) {
    let Ok(raw) = std::str::from_utf8(data) else {
        return;
    };
    use shequn::urls::{check_url, UrlKind, Urls};
    let urls = Urls::new("https://club.example.org/sub/").expect("a valid base");
    let page = url::Url::parse("https://club.example.org/sub/events/x/").expect("a valid page");
    for relative_ok in [false, true] {
        let Ok(kind) = check_url(raw, relative_ok) else {
            continue;
        };
        assert!(
            !raw.chars().any(char::is_control) && raw.trim() == raw && !raw.is_empty(),
            "accepted {raw:?} with controls or spaces around it"
        );
        if kind == UrlKind::At {
            assert!(raw.starts_with('@'));
            continue;
        }
        if kind == UrlKind::Relative {
            assert!(
                relative_ok,
                "{raw:?} relative where relative is not allowed"
            );
        }
        let href = urls.link(raw, &kind);
        assert!(
            checks::url_problem(&href).is_none(),
            "{raw:?} accepted as {kind:?}, written as {href:?}: {:?}",
            checks::url_problem(&href)
        );
        // What a browser makes of it on a page of the site.
        if let Ok(resolved) = page.join(&href) {
            let scheme = resolved.scheme();
            assert!(
                checks::ALLOWED_SCHEMES.contains(&scheme),
                "{raw:?} accepted as {kind:?} resolves to scheme {scheme}"
            );
            if kind != UrlKind::External {
                assert_eq!(
                    resolved.host_str(),
                    Some("club.example.org"),
                    "{raw:?} accepted as {kind:?} leaves the site: {resolved}"
                );
            }
        }
        if let Ok(absolute) = url::Url::parse(raw) {
            assert!(
                kind == UrlKind::External && checks::ALLOWED_SCHEMES.contains(&absolute.scheme()),
                "{raw:?} is an absolute {} URL but was accepted as {kind:?}",
                absolute.scheme()
            );
        }
    }
}

/// Lines of the input: a content file path, a `slug`, tags and a `template`.
pub fn paths(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut lines = text.split('\n');
    let file = lines.next().unwrap_or("");
    let slug = lines.next();
    let template = lines.next().filter(|t| !t.is_empty());
    let tags: Vec<&str> = lines.collect();

    for s in [file, slug.unwrap_or("")] {
        if shequn::model::build::check_path_segment(s).is_ok() {
            assert!(
                !s.contains(['/', '\\', '\0']) && s != "." && s != ".." && !s.is_empty(),
                "segment {s:?} accepted"
            );
        }
    }
    if let Ok(key) = shequn::model::build::content_key(file) {
        let problems = checks::path_problems(&key);
        assert!(
            problems.is_empty(),
            "content_key({file:?}) = {key:?}: {problems:?}"
        );
    }
    for tag in &tags {
        let slug = shequn::model::build::tag_slug(tag);
        if !slug.is_empty() {
            let problems = checks::path_problems(&slug);
            assert!(
                problems.is_empty(),
                "tag {tag:?} slug {slug:?}: {problems:?}"
            );
        }
    }

    // The loader only ever hands over `content/**/*.md` with real segments; keep to that.
    let path = format!("content/{}.md", file.trim_end_matches(".md"));
    if path
        .split('/')
        .any(|s| s.is_empty() || s == "." || s == "..")
        || path.contains('\0')
    {
        return;
    }
    let mut front = String::from("title = \"Fuzzed\"\n");
    if let Some(slug) = slug {
        front.push_str(&format!("slug = {}\n", toml_string(slug)));
    }
    if let Some(t) = template {
        front.push_str(&format!("template = {}\n", toml_string(t)));
    }
    let tags: Vec<String> = tags.iter().map(|t| toml_string(t)).collect();
    front.push_str(&format!("tags = [{}]\n", tags.join(", ")));
    let mut files = fixture();
    files.insert(path, format!("+++\n{front}+++\nBody.\n").into_bytes());
    let outcome = build(&files, false);
    assert_locations_inside(&outcome);
    if outcome.diagnostics.has_errors() {
        return;
    }
    // No error: the plan's paths are all safe and pairwise distinct, even folded.
    let files = plan_paths(&files);
    let mut tree = BTreeMap::new();
    for p in files {
        let problems = checks::path_problems(&p);
        assert!(problems.is_empty(), "{problems:?}");
        tree.insert(p, Vec::new());
    }
    let problems: Vec<String> = checks::tree_problems(&tree, &[])
        .into_iter()
        .filter(|p| p.contains("differ only in case"))
        .collect();
    assert!(problems.is_empty(), "{problems:?}");
}

/// Every path the plan would write, for the `paths` target.
fn plan_paths(files: &BTreeMap<String, Vec<u8>>) -> Vec<String> {
    let mut diags = Diagnostics::new();
    let (site_files, _) = site_files(files, &mut diags);
    let config_source = Source::new(
        "shequn.toml",
        String::from_utf8_lossy(&files["shequn.toml"]).into_owned(),
    );
    let Some(config) = shequn::model::config::build(&config_source, None, &mut diags) else {
        return Vec::new();
    };
    let theme = shequn::theme::load(&site_files, None, config.language, &mut diags);
    let Some(site) = shequn::model::build::build(config, site_files, false, &mut diags) else {
        return Vec::new();
    };
    let now: jiff::Timestamp = NOW.parse().expect("a valid now");
    let plan = shequn::plan::plan(&site, &theme, now, &mut diags);
    let mut out: Vec<String> = plan.pages.iter().map(|p| p.file.clone()).collect();
    out.extend(plan.files.iter().map(|f| f.file.clone()));
    out.extend(plan.copies.iter().map(|c| c.output_path.clone()));
    out.extend(plan.builtin_copies.iter().map(|(p, _)| p.clone()));
    // The search index names its own files, all under `search/index/`.
    out
}

/// The front-matter split: ranges inside the text, in order, on character boundaries.
pub fn frontmatter(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    use shequn::load::frontmatter::{split, SplitError};
    match split(text) {
        Ok(s) => {
            let (fm, body) = (s.front_matter, s.body);
            assert!(fm.start <= fm.end && fm.end <= body.start && body.end == text.len());
            for i in [fm.start, fm.end, body.start] {
                assert!(text.is_char_boundary(i));
            }
            assert_eq!(text[..fm.start].trim_end(), "+++");
            let closing = &text[fm.end..body.start];
            assert_eq!(closing.trim_end(), "+++", "closing line {closing:?}");
        }
        Err(SplitError::Missing) => {
            assert_ne!(text.split('\n').next().unwrap_or("").trim_end(), "+++");
        }
        Err(SplitError::Unclosed) => {
            assert!(!text[text.find('\n').map_or(text.len(), |i| i + 1)..]
                .split('\n')
                .any(|l| l.trim_end() == "+++"));
        }
    }
}
