import assert from "node:assert/strict";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import type http from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import sharp from "sharp";
import { startServer } from "../../src/cli/serve.js";
import { createWasmBackend } from "../../src/core/backends/wasm/index.js";
import { Rng } from "../../src/core/index.js";
import { decodeImageFileToBytes } from "../../src/data/cxr/index.js";
import { predictImageBytes, saveRun } from "../../src/experiment/index.js";
import { onBackend } from "../model/helpers.js";
import { browserMissing, HeadlessPage } from "./chromium.js";
import { untrainedCxrRun } from "./serve-load.js";
import { HAVE_SHARED_CXR, SHARED_CXR } from "../data/cxr/paths.js";

// `spikemed serve` with a chest X-ray run: the browser decodes PNG and JPEG files itself
// (createImageBitmap and a canvas, not sharp) and must give the network the same pixels, and so
// the same probabilities, as `spikemed predict` in Node.

let dir = "";
let images = "";
let server: http.Server;
let url = "";
const { manifest, network, size: SIZE } = untrainedCxrRun();

/** Smooth structure plus noise, so resampling and rounding are exercised on every pixel. */
function samples(width: number, height: number, channels: number, seed: number): Buffer {
  const rng = new Rng(seed);
  const out = Buffer.alloc(width * height * channels);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      for (let c = 0; c < channels; c++) {
        const wave = 128 + 100 * Math.sin((x * (c + 1)) / 17 + y / 11);
        out[(y * width + x) * channels + c] = Math.max(0, Math.min(255, Math.round(wave + 25 * (rng.uniform() - 0.5))));
      }
    }
  }
  return out;
}

// A real chest X-ray of the shared set (256x256 grey JPEG) where the data is here.
const XRAY = "covid/cohen__02b76460.jpg";
const GREY = ["grey-large.png", "grey-small.jpg", "grey-square.png", ...(HAVE_SHARED_CXR ? ["xray.jpg"] : [])];

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "spikemed-serve-cxr-"));
  images = join(dir, "images");
  mkdirSync(images);
  const raw = (width: number, height: number, channels: 1 | 3, seed: number) => sharp(samples(width, height, channels, seed), { raw: { width, height, channels } });
  await raw(300, 220, 1, 1).png().toFile(join(images, "grey-large.png")); // shrunk: area averaging
  await raw(90, 100, 1, 2).jpeg({ quality: 90 }).toFile(join(images, "grey-small.jpg")); // enlarged: bilinear
  await raw(SIZE, SIZE, 1, 3).png().toFile(join(images, "grey-square.png")); // as is
  await raw(150, 130, 3, 4).png().toFile(join(images, "colour.png"));
  writeFileSync(join(images, "broken.png"), readFileSync(join(images, "grey-large.png")).subarray(0, 100));
  writeFileSync(join(images, "notes.txt"), "not offered");
  if (HAVE_SHARED_CXR) copyFileSync(join(SHARED_CXR, XRAY), join(images, "xray.jpg"));
  saveRun(join(dir, "run"), manifest, network);
  ({ server, url } = await startServer(join(dir, "run"), { port: 0, data: images }));
});

after(() => {
  server?.close();
  rmSync(dir, { recursive: true, force: true });
});

test("serve offers an X-ray run's page the PNG and JPEG files of --data, and none without it", async () => {
  assert.deepEqual(await (await fetch(`${url}data/inputs.json`)).json(), ["broken.png", "colour.png", ...GREY]);
  const bare = await startServer(join(dir, "run"), { port: 0 });
  try {
    assert.deepEqual(await (await fetch(`${bare.url}data/inputs.json`)).json(), []);
    // The DICOM reader the page loads: the package's own bundle, for X-ray runs only (serve-refusals.test.ts: not for an ECG run).
    const bundle = await fetch(`${bare.url}vendor/dicom-parser.js`);
    assert.equal(bundle.status, 200);
    assert.match(await bundle.text(), /^\/\*! dicom-parser/);
    assert.equal((await fetch(`${bare.url}data/100.hea`)).status, 404);
  } finally {
    bare.server.close();
  }
  await assert.rejects(startServer(join(dir, "run"), { port: 0, data: join(dir, "missing") }), /--data .*missing: cannot be read \(ENOENT\)/);
  // A training folder of class subfolders: its images, by their paths inside it.
  const tree = join(dir, "tree");
  for (const [label, name] of [["covid", "grey-large.png"], ["non_covid", "grey-small.jpg"]]) {
    mkdirSync(join(tree, label), { recursive: true });
    copyFileSync(join(images, name), join(tree, label, name));
  }
  const training = await startServer(join(dir, "run"), { port: 0, data: tree });
  try {
    assert.deepEqual(await (await fetch(`${training.url}data/inputs.json`)).json(), ["covid/grey-large.png", "non_covid/grey-small.jpg"]);
    assert.equal((await fetch(`${training.url}data/${encodeURIComponent("non_covid/grey-small.jpg")}`)).status, 200);
  } finally {
    training.server.close();
  }
});

test("the browser decodes images to the pixels sharp gives in Node", { skip: browserMissing, timeout: 120_000 }, async () => {
  const page = await HeadlessPage.open(url);
  try {
    await page.waitForReady();
    const decoded = await page.evaluate(`(async () => {
      const web = await import(new URL("/dist/src/web/index.js", location.href).href);
      const out = {};
      for (const name of ${JSON.stringify([...GREY, "colour.png", "broken.png"])}) {
        const bytes = new Uint8Array(await (await fetch("/data/" + name)).arrayBuffer());
        try { out[name] = Array.from(await web.decodeImage(bytes, name, ${SIZE})); } catch (err) { out[name] = err.message; }
      }
      try { await web.decodeImage(new Uint8Array(200), "scan.dcm", ${SIZE}); } catch (err) { out.dicom = err.message; }
      return out;
    })()`) as Record<string, number[] | string>;
    for (const name of GREY) {
      assert.deepEqual(decoded[name], Array.from(await decodeImageFileToBytes(join(images, name), { size: SIZE })), name);
    }
    // Colour: libvips' linear-light luminance, recomputed in the page; equal up to rounding.
    const node = await decodeImageFileToBytes(join(images, "colour.png"), { size: SIZE });
    const web = decoded["colour.png"] as number[];
    const differ = web.filter((v, i) => v !== node[i]);
    assert.ok(web.every((v, i) => Math.abs(v - node[i]) <= 1), "colour pixels within 1 of Node's");
    assert.ok(differ.length <= node.length / 100, `${differ.length} of ${node.length} colour pixels differ by 1`);
    assert.match(decoded["broken.png"] as string, /^broken\.png: not an image this browser can decode/);
    await assert.rejects(decodeImageFileToBytes(join(images, "broken.png"), { size: SIZE }), /broken\.png: not a decodable image/);
    assert.match(decoded.dicom as string, /^scan\.dcm: DICOM needs the dicom-parser package, which this page did not load/);
  } finally {
    await page.close();
  }
});

test("the served page gives an image the probabilities predict gives", { skip: browserMissing, timeout: 120_000 }, async () => {
  const page = await HeadlessPage.open(`${url}?image=grey-large.png`);
  try {
    const summary = await page.waitFor("document.body?.dataset.summary ?? document.body?.dataset.error", 90_000) as string;
    assert.ok(summary.startsWith("["), summary);
    assert.match(await page.evaluate("document.getElementById('heading').textContent") as string, /chest X-rays classified in this page/);
    const wasm = await createWasmBackend({ threads: 1 });
    try {
      const bytes = await decodeImageFileToBytes(join(images, "grey-large.png"), { size: SIZE });
      const probabilities = onBackend(wasm, () => predictImageBytes(network, manifest, bytes, "grey-large.png"));
      assert.deepEqual(JSON.parse(summary), [{ name: "grey-large.png", probabilities }]);
    } finally {
      await wasm.dispose();
    }
  } finally {
    await page.close();
  }
});

test("the served page classifies the user's own images, picked in the page, and names the one it cannot read", { skip: browserMissing, timeout: 120_000 }, async () => {
  // Picked while the page still waits for the server's list of inputs: the picker must work already.
  const page = await HeadlessPage.open(url, { hold: "*/data/inputs.json" });
  try {
    await page.waitForHeld(60_000);
    await page.pickFiles("#files", ["grey-small.jpg", "broken.png"].map((name) => join(images, name)));
    const summary = JSON.parse(await page.waitFor("document.body?.dataset.summary ?? document.body?.dataset.error", 90_000) as string) as
      { name: string; probabilities?: Record<string, number>; error?: string }[];
    assert.deepEqual(summary.map((image) => image.name), ["grey-small.jpg", "broken.png"]);
    const wasm = await createWasmBackend({ threads: 1 });
    try {
      const bytes = await decodeImageFileToBytes(join(images, "grey-small.jpg"), { size: SIZE });
      assert.deepEqual(summary[0].probabilities, onBackend(wasm, () => predictImageBytes(network, manifest, bytes, "grey-small.jpg")));
    } finally {
      await wasm.dispose();
    }
    assert.match(summary[1].error ?? "", /^broken\.png: not an image this browser can decode/);
    assert.match(await page.evaluate("document.getElementById('result').textContent") as string, /broken\.pngcould not be read/);
    assert.equal(await page.evaluate("document.body.dataset.ready ?? null"), null);
    await page.release();
    await page.waitForReady();
  } finally {
    await page.close();
  }
});
