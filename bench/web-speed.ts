/**
 * Speed of the predict path in the page `spikemed serve` opens (headless Chromium, the kernels in
 * a Worker) against Node on the same thread count, in the same sitting:
 * - ECG: the embedded sample's records through filtering, R peaks, windows, features and the
 *   default ECG SNN, untrained (seed 1), as in bench/ecg-speed.ts;
 * - chest X-ray, for each run folder given on the command line (e.g. a trained one under
 *   runs/bench/): images of ../shared/data/cxr decoded and classified, one request per image.
 * Writes bench/results/web-speed.md.
 *
 *   node dist/bench/web-speed.js [CXR_RUN...]
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { startServer } from "../src/cli/serve.js";
import { useFastBackend } from "../src/core/index.js";
import { decodeImageFileToBytes } from "../src/data/cxr/index.js";
import { DEFAULT_BEAT_WINDOW, listRecords, readRecord, sampleDataDir } from "../src/data/ecg/index.js";
import { imageSize, loadRun, predictImageBytes, predictRecordBeats, saveRun, type RunManifest } from "../src/experiment/index.js";
import { buildNetwork, ecgSnn } from "../src/model/index.js";
import { browser, HeadlessPage } from "../test/web/chromium.js";

const REPEATS = 3;
/** Images per class folder of the X-ray data, the first by name. */
const IMAGES_PER_CLASS = 8;
const CXR_DATA = "../shared/data/cxr";

if (!browser) throw new Error("needs Chromium (apt-get install -y chromium, or SPIKEMED_CHROMIUM=path)");
const cxrRuns = process.argv.slice(2);
const option = cxrRuns.find((arg) => arg.startsWith("--"));
if (option) throw new Error(`web-speed takes X-ray run folders only, not ${option}; it always writes bench/results/web-speed.md`);
if (cxrRuns.length > 0 && !fs.existsSync(path.join(CXR_DATA, "covid"))) throw new Error(`X-ray runs need the X-ray images in ${CXR_DATA}/covid and /non_covid`);
const threads = Math.min(2, os.availableParallelism());
await useFastBackend({ threads });

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

/** The median of REPEATS timings after one warm-up. */
async function medianSeconds(once: () => Promise<number>): Promise<number> {
  const times: number[] = [];
  for (let r = 0; r <= REPEATS; r++) {
    const seconds = await once();
    if (r > 0) times.push(seconds);
  }
  return median(times);
}

/**
 * Each input classified by the page, one request each: the seconds its Worker reports (fetching
 * excluded), median of REPEATS. With `decodeSize`, also each image's decoding alone (the page's
 * decodeImage on its main thread), median of REPEATS.
 */
async function timeInPage(runDir: string, data: string | undefined, inputs: string[], decodeSize?: number):
  Promise<{ backend: string; seconds: Map<string, number>; decodeSeconds: Map<string, number> }> {
  const { server, url } = await startServer(runDir, { port: 0, data });
  const page = await HeadlessPage.open(url);
  const seconds = new Map<string, number>();
  let request = 0;
  try {
    await page.waitForReady();
    const backend = String(await page.evaluate("document.getElementById('run').textContent"));
    for (const input of inputs) {
      seconds.set(input, await medianSeconds(async () => {
        await page.evaluate(`document.getElementById('inputs').value = ${JSON.stringify(input)}; document.getElementById('classify').click()`);
        request++;
        const done = await page.waitFor(`document.body.dataset.done === "${request}" || document.body.dataset.error || null`, 120_000);
        if (done !== true) throw new Error(`the page failed on ${input}: ${done}`);
        return Number(await page.evaluate("document.body.dataset.seconds"));
      }));
    }
    const decodeSeconds = new Map<string, number>();
    if (decodeSize !== undefined) {
      const medians = await page.evaluate(`(async () => {
        const web = await import(new URL("/dist/src/web/index.js", location.href).href);
        const out = {};
        for (const name of ${JSON.stringify(inputs)}) {
          const bytes = new Uint8Array(await (await fetch("/data/" + encodeURIComponent(name))).arrayBuffer());
          const times = [];
          for (let r = 0; r <= ${REPEATS}; r++) {
            const start = performance.now();
            await web.decodeImage(bytes, name, ${decodeSize});
            if (r > 0) times.push((performance.now() - start) / 1000);
          }
          out[name] = times.sort((a, b) => a - b)[Math.floor(times.length / 2)];
        }
        return out;
      })()`) as Record<string, number>;
      for (const input of inputs) decodeSeconds.set(input, medians[input]);
    }
    return { backend, seconds, decodeSeconds };
  } finally {
    await page.close();
    server.close();
  }
}

const table = (head: string[], rows: (string | number)[][]) =>
  [`| ${head.join(" | ")} |`, `| --- | ${head.slice(1).map(() => "---:").join(" | ")} |`, ...rows.map((r) => `| ${r.join(" | ")} |`)].join("\n");

async function ecgSection(): Promise<string> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "spikemed-web-speed-"));
  const model = ecgSnn(8);
  const network = buildNetwork(model, 1);
  const manifest: RunManifest = {
    format: "spikemed-run", version: 1, task: "ecg", model, classNames: ["N", "S", "V", "F", "Q"],
    data: { task: "ecg", dataDir: null, split: "intra", seed: 1, window: DEFAULT_BEAT_WINDOW }, train: {}, seed: 1, createdAt: new Date().toISOString(),
  };
  saveRun(dir, manifest, network);
  const names = listRecords(sampleDataDir());
  const node = new Map<string, { beats: number; seconds: number }>();
  for (const name of names) {
    const record = readRecord(sampleDataDir(), name);
    let beats = 0;
    const seconds = await medianSeconds(async () => {
      const start = performance.now();
      beats = predictRecordBeats(network, manifest, record, name).labels.length;
      return (performance.now() - start) / 1000;
    });
    node.set(name, { beats, seconds });
  }
  let web: Map<string, number>;
  try {
    const timed = await timeInPage(dir, undefined, names);
    console.log(timed.backend);
    web = timed.seconds;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const rows = names.map((name) => {
    const { beats, seconds } = node.get(name)!;
    const inPage = web.get(name)!;
    return [name, beats, seconds.toFixed(3), inPage.toFixed(3), (beats / seconds).toFixed(0), (beats / inPage).toFixed(0), (inPage / seconds).toFixed(2)];
  });
  const beats = names.reduce((n, name) => n + node.get(name)!.beats, 0);
  const nodeTotal = names.reduce((s, name) => s + node.get(name)!.seconds, 0);
  const webTotal = names.reduce((s, name) => s + web.get(name)!, 0);
  rows.push(["all", beats, nodeTotal.toFixed(3), webTotal.toFixed(3), (beats / nodeTotal).toFixed(0), (beats / webTotal).toFixed(0), (webTotal / nodeTotal).toFixed(2)]);
  return `## ECG records

Each record of the embedded MIT-BIH sample through the whole predict path (filtering, R-peak
detection, windows and features, then the default ECG SNN, T = 8, untrained, seed 1): in Node,
and in the page, whose Worker runs the same code (\`predictRecordBeats\`).

${table(["record", "beats", "Node s", "browser s", "Node beats/s", "browser beats/s", "browser / Node time"], rows)}
`;
}

/** The first IMAGES_PER_CLASS images of each class folder, as the server names them. */
function cxrInputs(): string[] {
  return ["covid", "non_covid"].flatMap((label) => fs.readdirSync(path.join(CXR_DATA, label)).filter((f) => /\.(png|jpe?g)$/i.test(f)).sort()
    .slice(0, IMAGES_PER_CLASS).map((f) => `${label}/${f}`));
}

async function cxrSection(runDir: string): Promise<string> {
  const { manifest, network } = loadRun(runDir);
  if (manifest.task !== "cxr") throw new Error(`${runDir} is an ${manifest.task} run, not a chest X-ray one`);
  const inputs = cxrInputs();
  const size = imageSize(manifest);
  const node = new Map<string, number>();
  const nodeDecode = new Map<string, number>();
  for (const input of inputs) {
    const file = path.join(CXR_DATA, input);
    node.set(input, await medianSeconds(async () => {
      const start = performance.now();
      predictImageBytes(network, manifest, await decodeImageFileToBytes(file, { size }), file);
      return (performance.now() - start) / 1000;
    }));
    nodeDecode.set(input, await medianSeconds(async () => {
      const start = performance.now();
      await decodeImageFileToBytes(file, { size });
      return (performance.now() - start) / 1000;
    }));
  }
  const { backend, seconds: web, decodeSeconds: webDecode } = await timeInPage(runDir, CXR_DATA, inputs, size);
  console.log(backend);
  const ms = (s: number) => (1000 * s).toFixed(1);
  const row = (label: string, mine: string[]) => {
    const sum = (times: Map<string, number>) => mine.reduce((s, i) => s + times.get(i)!, 0) / mine.length;
    return [label, mine.length, ms(sum(nodeDecode)), ms(sum(node)), ms(sum(webDecode)), ms(sum(web)), (sum(web) / sum(node)).toFixed(2)];
  };
  const rows = (["covid", "non_covid"] as const).map((label) => row(label, inputs.filter((i) => i.startsWith(`${label}/`))));
  rows.push(row("all", inputs));
  return `## Chest X-rays: ${manifest.model.name} (${runDir})

The first ${IMAGES_PER_CLASS} images by name of each class folder of \`${CXR_DATA}\`, one request each:
decoded (Node: sharp; the page: the browser's own decoder), resized to ${size} x ${size} and
classified by the run's network (${network.parameterCount().toLocaleString("en")} parameters, T = ${manifest.model.timeSteps}). Per image, the median of
${REPEATS} runs after one warm-up; the page's time excludes fetching the file. Decoding alone is
timed apart (in the page on its main thread, with the same decodeImage its Worker runs).

${table(["images", "count", "Node decode ms", "Node ms / image", "browser decode ms", "browser ms / image", "browser / Node time"], rows)}
`;
}

const sections = [await ecgSection()];
for (const run of cxrRuns) sections.push(await cxrSection(run));
const chromiumVersion = (await import("node:child_process")).execFileSync(browser, ["--version"], { encoding: "utf8" }).trim();
const text = `# The predict path in a browser against Node

Command: \`npm run bench:web-speed${cxrRuns.length ? ` -- ${cxrRuns.join(" ")}` : ""}\` (bench/web-speed.ts). Date: ${new Date().toISOString().slice(0, 10)}.
Machine: ${os.cpus()[0].model}, ${os.availableParallelism()} cores; Node ${process.version}; ${chromiumVersion} headless.
WebAssembly kernels on ${threads} threads in both; the page's Worker runs the same code as Node.

${sections.join("\n")}`;
fs.writeFileSync("bench/results/web-speed.md", text);
process.stdout.write(text);
