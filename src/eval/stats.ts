/**
 * Uncertainty: bootstrap percentile intervals for any metric, and mean / standard deviation /
 * Student t interval across repeated runs (seeds).
 */
import { Rng } from "../core/random.js";
import { SpikemedError } from "../core/errors.js";

// ---------------------------------------------------------------------------------------------
// Student t distribution

/** ln(Gamma(x)) for x > 0 (Lanczos, g = 7, 9 terms: about 15 significant digits). */
export function logGamma(x: number): number {
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  const c = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
    12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
  ];
  const z = x - 1;
  let sum = c[0];
  for (let i = 1; i < 9; i++) sum += c[i] / (z + i);
  const t = z + 7.5;
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(sum);
}

/** Regularized incomplete beta I_x(a, b), by its continued fraction (modified Lentz). */
export function incompleteBeta(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const front = Math.exp(logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log(1 - x));
  // The fraction converges fast only for x < (a + 1) / (a + b + 2); use the symmetry otherwise.
  if (x > (a + 1) / (a + b + 2)) return 1 - (front * betaContinuedFraction(1 - x, b, a)) / b;
  return (front * betaContinuedFraction(x, a, b)) / a;
}

function betaContinuedFraction(x: number, a: number, b: number): number {
  const tiny = 1e-300;
  let c = 1;
  let d = 1 - ((a + b) * x) / (a + 1);
  if (Math.abs(d) < tiny) d = tiny;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= 500; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((a + m2 - 1) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (a + b + m) * x) / ((a + m2) * (a + m2 + 1));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return h;
}

/** P(T <= t) for Student's t with `df` degrees of freedom (df > 0, not necessarily an integer). */
export function studentTCdf(t: number, df: number): number {
  const tail = 0.5 * incompleteBeta(df / (df + t * t), df / 2, 0.5);
  return t >= 0 ? 1 - tail : tail;
}

/** The p-quantile of Student's t with `df` degrees of freedom, by bisection on the CDF. */
export function studentTQuantile(p: number, df: number): number {
  if (!(p > 0 && p < 1)) throw new SpikemedError(`studentTQuantile: probability must be in (0, 1), got ${p}`);
  if (!(df > 0) || !Number.isFinite(df))
    throw new SpikemedError(`studentTQuantile: degrees of freedom must be positive, got ${df}`);
  if (p < 0.5) return -studentTQuantile(1 - p, df);
  if (p === 0.5) return 0;
  let lo = 0;
  let hi = 1;
  while (studentTCdf(hi, df) < p) {
    lo = hi;
    hi *= 2;
  }
  for (let i = 0; i < 200 && hi - lo > 1e-15 * hi; i++) {
    const mid = 0.5 * (lo + hi);
    if (studentTCdf(mid, df) < p) lo = mid;
    else hi = mid;
  }
  return 0.5 * (lo + hi);
}

// ---------------------------------------------------------------------------------------------
// Across seeds

export interface SeedSummary {
  values: number[];
  n: number;
  mean: number;
  /** Sample standard deviation (n - 1); null for a single value. */
  std: number | null;
  confidence: number;
  /** Student t interval for the mean: mean +- t(1 - alpha/2, n - 1) * std / sqrt(n); null for a single value. */
  lower: number | null;
  upper: number | null;
}

/** Mean, standard deviation and t interval of the mean for one metric measured over several seeds. */
export function summarizeSeeds(values: readonly number[], confidence = 0.95): SeedSummary {
  checkConfidence(confidence, "summarizeSeeds");
  if (values.length === 0) throw new SpikemedError("summarizeSeeds: no values (run at least one seed)");
  values.forEach((v, i) => {
    if (!Number.isFinite(v)) throw new SpikemedError(`summarizeSeeds: value ${i} is ${v}, not a finite number`);
  });
  const n = values.length;
  const mean = values.reduce((a, b) => a + b, 0) / n;
  if (n === 1) return { values: [...values], n, mean, std: null, confidence, lower: null, upper: null };
  const std = Math.sqrt(values.reduce((a, v) => a + (v - mean) * (v - mean), 0) / (n - 1));
  const halfWidth = (studentTQuantile(1 - (1 - confidence) / 2, n - 1) * std) / Math.sqrt(n);
  return { values: [...values], n, mean, std, confidence, lower: mean - halfWidth, upper: mean + halfWidth };
}

export interface PairedDifference {
  /** The seeds both runs share, in the first run's order. */
  seeds: number[];
  /** Per-seed differences (second run minus first), their mean and its t interval. */
  difference: SeedSummary;
  /** Two-sided p of the paired t test that the mean difference is 0; null for fewer than two seeds. */
  pValue: number | null;
}

/**
 * Paired comparison of one metric measured by two runs over seeds: only the seeds both ran, each
 * second-run value minus the first run's value of the same seed.
 */
export function pairedBySeed(
  first: { seeds: readonly number[]; values: readonly number[] },
  second: { seeds: readonly number[]; values: readonly number[] },
  confidence = 0.95,
): PairedDifference | null {
  const seeds = first.seeds.filter((seed) => second.seeds.includes(seed));
  if (seeds.length === 0) return null;
  const differences = seeds.map((seed) => second.values[second.seeds.indexOf(seed)] - first.values[first.seeds.indexOf(seed)]);
  const difference = summarizeSeeds(differences, confidence);
  if (difference.std === null) return { seeds, difference, pValue: null };
  if (difference.std === 0) return { seeds, difference, pValue: difference.mean === 0 ? 1 : 0 };
  const t = difference.mean / (difference.std / Math.sqrt(difference.n));
  return { seeds, difference, pValue: 2 * (1 - studentTCdf(Math.abs(t), difference.n - 1)) };
}

function checkConfidence(confidence: number, where: string): void {
  if (!(confidence > 0 && confidence < 1))
    throw new SpikemedError(`${where}: confidence must be in (0, 1), e.g. 0.95; got ${confidence}`);
}

// ---------------------------------------------------------------------------------------------
// Bootstrap

/** Linear-interpolation quantile of sorted values (numpy's default, Hyndman and Fan type 7). */
export function quantileSorted(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) throw new SpikemedError("quantileSorted: no values");
  const h = (sorted.length - 1) * p;
  const below = Math.floor(h);
  const above = Math.min(below + 1, sorted.length - 1);
  return sorted[below] + (h - below) * (sorted[above] - sorted[below]);
}

export interface BootstrapOptions {
  /** Number of resamples (default 1000). */
  resamples?: number;
  /** Interval coverage (default 0.95). */
  confidence?: number;
  /** Seed of the resampling Rng (default 0); the same seed gives the same interval. */
  seed?: number;
}

export interface Interval {
  /** The statistic on the full data; null when undefined there. */
  estimate: number | null;
  /** Percentile interval bounds; null when the statistic was undefined in every resample. */
  lower: number | null;
  upper: number | null;
  /** Resamples where the statistic was undefined (e.g. a resample without any sample of a rare class); they are left out. */
  undefinedResamples: number;
}

export interface BootstrapSettings {
  method: "percentile";
  resamples: number;
  confidence: number;
  seed: number;
}

export function bootstrapSettings(options: BootstrapOptions = {}): BootstrapSettings {
  const resamples = options.resamples ?? 1000;
  const confidence = options.confidence ?? 0.95;
  const seed = options.seed ?? 0;
  if (!Number.isInteger(resamples) || resamples < 1)
    throw new SpikemedError(`bootstrap: resamples must be a positive integer, got ${resamples}`);
  checkConfidence(confidence, "bootstrap");
  return { method: "percentile", resamples, confidence, seed };
}

/**
 * Percentile bootstrap intervals for several statistics at once, on the same resamples.
 * A resample is given to `statistics` as `counts`: counts[i] is how many times sample i was
 * drawn (the counts sum to n), so metrics take it as weights and no data is copied.
 * `statistics` returns one value per statistic, null where undefined on that resample.
 */
export function bootstrapMany(
  n: number,
  statistics: (counts: Int32Array) => ArrayLike<number | null>,
  options: BootstrapOptions = {},
): Interval[] {
  const { resamples, confidence, seed } = bootstrapSettings(options);
  if (!Number.isInteger(n) || n < 1) throw new SpikemedError(`bootstrap: needs at least one sample, got n = ${n}`);
  const counts = new Int32Array(n).fill(1);
  const estimates = Array.from(statistics(counts));
  const m = estimates.length;
  const draws = estimates.map(() => new Float64Array(resamples));
  const rng = new Rng(seed);
  for (let r = 0; r < resamples; r++) {
    counts.fill(0);
    for (let i = 0; i < n; i++) counts[rng.int(n)]++;
    const values = statistics(counts);
    if (values.length !== m)
      throw new SpikemedError(`bootstrap: the statistic returned ${values.length} values on a resample, ${m} on the data`);
    for (let s = 0; s < m; s++) {
      const v = values[s];
      draws[s][r] = v === null ? NaN : v;
    }
  }
  const alpha = 1 - confidence;
  return draws.map((column, s) => {
    const defined = column.filter((v) => !Number.isNaN(v)).sort();
    const estimate = estimates[s];
    return {
      estimate: estimate === null ? null : estimate,
      lower: defined.length ? quantileSorted(defined, alpha / 2) : null,
      upper: defined.length ? quantileSorted(defined, 1 - alpha / 2) : null,
      undefinedResamples: resamples - defined.length,
    };
  });
}

/**
 * Percentile bootstrap interval for one statistic. Example, macro-F1:
 * `bootstrapCi(n, (w) => classificationMetrics(yTrue, yPred, k, w).macroF1)`.
 */
export function bootstrapCi(
  n: number,
  statistic: (counts: Int32Array) => number | null,
  options: BootstrapOptions = {},
): Interval {
  return bootstrapMany(n, (counts) => [statistic(counts)], options)[0];
}
