// Event-driven inference: which signals count as spikes, when Conv1d and Dense skip their zeros,
// and that the ECG network predicts the same with and without it on real beats.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as core from "../../src/core/index.js";
import { backward, noGrad, Rng, tensor, tidy, type Tensor } from "../../src/core/index.js";
import {
  BatchNorm, buildNetwork, Conv1d, Dense, Dropout, ecgSnn, Flatten, Leaky, Pool, ReLU, SpikingReLU,
  type ForwardContext, type Module, type Network, type Signal,
} from "../../src/model/index.js";
import { countKernelCalls, sampleBeatBatch, useFastBackend } from "./helpers.js";

useFastBackend();

/** Calls of the backend's event-driven kernels (the convolution fused with LIF neurons included) while fn runs. */
function countSparseCalls(fn: () => void): number {
  const calls = countKernelCalls(["sparseLinearForward", "sparseConv2dForward", "sparseConvLif"], fn);
  return calls.sparseLinearForward + calls.sparseConv2dForward + calls.sparseConvLif;
}

function setEventDriven(net: Network, on: boolean): void {
  for (const layer of net.layers) if (layer instanceof Conv1d || layer instanceof Dense) layer.eventDriven = on;
}

test("only spiking neurons make spike signals, and only layers that move values without weighting them keep them", () => {
  const rng = new Rng(3);
  const ctx: ForwardContext = { training: false, rng };
  const spikes = (x: Tensor): Signal => ({ x, timeSteps: 2, static: false, spikes: true });
  const analog: Signal = { x: tensor(Array.from({ length: 2 * 3 * 4 * 6 }, (_, i) => Math.sin(i)), [2, 3, 4, 6]), timeSteps: 2, static: false };
  noGrad(() => tidy(() => {
    assert.equal(new Leaky("lif").forward(analog, ctx).spikes, true);
    assert.equal(new Leaky("integrator", { output: "membrane" }).forward(analog, ctx).spikes, false);
    assert.equal(new SpikingReLU("spikingrelu").forward(analog, ctx).spikes, true);
    const s = new Leaky("lif", { threshold: 0.5 }).forward(analog, ctx);
    const kept: [Module, boolean][] = [
      [new Pool("maxpool", "max", 1, 2), true], [new Pool("avgpool", "avg", 1, 2), false], [new Flatten("flatten"), true],
      [new Dropout("dropout", 0.5), true], [new Conv1d("conv", 4, 5, 3, rng), false], [new BatchNorm("bn", 4), false],
      [new ReLU("relu"), false],
    ];
    for (const [layer, keeps] of kept) assert.equal(layer.forward(spikes(s.x), ctx).spikes, keeps, layer.name);
    assert.equal(new Dense("dense", 24, 40, rng).forward(spikes(core.reshape(s.x, [2, 3, 24]))).spikes, false);
    assert.equal(new Dropout("dropout", 0.5).forward(spikes(s.x), { training: true, rng }).spikes, false);
    assert.equal(new Conv1d("conv", 4, 5, 3, rng).forward(analog).spikes, false);
  }));
});

test("Conv1d and Dense run event-driven only on sparse spikes at inference, wide enough to pay", () => {
  const rng = new Rng(5);
  const conv = new Conv1d("conv", 8, 32, 5, rng, { padding: 2 });
  const narrow = new Dense("narrow", 128, 5, rng);
  const spikeSignal = (density: number): Signal => {
    const x = core.zeros([3, 4, 8, 16]);
    for (let i = 0; i < x.size; i++) if (rng.uniform() < density) x.data[i] = 1;
    return { x, timeSteps: 3, static: false, spikes: true };
  };
  tidy(() => {
    const sparse = spikeSignal(0.1);
    assert.equal(noGrad(() => countSparseCalls(() => conv.forward(sparse))), 1, "sparse spikes at inference");
    assert.equal(noGrad(() => countSparseCalls(() => conv.forward(spikeSignal(0.7)))), 0, "dense spikes");
    assert.equal(noGrad(() => countSparseCalls(() => conv.forward({ ...sparse, spikes: false }))), 0, "analog values");
    assert.equal(countSparseCalls(() => conv.forward(sparse)), 0, "gradients recorded");
    assert.equal(noGrad(() => countSparseCalls(() => narrow.forward(new Flatten("flatten").forward(sparse)))), 0, "5 outputs");
    conv.eventDriven = false;
    assert.equal(noGrad(() => countSparseCalls(() => conv.forward(sparse))), 0, "switched off");
  });
});

test("a dense layer of more than 2^24 weights stays on the dense kernel (no transposed copy of gatti2025's 1 GiB layer)", () => {
  const rng = new Rng(6);
  const spikes = (features: number): Signal => {
    const x = core.zeros([2, 1, features]);
    for (let i = 0; i < x.size; i += 10) x.data[i] = 1;
    return { x, timeSteps: 2, static: false, spikes: true };
  };
  const atLimit = new Dense("at-limit", 4096, 4096, rng);
  const over = new Dense("over", 4097, 4096, rng);
  tidy(() => {
    assert.equal(noGrad(() => countSparseCalls(() => atLimit.forward(spikes(4096)))), 1, "4096 x 4096 = 2^24 weights");
    assert.equal(noGrad(() => countSparseCalls(() => over.forward(spikes(4097)))), 0, "4097 x 4096 weights");
  });
  for (const layer of [atLimit, over]) for (const p of layer.parameters()) p.tensor.dispose();
});

test("event-driven inference of the ECG network predicts what the dense kernels predict on real beats", () => {
  const config = ecgSnn(8);
  const net = buildNetwork(config, 1);
  const B = 256;
  const x = sampleBeatBatch(B);
  setEventDriven(net, false);
  const dense = net.predict(x);
  setEventDriven(net, true);
  const predictions: Tensor[] = [];
  // The second convolution and the first dense layer read sparse spikes; the last dense layer is too narrow.
  assert.equal(countSparseCalls(() => predictions.push(net.predict(x))), 2);
  const probabilities = predictions[0].data, reference = dense.data;
  for (let b = 0; b < B; b++) {
    const row = (p: Float32Array) => Array.from(p.subarray(b * 5, b * 5 + 5));
    const argmax = (v: number[]) => v.indexOf(Math.max(...v));
    assert.equal(argmax(row(probabilities)), argmax(row(reference)), `beat ${b}: predicted class`);
    row(probabilities).forEach((p, k) => assert.ok(Math.abs(p - reference[b * 5 + k]) <= 1e-4, `beat ${b} class ${k}: ${p} vs ${reference[b * 5 + k]}`));
  }
  // The recordings and the energy estimate's input rates go through the same layers.
  const recorded = net.record(x);
  assert.deepEqual([...recorded.spikes.keys()], ["lif1", "lif2", "lif3"]);
  const rates = net.measureInputRates([x]).inputRates;
  setEventDriven(net, false);
  const denseRates = net.measureInputRates([x]).inputRates;
  for (const [layer, rate] of Object.entries(denseRates)) assert.ok(Math.abs(rates[layer] - rate) <= 1e-4 * (1 + rate), `${layer} input rate`);
});

test("training keeps the dense kernels: the same gradients with event-driven inference on or off", () => {
  const config = ecgSnn(4, { morphologyOnly: true });
  const gradients = (eventDriven: boolean): Float32Array[] => {
    const net = buildNetwork(config, 2);
    setEventDriven(net, eventDriven);
    const rng = new Rng(9);
    const x = tensor(Array.from({ length: 8 * 256 }, () => 3 * rng.normal()), [8, 1, 256]);
    const calls = countSparseCalls(() => tidy(() => {
      backward(core.crossEntropy(net.forward(x, { training: true, rng }), [0, 1, 2, 3, 4, 0, 1, 2]));
    }));
    assert.equal(calls, 0);
    return net.parameters().map((p) => new Float32Array(p.tensor.grad!));
  };
  const on = gradients(true), off = gradients(false);
  on.forEach((g, i) => assert.deepEqual(g, off[i], `parameter ${i}`));
});
