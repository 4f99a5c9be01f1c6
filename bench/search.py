#!/usr/bin/env python3
"""Search index benchmark for shequn (issue 9).

Builds the generated 10 000-page site (../shared/bench/gen_site.py) with the release
binary and `--timings`, and reports:
  - the build-time overhead of the index (issue 9: at most 25 %): builds with the index
    and without it (SHEQUN_BENCH_NO_SEARCH=1, which leaves out the index and everything
    only it needs), interleaved so that both see the same load, each a first build into
    an empty output folder (a rebuild would keep unchanged pages from the previous
    output and measure something else; the folder is removed before the clock starts);
    the median processor time (user + system, of the whole process) and
    wall time of each, and their ratio. Processor time is the figure to trust on a
    shared machine; wall time depends on whether the other core is free;
  - the search stage's own processor time and the build's peak memory;
  - the index's size: files, total bytes, the largest files of each kind;
  - what a query downloads and how long it takes, measured in headless Chromium with the
    theme's search.js (bench/search_browser.mjs): the index files fetched (bytes as
    stored, and gzipped as a static host would usually send them), and the median time
    from pressing Enter to the results shown, cold (fresh browser) and warm.

Usage:  python3 bench/search.py [--pages 10000] [--site DIR] [--runs 7] [--query-runs 5]
                                [--work DIR]
Needs node and tests/browser/node_modules (npm ci) for the query part; skips it else.
"""

import argparse
import gzip
import json
import os
import pathlib
import re
import shutil
import statistics
import subprocess
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
GEN = ROOT.parent / "shared" / "bench" / "gen_site.py"
NOW = "2026-11-23T12:00:00Z"
# The browser tests' server serves the site under this path.
BASE_URL = "http://127.0.0.1/xinmeiti/"
QUERIES = ["社区", "数据库", "维护者", "community", "talks", "database", "workshops",
           "数据 database", "社区 meetup", "開源"]


def build_once(binary, site, out, with_index):
    """One build: wall ms, processor ms (user + system), peak resident MiB, and the
    processor ms of each stage (--timings)."""
    env = dict(os.environ)
    env.pop("SHEQUN_BENCH_NO_SEARCH", None)
    if not with_index:
        env["SHEQUN_BENCH_NO_SEARCH"] = "1"
    shutil.rmtree(out, ignore_errors=True)
    started = time.monotonic()
    proc = subprocess.Popen([str(binary), "build", "--source", str(site), "--output", str(out),
                             "--now", NOW, "--base-url", BASE_URL, "--timings"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env)
    stderr = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = (time.monotonic() - started) * 1000
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(stderr[-2000:])
    found = re.findall(r"^\s*([\w+]+):\s+([\d.]+) ms\s+([\d.]+) ms cpu", stderr, re.M)
    stages = {m[0]: float(m[2]) for m in found if m[0] != "total"}
    cpu = (usage.ru_utime + usage.ru_stime) * 1000
    return {"wall": wall, "cpu": cpu, "peak": usage.ru_maxrss / 1024, "stages": stages}


def report_overhead(binary, site, outs, runs):
    """Builds with and without the index `runs` times each, interleaved, and prints
    what the index adds."""
    builds = {True: [], False: []}
    # A first build of each fills the page cache.
    for with_index in (True, False):
        build_once(binary, site, outs[with_index], with_index)
    for run in range(runs):
        order = (True, False) if run % 2 == 0 else (False, True)
        for with_index in order:
            builds[with_index].append(build_once(binary, site, outs[with_index], with_index))
    med = lambda with_index, key: statistics.median(b[key] for b in builds[with_index])
    print(f"build overhead of the index: {os.cpu_count()} cores, load average "
          f"{os.getloadavg()[0]:.1f} at the end; median of {runs} interleaved builds each")
    for key, name in (("cpu", "processor time"), ("wall", "wall time")):
        with_, without = med(True, key), med(False, key)
        pairs = sorted(a[key] / b[key] - 1 for a, b in zip(builds[True], builds[False]))
        print(f"  {name}: {with_ / 1000:.2f} s with the index, {without / 1000:.2f} s without: "
              f"+{100 * (with_ / without - 1):.1f} % (pairs from +{100 * pairs[0]:.1f} % "
              f"to +{100 * pairs[-1]:.1f} %)")
    stage = lambda with_index, name: statistics.median(
        b["stages"].get(name, 0.0) for b in builds[with_index])
    names = [k for k in builds[True][0]["stages"]]
    print("  processor ms per stage, with / without: " + ", ".join(
        f"{k} {stage(True, k):.0f}/{stage(False, k):.0f}" for k in names))
    print(f"  peak memory: {max(b['peak'] for b in builds[True]):.0f} MiB with the index, "
          f"{max(b['peak'] for b in builds[False]):.0f} MiB without")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pages", type=int, default=10000)
    ap.add_argument("--site", help="an already generated site (default: generate one in --work)")
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--query-runs", type=int, default=5)
    ap.add_argument("--work", default="/tmp/shequn-search-bench")
    args = ap.parse_args()
    work = pathlib.Path(args.work)
    site = pathlib.Path(args.site) if args.site else work / f"shequn-{args.pages}"
    if not args.site and not (site / ".gen_site.json").exists():
        print("generating the site…", file=sys.stderr)
        subprocess.run([sys.executable, str(GEN), "--tool", "shequn", "--pages", str(args.pages),
                        "--out", str(site), "--force"], check=True, stdout=subprocess.DEVNULL)
    subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=ROOT, check=True)
    target = pathlib.Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
    binary = target / "release" / "shequn"
    shm = pathlib.Path("/dev/shm")
    base = shm if shm.is_dir() else work
    outs = {True: base / "shequn-search-bench", False: base / "shequn-search-bench-without"}

    report_overhead(binary, site, outs, args.runs)
    out = outs[True]

    index = out / "search" / "index"
    files = sorted(index.iterdir())
    size = {f.name: f.stat().st_size for f in files}
    total_bytes = sum(size.values())
    gz = lambda name: len(gzip.compress((index / name).read_bytes(), 6))
    kinds = {"term shards": "t", "long posting lists": "p", "document shards": "d"}
    meta = json.loads((index / "meta.json").read_text())

    print(f"site: {site.name}, {meta['documents']} documents in the index")
    print(f"index: {len(files)} files, {total_bytes / 1e6:.1f} MB")
    for kind, prefix in kinds.items():
        these = [n for n in size if re.fullmatch(prefix + r"\d+\.\w+", n)]
        if these:
            largest = max(these, key=size.get)
            print(f"  {len(these)} {kind}: median {statistics.median(size[n] for n in these) / 1e3:.1f} KB, "
                  f"largest {largest} {size[largest] / 1e3:.1f} KB")
    print(f"  meta.json {size['meta.json']} B, t2s.txt {size['t2s.txt'] / 1e3:.1f} KB")

    node = shutil.which("node")
    if not node or not (ROOT / "tests" / "browser" / "node_modules").is_dir():
        print("queries: skipped (needs node and `npm ci` in tests/browser)")
        return
    proc = subprocess.run([node, str(ROOT / "bench" / "search_browser.mjs"), str(out),
                           str(args.query_runs), *QUERIES], capture_output=True, text=True)
    if proc.returncode != 0:
        sys.exit(proc.stderr[-2000:])
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    print(f"queries in Chromium (median of {args.query_runs}; first 10 results shown):")
    for q in report:
        raw = sum(size[f] for f in q["files"])
        packed = sum(gz(f) for f in q["files"])
        print(f"  {q['query']!r}: {q['results']}; {len(q['files'])} files, {raw / 1e3:.0f} KB "
              f"({packed / 1e3:.0f} KB gzipped); {q['cold_ms']} ms cold, {q['warm_ms']} ms warm")
    colds = [q["cold_ms"] for q in report]
    print(f"  median over the queries: {statistics.median(colds)} ms cold")


if __name__ == "__main__":
    main()
