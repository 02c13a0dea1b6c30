import { SpikemedError } from "../core/errors.js";
import { argmaxRows } from "./metrics.js";

export interface OcclusionOptions {
  /** Side of the square patch that hides part of the image, in pixels. Default: size / 8. */
  patch?: number;
  /** Step between patch positions, in pixels. Default: patch / 2. */
  stride?: number;
  /** Class whose probability is tracked; default: the class predicted for the whole image. */
  classIndex?: number;
}

export interface OcclusionMap {
  size: number;
  /** Class probabilities on the whole image. */
  whole: Float32Array;
  /** The class tracked. */
  classIndex: number;
  /** Per pixel: mean drop of the class probability over the patches that hid it (positive: the pixel supported the class). */
  drop: Float32Array;
  /** The tracked class's probability on the whole image. */
  baseline: number;
}

/**
 * Occlusion sensitivity (Zeiler & Fergus 2014): hide one square patch at a time behind the
 * image's mean grey and see how far the class probability falls. Model-agnostic: `predict`
 * takes n images back to back and returns n rows of class probabilities.
 */
export function occlusionMap(image: Float32Array, size: number, classes: number,
  predict: (images: Float32Array, n: number) => Float32Array, options: OcclusionOptions): OcclusionMap {
  if (image.length !== size * size) throw new SpikemedError(`occlusion: image of ${image.length} pixels is not ${size}x${size}`);
  const patch = options.patch ?? Math.max(1, Math.round(size / 8));
  const stride = options.stride ?? Math.max(1, Math.round(patch / 2));
  if (!(patch >= 1 && patch <= size && stride >= 1)) throw new SpikemedError(`occlusion: patch ${patch} and stride ${stride} must be >= 1 and the patch at most ${size}`);
  if (options.classIndex !== undefined && !(options.classIndex >= 0 && options.classIndex < classes)) {
    throw new SpikemedError(`occlusion: class ${options.classIndex} is not one of 0..${classes - 1}`);
  }
  const mean = image.reduce((a, b) => a + b, 0) / image.length;
  const starts: number[] = [];
  for (let s = 0; s + patch <= size; s += stride) starts.push(s);
  if (starts[starts.length - 1] + patch < size) starts.push(size - patch);
  const positions = starts.flatMap((y) => starts.map((x) => [y, x] as const));
  const batch = new Float32Array((positions.length + 1) * size * size);
  batch.set(image, 0);
  positions.forEach(([y0, x0], p) => {
    const out = batch.subarray((p + 1) * size * size, (p + 2) * size * size);
    out.set(image);
    for (let y = y0; y < y0 + patch; y++) out.fill(mean, y * size + x0, y * size + x0 + patch);
  });
  const probabilities = predict(batch, positions.length + 1);
  const whole = probabilities.slice(0, classes);
  const k = options.classIndex ?? argmaxRows(whole, 1, classes)[0];
  const baseline = whole[k];
  const sum = new Float64Array(size * size);
  const count = new Float64Array(size * size);
  positions.forEach(([y0, x0], p) => {
    const drop = baseline - probabilities[(p + 1) * classes + k];
    for (let y = y0; y < y0 + patch; y++) {
      for (let x = x0; x < x0 + patch; x++) {
        sum[y * size + x] += drop;
        count[y * size + x]++;
      }
    }
  });
  return { size, whole, classIndex: k, baseline, drop: Float32Array.from(sum, (v, i) => v / count[i]) };
}

/**
 * Share of the positive evidence (probability drops) lying in the band of the image's outer
 * `fraction` of its side: where hospitals print side markers and labels.
 */
export function borderShare(map: OcclusionMap, fraction: number): number {
  const { size, drop } = map;
  const band = Math.round(size * fraction);
  let border = 0;
  let total = 0;
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const v = Math.max(0, drop[y * size + x]);
      total += v;
      if (y < band || y >= size - band || x < band || x >= size - band) border += v;
    }
  }
  return total > 0 ? border / total : 0;
}

/**
 * The image in grey with the occlusion map over it as RGB bytes: red where hiding the pixel
 * lowered the class probability, blue where it raised it, stronger with the size of the change
 * (scaled to the largest change in the map).
 */
export function occlusionOverlay(image: Float32Array, map: OcclusionMap): Uint8Array {
  const n = map.size * map.size;
  let largest = 1e-6;
  for (let i = 0; i < n; i++) largest = Math.max(largest, Math.abs(map.drop[i]));
  const rgb = new Uint8Array(3 * n);
  for (let i = 0; i < n; i++) {
    const grey = Math.max(0, Math.min(1, image[i])) * 255;
    const strength = Math.min(1, Math.abs(map.drop[i]) / largest) * 0.6;
    const tint = map.drop[i] >= 0 ? [255, 40, 0] : [0, 90, 255];
    for (let c = 0; c < 3; c++) rgb[3 * i + c] = Math.round(grey * (1 - strength) + tint[c] * strength);
  }
  return rgb;
}

/** Part of an input replaced by other values: `values` written from position `start`. */
export interface Replacement {
  start: number;
  values: Float32Array;
}

export interface ReplacementDrops {
  /** Class probabilities of the input as it is. */
  whole: Float32Array;
  classIndex: number;
  baseline: number;
  /** Per replacement: how far the class probability fell (negative: it rose). */
  drops: Float32Array;
}

/**
 * The occlusion test for any flat input (a beat window with its features): how far the class
 * probability falls when each part is replaced, e.g. a stretch of signal by a flat line, or a
 * feature by its value on a typical beat. `predict` takes n inputs back to back.
 */
export function replacementDrops(input: Float32Array, replacements: readonly Replacement[], classes: number,
  predict: (inputs: Float32Array, n: number) => Float32Array, classIndex?: number): ReplacementDrops {
  for (const r of replacements) {
    if (!(r.start >= 0 && r.start + r.values.length <= input.length)) {
      throw new SpikemedError(`occlusion: replacement of ${r.values.length} values at ${r.start} lies outside the input of ${input.length}`);
    }
  }
  if (classIndex !== undefined && !(classIndex >= 0 && classIndex < classes)) throw new SpikemedError(`occlusion: class ${classIndex} is not one of 0..${classes - 1}`);
  const n = input.length;
  const batch = new Float32Array((replacements.length + 1) * n);
  batch.set(input, 0);
  replacements.forEach((r, p) => {
    batch.set(input, (p + 1) * n);
    batch.set(r.values, (p + 1) * n + r.start);
  });
  const probabilities = predict(batch, replacements.length + 1);
  const whole = probabilities.slice(0, classes);
  const k = classIndex ?? argmaxRows(whole, 1, classes)[0];
  const baseline = whole[k];
  return { whole, classIndex: k, baseline, drops: Float32Array.from(replacements, (_, p) => baseline - probabilities[(p + 1) * classes + k]) };
}

/**
 * Evidence along a signal: segments of `segment` samples every `stride` samples hidden behind
 * the signal's mean, and per sample the mean drop of the segments that hid it.
 */
export function signalSegments(signal: Float32Array, segment: number, stride = Math.max(1, Math.round(segment / 2))): {
  replacements: Replacement[]; profile: (drops: Float32Array) => Float32Array;
} {
  const length = signal.length;
  if (!(segment >= 1 && segment <= length && stride >= 1)) throw new SpikemedError(`occlusion: segment ${segment} and stride ${stride} must be >= 1 and the segment at most ${length}`);
  const mean = signal.reduce((a, b) => a + b, 0) / length;
  const starts: number[] = [];
  for (let s = 0; s + segment <= length; s += stride) starts.push(s);
  if (starts[starts.length - 1] + segment < length) starts.push(length - segment);
  const flat = new Float32Array(segment).fill(mean);
  return {
    replacements: starts.map((start) => ({ start, values: flat })),
    profile: (drops) => {
      const sum = new Float64Array(length);
      const count = new Float64Array(length);
      starts.forEach((start, p) => { for (let i = start; i < start + segment; i++) { sum[i] += drops[p]; count[i]++; } });
      return Float32Array.from(sum, (v, i) => v / count[i]);
    },
  };
}
