/**
 * Loading a chest X-ray set into memory: every image decoded once to S x S bytes
 * (5,901 images at 256 x 256 = 387 MB; as floats it would be 1.5 GB), cached on disk, and
 * turned into Float32Array batches on demand, with augmentation for training batches.
 */
import { availableParallelism } from "node:os";
import { SpikemedError } from "../../core/errors.js";
import type { Rng } from "../../core/random.js";
import { augmentImage, drawAugmentParams, type AugmentOptions } from "./augment.js";
import { defaultCacheDir } from "../cache.js";
import { cacheFilePath, cacheKey, readCache, writeCache, type BadFileReport, type CachedHeader } from "./cache.js";
import { checkImageSize, decodeImageFileToBytes, DEFAULT_IMAGE_SIZE, type DecodeOptions } from "./decode.js";
import { errorText } from "./dicom.js";
import { intensitiesFromBytes, maxImagePixels } from "./pixels.js";
import { BadImageFileError } from "./errors.js";
import { readCxrIndex, type CxrEntry, type CxrIndex, type ListOptions } from "./listing.js";

export type OnBadFile = "skip" | "fail";

export interface LoadOptions extends DecodeOptions, ListOptions {
  /** A corrupt, truncated, empty, missing or non-image file: skip it (reported) or fail. Default "skip". */
  onBadFile?: OnBadFile;
  /** Use the on-disk cache (read and write). Default true. */
  cache?: boolean;
  /** Cache folder. Default env SPIKEMED_CACHE, else <cwd>/.cache/spikemed. */
  cacheDir?: string;
  /** Keep only the listed entries this returns true for (e.g. a subset for a quick run). */
  select?: (entry: CxrEntry) => boolean;
  /** Files decoded at once. Default: the number of CPUs. */
  concurrency?: number;
  /** Receives one line per skipped file and per cache problem. Default: written to stderr. */
  onWarning?: (message: string) => void;
  /** Called after each decoded file (not when loading from the cache). */
  onProgress?: (done: number, total: number) => void;
}

export interface CxrImages {
  /** Absolute path of the folder or manifest. */
  input: string;
  kind: "folder" | "manifest";
  /** Side S of every image. */
  size: number;
  /** Number of images kept (bad files excluded). */
  count: number;
  classes: string[];
  /** count * S * S bytes, image i at i*S*S, row-major; intensity = byte / 255. */
  pixels: Uint8Array;
  labels: Int32Array;
  /** Per image, as listed (manifest path or path relative to the folder). */
  files: string[];
  patientIds: (string | null)[];
  sources: (string | null)[];
  /** Files that could not be used, with the reason (empty when onBadFile is "fail"). */
  skipped: BadFileReport[];
  /** True when the pixels came from the on-disk cache. */
  fromCache: boolean;
  /** Cache file read or written, or null when caching was off or failed. */
  cacheFile: string | null;
}

/** Lists (see listing.ts), decodes or loads from the cache, and returns the set in memory. */
export async function loadCxrImages(input: string | CxrIndex, options: LoadOptions = {}): Promise<CxrImages> {
  const size = checkImageSize(options.size ?? DEFAULT_IMAGE_SIZE, "size");
  const maxPixels = maxImagePixels(options);
  const onBadFile = options.onBadFile ?? "skip";
  if (onBadFile !== "skip" && onBadFile !== "fail") {
    throw new SpikemedError(`option onBadFile: "${String(onBadFile)}" is not one of skip, fail`);
  }
  const warn = options.onWarning ?? ((message: string) => process.stderr.write(`warning: ${message}\n`));
  const listed = typeof input === "string" ? readCxrIndex(input, options) : input;
  const index = options.select ? { ...listed, entries: listed.entries.filter(options.select) } : listed;
  if (index.entries.length === 0) throw new SpikemedError(`${index.input}: no images selected`);

  const useCache = options.cache ?? true;
  const key = useCache ? cacheKey(index, size, options.dicomWindow, undefined, maxPixels) : "";
  const cacheFile = useCache ? cacheFilePath(options.cacheDir ?? defaultCacheDir(), key) : null;
  if (cacheFile) {
    const cached = readCache(cacheFile, key);
    if (cached) {
      reportSkipped(cached.header.skipped, onBadFile, warn);
      return fromHeader(index, cached.header, cached.pixels, cacheFile);
    }
  }

  const { pixels, kept, skipped } = await decodeAll(index.entries, size, options, onBadFile, warn);
  const header: CachedHeader = {
    key,
    size,
    count: kept.length,
    classes: index.classes,
    files: kept.map((e) => e.file),
    labels: kept.map((e) => e.label),
    patientIds: kept.map((e) => e.patientId),
    sources: kept.map((e) => e.source),
    skipped,
  };
  let writtenCache: string | null = null;
  if (cacheFile) {
    try {
      writeCache(cacheFile, header, pixels);
      writtenCache = cacheFile;
    } catch (err) {
      // The error's first line names the file and the reason; the writer's fix line does not fit a warning.
      warn(`could not write the image cache (${errorText(err).split("\n")[0]}); the next run will decode again`);
    }
  }
  const images = fromHeader(index, header, pixels, writtenCache);
  images.fromCache = false;
  return images;
}

function fromHeader(index: CxrIndex, header: CachedHeader, pixels: Uint8Array, cacheFile: string | null): CxrImages {
  return {
    input: index.input,
    kind: index.kind,
    size: header.size,
    count: header.count,
    classes: header.classes,
    pixels,
    labels: Int32Array.from(header.labels),
    files: header.files,
    patientIds: header.patientIds,
    sources: header.sources,
    skipped: header.skipped,
    fromCache: true,
    cacheFile,
  };
}

function reportSkipped(skipped: BadFileReport[], onBadFile: OnBadFile, warn: (m: string) => void): void {
  if (skipped.length === 0) return;
  if (onBadFile === "fail") {
    const first = skipped[0];
    throw new SpikemedError(`${first.file}: ${first.reason}${skipped.length > 1 ? ` (and ${skipped.length - 1} more bad files)` : ""}`, "fix or remove the file, or run with --on-bad-file skip");
  }
  for (const s of skipped) warn(`skipped ${s.file}: ${s.reason}`);
}

async function decodeAll(
  entries: CxrEntry[],
  size: number,
  options: LoadOptions,
  onBadFile: OnBadFile,
  warn: (m: string) => void,
): Promise<{ pixels: Uint8Array; kept: CxrEntry[]; skipped: BadFileReport[] }> {
  const area = size * size;
  const pixels = new Uint8Array(entries.length * area);
  const ok = new Uint8Array(entries.length);
  const reasons: (string | null)[] = new Array(entries.length).fill(null);
  let next = 0;
  let done = 0;
  let failure: unknown = null;
  const worker = async (): Promise<void> => {
    while (next < entries.length && failure === null) {
      const i = next++;
      try {
        await decodeImageFileToBytes(entries[i].path, { size, dicomWindow: options.dicomWindow, maxPixels: options.maxPixels }, pixels, i * area);
        ok[i] = 1;
      } catch (err) {
        if (!(err instanceof BadImageFileError)) throw err;
        if (onBadFile === "fail") {
          failure ??= new SpikemedError(`${entries[i].file}: ${err.reason}`, "fix or remove the file, or run with --on-bad-file skip");
          return;
        }
        reasons[i] = err.reason;
      }
      options.onProgress?.(++done, entries.length);
    }
  };
  const concurrency = Math.max(1, Math.min(options.concurrency ?? availableParallelism(), entries.length));
  await Promise.all(Array.from({ length: concurrency }, worker));
  if (failure !== null) throw failure;

  // Keep listing order; move kept images down over the skipped ones.
  const kept: CxrEntry[] = [];
  const skipped: BadFileReport[] = [];
  for (let i = 0; i < entries.length; i++) {
    if (ok[i]) {
      if (kept.length !== i) pixels.copyWithin(kept.length * area, i * area, (i + 1) * area);
      kept.push(entries[i]);
    } else {
      skipped.push({ file: entries[i].file, reason: reasons[i] ?? "not decoded" });
    }
  }
  reportSkipped(skipped, onBadFile, warn);
  if (kept.length === 0) throw new SpikemedError(`no usable images: all ${entries.length} files were bad (first: ${skipped[0].file}: ${skipped[0].reason})`);
  return { pixels: pixels.subarray(0, kept.length * area), kept, skipped };
}

/** Augmentation for a training batch: the Rng advances by five draws per image. */
export interface BatchAugment {
  rng: Rng;
  options?: AugmentOptions;
}

/**
 * Fills `out` (length >= indices.length * S * S; allocated when omitted) with the images at
 * `indices`, as floats in [0, 1] laid out [batch][row][column]. Pass `augment` for training
 * batches only; validation and test batches must be the plain images.
 */
export function fillBatch(images: CxrImages, indices: ArrayLike<number>, out?: Float32Array, augment?: BatchAugment): Float32Array {
  const area = images.size * images.size;
  const target = out ?? new Float32Array(indices.length * area);
  if (target.length < indices.length * area) {
    throw new RangeError(`fillBatch: output holds ${target.length} values, ${indices.length} images of ${images.size}x${images.size} need ${indices.length * area}`);
  }
  const src = images.pixels;
  for (let b = 0; b < indices.length; b++) {
    const i = indices[b];
    if (!Number.isInteger(i) || i < 0 || i >= images.count) throw new RangeError(`fillBatch: index ${i} is outside 0..${images.count - 1}`);
    if (augment) {
      augmentImage(src, i * area, images.size, drawAugmentParams(augment.rng, images.size, augment.options), target, b * area);
    } else {
      intensitiesFromBytes(src.subarray(i * area, (i + 1) * area), target, b * area);
    }
  }
  return target;
}
