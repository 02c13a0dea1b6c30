// The event-driven (sparse-input) dense and convolution kernels: the WebAssembly backend against
// the reference backend (same summation order, so the same bits), on 1 and 2 threads, and both
// against the dense kernels within float tolerance, for spike densities from 0% to 100%.
import { describe, it } from "node:test";
import type { ConvGeometry } from "../../../src/core/backend.js";
import { ReferenceBackend } from "../../../src/core/backends/reference/index.js";
import type { WasmBackend } from "../../../src/core/backends/wasm/index.js";
import { Rng } from "../../../src/core/random.js";
import { abs, assertBitIdentical, assertClose, convGeometry, randomArray, sparseArray, sumTolerance, useWasmBackends } from "./compare.js";

const ref = new ReferenceBackend();
const DENSITIES = [0, 0.03, 0.15, 0.5, 1];

const LINEAR_CASES: [rows: number, inFeatures: number, outFeatures: number][] = [
  [1, 1, 1], [3, 7, 5], [5, 33, 37], [37, 130, 64], [3, 257, 131], [70, 1030, 70], // the last large enough to run on all threads
];

const CONV_CASES: ConvGeometry[] = [
  convGeometry(3, 32, 1, 37, 64, 1, 5, [1, 1], [0, 2]), // the ECG net's second convolution, shorter
  convGeometry(4, 3, 1, 19, 7, 1, 5, [1, 1], [0, 2]), // odd channel counts: every tile width
  convGeometry(2, 70, 1, 21, 33, 1, 5, [1, 1], [0, 2]), // more than 32 input channels: several spike masks per position
  convGeometry(2, 5, 1, 23, 37, 1, 3, [1, 2], [0, 0]), // strided, no padding
  convGeometry(2, 4, 1, 17, 20, 1, 3, [1, 3], [0, 4], [1, 2]), // strided, dilated, wide padding
  convGeometry(2, 3, 7, 9, 18, 3, 3, [2, 2], [1, 1]), // 2-d, strided and padded
  convGeometry(1, 1, 1, 1, 1, 1, 1), // 1x1 everything
  convGeometry(9, 16, 1, 512, 20, 1, 5, [1, 1], [0, 2]), // large enough to run on all threads
];

for (const threads of [1, 2]) {
  describe(`event-driven kernels, ${threads} thread(s)`, () => {
    let be: WasmBackend;
    let single: WasmBackend;
    const rng = new Rng(2000 + threads);
    useWasmBackends(threads, (backends) => ({ be, single } = backends));

    it("sparseLinearForward is bit-identical to the reference and close to the dense layer", () => {
      for (const [rows, inFeatures, outFeatures] of LINEAR_CASES) {
        const w = randomArray(rng, outFeatures * inFeatures, be);
        const bias = randomArray(rng, outFeatures, be);
        for (const density of DENSITIES) {
          for (const [height, withBias] of [[1, true], [0, false], [250, true]] as const) {
            const what = `sparseLinear ${rows}x${inFeatures}->${outFeatures} density ${density} height ${height || "random"} bias ${withBias}`;
            const b = withBias ? bias : null;
            const x = sparseArray(rng, rows * inFeatures, density, be, height);
            const y = be.alloc(rows * outFeatures, false), yRef = new Float32Array(y.length);
            be.sparseLinearForward(x, w, b, y, rows, inFeatures, outFeatures);
            ref.sparseLinearForward(x, w, b, yRef, rows, inFeatures, outFeatures);
            assertBitIdentical(y, yRef, what);
            const ySingle = single.alloc(y.length, false);
            single.sparseLinearForward(x, w, b, ySingle, rows, inFeatures, outFeatures);
            assertBitIdentical(y, ySingle, `${what}, threads`);
            // The dense layer: bias broadcast into y, then y += x W^T.
            const dense = new Float32Array(y.length), magnitude = new Float32Array(y.length);
            if (b) for (let r = 0; r < rows; r++) { dense.set(b, r * outFeatures); magnitude.set(abs(b), r * outFeatures); }
            ref.gemm(false, true, rows, outFeatures, inFeatures, x, w, dense, true);
            ref.gemm(false, true, rows, outFeatures, inFeatures, abs(x), abs(w), magnitude, true);
            assertClose(y, dense, sumTolerance(magnitude, inFeatures + 1), `${what} vs dense`);
            for (const a of [x, y]) be.free(a);
            single.free(ySingle);
          }
        }
        for (const a of [w, bias]) be.free(a);
      }
    });

    it("sparseConv2dForward is bit-identical to the reference and close to the dense convolution", () => {
      for (const g of CONV_CASES) {
        const patch = g.cin * g.kh * g.kw;
        const outSize = g.n * g.cout * g.outH * g.outW;
        const w = randomArray(rng, g.cout * patch, be);
        const bias = randomArray(rng, g.cout, be);
        for (const density of DENSITIES) {
          for (const [height, withBias] of [[1, true], [0, false]] as const) {
            const what = `sparseConv ${JSON.stringify(g)} density ${density} height ${height || "random"} bias ${withBias}`;
            const b = withBias ? bias : null;
            const x = sparseArray(rng, g.n * g.cin * g.h * g.w, density, be, height);
            const y = be.alloc(outSize, false), yRef = new Float32Array(outSize);
            be.sparseConv2dForward(x, w, b, y, g);
            ref.sparseConv2dForward(x, w, b, yRef, g);
            assertBitIdentical(y, yRef, what);
            const ySingle = single.alloc(outSize, false);
            single.sparseConv2dForward(x, w, b, ySingle, g);
            assertBitIdentical(y, ySingle, `${what}, threads`);
            const dense = new Float32Array(outSize), magnitude = new Float32Array(outSize);
            ref.conv2dForward(x, w, b, dense, g);
            ref.conv2dForward(abs(x), abs(w), b ? abs(b) : null, magnitude, g);
            assertClose(y, dense, sumTolerance(magnitude, patch + 1), `${what} vs dense`);
            for (const a of [x, y]) be.free(a);
            single.free(ySingle);
          }
        }
        for (const a of [w, bias]) be.free(a);
      }
    });

    it("the kernels accept arrays from outside the backend's memory", () => {
      const [rows, inFeatures, outFeatures] = [6, 21, 10];
      const x = new Float32Array(rows * inFeatures).map(() => (rng.uniform() < 0.2 ? 1 : 0));
      const w = randomArray(rng, inFeatures * outFeatures), bias = randomArray(rng, outFeatures);
      const y = new Float32Array(rows * outFeatures), yRef = new Float32Array(y.length);
      be.sparseLinearForward(x, w, bias, y, rows, inFeatures, outFeatures);
      ref.sparseLinearForward(x, w, bias, yRef, rows, inFeatures, outFeatures);
      assertBitIdentical(y, yRef, "sparseLinear, foreign arrays");
      const g = CONV_CASES[1];
      const xc = new Float32Array(g.n * g.cin * g.h * g.w).map(() => (rng.uniform() < 0.2 ? 1 : 0));
      const wc = randomArray(rng, g.cout * g.cin * g.kh * g.kw);
      const yc = new Float32Array(g.n * g.cout * g.outH * g.outW), ycRef = new Float32Array(yc.length);
      be.sparseConv2dForward(xc, wc, null, yc, g);
      ref.sparseConv2dForward(xc, wc, null, ycRef, g);
      assertBitIdentical(yc, ycRef, "sparseConv, foreign arrays");
    });
  });
}
