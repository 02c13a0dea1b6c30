import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { readRecord } from "../../src/data/ecg/index.js";
import { adaptedProbabilities, evaluateExternal, externalAdaptation, loadRun, prepareExternalEcg, type ExternalAdaptation } from "../../src/experiment/index.js";
import { readRunReport } from "../../src/eval/index.js";
import { predictProbabilities } from "../../src/train/index.js";
import { useFastBackend } from "../model/helpers.js";

useFastBackend();

const main = fileURLToPath(new URL("../../src/cli/main.js", import.meta.url));
const sample = fileURLToPath(new URL("../../../data/mitdb-sample", import.meta.url));
const root = fs.mkdtempSync(path.join(os.tmpdir(), "spikemed-external-adapt-"));
after(() => fs.rmSync(root, { recursive: true, force: true }));
process.env.SPIKEMED_CACHE = path.join(root, "cache");
const env = { ...process.env };
const cli = (...args: string[]) => {
  const r = spawnSync(process.execPath, [main, ...args], { encoding: "utf8", env });
  return { code: r.status, out: r.stdout, err: r.stderr };
};

// A tiny run of a model with a batch-norm layer over its measurements (four epochs: enough for confident beats, which
// self-training needs), one without, and a folder of two other records.
const run = path.join(root, "run");
const plainRun = path.join(root, "logreg");
const folder = path.join(root, "other");
const RECORDS = ["100", "213"];

before(() => {
  const t = cli("train", "ecg", "--model", "mlp-families", "--epochs", "4", "--limit", "600", "--records", "208", "--threads", "1", "--out", run);
  assert.equal(t.code, 0, t.err);
  const l = cli("train", "ecg", "--model", "logreg", "--epochs", "1", "--limit", "100", "--records", "208", "--threads", "1", "--out", plainRun);
  assert.equal(l.code, 0, l.err);
  fs.mkdirSync(folder);
  for (const name of RECORDS) for (const ext of ["hea", "dat", "atr"]) fs.copyFileSync(path.join(sample, `${name}.${ext}`), path.join(folder, `${name}.${ext}`));
});

/** The largest absolute difference between two probability matrices, after checking every entry is finite. */
function largestDifference(a: Float32Array, b: Float32Array): number {
  assert.equal(a.length, b.length);
  assert.ok(a.every(Number.isFinite) && b.every(Number.isFinite), "a probability is not finite");
  return a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);
}

test("unlabeled and self-training change every record's probabilities from the plain ones, read no label, and score every beat under their own name", () => {
  const { manifest, network } = loadRun(run);
  const external = prepareExternalEcg(manifest, folder);
  const plain = predictProbabilities(network, external.data, external.indices, 256).probabilities;
  // Reading any label throws: the protocols see the beats' signals and measurements only.
  const labels = new Proxy(external.data.labels, { get(target, key) { if (typeof key === "string" && /^\d+$/.test(key)) throw new Error("a label was read"); return Reflect.get(target, key); } });
  const blind = { ...external.data, labels };
  const plainRun = evaluateExternal(run, manifest, network, folder, { outDir: path.join(root, "plain") });
  for (const adapt of [{ kind: "unlabeled" }, { kind: "self-training" }] as ExternalAdaptation[]) {
    const adapted = adaptedProbabilities(network, blind, external.indices, adapt, external.groups.of, undefined, 256);
    assert.ok(largestDifference(adapted, plain) > 1e-3, `${adapt.kind}: the probabilities are the plain ones`);
    const result = evaluateExternal(run, manifest, network, folder, { adapt });
    assert.equal(result.outDir, path.join(run, `external-other-adapt-${adapt.kind}`));
    assert.equal(result.evaluation.n, external.indices.length);
    assert.ok(Number.isFinite(result.evaluation.macroAuc!.estimate) && result.evaluation.macroAuc!.estimate !== plainRun.evaluation.macroAuc!.estimate,
      `${adapt.kind}: macro AUC ${result.evaluation.macroAuc!.estimate} against the plain ${plainRun.evaluation.macroAuc!.estimate}`);
    const report = readRunReport(result.outDir);
    assert.equal(report.evaluations[0].name, `external, adapted (--adapt ${adapt.kind})`);
    assert.match(report.split!, new RegExp(`^external, adapted \\(--adapt ${adapt.kind}\\): every labelled beat of every record scored.*no label read`));
  }
  assert.equal(readRunReport(path.join(root, "plain")).evaluations[0].name, "external", "the plain report stays the plain one");
});

test("local-beats N: each record's first N minutes vote and are left out; only the beats after minute N are scored", () => {
  const { manifest, network } = loadRun(run);
  const external = prepareExternalEcg(manifest, folder);
  const minutes = 5;
  // The R peaks from the annotations themselves, at each record's own rate (360 Hz): after minute 5 is sample 108000 on.
  for (const name of RECORDS) assert.equal(readRecord(folder, name).samplingFrequency, 360);
  const later = external.indices.filter((i) => external.beats.sampleOfBeat[i] >= minutes * 60 * 360);
  const early = external.indices.filter((i) => external.beats.sampleOfBeat[i] < minutes * 60 * 360);
  assert.ok(early.length > 100 && later.length > early.length, `${early.length} beats before minute 5, ${later.length} after`);
  const result = evaluateExternal(run, manifest, network, folder, { adapt: { kind: "local-beats", minutes } });
  assert.equal(result.evaluation.n, later.length);
  // Each record's row counts its beats after minute 5 only.
  for (const name of RECORDS) {
    const row = result.byRecord.rows.find((r) => r[0] === name)!;
    assert.equal(row[1], later.filter((i) => external.groups.of[i] === name).length, `record ${name}`);
  }
  const labelsLater = Array.from(later, (i) => external.data.labels[i]);
  assert.deepEqual(result.evaluation.confusionMatrix.map((row) => row.reduce((a, b) => a + b, 0)), [0, 1, 2, 3, 4].map((c) => labelsLater.filter((y) => y === c).length));
  assert.match(result.report.split!, new RegExp(`^external, adapted \\(--adapt local-beats 5\\): ${early.length} local beats \\(the first 5 minutes of each record, labelled, voting beside the network\\) left out; test ${later.length} \\(each record's beats after minute 5\\)$`));
  // The vote changes the network's answers on the later beats.
  const plain = predictProbabilities(network, external.data, later, 256).probabilities;
  const adapted = adaptedProbabilities(network, external.data, later, { kind: "local-beats", minutes }, external.groups.of, early, 256);
  assert.ok(largestDifference(adapted, plain) > 1e-3, "local-beats: the probabilities are the plain ones");
});

test("evaluate --external --adapt: an adapted evaluation of its own; retraining protocols, models without batch norm and a run's own split refused in one line", () => {
  const e = cli("evaluate", run, "--data", folder, "--external", "--adapt", "local-beats", "5", "--threads", "1");
  assert.equal(e.code, 0, e.err);
  assert.match(e.out, /\nsplit: external, adapted \(--adapt local-beats 5\): \d+ local beats .* test \d+ \(each record's beats after minute 5\)\n/);
  assert.ok(fs.existsSync(path.join(run, "external-other-adapt-local-beats-5", "report.md")));
  assert.doesNotMatch(e.out + e.err, /NaN|\n\s+at .*:\d+:\d+/);
  const oneLine = (r: { code: number | null; err: string }, pattern: RegExp) => {
    // The error's one line, and the fix on the line after it: no stack trace.
    assert.equal(r.code, 1, r.err);
    const lines = r.err.trim().split("\n");
    assert.ok(lines.length === 2 && lines[1].startsWith("  fix: "), r.err);
    assert.match(lines.join("\n"), pattern);
  };
  for (const kind of ["first-minutes", "patient-specific"]) {
    oneLine(cli("evaluate", run, "--data", folder, "--external", "--adapt", kind, "--threads", "1"),
      new RegExp(`^error: --adapt ${kind} trains the model on each test record's first 5 minutes, and evaluate scores a trained run without training it\n  fix: train a run with --split inter --adapt ${kind} 5`));
  }
  oneLine(cli("evaluate", plainRun, "--data", folder, "--external", "--adapt", "unlabeled", "--threads", "1"), /^error: --adapt unlabeled re-estimates a model's batch-norm statistics on each test record; model "[^"]+" has no batch-norm layer/);
  oneLine(cli("evaluate", plainRun, "--data", folder, "--external", "--adapt", "self-training", "--threads", "1"), /^error: --adapt self-training compares beats in a model's batch-norm-scaled measurements/);
  oneLine(cli("evaluate", run, "--adapt", "unlabeled", "--threads", "1"), /^error: --adapt on evaluate applies to an external evaluation/);
  assert.throws(() => externalAdaptation(["local-beats", "soon"]), /expected a positive number of minutes after local-beats/);
});
