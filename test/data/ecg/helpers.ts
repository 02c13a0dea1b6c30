import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

/** Full MIT-BIH in the shared data folder (repo/../shared/data/mitdb), or undefined when absent. */
export function sharedMitdbDir(): string | undefined {
  // dist/test/data/ecg -> repository root is four levels up; the shared data sits beside it.
  const dir = fileURLToPath(new URL("../../../../../shared/data/mitdb", import.meta.url));
  return existsSync(`${dir}/RECORDS`) ? dir : undefined;
}

export const SKIP_NO_SHARED = "../shared/data/mitdb is absent: full MIT-BIH checks skipped";

/**
 * Beats per record in the MIT-BIH Arrhythmia Database Directory (Moody & Mark), as totals of the
 * beat types in each record's reference annotations.
 */
export const PUBLISHED_BEAT_COUNTS: Readonly<Record<string, number>> = {
  100: 2273, 101: 1865, 102: 2187, 103: 2084, 104: 2229, 105: 2572, 106: 2027, 107: 2137, 108: 1763, 109: 2532,
  111: 2124, 112: 2539, 113: 1795, 114: 1879, 115: 1953, 116: 2412, 117: 1535, 118: 2278, 119: 1987, 121: 1863,
  122: 2476, 123: 1518, 124: 1619, 200: 2601, 201: 1963, 202: 2136, 203: 2980, 205: 2656, 207: 1860, 208: 2955,
  209: 3005, 210: 2650, 212: 2748, 213: 3251, 214: 2262, 215: 3363, 217: 2208, 219: 2154, 220: 2048, 221: 2427,
  222: 2483, 223: 2605, 228: 2053, 230: 2256, 231: 1571, 232: 1780, 233: 3079, 234: 2753,
};
