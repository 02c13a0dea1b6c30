import { test } from "node:test";
import assert from "node:assert/strict";
import { median } from "../../src/core/stats.js";

test("median: the middle value, the mean of the two middle ones, NaN for none; the input is not reordered", () => {
  const values = [5, -1, 3, 9, 0];
  assert.equal(median(values), 3);
  assert.deepEqual(values, [5, -1, 3, 9, 0]);
  assert.equal(median(Float32Array.from([4, 1, 2, 10])), 3);
  assert.ok(Number.isNaN(median([])));
});
