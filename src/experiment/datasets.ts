import fs from "node:fs";
import path from "node:path";
import { Rng, SpikemedError } from "../core/index.js";
import * as cxr from "../data/cxr/index.js";
import * as ecg from "../data/ecg/index.js";
import { argmaxRows, subgroupTable, type ReportTable } from "../eval/index.js";
import type { ClassificationData } from "../train/index.js";
import { PATIENT_SPECIFIC, describeFirstMinutes, firstMinutesSplit, type EcgAdaptation } from "./adapt.js";
import { beatData } from "./beat-data.js";
import { mayBeTrainingRecord, recordInTrainingHeaders } from "./training-records.js";
import type { CrossValidationPlan } from "./folds.js";

export { beatData };

/** A data set ready for training: the samples, the three index sets, and how they were made. */
export interface PreparedData {
  data: ClassificationData;
  split: { train: Int32Array; val: Int32Array; test: Int32Array };
  /** Human descriptions for the report. */
  dataset: string;
  splitDescription: string;
  /** Everything needed to rebuild the same data and split later (evaluate, energy). */
  spec: DataSpec;
  /** The group of every sample (ECG: its record; X-ray: its source hospital), for results per group. */
  groups?: { name: string; of: readonly (string | null)[] };
  /** How to cross-validate within the training side (hyper-parameter search) the way the protocol splits. */
  crossValidation: CrossValidationPlan;
  /** --adapt local-beats and patient-specific: the test records' labelled first-minutes beats (local-beats: in no split, they vote beside the network; patient-specific: in training, and they set each record's prior). */
  localBeats?: Int32Array;
}

export type DataSpec =
  | { task: "ecg"; dataDir: string | null; records?: string[]; split: "intra" | "inter"; seed: number; limit?: number; window?: ecg.BeatWindow;
      /** Keep the paced records (102, 104, 107, 217), whose paced beats are class Q; AAMI studies leave them out. */
      includePaced?: boolean;
      /** Inter-patient split: validation from held-out beats of the training patients (default) or from whole held-out records. */
      validationBy?: "beats" | "records";
      /** Leads windowed side by side (names, indices or "next": ecg.PreprocessOptions.leads); default MLII alone. */
      leads?: (string | number)[];
      /** Inter-patient split: adapt to each test patient (src/experiment/adapt.ts); its figures are their own protocol's. */
      adapt?: EcgAdaptation }
  | { task: "cxr"; dataDir: string; protocol: cxr.ProtocolName; heldOutSource?: string; imageSize: number; seed: number; limit?: number;
      onBadFile: "skip" | "fail";
      /** Images of more pixels are bad files (default cxr.DEFAULT_MAX_IMAGE_PIXELS). */
      maxImagePixels?: number;
      /** Augmentation of training images, where training asks for it (default cxr.DEFAULT_AUGMENT). */
      augment?: cxr.AugmentOptions };

/** The classes AAMI EC57's record-by-record table details: supraventricular (S) and ventricular (V) ectopic beats. */
const ECG_DETAIL_CLASSES = ["S", "V"];

/**
 * Accuracy by group (ECG: record by record, with the Se and +P of S and V beats; X-ray: by source)
 * of the samples at `indices`, from their predicted probabilities; null without groups.
 */
export function accuracyByGroup(prepared: Pick<PreparedData, "groups" | "data" | "spec">, indices: Int32Array, probabilities: Float32Array): ReportTable | null {
  const { groups, data } = prepared;
  if (!groups) return null;
  const ecgTask = prepared.spec.task === "ecg";
  return subgroupTable({
    groupName: groups.name, groupOf: Array.from(indices, (i) => groups.of[i]), yTrue: Int32Array.from(indices, (i) => data.labels[i]),
    yPred: argmaxRows(probabilities, indices.length, data.classNames.length), classNames: data.classNames,
    ...(ecgTask ? { unit: "beats", detailClasses: ECG_DETAIL_CLASSES.filter((c) => data.classNames.includes(c)) } : {}),
  });
}

/** The data set and split of `spec`, with the per-sample `features` a model reads (ECG; none when omitted). */
export function prepareData(spec: DataSpec, log: (line: string) => void = () => {}, features: readonly string[] = []): Promise<PreparedData> | PreparedData {
  return spec.task === "ecg" ? prepareEcg(spec, log, features) : prepareCxr(spec, log);
}

/**
 * What a reader of this split's figures must be told first: an intra-patient ECG split draws each
 * patient's beats into training and test alike, so its accuracy is on patients the model has seen;
 * on new patients it falls (bench/results/ecg-inter.md measures by how much).
 */
export function splitCautions(spec: DataSpec): string[] {
  if (spec.task === "ecg" && spec.adapt?.kind === "first-minutes") {
    const first = describeFirstMinutes(spec.adapt.minutes);
    return [`patient-specific protocol (--adapt first-minutes ${spec.adapt.minutes}, AAMI's "local" beats): ${first} of each test record, with their labels, ` +
      `joined training, and the test set is each test record's beats after that; these figures are for patients the model was shown ${first} of, ` +
      "not comparable with plain inter-patient figures (trained on other patients only)."];
  }
  if (spec.task === "ecg" && spec.adapt?.kind === "local-beats") {
    const first = describeFirstMinutes(spec.adapt.minutes);
    return [`patient-specific protocol (--adapt local-beats ${spec.adapt.minutes}, AAMI's "local" beats): ${first} of each test record, with their labels, ` +
      "voted by nearest neighbour beside the network (trained on other patients only) on the rest of their record, which is the test set; " +
      `these figures are for patients the model was shown ${first} of, not comparable with plain inter-patient figures.`];
  }
  if (spec.task === "ecg" && spec.adapt?.kind === "patient-specific") {
    const first = describeFirstMinutes(spec.adapt.minutes);
    return [`patient-specific protocol (--adapt patient-specific ${spec.adapt.minutes}, AAMI's "local" beats): ${first} of each test record, with their labels, ` +
      `joined training (each ${PATIENT_SPECIFIC.repeat} times) and set that record's class frequencies for the rest of it, which is the test set; ` +
      `these figures are for patients the model was shown ${first} of, not comparable with plain inter-patient figures.`];
  }
  if (spec.task === "ecg" && spec.adapt?.kind === "self-training") {
    return ["label-free adaptation (--adapt self-training): within each test record, the beats the network classified with confidence, labelled by the network " +
      "(no annotation read), voted by nearest neighbour beside the network on every beat of the record; its own protocol, not the plain inter-patient figure."];
  }
  if (spec.task === "ecg" && spec.adapt?.kind === "unlabeled") {
    return ["label-free adaptation (--adapt unlabeled, AdaBN): before classifying each test record, the model's batch-norm statistics were re-estimated " +
      "on that record's own beats (their signals only, no label read); its own protocol, not the plain inter-patient figure."];
  }
  if (spec.task !== "ecg" || spec.split !== "intra") return [];
  return ["intra-patient split: the same patients are in training and test (each record's beats are drawn into both), " +
    "so these figures measure beats of patients the model has seen and will not hold for new patients; --split inter tests on patients it never saw."];
}

/**
 * Whether the WFDB record whose header is the file `header` was among the records an ECG run's
 * data came from (recordInTrainingHeaders). False when the run's data folder is not on this machine.
 */
export function recordInTrainingData(spec: DataSpec, header: string): boolean {
  if (spec.task !== "ecg" || !fs.existsSync(header)) return false;
  const name = path.basename(header, ".hea");
  const trained = path.join(spec.dataDir ?? ecg.sampleDataDir(), `${name}.hea`);
  return recordInTrainingHeaders(spec, name, fs.readFileSync(header, "latin1"), fs.existsSync(trained) ? fs.readFileSync(trained, "latin1") : undefined);
}

/**
 * The headers, by record name, of the records in an ECG run's data folder that may have been
 * trained on (mayBeTrainingRecord): what the served page needs to call recordInTrainingHeaders.
 * None when the folder is not on this machine.
 */
export function trainingHeaders(spec: DataSpec): Record<string, string> {
  if (spec.task !== "ecg") return {};
  const dir = spec.dataDir ?? ecg.sampleDataDir();
  if (!fs.existsSync(dir)) return {};
  const headers: Record<string, string> = {};
  for (const name of fs.readdirSync(dir)) {
    if (name.endsWith(".hea") && mayBeTrainingRecord(spec, name.slice(0, -4))) headers[name.slice(0, -4)] = fs.readFileSync(path.join(dir, name), "latin1");
  }
  return headers;
}

function requireFolder(dir: string, option: string): void {
  if (!fs.existsSync(dir)) throw new SpikemedError(`${option} ${dir}: no such folder`, "give the path of a folder of records or images");
  if (!fs.statSync(dir).isDirectory() && !dir.endsWith(".csv")) throw new SpikemedError(`${option} ${dir}: not a folder`);
}

function prepareEcg(spec: Extract<DataSpec, { task: "ecg" }>, log: (line: string) => void, features: readonly string[]): PreparedData {
  const dataDir = spec.dataDir ?? ecg.sampleDataDir();
  if (spec.dataDir) requireFolder(spec.dataDir, "--data");
  log(`loading ECG beats from ${spec.dataDir ?? `the embedded MIT-BIH sample (${dataDir})`}`);
  const beats = ecg.loadBeatDataset({ dataDir, records: spec.records, onUnreadableRecord: "error", excludePaced: !spec.includePaced,
    ...ecg.beatWindowOptions(spec.window), ...(spec.leads ? { leads: spec.leads } : {}) });
  if (beats.y.length === 0) throw new SpikemedError(`--data ${dataDir}: no labelled beats found`, "use a folder of WFDB records with .atr annotations");
  if (spec.adapt && spec.split !== "inter") throw new SpikemedError("--adapt applies to --split inter only", "add --split inter, or drop --adapt");
  const plain = spec.split === "inter"
    ? ecg.interPatientSplit(beats, { seed: spec.seed, validationBy: spec.validationBy })
    : ecg.intraPatientSplit(beats.y, { seed: spec.seed });
  const minutes = spec.adapt && "minutes" in spec.adapt ? spec.adapt.minutes : null;
  const adapted = minutes !== null ? firstMinutesSplit({ train: plain.train, val: plain.validation, test: plain.test }, beats,
    beats.records.map((name) => ecg.readHeader(dataDir, name).samplingFrequency), minutes, spec.adapt?.kind === "patient-specific" ? PATIENT_SPECIFIC.repeat : 1) : null;
  // local-beats: the first minutes stay out of training and vote at test time; patient-specific: they train and set each record's prior (testProbabilities).
  const localBeats = adapted && (spec.adapt?.kind === "local-beats" || spec.adapt?.kind === "patient-specific") ? adapted.adaptation : undefined;
  const raw = adapted ? { train: spec.adapt?.kind === "local-beats" ? plain.train : adapted.train, validation: adapted.val, test: adapted.test } : plain;
  const split = { train: limit(raw.train, spec.limit), val: limit(raw.validation, spec.limit && Math.ceil(spec.limit / 5)), test: limit(raw.test, spec.limit && Math.ceil(spec.limit / 5)) };
  const counts = ecg.classCounts(beats.y, 5);
  const data = beatData(beats, features);
  const name = spec.dataDir ? `WFDB records in ${spec.dataDir}` : "embedded MIT-BIH sample";
  return {
    data, split, spec, ...(localBeats ? { localBeats } : {}), groups: { name: "record", of: Array.from(beats.recordOfBeat, (r) => beats.records[r]) },
    crossValidation: spec.split === "inter"
      ? { groupOf: Int32Array.from(beats.recordOfBeat), unit: "record", groupNames: beats.records,
          validation: { by: spec.validationBy === "records" ? "groups" : "samples", fraction: ecg.DEFAULT_VALIDATION_FRACTION } }
      : { unit: "beat", validation: { by: "samples", fraction: ecg.DEFAULT_VALIDATION_FRACTION } },
    dataset: `${name}: ${beats.records.length} records${spec.includePaced ? " (paced records included)" : ""}, ${beats.y.length} beats (${beats.classNames.map((c, i) => `${c} ${counts[i]}`).join(", ")}), ` +
      ecg.describeBeatWindow(spec.window) + (spec.leads && spec.leads.length > 1 ? `, leads ${spec.leads.join(", ")} side by side` : ""),
    splitDescription: localBeats && minutes !== null && spec.adapt?.kind === "patient-specific"
      ? `inter-patient (de Chazal DS1 -> DS2), patient-specific (--adapt patient-specific ${minutes}): ${describeFirstMinutes(minutes)} of each DS2 record, labelled, ` +
        `train ${PATIENT_SPECIFIC.repeat} times each beside DS1 and set the record's class prior: train ${split.train.length} (${localBeats.length} DS2 beats x ${PATIENT_SPECIFIC.repeat}), ` +
        `validation ${split.val.length} (${validationSource(beats, split.val, spec.validationBy)}), test ${split.test.length} (DS2 beats after minute ${minutes})`
      : localBeats && minutes !== null
      ? `inter-patient (de Chazal DS1 -> DS2), patient-specific local stage: train ${split.train.length}, validation ${split.val.length} (${validationSource(beats, split.val, spec.validationBy)}), ` +
        `${localBeats.length} local beats (${describeFirstMinutes(minutes)} of each DS2 record, labelled, voting beside the network), test ${split.test.length} (DS2 beats after minute ${minutes})`
      : adapted && spec.adapt?.kind === "first-minutes"
      ? `inter-patient (de Chazal DS1 -> DS2), patient-specific: ${describeFirstMinutes(spec.adapt.minutes)} of each DS2 record, labelled, join training: ` +
        `train ${split.train.length} (${countIn(split.train, adapted.adaptation)} of them DS2 beats of ${describeFirstMinutes(spec.adapt.minutes)}), ` +
        `validation ${split.val.length} (${validationSource(beats, split.val, spec.validationBy)}), test ${split.test.length} (DS2 beats after minute ${spec.adapt.minutes})`
      : spec.split === "inter"
      ? `inter-patient (de Chazal DS1 -> DS2): train ${split.train.length}, validation ${split.val.length} (${validationSource(beats, split.val, spec.validationBy)}), test ${split.test.length}${spec.adapt?.kind === "unlabeled" ? ", each test record classified after AdaBN on its own beats (no label read)" : ""}` +
        (spec.adapt?.kind === "self-training" ? ", each test record's confident beats, labelled by the network, voting beside it on the record (no label read)" : "")
      : `intra-patient (stratified random, seed ${spec.seed}): train ${split.train.length}, validation ${split.val.length}, test ${split.test.length}`,
  };
}

/** How many of `indices` are among the sorted `members`. */
function countIn(indices: Int32Array, members: Int32Array): number {
  const set = new Set(members);
  return indices.reduce((n, i) => n + (set.has(i) ? 1 : 0), 0);
}

function validationSource(beats: ecg.BeatDataset, validation: Int32Array, by: "beats" | "records" = "beats"): string {
  if (by === "beats") return "held-out beats of the DS1 patients";
  const records = [...new Set(Array.from(validation, (i) => beats.records[beats.recordOfBeat[i]]))].sort();
  return `DS1 records ${records.join(", ")}, patients unseen in training`;
}

async function prepareCxr(spec: Extract<DataSpec, { task: "cxr" }>, log: (line: string) => void): Promise<PreparedData> {
  requireFolder(spec.dataDir, "--data");
  const index = cxr.readCxrIndex(spec.dataDir);
  log(`loading ${index.entries.length} chest X-rays from ${spec.dataDir} at ${spec.imageSize}x${spec.imageSize}`);
  let shown = -1;
  const images = await cxr.loadCxrImages(index, {
    size: spec.imageSize, onBadFile: spec.onBadFile, maxPixels: spec.maxImagePixels,
    onProgress: (done, total) => {
      const pct = Math.floor((100 * done) / total);
      if (pct >= shown + 10) { shown = pct; log(`  decoded ${done}/${total}`); }
    },
  });
  if (images.count === 0) throw new SpikemedError(`--data ${spec.dataDir}: no readable images`);
  const empty = images.classes.filter((_, k) => !images.labels.includes(k));
  if (empty.length > 0) {
    throw new SpikemedError(`--data ${spec.dataDir}: class ${empty.join(", ")} has no readable image (every file of it was skipped)`,
      "fix its images, or move the folder out of --data (a run or search folder inside --data is read as a class)");
  }
  if (images.classes.length < 2) {
    throw new SpikemedError(`--data ${spec.dataDir}: every image is of one class (${images.classes.join(", ")}); a classifier learns from at least two`,
      "add the images of the other class (a second class folder, e.g. non_covid/, or manifest rows with its label)");
  }
  const raw = cxr.makeSplit(spec.protocol, images, { seed: spec.seed, heldOutSource: spec.heldOutSource });
  const split = { train: limit(raw.train, spec.limit), val: limit(raw.val, spec.limit && Math.ceil(spec.limit / 5)), test: limit(raw.test, spec.limit && Math.ceil(spec.limit / 5)) };
  checkSplitSizes(spec, images, split);
  const S = images.size;
  const data: ClassificationData = {
    classNames: images.classes, inputShape: [1, S, S], labels: images.labels,
    fill: (indices, out, augment?: Rng) => { cxr.fillBatch(images, indices, out.signal, augment ? { rng: augment, options: spec.augment } : undefined); },
  };
  return {
    data, split, spec, groups: images.sources.some((source) => source !== null) ? { name: "source", of: images.sources } : undefined,
    crossValidation: { groupOf: patientGroups(images.patientIds), unit: images.patientIds.some((p) => p !== null) ? "patient" : "image",
      validation: { by: "groups", fraction: raw.val.length / Math.max(1, raw.train.length + raw.val.length) } },
    dataset: `${images.count} chest X-rays from ${spec.dataDir} (${images.classes.join(" / ")}), ${S}x${S}` +
      (images.skipped.length ? `; ${images.skipped.length} unreadable files skipped` : ""),
    splitDescription: raw.description,
  };
}

/** A group id per image: images of one patient share one; an image without a patient id is its own group. */
function patientGroups(patientIds: readonly (string | null)[]): Int32Array {
  const ids = new Map<string, number>();
  return Int32Array.from(patientIds, (p, i) => {
    if (p === null) return patientIds.length + i;
    if (!ids.has(p)) ids.set(p, ids.size);
    return ids.get(p)!;
  });
}

/** A random subset of n indices (sorted), for quick runs; the same seed picks the same subset. */
/**
 * Refuses, before any training, a split that cannot give a result: an empty validation or test
 * set, or a training set without some class (two images would train, then fail at evaluation).
 */
function checkSplitSizes(spec: Extract<DataSpec, { task: "cxr" }>, images: cxr.CxrImages, split: PreparedData["split"]): void {
  const sizes = `train ${split.train.length}, validation ${split.val.length}, test ${split.test.length}`;
  const fix = `use more images of each class${spec.limit ? " or a larger --limit" : ""}`;
  const empty = (["train", "val", "test"] as const).filter((part) => split[part].length === 0).map((part) => (part === "val" ? "validation" : part));
  if (empty.length > 0) {
    throw new SpikemedError(`--data ${spec.dataDir}: the ${spec.protocol} split of ${images.count} images leaves no image for ${empty.join(" or ")} (${sizes})`, fix);
  }
  const missing = images.classes.filter((_, k) => !split.train.some((i) => images.labels[i] === k));
  if (missing.length > 0) {
    throw new SpikemedError(`--data ${spec.dataDir}: the ${spec.protocol} split's training images hold no ${missing.join(" or ")} image (${sizes})`, fix);
  }
}

function limit(indices: Int32Array, n?: number): Int32Array {
  if (!n || n >= indices.length) return indices;
  const picks = new Rng(n).permutation(indices.length).slice(0, n).sort();
  return Int32Array.from(picks, (k) => indices[k]);
}
