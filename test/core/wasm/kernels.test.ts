// Every kernel of the WebAssembly backend against the reference backend, on odd sizes that leave
// SIMD and tile tails, with 1 and 2 threads, plus thread-count independence.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { ConvGeometry, LifSpec, PoolGeometry, ResetMode, SurrogateKind, UnaryOp } from "../../../src/core/backend.js";
import { ReferenceBackend } from "../../../src/core/backends/reference/index.js";
import type { WasmBackend } from "../../../src/core/backends/wasm/index.js";
import { Rng } from "../../../src/core/random.js";
import { abs, assertBitIdentical, assertClose, convGeometry, copy, randomArray, sumTolerance, useWasmBackends } from "./compare.js";

const ref = new ReferenceBackend();
const EPS32 = 2 ** -24;

function poolGeometry(planes: number, h: number, w: number, kh: number, kw: number, sh: number, sw: number, ph: number, pw: number): PoolGeometry {
  return { planes, h, w, kh, kw, strideH: sh, strideW: sw, padH: ph, padW: pw,
    outH: Math.floor((h + 2 * ph - kh) / sh) + 1, outW: Math.floor((w + 2 * pw - kw) / sw) + 1 };
}

const CONV_CASES: ConvGeometry[] = [
  convGeometry(3, 1, 1, 37, 5, 1, 5, [1, 1], [0, 2]), // 1-d, like the ECG net's first layer
  convGeometry(4, 6, 1, 19, 9, 1, 5, [1, 1], [0, 2]), // 1-d, 6 -> 9 channels
  convGeometry(2, 3, 7, 9, 4, 3, 3, [2, 2], [1, 1]), // strided, padded 2-d
  convGeometry(2, 2, 8, 11, 3, 3, 2, [1, 3], [2, 0], [2, 1]), // dilation, uneven strides
  convGeometry(3, 5, 4, 5, 7, 1, 1), // pointwise (no im2col)
  convGeometry(1, 1, 1, 1, 1, 1, 1), // 1x1 everything
  convGeometry(2, 2, 3, 3, 2, 5, 5, [1, 1], [2, 2]), // filter larger than the image
  convGeometry(10, 4, 12, 13, 6, 3, 3, [1, 1], [1, 1]), // large enough to run on all threads
  convGeometry(7, 3, 10, 10, 5, 3, 3, [1, 1], [1, 1]), // small maps: 3 samples a GEMM, the last GEMM 1
  convGeometry(40, 2, 4, 4, 3, 3, 3, [1, 1], [1, 1]), // 4x4 maps: each filter-gradient group of 5 split 16 a GEMM at most
];

for (const threads of [1, 2]) {
  describe(`wasm backend kernels, ${threads} thread(s)`, () => {
    let be: WasmBackend;
    let single: WasmBackend;
    const rng = new Rng(1000 + threads);
    useWasmBackends(threads, (backends) => ({ be, single } = backends));

    it("gemm: all transposes, tails of the register tile (4x8, 6x8 relaxed), accumulate, batches and foreign arrays", () => {
      const shapes = [[1, 1, 1], [1, 7, 3], [5, 1, 9], [4, 8, 16], [13, 17, 19], [67, 45, 33], [130, 70, 90], [3, 300, 2], [33, 9, 260], [6, 5, 0]];
      for (const [m, n, k] of shapes) {
        for (const transA of [false, true]) {
          for (const transB of [false, true]) {
            for (const accumulate of [false, true]) {
              const a = randomArray(rng, m * k, be), b = randomArray(rng, k * n, be), c = randomArray(rng, m * n, be);
              const expected = copy(c);
              ref.gemm(transA, transB, m, n, k, a, b, expected, accumulate);
              const magnitude = accumulate ? abs(c) : new Float32Array(m * n);
              ref.gemm(transA, transB, m, n, k, abs(a), abs(b), magnitude, true);
              be.gemm(transA, transB, m, n, k, a, b, c, accumulate);
              assertClose(c, expected, sumTolerance(magnitude, k), `gemm ${m}x${n}x${k} tA=${transA} tB=${transB} acc=${accumulate}`);
              for (const x of [a, b, c]) be.free(x);
            }
          }
        }
      }
      // A batch with padded strides, from plain (non-backend) arrays.
      const [m, n, k, batch] = [9, 13, 11, 3];
      const a = randomArray(rng, batch * (m * k + 5)), b = randomArray(rng, batch * (k * n + 2)), c = randomArray(rng, batch * (m * n + 1));
      const expected = copy(c);
      ref.gemm(true, false, m, n, k, a, b, expected, false, batch, m * k + 5, k * n + 2, m * n + 1);
      const magnitude = new Float32Array(c.length);
      ref.gemm(true, false, m, n, k, abs(a), abs(b), magnitude, false, batch, m * k + 5, k * n + 2, m * n + 1);
      be.gemm(true, false, m, n, k, a, b, c, false, batch, m * k + 5, k * n + 2, m * n + 1);
      assertClose(c, expected, sumTolerance(magnitude, k), "batched gemm");
    });

    it("gemm gives the same bits on 1 and 2 threads", () => {
      const [m, n, k] = [150, 260, 70];
      const a = randomArray(rng, m * k, be), b = randomArray(rng, k * n, be);
      const c1 = be.alloc(m * n), c2 = single.alloc(m * n);
      be.gemm(false, true, m, n, k, a, b, c1, false);
      single.gemm(false, true, m, n, k, a, b, c2, false);
      assertBitIdentical(c1, c2, "gemm threads");
    });

    it("conv2d forward, backward-input and backward-weight match the reference", () => {
      for (const g of CONV_CASES) {
        const patch = g.cin * g.kh * g.kw;
        const spatial = g.outH * g.outW;
        const what = `conv ${JSON.stringify(g)}`;
        const x = randomArray(rng, g.n * g.cin * g.h * g.w, be), w = randomArray(rng, g.cout * patch, be);
        const bias = randomArray(rng, g.cout, be), dy = randomArray(rng, g.n * g.cout * spatial, be);
        for (const withBias of [false, true]) {
          const y = be.alloc(dy.length), expected = new Float32Array(dy.length), magnitude = new Float32Array(dy.length);
          ref.conv2dForward(x, w, withBias ? bias : null, expected, g);
          ref.conv2dForward(abs(x), abs(w), withBias ? abs(bias) : null, magnitude, g);
          be.conv2dForward(x, w, withBias ? bias : null, y, g);
          assertClose(y, expected, sumTolerance(magnitude, patch + 1), `${what} forward`);
        }
        const dx = randomArray(rng, x.length, be), dxExpected = new Float32Array(x.length), dxMagnitude = new Float32Array(x.length);
        ref.conv2dBackwardInput(dy, w, dxExpected, g);
        ref.conv2dBackwardInput(abs(dy), abs(w), dxMagnitude, g);
        be.conv2dBackwardInput(dy, w, dx, g);
        assertClose(dx, dxExpected, sumTolerance(dxMagnitude, g.cout * g.kh * g.kw), `${what} backward input`);
        const dw = randomArray(rng, w.length, be), db = randomArray(rng, g.cout, be);
        const dwExpected = new Float32Array(w.length), dbExpected = new Float32Array(g.cout);
        const dwMagnitude = new Float32Array(w.length), dbMagnitude = new Float32Array(g.cout);
        ref.conv2dBackwardWeight(x, dy, dwExpected, dbExpected, g);
        ref.conv2dBackwardWeight(abs(x), abs(dy), dwMagnitude, dbMagnitude, g);
        be.conv2dBackwardWeight(x, dy, dw, db, g);
        assertClose(dw, dwExpected, sumTolerance(dwMagnitude, g.n * spatial), `${what} backward weight`);
        assertClose(db, dbExpected, sumTolerance(dbMagnitude, g.n * spatial), `${what} backward bias`);
        const dwSingle = single.alloc(w.length), dbSingle = single.alloc(g.cout);
        single.conv2dBackwardWeight(x, dy, dwSingle, dbSingle, g);
        assertBitIdentical(dw, dwSingle, `${what} backward weight, threads`);
        assertBitIdentical(db, dbSingle, `${what} backward bias, threads`);
      }
    });

    it("max and avg pooling (forward and backward) are bit-identical to the reference, ties and -inf included", () => {
      const cases = [
        poolGeometry(5, 1, 37, 1, 2, 1, 2, 0, 0), poolGeometry(3, 1, 16, 1, 2, 1, 2, 0, 0), // SIMD pair path, odd and even widths
        poolGeometry(4, 7, 9, 3, 3, 2, 2, 1, 1), poolGeometry(2, 5, 6, 2, 3, 1, 1, 0, 1), // padded, overlapping
        poolGeometry(1, 1, 1, 1, 1, 1, 1, 0, 0), poolGeometry(64, 1, 2050, 1, 2, 1, 2, 0, 0), // 1x1; large
      ];
      for (const g of cases) {
        const what = `pool ${JSON.stringify(g)}`;
        const x = be.alloc(g.planes * g.h * g.w);
        for (let i = 0; i < x.length; i++) x[i] = rng.uniform() < 0.05 ? -Infinity : rng.int(5) - 2; // many ties
        const dy = randomArray(rng, g.planes * g.outH * g.outW, be);
        const y = be.alloc(dy.length), yRef = new Float32Array(dy.length);
        be.maxPool2dForward(x, y, g); ref.maxPool2dForward(x, yRef, g);
        assertBitIdentical(y, yRef, `${what} max forward`);
        const dx = randomArray(rng, x.length, be), dxRef = new Float32Array(x.length);
        be.maxPool2dBackward(x, dy, dx, g); ref.maxPool2dBackward(x, dy, dxRef, g);
        assertBitIdentical(dx, dxRef, `${what} max backward`);
        const xs = randomArray(rng, x.length, be);
        be.avgPool2dForward(xs, y, g); ref.avgPool2dForward(xs, yRef, g);
        assertBitIdentical(y, yRef, `${what} avg forward`);
        be.avgPool2dBackward(dy, dx, g); ref.avgPool2dBackward(dy, dxRef, g);
        assertBitIdentical(dx, dxRef, `${what} avg backward`);
      }
    });

    it("unary ops and their derivatives match the reference within a few ulp, special values included", () => {
      const specials = [0, -0, 1e-40, -1e-40, Infinity, -Infinity, NaN, 88.7, 89, -87, -104, 1, -1, 0.625, -0.625, 1e-5, 20];
      const ops: UnaryOp[] = ["neg", "exp", "log", "relu", "sigmoid", "tanh", "sqrt", "abs", "square"];
      for (const n of [1, 3, 4, 17, 70001]) {
        const x = randomArray(rng, n, be, -12, 12);
        if (n > 100) x.set(specials);
        for (const op of ops) {
          const input = op === "log" || op === "sqrt" ? x.map((v) => Math.abs(v) * (rng.uniform() < 0.5 ? 1 : 1e-3)) : x;
          if (op === "log" || op === "sqrt") { input[0] = -1; input[n - 1] = 0; }
          const y = be.alloc(n), yRef = new Float32Array(n);
          be.unary(op, input, y); ref.unary(op, input, yRef);
          const tol = yRef.map((v) => 4 * 2 * EPS32 * Math.abs(v) + 3e-38);
          assertClose(y, yRef, tol, `unary ${op} n=${n}`);
          const dy = randomArray(rng, n, be), dx = be.alloc(n), dxRef = new Float32Array(n);
          be.unaryBackward(op, input, yRef, dy, dx); ref.unaryBackward(op, input, yRef, dy, dxRef);
          assertClose(dx, dxRef, dxRef.map((v) => 4 * 2 * EPS32 * Math.abs(v) + 1e-37), `unaryBackward ${op} n=${n}`);
        }
      }
    });

    it("binary ops with broadcasting are bit-identical to the reference", () => {
      const cases: [number[], number[], number[]][] = [
        [[3, 5, 7], [35, 7, 1], [35, 7, 1]], // same shape
        [[70001], [1], [0]], // b scalar, threaded
        [[9, 6], [0, 0], [6, 1]], // a scalar
        [[300, 250], [250, 1], [0, 1]], // b broadcast along rows
        [[4, 5, 9], [45, 9, 1], [0, 1, 0]], // b per channel
        [[6, 1, 5], [5, 5, 1], [0, 0, 1]], // size-1 dimension
        [[2, 3, 4, 5], [60, 20, 5, 1], [0, 4, 1, 0]], // collapses to 3 dims
        [[4, 6], [1, 4], [6, 1]], // a transposed: the reference loop runs it
        [[2, 3, 2, 3, 2], [36, 12, 6, 2, 1], [0, 1, 0, 1, 0]], // more than 3 dims after collapsing
      ];
      for (const [shape, aStrides, bStrides] of cases) {
        const span = (strides: number[]) => shape.reduce((s, d, i) => s + (d - 1) * strides[i], 0) + 1;
        const a = randomArray(rng, span(aStrides), be), b = randomArray(rng, span(bStrides), be, 0.5, 2);
        b[0] = a[0]; // a tie for max/min
        const total = shape.reduce((p, d) => p * d, 1);
        for (const op of ["add", "sub", "mul", "div", "max", "min"] as const) {
          const out = be.alloc(total), outRef = new Float32Array(total);
          be.binary(op, a, aStrides, b, bStrides, out, shape);
          ref.binary(op, a, aStrides, b, bStrides, outRef, shape);
          assertBitIdentical(out, outRef, `binary ${op} ${JSON.stringify(shape)} ${JSON.stringify(bStrides)}`);
        }
      }
    });

    it("copyStrided (transpose, slice, broadcast, permutation) is bit-identical to the reference", () => {
      const cases: [number, number[], number[]][] = [
        [0, [37, 53], [1, 37]], // 2-d transpose (gathers)
        [5 * 9, [4, 9], [9, 1]], // a slice of rows
        [3, [6, 5], [9, 1]], // a slice of columns
        [0, [300, 250], [0, 1]], // a bias broadcast over rows, threaded
        [0, [4, 7, 3], [0, 1, 0]], // broadcast over the outer and inner dimensions
        [0, [2, 3, 4, 5], [60, 5, 15, 1]], // a permutation of 4 dimensions, collapsing to 3
        [0, [2, 3, 2, 3, 2], [36, 2, 18, 6, 1]], // 5 dimensions that do not collapse
        [0, [1], [0]], [0, [1, 1], [0, 0]], // single elements
      ];
      for (const [offset, shape, strides] of cases) {
        const span = offset + shape.reduce((sum, d, i) => sum + (d - 1) * strides[i], 0) + 1;
        const x = randomArray(rng, span + 3, be);
        const total = shape.reduce((p, d) => p * d, 1);
        const y = be.alloc(total), yRef = new Float32Array(total);
        be.copyStrided(x, offset, strides, y, shape);
        ref.copyStrided(x, offset, strides, yRef, shape);
        assertBitIdentical(y, yRef, `copyStrided ${offset} ${JSON.stringify(shape)} ${JSON.stringify(strides)}`);
      }
    });

    it("affine, accumulate and sumAxis are bit-identical to the reference (sumAxis with inner = 1 within rounding)", () => {
      for (const n of [1, 5, 70001]) {
        const x = randomArray(rng, n, be), y = be.alloc(n), yRef = new Float32Array(n);
        be.affine(x, 0.1, -1 / 3, y); ref.affine(x, 0.1, -1 / 3, yRef);
        assertBitIdentical(y, yRef, `affine n=${n}`);
        be.accumulate(x, y); ref.accumulate(x, yRef);
        assertBitIdentical(y, yRef, `accumulate n=${n}`);
      }
      for (const [outer, len, inner] of [[3, 5, 7], [1, 9, 1], [10, 1000, 10], [2, 3, 600], [700, 101, 1], [1, 1, 1]]) {
        const x = randomArray(rng, outer * len * inner, be), y = be.alloc(outer * inner), yRef = new Float32Array(outer * inner);
        be.sumAxis(x, outer, len, inner, y); ref.sumAxis(x, outer, len, inner, yRef);
        if (inner > 1) assertBitIdentical(y, yRef, `sumAxis ${outer}x${len}x${inner}`);
        else {
          const magnitude = new Float32Array(outer);
          ref.sumAxis(abs(x), outer, len, inner, magnitude);
          assertClose(y, yRef, sumTolerance(magnitude, len), `sumAxis ${outer}x${len}x${inner}`);
        }
        const ySingle = single.alloc(y.length);
        single.sumAxis(x, outer, len, inner, ySingle);
        assertBitIdentical(y, ySingle, `sumAxis threads ${outer}x${len}x${inner}`);
      }
    });

    it("channelMoments, channelGradientSums and channelAffine give the reference's bits, whatever the threads, odd rows included", () => {
      const rng = new Rng(2000 + threads); // its own draws: the other kernels' tests keep their inputs
      for (const [outer, channels, inner] of [[4, 3, 5], [2, 1, 7], [64, 16, 1024], [3, 5, 1], [6, 2, 6], [256, 8, 16], [1, 1, 1]]) {
        const n = outer * channels * inner;
        const x = randomArray(rng, n, be, -2, 5), dy = randomArray(rng, n, be);
        const vectors = () => Array.from({ length: 4 }, () => randomArray(rng, channels, be));
        const [center, xScale, dyScale, shift] = vectors();
        const results = [be, single, ref].map((backend) => {
          const mean = new Float32Array(channels), variance = new Float32Array(channels), sumDy = new Float32Array(channels), sumDyCentred = new Float32Array(channels);
          backend.channelMoments(x, outer, channels, inner, mean, variance);
          backend.channelGradientSums(dy, x, center, outer, channels, inner, sumDy, sumDyCentred);
          const forward = backend.alloc(n), backward = backend.alloc(n);
          backend.channelAffine(x, center, xScale, null, null, shift, outer, channels, inner, forward);
          backend.channelAffine(x, center, xScale, dy, dyScale, shift, outer, channels, inner, backward);
          return { mean, variance, sumDy, sumDyCentred, forward: copy(forward), backward: copy(backward) };
        });
        for (const key of ["mean", "variance", "sumDy", "sumDyCentred", "forward", "backward"] as const) {
          assertBitIdentical(results[0][key], results[2][key], `${key} ${outer}x${channels}x${inner} against the reference`);
          assertBitIdentical(results[0][key], results[1][key], `${key} ${outer}x${channels}x${inner} on one thread`);
        }
        // The statistics against plain float64 sums, element by element.
        for (let c = 0; c < channels; c++) {
          let sum = 0, squares = 0, gradient = 0, centred = 0;
          for (let o = 0; o < outer; o++) {
            for (let i = 0; i < inner; i++) {
              const k = (o * channels + c) * inner + i;
              sum += x[k];
              gradient += dy[k];
              centred += dy[k] * (x[k] - center[c]);
            }
          }
          const mean = sum / (outer * inner);
          for (let o = 0; o < outer; o++) for (let i = 0; i < inner; i++) squares += (x[(o * channels + c) * inner + i] - mean) ** 2;
          const close = (actual: number, expected: number, what: string) => assert.ok(Math.abs(actual - expected) <= 4 * EPS32 * Math.max(1, Math.abs(expected)), `${what}: ${actual} vs ${expected}`);
          close(results[0].mean[c], mean, `mean ${c}`);
          close(results[0].variance[c], squares / (outer * inner), `variance ${c}`);
          close(results[0].sumDy[c], gradient, `sumDy ${c}`);
          close(results[0].sumDyCentred[c], centred, `sumDyCentred ${c}`);
        }
        const k = n - 1, c = Math.floor(k / inner) % channels;
        const f = Math.fround;
        assert.equal(results[0].backward[k], f(f(f(f(x[k] - center[c]) * xScale[c]) + f(dy[k] * dyScale[c])) + shift[c]), "channelAffine's last element by hand");
      }
    });

    it("softmax and log-softmax, forward and backward, match the reference", () => {
      for (const [rows, cols] of [[1, 1], [3, 5], [7, 13], [300, 70], [2, 4]]) {
        const x = randomArray(rng, rows * cols, be, -20, 20);
        for (const log of [false, true]) {
          const y = be.alloc(x.length), yRef = new Float32Array(x.length);
          be.softmax(x, rows, cols, y, log); ref.softmax(x, rows, cols, yRef, log);
          // x - max is rounded to float32 before exp: up to 40 here, a relative error of up to 40 * 2^-24 in the output.
          assertClose(y, yRef, yRef.map((v) => (cols + 8) * 2 * EPS32 * (log ? 20 + Math.abs(v) : Math.abs(v)) + (log ? 0 : 40 * EPS32 * Math.abs(v)) + 1e-37), `softmax log=${log} ${rows}x${cols}`);
          const dy = randomArray(rng, x.length, be), dx = be.alloc(x.length), dxRef = new Float32Array(x.length);
          be.softmaxBackward(yRef, dy, rows, cols, dx, log); ref.softmaxBackward(yRef, dy, rows, cols, dxRef, log);
          assertClose(dx, dxRef, (cols + 8) * 4 * EPS32 * (log ? cols : 2), `softmaxBackward log=${log} ${rows}x${cols}`);
        }
      }
    });

    it("LIF forward gives bit-identical membranes and spikes; backward matches within float tolerance", () => {
      const resets: ResetMode[] = ["subtract", "zero", "none"];
      const surrogates: [SurrogateKind, number][] = [["fast-sigmoid", 5], ["arctan", 2], ["sigmoid", 4], ["piecewise-linear", 1], ["straight-through", 0]];
      let round = 0;
      for (const [T, N, F] of [[8, 31, 31], [5, 70001, 7], [3, 1, 1], [6, 258, 1]]) {
        for (const reset of resets) {
          for (const perFeature of [false, true]) {
            const vRest = [0, 0.25, -0.5, 0.1][round % 4];
            const [kind, param] = surrogates[round % surrogates.length];
            round++;
            const beta = randomArray(rng, perFeature ? F : 1, null, 0.5, 0.99);
            const threshold = randomArray(rng, perFeature ? F : 1, null, 0.5, 1.5);
            const spec: LifSpec = { T, N, F, beta, threshold, vRest, reset };
            const what = `LIF T=${T} N=${N} F=${F} reset=${reset} perFeature=${perFeature} vRest=${vRest}`;
            const current = randomArray(rng, T * N, be, -0.5, 1.5);
            const mem = be.alloc(T * N), spikes = be.alloc(T * N), memRef = new Float32Array(T * N), spikesRef = new Float32Array(T * N);
            be.lifForward(spec, current, mem, spikes); ref.lifForward(spec, current, memRef, spikesRef);
            assertBitIdentical(mem, memRef, `${what} membrane`);
            assertBitIdentical(spikes, spikesRef, `${what} spikes`);
            if (T * N > 100) assert.ok(spikesRef.some((s) => s === 1) && spikesRef.some((s) => s === 0), `${what}: test needs both spikes and silence`);
            const dS = randomArray(rng, T * N, be), dM = round % 2 === 0 ? randomArray(rng, T * N, be) : null;
            const dI = be.alloc(T * N), dIRef = new Float32Array(T * N);
            const dBeta = new Float32Array(beta.length).fill(0.5), dBetaRef = copy(dBeta);
            const dTh = be.alloc(threshold.length), dThRef = new Float32Array(threshold.length);
            const surrogate = { kind, param };
            be.lifBackward(spec, surrogate, mem, spikes, dS, dM, dI, dBeta, dTh);
            ref.lifBackward(spec, surrogate, memRef, spikesRef, dS, dM, dIRef, dBetaRef, dThRef);
            assertClose(dI, dIRef, dIRef.map((v) => 64 * T * EPS32 * (1 + Math.abs(v))), `${what} dCurrent`);
            const total = dIRef.reduce((s, v) => s + Math.abs(v), 0) + dS.reduce((s, v) => s + Math.abs(v), 0);
            assertClose(dBeta, dBetaRef, 4 * EPS32 * (T * N) * total / Math.max(1, beta.length) + 1e-6, `${what} dBeta`);
            assertClose(dTh, dThRef, 4 * EPS32 * (T * N) * total * Math.max(1, param) / Math.max(1, threshold.length) + 1e-6, `${what} dThreshold`);
            // Without parameter gradients, shared parameters take a step-by-step path: same values.
            const dINoParams = be.alloc(T * N);
            be.lifBackward(spec, surrogate, mem, spikes, dS, dM, dINoParams, null, null);
            assertClose(dINoParams, dI, 0, `${what} dCurrent without parameter gradients`);
            const dISingle = single.alloc(T * N), dBetaSingle = new Float32Array(beta.length).fill(0.5), dThSingle = new Float32Array(threshold.length);
            single.lifBackward(spec, surrogate, mem, spikes, dS, dM, dISingle, dBetaSingle, dThSingle);
            assertBitIdentical(dI, dISingle, `${what} dCurrent threads`);
            assertBitIdentical(dBeta, dBetaSingle, `${what} dBeta threads`);
            assertBitIdentical(dTh, dThSingle, `${what} dThreshold threads`);
          }
        }
      }
    });

    it("spiking ReLU is bit-identical to the reference, for dt that float32 cannot hold too", () => {
      for (const [T, N, dt] of [[4, 1, 1], [7, 33, 0.001], [3, 70001, 0.1]]) {
        const x = randomArray(rng, T * N, be, -200, 800);
        const voltage = randomArray(rng, N, be, 0, 1), voltageRef = copy(voltage);
        const y = be.alloc(T * N), yRef = new Float32Array(T * N);
        be.spikingReluForward(x, T, N, dt, voltage, y); ref.spikingReluForward(x, T, N, dt, voltageRef, yRef);
        assertBitIdentical(y, yRef, `spikingRelu T=${T} N=${N} dt=${dt}`);
        assertBitIdentical(voltage, voltageRef, `spikingRelu voltage T=${T} N=${N} dt=${dt}`);
      }
    });
  });
}
