import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import {
  dwt, getWavelet, idwt, thresholdInPlace, wavedec, waveletDenoise, waverec, type ThresholdMode, type WaveletMode,
} from "../../../src/data/ecg/wavelet.js";
import { SpikemedError } from "../../../src/core/errors.js";

interface Fixtures {
  filters: Record<string, { dec_lo: number[]; dec_hi: number[]; rec_lo: number[]; rec_hi: number[] }>;
  decompositions: Array<{ wavelet: string; mode: WaveletMode; level: number; x: number[]; coeffs: number[][]; reconstruction: number[] }>;
  thresholds: Array<{ mode: ThresholdMode; value: number; x: number[]; y: number[] }>;
  denoise: Array<{ wavelet: string; level: number; mode: WaveletMode; threshold: ThresholdMode; x: number[]; y: number[] }>;
}

// Fixtures live in the source tree (test/fixtures/ecg), three levels above dist/test/data/ecg.
const fixtures: Fixtures = JSON.parse(
  readFileSync(new URL("../../../../test/fixtures/ecg/pywt-fixtures.json", import.meta.url), "utf8"),
);

function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tolerance: number, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++) {
    if (!(Math.abs(actual[i] - expected[i]) <= tolerance)) {
      assert.fail(`${what}[${i}]: ${actual[i]} vs PyWavelets ${expected[i]}`);
    }
  }
}

test("filter banks match PyWavelets", () => {
  for (const [name, bank] of Object.entries(fixtures.filters)) {
    const w = getWavelet(name);
    assertClose(w.decLo, bank.dec_lo, 1e-12, `${name} dec_lo`);
    assertClose(w.decHi, bank.dec_hi, 1e-12, `${name} dec_hi`);
    assertClose(w.recLo, bank.rec_lo, 1e-12, `${name} rec_lo`);
    assertClose(w.recHi, bank.rec_hi, 1e-12, `${name} rec_hi`);
  }
});

test("wavedec coefficients and waverec match PyWavelets to 1e-6 (db, sym, coif; symmetric and periodization)", () => {
  assert.ok(fixtures.decompositions.length >= 50);
  for (const c of fixtures.decompositions) {
    const what = `${c.wavelet}/${c.mode}/n=${c.x.length}`;
    const coefficients = wavedec(c.x, c.wavelet, c.level, c.mode);
    assert.equal(coefficients.length, c.coeffs.length, `${what}: number of levels`);
    coefficients.forEach((got, l) => assertClose(got, c.coeffs[l], 1e-6, `${what} level ${l}`));
    assertClose(waverec(coefficients, c.wavelet, c.mode), c.reconstruction, 1e-6, `${what} waverec`);
  }
});

test("single-level dwt followed by idwt reconstructs the signal", () => {
  const x = Float64Array.from({ length: 50 }, (_, i) => Math.cos(i * 0.3) + (i % 7));
  for (const mode of ["symmetric", "periodization"] as const) {
    for (const name of ["db1", "db4", "sym6", "coif3"]) {
      const { cA, cD } = dwt(x, name, mode);
      const back = idwt(cA, cD, name, mode);
      assertClose(back.subarray(0, x.length), x, 1e-9, `${name}/${mode}`);
    }
  }
});

test("soft and hard thresholds match PyWavelets", () => {
  for (const t of fixtures.thresholds) {
    assertClose(thresholdInPlace(Float64Array.from(t.x), t.value, t.mode), t.y, 1e-12, t.mode);
  }
});

test("universal-threshold denoising matches a PyWavelets implementation to 1e-6", () => {
  for (const d of fixtures.denoise) {
    const y = waveletDenoise(d.x, { wavelet: d.wavelet, level: d.level, mode: d.mode, threshold: d.threshold });
    assertClose(y, d.y, 1e-6, `${d.wavelet}/${d.mode}/${d.threshold}`);
  }
});

test("unknown wavelets and impossible levels are clear errors", () => {
  assert.throws(() => getWavelet("db99"), (e: unknown) => e instanceof SpikemedError && /unknown wavelet "db99"/.test(e.message));
  assert.throws(() => waveletDenoise(new Float64Array(40), { level: 6 }), (e: unknown) => e instanceof SpikemedError && /40 samples/.test(e.message));
});
