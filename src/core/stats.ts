/**
 * Statistics of plain numbers, for every layer of spikemed (the ECG measurements, the command
 * line, the browser): they import nothing, so reading one never loads a backend.
 */

/** Median of the values (NaN for none); the values are not reordered. */
export function median(values: ArrayLike<number>): number {
  const sorted = Float64Array.from(values).sort();
  const n = sorted.length;
  if (n === 0) return Number.NaN;
  return n % 2 ? sorted[(n - 1) / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
}
