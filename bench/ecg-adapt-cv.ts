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
 * Objective (fixed before any run): the mean of the S and V sensitivities and positive
 * predictivities (the four figures issue 28's targets name).
 */
import fs from "node:fs";
import path from "node:path";
import { DEFAULT_BEAT_WINDOW, DEFAULT_VALIDATION_FRACTION, beatWindowOptions, featuresOfFamilies, interPatientSplit, loadBeatDataset, readHeader } from "../src/data/ecg/index.js";
import { confusionMatrix, metricsFromConfusion } from "../src/eval/index.js";
import { beatData } from "../src/experiment/beat-data.js";
import { crossValidationFolds } from "../src/experiment/folds.js";
import { columnScaling, featureRows, localBeatsProbabilities, scaleRows, selfTrainingProbabilities, type LocalStageSettings } from "../src/experiment/adapt-local.js";
import { ECG_FAMILIES } from "../src/model/zoo.js";

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
const seedDir = path.join(searchDir, "trials", "trial-001", `seed-${foldSeed}`);

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

const early = (i: number): boolean => beats.sampleOfBeat[i] < minutes * 60 * rates[beats.recordOfBeat[i]];
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

function localStage(o: FoldOutput, settings: LocalStageSettings): Float32Array {
  const later = Array.from(o.test.keys()).filter((r) => !early(o.test[r]));
  const first = Array.from(o.test.keys()).filter((r) => early(o.test[r]));
  const pick = (source: Float32Array, w: number, rows: number[]): Float32Array => {
    const out = new Float32Array(rows.length * w);
    rows.forEach((r, j) => out.set(source.subarray(r * w, (r + 1) * w), j * w));
    return out;
  };
  const combined = localBeatsProbabilities(
    { rows: pick(o.rows, width, later), probabilities: pick(o.probabilities, classes, later), groups: later.map((r) => record(o.test[r])) },
    { rows: pick(o.rows, width, first), labels: first.map((r) => beats.y[o.test[r]]), groups: first.map((r) => record(o.test[r])) }, width, classes, settings);
  const out = o.probabilities.slice();
  later.forEach((r, j) => out.set(combined.subarray(j * classes, (j + 1) * classes), r * classes));
  return out;
}

const fmt = (s: Scored): string => [s.objective, s.accuracy, s.sSe, s.sP, s.vSe, s.vP].map((v) => (100 * v).toFixed(2)).join(" | ");
const header = "| settings | objective % | accuracy % | S Se | S +P | V Se | V +P |\n| --- | ---: | ---: | ---: | ---: | ---: | ---: |";
const lines: string[] = [];
lines.push(`DS1 5-fold CV by records (${searchDir}), ${width} features; objective: mean of S Se, S +P, V Se, V +P`);

lines.push(`\n### --adapt local-beats ${minutes}: scored on each held-out record's beats after minute ${minutes}\n`, header);
lines.push(`| network alone | ${fmt(pooled((o) => ({ keep: (i) => !early(i), probabilities: o.probabilities })))} |`);
const local: { name: string; s: Scored }[] = [];
for (const k of [1, 3, 5, 10, 20]) for (const smoothing of [0.1, 0.5, 1]) for (const weight of [0.3, 0.5, 0.7, 0.9]) {
  const settings = { k, smoothing, weight };
  local.push({ name: `k ${k}, smoothing ${smoothing}, weight ${weight}`, s: pooled((o) => ({ keep: (i) => !early(i), probabilities: localStage(o, settings) })) });
}
local.sort((a, b) => b.s.objective - a.s.objective);
for (const { name, s } of local.slice(0, 12)) lines.push(`| ${name} | ${fmt(s)} |`);

lines.push("\n### --adapt self-training: scored on every held-out beat\n", header);
lines.push(`| network alone | ${fmt(pooled((o) => ({ keep: () => true, probabilities: o.probabilities })))} |`);
const self: { name: string; s: Scored }[] = [];
for (const confidence of [0.6, 0.8, 0.9, 0.95]) for (const k of [3, 5, 10, 20]) for (const smoothing of [0.1, 0.5, 1]) for (const weight of [0.3, 0.5, 0.7]) {
  const settings = { k, smoothing, weight, confidence };
  self.push({ name: `confidence ${confidence}, k ${k}, smoothing ${smoothing}, weight ${weight}`, s: pooled((o) => ({ keep: () => true,
    probabilities: selfTrainingProbabilities({ rows: o.rows, probabilities: o.probabilities, groups: Array.from(o.test, record) }, width, classes, settings) })) });
}
self.sort((a, b) => b.s.objective - a.s.objective);
for (const { name, s } of self.slice(0, 12)) lines.push(`| ${name} | ${fmt(s)} |`);
console.log(lines.join("\n"));
