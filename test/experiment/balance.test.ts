import { test } from "node:test";
import assert from "node:assert/strict";
import { balanceSettings } from "../../src/experiment/index.js";
import { flatArrayData } from "../../src/train/index.js";

test("loss weights n / (classes x count), their square roots, and a cap on them, worked by hand", () => {
  // 9 training samples: 6 of class 0, 2 of class 1, 1 of class 2 -> weights 9/18, 9/6, 9/3.
  const labels = Int32Array.from([0, 0, 0, 0, 0, 0, 1, 1, 2, 2]);
  const data = flatArrayData(new Float32Array(10), [1, 1], ["a", "b", "c"], labels);
  const train = Int32Array.from({ length: 9 }, (_, i) => i);
  const close = (actual: number[] | undefined, expected: number[]): void => {
    assert.ok(actual && actual.every((w, k) => Math.abs(w - expected[k]) < 1e-12), `${actual} against ${expected}`);
  };
  close(balanceSettings("weights", data, train, {}).classWeights, [0.5, 1.5, 3]);
  close(balanceSettings("weights", data, train, {}, 2).classWeights, [0.5, 1.5, 2]);
  close(balanceSettings("sqrt-weights", data, train, {}, 1.5).classWeights, [Math.SQRT1_2, Math.sqrt(1.5), 1.5]);
  assert.deepEqual(balanceSettings("sampling", data, train, {}), { classWeights: undefined, sampling: "balanced" });
  assert.deepEqual(balanceSettings("none", data, train, { classWeights: [1, 2, 3] }), { classWeights: [1, 2, 3], sampling: undefined });
  // Named classes get their own weights after the cap; without --balance weights the others weigh 1.
  close(balanceSettings("weights", data, train, {}, 2, { c: 0.25 }).classWeights, [0.5, 1.5, 0.25]);
  close(balanceSettings("none", data, train, {}, Infinity, { b: 4 }).classWeights, [1, 4, 1]);
  assert.deepEqual(balanceSettings("sampling", data, train, {}, Infinity, { a: 2 }), { classWeights: [2, 1, 1], sampling: "balanced" });
  assert.throws(() => balanceSettings("weights", data, train, {}, Infinity, { d: 1 }), /no class "d" \(classes: a, b, c\)/);
});
