import { test } from "node:test";
import assert from "node:assert/strict";
import { crossValidationFolds, type CrossValidationPlan } from "../../src/experiment/index.js";

const range = (n: number): Int32Array => Int32Array.from({ length: n }, (_, i) => i);

test("a rare class is spread over the folds even where balancing sizes alone would put it in one", () => {
  // Groups 0 and 1 hold only class 1 (10 samples each), group 2 only class 0 (20). Balancing fold
  // sizes alone puts group 2 in one fold and both rare groups in the other.
  const groupOf = Int32Array.from([...new Array(10).fill(0), ...new Array(10).fill(1), ...new Array(20).fill(2)]);
  const labels = Int32Array.from(groupOf, (g) => (g < 2 ? 1 : 0));
  const plan: CrossValidationPlan = { groupOf, unit: "patient", validation: { by: "groups", fraction: 0.1 } };
  for (let seed = 0; seed < 12; seed++) {
    const folds = crossValidationFolds(labels, range(labels.length), 2, plan, seed);
    for (const fold of folds) assert.equal(fold.groups.filter((g) => g < 2).length, 1, `seed ${seed}: one rare group per fold (${fold.groups})`);
  }
});

test("folds cover the pool once, never split a group, and validate on whole training groups", () => {
  const n = 600;
  const groupOf = Int32Array.from({ length: n }, (_, i) => Math.floor(i / 25)); // 24 groups of 25
  const labels = Int32Array.from({ length: n }, (_, i) => (i % 7 === 0 ? 2 : i % 3 === 0 ? 1 : 0));
  const pool = range(n).filter((i) => i % 10 !== 9); // some samples are not in the pool (the test split)
  const folds = crossValidationFolds(labels, pool, 5, { groupOf, unit: "record", validation: { by: "groups", fraction: 0.1 } }, 3);
  assert.equal(folds.length, 5);
  const seen = new Int32Array(n);
  for (const fold of folds) {
    for (const i of fold.test) seen[i]++;
    const held = new Set(Array.from(fold.test, (i) => groupOf[i]));
    assert.deepEqual([...held].sort((a, b) => a - b), fold.groups);
    const trainGroups = new Set(Array.from(fold.train, (i) => groupOf[i]));
    const valGroups = new Set(Array.from(fold.val, (i) => groupOf[i]));
    for (const g of held) assert.ok(!trainGroups.has(g) && !valGroups.has(g), `group ${g} is held out and trained on`);
    for (const g of valGroups) assert.ok(!trainGroups.has(g), `group ${g} both trains and validates`);
    // 10% of the ~19 training groups, rounded: 2 whole groups validate.
    assert.equal(valGroups.size, 2);
    assert.equal(fold.train.length + fold.val.length + fold.test.length, pool.length);
    for (const i of [...fold.train, ...fold.val]) assert.ok(pool.includes(i), `sample ${i} is outside the pool`);
  }
  for (let i = 0; i < n; i++) assert.equal(seen[i], pool.includes(i) ? 1 : 0, `sample ${i}`);
  // Same seed, same folds.
  assert.deepEqual(crossValidationFolds(labels, pool, 5, { groupOf, unit: "record", validation: { by: "groups", fraction: 0.1 } }, 3), folds);
});

test("without groups the folds are stratified by class and validation is a stratified share of samples", () => {
  const labels = Int32Array.from({ length: 1000 }, (_, i) => (i < 900 ? 0 : i < 980 ? 1 : 2)); // 900 / 80 / 20
  const folds = crossValidationFolds(labels, range(1000), 4, { unit: "beat", validation: { by: "samples", fraction: 0.1 } }, 1);
  for (const fold of folds) {
    const counts = [0, 0, 0];
    for (const i of fold.test) counts[labels[i]]++;
    assert.deepEqual(counts, [225, 20, 5]);
    const valCounts = [0, 0, 0];
    for (const i of fold.val) valCounts[labels[i]]++;
    assert.deepEqual(valCounts, [68, 6, 2]); // 10% of the training side's 675 / 60 / 15, rounded
  }
});

test("a fold that would have only one training group keeps it for training", () => {
  const groupOf = Int32Array.from([0, 0, 1, 1]);
  const folds = crossValidationFolds(Int32Array.from([0, 1, 0, 1]), range(4), 2, { groupOf, unit: "record", validation: { by: "groups", fraction: 0.1 } }, 1);
  for (const fold of folds) {
    assert.equal(fold.train.length, 2);
    assert.equal(fold.val.length, 0);
  }
});

test("more folds than groups is a clear error", () => {
  assert.throws(() => crossValidationFolds(Int32Array.from([0, 1, 0]), range(3), 4, { groupOf: Int32Array.from([0, 0, 1]), unit: "record", validation: { by: "groups", fraction: 0.1 } }, 1),
    /2 records cannot fill 4 folds/);
});
