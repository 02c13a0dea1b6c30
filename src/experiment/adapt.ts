/**
 * Adapting an inter-patient ECG model to the test patient. Each protocol is its own option and its
 * own row in the results, never mixed with the plain inter-patient figure (issue 28).
 */

/** AAMI's patient-specific protocol: the first `minutes` of each test record, labelled, train too. */
export type EcgAdaptation = { kind: "first-minutes"; minutes: number };

/** AAMI's "local" beats: the first 5 minutes of each record (de Chazal & Reilly 2006, Kiranyaz et al. 2016). */
export const DEFAULT_ADAPT_MINUTES = 5;

export interface FirstMinutesSplit {
  train: Int32Array;
  val: Int32Array;
  test: Int32Array;
  /** The test records' beats that moved to training (each record's first minutes), sorted. */
  adaptation: Int32Array;
}

/**
 * The first-minutes protocol applied to an inter-patient split: each test beat whose R peak lies in
 * its record's first `minutes` minutes (sample < minutes x 60 x the record's own sampling rate)
 * leaves the test set and joins training, labels and all; the test set keeps the later beats of
 * each record. Validation is untouched, so the epoch is still chosen on the training patients.
 * `recordRates` is each record's sampling rate (the rate `sampleOfBeat` counts in).
 */
export function firstMinutesSplit(split: { train: Int32Array; val: Int32Array; test: Int32Array },
  beats: { recordOfBeat: ArrayLike<number>; sampleOfBeat: ArrayLike<number> }, recordRates: ArrayLike<number>, minutes: number): FirstMinutesSplit {
  if (!(minutes > 0)) throw new RangeError(`minutes must be positive (got ${minutes})`);
  const early = (i: number): boolean => beats.sampleOfBeat[i] < minutes * 60 * recordRates[beats.recordOfBeat[i]];
  const adaptation = split.test.filter(early);
  const test = split.test.filter((i) => !early(i));
  const train = new Int32Array(split.train.length + adaptation.length);
  train.set(split.train);
  train.set(adaptation, split.train.length);
  return { train: train.sort(), val: split.val, test, adaptation };
}

/** How a report names the protocol, e.g. "the first 5 minutes". */
export function describeFirstMinutes(minutes: number): string {
  return `the first ${minutes} minute${minutes === 1 ? "" : "s"}`;
}
