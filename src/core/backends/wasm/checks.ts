// The argument checks of the WebAssembly backend: a kernel trusts its sizes and geometry, so every
// call is checked here first and refused with one line that names the operation and the array.
import type { ConvGeometry, LifSpec, PoolGeometry } from "../../backend.js";
import { SpikemedError } from "../../errors.js";

export function need(op: string, name: string, array: Float32Array, count: number): void {
  if (array.length < count) {
    throw new SpikemedError(`wasm backend: ${op}: ${name} has ${array.length} elements, needs ${count}`);
  }
}

export function checkConv(op: string, g: ConvGeometry): { patch: number; spatial: number } {
  const values = [g.n, g.cin, g.h, g.w, g.cout, g.kh, g.kw, g.strideH, g.strideW, g.padH, g.padW, g.dilationH, g.dilationW, g.outH, g.outW];
  const expectH = Math.floor((g.h + 2 * g.padH - g.dilationH * (g.kh - 1) - 1) / g.strideH) + 1;
  const expectW = Math.floor((g.w + 2 * g.padW - g.dilationW * (g.kw - 1) - 1) / g.strideW) + 1;
  if (values.some((v) => !Number.isInteger(v) || v < 0) || g.strideH < 1 || g.strideW < 1 || g.dilationH < 1 || g.dilationW < 1
    || g.outH !== expectH || g.outW !== expectW) {
    throw new SpikemedError(`wasm backend: ${op}: invalid geometry ${JSON.stringify(g)}`);
  }
  return { patch: g.cin * g.kh * g.kw, spatial: g.outH * g.outW };
}

export function checkPool(op: string, g: PoolGeometry): void {
  const values = [g.planes, g.h, g.w, g.kh, g.kw, g.strideH, g.strideW, g.padH, g.padW, g.outH, g.outW];
  if (values.some((v) => !Number.isInteger(v) || v < 0) || g.strideH < 1 || g.strideW < 1
    || (g.outH - 1) * g.strideH - g.padH + g.kh > g.h + g.padH || (g.outW - 1) * g.strideW - g.padW + g.kw > g.w + g.padW) {
    throw new SpikemedError(`wasm backend: ${op}: invalid geometry ${JSON.stringify(g)}`);
  }
}

export function checkLif(op: string, spec: LifSpec): number {
  const { T, N, F, beta, threshold } = spec;
  if (![T, N, F].every((v) => Number.isInteger(v) && v >= 0) || F < 1
    || (beta.length !== 1 && beta.length < F) || (threshold.length !== 1 && threshold.length < F)) {
    throw new SpikemedError(`wasm backend: ${op}: invalid LIF spec (T=${T}, N=${N}, F=${F}, beta length ${beta.length}, threshold length ${threshold.length}); beta and threshold need length 1 or F`);
  }
  return T * N;
}

/** True when every index the strides reach lies inside the array. */
export function fits(array: Float32Array, shape: number[], strides: number[]): boolean {
  let last = 0;
  for (let d = 0; d < shape.length; d++) {
    if (strides[d] < 0) return false;
    last += (shape[d] - 1) * strides[d];
  }
  return last < array.length;
}
