import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { readRecord } from "../../src/data/ecg/index.js";
import {
  adaptedProbabilities, evaluateExternal, externalAdaptation, holdsRunRecords, leadsOfRecord, loadRun, prepareExternalEcg, type ExternalAdaptation,
} from "../../src/experiment/index.js";
import { predictProbabilities } from "../../src/train/index.js";
import { argmaxRows, readRunReport } from "../../src/eval/index.js";
import { mitAnnotationBytes, writeWfdbRecord } from "../data/ecg/wfdb-write.js";
import { useFastBackend } from "../model/helpers.js";

useFastBackend();

const main = fileURLToPath(new URL("../../src/cli/main.js", import.meta.url));
const sample = fileURLToPath(new URL("../../../data/mitdb-sample", import.meta.url));
const root = fs.mkdtempSync(path.join(os.tmpdir(), "spikemed-external-"));
after(() => fs.rmSync(root, { recursive: true, force: true }));
// One beat cache for the records read here and by the command line, removed with them.
process.env.SPIKEMED_CACHE = path.join(root, "cache");
const env = { ...process.env };
const cli = (...args: string[]) => {
  const r = spawnSync(process.execPath, [main, ...args], { encoding: "utf8", env });
  return { code: r.status, out: r.stdout, err: r.stderr };
};

const RECORDS = ["100", "208"];
// A run of two seeds; its first seed's folder is a run of its own.
const seeds = path.join(root, "run");
const run = path.join(seeds, "seed-1");

/**
 * The records at `rate` Hz, independently of spikemed's resampler: a moving average as wide as one
 * output sample (against aliasing), then linear interpolation; annotations moved to the nearest
 * output sample. Leads renamed to `leads`; written in `format`.
 */
function writeResampled(dir: string, rate: number, format: number, leads: string[], prefix: string): void {
  fs.mkdirSync(dir, { recursive: true });
  for (const name of RECORDS) {
    const record = readRecord(sample, name);
    const ratio = record.samplingFrequency / rate;
    const width = Math.max(1, Math.round(ratio));
    const frames = Math.floor((record.frameCount - 1) / ratio) + 1;
    const signals = record.digital.map((digital, s) => {
      const smooth = new Float64Array(digital.length);
      for (let i = 0; i < digital.length; i++) {
        let sum = 0;
        for (let k = -Math.floor(width / 2); k < width - Math.floor(width / 2); k++) sum += digital[Math.min(digital.length - 1, Math.max(0, i + k))];
        smooth[i] = sum / width;
      }
      const out = new Int32Array(frames);
      for (let j = 0; j < frames; j++) {
        const at = j * ratio;
        const i = Math.floor(at);
        const next = Math.min(i + 1, smooth.length - 1);
        out[j] = Math.round(smooth[i] + (at - i) * (smooth[next] - smooth[i]));
      }
      const spec = record.header.signals[s];
      return { digital: out, description: leads[s], gain: spec.gain, baseline: spec.baseline };
    });
    writeWfdbRecord(dir, `${prefix}${name}`, rate, format, signals);
    const a = record.annotations!;
    const samples = Array.from(a.sample, (t) => Math.min(frames - 1, Math.round(t / ratio)));
    fs.writeFileSync(path.join(dir, `${prefix}${name}.atr`), mitAnnotationBytes(samples, a.code));
  }
}

const folders = {
  native: path.join(root, "native"),
  r360: path.join(root, "r360"),
  r250: path.join(root, "r250"),
  r128: path.join(root, "r128"),
};

before(() => {
  const t = cli("train", "ecg", "--epochs", "1", "--limit", "600", "--time-steps", "2", "--records", "208", "--seeds", "2", "--threads", "1", "--out", seeds);
  assert.equal(t.code, 0, t.err);
  fs.mkdirSync(folders.native);
  for (const name of RECORDS) for (const ext of ["hea", "dat", "atr"]) fs.copyFileSync(path.join(sample, `${name}.${ext}`), path.join(folders.native, `${name}.${ext}`));
  writeResampled(folders.r360, 360, 16, ["lead A", "lead B"], "");
  writeResampled(folders.r250, 250, 212, ["ECG1", "ECG2"], "e");
  writeResampled(folders.r128, 128, 16, ["CH1", "CH2"], "h");
});

/** Every beat's predicted class, by record, from the run on the folder's records. */
function predictions(dir: string) {
  const { manifest, network } = loadRun(run);
  const external = prepareExternalEcg(manifest, dir);
  const { probabilities } = predictProbabilities(network, external.data, external.indices, 256);
  const predicted = argmaxRows(probabilities, external.indices.length, external.data.classNames.length);
  return { external, predicted, labels: Array.from(external.indices, (i) => external.data.labels[i]) };
}

test("leads: the run's by name where a record has them; otherwise its first signal not read yet, with a warning naming the record and the signal", () => {
  const warnings: string[] = [];
  assert.deepEqual(leadsOfRecord("114", ["V5", "MLII"], ["MLII", "next"], warnings), [1, 0]);
  assert.deepEqual(warnings, []);
  assert.deepEqual(leadsOfRecord("e100", ["ECG1", "ECG2"], ["MLII"], warnings), [0]);
  assert.deepEqual(warnings, ['record e100 has no lead "MLII" (signals: ECG1, ECG2): read through its first lead, signal 0 "ECG1", instead.']);
  assert.deepEqual(leadsOfRecord("x", ["a", "b"], ["MLII", "V1"], warnings), [0, 1]);
  assert.match(warnings[2], /^record x has no lead "V1" \(signals: a, b\): read through its first signal not read yet, signal 1 "b", instead\.$/);
  assert.throws(() => leadsOfRecord("one", ["ECG"], ["MLII", "next"], []), /record one: the run reads 2 leads \(MLII, next\), the record has 1 signal\(s\) \(ECG\)/);
});

test("the same records rewritten at 360 Hz in format 16 with renamed leads score exactly as the originals", () => {
  const { manifest, network } = loadRun(run);
  const native = evaluateExternal(run, manifest, network, folders.native, { outDir: path.join(root, "out-native") });
  const renamed = evaluateExternal(run, manifest, network, folders.r360, { outDir: path.join(root, "out-r360") });
  assert.deepEqual(renamed.evaluation, native.evaluation);
  assert.deepEqual(renamed.byRecord.rows, native.byRecord.rows);
  for (const name of RECORDS) assert.ok(renamed.warnings.some((n) => n.startsWith(`record ${name} has no lead "MLII" (signals: lead A, lead B): read through its first lead, signal 0 "lead A"`)), renamed.warnings.join("\n"));
  assert.ok(native.warnings.some((n) => n.startsWith("records 208 carry the names of records the run was trained on")), native.warnings.join("\n"));
  assert.ok(!native.warnings.some((n) => n.includes("has no lead")), "the originals have MLII");
  // The pooled row of the record table is the evaluation's confusion matrix, counted again.
  const gross = native.byRecord.rows.find((r) => r[0] === "gross (pooled)")!;
  assert.equal(gross[1], native.evaluation.n);
  assert.equal(gross[2], native.evaluation.confusionMatrix.map((row) => row.reduce((a, b) => a + b, 0)).join(" / "));
  const [, s, v] = [0, 1, 2].map((c) => native.evaluation.perClass[c]);
  const pct = (x: number | null) => (x === null ? "-" : `${(100 * x).toFixed(2)}%`);
  assert.deepEqual(gross.slice(4, 8), [pct(s.recall.estimate), pct(s.precision.estimate), pct(v.recall.estimate), pct(v.precision.estimate)]);
  // A report folder that compare reads like any run's.
  const report = readRunReport(native.outDir);
  assert.equal(report.evaluations[0].name, "external");
  const md = fs.readFileSync(path.join(native.outDir, "report.md"), "utf8");
  assert.match(md, /## Test accuracy by record\n/);
  assert.match(fs.readFileSync(path.join(renamed.outDir, "report.md"), "utf8"), /> \*\*Caution:\*\* record 100 has no lead "MLII"/);
  assert.match(md, /\| Cohen's kappa \| -?\d\.\d{4} \[/);
  assert.doesNotMatch(md, /NaN/);
});

test("records resampled to 250 and 128 Hz, with renamed leads, score nearly as the 360 Hz originals", () => {
  const native = predictions(folders.native);
  for (const [rate, dir, prefix] of [[250, folders.r250, "e"], [128, folders.r128, "h"]] as const) {
    const resampled = predictions(dir);
    assert.deepEqual(resampled.external.records, RECORDS.map((r) => `${prefix}${r}`));
    assert.ok(resampled.external.notes.some((n) => n.includes(`${rate} Hz (every record)`) && n.includes("resampled to the run's 120 Hz")), resampled.external.notes.join("\n"));
    // The same annotated beats, with the same labels (a beat near either end may lose its full window).
    assert.ok(Math.abs(resampled.labels.length - native.labels.length) <= 4, `${rate} Hz: ${resampled.labels.length} beats against ${native.labels.length}`);
    const n = Math.min(resampled.labels.length, native.labels.length);
    let sameLabel = 0;
    let samePrediction = 0;
    for (let i = 0; i < n; i++) {
      if (resampled.labels[i] === native.labels[i]) sameLabel++;
      if (resampled.predicted[i] === native.predicted[i]) samePrediction++;
    }
    assert.ok(sameLabel >= n - 4, `${rate} Hz: beats out of step (${sameLabel} of ${n} labels agree)`);
    const agreement = samePrediction / n;
    assert.ok(agreement >= AGREEMENT[rate], `${rate} Hz: ${(100 * agreement).toFixed(2)}% of beats get the class they get at 360 Hz`);
  }
});

test("evaluate --data on another folder scores every record (no split), and says what it did; on a folder of the run's records, it makes the run's split again", () => {
  const e = cli("evaluate", run, "--data", folders.r250, "--threads", "1");
  assert.equal(e.code, 0, e.err);
  assert.match(e.err, /does not hold every record the run was trained and tested on: scoring every record in it as an external database/);
  assert.match(e.out, /split: external: every labelled beat of every record scored/);
  assert.match(e.out, /\nrecord +beats +N \/ S \/ V \/ F \/ Q +accuracy +S Se +S \+P +V Se +V \+P +share of errors\ne100 +\d+ /);
  assert.match(e.out, /warning: record e208 has no lead "MLII" \(signals: ECG1, ECG2\): read through its first lead, signal 0 "ECG1", instead\./);
  assert.match(e.out, /note: sampling rates: 250 Hz \(every record\)/);
  assert.ok(fs.existsSync(path.join(run, "external-r250", "report.md")));
  assert.doesNotMatch(e.out + e.err, /NaN|\n\s+at .*:\d+:\d+/);

  const c = cli("compare", path.join(run, "external-r250"), run);
  assert.equal(c.code, 0, c.err);
  assert.match(c.out, /\| external-r250 \| ecg-snn \| external: every labelled beat/);

  const missing = cli("evaluate", run, "--external");
  assert.notEqual(missing.code, 0);
  assert.match(missing.err, /--external needs --data/);
  // A folder that holds every record of the run (here its one record, 208) is its own database: the run's split is made in it again.
  const { manifest } = loadRun(run);
  assert.deepEqual([folders.native, folders.r360, folders.r250].map((dir) => holdsRunRecords(manifest, dir)), [true, true, false]);
  const again = cli("evaluate", run, "--data", folders.native, "--threads", "1");
  assert.equal(again.code, 0, again.err);
  assert.match(again.out, /on intra-patient \(stratified random, seed 1\)/);
  assert.doesNotMatch(again.out + again.err, /scoring every record|split: external/);
  const split = cli("evaluate", run, "--out", path.join(root, "nowhere"));
  assert.notEqual(split.code, 0);
  assert.match(split.err, /--out is for an external evaluation/);
});

test("a run of several seeds on another folder: each seed scored, then the mean and t interval across seeds", () => {
  const e = cli("evaluate", seeds, "--data", folders.r128, "--external", "--threads", "1");
  assert.equal(e.code, 0, e.err);
  const out = path.join(seeds, "external-r128");
  const perSeed = [1, 2].map((seed) => readRunReport(path.join(out, `seed-${seed}`)).evaluations[0].evaluation);
  const summary = readRunReport(out);
  const aggregate = summary.seedAggregate!;
  assert.deepEqual(aggregate.seeds, [1, 2]);
  assert.deepEqual(aggregate.kappa!.values, perSeed.map((x) => x.kappa!.estimate));
  assert.deepEqual(aggregate.perClass[2].precision!.values, perSeed.map((x) => x.perClass[2].precision.estimate));
  assert.equal(aggregate.accuracy.mean, (perSeed[0].accuracy.estimate! + perSeed[1].accuracy.estimate!) / 2);
  assert.match(e.out, /across 2 seeds \(1, 2\): mean \[95% t interval of the mean\]\naccuracy \d+\.\d\d% \[/);
  assert.match(e.out, /\nV: Se (\d+\.\d\d%|n\/a)( \[[^\]]*\])?, \+P (\d+\.\d\d%|n\/a)( \[[^\]]*\])?, FPR \d+\.\d\d%/);
  const md = fs.readFileSync(path.join(out, "report.md"), "utf8");
  assert.match(md, /## Across 2 seeds \(1, 2\)/);
  assert.match(md, /\| \+P V \| /);
  assert.doesNotMatch(e.out + md, /NaN/);

  const refused = cli("evaluate", seeds);
  assert.notEqual(refused.code, 0);
  assert.match(refused.err, /holds a run of 2 seeds \(seed-1, seed-2\)/);
});

/** Share of beats that must keep the class they get at 360 Hz: measured 99.90% at 250 Hz and 99.60% at 128 Hz (5,221 beats, all labels in step). */
const AGREEMENT: Record<number, number> = { 250: 0.99, 128: 0.98 };

test("a model reading a second lead's features (a template measure or a lead2- family) refuses a folder of one-signal records, naming the record", () => {
  const dir = path.join(root, "one-signal");
  fs.mkdirSync(dir, { recursive: true });
  const record = readRecord(sample, "100");
  writeWfdbRecord(dir, "100", record.samplingFrequency, 16, [{ digital: record.digital[0], description: "MLII" }]);
  fs.copyFileSync(path.join(sample, "100.atr"), path.join(dir, "100.atr"));
  const { manifest } = loadRun(run);
  for (const feature of ["lead2_template_correlation", "lead2_morph_t_max"]) {
    const reading = { ...manifest, model: { ...manifest.model, features: [...(manifest.model.features ?? []), feature] } };
    assert.throws(() => prepareExternalEcg(reading, dir), new RegExp(`record 100: the model reads features of a second lead \\(${feature}\\), but the record has one signal`));
  }
});

// A tiny run of a model with a batch-norm layer over its measurements (four epochs: enough for confident beats, which
// self-training needs), one without, and a folder of two other records.
const adaptRun = path.join(root, "adapt-run");
const unbatchedRun = path.join(root, "logreg");
const adaptFolder = path.join(root, "other");
const ADAPT_RECORDS = ["100", "213"];

before(() => {
  const t = cli("train", "ecg", "--model", "mlp-families", "--epochs", "4", "--limit", "600", "--records", "208", "--threads", "1", "--out", adaptRun);
  assert.equal(t.code, 0, t.err);
  const l = cli("train", "ecg", "--model", "logreg", "--epochs", "1", "--limit", "100", "--records", "208", "--threads", "1", "--out", unbatchedRun);
  assert.equal(l.code, 0, l.err);
  fs.mkdirSync(adaptFolder);
  for (const name of ADAPT_RECORDS) for (const ext of ["hea", "dat", "atr"]) fs.copyFileSync(path.join(sample, `${name}.${ext}`), path.join(adaptFolder, `${name}.${ext}`));
});

/** The largest absolute difference between two probability matrices, after checking every entry is finite. */
function largestDifference(a: Float32Array, b: Float32Array): number {
  assert.equal(a.length, b.length);
  assert.ok(a.every(Number.isFinite) && b.every(Number.isFinite), "a probability is not finite");
  return a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);
}

test("unlabeled and self-training change every record's probabilities from the plain ones, read no label, and score every beat under their own name", () => {
  const { manifest, network } = loadRun(adaptRun);
  const external = prepareExternalEcg(manifest, adaptFolder);
  const plain = predictProbabilities(network, external.data, external.indices, 256).probabilities;
  // Reading any label throws: the protocols see the beats' signals and measurements only.
  const labels = new Proxy(external.data.labels, { get(target, key) { if (typeof key === "string" && /^\d+$/.test(key)) throw new Error("a label was read"); return Reflect.get(target, key); } });
  const blind = { ...external.data, labels };
  const plainScore = evaluateExternal(adaptRun, manifest, network, adaptFolder, { outDir: path.join(root, "plain") });
  for (const adapt of [{ kind: "unlabeled" }, { kind: "self-training" }] as ExternalAdaptation[]) {
    const adapted = adaptedProbabilities(network, blind, external.indices, adapt, external.groups.of, undefined, 256);
    assert.ok(largestDifference(adapted, plain) > 1e-3, `${adapt.kind}: the probabilities are the plain ones`);
    const result = evaluateExternal(adaptRun, manifest, network, adaptFolder, { adapt });
    assert.equal(result.outDir, path.join(adaptRun, `external-other-adapt-${adapt.kind}`));
    assert.equal(result.evaluation.n, external.indices.length);
    assert.ok(Number.isFinite(result.evaluation.macroAuc!.estimate) && result.evaluation.macroAuc!.estimate !== plainScore.evaluation.macroAuc!.estimate,
      `${adapt.kind}: macro AUC ${result.evaluation.macroAuc!.estimate} against the plain ${plainScore.evaluation.macroAuc!.estimate}`);
    const report = readRunReport(result.outDir);
    assert.equal(report.evaluations[0].name, `external, adapted (--adapt ${adapt.kind})`);
    assert.match(report.split!, new RegExp(`^external, adapted \\(--adapt ${adapt.kind}\\): every labelled beat of every record scored.*no label read`));
  }
  assert.equal(readRunReport(path.join(root, "plain")).evaluations[0].name, "external", "the plain report stays the plain one");
});

test("local-beats N: each record's first N minutes vote and are left out; only the beats after minute N are scored", () => {
  const { manifest, network } = loadRun(adaptRun);
  const external = prepareExternalEcg(manifest, adaptFolder);
  const minutes = 5;
  // The R peaks from the annotations themselves, at each record's own rate (360 Hz): after minute 5 is sample 108000 on.
  for (const name of ADAPT_RECORDS) assert.equal(readRecord(adaptFolder, name).samplingFrequency, 360);
  const later = external.indices.filter((i) => external.beats.sampleOfBeat[i] >= minutes * 60 * 360);
  const early = external.indices.filter((i) => external.beats.sampleOfBeat[i] < minutes * 60 * 360);
  assert.ok(early.length > 100 && later.length > early.length, `${early.length} beats before minute 5, ${later.length} after`);
  const result = evaluateExternal(adaptRun, manifest, network, adaptFolder, { adapt: { kind: "local-beats", minutes } });
  assert.equal(result.evaluation.n, later.length);
  // Each record's row counts its beats after minute 5 only.
  for (const name of ADAPT_RECORDS) {
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
  const e = cli("evaluate", adaptRun, "--data", adaptFolder, "--external", "--adapt", "local-beats", "5", "--threads", "1");
  assert.equal(e.code, 0, e.err);
  assert.match(e.out, /\nsplit: external, adapted \(--adapt local-beats 5\): \d+ local beats .* test \d+ \(each record's beats after minute 5\)\n/);
  assert.ok(fs.existsSync(path.join(adaptRun, "external-other-adapt-local-beats-5", "report.md")));
  assert.doesNotMatch(e.out + e.err, /NaN|\n\s+at .*:\d+:\d+/);
  const oneLine = (r: { code: number | null; err: string }, pattern: RegExp) => {
    // The error's one line, and the fix on the line after it: no stack trace.
    assert.equal(r.code, 1, r.err);
    const lines = r.err.trim().split("\n");
    assert.ok(lines.length === 2 && lines[1].startsWith("  fix: "), r.err);
    assert.match(lines.join("\n"), pattern);
  };
  for (const kind of ["first-minutes", "patient-specific"]) {
    oneLine(cli("evaluate", adaptRun, "--data", adaptFolder, "--external", "--adapt", kind, "--threads", "1"),
      new RegExp(`^error: --adapt ${kind} trains the model on each test record's first 5 minutes, and evaluate scores a trained run without training it\n  fix: train a run with --split inter --adapt ${kind} 5`));
  }
  oneLine(cli("evaluate", unbatchedRun, "--data", adaptFolder, "--external", "--adapt", "unlabeled", "--threads", "1"), /^error: --adapt unlabeled re-estimates a model's batch-norm statistics on each test record; model "[^"]+" has no batch-norm layer/);
  oneLine(cli("evaluate", unbatchedRun, "--data", adaptFolder, "--external", "--adapt", "self-training", "--threads", "1"), /^error: --adapt self-training compares beats in a model's batch-norm-scaled measurements/);
  oneLine(cli("evaluate", adaptRun, "--adapt", "unlabeled", "--threads", "1"), /^error: --adapt on evaluate applies to an external evaluation/);
  assert.throws(() => externalAdaptation(["local-beats", "soon"]), /expected a positive number of minutes after local-beats/);
});
