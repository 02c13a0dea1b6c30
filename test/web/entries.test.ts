import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

// The package's two entry points, loaded by name as a user would (package.json "exports").

test("'spikemed' loads in Node and names every step of the pipeline", async () => {
  const lib = await import("spikemed");
  for (const name of ["buildNetwork", "ecgSnn", "tensor", "useFastBackend"]) assert.equal(typeof (lib as Record<string, unknown>)[name], "function", name);
  assert.equal(typeof lib.ecg.loadBeatDataset, "function");
  assert.equal(typeof lib.cxr.decodeImageFile, "function");
  assert.equal(typeof lib.train.train, "function");
  assert.equal(typeof lib.experiment.loadRun, "function");
  assert.equal(typeof lib.nir.exportNir, "function");
});

/** Modules a module imports before it runs (static imports and re-exports), followed through relative paths. */
function staticImports(entry: string): { files: number; external: string[] } {
  const seen = new Set<string>();
  const external: string[] = [];
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    const source = readFileSync(file, "utf8");
    for (const match of source.matchAll(/^(?:import|export)\s[^;]*?\sfrom\s*["']([^"']+)["']|^import\s*["']([^"']+)["']/gm)) {
      const spec = match[1] ?? match[2];
      if (spec.startsWith(".")) visit(resolve(dirname(file), spec));
      else external.push(spec);
    }
  };
  visit(entry);
  return { files: seen.size, external };
}

test("'spikemed/web' imports nothing from Node or npm before it runs, so a browser can load it as is", async () => {
  const web = await import("spikemed/web");
  assert.equal(typeof web.fetchRun, "function");
  const { files, external } = staticImports(fileURLToPath(import.meta.resolve("spikemed/web")));
  assert.ok(files > 20, `followed ${files} modules`);
  assert.deepEqual(external, []);
  // The same walk does see the Node entry's imports of Node and npm.
  assert.ok(staticImports(fileURLToPath(import.meta.resolve("spikemed"))).external.some((spec) => spec.startsWith("node:")));
});
