import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import type http from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import { chromium, type Browser, type Page } from "playwright-core";
import { startServer } from "../../src/cli/serve.js";
import { createWasmBackend } from "../../src/core/backends/wasm/index.js";
import { RESEARCH_NOTICE } from "../../src/core/index.js";
import { aamiClassOfSymbol, readRecord, sampleDataDir } from "../../src/data/ecg/index.js";
import { annotationSymbol } from "../../src/data/ecg/wfdb-annotation.js";
import { beatRows } from "../../src/experiment/index.js";
import { inputBatch } from "../../src/train/data.js";
import { onBackend } from "../model/helpers.js";
import { browser as chromiumPath, browserMissing } from "./chromium.js";
import { writeEcgRun } from "./serve-load.js";
import { chooseKernelModule } from "../../src/core/backends/wasm/index.js";

// The clinician's page of `spikemed serve`, driven as a user drives it (playwright-core in the
// system's Chromium): a half-hour two-lead record loaded, scrolled, a beat clicked; its
// probabilities, the network's spikes for it and the downloads checked against
// `spikemed predict --json` and against the network run in Node.

const main = fileURLToPath(new URL("../../src/cli/main.js", import.meta.url));
const RECORD = "208";
let dir = "";
let runDir = "";
let server: http.Server;
let url = "";
let browser: Browser;
let page: Page;
let predicted: { perBeat: { sample: number; class: string; probability: number }[]; summary: Record<string, number>; inTrainingData: boolean };
const refusals: string[] = [];

before(async () => {
  if (browserMissing) return;
  dir = mkdtempSync(join(tmpdir(), "spikemed-page-"));
  runDir = writeEcgRun(join(dir, "run"));
  ({ server, url } = await startServer(runDir, { port: 0, log: (line) => refusals.push(line) }));
  const cli = spawnSync(process.execPath, [main, "predict", runDir, join(sampleDataDir(), RECORD), "--json", "--threads", "1"], { encoding: "utf8" });
  assert.equal(cli.status, 0, cli.stderr);
  [predicted] = JSON.parse(cli.stdout);
  browser = await chromium.launch({ executablePath: chromiumPath as string, args: ["--no-sandbox", "--disable-dev-shm-usage"] });
  page = await browser.newPage({ viewport: { width: 1280, height: 800 }, acceptDownloads: true });
  await page.goto(`${url}?record=${RECORD}&kernels=${chooseKernelModule("auto")}`);
  await page.waitForFunction(() => document.body.dataset.summary ?? document.body.dataset.error, null, { timeout: 120_000 });
});

after(async () => {
  await browser?.close();
  server?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const K = 5;
type PagePrediction = { labels: number[]; probabilities: number[]; sampleOfBeat: number[]; reference: number[] | null };
const prediction = () => page.evaluate(() => {
  const p = (globalThis as unknown as { spikemedPage: { prediction: Record<string, ArrayLike<number> | null> } }).spikemedPage.prediction;
  return { labels: Array.from(p.labels!), probabilities: Array.from(p.probabilities!), sampleOfBeat: Array.from(p.sampleOfBeat!), reference: p.reference ? Array.from(p.reference) : null };
}) as Promise<PagePrediction>;
/** The strip's screen once the frames asked for so far are drawn. */
const view = async () => page.evaluate(async () => {
  await new Promise((drawn) => requestAnimationFrame(() => requestAnimationFrame(drawn)));
  return { start: Number(document.getElementById("strip")!.dataset.viewStart), seconds: Number(document.getElementById("strip")!.dataset.viewSeconds) };
});

test("the page shows the record's beats with the classes and probabilities predict --json gives, and the notice", { skip: browserMissing, timeout: 60_000 }, async () => {
  assert.equal(await page.evaluate(() => document.body.dataset.error ?? null), null);
  assert.deepEqual(JSON.parse(await page.evaluate(() => document.body.dataset.summary!)), predicted.summary);
  const shown = await prediction();
  assert.deepEqual(shown.sampleOfBeat, predicted.perBeat.map((b) => b.sample));
  assert.deepEqual(shown.labels.map((l) => ["N", "S", "V", "F", "Q"][l]), predicted.perBeat.map((b) => b.class));
  assert.deepEqual(shown.labels.map((l, i) => shown.probabilities[i * K + l]), predicted.perBeat.map((b) => b.probability));
  assert.ok(shown.reference && shown.reference.some((c) => c >= 0), "record 208 is annotated");
  assert.equal(await page.locator("#notice").innerText(), RESEARCH_NOTICE);
  assert.ok(await page.locator("#notice").isVisible());
  assert.match(await page.locator("#summary-panel").innerText(), /Holter summary of record 208[\s\S]*Runs of ectopic beats[\s\S]*Heart rate over time/);
  assert.deepEqual(refusals, [], "the page asks only for what is served");
});

test("a record the run was trained on carries predict's note beside the strip and in the summary", { skip: browserMissing, timeout: 30_000 }, async () => {
  // The run's data is the embedded sample, split intra-patient: record 208 trained it.
  assert.equal(predicted.inTrainingData, true);
  const note = `note: record ${RECORD} is in the data this run was trained on: the model has seen its beats, so these predictions overstate how it does on new patients`;
  assert.equal(await page.locator("#training-note").innerText(), note);
  assert.ok(await page.locator("#training-note").isVisible());
  const noteBox = (await page.locator("#training-note").boundingBox())!;
  const stripBox = (await page.locator("#strip").boundingBox())!;
  assert.ok(noteBox.y < stripBox.y && stripBox.y - (noteBox.y + noteBox.height) < 80, `the note just above the strip: ${JSON.stringify({ noteBox, stripBox })}`);
  assert.equal(await page.locator("#summary-panel .training-note").innerText(), note);
});

test("scrolling and zooming move over the whole record; a clicked beat shows its probabilities and the spikes the network gives in Node", { skip: browserMissing, timeout: 90_000 }, async () => {
  const strip = page.locator("#strip");
  const box = (await strip.boundingBox())!;
  const before = await view();
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  await page.mouse.wheel(0, 600);
  await page.waitForFunction((start) => Number(document.getElementById("strip")!.dataset.viewStart) > start, before.start);
  await strip.focus();
  await page.keyboard.press("PageDown");
  const scrolled = await view();
  assert.ok(scrolled.start > before.start + before.seconds, `scrolled from ${before.start} s to ${scrolled.start} s`);
  await page.keyboard.press("-");
  const after = await view();
  assert.equal(after.seconds, 2 * before.seconds, "zoomed out");
  assert.ok(Math.abs(after.start + after.seconds / 2 - (scrolled.start + scrolled.seconds / 2)) < 0.01, "about the middle of the screen");
  await page.keyboard.press("End");
  await page.waitForFunction((seconds) => Math.abs(Number(document.getElementById("strip")!.dataset.viewStart) + seconds - 30 * 60 - 5.6) < 1, after.seconds);

  // Click the beat nearest the middle of the screen, where it is drawn.
  await page.keyboard.press("Home");
  await page.keyboard.press("PageDown");
  await page.waitForFunction(() => Number(document.getElementById("strip")!.dataset.viewStart) > 0);
  const { start, seconds } = await view();
  const shown = await prediction();
  const middle = (start + seconds / 2) * 360;
  const beat = shown.sampleOfBeat.reduce((best, s, i) => (Math.abs(s - middle) < Math.abs(shown.sampleOfBeat[best] - middle) ? i : best), 0);
  await page.mouse.click(box.x + ((shown.sampleOfBeat[beat] / 360 - start) / seconds) * box.width, box.y + box.height / 2);
  await page.waitForFunction((i) => document.body.dataset.beat === String(i), beat, { timeout: 60_000 });
  const bars = await page.locator("#beat-probabilities .value").allInnerTexts();
  assert.deepEqual(bars, shown.probabilities.slice(beat * K, (beat + 1) * K).map((p) => p.toFixed(4)));
  assert.equal(predicted.perBeat[beat].probability.toFixed(4), bars[shown.labels[beat]]);
  assert.match(await page.locator("#beat-rr").innerText(), /pre_rr_s\s+[\d.]+[\s\S]*post_rr_ratio/);

  // The raster: every spike of every spiking layer, as Network.record gives it in Node on the same kernels.
  const raster = await page.evaluate(() => (globalThis as unknown as { spikemedPage: { beat: { raster: { layer: string; shape: number[]; spikes: Uint8Array }[] } } })
    .spikemedPage.beat.raster.map((r) => ({ layer: r.layer, shape: r.shape, spikes: Array.from(r.spikes).join("") })));
  const { loadRun } = await import("../../src/experiment/index.js");
  const { manifest, network } = loadRun(runDir);
  const wasm = await createWasmBackend({ threads: 1 });
  try {
    const expected = onBackend(wasm, () => {
      const rows = beatRows(network, manifest, readRecord(sampleDataDir(), RECORD), RECORD);
      const recording = network.record(inputBatch(rows.data, [beat]));
      return [...recording.spikes].map(([layer, spikes]) => ({ layer, shape: [spikes.shape[0], ...spikes.shape.slice(2)], spikes: Array.from(spikes.data).join("") }));
    });
    assert.deepEqual(raster.map((r) => r.layer), ["lif1", "lif2", "lif3"]);
    assert.deepEqual(raster, expected);
    assert.ok(expected.some((r) => r.spikes.includes("1")), "the network spikes for this beat");
  } finally {
    await wasm.dispose();
  }
  assert.equal(await page.locator("#beat-raster canvas").count(), 3);
});

test("keys and buttons step between beats and jump to the next disagreement", { skip: browserMissing, timeout: 60_000 }, async () => {
  const shown = await prediction();
  const selected = () => page.evaluate(() => Number(document.body.dataset.beat || -1));
  await page.locator("#strip").focus();
  const from = await selected();
  await page.keyboard.press("ArrowRight");
  await page.waitForFunction((i) => document.body.dataset.beat === String(i), from + 1);
  await page.click("#next-D");
  await page.waitForFunction((i) => Number(document.body.dataset.beat || -1) > i, from + 1);
  const disagreement = await selected();
  assert.ok(shown.reference![disagreement] >= 0 && shown.reference![disagreement] !== shown.labels[disagreement], `beat ${disagreement} is a disagreement`);
  for (let i = from + 2; i < disagreement; i++) assert.ok(shown.reference![i] < 0 || shown.reference![i] === shown.labels[i], `beat ${i} before it agrees`);
});

test("the CSV download holds predict --json's beats; the .pred download is read back by spikemed's WFDB reader", { skip: browserMissing, timeout: 60_000 }, async () => {
  const [csvDownload] = await Promise.all([page.waitForEvent("download"), page.click("#download-csv")]);
  assert.equal(csvDownload.suggestedFilename(), `${RECORD}.csv`);
  const csv = readFileSync((await csvDownload.path())!, "utf8").trim().split("\n");
  assert.equal(csv[0], "beat,time_s,sample,class,probability,p_N,p_S,p_V,p_F,p_Q,reference");
  assert.equal(csv.length - 1, predicted.perBeat.length);
  csv.slice(1).forEach((line, i) => {
    const [beat, time, sample, cls, probability] = line.split(",");
    const expected = predicted.perBeat[i];
    assert.deepEqual([Number(beat), Number(sample), cls, Number(probability)], [i, expected.sample, expected.class, expected.probability], line);
    assert.equal(time, (expected.sample / 360).toFixed(3));
  });

  const [predDownload] = await Promise.all([page.waitForEvent("download"), page.click("#download-pred")]);
  assert.equal(predDownload.suggestedFilename(), `${RECORD}.pred`);
  for (const file of [`${RECORD}.hea`, `${RECORD}.dat`]) copyFileSync(join(sampleDataDir(), file), join(dir, file));
  await predDownload.saveAs(join(dir, `${RECORD}.pred`));
  const read = readRecord(dir, RECORD, { annotator: "pred", requireAnnotations: true }).annotations!;
  assert.deepEqual(Array.from(read.sample), predicted.perBeat.map((b) => b.sample));
  assert.deepEqual(Array.from(read.code, (c) => ["N", "S", "V", "F", "Q"][aamiClassOfSymbol(annotationSymbol(c))]), predicted.perBeat.map((b) => b.class));
});

test("live mode classifies the beats as their windows complete, step by step, each with its latency, as predict does", { skip: browserMissing, timeout: 60_000 }, async () => {
  await page.selectOption("#live-speed", "60");
  await page.click("#live");
  // At 60 times real time a beat's window (1.13 s after its peak) ends within a few seconds.
  await page.waitForFunction(() => Number(document.getElementById("live-status")!.dataset.beats ?? 0) >= 5, null, { timeout: 30_000 });
  await page.click("#live");
  const live = await page.evaluate(() => (globalThis as unknown as { spikemedPage: { live: { index: number; label: number; latencyMs: number; settledStep: number; steps: number }[] } }).spikemedPage.live);
  assert.deepEqual(live.slice(0, 5).map((b) => b.index), [0, 1, 2, 3, 4]);
  assert.deepEqual(live.slice(0, 5).map((b) => ["N", "S", "V", "F", "Q"][b.label]), predicted.perBeat.slice(0, 5).map((b) => b.class));
  assert.ok(live.every((b) => b.latencyMs >= 0 && b.latencyMs < 5000), JSON.stringify(live.map((b) => b.latencyMs)));
  // Stepped one time step at a time (Network.step), over the model's 8 steps.
  assert.ok(live.every((b) => b.steps === 8 && b.settledStep >= 1 && b.settledStep <= 8), JSON.stringify(live));
  assert.match(await page.locator("#live-status").innerText(), /beats classified as they completed; latency per beat [\d.]+ ms mean/);
});

test("the page fits a phone's width: no sideways scrolling, the notice and the strip on screen", { skip: browserMissing, timeout: 30_000 }, async () => {
  await page.setViewportSize({ width: 390, height: 844 });
  await page.waitForFunction(() => document.documentElement.scrollWidth <= window.innerWidth);
  assert.ok(await page.locator("#notice").isVisible());
  const strip = (await page.locator("#strip").boundingBox())!;
  assert.ok(strip.x >= 0 && strip.x + strip.width <= 390, JSON.stringify(strip));
  // The go-to buttons: on screen, none wrapped inside (one line high, as the zoom button), each
  // previous/next pair on one row, two rows at most.
  const lineHeight = (await page.locator("#zoom-in").boundingBox())!.height;
  const buttons = await Promise.all(["V", "S", "D"].flatMap((kind) => [`#prev-${kind}`, `#next-${kind}`]).map(async (id) => (await page.locator(id).boundingBox())!));
  for (const b of buttons) {
    assert.ok(b.x >= 0 && b.x + b.width <= 390, `on screen: ${JSON.stringify(b)}`);
    assert.ok(Math.abs(b.height - lineHeight) < 1, `one line high: ${JSON.stringify(b)} beside ${lineHeight}`);
  }
  for (let pair = 0; pair < 3; pair++) assert.equal(buttons[2 * pair].y, buttons[2 * pair + 1].y, `pair ${pair} on one row`);
  const rows = new Set(buttons.map((b) => Math.round(b.y)));
  assert.ok(rows.size <= 2, `the buttons take ${rows.size} rows: ${JSON.stringify(buttons)}`);
  await page.setViewportSize({ width: 1280, height: 800 });
});

test("a picked record the run was not trained on (its header differs from the run's data's) carries no note", { skip: browserMissing, timeout: 60_000 }, async () => {
  const file = (name: string, text?: string) => ({ name, mimeType: "application/octet-stream", buffer: text === undefined ? readFileSync(join(sampleDataDir(), name)) : Buffer.from(text, "latin1") });
  // The same signals under another header: a recording the run's record 100 is not.
  const header = `${readFileSync(join(sampleDataDir(), "100.hea"), "latin1").trimEnd()}\n# another recording of the same name\n`;
  // The previous record's summary stays until the picked files are read: cleared here, so the wait below is for record 100's.
  await page.evaluate(() => { delete document.body.dataset.summary; });
  await page.locator("#files").setInputFiles([file("100.hea", header), file("100.dat")]);
  await page.waitForFunction(() => document.body.dataset.summary ?? document.body.dataset.error, null, { timeout: 45_000 });
  assert.equal(await page.evaluate(() => document.body.dataset.error ?? null), null);
  assert.ok(await page.locator("#training-note").isHidden());
  assert.equal(await page.locator("#summary-panel .training-note").count(), 0);
  assert.match(await page.locator("#summary-panel").innerText(), /Holter summary of record 100/);
});
