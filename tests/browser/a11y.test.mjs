// axe-core on one page of each kind of example-site, light and dark, phone and desktop:
// no serious or critical violation, and no request leaves the site.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { serve, launch, blockOutside, pageKinds } from "./helpers.mjs";

const axePath = createRequire(import.meta.url).resolve("axe-core/axe.min.js");
const schemes = ["light", "dark"];
const widths = [375, 1280];

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

function describe(violations) {
  return violations
    .map((v) => `${v.impact} ${v.id}: ${v.help}\n` +
      v.nodes.slice(0, 5).map((n) => `    ${n.target.join(" ")} ${n.failureSummary?.split("\n")[1] ?? ""}`).join("\n"))
    .join("\n");
}

for (const scheme of schemes) {
  for (const width of widths) {
    test(`axe: every page kind, ${scheme}, ${width}px`, async () => {
      const context = await browser.newContext({ viewport: { width, height: 900 }, colorScheme: scheme });
      const page = await context.newPage();
      const outside = [];
      await blockOutside(page, outside);
      const problems = [];
      try {
        for (const [kind, rel] of Object.entries(pageKinds)) {
          const response = await page.goto(server.base + rel, { waitUntil: "load" });
          assert.ok(response.status() === 200 || kind === "404", `${rel}: HTTP ${response.status()}`);
          await page.emulateMedia({ colorScheme: scheme });
          await page.addScriptTag({ path: axePath });
          const result = await page.evaluate(() =>
            window.axe.run(document, { resultTypes: ["violations"] }));
          const bad = result.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
          if (bad.length) problems.push(`${kind} (/${rel}):\n${describe(bad)}`);
        }
      } finally {
        await context.close();
      }
      assert.deepEqual(outside, [], "requests left the site");
      assert.equal(problems.length, 0, "\n" + problems.join("\n"));
    });
  }
}

test("no horizontal scrolling at 320px", async () => {
  const page = await browser.newPage({ viewport: { width: 320, height: 700 } });
  const wide = [];
  for (const [kind, rel] of Object.entries(pageKinds)) {
    await page.goto(server.base + rel);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    if (overflow > 1) wide.push(`${kind}: ${overflow}px too wide`);
  }
  await page.close();
  assert.deepEqual(wide, []);
});
