/**
 * Chooses the settings of the local adaptation stages (src/experiment/adapt-local.ts) on DS1 only:
 * the network's out-of-fold probabilities of a `spikemed search` over DS1's records (each fold's
 * network never saw the held-out records) are combined, record by record, with a nearest-neighbour
 * vote of the record's own beats, as `--adapt local-beats N` and `--adapt self-training` do on DS2.
 * DS2 is not read.
 *
 * Usage: node dist/bench/ecg-adapt-cv.js --search DIR [--data DIR] [--minutes N] [--features FAMILIES]
 *   DIR: a search folder of one trial and one seed, run with the model and settings the DS2 row uses,
 *   e.g. spikemed search ecg --data ../shared/data/mitdb --split inter --validation records
 *        --monitor val_balanced_accuracy --schedule cosine --model snn-families --lr 0.003
 *        --objective balanced_accuracy:N,S,V --grid lr=0.003 --out DIR
 *   --train-first-minutes R --out OUT: first trains each fold's network with the held-out records'
 *     first N minutes in training, R times each (the first-minutes and patient-specific protocols),
 *     writes its probabilities under OUT as a search would, and scores those.
 *     --class-weights F=1: named classes' loss weights in those trainings, as train's option.
 *   --prior-only: only the prior-shift table (skips the two grids); --local-only: skips self-training's grid.
 * The bench's networks run on the default backend; its z-scoring is the fold's training beats'
 * mean and standard deviation (the product's is the network's batch-norm statistics of the same).
 * Objective (fixed before any run): the mean of the S and V sensitivities and positive
 * predictivities (the four figures issue 28's targets name).
 */
import fs from "node:fs";
import path from "node:path";
import { DEFAULT_BEAT_WINDOW, DEFAULT_VALIDATION_FRACTION, beatWindowOptions, featuresOfFamilies, interPatientSplit, loadBeatDataset, readHeader } from "../src/data/ecg/index.js";
import { confusionMatrix, metricsFromConfusion } from "../src/eval/index.js";
import { beatData } from "../src/experiment/beat-data.js";
import { crossValidationFolds } from "../src/experiment/folds.js";
import { columnScaling, combineProbabilities, featureRows, localBeatsProbabilities, pickRows, scaleRows, selfTrainingProbabilities, shiftPrior, type LocalStageSettings } from "../src/experiment/adapt-local.js";
import { balanceSettings } from "../src/experiment/run.js";
import type { SearchTrial } from "../src/experiment/search.js";
import { buildNetwork } from "../src/model/index.js";
import { ECG_FAMILIES } from "../src/model/zoo.js";
import { inferenceBatchSize, predictProbabilities, train } from "../src/train/index.js";

function option(name: string, fallback: string): string {
  const at = process.argv.indexOf(name);
  return at >= 0 && at + 1 < process.argv.length ? process.argv[at + 1] : fallback;
}

const searchDir = option("--search", "");
if (!searchDir) {
  console.error("ecg-adapt-cv: give --search DIR, a search folder of one trial and seed (see the usage at the top of bench/ecg-adapt-cv.ts)");
  process.exit(2);
}
const dataDir = option("--data", "../shared/data/mitdb");
const minutes = Number(option("--minutes", "5"));
const features = featuresOfFamilies(option("--features", ECG_FAMILIES));
const foldSeed = Number(option("--seed", "1"));

const beats = loadBeatDataset({ dataDir, onUnreadableRecord: "error", excludePaced: true, ...beatWindowOptions(DEFAULT_BEAT_WINDOW) });
const data = beatData(beats, features);
const classes = data.classNames.length;
const width = features.length;
const rates = beats.records.map((name) => readHeader(dataDir, name).samplingFrequency);
const split = interPatientSplit(beats, { seed: foldSeed, validationBy: "records" });
const pool = Int32Array.from([...split.train, ...split.validation]).sort();
const folds = crossValidationFolds(beats.y, pool, 5, { groupOf: Int32Array.from(beats.recordOfBeat), unit: "record", validation: { by: "groups", fraction: DEFAULT_VALIDATION_FRACTION } }, foldSeed);
const early = (i: number): boolean => beats.sampleOfBeat[i] < minutes * 60 * rates[beats.recordOfBeat[i]];

// --train-first-minutes R --out DIR: the first-minutes protocol on DS1's folds. Each fold's network
// trains, with the search's model and settings, on its training records plus the first N minutes of
// its held-out records, each of those local beats R times (R = 1 is `--adapt first-minutes N`);
// its held-out probabilities are written where a search keeps them, and DIR is then read as --search.
const repeatOption = option("--train-first-minutes", "");
let seedDir = path.join(searchDir, "trials", "trial-001", `seed-${foldSeed}`);
if (repeatOption) {
  const repeat = Number(repeatOption);
  const outDir = option("--out", "");
  if (!(repeat >= 1) || !outDir) throw new Error("--train-first-minutes R needs R >= 1 and --out DIR");
  const searched = (JSON.parse(fs.readFileSync(path.join(searchDir, "search.json"), "utf8")) as { trials: SearchTrial[] }).trials[0];
  // --class-weights F=1,...: named classes' loss weights in place of the search's (as train's option of that name).
  const named = option("--class-weights", "");
  const trial = named ? { ...searched, classWeights: Object.fromEntries(named.split(",").map((pair) => [pair.split("=")[0], Number(pair.split("=")[1])])) } : searched;
  seedDir = path.join(outDir, "trials", "trial-001", `seed-${foldSeed}`);
  fs.mkdirSync(seedDir, { recursive: true });
  for (const [f, fold] of folds.entries()) {
    const file = path.join(seedDir, `fold-${f + 1}.json`);
    if (fs.existsSync(file)) continue;
    const local = Array.from(fold.test).filter(early);
    const trainIndices = Int32Array.from([...fold.train, ...Array.from({ length: repeat }, () => local).flat()]);
    const network = buildNetwork(trial.model, foldSeed);
    const logFile = fs.openSync(path.join(seedDir, `fold-${f + 1}.log`), "w");
    await train(network, data, { train: trainIndices, val: fold.val }, {
      ...trial.train, seed: foldSeed, runDir: path.join(seedDir, `fold-${f + 1}`), log: { write: (text: string) => { fs.writeSync(logFile, text); return true; } },
      ...balanceSettings(trial.balance, data, trainIndices, trial.train, trial.maxClassWeight, trial.classWeights),
    });
    fs.closeSync(logFile);
    const { probabilities } = predictProbabilities(network, data, fold.test, inferenceBatchSize(trial.train));
    fs.writeFileSync(file, JSON.stringify({ probabilities: Buffer.from(probabilities.buffer, probabilities.byteOffset, probabilities.byteLength).toString("base64") }));
    fs.rmSync(path.join(seedDir, `fold-${f + 1}`), { recursive: true, force: true });
    console.error(`fold ${f + 1}/5 trained (${local.length} local beats x ${repeat})`);
  }
}

interface FoldOutput { test: Int32Array; probabilities: Float32Array; rows: Float32Array }
const outputs: FoldOutput[] = folds.map((fold, f) => {
  const saved = JSON.parse(fs.readFileSync(path.join(seedDir, `fold-${f + 1}.json`), "utf8")) as { probabilities?: string };
  if (!saved.probabilities) throw new Error(`${seedDir}/fold-${f + 1}.json holds no probabilities: run the search with this build`);
  const bytes = Buffer.from(saved.probabilities, "base64");
  const probabilities = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  if (probabilities.length !== fold.test.length * classes) throw new Error(`fold ${f + 1}: ${probabilities.length / classes} rows for ${fold.test.length} beats`);
  const scaling = columnScaling(featureRows(data, fold.train), width);
  return { test: fold.test, probabilities, rows: scaleRows(featureRows(data, fold.test), scaling) };
});

const record = (i: number): string => beats.records[beats.recordOfBeat[i]];
const S = data.classNames.indexOf("S");
const V = data.classNames.indexOf("V");

interface Scored { accuracy: number; sSe: number; sP: number; vSe: number; vP: number; objective: number }
function score(truth: number[], probabilities: number[][]): Scored {
  const predicted = Int32Array.from(probabilities, (p) => p.indexOf(Math.max(...p)));
  const metrics = metricsFromConfusion(confusionMatrix(Int32Array.from(truth), predicted, classes), classes);
  const [sSe, sP, vSe, vP] = [metrics.perClass[S].recall, metrics.perClass[S].precision, metrics.perClass[V].recall, metrics.perClass[V].precision].map((v) => v ?? 0);
  return { accuracy: metrics.accuracy ?? 0, sSe, sP, vSe, vP, objective: (sSe + sP + vSe + vP) / 4 };
}
const rowsOf = (probabilities: Float32Array, n: number): number[][] => Array.from({ length: n }, (_, r) => Array.from(probabilities.subarray(r * classes, (r + 1) * classes)));

/** The protocol's scored beats and probabilities, pooled over folds. */
function pooled(stage: (o: FoldOutput) => { keep: (i: number) => boolean; probabilities: Float32Array }): Scored {
  const truth: number[] = [];
  const probabilities: number[][] = [];
  for (const o of outputs) {
    const { keep, probabilities: p } = stage(o);
    const rows = rowsOf(p, o.test.length);
    o.test.forEach((i, r) => { if (keep(i)) { truth.push(beats.y[i]); probabilities.push(rows[r]); } });
  }
  return score(truth, probabilities);
}


/*
 * The stage with smoothing 0 and weight 1 gives each voted beat its neighbours' shares, count / k
 * (every record here has more than k reference beats); every smoothing and weight follows from the
 * counts as the stage computes them, so the neighbours are searched once per k. A row whose shares
 * are not counts / k is one the stage left alone (the network's probabilities).
 */
function localShares(o: FoldOutput, settings: LocalStageSettings): Float32Array {
  const later = Array.from(o.test.keys()).filter((r) => !early(o.test[r]));
  const first = Array.from(o.test.keys()).filter((r) => early(o.test[r]));
  const combined = localBeatsProbabilities(
    { rows: pickRows(o.rows, width, later), probabilities: pickRows(o.probabilities, classes, later), groups: later.map((r) => record(o.test[r])) },
    { rows: pickRows(o.rows, width, first), labels: first.map((r) => beats.y[o.test[r]]), groups: first.map((r) => record(o.test[r])) }, width, classes, settings);
  const out = new Float32Array(o.probabilities.length).fill(NaN);
  later.forEach((r, j) => out.set(combined.subarray(j * classes, (j + 1) * classes), r * classes));
  return out;
}

/** The stage's probabilities for (smoothing, weight) from the neighbour shares at k. */
function fromShares(o: FoldOutput, share: Float32Array, k: number, smoothing: number, weight: number): Float32Array {
  const out = o.probabilities.slice();
  for (let r = 0; r < o.test.length; r++) {
    const counts = Array.from(share.subarray(r * classes, (r + 1) * classes), (v) => v * k);
    if (counts.some((c) => Number.isNaN(c) || Math.abs(c - Math.round(c)) > 1e-3)) continue;
    const local = Float32Array.from(counts, (c) => (Math.round(c) + smoothing) / (k + smoothing * classes));
    out.set(combineProbabilities(o.probabilities.subarray(r * classes, (r + 1) * classes), local, classes, weight), r * classes);
  }
  return out;
}

const fmt = (s: Scored): string => [s.objective, s.accuracy, s.sSe, s.sP, s.vSe, s.vP].map((v) => (100 * v).toFixed(2)).join(" | ");
const header = "| settings | objective % | accuracy % | S Se | S +P | V Se | V +P |\n| --- | ---: | ---: | ---: | ---: | ---: | ---: |";
const lines: string[] = [];
lines.push(`DS1 5-fold CV by records (${searchDir}), ${width} features; objective: mean of S Se, S +P, V Se, V +P`);

lines.push(`\n### --adapt local-beats ${minutes}: scored on each held-out record's beats after minute ${minutes}\n`, header);
lines.push(`| network alone | ${fmt(pooled((o) => ({ keep: (i) => !early(i), probabilities: o.probabilities })))} |`);
const local: { name: string; s: Scored }[] = [];
const grids = !process.argv.includes("--prior-only");
for (const k of grids ? [1, 3, 5, 10, 20] : []) {
  const perFold = outputs.map((o) => localShares(o, { k, smoothing: 0, weight: 1 }));
  for (const smoothing of [0.1, 0.5, 1]) for (const weight of [0.3, 0.5, 0.7, 0.9]) {
    let f = 0;
    local.push({ name: `k ${k}, smoothing ${smoothing}, weight ${weight}`, s: pooled((o) => ({ keep: (i) => !early(i), probabilities: fromShares(o, perFold[f++], k, smoothing, weight) })) });
  }
}
local.sort((a, b) => b.s.objective - a.s.objective);
for (const { name, s } of local.slice(0, 12)) lines.push(`| ${name} | ${fmt(s)} |`);

lines.push("\n### --adapt self-training: scored on every held-out beat\n", header);
lines.push(`| network alone | ${fmt(pooled((o) => ({ keep: () => true, probabilities: o.probabilities })))} |`);
const self: { name: string; s: Scored }[] = [];
for (const confidence of grids && !process.argv.includes("--local-only") ? [0.6, 0.8, 0.9, 0.95] : []) for (const k of [3, 5, 10, 20]) {
  const perFold = outputs.map((o) => selfTrainingProbabilities({ rows: o.rows, probabilities: o.probabilities, groups: Array.from(o.test, record) }, width, classes, { k, smoothing: 0, weight: 1, confidence }));
  for (const smoothing of [0.1, 0.5, 1]) for (const weight of [0.3, 0.5, 0.7]) {
    let f = 0;
    self.push({ name: `confidence ${confidence}, k ${k}, smoothing ${smoothing}, weight ${weight}`, s: pooled((o) => ({ keep: () => true, probabilities: fromShares(o, perFold[f++], k, smoothing, weight) })) });
  }
}
self.sort((a, b) => b.s.objective - a.s.objective);
for (const { name, s } of self.slice(0, 12)) lines.push(`| ${name} | ${fmt(s)} |`);
/**
 * A record's class frequencies estimated from the network's probabilities alone, no label read:
 * Saerens et al. 2002's EM (the mean of the prior-shifted probabilities, shifted again by it, until
 * it settles), from a network whose implied training prior is uniform.
 */
function estimatePrior(probabilities: Float32Array, classes: number, iterations = 50): Float64Array {
  const n = probabilities.length / classes;
  let prior = new Float64Array(classes).fill(1 / classes);
  for (let t = 0; t < iterations; t++) {
    const shifted = shiftPrior(probabilities, classes, prior, 1);
    const next = new Float64Array(classes);
    for (let r = 0; r < n; r++) for (let c = 0; c < classes; c++) next[c] += shifted[r * classes + c] / n;
    const change = next.reduce((m, v, c) => Math.max(m, Math.abs(v - prior[c])), 0);
    prior = next;
    if (change < 1e-6) break;
  }
  return prior;
}

/** `probabilities` (a fold's rows) with each record's scored rows shifted to the prior `priorOf` gives for that record's rows. */
function shiftByRecord(o: FoldOutput, probabilities: Float32Array, scored: (i: number) => boolean, priorOf: (rows: number[]) => ArrayLike<number>, gamma: number): Float32Array {
  const out = probabilities.slice();
  const byRecord = new Map<string, number[]>();
  o.test.forEach((i, r) => { if (scored(i)) { const key = record(i); if (!byRecord.has(key)) byRecord.set(key, []); byRecord.get(key)!.push(r); } });
  for (const rows of byRecord.values()) {
    const shifted = shiftPrior(pickRows(probabilities, classes, rows), classes, priorOf(rows), gamma);
    rows.forEach((r, j) => out.set(shifted.subarray(j * classes, (j + 1) * classes), r * classes));
  }
  return out;
}

lines.push("\n### Prior shift: the record's class frequencies (local beats' labels, or EM on the network's probabilities), optionally after the neighbour vote\n", header);
const priorRows: { name: string; s: Scored }[] = [];
const localPrior = (o: FoldOutput, alpha: number) => (rows: number[]): Float64Array => {
  const name = record(o.test[rows[0]]);
  const counts = new Float64Array(classes);
  let n = 0;
  o.test.forEach((i) => { if (early(i) && record(i) === name) { counts[beats.y[i]]++; n++; } });
  return Float64Array.from(counts, (c) => (c + alpha) / (n + alpha * classes));
};
const knnLocal = [null, { k: 3, smoothing: 0.5, weight: 0.5 }, { k: 10, smoothing: 0.5, weight: 0.3 }];
for (const knn of knnLocal) {
  const base = outputs.map((o) => (knn ? fromShares(o, localShares(o, { ...knn, smoothing: 0, weight: 1 }), knn.k, knn.smoothing, knn.weight) : o.probabilities));
  for (const alpha of [0.5, 2, 10]) for (const gamma of [0.25, 0.5, 0.75, 1]) {
    let f = 0;
    priorRows.push({ name: `local-beats: ${knn ? `k ${knn.k}, smoothing ${knn.smoothing}, weight ${knn.weight}` : "no vote"}, local prior (smoothing ${alpha}) ^ ${gamma}`,
      s: pooled((o) => ({ keep: (i) => !early(i), probabilities: shiftByRecord(o, base[f++], (i) => !early(i), localPrior(o, alpha), gamma) })) });
  }
}
priorRows.sort((a, b) => b.s.objective - a.s.objective);
for (const { name, s } of priorRows.slice(0, 10)) lines.push(`| ${name} | ${fmt(s)} |`);
const emRows: { name: string; s: Scored }[] = [];
for (const knn of [null, { k: 10, smoothing: 1, weight: 0.5, confidence: 0.6 }]) {
  const base = outputs.map((o) => (knn ? selfTrainingProbabilities({ rows: o.rows, probabilities: o.probabilities, groups: Array.from(o.test, record) }, width, classes, knn) : o.probabilities));
  for (const gamma of [0.25, 0.5, 0.75, 1]) {
    let f = 0;
    emRows.push({ name: `self-training: ${knn ? "vote (confidence 0.6, k 10, smoothing 1, weight 0.5)" : "no vote"}, EM prior ^ ${gamma}`,
      s: pooled((o) => { const p = base[f++]; return { keep: () => true, probabilities: shiftByRecord(o, p, () => true, (rows) => estimatePrior(pickRows(o.probabilities, classes, rows), classes), gamma) }; }) });
  }
}
emRows.sort((a, b) => b.s.objective - a.s.objective);
for (const { name, s } of emRows) lines.push(`| ${name} | ${fmt(s)} |`);
console.log(lines.join("\n"));
