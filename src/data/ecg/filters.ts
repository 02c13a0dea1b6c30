/**
 * ECG conditioning: baseline-wander removal (two cascaded median filters), zero-phase
 * Butterworth filtering, and windowed-sinc resampling to a common rate (the beat pipeline's is
 * DEFAULT_SAMPLE_RATE).
 */
import { SpikemedError } from "../../core/errors.js";

/**
 * Running median over an odd window, edges extended by repeating the end samples. Keeps the
 * window sorted and moves one element in and one out per step (binary search + copyWithin).
 */
export function medianFilter(x: ArrayLike<number>, window: number): Float64Array {
  const n = x.length;
  const w = Math.max(1, window | 1);
  const half = w >> 1;
  const out = new Float64Array(n);
  if (n === 0) return out;
  const at = (i: number): number => x[i < 0 ? 0 : i >= n ? n - 1 : i];
  const sorted = new Float64Array(w);
  for (let k = 0; k < w; k++) sorted[k] = at(k - half);
  sorted.sort();
  out[0] = sorted[half];
  for (let i = 1; i < n; i++) {
    const leaving = at(i - 1 - half);
    const entering = at(i + half);
    if (leaving !== entering) {
      let pos = lowerBound(sorted, w, leaving);
      sorted.copyWithin(pos, pos + 1, w);
      // The window now has w-1 sorted values; insert the new one.
      pos = lowerBound(sorted, w - 1, entering);
      sorted.copyWithin(pos + 1, pos, w - 1);
      sorted[pos] = entering;
    }
    out[i] = sorted[half];
  }
  return out;
}

function lowerBound(values: Float64Array, length: number, target: number): number {
  let lo = 0;
  let hi = length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (values[mid] < target) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Baseline wander removal of de Chazal et al. (2004): a 200 ms median filter removes the QRS
 * and P waves, a 600 ms median filter the T waves; the result is the baseline, subtracted.
 */
export function removeBaselineWander(x: ArrayLike<number>, samplingFrequency: number): Float64Array {
  const baseline = medianFilter(medianFilter(x, Math.round(0.2 * samplingFrequency)), Math.round(0.6 * samplingFrequency));
  const out = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) out[i] = x[i] - baseline[i];
  return out;
}

/** A second-order section: y = (b0 x + b1 x1 + b2 x2 - a1 y1 - a2 y2). */
export interface Biquad { b0: number; b1: number; b2: number; a1: number; a2: number }

/**
 * Digital Butterworth low- or high-pass of even order, as second-order sections designed with the
 * bilinear transform (pre-warped cutoff); section k has the Butterworth pole-pair quality factor.
 */
export function butterworthSections(order: number, cutoffHz: number, samplingFrequency: number, type: "lowpass" | "highpass"): Biquad[] {
  if (!Number.isInteger(order) || order < 2 || order % 2 !== 0) throw new SpikemedError(`butterworth: order must be an even integer >= 2 (got ${order})`);
  if (!(cutoffHz > 0 && cutoffHz < samplingFrequency / 2)) {
    throw new SpikemedError(`butterworth: cutoff ${cutoffHz} Hz must lie between 0 and the Nyquist frequency ${samplingFrequency / 2} Hz`);
  }
  const omega = 2 * Math.PI * cutoffHz / samplingFrequency;
  const cos = Math.cos(omega);
  const sections: Biquad[] = [];
  const pairs = order / 2;
  for (let k = 1; k <= pairs; k++) {
    const q = 1 / (2 * Math.cos((Math.PI * (2 * k - 1)) / (4 * pairs)));
    const alpha = Math.sin(omega) / (2 * q);
    const a0 = 1 + alpha;
    const b1 = type === "lowpass" ? 1 - cos : -(1 + cos);
    const b0 = type === "lowpass" ? (1 - cos) / 2 : (1 + cos) / 2;
    sections.push({ b0: b0 / a0, b1: b1 / a0, b2: b0 / a0, a1: (-2 * cos) / a0, a2: (1 - alpha) / a0 });
  }
  return sections;
}

function runSections(signal: Float64Array, sections: readonly Biquad[]): void {
  for (const s of sections) {
    // Start in the steady state for a constant input equal to the first sample.
    const dcGain = (s.b0 + s.b1 + s.b2) / (1 + s.a1 + s.a2);
    const x0 = signal[0];
    let x1 = x0, x2 = x0, y1 = x0 * dcGain, y2 = x0 * dcGain;
    for (let i = 0; i < signal.length; i++) {
      const x = signal[i];
      const y = s.b0 * x + s.b1 * x1 + s.b2 * x2 - s.a1 * y1 - s.a2 * y2;
      x2 = x1; x1 = x; y2 = y1; y1 = y;
      signal[i] = y;
    }
  }
}

/**
 * Zero-phase filtering (forward then backward), with odd-symmetric extension of `padding`
 * samples at both ends to tame the edge transients (as scipy's filtfilt does).
 */
export function filtfilt(x: ArrayLike<number>, sections: readonly Biquad[], padding = 3 * 2 * sections.length): Float64Array {
  const n = x.length;
  if (n === 0) return new Float64Array(0);
  const pad = Math.min(padding, n - 1);
  const ext = new Float64Array(n + 2 * pad);
  for (let i = 0; i < pad; i++) ext[i] = 2 * x[0] - x[pad - i];
  for (let i = 0; i < n; i++) ext[pad + i] = x[i];
  for (let i = 0; i < pad; i++) ext[pad + n + i] = 2 * x[n - 1] - x[n - 2 - i];
  runSections(ext, sections);
  ext.reverse();
  runSections(ext, sections);
  ext.reverse();
  return ext.slice(pad, pad + n);
}

/** Zero-phase Butterworth band-pass (a high-pass and a low-pass of the given order each). */
export function bandpassFilter(x: ArrayLike<number>, samplingFrequency: number, lowHz: number, highHz: number, order = 2): Float64Array {
  if (!(lowHz < highHz)) throw new SpikemedError(`bandpassFilter: low cutoff ${lowHz} Hz must be below high cutoff ${highHz} Hz`);
  const sections = [
    ...butterworthSections(order, lowHz, samplingFrequency, "highpass"),
    ...butterworthSections(order, highHz, samplingFrequency, "lowpass"),
  ];
  return filtfilt(x, sections, Math.round(samplingFrequency / lowHz));
}

/** Modified Bessel function of the first kind, order 0 (for the Kaiser window). */
function besselI0(x: number): number {
  let sum = 1;
  let term = 1;
  const q = (x * x) / 4;
  for (let k = 1; k < 50; k++) {
    term *= q / (k * k);
    sum += term;
    if (term < 1e-17 * sum) break;
  }
  return sum;
}

/** Kaiser window w(r), r = |offset| / half-width in [0, 1], tabulated (linear interpolation between entries). */
function kaiserTable(beta: number, entries = 4096): Float64Array {
  const table = new Float64Array(entries + 1);
  const norm = 1 / besselI0(beta);
  for (let i = 0; i <= entries; i++) {
    const r = i / entries;
    table[i] = besselI0(beta * Math.sqrt(1 - r * r)) * norm;
  }
  return table;
}

export interface ResampleOptions {
  /** Input samples on each side of the interpolation kernel (at unit cutoff); default 16. */
  halfWidth?: number;
  /** Kaiser window shape; default 8. */
  beta?: number;
}

/**
 * Band-limited resampling with a Kaiser-windowed sinc kernel. When downsampling, the kernel's
 * cutoff drops to the new Nyquist frequency so the result is anti-aliased. Output sample m sits at
 * time m / targetFrequency; the output has round(n * target / source) samples.
 */
export function resample(x: ArrayLike<number>, sourceFrequency: number, targetFrequency: number, options: ResampleOptions = {}): Float64Array {
  if (!(sourceFrequency > 0) || !(targetFrequency > 0)) {
    throw new SpikemedError(`resample: sampling frequencies must be positive (got ${sourceFrequency} -> ${targetFrequency} Hz)`);
  }
  const n = x.length;
  if (sourceFrequency === targetFrequency) return Float64Array.from(x);
  const ratio = targetFrequency / sourceFrequency;
  const outLength = Math.round(n * ratio);
  const cutoff = Math.min(1, ratio);
  const halfWidth = (options.halfWidth ?? 16) / cutoff;
  const beta = options.beta ?? 8;
  const window = kaiserTable(beta);
  const tableScale = (window.length - 1) / halfWidth;
  const out = new Float64Array(outLength);
  for (let m = 0; m < outLength; m++) {
    const t = m / ratio;
    const first = Math.max(0, Math.ceil(t - halfWidth));
    const last = Math.min(n - 1, Math.floor(t + halfWidth));
    let sum = 0;
    let weightSum = 0;
    for (let k = first; k <= last; k++) {
      const d = t - k;
      const position = Math.abs(d) * tableScale;
      const cell = Math.min(window.length - 2, Math.floor(position));
      const fraction = position - cell;
      const taper = window[cell] + fraction * (window[cell + 1] - window[cell]);
      const arg = Math.PI * cutoff * d;
      const sinc = arg === 0 ? 1 : Math.sin(arg) / arg;
      const weight = sinc * taper;
      sum += weight * x[k];
      weightSum += weight;
    }
    // Normalising by the kernel sum keeps constants exact, also near the edges.
    out[m] = weightSum !== 0 ? sum / weightSum : 0;
  }
  return out;
}
