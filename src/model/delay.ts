import * as ops from "../core/index.js";
import { getBackend, keep, record, SpikemedError, tensor, zeros, type Tensor } from "../core/index.js";
import type { LayerDescription } from "../energy/types.js";
import { namedParams, unrolled, type Parameter, type Signal } from "./module.js";
import { NeuronLayer, type NeuronStep } from "./neurons.js";

/** A delay layer's state between steps: its inputs so far, the latest last. */
export interface DelayState {
  history: Tensor[];
}

/**
 * NIR's Delay: each element's input of `delay` seconds earlier, round(delay/dt) steps at a step of
 * dt seconds (zero before the first step). The delays are saved with the weights, not trained.
 * Not a neuron, but a layer with state over time: it steps (Network.step) as neuron layers do.
 */
export class Delay extends NeuronLayer<DelayState> {
  /** Passes its input's values on, so spikes stay spikes of the same height. */
  readonly spikeHeight = 1;
  /** NIR's delay in seconds, one per element of a sample. */
  readonly delay: Tensor;

  constructor(name: string, readonly shape: number[], readonly dt: number) {
    super(name);
    if (!(dt > 0 && Number.isFinite(dt))) throw new SpikemedError(`${name}: dt must be a positive number of seconds, got ${dt}`);
    this.delay = keep(tensor(new Float32Array(shape.reduce((a, b) => a * b, 1)), shape));
  }

  forward(input: Signal): Signal {
    const x = unrolled(input);
    const [T, B] = x.shape;
    const F = this.delay.size;
    const steps = this.steps();
    const out = tensor(new Float32Array(x.size), x.shape);
    for (let t = 0; t < T; t++) {
      for (let b = 0; b < B; b++) {
        const row = (t * B + b) * F;
        for (let i = 0; i < F; i++) if (t >= steps[i]) out.data[row + i] = x.data[((t - steps[i]) * B + b) * F + i];
      }
    }
    const y = record(out, "delay", [x], (g) => {
      const dx = getBackend().alloc(x.size);
      dx.fill(0);
      for (let t = 0; t < T; t++) {
        for (let b = 0; b < B; b++) {
          const row = (t * B + b) * F;
          for (let i = 0; i < F; i++) if (t >= steps[i]) dx[((t - steps[i]) * B + b) * F + i] += g[row + i];
        }
      }
      return [dx];
    });
    return { x: y, timeSteps: input.timeSteps, static: false, spikes: input.spikes };
  }

  /** Each element's delay in whole steps. */
  private steps(): number[] {
    return Array.from(this.delay.data, (d) => {
      if (!(d >= 0)) throw new SpikemedError(`${this.name}: a delay is negative or not a number`, "the weights are damaged; import the network again");
      return Math.round(d / this.dt);
    });
  }

  initialState(): DelayState {
    return { history: [] };
  }

  /** One step: the elements delayed by d steps take the input of d steps before (zero before the first), summed over the delays present. */
  step(current: Tensor, { history }: DelayState): NeuronStep<DelayState> {
    const seen = [...history, current];
    const steps = this.steps();
    let output = zeros(current.shape);
    for (const d of new Set(steps)) {
      if (d >= seen.length) continue;
      const mask = tensor(steps.map((s) => (s === d ? 1 : 0)), current.shape.slice(1));
      output = ops.add(output, ops.mul(seen[seen.length - 1 - d], mask));
    }
    const longest = Math.max(0, ...steps);
    return { output, state: { history: seen.slice(Math.max(0, seen.length - longest)) } };
  }

  override describe(inputShape: number[]): LayerDescription[] {
    return [{ name: this.name, type: "other", inputShape, outputShape: inputShape }];
  }

  override buffers(): Parameter[] {
    return namedParams(this.name, { delay: this.delay });
  }
}
