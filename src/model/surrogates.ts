import type { SurrogateSpec } from "../core/backend.js";
import { surrogateDerivative } from "../core/surrogate.js";

/**
 * Surrogate gradients for the spike's Heaviside step: swappable functions of x = U - threshold.
 * Each returns a spec the fused neuron kernels evaluate; `derivative` evaluates it in plain code.
 */

/** The X-ray paper's piecewise-linear surrogate: 1/gamma where |x| <= gamma/2, else 0. */
export const piecewiseLinear = (gamma = 1): SurrogateSpec => positive("piecewise-linear", "gamma", gamma);
/** snnTorch's default: 1 / (slope*|x| + 1)^2. */
export const fastSigmoid = (slope = 25): SurrogateSpec => positive("fast-sigmoid", "slope", slope);
/** (alpha/2) / (1 + (pi/2 * alpha * x)^2), as snnTorch's atan. */
export const arctan = (alpha = 2): SurrogateSpec => positive("arctan", "alpha", alpha);
/** slope * s * (1 - s) with s = sigmoid(slope * x). */
export const sigmoid = (slope = 25): SurrogateSpec => positive("sigmoid", "slope", slope);
/** Passes the gradient through unchanged. */
export const straightThrough = (): SurrogateSpec => ({ kind: "straight-through", param: 0 });

export const derivative = (s: SurrogateSpec, x: number): number => surrogateDerivative(s, x);

const BY_NAME: Record<string, (p?: number) => SurrogateSpec> = {
  "piecewise-linear": piecewiseLinear,
  "fast-sigmoid": fastSigmoid,
  arctan,
  sigmoid,
  "straight-through": straightThrough,
};

export const SURROGATE_NAMES = Object.keys(BY_NAME);

/** A surrogate by name ("fast-sigmoid", "piecewise-linear:0.5", ...), for configs and the CLI. */
export function surrogateFromString(text: string): SurrogateSpec {
  const [name, param] = text.split(":");
  const make = BY_NAME[name];
  if (!make) throw new Error(`unknown surrogate "${name}"; choose one of ${SURROGATE_NAMES.join(", ")}`);
  return make(param === undefined ? undefined : Number(param));
}

function positive(kind: SurrogateSpec["kind"], name: string, value: number): SurrogateSpec {
  if (!(value > 0) || !Number.isFinite(value)) throw new Error(`${kind} surrogate: ${name} must be a positive number, got ${value}`);
  return { kind, param: value };
}
