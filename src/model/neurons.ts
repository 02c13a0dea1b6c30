/**
 * Spiking neurons: each kind holds its dynamics only, twice over. `forward` runs a whole sequence
 * of time steps in one kernel call (with its backward pass), as training and batch inference do;
 * `step` runs one time step with the state passed in and out, as streaming inference does, and
 * computes what `forward` computes at that step. The fusions of neurons with the layers around
 * them at inference live in fusion.ts.
 */
import * as ops from "../core/index.js";
import { full, getBackend, keep, SpikemedError, tensor, zeros, type ResetMode, type Rng, type SurrogateSpec, Tensor } from "../core/index.js";
import type { LayerDescription } from "../energy/types.js";
import { ActivityMeter } from "./diagnostics.js";
import { Module, namedParams, parameter, perStep, unrolled, type ForwardContext, type Parameter, type Signal } from "./module.js";
import { arctan } from "./surrogates.js";

/** One time step of a neuron layer: its output and its state after the step. */
export interface NeuronStep<State> {
  output: Tensor;
  state: State;
}

/**
 * A layer of spiking neurons. `forward` integrates its input over the time steps of one call,
 * starting from rest, and measures the layer's activity for the diagnostics. `step` advances the
 * neurons by one time step from a state given as a plain object of tensors shaped like one
 * step's input [batch, ...features] (so tidy() keeps the state a step returns); it measures
 * nothing. A new kind of neuron extends this class in a file of its own, with both: the fusion
 * patterns (fusion.ts) and streaming inference (Network.step) then take it as they find it.
 */
export abstract class NeuronLayer<State extends object = object> extends Module {
  readonly activity = new ActivityMeter();

  /** Output spike height (1 for binary spikes; 1/dt for KerasSpiking's spiking activation). */
  abstract readonly spikeHeight: number;

  /**
   * The state at rest before the first step, for inputs shaped `stepShape` ([batch,
   * ...features]); `rng` draws the initial values of neurons that start at random ones.
   */
  abstract initialState(stepShape: readonly number[], rng: Rng): State;

  /**
   * One time step: the input current [batch, ...features] and the state before the step in, the
   * output and the state after it out. Differentiable; the same values as `forward` at that step.
   */
  abstract step(current: Tensor, state: State): NeuronStep<State>;

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

/** The state of leaky neurons between steps: the membrane, and the spikes of the step before (for the reset). */
export interface LeakyState {
  membrane: Tensor;
  spikes: Tensor;
}

/** The parameters of the LIF kernels (ops.lif, ops.lifSpikes and the convolution fused with them). */
export type LifParameters = Pick<ops.LifOptions, "beta" | "threshold" | "reset"> & { vRest: number };

/**
 * Leaky integrate-and-fire, snnTorch's Leaky: U[t] = beta*U[t-1] + I[t] - S[t-1]*threshold,
 * S[t] = U[t] > threshold, surrogate gradient arctan(2) unless given.
 */
export class Leaky extends NeuronLayer<LeakyState> {
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

  /** The whole sequence in one kernel call: currents [T, B, ...] to spikes (or membranes) [T, B, ...]. */
  forward(input: Signal, ctx: ForwardContext): Signal {
    const result = ops.lif(unrolled(input), {
      ...this.lifParameters(), surrogate: this.surrogate, output: this.output, recompute: this.recompute && !ctx.recording,
    });
    if (this.output === "spikes") this.observe(result.spikes, ctx, result.membrane ?? undefined);
    else if (ctx.recording && result.membrane) ctx.recording.membrane.set(this.name, keep(tensor(result.membrane.data, result.membrane.shape)));
    return { x: result.out, timeSteps: input.timeSteps, static: false, spikes: this.output === "spikes" };
  }

  /** At rest: the membrane at the resting potential, and no spike before the first step. */
  initialState(stepShape: readonly number[]): LeakyState {
    return { membrane: full(stepShape, this.vRest), spikes: zeros(stepShape) };
  }

  /**
   * One step, each operation rounded to float32 in the kernels' order: the membrane decays
   * towards rest, takes the current and is reset by the spike of the step before (the reset
   * passes no gradient, as in the kernels); it spikes above the threshold.
   */
  step(current: Tensor, { membrane, spikes }: LeakyState): NeuronStep<LeakyState> {
    const { beta, threshold, vRest } = this.lifParameters();
    const sampleShape = current.shape.slice(1);
    const perNeuron = (p: Tensor): Tensor => (p.size === 1 ? p : ops.reshape(p, sampleShape));
    const rest = tensor([vRest]);
    const leaked = ops.add(rest, ops.mul(perNeuron(beta), ops.sub(membrane, rest)));
    let u = ops.add(leaked, current);
    if (this.reset === "subtract") u = ops.sub(u, ops.mul(spikes, perNeuron(threshold)));
    else if (this.reset === "zero") u = ops.mul(u, ops.sub(tensor([1]), spikes));
    const fired = ops.heaviside(ops.sub(u, perNeuron(threshold)), this.surrogate);
    const detached = new Tensor(fired.shape, fired.data, false, fired);
    return { output: this.output === "spikes" ? fired : u, state: { membrane: u, spikes: detached } };
  }

  /** The parameters the LIF kernels take; a learnable beta is first clamped to [0, 1] in place, as snnTorch clamps it. */
  lifParameters(): LifParameters {
    if (this.beta.requiresGrad) for (let i = 0; i < this.beta.size; i++) this.beta.data[i] = Math.min(1, Math.max(0, this.beta.data[i]));
    return { beta: this.beta, threshold: this.threshold, reset: this.reset, vRest: this.vRest };
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

/** The state of synaptic neurons between steps: their synaptic current's and their membrane's. */
export interface SynapticState {
  synapse: LeakyState;
  membrane: LeakyState;
}

/**
 * Current-based (second-order) LIF, snnTorch's Synaptic: syn[t] = alpha*syn[t-1] + I[t], then a
 * leaky membrane driven by syn. Composed of two leaky integrations.
 */
export class Synaptic extends NeuronLayer<SynapticState> {
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

  initialState(stepShape: readonly number[]): SynapticState {
    return { synapse: this.synapse.initialState(stepShape), membrane: this.membrane.initialState(stepShape) };
  }

  step(current: Tensor, state: SynapticState): NeuronStep<SynapticState> {
    const synapse = this.synapse.step(current, state.synapse);
    const membrane = this.membrane.step(synapse.output, state.membrane);
    return { output: membrane.output, state: { synapse: synapse.state, membrane: membrane.state } };
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
export class SpikingReLU extends NeuronLayer<{ voltage: Tensor }> {
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

  /** The initial voltages: the rng's uniform draws in order, as `forward` draws them, or zero. */
  initialState(stepShape: readonly number[], rng: Rng): { voltage: Tensor } {
    const voltage = zeros(stepShape);
    if (this.initialVoltage === "random") rng.fillUniform(voltage.data);
    return { voltage };
  }

  /** One step of the spiking dynamics (those of inference and of spiking-aware training). */
  step(current: Tensor, { voltage }: { voltage: Tensor }): NeuronStep<{ voltage: Tensor }> {
    const next = zeros(voltage.shape);
    const y = ops.spikingRelu(ops.reshape(current, [1, ...current.shape]), this.dt, voltage.data, next.data);
    return { output: ops.reshape(y, current.shape), state: { voltage: next } };
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
