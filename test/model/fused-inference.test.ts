// Fused inference: LIF layers that only fire (no membrane kept), with the max-pool after them and
// the event-driven convolution before them folded into the same kernel. They must give exactly
// the outputs and activity of the layer-by-layer path (which recordings take), and stay out of
// training and recordings.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as core from "../../src/core/index.js";
import { backward, noGrad, Rng, tensor, tidy, type Tensor } from "../../src/core/index.js";
import { buildNetwork, ecgSnn, foldedPoolWidth, Leaky, Pool, type Batch, type ModelConfig, type Network } from "../../src/model/index.js";
import { countKernelCalls, sampleBeatBatch, useFastBackend } from "./helpers.js";

useFastBackend();

type Kernel = "lifForward" | "lifInference" | "sparseConvLif";
const countCalls = (fn: () => void): Record<Kernel, number> => countKernelCalls(["lifForward", "lifInference", "sparseConvLif"], fn);

interface Pass { output: Float32Array; activity: string; calls: Record<Kernel, number> }

/**
 * One inference pass: fused (the default), or layer by layer (a recording asks for the membranes,
 * which turns every fusion off). The activity is measured from a reset.
 */
function infer(net: Network, x: Batch | Tensor, layerByLayer: boolean): Pass {
  net.resetActivity();
  let output = new Float32Array(0);
  const calls = countCalls(() => noGrad(() => tidy(() => {
    const recording = layerByLayer ? { spikes: new Map(), membrane: new Map() } : undefined;
    output = new Float32Array(net.forward(x, { training: false, rng: new Rng(0), recording }).data);
  })));
  return { output, activity: JSON.stringify([...net.activity()]), calls };
}

function assertSamePass(fused: Pass, layered: Pass): void {
  assert.deepEqual(fused.output, layered.output, "outputs");
  assert.equal(fused.activity, layered.activity, "activity");
}

test("the ECG network's fused inference gives the layer-by-layer outputs and activity on real beats", () => {
  const config = ecgSnn(8);
  const net = buildNetwork(config, 1);
  const B = 256;
  const x = sampleBeatBatch(B);
  const fused = infer(net, x, false), layered = infer(net, x, true);
  assertSamePass(fused, layered);
  // lif1 fires on the static first convolution and pools; conv2, lif2 and the pool after it run as
  // one kernel; lif3 fires alone. The recording pass keeps every membrane.
  assert.deepEqual(fused.calls, { lifForward: 0, lifInference: 2, sparseConvLif: 1 });
  assert.deepEqual(layered.calls, { lifForward: 3, lifInference: 0, sparseConvLif: 0 });
  const recorded = net.record(x);
  for (const [name, shape] of [["lif1", [8, B, 32, 256]], ["lif2", [8, B, 64, 128]], ["lif3", [8, B, 128]]] as const) {
    assert.deepEqual(recorded.spikes.get(name)?.shape, shape, `${name} recorded spikes`);
    assert.deepEqual(recorded.membrane.get(name)?.shape, shape, `${name} recorded membrane`);
  }
});

test("fusions that fit and those that do not give the layer-by-layer results, parameters per neuron included", () => {
  const config: ModelConfig = {
    name: "fusions", description: "every fusion, and pools that do not fold", inputShape: [2, 30], classes: 3, timeSteps: 5,
    encoder: { kind: "direct" }, readout: "mean",
    layers: [
      // Per-neuron beta and threshold (learnable), vRest and reset to zero: a static current, pooled by 2.
      { type: "conv1d", filters: 8, kernel: 3, padding: 1 }, { type: "lif", vRest: 0.1, reset: "zero", learnBeta: true, learnThreshold: true }, { type: "maxpool", kernel: 2 },
      // Event-driven convolution, LIF and a pool of 3 in one kernel.
      { type: "conv1d", filters: 40, kernel: 3, padding: 1 }, { type: "lif", beta: 0.8, threshold: 0.5 }, { type: "maxpool", kernel: 3 },
      // A pool of 2 over a length of 3 does not fold: the convolution and LIF fuse, the pool runs alone.
      { type: "conv1d", filters: 36, kernel: 3 }, { type: "lif", beta: 0.7, threshold: 0.4 }, { type: "maxpool", kernel: 2 },
      { type: "flatten" }, { type: "dense", units: 10 }, { type: "lif", reset: "none", threshold: 0.3 }, { type: "dense", units: 3 },
    ],
  };
  const net = buildNetwork(config, 4);
  const rng = new Rng(11);
  const x = tensor(Array.from({ length: 12 * 2 * 30 }, () => 2 * rng.normal()), [12, 2, 30]);
  const lif1 = net.layers[1] as Leaky;
  lif1.beta.data[0] = 1.5; // clamped to 1 by either path, as snnTorch clamps a learnable beta
  const fused = infer(net, x, false);
  assert.equal(lif1.beta.data[0], 1);
  const layered = infer(net, x, true);
  assertSamePass(fused, layered);
  assert.deepEqual(fused.calls, { lifForward: 0, lifInference: 2, sparseConvLif: 2 }, "every fusion ran");
  for (const [name, s] of JSON.parse(fused.activity) as [string, { rate: number }][]) {
    assert.ok(s.rate > 0, `${name} spikes, so the comparison means something`);
  }
});

test("synaptic neurons fire spikes only at inference, a max-pool folded, to the layer-by-layer outputs and activity", () => {
  const net = buildNetwork({
    name: "synaptic", description: "", inputShape: [2, 24], classes: 3, timeSteps: 6, encoder: { kind: "direct" }, readout: "mean",
    layers: [
      { type: "conv1d", filters: 8, kernel: 3, padding: 1 }, { type: "synaptic", alpha: 0.6, beta: 0.8, threshold: 0.5 }, { type: "maxpool", kernel: 2 },
      { type: "flatten" }, { type: "dense", units: 3 },
    ],
  }, 5);
  const rng = new Rng(12);
  const x = tensor(Array.from({ length: 10 * 2 * 24 }, () => 2 * rng.normal()), [10, 2, 24]);
  const fused = infer(net, x, false), layered = infer(net, x, true);
  assertSamePass(fused, layered);
  // The synapse keeps its trace (it is the membrane's current); the membrane fires and pools in one pass.
  assert.deepEqual(fused.calls, { lifForward: 1, lifInference: 1, sparseConvLif: 0 });
  assert.ok((JSON.parse(fused.activity) as [string, { rate: number }][])[0][1].rate > 0, "the neurons spike");
});

test("training runs the LIF kernel that keeps the membranes, never the inference ones", () => {
  const net = buildNetwork(ecgSnn(4, { morphologyOnly: true }), 2);
  const rng = new Rng(9);
  const x = tensor(Array.from({ length: 8 * 256 }, () => 3 * rng.normal()), [8, 1, 256]);
  const calls = countCalls(() => tidy(() => {
    backward(core.crossEntropy(net.forward(x, { training: true, rng }), [0, 1, 2, 3, 4, 0, 1, 2]));
  }));
  assert.deepEqual(calls, { lifForward: 3, lifInference: 0, sparseConvLif: 0 });
});

test("a padded max-pool is not folded into the LIF before it (its windows do not tile the length)", () => {
  assert.equal(foldedPoolWidth(new Pool("pool", "max", 1, 2), [4, 30]), 2);
  assert.equal(foldedPoolWidth(new Pool("pool", "max", 1, 2, 2, 1), [4, 30]), 1);
});
