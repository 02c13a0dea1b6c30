import { Rng } from "../core/random.js";

/** Class-imbalance tools shared by every data set: counts, loss weights and balanced sampling. */

/** Samples per class among `indices` (all beats when omitted). */
export function classCounts(y: ArrayLike<number>, classCount: number, indices?: ArrayLike<number>): Int32Array {
  const counts = new Int32Array(classCount);
  const n = indices ? indices.length : y.length;
  for (let i = 0; i < n; i++) counts[y[indices ? indices[i] : i]]++;
  return counts;
}

/**
 * "Balanced" class weights n / (K * n_c) over the classes present (absent classes get 0), so a
 * weighted loss gives every present class the same total weight. `power` 0.5 gives their square
 * roots: a rare class still counts more than its share, but a class of a handful of samples (Q in
 * MIT-BIH's DS1: 8 beats, weight 1,150) no longer outweighs thousands of common ones.
 */
export function classWeights(y: ArrayLike<number>, classCount: number, indices?: ArrayLike<number>, power = 1): Float64Array {
  const counts = classCounts(y, classCount, indices);
  const present = counts.filter((c) => c > 0).length;
  const total = counts.reduce((a, b) => a + b, 0);
  return Float64Array.from(counts, (c) => (c > 0 ? (total / (present * c)) ** power : 0));
}

/**
 * A shuffled sample of `indices` with `perClass` samples of every present class (default: the size of
 * the largest class): smaller classes are drawn with replacement, larger ones without.
 */
export function balancedSample(indices: ArrayLike<number>, y: ArrayLike<number>, seed: number, perClass?: number): Int32Array {
  const rng = new Rng(seed);
  const byClass = new Map<number, number[]>();
  for (let i = 0; i < indices.length; i++) {
    const list = byClass.get(y[indices[i]]) ?? [];
    list.push(indices[i]);
    byClass.set(y[indices[i]], list);
  }
  const target = perClass ?? Math.max(0, ...[...byClass.values()].map((l) => l.length));
  const out: number[] = [];
  for (const label of [...byClass.keys()].sort((a, b) => a - b)) {
    const members = byClass.get(label)!;
    if (members.length >= target) {
      rng.shuffle(members);
      out.push(...members.slice(0, target));
    } else {
      for (let k = 0; k < target; k++) out.push(members[rng.int(members.length)]);
    }
  }
  return rng.shuffle(Int32Array.from(out)) as Int32Array;
}
