import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import {
  accuracy,
  argmaxRows,
  classificationMetrics,
  cohenKappa,
  confusionMatrix,
  metricsFromConfusion,
  summarizeEvaluations,
  describeOneClassAnswer,
  describeUndefinedMetrics,
  evaluateClassifier,
  rocAuc,
  rocAucOneVsRest,
  rocCurveBinary,
  thinCurve,
  RocRanking,
} from "../../src/eval/index.js";
import { SpikemedError } from "../../src/core/errors.js";
import { Rng } from "../../src/core/random.js";

const close = (actual: number | null, expected: number | null, tolerance = 1e-12, what = "") => {
  if (expected === null) return assert.equal(actual, null, `${what}: expected null`);
  assert.ok(actual !== null, `${what}: got null, expected ${expected}`);
  assert.ok(Math.abs(actual - expected) <= tolerance, `${what}: ${actual} vs ${expected}`);
};

test("hand-computed 3-class example", () => {
  // yTrue 0 0 0 1 1 2 2 2, yPred 0 0 1 1 2 2 2 0
  // confusion (rows true): [2 1 0; 0 1 1; 1 0 2], 5 of 8 correct.
  // class 0: tp 2, fp 1, fn 1, tn 4 -> P 2/3, R 2/3, spec 4/5, F1 4/6
  // class 1: tp 1, fp 1, fn 1, tn 5 -> P 1/2, R 1/2, spec 5/6, F1 2/4
  // class 2: tp 2, fp 1, fn 1, tn 4 -> P 2/3, R 2/3, spec 4/5, F1 4/6
  // macro-F1 (2/3 + 1/2 + 2/3) / 3 = 11/18; weighted F1 (3*2/3 + 2*1/2 + 3*2/3) / 8 = 5/8
  const yTrue = Int32Array.from([0, 0, 0, 1, 1, 2, 2, 2]);
  const yPred = Uint8Array.from([0, 0, 1, 1, 2, 2, 2, 0]);
  assert.deepEqual(Array.from(confusionMatrix(yTrue, yPred, 3)), [2, 1, 0, 0, 1, 1, 1, 0, 2]);
  const m = classificationMetrics(yTrue, yPred, 3);
  close(m.accuracy, 5 / 8);
  close(accuracy(yTrue, yPred), 5 / 8);
  const expected = [
    { precision: 2 / 3, recall: 2 / 3, specificity: 4 / 5, f1: 2 / 3, support: 3, tn: 4 },
    { precision: 1 / 2, recall: 1 / 2, specificity: 5 / 6, f1: 1 / 2, support: 2, tn: 5 },
    { precision: 2 / 3, recall: 2 / 3, specificity: 4 / 5, f1: 2 / 3, support: 3, tn: 4 },
  ];
  expected.forEach((e, c) => {
    const got = m.perClass[c];
    close(got.precision, e.precision, 1e-12, `precision ${c}`);
    close(got.recall, e.recall, 1e-12, `recall ${c}`);
    close(got.specificity, e.specificity, 1e-12, `specificity ${c}`);
    close(got.f1, e.f1, 1e-12, `f1 ${c}`);
    assert.equal(got.support, e.support);
    assert.equal(got.trueNegatives, e.tn);
  });
  close(m.macroF1, 11 / 18);
  close(m.weightedF1, 5 / 8);
  assert.deepEqual(m.absentClasses, []);
});

test("AAMI EC57 statistics of a hand-computed N/S/V confusion matrix: Se, +P and false-positive rate per class, Cohen's kappa", () => {
  // Rows true N, S, V; columns predicted N, S, V (200 beats):
  //   N: 150   8   2     (160 N beats)
  //   S:   6  18   1     ( 25 S beats)
  //   V:   1   0  14     ( 15 V beats)
  // N: TP 150, FN 10, FP 7,  TN 33  -> Se 150/160, +P 150/157, FPR 7/40
  // S: TP 18,  FN 7,  FP 8,  TN 167 -> Se 18/25,   +P 18/26,   FPR 8/175
  // V: TP 14,  FN 1,  FP 3,  TN 182 -> Se 14/15,   +P 14/17,   FPR 3/185
  // p_o = 182/200; column totals 157, 26, 17; p_e = (160*157 + 25*26 + 15*17)/200^2 = 26025/40000;
  // kappa = (182/200 - 26025/40000) / (1 - 26025/40000) = (36400 - 26025) / (40000 - 26025) = 10375/13975.
  const matrix = [150, 8, 2, 6, 18, 1, 1, 0, 14];
  const m = metricsFromConfusion(matrix, 3);
  const expected = [
    { se: 150 / 160, p: 150 / 157, fpr: 7 / 40 },
    { se: 18 / 25, p: 18 / 26, fpr: 8 / 175 },
    { se: 14 / 15, p: 14 / 17, fpr: 3 / 185 },
  ];
  expected.forEach((e, c) => {
    close(m.perClass[c].recall, e.se, 1e-12, `Se ${c}`);
    close(m.perClass[c].precision, e.p, 1e-12, `+P ${c}`);
    close(m.perClass[c].falsePositiveRate, e.fpr, 1e-12, `FPR ${c}`);
    close((m.perClass[c].falsePositiveRate as number) + (m.perClass[c].specificity as number), 1, 1e-12, `FPR + specificity ${c}`);
  });
  close(m.kappa, 10375 / 13975, 1e-12, "kappa");
  close(cohenKappa(matrix, 3), 10375 / 13975, 1e-12, "cohenKappa");
  // The same from labels, as evaluateClassifier gets them, and with bootstrap intervals around the estimates.
  const yTrue: number[] = [];
  const yPred: number[] = [];
  matrix.forEach((count, cell) => { for (let i = 0; i < count; i++) { yTrue.push(Math.floor(cell / 3)); yPred.push(cell % 3); } });
  const e = evaluateClassifier({ classNames: ["N", "S", "V"], yTrue: Int32Array.from(yTrue), yPred: Int32Array.from(yPred), bootstrap: { resamples: 200, seed: 1 } });
  close(e.kappa?.estimate ?? null, 10375 / 13975, 1e-12, "evaluated kappa");
  expected.forEach((x, c) => close(e.perClass[c].falsePositiveRate?.estimate ?? null, x.fpr, 1e-12, `evaluated FPR ${c}`));
  for (const interval of [e.kappa, ...e.perClass.map((c) => c.falsePositiveRate)]) {
    assert.ok(interval && interval.lower !== null && interval.upper !== null && interval.estimate !== null);
    assert.ok(interval.lower <= interval.estimate && interval.estimate <= interval.upper && interval.lower < interval.upper);
  }
});

test("Cohen's kappa of textbook examples", () => {
  // Wikipedia, "Cohen's kappa", worked example: 50 proposals, both readers yes 20, A yes B no 5, A no B yes 10,
  // both no 15: p_o = 0.7, p_e = 0.5*0.6 + 0.5*0.4 = 0.5, kappa = 0.4.
  close(cohenKappa([20, 5, 10, 15], 2), 0.4, 1e-12, "yes/no readers");
  // Its two tables of equal agreement (p_o = 0.6) with other marginals: p_e 0.54 -> 0.06/0.46; p_e 0.46 -> 0.14/0.54.
  close(cohenKappa([45, 15, 25, 15], 2), 0.06 / 0.46, 1e-12, "symmetric marginals");
  close(cohenKappa([25, 35, 5, 35], 2), 0.14 / 0.54, 1e-12, "asymmetric marginals");
  // Fleiss, Levin & Paik, Statistical Methods for Rates and Proportions (psychotic / neurotic / organic), per 100 patients:
  // p_o = 0.89, marginals 0.80/0.10/0.10 and 0.80/0.05/0.15, p_e = 0.64 + 0.005 + 0.015 = 0.66, kappa = 0.23/0.34 = 0.68.
  close(cohenKappa([75, 1, 4, 5, 4, 1, 0, 0, 10], 3), 0.23 / 0.34, 1e-12, "three diagnoses");
  // Agreement no better than chance is 0; complete disagreement between two balanced classes is -1.
  close(cohenKappa([25, 25, 25, 25], 2), 0, 1e-12, "chance");
  close(cohenKappa([0, 50, 50, 0], 2), -1, 1e-12, "opposite");
});

test("0/0 stays undefined: kappa and the false-positive rate are null when every sample and answer is one class", () => {
  const m = metricsFromConfusion([0, 0, 0, 7], 2);
  assert.equal(m.kappa, null);
  assert.equal(m.perClass[1].falsePositiveRate, null);
  assert.equal(m.perClass[0].falsePositiveRate, 0);
  assert.equal(m.perClass[0].precision, null);
  const notes = describeUndefinedMetrics(m, ["N", "V"]);
  assert.ok(notes.some((x) => x.includes("Cohen's kappa is undefined")), notes.join("\n"));
  assert.ok(notes.some((x) => x.includes("false-positive rate")), notes.join("\n"));
  assert.throws(() => cohenKappa([0, 0, 0, 0], 2), /empty/);
  assert.throws(() => cohenKappa([1, 2, 3], 2), /3 cells for 2 classes/);
});

test("across seeds: kappa, +P and the false-positive rate are the means of each seed's values", () => {
  const evaluations = [[40, 10, 5, 45], [30, 20, 10, 40], [45, 5, 0, 50]].map((matrix) => {
    const yTrue: number[] = [];
    const yPred: number[] = [];
    matrix.forEach((count, cell) => { for (let i = 0; i < count; i++) { yTrue.push(cell >> 1); yPred.push(cell & 1); } });
    return evaluateClassifier({ classNames: ["N", "V"], yTrue: Int32Array.from(yTrue), yPred: Int32Array.from(yPred), bootstrap: false });
  });
  const a = summarizeEvaluations([1, 2, 3], evaluations);
  // Kappas: (85-50)/50 = 0.7; (70-50)/50 = 0.4; (95-(50*45+50*55)/100)/50 = (95-50)/50 = 0.9.
  assert.deepEqual(a.kappa?.values.map((v) => Number(v.toFixed(12))), [0.7, 0.4, 0.9]);
  close(a.kappa?.mean ?? null, 2 / 3, 1e-12, "kappa mean");
  // +P of V: 45/55, 40/60, 50/55; false-positive rate of V: 10/50, 20/50, 5/50.
  close(a.perClass[1].precision?.mean ?? null, (45 / 55 + 40 / 60 + 50 / 55) / 3, 1e-12, "+P of V");
  close(a.perClass[1].falsePositiveRate?.mean ?? null, (0.2 + 0.4 + 0.1) / 3, 1e-12, "FPR of V");
});

test("scikit-learn's published classification_report example", () => {
  // Source: https://scikit-learn.org/0.15/modules/generated/sklearn.metrics.classification_report.html
  //   y_true = [0, 1, 2, 2, 2], y_pred = [0, 0, 2, 2, 1]
  //   class 0: 0.50 1.00 0.67 (support 1); class 1: 0.00 0.00 0.00 (1); class 2: 1.00 0.67 0.80 (3)
  //   avg / total (support-weighted): 0.70 0.60 0.61
  // Current scikit-learn docs print the same table plus "macro avg 0.50 0.56 0.49".
  const m = classificationMetrics(Int32Array.from([0, 1, 2, 2, 2]), Int32Array.from([0, 0, 2, 2, 1]), 3);
  const round2 = (v: number | null) => (v === null ? null : Math.round(v * 100) / 100);
  assert.deepEqual(m.perClass.map((c) => [round2(c.precision), round2(c.recall), round2(c.f1), c.support]), [
    [0.5, 1, 0.67, 1],
    [0, 0, 0, 1],
    [1, 0.67, 0.8, 3],
  ]);
  let weightedPrecision = 0;
  let weightedRecall = 0;
  for (const c of m.perClass) {
    weightedPrecision += ((c.precision ?? 0) * c.support) / m.total;
    weightedRecall += ((c.recall ?? 0) * c.support) / m.total;
  }
  assert.deepEqual([round2(weightedPrecision), round2(weightedRecall), round2(m.weightedF1)], [0.7, 0.6, 0.61]);
  assert.deepEqual([round2(m.macroPrecision), round2(m.macroRecall), round2(m.macroF1)], [0.5, 0.56, 0.49]);
  assert.equal(round2(m.accuracy), 0.6);
});

test("scikit-learn's published roc_auc_score and roc_curve examples", () => {
  // Source: https://scikit-learn.org/stable/modules/generated/sklearn.metrics.roc_auc_score.html
  //   roc_auc_score([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]) == 0.75
  const scores = Float64Array.from([0.1, 0.4, 0.35, 0.8]);
  close(rocAuc(Uint8Array.from([0, 0, 1, 1]), scores), 0.75);
  // Source: https://scikit-learn.org/0.17/modules/generated/sklearn.metrics.roc_curve.html (same in later versions)
  //   y = [1, 1, 2, 2], pos_label = 2 -> fpr [0, 0, 0.5, 0.5, 1], tpr [0, 0.5, 0.5, 1, 1],
  //   thresholds [max + 1 (now inf), 0.8, 0.4, 0.35, 0.1]
  const curve = rocCurveBinary(Uint8Array.from([0, 0, 1, 1]), scores);
  assert.ok(curve);
  assert.deepEqual(Array.from(curve.fpr), [0, 0, 0.5, 0.5, 1]);
  assert.deepEqual(Array.from(curve.tpr), [0, 0.5, 0.5, 1, 1]);
  assert.deepEqual(Array.from(curve.thresholds), [Infinity, 0.8, 0.4, 0.35, 0.1]);
});

test("AUC counts ties as one half (hand-computed)", () => {
  // positives 0.8, 0.5, 0.5; negatives 0.5, 0.2. Pairs: 0.8 beats both (2), each 0.5 ties one and beats one (2 x 1.5).
  // AUC = (2 + 1.5 + 1.5) / 6 = 5/6.
  const labels = Uint8Array.from([1, 1, 1, 0, 0]);
  const scores = Float32Array.from([0.8, 0.5, 0.5, 0.5, 0.2]);
  close(rocAuc(labels, scores), 5 / 6);
  // All scores equal: no information, AUC exactly 1/2.
  close(rocAuc(labels, new Float32Array(5).fill(0.3)), 0.5);
  // Perfect and perfectly wrong rankings.
  close(rocAuc(labels, Float32Array.from([5, 4, 3, 2, 1])), 1);
  close(rocAuc(labels, Float32Array.from([1, 2, 3, 4, 5])), 0);
});

interface FixtureCase {
  name: string;
  numClasses: number;
  yTrue: number[];
  yPred: number[];
  probabilities: number[];
  confusion: number[][];
  accuracy: number;
  perClass: { support: number; predicted: number; precision: number | null; recall: number | null; specificity: number | null; f1: number | null }[];
  macroPrecision: number;
  macroRecall: number;
  macroF1: number;
  weightedF1: number;
  auc: (number | null)[];
  macroAuc: number | null;
  rocCurves: ({ fpr: number[]; tpr: number[]; thresholds: number[] } | null)[];
}

const fixture = JSON.parse(readFileSync(new URL("../../../test/eval/fixtures/metrics.json", import.meta.url), "utf8")) as {
  cases: FixtureCase[];
};

for (const c of fixture.cases) {
  test(`numpy reference fixture: ${c.name}`, () => {
    const k = c.numClasses;
    const yTrue = Int32Array.from(c.yTrue);
    const probabilities = Float32Array.from(c.probabilities);
    const yPred = argmaxRows(probabilities, yTrue.length, k);
    assert.deepEqual(Array.from(yPred), c.yPred, "argmax");
    assert.deepEqual(Array.from(confusionMatrix(yTrue, yPred, k)), c.confusion.flat());
    const m = classificationMetrics(yTrue, yPred, k);
    close(m.accuracy, c.accuracy);
    close(m.macroPrecision, c.macroPrecision, 1e-12, "macro precision");
    close(m.macroRecall, c.macroRecall, 1e-12, "macro recall");
    close(m.macroF1, c.macroF1, 1e-12, "macro F1");
    close(m.weightedF1, c.weightedF1, 1e-12, "weighted F1");
    c.perClass.forEach((e, j) => {
      assert.equal(m.perClass[j].support, e.support);
      assert.equal(m.perClass[j].predicted, e.predicted);
      for (const key of ["precision", "recall", "specificity", "f1"] as const)
        close(m.perClass[j][key], e[key], 1e-12, `${key} of class ${j}`);
    });
    const ovr = rocAucOneVsRest(yTrue, probabilities, k);
    c.auc.forEach((e, j) => close(ovr.perClass[j], e, 1e-12, `AUC of class ${j}`));
    close(ovr.macro, c.macroAuc, 1e-12, "macro AUC");
    c.rocCurves.forEach((e, j) => {
      const curve = new RocRanking(probabilities, yTrue.length, (i) => yTrue[i] === j, k, j).curve();
      if (e === null) return assert.equal(curve, null);
      assert.ok(curve);
      assert.equal(curve.fpr.length, e.fpr.length, `ROC points of class ${j}`);
      e.fpr.forEach((v, i) => close(curve.fpr[i], v, 1e-12, `fpr[${i}]`));
      e.tpr.forEach((v, i) => close(curve.tpr[i], v, 1e-12, `tpr[${i}]`));
      assert.deepEqual(Array.from(curve.thresholds.subarray(1)), e.thresholds);
    });
  });
}

test("weights act exactly like repeating samples (what the bootstrap relies on)", () => {
  const rng = new Rng(7);
  const n = 200;
  const k = 3;
  const yTrue = new Int32Array(n).map(() => rng.int(k));
  const yPred = new Int32Array(n).map((_, i) => (rng.uniform() < 0.7 ? yTrue[i] : rng.int(k)));
  const scores = new Float32Array(n * k).map(() => Math.round(rng.uniform() * 20) / 20);
  const weights = new Int32Array(n).map(() => rng.int(4));
  const expandedTrue: number[] = [];
  const expandedPred: number[] = [];
  const expandedScores: number[] = [];
  weights.forEach((w, i) => {
    for (let r = 0; r < w; r++) {
      expandedTrue.push(yTrue[i]);
      expandedPred.push(yPred[i]);
      for (let c = 0; c < k; c++) expandedScores.push(scores[i * k + c]);
    }
  });
  const weighted = classificationMetrics(yTrue, yPred, k, weights);
  const repeated = classificationMetrics(Int32Array.from(expandedTrue), Int32Array.from(expandedPred), k);
  assert.deepEqual(weighted, repeated);
  const weightedAuc = rocAucOneVsRest(yTrue, scores, k, weights);
  const repeatedAuc = rocAucOneVsRest(Int32Array.from(expandedTrue), Float32Array.from(expandedScores), k);
  weightedAuc.perClass.forEach((v, c) => close(v, repeatedAuc.perClass[c], 1e-12, `AUC ${c}`));
});

test("a network that answers one class for samples of several is named in the notes, with the class's share", () => {
  // 5 samples, 3 of class b: everything called b is 60% accurate and tells nothing apart.
  const yTrue = Int32Array.from([0, 1, 1, 0, 1]);
  const collapsed = describeUndefinedMetrics(classificationMetrics(yTrue, Int32Array.from([1, 1, 1, 1, 1]), 2), ["a", "b"]);
  assert.match(collapsed[0], /^every one of the 5 samples is predicted as class b: .* share \(60\.0%\)/);
  assert.ok(collapsed.some((x) => x.includes("class a is never predicted")));
  // The same answers for samples of one class only, or answers that vary, are no such thing.
  const oneClassOnly = classificationMetrics(Int32Array.from([1, 1, 1]), Int32Array.from([1, 1, 1]), 2);
  assert.equal(describeOneClassAnswer(oneClassOnly.perClass, ["a", "b"]), null);
  const varied = classificationMetrics(yTrue, Int32Array.from([1, 1, 1, 0, 1]), 2);
  assert.equal(describeOneClassAnswer(varied.perClass, ["a", "b"]), null);
  assert.ok(!describeUndefinedMetrics(varied, ["a", "b"]).some((x) => x.startsWith("every one")));
});

test("a class without samples gives null (not NaN), and says so", () => {
  // Class 2 (of 3) never occurs in yTrue but is predicted once; class 1 is never predicted.
  const yTrue = Int32Array.from([0, 0, 1, 1, 0]);
  const yPred = Int32Array.from([0, 0, 0, 0, 2]);
  const m = classificationMetrics(yTrue, yPred, 3);
  assert.equal(m.perClass[2].recall, null);
  assert.equal(m.perClass[2].precision, 0);
  assert.equal(m.perClass[2].f1, 0);
  assert.equal(m.perClass[1].precision, null);
  assert.equal(m.perClass[1].recall, 0);
  // scikit-learn's convention: average over the classes present in yTrue or yPred (all 3 here), an
  // undefined value counting 0. Recalls: class 0 2/3, class 1 0, class 2 undefined -> (2/3 + 0 + 0) / 3.
  close(m.macroRecall, 2 / 9);
  const notes = describeUndefinedMetrics(m, ["N", "S", "V"]);
  assert.ok(notes.some((x) => x.includes("class V has no samples")));
  assert.ok(notes.some((x) => x.includes("class S is never predicted")));

  const probabilities = Float32Array.from([0.9, 0.05, 0.05, 0.8, 0.1, 0.1, 0.6, 0.3, 0.1, 0.5, 0.4, 0.1, 0.3, 0.2, 0.5]);
  const evaluation = evaluateClassifier({ classNames: ["N", "S", "V"], yTrue, yPred, probabilities, bootstrap: { resamples: 50 } });
  assert.equal(evaluation.perClass[2].recall.estimate, null);
  assert.equal(evaluation.perClass[2].auc?.estimate, null);
  assert.equal(evaluation.rocCurves.length, 2);
  assert.ok(evaluation.warnings.some((w) => w.includes("class V")));
  const json = JSON.stringify(evaluation);
  assert.ok(!json.includes("NaN"));
  const walk = (value: unknown): void => {
    if (typeof value === "number") assert.ok(Number.isFinite(value), "a non-finite number in the evaluation");
    else if (value && typeof value === "object") Object.values(value).forEach(walk);
  };
  walk(evaluation);
});

test("evaluateClassifier agrees with the metric functions and brackets its estimates", () => {
  const c = fixture.cases[0];
  const yTrue = Int32Array.from(c.yTrue);
  const probabilities = Float32Array.from(c.probabilities);
  const e = evaluateClassifier({ classNames: ["A", "B", "C", "D"], yTrue, probabilities, bootstrap: { resamples: 200, seed: 3 } });
  close(e.accuracy.estimate, c.accuracy);
  close(e.macroF1.estimate, c.macroF1);
  close(e.macroAuc?.estimate ?? null, c.macroAuc);
  assert.deepEqual(e.confusionMatrix, c.confusion);
  for (const interval of [e.accuracy, e.macroF1, e.weightedF1, e.macroAuc, ...e.perClass.map((p) => p.recall)]) {
    assert.ok(interval && interval.lower !== null && interval.upper !== null && interval.estimate !== null);
    assert.ok(interval.lower <= interval.estimate + 1e-9 && interval.estimate <= interval.upper + 1e-9);
    assert.ok(interval.upper - interval.lower > 0, "a bootstrap interval of zero width on noisy data");
  }
  const again = evaluateClassifier({ classNames: ["A", "B", "C", "D"], yTrue, probabilities, bootstrap: { resamples: 200, seed: 3 } });
  assert.deepEqual(again, e, "same seed, same result");
  const pointOnly = evaluateClassifier({ classNames: ["A", "B", "C", "D"], yTrue, probabilities, bootstrap: false });
  assert.equal(pointOnly.accuracy.lower, null);
  assert.equal(pointOnly.bootstrap, null);
});

test("thinCurve keeps the ends and drops invisible steps", () => {
  const n = 10001;
  const fpr = Float64Array.from({ length: n }, (_, i) => i / (n - 1));
  const tpr = Float64Array.from(fpr, (x) => Math.sqrt(x));
  const thin = thinCurve(fpr, tpr);
  assert.ok(thin.fpr.length < 1200 && thin.fpr.length > 200, `${thin.fpr.length} points`);
  assert.equal(thin.fpr[0], 0);
  assert.equal(thin.fpr[thin.fpr.length - 1], 1);
  assert.equal(thin.tpr[thin.tpr.length - 1], 1);
});

test("bad input is a SpikemedError that names the problem", () => {
  const a = Int32Array.from([0, 1, 2]);
  assert.throws(() => confusionMatrix(a, Int32Array.from([0, 1]), 3), (e: Error) => e instanceof SpikemedError && /3 labels but yPred has 2/.test(e.message));
  assert.throws(() => confusionMatrix(a, Int32Array.from([0, 1, 5]), 3), /yPred\[2\] is 5, outside the 3 classes/);
  assert.throws(() => confusionMatrix(new Int32Array(0), new Int32Array(0), 3), /no samples/);
  assert.throws(() => rocAuc(Uint8Array.from([0, 1]), Float32Array.from([0.1, NaN])), /score 1 is NaN/);
  assert.throws(() => rocAuc(Uint8Array.from([0, 2]), Float32Array.from([0.1, 0.2])), /must be 0 or 1/);
  assert.throws(
    () => evaluateClassifier({ classNames: ["a", "b"], yTrue: a, probabilities: new Float32Array(5) }),
    /probabilities have 5 values; expected 3 samples x 2 classes = 6/,
  );
  assert.throws(() => evaluateClassifier({ classNames: ["a", "b"], yTrue: a }), /give yPred, probabilities, or both/);
});
