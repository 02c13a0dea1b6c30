// Shared helpers of the WebAssembly backend tests: random inputs and comparisons against the
// reference backend with tolerances scaled to the size of each sum.
import assert from "node:assert/strict";
import type { Backend } from "../../../src/core/backend.js";
import { Rng } from "../../../src/core/random.js";

const EPS32 = 2 ** -24;

/** An array from backend.alloc (or a plain array) filled with uniform values in [lo, hi). */
export function randomArray(rng: Rng, n: number, backend: Backend | null = null, lo = -1, hi = 1): Float32Array {
  const a = backend ? backend.alloc(n) : new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = lo + (hi - lo) * rng.uniform();
  return a;
}

/** Asserts |actual - expected| <= tol[i] (or a scalar tol) everywhere, reporting the worst index. */
export function assertClose(actual: Float32Array, expected: Float32Array, tol: number | Float32Array | Float64Array, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  let worst = -1;
  let worstExcess = 0;
  for (let i = 0; i < actual.length; i++) {
    const t = typeof tol === "number" ? tol : tol[i];
    const d = Math.abs(actual[i] - expected[i]);
    if (!(d <= t) && !(Number.isNaN(actual[i]) && Number.isNaN(expected[i])) && !(actual[i] === expected[i])) {
      if (worst < 0 || d - t > worstExcess) { worst = i; worstExcess = d - t; }
    }
  }
  if (worst >= 0) {
    const t = typeof tol === "number" ? tol : tol[worst];
    assert.fail(`${what}: index ${worst}: got ${actual[worst]}, expected ${expected[worst]} (tolerance ${t})`);
  }
}

/** Asserts the two arrays hold the same float32 bit patterns. */
export function assertBitIdentical(actual: Float32Array, expected: Float32Array, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  const a = new Uint32Array(actual.buffer, actual.byteOffset, actual.length);
  const e = new Uint32Array(expected.buffer, expected.byteOffset, expected.length);
  for (let i = 0; i < a.length; i++) {
    if (a[i] !== e[i]) assert.fail(`${what}: index ${i}: got ${actual[i]}, expected ${expected[i]} (bits differ)`);
  }
}

/**
 * Per-element tolerance for a sum of k products: a few float32 roundings of the sum of the
 * products' magnitudes (given as `magnitude`, a same-shape sum of |a||b|).
 */
export function sumTolerance(magnitude: Float32Array, k: number): Float64Array {
  const tol = new Float64Array(magnitude.length);
  for (let i = 0; i < tol.length; i++) tol[i] = 2 * (k + 2) * EPS32 * magnitude[i] + 1e-30;
  return tol;
}

export function abs(a: Float32Array): Float32Array {
  return a.map(Math.abs);
}

/** A copy in a plain Float32Array, so the reference works on data the backend cannot touch. */
export function copy(a: Float32Array): Float32Array {
  return new Float32Array(a);
}
