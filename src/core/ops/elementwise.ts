import { getBackend, type BinaryOp, type UnaryOp } from "../backend.js";
import { record } from "../autograd.js";
import { allocate, stridesOf, Tensor } from "../tensor.js";
import { broadcastShapes, broadcastStrides, sumToShape } from "./broadcast.js";

function binaryOp(op: BinaryOp, a: Tensor, b: Tensor): Tensor {
  const backend = getBackend();
  const shape = broadcastShapes(op, a.shape, b.shape);
  const out = new Tensor(shape, allocate(op, shape));
  const aStrides = broadcastStrides(a.shape, shape);
  const bStrides = broadcastStrides(b.shape, shape);
  backend.binary(op, a.data, aStrides, b.data, bStrides, out.data, shape);
  return record(out, op, [a, b], (g) => {
    const contiguous = stridesOf(shape);
    const grads: (Float32Array | null)[] = [null, null];
    const scratch = (): Float32Array => backend.alloc(g.length, false);
    // An input as large as the output was not broadcast: its gradient is `full` itself, not a copy.
    const reduceInto = (k: 0 | 1, full: Float32Array): void => {
      const target = k === 0 ? a : b;
      if (target.size === full.length) {
        grads[k] = full;
        return;
      }
      grads[k] = sumToShape(full, shape, target.shape);
      backend.free(full);
    };
    switch (op) {
      case "add":
      case "sub": {
        // The incoming gradient itself goes to a (the autograd then does not free it).
        if (a.requiresGrad) { if (a.size === g.length) grads[0] = g; else { const t = scratch(); t.set(g); reduceInto(0, t); } }
        if (b.requiresGrad) { const t = scratch(); backend.affine(g, op === "sub" ? -1 : 1, 0, t); reduceInto(1, t); }
        break;
      }
      case "mul": {
        if (a.requiresGrad) { const t = scratch(); backend.binary("mul", g, contiguous, b.data, bStrides, t, shape); reduceInto(0, t); }
        if (b.requiresGrad) { const t = scratch(); backend.binary("mul", g, contiguous, a.data, aStrides, t, shape); reduceInto(1, t); }
        break;
      }
      case "div": {
        if (a.requiresGrad) { const t = scratch(); backend.binary("div", g, contiguous, b.data, bStrides, t, shape); reduceInto(0, t); }
        if (b.requiresGrad) {
          // d(a/b)/db = -out / b
          const t = scratch();
          backend.binary("div", out.data, contiguous, b.data, bStrides, t, shape);
          backend.binary("mul", t, contiguous, g, contiguous, t, shape);
          backend.affine(t, -1, 0, t);
          reduceInto(1, t);
        }
        break;
      }
      case "max":
      case "min": {
        // The gradient goes to whichever input produced the output (to a on ties).
        const ta = scratch();
        const tb = scratch();
        const av = scratch();
        backend.copyStrided(a.data, 0, aStrides, av, shape);
        for (let i = 0; i < g.length; i++) {
          const fromA = av[i] === out.data[i];
          ta[i] = fromA ? g[i] : 0;
          tb[i] = fromA ? 0 : g[i];
        }
        backend.free(av);
        if (a.requiresGrad) reduceInto(0, ta); else backend.free(ta);
        if (b.requiresGrad) reduceInto(1, tb); else backend.free(tb);
        break;
      }
    }
    return grads;
  });
}

export const add = (a: Tensor, b: Tensor): Tensor => binaryOp("add", a, b);
export const sub = (a: Tensor, b: Tensor): Tensor => binaryOp("sub", a, b);
export const mul = (a: Tensor, b: Tensor): Tensor => binaryOp("mul", a, b);
export const div = (a: Tensor, b: Tensor): Tensor => binaryOp("div", a, b);
export const maximum = (a: Tensor, b: Tensor): Tensor => binaryOp("max", a, b);
export const minimum = (a: Tensor, b: Tensor): Tensor => binaryOp("min", a, b);

function unaryOp(op: UnaryOp, x: Tensor): Tensor {
  const backend = getBackend();
  const out = new Tensor(x.shape, allocate(op, x.shape));
  backend.unary(op, x.data, out.data);
  return record(out, op, [x], (g) => {
    const dx = backend.alloc(g.length, false);
    backend.unaryBackward(op, x.data, out.data, g, dx);
    return [dx];
  });
}

export const neg = (x: Tensor): Tensor => unaryOp("neg", x);
export const exp = (x: Tensor): Tensor => unaryOp("exp", x);
export const log = (x: Tensor): Tensor => unaryOp("log", x);
export const relu = (x: Tensor): Tensor => unaryOp("relu", x);
export const sigmoid = (x: Tensor): Tensor => unaryOp("sigmoid", x);
export const tanh = (x: Tensor): Tensor => unaryOp("tanh", x);
export const sqrt = (x: Tensor): Tensor => unaryOp("sqrt", x);
export const abs = (x: Tensor): Tensor => unaryOp("abs", x);
export const square = (x: Tensor): Tensor => unaryOp("square", x);

/** y = x * scale + shift, for scalar scale and shift. */
export function affine(x: Tensor, scale: number, shift = 0): Tensor {
  const backend = getBackend();
  const out = new Tensor(x.shape, allocate("affine", x.shape));
  backend.affine(x.data, scale, shift, out.data);
  return record(out, "affine", [x], (g) => {
    const dx = backend.alloc(g.length, false);
    backend.affine(g, scale, 0, dx);
    return [dx];
  });
}

export const scale = (x: Tensor, s: number): Tensor => affine(x, s, 0);
export const addScalar = (x: Tensor, s: number): Tensor => affine(x, 1, s);
