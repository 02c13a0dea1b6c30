/**
 * spikemed in a browser: the compute core (its WebAssembly kernels included), the models, and
 * trained runs read over HTTP, with nothing from Node. The kernels share their memory, so the page
 * must be cross-origin isolated (Cross-Origin-Opener-Policy: same-origin, Cross-Origin-Embedder-
 * Policy: require-corp); elsewhere the reference backend (plain JavaScript) runs the same models.
 * In a browser the kernels run on the page's own thread.
 */
import { SpikemedError } from "../core/errors.js";
import type { Network } from "../model/network.js";
import { MANIFEST, MODEL, parseManifest, trainedNetwork, type RunManifest } from "../experiment/run-format.js";
import { checkpointBody, decodeCheckpoint } from "../train/checkpoint-bytes.js";

export * from "../core/index.js";
export * from "../model/index.js";
export { batchTensor, flatArrayData, inputBatch, predictProbabilities, sampleSize, type ClassificationData } from "../train/data.js";
export type { RunManifest };

/**
 * Reads a run folder written by `spikemed train` (its --out) from `url`, a folder served over
 * HTTP: its manifest and its network with the trained weights, checksum verified.
 */
export async function fetchRun(url: string | URL): Promise<{ manifest: RunManifest; network: Network }> {
  const base = new URL(url, (globalThis as { location?: { href: string } }).location?.href);
  if (!base.pathname.endsWith("/")) base.pathname += "/";
  const manifestUrl = new URL(MANIFEST, base).href;
  const manifest = parseManifest(new TextDecoder().decode(await fetchBytes(manifestUrl)), manifestUrl);
  const checkpointUrl = new URL(MODEL, base).href;
  const bytes = await fetchBytes(checkpointUrl);
  const subtle = globalThis.crypto?.subtle;
  if (!subtle) {
    throw new SpikemedError(`${checkpointUrl}: cannot verify the checkpoint's SHA-256 here (no crypto.subtle)`, "serve the page over HTTPS or from localhost");
  }
  const digest = new Uint8Array(await subtle.digest("SHA-256", checkpointBody(bytes) as Uint8Array<ArrayBuffer>));
  return { manifest, network: trainedNetwork(manifest, decodeCheckpoint(bytes, checkpointUrl, digest), checkpointUrl) };
}

async function fetchBytes(url: string): Promise<Uint8Array> {
  const fix = "pass the URL of a folder written by `spikemed train` (its --out), served over HTTP";
  let response: Response;
  try {
    response = await fetch(url);
  } catch (err) {
    throw new SpikemedError(`${url}: could not be fetched (${(err as Error).message})`, fix);
  }
  if (!response.ok) throw new SpikemedError(`${url}: HTTP ${response.status} ${response.statusText}`.trim(), fix);
  return new Uint8Array(await response.arrayBuffer());
}
