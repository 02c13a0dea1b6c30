/**
 * Patient adaptation after the network: a small classifier of the test record's own beats (its
 * k nearest neighbours among reference beats of the same record, in the model's z-scored
 * measurements), combined with the network's probabilities by a weighted product, as de Chazal &
 * Reilly 2006 combine a local classifier of each patient's first minutes with their global one.
 * The reference beats are either the record's labelled first minutes (`--adapt local-beats N`) or
 * its own beats that the network classifies with confidence, labelled by the network
 * (`--adapt self-training`: no label read). Both leave the network as trained. Also here:
 * `--adapt patient-specific`'s last step, each record's probabilities moved towards its labelled
 * local beats' class frequencies (shiftPrior).
 */
import { SpikemedError } from "../core/errors.js";
import { BatchNorm } from "../model/layers.js";
import type { Network } from "../model/network.js";
import type { ClassificationData } from "../train/data.js";
import { batchBuffers } from "../train/data.js";

/**
 * The settings of the local stage, chosen by cross-validation over DS1's records with the network
 * trained on the other folds (bench/ecg-adapt-cv.ts; bench/results/ecg-inter.md), never on DS2.
 */
export interface LocalStageSettings {
  /** Neighbours that vote. */
  k: number;
  /** Added to every class's vote count, so a class no neighbour has keeps a small probability. */
  smoothing: number;
  /** Exponent of the local probabilities in the product (the network's is 1 - weight). */
  weight: number;
}

/** `--adapt local-beats N`'s stage (DS1 cross-validation, bench/results/ecg-inter.md). */
export const LOCAL_BEATS_STAGE: LocalStageSettings = { k: 3, smoothing: 0.1, weight: 0.7 };

/** `--adapt self-training`'s stage and the confidence a beat needs to become a reference beat. */
export const SELF_TRAINING_STAGE: LocalStageSettings & { confidence: number } = { k: 10, smoothing: 1, weight: 0.5, confidence: 0.6 };

/** The per-sample measurements of `indices` (their batches' features field), one row each. */
export function featureRows(data: Pick<ClassificationData, "inputShape" | "featureNames" | "fill">, indices: ArrayLike<number>): Float32Array {
  const width = data.featureNames?.length ?? 0;
  if (width === 0) throw new RangeError("the local stage reads the model's per-beat measurements, and this data has none");
  const buffers = batchBuffers(data, indices.length);
  data.fill(indices, buffers);
  return buffers.features!;
}

/** Mean and inverse standard deviation of each column of `rows` (the training beats'), 0 for a constant column; bench/ecg-adapt-cv.ts's scaling, where no trained batch-norm layer is kept. */
export function columnScaling(rows: Float32Array, width: number): { mean: Float64Array; scale: Float64Array } {
  const n = rows.length / width;
  const mean = new Float64Array(width);
  const variance = new Float64Array(width);
  for (let r = 0; r < n; r++) for (let f = 0; f < width; f++) mean[f] += rows[r * width + f] / n;
  for (let r = 0; r < n; r++) for (let f = 0; f < width; f++) variance[f] += (rows[r * width + f] - mean[f]) ** 2 / n;
  return { mean, scale: Float64Array.from(variance, (v) => (v > 1e-12 ? 1 / Math.sqrt(v) : 0)) };
}

/** `rows` z-scored column by column. */
export function scaleRows(rows: Float32Array, scaling: { mean: Float64Array; scale: Float64Array }): Float32Array {
  const width = scaling.mean.length;
  return Float32Array.from(rows, (v, i) => (v - scaling.mean[i % width]) * scaling.scale[i % width]);
}

/**
 * Class probabilities of each query row from its k nearest reference rows (Euclidean): the votes
 * of each class plus `smoothing`, over k plus `smoothing` x classes. `selfOf[q]`, when given, is
 * the reference row that is query q itself (-1 for none), which does not vote for it.
 */
export function neighbourProbabilities(reference: Float32Array, referenceLabels: ArrayLike<number>, query: Float32Array, width: number, classes: number,
  settings: Pick<LocalStageSettings, "k" | "smoothing">, selfOf?: Int32Array): Float32Array {
  const references = referenceLabels.length;
  const queries = query.length / width;
  const out = new Float32Array(queries * classes);
  const k = Math.min(settings.k, references - (selfOf ? 1 : 0));
  const bestDistance = new Float64Array(Math.max(k, 1));
  const bestLabel = new Int32Array(Math.max(k, 1));
  for (let q = 0; q < queries; q++) {
    let found = 0;
    for (let r = 0; r < references && k > 0; r++) {
      if (selfOf && selfOf[q] === r) continue;
      let d = 0;
      for (let f = 0; f < width; f++) {
        const diff = query[q * width + f] - reference[r * width + f];
        d += diff * diff;
      }
      if (found === k && d >= bestDistance[k - 1]) continue;
      // Insertion into the sorted list of the k nearest so far (ties keep the earlier reference).
      let at = found < k ? found++ : k - 1;
      while (at > 0 && bestDistance[at - 1] > d) {
        bestDistance[at] = bestDistance[at - 1];
        bestLabel[at] = bestLabel[at - 1];
        at--;
      }
      bestDistance[at] = d;
      bestLabel[at] = referenceLabels[r];
    }
    const total = found + settings.smoothing * classes;
    for (let c = 0; c < classes; c++) out[q * classes + c] = total > 0 ? settings.smoothing / total : 1 / classes;
    for (let j = 0; j < found; j++) out[q * classes + bestLabel[j]] += 1 / total;
  }
  return out;
}

/** Row by row, p_network^(1 - weight) x p_local^weight, normalised to sum to 1. */
export function combineProbabilities(network: Float32Array, local: Float32Array, classes: number, weight: number): Float32Array {
  const out = new Float32Array(network.length);
  for (let r = 0; r < network.length / classes; r++) {
    let sum = 0;
    for (let c = 0; c < classes; c++) {
      const i = r * classes + c;
      out[i] = Math.exp((1 - weight) * Math.log(Math.max(network[i], 1e-12)) + weight * Math.log(Math.max(local[i], 1e-12)));
      sum += out[i];
    }
    for (let c = 0; c < classes; c++) out[r * classes + c] /= sum;
  }
  return out;
}

/**
 * Each row times `prior` to the power `gamma`, normalised: Bayes' rule moving a network trained on
 * balanced classes (loss weights n / (K n_c), so its implied prior is uniform) to a record's own class
 * frequencies (Saerens et al. 2002); gamma 1 is the full shift, 0 none.
 */
export function shiftPrior(probabilities: Float32Array, classes: number, prior: ArrayLike<number>, gamma: number): Float32Array {
  const out = new Float32Array(probabilities.length);
  for (let r = 0; r < probabilities.length / classes; r++) {
    let sum = 0;
    for (let c = 0; c < classes; c++) sum += out[r * classes + c] = probabilities[r * classes + c] * Math.max(prior[c], 1e-12) ** gamma;
    for (let c = 0; c < classes; c++) out[r * classes + c] /= sum;
  }
  return out;
}

/**
 * --adapt patient-specific's last step: each test record's probabilities shifted (shiftPrior) to its
 * labelled local beats' class frequencies, `smoothing` added to every class's count; a record without
 * local beats keeps the network's.
 */
export function localPriorProbabilities(test: { probabilities: Float32Array; groups: readonly unknown[] }, local: { labels: ArrayLike<number>; groups: readonly unknown[] },
  classes: number, settings: { smoothing: number; gamma: number }): Float32Array {
  const out = test.probabilities.slice();
  const counts = new Map<unknown, Float64Array>();
  for (let j = 0; j < local.labels.length; j++) {
    if (!counts.has(local.groups[j])) counts.set(local.groups[j], new Float64Array(classes));
    counts.get(local.groups[j])![local.labels[j]]++;
  }
  for (const [group, rows] of rowsByGroup(Int32Array.from(test.groups.keys()), test.groups)) {
    const count = counts.get(group);
    if (!count) continue;
    const n = count.reduce((a, b) => a + b, 0);
    const prior = Float64Array.from(count, (c) => (c + settings.smoothing) / (n + settings.smoothing * classes));
    const shifted = shiftPrior(pickRows(test.probabilities, classes, rows), classes, prior, settings.gamma);
    rows.forEach((row, j) => out.set(shifted.subarray(j * classes, (j + 1) * classes), row * classes));
  }
  return out;
}

/** Rows of `indices` by group, in order: group -> positions in `indices`. */
export function rowsByGroup(indices: ArrayLike<number>, groupOf: ArrayLike<unknown>): Map<unknown, number[]> {
  const members = new Map<unknown, number[]>();
  for (let row = 0; row < indices.length; row++) {
    const group = groupOf[indices[row]];
    const rows = members.get(group);
    if (rows) rows.push(row);
    else members.set(group, [row]);
  }
  return members;
}

/** The rows at `positions` of a matrix of `width` columns, in that order. */
export function pickRows(rows: Float32Array, width: number, positions: readonly number[]): Float32Array {
  const out = new Float32Array(positions.length * width);
  positions.forEach((p, j) => out.set(rows.subarray(p * width, (p + 1) * width), j * width));
  return out;
}

/**
 * The patient-specific local stage: each test beat's probabilities are the network's combined with
 * the vote of its nearest labelled local beats of the same record (`local`, its rows and labels).
 * A record without local beats keeps the network's probabilities. Rows are z-scored measurements.
 */
export function localBeatsProbabilities(test: { rows: Float32Array; probabilities: Float32Array; groups: readonly unknown[] },
  local: { rows: Float32Array; labels: ArrayLike<number>; groups: readonly unknown[] }, width: number, classes: number, settings: LocalStageSettings = LOCAL_BEATS_STAGE): Float32Array {
  const out = test.probabilities.slice();
  const localOf = rowsByGroup(Int32Array.from(local.groups.keys()), local.groups);
  for (const [group, rows] of rowsByGroup(Int32Array.from(test.groups.keys()), test.groups)) {
    const references = localOf.get(group);
    if (!references || references.length === 0) continue;
    const votes = neighbourProbabilities(pickRows(local.rows, width, references), Int32Array.from(references, (r) => local.labels[r]), pickRows(test.rows, width, rows), width, classes, settings);
    const combined = combineProbabilities(pickRows(test.probabilities, classes, rows), votes, classes, settings.weight);
    rows.forEach((row, j) => out.set(combined.subarray(j * classes, (j + 1) * classes), row * classes));
  }
  return out;
}

/**
 * The label-free local stage: within each record, the beats the network classifies with at least
 * `confidence` become reference beats labelled by the network's choice; every beat of the record
 * is then combined with the vote of its nearest reference beats (itself excluded). No label is
 * read. A record with no confident beat keeps the network's probabilities.
 */
export function selfTrainingProbabilities(test: { rows: Float32Array; probabilities: Float32Array; groups: readonly unknown[] }, width: number, classes: number,
  settings: LocalStageSettings & { confidence: number } = SELF_TRAINING_STAGE): Float32Array {
  const out = test.probabilities.slice();
  for (const rows of rowsByGroup(Int32Array.from(test.groups.keys()), test.groups).values()) {
    const references: number[] = [];
    const labels: number[] = [];
    const selfOf = new Int32Array(rows.length).fill(-1);
    rows.forEach((row, j) => {
      let best = 0;
      for (let c = 1; c < classes; c++) if (test.probabilities[row * classes + c] > test.probabilities[row * classes + best]) best = c;
      if (test.probabilities[row * classes + best] < settings.confidence) return;
      selfOf[j] = references.length;
      references.push(row);
      labels.push(best);
    });
    if (references.length < 2) continue;
    const votes = neighbourProbabilities(pickRows(test.rows, width, references), labels, pickRows(test.rows, width, rows), width, classes, settings, selfOf);
    const combined = combineProbabilities(pickRows(test.probabilities, classes, rows), votes, classes, settings.weight);
    rows.forEach((row, j) => out.set(combined.subarray(j * classes, (j + 1) * classes), row * classes));
  }
  return out;
}

/**
 * The z-scoring of the local stage's distances: the running mean and variance of the network's
 * batch-norm layer over its `width` measurements (the training beats' statistics, as the network
 * itself z-scores them), so that `train`, `evaluate` and `predict` on a lone record scale alike.
 */
export function measurementScaling(network: Network, width: number): { mean: Float64Array; scale: Float64Array } {
  const layer = network.layers.find((l): l is BatchNorm => l instanceof BatchNorm && l.channels === width);
  if (!layer) {
    throw new SpikemedError(`the local adaptation stage measures distances between beats in the model's z-scored measurements, and this model has no batch-norm layer over its ${width} measurements`,
      "use a model with one, e.g. --model snn-families or mlp-families");
  }
  const variance = layer.runningVar.data;
  return { mean: Float64Array.from(layer.runningMean.data), scale: Float64Array.from(variance, (v) => 1 / Math.sqrt(v + layer.eps)) };
}

/**
 * The local stage on the network's probabilities of the beats at `indices` (rows in that order):
 * `local` given, each record's labelled local beats vote (--adapt local-beats); otherwise each
 * record's confident beats, labelled by the network (--adapt self-training). `groupOf` is each
 * sample's record.
 */
export function adaptLocally(network: Network, data: ClassificationData, indices: Int32Array, probabilities: Float32Array, groupOf: readonly unknown[],
  local?: Int32Array): Float32Array {
  const width = data.featureNames?.length ?? 0;
  const scaling = measurementScaling(network, width);
  const classes = data.classNames.length;
  const test = { rows: scaleRows(featureRows(data, indices), scaling), probabilities, groups: Array.from(indices, (i) => groupOf[i]) };
  if (!local) return selfTrainingProbabilities(test, width, classes);
  return localBeatsProbabilities(test, { rows: scaleRows(featureRows(data, local), scaling), labels: Array.from(local, (i) => data.labels[i]), groups: Array.from(local, (i) => groupOf[i]) },
    width, classes);
}
