//! Tera's errors as diagnostics: at the line of the template where the error happened
//! (an error in `base.html` while rendering `page.html` is in `base.html`), in words a
//! theme author knows, with the page being rendered. Tera reports a line only for syntax
//! errors; for errors while rendering, the place is found by searching the template for
//! what the message names (the variable, filter, template or macro). `render` calls
//! this; the failing pages of one mistake are listed in one diagnostic (`group`).

use crate::diag::{Diagnostic, Source};
use crate::theme::Theme;

/// The messages of an error and of the errors that caused it, outermost first.
fn chain(e: &tera::Error) -> Vec<String> {
    let mut messages = vec![e.to_string()];
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        messages.push(s.to_string());
        source = s.source();
    }
    messages
}

/// The first `'name.html'` (or other template name in quotes) of a message.
fn quoted_name(message: &str, after: &str) -> Option<String> {
    let start = message.find(after)? + after.len();
    let rest = &message[start..];
    let end = rest.find('\'')?;
    Some(rest[..end].to_string())
}

/// A template's syntax error, or another error found when the theme is compiled.
pub fn compile_error(e: &tera::Error, theme: &Theme) -> Diagnostic {
    let messages = chain(e);
    let all = messages.join("\n");
    let name = messages
        .iter()
        .find_map(|m| quoted_name(m, "Failed to parse '"))
        .or_else(|| messages.iter().find_map(|m| quoted_name(m, "Template '")))
        .or_else(|| messages.iter().find_map(|m| quoted_name(m, "template '")));
    let Some(template) = name.as_deref().and_then(|n| theme.templates.get(n)) else {
        return Diagnostic::error(format!("template error: {}", plain(&all)));
    };
    let source = &template.source;
    // A syntax error: ` --> LINE:COL` and the reason after `= `.
    if let Some((line, column)) = arrow_position(&all) {
        let reason = all
            .lines()
            .filter_map(|l| l.trim_start().strip_prefix("= "))
            .collect::<Vec<_>>()
            .join("; ");
        let reason = if reason.is_empty() {
            plain(messages.last().map_or("", String::as_str))
        } else {
            reason
        };
        let offset = offset_of(source, line, column);
        return Diagnostic::error(format!("template syntax error: {reason}"))
            .at(source, offset..offset + 1);
    }
    let message = plain(messages.last().map_or("", String::as_str));
    // `is inheriting from 'x.html', which doesn't exist`: the `extends` names it.
    let needle = quoted_name(&all, "inheriting from '");
    let help = needle.as_ref().map(|_| {
        "templates are looked up in templates/, the theme's templates/, then the built-in theme"
            .to_string()
    });
    located(
        Diagnostic::error(format!("template error: {message}")).with_help_opt(help),
        source,
        needle.as_deref(),
    )
}

/// An error while rendering `page` (an output path) with `template`.
pub fn render_error(e: &tera::Error, template: &str, page: &str, theme: &Theme) -> Diagnostic {
    let messages = chain(e);
    let all = messages.join("\n");
    // "Failed to render 'page.html' (error happened in 'base.html')."
    let happened_in = quoted_name(&all, "error happened in '").unwrap_or(template.to_string());
    let cause = messages.last().map_or("", String::as_str);
    let (message, needle, help) = explain(cause);
    let message = format!("{message} while rendering `{page}`");
    match theme.templates.get(&happened_in) {
        Some(t) => located(
            Diagnostic::error(message).with_help_opt(help),
            &t.source,
            needle.as_deref(),
        ),
        None => Diagnostic::error(format!("`{happened_in}`: {message}")).with_help_opt(help),
    }
}

/// A Tera message in plain words, what to search the template for, and a next step.
fn explain(cause: &str) -> (String, Option<String>, Option<String>) {
    let cause = cause.trim().trim_end_matches('.');
    let cause = cause.split(" while rendering '").next().unwrap_or(cause);
    let backticked = |text: &str| {
        let start = text.find('`')? + 1;
        let end = text[start..].find('`')? + start;
        Some(text[start..end].to_string())
    };
    if let Some(rest) = cause.strip_prefix("Variable `") {
        let name = rest.split('`').next().unwrap_or("").to_string();
        let help = if let Some(key) = name.strip_prefix("t.") {
            format!("`{key}` is not a UI string: add `{key} = \"…\"` to the theme's i18n/LANG.toml, or use a key of the built-in theme")
        } else {
            "see the variables each template receives in docs/templates.md; `{% if x %}` or `x | default(value=…)` for one that may be missing".to_string()
        };
        return (
            format!("undefined variable `{name}`"),
            Some(name),
            Some(help),
        );
    }
    if cause.starts_with("Filter `") || cause.starts_with("Filter call '") {
        let filter = backticked(cause)
            .or_else(|| quoted_name(cause, "Filter call '"))
            .unwrap_or_default();
        // "Filter `round` was called on an incorrect value: got `"x"` but expected a
        // f64": the value differs from page to page, its kind does not.
        let message = match (cause.split("got `").nth(1), cause.split("expected ").nth(1)) {
            (Some(got), Some(expected)) => format!(
                "filter `{filter}` expects {}, not {}",
                kind_of_type(expected),
                kind_of_value(got)
            ),
            _ => plain(cause),
        };
        return (message, Some(filter), None);
    }
    if let Some(name) = quoted_name(cause, "Template '") {
        let name = name
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_string();
        return (
            format!("template `{name}` not found"),
            Some(name),
            Some("templates are looked up in templates/, the theme's templates/, then the built-in theme; `..` cannot reach outside them".into()),
        );
    }
    if cause.starts_with("Macro namespace `") || cause.starts_with("Macro `") {
        let needle = backticked(cause).map(|n| format!("{n}::"));
        return (plain(cause), needle, None);
    }
    if cause.starts_with("Tried to do a modulo by zero") {
        return ("modulo by zero".into(), Some(" % ".into()), None);
    }
    (plain(cause), backticked(cause), None)
}

/// A Rust type name of a Tera message in words.
fn kind_of_type(expected: &str) -> &'static str {
    let t = expected
        .trim()
        .trim_start_matches("a ")
        .trim_start_matches("an ");
    if t.starts_with(['f', 'i', 'u']) && t[1..].starts_with(|c: char| c.is_ascii_digit())
        || t.starts_with("number")
    {
        "a number"
    } else if t.starts_with("String") || t.starts_with("string") {
        "text"
    } else if t.starts_with("Array") || t.starts_with("array") {
        "an array"
    } else if t.starts_with("bool") {
        "true or false"
    } else {
        "another kind of value"
    }
}

/// The kind of a JSON value as Tera shows it (`"x"`, `3`, `[…]`).
fn kind_of_value(got: &str) -> &'static str {
    match got.trim_start().chars().next() {
        Some('"') => "text",
        Some('[') => "an array",
        Some('{') => "a table",
        Some('t' | 'f') => "true or false",
        Some('n') => "nothing (null)",
        Some(c) if c.is_ascii_digit() || c == '-' => "a number",
        _ => "this value",
    }
}

/// A message without Rust's debug formatting of Tera's expressions.
fn plain(message: &str) -> String {
    let mut out = message.trim().to_string();
    // `Expr { val: Int(5), negated: false, filters: [] }` → `5`
    while let Some(start) = out.find("Expr { val: ") {
        let Some(len) = out[start..].find(" }") else {
            break;
        };
        let inner = &out[start + "Expr { val: ".len()..start + len];
        let value = inner
            .split(", negated")
            .next()
            .unwrap_or(inner)
            .split_once('(')
            .map_or(inner, |(_, v)| v.trim_end_matches(')'))
            .to_string();
        out.replace_range(start..start + len + 2, &value);
    }
    out.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(": ")
}

/// `--> 3:7` in a syntax error.
fn arrow_position(message: &str) -> Option<(usize, usize)> {
    let rest = message.split("--> ").nth(1)?;
    let mut parts = rest
        .split(|c: char| !c.is_ascii_digit())
        .filter(|s| !s.is_empty());
    Some((parts.next()?.parse().ok()?, parts.next()?.parse().ok()?))
}

/// The byte offset of a 1-based line and character column.
fn offset_of(source: &Source, line: usize, column: usize) -> usize {
    let line_start: usize = source
        .text
        .split_inclusive('\n')
        .take(line.saturating_sub(1))
        .map(str::len)
        .sum();
    let text = source.line_text(line);
    let in_line = text
        .char_indices()
        .nth(column.saturating_sub(1))
        .map_or(text.len(), |(i, _)| i);
    line_start + in_line
}

/// Points `diagnostic` at the first place `needle` is written inside a tag of the
/// template, or at the file when it cannot be found.
fn located(diagnostic: Diagnostic, source: &Source, needle: Option<&str>) -> Diagnostic {
    match needle.and_then(|n| find_in_tags(&source.text, n).map(|at| (at, n.len()))) {
        Some((at, len)) => diagnostic.at(source, at..at + len),
        None => diagnostic.in_file(&source.path),
    }
}

/// The offset of the first `needle` inside a `{{ … }}` or `{% … %}` tag.
pub fn find_in_tags(text: &str, needle: &str) -> Option<usize> {
    if needle.is_empty() {
        return None;
    }
    let mut from = 0;
    while let Some(open) = text[from..].find('{').map(|i| from + i) {
        let close = match text.get(open + 1..open + 2) {
            Some("{") => "}}",
            Some("%") => "%}",
            _ => {
                from = open + 1;
                continue;
            }
        };
        let end = text[open..].find(close).map_or(text.len(), |i| open + i);
        if let Some(i) = text[open..end].find(needle) {
            return Some(open + i);
        }
        from = end.max(open + 1);
    }
    None
}

/// Several pages failing on one mistake (an error in `base.html` fails them all) make
/// one diagnostic that lists every page.
pub fn group(diagnostics: Vec<Diagnostic>) -> Vec<Diagnostic> {
    const MARK: &str = " while rendering `";
    let mut out: Vec<Diagnostic> = Vec::new();
    let mut pages: Vec<Vec<String>> = Vec::new();
    for d in diagnostics {
        let Some(at) = d.message.find(MARK) else {
            out.push(d);
            pages.push(Vec::new());
            continue;
        };
        let page = d.message[at + MARK.len()..]
            .trim_end_matches('`')
            .to_string();
        let mut key = d.clone();
        key.message.truncate(at);
        match out
            .iter()
            .position(|o| o.location == key.location && o.message == key.message)
        {
            Some(i) => pages[i].push(page),
            None => {
                out.push(key);
                pages.push(vec![page]);
            }
        }
    }
    for (d, pages) in out.iter_mut().zip(pages) {
        match pages.len() {
            0 => {}
            1 => d.message = format!("{} while rendering `{}`", d.message, pages[0]),
            n => {
                let mut sorted = pages;
                sorted.sort();
                let list: Vec<String> = sorted.iter().map(|p| format!("`{p}`")).collect();
                d.message = format!(
                    "{} while rendering {n} pages: {}",
                    d.message,
                    list.join(", ")
                );
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tera_debug_output_becomes_values() {
        assert_eq!(
            plain("Tried to do a modulo by zero: Expr { val: Int(5), negated: false, filters: [] }/Expr { val: Int(0), negated: false, filters: [] }"),
            "Tried to do a modulo by zero: 5/0"
        );
    }

    #[test]
    fn needles_are_found_inside_tags_only() {
        let text = "nope.x outside\n{{ nope.x }}";
        assert_eq!(find_in_tags(text, "nope.x"), Some(18));
        assert_eq!(find_in_tags("{% if a %}{{ b }}", "b"), Some(13));
    }

    #[test]
    fn undefined_variables_are_named_and_ui_strings_explained() {
        let (message, needle, help) =
            explain("Variable `t.nokey` not found in context while rendering 'page.html'");
        assert_eq!(message, "undefined variable `t.nokey`");
        assert_eq!(needle.as_deref(), Some("t.nokey"));
        assert!(help.unwrap().contains("i18n"));
    }

    #[test]
    fn one_mistake_on_many_pages_is_one_diagnostic_listing_them() {
        let source = Source::new("templates/base.html", "{{ x }}\n");
        let d = |page: &str| {
            Diagnostic::error(format!("undefined variable `x` while rendering `{page}`"))
                .at(&source, 3..4)
        };
        let grouped = group(vec![d("b/index.html"), d("a/index.html")]);
        assert_eq!(grouped.len(), 1);
        assert_eq!(
            grouped[0].message,
            "undefined variable `x` while rendering 2 pages: `a/index.html`, `b/index.html`"
        );
    }
}
