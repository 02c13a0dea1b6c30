import fs from "node:fs";
import path from "node:path";
import { Rng, SpikemedError } from "../core/index.js";
import {
  energyMarkdownFile,
  energyReportSection,
  loadDeviceCatalog,
  pricesActivationsAsSpikes,
  selectDevices,
  spikeSavingSentence,
  startEnergyMeter,
  type DeviceSpec,
  type EnergyMeasurement,
} from "../energy/index.js";
import {
  describeOneClassAnswer, evaluateClassifier, summarizeEvaluations, writeFileAtomic, writeRunReport,
  type ClassificationEvaluation, type ReportTable, type NamedEvaluation, type RunReport,
} from "../eval/index.js";
import { classWeights } from "../data/labels.js";
import { buildNetwork, type Batch, type ModelConfig, type Network } from "../model/index.js";
import { checkpointIn, inferenceBatchSize, inputBatch, predictProbabilities, train, type ClassificationData, type TrainOptions } from "../train/index.js";
import type { OutputStream } from "../train/index.js";
import { accuracyByGroup, prepareData, splitCautions, type DataSpec, type PreparedData } from "./datasets.js";
import { adaptedProbabilities } from "./adapt.js";
import { initializeFromRun, saveRun, type RunManifest } from "./saved-run.js";

/** How training counters class imbalance (see classWeights). */
export type Balance = "none" | "weights" | "sqrt-weights" | "sampling";

export interface ExperimentOptions {
  model: ModelConfig;
  data: DataSpec;
  train: Omit<TrainOptions, "runDir" | "seed" | "resume" | "log">;
  /** First seed; seed k of `seeds` is seed + k. */
  seed: number;
  seeds: number;
  outDir: string;
  resume?: boolean;
  /** Class imbalance: loss weights n/(K n_c) from the training split or their square roots, or balanced sampling. */
  balance?: Balance;
  /** Loss weights above this are lowered to it (a class of a handful of samples no longer dominates the loss). */
  maxClassWeight?: number;
  /** Loss weights of named classes, set after `balance` and `maxClassWeight` (the others keep theirs, 1 without weights). */
  classWeights?: Record<string, number>;
  /** A trained run folder whose weights start every seed's network (see initializeFromRun). */
  initFrom?: string;
  /** Devices for the energy estimate (default: all built-in ones). */
  devices?: string[];
  log?: OutputStream;
  handleSignals?: boolean;
}

export interface SeedResult {
  seed: number;
  runDir: string;
  test: ClassificationEvaluation;
  report: RunReport;
}

/**
 * Trains and evaluates a model on a data set once per seed (same split, different initialisation
 * and batch order), writing a complete run folder for each and, for several seeds, a summary with
 * 95% intervals across them.
 */
export async function runExperiment(options: ExperimentOptions): Promise<SeedResult[]> {
  const log = options.log ?? process.stderr;
  const say = (line: string): void => { log.write(line + "\n"); };
  const prepared = await prepareData(options.data, say, options.model.features);
  checkInputShape(options.model, prepared.data);
  say(prepared.dataset);
  say(prepared.splitDescription);
  const results: SeedResult[] = [];
  for (let k = 0; k < options.seeds; k++) {
    const seed = options.seed + k;
    const runDir = options.seeds > 1 ? path.join(options.outDir, `seed-${seed}`) : options.outDir;
    if (options.seeds > 1) say(`\n=== seed ${seed} (${k + 1}/${options.seeds}) -> ${runDir}`);
    // An interrupted experiment of several seeds stopped before starting the later ones: resuming starts them.
    const resume = options.resume === true && (options.seeds === 1 || fs.existsSync(checkpointIn(runDir)));
    if (options.resume && !resume) say(`no checkpoint in ${runDir}: seed ${seed} starts from the beginning`);
    results.push(await runOneSeed(options, prepared, seed, runDir, resume, log));
  }
  if (options.seeds > 1) writeSeedSummary(options, prepared, results, log);
  return results;
}

/**
 * The loss weights or sampling `balance` asks for, counted on the training samples, with loss
 * weights above `maxClassWeight` lowered to it and the classes of `named` given theirs; `train`'s
 * own settings otherwise.
 */
export function balanceSettings(balance: Balance, data: ClassificationData, trainIndices: Int32Array,
  train: Pick<TrainOptions, "classWeights" | "sampling">, maxClassWeight = Infinity, named: Record<string, number> = {}): Pick<TrainOptions, "classWeights" | "sampling"> {
  let weights = balance === "weights" || balance === "sqrt-weights"
    ? Array.from(classWeights(data.labels, data.classNames.length, trainIndices, balance === "weights" ? 1 : 0.5), (w) => Math.min(w, maxClassWeight))
    : train.classWeights;
  const entries = Object.entries(named);
  if (entries.length > 0) {
    weights = weights ? [...weights] : new Array<number>(data.classNames.length).fill(1);
    for (const [name, weight] of entries) {
      const k = data.classNames.indexOf(name);
      if (k < 0) throw new SpikemedError(`--class-weights: no class "${name}" (classes: ${data.classNames.join(", ")})`, "name classes of the data");
      weights[k] = weight;
    }
  }
  return { classWeights: weights, sampling: balance === "sampling" ? "balanced" : train.sampling };
}

/**
 * The experiment's settings a resumed seed must share with the run it continues. Left out: where
 * the data lies (the split's fingerprint checks the data itself), the model's name and description,
 * and the run a network started from (a resumed run takes its weights from its checkpoint).
 */
function resultSettings(options: ExperimentOptions): Record<string, unknown> {
  const { dataDir: _where, ...data } = options.data;
  const { name: _name, description: _description, ...model } = options.model;
  return { model, data, balance: options.balance ?? "none", maxClassWeight: options.maxClassWeight, namedClassWeights: options.classWeights };
}

function checkInputShape(model: ModelConfig, data: ClassificationData): void {
  if (model.inputShape.join(",") === data.inputShape.join(",")) return;
  throw new SpikemedError(`model "${model.name}" reads inputs of shape [${model.inputShape.join(", ")}], the data's are [${data.inputShape.join(", ")}]`,
    data.inputShape.length === 2 ? "set the model config's inputShape to [leads, the beat window's length], or choose --leads, --beat-window and --sample-rate that give it"
      : "set the model config's inputShape to the image size, or pass --image-size to match it");
}

async function runOneSeed(options: ExperimentOptions, prepared: PreparedData, seed: number, runDir: string, resume: boolean, log: OutputStream): Promise<SeedResult> {
  const { data, split } = prepared;
  const network = buildNetwork(options.model, seed);
  log.write(`model ${options.model.name}: ${network.parameterCount().toLocaleString("en-US")} parameters, T = ${options.model.timeSteps}\n`);
  // A resumed run's weights come from its checkpoint: the run it started from need not exist any more.
  if (options.initFrom && !resume) log.write(`starting from the weights of ${initializeFromRun(network, options.initFrom, seed)}\n`);
  const trainMeter = startEnergyMeter();
  const balance = options.balance ?? "none";
  const trained = await train(network, data, { train: split.train, val: split.val }, {
    ...options.train, seed, runDir, resume, log, handleSignals: options.handleSignals,
    ...balanceSettings(balance, data, split.train, options.train, options.maxClassWeight, options.classWeights),
    settings: resultSettings(options),
  });
  const trainEnergy = trainMeter.stop();
  const inferenceBatch = inferenceBatchSize(options.train);

  const inferMeter = startEnergyMeter();
  const inferStart = Date.now();
  const { probabilities } = testProbabilities(network, prepared, inferenceBatch);
  const inferSeconds = (Date.now() - inferStart) / 1000;
  const inferEnergy = inferMeter.stop();
  const yTrue = Int32Array.from(split.test, (i) => data.labels[i]);
  const test = evaluateClassifier({ classNames: data.classNames, yTrue, probabilities, bootstrap: { seed } });
  const oneClass = describeOneClassAnswer(test.perClass, data.classNames);
  if (oneClass) log.write(`warning: test: ${oneClass}\n`);
  const evaluations: NamedEvaluation[] = [{ name: "test", evaluation: test }];
  const byGroup = accuracyByGroup(prepared, split.test, probabilities);
  if (split.val.length > 0) {
    const val = predictProbabilities(network, data, split.val, inferenceBatch);
    evaluations.push({ name: "validation", evaluation: evaluateClassifier({
      classNames: data.classNames, yTrue: Int32Array.from(split.val, (i) => data.labels[i]), probabilities: val.probabilities, bootstrap: false,
    }) });
  }

  const energy = energySection(network, data, split.test, options, runDir,
    { trainEnergy, inferEnergy, inferences: split.test.length, epochs: trained.history.length });
  const manifest: RunManifest = {
    format: "spikemed-run", version: 1, task: options.data.task, model: options.model,
    classNames: [...data.classNames], data: options.data,
    train: { ...options.train, balance, ...(options.maxClassWeight !== undefined ? { maxClassWeight: options.maxClassWeight } : {}),
      ...(options.classWeights ? { namedClassWeights: options.classWeights } : {}), ...(options.initFrom ? { initFrom: options.initFrom } : {}) }, seed, createdAt: new Date().toISOString(),
  };
  saveRun(runDir, manifest, network);
  const report = writeRunReport(runDir, {
    title: `${options.model.name} on ${options.data.task === "ecg" ? "ECG arrhythmia" : "chest X-ray"} (seed ${seed})`,
    model: options.model.name, dataset: prepared.dataset, split: prepared.splitDescription,
    config: { model: options.model, data: options.data, train: options.train, seed, ...(options.initFrom ? { initFrom: options.initFrom } : {}) },
    history: trained.history, evaluations, tables: byGroup ? [byGroup] : [], cautions: splitCautions(options.data),
    timing: {
      trainSeconds: trained.seconds, trainSamplesPerSecond: trained.trainedSamples / trained.seconds,
      inferenceSamplesPerSecond: split.test.length / inferSeconds, evaluateSeconds: inferSeconds,
    },
    energy: energy.table,
    notes: [...trained.warnings.map((w) => `Warning: ${w}`), `Best epoch ${trained.bestEpoch} (weights restored from it).`,
      "Energy details per layer and device: [energy.md](energy.md)."],
  });
  log.write(`test accuracy ${pct(test.accuracy.estimate)} (95% CI ${pct(test.accuracy.lower)}-${pct(test.accuracy.upper)}), ` +
    `macro-F1 ${fmt(test.macroF1.estimate)}; report: ${path.join(runDir, "report.md")}\n`);
  return { seed, runDir, test, report };
}

/**
 * The test samples' probabilities; with --adapt unlabeled, each test record's from the network
 * adapted to that record's own beats (AdaBN), the trained statistics restored afterwards; with
 * --adapt local-beats or self-training, the network's combined with its record's local vote; with
 * patient-specific, shifted to the record's local beats' class frequencies.
 */
export function testProbabilities(network: Network, prepared: Pick<PreparedData, "data" | "split" | "spec" | "groups" | "localBeats">, batchSize: number): { probabilities: Float32Array } {
  const { data, split, spec, groups } = prepared;
  if (spec.task === "ecg" && spec.adapt && groups) return { probabilities: adaptedProbabilities(network, data, split.test, spec.adapt, groups.of, prepared.localBeats, batchSize) };
  return predictProbabilities(network, data, split.test, batchSize);
}

function energySection(network: Network, data: ClassificationData, indices: Int32Array, options: ExperimentOptions, runDir: string,
  measured: { trainEnergy: EnergyMeasurement; inferEnergy: EnergyMeasurement; inferences: number; epochs: number }): { table: ReportTable } {
  const batches = exampleBatches(data, indices, 4, Math.min(32, inferenceBatchSize(options.train)));
  const activity = network.measureInputRates(batches, new Rng(0));
  const devices = selectDevices(loadDeviceCatalog(), options.devices);
  const section = energyReportSection({
    layers: network.describe(), activity, devices,
    measured: [
      { measurement: measured.inferEnergy, label: "inference on the test split", inferences: measured.inferences },
      { measurement: measured.trainEnergy, label: "training", epochs: measured.epochs },
    ],
  });
  fs.mkdirSync(runDir, { recursive: true });
  writeFileAtomic(path.join(runDir, "energy.md"), energyMarkdownFile(section));
  for (const chart of section.charts) writeFileAtomic(path.join(runDir, chart.fileName), chart.svg);
  const totals = section.estimate.totals.energy;
  const perInferenceMeasured = measured.inferEnergy.joules / Math.max(1, measured.inferences);
  const asConverted = pricesActivationsAsSpikes(section.estimate, devices);
  const twin = section.comparison?.totals.energy;
  return {
    table: {
      ...(section.comparison ? { lead: spikeSavingSentence(section.comparison) } : {}),
      title: asConverted
        ? "Energy per inference (estimate; no spiking neurons: spiking devices priced as a rate-coded conversion, KerasSpiking constants)"
        : "Energy per inference (estimate from measured spike rates, KerasSpiking constants)",
      columns: ["device", "kind", "joules per inference", ...(twin ? ["ANN twin joules per inference"] : [])],
      rows: [
        ...devices.map((d) => [d.name, d.spiking ? (asConverted ? "spiking, if converted" : "spiking") : "conventional", totals[d.name].total, ...(twin ? [twin[d.name].ann] : [])]),
        ["this machine (measured)", measured.inferEnergy.method, perInferenceMeasured, ...(twin ? ["-"] : [])],
      ],
      notes: [`Measured with ${measured.inferEnergy.method}: ${measured.inferEnergy.details}`],
    },
  };
}

/**
 * The seeds' energy tables as one, each number the mean over the seeds (so that compare can set the
 * summary's accuracy against its energy), with the sentence on whether the spikes save energy said
 * again of the means. Nothing when a seed has none.
 */
function meanEnergyTable(tables: (ReportTable | undefined)[], devices: DeviceSpec[]): { energy?: ReportTable } {
  const [first] = tables;
  if (!first || tables.some((t) => !t || t.rows.length !== first.rows.length)) return {};
  const rows = first.rows.map((row, r) => row.map((cell, c) =>
    (typeof cell === "number" ? tables.reduce((sum, t) => sum + Number(t!.rows[r][c]), 0) / tables.length : cell)));
  const priced = devices.map((d) => ({ d, row: rows.find((r) => r[0] === d.name) }));
  const withTwin = priced.every(({ row }) => row && typeof row[2] === "number" && typeof row[3] === "number");
  const lead = withTwin
    ? spikeSavingSentence({ devices, totals: { energy: Object.fromEntries(priced.map(({ d, row }) => [d.name, { snn: row![2] as number, ann: row![3] as number }])) } })
    : undefined;
  const { chart: _chart, lead: _first, ...rest } = first;
  return { energy: { ...rest, ...(lead ? { lead } : {}), title: `${first.title}, mean of ${tables.length} seeds`, rows } };
}

/** A few batches of real inputs (for activity measurements). */
export function exampleBatches(data: ClassificationData, indices: Int32Array, count: number, batchSize: number): Batch[] {
  const out: Batch[] = [];
  for (let b = 0; b < count && b * batchSize < indices.length; b++) {
    out.push(inputBatch(data, indices.subarray(b * batchSize, Math.min(indices.length, (b + 1) * batchSize))));
  }
  return out;
}

function writeSeedSummary(options: ExperimentOptions, prepared: PreparedData, results: SeedResult[], log: OutputStream): void {
  const aggregate = summarizeEvaluations(results.map((r) => r.seed), results.map((r) => r.test));
  writeRunReport(options.outDir, {
    title: `${options.model.name}: ${results.length} seeds`, model: options.model.name,
    dataset: prepared.dataset, split: prepared.splitDescription,
    config: { model: options.model, data: options.data, train: options.train, seeds: results.map((r) => r.seed) },
    history: results[0].report.history, evaluations: [{ name: "test", evaluation: results[0].test }],
    seedAggregate: aggregate, cautions: splitCautions(options.data), ...meanEnergyTable(results.map((r) => r.report.energy), selectDevices(loadDeviceCatalog(), options.devices)),
    notes: [`Per-seed runs: ${results.map((r) => path.relative(options.outDir, r.runDir)).join(", ")}. History and test details shown are seed ${results[0].seed}'s.`],
  });
  log.write(`summary over ${results.length} seeds: ${path.join(options.outDir, "report.md")}\n`);
}

const pct = (v: number | null): string => (v === null ? "n/a" : `${(v * 100).toFixed(2)}%`);
const fmt = (v: number | null): string => (v === null ? "n/a" : v.toFixed(4));
