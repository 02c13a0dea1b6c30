import type { Rng } from "../core/random.js";
import { expand, keep, reshape, tensor, zeros, type Tensor } from "../core/index.js";
import type { LayerDescription } from "../energy/types.js";

/**
 * Activity flowing between layers of a network unrolled over `timeSteps` steps. A static signal
 * holds one value [B, ...] that stands for every step (a directly encoded input before the first
 * stateful layer), so the layers in front of the first neuron run once instead of T times.
 * Otherwise `x` is [T, B, ...].
 */
export interface Signal {
  x: Tensor;
  timeSteps: number;
  static: boolean;
  /**
   * Set by spiking neurons: x holds spike trains, every element 0 or a spike (most of them 0),
   * so that the layers reading it may skip the zeros at inference (event-driven). A hint for
   * speed only: those layers give the same results, to float rounding, on any values.
   */
  spikes?: boolean;
}

/** Per-layer recordings for one forward pass (spike trains and membrane traces). */
export interface Recording {
  spikes: Map<string, Tensor>;
  membrane: Map<string, Tensor>;
}

export interface ForwardContext {
  training: boolean;
  rng: Rng;
  /** When set, neuron layers store their spikes and membrane here (copies survive tidy()). */
  recording?: Recording;
  /** The batch's per-sample scalar features [B, F], for an AppendFeatures layer. */
  features?: Tensor;
  /** When set, called after every leaf layer (one without children) with its input and output; layers then run unfused with their neighbours. */
  observe?: (layer: Module, input: Signal, output: Signal) => void;
}

/** A trainable tensor with its name inside the network. */
export interface Parameter {
  name: string;
  tensor: Tensor;
}

/**
 * A layer or a network of layers. Stateless layers act on each time step alike; neuron layers
 * carry state through time inside one forward call, and start from rest on every call. Which
 * neighbouring layers run fused at inference is decided in fusion.ts, not by the layers.
 */
export abstract class Module {
  constructor(public name: string) {}

  abstract forward(input: Signal, ctx: ForwardContext): Signal;

  /** Shape of one sample's output (no time or batch axis) for a given input shape. */
  abstract outputShape(inputShape: number[]): number[];

  /** The layer's trainable tensors, each created once and never released by tidy(). */
  parameters(): Parameter[] {
    return [];
  }

  /** Descriptions for the energy estimate (one per layer; networks concatenate their children's). */
  describe(inputShape: number[]): LayerDescription[] {
    return [{ name: this.name, type: "other", inputShape, outputShape: this.outputShape(inputShape) }];
  }

  /** Named non-trainable state saved in checkpoints (batch-norm running statistics). */
  buffers(): Parameter[] {
    return [];
  }

  /** The layers inside this one (a residual block's paths), in the order they run. */
  children(): Module[] {
    return [];
  }
}

/** Every layer in `layers` and inside them, depth first, in the order they run. */
export function allLayers(layers: readonly Module[]): Module[] {
  return layers.flatMap((l) => [l, ...allLayers(l.children())]);
}

/** Shape of one sample after a chain of layers. */
export function chainOutputShape(layers: readonly Module[], inputShape: number[]): number[] {
  return layers.reduce((shape, l) => l.outputShape(shape), inputShape);
}

/** The energy descriptions of a chain of layers, each with the shape it receives. */
export function describeChain(layers: readonly Module[], inputShape: number[]): LayerDescription[] {
  const out: LayerDescription[] = [];
  let shape = inputShape;
  for (const l of layers) {
    out.push(...l.describe(shape));
    shape = l.outputShape(shape);
  }
  return out;
}

/** A parameter tensor with its gradient buffer allocated, exempt from tidy(). */
export function parameter(values: ArrayLike<number>, shape: number[]): Tensor {
  const t = keep(tensor(values, shape, true));
  t.grad = zeros(shape).data;
  return t;
}

/** PyTorch's default initialisation for weights and biases: U(-1/sqrt(fanIn), 1/sqrt(fanIn)). */
export function uniformInit(rng: Rng, size: number, fanIn: number): Float32Array {
  const bound = 1 / Math.sqrt(fanIn);
  const values = new Float32Array(size);
  for (let i = 0; i < size; i++) values[i] = (rng.uniform() * 2 - 1) * bound;
  return values;
}

/**
 * Applies a per-step function to a signal: on a static signal once, otherwise on the time steps
 * folded into the batch ([T*B, ...]), unfolded again afterwards. The result holds spikes only
 * when the input did and `keepsSpikes` says that fn moves values without weighting them.
 */
export function perStep(input: Signal, fn: (x: Tensor) => Tensor, keepsSpikes = false): Signal {
  const spikes = keepsSpikes && input.spikes === true;
  if (input.static) return { x: fn(input.x), timeSteps: input.timeSteps, static: true, spikes };
  const [T, B] = input.x.shape;
  const y = fn(reshape(input.x, [T * B, ...input.x.shape.slice(2)]));
  return { x: reshape(y, [T, B, ...y.shape.slice(1)]), timeSteps: input.timeSteps, static: false, spikes };
}

/** The signal as [T, B, ...], repeating a static value over the time steps. */
export function unrolled(input: Signal): Tensor {
  if (!input.static) return input.x;
  const x = reshape(input.x, [1, ...input.x.shape]);
  return expand(x, [input.timeSteps, ...input.x.shape]);
}

/** The non-null tensors of a layer as parameters named `prefix.key`. */
export function namedParams(prefix: string, tensors: Record<string, Tensor | null>): Parameter[] {
  return Object.entries(tensors)
    .filter((e): e is [string, Tensor] => e[1] !== null)
    .map(([key, tensor]) => ({ name: `${prefix}.${key}`, tensor }));
}
