/**
 * The computing half of `spikemed serve`'s page, in a Worker: there the kernels may run on
 * several threads (a page's main thread may not wait for them) and the page stays responsive.
 * Answers each request, one of the server's inputs by name or the user's files: for an ECG run a
 * WFDB record's per-beat prediction with its signal, then on demand one beat as the network sees
 * it (window, features, spike raster, evidence) or the record played beat by beat; for a chest
 * X-ray run each image's class probabilities, then on demand its occlusion map.
 */
import { BEAT_FEATURE_NAMES } from "../data/ecg/beat-features.js";
import { DEFAULT_BEAT_WINDOW } from "../data/ecg/beats.js";
import type { DicomParser } from "../data/cxr/dicom-decode.js";
import { intensitiesFromBytes, isDicomFile } from "../data/cxr/pixels.js";
import { occlusionMap } from "../eval/occlusion.js";
import { beatEvidence, beatRows, type BeatRows } from "../experiment/beat-evidence.js";
import { recordInTrainingHeaders } from "../experiment/training-records.js";
import { flatArrayData, predictProbabilities } from "../train/data.js";
import {
  decodeImage, inputBatch, noGrad, softmax, tidy, type Batch, fetchRecord, fetchRun, getBackend, imageSize, parseWfdbHeader, predictImageBytes, predictRecordBeats, recordFromFiles, SpikemedError,
  useFastBackend, type Network, type RecordPrediction, type RunManifest, type WfdbRecord,
} from "./index.js";
import { fetchBytes } from "./fetch.js";

type PickedFile = { name: string; bytes: Uint8Array };

/** Where `spikemed serve` hands out the dicom-parser bundle (serve-files.ts lists it). */
export const DICOM_PARSER_URL = "/vendor/dicom-parser.js";
export type PageRequest =
  | { id: number; input: string }
  | { id: number; files: PickedFile[] }
  /** Beat `beat` of the last record, in detail. */
  | { id: number; beat: number }
  /** The occlusion map of image `image` of the last images. */
  | { id: number; image: number }
  /** The last record played through the network beat by beat, `speed` times real time; `speed` 0 stops. */
  | { id: number; live: number };

/** One image's answer: its probabilities and the S x S bytes the network read, or why it could not be read (the others still are). */
export type ImageResult = { name: string; probabilities: Record<string, number>; pixels: Uint8Array; size: number } | { name: string; error: string };

/** A spiking layer's spikes for one input: shape [time steps, ...neurons], one byte per spike (0 or 1). */
export interface LayerRaster {
  layer: string;
  shape: number[];
  spikes: Uint8Array;
}

/** One beat as the network sees it. */
export interface BeatDetail {
  index: number;
  /** The window, leads x leadLength values at `sampleRate`, the R peak `before` samples in. */
  window: Float32Array;
  leads: number;
  leadLength: number;
  before: number;
  sampleRate: number;
  /** The RR measurements of the beat (whether the model reads them or not), then the features the model reads, as it reads them. */
  rr: { name: string; value: number }[];
  features: { name: string; value: number; drop: number }[];
  raster: LayerRaster[];
  /** The `explain` evidence for the predicted class: per lead, the fall of its probability when the stretch around each sample is flattened. */
  evidence: { classIndex: number; leadProfiles: Float32Array[] };
}

export type WorkerReply =
  | { kind: "run"; task: RunManifest["task"]; backend: string; model: string; parameters: number; classNames: string[] }
  /** `inTrainingData`: the record was in the data the run was trained on (predict's note). */
  | { kind: "record"; id: number; prediction: RecordPrediction; seconds: number; minutes: number; sampleRate: number; signals: Float32Array[]; signalNames: string[]; inTrainingData: boolean }
  | { kind: "beat"; id: number; detail: BeatDetail }
  | { kind: "images"; id: number; images: ImageResult[]; seconds: number }
  | { kind: "image-evidence"; id: number; image: number; size: number; classIndex: number; drop: Float32Array; seconds: number }
  /** `settledStep` of `steps`: the first time step after which the class stayed the final one. */
  | { kind: "live-beat"; id: number; index: number; label: number; probabilities: Float32Array; latencyMs: number; settledStep: number; steps: number; atSeconds: number }
  | { kind: "live-end"; id: number }
  | { kind: "error"; id?: number; message: string };

const scope = globalThis as unknown as { onmessage: ((event: MessageEvent<PageRequest>) => void) | null; postMessage(message: WorkerReply, transfer?: Transferable[]): void };

const ready = (async () => {
  let backend: string;
  try {
    // The relaxed-SIMD module where the browser runs it, unless the page's URL asks for another (kernels=simd128).
    const kernels = new URL(import.meta.url).searchParams.get("kernels") ?? "auto";
    const fast = await useFastBackend({ kernels: kernels as NonNullable<Parameters<typeof useFastBackend>[0]>["kernels"] });
    backend = `WebAssembly kernels on ${getBackend().threads} thread(s) (${(fast as { kernelModule?: string }).kernelModule ?? kernels} module)`;
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

/** The last record and its beats as model inputs (computed on the first request that needs them). */
let lastRecord: { record: WfdbRecord; where: string; rows: BeatRows | null } | null = null;
/** The last images the network read, for their occlusion maps. */
let lastImages: { name: string; pixels: Uint8Array }[] = [];
/** The live request playing now; another request, or `live` 0, ends it. */
let playing = 0;
/** The headers of the records the run may have been trained on, by name (the server's training-headers.json), fetched once. */
let trainedHeaders: Promise<Record<string, string>> | null = null;

scope.onmessage = async ({ data: request }) => {
  try {
    const { manifest, network } = await ready;
    if ("beat" in request) return reply(answerBeat(network, manifest, request.id, request.beat));
    if ("image" in request) return reply(answerImageEvidence(network, manifest, request.id, request.image));
    if ("live" in request) {
      playing = request.live > 0 ? request.id : 0;
      if (playing) await play(network, manifest, request.id, request.live);
      return;
    }
    reply(manifest.task === "ecg" ? await answerRecord(network, manifest, request) : await answerImages(network, manifest, request));
  } catch (err) {
    scope.postMessage({ kind: "error", id: request.id, message: (err as Error).message });
  }
};

/** Posts `message`, handing over (not copying) its typed arrays' buffers. */
function reply(message: WorkerReply): void {
  const buffers = new Set<ArrayBuffer>();
  const visit = (value: unknown): void => {
    if (ArrayBuffer.isView(value)) buffers.add(value.buffer as ArrayBuffer);
    else if (Array.isArray(value)) value.forEach(visit);
    else if (value && typeof value === "object") Object.values(value).forEach(visit);
  };
  visit(message);
  // The kernels' shared memory cannot be handed over; nor can one buffer twice.
  scope.postMessage(message, [...buffers].filter((b) => !(typeof SharedArrayBuffer !== "undefined" && (b as unknown) instanceof SharedArrayBuffer)));
}

async function answerRecord(network: Network, manifest: RunManifest, request: PageRequest): Promise<WorkerReply> {
  playing = 0;
  const where = "input" in request ? `record ${request.input}` : "your record";
  const record = "input" in request ? await fetchRecord(`/data/${request.input}`) : localRecord("files" in request ? request.files : []);
  const header = "input" in request ? await fetchBytes(`/data/${request.input}.hea`) : localHeader("files" in request ? request.files : []).bytes;
  trainedHeaders ??= fetchBytes("/data/training-headers.json").then((bytes) => JSON.parse(new TextDecoder().decode(bytes)) as Record<string, string>);
  const inTrainingData = recordInTrainingHeaders(manifest.data, record.name, new TextDecoder("latin1").decode(header), (await trainedHeaders)[record.name]);
  const start = performance.now();
  const prediction = predictRecordBeats(network, manifest, record, where);
  lastRecord = { record, where, rows: null };
  return {
    kind: "record", id: request.id, prediction, seconds: (performance.now() - start) / 1000,
    minutes: record.frameCount / record.samplingFrequency / 60, sampleRate: record.samplingFrequency,
    signals: record.physical.map((signal) => signal.slice()), signalNames: record.signalNames, inTrainingData,
  };
}

function rowsOfLastRecord(network: Network, manifest: RunManifest): BeatRows {
  if (!lastRecord) throw new SpikemedError("no record classified yet", "classify a record first");
  lastRecord.rows ??= beatRows(network, manifest, lastRecord.record, lastRecord.where);
  return lastRecord.rows;
}

/** The RR measurements shown beside every beat: the beat's own intervals and their ratios to the patient's rhythm. */
const RR_NAMES = BEAT_FEATURE_NAMES.filter((name) => /(^|_)rr(_|$)/.test(name) && !name.startsWith("lead2_"));

function answerBeat(network: Network, manifest: RunManifest, id: number, index: number): WorkerReply {
  const rows = rowsOfLastRecord(network, manifest);
  if (!(Number.isInteger(index) && index >= 0 && index < rows.n)) throw new SpikemedError(`beat ${index}: the record has beats 0 to ${rows.n - 1}`);
  const { row, leads, leadLength, features } = rows;
  const input = rows.rows.slice(index * row, (index + 1) * row);
  const recording = network.record(inputBatch(rows.data, [index]));
  const raster = [...recording.spikes].map(([layer, spikes]) => ({ layer, shape: [spikes.shape[0], ...spikes.shape.slice(2)], spikes: Uint8Array.from(spikes.data) }));
  const evidence = beatEvidence(rows, manifest, index, 0.08);
  const window = manifest.data.task === "ecg" ? manifest.data.window ?? DEFAULT_BEAT_WINDOW : DEFAULT_BEAT_WINDOW;
  const columns = BEAT_FEATURE_NAMES.length;
  const measured = (name: string) => rows.beats.features[index * columns + BEAT_FEATURE_NAMES.indexOf(name)];
  return {
    kind: "beat", id, detail: {
      index, window: input.slice(0, leads * leadLength), leads, leadLength, before: window.before, sampleRate: window.sampleRate,
      rr: RR_NAMES.map((name) => ({ name, value: measured(name) })),
      features: features.map((name, f) => ({ name, value: input[leads * leadLength + f], drop: evidence.featureDrops[f] })),
      raster, evidence: { classIndex: evidence.classIndex, leadProfiles: evidence.leadProfiles },
    },
  };
}

/**
 * Plays the last record beat by beat: each beat is classified once its window has ended in the
 * record's time (`speed` times real time), alone, through the network's step API (one time step
 * at a time, as a streaming device would run it), and its latency measured, with the first step
 * from which the class no longer changed. The beats are those detected over the whole record (the
 * detector and the patient-relative measurements read it all).
 */
async function play(network: Network, manifest: RunManifest, id: number, speed: number): Promise<void> {
  const rows = rowsOfLastRecord(network, manifest);
  const fs = lastRecord!.record.samplingFrequency;
  const window = manifest.data.task === "ecg" ? manifest.data.window ?? DEFAULT_BEAT_WINDOW : DEFAULT_BEAT_WINDOW;
  const after = window.after / window.sampleRate;
  const K = manifest.classNames.length;
  const started = performance.now();
  for (let i = 0; i < rows.n && playing === id; i++) {
    const atSeconds = rows.beats.sampleOfBeat[i] / fs + after;
    const due = (atSeconds * 1000) / speed;
    const wait = started + due - performance.now();
    if (wait > 0) await new Promise((next) => setTimeout(next, wait));
    if (playing !== id) return;
    const begin = performance.now();
    const { probabilities, labels } = stepThrough(network, inputBatch(rows.data, [i]), K);
    const latencyMs = performance.now() - begin;
    const label = labels[labels.length - 1];
    let settled = labels.length;
    while (settled > 1 && labels[settled - 2] === label) settled--;
    reply({ kind: "live-beat", id, index: i, label, probabilities, latencyMs, settledStep: settled, steps: labels.length, atSeconds });
  }
  if (playing === id) scope.postMessage({ kind: "live-end", id });
}

/** The dicom-parser bundle the server hands out beside the page (a UMD script: run with a module object of its own). */
let dicomParser: Promise<DicomParser> | null = null;

function loadDicomParser(): Promise<DicomParser> {
  dicomParser ??= fetchBytes(DICOM_PARSER_URL, "serve the page with `spikemed serve`, which hands out the DICOM reader").then((bytes) => {
    const module = { exports: {} as DicomParser };
    new Function("module", "exports", "require", new TextDecoder().decode(bytes))(module, module.exports, () => undefined);
    return module.exports;
  });
  return dicomParser;
}

/** One input through the network's time steps one by one (Network.step): the class probabilities at the end, and the class after each step. */
function stepThrough(network: Network, batch: Batch, classes: number): { probabilities: Float32Array; labels: number[] } {
  return noGrad(() => tidy(() => {
    let state = network.initialState();
    const labels: number[] = [];
    let probabilities = new Float32Array(classes);
    for (let t = 0; t < network.options.timeSteps; t++) {
      const stepped = network.step(batch, state);
      state = stepped.state;
      probabilities = softmax(stepped.scores).data.slice(0, classes);
      let label = 0;
      for (let k = 1; k < classes; k++) if (probabilities[k] > probabilities[label]) label = k;
      labels.push(label);
    }
    return { probabilities, labels };
  }));
}

async function answerImages(network: Network, manifest: RunManifest, request: PageRequest): Promise<WorkerReply> {
  const files = "input" in request ? [{ name: request.input, bytes: await fetchBytes(`/data/${encodeURIComponent(request.input)}`, "pick one of the page's images") }] : "files" in request ? request.files : [];
  const start = performance.now();
  const size = imageSize(manifest);
  const images: ImageResult[] = [];
  lastImages = [];
  for (const { name, bytes } of files) {
    try {
      const pixels = await decodeImage(bytes, name, size, isDicomFile(bytes, name) ? await loadDicomParser() : undefined);
      images.push({ name, probabilities: predictImageBytes(network, manifest, pixels, name), pixels: pixels.slice(), size });
      lastImages[images.length - 1] = { name, pixels };
    } catch (err) {
      images.push({ name, error: (err as Error).message });
    }
  }
  return { kind: "images", id: request.id, images, seconds: (performance.now() - start) / 1000 };
}

/** `spikemed explain`'s occlusion map of one image: where hiding a patch lowers the predicted class's probability. */
function answerImageEvidence(network: Network, manifest: RunManifest, id: number, image: number): WorkerReply {
  const picked = lastImages[image];
  if (!picked) throw new SpikemedError(`image ${image}: not one of the images read`);
  const start = performance.now();
  const size = imageSize(manifest);
  const classNames = manifest.classNames;
  const predict = (batch: Float32Array, n: number): Float32Array =>
    predictProbabilities(network, flatArrayData(batch, [1, size, size], classNames, new Uint8Array(n)), Int32Array.from({ length: n }, (_, i) => i), 32).probabilities;
  const map = occlusionMap(intensitiesFromBytes(picked.pixels), size, classNames.length, predict, {});
  return { kind: "image-evidence", id, image, size, classIndex: map.classIndex, drop: map.drop, seconds: (performance.now() - start) / 1000 };
}

/** The one .hea file among those the user picked. */
function localHeader(files: PickedFile[]): PickedFile {
  const headers = files.filter((f) => f.name.endsWith(".hea"));
  if (headers.length !== 1) throw new SpikemedError(`pick one .hea file with its signal files; got ${headers.length} .hea files`);
  return headers[0];
}

/** A record from files the user picked: one .hea, the signal files it names, and an optional .atr of the same name. */
function localRecord(files: PickedFile[]): WfdbRecord {
  const headerFile = localHeader(files);
  const name = headerFile.name.slice(0, -4);
  const header = parseWfdbHeader(new TextDecoder("latin1").decode(headerFile.bytes), headerFile.name);
  const bytes = new Map(files.map((f) => [f.name, f.bytes]));
  const annotations = bytes.get(`${name}.atr`);
  return recordFromFiles(name, header, {
    signal: (fileName) => {
      const signal = bytes.get(fileName);
      if (!signal) throw new SpikemedError(`${headerFile.name} names the signal file ${fileName}: pick it too`);
      return signal;
    },
    annotations: annotations ? { bytes: annotations, path: `${name}.atr` } : undefined,
  });
}
