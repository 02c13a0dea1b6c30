/**
 * Time to build the beat dataset of all 48 MIT-BIH records from the raw WFDB files (decode,
 * verify, baseline removal, db6 denoising, windows, normalisation), and to load it again from the cache.
 *
 * Usage: node dist/bench/ecg-dataset.js [dataDir]   (default ../shared/data/mitdb)
 * Writes bench/results/ecg-dataset.md.
 */
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { loadBeatDataset } from "../src/data/ecg/dataset.js";
import { classCounts } from "../src/data/ecg/splits.js";

const root = fileURLToPath(new URL("../../", import.meta.url));
const dataDir = process.argv[2] ?? `${root}../shared/data/mitdb`;
const cacheDir = mkdtempSync(join(tmpdir(), "spikemed-bench-"));
try {
  let t = performance.now();
  const built = loadBeatDataset({ dataDir, excludePaced: false, cacheDir });
  const buildSeconds = (performance.now() - t) / 1000;
  t = performance.now();
  const cached = loadBeatDataset({ dataDir, excludePaced: false, cacheDir });
  const cacheSeconds = (performance.now() - t) / 1000;
  if (!cached.fromCache || cached.y.length !== built.y.length) throw new Error("second load did not come from the cache");
  const counts = classCounts(built.y, 5);
  const lines = [
    "# Beat dataset build time (all 48 MIT-BIH records)",
    "",
    "- command: `node dist/bench/ecg-dataset.js`",
    `- date: ${new Date().toISOString()}`,
    `- machine: ${cpus()[0].model} (${cpus().length} cores, shared), Node ${process.version}`,
    `- defaults: MLII lead, 360 Hz, median-filter baseline removal, db6 6-level soft denoising, 256-sample windows (90 before), z-score`,
    "",
    `- records: ${built.records.length}, beats: ${built.y.length} (N ${counts[0]}, S ${counts[1]}, V ${counts[2]}, F ${counts[3]}, Q ${counts[4]})`,
    `- from raw files (single thread, includes writing the cache): **${buildSeconds.toFixed(1)} s**`,
    `- second run, from the cache: **${cacheSeconds.toFixed(2)} s**`,
    "",
  ];
  mkdirSync(`${root}bench/results`, { recursive: true });
  writeFileSync(`${root}bench/results/ecg-dataset.md`, lines.join("\n"));
  console.log(lines.join("\n"));
} finally {
  rmSync(cacheDir, { recursive: true, force: true });
}
