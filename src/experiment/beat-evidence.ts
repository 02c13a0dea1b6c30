/**
 * What a run's class for one beat of a record rests on, by occlusion: how far the class
 * probability falls when each stretch of the beat's window is flattened (window models) and when
 * each measurement takes its median over the record, i.e. the value of a typical beat of this
 * patient. No Node APIs: `spikemed explain` draws it as SVG plots, the page over the beat's window.
 */
import { median } from "../core/stats.js";
import { DEFAULT_BEAT_WINDOW } from "../data/ecg/beats.js";
import type { WfdbRecord } from "../data/ecg/wfdb-files.js";
import { replacementDrops, signalSegments } from "../eval/occlusion.js";
import { readsOnlyFeatures } from "../model/features.js";
import type { Network } from "../model/network.js";
import { batchBuffers, predictProbabilities, signalSize, type BatchBuffers, type ClassificationData } from "../train/data.js";
import { recordBeats } from "./record-predictions.js";
import type { RunManifest } from "./run-format.js";

/** A record's detected beats as whole model inputs (each lead's window, then the features), with what the evidence needs. */
export interface BeatRows {
  beats: ReturnType<typeof recordBeats>["beats"];
  /** The beats as the model's data (its input shape and feature names). */
  data: ClassificationData;
  n: number;
  /** Inputs back to back, `row` values each. */
  rows: Float32Array;
  row: number;
  /** Leads of the window and samples per lead (the window is leads x leadLength values). */
  leads: number;
  leadLength: number;
  features: readonly string[];
  /** Each feature's median over the record's beats. */
  typical: Float32Array;
  /** Whether the model reads the window at all (not only the features). */
  readsWindow: boolean;
  /** Class probabilities of `count` rows back to back in `batch`, [count, classes]. */
  predict: (batch: Float32Array, count: number) => Float32Array;
}

export function beatRows(network: Network, manifest: RunManifest, record: WfdbRecord, where: string): BeatRows {
  const { beats, n, data } = recordBeats(manifest, record, where);
  const features = manifest.model.features ?? [];
  const windowLength = signalSize(data);
  const width = features.length;
  const beatValues = batchBuffers(data, n);
  data.fill(Int32Array.from({ length: n }, (_, i) => i), beatValues);
  // Occlusion edits one vector per beat, its window and then its measurements, which go back to
  // the model as its signal and its features.
  const row = windowLength + width;
  const rows = new Float32Array(n * row);
  for (let i = 0; i < n; i++) {
    rows.set(beatValues.signal.subarray(i * windowLength, (i + 1) * windowLength), i * row);
    if (beatValues.features) rows.set(beatValues.features.subarray(i * width, (i + 1) * width), i * row + windowLength);
  }
  const predict = (batch: Float32Array, count: number): Float32Array => {
    const rowsData = { ...data, labels: new Uint8Array(count), fill: (indices: ArrayLike<number>, out: BatchBuffers) => {
      for (let r = 0; r < indices.length; r++) {
        const at = indices[r] * row;
        out.signal.set(batch.subarray(at, at + windowLength), r * windowLength);
        if (out.features) out.features.set(batch.subarray(at + windowLength, at + row), r * width);
      }
    } };
    return predictProbabilities(network, rowsData, Int32Array.from({ length: count }, (_, i) => i), 64).probabilities;
  };
  const typical = Float32Array.from(features, (_, f) => median(Array.from({ length: n }, (_, i) => rows[i * row + windowLength + f])));
  return { beats, data, n, rows, row, leads: beats.leads, leadLength: beats.windowLength, features, typical, readsWindow: !readsOnlyFeatures(network), predict };
}

export interface BeatEvidence {
  /** Class probabilities of the beat as it is. */
  whole: Float32Array;
  /** The class whose evidence this is, and its probability. */
  classIndex: number;
  baseline: number;
  /** Per lead, per window sample: the mean fall of the class probability when a stretch covering it is flattened (none for a features-only model). */
  leadProfiles: Float32Array[];
  /** Per feature: the fall when it takes its typical value. */
  featureDrops: Float32Array;
}

/** The evidence for beat `i`'s class (or `classIndex`'s), flattening `segmentSeconds` of window at a time. */
export function beatEvidence(rows: BeatRows, manifest: RunManifest, i: number, segmentSeconds: number, classIndex?: number): BeatEvidence {
  const { row, leads, leadLength, features, typical } = rows;
  const window = manifest.data.task === "ecg" ? manifest.data.window ?? DEFAULT_BEAT_WINDOW : DEFAULT_BEAT_WINDOW;
  const beat = rows.rows.slice(i * row, (i + 1) * row);
  const windowLength = row - features.length;
  const segment = Math.max(1, Math.min(leadLength, Math.round(segmentSeconds * window.sampleRate)));
  const leadParts = rows.readsWindow ? Array.from({ length: leads }, (_, l) => signalSegments(beat.subarray(l * leadLength, (l + 1) * leadLength), segment)) : [];
  const replacements = [...leadParts.flatMap((part, l) => part.replacements.map((r) => ({ start: l * leadLength + r.start, values: r.values }))),
    ...features.map((_, f) => ({ start: windowLength + f, values: Float32Array.of(typical[f]) }))];
  const result = replacementDrops(beat, replacements, manifest.classNames.length, rows.predict, classIndex);
  let first = 0;
  const leadProfiles = leadParts.map((part) => {
    const profile = part.profile(result.drops.subarray(first, first + part.replacements.length));
    first += part.replacements.length;
    return profile;
  });
  return { whole: result.whole, classIndex: result.classIndex, baseline: result.baseline, leadProfiles, featureDrops: result.drops.slice(first) };
}
