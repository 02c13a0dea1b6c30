/**
 * The feature families of Mondéjar-Guerra et al. 2019 (Biomedical Signal Processing and Control;
 * 94.5% on unseen patients with an ensemble of SVMs): RR intervals against the patient's averages,
 * the beat's 3-level Haar wavelet approximation, higher-order statistics over five segments, a
 * uniform 1-D local binary pattern histogram and four morphological distances. Each is computed on
 * the beat's 0.5 s span (0.25 s either side of the R peak) taken at 360 Hz, 180 samples, as the
 * paper does on MIT-BIH's own rate: a signal at another rate is interpolated to that grid, so the
 * families have the same size at every --sample-rate (and are the paper's own at 360 Hz).
 */

/** The span's grid: 90 samples before the R peak and 90 from it, at 360 Hz. */
export const FAMILY_SPAN_RATE = 360;
export const FAMILY_SPAN_BEFORE = 90;
export const FAMILY_SPAN_LENGTH = 180;

/** Haar (db1) levels of the wavelet family: 180 -> 90 -> 45 -> 23 approximation coefficients. */
const WAVELET_LEVELS = 3;
export const WAVELET_COEFFICIENTS = 23;
/** Segments of the higher-order statistics: five of 30 samples centred 30, 60, ..., 150 samples into the span. */
const HOS_SEGMENTS = 5;
const HOS_SEGMENT = 30;
/** Neighbours of a local binary pattern: 4 before and 4 after, one 8-bit code per sample. */
const LBP_NEIGHBOURS = 8;

/**
 * The 58 uniform 8-bit patterns (at most two 0/1 changes around the circle), ascending: each has
 * its own histogram bin, every other pattern shares bin 58.
 */
export const UNIFORM_PATTERNS: readonly number[] = Array.from({ length: 256 }, (_, code) => code).filter((code) => {
  let changes = 0;
  for (let b = 0; b < 8; b++) if (((code >> b) & 1) !== ((code >> ((b + 1) % 8)) & 1)) changes++;
  return changes <= 2;
});
const UNIFORM_BIN = new Int32Array(256).fill(UNIFORM_PATTERNS.length);
UNIFORM_PATTERNS.forEach((code, bin) => { UNIFORM_BIN[code] = bin; });
export const LBP_BINS = UNIFORM_PATTERNS.length + 1;

/**
 * Rhythm against the patient's averages, in seconds and over the record's mean of each: the
 * pre and post RR are BEAT_FEATURE_NAMES' own (pre_rr_s, pre_rr_record_ratio...); these add the
 * local RR (mean of the beat's pre RR and the nine before it) and the global RR (mean of the pre RR
 * of the beats in the 5 minutes before the beat).
 */
export const RR_FAMILY_NAMES: readonly string[] = ["local_rr_s", "global_rr_s", "local_rr_record_ratio", "global_rr_record_ratio"];

const LOCAL_RR_COUNT = 10;
const GLOBAL_RR_SECONDS = 300;

/** The paper's shape families, in column order: wavelet, higher-order statistics, LBP, morphology. */
const PAPER_SHAPE_NAMES: readonly string[] = [
  ...Array.from({ length: WAVELET_COEFFICIENTS }, (_, k) => `wavelet_${k}`),
  ...Array.from({ length: HOS_SEGMENTS }, (_, k) => `hos_skew_${k}`),
  ...Array.from({ length: HOS_SEGMENTS }, (_, k) => `hos_kurt_${k}`),
  ...Array.from({ length: LBP_BINS }, (_, k) => `lbp_${k}`),
  "morph_p_max", "morph_q_min", "morph_s_min", "morph_t_max",
];

/**
 * Per-beat shape columns: the paper's families, then each against the patient's own (`rel_`: the
 * value minus the record's median of it over all its beats, the dominant beat's value). The
 * template features (beat-shape.ts) carry across patients because they compare a beat with the
 * patient's usual beat; the `rel_` columns ask the same of the paper's families, with no label.
 */
export const SHAPE_FAMILY_NAMES: readonly string[] = [...PAPER_SHAPE_NAMES, ...PAPER_SHAPE_NAMES.map((name) => `rel_${name}`)];

/**
 * The RR_FAMILY_NAMES columns of beats at `peaks` (samples at `samplingFrequency`), row-major.
 * The first beat takes its post RR as its pre RR (as beatFeatures does); one beat gives intervals
 * of 0 and ratios of 1.
 */
export function rrFamilies(peaks: ArrayLike<number>, samplingFrequency: number): Float32Array {
  const n = peaks.length;
  const width = RR_FAMILY_NAMES.length;
  const out = new Float32Array(n * width);
  const pre = Float64Array.from({ length: n }, (_, i) => (n < 2 ? 0 : (peaks[Math.max(i, 1)] - peaks[Math.max(i, 1) - 1]) / samplingFrequency));
  const local = new Float64Array(n);
  const global = new Float64Array(n);
  let from = 0;
  for (let i = 0; i < n; i++) {
    let sum = 0;
    const first = Math.max(0, i - LOCAL_RR_COUNT + 1);
    for (let j = first; j <= i; j++) sum += pre[j];
    local[i] = sum / (i - first + 1);
    while ((peaks[i] - peaks[from]) / samplingFrequency >= GLOBAL_RR_SECONDS) from++;
    let total = 0;
    for (let j = from; j < i; j++) total += pre[j];
    global[i] = i > from ? total / (i - from) : pre[i];
  }
  const meanOf = (values: Float64Array): number => values.reduce((a, b) => a + b, 0) / Math.max(1, values.length);
  const [localMean, globalMean] = [meanOf(local), meanOf(global)];
  for (let i = 0; i < n; i++) {
    out.set([local[i], global[i], localMean > 0 ? local[i] / localMean : 1, globalMean > 0 ? global[i] / globalMean : 1], i * width);
  }
  return out;
}

/**
 * The beat's span on the 360 Hz grid: FAMILY_SPAN_LENGTH samples of `signal` (at `sampleRate`)
 * from FAMILY_SPAN_BEFORE grid steps before `peak`, linearly interpolated, the ends held where the
 * span runs past the signal.
 */
export function familySpan(signal: ArrayLike<number>, peak: number, sampleRate: number): Float64Array {
  const out = new Float64Array(FAMILY_SPAN_LENGTH);
  const last = signal.length - 1;
  for (let k = 0; k < FAMILY_SPAN_LENGTH; k++) {
    const at = Math.min(last, Math.max(0, peak + ((k - FAMILY_SPAN_BEFORE) * sampleRate) / FAMILY_SPAN_RATE));
    const i = Math.min(last, Math.floor(at));
    const frac = at - i;
    out[k] = frac > 0 ? signal[i] * (1 - frac) + signal[i + 1] * frac : signal[i];
  }
  return out;
}

/**
 * Approximation coefficients of a `levels`-level Haar (db1) decomposition, as PyWavelets' wavedec
 * computes them (mode "symmetric": an odd-length level repeats its last sample).
 */
export function haarApproximation(values: ArrayLike<number>, levels: number): Float64Array {
  let current = Float64Array.from(values);
  for (let level = 0; level < levels; level++) {
    const next = new Float64Array(Math.ceil(current.length / 2));
    for (let k = 0; k < next.length; k++) {
      const a = current[2 * k];
      const b = 2 * k + 1 < current.length ? current[2 * k + 1] : a;
      next[k] = (a + b) / Math.SQRT2;
    }
    current = next;
  }
  return current;
}

/** Biased skewness (m3 / m2^1.5) and Pearson kurtosis (m4 / m2^2, 3 for a normal) of values[start, end); 0 and 0 for a flat stretch. */
export function skewKurtosis(values: ArrayLike<number>, start: number, end: number): [number, number] {
  const n = end - start;
  let mean = 0;
  for (let k = start; k < end; k++) mean += values[k];
  mean /= n;
  let m2 = 0;
  let m3 = 0;
  let m4 = 0;
  for (let k = start; k < end; k++) {
    const d = values[k] - mean;
    m2 += d * d;
    m3 += d * d * d;
    m4 += d * d * d * d;
  }
  m2 /= n;
  m3 /= n;
  m4 /= n;
  // Relative to the stretch's scale: rounding leaves a flat stretch a variance near 1e-32, not 0.
  if (!(m2 > 1e-20 * Math.max(1, mean * mean))) return [0, 0];
  return [m3 / m2 ** 1.5, m4 / (m2 * m2)];
}

/**
 * Uniform 1-D local binary patterns: for each sample with 4 neighbours on either side, an 8-bit
 * code whose bits (first neighbour most significant) say whether the sample is above each of
 * them; the histogram of the codes over UNIFORM_PATTERNS' bins and one bin for the rest, as
 * fractions of the samples coded.
 */
export function uniformLbpHistogram(values: ArrayLike<number>): Float64Array {
  const half = LBP_NEIGHBOURS / 2;
  const histogram = new Float64Array(LBP_BINS);
  const coded = values.length - 2 * half;
  for (let i = half; i < values.length - half; i++) {
    let code = 0;
    for (let n = -half; n <= half; n++) {
      if (n === 0) continue;
      code = (code << 1) | (values[i] > values[i + n] ? 1 : 0);
    }
    histogram[UNIFORM_BIN[code]] += 1 / coded;
  }
  return histogram;
}

/**
 * Distances from the R peak to four points of the span (mondejar/ecg-classification's own
 * descriptor): the maximum before the QRS (samples 0-39, the P wave), the minima just before
 * (75-84, Q) and just after (95-104, S) the R peak, and the maximum of 150-179 (the T wave's
 * start); positions and values are first scaled to [0, 1] over the four points and the R peak.
 * A degenerate span (all points at one position or value) gives distances of 0.
 */
export function morphologyDistances(span: ArrayLike<number>): Float64Array {
  const extreme = (from: number, to: number, sign: 1 | -1): number => {
    let best = from;
    for (let k = from + 1; k < to; k++) if (sign * span[k] > sign * span[best]) best = k;
    return best;
  };
  const x = [extreme(0, 40, 1), extreme(75, 85, -1), extreme(95, 105, -1), extreme(150, 180, 1)];
  const y = x.map((k) => span[k]);
  const rPos = FAMILY_SPAN_BEFORE;
  const rValue = span[rPos];
  const [xMin, xMax] = [Math.min(...x), Math.max(...x)];
  const [yMin, yMax] = [Math.min(...y, rValue), Math.max(...y, rValue)];
  const out = new Float64Array(4);
  if (!(xMax > xMin) || !(yMax > yMin)) return out;
  for (let n = 0; n < 4; n++) {
    out[n] = Math.hypot((rPos - x[n]) / (xMax - xMin), (rValue - y[n]) / (yMax - yMin));
  }
  return out;
}

/**
 * SHAPE_FAMILY_NAMES of the beats at `peaks` (all of a record's beats: the `rel_` columns are against their medians; samples of the conditioned `signal`, at
 * `sampleRate`), row-major. The wavelet coefficients are in units of the record's median
 * peak-to-peak span, so a patient's electrode gain does not set them; the other families do not
 * depend on scale.
 */
export function shapeFamilies(signal: ArrayLike<number>, peaks: ArrayLike<number>, sampleRate: number): Float32Array {
  const width = SHAPE_FAMILY_NAMES.length;
  const paper = PAPER_SHAPE_NAMES.length;
  const spans = Array.from(peaks, (p) => familySpan(signal, p, sampleRate));
  const ranges = spans.map((s) => Math.max(...s) - Math.min(...s)).sort((a, b) => a - b);
  const middle = ranges.length >> 1;
  const typical = ranges.length === 0 ? 0 : ranges.length % 2 ? ranges[middle] : (ranges[middle - 1] + ranges[middle]) / 2;
  const scale = typical > 0 ? 1 / typical : 1;
  const out = new Float32Array(peaks.length * width);
  spans.forEach((span, i) => {
    const row = out.subarray(i * width, (i + 1) * width);
    let at = 0;
    for (const c of haarApproximation(span, WAVELET_LEVELS)) row[at++] = c * scale;
    const moments = Array.from({ length: HOS_SEGMENTS }, (_, s) => skewKurtosis(span, (s + 1) * HOS_SEGMENT - HOS_SEGMENT / 2, (s + 1) * HOS_SEGMENT + HOS_SEGMENT / 2));
    for (const [skew] of moments) row[at++] = skew;
    for (const [, kurtosis] of moments) row[at++] = kurtosis;
    row.set(uniformLbpHistogram(span), at);
    at += LBP_BINS;
    row.set(morphologyDistances(span), at);
  });
  for (let c = 0; c < paper; c++) {
    const column = Float64Array.from(spans, (_, i) => out[i * width + c]).sort();
    const half = column.length >> 1;
    const usual = column.length === 0 ? 0 : column.length % 2 ? column[half] : (column[half - 1] + column[half]) / 2;
    for (let i = 0; i < spans.length; i++) out[i * width + paper + c] = out[i * width + c] - usual;
  }
  return out;
}
