#!/usr/bin/env python3
"""Benchmark: build time of Markdown known to be quadratic for some parsers, at 1, 2, 4
and 8 MB (BAD-INPUTS row 8).

For each kind, writes a minimal site whose one content page holds SIZE bytes of the
pattern (just under the 8 MiB file limit at "8 MB"), runs `shequn build` (release) into
a fresh folder, and reports seconds, seconds per MB and the growth ratio 8 MB / 1 MB
(linear time gives about 8; quadratic about 64). A kind whose build fails or takes more
than --limit seconds is reported as such.

    python3 bench/pathological.py [--runs 3] [--sizes 1,2,4,8] [--kinds a***,[](]

Not a test: it needs a release build (`cargo build --release`) and takes a few minutes;
the tests only build moderate sizes of the same inputs (tests/bad-inputs/08-*.cases).
"""

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MB = 1_000_000
# The file size limit of shequn (8 MiB); "8 MB" pages stay under it with the front matter.
FILE_LIMIT = 8 * 1024 * 1024


def unit(kind, i):
    """The i-th repetition of a kind's pattern."""
    return {
        "[](": "[](",
        "a***": "a***",
        "!-- <": "!-- <",
        "<!-- <": "<!-- <",
        "[^ at line starts": "[^\n",
        "footnotes": f"Text[^{i}].\n\n[^{i}]: Note {i}.\n\n",
        "[ brackets": "[",
        "backtick runs": "`" * (i % 1000 + 1) + " ",
    }[kind]


KINDS = [
    "[](",
    "a***",
    "!-- <",
    "<!-- <",
    "[^ at line starts",
    "> 10000 deep",
    "> 64 deep",
    "footnotes",
    "[ brackets",
    "backtick runs",
]


def body(kind, size):
    """About `size` bytes of the pathological pattern."""
    if kind.startswith("> "):
        # Paragraphs each quoted that many levels deep (10 000 is refused: the limit is 64).
        depth = int(kind.split()[1])
        block = ">" * depth + " deep\n\n"
        return block * max(1, size // len(block))
    parts = []
    total = 0
    i = 0
    while total < size:
        u = unit(kind, i)
        parts.append(u)
        total += len(u)
        i += 1
    return "".join(parts)[:size]


def write_site(root, kind, size):
    os.makedirs(os.path.join(root, "content"), exist_ok=True)
    with open(os.path.join(root, "shequn.toml"), "w") as f:
        f.write('base_url = "https://example.org/"\n')
    with open(os.path.join(root, "charter.md"), "w") as f:
        f.write('+++\nname = "Pathological"\n+++\n\nA site with one hard page.\n')
    front = '+++\ntitle = "p"\n+++\n'
    text = front + body(kind, min(size, FILE_LIMIT - len(front) - 1))
    with open(os.path.join(root, "content", "p.md"), "w") as f:
        f.write(text)


def build_seconds(binary, root, limit):
    out = root + "-out"
    shutil.rmtree(out, ignore_errors=True)
    started = time.perf_counter()
    try:
        run = subprocess.run(
            [binary, "build", "--source", root, "--output", out, "--now", "2026-11-23T12:00:00Z"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            timeout=limit,
        )
    except subprocess.TimeoutExpired:
        return None, f"more than {limit} s"
    elapsed = time.perf_counter() - started
    shutil.rmtree(out, ignore_errors=True)
    if run.returncode != 0:
        return None, f"exit {run.returncode}: {run.stderr.strip().splitlines()[0] if run.stderr.strip() else ''}"
    return elapsed, None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3, help="builds per size; the median is kept")
    ap.add_argument("--sizes", default="1,2,4,8", help="sizes in MB")
    ap.add_argument("--kinds", default=None, help="comma-separated subset of the kinds")
    ap.add_argument("--limit", type=float, default=120.0, help="seconds before a build counts as a hang")
    ap.add_argument("--binary", default=None)
    args = ap.parse_args()

    target = os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target"))
    binary = args.binary or os.path.join(target, "release", "shequn")
    if not os.path.exists(binary):
        sys.exit(f"no release binary at {binary}: run `cargo build --release` first")
    sizes = [int(s) for s in args.sizes.split(",")]
    kinds = args.kinds.split(",") if args.kinds else KINDS

    # The cost of building the site around the page, subtracted from every figure.
    with tempfile.TemporaryDirectory(prefix="shequn-patho") as tmp:
        root = os.path.join(tmp, "site")
        os.makedirs(os.path.join(root, "content"))
        write_site(root, "[](", 0)
        base = statistics.median(build_seconds(binary, root, args.limit)[0] for _ in range(args.runs))
    print(f"empty page: {base:.3f} s (subtracted below)")
    header = "kind".ljust(20) + "".join(f"{s:>4} MB s (s/MB)   " for s in sizes) + f"{sizes[-1]}/{sizes[0]}"
    print(header)
    for kind in kinds:
        row = kind.ljust(20)
        times = []
        for size in sizes:
            with tempfile.TemporaryDirectory(prefix="shequn-patho") as tmp:
                root = os.path.join(tmp, "site")
                write_site(root, kind, size * MB)
                results = []
                failure = None
                for _ in range(args.runs):
                    seconds, failure = build_seconds(binary, root, args.limit)
                    if seconds is None:
                        break
                    results.append(seconds)
                if failure:
                    row += f"{failure[:20]:>22}"
                    times.append(None)
                    continue
                t = max(statistics.median(results) - base, 0.0)
                times.append(t)
                row += f"{t:>8.3f} ({t / size:>6.3f})     "
        if times[0] and times[-1]:
            row += f"{times[-1] / times[0]:>6.1f}"
        print(row, flush=True)


if __name__ == "__main__":
    main()
