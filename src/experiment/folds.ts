import { Rng, SpikemedError } from "../core/index.js";
import { stratifiedSplit } from "../data/ecg/index.js";

/**
 * How to cross-validate inside a protocol's training side, mirroring the protocol itself: the
 * unit a fold must not cut (ECG inter-patient: the record, i.e. the patient; X-ray: the patient)
 * and where each fold's validation set (best epoch, early stopping) comes from.
 */
export interface CrossValidationPlan {
  /** Group of every sample (same length as the labels); absent: every sample is its own group. */
  groupOf?: Int32Array;
  /** What a group is, for reports: "record", "patient", "beat", "image". */
  unit: string;
  /** Names of the groups, by group id (for reports), when they have names. */
  groupNames?: readonly string[];
  /** A fold's validation set: this share of its training groups ("groups") or a class-stratified share of its samples ("samples"). */
  validation: { by: "groups" | "samples"; fraction: number };
}

export interface Fold {
  train: Int32Array;
  val: Int32Array;
  /** The held-out part this fold scores. */
  test: Int32Array;
  /** Group ids in the held-out part. */
  groups: number[];
}

/**
 * Splits `pool` (sample indices) into k folds that never cut a group, each class spread across
 * folds as evenly as whole groups allow: groups go, most class-skewed first, to the fold that
 * keeps every class's share per fold closest to 1/k (the rule of scikit-learn's
 * StratifiedGroupKFold). Each fold's training side gives its validation set as the plan says.
 */
export function crossValidationFolds(labels: ArrayLike<number>, pool: Int32Array, k: number, plan: CrossValidationPlan, seed: number): Fold[] {
  if (!Number.isInteger(k) || k < 2) throw new SpikemedError(`cross-validation needs at least 2 folds (got ${k})`);
  const members = groupMembers(pool, plan.groupOf);
  if (members.size < k) {
    throw new SpikemedError(`cross-validation: ${members.size} ${plan.unit}s cannot fill ${k} folds`, `use at most ${members.size} folds, or more data`);
  }
  const classes = Math.max(...Array.from(pool, (i) => labels[i])) + 1;
  const rng = new Rng(seed).fork("cross-validation");
  const groups = [...members.keys()];
  rng.fork("group-order").shuffle(groups);
  const countsOf = new Map(groups.map((g) => [g, classCountsOf(members.get(g)!, labels, classes)]));
  const skew = new Map(groups.map((g) => [g, standardDeviation(countsOf.get(g)!)]));
  groups.sort((a, b) => skew.get(b)! - skew.get(a)!);

  const totals = new Float64Array(classes);
  for (const i of pool) totals[labels[i]]++;
  const foldCounts = Array.from({ length: k }, () => new Float64Array(classes));
  const foldSizes = new Float64Array(k);
  const foldGroups: number[][] = Array.from({ length: k }, () => []);
  for (const g of groups) {
    const counts = countsOf.get(g)!;
    let bestFold = 0;
    let bestImbalance = Infinity;
    for (let f = 0; f < k; f++) {
      for (let c = 0; c < classes; c++) foldCounts[f][c] += counts[c];
      const imbalance = meanClassSpread(foldCounts, totals);
      for (let c = 0; c < classes; c++) foldCounts[f][c] -= counts[c];
      if (imbalance < bestImbalance - 1e-12 || (Math.abs(imbalance - bestImbalance) <= 1e-12 && foldSizes[f] < foldSizes[bestFold])) {
        bestImbalance = imbalance;
        bestFold = f;
      }
    }
    for (let c = 0; c < classes; c++) foldCounts[bestFold][c] += counts[c];
    foldSizes[bestFold] += members.get(g)!.length;
    foldGroups[bestFold].push(g);
  }

  return foldGroups.map((held, f) => {
    const heldSet = new Set(held);
    const test = sortedIndices(held.flatMap((g) => members.get(g)!));
    const trainGroups = groups.filter((g) => !heldSet.has(g)).sort((a, b) => a - b);
    const validationRng = rng.fork(`fold-${f}/validation`);
    let train: Int32Array;
    let val: Int32Array;
    if (plan.validation.by === "groups") {
      const shuffled = validationRng.shuffle([...trainGroups]) as number[];
      // At least one validation group when asked for, but never the last training group.
      const count = plan.validation.fraction > 0 ? Math.min(shuffled.length - 1, Math.max(1, Math.round(shuffled.length * plan.validation.fraction))) : 0;
      const valGroups = new Set(shuffled.slice(0, count));
      train = sortedIndices(trainGroups.filter((g) => !valGroups.has(g)).flatMap((g) => members.get(g)!));
      val = sortedIndices([...valGroups].flatMap((g) => members.get(g)!));
    } else {
      [train, val] = stratifiedSplit(sortedIndices(trainGroups.flatMap((g) => members.get(g)!)), labels, plan.validation.fraction, validationRng);
    }
    return { train, val, test, groups: [...held].sort((a, b) => a - b) };
  });
}

function groupMembers(pool: Int32Array, groupOf?: Int32Array): Map<number, number[]> {
  const members = new Map<number, number[]>();
  for (const i of pool) {
    const g = groupOf ? groupOf[i] : i;
    const list = members.get(g);
    if (list) list.push(i);
    else members.set(g, [i]);
  }
  return members;
}

function classCountsOf(indices: number[], labels: ArrayLike<number>, classes: number): Float64Array {
  const counts = new Float64Array(classes);
  for (const i of indices) counts[labels[i]]++;
  return counts;
}

/** Mean over classes of the standard deviation, across folds, of each fold's share of the class. */
function meanClassSpread(foldCounts: Float64Array[], totals: Float64Array): number {
  let sum = 0;
  for (let c = 0; c < totals.length; c++) {
    if (totals[c] === 0) continue;
    sum += standardDeviation(Float64Array.from(foldCounts, (counts) => counts[c] / totals[c]));
  }
  return sum / totals.length;
}

function standardDeviation(values: Float64Array): number {
  let mean = 0;
  for (const v of values) mean += v;
  mean /= values.length;
  let variance = 0;
  for (const v of values) variance += (v - mean) ** 2;
  return Math.sqrt(variance / values.length);
}

const sortedIndices = (indices: number[]): Int32Array => Int32Array.from(indices).sort();
