//! The command line: parse arguments, call one library function, print what it
//! reports, and exit 0 (ok), 1 (the site has errors) or 2 (bad command line).

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

// Rendering allocates many small strings and template values across threads; mimalloc
// measured about 20% faster than the system allocator on the 10 000-page benchmark,
// once transparent huge pages are off (see `main`). Its v2 line (the `v2` feature)
// measured 2.5% faster than v3 with 5% less peak memory (A/B, 11 and 15 runs).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Turns transparent huge pages off for this process. Where the system has them on
/// (`always`, or `madvise`, which mimalloc asks for), every fresh 2 MiB page is zeroed
/// by the kernel on first touch: on the 10 000-page benchmark that was a fifth of all
/// processor time, and 30 MB more memory.
fn no_huge_pages() {
    #[cfg(target_os = "linux")]
    // SAFETY: PR_SET_THP_DISABLE only sets a flag on this process; nothing is passed
    // by pointer. A kernel without it returns an error, which changes nothing.
    unsafe {
        libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0);
    }
}

use shequn::model::Language;
use shequn::{build, parse_now, BuildOptions, BuildReport};

#[derive(Parser)]
#[command(
    name = "shequn",
    version,
    about = "Static sites for communities: charter, members, events, talks and chapters."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Create a working starter site in DIR (which must be missing or empty).
    New {
        dir: PathBuf,
        /// en, zh-Hans or zh-Hant.
        #[arg(long, default_value = "en")]
        language: String,
    },
    /// Build the site into the output folder.
    Build {
        #[command(flatten)]
        common: Common,
        /// Output folder (default: `output_dir` of shequn.toml, `public`).
        #[arg(long, short)]
        output: Option<PathBuf>,
        /// Override `base_url` (e.g. for a preview deploy).
        #[arg(long)]
        base_url: Option<String>,
        /// Print where the time went, per stage.
        #[arg(long)]
        timings: bool,
    },
    /// Check everything `build` checks, writing nothing.
    Check {
        #[command(flatten)]
        common: Common,
    },
    /// Build into a private folder, serve on this machine, rebuild and reload on change.
    Serve {
        /// The site folder.
        #[arg(long, short, default_value = ".")]
        source: PathBuf,
        /// Address to listen on; anything but a loopback address exposes the preview.
        #[arg(long, default_value = "127.0.0.1")]
        bind: String,
        /// Port (the next free one is used when it is taken; 0 lets the system choose).
        #[arg(long, short, default_value_t = 1111)]
        port: u16,
        /// Open the site in a browser.
        #[arg(long)]
        open: bool,
        /// Build draft pages too.
        #[arg(long)]
        drafts: bool,
        /// Print where each rebuild's time went, per stage.
        #[arg(long)]
        timings: bool,
    },
    /// Work with themes.
    Theme {
        #[command(subcommand)]
        command: ThemeCommand,
    },
}

#[derive(clap::Args)]
struct Common {
    /// The site folder.
    #[arg(long, short, default_value = ".")]
    source: PathBuf,
    /// Build draft pages too.
    #[arg(long)]
    drafts: bool,
    /// The build's "now" (RFC 3339, e.g. 2026-11-23T12:00:00Z), for reproducible builds.
    #[arg(long)]
    now: Option<String>,
}

#[derive(Subcommand)]
enum ThemeCommand {
    /// Write the built-in theme out for editing (default: themes/custom).
    Eject { dir: Option<PathBuf> },
}

fn main() -> ExitCode {
    no_huge_pages();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    match cli.command {
        Command::New { dir, language } => {
            let Some(language) = Language::parse(&language) else {
                eprintln!("error: unknown language `{language}`; use en, zh-Hans or zh-Hant");
                return ExitCode::from(2);
            };
            match shequn::new::create(&dir, language) {
                Ok(()) => {
                    eprintln!(
                        "Created a new site in {}. Build it with: shequn build --source {}",
                        dir.display(),
                        dir.display()
                    );
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("error: {e}");
                    ExitCode::from(1)
                }
            }
        }
        Command::Build {
            common,
            output,
            base_url,
            timings,
        } => {
            let Some(options) = options(common, output, base_url, true) else {
                return ExitCode::from(2);
            };
            let report = build(&options);
            finish(&report, timings, true)
        }
        Command::Check { common } => {
            let Some(options) = options(common, None, None, false) else {
                return ExitCode::from(2);
            };
            let report = build(&options);
            finish(&report, false, false)
        }
        Command::Serve {
            source,
            bind,
            port,
            open,
            drafts,
            timings,
        } => {
            let options = shequn::serve::ServeOptions {
                source,
                bind,
                port,
                drafts,
                open,
                timings,
                force_poll: std::env::var("SHEQUN_WATCH").is_ok_and(|v| v == "poll"),
            };
            serve(&options)
        }
        Command::Theme {
            command: ThemeCommand::Eject { dir },
        } => {
            let dir = dir.unwrap_or_else(|| PathBuf::from("themes/custom"));
            match shequn::eject_theme(&dir) {
                Ok(n) => {
                    eprintln!(
                        "Wrote {n} files of the built-in theme to {}.",
                        dir.display()
                    );
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("error: {e}");
                    ExitCode::from(1)
                }
            }
        }
    }
}

fn serve(options: &shequn::serve::ServeOptions) -> ExitCode {
    use shequn::serve::Notice;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;

    let stop = Arc::new(AtomicBool::new(false));
    let on_signal = stop.clone();
    // The first Ctrl-C stops after the build under way (so its folder can be removed);
    // a second one stops at once.
    let handler = move || {
        if on_signal.swap(true, Ordering::SeqCst) {
            std::process::exit(130);
        }
    };
    if let Err(e) = ctrlc::set_handler(handler) {
        eprintln!(
            "warning: cannot catch Ctrl-C ({e}); stopping will leave a temporary folder behind"
        );
    }
    let print = |notice: Notice| match notice {
        Notice::Info(text) => eprintln!("{text}"),
        Notice::Warning(text) => eprintln!("warning: {text}"),
        Notice::BuildFailed(text) => eprintln!("{text}"),
    };
    match shequn::serve::serve(options, &stop, &print) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(1)
        }
    }
}

fn options(
    common: Common,
    output: Option<PathBuf>,
    base_url: Option<String>,
    write: bool,
) -> Option<BuildOptions> {
    let now = match common.now.as_deref().map(parse_now).transpose() {
        Ok(now) => now.unwrap_or_else(jiff::Timestamp::now),
        Err(e) => {
            eprintln!("error: --now: {e}");
            return None;
        }
    };
    Some(BuildOptions {
        source: common.source,
        output,
        base_url,
        drafts: common.drafts,
        now,
        write,
    })
}

fn finish(report: &BuildReport, timings: bool, wrote: bool) -> ExitCode {
    eprint!("{}", report.diagnostics.render());
    if timings {
        eprint!("{}", report.timings.table());
    }
    if !report.succeeded() {
        return ExitCode::from(1);
    }
    if wrote {
        if let Some(out) = &report.output {
            eprintln!(
                "Built {} pages ({} files) into {}.",
                report.pages,
                report.files,
                out.display()
            );
        }
    } else {
        eprintln!("No errors: {} pages would be built.", report.pages);
    }
    if let Some(next) = report.next_change {
        eprintln!("Next change: {next} (an event starts or ends; rebuild then to keep \"upcoming\" true).");
    }
    ExitCode::SUCCESS
}
