import { Rng } from "../../src/core/random.js";
import { Adam } from "../../src/train/optim.js";
import type { Param } from "../../src/train/param.js";

/** A deterministic stand-in for training steps: step k applies gradients drawn from seed k. */
export function makeStepper(size = 100_000): { params: Param[]; optimizer: Adam; step(k: number): void } {
  const params: Param[] = [{ name: "w", value: new Float32Array(size).fill(0.5), grad: new Float32Array(size) }];
  const optimizer = new Adam(params, { lr: 0.01 });
  return {
    params,
    optimizer,
    step(k: number) {
      const rng = new Rng(k);
      const grad = params[0].grad;
      for (let i = 0; i < grad.length; i++) grad[i] = rng.uniform() - 0.5;
      optimizer.step();
    },
  };
}
