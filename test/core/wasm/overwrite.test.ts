import { test } from "node:test";
import assert from "node:assert/strict";
import type { ConvGeometry, PoolGeometry } from "../../../src/core/backend.js";
import { createWasmBackend } from "../../../src/core/backends/wasm/index.js";
import { Rng } from "../../../src/core/random.js";

/**
 * Ops hand kernels output arrays with arbitrary contents (alloc(n, false)), so every kernel must
 * write its whole output: run each on an output full of NaN and on a zeroed one; they must agree.
 */
test("every kernel overwrites its whole output (outputs full of NaN give the same result as zeroed ones)", async () => {
  const be = await createWasmBackend({ threads: 2 });
  try {
    const rng = new Rng(5);
    const rand = (n: number): Float32Array => { const a = be.alloc(n); for (let i = 0; i < n; i++) a[i] = rng.uniform() * 2 - 1; return a; };
    const check = (name: string, n: number, run: (out: Float32Array) => void): void => {
      const zeroed = be.alloc(n);
      const dirty = be.alloc(n, false);
      dirty.fill(NaN);
      run(zeroed);
      run(dirty);
      for (let i = 0; i < n; i++) {
        if (!Object.is(zeroed[i], dirty[i]) && !(zeroed[i] === dirty[i])) assert.fail(`${name}: element ${i} is ${dirty[i]} on a dirty output, ${zeroed[i]} on a clean one`);
      }
      be.free(zeroed);
      be.free(dirty);
    };
    const g: ConvGeometry = { n: 3, cin: 4, h: 1, w: 37, cout: 6, kh: 1, kw: 5, strideH: 1, strideW: 1, padH: 0, padW: 2, dilationH: 1, dilationW: 1, outH: 1, outW: 37 };
    const x = rand(3 * 4 * 37);
    const w = rand(6 * 4 * 5);
    const dy = rand(3 * 6 * 37);
    const convBias = rand(6);
    check("conv2dForward", dy.length, (o) => be.conv2dForward(x, w, convBias, o, g));
    check("conv2dBackwardInput", x.length, (o) => be.conv2dBackwardInput(dy, w, o, g));
    check("conv2dBackwardWeight", w.length, (o) => be.conv2dBackwardWeight(x, dy, o, null, g));
    const bias = be.alloc(6, false); bias.fill(NaN);
    be.conv2dBackwardWeight(x, dy, be.alloc(w.length, false), bias, g);
    assert.ok(bias.every(Number.isFinite), "conv2dBackwardWeight overwrites dBias");
    const p: PoolGeometry = { planes: 5, h: 6, w: 9, kh: 2, kw: 3, strideH: 2, strideW: 2, padH: 0, padW: 1, outH: 3, outW: 5 };
    const px = rand(5 * 6 * 9);
    const pdy = rand(5 * 3 * 5);
    check("maxPool2dForward", pdy.length, (o) => be.maxPool2dForward(px, o, p));
    check("maxPool2dBackward", px.length, (o) => be.maxPool2dBackward(px, pdy, o, p));
    check("avgPool2dForward", pdy.length, (o) => be.avgPool2dForward(px, o, p));
    check("avgPool2dBackward", px.length, (o) => be.avgPool2dBackward(pdy, o, p));
    const a = rand(7 * 13);
    const b = rand(13 * 11);
    check("gemm", 7 * 11, (o) => be.gemm(false, false, 7, 11, 13, a, b, o, false));
    check("gemm TN", 13 * 13, (o) => be.gemm(true, false, 13, 13, 7, a, a, o, false));
    const u = rand(1001);
    for (const op of ["relu", "exp", "sigmoid", "tanh"] as const) {
      const y = be.alloc(1001); be.unary(op, u, y);
      check(`unary ${op}`, 1001, (o) => be.unary(op, u, o));
      const dyU = rand(1001);
      check(`unaryBackward ${op}`, 1001, (o) => be.unaryBackward(op, u, y, dyU, o));
    }
    const row = rand(13);
    check("binary add (broadcast)", 7 * 13, (o) => be.binary("add", a, [13, 1], row, [0, 1], o, [7, 13]));
    check("affine", 1001, (o) => be.affine(u, 2, 1, o));
    check("copyStrided (transpose)", 7 * 13, (o) => be.copyStrided(a, 0, [1, 13], o, [13, 7]));
    check("sumAxis", 7, (o) => be.sumAxis(a, 7, 13, 1, o));
    check("sumAxis inner", 13, (o) => be.sumAxis(a, 1, 7, 13, o));
    check("softmax", 7 * 13, (o) => be.softmax(a, 7, 13, o, false));
    const dSoft = rand(7 * 13);
    check("softmaxBackward", 7 * 13, (o) => be.softmaxBackward(a, dSoft, 7, 13, o, true));
    const spec = { T: 6, N: 40, F: 40, beta: Float32Array.of(0.9), threshold: Float32Array.of(0.5), vRest: 0, reset: "subtract" as const };
    const current = rand(6 * 40);
    const mem = be.alloc(240); const spikes = be.alloc(240);
    be.lifForward(spec, current, mem, spikes);
    check("lifForward membrane", 240, (o) => be.lifForward(spec, current, o, be.alloc(240, false)));
    const dSpikes = rand(240);
    check("lifBackward dCurrent", 240, (o) => be.lifBackward(spec, { kind: "arctan", param: 2 }, mem, spikes, dSpikes, null, o, null, null));
    check("spikingReluForward", 240, (o) => be.spikingReluForward(current, 6, 40, 0.5, be.alloc(40), o));
  } finally {
    await be.dispose();
  }
});


