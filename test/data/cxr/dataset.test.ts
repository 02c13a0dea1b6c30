import assert from "node:assert/strict";
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import sharp from "sharp";
import { SpikemedError } from "../../../src/core/errors.js";
import { Rng } from "../../../src/core/random.js";
import { cacheKey } from "../../../src/data/cxr/cache.js";
import { fillBatch, loadCxrImages } from "../../../src/data/cxr/dataset.js";
import { decoderVersions } from "../../../src/data/cxr/decode.js";
import { readCxrIndex } from "../../../src/data/cxr/listing.js";
import { rawDicom } from "./bad-images.js";
import { FIXTURES, SHARED_MANIFEST, SKIP_SHARED } from "./paths.js";

const root = mkdtempSync(join(tmpdir(), "spikemed-cxr-dataset-"));
const data = join(root, "data");
const cacheDir = join(root, "cache");
const S = 32;
after(() => rmSync(root, { recursive: true, force: true }));

async function writeGray(path: string, width: number, height: number, value: (x: number, y: number) => number): Promise<void> {
  const px = Buffer.alloc(width * height);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) px[y * width + x] = value(x, y);
  const img = sharp(px, { raw: { width, height, channels: 1 } });
  writeFileSync(path, await (path.endsWith(".png") ? img.png() : img.jpeg({ quality: 95 })).toBuffer());
}

before(async () => {
  mkdirSync(join(data, "covid", "nested"), { recursive: true });
  mkdirSync(join(data, "normal"));
  await writeGray(join(data, "covid", "a.png"), 64, 64, (x, y) => (x + y) % 256);
  await writeGray(join(data, "covid", "nested", "b.jpg"), 50, 80, (x) => x * 4);
  copyFileSync(`${FIXTURES}dicom/mono1_s16_implicit_window.dcm`, join(data, "covid", "c.dcm"));
  await writeGray(join(data, "normal", "d.png"), 32, 32, () => 128);
  copyFileSync(`${FIXTURES}dicom/mono2_u8_nowindow.dcm`, join(data, "normal", "e.dcm"));
  writeFileSync(join(data, "normal", "empty.png"), "");
  writeFileSync(join(data, "normal", "readme.txt"), "class notes\n");
  writeFileSync(join(data, "normal", ".DS_Store"), "hidden files are not listed");
});

test("folder of class subfolders: bad files are skipped and reported by name", async () => {
  const warnings: string[] = [];
  const set = await loadCxrImages(data, { size: S, cache: false, onBadFile: "skip", onWarning: (m) => warnings.push(m) });
  assert.deepEqual(set.classes, ["covid", "normal"]);
  assert.deepEqual(set.files, ["covid/a.png", "covid/c.dcm", "covid/nested/b.jpg", "normal/d.png", "normal/e.dcm"]);
  assert.deepEqual(Array.from(set.labels), [0, 0, 0, 1, 1]);
  assert.equal(set.count, 5);
  assert.equal(set.pixels.length, 5 * S * S);
  assert.deepEqual(set.skipped.map((s) => s.file), ["normal/empty.png", "normal/readme.txt"]);
  assert.equal(warnings.length, 2);
  assert.match(warnings[0], /normal\/empty\.png: empty file/);
  assert.match(warnings[1], /normal\/readme\.txt: not a decodable image/);
  // d.png is flat 128 at 32x32: copied as is.
  assert.ok(set.pixels.subarray(3 * S * S, 4 * S * S).every((v) => v === 128));
  // a.png (x + y) at 64x64, halved by area averaging: mean of a 2x2 block = 2(x + y) + 1.
  for (const [x, y] of [[0, 0], [5, 9], [31, 31]]) assert.equal(set.pixels[y * S + x], 2 * (x + y) + 1);
});

test("onBadFile fail: the run stops with a SpikemedError naming the file", async () => {
  await assert.rejects(loadCxrImages(data, { size: S, cache: false, onBadFile: "fail", concurrency: 1 }), (err: unknown) => {
    assert.ok(err instanceof SpikemedError);
    assert.match(err.message, /normal\/empty\.png: empty file/);
    assert.match(err.message, /--on-bad-file skip/);
    return true;
  });
});

test("cache: the second load comes from disk, identical; touching a file invalidates it", async () => {
  const quiet = { size: S, cacheDir, onWarning: () => {} };
  const first = await loadCxrImages(data, quiet);
  assert.equal(first.fromCache, false);
  assert.ok(first.cacheFile);
  const second = await loadCxrImages(data, quiet);
  assert.equal(second.fromCache, true);
  assert.deepEqual(second.pixels, first.pixels);
  assert.deepEqual(second.labels, first.labels);
  assert.deepEqual(second.files, first.files);
  assert.deepEqual(second.skipped, first.skipped);
  assert.deepEqual(readdirSync(cacheDir).filter((f) => f.endsWith(".tmp")), [], "no temporary files left");
  // A skip recorded in the cache still fails a run that asks for fail.
  await assert.rejects(loadCxrImages(data, { ...quiet, onBadFile: "fail" }), /normal\/empty\.png: empty file/);
  const later = new Date(Date.now() + 5000);
  utimesSync(join(data, "normal", "d.png"), later, later);
  assert.equal((await loadCxrImages(data, quiet)).fromCache, false);
  const otherSize = await loadCxrImages(data, { ...quiet, size: 16 });
  assert.equal(otherSize.fromCache, false);
  assert.equal(otherSize.pixels.length, 5 * 16 * 16);
});

test("cache: the key names the decoding libraries' versions, so a new sharp or dicom-parser decodes afresh", () => {
  const index = readCxrIndex(data);
  const installed = decoderVersions();
  assert.equal(installed.sharp, (sharp.versions as { sharp?: string }).sharp);
  assert.match(installed.vips, /^\d+\.\d+/);
  assert.match(installed["dicom-parser"], /^\d+\.\d+/);
  assert.equal(cacheKey(index, S, undefined), cacheKey(index, S, undefined, installed));
  assert.notEqual(cacheKey(index, S, undefined, { ...installed, sharp: "0.0.1" }), cacheKey(index, S, undefined));
  assert.notEqual(cacheKey(index, S, undefined, { ...installed, "dicom-parser": "0.0.1" }), cacheKey(index, S, undefined));
});

test("manifest CSV: extra and quoted columns are tolerated, paths are relative to it", async () => {
  const manifest = join(root, "list.csv");
  writeFileSync(
    manifest,
    'file,label,source,origin,patient_id\n' +
      'data/covid/a.png,covid,siteA,"Hospital A, Spain",p1\n' +
      'data/normal/d.png,normal,siteA,"says ""normal""",p2\n' +
      'data/covid/c.dcm,covid,siteB,,\n',
  );
  const set = await loadCxrImages(manifest, { size: S, cache: false });
  assert.equal(set.kind, "manifest");
  assert.deepEqual(set.files, ["data/covid/a.png", "data/normal/d.png", "data/covid/c.dcm"]);
  assert.deepEqual(set.patientIds, ["p1", "p2", null]);
  assert.deepEqual(set.sources, ["siteA", "siteA", "siteB"]);
  assert.deepEqual(Array.from(set.labels), [0, 1, 0]);
});

test("manifest CSV: a missing column, an unknown label or a duplicate row is a clear error", () => {
  const cases: [string, RegExp][] = [
    ["path,label\nx.png,covid\n", /no "file" column/],
    ["file,label\nx.png,covid\n", /label "covid" is not one of the classes/],
    ["file,label\nx.png,normal\nx.png,normal\n", /line 3: file "x.png" is listed twice/],
  ];
  for (const [i, [text, message]] of cases.entries()) {
    const manifest = join(root, `bad${i}.csv`);
    writeFileSync(manifest, text);
    assert.throws(() => readCxrIndex(manifest, i === 1 ? { classes: ["normal", "other"] } : {}), (err: unknown) => {
      assert.ok(err instanceof SpikemedError);
      assert.ok(err.message.startsWith(manifest), err.message);
      assert.match(err.message, message);
      return true;
    });
  }
  assert.throws(() => readCxrIndex(join(root, "nowhere")), /no such file or folder/);
});

test("an image cache that cannot be written is one warning naming the file, the images still load, and no temporary file stays", async () => {
  const dir = join(root, "blocked-cache");
  const first = await loadCxrImages(data, { size: S, cacheDir: dir, onWarning: () => {} });
  // A folder in the cache file's place: reading it fails (a miss), and so does the rename that would replace it.
  rmSync(first.cacheFile!);
  mkdirSync(join(first.cacheFile!, "inside"), { recursive: true });
  const warnings: string[] = [];
  const again = await loadCxrImages(data, { size: S, cacheDir: dir, onWarning: (m) => warnings.push(m) });
  assert.equal(again.fromCache, false);
  assert.equal(again.cacheFile, null);
  assert.deepEqual(again.pixels, first.pixels);
  const cacheWarnings = warnings.filter((w) => /image cache/.test(w));
  assert.equal(cacheWarnings.length, 1, warnings.join("\n"));
  assert.ok(cacheWarnings[0].startsWith(`could not write the image cache (cannot write "${first.cacheFile}": `), cacheWarnings[0]);
  assert.match(cacheWarnings[0], /\); the next run will decode again$/);
  assert.deepEqual(readdirSync(dir).filter((f) => f.includes(".tmp")), []);
});

test("fillBatch: bytes / 255 in the given order; augmentation is seeded and only when asked", async () => {
  const set = await loadCxrImages(data, { size: S, cache: false, onWarning: () => {} });
  const area = S * S;
  const batch = fillBatch(set, [4, 0]);
  assert.equal(batch.length, 2 * area);
  for (let p = 0; p < area; p++) {
    assert.equal(batch[p], Math.fround(set.pixels[4 * area + p] / 255));
    assert.equal(batch[area + p], Math.fround(set.pixels[p] / 255));
  }
  const a = fillBatch(set, [0, 1, 2], undefined, { rng: new Rng(5) });
  const b = fillBatch(set, [0, 1, 2], undefined, { rng: new Rng(5) });
  const c = fillBatch(set, [0, 1, 2], undefined, { rng: new Rng(6) });
  assert.deepEqual(a, b);
  assert.notDeepEqual(a, c);
  assert.ok(a.every((v) => v >= 0 && v <= 1));
  assert.throws(() => fillBatch(set, [5]), /index 5 is outside 0\.\.4/);
});

test("real data: a subset of the shipped set loads at 256 x 256 and matches a direct decode", { skip: SKIP_SHARED }, async () => {
  const index = readCxrIndex(SHARED_MANIFEST);
  const picked = new Set(index.entries.filter((_, i) => i % 400 === 0).map((e) => e.path));
  const set = await loadCxrImages(index, { cache: false, select: (e) => picked.has(e.path) });
  assert.equal(set.count, picked.size);
  assert.equal(set.size, 256);
  for (let k = 0; k < set.count; k += 5) {
    const path = index.entries.find((e) => e.file === set.files[k])!.path;
    const direct = await sharp(path).grayscale().raw().toBuffer();
    assert.deepEqual(set.pixels.subarray(k * 65536, (k + 1) * 65536), new Uint8Array(direct));
  }
});

test("a DICOM file whose Rescale Slope overflows is skipped with onBadFile skip, and named with fail", async () => {
  const folder = join(root, "overflow");
  for (const name of ["covid", "normal"]) mkdirSync(join(folder, name), { recursive: true });
  writeFileSync(join(folder, "covid", "slope.dcm"), rawDicom({ slope: "1e308" }));
  writeFileSync(join(folder, "covid", "fine.dcm"), rawDicom({}));
  writeFileSync(join(folder, "normal", "fine.dcm"), rawDicom({ slope: "2" }));
  const warnings: string[] = [];
  const set = await loadCxrImages(folder, { size: S, cache: false, onBadFile: "skip", onWarning: (m) => warnings.push(m) });
  assert.deepEqual(set.files, ["covid/fine.dcm", "normal/fine.dcm"]);
  assert.deepEqual(set.skipped.map((s) => s.file), ["covid/slope.dcm"]);
  assert.match(warnings.join("\n"), /skipped covid\/slope\.dcm: DICOM Rescale Slope 1e\+308 and Intercept 0 turn the stored values into 0\.\.Infinity/);
  await assert.rejects(loadCxrImages(folder, { size: S, cache: false, onBadFile: "fail", concurrency: 1 }), /covid\/slope\.dcm: DICOM Rescale Slope 1e\+308/);
});
