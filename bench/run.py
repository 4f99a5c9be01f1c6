#!/usr/bin/env python3
"""Build-time benchmark for shequn (issue 8).

Generates synthetic communities with ../shared/bench/gen_site.py (1 000, 10 000 and
100 000 pages by default), builds each with the release binary several times, and prints
a table of median wall time, processor time and peak memory, with the output on tmpfs
(/dev/shm: the program's own speed) and on disk (what a user sees). In the same run, and
interleaved with shequn's runs so that a change in the machine's load hits all alike:
  - the I/O floor: `cp -r` of the built output tree to the same file system;
  - a rebuild with nothing changed (into the existing output folder);
  - Hugo building the 10 000-page twin (when `hugo` is installed; Debian's package).

Usage:  python3 bench/run.py [--sizes 1000,10000,100000] [--runs 5] [--work DIR]
Timing is wall-clock on a possibly shared machine: read the ratios, which are taken
within one run, rather than the absolute figures, and look at the load average printed
with the table.
"""

import argparse
import json
import os
import pathlib
import platform
import shutil
import statistics
import subprocess
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
GEN = ROOT.parent / "shared" / "bench" / "gen_site.py"
NOW = "2026-11-23T12:00:00Z"


def run_timed(cmd):
    """Runs cmd under /usr/bin/time; returns (wall s, cpu s, max RSS MiB)."""
    start = time.perf_counter()
    proc = subprocess.run(
        ["/usr/bin/time", "-f", "%U %S %M"] + cmd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        sys.exit(f"command failed ({proc.returncode}): {' '.join(cmd)}\n{proc.stderr[-2000:]}")
    user, system, rss_kb = proc.stderr.strip().splitlines()[-1].split()
    return wall, float(user) + float(system), int(rss_kb) / 1024


def generate(tool, pages, work):
    out = work / f"{tool}-{pages}"
    if not (out / ".gen_site.json").exists():
        print(f"generating the {tool} site with {pages} pages…", file=sys.stderr)
        subprocess.run(
            [sys.executable, str(GEN), "--tool", tool, "--pages", str(pages), "--out", str(out), "--force"],
            check=True,
            stdout=subprocess.DEVNULL,
        )
    return out


def remove(path):
    if path.exists():
        shutil.rmtree(path)
    # shequn's staging and previous-build folders beside an output folder
    for sibling in path.parent.glob(f".{path.name}.shequn-*"):
        shutil.rmtree(sibling, ignore_errors=True)


def median(samples, i):
    return statistics.median(s[i] for s in samples)


def load_average():
    try:
        return os.getloadavg()[0]
    except OSError:
        return float("nan")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--runs", type=int, default=5, help="runs per figure (at most 3 for 100 000 pages)")
    parser.add_argument("--work", default="/var/tmp/shequn-bench", help="generated sites and the disk outputs")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    work = pathlib.Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    shm = pathlib.Path("/dev/shm/shequn-bench")
    shm.mkdir(parents=True, exist_ok=True)
    disk = work / "out"
    disk.mkdir(parents=True, exist_ok=True)

    subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=ROOT, check=True)
    shequn = str(ROOT / "target" / "release" / "shequn")
    hugo = shutil.which("hugo")
    load_before = load_average()

    rows = []
    hugo_samples = []
    for pages in sizes:
        site = generate("shequn", pages, work)
        hsite = generate("hugo", pages, work) if hugo and pages == 10000 else None
        runs = min(args.runs, 3) if pages >= 100000 else args.runs
        for label, base in (("tmpfs", shm), ("disk", disk)):
            out = base / f"public-{pages}"
            copy = base / f"copy-{pages}"
            hugo_out = base / f"hugo-{pages}"
            build_cmd = [shequn, "build", "--source", str(site), "--output", str(out), "--now", NOW]
            first, again, cp = [], [], []
            for _ in range(runs):
                remove(out)
                first.append(run_timed(build_cmd))
                again.append(run_timed(build_cmd))
                remove(copy)
                cp.append(run_timed(["cp", "-r", str(out), str(copy)]))
                if hsite and label == "tmpfs":
                    remove(hugo_out)
                    hugo_samples.append(run_timed(
                        [hugo, "--quiet", "--source", str(hsite), "--destination", str(hugo_out)]))
            remove(copy)
            remove(hugo_out)
            files = sum(len(f) for _, _, f in os.walk(out))
            rows.append({
                "pages": pages, "fs": label, "files": files, "runs": runs,
                "wall": median(first, 0), "cpu": median(first, 1), "rss": max(s[2] for s in first),
                "rebuild": median(again, 0), "cp": median(cp, 0),
            })
            remove(out)

    load_after = load_average()
    print()
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores; "
          f"load average {load_before:.1f} before, {load_after:.1f} after; medians of the runs shown")
    print()
    print("| pages | output on | files | runs | build (wall) | build (cpu) | peak memory "
          "| rebuild, nothing changed | `cp -r` of the output | build / cp |")
    print("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {r['pages']:,} | {r['fs']} | {r['files']:,} | {r['runs']} | {r['wall']:.2f} s | "
              f"{r['cpu']:.2f} s | {r['rss']:.0f} MiB | {r['rebuild']:.2f} s | {r['cp']:.2f} s | "
              f"{r['wall'] / r['cp']:.1f}× |")
    by = {(r["pages"], r["fs"]): r for r in rows}
    print()
    for fs in ("tmpfs", "disk"):
        if (10000, fs) in by and (100000, fs) in by:
            big, ten = by[(100000, fs)], by[(10000, fs)]
            print(f"- 100 000 / 10 000 pages ({fs}): time {big['wall'] / ten['wall']:.1f}× (target ≤ 11×), "
                  f"memory {big['rss'] / ten['rss']:.1f}× (target ≤ 10×)")
    for r in rows:
        print(f"- rebuild / build, {r['pages']:,} pages on {r['fs']}: {r['rebuild'] / r['wall']:.2f} (target ≤ 1)")
    if hugo_samples and (10000, "tmpfs") in by:
        hw, hc, hr = median(hugo_samples, 0), median(hugo_samples, 1), max(s[2] for s in hugo_samples)
        ours = by[(10000, "tmpfs")]
        print(f"- Hugo, 10 000-page twin on tmpfs: {hw:.2f} s wall, {hc:.2f} s cpu, {hr:.0f} MiB; "
              f"shequn is {hw / ours['wall']:.1f}× faster (target ≥ 10×)")
    json.dump({"rows": rows, "hugo": hugo_samples, "load": [load_before, load_after]},
              open(work / "results.json", "w"), indent=1)


if __name__ == "__main__":
    main()
