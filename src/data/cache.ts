/** What the data caches (ECG beats, decoded X-rays) share: where they live and the code digest in their keys. */
import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** SPIKEMED_CACHE, else <cwd>/.cache/spikemed. */
export function defaultCacheDir(): string {
  return process.env.SPIKEMED_CACHE ? resolve(process.env.SPIKEMED_CACHE) : resolve(".cache", "spikemed");
}

/**
 * A digest of the modules in `dir` (the code that turns a data set's files into arrays), part of
 * every cache key, so that an entry is only read back by the code that wrote it. A version number
 * bumped by hand failed once: a reverted change had used the number before, and its entries, with
 * other features, were read back without a word.
 */
export function codeFingerprint(dir: string): string {
  const hash = createHash("sha256");
  for (const name of readdirSync(dir).filter((f) => /\.(js|ts)$/.test(f) && !f.endsWith(".d.ts")).sort()) {
    hash.update(name).update("\0").update(readFileSync(join(dir, name))).update("\0");
  }
  return hash.digest("hex");
}

const folderFingerprints = new Map<string, string>();

/** codeFingerprint of the folder holding the module at `moduleUrl` (its import.meta.url), read once per process. */
export function moduleFolderFingerprint(moduleUrl: string): string {
  const dir = dirname(fileURLToPath(moduleUrl));
  let digest = folderFingerprints.get(dir);
  if (digest === undefined) {
    digest = codeFingerprint(dir);
    folderFingerprints.set(dir, digest);
  }
  return digest;
}
