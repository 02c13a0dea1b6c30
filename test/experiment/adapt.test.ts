import { test } from "node:test";
import assert from "node:assert/strict";
import os from "node:os";
import path from "node:path";
import { DS2_RECORDS, isBeatCode, readRecord, sampleDataDir } from "../../src/data/ecg/index.js";
import { Rng } from "../../src/core/index.js";
import { firstMinutesSplit, predictAdaptedByGroup, prepareData, splitCautions, withAdaptedNetwork } from "../../src/experiment/index.js";
import { BatchNorm, buildNetwork, ecgFamiliesMlp, ecgFamiliesSnn } from "../../src/model/index.js";
import { flatArrayData, predictProbabilities } from "../../src/train/index.js";

process.env.SPIKEMED_CACHE ??= path.join(os.tmpdir(), "spikemed-experiment-cache");

test("first-minutes: each test beat before minute N of its own record, by that record's rate, moves to training; the rest stays the test", () => {
  // Record 0 trains; records 1 (360 Hz) and 2 (128 Hz) are the test patients. 5 minutes: sample 108,000 at 360 Hz, 38,400 at 128 Hz.
  const recordOfBeat = [0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2];
  const sampleOfBeat = [10, 200_000, 500_000, 500, 107_999, 108_000, 300_000, 100, 38_399, 38_400, 40_000];
  const split = { train: Int32Array.of(0, 1), val: Int32Array.of(2), test: Int32Array.of(3, 4, 5, 6, 7, 8, 9, 10) };
  const adapted = firstMinutesSplit(split, { recordOfBeat, sampleOfBeat }, [360, 360, 128], 5);
  assert.deepEqual(Array.from(adapted.adaptation), [3, 4, 7, 8]);
  assert.deepEqual(Array.from(adapted.test), [5, 6, 9, 10], "beat 10 (sample 40,000: 312.5 s at 128 Hz) stays a test beat though 40,000 < 108,000");
  assert.deepEqual(Array.from(adapted.train), [0, 1, 3, 4, 7, 8]);
  assert.deepEqual(Array.from(adapted.val), [2], "validation is untouched");
  // half a minute moves only what lies before 30 s
  const short = firstMinutesSplit(split, { recordOfBeat, sampleOfBeat }, [360, 360, 128], 0.5);
  assert.deepEqual(Array.from(short.adaptation), [3, 7]);
  assert.throws(() => firstMinutesSplit(split, { recordOfBeat, sampleOfBeat }, [360, 360, 128], 0), /positive/);
});

test("first-minutes on the embedded MIT-BIH sample: the DS2 records' first 5 annotated minutes train, no test beat trains, the test is the rest of each DS2 record", async () => {
  const spec = { task: "ecg" as const, dataDir: null, split: "inter" as const, seed: 1, validationBy: "records" as const };
  const plain = await prepareData(spec);
  const adapted = await prepareData({ ...spec, adapt: { kind: "first-minutes", minutes: 5 } });
  const recordOf = (i: number): string => adapted.groups!.of[i]!;
  const inTrain = new Set(adapted.split.train);
  assert.ok(adapted.split.test.every((i) => !inTrain.has(i)), "no test beat is a training beat");
  assert.deepEqual(Array.from(adapted.split.val), Array.from(plain.split.val), "validation (DS1 records) is the plain split's");
  const moved = Array.from(adapted.split.train).filter((i) => !plain.split.train.includes(i));
  assert.deepEqual([...moved, ...adapted.split.test].sort((a, b) => a - b), Array.from(plain.split.test), "every DS2 beat is either moved to training or tested");
  assert.ok(moved.every((i) => DS2_RECORDS.includes(recordOf(i))) && adapted.split.test.every((i) => DS2_RECORDS.includes(recordOf(i))));
  for (const name of ["100", "213", "232"]) {
    // Independent count: the record's beat annotations before 300 s (108,000 samples at 360 Hz); the loader leaves out the
    // first and last beats whose window runs off the record.
    const annotations = readRecord(sampleDataDir(), name, { requireAnnotations: true }).annotations!;
    const annotated = Array.from(annotations.code).filter((code, k) => isBeatCode(code) && annotations.sample[k] < 108_000).length;
    const movedHere = moved.filter((i) => recordOf(i) === name).length;
    assert.ok(movedHere <= annotated && movedHere >= annotated - 3, `record ${name}: ${movedHere} beats moved, ${annotated} annotated in the first 5 minutes`);
    assert.ok(adapted.split.test.some((i) => recordOf(i) === name), `record ${name} keeps test beats`);
  }
  assert.match(adapted.splitDescription, /patient-specific: the first 5 minutes of each DS2 record, labelled, join training: train \d+ \(\d+ of them DS2 beats of the first 5 minutes\).*test \d+ \(DS2 beats after minute 5\)/);
  assert.match(splitCautions(adapted.spec)[0], /^patient-specific protocol \(--adapt first-minutes 5/);
  assert.deepEqual(splitCautions(plain.spec), []);
  assert.throws(() => prepareData({ ...spec, split: "intra", adapt: { kind: "first-minutes", minutes: 5 } }), /--adapt applies to --split inter only/);
});

/** Two synthetic "records" of beats for ecg-snn-families: random windows, and features whose scale and offset differ by record. */
function twoRecords() {
  const model = ecgFamiliesSnn();
  const F = model.features!.length;
  const n = 60;
  const rng = new Rng(7);
  const x = Float32Array.from({ length: n * 256 }, () => rng.normal());
  const values = Float32Array.from({ length: n * F }, (_, k) => (Math.floor(k / F) < 25 ? 1 + 0.5 * rng.normal() : -3 + 4 * rng.normal()) + (k % F));
  const groupOf = Array.from({ length: n }, (_, i) => (i < 25 ? "A" : "B"));
  const labels = Int32Array.from({ length: n }, (_, i) => i % 5);
  const data = flatArrayData(x, [1, 256], ["N", "S", "V", "F", "Q"], labels, { names: model.features!, values });
  return { model, F, n, values, groupOf, data };
}

test("AdaBN: the batch-norm layer's statistics become the record's own features' mean and unbiased variance, from inputs alone; the trained ones come back", () => {
  const { model, F, values, groupOf, data } = twoRecords();
  const network = buildNetwork(model, 1);
  const batchNorm = network.layers.find((l): l is BatchNorm => l instanceof BatchNorm)!;
  batchNorm.runningMean.data.fill(0.25);
  const trained = network.buffers().map((b) => Array.from(b.tensor.data));
  const recordA = Int32Array.from({ length: 25 }, (_, i) => i);
  // labels that cannot be read: adapting and predicting never touch them
  const unlabelled = { ...data, get labels(): ArrayLike<number> { throw new Error("a label was read"); } };
  const seen = withAdaptedNetwork(network, unlabelled, recordA, () => [Array.from(batchNorm.runningMean.data), Array.from(batchNorm.runningVar.data)]);
  for (let f = 0; f < F; f++) {
    const column = Array.from(recordA, (i) => values[i * F + f]);
    const mean = column.reduce((a, b) => a + b, 0) / column.length;
    const variance = column.reduce((a, b) => a + (b - mean) ** 2, 0) / (column.length - 1);
    assert.ok(Math.abs(seen[0][f] - mean) < 1e-4 * (1 + Math.abs(mean)), `feature ${f}: mean ${seen[0][f]} against ${mean}`);
    assert.ok(Math.abs(seen[1][f] - variance) < 1e-4 * variance, `feature ${f}: variance ${seen[1][f]} against ${variance}`);
  }
  assert.deepEqual(network.buffers().map((b) => Array.from(b.tensor.data)), trained, "the trained statistics are restored");
  // record by record: each record's rows are what adapting to that record alone gives, whatever the labels say
  const all = Int32Array.from({ length: groupOf.length }, (_, i) => i);
  const byRecord = predictAdaptedByGroup(network, unlabelled, all, groupOf, 16);
  const scrambled = predictAdaptedByGroup(network, { ...data, labels: Int32Array.from(data.labels as Int32Array).reverse() }, all, groupOf, 16);
  assert.deepEqual(Array.from(byRecord), Array.from(scrambled));
  const aloneA = withAdaptedNetwork(network, data, recordA, () => predictProbabilities(network, data, recordA, 16).probabilities);
  assert.deepEqual(Array.from(byRecord.subarray(0, 25 * 5)), Array.from(aloneA));
  const plain = predictProbabilities(network, data, all, 16).probabilities;
  assert.notDeepEqual(Array.from(byRecord), Array.from(plain), "adapting changes the predictions");
  assert.deepEqual(network.buffers().map((b) => Array.from(b.tensor.data)), trained);
});

test("--adapt unlabeled is refused for a network without batch norm", () => {
  const { data } = twoRecords();
  const network = buildNetwork(ecgFamiliesMlp(), 1);
  network.layers.splice(network.layers.findIndex((l) => l instanceof BatchNorm), 1);
  assert.throws(() => withAdaptedNetwork(network, data, [0, 1], () => 0), /has no batch-norm layer/);
});
