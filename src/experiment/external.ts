/**
 * A trained ECG run scored on any folder of annotated WFDB records, another database among them:
 * every labelled beat of every record is a test beat (the run's own split is not applied), read
 * the way the run's beats were (its leads, its beat window and sampling rate, its features).
 */
import fs from "node:fs";
import path from "node:path";
import { SpikemedError } from "../core/errors.js";
import * as ecg from "../data/ecg/index.js";
import {
  evaluateClassifier, summarizeEvaluations, writeRunReport, type ClassificationEvaluation, type ReportTable, type RunReport, type SeedAggregate,
} from "../eval/index.js";
import type { Network } from "../model/network.js";
import { predictProbabilities } from "../train/data.js";
import { adaptedProbabilities, describeFirstMinutes, firstMinutesSplit, type EcgAdaptation } from "./adapt.js";
import { beatData } from "./beat-data.js";
import { accuracyByGroup, type PreparedData } from "./datasets.js";
import { MANIFEST, type RunManifest } from "./run-format.js";
import { loadRun } from "./saved-run.js";
import { checkAdaptationModel, parseAdaptation } from "./settings.js";

type EcgSpec = Extract<RunManifest["data"], { task: "ecg" }>;

function ecgSpec(manifest: RunManifest, where: string): EcgSpec {
  if (manifest.data.task !== "ecg") throw new SpikemedError(`${where}: the run was trained on ${manifest.data.task} images, not ECG records`, "pass an ECG run");
  return manifest.data;
}

/**
 * The signals record `name` is read through: the run's `wanted` leads where the record has them;
 * for a lead it lacks, its first signal not chosen yet, with a line in `warnings` naming the record and
 * the signal used.
 */
export function leadsOfRecord(name: string, signalNames: readonly string[], wanted: readonly (string | number)[], warnings: string[]): number[] {
  const chosen: number[] = [];
  const describe = (i: number): string => `signal ${i} "${signalNames[i]}"`;
  for (const lead of wanted) {
    const free = signalNames.findIndex((_, i) => !chosen.includes(i));
    if (free < 0) {
      throw new SpikemedError(`record ${name}: the run reads ${wanted.length} leads (${wanted.join(", ")}), the record has ${signalNames.length} signal(s) (${signalNames.join(", ")})`,
        "score it with a run of fewer leads, or leave the record out of the folder's RECORDS file");
    }
    if (lead === "next") {
      chosen.push(free);
      continue;
    }
    const exact = typeof lead === "number" ? (Number.isInteger(lead) && lead < signalNames.length ? lead : -1) : signalNames.indexOf(lead);
    if (exact >= 0 && !chosen.includes(exact)) {
      chosen.push(exact);
      continue;
    }
    const wantedText = typeof lead === "number" ? `signal ${lead}` : `lead "${lead}"`;
    warnings.push(`record ${name} has no ${wantedText} (signals: ${signalNames.join(", ")}): read through its ${free === 0 ? "first lead" : "first signal not read yet"}, ${describe(free)}, instead.`);
    chosen.push(free);
  }
  return chosen;
}

/** The records the run's data set held (its --records, else its data folder's, paced ones left out as it did), or null when that folder is gone. */
export function recordsOfRun(manifest: RunManifest): string[] | null {
  const spec = ecgSpec(manifest, "recordsOfRun");
  let names: string[] | null = spec.records ? [...spec.records] : null;
  if (!names) {
    const dir = spec.dataDir ?? ecg.sampleDataDir();
    try {
      names = ecg.listRecords(dir);
    } catch {
      return spec.split === "inter" ? [...ecg.DS1_RECORDS, ...ecg.DS2_RECORDS] : null;
    }
  }
  return spec.includePaced ? names : names.filter((r) => !ecg.PACED_RECORDS.includes(r));
}

/** Whether `dataDir` holds every record of the run's data set, so that the run's own split can be made in it again. */
export function holdsRunRecords(manifest: RunManifest, dataDir: string): boolean {
  const own = recordsOfRun(manifest);
  if (!own) return false;
  let there: string[];
  try {
    there = ecg.listRecords(dataDir);
  } catch {
    return false;
  }
  return own.every((r) => there.includes(r));
}

export interface ExternalData extends Pick<PreparedData, "data" | "groups" | "dataset"> {
  spec: EcgSpec;
  groups: NonNullable<PreparedData["groups"]>;
  /** Every beat of every record: all are scored. */
  indices: Int32Array;
  records: string[];
  /** Leads read in place of the run's, and records named like those the run trained on: the score may not mean what it seems. */
  warnings: string[];
  /** What else a reader must know: sampling rates, records left out. */
  notes: string[];
  /** Each beat's record (an index into `records`) and R-peak sample, counted at that record's own sampling rate (`recordRates`). */
  beats: { recordOfBeat: Int32Array; sampleOfBeat: Int32Array; recordRates: number[] };
}

/** Every labelled beat of every record in `dataDir`, as the run's model reads them (see the module comment). */
export function prepareExternalEcg(manifest: RunManifest, dataDir: string, log: (line: string) => void = () => {}): ExternalData {
  const spec = ecgSpec(manifest, `--data ${dataDir}`);
  if (!fs.existsSync(dataDir) || !fs.statSync(dataDir).isDirectory()) throw new SpikemedError(`--data ${dataDir}: no such folder`, "give the path of a folder of WFDB records");
  const notes: string[] = [];
  const warnings: string[] = [];
  const all = ecg.listRecords(dataDir);
  const paced = spec.includePaced ? [] : all.filter((r) => ecg.PACED_RECORDS.includes(r));
  if (paced.length > 0) notes.push(`records ${paced.join(", ")} left out: the run was trained without MIT-BIH's paced records, as AAMI studies are.`);
  const names = all.filter((r) => !paced.includes(r));
  if (names.length === 0) throw new SpikemedError(`--data ${dataDir}: no records to score`, "give a folder of annotated WFDB records");

  const wanted = spec.leads ?? ["MLII"];
  const secondLeadFeatures = (manifest.model.features ?? []).filter(ecg.isSecondLeadFeature);
  const rates = new Map<number, string[]>();
  const rateOf = new Map<string, number>();
  const byLeads = new Map<string, { leads: number[]; records: string[] }>();
  for (const name of names) {
    const header = ecg.readHeader(dataDir, name);
    const signalNames = header.signals.map((s) => s.description);
    if (secondLeadFeatures.length > 0 && signalNames.length < 2) {
      throw new SpikemedError(`record ${name}: the model reads features of a second lead (${secondLeadFeatures.join(", ")}), but the record has one signal`,
        "score this folder with a model that reads one lead's features");
    }
    const leads = leadsOfRecord(name, signalNames, wanted, warnings);
    const key = leads.join(",");
    const group = byLeads.get(key) ?? { leads, records: [] };
    group.records.push(name);
    byLeads.set(key, group);
    rates.set(header.samplingFrequency, [...(rates.get(header.samplingFrequency) ?? []), name]);
    rateOf.set(name, header.samplingFrequency);
  }
  const window = spec.window ?? ecg.DEFAULT_BEAT_WINDOW;
  notes.push(`sampling rates: ${[...rates].map(([hz, records]) => `${hz} Hz (${records.length === names.length ? "every record" : records.join(", ")})`).join("; ")}; ` +
    `every record resampled to the run's ${window.sampleRate} Hz before its beats are windowed.`);
  const own = recordsOfRun(manifest);
  const trainedOn = own && (spec.split === "inter" ? own.filter((r) => ecg.DS1_RECORDS.includes(r)) : own);
  const shared = names.filter((r) => trainedOn?.includes(r));
  if (shared.length > 0) {
    warnings.push(`records ${shared.join(", ")} carry the names of records the run was trained on: if they are the same recordings, their beats are not of unseen patients.`);
  }

  log(`loading ECG beats of ${names.length} records from ${dataDir}`);
  const parts = [...byLeads.values()].map(({ leads, records }) => ecg.loadBeatDataset({
    dataDir, records, leads, excludePaced: false, onUnreadableRecord: "error", ...ecg.beatWindowOptions(window),
  }));
  const first = parts[0];
  const beatCount = parts.reduce((n, p) => n + p.y.length, 0);
  if (beatCount === 0) throw new SpikemedError(`--data ${dataDir}: no labelled beats found`, "use a folder of WFDB records with .atr annotations of AAMI beat types");
  if (manifest.classNames.join(",") !== first.classNames.join(",")) {
    throw new SpikemedError(`--data ${dataDir}: the run's classes are ${manifest.classNames.join(", ")}, the records' ${first.classNames.join(", ")}`, "score an ECG run of the AAMI classes");
  }
  const row = first.leads * first.windowLength;
  const width = first.featureNames.length;
  const x = new Float32Array(beatCount * row);
  const features = new Float32Array(beatCount * width);
  const y = new Uint8Array(beatCount);
  const recordOfBeat: string[] = [];
  const recordIndexOfBeat = new Int32Array(beatCount);
  const sampleOfBeat = new Int32Array(beatCount);
  let at = 0;
  let recordsBefore = 0;
  for (const part of parts) {
    x.set(part.x, at * row);
    features.set(part.features, at * width);
    y.set(part.y, at);
    sampleOfBeat.set(part.sampleOfBeat, at);
    part.recordOfBeat.forEach((r, i) => {
      recordOfBeat.push(part.records[r]);
      recordIndexOfBeat[at + i] = recordsBefore + r;
    });
    at += part.y.length;
    recordsBefore += part.records.length;
  }
  const records = parts.flatMap((p) => p.records);
  const data = beatData({ x, windowLength: first.windowLength, leads: first.leads, features, featureNames: first.featureNames, y, classNames: first.classNames },
    manifest.model.features ?? []);
  const counts = ecg.classCounts(y, first.classNames.length);
  return {
    data, spec, records, warnings, notes, indices: Int32Array.from({ length: beatCount }, (_, i) => i),
    beats: { recordOfBeat: recordIndexOfBeat, sampleOfBeat, recordRates: records.map((r) => rateOf.get(r)!) },
    groups: { name: "record", of: recordOfBeat },
    dataset: `WFDB records in ${dataDir}: ${records.length} records, ${beatCount} beats (${first.classNames.map((c, i) => `${c} ${counts[i]}`).join(", ")}), ` +
      ecg.describeBeatWindow(window),
  };
}

export interface ExternalEvaluation {
  evaluation: ClassificationEvaluation;
  byRecord: ReportTable;
  report: RunReport;
  /** The folder report.md and report.json were written to. */
  outDir: string;
  /** As in ExternalData. */
  warnings: string[];
  notes: string[];
}

/** The split every external evaluation reports (no split: every beat is a test beat). */
export const EXTERNAL_SPLIT = "external: every labelled beat of every record scored (the run's own split not applied)";

/**
 * The --adapt words of an external evaluation: the protocols that leave the trained network as it is
 * (unlabeled, self-training, local-beats N); first-minutes and patient-specific, which train on
 * each test record's first minutes, are refused.
 */
export function externalAdaptation(words: readonly string[]): ExternalAdaptation {
  const adapt = parseAdaptation(words);
  if (adapt.kind === "first-minutes" || adapt.kind === "patient-specific") {
    throw new SpikemedError(`--adapt ${adapt.kind} trains the model on each test record's first ${adapt.minutes} minutes, and evaluate scores a trained run without training it`,
      `train a run with --split inter --adapt ${adapt.kind} ${adapt.minutes}, or evaluate with --adapt unlabeled, self-training or local-beats ${adapt.minutes}`);
  }
  return adapt.kind === "local-beats" ? { kind: adapt.kind, minutes: adapt.minutes } : { kind: adapt.kind };
}

/** The adaptation protocols an external evaluation applies (externalAdaptation). */
export type ExternalAdaptation = { kind: "local-beats"; minutes: number } | { kind: "unlabeled" | "self-training" };

/** How the protocol is named in a report's evaluation, title and folder, e.g. "local-beats 5". */
function adaptationName(adapt: ExternalAdaptation): string {
  return "minutes" in adapt ? `${adapt.kind} ${adapt.minutes}` : adapt.kind;
}

/** The split line of an external evaluation under `adapt` (the beats it scores, and what adapted the network's answers). */
function externalSplit(adapt: ExternalAdaptation | undefined, counts: { local: number; test: number }): string {
  if (!adapt) return EXTERNAL_SPLIT;
  if (adapt.kind === "unlabeled") {
    return "external, adapted (--adapt unlabeled): every labelled beat of every record scored, each record's by the model with its batch-norm statistics re-estimated on that record's own beats (no label read)";
  }
  if (adapt.kind !== "local-beats") {
    return "external, adapted (--adapt self-training): every labelled beat of every record scored, the model's probabilities combined with the vote of the record's confidently classified beats (no label read)";
  }
  return `external, adapted (--adapt local-beats ${adapt.minutes}): ${counts.local} local beats (${describeFirstMinutes(adapt.minutes)} of each record, labelled, voting beside the network) left out; ` +
    `test ${counts.test} (each record's beats after minute ${adapt.minutes})`;
}

/**
 * Scores the run (`manifest`, `network`, trained in `runDir`) on every labelled beat in `dataDir`
 * and writes report.md, report.json and plots into `outDir` (default `runDir/external-<folder name>`,
 * with `-adapt-<protocol>` after it under `adapt`). With `adapt`, the network's answers are adapted to
 * each record as in `train --adapt` (adaptedProbabilities); under local-beats N, each record's first N
 * minutes vote and are not scored.
 */
export function evaluateExternal(runDir: string, manifest: RunManifest, network: Network, dataDir: string,
  options: { outDir?: string; log?: (line: string) => void; adapt?: ExternalAdaptation } = {}): ExternalEvaluation {
  const { adapt } = options;
  if (adapt) checkAdaptationModel(adapt, manifest.model);
  const external = prepareExternalEcg(manifest, dataDir, options.log);
  const local = adapt?.kind === "local-beats"
    ? firstMinutesSplit({ train: new Int32Array(0), val: new Int32Array(0), test: external.indices }, external.beats, external.beats.recordRates, adapt.minutes)
    : null;
  const test = local ? local.test : external.indices;
  if (test.length === 0) throw new SpikemedError(`--data ${dataDir}: no beat after minute ${adapt?.kind === "local-beats" ? adapt.minutes : 0} in any record to score`, "give fewer minutes to --adapt local-beats");
  const probabilities = adapt
    ? adaptedProbabilities(network, external.data, test, adapt, external.groups.of, local?.adaptation, 256)
    : predictProbabilities(network, external.data, test, 256).probabilities;
  const evaluation = evaluateClassifier({
    classNames: external.data.classNames, yTrue: Int32Array.from(test, (i) => external.data.labels[i]), probabilities, bootstrap: { seed: manifest.seed },
  });
  const byRecord = accuracyByGroup(external, test, probabilities) as ReportTable;
  const outDir = options.outDir ?? defaultExternalOut(runDir, dataDir, adapt);
  const adapted = adapt ? `, adapted (--adapt ${adaptationName(adapt)})` : "";
  const report = writeRunReport(outDir, {
    title: `${manifest.model.name} (run ${path.basename(path.resolve(runDir))}) on ${path.basename(path.resolve(dataDir))}${adapted}`,
    model: manifest.model.name, dataset: external.dataset, split: externalSplit(adapt, { local: local?.adaptation.length ?? 0, test: test.length }),
    config: { run: path.resolve(runDir), data: path.resolve(dataDir), window: external.spec.window, leads: external.spec.leads ?? ["MLII"], seed: manifest.seed, ...(adapt ? { adapt } : {}) },
    history: [], evaluations: [{ name: `external${adapted}`, evaluation }], tables: [byRecord], cautions: external.warnings, notes: external.notes,
  });
  return { evaluation, byRecord, report, outDir, warnings: external.warnings, notes: external.notes };
}

/** `runDir/external-<name of the data folder>`, with `-adapt-<protocol>` after it under `adapt`, so an adapted report never replaces the plain one. */
function defaultExternalOut(runDir: string, dataDir: string, adapt?: ExternalAdaptation): string {
  const name = `external-${path.basename(path.resolve(dataDir))}${adapt ? `-adapt-${adaptationName(adapt)}` : ""}`;
  return path.join(runDir, name.replace(/[^A-Za-z0-9._-]+/g, "-"));
}

/** The seed folders (seed-k, each a finished run) of a run of several seeds, in seed order; empty for any other folder. */
export function seedRunDirs(runDir: string): { seed: number; dir: string }[] {
  if (!fs.existsSync(runDir) || !fs.statSync(runDir).isDirectory()) return [];
  return fs.readdirSync(runDir).map((name) => ({ name, match: /^seed-(\d+)$/.exec(name) }))
    .filter(({ name, match }) => match && fs.existsSync(path.join(runDir, name, MANIFEST)))
    .map(({ name, match }) => ({ seed: Number(match![1]), dir: path.join(runDir, name) }))
    .sort((a, b) => a.seed - b.seed);
}

export interface ExternalSeedsEvaluation {
  perSeed: (ExternalEvaluation & { seed: number })[];
  /** Mean and t interval across seeds of every headline metric, kappa and each class's Se, +P and false-positive rate. */
  aggregate: SeedAggregate;
  report: RunReport;
  outDir: string;
}

/**
 * `evaluateExternal` for each seed of a run of several seeds (`seeds`, from seedRunDirs), each into
 * `outDir/seed-k`, and the summary across seeds into `outDir` (default `runDir/external-<folder>`).
 */
export function evaluateExternalSeeds(runDir: string, seeds: readonly { seed: number; dir: string }[], dataDir: string,
  options: { outDir?: string; log?: (line: string) => void; adapt?: ExternalAdaptation } = {}): ExternalSeedsEvaluation {
  if (seeds.length === 0) throw new SpikemedError(`${runDir}: no seed-k run folders to evaluate`, "pass a run folder written by spikemed train");
  const outDir = options.outDir ?? defaultExternalOut(runDir, dataDir, options.adapt);
  const perSeed = seeds.map(({ seed, dir }) => {
    options.log?.(`seed ${seed}: ${dir}`);
    const { manifest, network } = loadRun(dir);
    return { seed, ...evaluateExternal(dir, manifest, network, dataDir, { outDir: path.join(outDir, `seed-${seed}`), log: options.log, adapt: options.adapt }) };
  });
  const aggregate = summarizeEvaluations(perSeed.map((r) => r.seed), perSeed.map((r) => r.evaluation));
  const [first] = perSeed;
  const report = writeRunReport(outDir, {
    title: `${first.report.model}: ${perSeed.length} seeds (run ${path.basename(path.resolve(runDir))}) on ${path.basename(path.resolve(dataDir))}` +
      (options.adapt ? `, adapted (--adapt ${adaptationName(options.adapt)})` : ""),
    model: first.report.model, dataset: first.report.dataset, split: first.report.split,
    config: { ...first.report.config, run: path.resolve(runDir), seeds: perSeed.map((r) => r.seed) },
    history: [], evaluations: [first.report.evaluations[0]], tables: [first.byRecord], seedAggregate: aggregate,
    cautions: first.warnings,
    notes: [...first.notes, `Per-seed reports: ${perSeed.map((r) => `seed-${r.seed}`).join(", ")}. The evaluation details and the record table shown are seed ${first.seed}'s.`],
  });
  return { perSeed, aggregate, report, outDir };
}
