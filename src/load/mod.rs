//! The first stage: reading the site folder. It finds every file SPEC §1 names, skips
//! hidden files, editor droppings and the output folder, refuses symbolic links that
//! leave the site, and decodes text files (`text.rs`). It checks nothing about their
//! content: `model` parses and checks what `load` read. Files are read in parallel.

// A `Diagnostic` is the error type throughout; errors are rare, so its size on the
// error path costs nothing worth boxing for.
#![allow(clippy::result_large_err)]

pub mod frontmatter;
pub mod records;
pub mod text;
pub mod toml;

use std::path::{Component, Path, PathBuf};

use rayon::prelude::*;
use unicode_normalization::UnicodeNormalization;

use crate::diag::{Diagnostic, Diagnostics, SourceRef};

/// The record folders, in the order their files are reported.
pub const RECORD_FOLDERS: [&str; 5] = ["members", "speakers", "chapters", "series", "events"];

/// A record file: its stem (the id or handle) and its text.
#[derive(Debug, Clone)]
pub struct RecordSource {
    pub stem: String,
    pub source: SourceRef,
}

/// A file copied to the output as is, from the site's `static/`, a local theme, beside a
/// record or beside a content page.
#[derive(Debug, Clone)]
pub struct AssetFile {
    /// Path under the output folder, forward slashes (`avatars/li.png`).
    pub output_path: String,
    /// Path relative to the site folder, for messages.
    pub site_path: String,
    pub absolute: PathBuf,
}

/// Everything read from the site folder, before any of it is parsed.
#[derive(Debug, Default)]
pub struct SiteFiles {
    pub root: PathBuf,
    pub charter: Option<SourceRef>,
    pub members: Vec<RecordSource>,
    pub speakers: Vec<RecordSource>,
    pub chapters: Vec<RecordSource>,
    pub series: Vec<RecordSource>,
    pub events: Vec<RecordSource>,
    /// Files beside records (`members/li-lei.jpg`), by path relative to the site.
    pub record_assets: Vec<AssetFile>,
    /// `content/**/*.md`, path relative to the site.
    pub content: Vec<SourceRef>,
    /// Non-Markdown files under `content/`, copied beside their page.
    pub content_assets: Vec<AssetFile>,
    /// The site's `static/**`.
    pub static_files: Vec<AssetFile>,
    /// The site's `templates/**`, name relative to `templates/`.
    pub templates: Vec<(String, SourceRef)>,
    /// The local theme's files, when `theme` names a folder under `themes/`.
    pub theme_templates: Vec<(String, SourceRef)>,
    pub theme_static: Vec<AssetFile>,
    pub theme_i18n: Vec<(String, SourceRef)>,
    /// Record files and content pages that exist but could not be read (their error is
    /// reported already), by path relative to the site: naming them elsewhere is not a
    /// second error.
    pub unreadable: Vec<String>,
}

/// Reads one required or optional text file of the site.
pub fn read_text(root: &Path, rel: &str) -> Result<Option<SourceRef>, Diagnostic> {
    let path = root.join(rel);
    match std::fs::symlink_metadata(&path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => {
            return Err(
                Diagnostic::error(format!("cannot read {rel}: {}", io_reason(&e))).in_file(rel),
            )
        }
        Ok(m) if m.file_type().is_symlink() => {
            check_symlink(root, &path, rel)?;
        }
        Ok(m) if m.is_dir() => {
            return Err(
                Diagnostic::error(format!("`{rel}` is a folder, where a file is expected"))
                    .in_file(rel)
                    .with_help("remove or rename the folder"),
            )
        }
        // Reading a named pipe would wait for a writer for ever.
        Ok(m) if !m.is_file() => {
            return Err(Diagnostic::error(format!(
                "`{rel}` is not a regular file (a FIFO, socket or device)"
            ))
            .in_file(rel)
            .with_help("replace it with an ordinary file"))
        }
        Ok(_) => {}
    }
    let bytes = std::fs::read(&path).map_err(|e| {
        Diagnostic::error(format!("cannot read {rel}: {}", io_reason(&e))).in_file(rel)
    })?;
    text::decode(rel, bytes).map(Some)
}

/// A short, stable reason for an I/O error (no OS error numbers, which differ by system).
pub fn io_reason(e: &std::io::Error) -> String {
    use std::io::ErrorKind::*;
    match e.kind() {
        NotFound => "no such file or folder".into(),
        PermissionDenied => "permission denied".into(),
        AlreadyExists => "it already exists".into(),
        _ => {
            let s = e.to_string();
            match s.find(" (os error") {
                Some(i) => s[..i].to_lowercase(),
                None => s.to_lowercase(),
            }
        }
    }
}

/// True for names that are never content: hidden files, editor backups and swap files,
/// OS droppings (SPEC §1, BAD-INPUTS row 25).
pub fn is_ignored_name(name: &str) -> bool {
    name.starts_with('.')
        || name.starts_with('#')
        || name.starts_with("~$")
        || name.ends_with('~')
        || name.ends_with("___jb_tmp___")
        || name.ends_with("___jb_old___")
        || name == "4913"
        || name == "Thumbs.db"
        || name == "desktop.ini"
        || [
            ".swp",
            ".swx",
            ".swo",
            ".bck",
            ".tmp",
            ".crswap",
            ".orig",
            ".rej",
            ".kate-swp",
            ".crdownload",
        ]
        .iter()
        .any(|ext| name.ends_with(ext))
}

/// A symbolic link is followed only when it ends inside the site and names a file.
fn check_symlink(root: &Path, path: &Path, rel: &str) -> Result<PathBuf, Diagnostic> {
    let target = std::fs::read_link(path)
        .map(|t| t.display().to_string())
        .unwrap_or_default();
    let resolved = std::fs::canonicalize(path).map_err(|e| {
        Diagnostic::error(format!(
            "symbolic link `{rel}` (to `{target}`) cannot be followed: {}",
            io_reason(&e)
        ))
        .in_file(rel)
    })?;
    let root = std::fs::canonicalize(root).unwrap_or_else(|_| root.to_path_buf());
    let hidden = resolved.strip_prefix(&root).is_ok_and(|inside| {
        inside
            .components()
            .any(|c| c.as_os_str().to_str().is_none_or(is_ignored_name))
    });
    if hidden {
        // `.git/config`, an editor's backup: never content, not through a link either.
        return Err(Diagnostic::error(format!(
            "symbolic link `{rel}` points to a hidden or backup file (`{target}`)"
        ))
        .in_file(rel)
        .with_help("shequn never reads hidden files, editor backups or the output folder"));
    }
    if !resolved.starts_with(&root) {
        return Err(Diagnostic::error(format!(
            "symbolic link `{rel}` points outside the site folder (to `{target}`)"
        ))
        .in_file(rel)
        .with_help("copy the file into the site folder instead; shequn never reads outside it"));
    }
    if resolved.is_dir() {
        return Err(Diagnostic::error(format!(
            "symbolic link `{rel}` points to a folder (`{target}`); links to folders are not followed"
        ))
        .in_file(rel)
        .with_help("move or copy the folder's files instead"));
    }
    // A link to a named pipe would block the read.
    if !resolved.is_file() {
        return Err(Diagnostic::error(format!(
            "symbolic link `{rel}` points to something that is not a regular file (`{target}`)"
        ))
        .in_file(rel));
    }
    Ok(resolved)
}

/// Longest path of a site file, relative to the site, in characters: Windows refuses
/// paths over 260 characters (without a registry change), and the site folder and the
/// output folder's name come on top (BAD-INPUTS row 24).
pub const MAX_PATH_CHARS: usize = 200;

/// One file found by a walk: its path relative to the walked folder and to the site.
struct Found {
    rel_in_folder: String,
    site_rel: String,
    absolute: PathBuf,
}

/// Lists the files under `root/folder`, sorted, skipping ignored names and `exclude`.
fn walk(
    root: &Path,
    folder: &str,
    max_depth: usize,
    exclude: Option<&Path>,
    diags: &mut Diagnostics,
) -> Vec<Found> {
    let base = root.join(folder);
    if !base.is_dir() {
        if base.exists() {
            diags.push(Diagnostic::error(format!("`{folder}` should be a folder")).in_file(folder));
        }
        return Vec::new();
    }
    let mut found = Vec::new();
    let mut seen = std::collections::HashSet::new();
    let walker = walkdir::WalkDir::new(&base)
        .follow_links(false)
        .max_depth(max_depth)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| {
            let ignored = e.depth() > 0 && e.file_name().to_str().is_some_and(is_ignored_name);
            let excluded = exclude.is_some_and(|x| e.path() == x);
            !ignored && !excluded
        });
    let mut walker = walker;
    while let Some(entry) = walker.next() {
        let entry = match entry {
            Ok(e) => e,
            Err(e) => {
                let path = e
                    .path()
                    .map(|p| site_relative(root, p))
                    .unwrap_or_else(|| folder.to_string());
                let reason = e
                    .io_error()
                    .map(io_reason)
                    .unwrap_or_else(|| "cannot be read".into());
                diags.push(
                    Diagnostic::error(format!("cannot read {path}: {reason}")).in_file(&path),
                );
                continue;
            }
        };
        if entry.depth() == 0 {
            continue;
        }
        let site_rel = site_relative(root, entry.path());
        let Some(rel_in_folder) = entry
            .path()
            .strip_prefix(&base)
            .ok()
            .and_then(path_to_slash)
        else {
            // Shown with U+FFFD for the bytes that are not UTF-8.
            let shown = entry
                .path()
                .strip_prefix(root)
                .unwrap_or(entry.path())
                .to_string_lossy()
                .replace('\\', "/");
            diags.push(
                Diagnostic::error(format!(
                    "file name `{shown}` is not valid UTF-8 (shown with � for the bad bytes)"
                ))
                .in_file(&shown)
                .with_help("rename the file using UTF-8 characters; it was probably named on a system with another encoding"),
            );
            // One error for a folder, not one more for each file in it.
            if entry.file_type().is_dir() {
                walker.skip_current_dir();
            }
            continue;
        };
        // macOS may store `café` decomposed (NFD), Linux keeps what it was given: one
        // name, one URL. Two files that differ only so are a collision.
        let rel_in_folder: String = rel_in_folder.nfc().collect();
        let site_rel: String = site_rel.nfc().collect();
        if entry.file_type().is_dir() {
            if let Some(kind) = file_kind_expected(folder, &rel_in_folder) {
                diags.push(
                    Diagnostic::error(format!(
                        "`{site_rel}` is a folder, where {kind} file is expected"
                    ))
                    .in_file(&site_rel)
                    .with_help("remove or rename the folder"),
                );
            }
            continue;
        }
        let length = site_rel.chars().count();
        if length > MAX_PATH_CHARS {
            diags.push(
                Diagnostic::error(format!(
                    "the path `{site_rel}` is {length} characters long; the limit is {MAX_PATH_CHARS}"
                ))
                .in_file(&site_rel)
                .with_help("use shorter folder and file names: Windows refuses paths over 260 characters, counting the folders above the site"),
            );
            continue;
        }
        if !seen.insert(site_rel.clone()) {
            diags.push(
                Diagnostic::error(format!(
                    "`{site_rel}` is there twice, once with composed and once with decomposed accents (Unicode NFC and NFD): one name, one URL"
                ))
                .in_file(&site_rel)
                .with_help("keep one of the two files; macOS may have made the decomposed copy"),
            );
            continue;
        }
        let file_type = entry.file_type();
        let absolute = if file_type.is_symlink() {
            match check_symlink(root, entry.path(), &site_rel) {
                Ok(p) => p,
                Err(d) => {
                    diags.push(d);
                    continue;
                }
            }
        } else if !file_type.is_file() {
            diags.push(
                Diagnostic::warning(format!(
                    "`{site_rel}` is not a regular file (a FIFO, socket or device); skipped"
                ))
                .in_file(&site_rel),
            );
            continue;
        } else {
            entry.path().to_path_buf()
        };
        found.push(Found {
            rel_in_folder,
            site_rel,
            absolute,
        });
    }
    found
}

/// A folder named like a record file (`members/x.toml/`) or a page (`content/x.md/`) is
/// a mistake rather than a section: what kind of file was expected there.
fn file_kind_expected(folder: &str, rel: &str) -> Option<&'static str> {
    if RECORD_FOLDERS.contains(&folder) && rel.ends_with(".toml") {
        Some("a record")
    } else if folder == "content" && rel.ends_with(".md") {
        Some("a Markdown")
    } else {
        None
    }
}

/// Why a file name cannot be used on every system, if it cannot: names Windows refuses
/// (`con`, `aux.txt`, `lpt1.png`, a `:`, a trailing space or dot). Checked on every OS,
/// so that a site made on Linux builds on Windows (BAD-INPUTS rows 15 and 24).
pub fn unportable_name(name: &str) -> Option<String> {
    if let Some(c) = name
        .chars()
        .find(|c| matches!(c, '<' | '>' | ':' | '"' | '|' | '?' | '*' | '\\') || c.is_control())
    {
        return Some(format!(
            "it contains `{}`, which Windows does not allow in a file name",
            c.escape_default()
        ));
    }
    if name.ends_with(' ') || name.ends_with('.') {
        return Some("it ends with a space or a dot, which Windows drops".into());
    }
    let stem = name
        .split('.')
        .next()
        .unwrap_or("")
        .trim_end()
        .to_ascii_lowercase();
    if crate::model::ids::WINDOWS_RESERVED.contains(&stem.as_str()) {
        return Some(format!(
            "`{stem}` is a reserved device name on Windows, whatever the extension"
        ));
    }
    None
}

/// Keeps the files whose every path segment works on every system; the others are
/// errors, with a name to rename them to.
fn portable(found: Vec<Found>, diags: &mut Diagnostics) -> Vec<Found> {
    found
        .into_iter()
        .filter(|f| {
            let bad = f
                .rel_in_folder
                .split('/')
                .find_map(|segment| unportable_name(segment).map(|why| (segment, why)));
            let Some((segment, why)) = bad else {
                return true;
            };
            let suggestion = portable_suggestion(segment);
            diags.push(
                Diagnostic::error(format!("file name `{segment}` cannot be used: {why}"))
                    .in_file(&f.site_rel)
                    .with_help(format!("rename it, e.g. to `{suggestion}`")),
            );
            false
        })
        .collect()
}

/// Keeps the files that can be opened; the others are errors now rather than when they
/// are copied, so that `check`, which copies nothing, finds them too.
fn readable(found: Vec<Found>, diags: &mut Diagnostics) -> Vec<Found> {
    found
        .into_iter()
        .filter(|f| match std::fs::File::open(&f.absolute) {
            Ok(_) => true,
            Err(e) => {
                diags.push(
                    Diagnostic::error(format!("cannot read {}: {}", f.site_rel, io_reason(&e)))
                        .in_file(&f.site_rel),
                );
                false
            }
        })
        .collect()
}

/// A name like `segment` that every system accepts.
fn portable_suggestion(segment: &str) -> String {
    let mut out: String = segment
        .chars()
        .map(|c| {
            if matches!(c, '<' | '>' | ':' | '"' | '|' | '?' | '*' | '\\') || c.is_control() {
                '-'
            } else {
                c
            }
        })
        .collect();
    while out.ends_with(' ') || out.ends_with('.') {
        out.pop();
    }
    if unportable_name(&out).is_some() || out.is_empty() {
        out = format!("{}-1", out.split('.').next().unwrap_or("file"));
        if let Some((_, ext)) = segment.split_once('.') {
            out = format!("{out}.{}", ext.trim_end_matches(['.', ' ']));
        }
    }
    out
}

fn path_to_slash(p: &Path) -> Option<String> {
    let mut parts = Vec::new();
    for c in p.components() {
        match c {
            Component::Normal(s) => parts.push(s.to_str()?.to_string()),
            _ => return None,
        }
    }
    Some(parts.join("/"))
}

fn site_relative(root: &Path, p: &Path) -> String {
    p.strip_prefix(root)
        .ok()
        .and_then(path_to_slash)
        .unwrap_or_else(|| p.to_string_lossy().replace('\\', "/"))
}

/// Reads the files of `found` as text, in parallel, keeping their order. The paths of
/// files that cannot be read go to `unreadable`.
fn read_all(
    found: &[Found],
    unreadable: &mut Vec<String>,
    diags: &mut Diagnostics,
) -> Vec<Option<SourceRef>> {
    let results: Vec<Result<SourceRef, Diagnostic>> = found
        .par_iter()
        .map(|f| {
            let bytes = std::fs::read(&f.absolute).map_err(|e| {
                Diagnostic::error(format!("cannot read {}: {}", f.site_rel, io_reason(&e)))
                    .in_file(&f.site_rel)
            })?;
            text::decode(&f.site_rel, bytes)
        })
        .collect();
    results
        .into_iter()
        .zip(found)
        .map(|(r, f)| match r {
            Ok(s) => Some(s),
            Err(d) => {
                diags.push(d);
                unreadable.push(f.site_rel.clone());
                None
            }
        })
        .collect()
}

fn assets(found: Vec<Found>, prefix: &str) -> Vec<AssetFile> {
    found
        .into_iter()
        .map(|f| AssetFile {
            output_path: format!("{prefix}{}", f.rel_in_folder),
            site_path: f.site_rel,
            absolute: f.absolute,
        })
        .collect()
}

/// Reads the site folder. `output` is excluded when it lies inside the site; `theme` is
/// the local theme folder name, if any.
pub fn load_site(
    root: &Path,
    output: Option<&Path>,
    theme: Option<&str>,
    diags: &mut Diagnostics,
) -> SiteFiles {
    let mut files = SiteFiles {
        root: root.to_path_buf(),
        ..Default::default()
    };
    match read_text(root, "charter.md") {
        Ok(Some(s)) => files.charter = Some(s),
        Ok(None) => diags.push(
            Diagnostic::error("the site has no `charter.md`")
                .with_help("create charter.md with `+++` front matter holding at least `name`; `shequn new` makes a starter site"),
        ),
        Err(d) => diags.push(d),
    }
    // The folders are walked at once, each on a core; their messages keep this order.
    let mut walks: Vec<(Vec<Found>, Diagnostics)> = RECORD_FOLDERS
        .par_iter()
        .map(|&folder| (folder, 1))
        .chain(
            [
                ("content", usize::MAX),
                ("static", usize::MAX),
                ("templates", usize::MAX),
            ]
            .into_par_iter(),
        )
        .map(|(folder, depth)| {
            let mut found_diags = Diagnostics::new();
            let found = walk(root, folder, depth, output, &mut found_diags);
            (found, found_diags)
        })
        .collect::<Vec<_>>();
    let mut walked = walks.drain(..);
    let mut next_walk = |diags: &mut Diagnostics| {
        let (found, found_diags) = walked.next().unwrap_or_default();
        diags.extend(found_diags);
        found
    };
    for folder in RECORD_FOLDERS {
        let found = next_walk(diags);
        let (records, others): (Vec<Found>, Vec<Found>) = found
            .into_iter()
            .partition(|f| f.rel_in_folder.ends_with(".toml"));
        let texts = read_all(&records, &mut files.unreadable, diags);
        let sources: Vec<RecordSource> = records
            .iter()
            .zip(texts)
            .filter_map(|(f, s)| {
                let stem = f.rel_in_folder.trim_end_matches(".toml").to_string();
                s.map(|source| RecordSource { stem, source })
            })
            .collect();
        files.record_assets.extend(assets(
            readable(portable(others, diags), diags),
            &format!("{folder}/"),
        ));
        match folder {
            "members" => files.members = sources,
            "speakers" => files.speakers = sources,
            "chapters" => files.chapters = sources,
            "series" => files.series = sources,
            _ => files.events = sources,
        }
    }
    let content = next_walk(diags);
    let (pages, others): (Vec<Found>, Vec<Found>) = content
        .into_iter()
        .partition(|f| f.rel_in_folder.ends_with(".md"));
    files.content = read_all(&pages, &mut files.unreadable, diags)
        .into_iter()
        .flatten()
        .collect();
    files.content_assets = assets(readable(portable(others, diags), diags), "");
    let static_files = next_walk(diags);
    files.static_files = assets(readable(portable(static_files, diags), diags), "");
    let templates = next_walk(diags);
    let templates = portable(templates, diags);
    files.templates = named_texts(&templates, diags);
    if let Some(theme) = theme {
        let base = format!("themes/{theme}");
        if !root.join(&base).is_dir() {
            diags.push(
                Diagnostic::error(format!(
                    "theme `{theme}` not found: there is no folder `{base}`"
                ))
                .with_help(
                    "set `theme = \"default\"` for the built-in theme, or run `shequn theme eject`",
                ),
            );
        } else {
            let t = walk(
                root,
                &format!("{base}/templates"),
                usize::MAX,
                output,
                diags,
            );
            files.theme_templates = named_texts(&t, diags);
            let theme_static = walk(root, &format!("{base}/static"), usize::MAX, output, diags);
            files.theme_static = assets(readable(portable(theme_static, diags), diags), "");
            let i18n = walk(root, &format!("{base}/i18n"), 1, output, diags);
            files.theme_i18n = named_texts(&i18n, diags);
        }
    }
    // Every text file is checked for control characters; each one found is an error,
    // and the file is still parsed so that its other problems are found in this run.
    let texts = files
        .charter
        .iter()
        .chain(
            [
                &files.members,
                &files.speakers,
                &files.chapters,
                &files.series,
                &files.events,
            ]
            .into_iter()
            .flatten()
            .map(|r| &r.source),
        )
        .chain(&files.content)
        .chain(
            files
                .templates
                .iter()
                .chain(&files.theme_templates)
                .chain(&files.theme_i18n)
                .map(|(_, s)| s),
        );
    let texts: Vec<&SourceRef> = texts.collect();
    let found: Vec<Vec<Diagnostic>> = texts
        .par_iter()
        .map(|s| text::control_characters(s))
        .collect();
    diags.extend(found.into_iter().flatten());
    files
}

fn named_texts(found: &[Found], diags: &mut Diagnostics) -> Vec<(String, SourceRef)> {
    // Templates and UI strings are not named by id, so their paths are not kept.
    let texts = read_all(found, &mut Vec::new(), diags);
    found
        .iter()
        .zip(texts)
        .filter_map(|(f, s)| s.map(|s| (f.rel_in_folder.clone(), s)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn editor_droppings_are_ignored() {
        for name in [
            ".#a.md",
            "#a.md#",
            "a.md~",
            ".a.md.swp",
            ".a.md.swx",
            "4913",
            "a.md.bck",
            "a.md.tmp",
            ".DS_Store",
            "Thumbs.db",
            "a.md.crswap",
            "a.md___jb_tmp___",
            "a.md___jb_old___",
            "~$report.docx",
            "a.md.kate-swp",
        ] {
            assert!(is_ignored_name(name), "{name}");
        }
        assert!(!is_ignored_name("a.md"));
        assert!(!is_ignored_name("li-lei.toml"));
    }
}
