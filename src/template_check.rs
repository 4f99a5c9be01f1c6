//! Checks of the theme's template sources before Tera compiles them (BAD-INPUTS rows
//! 35, 37, 38 and 39): template names that try to leave the theme (`../../x`); a loop of
//! `include` or `extends`, named with its chain at the tag that starts it; a block a
//! template fills that no template it extends shows (with the block it probably meant,
//! or, for a site's `base.html` without `{% block content %}`, once at that file instead
//! of once per built-in template); and, as warnings, `safe` applied to record data rather
//! than to the `*_html` values shequn made. Tera finds loops and missing blocks too, but
//! at line 1 or in every built-in template, and then `render::compile_templates` retries
//! without the broken template, which reports its dependants as well: an error here means
//! the theme is not compiled at all. Tera bounds component recursion itself. Runs before
//! `render::compile_templates`.

use std::collections::{BTreeMap, BTreeSet};

use crate::diag::{closest, Diagnostic, Diagnostics, Source};
use crate::theme::Theme;

/// Checks the theme's templates. Returns whether they may be compiled.
pub fn check_before_compile(theme: &Theme, diags: &mut Diagnostics) -> bool {
    let errors = diags.error_count();
    for t in theme.templates.values() {
        check_names(&t.source, diags);
        check_safe(&t.source, diags);
    }
    let before_loops = diags.error_count();
    check_loops(theme, diags);
    // In a loop of `extends` no template has its parents: blocks would all be "lost".
    if diags.error_count() == before_loops {
        check_blocks(theme, diags);
    }
    diags.error_count() == errors
}

/// A tag of a template: `{{ … }}` or `{% … %}`, its inside and where that starts.
struct Tag<'a> {
    is_statement: bool,
    inside: &'a str,
    start: usize,
}

/// The tags of a template, comments and `raw` blocks aside.
fn tags(text: &str) -> Vec<Tag<'_>> {
    let mut out = Vec::new();
    let mut from = 0;
    let mut in_raw = false;
    while let Some(open) = text[from..].find('{').map(|i| from + i) {
        let (close, is_statement) = match text.get(open + 1..open + 2) {
            Some("{") => ("}}", false),
            Some("%") => ("%}", true),
            Some("#") => ("#}", false),
            _ => {
                from = open + 1;
                continue;
            }
        };
        let end = text[open + 2..]
            .find(close)
            .map_or(text.len(), |i| open + 2 + i);
        let comment = close == "#}";
        if !comment {
            let start = open + 2;
            let inside = &text[start..end];
            let word = inside
                .trim_matches(['-', ' ', '\t', '\n'])
                .split_whitespace()
                .next();
            match word {
                Some("raw") if is_statement => in_raw = true,
                Some("endraw") if is_statement => in_raw = false,
                _ if in_raw => {}
                _ => out.push(Tag {
                    is_statement,
                    inside,
                    start,
                }),
            }
        }
        from = (end + 2).min(text.len());
    }
    out
}

/// The quoted name after a keyword in a tag (`include "x.html"`), and its offset.
fn quoted_after<'a>(tag: &Tag<'a>, keyword: &str) -> Option<(&'a str, usize)> {
    let trimmed = tag.inside.trim_start_matches(['-', ' ', '\t', '\n']);
    let rest = trimmed.strip_prefix(keyword)?;
    let quote_at = rest.find(['"', '\''])?;
    if !rest[..quote_at].trim().is_empty() {
        return None;
    }
    let quote = &rest[quote_at..quote_at + 1];
    let len = rest[quote_at + 1..].find(quote)?;
    let name = &rest[quote_at + 1..quote_at + 1 + len];
    let offset = tag.start + (tag.inside.len() - trimmed.len()) + keyword.len() + quote_at + 1;
    Some((name, offset))
}

/// Template names in `extends`, `include` and `import` must be names, not paths that
/// try to leave the theme (`../../x`, `/etc/x`); Tera would only say "not found".
fn check_names(source: &Source, diags: &mut Diagnostics) {
    for tag in tags(&source.text).iter().filter(|t| t.is_statement) {
        for keyword in ["extends", "include", "import"] {
            let Some((name, offset)) = quoted_after(tag, keyword) else {
                continue;
            };
            let escapes = name.starts_with('/')
                || name.contains('\\')
                || name.split('/').any(|s| s == ".." || s == ".");
            if escapes {
                diags.push(
                    Diagnostic::error(format!("template name `{name}` tries to leave the theme"))
                        .at(source, offset..offset + name.len())
                        .with_help("templates are named from templates/, the theme's templates/ or the built-in theme, e.g. `partials/tags.html`; nothing outside them is read"),
                );
            }
        }
    }
}

/// A template that includes or extends itself, directly or through others, at the tag
/// where the loop starts, with its chain.
fn check_loops(theme: &Theme, diags: &mut Diagnostics) {
    // Template → (template it includes or extends, offset of the name, keyword).
    let edges: BTreeMap<&str, Vec<(String, usize, &'static str)>> = theme
        .templates
        .iter()
        .map(|(name, t)| {
            let mut out = Vec::new();
            for tag in tags(&t.source.text).iter().filter(|t| t.is_statement) {
                for keyword in ["extends", "include"] {
                    if let Some((target, offset)) = quoted_after(tag, keyword) {
                        out.push((target.to_string(), offset, keyword));
                    }
                }
            }
            (name.as_str(), out)
        })
        .collect();
    let mut reported: BTreeSet<Vec<String>> = BTreeSet::new();
    for start in edges.keys() {
        // Depth-first, bounded by the number of templates.
        let mut path: Vec<(&str, usize)> = vec![(start, 0)];
        while let Some(&(current, next)) = path.last() {
            let out = edges.get(current).map_or(&[][..], |v| v);
            let Some((target, _, _)) = out.get(next) else {
                path.pop();
                continue;
            };
            if let Some(last) = path.last_mut() {
                last.1 += 1;
            }
            if let Some(at) = path.iter().position(|(t, _)| *t == target) {
                let members: Vec<String> = {
                    let mut m: Vec<String> =
                        path[at..].iter().map(|(t, _)| t.to_string()).collect();
                    m.sort();
                    m
                };
                if reported.insert(members) {
                    let first = path[at].0;
                    let (step_target, offset, keyword) = &edges[first][path[at].1 - 1];
                    let mut chain: Vec<&str> = path[at..].iter().map(|(t, _)| *t).collect();
                    chain.push(target);
                    let what = match (*keyword, chain.len()) {
                        ("extends", 2) => format!("template `{first}` extends itself"),
                        ("include", 2) => format!("template `{first}` includes itself"),
                        _ => "templates include or extend each other in a loop".to_string(),
                    };
                    let source = &theme.templates[first].source;
                    diags.push(
                        Diagnostic::error(format!("{what}: {}", chain.join(" → ")))
                            .at(source, *offset..offset + step_target.len())
                            .with_help("the loop would never end; one of these templates must not include or extend the next"),
                    );
                }
                continue;
            }
            if let Some((name, _)) = edges.get_key_value(target.as_str()) {
                if path.len() <= edges.len() {
                    path.push((name, 0));
                }
            }
        }
    }
}

/// A template's parent and the blocks it fills (name, offset), from its source.
type Outline = (Option<String>, Vec<(String, usize)>);

/// A template's outline, read from its source.
fn outline(source: &Source) -> Outline {
    let mut parent = None;
    let mut blocks = Vec::new();
    for tag in tags(&source.text).iter().filter(|t| t.is_statement) {
        if let Some((name, _)) = quoted_after(tag, "extends") {
            parent.get_or_insert(name.to_string());
        }
        let trimmed = tag.inside.trim_start_matches(['-', ' ', '\t', '\n']);
        if let Some(rest) = trimmed.strip_prefix("block ") {
            let name: String = rest
                .trim_start()
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            let offset = tag.start
                + (tag.inside.len() - trimmed.len())
                + "block ".len()
                + (rest.len() - rest.trim_start().len());
            blocks.push((name, offset));
        }
    }
    (parent, blocks)
}

/// A block a template fills that no template it extends shows could never be shown. A
/// site's own template is told so; when a built-in template's block goes missing (a
/// site's `base.html` without `{% block content %}`), the site's template is told, once.
fn check_blocks(theme: &Theme, diags: &mut Diagnostics) {
    let outlines: BTreeMap<&str, Outline> = theme
        .templates
        .iter()
        .map(|(name, t)| (name.as_str(), outline(&t.source)))
        .collect();
    let is_builtin = |name: &str| {
        theme
            .templates
            .get(name)
            .is_none_or(|t| t.source.path.starts_with("(built-in theme)"))
    };
    // (where to report, block) → the templates whose block is lost.
    let mut lost: BTreeMap<(String, String), (Vec<String>, usize)> = BTreeMap::new();
    for (name, (parent, blocks)) in &outlines {
        let mut parents = Vec::new();
        let mut next = parent.clone();
        let mut missing = false;
        // Bounded: a loop of `extends` is reported before this check runs.
        while let Some(p) = next.filter(|p| !parents.contains(p) && parents.len() < 64) {
            match outlines.get(p.as_str()) {
                Some((pp, _)) => next = pp.clone(),
                None => {
                    missing = true;
                    next = None;
                }
            }
            parents.push(p);
        }
        // A parent that does not exist is Tera's to report, with its name.
        if parents.is_empty() || missing {
            continue;
        }
        let shown: BTreeSet<&str> = parents
            .iter()
            .filter_map(|p| outlines.get(p.as_str()))
            .flat_map(|(_, b)| b.iter().map(|(n, _)| n.as_str()))
            .collect();
        for (block, offset) in blocks {
            if shown.contains(block.as_str()) {
                continue;
            }
            let at = if !is_builtin(name) {
                Some((name.to_string(), *offset))
            } else {
                parents
                    .iter()
                    .find(|p| !is_builtin(p))
                    .map(|p| (p.clone(), 0))
            };
            if let Some((at, offset)) = at {
                let entry = lost
                    .entry((at, block.clone()))
                    .or_insert((Vec::new(), offset));
                entry.0.push(name.to_string());
            }
        }
    }
    for ((at, block), (children, offset)) in lost {
        let Some(source) = theme.templates.get(&at).map(|t| &t.source) else {
            continue;
        };
        if children == [at.clone()] {
            let (parent, _) = &outlines[at.as_str()];
            let parent = parent.clone().unwrap_or_default();
            let candidates: Vec<&str> = outlines
                .get(parent.as_str())
                .map(|(_, b)| b.iter().map(|(n, _)| n.as_str()).collect())
                .unwrap_or_default();
            diags.push(
                Diagnostic::error(format!(
                    "block `{block}` is not in `{parent}` or the templates it extends, so it could never be shown"
                ))
                .at(source, offset..offset + block.len())
                .with_help_opt(
                    closest(&block, candidates.iter().copied()).map(|c| format!("did you mean `{c}`?")),
                ),
            );
        } else {
            let mut children = children;
            children.sort();
            diags.push(
                Diagnostic::error(format!(
                    "`{at}` has no block `{block}`, which {} fill: what they put there could never be shown",
                    children.join(", ")
                ))
                .in_file(&source.path)
                .with_help(format!(
                    "add `{{% block {block} %}}{{% endblock {block} %}}` where it belongs"
                )),
            );
        }
    }
}

/// `safe` on anything but a `*_html` value: `{{ x | safe }}`, `{% set y = x | safe %}`
/// and everything inside `{% filter safe %}`.
fn check_safe(source: &Source, diags: &mut Diagnostics) {
    let mut in_safe_section = 0usize;
    for tag in tags(&source.text) {
        let trimmed = tag.inside.trim_matches(['-', ' ', '\t', '\n']);
        if tag.is_statement {
            if let Some(rest) = trimmed.strip_prefix("filter ") {
                let name = rest
                    .split(|c: char| !(c.is_alphanumeric() || c == '_'))
                    .next();
                if name == Some("safe") || filters(rest).contains(&"safe") {
                    in_safe_section += 1;
                }
                continue;
            }
            if trimmed == "endfilter" || trimmed.starts_with("endfilter ") {
                in_safe_section = in_safe_section.saturating_sub(1);
                continue;
            }
            if !trimmed.starts_with("set ") && !trimmed.starts_with("set_global ") {
                continue;
            }
        }
        let marked = in_safe_section > 0 || filters(trimmed).contains(&"safe");
        if !marked {
            continue;
        }
        let expression = value_of(trimmed);
        for (name, at) in record_data(expression) {
            let offset =
                tag.start + (expression.as_ptr() as usize - tag.inside.as_ptr() as usize) + at;
            diags.push(
                Diagnostic::warning(format!(
                    "`safe` on `{name}`, which is record data, not HTML shequn made: a member's pull request could put a script on the page"
                ))
                .at(source, offset..offset + name.len())
                .with_help("only `*_html` values are HTML that shequn rendered and checked; remove `| safe` and Tera escapes the value"),
            );
        }
    }
}

/// The filters applied at the top level of an expression (`x | upper | safe`).
fn filters(expression: &str) -> Vec<&str> {
    split_top_level(expression, '|')
        .into_iter()
        .skip(1)
        .map(|f| {
            f.trim()
                .split(|c: char| !(c.is_alphanumeric() || c == '_'))
                .next()
                .unwrap_or("")
        })
        .collect()
}

/// The value part of a tag: for `set x = value | f`, `value`; else what comes before
/// the first top-level `|`.
fn value_of(tag: &str) -> &str {
    let body = match tag.split_once(' ') {
        Some((keyword, rest)) if keyword == "set" || keyword == "set_global" => {
            rest.split_once('=').map_or(rest, |(_, v)| v)
        }
        _ => tag,
    };
    split_top_level(body, '|').first().copied().unwrap_or(body)
}

/// `text` split at `separator` outside strings, brackets and braces.
fn split_top_level(text: &str, separator: char) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut depth = 0i32;
    let mut quote: Option<char> = None;
    let mut start = 0;
    for (i, c) in text.char_indices() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None => match c {
                '"' | '\'' | '`' => quote = Some(c),
                '(' | '[' | '{' => depth += 1,
                ')' | ']' | '}' => depth -= 1,
                c if c == separator && depth == 0 => {
                    parts.push(&text[start..i]);
                    start = i + c.len_utf8();
                }
                _ => {}
            },
        }
    }
    parts.push(&text[start..]);
    parts
}

/// Variables in an expression that are record data: anything but a `*_html` value (and
/// never `extra`, free data from the files). Literals, component calls (HTML the theme
/// wrote, escaping as it went) and function calls are not.
fn record_data(expression: &str) -> Vec<(String, usize)> {
    let mut out = Vec::new();
    if expression.trim_start().starts_with('<') {
        return out;
    }
    let mut quote: Option<char> = None;
    let mut i = 0;
    let bytes: Vec<(usize, char)> = expression.char_indices().collect();
    while i < bytes.len() {
        let (at, c) = bytes[i];
        if let Some(q) = quote {
            if c == q {
                quote = None;
            }
            i += 1;
            continue;
        }
        if matches!(c, '"' | '\'' | '`') {
            quote = Some(c);
            i += 1;
            continue;
        }
        if c.is_alphabetic() || c == '_' {
            let mut j = i;
            while j < bytes.len()
                && (bytes[j].1.is_alphanumeric() || matches!(bytes[j].1, '_' | '.'))
            {
                j += 1;
            }
            let end = bytes.get(j).map_or(expression.len(), |(e, _)| *e);
            let name = &expression[at..end];
            let is_call = expression[end..].trim_start().starts_with('(');
            let keyword = matches!(
                name,
                "and" | "or" | "not" | "in" | "is" | "true" | "false" | "none" | "if" | "else"
            );
            let is_html = name.ends_with("_html") && !name.split('.').any(|s| s == "extra");
            if !is_call && !keyword && !is_html {
                out.push((name.to_string(), at));
            }
            i = j;
            continue;
        }
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::theme::TemplateSource;

    fn theme(pairs: &[(&str, &str)]) -> Theme {
        Theme {
            templates: pairs
                .iter()
                .map(|(n, t)| {
                    (
                        n.to_string(),
                        TemplateSource {
                            name: n.to_string(),
                            source: Source::new(format!("templates/{n}"), *t),
                        },
                    )
                })
                .collect(),
            static_files: Vec::new(),
            strings: BTreeMap::new(),
        }
    }

    fn findings(pairs: &[(&str, &str)]) -> Vec<String> {
        let mut diags = Diagnostics::new();
        check_before_compile(&theme(pairs), &mut diags);
        diags.sorted().iter().map(|d| d.render()).collect()
    }

    #[test]
    fn safe_is_for_html_values_only() {
        let e = findings(&[(
            "p.html",
            "{{ page.content_html | safe }}\n{{ member.name | safe }}\n{{ page.extra.x_html | safe }}\n{{ \"<br>\" | safe }}{{ a || b }}",
        )]);
        assert_eq!(e.len(), 2, "{e:?}");
        assert!(
            e[0].starts_with("templates/p.html:2:4: warning: `safe` on `member.name`"),
            "{}",
            e[0]
        );
        assert!(e[1].contains("`page.extra.x_html`"), "{}", e[1]);
    }

    #[test]
    fn safe_in_set_and_filter_sections_is_seen() {
        let e = findings(&[(
            "p.html",
            "{% set t = page.title | safe %}\n{% filter safe %}<p>{{ page.summary }}</p>{% endfilter %}",
        )]);
        assert_eq!(e.len(), 2, "{e:?}");
        assert!(e[0].starts_with("templates/p.html:1:12:"), "{}", e[0]);
        assert!(e[1].starts_with("templates/p.html:2:24:"), "{}", e[1]);
    }

    #[test]
    fn template_names_may_not_leave_the_theme() {
        let mut diags = Diagnostics::new();
        let t = theme(&[("b.html", "x\n{% include \"../../etc/passwd\" %}")]);
        assert!(!check_before_compile(&t, &mut diags));
        assert!(
            diags.render().starts_with(
                "templates/b.html:2:13: template name `../../etc/passwd` tries to leave the theme"
            ),
            "{}",
            diags.render()
        );
    }

    #[test]
    fn loops_of_include_and_extends_are_named_where_they_start() {
        let e = findings(&[("a.html", "x\n{% include \"a.html\" %}")]);
        assert!(
            e[0].starts_with(
                "templates/a.html:2:13: template `a.html` includes itself: a.html → a.html"
            ),
            "{e:?}"
        );
        let e = findings(&[
            ("post.html", "{% extends \"page.html\" %}"),
            ("page.html", "{% extends \"base.html\" %}"),
            ("base.html", "{%- extends 'page.html' -%}"),
        ]);
        assert_eq!(e.len(), 1, "{e:?}");
        assert!(e[0].starts_with("templates/base.html:1:14: templates include or extend each other in a loop: base.html → page.html → base.html"), "{e:?}");
    }

    #[test]
    fn a_block_no_parent_shows_is_an_error_with_a_suggestion() {
        let e = findings(&[
            ("base.html", "{% block content %}{% endblock content %}"),
            (
                "page.html",
                "{% extends \"base.html\" %}{% block contnet %}x{% endblock contnet %}",
            ),
        ]);
        assert_eq!(e.len(), 1, "{e:?}");
        assert!(
            e[0].contains("block `contnet` is not in `base.html`"),
            "{}",
            e[0]
        );
        assert!(e[0].contains("did you mean `content`?"), "{}", e[0]);
    }

    #[test]
    fn the_built_in_theme_passes_every_check() {
        let files = crate::load::SiteFiles::default();
        let mut diags = Diagnostics::new();
        let theme = crate::theme::load(&files, None, crate::model::Language::En, &mut diags);
        assert!(check_before_compile(&theme, &mut diags));
        assert_eq!(diags.render(), "");
    }
}
