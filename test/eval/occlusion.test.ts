import { test } from "node:test";
import assert from "node:assert/strict";
import { borderShare, occlusionMap, occlusionOverlay, replacementDrops, signalSegments } from "../../src/eval/index.js";

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

test("beat evidence: flattening the stretch a model reads and typical values of the feature it reads lower its probability; nothing else does", () => {
  // A 40-sample window and two features; P(class 1) = mean of samples 20..29 times feature 2 (feature 1 unused).
  const length = 40;
  const row = length + 2;
  const model = (inputs: Float32Array, n: number): Float32Array => {
    const out = new Float32Array(2 * n);
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let t = 20; t < 30; t++) s += inputs[i * row + t];
      out[2 * i + 1] = (s / 10) * inputs[i * row + length + 1];
      out[2 * i] = 1 - out[2 * i + 1];
    }
    return out;
  };
  const beat = new Float32Array(row);
  for (let t = 20; t < 30; t++) beat[t] = 1; // mean of the window: 10 / 40 = 0.25
  beat[length] = 0.3;
  beat[length + 1] = 0.8;
  const segments = signalSegments(beat.subarray(0, length), 10, 10);
  assert.deepEqual(segments.replacements.map((r) => r.start), [0, 10, 20, 30]);
  const result = replacementDrops(beat, [...segments.replacements,
    { start: length, values: Float32Array.of(0.5) }, { start: length + 1, values: Float32Array.of(0.2) }], 2, model, 1);
  assert.ok(Math.abs(result.baseline - 0.8) < 1e-6);
  // Flattening samples 20..29 to 0.25: P = 0.25 * 0.8 = 0.2, a drop of 0.6; the other stretches change nothing.
  // Feature 2 at 0.2: P = 1 * 0.2, a drop of 0.6; feature 1 is not read.
  const expected = [0, 0, 0.6, 0, 0, 0.6];
  result.drops.forEach((d, p) => assert.ok(Math.abs(d - expected[p]) < 1e-6, `replacement ${p}: ${d} against ${expected[p]}`));
  const profile = segments.profile(result.drops.subarray(0, 4));
  for (let t = 0; t < length; t++) assert.ok(Math.abs(profile[t] - (t >= 20 && t < 30 ? 0.6 : 0)) < 1e-6, `sample ${t}`);
  // Overlapping stretches: each sample gets the mean drop of the stretches that covered it.
  const halves = signalSegments(beat.subarray(0, length), 10, 5);
  assert.deepEqual(halves.replacements.map((r) => r.start), [0, 5, 10, 15, 20, 25, 30]);
  assert.throws(() => replacementDrops(beat, [{ start: row, values: Float32Array.of(0) }], 2, model), /outside the input of 42/);
});
