import { getBackend, type LifSpec, type ResetMode, type SurrogateSpec } from "../backend.js";
import { assertNotRecording, record } from "../autograd.js";
import { SpikemedError } from "../errors.js";
import { surrogateDerivative } from "../surrogate.js";
import { allocate, shapeString, sizeOf, Tensor, type Shape } from "../tensor.js";

export interface LifOptions {
  /** Membrane decay per step, length 1 or the number of features per step. */
  beta: Tensor;
  /** Firing threshold, length 1 or the number of features per step. */
  threshold: Tensor;
  reset: ResetMode;
  surrogate: SurrogateSpec;
  /** Resting potential V_L (default 0). */
  vRest?: number;
  /** What the op returns: the spike trains (default) or the membrane potentials. */
  output?: "spikes" | "membrane";
  /**
   * Memory-saving mode: the membrane is not kept for the backward pass but recomputed there from
   * the input current (one more forward kernel call per layer; T*N fewer floats held).
   */
  recompute?: boolean;
}

export interface LifResult {
  /** The differentiable output (spikes or membrane, as asked). */
  out: Tensor;
  /** Spikes of every step, for diagnostics and recordings (not differentiable). */
  spikes: Tensor;
  /** Membrane of every step; null in memory-saving mode. */
  membrane: Tensor | null;
}

/**
 * Leaky integrate-and-fire over time: current [T, ...] -> spikes or membrane [T, ...], with the
 * whole time loop (and its backward) in one kernel call. The state starts at rest for each call.
 */
export function lif(current: Tensor, options: LifOptions): LifResult {
  if (current.rank < 2) {
    throw new SpikemedError(`lif: input ${shapeString(current.shape)} must be [T, batch, ...features]`);
  }
  const T = current.shape[0];
  const N = current.size / T;
  const F = current.rank > 2 ? current.size / (T * current.shape[1]) : N;
  for (const [name, p] of [["beta", options.beta], ["threshold", options.threshold]] as const) {
    if (p.size !== 1 && p.size !== F) {
      throw new SpikemedError(`lif: ${name} has ${p.size} values; expected 1 or ${F} (one per feature of ${shapeString(current.shape)})`);
    }
  }
  const spec: LifSpec = {
    T, N, F, beta: options.beta.data, threshold: options.threshold.data,
    vRest: options.vRest ?? 0, reset: options.reset,
  };
  const backend = getBackend();
  const spikes = new Tensor(current.shape, allocate("lif", current.shape));
  const membrane = new Tensor(current.shape, allocate("lif", current.shape));
  backend.lifForward(spec, current.data, membrane.data, spikes.data);
  const wantSpikes = (options.output ?? "spikes") === "spikes";
  // The differentiable output is a view of the recorded array, so no copy is made.
  const out = new Tensor(current.shape, wantSpikes ? spikes.data : membrane.data, false, wantSpikes ? spikes : membrane);
  const recompute = wantSpikes && options.recompute === true;
  record(out, "lif", [current, options.beta, options.threshold], (g) => {
    const dCurrent = backend.alloc(current.size, false);
    const dBeta = options.beta.requiresGrad ? backend.alloc(options.beta.size) : null;
    const dThreshold = options.threshold.requiresGrad ? backend.alloc(options.threshold.size) : null;
    let mem = membrane.data;
    if (recompute) {
      // The forward kernel is deterministic, so rewriting the spikes in place leaves them unchanged.
      mem = backend.alloc(current.size, false);
      backend.lifForward(spec, current.data, mem, spikes.data);
    }
    backend.lifBackward(spec, options.surrogate, mem, spikes.data,
      wantSpikes ? g : null, wantSpikes ? null : g, dCurrent, dBeta, dThreshold);
    if (recompute) backend.free(mem);
    return [current.requiresGrad ? dCurrent : (backend.free(dCurrent), null), dBeta, dThreshold];
  });
  if (recompute && out.node) {
    membrane.dispose();
    return { out, spikes, membrane: null };
  }
  return { out, spikes, membrane };
}

export interface LifSpikesOptions extends Pick<LifOptions, "beta" | "threshold" | "reset" | "vRest"> {
  /**
   * Time steps of a static current: `current` is then [batch, ...features], one value standing for
   * every step (a directly encoded input), and is read once instead of being repeated T times.
   */
  staticSteps?: number;
  /** Max-pools the spikes over windows of this many neurons along the last axis (default 1: none). */
  poolWidth?: number;
}

export interface LifSpikesResult {
  /** Spikes [T, batch, ...features], the last axis divided by the pooling width. */
  spikes: Tensor;
  /** Per feature (position within a sample), its spikes summed over the steps and the batch, before pooling. */
  counts: Tensor;
}

/**
 * lif at inference: the same spikes, without the membrane trace that only the backward pass and
 * recordings need, optionally max-pooled in the same pass. It records no gradient.
 */
export function lifSpikes(current: Tensor, options: LifSpikesOptions): LifSpikesResult {
  assertNotRecording("lifSpikes", [current, options.beta, options.threshold]);
  const staticCurrent = options.staticSteps !== undefined;
  const stepShape = staticCurrent ? current.shape : current.shape.slice(1);
  if (stepShape.length < 1 || (staticCurrent && !(Number.isInteger(options.staticSteps) && (options.staticSteps as number) >= 1))) {
    throw new SpikemedError(`lifSpikes: input ${shapeString(current.shape)} must be [T, batch, ...features], or [batch, ...features] with staticSteps >= 1`);
  }
  const spec = inferenceLifSpec("lifSpikes", staticCurrent ? options.staticSteps as number : current.shape[0], stepShape, options);
  const result = allocateSpikes("lifSpikes", spec, stepShape, options.poolWidth ?? 1);
  getBackend().lifInference(spec, current.data, staticCurrent, options.poolWidth ?? 1, result.spikes.data, result.counts.data);
  return result;
}

/**
 * The LIF spec of a spikes-only op on T steps of currents shaped `stepShape` ([batch,
 * ...features]), after checking the parameters and the pooling width against that shape.
 */
export function inferenceLifSpec(op: string, T: number, stepShape: Shape, options: LifSpikesOptions): LifSpec {
  const N = sizeOf(stepShape);
  const F = stepShape.length > 1 ? N / stepShape[0] : N;
  const poolWidth = options.poolWidth ?? 1;
  if (!Number.isInteger(poolWidth) || poolWidth < 1
    || (poolWidth > 1 && (stepShape.length < 2 || stepShape[stepShape.length - 1] % poolWidth !== 0))) {
    throw new SpikemedError(`${op}: cannot pool steps of ${shapeString(stepShape)} over windows of ${poolWidth} along the last axis`);
  }
  for (const [name, p] of [["beta", options.beta], ["threshold", options.threshold]] as const) {
    if (p.size !== 1 && p.size !== F) {
      throw new SpikemedError(`${op}: ${name} has ${p.size} values; expected 1 or ${F} (one per feature of a step ${shapeString(stepShape)})`);
    }
  }
  return { T, N, F, beta: options.beta.data, threshold: options.threshold.data, vRest: options.vRest ?? 0, reset: options.reset };
}

/** The outputs of a spikes-only op: spikes [T, ...stepShape] with the last axis pooled, and the counts. */
export function allocateSpikes(op: string, spec: LifSpec, stepShape: Shape, poolWidth: number): LifSpikesResult {
  const shape = [spec.T, ...stepShape.slice(0, -1), stepShape[stepShape.length - 1] / poolWidth];
  return { spikes: new Tensor(shape, allocate(op, shape)), counts: new Tensor([spec.F], allocate(op, [spec.F])) };
}

/**
 * KerasSpiking's spiking activation with ReLU over time, x [T, ...] -> y [T, ...]: each step adds
 * relu(x) * dt to a voltage and emits floor(voltage) spikes of height 1/dt. The gradient is ReLU's
 * (spiking-aware training). `initialVoltage` holds the initial voltages (one per feature of a
 * step) and is not modified; `finalVoltage`, when given, receives the voltages after the last step.
 */
export function spikingRelu(x: Tensor, dt: number, initialVoltage: Float32Array, finalVoltage?: Float32Array): Tensor {
  if (!(dt > 0)) throw new SpikemedError(`spikingRelu: dt must be positive, got ${dt}`);
  const T = x.shape[0];
  const N = x.size / T;
  if (initialVoltage.length !== N) {
    throw new SpikemedError(`spikingRelu: ${initialVoltage.length} initial voltages for ${N} neurons per step of ${shapeString(x.shape)}`);
  }
  const backend = getBackend();
  const voltage = new Tensor([N], allocate("spikingRelu", [N]));
  voltage.data.set(initialVoltage);
  const out = new Tensor(x.shape, allocate("spikingRelu", x.shape));
  backend.spikingReluForward(x.data, T, N, dt, voltage.data, out.data);
  finalVoltage?.set(voltage.data);
  voltage.dispose();
  return record(out, "spikingRelu", [x], (g) => {
    const dx = backend.alloc(x.size, false);
    backend.unaryBackward("relu", x.data, out.data, g, dx);
    return [dx];
  });
}

/**
 * One step of spike generation: 1 where x > 0, else 0, with the surrogate derivative in the
 * backward pass. Used to write neurons step by step out of plain ops (and to test the fused kernels).
 */
export function heaviside(x: Tensor, surrogate: SurrogateSpec): Tensor {
  const out = new Tensor(x.shape, allocate("heaviside", x.shape));
  for (let i = 0; i < x.size; i++) out.data[i] = x.data[i] > 0 ? 1 : 0;
  return record(out, "heaviside", [x], (g) => {
    const dx = getBackend().alloc(x.size);
    for (let i = 0; i < x.size; i++) dx[i] = g[i] * surrogateDerivative(surrogate, x.data[i]);
    return [dx];
  });
}
