import * as ops from "../core/index.js";
import { getBackend, isGradEnabled, keep, SpikemedError, tensor, type ResetMode, type SurrogateSpec, type Tensor } from "../core/index.js";
import type { LayerDescription } from "../energy/types.js";
import { ActivityMeter } from "./diagnostics.js";
import { namedParams, Pool } from "./layers.js";
import { Module, parameter, perStep, unrolled, type ForwardContext, type Parameter, type Signal } from "./module.js";
import { arctan } from "./surrogates.js";

/**
 * A layer of spiking neurons. It integrates its input over the time steps of one forward call,
 * starting from rest, and measures its own activity for the diagnostics.
 */
export abstract class NeuronLayer extends Module {
  readonly activity = new ActivityMeter();

  /** Output spike height (1 for binary spikes; 1/dt for KerasSpiking's spiking activation). */
  abstract readonly spikeHeight: number;

  outputShape(inputShape: number[]): number[] {
    return inputShape;
  }

  override describe(inputShape: number[]): LayerDescription[] {
    return [{ name: this.name, type: "neuron", inputShape, outputShape: inputShape, spiking: true }];
  }

  protected observe(spikes: Tensor, ctx: ForwardContext, membrane?: Tensor): void {
    const [T, B] = spikes.shape;
    const F = spikes.size / (T * B);
    const backend = getBackend();
    const counts = backend.alloc(F);
    backend.sumAxis(spikes.data, 1, T * B, F, counts);
    if (this.spikeHeight === 1) {
      // Binary spikes: a neuron's active sample-steps are its spike count.
      this.activity.observe(counts, counts, T, B);
    } else {
      const active = new Float64Array(F);
      for (let row = 0; row < T * B * F; row += F) for (let f = 0; f < F; f++) if (spikes.data[row + f] > 0) active[f]++;
      this.activity.observe(counts.map((c) => c / this.spikeHeight), active, T, B);
    }
    backend.free(counts);
    if (ctx.recording) {
      ctx.recording.spikes.set(this.name, keep(tensor(spikes.data, spikes.shape)));
      if (membrane) ctx.recording.membrane.set(this.name, keep(tensor(membrane.data, membrane.shape)));
    }
  }
}

export interface LeakyOptions {
  /** Membrane decay per step; or give tauM and dt, and beta = exp(-dt / tauM). */
  beta?: number;
  tauM?: number;
  dt?: number;
  threshold?: number;
  reset?: ResetMode;
  /** Resting potential V_L the membrane decays towards. */
  vRest?: number;
  learnBeta?: boolean;
  learnThreshold?: boolean;
  /** Number of neurons per sample, for one learnable beta/threshold per neuron (else one per layer). */
  perNeuron?: number;
  surrogate?: SurrogateSpec;
  /** "membrane" makes a non-spiking leaky integrator readout (reset none). */
  output?: "spikes" | "membrane";
  /** Memory-saving mode: recompute the membrane in the backward pass instead of keeping it. */
  recompute?: boolean;
}

/**
 * Leaky integrate-and-fire, snnTorch's Leaky: U[t] = beta*U[t-1] + I[t] - S[t-1]*threshold,
 * S[t] = U[t] > threshold, surrogate gradient arctan(2) unless given.
 */
export class Leaky extends NeuronLayer {
  readonly beta: Tensor;
  readonly threshold: Tensor;
  readonly reset: ResetMode;
  readonly surrogate: SurrogateSpec;
  readonly vRest: number;
  readonly output: "spikes" | "membrane";
  readonly spikeHeight = 1;
  recompute: boolean;

  constructor(name: string, options: LeakyOptions = {}) {
    super(name);
    const beta = leakFactor(name, options);
    const size = options.perNeuron ?? 1;
    const threshold = options.threshold ?? 1;
    this.beta = options.learnBeta ? parameter(new Float32Array(size).fill(beta), [size]) : keep(tensor([beta], [1]));
    this.threshold = options.learnThreshold ? parameter(new Float32Array(size).fill(threshold), [size]) : keep(tensor([threshold], [1]));
    this.output = options.output ?? "spikes";
    this.reset = options.reset ?? (this.output === "membrane" ? "none" : "subtract");
    this.surrogate = options.surrogate ?? arctan(2);
    this.vRest = options.vRest ?? 0;
    this.recompute = options.recompute ?? false;
  }

  forward(input: Signal, ctx: ForwardContext): Signal {
    if (this.spikesSufficeFor(input, ctx)) return this.fireOn(input, 1);
    this.clampBeta();
    const result = ops.lif(unrolled(input), {
      beta: this.beta, threshold: this.threshold, reset: this.reset, surrogate: this.surrogate,
      vRest: this.vRest, output: this.output, recompute: this.recompute && !ctx.recording,
    });
    if (this.output === "spikes") this.observe(result.spikes, ctx, result.membrane ?? undefined);
    else if (ctx.recording && result.membrane) ctx.recording.membrane.set(this.name, keep(tensor(result.membrane.data, result.membrane.shape)));
    return { x: result.out, timeSteps: input.timeSteps, static: false, spikes: this.output === "spikes" };
  }

  /** At inference, a max-pool after this layer pools its spikes in the same pass. */
  override forwardFused(input: Signal, following: readonly Module[], ctx: ForwardContext): { signal: Signal; consumed: number } | null {
    const poolWidth = this.foldedPoolWidth(following[0], input.x.shape.slice(input.static ? 1 : 2));
    if (poolWidth === 1 || !this.spikesSufficeFor(input, ctx)) return null;
    return { signal: this.fireOn(input, poolWidth), consumed: 1 };
  }

  /**
   * The window of the layer `next` when it is a max-pool this layer can fold into its spike
   * output (1-d, unpadded windows that tile the length of samples shaped `sampleShape`); else 1.
   */
  foldedPoolWidth(next: Module | undefined, sampleShape: readonly number[]): number {
    if (!(next instanceof Pool) || next.kind !== "max" || next.dims !== 1 || next.stride !== next.kernel || next.padding !== 0) return 1;
    return sampleShape.length === 2 && sampleShape[1] % next.kernel === 0 ? next.kernel : 1;
  }

  /**
   * True when the spikes are all that is wanted of this pass: no recording asks for the membrane
   * and no gradient will be recorded (none is when gradients are off, or no input needs one).
   */
  spikesSuffice(ctx: ForwardContext, currentNeedsGrad: boolean): boolean {
    const recordsGradient = isGradEnabled() && (currentNeedsGrad || this.beta.requiresGrad || this.threshold.requiresGrad);
    return this.output === "spikes" && !ctx.recording && !recordsGradient;
  }

  /**
   * Fires on the currents that `drive` integrates (given this layer's LIF options, it returns the
   * spikes and their counts), and measures the activity: the spikes-only path of inference.
   */
  fire(drive: (lif: ops.LifSpikesOptions) => ops.LifSpikesResult, timeSteps: number, poolWidth: number): Signal {
    this.clampBeta();
    const { spikes, counts } = drive({ beta: this.beta, threshold: this.threshold, reset: this.reset, vRest: this.vRest, poolWidth });
    this.activity.observe(counts.data, counts.data, spikes.shape[0], spikes.shape[1]);
    return { x: spikes, timeSteps, static: false, spikes: true };
  }

  /**
   * spikesSuffice for this input, whose samples must have features (a scalar per sample takes the
   * general path, whose activity counts treat the batch as the neurons).
   */
  private spikesSufficeFor(input: Signal, ctx: ForwardContext): boolean {
    return input.x.rank - (input.static ? 1 : 2) >= 1 && this.spikesSuffice(ctx, input.x.requiresGrad);
  }

  private fireOn(input: Signal, poolWidth: number): Signal {
    const staticSteps = input.static ? input.timeSteps : undefined;
    return this.fire((lif) => ops.lifSpikes(input.x, { ...lif, staticSteps }), input.timeSteps, poolWidth);
  }

  /** snnTorch clamps a learnable beta to [0, 1]; here the clamp is applied to the parameter itself. */
  private clampBeta(): void {
    if (this.beta.requiresGrad) for (let i = 0; i < this.beta.size; i++) this.beta.data[i] = Math.min(1, Math.max(0, this.beta.data[i]));
  }

  override parameters(): Parameter[] {
    return namedParams(this.name, {
      beta: this.beta.requiresGrad ? this.beta : null,
      threshold: this.threshold.requiresGrad ? this.threshold : null,
    });
  }

  override describe(inputShape: number[]): LayerDescription[] {
    return [{ name: this.name, type: "neuron", inputShape, outputShape: inputShape, spiking: this.output === "spikes" }];
  }
}

/** The X-ray paper's integrate-and-fire neuron: V(t) = V(t-1) + I(t); spike and subtract theta above it. */
export class IntegrateAndFire extends Leaky {
  constructor(name: string, options: { threshold?: number; surrogate?: SurrogateSpec; learnThreshold?: boolean } = {}) {
    super(name, { ...options, beta: 1, reset: "subtract" });
  }
}

/**
 * Current-based (second-order) LIF, snnTorch's Synaptic: syn[t] = alpha*syn[t-1] + I[t], then a
 * leaky membrane driven by syn. Composed of two leaky integrations.
 */
export class Synaptic extends NeuronLayer {
  readonly spikeHeight = 1;
  /** The synaptic current (a leaky integrator with decay alpha) and the spiking membrane it drives. */
  readonly synapse: Leaky;
  readonly membrane: Leaky;

  constructor(name: string, options: LeakyOptions & { alpha: number }) {
    super(name);
    this.synapse = new Leaky(`${name}.synapse`, { beta: options.alpha, output: "membrane", reset: "none" });
    this.membrane = new Leaky(`${name}.membrane`, options);
  }

  forward(input: Signal, ctx: ForwardContext): Signal {
    const current = this.synapse.forward(input, ctx);
    const out = this.membrane.forward(current, ctx);
    this.activity.merge(this.membrane.activity);
    this.membrane.activity.reset();
    return out;
  }

  override parameters(): Parameter[] {
    return this.membrane.parameters();
  }
}

export interface SpikingReluOptions {
  /** Seconds per step; the expected spike count of a neuron over T steps is relu(x) * dt * T. */
  dt?: number;
  /** KerasSpiking's spiking-aware training: spikes in the forward pass during training (default true). */
  spikingAware?: boolean;
  /** Initial voltages: uniform random in [0, 1) as KerasSpiking, or zero. */
  initialVoltage?: "random" | "zero";
}

/**
 * KerasSpiking's SpikingActivation(relu): v += relu(x)*dt; emit floor(v) spikes of height 1/dt;
 * keep the remainder. The default dt = 1 makes a fresh network spike: with KerasSpiking's default
 * dt = 0.001 and one time step a neuron needs relu(x) >= 1000 to spike once, so almost every
 * neuron stays silent and every prediction is the same class (the trap of the X-ray replication).
 */
export class SpikingReLU extends NeuronLayer {
  readonly dt: number;
  readonly spikingAware: boolean;
  readonly initialVoltage: "random" | "zero";

  get spikeHeight(): number {
    return 1 / this.dt;
  }

  constructor(name: string, options: SpikingReluOptions = {}) {
    super(name);
    this.dt = options.dt ?? 1;
    if (!(this.dt > 0)) throw new SpikemedError(`${name}: dt must be positive, got ${options.dt}`);
    this.spikingAware = options.spikingAware ?? true;
    this.initialVoltage = options.initialVoltage ?? "random";
  }

  forward(input: Signal, ctx: ForwardContext): Signal {
    if (ctx.training && !this.spikingAware) {
      return perStep(input, ops.relu);
    }
    const x = unrolled(input);
    const v0 = initialVoltages(x.size / x.shape[0]);
    // rng.uniform()'s values in their order, drawn in bulk into reused memory: srelu-resnet-256
    // draws 8.9 million a forward pass at batch 64 (bench/cxr-speed.ts times the ways to draw them).
    if (this.initialVoltage === "random") ctx.rng.fillUniform(v0);
    else v0.fill(0);
    const y = ops.spikingRelu(x, this.dt, v0);
    this.observe(y, ctx);
    return { x: y, timeSteps: input.timeSteps, static: false, spikes: true };
  }
}

function leakFactor(name: string, o: LeakyOptions): number {
  if (o.tauM !== undefined) {
    if (o.beta !== undefined) throw new SpikemedError(`${name}: give either beta or tauM (with dt), not both`);
    if (!(o.tauM > 0) || !((o.dt ?? 0) > 0)) throw new SpikemedError(`${name}: tauM and dt must both be positive to derive beta`);
    return Math.exp(-(o.dt as number) / o.tauM);
  }
  const beta = o.beta ?? 0.9;
  if (!(beta >= 0 && beta <= 1)) throw new SpikemedError(`${name}: beta must be in [0, 1], got ${beta}`);
  return beta;
}

/**
 * Room for one step's initial voltages, shared by every spiking ReLU (spikingRelu copies them
 * before the next layer runs): a fresh array a layer made a training step of the 256-pixel ResNet
 * fault in and clear about 70 MB of new memory.
 */
let voltageScratch = new Float32Array(0);
function initialVoltages(n: number): Float32Array {
  if (voltageScratch.length < n) voltageScratch = new Float32Array(n);
  return voltageScratch.subarray(0, n);
}
