/**
 * Training-time augmentation of S x S grayscale images: horizontal flip, small rotation and
 * shift (one affine map, bilinear sampling, borders replicated), then contrast about the
 * image mean (or a fixed intensity) and a brightness offset. Every image draws exactly five numbers from the Rng, six
 * with brightness, so a seed fixes the result (and runs from before brightness replay unchanged).
 */
import type { Rng } from "../../core/random.js";

export interface AugmentOptions {
  /** Probability of a left-right flip. Default 0.5. */
  flipProbability?: number;
  /** Rotation drawn uniformly in +-this many degrees. Default 5. */
  maxRotationDegrees?: number;
  /** Shift along each axis drawn uniformly in +-this fraction of the side. Default 0.05. */
  maxShiftFraction?: number;
  /** Contrast factor drawn uniformly in 1 +- this. Default 0.1. */
  maxContrastChange?: number;
  /**
   * The intensity contrast scales about. Default: each image's mean, which keeps it; 0.5 is
   * torchvision-style ((x - 0.5) * c + 0.5), which also brightens or darkens an image by
   * (0.5 - mean)(c - 1).
   */
  contrastCenter?: number;
  /** Brightness offset drawn uniformly in +-this (intensities are in [0, 1]). Default 0. */
  maxBrightnessChange?: number;
  /**
   * Shifts rounded to multiples of this many pixels. Default 0: any fraction, resampled
   * bilinearly, which also blurs the training images slightly; 1: whole pixels, copied exactly
   * when there is no rotation (as torchvision-style integer translations), so training images
   * keep the sharpness of the test images.
   */
  shiftStep?: number;
}

/** One image's drawn transform. */
export interface AugmentParams {
  flip: boolean;
  angleRadians: number;
  shiftX: number; // pixels, positive moves content right
  shiftY: number; // pixels, positive moves content down
  contrast: number;
  /** The intensity contrast scales about (the image's mean when absent). */
  contrastCenter?: number;
  /** Added to every pixel after contrast (0 when absent). */
  brightness?: number;
}

export const DEFAULT_AUGMENT: Required<Omit<AugmentOptions, "contrastCenter">> = {
  flipProbability: 0.5,
  maxRotationDegrees: 5,
  maxShiftFraction: 0.05,
  maxContrastChange: 0.1,
  maxBrightnessChange: 0,
  shiftStep: 0,
};

export function drawAugmentParams(rng: Rng, size: number, options: AugmentOptions = {}): AugmentParams {
  const o = { ...DEFAULT_AUGMENT, ...options };
  const symmetric = (): number => 2 * rng.uniform() - 1;
  const flip = rng.uniform() < o.flipProbability;
  const angleRadians = (symmetric() * o.maxRotationDegrees * Math.PI) / 180;
  const snap = (shift: number): number => (o.shiftStep > 0 ? Math.round(shift / o.shiftStep) * o.shiftStep : shift);
  const shiftX = snap(symmetric() * o.maxShiftFraction * size);
  const shiftY = snap(symmetric() * o.maxShiftFraction * size);
  const contrast = 1 + symmetric() * o.maxContrastChange;
  const center = o.contrastCenter === undefined ? {} : { contrastCenter: o.contrastCenter };
  if (o.maxBrightnessChange === 0) return { flip, angleRadians, shiftX, shiftY, contrast, ...center };
  return { flip, angleRadians, shiftX, shiftY, contrast, ...center, brightness: symmetric() * o.maxBrightnessChange };
}

/**
 * Writes the transformed `src` (S x S bytes at `srcOffset`) into `out` (floats in [0, 1] at
 * `outOffset`). Output pixel p takes the source at R^-1 (p - c - shift) + c, mirrored when flipped.
 */
export function augmentImage(
  src: Uint8Array,
  srcOffset: number,
  size: number,
  params: AugmentParams,
  out: Float32Array,
  outOffset: number,
): void {
  const c = (size - 1) / 2;
  const cos = Math.cos(params.angleRadians);
  const sin = Math.sin(params.angleRadians);
  const last = size - 1;
  const center = params.contrastCenter ?? meanIntensity(src, srcOffset, size);
  const scale = params.contrast / 255;
  const offsetTerm = center * (1 - params.contrast) + (params.brightness ?? 0);
  for (let y = 0; y < size; y++) {
    const dy = y - c - params.shiftY;
    for (let x = 0; x < size; x++) {
      const dx = x - c - params.shiftX;
      let sx = cos * dx + sin * dy + c;
      let sy = -sin * dx + cos * dy + c;
      if (params.flip) sx = last - sx;
      sx = sx < 0 ? 0 : sx > last ? last : sx;
      sy = sy < 0 ? 0 : sy > last ? last : sy;
      const x0 = Math.floor(sx);
      const y0 = Math.floor(sy);
      const x1 = x0 < last ? x0 + 1 : x0;
      const y1 = y0 < last ? y0 + 1 : y0;
      const fx = sx - x0;
      const fy = sy - y0;
      const r0 = srcOffset + y0 * size;
      const r1 = srcOffset + y1 * size;
      const top = src[r0 + x0] + (src[r0 + x1] - src[r0 + x0]) * fx;
      const bottom = src[r1 + x0] + (src[r1 + x1] - src[r1 + x0]) * fx;
      const v = (top + (bottom - top) * fy) * scale + offsetTerm;
      out[outOffset + y * size + x] = v < 0 ? 0 : v > 1 ? 1 : v;
    }
  }
}

function meanIntensity(src: Uint8Array, offset: number, size: number): number {
  let sum = 0;
  for (let i = 0; i < size * size; i++) sum += src[offset + i];
  return sum / (size * size) / 255;
}
