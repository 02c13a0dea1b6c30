// Screenshots of the page `spikemed serve` opens, for the README and docs/page.md, taken in the
// system's Chromium with playwright-core:
//   npm run build && node scripts/page-screenshots.mjs ECG_RUN CXR_RUN CXR_IMAGE_DIR [OUT_DIR]
// ECG_RUN and CXR_RUN are run folders written by `spikemed train`; CXR_IMAGE_DIR a folder of
// images for the X-ray view; OUT_DIR defaults to docs/img.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { chromium } from "playwright-core";
import { startServer } from "../dist/src/cli/serve.js";
import { browser as chromiumPath } from "../dist/test/web/chromium.js";

const [ecgRun, cxrRun, cxrImages, out = "docs/img"] = process.argv.slice(2);
if (!ecgRun || !cxrRun || !cxrImages) {
  process.stderr.write("usage: node scripts/page-screenshots.mjs ECG_RUN CXR_RUN CXR_IMAGE_DIR [OUT_DIR]\n");
  process.exit(1);
}
if (!chromiumPath) {
  process.stderr.write("page-screenshots: no Chromium found: apt-get install -y chromium, or set SPIKEMED_CHROMIUM=path\n");
  process.exit(1);
}
mkdirSync(out, { recursive: true });
const browser = await chromium.launch({ executablePath: chromiumPath, args: ["--no-sandbox", "--disable-dev-shm-usage"] });
const shot = (page, name, locator) => (locator ? page.locator(locator) : page).screenshot({ path: join(out, name), animations: "disabled" });
const drawn = (page) => page.evaluate(() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done))));

try {
  const ecg = await startServer(ecgRun, { port: 0 });
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  await page.goto(`${ecg.url}?record=208`);
  await page.waitForFunction(() => document.body.dataset.summary ?? document.body.dataset.error, null, { timeout: 120_000 });
  await page.click("#next-V");
  await page.waitForFunction(() => document.body.dataset.beat, null, { timeout: 60_000 });
  await page.locator("#strip").focus();
  await drawn(page);
  await shot(page, "page-ecg-strip.png");
  await shot(page, "page-ecg-beat.png", "#beat-panel");
  await shot(page, "page-ecg-summary.png", "#summary-panel");
  await page.click("#next-D");
  await page.waitForFunction(() => document.body.dataset.beat, null, { timeout: 60_000 });
  await drawn(page);
  await shot(page, "page-ecg-disagreement.png", "#ecg-view > canvas#strip");
  await page.selectOption("#live-speed", "10");
  await page.click("#live");
  await page.evaluate(() => window.scrollTo(0, document.getElementById("ecg-view").offsetTop));
  await page.waitForFunction(() => Number(document.getElementById("live-status").dataset.beats ?? 0) >= 25, null, { timeout: 60_000 });
  await shot(page, "page-ecg-live.png");
  await page.click("#live");
  await page.setViewportSize({ width: 390, height: 844 });
  await page.evaluate(() => window.scrollTo(0, 0));
  await drawn(page);
  await shot(page, "page-ecg-phone.png");
  await page.close();
  ecg.server.close();

  const cxr = await startServer(cxrRun, { port: 0, data: cxrImages });
  const xray = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  await xray.goto(cxr.url);
  await xray.waitForFunction(() => document.body.dataset.ready ?? document.body.dataset.error, null, { timeout: 120_000 });
  const names = await xray.evaluate(() => Array.from(document.querySelectorAll("#inputs option"), (o) => o.value));
  // All the folder's images at once, as a user who drops them on the page.
  const transfer = await xray.evaluateHandle(async (files) => {
    const data = new DataTransfer();
    for (const name of files) data.items.add(new File([await (await fetch(`/data/${encodeURIComponent(name)}`)).blob()], name));
    return data;
  }, names);
  await xray.dispatchEvent("body", "drop", { dataTransfer: transfer });
  await xray.waitForFunction(() => document.getElementById("xray-canvas").dataset.evidence === "0", null, { timeout: 120_000 });
  await xray.locator("#overlay").fill("60");
  await drawn(xray);
  await shot(xray, "page-xray.png");
  await xray.close();
  cxr.server.close();
} finally {
  await browser.close();
}
process.stdout.write(`page-screenshots: wrote ${out}/page-*.png\n`);
