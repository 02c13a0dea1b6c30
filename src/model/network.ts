import * as ops from "../core/index.js";
import { noGrad, Rng, SpikemedError, tidy, type Tensor } from "../core/index.js";
import { encode, encodedChannels, type EncoderConfig } from "../encode/index.js";
import type { LayerActivity, LayerDescription } from "../energy/types.js";
import type { ActivityPenalty } from "./activity-penalty.js";
import { activityWarnings, type ActivitySummary, type ActivityWarning } from "./diagnostics.js";
import { allLayers, chainOutputShape, describeChain, forwardLayers, Module, type ForwardContext, type Parameter, type Recording, type Signal } from "./module.js";
import { BatchNorm } from "./layers.js";
import { NeuronLayer, SpikingReLU } from "./neurons.js";

/** How the per-step outputs of the last layer become one score per class. */
export type Readout = "mean" | "sum" | "max" | "last";

export interface NetworkOptions {
  /** Shape of one input sample, channels first, before encoding: [C, L] or [C, H, W]. */
  inputShape: number[];
  /** Names of the per-sample features that follow the signal in each input row. */
  features?: readonly string[];
  timeSteps: number;
  encoder: EncoderConfig;
  readout: Readout;
  /** Spike-count regularisation the trainer adds to the loss; none when absent. */
  activityPenalty?: ActivityPenalty;
}

/**
 * A feed-forward network unrolled over time: encoder -> layers -> readout. Inputs are [B, ...],
 * outputs are class scores [B, K].
 */
export class Network {
  constructor(readonly layers: Module[], readonly options: NetworkOptions) {
    if (layers.length === 0) throw new SpikemedError("network: no layers");
    const names = new Set<string>();
    for (const l of layers) {
      if (names.has(l.name)) throw new SpikemedError(`network: two layers are named "${l.name}"`);
      names.add(l.name);
    }
    this.outputShape(); // validates the layer shapes now rather than at the first batch
  }

  /** Shape of one sample as the first layer sees it (after the encoder). */
  encodedShape(): number[] {
    return encodedInputShape(this.options);
  }

  outputShape(): number[] {
    return chainOutputShape(this.layers, this.encodedShape());
  }

  forward(x: Tensor, ctx: ForwardContext): Tensor {
    const input = this.splitInput(x);
    const withFeatures = { ...ctx, features: input.features };
    const signal = encode(this.options.encoder, input.signal, this.options.timeSteps, ctx.rng);
    return readout(forwardLayers(this.layers, signal, withFeatures), this.options.readout);
  }

  /**
   * Separates a batch into the signal [B, ...inputShape] and the features [B, F]. Inputs are
   * either shaped like the signal, or flat rows of the signal followed by features; a model that
   * takes no features reads the signal part of such rows.
   */
  private splitInput(x: Tensor): { signal: Tensor; features?: Tensor } {
    const { inputShape } = this.options;
    const wanted = this.options.features?.length ?? 0;
    const B = x.shape[0];
    const signalSize = inputShape.reduce((a, b) => a * b, 1);
    const shaped = x.shape.length === inputShape.length + 1 && inputShape.every((d, i) => x.shape[i + 1] === d);
    if (shaped) {
      if (wanted > 0) {
        throw new SpikemedError(`the model takes ${wanted} features per sample (${this.options.features?.join(", ")}) after the signal, but its input has none`,
          "give the data's per-sample features, or use a model without \"features\"");
      }
      return { signal: x };
    }
    const perSample = x.shape.length === 2 ? x.shape[1] : -1;
    const extra = perSample - signalSize;
    if (extra < 0 || (wanted > 0 && extra !== wanted)) {
      throw new SpikemedError(`input [${x.shape.slice(1).join(", ")}] per sample does not fit the model: it takes [${inputShape.join(", ")}]` +
        (wanted > 0 ? `, then ${wanted} features, as flat rows of ${signalSize + wanted}` : ""));
    }
    const rows = ops.reshape(x, [B, perSample]);
    const signal = ops.reshape(ops.slice(rows, 1, 0, signalSize), [B, ...inputShape]);
    return { signal, features: wanted > 0 ? ops.slice(rows, 1, signalSize, perSample) : undefined };
  }

  /**
   * Label-free adaptation (AdaBN, Li et al. 2016): the running mean and variance of each of the
   * network's top-level batch-norm layers become those of its input over the batch `x` (e.g. every
   * beat of one record), the layers before it run as in inference. Reads inputs only, never labels.
   * Returns the adapted layers' names (none when the network has no batch-norm layer).
   */
  adaptBatchNorm(x: Tensor, rng = new Rng(0)): string[] {
    const last = this.layers.map((l) => l instanceof BatchNorm).lastIndexOf(true);
    if (last < 0) return [];
    const adapted: string[] = [];
    noGrad(() => tidy(() => {
      const input = this.splitInput(x);
      const ctx: ForwardContext = { training: false, rng, features: input.features };
      let signal = encode(this.options.encoder, input.signal, this.options.timeSteps, rng);
      for (const layer of this.layers.slice(0, last + 1)) {
        if (layer instanceof BatchNorm) {
          layer.estimateStatistics(signal);
          adapted.push(layer.name);
        }
        signal = layer.forward(signal, ctx);
      }
    }));
    return adapted;
  }

  /** Class probabilities for a batch, without gradients. */
  predict(x: Tensor, rng = new Rng(0)): Tensor {
    return noGrad(() => tidy(() => ops.softmax(this.forward(x, { training: false, rng }))));
  }

  parameters(): Parameter[] {
    return this.layers.flatMap((l) => l.parameters());
  }

  buffers(): Parameter[] {
    return this.layers.flatMap((l) => l.buffers());
  }

  parameterCount(): number {
    return this.parameters().reduce((n, p) => n + p.tensor.size, 0);
  }

  /** The neuron layers, those inside residual blocks included, in the order they run. */
  neuronLayers(): NeuronLayer[] {
    return allLayers(this.layers).filter((l): l is NeuronLayer => l instanceof NeuronLayer);
  }

  /** Per-layer descriptions for the energy estimate. */
  describe(): LayerDescription[] {
    return describeChain(this.layers, this.encodedShape());
  }

  /** Activity since the last reset, per neuron layer. */
  activity(): Map<string, ActivitySummary> {
    const out = new Map<string, ActivitySummary>();
    for (const l of this.neuronLayers()) {
      const s = l.activity.summary();
      if (s) out.set(l.name, s);
    }
    return out;
  }

  resetActivity(): void {
    for (const l of this.neuronLayers()) l.activity.reset();
  }

  /** Warnings for silent or saturated layers, in the given activity (default: measured since the last reset). */
  activityWarnings(activity = this.activity()): ActivityWarning[] {
    const dt = this.spikingReluDt();
    return [...activity].flatMap(([name, s]) => activityWarnings(name, s, { timeSteps: this.options.timeSteps, dt }));
  }

  /** dt of the network's KerasSpiking-style neurons, if it has any. */
  private spikingReluDt(): number | undefined {
    return this.neuronLayers().find((l): l is SpikingReLU => l instanceof SpikingReLU)?.dt;
  }

  /** Spike trains and membrane traces of every neuron layer for one batch of inputs. */
  record(x: Tensor, rng = new Rng(0)): Recording {
    const recording: Recording = { spikes: new Map(), membrane: new Map() };
    noGrad(() => tidy(() => {
      this.forward(x, { training: false, rng, recording });
    }));
    return recording;
  }

  /**
   * Measures every layer's input rate (spikes per element per step; the mean |value| of analog
   * inputs) over example batches, as the energy estimate needs.
   */
  measureInputRates(batches: Iterable<Tensor>, rng = new Rng(0)): LayerActivity {
    const types = new Map(this.describe().map((d) => [d.name, d.type]));
    const sums = new Map<string, number>();
    let count = 0;
    for (const x of batches) {
      noGrad(() => tidy(() => {
        const input = this.splitInput(x);
        // Height of one spike in each signal met (by its tensor): 1 for binary spikes and analog values.
        const heights = new WeakMap<Tensor, number>();
        const observe = (layer: Module, { x: inputX }: Signal, { x: outputX }: Signal): void => {
          const height = heights.get(inputX) ?? 1;
          sums.set(layer.name, (sums.get(layer.name) ?? 0) + meanAbs(inputX) / height);
          if (layer instanceof NeuronLayer) heights.set(outputX, layer.spikeHeight);
          else if (SHAPE_ONLY.has(types.get(layer.name) ?? "")) heights.set(outputX, height);
        };
        const signal = encode(this.options.encoder, input.signal, this.options.timeSteps, rng);
        forwardLayers(this.layers, signal, { training: false, rng, features: input.features, observe });
      }));
      count++;
    }
    if (count === 0) throw new SpikemedError("measureInputRates: no example batches given");
    const dt = this.spikingReluDt() ?? 0.001;
    return { inputRates: Object.fromEntries([...sums].map(([k, v]) => [k, v / count])), dt, timesteps: this.options.timeSteps };
  }
}

/** Layers that move values without weighting them, so spikes keep their height through them. */
const SHAPE_ONLY = new Set(["maxpool", "avgpool", "flatten", "dropout"]);

/** Shape of one sample after the encoder: the delta encoder doubles the channels. */
export function encodedInputShape(options: Pick<NetworkOptions, "inputShape" | "encoder">): number[] {
  const [c, ...rest] = options.inputShape;
  return [encodedChannels(options.encoder, c), ...rest];
}

function meanAbs(x: Tensor): number {
  let s = 0;
  for (let i = 0; i < x.size; i++) s += Math.abs(x.data[i]);
  return x.size ? s / x.size : 0;
}

function readout(signal: Signal, kind: Readout): Tensor {
  if (signal.static) return kind === "sum" ? ops.scale(signal.x, signal.timeSteps) : signal.x;
  const x = signal.x;
  switch (kind) {
    case "mean": return ops.mean(x, 0);
    case "sum": return ops.sum(x, 0);
    case "max": return ops.max(x, 0);
    case "last": return ops.reshape(ops.slice(x, 0, x.shape[0] - 1, x.shape[0]), x.shape.slice(1));
  }
}
