import { test } from "node:test";
import assert from "node:assert/strict";
import { Rng, tensor, type Tensor } from "../../src/core/index.js";
import { Delay, EulerNeuron, type NirNeuronModel } from "../../src/model/index.js";
import type { ForwardContext } from "../../src/model/index.js";
import { checkGradients, randomTensor } from "../core/gradcheck.js";

const DT = 1e-3;
const ctx = (): ForwardContext => ({ training: false, rng: new Rng(0) });

/** One neuron of `model` with NIR parameters `params`, run on one sample's inputs over time. */
function run(model: NirNeuronModel, params: Record<string, number>, inputs: number[]): number[] {
  const layer = new EulerNeuron("n", [1], { model, dt: DT });
  for (const [key, value] of Object.entries(params)) layer.nir[key].data.fill(value);
  return [...layer.forward({ x: tensor(inputs, [inputs.length, 1, 1]), timeSteps: inputs.length, static: false }, ctx()).x.data];
}

const close = (actual: number[], expected: number[]) =>
  actual.forEach((v, i) => assert.ok(Math.abs(v - expected[i]) < 1e-6, `step ${i}: ${v}, by hand ${expected[i]} (all: ${actual})`));

test("EulerNeuron: forward-Euler traces of LI, I, CubaLI by hand", () => {
  // LI, tau = 2 dt, r = 2, v_leak = 0.2: v += (0.2 - v + 2*I)/2, from v = v_leak.
  close(run("LI", { tau: 2 * DT, r: 2, v_leak: 0.2 }, [1, 0, 0]), [1.2, 0.7, 0.45]);
  // I, r = 3: v += 3*I.
  close(run("I", { r: 3 }, [1, 0, -0.5]), [3, 3, 1.5]);
  // CubaLI, tau_syn = 2 dt, w_in = 2: syn += (2*I - syn)/2; tau_mem = 4 dt, r = 4: v += (4*syn - v)/4.
  close(run("CubaLI", { tau_syn: 2 * DT, w_in: 2, tau_mem: 4 * DT, r: 4, v_leak: 0 }, [1, 0, 0]), [1, 1.25, 1.1875]);
});

test("EulerNeuron: LIF and IF spike above v_threshold and take v_reset at once", () => {
  // IF, r = 1, threshold 1, v_reset 0.25: 0.6, 1.2 -> spike, v = 0.25, 0.85, 1.45 -> spike.
  assert.deepEqual(run("IF", { r: 1, v_threshold: 1, v_reset: 0.25 }, [0.6, 0.6, 0.6, 0.6]), [0, 1, 0, 1]);
  // LIF, tau = 2 dt, r = 2: v += (2*I - v)/2; input 1 each step: 1, 1.5 -> spike (threshold 1.2), v = 0 -> 1.
  assert.deepEqual(run("LIF", { tau: 2 * DT, r: 2, v_leak: 0, v_threshold: 1.2, v_reset: 0 }, [1, 1, 1]), [0, 1, 0]);
  // CubaLIF fires like its membrane: spike where v > threshold.
  assert.deepEqual(run("CubaLIF", { tau_syn: 2 * DT, w_in: 2, tau_mem: 4 * DT, r: 4, v_leak: 0, v_threshold: 1.2, v_reset: 0 }, [1, 0, 0]), [0, 1, 0]);
});

test("EulerNeuron: gradients of the input and the recurrent weights match finite differences (CubaLI, recurrent Affine)", () => {
  const rng = new Rng(3);
  const layer = new EulerNeuron("rec", [3], { model: "CubaLI", dt: DT, recurrent: "affine" }, rng);
  layer.nir.tau_syn.data.set([2 * DT, 3 * DT, 5 * DT]);
  layer.nir.tau_mem.data.set([4 * DT, 2 * DT, 6 * DT]);
  const forward = (x: Tensor): Tensor => layer.forward({ x, timeSteps: 4, static: false }, ctx()).x;
  checkGradients("CubaLI input and recurrent weights", (x) => forward(x), [randomTensor(rng, [4, 2, 3]), layer.recurrentWeight!, layer.recurrentBias!]);
});

test("Delay: gradients reach the steps the outputs were taken from (finite differences)", () => {
  const rng = new Rng(6);
  const delay = new Delay("d", [3], DT);
  delay.delay.data.set([0, DT, 3 * DT]);
  checkGradients("delay", (x) => delay.forward({ x, timeSteps: 5, static: false }).x, [randomTensor(rng, [5, 2, 3])]);
});
