// Part of bench/search.py: runs queries in headless Chromium against /search/ of a
// built site and prints, as JSON, for each query the index files it fetched and the
// time from pressing Enter to the results shown (cold: a fresh browser context per
// run; warm: the same query again on the same page).
//
// Usage: node bench/search_browser.mjs SITE_DIR RUNS QUERY...
// The site must be built with base_url path /xinmeiti/ (the browser tests' server).
import { serve, launch } from "../tests/browser/helpers.mjs";

const [dir, runsText, ...queries] = process.argv.slice(2);
const runs = Number(runsText) || 5;
const server = await serve(dir);
const browser = await launch();
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function ask(page, query) {
  await page.fill("#search-query", query);
  const started = Date.now();
  await page.press("#search-query", "Enter");
  await page.waitForFunction(() => {
    const form = document.getElementById("search-form");
    const status = document.getElementById("search-status").textContent;
    const none = status === form.getAttribute("data-no-results");
    return none || document.querySelectorAll("#search-results li").length > 0;
  });
  return Date.now() - started;
}

async function clear(page) {
  await page.fill("#search-query", "");
  await page.waitForFunction(() => document.getElementById("search-status").textContent === "");
}

const report = [];
for (const query of queries) {
  const cold = [];
  const warm = [];
  let files = [];
  let results = "";
  for (let i = 0; i < runs; i++) {
    const context = await browser.newContext();
    const page = await context.newPage();
    const fetched = new Set();
    page.on("request", (r) => {
      const path = new URL(r.url()).pathname;
      if (path.includes("/search/index/")) fetched.add(path.split("/search/index/")[1]);
    });
    await page.goto(server.base + "search/");
    cold.push(await ask(page, query));
    files = [...fetched].sort();
    results = await page.textContent("#search-status");
    await clear(page);
    warm.push(await ask(page, query));
    await context.close();
  }
  report.push({ query, results, files, cold_ms: median(cold), warm_ms: median(warm) });
}
console.log(JSON.stringify(report));
await browser.close();
await server.close();
