#!/usr/bin/env python3
"""Build-time benchmark for shequn (issue 8).

Generates synthetic communities with ../shared/bench/gen_site.py (1 000, 10 000 and,
with --sizes, 100 000 pages), builds each with the release binary several times, and
prints a table of median wall time and peak memory (max RSS), with output on tmpfs
(/dev/shm: the program's own speed) and on disk (what a user sees). For comparison in
the same run it times:
  - the I/O floor: `cp -r` of the built output tree to the same file system;
  - a rebuild with nothing changed (into the existing output folder);
  - Hugo building the 10 000-page twin (when `hugo` is installed; Debian's package).

Usage:  python3 bench/run.py [--sizes 1000,10000,100000] [--runs 5] [--work DIR]
Timing is wall-clock on a shared machine: run it when the machine is otherwise idle and
read the ratios, which are taken within one run, rather than the absolute figures.
"""

import argparse
import json
import os
import pathlib
import shutil
import statistics
import subprocess
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
GEN = ROOT.parent / "shared" / "bench" / "gen_site.py"
NOW = "2026-11-23T12:00:00Z"


def run_timed(cmd, cwd=None):
    """Runs cmd under /usr/bin/time; returns (seconds, max RSS in MiB)."""
    start = time.perf_counter()
    proc = subprocess.run(
        ["/usr/bin/time", "-f", "%M"] + cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        sys.exit(f"command failed ({proc.returncode}): {' '.join(cmd)}\n{proc.stderr[-2000:]}")
    rss_kb = int(proc.stderr.strip().splitlines()[-1])
    return elapsed, rss_kb / 1024


def median_of(runs, fn):
    results = [fn() for _ in range(runs)]
    return statistics.median(r[0] for r in results), max(r[1] for r in results)


def generate(tool, pages, work):
    out = work / f"{tool}-{pages}"
    marker = out / ".gen_site.json"
    if not marker.exists():
        print(f"generating {tool} site with {pages} pages…", file=sys.stderr)
        subprocess.run(
            [sys.executable, str(GEN), "--tool", tool, "--pages", str(pages), "--out", str(out), "--force"],
            check=True,
            stdout=subprocess.DEVNULL,
        )
    return out


def fresh(path):
    if path.exists():
        shutil.rmtree(path)
    return path


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="1000,10000")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--work", default="/tmp/shequn-bench")
    parser.add_argument("--disk-out", default=None, help="output folder on disk (default: under --work)")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    work = pathlib.Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    shm = pathlib.Path("/dev/shm/shequn-bench")
    shm.mkdir(parents=True, exist_ok=True)
    disk = pathlib.Path(args.disk_out) if args.disk_out else work / "out"
    disk.mkdir(parents=True, exist_ok=True)

    subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=ROOT, check=True)
    shequn = str(ROOT / "target" / "release" / "shequn")

    rows = []
    for pages in sizes:
        site = generate("shequn", pages, work)
        for label, base in (("tmpfs", shm), ("disk", disk)):
            out = base / f"public-{pages}"

            def build():
                fresh(out)
                return run_timed([shequn, "build", "--source", str(site), "--output", str(out), "--now", NOW])

            wall, rss = median_of(args.runs, build)
            rebuild = median_of(args.runs, lambda: run_timed(
                [shequn, "build", "--source", str(site), "--output", str(out), "--now", NOW]))
            copy_target = base / f"copy-{pages}"

            def copy():
                fresh(copy_target)
                return run_timed(["cp", "-r", str(out), str(copy_target)])

            cp_wall, _ = median_of(args.runs, copy)
            fresh(copy_target)
            files = sum(len(f) for _, _, f in os.walk(out))
            rows.append({"pages": pages, "fs": label, "files": files, "wall": wall, "rss": rss,
                         "rebuild": rebuild[0], "cp": cp_wall})

    hugo_row = None
    if shutil.which("hugo") and 10000 in sizes:
        hsite = generate("hugo", 10000, work)
        out = shm / "hugo-10000"

        def hugo():
            fresh(out)
            return run_timed(["hugo", "--quiet", "--source", str(hsite), "--destination", str(out)])

        hugo_row = median_of(max(1, min(args.runs, 3)), hugo)

    print()
    print(f"machine: {os.cpu_count()} cores; runs per figure: {args.runs} (median wall, max RSS)")
    print()
    print("| pages | output on | files | build | peak memory | rebuild, nothing changed | `cp -r` of output | build / cp |")
    print("|---:|---|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {r['pages']:,} | {r['fs']} | {r['files']:,} | {r['wall']:.2f} s | {r['rss']:.0f} MiB | "
              f"{r['rebuild']:.2f} s | {r['cp']:.2f} s | {r['wall'] / r['cp']:.1f}× |")
    by = {(r["pages"], r["fs"]): r for r in rows}
    if (10000, "tmpfs") in by and (100000, "tmpfs") in by:
        print(f"\n100 000 / 10 000 pages time ratio (tmpfs): "
              f"{by[(100000, 'tmpfs')]['wall'] / by[(10000, 'tmpfs')]['wall']:.1f}× (target ≤ 11×); "
              f"memory ratio {by[(100000, 'tmpfs')]['rss'] / by[(10000, 'tmpfs')]['rss']:.1f}×")
    if hugo_row and (10000, "tmpfs") in by:
        print(f"\nHugo, 10 000-page twin, tmpfs: {hugo_row[0]:.2f} s, {hugo_row[1]:.0f} MiB; "
              f"shequn is {hugo_row[0] / by[(10000, 'tmpfs')]['wall']:.1f}× faster")
    json.dump({"rows": rows, "hugo": hugo_row}, open(work / "results.json", "w"), indent=1)


if __name__ == "__main__":
    main()
