// Streaming inference (Network.initialState and Network.step, one time step at a time) against
// the whole-sequence forward pass: the same scores after the last step, on the default ECG network
// with real beats and on convolutional networks, residual blocks and every neuron kind included.
import { test } from "node:test";
import assert from "node:assert/strict";
import { keep, noGrad, Rng, tidy, type Tensor } from "../../src/core/index.js";
import { buildNetwork, Conv1d, cxrSnn, Dense, ecgSnn, type Batch, type ModelConfig, type Network } from "../../src/model/index.js";
import { randomTensor } from "../core/gradcheck.js";
import { sampleBeatBatch, useFastBackend } from "./helpers.js";

useFastBackend();

let beats: Batch | null = null;
/** 64 real beats of the embedded MIT-BIH sample (signals and RR features), loaded once. */
function realBeats(): Batch {
  if (!beats) {
    const { signal, features } = sampleBeatBatch(64);
    beats = { signal: keep(signal), features: features && keep(features) };
  }
  return beats;
}

/** The scores after streaming all the time steps of `x` (and the per-step outputs), from `seed`'s rng. */
function streamed(net: Network, x: Batch | Tensor, seed: number): { scores: number[]; outputs: number[][] } {
  return noGrad(() => tidy(() => {
    let state = net.initialState(new Rng(seed));
    let scores: Tensor | null = null;
    const outputs: number[][] = [];
    for (let t = 0; t < net.options.timeSteps; t++) {
      const step = net.step(x, state);
      state = step.state;
      scores = step.scores;
      outputs.push(step.output.toArray());
    }
    assert.equal(state.steps, net.options.timeSteps);
    return { scores: (scores as Tensor).toArray(), outputs };
  }));
}

const forwardScores = (net: Network, x: Batch | Tensor, seed: number): number[] =>
  noGrad(() => tidy(() => net.forward(x, { training: false, rng: new Rng(seed) }).toArray()));

test("the default ECG network streamed step by step gives forward's scores on real beats, bit for bit, event-driven or dense", () => {
  const x = realBeats();
  for (const eventDriven of [true, false]) {
    const net = buildNetwork(ecgSnn(), 1);
    for (const layer of net.layers) if (layer instanceof Conv1d || layer instanceof Dense) layer.eventDriven = eventDriven;
    const { scores, outputs } = streamed(net, x, 0);
    // Event-driven kernels skip the zeros of the sums the dense kernels make, in the same order.
    assert.deepEqual(scores, forwardScores(net, x, 0), eventDriven ? "event-driven" : "dense");
    // The scores are the mean of the steps' outputs, and the steps differ (the network is not static).
    assert.equal(outputs.length, 8);
    assert.notDeepEqual(outputs[0], outputs[7]);
  }
});

test("the X-ray SNN (2-d convolutions, batch norm, LIF, pooling) streamed gives forward's scores, bit for bit", () => {
  const net = buildNetwork(cxrSnn(4), 2);
  const x = randomTensor(new Rng(5), [2, 1, 128, 128], 0, 1);
  assert.deepEqual(streamed(net, x, 0).scores, forwardScores(net, x, 0));
});

test("residual blocks, synaptic and spiking-ReLU neurons, and the rate and latency encoders stream to forward's scores", () => {
  const config = (encoder: ModelConfig["encoder"], readout: ModelConfig["readout"], neuron: ModelConfig["layers"][number]): ModelConfig => ({
    name: "streaming", description: "", inputShape: [2, 16], classes: 3, timeSteps: 5, encoder, readout,
    layers: [
      { type: "conv1d", filters: 6, kernel: 3, padding: 1 }, neuron, { type: "maxpool", kernel: 2 },
      { type: "residual", layers: [{ type: "conv1d", filters: 6, kernel: 3, padding: 1 }, { type: "batchnorm" }, { type: "lif", beta: 0.8, threshold: 0.5 }] },
      { type: "synaptic", alpha: 0.5, beta: 0.9, threshold: 0.7 },
      { type: "flatten" }, { type: "dense", units: 3 },
    ],
  });
  const cases: [string, ModelConfig][] = [
    ["direct, mean, lif", config({ kind: "direct" }, "mean", { type: "lif", beta: 0.9, threshold: 0.6, reset: "zero" })],
    ["rate, sum, integrate-and-fire", config({ kind: "rate", gain: 0.8 }, "sum", { type: "if", threshold: 0.6 })],
    ["latency, max, spiking relu (zero initial voltages)", config({ kind: "latency" }, "max", { type: "spiking-relu", initialVoltage: "zero" })],
    ["delta, last, spiking relu (random initial voltages)", config({ kind: "delta", threshold: 0.2 }, "last", { type: "spiking-relu", dt: 0.5 })],
  ];
  for (const [name, c] of cases) {
    const net = buildNetwork(c, 3);
    const x = randomTensor(new Rng(8), [4, 2, 16], 0, 1);
    assert.deepEqual(streamed(net, x, 1).scores, forwardScores(net, x, 1), name);
  }
});

test("a network without neurons gives the same output at every step; a step past the last is refused", () => {
  const net = buildNetwork({
    name: "static", description: "", inputShape: [1, 8], classes: 2, timeSteps: 3, encoder: { kind: "direct" }, readout: "sum",
    layers: [{ type: "flatten" }, { type: "dense", units: 2 }],
  }, 1);
  const x = randomTensor(new Rng(1), [2, 1, 8]);
  const { scores, outputs } = streamed(net, x, 0);
  assert.deepEqual(scores, forwardScores(net, x, 0));
  assert.deepEqual(outputs[0], outputs[2]);
  noGrad(() => tidy(() => {
    let state = net.initialState();
    for (let t = 0; t < 3; t++) state = net.step(x, state).state;
    assert.throws(() => net.step(x, state), /step 3 is not one of the 3 time steps/);
  }));
});
