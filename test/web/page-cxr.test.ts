import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import type http from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { chromium, type Browser, type Page } from "playwright-core";
import sharp from "sharp";
import { startServer } from "../../src/cli/serve.js";
import { chooseKernelModule, createWasmBackend } from "../../src/core/backends/wasm/index.js";
import { Rng } from "../../src/core/index.js";
import { decodeImageFileToBytes } from "../../src/data/cxr/index.js";
import { intensitiesFromBytes } from "../../src/data/cxr/pixels.js";
import { occlusionMap } from "../../src/eval/index.js";
import { predictImageBytes, saveRun } from "../../src/experiment/index.js";
import { flatArrayData, predictProbabilities } from "../../src/train/data.js";
import { onBackend } from "../model/helpers.js";
import { FIXTURES } from "../data/cxr/paths.js";
import { browser as chromiumPath, browserMissing } from "./chromium.js";
import { untrainedCxrRun } from "./serve-load.js";

// The X-ray view of `spikemed serve`'s page in the system's Chromium (playwright-core): the
// occlusion map it computes equals `spikemed explain`'s in Node, the slider fades it in and out,
// and an image dropped on the page is classified as `spikemed predict` classifies it.

const { manifest, network, size: SIZE } = untrainedCxrRun();
let dir = "";
let images = "";
let server: http.Server;
let browser: Browser;
let page: Page;

/** A grey image with structure: a bright disc off centre on a noisy gradient. */
function greyImage(width: number, height: number, seed: number): Buffer {
  const rng = new Rng(seed);
  return Buffer.from(Array.from({ length: width * height }, (_, i) => {
    const x = i % width;
    const y = Math.floor(i / width);
    const disc = (x - 0.3 * width) ** 2 + (y - 0.6 * height) ** 2 < (0.15 * width) ** 2 ? 90 : 0;
    return Math.min(255, Math.round(60 + (100 * y) / height + disc + 20 * rng.uniform()));
  }));
}

before(async () => {
  if (browserMissing) return;
  dir = mkdtempSync(join(tmpdir(), "spikemed-page-cxr-"));
  images = join(dir, "images");
  mkdirSync(images);
  await sharp(greyImage(120, 100, 1), { raw: { width: 120, height: 100, channels: 1 } }).png().toFile(join(images, "chest.png"));
  await sharp(greyImage(80, 90, 2), { raw: { width: 80, height: 90, channels: 1 } }).jpeg({ quality: 92 }).toFile(join(dir, "dropped.jpg"));
  saveRun(join(dir, "run"), manifest, network);
  let url: string;
  ({ server, url } = await startServer(join(dir, "run"), { port: 0, data: images }));
  browser = await chromium.launch({ executablePath: chromiumPath as string, args: ["--no-sandbox", "--disable-dev-shm-usage"] });
  page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  await page.goto(`${url}?image=chest.png&kernels=${chooseKernelModule("auto")}`);
  await page.waitForFunction(() => document.body.dataset.summary ?? document.body.dataset.error, null, { timeout: 90_000 });
});

after(async () => {
  await browser?.close();
  server?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test("the page's occlusion map of an image is explain's, computed in Node on the same kernels", { skip: browserMissing, timeout: 120_000 }, async () => {
  await page.waitForFunction(() => document.getElementById("xray-canvas")!.dataset.evidence === "0", null, { timeout: 90_000 });
  const drop = await page.evaluate(() => Array.from((globalThis as unknown as { spikemedPage: { evidence: { drop: Float32Array } } }).spikemedPage.evidence.drop));
  const bytes = await decodeImageFileToBytes(join(images, "chest.png"), { size: SIZE });
  const wasm = await createWasmBackend({ threads: 1 });
  try {
    const expected = onBackend(wasm, () => occlusionMap(intensitiesFromBytes(bytes), SIZE, 2, (batch, n) =>
      predictProbabilities(network, flatArrayData(batch, [1, SIZE, SIZE], manifest.classNames, new Uint8Array(n)), Int32Array.from({ length: n }, (_, i) => i), 32).probabilities, {}));
    assert.deepEqual(drop, Array.from(expected.drop));
    assert.ok(expected.drop.some((d) => d !== 0), "the map is not flat");
  } finally {
    await wasm.dispose();
  }
  assert.match(await page.locator("#xray-caption").innerText(), /^Evidence for (covid|non_covid) \(occlusion/);
});

test("the slider fades the overlay: at 0 the image is grey, at 100 tinted", { skip: browserMissing, timeout: 30_000 }, async () => {
  const tinted = async (value: string) => {
    await page.locator("#overlay").fill(value);
    return page.evaluate(() => {
      const canvas = document.getElementById("xray-canvas") as HTMLCanvasElement;
      const data = canvas.getContext("2d")!.getImageData(0, 0, canvas.width, canvas.height).data;
      let coloured = 0;
      for (let i = 0; i < data.length; i += 4) if (data[i] !== data[i + 1] || data[i + 1] !== data[i + 2]) coloured++;
      return coloured;
    });
  };
  assert.equal(await tinted("0"), 0);
  assert.ok(await tinted("100") > 1000);
});

test("DICOM files dropped on the page are read with the parser the server hands out: the probabilities predict gives", { skip: browserMissing, timeout: 90_000 }, async () => {
  // Uncompressed (16-bit signed MONOCHROME1, a raw data set without the Part 10 header): the pixels Node decodes, exactly.
  const names = ["mono1_s16_implicit_window.dcm", "raw_dataset_mono2_u16.dcm", "mono2_u8_jpeg_baseline_window.dcm"];
  const files = names.map((name) => ({ name, bytes: Array.from(readFileSync(join(FIXTURES, "dicom", name))) }));
  const transfer = await page.evaluateHandle((picked) => {
    const data = new DataTransfer();
    for (const { name, bytes } of picked) data.items.add(new File([new Uint8Array(bytes)], name));
    return data;
  }, files);
  await page.dispatchEvent("body", "drop", { dataTransfer: transfer });
  const summary = JSON.parse(await page.waitForFunction(() => document.body.dataset.summary?.includes(".dcm") && document.body.dataset.summary, null, { timeout: 60_000 })
    .then((handle) => handle.jsonValue()) as string) as { name: string; probabilities?: Record<string, number>; error?: string }[];
  assert.deepEqual(summary.map((image) => image.error), [undefined, undefined, undefined]);
  const wasm = await createWasmBackend({ threads: 1 });
  try {
    for (const [i, name] of names.slice(0, 2).entries()) {
      const bytes = await decodeImageFileToBytes(join(FIXTURES, "dicom", name), { size: SIZE });
      assert.deepEqual(summary[i].probabilities, onBackend(wasm, () => predictImageBytes(network, manifest, bytes, name)), name);
    }
  } finally {
    await wasm.dispose();
  }
});

test("an image dropped on the page is classified as predict classifies it", { skip: browserMissing, timeout: 90_000 }, async () => {
  const dropped = readFileSync(join(dir, "dropped.jpg"));
  const transfer = await page.evaluateHandle((bytes) => {
    const data = new DataTransfer();
    data.items.add(new File([new Uint8Array(bytes)], "dropped.jpg", { type: "image/jpeg" }));
    return data;
  }, Array.from(dropped));
  await page.dispatchEvent("body", "drop", { dataTransfer: transfer });
  const summary = JSON.parse(await page.waitForFunction(() => document.body.dataset.summary?.includes("dropped.jpg") && document.body.dataset.summary, null, { timeout: 60_000 })
    .then((handle) => handle.jsonValue()) as string) as { name: string; probabilities: Record<string, number> }[];
  const bytes = await decodeImageFileToBytes(join(dir, "dropped.jpg"), { size: SIZE });
  const wasm = await createWasmBackend({ threads: 1 });
  try {
    assert.deepEqual(summary, [{ name: "dropped.jpg", probabilities: onBackend(wasm, () => predictImageBytes(network, manifest, bytes, "dropped.jpg")) }]);
  } finally {
    await wasm.dispose();
  }
});
