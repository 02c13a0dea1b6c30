import * as ops from "../core/index.js";
import { noGrad, Rng, SpikemedError, Tensor, tidy } from "../core/index.js";
import { encode, encodedChannels, encodeStep, type EncoderConfig } from "../encode/index.js";
import type { LayerActivity, LayerDescription } from "../energy/types.js";
import type { ActivityPenalty } from "./activity-penalty.js";
import { activityWarnings, type ActivitySummary, type ActivityWarning } from "./diagnostics.js";
import { forwardLayers } from "./fusion.js";
import { allLayers, chainOutputShape, describeChain, Module, type ForwardContext, type Parameter, type Recording, type Signal } from "./module.js";
import { BatchNorm } from "./layers.js";
import { NeuronLayer, SpikingReLU } from "./neurons.js";
import { Residual } from "./residual.js";

/** How the per-step outputs of the last layer become one score per class. */
export type Readout = "mean" | "sum" | "max" | "last";

export interface NetworkOptions {
  /** Shape of one input sample, channels first, before encoding: [C, L] or [C, H, W]. */
  inputShape: number[];
  /** Names of the per-sample features the network reads beside the signal (a batch's `features`). */
  features?: readonly string[];
  timeSteps: number;
  encoder: EncoderConfig;
  readout: Readout;
  /** Spike-count regularisation the trainer adds to the loss; none when absent. */
  activityPenalty?: ActivityPenalty;
}

/**
 * One batch as a network reads it: the signals [B, ...inputShape] and, apart from them, each
 * sample's scalar features [B, F] (ECG: RR intervals), which only the layers that read features
 * see. A tensor alone is a batch of signals without features.
 */
export interface Batch {
  signal: Tensor;
  features?: Tensor;
}

/**
 * The state of a network between the time steps of streaming inference (Network.initialState,
 * Network.step): a plain object, so that tidy() keeps the state a step returns.
 */
export interface NetworkState {
  /** Time steps taken. */
  steps: number;
  /** The state of each neuron layer (those inside residual blocks included) by name; absent before its first step (at rest). */
  neurons: Record<string, object>;
  /** The last layer's output at each step taken (one output when it is the same at every step). */
  outputs: Signal[];
  /** Draws the rate encoder's spikes and random initial voltages. */
  rng: Rng;
}

/**
 * A feed-forward network unrolled over time: encoder -> layers -> readout. Inputs are [B, ...],
 * outputs are class scores [B, K]. `forward` runs all the time steps at once; `initialState`
 * and `step` run them one at a time (streaming inference), to the same scores.
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

  forward(input: Batch | Tensor, ctx: ForwardContext): Tensor {
    const batch = this.checkBatch(input);
    const withFeatures = { ...ctx, features: batch.features };
    const signal = encode(this.options.encoder, batch.signal, this.options.timeSteps, ctx.rng);
    return readout(forwardLayers(this.layers, signal, withFeatures), this.options.readout);
  }

  /** The state before the first step of streaming inference: every neuron at rest. */
  initialState(rng = new Rng(0)): NetworkState {
    return { steps: 0, neurons: {}, outputs: [], rng };
  }

  /**
   * One time step of streaming inference. `x` is the step's input, shaped as `forward`'s (for the
   * direct encoder, the same samples at every step). Returns the last layer's output at this step
   * [B, K], the class scores read out over the steps taken (after options.timeSteps steps, the
   * scores `forward` gives), and the state after the step. The layers run one by one, at
   * inference (no dropout, batch norm on its running statistics), and measure no activity.
   * The same bits as `forward` where the kernels sum in the same order; event-driven layers
   * choose their kernels by the density of each step, `forward` by that of the whole sequence.
   * Gradients flow through the steps when enabled.
   */
  step(x: Batch | Tensor, state: NetworkState): { output: Tensor; scores: Tensor; state: NetworkState } {
    const input = this.checkBatch(x);
    const { timeSteps, encoder } = this.options;
    const ctx: ForwardContext = { training: false, rng: state.rng, features: input.features };
    const neurons = { ...state.neurons };
    const encoded: Signal = { x: encodeStep(encoder, input.signal, state.steps, timeSteps, state.rng), timeSteps: 1, static: true };
    const out = stepLayers(this.layers, encoded, neurons, ctx);
    const outputs = out.static ? [out] : [...state.outputs, out];
    const steps = state.steps + 1;
    const all: Signal = out.static ? { ...out, timeSteps: steps } : { x: ops.concat(outputs.map((o) => o.x), 0), timeSteps: steps, static: false };
    const output = out.static ? out.x : ops.reshape(out.x, out.x.shape.slice(1));
    return { output, scores: readout(all, this.options.readout), state: { steps, neurons, outputs, rng: state.rng } };
  }

  /**
   * The batch's signal shaped [B, ...inputShape] (a flat [B, size] signal is reshaped) and, when
   * the model reads features, its features [B, F]; a model that reads none ignores any given.
   */
  private checkBatch(input: Batch | Tensor): Batch {
    const { signal, features } = input instanceof Tensor ? { signal: input } : input;
    const { inputShape } = this.options;
    const wanted = this.options.features?.length ?? 0;
    const B = signal.shape[0];
    const signalSize = inputShape.reduce((a, b) => a * b, 1);
    const shaped = signal.shape.length === inputShape.length + 1 && inputShape.every((d, i) => signal.shape[i + 1] === d);
    if (!shaped && !(signal.shape.length === 2 && signal.shape[1] === signalSize)) {
      throw new SpikemedError(`input [${signal.shape.slice(1).join(", ")}] per sample does not fit the model: it takes [${inputShape.join(", ")}]`);
    }
    const shapedSignal = shaped ? signal : ops.reshape(signal, [B, ...inputShape]);
    if (wanted === 0) return { signal: shapedSignal };
    if (!features) {
      throw new SpikemedError(`the model takes ${wanted} features per sample (${this.options.features?.join(", ")}) beside the signal, but its input has none`,
        "give the data's per-sample features, or use a model without \"features\"");
    }
    if (features.shape.length !== 2 || features.shape[0] !== B || features.shape[1] !== wanted) {
      throw new SpikemedError(`features [${features.shape.join(", ")}] do not fit the model: it takes ${wanted} features per sample (${this.options.features?.join(", ")}) for ${B} samples`);
    }
    return { signal: shapedSignal, features };
  }

  /**
   * Label-free adaptation (AdaBN, Li et al. 2016): the running mean and variance of each of the
   * network's top-level batch-norm layers become those of its input over the batch `x` (e.g. every
   * beat of one record), the layers before it run as in inference. Reads inputs only, never labels.
   * Returns the adapted layers' names (none when the network has no batch-norm layer).
   */
  adaptBatchNorm(x: Batch | Tensor, rng = new Rng(0)): string[] {
    const last = this.layers.map((l) => l instanceof BatchNorm).lastIndexOf(true);
    if (last < 0) return [];
    const adapted: string[] = [];
    noGrad(() => tidy(() => {
      const input = this.checkBatch(x);
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
  predict(x: Batch | Tensor, rng = new Rng(0)): Tensor {
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
  record(x: Batch | Tensor, rng = new Rng(0)): Recording {
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
  measureInputRates(batches: Iterable<Batch | Tensor>, rng = new Rng(0)): LayerActivity {
    const types = new Map(this.describe().map((d) => [d.name, d.type]));
    const sums = new Map<string, number>();
    let count = 0;
    for (const x of batches) {
      noGrad(() => tidy(() => {
        const input = this.checkBatch(x);
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

/**
 * One time step through a chain of layers: `input` holds the step as a signal of one time step
 * ([1, B, ...], or [B, ...] while it is the same at every step, before the first neuron layer).
 * Neuron layers step from their state in `neurons` and leave the next one there.
 */
function stepLayers(layers: readonly Module[], input: Signal, neurons: Record<string, object>, ctx: ForwardContext): Signal {
  let signal = input;
  for (const layer of layers) {
    if (layer instanceof NeuronLayer) {
      const current = signal.static ? signal.x : ops.reshape(signal.x, signal.x.shape.slice(1));
      const { output, state } = layer.step(current, neurons[layer.name] ?? layer.initialState(current.shape, ctx.rng));
      neurons[layer.name] = state;
      // Spikes (as the layer describes its output) let the next layer run event-driven, as in forward.
      signal = { x: ops.reshape(output, [1, ...output.shape]), timeSteps: 1, static: false, spikes: layer.describe(current.shape.slice(1))[0].spiking };
    } else if (layer instanceof Residual) {
      signal = layer.sum(stepLayers(layer.main, signal, neurons, ctx), stepLayers(layer.shortcut, signal, neurons, ctx));
    } else {
      signal = layer.forward(signal, ctx);
    }
  }
  return signal;
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
