/**
 * Adapting an inter-patient ECG model to the test patient. Each protocol is its own option and its
 * own row in the results, never mixed with the plain inter-patient figure (issue 28).
 */
import { SpikemedError } from "../core/errors.js";
import type { Network } from "../model/network.js";
import { inputBatch, predictProbabilities, type ClassificationData } from "../train/data.js";
import { adaptLocally, localPriorProbabilities } from "./adapt-local.js";

/**
 * first-minutes: AAMI's patient-specific protocol, the first `minutes` of each test record, labelled,
 * train too. local-beats: the same beats, labelled, stay out of training and vote instead, by
 * nearest neighbour, beside the network on the rest of their record (src/experiment/adapt-local.ts).
 * unlabeled: before classifying a record, the network's batch-norm statistics are re-estimated on
 * that record's own beats (AdaBN); no label is read. self-training: the record's beats the network
 * classifies with confidence vote, labelled by the network, on the rest; no label is read.
 */
export type EcgAdaptation = { kind: "first-minutes" | "local-beats" | "patient-specific"; minutes: number } | { kind: "unlabeled" | "self-training" };

/**
 * patient-specific: first-minutes with each local beat counted `repeat` times in training (the
 * network learns the patient's few beats against the other patients' tens of thousands), then each
 * test record's probabilities moved towards its local beats' class frequencies (adapt-local.ts's
 * shiftPrior, those frequencies with `priorSmoothing` added to every class, to the power `priorGamma`).
 * Chosen by cross-validation over DS1's records (bench/ecg-adapt-cv.ts; bench/results/ecg-inter.md).
 */
export const PATIENT_SPECIFIC = { repeat: 30, priorSmoothing: 0.5, priorGamma: 0.25 };

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
 * With `repeat`, each of those beats is in training that many times (sampled, and counted for the
 * class weights, as so many beats).
 * `recordRates` is each record's sampling rate (the rate `sampleOfBeat` counts in).
 */
export function firstMinutesSplit(split: { train: Int32Array; val: Int32Array; test: Int32Array },
  beats: { recordOfBeat: ArrayLike<number>; sampleOfBeat: ArrayLike<number> }, recordRates: ArrayLike<number>, minutes: number, repeat = 1): FirstMinutesSplit {
  if (!(minutes > 0)) throw new RangeError(`minutes must be positive (got ${minutes})`);
  if (!Number.isInteger(repeat) || repeat < 1) throw new RangeError(`repeat must be a positive integer (got ${repeat})`);
  const early = (i: number): boolean => beats.sampleOfBeat[i] < minutes * 60 * recordRates[beats.recordOfBeat[i]];
  const adaptation = split.test.filter(early);
  const test = split.test.filter((i) => !early(i));
  const train = new Int32Array(split.train.length + repeat * adaptation.length);
  train.set(split.train);
  for (let r = 0; r < repeat; r++) train.set(adaptation, split.train.length + r * adaptation.length);
  return { train: train.sort(), val: split.val, test, adaptation };
}

/** How a report names the protocol, e.g. "the first 5 minutes". */
export function describeFirstMinutes(minutes: number): string {
  return `the first ${minutes} minute${minutes === 1 ? "" : "s"}`;
}

/**
 * Probabilities for the samples at `indices`, each group's (record's) with the network adapted to
 * that group's samples among them (Network.adaptBatchNorm: their inputs, never their labels), the
 * trained statistics restored after each group and at the end. Rows in the order of `indices`.
 */
export function predictAdaptedByGroup(network: Network, data: ClassificationData, indices: Int32Array, groupOf: readonly (string | null)[], batchSize: number): Float32Array {
  const K = data.classNames.length;
  const out = new Float32Array(indices.length * K);
  const members = new Map<string | null, number[]>();
  indices.forEach((i, row) => {
    const group = groupOf[i];
    const rows = members.get(group);
    if (rows) rows.push(row);
    else members.set(group, [row]);
  });
  for (const rows of members.values()) {
    const groupIndices = Int32Array.from(rows, (row) => indices[row]);
    const { probabilities } = withAdaptedNetwork(network, data, groupIndices, () => predictProbabilities(network, data, groupIndices, batchSize));
    rows.forEach((row, k) => out.set(probabilities.subarray(k * K, (k + 1) * K), row * K));
  }
  return out;
}

/** `run` with the network's batch-norm statistics those of the samples at `indices`, restored afterwards; refused for a network without batch norm. */
export function withAdaptedNetwork<T>(network: Network, data: ClassificationData, indices: ArrayLike<number>, run: () => T): T {
  const saved = network.buffers().map((b) => b.tensor.data.slice());
  try {
    const inputs = inputBatch(data, indices);
    const adapted = network.adaptBatchNorm(inputs);
    inputs.signal.dispose();
    inputs.features?.dispose();
    if (adapted.length === 0) {
      throw new SpikemedError("--adapt unlabeled re-estimates a model's batch-norm statistics on each record, and this model has no batch-norm layer",
        "use a model with one, e.g. --model snn-families or mlp-families");
    }
    return run();
  } finally {
    network.buffers().forEach((b, k) => b.tensor.data.set(saved[k]));
  }
}

/**
 * The probabilities of the samples at `test` (rows in that order) under `adapt`: unlabeled, each
 * record's from the network adapted to that record's own beats (AdaBN); local-beats or
 * self-training, the network's combined with its record's local vote (`localBeats`, labelled, for
 * local-beats); patient-specific, shifted to the record's local beats' class frequencies;
 * first-minutes, the network's (its adaptation was in training). `groupOf` is each sample's record.
 */
export function adaptedProbabilities(network: Network, data: ClassificationData, test: Int32Array, adapt: EcgAdaptation, groupOf: readonly (string | null)[],
  localBeats: Int32Array | undefined, batchSize: number): Float32Array {
  if (adapt.kind === "unlabeled") return predictAdaptedByGroup(network, data, test, groupOf, batchSize);
  const { probabilities } = predictProbabilities(network, data, test, batchSize);
  const local = localBeats ?? new Int32Array(0);
  if (adapt.kind === "patient-specific") {
    return localPriorProbabilities({ probabilities, groups: Array.from(test, (i) => groupOf[i]) },
      { labels: Array.from(local, (i) => data.labels[i]), groups: Array.from(local, (i) => groupOf[i]) }, data.classNames.length,
      { smoothing: PATIENT_SPECIFIC.priorSmoothing, gamma: PATIENT_SPECIFIC.priorGamma });
  }
  if (adapt.kind === "local-beats" || adapt.kind === "self-training") return adaptLocally(network, data, test, probabilities, groupOf, adapt.kind === "local-beats" ? local : undefined);
  return probabilities;
}
