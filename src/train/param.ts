import { SpikemedError } from "../core/errors.js";

/**
 * What the optimisers, clipping and checkpoints need from a model: one trainable tensor,
 * flattened. `grad` is owned by the caller and already summed (or averaged) over the batch.
 */
export interface Param {
  name: string;
  value: Float32Array;
  grad: Float32Array;
}

/** Rejects duplicate names and value/grad length mismatches, naming the parameter. */
export function validateParams(params: readonly Param[], owner: string): void {
  const seen = new Set<string>();
  for (const p of params) {
    if (seen.has(p.name)) throw new SpikemedError(`${owner}: two parameters are named "${p.name}"`, "give every parameter a unique name");
    seen.add(p.name);
    if (p.value.length !== p.grad.length) {
      throw new SpikemedError(`${owner}: parameter "${p.name}" has ${p.value.length} values but ${p.grad.length} gradients`);
    }
  }
}
