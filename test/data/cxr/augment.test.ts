import assert from "node:assert/strict";
import { test } from "node:test";
import { Rng } from "../../../src/core/random.js";
import { augmentImage, drawAugmentParams, type AugmentParams } from "../../../src/data/cxr/augment.js";
import { maxAbsDiff } from "./paths.js";

const S = 9;
const image = Uint8Array.from({ length: S * S }, (_, i) => (i * 37 + 11) % 256);
const at = (x: number, y: number): number => image[y * S + x] / 255;
const none: AugmentParams = { flip: false, angleRadians: 0, shiftX: 0, shiftY: 0, contrast: 1 };

function run(params: AugmentParams): Float32Array {
  const out = new Float32Array(S * S);
  augmentImage(image, 0, S, params, out, 0);
  return out;
}

function expected(f: (x: number, y: number) => number): Float32Array {
  const out = new Float32Array(S * S);
  for (let y = 0; y < S; y++) for (let x = 0; x < S; x++) out[y * S + x] = f(x, y);
  return out;
}

test("augmentImage: no transform gives the image as floats", () => {
  assert.ok(maxAbsDiff(run(none), expected(at)) < 1e-7);
});

test("augmentImage: flip mirrors left-right", () => {
  assert.ok(maxAbsDiff(run({ ...none, flip: true }), expected((x, y) => at(S - 1 - x, y))) < 1e-7);
});

test("augmentImage: an integer shift moves content, replicating the border", () => {
  const clamp = (v: number): number => Math.min(S - 1, Math.max(0, v));
  const got = run({ ...none, shiftX: 2, shiftY: -3 });
  assert.ok(maxAbsDiff(got, expected((x, y) => at(clamp(x - 2), clamp(y + 3)))) < 1e-6);
});

test("augmentImage: a quarter turn is an exact rotation about the centre", () => {
  // Source for output (x, y) is R^-1 (p - c) + c with angle pi/2: (y, S-1-x).
  const got = run({ ...none, angleRadians: Math.PI / 2 });
  assert.ok(maxAbsDiff(got, expected((x, y) => at(y, S - 1 - x))) < 1e-5);
});

test("augmentImage: contrast scales about the mean and clamps to [0, 1]", () => {
  const mean = image.reduce((a, b) => a + b, 0) / image.length / 255;
  const got = run({ ...none, contrast: 1.5 });
  assert.ok(maxAbsDiff(got, expected((x, y) => Math.min(1, Math.max(0, mean + 1.5 * (at(x, y) - mean))))) < 1e-6);
});

test("augmentImage: a contrast centre scales about that intensity instead of the mean", () => {
  const got = run({ ...none, contrast: 1.5, contrastCenter: 0.5 });
  assert.ok(maxAbsDiff(got, expected((x, y) => Math.min(1, Math.max(0, 0.5 + 1.5 * (at(x, y) - 0.5))))) < 1e-6);
  // By hand: a pixel of 153 (0.6) at contrast 2 about 0.25 is 0.25 + 2 x 0.35 = 0.95.
  const out = new Float32Array(1);
  augmentImage(Uint8Array.of(153), 0, 1, { ...none, contrast: 2, contrastCenter: 0.25 }, out, 0);
  assert.ok(Math.abs(out[0] - 0.95) < 1e-6, `${out[0]}`);
});

test("drawAugmentParams: a contrast centre is passed on without a draw of its own", () => {
  const options = { maxBrightnessChange: 0.1 };
  const plain = drawAugmentParams(new Rng(6), 128, options);
  const centred = drawAugmentParams(new Rng(6), 128, { ...options, contrastCenter: 0.5 });
  assert.deepEqual(centred, { ...plain, contrastCenter: 0.5 });
});

test("augmentImage: brightness adds to every pixel after contrast, then clamps to [0, 1]", () => {
  const mean = image.reduce((a, b) => a + b, 0) / image.length / 255;
  const got = run({ ...none, contrast: 1.2, brightness: -0.15 });
  assert.ok(maxAbsDiff(got, expected((x, y) => Math.min(1, Math.max(0, mean + 1.2 * (at(x, y) - mean) - 0.15)))) < 1e-6);
});

test("drawAugmentParams: brightness is drawn only when its range is set, so the other draws replay as before", () => {
  const rng = new Rng(4);
  const without = drawAugmentParams(new Rng(4), 256);
  assert.equal(without.brightness, undefined);
  let low = 0;
  for (let i = 0; i < 500; i++) {
    const p = drawAugmentParams(rng, 256, { maxBrightnessChange: 0.1 });
    if (i === 0) assert.deepEqual({ ...p, brightness: undefined }, { ...without, brightness: undefined });
    assert.ok(Math.abs(p.brightness!) <= 0.1);
    if (p.brightness! < 0) low++;
  }
  assert.ok(low > 200 && low < 300, `negative offsets ${low}`);
});

test("drawAugmentParams: stays within the configured ranges and is fixed by the seed", () => {
  const options = { flipProbability: 0.5, maxRotationDegrees: 5, maxShiftFraction: 0.05, maxContrastChange: 0.1 };
  const rng = new Rng(3);
  let flips = 0;
  for (let i = 0; i < 2000; i++) {
    const p = drawAugmentParams(rng, 256, options);
    assert.ok(Math.abs(p.angleRadians) <= (5 * Math.PI) / 180);
    assert.ok(Math.abs(p.shiftX) <= 12.8 && Math.abs(p.shiftY) <= 12.8);
    assert.ok(p.contrast >= 0.9 && p.contrast <= 1.1);
    if (p.flip) flips++;
  }
  assert.ok(flips > 900 && flips < 1100, `flips ${flips}`);
  assert.deepEqual(drawAugmentParams(new Rng(9), 256), drawAugmentParams(new Rng(9), 256));
  assert.notDeepEqual(drawAugmentParams(new Rng(9), 256), drawAugmentParams(new Rng(10), 256));
});

test("drawAugmentParams: shiftStep rounds the drawn shifts to its multiples, leaving every other draw as it was", () => {
  const options = { flipProbability: 0.5, maxRotationDegrees: 0, maxShiftFraction: 0.0625, maxContrastChange: 0.1 };
  const seen = new Set<number>();
  for (let seed = 1; seed <= 200; seed++) {
    const free = drawAugmentParams(new Rng(seed), 128, options);
    const whole = drawAugmentParams(new Rng(seed), 128, { ...options, shiftStep: 1 });
    const even = drawAugmentParams(new Rng(seed), 128, { ...options, shiftStep: 2 });
    assert.deepEqual(whole, { ...free, shiftX: Math.round(free.shiftX), shiftY: Math.round(free.shiftY) });
    assert.equal(even.shiftX, 2 * Math.round(free.shiftX / 2));
    assert.ok(Number.isInteger(whole.shiftX) && Math.abs(whole.shiftX) <= 8 && Math.abs(whole.shiftY) <= 8);
    seen.add(whole.shiftX);
  }
  assert.ok(seen.size === 17, `shifts drawn: ${[...seen].sort((a, b) => a - b).join(" ")}`);
});
