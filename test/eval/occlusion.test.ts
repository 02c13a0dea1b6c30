import { test } from "node:test";
import assert from "node:assert/strict";
import { borderShare, occlusionMap, occlusionOverlay } from "../../src/eval/index.js";

// A "model" that looks only at the top-left 4x4 block of a 16x16 image: P(class 1) is its mean.
const size = 16;
const predict = (images: Float32Array, n: number): Float32Array => {
  const out = new Float32Array(2 * n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let y = 0; y < 4; y++) for (let x = 0; x < 4; x++) s += images[i * size * size + y * size + x];
    out[2 * i + 1] = s / 16;
    out[2 * i] = 1 - s / 16;
  }
  return out;
};
const image = new Float32Array(size * size);
for (let y = 0; y < 4; y++) for (let x = 0; x < 4; x++) image[y * size + x] = 1;

test("occlusion finds the pixels a model looks at, and nothing elsewhere", () => {
  const map = occlusionMap(image, size, 2, predict, { classIndex: 1, patch: 4, stride: 4 });
  assert.equal(map.baseline, 1);
  // Patches tile the image exactly; hiding the top-left one replaces its 1s by the mean, 1/16.
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const expected = y < 4 && x < 4 ? 1 - 1 / 16 : 0;
      assert.ok(Math.abs(map.drop[y * size + x] - expected) < 1e-6, `(${x}, ${y}) ${map.drop[y * size + x]}`);
    }
  }
  // The border band is 2 pixels wide here: 12 of the block's 16 pixels lie in it.
  assert.equal(borderShare(map, 0.125), 12 / 16);
  const predicted = occlusionMap(image, size, 2, predict, { patch: 4, stride: 4 });
  assert.deepEqual([predicted.classIndex, Array.from(predicted.whole)], [1, [0, 1]], "by default the predicted class is tracked");
  assert.deepEqual(predicted.drop, map.drop);
  const other = occlusionMap(image, size, 2, predict, { classIndex: 0, patch: 4, stride: 4 });
  assert.ok(other.drop[0] < 0, "hiding the block raises the other class");
  const rgb = occlusionOverlay(image, map);
  assert.deepEqual(Array.from(rgb.subarray(0, 3)), [255, Math.round(255 * 0.4 + 40 * 0.6), Math.round(255 * 0.4)]);
  assert.deepEqual(Array.from(rgb.subarray(3 * (8 * size + 8), 3 * (8 * size + 8) + 3)), [0, 0, 0], "untouched background stays black");
});

test("overlapping patches average their drops; bad settings are refused", () => {
  const map = occlusionMap(image, size, 2, predict, { classIndex: 1, patch: 4, stride: 2 });
  // Pixel (5, 0) lies under patches starting at x = 2 and x = 4 (y = 0): the first hides half the block's
  // 16 pixels' columns 2-3 (8 of them), the second none.
  const hidden = 8 * (1 - 1 / 16) / 16;
  assert.ok(Math.abs(map.drop[5] - hidden / 2) < 1e-6, `${map.drop[5]}`);
  assert.throws(() => occlusionMap(image, size, 2, predict, { classIndex: 2 }), /class 2/);
  assert.throws(() => occlusionMap(image.subarray(1), size, 2, predict, { classIndex: 0 }), /not 16x16/);
});
