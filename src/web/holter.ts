/**
 * What a Holter report gives of a record's classified beats, without the DOM: beats per class,
 * ventricular and supraventricular burden, runs of ectopic beats, heart rate over time, and the
 * next beat of a kind (the page's "next V" buttons). The page draws these; the tests check them
 * against hand-counted sequences.
 */

/** The per-beat answers these read (a RecordPrediction has them). */
export interface ClassifiedBeats {
  /** R peak of each beat, in samples, increasing. */
  sampleOfBeat: ArrayLike<number>;
  /** Class index of each beat. */
  labels: ArrayLike<number>;
  /** Per beat the annotated class index, -1 where none matched; null without annotations. */
  reference: ArrayLike<number> | null;
}

/** A stretch of consecutive beats of one class: its first beat's index and its length. */
export interface BeatRun {
  start: number;
  length: number;
}

/** Runs of one class as a Holter report counts them. */
export interface RunCounts {
  /** Beats of the class with a beat of another class on either side. */
  isolated: number;
  /** Exactly two in a row. */
  couplets: number;
  /** Exactly three in a row. */
  triplets: number;
  /** Three or more in a row (the triplets among them): a run, e.g. ventricular tachycardia for V. */
  runs: number;
  /** The longest stretch, 0 if the class never occurs. */
  longest: number;
  /** Every stretch of three or more. */
  runList: BeatRun[];
}

/** The maximal stretches of consecutive beats of class `k`. */
export function classRuns(labels: ArrayLike<number>, k: number): BeatRun[] {
  const runs: BeatRun[] = [];
  for (let i = 0; i < labels.length; i++) {
    if (labels[i] !== k) continue;
    const start = i;
    while (i + 1 < labels.length && labels[i + 1] === k) i++;
    runs.push({ start, length: i - start + 1 });
  }
  return runs;
}

export function runCounts(labels: ArrayLike<number>, k: number): RunCounts {
  const runs = classRuns(labels, k);
  const runList = runs.filter((r) => r.length >= 3);
  return {
    isolated: runs.filter((r) => r.length === 1).length,
    couplets: runs.filter((r) => r.length === 2).length,
    triplets: runs.filter((r) => r.length === 3).length,
    runs: runList.length,
    longest: runs.reduce((longest, r) => Math.max(longest, r.length), 0),
    runList,
  };
}

/** One bin of the heart-rate trend: its start, and the rate of the RR intervals ending in it (null: fewer than two beats). */
export interface HeartRatePoint {
  startSeconds: number;
  bpm: number | null;
}

/**
 * Heart rate over time: for each bin of `binSeconds`, 60 over the mean of the RR intervals that
 * end in it (beats per minute), as a Holter trend plots it.
 */
export function heartRateTrend(sampleOfBeat: ArrayLike<number>, samplingFrequency: number, durationSeconds: number, binSeconds = 60): HeartRatePoint[] {
  const bins = Math.max(1, Math.ceil(durationSeconds / binSeconds));
  const sum = new Float64Array(bins);
  const count = new Float64Array(bins);
  for (let i = 1; i < sampleOfBeat.length; i++) {
    const bin = Math.min(bins - 1, Math.floor(sampleOfBeat[i] / samplingFrequency / binSeconds));
    sum[bin] += (sampleOfBeat[i] - sampleOfBeat[i - 1]) / samplingFrequency;
    count[bin]++;
  }
  return Array.from({ length: bins }, (_, b) => ({ startSeconds: b * binSeconds, bpm: count[b] > 0 ? (60 * count[b]) / sum[b] : null }));
}

export interface HolterSummary {
  beats: number;
  /** Beats per class name. */
  counts: Record<string, number>;
  /** Share of all beats, in percent, of each class name. */
  burden: Record<string, number>;
  /** Runs of the ectopic classes the run has (V and S, where it has them). */
  runs: Record<string, RunCounts>;
  heartRate: HeartRatePoint[];
  /** Mean, lowest and highest of the trend's bins (null without any). */
  meanBpm: number | null;
  minBpm: number | null;
  maxBpm: number | null;
  /** Beats whose annotated class differs from the predicted one (null without annotations). */
  disagreements: number | null;
}

/** The classes a Holter report counts runs of. */
export const ECTOPIC_CLASSES = ["V", "S"] as const;

export function holterSummary(beats: ClassifiedBeats, classNames: readonly string[], samplingFrequency: number, durationSeconds: number, binSeconds = 60): HolterSummary {
  const n = beats.labels.length;
  const counts = Object.fromEntries(classNames.map((c) => [c, 0]));
  for (let i = 0; i < n; i++) counts[classNames[beats.labels[i]]]++;
  const burden = Object.fromEntries(classNames.map((c) => [c, n > 0 ? (100 * counts[c]) / n : 0]));
  const runs = Object.fromEntries(ECTOPIC_CLASSES.filter((c) => classNames.includes(c)).map((c) => [c, runCounts(beats.labels, classNames.indexOf(c))]));
  const heartRate = heartRateTrend(beats.sampleOfBeat, samplingFrequency, durationSeconds, binSeconds);
  const rates = heartRate.flatMap((p) => (p.bpm === null ? [] : [p.bpm]));
  let disagreements: number | null = null;
  if (beats.reference) {
    disagreements = 0;
    for (let i = 0; i < n; i++) if (isDisagreement(beats, i)) disagreements++;
  }
  return {
    beats: n, counts, burden, runs, heartRate, disagreements,
    meanBpm: rates.length ? rates.reduce((a, b) => a + b, 0) / rates.length : null,
    minBpm: rates.length ? Math.min(...rates) : null,
    maxBpm: rates.length ? Math.max(...rates) : null,
  };
}

/** Whether beat `i` has an annotated class that the prediction does not give. */
export function isDisagreement(beats: ClassifiedBeats, i: number): boolean {
  const reference = beats.reference?.[i] ?? -1;
  return reference >= 0 && reference !== beats.labels[i];
}

/** The first beat after `from` (before it, with `direction` -1) for which `wanted` holds, wrapping around the record; null if none does. */
export function nextBeat(count: number, from: number, wanted: (i: number) => boolean, direction: 1 | -1 = 1): number | null {
  for (let step = 1; step <= count; step++) {
    const i = (((from + direction * step) % count) + count) % count;
    if (wanted(i)) return i;
  }
  return null;
}

/** The index of the beat whose R peak is nearest `sample` (beats sorted by sample; -1 for none). */
export function beatNearest(sampleOfBeat: ArrayLike<number>, sample: number): number {
  let lo = 0;
  let hi = sampleOfBeat.length - 1;
  if (hi < 0) return -1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sampleOfBeat[mid] < sample) lo = mid + 1;
    else hi = mid;
  }
  return lo > 0 && sample - sampleOfBeat[lo - 1] <= sampleOfBeat[lo] - sample ? lo - 1 : lo;
}
