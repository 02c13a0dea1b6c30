import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

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
