import { after, test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Rng } from "../../src/core/index.js";
import { buildNetwork, type ModelConfig } from "../../src/model/index.js";
import { checkpointIn, evaluateLoss, predictProbabilities, train, type ClassificationData, type ScheduleConfig, type TrainOptions } from "../../src/train/index.js";
import { readCheckpoint } from "../../src/train/checkpoint.js";
import { loadTorchFixtures, maxRelativeError } from "./torch-fixtures.js";

/** Two classes of 1-d signals: a bump in the left half or in the right half, plus noise. */
function toyData(n: number, seed: number): ClassificationData {
  const rng = new Rng(seed);
  const L = 16;
  const x = new Float32Array(n * L);
  const labels = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    labels[i] = i % 2;
    const centre = (labels[i] === 0 ? 4 : 11) + rng.int(2);
    for (let l = 0; l < L; l++) x[i * L + l] = Math.exp(-((l - centre) ** 2) / 2) * 2 + 0.1 * rng.normal();
  }
  return {
    classNames: ["left", "right"], inputShape: [1, L], labels,
    fill: (indices, out) => Array.from(indices).forEach((idx, r) => out.signal.set(x.subarray(idx * L, (idx + 1) * L), r * L)),
  };
}

const model: ModelConfig = {
  name: "toy-snn", description: "toy", inputShape: [1, 16], classes: 2, timeSteps: 4, encoder: { kind: "direct" }, readout: "mean",
  layers: [
    { type: "conv1d", filters: 4, kernel: 3, padding: 1 }, { type: "lif", beta: 0.8 }, { type: "maxpool", kernel: 2 },
    { type: "flatten" }, { type: "dense", units: 8 }, { type: "lif", beta: 0.8, surrogate: "fast-sigmoid:5" }, { type: "dense", units: 2 },
  ],
};

const made: string[] = [];
after(() => { for (const dir of made) fs.rmSync(dir, { recursive: true, force: true }); });
const tmp = (): string => {
  made.push(fs.mkdtempSync(path.join(os.tmpdir(), "spikemed-train-")));
  return made[made.length - 1];
};
const silent = { write: () => true };
const range = (a: number, b: number): Int32Array => Int32Array.from({ length: b - a }, (_, i) => a + i);

function options(runDir: string, epochs: number): TrainOptions {
  return { epochs, batchSize: 8, optimizer: { kind: "adam", lr: 0.02 }, seed: 11, runDir, log: silent };
}

test("a network that gives every validation sample one class is warned about, naming the class, its share and the fix", async () => {
  // Inputs that carry nothing, 90% of them "left": the best a network can do is the prior.
  const n = 80;
  const labels = Uint8Array.from({ length: n }, (_, i) => (i % 10 === 9 ? 1 : 0));
  const blank: ClassificationData = { classNames: ["left", "right"], inputShape: [1, 16], labels, fill: (indices, out) => out.signal.fill(0, 0, indices.length * 16) };
  const result = await train(buildNetwork(model, 1), blank, { train: range(0, 60), val: range(60, 80) }, options(tmp(), 3));
  const collapse = result.warnings.filter((w) => /predicts left for every one of the 20 validation samples/.test(w));
  assert.equal(collapse.length, 2, result.warnings.join("\n"));
  assert.match(collapse[0], /^epoch 1: .* left is 90\.0% of the training set; weigh the classes \(--balance weights\)/);
  assert.match(collapse[1], /^the network kept from epoch \d still predicts left/);
  assert.ok(result.history.every((h) => h.valPredictsOnly === "left"));
});

test("a network that gives every validation sample a rare class is told that class's loss weight outweighs the rest", async () => {
  // The same blank inputs, the rare class weighted 1,000 times: the weighted loss is least when every answer is "right".
  const n = 80;
  const labels = Uint8Array.from({ length: n }, (_, i) => (i % 10 === 9 ? 1 : 0));
  const blank: ClassificationData = { classNames: ["left", "right"], inputShape: [1, 16], labels, fill: (indices, out) => out.signal.fill(0, 0, indices.length * 16) };
  const result = await train(buildNetwork(model, 1), blank, { train: range(0, 60), val: range(60, 80) }, { ...options(tmp(), 3), classWeights: [1, 1000] });
  const collapse = result.warnings.filter((w) => /predicts right for every one of the 20 validation samples/.test(w));
  assert.equal(collapse.length, 2, result.warnings.join("\n"));
  assert.match(collapse[0], /although right is 10\.0% of the training set: its loss weight \(1000, against 1 for left\) outweighs everything else\. Fix: cap the weights \(--max-class-weight\)/);
});

test("a tiny spiking network learns a separable toy problem to 100%", async () => {
  const data = toyData(96, 1);
  const net = buildNetwork(model, 1);
  const result = await train(net, data, { train: range(0, 64), val: range(64, 80) }, options(tmp(), 15));
  const test = range(80, 96);
  const { probabilities } = predictProbabilities(net, data, test, 16);
  let correct = 0;
  test.forEach((idx, r) => { if ((probabilities[2 * r + 1] > probabilities[2 * r] ? 1 : 0) === data.labels[idx]) correct++; });
  assert.equal(correct, test.length, `test accuracy ${correct}/${test.length}`);
  assert.ok(result.history.every((h) => Object.values(h.firingRates ?? {}).length === 2));
  assert.deepEqual(result.warnings, []);
});

test("the same seed gives the same weights bit for bit, and a resumed run ends where an uninterrupted one does", async () => {
  const data = toyData(48, 2);
  const split = { train: range(0, 32), val: range(32, 48) };
  const weights = (n: ReturnType<typeof buildNetwork>) => n.parameters().map((p) => Array.from(p.tensor.data));
  const full1 = buildNetwork(model, 3);
  const r1 = await train(full1, data, split, options(tmp(), 4));
  const full2 = buildNetwork(model, 3);
  await train(full2, data, split, options(tmp(), 4));
  assert.deepEqual(weights(full1), weights(full2));

  // Stop after 2 epochs (the checkpoint of epoch 2), then resume for the rest in a fresh network.
  const dir = tmp();
  await train(buildNetwork(model, 3), data, split, options(dir, 2));
  const resumed = buildNetwork(model, 3);
  const r2 = await train(resumed, data, split, { ...options(dir, 4), resume: true });
  assert.deepEqual(weights(resumed), weights(full1));
  assert.deepEqual(r2.history.map((h) => h.trainLoss), r1.history.map((h) => h.trainLoss));
});

test("the trainer sets the one-cycle rate and beta1 before every batch, as torch's OneCycleLR steps them", async () => {
  const torch = loadTorchFixtures().oneCycles.find((c) => c.name === "adamw-pct0.1")!;
  const epochs = torch.config.totalEpochs;
  const dir = tmp();
  const data = toyData(72, 4);
  // 56 training samples in batches of 8: the 7 batches an epoch of the torch case.
  const result = await train(buildNetwork(model, 5), data, { train: range(0, 56), val: range(56, 72) },
    { ...options(dir, epochs), optimizer: { kind: "adamw", lr: torch.maxLr, weightDecay: 0.05 }, schedule: torch.config as ScheduleConfig });
  const lastOfEpoch = result.history.map((h) => h.learningRate!);
  const torchLastOfEpoch = Array.from({ length: epochs }, (_, e) => torch.lrs[(e + 1) * torch.batchesPerEpoch - 1]);
  assert.ok(maxRelativeError(lastOfEpoch, torchLastOfEpoch) < 1e-12, `${lastOfEpoch.join(", ")} vs torch ${torchLastOfEpoch.join(", ")}`);
  const saved = readCheckpoint(checkpointIn(dir)).meta as { optimizer: { hyper: { beta1: number; lr: number } } };
  assert.ok(Math.abs(saved.optimizer.hyper.beta1 - torch.momenta.at(-1)!) < 1e-12, `beta1 ${saved.optimizer.hyper.beta1}`);
  assert.equal(saved.optimizer.hyper.lr, lastOfEpoch.at(-1));
});

test("label smoothing reaches the training loss: at learning rate 0 the epoch's loss is the smoothed cross-entropy of the network's own outputs", async () => {
  const data = toyData(32, 6);
  const trainIndices = range(0, 32);
  const net = buildNetwork(model, 7);
  const result = await train(net, data, { train: trainIndices, val: range(0, 0) },
    { ...options(tmp(), 1), optimizer: { kind: "sgd", lr: 0 }, labelSmoothing: 0.2 });
  const { probabilities } = predictProbabilities(net, data, trainIndices, 32);
  let expected = 0;
  trainIndices.forEach((idx, r) => {
    const logp = [Math.log(probabilities[2 * r]), Math.log(probabilities[2 * r + 1])];
    expected += -(0.8 * logp[data.labels[idx]]) - 0.1 * (logp[0] + logp[1]);
  });
  expected /= trainIndices.length;
  assert.ok(Math.abs(result.history[0].trainLoss - expected) < 1e-5, `${result.history[0].trainLoss} vs ${expected}`);
  await assert.rejects(train(buildNetwork(model, 7), data, { train: trainIndices, val: range(0, 0) }, { ...options(tmp(), 1), labelSmoothing: 1 }),
    /--label-smoothing must be at least 0 and under 1, got 1/);
});

test("the one-cycle schedule refuses SGD without momentum before training", async () => {
  await assert.rejects(train(buildNetwork(model, 1), toyData(32, 1), { train: range(0, 32), val: range(0, 0) },
    { ...options(tmp(), 4), optimizer: { kind: "sgd", lr: 0.1 }, schedule: { kind: "onecycle", totalEpochs: 4 } }),
  /the one-cycle schedule cycles SGD's momentum, and this SGD has none.*--momentum 0\.9/s);
});

test("resume refuses a run started with other settings, naming each difference; more epochs under a constant schedule are allowed", async () => {
  const data = toyData(48, 2);
  const split = { train: range(0, 32), val: range(32, 48) };
  const dir = tmp();
  await train(buildNetwork(model, 3), data, split, { ...options(dir, 2), settings: { model: { timeSteps: 4 } } });
  const resume = (changes: Partial<TrainOptions>, otherSplit = split) =>
    train(buildNetwork(model, 3), data, otherSplit, { ...options(dir, 3), settings: { model: { timeSteps: 4 } }, ...changes, resume: true });
  await assert.rejects(resume({ optimizer: { kind: "adam", lr: 0.01 } }),
    (e: Error) => e.name === "SpikemedError" && /was started with other settings:\n {2}train\.optimizer\.lr: 0\.02 when the run started, 0\.01 now$/m.test(e.message));
  await assert.rejects(resume({ augment: true }), /train\.augment: \(not set\) when the run started, true now/);
  await assert.rejects(resume({ settings: { model: { timeSteps: 8 } } }), /context\.model\.timeSteps: 4 when the run started, 8 now/);
  // Another split of the same size: only the fingerprint tells.
  await assert.rejects(resume({}, { train: range(16, 48), val: range(0, 16) }), /split\.fingerprint: "[0-9a-f]{8}" when the run started, "[0-9a-f]{8}" now/);
  const continued = await resume({});
  assert.equal(continued.history.length, 3);
});

test("resume without a checkpoint names the missing file", async () => {
  const dir = tmp();
  await assert.rejects(train(buildNetwork(model, 1), toyData(8, 1), { train: range(0, 8), val: range(0, 0) }, { ...options(dir, 1), resume: true }),
    /--resume: no checkpoint at .*last\.ckpt/);
});

test("validation metrics of a network that always answers the first class: accuracy 3/4, balanced accuracy 1/2, (weighted) loss by hand", () => {
  const always: ModelConfig = {
    name: "always-left", description: "bias only", inputShape: [1, 16], classes: 2, timeSteps: 1, encoder: { kind: "direct" }, readout: "mean",
    layers: [{ type: "flatten" }, { type: "dense", units: 2 }],
  };
  const net = buildNetwork(always, 1);
  const [weight, bias] = net.parameters();
  weight.tensor.data.fill(0);
  bias.tensor.data.set([1, 0]);
  const data = toyData(8, 3);
  const indices = Int32Array.from([0, 2, 4, 1]); // labels 0, 0, 0, 1
  const p = Math.E / (Math.E + 1);
  const plain = evaluateLoss(net, data, indices, 4);
  assert.equal(plain.accuracy, 0.75);
  assert.equal(plain.balancedAccuracy, 0.5);
  assert.ok(Math.abs(plain.loss - -(3 * Math.log(p) + Math.log(1 - p)) / 4) < 1e-6, `loss ${plain.loss}`);
  const weighted = evaluateLoss(net, data, indices, 4, [1, 3]);
  assert.ok(Math.abs(weighted.loss - -(3 * Math.log(p) + 3 * Math.log(1 - p)) / 6) < 1e-6, `weighted loss ${weighted.loss}`);
});

test("micro-batches give the whole batch's gradient: the same training, class-weighted too, to float rounding", async () => {
  const data = toyData(40, 4);
  const split = { train: range(0, 40), val: range(0, 0) };
  const weights = (n: ReturnType<typeof buildNetwork>) => n.parameters().flatMap((p) => Array.from(p.tensor.data));
  const whole = buildNetwork(model, 5);
  const chunked = buildNetwork(model, 5);
  // Plain SGD: unlike Adam it is not blind to the gradient's scale.
  const base = { ...options(tmp(), 2), optimizer: { kind: "sgd" as const, lr: 0.1 }, classWeights: [1, 3] };
  const a = await train(whole, data, split, base);
  const b = await train(chunked, data, split, { ...base, runDir: tmp(), microBatch: 3 });
  const [wa, wb] = [weights(whole), weights(chunked)];
  const worst = Math.max(...wa.map((v, i) => Math.abs(v - wb[i])));
  assert.ok(worst < 1e-4, `largest weight difference ${worst}`);
  assert.ok(wa.some((v, i) => v !== weights(buildNetwork(model, 5))[i]), "training moved the weights");
  assert.ok(Math.abs(a.history[1].trainLoss - b.history[1].trainLoss) < 1e-4);
  await assert.rejects(train(buildNetwork(model, 5), data, split, { ...base, runDir: tmp(), microBatch: 0 }), /--micro-batch must be a positive integer/);
});
