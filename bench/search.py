#!/usr/bin/env python3
"""Search index benchmark for shequn (issue 9).

Builds the generated 10 000-page site (../shared/bench/gen_site.py) with the release
binary and `--timings` several times, and reports:
  - the build-time overhead of the index: the `search` stage against the rest of the
    build (median of the runs; the stages run one after another, so the ratio is exact);
  - the index's size: files, total bytes, the largest term and document shards;
  - what a query downloads: meta.json, the term shards it touches and the document
    shards of the first 10 results, for sample queries (the same lookup as search.js).

Usage:  python3 bench/search.py [--pages 10000] [--runs 3] [--work DIR]
"""

import argparse
import json
import math
import os
import pathlib
import re
import statistics
import subprocess
import sys
import unicodedata

ROOT = pathlib.Path(__file__).resolve().parent.parent
GEN = ROOT.parent / "shared" / "bench" / "gen_site.py"
NOW = "2026-11-23T12:00:00Z"
SHOWN = 10
QUERIES = ["community", "talks", "rust", "社区", "分享", "数据 database", "活动 meetup"]


def is_han(c):
    n = ord(c)
    return 0x3400 <= n <= 0x4DBF or 0x4E00 <= n <= 0x9FFF or 0xF900 <= n <= 0xFAFF or 0x20000 <= n <= 0x2FA1F


def stem(w):
    if len(w) <= 3 or not re.fullmatch(r"[a-z]+", w):
        return w
    if len(w) > 4 and w.endswith("ies"):
        return w[:-3] + "y"
    if w.endswith("sses") or re.search(r"(xes|ches|shes|zzes)$", w):
        return w[:-2]
    if re.search(r"(ss|us|is)$", w):
        return w
    return w[:-1] if w.endswith("s") else w


def shard_of(term, shards):
    key = term[:2]
    h = 0x811C9DC5
    for b in key.encode():
        h = ((h ^ b) * 0x01000193) & 0xFFFFFFFF
    return h % shards


def query_download(index, q):
    """Bytes a query fetches and how many results it has (search.js's lookup)."""
    fetched = {"meta.json"}
    meta = json.loads((index / "meta.json").read_text())
    shards = {}

    def shard(term):
        i = shard_of(term, meta["term_shards"])
        name = f"t{i}.json"
        fetched.add(name)
        if name not in shards:
            shards[name] = json.loads((index / name).read_text())
        return shards[name]

    terms = []
    text = unicodedata.normalize("NFKC", q).lower()
    for run in re.findall(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+|[^\W_]+", text):
        if not is_han(run[0]):
            terms.append(stem(run))
            continue
        i = 0
        while i < len(run):
            rest = run[i:]
            best = max((t for t in shard(rest) if rest.startswith(t)), key=len, default=run[i])
            terms.append(best)
            i += len(best)
    scores = None
    for t in terms:
        postings = shard(t).get(t, [])
        idf = math.log(1 + meta["documents"] / max(1, len(postings) // 2))
        these, doc = {}, 0
        for k in range(0, len(postings), 2):
            doc += postings[k]
            these[doc] = postings[k + 1] * idf
        scores = these if scores is None else {d: s + these[d] for d, s in scores.items() if d in these}
    ranked = sorted((scores or {}).items(), key=lambda x: (-x[1], x[0]))
    for d, _ in ranked[:SHOWN]:
        fetched.add(f"d{d % meta['doc_shards']}.json")
    return sum((index / f).stat().st_size for f in fetched), len(fetched), len(ranked)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pages", type=int, default=10000)
    ap.add_argument("--runs", type=int, default=3)
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
    out = pathlib.Path("/dev/shm/shequn-search-bench") if pathlib.Path("/dev/shm").is_dir() else work / "out"
    totals, searches = [], []
    for _ in range(args.runs):
        proc = subprocess.run([str(binary), "build", "--source", str(site), "--output", str(out),
                               "--now", NOW, "--timings"], capture_output=True, text=True)
        if proc.returncode != 0:
            sys.exit(proc.stderr[-2000:])
        stages = dict((m[0], float(m[1])) for m in re.findall(r"^\s*(\w+):\s+([\d.]+) ms", proc.stderr, re.M))
        totals.append(sum(stages.values()))
        searches.append(stages.get("search", 0.0))
    total, search = statistics.median(totals), statistics.median(searches)
    index = out / "search" / "index"
    files = sorted(index.iterdir())
    size = sum(f.stat().st_size for f in files)
    terms = [f.stat().st_size for f in files if f.name.startswith("t")]
    docs = [f.stat().st_size for f in files if f.name.startswith("d")]
    meta = json.loads((index / "meta.json").read_text())
    print(f"site: {args.pages} pages, {meta['documents']} documents in the index")
    print(f"build: {total:.0f} ms median of {args.runs}, of which search {search:.0f} ms "
          f"= {100 * search / (total - search):.1f}% over the build without it")
    print(f"index: {len(files)} files, {size / 1e6:.1f} MB; {len(terms)} term shards "
          f"(largest {max(terms) / 1e3:.0f} KB, median {statistics.median(terms) / 1e3:.0f} KB); "
          f"{len(docs)} document shards (largest {max(docs) / 1e3:.0f} KB)")
    for q in QUERIES:
        nbytes, nfiles, hits = query_download(index, q)
        print(f"query {q!r}: {hits} results, downloads {nfiles} files, {nbytes / 1e3:.0f} KB")


if __name__ == "__main__":
    main()
