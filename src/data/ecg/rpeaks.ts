/**
 * QRS (R-peak) detection after Pan & Tompkins (IEEE TBME 32(3), 1985): band-pass, derivative,
 * squaring and moving-window integration, then dual adaptive thresholds on the integrated and the
 * filtered signal, search-back for missed beats and T-wave discrimination by slope. The filters
 * are applied forward and backward (zero phase), so no group-delay bookkeeping is needed.
 */
import { SpikemedError } from "../../core/errors.js";
import { bandpassFilter } from "./filters.js";

export interface RPeakOptions {
  /** Band-pass edges in Hz; default [5, 15] as in Pan-Tompkins. */
  band?: [number, number];
  /** Moving-window integration length in seconds; default 0.15. */
  integrationWindow?: number;
  /** Refractory period in seconds (no two beats closer); default 0.2. */
  refractory?: number;
}

/** Sample indices of detected R peaks (ascending) in `signal` sampled at `samplingFrequency` Hz. */
export function detectRPeaks(signal: ArrayLike<number>, samplingFrequency: number, options: RPeakOptions = {}): Int32Array {
  const fs = samplingFrequency;
  const n = signal.length;
  if (!(fs > 0)) throw new SpikemedError(`detectRPeaks: sampling frequency must be positive (got ${fs})`);
  const [low, high] = options.band ?? [5, 15];
  const refractory = Math.round((options.refractory ?? 0.2) * fs);
  if (n < 2 * fs) return new Int32Array(0);

  const cleaned = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const v = signal[i];
    cleaned[i] = Number.isFinite(v) ? v : i > 0 ? cleaned[i - 1] : 0;
  }
  const filtered = bandpassFilter(cleaned, fs, low, high);

  // Five-point derivative (centred), squared, then a centred moving-window integral.
  const squared = new Float64Array(n);
  for (let i = 2; i < n - 2; i++) {
    const d = (2 * filtered[i + 1] + filtered[i + 2] - filtered[i - 2] - 2 * filtered[i - 1]) / 8;
    squared[i] = d * d;
  }
  const slope = (i: number): number => Math.sqrt(squared[i]);
  const windowLength = Math.max(1, Math.round((options.integrationWindow ?? 0.15) * fs));
  const integrated = new Float64Array(n);
  {
    const half = windowLength >> 1;
    let sum = 0;
    for (let i = 0; i < Math.min(n, windowLength - half); i++) sum += squared[i];
    for (let i = 0; i < n; i++) {
      integrated[i] = sum / windowLength;
      const entering = i + windowLength - half;
      const leaving = i - half;
      if (entering < n) sum += squared[entering];
      if (leaving >= 0) sum -= squared[leaving];
    }
  }

  // Candidate fiducial marks: local maxima of the integrated signal at least one refractory period apart.
  const candidates: number[] = [];
  for (let i = 1; i < n - 1; i++) {
    if (integrated[i] > integrated[i - 1] && integrated[i] >= integrated[i + 1]) {
      const last = candidates.length - 1;
      if (last >= 0 && i - candidates[last] < refractory) {
        if (integrated[i] > integrated[candidates[last]]) candidates[last] = i;
      } else {
        candidates.push(i);
      }
    }
  }

  // The filtered-signal peak belonging to each candidate (largest |filtered| within +-75 ms).
  const halfSearch = Math.round(0.075 * fs);
  const filteredPeakAt = (i: number): number => {
    let best = i;
    for (let k = Math.max(0, i - halfSearch); k <= Math.min(n - 1, i + halfSearch); k++) {
      if (Math.abs(filtered[k]) > Math.abs(filtered[best])) best = k;
    }
    return best;
  };
  const maxSlopeNear = (i: number): number => {
    let best = 0;
    for (let k = Math.max(2, i - halfSearch); k <= Math.min(n - 3, i + halfSearch); k++) best = Math.max(best, slope(k));
    return best;
  };

  // Learning phase: thresholds from the first two seconds.
  const learn = Math.min(n, Math.round(2 * fs));
  let spki = 0, npki = 0, spkf = 0, npkf = 0;
  for (let i = 0; i < learn; i++) {
    spki = Math.max(spki, integrated[i]);
    npki += integrated[i];
    spkf = Math.max(spkf, Math.abs(filtered[i]));
    npkf += Math.abs(filtered[i]);
  }
  spki /= 3; npki /= 2 * learn; spkf /= 3; npkf /= 2 * learn;

  const beats: number[] = [];
  const beatSlopes: number[] = [];
  const recentRR: number[] = [];
  const regularRR: number[] = [];
  let rrAverage = fs; // one beat per second until measured
  let rrRegularAverage = fs;
  let lastBeatCandidate = -1; // index into candidates of the last accepted beat
  // Median QRS slope of the last eight beats: a wide ectopic beat's own slope is too low a yardstick for its T wave.
  const recentSlope = (): number => {
    const last = beatSlopes.slice(-8).sort((a, b) => a - b);
    return last[last.length >> 1];
  };
  // T-wave discrimination: a candidate soon after a beat with less than half the QRS slope.
  const looksLikeTWave = (position: number, previous: number): boolean =>
    position - previous < 0.36 * fs && maxSlopeNear(position) < 0.5 * Math.max(beatSlopes[beatSlopes.length - 1], recentSlope());
  const mean = (values: number[]): number => values.reduce((a, b) => a + b, 0) / values.length;

  const acceptBeat = (candidateIndex: number, peakI: number, peakF: number, searchBack: boolean): void => {
    const position = filteredPeakAt(candidates[candidateIndex]);
    if (beats.length > 0) {
      const rr = position - beats[beats.length - 1];
      recentRR.push(rr);
      if (recentRR.length > 8) recentRR.shift();
      rrAverage = mean(recentRR);
      if (rr > 0.92 * rrRegularAverage && rr < 1.16 * rrRegularAverage || regularRR.length === 0) {
        regularRR.push(rr);
        if (regularRR.length > 8) regularRR.shift();
        rrRegularAverage = mean(regularRR);
      }
    }
    beats.push(position);
    beatSlopes.push(maxSlopeNear(position));
    const weight = searchBack ? 0.25 : 0.125;
    spki = weight * peakI + (1 - weight) * spki;
    spkf = weight * peakF + (1 - weight) * spkf;
    lastBeatCandidate = candidateIndex;
  };

  for (let c = 0; c < candidates.length; c++) {
    const i = candidates[c];
    const peakI = integrated[i];
    const peakF = Math.abs(filtered[filteredPeakAt(i)]);
    // Irregular rhythm: halve the thresholds, as in Pan-Tompkins.
    const irregular = rrAverage !== rrRegularAverage && (rrAverage < 0.92 * rrRegularAverage || rrAverage > 1.16 * rrRegularAverage);
    const scale = irregular ? 0.5 : 1;
    const thrI1 = (npki + 0.25 * (spki - npki)) * scale;
    const thrF1 = (npkf + 0.25 * (spkf - npkf)) * scale;

    // Search back when no beat has been found for 1.66 average RR intervals.
    if (beats.length > 0 && i - beats[beats.length - 1] > 1.66 * rrRegularAverage) {
      let best = -1;
      for (let k = lastBeatCandidate + 1; k < c; k++) {
        const ck = candidates[k];
        const previous = beats[beats.length - 1];
        if (ck - previous < refractory || looksLikeTWave(filteredPeakAt(ck), previous)) continue;
        if (integrated[ck] >= 0.5 * thrI1 && Math.abs(filtered[filteredPeakAt(ck)]) >= 0.5 * thrF1) {
          if (best < 0 || integrated[ck] > integrated[candidates[best]]) best = k;
        }
      }
      if (best >= 0 && i - candidates[best] >= refractory) {
        acceptBeat(best, integrated[candidates[best]], Math.abs(filtered[filteredPeakAt(candidates[best])]), true);
      }
    }

    if (peakI >= thrI1 && peakF >= thrF1) {
      const position = filteredPeakAt(i);
      const previous = beats.length > 0 ? beats[beats.length - 1] : -Infinity;
      if (position - previous < refractory) {
        npki = 0.125 * peakI + 0.875 * npki;
        npkf = 0.125 * peakF + 0.875 * npkf;
        continue;
      }
      if (looksLikeTWave(position, previous)) {
        npki = 0.125 * peakI + 0.875 * npki;
        npkf = 0.125 * peakF + 0.875 * npkf;
        continue;
      }
      acceptBeat(c, peakI, peakF, false);
    } else {
      npki = 0.125 * peakI + 0.875 * npki;
      npkf = 0.125 * peakF + 0.875 * npkf;
    }
  }
  return Int32Array.from(beats);
}

export interface DetectionScore {
  truePositives: number;
  falseNegatives: number;
  falsePositives: number;
  sensitivity: number;
  positivePredictivity: number;
}

/**
 * Beat-by-beat comparison (as in ANSI/AAMI EC57 and WFDB's bxb): a detection matches an unmatched
 * reference beat within `tolerance` samples (150 ms in the standard); each matches at most once.
 * Both arrays must be ascending.
 */
export function scoreDetections(reference: ArrayLike<number>, detections: ArrayLike<number>, tolerance: number): DetectionScore {
  let r = 0;
  let d = 0;
  let tp = 0;
  while (r < reference.length && d < detections.length) {
    const diff = detections[d] - reference[r];
    if (Math.abs(diff) <= tolerance) {
      tp++;
      r++;
      d++;
    } else if (diff < 0) {
      d++;
    } else {
      r++;
    }
  }
  const fn = reference.length - tp;
  const fp = detections.length - tp;
  return {
    truePositives: tp, falseNegatives: fn, falsePositives: fp,
    sensitivity: reference.length === 0 ? 1 : tp / reference.length,
    positivePredictivity: detections.length === 0 ? 1 : tp / detections.length,
  };
}
