import assert from "node:assert/strict";
import { test } from "node:test";
import { bandpassFilter, medianFilter, removeBaselineWander, resample } from "../../../src/data/ecg/filters.js";

const sine = (n: number, fs: number, hz: number, phase = 0): Float64Array => Float64Array.from({ length: n }, (_, i) => Math.sin(2 * Math.PI * hz * i / fs + phase));
const rms = (x: ArrayLike<number>, from = 0, to = x.length): number => {
  let s = 0;
  for (let i = from; i < to; i++) s += x[i] * x[i];
  return Math.sqrt(s / (to - from));
};

test("running median equals a naive sorted-window median (edges repeat the end samples)", () => {
  const x = Float64Array.from({ length: 300 }, (_, i) => Math.sin(i * 0.37) * 3 + ((i * 7919) % 13) - 6);
  for (const w of [1, 5, 31, 72]) {
    const got = medianFilter(x, w);
    const width = w | 1;
    for (let i = 0; i < x.length; i++) {
      const window: number[] = [];
      for (let k = i - (width >> 1); k <= i + (width >> 1); k++) window.push(x[Math.min(x.length - 1, Math.max(0, k))]);
      window.sort((a, b) => a - b);
      assert.equal(got[i], window[width >> 1], `w=${w} i=${i}`);
    }
  }
});

test("baseline removal cancels slow wander and keeps narrow spikes", () => {
  const fs = 360;
  const n = 10 * fs;
  const x = new Float64Array(n);
  for (let i = 0; i < n; i++) x[i] = 0.8 * Math.sin(2 * Math.PI * 0.3 * i / fs) + 0.5;
  for (let i = 100; i < n; i += fs) x[i] += 2; // one-sample "R peaks"
  const y = removeBaselineWander(x, fs);
  for (let i = 100; i < n; i += fs) assert.ok(Math.abs(y[i] - 2) < 0.02, `spike at ${i}: ${y[i]}`);
  let worst = 0;
  for (let i = 0; i < n; i++) if ((i - 100) % fs !== 0) worst = Math.max(worst, Math.abs(y[i]));
  assert.ok(worst < 0.05, `residual wander ${worst}`);
});

test("Butterworth band-pass follows the analytic bilinear-transform response, with zero phase", () => {
  const fs = 360;
  const n = 20 * fs;
  const inner = [2 * fs, n - 2 * fs] as const;
  const warped = (hz: number): number => Math.tan(Math.PI * hz / fs);
  // Forward-backward filtering squares the magnitude: |H|^2 of a 2nd-order high-pass times a 2nd-order low-pass.
  const expectedGain = (hz: number): number =>
    (1 / (1 + (warped(5) / warped(hz)) ** 4)) * (1 / (1 + (warped(hz) / warped(15)) ** 4));
  for (const hz of [0.5, 5, 10, 15, 60]) {
    const x = sine(n, fs, hz);
    const gain = rms(bandpassFilter(x, fs, 5, 15), ...inner) / rms(x, ...inner);
    assert.ok(Math.abs(gain - expectedGain(hz)) < 1e-3 * Math.max(expectedGain(hz), 0.01), `${hz} Hz: gain ${gain} vs ${expectedGain(hz)}`);
  }
  const x10 = sine(n, fs, 10);
  const y10 = bandpassFilter(x10, fs, 5, 15);
  let phaseError = 0;
  for (let i = inner[0]; i < inner[1]; i++) phaseError = Math.max(phaseError, Math.abs(y10[i] - expectedGain(10) * x10[i]));
  assert.ok(phaseError < 1e-3, `zero phase: max difference ${phaseError}`);
});

test("resampling 128 and 250 Hz sines to 360 Hz reproduces the 360 Hz sine", () => {
  for (const source of [128, 250]) {
    const seconds = 8;
    const x = sine(seconds * source, source, 7.3, 0.4);
    const y = resample(x, source, 360);
    assert.equal(y.length, seconds * 360);
    const expected = sine(seconds * 360, 360, 7.3, 0.4);
    let worst = 0;
    for (let i = 360; i < y.length - 360; i++) worst = Math.max(worst, Math.abs(y[i] - expected[i]));
    assert.ok(worst < 2e-3, `${source} Hz: worst error ${worst}`);
  }
  const x = sine(1000, 360, 3);
  assert.deepEqual(resample(x, 360, 360), x);
  // Downsampling removes what the new rate cannot represent (100 Hz at 128 Hz aliases otherwise).
  const high = resample(sine(3600, 360, 100), 360, 128);
  assert.ok(rms(high, 128, high.length - 128) < 0.02);
});
