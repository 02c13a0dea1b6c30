import assert from "node:assert/strict";
import { backward, mul, Rng, sum, tensor, tidy, type Tensor } from "../../src/core/index.js";

/** A tensor of the given shape with values uniform in [lo, hi), requiring gradients. */
export function randomTensor(rng: Rng, shape: number[], lo = -1, hi = 1): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const values = new Float32Array(n);
  for (let i = 0; i < n; i++) values[i] = lo + (hi - lo) * rng.uniform();
  return tensor(values, shape, true);
}

/**
 * Checks the analytic gradient of sum(f(inputs) * W) (W random, fixed) against central finite
 * differences for every input that requires a gradient (at most `samples` elements each).
 * Differences are taken in float64 over float32 forwards, so eps and tolerances are float32-sized.
 */
export function checkGradients(name: string, f: (...xs: Tensor[]) => Tensor, inputs: Tensor[],
  { eps = 1e-2, rtol = 2e-2, atol = 2e-3, samples = 40, seed = 7 } = {}): void {
  const rng = new Rng(seed);
  const probe = tidy(() => f(...inputs));
  const weights = randomTensor(rng, probe.shape.slice());
  weights.requiresGrad = false;
  const objective = (): number => tidy(() => sum(mul(f(...inputs), weights)).item());

  for (const x of inputs) x.grad = null;
  tidy(() => backward(sum(mul(f(...inputs), weights))));

  inputs.forEach((x, k) => {
    if (!x.requiresGrad) return;
    assert.ok(x.grad, `${name}: input ${k} got no gradient`);
    const picks = x.size <= samples ? [...Array(x.size).keys()] : [...rng.permutation(x.size).slice(0, samples)];
    for (const i of picks) {
      const original = x.data[i];
      x.data[i] = original + eps;
      const up = objective();
      x.data[i] = original - eps;
      const down = objective();
      x.data[i] = original;
      const numeric = (up - down) / (2 * eps);
      const analytic = x.grad![i];
      const tolerance = atol + rtol * Math.max(Math.abs(numeric), Math.abs(analytic));
      assert.ok(Math.abs(numeric - analytic) <= tolerance,
        `${name}: d/d input${k}[${i}] analytic ${analytic} vs numeric ${numeric}`);
    }
  });
}
