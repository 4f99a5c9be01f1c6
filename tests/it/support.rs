//! The test helper: copies a fixture site to a temporary folder, runs the built
//! `shequn` on it with a fixed `--now`, and gives the test the exit code, stderr with
//! temporary paths replaced by `[TMP]`, and the output files.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

/// The fixed "now" of every test build.
pub const NOW: &str = "2026-11-23T12:00:00Z";

/// A fixture site copied to `TMP/site`; builds write to `TMP/public` unless told otherwise.
pub struct Site {
    tmp: Arc<tempfile::TempDir>,
}

/// What one run of the binary did.
pub struct Run {
    pub code: i32,
    pub stderr: String,
    pub output: PathBuf,
    /// Keeps the temporary folder alive while the test reads the output.
    _tmp: Arc<tempfile::TempDir>,
}

impl Site {
    /// Copies `tests/sites/<name>` into a fresh temporary folder.
    pub fn fixture(name: &str) -> Site {
        let from = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/sites")
            .join(name);
        assert!(from.is_dir(), "no fixture site {}", from.display());
        let site = Site::empty();
        copy_dir(&from, &site.root());
        site
    }

    /// Copies the repository's `example-site/` into a fresh temporary folder.
    pub fn example() -> Site {
        let site = Site::empty();
        copy_dir(
            &Path::new(env!("CARGO_MANIFEST_DIR")).join("example-site"),
            &site.root(),
        );
        site
    }

    /// A temporary folder with an empty `site` folder in it.
    pub fn empty() -> Site {
        let tmp = tempfile::Builder::new()
            .prefix("shequn-it")
            .tempdir()
            .expect("create a temporary folder");
        std::fs::create_dir(tmp.path().join("site")).expect("create the site folder");
        Site { tmp: Arc::new(tmp) }
    }

    /// The temporary folder that holds `site/` and `public/`.
    pub fn tmp(&self) -> &Path {
        self.tmp.path()
    }

    /// The site folder.
    pub fn root(&self) -> PathBuf {
        self.tmp.path().join("site")
    }

    /// The default output folder of [`Site::build`].
    pub fn public(&self) -> PathBuf {
        self.tmp.path().join("public")
    }

    /// Writes (or replaces) a file of the site.
    pub fn write(&self, path: &str, text: &str) {
        let path = self.root().join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    /// Reads a file of the site.
    pub fn read(&self, path: &str) -> String {
        std::fs::read_to_string(self.root().join(path)).unwrap()
    }

    /// Replaces `from` with `to` in a file of the site; `from` must occur.
    pub fn edit(&self, path: &str, from: &str, to: &str) {
        let text = self.read(path);
        assert!(text.contains(from), "`{from}` is not in {path}");
        self.write(path, &text.replacen(from, to, 1));
    }

    pub fn remove(&self, path: &str) {
        std::fs::remove_file(self.root().join(path)).unwrap();
    }

    /// `shequn build --source site --output public --now NOW`.
    pub fn build(&self) -> Run {
        self.build_with(&[])
    }

    /// `build` with another `--now`.
    pub fn build_at(&self, now: &str) -> Run {
        let public = self.public();
        let args = [
            "build",
            "--source",
            &self.root().display().to_string(),
            "--output",
            &public.display().to_string(),
            "--now",
            now,
        ]
        .map(String::from);
        self.run_in(self.tmp(), &args, &[], public)
    }

    /// `build` with extra arguments after the usual ones.
    pub fn build_with(&self, extra: &[&str]) -> Run {
        let public = self.public();
        let mut args = vec![
            "build".to_string(),
            "--source".into(),
            self.root().display().to_string(),
            "--output".into(),
            public.display().to_string(),
            "--now".into(),
            NOW.into(),
        ];
        args.extend(extra.iter().map(|s| s.to_string()));
        self.run_in(self.tmp(), &args, &[], public)
    }

    /// `shequn check --source site --now NOW`.
    pub fn check(&self) -> Run {
        let args = [
            "check",
            "--source",
            &self.root().display().to_string(),
            "--now",
            NOW,
        ]
        .map(String::from);
        self.run_in(self.tmp(), &args, &[], self.public())
    }

    /// Runs the binary with exactly `args` in folder `cwd`, with extra environment
    /// variables; `output` is where the run is expected to write.
    pub fn run_in(
        &self,
        cwd: &Path,
        args: &[String],
        env: &[(&str, &str)],
        output: PathBuf,
    ) -> Run {
        let result = Command::new(env!("CARGO_BIN_EXE_shequn"))
            .args(args)
            .current_dir(cwd)
            .envs(env.iter().copied())
            .output()
            .expect("run shequn");
        let stderr = String::from_utf8(result.stderr).expect("stderr is UTF-8");
        Run {
            code: result.status.code().expect("shequn exited normally"),
            stderr: self.redact(&stderr),
            output,
            _tmp: Arc::clone(&self.tmp),
        }
    }

    /// Replaces the temporary folder's path (also as the OS resolves it) with `[TMP]`.
    pub fn redact(&self, text: &str) -> String {
        let mut text = text.to_string();
        let tmp = self.tmp.path();
        for path in [
            std::fs::canonicalize(tmp).unwrap_or_default(),
            tmp.to_path_buf(),
        ] {
            let shown = path.display().to_string();
            if !shown.is_empty() {
                text = text.replace(&shown, "[TMP]");
            }
        }
        text
    }
}

/// Runs the binary with `args` in `cwd` (no fixture); for `new` and bad command lines.
pub fn shequn(cwd: &Path, args: &[&str]) -> (i32, String) {
    let result = Command::new(env!("CARGO_BIN_EXE_shequn"))
        .args(args)
        .current_dir(cwd)
        .output()
        .expect("run shequn");
    (
        result.status.code().expect("shequn exited normally"),
        String::from_utf8(result.stderr).expect("stderr is UTF-8"),
    )
}

impl Run {
    /// Panics with stderr unless the run exited 0.
    #[track_caller]
    pub fn ok(self) -> Run {
        assert_eq!(self.code, 0, "expected success, stderr:\n{}", self.stderr);
        self
    }

    /// Panics with stderr unless the run exited 1 (the site has errors).
    #[track_caller]
    pub fn fails(self) -> Run {
        assert_eq!(self.code, 1, "expected exit 1, stderr:\n{}", self.stderr);
        self
    }

    /// The output file for a URL path: `/events/x/` → `events/x/index.html`.
    pub fn file_for(&self, url: &str) -> PathBuf {
        let rel = url.trim_start_matches('/');
        if rel.is_empty() || rel.ends_with('/') {
            self.output.join(rel).join("index.html")
        } else {
            self.output.join(rel)
        }
    }

    /// The text of the page at a URL path (without the base path).
    #[track_caller]
    pub fn page(&self, url: &str) -> String {
        let path = self.file_for(url);
        std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("cannot read page {url} ({}): {e}", path.display()))
    }

    pub fn has_page(&self, url: &str) -> bool {
        self.file_for(url).is_file()
    }

    /// Every output file, relative with forward slashes, sorted.
    pub fn files(&self) -> Vec<String> {
        tree(&self.output).into_keys().collect()
    }
}

/// Every file under `root` and its bytes, keyed by relative path with forward slashes.
pub fn tree(root: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    if root.exists() {
        walk(root, root, &mut out);
    }
    out
}

fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            walk(root, &path, out);
        } else {
            let rel = path.strip_prefix(root).unwrap();
            let rel = rel
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect::<Vec<_>>()
                .join("/");
            out.insert(rel, std::fs::read(&path).unwrap());
        }
    }
}

pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// The text between `<main` and `</main>` of a page, for snapshots and focused asserts.
pub fn main_part(html: &str) -> &str {
    let start = html.find("<main").unwrap_or(0);
    let end = html
        .find("</main>")
        .map_or(html.len(), |i| i + "</main>".len());
    &html[start..end]
}

/// Asserts that `needle` occurs in `haystack`, showing the haystack otherwise.
#[track_caller]
pub fn assert_contains(haystack: &str, needle: &str) {
    assert!(
        haystack.contains(needle),
        "expected to find {needle:?} in:\n{haystack}"
    );
}

#[track_caller]
pub fn assert_lacks(haystack: &str, needle: &str) {
    assert!(
        !haystack.contains(needle),
        "expected not to find {needle:?} in:\n{haystack}"
    );
}

/// Asserts that `html` has a link to `href` whose text (tags removed) contains `text`,
/// whatever other attributes the theme puts on the `<a>`.
#[track_caller]
pub fn assert_link(html: &str, href: &str, text: &str) {
    let tag = regex::Regex::new(&format!(
        r#"<a\b[^>]*\bhref="{}"[^>]*>((?s:.*?))</a>"#,
        regex::escape(href)
    ))
    .unwrap();
    let strip = regex::Regex::new(r"<[^>]*>").unwrap();
    let found = tag
        .captures_iter(html)
        .any(|c| strip.replace_all(&c[1], "").contains(text));
    assert!(
        found,
        "expected a link to {href:?} saying {text:?} in:\n{html}"
    );
}

/// The visible text of some HTML: tags removed, a few entities decoded, white space
/// collapsed. Lets tests check what a reader sees whatever markup the theme uses.
pub fn text_of(html: &str) -> String {
    let tags = regex::Regex::new(r"<[^>]*>").unwrap();
    let text = tags
        .replace_all(html, "")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&#x27;", "'")
        .replace("&amp;", "&");
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Asserts that `needle` is in the HTML (an attribute such as `href="/x/"`) or in its
/// visible text (such as `Thu 10 Dec 2026, 18:00–21:00 CET`).
#[track_caller]
pub fn assert_shows(html: &str, needle: &str) {
    assert!(
        html.contains(needle) || text_of(html).contains(needle),
        "expected to see {needle:?} in:\n{html}"
    );
}
