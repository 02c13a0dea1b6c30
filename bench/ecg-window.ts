/**
 * Which beat window and regularisation suit the ECG network: trains the default network's ReLU
 * twin (ecg-cnn; about six times faster than the SNN) on the full MIT-BIH intra-patient split
 * (seed 1, batch 16, Adam 1e-3, cosine, 10 epochs: the benchmark settings) under one variant, and
 * prints its test accuracy and confusion matrix (rows true N, S, V, F, Q; columns predicted).
 *
 *   node dist/bench/ecg-window.js --rate=120 --before=120 --after=136 [--dropout=0.5] [--deep] [--augment] [--data=DIR] [--out=DIR]
 *
 * --deep: three convolution blocks (32 k7, 64 k5, 64 k5, each + ReLU + max-pool 2) instead of two.
 * Results: bench/results/ecg-window.md.
 */
import os from "node:os";
import path from "node:path";
import { useFastBackend } from "../src/core/index.js";
import { intraPatientSplit, loadBeatDataset } from "../src/data/ecg/index.js";
import { argmaxRows } from "../src/eval/index.js";
import { beatData } from "../src/experiment/index.js";
import { buildNetwork, ecgCnn, type LayerConfig } from "../src/model/index.js";
import { predictProbabilities, train } from "../src/train/index.js";

const args = new Map(process.argv.slice(2).map((a) => { const [k, v] = a.replace(/^--/, "").split("="); return [k, v ?? "1"] as [string, string]; }));
const rate = Number(args.get("rate") ?? 120);
const before = Number(args.get("before") ?? 120);
const after = Number(args.get("after") ?? 136);
const dropout = Number(args.get("dropout") ?? 0);
await useFastBackend({ threads: Number(args.get("threads") ?? 1) });

const beats = loadBeatDataset({ dataDir: args.get("data") ?? "../shared/data/mitdb", sampleRate: rate, windowBefore: before, windowAfter: after });
const split = intraPatientSplit(beats.y, { seed: 1 });
const data = beatData(beats, ecgCnn().features);
const relu: LayerConfig = { type: "relu" };
const convBlock = (filters: number, kernel: number): LayerConfig[] => [{ type: "conv1d", filters, kernel, padding: (kernel - 1) / 2 }, relu, { type: "maxpool", kernel: 2 }];
const head: LayerConfig[] = [
  { type: "flatten" }, { type: "append-features" }, ...(dropout > 0 ? [{ type: "dropout", p: dropout } as const] : []),
  { type: "dense", units: 128 }, relu, { type: "dense", units: 5 },
];
const body = args.has("deep") ? [...convBlock(32, 7), ...convBlock(64, 5), ...convBlock(64, 5)] : [...convBlock(32, 5), ...convBlock(64, 5)];
const model = { ...ecgCnn(), inputShape: [1, beats.windowLength], layers: [...body, ...head] };
const network = buildNetwork(model, 1);
const variant = `${rate} Hz, ${before} + ${after} samples, dropout ${dropout}${args.has("deep") ? ", deep" : ""}${args.has("augment") ? ", augmented" : ""}`;
console.error(`${variant}: ${network.parameterCount()} parameters`);
await train(network, data, { train: split.train, val: split.validation }, {
  epochs: 10, batchSize: 16, optimizer: { kind: "adam", lr: 1e-3 }, schedule: { kind: "cosine", totalEpochs: 10 },
  augment: args.has("augment"), seed: 1, runDir: args.get("out") ?? path.join(os.tmpdir(), "spikemed-ecg-window"),
});
const { probabilities } = predictProbabilities(network, data, split.test, 256);
const predicted = argmaxRows(probabilities, split.test.length, 5);
const confusion = Array.from({ length: 5 }, () => [0, 0, 0, 0, 0]);
let correct = 0;
split.test.forEach((i, r) => { confusion[beats.y[i]][predicted[r]]++; if (beats.y[i] === predicted[r]) correct++; });
console.log(`${variant}: test accuracy ${(100 * correct / split.test.length).toFixed(2)}% of ${split.test.length}; confusion ${JSON.stringify(confusion)}`);
