/**
 * Each beat's shape against the patient's own usual beat. Across patients, beat shapes differ
 * more than beat classes do (a network that reads the raw window learns the training patients:
 * bench/results/ecg-inter.md); against the record's median beat, a ventricular beat is far off
 * and a normal one is not, whatever the patient. The median beat needs no labels, so unannotated
 * records get it too; it is the record's dominant beat, whatever its class.
 */

/** Seconds before and after the R peak compared with the median beat: P wave, QRS and T wave. */
export const SHAPE_SPAN_BEFORE_S = 0.25;
export const SHAPE_SPAN_AFTER_S = 0.4;

export interface BeatShapes {
  /** Peak-to-peak amplitude of each beat's input window (clipped to the signal). */
  peakToPeak: Float64Array;
  /** Pearson correlation of the beat's span with the record's median beat (1 where the span does not fit). */
  templateCorrelation: Float64Array;
  /** RMS of the beat's span minus the median beat (both mean-removed), over the median beat's RMS (0 where the span does not fit). */
  templateRmsRatio: Float64Array;
}

function meanRemoved(signal: ArrayLike<number>, start: number, length: number): Float64Array {
  const out = new Float64Array(length);
  let sum = 0;
  for (let k = 0; k < length; k++) sum += signal[start + k];
  const mean = sum / length;
  for (let k = 0; k < length; k++) out[k] = signal[start + k] - mean;
  return out;
}

function medianOf(values: Float64Array): number {
  values.sort();
  const n = values.length;
  return n % 2 ? values[(n - 1) / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

/**
 * Shapes of the beats at `peaks` (samples of `signal`, the conditioned signal at `sampleRate`):
 * amplitude over the window of `windowBefore` / `windowAfter` samples, and the span of
 * SHAPE_SPAN_BEFORE_S / SHAPE_SPAN_AFTER_S against the elementwise median of all the spans that fit.
 */
export function beatShapes(signal: ArrayLike<number>, peaks: ArrayLike<number>, sampleRate: number, windowBefore: number, windowAfter: number): BeatShapes {
  const n = peaks.length;
  const peakToPeak = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let min = Infinity;
    let max = -Infinity;
    for (let k = Math.max(0, peaks[i] - windowBefore); k < Math.min(signal.length, peaks[i] + windowAfter); k++) {
      min = Math.min(min, signal[k]);
      max = Math.max(max, signal[k]);
    }
    peakToPeak[i] = max > min ? max - min : 0;
  }
  const before = Math.round(SHAPE_SPAN_BEFORE_S * sampleRate);
  const length = before + Math.round(SHAPE_SPAN_AFTER_S * sampleRate);
  const spans: Array<Float64Array | null> = Array.from(peaks, (p) => (p - before >= 0 && p - before + length <= signal.length ? meanRemoved(signal, p - before, length) : null));
  const fitting = spans.filter((s): s is Float64Array => s !== null);
  const template = new Float64Array(length);
  const column = new Float64Array(fitting.length);
  for (let k = 0; k < length && fitting.length > 0; k++) {
    fitting.forEach((s, j) => { column[j] = s[k]; });
    template[k] = medianOf(column);
  }
  const templateCentred = meanRemoved(template, 0, length);
  const templateEnergy = templateCentred.reduce((sum, v) => sum + v * v, 0);
  const templateCorrelation = new Float64Array(n).fill(1);
  const templateRmsRatio = new Float64Array(n);
  if (templateEnergy > 0) {
    spans.forEach((s, i) => {
      if (!s) return;
      let cross = 0;
      let energy = 0;
      let difference = 0;
      for (let k = 0; k < length; k++) {
        cross += s[k] * templateCentred[k];
        energy += s[k] * s[k];
        difference += (s[k] - templateCentred[k]) ** 2;
      }
      templateCorrelation[i] = energy > 0 ? cross / Math.sqrt(energy * templateEnergy) : 0;
      templateRmsRatio[i] = Math.sqrt(difference / templateEnergy);
    });
  }
  return { peakToPeak, templateCorrelation, templateRmsRatio };
}
