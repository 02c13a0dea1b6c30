import { test } from "node:test";
import assert from "node:assert/strict";
import os from "node:os";
import path from "node:path";
import { Rng } from "../../src/core/index.js";
import { PATIENT_SPECIFIC, adaptLocally, predictRecordBeats, combineProbabilities, localBeatsProbabilities, localPriorProbabilities, neighbourProbabilities, prepareData, selfTrainingProbabilities, shiftPrior, splitCautions } from "../../src/experiment/index.js";
import { BatchNorm, buildNetwork, ecgFamiliesSnn } from "../../src/model/index.js";
import { flatArrayData } from "../../src/train/index.js";
import { readRecord, sampleDataDir } from "../../src/data/ecg/index.js";

process.env.SPIKEMED_CACHE ??= path.join(os.tmpdir(), "spikemed-experiment-cache");

const close = (actual: ArrayLike<number>, expected: number[], message?: string): void => {
  assert.equal(actual.length, expected.length, message);
  for (let i = 0; i < expected.length; i++) assert.ok(Math.abs(actual[i] - expected[i]) < 1e-4, `${message ?? ""} [${i}]: ${actual[i]} against ${expected[i]}`);
};

test("nearest-neighbour vote: the k nearest references' classes plus the smoothing, by hand; the query itself does not vote", () => {
  // 1-D references 0, 1, 10 of classes 0, 0, 1; query 0.4, k 2, smoothing 0.5, 2 classes: class 0 gets 2 votes -> 2.5 / 3, class 1 0.5 / 3.
  close(neighbourProbabilities(Float32Array.of(0, 1, 10), [0, 0, 1], Float32Array.of(0.4), 1, 2, { k: 2, smoothing: 0.5 }), [2.5 / 3, 0.5 / 3]);
  // Query 9 with k 2: neighbours 10 (class 1) and 1 (class 0): one vote each.
  close(neighbourProbabilities(Float32Array.of(0, 1, 10), [0, 0, 1], Float32Array.of(9), 1, 2, { k: 2, smoothing: 0.5 }), [0.5, 0.5]);
  // Query 0 is reference 0 itself: excluded, its neighbours are 1 (class 0) and 10 (class 1).
  close(neighbourProbabilities(Float32Array.of(0, 1, 10), [0, 0, 1], Float32Array.of(0), 1, 2, { k: 2, smoothing: 0 }, Int32Array.of(0)), [0.5, 0.5]);
  close(neighbourProbabilities(Float32Array.of(0, 1, 10), [0, 0, 1], Float32Array.of(0), 1, 2, { k: 2, smoothing: 0 }), [1, 0], "not excluded, it votes");
  // Two dimensions: distance is Euclidean over both columns.
  close(neighbourProbabilities(Float32Array.of(0, 3, 2, 0), [0, 1], Float32Array.of(0, 0), 2, 2, { k: 1, smoothing: 0 }), [0, 1], "(2, 0) is nearer than (0, 3)");
  // k larger than the references: all vote.
  close(neighbourProbabilities(Float32Array.of(0, 1), [1, 1], Float32Array.of(5), 1, 3, { k: 10, smoothing: 1 }), [1 / 5, 3 / 5, 1 / 5]);
});

test("product rule: p_network^(1-w) p_local^w normalised, by hand", () => {
  close(combineProbabilities(Float32Array.of(0.8, 0.2), Float32Array.of(0.2, 0.8), 2, 0.5), [0.5, 0.5]);
  close(combineProbabilities(Float32Array.of(0.8, 0.2), Float32Array.of(0.2, 0.8), 2, 0), [0.8, 0.2]);
  close(combineProbabilities(Float32Array.of(0.8, 0.2), Float32Array.of(0.2, 0.8), 2, 1), [0.2, 0.8]);
  // w 0.5 on (0.9, 0.1) and (0.5, 0.5): sqrt(0.45) and sqrt(0.05), normalised.
  const a = Math.sqrt(0.45);
  const b = Math.sqrt(0.05);
  close(combineProbabilities(Float32Array.of(0.9, 0.1), Float32Array.of(0.5, 0.5), 2, 0.5), [a / (a + b), b / (a + b)]);
});

test("local beats vote only on their own record; a record without local beats keeps the network's probabilities", () => {
  const settings = { k: 1, smoothing: 0, weight: 0.5 };
  // Test beats: record A at 0 and 10, record B at 0. Local beats: A at 0 (class 1) and 10 (class 0); B none. Network: uniform.
  const out = localBeatsProbabilities({ rows: Float32Array.of(0, 10, 0), probabilities: Float32Array.of(0.5, 0.5, 0.5, 0.5, 0.3, 0.7), groups: ["A", "A", "B"] },
    { rows: Float32Array.of(0, 10), labels: [1, 0], groups: ["A", "A"] }, 1, 2, settings);
  close(out.subarray(0, 2), [0, 1], "A's beat at 0 takes its local neighbour's class");
  close(out.subarray(2, 4), [1, 0]);
  close(out.subarray(4, 6), [0.3, 0.7], "record B: the network's");
});

test("self-training reads no label: confident beats, labelled by the network, vote on their record's other beats", () => {
  const settings = { k: 1, smoothing: 0, weight: 0.5, confidence: 0.9 };
  // One record: beats at 0, 0.1 (confidently class 0), 5 (confidently class 1), 0.2 (unsure, leaning 1). The unsure beat's nearest confident beat is 0.1: class 0.
  const probabilities = Float32Array.of(0.95, 0.05, 0.92, 0.08, 0.02, 0.98, 0.4, 0.6);
  const out = selfTrainingProbabilities({ rows: Float32Array.of(0, 0.1, 5, 0.2), probabilities, groups: ["r", "r", "r", "r"] }, 1, 2, settings);
  close(out.subarray(6, 8), [1, 0], "the unsure beat follows its confident neighbour");
  // Beat 2 (the only class-1 beat) is its own nearest reference but may not vote for itself: its neighbour is 0.1 (class 0) -> weight 0.5 product with zero smoothing gives class 0.
  close(out.subarray(4, 6), [1, 0]);
  // Nothing confident: unchanged.
  const unsure = Float32Array.of(0.6, 0.4, 0.4, 0.6);
  close(selfTrainingProbabilities({ rows: Float32Array.of(0, 1), probabilities: unsure, groups: ["r", "r"] }, 1, 2, settings), Array.from(unsure));
});

test("adaptLocally scales distances by the network's batch-norm statistics and, self-training, never reads a label", () => {
  const model = ecgFamiliesSnn();
  const F = model.features!.length;
  const network = buildNetwork(model, 1);
  const bn = network.layers.find((l) => l instanceof BatchNorm) as BatchNorm;
  const n = 40;
  const rng = new Rng(3);
  const signal = Float32Array.from({ length: n * model.inputShape[0] * model.inputShape[1] }, () => rng.normal());
  // Column 0 separates two groups of beats by 1000 units; the others are noise of size 1.
  const features = Float32Array.from({ length: n * F }, (_, i) => (i % F === 0 ? (Math.floor(i / F) < n / 2 ? 0 : 1000) : rng.normal()));
  const labels = new Proxy(new Uint8Array(n), { get(target, key) { if (typeof key === "string" && /^\d+$/.test(key)) throw new Error("a label was read"); return Reflect.get(target, key); } });
  const data = flatArrayData(signal, model.inputShape, ["N", "S", "V", "F", "Q"], labels, { names: model.features!, values: features });
  const all = Int32Array.from({ length: n }, (_, i) => i);
  // The network's probabilities: the first half confidently N, the second half confidently V, except beats 0 and 39, unsure.
  const probabilities = new Float32Array(n * 5);
  for (let i = 0; i < n; i++) probabilities.set(i < n / 2 ? [0.95, 0.02, 0.01, 0.01, 0.01] : [0.01, 0.02, 0.95, 0.01, 0.01], i * 5);
  probabilities.set([0.3, 0.1, 0.4, 0.1, 0.1], 0);
  probabilities.set([0.4, 0.1, 0.3, 0.1, 0.1], 39 * 5);
  const groups = new Array<string>(n).fill("r");
  // Unit statistics: column 0 dominates the distance, so beat 0 joins the N beats and beat 39 the V beats.
  bn.runningMean.data.fill(0);
  bn.runningVar.data.fill(1);
  const out = adaptLocally(network, data, all, probabilities, groups);
  assert.ok(out[0] > out[2], "beat 0 (leaning V) is called N beside the confident N beats");
  assert.ok(out[39 * 5 + 2] > out[39 * 5], "beat 39 (leaning N) is called V beside the confident V beats");
  // Column 0's variance huge: it no longer counts, neighbours come from noise, and the answer for beat 0 changes from the above.
  bn.runningVar.data[0] = 1e12;
  const flat = adaptLocally(network, data, all, probabilities, groups);
  assert.notDeepEqual(Array.from(flat.subarray(0, 5)), Array.from(out.subarray(0, 5)), "the scaling is the batch-norm layer's");
});

test("local-beats on the embedded sample: the first minutes stay out of training and the test is the rest; the protocol is stated", async () => {
  const spec = { task: "ecg" as const, dataDir: null, split: "inter" as const, seed: 1, validationBy: "records" as const };
  const plain = await prepareData(spec);
  const local = await prepareData({ ...spec, adapt: { kind: "local-beats", minutes: 5 } });
  const fm = await prepareData({ ...spec, adapt: { kind: "first-minutes", minutes: 5 } });
  assert.deepEqual(Array.from(local.split.train), Array.from(plain.split.train), "training is the plain split's");
  assert.deepEqual(Array.from(local.split.test), Array.from(fm.split.test), "the test is first-minutes' (DS2 after minute 5)");
  assert.deepEqual([...local.localBeats!, ...local.split.test].sort((a, b) => a - b), Array.from(plain.split.test));
  assert.match(local.splitDescription, /local stage: .* \d+ local beats \(the first 5 minutes of each DS2 record, labelled, voting beside the network\), test \d+ \(DS2 beats after minute 5\)/);
  assert.match(splitCautions(local.spec)[0], /^patient-specific protocol \(--adapt local-beats 5/);
  assert.match(splitCautions({ ...spec, adapt: { kind: "self-training" } })[0], /^label-free adaptation \(--adapt self-training\)/);
});

test("patient-specific prior: each record's probabilities times its local beats' class frequencies (plus the smoothing) to the power gamma, by hand", () => {
  const test_ = { probabilities: Float32Array.of(0.5, 0.5, 0.5, 0.5, 0.2, 0.8), groups: ["A", "A", "B"] };
  const local = { labels: [0, 0, 0, 1], groups: ["A", "A", "A", "A"] };
  // A: counts 3, 1 -> prior 0.75, 0.25; B has no local beats.
  close(localPriorProbabilities(test_, local, 2, { smoothing: 0, gamma: 1 }), [0.75, 0.25, 0.75, 0.25, 0.2, 0.8]);
  const a = Math.sqrt(0.75);
  const b = Math.sqrt(0.25);
  close(localPriorProbabilities(test_, local, 2, { smoothing: 0, gamma: 0.5 }).subarray(0, 2), [a / (a + b), b / (a + b)]);
  // smoothing 1: (3 + 1) / 6, (1 + 1) / 6
  close(localPriorProbabilities(test_, local, 2, { smoothing: 1, gamma: 1 }).subarray(0, 2), [4 / 6, 2 / 6]);
  close(shiftPrior(Float32Array.of(0.3, 0.7), 2, [0.5, 0.5], 1), [0.3, 0.7], "a uniform prior changes nothing");
});

test("patient-specific on the embedded sample: the local beats train PATIENT_SPECIFIC.repeat times each, the test is first-minutes'", async () => {
  const spec = { task: "ecg" as const, dataDir: null, split: "inter" as const, seed: 1, validationBy: "records" as const };
  const plain = await prepareData(spec);
  const fm = await prepareData({ ...spec, adapt: { kind: "first-minutes", minutes: 5 } });
  const ps = await prepareData({ ...spec, adapt: { kind: "patient-specific", minutes: 5 } });
  assert.deepEqual(Array.from(ps.split.test), Array.from(fm.split.test));
  assert.deepEqual(Array.from(ps.split.val), Array.from(fm.split.val));
  const local = ps.localBeats!;
  assert.equal(ps.split.train.length, plain.split.train.length + PATIENT_SPECIFIC.repeat * local.length);
  const times = new Map<number, number>();
  for (const i of ps.split.train) times.set(i, (times.get(i) ?? 0) + 1);
  assert.ok(Array.from(local).every((i) => times.get(i) === PATIENT_SPECIFIC.repeat));
  assert.ok(Array.from(plain.split.train).every((i) => times.get(i) === 1));
  assert.match(splitCautions(ps.spec)[0], /^patient-specific protocol \(--adapt patient-specific 5/);
  assert.match(ps.splitDescription, new RegExp(`\\(${local.length} DS2 beats x ${PATIENT_SPECIFIC.repeat}\\)`));
});

test("predict --adapt self-training on a lone record: the same answers with and without its annotations, each row a distribution", () => {
  const model = ecgFamiliesSnn();
  const network = buildNetwork(model, 2);
  const manifest = { format: "spikemed-run" as const, version: 1 as const, task: "ecg" as const, model, classNames: ["N", "S", "V", "F", "Q"],
    data: { task: "ecg" as const, dataDir: null, split: "inter" as const, seed: 1 }, train: {}, seed: 2, createdAt: "2026-12-08T00:00:00Z" };
  const annotated = readRecord(sampleDataDir(), "100", { annotator: "atr" });
  const bare = readRecord(sampleDataDir(), "100", { annotator: null });
  assert.ok(annotated.annotations && !bare.annotations);
  const a = predictRecordBeats(network, manifest, annotated, "100", "self-training");
  const b = predictRecordBeats(network, manifest, bare, "100", "self-training");
  assert.deepEqual(Array.from(a.probabilities), Array.from(b.probabilities));
  for (let r = 0; r < a.labels.length; r++) {
    const row = a.probabilities.subarray(r * 5, (r + 1) * 5);
    assert.ok(Math.abs(row.reduce((x, y) => x + y, 0) - 1) < 1e-5 && row.every((v) => v >= 0 && Number.isFinite(v)));
  }
  const noBatchNorm = { ...manifest, model: { ...model, layers: model.layers.filter((l) => l.type !== "batchnorm") } };
  assert.throws(() => predictRecordBeats(buildNetwork(noBatchNorm.model, 2), noBatchNorm, bare, "100", "self-training"), /no batch-norm layer over its 11 measurements/);
});
