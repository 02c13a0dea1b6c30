/**
 * One training step (forward over T steps + backward + Adam) of the compute core's reference
 * network on a batch of 32 ECG beats of 256 samples, T = 8, against the same network in PyTorch
 * (bench/torch/snn_bench.py) run in the same sitting. Prints a Markdown table and writes
 * bench/results/core-step.md.
 */
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import { backward, crossEntropy, Rng, tensor, tidy, useFastBackend, getBackend } from "../src/core/index.js";
import { buildNetwork, ecgSnn, withMemorySaving } from "../src/model/index.js";
import { Adam, networkParams } from "../src/train/index.js";

const args = new Map(process.argv.slice(2).map((a) => a.replace(/^--/, "").split("=") as [string, string]));
const steps = Number(args.get("steps") ?? 30);
const batch = Number(args.get("batch") ?? 32);
const threads = Number(args.get("threads") ?? 2);
const withTorch = args.get("torch") !== "no";
const memorySaving = args.has("memory-saving");

await useFastBackend({ threads });
const reference = ecgSnn(8, { morphologyOnly: true });
const network = buildNetwork(memorySaving ? withMemorySaving(reference) : reference, 1);
const params = networkParams(network);
const optimizer = new Adam(params, { lr: 1e-3 });
const rng = new Rng(1234);
const x = new Float32Array(batch * 256).map(() => rng.normal());
const labels = Array.from({ length: batch }, () => rng.int(5));

function step(): number {
  for (const p of params) p.grad.fill(0);
  const loss = tidy(() => {
    const logits = network.forward(tensor(x, [batch, 1, 256]), { training: true, rng });
    const l = crossEntropy(logits, labels);
    backward(l);
    return l.item();
  });
  optimizer.step();
  return loss;
}

for (let i = 0; i < 3; i++) step();
const times: number[] = [];
let loss = 0;
for (let i = 0; i < steps; i++) {
  const t0 = performance.now();
  loss = step();
  times.push(performance.now() - t0);
}
times.sort((a, b) => a - b);
const median = times[Math.floor(times.length / 2)];
const peakMiB = process.resourceUsage().maxRSS / 1024;
const heapMiB = (getBackend() as unknown as { memoryBytes: number }).memoryBytes / 2 ** 20;
const rates = [...network.activity()].map(([n, s]) => `${n} ${s.rate.toFixed(3)}`).join(", ");

let torch: { median_ms: number; peak_rss_mb: number } | null = null;
if (withTorch) {
  const out = execFileSync("/usr/bin/python3", ["bench/torch/snn_bench.py", "--which", "ref", "--threads", String(threads), "--batch", String(batch), "--steps", String(steps)], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] });
  const json = JSON.parse(out);
  torch = { median_ms: json.ref.step.median_ms, peak_rss_mb: json.ref.peak_rss_mb };
}

const machine = `${os.cpus()[0].model}, ${os.cpus().length} cores, Node ${process.version}`;
const lines = [
  "# Compute core: reference training step", "",
  `Command: \`npm run bench:core-step\` (${process.argv.slice(2).join(" ") || "defaults"}); date ${new Date().toISOString()}; machine ${machine}; load average ${os.loadavg().map((v) => v.toFixed(2)).join(" ")}.`, "",
  `Network: Conv1d(1->32,k5,pad2) LIF MaxPool2 Conv1d(32->64,k5,pad2) LIF MaxPool2 Dense(4096->128) LIF Dense(128->5), mean over T = 8; batch ${batch}; cross-entropy; Adam. Backend ${getBackend().name}, ${threads} threads${memorySaving ? "; memory-saving mode (LIF membranes recomputed in the backward pass)" : ""}.`, "",
  "| | spikemed | PyTorch (snnTorch-style loop) | ratio (spikemed / PyTorch) |", "| :--- | ---: | ---: | ---: |",
  `| training step, median of ${steps} (ms) | ${median.toFixed(1)} | ${torch ? torch.median_ms.toFixed(1) : "not run"} | ${torch ? (median / torch.median_ms).toFixed(2) : "-"} |`,
  `| peak memory of the process (MiB) | ${peakMiB.toFixed(0)} | ${torch ? torch.peak_rss_mb.toFixed(0) : "-"} | |`,
  `| WebAssembly heap after the run (MiB; it only grows, so this is the peak of live tensors) | ${heapMiB.toFixed(0)} | | |`, "",
  `spikemed step times: min ${times[0].toFixed(1)} ms, max ${times[times.length - 1].toFixed(1)} ms; last loss ${loss.toFixed(4)}; firing rates ${rates}.`,
];
console.log(lines.join("\n"));
if (args.get("out") !== "no") fs.writeFileSync("bench/results/core-step.md", lines.join("\n") + "\n");
