//! Themes: the built-in default theme (embedded in the binary at compile time), a local
//! theme under `themes/NAME/`, and the site's own `templates/` and `static/`, merged in
//! SPEC §4's lookup order (site, then local theme, then built-in). Also the UI strings
//! (`i18n/LANG.toml`), where a local theme adds or overrides keys. `render` uses the
//! result; `shequn theme eject` writes the built-in theme out.

use std::collections::BTreeMap;
use std::path::Path;

use include_dir::{include_dir, Dir};

use crate::diag::{Diagnostic, Diagnostics, Source, SourceRef};
use crate::load::{AssetFile, SiteFiles};
use crate::model::Language;

static BUILTIN: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/themes/default");

/// A template and where it came from, for error messages.
#[derive(Debug, Clone)]
pub struct TemplateSource {
    pub name: String,
    pub source: SourceRef,
}

/// The merged theme of one site.
#[derive(Debug)]
pub struct Theme {
    /// Template name → source, after the lookup order is applied.
    pub templates: BTreeMap<String, TemplateSource>,
    /// Static files of the local theme (the site's own are in the model).
    pub static_files: Vec<AssetFile>,
    /// UI strings of the site language.
    pub strings: BTreeMap<String, String>,
}

fn builtin_text(path: &str) -> Option<&'static str> {
    BUILTIN.get_file(path).and_then(|f| f.contents_utf8())
}

/// The built-in theme's static files: output path and bytes.
pub fn builtin_static() -> Vec<(String, &'static [u8])> {
    let mut out = Vec::new();
    collect_files(&BUILTIN, &mut |path, bytes| {
        if let Some(rest) = path.strip_prefix("static/") {
            out.push((rest.to_string(), bytes));
        }
    });
    out.sort();
    out
}

fn collect_files(dir: &Dir<'static>, f: &mut impl FnMut(&str, &'static [u8])) {
    for file in dir.files() {
        if let Some(p) = file.path().to_str() {
            f(&p.replace('\\', "/"), file.contents());
        }
    }
    for sub in dir.dirs() {
        collect_files(sub, f);
    }
}

/// Merges the built-in theme, the local theme and the site's templates.
pub fn load(
    files: &SiteFiles,
    theme_name: Option<&str>,
    language: Language,
    diags: &mut Diagnostics,
) -> Theme {
    let mut templates = BTreeMap::new();
    collect_files(&BUILTIN, &mut |path, bytes| {
        if let Some(name) = path.strip_prefix("templates/") {
            let text = String::from_utf8_lossy(bytes).into_owned();
            let source = Source::new(format!("(built-in theme)/templates/{name}"), text);
            templates.insert(
                name.to_string(),
                TemplateSource {
                    name: name.to_string(),
                    source,
                },
            );
        }
    });
    for (name, source) in files.theme_templates.iter().chain(&files.templates) {
        templates.insert(
            name.clone(),
            TemplateSource {
                name: name.clone(),
                source: source.clone(),
            },
        );
    }

    let mut strings = BTreeMap::new();
    let builtin = builtin_text(&format!("i18n/{}.toml", language.code())).unwrap_or("");
    let builtin = Source::new(
        format!("(built-in theme)/i18n/{}.toml", language.code()),
        builtin,
    );
    read_strings(&builtin, &mut strings, diags);
    let wanted = format!("{}.toml", language.code());
    for (name, source) in &files.theme_i18n {
        if *name == wanted {
            read_strings(source, &mut strings, diags);
        }
    }
    let _ = theme_name;
    Theme {
        templates,
        static_files: files.theme_static.clone(),
        strings,
    }
}

/// A flat table of key = "string" in an i18n file.
fn read_strings(source: &Source, into: &mut BTreeMap<String, String>, diags: &mut Diagnostics) {
    let table: toml::Table = match toml::from_str(&source.text) {
        Ok(t) => t,
        Err(e) => {
            let span = e.span().unwrap_or(0..0);
            diags.push(
                Diagnostic::error(format!(
                    "{} in UI strings",
                    crate::load::toml::plain_toml_message(e.message())
                ))
                .at(source, span),
            );
            return;
        }
    };
    for (key, value) in table {
        match value {
            toml::Value::String(s) => {
                into.insert(key, s);
            }
            _ => diags.push(
                Diagnostic::error(format!("UI string `{key}` must be a string")).at(
                    source,
                    source.text.find(&key).map_or(0..0, |i| i..i + key.len()),
                ),
            ),
        }
    }
}

/// Writes the built-in theme to `dir` (`templates/`, `static/`, `i18n/`), refusing to
/// overwrite existing files.
pub fn eject(dir: &Path) -> Result<usize, String> {
    let mut files: Vec<(String, &'static [u8])> = Vec::new();
    collect_files(&BUILTIN, &mut |path, bytes| {
        files.push((path.to_string(), bytes))
    });
    for (path, _) in &files {
        let target = dir.join(path);
        if target.exists() {
            return Err(format!(
                "{} already exists; eject into an empty folder",
                target.display()
            ));
        }
    }
    for (path, bytes) in &files {
        let target = dir.join(path);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent).map_err(|e| {
                format!(
                    "cannot create {}: {}",
                    parent.display(),
                    crate::load::io_reason(&e)
                )
            })?;
        }
        std::fs::write(&target, bytes).map_err(|e| {
            format!(
                "cannot write {}: {}",
                target.display(),
                crate::load::io_reason(&e)
            )
        })?;
    }
    Ok(files.len())
}
