/**
 * The fuzz targets: every file spikemed reads, with valid seed files (the embedded MIT-BIH sample,
 * the test fixtures, files spikemed itself writes), a mutation of them, and the reader the command
 * line uses. A case is a set of files written into an empty folder; `read` reads them the way
 * spikemed does and returns what is wrong with an accepted output (non-finite numbers, indices
 * outside the data), or null.
 */
import { createHash } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { crc32 } from "node:zlib";
import sharp from "sharp";
import { Rng } from "../../src/core/random.js";
import { decodeImageFile, readCxrIndex } from "../../src/data/cxr/index.js";
import { decodeSamples, readHeader, readRecord, samplesInBytes, wfdbChecksum, type WfdbHeader } from "../../src/data/ecg/index.js";
import { loadRun, saveRun, type RunManifest } from "../../src/experiment/index.js";
import { readNirFile } from "../../src/export/nir-file.js";
import { fromNirGraph } from "../../src/export/nir-import.js";
import { exportNir } from "../../src/export/index.js";
import { buildNetwork, buildNetworkFrom, checkConfigSettings, modelFor, type ModelConfig, type Network } from "../../src/model/index.js";
import { decodeCheckpoint, type CheckpointContents } from "../../src/train/checkpoint-bytes.js";
import { loadTrainingCheckpoint, saveTrainingCheckpoint, type TrainingParts } from "../../src/train/checkpoint.js";
import { EarlyStopping } from "../../src/train/early-stopping.js";
import { AdamW } from "../../src/train/optim.js";
import type { Param } from "../../src/train/param.js";
import { createSchedule } from "../../src/train/schedule.js";
import { SpikemedError } from "../../src/core/errors.js";
import { concat, jsonText, mutateBytes, mutateJsonText, mutateText, pick, textBytes, INTERESTING_NUMBERS } from "./mutate.js";

/** A case: file name -> bytes, written into an empty folder. */
export type FuzzFiles = Record<string, Uint8Array>;

export interface FuzzTarget {
  name: string;
  /** What the reader is, for the results table. */
  about: string;
  /** Valid files to start from. */
  seeds(): Promise<FuzzFiles[]>;
  /** A mutation of `seed` (never changed in place); `seeds` are all seeds, for splices. */
  mutate(seed: FuzzFiles, rng: Rng, seeds: readonly FuzzFiles[]): FuzzFiles;
  /** Reads the case in `dir` as spikemed does; returns what is wrong with the output, or null. */
  read(dir: string): Promise<string | null>;
  /** The name a user-facing error must mention to point at the case (a path or record name in `dir`). */
  mentions(dir: string): string;
}

const REPO = fileURLToPath(new URL("../../../", import.meta.url));
const SAMPLE_DIR = join(REPO, "data/mitdb-sample");
const FIXTURES = join(REPO, "test/fixtures/cxr");
const text = (bytes: Uint8Array) => new TextDecoder("latin1").decode(bytes);

/** The first non-finite value of numeric arrays, described, or null. */
function firstNonFinite(what: string, values: ArrayLike<number>): string | null {
  for (let i = 0; i < values.length; i++) if (!Number.isFinite(values[i])) return `${what}[${i}] = ${values[i]}`;
  return null;
}

function networkProblem(network: Network, what: string): string | null {
  for (const p of [...network.parameters(), ...network.buffers()]) {
    const bad = firstNonFinite(`${what} ${p.name}`, p.tensor.data);
    if (bad) return bad;
  }
  return null;
}

function mutateOne(seed: FuzzFiles, rng: Rng, name: string, change: (bytes: Uint8Array) => Uint8Array): FuzzFiles {
  return { ...seed, [name]: change(seed[name]) };
}

// --- WFDB ---------------------------------------------------------------------------------------

const RECORD = "rec";

/** Numbers a reader passes on from a header: they and their reciprocals (rates and gains divide) must be finite. */
function headerProblem(header: WfdbHeader): string | null {
  const fs = header.samplingFrequency;
  if (!Number.isFinite(fs) || !Number.isFinite(1 / fs)) return `sampling frequency ${fs}`;
  if (header.sampleCount !== undefined && !(Number.isSafeInteger(header.sampleCount) && header.sampleCount >= 0)) return `sample count ${header.sampleCount}`;
  for (const [i, s] of header.signals.entries()) {
    for (const [field, v] of Object.entries({ gain: s.gain, "1/gain": 1 / s.gain, baseline: s.baseline, adcZero: s.adcZero })) {
      if (!Number.isFinite(v)) return `signal ${i} ${field} ${v}`;
    }
  }
  return null;
}

/** A header line set for the seeds: one signal file, `count` frames, checksums computed from the bytes. */
function recordSeed(format: number, bytes: Uint8Array, signals: number, frequency: number, gain = 200): FuzzFiles {
  const frames = Math.floor(samplesInBytes(format, bytes.length) / signals);
  const stream = new Int32Array(frames * signals);
  decodeSamples(bytes, 0, format, stream.length, stream);
  const lines = [`${RECORD} ${signals} ${frequency} ${frames} 10:00:00 01/01/2000`];
  for (let s = 0; s < signals; s++) {
    const own = Int32Array.from({ length: frames }, (_, f) => stream[f * signals + s]);
    const bits = { 212: 12, 16: 16, 61: 16, 80: 8, 310: 10, 311: 10, 24: 24, 32: 32 }[format] ?? 12;
    lines.push(`${RECORD}.dat ${format} ${gain}(0)/mV ${bits} 0 ${own[0]} ${wfdbChecksum(own)} 0 lead${s}`);
  }
  lines.push("# seed record for the fuzz harness");
  return { [`${RECORD}.hea`]: textBytes(lines.join("\n") + "\n"), [`${RECORD}.dat`]: bytes };
}

function sampleBytes(name: string, length: number): Uint8Array {
  return readFileSync(join(SAMPLE_DIR, name)).subarray(0, length);
}

const wfdbHeader: FuzzTarget = {
  name: "wfdb-header",
  about: "WFDB header (.hea): readHeader",
  async seeds() {
    const sample = ["100", "208", "209", "213", "232"].map((r) => ({ [`${RECORD}.hea`]: textBytes(text(readFileSync(join(SAMPLE_DIR, `${r}.hea`))).replaceAll(r, RECORD)) }));
    return [...sample, recordSeed(16, sampleBytes("100.dat", 120), 2, 360, 0)].map((f) => ({ [`${RECORD}.hea`]: f[`${RECORD}.hea`] }));
  },
  mutate: (seed, rng) => mutateOne(seed, rng, `${RECORD}.hea`, (b) => textBytes(mutateText(text(b), rng))),
  async read(dir) {
    return headerProblem(readHeader(dir, RECORD));
  },
  mentions: () => RECORD,
};

/** Checks decoded signals: physical values finite, NaN only for WFDB's invalid-sample code. */
function signalProblem(record: ReturnType<typeof readRecord>): string | null {
  const bad = headerProblem(record.header);
  if (bad) return bad;
  for (const [i, physical] of record.physical.entries()) {
    const spec = record.header.signals[i];
    const digital = record.digital[i];
    for (let k = 0; k < physical.length; k++) {
      const v = physical[k];
      if (v === Infinity || v === -Infinity) return `signal ${i} sample ${k} = ${v}`;
      if (Number.isNaN(v) && !Number.isFinite((digital[k] - spec.baseline) / spec.gain)) return `signal ${i} sample ${k} = NaN from ADC ${digital[k]}`;
    }
  }
  return null;
}

/** Seeds in every format the reader supports, cut from record 100's bytes. */
function formatSeeds(): FuzzFiles[] {
  return [
    recordSeed(212, sampleBytes("100.dat", 600), 2, 360),
    recordSeed(16, sampleBytes("208.dat", 400), 2, 360),
    recordSeed(61, sampleBytes("209.dat", 400), 1, 250),
    recordSeed(80, sampleBytes("213.dat", 300), 2, 128),
    recordSeed(310, sampleBytes("232.dat", 400), 1, 500),
    recordSeed(311, sampleBytes("100.dat", 400), 3, 1000),
    recordSeed(24, sampleBytes("208.dat", 360), 2, 360),
    recordSeed(32, sampleBytes("209.dat", 400), 1, 360, 1000),
  ];
}

function mutateRecord(seed: FuzzFiles, rng: Rng, seeds: readonly FuzzFiles[]): FuzzFiles {
  const choice = rng.int(3);
  let out = seed;
  if (choice !== 1) out = mutateOne(out, rng, `${RECORD}.hea`, (b) => textBytes(mutateText(text(b), rng)));
  if (choice !== 0) out = mutateOne(out, rng, `${RECORD}.dat`, (b) => mutateBytes(b, rng, seeds.map((s) => s[`${RECORD}.dat`])));
  return out;
}

const wfdbSignal: FuzzTarget = {
  name: "wfdb-signal",
  about: "WFDB signal (.dat, formats 212, 16, 61, 80, 310, 311, 24, 32) with its header: readRecord",
  seeds: async () => formatSeeds(),
  mutate: mutateRecord,
  async read(dir) {
    return signalProblem(readRecord(dir, RECORD, { annotator: null }));
  },
  mentions: () => RECORD,
};

/** MIT-format annotation bytes (annot(5)): code and time increment per word, SKIP for long gaps, AUX strings. */
function encodeAnnotations(list: { sample: number; code: number; aux?: string }[]): Uint8Array {
  const words: number[] = [];
  let time = 0;
  for (const a of list) {
    let delta = a.sample - time;
    if (delta > 1023) {
      words.push(59 << 10, (delta >>> 16) & 0xffff, delta & 0xffff);
      delta = 0;
    }
    words.push((a.code << 10) | delta);
    time = a.sample;
    if (a.aux !== undefined) {
      const bytes = textBytes(a.aux);
      words.push((63 << 10) | bytes.length);
      for (let i = 0; i < bytes.length; i += 2) words.push(bytes[i] | ((bytes[i + 1] ?? 0) << 8));
    }
  }
  words.push(0);
  return Uint8Array.from(words.flatMap((w) => [w & 0xff, w >> 8]));
}

function annotationSeeds(): FuzzFiles[] {
  // Record 100's first 5.6 s (2,000 frames of 212) with beats every ~280 samples, a rhythm label
  // and a long gap that needs a SKIP; record 208's first frames with ventricular beats.
  const record100 = recordSeed(212, sampleBytes("100.dat", 6000), 2, 360);
  const record208 = recordSeed(212, sampleBytes("208.dat", 3000), 2, 360);
  const beats100 = [{ sample: 18, code: 28, aux: "(N" }, ...Array.from({ length: 6 }, (_, i) => ({ sample: 77 + 286 * i, code: 1 }))];
  const beats208 = [{ sample: 5, code: 28, aux: "(N\u0000" }, { sample: 120, code: 1 }, { sample: 400, code: 5 }, { sample: 980, code: 8 }];
  return [
    { ...record100, [`${RECORD}.atr`]: encodeAnnotations(beats100) },
    { ...record208, [`${RECORD}.atr`]: encodeAnnotations(beats208) },
  ];
}

const wfdbAnnotation: FuzzTarget = {
  name: "wfdb-annotation",
  about: "WFDB annotations (.atr, MIT format) with their record: readRecord",
  seeds: async () => annotationSeeds(),
  mutate: (seed, rng, seeds) => mutateOne(seed, rng, `${RECORD}.atr`, (b) => mutateBytes(b, rng, seeds.map((s) => s[`${RECORD}.atr`]))),
  async read(dir) {
    const record = readRecord(dir, RECORD, { requireAnnotations: true });
    const samples = record.annotations!.sample;
    for (let i = 0; i < samples.length; i++) {
      if (!(samples[i] >= 0 && samples[i] < record.frameCount)) return `annotation ${i} at sample ${samples[i]}, outside the record's ${record.frameCount} frames`;
    }
    return null;
  },
  mentions: () => RECORD,
};

// --- Images -------------------------------------------------------------------------------------

const IMAGE_SIZE = 16;

function imageProblem(pixels: Float32Array): string | null {
  for (let i = 0; i < pixels.length; i++) if (!(pixels[i] >= 0 && pixels[i] <= 1)) return `pixel ${i} = ${pixels[i]}`;
  return null;
}

/** PNG chunks with their CRCs recomputed after a change to IHDR (so libpng reads on past the CRC check). */
function mutatePngHeader(png: Uint8Array, rng: Rng): Uint8Array {
  if (png.length < 33 || text(png.subarray(12, 16)) !== "IHDR") return png;
  const out = png.slice();
  const view = new DataView(out.buffer);
  const field = rng.int(4);
  if (field < 2) view.setUint32(16 + 4 * field, pick(rng, [0, 1, 16000, 65535, 0x7fffffff, 0x80000000, 0xffffffff, 1 + rng.int(40000)]));
  else if (field === 2) out[24] = pick(rng, [0, 1, 2, 3, 4, 8, 16, 32]); // bit depth
  else out[25] = pick(rng, [0, 2, 3, 4, 6, 7, 255]); // colour type
  view.setUint32(29, crc32(out.subarray(12, 29)));
  return out;
}

const image: FuzzTarget = {
  name: "image",
  about: "PNG and JPEG through sharp: decodeImageFile",
  async seeds() {
    const gray = Buffer.from(Uint8Array.from({ length: 12 * 10 }, (_, i) => (i * 37) & 0xff));
    const raw = { raw: { width: 12, height: 10, channels: 1 as const } };
    const rgba = Buffer.from(Uint8Array.from({ length: 6 * 5 * 4 }, (_, i) => (i * 53) & 0xff));
    const seeds: FuzzFiles[] = [
      { "img.png": readFileSync(join(FIXTURES, "gray16_9x7.png")) },
      { "img.png": await sharp(gray, raw).png().toBuffer() },
      { "img.png": await sharp(rgba, { raw: { width: 6, height: 5, channels: 4 } }).png({ palette: true }).toBuffer() },
      { "img.jpg": await sharp(gray, raw).jpeg({ quality: 80 }).toBuffer() },
      { "img.jpg": await sharp(rgba, { raw: { width: 6, height: 5, channels: 4 } }).jpeg({ quality: 90, progressive: true }).toBuffer() },
    ];
    return seeds;
  },
  mutate(seed, rng, seeds) {
    const [name] = Object.keys(seed);
    const structured = name.endsWith(".png") && rng.int(4) === 0;
    return { [name]: structured ? mutatePngHeader(seed[name], rng) : mutateBytes(seed[name], rng, seeds.map((s) => Object.values(s)[0])) };
  },
  async read(dir) {
    const [name] = readdirSync(dir);
    return imageProblem(await decodeImageFile(join(dir, name), { size: IMAGE_SIZE }));
  },
  mentions: (dir) => dir,
};

/** Tags of DICOM numbers the decoder reads, as their little-endian tag bytes. */
const DICOM_NUMBERS: Array<{ tag: number[]; vr: "DS" | "US" }> = [
  { tag: [0x28, 0x00, 0x53, 0x10], vr: "DS" }, // Rescale Slope
  { tag: [0x28, 0x00, 0x52, 0x10], vr: "DS" }, // Rescale Intercept
  { tag: [0x28, 0x00, 0x50, 0x10], vr: "DS" }, // Window Center
  { tag: [0x28, 0x00, 0x51, 0x10], vr: "DS" }, // Window Width
  { tag: [0x28, 0x00, 0x10, 0x00], vr: "US" }, // Rows
  { tag: [0x28, 0x00, 0x11, 0x00], vr: "US" }, // Columns
  { tag: [0x28, 0x00, 0x00, 0x01], vr: "US" }, // Bits Allocated
  { tag: [0x28, 0x00, 0x01, 0x01], vr: "US" }, // Bits Stored
];

function findTag(bytes: Uint8Array, tag: number[]): number {
  for (let i = 132; i + 4 <= bytes.length; i++) if (bytes[i] === tag[0] && bytes[i + 1] === tag[1] && bytes[i + 2] === tag[2] && bytes[i + 3] === tag[3]) return i;
  for (let i = 0; i + 4 <= bytes.length; i++) if (bytes[i] === tag[0] && bytes[i + 1] === tag[1] && bytes[i + 2] === tag[2] && bytes[i + 3] === tag[3]) return i;
  return -1;
}

/** Sets one of the numbers the decoder reads (slope, window, rows...) to an interesting value, fixing the element's length. */
function mutateDicomNumber(bytes: Uint8Array, rng: Rng): Uint8Array {
  const { tag, vr } = pick(rng, DICOM_NUMBERS);
  const at = findTag(bytes, tag);
  if (at < 0) return mutateBytes(bytes, rng);
  const explicit = bytes[at + 4] === vr.charCodeAt(0) && bytes[at + 5] === vr.charCodeAt(1);
  const lengthAt = explicit ? at + 6 : at + 4;
  const valueAt = at + 8;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (valueAt > bytes.length) return bytes;
  const oldLength = explicit ? view.getUint16(lengthAt, true) : view.getUint32(lengthAt, true);
  let value: Uint8Array;
  if (vr === "US") {
    const v = pick(rng, [0, 1, 2, 7, 8, 12, 16, 17, 24, 32, 33, 4096, 40000, 65535]);
    value = Uint8Array.of(v & 0xff, v >> 8);
  } else {
    let s = pick(rng, [...INTERESTING_NUMBERS.map(String), "1e999", "-1e999", "1e-320", "abc", "", "1\\2", "1e308\\1e308"]);
    if (s.length % 2 === 1) s += " ";
    value = textBytes(s);
  }
  const head = bytes.slice(0, valueAt);
  const headView = new DataView(head.buffer);
  if (explicit) headView.setUint16(lengthAt, value.length, true);
  else headView.setUint32(lengthAt, value.length, true);
  return concat(head, value, bytes.subarray(Math.min(bytes.length, valueAt + oldLength)));
}

const dicom: FuzzTarget = {
  name: "dicom",
  about: "DICOM through dicom-parser and the VOI window: decodeImageFile",
  async seeds() {
    return readdirSync(join(FIXTURES, "dicom")).sort().map((name) => ({ "img.dcm": readFileSync(join(FIXTURES, "dicom", name)) }));
  },
  mutate(seed, rng, seeds) {
    const bytes = seed["img.dcm"];
    return { "img.dcm": rng.int(2) === 0 ? mutateDicomNumber(bytes, rng) : mutateBytes(bytes, rng, seeds.map((s) => s["img.dcm"])) };
  },
  async read(dir) {
    return imageProblem(await decodeImageFile(join(dir, "img.dcm"), { size: IMAGE_SIZE }));
  },
  mentions: (dir) => dir,
};

// --- Chest X-ray manifest -----------------------------------------------------------------------

const manifest: FuzzTarget = {
  name: "manifest",
  about: "chest X-ray manifest CSV: readCxrIndex",
  async seeds() {
    const rows = [
      "file,label,patient_id,source",
      "covid/a.png,covid,p1,hospital-a",
      "covid/b.png,covid,p2,hospital-a",
      "non_covid/c.png,non_covid,p3,hospital-b",
      "\"non_covid/d e.png\",non_covid,,hospital-b",
    ];
    return [
      { "manifest.csv": textBytes(rows.join("\n") + "\n") },
      { "manifest.csv": textBytes("\ufefffile,label\r\nx.dcm,1\r\ny.dcm,0\r\n") },
    ];
  },
  mutate: (seed, rng) => mutateOne(seed, rng, "manifest.csv", (b) => textBytes(mutateText(text(b), rng))),
  async read(dir) {
    const index = readCxrIndex(join(dir, "manifest.csv"));
    for (const [i, e] of index.entries.entries()) {
      if (!(Number.isInteger(e.label) && e.label >= 0 && e.label < index.classes.length)) return `entry ${i} label ${e.label} of ${index.classes.length} classes`;
    }
    return null;
  },
  mentions: (dir) => dir,
};

// --- Model config, run folder, checkpoints, NIR -------------------------------------------------

/** The config's text with one layer wrapped in residual blocks, deep enough to exhaust a recursive reader's stack. */
function nestLayers(config: { layers?: unknown }, rng: Rng): string {
  if (!Array.isArray(config.layers) || config.layers.length === 0) return jsonText(config);
  const i = rng.int(config.layers.length);
  const depth = pick(rng, [2, 100, 5000]);
  const layer = JSON.stringify(config.layers[i]);
  config.layers[i] = "\u0003";
  // Written as text: JSON.stringify itself would run out of stack on the deepest.
  return jsonText(config).replace('"\\u0003"', '{"type":"residual","layers":['.repeat(depth) + layer + "]}".repeat(depth));
}

const modelConfig: FuzzTarget = {
  name: "model-config",
  about: "model config JSON (--config): checkConfigSettings and buildNetwork",
  async seeds() {
    const dir = join(REPO, "bench/configs");
    const files = readdirSync(dir).filter((f) => f.startsWith("ecg-")).sort().map((f) => readFileSync(join(dir, f)));
    const zoo = [modelFor("ecg", "snn"), modelFor("ecg", "bilstm"), modelFor("ecg", "logreg"), modelFor("ecg", "snn-features"), modelFor("cxr", "snn", 2)];
    return [...files, ...zoo.map((c) => textBytes(JSON.stringify(c)))].map((bytes) => ({ "model.json": bytes }));
  },
  mutate(seed, rng) {
    return mutateOne(seed, rng, "model.json", (b) => {
      const source = new TextDecoder().decode(b);
      if (rng.int(8) !== 0) return new TextEncoder().encode(mutateJsonText(source, rng));
      return new TextEncoder().encode(nestLayers(JSON.parse(source) as { layers?: unknown }, rng));
    });
  },
  async read(dir) {
    // As `spikemed train --config FILE` reads it (src/cli/train.ts loadModel).
    const file = join(dir, "model.json");
    let config: ModelConfig;
    try {
      config = JSON.parse(readFileSync(file, "utf8")) as ModelConfig;
    } catch (err) {
      throw new SpikemedError(`--config ${file}: not valid JSON (${(err as Error).message})`);
    }
    checkConfigSettings(config, `--config ${file}`);
    return networkProblem(buildNetworkFrom(config, 1, `--config ${file}`), "weight");
  },
  mentions: (dir) => dir,
};

/**
 * A small spiking network with every kind of saved weight (convolution, batch norm statistics, LIF,
 * dense) and layers NIR can express, for the run, checkpoint and NIR seeds.
 */
function smallModel(): ModelConfig {
  return {
    name: "fuzz-snn", description: "Conv1d(1->4,k5) BatchNorm LIF AvgPool4 Dense(64->5) LIF readout", inputShape: [1, 64],
    classes: 5, timeSteps: 4, encoder: { kind: "direct" }, readout: "mean",
    layers: [
      { type: "conv1d", filters: 4, kernel: 5, padding: 2 }, { type: "batchnorm" }, { type: "lif", beta: 0.9, threshold: 1, surrogate: "arctan:2" },
      { type: "avgpool", kernel: 4 }, { type: "flatten" }, { type: "dense", units: 5 }, { type: "lif", beta: 0.8, output: "membrane" },
    ],
  };
}

/** A small real run saved as `spikemed train` saves one. */
export function runSeed(): FuzzFiles {
  const model = smallModel();
  const network = buildNetwork(model, 7);
  const manifestValue: RunManifest = {
    format: "spikemed-run", version: 1, task: "ecg", model, classNames: ["N", "S", "V", "F", "Q"],
    data: { task: "ecg", dataDir: null, split: "intra", seed: 1, window: { sampleRate: 120, before: 24, after: 40 } },
    train: { epochs: 1, batchSize: 16 }, seed: 7, createdAt: "2026-01-01T00:00:00.000Z",
  };
  const dir = mkdtempSync(join(tmpdir(), "spikemed-fuzz-seed-"));
  try {
    saveRun(dir, manifestValue, network);
    return { "run.json": readFileSync(join(dir, "run.json")), "model.ckpt": readFileSync(join(dir, "model.ckpt")) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const runFile: FuzzTarget = {
  name: "run-file",
  about: "run folder manifest (run.json) with its model: loadRun",
  seeds: async () => [runSeed()],
  mutate: (seed, rng) => mutateOne(seed, rng, "run.json", (b) => new TextEncoder().encode(mutateJsonText(new TextDecoder().decode(b), rng))),
  async read(dir) {
    return networkProblem(loadRun(dir).network, "weight");
  },
  mentions: (dir) => dir,
};

/** The training state of the toy network behind trainingParts, as `spikemed train` checkpoints one. */
export function trainingParts(): TrainingParts {
  const rng = new Rng(5);
  const params: Param[] = [
    { name: "dense1.weight", value: Float32Array.from({ length: 12 }, () => rng.normal()), grad: new Float32Array(12) },
    { name: "dense1.bias", value: new Float32Array(3), grad: new Float32Array(3) },
  ];
  return {
    params, optimizer: new AdamW(params, { lr: 0.01 }), schedule: createSchedule(0.01, { kind: "cosine", totalEpochs: 5, warmupEpochs: 1 }),
    earlyStopping: new EarlyStopping({ patience: 3 }), rngs: { shuffle: new Rng(9) },
  };
}

export function trainingSeed(): FuzzFiles {
  const parts = trainingParts();
  for (const p of parts.params) p.grad.fill(0.5);
  parts.optimizer.step();
  const dir = mkdtempSync(join(tmpdir(), "spikemed-fuzz-seed-"));
  try {
    const file = join(dir, "last.ckpt");
    saveTrainingCheckpoint(file, parts, { epoch: 2, nextBatch: 3, history: [{ epoch: 1, loss: 0.5 }] }, new Map([["best.dense1.weight", parts.params[0].value]]));
    return { "last.ckpt": readFileSync(file) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A checkpoint's bytes rebuilt around a changed header or data, with a valid SHA-256: what the checksum would not catch. */
function mutateCheckpointContents(bytes: Uint8Array, rng: Rng): Uint8Array {
  let contents: CheckpointContents;
  try {
    contents = decodeCheckpoint(bytes, "seed", createHash("sha256").update(bytes.subarray(56)).digest());
  } catch {
    return mutateBytes(bytes, rng);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerBytes = view.getUint32(12, true);
  let headerSource = new TextDecoder().decode(bytes.subarray(56, 56 + headerBytes));
  let data = bytes.slice(bytes.length - [...contents.tensors.values()].reduce((s, t) => s + t.byteLength, 0));
  if (rng.int(2) === 0) {
    headerSource = mutateJsonText(headerSource, rng);
  } else {
    const floats = new DataView(data.buffer);
    for (let k = 0, n = 1 + rng.int(4); k < n && data.length >= 4; k++) floats.setFloat32(4 * rng.int(data.length / 4), pick(rng, [NaN, Infinity, -Infinity, 3.4e38, -3.4e38, 1e-45, 0]), true);
    if (rng.int(4) === 0) data = data.slice(0, 4 * rng.int(data.length / 4 + 1));
  }
  const headerText = new TextEncoder().encode(headerSource);
  const padding = new Uint8Array((8 - ((56 + headerText.length) % 8)) % 8);
  const body = concat(headerText, padding, data);
  const prefix = bytes.slice(0, 56);
  const prefixView = new DataView(prefix.buffer);
  prefixView.setUint32(12, headerText.length, true);
  prefixView.setBigUint64(16, BigInt(data.length), true);
  prefix.set(createHash("sha256").update(body).digest(), 24);
  return concat(prefix, body);
}

const checkpoint: FuzzTarget = {
  name: "checkpoint",
  about: "checkpoints: a run's model.ckpt (loadRun) and a training state's last.ckpt (loadTrainingCheckpoint, as --resume)",
  seeds: async () => [runSeed(), trainingSeed()],
  mutate(seed, rng, seeds) {
    const name = "last.ckpt" in seed ? "last.ckpt" : "model.ckpt";
    const others = seeds.map((s) => s[name]).filter((b) => b !== undefined);
    return mutateOne(seed, rng, name, (b) => (rng.int(2) === 0 ? mutateCheckpointContents(b, rng) : mutateBytes(b, rng, others)));
  },
  async read(dir) {
    const file = join(dir, "last.ckpt");
    if (!readdirSync(dir).includes("last.ckpt")) return networkProblem(loadRun(dir).network, "weight");
    const parts = trainingParts();
    const { extraTensors } = loadTrainingCheckpoint(file, parts);
    for (const p of parts.params) {
      const bad = firstNonFinite(`parameter ${p.name}`, p.value);
      if (bad) return bad;
    }
    for (const [name, t] of extraTensors) {
      const bad = firstNonFinite(`extra tensor ${name}`, t);
      if (bad) return bad;
    }
    return null;
  },
  mentions: (dir) => dir,
};

const nir: FuzzTarget = {
  name: "nir",
  about: "NIR graph (HDF5 through h5wasm): readNirFile, then fromNirGraph (spikemed import)",
  async seeds() {
    const dir = mkdtempSync(join(tmpdir(), "spikemed-fuzz-seed-"));
    try {
      const seeds: FuzzFiles[] = [];
      const small = smallModel();
      const integrateAndFire: ModelConfig = { ...small, layers: small.layers.map((l) => (l.type === "lif" && l.output !== "membrane" ? { type: "if", threshold: 0.5 } : l)) };
      // A graph of convolution, folded batch norm, IF, pooling and dense nodes, and one of three nodes (quick to read when accepted).
      const tiny: ModelConfig = { ...small, layers: [{ type: "flatten" }, { type: "dense", units: 5 }, { type: "lif", beta: 0.8, output: "membrane" }] };
      for (const [i, config] of [integrateAndFire, tiny].entries()) {
        const file = join(dir, `${i}.nir`);
        await exportNir(buildNetwork(config, 3), file);
        seeds.push({ "graph.nir": readFileSync(file) });
      }
      return seeds;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
  mutate: (seed, rng, seeds) => mutateOne(seed, rng, "graph.nir", (b) => mutateBytes(b, rng, seeds.map((s) => s["graph.nir"]))),
  async read(dir) {
    // The reader's own time limit (30 s by default), shortened to stay inside the harness's.
    const graph = await readNirFile(join(dir, "graph.nir"), { timeLimitMs: 2000 });
    for (const node of graph.nodes) {
      for (const [key, { data }] of Object.entries(node.params)) {
        const bad = firstNonFinite(`node ${node.name} ${key}`, data);
        if (bad) return bad;
      }
    }
    fromNirGraph(graph);
    return null;
  },
  mentions: (dir) => dir,
};

export const TARGETS: readonly FuzzTarget[] = [wfdbHeader, wfdbSignal, wfdbAnnotation, image, dicom, manifest, modelConfig, runFile, checkpoint, nir];

export function targetNamed(name: string): FuzzTarget {
  const target = TARGETS.find((t) => t.name === name);
  if (!target) throw new Error(`no fuzz target "${name}" (targets: ${TARGETS.map((t) => t.name).join(", ")})`);
  return target;
}
