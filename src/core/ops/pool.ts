import { getBackend, type PoolGeometry } from "../backend.js";
import { record } from "../autograd.js";
import { SpikemedError } from "../errors.js";
import { allocate, shapeString, Tensor } from "../tensor.js";
import { outputLength } from "./conv.js";
import { reshape } from "./shape.js";

export interface PoolOptions {
  stride?: number;
  padding?: number;
}

function pool2d(kind: "max" | "avg", x: Tensor, kernel: [number, number], stride: [number, number], padding: [number, number]): Tensor {
  const op = `${kind}Pool2d`;
  if (x.rank !== 4) throw new SpikemedError(`${op}: expected input [N, C, H, W], got ${shapeString(x.shape)}`);
  const [n, c, h, w] = x.shape;
  const g: PoolGeometry = {
    planes: n * c, h, w, kh: kernel[0], kw: kernel[1], strideH: stride[0], strideW: stride[1],
    padH: padding[0], padW: padding[1],
    outH: outputLength(h, kernel[0], stride[0], padding[0]),
    outW: outputLength(w, kernel[1], stride[1], padding[1]),
  };
  if (g.outH <= 0 || g.outW <= 0 || padding[0] * 2 > kernel[0] || padding[1] * 2 > kernel[1]) {
    throw new SpikemedError(`${op}: window ${kernel.join("x")} (padding ${padding.join("x")}) does not fit input ${shapeString(x.shape)}`);
  }
  const backend = getBackend();
  const shape = [n, c, g.outH, g.outW];
  const out = new Tensor(shape, allocate(op, shape));
  if (kind === "max") backend.maxPool2dForward(x.data, out.data, g);
  else backend.avgPool2dForward(x.data, out.data, g);
  return record(out, op, [x], (grad) => {
    const dx = backend.alloc(x.size, false);
    if (kind === "max") backend.maxPool2dBackward(x.data, grad, dx, g);
    else backend.avgPool2dBackward(grad, dx, g);
    return [dx];
  });
}

export function maxPool2d(x: Tensor, kernel: number | [number, number], options: PoolOptions = {}): Tensor {
  const k: [number, number] = typeof kernel === "number" ? [kernel, kernel] : kernel;
  const s = options.stride ?? k[0];
  return pool2d("max", x, k, [s, s], [options.padding ?? 0, options.padding ?? 0]);
}

export function avgPool2d(x: Tensor, kernel: number | [number, number], options: PoolOptions = {}): Tensor {
  const k: [number, number] = typeof kernel === "number" ? [kernel, kernel] : kernel;
  const s = options.stride ?? k[0];
  return pool2d("avg", x, k, [s, s], [options.padding ?? 0, options.padding ?? 0]);
}

function pool1d(kind: "max" | "avg", x: Tensor, kernel: number, options: PoolOptions): Tensor {
  if (x.rank !== 3) throw new SpikemedError(`${kind}Pool1d: expected input [N, C, L], got ${shapeString(x.shape)}`);
  const x4 = reshape(x, [x.shape[0], x.shape[1], 1, x.shape[2]]);
  const y = pool2d(kind, x4, [1, kernel], [1, options.stride ?? kernel], [0, options.padding ?? 0]);
  return reshape(y, [y.shape[0], y.shape[1], y.shape[3]]);
}

export const maxPool1d = (x: Tensor, kernel: number, options: PoolOptions = {}): Tensor => pool1d("max", x, kernel, options);
export const avgPool1d = (x: Tensor, kernel: number, options: PoolOptions = {}): Tensor => pool1d("avg", x, kernel, options);
