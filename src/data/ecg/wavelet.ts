/**
 * Discrete wavelet transform for orthogonal wavelets (Daubechies, symlets, coiflets), with the
 * same conventions and coefficient layout as PyWavelets (`dwt`, `idwt`, `wavedec`, `waverec`,
 * `threshold`) for the "symmetric" and "periodization" signal extension modes.
 */
import { SpikemedError } from "../../core/errors.js";
import { DECOMPOSITION_LOW_PASS } from "./wavelet-filters.js";

export type WaveletMode = "symmetric" | "periodization";
export type ThresholdMode = "soft" | "hard";

export interface Wavelet {
  name: string;
  decLo: Float64Array;
  decHi: Float64Array;
  recLo: Float64Array;
  recHi: Float64Array;
}

const cache = new Map<string, Wavelet>();

export function waveletNames(): string[] {
  return ["haar", ...Object.keys(DECOMPOSITION_LOW_PASS)];
}

/** The filter bank of a named wavelet ("haar", "db1".."db20", "sym2".."sym20", "coif1".."coif17"). */
export function getWavelet(name: string): Wavelet {
  const key = name === "haar" ? "db1" : name;
  const cached = cache.get(key);
  if (cached) return cached;
  const decLoValues = DECOMPOSITION_LOW_PASS[key];
  if (!decLoValues) {
    throw new SpikemedError(`unknown wavelet "${name}"`, "use haar, db1-db20, sym2-sym20 or coif1-coif17");
  }
  const f = decLoValues.length;
  const decLo = Float64Array.from(decLoValues);
  const recLo = new Float64Array(f);
  const decHi = new Float64Array(f);
  const recHi = new Float64Array(f);
  // Quadrature-mirror relations of an orthogonal filter bank (PyWavelets' convention).
  for (let k = 0; k < f; k++) recLo[k] = decLo[f - 1 - k];
  for (let k = 0; k < f; k++) decHi[k] = (k % 2 === 0 ? -1 : 1) * recLo[k];
  for (let k = 0; k < f; k++) recHi[k] = decHi[f - 1 - k];
  const wavelet = { name: key, decLo, decHi, recLo, recHi };
  cache.set(key, wavelet);
  return wavelet;
}

/** Coefficients per level for a signal of length n (PyWavelets' `dwt_coeff_len`). */
export function dwtCoefficientLength(n: number, filterLength: number, mode: WaveletMode): number {
  return mode === "periodization" ? Math.ceil(n / 2) : Math.floor((n + filterLength - 1) / 2);
}

/** Deepest useful decomposition level (PyWavelets' `dwt_max_level`). */
export function dwtMaxLevel(n: number, filterLength: number): number {
  if (filterLength < 2 || n < filterLength - 1) return 0;
  return Math.floor(Math.log2(n / (filterLength - 1)));
}

/** Sample `k` of the half-sample symmetric extension of x (x[-1] = x[0], x[n] = x[n-1]). */
function symmetricIndex(k: number, n: number): number {
  const period = 2 * n;
  let m = k % period;
  if (m < 0) m += period;
  return m < n ? m : period - 1 - m;
}

/** Single-level DWT: approximation and detail coefficients. */
export function dwt(x: ArrayLike<number>, wavelet: Wavelet | string, mode: WaveletMode = "symmetric"): { cA: Float64Array; cD: Float64Array } {
  const w = typeof wavelet === "string" ? getWavelet(wavelet) : wavelet;
  const n = x.length;
  if (n < 1) throw new SpikemedError("dwt: the signal is empty");
  const f = w.decLo.length;
  const outLength = dwtCoefficientLength(n, f, mode);
  const cA = new Float64Array(outLength);
  const cD = new Float64Array(outLength);
  // Extended copy of the signal so the inner loop has no boundary tests: ext[k] = x(k - pad).
  const pad = f - 1;
  let ext: Float64Array;
  let first: number;
  if (mode === "periodization") {
    const even = n + (n % 2);
    ext = new Float64Array(even + 2 * pad + 2);
    for (let k = 0; k < ext.length; k++) {
      let m = (k - pad) % even;
      if (m < 0) m += even;
      ext[k] = x[Math.min(m, n - 1)];
    }
    first = (f >> 1) + pad;
  } else {
    ext = new Float64Array(n + 2 * pad);
    for (let k = 0; k < ext.length; k++) ext[k] = x[symmetricIndex(k - pad, n)];
    first = 1 + pad;
  }
  const lo = w.decLo;
  const hi = w.decHi;
  for (let o = 0; o < outLength; o++) {
    const i = first + 2 * o;
    let a = 0;
    let d = 0;
    for (let j = 0; j < f; j++) {
      const v = ext[i - j];
      a += lo[j] * v;
      d += hi[j] * v;
    }
    cA[o] = a;
    cD[o] = d;
  }
  return { cA, cD };
}

/** Single-level inverse DWT; `cD` may be null (treated as zeros). */
export function idwt(cA: ArrayLike<number>, cD: ArrayLike<number> | null, wavelet: Wavelet | string, mode: WaveletMode = "symmetric"): Float64Array {
  const w = typeof wavelet === "string" ? getWavelet(wavelet) : wavelet;
  const n = cA.length;
  if (cD && cD.length !== n) {
    throw new SpikemedError(`idwt: approximation (${n}) and detail (${cD.length}) coefficients differ in length`);
  }
  const f = w.recLo.length;
  const gLo = w.recLo;
  const gHi = w.recHi;
  if (mode === "periodization") {
    // The transpose of the periodized analysis, which is its inverse for an orthogonal bank.
    const outLength = 2 * n;
    const out = new Float64Array(outLength);
    const shift = f >> 1;
    for (let o = 0; o < n; o++) {
      const a = cA[o];
      const d = cD ? cD[o] : 0;
      for (let j = 0; j < f; j++) {
        let m = (shift + 2 * o - j) % outLength;
        if (m < 0) m += outLength;
        // Analysis filter j is synthesis filter f-1-j reversed.
        out[m] += a * gLo[f - 1 - j] + d * gHi[f - 1 - j];
      }
    }
    return out;
  }
  const outLength = 2 * n - f + 2;
  if (outLength < 1) throw new SpikemedError(`idwt: ${n} coefficients are too few for wavelet ${w.name}`);
  const out = new Float64Array(outLength);
  for (let i = 0; i < outLength; i++) {
    const kFirst = Math.max(0, Math.ceil((i - 1) / 2));
    const kLast = Math.min(n - 1, Math.floor((i + f - 2) / 2));
    let sum = 0;
    for (let k = kFirst; k <= kLast; k++) {
      const idx = i + f - 2 - 2 * k;
      sum += cA[k] * gLo[idx] + (cD ? cD[k] * gHi[idx] : 0);
    }
    out[i] = sum;
  }
  return out;
}

/** Multi-level decomposition: [cA_level, cD_level, ..., cD_1] as in PyWavelets. */
export function wavedec(x: ArrayLike<number>, wavelet: Wavelet | string, level?: number, mode: WaveletMode = "symmetric"): Float64Array[] {
  const w = typeof wavelet === "string" ? getWavelet(wavelet) : wavelet;
  const maxLevel = dwtMaxLevel(x.length, w.decLo.length);
  const levels = level ?? maxLevel;
  if (!Number.isInteger(levels) || levels < 1) {
    throw new SpikemedError(`wavedec: level must be a positive integer (got ${level}; a ${x.length}-sample signal allows ${maxLevel} with ${w.name})`);
  }
  const details: Float64Array[] = [];
  let approximation: ArrayLike<number> = x;
  for (let l = 0; l < levels; l++) {
    const { cA, cD } = dwt(approximation, w, mode);
    details.push(cD);
    approximation = cA;
  }
  return [approximation as Float64Array, ...details.reverse()];
}

/** Multi-level reconstruction from [cA_n, cD_n, ..., cD_1]. */
export function waverec(coefficients: readonly Float64Array[], wavelet: Wavelet | string, mode: WaveletMode = "symmetric"): Float64Array {
  if (coefficients.length < 2) throw new SpikemedError("waverec: need an approximation and at least one detail array");
  const w = typeof wavelet === "string" ? getWavelet(wavelet) : wavelet;
  let a: Float64Array = coefficients[0];
  for (let l = 1; l < coefficients.length; l++) {
    const d = coefficients[l];
    // An odd-length level leaves one extra approximation coefficient; PyWavelets drops it.
    if (a.length === d.length + 1) a = a.subarray(0, d.length);
    a = idwt(a, d, w, mode);
  }
  return a;
}

/** Applies PyWavelets' soft or hard threshold in place. */
export function thresholdInPlace(values: Float64Array, threshold: number, mode: ThresholdMode): Float64Array {
  if (mode === "soft") {
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      const magnitude = Math.abs(v) - threshold;
      values[i] = magnitude > 0 ? Math.sign(v) * magnitude : 0;
    }
  } else {
    for (let i = 0; i < values.length; i++) if (Math.abs(values[i]) <= threshold) values[i] = 0;
  }
  return values;
}

/** Median of |values| (computed on a copy by quickselect; the input is unchanged). */
export function medianAbsolute(values: ArrayLike<number>): number {
  const n = values.length;
  if (n === 0) return 0;
  const work = new Float64Array(n);
  for (let i = 0; i < n; i++) work[i] = Math.abs(values[i]);
  const upper = select(work, n >> 1);
  if (n % 2 === 1) return upper;
  // After selecting the upper middle, the lower middle is the largest value left of it.
  let lower = -Infinity;
  for (let i = 0; i < n >> 1; i++) if (work[i] > lower) lower = work[i];
  return 0.5 * (lower + upper);
}

/** Hoare quickselect: reorders `a` so a[k] is the k-th smallest, smaller ones left of it; returns a[k]. */
function select(a: Float64Array, k: number): number {
  let lo = 0;
  let hi = a.length - 1;
  while (lo < hi) {
    const pivot = a[(lo + hi) >> 1];
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i] < pivot) i++;
      while (a[j] > pivot) j--;
      if (i <= j) {
        const t = a[i]; a[i] = a[j]; a[j] = t;
        i++; j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else break;
  }
  return a[k];
}

export interface WaveletDenoiseOptions {
  /** Default "db6". */
  wavelet?: string;
  /** Decomposition levels; default 6 (for 360 Hz the approximation then covers 0-2.8 Hz). */
  level?: number;
  /** Default "soft". */
  threshold?: ThresholdMode;
  /** Default "symmetric". */
  mode?: WaveletMode;
}

/**
 * Denoising options and the n of the universal threshold sqrt(2 ln n), by default the signal's
 * own length: a stream that denoises seconds at a time passes a whole record's, to shrink as
 * `predict` does.
 */
export type WaveletDenoiseSettings = WaveletDenoiseOptions & { thresholdLength?: number };

const DEFAULT_DENOISE_LEVEL = 6;

/** The fewest samples `waveletDenoise` can take with these options: (filter length - 1) x 2^levels. */
export function denoiseMinimumLength(options: WaveletDenoiseOptions = {}): number {
  return (getWavelet(options.wavelet ?? "db6").decLo.length - 1) * 2 ** (options.level ?? DEFAULT_DENOISE_LEVEL);
}

/**
 * Wavelet shrinkage with the universal threshold (Donoho-Johnstone): each detail level j gets
 * sigma_j = median(|cD_j|) / 0.6745 and threshold sigma_j * sqrt(2 ln n), n the signal length.
 * The approximation is kept. Returns a signal of the input's length.
 */
export function waveletDenoise(x: ArrayLike<number>, options: WaveletDenoiseSettings = {}): Float64Array {
  const wavelet = getWavelet(options.wavelet ?? "db6");
  const mode = options.mode ?? "symmetric";
  const level = options.level ?? DEFAULT_DENOISE_LEVEL;
  const n = x.length;
  const maxLevel = dwtMaxLevel(n, wavelet.decLo.length);
  if (n < denoiseMinimumLength(options)) {
    throw new SpikemedError(`waveletDenoise: ${level} levels of ${wavelet.name} need a longer signal than ${n} samples (at most ${maxLevel} levels)`);
  }
  const coefficients = wavedec(x, wavelet, level, mode);
  const universal = Math.sqrt(2 * Math.log(options.thresholdLength ?? n));
  for (let l = 1; l < coefficients.length; l++) {
    const sigma = medianAbsolute(coefficients[l]) / 0.6745;
    thresholdInPlace(coefficients[l], sigma * universal, options.threshold ?? "soft");
  }
  const reconstructed = waverec(coefficients, wavelet, mode);
  return reconstructed.length === n ? reconstructed : reconstructed.slice(0, n);
}
