//! Diagnostics: the errors and warnings a build collects, and how they are shown.
//!
//! Every stage adds to a [`Diagnostics`] list and carries on, so one run reports every
//! problem. A diagnostic points at a file relative to the site folder, a 1-based line
//! and a column counted in characters; [`Diagnostics::render`] prints them ordered by
//! file and line with the offending line and the span marked. Only this module and
//! `main.rs` format text for the terminal.

use std::fmt::Write as _;
use std::sync::Arc;

use unicode_width::UnicodeWidthStr;

/// A file as read from the site folder: its path relative to the site (forward slashes)
/// and its text after BOM removal and line-end normalisation (CRLF and lone CR become LF,
/// which keeps line numbers as editors count them).
#[derive(Debug)]
pub struct Source {
    pub path: String,
    pub text: String,
}

pub type SourceRef = Arc<Source>;

impl Source {
    pub fn new(path: impl Into<String>, text: impl Into<String>) -> SourceRef {
        Arc::new(Source {
            path: path.into(),
            text: text.into(),
        })
    }

    /// 1-based line and column (in characters) of a byte offset, clamped to the text.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let mut offset = offset.min(self.text.len());
        while !self.text.is_char_boundary(offset) {
            offset -= 1;
        }
        let before = &self.text[..offset];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let col = self.text[line_start..offset].chars().count() + 1;
        (line, col)
    }

    /// The text of a 1-based line, without its line end.
    pub fn line_text(&self, line: usize) -> &str {
        self.text
            .split('\n')
            .nth(line.saturating_sub(1))
            .unwrap_or("")
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Error,
    Warning,
}

/// Where a diagnostic points: a line and column in a file, with the marked span's width.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    pub path: String,
    pub line: usize,
    pub column: usize,
    /// The offending line, shown under the message.
    pub line_text: String,
    /// How many characters of the line to mark, at least 1.
    pub width: usize,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub severity: Severity,
    pub location: Option<Location>,
    pub message: String,
    pub help: Option<String>,
}

impl Diagnostic {
    pub fn error(message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Error,
            location: None,
            message: message.into(),
            help: None,
        }
    }

    pub fn warning(message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Warning,
            location: None,
            message: message.into(),
            help: None,
        }
    }

    /// Points the diagnostic at a byte range of a source file.
    pub fn at(mut self, source: &Source, span: std::ops::Range<usize>) -> Self {
        let (line, column) = source.line_col(span.start);
        let line_text = source.line_text(line).to_string();
        let end = span.end.clamp(span.start, source.text.len());
        let spanned = source.text.get(span.start..end).unwrap_or("");
        let spanned = spanned.split('\n').next().unwrap_or("");
        let width = spanned.chars().count().max(1);
        self.location = Some(Location {
            path: source.path.clone(),
            line,
            column,
            line_text,
            width,
        });
        self
    }

    /// Points at a file without a position (line 1, column 1).
    pub fn in_file(mut self, path: &str) -> Self {
        self.location = Some(Location {
            path: path.to_string(),
            line: 1,
            column: 1,
            line_text: String::new(),
            width: 0,
        });
        self
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    pub fn with_help_opt(mut self, help: Option<String>) -> Self {
        self.help = help;
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    fn sort_key(&self) -> (bool, &str, usize, usize, Severity, &str) {
        match &self.location {
            Some(l) => (
                true,
                &l.path,
                l.line,
                l.column,
                self.severity,
                &self.message,
            ),
            None => (false, "", 0, 0, self.severity, &self.message),
        }
    }

    /// The diagnostic as the terminal shows it: `FILE:LINE:COL: message`, the line with
    /// the span marked, then `= help:`.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let prefix = match self.severity {
            Severity::Error => "",
            Severity::Warning => "warning: ",
        };
        // Text from the site (a key, a value, a line) may hold control characters, and an
        // escape sequence would restyle or rewrite the terminal: they are shown as symbols.
        let message = printable(&self.message);
        let help = self.help.as_deref().map(printable);
        match &self.location {
            Some(l) => {
                let _ = writeln!(
                    out,
                    "{}:{}:{}: {}{}",
                    printable(&l.path),
                    l.line,
                    l.column,
                    prefix,
                    message
                );
                if !l.line_text.is_empty() || l.width > 0 {
                    let number = l.line.to_string();
                    let pad = " ".repeat(number.len());
                    let shown: String = printable(&l.line_text.replace('\t', " "));
                    let _ = writeln!(out, "{pad} |");
                    let _ = writeln!(out, "{number} | {shown}");
                    // The column counts characters; the marker is placed by display
                    // width, so it sits under the span in a terminal even after Chinese
                    // text, whose characters take two cells.
                    let before: String = shown.chars().take(l.column.saturating_sub(1)).collect();
                    let spanned: String = shown
                        .chars()
                        .skip(l.column.saturating_sub(1))
                        .take(l.width.max(1))
                        .collect();
                    let marker_pad = " ".repeat(before.width());
                    let marker = "^".repeat(spanned.width().max(1));
                    let _ = writeln!(out, "{pad} | {marker_pad}{marker}");
                    if let Some(help) = &help {
                        let _ = writeln!(out, "{pad} = help: {help}");
                    }
                    return out;
                }
            }
            None => {
                let _ = writeln!(
                    out,
                    "{}{}",
                    if prefix.is_empty() { "error: " } else { prefix },
                    message
                );
            }
        }
        if let Some(help) = &help {
            let _ = writeln!(out, "  = help: {help}");
        }
        out
    }
}

/// `text` with each control character but the line feed shown as one visible symbol of
/// the same width (U+2400…, `␛` for escape), so nothing read from a file can move the
/// cursor, change colours or hide a line, and the marker under a span stays in place.
fn printable(text: &str) -> String {
    text.chars()
        .map(|c| match c as u32 {
            0x0A => c,
            0x00..=0x1F => char::from_u32(0x2400 + c as u32).unwrap_or('\u{FFFD}'),
            0x7F => '\u{2421}',
            _ if c.is_control() => '\u{FFFD}',
            _ => c,
        })
        .collect()
}

/// The diagnostics of one run.
#[derive(Debug, Default)]
pub struct Diagnostics {
    items: Vec<Diagnostic>,
}

impl Diagnostics {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn push(&mut self, diagnostic: Diagnostic) {
        self.items.push(diagnostic);
    }

    pub fn extend(&mut self, other: impl IntoIterator<Item = Diagnostic>) {
        self.items.extend(other);
    }

    pub fn has_errors(&self) -> bool {
        self.items.iter().any(Diagnostic::is_error)
    }

    pub fn error_count(&self) -> usize {
        self.items.iter().filter(|d| d.is_error()).count()
    }

    pub fn warning_count(&self) -> usize {
        self.items.len() - self.error_count()
    }

    pub fn items(&self) -> &[Diagnostic] {
        &self.items
    }

    /// Sorted by file, line and column, with exact duplicates removed.
    pub fn sorted(&self) -> Vec<Diagnostic> {
        let mut items = self.items.clone();
        items.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
        items.dedup();
        items
    }

    /// Every diagnostic, then a count line.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let shown = self.sorted();
        for d in &shown {
            out.push_str(&d.render());
            out.push('\n');
        }
        // Count what is shown: duplicates were removed.
        let errors = shown.iter().filter(|d| d.is_error()).count();
        let warnings = shown.len() - errors;
        if errors > 0 || warnings > 0 {
            let plural =
                |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
            let _ = writeln!(
                out,
                "{}, {}",
                plural(errors, "error"),
                plural(warnings, "warning")
            );
        }
        out
    }
}

impl IntoIterator for Diagnostics {
    type Item = Diagnostic;
    type IntoIter = std::vec::IntoIter<Diagnostic>;

    fn into_iter(self) -> Self::IntoIter {
        self.items.into_iter()
    }
}

/// The closest candidate to `wrong` by edit distance, if it is close enough to be a
/// plausible typo.
pub fn closest<'a>(wrong: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let mut best: Option<(f64, &str)> = None;
    for candidate in candidates {
        let score = strsim::normalized_damerau_levenshtein(
            &wrong.to_lowercase(),
            &candidate.to_lowercase(),
        );
        let prefix_match = candidate.starts_with(wrong) || wrong.starts_with(candidate);
        let score = if prefix_match && !wrong.is_empty() {
            score.max(0.7)
        } else {
            score
        };
        if score >= 0.6 && best.is_none_or(|(s, c)| score > s || (score == s && candidate < c)) {
            best = Some((score, candidate));
        }
    }
    best.map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_counts_characters_not_bytes() {
        let s = Source::new("a.toml", "name = \"李雷\"\ncitty = 1\n");
        assert_eq!(s.line_col(0), (1, 1));
        let offset = s.text.find("citty").unwrap();
        assert_eq!(s.line_col(offset), (2, 1));
        let offset = s.text.find('雷').unwrap();
        assert_eq!(s.line_col(offset), (1, 10));
    }

    #[test]
    fn control_characters_from_the_site_cannot_reach_the_terminal() {
        let s = Source::new("a.toml", "\u{1b}[2J\u{1b}[31m = 1\n");
        let d = Diagnostic::error("unknown key `\u{1b}[2J\u{1b}[31m`")
            .at(&s, 9..10)
            .with_help("bell \u{7}, del \u{7f}, csi \u{9b}");
        let shown = d.render();
        assert!(
            !shown.chars().any(|c| c.is_control() && c != '\n'),
            "{shown:?}"
        );
        assert!(shown.contains("unknown key `␛[2J␛[31m`"), "{shown}");
        assert!(
            shown.contains("1 | ␛[2J␛[31m = 1\n  |          ^\n"),
            "{shown}"
        );
        assert!(shown.contains("bell ␇, del ␡, csi \u{FFFD}"), "{shown}");
    }

    #[test]
    fn rendered_error_shows_line_marker_and_help() {
        let s = Source::new(
            "members/li-lei.toml",
            "name = \"x\"\ncitty = \"Shanghai\"\n",
        );
        let d = Diagnostic::error("unknown key `citty` in a member record")
            .at(&s, 11..16)
            .with_help("did you mean `city`?");
        assert_eq!(
            d.render(),
            "members/li-lei.toml:2:1: unknown key `citty` in a member record\n  |\n2 | citty = \"Shanghai\"\n  | ^^^^^\n  = help: did you mean `city`?\n"
        );
    }

    #[test]
    fn marker_sits_under_the_span_after_chinese_text() {
        let s = Source::new("a.md", "[方青云](@speaker/x)\n");
        let start = s.text.find('@').unwrap();
        let d = Diagnostic::error("m").at(&s, start..start + 10);
        assert_eq!(d.location.as_ref().unwrap().column, 7);
        assert!(
            d.render().contains(
                "\n  | {}^^^^^^^^^^\n"
                    .replace("{}", &" ".repeat(9))
                    .as_str()
            ),
            "{}",
            d.render()
        );
    }

    #[test]
    fn closest_suggests_typos_only() {
        assert_eq!(closest("citty", ["city", "name", "chapter"]), Some("city"));
        assert_eq!(
            closest("wang-fnag", ["wang-fang", "li-lei"]),
            Some("wang-fang")
        );
        assert_eq!(closest("zzz", ["city", "name"]), None);
    }
}
