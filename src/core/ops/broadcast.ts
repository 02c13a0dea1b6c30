import { getBackend } from "../backend.js";
import { SpikemedError } from "../errors.js";
import { shapeString, stridesOf, type Shape } from "../tensor.js";

/** NumPy broadcasting: the output shape of combining a and b, or an error naming the op. */
export function broadcastShapes(op: string, a: Shape, b: Shape): number[] {
  const rank = Math.max(a.length, b.length);
  const out = new Array<number>(rank);
  for (let i = 0; i < rank; i++) {
    const da = a[a.length - rank + i] ?? 1;
    const db = b[b.length - rank + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) {
      throw new SpikemedError(`${op}: shapes ${shapeString(a)} and ${shapeString(b)} cannot be broadcast together`);
    }
    out[i] = da === 1 ? db : da;
  }
  return out;
}

/** Strides for reading a contiguous array of `shape` over the index space `out` (0 where broadcast). */
export function broadcastStrides(shape: Shape, out: Shape): number[] {
  const own = stridesOf(shape);
  const offset = out.length - shape.length;
  return out.map((_, i) => (i < offset || shape[i - offset] === 1 ? 0 : own[i - offset]));
}

/** Sums a gradient over the index space `from` down to the shape it was broadcast from. */
export function sumToShape(grad: Float32Array, from: Shape, to: Shape): Float32Array {
  const backend = getBackend();
  if (from.length === to.length && from.every((d, i) => d === to[i])) {
    const copy = backend.alloc(grad.length, false);
    copy.set(grad);
    return copy;
  }
  // Reduce one broadcast axis at a time, leftmost first, keeping the axis as size 1.
  let current = grad;
  let currentShape = from.slice();
  const offset = from.length - to.length;
  for (let axis = 0; axis < from.length; axis++) {
    const target = axis < offset ? 1 : to[axis - offset];
    if (currentShape[axis] === target) continue;
    const outer = currentShape.slice(0, axis).reduce((x, y) => x * y, 1);
    const inner = currentShape.slice(axis + 1).reduce((x, y) => x * y, 1);
    const reduced = backend.alloc(outer * inner, false);
    backend.sumAxis(current, outer, currentShape[axis], inner, reduced);
    if (current !== grad) backend.free(current);
    current = reduced;
    currentShape[axis] = 1;
  }
  if (current === grad) {
    current = backend.alloc(grad.length, false);
    current.set(grad);
  }
  return current;
}
