import { getBackend, type LifSpec, type ResetMode, type SurrogateSpec } from "../backend.js";
import { record } from "../autograd.js";
import { SpikemedError } from "../errors.js";
import { surrogateDerivative } from "../backends/reference/neurons.js";
import { allocate, shapeString, Tensor } from "../tensor.js";

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

/**
 * KerasSpiking's spiking activation with ReLU over time, x [T, ...] -> y [T, ...]: each step adds
 * relu(x) * dt to a voltage and emits floor(voltage) spikes of height 1/dt. The gradient is ReLU's
 * (spiking-aware training). `voltage` holds the initial voltages (one per feature of a step) and
 * is not modified.
 */
export function spikingRelu(x: Tensor, dt: number, initialVoltage: Float32Array): Tensor {
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
