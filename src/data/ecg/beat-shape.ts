/**
 * Each beat's shape against the patient's own usual beat. Across patients, beat shapes differ
 * more than beat classes do (a network that reads the raw window learns the training patients:
 * bench/results/ecg-inter.md); against the record's median beat, a ventricular beat is far off
 * and a normal one is not, whatever the patient. The median beat needs no labels, so unannotated
 * records get it too; it is the record's dominant beat, whatever its class.
 */
import { median } from "../../core/stats.js";

/** Seconds around the R peak compared with the median beat: P wave, QRS and T wave. */
export const SHAPE_SPAN_BEFORE_S = 0.25;
export const SHAPE_SPAN_AFTER_S = 0.4;
/**
 * Parts of the span compared on their own, in seconds from the R peak: an ectopic atrial beat
 * changes the P wave, a ventricular one the QRS complex and the T wave.
 */
export const SHAPE_REGIONS = { p: [-0.25, -0.07], qrs: [-0.07, 0.08], t: [0.08, 0.4] } as const;
/**
 * Where a QRS complex's width is measured, in seconds from the R peak: wider than the QRS region
 * above, because a ventricular beat's complex lasts up to about 0.2 s and its largest deflection
 * need not be in its middle.
 */
export const QRS_WIDTH_REGION = [-0.1, 0.15] as const;

export interface BeatShapes {
  /** Pearson correlation of the beat's span with the record's median beat (1 where the span does not fit). */
  templateCorrelation: Float64Array;
  /** The same over the P-wave, QRS and T-wave parts of the span (SHAPE_REGIONS). */
  templateCorrelationP: Float64Array;
  templateCorrelationQrs: Float64Array;
  templateCorrelationT: Float64Array;
  /** RMS of the beat's span minus the median beat (both mean-removed), over the median beat's RMS (0 where the span does not fit). */
  templateRmsRatio: Float64Array;
  /** Width of the beat's QRS complex (qrsWidth) over the median beat's (1 where the span does not fit). */
  qrsWidthRatio: Float64Array;
}

function meanRemoved(values: ArrayLike<number>, start: number, length: number): Float64Array {
  const out = new Float64Array(length);
  let sum = 0;
  for (let k = 0; k < length; k++) sum += values[start + k];
  const mean = sum / length;
  for (let k = 0; k < length; k++) out[k] = values[start + k] - mean;
  return out;
}

/** Part [start, end) of the span compared on its own: the median beat's part, mean-removed, and its energy. */
interface TemplatePart {
  start: number;
  end: number;
  centred: Float64Array;
  energy: number;
}

function templatePart(template: Float64Array, start: number, end: number): TemplatePart {
  const centred = meanRemoved(template, start, end - start);
  return { start, end, centred, energy: centred.reduce((sum, v) => sum + v * v, 0) };
}

/** Pearson correlation of a beat's span with the median beat over `part`; 1 when the median beat is flat there, 0 when only the beat is. */
function correlation(span: Float64Array, part: TemplatePart): number {
  if (part.energy === 0) return 1;
  const x = meanRemoved(span, part.start, part.end - part.start);
  let cross = 0;
  let xx = 0;
  for (let k = 0; k < x.length; k++) {
    cross += x[k] * part.centred[k];
    xx += x[k] * x[k];
  }
  return xx > 0 ? cross / Math.sqrt(xx * part.energy) : 0;
}

/**
 * Width, in samples, of the stretch [start, end) of `values` that holds the middle 80% of its
 * slope energy (squared differences; from 10% to 90% of the running sum, interpolated between
 * samples). A ventricular beat's complex spreads its slope over a longer time than a conducted
 * beat's, in any lead and at any amplitude. Squared, the steep QRS outweighs noise, which
 * spreads over the whole stretch (with absolute slopes, the median N beat of the embedded sample
 * measured 1.28 times its record's median beat, V 1.49; squared, 1.09 and 2.06). 0 for a flat stretch.
 */
export function qrsWidth(values: ArrayLike<number>, start: number, end: number): number {
  const cumulative = new Float64Array(end - start);
  for (let k = start + 1; k < end; k++) cumulative[k - start] = cumulative[k - 1 - start] + (values[k] - values[k - 1]) ** 2;
  const total = cumulative[cumulative.length - 1];
  if (!(total > 0)) return 0;
  const crossing = (level: number): number => {
    let k = 1;
    while (cumulative[k] < level) k++;
    return k - 1 + (level - cumulative[k - 1]) / (cumulative[k] - cumulative[k - 1]);
  };
  return crossing(0.9 * total) - crossing(0.1 * total);
}

/**
 * Shapes of the beats at `peaks` (samples of `signal`, the conditioned signal at `sampleRate`):
 * the span of SHAPE_SPAN_BEFORE_S / SHAPE_SPAN_AFTER_S against the elementwise median of all the
 * spans that fit.
 */
export function beatShapes(signal: ArrayLike<number>, peaks: ArrayLike<number>, sampleRate: number): BeatShapes {
  const n = peaks.length;
  const before = Math.round(SHAPE_SPAN_BEFORE_S * sampleRate);
  const length = before + Math.round(SHAPE_SPAN_AFTER_S * sampleRate);
  const at = (seconds: number): number => Math.min(length, Math.max(0, before + Math.round(seconds * sampleRate)));
  const spans: Array<Float64Array | null> = Array.from(peaks, (p) => (p - before >= 0 && p - before + length <= signal.length ? meanRemoved(signal, p - before, length) : null));
  const fitting = spans.filter((s): s is Float64Array => s !== null);
  const template = new Float64Array(length);
  for (let k = 0; k < length && fitting.length > 0; k++) template[k] = median(fitting.map((s) => s[k]));
  const centred = meanRemoved(template, 0, length);
  const templateEnergy = centred.reduce((sum, v) => sum + v * v, 0);
  // The median beat's parts are prepared once, not per beat.
  const [whole, p, qrs, t] = [[0, length], ...[SHAPE_REGIONS.p, SHAPE_REGIONS.qrs, SHAPE_REGIONS.t].map(([from, to]) => [at(from), at(to)])]
    .map(([start, end]) => templatePart(centred, start, end));
  const shapes: BeatShapes = {
    templateCorrelation: new Float64Array(n).fill(1),
    templateCorrelationP: new Float64Array(n).fill(1),
    templateCorrelationQrs: new Float64Array(n).fill(1),
    templateCorrelationT: new Float64Array(n).fill(1),
    templateRmsRatio: new Float64Array(n),
    qrsWidthRatio: new Float64Array(n).fill(1),
  };
  if (templateEnergy === 0) return shapes;
  const [widthStart, widthEnd] = QRS_WIDTH_REGION.map(at);
  const templateWidth = qrsWidth(centred, widthStart, widthEnd);
  spans.forEach((s, i) => {
    if (!s) return;
    shapes.templateCorrelation[i] = correlation(s, whole);
    shapes.templateCorrelationP[i] = correlation(s, p);
    shapes.templateCorrelationQrs[i] = correlation(s, qrs);
    shapes.templateCorrelationT[i] = correlation(s, t);
    let difference = 0;
    for (let k = 0; k < length; k++) difference += (s[k] - centred[k]) ** 2;
    shapes.templateRmsRatio[i] = Math.sqrt(difference / templateEnergy);
    if (templateWidth > 0) shapes.qrsWidthRatio[i] = qrsWidth(s, widthStart, widthEnd) / templateWidth;
  });
  return shapes;
}
