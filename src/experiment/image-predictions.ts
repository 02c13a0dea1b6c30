/**
 * A trained chest X-ray run applied to one image, already decoded to the run's S x S bytes. No
 * Node APIs: `spikemed predict` (decoding with sharp) and a browser page (src/web, decoding with
 * the browser) give the same answers for the same pixels.
 */
import { SpikemedError } from "../core/errors.js";
import type { Network } from "../model/network.js";
import { intensitiesFromBytes } from "../data/cxr/pixels.js";
import { flatArrayData, predictProbabilities } from "../train/data.js";
import type { RunManifest } from "./run-format.js";

/** The side S of the square images the run's network reads. */
export function imageSize(manifest: RunManifest): number {
  return manifest.model.inputShape[1];
}

/** Each class's probability for one S x S image of bytes (0 black, 255 white); `where` names it in errors. */
export function predictImageBytes(network: Network, manifest: RunManifest, bytes: Uint8Array, where: string): Record<string, number> {
  if (manifest.data.task !== "cxr") throw new SpikemedError(`${where}: the run was trained on ECG records, not images`, "pass a chest X-ray run");
  const size = imageSize(manifest);
  if (bytes.length !== size * size) throw new SpikemedError(`${where}: ${bytes.length} pixels, the run's network reads ${size} x ${size}`);
  const pixels = intensitiesFromBytes(bytes);
  const { probabilities } = predictProbabilities(network, flatArrayData(pixels, [1, size, size], manifest.classNames, new Uint8Array(1)), [0], 1);
  return Object.fromEntries(manifest.classNames.map((c, k) => [c, probabilities[k]]));
}
