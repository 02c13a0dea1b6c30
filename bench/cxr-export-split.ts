/**
 * Exports spikemed's mixed X-ray split (seed 1) and its exact 128x128 pixels for
 * bench/torch/cxr_ceiling.py, which trains a conventional network on the same images elsewhere
 * (a lent GPU machine): OUT.bin holds every image as a JPEG (quality 95, to travel in a few tens
 * of megabytes), OUT.json the byte ranges, labels, sources and the train/val/test indices.
 * Usage: node dist/bench/cxr-export-split.js DATA_DIR OUT_PREFIX
 */
import fs from "node:fs";
import sharp from "sharp";
import { loadCxrImages, makeSplit } from "../src/data/cxr/index.js";

const [dataDir, outPrefix] = process.argv.slice(2);
if (!dataDir || !outPrefix) throw new Error("usage: node dist/bench/cxr-export-split.js DATA_DIR OUT_PREFIX");
const images = await loadCxrImages(dataDir, { size: 128 });
const split = makeSplit("mixed", images, { seed: 1 });
const side = images.size;
const chunks: Buffer[] = [];
const offsets: [number, number][] = [];
let at = 0;
for (let i = 0; i < images.count; i++) {
  const pixels = Buffer.from(images.pixels.subarray(i * side * side, (i + 1) * side * side));
  const jpeg = await sharp(pixels, { raw: { width: side, height: side, channels: 1 } }).jpeg({ quality: 95 }).toBuffer();
  chunks.push(jpeg);
  offsets.push([at, jpeg.length]);
  at += jpeg.length;
}
fs.writeFileSync(`${outPrefix}.bin`, Buffer.concat(chunks));
fs.writeFileSync(`${outPrefix}.json`, JSON.stringify({
  size: side, format: "jpeg q95", classes: images.classes, labels: Array.from(images.labels), sources: images.sources,
  files: images.files, offsets, train: Array.from(split.train), val: Array.from(split.val), test: Array.from(split.test),
  description: split.description,
}));
console.log(`${images.count} images, ${at} bytes of JPEG; ${split.description}`);
