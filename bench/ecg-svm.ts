/**
 * The non-spiking baseline of the inter-patient ECG networks: an RBF-kernel SVM (libsvm 3.22
 * compiled to WebAssembly, the npm package libsvm-js; one-vs-one, class weights inverse to the
 * class counts, as Mondéjar-Guerra et al. 2019 train theirs) on the same per-beat measurements
 * (--features, as `spikemed train --features`), z-scored on the training beats. What the spiking
 * network's table row costs or gains against it is the price of the spikes.
 *
 * Usage: node dist/bench/ecg-svm.js [--data DIR] [--features FAMILIES] [--cost C] [--gamma G]
 *          [--max-normal N] [--seed S] (--cv | --test)
 *   --cv    5-fold cross-validation over the DS1 records (folds of whole records, as
 *           `spikemed search` makes them); DS2 is not read.
 *   --test  trains on all DS1 beats and scores DS2 once (log the read in bench/results/ecg-inter.md).
 * N beats of the training side are subsampled to at most --max-normal (default 8000; libsvm's
 * time grows with the square of the beats): every S, V, F and Q beat is kept.
 */
import { createRequire } from "node:module";
import { Rng } from "../src/core/index.js";
import {
  AAMI_CLASSES, DEFAULT_BEAT_WINDOW, DS1_RECORDS, DS2_RECORDS, beatWindowOptions, featuresOfFamilies, loadBeatDataset, selectBeatFeatures,
} from "../src/data/ecg/index.js";
import { confusionMatrix, metricsFromConfusion } from "../src/eval/index.js";
import { crossValidationFolds } from "../src/experiment/folds.js";
import { ECG_FAMILIES } from "../src/model/zoo.js";

interface LibSvm {
  train(samples: number[][], labels: number[]): void;
  predict(samples: number[][]): number[];
  free(): void;
}
interface LibSvmClass {
  new (options: Record<string, unknown>): LibSvm;
  KERNEL_TYPES: { RBF: number };
  SVM_TYPES: { C_SVC: number };
}

function option(name: string, fallback: string): string {
  const at = process.argv.indexOf(name);
  return at >= 0 && at + 1 < process.argv.length ? process.argv[at + 1] : fallback;
}

const dataDir = option("--data", "../shared/data/mitdb");
const families = option("--features", ECG_FAMILIES);
const cost = Number(option("--cost", "1"));
const gammaOption = option("--gamma", "");
const maxNormal = Number(option("--max-normal", "8000"));
const seed = Number(option("--seed", "1"));
const mode = process.argv.includes("--test") ? "test" : process.argv.includes("--cv") ? "cv" : null;
if (!mode) {
  console.error("ecg-svm: say --cv (cross-validation over DS1 records) or --test (DS1 -> DS2, read once)");
  process.exit(2);
}

const SVM = (await (createRequire(import.meta.url)("libsvm-js") as Promise<LibSvmClass>));
const names = featuresOfFamilies(families);
const beats = loadBeatDataset({ dataDir, onUnreadableRecord: "error", excludePaced: true, ...beatWindowOptions(DEFAULT_BEAT_WINDOW) });
const values = selectBeatFeatures(beats.features, beats.featureNames, names);
const width = names.length;
const gamma = gammaOption ? Number(gammaOption) : 1 / width;
const indicesOf = (records: readonly string[]): Int32Array =>
  Int32Array.from(Array.from(beats.y.keys()).filter((i) => records.includes(beats.records[beats.recordOfBeat[i]])));

/** Trains on `train` (N subsampled) and returns the predicted class of each beat of `test`. */
function fitPredict(train: Int32Array, test: Int32Array, rng: Rng): Int32Array {
  const normal = Array.from(train).filter((i) => beats.y[i] === 0);
  rng.shuffle(normal);
  const kept = [...normal.slice(0, maxNormal), ...Array.from(train).filter((i) => beats.y[i] !== 0)];
  const mean = new Float64Array(width);
  const variance = new Float64Array(width);
  for (const i of kept) for (let f = 0; f < width; f++) mean[f] += values[i * width + f] / kept.length;
  for (const i of kept) for (let f = 0; f < width; f++) variance[f] += (values[i * width + f] - mean[f]) ** 2 / kept.length;
  const scale = Float64Array.from(variance, (v) => (v > 1e-12 ? 1 / Math.sqrt(v) : 0));
  const row = (i: number): number[] => Array.from({ length: width }, (_, f) => (values[i * width + f] - mean[f]) * scale[f]);
  const counts = new Float64Array(AAMI_CLASSES.length);
  for (const i of kept) counts[beats.y[i]]++;
  const present = [...counts.keys()].filter((c) => counts[c] > 0);
  const weight = Object.fromEntries(present.map((c) => [c, kept.length / (present.length * counts[c])]));
  const svm = new SVM({ kernel: SVM.KERNEL_TYPES.RBF, type: SVM.SVM_TYPES.C_SVC, gamma, cost, weight, quiet: true });
  svm.train(kept.map(row), kept.map((i) => beats.y[i]));
  const predicted = Int32Array.from(svm.predict(Array.from(test, row)));
  svm.free();
  return predicted;
}

const started = Date.now();
const rng = new Rng(seed);
const ds1 = indicesOf(DS1_RECORDS);
let scored: Int32Array;
let predicted: Int32Array;
if (mode === "cv") {
  const folds = crossValidationFolds(beats.y, ds1, 5, { groupOf: Int32Array.from(beats.recordOfBeat), unit: "record", validation: { by: "groups", fraction: 0.1 } }, seed);
  const parts = folds.map((fold, k) => {
    const train = Int32Array.from([...fold.train, ...fold.val]);
    const result = fitPredict(train, fold.test, rng.fork(`fold-${k}`));
    console.error(`fold ${k + 1}/5 done in ${((Date.now() - started) / 1000).toFixed(0)} s`);
    return { test: fold.test, result };
  });
  scored = Int32Array.from(parts.flatMap((p) => Array.from(p.test)));
  predicted = Int32Array.from(parts.flatMap((p) => Array.from(p.result)));
} else {
  scored = indicesOf(DS2_RECORDS);
  predicted = fitPredict(ds1, scored, rng.fork("test"));
}
const truth = Int32Array.from(scored, (i) => beats.y[i]);
const matrix = confusionMatrix(truth, predicted, AAMI_CLASSES.length);
const metrics = metricsFromConfusion(matrix, AAMI_CLASSES.length);
const pct = (v: number | null): string => (v === null ? "-" : (100 * v).toFixed(1));
console.log(`ecg-svm ${mode === "cv" ? "DS1 5-fold CV by records" : "DS1 -> DS2"}: ${width} features (${families}), C ${cost}, gamma ${gamma.toPrecision(3)}, ` +
  `N subsampled to ${maxNormal}, seed ${seed}, ${((Date.now() - started) / 1000).toFixed(0)} s`);
console.log(`accuracy ${pct(metrics.accuracy)}%; ` + AAMI_CLASSES.map((c, k) => `${c} Se ${pct(metrics.perClass[k].recall)} / +P ${pct(metrics.perClass[k].precision)}`).join("; "));
console.log(`confusion (rows true ${AAMI_CLASSES.join(",")}): ${JSON.stringify(Array.from({ length: 5 }, (_, r) => Array.from(matrix.subarray(r * 5, r * 5 + 5))))}`);
