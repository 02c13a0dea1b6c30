import fs from "node:fs";
import { SpikemedError } from "../core/index.js";
import type { AugmentOptions, PROTOCOLS } from "../data/cxr/index.js";
import { DEFAULT_BEAT_WINDOW, beatWindowFromSeconds, featuresOfFamilies, type BeatWindow } from "../data/ecg/index.js";
import type { EncoderKind } from "../encode/index.js";
import { buildNetworkFrom, checkConfigSettings, modelFor, parseActivityPenalty, withLearnableNeurons, withMemorySaving, type ModelConfig, type Task } from "../model/index.js";
import type { Monitor, OptimizerConfig, ScheduleConfig } from "../train/index.js";
import { DEFAULT_ADAPT_MINUTES, type EcgAdaptation } from "./adapt.js";
import type { DataSpec } from "./datasets.js";
import { readNumber } from "./numbers.js";
import { withRecipe, type RecipeName } from "./recipes.js";
import type { Balance, ExperimentOptions } from "./run.js";

/**
 * What an experiment is asked to be, as plain values (the train and search commands' shared
 * options give them; anything else may too): the data, the model and the training settings.
 */
export interface ExperimentChoices {
  data?: string; split: "intra" | "inter"; protocol: (typeof PROTOCOLS)[number]; holdout?: string;
  model: string; config?: string; features?: string; epochs?: number; timeSteps?: number; encoder?: EncoderKind; activityPenalty?: string; activityPenaltyLayers?: string[]; learnNeurons?: ("threshold" | "beta")[]; batchSize?: number; microBatch?: number; lr?: number;
  optimizer?: "adam" | "adamw" | "sgd"; momentum?: number; labelSmoothing?: number; schedule?: "constant" | "cosine" | "step" | "plateau" | "onecycle"; clipNorm?: number; weightDecay?: number; warmup?: number;
  balance?: Balance; maxClassWeight?: number; classWeights?: string; patience?: number; monitor?: Monitor; recipe?: RecipeName; seed: number; splitSeed?: number;
  limit?: number; memorySaving?: boolean; imageSize: number; beatWindow?: number[]; sampleRate?: number; includePaced?: boolean; validation?: "beats" | "records"; leads?: (string | number)[]; onBadFile: "skip" | "fail"; maxImagePixels?: number; augment?: boolean; augmentSettings?: string; records?: string[];
  /** ECG --split inter: the words of the adaptation protocol (e.g. first-minutes 5). */
  adapt?: string[];
}

/** What the choices ask for: the model, the data, the class balance and the training settings. */
export interface ExperimentSettings {
  model: ModelConfig;
  data: DataSpec;
  balance: Balance;
  maxClassWeight?: number;
  classWeights?: Record<string, number>;
  train: ExperimentOptions["train"];
}

export function experimentSettings(task: Task, given: ExperimentChoices): ExperimentSettings {
  const choices = withRecipe(task, given);
  const model = loadModel(task, choices);
  // The X-ray defaults are the recipe the README's results were measured with (bench/results/cxr-recipe.md):
  // a cosine schedule gains 4 points over a constant rate, and without augmentation the default
  // network reaches in 10 epochs what it reaches with it in 30. Same-source trains on 370 images.
  const epochs = choices.epochs ?? (task === "cxr" && choices.protocol === "same-source" ? 15 : 10);
  const schedule = scheduleConfig(task, choices, epochs);
  if (choices.momentum !== undefined && choices.optimizer !== "sgd") throw new SpikemedError(`--momentum applies to --optimizer sgd; the optimizer is ${choices.optimizer ?? "adam"}`, "drop --momentum (Adam's beta1 plays its part)");
  // Unweighted, those splits' networks learn the class prior: bench/results/ecg-inter.md, cxr-loso.md.
  const imbalanced = task === "ecg" ? choices.split === "inter" : choices.protocol !== "mixed";
  const balance = choices.balance ?? (imbalanced ? "weights" : "none");
  if (choices.maxClassWeight !== undefined && balance !== "weights" && balance !== "sqrt-weights") {
    throw new SpikemedError(`--max-class-weight applies to loss weights; --balance is ${balance}`, "add --balance weights (or sqrt-weights), or drop --max-class-weight");
  }
  const data = dataSpec(task, choices, model);
  if (data.task === "ecg" && data.adapt) checkAdaptationModel(data.adapt, model);
  return {
    model, data, balance, maxClassWeight: choices.maxClassWeight, classWeights: classWeightsOf(choices.classWeights),
    train: {
      epochs, batchSize: choices.batchSize ?? (task === "ecg" ? 16 : 32), optimizer: optimizerConfig(choices), schedule,
      microBatch: choices.microBatch, clipNorm: choices.clipNorm, labelSmoothing: choices.labelSmoothing, patience: choices.patience, monitor: choices.monitor ?? "val_loss", augment: choices.augment ?? choices.augmentSettings !== undefined,
    },
  };
}

/**
 * The inter-patient split validates by default on held-out beats of the training patients, which
 * flatter a model that learns patients; whole unseen records are the honest guide (the default is
 * kept so that earlier commands reproduce).
 */
export function validationHint(task: Task, choices: Pick<ExperimentChoices, "split" | "validation">): string | null {
  if (task !== "ecg" || choices.split !== "inter" || choices.validation) return null;
  return "validating on held-out beats of the training patients; --validation records --monitor val_balanced_accuracy validates on " +
    "patients the model never saw, which is what the test patients are (bench/results/ecg-inter.md)";
}

/** The learning-rate schedule: constant for ECG and cosine for X-rays unless another is chosen; a warm-up only where it fits. */
function scheduleConfig(task: Task, choices: ExperimentChoices, epochs: number): ScheduleConfig {
  const name = choices.schedule ?? (task === "cxr" ? "cosine" : "constant");
  if (choices.warmup !== undefined && name !== "cosine" && name !== "onecycle") {
    throw new SpikemedError(`--warmup applies to --schedule cosine and onecycle; the schedule is ${name}`, "add --schedule cosine, or drop --warmup");
  }
  if (choices.warmup !== undefined && choices.warmup >= epochs) throw new SpikemedError(`--warmup ${choices.warmup} leaves no epoch of the ${epochs} to anneal in`, "warm up for fewer epochs than --epochs");
  return name === "cosine" ? { kind: "cosine", totalEpochs: epochs, ...(choices.warmup ? { warmupEpochs: choices.warmup } : {}) }
    : name === "onecycle" ? { kind: "onecycle", totalEpochs: epochs, ...(choices.warmup ? { pctStart: choices.warmup / epochs } : {}) }
    : name === "step" ? { kind: "step", stepSize: Math.max(1, Math.floor(epochs / 3)) }
    : name === "plateau" ? { kind: "plateau", patience: 2 } : { kind: "constant" };
}

function optimizerConfig(choices: ExperimentChoices): OptimizerConfig {
  const { lr = 1e-3, weightDecay, optimizer = "adam" } = choices;
  if (optimizer !== "sgd") return { kind: optimizer, lr, weightDecay };
  return { kind: "sgd", lr, weightDecay, momentum: choices.momentum ?? 0.9 };
}

function loadModel(task: Task, choices: ExperimentChoices): ModelConfig {
  let model: ModelConfig;
  if (choices.config) {
    if (!fs.existsSync(choices.config)) throw new SpikemedError(`--config ${choices.config}: no such file`);
    try {
      model = JSON.parse(fs.readFileSync(choices.config, "utf8")) as ModelConfig;
    } catch (err) {
      throw new SpikemedError(`--config ${choices.config}: not valid JSON (${(err as Error).message})`);
    }
    checkConfigSettings(model, `--config ${choices.config}`);
  } else {
    model = modelFor(task, choices.model, choices.timeSteps);
  }
  if (choices.timeSteps) model = { ...model, timeSteps: choices.timeSteps };
  if (choices.encoder) model = { ...model, encoder: { kind: choices.encoder } };
  if (choices.activityPenaltyLayers && !choices.activityPenalty) throw new SpikemedError("--activity-penalty-layers names the layers of an --activity-penalty", "add --activity-penalty, e.g. l1:0.05");
  if (choices.activityPenalty) {
    model = { ...model, activityPenalty: { ...parseActivityPenalty(choices.activityPenalty), ...(choices.activityPenaltyLayers ? { layers: choices.activityPenaltyLayers } : {}) } };
  }
  if (choices.features) model = withFeatures(task, model, choices.features);
  if (choices.learnNeurons) model = withLearnableNeurons(model, choices.learnNeurons);
  if (choices.memorySaving) model = withMemorySaving(model);
  if (task === "cxr" && choices.imageSize) model = { ...model, inputShape: [1, choices.imageSize, choices.imageSize] };
  const window = beatWindow(choices);
  if (task === "ecg" && window && !choices.config) model = { ...model, inputShape: [1, window.before + window.after] };
  if (task === "ecg" && choices.leads && !choices.config) model = { ...model, inputShape: [choices.leads.length, model.inputShape[1]] };
  // Built once here so that a layout whose shapes do not chain is refused naming the file, before any data is read.
  if (choices.config) buildNetworkFrom(model, 1, `--config ${choices.config}`);
  return model;
}

/** `model` reading the features of `families` instead of its own; refused for a model that reads none. */
function withFeatures(task: Task, model: ModelConfig, families: string): ModelConfig {
  const reads = model.layers.some((l) => l.type === "features" || l.type === "append-features");
  if (task !== "ecg" || !reads) {
    throw new SpikemedError(`--features: model "${model.name}" reads no per-beat features`, "use a model that does, e.g. --model snn-families or snn-features");
  }
  return { ...model, features: featuresOfFamilies(families) };
}

/** The ECG beat window the choices ask for, or undefined for the default. */
function beatWindow(choices: ExperimentChoices): BeatWindow | undefined {
  if (!choices.beatWindow && !choices.sampleRate) return undefined;
  const [before, after] = choices.beatWindow ?? defaultBeatSeconds();
  return beatWindowFromSeconds(choices.sampleRate ?? DEFAULT_BEAT_WINDOW.sampleRate, before, after);
}

/** The default beat window's seconds before and after the R peak, to two decimals. */
export function defaultBeatSeconds(): number[] {
  return [DEFAULT_BEAT_WINDOW.before, DEFAULT_BEAT_WINDOW.after].map((n) => Math.round((100 * n) / DEFAULT_BEAT_WINDOW.sampleRate) / 100);
}

function dataSpec(task: Task, choices: ExperimentChoices, model: ModelConfig): DataSpec {
  const seed = choices.splitSeed ?? choices.seed;
  if (choices.augmentSettings && (task === "ecg" || choices.augment === false)) {
    throw new SpikemedError(`--augment-settings applies to augmented X-rays; ${task === "ecg" ? "this is train ecg" : "--no-augment turns augmentation off"}`, "drop --augment-settings");
  }
  if (task === "cxr" && choices.adapt) throw new SpikemedError("--adapt applies to train ecg --split inter", "drop --adapt");
  if (task === "ecg") {
    if (choices.validation && choices.split !== "inter") throw new SpikemedError("--validation applies to --split inter only", "drop --validation, or add --split inter");
    const adapt = adaptation(choices);
    return { task, dataDir: choices.data ?? null, records: choices.records, split: choices.split, seed, limit: choices.limit, window: beatWindow(choices) ?? DEFAULT_BEAT_WINDOW,
      includePaced: choices.includePaced, validationBy: choices.validation, ...(choices.leads ? { leads: choices.leads } : {}), ...(adapt ? { adapt } : {}) };
  }
  if (!choices.data) {
    throw new SpikemedError("train cxr needs --data DIR", "point it at a folder of class subfolders or a manifest CSV (e.g. ../shared/data/cxr)");
  }
  if (choices.protocol === "leave-one-source-out" && !choices.holdout) {
    throw new SpikemedError("--protocol leave-one-source-out needs --holdout SOURCE", "name the source to test on, e.g. --holdout cxnet");
  }
  return { task, dataDir: choices.data, protocol: choices.protocol, heldOutSource: choices.holdout, imageSize: model.inputShape[1],
    seed, limit: choices.limit, onBadFile: choices.onBadFile, ...(choices.maxImagePixels ? { maxImagePixels: choices.maxImagePixels } : {}),
    ...(choices.augmentSettings ? { augment: parseAugmentSettings(choices.augmentSettings) } : {}) };
}

/** Refuses a model that lacks what `adapt` works through: a batch-norm layer (unlabeled), measurements through one (local-beats, self-training). */
export function checkAdaptationModel(adapt: EcgAdaptation, model: ModelConfig): void {
  if (adapt.kind === "unlabeled" && !model.layers.some((l) => l.type === "batchnorm")) {
    throw new SpikemedError(`--adapt unlabeled re-estimates a model's batch-norm statistics on each test record; model "${model.name}" has no batch-norm layer`,
      "use a model with one, e.g. --model snn-families or mlp-families");
  }
  if ((adapt.kind === "local-beats" || adapt.kind === "self-training") && (!model.layers.some((l) => l.type === "batchnorm") || (model.features ?? []).length === 0)) {
    throw new SpikemedError(`--adapt ${adapt.kind} compares beats in a model's batch-norm-scaled measurements; model "${model.name}" has no measurements through a batch-norm layer`,
      "use --model snn-families or mlp-families");
  }
}

/** The adaptation protocol for an inter-patient split (see parseAdaptation). */
function adaptation(choices: ExperimentChoices): EcgAdaptation | undefined {
  if (!choices.adapt) return undefined;
  if (choices.split !== "inter") throw new SpikemedError("--adapt applies to --split inter only (an intra-patient split already trains on every test patient)", "add --split inter, or drop --adapt");
  return parseAdaptation(choices.adapt);
}

/** The protocol the --adapt words name: first-minutes, local-beats or patient-specific, with its minutes (default 5), unlabeled or self-training. */
export function parseAdaptation(words: readonly string[]): EcgAdaptation {
  const [kind, minutes, ...extra] = words;
  const fix = `write --adapt first-minutes N, local-beats N or patient-specific N (e.g. --adapt first-minutes ${DEFAULT_ADAPT_MINUTES}), --adapt unlabeled or --adapt self-training`;
  if (kind === "unlabeled" || kind === "self-training") {
    if (minutes !== undefined) throw new SpikemedError(`--adapt ${words.join(" ")}: ${kind} reads no labelled minutes and takes no number`, fix);
    return { kind };
  }
  if (kind !== "first-minutes" && kind !== "local-beats" && kind !== "patient-specific") throw new SpikemedError(`--adapt ${words.join(" ")}: unknown protocol "${kind}"`, fix);
  const n = minutes === undefined ? DEFAULT_ADAPT_MINUTES : readNumber(minutes, { min: 0, minIncluded: false });
  if (n === null || extra.length > 0) throw new SpikemedError(`--adapt ${words.join(" ")}: expected a positive number of minutes after ${kind}`, fix);
  return { kind, minutes: n };
}

const AUGMENT_SETTINGS: Record<string, { key: keyof AugmentOptions; max: number }> = {
  flip: { key: "flipProbability", max: 1 }, rotation: { key: "maxRotationDegrees", max: 180 }, shift: { key: "maxShiftFraction", max: 0.5 }, contrast: { key: "maxContrastChange", max: 1 },
  brightness: { key: "maxBrightnessChange", max: 1 }, "shift-step": { key: "shiftStep", max: 64 }, "contrast-center": { key: "contrastCenter", max: 1 },
};

/** "flip=0,rotation=0,shift=0.0625": the X-ray augmentation's ranges, each within its bounds. */
export function parseAugmentSettings(value: string): AugmentOptions {
  const options: AugmentOptions = {};
  for (const pair of value.split(",").map((p) => p.trim()).filter(Boolean)) {
    const [name, text, extra] = pair.split("=");
    const setting = AUGMENT_SETTINGS[name];
    if (!setting || text === undefined || extra !== undefined) {
      throw new SpikemedError(`expected key=value pairs with keys ${Object.keys(AUGMENT_SETTINGS).join(", ")}, got "${pair}"`);
    }
    const n = readNumber(text, { min: 0, max: setting.max });
    if (n === null) throw new SpikemedError(`${name}: expected a number from 0 to ${setting.max}, got "${text}"`);
    options[setting.key] = n;
  }
  return options;
}

/** Lead names, and indices as numbers; a lead named twice is refused. */
export function parseLeads(value: string): (string | number)[] {
  const leads = value.split(",").map((s) => s.trim()).filter(Boolean).map((lead) => (/^\d+$/.test(lead) ? Number(lead) : lead));
  if (leads.length === 0) throw new SpikemedError("expected at least one lead, e.g. MLII or MLII,next");
  const named = leads.filter((lead) => lead !== "next");
  if (new Set(named).size !== named.length) throw new SpikemedError(`a lead is named twice in "${value}"`);
  return leads;
}

/** "F=1,Q=0.5" checked and written the one way (the search's grid values and printed commands use it); "none" names no class. */
export function normalizeClassWeights(value: string): string {
  if (value.trim() === "none") return "none";
  const pairs = value.split(",").map((pair) => {
    const match = /^\s*([^=\s]+)\s*=\s*(\S+)\s*$/.exec(pair);
    const weight = match ? readNumber(match[2], { min: 0 }) : null;
    if (!match || weight === null) throw new SpikemedError(`expected class=weight pairs with weights of 0 or more, e.g. F=1,Q=1; got "${value}"`);
    return [match[1], weight] as const;
  });
  if (new Set(pairs.map(([name]) => name)).size !== pairs.length) throw new SpikemedError(`a class is named twice in "${value}"`);
  return pairs.map(([name, weight]) => `${name}=${weight}`).join(",");
}

function classWeightsOf(list: string | undefined): Record<string, number> | undefined {
  if (list === undefined || list === "none") return undefined;
  return Object.fromEntries(list.split(",").map((pair) => { const [name, weight] = pair.split("="); return [name, Number(weight)]; }));
}
