import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { SpikemedError } from "../../../src/core/errors.js";
import {
  aamiClassOfSymbol, DEFAULT_SAMPLE_RATE, DEFAULT_WINDOW_AFTER, DEFAULT_WINDOW_BEFORE, detectBeatsInRecord, preprocessSignal,
} from "../../../src/data/ecg/beats.js";
import { loadBeatDataset, type BeatDataset } from "../../../src/data/ecg/dataset.js";
import { sampleDataDir } from "../../../src/data/ecg/sample-data.js";
import { balancedSample, classCounts, classWeights, interPatientSplit, intraPatientSplit } from "../../../src/data/ecg/splits.js";
import { annotationSymbol } from "../../../src/data/ecg/wfdb-annotation.js";
import { readRecord } from "../../../src/data/ecg/wfdb-record.js";
import { referenceBeats } from "../../../src/data/ecg/rpeak-evaluation.js";
import { scoreDetections } from "../../../src/data/ecg/rpeaks.js";

const cacheDir = mkdtempSync(join(tmpdir(), "spikemed-cache-"));
after(() => rmSync(cacheDir, { recursive: true, force: true }));

// The AAMI EC57 grouping as printed in the mitdb README, written out independently of the code.
const README_AAMI: Record<string, string> = { N: "N", L: "N", R: "N", e: "N", j: "N", A: "S", a: "S", J: "S", S: "S", V: "V", E: "V", F: "F", "/": "Q", f: "Q", Q: "Q" };

let sample: BeatDataset | undefined;
function sampleDataset(): BeatDataset {
  sample ??= loadBeatDataset({ cacheDir });
  return sample;
}

test("AAMI mapping of every MIT-BIH beat symbol", () => {
  for (const [symbol, cls] of Object.entries(README_AAMI)) assert.equal(aamiClassOfSymbol(symbol), "NSVFQ".indexOf(cls), symbol);
  for (const nonBeat of ["+", "~", "|", "x", "!", "[", "]", '"']) assert.equal(aamiClassOfSymbol(nonBeat), -1);
});

test("the bundled dataset: 256-sample windows and per-class counts equal to the annotation files", () => {
  const d = sampleDataset();
  assert.equal(d.windowLength, 256);
  assert.deepEqual(d.classNames, ["N", "S", "V", "F", "Q"]);
  assert.deepEqual(d.records, ["100", "208", "209", "213", "232"]);
  assert.equal(d.x.length, d.y.length * 256);
  const expected = [0, 0, 0, 0, 0];
  for (const name of d.records) {
    const a = readRecord(sampleDataDir(), name).annotations!;
    for (let i = 0; i < a.code.length; i++) {
      const cls = README_AAMI[annotationSymbol(a.code[i])];
      // Beats whose window (at the window rate) would leave the record cannot be cut out.
      const peak = Math.round((a.sample[i] * DEFAULT_SAMPLE_RATE) / 360);
      const length = Math.round((650000 * DEFAULT_SAMPLE_RATE) / 360);
      if (cls && peak >= DEFAULT_WINDOW_BEFORE && peak + DEFAULT_WINDOW_AFTER <= length) expected["NSVFQ".indexOf(cls)]++;
    }
  }
  assert.deepEqual([...classCounts(d.y, 5)], expected);
  assert.ok(expected[1] > 1000 && expected[2] > 1000 && expected[3] > 500, "N, S, V and F all present in the bundled sample");
  for (let i = 0; i < d.x.length; i++) if (!Number.isFinite(d.x[i])) assert.fail(`non-finite value at ${i}`);
});

test("a window is the conditioned lead (at the window rate) around the annotated R peak, z-scored", () => {
  const d = sampleDataset();
  const beat = 1000;
  const record = readRecord(sampleDataDir(), d.records[d.recordOfBeat[beat]]);
  const signal = preprocessSignal(record.physical[0], 360, { sampleRate: DEFAULT_SAMPLE_RATE });
  const r = d.sampleOfBeat[beat];
  const peak = Math.round((r * DEFAULT_SAMPLE_RATE) / 360);
  const window = Array.from(signal.subarray(peak - DEFAULT_WINDOW_BEFORE, peak + DEFAULT_WINDOW_AFTER));
  const mean = window.reduce((a, b) => a + b, 0) / 256;
  const std = Math.sqrt(window.reduce((a, b) => a + (b - mean) ** 2, 0) / 256);
  for (let k = 0; k < 256; k++) assert.ok(Math.abs(d.x[beat * 256 + k] - (window[k] - mean) / std) < 1e-4, `sample ${k}`);
  assert.ok(record.annotations!.sample.includes(r));
});

test("cache: the second load comes from disk, is identical, and the key follows the parameters", () => {
  const first = loadBeatDataset({ records: ["100"], cacheDir, windowBefore: 100, windowAfter: 100 });
  const second = loadBeatDataset({ records: ["100"], cacheDir, windowBefore: 100, windowAfter: 100 });
  assert.equal(first.fromCache, false);
  assert.equal(second.fromCache, true);
  assert.equal(second.cacheFile, first.cacheFile);
  assert.deepEqual(second.x, first.x);
  assert.deepEqual(second.y, first.y);
  assert.deepEqual(second.sampleOfBeat, first.sampleOfBeat);
  assert.deepEqual(second.recordOfBeat, first.recordOfBeat);
  assert.equal(second.windowLength, 200);
  const other = loadBeatDataset({ records: ["100"], cacheDir, windowBefore: 100, windowAfter: 100, normalization: "minmax" });
  assert.notEqual(other.cacheFile, first.cacheFile);
  assert.equal(other.fromCache, false);
  assert.ok(readdirSync(cacheDir).every((f) => !f.endsWith(".tmp")), "no temporary files left behind");
});

test("paced records are left out by default; unreadable records are named", () => {
  const d = loadBeatDataset({ records: ["100", "102"], useCache: false, denoise: false });
  assert.deepEqual(d.records, ["100"]);
  assert.throws(
    () => loadBeatDataset({ records: ["100", "999"], useCache: false, denoise: false }),
    (e: unknown) => e instanceof SpikemedError && /cannot read 1 record\(s\) in .*: 999/.test(e.message),
  );
  const skipped = loadBeatDataset({ records: ["100", "999"], useCache: false, denoise: false, onUnreadableRecord: "skip" });
  assert.deepEqual(skipped.failedRecords.map((f) => f.name), ["999"]);
  assert.throws(() => loadBeatDataset({ records: ["100"], useCache: false, normalization: "l2" as never }), /normalization "l2"/);
});

test("intra-patient split: stratified, disjoint, complete, seeded", () => {
  const { y } = sampleDataset();
  const split = intraPatientSplit(y, { seed: 7, testFraction: 0.2, validationFraction: 0.1 });
  const seen = new Uint8Array(y.length);
  for (const part of [split.train, split.validation, split.test]) for (const i of part) seen[i]++;
  assert.ok(seen.every((v) => v === 1), "every beat in exactly one part");
  const all = classCounts(y, 5);
  const test = classCounts(y, 5, split.test);
  const validation = classCounts(y, 5, split.validation);
  for (let c = 0; c < 5; c++) {
    assert.equal(test[c], Math.round(all[c] * 0.2), `test share of class ${c}`);
    assert.equal(validation[c], Math.round((all[c] - test[c]) * 0.1), `validation share of class ${c}`);
  }
  assert.deepEqual(intraPatientSplit(y, { seed: 7 }), intraPatientSplit(y, { seed: 7 }));
  assert.notDeepEqual(intraPatientSplit(y, { seed: 7 }).test, intraPatientSplit(y, { seed: 8 }).test);
});

test("inter-patient split keeps records apart; validation comes from the training records only", () => {
  const d = sampleDataset();
  const trainRecords = ["208", "209"];
  const testRecords = ["100", "213", "232"];
  for (const validationBy of ["beats", "records"] as const) {
    const split = interPatientSplit(d, { trainRecords, testRecords, seed: 3, validationBy, validationFraction: 0.5 });
    const recordsOf = (part: Int32Array): Set<string> => new Set([...part].map((i) => d.records[d.recordOfBeat[i]]));
    assert.deepEqual([...recordsOf(split.test)].sort(), testRecords);
    for (const r of [...recordsOf(split.train), ...recordsOf(split.validation)]) assert.ok(trainRecords.includes(r), `${validationBy}: ${r}`);
    assert.equal(split.train.length + split.validation.length + split.test.length, d.y.length);
    assert.ok(split.validation.length > 0);
  }
  assert.throws(() => interPatientSplit(d, { trainRecords: ["100"], testRecords: ["100"] }), /both train and test/);
});

test("class weights and balanced sampling (hand-worked)", () => {
  const y = Uint8Array.from([0, 0, 0, 1, 3, 3]);
  assert.deepEqual([...classWeights(y, 5)], [6 / 9, 6 / 3, 0, 6 / 6, 0]);
  assert.deepEqual([...classWeights(y, 5, undefined, 0.5)], [Math.sqrt(6 / 9), Math.sqrt(6 / 3), 0, 1, 0]);
  const sampled = balancedSample([0, 1, 2, 3, 4, 5], y, 11);
  assert.deepEqual([...classCounts(y, 5, sampled)], [3, 3, 0, 3, 0]);
  assert.deepEqual(balancedSample([0, 1, 2, 3, 4, 5], y, 11), sampled);
  assert.deepEqual([...classCounts(y, 5, balancedSample([0, 1, 2, 3, 4, 5], y, 1, 2))], [2, 2, 0, 2, 0]);
});

test("beats of an unannotated signal come from the R-peak detector in the same window format", () => {
  const record = readRecord(sampleDataDir(), "100", { annotator: null });
  const beats = detectBeatsInRecord(record);
  assert.equal(beats.windowLength, 256);
  assert.equal(beats.x.length, beats.sampleOfBeat.length * 256);
  const reference = referenceBeats(readRecord(sampleDataDir(), "100")).beats;
  const s = scoreDetections(reference, beats.rPeaks, 54);
  assert.ok(s.sensitivity >= 0.995 && s.positivePredictivity >= 0.995, JSON.stringify(s));
  // Refined peaks sit on the annotated R peak (within 3 samples) for nearly all normal beats of record 100.
  let close = 0;
  for (const r of reference) {
    let best = Infinity;
    for (const p of beats.rPeaks) best = Math.min(best, Math.abs(p - r));
    if (best <= 3) close++;
  }
  assert.ok(close / reference.length > 0.95, `${close} of ${reference.length} within 3 samples`);
});

test("beats windowed at 120 Hz are detected at the detector's own 360 Hz: same beats found, R peaks within one 120 Hz sample", () => {
  for (const name of ["100", "208"]) {
    const record = readRecord(sampleDataDir(), name, { annotator: null });
    const at360 = detectBeatsInRecord(record);
    const at120 = detectBeatsInRecord(record, { sampleRate: 120, windowBefore: 120, windowAfter: 136 });
    assert.equal(at120.windowLength, 256);
    assert.equal(at120.rPeaks.length, at360.rPeaks.length, `record ${name}: the same detections`);
    const reference = referenceBeats(readRecord(sampleDataDir(), name)).beats;
    const s = scoreDetections(reference, at120.rPeaks, 54);
    assert.ok(s.sensitivity >= 0.99 && s.positivePredictivity >= 0.99, `record ${name}: ${JSON.stringify(s)}`);
    if (name !== "100") continue;
    // On record 100's normal beats the peak refined on the 120 Hz signal sits within one of its
    // samples (3 at 360 Hz) of the annotated R peak.
    let close = 0;
    for (const r of reference) if (at120.rPeaks.some((p) => Math.abs(p - r) <= 3)) close++;
    assert.ok(close / reference.length > 0.99, `${close} of ${reference.length} within 3 samples`);
  }
});
