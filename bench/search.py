#!/usr/bin/env python3
"""Search index benchmark for shequn (issue 9).

Builds the generated 10 000-page site (../shared/bench/gen_site.py) with the release
binary and `--timings` several times, and reports:
  - the build-time overhead of the index: the `search` stage against the rest of the
    build (medians; the stages run one after another, so the ratio is exact), in wall
    and processor time, and the build's peak memory; once as shequn builds (the jieba
    dictionary loading on a thread from the start) and once with the dictionary loaded
    inside the search stage (SHEQUN_SEARCH_PRELOAD=0), which shows the index's whole cost;
  - the index's size: files, total bytes, the largest files of each kind;
  - what a query downloads and how long it takes, measured in headless Chromium with the
    theme's search.js (bench/search_browser.mjs): the index files fetched (bytes as
    stored, and gzipped as a static host would usually send them), and the median time
    from pressing Enter to the results shown, cold (fresh browser) and warm.

Usage:  python3 bench/search.py [--pages 10000] [--runs 3] [--query-runs 5] [--work DIR]
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


def build_once(binary, site, out, preload=True):
    """(stage → wall ms, peak resident KiB, user + system CPU seconds, stage → CPU ms)."""
    started = time.monotonic()
    proc = subprocess.Popen([str(binary), "build", "--source", str(site), "--output", str(out),
                             "--now", NOW, "--base-url", BASE_URL, "--timings"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                            env=dict(os.environ, SHEQUN_SEARCH_PRELOAD="1" if preload else "0"))
    stderr = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        sys.exit(stderr[-2000:])
    found = re.findall(r"^\s*(\w+):\s+([\d.]+) ms(?:\s+([\d.]+) ms cpu)?", stderr, re.M)
    stages = {m[0]: float(m[1]) for m in found if m[0] != "total"}
    cpu = {m[0]: float(m[2] or 0) for m in found if m[0] != "total"}
    stages["wall"] = (time.monotonic() - started) * 1000
    return stages, usage.ru_maxrss, usage.ru_utime + usage.ru_stime, cpu


def report_builds(binary, site, out, runs, preload):
    """Builds `runs` times and prints the stages, the search stage's share and the peak."""
    builds = [build_once(binary, site, out, preload) for _ in range(runs)]
    med = lambda key: statistics.median(b[0].get(key, 0.0) for b in builds)
    stage_names = [k for k in builds[0][0] if k != "wall"]
    total = statistics.median(sum(v for k, v in b[0].items() if k != "wall") for b in builds)
    search = med("search")
    rest = total - search
    peak = max(b[1] for b in builds) / 1024
    cpu = statistics.median(b[2] for b in builds)
    # Processor time per stage (--timings), steadier than wall time on a shared machine.
    search_cpu = statistics.median(b[3].get("search", 0.0) for b in builds)
    rest_cpu = statistics.median(sum(v for k, v in b[3].items() if k != "search") for b in builds)
    if preload:
        print("build, with the dictionary loaded on a thread from the start (as shequn builds):")
    else:
        print("build, with the dictionary loaded in the search stage (SHEQUN_SEARCH_PRELOAD=0: "
              "the index's whole cost):")
    print(f"  {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}; median of {runs}")
    print("  stages (ms): " + ", ".join(f"{k} {med(k):.0f}" for k in stage_names))
    print(f"  total {total:.0f} ms, of which search {search:.0f} ms "
          f"= {100 * search / rest:.1f}% over the build without it ({rest:.0f} ms)")
    if search_cpu:
        print(f"  processor time: search {search_cpu:.0f} ms = {100 * search_cpu / rest_cpu:.1f}% "
              f"over the rest of the build ({rest_cpu:.0f} ms)")
    print(f"  peak memory {peak:.0f} MiB; processor time of the whole build {cpu:.2f} s")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pages", type=int, default=10000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--query-runs", type=int, default=5)
    ap.add_argument("--work", default="/tmp/shequn-search-bench")
    args = ap.parse_args()
    work = pathlib.Path(args.work)
    site = work / f"shequn-{args.pages}"
    if not (site / ".gen_site.json").exists():
        print("generating the site…", file=sys.stderr)
        subprocess.run([sys.executable, str(GEN), "--tool", "shequn", "--pages", str(args.pages),
                        "--out", str(site), "--force"], check=True, stdout=subprocess.DEVNULL)
    subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=ROOT, check=True)
    target = pathlib.Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
    binary = target / "release" / "shequn"
    shm = pathlib.Path("/dev/shm")
    out = shm / "shequn-search-bench" if shm.is_dir() else work / "out"

    report_builds(binary, site, out, args.runs, preload=True)
    report_builds(binary, site, out, args.runs, preload=False)

    index = out / "search" / "index"
    files = sorted(index.iterdir())
    size = {f.name: f.stat().st_size for f in files}
    total_bytes = sum(size.values())
    gz = lambda name: len(gzip.compress((index / name).read_bytes(), 6))
    kinds = {"term shards": "t", "long posting lists": "p", "document shards": "d"}
    meta = json.loads((index / "meta.json").read_text())

    print(f"site: {args.pages} pages, {meta['documents']} documents in the index")
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
