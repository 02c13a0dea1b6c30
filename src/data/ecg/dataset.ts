/**
 * The labelled beat dataset the trainer consumes, built from a folder of WFDB records and cached
 * on disk under a key derived from every parameter, the record files' sizes and dates, and the
 * pipeline's code.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { SpikemedError } from "../../core/errors.js";
import { writeFileAtomic } from "../atomic-file.js";
import { defaultCacheDir, moduleFolderFingerprint } from "../cache.js";
import { BEAT_FEATURE_NAMES } from "./beat-features.js";
import {
  AAMI_CLASSES, DEFAULT_WINDOW_AFTER, DEFAULT_WINDOW_BEFORE, PACED_RECORDS,
  labelledBeatsOfRecord, sampleRateOf, type BeatNormalization, type PreprocessOptions, type RecordBeats, type WindowOptions,
} from "./beats.js";
import { sampleDataDir } from "./sample-data.js";
import { listRecords, readRecord } from "./wfdb-record.js";
import type { WaveletDenoiseOptions } from "./wavelet.js";

export interface BeatDatasetOptions extends PreprocessOptions, WindowOptions {
  /** Folder of WFDB records; default: the small MIT-BIH sample shipped with spikemed. */
  dataDir?: string;
  /** Records to use; default: all listed in the folder (RECORDS file or *.hea). */
  records?: readonly string[];
  /** Leave out the paced records 102, 104, 107, 217; default true. */
  excludePaced?: boolean;
  /** Unreadable records: "error" (default) stops with all their names; "skip" leaves them out and lists them in `failedRecords`. */
  onUnreadableRecord?: "error" | "skip";
  /** Read and write the cache; default true. */
  useCache?: boolean;
  /** Cache folder; default $SPIKEMED_CACHE, else <cwd>/.cache/spikemed. */
  cacheDir?: string;
}

export interface BeatDataset {
  /** Beat windows, `count * leads * windowLength`, row-major: [beat][lead][sample]. */
  x: Float32Array;
  /** Samples per lead. */
  windowLength: number;
  /** Leads side by side in each window (the first gives R peaks and features). */
  leads: number;
  /** Per-beat features (`featureNames`: RR intervals, amplitude), `count * featureNames.length`, row-major. */
  features: Float32Array;
  featureNames: string[];
  /** Class of each beat: index into `classNames` (0..4 = N,S,V,F,Q). */
  y: Uint8Array;
  classNames: string[];
  /** Index into `records` of each beat's record. */
  recordOfBeat: Int32Array;
  /** R-peak sample of each beat in its record's own sampling rate. */
  sampleOfBeat: Int32Array;
  records: string[];
  /** Records that could not be read (only with onUnreadableRecord: "skip"). */
  failedRecords: Array<{ name: string; message: string }>;
  /** Sampling rate of the windows. */
  sampleRate: number;
  /** True when this came from the cache. */
  fromCache: boolean;
  /** The cache file, when caching is on. */
  cacheFile: string | undefined;
}

const MAGIC = "SPIKEMED-BEATS-3";

interface ResolvedOptions {
  dataDir: string;
  records: string[];
  leads: (string | number)[];
  sampleRate: number;
  baselineRemoval: boolean;
  denoise: false | Required<WaveletDenoiseOptions>;
  windowBefore: number;
  windowAfter: number;
  normalization: BeatNormalization;
  onUnreadableRecord: "error" | "skip";
}

function resolveOptions(options: BeatDatasetOptions): ResolvedOptions {
  const dataDir = resolve(options.dataDir ?? sampleDataDir());
  const excludePaced = options.excludePaced ?? true;
  const all = options.records ? [...options.records] : listRecords(dataDir);
  const records = excludePaced ? all.filter((r) => !PACED_RECORDS.includes(r)) : all;
  if (records.length === 0) throw new SpikemedError(`no records to load from ${dataDir} (records option: ${JSON.stringify(options.records ?? null)})`);
  const denoise = options.denoise ?? true;
  const normalization = options.normalization ?? "zscore";
  if (!["zscore", "minmax", "none"].includes(normalization)) {
    throw new SpikemedError(`normalization "${normalization}" is not one of zscore, minmax, none`);
  }
  return {
    dataDir, records, leads: [...(options.leads ?? [options.lead ?? "MLII"])],
    sampleRate: sampleRateOf(options),
    baselineRemoval: options.baselineRemoval ?? true,
    denoise: denoise === false ? false : {
      wavelet: (denoise === true ? undefined : denoise.wavelet) ?? "db6",
      level: (denoise === true ? undefined : denoise.level) ?? 6,
      threshold: (denoise === true ? undefined : denoise.threshold) ?? "soft",
      mode: (denoise === true ? undefined : denoise.mode) ?? "symmetric",
    },
    windowBefore: options.windowBefore ?? DEFAULT_WINDOW_BEFORE,
    windowAfter: options.windowAfter ?? DEFAULT_WINDOW_AFTER,
    normalization,
    onUnreadableRecord: options.onUnreadableRecord ?? "error",
  };
}

function cacheKey(resolved: ResolvedOptions): string {
  const files = resolved.records.map((name) => {
    const stamp = (ext: string): string => {
      const path = join(resolved.dataDir, `${name}.${ext}`);
      if (!existsSync(path)) return "missing";
      const s = statSync(path);
      return `${s.size}:${s.mtimeMs}`;
    };
    return [name, stamp("hea"), stamp("dat"), stamp("atr")];
  });
  // The digest of this folder's modules, the code that turns records into beats and features.
  const pipeline = moduleFolderFingerprint(import.meta.url);
  return createHash("sha256").update(JSON.stringify({ pipeline, resolved, files })).digest("hex").slice(0, 24);
}

/**
 * Loads the AAMI-labelled beats of every selected record (default: the bundled MIT-BIH sample),
 * from the cache when an entry with the same parameters and unchanged files exists.
 */
export function loadBeatDataset(options: BeatDatasetOptions = {}): BeatDataset {
  const resolved = resolveOptions(options);
  const useCache = options.useCache ?? true;
  let cacheFile: string | undefined;
  if (useCache) {
    cacheFile = join(options.cacheDir ? resolve(options.cacheDir) : defaultCacheDir(), `ecg-beats-${cacheKey(resolved)}.bin`);
    const cached = readCache(cacheFile);
    if (cached) return { ...cached, fromCache: true, cacheFile };
  }
  const perRecord: RecordBeats[] = [];
  const records: string[] = [];
  const failedRecords: Array<{ name: string; message: string }> = [];
  for (const name of resolved.records) {
    try {
      const record = readRecord(resolved.dataDir, name, { requireAnnotations: true });
      perRecord.push(labelledBeatsOfRecord(record, { ...resolved, denoise: resolved.denoise }));
      records.push(name);
    } catch (error) {
      if (!(error instanceof SpikemedError)) throw error;
      failedRecords.push({ name, message: error.message });
    }
  }
  if (failedRecords.length > 0 && (resolved.onUnreadableRecord === "error" || records.length === 0)) {
    throw new SpikemedError(
      `cannot read ${failedRecords.length} record(s) in ${resolved.dataDir}: ${failedRecords.map((f) => f.name).join(", ")}\n` +
        failedRecords.map((f) => `  ${f.message}`).join("\n"),
      "fix or remove these records, or pass onUnreadableRecord: \"skip\"",
    );
  }
  const windowLength = resolved.windowBefore + resolved.windowAfter;
  const leads = resolved.leads.length;
  const count = perRecord.reduce((n, r) => n + r.y.length, 0);
  const x = new Float32Array(count * leads * windowLength);
  const featureNames = [...BEAT_FEATURE_NAMES];
  const features = new Float32Array(count * featureNames.length);
  const y = new Uint8Array(count);
  const recordOfBeat = new Int32Array(count);
  const sampleOfBeat = new Int32Array(count);
  let offset = 0;
  perRecord.forEach((r, index) => {
    x.set(r.x, offset * leads * windowLength);
    features.set(r.features, offset * featureNames.length);
    y.set(r.y, offset);
    recordOfBeat.fill(index, offset, offset + r.y.length);
    sampleOfBeat.set(r.sampleOfBeat, offset);
    offset += r.y.length;
  });
  const dataset: BeatDataset = {
    x, windowLength, leads, features, featureNames, y, classNames: [...AAMI_CLASSES], recordOfBeat, sampleOfBeat, records, failedRecords,
    sampleRate: resolved.sampleRate, fromCache: false, cacheFile,
  };
  if (cacheFile) writeCache(cacheFile, dataset);
  return dataset;
}

interface CacheHeader {
  magic: string;
  count: number;
  windowLength: number;
  leads: number;
  featureNames: string[];
  classNames: string[];
  records: string[];
  failedRecords: Array<{ name: string; message: string }>;
  sampleRate: number;
}

function writeCache(file: string, d: BeatDataset): void {
  const header: CacheHeader = {
    magic: MAGIC, count: d.y.length, windowLength: d.windowLength, leads: d.leads, featureNames: d.featureNames, classNames: d.classNames,
    records: d.records, failedRecords: d.failedRecords, sampleRate: d.sampleRate,
  };
  const headerBytes = Buffer.from(JSON.stringify(header), "utf8");
  // Layout: u32 header length, header JSON, zero padding to 4 bytes, x, features, recordOfBeat, sampleOfBeat, y.
  const headerEnd = 4 + headerBytes.length;
  const dataStart = (headerEnd + 3) & ~3;
  const body = Buffer.alloc(dataStart + d.x.byteLength + d.features.byteLength + d.recordOfBeat.byteLength + d.sampleOfBeat.byteLength + d.y.byteLength);
  body.writeUInt32LE(headerBytes.length, 0);
  headerBytes.copy(body, 4);
  let at = dataStart;
  for (const array of [d.x, d.features, d.recordOfBeat, d.sampleOfBeat, d.y]) {
    body.set(new Uint8Array(array.buffer, array.byteOffset, array.byteLength), at);
    at += array.byteLength;
  }
  const dir = join(file, "..");
  mkdirSync(dir, { recursive: true });
  // Readers never see a half-written cache file.
  writeFileAtomic(file, body, { what: `the dataset cache ${file}`, hint: "set SPIKEMED_CACHE to a writable folder or pass useCache: false" });
}

/** The cached dataset, or undefined when there is no usable entry (a damaged one is ignored and rebuilt). */
function readCache(file: string): Omit<BeatDataset, "fromCache" | "cacheFile"> | undefined {
  if (!existsSync(file)) return undefined;
  const bytes = readFileSync(file);
  if (bytes.length < 4) return undefined;
  const headerLength = bytes.readUInt32LE(0);
  if (4 + headerLength > bytes.length) return undefined;
  let header: CacheHeader;
  try {
    header = JSON.parse(bytes.subarray(4, 4 + headerLength).toString("utf8")) as CacheHeader;
  } catch {
    return undefined;
  }
  if (header.magic !== MAGIC) return undefined;
  const n = header.count;
  const dataStart = (4 + headerLength + 3) & ~3;
  const width = header.featureNames.length;
  const expected = dataStart + n * header.leads * header.windowLength * 4 + n * width * 4 + n * 4 + n * 4 + n;
  if (bytes.length !== expected) return undefined;
  // Copy into fresh, aligned buffers (the file buffer's offset need not be aligned).
  let at = bytes.byteOffset + dataStart;
  const take = <T>(make: (buffer: ArrayBuffer) => T, byteLength: number): T => {
    const copy = bytes.buffer.slice(at, at + byteLength);
    at += byteLength;
    return make(copy);
  };
  const x = take((b) => new Float32Array(b), n * header.leads * header.windowLength * 4);
  const features = take((b) => new Float32Array(b), n * width * 4);
  const recordOfBeat = take((b) => new Int32Array(b), n * 4);
  const sampleOfBeat = take((b) => new Int32Array(b), n * 4);
  const y = take((b) => new Uint8Array(b), n);
  return {
    x, windowLength: header.windowLength, leads: header.leads, features, featureNames: header.featureNames, y, classNames: header.classNames, recordOfBeat, sampleOfBeat,
    records: header.records, failedRecords: header.failedRecords, sampleRate: header.sampleRate,
  };
}
