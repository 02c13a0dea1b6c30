// The neurons' step-by-step API (one time step in, the state out) against their whole-sequence
// forward pass: the same spikes and membranes, bit for bit, for every neuron kind and option, on
// the reference backend and the WebAssembly one; and the same gradients, to float rounding (the
// fused backward pass sums in another order).
import { test } from "node:test";
import assert from "node:assert/strict";
import * as core from "../../src/core/index.js";
import { backward, getBackend, noGrad, ReferenceBackend, Rng, tensor, tidy, type Backend, type Tensor } from "../../src/core/index.js";
import * as model from "../../src/model/index.js";
import { Delay, EulerNeuron, IntegrateAndFire, Leaky, NeuronLayer, SpikingReLU, Synaptic, ThresholdSpikes } from "../../src/model/index.js";
import { randomTensor } from "../core/gradcheck.js";
import { onBackend, useFastBackend } from "./helpers.js";

useFastBackend();

/** The layer's outputs over the steps of `current` [T, B, ...], stepped one at a time from its initial state. */
function stepped(layer: NeuronLayer, current: Tensor, rng: Rng): Tensor {
  const [T, ...stepShape] = current.shape;
  let state = layer.initialState(stepShape, rng);
  const outputs: Tensor[] = [];
  for (let t = 0; t < T; t++) {
    const step = layer.step(core.reshape(core.slice(current, 0, t, t + 1), stepShape), state);
    outputs.push(step.output);
    state = step.state;
  }
  return core.stack(outputs, 0);
}

/** The layer's whole-sequence output (forward, at inference) for `current` [T, B, ...]. */
function whole(layer: NeuronLayer, current: Tensor, rng: Rng): Tensor {
  return layer.forward({ x: current, timeSteps: current.shape[0], static: false }, { training: false, rng }).x;
}

const kinds = (): [string, () => NeuronLayer][] => [
  ["lif (subtract)", () => new Leaky("lif", { beta: 0.8, threshold: 0.7 })],
  ["lif (reset to zero, resting potential 0.1)", () => new Leaky("lif", { beta: 0.85, threshold: 0.6, reset: "zero", vRest: 0.1 })],
  ["lif (no reset)", () => new Leaky("lif", { beta: 0.9, threshold: 0.5, reset: "none" })],
  ["lif per neuron, learnable", () => new Leaky("lif", { beta: 0.7, threshold: 0.8, learnBeta: true, learnThreshold: true, perNeuron: 12 })],
  ["leaky integrator (membrane out)", () => new Leaky("integrator", { beta: 0.75, output: "membrane" })],
  ["integrate-and-fire", () => new IntegrateAndFire("if", { threshold: 0.9 })],
  ["synaptic", () => new Synaptic("syn", { alpha: 0.6, beta: 0.8, threshold: 0.9 })],
  ["spiking relu (random initial voltages)", () => new SpikingReLU("sr", { dt: 0.5 })],
  ["spiking relu (zero initial voltages)", () => new SpikingReLU("sr", { dt: 1, initialVoltage: "zero" })],
  ["NIR LIF (forward Euler)", () => new EulerNeuron("nir-lif", [3, 4], { model: "LIF", dt: 1e-3 })],
  ["NIR CubaLIF with a recurrent Affine", () => new EulerNeuron("nir-cuba", [3, 4], { model: "CubaLIF", dt: 1e-3, recurrent: "affine" }, new Rng(1))],
  ["NIR IF", () => new EulerNeuron("nir-if", [3, 4], { model: "IF", dt: 1e-3 })],
  ["NIR Threshold", () => new ThresholdSpikes("nir-threshold", [3, 4])],
  ["NIR Delay (0 to 3 steps)", () => {
    const delay = new Delay("nir-delay", [3, 4], 1e-3);
    delay.delay.data.forEach((_, i, a) => { a[i] = (i % 4) * 1e-3; });
    return delay;
  }],
];

test("every neuron class the model exports has a case here (a new kind adds one to kinds())", () => {
  const covered = new Set<unknown>(kinds().map(([, make]) => make().constructor));
  const exported = Object.values(model as Record<string, unknown>)
    .filter((v): v is { name: string; prototype: unknown } => typeof v === "function" && v.prototype instanceof NeuronLayer);
  assert.ok(exported.length >= 4);
  for (const neuronClass of exported) assert.ok(covered.has(neuronClass), `${neuronClass.name} is stepped and compared here`);
});

test("every neuron kind stepped one time step at a time gives its whole-sequence output, bit for bit, on both backends", () => {
  const fast = getBackend();
  const backends: [string, Backend][] = [["reference", new ReferenceBackend()], ["wasm", fast]];
  for (const [backendName, backend] of backends) {
    onBackend(backend, () => noGrad(() => tidy(() => {
      for (const [name, make] of kinds()) {
        const layer = make();
        // Per-neuron parameters spread apart, so that each neuron's own value is used.
        if (layer instanceof Leaky && layer.beta.size > 1) layer.beta.data.forEach((_, i, a) => { a[i] = 0.5 + 0.04 * i; });
        const current = randomTensor(new Rng(7), [9, 2, 3, 4], -0.6, 1.4);
        const expected = whole(layer, current, new Rng(3)).toArray();
        const actual = stepped(layer, current, new Rng(3)).toArray();
        assert.deepEqual(actual, expected, `${name} on ${backendName}`);
        assert.ok(expected.some((v) => v !== 0) && (layer instanceof Leaky && layer.output === "membrane" || expected.some((v) => v === 0)),
          `${name}: some neurons fire and some do not, so the comparison means something`);
      }
    })));
  }
});

test("a static input (one value for every step) steps to the whole-sequence output", () => {
  noGrad(() => tidy(() => {
    const layer = new Leaky("lif", { beta: 0.9, threshold: 1 });
    const x = randomTensor(new Rng(2), [3, 5], 0, 0.8);
    const expected = layer.forward({ x, timeSteps: 6, static: true }, { training: false, rng: new Rng(0) }).x.toArray();
    const current = core.expand(core.reshape(x, [1, 3, 5]), [6, 3, 5]);
    assert.deepEqual(stepped(layer, current, new Rng(0)).toArray(), expected);
  }));
});

test("the LIF step follows the hand-computed trace, and its state is explicit: a step from a given state starts there", () => {
  noGrad(() => tidy(() => {
    const layer = new Leaky("lif", { beta: 0.5 });
    const trace = stepped(layer, tensor([0.6, 0.6, 0.6, 0, 1.2], [5, 1, 1]), new Rng(0)).toArray();
    assert.deepEqual(trace, [0, 0, 1, 0, 0]); // U = 0.6, 0.9, 1.05 (spike), -0.475, 0.9625
    const from = layer.step(tensor([0.2], [1, 1]), { membrane: tensor([0.9], [1, 1]), spikes: tensor([0], [1, 1]) });
    assert.ok(Math.abs(from.state.membrane.item() - 0.65) < 1e-7);
    assert.equal(from.output.item(), 0);
    const afterSpike = layer.step(tensor([0.2], [1, 1]), { membrane: tensor([1.5], [1, 1]), spikes: tensor([1], [1, 1]) });
    assert.ok(Math.abs(afterSpike.state.membrane.item() - (0.75 + 0.2 - 1)) < 1e-7);
  }));
});

test("gradients through the steps equal the fused backward pass's, to float rounding", () => {
  for (const [name, make] of kinds().filter(([n]) => !n.startsWith("spiking relu"))) {
    const layer = make();
    const current = randomTensor(new Rng(5), [7, 2, 3, 4], -0.6, 1.4);
    current.requiresGrad = true;
    const weights = randomTensor(new Rng(6), [7, 2, 3, 4]);
    const params = layer.parameters().map((p) => p.tensor);
    const grads = (run: () => Tensor): number[][] => {
      for (const t of [current, ...params]) t.grad = null;
      tidy(() => backward(core.sum(core.mul(run(), weights))));
      return [current, ...params].map((t) => Array.from(t.grad!));
    };
    const fused = grads(() => layer.forward({ x: current, timeSteps: 7, static: false }, { training: true, rng: new Rng(0) }).x);
    const steps = grads(() => stepped(layer, current, new Rng(0)));
    fused.forEach((g, k) => g.forEach((v, i) => assert.ok(Math.abs(v - steps[k][i]) <= 1e-4 * (1 + Math.abs(v)), `${name} gradient ${k}[${i}]: ${v} vs ${steps[k][i]}`)));
    assert.ok(fused[0].some((v) => v !== 0), `${name}: the gradient reaches the input`);
  }
});
