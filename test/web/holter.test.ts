import assert from "node:assert/strict";
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { aamiClassOfSymbol } from "../../src/data/ecg/beats.js";
import { readRecord, sampleDataDir } from "../../src/data/ecg/index.js";
import { annotationSymbol } from "../../src/data/ecg/wfdb-annotation.js";
import { predictionAnnotations, predictionsCsv } from "../../src/web/downloads.js";
import { beatNearest, classRuns, heartRateTrend, holterSummary, nextBeat, runCounts } from "../../src/web/holter.js";

// The page's Holter summary and downloads, on sequences counted by hand.

const CLASSES = ["N", "S", "V", "F", "Q"];
const N = 0, S = 1, V = 2;
const scratch = mkdtempSync(join(tmpdir(), "spikemed-holter-"));
after(() => rmSync(scratch, { recursive: true, force: true }));

test("runs: isolated beats, couplets, triplets and longer runs, counted by hand", () => {
  //             V  . V V  . V V V  . V V V V V  . V(end)
  const labels = [V, N, V, V, N, V, V, V, N, V, V, V, V, V, N, V];
  assert.deepEqual(classRuns(labels, V), [{ start: 0, length: 1 }, { start: 2, length: 2 }, { start: 5, length: 3 }, { start: 9, length: 5 }, { start: 15, length: 1 }]);
  assert.deepEqual(runCounts(labels, V), {
    isolated: 2, couplets: 1, triplets: 1, runs: 2, longest: 5, runList: [{ start: 5, length: 3 }, { start: 9, length: 5 }],
  });
  assert.deepEqual(runCounts(labels, S), { isolated: 0, couplets: 0, triplets: 0, runs: 0, longest: 0, runList: [] });
});

test("heart rate trend: 60 over the mean RR of the intervals ending in each bin", () => {
  // 100 Hz: beats every 100 samples (1 s, 60/min) for the first 10 s, then every 50 (0.5 s, 120/min); bins of 10 s.
  const samples = [...Array.from({ length: 11 }, (_, i) => 100 * i), ...Array.from({ length: 10 }, (_, i) => 1000 + 50 * (i + 1))];
  const trend = heartRateTrend(samples, 100, 30, 10);
  assert.equal(trend.length, 3);
  // Bin 0 holds the RR intervals ending at 1..9 s (nine of 1 s); bin 1 the one ending at 10 s (1 s) and ten of 0.5 s ending at 10.5..15 s.
  assert.equal(trend[0].bpm, 60);
  assert.ok(Math.abs(trend[1].bpm! - (60 * 11) / (1 + 10 * 0.5)) < 1e-9, String(trend[1].bpm));
  assert.equal(trend[2].bpm, null);
});

test("summary: counts, burden in percent, disagreements with the reference", () => {
  const beats = { sampleOfBeat: [0, 10, 20, 30, 40, 50, 60, 70], labels: [N, N, V, V, N, S, N, N], reference: [N, N, V, N, -1, N, N, N] };
  const summary = holterSummary(beats, CLASSES, 10, 8);
  assert.deepEqual(summary.counts, { N: 5, S: 1, V: 2, F: 0, Q: 0 });
  assert.equal(summary.burden.V, 25);
  assert.equal(summary.burden.S, 12.5);
  assert.equal(summary.runs.V.couplets, 1);
  assert.equal(summary.runs.S.isolated, 1);
  assert.equal(summary.disagreements, 2); // beat 3 (V, annotated N) and beat 5 (S, annotated N); beat 4 has no reference
  assert.equal(summary.meanBpm, 60); // a beat every 10 samples at 10 Hz: RR 1 s
});

test("navigation: the next and previous beat of a kind, wrapping around", () => {
  const labels = [N, V, N, N, V, N];
  const isV = (i: number) => labels[i] === V;
  assert.equal(nextBeat(labels.length, 1, isV), 4);
  assert.equal(nextBeat(labels.length, 4, isV), 1);
  assert.equal(nextBeat(labels.length, 1, isV, -1), 4);
  assert.equal(nextBeat(labels.length, -1, isV), 1); // from before the first beat
  assert.equal(nextBeat(labels.length, 0, (i) => labels[i] === S), null);
  assert.equal(beatNearest([100, 200, 300], 149), 0);
  assert.equal(beatNearest([100, 200, 300], 151), 1);
  assert.equal(beatNearest([100, 200, 300], 1000), 2);
  assert.equal(beatNearest([], 5), -1);
});

test("CSV: one row per beat with every class's probability and the annotated class", () => {
  const probabilities = Float32Array.from([0.9, 0.05, 0.05, 0, 0, 0.1, 0.2, 0.7, 0, 0]);
  const csv = predictionsCsv({ sampleOfBeat: [360, 1080], labels: [N, V], reference: [N, -1], probabilities }, CLASSES, 360);
  const p = (v: number) => String(Math.fround(v));
  assert.equal(csv, [
    "beat,time_s,sample,class,probability,p_N,p_S,p_V,p_F,p_Q,reference",
    `0,1.000,360,N,${p(0.9)},${p(0.9)},${p(0.05)},${p(0.05)},0,0,N`,
    `1,3.000,1080,V,${p(0.7)},${p(0.1)},${p(0.2)},${p(0.7)},0,0,`,
  ].join("\n") + "\n");
});

test("the .pred annotation file is read back by spikemed's own WFDB reader: every beat at its sample, of its class", () => {
  // Beside a copy of record 100's header and signal, as a WFDB tool would find it (rdann -r 100 -a pred).
  for (const file of ["100.hea", "100.dat"]) copyFileSync(join(sampleDataDir(), file), join(scratch, file));
  const sampleOfBeat = Int32Array.from([18, 77, 370, 1500, 2000, 200000, 649999]); // gaps past 1023 samples need a SKIP
  const labels = Int32Array.from([0, 1, 2, 3, 4, 2, 0]);
  writeFileSync(join(scratch, "100.pred"), predictionAnnotations({ sampleOfBeat, labels }, CLASSES));
  const read = readRecord(scratch, "100", { annotator: "pred", requireAnnotations: true }).annotations!;
  assert.deepEqual(read.sample, sampleOfBeat);
  assert.deepEqual(Array.from(read.code, (c) => aamiClassOfSymbol(annotationSymbol(c))), Array.from(labels));
  assert.deepEqual(Array.from(read.code, annotationSymbol), ["N", "S", "V", "F", "Q", "V", "N"]);
  assert.throws(() => predictionAnnotations({ sampleOfBeat: [1], labels: [0] }, ["covid"]), /class "covid" has no WFDB annotation code/);
});
