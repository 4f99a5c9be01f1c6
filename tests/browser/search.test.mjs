// /search/ of example-site: typing a Chinese and an English query shows the expected
// result links (under the base_url prefix), with the match marked; a Traditional query
// finds Simplified text; the form and "more results" are usable from the keyboard;
// without JavaScript the page says so and links to the archives.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { serve, launch, prefix } from "./helpers.mjs";

let server;
let browser;
before(async () => {
  server = await serve();
  browser = await launch();
});
after(async () => {
  await browser?.close();
  await server?.close();
});

const resultLinks = (page) =>
  page.$$eval("#search-results .card-title a", (links) => links.map((a) => a.getAttribute("href")));

test("a Chinese word inside sentences finds the talk, the event and the transcript", async () => {
  const page = await browser.newPage();
  await page.goto(server.base + "search/");
  const started = Date.now();
  await page.fill("#search-query", "私域");
  await page.waitForSelector("#search-results li");
  console.log(`first Chinese query answered in ${Date.now() - started} ms (150 ms of it typing delay)`);
  const links = await resultLinks(page);
  assert.ok(links.includes(prefix + "events/weekly-3/"), links.join(" "));
  assert.ok(links.some((l) => l.startsWith(prefix + "transcripts/siyu-xinren/")), links.join(" "));
  assert.equal(await page.textContent("#search-results mark"), "私域");
  await page.close();
});

test("an English plural finds the singular, from the keyboard", async () => {
  const page = await browser.newPage();
  await page.goto(server.base + "search/");
  await page.focus("#search-query");
  await page.keyboard.type("vlogs");
  await page.keyboard.press("Enter");
  await page.waitForSelector("#search-results li");
  const links = await resultLinks(page);
  assert.ok(links.includes(prefix + "events/shenzhen-citywalk-2026-11/"), links.join(" "));
  assert.match(page.url(), /\?q=vlogs$/);
  // Tab from the box reaches the button, then the first result.
  await page.keyboard.press("Tab");
  await page.keyboard.press("Tab");
  assert.equal(await page.evaluate(() => document.activeElement.getAttribute("href")), links[0]);
  await page.close();
});

test("a Traditional query finds Simplified text; more results load from the keyboard", async () => {
  const page = await browser.newPage();
  const status = async (q) => {
    await page.goto(server.base + "search/?q=" + encodeURIComponent(q));
    await page.waitForSelector("#search-results li");
    return page.textContent("#search-status");
  };
  const simplified = await status("运营");
  assert.equal(await status("運營"), simplified);
  // The match is marked in the page's own script.
  assert.equal(await page.textContent("#search-results mark"), "运营");
  assert.equal(await page.locator("#search-results li").count(), 10);
  await page.focus("#search-more");
  await page.keyboard.press("Enter");
  await page.waitForFunction(() => document.querySelectorAll("#search-results li").length > 10);
  // Focus moves to the first new result.
  const eleventh = await page.getAttribute("#search-results li:nth-child(11) a", "href");
  assert.equal(await page.evaluate(() => document.activeElement.getAttribute("href")), eleventh);
  await page.close();
});

test("a query in the URL runs on load; nothing found says so", async () => {
  const page = await browser.newPage();
  await page.goto(server.base + "search/?q=" + encodeURIComponent("zebrafinchology"));
  await page.waitForFunction(() => document.getElementById("search-status").textContent !== "");
  assert.equal(await page.locator("#search-results li").count(), 0);
  await page.close();
});

test("without JavaScript the page says so and links to the archives", async () => {
  const context = await browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  await page.goto(server.base + "search/");
  for (const archive of ["talks/", "events/", "members/"]) {
    assert.ok(await page.isVisible(`main a[href="${prefix}${archive}"]`), archive);
  }
  await context.close();
});
