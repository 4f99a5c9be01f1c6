//! The bad-input corpus (`tests/bad-inputs/*.cases`, format in its README): every row of
//! BAD-INPUTS.md that concerns `build` and `check`, several cases each. A case starts
//! from a fixture site whose good build is already in the output folder, breaks a few
//! files, runs `build` and `check` with a time limit, and checks the declared outcome
//! plus what holds for every case: no panic, signal or hang; every diagnostic located
//! at the right line of its file; nothing in the temporary folder changed (sources,
//! previous output, no staging folder left). One test per corpus file, so the test
//! harness runs the files in parallel.

use std::collections::{BTreeMap, HashMap};
use std::ffi::OsString;
use std::io::Read;
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use crate::support::{copy_dir, Site, NOW};

/// Longest a command may take on one case (BAD-INPUTS: "each case finishes within 10 s").
const TIME_LIMIT: Duration = Duration::from_secs(10);

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/bad-inputs")
}

// ---------------------------------------------------------------------------------------
// The format

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cmd {
    Build,
    Check,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum OutputExpect {
    /// The whole temporary folder is unchanged.
    Unchanged,
    /// The output equals a build of the changed site into an empty folder.
    Fresh,
}

#[derive(Debug, Clone)]
enum Op {
    Write(Vec<u8>, Vec<u8>),
    Append(Vec<u8>, Vec<u8>),
    Transform(Vec<u8>, String),
    Dir(Vec<u8>),
    Remove(Vec<u8>),
    Fifo(Vec<u8>),
    Symlink(Vec<u8>, String),
    Mode(Vec<u8>, u32),
}

#[derive(Debug, Clone)]
struct Case {
    /// `file:line` of the case's `===` line, for failure messages.
    origin: String,
    name: String,
    base: String,
    exit: i32,
    commands: Vec<Cmd>,
    /// (location, fragment): a line `LOCATION: ...FRAGMENT...`.
    errors: Vec<(String, String)>,
    warnings: Vec<(String, String)>,
    helps: Vec<String>,
    stderr: Vec<String>,
    not_stderr: Vec<String>,
    output: OutputExpect,
    output_dir: Option<String>,
    /// (output file, text) the output must hold after a successful build.
    output_has: Vec<(String, String)>,
    /// (file name ending, text): no output file whose name ends so may hold the text;
    /// an empty ending means every file.
    output_lacks: Vec<(String, String)>,
    /// Paths relative to the temporary folder that the build must remove.
    removed: Vec<String>,
    unlocated: bool,
    not_as_root: bool,
    snapshot: bool,
    ops: Vec<Op>,
}

impl Case {
    fn new(origin: String, name: String) -> Case {
        Case {
            origin,
            name,
            base: "full".into(),
            exit: 1,
            commands: vec![Cmd::Build, Cmd::Check],
            errors: Vec::new(),
            warnings: Vec::new(),
            helps: Vec::new(),
            stderr: Vec::new(),
            not_stderr: Vec::new(),
            output: OutputExpect::Unchanged,
            output_dir: None,
            output_has: Vec::new(),
            output_lacks: Vec::new(),
            removed: Vec::new(),
            unlocated: false,
            not_as_root: false,
            snapshot: false,
            ops: Vec::new(),
        }
    }
}

/// Splits `LOCATION: FRAGMENT` where LOCATION is `PATH:LINE:COL` (the path may hold `:`).
fn split_location(text: &str) -> Option<(String, String)> {
    let re = regex::Regex::new(r"^(.+?:\d+:\d+): ?(.*)$").unwrap();
    let c = re.captures(text)?;
    Some((c[1].to_string(), c[2].to_string()))
}

fn parse_corpus(file: &str, text: &str) -> Result<Vec<Case>, String> {
    let mut cases: Vec<Case> = Vec::new();
    let lines: Vec<&str> = text.split('\n').collect();
    let mut i = 0;
    let fail = |n: usize, why: &str| Err(format!("{file}:{}: {why}", n + 1));
    while i < lines.len() {
        let line = lines[i];
        if let Some(name) = line.strip_prefix("=== ") {
            cases.push(Case::new(format!("{file}:{}", i + 1), name.trim().into()));
            i += 1;
            continue;
        }
        if let Some(target) = line.strip_prefix("--- ") {
            let Some(case) = cases.last_mut() else {
                return fail(i, "a file before the first case");
            };
            let (path, flags) = match (target.rfind(" ["), target.strip_suffix(']')) {
                (Some(at), Some(inside)) => {
                    (target[..at].to_string(), inside[at + 2..].to_string())
                }
                _ => (target.to_string(), String::new()),
            };
            let mut body = Vec::new();
            i += 1;
            while i < lines.len() && !lines[i].starts_with("--- ") && !lines[i].starts_with("=== ")
            {
                body.push(lines[i]);
                i += 1;
            }
            // The new line before the next marker ends the file's last line; trailing
            // empty lines before a marker belong to the corpus layout, not the file.
            while body.last().is_some_and(|l| l.is_empty()) {
                body.pop();
            }
            let mut text = body.join("\n");
            if !body.is_empty() {
                text.push('\n');
            }
            let escaped = flags == "escapes" || flags == "append";
            let path_bytes = if escaped {
                unescape(&path)?
            } else {
                path.clone().into_bytes()
            };
            let bytes = if escaped {
                unescape(&text)?
            } else {
                text.into_bytes()
            };
            let op = match flags.as_str() {
                "" | "escapes" => Op::Write(path_bytes, bytes),
                "append" => Op::Append(path_bytes, bytes),
                "dir" => Op::Dir(path_bytes),
                "remove" => Op::Remove(path_bytes),
                "fifo" => Op::Fifo(path_bytes),
                "bom" | "crlf" | "cr" | "mixed-eol" | "no-final-newline" | "utf16le"
                | "utf16be" | "utf32le" => Op::Transform(path_bytes, flags.clone()),
                f if f.starts_with("symlink ") => {
                    Op::Symlink(path_bytes, f["symlink ".len()..].to_string())
                }
                f if f.starts_with("mode ") => Op::Mode(
                    path_bytes,
                    u32::from_str_radix(&f["mode ".len()..], 8)
                        .map_err(|_| format!("{file}:{}: bad mode", i))?,
                ),
                other => return Err(format!("{file}: unknown operation `[{other}]`")),
            };
            case.ops.push(op);
            continue;
        }
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            i += 1;
            continue;
        }
        let Some(case) = cases.last_mut() else {
            return fail(i, "text before the first case");
        };
        let (key, value) = match trimmed.split_once(':') {
            Some((k, v)) if !k.contains(' ') => (k, v.trim()),
            _ => (trimmed, ""),
        };
        match key {
            "base" => case.base = value.into(),
            "exit" => {
                case.exit = value
                    .parse()
                    .map_err(|_| format!("{file}:{}: exit", i + 1))?
            }
            "commands" => {
                case.commands = value
                    .split_whitespace()
                    .map(|c| match c {
                        "build" => Ok(Cmd::Build),
                        "check" => Ok(Cmd::Check),
                        _ => Err(format!("{file}:{}: unknown command {c}", i + 1)),
                    })
                    .collect::<Result<_, _>>()?
            }
            "error" | "warning" => {
                let Some(pair) = split_location(value) else {
                    return fail(i, "expected `error: PATH:LINE:COL: fragment`");
                };
                if key == "error" {
                    case.errors.push(pair);
                } else {
                    case.warnings.push(pair);
                }
            }
            "help" => case.helps.push(value.into()),
            "stderr" => case.stderr.push(value.into()),
            "not-stderr" => case.not_stderr.push(value.into()),
            "output" => {
                case.output = match value {
                    "fresh" => OutputExpect::Fresh,
                    "unchanged" => OutputExpect::Unchanged,
                    _ => return fail(i, "output is `fresh` or `unchanged`"),
                }
            }
            "output-dir" => case.output_dir = Some(value.into()),
            "output-has" => {
                let Some((file, text)) = value.split_once(": ") else {
                    return fail(i, "expected `output-has: FILE: text`");
                };
                let text = String::from_utf8_lossy(&unescape(text)?).into_owned();
                case.output_has.push((file.into(), text));
            }
            "output-lacks" => case.output_lacks.push((
                String::new(),
                String::from_utf8_lossy(&unescape(value)?).into_owned(),
            )),
            "lacks-in" => {
                let Some((ending, text)) = value.split_once(": ") else {
                    return fail(i, "expected `lacks-in: .html: text`");
                };
                let text = String::from_utf8_lossy(&unescape(text)?).into_owned();
                case.output_lacks.push((ending.into(), text));
            }
            "removed" => case.removed.push(value.into()),
            "unlocated" => case.unlocated = true,
            "not-as-root" => case.not_as_root = true,
            "snapshot" => case.snapshot = true,
            _ => return fail(i, &format!("unknown key `{key}`")),
        }
        i += 1;
    }
    Ok(cases)
}

/// The escapes of `[escapes]` files (see the corpus README).
fn unescape(text: &str) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    let mut chars = text.char_indices().peekable();
    while let Some((_, c)) = chars.next() {
        if c != '\\' {
            let mut buf = [0u8; 4];
            out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
            continue;
        }
        let Some((at, e)) = chars.next() else {
            return Err("a `\\` at the end".into());
        };
        match e {
            'x' => {
                let hex = text.get(at + 1..at + 3).ok_or("short \\x")?;
                out.push(u8::from_str_radix(hex, 16).map_err(|_| format!("bad \\x{hex}"))?);
                chars.next();
                chars.next();
            }
            'r' | 'c' if text[at..].starts_with("repeat{") || text[at..].starts_with("count{") => {
                // `\count{N}{TEXT}` is `\repeat` with `#` in TEXT replaced by 0, 1, …
                let word = if e == 'r' { "repeat{" } else { "count{" };
                let rest = &text[at + word.len()..];
                let close = rest.find('}').ok_or("unclosed \\repeat{")?;
                let count: usize = rest[..close].parse().map_err(|_| "bad repeat count")?;
                let body_start = close + 1;
                if !rest[body_start..].starts_with('{') {
                    return Err("\\repeat{N}{TEXT}".into());
                }
                // TEXT ends at the first `}` not escaped with `\`.
                let body = &rest[body_start + 1..];
                let mut end = None;
                let mut escaped = false;
                for (j, ch) in body.char_indices() {
                    if escaped {
                        escaped = false;
                    } else if ch == '\\' {
                        escaped = true;
                    } else if ch == '}' {
                        end = Some(j);
                        break;
                    }
                }
                let end = end.ok_or("unclosed \\repeat TEXT")?;
                let unit = unescape(&body[..end])?;
                for n in 0..count {
                    if e == 'c' {
                        let number = n.to_string();
                        for &byte in &unit {
                            if byte == b'#' {
                                out.extend_from_slice(number.as_bytes());
                            } else {
                                out.push(byte);
                            }
                        }
                    } else {
                        out.extend_from_slice(&unit);
                    }
                }
                let consumed = word.len() + body_start + 1 + end + 1;
                let target = at + consumed;
                while chars.peek().is_some_and(|(j, _)| *j < target) {
                    chars.next();
                }
            }
            'r' => out.push(b'\r'),
            't' => out.push(b'\t'),
            '0' => out.push(0),
            'n' => out.push(b'\n'),
            '\\' => out.push(b'\\'),
            '}' => out.push(b'}'),
            '\n' => {}
            'u' => {
                let rest = &text[at + 1..];
                let end = rest.find('}').ok_or("unclosed \\u{")?;
                let code = u32::from_str_radix(&rest[1..end], 16).map_err(|_| "bad \\u")?;
                let c = char::from_u32(code).ok_or("not a char")?;
                let mut buf = [0u8; 4];
                out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
                for _ in 0..end + 1 {
                    chars.next();
                }
            }
            other => return Err(format!("unknown escape \\{other}")),
        }
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------
// The temporary folder, before and after

#[derive(Debug, Clone, PartialEq, Eq)]
enum Entry {
    File { bytes: Vec<u8>, mode: u32 },
    Unreadable { mode: u32 },
    Dir { mode: u32 },
    Link(PathBuf),
    Other,
}

type Tree = BTreeMap<Vec<u8>, Entry>;

/// Everything under `root`, without following links or reading pipes.
fn snapshot(root: &Path, skip: &[PathBuf]) -> Tree {
    let mut out = Tree::new();
    fn walk(root: &Path, dir: &Path, skip: &[PathBuf], out: &mut Tree) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if skip.contains(&path) {
                continue;
            }
            let rel = path
                .strip_prefix(root)
                .unwrap()
                .as_os_str()
                .as_bytes()
                .to_vec();
            let Ok(meta) = std::fs::symlink_metadata(&path) else {
                continue;
            };
            let mode = meta.permissions().mode() & 0o7777;
            let kind = meta.file_type();
            if kind.is_symlink() {
                out.insert(
                    rel,
                    Entry::Link(std::fs::read_link(&path).unwrap_or_default()),
                );
            } else if kind.is_dir() {
                out.insert(rel, Entry::Dir { mode });
                walk(root, &path, skip, out);
            } else if kind.is_file() {
                let entry = match std::fs::read(&path) {
                    Ok(bytes) => Entry::File { bytes, mode },
                    Err(_) => Entry::Unreadable { mode },
                };
                out.insert(rel, entry);
            } else {
                out.insert(rel, Entry::Other);
            }
        }
    }
    walk(root, root, skip, &mut out);
    out
}

fn describe_difference(before: &Tree, after: &Tree) -> String {
    let mut lines = Vec::new();
    for (path, entry) in before {
        let shown = String::from_utf8_lossy(path);
        match after.get(path) {
            None => lines.push(format!("removed {shown}")),
            Some(e) if e != entry => lines.push(format!("changed {shown}")),
            _ => {}
        }
    }
    for path in after.keys().filter(|p| !before.contains_key(*p)) {
        lines.push(format!("added {}", String::from_utf8_lossy(path)));
    }
    lines.truncate(20);
    lines.join("\n  ")
}

/// The good build of each fixture, made once per test run and copied into each case.
fn reference_output(base: &str) -> Arc<tempfile::TempDir> {
    static BUILT: OnceLock<Mutex<HashMap<String, Arc<tempfile::TempDir>>>> = OnceLock::new();
    let cell = BUILT.get_or_init(Default::default);
    let mut built = cell.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(dir) = built.get(base) {
        return dir.clone();
    }
    let site = Site::fixture(base);
    let run = site.build();
    assert_eq!(run.code, 0, "fixture {base} must build:\n{}", run.stderr);
    let keep = tempfile::Builder::new()
        .prefix("shequn-reference")
        .tempdir()
        .unwrap();
    copy_dir(&site.public(), &keep.path().join("public"));
    let keep = Arc::new(keep);
    built.insert(base.to_string(), keep.clone());
    keep
}

// ---------------------------------------------------------------------------------------
// Running

#[derive(Debug)]
enum Status {
    Exited(i32),
    Signal,
    TimedOut,
}

struct Outcome {
    status: Status,
    stderr: String,
    elapsed: Duration,
}

fn run_limited(args: &[OsString], cwd: &Path) -> Outcome {
    let started = Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_shequn"))
        .args(args)
        .current_dir(cwd)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run shequn");
    let mut pipe = child.stderr.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = pipe.read_to_end(&mut bytes);
        bytes
    });
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for shequn") {
            break match status.code() {
                Some(code) => Status::Exited(code),
                None => Status::Signal,
            };
        }
        if started.elapsed() > TIME_LIMIT {
            let _ = child.kill();
            let _ = child.wait();
            break Status::TimedOut;
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let elapsed = started.elapsed();
    let bytes = reader.join().unwrap_or_default();
    let stderr = match String::from_utf8(bytes) {
        Ok(s) => s,
        Err(e) => format!(
            "(stderr is not UTF-8)\n{}",
            String::from_utf8_lossy(e.as_bytes())
        ),
    };
    Outcome {
        status,
        stderr,
        elapsed,
    }
}

fn os(bytes: &[u8]) -> PathBuf {
    PathBuf::from(OsString::from_vec(bytes.to_vec()))
}

fn apply(root: &Path, op: &Op) -> std::io::Result<()> {
    let remove_any = |p: &Path| {
        if let Ok(m) = std::fs::symlink_metadata(p) {
            if m.is_dir() {
                std::fs::remove_dir_all(p)
            } else {
                std::fs::remove_file(p)
            }
        } else {
            Ok(())
        }
    };
    let make_parent = |p: &Path| std::fs::create_dir_all(p.parent().unwrap());
    match op {
        Op::Write(path, bytes) => {
            let p = root.join(os(path));
            make_parent(&p)?;
            remove_any(&p)?;
            std::fs::write(p, bytes)
        }
        Op::Append(path, bytes) => {
            let p = root.join(os(path));
            let mut old = std::fs::read(&p)?;
            old.extend_from_slice(bytes);
            std::fs::write(p, old)
        }
        Op::Transform(path, how) => {
            let p = root.join(os(path));
            let old = std::fs::read(&p)?;
            let text = String::from_utf8(old.clone()).expect("fixture files are UTF-8");
            let new: Vec<u8> = match how.as_str() {
                "bom" => [b"\xEF\xBB\xBF".as_slice(), &old].concat(),
                "crlf" => text.replace('\n', "\r\n").into_bytes(),
                "cr" => text.replace('\n', "\r").into_bytes(),
                "mixed-eol" => {
                    let mut out = String::new();
                    for (n, line) in text.split_inclusive('\n').enumerate() {
                        match line.strip_suffix('\n') {
                            Some(l) if n % 2 == 0 => {
                                out.push_str(l);
                                out.push_str("\r\n");
                            }
                            _ => out.push_str(line),
                        }
                    }
                    out.into_bytes()
                }
                "no-final-newline" => text.trim_end_matches('\n').as_bytes().to_vec(),
                "utf16le" => [0xFF, 0xFE]
                    .into_iter()
                    .chain(text.encode_utf16().flat_map(|u| u.to_le_bytes()))
                    .collect(),
                "utf16be" => [0xFE, 0xFF]
                    .into_iter()
                    .chain(text.encode_utf16().flat_map(|u| u.to_be_bytes()))
                    .collect(),
                "utf32le" => [0xFF, 0xFE, 0, 0]
                    .into_iter()
                    .chain(text.chars().flat_map(|c| (c as u32).to_le_bytes()))
                    .collect(),
                _ => unreachable!("checked when parsed"),
            };
            std::fs::write(p, new)
        }
        Op::Dir(path) => {
            let p = root.join(os(path));
            remove_any(&p)?;
            std::fs::create_dir_all(p)
        }
        Op::Remove(path) => remove_any(&root.join(os(path))),
        Op::Fifo(path) => {
            let p = root.join(os(path));
            make_parent(&p)?;
            remove_any(&p)?;
            let status = Command::new("mkfifo").arg(&p).status()?;
            assert!(status.success(), "mkfifo {}", p.display());
            Ok(())
        }
        Op::Symlink(path, target) => {
            let p = root.join(os(path));
            make_parent(&p)?;
            remove_any(&p)?;
            std::os::unix::fs::symlink(target, p)
        }
        Op::Mode(path, mode) => {
            std::fs::set_permissions(root.join(os(path)), std::fs::Permissions::from_mode(*mode))
        }
    }
}

/// Puts back permissions that would stop the temporary folder from being removed.
fn restore_modes(root: &Path, case: &Case) {
    for op in &case.ops {
        if let Op::Mode(path, _) = op {
            let p = root.join(os(path));
            let mode = if p.is_dir() { 0o755 } else { 0o644 };
            let _ = std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode));
        }
    }
}

/// How the diagnostics printer shows a line of a file: tabs as spaces, control
/// characters as their Control Pictures, invisible format characters as `�`.
fn displayed(line: &str) -> String {
    line.chars()
        .map(|c| match c {
            '\t' => ' ',
            c if (c as u32) < 0x20 => char::from_u32(0x2400 + c as u32).unwrap(),
            '\u{7f}' => '\u{2421}',
            c if c.is_control() => '�',
            '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{2069}'
            | '\u{FEFF}' => '�',
            c => c,
        })
        .collect()
}

/// The lines of a site file as the diagnostics count them.
fn file_lines(path: &Path) -> Option<Vec<String>> {
    // Never a named pipe: reading one waits for a writer.
    if !std::fs::symlink_metadata(path).ok()?.is_file() {
        return None;
    }
    let bytes = std::fs::read(path).ok()?;
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes);
    let text = String::from_utf8_lossy(bytes)
        .replace("\r\n", "\n")
        .replace('\r', "\n");
    Some(text.split('\n').map(str::to_string).collect())
}

/// Checks every located diagnostic of `stderr` against the file it names; returns the
/// problems found.
fn check_locations(stderr: &str, root: &Path, unlocated_ok: bool) -> Vec<String> {
    let header = regex::Regex::new(r"^(.+?):(\d+):(\d+): (.*)$").unwrap();
    let shown = regex::Regex::new(r"^(\d+) \| (.*)$").unwrap();
    let lines: Vec<&str> = stderr.lines().collect();
    let mut problems = Vec::new();
    for (n, line) in lines.iter().enumerate() {
        if (line.starts_with("error: ") || line.starts_with("warning: ")) && !unlocated_ok {
            problems.push(format!("a diagnostic without FILE:LINE:COL: {line}"));
            continue;
        }
        let Some(c) = header.captures(line) else {
            continue;
        };
        let path = &c[1];
        let (line_no, col): (usize, usize) = (c[2].parse().unwrap(), c[3].parse().unwrap());
        if line_no == 0 || col == 0 {
            problems.push(format!("line and column count from 1: {line}"));
        }
        if path.starts_with("(built-in theme)") {
            continue;
        }
        let Some(file) = file_lines(&root.join(path)) else {
            continue;
        };
        if line_no > file.len() {
            problems.push(format!("{line}: the file has only {} lines", file.len()));
            continue;
        }
        let actual = &file[line_no - 1];
        if col > actual.chars().count() + 1 {
            problems.push(format!(
                "{line}: column {col} is past the end of the line ({} characters)",
                actual.chars().count()
            ));
        }
        // `  |` then `N | text`, unless the diagnostic points at the file only.
        let Some(text_line) = lines.get(n + 2).and_then(|l| shown.captures(l)) else {
            continue;
        };
        if text_line[1].parse::<usize>().ok() != Some(line_no) {
            problems.push(format!(
                "{line}: shows line {} instead of {line_no}",
                &text_line[1]
            ));
            continue;
        }
        let expected = displayed(actual);
        let got = &text_line[2];
        let fits = if got.contains('…') {
            got.split('…').all(|piece| expected.contains(piece))
        } else {
            got == expected.as_str()
        };
        if !fits {
            problems.push(format!(
                "{line}: shows `{got}`, but line {line_no} of {path} is `{expected}`"
            ));
        }
    }
    problems
}

/// Text that must never reach a user: panics and Rust's debug formatting.
const NEVER_SHOWN: [&str; 8] = [
    "panicked",
    "RUST_BACKTRACE",
    "Expr {",
    "Spanned",
    "Some(",
    "Os {",
    "kind: ",
    "has overflowed its stack",
];

/// Runs one case; `Ok(Some(stderr))` when it is to be snapshot, `Ok(None)` when skipped.
fn run_case(case: &Case) -> Result<Option<String>, String> {
    let site = Site::fixture(&case.base);
    let tmp = site.tmp().to_path_buf();
    let root = site.root();
    let reference = reference_output(&case.base);
    copy_dir(&reference.path().join("public"), &site.public());
    std::fs::create_dir_all(tmp.join("outside")).unwrap();
    std::fs::write(tmp.join("outside/secret.txt"), "OUTSIDE-SECRET\n").unwrap();
    for op in &case.ops {
        apply(&root, op).map_err(|e| format!("cannot prepare the case: {op:?}: {e}"))?;
    }
    if case.not_as_root {
        let readable = case.ops.iter().any(|op| match op {
            Op::Mode(path, _) => std::fs::File::open(root.join(os(path))).is_ok(),
            _ => false,
        });
        if readable {
            restore_modes(&root, case);
            return Ok(None);
        }
    }
    let result = check_runs(case, &site);
    restore_modes(&root, case);
    result
}

fn check_runs(case: &Case, site: &Site) -> Result<Option<String>, String> {
    let tmp = site.tmp();
    let root = site.root();
    let public = match &case.output_dir {
        Some(dir) => tmp.join(dir),
        None => site.public(),
    };
    let mut skip: Vec<PathBuf> = case.removed.iter().map(|p| tmp.join(p)).collect();
    if case.output == OutputExpect::Fresh {
        skip.push(site.public());
    }
    let before = snapshot(tmp, &skip);
    let mut problems = Vec::new();
    let mut snapshot_text = None;
    for cmd in &case.commands {
        let mut args: Vec<OsString> = match cmd {
            Cmd::Build => vec!["build".into()],
            Cmd::Check => vec!["check".into()],
        };
        args.extend(["--source".into(), root.clone().into_os_string()]);
        if *cmd == Cmd::Build && case.output_dir.as_deref() != Some("-") {
            args.extend(["--output".into(), public.clone().into_os_string()]);
        }
        args.extend(["--now".into(), NOW.into()]);
        let outcome = run_limited(&args, tmp);
        let stderr = site.redact(&outcome.stderr);
        let name = match cmd {
            Cmd::Build => "build",
            Cmd::Check => "check",
        };
        let mut fail = |why: String| problems.push(format!("{name}: {why}"));
        match outcome.status {
            Status::Exited(code) if code == case.exit => {}
            Status::Exited(code) => fail(format!("exit {code}, expected {}", case.exit)),
            Status::Signal => fail("killed by a signal (a stack overflow aborts)".into()),
            Status::TimedOut => fail(format!("no answer within {TIME_LIMIT:?}")),
        }
        if outcome.elapsed > TIME_LIMIT {
            fail(format!("took {:?}", outcome.elapsed));
        }
        for never in NEVER_SHOWN {
            if stderr.contains(never) {
                fail(format!("stderr shows `{never}`"));
            }
        }
        for (location, fragment) in &case.errors {
            let found = stderr.lines().any(|l| {
                l.strip_prefix(location.as_str())
                    .and_then(|rest| rest.strip_prefix(": "))
                    .is_some_and(|rest| !rest.starts_with("warning:") && rest.contains(fragment))
            });
            if !found {
                fail(format!("no error `{location}: …{fragment}…`"));
            }
        }
        for (location, fragment) in &case.warnings {
            let found = stderr.lines().any(|l| {
                l.strip_prefix(location.as_str())
                    .and_then(|rest| rest.strip_prefix(": warning: "))
                    .is_some_and(|rest| rest.contains(fragment))
            });
            if !found {
                fail(format!("no warning `{location}: warning: …{fragment}…`"));
            }
        }
        for help in &case.helps {
            if !stderr.contains(&format!("= help: {help}"))
                && !stderr
                    .lines()
                    .any(|l| l.contains("= help: ") && l.contains(help.as_str()))
            {
                fail(format!("no help `{help}`"));
            }
        }
        for text in &case.stderr {
            if !stderr.contains(text.as_str()) {
                fail(format!("stderr lacks `{text}`"));
            }
        }
        for text in &case.not_stderr {
            if stderr.contains(text.as_str()) {
                fail(format!("stderr shows `{text}`"));
            }
        }
        for p in check_locations(&stderr, &root, case.unlocated) {
            fail(p);
        }
        let after = snapshot(tmp, &skip);
        if after != before {
            fail(format!(
                "files changed:\n  {}",
                describe_difference(&before, &after)
            ));
        }
        if !problems.is_empty() {
            problems.push(format!("{name} stderr:\n{stderr}"));
        }
        if case.snapshot && *cmd == Cmd::Check {
            snapshot_text = Some(stderr);
        }
    }
    if case.output == OutputExpect::Fresh {
        let fresh = tmp.join("fresh");
        let args: Vec<OsString> = vec![
            "build".into(),
            "--source".into(),
            root.clone().into_os_string(),
            "--output".into(),
            fresh.clone().into_os_string(),
            "--now".into(),
            NOW.into(),
        ];
        let outcome = run_limited(&args, tmp);
        if !matches!(outcome.status, Status::Exited(0)) {
            problems.push(format!("the fresh build failed:\n{}", outcome.stderr));
        }
        let got = snapshot(&site.public(), &[]);
        let want = snapshot(&fresh, &[]);
        if got != want {
            problems.push(format!(
                "the output differs from a build into an empty folder:\n  {}",
                describe_difference(&want, &got)
            ));
        }
    }
    for removed in &case.removed {
        if std::fs::symlink_metadata(tmp.join(removed)).is_ok() {
            problems.push(format!("`{removed}` is still there"));
        }
    }
    for (file, text) in &case.output_has {
        let shown = std::fs::read_to_string(public.join(file)).unwrap_or_default();
        if !shown.contains(text.as_str()) {
            problems.push(format!("output file `{file}` lacks `{text}`"));
        }
    }
    let output = snapshot(&public, &[]);
    for (ending, text) in &case.output_lacks {
        for (path, entry) in &output {
            if let Entry::File { bytes, .. } = entry {
                let path = String::from_utf8_lossy(path).into_owned();
                if path.ends_with(ending.as_str())
                    && String::from_utf8_lossy(bytes).contains(text.as_str())
                {
                    problems.push(format!(
                        "output file `{path}` holds `{}`",
                        text.escape_debug()
                    ));
                }
            }
        }
    }
    if problems.is_empty() {
        Ok(Some(snapshot_text.unwrap_or_default()))
    } else {
        Err(problems.join("\n"))
    }
}

/// Runs every case of one corpus file and snapshots the stderr of those marked
/// `snapshot`.
fn run_corpus_file(stem: &str) {
    let path = corpus_dir().join(format!("{stem}.cases"));
    let text = std::fs::read_to_string(&path).expect("read the corpus file");
    let cases = parse_corpus(&format!("{stem}.cases"), &text).unwrap_or_else(|e| panic!("{e}"));
    assert!(!cases.is_empty(), "{stem}.cases has no case");
    let mut failures = Vec::new();
    let mut snapshots = String::new();
    for case in &cases {
        let started = Instant::now();
        let result = run_case(case);
        // Shown with `--nocapture`, to keep the corpus quick.
        println!("{:>6.2}s {}", started.elapsed().as_secs_f64(), case.name);
        match result {
            Ok(Some(stderr)) if case.snapshot => {
                snapshots.push_str(&format!("=== {}\n{stderr}\n", case.name));
            }
            Ok(_) => {}
            Err(why) => failures.push(format!("{} ({}):\n{why}", case.name, case.origin)),
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n\n")
    );
    if !snapshots.is_empty() {
        insta::assert_snapshot!(format!("bad_inputs_{stem}"), snapshots);
    }
}

/// Every corpus file and the BAD-INPUTS row it covers, as `(row, stem)`.
fn corpus_files() -> Vec<(u32, String)> {
    let mut files: Vec<(u32, String)> = std::fs::read_dir(corpus_dir())
        .unwrap()
        .filter_map(|e| {
            let name = e.ok()?.file_name().into_string().ok()?;
            let stem = name.strip_suffix(".cases")?.to_string();
            let row = stem.split('-').next()?.parse().ok()?;
            Some((row, stem))
        })
        .collect();
    files.sort();
    files
}

macro_rules! corpus_tests {
    ($($test:ident => $stem:literal,)*) => {
        $(
            #[test]
            fn $test() {
                run_corpus_file($stem);
            }
        )*

        const TESTED: &[&str] = &[$($stem),*];
    };
}

corpus_tests! {
    row_01_byte_order_marks => "01-bom",
    row_02_line_ends => "02-line-ends",
    row_03_front_matter => "03-front-matter",
    row_04_invalid_utf8 => "04-invalid-utf8",
    row_05_malformed_toml => "05-malformed-toml",
    row_06_wrong_values => "06-wrong-values",
    row_07_huge_toml => "07-huge-toml",
    row_08_pathological_markdown => "08-pathological-markdown",
    row_09_control_characters => "09-control-characters",
    row_10_raw_html => "10-raw-html",
    row_11_dangerous_urls => "11-dangerous-urls",
    row_12_context_breaking => "12-context-breaking",
    row_13_collisions => "13-collisions",
    row_14_traversal => "14-traversal",
    row_15_names => "15-names",
    row_16_event_times => "16-event-times",
    row_17_unlisted_members => "17-unlisted-members",
    row_18_broken_links => "18-broken-links",
    row_19_symlinks => "19-symlinks",
    row_20_output_folder => "20-output-folder",
    row_21_build_dies => "21-build-dies",
    row_22_stale_output => "22-stale-output",
    row_23_unreadable => "23-unreadable",
    row_24_file_names => "24-file-names",
    row_25_editor_droppings => "25-editor-droppings",
    row_35_template_syntax => "35-template-syntax",
    row_36_template_runtime => "36-template-runtime",
    row_37_template_recursion => "37-template-recursion",
    row_38_template_safe => "38-template-safe",
    row_39_theme_outside => "39-theme-outside",
}

#[test]
fn every_corpus_file_is_run_and_every_row_is_covered() {
    let files = corpus_files();
    for (_, stem) in &files {
        assert!(
            TESTED.contains(&stem.as_str()),
            "tests/bad-inputs/{stem}.cases has no test in bad_inputs.rs"
        );
    }
    let mut total = 0;
    for row in (1..=25).chain(35..=39) {
        let cases: usize = files
            .iter()
            .filter(|(r, _)| *r == row)
            .map(|(_, stem)| {
                let text =
                    std::fs::read_to_string(corpus_dir().join(format!("{stem}.cases"))).unwrap();
                parse_corpus(stem, &text).unwrap().len()
            })
            .sum();
        assert!(
            cases >= 3,
            "BAD-INPUTS row {row} has {cases} cases (3 at least)"
        );
        total += cases;
    }
    assert!(total >= 150, "the corpus has {total} cases (150 at least)");
}

#[test]
fn corpus_escapes_make_the_intended_bytes() {
    assert_eq!(unescape("a\\x41\\r\\t\\0\\\\").unwrap(), b"aA\r\t\0\\");
    assert_eq!(unescape("\\repeat{3}{[\\}}x").unwrap(), b"[}[}[}x");
    assert_eq!(unescape("\\u{4E2D}").unwrap(), "中".as_bytes());
    assert_eq!(
        unescape("\\count{3}{k# = #\\n}").unwrap(),
        b"k0 = 0\nk1 = 1\nk2 = 2\n"
    );
    assert_eq!(unescape("end\\\n").unwrap(), b"end");
}
