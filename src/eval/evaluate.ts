/**
 * One call that evaluates a classifier's predictions on a data set: every metric with its
 * bootstrap interval, the confusion matrix and ROC curves, as plain JSON-ready data.
 */
import { SpikemedError } from "../core/errors.js";
import {
  RocRanking,
  argmaxRows,
  checkLabels,
  checkProbabilities,
  confusionMatrixUnchecked,
  describeUndefinedMetrics,
  meanOfDefined,
  metricsFromConfusion,
  thinCurve,
  type LabelArray,
  type ScoreArray,
} from "./metrics.js";
import {
  bootstrapMany,
  bootstrapSettings,
  summarizeSeeds,
  type BootstrapOptions,
  type BootstrapSettings,
  type Interval,
  type SeedSummary,
} from "./stats.js";

export interface EvaluateInput {
  classNames: readonly string[];
  yTrue: LabelArray;
  /** Predicted classes; when absent, the argmax of `probabilities`. */
  yPred?: LabelArray;
  /** n*k row-major class probabilities (or any scores where higher = more likely); enables ROC AUC. */
  probabilities?: ScoreArray;
  /** Bootstrap settings, or false for point estimates only (lower/upper stay null). Default: 1000 resamples, seed 0. */
  bootstrap?: BootstrapOptions | false;
}

export interface ClassEvaluation {
  name: string;
  support: number;
  predicted: number;
  /** Positive predictivity (+P): TP / (TP + FP). */
  precision: Interval;
  /** Sensitivity (Se): TP / (TP + FN). */
  recall: Interval;
  specificity: Interval;
  /** FP / (FP + TN) (AAMI EC57); absent from reports written before it was recorded. */
  falsePositiveRate?: Interval;
  f1: Interval;
  /** One-vs-rest ROC AUC; null without probabilities. */
  auc: Interval | null;
}

export interface RocCurvePoints {
  className: string;
  auc: number | null;
  /** Thinned for plotting (points closer than 0.002 in both rates are merged). */
  fpr: number[];
  tpr: number[];
}

export interface ClassificationEvaluation {
  n: number;
  classNames: string[];
  /** counts[true][predicted]. */
  confusionMatrix: number[][];
  accuracy: Interval;
  macroPrecision: Interval;
  macroRecall: Interval;
  macroF1: Interval;
  weightedF1: Interval;
  /** Cohen's kappa; absent from reports written before it was recorded. */
  kappa?: Interval;
  /** Mean of the defined one-vs-rest AUCs (for 2 classes, the binary AUC of class 1); null without probabilities. */
  macroAuc: Interval | null;
  perClass: ClassEvaluation[];
  /** One-vs-rest ROC curves of the classes with both positives and negatives. */
  rocCurves: RocCurvePoints[];
  bootstrap: BootstrapSettings | null;
  /** Why some values are null. */
  warnings: string[];
}

/** The statistics every evaluation bootstraps, over all samples and per class. */
const HEADLINE = ["accuracy", "macroPrecision", "macroRecall", "macroF1", "weightedF1", "kappa"] as const;
const PER_CLASS = ["precision", "recall", "specificity", "falsePositiveRate", "f1"] as const;

const pointOnly = (value: number | null): Interval => ({ estimate: value, lower: null, upper: null, undefinedResamples: 0 });

export function evaluateClassifier(input: EvaluateInput): ClassificationEvaluation {
  const where = "evaluateClassifier";
  const k = input.classNames.length;
  const { yTrue, probabilities } = input;
  const n = yTrue.length;
  if (k < 2) throw new SpikemedError(`${where}: needs at least 2 class names, got ${k}`);
  if (!input.yPred && !probabilities) throw new SpikemedError(`${where}: give yPred, probabilities, or both`);
  if (probabilities) checkProbabilities(probabilities, n, k, where);
  const yPred = input.yPred ?? argmaxRows(probabilities as ScoreArray, n, k);
  checkLabels(yTrue, yPred, k, where);

  // One-vs-rest for every class; with 2 classes whose probabilities sum to 1 both equal the binary AUC.
  const rankings = probabilities
    ? Array.from({ length: k }, (_, c) => new RocRanking(probabilities, n, (i) => yTrue[i] === c, k, c))
    : [];

  // Statistic layout: the HEADLINE statistics, then PER_CLASS ones for each class, then the AUCs and their macro mean.
  const matrix = new Float64Array(k * k);
  const statistics = (weights?: Int32Array): (number | null)[] => {
    const m = metricsFromConfusion(confusionMatrixUnchecked(yTrue, yPred, k, weights, matrix), k);
    const out: (number | null)[] = HEADLINE.map((name) => m[name]);
    for (const c of m.perClass) out.push(...PER_CLASS.map((name) => c[name]));
    const aucs = rankings.map((r) => r.auc(weights));
    out.push(...aucs, meanOfDefined(aucs));
    return out;
  };

  let intervals: Interval[];
  let settings: BootstrapSettings | null = null;
  if (input.bootstrap === false) intervals = statistics().map(pointOnly);
  else {
    settings = bootstrapSettings(input.bootstrap);
    intervals = bootstrapMany(n, statistics, settings);
  }
  const headline = (name: (typeof HEADLINE)[number]) => intervals[HEADLINE.indexOf(name)];
  const ofClass = (c: number, name: (typeof PER_CLASS)[number]) => intervals[HEADLINE.length + PER_CLASS.length * c + PER_CLASS.indexOf(name)];
  const aucAt = HEADLINE.length + PER_CLASS.length * k;

  const fullMatrix = confusionMatrixUnchecked(yTrue, yPred, k);
  const full = metricsFromConfusion(fullMatrix, k);
  const classNames = [...input.classNames];
  const warnings = describeUndefinedMetrics(full, classNames);
  const perClass: ClassEvaluation[] = full.perClass.map((m, c) => ({
    name: classNames[c],
    support: m.support,
    predicted: m.predicted,
    precision: ofClass(c, "precision"),
    recall: ofClass(c, "recall"),
    specificity: ofClass(c, "specificity"),
    falsePositiveRate: ofClass(c, "falsePositiveRate"),
    f1: ofClass(c, "f1"),
    auc: probabilities ? intervals[aucAt + c] : null,
  }));

  const rocCurves: RocCurvePoints[] = [];
  rankings.forEach((r, c) => {
    const curve = r.curve();
    if (curve)
      rocCurves.push({ className: classNames[c], auc: intervals[aucAt + c].estimate, ...thinCurve(curve.fpr, curve.tpr) });
    else warnings.push(`class ${classNames[c]}: no ROC curve or AUC (it needs samples of the class and of other classes).`);
  });
  if (settings) {
    const unstable = (name: string, interval: Interval | null) => {
      if (interval && interval.estimate !== null && interval.undefinedResamples > 0)
        warnings.push(`${name} was undefined in ${interval.undefinedResamples} of ${settings?.resamples} bootstrap resamples (too few samples); its interval uses the others.`);
    };
    perClass.forEach((c) => {
      unstable(`recall of class ${c.name}`, c.recall);
      unstable(`precision of class ${c.name}`, c.precision);
    });
  }

  return {
    n,
    classNames,
    confusionMatrix: Array.from({ length: k }, (_, r) => Array.from(fullMatrix.subarray(r * k, r * k + k))),
    accuracy: headline("accuracy"),
    macroPrecision: headline("macroPrecision"),
    macroRecall: headline("macroRecall"),
    macroF1: headline("macroF1"),
    weightedF1: headline("weightedF1"),
    kappa: headline("kappa"),
    macroAuc: probabilities ? intervals[intervals.length - 1] : null,
    perClass,
    rocCurves,
    bootstrap: settings,
    warnings,
  };
}

/** The headline metrics of several runs of the same experiment (one per seed), each as mean, std and t interval. */
export interface SeedAggregate {
  seeds: number[];
  accuracy: SeedSummary;
  macroF1: SeedSummary;
  weightedF1: SeedSummary;
  macroAuc: SeedSummary | null;
  /** Absent, like each class's precision and false-positive rate, from reports written before they were recorded. */
  kappa?: SeedSummary | null;
  perClass: { name: string; recall: SeedSummary | null; precision?: SeedSummary | null; falsePositiveRate?: SeedSummary | null; f1: SeedSummary | null }[];
  notes: string[];
}

/** Mean and 95% (or `confidence`) t interval across seeds of each headline metric's point estimate. */
export function summarizeEvaluations(
  seeds: readonly number[],
  evaluations: readonly ClassificationEvaluation[],
  confidence = 0.95,
): SeedAggregate {
  if (evaluations.length === 0) throw new SpikemedError("summarizeEvaluations: no evaluations to summarize");
  if (seeds.length !== evaluations.length)
    throw new SpikemedError(`summarizeEvaluations: ${seeds.length} seeds for ${evaluations.length} evaluations`);
  const names = evaluations[0].classNames;
  evaluations.forEach((e, i) => {
    if (e.classNames.join("\u0000") !== names.join("\u0000"))
      throw new SpikemedError(`summarizeEvaluations: seed ${seeds[i]} has classes ${e.classNames.join(",")}, expected ${names.join(",")}`);
  });
  const notes: string[] = [];
  const over = (label: string, pick: (e: ClassificationEvaluation) => Interval | null): SeedSummary | null => {
    const values: number[] = [];
    evaluations.forEach((e) => {
      const v = pick(e)?.estimate;
      if (v !== null && v !== undefined) values.push(v);
    });
    if (values.length === 0) notes.push(`${label}: undefined in every seed (n/a).`);
    else if (values.length < evaluations.length)
      notes.push(`${label}: undefined in ${evaluations.length - values.length} of ${evaluations.length} seeds, summarized over the others.`);
    return values.length ? summarizeSeeds(values, confidence) : null;
  };
  const required = (label: string, pick: (e: ClassificationEvaluation) => Interval): SeedSummary =>
    over(label, pick) as SeedSummary;
  return {
    seeds: [...seeds],
    accuracy: required("accuracy", (e) => e.accuracy),
    macroF1: required("macro-F1", (e) => e.macroF1),
    weightedF1: required("weighted F1", (e) => e.weightedF1),
    macroAuc: evaluations.every((e) => e.macroAuc) ? over("macro AUC", (e) => e.macroAuc) : null,
    kappa: over("Cohen's kappa", (e) => e.kappa ?? null),
    perClass: names.map((name, c) => ({
      name,
      recall: over(`sensitivity (recall) of class ${name}`, (e) => e.perClass[c].recall),
      precision: over(`positive predictivity (precision) of class ${name}`, (e) => e.perClass[c].precision),
      falsePositiveRate: over(`false-positive rate of class ${name}`, (e) => e.perClass[c].falsePositiveRate ?? null),
      f1: over(`F1 of class ${name}`, (e) => e.perClass[c].f1),
    })),
    notes,
  };
}
