//! Watching the site folder for `serve`: a `notify` watcher (inotify, FSEvents, …) or,
//! when that cannot start or runs out of watches, a polling thread. It turns
//! raw file events into "something that matters changed", leaving editor droppings and
//! the output folder out; `serve.rs` decides when to rebuild.
//!
//! Editors save in many ways (BAD-INPUTS row 31): in place, to a temporary file renamed
//! over the original, vim's `4913` probe then backup-and-rename, delete-then-create.
//! The watch is on the folder tree, never on single files, so a file that is replaced
//! by a new inode stays watched, and every one of those patterns ends in an event for
//! the file's own path.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::Sender;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use notify::event::{AccessKind, AccessMode, EventKind};
use notify::{RecommendedWatcher, RecursiveMode, Watcher as _};

use crate::load::is_ignored_name;

/// How often the polling fallback looks at the files.
pub const POLL_INTERVAL: Duration = Duration::from_millis(500);

/// What the watcher tells the rebuild loop.
#[derive(Debug)]
pub enum WatchEvent {
    /// A file that may be part of the site changed (site-relative, `/`-separated).
    Changed(String),
    /// The native watcher reported an error; `limit` when it ran out of watches.
    Failed { message: String, limit: bool },
}

/// A running watcher; dropping it stops watching.
pub struct Watcher {
    /// Held only to keep the native watch alive.
    _native: Option<RecommendedWatcher>,
    poller: Option<Poller>,
}

impl Watcher {
    pub fn is_polling(&self) -> bool {
        self.poller.is_some()
    }
}

/// Starts watching `root`. Falls back to polling when `force_poll` is set or the native
/// watcher cannot start; the second value says why it fell back.
pub fn start(
    root: &Path,
    ignored: IgnoredPaths,
    events: Sender<WatchEvent>,
    force_poll: bool,
) -> Result<(Watcher, Option<String>), String> {
    let root_abs = std::fs::canonicalize(root).unwrap_or_else(|_| root.to_path_buf());
    let reason = if force_poll {
        "polling was asked for (SHEQUN_WATCH=poll)".to_string()
    } else {
        let handler = handler(root_abs.clone(), ignored.clone(), events.clone());
        match RecommendedWatcher::new(handler, notify::Config::default()) {
            Ok(mut w) => match w.watch(&root_abs, RecursiveMode::Recursive) {
                Ok(()) => {
                    let watcher = Watcher {
                        _native: Some(w),
                        poller: None,
                    };
                    return Ok((watcher, None));
                }
                Err(e) => describe(&e),
            },
            Err(e) => describe(&e),
        }
    };
    start_polling(&root_abs, ignored, events).map(|w| (w, Some(reason)))
}

/// Starts polling (also used when the native watcher fails while running).
///
/// Our own poller rather than notify's `PollWatcher`: that one compares modification
/// times in whole seconds, so a second save within the same second went unseen. This
/// one compares modification time to the nanosecond, size and inode of every file.
pub fn start_polling(
    root: &Path,
    ignored: IgnoredPaths,
    events: Sender<WatchEvent>,
) -> Result<Watcher, String> {
    let root = std::fs::canonicalize(root).unwrap_or_else(|_| root.to_path_buf());
    let stop = Arc::new(AtomicBool::new(false));
    let stopped = stop.clone();
    let mut before = scan(&root, &ignored);
    std::thread::Builder::new()
        .name("serve-poll".into())
        .spawn(move || {
            while !stopped.load(Ordering::SeqCst) {
                std::thread::sleep(POLL_INTERVAL);
                let now = scan(&root, &ignored);
                let mut changed: Vec<&String> = now
                    .iter()
                    .filter(|(path, stamp)| before.get(*path) != Some(*stamp))
                    .map(|(path, _)| path)
                    .chain(before.keys().filter(|path| !now.contains_key(*path)))
                    .collect();
                changed.sort();
                for path in changed {
                    if events.send(WatchEvent::Changed(path.clone())).is_err() {
                        return;
                    }
                }
                before = now;
            }
        })
        .map_err(|e| format!("cannot start polling: {e}"))?;
    Ok(Watcher {
        _native: None,
        poller: Some(Poller { stop }),
    })
}

/// Stops its polling thread when dropped.
struct Poller {
    stop: Arc<AtomicBool>,
}

impl Drop for Poller {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}

/// What a poll compares: modification time, size, inode.
type Stamp = (Option<SystemTime>, u64, u64);

fn scan(root: &Path, ignored: &IgnoredPaths) -> HashMap<String, Stamp> {
    let mut files = HashMap::new();
    let walk = walkdir::WalkDir::new(root)
        .min_depth(1)
        .into_iter()
        .filter_entry(|e| ignored.relevant(root, e.path()).is_some());
    for entry in walk.flatten() {
        let Ok(meta) = entry.metadata() else { continue };
        if meta.is_dir() {
            continue;
        }
        let Some(rel) = ignored.relevant(root, entry.path()) else {
            continue;
        };
        files.insert(rel, (meta.modified().ok(), meta.len(), inode(&meta)));
    }
    files
}

#[cfg(unix)]
fn inode(meta: &std::fs::Metadata) -> u64 {
    std::os::unix::fs::MetadataExt::ino(meta)
}

#[cfg(not(unix))]
fn inode(_meta: &std::fs::Metadata) -> u64 {
    0
}

fn describe(e: &notify::Error) -> String {
    match &e.kind {
        notify::ErrorKind::MaxFilesWatch => {
            "the system's limit of watched folders is reached (on Linux, raise fs.inotify.max_user_watches)".to_string()
        }
        notify::ErrorKind::Io(io) if io.raw_os_error() == Some(28) => {
            "the system's limit of watched folders is reached (on Linux, raise fs.inotify.max_user_watches)".to_string()
        }
        _ => format!("the file watcher failed: {e}"),
    }
}

fn is_limit(e: &notify::Error) -> bool {
    match &e.kind {
        notify::ErrorKind::MaxFilesWatch => true,
        notify::ErrorKind::Io(io) => io.raw_os_error() == Some(28),
        _ => false,
    }
}

fn handler(
    root: PathBuf,
    ignored: IgnoredPaths,
    events: Sender<WatchEvent>,
) -> impl notify::EventHandler {
    move |result: notify::Result<notify::Event>| match result {
        Ok(event) => {
            // Opening or reading a file changes nothing; closing after a write does.
            if let EventKind::Access(kind) = event.kind {
                if kind != AccessKind::Close(AccessMode::Write) {
                    return;
                }
            }
            for path in &event.paths {
                if let Some(rel) = ignored.relevant(&root, path) {
                    let _ = events.send(WatchEvent::Changed(rel));
                }
            }
        }
        Err(e) => {
            let _ = events.send(WatchEvent::Failed {
                message: describe(&e),
                limit: is_limit(&e),
            });
        }
    }
}

/// Paths whose changes never cause a rebuild: the output folder, and any path with an
/// editor dropping or hidden name in it.
#[derive(Debug, Clone, Default)]
pub struct IgnoredPaths {
    /// Absolute folders to ignore (the site's output folder).
    pub folders: Vec<PathBuf>,
}

impl IgnoredPaths {
    /// The site-relative path of `path` when a change to it matters.
    pub fn relevant(&self, root: &Path, path: &Path) -> Option<String> {
        // An empty path would be a prefix of every path.
        if self
            .folders
            .iter()
            .any(|f| !f.as_os_str().is_empty() && path.starts_with(f))
        {
            return None;
        }
        let rel = path.strip_prefix(root).ok()?;
        let mut parts = Vec::new();
        for component in rel.components() {
            let name = component.as_os_str().to_str()?;
            if is_editor_dropping(name) {
                return None;
            }
            parts.push(name);
        }
        Some(parts.join("/"))
    }
}

/// Names the loader never reads, plus temporary names editors use while saving that the
/// loader would read but that vanish a moment later (JetBrains' safe write).
pub fn is_editor_dropping(name: &str) -> bool {
    is_ignored_name(name) || name.ends_with("___jb_tmp___") || name.ends_with("___jb_old___")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn droppings_and_output_are_not_relevant() {
        let root = Path::new("/site");
        let ignored = IgnoredPaths {
            folders: vec![PathBuf::from("/site/public")],
        };
        for p in [
            "/site/members/4913",
            "/site/members/li.toml~",
            "/site/members/.li.toml.swp",
            "/site/.git/index",
            "/site/public/index.html",
            "/site/members/li.toml___jb_tmp___",
            "/elsewhere/x.toml",
        ] {
            assert_eq!(ignored.relevant(root, Path::new(p)), None, "{p}");
        }
        assert_eq!(
            ignored.relevant(root, Path::new("/site/members/li.toml")),
            Some("members/li.toml".to_string())
        );
    }
}
