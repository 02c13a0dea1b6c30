/**
 * From ECG records to labelled heartbeat windows: lead selection, resampling to a common rate,
 * baseline removal, wavelet denoising, fixed windows around R peaks, per-beat normalisation and
 * the AAMI EC57 classes N, S, V, F, Q.
 */
import { SpikemedError } from "../../core/errors.js";
import { BEAT_FEATURE_NAMES, RHYTHM_SHAPE_NAMES, beatFeatures } from "./beat-features.js";
import { RR_FAMILY_NAMES, SHAPE_FAMILY_NAMES, rrFamilies, shapeFamilies } from "./beat-families.js";
import { beatShapes } from "./beat-shape.js";
import { removeBaselineWander, resample } from "./filters.js";
import { detectRPeaks, type RPeakOptions } from "./rpeaks.js";
import { annotationSymbol } from "./wfdb-annotation.js";
import type { WfdbRecord } from "./wfdb-files.js";
import { denoiseMinimumLength, waveletDenoise, type WaveletDenoiseSettings } from "./wavelet.js";

export const AAMI_CLASSES = ["N", "S", "V", "F", "Q"] as const;
export type AamiClass = (typeof AAMI_CLASSES)[number];

/** AAMI EC57 grouping of MIT-BIH beat labels (see the mitdb README). */
const AAMI_OF_SYMBOL: Readonly<Record<string, number>> = {
  N: 0, L: 0, R: 0, e: 0, j: 0,
  A: 1, a: 1, J: 1, S: 1,
  V: 2, E: 2,
  F: 3,
  "/": 4, f: 4, Q: 4,
};

/** AAMI class index (0..4 = N,S,V,F,Q) of a beat annotation symbol, or -1 if it is not an AAMI beat. */
export function aamiClassOfSymbol(symbol: string): number {
  return AAMI_OF_SYMBOL[symbol] ?? -1;
}

/** Records of MIT-BIH with paced beats, left out of AAMI studies by convention. */
export const PACED_RECORDS: readonly string[] = ["102", "104", "107", "217"];

export type BeatNormalization = "zscore" | "minmax" | "none";

export interface PreprocessOptions {
  /** Signal to use: its description (e.g. "MLII") or index. Default "MLII", or signal 0 when a record has no MLII. */
  lead?: string | number;
  /**
   * Signals windowed side by side instead of `lead` alone: descriptions, indices, or "next" (the
   * record's first signal not chosen yet, for databases whose second lead differs between
   * records, like MIT-BIH's V1, V2, V4 and V5). The first gives the R peaks and the features.
   */
  leads?: readonly (string | number)[];
  /** Rate all signals are resampled to before windowing, in Hz; default DEFAULT_SAMPLE_RATE. */
  sampleRate?: number;
  /** Remove baseline wander with 200 ms + 600 ms median filters; default true. */
  baselineRemoval?: boolean;
  /** Wavelet denoising (default true = db6, 6 levels, soft universal threshold); false to skip. */
  denoise?: boolean | WaveletDenoiseSettings;
}

export interface WindowOptions {
  /** Samples (at the target rate) before the R peak; default 120 (1 s at 120 Hz). */
  windowBefore?: number;
  /** Samples from the R peak on (R included); default 136 (1.13 s), so windows are 256 samples. */
  windowAfter?: number;
  /** Per-beat normalisation; default "zscore" (zero mean, unit standard deviation). */
  normalization?: BeatNormalization;
}

/**
 * Default windows hold the beat and its neighbours: 1 s before and 1.13 s after the R peak at
 * 120 Hz, 256 samples, the cost of the 0.71 s at 360 Hz of earlier versions (with it, the ECG
 * network's intra-patient accuracy rose: bench/results/ecg-window.md).
 */
export const DEFAULT_WINDOW_BEFORE = 120;
export const DEFAULT_WINDOW_AFTER = 136;
/** The rate ECG signals are resampled to before windowing, in Hz, unless a run asks for another (--sample-rate). */
export const DEFAULT_SAMPLE_RATE = 120;

/** The rate signals are resampled to under `options`. */
export function sampleRateOf(options: { sampleRate?: number }): number {
  return options.sampleRate ?? DEFAULT_SAMPLE_RATE;
}
/** Rate the R-peak detector runs at (the one it was tuned and measured at). */
const DETECTION_FREQUENCY = 360;

/** A beat's input window: the rate signals are resampled to, and the samples before and from the R peak. */
export interface BeatWindow {
  sampleRate: number;
  before: number;
  after: number;
}

export const DEFAULT_BEAT_WINDOW: BeatWindow = { sampleRate: DEFAULT_SAMPLE_RATE, before: DEFAULT_WINDOW_BEFORE, after: DEFAULT_WINDOW_AFTER };

/**
 * Sampling rates an ECG is read at, the record's own and the windows' alike: below 50 Hz a QRS
 * complex (80-100 ms) spans four samples or fewer; above 10 kHz a half-hour record no longer fits
 * the memory the pipeline's resampling takes.
 */
export const ECG_RATE_RANGE = { min: 50, max: 10_000 } as const;

export function inEcgRateRange(rate: number): boolean {
  return rate >= ECG_RATE_RANGE.min && rate <= ECG_RATE_RANGE.max;
}

/** A window from seconds before and after the R peak at a sampling rate (rounded to whole samples). */
export function beatWindowFromSeconds(sampleRate: number, secondsBefore: number, secondsAfter: number): BeatWindow {
  if (!inEcgRateRange(sampleRate)) {
    throw new SpikemedError(`beat windows at ${sampleRate} Hz: the rate must be from ${ECG_RATE_RANGE.min} to ${ECG_RATE_RANGE.max} Hz`, `e.g. ${DEFAULT_SAMPLE_RATE} (the default) or 360`);
  }
  const window = { sampleRate, before: Math.round(secondsBefore * sampleRate), after: Math.round(secondsAfter * sampleRate) };
  if (window.before < 0 || window.after < 1) {
    throw new SpikemedError(`beat window ${secondsBefore} s before and ${secondsAfter} s after the R peak at ${sampleRate} Hz holds no samples after the peak`,
      "give positive seconds, e.g. 0.25,0.46");
  }
  return window;
}

export function beatWindowOptions(window: BeatWindow = DEFAULT_BEAT_WINDOW): Pick<PreprocessOptions, "sampleRate"> & WindowOptions {
  return { sampleRate: window.sampleRate, windowBefore: window.before, windowAfter: window.after };
}

export function describeBeatWindow(window: BeatWindow = DEFAULT_BEAT_WINDOW): string {
  const s = (n: number): string => (n / window.sampleRate).toFixed(2);
  return `windows of ${window.before + window.after} samples at ${window.sampleRate} Hz (${s(window.before)} s before to ${s(window.after)} s after the R peak)`;
}

/** Index of the requested lead in a record; throws naming the record when it is absent. */
export function resolveLead(record: Pick<WfdbRecord, "name" | "signalNames">, lead: string | number = "MLII"): number {
  if (typeof lead === "number") {
    if (!Number.isInteger(lead) || lead < 0 || lead >= record.signalNames.length) {
      throw new SpikemedError(`record ${record.name}: lead ${lead} does not exist (the record has ${record.signalNames.length} signals)`);
    }
    return lead;
  }
  const index = record.signalNames.indexOf(lead);
  if (index >= 0) return index;
  if (lead === "MLII" && record.signalNames.length > 0) return 0;
  throw new SpikemedError(`record ${record.name}: no signal named "${lead}" (signals: ${record.signalNames.join(", ")})`);
}

/** Indices of the signals `options` asks for (`leads`, else `lead`), each chosen once; the first is where R peaks and features are measured. */
export function resolveLeads(record: Pick<WfdbRecord, "name" | "signalNames">, options: Pick<PreprocessOptions, "lead" | "leads"> = {}): number[] {
  const wanted = options.leads ?? [options.lead ?? "MLII"];
  if (wanted.length === 0) throw new SpikemedError(`record ${record.name}: no leads asked for`, "name at least one lead, e.g. MLII");
  const chosen: number[] = [];
  for (const lead of wanted) {
    const index = lead === "next" ? record.signalNames.findIndex((_, i) => !chosen.includes(i)) : resolveLead(record, lead);
    if (index < 0) throw new SpikemedError(`record ${record.name}: no signal left for lead "next" (signals: ${record.signalNames.join(", ")})`, "ask for fewer leads");
    if (chosen.includes(index)) {
      throw new SpikemedError(`record ${record.name}: leads ${wanted.join(",")} choose signal ${index} (${record.signalNames[index]}) twice`, "name each signal once, or use next for the record's next one");
    }
    chosen.push(index);
  }
  return chosen;
}

/**
 * The raw signal of the record's second lead for the second-lead features: its first signal other
 * than `firstLead`, or null for a record with one signal.
 */
function secondLeadOf(record: WfdbRecord, firstLead: number): Float32Array | null {
  return record.physical.find((_, i) => i !== firstLead) ?? null;
}

/** `secondLead` (raw) conditioned like the leads: the windowed leads' own copy when it is one of them (`rawLeads`), so it is not done twice. */
function conditionedSecondLead(secondLead: ArrayLike<number> | null, rawLeads: readonly ArrayLike<number>[], conditionedLeads: readonly Float64Array[],
  samplingFrequency: number, options: PreprocessOptions): Float64Array | null {
  if (secondLead === null) return null;
  const windowed = rawLeads.indexOf(secondLead);
  return windowed >= 0 ? conditionedLeads[windowed] : preprocessSignal(secondLead, samplingFrequency, options);
}

/**
 * The conditioned lead signal at the target rate: NaN gaps held at the last valid value,
 * resampled, baseline removed, denoised.
 */
export function preprocessSignal(signal: ArrayLike<number>, samplingFrequency: number, options: PreprocessOptions = {}): Float64Array {
  const n = signal.length;
  let x: Float64Array = new Float64Array(n);
  let last = 0;
  for (let i = 0; i < n; i++) {
    const v = signal[i];
    if (Number.isFinite(v)) last = v;
    x[i] = last;
  }
  const target = sampleRateOf(options);
  if (samplingFrequency !== target) x = resample(x, samplingFrequency, target);
  if (options.baselineRemoval ?? true) x = removeBaselineWander(x, target);
  const denoise = options.denoise ?? true;
  if (denoise !== false) x = waveletDenoise(x, denoise === true ? {} : denoise);
  return x;
}

function windowBounds(options: WindowOptions): { before: number; after: number; length: number } {
  const before = options.windowBefore ?? DEFAULT_WINDOW_BEFORE;
  const after = options.windowAfter ?? DEFAULT_WINDOW_AFTER;
  if (!Number.isInteger(before) || !Number.isInteger(after) || before < 0 || after < 1) {
    throw new SpikemedError(`beat window: windowBefore (${before}) must be an integer >= 0 and windowAfter (${after}) an integer >= 1`);
  }
  return { before, after, length: before + after };
}

/** Normalises one window in place. A flat window becomes all zeros rather than NaN. */
export function normalizeBeat(window: Float32Array, normalization: BeatNormalization): void {
  if (normalization === "none") return;
  const n = window.length;
  if (normalization === "zscore") {
    let mean = 0;
    for (let i = 0; i < n; i++) mean += window[i];
    mean /= n;
    let variance = 0;
    for (let i = 0; i < n; i++) variance += (window[i] - mean) ** 2;
    const std = Math.sqrt(variance / n);
    const scale = std > 1e-12 ? 1 / std : 0;
    for (let i = 0; i < n; i++) window[i] = (window[i] - mean) * scale;
  } else {
    let min = Infinity;
    let max = -Infinity;
    for (let i = 0; i < n; i++) {
      min = Math.min(min, window[i]);
      max = Math.max(max, window[i]);
    }
    const range = max - min;
    const scale = range > 1e-12 ? 1 / range : 0;
    for (let i = 0; i < n; i++) window[i] = (window[i] - min) * scale;
  }
}

/**
 * Cuts windows [peak - before, peak + after) out of `signal` for every peak whose window fits.
 * Returns the windows (row-major) and which of the peaks were kept.
 */
export function extractWindows(signal: ArrayLike<number>, peaks: ArrayLike<number>, options: WindowOptions = {}): { x: Float32Array; windowLength: number; kept: Int32Array } {
  const { before, after, length } = windowBounds(options);
  const normalization = options.normalization ?? "zscore";
  const kept: number[] = [];
  for (let i = 0; i < peaks.length; i++) {
    if (peaks[i] - before >= 0 && peaks[i] + after <= signal.length) kept.push(i);
  }
  const x = new Float32Array(kept.length * length);
  kept.forEach((p, row) => {
    const start = peaks[p] - before;
    const window = x.subarray(row * length, (row + 1) * length);
    for (let k = 0; k < length; k++) window[k] = signal[start + k];
    normalizeBeat(window, normalization);
  });
  return { x, windowLength: length, kept: Int32Array.from(kept) };
}

/** `extractWindows` of every lead at the same peaks, side by side in each beat's row: [beat][lead][sample]. */
function windowsOfLeads(signals: readonly ArrayLike<number>[], peaks: ArrayLike<number>, options: WindowOptions): { x: Float32Array; windowLength: number; kept: Int32Array } {
  const perLead = signals.map((signal) => extractWindows(signal, peaks, options));
  if (perLead.length === 1) return perLead[0];
  const { windowLength, kept } = perLead[0];
  const x = new Float32Array(kept.length * signals.length * windowLength);
  for (let row = 0; row < kept.length; row++) {
    perLead.forEach((lead, l) => x.set(lead.x.subarray(row * windowLength, (row + 1) * windowLength), (row * signals.length + l) * windowLength));
  }
  return { x, windowLength, kept };
}

/**
 * Each peak moved to the largest deflection of the conditioned signal within 50 ms, near where
 * reference annotations put the R peak, so detected beats line up like annotated ones.
 */
export function toLargestDeflection(conditioned: ArrayLike<number>, peaks: ArrayLike<number>, sampleRate: number): Int32Array {
  const reach = Math.round(0.05 * sampleRate);
  return Int32Array.from(peaks, (p) => {
    const at = Math.min(conditioned.length - 1, Math.max(0, p));
    let best = at;
    for (let k = Math.max(0, at - reach); k <= Math.min(conditioned.length - 1, at + reach); k++) {
      if (Math.abs(conditioned[k]) > Math.abs(conditioned[best])) best = k;
    }
    return best;
  });
}

/** Peak-to-peak amplitude of each beat's window (clipped to the signal), before normalisation. */
function windowPeakToPeak(signal: ArrayLike<number>, peaks: ArrayLike<number>, options: WindowOptions): Float64Array {
  const { before, after } = windowBounds(options);
  const out = new Float64Array(peaks.length);
  for (let i = 0; i < peaks.length; i++) {
    let min = Infinity;
    let max = -Infinity;
    for (let k = Math.max(0, peaks[i] - before); k < Math.min(signal.length, peaks[i] + after); k++) {
      min = Math.min(min, signal[k]);
      max = Math.max(max, signal[k]);
    }
    out[i] = max > min ? max - min : 0;
  }
  return out;
}

/**
 * The features (BEAT_FEATURE_NAMES) of the kept beats, computed over all of the record's beats:
 * amplitudes from the conditioned `signal` over the windows at `peaks` (at its rate), shapes at
 * `shapePeaks` in `signal` and in the conditioned `secondLead` (null for a record with one lead),
 * RR intervals from `rr.peaks` at the record's own rate (`rr.frequency`), not
 * rounded to the window rate's grid.
 */
function featuresOfKept(signal: ArrayLike<number>, secondLead: ArrayLike<number> | null, peaks: ArrayLike<number>, shapePeaks: ArrayLike<number>, kept: Int32Array,
  rr: { peaks: ArrayLike<number>; frequency: number }, options: WindowOptions & { sampleRate?: number }): Float32Array {
  const rate = sampleRateOf(options);
  const shapes = beatShapes(signal, shapePeaks, rate);
  // Column blocks in BEAT_FEATURE_NAMES' order, each with its width per beat.
  const blocks: [Float32Array | null, number][] = [
    [beatFeatures(rr.peaks, rr.frequency, { ...shapes, peakToPeak: windowPeakToPeak(signal, peaks, options) }, secondLead ? beatShapes(secondLead, shapePeaks, rate) : null), RHYTHM_SHAPE_NAMES.length],
    [rrFamilies(rr.peaks, rr.frequency), RR_FAMILY_NAMES.length],
    [shapeFamilies(signal, shapePeaks, rate), SHAPE_FAMILY_NAMES.length],
    [secondLead ? shapeFamilies(secondLead, shapePeaks, rate) : null, SHAPE_FAMILY_NAMES.length],
  ];
  const width = BEAT_FEATURE_NAMES.length;
  const out = new Float32Array(kept.length * width);
  kept.forEach((k, row) => {
    let at = row * width;
    for (const [values, columns] of blocks) {
      if (values) out.set(values.subarray(k * columns, (k + 1) * columns), at);
      else out.fill(Number.NaN, at, at + columns);
      at += columns;
    }
  });
  return out;
}

export interface RecordBeats {
  /** Windows, [beat][lead][sample]. */
  x: Float32Array;
  /** Samples per lead. */
  windowLength: number;
  leads: number;
  /** BEAT_FEATURE_NAMES of each beat, row-major. */
  features: Float32Array;
  /** 0..4 = N,S,V,F,Q. */
  y: Uint8Array;
  /** R-peak sample of each beat in the record's own sampling rate. */
  sampleOfBeat: Int32Array;
}

/**
 * Refuses, naming the record, a record the beat pipeline cannot condition: a sampling rate outside
 * ECG_RATE_RANGE, or too few samples at the window rate for the wavelet denoising.
 */
function checkRecordForBeats(record: WfdbRecord, options: PreprocessOptions): void {
  const rate = record.samplingFrequency;
  if (!inEcgRateRange(rate)) {
    throw new SpikemedError(`record ${record.name}: sampling frequency ${rate} Hz is outside the ${ECG_RATE_RANGE.min}-${ECG_RATE_RANGE.max} Hz an ECG is read at`,
      "check the frequency on the header's first line (e.g. 360)");
  }
  const denoise = options.denoise ?? true;
  if (denoise === false) return;
  const target = sampleRateOf(options);
  const needed = denoiseMinimumLength(denoise === true ? {} : denoise);
  const samples = Math.round(record.frameCount * (target / rate));
  if (samples < needed) {
    throw new SpikemedError(`record ${record.name}: ${(record.frameCount / rate).toFixed(2)} s of signal is too short to denoise (at least ${(needed / target).toFixed(2)} s at ${target} Hz)`,
      "use a longer record");
  }
}

/** The AAMI-labelled beats of an annotated record, windowed around the reference R peaks. */
export function labelledBeatsOfRecord(record: WfdbRecord, options: PreprocessOptions & WindowOptions = {}): RecordBeats {
  const a = record.annotations;
  if (!a) throw new SpikemedError(`record ${record.name}: no beat annotations (.atr) to label beats with`);
  checkRecordForBeats(record, options);
  const leads = resolveLeads(record, options);
  const target = sampleRateOf(options);
  const ratio = target / record.samplingFrequency;
  const raw = leads.map((lead) => record.physical[lead]);
  const signals = raw.map((lead) => preprocessSignal(lead, record.samplingFrequency, options));
  const signal = signals[0];
  // A data set holds every feature its models may read, the second lead's among them.
  const secondLead = conditionedSecondLead(secondLeadOf(record, leads[0]), raw, signals, record.samplingFrequency, options);
  const samples: number[] = [];
  const labels: number[] = [];
  for (let i = 0; i < a.code.length; i++) {
    const cls = aamiClassOfSymbol(annotationSymbol(a.code[i]));
    if (cls >= 0) {
      samples.push(a.sample[i]);
      labels.push(cls);
    }
  }
  const peaksAtTarget = samples.map((s) => Math.round(s * ratio));
  const { x, windowLength, kept } = windowsOfLeads(signals, peaksAtTarget, options);
  const y = new Uint8Array(kept.length);
  const sampleOfBeat = new Int32Array(kept.length);
  kept.forEach((k, i) => {
    y[i] = labels[k];
    sampleOfBeat[i] = samples[k];
  });
  // Shapes are compared at the peaks detected beats get, not at the annotations: MIT-BIH's
  // annotators marked V beats further from the largest deflection than N beats (2.3 against 0.75
  // samples at 120 Hz in DS1), so shapes measured at the marks carry the label, which prediction
  // on an unannotated record cannot (bench/results/ecg-inter.md).
  const aligned = toLargestDeflection(signal, peaksAtTarget, target);
  return { x, windowLength, leads: leads.length, y, sampleOfBeat, features: featuresOfKept(signal, secondLead, peaksAtTarget, aligned, kept, { peaks: samples, frequency: record.samplingFrequency }, options) };
}

export interface DetectedBeats {
  /** Windows, [beat][lead][sample]. */
  x: Float32Array;
  /** Samples per lead. */
  windowLength: number;
  leads: number;
  /** BEAT_FEATURE_NAMES of each returned beat, row-major. */
  features: Float32Array;
  /** Detected R peak of each returned beat, in the input's sampling rate. */
  sampleOfBeat: Int32Array;
  /** Every detected R peak (some may lack a full window near the ends), in the input's rate. */
  rPeaks: Int32Array;
}

/**
 * Beats of an unannotated signal, for prediction: R peaks from the Pan-Tompkins detector (run on
 * the raw signal at the target rate), each
 * moved to the largest deflection of the conditioned signal within 50 ms (where reference
 * annotations put the R peak), then windowed exactly like the training beats.
 */
export function detectBeats(signal: ArrayLike<number>, samplingFrequency: number, options: PreprocessOptions & WindowOptions & { detector?: RPeakOptions } = {}): DetectedBeats {
  return detectBeatsOfLeads([signal], samplingFrequency, options);
}

/** `detectBeats` with the windows of several simultaneous leads side by side; the first lead gives the R peaks and the features. */
export function detectBeatsOfLeads(signals: readonly ArrayLike<number>[], samplingFrequency: number,
  options: PreprocessOptions & WindowOptions & { detector?: RPeakOptions; secondLead?: ArrayLike<number> | null } = {}): DetectedBeats {
  const target = sampleRateOf(options);
  const conditionedLeads = signals.map((signal) => preprocessSignal(signal, samplingFrequency, options));
  const conditionedSecond = conditionedSecondLead(options.secondLead ?? null, signals, conditionedLeads, samplingFrequency, options);
  const [signal] = signals;
  const [conditioned] = conditionedLeads;
  // The detector is tuned (and measured, bench/ecg-rpeaks) on the raw signal at 360 Hz, whatever
  // rate the windows use: denoising and baseline removal flatten the slopes it keys on.
  const raw = samplingFrequency === DETECTION_FREQUENCY ? signal : resample(signal, samplingFrequency, DETECTION_FREQUENCY);
  const detected = detectRPeaks(raw, DETECTION_FREQUENCY, options.detector);
  const peaks = toLargestDeflection(conditioned, Array.from(detected, (p) => Math.round((p * target) / DETECTION_FREQUENCY)), target);
  const { x, windowLength, kept } = windowsOfLeads(conditionedLeads, peaks, options);
  const back = samplingFrequency / target;
  const rPeaks = peaks.map((p) => Math.round(p * back));
  const features = featuresOfKept(conditioned, conditionedSecond, peaks, peaks, kept, { peaks: detected, frequency: DETECTION_FREQUENCY }, options);
  return { x, windowLength, leads: signals.length, features, sampleOfBeat: kept.map((k) => rPeaks[k]), rPeaks };
}

/**
 * `detectBeats` on the leads (`leads`, else `lead`) of a WFDB record; the second lead's features
 * (NaN otherwise) only when `secondLeadFeatures` asks, as conditioning a second lead costs most of
 * the time of a record (record 208, measured here: 0.8-1.0 s against 0.4-0.6 s).
 */
export function detectBeatsInRecord(record: WfdbRecord, options: PreprocessOptions & WindowOptions & { detector?: RPeakOptions; secondLeadFeatures?: boolean } = {}): DetectedBeats {
  checkRecordForBeats(record, options);
  const leads = resolveLeads(record, options);
  const secondLead = options.secondLeadFeatures ? secondLeadOf(record, leads[0]) : null;
  return detectBeatsOfLeads(leads.map((lead) => record.physical[lead]), record.samplingFrequency, { ...options, secondLead });
}
