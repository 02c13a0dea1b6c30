/**
 * spikemed in a browser: the compute core (its WebAssembly kernels included), the models, and
 * trained runs read over HTTP, with nothing from Node. The kernels share their memory, so the page
 * must be cross-origin isolated (Cross-Origin-Opener-Policy: same-origin, Cross-Origin-Embedder-
 * Policy: require-corp); elsewhere the reference backend (plain JavaScript) runs the same models.
 * On a page's main thread the kernels run single-threaded (it may not wait for other threads); in
 * a Worker they run on several, like in Node.
 *
 * `fetchRun` and `fetchRecord`, then `predictRecordBeats`, do in a page what `spikemed predict RUN
 * RECORD` does: one class per detected heartbeat, the same answers; `decodeImage`, then
 * `predictImageBytes`, what `spikemed predict RUN IMAGE` does for a chest X-ray run. `openEcgStream`,
 * then `streamChunk` per chunk of samples, what `spikemed stream RUN --record RECORD` does: a live
 * signal classified beat by beat as the beats' windows complete, with each beat's latency.
 * `holterSummary`, `predictionsCsv` and `predictionAnnotations` give a record's prediction as the
 * served page's Holter summary and downloads (CSV, WFDB `.pred`).
 *
 * @module spikemed/web
 */
import { SpikemedError } from "../core/errors.js";
import { recordFromFiles, type WfdbRecord } from "../data/ecg/wfdb-files.js";
import { parseWfdbHeader } from "../data/ecg/wfdb-header.js";
import type { Network } from "../model/network.js";
import { MANIFEST, MODEL, parseManifest, trainedNetwork, type RunManifest } from "../experiment/run-format.js";
import { checkpointBody, decodeCheckpoint } from "../train/checkpoint-bytes.js";
import { absoluteUrl, fetchBytes } from "./fetch.js";

export * from "../core/index.js";
export * from "../model/index.js";
export { batchBuffers, batchOf, bufferRange, flatArrayData, inputBatch, predictProbabilities, signalSize, type BatchBuffers, type ClassificationData } from "../train/data.js";
export { predictRecordBeats, recordBeats, type RecordPrediction } from "../experiment/record-predictions.js";
export { imageSize, predictImageBytes } from "../experiment/image-predictions.js";
export {
  compareStreamWithPredict, DEFAULT_STREAM_SETTINGS, endStream, initialStreamState, openEcgStream, stepBeat, streamChunk, streamLatency, streamRecord,
  type EcgStream, type StreamAgreement, type StreamedBeat, type StreamLatency, type StreamSettings, type StreamState,
} from "../experiment/stream.js";
export { decodeImage } from "./images.js";
export { classRuns, heartRateTrend, holterSummary, nextBeat, runCounts, type HolterSummary, type RunCounts } from "./holter.js";
export { predictionAnnotations, predictionsCsv } from "./downloads.js";
export { recordFromFiles, type WfdbRecord, type WfdbRecordFiles } from "../data/ecg/wfdb-files.js";
export { parseWfdbHeader } from "../data/ecg/wfdb-header.js";
export type { RunManifest };

/**
 * Reads a run folder written by `spikemed train` (its --out) from `url`, a folder served over
 * HTTP: its manifest and its network with the trained weights, checksum verified.
 */
export async function fetchRun(url: string | URL): Promise<{ manifest: RunManifest; network: Network }> {
  const base = absoluteUrl(url);
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

/**
 * Reads the WFDB record at `url` (its path without extension, e.g. "data/100") over HTTP: the
 * header, the signal files it names (checksums verified), and the .atr annotations when the
 * server has them.
 */
export async function fetchRecord(url: string | URL): Promise<WfdbRecord> {
  const base = absoluteUrl(url);
  base.pathname = base.pathname.replace(/\.(hea|dat|atr)$/, "");
  const name = base.pathname.slice(base.pathname.lastIndexOf("/") + 1);
  const at = (file: string) => new URL(file, base).href; // beside the record: its files' names are relative to its folder
  const fix = "pass the URL of a WFDB record without extension (e.g. data/100), served over HTTP";
  const header = parseWfdbHeader(new TextDecoder("latin1").decode(await fetchBytes(at(`${name}.hea`), fix)), at(`${name}.hea`));
  const signalFiles = new Map<string, Uint8Array>();
  for (const { fileName } of header.signals) {
    if (!signalFiles.has(fileName)) signalFiles.set(fileName, await fetchBytes(at(fileName), fix));
  }
  const annotations = await fetchBytes(at(`${name}.atr`), fix, true);
  return recordFromFiles(name, header, {
    signal: (fileName) => signalFiles.get(fileName)!,
    annotations: annotations ? { bytes: annotations, path: at(`${name}.atr`) } : undefined,
  });
}
