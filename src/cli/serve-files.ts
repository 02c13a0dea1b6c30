/**
 * What `spikemed serve` hands out: the files its page fetches, named one by one when the server
 * starts, and nothing else. A URL path is looked up in that list (never joined onto a folder), and
 * a listed file is read only if its real path, symbolic links resolved, lies inside the folder it
 * was listed from: a link out of --data (a `leak.hea` pointing at /etc/passwd) is refused.
 */
import fs from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { SpikemedError } from "../core/index.js";
import { MANIFEST_NAME, readCxrIndex } from "../data/cxr/index.js";
import { listRecords, readHeader } from "../data/ecg/index.js";
import { MANIFEST, MODEL, type RunManifest } from "../experiment/run-format.js";

const packageRoot = fileURLToPath(new URL("../../../", import.meta.url));

/** A file the page may fetch, and the folder its real path must stay in. */
export interface ServedFile {
  file: string;
  root: string;
}

/** A request the server turns down: the HTTP status and, for its log, why. */
export class Refusal extends Error {
  constructor(readonly status: number, why: string) {
    super(why);
  }
}

/** The page's modules: its script and its Worker, with everything they import. */
const PAGE_ENTRIES = ["web/page.js", "web/page-worker.js"];

/**
 * The files of a run's page by URL path: the run's manifest and checkpoint, the kernels, the
 * compiled modules the page imports, and the files of `inputs` (the names the page lists) in
 * `dataDir`.
 */
export function pageFiles(runDir: string, task: RunManifest["task"], dataDir: string | null, inputs: string[]): Map<string, ServedFile> {
  const files = new Map<string, ServedFile>();
  const add = (urlPath: string, root: string, relative: string) => files.set(urlPath, { file: path.join(root, relative), root });
  for (const name of [MANIFEST, MODEL]) add(`/run/${name}`, runDir, name);
  for (const kernels of ["kernels.wasm", "kernels-relaxed.wasm"]) add(`/build/${kernels}`, path.join(packageRoot, "build"), kernels);
  const distSrc = path.join(packageRoot, "dist/src");
  for (const module of importedModules(distSrc, PAGE_ENTRIES)) add(`/dist/src/${module}`, distSrc, module);
  // The page reads DICOM files with the same parser as Node: the package's browser bundle.
  if (task === "cxr") {
    const bundle = createRequire(import.meta.url).resolve("dicom-parser");
    add("/vendor/dicom-parser.js", path.dirname(bundle), path.basename(bundle));
  }
  if (dataDir !== null) {
    for (const name of task === "ecg" ? inputs.flatMap((record) => recordFiles(dataDir, record)) : inputs) add(`/data/${name}`, dataDir, name);
  }
  return files;
}

// The relative module specifiers of compiled JavaScript: static imports and re-exports, dynamic
// imports, and the `new URL("./x.js", import.meta.url)` a Worker is started from.
const SPECIFIER = /(?:\bfrom|\bimport\s*\(?|\bnew URL\()\s*"(\.\.?\/[^"]+\.js)"/g;

/** The modules under `distSrc` that `entries` load, transitively, as paths relative to it. */
function importedModules(distSrc: string, entries: string[]): Set<string> {
  const found = new Set<string>();
  const pending = [...entries];
  for (let module = pending.pop(); module !== undefined; module = pending.pop()) {
    if (found.has(module) || module.startsWith("../") || !fs.existsSync(path.join(distSrc, module))) continue;
    found.add(module);
    for (const [, specifier] of fs.readFileSync(path.join(distSrc, module), "utf8").matchAll(SPECIFIER)) {
      pending.push(path.posix.join(path.posix.dirname(module), specifier));
    }
  }
  return found;
}

/**
 * A WFDB record's files as the page fetches them (beside the record, as its header names them):
 * the header, its signal files and the annotations. Only the header where it cannot be parsed:
 * the page then shows why.
 */
function recordFiles(dataDir: string, record: string): string[] {
  const beside = (file: string) => path.posix.join(path.posix.dirname(record), file);
  const files = [`${record}.hea`, `${record}.atr`];
  try {
    files.push(...readHeader(dataDir, record).signals.map((signal) => beside(signal.fileName)));
  } catch (err) {
    if (!(err instanceof SpikemedError)) throw err;
  }
  return files;
}

/**
 * The PNG, JPEG and DICOM images an X-ray run's page offers: those of a training folder (class subfolders
 * or a manifest.csv, as `spikemed train cxr --data` reads it), else the files directly in `dir`;
 * paths relative to `dir`.
 */
export function listImages(dir: string): string[] {
  let names: fs.Dirent[];
  try {
    names = fs.readdirSync(dir, { withFileTypes: true });
  } catch (err) {
    throw new SpikemedError(`--data ${dir}: cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, "pass a folder of PNG or JPEG images");
  }
  const trainingFolder = names.some((entry) => entry.name === MANIFEST_NAME || (entry.isDirectory() && !entry.name.startsWith(".")));
  const files = trainingFolder ? readCxrIndex(dir).entries.map((entry) => entry.file) : names.filter((entry) => entry.isFile()).map((entry) => entry.name);
  return files.filter((name) => /\.(png|jpe?g|dcm|dicom)$/i.test(name)).sort();
}

/** Reads a listed file, refusing one that is missing, not a plain file, or whose real path leaves its root. */
export async function readServedFile({ file, root }: ServedFile): Promise<Buffer> {
  let real: string;
  try {
    real = await fs.promises.realpath(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") throw new Refusal(404, "no such file");
    throw err;
  }
  const realRoot = await fs.promises.realpath(root);
  if (!real.startsWith(realRoot + path.sep)) throw new Refusal(403, `its real path ${real} lies outside ${realRoot}`);
  if (!(await fs.promises.stat(real)).isFile()) throw new Refusal(404, "not a file");
  return fs.promises.readFile(real);
}
