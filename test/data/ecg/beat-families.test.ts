import assert from "node:assert/strict";
import { test } from "node:test";
import { BEAT_FEATURE_NAMES, FEATURE_FAMILIES, featuresOfFamilies } from "../../../src/data/ecg/beat-features.js";
import {
  FAMILY_SPAN_LENGTH, SHAPE_FAMILY_NAMES, UNIFORM_PATTERNS, familySpan, haarApproximation, morphologyDistances, rrFamilies, shapeFamilies, skewKurtosis, uniformLbpHistogram,
} from "../../../src/data/ecg/beat-families.js";
import { labelledBeatsOfRecord } from "../../../src/data/ecg/beats.js";
import { sampleDataDir } from "../../../src/data/ecg/sample-data.js";
import { readRecord } from "../../../src/data/ecg/wfdb-record.js";

const near = (got: ArrayLike<number>, want: number[], tolerance = 1e-9): void => {
  assert.equal(got.length, want.length);
  for (let k = 0; k < want.length; k++) assert.ok(Math.abs(got[k] - want[k]) <= tolerance, `[${k}]: ${got[k]}, expected ${want[k]}`);
};

test("Haar approximation by hand: pairs summed over sqrt(2) per level, an odd level's last sample repeated (PyWavelets' symmetric mode)", () => {
  near(haarApproximation([1, 2, 3, 4, 5, 6, 7, 8], 1), [3, 7, 11, 15].map((v) => v / Math.SQRT2));
  near(haarApproximation([1, 2, 3, 4, 5, 6, 7, 8], 3), [36 / (2 * Math.SQRT2)]);
  near(haarApproximation([1, 2, 3], 1), [3 / Math.SQRT2, 6 / Math.SQRT2]);
  // 180 -> 90 -> 45 -> 23 coefficients, as the paper's 23; a constant c gives c * 2^(3/2) each.
  near(haarApproximation(new Array(FAMILY_SPAN_LENGTH).fill(2), 3), new Array(23).fill(2 * 2 * Math.SQRT2));
});

test("skewness and kurtosis of a hand-worked stretch; a flat stretch gives 0, not NaN", () => {
  // 0, 0, 0, 1: mean 1/4, m2 = 3/16, m3 = 3/32, m4 = 21/256: skew = (3/32) / (3/16)^1.5 = 2 / sqrt(3), kurtosis = 7/3.
  near(skewKurtosis([5, 0, 0, 0, 1, 5], 1, 5), [2 / Math.sqrt(3), 7 / 3]);
  near(skewKurtosis([0.3, 0.3, 0.3, 0.3], 0, 4), [0, 0]);
});

test("uniform LBP: the 58 uniform 8-bit codes are the published list, and tiny sequences land in the bins worked out by hand", () => {
  // mondejar/ecg-classification's uniform_pattern_list, written out there by hand.
  assert.deepEqual(UNIFORM_PATTERNS, [0, 1, 2, 3, 4, 6, 7, 8, 12, 14, 15, 16, 24, 28, 30, 31, 32, 48, 56, 60, 62, 63, 64, 96, 112, 120, 124, 126, 127, 128,
    129, 131, 135, 143, 159, 191, 192, 193, 195, 199, 207, 223, 224, 225, 227, 231, 239, 240, 241, 243, 247, 248, 249, 251, 252, 253, 254, 255]);
  const only = (bin: number): number[] => Array.from({ length: 59 }, (_, k) => (k === bin ? 1 : 0));
  // One coded sample (the middle one of nine): above all eight neighbours = 11111111 = 255, the last uniform bin.
  near(uniformLbpHistogram([0, 0, 0, 0, 5, 0, 0, 0, 0]), only(57));
  // A rising ramp: above the four before, below the four after = 11110000 = 240, uniform bin 47.
  near(uniformLbpHistogram([0, 1, 2, 3, 4, 5, 6, 7, 8]), only(UNIFORM_PATTERNS.indexOf(240)));
  assert.equal(UNIFORM_PATTERNS.indexOf(240), 47);
  // Alternating neighbours = 10101010 = 170, not uniform: bin 58.
  near(uniformLbpHistogram([0, 9, 0, 9, 5, 0, 9, 0, 9]), only(58));
  // Two coded samples of ten, each half the histogram: the 0 is below every neighbour (code 0); the 9 after it
  // is above its fourth neighbour only, the 0 (00010000 = 16, uniform bin 11).
  const two = uniformLbpHistogram([9, 9, 9, 9, 0, 9, 9, 9, 9, 9]);
  assert.equal(UNIFORM_PATTERNS.indexOf(16), 11);
  near(two, Array.from({ length: 59 }, (_, k) => (k === 0 || k === 11 ? 0.5 : 0)));
});

test("morphological distances of a synthetic beat, worked out by hand", () => {
  // P max 0.2 at 20, Q min -0.3 at 80, R 1 at 90, S min -0.4 at 100, T max 0.3 at 165; zero elsewhere.
  const span = new Float64Array(FAMILY_SPAN_LENGTH);
  Object.entries({ 20: 0.2, 80: -0.3, 90: 1, 100: -0.4, 165: 0.3 }).forEach(([k, v]) => { span[Number(k)] = v; });
  // Positions over 165 - 20 = 145, values over 1 - (-0.4) = 1.4: hypot((90 - x) / 145, (1 - y) / 1.4).
  near(morphologyDistances(span), [Math.hypot(70 / 145, 0.8 / 1.4), Math.hypot(10 / 145, 1.3 / 1.4), Math.hypot(-10 / 145, 1.4 / 1.4), Math.hypot(-75 / 145, 0.7 / 1.4)]);
  near(morphologyDistances(new Float64Array(FAMILY_SPAN_LENGTH)), [0, 0, 0, 0]);
});

test("RR families of a hand-worked rhythm: local = mean of the last ten pre RR, global = mean over the 5 minutes before", () => {
  // R peaks at 0, 1, 2, 2.5, 4.5 s (360 Hz): pre RR 1 (borrowed from the post RR), 1, 1, 0.5, 2.
  const f = rrFamilies([0, 360, 720, 900, 1620], 360);
  const local = [1, 1, 1, 3.5 / 4, 5.5 / 5];
  const global = [1, 1, 1, 1, 3.5 / 4];
  const localMean = local.reduce((a, b) => a + b) / 5;
  const globalMean = global.reduce((a, b) => a + b) / 5;
  local.forEach((l, i) => near(f.subarray(i * 4, (i + 1) * 4), [l, global[i], l / localMean, global[i] / globalMean], 1e-6));
  // Beats at 0, 100, 350, 400 s: the last one's 5 minutes hold only the beat at 350 s (pre RR 250).
  assert.equal(rrFamilies([0, 100, 350, 400], 1)[3 * 4 + 1], 250);
  near(rrFamilies([7], 360), [0, 0, 1, 1]);
});

test("the span is read at 360 Hz whatever the signal's rate: a ramp at 120 Hz is interpolated exactly, ends held", () => {
  const ramp = Float64Array.from({ length: 400 }, (_, i) => i);
  near(familySpan(ramp, 100, 120), Array.from({ length: FAMILY_SPAN_LENGTH }, (_, k) => 100 + (k - 90) / 3));
  near(familySpan(ramp, 10, 120).subarray(0, 3), [0, 0, 0]);
  near(familySpan(ramp, 10, 360).subarray(0, 3), [0, 0, 0]);
  near(familySpan(ramp, 200, 360), Array.from({ length: FAMILY_SPAN_LENGTH }, (_, k) => 110 + k));
});

test("shape families of a record: the columns are the parts above, wavelets in units of the record's median span", () => {
  const signal = Float64Array.from({ length: 2000 }, (_, i) => Math.sin(i / 7) + (i % 360 === 0 ? 3 : 0));
  const peaks = [360, 720, 1080, 1440];
  const rows = shapeFamilies(signal, peaks, 360);
  const width = SHAPE_FAMILY_NAMES.length;
  assert.equal(width, 2 * (23 + 10 + 59 + 4));
  const spans = peaks.map((p) => familySpan(signal, p, 360));
  const ranges = spans.map((s) => Math.max(...s) - Math.min(...s)).sort((a, b) => a - b);
  const typical = (ranges[1] + ranges[2]) / 2;
  const row = rows.subarray(width, 2 * width);
  near(row.subarray(0, 23), Array.from(haarApproximation(spans[1], 3), (c) => c / typical), 1e-5);
  near(row.subarray(23, 24), [skewKurtosis(spans[1], 15, 45)[0]], 1e-5);
  near(row.subarray(28, 29), [skewKurtosis(spans[1], 15, 45)[1]], 1e-5);
  near(row.subarray(33, 92), Array.from(uniformLbpHistogram(spans[1])), 1e-6);
  near(row.subarray(92, 96), Array.from(morphologyDistances(spans[1])), 1e-6);
  // The rel_ columns: each minus the median over the four beats (the mean of the middle two).
  for (const c of [0, 11, 23, 40, 95]) {
    const column = peaks.map((_, i) => rows[i * width + c]).sort((a, b) => a - b);
    near([rows[width + 96 + c]], [rows[width + c] - (column[1] + column[2]) / 2], 1e-5);
  }
});

test("feature families by name: joined by +, each feature once, an unknown one a named error", () => {
  assert.deepEqual(featuresOfFamilies("rr-norm"), ["pre_rr_record_ratio", "post_rr_record_ratio", "local_rr_record_ratio", "global_rr_record_ratio"]);
  assert.deepEqual(featuresOfFamilies("morph+lead2-morph+morph_p_max"), ["morph_p_max", "morph_q_min", "morph_s_min", "morph_t_max", "lead2_morph_p_max", "lead2_morph_q_min", "lead2_morph_s_min", "lead2_morph_t_max"]);
  assert.equal(featuresOfFamilies("wavelet+hos+lbp").length, 23 + 10 + 59);
  assert.deepEqual(featuresOfFamilies("morph-rel"), ["rel_morph_p_max", "rel_morph_q_min", "rel_morph_s_min", "rel_morph_t_max"]);
  assert.throws(() => featuresOfFamilies("rr+wavelets"), /"wavelets" is neither a feature family nor a feature/);
  for (const names of Object.values(FEATURE_FAMILIES)) for (const name of names) assert.ok(BEAT_FEATURE_NAMES.includes(name), name);
});

test("a record's beats carry the families of both leads; V beats sit further from the record's usual wavelet shape than N beats", () => {
  const beats = labelledBeatsOfRecord(readRecord(sampleDataDir(), "208"));
  const width = BEAT_FEATURE_NAMES.length;
  const column = (name: string): number => BEAT_FEATURE_NAMES.indexOf(name);
  for (const name of ["wavelet_11", "lead2_lbp_58", "global_rr_record_ratio"]) {
    for (let i = 0; i < beats.y.length; i++) assert.ok(Number.isFinite(beats.features[i * width + column(name)]), `${name} of beat ${i}`);
  }
  // Mean |wavelet coefficient at the R peak - N beats' median| by class: ventricular beats change the QRS.
  const at = column("wavelet_11");
  const values = (cls: number): number[] => Array.from(beats.y.keys()).filter((i) => beats.y[i] === cls).map((i) => beats.features[i * width + at]);
  const n = values(0).sort((a, b) => a - b);
  const centre = n[n.length >> 1];
  const spread = (v: number[]): number => v.reduce((s, x) => s + Math.abs(x - centre), 0) / v.length;
  assert.ok(spread(values(2)) > 1.5 * spread(n), `V ${spread(values(2))}, N ${spread(n)}`);
});
