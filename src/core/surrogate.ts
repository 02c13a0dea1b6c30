import type { SurrogateSpec } from "./backend.js";

/**
 * The surrogate derivative dS/dU of the spike's Heaviside step at x = U - threshold. Plain code
 * with no backend behind it: the reference kernels, the step-by-step ops and the model's
 * surrogate functions all evaluate it here.
 */
export function surrogateDerivative(s: SurrogateSpec, x: number): number {
  switch (s.kind) {
    case "piecewise-linear":
      return Math.abs(x) <= s.param / 2 ? 1 / s.param : 0;
    case "fast-sigmoid": {
      const d = s.param * Math.abs(x) + 1;
      return 1 / (d * d);
    }
    case "arctan": {
      const z = (Math.PI / 2) * s.param * x;
      return s.param / 2 / (1 + z * z);
    }
    case "sigmoid": {
      const sig = 1 / (1 + Math.exp(-s.param * x));
      return s.param * sig * (1 - sig);
    }
    case "straight-through":
      return 1;
  }
}
