/**
 * Speed of the default ECG SNN (ecg-snn, T = 8) on real MIT-BIH beats from the embedded sample:
 * training beats per second (forward over T, backward, Adam) at batch 16 (the ECG paper's) and 32,
 * and inference beats per second at batch 256, against the same network written the way snnTorch
 * runs it (bench/torch/snn_bench.py: a Python loop over time steps) in the same sitting.
 * Writes bench/results/ecg-speed.md, or --out=FILE; --python=INTERPRETER names the Python that holds
 * torch (Debian's by default) and --threads=N sets both sides' threads.
 */
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import { backendLabel } from "./backend-label.js";
import { backward, crossEntropy, noGrad, Rng, tidy, useFastBackend } from "../src/core/index.js";
import { loadBeatDataset } from "../src/data/ecg/index.js";
import { buildNetwork, ecgSnn } from "../src/model/index.js";
import { beatData } from "../src/experiment/index.js";
import { Adam, batchBuffers, batchOf, networkParams, type BatchBuffers } from "../src/train/index.js";

const args = new Map(process.argv.slice(2).map((a) => a.replace(/^--/, "").split("=") as [string, string]));
const steps = Number(args.get("steps") ?? 30);
const threads = Number(args.get("threads") ?? 2);
const python = args.get("python") ?? "/usr/bin/python3";
const out = args.get("out") ?? "bench/results/ecg-speed.md";
await useFastBackend({ threads });

const beats = loadBeatDataset();
const features = ecgSnn(8).features ?? [];
const data = beatData(beats, features);
const F = features.length;
const rng = new Rng(7);
/** n random beats: their 256-sample windows and their RR/amplitude features. */
const pick = (n: number): { x: BatchBuffers; y: number[] } => {
  const indices = Array.from({ length: n }, () => rng.int(beats.y.length));
  const x = batchBuffers(data, n);
  data.fill(indices, x);
  return { x, y: indices.map((k) => beats.y[k]) };
};

function trainingRate(batch: number): { beatsPerSecond: number; medianMs: number } {
  const network = buildNetwork(ecgSnn(8), 1);
  const params = networkParams(network);
  const optimizer = new Adam(params, { lr: 1e-3 });
  const times: number[] = [];
  for (let s = 0; s < steps + 3; s++) {
    const { x, y } = pick(batch);
    const t0 = performance.now();
    for (const p of params) p.grad.fill(0);
    tidy(() => backward(crossEntropy(network.forward(batchOf(data, x, batch), { training: true, rng }), y)));
    optimizer.step();
    if (s >= 3) times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  const medianMs = times[Math.floor(times.length / 2)];
  return { beatsPerSecond: (1000 * batch) / medianMs, medianMs };
}

function inferenceRate(batch: number): number {
  const network = buildNetwork(ecgSnn(8), 1);
  const times: number[] = [];
  for (let s = 0; s < Math.max(5, Math.floor(steps / 3)) + 2; s++) {
    const { x } = pick(batch);
    const t0 = performance.now();
    noGrad(() => tidy(() => network.forward(batchOf(data, x, batch), { training: false, rng })));
    if (s >= 2) times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return (1000 * batch) / times[Math.floor(times.length / 2)];
}

const ours = { train16: trainingRate(16), train32: trainingRate(32), infer: inferenceRate(256) };
const torchJson = JSON.parse(execFileSync(python, ["bench/torch/snn_bench.py", "--which", "throughput", "--features", String(F), "--threads", String(threads), "--steps", String(steps)],
  { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] }));
const torchInfer = JSON.parse(execFileSync(python, ["bench/torch/snn_bench.py", "--which", "infer", "--features", String(F), "--threads", String(threads)],
  { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] }));
const torchRate = (b: number): number => torchJson.throughput.find((r: { batch: number }) => r.batch === b).beats_per_s;
const intraTrainBeats = 72499;
const tableRow = (what: string, a: number, b: number): string => `| ${what} | ${a.toFixed(0)} | ${b.toFixed(0)} | ${(a / b).toFixed(2)}x |`;
const lines = [
  "# ECG SNN speed against PyTorch (snnTorch-style)", "",
  `Command: \`node dist/bench/ecg-speed.js ${process.argv.slice(2).join(" ")}\`; date ${new Date().toISOString()}; ${os.cpus()[0].model}, ${os.cpus().length} cores, Node ${process.version}, backend ${backendLabel()} with ${threads} threads; PyTorch ${torchJson.software.torch} with ${threads} threads; load average at the end ${os.loadavg().map((v) => v.toFixed(2)).join(" ")}.`, "",
  `Network: ecg-snn (Conv1d 1->32 k5, LIF, MaxPool 2, Conv1d 32->64 k5, LIF, MaxPool 2, dropout 0.5 on the 4096 + ${F} RR/amplitude features (training only), Dense -> 128, LIF, Dense 128->5; T = 8), real beats from the embedded MIT-BIH sample for spikemed (spike rates depend on the data), random inputs for PyTorch (its speed does not).`, "",
  "| beats per second | spikemed | PyTorch | spikemed / PyTorch |", "| :--- | ---: | ---: | ---: |",
  tableRow("training, batch 16", ours.train16.beatsPerSecond, torchRate(16)),
  tableRow("training, batch 32", ours.train32.beatsPerSecond, torchRate(32)),
  tableRow("inference, batch 256", ours.infer, torchInfer.infer.beats_per_s), "",
  `Ten intra-patient epochs (${intraTrainBeats.toLocaleString("en-US")} training beats) at batch 16 take about ${((10 * intraTrainBeats) / ours.train16.beatsPerSecond / 60).toFixed(0)} minutes of training in spikemed and ${((10 * intraTrainBeats) / torchRate(16) / 60).toFixed(0)} in PyTorch.`,
];
console.log(lines.join("\n"));
fs.writeFileSync(out, lines.join("\n") + "\n");
