#!/usr/bin/env python3
"""Kill test for the output swap (issue 6, BAD-INPUTS row 21), at scale.

Generates two versions of a community with ../shared/bench/gen_site.py (--pages 1000 by
default; two seeds, so every page and many file names differ), builds each once into a
reference folder with the release binary, then alternately rebuilds one over the other
into the same output folder and sends SIGKILL after a pseudo-random delay spread over
1.3 build durations (fixed seed: the same delays every run). After each kill the output
folder must be byte for byte the old reference tree or the new one; the only thing
allowed beside it is the staging folder, which the next build removes.

The same check runs in `cargo test` on a small site (tests/it/atomicity.rs); this one
hits a build that writes thousands of files and takes seconds, so kills land in every
phase, including the swap and the removal of the old tree.

Usage:  python3 bench/kill_build.py [--pages 1000] [--kills 50] [--work DIR]
"""

import argparse
import hashlib
import os
import pathlib
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
GEN = ROOT.parent / "shared" / "bench" / "gen_site.py"
NOW = "2026-11-23T12:00:00Z"


def digest_tree(root):
    """Relative path -> SHA-256 of every file under root."""
    out = {}
    for dirpath, _, files in os.walk(root):
        for name in files:
            path = pathlib.Path(dirpath) / name
            out[str(path.relative_to(root))] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


def build(binary, source, output, check=True):
    cmd = [str(binary), "build", "--source", str(source), "--output", str(output), "--now", NOW]
    proc = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if check and proc.returncode != 0:
        sys.exit(f"build failed: {proc.stderr[-2000:]}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=1000)
    parser.add_argument("--kills", type=int, default=50)
    parser.add_argument("--work", type=pathlib.Path, default=None)
    args = parser.parse_args()

    subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=ROOT, check=True)
    binary = ROOT / "target" / "release" / "shequn"
    work = args.work or pathlib.Path(tempfile.mkdtemp(prefix="shequn-kill-"))
    work.mkdir(parents=True, exist_ok=True)
    sites = {}
    for version, seed in [("A", 1), ("B", 2)]:
        site = work / f"site-{version}"
        subprocess.run(
            [sys.executable, str(GEN), "--tool", "shequn", "--pages", str(args.pages),
             "--seed", str(seed), "--out", str(site), "--force"],
            check=True, stdout=subprocess.DEVNULL,
        )
        sites[version] = site
    refs = {}
    for version, site in sites.items():
        ref = work / f"ref-{version}"
        shutil.rmtree(ref, ignore_errors=True)
        build(binary, site, ref)
        refs[version] = digest_tree(ref)
    print(f"reference trees: A {len(refs['A'])} files, B {len(refs['B'])} files")

    public = work / "public"
    shutil.rmtree(public, ignore_errors=True)
    build(binary, sites["A"], public)
    durations = []
    for version in ["B", "A"]:
        start = time.perf_counter()
        build(binary, sites[version], public)
        durations.append(time.perf_counter() - start)
    duration = max(durations)
    print(f"a rebuild over the other version takes {duration:.2f} s")

    rng = random.Random(20260101)
    current = "A"
    outcomes = {"old": 0, "new": 0}
    for k in range(args.kills):
        nxt = "B" if current == "A" else "A"
        delay = duration * (2.0 if k >= args.kills - 3 else 1.3 * rng.random())
        child = subprocess.Popen(
            [str(binary), "build", "--source", str(sites[nxt]), "--output", str(public), "--now", NOW],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        time.sleep(delay)
        try:
            child.send_signal(signal.SIGKILL)
        except ProcessLookupError:
            pass
        child.wait()
        now = digest_tree(public)
        if now == refs[current]:
            outcomes["old"] += 1
        elif now == refs[nxt]:
            outcomes["new"] += 1
            current = nxt
        else:
            missing = sum(1 for p in refs[current] if p not in now)
            sys.exit(f"kill {k} after {delay:.3f} s: the output is neither {current} nor {nxt} "
                     f"({len(now)} files, {missing} of the old build's missing)")
        beside = sorted(p.name for p in work.iterdir()
                        if p.name not in {"site-A", "site-B", "ref-A", "ref-B", "public"})
        if any(name != ".public.shequn-staging" for name in beside):
            sys.exit(f"kill {k} left {beside} beside the output")
    build(binary, sites["B" if current == "A" else "A"], public)
    beside = sorted(p.name for p in work.iterdir()
                    if p.name not in {"site-A", "site-B", "ref-A", "ref-B", "public"})
    if beside:
        sys.exit(f"a complete build left {beside} beside the output")
    print(f"{args.kills} kills: {outcomes['old']} left the old build, {outcomes['new']} the new one; "
          "never a mix, nothing left after the next build")
    if args.work is None:
        shutil.rmtree(work)


if __name__ == "__main__":
    main()
