import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { BEAT_FEATURE_NAMES, beatFeatures } from "../../../src/data/ecg/beat-features.js";
import { detectBeatsInRecord } from "../../../src/data/ecg/beats.js";
import { loadBeatDataset } from "../../../src/data/ecg/dataset.js";
import { sampleDataDir } from "../../../src/data/ecg/sample-data.js";
import { readRecord } from "../../../src/data/ecg/wfdb-record.js";

const cacheDir = mkdtempSync(join(tmpdir(), "spikemed-features-"));
after(() => rmSync(cacheDir, { recursive: true, force: true }));

const F = BEAT_FEATURE_NAMES.length;

test("RR features of a hand-worked rhythm: one early beat and its pause", () => {
  // R peaks at 0, 1, 2, 2.5, 4 s (360 Hz): RR = 1, 1, 0.5, 1.5.
  const peaks = [0, 360, 720, 900, 1440];
  const amplitudes = [1, 1, 1, 2, 1];
  const f = beatFeatures(peaks, 360, amplitudes);
  const row = (i: number): number[] => Array.from(f.subarray(i * F, (i + 1) * F));
  // The early beat: 0.5 s after the previous one, 1.5 s before the next; local rhythm = median(1, 1) = 1; amplitude 2 / median 1.
  assert.deepEqual(row(3), [0.5, 1.5, 0.5, 1.5, 2]);
  // The first beat borrows its post RR as pre RR; with no history its local rhythm is the record's median RR (1).
  assert.deepEqual(row(0), [1, 1, 1, 1, 1]);
  // The beat after the pause: pre 1.5 s against the median of 1, 1, 0.5 (= 1); the last beat reuses its pre RR as post RR.
  assert.deepEqual(row(4), [1.5, 1.5, 1.5, 1.5, 1]);
  assert.deepEqual(Array.from(beatFeatures([100], 360, [3])), [0, 0, 1, 1, 1]);
});

test("dataset features: RR in seconds matches the annotations, and premature (S) beats come early", () => {
  const d = loadBeatDataset({ cacheDir });
  assert.deepEqual(d.featureNames, BEAT_FEATURE_NAMES);
  assert.equal(d.features.length, d.y.length * F);
  const again = loadBeatDataset({ cacheDir });
  assert.ok(again.fromCache);
  assert.deepEqual(again.features, d.features);
  // Consecutive annotated beats of one record (none dropped in between): pre RR = sample difference / 360,
  // to within one sample of the rate the windows are cut at (the peaks are placed on that grid).
  let checked = 0;
  for (let i = 1; i < d.y.length; i++) {
    if (d.recordOfBeat[i] !== d.recordOfBeat[i - 1]) continue;
    const gap = (d.sampleOfBeat[i] - d.sampleOfBeat[i - 1]) / 360;
    assert.ok(Math.abs(d.features[i * F] - gap) <= 1 / d.samplingFrequency + 1e-5, `beat ${i}: pre RR ${d.features[i * F]}, annotations ${gap}`);
    checked++;
  }
  assert.equal(checked, d.y.length - d.records.length);
  // Record 232's S beats are not premature (sinus bradycardia with long pauses), so it is left out.
  const bradycardic = d.records.indexOf("232");
  const meanRatio = (cls: number): number => {
    let s = 0;
    let n = 0;
    for (let i = 0; i < d.y.length; i++) if (d.y[i] === cls && d.recordOfBeat[i] !== bradycardic) { s += d.features[i * F + 2]; n++; }
    return s / n;
  };
  assert.ok(meanRatio(1) < 0.85, `S beats: mean pre-RR ratio ${meanRatio(1)}`);
  assert.ok(Math.abs(meanRatio(0) - 1) < 0.1, `N beats: mean pre-RR ratio ${meanRatio(0)}`);
});

test("beats detected in an unannotated record carry the same features as training beats", () => {
  const record = readRecord(sampleDataDir(), "100", { annotator: null });
  const beats = detectBeatsInRecord(record);
  const n = beats.sampleOfBeat.length;
  assert.equal(beats.features.length, n * F);
  for (let i = 1; i < n; i++) {
    const pre = beats.features[i * F];
    assert.ok(pre > 0.3 && pre < 2.5, `beat ${i}: pre RR ${pre} s`);
  }
});
