import { test } from "node:test";
import assert from "node:assert/strict";
import { Rng } from "../../../src/core/index.js";
import { augmentBeat } from "../../../src/data/ecg/index.js";
import { beatData } from "../../../src/experiment/index.js";
import type { BeatDataset } from "../../../src/data/ecg/index.js";

const beat = (): Float32Array => Float32Array.from({ length: 64 }, (_, i) => Math.exp(-(((i - 20) / 3) ** 2)) - 0.1);

test("beat augmentation: off is the identity, scaling alone multiplies every sample by one factor in range", () => {
  const off = beat();
  augmentBeat(off, new Rng(1), { maxScaleChange: 0, maxBaselineAmplitude: 0, noise: 0 });
  assert.deepEqual(off, beat());

  const scaled = beat();
  augmentBeat(scaled, new Rng(2), { maxScaleChange: 0.2, maxBaselineAmplitude: 0, noise: 0 });
  const original = beat();
  const factor = scaled[20] / original[20];
  assert.ok(factor >= 0.8 && factor <= 1.2 && factor !== 1, `factor ${factor}`);
  for (let i = 0; i < original.length; i++) assert.ok(Math.abs(scaled[i] - factor * original[i]) < 1e-6);
});

test("beat augmentation: same seed, same beat; the R peak stays put; the default stays within a few tenths", () => {
  const a = beat();
  const b = beat();
  augmentBeat(a, new Rng(7));
  augmentBeat(b, new Rng(7));
  assert.deepEqual(a, b);
  const original = beat();
  let peak = 0;
  for (let i = 1; i < a.length; i++) if (a[i] > a[peak]) peak = i;
  assert.equal(peak, 20);
  const largest = Math.max(...Array.from(a, (v, i) => Math.abs(v - original[i])));
  assert.ok(largest > 0.01 && largest < 0.4, `largest change ${largest}`);
});

test("augmented beats change the window only, never the RR features beside it", () => {
  const beats = {
    x: Float32Array.from([...beat(), ...beat()]), windowLength: 64, leads: 1, features: Float32Array.from([0.8, 0.9, 1, 1.1, 1.2, 0.5, 0.6, 0.7, 0.8, 0.9]),
    featureNames: ["a", "b", "c", "d", "e"], y: Uint8Array.from([0, 1]), classNames: ["N", "S"],
  } as unknown as BeatDataset;
  const data = beatData(beats);
  const plain = { signal: new Float32Array(2 * 64), features: new Float32Array(2 * 5) };
  const augmented = { signal: new Float32Array(2 * 64), features: new Float32Array(2 * 5) };
  data.fill([1, 0], plain);
  data.fill([1, 0], augmented, new Rng(3));
  assert.deepEqual(plain.features, Float32Array.from([0.5, 0.6, 0.7, 0.8, 0.9, 0.8, 0.9, 1, 1.1, 1.2]));
  assert.deepEqual(augmented.features, plain.features);
  for (const r of [0, 1]) assert.notDeepEqual(augmented.signal.subarray(r * 64, (r + 1) * 64), plain.signal.subarray(r * 64, (r + 1) * 64));
});
