/**
 * Per-beat rhythm and amplitude features that a fixed window around one R peak cannot show:
 * how early the beat came (supraventricular and ventricular premature beats come early and are
 * followed by a pause) and how tall it is against the patient's usual beat (per-beat z-scoring
 * removes amplitude). Across patients, beat shape alone barely separates S from N beats; RR
 * intervals, normalised to the patient's own rhythm, are what the inter-patient literature
 * (de Chazal et al. 2004 onwards) adds to make that possible.
 */
import { SpikemedError } from "../../core/errors.js";
import { median } from "../../core/stats.js";
import { RR_FAMILY_NAMES, SHAPE_FAMILY_NAMES } from "./beat-families.js";
import type { BeatShapes } from "./beat-shape.js";

/** The columns beatFeatures computes: rhythm, amplitude and likeness to the median beat. */
export const RHYTHM_SHAPE_NAMES: readonly string[] = [
  "pre_rr_s", // seconds since the previous R peak
  "post_rr_s", // seconds to the next R peak
  "pre_rr_ratio", // pre RR over the local RR (median of the previous 32 RR intervals)
  "post_rr_ratio", // post RR over the same local RR
  "amplitude_ratio", // peak-to-peak of the beat's window over the record's median peak-to-peak
  "pre_rr_record_ratio", // pre RR over the record's mean RR
  "post_rr_record_ratio", // post RR over the record's mean RR
  "pre_rr_local_mean_ratio", // pre RR over the mean of the previous 32 RR intervals
  "template_correlation", // correlation of the beat with the record's median beat (beat-shape.ts)
  "template_correlation_p", // the same over the P wave
  "template_correlation_qrs", // over the QRS complex
  "template_correlation_t", // over the T wave
  "template_rms_ratio", // RMS difference from the record's median beat over the median beat's RMS
  "qrs_width_ratio", // width of the QRS complex over the median beat's (beat-shape.ts)
  // The same six against the median beat of the record's second lead, where it has one (NaN where not):
  // another view of the heart, in which the P wave or the QRS may change where the first lead's do not.
  "lead2_template_correlation", "lead2_template_correlation_p", "lead2_template_correlation_qrs", "lead2_template_correlation_t",
  "lead2_template_rms_ratio", "lead2_qrs_width_ratio",
];

/**
 * Names of the features, in the order they are stored after each beat's window: the columns of
 * beatFeatures, then Mondéjar-Guerra et al.'s families (beat-families.ts) in the first lead and in
 * the second (NaN for a record with one lead).
 */
export const BEAT_FEATURE_NAMES: readonly string[] = [...RHYTHM_SHAPE_NAMES, ...RR_FAMILY_NAMES, ...SHAPE_FAMILY_NAMES, ...SHAPE_FAMILY_NAMES.map((name) => `lead2_${name}`)];

/**
 * The features the ECG models read: the rhythm against the patient's own, never absolute
 * intervals, which across patients tell heart rates apart rather than beat classes (a slow heart
 * is not one). Means count the pauses that medians ignore, so a run of ectopic beats that sets
 * the local median (record 232) still comes early against them (bench/results/ecg-inter.md).
 */
export const PATIENT_RELATIVE_FEATURES: readonly string[] = [
  "pre_rr_ratio", "post_rr_ratio", "amplitude_ratio", "pre_rr_record_ratio", "post_rr_record_ratio", "pre_rr_local_mean_ratio",
];

/** The beat against the record's median beat (beat-shape.ts), whole and by wave. */
export const TEMPLATE_FEATURES: readonly string[] = [
  "template_correlation", "template_correlation_p", "template_correlation_qrs", "template_correlation_t", "template_rms_ratio",
];

/** The QRS complex's width against the median beat's, in the first lead. */
export const QRS_WIDTH_FEATURES: readonly string[] = ["qrs_width_ratio"];

/** TEMPLATE_FEATURES and QRS_WIDTH_FEATURES measured in the record's second lead. */
export const SECOND_LEAD_FEATURES: readonly string[] = [...TEMPLATE_FEATURES, ...QRS_WIDTH_FEATURES].map((name) => `lead2_${name}`);

/** Whether a feature is measured in the record's second lead (which a one-lead record lacks). */
export function isSecondLeadFeature(name: string): boolean {
  return name.startsWith("lead2_");
}

const familyColumns = (prefix: string): string[] => SHAPE_FAMILY_NAMES.filter((name) => name.startsWith(prefix));
const SHAPE_FAMILIES: Record<string, readonly string[]> = {
  template: TEMPLATE_FEATURES, "qrs-width": QRS_WIDTH_FEATURES,
  wavelet: familyColumns("wavelet_"), hos: familyColumns("hos_"), lbp: familyColumns("lbp_"), morph: familyColumns("morph_"),
  "wavelet-rel": familyColumns("rel_wavelet_"), "hos-rel": familyColumns("rel_hos_"), "lbp-rel": familyColumns("rel_lbp_"), "morph-rel": familyColumns("rel_morph_"),
};

/**
 * Groups of features a model can be given by name (--features): the rhythm (`rhythm`: the six
 * patient-relative features the built-in models read; `rr`: Mondéjar-Guerra's pre, post, local and
 * global RR in seconds; `rr-norm`: the same four over the record's mean of each), and the shape
 * families of the first lead and, prefixed `lead2-`, of the second (`wavelet-rel` and so on: each
 * minus the record's median of it).
 */
export const FEATURE_FAMILIES: Readonly<Record<string, readonly string[]>> = {
  rhythm: PATIENT_RELATIVE_FEATURES,
  rr: ["pre_rr_s", "post_rr_s", "local_rr_s", "global_rr_s"],
  "rr-norm": ["pre_rr_record_ratio", "post_rr_record_ratio", "local_rr_record_ratio", "global_rr_record_ratio"],
  ...SHAPE_FAMILIES,
  ...Object.fromEntries(Object.entries(SHAPE_FAMILIES).map(([family, names]) => [`lead2-${family}`, names.map((name) => `lead2_${name}`)])),
};

/**
 * The features of `families`, families or single feature names joined by "+" (e.g.
 * rr-norm+wavelet+lead2-wavelet), in that order, each named once.
 */
export function featuresOfFamilies(families: string): string[] {
  const names: string[] = [];
  for (const part of families.split("+").map((p) => p.trim())) {
    const members = FEATURE_FAMILIES[part] ?? (BEAT_FEATURE_NAMES.includes(part) ? [part] : null);
    if (!members) throw new SpikemedError(`--features: "${part}" is neither a feature family nor a feature`, `join families with +, from: ${Object.keys(FEATURE_FAMILIES).join(", ")}`);
    for (const name of members) if (!names.includes(name)) names.push(name);
  }
  return names;
}

/** Intervals counted into the local rhythm: about half a minute at usual heart rates. */
const LOCAL_RR_BEATS = 32;

function mean(values: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += values[i];
  return values.length > 0 ? sum / values.length : Number.NaN;
}

/** The shape measurements in the order of their columns, first lead and second alike. */
const SHAPE_COLUMNS: readonly (keyof BeatShapes)[] = [
  "templateCorrelation", "templateCorrelationP", "templateCorrelationQrs", "templateCorrelationT", "templateRmsRatio", "qrsWidthRatio",
];

/**
 * Features of every beat of one record, `peaks.length * RHYTHM_SHAPE_NAMES.length` values.
 * `peaks` are the R-peak samples of all the record's beats in order (at `samplingFrequency`);
 * `shapes` each beat's amplitude before normalisation (`peakToPeak`) and its likeness to the
 * record's median beat (beatShapes; same beats in the same order), and the same likeness in the record's
 * second lead (`secondLead`; NaN without one). The first beat takes
 * its post RR as its pre RR and the last its pre RR as its post RR; a beat with no history takes
 * the record's median (mean) RR as its local median (mean); a record with one beat gets ratios of
 * 1 and intervals of 0.
 */
export function beatFeatures(peaks: ArrayLike<number>, samplingFrequency: number, shapes: { [K in keyof BeatShapes | "peakToPeak"]: ArrayLike<number> },
  secondLead: BeatShapes | null = null): Float32Array {
  const { peakToPeak } = shapes;
  const n = peaks.length;
  const width = RHYTHM_SHAPE_NAMES.length;
  const out = new Float32Array(n * width);
  const rr = new Float64Array(Math.max(0, n - 1));
  for (let i = 1; i < n; i++) rr[i - 1] = (peaks[i] - peaks[i - 1]) / samplingFrequency;
  const typicalAmplitude = median(peakToPeak);
  const recordMean = mean(rr);
  for (let i = 0; i < n; i++) {
    const pre = i > 0 ? rr[i - 1] : n > 1 ? rr[0] : 0;
    const post = i < n - 1 ? rr[i] : n > 1 ? rr[n - 2] : 0;
    // The beat's own pre RR is left out of its local rhythm, so one early beat does not hide itself.
    const history = rr.subarray(Math.max(0, i - 1 - LOCAL_RR_BEATS), Math.max(0, i - 1));
    const local = history.length > 0 ? median(history) : n > 1 ? median(rr) : 0;
    const localMean = history.length > 0 ? mean(history) : recordMean;
    const ratio = (v: number, to = local): number => (to > 0 ? v / to : 1);
    const row = out.subarray(i * width, (i + 1) * width);
    row[0] = pre;
    row[1] = post;
    row[2] = ratio(pre);
    row[3] = ratio(post);
    row[4] = typicalAmplitude > 0 ? peakToPeak[i] / typicalAmplitude : 1;
    row[5] = ratio(pre, recordMean);
    row[6] = ratio(post, recordMean);
    row[7] = ratio(pre, localMean);
    SHAPE_COLUMNS.forEach((key, k) => {
      row[8 + k] = shapes[key][i];
      row[8 + SHAPE_COLUMNS.length + k] = secondLead ? secondLead[key][i] : Number.NaN;
    });
  }
  return out;
}

/**
 * The `wanted` columns, in that order, of row-major `values` holding `available` features per
 * beat. An unknown name is an error that lists the available ones, and so is a feature some beats
 * lack (a second lead's, where a record has one lead).
 */
export function selectBeatFeatures(values: Float32Array, available: readonly string[], wanted: readonly string[]): Float32Array {
  const columns = wanted.map((name) => {
    const k = available.indexOf(name);
    if (k < 0) throw new SpikemedError(`the beat feature "${name}" is not computed (available: ${available.join(", ")})`, "list only available features in the model config's \"features\"");
    return k;
  });
  const width = available.length;
  const n = width > 0 ? values.length / width : 0;
  const out = new Float32Array(n * columns.length);
  for (let i = 0; i < n; i++) {
    columns.forEach((k, j) => {
      const value = values[i * width + k];
      if (Number.isNaN(value)) throw new SpikemedError(`the beat feature "${available[k]}" is missing for some beats (a record with one lead has no second-lead features)`, "use records with two leads, or a model that reads first-lead features only");
      out[i * columns.length + j] = value;
    });
  }
  return out;
}
