import { getBackend } from "../backend.js";
import { assertNotRecording, record } from "../autograd.js";
import { SpikemedError } from "../errors.js";
import { allocate, shapeString, Tensor } from "../tensor.js";

/**
 * Matrix product over the last two axes: [m, k] x [k, n], [B, m, k] x [k, n] (the batch folds
 * into m) or [B, m, k] x [B, k, n] (batched).
 */
export function matmul(a: Tensor, b: Tensor): Tensor {
  const fail = (): never => {
    throw new SpikemedError(`matmul: cannot multiply ${shapeString(a.shape)} by ${shapeString(b.shape)}`);
  };
  if (a.rank < 2 || b.rank < 2 || b.rank > 3 || a.rank > 3) fail();
  const k = a.shape[a.rank - 1];
  const m = a.shape[a.rank - 2];
  const n = b.shape[b.rank - 1];
  if (b.shape[b.rank - 2] !== k) fail();
  const batched = b.rank === 3;
  const batch = a.rank === 3 ? a.shape[0] : 1;
  if (batched && (a.rank !== 3 || b.shape[0] !== batch)) fail();
  const rows = batched ? m : batch * m;
  const shape = a.rank === 3 ? [batch, m, n] : [m, n];
  const backend = getBackend();
  const out = new Tensor(shape, allocate("matmul", shape));
  if (batched) backend.gemm(false, false, m, n, k, a.data, b.data, out.data, false, batch, m * k, k * n, m * n);
  else backend.gemm(false, false, rows, n, k, a.data, b.data, out.data, false);
  return record(out, "matmul", [a, b], (g) => {
    let da: Float32Array | null = null;
    let db: Float32Array | null = null;
    if (a.requiresGrad) {
      da = backend.alloc(a.size, false);
      if (batched) backend.gemm(false, true, m, k, n, g, b.data, da, false, batch, m * n, k * n, m * k);
      else backend.gemm(false, true, rows, k, n, g, b.data, da, false);
    }
    if (b.requiresGrad) {
      db = backend.alloc(b.size, false);
      if (batched) backend.gemm(true, false, k, n, m, a.data, g, db, false, batch, m * k, m * n, k * n);
      else backend.gemm(true, false, k, n, rows, a.data, g, db, false);
    }
    return [da, db];
  });
}

/** [rows, inFeatures, outFeatures] of linear(x, weight, bias), after checking that the shapes fit. */
function linearSizes(op: string, x: Tensor, weight: Tensor, bias: Tensor | null): [number, number, number] {
  const [outFeatures, inFeatures] = weight.shape;
  if (weight.rank !== 2 || x.shape[x.rank - 1] !== inFeatures || (bias && bias.size !== outFeatures)) {
    throw new SpikemedError(
      `${op}: input ${shapeString(x.shape)} does not fit weight ${shapeString(weight.shape)}` +
      (bias ? ` and bias ${shapeString(bias.shape)}` : ""),
    );
  }
  return [x.size / inFeatures, inFeatures, outFeatures];
}

/** A dense layer: y = x W^T + b, with W stored [out, in] (PyTorch's layout) and x [..., in]. */
export function linear(x: Tensor, weight: Tensor, bias: Tensor | null): Tensor {
  const [rows, inFeatures, outFeatures] = linearSizes("linear", x, weight, bias);
  const shape = [...x.shape.slice(0, -1), outFeatures];
  const backend = getBackend();
  const out = new Tensor(shape, allocate("linear", shape));
  if (bias) backend.copyStrided(bias.data, 0, [0, 1], out.data, [rows, outFeatures]);
  backend.gemm(false, true, rows, outFeatures, inFeatures, x.data, weight.data, out.data, bias !== null);
  const inputs = bias ? [x, weight, bias] : [x, weight];
  return record(out, "linear", inputs, (g) => {
    const grads: (Float32Array | null)[] = [null, null, null];
    if (x.requiresGrad) {
      grads[0] = backend.alloc(x.size, false);
      backend.gemm(false, false, rows, inFeatures, outFeatures, g, weight.data, grads[0], false);
    }
    if (weight.requiresGrad) {
      // A parameter's gradient buffer is accumulated into directly: a large layer then needs no
      // second weight-sized array (the X-ray paper's first dense layer has 264 million weights).
      const target = weight.node === null ? weight.grad : null;
      if (target) {
        backend.gemm(true, false, outFeatures, inFeatures, rows, g, x.data, target, true);
      } else {
        grads[1] = backend.alloc(weight.size, false);
        backend.gemm(true, false, outFeatures, inFeatures, rows, g, x.data, grads[1], false);
      }
    }
    if (bias?.requiresGrad) {
      grads[2] = backend.alloc(outFeatures, false);
      backend.sumAxis(g, 1, rows, outFeatures, grads[2]);
    }
    return grads.slice(0, inputs.length);
  });
}

/**
 * linear(x, weight, bias) computed event by event from x's nonzero elements, for inputs that are
 * mostly zero (spike trains) at inference: it costs a pass over x plus work in proportion to its
 * nonzeros, where linear's costs in proportion to its size. It records no gradient.
 */
export function sparseLinear(x: Tensor, weight: Tensor, bias: Tensor | null): Tensor {
  assertNotRecording("sparseLinear", bias ? [x, weight, bias] : [x, weight]);
  const [rows, inFeatures, outFeatures] = linearSizes("sparseLinear", x, weight, bias);
  const shape = [...x.shape.slice(0, -1), outFeatures];
  const out = new Tensor(shape, allocate("sparseLinear", shape));
  getBackend().sparseLinearForward(x.data, weight.data, bias ? bias.data : null, out.data, rows, inFeatures, outFeatures);
  return out;
}
