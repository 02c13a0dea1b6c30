import assert from "node:assert/strict";
import { test } from "node:test";
import { resample } from "../../../src/data/ecg/filters.js";
import { evaluateDetectorOnRecord, referenceBeats } from "../../../src/data/ecg/rpeak-evaluation.js";
import { detectRPeaks, scoreDetections } from "../../../src/data/ecg/rpeaks.js";
import { sampleDataDir } from "../../../src/data/ecg/sample-data.js";
import { listRecords, readRecord } from "../../../src/data/ecg/wfdb-record.js";

test("beat-by-beat scoring with a matching window (hand-worked)", () => {
  const s = scoreDetections([100, 400, 700, 1000], [90, 440, 705, 1200, 1300], 54);
  assert.deepEqual(
    { tp: s.truePositives, fn: s.falseNegatives, fp: s.falsePositives },
    { tp: 3, fn: 1, fp: 2 },
  );
  assert.equal(s.sensitivity, 0.75);
  assert.equal(s.positivePredictivity, 0.6);
});

test("Pan-Tompkins detector reaches Se and +P >= 99.5% on the bundled MIT-BIH records (150 ms window)", () => {
  const dir = sampleDataDir();
  let tp = 0, fn = 0, fp = 0;
  for (const name of listRecords(dir)) {
    const s = evaluateDetectorOnRecord(readRecord(dir, name));
    tp += s.truePositives; fn += s.falseNegatives; fp += s.falsePositives;
  }
  const se = tp / (tp + fn);
  const ppv = tp / (tp + fp);
  assert.ok(se >= 0.995, `sensitivity ${se}`);
  assert.ok(ppv >= 0.995, `positive predictivity ${ppv}`);
});

test("the detector works at other sampling rates (record 100 resampled to 250 Hz)", () => {
  const record = readRecord(sampleDataDir(), "100");
  const signal = resample(record.physical[0], 360, 250);
  const detections = detectRPeaks(signal, 250);
  const reference = referenceBeats(record).beats.map((s) => Math.round(s * 250 / 360));
  const s = scoreDetections(reference, detections, Math.round(0.15 * 250));
  assert.ok(s.sensitivity >= 0.995 && s.positivePredictivity >= 0.995, JSON.stringify(s));
});

test("a flat or too-short signal yields no beats rather than NaN or an error", () => {
  assert.equal(detectRPeaks(new Float64Array(3600), 360).length, 0);
  assert.equal(detectRPeaks(new Float64Array(100), 360).length, 0);
});
