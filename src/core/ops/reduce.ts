import { getBackend } from "../backend.js";
import { record } from "../autograd.js";
import { SpikemedError } from "../errors.js";
import { allocate, shapeString, sizeOf, Tensor } from "../tensor.js";
import { broadcastStrides } from "./broadcast.js";

function resolveAxes(op: string, x: Tensor, axes?: number | number[]): number[] {
  if (axes === undefined) return [...Array(x.rank).keys()];
  const list = (typeof axes === "number" ? [axes] : axes).map((a) => (a < 0 ? a + x.rank : a));
  for (const a of list) {
    if (a < 0 || a >= x.rank) throw new SpikemedError(`${op}: axis out of range for ${shapeString(x.shape)}`);
  }
  return [...new Set(list)].sort((p, q) => p - q);
}

/** Sum over the given axes (all by default); keepDims keeps them as size 1. */
export function sum(x: Tensor, axes?: number | number[], keepDims = false): Tensor {
  const backend = getBackend();
  const list = resolveAxes("sum", x, axes);
  const keptShape = x.shape.map((d, i) => (list.includes(i) ? 1 : d));
  let current = x.data;
  let currentShape = x.shape.slice();
  for (const a of list) {
    const outer = sizeOf(currentShape.slice(0, a));
    const inner = sizeOf(currentShape.slice(a + 1));
    const reduced = backend.alloc(outer * inner, false);
    backend.sumAxis(current, outer, currentShape[a], inner, reduced);
    if (current !== x.data) backend.free(current);
    current = reduced;
    currentShape[a] = 1;
  }
  if (current === x.data) {
    current = backend.alloc(x.size);
    current.set(x.data);
  }
  const shape = keepDims ? keptShape : x.shape.filter((_, i) => !list.includes(i));
  const out = new Tensor(shape, current);
  return record(out, "sum", [x], (g) => {
    const dx = backend.alloc(x.size, false);
    backend.copyStrided(g, 0, broadcastStrides(keptShape, x.shape), dx, x.shape);
    return [dx];
  });
}

/** Mean over the given axes (all by default). */
export function mean(x: Tensor, axes?: number | number[], keepDims = false): Tensor {
  const list = resolveAxes("mean", x, axes);
  const count = list.reduce((p, a) => p * x.shape[a], 1);
  const s = sum(x, list, keepDims);
  const backend = getBackend();
  const out = new Tensor(s.shape, allocate("mean", s.shape));
  backend.affine(s.data, 1 / count, 0, out.data);
  return record(out, "mean", [s], (g) => {
    const ds = backend.alloc(g.length);
    backend.affine(g, 1 / count, 0, ds);
    return [ds];
  });
}

/** Maximum over one axis; the gradient goes to the first maximal element. */
export function max(x: Tensor, axis: number, keepDims = false): Tensor {
  const a = resolveAxes("max", x, axis)[0];
  const backend = getBackend();
  const outer = sizeOf(x.shape.slice(0, a));
  const len = x.shape[a];
  const inner = sizeOf(x.shape.slice(a + 1));
  const shape = keepDims ? x.shape.map((d, i) => (i === a ? 1 : d)) : x.shape.filter((_, i) => i !== a);
  const out = new Tensor(shape, allocate("max", shape));
  // The argmax is a tensor so that tidy() releases it with the rest of the step.
  const argmax = new Tensor(shape, allocate("max", shape));
  const index = argmax.data;
  backend.maxAxis(x.data, outer, len, inner, out.data, index);
  return record(out, "max", [x], (g) => {
    const dx = backend.alloc(x.size);
    for (let o = 0; o < outer; o++) {
      for (let i = 0; i < inner; i++) dx[(o * len + index[o * inner + i]) * inner + i] = g[o * inner + i];
    }
    return [dx];
  });
}

/**
 * The fraction of x's elements that are nonzero, estimated from at most about `samples` of them
 * read at an even stride, made odd so that the reads do not keep to a few columns of a
 * power-of-two row length. Cheap enough to decide per call whether an event-driven op pays.
 */
export function nonzeroFraction(x: Tensor, samples = 16384): number {
  if (x.size === 0) return 0;
  const stride = Math.max(1, Math.floor(x.size / samples)) | 1;
  const data = x.data;
  let nonzero = 0;
  let read = 0;
  for (let i = 0; i < data.length; i += stride, read++) if (data[i] !== 0) nonzero++;
  return nonzero / read;
}
