import { Rng } from "../../src/core/random.js";
import { epochBatches } from "../../src/train/batches.js";
import { loadTrainingCheckpoint, saveTrainingCheckpoint, type TrainingParts } from "../../src/train/checkpoint.js";
import { clipGradNorm } from "../../src/train/clip.js";
import { EarlyStopping } from "../../src/train/early-stopping.js";
import { AdamW } from "../../src/train/optim.js";
import type { Param } from "../../src/train/param.js";
import { createSchedule } from "../../src/train/schedule.js";

/**
 * A small but complete training loop (linear regression with random feature dropout), written
 * the way the real trainer should use the pieces, so tests can check that stopping anywhere,
 * saving and resuming gives bit-for-bit the same result as an uninterrupted run.
 */

const FEATURES = 6;
const SAMPLES = 50;
const BATCH = 8;
const SEED = 2024;

export interface ToyResult {
  weights: Float32Array;
  history: { epoch: number; trainLoss: number; valLoss: number; lr: number }[];
  bestEpoch: number;
}

export interface ToyOptions {
  epochs: number;
  /** Stop (as Ctrl-C would) after this many batches of this epoch, saving to `checkpoint`. */
  stopAt?: { epoch: number; batch: number };
  checkpoint?: string;
  resume?: boolean;
}

function makeData(): { x: Float32Array; y: Float32Array } {
  const rng = new Rng(SEED).fork("data");
  const x = new Float32Array(SAMPLES * FEATURES);
  const y = new Float32Array(SAMPLES);
  for (let i = 0; i < SAMPLES; i++) {
    let target = 0.3;
    for (let f = 0; f < FEATURES; f++) {
      const v = rng.normal();
      x[i * FEATURES + f] = v;
      target += (f - 2.5) * 0.4 * v;
    }
    y[i] = target + 0.1 * rng.normal();
  }
  return { x, y };
}

export function runToyTraining(options: ToyOptions): ToyResult | "stopped" {
  const { x, y } = makeData();
  const weights: Param = { name: "linear.weight", value: new Float32Array(FEATURES), grad: new Float32Array(FEATURES) };
  const bias: Param = { name: "linear.bias", value: new Float32Array(1), grad: new Float32Array(1) };
  const root = new Rng(SEED);
  const init = root.fork("init");
  for (let f = 0; f < FEATURES; f++) weights.value[f] = 0.1 * init.normal();
  const dropout = root.fork("dropout");
  const optimizer = new AdamW([weights, bias], { lr: 0.05 });
  const schedule = createSchedule(0.05, { kind: "cosine", totalEpochs: options.epochs, warmupEpochs: 1 });
  const earlyStopping = new EarlyStopping({ patience: 100 });
  const parts: TrainingParts = { params: [weights, bias], optimizer, schedule, earlyStopping, rngs: { dropout } };

  let history: ToyResult["history"] = [];
  let best: Float32Array = new Float32Array(FEATURES);
  let startEpoch = 0;
  let startBatch = 0;
  let lossSum = 0;
  if (options.resume) {
    const { meta, extraTensors } = loadTrainingCheckpoint(options.checkpoint!, parts);
    ({ epoch: startEpoch, nextBatch: startBatch, lossSum } = meta as { epoch: number; nextBatch: number; lossSum: number });
    history = meta.history as ToyResult["history"];
    best = extraTensors.get("best.linear.weight")!;
  }

  for (let epoch = startEpoch; epoch < options.epochs; epoch++) {
    optimizer.lr = schedule.lr;
    // The order depends only on the seed and the epoch, so a resumed run rebuilds it.
    const batches = epochBatches(SAMPLES, { batchSize: BATCH, shuffle: true, rng: root.fork(`shuffle/epoch-${epoch}`) });
    const first = startBatch;
    startBatch = 0;
    if (first === 0) lossSum = 0;
    for (let k = first; k < batches.count; k++) {
      if (options.stopAt && options.stopAt.epoch === epoch && options.stopAt.batch === k) {
        saveTrainingCheckpoint(options.checkpoint!, parts, { epoch, nextBatch: k, lossSum, history }, new Map([["best.linear.weight", best]]));
        return "stopped";
      }
      weights.grad.fill(0);
      bias.grad.fill(0);
      for (const i of batches.batch(k)) {
        let pred = bias.value[0];
        for (let f = 0; f < FEATURES; f++) {
          if (dropout.uniform() < 0.1) continue;
          pred += weights.value[f] * x[i * FEATURES + f];
        }
        const err = pred - y[i];
        lossSum += err * err;
        for (let f = 0; f < FEATURES; f++) weights.grad[f] += (2 * err * x[i * FEATURES + f]) / BATCH;
        bias.grad[0] += (2 * err) / BATCH;
      }
      clipGradNorm([weights, bias], 5);
      optimizer.step();
    }
    let valLoss = 0;
    for (let i = 0; i < SAMPLES; i++) {
      let pred = bias.value[0];
      for (let f = 0; f < FEATURES; f++) pred += weights.value[f] * x[i * FEATURES + f];
      valLoss += (pred - y[i]) ** 2 / SAMPLES;
    }
    history.push({ epoch, trainLoss: lossSum / SAMPLES, valLoss, lr: optimizer.lr });
    if (earlyStopping.update(epoch, valLoss)) best = weights.value.slice();
    schedule.step();
  }
  return { weights: weights.value.slice(), history, bestEpoch: earlyStopping.bestEpoch };
}
