import assert from "node:assert/strict";
import test from "node:test";
import { SpikemedError } from "../../src/core/errors.js";
import { Rng } from "../../src/core/random.js";
import { epochBatches } from "../../src/train/batches.js";

const lists = (batches: Iterable<Int32Array>) => [...batches].map((b) => [...b]);

test("in order: full batches then the partial one, or without it when dropLast", () => {
  assert.deepEqual(lists(epochBatches(7, { batchSize: 3 })), [[0, 1, 2], [3, 4, 5], [6]]);
  assert.deepEqual(lists(epochBatches(7, { batchSize: 3, dropLast: true })), [[0, 1, 2], [3, 4, 5]]);
  assert.deepEqual(lists(epochBatches(6, { batchSize: 3, dropLast: true })), [[0, 1, 2], [3, 4, 5]]);
  assert.deepEqual(lists(epochBatches(0, { batchSize: 3 })), []);
  assert.deepEqual(lists(epochBatches(Int32Array.of(10, 20, 30), { batchSize: 2 })), [[10, 20], [30]]);
});

test("shuffled: a permutation drawn with Rng.shuffle, the same for the same seed", () => {
  const n = 1000;
  const batches = epochBatches(n, { batchSize: 64, shuffle: true, rng: new Rng(42).fork("shuffle/epoch-3") });
  const expected = new Rng(42).fork("shuffle/epoch-3").permutation(n);
  assert.deepEqual(batches.order, expected);
  assert.deepEqual([...batches.order].sort((a, b) => a - b), Array.from({ length: n }, (_, i) => i));
  assert.equal(batches.count, 16);
  const again = epochBatches(n, { batchSize: 64, shuffle: true, rng: new Rng(42).fork("shuffle/epoch-3") });
  assert.deepEqual(lists(again), lists(batches));
  const nextEpoch = epochBatches(n, { batchSize: 64, shuffle: true, rng: new Rng(42).fork("shuffle/epoch-4") });
  assert.notDeepEqual(nextEpoch.order, batches.order);
});

test("an index subset is shuffled without being changed, and from(k) resumes at batch k", () => {
  const subset = Int32Array.of(5, 9, 2, 7, 11, 3);
  const batches = epochBatches(subset, { batchSize: 4, shuffle: true, rng: new Rng(1) });
  assert.deepEqual([...subset], [5, 9, 2, 7, 11, 3]);
  assert.deepEqual([...batches.order].sort((a, b) => a - b), [2, 3, 5, 7, 9, 11]);
  assert.deepEqual(lists(batches.from(1)), lists(batches).slice(1));
  assert.deepEqual([...batches.batch(1)], [...batches.order.subarray(4)]);
});

test("bad options raise SpikemedError", () => {
  assert.throws(() => epochBatches(10, { batchSize: 0 }), (e: Error) => e instanceof SpikemedError && /batch size/.test(e.message));
  assert.throws(() => epochBatches(10, { batchSize: 2, shuffle: true }), /shuffle needs an rng/);
  assert.throws(() => epochBatches(-1, { batchSize: 2 }), /sample count/);
  assert.throws(() => epochBatches(10, { batchSize: 4 }).batch(3), /batch 3 does not exist \(this epoch has 3\)/);
});
