/**
 * How far event-driven convolution would pay in the spiking X-ray ResNet (srelu-resnet-256, T = 4):
 * the share of nonzero outputs of each spiking ReLU on one forward pass in training mode (random
 * 256 x 256 images, initial weights), and, with each of those outputs as the input of a 3x3
 * convolution of its stage's width, the time of that convolution's forward pass computed densely
 * (im2col + GEMM) and from the nonzero inputs alone (sparseConv2dForward). One thread; times are
 * this process's CPU seconds (median of 5), which leave out the time other processes held the core.
 * Writes bench/results/cxr-events.md, or --out=FILE; --batch=N (default 16).
 */
import fs from "node:fs";
import os from "node:os";
import type { ConvGeometry } from "../src/core/backend.js";
import { getBackend, noGrad, Rng, tensor, tidy, useFastBackend } from "../src/core/index.js";
import { buildNetwork, cxrSreluResnet, SpikingReLU } from "../src/model/index.js";
import { backendLabel } from "./backend-label.js";

const args = new Map(process.argv.slice(2).map((a) => a.replace(/^--/, "").split("=") as [string, string]));
const batch = Number(args.get("batch") ?? 16);
const out = args.get("out") ?? "bench/results/cxr-events.md";
const loadAtStart = os.loadavg().map((v) => v.toFixed(2)).join(" ");
await useFastBackend({ threads: 1 });
const backend = getBackend();

const model = cxrSreluResnet(4, 256);
const network = buildNetwork(model, 1);
const rng = new Rng(7);
const x = Float32Array.from({ length: batch * 256 * 256 }, () => rng.uniform());
const outputs: { shape: number[]; data: Float32Array }[] = [];
noGrad(() => tidy(() => network.forward(tensor(x, [batch, 1, 256, 256]), {
  training: true, rng, observe: (layer, _input, output) => {
    // [T, B, C, H, W]: the T steps fold into the convolution's batch.
    const [T, B, c, h, w] = output.x.shape;
    if (layer instanceof SpikingReLU && output.x.rank === 5) outputs.push({ shape: [T * B, c, h, w], data: Float32Array.from(output.x.data) });
  },
})));

function cpuSeconds(run: () => void): number {
  run();
  const samples: number[] = [];
  for (let s = 0; s < 5; s++) {
    const start = process.cpuUsage();
    run();
    const used = process.cpuUsage(start);
    samples.push((used.user + used.system) / 1e6);
  }
  return samples.sort((a, b) => a - b)[2];
}

const rows = outputs.map(({ shape, data }, i) => {
  const [n, c, side] = shape;
  let nonzero = 0;
  for (let j = 0; j < data.length; j++) if (data[j] !== 0) nonzero++;
  const g: ConvGeometry = { n, cin: c, h: side, w: side, cout: c, kh: 3, kw: 3, strideH: 1, strideW: 1, padH: 1, padW: 1, dilationH: 1, dilationW: 1, outH: side, outW: side };
  const input = backend.alloc(data.length);
  input.set(data);
  const weight = backend.alloc(c * c * 9);
  for (let j = 0; j < weight.length; j++) weight[j] = rng.uniform() - 0.5;
  const y = backend.alloc(data.length);
  const dense = cpuSeconds(() => backend.conv2dForward(input, weight, null, y, g));
  const events = cpuSeconds(() => backend.sparseConv2dForward(input, weight, null, y, g));
  for (const a of [input, weight, y]) backend.free(a);
  return `| ${i + 1} | ${n} x ${c} x ${side} x ${side} | ${(100 * nonzero / data.length).toFixed(1)}% | ${(1000 * dense).toFixed(1)} | ${(1000 * events).toFixed(1)} | ${(dense / events).toFixed(2)}x |`;
});

const text = `# Event-driven convolution in the spiking X-ray ResNet: how much it would pay

Command: \`node dist/bench/cxr-events.js${process.argv.length > 2 ? " " + process.argv.slice(2).join(" ") : ""}\`. Date ${new Date().toISOString()}; ${os.cpus()[0].model}, ${os.availableParallelism()} cores; Node ${process.version}, backend ${backendLabel()} with 1 thread; load average at the start ${loadAtStart}, at the end ${os.loadavg().map((v) => v.toFixed(2)).join(" ")}.

\`${model.name}\`, T = ${model.timeSteps}, batch ${batch} (the T steps folded into the batch: n = T x batch), one forward pass in
training mode on random 256 x 256 images with the initial weights. For each spiking ReLU (in the
order they run): the share of its outputs that are nonzero (they are spike counts, 1 to 5, not
only 0 or 1), and the forward pass of a 3x3 convolution of its stage's width with that output as
its input, computed densely (im2col + GEMM) and from the nonzero inputs alone. Times are this
process's CPU seconds, median of 5 (they leave out the time other processes held the core).

| spiking ReLU | output (n x C x H x W) | nonzero | dense forward ms | event-driven forward ms | dense / events |
| ---: | --- | ---: | ---: | ---: | ---: |
${rows.join("\n")}
`;
fs.writeFileSync(out, text);
process.stdout.write(text);
