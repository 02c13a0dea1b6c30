// How long the page's ECG strip takes to draw one frame (both leads, the beat marks and the
// overview) at each zoom, scrolled over the whole of record 208 (30 minutes, two leads at 360 Hz),
// in the system's Chromium at 1280x800:
//   npm run build && node scripts/page-frame-times.mjs RUN
// Prints a Markdown table: median and slowest frame of 60 positions across the record per zoom.
import { chromium } from "playwright-core";
import { startServer } from "../dist/src/cli/serve.js";
import { browser as chromiumPath } from "../dist/test/web/chromium.js";

const [run] = process.argv.slice(2);
if (!run || !chromiumPath) {
  process.stderr.write("usage: node scripts/page-frame-times.mjs RUN (needs Chromium: apt-get install -y chromium, or SPIKEMED_CHROMIUM=path)\n");
  process.exit(1);
}
const { server, url } = await startServer(run, { port: 0 });
const browser = await chromium.launch({ executablePath: chromiumPath, args: ["--no-sandbox", "--disable-dev-shm-usage"] });
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  await page.goto(`${url}?record=208`);
  await page.waitForFunction(() => document.body.dataset.summary ?? document.body.dataset.error, null, { timeout: 120_000 });
  const rows = await page.evaluate(() => {
    const strip = globalThis.spikemedPage.strip;
    strip.zoomBy(-100); // the closest zoom
    const out = [];
    for (;;) {
      const seconds = strip.seconds;
      const times = [];
      for (let k = 0; k < 60; k++) {
        strip.scrollTo((k / 59) * (strip.duration - seconds));
        const start = performance.now();
        strip.drawNow();
        times.push(performance.now() - start);
      }
      times.sort((a, b) => a - b);
      out.push({ seconds, median: times[30], slowest: times[59] });
      if (seconds >= strip.duration) break;
      strip.zoomBy(1);
    }
    return out;
  });
  process.stdout.write(`| seconds on screen | median frame (ms) | slowest frame (ms) |\n| ---: | ---: | ---: |\n`);
  for (const r of rows) process.stdout.write(`| ${r.seconds.toFixed(1)} | ${r.median.toFixed(1)} | ${r.slowest.toFixed(1)} |\n`);
} finally {
  await browser.close();
  server.close();
}
