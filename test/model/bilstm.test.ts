import { test } from "node:test";
import assert from "node:assert/strict";
import { Rng, tensor } from "../../src/core/index.js";
import { BiLstm, buildNetwork, ecgBiLstm } from "../../src/model/index.js";
import { checkGradients, randomTensor } from "../core/gradcheck.js";

test("BiLSTM: reversing the sequence swaps the two directions' summaries when their weights are equal", () => {
  const rng = new Rng(1);
  const layer = new BiLstm("bilstm", [2, 6], 3, 1, 2, rng);
  const params = layer.parameters();
  const half = params.length / 2;
  for (let i = 0; i < half; i++) params[half + i].tensor.data.set(params[i].tensor.data);
  const x = randomTensor(rng, [2, 2, 6]);
  // Reverse the 3 steps of 2 samples x 2 channels each.
  const reversed = tensor(new Float32Array(x.size), x.shape);
  for (let b = 0; b < 2; b++) for (let c = 0; c < 2; c++) for (let s = 0; s < 3; s++) for (let k = 0; k < 2; k++) {
    reversed.data[(b * 2 + c) * 6 + (2 - s) * 2 + k] = x.data[(b * 2 + c) * 6 + s * 2 + k];
  }
  const a = layer.forward({ x, timeSteps: 1, static: true }).x.toArray();
  const r = layer.forward({ x: reversed, timeSteps: 1, static: true }).x.toArray();
  for (let b = 0; b < 2; b++) for (let h = 0; h < 3; h++) {
    assert.ok(Math.abs(a[b * 6 + h] - r[b * 6 + 3 + h]) < 1e-6);
    assert.ok(Math.abs(a[b * 6 + 3 + h] - r[b * 6 + h]) < 1e-6);
  }
});

test("BiLSTM gradients match finite differences through both layers", () => {
  const rng = new Rng(2);
  const layer = new BiLstm("bilstm", [1, 8], 2, 2, 2, rng);
  const weight = layer.parameters()[0].tensor;
  checkGradients("bilstm", (x, _w) => layer.forward({ x, timeSteps: 1, static: true }).x, [randomTensor(rng, [2, 1, 8]), weight], { samples: 12 });
});

test("the ECG paper's BiLSTM baseline builds with two bidirectional layers of 64 units", () => {
  const net = buildNetwork(ecgBiLstm(), 1);
  const out = net.forward(randomTensor(new Rng(3), [2, 1, 256]), { training: false, rng: new Rng(0) });
  assert.deepEqual(out.shape, [2, 5]);
  // 2 directions x 2 layers x (4*64*(in+64) + 2*4*64) + dense 128*5+5
  const expected = 2 * (4 * 64 * (8 + 64) + 2 * 4 * 64) + 2 * (4 * 64 * (128 + 64) + 2 * 4 * 64) + 128 * 5 + 5;
  assert.equal(net.parameterCount(), expected);
});
