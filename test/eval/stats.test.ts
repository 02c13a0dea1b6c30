import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import {
  bootstrapCi,
  bootstrapMany,
  quantileSorted,
  studentTCdf,
  studentTQuantile,
  pairedBySeed,
  summarizeSeeds,
} from "../../src/eval/index.js";
import { Rng } from "../../src/core/random.js";

const near = (actual: number, expected: number, tolerance: number, what = "") =>
  assert.ok(Math.abs(actual - expected) <= tolerance, `${what} ${actual} vs ${expected}`);

test("t quantiles match the closed forms for 1, 2 and 4 degrees of freedom", () => {
  // Closed forms of the t quantile function (e.g. Hill 1970; Wikipedia "Student's t-distribution"):
  // df 1: tan(pi (p - 1/2)); df 2: (2p - 1) / sqrt(2 p (1 - p));
  // df 4: sign(p - 1/2) 2 sqrt(q - 1), q = cos(arccos(sqrt(a)) / 3) / sqrt(a), a = 4 p (1 - p).
  for (const p of [0.6, 0.9, 0.95, 0.975, 0.995, 0.9995, 0.025, 0.3]) {
    near(studentTQuantile(p, 1), Math.tan(Math.PI * (p - 0.5)), 1e-9 * Math.max(1, Math.abs(Math.tan(Math.PI * (p - 0.5)))), `df 1 p ${p}`);
    near(studentTQuantile(p, 2), (2 * p - 1) / Math.sqrt(2 * p * (1 - p)), 1e-10, `df 2 p ${p}`);
    const a = 4 * p * (1 - p);
    const q = Math.cos(Math.acos(Math.sqrt(a)) / 3) / Math.sqrt(a);
    near(studentTQuantile(p, 4), Math.sign(p - 0.5) * 2 * Math.sqrt(q - 1), 1e-10, `df 4 p ${p}`);
  }
});

test("t quantiles match published table values and the normal limit", () => {
  // Two-sided 95% critical values, t(0.975, df), as printed in standard tables (NIST/SEMATECH
  // e-Handbook of Statistical Methods, section 1.3.6.7.2, to 3 decimals).
  const table: [number, number][] = [[3, 3.182], [5, 2.571], [10, 2.228], [20, 2.086], [30, 2.042], [100, 1.984]];
  for (const [df, value] of table) near(studentTQuantile(0.975, df), value, 5e-4, `df ${df}`);
  // As df grows, t tends to the standard normal quantile 1.959963984540054.
  near(studentTQuantile(0.975, 1e8), 1.959963984540054, 1e-6, "df 1e8");
});

test("t CDF integrates the t density (non-integer df)", () => {
  // Simpson's rule on the density f(x) = Gamma((v+1)/2) / (sqrt(v pi) Gamma(v/2)) (1 + x^2/v)^(-(v+1)/2).
  const v = 7.5;
  const lgamma = (x: number) => {
    // Stirling series, accurate to ~1e-12 for x > 3; shift small arguments up.
    let shift = 0;
    while (x < 10) { shift -= Math.log(x); x += 1; }
    return shift + (x - 0.5) * Math.log(x) - x + 0.5 * Math.log(2 * Math.PI) + 1 / (12 * x) - 1 / (360 * x ** 3) + 1 / (1260 * x ** 5);
  };
  const c = Math.exp(lgamma((v + 1) / 2) - lgamma(v / 2)) / Math.sqrt(v * Math.PI);
  const density = (x: number) => c * Math.pow(1 + (x * x) / v, -(v + 1) / 2);
  const t = studentTQuantile(0.975, v);
  const steps = 2000;
  const h = t / steps;
  let integral = density(0) + density(t);
  for (let i = 1; i < steps; i++) integral += (i % 2 ? 4 : 2) * density(i * h);
  integral *= h / 3;
  near(0.5 + integral, 0.975, 1e-10, "integral");
  near(studentTCdf(-t, v), 0.025, 1e-12, "symmetry");
});

test("summarizeSeeds: hand-computed mean, std and t interval", () => {
  // values 1..5: mean 3, sample variance 10/4 = 2.5, std 1.5811388;
  // half width t(0.975, 4) * std / sqrt(5) = 2.7764451 * 0.7071068 = 1.9632432.
  const s = summarizeSeeds([1, 2, 3, 4, 5]);
  assert.equal(s.mean, 3);
  near(s.std as number, Math.sqrt(2.5), 1e-15);
  near(s.lower as number, 3 - 1.9632432, 1e-6);
  near(s.upper as number, 3 + 1.9632432, 1e-6);
  const single = summarizeSeeds([0.97]);
  assert.deepEqual([single.std, single.lower, single.upper], [null, null, null]);
  assert.throws(() => summarizeSeeds([]), /no values/);
  assert.throws(() => summarizeSeeds([1, NaN]), /value 1 is NaN/);
});

test("percentiles match numpy.percentile", () => {
  const fixture = JSON.parse(readFileSync(new URL("../../../test/eval/fixtures/metrics.json", import.meta.url), "utf8"));
  const { values, p, expected } = fixture.percentiles as { values: number[]; p: number[]; expected: number[] };
  const sorted = Float64Array.from(values).sort();
  p.forEach((q, i) => near(quantileSorted(sorted, q), expected[i], 1e-12, `p ${q}`));
});

test("bootstrap: deterministic, counts sum to n, width matches the binomial standard error", () => {
  const n = 400;
  const rng = new Rng(11);
  const success = new Uint8Array(n).map(() => (rng.uniform() < 0.3 ? 1 : 0));
  const mean = (counts: Int32Array) => {
    let hits = 0;
    let total = 0;
    for (let i = 0; i < n; i++) {
      hits += counts[i] * success[i];
      total += counts[i];
    }
    assert.equal(total, n);
    return hits / total;
  };
  const a = bootstrapCi(n, mean, { resamples: 2000, seed: 5 });
  const b = bootstrapCi(n, mean, { resamples: 2000, seed: 5 });
  const c = bootstrapCi(n, mean, { resamples: 2000, seed: 6 });
  assert.deepEqual(a, b);
  assert.notDeepEqual(a, c);
  const p = a.estimate as number;
  const normalHalfWidth = 1.959964 * Math.sqrt((p * (1 - p)) / n);
  const halfWidth = ((a.upper as number) - (a.lower as number)) / 2;
  assert.ok(Math.abs(halfWidth / normalHalfWidth - 1) < 0.1, `bootstrap half width ${halfWidth} vs normal ${normalHalfWidth}`);
  assert.ok((a.lower as number) < p && p < (a.upper as number));
});

test("bootstrap: undefined resamples are counted and left out", () => {
  // The statistic is undefined whenever sample 0 is not drawn: probability (1 - 1/n)^n, about 0.35 for n = 20.
  const n = 20;
  const [interval] = bootstrapMany(n, (counts) => [counts[0] > 0 ? counts[0] : null], { resamples: 1000, seed: 1 });
  assert.ok(interval.undefinedResamples > 250 && interval.undefinedResamples < 450, `${interval.undefinedResamples}`);
  assert.ok((interval.lower as number) >= 1);
  const never = bootstrapCi(5, () => null, { resamples: 10 });
  assert.deepEqual(never, { estimate: null, lower: null, upper: null, undefinedResamples: 10 });
  assert.throws(() => bootstrapCi(5, () => 1, { resamples: 0 }), /resamples must be a positive integer/);
  assert.throws(() => bootstrapCi(5, () => 1, { confidence: 95 }), /confidence must be in \(0, 1\)/);
});

test("pairedBySeed: the paired t test of scipy.stats.ttest_rel, over the seeds both runs share", () => {
  // scipy 1.17: ttest_rel([94.70, 95.66, 95.23, 93.96, 94.39], [94.07, 93.64, 94.70, 95.02, 93.96])
  // -> statistic 1.0447179165479643, pvalue 0.3551290272556771 (df 4).
  const first = { seeds: [1, 2, 3, 4, 5], values: [94.07, 93.64, 94.7, 95.02, 93.96] };
  const second = { seeds: [5, 4, 3, 2, 1, 6], values: [94.39, 93.96, 95.23, 95.66, 94.7, 99] };
  const paired = pairedBySeed(first, second)!;
  assert.deepEqual(paired.seeds, [1, 2, 3, 4, 5]);
  assert.ok(Math.abs(paired.pValue! - 0.3551290272556771) < 1e-9, `p ${paired.pValue}`);
  const d = paired.difference;
  assert.ok(Math.abs(d.mean - 0.51) < 1e-9);
  // t = mean / (sd / sqrt(n)); the interval's half-width is t(0.975, 4) = 2.776445 standard errors.
  const se = d.mean / 1.0447179165479643;
  assert.ok(Math.abs((d.upper! - d.mean) / se - 2.776445) < 1e-5);

  const two = pairedBySeed({ seeds: [1, 2, 3], values: [0.9, 0.8, 0.7] }, { seeds: [2, 3, 4], values: [0.85, 0.7, 0.1] })!;
  assert.deepEqual(two.seeds, [2, 3]);
  assert.deepEqual(two.difference.values.map((v) => Number(v.toFixed(12))), [0.05, 0]);
  assert.equal(pairedBySeed({ seeds: [1], values: [0.9] }, { seeds: [2], values: [0.8] }), null);
  assert.equal(pairedBySeed({ seeds: [1], values: [0.9] }, { seeds: [1], values: [0.8] })!.pValue, null);
  assert.equal(pairedBySeed({ seeds: [1, 2], values: [0.9, 0.8] }, { seeds: [1, 2], values: [0.9, 0.8] })!.pValue, 1);
});
