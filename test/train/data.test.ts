import assert from "node:assert/strict";
import { test } from "node:test";
import { Rng } from "../../src/core/index.js";
import { buildNetwork, type ModelConfig } from "../../src/model/index.js";
import { batchBuffers, batchOf, bufferRange, flatArrayData, inputBatch, predictProbabilities } from "../../src/train/index.js";

// Five samples of a [1, 3] signal, each with two features: sample i's signal is 10i, 10i + 1, 10i + 2, its features 100i + 0.5, 100i + 0.25.
const x = Float32Array.from({ length: 15 }, (_, k) => 10 * Math.floor(k / 3) + (k % 3));
const values = Float32Array.from({ length: 10 }, (_, k) => 100 * Math.floor(k / 2) + (k % 2 ? 0.25 : 0.5));
const labels = Uint8Array.of(0, 1, 0, 1, 0);

test("a batch carries the samples' signals and, apart from them, their features, in the order asked", () => {
  const data = flatArrayData(x, [1, 3], ["a", "b"], labels, { names: ["rr", "amp"], values });
  const batch = inputBatch(data, [3, 0]);
  assert.deepEqual(batch.signal.shape, [2, 1, 3]);
  assert.deepEqual(batch.signal.toArray(), [30, 31, 32, 0, 1, 2]);
  assert.deepEqual(batch.features?.shape, [2, 2]);
  assert.deepEqual(batch.features?.toArray(), [300.5, 300.25, 0.5, 0.25]);
  const plain = inputBatch(flatArrayData(x, [1, 3], ["a", "b"], labels), [4]);
  assert.deepEqual(plain.signal.toArray(), [40, 41, 42]);
  assert.equal(plain.features, undefined);
});

test("buffers hold a batch; a range of them is a view, and batchOf reads its first samples", () => {
  const data = flatArrayData(x, [1, 3], ["a", "b"], labels, { names: ["rr", "amp"], values });
  const buffers = batchBuffers(data, 4);
  assert.equal(buffers.signal.length, 12);
  assert.equal(buffers.features?.length, 8);
  data.fill([1, 2, 4], bufferRange(data, buffers, 1, 3));
  assert.deepEqual(Array.from(buffers.signal), [0, 0, 0, 10, 11, 12, 20, 21, 22, 40, 41, 42]);
  assert.deepEqual(Array.from(buffers.features!), [0, 0, 100.5, 100.25, 200.5, 200.25, 400.5, 400.25]);
  const first = batchOf(data, bufferRange(data, buffers, 1, 2), 2);
  assert.deepEqual(first.signal.toArray(), [10, 11, 12, 20, 21, 22]);
  assert.deepEqual(first.features?.toArray(), [100.5, 100.25, 200.5, 200.25]);
});

test("predictProbabilities in batches gives what the network gives each sample's signal and features", () => {
  const config: ModelConfig = {
    name: "features", description: "", inputShape: [1, 3], features: ["rr", "amp"], classes: 2, timeSteps: 1,
    encoder: { kind: "direct" }, readout: "mean", layers: [{ type: "flatten" }, { type: "append-features" }, { type: "dense", units: 2 }],
  };
  const network = buildNetwork(config, 1);
  const data = flatArrayData(x, [1, 3], ["a", "b"], labels, { names: ["rr", "amp"], values: values.map((v) => v / 100) });
  const order = [4, 1, 3, 0, 2];
  const { probabilities } = predictProbabilities(network, data, order, 2);
  order.forEach((i, r) => {
    const one = network.predict(inputBatch(data, [i]), new Rng(0)).toArray();
    assert.deepEqual(Array.from(probabilities.subarray(2 * r, 2 * r + 2)), one, `sample ${i}`);
  });
});
