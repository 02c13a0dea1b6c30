/**
 * Per-beat rhythm and amplitude features that a fixed window around one R peak cannot show:
 * how early the beat came (supraventricular and ventricular premature beats come early and are
 * followed by a pause) and how tall it is against the patient's usual beat (per-beat z-scoring
 * removes amplitude). Across patients, beat shape alone barely separates S from N beats; RR
 * intervals, normalised to the patient's own rhythm, are what the inter-patient literature
 * (de Chazal et al. 2004 onwards) adds to make that possible.
 */

/** Names of the features, in the order they are stored after each beat's window. */
export const BEAT_FEATURE_NAMES: readonly string[] = [
  "pre_rr_s", // seconds since the previous R peak
  "post_rr_s", // seconds to the next R peak
  "pre_rr_ratio", // pre RR over the local RR (median of the previous 32 RR intervals)
  "post_rr_ratio", // post RR over the same local RR
  "amplitude_ratio", // peak-to-peak of the beat's window over the record's median peak-to-peak
];

/** Intervals counted into the local rhythm: about half a minute at usual heart rates. */
const LOCAL_RR_BEATS = 32;

function median(values: ArrayLike<number>): number {
  const sorted = Float64Array.from(values).sort();
  const n = sorted.length;
  if (n === 0) return Number.NaN;
  return n % 2 ? sorted[(n - 1) / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
}

/**
 * Features of every beat of one record, `peaks.length * BEAT_FEATURE_NAMES.length` values.
 * `peaks` are the R-peak samples of all the record's beats in order (at `samplingFrequency`);
 * `peakToPeak` the amplitude of each beat's window before normalisation. The first beat takes
 * its post RR as its pre RR and the last its pre RR as its post RR; a record with one beat gets
 * ratios of 1 and intervals of 0.
 */
export function beatFeatures(peaks: ArrayLike<number>, samplingFrequency: number, peakToPeak: ArrayLike<number>): Float32Array {
  const n = peaks.length;
  const width = BEAT_FEATURE_NAMES.length;
  const out = new Float32Array(n * width);
  const rr = new Float64Array(Math.max(0, n - 1));
  for (let i = 1; i < n; i++) rr[i - 1] = (peaks[i] - peaks[i - 1]) / samplingFrequency;
  const typicalAmplitude = median(peakToPeak);
  for (let i = 0; i < n; i++) {
    const pre = i > 0 ? rr[i - 1] : n > 1 ? rr[0] : 0;
    const post = i < n - 1 ? rr[i] : n > 1 ? rr[n - 2] : 0;
    // The beat's own pre RR is left out of its local rhythm, so one early beat does not hide itself.
    const history = rr.subarray(Math.max(0, i - 1 - LOCAL_RR_BEATS), Math.max(0, i - 1));
    const local = history.length > 0 ? median(history) : n > 1 ? median(rr) : 0;
    const ratio = (v: number): number => (local > 0 ? v / local : 1);
    const row = out.subarray(i * width, (i + 1) * width);
    row[0] = pre;
    row[1] = post;
    row[2] = ratio(pre);
    row[3] = ratio(post);
    row[4] = typicalAmplitude > 0 ? peakToPeak[i] / typicalAmplitude : 1;
  }
  return out;
}
