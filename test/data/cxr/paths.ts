import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

/** Compiled tests live in dist/test/data/cxr: the repository root is four levels up. */
export const REPO_ROOT = fileURLToPath(new URL("../../../../", import.meta.url));
export const FIXTURES = fileURLToPath(new URL("../../../../test/fixtures/cxr/", import.meta.url));
export const SHARED_CXR = fileURLToPath(new URL("../../../../../shared/data/cxr/", import.meta.url));
export const SHARED_MANIFEST = `${SHARED_CXR}manifest.csv`;
export const HAVE_SHARED_CXR = existsSync(SHARED_MANIFEST);
export const SKIP_SHARED = HAVE_SHARED_CXR ? false : `shared chest X-ray data not found at ${SHARED_CXR}`;

export function readJson<T>(path: string): T {
  return JSON.parse(readFileSync(path, "utf8")) as T;
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}
