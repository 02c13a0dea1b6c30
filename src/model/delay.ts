import { getBackend, keep, record, SpikemedError, tensor, type Tensor } from "../core/index.js";
import { namedParams } from "./layers.js";
import { Module, unrolled, type Parameter, type Signal } from "./module.js";

/**
 * NIR's Delay: each element's input of `delay` seconds earlier, round(delay/dt) steps at a step of
 * dt seconds (zero before the first step). The delays are saved with the weights, not trained.
 */
export class Delay extends Module {
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
    const steps = Array.from(this.delay.data, (d) => {
      if (!(d >= 0)) throw new SpikemedError(`${this.name}: a delay is negative or not a number`, "the weights are damaged; import the network again");
      return Math.round(d / this.dt);
    });
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

  outputShape(inputShape: number[]): number[] {
    return inputShape;
  }

  override buffers(): Parameter[] {
    return namedParams(this.name, { delay: this.delay });
  }
}
