import { SpikemedError } from "../core/errors.js";
import type { BeatWindow } from "../data/ecg/index.js";
import { buildNetworkFrom, checkConfigSettings, type ModelConfig, type Network, type Parameter } from "../model/index.js";
import type { CheckpointContents } from "../train/checkpoint-bytes.js";
import type { DataSpec } from "./datasets.js";

// A run folder's two files, read without Node's APIs: saved-run.ts reads them from disk, a
// browser page (src/web) over HTTP.

/** What a run folder records about how it was made (run.json). */
export interface RunManifest {
  format: "spikemed-run";
  version: 1;
  task: "ecg" | "cxr";
  model: ModelConfig;
  classNames: string[];
  data: DataSpec;
  train: Record<string, unknown>;
  seed: number;
  createdAt: string;
}

export const MANIFEST = "run.json";
export const MODEL = "model.ckpt";

/** ECG runs written before runs recorded their beat window all used this one. */
const UNRECORDED_BEAT_WINDOW: BeatWindow = { sampleRate: 360, before: 90, after: 166 };

/** run.json's text as a manifest; `file` names it in errors. A damaged or hand-edited manifest is refused, field by field. */
export function parseManifest(text: string, file: string): RunManifest {
  let manifest: RunManifest;
  try {
    manifest = JSON.parse(text) as RunManifest;
  } catch (err) {
    throw new SpikemedError(`${file}: not valid JSON (${(err as Error).message})`);
  }
  const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v);
  // Values are described, not printed: a damaged field may be nested thousands deep.
  const shown = (v: unknown) => (typeof v === "string" ? JSON.stringify(v.slice(0, 40)) : typeof v === "number" || typeof v === "boolean" || v == null ? String(v) : Array.isArray(v) ? "a list" : "an object");
  if (!isObject(manifest) || manifest.format !== "spikemed-run") throw new SpikemedError(`${file}: not a spikemed run manifest`);
  const damaged = (what: string) => new SpikemedError(`${file}: ${what}`, "the run folder is damaged or was edited by hand; train again");
  if (manifest.version !== 1) throw new SpikemedError(`${file}: run format version ${shown(manifest.version)}; this spikemed reads version 1`, "use the spikemed version that wrote it");
  if (manifest.task !== "ecg" && manifest.task !== "cxr") throw damaged(`task ${shown(manifest.task)} is neither "ecg" nor "cxr"`);
  checkConfigSettings(manifest.model, `${file}: model`);
  // At least one name per class the model scores (a class folder without images still gets a name: more is not damage).
  if (!Array.isArray(manifest.classNames) || !manifest.classNames.every((c) => typeof c === "string") || manifest.classNames.length < manifest.model.classes) {
    throw damaged(`classNames must name each of the model's ${shown(manifest.model.classes)} classes`);
  }
  if (!isObject(manifest.data) || manifest.data.task !== manifest.task) throw damaged(`data must describe the run's ${manifest.task} data`);
  if (!Number.isSafeInteger(manifest.seed)) throw damaged(`seed ${shown(manifest.seed)} is not an integer`);
  if (!isObject(manifest.train)) throw damaged("train must hold the training settings");
  if (manifest.data.task === "ecg" && !manifest.data.window) manifest.data = { ...manifest.data, window: UNRECORDED_BEAT_WINDOW };
  return manifest;
}

/** The manifest's network holding the checkpoint's trained weights; `file` names the checkpoint in errors. */
export function trainedNetwork(manifest: RunManifest, { tensors }: CheckpointContents, file: string): Network {
  const network = buildNetworkFrom(manifest.model, manifest.seed, `${file}: the run's model (${MANIFEST}) cannot be built`);
  const [unfit] = weightMismatches(network, tensors);
  if (unfit) throw new SpikemedError(`${file}: weights for ${unfit.name} ${unfit.problem}`, "the run folder is damaged; train again");
  setWeights(network, tensors);
  return network;
}

/** What a run's model checkpoint holds of a network: its parameters, then its buffers (batch-norm statistics). */
export function savedWeights(network: Network): Parameter[] {
  return [...network.parameters(), ...network.buffers()];
}

/** The network's saved weights that `tensors` lacks, holds at another size or holds with NaN or infinite values, in the network's order. */
export function weightMismatches(network: Network, tensors: ReadonlyMap<string, Float32Array>): { name: string; problem: string }[] {
  return savedWeights(network).flatMap((p) => {
    const saved = tensors.get(p.name);
    if (!saved) return [{ name: p.name, problem: "is missing" }];
    if (saved.length !== p.tensor.size) return [{ name: p.name, problem: `has ${saved.length} values, this model's ${p.tensor.size}` }];
    return saved.every(Number.isFinite) ? [] : [{ name: p.name, problem: "holds NaN or infinite values" }];
  });
}

/** Copies `tensors` into the network's parameters and buffers by name (after weightMismatches found none). */
export function setWeights(network: Network, tensors: ReadonlyMap<string, Float32Array>): void {
  for (const p of savedWeights(network)) p.tensor.data.set(tensors.get(p.name)!);
}
