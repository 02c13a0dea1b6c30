/**
 * Optimizer step throughput: nanoseconds per parameter for Adam, AdamW and SGD (momentum,
 * Nesterov) on a 1M-parameter model split into 8 tensors.
 * Run: npx tsc -p . && node dist/bench/train-optim.js [--out bench/results/train-optim.md]
 */
import { writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { createOptimizer, type OptimizerConfig } from "../src/train/optim.js";
import type { Param } from "../src/train/param.js";
import { Rng } from "../src/core/random.js";

const SIZE = 1 << 20;
const TENSORS = 8;
const rng = new Rng(1);
const configs: [string, OptimizerConfig][] = [
  ["adam", { kind: "adam" }],
  ["adam amsgrad", { kind: "adam", amsgrad: true }],
  ["adamw", { kind: "adamw" }],
  ["sgd momentum", { kind: "sgd", lr: 0.01, momentum: 0.9 }],
  ["sgd nesterov + decay", { kind: "sgd", lr: 0.01, momentum: 0.9, nesterov: true, weightDecay: 1e-4 }],
];

const rows: string[] = [];
for (const [name, config] of configs) {
  const params: Param[] = Array.from({ length: TENSORS }, (_, t) => ({
    name: `t${t}`,
    value: Float32Array.from({ length: SIZE / TENSORS }, () => rng.normal()),
    grad: Float32Array.from({ length: SIZE / TENSORS }, () => rng.normal() * 0.01),
  }));
  const opt = createOptimizer(config, params);
  for (let i = 0; i < 5; i++) opt.step();
  const steps = 40;
  const start = process.hrtime.bigint();
  for (let i = 0; i < steps; i++) opt.step();
  const ns = Number(process.hrtime.bigint() - start) / steps;
  rows.push(`| ${name} | ${(ns / 1e6).toFixed(2)} | ${(ns / SIZE).toFixed(2)} |`);
}

const report = [
  "# Optimizer step throughput",
  "",
  `Command: \`node dist/bench/train-optim.js --out bench/results/train-optim.md\``,
  `Date: ${new Date().toISOString()}`,
  `Machine: ${cpus()[0].model}, Node ${process.version}`,
  `Model: ${SIZE.toLocaleString("en")} float32 parameters in ${TENSORS} tensors; mean of 40 steps after 5 warm-up steps.`,
  "",
  "| optimizer | ms per step | ns per parameter |",
  "|---|---:|---:|",
  ...rows,
  "",
].join("\n");
console.log(report);
const outIndex = process.argv.indexOf("--out");
if (outIndex > 0) writeFileSync(process.argv[outIndex + 1], report);
