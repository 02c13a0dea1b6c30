import fs from "node:fs";
import path from "node:path";
import { SpikemedError } from "../core/index.js";
import { buildNetwork, type ModelConfig, type Network } from "../model/index.js";
import { readCheckpoint, writeCheckpoint } from "../train/index.js";
import type { BeatWindow } from "../data/ecg/index.js";
import type { DataSpec } from "./datasets.js";

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

const MANIFEST = "run.json";

/** ECG runs written before runs recorded their beat window all used this one. */
const UNRECORDED_BEAT_WINDOW: BeatWindow = { sampleRate: 360, before: 90, after: 166 };
const MODEL = "model.ckpt";

/** Writes the manifest and the trained weights (parameters and buffers) into a run folder. */
export function saveRun(runDir: string, manifest: RunManifest, network: Network): void {
  fs.mkdirSync(runDir, { recursive: true });
  const tensors = new Map<string, Float32Array>();
  for (const p of [...network.parameters(), ...network.buffers()]) tensors.set(p.name, p.tensor.data);
  writeCheckpoint(path.join(runDir, MODEL), { tensors, meta: { model: manifest.model.name } });
  const tmp = path.join(runDir, `.${MANIFEST}.tmp`);
  fs.writeFileSync(tmp, JSON.stringify(manifest, null, 2) + "\n");
  fs.renameSync(tmp, path.join(runDir, MANIFEST));
}

/** Reads a run folder back: its manifest and the network with the trained weights. */
export function loadRun(runDir: string): { manifest: RunManifest; network: Network } {
  const file = path.join(runDir, MANIFEST);
  if (!fs.existsSync(file)) {
    throw new SpikemedError(`${runDir}: not a spikemed run folder (no ${MANIFEST})`, "pass a folder written by `spikemed train` (its --out)");
  }
  let manifest: RunManifest;
  try {
    manifest = JSON.parse(fs.readFileSync(file, "utf8")) as RunManifest;
  } catch (err) {
    throw new SpikemedError(`${file}: not valid JSON (${(err as Error).message})`);
  }
  if (manifest.format !== "spikemed-run") throw new SpikemedError(`${file}: not a spikemed run manifest`);
  if (manifest.data.task === "ecg" && !manifest.data.window) manifest.data = { ...manifest.data, window: UNRECORDED_BEAT_WINDOW };
  const network = buildNetwork(manifest.model, manifest.seed);
  const { tensors } = readCheckpoint(path.join(runDir, MODEL));
  for (const p of [...network.parameters(), ...network.buffers()]) {
    const saved = tensors.get(p.name);
    if (!saved || saved.length !== p.tensor.size) {
      throw new SpikemedError(`${path.join(runDir, MODEL)}: weights for ${p.name} are missing or of the wrong size`, "the run folder is damaged; train again");
    }
    p.tensor.data.set(saved);
  }
  return { manifest, network };
}
