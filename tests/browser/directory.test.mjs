// The member directory's filters: clicking them hides the members that do not match,
// and without JavaScript every member is visible.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { serve, launch } from "./helpers.mjs";

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

const visibleNames = (page) =>
  page.$$eval(".member-card", (cards) =>
    cards.filter((c) => c.offsetParent !== null).map((c) => c.querySelector(".card-title").textContent.trim()).sort());

test("without JavaScript every member is shown, with links to filter by", async () => {
  const context = await browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  await page.goto(server.base + "members/");
  assert.equal((await visibleNames(page)).length, 25);
  assert.ok(await page.isVisible('[data-filter="chapter"] a[href$="/chapters/shanghai/"]'));
  assert.equal(await page.locator("select").count(), 0);
  await context.close();
});

test("filtering by chapter, role and tag narrows the directory", async () => {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  await page.goto(server.base + "members/");
  assert.equal((await visibleNames(page)).length, 25);

  await page.selectOption("#directory-filter-chapter", "beijing");
  const beijing = await visibleNames(page);
  // members/*.toml with chapter = "beijing", less the unlisted 乔隐星.
  assert.deepEqual(beijing, ["冯凯", "孙铭泽", "王浩然", "蒋昊", "谢婉清", "郭天意", "马静雯"].sort());
  assert.match(await page.textContent("[data-filter-status]"), /7/);

  await page.selectOption("#directory-filter-role", "organiser");
  assert.deepEqual(await visibleNames(page), ["王浩然"]);
  // Groups without a visible member disappear.
  assert.equal(await page.isVisible("#role-founder"), false);
  assert.equal(await page.isVisible("#role-organiser"), true);
  assert.match(page.url(), /chapter=beijing/);
  assert.match(page.url(), /role=organiser/);

  await page.click(".filter-form button");
  assert.equal((await visibleNames(page)).length, 25);

  await page.selectOption("#directory-filter-tag", { label: "播客" });
  const podcast = await visibleNames(page);
  assert.ok(podcast.length > 0 && podcast.length < 25, `播客: ${podcast}`);
  for (const name of podcast) {
    const tags = await page.locator(".member-card", { hasText: name }).first().getAttribute("data-tags");
    assert.ok(tags.split(" ").includes("播客"), `${name} has no 播客 tag: ${tags}`);
  }
  await page.close();
});

test("a shared filtered URL opens filtered", async () => {
  const page = await browser.newPage();
  await page.goto(server.base + "members/?chapter=shenzhen&role=organiser");
  assert.deepEqual(await visibleNames(page), ["何子轩", "赵嘉慧"].sort());
  await page.close();
});
