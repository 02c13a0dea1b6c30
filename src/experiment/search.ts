import fs from "node:fs";
import path from "node:path";
import { RESEARCH_NOTICE, SpikemedError } from "../core/index.js";
import { argmaxRows, evaluateClassifier, writeFileAtomic, type ClassificationEvaluation } from "../eval/index.js";
import { buildNetwork, type ModelConfig } from "../model/index.js";
import { checkpointIn, formatDuration, inferenceBatchSize, predictProbabilities, train, type OutputStream } from "../train/index.js";
import { prepareData, type DataSpec, type PreparedData } from "./datasets.js";
import { crossValidationFolds, type Fold } from "./folds.js";
import { balanceSettings, type Balance, type ExperimentOptions } from "./run.js";
import { describeEnergyObjective, energySearchSection, networkJoules, rankWithEnergy, splitEnergyObjective, type EnergyObjective } from "./energy-objective.js";

/** One point of a search: the values it sets (for the table) and the full configuration they give. */
export interface SearchTrial {
  values: Record<string, string | number>;
  model: ModelConfig;
  train: ExperimentOptions["train"];
  balance: Balance;
  maxClassWeight?: number;
  classWeights?: Record<string, number>;
}

export const SEARCH_OBJECTIVES = ["balanced_accuracy", "accuracy", "macro_f1"] as const;
type SearchMetric = (typeof SEARCH_OBJECTIVES)[number];
/**
 * A metric of SEARCH_OBJECTIVES, or balanced accuracy or macro-F1 over some classes only
 * ("balanced_accuracy:N,S,V"): a class that the training side cannot teach (MIT-BIH's
 * inter-patient F beats are almost all one patient's) then neither ranks the trials nor hides
 * what the trials do to the others.
 */
export type SearchObjective = SearchMetric | `${"balanced_accuracy" | "macro_f1"}:${string}` | `${string}@${string}`;

interface ParsedObjective {
  metric: SearchMetric;
  /** The classes averaged over; all when absent. */
  classes?: string[];
  /** METRIC@DEVICE[<=JOULES]: energy on a device joins the metric (energy-objective.ts). */
  energy?: EnergyObjective;
}

/** The objective's metric and classes; an error that says what is accepted for anything else. */
export function parseObjective(objective: string): ParsedObjective {
  const { metric: text, energy } = splitEnergyObjective(objective);
  return { ...parseMetric(text), ...(energy ? { energy } : {}) };
}

function parseMetric(text: string): ParsedObjective {
  const [metric, list, ...rest] = text.split(":");
  const fix = `use one of ${SEARCH_OBJECTIVES.join(", ")}, or balanced_accuracy or macro_f1 followed by a colon and class names, e.g. balanced_accuracy:N,S,V`;
  if (!(SEARCH_OBJECTIVES as readonly string[]).includes(metric) || rest.length > 0) throw new SpikemedError(`unknown search objective "${text}"`, fix);
  if (list === undefined) return { metric: metric as SearchMetric };
  const classes = list.split(",").map((c) => c.trim());
  if (metric === "accuracy" || classes.some((c) => c === "") || new Set(classes).size !== classes.length) {
    throw new SpikemedError(`search objective "${text}": ${metric === "accuracy" ? "accuracy counts every sample and takes no classes" : "the class list has an empty or repeated name"}`, fix);
  }
  return { metric: metric as SearchMetric, classes };
}

/** The objective in words, for reports. */
export function describeObjective(objective: SearchObjective): string {
  const { metric, classes, energy } = parseObjective(objective);
  return `${metric.replace("_", " ")}${classes ? ` over ${classes.join(", ")}` : ""}${energy ? ` ${describeEnergyObjective(energy)}` : ""}`;
}

export interface SearchOptions {
  data: DataSpec;
  trials: SearchTrial[];
  /** Folds of the training side (the protocol's train and validation sets; its test set is never read). */
  folds: number;
  /** Seed of the folds and of the first training run; seed k of `seeds` is seed + k. */
  seed: number;
  seeds: number;
  objective: SearchObjective;
  outDir: string;
  resume?: boolean;
  log?: OutputStream;
  /**
   * One of `count` processes sharing the search (opened with `openSharedSearch`): each takes the
   * next fold run no process has claimed yet, so one that finishes early takes more, and saves it;
   * no ranking or report (a run without a shard then reads them all back).
   */
  shard?: { index: number; count: number };
}

export interface TrialResult {
  index: number;
  values: Record<string, string | number>;
  /** The objective on the pooled out-of-fold predictions, averaged over seeds. */
  score: number;
  accuracy: number;
  balancedAccuracy: number;
  macroF1: number;
  /** Sensitivity of each class (null where the pool has none), averaged over seeds. */
  recall: Record<string, number | null>;
  /** Accuracy on each held-out fold, averaged over seeds. */
  foldAccuracies: number[];
  bestEpochs: number[];
  seconds: number;
  /** Estimated joules per inference on each built-in device, averaged over folds and seeds (absent for folds saved without it). */
  joules?: Record<string, number>;
}

export interface SearchResult {
  /** Best first. */
  ranked: TrialResult[];
  report: string;
}

const PLAN_FILE = "search.json";
const METRIC_COLUMNS: [SearchObjective, string][] = [["accuracy", "accuracy"], ["balanced_accuracy", "balanced acc."], ["macro_f1", "macro-F1"]];

/**
 * Hyper-parameter search by cross-validation inside the protocol's training side: every trial
 * trains once per fold (and seed) on the other folds, validating the way the protocol does, and
 * is scored on the pooled predictions for the held-out folds. The protocol's test set is never
 * read, so the winner can then be measured on it once, without having been chosen on it.
 * Each finished fold is saved at once and a fold's training checkpoints every epoch, so a search
 * that is stopped continues with `resume` where it was.
 */
export async function searchHyperparameters(options: SearchOptions): Promise<SearchResult> {
  const log = options.log ?? process.stderr;
  const say = (line: string): void => { log.write(line + "\n"); };
  if (options.trials.length === 0) throw new SpikemedError("search: no trials to run");
  openSearch(options);

  // One data set per feature list the trials' models read (the same beats, split and folds).
  const byFeatures = new Map<string, PreparedData>();
  const dataFor = async (model: ModelConfig): Promise<PreparedData> => {
    const key = JSON.stringify(model.features ?? []);
    if (!byFeatures.has(key)) byFeatures.set(key, await prepareData(options.data, byFeatures.size === 0 ? say : () => {}, model.features));
    return byFeatures.get(key)!;
  };
  const first = await dataFor(options.trials[0].model);
  const { pool, folds } = searchFolds(first, options);
  checkObjectiveClasses(options.objective, first.data.classNames, pool, first.data.labels);
  say(first.dataset);
  say(`searching ${options.trials.length} trials x ${options.folds} folds x ${options.seeds} seed(s) over the training side ` +
    `(${pool.length} samples, folds by ${first.crossValidation.unit}); the test split is not read`);

  const results: TrialResult[] = [];
  const mine = (unit: number): boolean => !options.shard || claim(options.outDir, unit);
  const units = options.trials.length * options.seeds * options.folds;
  // What this process will run, for the ETA: its share of the queue when it shares one.
  const runs = options.shard ? Math.ceil(units / options.shard.count) : units;
  let done = 0;
  let foldSeconds = 0;
  let trainedRuns = 0;
  let report = "";
  for (const [t, trial] of options.trials.entries()) {
    const prepared = await dataFor(trial.model);
    const perSeed: PerSeed[] = [];
    for (let s = 0; s < options.seeds; s++) {
      const seed = options.seed + s;
      const predicted = new Int32Array(prepared.data.labels.length).fill(-1);
      const foldAccuracies: number[] = [];
      const bestEpochs: number[] = [];
      const foldJoules: (Record<string, number> | undefined)[] = [];
      let seconds = 0;
      for (const [f, fold] of folds.entries()) {
        if (!mine(unitOf(options, t, s, f))) continue;
        const outcome = await runFold(prepared, trial, fold, seed, path.join(options.outDir, foldPath(t, seed, f)), options.resume ?? false);
        fold.test.forEach((i, r) => { predicted[i] = outcome.predictions[r]; });
        const accuracy = accuracyOf(outcome.predictions, fold.test, prepared.data.labels);
        foldAccuracies.push(accuracy);
        bestEpochs.push(outcome.bestEpoch);
        foldJoules.push(outcome.joules);
        seconds += outcome.seconds;
        done++;
        if (!outcome.reused) { foldSeconds += outcome.wallSeconds; trainedRuns++; }
        const eta = trainedRuns > 0 ? ` - about ${formatDuration((foldSeconds / trainedRuns) * (runs - done))} left` : "";
        say(`trial ${t + 1}/${options.trials.length} ${describeValues(trial.values)} seed ${seed} fold ${f + 1}/${folds.length}: ` +
          `accuracy ${(100 * accuracy).toFixed(2)}%${outcome.reused ? " (saved)" : ` (${outcome.seconds.toFixed(1)} s)`}${eta}`);
      }
      if (options.shard) continue;
      const yTrue = Int32Array.from(pool, (i) => prepared.data.labels[i]);
      const yPred = Int32Array.from(pool, (i) => predicted[i]);
      perSeed.push({ evaluation: evaluateClassifier({ classNames: prepared.data.classNames, yTrue, yPred, bootstrap: false }), foldAccuracies, bestEpochs, seconds, foldJoules });
    }
    if (options.shard) continue;
    results.push(summarizeTrial(t, trial, perSeed, options.objective));
    report = writeReport(options, first, folds, pool, results);
  }
  if (options.shard) return { ranked: [], report: "" };
  const ranked = rank(results, options.objective);
  say(`best: ${describeValues(ranked[0].values)}, ${describeObjective(options.objective)} ${(100 * ranked[0].score).toFixed(2)}%; report: ${report}`);
  return { ranked, report };
}

/**
 * The search's folds: the protocol's training and validation samples (the pool), split by the
 * protocol's unit with the search's seed. The same for every process that computes them.
 */
export function searchFolds(prepared: PreparedData, options: Pick<SearchOptions, "folds" | "seed">): { pool: Int32Array; folds: Fold[] } {
  const pool = Int32Array.from([...prepared.split.train, ...prepared.split.val]).sort();
  return { pool, folds: crossValidationFolds(prepared.data.labels, pool, options.folds, prepared.crossValidation, options.seed) };
}

/** One fold run of a search: a trial trained with one seed on the other folds and scored on fold `fold`. */
export interface SearchUnit { trial: number; seedIndex: number; fold: number }

/** The fold runs of a search in the order a search of one process runs them (trial, then seed, then fold). */
export function searchUnits(options: Pick<SearchOptions, "trials" | "seeds" | "folds">): SearchUnit[] {
  return Array.from({ length: options.trials.length * options.seeds * options.folds }, (_, unit) => ({
    trial: Math.floor(unit / (options.seeds * options.folds)), seedIndex: Math.floor(unit / options.folds) % options.seeds, fold: unit % options.folds,
  }));
}

const unitOf = (options: Pick<SearchOptions, "seeds" | "folds">, t: number, s: number, f: number): number => (t * options.seeds + s) * options.folds + f;

/**
 * Where a fold run's outcome lies inside the search folder, without its extension: `.json` holds
 * the outcome (its held-out predictions), `.log` the training's log.
 */
export function foldPath(trial: number, seed: number, fold: number): string {
  return path.join("trials", trialName(trial), `seed-${seed}`, `fold-${fold + 1}`);
}

const CLAIMS_FOLDER = "claims";

/** Claims fold run `unit` for this process; false when another process has (creating the file is atomic). */
function claim(outDir: string, unit: number): boolean {
  try {
    fs.closeSync(fs.openSync(path.join(outDir, CLAIMS_FOLDER, `unit-${unit}`), "wx"));
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw err;
  }
}

/**
 * Opens a search (as `openSearch`) for processes that share it through `shard`, with no fold run
 * claimed: claims left by an interrupted search are released, its saved folds are kept.
 */
export function openSharedSearch(options: SearchOptions): void {
  openSearch(options);
  const claims = path.join(options.outDir, CLAIMS_FOLDER);
  fs.rmSync(claims, { recursive: true, force: true });
  fs.mkdirSync(claims);
}

/**
 * A new search writes its plan in its folder; a resumed one must find the same plan there, but
 * for the objective: the saved folds do not depend on it, so another objective re-ranks them.
 */
export function openSearch(options: SearchOptions): void {
  const file = path.join(options.outDir, PLAN_FILE);
  const plan = JSON.stringify({
    format: "spikemed-search", version: 1, data: options.data, folds: options.folds, seed: options.seed, seeds: options.seeds,
    objective: options.objective, trials: options.trials,
  }, null, 2);
  if (options.resume) {
    if (!fs.existsSync(file)) throw new SpikemedError(`--resume: no search in ${options.outDir} (${file} is missing)`, "start the search without --resume");
    const saved = fs.readFileSync(file, "utf8");
    const withoutObjective = (text: string): string => JSON.stringify({ ...JSON.parse(text), objective: undefined });
    if (withoutObjective(saved) !== withoutObjective(plan)) {
      throw new SpikemedError(`--resume: ${file} describes another search (other data, trials, folds or seeds)`,
        "resume with the options the search started with (--objective may change), or choose another --out");
    }
    if (saved !== plan) writeFileAtomic(file, plan);
    return;
  }
  if (fs.existsSync(file)) throw new SpikemedError(`--out ${options.outDir} already holds a search`, "choose another --out, or add --resume to continue it");
  fs.mkdirSync(options.outDir, { recursive: true });
  writeFileAtomic(file, plan);
}

/** `seconds` of training; `wallSeconds` of the whole fold (the ETA's unit); `joules` per inference by device (absent in folds saved without it). */
interface FoldOutcome { predictions: Uint8Array; bestEpoch: number; seconds: number; wallSeconds: number; reused: boolean; joules?: Record<string, number> }

interface PerSeed { evaluation: ClassificationEvaluation; foldAccuracies: number[]; bestEpochs: number[]; seconds: number; foldJoules: (Record<string, number> | undefined)[] }

/**
 * Trains on the fold's training side and predicts its held-out part, saving the outcome in
 * `base`.json (its log in `base`.log), or reads the saved outcome.
 */
export async function runFold(prepared: PreparedData, trial: SearchTrial, fold: Fold, seed: number, base: string, resume: boolean): Promise<FoldOutcome> {
  const file = `${base}.json`;
  const dir = path.dirname(base);
  const name = path.basename(base);
  if (fs.existsSync(file)) {
    const saved = JSON.parse(fs.readFileSync(file, "utf8")) as { predictions: string; bestEpoch: number; seconds: number; joules?: Record<string, number> };
    const predictions = new Uint8Array(Buffer.from(saved.predictions, "base64"));
    if (predictions.length !== fold.test.length) throw new SpikemedError(`${file}: ${predictions.length} predictions for a fold of ${fold.test.length} samples`, "delete the file to train that fold again");
    return { predictions, bestEpoch: saved.bestEpoch, seconds: saved.seconds, wallSeconds: 0, reused: true, joules: saved.joules };
  }
  const began = Date.now();
  const { data } = prepared;
  const runDir = path.join(dir, name);
  const network = buildNetwork(trial.model, seed);
  const logFile = fs.openSync(path.join(ensureDir(dir), `${name}.log`), resume ? "a" : "w");
  try {
    const trained = await train(network, data, { train: fold.train, val: fold.val }, {
      ...trial.train, seed, runDir, log: { write: (text: string) => { fs.writeSync(logFile, text); return true; } },
      resume: resume && fs.existsSync(checkpointIn(runDir)),
      ...balanceSettings(trial.balance, data, fold.train, trial.train, trial.maxClassWeight, trial.classWeights),
      settings: { model: trial.model },
    });
    const { probabilities } = predictProbabilities(network, data, fold.test, inferenceBatchSize(trial.train));
    const predictions = Uint8Array.from(argmaxRows(probabilities, fold.test.length, data.classNames.length));
    const joules = networkJoules(network, data, fold.test);
    // The probabilities too (float32, row per held-out sample), for stages that work on them after the network (src/experiment/adapt-local.ts's DS1 check).
    writeFileAtomic(file, JSON.stringify({ bestEpoch: trained.bestEpoch, seconds: trained.seconds, joules, predictions: Buffer.from(predictions).toString("base64"),
      probabilities: Buffer.from(probabilities.buffer, probabilities.byteOffset, probabilities.byteLength).toString("base64") }));
    fs.rmSync(runDir, { recursive: true, force: true });
    return { predictions, bestEpoch: trained.bestEpoch, seconds: trained.seconds, wallSeconds: (Date.now() - began) / 1000, reused: false, joules };
  } finally {
    fs.closeSync(logFile);
  }
}

function summarizeTrial(index: number, trial: SearchTrial, perSeed: PerSeed[], objective: SearchObjective): TrialResult {
  const mean = (values: number[]): number => values.reduce((a, b) => a + b, 0) / values.length;
  const metric = (e: ClassificationEvaluation, name: SearchObjective): number => {
    const { metric: over, classes } = parseObjective(name);
    if (!classes) return { accuracy: e.accuracy, balanced_accuracy: e.macroRecall, macro_f1: e.macroF1 }[over].estimate ?? 0;
    const perClass = classes.map((c) => e.perClass[e.classNames.indexOf(c)]);
    return perClass.reduce((sum, c) => sum + ((over === "macro_f1" ? c.f1 : c.recall).estimate ?? 0), 0) / classes.length;
  };
  const evaluations = perSeed.map((p) => p.evaluation);
  const recall: Record<string, number | null> = {};
  evaluations[0].perClass.forEach((c, k) => {
    const defined = evaluations.map((e) => e.perClass[k].recall.estimate).filter((v): v is number => v !== null);
    recall[c.name] = defined.length ? mean(defined) : null;
  });
  return {
    index, values: trial.values,
    score: mean(evaluations.map((e) => metric(e, objective))),
    accuracy: mean(evaluations.map((e) => metric(e, "accuracy"))),
    balancedAccuracy: mean(evaluations.map((e) => metric(e, "balanced_accuracy"))),
    macroF1: mean(evaluations.map((e) => metric(e, "macro_f1"))),
    recall,
    foldAccuracies: perSeed[0].foldAccuracies.map((_, f) => mean(perSeed.map((p) => p.foldAccuracies[f]))),
    bestEpochs: perSeed.flatMap((p) => p.bestEpochs),
    seconds: perSeed.reduce((sum, p) => sum + p.seconds, 0),
    ...meanJoules(perSeed.flatMap((p) => p.foldJoules)),
  };
}

/** The folds' joules per inference by device, averaged; nothing when a fold was saved without them. */
function meanJoules(folds: (Record<string, number> | undefined)[]): { joules?: Record<string, number> } {
  if (folds.length === 0 || folds.some((f) => f === undefined)) return {};
  const devices = Object.keys(folds[0]!);
  return { joules: Object.fromEntries(devices.map((d) => [d, folds.reduce((sum, f) => sum + f![d], 0) / folds.length])) };
}

/** Every class an objective names exists and has samples on the training side, or an error that lists them. */
function checkObjectiveClasses(objective: SearchObjective, classNames: readonly string[], pool: Int32Array, labels: ArrayLike<number>): void {
  const counts = new Array<number>(classNames.length).fill(0);
  for (const i of pool) counts[labels[i]]++;
  for (const c of parseObjective(objective).classes ?? []) {
    const k = classNames.indexOf(c);
    if (k < 0) throw new SpikemedError(`search objective "${objective}": no class "${c}" (classes: ${classNames.join(", ")})`, "name classes of the data after the colon");
    if (counts[k] === 0) throw new SpikemedError(`search objective "${objective}": class "${c}" has no samples on the training side, so its sensitivity is undefined`, "leave it out of the objective");
  }
}

/** Best score first (with energy in the objective, as rankWithEnergy says); ties keep the trials' order. */
function rank(results: TrialResult[], objective: SearchObjective): TrialResult[] {
  const { energy } = parseObjective(objective);
  if (energy) return rankWithEnergy(results, energy);
  return [...results].sort((a, b) => b.score - a.score || a.index - b.index);
}

function writeReport(options: SearchOptions, prepared: PreparedData, folds: Fold[], pool: Int32Array, results: TrialResult[]): string {
  const { classNames, labels } = prepared.data;
  const plan = prepared.crossValidation;
  const pct = (v: number | null): string => (v === null ? "-" : (100 * v).toFixed(2));
  const groupName = (g: number): string => plan.groupNames?.[g] ?? String(g);
  const parameters = Object.keys(options.trials[0].values);
  const ranked = rank(results, options.objective);
  const { energy } = parseObjective(options.objective);
  // An objective over some classes, or with energy, ranks in a column of its own; one of METRIC_COLUMNS is marked instead.
  const ownColumn = parseObjective(options.objective).classes !== undefined || energy !== undefined;
  const lines = [
    `# Hyper-parameter search (${describeObjective(options.objective)})`, "", `> ${RESEARCH_NOTICE}`, "",
    `${prepared.dataset}.`, "",
    `Protocol: ${prepared.splitDescription}. The search sees only its training side (training and validation sets, ${pool.length} samples) ` +
      `in ${folds.length} folds that never split a ${plan.unit}; each fold trains on the others (validation: ` +
      `${plan.validation.by === "groups" ? `${(100 * plan.validation.fraction).toFixed(0)}% of their ${plan.unit}s, whole` : `${(100 * plan.validation.fraction).toFixed(0)}% of their samples, stratified by class`}) ` +
      `and predicts itself. Scores are over the pooled held-out predictions, averaged over ${options.seeds} seed(s) from ${options.seed}. ` +
      "The protocol's test set was not read.", "",
    `${results.length} of ${options.trials.length} trials finished.`, "",
    "## Trials, best first", "",
    `| rank | ${parameters.join(" | ")} | ${ownColumn ? `**${describeObjective(options.objective)} %** (ranks) | ` : ""}${energy ? `J/inf on ${energy.device} | ` : ""}${METRIC_COLUMNS.map(([name, title]) => (name === options.objective ? `**${title} %** (ranks)` : `${title} %`)).join(" | ")} | ` +
      `${classNames.map((c) => `sens. ${c} %`).join(" | ")} | fold accuracy % (min-max) | best epochs | train s |`,
    `| ---: | ${parameters.map(() => "---").join(" | ")} | ${ownColumn ? "---: | " : ""}${energy ? "---: | " : ""}${METRIC_COLUMNS.map(() => "---:").join(" | ")} | ${classNames.map(() => "---:").join(" | ")} | ---: | --- | ---: |`,
    ...ranked.map((r, i) => `| ${i + 1} | ${parameters.map((p) => String(r.values[p])).join(" | ")} | ${ownColumn ? `${pct(r.score)} | ` : ""}${energy ? `${r.joules?.[energy.device]?.toExponential(2) ?? "-"} | ` : ""}${pct(r.accuracy)} | ${pct(r.balancedAccuracy)} | ${pct(r.macroF1)} | ` +
      `${classNames.map((c) => pct(r.recall[c])).join(" | ")} | ${pct(Math.min(...r.foldAccuracies))}-${pct(Math.max(...r.foldAccuracies))} | ${r.bestEpochs.join(",")} | ` +
      `${r.seconds.toFixed(r.seconds < 10 ? 1 : 0)} |`),
    "", ...(energy ? [...energySearchSection(results, energy, describeObjective(options.objective.slice(0, options.objective.indexOf("@")) as SearchObjective), options.outDir, (r) => describeValues(r.values)), ""] : []),
    "## Folds", "",
    `| fold | ${plan.unit}s held out | samples | ${classNames.join(" | ")} |`,
    `| ---: | --- | ---: | ${classNames.map(() => "---:").join(" | ")} |`,
    ...folds.map((fold, f) => {
      const counts = new Array<number>(classNames.length).fill(0);
      for (const i of fold.test) counts[labels[i]]++;
      const held = plan.groupOf ? fold.groups.map(groupName).join(", ") : `${fold.groups.length} ${plan.unit}s`;
      return `| ${f + 1} | ${held} | ${fold.test.length} | ${counts.join(" | ")} |`;
    }),
    "",
  ];
  const file = path.join(options.outDir, "search.md");
  writeFileAtomic(file, lines.join("\n"));
  writeFileAtomic(path.join(options.outDir, "results.json"), JSON.stringify({ objective: options.objective, ranked }, null, 2) + "\n");
  return file;
}

function accuracyOf(predictions: Uint8Array, indices: Int32Array, labels: ArrayLike<number>): number {
  let correct = 0;
  indices.forEach((i, r) => { if (predictions[r] === labels[i]) correct++; });
  return correct / Math.max(1, indices.length);
}

export function describeValues(values: Record<string, string | number>): string {
  return Object.entries(values).map(([k, v]) => `${k}=${v}`).join(" ");
}

const trialName = (t: number): string => `trial-${String(t + 1).padStart(3, "0")}`;

function ensureDir(dir: string): string {
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}
