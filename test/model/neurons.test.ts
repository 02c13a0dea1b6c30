import { test } from "node:test";
import assert from "node:assert/strict";
import * as core from "../../src/core/index.js";
import { backward, Rng, tensor, tidy, type Tensor } from "../../src/core/index.js";
import { IntegrateAndFire, Leaky, SpikingReLU, Synaptic, surrogates } from "../../src/model/index.js";
import type { ForwardContext, Signal } from "../../src/model/index.js";
import { checkGradients, randomTensor } from "../core/gradcheck.js";

const ctx = (): ForwardContext => ({ training: true, rng: new Rng(1) });
/** A single neuron's input over time as a [T, 1, 1] signal. */
const trace = (values: number[]): Signal => ({ x: tensor(values, [values.length, 1, 1]), timeSteps: values.length, static: false });
const close = (actual: number[], expected: number[], tol = 1e-6): void => {
  assert.equal(actual.length, expected.length);
  actual.forEach((v, i) => assert.ok(Math.abs(v - expected[i]) <= tol, `step ${i}: ${v} vs ${expected[i]}`));
};

test("LIF membrane and spikes follow the hand-computed trace for every reset mode", () => {
  const input = [0.6, 0.6, 0.6, 0, 1.2];
  const run = (options: ConstructorParameters<typeof Leaky>[1]) => {
    const c: ForwardContext = { ...ctx(), recording: { spikes: new Map(), membrane: new Map() } };
    const layer = new Leaky("lif", options);
    const spikes = layer.forward(trace(input), c).x.toArray();
    return { spikes, mem: c.recording!.membrane.get("lif")!.toArray() };
  };
  // U = 0.5 U + I - S_prev * 1, spike when U > 1
  let r = run({ beta: 0.5 });
  close(r.mem, [0.6, 0.9, 1.05, -0.475, 0.9625]);
  assert.deepEqual(r.spikes, [0, 0, 1, 0, 0]);
  r = run({ beta: 0.5, reset: "zero" });
  close(r.mem, [0.6, 0.9, 1.05, 0, 1.2]);
  assert.deepEqual(r.spikes, [0, 0, 1, 0, 1]);
  r = run({ beta: 0.5, reset: "none" });
  close(r.mem, [0.6, 0.9, 1.05, 0.525, 1.4625]);
  assert.deepEqual(r.spikes, [0, 0, 1, 0, 1]);
  // Resting potential 0.2: U = 0.2 + 0.5 (U - 0.2) + I - S_prev
  r = run({ beta: 0.5, vRest: 0.2 });
  close(r.mem, [0.8, 1.1, 0.25, 0.225, 1.4125]);
  assert.deepEqual(r.spikes, [0, 1, 0, 0, 1]);
  // beta from tau_m and dt
  const derived = new Leaky("lif", { tauM: 0.02, dt: 0.001 });
  assert.ok(Math.abs(derived.beta.data[0] - Math.exp(-0.05)) < 1e-7);
  assert.throws(() => new Leaky("bad", { beta: 1.5 }), /bad: beta must be in \[0, 1\]/);
});

test("IF neuron (the X-ray paper's V(t) = V(t-1) + I(t)) integrates, fires and subtracts theta", () => {
  const c: ForwardContext = { ...ctx(), recording: { spikes: new Map(), membrane: new Map() } };
  const spikes = new IntegrateAndFire("if", { threshold: 1 }).forward(trace([0.4, 0.4, 0.4, 0.4, 0.4]), c).x.toArray();
  assert.deepEqual(spikes, [0, 0, 1, 0, 0]);
  close(c.recording!.membrane.get("if")!.toArray(), [0.4, 0.8, 1.2, 0.6, 1.0]);
});

test("synaptic neuron filters its input current before the membrane", () => {
  const c: ForwardContext = { ...ctx(), recording: { spikes: new Map(), membrane: new Map() } };
  const layer = new Synaptic("syn", { alpha: 0.5, beta: 0.5, threshold: 1.5 });
  const spikes = layer.forward(trace([2, 0, 0]), c).x.toArray();
  // syn = 2, 1, 0.5; mem = 2 (spike), 0.5*2 + 1 - 1.5 = 0.5, 0.25 + 0.5 = 0.75
  assert.deepEqual(spikes, [1, 0, 0]);
  close(c.recording!.membrane.get("syn.membrane")!.toArray(), [2, 0.5, 0.75]);
});

test("spiking ReLU follows KerasSpiking: floor of the accumulated voltage, height 1/dt, remainder kept", () => {
  const layer = new SpikingReLU("sr", { dt: 0.5, initialVoltage: "zero" });
  const y = layer.forward(trace([1, 1, 3, -1]), ctx()).x.toArray();
  // v: 0.5 -> 0; 1.0 -> 1 spike (y=2), v=0; 1.5 -> 1 spike, v=0.5; +0 -> no spike
  assert.deepEqual(y, [0, 2, 2, 0]);
  // KerasSpiking's default dt with one step: an activation of 0.5 never spikes.
  const silent = new SpikingReLU("sr", { dt: 0.001, initialVoltage: "zero" });
  assert.deepEqual(silent.forward(trace([0.5]), ctx()).x.toArray(), [0]);
});

test("spiking ReLU's random initial voltages are the rng's uniform draws, in order, one per neuron", () => {
  // One step of input 0.5: a neuron spikes exactly when its initial voltage is 0.5 or more.
  const n = 256;
  const x: Signal = { x: tensor(new Array(n).fill(0.5), [1, n]), timeSteps: 1, static: false };
  const spikes = new SpikingReLU("sr").forward(x, { training: true, rng: new Rng(5) }).x.toArray();
  const rng = new Rng(5);
  const expected = Array.from({ length: n }, () => (Math.fround(rng.uniform()) + 0.5 >= 1 ? 1 : 0));
  assert.deepEqual(spikes, expected);
  assert.ok(expected.includes(0) && expected.includes(1));
  // Zero initial voltages stay zero after a layer of random ones (the layers share the memory they draw into).
  const half = { ...x, x: tensor(new Array(n / 2).fill(0.5), [1, n / 2]) };
  assert.deepEqual(new SpikingReLU("zero", { initialVoltage: "zero" }).forward(half, { training: true, rng: new Rng(5) }).x.toArray(), new Array(n / 2).fill(0));
});

test("surrogate derivatives equal their formulas", () => {
  const pts = [-1.3, -0.5, -0.25, 0, 0.1, 0.5, 2];
  for (const x of pts) {
    assert.equal(surrogates.derivative(surrogates.piecewiseLinear(1), x), Math.abs(x) <= 0.5 ? 1 : 0);
    assert.equal(surrogates.derivative(surrogates.piecewiseLinear(0.5), x), Math.abs(x) <= 0.25 ? 2 : 0);
    assert.ok(Math.abs(surrogates.derivative(surrogates.fastSigmoid(25), x) - 1 / (25 * Math.abs(x) + 1) ** 2) < 1e-12);
    assert.ok(Math.abs(surrogates.derivative(surrogates.arctan(2), x) - 1 / (1 + (Math.PI * x) ** 2)) < 1e-12);
    const s = 1 / (1 + Math.exp(-5 * x));
    assert.ok(Math.abs(surrogates.derivative(surrogates.sigmoid(5), x) - 5 * s * (1 - s)) < 1e-12);
    assert.equal(surrogates.derivative(surrogates.straightThrough(), x), 1);
  }
  assert.deepEqual(surrogates.surrogateFromString("piecewise-linear:0.5"), { kind: "piecewise-linear", param: 0.5 });
  assert.throws(() => surrogates.surrogateFromString("nope"), /unknown surrogate "nope"/);
  assert.throws(() => surrogates.fastSigmoid(-1), /slope must be a positive number/);
});

/** LIF written out step by step with plain ops: the reference for the fused kernel's BPTT. */
function stepByStepLif(current: Tensor, beta: Tensor, threshold: Tensor, surrogate: core.SurrogateSpec): Tensor {
  const [T, ...rest] = current.shape;
  let u: Tensor = core.zeros(rest);
  let sPrev: Tensor = core.zeros(rest);
  const outs: Tensor[] = [];
  for (let t = 0; t < T; t++) {
    const i = core.reshape(core.slice(current, 0, t, t + 1), rest);
    u = core.sub(core.add(core.mul(u, beta), i), core.mul(tensor(sPrev.data, rest), threshold)); // reset detached
    const s = core.heaviside(core.sub(u, threshold), surrogate);
    outs.push(s);
    sPrev = s;
  }
  return core.stack(outs, 0);
}

test("fused LIF BPTT gradients equal the step-by-step network's, for every surrogate", () => {
  const rng = new Rng(3);
  for (const surrogate of [surrogates.arctan(2), surrogates.fastSigmoid(5), surrogates.piecewiseLinear(1), surrogates.sigmoid(4)]) {
    const current = randomTensor(rng, [6, 3, 4], -0.5, 1.5);
    const beta = tensor([0.8], [1], true);
    const threshold = tensor([0.9], [1], true);
    const weights = randomTensor(rng, [6, 3, 4]);
    const grads = (f: () => Tensor): number[][] => {
      for (const t of [current, beta, threshold]) t.grad = null;
      const spikes = tidy(() => {
        const s = f();
        backward(core.sum(core.mul(s, weights)));
        return s.toArray();
      });
      return [spikes, Array.from(current.grad!), Array.from(beta.grad!), Array.from(threshold.grad!)];
    };
    const fused = grads(() => core.lif(current, { beta, threshold, reset: "subtract", surrogate }).out);
    const plain = grads(() => stepByStepLif(current, beta, threshold, surrogate));
    assert.deepEqual(fused[0], plain[0], "same spikes");
    for (let k = 1; k < 4; k++) {
      fused[k].forEach((v, i) => assert.ok(Math.abs(v - plain[k][i]) <= 1e-4 * (1 + Math.abs(v)), `${surrogate.kind} grad ${k}[${i}]: ${v} vs ${plain[k][i]}`));
    }
  }
});

test("leaky integration (membrane output) has finite-difference-exact gradients for input and beta", () => {
  const rng = new Rng(4);
  checkGradients("lif membrane", (i, b) => core.lif(i, { beta: b, threshold: tensor([1], [1]), reset: "none", surrogate: surrogates.arctan(), output: "membrane" }).out,
    [randomTensor(rng, [5, 2, 3]), tensor([0.7, 0.8, 0.9], [3], true)]);
});

test("per-neuron learnable threshold and beta receive gradients of the right shape", () => {
  const layer = new Leaky("lif", { learnBeta: true, learnThreshold: true, perNeuron: 4, beta: 0.9 });
  assert.equal(layer.parameters().length, 2);
  const rng = new Rng(5);
  const x = randomTensor(rng, [3, 2, 4], 0, 2);
  tidy(() => backward(core.sum(layer.forward({ x, timeSteps: 3, static: false }, ctx()).x)));
  assert.equal(layer.beta.grad!.length, 4);
  assert.ok(Array.from(layer.threshold.grad!).some((v) => v !== 0));
});

test("memory-saving mode (membrane recomputed in the backward pass) gives bit-identical gradients and keeps no membrane", () => {
  const rng = new Rng(8);
  const current = randomTensor(rng, [5, 2, 6], -0.5, 1.5);
  const beta = tensor([0.85], [1], true);
  const threshold = tensor([1], [1], true);
  const run = (recompute: boolean) => {
    for (const t of [current, beta, threshold]) t.grad = null;
    const kept = tidy(() => {
      const r = core.lif(current, { beta, threshold, reset: "subtract", surrogate: surrogates.arctan(), recompute });
      backward(core.sum(core.mul(r.out, core.full(r.out.shape, 0.3))));
      return r.membrane === null;
    });
    return { kept, grads: [Array.from(current.grad!), Array.from(beta.grad!), Array.from(threshold.grad!)] };
  };
  const stored = run(false);
  const recomputed = run(true);
  assert.equal(stored.kept, false);
  assert.equal(recomputed.kept, true);
  assert.deepEqual(recomputed.grads, stored.grads);
});
