import { getBackend } from "../backend.js";
import { record } from "../autograd.js";
import { SpikemedError } from "../errors.js";
import { allocate, shapeString, sizeOf, stridesOf, Tensor, type Shape } from "../tensor.js";
import { broadcastShapes, broadcastStrides, sumToShape } from "./broadcast.js";

/** A view of x with a new shape of the same size; one dimension may be -1 (inferred). */
export function reshape(x: Tensor, shape: Shape): Tensor {
  const resolved = shape.slice();
  const unknown = resolved.indexOf(-1);
  if (unknown >= 0) {
    const known = resolved.reduce((p, d, i) => (i === unknown ? p : p * d), 1);
    resolved[unknown] = known === 0 ? 0 : x.size / known;
  }
  if (!resolved.every((d) => Number.isInteger(d) && d >= 0) || sizeOf(resolved) !== x.size) {
    throw new SpikemedError(`reshape: cannot view ${shapeString(x.shape)} (${x.size} elements) as ${shapeString(shape)}`);
  }
  const out = new Tensor(resolved, x.data, false, x.base ?? x);
  return record(out, "reshape", [x], (g) => [g]);
}

/** Flattens all dimensions from `startAxis` on into one. */
export function flatten(x: Tensor, startAxis = 1): Tensor {
  return reshape(x, [...x.shape.slice(0, startAxis), -1]);
}

function normaliseAxis(op: string, axis: number, rank: number): number {
  const a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= rank) throw new SpikemedError(`${op}: axis ${axis} is out of range for rank ${rank}`);
  return a;
}

/** Permutes dimensions: out.shape[i] = x.shape[perm[i]] (a copy). Without perm, swaps the last two. */
export function transpose(x: Tensor, perm?: number[]): Tensor {
  const rank = x.rank;
  const p = perm ?? [...Array(rank).keys()].map((i) => (i === rank - 2 ? rank - 1 : i === rank - 1 ? rank - 2 : i));
  if (p.length !== rank || new Set(p).size !== rank || p.some((d) => d < 0 || d >= rank)) {
    throw new SpikemedError(`transpose: [${p.join(", ")}] is not a permutation of the axes of ${shapeString(x.shape)}`);
  }
  const backend = getBackend();
  const inStrides = stridesOf(x.shape);
  const shape = p.map((d) => x.shape[d]);
  const out = new Tensor(shape, allocate("transpose", shape));
  backend.copyStrided(x.data, 0, p.map((d) => inStrides[d]), out.data, shape);
  return record(out, "transpose", [x], (g) => {
    const inverse = new Array<number>(rank);
    p.forEach((d, i) => (inverse[d] = i));
    const outStrides = stridesOf(shape);
    const dx = backend.alloc(x.size, false);
    backend.copyStrided(g, 0, inverse.map((i) => outStrides[i]), dx, x.shape);
    return [dx];
  });
}

/** Elements start..end-1 along one axis (a copy). */
export function slice(x: Tensor, axis: number, start: number, end: number): Tensor {
  const a = normaliseAxis("slice", axis, x.rank);
  if (!(0 <= start && start <= end && end <= x.shape[a])) {
    throw new SpikemedError(`slice: range ${start}..${end} is outside axis ${axis} of ${shapeString(x.shape)}`);
  }
  const backend = getBackend();
  const strides = stridesOf(x.shape);
  const shape = x.shape.slice();
  shape[a] = end - start;
  const out = new Tensor(shape, allocate("slice", shape));
  backend.copyStrided(x.data, start * strides[a], strides, out.data, shape);
  return record(out, "slice", [x], (g) => {
    const dx = backend.alloc(x.size);
    scatterBlock(g, shape, dx, x.shape, a, start);
    return [dx];
  });
}

/** Writes block (of blockShape) into target at offset `start` along `axis`. */
function scatterBlock(block: Float32Array, blockShape: Shape, target: Float32Array, targetShape: Shape, axis: number, start: number): void {
  const outer = sizeOf(targetShape.slice(0, axis));
  const inner = sizeOf(targetShape.slice(axis + 1));
  getBackend().copyRows(block, outer, blockShape[axis] * inner, target, start * inner, targetShape[axis] * inner);
}

/** Joins tensors along an existing axis. */
export function concat(xs: Tensor[], axis = 0): Tensor {
  if (xs.length === 0) throw new SpikemedError("concat: no tensors given");
  const a = normaliseAxis("concat", axis, xs[0].rank);
  for (const t of xs) {
    if (t.rank !== xs[0].rank || t.shape.some((d, i) => i !== a && d !== xs[0].shape[i])) {
      throw new SpikemedError(`concat: shapes ${xs.map((u) => shapeString(u.shape)).join(", ")} differ outside axis ${axis}`);
    }
  }
  const shape = xs[0].shape.slice();
  shape[a] = xs.reduce((s, t) => s + t.shape[a], 0);
  const out = new Tensor(shape, allocate("concat", shape));
  const starts: number[] = [];
  let at = 0;
  for (const t of xs) {
    starts.push(at);
    scatterBlock(t.data, t.shape, out.data, shape, a, at);
    at += t.shape[a];
  }
  const backend = getBackend();
  return record(out, "concat", xs, (g) => xs.map((t, k) => {
    if (!t.requiresGrad) return null;
    const dx = backend.alloc(t.size);
    backend.copyStrided(g, starts[k] * stridesOf(shape)[a], stridesOf(shape), dx, t.shape);
    return dx;
  }));
}

/** Joins same-shaped tensors along a new axis. */
export function stack(xs: Tensor[], axis = 0): Tensor {
  if (xs.length === 0) throw new SpikemedError("stack: no tensors given");
  const a = axis < 0 ? axis + xs[0].rank + 1 : axis;
  const expanded = xs.map((t) => reshape(t, [...t.shape.slice(0, a), 1, ...t.shape.slice(a)]));
  return concat(expanded, a);
}

/** Broadcasts x to `shape` (a copy). */
export function expand(x: Tensor, shape: Shape): Tensor {
  const target = broadcastShapes("expand", x.shape, shape);
  if (target.length !== shape.length || target.some((d, i) => d !== shape[i])) {
    throw new SpikemedError(`expand: ${shapeString(x.shape)} cannot be broadcast to ${shapeString(shape)}`);
  }
  const backend = getBackend();
  const out = new Tensor(shape, allocate("expand", shape));
  backend.copyStrided(x.data, 0, broadcastStrides(x.shape, shape), out.data, shape);
  return record(out, "expand", [x], (g) => [sumToShape(g, shape, x.shape)]);
}
