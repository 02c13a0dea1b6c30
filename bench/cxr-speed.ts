/**
 * Speed of the best spiking X-ray network (srelu-resnet-256: the ResNet-18 layout at width 16 with
 * the X-ray paper's spiking ReLU, 256 x 256 input, T = 4): a training step (forward over T,
 * cross-entropy, backward, AdamW) and an inference pass, at batch 64 (the recipe's), against the
 * same network in PyTorch (bench/torch/cxr_speed.py), in the same sitting, same threads, both on
 * random images. Writes bench/results/cxr-speed.md, or --out=FILE; --python=INTERPRETER names the
 * Python that holds torch (Debian's by default), --threads=N both sides' threads.
 */
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import { backendLabel } from "./backend-label.js";
import { backward, crossEntropy, getBackend, noGrad, Rng, tensor, tidy, useFastBackend } from "../src/core/index.js";
import { buildNetwork, cxrSreluResnet, SpikingReLU } from "../src/model/index.js";
import { AdamW, networkParams } from "../src/train/index.js";

const args = new Map(process.argv.slice(2).map((a) => a.replace(/^--/, "").split("=") as [string, string]));
const repeats = Number(args.get("repeats") ?? 10);
const warmup = 2;
const threads = Number(args.get("threads") ?? 2);
const batch = Number(args.get("batch") ?? 64);
const python = args.get("python") ?? "/usr/bin/python3";
const out = args.get("out") ?? "bench/results/cxr-speed.md";
await useFastBackend({ threads });

const model = cxrSreluResnet(4, 256);
const network = buildNetwork(model, 1);
const params = networkParams(network);
const optimizer = new AdamW(params, { lr: 5e-4, weightDecay: 0.05 });
const rng = new Rng(7);
const pixels = 256 * 256;
const x = Float32Array.from({ length: batch * pixels }, () => rng.uniform());
const y = Array.from({ length: batch }, () => rng.int(2));

function medianSeconds(run: () => void): number {
  const times: number[] = [];
  for (let r = 0; r < warmup + repeats; r++) {
    const start = performance.now();
    run();
    if (r >= warmup) times.push((performance.now() - start) / 1000);
  }
  return times.sort((a, b) => a - b)[Math.floor(times.length / 2)];
}

const train = medianSeconds(() => {
  for (const p of params) p.grad.fill(0);
  tidy(() => backward(crossEntropy(network.forward(tensor(x, [batch, 1, 256, 256]), { training: true, rng }), y)));
  optimizer.step();
});
const infer = medianSeconds(() => noGrad(() => tidy(() => network.forward(tensor(x, [batch, 1, 256, 256]), { training: false, rng }))));

/**
 * The network's stem and 3x3 convolutions alone, as the training step runs them (forward, backward
 * to the input and to the weights): the stem once on the batch, every 3x3 one on the T steps folded
 * into it. [label, input channels, input side, output channels, kernel, stride, layers of that shape].
 */
const CONVOLUTIONS: [string, number, number, number, number, number, number][] = [
  ["stem 7x7 stride 4, 1 -> 16 at 256", 1, 256, 16, 7, 4, 1],
  ["3x3, 16 -> 16 at 32", 16, 32, 16, 3, 1, 4],
  ["3x3, 32 -> 32 at 16 (and the 16 -> 32 stride 2)", 32, 16, 32, 3, 1, 3],
  ["3x3, 64 -> 64 at 8 (and the 32 -> 64 stride 2)", 64, 8, 64, 3, 1, 3],
  ["3x3, 128 -> 128 at 4 (and the 64 -> 128 stride 2)", 128, 4, 128, 3, 1, 3],
];
const backend = getBackend();
const convolutionRows = CONVOLUTIONS.map(([label, cin, side, cout, k, stride, layers]) => {
  const n = stride === 4 ? batch : batch * model.timeSteps;
  const pad = (k - 1) / 2;
  const outSide = Math.floor((side + 2 * pad - k) / stride) + 1;
  const g = { n, cin, h: side, w: side, cout, kh: k, kw: k, strideH: stride, strideW: stride, padH: pad, padW: pad, dilationH: 1, dilationW: 1, outH: outSide, outW: outSide };
  const filled = (size: number) => { const a = backend.alloc(size); for (let i = 0; i < size; i++) a[i] = rng.uniform() - 0.5; return a; };
  const input = filled(n * cin * side * side), weight = filled(cout * cin * k * k), bias = filled(cout);
  const output = backend.alloc(n * cout * outSide * outSide), gradOut = filled(output.length), gradIn = backend.alloc(input.length), gradW = backend.alloc(weight.length), gradB = backend.alloc(cout);
  const seconds = medianSeconds(() => {
    backend.conv2dForward(input, weight, bias, output, g);
    backend.conv2dBackwardInput(gradOut, weight, gradIn, g);
    backend.conv2dBackwardWeight(input, gradOut, gradW, gradB, g);
  });
  for (const buffer of [input, weight, bias, output, gradOut, gradIn, gradW, gradB]) backend.free(buffer);
  const gflops = (3 * 2 * n * cout * cin * k * k * outSide * outSide) / seconds / 1e9;
  return { label, layers, seconds, gflops };
});
const convolutionSeconds = convolutionRows.reduce((sum, r) => sum + r.layers * r.seconds, 0);

// The spiking ReLUs' random initial voltages of one forward pass (one per neuron of a step), drawn
// as SpikingReLU draws them (rng.fillUniform into memory it reuses) and one rng.uniform() call
// each: the same values.
let voltages = 0;
noGrad(() => tidy(() => network.forward(tensor(x, [batch, 1, 256, 256]), {
  training: false, rng, observe: (layer, _input, output) => { if (layer instanceof SpikingReLU) voltages += output.x.size / model.timeSteps; },
})));
const initial = new Float32Array(voltages);
const bulkDraws = medianSeconds(() => rng.fillUniform(initial));
const callDraws = medianSeconds(() => { for (let i = 0; i < voltages; i++) initial[i] = rng.uniform(); });
const torch = JSON.parse(execFileSync(python, ["bench/torch/cxr_speed.py", "--threads", String(threads), "--batch", String(batch), "--repeats", String(repeats), "--warmup", String(warmup)],
  { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] })) as { torch: string; parameters: number; train_seconds: number; infer_seconds: number };
if (torch.parameters !== network.parameterCount()) throw new Error(`PyTorch's network has ${torch.parameters} parameters, spikemed's ${network.parameterCount()}`);

const rate = (seconds: number) => (batch / seconds).toFixed(1);
const row = (what: string, ours: number, theirs: number) => `| ${what} | ${(1000 * ours).toFixed(0)} | ${rate(ours)} | ${(1000 * theirs).toFixed(0)} | ${rate(theirs)} | ${(theirs / ours).toFixed(2)}x |`;
const text = `# The spiking X-ray ResNet's speed against PyTorch

Command: \`npm run bench:cxr-speed\` (bench/cxr-speed.ts, bench/torch/cxr_speed.py). Date ${new Date().toISOString().slice(0, 10)}; ${os.cpus()[0].model}, ${os.availableParallelism()} cores; Node ${process.version}, backend ${backendLabel()} with ${threads} threads; PyTorch ${torch.torch} with ${threads} threads; load average at the end ${os.loadavg().map((v) => v.toFixed(2)).join(" ")}.

\`${model.name}\` (${network.parameterCount().toLocaleString("en")} parameters, T = ${model.timeSteps}, 256 x 256 random images, batch ${batch}), the
same network in both: the layers before the first neuron once, every later one on the T steps
folded into the batch, KerasSpiking's spiking ReLU with ReLU's gradient. A training step is
forward, cross-entropy, backward and AdamW; inference is one forward pass in evaluation mode.
Median of ${repeats} after ${warmup} warm-ups. The ratio is spikemed's speed over PyTorch's (above 1: faster).

| pass | spikemed ms / batch | spikemed images/s | PyTorch ms / batch | PyTorch images/s | spikemed / PyTorch |
| --- | ---: | ---: | ---: | ---: | ---: |
${row("training step", train, torch.train_seconds)}
${row("inference", infer, torch.infer_seconds)}

Where spikemed's training step goes: its stem and 3x3 convolutions alone (forward and both
backward passes, the shapes of a step, random values; each stage's strided first 3x3 timed as the
stage's own 3x3, an overcount, and the 1x1 shortcuts left out) take **${(1000 * convolutionSeconds).toFixed(0)} ms of the
${(1000 * train).toFixed(0)} ms step**, at the rates below; the rest (batch norm, the neurons, pooling,
element-wise ops, AdamW, the JavaScript around the kernels) is the other ${(1000 * (train - convolutionSeconds)).toFixed(0)} ms,
${train - convolutionSeconds > torch.train_seconds ? "more than" : "against"} PyTorch's whole step of ${(1000 * torch.train_seconds).toFixed(0)} ms.
Among it, the spiking ReLUs' random initial voltages: ${voltages.toLocaleString("en")} a forward pass, ${(1000 * bulkDraws).toFixed(0)} ms drawn
in bulk as spikemed draws them, against ${(1000 * callDraws).toFixed(0)} ms one rng.uniform() call each.

| convolution | layers a step | ms each (forward + backward) | GFLOP/s |
| --- | ---: | ---: | ---: |
${convolutionRows.map((r) => `| ${r.label} | ${r.layers} | ${(1000 * r.seconds).toFixed(1)} | ${r.gflops.toFixed(1)} |`).join("\n")}
`;
fs.writeFileSync(out, text);
process.stdout.write(text);
