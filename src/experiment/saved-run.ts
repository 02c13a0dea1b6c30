import fs from "node:fs";
import path from "node:path";
import { SpikemedError } from "../core/index.js";
import type { Network } from "../model/index.js";
import { readCheckpoint, writeCheckpoint } from "../train/index.js";
import { MANIFEST, MODEL, parseManifest, trainedNetwork, type RunManifest } from "./run-format.js";

export type { RunManifest };

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
  const manifest = parseManifest(fs.readFileSync(file, "utf8"), file);
  const checkpoint = path.join(runDir, MODEL);
  return { manifest, network: trainedNetwork(manifest, readCheckpoint(checkpoint), checkpoint) };
}
