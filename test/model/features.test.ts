import assert from "node:assert/strict";
import { test } from "node:test";
import { Rng, SpikemedError, tensor } from "../../src/core/index.js";
import { AppendFeatures, buildNetwork, Dense, type ModelConfig } from "../../src/model/index.js";

const ctx = { training: false, rng: new Rng(1) };

function linearModel(features?: string[]): ModelConfig {
  return {
    name: "with-features", description: "", inputShape: [1, 3], features, classes: 2, timeSteps: 1,
    encoder: { kind: "direct" }, readout: "mean",
    layers: [{ type: "flatten" }, ...(features ? [{ type: "append-features" } as const] : []), { type: "dense", units: 2 }],
  };
}

test("append-features: the dense layer reads the signal, then the features, by hand", () => {
  const net = buildNetwork(linearModel(["rr", "amp"]), 1);
  const dense = net.layers.find((l): l is Dense => l instanceof Dense)!;
  assert.deepEqual(dense.weight.shape, [2, 5]);
  dense.weight.data.set([1, 0, 0, 10, 0, /* row 2 */ 0, 1, 0, 0, 100]);
  dense.bias!.data.set([0.5, -0.5]);
  // Two samples: 3 signal values each, and 2 features each beside them.
  const out = net.forward({ signal: tensor([1, 2, 3, /* */ 4, 5, 6], [2, 1, 3]), features: tensor([0.1, 0.2, /* */ 1, 2], [2, 2]) }, ctx).toArray();
  const expected = [1 + 10 * 0.1 + 0.5, 2 + 100 * 0.2 - 0.5, 4 + 10 * 1 + 0.5, 5 + 100 * 2 - 0.5];
  out.forEach((v, i) => assert.ok(Math.abs(v - expected[i]) < 1e-5, `${out} vs ${expected}`));
});

test("append-features repeats the features at every time step of a spiking signal", () => {
  const layer = new AppendFeatures("features1", 2);
  const T = 3;
  const x = tensor(Array.from({ length: T * 2 * 4 }, (_, i) => i), [T, 2, 4]);
  const features = tensor([7, 8, 9, 10], [2, 2]);
  const y = layer.forward({ x, timeSteps: T, static: false }, { ...ctx, features }).x;
  assert.deepEqual(y.shape, [T, 2, 6]);
  for (let t = 0; t < T; t++) {
    for (let b = 0; b < 2; b++) {
      const row = y.toArray().slice((t * 2 + b) * 6, (t * 2 + b + 1) * 6);
      assert.deepEqual(row, [...x.toArray().slice((t * 2 + b) * 4, (t * 2 + b + 1) * 4), 7 + 2 * b, 8 + 2 * b]);
    }
  }
});

test("a model without features reads only the signal of a batch that carries features", () => {
  const net = buildNetwork(linearModel(), 3);
  const shaped = net.forward(tensor([1, 2, 3], [1, 1, 3]), ctx).toArray();
  const withFeatures = net.forward({ signal: tensor([1, 2, 3], [1, 1, 3]), features: tensor([9, 9], [1, 2]) }, ctx).toArray();
  const flat = net.forward({ signal: tensor([1, 2, 3], [1, 3]) }, ctx).toArray();
  assert.deepEqual(withFeatures, shaped);
  assert.deepEqual(flat, shaped);
});

test("missing or miscounted features are named errors, not wrong answers", () => {
  const net = buildNetwork(linearModel(["rr", "amp"]), 1);
  assert.throws(() => net.forward(tensor([1, 2, 3], [1, 1, 3]), ctx), (e: unknown) => e instanceof SpikemedError && /2 features per sample \(rr, amp\)/.test(e.message));
  assert.throws(() => net.forward({ signal: tensor([1, 2, 3], [1, 1, 3]), features: tensor([4], [1, 1]) }, ctx),
    (e: unknown) => e instanceof SpikemedError && /features \[1, 1\] do not fit the model: it takes 2 features per sample/.test(e.message));
  assert.throws(() => net.forward({ signal: tensor([1, 2, 3, 4], [1, 4]), features: tensor([4, 5], [1, 2]) }, ctx),
    (e: unknown) => e instanceof SpikemedError && /input \[4\] per sample does not fit the model: it takes \[1, 3\]/.test(e.message));
  assert.throws(() => buildNetwork({ ...linearModel(), layers: [{ type: "flatten" }, { type: "append-features" }, { type: "dense", units: 2 }] }, 1),
    (e: unknown) => e instanceof SpikemedError && /declares no features/.test(e.message));
});

test("features layer: the network reads only the features, by hand, whatever the signal", () => {
  const config: ModelConfig = { ...linearModel(["rr", "amp"]), layers: [{ type: "features" }, { type: "dense", units: 2 }] };
  const net = buildNetwork(config, 1);
  const dense = net.layers.find((l): l is Dense => l instanceof Dense)!;
  assert.deepEqual(dense.weight.shape, [2, 2]);
  dense.weight.data.set([1, 2, /* row 2 */ -3, 4]);
  dense.bias!.data.set([0.5, 0]);
  const out = net.forward({ signal: tensor([1, 2, 3, /* */ 40, 50, 60], [2, 1, 3]), features: tensor([0.1, 0.2, /* */ 1, 2], [2, 2]) }, ctx).toArray();
  const expected = [0.1 + 0.4 + 0.5, -0.3 + 0.8, 1 + 4 + 0.5, -3 + 8];
  out.forEach((v, i) => assert.ok(Math.abs(v - expected[i]) < 1e-5, `${out} vs ${expected}`));
  assert.throws(() => buildNetwork({ ...config, features: undefined }, 1), (e: unknown) => e instanceof SpikemedError && /declares no features to read/.test(e.message));
  assert.throws(() => buildNetwork({ ...config, layers: [{ type: "flatten" }, { type: "features" }, { type: "dense", units: 2 }] }, 1),
    (e: unknown) => e instanceof SpikemedError && /must be the first layer/.test(e.message));
});
