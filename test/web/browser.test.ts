import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { extname, join, resolve, sep } from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import { backward, crossEntropy, Rng, tensor } from "../../src/core/index.js";
import { chooseKernelModule, createWasmBackend, type WasmBackend } from "../../src/core/backends/wasm/index.js";
import { DEFAULT_BEAT_WINDOW, readRecord, sampleDataDir } from "../../src/data/ecg/index.js";
import { predictRecordBeats, saveRun, type RunManifest } from "../../src/experiment/index.js";
import { buildNetwork, ecgSnn, type Network } from "../../src/model/index.js";
import { onBackend, sampleBeatBatch } from "../model/helpers.js";
import { browserMissing, HeadlessPage } from "./chromium.js";

// The package's claim that its models and kernels run in a browser, checked in headless Chromium:
// a page imports dist/src/web, reads a run folder and a WFDB record over HTTP and sends back class
// probabilities, the gradients of a loss and the record's per-beat classes, which must equal
// Node's bit for bit (same kernels, same order).

const root = fileURLToPath(new URL("../../../", import.meta.url));
const BEATS = 12;
const labels = Array.from({ length: BEATS }, (_, i) => i % 5);

interface PageResult {
  backend?: string;
  backendError?: string;
  probabilities?: number[];
  grads?: number[][];
  badRunError?: string;
  threads?: number;
  record?: { labels: number[]; sampleOfBeat: number[]; agreement: { matched: number; agree: number } | null };
  worker?: { threads?: number; probabilities?: number[]; grads?: number[][]; error?: string };
  error?: string;
}

/** What a page computes, computed here on `backend`: probabilities and every parameter's gradient. */
function expected(network: Network, input: { signal: Float32Array; features: Float32Array }) {
  const batch = () => ({ signal: tensor(input.signal, [BEATS, input.signal.length / BEATS]), features: tensor(input.features, [BEATS, input.features.length / BEATS]) });
  const probabilities = Array.from(network.predict(batch()).data);
  for (const p of network.parameters()) p.tensor.grad?.fill(0);
  backward(crossEntropy(network.forward(batch(), { training: false, rng: new Rng(0) }), labels));
  return { probabilities, grads: network.parameters().map((p) => Array.from(p.tensor.grad!)) };
}

// The run's probabilities and every parameter's gradient, as JavaScript run in the page and in a Worker.
const computeScript = `
async function compute(web) {
  const { network, manifest } = await web.fetchRun("/run");
  const values = async (part) => new Float32Array(await (await fetch("/" + part + ".f32")).arrayBuffer());
  const signal = await values("signal"), features = await values("features"), rows = ${BEATS};
  const batch = () => ({ signal: web.tensor(signal, [rows, signal.length / rows]), features: web.tensor(features, [rows, features.length / rows]) });
  const probabilities = Array.from(network.predict(batch()).data);
  const logits = network.forward(batch(), { training: false, rng: new web.Rng(0) });
  web.backward(web.crossEntropy(logits, ${JSON.stringify(labels)}));
  return { network, manifest, probabilities, grads: network.parameters().map((p) => Array.from(p.tensor.grad)) };
}`;

/**
 * The kernel module this Node runs: the page asks for the same one, since the relaxed-SIMD module
 * rounds differently from the SIMD128 one (Chromium runs relaxed SIMD, Node.js 20 does not).
 */
const NODE_KERNELS = chooseKernelModule("auto");

const workerScript = `${computeScript}
const web = await import("/dist/src/web/index.js");
await web.useFastBackend({ threads: 2, kernels: "${NODE_KERNELS}" });
const { probabilities, grads } = await compute(web);
postMessage({ threads: web.getBackend().threads, probabilities, grads });`;

const pageScript = `${computeScript}
const send = (body) => fetch("/result", { method: "POST", body: JSON.stringify(body) });
try {
  const web = await import("/dist/src/web/index.js");
  const out = {};
  try { await web.useFastBackend({ threads: 2, kernels: "${NODE_KERNELS}" }); out.backend = "wasm"; } catch (err) { out.backendError = err.message; out.backend = "reference"; }
  out.threads = web.getBackend().threads;
  const { network, manifest, probabilities, grads } = await compute(web);
  Object.assign(out, { probabilities, grads });
  try { await web.fetchRun("/badrun/"); } catch (err) { out.badRunError = err.message; }
  if (out.backend === "wasm") {
    const record = await web.fetchRecord("/data/mitdb-sample/100");
    const prediction = web.predictRecordBeats(network, manifest, record, "100");
    out.record = { labels: Array.from(prediction.labels), sampleOfBeat: Array.from(prediction.sampleOfBeat), agreement: prediction.agreement };
    const worker = new Worker("/worker.js", { type: "module" });
    out.worker = await new Promise((done) => {
      worker.onmessage = (event) => done(event.data);
      worker.onerror = (event) => done({ error: event.message || "the worker failed" });
    });
  }
  await send(out);
} catch (err) {
  await send({ error: String(err && err.stack || err) });
}`;

const TYPES: Record<string, string> = { ".js": "text/javascript", ".wasm": "application/wasm", ".json": "application/json" };

let server: http.Server;
let origin = "";
let runDir = "";
let input: { signal: Float32Array; features: Float32Array };
let network: Network;
let manifest: RunManifest;
let waiting: ((result: PageResult) => void) | null = null;

before(async () => {
  runDir = mkdtempSync(join(tmpdir(), "spikemed-web-"));
  const model = ecgSnn();
  network = buildNetwork(model, 3);
  manifest = {
    format: "spikemed-run", version: 1, task: "ecg", model, classNames: ["N", "S", "V", "F", "Q"],
    data: { task: "ecg", dataDir: null, split: "intra", seed: 1, window: DEFAULT_BEAT_WINDOW }, train: {}, seed: 4, // not the weights' seed: they must come from the checkpoint
    createdAt: new Date(0).toISOString(),
  };
  saveRun(join(runDir, "run"), manifest, network);
  saveRun(join(runDir, "badrun"), manifest, network);
  const checkpoint = join(runDir, "badrun", "model.ckpt");
  const bytes = readFileSync(checkpoint);
  writeFileSync(checkpoint, bytes.subarray(0, bytes.length - 100));
  const batch = sampleBeatBatch(BEATS);
  input = { signal: batch.signal.data.slice(), features: batch.features!.data.slice() };

  server = http.createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://localhost");
    if (req.method === "POST" && url.pathname === "/result") {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        res.end();
        waiting?.(JSON.parse(Buffer.concat(chunks).toString("utf8")) as PageResult);
      });
      return;
    }
    // Only the page decides whether it is isolated; a Worker's script must also say so to be.
    const headers: Record<string, string> = url.pathname === "/page.html" && url.searchParams.get("isolated") !== "1" ? {}
      : { "Cross-Origin-Opener-Policy": "same-origin", "Cross-Origin-Embedder-Policy": "require-corp" };
    if (url.pathname === "/page.html" || url.pathname === "/worker.js") {
      const page = url.pathname === "/page.html";
      res.writeHead(200, { ...headers, "Content-Type": page ? "text/html" : "text/javascript" });
      res.end(page ? `<!doctype html><script type="module">${pageScript}</script>` : workerScript);
      return;
    }
    if (url.pathname === "/signal.f32" || url.pathname === "/features.f32") {
      const values = url.pathname === "/signal.f32" ? input.signal : input.features;
      res.writeHead(200, headers);
      res.end(Buffer.from(values.buffer, values.byteOffset, values.byteLength));
      return;
    }
    const base = /^\/(bad)?run\//.test(url.pathname) ? runDir : root;
    const file = resolve(base, "." + decodeURIComponent(url.pathname));
    if (!file.startsWith(base.endsWith(sep) ? base : base + sep) || !existsSync(file)) {
      res.writeHead(404, headers);
      res.end();
      return;
    }
    res.writeHead(200, { ...headers, "Content-Type": TYPES[extname(file)] ?? "application/octet-stream" });
    res.end(readFileSync(file));
  });
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(() => {
  server?.close();
  if (runDir) rmSync(runDir, { recursive: true, force: true });
});

/** Opens the page in headless Chromium and returns what it sends back. */
async function runPage(isolated: boolean): Promise<PageResult> {
  const page = await HeadlessPage.open(`${origin}/page.html?isolated=${isolated ? 1 : 0}`);
  try {
    return await new Promise<PageResult>((done, fail) => {
      const timer = setTimeout(() => fail(new Error("the page sent no result within 90 s")), 90_000);
      waiting = (result) => {
        clearTimeout(timer);
        done(result);
      };
      page.exited.then((code) => fail(new Error(`chromium exited (${code}) before the page sent its result`)));
    });
  } finally {
    waiting = null;
    await page.close();
  }
}


test("a cross-origin isolated page runs a saved run on the WebAssembly kernels exactly as Node does", { skip: browserMissing, timeout: 180_000 }, async () => {
  const result = await runPage(true);
  assert.equal(result.error, undefined, result.error);
  assert.equal(result.backend, "wasm", result.backendError);
  const wasm: WasmBackend = await createWasmBackend({ threads: 1 });
  try {
    const node = onBackend(wasm, () => expected(network, input));
    assert.deepEqual(result.probabilities, node.probabilities);
    assert.equal(result.grads!.length, node.grads.length);
    result.grads!.forEach((g, i) => assert.deepEqual(g, node.grads[i], `gradient of ${network.parameters()[i].name}`));
    assert.ok(node.grads.some((g) => g.some((v) => v !== 0)), "the loss has gradients to compare");
    const record = onBackend(wasm, () => predictRecordBeats(network, manifest, readRecord(sampleDataDir(), "100"), "100"));
    assert.ok(record.labels.length > 2000, `${record.labels.length} beats`);
    assert.deepEqual(result.record, { labels: Array.from(record.labels), sampleOfBeat: Array.from(record.sampleOfBeat), agreement: record.agreement });
    // A page's main thread may not wait on the others, so it ran single-threaded; in a Worker the kernels ran on two threads.
    assert.equal(result.threads, 1);
    assert.equal(result.worker?.error, undefined, result.worker?.error);
    assert.equal(result.worker?.threads, 2);
    assert.deepEqual(result.worker?.probabilities, node.probabilities);
    result.worker!.grads!.forEach((g, i) => assert.deepEqual(g, node.grads[i], `gradient of ${network.parameters()[i].name} in the Worker`));
  } finally {
    await wasm.dispose();
  }
  assert.match(result.badRunError ?? "", /\/badrun\/model\.ckpt is truncated/);
});

test("a page that is not cross-origin isolated gets a clear error from the kernels and runs on the reference backend", { skip: browserMissing, timeout: 180_000 }, async () => {
  const result = await runPage(false);
  assert.equal(result.error, undefined, result.error);
  assert.equal(result.backend, "reference");
  assert.match(result.backendError ?? "", /cross-origin isolated.*Cross-Origin-Opener-Policy: same-origin/s);
  const node = expected(network, input); // the reference backend is the default one
  assert.deepEqual(result.probabilities, node.probabilities);
});
