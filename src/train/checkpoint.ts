import { createHash } from "node:crypto";
import { mkdirSync, readFileSync } from "node:fs";
import { dirname } from "node:path";
import { SpikemedError } from "../core/errors.js";
import type { Rng } from "../core/random.js";
import { writeFileAtomic } from "../data/atomic-file.js";
import { LITTLE_ENDIAN, MAGIC, PREFIX_BYTES, VERSION, checkpointBody, decodeCheckpoint, paddingAfter, type CheckpointContents } from "./checkpoint-bytes.js";
import type { EarlyStopping, EarlyStoppingState } from "./early-stopping.js";
import type { Optimizer, OptimizerKind } from "./optim.js";
import type { Param } from "./param.js";
import type { LrSchedule, ScheduleState } from "./schedule.js";

/**
 * Writing and reading checkpoint files (the byte format is in checkpoint-bytes.ts). Files are
 * written atomically (writeFileAtomic), so a reader sees either the previous checkpoint or the
 * new one, never a half-written file.
 */

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

  const what = `checkpoint ${file}`;
  try {
    mkdirSync(dirname(file), { recursive: true });
  } catch (err) {
    throw new SpikemedError(`cannot write ${what}: ${(err as Error).message}`, CHECKPOINT_HINT);
  }
  writeFileAtomic(file, [prefix, ...chunks], { what, hint: CHECKPOINT_HINT });
}

const CHECKPOINT_HINT = "check that the output folder is writable and the disk is not full";

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
  return decodeCheckpoint(bytes, file, createHash("sha256").update(checkpointBody(bytes)).digest());
}

function encodeNonFinite(_key: string, value: unknown): unknown {
  return typeof value === "number" && !Number.isFinite(value) ? { $float: String(value) } : value;
}

export type { CheckpointContents };

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
 * model and optimizer) and returns the caller's metadata and extra tensors. `checkMeta` sees the
 * caller's metadata first and may refuse it before anything is restored.
 */
export function loadTrainingCheckpoint(file: string, parts: TrainingParts, checkMeta?: (meta: Record<string, unknown>) => void):
  { meta: Record<string, unknown>; extraTensors: Map<string, Float32Array> } {
  const { tensors, meta } = readCheckpoint(file);
  const training = meta as TrainingMeta;
  if (training === null || typeof training !== "object" || training.format !== "spikemed-training") {
    throw new SpikemedError(`checkpoint ${file} does not hold a training state`, "pass a checkpoint written by spikemed train");
  }
  checkMeta?.(training.user ?? {});
  // Training stops at the first non-finite loss, so no checkpoint it writes holds NaN or Infinity: resuming from one would train a NaN model.
  const nonFinite = [...tensors].find(([, t]) => !t.every(Number.isFinite));
  if (nonFinite) throw new SpikemedError(`checkpoint ${file}: tensor "${nonFinite[0]}" holds NaN or infinite values`, "the file is damaged; use an earlier checkpoint or start the run again without --resume");
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
