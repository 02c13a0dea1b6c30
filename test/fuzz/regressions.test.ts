/**
 * Inputs `npm run fuzz` found that crashed a reader, hung it or passed NaN on (bench/results/fuzz.md),
 * each now refused with one SpikemedError naming the file. Each test names what the input did before.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import test from "node:test";
import { fileURLToPath } from "node:url";
import { SpikemedError } from "../../src/core/errors.js";
import { parseMitAnnotations } from "../../src/data/ecg/index.js";
import { loadRun } from "../../src/experiment/index.js";
import { checkConfigSettings } from "../../src/model/index.js";
import { decodeImageFile } from "../../src/data/cxr/index.js";
import { readNirFile } from "../../src/export/nir-file.js";
import { loadTrainingCheckpoint, readCheckpoint, writeCheckpoint } from "../../src/train/checkpoint.js";
import { runSeed, targetNamed, trainingParts, trainingSeed } from "../../bench/fuzz/targets.js";

const dir = mkdtempSync(join(tmpdir(), "spikemed-fuzz-regressions-"));
test.after(() => rmSync(dir, { recursive: true, force: true }));
const FIXTURES = fileURLToPath(new URL("../../../test/fixtures/fuzz/", import.meta.url));

/** A run folder holding the fuzz harness's seed run, with run.json's value changed by `edit` (or replaced by the text it returns). */
function runFolder(name: string, edit: (manifest: Record<string, unknown>) => string | void): string {
  const folder = join(dir, name);
  const { "run.json": manifestBytes, "model.ckpt": model } = runSeed();
  const manifest = JSON.parse(new TextDecoder().decode(manifestBytes)) as Record<string, unknown>;
  const text = edit(manifest);
  rmSync(folder, { recursive: true, force: true });
  writeCheckpoint(join(folder, "model.ckpt"), readCheckpointBytes(model, folder));
  writeFileSync(join(folder, "run.json"), text ?? JSON.stringify(manifest));
  return folder;
}

function readCheckpointBytes(bytes: Uint8Array, folder: string) {
  const file = join(dir, `${folder.split("/").pop()}-source.ckpt`);
  writeFileSync(file, bytes);
  return readCheckpoint(file);
}

function refuses(read: () => unknown, file: string, pattern: RegExp): void {
  assert.throws(read, (err: unknown) => err instanceof SpikemedError && err.message.includes(file) && pattern.test(err.message));
}

test("run.json without its data section: was TypeError (reading 'task'), now named", () => {
  const folder = runFolder("no-data", (m) => { delete m.data; });
  refuses(() => loadRun(folder), join(folder, "run.json"), /data must describe/);
});

test("run.json whose task is a list nested 5,000 deep: was RangeError (call stack) while describing it, now named", () => {
  const folder = runFolder("deep-task", (m) => JSON.stringify(m).replace('"task":"ecg"', `"task":${"[".repeat(5000)}${"]".repeat(5000)}`));
  refuses(() => loadRun(folder), join(folder, "run.json"), /task a list is neither/);
});

test("run.json whose model has an unknown setting, or too few class names: refused before a network is built", () => {
  const unknown = runFolder("bad-setting", (m) => { (m.model as Record<string, unknown>).encoderx = 1; });
  refuses(() => loadRun(unknown), join(unknown, "run.json"), /unknown model setting "encoderx"/);
  const classes = runFolder("class-names", (m) => { m.classNames = ["N", "S"]; });
  refuses(() => loadRun(classes), join(classes, "run.json"), /classNames must name each of the model's 5 classes/);
});

test("model.ckpt with a NaN weight under a valid checksum: was accepted (a NaN model), now named", () => {
  const folder = runFolder("nan-weight", () => {});
  const file = join(folder, "model.ckpt");
  const contents = readCheckpoint(file);
  contents.tensors.get("conv1.weight")![3] = NaN;
  writeCheckpoint(file, contents);
  refuses(() => loadRun(folder), file, /conv1\.weight holds NaN or infinite values/);
});

test("a training checkpoint with an infinite parameter under a valid checksum: was resumed (a NaN model), now named", () => {
  const file = join(dir, "last.ckpt");
  writeFileSync(file, trainingSeed()["last.ckpt"]);
  const contents = readCheckpoint(file);
  contents.tensors.get("param/dense1.weight")![0] = -Infinity;
  writeCheckpoint(file, contents);
  refuses(() => loadTrainingCheckpoint(file, trainingParts()), file, /"param\/dense1\.weight" holds NaN or infinite values/);
});

/** The fuzz harness's training checkpoint with its metadata changed by `edit`, under a valid checksum. */
function trainingCheckpoint(name: string, edit: (meta: { optimizer: Record<string, unknown>; schedule: { config: Record<string, unknown> } }) => void): string {
  const file = join(dir, name);
  writeFileSync(file, trainingSeed()["last.ckpt"]);
  const contents = readCheckpoint(file);
  edit(contents.meta as Parameters<typeof edit>[0]);
  writeCheckpoint(file, contents);
  return file;
}

test("a training checkpoint without optimizer settings: was TypeError (reading 'amsgrad'), now named", () => {
  const file = trainingCheckpoint("no-hyper.ckpt", (meta) => { delete meta.optimizer.hyper; });
  refuses(() => loadTrainingCheckpoint(file, trainingParts()), file, /holds no optimizer settings/);
});

test("a training checkpoint whose schedule settings are out of range: was an error naming only the schedule, now names the file", () => {
  const file = trainingCheckpoint("bad-schedule.ckpt", (meta) => { meta.schedule.config.warmupEpochs = 99; });
  refuses(() => loadTrainingCheckpoint(file, trainingParts()), file, /cosine schedule: option warmupEpochs/);
});

test("an annotation moved before sample 0 by a negative SKIP: was accepted (sample -100), now named", () => {
  // Words: SKIP (59 << 10) with the 32-bit interval -100 (high word first), then a normal beat (code 1) at +0.
  const words = [59 << 10, 0xffff, 0x10000 - 100, 1 << 10, 0];
  const bytes = Uint8Array.from(words.flatMap((w) => [w & 0xff, w >> 8]));
  refuses(() => parseMitAnnotations(bytes, "rec.atr"), "rec.atr", /falls at sample -100/);
});

test("a file that is not HDF5: one named error (HDF5's diagnostics neither printed nor leaked as an invalid handle)", async () => {
  const file = join(dir, "not.nir");
  writeFileSync(file, "not an HDF5 file\n");
  await assert.rejects(readNirFile(file), (err: unknown) => err instanceof SpikemedError && err.message.includes(file) && /file signature not found/.test(err.message));
});

test("a NIR file whose damaged string heap makes HDF5 loop forever: was a hang, now refused after the time limit", async () => {
  // Fuzz case 380 of seed 1 (a splice of two exported graphs, 50 KB): reading its `version` string never returns.
  const file = join(FIXTURES, "nir-heap-loop.nir");
  assert.equal(readFileSync(file).length, 50319);
  const started = performance.now();
  await assert.rejects(readNirFile(file, { timeLimitMs: 1500 }), (err: unknown) => err instanceof SpikemedError && /still reading after 1\.5 s/.test(err.message));
  assert.ok(performance.now() - started < 5000);
  // The reader starts a fresh thread for the next file.
  const seed = join(dir, "seed.nir");
  writeFileSync(seed, (await targetNamed("nir").seeds())[0]["graph.nir"]);
  assert.ok((await readNirFile(seed)).nodes.length > 0);
});

test("a model config whose layer type or units is a list nested 100,000 deep: was RangeError (call stack) while writing the error, now named", () => {
  const deep = JSON.parse(`${"[".repeat(100_000)}${"]".repeat(100_000)}`);
  const config = { inputShape: [1, 16], classes: 2, timeSteps: 1, encoder: { kind: "direct" }, readout: "mean", layers: [{ type: deep }] };
  refuses(() => checkConfigSettings(config, "deep.json"), "deep.json", /unknown layer type a list nested too deep to show/);
  const units = { ...config, layers: [{ type: "dense", units: deep }] };
  refuses(() => checkConfigSettings(units, "deep.json"), "deep.json", /units \(dense\): expected .*, got a list nested too deep to show/);
});

test("a DICOM file whose Rows tag's length points past the end (fuzz dicom case 1740): was dicom-parser's bare Error, now a bad file named", async () => {
  const file = join(FIXTURES, "dicom-tag-past-end.dcm");
  await assert.rejects(decodeImageFile(file, { size: 64 }), (err: unknown) => err instanceof SpikemedError && err.message.includes(file) && /a DICOM tag cannot be read/.test(err.message));
});
