// Shared helpers of the WebAssembly backend tests: backends, random inputs, geometries and
// comparisons against the reference backend with tolerances scaled to the size of each sum.
import assert from "node:assert/strict";
import { after, before } from "node:test";
import type { Backend, ConvGeometry } from "../../../src/core/backend.js";
import { createWasmBackend, type WasmBackend } from "../../../src/core/backends/wasm/index.js";
import { Rng } from "../../../src/core/random.js";

const EPS32 = 2 ** -24;

/**
 * In the current describe: a backend with `threads` threads and a 1-thread one (the same backend
 * when threads is 1), created before its tests, handed to `use`, and disposed after them.
 */
export function useWasmBackends(threads: number, use: (backends: { be: WasmBackend; single: WasmBackend }) => void): void {
  let be: WasmBackend;
  let single: WasmBackend;
  before(async () => {
    be = await createWasmBackend({ threads });
    single = threads === 1 ? be : await createWasmBackend({ threads: 1 });
    use({ be, single });
  });
  after(async () => {
    await be.dispose();
    if (single !== be) await single.dispose();
  });
}

/** Spikes of height `height` (or, with height 0, random values) at the given density, in backend.alloc memory. */
export function sparseArray(rng: Rng, n: number, density: number, backend: Backend, height = 1): Float32Array {
  const a = backend.alloc(n);
  for (let i = 0; i < n; i++) if (rng.uniform() < density) a[i] = height || 2 * rng.uniform() - 1;
  return a;
}

export function convGeometry(n: number, cin: number, h: number, w: number, cout: number, kh: number, kw: number,
  stride: [number, number] = [1, 1], pad: [number, number] = [0, 0], dilation: [number, number] = [1, 1]): ConvGeometry {
  const outH = Math.floor((h + 2 * pad[0] - dilation[0] * (kh - 1) - 1) / stride[0]) + 1;
  const outW = Math.floor((w + 2 * pad[1] - dilation[1] * (kw - 1) - 1) / stride[1]) + 1;
  return { n, cin, h, w, cout, kh, kw, strideH: stride[0], strideW: stride[1], padH: pad[0], padW: pad[1],
    dilationH: dilation[0], dilationW: dilation[1], outH, outW };
}

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
