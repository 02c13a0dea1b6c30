/**
 * Speed of the whole predict path (filtering, R peaks, windows, features, the default ECG SNN) on
 * the embedded sample's records, in the page `spikemed serve` opens (headless Chromium, the
 * kernels in a Worker) against Node on the same thread count, in the same sitting. The network is
 * the default one, untrained (seed 1), as in bench/ecg-speed.ts. Writes bench/results/web-speed.md.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { startServer } from "../src/cli/serve.js";
import { useFastBackend } from "../src/core/index.js";
import { DEFAULT_BEAT_WINDOW, listRecords, readRecord, sampleDataDir } from "../src/data/ecg/index.js";
import { predictRecordBeats, saveRun, type RunManifest } from "../src/experiment/index.js";
import { buildNetwork, ecgSnn } from "../src/model/index.js";
import { browser, HeadlessPage } from "../test/web/chromium.js";

const REPEATS = 3;
if (!browser) throw new Error("needs Chromium (apt-get install -y chromium, or SPIKEMED_CHROMIUM=path)");
const threads = Math.min(2, os.availableParallelism());
await useFastBackend({ threads });

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "spikemed-web-speed-"));
const model = ecgSnn(8);
const network = buildNetwork(model, 1);
const manifest: RunManifest = {
  format: "spikemed-run", version: 1, task: "ecg", model, classNames: ["N", "S", "V", "F", "Q"],
  data: { task: "ecg", dataDir: null, split: "intra", seed: 1, window: DEFAULT_BEAT_WINDOW }, train: {}, seed: 1, createdAt: new Date().toISOString(),
};
saveRun(dir, manifest, network);

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const names = listRecords(sampleDataDir());

const node = new Map<string, { beats: number; seconds: number }>();
for (const name of names) {
  const record = readRecord(sampleDataDir(), name);
  const times: number[] = [];
  let beats = 0;
  for (let r = 0; r <= REPEATS; r++) {
    const start = performance.now();
    beats = predictRecordBeats(network, manifest, record, name).labels.length;
    if (r > 0) times.push((performance.now() - start) / 1000); // the first run warms up
  }
  node.set(name, { beats, seconds: median(times) });
}

const { server, url } = await startServer(dir, { port: 0 });
const page = await HeadlessPage.open(url);
const web = new Map<string, number>();
let request = 0;
try {
  const ready = await page.waitFor("document.getElementById('classify')?.disabled === false || document.body?.dataset.error || null", 60_000);
  if (ready !== true) throw new Error(`the page failed: ${ready}`);
  const backend = await page.evaluate("document.getElementById('run').textContent");
  console.log(backend);
  for (const name of names) {
    const times: number[] = [];
    for (let r = 0; r <= REPEATS; r++) {
      await page.evaluate(`document.getElementById('inputs').value = ${JSON.stringify(name)}; document.getElementById('classify').click()`);
      request++;
      await page.waitFor(`document.body.dataset.done === "${request}" || document.body.dataset.error || null`, 120_000);
      const seconds = Number(await page.evaluate("document.body.dataset.seconds"));
      if (r > 0) times.push(seconds);
    }
    web.set(name, median(times));
  }
} finally {
  await page.close();
  server.close();
  fs.rmSync(dir, { recursive: true, force: true });
}

const chromiumVersion = (await import("node:child_process")).execFileSync(browser, ["--version"], { encoding: "utf8" }).trim();
const rows = names.map((name) => {
  const { beats, seconds } = node.get(name)!;
  const inPage = web.get(name)!;
  return `| ${name} | ${beats} | ${seconds.toFixed(3)} | ${inPage.toFixed(3)} | ${(beats / seconds).toFixed(0)} | ${(beats / inPage).toFixed(0)} | ${(inPage / seconds).toFixed(2)} |`;
});
const totalBeats = names.reduce((n, name) => n + node.get(name)!.beats, 0);
const nodeTotal = names.reduce((s, name) => s + node.get(name)!.seconds, 0);
const webTotal = names.reduce((s, name) => s + web.get(name)!, 0);
const text = `# The predict path in a browser against Node

Command: \`npm run bench:web-speed\` (bench/web-speed.ts). Date: ${new Date().toISOString().slice(0, 10)}.
Machine: ${os.cpus()[0].model}, ${os.availableParallelism()} cores; Node ${process.version}; ${chromiumVersion} headless.

Each record of the embedded MIT-BIH sample through the whole predict path (filtering, R-peak
detection, windows and features, then the default ECG SNN, T = 8, untrained, seed 1) with the
WebAssembly kernels on ${threads} threads: in Node, and in the page \`spikemed serve\` opens, whose
Worker runs the same code (\`predictRecordBeats\`). Median of ${REPEATS} runs after one warm-up, both
in the same sitting.

| record | beats | Node s | browser s | Node beats/s | browser beats/s | browser / Node time |
| --- | ---: | ---: | ---: | ---: | ---: | ---: |
${rows.join("\n")}
| all | ${totalBeats} | ${nodeTotal.toFixed(3)} | ${webTotal.toFixed(3)} | ${(totalBeats / nodeTotal).toFixed(0)} | ${(totalBeats / webTotal).toFixed(0)} | ${(webTotal / nodeTotal).toFixed(2)} |
`;
fs.writeFileSync("bench/results/web-speed.md", text);
process.stdout.write(text);
