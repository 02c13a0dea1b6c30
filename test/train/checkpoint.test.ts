import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import test from "node:test";
import { fileURLToPath } from "node:url";
import { SpikemedError } from "../../src/core/errors.js";
import { Rng } from "../../src/core/random.js";
import { loadTrainingCheckpoint, readCheckpoint, saveTrainingCheckpoint, writeCheckpoint } from "../../src/train/checkpoint.js";
import { EarlyStopping } from "../../src/train/early-stopping.js";
import { Adam, Sgd } from "../../src/train/optim.js";
import type { Param } from "../../src/train/param.js";
import { createSchedule } from "../../src/train/schedule.js";
import { runToyTraining, type ToyResult } from "./toy-training.js";

const dir = mkdtempSync(join(tmpdir(), "spikemed-ckpt-"));
test.after(() => rmSync(dir, { recursive: true, force: true }));

function sample(): { tensors: Map<string, Float32Array>; meta: unknown } {
  const rng = new Rng(3);
  return {
    tensors: new Map([
      ["conv1.weight", Float32Array.from({ length: 37 }, () => rng.normal())],
      ["empty", new Float32Array(0)],
      ["specials", Float32Array.of(NaN, Infinity, -Infinity, -0, 1e-45, 3.4028234663852886e38)],
      ["view", new Float32Array(new ArrayBuffer(40), 12, 5).fill(2.5)],
    ]),
    meta: { epoch: 7, rng: new Rng(9).getState(), best: Infinity, worst: -Infinity, note: "ünïcode ✓", nested: { list: [1, null, NaN] } },
  };
}

const bits = (t: Float32Array) => [...new Uint32Array(t.slice().buffer)];

test("tensors and metadata round-trip bit for bit, NaN and Infinity in metadata included", () => {
  const file = join(dir, "roundtrip.ckpt");
  const contents = sample();
  writeCheckpoint(file, contents);
  const back = readCheckpoint(file);
  assert.deepEqual([...back.tensors.keys()], [...contents.tensors.keys()]);
  for (const [name, t] of contents.tensors) assert.deepEqual(bits(back.tensors.get(name)!), bits(t), name);
  assert.deepEqual(back.meta, contents.meta);
  assert.deepEqual(readdirSync(dir).filter((f) => f.includes(".tmp-")), [], "no temporary file left behind");
});

test("the file layout is the documented one: magic, version, lengths, SHA-256 of the rest", () => {
  const file = join(dir, "layout.ckpt");
  writeCheckpoint(file, { tensors: new Map([["w", Float32Array.of(1, 2, 3)]]), meta: { a: 1 } });
  const bytes = readFileSync(file);
  assert.equal(bytes.toString("latin1", 0, 8), "SPKMCKPT");
  assert.equal(bytes.readUInt32LE(8), 1);
  const headerLength = bytes.readUInt32LE(12);
  assert.deepEqual(JSON.parse(bytes.toString("utf8", 56, 56 + headerLength)), { meta: { a: 1 }, tensors: [{ name: "w", length: 3 }] });
  assert.equal(Number(bytes.readBigUInt64LE(16)), 12);
  assert.deepEqual(bytes.subarray(24, 56), createHash("sha256").update(bytes.subarray(56)).digest());
  const dataStart = bytes.length - 12;
  assert.equal(dataStart % 8, 0);
  assert.deepEqual([0, 1, 2].map((i) => bytes.readFloatLE(dataStart + 4 * i)), [1, 2, 3]);
});

test("every truncation is reported as truncated, naming the file", () => {
  const file = join(dir, "whole.ckpt");
  writeCheckpoint(file, sample());
  const whole = readFileSync(file);
  const cut = join(dir, "cut.ckpt");
  for (const length of [0, 5, 8, 55, 56, 60, whole.length - 100, whole.length - 1]) {
    writeFileSync(cut, whole.subarray(0, length));
    assert.throws(() => readCheckpoint(cut), (e: Error) => e instanceof SpikemedError && e.message.includes(cut) && /truncated/.test(e.message), `cut at ${length}`);
  }
});

test("a flipped bit anywhere, or extra bytes, is reported as corrupt, naming the file", () => {
  const file = join(dir, "whole2.ckpt");
  writeCheckpoint(file, sample());
  const whole = readFileSync(file);
  const bad = join(dir, "bad.ckpt");
  const headerLength = whole.readUInt32LE(12);
  for (const position of [30, 60, 56 + headerLength - 2, whole.length - 60, whole.length - 1]) {
    const copy = Buffer.from(whole);
    copy[position] ^= 0x10;
    writeFileSync(bad, copy);
    assert.throws(() => readCheckpoint(bad), (e: Error) => e instanceof SpikemedError && e.message.includes(bad) && /corrupt/.test(e.message), `flip at ${position}`);
  }
  writeFileSync(bad, Buffer.concat([whole, Buffer.from([0])]));
  assert.throws(() => readCheckpoint(bad), /corrupt: 1 unexpected bytes/);
});

test("missing files, other files and newer versions get clear errors", () => {
  assert.throws(() => readCheckpoint(join(dir, "nope.ckpt")), /nope.ckpt does not exist/);
  const text = join(dir, "notes.txt");
  writeFileSync(text, "these are not the weights you are looking for, just a text file of some length ".repeat(2));
  assert.throws(() => readCheckpoint(text), /notes.txt is not a spikemed checkpoint/);
  const file = join(dir, "version.ckpt");
  writeCheckpoint(file, { tensors: new Map(), meta: null });
  const bytes = readFileSync(file);
  bytes.writeUInt32LE(2, 8);
  writeFileSync(file, bytes);
  assert.throws(() => readCheckpoint(file), /format version 2; this spikemed reads version 1/);
});

test("a failed write leaves the previous checkpoint intact and no temporary file", () => {
  const file = join(dir, "keep.ckpt");
  writeCheckpoint(file, { tensors: new Map([["w", Float32Array.of(1)]]), meta: "old" });
  // A folder at the target path makes the final rename fail, after the temporary file was written.
  const blocked = join(dir, "blocked");
  mkdirSync(blocked);
  const target = join(blocked, "sub");
  mkdirSync(target);
  assert.throws(() => writeCheckpoint(target, { tensors: new Map(), meta: "new" }), (e: Error) => e instanceof SpikemedError && e.message.includes(target));
  assert.deepEqual(readdirSync(blocked), ["sub"]);
  assert.equal(readCheckpoint(file).meta, "old");
});

test("a writer killed at any moment (SIGKILL) never leaves a half-written checkpoint; its leftovers are removed later", async () => {
  const file = join(dir, "killed.ckpt");
  writeCheckpoint(file, { tensors: new Map([["w", Float32Array.of(1)]]), meta: { generation: -1 } });
  const child = fileURLToPath(new URL("./fixtures/checkpoint-writer.js", import.meta.url));
  for (const delayMs of [0, 3, 11]) {
    const proc = spawn(process.execPath, [child, file], { stdio: ["ignore", "pipe", "inherit"] });
    // Wait until it has written at least once, then kill it a little later, mid-write most likely.
    await new Promise<void>((resolve) => proc.stdout.once("data", () => resolve()));
    await new Promise((resolve) => setTimeout(resolve, delayMs));
    proc.kill("SIGKILL");
    await new Promise((resolve) => proc.once("exit", resolve));
    const { meta, tensors } = readCheckpoint(file);
    const generation = (meta as { generation: number }).generation;
    assert.ok(generation >= 0, "the child wrote at least one checkpoint");
    assert.equal(tensors.get("w")![0], generation, "the tensors belong to the same write as the metadata");
  }
  // The killed writers' temporary files are cleaned up by the next write.
  writeCheckpoint(file, { tensors: new Map(), meta: null });
  assert.deepEqual(readdirSync(dir).filter((f) => f.startsWith(".killed.ckpt.tmp-")), []);
});

test("training checkpoints restore parameters, optimizer, schedule, early stopping and generators", () => {
  const make = () => {
    const params: Param[] = [
      { name: "a", value: Float32Array.of(1, 2, 3), grad: Float32Array.of(0.1, -0.2, 0.3) },
      { name: "b", value: Float32Array.of(4), grad: Float32Array.of(1) },
    ];
    return { params, optimizer: new Adam(params, { lr: 0.01 }), schedule: createSchedule(0.01, { kind: "plateau", patience: 0 }), earlyStopping: new EarlyStopping({ patience: 5 }), rngs: { noise: new Rng(5) } };
  };
  const original = make();
  original.optimizer.step();
  original.schedule.step(1);
  original.schedule.step(2);
  original.earlyStopping.update(0, 0.5);
  original.rngs.noise.normal();
  const file = join(dir, "training.ckpt");
  saveTrainingCheckpoint(file, original, { epoch: 3, history: [1, 2] }, new Map([["best.a", Float32Array.of(9, 9, 9)]]));

  const restored = make();
  const { meta, extraTensors } = loadTrainingCheckpoint(file, restored);
  assert.deepEqual(meta, { epoch: 3, history: [1, 2] });
  assert.deepEqual([...extraTensors.get("best.a")!], [9, 9, 9]);
  assert.deepEqual(restored.params.map((p) => [...p.value]), original.params.map((p) => [...p.value]));
  assert.equal(restored.schedule.lr, original.schedule.lr);
  assert.deepEqual(restored.earlyStopping.state(), original.earlyStopping.state());
  assert.equal(restored.rngs.noise.normal(), original.rngs.noise.normal(), "the spare normal of Box-Muller survives");
  restored.optimizer.step();
  original.optimizer.step();
  assert.deepEqual(restored.params.map((p) => [...p.value]), original.params.map((p) => [...p.value]));

  const otherModel = make();
  otherModel.params[1].value = new Float32Array(2);
  otherModel.params[1].grad = new Float32Array(2);
  assert.throws(() => loadTrainingCheckpoint(file, { ...otherModel, optimizer: new Adam(otherModel.params) }), /parameter "b" has 1 values, the model has 2/);
  const sgd = make();
  assert.throws(() => loadTrainingCheckpoint(file, { ...sgd, optimizer: new Sgd(sgd.params) }), /holds adam optimizer state but the run uses sgd/);
  const noSchedule = make();
  assert.throws(() => loadTrainingCheckpoint(file, { ...noSchedule, schedule: undefined }), /has a schedule state but the run does not use one/);
});

test("stopping anywhere and resuming gives the same result as an uninterrupted run, bit for bit", () => {
  const epochs = 5;
  const straight = runToyTraining({ epochs }) as ToyResult;
  assert.notDeepEqual(straight.history[0].trainLoss, straight.history[epochs - 1].trainLoss);
  const file = join(dir, "toy.ckpt");
  for (const stopAt of [{ epoch: 0, batch: 3 }, { epoch: 2, batch: 0 }, { epoch: 4, batch: 6 }]) {
    assert.equal(runToyTraining({ epochs, stopAt, checkpoint: file }), "stopped");
    const resumed = runToyTraining({ epochs, checkpoint: file, resume: true }) as ToyResult;
    assert.deepEqual(bits(resumed.weights), bits(straight.weights), `stopped at ${JSON.stringify(stopAt)}`);
    assert.deepEqual(resumed.history, straight.history);
    assert.equal(resumed.bestEpoch, straight.bestEpoch);
  }
  assert.ok(existsSync(file));
});
