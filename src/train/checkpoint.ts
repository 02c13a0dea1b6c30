import { createHash } from "node:crypto";
import { closeSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, writeSync } from "node:fs";
import { endianness } from "node:os";
import { basename, dirname, join } from "node:path";
import { SpikemedError } from "../core/errors.js";
import type { Rng } from "../core/random.js";
import type { EarlyStopping, EarlyStoppingState } from "./early-stopping.js";
import type { Optimizer, OptimizerKind } from "./optim.js";
import type { Param } from "./param.js";
import type { LrSchedule, ScheduleState } from "./schedule.js";

/**
 * Checkpoint file: named float32 tensors plus JSON metadata in one file.
 *
 *   offset  size  content
 *        0     8  magic "SPKMCKPT"
 *        8     4  format version (uint32 LE), currently 1
 *       12     4  header length H in bytes (uint32 LE)
 *       16     8  tensor data length D in bytes (uint64 LE)
 *       24    32  SHA-256 of every byte from offset 56 to the end
 *       56     H  header, UTF-8 JSON: { meta, tensors: [{ name, length }] }
 *     56+H     P  zero padding so that the data starts at a multiple of 8
 *   56+H+P     D  the tensors' float32 values (little-endian), in header order
 *
 * The lengths detect truncation and the checksum any other corruption. Files are written to a
 * temporary file in the same folder, flushed to disk and renamed over the target, so a reader
 * sees either the previous checkpoint or the new one, never a half-written file.
 * NaN and +-Infinity in the metadata (JSON has no spelling for them) survive as {"$float": "NaN"}.
 */

const MAGIC = "SPKMCKPT";
const VERSION = 1;
const PREFIX_BYTES = 56;
const LITTLE_ENDIAN = endianness() === "LE";

export interface CheckpointContents {
  tensors: Map<string, Float32Array>;
  meta: unknown;
}

let tempCounter = 0;

/** Writes `contents` to `file` atomically (creating its folder if needed). */
export function writeCheckpoint(file: string, contents: CheckpointContents): void {
  const header = Buffer.from(JSON.stringify({ meta: contents.meta, tensors: [...contents.tensors].map(([name, t]) => ({ name, length: t.length })) }, encodeNonFinite), "utf8");
  const padding = Buffer.alloc(paddingAfter(header.length));
  const chunks: Buffer[] = [header, padding];
  let dataBytes = 0;
  for (const tensor of contents.tensors.values()) {
    const bytes = Buffer.from(tensor.buffer, tensor.byteOffset, tensor.byteLength);
    chunks.push(LITTLE_ENDIAN ? bytes : Buffer.from(bytes).swap32());
    dataBytes += tensor.byteLength;
  }
  const hash = createHash("sha256");
  for (const chunk of chunks) hash.update(chunk);
  const prefix = Buffer.alloc(PREFIX_BYTES);
  prefix.write(MAGIC, 0, "latin1");
  prefix.writeUInt32LE(VERSION, 8);
  prefix.writeUInt32LE(header.length, 12);
  prefix.writeBigUInt64LE(BigInt(dataBytes), 16);
  hash.digest().copy(prefix, 24);

  const dir = dirname(file);
  const tempPrefix = `.${basename(file)}.tmp-`;
  const temp = join(dir, `${tempPrefix}${process.pid}-${tempCounter++}`);
  try {
    mkdirSync(dir, { recursive: true });
    removeStaleTemporaries(dir, tempPrefix);
    const fd = openSync(temp, "wx");
    try {
      for (const chunk of [prefix, ...chunks]) writeAll(fd, chunk);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, file);
    syncFolder(dir);
  } catch (err) {
    rmSync(temp, { force: true });
    const e = err as NodeJS.ErrnoException;
    throw new SpikemedError(`could not write checkpoint ${file}: ${e.code ?? ""} ${e.message}`.trim(), "check that the output folder is writable and the disk is not full");
  }
}

/** Reads and validates a checkpoint written by writeCheckpoint. */
export function readCheckpoint(file: string): CheckpointContents {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === "ENOENT") throw new SpikemedError(`checkpoint ${file} does not exist`, "check the path, or start without --resume");
    throw new SpikemedError(`could not read checkpoint ${file}: ${e.code ?? e.message}`);
  }
  const fix = "the file is damaged; use an earlier checkpoint or start the run again without --resume";
  if (bytes.length < PREFIX_BYTES || bytes.toString("latin1", 0, 8) !== MAGIC) {
    if (bytes.length < PREFIX_BYTES && MAGIC.startsWith(bytes.toString("latin1", 0, Math.min(8, bytes.length)))) {
      throw new SpikemedError(`checkpoint ${file} is truncated: ${bytes.length} bytes, shorter than the ${PREFIX_BYTES}-byte header`, fix);
    }
    throw new SpikemedError(`${file} is not a spikemed checkpoint (it does not start with "${MAGIC}")`, "pass a checkpoint written by spikemed train");
  }
  const version = bytes.readUInt32LE(8);
  if (version !== VERSION) {
    throw new SpikemedError(`checkpoint ${file} has format version ${version}; this spikemed reads version ${VERSION}`, "use the spikemed version that wrote it");
  }
  const headerBytes = bytes.readUInt32LE(12);
  const dataBytes = Number(bytes.readBigUInt64LE(16));
  const dataStart = PREFIX_BYTES + headerBytes + paddingAfter(headerBytes);
  const expected = dataStart + dataBytes;
  if (bytes.length < expected) {
    throw new SpikemedError(`checkpoint ${file} is truncated: ${bytes.length} bytes, expected ${expected}`, fix);
  }
  if (bytes.length > expected) {
    throw new SpikemedError(`checkpoint ${file} is corrupt: ${bytes.length - expected} unexpected bytes after the data`, fix);
  }
  const digest = createHash("sha256").update(bytes.subarray(PREFIX_BYTES)).digest();
  if (!digest.equals(bytes.subarray(24, PREFIX_BYTES))) {
    throw new SpikemedError(`checkpoint ${file} is corrupt: its SHA-256 checksum does not match its contents`, fix);
  }
  let header: { meta: unknown; tensors: { name: string; length: number }[] };
  try {
    header = JSON.parse(bytes.toString("utf8", PREFIX_BYTES, PREFIX_BYTES + headerBytes), decodeNonFinite);
  } catch {
    throw new SpikemedError(`checkpoint ${file} is corrupt: its header is not valid JSON`, fix);
  }
  if (!header || !Array.isArray(header.tensors)) throw new SpikemedError(`checkpoint ${file} is corrupt: its header lists no tensors`, fix);
  const tensors = new Map<string, Float32Array>();
  let offset = dataStart;
  for (const entry of header.tensors) {
    if (typeof entry?.name !== "string" || !Number.isInteger(entry.length) || entry.length < 0 || tensors.has(entry.name)) {
      throw new SpikemedError(`checkpoint ${file} is corrupt: bad tensor entry ${JSON.stringify(entry)}`, fix);
    }
    const end = offset + entry.length * 4;
    if (end > bytes.length) throw new SpikemedError(`checkpoint ${file} is corrupt: tensor "${entry.name}" runs past the end of the data`, fix);
    const tensor = new Float32Array(entry.length);
    const view = Buffer.from(tensor.buffer);
    bytes.copy(view, 0, offset, end);
    if (!LITTLE_ENDIAN) view.swap32();
    tensors.set(entry.name, tensor);
    offset = end;
  }
  if (offset !== bytes.length) throw new SpikemedError(`checkpoint ${file} is corrupt: the tensors do not fill the data section`, fix);
  return { tensors, meta: header.meta };
}

/** Deletes temporary files left by writers that were killed mid-write (their process is gone). */
function removeStaleTemporaries(dir: string, tempPrefix: string): void {
  for (const name of readdirSync(dir)) {
    if (!name.startsWith(tempPrefix)) continue;
    const pid = Number(name.slice(tempPrefix.length).split("-")[0]);
    if (Number.isInteger(pid) && pid !== process.pid && !processExists(pid)) rmSync(join(dir, name), { force: true });
  }
}

function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

function paddingAfter(headerBytes: number): number {
  return (8 - ((PREFIX_BYTES + headerBytes) % 8)) % 8;
}

function writeAll(fd: number, chunk: Buffer): void {
  let written = 0;
  while (written < chunk.length) written += writeSync(fd, chunk, written, chunk.length - written);
}

/** Makes the rename itself durable (POSIX); Windows cannot open a folder for fsync. */
function syncFolder(dir: string): void {
  if (process.platform === "win32") return;
  const fd = openSync(dir, "r");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function encodeNonFinite(_key: string, value: unknown): unknown {
  return typeof value === "number" && !Number.isFinite(value) ? { $float: String(value) } : value;
}

function decodeNonFinite(_key: string, value: unknown): unknown {
  if (value !== null && typeof value === "object" && !Array.isArray(value)) {
    const keys = Object.keys(value);
    const spelled = (value as { $float?: unknown }).$float;
    if (keys.length === 1 && (spelled === "NaN" || spelled === "Infinity" || spelled === "-Infinity")) return Number(spelled);
  }
  return value;
}

/** The pieces of a training run that a checkpoint saves and restores. */
export interface TrainingParts {
  params: readonly Param[];
  optimizer: Optimizer;
  schedule?: LrSchedule;
  earlyStopping?: EarlyStopping;
  /** Every random generator whose stream must continue exactly (dropout, encoders, ...). */
  rngs?: Record<string, Rng>;
}

interface TrainingMeta {
  format: "spikemed-training";
  optimizer: { kind: OptimizerKind; stepCount: number; hyper: Record<string, number | boolean> };
  schedule: ScheduleState | null;
  earlyStopping: EarlyStoppingState | null;
  rngs: Record<string, number[]>;
  user: Record<string, unknown>;
}

const PARAM = "param/";
const OPTIM = "optim/";
const EXTRA = "extra/";

/**
 * Saves parameters, optimizer, schedule, early stopping and generator states plus the caller's
 * metadata (epoch, batch position, history...) and extra tensors (e.g. the best epoch's weights).
 */
export function saveTrainingCheckpoint(file: string, parts: TrainingParts, meta: Record<string, unknown>, extraTensors?: Map<string, Float32Array>): void {
  const tensors = new Map<string, Float32Array>();
  for (const p of parts.params) tensors.set(PARAM + p.name, p.value);
  const optimizer = parts.optimizer.state();
  for (const [name, buffer] of optimizer.buffers) tensors.set(OPTIM + name, buffer);
  for (const [name, tensor] of extraTensors ?? []) tensors.set(EXTRA + name, tensor);
  const rngs: Record<string, number[]> = {};
  for (const [name, rng] of Object.entries(parts.rngs ?? {})) rngs[name] = rng.getState();
  const training: TrainingMeta = {
    format: "spikemed-training",
    optimizer: { kind: optimizer.kind, stepCount: optimizer.stepCount, hyper: optimizer.hyper },
    schedule: parts.schedule ? parts.schedule.state() : null,
    earlyStopping: parts.earlyStopping ? parts.earlyStopping.state() : null,
    rngs,
    user: meta,
  };
  writeCheckpoint(file, { tensors, meta: training });
}

/**
 * Restores everything saveTrainingCheckpoint saved into `parts` (which must describe the same
 * model and optimizer) and returns the caller's metadata and extra tensors.
 */
export function loadTrainingCheckpoint(file: string, parts: TrainingParts): { meta: Record<string, unknown>; extraTensors: Map<string, Float32Array> } {
  const { tensors, meta } = readCheckpoint(file);
  const training = meta as TrainingMeta;
  if (training === null || typeof training !== "object" || training.format !== "spikemed-training") {
    throw new SpikemedError(`checkpoint ${file} does not hold a training state`, "pass a checkpoint written by spikemed train");
  }
  const mismatch = "the checkpoint was written for a different model; resume with the same model settings";
  const byPrefix = (prefix: string) => new Map([...tensors].filter(([name]) => name.startsWith(prefix)).map(([name, t]) => [name.slice(prefix.length), t]));
  const savedParams = byPrefix(PARAM);
  for (const p of parts.params) {
    const saved = savedParams.get(p.name);
    if (!saved) throw new SpikemedError(`checkpoint ${file} has no values for parameter "${p.name}"`, mismatch);
    if (saved.length !== p.value.length) {
      throw new SpikemedError(`checkpoint ${file}: parameter "${p.name}" has ${saved.length} values, the model has ${p.value.length}`, mismatch);
    }
  }
  if (savedParams.size !== parts.params.length) {
    const known = new Set(parts.params.map((p) => p.name));
    const unknown = [...savedParams.keys()].filter((name) => !known.has(name));
    throw new SpikemedError(`checkpoint ${file} has parameters the model lacks: ${unknown.join(", ")}`, mismatch);
  }
  for (const [name, state] of [["schedule", training.schedule], ["earlyStopping", training.earlyStopping]] as const) {
    const wanted = name === "schedule" ? parts.schedule : parts.earlyStopping;
    if ((state === null || state === undefined) !== (wanted === undefined)) {
      throw new SpikemedError(`checkpoint ${file} ${wanted ? "has no" : "has a"} ${name} state but the run ${wanted ? "uses" : "does not use"} one`, "resume with the settings the run was started with");
    }
  }
  const rngStates = training.rngs ?? {};
  for (const name of Object.keys(parts.rngs ?? {})) {
    const state = rngStates[name];
    if (!Array.isArray(state) || state.length !== 5 || !state.every((v) => typeof v === "number")) {
      throw new SpikemedError(`checkpoint ${file} has no valid state for random generator "${name}"`, "resume with the settings the run was started with");
    }
  }

  parts.optimizer.loadState({ ...training.optimizer, buffers: byPrefix(OPTIM) }, `checkpoint ${file}`);
  if (parts.schedule) parts.schedule.loadState(training.schedule!, `checkpoint ${file}`);
  if (parts.earlyStopping) parts.earlyStopping.loadState(training.earlyStopping!, `checkpoint ${file}`);
  for (const [name, rng] of Object.entries(parts.rngs ?? {})) rng.setState(rngStates[name]);
  for (const p of parts.params) p.value.set(savedParams.get(p.name)!);
  return { meta: training.user ?? {}, extraTensors: byPrefix(EXTRA) };
}
