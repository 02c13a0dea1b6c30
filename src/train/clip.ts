import { SpikemedError } from "../core/errors.js";
import type { Param } from "./param.js";

/**
 * Throws a SpikemedError naming the first parameter (and element) whose gradient is NaN or
 * infinite. `where` (e.g. "epoch 3, batch 17") is added to the message.
 */
export function assertFiniteGrads(params: readonly Param[], where?: string): void {
  for (const p of params) {
    const g = p.grad;
    for (let j = 0; j < g.length; j++) {
      // x - x is 0 for every finite x and NaN for NaN and +-Infinity: one test for both.
      if (g[j] - g[j] !== 0) {
        const at = where ? ` (${where})` : "";
        throw new SpikemedError(
          `training diverged${at}: gradient of parameter "${p.name}" is ${g[j]} at element ${j}`,
          "lower the learning rate, enable gradient clipping (e.g. --clip-norm 1) or check the input data for NaN",
        );
      }
    }
  }
}

/**
 * Scales all gradients together so that their global norm is at most maxNorm, as
 * torch.nn.utils.clip_grad_norm_ (scale maxNorm / (norm + 1e-6), only when below 1).
 * `normType` 2 is the Euclidean norm, "inf" the largest absolute value. Returns the norm
 * before clipping. A NaN/Inf gradient raises the error of assertFiniteGrads instead.
 */
export function clipGradNorm(params: readonly Param[], maxNorm: number, normType: 2 | "inf" = 2): number {
  if (!Number.isFinite(maxNorm) || maxNorm <= 0) {
    throw new SpikemedError(`gradient clipping: max norm must be a finite number > 0, got ${maxNorm}`);
  }
  let total = 0;
  for (const p of params) {
    const g = p.grad;
    if (normType === "inf") {
      // Math.max keeps a NaN once seen, so the finiteness check below catches it.
      for (let j = 0; j < g.length; j++) total = Math.max(total, Math.abs(g[j]));
    } else {
      for (let j = 0; j < g.length; j++) total += g[j] * g[j];
    }
  }
  if (normType !== "inf") total = Math.sqrt(total);
  if (!Number.isFinite(total)) assertFiniteGrads(params);
  const scale = Math.fround(maxNorm / (total + 1e-6));
  if (scale < 1) {
    for (const p of params) {
      const g = p.grad;
      for (let j = 0; j < g.length; j++) g[j] *= scale;
    }
  }
  return total;
}

/** Clamps every gradient element to [-clipValue, clipValue] (torch.nn.utils.clip_grad_value_). */
export function clipGradValue(params: readonly Param[], clipValue: number): void {
  if (!Number.isFinite(clipValue) || clipValue <= 0) {
    throw new SpikemedError(`gradient clipping: clip value must be a finite number > 0, got ${clipValue}`);
  }
  const lo = -clipValue;
  for (const p of params) {
    const g = p.grad;
    for (let j = 0; j < g.length; j++) {
      const v = g[j];
      if (v > clipValue) g[j] = clipValue;
      else if (v < lo) g[j] = lo;
    }
  }
}
