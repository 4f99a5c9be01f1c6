//! `shequn serve`: build the site into memory, serve it over HTTP on a loopback address,
//! watch the site folder, rebuild after a change and tell the open pages it changed to
//! reload (SPEC §5). Nothing is written to disk; the site's output folder is never
//! touched.
//!
//! Each rebuild is [`crate::build_in_memory`] with the [`crate::Session`] of the last
//! one: only the Markdown of changed files and the pages whose context changed are
//! rendered again. Requests switch to the new build only when it succeeded, so a failed
//! build keeps the last good site in service while its errors go to the terminal and,
//! as an escaped overlay, to the browser. While a change is waiting to be built, page
//! requests wait for it (a few seconds at most), and requests for the search index wait
//! for the index of the current build, so a reload never shows anything older than its
//! inputs.
//!
//! `http` reads requests and maps targets to files; `watch` turns file events into
//! changes. This file holds the shared state, the rebuild loop and the request handler.

mod http;
mod watch;

use std::collections::{HashSet, VecDeque};
use std::io::{BufReader, Write};
use std::net::{IpAddr, SocketAddr, TcpListener, TcpStream, ToSocketAddrs};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use crate::diag::Diagnostics;
use crate::output::MemoryFiles;
use crate::{build_in_memory, BuildOptions, Session};
use http::{Request, Response};
use watch::{IgnoredPaths, WatchEvent};

/// Where live-reload lives; no site URL starts with it because no id starts with `_`.
const EVENTS_PATH: &str = "/__shequn/events";
const SCRIPT_PATH: &str = "/__shequn/live-reload.js";
/// A save is built once no further change has arrived for this long...
const QUIET: Duration = Duration::from_millis(100);
/// ...or once changes have kept arriving for this long (a long `git checkout`).
const MAX_BURST: Duration = Duration::from_secs(3);
/// How long a page request waits for a pending rebuild before taking the last build.
const STALE_WAIT: Duration = Duration::from_secs(10);
/// Open connections and reload channels at once; more are turned away.
/// A connection is a thread with a small stack, so a thousand idle ones (BAD-INPUTS
/// row 34) cost little and still leave room for the browser.
const MAX_CONNECTIONS: usize = 1500;
const CONNECTION_STACK: usize = 256 * 1024;
const MAX_EVENT_STREAMS: usize = 64;
/// How many ports after a taken `--port` are tried.
const PORT_TRIES: u16 = 20;
/// How many builds' changes are remembered for pages that reconnect; a page that last
/// heard of an older build reloads.
const HISTORY: usize = 64;

/// What `shequn serve` was asked to do.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    pub source: PathBuf,
    /// `--bind`: an IP address or a host name.
    pub bind: String,
    /// `--port`; 0 lets the system choose.
    pub port: u16,
    pub drafts: bool,
    pub open: bool,
    /// Poll instead of using the system's file events (`SHEQUN_WATCH=poll`).
    pub force_poll: bool,
    /// `--timings`: print each build's stages.
    pub timings: bool,
}

/// Something the terminal should show. `serve` runs until stopped, so it reports as it
/// goes instead of returning a report.
#[derive(Debug)]
pub enum Notice {
    Info(String),
    Warning(String),
    /// A build failed: the rendered diagnostics.
    BuildFailed(String),
}

/// Builds, serves and watches until `stop` is set (Ctrl-C). An `Err` is a reason the
/// server could not start at all.
pub fn serve(
    options: &ServeOptions,
    stop: &AtomicBool,
    notice: &(dyn Fn(Notice) + Sync),
) -> Result<(), String> {
    let root = std::fs::canonicalize(&options.source).map_err(|e| {
        format!(
            "cannot open the site folder {}: {e}",
            options.source.display()
        )
    })?;
    let (listener, addr) = bind(&options.bind, options.port, notice)?;
    if !addr.ip().is_loopback() {
        notice(Notice::Warning(format!(
            "serving on {addr}, which other machines can reach: drafts, unlisted members and \
             build errors become visible to the network. Use --bind 127.0.0.1 unless you mean it."
        )));
    }
    let shared = Arc::new(Shared::new(&options.bind, addr));

    // Watch before the first build, so that a save during it is not missed.
    let (sender, events) = mpsc::channel();
    let output_dir = site_settings(&root).map_or("public".to_string(), |s| s.1);
    let ignored = IgnoredPaths {
        folders: vec![root.join(output_dir)],
    };
    let (mut watcher, fallback) =
        watch::start(&root, ignored.clone(), sender.clone(), options.force_poll)?;
    if let Some(reason) = fallback {
        notice(Notice::Warning(format!(
            "{reason}; watching by polling every {} ms instead",
            watch::POLL_INTERVAL.as_millis()
        )));
    }

    let mut builder = Builder {
        root: root.clone(),
        drafts: options.drafts,
        timings: options.timings,
        session: Session::default(),
        shared: shared.clone(),
    };
    builder.rebuild(notice, "");

    let prefix = shared
        .lock()
        .site
        .as_ref()
        .map_or("/".to_string(), |s| s.prefix_path.clone());
    let shown_host = match addr.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => "127.0.0.1".to_string(),
        IpAddr::V6(ip) if ip.is_unspecified() => "[::1]".to_string(),
        IpAddr::V6(ip) => format!("[{ip}]"),
        IpAddr::V4(ip) => ip.to_string(),
    };
    let url = format!("http://{shown_host}:{}{prefix}", addr.port());
    {
        let shared = shared.clone();
        std::thread::Builder::new()
            .name("serve-accept".into())
            .spawn(move || accept_loop(listener, shared))
            .map_err(|e| format!("cannot start the server thread: {e}"))?;
    }
    notice(Notice::Info(format!(
        "Serving {} at {url} (Ctrl-C to stop)",
        root.display()
    )));
    if options.open {
        if let Err(e) = open_browser(&url) {
            notice(Notice::Warning(format!(
                "could not open a browser ({e}); open {url} yourself"
            )));
        }
    }

    while !stop.load(Ordering::SeqCst) {
        match events.recv_timeout(Duration::from_millis(200)) {
            Ok(WatchEvent::Changed(first)) => {
                shared.lock().pending = true;
                let changed = collect_burst(first, &events, notice);
                let what = describe_changes(&changed);
                builder.rebuild(notice, &what);
            }
            Ok(WatchEvent::Failed { message, limit }) => {
                if limit && !watcher.is_polling() {
                    match watch::start_polling(&root, ignored.clone(), sender.clone()) {
                        Ok(w) => {
                            watcher = w;
                            notice(Notice::Warning(format!(
                                "{message}; watching by polling every {} ms instead",
                                watch::POLL_INTERVAL.as_millis()
                            )));
                            // Changes may have been missed while the watch was failing.
                            builder.rebuild(notice, "after the watcher failed");
                        }
                        Err(e) => notice(Notice::Warning(format!(
                            "{message}; polling failed too ({e}): changes will not be seen"
                        ))),
                    }
                } else {
                    notice(Notice::Warning(message));
                }
            }
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => break,
        }
    }
    drop(watcher);
    notice(Notice::Info("Stopped.".into()));
    Ok(())
}

/// Gathers the changes of one burst: until things are quiet for [`QUIET`], or
/// [`MAX_BURST`] has passed. Returns the changed paths, sorted.
fn collect_burst(
    first: String,
    events: &Receiver<WatchEvent>,
    notice: &dyn Fn(Notice),
) -> Vec<String> {
    let started = Instant::now();
    let mut changed = vec![first];
    while started.elapsed() < MAX_BURST {
        match events.recv_timeout(QUIET) {
            Ok(WatchEvent::Changed(p)) => changed.push(p),
            Ok(WatchEvent::Failed { message, .. }) => notice(Notice::Warning(message)),
            Err(_) => break,
        }
    }
    changed.sort();
    changed.dedup();
    changed
}

fn describe_changes(changed: &[String]) -> String {
    match changed {
        [one] => format!("after a change to {one}"),
        many => format!("after changes to {} files", many.len()),
    }
}

/// Binds `bind:port`, or the next free port when it is taken.
fn bind(
    bind: &str,
    port: u16,
    notice: &dyn Fn(Notice),
) -> Result<(TcpListener, SocketAddr), String> {
    let tries = if port == 0 { 1 } else { PORT_TRIES };
    let mut last_error = String::new();
    for offset in 0..tries {
        let Some(candidate) = port.checked_add(offset) else {
            break;
        };
        let addrs: Vec<SocketAddr> = (bind, candidate)
            .to_socket_addrs()
            .map_err(|e| format!("cannot use `{bind}` as an address to bind: {e}"))?
            .collect();
        for addr in addrs {
            match TcpListener::bind(addr) {
                Ok(listener) => {
                    let actual = listener
                        .local_addr()
                        .map_err(|e| format!("cannot bind {addr}: {e}"))?;
                    if offset > 0 {
                        notice(Notice::Info(format!(
                            "port {port} is taken; using port {} instead",
                            actual.port()
                        )));
                    }
                    return Ok((listener, actual));
                }
                Err(e) if e.kind() == std::io::ErrorKind::AddrInUse => {
                    last_error = format!("port {candidate} is taken");
                }
                Err(e) => return Err(format!("cannot bind {addr}: {e}")),
            }
        }
    }
    Err(format!(
        "cannot find a free port from {port} to {}: {last_error}; pass another --port",
        port.saturating_add(tries - 1)
    ))
}

/// The URL path of the site (`/xinmeiti/`) and its output folder name, from
/// `shequn.toml`, when it can be read.
fn site_settings(root: &Path) -> Option<(String, String)> {
    let source = crate::load::read_text(root, "shequn.toml").ok()??;
    let mut diags = Diagnostics::new();
    let config = crate::model::config::build(&source, None, &mut diags)?;
    Some((config.urls.root, config.output_dir))
}

/// Best effort: the system's way of opening a URL.
fn open_browser(url: &str) -> Result<(), String> {
    let mut command = if cfg!(target_os = "macos") {
        std::process::Command::new("open")
    } else if cfg!(windows) {
        let mut c = std::process::Command::new("cmd");
        c.args(["/C", "start", ""]);
        c
    } else {
        std::process::Command::new("xdg-open")
    };
    command
        .arg(url)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .map(|_| ())
        .map_err(|e| e.to_string())
}

/// A successful build, ready to serve.
struct Site {
    /// Every file of the build, by relative `/`-separated path: the only files ever
    /// served.
    files: Arc<MemoryFiles>,
    /// The folders that hold them.
    folders: HashSet<String>,
    /// The site's URL path split into segments (`["xinmeiti"]`).
    prefix: Vec<String>,
    /// The same as a path: `/xinmeiti/`.
    prefix_path: String,
}

impl Site {
    fn index(files: Arc<MemoryFiles>, prefix_path: String) -> Site {
        let mut folders = HashSet::new();
        for path in files.keys() {
            let mut rest = path.as_str();
            while let Some((parent, _)) = rest.rsplit_once('/') {
                if !folders.insert(parent.to_string()) {
                    break;
                }
                rest = parent;
            }
        }
        let prefix = prefix_path
            .split('/')
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect();
        Site {
            files,
            folders,
            prefix,
            prefix_path,
        }
    }
}

/// What a build changed, for the pages that show it.
#[derive(Debug, Default)]
struct Changes {
    /// A file every page may use (a style sheet, a script, an image) changed, or the
    /// build cannot tell: every page reloads.
    all: bool,
    /// The HTML files that changed, appeared or went, as [`http::encode_path`] gives them.
    pages: HashSet<String>,
}

impl Changes {
    /// Compares two builds' files, leaving out the search index (its own page learns of
    /// it when the index is ready) and downloads no page shows (feeds, calendars).
    fn between(old: Option<&MemoryFiles>, new: &MemoryFiles) -> Changes {
        let Some(old) = old else {
            return Changes {
                all: true,
                pages: HashSet::new(),
            };
        };
        let mut changes = Changes::default();
        let mut note = |path: &str| {
            if path.starts_with(crate::SEARCH_INDEX_DIR) {
                return;
            }
            let ext = path.rsplit_once('.').map_or("", |(_, e)| e);
            match ext {
                "html" | "htm" => {
                    changes.pages.insert(http::encode_path(path));
                }
                "xml" | "ics" | "json" | "txt" => {}
                _ => changes.all = true,
            }
        };
        for (path, file) in new {
            if old.get(path).is_none_or(|o| o.hash != file.hash) {
                note(path);
            }
        }
        for path in old.keys() {
            if !new.contains_key(path) {
                note(path);
            }
        }
        changes
    }

    /// The search page shows what the search index holds.
    fn search_index(old: Option<&MemoryFiles>, new: &MemoryFiles) -> Changes {
        let differs = |path: &String| {
            path.starts_with(crate::SEARCH_INDEX_DIR)
                && old.is_none_or(|o| o.get(path).map(|f| f.hash) != new.get(path).map(|f| f.hash))
        };
        let mut changes = Changes::default();
        if new.keys().any(differs) || old.is_some_and(|o| o.keys().any(differs)) {
            let search_page = format!(
                "{}index.html",
                crate::SEARCH_INDEX_DIR.trim_end_matches("index/")
            );
            changes.pages.insert(http::encode_path(&search_page));
        }
        changes
    }
}

/// What every connection reads and the rebuild loop writes.
struct State {
    site: Option<Arc<Site>>,
    /// Counts successful builds; pages carry it so that a page loaded from an older
    /// build reloads when its reload channel connects.
    generation: u64,
    /// The errors of the last build, when it failed.
    error: Option<String>,
    /// Counts failed builds, so that every new failure is pushed to pages.
    failures: u64,
    /// A change was seen and is not built yet.
    pending: bool,
    /// The current build's pages are served and its search index is being made.
    search_pending: bool,
    /// What the last builds changed, by generation, oldest first.
    history: VecDeque<(u64, Arc<Changes>)>,
}

impl State {
    /// Must a page loaded from build `since` (shown at file `page`, if known) reload to
    /// be current? When in doubt, yes.
    fn must_reload(&self, since: u64, page: Option<&str>) -> bool {
        if since >= self.generation {
            return false;
        }
        // Generation 0 is no build of this server: a page of an earlier run.
        if since == 0 {
            return true;
        }
        let Some(page) = page else { return true };
        (since + 1..=self.generation).any(|generation| {
            match self.history.iter().find(|(g, _)| *g == generation) {
                Some((_, changes)) => changes.all || changes.pages.contains(page),
                None => true,
            }
        })
    }

    /// Makes `site` the served build, remembering what it changed.
    fn publish(&mut self, site: Option<Arc<Site>>, changes: Changes) {
        if site.is_some() {
            self.site = site;
        }
        self.generation += 1;
        self.history.push_back((self.generation, Arc::new(changes)));
        while self.history.len() > HISTORY {
            self.history.pop_front();
        }
    }
}

struct Shared {
    state: Mutex<State>,
    changed: Condvar,
    /// `Host` values we answer (lower case, with port).
    hosts: Vec<String>,
    /// Bound to every address: any IP literal host with our port is ours.
    any_ip_host: bool,
    port: u16,
    /// Differs between runs, so that pages reload after a restart.
    instance: String,
    connections: AtomicUsize,
    event_streams: AtomicUsize,
}

impl Shared {
    fn new(bind: &str, addr: SocketAddr) -> Shared {
        let port = addr.port();
        let bind = bind.to_ascii_lowercase();
        let bind_host = if bind.parse::<std::net::Ipv6Addr>().is_ok() {
            format!("[{bind}]")
        } else {
            bind
        };
        let mut hosts = vec![
            format!("127.0.0.1:{port}"),
            format!("localhost:{port}"),
            format!("[::1]:{port}"),
            format!("{bind_host}:{port}"),
            match addr.ip() {
                IpAddr::V6(ip) => format!("[{ip}]:{port}"),
                IpAddr::V4(ip) => format!("{ip}:{port}"),
            },
        ];
        if port == 80 {
            let bare: Vec<String> = hosts
                .iter()
                .map(|h| h.trim_end_matches(":80").to_string())
                .collect();
            hosts.extend(bare);
        }
        let instance = format!(
            "{:x}",
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos())
                ^ u128::from(std::process::id())
        );
        Shared {
            state: Mutex::new(State {
                site: None,
                generation: 0,
                error: None,
                failures: 0,
                pending: false,
                search_pending: false,
                history: VecDeque::new(),
            }),
            changed: Condvar::new(),
            hosts,
            any_ip_host: addr.ip().is_unspecified(),
            port,
            instance,
            connections: AtomicUsize::new(0),
            event_streams: AtomicUsize::new(0),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock would be a bug in this file; the state is
        // still consistent (every write is one assignment), so keep serving.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn tag(&self, generation: u64) -> String {
        format!("{}-{generation}", self.instance)
    }

    /// Is `host` (a `Host` header) one of the names we serve?
    fn is_our_host(&self, host: &str) -> bool {
        let host = host.to_ascii_lowercase();
        if self.hosts.contains(&host) {
            return true;
        }
        if !self.any_ip_host {
            return false;
        }
        // Bound to every address: an IP literal cannot be a rebinding attack's name.
        let Some((name, port)) = host.rsplit_once(':') else {
            return false;
        };
        let name = name.trim_start_matches('[').trim_end_matches(']');
        port == self.port.to_string() && name.parse::<IpAddr>().is_ok()
    }

    /// An `Origin` is ours when it is `http://` and one of our hosts.
    fn is_our_origin(&self, origin: &str) -> bool {
        origin
            .strip_prefix("http://")
            .is_some_and(|host| self.is_our_host(host))
    }
}

/// Runs the builds of the session.
struct Builder {
    root: PathBuf,
    drafts: bool,
    timings: bool,
    session: Session,
    shared: Arc<Shared>,
}

impl Builder {
    fn rebuild(&mut self, notice: &dyn Fn(Notice), why: &str) {
        let started = Instant::now();
        let options = BuildOptions {
            source: self.root.clone(),
            output: None,
            base_url: None,
            drafts: self.drafts,
            now: jiff::Timestamp::now(),
            write: false,
        };
        let prefix = site_settings(&self.root).map_or("/".to_string(), |s| s.0);
        let shared = self.shared.clone();
        // The last good build's files, to tell what this one changed.
        let last = self.session.last_files().cloned();
        let mut pages_at = None;
        let mut recovered = false;
        // The pages are served as soon as they are built; the search index follows.
        let mut pages_ready = |pages: &Arc<MemoryFiles>| {
            let changes = Changes::between(last.as_deref(), pages);
            let site = Arc::new(Site::index(pages.clone(), prefix.clone()));
            {
                let mut state = shared.lock();
                recovered = state.error.take().is_some();
                state.publish(Some(site), changes);
                state.pending = false;
                state.search_pending = true;
            }
            shared.changed.notify_all();
            pages_at = Some(started.elapsed());
        };
        let built = build_in_memory(&options, &mut self.session, &mut pages_ready);
        let elapsed = started.elapsed();
        let why = if why.is_empty() {
            String::new()
        } else {
            format!(" {why}")
        };
        let report = &built.report;
        if self.timings {
            notice(Notice::Info(report.timings.table().trim_end().to_string()));
        }
        if let Some(files) = built.files.clone().filter(|_| report.succeeded()) {
            let changes = Changes::search_index(last.as_deref(), &files);
            let site = Arc::new(Site::index(files.clone(), prefix));
            {
                let mut state = self.shared.lock();
                if changes.pages.is_empty() {
                    state.site = Some(site);
                } else {
                    state.publish(Some(site), changes);
                }
                state.search_pending = false;
            }
            self.shared.changed.notify_all();
            let warnings = report.diagnostics.render();
            if !warnings.is_empty() {
                notice(Notice::Warning(warnings.trim_end().to_string()));
            }
            notice(Notice::Info(format!(
                "Built {} pages ({} rendered, the others unchanged) in {} ms (pages in {} ms, then the search index){why}{}",
                report.pages,
                built.rendered,
                elapsed.as_millis(),
                pages_at.unwrap_or(elapsed).as_millis(),
                if recovered {
                    "; the errors are fixed"
                } else {
                    ""
                }
            )));
        } else {
            let text = report.diagnostics.render();
            {
                let mut state = self.shared.lock();
                state.error = Some(text.clone());
                state.failures += 1;
                state.pending = false;
                state.search_pending = false;
            }
            self.shared.changed.notify_all();
            notice(Notice::BuildFailed(format!(
                "{}The build failed{why}; still serving the last good build.",
                text
            )));
        }
    }
}

fn accept_loop(listener: TcpListener, shared: Arc<Shared>) {
    for stream in listener.incoming() {
        let Ok(stream) = stream else { continue };
        if shared.connections.fetch_add(1, Ordering::SeqCst) >= MAX_CONNECTIONS {
            shared.connections.fetch_sub(1, Ordering::SeqCst);
            continue; // dropping the stream closes it
        }
        let shared2 = shared.clone();
        let spawned = std::thread::Builder::new()
            .name("serve-conn".into())
            .stack_size(CONNECTION_STACK)
            .spawn(move || {
                handle_connection(stream, &shared2);
                shared2.connections.fetch_sub(1, Ordering::SeqCst);
            });
        if spawned.is_err() {
            shared.connections.fetch_sub(1, Ordering::SeqCst);
        }
    }
}

fn handle_connection(stream: TcpStream, shared: &Shared) {
    // Short read timeouts let the header deadline be checked; the write timeout drops
    // a client that never reads.
    let _ = stream.set_read_timeout(Some(Duration::from_secs(1)));
    let _ = stream.set_write_timeout(Some(Duration::from_secs(10)));
    let _ = stream.set_nodelay(true);
    let Ok(read_half) = stream.try_clone() else {
        return;
    };
    let mut reader = BufReader::new(read_half);
    let mut out = stream;
    let request = match http::read_request(&mut reader) {
        Ok(r) => r,
        Err(e) => {
            if let Some(status) = e.status() {
                let _ = Response::text(status, http::reason(status)).write_to(&mut out, false);
                let _ = out.shutdown(std::net::Shutdown::Write);
                http::drain(&mut reader);
            }
            return;
        }
    };
    let head_only = request.method == "HEAD";
    let (target, query) = request
        .target
        .split_once('?')
        .unwrap_or((request.target.as_str(), ""));
    if target == EVENTS_PATH && request.method == "GET" && check(&request, shared).is_ok() {
        event_stream(out, shared, &Listener::from_query(query, shared));
        return;
    }
    let response = respond(&request, shared);
    let _ = response.write_to(&mut out, head_only);
    let _ = out.flush();
    let _ = out.shutdown(std::net::Shutdown::Write);
    http::drain(&mut reader);
}

/// Host, Origin and method checks common to every request.
fn check(request: &Request, shared: &Shared) -> Result<(), Response> {
    match request.header("host") {
        Some(host) if shared.is_our_host(host) => {}
        _ => {
            return Err(Response::text(
                403,
                "forbidden: this preview server answers only requests for its own address",
            ))
        }
    }
    let foreign_origin = request
        .header("origin")
        .is_some_and(|o| !shared.is_our_origin(o));
    let cross_site = request
        .header("sec-fetch-site")
        .is_some_and(|s| s == "cross-site" || s == "same-site");
    if foreign_origin || (cross_site && request.target.starts_with("/__shequn/")) {
        return Err(Response::text(
            403,
            "forbidden: requests from other sites are refused",
        ));
    }
    if request.method != "GET" && request.method != "HEAD" {
        return Err(Response::text(405, "method not allowed: use GET or HEAD")
            .with_header("Allow", "GET, HEAD"));
    }
    Ok(())
}

fn respond(request: &Request, shared: &Shared) -> Response {
    if let Err(refusal) = check(request, shared) {
        return refusal;
    }
    if request.target == SCRIPT_PATH {
        return Response::new(200, "text/javascript; charset=utf-8", LIVE_RELOAD_JS);
    }
    let Some(path) = http::decode_target(&request.target) else {
        return Response::text(400, "bad request: this path cannot name a file of the site");
    };
    let (site, generation, error) = wait_until_current(shared);
    let tag = shared.tag(generation);
    let Some(mut site) = site else {
        let body = inject(
            b"<!doctype html><html><head><meta charset=\"utf-8\"><title>shequn: build failed</title></head><body></body></html>".to_vec(),
            &tag,
            None,
            error.as_deref(),
        );
        return Response::new(503, "text/html; charset=utf-8", body);
    };

    let segments = &path.segments;
    let n = site.prefix.len();
    let inside = segments.len() >= n && segments[..n] == site.prefix[..];
    let rel = if inside {
        segments[n..].join("/")
    } else {
        String::new()
    };
    // The search index of the build being served may still be in the making.
    if inside && rel.starts_with(crate::SEARCH_INDEX_DIR) {
        if let Some(current) = wait_for_search_index(shared) {
            site = current;
        }
    }
    // `page` names the file for the reload channel: a page reloads when it changes.
    let page = |status: u16, rel: &str, page: Option<&str>| -> Option<Response> {
        let file = site.files.get(rel)?;
        let kind = http::content_type(rel);
        let bytes = if kind.starts_with("text/html") {
            inject(file.bytes.to_vec(), &tag, page, error.as_deref())
        } else {
            file.bytes.to_vec()
        };
        Some(Response::new(status, kind, bytes))
    };
    // A missing page reloads after any change: it may be the one that makes it.
    let not_found =
        || page(404, "404.html", None).unwrap_or_else(|| Response::text(404, "not found"));
    if !inside {
        if segments.is_empty() {
            return Response::redirect(302, &http::encode_path(&site.prefix_path));
        }
        return not_found();
    }
    let file = if rel.is_empty() || site.folders.contains(&rel) {
        if !path.trailing_slash && !rel.is_empty() {
            let location = format!("{}{rel}/", site.prefix_path);
            return Response::redirect(301, &http::encode_path(&location));
        }
        if rel.is_empty() {
            "index.html".to_string()
        } else {
            format!("{rel}/index.html")
        }
    } else if path.trailing_slash {
        return not_found();
    } else {
        rel
    };
    page(200, &file, Some(&file)).unwrap_or_else(not_found)
}

/// The state once `busy` is false, or once [`STALE_WAIT`] has passed.
fn wait_while(shared: &Shared, busy: impl Fn(&State) -> bool) -> MutexGuard<'_, State> {
    let deadline = Instant::now() + STALE_WAIT;
    let mut state = shared.lock();
    while busy(&state) {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            break;
        }
        state = shared
            .changed
            .wait_timeout(state, left)
            .map_or_else(|e| e.into_inner().0, |(s, _)| s);
    }
    state
}

/// The site once the search index of the current build is ready (waiting briefly).
fn wait_for_search_index(shared: &Shared) -> Option<Arc<Site>> {
    wait_while(shared, |s| s.search_pending).site.clone()
}

/// The current site, waiting first (briefly) for a pending rebuild.
fn wait_until_current(shared: &Shared) -> (Option<Arc<Site>>, u64, Option<String>) {
    let state = wait_while(shared, |s| s.pending);
    (state.site.clone(), state.generation, state.error.clone())
}

/// Adds the live-reload script, and the error overlay when the last build failed, to a
/// served HTML page (never to the build output). `page` is the file it was served from.
fn inject(mut html: Vec<u8>, tag: &str, page: Option<&str>, error: Option<&str>) -> Vec<u8> {
    let mut snippet = format!(
        "<script src=\"{SCRIPT_PATH}\" data-generation=\"{}\"",
        html_escape::encode_double_quoted_attribute(tag)
    );
    if let Some(page) = page {
        // Percent-encoded: nothing in it needs escaping in an attribute or a query.
        snippet.push_str(&format!(" data-page=\"{}\"", http::encode_path(page)));
    }
    snippet.push_str("></script>");
    if let Some(error) = error {
        snippet.push_str(&format!(
            "<div id=\"shequn-error\" role=\"alert\" style=\"{OVERLAY_STYLE}\"><strong>shequn: the build failed; this is the last good build.</strong><pre style=\"white-space:pre-wrap\">{}</pre></div>",
            html_escape::encode_safe(error)
        ));
    }
    let lower = html.to_ascii_lowercase();
    let at = lower
        .windows(7)
        .rposition(|w| w == b"</body>")
        .unwrap_or(html.len());
    html.splice(at..at, snippet.into_bytes());
    html
}

const OVERLAY_STYLE: &str = "position:fixed;left:0;right:0;bottom:0;max-height:60vh;overflow:auto;z-index:2147483647;margin:0;padding:1em;background:#fff5f5;color:#600;border-top:3px solid #c00;font:14px/1.4 monospace";

/// The live-reload client: reload on a new build, show errors with `textContent` (never
/// as HTML), reload when the server restarted or built while the page was loading.
const LIVE_RELOAD_JS: &str = r#"(function () {
  var me = document.currentScript;
  var seen = me && me.getAttribute("data-generation");
  var style = "position:fixed;left:0;right:0;bottom:0;max-height:60vh;overflow:auto;z-index:2147483647;margin:0;padding:1em;background:#fff5f5;color:#600;border-top:3px solid #c00;font:14px/1.4 monospace";
  function showError(text) {
    var box = document.getElementById("shequn-error");
    if (!box) {
      box = document.createElement("div");
      box.id = "shequn-error";
      box.setAttribute("role", "alert");
      box.setAttribute("style", style);
      document.body.appendChild(box);
    }
    var title = document.createElement("strong");
    title.textContent = "shequn: the build failed; this is the last good build.";
    var pre = document.createElement("pre");
    pre.style.whiteSpace = "pre-wrap";
    pre.textContent = text;
    box.replaceChildren(title, pre);
  }
  var page = me && me.getAttribute("data-page");
  var query = "?since=" + encodeURIComponent(seen || "") + (page ? "&page=" + page : "");
  // The server decides: `reload` when this page changed since it was served (or the
  // server restarted), `built` when a build left it as it is.
  var source = new EventSource("/__shequn/events" + query);
  source.addEventListener("built", function (e) { seen = e.data; });
  source.addEventListener("reload", function () { location.reload(); });
  source.addEventListener("build-error", function (e) { showError(e.data); });
})();
"#;

/// Who listens on a reload channel: the page it was served (`page=`, percent-encoded
/// as [`http::encode_path`] gives it) and the build it came from (`since=`, the tag of
/// that build). Either may be missing: then any new build reloads the page.
struct Listener {
    page: Option<String>,
    since: Option<u64>,
}

impl Listener {
    fn from_query(query: &str, shared: &Shared) -> Listener {
        let mut listener = Listener {
            page: None,
            since: None,
        };
        for pair in query.split('&') {
            match pair.split_once('=') {
                Some(("page", page)) if !page.is_empty() => listener.page = Some(page.to_string()),
                Some(("since", since)) => {
                    // `INSTANCE-GENERATION`, the `-` percent-encoded or not; a tag of
                    // another run of the server is no generation of this one.
                    let since = since.replace("%2D", "-").replace("%2d", "-");
                    listener.since = since
                        .strip_prefix(&shared.instance)
                        .and_then(|rest| rest.strip_prefix('-'))
                        .and_then(|g| g.parse().ok())
                        .or(Some(0));
                    if since.is_empty() {
                        listener.since = None;
                    }
                }
                _ => {}
            }
        }
        listener
    }
}

/// Server-sent events: `hello` with the current build; then, to a page that said where
/// it came from, `reload` if a build since changed it or `built` if not; after each
/// successful build, `reload` to the pages it changed (to every page when in doubt) and
/// `built` to the others; `build-error` after each failed build. No file content is sent.
fn event_stream(mut out: TcpStream, shared: &Shared, listener: &Listener) {
    if shared.event_streams.fetch_add(1, Ordering::SeqCst) >= MAX_EVENT_STREAMS {
        shared.event_streams.fetch_sub(1, Ordering::SeqCst);
        let _ = Response::text(503, "too many open pages").write_to(&mut out, false);
        return;
    }
    let _ = stream_events(&mut out, shared, listener);
    shared.event_streams.fetch_sub(1, Ordering::SeqCst);
}

fn stream_events(out: &mut TcpStream, shared: &Shared, listener: &Listener) -> std::io::Result<()> {
    let page = listener.page.as_deref();
    let (mut generation, mut failures, error, first) = {
        let state = shared.lock();
        let first = listener.since.map(|since| {
            if state.must_reload(since, page) {
                sse_event("reload", &shared.tag(state.generation))
            } else {
                sse_event("built", &shared.tag(state.generation))
            }
        });
        (state.generation, state.failures, state.error.clone(), first)
    };
    let mut text = String::from(
        "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\nConnection: close\r\n\r\nretry: 1000\n\n",
    );
    text.push_str(&format!(
        "event: hello\ndata: {}\n\n",
        shared.tag(generation)
    ));
    text.push_str(first.as_deref().unwrap_or(""));
    if let Some(error) = &error {
        text.push_str(&sse_event("build-error", error));
    }
    out.write_all(text.as_bytes())?;
    out.flush()?;
    loop {
        let (message, next_generation, next_failures) = {
            let state = shared.lock();
            let (state, _) = shared
                .changed
                .wait_timeout_while(state, Duration::from_secs(15), |s| {
                    s.generation == generation && s.failures == failures
                })
                .unwrap_or_else(|e| e.into_inner());
            let message = if state.generation != generation {
                let name = if state.must_reload(generation, page) {
                    "reload"
                } else {
                    "built"
                };
                sse_event(name, &shared.tag(state.generation))
            } else if state.failures != failures {
                sse_event("build-error", state.error.as_deref().unwrap_or(""))
            } else {
                ": still here\n\n".to_string()
            };
            (message, state.generation, state.failures)
        };
        generation = next_generation;
        failures = next_failures;
        out.write_all(message.as_bytes())?;
        out.flush()?;
    }
}

fn sse_event(name: &str, data: &str) -> String {
    let mut text = format!("event: {name}\n");
    for line in data.trim_end().split('\n') {
        text.push_str("data: ");
        text.push_str(line.trim_end_matches('\r'));
        text.push('\n');
    }
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overlay_escapes_markup_from_errors() {
        let html = inject(
            b"<html><body><p>x</p></BODY></html>".to_vec(),
            "t-1",
            Some("members/a b/index.html"),
            Some("members/x.toml:1:1: <script>alert(1)</script>"),
        );
        let html = String::from_utf8(html).unwrap();
        assert!(html.contains("&lt;script&gt;alert(1)"));
        assert!(!html.contains("<script>alert"));
        assert!(html.find("live-reload.js").unwrap() < html.find("</BODY>").unwrap());
        assert!(html.contains("data-page=\"members/a%20b/index.html\""));
    }

    fn files(list: &[(&str, &str)]) -> MemoryFiles {
        let sink = crate::output::MemorySink::new(None);
        for (path, text) in list {
            crate::output::Sink::write(&sink, path, text.as_bytes()).unwrap();
        }
        sink.into_files()
    }

    #[test]
    fn changes_name_the_pages_that_changed_and_assets_change_all() {
        let old = files(&[
            ("a/index.html", "a"),
            ("b/index.html", "b"),
            ("feed.xml", "1"),
            ("search/index/t0.json", "x"),
            ("assets/s.css", "c"),
        ]);
        let new = files(&[
            ("a/index.html", "a"),
            ("b/index.html", "B"),
            ("c/index.html", "c"),
            ("feed.xml", "2"),
            ("search/index/t0.json", "y"),
            ("assets/s.css", "c"),
        ]);
        let changes = Changes::between(Some(&old), &new);
        assert!(!changes.all);
        let mut pages: Vec<&str> = changes.pages.iter().map(String::as_str).collect();
        pages.sort();
        assert_eq!(pages, ["b/index.html", "c/index.html"]);
        let search = Changes::search_index(Some(&old), &new);
        assert_eq!(
            search.pages.into_iter().collect::<Vec<_>>(),
            ["search/index.html"]
        );
        let styled = files(&[("a/index.html", "a"), ("assets/s.css", "d")]);
        assert!(Changes::between(Some(&old), &styled).all);
        assert!(Changes::between(None, &new).all);
    }

    #[test]
    fn a_page_reloads_only_for_builds_that_changed_it() {
        let shared = Shared::new("127.0.0.1", "127.0.0.1:4000".parse().unwrap());
        let mut state = shared.lock();
        state.publish(
            None,
            Changes {
                all: true,
                pages: HashSet::new(),
            },
        );
        let only_b = Changes {
            all: false,
            pages: ["b/index.html".to_string()].into(),
        };
        state.publish(None, only_b);
        assert!(!state.must_reload(1, Some("a/index.html")));
        assert!(state.must_reload(1, Some("b/index.html")));
        assert!(
            state.must_reload(1, None),
            "a page that does not say which reloads"
        );
        assert!(
            state.must_reload(0, Some("a/index.html")),
            "a page of another run"
        );
        assert!(
            !state.must_reload(2, Some("b/index.html")),
            "already current"
        );
        for _ in 0..HISTORY {
            state.publish(None, Changes::default());
        }
        assert!(
            state.must_reload(1, Some("a/index.html")),
            "history forgotten: reload"
        );
        let tag = shared.tag(state.generation);
        drop(state);
        let listener = Listener::from_query(&format!("since={tag}&page=a/index.html"), &shared);
        assert_eq!(listener.page.as_deref(), Some("a/index.html"));
        assert_eq!(listener.since, Some(HISTORY as u64 + 2));
        let foreign = Listener::from_query("since=abc-3", &shared);
        assert_eq!(foreign.since, Some(0));
    }

    #[test]
    fn only_our_hosts_and_origins_are_accepted() {
        let shared = Shared::new("127.0.0.1", "127.0.0.1:4000".parse().unwrap());
        for ok in [
            "127.0.0.1:4000",
            "localhost:4000",
            "LOCALHOST:4000",
            "[::1]:4000",
        ] {
            assert!(shared.is_our_host(ok), "{ok}");
        }
        for bad in [
            "evil.example",
            "evil.example:4000",
            "127.0.0.1:4001",
            "10.0.0.1:4000",
            "",
        ] {
            assert!(!shared.is_our_host(bad), "{bad}");
        }
        assert!(shared.is_our_origin("http://localhost:4000"));
        assert!(!shared.is_our_origin("https://evil.example"));
        assert!(!shared.is_our_origin("null"));
        let everywhere = Shared::new("0.0.0.0", "0.0.0.0:4000".parse().unwrap());
        assert!(everywhere.is_our_host("192.168.1.5:4000"));
        assert!(!everywhere.is_our_host("rebind.evil.example:4000"));
    }

    #[test]
    fn event_data_is_split_into_lines() {
        assert_eq!(
            sse_event("build-error", "a\r\nb\n"),
            "event: build-error\ndata: a\ndata: b\n\n"
        );
    }
}
