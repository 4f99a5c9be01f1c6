#!/usr/bin/env python3
"""Benchmark: time from saving one member file to the reload event of `shequn serve`.

Generates (once) a 10 000-page site with the shared generator, starts the release
binary on a loopback port, opens the reload channel as a browser page does, then saves
one member file SAVES times (in place, a visible field changed each time) and reports
the time from each save to the `reload` event of the member's page (the channel is
opened as that page's script opens it, `?page=members/HANDLE/index.html`): every
figure, then the median. Saves are 2 s apart, so that the search index of one save is
done before the next (a faster typist waits for it too).

    python3 bench/serve_reload.py [--site /tmp/s10k] [--pages 10000] [--saves 12]

Not a test: it needs a release build (`cargo build --release`) and takes about a minute.
"""

import argparse
import os
import re
import select
import socket
import statistics
import subprocess
import sys
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# The shared generator: the steering repository's shared/ sits beside this one.
GENERATOR = os.path.join(os.path.dirname(ROOT), "shared", "bench", "gen_site.py")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--site", default="/tmp/s10k")
    ap.add_argument("--pages", type=int, default=10000)
    ap.add_argument("--saves", type=int, default=12)
    ap.add_argument("--binary", default=None)
    args = ap.parse_args()

    target = os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target"))
    binary = args.binary or os.path.join(target, "release", "shequn")
    if not os.path.exists(binary):
        sys.exit(f"no release binary at {binary}: run `cargo build --release` first")
    if not os.path.exists(os.path.join(args.site, "shequn.toml")):
        subprocess.run(
            [sys.executable, GENERATOR, "--tool", "shequn", "--pages", str(args.pages), "--out", args.site],
            check=True,
            stdout=subprocess.DEVNULL,
        )

    members = sorted(f for f in os.listdir(os.path.join(args.site, "members")) if f.endswith(".toml"))
    member = os.path.join(args.site, "members", members[0])
    page = f"members/{members[0][: -len('.toml')]}/index.html"
    original = open(member, encoding="utf-8").read()

    server = subprocess.Popen(
        [binary, "serve", "--source", args.site, "--port", "0"],
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
    )
    log = []
    try:
        port = None
        deadline = time.time() + 120
        while port is None and time.time() < deadline:
            line = server.stderr.readline()
            if not line:
                sys.exit("serve exited:\n" + "".join(log))
            log.append(line)
            m = re.search(r"http://127\.0\.0\.1:(\d+)/", line)
            if m and line.startswith("Serving"):
                port = int(m.group(1))
        print("".join(log), end="", file=sys.stderr)

        # Keep reading the server's terminal output, so that it never blocks on a full pipe.
        def drain():
            for line in server.stderr:
                log.append(line)

        threading.Thread(target=drain, daemon=True).start()

        sock = socket.create_connection(("127.0.0.1", port))
        host = f"127.0.0.1:{port}"
        sock.sendall(
            f"GET /__shequn/events?page={page} HTTP/1.1\r\nHost: {host}\r\nOrigin: http://{host}\r\n\r\n".encode()
        )
        buffer = b""

        def next_event(timeout):
            nonlocal buffer
            end = time.time() + timeout
            while True:
                for block in re.split(rb"\n\n", buffer)[:-1]:
                    buffer = buffer[len(block) + 2 :]
                    m = re.search(rb"^event: (\S+)", block, re.M)
                    if m:
                        return m.group(1).decode()
                left = end - time.time()
                if left <= 0:
                    return None
                ready, _, _ = select.select([sock], [], [], left)
                if ready:
                    chunk = sock.recv(65536)
                    if not chunk:
                        return None
                    buffer += chunk

        assert next_event(30) == "hello"
        figures = []
        for i in range(args.saves):
            text = re.sub(r'^name = "(.*?)"', lambda m: f'name = "{m.group(1)} bench{i}"', original, count=1, flags=re.M)
            if text == original:
                text = original + f"\n# bench save {i}\n"
            started = time.perf_counter()
            with open(member, "w", encoding="utf-8") as f:
                f.write(text)
            while True:
                event = next_event(60)
                if event is None:
                    sys.exit("no reload event within 60 s; serve said:\n" + "".join(log[-20:]))
                if event == "reload":
                    break
                if event == "build-error":
                    sys.exit("the build failed:\n" + "".join(log[-40:]))
            figures.append((time.perf_counter() - started) * 1000)
            print(f"save {i + 1:>2}: {figures[-1]:7.0f} ms")
            time.sleep(2)
        print(
            f"save-to-reload on {args.site} ({args.pages} pages), {len(figures)} saves: "
            f"median {statistics.median(figures):.0f} ms, min {min(figures):.0f} ms, max {max(figures):.0f} ms"
        )
        built = [line.strip() for line in log if line.startswith("Built ")]
        print("serve said, for the last three:", *built[-3:], sep="\n  ")
    finally:
        with open(member, "w", encoding="utf-8") as f:
            f.write(original)
        server.send_signal(2)
        try:
            server.wait(timeout=120)
        except subprocess.TimeoutExpired:
            server.kill()


if __name__ == "__main__":
    main()
