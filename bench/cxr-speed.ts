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
import { backward, crossEntropy, getBackend, noGrad, Rng, tensor, tidy, useFastBackend } from "../src/core/index.js";
import { buildNetwork, cxrSreluResnet } from "../src/model/index.js";
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
const torch = JSON.parse(execFileSync(python, ["bench/torch/cxr_speed.py", "--threads", String(threads), "--batch", String(batch), "--repeats", String(repeats), "--warmup", String(warmup)],
  { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] })) as { torch: string; parameters: number; train_seconds: number; infer_seconds: number };
if (torch.parameters !== network.parameterCount()) throw new Error(`PyTorch's network has ${torch.parameters} parameters, spikemed's ${network.parameterCount()}`);

const rate = (seconds: number) => (batch / seconds).toFixed(1);
const row = (what: string, ours: number, theirs: number) => `| ${what} | ${(1000 * ours).toFixed(0)} | ${rate(ours)} | ${(1000 * theirs).toFixed(0)} | ${rate(theirs)} | ${(theirs / ours).toFixed(2)}x |`;
const text = `# The spiking X-ray ResNet's speed against PyTorch

Command: \`npm run bench:cxr-speed\` (bench/cxr-speed.ts, bench/torch/cxr_speed.py). Date ${new Date().toISOString().slice(0, 10)}; ${os.cpus()[0].model}, ${os.availableParallelism()} cores; Node ${process.version}, backend ${getBackend().name} with ${threads} threads; PyTorch ${torch.torch} with ${threads} threads; load average at the end ${os.loadavg().map((v) => v.toFixed(2)).join(" ")}.

\`${model.name}\` (${network.parameterCount().toLocaleString("en")} parameters, T = ${model.timeSteps}, 256 x 256 random images, batch ${batch}), the
same network in both: the layers before the first neuron once, every later one on the T steps
folded into the batch, KerasSpiking's spiking ReLU with ReLU's gradient. A training step is
forward, cross-entropy, backward and AdamW; inference is one forward pass in evaluation mode.
Median of ${repeats} after ${warmup} warm-ups. The ratio is spikemed's speed over PyTorch's (above 1: faster).

| pass | spikemed ms / batch | spikemed images/s | PyTorch ms / batch | PyTorch images/s | spikemed / PyTorch |
| --- | ---: | ---: | ---: | ---: | ---: |
${row("training step", train, torch.train_seconds)}
${row("inference", infer, torch.infer_seconds)}
`;
fs.writeFileSync(out, text);
process.stdout.write(text);
