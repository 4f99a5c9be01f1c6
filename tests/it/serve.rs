//! `shequn serve`: the real binary on a loopback port (`--port 0`, the system picks),
//! a fixture site copy, requests over raw TCP so that targets are sent verbatim, and
//! the reload channel read as a browser's EventSource would. Every wait is bounded.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::support::Site;

const WAIT: Duration = Duration::from_secs(20);

/// A running `shequn serve`, stopped with SIGINT (as Ctrl-C) when dropped.
struct Server {
    child: Child,
    port: u16,
    stderr: Arc<Mutex<Vec<String>>>,
    site: Site,
    /// `TMPDIR` of the server, so the test can see that it cleans up.
    scratch: PathBuf,
    stopped: bool,
}

impl Server {
    fn start(site: Site) -> Server {
        Server::start_with(site, &[], &[])
    }

    fn start_with(site: Site, args: &[&str], env: &[(&str, &str)]) -> Server {
        let scratch = site.tmp().join("scratch");
        std::fs::create_dir_all(&scratch).unwrap();
        let mut child = Command::new(env!("CARGO_BIN_EXE_shequn"))
            .args(["serve", "--source"])
            .arg(site.root())
            .args(["--port", "0"])
            .args(args)
            .env("TMPDIR", &scratch)
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start shequn serve");
        let stderr = Arc::new(Mutex::new(Vec::new()));
        let lines = stderr.clone();
        let pipe = child.stderr.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(pipe).lines() {
                let Ok(line) = line else { break };
                lines.lock().unwrap().push(line);
            }
        });
        let mut server = Server {
            child,
            port: 0,
            stderr,
            site,
            scratch,
            stopped: false,
        };
        let line = server.wait_for_line("Serving ");
        let port = line
            .split("http://127.0.0.1:")
            .nth(1)
            .and_then(|rest| rest.split('/').next())
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("no port in `{line}`"));
        server.port = port;
        server
    }

    fn stderr(&self) -> String {
        self.stderr.lock().unwrap().join("\n")
    }

    /// Waits for a stderr line containing `needle`, and returns it.
    #[track_caller]
    fn wait_for_line(&mut self, needle: &str) -> String {
        let deadline = Instant::now() + WAIT;
        while Instant::now() < deadline {
            if let Some(line) = self
                .stderr
                .lock()
                .unwrap()
                .iter()
                .find(|l| l.contains(needle))
            {
                return line.clone();
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("serve exited ({status}):\n{}", self.stderr());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!("no `{needle}` in stderr:\n{}", self.stderr());
    }

    fn count_lines(&self, needle: &str) -> usize {
        self.stderr
            .lock()
            .unwrap()
            .iter()
            .filter(|l| l.contains(needle))
            .count()
    }

    fn host(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// Sends `request` as is and reads the whole answer (the server closes after one).
    fn raw(&self, request: &[u8]) -> Vec<u8> {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port)).expect("connect");
        stream
            .set_read_timeout(Some(Duration::from_secs(15)))
            .unwrap();
        // A server may refuse a huge request before reading all of it; what it
        // answered is still what counts.
        let _ = stream.write_all(request);
        let mut answer = Vec::new();
        let _ = stream.read_to_end(&mut answer);
        answer
    }

    fn request(&self, method: &str, target: &str, headers: &[(&str, &str)]) -> Answer {
        let mut text = format!("{method} {target} HTTP/1.1\r\n");
        if !headers.iter().any(|(n, _)| n.eq_ignore_ascii_case("host")) {
            text.push_str(&format!("Host: {}\r\n", self.host()));
        }
        for (name, value) in headers {
            text.push_str(&format!("{name}: {value}\r\n"));
        }
        text.push_str("Connection: close\r\n\r\n");
        Answer::parse(&self.raw(text.as_bytes()))
    }

    fn get(&self, target: &str) -> Answer {
        self.request("GET", target, &[])
    }

    /// Opens the reload channel as the page's script does.
    fn events(&self) -> Events {
        self.events_at("/__shequn/events")
    }

    /// Opens the reload channel as the script of the page served from `file` does.
    fn events_for(&self, file: &str) -> Events {
        self.events_at(&format!("/__shequn/events?page={file}"))
    }

    fn events_at(&self, target: &str) -> Events {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port)).expect("connect");
        stream
            .set_read_timeout(Some(Duration::from_millis(100)))
            .unwrap();
        let origin = format!("http://{}", self.host());
        write!(
            stream,
            "GET {target} HTTP/1.1\r\nHost: {}\r\nOrigin: {origin}\r\nAccept: text/event-stream\r\n\r\n",
            self.host()
        )
        .unwrap();
        let mut events = Events {
            stream,
            buffer: Vec::new(),
            head: String::new(),
        };
        let hello = events.next(WAIT).expect("a hello event");
        assert_eq!(hello.0, "hello");
        events
    }

    /// Sends SIGINT, as Ctrl-C does, and waits for the exit.
    fn interrupt(&mut self) -> Option<std::process::ExitStatus> {
        if self.stopped {
            return self.child.try_wait().ok().flatten();
        }
        self.stopped = true;
        let _ = Command::new("kill")
            .args(["-INT", &self.child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if self.interrupt().is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// A parsed HTTP answer.
#[derive(Debug)]
struct Answer {
    status: u16,
    head: String,
    body: String,
}

impl Answer {
    fn parse(bytes: &[u8]) -> Answer {
        let text = String::from_utf8_lossy(bytes).to_string();
        let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
        let status = head
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        Answer {
            status,
            head: head.to_ascii_lowercase(),
            body: body.to_string(),
        }
    }

    fn header(&self, name: &str) -> Option<String> {
        let prefix = format!("{}: ", name.to_ascii_lowercase());
        self.head
            .lines()
            .find_map(|l| l.strip_prefix(&prefix).map(str::to_string))
    }
}

/// The reading end of a reload channel.
struct Events {
    stream: TcpStream,
    buffer: Vec<u8>,
    head: String,
}

impl Events {
    /// The next event `(name, data)`, skipping comments; `None` after `timeout`.
    fn next(&mut self, timeout: Duration) -> Option<(String, String)> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(end) = find(&self.buffer, b"\n\n") {
                let block: Vec<u8> = self.buffer.drain(..end + 2).collect();
                let block = String::from_utf8_lossy(&block).to_string();
                if self.head.is_empty() {
                    if let Some((head, rest)) = block.split_once("\r\n\r\n") {
                        self.head = head.to_string();
                        let mut again = rest.as_bytes().to_vec();
                        again.extend_from_slice(&self.buffer);
                        self.buffer = again;
                        continue;
                    }
                }
                let mut name = String::from("message");
                let mut data = Vec::new();
                for line in block.lines() {
                    if let Some(n) = line.strip_prefix("event: ") {
                        name = n.to_string();
                    } else if let Some(d) = line.strip_prefix("data: ") {
                        data.push(d.to_string());
                    }
                }
                if block.starts_with(':') || block.starts_with("retry:") && data.is_empty() {
                    continue;
                }
                return Some((name, data.join("\n")));
            }
            if Instant::now() > deadline {
                return None;
            }
            let mut chunk = [0u8; 4096];
            match self.stream.read(&mut chunk) {
                Ok(0) => return None,
                Ok(n) => self.buffer.extend_from_slice(&chunk[..n]),
                Err(_) => {}
            }
        }
    }

    /// Waits for a `reload` event, skipping others.
    #[track_caller]
    fn expect(&mut self, wanted: &str) -> String {
        let deadline = Instant::now() + WAIT;
        while let Some((name, data)) = self.next(deadline.saturating_duration_since(Instant::now()))
        {
            if name == wanted {
                return data;
            }
        }
        panic!("no `{wanted}` event within {WAIT:?}");
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// The `base-path` fixture: `base_url = "https://x.org/club/"`, member `ada`.
fn club() -> Server {
    Server::start(Site::fixture("base-path"))
}

const MEMBER: &str = "members/ada.toml";
const MEMBER_PAGE: &str = "/club/members/ada/";

fn member_record(name: &str) -> String {
    format!("name = \"{name}\"\navatar = \"/img/logo.svg\"\ntags = [\"writing\"]\n")
}

#[test]
fn serve_serves_the_site_under_its_base_path() {
    let server = club();
    let root = server.get("/");
    assert_eq!(root.status, 302);
    assert_eq!(root.header("location").as_deref(), Some("/club/"));
    let home = server.get("/club/");
    assert_eq!(home.status, 200, "{home:?}");
    assert!(home.body.contains("/__shequn/live-reload.js"));
    assert!(home
        .header("content-type")
        .unwrap()
        .starts_with("text/html"));
    assert!(home.header("access-control-allow-origin").is_none());
    let page = server.get(MEMBER_PAGE);
    assert_eq!(page.status, 200);
    assert!(page.body.contains("Ada"));
    let folder = server.get("/club/members/ada");
    assert_eq!(folder.status, 301);
    assert_eq!(folder.header("location").as_deref(), Some(MEMBER_PAGE));
    let logo = server.get("/club/img/logo.svg");
    assert_eq!(logo.status, 200);
    assert_eq!(
        logo.header("content-type").as_deref(),
        Some("image/svg+xml")
    );
    assert!(!logo.body.contains("live-reload"));
    let script = server.get("/__shequn/live-reload.js");
    assert_eq!(script.status, 200);
    assert!(script.body.contains("EventSource"));

    let head = server.request("HEAD", "/club/", &[]);
    assert_eq!(head.status, 200);
    assert!(head.body.is_empty());
    assert!(
        head.header("content-length")
            .unwrap()
            .parse::<usize>()
            .unwrap()
            > 0
    );
}

#[test]
fn serve_refuses_other_methods_and_source_files() {
    let server = club();
    for method in [
        "POST", "PUT", "DELETE", "OPTIONS", "TRACE", "PROPFIND", "PATCH",
    ] {
        let answer = server.request(method, "/club/", &[]);
        assert_eq!(answer.status, 405, "{method}");
        assert_eq!(answer.header("allow").as_deref(), Some("get, head"));
    }
    for target in [
        "/club/shequn.toml",
        "/shequn.toml",
        "/club/charter.md",
        "/club/members/ada.toml",
        "/members/ada.toml",
        "/club/.git/config",
        "/club/.shequn-output",
        "/club/static/img/logo.svg",
    ] {
        assert_eq!(server.get(target).status, 404, "{target}");
    }
}

#[test]
fn serve_refuses_foreign_hosts_and_origins() {
    let server = club();
    let port = server.port;
    for host in [
        "evil.example".to_string(),
        format!("evil.example:{port}"),
        format!("127.0.0.1.evil.example:{port}"),
        format!("localhost:{}", port.wrapping_add(1)),
        String::new(),
    ] {
        let answer = server.request("GET", "/club/", &[("Host", &host)]);
        assert_eq!(answer.status, 403, "Host: {host}");
        assert!(!answer.body.contains("live-reload"));
    }
    // No Host at all.
    let answer = Answer::parse(&server.raw(b"GET /club/ HTTP/1.1\r\n\r\n"));
    assert_eq!(answer.status, 403);
    for ok in [format!("localhost:{port}"), format!("[::1]:{port}")] {
        assert_eq!(
            server.request("GET", "/club/", &[("Host", &ok)]).status,
            200,
            "{ok}"
        );
    }

    for origin in ["https://evil.example", "null", "http://localhost:1"] {
        let events = server.request(
            "GET",
            "/__shequn/events",
            &[("Origin", origin), ("Accept", "text/event-stream")],
        );
        assert_eq!(events.status, 403, "Origin: {origin}");
        assert!(!events.head.contains("text/event-stream"));
        let page = server.request("GET", "/club/", &[("Origin", origin)]);
        assert_eq!(page.status, 403, "Origin: {origin}");
    }
    let upgrade = server.request(
        "GET",
        "/__shequn/events",
        &[
            ("Origin", "https://evil.example"),
            ("Upgrade", "websocket"),
            ("Connection", "Upgrade"),
        ],
    );
    assert_eq!(upgrade.status, 403);
    let cross = server.request(
        "GET",
        "/__shequn/events",
        &[("Sec-Fetch-Site", "cross-site")],
    );
    assert_eq!(cross.status, 403);
}

/// The request targets of the traversal corpus: at least 100, none of which may
/// return a byte from outside the built site.
fn traversal_targets(port: u16) -> Vec<String> {
    let ups = [
        "..",
        "%2e%2e",
        "%2E%2E",
        ".%2e",
        "%2e.",
        "%252e%252e",
        "%25252e%25252e",
        "%c0%ae%c0%ae",
        "%c0%2e%c0%2e",
        "%e0%80%ae%e0%80%ae",
        "%uff0e%uff0e",
        "....",
        "..;",
        "..%00",
        ".%00.",
    ];
    let separators = ["/", "%2f", "%2F", "%5c", "%5C", "\\", "%252f"];
    let bases = ["/", "/club/", "/club/members/"];
    let mut targets = Vec::new();
    for base in bases {
        for up in ups {
            for sep in separators {
                targets.push(format!("{base}{up}{sep}{up}{sep}secret.txt"));
                targets.push(format!("{base}{up}{sep}site{sep}secret.txt"));
            }
        }
    }
    targets.extend(
        [
            "/../secret.txt",
            "/club/../../secret.txt",
            "/club/../site/secret.txt",
            "/club/../site/shequn.toml",
            "/../public-leak/x",
            "/club/%00",
            "/%00",
            "/club/secret.txt%00.html",
            "/club/%2e%2e%2f%2e%2e%2fsecret.txt",
            "/club/..%2f..%2fsecret.txt",
            "/club/..%5c..%5csecret.txt",
            "/club/..\\..\\secret.txt",
            "//secret.txt",
            "//127.0.0.1/secret.txt",
            "/club//../../secret.txt",
            "/club/./../secret.txt",
            "/club/%zz",
            "/club/%",
            "/club/%2",
            "/club/%c0",
            "/club/%ff%fe",
            "/c:/windows/win.ini",
            "/club/C:%5csecret.txt",
            "/club/file:///etc/passwd",
            "http://evil/",
            "http://evil/../secret.txt",
            "*",
            "secret.txt",
            "../secret.txt",
            "/proc/self/environ",
            "/etc/passwd",
            "/club/../../../../../../../../etc/passwd",
            "/club/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
            "/club/?../../secret.txt",
            "/club/#/../../secret.txt",
        ]
        .map(String::from),
    );
    targets.push(format!("http://127.0.0.1:{port}/../secret.txt"));
    targets.push(format!("http://127.0.0.1:{port}/club/"));
    targets.push(format!("/club/{}", "a".repeat(64 * 1024)));
    targets.push(format!("/club/{}secret.txt", "../".repeat(5000)));
    targets
}

#[test]
fn serve_never_returns_a_byte_from_outside_the_site() {
    let site = Site::fixture("base-path");
    let secret = "SECRET-NEXT-TO-THE-SITE-7f3a";
    let inside = "SECRET-IN-THE-SITE-FOLDER-91bc";
    std::fs::write(site.tmp().join("secret.txt"), secret).unwrap();
    std::fs::write(site.root().join("secret.txt"), inside).unwrap();
    std::fs::create_dir_all(site.tmp().join("public-leak")).unwrap();
    std::fs::write(site.tmp().join("public-leak/x"), secret).unwrap();
    let server = Server::start(site);

    let targets = traversal_targets(server.port);
    assert!(targets.len() >= 100, "only {} targets", targets.len());
    for target in &targets {
        let raw = server
            .raw(format!("GET {target} HTTP/1.1\r\nHost: {}\r\n\r\n", server.host()).as_bytes());
        let answer = Answer::parse(&raw);
        let text = String::from_utf8_lossy(&raw);
        assert!(
            !text.contains(secret) && !text.contains(inside) && !text.contains("root:x:0"),
            "{target} leaked: {text}"
        );
        assert!(
            answer.status == 0
                || [400, 403, 404, 414].contains(&answer.status)
                // A query or fragment is not part of the path: `/club/?../x` is the home page.
                || (target.contains(['?', '#']) && answer.status == 200),
            "{target}: status {}",
            answer.status
        );
    }
    // Raw bytes the HTTP grammar does not allow, and a request that never ends.
    for raw in [
        &b"GET /club/\x00 HTTP/1.1\r\nHost: x\r\n\r\n"[..],
        b"GET /club/\xc0\xae\xc0\xae/secret.txt HTTP/1.1\r\n\r\n",
        b"GARBAGE\r\n\r\n",
        b"GET /club/ HTTP/9.9\r\n\r\n",
    ] {
        let text = String::from_utf8_lossy(&server.raw(raw)).to_string();
        assert!(!text.contains(secret) && !text.contains(inside));
    }
    // The server still answers.
    assert_eq!(server.get("/club/").status, 200);
}

/// How an editor writes `path` with new `text`.
#[derive(Debug, Clone, Copy)]
enum Save {
    InPlace,
    /// Sublime, Helix, VS Code's atomic save: a temporary file renamed over the file.
    TempThenRename,
    /// JetBrains' safe write.
    JetBrains,
    /// vim with `backupcopy=auto`: the `4913` probe, then backup-and-rename.
    Vim,
    DeleteThenCreate,
}

fn save(site: &Site, path: &str, text: &str, how: Save) {
    let file = site.root().join(path);
    let dir = file.parent().unwrap().to_path_buf();
    let name = file.file_name().unwrap().to_str().unwrap().to_string();
    match how {
        Save::InPlace => {
            let mut f = std::fs::OpenOptions::new()
                .write(true)
                .truncate(true)
                .open(&file)
                .unwrap();
            f.write_all(text.as_bytes()).unwrap();
        }
        Save::TempThenRename => {
            let temp = dir.join(format!(".{name}.save-1234"));
            std::fs::write(&temp, text).unwrap();
            std::fs::rename(&temp, &file).unwrap();
        }
        Save::JetBrains => {
            let temp = dir.join(format!("{name}___jb_tmp___"));
            let old = dir.join(format!("{name}___jb_old___"));
            std::fs::write(&temp, text).unwrap();
            std::fs::rename(&file, &old).unwrap();
            std::fs::rename(&temp, &file).unwrap();
            std::fs::remove_file(&old).unwrap();
        }
        Save::Vim => {
            let probe = dir.join("4913");
            std::fs::write(&probe, "").unwrap();
            std::fs::remove_file(&probe).unwrap();
            let backup = dir.join(format!("{name}~"));
            std::fs::rename(&file, &backup).unwrap();
            std::fs::write(&file, text).unwrap();
            std::fs::remove_file(&backup).unwrap();
        }
        Save::DeleteThenCreate => {
            std::fs::remove_file(&file).unwrap();
            std::thread::sleep(Duration::from_millis(30));
            std::fs::write(&file, text).unwrap();
        }
    }
}

fn every_save_is_seen(server: &Server) {
    let mut events = server.events();
    for (i, how) in [
        Save::InPlace,
        Save::TempThenRename,
        Save::JetBrains,
        Save::Vim,
        Save::DeleteThenCreate,
        Save::InPlace,
        Save::Vim,
    ]
    .into_iter()
    .enumerate()
    {
        let name = format!("Ada save {i} {how:?}");
        save(&server.site, MEMBER, &member_record(&name), how);
        wait_for_page(server, &mut events, &name);
    }
    // Two saves in a row: the page shows the second.
    save(
        &server.site,
        MEMBER,
        &member_record("Ada first of two"),
        Save::InPlace,
    );
    save(
        &server.site,
        MEMBER,
        &member_record("Ada second of two"),
        Save::InPlace,
    );
    wait_for_page(server, &mut events, "Ada second of two");
}

/// Waits for reloads until the member page shows `text` (a reload for an earlier
/// save may still be on its way).
#[track_caller]
fn wait_for_page(server: &Server, events: &mut Events, text: &str) {
    let deadline = Instant::now() + WAIT;
    loop {
        events.expect("reload");
        if server.get(MEMBER_PAGE).body.contains(text) {
            return;
        }
        assert!(Instant::now() < deadline, "`{text}` never showed");
    }
}

#[test]
fn serve_reloads_only_the_pages_a_change_touches() {
    let server = club();
    let page = server.get(MEMBER_PAGE).body;
    assert!(
        page.contains("data-page=\"members/ada/index.html\""),
        "{page}"
    );
    let mut member = server.events_for("members/ada/index.html");
    let mut rules = server.events_for("rules/index.html");
    let mut unknown = server.events();
    save(
        &server.site,
        MEMBER,
        &member_record("Ada Renamed"),
        Save::InPlace,
    );
    let (name, _) = member.next(WAIT).expect("an event for the member page");
    assert_eq!(name, "reload");
    let (name, tag) = rules.next(WAIT).expect("an event for the rules page");
    assert_eq!(name, "built", "the rules page does not show members");
    let (name, _) = unknown
        .next(WAIT)
        .expect("an event for a page that did not say");
    assert_eq!(name, "reload");
    // A page that reconnects says which build it has: it reloads only if it changed since.
    let since = |page: &str| {
        let mut events = server.events_at(&format!("/__shequn/events?since={tag}&page={page}"));
        events.next(WAIT).expect("an answer").0
    };
    assert_eq!(since("rules/index.html"), "built");
    save(
        &server.site,
        MEMBER,
        &member_record("Ada Again"),
        Save::InPlace,
    );
    member.expect("reload");
    assert_eq!(since("members/ada/index.html"), "reload");
    assert_eq!(since("rules/index.html"), "built");
    while let Some((name, _)) = rules.next(Duration::from_millis(500)) {
        assert_ne!(name, "reload", "the rules page reloaded for a member edit");
    }
    // An image may be on any page: all reload.
    server.site.write(
        "static/img/logo.svg",
        "<svg xmlns=\"http://www.w3.org/2000/svg\"/>",
    );
    rules.expect("reload");
}

/// The page without the live-reload script `serve` adds.
fn without_live_reload(page: &str) -> String {
    let Some(start) = page.find("<script src=\"/__shequn/live-reload.js\"") else {
        return page.to_string();
    };
    let end = start + page[start..].find("</script>").unwrap() + "</script>".len();
    format!("{}{}", &page[..start], &page[end..])
}

#[test]
fn serve_after_edits_serves_what_a_clean_build_gives() {
    let mut server = Server::start(Site::fixture("full"));
    let mut events = server.events();
    // Edits that reach many pages: an event removed (which changes the counts every
    // page shows, so all are rendered again), then a page added, a page edited and a
    // member renamed, which leave most pages as they were.
    std::fs::remove_file(server.site.root().join("events/picnic.toml")).unwrap();
    events.expect("reload");
    server.site.write(
        "content/extra.md",
        "+++\ntitle = \"Extra page\"\n+++\n\nSee [the recap](@/posts/recap.md).\n",
    );
    events.expect("reload");
    let recap = std::fs::read_to_string(server.site.root().join("content/posts/recap.md")).unwrap();
    server.site.write(
        "content/posts/recap.md",
        &format!("{recap}\n\nOne more paragraph.\n"),
    );
    events.expect("reload");
    let ada = std::fs::read_to_string(server.site.root().join("members/ada.toml")).unwrap();
    let renamed = ada.replacen("name = \"", "name = \"Renamed ", 1);
    assert_ne!(ada, renamed);
    save(
        &server.site,
        "members/ada.toml",
        &renamed,
        Save::TempThenRename,
    );
    // The last edit is built when the member page shows it (requests wait for
    // pending builds).
    let deadline = Instant::now() + WAIT;
    while !server.get("/members/ada/").body.contains("Renamed ") {
        assert!(Instant::now() < deadline, "the rename never showed");
        std::thread::sleep(Duration::from_millis(50));
    }
    // Pages were kept, not all rendered again.
    assert!(
        server
            .stderr()
            .contains(" rendered, the others unchanged) in")
            && !server
                .stderr()
                .lines()
                .last()
                .unwrap_or("")
                .contains("(27 rendered"),
        "{}",
        server.stderr()
    );
    // What a clean build of the edited site gives, at about the same moment.
    let now = jiff::Timestamp::now().to_string();
    let clean = crate::support::tree(&server.site.build_at(&now).ok().output);
    let mut compared = 0;
    for (path, bytes) in &clean {
        if !path.ends_with(".html") || path == "404.html" {
            continue;
        }
        let target = format!("/{}", path.trim_end_matches("index.html"));
        let answer = server.get(&target);
        assert_eq!(answer.status, 200, "{target}");
        assert!(
            without_live_reload(&answer.body) == String::from_utf8_lossy(bytes),
            "{target} differs from a clean build"
        );
        compared += 1;
    }
    assert!(compared > 20, "only {compared} pages compared");
    assert!(clean.contains_key("extra/index.html"));
    let _ = server.interrupt();
}

#[test]
fn serve_sees_every_editor_save_pattern() {
    let server = club();
    every_save_is_seen(&server);
}

#[test]
fn serve_sees_saves_when_polling() {
    let server = Server::start_with(Site::fixture("base-path"), &[], &[("SHEQUN_WATCH", "poll")]);
    assert!(server.stderr().contains("polling"), "{}", server.stderr());
    every_save_is_seen(&server);
}

#[test]
fn serve_ignores_editor_droppings_and_the_output_folder() {
    let server = club();
    let mut events = server.events();
    let root = server.site.root();
    std::fs::write(root.join("members/4913"), "").unwrap();
    std::fs::remove_file(root.join("members/4913")).unwrap();
    std::fs::write(root.join("members/ada.toml~"), "x").unwrap();
    std::fs::write(root.join("members/.ada.toml.swp"), "x").unwrap();
    std::fs::write(root.join("members/.#ada.toml"), "x").unwrap();
    std::fs::create_dir_all(root.join("public/members")).unwrap();
    std::fs::write(root.join("public/index.html"), "x").unwrap();
    assert_eq!(events.next(Duration::from_millis(1500)), None);
    assert_eq!(server.count_lines("Built "), 1, "{}", server.stderr());
}

#[test]
fn serve_rebuilds_at_most_twice_for_a_burst() {
    let server = club();
    let mut events = server.events();
    for i in 0..300 {
        server.site.write(
            &format!("content/news/burst-{i}.md"),
            &format!("+++\ntitle = \"Burst {i}\"\n+++\n\nBody {i}.\n"),
        );
    }
    events.expect("reload");
    // The reload comes when the pages are ready; the build is reported once its search
    // index is too.
    let deadline = Instant::now() + WAIT;
    while server.count_lines("Built ") < 2 {
        assert!(
            Instant::now() < deadline,
            "no rebuild reported:\n{}",
            server.stderr()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    // Let a second rebuild, if any, finish.
    std::thread::sleep(Duration::from_millis(1500));
    let builds = server.count_lines("Built ") - 1;
    assert!(
        (1..=2).contains(&builds),
        "{builds} rebuilds:\n{}",
        server.stderr()
    );
    assert_eq!(server.get("/club/news/burst-299/").status, 200);
    assert_eq!(server.get("/club/news/burst-0/").status, 200);
}

#[test]
fn serve_shows_errors_escaped_keeps_the_last_build_and_recovers() {
    let mut server = club();
    let mut events = server.events();
    save(
        &server.site,
        MEMBER,
        "name = \"Ada\"\ncitty = \"<script>alert('pwned')</script>\"\n",
        Save::InPlace,
    );
    let error = events.expect("build-error");
    assert!(error.contains("citty"), "{error}");
    let page = server.get(MEMBER_PAGE);
    assert_eq!(page.status, 200);
    assert!(page.body.contains("shequn-error"), "no overlay");
    assert!(page.body.contains("&lt;script&gt;alert("), "{}", page.body);
    assert!(!page.body.contains("<script>alert("));
    // The last good build is still served.
    assert!(page.body.contains("Ada"));
    // The terminal gets the error just after the browser does: wait for it.
    server.wait_for_line("unknown key `citty`");

    save(
        &server.site,
        MEMBER,
        &member_record("Ada Fixed"),
        Save::InPlace,
    );
    events.expect("reload");
    let page = server.get(MEMBER_PAGE);
    assert!(page.body.contains("Ada Fixed"));
    assert!(!page.body.contains("shequn-error"));
}

#[test]
fn serve_starts_with_a_broken_site_and_recovers() {
    let site = Site::fixture("base-path");
    site.write(MEMBER, "name = \"Ada\"\ncitty = \"<b>x</b>\"\n");
    let server = Server::start(site);
    let page = server.get("/club/");
    assert_eq!(page.status, 503);
    assert!(page.body.contains("&lt;b&gt;x"), "{}", page.body);
    assert!(!page.body.contains("<b>x"));
    let mut events = server.events();
    save(
        &server.site,
        MEMBER,
        &member_record("Ada Mended"),
        Save::TempThenRename,
    );
    events.expect("reload");
    assert!(server.get(MEMBER_PAGE).body.contains("Ada Mended"));
}

#[test]
fn serve_never_writes_the_output_folder_and_stops_cleanly() {
    let site = Site::fixture("base-path");
    let mut server = Server::start(site);
    assert_eq!(server.get("/club/").status, 200);
    assert!(!server.site.root().join("public").exists());
    assert!(!server.site.public().exists());
    let status = server.interrupt().expect("serve stops on Ctrl-C");
    assert!(status.success(), "{status}");
    assert!(server.stderr().contains("Stopped."));
    let left: Vec<_> = std::fs::read_dir(&server.scratch).unwrap().collect();
    assert!(left.is_empty(), "temporary files left: {left:?}");
}

#[test]
fn serve_takes_the_next_port_when_one_is_taken() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let site = Site::fixture("base-path");
    let mut child = Command::new(env!("CARGO_BIN_EXE_shequn"))
        .args(["serve", "--source"])
        .arg(site.root())
        .args(["--port", &port])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut seen = String::new();
    let deadline = Instant::now() + WAIT;
    while !seen.contains("Serving ") && Instant::now() < deadline {
        let mut line = String::new();
        if stderr.read_line(&mut line).unwrap_or(0) == 0 {
            break;
        }
        seen.push_str(&line);
    }
    let _ = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status();
    let _ = child.wait();
    assert!(seen.contains(&format!("port {port} is taken")), "{seen}");
}

#[test]
fn serve_stays_responsive_with_hundreds_of_idle_connections() {
    let server = club();
    let idle: Vec<TcpStream> = (0..300)
        .map(|_| TcpStream::connect(("127.0.0.1", server.port)).expect("connect"))
        .collect();
    // Half of them start a request and never finish it (slowloris).
    for mut stream in idle.iter().step_by(2) {
        let _ = stream.write_all(b"GET /club/ HTTP/1.1\r\nHost: ");
    }
    let started = Instant::now();
    assert_eq!(server.get("/club/").status, 200);
    assert!(started.elapsed() < Duration::from_secs(5));
    drop(idle);
    assert_eq!(server.get(MEMBER_PAGE).status, 200);
}

// BAD-INPUTS row 28: loopback unless told otherwise, and a loud warning when bound to
// every address.
#[test]
fn serve_binds_loopback_by_default_and_warns_when_bound_to_every_address() {
    let server = club();
    assert!(!server.stderr().contains("warning"), "{}", server.stderr());
    let local = TcpStream::connect(("127.0.0.1", server.port)).expect("connect");
    assert_eq!(local.local_addr().unwrap().ip().to_string(), "127.0.0.1");
    drop(local);

    let everywhere = Server::start_with(Site::fixture("base-path"), &["--bind", "0.0.0.0"], &[]);
    let warning = everywhere.stderr();
    assert!(
        warning.contains("warning: serving on 0.0.0.0:")
            && warning.contains("visible to the network"),
        "{warning}"
    );
    assert_eq!(everywhere.get("/club/").status, 200);
}

// BAD-INPUTS row 3 under serve: an editor creating an empty page is an error in the
// terminal and the browser, never a panic; the server keeps serving and recovers.
#[test]
fn serve_survives_an_empty_page_an_editor_creates() {
    let mut server = club();
    let mut events = server.events();
    server.site.write("content/new.md", "");
    let error = events.expect("build-error");
    assert!(error.contains("missing front matter"), "{error}");
    server.wait_for_line("content/new.md:1:1: missing front matter");
    assert_eq!(server.get(MEMBER_PAGE).status, 200);
    server.site.write(
        "content/new.md",
        "+++\ntitle = \"New\"\n+++\n\nNow written.\n",
    );
    events.expect("reload");
    assert!(server.get("/club/new/").body.contains("Now written."));
}
