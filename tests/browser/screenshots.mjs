// Writes the README screenshots (docs/screenshots/*.png): home, event, speaker and
// member directory, on a phone (375px) and a desktop (1280px), viewport only.
// Run: node screenshots.mjs (after building example-site into SHEQUN_SITE_DIR).
import path from "node:path";
import { fileURLToPath } from "node:url";
import { serve, launch } from "./helpers.mjs";

const out = process.env.SHOTS_DIR || path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..", "docs", "screenshots");
const shots = { home: "", event: "events/weekly-9/", speaker: "speakers/fang-qingyun/", members: "members/" };
const sizes = { phone: { width: 375, height: 740 }, desktop: { width: 1280, height: 860 } };
const scheme = process.env.SCHEME || "light";

const server = await serve();
const browser = await launch();
try {
  for (const [size, viewport] of Object.entries(sizes)) {
    const page = await browser.newPage({ viewport, deviceScaleFactor: 1 });
    await page.emulateMedia({ colorScheme: scheme });
    for (const [name, rel] of Object.entries(shots)) {
      await page.goto(server.base + rel, { waitUntil: "load" });
      const suffix = scheme === "light" ? "" : `-${scheme}`;
      await page.screenshot({ path: path.join(out, `${name}-${size}${suffix}.png`) });
    }
    await page.close();
  }
} finally {
  await browser.close();
  await server.close();
}
