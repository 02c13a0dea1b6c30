/**
 * A trained ECG run applied to one WFDB record, annotated or not: R peaks detected, beats
 * windowed and measured as in training, one class per beat. No Node APIs: `spikemed predict`
 * and a browser page (src/web) give the same answers.
 */
import { SpikemedError } from "../core/errors.js";
import { BEAT_FEATURE_NAMES, isSecondLeadFeature } from "../data/ecg/beat-features.js";
import { aamiClassOfSymbol, beatWindowOptions, detectBeatsInRecord, type DetectedBeats } from "../data/ecg/beats.js";
import { annotationSymbol } from "../data/ecg/wfdb-annotation.js";
import type { WfdbRecord } from "../data/ecg/wfdb-files.js";
import { argmaxRows } from "../eval/metrics.js";
import type { Network } from "../model/network.js";
import { predictProbabilities } from "../train/data.js";
import { withAdaptedNetwork } from "./adapt.js";
import { adaptLocally } from "./adapt-local.js";
import { beatData } from "./beat-data.js";
import type { RunManifest } from "./run-format.js";

/**
 * How a run's model reads a record's beats: the features it takes, and the leads, window and
 * second-lead conditioning its beats are detected with. `source` is the record (its name and
 * signal descriptions are enough: a live stream has no samples yet); `where` names it in errors.
 */
export function beatReadingOfRun(manifest: RunManifest, source: Pick<WfdbRecord, "name" | "signalNames">, where: string) {
  if (manifest.data.task !== "ecg") throw new SpikemedError(`${where}: the run was trained on ${manifest.data.task} images, not ECG records`, "pass an ECG run");
  const features = manifest.model.features ?? [];
  const secondLeadFeatures = features.filter(isSecondLeadFeature);
  if (secondLeadFeatures.length > 0 && source.signalNames.length < 2) {
    throw new SpikemedError(`${where}: the model reads features of a second lead (${secondLeadFeatures.join(", ")}), but the record has one signal`, "predict with a model that reads one lead's features");
  }
  const leads = manifest.data.leads;
  return { features, detection: { ...beatWindowOptions(manifest.data.window), ...(leads ? { leads } : {}), secondLeadFeatures: secondLeadFeatures.length > 0 } };
}

/** Detected beats (unlabelled) as the data `predictProbabilities` reads: each beat's window of each lead, then the model's `features`. */
export function unlabelledBeatData(beats: Pick<DetectedBeats, "x" | "windowLength" | "leads" | "features">, n: number, classNames: string[], features: readonly string[]) {
  return beatData({ ...beats, featureNames: [...BEAT_FEATURE_NAMES], y: new Uint8Array(n), classNames }, features);
}

/** A record's detected beats as the run's model reads them: the window of each of its leads, then the model's features; `where` names the record in errors. */
export function recordBeats(manifest: RunManifest, record: WfdbRecord, where: string) {
  const { features, detection } = beatReadingOfRun(manifest, record, where);
  const beats = detectBeatsInRecord(record, detection);
  const n = beats.sampleOfBeat.length;
  if (n === 0) throw new SpikemedError(`${where}: no heartbeats detected`, "check that the record holds an ECG lead");
  // Unlabelled beats through the same path as training beats.
  const data = unlabelledBeatData(beats, n, manifest.classNames, features);
  return { beats, n, data };
}

export interface RecordPrediction {
  record: string;
  /** Sample index of each detected beat's R peak. */
  sampleOfBeat: Int32Array;
  /** Each beat's class index into the run's class names, and the probabilities [beats, classes]. */
  labels: Int32Array;
  probabilities: Float32Array;
  /** Beats per class name. */
  summary: Record<string, number>;
  /** Against the record's own annotations, when it has them: beats matched within 150 ms, and how many of those got their AAMI class. */
  agreement: { matched: number; agree: number } | null;
  /** Per detected beat, the AAMI class index of the annotated beat matched to it within 150 ms (-1: none); null without annotations. */
  reference: Int8Array | null;
}

/**
 * One class per detected beat of `record`; `where` names the record in errors. With `adapt`
 * "unlabeled", the network's batch-norm statistics are first those of this record's own beats
 * (AdaBN; its annotations are never read), and the trained ones are restored afterwards; with
 * "self-training", the record's confidently classified beats vote beside the network (adapt-local.ts).
 */
export function predictRecordBeats(network: Network, manifest: RunManifest, record: WfdbRecord, where: string, adapt?: "unlabeled" | "self-training"): RecordPrediction {
  const { beats, n, data } = recordBeats(manifest, record, where);
  const all = Int32Array.from({ length: n }, (_, i) => i);
  const predict = () => predictProbabilities(network, data, all, 256);
  const networkProbabilities = adapt === "unlabeled" ? withAdaptedNetwork(network, data, all, predict).probabilities : predict().probabilities;
  const probabilities = adapt === "self-training" ? adaptLocally(network, data, all, networkProbabilities, new Array<string>(n).fill(record.name)) : networkProbabilities;
  const classNames = manifest.classNames;
  const labels = argmaxRows(probabilities, n, classNames.length);
  const summary = Object.fromEntries(classNames.map((c, k) => [c, labels.filter((l) => l === k).length]));
  const reference = record.annotations ? referenceOfBeats(record.annotations, beats.sampleOfBeat, Math.round(0.15 * record.samplingFrequency)) : null;
  const agreement = reference ? { matched: reference.filter((c) => c >= 0).length, agree: reference.filter((c, d) => c >= 0 && c === labels[d]).length } : null;
  return { record: record.name, sampleOfBeat: beats.sampleOfBeat, labels, probabilities, summary, agreement, reference };
}

/** Matches detected beats in order to annotated AAMI beats within `tolerance` samples: per detected beat, its annotated class, -1 where none matched. */
function referenceOfBeats(a: { sample: Int32Array; code: Uint8Array }, detected: Int32Array, tolerance: number): Int8Array {
  const ref: { sample: number; cls: number }[] = [];
  for (let i = 0; i < a.sample.length; i++) {
    const cls = aamiClassOfSymbol(annotationSymbol(a.code[i]));
    if (cls >= 0) ref.push({ sample: a.sample[i], cls });
  }
  const matched = new Int8Array(detected.length).fill(-1);
  let r = 0;
  for (let d = 0; d < detected.length; d++) {
    while (r < ref.length && ref[r].sample < detected[d] - tolerance) r++;
    if (r < ref.length && Math.abs(ref[r].sample - detected[d]) <= tolerance) matched[d] = ref[r++].cls;
  }
  return matched;
}
