#!/usr/bin/env python3
"""Writes the seed corpora under fuzz/seeds/TARGET/ from the test fixtures, the example
site and a few hostile inputs. Deterministic; re-run after fixtures change:
    python3 fuzz/make_seeds.py
Each target keeps at most MAX seeds, so replaying them under `cargo test` stays quick."""

import hashlib
import pathlib
import shutil

ROOT = pathlib.Path(__file__).resolve().parent.parent
SEEDS = ROOT / "fuzz" / "seeds"
MAX = 24

SITES = sorted(p for p in (ROOT / "tests" / "sites").iterdir() if p.is_dir()) + [ROOT / "example-site"]

HOSTILE_URLS = [
    "javascript:alert(1)", "JaVaScRiPt:alert(1)", " javascript:alert(1)", "java\tscript:alert(1)",
    "javascript&#58;alert(1)", "javascript&colon;alert(1)", "vbscript:msgbox(1)",
    "data:text/html,<script>alert(1)</script>", "file:///etc/passwd", "//evil.example/x",
    "/\\evil.example", "\\\\evil.example\\x", "https://ok.example/a?b=c#d", "mailto:a@b.example",
    "/events/", "#top", "img.png", "../x/", "@member/ada", "@/posts/hello.md#first",
    "http:", "https://", "\u0000javascript:x", "jav&#x09;ascript:x", "%6aavascript:x",
    "/%2e%2e/x", "x:y", "+:x", "a.b-c+d:x", "\u200bjavascript:x", "https:\\\\evil.example",
]

HOSTILE_TEXT = [
    "<script>alert(1)</script>", "\"><script>alert(1)</script>", "'onmouseover='alert(1)",
    "</script><script>alert(1)</script>", "]]>", "\r\nDTSTART:19700101T000000Z",
    "<img src=x onerror=alert(1)>", "<svg onload=alert(1)>", "<iframe srcdoc='<script>'>",
    "# T {onclick=alert(1)}", "[x](javascript:alert(1))", "<javascript:alert(1)>",
    "![i](data:image/svg+xml,<svg onload=alert(1)>)", "\u202eevil\u202c", "\ufeff\ufffe\uffff",
    "a\u0001b", "<!--", "<base href=//evil.example/>", "[x]: javascript:alert(1)\n\n[y][x]",
]


def put(target, data):
    folder = SEEDS / target
    folder.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        data = data.encode("utf-8", "surrogatepass")
    name = hashlib.sha1(data).hexdigest()[:16]
    (folder / name).write_bytes(data)


def files(pattern):
    found = []
    for site in SITES:
        found.extend(sorted(site.glob(pattern)))
    # Spread the picks over the sites rather than taking the first MAX.
    step = max(1, len(found) // MAX)
    return found[::step][:MAX]


def main():
    if SEEDS.exists():
        shutil.rmtree(SEEDS)
    lib = (ROOT / "fuzz" / "src" / "lib.rs").read_text()
    for target, pattern in [
        ("config", "shequn.toml"), ("charter", "charter.md"), ("member", "members/*.toml"),
        ("speaker", "speakers/*.toml"), ("event", "events/*.toml"), ("chapter", "chapters/*.toml"),
        ("series", "series/*.toml"), ("page", "content/**/*.md"), ("frontmatter", "**/*.md"),
    ]:
        for path in files(pattern):
            put(target, path.read_bytes())
    # The harness fixture's own files: seeds that build completely.
    for target, const in [("config", "CONFIG"), ("charter", "CHARTER"), ("member", "ADA"),
                          ("speaker", "GRACE"), ("event", "MEETUP"), ("chapter", "CHAPTER"),
                          ("series", "SERIES"), ("page", "HELLO")]:
        start = lib.index(f"const {const}: &str = r#\"") + len(f"const {const}: &str = r#\"")
        put(target, lib[start:lib.index("\"#;", start)])
    hostile_member = "name = \"<script>alert(1)</script>\"\nheadline = \"\\\"><b>\"\nbio = \"<img src=x onerror=alert(1)> [x](javascript:alert(1))\"\n"
    put("member", hostile_member)
    put("event", 'title = "]]> \\r\\nDTSTART:1"\nstart = 2026-12-10T19:00:00\nsummary = "</script>"\n')
    put("page", "+++\ntitle = \"</script><script>\"\n+++\n# H {onclick=alert(1)}\n\n<script>x</script>\n")
    for i, text in enumerate(HOSTILE_TEXT):
        put("markdown", bytes([i % 2]) + text.encode())
    for path in files("content/**/*.md")[:8]:
        put("markdown", b"\x00" + path.read_bytes().split(b"+++", 2)[-1])
    for url in HOSTILE_URLS:
        put("url", url)
    for text in ["hello\nworld\n\nRust\nrust", "a/b\n../../x", "con\n", "news/_index\n\n\nC++\nc",
                 "café\ncafe\u0301", "x\n%2e%2e\n../../secret.html", "a\na\\b\n\na b\na-b",
                 "events\n", "members/x\n", "tags\n\n\nx", "feed.xml\n", "x\nevent.ics"]:
        put("paths", text)
    put("frontmatter", "+++\n+++")
    put("frontmatter", "+++\ntitle = 1\n")
    put("frontmatter", "")
    put("frontmatter", "+++ \r\nx\n+++\n```\n+++\n```")


main()
