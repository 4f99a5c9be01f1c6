//! shequn: a static site generator for communities. [`build`] runs the pipeline
//! `load -> model -> markdown + plan -> render -> output`, one stage a module; `main.rs`
//! is only the command line.

pub mod dates;
pub mod diag;
pub mod feeds;
pub mod files;
pub mod ics;
pub mod jsonld;
pub mod load;
pub mod markdown;
pub mod model;
pub mod new;
pub mod output;
pub mod plan;
pub mod render;
pub mod search;
pub mod serve;
pub mod theme;
pub mod urls;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use jiff::Timestamp;

use diag::{Diagnostic, Diagnostics};
use output::{NullSink, Sink, Staging};

/// What a build is asked to do.
#[derive(Debug, Clone)]
pub struct BuildOptions {
    pub source: PathBuf,
    /// `--output`; else `output_dir` of `shequn.toml`, under the site folder.
    pub output: Option<PathBuf>,
    pub base_url: Option<String>,
    pub drafts: bool,
    /// The build's "now": events at or after it are upcoming.
    pub now: Timestamp,
    /// False for `check`: everything is checked and rendered, nothing written.
    pub write: bool,
}

/// Where a build's time went, stage by stage, for `--timings`.
#[derive(Debug, Default, Clone)]
pub struct Timings {
    pub stages: Vec<StageTiming>,
    cpu_at_start: Option<Duration>,
}

/// One stage: wall time, processor time of all threads (more than the wall time when
/// the stage runs in parallel, and unaffected by other programs on a busy machine), and
/// the process's resident memory after it.
#[derive(Debug, Clone)]
pub struct StageTiming {
    pub stage: &'static str,
    pub wall: Duration,
    pub cpu: Option<Duration>,
    pub resident_kib: Option<u64>,
}

impl Timings {
    fn record(&mut self, stage: &'static str, since: &mut Instant) {
        let now = Instant::now();
        let cpu_now = process_cpu();
        let cpu = match (cpu_now, self.cpu_at_start) {
            (Some(now), Some(before)) => Some(now.saturating_sub(before)),
            _ => None,
        };
        self.cpu_at_start = cpu_now;
        self.stages.push(StageTiming {
            stage,
            wall: now - *since,
            cpu,
            resident_kib: memory_kib("VmRSS:"),
        });
        *since = now;
    }

    /// The process's peak resident memory so far, where the system tells it (Linux).
    pub fn peak_kib(&self) -> Option<u64> {
        memory_kib("VmHWM:")
    }
}

/// A memory figure of `/proc/self/status` in KiB (Linux only); for `--timings`.
fn memory_kib(key: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(key))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// User and system processor time of the whole process so far.
#[cfg(unix)]
fn process_cpu() -> Option<Duration> {
    // SAFETY: getrusage only writes the struct it is given.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    if unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) } != 0 {
        return None;
    }
    let time = |t: libc::timeval| {
        Duration::from_secs(t.tv_sec as u64) + Duration::from_micros(t.tv_usec as u64)
    };
    Some(time(usage.ru_utime) + time(usage.ru_stime))
}

#[cfg(not(unix))]
fn process_cpu() -> Option<Duration> {
    None
}

/// What a build did.
#[derive(Debug, Default)]
pub struct BuildReport {
    pub diagnostics: Diagnostics,
    pub pages: usize,
    pub files: usize,
    pub output: Option<PathBuf>,
    /// The next moment the site would change if rebuilt (an event starting or ending).
    pub next_change: Option<Timestamp>,
    pub timings: Timings,
}

impl BuildReport {
    pub fn succeeded(&self) -> bool {
        !self.diagnostics.has_errors()
    }
}

/// Builds the site. Diagnostics, not panics, report every problem with the input.
pub fn build(options: &BuildOptions) -> BuildReport {
    let mut report = BuildReport::default();
    report.timings.cpu_at_start = process_cpu();
    let diags = &mut report.diagnostics;
    let mut clock = Instant::now();
    let root = options.source.as_path();

    let config_source = match load::read_text(root, "shequn.toml") {
        Ok(Some(s)) => s,
        Ok(None) => {
            diags.push(
                Diagnostic::error(format!("no `shequn.toml` in {}", root.display()))
                    .with_help("run shequn in a site folder, pass --source, or make a site with `shequn new DIR`"),
            );
            return report;
        }
        Err(d) => {
            diags.push(d);
            return report;
        }
    };
    let Some(config) = model::config::build(&config_source, options.base_url.as_deref(), diags)
    else {
        return report;
    };
    let output = options
        .output
        .clone()
        .unwrap_or_else(|| root.join(&config.output_dir));
    if options.write {
        if let Err(d) = output::check_output_folder(root, &output) {
            diags.push(d);
            return report;
        }
    }
    if options.write {
        search::prepare();
    }
    let files = load::load_site(root, Some(&output), config.theme.as_deref(), diags);
    report.timings.record("load", &mut clock);

    let theme = theme::load(&files, config.theme.as_deref(), config.language, diags);
    let Some(site) = model::build::build(config, files, options.drafts, diags) else {
        return report;
    };
    report.timings.record("model", &mut clock);
    // Planning is one thread's work and Markdown keeps every core busy: they do not
    // depend on each other, so the plan is made while the Markdown renders, and the
    // templates are compiled beside them.
    let mut markdown_diags = Diagnostics::new();
    // The search index reads the plain text of the Markdown.
    let with_plain = options.write && search::builds_index();
    let mut template_diags = Diagnostics::new();
    let (plan, (rendered, tera)) = rayon::join(
        || plan::plan(&site, &theme, options.now, diags),
        || {
            rayon::join(
                || markdown::render_all(&site, with_plain, &mut markdown_diags),
                || render::compile_templates(&theme, &mut template_diags),
            )
        },
    );
    diags.extend(markdown_diags);
    diags.extend(template_diags);
    report.timings.record("markdown", &mut clock);
    report.next_change = next_change(&site, options.now);
    let Some(mut tera) = tera else { return report };
    if diags.has_errors() {
        return report;
    }

    if !options.write {
        render::render_pages(&plan, &rendered, &theme, &mut tera, &NullSink, diags);
        let strings = &theme.strings;
        let file_errors =
            files::write_files(&plan, &rendered, strings, report.next_change, &NullSink);
        diags.extend(file_errors);
        report.timings.record("render", &mut clock);
        report.pages = plan.pages.len();
        return report;
    }
    let (staging, sink) = match Staging::begin(&output) {
        Ok(s) => s,
        Err(d) => {
            diags.push(d);
            return report;
        }
    };
    render::render_pages(
        &plan,
        &rendered,
        &theme,
        &mut tera,
        &sink as &dyn Sink,
        diags,
    );
    let file_errors = files::write_files(
        &plan,
        &rendered,
        &theme.strings,
        report.next_change,
        &sink as &dyn Sink,
    );
    diags.extend(file_errors);
    report.timings.record("render", &mut clock);
    let search = search::write_index(&plan, &rendered, &sink as &dyn Sink);
    diags.extend(search.errors.into_iter().map(Diagnostic::error));
    report.timings.record("search", &mut clock);
    let copy_errors = staging.copy_assets(&plan.copies, &plan.builtin_copies, &sink);
    diags.extend(copy_errors);
    if diags.has_errors() {
        staging.abort();
        return report;
    }
    if let Err(d) = staging.commit() {
        diags.push(d);
        return report;
    }
    report.timings.record("write", &mut clock);
    report.pages = plan.pages.len();
    report.files = plan.pages.len()
        + plan.files.len()
        + plan.copies.len()
        + plan.builtin_copies.len()
        + search.files;
    report.output = Some(output);
    report
}

/// The first event start or end after `now`: when a rebuild would move an event from
/// upcoming to past (or show it as under way).
fn next_change(site: &model::Site, now: Timestamp) -> Option<Timestamp> {
    site.events
        .values()
        .flat_map(|e| {
            [
                e.time.start_timestamp(&e.zone.tz),
                e.time.end_timestamp(&e.zone.tz),
            ]
        })
        .filter(|t| *t > now)
        .min()
}

/// Parses `--now`: an RFC 3339 instant (`2026-11-23T12:00:00Z`) or a date (midnight UTC).
pub fn parse_now(text: &str) -> Result<Timestamp, String> {
    if let Ok(t) = text.parse::<Timestamp>() {
        return Ok(t);
    }
    if let Ok(d) = text.parse::<jiff::civil::Date>() {
        return d
            .to_zoned(jiff::tz::TimeZone::UTC)
            .map(|z| z.timestamp())
            .map_err(|e| e.to_string());
    }
    Err(format!(
        "`{text}` is not a time: write e.g. 2026-11-23T12:00:00Z or 2026-11-23"
    ))
}

/// Writes the built-in theme into `dir`.
pub fn eject_theme(dir: &Path) -> Result<usize, String> {
    theme::eject(dir)
}
