/**
 * Classification metrics from integer labels and class scores.
 *
 * Every function takes optional per-sample `weights` (how many times each sample counts); the
 * bootstrap passes resampling counts there, so a resample never copies the data.
 *
 * Undefined values (a recall for a class with no samples, a precision for a class never
 * predicted, an AUC without positives or negatives) are `null`, never NaN, and the functions that
 * build a full report say so in `warnings`. Macro averages follow scikit-learn's defaults: they
 * average over the classes present in yTrue or yPred, counting an undefined per-class value as 0
 * (scikit-learn's zero_division=0), so a model that never predicts a rare class is not flattered.
 */
import { SpikemedError } from "../core/errors.js";

export type LabelArray = Int32Array | Uint8Array;
export type ScoreArray = Float32Array | Float64Array;
export type Weights = ArrayLike<number>;

/** Checks that yTrue and yPred are non-empty, of equal length and hold labels in [0, numClasses). */
export function checkLabels(yTrue: LabelArray, yPred: LabelArray | undefined, numClasses: number, where: string): void {
  if (!Number.isInteger(numClasses) || numClasses < 1)
    throw new SpikemedError(`${where}: the number of classes must be a positive integer, got ${numClasses}`);
  if (yTrue.length === 0) throw new SpikemedError(`${where}: no samples to evaluate (yTrue is empty)`);
  if (yPred && yPred.length !== yTrue.length)
    throw new SpikemedError(`${where}: yTrue has ${yTrue.length} labels but yPred has ${yPred.length}`);
  for (const [name, labels] of [["yTrue", yTrue], ["yPred", yPred]] as const) {
    if (!labels) continue;
    for (let i = 0; i < labels.length; i++) {
      const label = labels[i];
      if (label < 0 || label >= numClasses)
        throw new SpikemedError(
          `${where}: ${name}[${i}] is ${label}, outside the ${numClasses} classes 0..${numClasses - 1}`,
        );
    }
  }
}

function checkWeights(weights: Weights | undefined, n: number, where: string): void {
  if (weights && weights.length !== n)
    throw new SpikemedError(`${where}: ${weights.length} weights for ${n} samples`);
}

/** k*k counts, row-major: row = true class, column = predicted class. */
export function confusionMatrix(yTrue: LabelArray, yPred: LabelArray, numClasses: number, weights?: Weights): Float64Array {
  checkLabels(yTrue, yPred, numClasses, "confusionMatrix");
  checkWeights(weights, yTrue.length, "confusionMatrix");
  return confusionMatrixUnchecked(yTrue, yPred, numClasses, weights);
}

/** The inner loop of the bootstrap: labels were checked once before resampling. */
export function confusionMatrixUnchecked(
  yTrue: LabelArray,
  yPred: LabelArray,
  numClasses: number,
  weights?: Weights,
  out = new Float64Array(numClasses * numClasses),
): Float64Array {
  out.fill(0);
  if (weights) for (let i = 0; i < yTrue.length; i++) out[yTrue[i] * numClasses + yPred[i]] += weights[i];
  else for (let i = 0; i < yTrue.length; i++) out[yTrue[i] * numClasses + yPred[i]] += 1;
  return out;
}

export function accuracy(yTrue: LabelArray, yPred: LabelArray, weights?: Weights): number {
  if (yTrue.length !== yPred.length)
    throw new SpikemedError(`accuracy: yTrue has ${yTrue.length} labels but yPred has ${yPred.length}`);
  checkWeights(weights, yTrue.length, "accuracy");
  let correct = 0;
  let total = 0;
  for (let i = 0; i < yTrue.length; i++) {
    const w = weights ? weights[i] : 1;
    total += w;
    if (yTrue[i] === yPred[i]) correct += w;
  }
  if (total === 0) throw new SpikemedError("accuracy: no samples (or all weights are 0)");
  return correct / total;
}

export interface ClassMetrics {
  /** Samples whose true class is this one. */
  support: number;
  /** Samples predicted as this class. */
  predicted: number;
  truePositives: number;
  falsePositives: number;
  falseNegatives: number;
  trueNegatives: number;
  /** null when the class is never predicted. */
  precision: number | null;
  /** Sensitivity; null when the class has no samples. */
  recall: number | null;
  /** null when every sample belongs to this class. */
  specificity: number | null;
  /** FP / (FP + TN), AAMI EC57's false-positive rate (1 - specificity); null when every sample belongs to this class. */
  falsePositiveRate: number | null;
  /** null when the class is neither present nor predicted. */
  f1: number | null;
}

export interface ClassificationMetrics {
  numClasses: number;
  /** Total weight (the number of samples when unweighted). */
  total: number;
  accuracy: number;
  perClass: ClassMetrics[];
  /** Averages over the classes present in yTrue or yPred; undefined per-class values count as 0. */
  macroPrecision: number;
  macroRecall: number;
  macroF1: number;
  /** Per-class F1 weighted by support. */
  weightedF1: number;
  /** Cohen's kappa: agreement with the truth beyond what the two marginals give by chance; null when chance agreement is already 1. */
  kappa: number | null;
  /** Classes left out of the macro averages because they appear in neither yTrue nor yPred. */
  absentClasses: number[];
}

function ratio(numerator: number, denominator: number): number | null {
  return denominator > 0 ? numerator / denominator : null;
}

/** All count-based metrics from a confusion matrix (row = true class, column = predicted). */
export function metricsFromConfusion(matrix: ArrayLike<number>, numClasses: number): ClassificationMetrics {
  const k = numClasses;
  if (matrix.length !== k * k)
    throw new SpikemedError(`metricsFromConfusion: ${matrix.length} cells for ${k} classes (expected ${k * k})`);
  let total = 0;
  let correct = 0;
  for (let i = 0; i < k * k; i++) total += matrix[i];
  for (let c = 0; c < k; c++) correct += matrix[c * k + c];
  if (total === 0) throw new SpikemedError("metricsFromConfusion: the confusion matrix is empty (no samples)");
  const perClass: ClassMetrics[] = [];
  const absentClasses: number[] = [];
  let precisionSum = 0, recallSum = 0, f1Sum = 0, weightedF1Sum = 0, present = 0;
  for (let c = 0; c < k; c++) {
    let support = 0;
    let predicted = 0;
    for (let j = 0; j < k; j++) {
      support += matrix[c * k + j];
      predicted += matrix[j * k + c];
    }
    const tp = matrix[c * k + c];
    const fp = predicted - tp;
    const fn = support - tp;
    const tn = total - tp - fp - fn;
    const metrics: ClassMetrics = {
      support,
      predicted,
      truePositives: tp,
      falsePositives: fp,
      falseNegatives: fn,
      trueNegatives: tn,
      precision: ratio(tp, predicted),
      recall: ratio(tp, support),
      specificity: ratio(tn, tn + fp),
      falsePositiveRate: ratio(fp, tn + fp),
      f1: ratio(2 * tp, 2 * tp + fp + fn),
    };
    perClass.push(metrics);
    if (support === 0 && predicted === 0) {
      absentClasses.push(c);
      continue;
    }
    present++;
    precisionSum += metrics.precision ?? 0;
    recallSum += metrics.recall ?? 0;
    f1Sum += metrics.f1 ?? 0;
    weightedF1Sum += support * (metrics.f1 ?? 0);
  }
  return {
    numClasses: k,
    total,
    accuracy: correct / total,
    perClass,
    macroPrecision: precisionSum / present,
    macroRecall: recallSum / present,
    macroF1: f1Sum / present,
    weightedF1: weightedF1Sum / total,
    kappa: kappaFromConfusion(matrix, k, total),
    absentClasses,
  };
}

/**
 * Cohen's kappa of a confusion matrix (row = true class, column = predicted): (p_o - p_e) / (1 - p_e),
 * with p_o the share on the diagonal and p_e the agreement expected from the row and column totals
 * alone. null when p_e is 1 (truth and answers both one and the same class: 0/0).
 */
export function cohenKappa(matrix: ArrayLike<number>, numClasses: number): number | null {
  const k = numClasses;
  if (matrix.length !== k * k)
    throw new SpikemedError(`cohenKappa: ${matrix.length} cells for ${k} classes (expected ${k * k})`);
  let total = 0;
  for (let i = 0; i < k * k; i++) total += matrix[i];
  if (total === 0) throw new SpikemedError("cohenKappa: the confusion matrix is empty (no samples)");
  return kappaFromConfusion(matrix, k, total);
}

function kappaFromConfusion(matrix: ArrayLike<number>, k: number, total: number): number | null {
  let observed = 0;
  let chance = 0;
  for (let c = 0; c < k; c++) {
    observed += matrix[c * k + c];
    let row = 0;
    let column = 0;
    for (let j = 0; j < k; j++) {
      row += matrix[c * k + j];
      column += matrix[j * k + c];
    }
    chance += row * column;
  }
  observed /= total;
  chance /= total * total;
  return chance < 1 ? (observed - chance) / (1 - chance) : null;
}

export function classificationMetrics(
  yTrue: LabelArray,
  yPred: LabelArray,
  numClasses: number,
  weights?: Weights,
): ClassificationMetrics {
  return metricsFromConfusion(confusionMatrix(yTrue, yPred, numClasses, weights), numClasses);
}

/**
 * The class every sample was given although the samples hold several (the replication's
 * symptom), from the per-class counts of samples and of answers; null when the answers vary or
 * only one class is present.
 */
export function oneClassAnswered(support: ArrayLike<number>, predicted: ArrayLike<number>): number | null {
  let total = 0;
  let present = 0;
  for (let c = 0; c < support.length; c++) {
    total += support[c];
    if (support[c] > 0) present++;
  }
  if (present < 2) return null;
  for (let c = 0; c < predicted.length; c++) if (predicted[c] === total) return c;
  return null;
}

/** oneClassAnswered, said in words: the class, its share (the accuracy) and what to do. */
export function describeOneClassAnswer(perClass: readonly { support: number; predicted: number }[], classNames: readonly string[]): string | null {
  const only = oneClassAnswered(perClass.map((m) => m.support), perClass.map((m) => m.predicted));
  if (only === null) return null;
  const total = perClass.reduce((sum, m) => sum + m.support, 0);
  const share = (100 * perClass[only].support) / total;
  return `every one of the ${total} samples is predicted as class ${classNames[only] ?? only}: the network answers one class whatever the input, ` +
    `so its accuracy is that class's share (${share.toFixed(1)}%) and it tells nothing apart; retrain it (see the run's warnings: --balance weights, more time steps or epochs, another learning rate).`;
}

/** Plain-language notes on every null in `metrics`, and on a network that answers one class, for reports. */
export function describeUndefinedMetrics(metrics: ClassificationMetrics, classNames: readonly string[]): string[] {
  const oneClass = describeOneClassAnswer(metrics.perClass, classNames);
  const notes: string[] = oneClass ? [oneClass] : [];
  metrics.perClass.forEach((m, c) => {
    const name = `class ${classNames[c] ?? c}`;
    if (m.support === 0 && m.predicted === 0)
      notes.push(`${name} has no samples and is never predicted: its metrics are undefined (null) and it is left out of the macro averages.`);
    else if (m.support === 0)
      notes.push(`${name} has no samples: its recall and AUC are undefined (null); it is predicted ${m.predicted} times, so its F1 is 0 and it counts as recall 0 in the macro recall.`);
    else if (m.predicted === 0)
      notes.push(`${name} is never predicted: its precision is undefined (null) and counts as 0 in the macro precision.`);
    if (m.specificity === null && m.support > 0)
      notes.push(`every sample belongs to ${name}: its specificity and false-positive rate are undefined (null).`);
  });
  if (metrics.kappa === null)
    notes.push("Cohen's kappa is undefined (null): the samples and the answers all belong to one and the same class, so chance agreement is already complete.");
  return notes;
}

// ---------------------------------------------------------------------------------------------
// ROC AUC

function checkScores(scores: ScoreArray, where: string): void {
  for (let i = 0; i < scores.length; i++)
    if (!Number.isFinite(scores[i])) throw new SpikemedError(`${where}: score ${i} is ${scores[i]}, not a finite number`);
}

/**
 * One binary ROC problem (positives vs the rest, ranked by score), sorted once so that each AUC,
 * including each bootstrap resample's, is a single O(n) pass over the ranking.
 * `stride`/`offset` read a column of an n*k row-major probability matrix without copying it.
 */
export class RocRanking {
  /** Sample indices by ascending score (ties by index, for determinism). */
  readonly order: Int32Array;
  /** Scores in ranking order. */
  readonly sortedScores: Float64Array;
  /** 1 where the sample at that rank is positive. */
  readonly sortedPositive: Uint8Array;
  /** Exclusive end rank of each group of tied scores. */
  readonly groupEnds: Int32Array;

  constructor(scores: ScoreArray, n: number, isPositive: (sample: number) => boolean, stride = 1, offset = 0) {
    const order = new Int32Array(n);
    for (let i = 0; i < n; i++) order[i] = i;
    order.sort((a, b) => scores[a * stride + offset] - scores[b * stride + offset] || a - b);
    this.order = order;
    this.sortedScores = new Float64Array(n);
    this.sortedPositive = new Uint8Array(n);
    const ends: number[] = [];
    for (let j = 0; j < n; j++) {
      this.sortedScores[j] = scores[order[j] * stride + offset];
      this.sortedPositive[j] = isPositive(order[j]) ? 1 : 0;
      if (j > 0 && this.sortedScores[j] !== this.sortedScores[j - 1]) ends.push(j);
    }
    if (n > 0) ends.push(n);
    this.groupEnds = Int32Array.from(ends);
  }

  /**
   * Area under the ROC curve as the Mann-Whitney U statistic over positives and negatives:
   * U = sum over positives of (negatives scored lower + half the negatives scored equal),
   * AUC = U / (positives * negatives). Ties count one half, as in the rank-sum formula with mid-ranks.
   * null when there are no positives or no negatives.
   */
  auc(weights?: Weights): number | null {
    const { order, sortedPositive, groupEnds } = this;
    let negativesBelow = 0;
    let positives = 0;
    let u = 0;
    let start = 0;
    for (let g = 0; g < groupEnds.length; g++) {
      const end = groupEnds[g];
      let groupPositives = 0;
      let groupNegatives = 0;
      if (weights)
        for (let j = start; j < end; j++) {
          const w = weights[order[j]];
          const positive = sortedPositive[j];
          groupPositives += positive * w;
          groupNegatives += (1 - positive) * w;
        }
      else
        for (let j = start; j < end; j++) {
          groupPositives += sortedPositive[j];
          groupNegatives += 1 - sortedPositive[j];
        }
      u += groupPositives * (negativesBelow + 0.5 * groupNegatives);
      negativesBelow += groupNegatives;
      positives += groupPositives;
      start = end;
    }
    return positives > 0 && negativesBelow > 0 ? u / (positives * negativesBelow) : null;
  }

  /**
   * ROC curve points at every distinct score, as scikit-learn's roc_curve: with `dropIntermediate`
   * (default true) points in the middle of a straight run are dropped, as scikit-learn does.
   * null when there are no positives or no negatives.
   */
  curve(dropIntermediate = true): RocCurve | null {
    const { sortedScores, sortedPositive, groupEnds } = this;
    // Cumulative true and false positives walking down from the highest score, one entry per distinct score.
    const groups = groupEnds.length;
    const tps = new Float64Array(groups);
    const fps = new Float64Array(groups);
    const thresholds = new Float64Array(groups);
    let tp = 0;
    let fp = 0;
    for (let g = groups - 1, m = 0; g >= 0; g--, m++) {
      const start = g > 0 ? groupEnds[g - 1] : 0;
      for (let j = start; j < groupEnds[g]; j++) {
        if (sortedPositive[j]) tp++;
        else fp++;
      }
      tps[m] = tp;
      fps[m] = fp;
      thresholds[m] = sortedScores[start];
    }
    if (tp === 0 || fp === 0) return null;
    const keep: number[] = [];
    for (let i = 0; i < groups; i++)
      if (
        !dropIntermediate ||
        i === 0 ||
        i === groups - 1 ||
        fps[i + 1] - 2 * fps[i] + fps[i - 1] !== 0 ||
        tps[i + 1] - 2 * tps[i] + tps[i - 1] !== 0
      )
        keep.push(i);
    const curve: RocCurve = {
      fpr: new Float64Array(keep.length + 1),
      tpr: new Float64Array(keep.length + 1),
      thresholds: new Float64Array(keep.length + 1),
    };
    curve.thresholds[0] = Infinity;
    keep.forEach((i, m) => {
      curve.fpr[m + 1] = fps[i] / fp;
      curve.tpr[m + 1] = tps[i] / tp;
      curve.thresholds[m + 1] = thresholds[i];
    });
    return curve;
  }
}

/** Binary ROC AUC: `isPositive[i]` is 1 for a positive sample, 0 for a negative; higher score = more positive. */
export function rocAuc(isPositive: LabelArray, scores: ScoreArray, weights?: Weights): number | null {
  if (isPositive.length !== scores.length)
    throw new SpikemedError(`rocAuc: ${isPositive.length} labels but ${scores.length} scores`);
  if (isPositive.length === 0) throw new SpikemedError("rocAuc: no samples");
  for (let i = 0; i < isPositive.length; i++)
    if (isPositive[i] !== 0 && isPositive[i] !== 1)
      throw new SpikemedError(`rocAuc: label ${i} is ${isPositive[i]}; binary labels must be 0 or 1`);
  checkScores(scores, "rocAuc");
  checkWeights(weights, scores.length, "rocAuc");
  return new RocRanking(scores, scores.length, (i) => isPositive[i] === 1).auc(weights);
}

export interface OneVsRestAuc {
  /** AUC of class c against all others, scored by column c; null when c has no samples (or only c). */
  perClass: (number | null)[];
  /** Mean over the classes whose AUC is defined; null when none is. */
  macro: number | null;
}

/** Checks an n*k row-major probability (or score) matrix. */
export function checkProbabilities(probabilities: ScoreArray, n: number, numClasses: number, where: string): void {
  if (probabilities.length !== n * numClasses)
    throw new SpikemedError(
      `${where}: probabilities have ${probabilities.length} values; expected ${n} samples x ${numClasses} classes = ${n * numClasses}`,
    );
  checkScores(probabilities, where);
}

/** One-vs-rest ROC AUC per class from n*k row-major class probabilities, and their macro mean. */
export function rocAucOneVsRest(
  yTrue: LabelArray,
  probabilities: ScoreArray,
  numClasses: number,
  weights?: Weights,
): OneVsRestAuc {
  checkLabels(yTrue, undefined, numClasses, "rocAucOneVsRest");
  checkProbabilities(probabilities, yTrue.length, numClasses, "rocAucOneVsRest");
  checkWeights(weights, yTrue.length, "rocAucOneVsRest");
  const perClass: (number | null)[] = [];
  for (let c = 0; c < numClasses; c++)
    perClass.push(new RocRanking(probabilities, yTrue.length, (i) => yTrue[i] === c, numClasses, c).auc(weights));
  return { perClass, macro: meanOfDefined(perClass) };
}

export function meanOfDefined(values: readonly (number | null)[]): number | null {
  let sum = 0;
  let count = 0;
  for (const v of values)
    if (v !== null) {
      sum += v;
      count++;
    }
  return count > 0 ? sum / count : null;
}

export interface RocCurve {
  /** False positive rate at each threshold, increasing from 0 to 1. */
  fpr: Float64Array;
  /** True positive rate at each threshold, increasing from 0 to 1. */
  tpr: Float64Array;
  /** Decreasing thresholds: a sample is called positive when its score >= threshold; the first is +Infinity (nothing positive). */
  thresholds: Float64Array;
}

/** Binary ROC curve from 0/1 labels and scores. */
export function rocCurveBinary(isPositive: LabelArray, scores: ScoreArray, dropIntermediate = true): RocCurve | null {
  if (isPositive.length !== scores.length)
    throw new SpikemedError(`rocCurveBinary: ${isPositive.length} labels but ${scores.length} scores`);
  checkScores(scores, "rocCurveBinary");
  return new RocRanking(scores, scores.length, (i) => isPositive[i] === 1).curve(dropIntermediate);
}

/**
 * Fewer points for plotting: keeps a point when it moved at least `minStep` (in FPR or TPR) from
 * the last kept one, plus the last point. At 0.002 the picture is unchanged at report sizes.
 */
export function thinCurve(fpr: ArrayLike<number>, tpr: ArrayLike<number>, minStep = 0.002): { fpr: number[]; tpr: number[] } {
  const out = { fpr: [fpr[0]], tpr: [tpr[0]] };
  for (let i = 1; i < fpr.length; i++) {
    const last = out.fpr.length - 1;
    const isEnd = i === fpr.length - 1;
    if (isEnd || Math.abs(fpr[i] - out.fpr[last]) >= minStep || Math.abs(tpr[i] - out.tpr[last]) >= minStep) {
      out.fpr.push(fpr[i]);
      out.tpr.push(tpr[i]);
    }
  }
  return out;
}

/** Predicted class per row: the highest probability, the lowest index on ties. */
export function argmaxRows(probabilities: ScoreArray, n: number, numClasses: number): Int32Array {
  checkProbabilities(probabilities, n, numClasses, "argmaxRows");
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let c = 1; c < numClasses; c++)
      if (probabilities[i * numClasses + c] > probabilities[i * numClasses + best]) best = c;
    out[i] = best;
  }
  return out;
}
