//! The output stage: where the built bytes go. `build` writes into a staging folder
//! beside the output folder and swaps it in only when the whole build succeeded, so a
//! failed build leaves the previous output untouched and a successful one leaves no
//! stale file. Before anything is written, output folders that could hold the user's
//! own work are refused (SPEC §5). `check` writes nowhere (`NullSink`).
//!
//! The swap is one atomic step on Linux (`renameat2` with `RENAME_EXCHANGE`) and macOS
//! (`renamex_np` with `RENAME_SWAP`): the output path names the complete old tree until
//! the instant it names the complete new one, whenever the build is killed. Then the old
//! tree, now at the staging path, is removed; a build killed during that removal leaves
//! the staging folder, which the next build removes. Elsewhere, or on a file system
//! without the exchange, the output is first renamed aside to `.NAME.shequn-old`: a
//! build killed between the two renames leaves no output folder, and the next build
//! puts the old one back before it starts.
//!
//! A rebuild does not write again what it wrote before: the marker file of the output
//! lists every file with its size and content hash, and a file whose new bytes match
//! is hard-linked from the previous output into the staging folder instead of written
//! (when the previous file is untouched since that build). Unchanged files keep their
//! modification time, which also spares a deploy by `rsync` from sending them again.

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

    /// Keeps the file that the previous build wrote at `path` as this build's, when the
    /// sink still has it; true if it did (then `write` is not called for it).
    fn keep(&self, _path: &str) -> bool {
        false
    }

    /// Keeps every file the previous build wrote directly in the folder `prefix` (ending
    /// in `/`), when the sink still has them all; how many, or `None` (then none is
    /// kept).
    fn keep_folder(&self, _prefix: &str) -> Option<usize> {
        None
    }
}

/// Discards everything: `shequn check`.
pub struct NullSink;

impl Sink for NullSink {
    fn write(&self, _path: &str, _bytes: &[u8]) -> Result<(), String> {
        Ok(())
    }
}

/// A file of a build held in memory.
#[derive(Debug, Clone)]
pub struct MemoryFile {
    pub bytes: std::sync::Arc<[u8]>,
    /// xxh3-128 of the bytes: what tells a changed file from an unchanged one.
    pub hash: u128,
    /// For a copied file: its source's modification time and size when it was read.
    stamp: Option<(std::time::SystemTime, u64)>,
}

/// Every file of a build, by path: what `serve` serves.
pub type MemoryFiles = std::collections::HashMap<String, MemoryFile>;

/// Keeps what is written in memory (`serve`). `keep` takes a file from the previous
/// build without copying its bytes.
pub struct MemorySink<'a> {
    previous: Option<&'a MemoryFiles>,
    files: std::sync::Mutex<MemoryFiles>,
}

impl<'a> MemorySink<'a> {
    pub fn new(previous: Option<&'a MemoryFiles>) -> MemorySink<'a> {
        MemorySink {
            previous,
            files: std::sync::Mutex::new(MemoryFiles::new()),
        }
    }

    fn insert(&self, path: &str, file: MemoryFile) {
        // A panic elsewhere while holding the lock leaves a map that is still whole.
        let mut files = self.files.lock().unwrap_or_else(|e| e.into_inner());
        files.insert(path.to_string(), file);
    }

    /// Reads the static files to copy, taking each from the previous build when its
    /// source has the same modification time and size as when that build read it.
    pub fn copy_assets(
        &self,
        assets: &[AssetFile],
        builtin: &[(String, &'static [u8])],
    ) -> Vec<Diagnostic> {
        use rayon::prelude::*;
        let mut errors: Vec<Diagnostic> = assets
            .par_iter()
            .filter_map(|a| {
                let fail = |e: std::io::Error| {
                    Diagnostic::error(format!("cannot read {}: {}", a.site_path, io_reason(&e)))
                };
                let stamp = match std::fs::metadata(&a.absolute)
                    .and_then(|m| Ok((m.modified()?, m.len())))
                {
                    Ok(stamp) => stamp,
                    Err(e) => return Some(fail(e)),
                };
                let old = self.previous.and_then(|p| p.get(&a.output_path));
                if let Some(old) = old.filter(|f| f.stamp == Some(stamp)) {
                    self.insert(&a.output_path, old.clone());
                    return None;
                }
                match std::fs::read(&a.absolute) {
                    Ok(bytes) => {
                        let hash = xxhash_rust::xxh3::xxh3_128(&bytes);
                        let file = MemoryFile {
                            bytes: bytes.into(),
                            hash,
                            stamp: Some(stamp),
                        };
                        self.insert(&a.output_path, file);
                        None
                    }
                    Err(e) => Some(fail(e)),
                }
            })
            .collect();
        for (path, bytes) in builtin {
            if let Err(e) = self.write(path, bytes) {
                errors.push(Diagnostic::error(e));
            }
        }
        errors
    }

    pub fn into_files(self) -> MemoryFiles {
        self.files.into_inner().unwrap_or_else(|e| e.into_inner())
    }
}

impl Sink for MemorySink<'_> {
    fn write(&self, path: &str, bytes: &[u8]) -> Result<(), String> {
        let hash = xxhash_rust::xxh3::xxh3_128(bytes);
        // An unchanged file shares the previous build's bytes.
        let same = self
            .previous
            .and_then(|p| p.get(path))
            .filter(|f| f.hash == hash && f.bytes.len() == bytes.len());
        let file = match same {
            Some(f) => f.clone(),
            None => MemoryFile {
                bytes: bytes.into(),
                hash,
                stamp: None,
            },
        };
        self.insert(path, file);
        Ok(())
    }

    fn keep(&self, path: &str) -> bool {
        match self.previous.and_then(|p| p.get(path)) {
            Some(file) => {
                self.insert(path, file.clone());
                true
            }
            None => false,
        }
    }

    fn keep_folder(&self, prefix: &str) -> Option<usize> {
        let previous = self.previous?;
        let mut kept = 0;
        for (path, file) in previous.iter().filter(|(p, _)| directly_in(p, prefix)) {
            self.insert(path, file.clone());
            kept += 1;
        }
        (kept > 0).then_some(kept)
    }
}

/// Whether `path` names a file directly in the folder `prefix` (ending in `/`): what
/// [`Sink::keep_folder`] keeps.
fn directly_in(path: &str, prefix: &str) -> bool {
    path.strip_prefix(prefix)
        .is_some_and(|name| !name.contains('/'))
}

/// Writes into a folder on disk.
pub struct DirSink {
    root: PathBuf,
    /// The folder name shown in messages instead of the staging folder's.
    shown_as: String,
    /// The output folder of the previous build and what it holds, to link from.
    previous: Option<Previous>,
    /// What was written, for the manifest of the new output.
    written: std::sync::Mutex<Vec<(String, ManifestEntry)>>,
    /// Files the previous build has as they are now: linked from it when the build is
    /// committed (see [`Staging::commit`]), not when they are written.
    unchanged: std::sync::Mutex<Vec<(String, ManifestEntry)>>,
    /// The first error that every later write would repeat (a full disk, a quota, a
    /// read-only file system): later writes return it instead of trying, so the build
    /// reports it once rather than once per page.
    stopped: std::sync::OnceLock<String>,
    folders: Folders,
}

/// The folders made so far in the staging folder: a file in a folder already made
/// costs no `mkdir`, which would fail, and no `stat` to learn why (a third of the
/// files share a folder with another).
#[derive(Default)]
struct Folders {
    made: std::sync::Mutex<std::collections::HashSet<PathBuf>>,
}

impl Folders {
    /// Makes `folder` and its parents unless it was made before.
    fn make(&self, folder: &Path) -> std::io::Result<()> {
        let made = || self.made.lock().unwrap_or_else(|e| e.into_inner());
        if made().contains(folder) {
            return Ok(());
        }
        std::fs::create_dir_all(folder)?;
        made().insert(folder.to_path_buf());
        Ok(())
    }
}

impl DirSink {
    fn target(&self, path: &str) -> Result<PathBuf, String> {
        // Every path comes from the plan, which only makes paths of checked segments;
        // this check keeps that promise even if a later change breaks it.
        let rel = Path::new(path);
        // `components()` drops `.` and empty segments, which would let two spellings
        // name one file: they are refused too.
        let odd_segment = path.split('/').any(|s| s.is_empty() || s == ".");
        if rel.components().any(|c| !matches!(c, Component::Normal(_)))
            || path.contains('\\')
            || odd_segment
        {
            return Err(format!(
                "refusing to write `{path}` outside the output folder"
            ));
        }
        Ok(self.root.join(rel))
    }
}

impl Sink for DirSink {
    fn write(&self, path: &str, bytes: &[u8]) -> Result<(), String> {
        if let Some(first) = self.stopped.get() {
            return Err(first.clone());
        }
        let target = self.target(path)?;
        let entry = ManifestEntry {
            size: bytes.len() as u64,
            hash: xxhash_rust::xxh3::xxh3_128(bytes),
        };
        if self.previous.as_ref().is_some_and(|p| p.has(path, &entry)) {
            self.record_unchanged(path, entry);
            return Ok(());
        }
        let stop = |e: &std::io::Error, message: String| {
            if !is_disk_wide(e) {
                return message;
            }
            // Two writes can meet a full disk at the same moment: the second reports the
            // first one's message, so that the build reports it once.
            match self.stopped.set(message.clone()) {
                Ok(()) => message,
                Err(_) => self.stopped.get().cloned().unwrap_or(message),
            }
        };
        if let Some(parent) = target.parent() {
            self.folders.make(parent).map_err(|e| {
                let message = format!(
                    "cannot create {}/{}: {}",
                    self.shown_as,
                    parent_rel(path),
                    io_reason(&e)
                );
                stop(&e, message)
            })?;
        }
        std::fs::write(&target, bytes).map_err(|e| {
            let message = format!("cannot write {}/{path}: {}", self.shown_as, io_reason(&e));
            stop(&e, message)
        })?;
        self.record(path, entry);
        Ok(())
    }

    fn keep(&self, path: &str) -> bool {
        let Some(previous) = &self.previous else {
            return false;
        };
        let Some(entry) = previous.files.get(path).map(|f| f.entry) else {
            return false;
        };
        if self.stopped.get().is_some() || self.target(path).is_err() {
            return false;
        }
        if previous.has(path, &entry) {
            self.record_unchanged(path, entry);
            return true;
        }
        false
    }

    fn keep_folder(&self, prefix: &str) -> Option<usize> {
        use rayon::prelude::*;
        let previous = self.previous.as_ref()?;
        if self.stopped.get().is_some() {
            return None;
        }
        // Only files directly in the folder, and the folder and those above it real
        // folders, not symbolic links: the manifest is a file anyone can edit, and a
        // link would publish what it points to.
        let real_folder = |rel: &str| {
            std::fs::symlink_metadata(previous.root.join(rel)).is_ok_and(|m| m.is_dir())
        };
        let mut above = prefix.trim_end_matches('/');
        loop {
            if !real_folder(above) {
                return None;
            }
            match above.rsplit_once('/') {
                Some((parent, _)) => above = parent,
                None => break,
            }
        }
        let files: Vec<(&String, ManifestEntry)> = previous
            .files
            .iter()
            .filter(|(p, _)| directly_in(p, prefix))
            .map(|(p, f)| (p, f.entry))
            .collect();
        // The paths come from the previous manifest, a file in the output folder that
        // anyone could edit: each must stay inside the folder, as a written path does.
        let all_there = files
            .par_iter()
            .all(|(p, entry)| self.target(p).is_ok() && previous.has(p, entry));
        if files.is_empty() || !all_there {
            return None;
        }
        for (path, entry) in &files {
            self.record_unchanged(path, *entry);
        }
        Some(files.len())
    }
}

impl DirSink {
    /// What the previous build's pages were rendered from, as its manifest lists it:
    /// the fingerprint of the templates and site-wide values, and each page's.
    pub fn previous_fingerprints(&self) -> Option<(u128, std::collections::HashMap<String, u128>)> {
        let previous = self.previous.as_ref()?;
        let global = previous.rendered_with?;
        let pages = previous
            .files
            .iter()
            .filter_map(|(path, f)| Some((path.clone(), f.fingerprint?)))
            .collect();
        Some((global, pages))
    }

    fn record(&self, path: &str, entry: ManifestEntry) {
        // A panic elsewhere while holding the lock leaves a list that is still whole.
        let mut written = self.written.lock().unwrap_or_else(|e| e.into_inner());
        written.push((path.to_string(), entry));
    }

    fn record_unchanged(&self, path: &str, entry: ManifestEntry) {
        self.record(path, entry);
        let mut unchanged = self.unchanged.lock().unwrap_or_else(|e| e.into_inner());
        unchanged.push((path.to_string(), entry));
    }
}

/// A file of a build as the manifest lists it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct ManifestEntry {
    size: u64,
    hash: u128,
}

/// First line of the marker file; the manifest follows it.
const MARKER_TEXT: &str = "This folder was built by shequn; the next build replaces it.\n";
const MANIFEST_HEADER: &str =
    "# size, xxh3-128 of the bytes, fingerprint of what a page was rendered from (or -), path\n";
/// Starts the line with the fingerprint of the templates and site-wide values.
const RENDERED_WITH: &str = "rendered-with ";

/// A file of the previous build, as its manifest lists it.
struct PreviousFile {
    entry: ManifestEntry,
    fingerprint: Option<u128>,
}

/// What a page was rendered from, for the manifest: the fingerprints of the templates and
/// site-wide values and of each page's template and context.
pub struct RenderedFrom<'a> {
    pub global: u128,
    pub pages: &'a std::collections::HashMap<String, u128>,
}

/// The previous output folder and its manifest.
struct Previous {
    root: PathBuf,
    files: std::collections::HashMap<String, PreviousFile>,
    rendered_with: Option<u128>,
    /// When the previous build finished (the marker's modification time): a file
    /// changed after it is not the file the manifest describes.
    finished: std::time::SystemTime,
}

impl Previous {
    /// Reads the manifest in the marker of `output`, if it has a readable one.
    fn read(output: &Path) -> Option<Previous> {
        let marker = output.join(MARKER);
        let finished = std::fs::symlink_metadata(&marker).ok()?.modified().ok()?;
        let text = std::fs::read_to_string(&marker).ok()?;
        let list = text
            .strip_prefix(MARKER_TEXT)?
            .strip_prefix(MANIFEST_HEADER)?;
        let mut lines = list.lines().peekable();
        let rendered_with = match lines.peek().and_then(|l| l.strip_prefix(RENDERED_WITH)) {
            Some(hex) => {
                let global = u128::from_str_radix(hex, 16).ok()?;
                lines.next();
                Some(global)
            }
            None => None,
        };
        let mut files = std::collections::HashMap::new();
        for line in lines {
            let mut parts = line.splitn(4, ' ');
            let size = parts.next()?.parse().ok()?;
            let hash = u128::from_str_radix(parts.next()?, 16).ok()?;
            let fingerprint = match parts.next()? {
                "-" => None,
                hex => Some(u128::from_str_radix(hex, 16).ok()?),
            };
            let entry = ManifestEntry { size, hash };
            files.insert(
                parts.next()?.to_string(),
                PreviousFile { entry, fingerprint },
            );
        }
        Some(Previous {
            root: output.to_path_buf(),
            files,
            rendered_with,
            finished,
        })
    }

    /// Whether the previous build's file at `path` holds the bytes described by `entry`
    /// and nobody changed it since.
    fn has(&self, path: &str, entry: &ManifestEntry) -> bool {
        if self.files.get(path).map(|f| &f.entry) != Some(entry) {
            return false;
        }
        std::fs::symlink_metadata(self.root.join(path)).is_ok_and(|meta| {
            meta.is_file()
                && meta.len() == entry.size
                && meta.modified().is_ok_and(|m| m <= self.finished)
        })
    }

    /// Puts the previous build's file at `path` into the staging folder `root`: a hard
    /// link, or a copy where the two folders cannot share a file (another file system
    /// mounted on the output folder).
    fn link_into(&self, root: &Path, path: &str, folders: &Folders) -> std::io::Result<()> {
        let (source, target) = (self.root.join(path), root.join(path));
        if let Some(parent) = target.parent() {
            folders.make(parent)?;
        }
        match std::fs::hard_link(&source, &target) {
            // Only when the two folders cannot share a file: a copy onto a link of the
            // same file would empty it.
            Err(e) if e.kind() == std::io::ErrorKind::CrossesDevices => {
                std::fs::copy(&source, &target).map(|_| ())
            }
            other => other,
        }
    }

    /// Whether `output` holds the files of `written` and nothing else but the marker:
    /// no file a person or another program put there since.
    fn holds_only(&self, written: &[(String, ManifestEntry)]) -> bool {
        let mut folders = std::collections::HashSet::new();
        for (path, _) in written {
            let mut rest = path.as_str();
            while let Some((parent, _)) = rest.rsplit_once('/') {
                if !folders.insert(parent) {
                    break;
                }
                rest = parent;
            }
        }
        let files: std::collections::HashSet<&str> =
            written.iter().map(|(p, _)| p.as_str()).collect();
        let expected = |entry: walkdir::Result<walkdir::DirEntry>| {
            let Ok(entry) = entry else { return false };
            let rel = entry.path().strip_prefix(&self.root).ok();
            let Some(rel) = rel.and_then(|r| r.to_str()) else {
                return false;
            };
            if entry.file_type().is_dir() {
                folders.contains(rel)
            } else {
                rel == MARKER || (entry.file_type().is_file() && files.contains(rel))
            }
        };
        // One walk per top-level entry, on all cores: `members/` alone is most of a site.
        use rayon::prelude::*;
        let Ok(top) = std::fs::read_dir(&self.root).and_then(|d| d.collect::<Result<Vec<_>, _>>())
        else {
            return false;
        };
        top.par_iter()
            .all(|e| walkdir::WalkDir::new(e.path()).into_iter().all(expected))
    }
}

/// Errors that every further write to the same folder would meet too.
fn is_disk_wide(e: &std::io::Error) -> bool {
    use std::io::ErrorKind::*;
    matches!(
        e.kind(),
        StorageFull | QuotaExceeded | ReadOnlyFilesystem | FileTooLarge
    )
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
        // A build killed between the two renames of the fallback swap left the previous
        // output aside and none in place: put it back, so this build replaces it as usual.
        if std::fs::symlink_metadata(output).is_err() && old.join(MARKER).is_file() {
            std::fs::rename(&old, output).map_err(|e| {
                Diagnostic::error(format!(
                    "cannot restore {} from {}: {}",
                    output.display(),
                    old.display(),
                    io_reason(&e)
                ))
            })?;
        }
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
            stopped: std::sync::OnceLock::new(),
            previous: Previous::read(&output),
            written: std::sync::Mutex::new(Vec::new()),
            unchanged: std::sync::Mutex::new(Vec::new()),
            folders: Folders::default(),
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

    /// Swaps the staging folder in as the output folder. The marker written into it
    /// lists what `sink` wrote, and what each page was rendered from, for the next build.
    pub fn commit(
        self,
        sink: DirSink,
        rendered: Option<RenderedFrom<'_>>,
    ) -> Result<(), Diagnostic> {
        let fail = |what: String, e: std::io::Error| {
            Diagnostic::error(format!("{what}: {}", io_reason(&e)))
        };
        let DirSink {
            written,
            unchanged,
            previous,
            folders,
            ..
        } = sink;
        let mut written = written.into_inner().unwrap_or_else(|e| e.into_inner());
        written.sort_by(|a, b| a.0.cmp(&b.0));
        let unchanged = unchanged.into_inner().unwrap_or_else(|e| e.into_inner());
        let mut marker = String::with_capacity(written.len() * 80 + 100);
        marker.push_str(MARKER_TEXT);
        marker.push_str(MANIFEST_HEADER);
        use std::fmt::Write as _;
        if let Some(rendered) = &rendered {
            let _ = writeln!(marker, "{RENDERED_WITH}{:032x}", rendered.global);
        }
        for (path, entry) in &written {
            let fingerprint = rendered
                .as_ref()
                .and_then(|r| r.pages.get(path))
                .map_or("-".to_string(), |f| format!("{f:032x}"));
            let _ = writeln!(
                marker,
                "{} {:032x} {fingerprint} {path}",
                entry.size, entry.hash
            );
        }
        // Until the swap, a failure leaves the output as it was and the staging folder
        // is removed, so that a full disk does not stay full.
        let prepared = (|| {
            let marker_path = self.staging.join(MARKER);
            std::fs::write(&marker_path, marker)
                .map_err(|e| fail(format!("cannot write {}", marker_path.display()), e))?;
            let Some(previous) = &previous else {
                return Ok(false);
            };
            // The files taken for unchanged were checked when they were written; the
            // build took a while, so they are checked again now.
            use rayon::prelude::*;
            let touched = unchanged
                .par_iter()
                .find_any(|(path, entry)| !previous.has(path, entry));
            if let Some((path, _)) = touched {
                return Err(Diagnostic::error(format!(
                    "{} changed while the site was being built",
                    self.output.join(path).display()
                ))
                .with_help("build again"));
            }
            if self.update_in_place(previous, &written, &unchanged)? {
                return Ok(true);
            }
            unchanged
                .par_iter()
                .try_for_each(|(path, _)| {
                    previous
                        .link_into(&self.staging, path, &folders)
                        .map_err(|e| (path, e))
                })
                .map_err(|(path, e)| {
                    fail(
                        format!("cannot link {path} from the previous build into the new one"),
                        e,
                    )
                })?;
            Ok(false)
        })();
        match prepared {
            Ok(true) => return Ok(()),
            Ok(false) => {}
            Err(d) => {
                self.abort();
                return Err(d);
            }
        }
        let had_output = self.output.exists();
        if had_output {
            match exchange(&self.staging, &self.output) {
                Ok(()) => {
                    // The staging path now holds the previous build.
                    return remove_tree_in_parallel(&self.staging).map_err(|e| {
                        fail(
                            format!(
                                "cannot remove the previous build {}",
                                self.staging.display()
                            ),
                            e,
                        )
                    });
                }
                // No atomic exchange here: rename aside, then into place.
                Err(e) if is_unsupported(&e) => {}
                Err(e) => {
                    return Err(fail(
                        format!("cannot swap the new build into {}", self.output.display()),
                        e,
                    ))
                }
            }
        }
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

    /// A rebuild whose files are the previous build's but one (the build record, which
    /// holds the time of the build, or none with `--now`) exchanges that file with its
    /// previous version and then renames the manifest into place, and leaves the rest
    /// of the output folder as it is: no tree of links to make, none to remove. Still
    /// all old or all new: when the manifest cannot be renamed, the file is exchanged
    /// back; a build stopped between the two steps left a manifest older than the
    /// changed file, which is then not taken for unchanged (see [`Previous::has`]; on a
    /// file system that keeps modification times to the second, a rebuild within that
    /// second that reverts the change could take it for unchanged). Returns whether it
    /// did; without an atomic exchange it does not, and the new folder is swapped in.
    fn update_in_place(
        &self,
        previous: &Previous,
        written: &[(String, ManifestEntry)],
        unchanged: &[(String, ManifestEntry)],
    ) -> Result<bool, Diagnostic> {
        let unchanged: std::collections::HashSet<&str> =
            unchanged.iter().map(|(p, _)| p.as_str()).collect();
        let fresh: Vec<&str> = written
            .iter()
            .map(|(p, _)| p.as_str())
            .filter(|p| !unchanged.contains(p))
            .collect();
        let same_files = written.len() == previous.files.len()
            && fresh.iter().all(|p| previous.files.contains_key(*p));
        if fresh.len() > 1 || !same_files {
            return Ok(false);
        }
        // The file replaced must be there to be exchanged (someone may have deleted it).
        let in_place = fresh
            .iter()
            .all(|p| std::fs::symlink_metadata(self.output.join(p)).is_ok_and(|m| m.is_file()));
        if !in_place || !previous.holds_only(written) {
            return Ok(false);
        }
        let fail = |path: &str, e: std::io::Error| {
            Diagnostic::error(format!(
                "cannot replace {}: {}",
                self.output.join(path).display(),
                io_reason(&e)
            ))
        };
        let swap = |path: &str| exchange(&self.staging.join(path), &self.output.join(path));
        if let Some(path) = fresh.first() {
            match swap(path) {
                Ok(()) => {}
                Err(e) if is_unsupported(&e) => return Ok(false),
                Err(e) => return Err(fail(path, e)),
            }
        }
        if let Err(e) = std::fs::rename(self.staging.join(MARKER), self.output.join(MARKER)) {
            if let Some(path) = fresh.first() {
                let _ = swap(path);
            }
            return Err(fail(MARKER, e));
        }
        let _ = std::fs::remove_dir_all(&self.staging);
        Ok(true)
    }

    /// Removes the staging folder after a failed build; the output is untouched.
    pub fn abort(self) {
        let _ = std::fs::remove_dir_all(&self.staging);
    }
}

/// Swaps two paths in one atomic step, so that each names the other's tree.
#[cfg(target_os = "linux")]
fn exchange(a: &Path, b: &Path) -> std::io::Result<()> {
    use std::os::unix::ffi::OsStrExt;
    let a = std::ffi::CString::new(a.as_os_str().as_bytes())?;
    let b = std::ffi::CString::new(b.as_os_str().as_bytes())?;
    // The raw system call: the glibc wrapper only exists from glibc 2.28, musl lacks it.
    // Safe: both paths are NUL-terminated strings that live across the call.
    let result = unsafe {
        libc::syscall(
            libc::SYS_renameat2,
            libc::AT_FDCWD,
            a.as_ptr(),
            libc::AT_FDCWD,
            b.as_ptr(),
            libc::RENAME_EXCHANGE,
        )
    };
    if result == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

/// Swaps two paths in one atomic step, so that each names the other's tree.
#[cfg(target_os = "macos")]
fn exchange(a: &Path, b: &Path) -> std::io::Result<()> {
    use std::os::unix::ffi::OsStrExt;
    let a = std::ffi::CString::new(a.as_os_str().as_bytes())?;
    let b = std::ffi::CString::new(b.as_os_str().as_bytes())?;
    // Safe: both paths are NUL-terminated strings that live across the call.
    let result = unsafe { libc::renamex_np(a.as_ptr(), b.as_ptr(), libc::RENAME_SWAP) };
    if result == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

/// No atomic exchange on this system: the caller falls back to two renames.
#[cfg(not(any(target_os = "linux", target_os = "macos")))]
fn exchange(_a: &Path, _b: &Path) -> std::io::Result<()> {
    Err(std::io::Error::from(std::io::ErrorKind::Unsupported))
}

/// Whether an exchange failed because the system or file system cannot do it (an old
/// kernel, a network or FUSE file system), rather than for a reason a retry would share.
fn is_unsupported(e: &std::io::Error) -> bool {
    #[cfg(unix)]
    if matches!(
        e.raw_os_error(),
        Some(libc::ENOSYS) | Some(libc::EINVAL) | Some(libc::ENOTSUP)
    ) {
        return true;
    }
    e.kind() == std::io::ErrorKind::Unsupported
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
