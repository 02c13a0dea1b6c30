import { getBackend, type ConvGeometry } from "../backend.js";
import { assertNotRecording, record } from "../autograd.js";
import { SpikemedError } from "../errors.js";
import { allocate, shapeString, Tensor } from "../tensor.js";
import { reshape } from "./shape.js";
import { allocateSpikes, inferenceLifSpec, type LifSpikesOptions, type LifSpikesResult } from "./spiking.js";

export interface Conv2dOptions {
  stride?: number | [number, number];
  padding?: number | [number, number] | "same";
  dilation?: number | [number, number];
}

export interface Conv1dOptions {
  stride?: number;
  padding?: number | "same";
  dilation?: number;
}

const pair = (v: number | [number, number]): [number, number] => (typeof v === "number" ? [v, v] : v);

/** Output length of a convolution or pooling window along one axis. */
export function outputLength(input: number, kernel: number, stride: number, pad: number, dilation = 1): number {
  return Math.floor((input + 2 * pad - dilation * (kernel - 1) - 1) / stride) + 1;
}

/** The geometry of conv2d(x, weight, bias, options), after checking that the shapes fit. */
function conv2dGeometry(op: string, x: Tensor, weight: Tensor, bias: Tensor | null, options: Conv2dOptions): ConvGeometry {
  const describe = (): string =>
    `input ${shapeString(x.shape)}, weight ${shapeString(weight.shape)}${bias ? `, bias ${shapeString(bias.shape)}` : ""}`;
  if (x.rank !== 4 || weight.rank !== 4 || x.shape[1] !== weight.shape[1] || (bias && bias.size !== weight.shape[0])) {
    throw new SpikemedError(`${op}: shapes do not fit (${describe()}); expected input [N, C, H, W] and weight [Cout, C, KH, KW]`);
  }
  const [n, cin, h, w] = x.shape;
  const [cout, , kh, kw] = weight.shape;
  const [strideH, strideW] = pair(options.stride ?? 1);
  const [dilationH, dilationW] = pair(options.dilation ?? 1);
  let padH: number;
  let padW: number;
  if (options.padding === "same") {
    if (strideH !== 1 || strideW !== 1 || (dilationH * (kh - 1)) % 2 || (dilationW * (kw - 1)) % 2) {
      throw new SpikemedError(`${op}: padding "same" needs stride 1 and an odd effective kernel (${describe()})`);
    }
    padH = (dilationH * (kh - 1)) / 2;
    padW = (dilationW * (kw - 1)) / 2;
  } else {
    [padH, padW] = pair(options.padding ?? 0);
  }
  const g: ConvGeometry = {
    n, cin, h, w, cout, kh, kw, strideH, strideW, padH, padW, dilationH, dilationW,
    outH: outputLength(h, kh, strideH, padH, dilationH),
    outW: outputLength(w, kw, strideW, padW, dilationW),
  };
  if (g.outH <= 0 || g.outW <= 0) throw new SpikemedError(`${op}: the kernel does not fit the input (${describe()})`);
  return g;
}

/** 2-d convolution: x [N, Cin, H, W], weight [Cout, Cin, KH, KW], bias [Cout]. */
export function conv2d(x: Tensor, weight: Tensor, bias: Tensor | null, options: Conv2dOptions = {}): Tensor {
  const g = conv2dGeometry("conv2d", x, weight, bias, options);
  const backend = getBackend();
  const shape = [g.n, g.cout, g.outH, g.outW];
  const out = new Tensor(shape, allocate("conv2d", shape));
  backend.conv2dForward(x.data, weight.data, bias ? bias.data : null, out.data, g);
  const inputs = bias ? [x, weight, bias] : [x, weight];
  return record(out, "conv2d", inputs, (grad) => {
    let dx: Float32Array | null = null;
    let dw: Float32Array | null = null;
    let db: Float32Array | null = null;
    if (x.requiresGrad) {
      dx = backend.alloc(x.size, false);
      backend.conv2dBackwardInput(grad, weight.data, dx, g);
    }
    if (weight.requiresGrad || bias?.requiresGrad) {
      dw = backend.alloc(weight.size, false);
      db = bias ? backend.alloc(bias.size, false) : null;
      backend.conv2dBackwardWeight(x.data, grad, dw, db, g);
      if (!weight.requiresGrad) { backend.free(dw); dw = null; }
    }
    return bias ? [dx, dw, db] : [dx, dw];
  });
}

/** 1-d convolution: x [N, Cin, L], weight [Cout, Cin, K], bias [Cout]. */
export function conv1d(x: Tensor, weight: Tensor, bias: Tensor | null, options: Conv1dOptions = {}): Tensor {
  return asConv1d("conv1d", conv2d, x, weight, bias, options);
}

/**
 * conv2d computed event by event from x's nonzero elements, for inputs that are mostly zero
 * (spike trains) at inference: it costs a pass over x plus work in proportion to its nonzeros,
 * where conv2d's costs in proportion to its size. It records no gradient.
 */
export function sparseConv2d(x: Tensor, weight: Tensor, bias: Tensor | null, options: Conv2dOptions = {}): Tensor {
  assertNotRecording("sparseConv2d", bias ? [x, weight, bias] : [x, weight]);
  const g = conv2dGeometry("sparseConv2d", x, weight, bias, options);
  const shape = [g.n, g.cout, g.outH, g.outW];
  const out = new Tensor(shape, allocate("sparseConv2d", shape));
  getBackend().sparseConv2dForward(x.data, weight.data, bias ? bias.data : null, out.data, g);
  return out;
}

/** sparseConv2d for x [N, Cin, L] and weight [Cout, Cin, K], as conv1d is to conv2d. */
export function sparseConv1d(x: Tensor, weight: Tensor, bias: Tensor | null, options: Conv1dOptions = {}): Tensor {
  return asConv1d("sparseConv1d", sparseConv2d, x, weight, bias, options);
}

/**
 * sparseConv1d over the T steps of a spike input x [T, B, Cin, L] feeding LIF neurons at
 * inference: the spikes and counts of lifSpikes on the convolution's output [T, B, Cout, Lout],
 * which is never stored. It records no gradient.
 */
export function sparseConv1dLif(x: Tensor, weight: Tensor, bias: Tensor | null, options: Conv1dOptions, lif: LifSpikesOptions): LifSpikesResult {
  assertNotRecording("sparseConv1dLif", [x, weight, ...(bias ? [bias] : []), lif.beta, lif.threshold]);
  if (x.rank !== 4 || weight.rank !== 3 || lif.staticSteps !== undefined) {
    throw new SpikemedError(`sparseConv1dLif: expected input [T, B, C, L] (not static) and weight [Cout, C, K], got ${shapeString(x.shape)} and ${shapeString(weight.shape)}`);
  }
  const [T, B, cin, length] = x.shape;
  const g = conv2dGeometry("sparseConv1dLif", reshape(x, [T * B, cin, 1, length]), as2d(weight), bias, conv1dAs2d(options));
  const stepShape = [B, g.cout, g.outW];
  const spec = inferenceLifSpec("sparseConv1dLif", T, stepShape, lif);
  const poolWidth = lif.poolWidth ?? 1;
  const result = allocateSpikes("sparseConv1dLif", spec, stepShape, poolWidth);
  getBackend().sparseConvLif(x.data, weight.data, bias ? bias.data : null, g, spec, poolWidth, result.spikes.data, result.counts.data);
  return result;
}

/** Runs a 1-d convolution as the 2-d convolution `conv` over a height of 1. */
function asConv1d(op: string, conv: typeof conv2d, x: Tensor, weight: Tensor, bias: Tensor | null, options: Conv1dOptions): Tensor {
  if (x.rank !== 3 || weight.rank !== 3) {
    throw new SpikemedError(
      `${op}: expected input [N, C, L] and weight [Cout, C, K], got ${shapeString(x.shape)} and ${shapeString(weight.shape)}`,
    );
  }
  const y = conv(as2d(x), as2d(weight), bias, conv1dAs2d(options));
  return reshape(y, [y.shape[0], y.shape[1], y.shape[3]]);
}

/** A view of [N, C, L] as [N, C, 1, L]. */
function as2d(x: Tensor): Tensor {
  return reshape(x, [x.shape[0], x.shape[1], 1, x.shape[2]]);
}

function conv1dAs2d(options: Conv1dOptions): Conv2dOptions {
  return {
    stride: [1, options.stride ?? 1],
    padding: options.padding === "same" ? "same" : [0, options.padding ?? 0],
    dilation: [1, options.dilation ?? 1],
  };
}
