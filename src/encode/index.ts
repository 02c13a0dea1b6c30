/**
 * Temporal encoders: how a static input (an ECG beat, an image) becomes activity over T steps.
 * Each returns the Signal the network consumes; `direct` keeps the input static so the layers
 * before the first neuron run once, not T times.
 */
import { reshape, slice, SpikemedError, tensor, type Rng, type Tensor } from "../core/index.js";
import type { Signal } from "../model/module.js";

export type EncoderKind = "direct" | "rate" | "latency" | "delta";

export interface EncoderConfig {
  kind: EncoderKind;
  /** rate: inputs are scaled by gain and clipped to [0, 1] as spike probabilities per step. */
  gain?: number;
  /** latency: inputs below it never spike; delta: the change that makes a spike. */
  threshold?: number;
}

/** Channels the encoder emits for `channels` input channels (delta emits on and off channels). */
export function encodedChannels(config: EncoderConfig, channels: number): number {
  return config.kind === "delta" ? 2 * channels : channels;
}

export function encode(config: EncoderConfig, x: Tensor, timeSteps: number, rng: Rng): Signal {
  if (!(Number.isInteger(timeSteps) && timeSteps >= 1)) throw new SpikemedError(`encoder: time steps must be a positive integer, got ${timeSteps}`);
  switch (config.kind) {
    case "direct":
      return { x, timeSteps, static: true };
    case "rate":
      return { x: rateEncode(x, timeSteps, config.gain ?? 1, rng), timeSteps, static: false };
    case "latency":
      return { x: latencyEncode(x, timeSteps, config.threshold ?? 0.01), timeSteps, static: false };
    case "delta":
      return { x: deltaEncode(x, config.threshold ?? 0.1), timeSteps, static: true };
    default:
      throw new SpikemedError(`unknown encoder "${(config as EncoderConfig).kind}"; choose direct, rate, latency or delta`);
  }
}

/**
 * Step `step` (from 0) of what `encode` gives over `timeSteps` steps, [B, ...]: the input of one
 * step of streaming inference. The rate encoder draws that step's spikes only, in the order
 * `encode` draws them.
 */
export function encodeStep(config: EncoderConfig, x: Tensor, step: number, timeSteps: number, rng: Rng): Tensor {
  if (!(Number.isInteger(step) && step >= 0 && step < timeSteps)) throw new SpikemedError(`encoder: step ${step} is not one of the ${timeSteps} time steps`);
  const drawsPerStep = config.kind === "rate";
  const signal = encode(config, x, drawsPerStep ? 1 : timeSteps, rng);
  if (signal.static) return signal.x;
  const t = drawsPerStep ? 0 : step;
  return reshape(slice(signal.x, 0, t, t + 1), signal.x.shape.slice(1));
}

/** Bernoulli rate coding: at each step an input spikes with probability clip(gain * x, 0, 1). */
export function rateEncode(x: Tensor, T: number, gain: number, rng: Rng): Tensor {
  const out = new Float32Array(T * x.size);
  for (let t = 0; t < T; t++) {
    for (let i = 0; i < x.size; i++) {
      const p = Math.min(1, Math.max(0, gain * x.data[i]));
      out[t * x.size + i] = rng.uniform() < p ? 1 : 0;
    }
  }
  return tensor(out, [T, ...x.shape]);
}

/**
 * Time-to-first-spike: each input in [0, 1] spikes once, at step round((1 - x) * (T - 1)), so
 * stronger inputs spike earlier; inputs below the threshold stay silent.
 */
export function latencyEncode(x: Tensor, T: number, threshold: number): Tensor {
  const out = new Float32Array(T * x.size);
  for (let i = 0; i < x.size; i++) {
    const v = Math.min(1, x.data[i]);
    if (v < threshold) continue;
    const t = Math.round((1 - v) * (T - 1));
    out[t * x.size + i] = 1;
  }
  return tensor(out, [T, ...x.shape]);
}

/**
 * Delta modulation along the last axis (the signal's own time, e.g. ECG samples): an "on" spike
 * where the signal rose by more than the threshold since the previous sample, an "off" spike where
 * it fell. [B, C, L] becomes [B, 2C, L] (on channels first).
 */
export function deltaEncode(x: Tensor, threshold: number): Tensor {
  if (x.rank !== 3) throw new SpikemedError(`delta encoder: expects [batch, channels, length] signals, got [${x.shape.join(", ")}]`);
  const [B, C, L] = x.shape;
  const out = new Float32Array(B * 2 * C * L);
  for (let b = 0; b < B; b++) {
    for (let c = 0; c < C; c++) {
      const src = (b * C + c) * L;
      const on = (b * 2 * C + c) * L;
      const off = (b * 2 * C + C + c) * L;
      for (let l = 1; l < L; l++) {
        const d = x.data[src + l] - x.data[src + l - 1];
        if (d > threshold) out[on + l] = 1;
        else if (d < -threshold) out[off + l] = 1;
      }
    }
  }
  return tensor(out, [B, 2 * C, L]);
}
