//! Output invariants that hold for every build, whatever the input: checked by the
//! hostile-input tests (`hostile.rs`) and by the fuzz targets (`fuzz/`, which include
//! this file by path), so both judge the output with the same independent readers.
//!
//! - HTML is parsed with a real HTML5 parser (`scraper`, i.e. html5ever), never with
//!   regular expressions: no `<script>` but the theme's own and JSON-LD that parses, no
//!   `on*` attribute, no URL attribute with a scheme outside https/http/mailto, no
//!   `<iframe>`, `<object>`, `<embed>`, `<base>` or `<meta http-equiv=refresh>`.
//! - XML (`feed.xml`, `sitemap.xml`) parses with `roxmltree`; JSON with `serde_json`.
//! - iCalendar: CRLF line ends, lines of at most 75 octets cut on UTF-8 boundaries, no
//!   bare CR or LF, no other control character, only known property names and no
//!   property twice in one component (so an injected `\r\nDTSTART:` would show), and
//!   the `icalendar` crate's parser reads it.
//! - Every output path is relative, inside the output, NFC, with no `..`, `\` or NUL.
//!
//! Every function returns the problems it found, so a test can list them all.

use std::collections::{BTreeMap, BTreeSet};

use unicode_normalization::UnicodeNormalization;

/// The schemes any URL in the output may have (SPEC §2); site paths have none.
pub const ALLOWED_SCHEMES: [&str; 3] = ["https", "http", "mailto"];

/// Elements that load or run something, or change how every URL resolves.
const FORBIDDEN_ELEMENTS: [&str; 8] = [
    "iframe", "frame", "frameset", "object", "embed", "base", "applet", "portal",
];

/// Attributes holding one URL.
const URL_ATTRIBUTES: [&str; 14] = [
    "href",
    "src",
    "action",
    "formaction",
    "poster",
    "data",
    "cite",
    "background",
    "lowsrc",
    "dynsrc",
    "manifest",
    "icon",
    "longdesc",
    "ping",
];

/// The scheme a browser reads in a URL attribute, after the WHATWG URL parser's clean-up
/// (leading and trailing C0 controls and spaces stripped, tabs and new lines removed).
/// `None` for a relative reference.
pub fn url_scheme(value: &str) -> Option<String> {
    let cleaned: String = value
        .trim_matches(|c: char| c <= ' ')
        .chars()
        .filter(|c| !matches!(c, '\t' | '\n' | '\r'))
        .collect();
    let colon = cleaned.find(':')?;
    let scheme = &cleaned[..colon];
    let mut chars = scheme.chars();
    let first = chars.next()?;
    if first.is_ascii_alphabetic()
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
    {
        Some(scheme.to_ascii_lowercase())
    } else {
        None
    }
}

/// Why a URL attribute value is not allowed, if it is not: a scheme outside the
/// allow-list, or a scheme-relative `//host` (which leaves the site).
pub fn url_problem(value: &str) -> Option<String> {
    match url_scheme(value) {
        Some(s) if ALLOWED_SCHEMES.contains(&s.as_str()) => None,
        Some(s) => Some(format!("scheme `{s}:`")),
        None => {
            let cleaned: String = value
                .trim_matches(|c: char| c <= ' ')
                .chars()
                .filter(|c| !matches!(c, '\t' | '\n' | '\r'))
                .collect();
            let slashes: String = cleaned.chars().take(2).collect();
            if slashes.chars().count() == 2 && slashes.chars().all(|c| c == '/' || c == '\\') {
                Some("a scheme-relative `//` URL".into())
            } else {
                None
            }
        }
    }
}

/// Problems in an HTML page. `theme_scripts` are the `src` values of the theme's own
/// scripts (`/assets/search.js`); any other `<script>` must be JSON-LD that parses.
pub fn html_problems(path: &str, html: &str, theme_scripts: &[String]) -> Vec<String> {
    let doc = scraper::Html::parse_document(html);
    element_problems(path, &doc, theme_scripts)
}

/// Problems in an HTML fragment (a rendered Markdown text); used by the fuzz harness.
#[allow(dead_code)]
pub fn fragment_problems(path: &str, html: &str) -> Vec<String> {
    let doc = scraper::Html::parse_fragment(html);
    element_problems(path, &doc, &[])
}

fn element_problems(path: &str, doc: &scraper::Html, theme_scripts: &[String]) -> Vec<String> {
    let mut problems = Vec::new();
    for node in doc.tree.nodes() {
        let Some(element) = scraper::ElementRef::wrap(node) else {
            continue;
        };
        let el = element.value();
        let name = el.name().to_ascii_lowercase();
        if FORBIDDEN_ELEMENTS.contains(&name.as_str()) {
            problems.push(format!("{path}: a <{name}> element"));
        }
        if name == "meta"
            && el
                .attr("http-equiv")
                .is_some_and(|v| v.trim().eq_ignore_ascii_case("refresh"))
        {
            problems.push(format!("{path}: <meta http-equiv=refresh>"));
        }
        if name == "script" {
            let text: String = element.text().collect();
            match (el.attr("src"), el.attr("type")) {
                (Some(src), _) if theme_scripts.iter().any(|s| s == src) && text.is_empty() => {}
                (None, Some("application/ld+json")) => {
                    if text.contains("</script") || text.contains("<!--") {
                        problems.push(format!("{path}: JSON-LD holds `</script` or `<!--`"));
                    }
                    if let Err(e) = serde_json::from_str::<serde_json::Value>(&text) {
                        problems.push(format!("{path}: JSON-LD does not parse: {e}"));
                    }
                }
                _ => problems.push(format!(
                    "{path}: a <script> that is not the theme's: {}",
                    element.html().chars().take(200).collect::<String>()
                )),
            }
        }
        for (attr, value) in el.attrs() {
            let attr = attr.to_ascii_lowercase();
            if attr.starts_with("on") {
                problems.push(format!("{path}: <{name} {attr}=…> event handler"));
            }
            if URL_ATTRIBUTES.contains(&attr.as_str()) {
                if let Some(why) = url_problem(value) {
                    problems.push(format!("{path}: <{name} {attr}={value:?}>: {why}"));
                }
            }
            if attr == "srcset" || attr == "imagesrcset" {
                for candidate in value.split(',') {
                    let url = candidate.split_whitespace().next().unwrap_or("");
                    if let Some(why) = url_problem(url) {
                        problems.push(format!("{path}: <{name} {attr}> candidate {url:?}: {why}"));
                    }
                }
            }
            if attr == "style" && value.to_ascii_lowercase().contains("javascript:") {
                problems.push(format!("{path}: <{name} style> with javascript:"));
            }
        }
    }
    problems
}

/// Problems in an XML file: it must be well-formed.
pub fn xml_problems(path: &str, text: &str) -> Vec<String> {
    match roxmltree::Document::parse(text) {
        Ok(_) => Vec::new(),
        Err(e) => vec![format!("{path}: not well-formed XML: {e}")],
    }
}

/// Properties shequn writes; anything else in a calendar was injected.
const ICS_PROPERTIES: [&str; 22] = [
    "BEGIN",
    "END",
    "VERSION",
    "PRODID",
    "CALSCALE",
    "METHOD",
    "X-WR-CALNAME",
    "UID",
    "DTSTAMP",
    "DTSTART",
    "DTEND",
    "SUMMARY",
    "LOCATION",
    "URL",
    "DESCRIPTION",
    "STATUS",
    "SEQUENCE",
    "CATEGORIES",
    "TZID",
    "TZOFFSETFROM",
    "TZOFFSETTO",
    "RRULE",
];

/// Problems in an iCalendar file (RFC 5545 §3.1).
pub fn ics_problems(path: &str, bytes: &[u8]) -> Vec<String> {
    let mut problems = Vec::new();
    let Ok(text) = std::str::from_utf8(bytes) else {
        return vec![format!("{path}: not UTF-8")];
    };
    if !text.ends_with("\r\n") {
        problems.push(format!("{path}: does not end with CRLF"));
    }
    let physical: Vec<&str> = text.split("\r\n").collect();
    let mut logical: Vec<String> = Vec::new();
    for (i, line) in physical[..physical.len().saturating_sub(1)]
        .iter()
        .enumerate()
    {
        let n = i + 1;
        if line.contains('\r') || line.contains('\n') {
            problems.push(format!("{path}: bare CR or LF on line {n}"));
        }
        if line.len() > 75 {
            problems.push(format!("{path}: line {n} is {} octets", line.len()));
        }
        if let Some(c) = line.chars().find(|c| c.is_control() && *c != '\t') {
            problems.push(format!(
                "{path}: control character U+{:04X} on line {n}",
                c as u32
            ));
        }
        match line.strip_prefix(' ') {
            Some(rest) => match logical.last_mut() {
                Some(last) => last.push_str(rest),
                None => problems.push(format!("{path}: starts with a continuation line")),
            },
            None => logical.push(line.to_string()),
        }
    }
    // A fold that cut a UTF-8 character would have left invalid bytes: `from_utf8`
    // above refuses those.
    let mut stack: Vec<(String, BTreeSet<String>)> = Vec::new();
    for line in &logical {
        let name_end = line.find([':', ';']).unwrap_or(line.len());
        let name = &line[..name_end];
        if !line[name_end..].starts_with([':', ';']) {
            problems.push(format!("{path}: content line without a value: {line:?}"));
            continue;
        }
        if !ICS_PROPERTIES.contains(&name) {
            problems.push(format!("{path}: unexpected property `{name}`"));
        }
        let value = line.split_once(':').map_or("", |(_, v)| v);
        match name {
            "BEGIN" => stack.push((value.to_string(), BTreeSet::new())),
            "END" => match stack.pop() {
                Some((open, _)) if open == value => {}
                other => problems.push(format!(
                    "{path}: END:{value} closes {:?}",
                    other.map(|o| o.0)
                )),
            },
            _ => {
                if let Some((component, seen)) = stack.last_mut() {
                    if !seen.insert(name.to_string()) {
                        problems.push(format!("{path}: `{name}` twice in one {component}"));
                    }
                }
            }
        }
    }
    if !stack.is_empty() {
        problems.push(format!("{path}: unclosed components"));
    }
    let unfolded = icalendar::parser::unfold(text);
    if let Err(e) = icalendar::parser::read_calendar(&unfolded) {
        problems.push(format!("{path}: the icalendar parser refuses it: {e}"));
    }
    problems
}

/// Problems in a JSON file: it must parse, and a URL in it (the search index's `url`s,
/// which `search.js` puts into links) must pass the allow-list.
pub fn json_problems(path: &str, text: &str) -> Vec<String> {
    match serde_json::from_str::<serde_json::Value>(text) {
        Ok(value) => {
            let mut problems = Vec::new();
            json_urls(path, &value, &mut problems);
            // The search index's documents are `[kind, title, url, text]`.
            let file = path.rsplit('/').next().unwrap_or("");
            if path.contains("search/") && file.starts_with('d') {
                for doc in value.as_array().into_iter().flatten() {
                    if let Some(url) = doc.get(2).and_then(|u| u.as_str()) {
                        if let Some(why) = url_problem(url) {
                            problems.push(format!("{path}: document url {url:?}: {why}"));
                        }
                    }
                }
            }
            problems
        }
        Err(e) => vec![format!("{path}: JSON does not parse: {e}")],
    }
}

fn json_urls(path: &str, value: &serde_json::Value, problems: &mut Vec<String>) {
    match value {
        serde_json::Value::Object(map) => {
            for (key, v) in map {
                if let (true, Some(url)) = (key.eq_ignore_ascii_case("url"), v.as_str()) {
                    if let Some(why) = url_problem(url) {
                        problems.push(format!("{path}: url {url:?}: {why}"));
                    }
                }
                json_urls(path, v, problems);
            }
        }
        serde_json::Value::Array(items) => {
            for v in items {
                json_urls(path, v, problems);
            }
        }
        _ => {}
    }
}

/// Problems with an output path: it must stay inside the output folder and be one that
/// every file system stores as written.
pub fn path_problems(path: &str) -> Vec<String> {
    let mut problems = Vec::new();
    if path.is_empty() || path.starts_with('/') {
        problems.push(format!("`{path}` is empty or absolute"));
    }
    if path.contains(['\\', '\0']) || path.chars().any(char::is_control) {
        problems.push(format!(
            "`{}` holds `\\`, NUL or a control",
            path.escape_debug()
        ));
    }
    if path
        .split('/')
        .any(|s| s.is_empty() || s == "." || s == "..")
    {
        problems.push(format!("`{path}` has an empty, `.` or `..` segment"));
    }
    if path.nfc().collect::<String>() != path {
        problems.push(format!("`{path}` is not NFC"));
    }
    if path.split('/').next().is_some_and(|s| s.contains(':')) {
        problems.push(format!("`{path}` starts like a drive or scheme"));
    }
    problems
}

/// Every problem in a built output tree: paths, and each file by its kind. Two paths
/// that differ only in case or normalisation would overwrite each other on macOS and
/// Windows, so they are a problem too.
pub fn tree_problems(files: &BTreeMap<String, Vec<u8>>, theme_scripts: &[String]) -> Vec<String> {
    let mut problems = Vec::new();
    let mut folded: BTreeMap<String, &str> = BTreeMap::new();
    for (path, bytes) in files {
        problems.extend(path_problems(path));
        let key: String = path.nfc().flat_map(char::to_lowercase).collect();
        if let Some(other) = folded.insert(key, path) {
            problems.push(format!("`{path}` and `{other}` differ only in case"));
        }
        let text = String::from_utf8_lossy(bytes);
        if path.ends_with(".html") {
            problems.extend(html_problems(path, &text, theme_scripts));
        } else if path.ends_with(".xml") {
            problems.extend(xml_problems(path, &text));
        } else if path.ends_with(".ics") {
            problems.extend(ics_problems(path, bytes));
        } else if path.ends_with(".json") {
            problems.extend(json_problems(path, &text));
        }
    }
    problems
}
