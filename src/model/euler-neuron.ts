import * as ops from "../core/index.js";
import { keep, SpikemedError, tensor, zeros, type Rng, type SurrogateSpec, type Tensor } from "../core/index.js";
import { namedParams, parameter, unrolled, uniformInit, type ForwardContext, type Parameter, type Signal } from "./module.js";
import { NeuronLayer, type NeuronStep } from "./neurons.js";
import { arctan } from "./surrogates.js";

/** The neuron models of NIR (the Neuromorphic Intermediate Representation) that EulerNeuron simulates. */
export const NIR_NEURON_MODELS = ["LIF", "LI", "IF", "I", "CubaLIF", "CubaLI"] as const;
export type NirNeuronModel = (typeof NIR_NEURON_MODELS)[number];

/** Each model's parameters under NIR's names, one value per neuron. */
export const NIR_NEURON_PARAMETERS: Record<NirNeuronModel, readonly string[]> = {
  LIF: ["tau", "r", "v_leak", "v_threshold", "v_reset"],
  LI: ["tau", "r", "v_leak"],
  IF: ["r", "v_threshold", "v_reset"],
  I: ["r"],
  CubaLIF: ["tau_syn", "tau_mem", "r", "v_leak", "v_threshold", "v_reset", "w_in"],
  CubaLI: ["tau_syn", "tau_mem", "r", "v_leak", "w_in"],
};

/** An EulerNeuron layer's state between steps: membrane, synaptic current and the output of the step before (for the recurrent connection). */
export interface EulerState {
  v: Tensor;
  syn: Tensor;
  previous: Tensor;
}

/** The Euler step's factors per neuron (those a model lacks are absent). */
interface Coefficients {
  decay?: Tensor;
  gain: Tensor;
  leak?: Tensor;
  synDecay?: Tensor;
  synGain?: Tensor;
  threshold?: Tensor;
  reset?: Tensor;
}

export interface EulerNeuronOptions {
  model: NirNeuronModel;
  /** Seconds per simulation step: the time constants are divided by it. */
  dt: number;
  /** A recurrent connection from the layer's own output of the previous step (NIR: a cycle through an Affine or Linear node). */
  recurrent?: "affine" | "linear";
  surrogate?: SurrogateSpec;
}

/**
 * NIR's continuous-time neurons, stepped by forward Euler with a step of dt seconds, the
 * discretisation Norse, snnTorch and Lava use (NIR itself fixes none):
 *
 *   synapse (Cuba*):  syn[t] = syn[t-1] + dt/tau_syn * (w_in*x[t] - syn[t-1]),  drive = syn[t]
 *   leaky (LIF, LI):  v[t] = v[t-1] + dt/tau * (v_leak - v[t-1] + r*drive)
 *   integrator (IF, I): v[t] = v[t-1] + r*drive   (the input is a charge per step, as Sinabs and snnTorch read IF)
 *   firing (*IF):     spike where v[t] > v_threshold, and v[t] = v_reset at once
 *
 * The membrane starts at v_leak (0 for integrators), the synapse at 0. A recurrent layer adds
 * W*out[t-1] + b to its input, out[-1] = 0 (snnTorch's RLeaky/RSynaptic). Non-firing models
 * (LI, I, CubaLI) output their membrane. The per-neuron parameters are saved with the weights
 * (buffers, not trained); the recurrent weights are trained like any dense layer.
 */
export class EulerNeuron extends NeuronLayer<EulerState> {
  readonly spikeHeight = 1;
  readonly model: NirNeuronModel;
  readonly dt: number;
  readonly surrogate: SurrogateSpec;
  /** NIR's parameters by name, each shaped like one sample of the layer's neurons. */
  readonly nir: Record<string, Tensor>;
  readonly recurrentWeight: Tensor | null;
  readonly recurrentBias: Tensor | null;
  private readonly neurons: number;

  constructor(name: string, readonly shape: number[], options: EulerNeuronOptions, rng?: Rng) {
    super(name);
    if (!NIR_NEURON_MODELS.includes(options.model)) throw new SpikemedError(`${name}: unknown NIR neuron model ${JSON.stringify(options.model)}`, `choose one of ${NIR_NEURON_MODELS.join(", ")}`);
    if (!(options.dt > 0 && Number.isFinite(options.dt))) throw new SpikemedError(`${name}: dt must be a positive number of seconds, got ${options.dt}`);
    this.model = options.model;
    this.dt = options.dt;
    this.surrogate = options.surrogate ?? arctan(2);
    this.neurons = shape.reduce((a, b) => a * b, 1);
    // Until weights are loaded: time constants of 10 steps and the gains that make one step add the input once (snnTorch's Leaky, beta = 0.9).
    const tau = 10 * this.dt;
    const defaults: Record<string, number> = { tau, tau_syn: tau, tau_mem: tau, r: this.model === "IF" || this.model === "I" ? 1 : tau / this.dt, v_leak: 0, v_threshold: 1, v_reset: 0, w_in: tau / this.dt };
    this.nir = Object.fromEntries(NIR_NEURON_PARAMETERS[this.model].map((key) =>
      [key, keep(tensor(new Float32Array(this.neurons).fill(defaults[key]), shape))]));
    if (options.recurrent && !rng) throw new SpikemedError(`${name}: a recurrent layer needs a random generator for its initial weights`);
    this.recurrentWeight = options.recurrent && rng ? parameter(uniformInit(rng, this.neurons * this.neurons, this.neurons), [this.neurons, this.neurons]) : null;
    this.recurrentBias = options.recurrent === "affine" && rng ? parameter(uniformInit(rng, this.neurons, this.neurons), [this.neurons]) : null;
  }

  get fires(): boolean {
    return this.model === "LIF" || this.model === "IF" || this.model === "CubaLIF";
  }

  /** The whole sequence, step by step: currents [T, B, ...] to spikes (or membranes) [T, B, ...]. */
  forward(input: Signal, ctx: ForwardContext): Signal {
    const x = unrolled(input);
    const [T, B] = x.shape;
    const sample = x.shape.slice(2);
    if (sample.reduce((a, b) => a * b, 1) !== this.neurons) throw new SpikemedError(`${this.name}: has ${this.neurons} neurons, its input ${sample.join("x")} values per sample`);
    const c = this.coefficients();
    let state = this.initialState([B, ...this.shape]);
    const outputs: Tensor[] = [];
    const membranes: Tensor[] = [];
    for (let t = 0; t < T; t++) {
      const next = this.advance(c, ops.reshape(ops.slice(x, 0, t, t + 1), [B, ...this.shape]), state);
      state = next.state;
      outputs.push(next.output);
      membranes.push(state.v);
    }
    const y = ops.stack(outputs, 0);
    if (this.fires) this.observe(y, ctx, ctx.recording ? ops.stack(membranes, 0) : undefined);
    else if (ctx.recording) ctx.recording.membrane.set(this.name, keep(tensor(y.data, y.shape)));
    return { x: y, timeSteps: input.timeSteps, static: false, spikes: this.fires };
  }

  /** At rest: the membrane at v_leak (0 for integrators), no synaptic current, no output before the first step. */
  initialState(stepShape: readonly number[]): EulerState {
    const shape = [stepShape[0], ...this.shape];
    const rest = this.nir.v_leak;
    return { v: rest ? ops.add(zeros(shape), rest) : zeros(shape), syn: zeros(shape), previous: zeros(shape) };
  }

  /** One step of streaming inference (Network.step): the current [B, ...] and the state in, the output and the state after the step out. */
  step(current: Tensor, state: EulerState): NeuronStep<EulerState> {
    return this.advance(this.coefficients(), ops.reshape(current, [current.shape[0], ...this.shape]), state);
  }

  private advance(c: Coefficients, current: Tensor, { v, syn, previous }: EulerState): NeuronStep<EulerState> {
    const [B] = current.shape;
    let drive = current;
    if (this.recurrentWeight) {
      const feedback = ops.linear(ops.reshape(previous, [B, this.neurons]), this.recurrentWeight, this.recurrentBias);
      drive = ops.add(drive, ops.reshape(feedback, [B, ...this.shape]));
    }
    if (c.synDecay && c.synGain) {
      syn = ops.add(ops.mul(syn, c.synDecay), ops.mul(drive, c.synGain));
      drive = syn;
    }
    v = c.decay ? ops.add(ops.add(ops.mul(v, c.decay), ops.mul(drive, c.gain)), c.leak!) : ops.add(v, ops.mul(drive, c.gain));
    let out = v;
    if (c.threshold && c.reset) {
      out = ops.heaviside(ops.sub(v, c.threshold), this.surrogate);
      v = ops.add(ops.mul(v, ops.affine(out, -1, 1)), ops.mul(out, c.reset));
    }
    return { output: out, state: { v, syn, previous: out } };
  }

  /** The Euler step's factors per neuron from NIR's parameters (float64 arithmetic, stored as float32). */
  private coefficients(): Coefficients {
    const p = this.nir;
    for (const key of ["tau", "tau_mem", "tau_syn"]) {
      if (p[key]?.data.some((t) => !(t > 0))) throw new SpikemedError(`${this.name}: a ${key} is not positive, so the neurons cannot be stepped`, "the weights are damaged; import or train the network again");
    }
    const of = (f: (i: number) => number): Tensor => tensor(Float32Array.from({ length: this.neurons }, (_, i) => f(i)), this.shape);
    const tau = p.tau ?? p.tau_mem;
    const out: Coefficients = {
      gain: tau ? of((i) => (p.r.data[i] * this.dt) / tau.data[i]) : p.r,
      threshold: p.v_threshold, reset: p.v_reset,
    };
    if (tau) {
      out.decay = of((i) => 1 - this.dt / tau.data[i]);
      out.leak = of((i) => (p.v_leak.data[i] * this.dt) / tau.data[i]);
    }
    if (p.tau_syn) {
      out.synDecay = of((i) => 1 - this.dt / p.tau_syn.data[i]);
      out.synGain = of((i) => (p.w_in.data[i] * this.dt) / p.tau_syn.data[i]);
    }
    return out;
  }

  override parameters(): Parameter[] {
    return namedParams(`${this.name}.recurrent`, { weight: this.recurrentWeight, bias: this.recurrentBias });
  }

  override buffers(): Parameter[] {
    return namedParams(this.name, this.nir);
  }
}
