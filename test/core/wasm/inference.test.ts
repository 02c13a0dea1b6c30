// The inference-only spiking kernels of the WebAssembly backend: spikes-only LIF (static or
// per-step currents, pooled or not) and the event-driven convolution fused with it, against the
// reference backend and against the kernels they replace (bit for bit), on 1 and 2 threads; and
// the row copy that concatenation runs on.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Backend, ConvGeometry, LifSpec, ResetMode } from "../../../src/core/backend.js";
import { ReferenceBackend } from "../../../src/core/backends/reference/index.js";
import type { WasmBackend } from "../../../src/core/backends/wasm/index.js";
import { Rng } from "../../../src/core/random.js";
import { assertBitIdentical, convGeometry, randomArray, sparseArray, useWasmBackends } from "./compare.js";

const ref = new ReferenceBackend();
const RESETS: ResetMode[] = ["subtract", "zero", "none"];

/** What lifInference must give: lifForward's spikes max-pooled over windows, and their counts per feature. */
function expectedSpikes(backend: Backend, spec: LifSpec, current: Float32Array, staticCurrent: boolean, poolWidth: number): { spikes: Float32Array; counts: Float32Array } {
  const { T, N, F } = spec;
  const perStep = new Float32Array(T * N);
  for (let t = 0; t < T; t++) perStep.set(staticCurrent ? current.subarray(0, N) : current.subarray(t * N, (t + 1) * N), t * N);
  const mem = new Float32Array(T * N), all = new Float32Array(T * N);
  backend.lifForward(spec, perStep, mem, all);
  const spikes = new Float32Array((T * N) / poolWidth);
  for (let i = 0; i < spikes.length; i++) for (let k = 0; k < poolWidth; k++) spikes[i] = Math.max(spikes[i], all[i * poolWidth + k]);
  const counts = new Float32Array(F);
  for (let i = 0; i < T * N; i++) counts[i % F] += all[i];
  return { spikes, counts };
}

function conv1dGeometry(n: number, cin: number, w: number, cout: number, kw: number, stride = 1, pad = 0): ConvGeometry {
  return convGeometry(n, cin, 1, w, cout, 1, kw, [1, stride], [0, pad]);
}

for (const threads of [1, 2]) {
  describe(`inference spiking kernels, ${threads} thread(s)`, () => {
    let be: WasmBackend;
    let single: WasmBackend;
    const rng = new Rng(4100 + threads);
    useWasmBackends(threads, (backends) => ({ be, single } = backends));

    it("lifInference gives lifForward's spikes (pooled) and their counts, bit-identical to the reference", () => {
      let round = 0;
      // [T, samples, features per sample, pooling width]: SIMD tails, odd windows, and one large
      // enough to run on all threads (more features than a work unit).
      for (const [T, B, F, poolWidth] of [[8, 3, 30, 2], [5, 4, 21, 3], [3, 1, 1, 1], [8, 37, 4100, 2], [6, 9, 1030, 1], [2, 2, 12, 4]]) {
        for (const reset of RESETS) {
          for (const perFeature of [false, true]) {
            for (const staticCurrent of [false, true]) {
              const vRest = [0, 0.25, -0.5, 0][round++ % 4];
              const N = B * F;
              const beta = randomArray(rng, perFeature ? F : 1, null, 0.5, 0.99);
              const threshold = randomArray(rng, perFeature ? F : 1, null, 0.5, 1.5);
              const spec: LifSpec = { T, N, F, beta, threshold, vRest, reset };
              const what = `T=${T} B=${B} F=${F} pool=${poolWidth} reset=${reset} perFeature=${perFeature} static=${staticCurrent} vRest=${vRest}`;
              const current = randomArray(rng, staticCurrent ? N : T * N, be, -0.5, 1.5);
              const spikes = be.alloc((T * N) / poolWidth), counts = be.alloc(F);
              be.lifInference(spec, current, staticCurrent, poolWidth, spikes, counts);
              const spikesRef = new Float32Array(spikes.length), countsRef = new Float32Array(F);
              ref.lifInference(spec, current, staticCurrent, poolWidth, spikesRef, countsRef);
              assertBitIdentical(spikes, spikesRef, `${what}: spikes against the reference`);
              assertBitIdentical(counts, countsRef, `${what}: counts against the reference`);
              const expected = expectedSpikes(ref, spec, current, staticCurrent, poolWidth);
              assertBitIdentical(spikesRef, expected.spikes, `${what}: reference spikes against lifForward`);
              assertBitIdentical(countsRef, expected.counts, `${what}: reference counts against lifForward`);
              if (T * N > 1000) assert.ok(spikes.some((s) => s === 1) && spikes.some((s) => s === 0), `${what}: test needs both spikes and silence`);
              const spikesSingle = single.alloc(spikes.length), countsSingle = single.alloc(F);
              single.lifInference(spec, current, staticCurrent, poolWidth, spikesSingle, countsSingle);
              assertBitIdentical(spikes, spikesSingle, `${what}: spikes on 1 thread`);
              assertBitIdentical(counts, countsSingle, `${what}: counts on 1 thread`);
            }
          }
        }
      }
    });

    it("lifInference rejects a pooling width that does not divide the features", () => {
      const spec: LifSpec = { T: 2, N: 10, F: 5, beta: new Float32Array([0.9]), threshold: new Float32Array([1]), vRest: 0, reset: "subtract" };
      assert.throws(() => be.lifInference(spec, be.alloc(20), false, 2, be.alloc(10), be.alloc(5)), /pooling width 2/);
    });

    it("sparseConvLif gives the spikes and counts of sparseConv2dForward then lifInference, bit for bit", () => {
      let round = 0;
      // [geometry (n = T * B), T, pooling width]: the ECG net's second block (shorter), more than 32
      // input channels (several spike masks), strided, odd widths, and one for all threads.
      const cases: [ConvGeometry, number, number][] = [
        [conv1dGeometry(3 * 4, 32, 38, 64, 5, 1, 2), 3, 2],
        [conv1dGeometry(2 * 3, 70, 17, 33, 5, 1, 2), 2, 1],
        [conv1dGeometry(4 * 2, 5, 25, 7, 3, 2, 0), 4, 3],
        [conv1dGeometry(1, 1, 1, 1, 1), 1, 1],
        [conv1dGeometry(8 * 20, 16, 64, 20, 5, 1, 2), 8, 2],
      ];
      for (const [g, T, poolWidth] of cases) {
        const F = g.cout * g.outH * g.outW, N = (g.n / T) * F;
        const weight = randomArray(rng, g.cout * g.cin * g.kw, be, -0.6, 0.6);
        for (const density of [0, 0.15, 0.5]) {
          for (const height of [1, 0]) {
            for (const perFeature of [false, true]) {
              const reset = RESETS[round % 3];
              const vRest = [0, 0.1, 0][round++ % 3];
              const bias = round % 4 === 0 ? null : randomArray(rng, g.cout, be, -0.2, 0.6);
              const spec: LifSpec = {
                T, N, F, vRest, reset,
                beta: randomArray(rng, perFeature ? F : 1, null, 0.5, 0.99),
                threshold: randomArray(rng, perFeature ? F : 1, null, 0.3, 1.2),
              };
              const what = `${JSON.stringify([g.n, g.cin, g.w, g.cout, g.kw, g.strideW, g.padW])} T=${T} pool=${poolWidth} density=${density} height=${height} perFeature=${perFeature} reset=${reset} vRest=${vRest}`;
              const x = sparseArray(rng, g.n * g.cin * g.w, density, be, height);
              const spikes = be.alloc((T * N) / poolWidth), counts = be.alloc(F);
              be.sparseConvLif(x, weight, bias, g, spec, poolWidth, spikes, counts);
              const spikesRef = new Float32Array(spikes.length), countsRef = new Float32Array(F);
              ref.sparseConvLif(x, weight, bias, g, spec, poolWidth, spikesRef, countsRef);
              assertBitIdentical(spikes, spikesRef, `${what}: spikes against the reference`);
              assertBitIdentical(counts, countsRef, `${what}: counts against the reference`);
              const current = new Float32Array(g.n * F);
              ref.sparseConv2dForward(x, weight, bias, current, g);
              const expected = expectedSpikes(ref, spec, current, false, poolWidth);
              assertBitIdentical(spikesRef, expected.spikes, `${what}: reference spikes against the separate kernels`);
              assertBitIdentical(countsRef, expected.counts, `${what}: reference counts against the separate kernels`);
              const spikesSingle = single.alloc(spikes.length), countsSingle = single.alloc(F);
              single.sparseConvLif(x, weight, bias, g, spec, poolWidth, spikesSingle, countsSingle);
              assertBitIdentical(spikes, spikesSingle, `${what}: spikes on 1 thread`);
              assertBitIdentical(counts, countsSingle, `${what}: counts on 1 thread`);
            }
          }
        }
      }
    });

    it("sparseConvLif rejects neurons that do not fit the convolution's output", () => {
      const g = conv1dGeometry(4, 2, 9, 3, 3);
      const spec: LifSpec = { T: 2, N: 2 * 21, F: 21, beta: new Float32Array([0.9]), threshold: new Float32Array([1]), vRest: 0, reset: "subtract" };
      const run = (s: LifSpec, poolWidth: number): void => be.sparseConvLif(be.alloc(72), be.alloc(18), null, g, s, poolWidth, be.alloc(84), be.alloc(21));
      assert.throws(() => run({ ...spec, F: 7, N: 14 }, 1), /do not fit/);
      assert.throws(() => run(spec, 2), /do not fit/);
      assert.doesNotThrow(() => run(spec, 7));
    });

    it("copyRows writes a block of columns into a wider matrix and leaves the rest", () => {
      for (const [rows, cols, offset, stride] of [[3, 5, 2, 9], [1, 4, 0, 4], [2049, 4096, 0, 4101], [2049, 5, 4096, 4101], [0, 3, 0, 3]]) {
        const x = randomArray(rng, rows * cols, be);
        const size = rows === 0 ? 3 : offset + (rows - 1) * stride + cols;
        const y = randomArray(rng, size, be), yRef = new Float32Array(y);
        be.copyRows(x, rows, cols, y, offset, stride);
        ref.copyRows(x, rows, cols, yRef, offset, stride);
        assertBitIdentical(y, yRef, `copyRows ${rows}x${cols} at ${offset}, stride ${stride}`);
      }
      assert.throws(() => be.copyRows(be.alloc(6), 2, 3, be.alloc(10), 0, 2), /invalid layout/);
      assert.throws(() => be.copyRows(be.alloc(6), 2, 3, be.alloc(5), 0, 3), /needs 6/);
    });
  });
}
