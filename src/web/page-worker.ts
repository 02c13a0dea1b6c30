/**
 * The computing half of `spikemed serve`'s page, in a Worker: there the kernels may run on
 * several threads (a page's main thread may not wait for them) and the page stays responsive.
 * Answers each request, one of the server's inputs by name or the user's files: for an ECG run a
 * WFDB record's per-beat prediction, for a chest X-ray run each image's class probabilities.
 */
import {
  decodeImage, fetchRecord, fetchRun, getBackend, imageSize, parseWfdbHeader, predictImageBytes, predictRecordBeats, recordFromFiles, SpikemedError,
  useFastBackend, type Network, type RecordPrediction, type RunManifest, type WfdbRecord,
} from "./index.js";
import { fetchBytes } from "./fetch.js";

type PickedFile = { name: string; bytes: Uint8Array };
export type PageRequest = { id: number; input: string } | { id: number; files: PickedFile[] };

/** One image's answer: its probabilities, or why it could not be read (the others still are). */
export type ImageResult = { name: string; probabilities: Record<string, number> } | { name: string; error: string };

export type WorkerReply =
  | { kind: "run"; task: RunManifest["task"]; backend: string; model: string; parameters: number; classNames: string[] }
  | { kind: "record"; id: number; prediction: RecordPrediction; seconds: number; minutes: number; sampleRate: number }
  | { kind: "images"; id: number; images: ImageResult[]; seconds: number }
  | { kind: "error"; id?: number; message: string };

const scope = globalThis as unknown as { onmessage: ((event: MessageEvent<PageRequest>) => void) | null; postMessage(message: WorkerReply): void };

const ready = (async () => {
  let backend: string;
  try {
    await useFastBackend();
    backend = `WebAssembly kernels on ${getBackend().threads} thread(s)`;
  } catch (err) {
    backend = `reference backend (${(err as Error).message.split("\n")[0]})`;
  }
  const run = await fetchRun("/run/");
  scope.postMessage({
    kind: "run", task: run.manifest.task, backend, model: run.manifest.model.name, parameters: run.network.parameterCount(), classNames: run.manifest.classNames,
  });
  return run;
})();
ready.catch((err: Error) => scope.postMessage({ kind: "error", message: err.message }));

scope.onmessage = async ({ data: request }) => {
  try {
    const { manifest, network } = await ready;
    scope.postMessage(manifest.task === "ecg" ? await answerRecord(network, manifest, request) : await answerImages(network, manifest, request));
  } catch (err) {
    scope.postMessage({ kind: "error", id: request.id, message: (err as Error).message });
  }
};

async function answerRecord(network: Network, manifest: RunManifest, request: PageRequest): Promise<WorkerReply> {
  const record = "input" in request ? await fetchRecord(`/data/${request.input}`) : localRecord(request.files);
  const start = performance.now();
  const prediction = predictRecordBeats(network, manifest, record, "input" in request ? `record ${request.input}` : "your record");
  return {
    kind: "record", id: request.id, prediction, seconds: (performance.now() - start) / 1000,
    minutes: record.frameCount / record.samplingFrequency / 60, sampleRate: record.samplingFrequency,
  };
}

async function answerImages(network: Network, manifest: RunManifest, request: PageRequest): Promise<WorkerReply> {
  const files = "input" in request ? [{ name: request.input, bytes: await fetchBytes(`/data/${encodeURIComponent(request.input)}`, "pick one of the page's images") }] : request.files;
  const start = performance.now();
  const images: ImageResult[] = [];
  for (const { name, bytes } of files) {
    try {
      images.push({ name, probabilities: predictImageBytes(network, manifest, await decodeImage(bytes, name, imageSize(manifest)), name) });
    } catch (err) {
      images.push({ name, error: (err as Error).message });
    }
  }
  return { kind: "images", id: request.id, images, seconds: (performance.now() - start) / 1000 };
}

/** A record from files the user picked: one .hea, the signal files it names, and an optional .atr of the same name. */
function localRecord(files: PickedFile[]): WfdbRecord {
  const headers = files.filter((f) => f.name.endsWith(".hea"));
  if (headers.length !== 1) throw new SpikemedError(`pick one .hea file with its signal files; got ${headers.length} .hea files`);
  const name = headers[0].name.slice(0, -4);
  const header = parseWfdbHeader(new TextDecoder("latin1").decode(headers[0].bytes), headers[0].name);
  const bytes = new Map(files.map((f) => [f.name, f.bytes]));
  const annotations = bytes.get(`${name}.atr`);
  return recordFromFiles(name, header, {
    signal: (fileName) => {
      const signal = bytes.get(fileName);
      if (!signal) throw new SpikemedError(`${headers[0].name} names the signal file ${fileName}: pick it too`);
      return signal;
    },
    annotations: annotations ? { bytes: annotations, path: `${name}.atr` } : undefined,
  });
}
