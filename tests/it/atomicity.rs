//! The output folder is never half-built (issue 6, BAD-INPUTS row 21): builds killed with
//! SIGKILL at 50 pseudo-random moments spread over a build's duration leave it exactly
//! the previous build or exactly the complete new one, byte for byte, and the next build
//! removes what a killed one left beside it. A full disk (a small tmpfs where this
//! process may mount one, and a file-size limit everywhere) and a read-only file system
//! fail the build with the OS error and the path, the previous output intact.

#![cfg(unix)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use crate::support::{assert_contains, tree, Site, NOW};

/// Writes a community of `members` members, `events` events and `posts` posts; `version`
/// is in every title, so every page of two versions differs, and the version decides
/// which records exist, so the two trees hold different files too.
fn write_version(root: &Path, version: &str, members: usize, events: usize, posts: usize) {
    let write = |path: &str, text: String| {
        let path = root.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    };
    write(
        "shequn.toml",
        format!("base_url = \"https://club.example.org/\"\ntitle = \"Club {version}\"\n"),
    );
    write(
        "charter.md",
        format!("+++\nname = \"Club {version}\"\ntagline = \"Learning together\"\n+++\n\nOur manifesto, {version}.\n"),
    );
    let skip = if version == "A" { 7 } else { 5 };
    for i in (0..members).filter(|i| i % skip != 0) {
        write(
            &format!("members/m{i}.toml"),
            format!("name = \"Member {i} {version}\"\ncity = \"City {}\"\ntags = [\"t{}\"]\nbio = \"Bio of member {i}, version {version}. {}\"\n", i % 9, i % 13, "Words. ".repeat(40)),
        );
    }
    for i in (0..events).filter(|i| i % skip != 1) {
        write(
            &format!("events/e{i}.toml"),
            format!("title = \"Event {i} {version}\"\nstart = 2026-{:02}-{:02}T19:00:00\nhosts = [\"m2\"]\nsummary = \"Event {i}\"\ndescription = \"{}\"\n", 1 + i % 12, 1 + i % 27, "About it. ".repeat(30)),
        );
    }
    for i in (0..posts).filter(|i| i % skip != 2) {
        write(
            &format!("content/posts/p{i}.md"),
            format!("+++\ntitle = \"Post {i} {version}\"\ndate = 2026-03-{:02}\nauthors = [\"m2\"]\n+++\n\n## Part\n\n{}\n", 1 + i % 27, "Text of the post. ".repeat(80)),
        );
    }
}

/// `shequn build --source SOURCE --output OUTPUT`, as a child process.
fn build_command(source: &Path, output: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_shequn"));
    command
        .args(["build", "--source"])
        .arg(source)
        .arg("--output")
        .arg(output)
        .args(["--now", NOW])
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    command
}

#[track_caller]
fn build_ok(source: &Path, output: &Path) {
    let out = build_command(source, output).output().unwrap();
    assert!(
        out.status.success(),
        "build failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// What is beside the output folder, other than the sites and the reference builds.
fn beside(tmp: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(tmp)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| !["site", "a", "b", "ref-a", "ref-b", "public"].contains(&n.as_str()))
        .collect();
    names.sort();
    names
}

/// A small deterministic pseudo-random sequence (xorshift), for reproducible delays.
struct Delays(u64);

impl Delays {
    fn next_fraction(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % 10_000) as f64 / 10_000.0
    }
}

#[test]
fn builds_killed_at_random_moments_leave_the_old_or_the_new_output_never_a_mix() {
    let site = Site::empty();
    let tmp = site.tmp().to_path_buf();
    let (a, b) = (tmp.join("a"), tmp.join("b"));
    write_version(&a, "A", 140, 50, 60);
    write_version(&b, "B", 140, 50, 60);
    build_ok(&a, &tmp.join("ref-a"));
    build_ok(&b, &tmp.join("ref-b"));
    let references: BTreeMap<&str, BTreeMap<String, Vec<u8>>> = [
        ("A", tree(&tmp.join("ref-a"))),
        ("B", tree(&tmp.join("ref-b"))),
    ]
    .into();
    assert!(references["A"].len() > 300, "{}", references["A"].len());
    assert_ne!(
        references["A"].keys().collect::<Vec<_>>(),
        references["B"].keys().collect::<Vec<_>>()
    );

    // How long a rebuild over an existing output takes here and now.
    let public = tmp.join("public");
    build_ok(&a, &public);
    let started = Instant::now();
    build_ok(&b, &public);
    let mut duration = started.elapsed();
    let started = Instant::now();
    build_ok(&a, &public);
    duration = duration.max(started.elapsed());
    let mut current = "A";

    let mut delays = Delays(0x5eed_cafe_f00d_1234);
    let mut outcomes: BTreeMap<&str, usize> = BTreeMap::new();
    const KILLS: usize = 50;
    for k in 0..KILLS {
        let next = if current == "A" { "B" } else { "A" };
        let source = if next == "A" { &a } else { &b };
        // Spread over 1.3 builds, the last few well after the end, so every phase of a
        // build (reading, rendering, writing, swapping, removing the old tree) is hit.
        let fraction = if k >= KILLS - 3 {
            2.0
        } else {
            1.3 * delays.next_fraction()
        };
        let delay = duration.mul_f64(fraction);
        let mut child = build_command(source, &public).spawn().unwrap();
        std::thread::sleep(delay);
        let _ = child.kill();
        let _ = child.wait();
        let now = tree(&public);
        let outcome = if now == references[current] {
            "old"
        } else if now == references[next] {
            current = next;
            "new"
        } else {
            let missing = references[current]
                .keys()
                .filter(|k| !now.contains_key(*k))
                .count();
            panic!(
                "kill {k} after {delay:?}: the output is neither build {current} nor {next} \
                 ({} files, {missing} of the old build's missing)",
                now.len()
            );
        };
        *outcomes.entry(outcome).or_default() += 1;
        for name in beside(&tmp) {
            assert!(
                name == ".public.shequn-staging",
                "kill {k} left `{name}` beside the output"
            );
        }
    }
    eprintln!("{KILLS} kills over builds of {duration:?}: {outcomes:?}");
    assert!(outcomes.get("old").is_some_and(|n| *n > 0), "{outcomes:?}");
    assert!(outcomes.get("new").is_some_and(|n| *n > 0), "{outcomes:?}");

    // A complete build removes whatever a killed one left.
    let next = if current == "A" { &b } else { &a };
    build_ok(next, &public);
    assert_eq!(beside(&tmp), Vec::<String>::new());
}

#[test]
fn a_build_killed_between_the_fallback_renames_is_rolled_back_by_the_next_build() {
    // Where the exchange is not available, the previous output is renamed aside first;
    // a build killed right then leaves it there and no output folder.
    let site = Site::empty();
    let tmp = site.tmp().to_path_buf();
    write_version(&tmp.join("a"), "A", 10, 3, 3);
    write_version(&tmp.join("b"), "B", 10, 3, 3);
    build_ok(&tmp.join("a"), &tmp.join("ref-a"));
    build_ok(&tmp.join("a"), &tmp.join("public"));
    std::fs::rename(tmp.join("public"), tmp.join(".public.shequn-old")).unwrap();
    std::fs::create_dir(tmp.join(".public.shequn-staging")).unwrap();
    std::fs::write(tmp.join(".public.shequn-staging/half.html"), "half").unwrap();
    // A failed build reaches no swap: the old output stays where it is.
    std::fs::write(tmp.join("b/members/bad.toml"), "name = 1\n").unwrap();
    let failed = build_command(&tmp.join("b"), &tmp.join("public"))
        .output()
        .unwrap();
    assert_eq!(failed.status.code(), Some(1));
    std::fs::remove_file(tmp.join("b/members/bad.toml")).unwrap();
    // The next successful build puts it back, then replaces it.
    build_ok(&tmp.join("b"), &tmp.join("public"));
    build_ok(&tmp.join("b"), &tmp.join("ref-b"));
    assert_eq!(tree(&tmp.join("public")), tree(&tmp.join("ref-b")));
    assert_eq!(beside(&tmp), Vec::<String>::new());
}

/// A tmpfs of `size` bytes mounted at `path` while this lives, where this process may
/// mount one (root in a container usually may); `None` where it may not.
struct Tmpfs(PathBuf);

impl Tmpfs {
    fn mount(path: &Path, size: usize) -> Option<Tmpfs> {
        std::fs::create_dir_all(path).ok()?;
        let status = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(path)
            .stderr(Stdio::null())
            .status()
            .ok()?;
        status.success().then(|| Tmpfs(path.to_path_buf()))
    }

    fn remount_read_only(&self) -> bool {
        Command::new("mount")
            .args(["-o", "remount,ro"])
            .arg(&self.0)
            .status()
            .is_ok_and(|s| s.success())
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}

fn size_of(files: &BTreeMap<String, Vec<u8>>) -> usize {
    // tmpfs gives each file at least a page.
    files.values().map(|f| f.len().div_ceil(4096) * 4096).sum()
}

#[test]
fn a_full_disk_fails_the_build_with_the_error_and_path_and_keeps_the_old_output() {
    let site = Site::empty();
    let tmp = site.tmp().to_path_buf();
    write_version(&tmp.join("a"), "A", 30, 10, 10);
    write_version(&tmp.join("b"), "B", 40, 10, 20);
    build_ok(&tmp.join("a"), &tmp.join("ref-a"));
    build_ok(&tmp.join("b"), &tmp.join("ref-b"));
    let (old, new) = (tree(&tmp.join("ref-a")), tree(&tmp.join("ref-b")));
    // Room for the old build and half of what the new one changes: the files it shares
    // with the old build are hard-linked from it and take no room.
    let changed: BTreeMap<String, Vec<u8>> = new
        .iter()
        .filter(|(path, bytes)| old.get(*path) != Some(*bytes))
        .map(|(path, bytes)| (path.clone(), bytes.clone()))
        .collect();
    let size = size_of(&old) + size_of(&changed) / 2 + 64 * 4096;
    let Some(disk) = Tmpfs::mount(&tmp.join("disk"), size) else {
        eprintln!("cannot mount a tmpfs here: the file-size limit test stands in for a full disk");
        return;
    };
    let public = disk.0.join("public");
    build_ok(&tmp.join("a"), &public);
    assert_eq!(tree(&public), old);
    let out = build_command(&tmp.join("b"), &public).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert_contains(&stderr, "no space left on device");
    assert_contains(&stderr, "cannot write public/");
    // Once, not once per page: every later write would meet the same full disk.
    assert_eq!(stderr.matches("no space left").count(), 1, "{stderr}");
    assert_eq!(tree(&public), old, "the previous output changed");
    let left: Vec<_> = std::fs::read_dir(&disk.0).unwrap().collect();
    assert_eq!(
        left.len(),
        1,
        "the staging folder was left on the full disk"
    );

    // A read-only file system: refused with the error, the output intact.
    if disk.remount_read_only() {
        let out = build_command(&tmp.join("b"), &public).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{stderr}");
        assert_contains(&stderr, "read-only file system");
        assert_eq!(tree(&public), old);
    }
}

#[test]
fn a_file_size_limit_fails_the_build_with_the_error_and_path_and_keeps_the_old_output() {
    use std::os::unix::process::CommandExt;
    let site = Site::empty();
    let tmp = site.tmp().to_path_buf();
    write_version(&tmp.join("a"), "A", 10, 3, 3);
    write_version(&tmp.join("b"), "B", 10, 3, 3);
    let public = tmp.join("public");
    build_ok(&tmp.join("a"), &public);
    let before = tree(&public);
    let mut command = build_command(&tmp.join("b"), &public);
    // Every page is larger than 4 KB. SIGXFSZ is ignored so that the write fails with
    // EFBIG instead of killing the process, as a quota does.
    unsafe {
        command.pre_exec(|| {
            let limit = libc::rlimit {
                rlim_cur: 4096,
                rlim_max: 4096,
            };
            libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
            if libc::setrlimit(libc::RLIMIT_FSIZE, &limit) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let out = command.output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert_contains(&stderr, "file too large");
    assert_contains(&stderr, "cannot write public/");
    assert_eq!(tree(&public), before, "the previous output changed");
    assert_eq!(beside(&tmp), Vec::<String>::new());
}
