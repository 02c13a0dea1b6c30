/** Location of the small MIT-BIH sample shipped with spikemed (data/mitdb-sample). */
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { SpikemedError } from "../../core/errors.js";

/**
 * Absolute path of the bundled sample records. Found by walking up from this module, so it works
 * both from src/data/ecg (ts sources) and from dist/src/data/ecg (compiled code).
 */
export function sampleDataDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let depth = 0; depth < 6; depth++) {
    const candidate = join(dir, "data", "mitdb-sample");
    if (existsSync(join(candidate, "RECORDS"))) return candidate;
    dir = dirname(dir);
  }
  throw new SpikemedError("the bundled MIT-BIH sample (data/mitdb-sample) is missing from this installation", "reinstall spikemed or pass a data folder");
}
