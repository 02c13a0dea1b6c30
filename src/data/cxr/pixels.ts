/**
 * Decoded images and the bytes the networks read, without Node's APIs: the command line's decoders
 * (decode.ts, dicom.ts) and a browser's (src/web/images.ts) end in the same toSquareBytes.
 */
import { SpikemedError } from "../../core/errors.js";
import { resizeGray } from "./resize.js";

export interface GrayImage {
  width: number;
  height: number;
  /** Row-major intensities in [0, 1], 1 = white. */
  pixels: Float32Array;
}

/** True when the bytes carry the DICOM Part 10 signature ("DICM" after the 128-byte preamble). */
export function hasDicomSignature(bytes: Uint8Array): boolean {
  return bytes.length >= 132 && bytes[128] === 0x44 && bytes[129] === 0x49 && bytes[130] === 0x43 && bytes[131] === 0x4d;
}

/** Whether an image file is DICOM: by its Part 10 signature, or by a .dcm/.dicom name for data sets without one. */
export function isDicomFile(bytes: Uint8Array, file: string): boolean {
  return hasDicomSignature(bytes) || /\.(dcm|dicom)$/i.test(file);
}

/** Resamples (see resize.ts) and quantises to bytes (round(255 v)) into `out` at `offset`. */
export function toSquareBytes(image: GrayImage, size: number, out: Uint8Array, offset = 0): void {
  const source = image.width === size && image.height === size ? image.pixels : resizeGray(image.pixels, image.width, image.height, size, size);
  const n = size * size;
  for (let i = 0; i < n; i++) {
    const v = source[i];
    out[offset + i] = v <= 0 ? 0 : v >= 1 ? 255 : Math.round(v * 255);
  }
}

/** Bytes (0 black, 255 white) as the intensities in [0, 1] the networks read, into `out` at `offset`: the one scaling of training, prediction and the browser. */
export function intensitiesFromBytes(bytes: Uint8Array, out: Float32Array = new Float32Array(bytes.length), offset = 0): Float32Array {
  for (let i = 0; i < bytes.length; i++) out[offset + i] = bytes[i] / 255;
  return out;
}

/**
 * Pixels an image may have unless the caller raises the limit: the largest chest X-ray detectors
 * give about 4,300 x 4,300 (18.5 million), and 50 million decode in about 0.5 GB. Without a
 * limit, a 275 KB PNG that claims 16,000 x 16,000 took 10 s and 1.6 GB to read.
 */
export const DEFAULT_MAX_IMAGE_PIXELS = 50_000_000;

/** `options.maxPixels` or the default, checked: a whole number of at least one pixel. */
export function maxImagePixels(options: { maxPixels?: number }): number {
  const limit = options.maxPixels ?? DEFAULT_MAX_IMAGE_PIXELS;
  if (!Number.isSafeInteger(limit) || limit < 1) throw new SpikemedError(`option maxPixels: expected a whole number of pixels >= 1 (got ${limit})`);
  return limit;
}

/** The reason an image of `width` x `height` is refused when it has more than `limit` pixels, or null. */
export function tooManyPixels(width: number, height: number, limit: number): string | null {
  if (width * height <= limit) return null;
  return `${width}x${height} is ${(width * height).toLocaleString("en-US")} pixels, more than the limit of ${limit.toLocaleString("en-US")} (raise it with --max-image-pixels)`;
}
