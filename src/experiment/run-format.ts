import { SpikemedError } from "../core/errors.js";
import type { BeatWindow } from "../data/ecg/index.js";
import { buildNetwork, type ModelConfig, type Network, type Parameter } from "../model/index.js";
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

/** run.json's text as a manifest; `file` names it in errors. */
export function parseManifest(text: string, file: string): RunManifest {
  let manifest: RunManifest;
  try {
    manifest = JSON.parse(text) as RunManifest;
  } catch (err) {
    throw new SpikemedError(`${file}: not valid JSON (${(err as Error).message})`);
  }
  if (manifest?.format !== "spikemed-run") throw new SpikemedError(`${file}: not a spikemed run manifest`);
  if (manifest.data.task === "ecg" && !manifest.data.window) manifest.data = { ...manifest.data, window: UNRECORDED_BEAT_WINDOW };
  return manifest;
}

/** The manifest's network holding the checkpoint's trained weights; `file` names the checkpoint in errors. */
export function trainedNetwork(manifest: RunManifest, { tensors }: CheckpointContents, file: string): Network {
  const network = buildNetwork(manifest.model, manifest.seed);
  const [unfit] = weightMismatches(network, tensors);
  if (unfit) throw new SpikemedError(`${file}: weights for ${unfit.name} are missing or of the wrong size`, "the run folder is damaged; train again");
  setWeights(network, tensors);
  return network;
}

/** What a run's model checkpoint holds of a network: its parameters, then its buffers (batch-norm statistics). */
export function savedWeights(network: Network): Parameter[] {
  return [...network.parameters(), ...network.buffers()];
}

/** The network's saved weights that `tensors` lacks or holds at another size, in the network's order. */
export function weightMismatches(network: Network, tensors: ReadonlyMap<string, Float32Array>): { name: string; problem: string }[] {
  return savedWeights(network).flatMap((p) => {
    const saved = tensors.get(p.name);
    if (!saved) return [{ name: p.name, problem: "is missing" }];
    return saved.length === p.tensor.size ? [] : [{ name: p.name, problem: `has ${saved.length} values, this model's ${p.tensor.size}` }];
  });
}

/** Copies `tensors` into the network's parameters and buffers by name (after weightMismatches found none). */
export function setWeights(network: Network, tensors: ReadonlyMap<string, Float32Array>): void {
  for (const p of savedWeights(network)) p.tensor.data.set(tensors.get(p.name)!);
}
