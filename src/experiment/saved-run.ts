import fs from "node:fs";
import path from "node:path";
import { SpikemedError } from "../core/index.js";
import { writeFileAtomic } from "../data/atomic-file.js";
import type { Network } from "../model/index.js";
import { readCheckpoint, writeCheckpoint } from "../train/index.js";
import { MANIFEST, MODEL, parseManifest, savedWeights, setWeights, trainedNetwork, weightMismatches, type RunManifest } from "./run-format.js";

export type { RunManifest };

/** Writes the manifest and the trained weights (parameters and buffers) into a run folder. */
export function saveRun(runDir: string, manifest: RunManifest, network: Network): void {
  fs.mkdirSync(runDir, { recursive: true });
  const tensors = new Map(savedWeights(network).map((p) => [p.name, p.tensor.data]));
  writeCheckpoint(path.join(runDir, MODEL), { tensors, meta: { model: manifest.model.name } });
  writeFileAtomic(path.join(runDir, MANIFEST), JSON.stringify(manifest, null, 2) + "\n");
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

/**
 * Starts `network` from a trained run's weights (parameters and batch-norm statistics), matched
 * by name: a spiking network and its ReLU twin name theirs alike, so a trained CNN can start the
 * SNN (hybrid conversion: the ANN's weights, then surrogate-gradient fine-tuning). A folder of
 * several seeds gives seed `seed`'s weights. Returns the checkpoint read.
 */
export function initializeFromRun(network: Network, runDir: string, seed: number): string {
  const perSeed = path.join(runDir, `seed-${seed}`);
  const dir = fs.existsSync(path.join(runDir, MODEL)) ? runDir : fs.existsSync(path.join(perSeed, MODEL)) ? perSeed : null;
  if (dir === null) {
    const what = fs.existsSync(runDir) ? `holds neither ${MODEL} nor seed-${seed}/${MODEL}` : "does not exist";
    throw new SpikemedError(`--init-from ${runDir}: ${what}`, "pass a finished run folder (the --out of spikemed train), or one of several seeds that has this seed");
  }
  const file = path.join(dir, MODEL);
  const { tensors } = readCheckpoint(file);
  const problems = weightMismatches(network, tensors).map(({ name, problem }) => `${name} ${problem}`);
  const known = new Set(savedWeights(network).map((p) => p.name));
  problems.push(...[...tensors.keys()].filter((name) => !known.has(name)).map((name) => `${name} is not in this model`));
  if (problems.length > 0) {
    const shown = problems.slice(0, 3).join("; ") + (problems.length > 3 ? `; and ${problems.length - 3} more` : "");
    throw new SpikemedError(`--init-from ${file}: its weights do not fit this model: ${shown}`, "start from a run of the same layers (a spiking model and its ReLU twin fit each other)");
  }
  setWeights(network, tensors);
  return file;
}
