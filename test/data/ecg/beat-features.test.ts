import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { BEAT_FEATURE_NAMES, RHYTHM_SHAPE_NAMES, beatFeatures, selectBeatFeatures } from "../../../src/data/ecg/beat-features.js";
import { detectBeatsInRecord } from "../../../src/data/ecg/beats.js";
import { loadBeatDataset } from "../../../src/data/ecg/dataset.js";
import { sampleDataDir } from "../../../src/data/ecg/sample-data.js";
import { readRecord } from "../../../src/data/ecg/wfdb-record.js";
import { SKIP_NO_SHARED, sharedMitdbDir } from "./helpers.js";

const cacheDir = mkdtempSync(join(tmpdir(), "spikemed-features-"));
after(() => rmSync(cacheDir, { recursive: true, force: true }));

const F = BEAT_FEATURE_NAMES.length;
const mitdb = sharedMitdbDir();

test("RR features of a hand-worked rhythm: one early beat and a long pause", () => {
  // R peaks at 0, 1, 2, 2.5, 4.5 s (360 Hz): RR = 1, 1, 0.5, 2; the record's mean RR is 4.5 / 4 = 1.125, its median 1.
  const peaks = [0, 360, 720, 900, 1620];
  const amplitudes = [1, 1, 1, 2, 1];
  const f = beatFeatures(peaks, 360, {
    peakToPeak: amplitudes, templateCorrelation: [1, 1, 1, 0.5, 1], templateCorrelationP: [1, 1, 1, 0.2, 1],
    templateCorrelationQrs: [1, 1, 1, 0.3, 1], templateCorrelationT: [1, 1, 1, 0.4, 1], templateRmsRatio: [0, 0, 0, 1, 0], qrsWidthRatio: [1, 1, 1, 1.5, 1],
  }, {
    templateCorrelation: Float64Array.of(1, 1, 1, -0.5, 1), templateCorrelationP: Float64Array.of(1, 1, 1, -0.2, 1), templateCorrelationQrs: Float64Array.of(1, 1, 1, -0.3, 1),
    templateCorrelationT: Float64Array.of(1, 1, 1, -0.4, 1), templateRmsRatio: Float64Array.of(0, 0, 0, 2, 0), qrsWidthRatio: Float64Array.of(1, 1, 1, 2.5, 1),
  });
  const W = RHYTHM_SHAPE_NAMES.length;
  const row = (i: number): number[] => Array.from(f.subarray(i * W, (i + 1) * W));
  const near = (got: number[], want: number[]): void => {
    assert.equal(got.length, want.length);
    got.forEach((v, k) => assert.ok(Math.abs(v - want[k]) < 1e-6, `${BEAT_FEATURE_NAMES[k]}: ${v}, expected ${want[k]}`));
  };
  // Columns: pre, post (s); pre, post over the local median RR; amplitude over the median; pre, post over the
  // record's mean RR; pre over the local mean RR; the shape measures of the first lead, then the second's, passed through.
  // The early beat: 0.5 s after the previous one, 2 s before the next; local median and mean of (1, 1) = 1.
  near(row(3), [0.5, 2, 0.5, 2, 2, 0.5 / 1.125, 2 / 1.125, 0.5, 0.5, 0.2, 0.3, 0.4, 1, 1.5, -0.5, -0.2, -0.3, -0.4, 2, 2.5]);
  // The first beat borrows its post RR as pre RR; with no history its local median is the record's median RR (1)
  // and its local mean the record's mean RR (1.125).
  near(row(0), [1, 1, 1, 1, 1, 1 / 1.125, 1 / 1.125, 1 / 1.125, 1, 1, 1, 1, 0, 1, 1, 1, 1, 1, 0, 1]);
  // The last beat, after the pause: history 1, 1, 0.5 (median 1, mean 2.5 / 3); it reuses its pre RR as post RR.
  near(row(4), [2, 2, 2, 2, 1, 2 / 1.125, 2 / 1.125, 2 / (2.5 / 3), 1, 1, 1, 1, 0, 1, 1, 1, 1, 1, 0, 1]);
  // One beat, one lead: the second lead's measures are missing (NaN), not made up.
  const one = { peakToPeak: [3], templateCorrelation: [1], templateCorrelationP: [1], templateCorrelationQrs: [1], templateCorrelationT: [1], templateRmsRatio: [0], qrsWidthRatio: [1] };
  assert.deepEqual(Array.from(beatFeatures([100], 360, one)), [0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, ...new Array(6).fill(Number.NaN)]);
});

test("features are picked by name, in the order asked, and an unknown name is a named error", () => {
  const values = Float32Array.from([1, 2, 3, 4, 5, 6]);
  assert.deepEqual(Array.from(selectBeatFeatures(values, ["a", "b", "c"], ["c", "a"])), [3, 1, 6, 4]);
  assert.deepEqual(Array.from(selectBeatFeatures(values, ["a", "b", "c"], [])), []);
  assert.throws(() => selectBeatFeatures(values, ["a", "b", "c"], ["heart_rate"]), /"heart_rate" is not computed \(available: a, b, c\)/);
  // A feature some beats lack (a second lead's, of a one-lead record) is refused by name, never passed on as NaN.
  const gaps = Float32Array.from([1, 2, 3, Number.NaN]);
  assert.deepEqual(Array.from(selectBeatFeatures(gaps, ["a", "lead2_b"], ["a"])), [1, 3]);
  assert.throws(() => selectBeatFeatures(gaps, ["a", "lead2_b"], ["lead2_b"]), /"lead2_b" is missing for some beats/);
});

test("dataset features: RR in seconds matches the annotations, and premature (S) beats come early", () => {
  const d = loadBeatDataset({ cacheDir });
  assert.deepEqual(d.featureNames, BEAT_FEATURE_NAMES);
  assert.equal(d.features.length, d.y.length * F);
  const again = loadBeatDataset({ cacheDir });
  assert.ok(again.fromCache);
  assert.deepEqual(again.features, d.features);
  // Consecutive annotated beats of one record (none dropped in between): pre RR = sample difference / 360
  // exactly, whatever rate the windows are cut at.
  let checked = 0;
  for (let i = 1; i < d.y.length; i++) {
    if (d.recordOfBeat[i] !== d.recordOfBeat[i - 1]) continue;
    const gap = (d.sampleOfBeat[i] - d.sampleOfBeat[i - 1]) / 360;
    assert.ok(Math.abs(d.features[i * F] - gap) <= 1e-6, `beat ${i}: pre RR ${d.features[i * F]}, annotations ${gap}`);
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

test("record 232: its S beats set the local rhythm, yet come early against the record's mean RR", { skip: mitdb ? false : SKIP_NO_SHARED }, () => {
  const d = loadBeatDataset({ dataDir: mitdb, records: ["232"], cacheDir });
  const column = (name: string): number => BEAT_FEATURE_NAMES.indexOf(name);
  const median = (cls: number, name: string): number => {
    const v = Array.from(d.y.keys()).filter((i) => d.y[i] === cls).map((i) => d.features[i * F + column(name)]).sort((a, b) => a - b);
    return v[v.length >> 1];
  };
  assert.ok(Math.abs(median(1, "pre_rr_ratio") - 1) < 0.05, `S: median pre RR over the local median RR ${median(1, "pre_rr_ratio")}`);
  assert.ok(median(1, "pre_rr_record_ratio") < 0.8, `S: median pre RR over the record's mean RR ${median(1, "pre_rr_record_ratio")}`);
  assert.ok(median(0, "pre_rr_record_ratio") > 1.2, `N (after the pauses): ${median(0, "pre_rr_record_ratio")}`);
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
