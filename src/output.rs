//! The output stage: where the built bytes go. `build` writes into a staging folder
//! beside the output folder and swaps it in only when the whole build succeeded, so a
//! failed build leaves the previous output untouched and a successful one leaves no
//! stale file. Before anything is written, output folders that could hold the user's
//! own work are refused (SPEC §5). `check` writes nowhere (`NullSink`).

// A `Diagnostic` is the error type throughout; errors are rare, so its size on the
// error path costs nothing worth boxing for.
#![allow(clippy::result_large_err)]

use std::path::{Component, Path, PathBuf};

use crate::diag::Diagnostic;
use crate::load::{io_reason, AssetFile, RECORD_FOLDERS};

/// Marks a folder as shequn's output, so that a later build may replace it. Any other
/// non-empty folder is refused, because replacing it would delete someone's files.
pub const MARKER: &str = ".shequn-output";

/// Where rendered files go. Writes come from several threads at once.
pub trait Sink: Sync {
    /// Writes `bytes` at `path` (forward slashes, relative to the output root).
    fn write(&self, path: &str, bytes: &[u8]) -> Result<(), String>;
}

/// Discards everything: `shequn check`.
pub struct NullSink;

impl Sink for NullSink {
    fn write(&self, _path: &str, _bytes: &[u8]) -> Result<(), String> {
        Ok(())
    }
}

/// Writes into a folder on disk.
pub struct DirSink {
    root: PathBuf,
    /// The folder name shown in messages instead of the staging folder's.
    shown_as: String,
}

impl DirSink {
    fn target(&self, path: &str) -> Result<PathBuf, String> {
        // Every path comes from the plan, which only makes paths of checked segments;
        // this check keeps that promise even if a later change breaks it.
        let rel = Path::new(path);
        if rel.components().any(|c| !matches!(c, Component::Normal(_))) || path.contains('\\') {
            return Err(format!(
                "refusing to write `{path}` outside the output folder"
            ));
        }
        Ok(self.root.join(rel))
    }
}

impl Sink for DirSink {
    fn write(&self, path: &str, bytes: &[u8]) -> Result<(), String> {
        let target = self.target(path)?;
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent).map_err(|e| {
                format!(
                    "cannot create {}/{}: {}",
                    self.shown_as,
                    parent_rel(path),
                    io_reason(&e)
                )
            })?;
        }
        std::fs::write(&target, bytes)
            .map_err(|e| format!("cannot write {}/{path}: {}", self.shown_as, io_reason(&e)))
    }
}

fn parent_rel(path: &str) -> &str {
    path.rsplit_once('/').map_or("", |(p, _)| p)
}

/// Absolute, with `.` and `..` resolved as far as the folder exists.
fn absolute(path: &Path) -> PathBuf {
    if let Ok(p) = std::fs::canonicalize(path) {
        return p;
    }
    let abs = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir().unwrap_or_default().join(path)
    };
    match (abs.parent(), abs.file_name()) {
        (Some(parent), Some(name)) => absolute(parent).join(name),
        _ => abs,
    }
}

/// Refuses an output folder that is the site, holds it, is one of its source folders,
/// holds a site or a repository, is a symbolic link, or is a non-empty folder shequn did
/// not make.
pub fn check_output_folder(site: &Path, output: &Path) -> Result<(), Diagnostic> {
    let site_abs = absolute(site);
    let shown = output.display().to_string();
    let out_abs = absolute(output);
    let refuse = |why: String, help: &str| {
        Err(Diagnostic::error(format!(
            "refusing to use `{shown}` as the output folder: {why}"
        ))
        .with_help(help))
    };
    if out_abs == site_abs {
        return refuse(
            "it is the site folder".into(),
            "choose a folder such as `public`",
        );
    }
    if site_abs.starts_with(&out_abs) {
        return refuse(
            "it contains the site folder".into(),
            "choose a folder such as `public`",
        );
    }
    if let Ok(rel) = out_abs.strip_prefix(&site_abs) {
        let first = rel
            .components()
            .next()
            .and_then(|c| c.as_os_str().to_str())
            .unwrap_or("");
        let sources = ["content", "static", "templates", "themes", ".git"];
        if sources.contains(&first) || RECORD_FOLDERS.contains(&first) {
            return refuse(
                format!("it is inside the site's `{first}` folder, which holds your sources"),
                "choose a folder such as `public`",
            );
        }
    }
    if let Ok(meta) = std::fs::symlink_metadata(output) {
        if meta.file_type().is_symlink() {
            return refuse(
                "it is a symbolic link".into(),
                "point --output at a real folder",
            );
        }
        if !meta.is_dir() {
            return refuse("it is a file, not a folder".into(), "choose another path");
        }
        for name in ["shequn.toml", "charter.md", ".git"] {
            if output.join(name).exists() {
                return refuse(
                    format!("it holds `{name}`, so it looks like a site or a repository"),
                    "choose an empty folder or one shequn built before",
                );
            }
        }
        let is_empty = std::fs::read_dir(output)
            .map(|mut d| d.next().is_none())
            .unwrap_or(false);
        if !is_empty && !output.join(MARKER).exists() {
            return refuse(
                "it is not empty and shequn did not create it".into(),
                "choose another folder, or empty this one yourself if its files can go",
            );
        }
    }
    Ok(())
}

/// A build in progress: a staging folder beside the output folder.
pub struct Staging {
    output: PathBuf,
    staging: PathBuf,
    old: PathBuf,
}

impl Staging {
    /// The staging folder and the folder the previous output is moved aside to, beside
    /// the output folder.
    fn siblings(output: &Path) -> (PathBuf, String, PathBuf, PathBuf) {
        let output = absolute(output);
        let name = output
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("public")
            .to_string();
        let parent = output
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from("."));
        let staging = parent.join(format!(".{name}.shequn-staging"));
        let old = parent.join(format!(".{name}.shequn-old"));
        (parent, name, staging, old)
    }

    /// Removes the folders an interrupted build left beside the output folder. Every
    /// build does it first, also one that then fails on its input, so that a half-written
    /// site never waits where a deploy could pick it up.
    pub fn remove_leftovers(output: &Path) -> Result<(), Diagnostic> {
        let (_, _, staging, old) = Staging::siblings(output);
        for leftover in [&staging, &old] {
            if std::fs::symlink_metadata(leftover).is_ok() {
                std::fs::remove_dir_all(leftover).map_err(|e| {
                    Diagnostic::error(format!(
                        "cannot remove the leftover {}: {}",
                        leftover.display(),
                        io_reason(&e)
                    ))
                })?;
            }
        }
        Ok(())
    }

    /// Creates the staging folder, removing one that an interrupted build left behind.
    pub fn begin(output: &Path) -> Result<(Staging, DirSink), Diagnostic> {
        let (parent, name, staging, old) = Staging::siblings(output);
        let output = absolute(output);
        let fail = |what: &str, path: &Path, e: std::io::Error| {
            Diagnostic::error(format!(
                "cannot {what} {}: {}",
                path.display(),
                io_reason(&e)
            ))
        };
        std::fs::create_dir_all(&parent).map_err(|e| fail("create", &parent, e))?;
        Staging::remove_leftovers(&output)?;
        std::fs::create_dir(&staging).map_err(|e| fail("create", &staging, e))?;
        let sink = DirSink {
            root: staging.clone(),
            shown_as: name,
        };
        Ok((
            Staging {
                output,
                staging,
                old,
            },
            sink,
        ))
    }

    /// Copies files that are published as they are.
    pub fn copy_assets(
        &self,
        assets: &[AssetFile],
        builtin: &[(String, &'static [u8])],
        sink: &DirSink,
    ) -> Vec<Diagnostic> {
        use rayon::prelude::*;
        let mut errors: Vec<Diagnostic> = assets
            .par_iter()
            .filter_map(|a| {
                let result = std::fs::read(&a.absolute)
                    .map_err(|e| format!("cannot read {}: {}", a.site_path, io_reason(&e)))
                    .and_then(|bytes| sink.write(&a.output_path, &bytes));
                result.err().map(Diagnostic::error)
            })
            .collect();
        for (path, bytes) in builtin {
            if let Err(e) = sink.write(path, bytes) {
                errors.push(Diagnostic::error(e));
            }
        }
        errors
    }

    /// Swaps the staging folder in as the output folder.
    pub fn commit(self) -> Result<(), Diagnostic> {
        let fail = |what: String, e: std::io::Error| {
            Diagnostic::error(format!("{what}: {}", io_reason(&e)))
        };
        std::fs::write(
            self.staging.join(MARKER),
            "This folder was built by shequn; the next build replaces it.\n",
        )
        .map_err(|e| {
            fail(
                format!("cannot write {}", self.staging.join(MARKER).display()),
                e,
            )
        })?;
        let had_output = self.output.exists();
        if had_output {
            std::fs::rename(&self.output, &self.old)
                .map_err(|e| fail(format!("cannot move {} aside", self.output.display()), e))?;
        }
        if let Err(e) = std::fs::rename(&self.staging, &self.output) {
            if had_output {
                let _ = std::fs::rename(&self.old, &self.output);
            }
            return Err(fail(
                format!("cannot move the new build into {}", self.output.display()),
                e,
            ));
        }
        if had_output {
            remove_tree_in_parallel(&self.old).map_err(|e| {
                fail(
                    format!("cannot remove the previous build {}", self.old.display()),
                    e,
                )
            })?;
        }
        Ok(())
    }

    /// Removes the staging folder after a failed build; the output is untouched.
    pub fn abort(self) {
        let _ = std::fs::remove_dir_all(&self.staging);
    }
}

/// Removes a folder tree, the entries two levels down in parallel (`members/*/` holds
/// most of a large site): removing the previous build is the only extra work a rebuild
/// does, and on 2 cores this halves it.
fn remove_tree_in_parallel(root: &Path) -> std::io::Result<()> {
    use rayon::prelude::*;
    let remove = |path: &PathBuf| -> std::io::Result<()> {
        if std::fs::symlink_metadata(path)?.is_dir() {
            std::fs::remove_dir_all(path)
        } else {
            std::fs::remove_file(path)
        }
    };
    let top: Vec<PathBuf> = std::fs::read_dir(root)?
        .map(|e| e.map(|e| e.path()))
        .collect::<Result<_, _>>()?;
    let mut second = Vec::new();
    for path in &top {
        if std::fs::symlink_metadata(path)?.is_dir() {
            for entry in std::fs::read_dir(path)? {
                second.push(entry?.path());
            }
        }
    }
    second.par_iter().try_for_each(remove)?;
    top.par_iter().try_for_each(remove)?;
    std::fs::remove_dir(root)
}
