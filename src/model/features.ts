import * as ops from "../core/index.js";
import { SpikemedError, type Tensor } from "../core/index.js";
import type { LayerDescription } from "../energy/types.js";
import { Module, type ForwardContext, type Signal } from "./module.js";

/** The batch's features [B, count] that layer `name` reads; a named error when they are missing or miscounted. */
function batchFeatures(name: string, count: number, ctx: ForwardContext): Tensor {
  const features = ctx.features;
  if (!features || features.shape[1] !== count) {
    throw new SpikemedError(`${name}: needs ${count} features per sample, the input carries ${features ? features.shape[1] : "none"}`);
  }
  return features;
}

/**
 * Appends the sample's scalar features (ECG: RR intervals and amplitude) to a flat signal, the
 * same value at every time step, so the following dense layer sees the beat's shape and its
 * rhythm together. The features enter as analog currents, like a directly encoded input.
 */
export class AppendFeatures extends Module {
  constructor(name: string, readonly count: number) {
    super(name);
  }

  forward(input: Signal, ctx: ForwardContext): Signal {
    const features = batchFeatures(this.name, this.count, ctx);
    // A few analog values among thousands of spikes leave the signal sparse: the next layer may
    // still run event-driven (its kernels multiply by the actual values).
    const { timeSteps, spikes } = input;
    if (input.static) return { x: ops.concat([input.x, features], 1), timeSteps, static: true, spikes };
    const [T, B] = input.x.shape;
    const repeated = ops.expand(ops.reshape(features, [1, B, this.count]), [T, B, this.count]);
    return { x: ops.concat([input.x, repeated], 2), timeSteps, static: false, spikes };
  }

  outputShape(inputShape: number[]): number[] {
    if (inputShape.length !== 1) throw new SpikemedError(`${this.name}: needs a flat input, got [${inputShape.join(", ")}]`, "add { type: \"flatten\" } before it");
    return [inputShape[0] + this.count];
  }

  override describe(inputShape: number[]): LayerDescription[] {
    return [{ name: this.name, type: "flatten", inputShape, outputShape: this.outputShape(inputShape) }];
  }
}

/**
 * The sample's scalar features in place of its signal, for a network that reads only measurements
 * (ECG: rhythm and shape against the patient's own, which carry across patients where the raw
 * window does not). The first layer of such a network; its features are the network's only input.
 */
export class SampleFeatures extends Module {
  constructor(name: string, readonly count: number) {
    super(name);
  }

  forward(input: Signal, ctx: ForwardContext): Signal {
    return { x: batchFeatures(this.name, this.count, ctx), timeSteps: input.timeSteps, static: true, spikes: false };
  }

  outputShape(): number[] {
    return [this.count];
  }

  override describe(inputShape: number[]): LayerDescription[] {
    return [{ name: this.name, type: "flatten", inputShape, outputShape: this.outputShape() }];
  }
}

/** True for a network whose first layer reads its sample's features in place of the signal (it never sees the signal). */
export function readsOnlyFeatures(network: { layers: readonly Module[] }): boolean {
  return network.layers[0] instanceof SampleFeatures;
}
