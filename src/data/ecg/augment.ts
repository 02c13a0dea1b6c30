/**
 * Training-time augmentation of normalised beat windows: amplitude scaling, a slow baseline
 * wave and white noise, the variations a beat of the same class shows between recordings.
 * Timing is left alone: the R peak stays where the windows put it and the RR features stay true.
 * All randomness comes from the Rng, so a seed fixes the result.
 */
import type { Rng } from "../../core/random.js";

export interface BeatAugmentOptions {
  /** Amplitude factor drawn uniformly in 1 +- this. Default 0.15. */
  maxScaleChange?: number;
  /** Baseline sine of amplitude up to this (signal standard deviations), one period over 1-3 windows. Default 0.1. */
  maxBaselineAmplitude?: number;
  /** Standard deviation of added white noise, in signal standard deviations. Default 0.03. */
  noise?: number;
}

export const DEFAULT_BEAT_AUGMENT: Required<BeatAugmentOptions> = { maxScaleChange: 0.15, maxBaselineAmplitude: 0.1, noise: 0.03 };

/** Augments one window in place. */
export function augmentBeat(window: Float32Array, rng: Rng, options: BeatAugmentOptions = {}): void {
  const o = { ...DEFAULT_BEAT_AUGMENT, ...options };
  const scale = 1 + (2 * rng.uniform() - 1) * o.maxScaleChange;
  const amplitude = rng.uniform() * o.maxBaselineAmplitude;
  const periods = 1 / (1 + 2 * rng.uniform());
  const phase = 2 * Math.PI * rng.uniform();
  const step = (2 * Math.PI * periods) / window.length;
  for (let i = 0; i < window.length; i++) {
    window[i] = window[i] * scale + amplitude * Math.sin(phase + step * i) + o.noise * rng.normal();
  }
}
