import * as ops from "../core/index.js";
import { Rng, SpikemedError, isGradEnabled, keep, full, zeros, type Tensor } from "../core/index.js";
import type { LayerDescription } from "../energy/types.js";
import { Module, namedParams, parameter, perStep, uniformInit, type ForwardContext, type Parameter, type Signal } from "./module.js";

export interface ConvOptions {
  stride?: number;
  padding?: number | "same";
  bias?: boolean;
}

/**
 * Spike density (nonzero fraction of the input) below which Conv1d and Dense run event-driven at
 * inference. Measured on one thread, the event-driven kernels beat the dense ones up to a density
 * of about 45% (the ECG net's dense layer, 4096 -> 128) and 50% (its second convolution, 32 -> 64
 * channels), and are 1.5x faster at 30%; the margin is for layers of other shapes.
 */
const EVENT_DRIVEN_MAX_DENSITY = 0.35;
/**
 * Fewest outputs per input (output channels or features) for which the event-driven kernels pay:
 * with fewer, each event does too little work to repay finding it (a dense layer 512 -> 10 is
 * only faster below 20% density, a convolution 8 -> 8 channels never).
 */
const EVENT_DRIVEN_MIN_OUTPUTS = 32;
/**
 * Most weights of a layer that runs event-driven: the kernels read a transposed copy of the
 * weights, made per call, and gatti2025's 264-million-weight dense layer would need a 1 GiB copy
 * that the 4 GiB WebAssembly heap, already holding its weights and gradients, cannot give.
 */
const EVENT_DRIVEN_MAX_WEIGHTS = 1 << 24;

/**
 * True when a layer with `outputs` outputs per input and these weights should run event-driven on
 * this input: spikes, no gradient being recorded, weights small enough to copy, and sparse enough
 * (measured on a sample of the batch). Fusion (fusion.ts) asks it too.
 */
export function runsEventDriven(input: Signal, outputs: number, weight: Tensor): boolean {
  return input.spikes === true && !isGradEnabled() && outputs >= EVENT_DRIVEN_MIN_OUTPUTS
    && weight.size <= EVENT_DRIVEN_MAX_WEIGHTS && ops.nonzeroFraction(input.x) < EVENT_DRIVEN_MAX_DENSITY;
}

/** 1-d convolution over [C, L] samples. */
export class Conv1d extends Module {
  readonly weight: Tensor;
  readonly bias: Tensor | null;
  /** Whether inference may run event-driven on sparse spike inputs; false keeps the dense kernels. */
  eventDriven = true;

  constructor(name: string, readonly inChannels: number, readonly outChannels: number, readonly kernel: number,
    rng: Rng, readonly options: ConvOptions = {}) {
    super(name);
    const fanIn = inChannels * kernel;
    this.weight = parameter(uniformInit(rng, outChannels * fanIn, fanIn), [outChannels, inChannels, kernel]);
    this.bias = options.bias === false ? null : parameter(uniformInit(rng, outChannels, fanIn), [outChannels]);
  }

  forward(input: Signal): Signal {
    const conv = this.eventDriven && runsEventDriven(input, this.outChannels, this.weight) ? ops.sparseConv1d : ops.conv1d;
    return perStep(input, (x) => conv(x, this.weight, this.bias, { stride: this.options.stride, padding: this.options.padding }));
  }

  outputShape([c, l]: number[]): number[] {
    if (c !== this.inChannels) throw new SpikemedError(`${this.name}: expects ${this.inChannels} input channels, got ${c}`);
    const pad = this.options.padding === "same" ? (this.kernel - 1) / 2 : this.options.padding ?? 0;
    return [this.outChannels, ops.outputLength(l, this.kernel, this.options.stride ?? 1, pad)];
  }

  override parameters(): Parameter[] {
    return namedParams(this.name, { weight: this.weight, bias: this.bias });
  }

  override describe(inputShape: number[]): LayerDescription[] {
    return [{ name: this.name, type: "conv1d", inputShape, outputShape: this.outputShape(inputShape),
      kernelSize: [this.kernel], inChannels: this.inChannels, outChannels: this.outChannels }];
  }
}

/** 2-d convolution over [C, H, W] samples. */
export class Conv2d extends Module {
  readonly weight: Tensor;
  readonly bias: Tensor | null;

  constructor(name: string, readonly inChannels: number, readonly outChannels: number, readonly kernel: number,
    rng: Rng, readonly options: ConvOptions = {}) {
    super(name);
    const fanIn = inChannels * kernel * kernel;
    this.weight = parameter(uniformInit(rng, outChannels * fanIn, fanIn), [outChannels, inChannels, kernel, kernel]);
    this.bias = options.bias === false ? null : parameter(uniformInit(rng, outChannels, fanIn), [outChannels]);
  }

  forward(input: Signal): Signal {
    return perStep(input, (x) => ops.conv2d(x, this.weight, this.bias, { stride: this.options.stride, padding: this.options.padding }));
  }

  outputShape([c, h, w]: number[]): number[] {
    if (c !== this.inChannels) throw new SpikemedError(`${this.name}: expects ${this.inChannels} input channels, got ${c}`);
    const pad = this.options.padding === "same" ? (this.kernel - 1) / 2 : this.options.padding ?? 0;
    const s = this.options.stride ?? 1;
    return [this.outChannels, ops.outputLength(h, this.kernel, s, pad), ops.outputLength(w, this.kernel, s, pad)];
  }

  override parameters(): Parameter[] {
    return namedParams(this.name, { weight: this.weight, bias: this.bias });
  }

  override describe(inputShape: number[]): LayerDescription[] {
    return [{ name: this.name, type: "conv2d", inputShape, outputShape: this.outputShape(inputShape),
      kernelSize: [this.kernel, this.kernel], inChannels: this.inChannels, outChannels: this.outChannels }];
  }
}

/** Fully connected layer over flat [F] samples. */
export class Dense extends Module {
  readonly weight: Tensor;
  readonly bias: Tensor | null;
  /** Whether inference may run event-driven on sparse spike inputs; false keeps the dense kernels. */
  eventDriven = true;

  constructor(name: string, readonly inFeatures: number, readonly outFeatures: number, rng: Rng, bias = true) {
    super(name);
    this.weight = parameter(uniformInit(rng, outFeatures * inFeatures, inFeatures), [outFeatures, inFeatures]);
    this.bias = bias ? parameter(uniformInit(rng, outFeatures, inFeatures), [outFeatures]) : null;
  }

  forward(input: Signal): Signal {
    const linear = this.eventDriven && runsEventDriven(input, this.outFeatures, this.weight) ? ops.sparseLinear : ops.linear;
    return perStep(input, (x) => linear(x, this.weight, this.bias));
  }

  outputShape(inputShape: number[]): number[] {
    if (inputShape.length !== 1 || inputShape[0] !== this.inFeatures) {
      throw new SpikemedError(`${this.name}: expects ${this.inFeatures} input features, got shape [${inputShape.join(", ")}]`, "add a flatten layer before it or fix in_features");
    }
    return [this.outFeatures];
  }

  override parameters(): Parameter[] {
    return namedParams(this.name, { weight: this.weight, bias: this.bias });
  }

  override describe(inputShape: number[]): LayerDescription[] {
    return [{ name: this.name, type: "dense", inputShape, outputShape: this.outputShape(inputShape),
      inChannels: this.inFeatures, outChannels: this.outFeatures }];
  }
}

/**
 * Max or average pooling over [C, L] or [C, H, W] samples. Padding, as PyTorch's: a max-pool's
 * windows ignore it, an average pool counts it as zeros.
 */
export class Pool extends Module {
  constructor(name: string, readonly kind: "max" | "avg", readonly dims: 1 | 2, readonly kernel: number, readonly stride = kernel, readonly padding = 0) {
    super(name);
  }

  forward(input: Signal): Signal {
    const opts = { stride: this.stride, padding: this.padding };
    const fn = this.dims === 1
      ? (this.kind === "max" ? ops.maxPool1d : ops.avgPool1d)
      : (this.kind === "max" ? ops.maxPool2d : ops.avgPool2d);
    // The maximum of spikes is a spike; their average is not.
    return perStep(input, (x) => fn(x, this.kernel, opts), this.kind === "max");
  }

  outputShape([c, ...spatial]: number[]): number[] {
    return [c, ...spatial.map((d) => ops.outputLength(d, this.kernel, this.stride, this.padding))];
  }

  override describe(inputShape: number[]): LayerDescription[] {
    return [{ name: this.name, type: this.kind === "max" ? "maxpool" : "avgpool", inputShape,
      outputShape: this.outputShape(inputShape), kernelSize: inputShape.slice(1).map(() => this.kernel) }];
  }
}

export class Flatten extends Module {
  forward(input: Signal): Signal {
    return perStep(input, (x) => ops.flatten(x, 1), true);
  }

  outputShape(inputShape: number[]): number[] {
    return [inputShape.reduce((a, b) => a * b, 1)];
  }

  override describe(inputShape: number[]): LayerDescription[] {
    return [{ name: this.name, type: "flatten", inputShape, outputShape: this.outputShape(inputShape) }];
  }
}

/** Inverted dropout; on a static signal the same mask holds for every time step. */
export class Dropout extends Module {
  constructor(name: string, readonly p: number) {
    super(name);
  }

  forward(input: Signal, ctx: ForwardContext): Signal {
    // Only evaluation passes values through unchanged; training scales the ones it keeps.
    return perStep(input, (x) => ops.dropout(x, this.p, ctx.rng, ctx.training), !ctx.training || this.p === 0);
  }

  outputShape(inputShape: number[]): number[] {
    return inputShape;
  }

  override describe(inputShape: number[]): LayerDescription[] {
    return [{ name: this.name, type: "dropout", inputShape, outputShape: inputShape }];
  }
}

/** Batch normalisation over the channel axis. */
export class BatchNorm extends Module {
  readonly gamma: Tensor;
  readonly beta: Tensor;
  readonly runningMean: Tensor;
  readonly runningVar: Tensor;

  constructor(name: string, readonly channels: number, readonly momentum = 0.1, readonly eps = 1e-5) {
    super(name);
    this.gamma = parameter(new Float32Array(channels).fill(1), [channels]);
    this.beta = parameter(new Float32Array(channels), [channels]);
    this.runningMean = keep(zeros([channels]));
    this.runningVar = keep(full([channels], 1));
  }

  forward(input: Signal, ctx: ForwardContext): Signal {
    const state = { runningMean: this.runningMean, runningVar: this.runningVar, momentum: this.momentum, eps: this.eps };
    return perStep(input, (x) => ops.batchNorm(x, this.gamma, this.beta, state, ctx.training));
  }

  /**
   * Sets the running mean and variance to those of `input`, pooled over its samples and time steps,
   * as one training batch at momentum 1 would (the variance unbiased, as in training): AdaBN.
   */
  estimateStatistics(input: Signal): void {
    const state = { runningMean: this.runningMean, runningVar: this.runningVar, momentum: 1, eps: this.eps };
    perStep(input, (x) => ops.batchNorm(x, this.gamma, this.beta, state, true));
  }

  outputShape(inputShape: number[]): number[] {
    return inputShape;
  }

  override parameters(): Parameter[] {
    return namedParams(this.name, { gamma: this.gamma, beta: this.beta });
  }

  override buffers(): Parameter[] {
    return namedParams(this.name, { runningMean: this.runningMean, runningVar: this.runningVar });
  }

  override describe(inputShape: number[]): LayerDescription[] {
    return [{ name: this.name, type: "batchnorm", inputShape, outputShape: inputShape }];
  }
}

/** The non-spiking activation of the ANN twins. */
export class ReLU extends Module {
  forward(input: Signal): Signal {
    return perStep(input, ops.relu);
  }

  outputShape(inputShape: number[]): number[] {
    return inputShape;
  }

  override describe(inputShape: number[]): LayerDescription[] {
    return [{ name: this.name, type: "neuron", inputShape, outputShape: inputShape, spiking: false }];
  }
}
