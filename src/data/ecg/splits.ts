/**
 * Train / validation / test splits of a beat dataset, class weights and balanced sampling.
 * All randomness comes from `Rng`, so a seed fixes every split and sample.
 */
import { Rng } from "../../core/random.js";
import { SpikemedError } from "../../core/errors.js";

export interface Split {
  train: Int32Array;
  validation: Int32Array;
  test: Int32Array;
}

/** de Chazal et al. (2004) inter-patient split of MIT-BIH (from the mitdb README). */
export const DS1_RECORDS: readonly string[] = [
  "101", "106", "108", "109", "112", "114", "115", "116", "118", "119", "122", "124",
  "201", "203", "205", "207", "208", "209", "215", "220", "223", "230",
];
export const DS2_RECORDS: readonly string[] = [
  "100", "103", "105", "111", "113", "117", "121", "123", "200", "202", "210", "212",
  "213", "214", "219", "221", "222", "228", "231", "232", "233", "234",
];

/** Share of the training side both splits hold out for validation unless told otherwise. */
export const DEFAULT_VALIDATION_FRACTION = 0.1;

function checkFraction(name: string, value: number): void {
  if (!(value >= 0 && value < 1)) throw new SpikemedError(`${name} must be in [0, 1) (got ${value})`);
}

/**
 * Splits `indices` (beat indices) class by class: of each class, a shuffled `fraction` (rounded)
 * goes to the second part. Both parts come back sorted.
 */
export function stratifiedSplit(indices: ArrayLike<number>, y: ArrayLike<number>, fraction: number, rng: Rng): [Int32Array, Int32Array] {
  checkFraction("split fraction", fraction);
  const byClass = new Map<number, number[]>();
  for (let i = 0; i < indices.length; i++) {
    const label = y[indices[i]];
    const list = byClass.get(label) ?? [];
    list.push(indices[i]);
    byClass.set(label, list);
  }
  const first: number[] = [];
  const second: number[] = [];
  for (const label of [...byClass.keys()].sort((a, b) => a - b)) {
    const members = byClass.get(label)!;
    rng.shuffle(members);
    const cut = Math.round(members.length * fraction);
    second.push(...members.slice(0, cut));
    first.push(...members.slice(cut));
  }
  return [Int32Array.from(first).sort(), Int32Array.from(second).sort()];
}

export interface IntraPatientOptions {
  /** Share of each class held out for testing; default 0.2. */
  testFraction?: number;
  /** Share of each class of the training side held out for validation; default 0.1. */
  validationFraction?: number;
  seed?: number;
}

/** Random beat-level split stratified by class (beats of one patient may land on both sides). */
export function intraPatientSplit(y: ArrayLike<number>, options: IntraPatientOptions = {}): Split {
  const rng = new Rng(options.seed ?? 0);
  const all = Int32Array.from({ length: y.length }, (_, i) => i);
  const [trainSide, test] = stratifiedSplit(all, y, options.testFraction ?? 0.2, rng.fork("test"));
  const [train, validation] = stratifiedSplit(trainSide, y, options.validationFraction ?? DEFAULT_VALIDATION_FRACTION, rng.fork("validation"));
  return { train, validation, test };
}

export interface InterPatientOptions {
  /** Training records; default DS1. */
  trainRecords?: readonly string[];
  /** Test records; default DS2. */
  testRecords?: readonly string[];
  /** Share of the training side held out for validation; default 0.1. */
  validationFraction?: number;
  /** "beats": stratified random beats of the training records (default); "records": whole training records. */
  validationBy?: "beats" | "records";
  seed?: number;
}

/**
 * Patient-wise split: beats of the training records (DS1) against those of the test records (DS2);
 * validation comes from the training side only.
 */
export function interPatientSplit(dataset: { y: ArrayLike<number>; recordOfBeat: ArrayLike<number>; records: readonly string[] }, options: InterPatientOptions = {}): Split {
  const trainRecords = options.trainRecords ?? DS1_RECORDS;
  const testRecords = options.testRecords ?? DS2_RECORDS;
  const overlap = trainRecords.filter((r) => testRecords.includes(r));
  if (overlap.length > 0) throw new SpikemedError(`inter-patient split: records ${overlap.join(", ")} are both train and test records`);
  const rng = new Rng(options.seed ?? 0);
  const fraction = options.validationFraction ?? DEFAULT_VALIDATION_FRACTION;
  checkFraction("validationFraction", fraction);
  const present = new Set(dataset.records);
  if (!trainRecords.some((r) => present.has(r)) || !testRecords.some((r) => present.has(r))) {
    throw new SpikemedError(
      `inter-patient split: the dataset (records ${dataset.records.join(", ")}) needs at least one training and one test record`,
      "load the full MIT-BIH database (dataDir) or use the intra-patient split",
    );
  }
  let validationRecords = new Set<string>();
  if (options.validationBy === "records") {
    const candidates = trainRecords.filter((r) => present.has(r));
    rng.fork("validation-records").shuffle(candidates);
    validationRecords = new Set(candidates.slice(0, Math.max(1, Math.round(candidates.length * fraction))));
  }
  const role = dataset.records.map((r) => (testRecords.includes(r) ? "test" : validationRecords.has(r) ? "validation" : trainRecords.includes(r) ? "train" : "none"));
  const trainSide: number[] = [];
  const validation: number[] = [];
  const test: number[] = [];
  for (let i = 0; i < dataset.y.length; i++) {
    const r = role[dataset.recordOfBeat[i]];
    if (r === "train") trainSide.push(i);
    else if (r === "validation") validation.push(i);
    else if (r === "test") test.push(i);
  }
  if (options.validationBy === "records") {
    return { train: Int32Array.from(trainSide), validation: Int32Array.from(validation), test: Int32Array.from(test) };
  }
  const [train, heldOut] = stratifiedSplit(trainSide, dataset.y, fraction, rng.fork("validation"));
  return { train, validation: heldOut, test: Int32Array.from(test) };
}

export { balancedSample, classCounts, classWeights } from "../labels.js";
