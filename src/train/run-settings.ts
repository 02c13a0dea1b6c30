import { SpikemedError } from "../core/errors.js";
import type { ClassificationData } from "./data.js";

/**
 * What a training run's result depends on besides its checkpoint, recorded in the checkpoint so
 * that `--resume` refuses to continue under other settings: a run resumed with another learning
 * rate, augmentation or data would end neither like the run it continues nor like a fresh one.
 */
export type RunSettings = Record<string, unknown>;

/**
 * The settings of a run: the values of `resultKeys` in `options` (the options that change what
 * training computes, listed by the trainer that defines them), the split's sizes and fingerprint,
 * and `options.settings`, what else the result depends on.
 */
export function runSettings<Options extends { settings?: RunSettings }>(options: Options, resultKeys: readonly (keyof Options & string)[],
  data: ClassificationData, split: { train: Int32Array; val: Int32Array }): RunSettings {
  const train: Record<string, unknown> = {};
  for (const key of resultKeys) if (options[key] !== undefined) train[key] = options[key];
  return jsonCopy({
    train,
    split: { train: split.train.length, val: split.val.length, fingerprint: splitFingerprint(data, split) },
    ...(options.settings ? { context: options.settings } : {}),
  });
}

/** "key.path: X when the run started, Y now" for every setting that differs. */
export function settingsDifferences(started: RunSettings, now: RunSettings): string[] {
  const before = flatten(jsonCopy(started));
  const after = flatten(now);
  const differences: string[] = [];
  for (const key of new Set([...before.keys(), ...after.keys()])) {
    const was = before.get(key) ?? "(not set)";
    const is = after.get(key) ?? "(not set)";
    if (was !== is) differences.push(`${key}: ${was} when the run started, ${is} now`);
  }
  return differences;
}

/** Throws when `started` (from a checkpoint; absent in checkpoints written before settings were recorded) differs from `now`. */
export function checkSameSettings(started: unknown, now: RunSettings, checkpointFile: string): void {
  if (started === undefined) return;
  if (started === null || typeof started !== "object" || Array.isArray(started)) {
    throw new SpikemedError(`checkpoint ${checkpointFile}: its recorded settings are not an object`, "start the run again without --resume");
  }
  const differences = settingsDifferences(started as RunSettings, now);
  if (differences.length === 0) return;
  const shown = differences.slice(0, 8).map((d) => `  ${d}`).join("\n");
  const more = differences.length > 8 ? `\n  ... and ${differences.length - 8} more` : "";
  throw new SpikemedError(`--resume: the run in ${checkpointFile} was started with other settings:\n${shown}${more}`,
    "resume with the options the run was started with, or start a new run (another --out, or without --resume)");
}

/** FNV-1a over the split's sample indices and their labels: another data folder or split shows here. */
function splitFingerprint(data: ClassificationData, split: { train: Int32Array; val: Int32Array }): string {
  let hash = 0x811c9dc5;
  const mix = (value: number): void => {
    hash = Math.imul(hash ^ (value & 0xffff), 0x01000193);
    hash = Math.imul(hash ^ (value >>> 16), 0x01000193);
  };
  for (const part of [split.train, split.val]) {
    mix(part.length);
    for (const i of part) { mix(i); mix(data.labels[i]); }
  }
  return (hash >>> 0).toString(16).padStart(8, "0");
}

function jsonCopy<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

function flatten(value: unknown, prefix = "", out = new Map<string, string>()): Map<string, string> {
  if (value !== null && typeof value === "object" && !Array.isArray(value)) {
    for (const [key, inner] of Object.entries(value)) flatten(inner, prefix ? `${prefix}.${key}` : key, out);
  } else {
    out.set(prefix, JSON.stringify(value));
  }
  return out;
}
