//! Checks of the compiled theme before any page is rendered (BAD-INPUTS rows 37-39):
//! templates that include themselves or macros that call themselves, directly or through
//! others (Tera has no depth limit, so rendering them would overflow the stack and abort);
//! template names that try to leave the theme (`../../x`); a division by a literal zero
//! (Tera renders `NaN`); a block that no parent template shows; and, as warnings, `safe`
//! applied to record data rather than to the `*_html` values shequn made. Runs after
//! `render::compile_templates`, before `render::render_pages`.

use std::collections::{BTreeMap, BTreeSet};

use tera::ast::{Expr, ExprVal, Node};
use tera::Tera;

use crate::diag::{Diagnostic, Diagnostics, Source};
use crate::template_error::find_in_tags;
use crate::theme::Theme;

/// What may run when a template is rendered: a template's body or a macro.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Unit {
    Template(String),
    Macro { file: String, name: String },
}

impl Unit {
    fn file(&self) -> &str {
        match self {
            Unit::Template(t) => t,
            Unit::Macro { file, .. } => file,
        }
    }

    fn shown(&self) -> String {
        match self {
            Unit::Template(t) => t.clone(),
            Unit::Macro { file, name } => format!("{file}::{name}"),
        }
    }
}

/// A step of a depth-first path: a unit and the edge it leaves by.
type Step = (Unit, Option<Edge>);

/// A way one unit runs another, and the text to look for where it is written.
#[derive(Debug, Clone)]
struct Edge {
    to: Unit,
    written: String,
}

/// Checks what must hold before Tera compiles the theme: template names that stay in
/// the theme, and no loop of `extends`. Tera
/// finds a loop only when it starts from a template in it; from a template that extends
/// into a loop (`post.html` → `page.html` ⇄ `base.html`) it recurses until the stack
/// overflows, depending on its hash map's order. Returns whether compiling is safe.
pub fn check_before_compile(theme: &Theme, diags: &mut Diagnostics) -> bool {
    let parents: BTreeMap<&str, (String, usize)> = theme
        .templates
        .iter()
        .filter_map(|(name, t)| extends_of(&t.source.text).map(|p| (name.as_str(), p)))
        .collect();
    let mut safe = true;
    for t in theme.templates.values() {
        safe &= check_names(&t.source, diags);
    }
    let mut reported: BTreeSet<Vec<&str>> = BTreeSet::new();
    for start in parents.keys() {
        let mut chain: Vec<&str> = vec![start];
        let mut current = *start;
        while let Some((parent, _)) = parents.get(current) {
            if let Some(at) = chain.iter().position(|c| c == parent) {
                let mut members: Vec<&str> = chain[at..].to_vec();
                members.sort();
                if reported.insert(members) {
                    let first = chain[at];
                    let mut shown: Vec<&str> = chain[at..].to_vec();
                    shown.push(parent);
                    let d = Diagnostic::error(format!(
                        "templates extend each other in a loop: {}",
                        shown.join(" → ")
                    ))
                    .with_help(
                        "a template extends the one it is built on; one of them must not `extends`",
                    );
                    let t = &theme.templates[first];
                    let (_, offset) = &parents[first];
                    diags.push(d.at(&t.source, *offset..*offset + 1));
                }
                safe = false;
                break;
            }
            chain.push(parent.as_str());
            match theme.templates.get_key_value(parent.as_str()) {
                Some((name, _)) => current = name.as_str(),
                None => break,
            }
        }
    }
    safe
}

/// The template named by `{% extends "x.html" %}` and the offset of the name.
fn extends_of(text: &str) -> Option<(String, usize)> {
    let at = find_in_tags(text, "extends")?;
    let rest = &text[at + "extends".len()..];
    let quote_at = rest.find(['"', '\''])?;
    if !rest[..quote_at].trim().is_empty() {
        return None;
    }
    let quote = rest[quote_at..].chars().next()?;
    let name_start = quote_at + 1;
    let name_len = rest[name_start..].find(quote)?;
    let name = rest[name_start..name_start + name_len].to_string();
    Some((name, at + "extends".len() + name_start))
}

/// Checks every template of the theme; errors stop the build before rendering.
pub fn check(theme: &Theme, tera: &Tera, diags: &mut Diagnostics) {
    let graph = call_graph(tera);
    report_cycles(&graph, theme, diags);
    check_blocks(tera, theme, diags);
    for (name, template) in &tera.templates {
        let Some(source) = theme.templates.get(name).map(|t| &t.source) else {
            continue;
        };
        let mut visit = |expr: &Expr, safe_section: bool| {
            check_expression(expr, source, safe_section, diags);
        };
        walk_nodes(&template.ast, false, &mut visit);
        for m in template.macros.values() {
            walk_nodes(&m.body, false, &mut visit);
        }
    }
}

/// Every unit and what it runs.
fn call_graph(tera: &Tera) -> BTreeMap<Unit, Vec<Edge>> {
    let mut graph: BTreeMap<Unit, Vec<Edge>> = BTreeMap::new();
    for (name, template) in &tera.templates {
        let namespaces: BTreeMap<&str, &str> = template
            .imported_macro_files
            .iter()
            .map(|(file, ns)| (ns.as_str(), file.as_str()))
            .collect();
        let resolve = |namespace: &str| -> Option<String> {
            if namespace == "self" {
                Some(name.clone())
            } else {
                namespaces.get(namespace).map(|f| f.to_string())
            }
        };
        let mut edges = Vec::new();
        if let Some(parent) = &template.parent {
            edges.push(Edge {
                to: Unit::Template(parent.clone()),
                written: format!("\"{parent}\""),
            });
        }
        collect_edges(&template.ast, &resolve, tera, &mut edges);
        graph.insert(Unit::Template(name.clone()), edges);
        for (macro_name, definition) in &template.macros {
            let mut edges = Vec::new();
            collect_edges(&definition.body, &resolve, tera, &mut edges);
            graph.insert(
                Unit::Macro {
                    file: name.clone(),
                    name: macro_name.clone(),
                },
                edges,
            );
        }
    }
    graph
}

fn collect_edges(
    nodes: &[Node],
    resolve: &dyn Fn(&str) -> Option<String>,
    tera: &Tera,
    edges: &mut Vec<Edge>,
) {
    let mut on_expr = |expr: &Expr, _: bool| {
        each_macro_call(expr, &mut |namespace, name| {
            if let Some(file) = resolve(namespace) {
                edges.push(Edge {
                    to: Unit::Macro {
                        file,
                        name: name.to_string(),
                    },
                    written: format!("{namespace}::{name}"),
                });
            }
        });
    };
    walk_nodes(nodes, false, &mut on_expr);
    each_include(nodes, &mut |name| {
        if tera.templates.contains_key(name) {
            edges.push(Edge {
                to: Unit::Template(name.to_string()),
                written: format!("\"{name}\""),
            });
        }
    });
}

/// Calls `f` with every expression of `nodes` (macro definitions aside: they run only
/// when called) and whether it sits inside `{% filter safe %}`.
fn walk_nodes(nodes: &[Node], in_safe: bool, f: &mut dyn FnMut(&Expr, bool)) {
    for node in nodes {
        match node {
            Node::VariableBlock(_, e) => f(e, in_safe),
            Node::Set(_, set) => f(&set.value, in_safe),
            Node::FilterSection(_, section, _) => {
                let safe = in_safe || section.filter.name == "safe";
                for arg in section.filter.args.values() {
                    f(arg, in_safe);
                }
                walk_nodes(&section.body, safe, f);
            }
            Node::Block(_, block, _) => walk_nodes(&block.body, in_safe, f),
            Node::Forloop(_, l, _) => {
                f(&l.container, in_safe);
                walk_nodes(&l.body, in_safe, f);
                if let Some(body) = &l.empty_body {
                    walk_nodes(body, in_safe, f);
                }
            }
            Node::If(i, _) => {
                for (_, condition, body) in &i.conditions {
                    f(condition, in_safe);
                    walk_nodes(body, in_safe, f);
                }
                if let Some((_, body)) = &i.otherwise {
                    walk_nodes(body, in_safe, f);
                }
            }
            _ => {}
        }
    }
}

fn each_include(nodes: &[Node], f: &mut dyn FnMut(&str)) {
    for node in nodes {
        match node {
            Node::Include(_, names, _) => names.iter().for_each(|n| f(n)),
            Node::FilterSection(_, section, _) => each_include(&section.body, f),
            Node::Block(_, block, _) => each_include(&block.body, f),
            Node::Forloop(_, l, _) => {
                each_include(&l.body, f);
                if let Some(body) = &l.empty_body {
                    each_include(body, f);
                }
            }
            Node::If(i, _) => {
                for (_, _, body) in &i.conditions {
                    each_include(body, f);
                }
                if let Some((_, body)) = &i.otherwise {
                    each_include(body, f);
                }
            }
            _ => {}
        }
    }
}

/// Every sub-expression of `expr`, itself included.
fn each_expr(expr: &Expr, f: &mut dyn FnMut(&Expr)) {
    f(expr);
    for filter in &expr.filters {
        filter.args.values().for_each(|a| each_expr(a, f));
    }
    each_val(&expr.val, f);
}

fn each_val(val: &ExprVal, f: &mut dyn FnMut(&Expr)) {
    match val {
        ExprVal::Math(m) => {
            each_expr(&m.lhs, f);
            each_expr(&m.rhs, f);
        }
        ExprVal::Logic(l) => {
            each_expr(&l.lhs, f);
            each_expr(&l.rhs, f);
        }
        ExprVal::Test(t) => t.args.iter().for_each(|a| each_expr(a, f)),
        ExprVal::MacroCall(m) => m.args.values().for_each(|a| each_expr(a, f)),
        ExprVal::FunctionCall(c) => c.args.values().for_each(|a| each_expr(a, f)),
        ExprVal::Array(items) => items.iter().for_each(|a| each_expr(a, f)),
        ExprVal::StringConcat(c) => c.values.iter().for_each(|v| each_val(v, f)),
        ExprVal::In(i) => {
            each_expr(&i.lhs, f);
            each_expr(&i.rhs, f);
        }
        _ => {}
    }
}

fn each_macro_call(expr: &Expr, f: &mut dyn FnMut(&str, &str)) {
    each_expr(expr, &mut |e| {
        if let ExprVal::MacroCall(m) = &e.val {
            f(&m.namespace, &m.name);
        }
    });
}

/// Reports each loop of includes, extends and macro calls once, at its first step.
fn report_cycles(graph: &BTreeMap<Unit, Vec<Edge>>, theme: &Theme, diags: &mut Diagnostics) {
    let mut reported: BTreeSet<BTreeSet<Unit>> = BTreeSet::new();
    let mut done: BTreeSet<Unit> = BTreeSet::new();
    for start in graph.keys() {
        let mut path: Vec<Step> = Vec::new();
        find_cycles(start, graph, &mut path, &mut done, &mut |cycle| {
            let members: BTreeSet<Unit> = cycle.iter().map(|(u, _)| u.clone()).collect();
            if !reported.insert(members) {
                return;
            }
            let chain: Vec<String> = cycle
                .iter()
                .map(|(u, _)| u.shown())
                .chain(cycle.first().map(|(u, _)| u.shown()))
                .collect();
            let (first, edge) = &cycle[0];
            let what = match first {
                Unit::Template(t) if cycle.len() == 1 => format!("template `{t}` includes itself"),
                Unit::Macro { name, .. } if cycle.len() == 1 => {
                    format!("macro `{name}` calls itself")
                }
                _ => "templates and macros call each other in a loop".to_string(),
            };
            let message = format!("{what}: {}", chain.join(" → "));
            let help = "Tera has no depth limit, so the loop would run until the stack overflows; shequn refuses every loop of includes and macro calls, even one an `if` would end";
            let d = Diagnostic::error(message).with_help(help);
            let located = theme.templates.get(first.file()).map(|t| {
                let written = edge.as_ref().map_or("", |e| e.written.as_str());
                match find_in_tags(&t.source.text, written) {
                    Some(at) => d.clone().at(&t.source, at..at + written.len()),
                    None => d.clone().in_file(&t.source.path),
                }
            });
            diags.push(located.unwrap_or(d));
        });
    }
}

/// Depth-first search; `on_cycle` gets each loop as (unit, the edge it takes next).
fn find_cycles(
    unit: &Unit,
    graph: &BTreeMap<Unit, Vec<Edge>>,
    path: &mut Vec<Step>,
    done: &mut BTreeSet<Unit>,
    on_cycle: &mut dyn FnMut(&[Step]),
) {
    if done.contains(unit) {
        return;
    }
    if let Some(at) = path.iter().position(|(u, _)| u == unit) {
        on_cycle(&path[at..]);
        return;
    }
    path.push((unit.clone(), None));
    for edge in graph.get(unit).map_or(&[][..], |v| v) {
        if let Some(last) = path.last_mut() {
            last.1 = Some(edge.clone());
        }
        find_cycles(&edge.to, graph, path, done, on_cycle);
    }
    path.pop();
    done.insert(unit.clone());
}

/// Template names in `extends`, `include` and `import` must be names, not paths that
/// try to leave the theme (`../../x`, `/etc/x`); Tera would only say "not found".
fn check_names(source: &Source, diags: &mut Diagnostics) -> bool {
    let mut fine = true;
    for keyword in ["extends", "include", "import"] {
        let mut from = 0;
        while let Some(at) = find_in_tags(&source.text[from..], keyword).map(|i| from + i) {
            from = at + keyword.len();
            let rest = &source.text[from..];
            let Some(quote_at) = rest.find(['"', '\'']) else {
                continue;
            };
            if !rest[..quote_at].trim().is_empty() {
                continue;
            }
            let quote = &rest[quote_at..quote_at + 1];
            let Some(len) = rest[quote_at + 1..].find(quote) else {
                continue;
            };
            let name = &rest[quote_at + 1..quote_at + 1 + len];
            let escapes = name.starts_with('/')
                || name.contains('\\')
                || name.split('/').any(|s| s == ".." || s == ".");
            if escapes {
                let start = from + quote_at + 1;
                diags.push(
                    Diagnostic::error(format!("template name `{name}` tries to leave the theme"))
                        .at(source, start..start + name.len())
                        .with_help("templates are named from templates/, the theme's templates/ or the built-in theme, e.g. `macros.html`; nothing outside them is read"),
                );
                fine = false;
            }
        }
    }
    fine
}

/// A block a template fills that no template it extends shows is never rendered. A
/// site's own template is told so; when a built-in template's block goes missing (a
/// site's `base.html` without `{% block content %}`), the site's parent is told, once.
fn check_blocks(tera: &Tera, theme: &Theme, diags: &mut Diagnostics) {
    let is_builtin = |name: &str| {
        theme
            .templates
            .get(name)
            .is_none_or(|t| t.source.path.starts_with("(built-in theme)"))
    };
    // (where to report, block) → the templates whose block is lost.
    let mut lost: BTreeMap<(String, String), Vec<String>> = BTreeMap::new();
    for (name, template) in &tera.templates {
        if template.parents.is_empty() {
            continue;
        }
        let shown: BTreeSet<&str> = template
            .parents
            .iter()
            .filter_map(|p| tera.templates.get(p))
            .flat_map(|p| p.blocks.keys().map(String::as_str))
            .collect();
        for block in template.blocks.keys() {
            if shown.contains(block.as_str()) {
                continue;
            }
            let at = if !is_builtin(name) {
                Some(name.clone())
            } else {
                template.parents.iter().find(|p| !is_builtin(p)).cloned()
            };
            if let Some(at) = at {
                lost.entry((at, block.clone()))
                    .or_default()
                    .push(name.clone());
            }
        }
    }
    for ((at, block), children) in lost {
        let Some(source) = theme.templates.get(&at).map(|t| &t.source) else {
            continue;
        };
        let template = &tera.templates[&at];
        if children == [at.clone()] {
            let parent = template.parents.first().cloned().unwrap_or_default();
            let shown: Vec<&str> = template
                .parents
                .iter()
                .filter_map(|p| tera.templates.get(p))
                .flat_map(|p| p.blocks.keys().map(String::as_str))
                .collect();
            let d = Diagnostic::warning(format!(
                "block `{block}` is not in `{parent}` or the templates it extends, so it is never shown"
            ))
            .with_help_opt(
                crate::diag::closest(&block, shown.iter().copied())
                    .map(|c| format!("did you mean `{c}`?")),
            );
            diags.push(
                match find_in_tags(&source.text, &format!("block {block}")) {
                    Some(i) => d.at(source, i + 6..i + 6 + block.len()),
                    None => d.in_file(&source.path),
                },
            );
        } else {
            let mut children = children;
            children.sort();
            let d = Diagnostic::warning(format!(
                "`{at}` has no block `{block}`, which {} fill: what they put there is never shown",
                children.join(", ")
            ))
            .with_help(format!(
                "add `{{% block {block} %}}{{% endblock {block} %}}` where it belongs"
            ));
            diags.push(d.in_file(&source.path));
        }
    }
}

/// `safe` on a value that is not HTML shequn made, and division by a literal zero.
fn check_expression(expr: &Expr, source: &Source, in_safe_section: bool, diags: &mut Diagnostics) {
    each_expr(expr, &mut |e| {
        if let ExprVal::Math(m) = &e.val {
            let zero = matches!(m.rhs.val, ExprVal::Int(0))
                || matches!(m.rhs.val, ExprVal::Float(f) if f == 0.0);
            if zero
                && matches!(
                    m.operator,
                    tera::ast::MathOperator::Div | tera::ast::MathOperator::Modulo
                )
            {
                let d = Diagnostic::error("division by zero in a template (Tera would show `NaN`)");
                let at =
                    find_in_tags(&source.text, "/ 0").or_else(|| find_in_tags(&source.text, "% 0"));
                diags.push(match at {
                    Some(at) => d.at(source, at..at + 3),
                    None => d.in_file(&source.path),
                });
            }
        }
    });
    let marked_safe = in_safe_section || expr.filters.iter().any(|f| f.name == "safe");
    if !marked_safe {
        return;
    }
    let mut unsafe_names = Vec::new();
    collect_record_data(&expr.val, &mut unsafe_names);
    for name in unsafe_names {
        let d = Diagnostic::warning(format!(
            "`safe` on `{name}`, which is record data, not HTML shequn made: a member's pull request could put a script on the page"
        ))
        .with_help("only `*_html` values are HTML that shequn rendered and checked; remove `| safe` and Tera escapes the value");
        let at = if in_safe_section {
            find_in_tags(&source.text, &name)
        } else {
            find_in_tags_with(&source.text, &name, "safe")
        };
        diags.push(match at {
            Some(at) => d.at(source, at..at + name.len()),
            None => d.in_file(&source.path),
        });
    }
}

/// Variables in a value that are record data: anything but `*_html` values (and never
/// `extra`, which is free data from the files).
fn collect_record_data(val: &ExprVal, out: &mut Vec<String>) {
    match val {
        ExprVal::Ident(name) => {
            let is_html = name.ends_with("_html") && !name.split('.').any(|s| s == "extra");
            if !is_html {
                out.push(name.clone());
            }
        }
        ExprVal::StringConcat(c) => c.values.iter().for_each(|v| collect_record_data(v, out)),
        ExprVal::Math(m) => {
            collect_record_data(&m.lhs.val, out);
            collect_record_data(&m.rhs.val, out);
        }
        // Literals, and macro output (HTML the theme wrote, escaping as it went).
        _ => {}
    }
}

/// The first `needle` inside a tag that also holds `also`.
fn find_in_tags_with(text: &str, needle: &str, also: &str) -> Option<usize> {
    let mut from = 0;
    while let Some(at) = find_in_tags(&text[from..], needle).map(|i| from + i) {
        let tag_start = text[..at].rfind('{').unwrap_or(0);
        let tag_end = text[at..].find('}').map_or(text.len(), |i| at + i);
        if text[tag_start..tag_end].contains(also) {
            return Some(at);
        }
        from = at + needle.len();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::theme::TemplateSource;

    fn check_templates(templates: &[(&str, &str)]) -> Vec<String> {
        let mut tera = Tera::default();
        tera.add_raw_templates(templates.to_vec()).unwrap();
        let theme = Theme {
            templates: templates
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
        };
        let mut diags = Diagnostics::new();
        check(&theme, &tera, &mut diags);
        diags.sorted().iter().map(|d| d.render()).collect()
    }

    #[test]
    fn a_template_including_itself_is_refused_at_the_include() {
        let e = check_templates(&[("a.html", "x\n{% include \"a.html\" %}")]);
        assert_eq!(e.len(), 1, "{e:?}");
        assert!(
            e[0].starts_with(
                "templates/a.html:2:12: template `a.html` includes itself: a.html → a.html"
            ),
            "{}",
            e[0]
        );
    }

    #[test]
    fn mutual_includes_and_recursive_macros_are_refused() {
        let e = check_templates(&[
            ("a.html", "{% include \"b.html\" %}"),
            ("b.html", "{% include \"a.html\" %}"),
        ]);
        assert_eq!(e.len(), 1, "{e:?}");
        assert!(e[0].contains("a.html → b.html → a.html"), "{}", e[0]);
        let e = check_templates(&[(
            "m.html",
            "{% macro r(n) %}{% if n > 0 %}{{ self::r(n=n - 1) }}{% endif %}{% endmacro r %}",
        )]);
        assert!(
            e[0].contains("macro `r` calls itself: m.html::r → m.html::r"),
            "{e:?}"
        );
    }

    #[test]
    fn an_extends_loop_is_refused_before_tera_recurses_into_it() {
        let theme = |pairs: &[(&str, &str)]| Theme {
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
        };
        let looped = theme(&[
            ("post.html", "{% extends \"page.html\" %}"),
            ("page.html", "{% extends \"base.html\" %}"),
            ("base.html", "{%- extends 'page.html' -%}"),
        ]);
        let mut diags = Diagnostics::new();
        assert!(!check_before_compile(&looped, &mut diags));
        let shown = diags.render();
        assert!(shown.contains("templates/base.html:1:14: templates extend each other in a loop: base.html → page.html → base.html"), "{shown}");
        let fine = theme(&[
            ("page.html", "{% extends \"base.html\" %}"),
            ("base.html", "x"),
        ]);
        assert!(check_before_compile(&fine, &mut Diagnostics::new()));
    }

    #[test]
    fn safe_is_for_html_values_only() {
        let e = check_templates(&[(
            "p.html",
            "{{ page.content_html | safe }}\n{{ member.name | safe }}\n{{ page.extra.x_html | safe }}",
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
    fn the_built_in_theme_passes_every_check() {
        let files = crate::load::SiteFiles::default();
        let mut diags = Diagnostics::new();
        let theme = crate::theme::load(&files, None, crate::model::Language::En, &mut diags);
        assert!(check_before_compile(&theme, &mut diags));
        let tera = crate::render::compile_templates(&theme, &mut diags).unwrap();
        check(&theme, &tera, &mut diags);
        assert_eq!(diags.render(), "");
    }
}
