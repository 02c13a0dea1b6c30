import { after, test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { XMLValidator } from "fast-xml-parser";
import {
  compareRuns,
  evaluateClassifier,
  readRunReport,
  summarizeEvaluations,
  writeFileAtomic,
  writeRunReport,
  type EpochRecord,
  type RunReportInput,
} from "../../src/eval/index.js";
import { SpikemedError } from "../../src/core/errors.js";
import { RESEARCH_NOTICE } from "../../src/core/notice.js";
import { Rng } from "../../src/core/random.js";

const classNames = ["N", "S", "V"];

function syntheticPredictions(seed: number, n = 600) {
  const rng = new Rng(seed);
  const yTrue = new Int32Array(n);
  const probabilities = new Float32Array(n * 3);
  for (let i = 0; i < n; i++) {
    const u = rng.uniform();
    yTrue[i] = u < 0.8 ? 0 : u < 0.9 ? 1 : 2;
    let sum = 0;
    for (let c = 0; c < 3; c++) {
      const v = Math.exp(rng.normal() + (c === yTrue[i] ? 1.8 : 0));
      probabilities[i * 3 + c] = v;
      sum += v;
    }
    for (let c = 0; c < 3; c++) probabilities[i * 3 + c] /= sum;
  }
  return { yTrue, probabilities };
}

const history: EpochRecord[] = [
  { epoch: 1, trainLoss: 0.9, trainAccuracy: 0.6, valLoss: 0.95, valAccuracy: 0.58, learningRate: 0.001, firingRates: { lif1: 0.21, lif2: 0.1 }, seconds: 12.5 },
  { epoch: 2, trainLoss: 0.5, trainAccuracy: 0.8, valLoss: null, valAccuracy: null, learningRate: 0.0005, firingRates: { lif1: 0.18, lif2: 0.11 }, seconds: 12.1 },
  { epoch: 3, trainLoss: 0.3, trainAccuracy: 0.9, valLoss: 0.35, valAccuracy: 0.88, learningRate: 0.00025, firingRates: { lif1: 0.15, lif2: 0.12 }, seconds: 12.0 },
];

function runInput(seed: number, model: string, withSeeds: boolean): RunReportInput {
  const evaluation = evaluateClassifier({ classNames, ...syntheticPredictions(seed), bootstrap: { resamples: 100, seed: 1 } });
  const perSeed = [1, 2, 3].map((s) => evaluateClassifier({ classNames, ...syntheticPredictions(seed + s), bootstrap: false }));
  return {
    title: `${model} on synthetic beats`,
    model,
    dataset: "synthetic",
    split: "intra",
    config: { model, epochs: 3, optimizer: { name: "adam", lr: 0.001 } },
    history,
    evaluations: [{ name: "test", evaluation }],
    seedAggregate: withSeeds ? summarizeEvaluations([1, 2, 3], perSeed) : undefined,
    timing: { trainSeconds: 36.6, inferenceSamplesPerSecond: 1234.5 },
    energy: {
      title: "Energy per beat",
      columns: ["Model", "Energy (J)"],
      rows: [[model, 2.5e-6]],
      chart: { title: "Energy per beat", categories: [model], series: [{ name: "estimate", values: [2.5e-6] }], yLabel: "J", logScale: true },
    },
    createdAt: "2025-01-02T03:04:05.000Z",
  };
}

const tempDirs: string[] = [];
after(() => tempDirs.forEach((dir) => fs.rmSync(dir, { recursive: true, force: true })));

function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "spikemed-eval-"));
  tempDirs.push(dir);
  return dir;
}

test("writeRunReport writes JSON, Markdown and valid SVG plots, atomically", () => {
  const dir = path.join(tempDir(), "run-snn");
  const report = writeRunReport(dir, runInput(10, "snn", true));
  const files = fs.readdirSync(dir).sort();
  assert.deepEqual(files, [
    "confusion-test.svg",
    "energy.svg",
    "firing-rates.svg",
    "learning-curves.svg",
    "report.json",
    "report.md",
    "roc-test.svg",
  ]);
  for (const file of files.filter((f) => f.endsWith(".svg")))
    assert.equal(XMLValidator.validate(fs.readFileSync(path.join(dir, file), "utf8")), true, `${file} is not valid XML`);

  assert.deepEqual(readRunReport(dir), JSON.parse(JSON.stringify(report)));
  const md = fs.readFileSync(path.join(dir, "report.md"), "utf8");
  // The per-epoch table (as in the ECG paper, plus learning rate, firing rates and time).
  assert.ok(md.includes("| Epoch | Train loss | Train acc | Val loss | Val acc | LR | Rate lif1 | Rate lif2 | Time (s) |"));
  assert.ok(md.includes("| 1 | 0.9000 | 60.00% | 0.9500 | 58.00% | 0.001 | 0.2100 | 0.1000 | 12.5 |"));
  assert.ok(md.includes("| 2 | 0.5000 | 80.00% | n/a | n/a | 5e-4 | 0.1800 | 0.1100 | 12.1 |"));
  // Metric table with the bootstrap interval.
  const e = report.evaluations[0].evaluation;
  const pct = (v: number | null) => `${((v as number) * 100).toFixed(2)}%`;
  assert.ok(md.includes(`| Accuracy | ${pct(e.accuracy.estimate)} [${pct(e.accuracy.lower)}, ${pct(e.accuracy.upper)}] |`));
  // Confusion matrix as a table, with row totals.
  const row = e.confusionMatrix[1];
  assert.ok(md.includes(`| S | ${row.join(" | ")} | ${row.reduce((a, b) => a + b, 0)} |`));
  // Every embedded plot is a relative link to a file in the run folder.
  const links = [...md.matchAll(/!\[[^\]]*\]\(([^)]+)\)/g)].map((m) => m[1]);
  assert.deepEqual(links.sort(), files.filter((f) => f.endsWith(".svg")).sort());
  assert.ok(md.includes("## Across 3 seeds (1, 2, 3)"));
  assert.ok(md.includes('"optimizer": {'));
  // The research-software notice under the title, the cautions (none here) after it.
  assert.ok(md.startsWith(`# ${report.title}\n\n> ${RESEARCH_NOTICE}\n\nmodel`), md.slice(0, 300));
  const cautionedDir = path.join(tempDir(), "run-cautioned");
  const cautioned = writeRunReport(cautionedDir, { ...runInput(10, "snn", true), cautions: ["the same patients are in training and test"] });
  assert.ok(fs.readFileSync(path.join(cautionedDir, "report.md"), "utf8")
    .startsWith(`# ${cautioned.title}\n\n> ${RESEARCH_NOTICE}\n\n> **Caution:** the same patients are in training and test\n\nmodel`));
});

test("compareRuns puts runs side by side", () => {
  const root = tempDir();
  writeRunReport(path.join(root, "snn-run"), runInput(20, "snn", true));
  writeRunReport(path.join(root, "logreg-run"), runInput(30, "logreg", false));
  const md = compareRuns([path.join(root, "snn-run"), path.join(root, "logreg-run")]);
  const lines = md.trim().split("\n");
  assert.ok(lines[0].startsWith("| Run | Model | Split | Evaluated on | Accuracy | Macro-F1 | Macro AUC | Sens. N | Sens. S | Sens. V |"));
  assert.ok(lines[2].startsWith("| snn-run | snn | intra | test (n = 600), 3 seeds |"));
  assert.ok(lines[3].startsWith("| logreg-run | logreg | intra | test (n = 600) |"));
  const logreg = readRunReport(path.join(root, "logreg-run")).evaluations[0].evaluation;
  assert.ok(lines[3].includes(`${((logreg.perClass[2].recall.estimate as number) * 100).toFixed(2)}%`), "sensitivity of V");
  assert.ok(lines[3].includes("| 3 | 36.6 | 1234.5 |"));
  assert.doesNotMatch(md, /Paired by seed/);
});

test("compareRuns pairs several-seed runs seed by seed against the first, on the same split only", () => {
  const root = tempDir();
  writeRunReport(path.join(root, "a"), runInput(20, "snn", true));
  writeRunReport(path.join(root, "b"), runInput(40, "snn", true));
  writeRunReport(path.join(root, "other-split"), { ...runInput(40, "snn", true), split: "inter" });
  writeRunReport(path.join(root, "one-seed"), runInput(40, "logreg", false));
  const md = compareRuns(["a", "one-seed", "b", "other-split"].map((r) => path.join(root, r)));
  const section = md.split("## Paired by seed, against a")[1];
  assert.ok(section, md);
  const row = (label: string) => section.split("\n").find((l) => l.startsWith(`| ${label} |`))!.slice(2, -2).split(" | ");
  // Independent of the section: the same seeds' accuracies, differenced by hand.
  const acc = (run: string) => readRunReport(path.join(root, run)).seedAggregate!.accuracy.values;
  const mean = acc("b").reduce((s, v, i) => s + v - acc("a")[i], 0) / 3;
  const b = row("b");
  assert.equal(b[1], "1, 2, 3");
  assert.match(b[2], new RegExp(`^${mean >= 0 ? "\\+" : "-"}${Math.abs(mean * 100).toFixed(2)} \\[`));
  assert.match(b[3], /^(0\.\d{3}|< 0\.001)$/);
  assert.deepEqual(row("other-split").slice(1, 3), ["not paired: another split", "-"]);
  assert.equal(section.split("\n").filter((l) => l.startsWith("| one-seed |")).length, 0);
});

test("readRunReport explains what is wrong with a run folder", () => {
  const root = tempDir();
  assert.throws(() => readRunReport(path.join(root, "nope")), (e: Error) => e instanceof SpikemedError && /does not exist/.test(e.message));
  fs.mkdirSync(path.join(root, "empty"));
  assert.throws(() => readRunReport(path.join(root, "empty")), /report\.json" not found/);
  fs.mkdirSync(path.join(root, "broken"));
  fs.writeFileSync(path.join(root, "broken", "report.json"), "{ not json");
  assert.throws(() => readRunReport(path.join(root, "broken")), /is not valid JSON/);
  fs.mkdirSync(path.join(root, "other"));
  fs.writeFileSync(path.join(root, "other", "report.json"), '{"format": "something-else"}');
  assert.throws(() => readRunReport(path.join(root, "other")), /is not a spikemed run report/);
});

test("writeRunReport refuses non-finite history and unwritable places", () => {
  const root = tempDir();
  const input = runInput(40, "snn", false);
  input.history = [{ ...history[0], trainLoss: NaN }];
  assert.throws(() => writeRunReport(path.join(root, "nan"), input), /history\[0\]\.trainLoss is NaN/);
  assert.throws(() => writeFileAtomic(path.join(root, "missing-folder", "x.json"), "{}"), (e: Error) => e instanceof SpikemedError && /cannot write/.test(e.message));
  writeFileAtomic(path.join(root, "x.json"), "first");
  writeFileAtomic(path.join(root, "x.json"), "second");
  assert.equal(fs.readFileSync(path.join(root, "x.json"), "utf8"), "second");
  assert.deepEqual(fs.readdirSync(root).filter((f) => f.includes("tmp")), []);
});
