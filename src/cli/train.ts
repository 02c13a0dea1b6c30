import fs from "node:fs";
import path from "node:path";
import { Command, InvalidArgumentError } from "commander";
import { SpikemedError } from "../core/index.js";
import { PROTOCOLS, type AugmentOptions } from "../data/cxr/index.js";
import { DEFAULT_BEAT_WINDOW, ECG_RATE_RANGE, FEATURE_FAMILIES, beatWindowFromSeconds, featuresOfFamilies, type BeatWindow } from "../data/ecg/index.js";
import { DEFAULT_ADAPT_MINUTES, runExperiment, type Balance, type DataSpec, type EcgAdaptation, type ExperimentOptions } from "../experiment/index.js";
import { buildNetworkFrom, checkConfigSettings, MAX_TIME_STEPS, MODEL_NAMES, modelFor, parseActivityPenalty, withLearnableNeurons, withMemorySaving, type ModelConfig, type Task } from "../model/index.js";
import type { EncoderKind } from "../encode/index.js";
import type { Monitor, OptimizerConfig, ScheduleConfig } from "../train/index.js";
import { fraction, list, maxImagePixelsOption, nonNegativeInt, nonNegativeNumber, numberOption, oneOf, positiveInt, positiveNumber, readNumber, seconds } from "./options.js";
import { backendOptions, selectBackend, type BackendOptions } from "./backend.js";

/** The shared options as commander parses them. */
export interface ExperimentFlags {
  data?: string; split: "intra" | "inter"; protocol: (typeof PROTOCOLS)[number]; holdout?: string;
  model: string; config?: string; features?: string; epochs?: number; timeSteps?: number; encoder?: EncoderKind; activityPenalty?: string; activityPenaltyLayers?: string[]; learnNeurons?: ("threshold" | "beta")[]; batchSize?: number; microBatch?: number; lr?: number;
  optimizer?: "adam" | "adamw" | "sgd"; momentum?: number; labelSmoothing?: number; schedule?: "constant" | "cosine" | "step" | "plateau" | "onecycle"; clipNorm?: number; weightDecay?: number; warmup?: number;
  balance?: Balance; maxClassWeight?: number; classWeights?: string; patience?: number; monitor?: Monitor; recipe?: RecipeName; seed: number; splitSeed?: number;
  limit?: number; memorySaving?: boolean; imageSize: number; beatWindow?: number[]; sampleRate?: number; includePaced?: boolean; validation?: "beats" | "records"; leads?: (string | number)[]; onBadFile: "skip" | "fail"; maxImagePixels?: number; augment?: boolean; augmentSettings?: string; records?: string[];
  /** train ecg --split inter: the words after --adapt (e.g. first-minutes 5). */
  adapt?: string[];
}

interface TrainFlags extends ExperimentFlags, BackendOptions {
  seeds: number; out?: string; resume?: boolean; devices?: string[]; initFrom?: string;
}

export function trainCommand(): Command {
  return experimentOptions(backendOptions(new Command("train"))
    .description("train a model on ECG beats (MIT-BIH style WFDB records) or chest X-rays, evaluate it and write a report")
    .argument("<task>", "ecg or cxr", oneOf(["ecg", "cxr"] as const)))
    .option("--seeds <n>", "repeat the experiment with n seeds and report mean and 95% interval", positiveInt, 1)
    .option("--seed <n>", "first seed", nonNegativeInt, 1)
    .option("--split-seed <n>", "seed of the train/validation/test split (default: --seed); fixing it lets the seeds of one experiment run as separate processes (--seed k --out DIR/seed-k each), then --seeds n --resume --out DIR gathers them", nonNegativeInt)
    .option("--out <dir>", "run folder (default runs/<task>-<model>-<time>)")
    .option("--resume", "continue the interrupted run in --out, with the options it was started with (other ones are refused, each named)")
    .option("--init-from <run>", "start from the weights of a trained run of the same layers instead of random ones, e.g. a cnn run for its snn twin " +
      "(hybrid conversion: the ReLU network's weights, then surrogate-gradient training); a folder of several seeds gives each seed its own")
    .option("--adapt <protocol...>", `ecg --split inter: adapt to each test patient, a protocol of its own whose figures are never the plain inter-patient ones: ` +
      `first-minutes [N] (AAMI's patient-specific protocol, N default ${DEFAULT_ADAPT_MINUTES}): the beats of the first N minutes of each test (DS2) record, with their labels, ` +
      "join the training set from the start (one training, no separate fine-tuning stage; validation stays on DS1) and the test set is each record's beats after minute N; " +
      "unlabeled: before classifying each test record, the model's batch-norm statistics are re-estimated on that record's own beats (AdaBN; their signals only, no label read; " +
      "models with a batch-norm layer, e.g. snn-families, mlp-families; training is the plain run's)")
    .option("--devices <list>", "energy estimate devices (default all: cpu,gpu,arm,loihi,spinnaker,spinnaker2)", list)
    .action(async (task: Task, flags: TrainFlags) => {
      await selectBackend(flags);
      checkRecipeStart(flags, flags.initFrom);
      const settings = experimentSettings(task, flags);
      const outDir = flags.out ?? path.join("runs", `${task}-${settings.model.name}-${new Date().toISOString().replace(/[:.]/g, "-").slice(0, 19)}`);
      if (!flags.resume && fs.existsSync(path.join(outDir, "run.json"))) {
        throw new SpikemedError(`--out ${outDir} already holds a finished run`, "choose another --out, or add --resume to continue an interrupted one");
      }
      const hint = validationHint(task, flags);
      if (hint) process.stderr.write(`note: ${hint}\n`);
      await runExperiment({ ...settings, seed: flags.seed, seeds: flags.seeds, outDir, resume: flags.resume, devices: flags.devices, initFrom: flags.initFrom, handleSignals: true });
    });
}

/**
 * The inter-patient split validates by default on held-out beats of the training patients, which
 * flatter a model that learns patients; whole unseen records are the honest guide (the default is
 * kept so that earlier commands reproduce).
 */
export function validationHint(task: Task, flags: ExperimentFlags): string | null {
  if (task !== "ecg" || flags.split !== "inter" || flags.validation) return null;
  return "validating on held-out beats of the training patients; --validation records --monitor val_balanced_accuracy validates on " +
    "patients the model never saw, which is what the test patients are (bench/results/ecg-inter.md)";
}

/** The data, model and training options that train and search share. */
export function experimentOptions(command: Command): Command {
  return maxImagePixelsOption(command)
    .option("--data <dir>", "folder of WFDB records (ecg; default: the embedded MIT-BIH sample) or of images / a manifest CSV (cxr)")
    .option("--records <list>", "ecg: only these records, comma-separated", list)
    .option("--beat-window <before,after>", `ecg: seconds of signal before and after each R peak that the model sees (default ${defaultSeconds().join(",")})`, seconds)
    .option("--sample-rate <hz>", `ecg: rate signals are resampled to before windowing (default ${DEFAULT_BEAT_WINDOW.sampleRate})`,
      numberOption({ min: ECG_RATE_RANGE.min, max: ECG_RATE_RANGE.max, expected: `a rate from ${ECG_RATE_RANGE.min} to ${ECG_RATE_RANGE.max} Hz` }))
    .option("--leads <list>", "ecg: signals the model sees side by side, comma-separated: names (MLII, V1), indices (0, 1) or next (the record's first signal not chosen yet); " +
      "the first gives the R peaks and the features (default MLII; MLII,next: both of MIT-BIH's leads, whose second is V1, V2, V4 or V5 by record)", leadList)
    .option("--include-paced", "ecg: keep the paced records 102, 104, 107, 217 (their paced beats are class Q), which AAMI studies leave out")
    .option("--split <kind>", "ecg: intra (random beats) or inter (de Chazal DS1 -> DS2 patients)", oneOf(["intra", "inter"] as const), "intra")
    .option("--validation <from>", "ecg --split inter: validate on held-out beats of the training patients (beats, default) or on whole held-out records (records: patients the model never saw, an honest guide for early stopping)", oneOf(["beats", "records"] as const))
    .option("--protocol <name>", `cxr: ${PROTOCOLS.join(", ")}`, oneOf(PROTOCOLS), "mixed")
    .option("--holdout <source>", "cxr leave-one-source-out: the source to test on")
    .option("--model <name>", `ecg: ${MODEL_NAMES.ecg.join(", ")}; cxr: ${MODEL_NAMES.cxr.join(", ")}`, "snn")
    .option("--config <file>", "a model config JSON file instead of a built-in --model")
    .option("--features <families>", `ecg: the per-beat measurements a model that reads features is given instead of its own, families or feature names joined by + ` +
      `(e.g. rr-norm+wavelet+hos+lbp+morph): ${Object.keys(FEATURE_FAMILIES).join(", ")} (rhythm: the six patient-relative RR and amplitude features; ` +
      "rr: pre, post, local and global RR in seconds; rr-norm: the same over the record's mean of each; wavelet: the beat's 3-level Haar approximation, 23 values; " +
      "hos: skewness and kurtosis over 5 segments; lbp: uniform local binary pattern histogram, 59 bins; morph: 4 distances from the R peak; *-rel: the same minus the record's median of each (against the patient's usual beat); lead2-*: in the record's second lead; " +
      "src/data/ecg/beat-families.ts)", featureFamilyList)
    .option("--epochs <n>", "training epochs (ecg 10; cxr 10, --protocol same-source 15)", positiveInt)
    .option("--time-steps <n>", "simulation steps per input (spiking models)", numberOption({ whole: true, min: 1, max: MAX_TIME_STEPS, expected: `a whole number of steps from 1 to ${MAX_TIME_STEPS}` }))
    .option("--encoder <kind>", "how an input becomes activity over the time steps (spiking models): direct (the value itself at every step, the built-in models' default), " +
      "rate (Bernoulli spikes with probability = value), latency (one spike per input, earlier for larger values in [0, 1]) or delta (on/off spikes where the signal changes)",
      oneOf(["direct", "rate", "latency", "delta"] as const))
    .option("--activity-penalty <kind:weight>", "spike-count regularisation added to the training loss, per spiking layer: l1:W (W x the layer's mean firing rate), " +
      "l2:W (W x the mean squared rate of each neuron in each sample) or target:R:W (W x (mean rate - R)^2, R in spikes per neuron per step); the terms of the layers are summed. " +
      "Fewer spikes, fewer synaptic operations on a spiking chip (the run's energy.md)", (value: string) => (penaltyOption(value), value))
    .option("--activity-penalty-layers <list>", "with --activity-penalty: only these spiking layers, e.g. lif1,lif2 (default every spiking layer)", list)
    .option("--learn-neurons <list>", "learn the firing threshold and/or membrane decay of every LIF layer, one per neuron: threshold, beta or threshold,beta (the model config's learnThreshold, learnBeta)",
      (value: string) => list(value).map((v) => oneOf(["threshold", "beta"] as const)(v)))
    .option("--batch-size <n>", "samples per step (ecg 16, cxr 32)", positiveInt)
    .option("--micro-batch <n>", "compute each batch in chunks of n samples and sum their gradients (a large batch in the memory of a small one, e.g. gatti2025 at the paper's batch 32)", positiveInt)
    .option("--lr <rate>", "learning rate (default 0.001)", positiveNumber)
    .option("--optimizer <name>", "adam, adamw or sgd (default adam)", oneOf(["adam", "adamw", "sgd"] as const))
    .option("--momentum <m>", "sgd: momentum (default 0.9; 0 for plain SGD)", nonNegativeNumber)
    .option("--weight-decay <w>", "weight decay: adam and sgd add w x weight to the gradient, adamw shrinks the weights by lr x w each step (default 0, adamw 0.01)", nonNegativeNumber)
    .option("--schedule <name>", "learning-rate schedule: constant (ecg default), cosine (cxr default), step, plateau, or onecycle (PyTorch's OneCycleLR, every batch: " +
      "the rate rises from --lr / 25 to --lr, then falls to --lr / 250,000, while Adam's beta1 or SGD's momentum falls from 0.95 to 0.85 and rises back)", oneOf(["constant", "cosine", "step", "plateau", "onecycle"] as const))
    .option("--warmup <epochs>", "with --schedule cosine: raise the learning rate linearly from a third of --lr over this many epochs first, then anneal (PyTorch's LinearLR then CosineAnnealingLR); " +
      "with onecycle: the rise lasts this many epochs (default 30% of them)", positiveInt)
    .option("--clip-norm <value>", "clip the gradient norm", positiveNumber)
    .option("--label-smoothing <e>", "train towards 1 - e on the label and e / classes on every class, each sample weighted by its label's class weight (the validation loss stays plain cross-entropy)", fraction)
    .option("--balance <how>", "class imbalance: none, weights (loss weights n / (classes x class count)), sqrt-weights (their square roots: rare classes count more, a handful of beats no longer outweighs thousands) or sampling (balanced batches); default none, weights where the training classes are seldom balanced: ecg --split inter, cxr --protocol same-source and leave-one-source-out",
      oneOf(["none", "weights", "sqrt-weights", "sampling"] as const))
    .option("--max-class-weight <w>", "lower loss weights above w to w (with --balance weights or sqrt-weights: a class of a few samples, such as the 8 Q beats of MIT-BIH's inter-patient training split at weight 1,149, no longer dominates the loss)", positiveNumber)
    .option("--class-weights <class=w,...>", "loss weights of the named classes, e.g. F=1,Q=1, set after --balance and --max-class-weight (the other classes keep theirs): " +
      "a class whose training samples come from one patient (MIT-BIH's inter-patient F beats are almost all record 208's) need not be weighted up; " +
      "in a --grid, one class=w per value, or none", classWeightList)
    .option("--patience <epochs>", "stop early after this many epochs without validation improvement", positiveInt)
    .option("--monitor <metric>", "validation metric that picks the best epoch: val_loss (default), val_accuracy or val_balanced_accuracy (mean recall of the classes present; weighs rare classes like common ones)",
      oneOf(["val_loss", "val_accuracy", "val_balanced_accuracy"] as const))
    .option("--recipe <name>", `cxr: training settings measured together, for the options not given beside it: ${Object.entries(RECIPES).map(([name, r]) => `${name} (${r.describe})`).join("; ")}`,
      oneOf(Object.keys(RECIPES) as RecipeName[]))
    .option("--limit <n>", "train on a random subset of n samples (quick runs)", positiveInt)
    .option("--memory-saving", "recompute LIF membranes in the backward pass instead of storing them (less memory, a little slower)")
    .option("--image-size <px>", "cxr: images are resized to this square size", positiveInt)
    .option("--on-bad-file <what>", "cxr: skip or fail on unreadable images", oneOf(["skip", "fail"] as const), "skip")
    .option("--augment", "augment training samples (cxr: flips, small rotations and shifts, contrast; ecg: amplitude, baseline wave, noise); default off (--augment-settings turns it on)")
    .option("--no-augment", "no augmentation of training samples")
    .option("--augment-settings <key=value,...>", "cxr: the augmentation's ranges: flip (probability, default 0.5), rotation (+- degrees, 5), shift (+- fraction of the side, 0.05), " +
      "contrast (1 +- this, 0.1), contrast-center (the intensity contrast scales about, default each image's mean; 0.5 as torchvision), brightness (+- this added to intensities in [0, 1], 0), shift-step (shifts in multiples of this many pixels, 0: any fraction, resampled bilinearly; " +
      "1: whole pixels, copied exactly without rotation); e.g. flip=0,rotation=0,shift=0.0625 keeps left and right where they are", (value: string) => (augmentSettings(value), value));
}

/** What the shared options ask for: the model, the data, the class balance and the training settings. */
export interface ExperimentSettings {
  model: ModelConfig;
  data: DataSpec;
  balance: Balance;
  maxClassWeight?: number;
  classWeights?: Record<string, number>;
  train: ExperimentOptions["train"];
}

/** Feature families joined by +, checked (the option keeps the text, which search copies into commands). */
function featureFamilyList(value: string): string {
  try {
    featuresOfFamilies(value);
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
  return value;
}

/** The --activity-penalty text as a penalty; commander's one-line error for a malformed one. */
function penaltyOption(value: string): NonNullable<ModelConfig["activityPenalty"]> {
  try {
    return parseActivityPenalty(value);
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
}

/** Lead names, and indices as numbers; a lead named twice is refused. */
function leadList(value: string): (string | number)[] {
  const leads = list(value).map((lead) => (/^\d+$/.test(lead) ? Number(lead) : lead));
  if (leads.length === 0) throw new InvalidArgumentError("expected at least one lead, e.g. MLII or MLII,next");
  const named = leads.filter((lead) => lead !== "next");
  if (new Set(named).size !== named.length) throw new InvalidArgumentError(`a lead is named twice in "${value}"`);
  return leads;
}

/** "F=1,Q=0.5" checked and written the one way (the search's grid values and printed commands use it); "none" names no class. */
function classWeightList(value: string): string {
  if (value.trim() === "none") return "none";
  const pairs = value.split(",").map((pair) => {
    const match = /^\s*([^=\s]+)\s*=\s*(\S+)\s*$/.exec(pair);
    const weight = match ? readNumber(match[2], { min: 0 }) : null;
    if (!match || weight === null) throw new InvalidArgumentError(`expected class=weight pairs with weights of 0 or more, e.g. F=1,Q=1; got "${value}"`);
    return [match[1], weight] as const;
  });
  if (new Set(pairs.map(([name]) => name)).size !== pairs.length) throw new InvalidArgumentError(`a class is named twice in "${value}"`);
  return pairs.map(([name, weight]) => `${name}=${weight}`).join(",");
}

function classWeightsOf(list: string | undefined): Record<string, number> | undefined {
  if (list === undefined || list === "none") return undefined;
  return Object.fromEntries(list.split(",").map((pair) => { const [name, weight] = pair.split("="); return [name, Number(weight)]; }));
}

/**
 * The X-ray ResNet recipe (bench/results/cxr-recipe.md, sessions 16-19): PyTorch's augmentation
 * (whole-pixel shifts, contrast, brightness, no flips), AdamW, batch 64, the epoch kept by
 * validation accuracy; the ReLU twin trains first, the spiking network starts from its weights.
 */
const RESNET_SETTINGS = {
  optimizer: "adamw", weightDecay: 0.05, batchSize: 64, schedule: "cosine", monitor: "val_accuracy",
  augmentSettings: "flip=0,rotation=0,shift=0.0625,contrast=0.1,brightness=0.1,shift-step=1",
} as const;

const RECIPES = {
  "resnet-twin": {
    settings: { ...RESNET_SETTINGS, epochs: 20, lr: 2e-3, warmup: 2 },
    describe: "the ReLU twin, e.g. of --model cnn-resnet-256: AdamW 0.05, lr 2e-3 with a 2-epoch warm-up then cosine, batch 64, 20 epochs, shifts of up to 1/16 in whole pixels, contrast and brightness +-0.1, the epoch of best validation accuracy",
  },
  "resnet-from-twin": {
    settings: { ...RESNET_SETTINGS, epochs: 10, lr: 5e-4 },
    describe: "the spiking network from its trained twin (needs --init-from), e.g. --model srelu-resnet-256: the same at lr 5e-4 for 10 epochs, no warm-up",
  },
} as const;
type RecipeName = keyof typeof RECIPES;

/**
 * The recipe's settings where the flags give none. Options given beside it win, and take with
 * them what no longer fits: --no-augment drops its augmentation, another schedule or fewer
 * epochs than its warm-up drop its warm-up.
 */
function withRecipe(task: Task, flags: ExperimentFlags): ExperimentFlags {
  if (!flags.recipe) return flags;
  if (task !== "cxr") throw new SpikemedError(`--recipe ${flags.recipe} is a chest X-ray recipe; this is ${task}`, "drop --recipe");
  const merged: Record<string, unknown> = { ...flags };
  for (const [key, value] of Object.entries(RECIPES[flags.recipe].settings)) {
    if (key === "augmentSettings" && flags.augment === false) continue;
    if (merged[key] === undefined) merged[key] = value;
  }
  const { schedule, warmup, epochs } = merged as Pick<ExperimentFlags, "schedule" | "warmup" | "epochs">;
  const warmupFits = (schedule === "cosine" || schedule === "onecycle") && warmup! < epochs!;
  if (flags.warmup === undefined && warmup !== undefined && !warmupFits) delete merged.warmup;
  return merged as unknown as ExperimentFlags;
}

/** A recipe that fine-tunes a trained network is refused without one to start from. */
export function checkRecipeStart(flags: ExperimentFlags, initFrom: string | undefined): void {
  if (flags.recipe === "resnet-from-twin" && !initFrom) {
    throw new SpikemedError("--recipe resnet-from-twin fine-tunes a trained ReLU twin: it needs --init-from RUN",
      "train the twin first (e.g. --model cnn-resnet-256 --recipe resnet-twin --out runs/twin), then add --init-from runs/twin");
  }
}

export function experimentSettings(task: Task, given: ExperimentFlags): ExperimentSettings {
  const flags = withRecipe(task, given);
  const model = loadModel(task, flags);
  // The X-ray defaults are the recipe the README's results were measured with (bench/results/cxr-recipe.md):
  // a cosine schedule gains 4 points over a constant rate, and without augmentation the default
  // network reaches in 10 epochs what it reaches with it in 30. Same-source trains on 370 images.
  const epochs = flags.epochs ?? (task === "cxr" && flags.protocol === "same-source" ? 15 : 10);
  const scheduleName = flags.schedule ?? (task === "cxr" ? "cosine" : "constant");
  if (flags.warmup !== undefined && scheduleName !== "cosine" && scheduleName !== "onecycle") {
    throw new SpikemedError(`--warmup applies to --schedule cosine and onecycle; the schedule is ${scheduleName}`, "add --schedule cosine, or drop --warmup");
  }
  if (flags.warmup !== undefined && flags.warmup >= epochs) throw new SpikemedError(`--warmup ${flags.warmup} leaves no epoch of the ${epochs} to anneal in`, "warm up for fewer epochs than --epochs");
  if (flags.momentum !== undefined && flags.optimizer !== "sgd") throw new SpikemedError(`--momentum applies to --optimizer sgd; the optimizer is ${flags.optimizer ?? "adam"}`, "drop --momentum (Adam's beta1 plays its part)");
  const schedule: ScheduleConfig = scheduleName === "cosine" ? { kind: "cosine", totalEpochs: epochs, ...(flags.warmup ? { warmupEpochs: flags.warmup } : {}) }
    : scheduleName === "onecycle" ? { kind: "onecycle", totalEpochs: epochs, ...(flags.warmup ? { pctStart: flags.warmup / epochs } : {}) }
    : scheduleName === "step" ? { kind: "step", stepSize: Math.max(1, Math.floor(epochs / 3)) }
    : scheduleName === "plateau" ? { kind: "plateau", patience: 2 } : { kind: "constant" };
  // Unweighted, those splits' networks learn the class prior: bench/results/ecg-inter.md, cxr-loso.md.
  const imbalanced = task === "ecg" ? flags.split === "inter" : flags.protocol !== "mixed";
  const balance = flags.balance ?? (imbalanced ? "weights" : "none");
  if (flags.maxClassWeight !== undefined && balance !== "weights" && balance !== "sqrt-weights") {
    throw new SpikemedError(`--max-class-weight applies to loss weights; --balance is ${balance}`, "add --balance weights (or sqrt-weights), or drop --max-class-weight");
  }
  const data = dataSpec(task, flags, model);
  if (data.task === "ecg" && data.adapt?.kind === "unlabeled" && !model.layers.some((l) => l.type === "batchnorm")) {
    throw new SpikemedError(`--adapt unlabeled re-estimates a model's batch-norm statistics on each test record; model "${model.name}" has no batch-norm layer`,
      "use a model with one, e.g. --model snn-families or mlp-families");
  }
  return {
    model, data, balance, maxClassWeight: flags.maxClassWeight, classWeights: classWeightsOf(flags.classWeights),
    train: {
      epochs, batchSize: flags.batchSize ?? (task === "ecg" ? 16 : 32), optimizer: optimizerConfig(flags), schedule,
      microBatch: flags.microBatch, clipNorm: flags.clipNorm, labelSmoothing: flags.labelSmoothing, patience: flags.patience, monitor: flags.monitor ?? "val_loss", augment: flags.augment ?? flags.augmentSettings !== undefined,
    },
  };
}

function optimizerConfig(flags: ExperimentFlags): OptimizerConfig {
  const { lr = 1e-3, weightDecay, optimizer = "adam" } = flags;
  if (optimizer !== "sgd") return { kind: optimizer, lr, weightDecay };
  return { kind: "sgd", lr, weightDecay, momentum: flags.momentum ?? 0.9 };
}

function loadModel(task: Task, flags: ExperimentFlags): ModelConfig {
  let model: ModelConfig;
  if (flags.config) {
    if (!fs.existsSync(flags.config)) throw new SpikemedError(`--config ${flags.config}: no such file`);
    try {
      model = JSON.parse(fs.readFileSync(flags.config, "utf8")) as ModelConfig;
    } catch (err) {
      throw new SpikemedError(`--config ${flags.config}: not valid JSON (${(err as Error).message})`);
    }
    checkConfigSettings(model, `--config ${flags.config}`);
  } else {
    model = modelFor(task, flags.model, flags.timeSteps);
  }
  if (flags.timeSteps) model = { ...model, timeSteps: flags.timeSteps };
  if (flags.encoder) model = { ...model, encoder: { kind: flags.encoder } };
  if (flags.activityPenaltyLayers && !flags.activityPenalty) throw new SpikemedError("--activity-penalty-layers names the layers of an --activity-penalty", "add --activity-penalty, e.g. l1:0.05");
  if (flags.activityPenalty) {
    model = { ...model, activityPenalty: { ...penaltyOption(flags.activityPenalty), ...(flags.activityPenaltyLayers ? { layers: flags.activityPenaltyLayers } : {}) } };
  }
  if (flags.features) model = withFeatures(task, model, flags.features);
  if (flags.learnNeurons) model = withLearnableNeurons(model, flags.learnNeurons);
  if (flags.memorySaving) model = withMemorySaving(model);
  if (task === "cxr" && flags.imageSize) model = { ...model, inputShape: [1, flags.imageSize, flags.imageSize] };
  const window = beatWindow(flags);
  if (task === "ecg" && window && !flags.config) model = { ...model, inputShape: [1, window.before + window.after] };
  if (task === "ecg" && flags.leads && !flags.config) model = { ...model, inputShape: [flags.leads.length, model.inputShape[1]] };
  // Built once here so that a layout whose shapes do not chain is refused naming the file, before any data is read.
  if (flags.config) buildNetworkFrom(model, 1, `--config ${flags.config}`);
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

/** The ECG beat window the flags ask for, or undefined for the default. */
function beatWindow(flags: ExperimentFlags): BeatWindow | undefined {
  if (!flags.beatWindow && !flags.sampleRate) return undefined;
  const [before, after] = flags.beatWindow ?? defaultSeconds();
  return beatWindowFromSeconds(flags.sampleRate ?? DEFAULT_BEAT_WINDOW.sampleRate, before, after);
}

function defaultSeconds(): number[] {
  return [DEFAULT_BEAT_WINDOW.before, DEFAULT_BEAT_WINDOW.after].map((n) => Math.round((100 * n) / DEFAULT_BEAT_WINDOW.sampleRate) / 100);
}

function dataSpec(task: Task, flags: ExperimentFlags, model: ModelConfig): DataSpec {
  const seed = flags.splitSeed ?? flags.seed;
  if (flags.augmentSettings && (task === "ecg" || flags.augment === false)) {
    throw new SpikemedError(`--augment-settings applies to augmented X-rays; ${task === "ecg" ? "this is train ecg" : "--no-augment turns augmentation off"}`, "drop --augment-settings");
  }
  if (task === "cxr" && flags.adapt) throw new SpikemedError("--adapt applies to train ecg --split inter", "drop --adapt");
  if (task === "ecg") {
    if (flags.validation && flags.split !== "inter") throw new SpikemedError("--validation applies to --split inter only", "drop --validation, or add --split inter");
    const adapt = adaptation(flags);
    return { task, dataDir: flags.data ?? null, records: flags.records, split: flags.split, seed, limit: flags.limit, window: beatWindow(flags) ?? DEFAULT_BEAT_WINDOW,
      includePaced: flags.includePaced, validationBy: flags.validation, ...(flags.leads ? { leads: flags.leads } : {}), ...(adapt ? { adapt } : {}) };
  }
  if (!flags.data) {
    throw new SpikemedError("train cxr needs --data DIR", "point it at a folder of class subfolders or a manifest CSV (e.g. ../shared/data/cxr)");
  }
  if (flags.protocol === "leave-one-source-out" && !flags.holdout) {
    throw new SpikemedError("--protocol leave-one-source-out needs --holdout SOURCE", "name the source to test on, e.g. --holdout cxnet");
  }
  return { task, dataDir: flags.data, protocol: flags.protocol, heldOutSource: flags.holdout, imageSize: model.inputShape[1],
    seed, limit: flags.limit, onBadFile: flags.onBadFile, ...(flags.maxImagePixels ? { maxImagePixels: flags.maxImagePixels } : {}), ...(flags.augmentSettings ? { augment: augmentSettings(flags.augmentSettings) } : {}) };
}

/** The protocol --adapt names: first-minutes, with its minutes (default 5), or unlabeled; only for an inter-patient split. */
function adaptation(flags: ExperimentFlags): EcgAdaptation | undefined {
  if (!flags.adapt) return undefined;
  if (flags.split !== "inter") throw new SpikemedError("--adapt applies to --split inter only (an intra-patient split already trains on every test patient)", "add --split inter, or drop --adapt");
  const [kind, minutes, ...extra] = flags.adapt;
  const fix = `write --adapt first-minutes N (e.g. --adapt first-minutes ${DEFAULT_ADAPT_MINUTES}) or --adapt unlabeled`;
  if (kind === "unlabeled" && minutes === undefined) return { kind };
  if (kind !== "first-minutes") throw new SpikemedError(`--adapt ${flags.adapt.join(" ")}: unknown protocol "${kind}"`, fix);
  const n = minutes === undefined ? DEFAULT_ADAPT_MINUTES : readNumber(minutes, { min: 0, minIncluded: false });
  if (n === null || extra.length > 0) throw new SpikemedError(`--adapt ${flags.adapt.join(" ")}: expected a positive number of minutes after first-minutes`, fix);
  return { kind, minutes: n };
}

const AUGMENT_SETTINGS: Record<string, { key: keyof AugmentOptions; max: number }> = {
  flip: { key: "flipProbability", max: 1 }, rotation: { key: "maxRotationDegrees", max: 180 }, shift: { key: "maxShiftFraction", max: 0.5 }, contrast: { key: "maxContrastChange", max: 1 },
  brightness: { key: "maxBrightnessChange", max: 1 }, "shift-step": { key: "shiftStep", max: 64 }, "contrast-center": { key: "contrastCenter", max: 1 },
};

/** "flip=0,rotation=0,shift=0.0625": the X-ray augmentation's ranges, each within its bounds (the option keeps the text, which search copies into commands). */
function augmentSettings(value: string): AugmentOptions {
  const options: AugmentOptions = {};
  for (const pair of value.split(",").map((p) => p.trim()).filter(Boolean)) {
    const [name, text, extra] = pair.split("=");
    const setting = AUGMENT_SETTINGS[name];
    if (!setting || text === undefined || extra !== undefined) {
      throw new InvalidArgumentError(`expected key=value pairs with keys ${Object.keys(AUGMENT_SETTINGS).join(", ")}, got "${pair}"`);
    }
    const n = readNumber(text, { min: 0, max: setting.max });
    if (n === null) throw new InvalidArgumentError(`${name}: expected a number from 0 to ${setting.max}, got "${text}"`);
    options[setting.key] = n;
  }
  return options;
}
