import { getBackend } from "./backend.js";
import { SpikemedError } from "./errors.js";
import { isGradEnabled, shapeString, Tensor, type GradNode } from "./tensor.js";

/**
 * Records `out` as produced by `op` from `inputs` when gradients are enabled and any input needs
 * one. The backward closure receives dLoss/dOut and returns one gradient array per input.
 */
export function record(out: Tensor, op: string, inputs: readonly Tensor[], backward: GradNode["backward"]): Tensor {
  if (!isGradEnabled() || !inputs.some((t) => t.requiresGrad)) return out;
  out.requiresGrad = true;
  out.node = { op, inputs, backward };
  if (finiteChecks) assertFinite(out.data, op, inputs, "forward");
  return out;
}

/**
 * Throws when `op`, which has no backward pass, would be recorded: gradients are enabled and an
 * input needs one. Such ops are for inference under noGrad().
 */
export function assertNotRecording(op: string, inputs: readonly Tensor[]): void {
  if (isGradEnabled() && inputs.some((t) => t.requiresGrad)) {
    throw new SpikemedError(`${op}: has no gradient, but gradients are being recorded for its inputs`,
      "call it inside noGrad(), or use the dense op when training");
  }
}

let finiteChecks = false;

/**
 * Runs fn checking every recorded op's output and every gradient for NaN/Inf, so the first op
 * that produces one is named. Costs one pass over each array; trainers use it to re-run a step
 * whose loss or gradients came out non-finite.
 */
export function withFiniteChecks<T>(fn: () => T): T {
  const previous = finiteChecks;
  finiteChecks = true;
  try {
    return fn();
  } finally {
    finiteChecks = previous;
  }
}

function assertFinite(data: Float32Array, op: string, inputs: readonly Tensor[], pass: "forward" | "backward"): void {
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (v - v !== 0) {
      throw new SpikemedError(
        `${op}: ${Number.isNaN(v) ? "NaN" : "Inf"} in the ${pass} pass at element ${i} ` +
        `(inputs ${inputs.map((t) => shapeString(t.shape)).join(", ")})`,
        "lower the learning rate, clip gradients, or check the input data for NaN/Inf",
      );
    }
  }
}

/**
 * Reverse-mode differentiation from a scalar (or with an explicit output gradient): accumulates
 * dOutput/dLeaf into every leaf's `grad` that requires one. Intermediate gradients are released
 * as soon as they have been propagated.
 */
export function backward(output: Tensor, outputGrad?: Float32Array): void {
  if (!output.requiresGrad) throw new Error(`backward: ${output} does not require gradients`);
  if (!outputGrad && output.size !== 1) {
    throw new Error(`backward: output ${output} is not a scalar; pass its gradient explicitly`);
  }
  const backend = getBackend();
  const order = topologicalOrder(output);
  const grads = new Map<Tensor, Float32Array>();
  const seed = backend.alloc(output.size);
  if (outputGrad) seed.set(outputGrad);
  else seed[0] = 1;
  grads.set(output, seed);

  for (let i = order.length - 1; i >= 0; i--) {
    const t = order[i];
    const g = grads.get(t);
    if (!g) continue;
    grads.delete(t);
    if (!t.node) {
      if (t.grad) {
        backend.accumulate(g, t.grad);
        backend.free(g);
      } else {
        t.grad = g;
      }
      continue;
    }
    const inputGrads = t.node.backward(g);
    // A backward may pass its incoming gradient straight through (reshape): then it is not freed here.
    if (!inputGrads.includes(g)) backend.free(g);
    t.node.inputs.forEach((input, k) => {
      const gi = inputGrads[k];
      if (!gi) return;
      if (!input.requiresGrad) {
        backend.free(gi);
        return;
      }
      if (finiteChecks) assertFinite(gi, `${t.node!.op} (gradient)`, t.node!.inputs, "backward");
      const existing = grads.get(input);
      if (existing) {
        backend.accumulate(gi, existing);
        backend.free(gi);
      } else {
        grads.set(input, gi);
      }
    });
  }
}

function topologicalOrder(root: Tensor): Tensor[] {
  const order: Tensor[] = [];
  const visited = new Set<Tensor>();
  // Iterative depth-first search: long unrolled graphs must not overflow the call stack.
  const stack: [Tensor, number][] = [[root, 0]];
  visited.add(root);
  while (stack.length > 0) {
    const top = stack[stack.length - 1];
    const [t, next] = top;
    const inputs = t.node ? t.node.inputs : [];
    if (next < inputs.length) {
      top[1]++;
      const child = inputs[next];
      if (child.requiresGrad && !visited.has(child)) {
        visited.add(child);
        stack.push([child, 0]);
      }
    } else {
      stack.pop();
      order.push(t);
    }
  }
  return order;
}
