import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import type http from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { startServer } from "../../src/cli/serve.js";
import { RESEARCH_NOTICE } from "../../src/core/index.js";
import { onBackend } from "../model/helpers.js";
import { createWasmBackend } from "../../src/core/backends/wasm/index.js";
import { DEFAULT_BEAT_WINDOW, readRecord, sampleDataDir } from "../../src/data/ecg/index.js";
import { predictRecordBeats, saveRun, type RunManifest } from "../../src/experiment/index.js";
import { buildNetwork, ecgSnn } from "../../src/model/index.js";
import { browserMissing, HeadlessPage } from "./chromium.js";

// `spikemed serve RUN`: what the server hands out, and the page it serves classifying a record
// in headless Chromium with the counts `spikemed predict` gives.

let dir = "";
let server: http.Server;
let url = "";
const refusals: string[] = [];
const model = ecgSnn();
const manifest: RunManifest = {
  format: "spikemed-run", version: 1, task: "ecg", model, classNames: ["N", "S", "V", "F", "Q"],
  data: { task: "ecg", dataDir: null, split: "intra", seed: 1, window: DEFAULT_BEAT_WINDOW }, train: {}, seed: 5, createdAt: new Date(0).toISOString(),
};
const network = buildNetwork(model, 5);

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "spikemed-serve-"));
  saveRun(join(dir, "run"), manifest, network);
  ({ server, url } = await startServer(join(dir, "run"), { port: 0, log: (line) => refusals.push(line) }));
});

after(() => {
  server?.close();
  rmSync(dir, { recursive: true, force: true });
});

test("serve hands out the page cross-origin isolated, the run, the kernels and the records, and nothing else", async () => {
  const page = await fetch(url);
  assert.equal(page.status, 200);
  assert.equal(page.headers.get("cross-origin-opener-policy"), "same-origin");
  assert.equal(page.headers.get("cross-origin-embedder-policy"), "require-corp");
  assert.match(await page.text(), /<script type="module" src="\/dist\/src\/web\/page.js">/);
  assert.equal((await fetch(`${url}build/kernels.wasm`)).headers.get("content-type"), "application/wasm");
  assert.equal((await fetch(`${url}build/kernels-relaxed.wasm`)).headers.get("content-type"), "application/wasm");
  assert.equal((await fetch(`${url}run/model.ckpt`)).status, 200);
  assert.deepEqual(await (await fetch(`${url}data/inputs.json`)).json(), ["100", "208", "209", "213", "232"]);
  assert.equal((await fetch(`${url}data/100.hea`)).status, 200);
  for (const outside of ["package.json", "dist/src/../../package.json", "data/..%2F..%2Fpackage.json", "run/../run/run.json.bak", "dist/src/web/index.d.ts"]) {
    assert.equal((await fetch(url + outside)).status, 404, outside);
  }
  assert.equal(refusals.length, 5, refusals.join("\n"));
});

test("serve refuses a folder that is not a run, naming it", async () => {
  await assert.rejects(startServer(join(dir, "nothing"), { port: 0 }), /nothing: not a spikemed run folder/);
});

test("the served page classifies a record in the browser with the counts predict gives", { skip: browserMissing, timeout: 120_000 }, async () => {
  const page = await HeadlessPage.open(`${url}?record=209`);
  try {
    const summary = await page.waitFor("document.body?.dataset.summary ?? document.body?.dataset.error", 90_000) as string;
    assert.ok(summary.startsWith("{"), summary);
    assert.match(await page.evaluate("document.getElementById('run').textContent") as string, /on the WebAssembly kernels on 2 thread\(s\)/);
    // The notice is shown, on screen, not only in the page's text.
    assert.equal(await page.evaluate("(n => n.checkVisibility() && n.getBoundingClientRect().height > 0 && n.innerText)(document.getElementById('notice'))"), RESEARCH_NOTICE);
    assert.deepEqual(refusals.slice(5), [], "the page asks only for what is served");
    const wasm = await createWasmBackend({ threads: 1 });
    try {
      const expected = onBackend(wasm, () => predictRecordBeats(network, manifest, readRecord(sampleDataDir(), "209"), "209").summary);
      assert.deepEqual(JSON.parse(summary), expected);
    } finally {
      await wasm.dispose();
    }
  } finally {
    await page.close();
  }
});

test("the served page classifies the user's own record files, picked in the page, as predict does", { skip: browserMissing, timeout: 120_000 }, async () => {
  const page = await HeadlessPage.open(url);
  try {
    await page.waitForReady();
    await page.pickFiles("#files", ["213.hea", "213.dat", "213.atr"].map((file) => join(sampleDataDir(), file)));
    const summary = await page.waitFor("document.body?.dataset.summary ?? document.body?.dataset.error", 90_000) as string;
    assert.ok(summary.startsWith("{"), summary);
    const wasm = await createWasmBackend({ threads: 1 });
    try {
      assert.deepEqual(JSON.parse(summary), onBackend(wasm, () => predictRecordBeats(network, manifest, readRecord(sampleDataDir(), "213"), "213").summary));
    } finally {
      await wasm.dispose();
    }
    await page.pickFiles("#files", [join(sampleDataDir(), "213.dat")]);
    assert.equal(await page.waitFor("document.body.dataset.error || null", 30_000), "pick one .hea file with its signal files; got 0 .hea files");
  } finally {
    await page.close();
  }
});
