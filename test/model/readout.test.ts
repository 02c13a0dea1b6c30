import { test } from "node:test";
import assert from "node:assert/strict";
import { Rng, tensor } from "../../src/core/index.js";
import { Network, Leaky, Flatten } from "../../src/model/index.js";

// One input neuron through a leaky integrator readout: the readouts of its membrane trace.
function readoutOf(kind: "mean" | "sum" | "max" | "last"): number[] {
  const net = new Network([new Flatten("flatten"), new Leaky("integrator", { beta: 0.5, output: "membrane" })],
    { inputShape: [1, 1], timeSteps: 4, encoder: { kind: "direct" }, readout: kind });
  return net.forward(tensor([1, 2], [2, 1, 1]), { training: false, rng: new Rng(1) }).toArray();
}

test("readouts: mean, sum, max and last of a non-spiking membrane over time", () => {
  // membrane for input 1: 1, 1.5, 1.75, 1.875; for input 2: twice that
  const m = [1, 1.5, 1.75, 1.875];
  const mean = m.reduce((a, b) => a + b) / 4;
  const close = (a: number[], b: number[]): void => a.forEach((v, i) => assert.ok(Math.abs(v - b[i]) < 1e-6, `${a} vs ${b}`));
  close(readoutOf("mean"), [mean, 2 * mean]);
  close(readoutOf("sum"), [4 * mean, 8 * mean]);
  close(readoutOf("max"), [1.875, 3.75]);
  close(readoutOf("last"), [1.875, 3.75]);
});
