import * as ops from "../core/index.js";
import { keep, tensor, type SurrogateSpec, type Tensor } from "../core/index.js";
import type { LayerDescription } from "../energy/types.js";
import { Module, namedParams, perStep, unrolled, type ForwardContext, type Parameter, type Signal } from "./module.js";
import { NeuronLayer, type NeuronStep } from "./neurons.js";
import { arctan } from "./surrogates.js";

/** NIR's Scale: each element times its own factor (saved with the weights, not trained). */
export class Scale extends Module {
  readonly scale: Tensor;

  constructor(name: string, readonly shape: number[]) {
    super(name);
    this.scale = keep(tensor(new Float32Array(shape.reduce((a, b) => a * b, 1)).fill(1), shape));
  }

  forward(input: Signal): Signal {
    return perStep(input, (x) => ops.mul(x, this.scale));
  }

  outputShape(inputShape: number[]): number[] {
    return inputShape;
  }

  override buffers(): Parameter[] {
    return namedParams(this.name, { scale: this.scale });
  }

  override describe(inputShape: number[]): LayerDescription[] {
    return [{ name: this.name, type: "other", inputShape, outputShape: inputShape }];
  }
}

/**
 * NIR's Threshold: a spike wherever the input exceeds its element's threshold, with no state (the
 * surrogate derivative in the backward pass).
 */
export class ThresholdSpikes extends NeuronLayer<Record<string, never>> {
  readonly spikeHeight = 1;
  readonly threshold: Tensor;

  constructor(name: string, readonly shape: number[], readonly surrogate: SurrogateSpec = arctan(2)) {
    super(name);
    this.threshold = keep(tensor(new Float32Array(shape.reduce((a, b) => a * b, 1)).fill(1), shape));
  }

  forward(input: Signal, ctx: ForwardContext): Signal {
    const x = unrolled(input);
    const spikes = ops.heaviside(ops.sub(x, this.threshold), this.surrogate);
    this.observe(spikes, ctx);
    return { x: spikes, timeSteps: input.timeSteps, static: false, spikes: true };
  }

  /** No state: each step's spikes depend on that step's input alone. */
  initialState(): Record<string, never> {
    return {};
  }

  step(current: Tensor, state: Record<string, never>): NeuronStep<Record<string, never>> {
    return { output: ops.heaviside(ops.sub(current, this.threshold), this.surrogate), state };
  }

  override buffers(): Parameter[] {
    return namedParams(this.name, { threshold: this.threshold });
  }
}
