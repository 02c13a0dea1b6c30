import type {
  Backend, BinaryOp, ConvGeometry, LifSpec, PoolGeometry, SurrogateSpec, UnaryOp,
} from "../../backend.js";
import { col2im, gemmSingle, im2col, sparseConv, sparseLinear } from "./linalg.js";
import * as neurons from "./neurons.js";

/**
 * The reference backend: plain TypeScript loops, written to be obviously correct. Other backends
 * are tested against it, and extend it to inherit the kernels they do not make faster.
 */
export class ReferenceBackend implements Backend {
  readonly name: string = "reference";
  readonly threads: number = 1;

  alloc(n: number, _zeroed = true): Float32Array {
    return new Float32Array(n);
  }

  free(_array: Float32Array): void {
    // Garbage-collected memory: nothing to return.
  }

  gemm(transA: boolean, transB: boolean, m: number, n: number, k: number,
    a: Float32Array, b: Float32Array, c: Float32Array, accumulate: boolean,
    batch = 1, strideA = 0, strideB = 0, strideC = 0): void {
    for (let i = 0; i < batch; i++) {
      gemmSingle(transA, transB, m, n, k, a, i * strideA, b, i * strideB, c, i * strideC, accumulate);
    }
  }

  conv2dForward(x: Float32Array, weight: Float32Array, bias: Float32Array | null, y: Float32Array, g: ConvGeometry): void {
    const spatial = g.outH * g.outW;
    const patch = g.cin * g.kh * g.kw;
    const col = new Float32Array(patch * spatial);
    for (let s = 0; s < g.n; s++) {
      im2col(x, s * g.cin * g.h * g.w, col, g);
      const yOff = s * g.cout * spatial;
      gemmSingle(false, false, g.cout, spatial, patch, weight, 0, col, 0, y, yOff, false);
      if (bias) {
        for (let o = 0; o < g.cout; o++) {
          const row = yOff + o * spatial;
          for (let j = 0; j < spatial; j++) y[row + j] += bias[o];
        }
      }
    }
  }

  conv2dBackwardInput(dy: Float32Array, weight: Float32Array, dx: Float32Array, g: ConvGeometry): void {
    const spatial = g.outH * g.outW;
    const patch = g.cin * g.kh * g.kw;
    const col = new Float32Array(patch * spatial);
    dx.fill(0);
    for (let s = 0; s < g.n; s++) {
      gemmSingle(true, false, patch, spatial, g.cout, weight, 0, dy, s * g.cout * spatial, col, 0, false);
      col2im(col, dx, s * g.cin * g.h * g.w, g);
    }
  }

  conv2dBackwardWeight(x: Float32Array, dy: Float32Array, dWeight: Float32Array, dBias: Float32Array | null, g: ConvGeometry): void {
    const spatial = g.outH * g.outW;
    const patch = g.cin * g.kh * g.kw;
    const col = new Float32Array(patch * spatial);
    dWeight.fill(0);
    if (dBias) dBias.fill(0);
    for (let s = 0; s < g.n; s++) {
      im2col(x, s * g.cin * g.h * g.w, col, g);
      const dyOff = s * g.cout * spatial;
      gemmSingle(false, true, g.cout, patch, spatial, dy, dyOff, col, 0, dWeight, 0, true);
      if (dBias) {
        for (let o = 0; o < g.cout; o++) {
          let sum = 0;
          for (let j = 0; j < spatial; j++) sum += dy[dyOff + o * spatial + j];
          dBias[o] += sum;
        }
      }
    }
  }

  sparseLinearForward(x: Float32Array, weight: Float32Array, bias: Float32Array | null, y: Float32Array,
    rows: number, inFeatures: number, outFeatures: number): void {
    sparseLinear(x, weight, bias, y, rows, inFeatures, outFeatures);
  }

  sparseConv2dForward(x: Float32Array, weight: Float32Array, bias: Float32Array | null, y: Float32Array, g: ConvGeometry): void {
    sparseConv(x, weight, bias, y, g);
  }

  maxPool2dForward(x: Float32Array, y: Float32Array, g: PoolGeometry): void {
    this.forEachWindow(g, (plane, out, window) => {
      let best = -Infinity;
      for (const idx of window) if (x[plane + idx] > best) best = x[plane + idx];
      y[out] = best;
    });
  }

  maxPool2dBackward(x: Float32Array, dy: Float32Array, dx: Float32Array, g: PoolGeometry): void {
    dx.fill(0);
    this.forEachWindow(g, (plane, out, window) => {
      let best = -Infinity;
      let arg = -1;
      for (const idx of window) if (x[plane + idx] > best) { best = x[plane + idx]; arg = idx; }
      if (arg >= 0) dx[plane + arg] += dy[out];
    });
  }

  avgPool2dForward(x: Float32Array, y: Float32Array, g: PoolGeometry): void {
    const area = g.kh * g.kw;
    this.forEachWindow(g, (plane, out, window) => {
      let sum = 0;
      for (const idx of window) sum += x[plane + idx];
      y[out] = sum / area;
    });
  }

  avgPool2dBackward(dy: Float32Array, dx: Float32Array, g: PoolGeometry): void {
    const area = g.kh * g.kw;
    dx.fill(0);
    this.forEachWindow(g, (plane, out, window) => {
      for (const idx of window) dx[plane + idx] += dy[out] / area;
    });
  }

  /** Calls fn with each window's in-bounds input indices (relative to its plane, row-major order). */
  private forEachWindow(g: PoolGeometry, fn: (planeOffset: number, outIndex: number, window: number[]) => void): void {
    const window: number[] = [];
    for (let p = 0; p < g.planes; p++) {
      const plane = p * g.h * g.w;
      for (let oy = 0; oy < g.outH; oy++) {
        for (let ox = 0; ox < g.outW; ox++) {
          window.length = 0;
          for (let ky = 0; ky < g.kh; ky++) {
            const iy = oy * g.strideH - g.padH + ky;
            if (iy < 0 || iy >= g.h) continue;
            for (let kx = 0; kx < g.kw; kx++) {
              const ix = ox * g.strideW - g.padW + kx;
              if (ix >= 0 && ix < g.w) window.push(iy * g.w + ix);
            }
          }
          fn(plane, (p * g.outH + oy) * g.outW + ox, window);
        }
      }
    }
  }

  unary(op: UnaryOp, x: Float32Array, y: Float32Array): void {
    const f = UNARY[op];
    for (let i = 0; i < x.length; i++) y[i] = f(x[i]);
  }

  unaryBackward(op: UnaryOp, x: Float32Array, y: Float32Array, dy: Float32Array, dx: Float32Array): void {
    const d = UNARY_DERIVATIVE[op];
    for (let i = 0; i < x.length; i++) dx[i] = dy[i] * d(x[i], y[i]);
  }

  binary(op: BinaryOp, a: Float32Array, aStrides: readonly number[], b: Float32Array, bStrides: readonly number[], out: Float32Array, shape: readonly number[]): void {
    const f = BINARY[op];
    const rank = shape.length;
    const index = new Array<number>(rank).fill(0);
    let ia = 0;
    let ib = 0;
    for (let o = 0; o < out.length; o++) {
      out[o] = f(a[ia], b[ib]);
      for (let d = rank - 1; d >= 0; d--) {
        index[d]++;
        ia += aStrides[d];
        ib += bStrides[d];
        if (index[d] < shape[d]) break;
        ia -= aStrides[d] * shape[d];
        ib -= bStrides[d] * shape[d];
        index[d] = 0;
      }
    }
  }

  affine(x: Float32Array, scale: number, shift: number, y: Float32Array): void {
    for (let i = 0; i < x.length; i++) y[i] = x[i] * scale + shift;
  }

  copyRows(x: Float32Array, rows: number, cols: number, y: Float32Array, yOffset: number, yStride: number): void {
    for (let r = 0; r < rows; r++) y.set(x.subarray(r * cols, (r + 1) * cols), yOffset + r * yStride);
  }

  copyStrided(x: Float32Array, offset: number, strides: readonly number[], y: Float32Array, shape: readonly number[]): void {
    // The trailing dimensions that are laid out contiguously in x are copied as whole blocks.
    let rank = shape.length;
    let block = 1;
    while (rank > 0 && strides[rank - 1] === block) block *= shape[--rank];
    const index = new Array<number>(rank).fill(0);
    let ix = offset;
    for (let o = 0; o < y.length; o += block) {
      if (block === 1) y[o] = x[ix];
      else y.set(x.subarray(ix, ix + block), o);
      for (let d = rank - 1; d >= 0; d--) {
        index[d]++;
        ix += strides[d];
        if (index[d] < shape[d]) break;
        ix -= strides[d] * shape[d];
        index[d] = 0;
      }
    }
  }

  accumulate(x: Float32Array, y: Float32Array): void {
    for (let i = 0; i < x.length; i++) y[i] += x[i];
  }

  sumAxis(x: Float32Array, outer: number, len: number, inner: number, y: Float32Array): void {
    y.fill(0, 0, outer * inner);
    for (let o = 0; o < outer; o++) {
      for (let j = 0; j < len; j++) {
        const src = (o * len + j) * inner;
        const dst = o * inner;
        for (let i = 0; i < inner; i++) y[dst + i] += x[src + i];
      }
    }
  }

  channelMoments(x: Float32Array, outer: number, channels: number, inner: number, mean: Float32Array, variance: Float32Array): void {
    const count = outer * inner;
    for (let c = 0; c < channels; c++) {
      mean[c] = laneSum(outer, channels, inner, c, (i) => x[i]) / count;
      const m = mean[c];
      variance[c] = laneSum(outer, channels, inner, c, (i) => (x[i] - m) * (x[i] - m)) / count;
    }
  }

  channelGradientSums(dy: Float32Array, x: Float32Array, center: Float32Array, outer: number, channels: number, inner: number,
    sumDy: Float32Array, sumDyCentred: Float32Array): void {
    for (let c = 0; c < channels; c++) {
      const m = center[c];
      sumDy[c] = laneSum(outer, channels, inner, c, (i) => dy[i]);
      sumDyCentred[c] = laneSum(outer, channels, inner, c, (i) => dy[i] * (x[i] - m));
    }
  }

  channelAffine(x: Float32Array, center: Float32Array, xScale: Float32Array, dy: Float32Array | null, dyScale: Float32Array | null,
    shift: Float32Array, outer: number, channels: number, inner: number, y: Float32Array): void {
    const f = Math.fround;
    for (let o = 0; o < outer; o++) {
      for (let c = 0; c < channels; c++) {
        const start = (o * channels + c) * inner;
        const m = center[c], a = xScale[c], b = dyScale ? dyScale[c] : 0, s = shift[c];
        for (let i = start; i < start + inner; i++) {
          let t = f(f(x[i] - m) * a);
          if (dy) t = f(t + f(dy[i] * b));
          y[i] = f(t + s);
        }
      }
    }
  }

  maxAxis(x: Float32Array, outer: number, len: number, inner: number, y: Float32Array, index: Float32Array): void {
    for (let o = 0; o < outer; o++) {
      for (let i = 0; i < inner; i++) {
        let best = -Infinity;
        let arg = 0;
        for (let j = 0; j < len; j++) {
          const v = x[(o * len + j) * inner + i];
          if (v > best) { best = v; arg = j; }
        }
        y[o * inner + i] = best;
        index[o * inner + i] = arg;
      }
    }
  }

  softmax(x: Float32Array, rows: number, cols: number, y: Float32Array, log: boolean): void {
    for (let r = 0; r < rows; r++) {
      const off = r * cols;
      let max = -Infinity;
      for (let j = 0; j < cols; j++) if (x[off + j] > max) max = x[off + j];
      let sum = 0;
      for (let j = 0; j < cols; j++) sum += Math.exp(x[off + j] - max);
      const logSum = Math.log(sum);
      for (let j = 0; j < cols; j++) {
        y[off + j] = log ? x[off + j] - max - logSum : Math.exp(x[off + j] - max) / sum;
      }
    }
  }

  softmaxBackward(y: Float32Array, dy: Float32Array, rows: number, cols: number, dx: Float32Array, log: boolean): void {
    for (let r = 0; r < rows; r++) {
      const off = r * cols;
      let dot = 0;
      for (let j = 0; j < cols; j++) dot += log ? dy[off + j] : dy[off + j] * y[off + j];
      for (let j = 0; j < cols; j++) {
        dx[off + j] = log ? dy[off + j] - Math.exp(y[off + j]) * dot : y[off + j] * (dy[off + j] - dot);
      }
    }
  }

  lifForward(spec: LifSpec, current: Float32Array, mem: Float32Array, spikes: Float32Array): void {
    neurons.lifForward(spec, current, mem, spikes);
  }

  lifInference(spec: LifSpec, current: Float32Array, staticCurrent: boolean, poolWidth: number,
    spikes: Float32Array, counts: Float32Array): void {
    neurons.lifInference(spec, current, staticCurrent, poolWidth, spikes, counts);
  }

  sparseConvLif(x: Float32Array, weight: Float32Array, bias: Float32Array | null, g: ConvGeometry,
    spec: LifSpec, poolWidth: number, spikes: Float32Array, counts: Float32Array): void {
    const current = this.alloc(g.n * g.cout * g.outH * g.outW, false);
    try {
      this.sparseConv2dForward(x, weight, bias, current, g);
      this.lifInference(spec, current, false, poolWidth, spikes, counts);
    } finally {
      this.free(current);
    }
  }

  lifBackward(spec: LifSpec, surrogate: SurrogateSpec, mem: Float32Array, spikes: Float32Array,
    dSpikes: Float32Array | null, dMem: Float32Array | null, dCurrent: Float32Array,
    dBeta: Float32Array | null, dThreshold: Float32Array | null): void {
    neurons.lifBackward(spec, surrogate, mem, spikes, dSpikes, dMem, dCurrent, dBeta, dThreshold);
  }

  spikingReluForward(x: Float32Array, T: number, N: number, dt: number, voltage: Float32Array, y: Float32Array): void {
    neurons.spikingReluForward(x, T, N, dt, voltage, y);
  }
}

const sigmoid = (v: number): number => (v >= 0 ? 1 / (1 + Math.exp(-v)) : Math.exp(v) / (1 + Math.exp(v)));

const UNARY: Record<UnaryOp, (v: number) => number> = {
  neg: (v) => -v,
  exp: Math.exp,
  log: Math.log,
  relu: (v) => (v > 0 ? v : 0),
  sigmoid,
  tanh: Math.tanh,
  sqrt: Math.sqrt,
  abs: Math.abs,
  square: (v) => v * v,
};

const UNARY_DERIVATIVE: Record<UnaryOp, (x: number, y: number) => number> = {
  neg: () => -1,
  exp: (_x, y) => y,
  log: (x) => 1 / x,
  relu: (x) => (x > 0 ? 1 : 0),
  sigmoid: (_x, y) => y * (1 - y),
  tanh: (_x, y) => 1 - y * y,
  sqrt: (_x, y) => 0.5 / y,
  abs: (x) => (x > 0 ? 1 : x < 0 ? -1 : 0),
  square: (x) => 2 * x,
};

const BINARY: Record<BinaryOp, (a: number, b: number) => number> = {
  add: (a, b) => a + b,
  sub: (a, b) => a - b,
  mul: (a, b) => a * b,
  div: (a, b) => a / b,
  max: (a, b) => (a >= b ? a : b),
  min: (a, b) => (a <= b ? a : b),
};

/**
 * The float64 sum of term(i) over channel c's elements of the view [outer, channels, inner], in
 * the lanes of Backend.channelMoments: element i of a row in lane i % 4, the lanes added as (0 + 1) + (2 + 3).
 */
function laneSum(outer: number, channels: number, inner: number, c: number, term: (i: number) => number): number {
  let l0 = 0, l1 = 0, l2 = 0, l3 = 0;
  for (let o = 0; o < outer; o++) {
    const start = (o * channels + c) * inner;
    let i = 0;
    for (; i + 4 <= inner; i += 4) {
      l0 += term(start + i); l1 += term(start + i + 1); l2 += term(start + i + 2); l3 += term(start + i + 3);
    }
    if (i < inner) l0 += term(start + i);
    if (i + 1 < inner) l1 += term(start + i + 1);
    if (i + 2 < inner) l2 += term(start + i + 2);
  }
  return (l0 + l1) + (l2 + l3);
}
