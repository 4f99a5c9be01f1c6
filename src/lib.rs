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
pub mod scan;
pub mod search;
pub mod serve;
pub mod template_check;
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
    /// A stage that ran beside others, inside the next recorded stage: its own wall
    /// time, counted once, in that stage (processor time cannot be told apart there).
    pub beside: bool,
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
            beside: false,
        });
        *since = now;
    }

    /// Notes a stage that ran for `wall` beside another, within the stage recorded next.
    fn record_beside(&mut self, stage: &'static str, wall: Duration) {
        self.stages.push(StageTiming {
            stage,
            wall,
            cpu: None,
            resident_kib: None,
            beside: true,
        });
    }

    /// The table `--timings` prints: one line per stage, then the total and the peak.
    pub fn table(&self) -> String {
        use std::fmt::Write as _;
        let mib = |kib: u64| kib as f64 / 1024.0;
        let mut out = String::new();
        for t in &self.stages {
            let cpu = t
                .cpu
                .map(|c| format!("  {:>8.1} ms cpu", c.as_secs_f64() * 1000.0))
                .unwrap_or_default();
            let memory = t
                .resident_kib
                .map(|kib| format!("  {:>6.1} MiB resident", mib(kib)))
                .unwrap_or_default();
            let beside = if t.beside { "  (at the same time)" } else { "" };
            let _ = writeln!(
                out,
                "{:>13}: {:>8.1} ms{cpu}{memory}{beside}",
                t.stage,
                t.wall.as_secs_f64() * 1000.0
            );
        }
        let wall: Duration = self
            .stages
            .iter()
            .filter(|t| !t.beside)
            .map(|t| t.wall)
            .sum();
        let cpu: Duration = self.stages.iter().filter_map(|t| t.cpu).sum();
        let peak = self
            .peak_kib()
            .map(|kib| format!("  {:>6.1} MiB peak", mib(kib)))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "{:>13}: {:>8.1} ms  {:>8.1} ms cpu{peak}",
            "total",
            wall.as_secs_f64() * 1000.0,
            cpu.as_secs_f64() * 1000.0
        );
        out
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
    let target = if options.write {
        Target::Folder
    } else {
        Target::Check
    };
    pipeline(options, target, &mut report, None, &mut |_, _| {});
    report
}

/// Where the pipeline's output goes.
enum Target {
    /// `check`: everything rendered, nothing kept.
    Check,
    /// `build`: a staging folder swapped in for the output folder.
    Folder,
    /// `serve`: memory; the caller gets the files.
    Memory,
}

/// What the stages before the output leave for it.
struct Stages<'p, 's> {
    plan: &'p plan::Plan<'s>,
    rendered: &'p [markdown::Rendered],
    theme: &'p theme::Theme,
    tera: &'p mut tera::Tera,
}

/// Runs `load -> model -> markdown + plan -> render`, then writes to `target`;
/// `Target::Memory` hands the stages to `in_memory` instead.
fn pipeline(
    options: &BuildOptions,
    target: Target,
    report: &mut BuildReport,
    markdown_cache: Option<&mut markdown::Cache>,
    in_memory: &mut dyn FnMut(Stages<'_, '_>, &mut BuildReport),
) {
    report.timings.cpu_at_start = process_cpu();
    let diags = &mut report.diagnostics;
    let mut clock = Instant::now();
    let root = options.source.as_path();
    let to_folder = matches!(target, Target::Folder);

    let config_source = match load::read_text(root, "shequn.toml") {
        Ok(Some(s)) => s,
        Ok(None) => {
            diags.push(
                Diagnostic::error(format!("no `shequn.toml` in {}", root.display()))
                    .with_help("run shequn in a site folder, pass --source, or make a site with `shequn new DIR`"),
            );
            return;
        }
        Err(d) => {
            diags.push(d);
            return;
        }
    };
    diags.extend(load::text::control_characters(&config_source));
    let Some(config) = model::config::build(&config_source, options.base_url.as_deref(), diags)
    else {
        return;
    };
    let output = options
        .output
        .clone()
        .unwrap_or_else(|| root.join(&config.output_dir));
    if to_folder {
        if let Err(d) = output::check_output_folder(root, &output) {
            diags.push(d);
            return;
        }
        if let Err(d) = Staging::remove_leftovers(&output) {
            diags.push(d);
            return;
        }
    }
    if !matches!(target, Target::Check) {
        search::prepare();
    }
    let files = load::load_site(root, Some(&output), config.theme.as_deref(), diags);
    report.timings.record("load", &mut clock);

    let theme = theme::load(&files, config.theme.as_deref(), config.language, diags);
    let Some(site) = model::build::build(config, files, options.drafts, diags) else {
        return;
    };
    report.timings.record("model", &mut clock);
    // Planning is one thread's work and Markdown keeps every core busy: they do not
    // depend on each other, so the plan is made while the Markdown renders, and the
    // templates are compiled beside them.
    let mut markdown_diags = Diagnostics::new();
    // The search index reads the plain text of the Markdown.
    let with_plain = !matches!(target, Target::Check) && search::builds_index();
    let mut template_diags = Diagnostics::new();
    let (plan, (rendered, tera)) = rayon::join(
        || plan::plan(&site, &theme, options.now, diags),
        || {
            rayon::join(
                || {
                    markdown::render_all_cached(
                        &site,
                        with_plain,
                        markdown_cache,
                        &mut markdown_diags,
                    )
                },
                || {
                    let checked = template_check::check_before_compile(&theme, &mut template_diags);
                    checked
                        .then(|| render::compile_templates(&theme, &mut template_diags))
                        .flatten()
                },
            )
        },
    );
    diags.extend(markdown_diags);
    diags.extend(template_diags);
    report.timings.record("markdown", &mut clock);
    report.next_change = next_change(&site, options.now);
    let Some(mut tera) = tera else { return };
    if diags.has_errors() {
        return;
    }
    report.pages = plan.pages.len();

    let sink = match target {
        Target::Check => {
            render::render_pages(&plan, &rendered, &theme, &mut tera, &NullSink, diags);
            let strings = &theme.strings;
            let file_errors =
                files::write_files(&plan, &rendered, strings, report.next_change, &NullSink);
            diags.extend(file_errors);
            report.timings.record("render", &mut clock);
            return;
        }
        Target::Memory => {
            let stages = Stages {
                plan: &plan,
                rendered: &rendered,
                theme: &theme,
                tera: &mut tera,
            };
            in_memory(stages, report);
            return;
        }
        Target::Folder => Staging::begin(&output),
    };
    let (staging, sink) = match sink {
        Ok(s) => s,
        Err(d) => {
            diags.push(d);
            return;
        }
    };
    // Pages rendered from what the previous build's were are linked from it, not
    // rendered again; a first build fingerprints its pages for the next one.
    let previous = sink
        .previous_fingerprints()
        .map(|(global, pages)| render::Fingerprints::from_parts(global, pages))
        .unwrap_or_default();
    // The search index reads the plan and the Markdown, not the pages: it is built
    // beside them, and each fills the other's pauses (the cards made on one thread
    // before the pages, the index's merges).
    let ((mut fingerprints, render_wall), (search, search_wall)) = rayon::join(
        || {
            let started = Instant::now();
            let fingerprints = render::render_pages_reusing(
                &plan,
                &rendered,
                &theme,
                &mut tera,
                &sink as &dyn Sink,
                Some(&previous),
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
            (fingerprints, started.elapsed())
        },
        || {
            let started = Instant::now();
            let last = search::last_fingerprint(&previous);
            let written = search::write_index(&plan, &rendered, &sink as &dyn Sink, last);
            (written, started.elapsed())
        },
    );
    drop(previous);
    report.timings.record_beside("render", render_wall);
    report.timings.record_beside("search", search_wall);
    search::list_fingerprint(&search, &mut fingerprints);
    diags.extend(search.errors.into_iter().map(Diagnostic::error));
    report.timings.record("render+search", &mut clock);
    let copy_errors = staging.copy_assets(&plan.copies, &plan.builtin_copies, &sink);
    diags.extend(copy_errors);
    if diags.has_errors() {
        staging.abort();
        return;
    }
    let rendered_from = output::RenderedFrom {
        global: fingerprints.global(),
        pages: fingerprints.pages(),
    };
    if let Err(d) = staging.commit(sink, Some(rendered_from)) {
        diags.push(d);
        return;
    }
    report.timings.record("write", &mut clock);
    report.files = plan.pages.len()
        + plan.files.len()
        + plan.copies.len()
        + plan.builtin_copies.len()
        + search.files;
    report.output = Some(output);
}

/// What one `serve` session keeps between builds, so that a rebuild after a small edit
/// does only the work the edit needs.
#[derive(Default)]
pub struct Session {
    markdown: markdown::Cache,
    /// The last successful build: its files, and what its pages were rendered from.
    last: Option<(std::sync::Arc<output::MemoryFiles>, render::Fingerprints)>,
}

impl Session {
    /// The files of the last successful build.
    pub fn last_files(&self) -> Option<&std::sync::Arc<output::MemoryFiles>> {
        self.last.as_ref().map(|(files, _)| files)
    }
}

/// A build in memory, in two steps: `pages` (everything but the search index) as soon
/// as they are ready, then the whole site.
pub struct MemoryBuild {
    pub report: BuildReport,
    /// The complete site, when the build succeeded.
    pub files: Option<std::sync::Arc<output::MemoryFiles>>,
    /// How many pages were rendered; the others were kept from the last build.
    pub rendered: usize,
}

/// Where the search index lies in the output: `serve` holds back requests for it until
/// the index of the current build is ready.
pub const SEARCH_INDEX_DIR: &str = search::INDEX_DIR;

/// Builds the site into memory for `serve`, reusing what `session` kept from the last
/// build: Markdown texts whose file did not change, and pages whose template and context
/// did not change (by fingerprint) are not rendered again, and nothing is written to
/// disk. `pages_ready` gets every file but the search index as soon as they exist (to be
/// served while the index is built); the result holds the whole site.
pub fn build_in_memory(
    options: &BuildOptions,
    session: &mut Session,
    pages_ready: &mut dyn FnMut(&std::sync::Arc<output::MemoryFiles>),
) -> MemoryBuild {
    let mut report = BuildReport::default();
    let Session { markdown, last } = session;
    let mut built = None;
    pipeline(
        options,
        Target::Memory,
        &mut report,
        Some(markdown),
        &mut |stages, report| {
            let mut clock = Instant::now();
            let diags = &mut report.diagnostics;
            let previous = last.as_ref().map(|(files, _)| files.as_ref());
            let sink = output::MemorySink::new(previous);
            let mut fingerprints = render::render_pages_reusing(
                stages.plan,
                stages.rendered,
                stages.theme,
                stages.tera,
                &sink,
                Some(
                    last.as_ref()
                        .map_or(&render::Fingerprints::default(), |l| &l.1),
                ),
                diags,
            );
            let file_errors = files::write_files(
                stages.plan,
                stages.rendered,
                &stages.theme.strings,
                report.next_change,
                &sink,
            );
            diags.extend(file_errors);
            diags.extend(sink.copy_assets(&stages.plan.copies, &stages.plan.builtin_copies));
            report.timings.record("render", &mut clock);
            if diags.has_errors() {
                return;
            }
            let pages = std::sync::Arc::new(sink.into_files());
            pages_ready(&pages);
            let search_sink = output::MemorySink::new(previous);
            let last_index = last.as_ref().and_then(|l| search::last_fingerprint(&l.1));
            let search =
                search::write_index(stages.plan, stages.rendered, &search_sink, last_index);
            search::list_fingerprint(&search, &mut fingerprints);
            diags.extend(search.errors.into_iter().map(Diagnostic::error));
            report.timings.record("search", &mut clock);
            if diags.has_errors() {
                return;
            }
            let mut all = std::sync::Arc::unwrap_or_clone(pages);
            all.extend(search_sink.into_files());
            report.files = all.len();
            built = Some((std::sync::Arc::new(all), fingerprints));
        },
    );
    let files = built.as_ref().map(|(files, _)| files.clone());
    let rendered = built.as_ref().map_or(0, |(_, f)| f.rendered);
    if built.is_some() {
        *last = built;
    }
    MemoryBuild {
        report,
        files,
        rendered,
    }
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
