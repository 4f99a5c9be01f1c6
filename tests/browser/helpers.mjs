// Shared pieces of the browser tests: a tiny static server for the built example site
// (under its base_url path prefix) and a headless Chromium launcher.
import http from "node:http";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const here = path.dirname(fileURLToPath(import.meta.url));

/** The built example site: SHEQUN_SITE_DIR, else target/browser-site. */
export const siteDir = path.resolve(
  process.env.SHEQUN_SITE_DIR || path.join(here, "..", "..", "target", "browser-site"),
);

/** The path of example-site's base_url. */
export const prefix = "/xinmeiti/";

const types = {
  ".html": "text/html; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".jpg": "image/jpeg",
  ".xml": "application/xml; charset=utf-8",
  ".ics": "text/calendar; charset=utf-8",
  ".json": "application/json",
  ".txt": "text/plain; charset=utf-8",
};

/** Serves `dir` at http://127.0.0.1:PORT/xinmeiti/ ; resolves to { origin, base, close }. */
export function serve(dir = siteDir) {
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, "http://localhost");
    let rel = decodeURIComponent(url.pathname);
    if (!rel.startsWith(prefix)) {
      res.writeHead(404).end("outside the site prefix");
      return;
    }
    rel = rel.slice(prefix.length);
    let file = path.resolve(dir, rel);
    if (file !== dir && !file.startsWith(dir + path.sep)) {
      res.writeHead(403).end();
      return;
    }
    if (fs.existsSync(file) && fs.statSync(file).isDirectory()) file = path.join(file, "index.html");
    if (!fs.existsSync(file)) {
      res.writeHead(404, { "content-type": types[".html"] });
      res.end(fs.existsSync(path.join(dir, "404.html")) ? fs.readFileSync(path.join(dir, "404.html")) : "");
      return;
    }
    res.writeHead(200, { "content-type": types[path.extname(file)] || "application/octet-stream" });
    res.end(fs.readFileSync(file));
  });
  return new Promise((resolve) => {
    server.listen(0, "127.0.0.1", () => {
      const origin = `http://127.0.0.1:${server.address().port}`;
      resolve({ origin, base: origin + prefix, close: () => new Promise((r) => server.close(r)) });
    });
  });
}

/** Headless Chromium from the system package. */
export function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH || "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"],
  });
}

/** Fails the page on any request that leaves 127.0.0.1 (no CDN, font or analytics). */
export async function blockOutside(page, outside) {
  await page.route("**/*", (route) => {
    const u = new URL(route.request().url());
    if (u.hostname === "127.0.0.1" || u.protocol === "data:") return route.continue();
    outside.push(u.href);
    return route.abort();
  });
}

/** One page of each kind in example-site, relative to the prefix. */
export const pageKinds = {
  home: "",
  manifesto: "manifesto/",
  rules: "rules/",
  join: "join/",
  events: "events/",
  event: "events/weekly-9/",
  "event-cancelled": "events/london-night-2026-10/",
  series_list: "series/",
  series: "series/weekly/",
  talks: "talks/",
  speakers: "speakers/",
  speaker: "speakers/fang-qingyun/",
  members: "members/",
  member: "members/zhao-jiahui/",
  chapters: "chapters/",
  chapter: "chapters/shanghai/",
  tags: "tags/",
  tag: "tags/%E7%A7%81%E5%9F%9F/",
  section: "news/",
  page: "transcripts/geren-pinpai/",
  "404": "404.html",
};
