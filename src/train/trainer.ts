import fs from "node:fs";
import path from "node:path";
import * as ops from "../core/index.js";
import { backward, Rng, SpikemedError, tidy, withFiniteChecks } from "../core/index.js";
import { balancedSample, classCounts } from "../data/labels.js";
import { oneClassAnswered } from "../eval/metrics.js";
import type { EpochRecord } from "../eval/report.js";
import type { Network } from "../model/network.js";
import { epochBatches } from "./batches.js";
import { batchBuffers, batchOf, bufferRange, predictProbabilities, type BatchBuffers, type ClassificationData } from "./data.js";
import { loadTrainingCheckpoint, saveTrainingCheckpoint, type TrainingParts } from "./checkpoint.js";
import { activityPenaltyLoss, SpikeCollector, type ActivityPenalty } from "../model/activity-penalty.js";
import { assertFiniteGrads, clipGradNorm } from "./clip.js";
import { EarlyStopping } from "./early-stopping.js";
import { GracefulStop } from "./interrupt.js";
import { createOptimizer, type OptimizerConfig } from "./optim.js";
import type { Param } from "./param.js";
import { EpochTable, ProgressBar, type OutputStream } from "./progress.js";
import { checkSameSettings, runSettings, type RunSettings } from "./run-settings.js";
import { createSchedule, type ScheduleConfig } from "./schedule.js";

/** A labelled data set the trainer can draw batches from. */
export type Monitor = "val_loss" | "val_accuracy" | "val_balanced_accuracy";

/** Samples per inference batch: a network trained in micro-batches holds only a micro-batch's activations. */
export function inferenceBatchSize(options: Pick<TrainOptions, "batchSize" | "microBatch">): number {
  return options.microBatch ?? options.batchSize;
}

export interface TrainOptions {
  epochs: number;
  batchSize: number;
  optimizer: OptimizerConfig;
  schedule?: ScheduleConfig;
  /** Clip the global gradient norm to this value. */
  clipNorm?: number;
  /** Per-class loss weights (e.g. from classWeights()). */
  classWeights?: number[];
  /** Label smoothing of the training loss (ops.crossEntropy's labelSmoothing, with class weights per sample); validation loss stays plain cross-entropy. */
  labelSmoothing?: number;
  /** "balanced" draws every epoch's training set with equal counts per class. */
  sampling?: "shuffle" | "balanced";
  /**
   * Computes each batch in chunks of this many samples and sums their gradients: the batch's
   * gradient in the memory of a chunk (batch-norm statistics are then per chunk).
   */
  microBatch?: number;
  /** Stop when the validation metric has not improved for this many epochs. */
  patience?: number;
  /**
   * Metric that picks the best epoch (and drives early stopping and reduce-on-plateau). Balanced
   * accuracy (the mean recall of the classes present) weighs a rare class like a common one.
   */
  monitor?: Monitor;
  augment?: boolean;
  seed: number;
  /** Folder for checkpoints (last.ckpt, rewritten atomically every epoch and on Ctrl-C). */
  runDir: string;
  resume?: boolean;
  /** Where progress and the epoch table go (default stderr). */
  log?: OutputStream;
  /** Installs the Ctrl-C handler that checkpoints and exits (command line); off for library use. */
  handleSignals?: boolean;
  /** Balanced sampling: draws per class per epoch (default: the median class count). */
  balancedPerClass?: number;
  /**
   * What else the result depends on (the model, the data's settings), recorded in the checkpoint
   * with these options and the split, and compared on `resume`.
   */
  settings?: RunSettings;
}

/**
 * The options keys that change what training computes (not where it logs or how many threads it
 * uses), recorded in the checkpoint and compared on `resume`. Not `epochs`: a run may be continued
 * for more epochs where its schedule allows it (a cosine schedule records its length, and is compared).
 */
const RESULT_KEYS = ["batchSize", "optimizer", "schedule", "clipNorm", "classWeights", "labelSmoothing", "sampling", "microBatch",
  "patience", "monitor", "augment", "seed", "balancedPerClass"] as const satisfies readonly (keyof TrainOptions)[];

export interface TrainResult {
  history: EpochRecord[];
  /** 1-based epoch whose weights the network holds at the end (the best by the monitored metric). */
  bestEpoch: number;
  warnings: string[];
  seconds: number;
  trainedSamples: number;
}

/** The checkpoint a run folder holds while its training is unfinished (and after, for --resume). */
export function checkpointIn(runDir: string): string {
  return path.join(runDir, "last.ckpt");
}

/** Parameters and buffers of a network in the optimiser's terms. */
export function networkParams(network: Network): Param[] {
  return network.parameters().map((p) => ({ name: p.name, value: p.tensor.data, grad: p.tensor.grad as Float32Array }));
}

/**
 * Trains `network` on `split.train`, validating on `split.val` after every epoch, and leaves it
 * holding the weights of its best epoch. Resumable: a run stopped at any point and continued
 * with `resume` ends with the same weights, bit for bit, as one that was never stopped.
 */
export async function train(network: Network, data: ClassificationData, split: { train: Int32Array; val: Int32Array },
  options: TrainOptions): Promise<TrainResult> {
  validateOptions(options, split);
  const penalty = network.options.activityPenalty;
  if (penalty) SpikeCollector.check(penalty, network.neuronLayers());
  const log = options.log ?? process.stderr;
  const params = networkParams(network);
  const buffers = network.buffers();
  const optimizer = createOptimizer(options.optimizer, params);
  const baseLr = optimizer.lr;
  const root = new Rng(options.seed);
  const epochIndicesOf = (epoch: number): Int32Array => options.sampling === "balanced"
    ? balancedSample(split.train, data.labels, root.fork(`balance/epoch-${epoch}`).nextUint32(), options.balancedPerClass ?? medianClassCount(split.train, data.labels, data.classNames.length))
    : split.train;
  const schedule = createSchedule(baseLr, options.schedule ?? { kind: "constant" }, Math.ceil(epochIndicesOf(0).length / options.batchSize));
  const monitor = options.monitor ?? "val_loss";
  const balanced = monitor === "val_balanced_accuracy";
  const earlyStopping = new EarlyStopping({ mode: monitor === "val_loss" ? "min" : "max", patience: options.patience ?? options.epochs });
  const rngs = { forward: root.fork("forward"), augment: root.fork("augment") };
  const parts: TrainingParts = { params, optimizer, schedule, earlyStopping, rngs };
  const checkpointFile = checkpointIn(options.runDir);
  const settings = runSettings(options, RESULT_KEYS, data, split);
  fs.mkdirSync(options.runDir, { recursive: true });

  let history: EpochRecord[] = [];
  let best = new Map<string, Float32Array>();
  let start = { epoch: 0, batch: 0, lossSum: 0, correct: 0, seen: 0, seconds: 0 };
  if (options.resume) {
    if (!fs.existsSync(checkpointFile)) {
      throw new SpikemedError(`--resume: no checkpoint at ${checkpointFile}`, "start the run without --resume, or point --out at the run folder to continue");
    }
    const { meta, extraTensors } = loadTrainingCheckpoint(checkpointFile, parts, (saved) => checkSameSettings(saved.settings, settings, checkpointFile));
    start = meta.position as typeof start;
    history = meta.history as EpochRecord[];
    for (const b of buffers) {
      const saved = extraTensors.get(`buffer.${b.name}`);
      if (saved) b.tensor.data.set(saved);
    }
    best = new Map([...extraTensors].filter(([k]) => k.startsWith("best.")));
    log.write(`resuming from ${checkpointFile}: epoch ${start.epoch + 1}, batch ${start.batch}\n`);
  }

  const snapshot = (): Map<string, Float32Array> => {
    const m = new Map<string, Float32Array>();
    for (const p of params) m.set(`best.param.${p.name}`, p.value.slice());
    for (const b of buffers) m.set(`best.buffer.${b.name}`, b.tensor.data.slice());
    return m;
  };
  const extras = (): Map<string, Float32Array> => {
    const m = new Map(best);
    for (const b of buffers) m.set(`buffer.${b.name}`, b.tensor.data);
    return m;
  };
  const save = (position: typeof start): void => saveTrainingCheckpoint(checkpointFile, parts, { position, history, settings }, extras());

  let position = { ...start };
  const stop = options.handleSignals
    ? new GracefulStop({ onStop: () => { save(position); log.write(`\nstopped; checkpoint written to ${checkpointFile}; continue with --resume\n`); }, stream: log })
    : null;

  const layerNames = network.neuronLayers().map((l) => l.name);
  const table = new EpochTable({ stream: log, layerNames, showLr: true, showBalancedAccuracy: balanced });
  const warnings: string[] = [];
  const batchValues = batchBuffers(data, options.batchSize);
  const began = Date.now() - start.seconds * 1000;
  let trainedSamples = 0;

  try {
    for (let epoch = start.epoch; epoch < options.epochs && !earlyStopping.shouldStop; epoch++) {
      const epochStart = Date.now();
      const epochIndices = epochIndicesOf(epoch);
      const batches = epochBatches(epochIndices, { batchSize: options.batchSize, shuffle: true, rng: root.fork(`shuffle/epoch-${epoch}`) });
      const resumed = epoch === start.epoch ? start : { epoch, batch: 0, lossSum: 0, correct: 0, seen: 0, seconds: 0 };
      let { lossSum, correct, seen } = resumed;
      network.resetActivity();
      const bar = new ProgressBar({ total: epochIndices.length, label: `epoch ${epoch + 1}/${options.epochs}`, stream: log });
      for (let k = resumed.batch; k < batches.count; k++) {
        const indices = batches.batch(k);
        const step = trainStep(network, data, indices, batchValues, params, options, rngs, penalty);
        const batchSchedule = schedule.atBatch(k);
        optimizer.lr = batchSchedule.lr;
        if (batchSchedule.momentum !== null) optimizer.momentum = batchSchedule.momentum;
        optimizer.step();
        lossSum += step.loss * indices.length;
        correct += step.correct;
        seen += indices.length;
        trainedSamples += indices.length;
        if (epoch === 0 && k === 0) {
          for (const w of network.activityWarnings()) if (w.kind === "silent") { warnings.push(w.message); log.write(`\nwarning: ${w.message}\n`); }
        }
        position = { epoch, batch: k + 1, lossSum, correct, seen, seconds: (Date.now() - began) / 1000 };
        bar.update(seen, { loss: lossSum / seen, accuracy: correct / seen });
        if (stop) await stop.poll();
      }
      bar.finish();
      const activity = network.activity();
      const val = split.val.length > 0 ? evaluateLoss(network, data, split.val, inferenceBatchSize(options), options.classWeights) : null;
      const record: EpochRecord = {
        epoch: epoch + 1, trainLoss: lossSum / seen, trainAccuracy: correct / seen,
        valLoss: val?.loss ?? null, valAccuracy: val?.accuracy ?? null, ...(balanced ? { valBalancedAccuracy: val?.balancedAccuracy ?? null } : {}),
        ...(val && val.predictsOnly !== null ? { valPredictsOnly: data.classNames[val.predictsOnly] } : {}),
        learningRate: optimizer.lr,
        firingRates: Object.fromEntries([...activity].map(([name, s]) => [name, s.rate])),
        seconds: (Date.now() - epochStart) / 1000,
      };
      if (record.valPredictsOnly !== undefined && !history.some((h) => h.valPredictsOnly !== undefined)) {
        const message = `epoch ${epoch + 1}: the network ${collapseMessage(record.valPredictsOnly, split, data, options.classWeights)}`;
        warnings.push(message);
        log.write(`warning: ${message}\n`);
      }
      history.push(record);
      // The epoch's training activity, not the validation pass that has run through the layers since.
      for (const w of network.activityWarnings(activity)) {
        const message = `epoch ${epoch + 1}: ${w.message}`;
        warnings.push(message);
        log.write(`warning: ${message}\n`);
      }
      // Without validation data the latest epoch counts as the best.
      const metric = val ? { val_loss: val.loss, val_accuracy: val.accuracy, val_balanced_accuracy: val.balancedAccuracy }[monitor] : (monitor === "val_loss" ? -epoch : epoch);
      const improved = earlyStopping.update(epoch + 1, metric);
      if (improved) best = snapshot();
      table.row({
        epoch: epoch + 1, trainLoss: record.trainLoss, trainAccuracy: record.trainAccuracy,
        valLoss: val?.loss, valAccuracy: val?.accuracy, valBalancedAccuracy: balanced ? val?.balancedAccuracy : undefined, lr: optimizer.lr, seconds: record.seconds ?? 0,
        firingRates: layerNames.map((n) => activity.get(n)?.rate ?? 0), note: improved ? "best" : undefined,
      });
      schedule.step(val ? metric : undefined);
      position = { epoch: epoch + 1, batch: 0, lossSum: 0, correct: 0, seen: 0, seconds: (Date.now() - began) / 1000 };
      save(position);
    }
  } finally {
    stop?.dispose();
  }

  restoreBest(params, buffers, best);
  const kept = history[earlyStopping.bestEpoch - 1]?.valPredictsOnly;
  if (kept !== undefined) {
    const message = `the network kept from epoch ${earlyStopping.bestEpoch} still ${collapseMessage(kept, split, data, options.classWeights)}`;
    warnings.push(message);
    log.write(`warning: ${message}\n`);
  }
  return { history, bestEpoch: earlyStopping.bestEpoch, warnings, seconds: (Date.now() - began) / 1000, trainedSamples };
}

function trainStep(network: Network, data: ClassificationData, indices: Int32Array, buffers: BatchBuffers, params: Param[],
  options: TrainOptions, rngs: { forward: Rng; augment: Rng }, penalty?: ActivityPenalty): { loss: number; correct: number } {
  const n = indices.length;
  const inputs = bufferRange(data, buffers, 0, n);
  data.fill(indices, inputs, options.augment ? rngs.augment : undefined);
  const labels = Array.from(indices, (i) => data.labels[i]);
  for (const p of params) p.grad.fill(0);
  const forwardState = rngs.forward.getState();
  // Micro-batches: each chunk's summed loss over the whole batch's weight total, so the
  // accumulated gradient is the batch's mean-loss gradient (batch statistics are per chunk).
  const chunk = Math.min(n, options.microBatch ?? n);
  const weightTotal = labels.reduce((sum, y) => sum + (options.classWeights ? options.classWeights[y] : 1), 0);
  const run = (): { loss: number; correct: number } => {
    let loss = 0;
    let correct = 0;
    for (let s = 0; s < n; s += chunk) {
      const m = Math.min(chunk, n - s);
      const part = labels.slice(s, s + m);
      tidy(() => {
        const x = batchOf(data, bufferRange(data, inputs, s, m), m);
        const spikes = penalty ? new SpikeCollector(penalty) : null;
        const logits = network.forward(x, { training: true, rng: rngs.forward, ...(spikes ? { observe: spikes.observe } : {}) });
        const { classWeights, labelSmoothing } = options;
        // A whole batch keeps the mean reduction, so runs without micro-batches stay bit-identical to before.
        const mean = m === n ? ops.crossEntropy(logits, part, { classWeights, labelSmoothing })
          : ops.affine(ops.crossEntropy(logits, part, { classWeights, labelSmoothing, reduction: "sum" }), 1 / weightTotal);
        // The penalty of a chunk counts by its share of the batch; the reported loss stays the cross-entropy.
        backward(spikes ? ops.add(mean, ops.scale(activityPenaltyLoss(penalty!, spikes.collected), m / n)) : mean);
        loss += mean.item();
        correct += countCorrect(logits.data, part, logits.shape[1]);
      });
    }
    return { loss, correct };
  };
  const result = run();
  if (!Number.isFinite(result.loss) || params.some((p) => !allFinite(p.grad))) {
    // Run the same batch again, with the same randomness, checking every op, to name the culprit.
    rngs.forward.setState(forwardState);
    for (const p of params) p.grad.fill(0);
    withFiniteChecks(run);
    assertFiniteGrads(params, "training step");
    throw new SpikemedError(`training step: the loss is ${result.loss}`, "lower the learning rate or clip gradients (--clip-norm)");
  }
  if (options.clipNorm) clipGradNorm(params, options.clipNorm);
  return result;
}

/** Mean loss, accuracy and balanced accuracy (mean recall of the classes present) over `indices`, without gradients. */
export function evaluateLoss(network: Network, data: ClassificationData, indices: Int32Array, batchSize: number,
  classWeights?: number[]): { loss: number; accuracy: number; balancedAccuracy: number; predictsOnly: number | null } {
  const { probabilities } = predictProbabilities(network, data, indices, batchSize);
  const K = data.classNames.length;
  let loss = 0;
  let norm = 0;
  let correct = 0;
  const perClass = new Int32Array(K);
  const correctPerClass = new Int32Array(K);
  const predicted = new Int32Array(K);
  for (let r = 0; r < indices.length; r++) {
    const y = data.labels[indices[r]];
    const w = classWeights ? classWeights[y] : 1;
    loss -= w * Math.log(Math.max(probabilities[r * K + y], 1e-30));
    norm += w;
    perClass[y]++;
    const guess = argmax(probabilities, r * K, K);
    predicted[guess]++;
    if (guess === y) { correct++; correctPerClass[y]++; }
  }
  let recallSum = 0;
  let present = 0;
  for (let k = 0; k < K; k++) if (perClass[k] > 0) { recallSum += correctPerClass[k] / perClass[k]; present++; }
  return { loss: loss / norm, accuracy: correct / indices.length, balancedAccuracy: present > 0 ? recallSum / present : 0, predictsOnly: oneClassAnswered(perClass, predicted) };
}

/**
 * What follows "the network" when it gives every validation sample the same class: why that is
 * no classifier, and what to change. The X-ray replication's symptom (accuracy = the class's
 * share, ROC AUC 0.5), which spiking layers that do fire can also reach when one class dominates
 * the training set; or, when the class is a rare one, a loss weight that outweighs all the others.
 */
function collapseMessage(className: string, split: { train: Int32Array; val: Int32Array }, data: ClassificationData, classWeights?: number[]): string {
  const k = data.classNames.indexOf(className);
  const counts = classCounts(data.labels, data.classNames.length, split.train);
  const common = counts.indexOf(Math.max(...counts));
  const share = `${className} is ${(100 * counts[k] / Math.max(1, split.train.length)).toFixed(1)}% of the training set`;
  const start = `predicts ${className} for every one of the ${split.val.length} validation samples`;
  if (k === common) {
    return `${start}: it has learnt how common the classes are, not what tells them apart (accuracy = the share of ${className}, ROC AUC near 0.5). ` +
      `Fix: ${share}; weigh the classes (--balance weights), train longer, or change the learning rate`;
  }
  if (classWeights && classWeights[k] > classWeights[common]) {
    return `${start}, although ${share}: its loss weight (${+classWeights[k].toPrecision(3)}, against ${+classWeights[common].toPrecision(3)} for ${data.classNames[common]}) outweighs everything else. ` +
      `Fix: cap the weights (--max-class-weight), soften them (--balance sqrt-weights), or lower the learning rate`;
  }
  return `${start}, although ${share}: it has learnt nothing that tells the classes apart. Fix: train longer, or change the learning rate`;
}

function restoreBest(params: Param[], buffers: { name: string; tensor: { data: Float32Array } }[], best: Map<string, Float32Array>): void {
  if (best.size === 0) return;
  for (const p of params) {
    const saved = best.get(`best.param.${p.name}`);
    if (saved) p.value.set(saved);
  }
  for (const b of buffers) {
    const saved = best.get(`best.buffer.${b.name}`);
    if (saved) b.tensor.data.set(saved);
  }
}

function medianClassCount(indices: Int32Array, labels: ArrayLike<number>, classes: number): number {
  const sizes = Array.from(classCounts(labels, classes, indices)).filter((c) => c > 0).sort((a, b) => a - b);
  return sizes[Math.floor(sizes.length / 2)];
}

function countCorrect(logits: Float32Array, labels: number[], K: number): number {
  let correct = 0;
  for (let r = 0; r < labels.length; r++) if (argmax(logits, r * K, K) === labels[r]) correct++;
  return correct;
}

function argmax(values: ArrayLike<number>, offset: number, k: number): number {
  let best = 0;
  for (let j = 1; j < k; j++) if (values[offset + j] > values[offset + best]) best = j;
  return best;
}

function allFinite(a: Float32Array): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] - a[i] !== 0) return false;
  return true;
}

function validateOptions(o: TrainOptions, split: { train: Int32Array; val: Int32Array }): void {
  if (!Number.isInteger(o.epochs) || o.epochs < 1) throw new SpikemedError(`--epochs must be a positive integer, got ${o.epochs}`);
  if (!Number.isInteger(o.batchSize) || o.batchSize < 1) throw new SpikemedError(`--batch-size must be a positive integer, got ${o.batchSize}`);
  if (o.microBatch !== undefined && (!Number.isInteger(o.microBatch) || o.microBatch < 1)) {
    throw new SpikemedError(`--micro-batch must be a positive integer, got ${o.microBatch}`);
  }
  if (split.train.length === 0) throw new SpikemedError("the training split is empty", "check --data and the split options");
  if (o.labelSmoothing !== undefined && !(o.labelSmoothing >= 0 && o.labelSmoothing < 1)) {
    throw new SpikemedError(`--label-smoothing must be at least 0 and under 1, got ${o.labelSmoothing}`, "e.g. 0.1");
  }
  const cyclesMomentum = o.schedule?.kind === "onecycle" && o.schedule.cycleMomentum !== false;
  if (cyclesMomentum && o.optimizer.kind === "sgd" && !((o.optimizer.momentum ?? 0) > 0)) {
    throw new SpikemedError("the one-cycle schedule cycles SGD's momentum, and this SGD has none", "give SGD a momentum (--momentum 0.9), or use adam or adamw");
  }
}
