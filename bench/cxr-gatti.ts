/**
 * The X-ray paper's network exactly (gatti2025, 256x256, 264 million weights in its first dense
 * layer): time of one training step (forward, backward, Adam) and the process's peak memory, so
 * a user knows what running it costs. Writes bench/results/cxr-gatti.md.
 */
import fs from "node:fs";
import os from "node:os";
import { backward, crossEntropy, getBackend, Rng, tensor, tidy, useFastBackend } from "../src/core/index.js";
import { buildNetwork, gatti2025 } from "../src/model/index.js";
import { Adam, networkParams } from "../src/train/index.js";

const args = new Map(process.argv.slice(2).map((a) => a.replace(/^--/, "").split("=") as [string, string]));
const batch = Number(args.get("batch") ?? 4);
const timeSteps = Number(args.get("time-steps") ?? 1);
const steps = Number(args.get("steps") ?? 3);
const trainImages = 4133; // the mixed protocol's training split

await useFastBackend({ threads: 2 });
const built = Date.now();
const network = buildNetwork(gatti2025({ timeSteps }), 1);
const params = networkParams(network);
const optimizer = new Adam(params, { lr: 1e-3 });
const buildSeconds = (Date.now() - built) / 1000;
const rng = new Rng(1);
const x = Float32Array.from({ length: batch * 256 * 256 }, () => rng.uniform());
const labels = Array.from({ length: batch }, (_, i) => i % 2);
const times: number[] = [];
for (let s = 0; s < steps + 1; s++) {
  const t0 = performance.now();
  for (const p of params) p.grad.fill(0);
  tidy(() => {
    const loss = crossEntropy(network.forward(tensor(x, [batch, 1, 256, 256]), { training: true, rng }), labels);
    backward(loss);
  });
  optimizer.step();
  if (s > 0) times.push(performance.now() - t0);
}
times.sort((a, b) => a - b);
const median = times[Math.floor(times.length / 2)] / 1000;
const peakGiB = process.resourceUsage().maxRSS / 2 ** 20;
const epochHours = (median * trainImages) / batch / 3600;
const lines = [
  "# gatti2025 (the X-ray paper's network) on this machine", "",
  `Command: \`node dist/bench/cxr-gatti.js --batch=${batch} --time-steps=${timeSteps}\`; date ${new Date().toISOString()}; ${os.cpus()[0].model}, ${os.cpus().length} cores; load average ${os.loadavg()[0].toFixed(2)}; backend ${getBackend().name}.`, "",
  `| parameters | batch | T | training step (median of ${steps}) | per image | one epoch of ${trainImages} images | 20 epochs (the paper's) | peak memory |`,
  "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
  `| ${network.parameterCount().toLocaleString("en-US")} | ${batch} | ${timeSteps} | ${median.toFixed(2)} s | ${(median / batch).toFixed(2)} s | ${epochHours.toFixed(1)} h | ${(epochHours * 20).toFixed(0)} h | ${peakGiB.toFixed(1)} GiB |`, "",
  `Building and initialising the network took ${buildSeconds.toFixed(1)} s. The WebAssembly backend addresses at most 4 GiB, and the first dense layer's weights and gradients take 2 GiB of it, which bounds the batch (x T) that fits.`,
];
console.log(lines.join("\n"));
fs.writeFileSync("bench/results/cxr-gatti.md", lines.join("\n") + "\n");
