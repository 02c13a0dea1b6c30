/**
 * Decoding the full chest X-ray set, then loading it again from the cache.
 *   npx tsc -p . && node dist/bench/cxr-load.js [DATA_DIR_OR_MANIFEST] [--size S]
 * Default data: ../shared/data/cxr (its manifest.csv). The cache goes to a fresh temporary
 * folder, so the first load always decodes. Writes bench/results/cxr-load.{md,json}.
 */
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from "node:fs";
import { availableParallelism, cpus, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { loadCxrImages } from "../src/data/cxr/dataset.js";

const repoRoot = fileURLToPath(new URL("../../", import.meta.url));
const args = process.argv.slice(2);
const sizeAt = args.indexOf("--size");
const size = sizeAt >= 0 ? Number(args[sizeAt + 1]) : 256;
const input = args.find((a, i) => !a.startsWith("--") && i !== sizeAt + 1) ?? join(repoRoot, "..", "shared", "data", "cxr");
const cacheDir = mkdtempSync(join(tmpdir(), "spikemed-cxr-bench-"));

async function timed<T>(run: () => Promise<T>): Promise<{ result: T; seconds: number }> {
  const start = process.hrtime.bigint();
  const result = await run();
  return { result, seconds: Number(process.hrtime.bigint() - start) / 1e9 };
}

try {
  const options = { size, cacheDir };
  const first = await timed(() => loadCxrImages(input, options));
  const rssAfterFirst = process.memoryUsage().rss;
  const second = await timed(() => loadCxrImages(input, options));
  if (!second.result.fromCache) throw new Error("second load did not come from the cache");
  const n = first.result.count;
  const record = {
    command: `node dist/bench/cxr-load.js ${args.join(" ")}`.trim(),
    date: new Date().toISOString(),
    machine: `${cpus()[0].model}, ${availableParallelism()} CPUs, ${(totalmem() / 2 ** 30).toFixed(0)} GiB RAM, Node ${process.version}`,
    input: first.result.input,
    size,
    images: n,
    skipped: first.result.skipped.length,
    pixelBytes: first.result.pixels.length,
    firstDecodeSeconds: Number(first.seconds.toFixed(2)),
    firstDecodeImagesPerSecond: Math.round(n / first.seconds),
    cachedLoadSeconds: Number(second.seconds.toFixed(3)),
    rssAfterFirstLoadMiB: Math.round(rssAfterFirst / 2 ** 20),
  };
  const dir = join(repoRoot, "bench", "results");
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "cxr-load.json"), JSON.stringify(record, null, 2) + "\n");
  writeFileSync(
    join(dir, "cxr-load.md"),
    `# Chest X-ray set: first decode and cached load\n\n` +
      `- command: \`${record.command}\` (after \`npx tsc -p .\`)\n- date: ${record.date}\n- machine: ${record.machine}\n` +
      `- input: ${record.input}, ${n} images kept, ${record.skipped} skipped, ${size}x${size}, ${(record.pixelBytes / 2 ** 20).toFixed(0)} MiB of pixel bytes\n\n` +
      `| step | seconds | images/s |\n|---|---|---|\n` +
      `| first load (decode ${n} files with sharp, write cache) | ${record.firstDecodeSeconds} | ${record.firstDecodeImagesPerSecond} |\n` +
      `| second load (from cache) | ${record.cachedLoadSeconds} | ${Math.round(n / second.seconds)} |\n\n` +
      `Process RSS after the first load: ${record.rssAfterFirstLoadMiB} MiB. The machine is shared, so times vary with its load.\n`,
  );
  console.log(JSON.stringify(record, null, 2));
} finally {
  rmSync(cacheDir, { recursive: true, force: true });
}
