//! URLs: the scheme allow-list every URL field and Markdown link passes through (SPEC §2),
//! and the URL of every page shequn builds (SPEC §3). Paths here are relative to the site
//! root (`events/weekly-9/`); [`Urls`] adds the `base_url` path or the whole base URL.

/// What a checked URL is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UrlKind {
    /// `https:`, `http:` or `mailto:`: used as written.
    External,
    /// A path on this site, starting with `/`: prefixed with the `base_url` path.
    SitePath,
    /// `#anchor` on the same page.
    Fragment,
    /// A relative reference (`img.png`, `../x/`): only in Markdown.
    Relative,
    /// An `@` link, resolved by `markdown`.
    At,
}

const ALLOWED_SCHEMES: [&str; 3] = ["https", "http", "mailto"];

/// Checks `raw` against the allow-list. `relative_ok` admits relative references, which
/// Markdown may use but record fields may not. The error says what is wrong.
pub fn check_url(raw: &str, relative_ok: bool) -> Result<UrlKind, String> {
    if raw.chars().any(|c| c.is_control()) {
        return Err("a URL may not contain control characters (tabs, new lines, NUL)".into());
    }
    let trimmed = raw.trim();
    if trimmed.len() != raw.len() {
        return Err("a URL may not start or end with spaces".into());
    }
    if raw.is_empty() {
        return Err("the URL is empty".into());
    }
    if raw.starts_with('@') {
        return Ok(UrlKind::At);
    }
    if raw.starts_with("//") || raw.starts_with("/\\") || raw.starts_with('\\') {
        return Err("a URL that starts with `//` or `\\` leaves the site without a scheme; write `https://…`".into());
    }
    if raw.starts_with('/') {
        return Ok(UrlKind::SitePath);
    }
    if raw.starts_with('#') {
        return Ok(UrlKind::Fragment);
    }
    // A scheme is what comes before the first `:`, if no `/`, `?` or `#` comes first.
    let scheme_end = raw.find([':', '/', '?', '#']);
    if let Some(i) = scheme_end.filter(|i| raw.as_bytes()[*i] == b':') {
        let scheme = raw[..i].to_ascii_lowercase();
        if ALLOWED_SCHEMES.contains(&scheme.as_str()) {
            return Ok(UrlKind::External);
        }
        return Err(format!(
            "URL scheme `{}:` is not allowed; use https:, http:, mailto: or a path on the site",
            &raw[..i]
        ));
    }
    // Entity-encoded colons (`javascript&#58;`) are refused outright: no real path needs them.
    if raw.contains("&#") || raw.to_ascii_lowercase().contains("&colon") {
        return Err("a URL may not contain HTML character references".into());
    }
    if relative_ok {
        Ok(UrlKind::Relative)
    } else {
        Err(
            "expected an https:, http: or mailto: URL, or a path on the site starting with `/`"
                .into(),
        )
    }
}

/// The site's base URL, split into its absolute form and its path.
#[derive(Debug, Clone)]
pub struct Urls {
    /// `https://x.org/club/`, always ending in `/`.
    pub base: String,
    /// `/club/`, always starting and ending in `/`.
    pub root: String,
}

impl Urls {
    /// Parses a `base_url`; the error says what is wrong with it.
    pub fn new(base_url: &str) -> Result<Urls, String> {
        let lower = base_url.to_ascii_lowercase();
        let rest = if let Some(r) = lower.strip_prefix("https://") {
            r
        } else if let Some(r) = lower.strip_prefix("http://") {
            r
        } else {
            return Err("`base_url` must start with https:// or http://".into());
        };
        // Characters RFC 3986 does not allow in a URL, and that would need escaping
        // wherever the base URL is written (HTML, JSON-LD, XML, iCalendar).
        if base_url
            .chars()
            .any(|c| c.is_whitespace() || c.is_control())
            || base_url.contains(['?', '#', '\\', '"', '<', '>', '`', '{', '}', '|', '^'])
        {
            return Err(
                "`base_url` may not contain spaces, `?`, `#`, `\\`, quotes, `<`, `>` or `{`, `}`, `|`, `^`, `` ` ``"
                    .into(),
            );
        }
        let host_len = rest.find('/').unwrap_or(rest.len());
        if host_len == 0 {
            return Err("`base_url` has no host".into());
        }
        let scheme_len = base_url.len() - rest.len();
        let mut path = base_url[scheme_len + host_len..].to_string();
        if !path.starts_with('/') {
            path.insert(0, '/');
        }
        if !path.ends_with('/') {
            path.push('/');
        }
        if path.split('/').any(|s| s == ".." || s == ".") {
            return Err("`base_url` may not contain `.` or `..` segments".into());
        }
        // `https://x.org//` would make every site path start with `//`, which a browser
        // reads as another host (`//events/` is the host `events`). Found by fuzzing.
        if path.contains("//") {
            return Err(
                "`base_url` may not have an empty path segment (`//`) after its host".into(),
            );
        }
        let base = format!("{}{}", &base_url[..scheme_len + host_len], path);
        Ok(Urls { base, root: path })
    }

    /// The path of a page: `events/x/` → `/club/events/x/`.
    pub fn path(&self, rel: &str) -> String {
        format!("{}{}", self.root, rel.trim_start_matches('/'))
    }

    /// The absolute URL of a page.
    pub fn absolute(&self, rel: &str) -> String {
        format!("{}{}", self.base, rel.trim_start_matches('/'))
    }

    /// A URL as written in a record or Markdown, ready for `href`: site paths get the root.
    pub fn link(&self, raw: &str, kind: &UrlKind) -> String {
        match kind {
            UrlKind::SitePath => self.path(raw),
            _ => raw.to_string(),
        }
    }
}

/// Page paths relative to the site root, one function per kind of page.
pub mod paths {
    pub fn member(handle: &str) -> String {
        format!("members/{handle}/")
    }
    pub fn speaker(id: &str) -> String {
        format!("speakers/{id}/")
    }
    pub fn event(id: &str) -> String {
        format!("events/{id}/")
    }
    pub fn chapter(id: &str) -> String {
        format!("chapters/{id}/")
    }
    pub fn series(id: &str) -> String {
        format!("series/{id}/")
    }
    pub fn tag(slug: &str) -> String {
        format!("tags/{slug}/")
    }
    pub fn rule(id: &str) -> String {
        format!("rules/#rule-{id}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allow_list_accepts_web_and_mail_links() {
        assert_eq!(check_url("https://x.org", false), Ok(UrlKind::External));
        assert_eq!(check_url("HTTP://x.org", false), Ok(UrlKind::External));
        assert_eq!(check_url("mailto:a@b.org", false), Ok(UrlKind::External));
        assert_eq!(check_url("/events/", false), Ok(UrlKind::SitePath));
        assert_eq!(check_url("@member/li", false), Ok(UrlKind::At));
        assert_eq!(check_url("img.png", true), Ok(UrlKind::Relative));
    }

    #[test]
    fn dangerous_urls_are_refused() {
        for bad in [
            "javascript:alert(1)",
            "JaVaScRiPt:alert(1)",
            " javascript:alert(1)",
            "java\tscript:alert(1)",
            "javascript&#58;alert(1)",
            "vbscript:x",
            "data:text/html,<script>",
            "file:///etc/passwd",
            "//evil.example/x",
        ] {
            assert!(check_url(bad, true).is_err(), "{bad}");
        }
        assert!(check_url("x.png", false).is_err());
    }

    #[test]
    fn base_url_with_a_path_prefixes_every_page() {
        let u = Urls::new("https://x.org/club").unwrap();
        assert_eq!(u.base, "https://x.org/club/");
        assert_eq!(u.root, "/club/");
        assert_eq!(u.path("events/a/"), "/club/events/a/");
        assert_eq!(u.absolute("events/a/"), "https://x.org/club/events/a/");
        let u = Urls::new("https://x.org").unwrap();
        assert_eq!(u.root, "/");
        assert!(Urls::new("x.org").is_err());
    }
}
