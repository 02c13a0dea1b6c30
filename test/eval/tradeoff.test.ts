import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { XMLValidator } from "fast-xml-parser";
import { accuracyEnergySection, paretoFront, tradeOffSection, tradeOffSvg, writeRunReport, labelledReports, evaluateClassifier } from "../../src/eval/index.js";

test("the Pareto front keeps the runs nothing beats on both accuracy and energy", () => {
  const points = [
    { label: "a", score: 0.9, joules: 1e-6 },
    { label: "b", score: 0.95, joules: 1e-5 },
    { label: "c", score: 0.85, joules: 2e-6 }, // beaten by a on both
    { label: "d", score: 0.9, joules: 1e-6 }, // ties a: neither beats the other
    { label: "e", score: 0.8, joules: 1e-7 },
    { label: "f", score: 0.95, joules: 2e-5 }, // as good as b, costlier
  ];
  assert.deepEqual(paretoFront(points), [true, true, false, true, true, false]);
  const { markdown, svg } = tradeOffSection(points, "loihi", "accuracy", "front.svg");
  const rows = markdown.split("\n").filter((l) => /^\| [a-f] \|/.test(l));
  // Front first, by accuracy; then the beaten ones.
  assert.deepEqual(rows.map((r) => r.slice(2, 3)), ["b", "a", "d", "e", "f", "c"]);
  assert.equal(rows[0], "| b | 95.00 | 1.00e-5 | yes |");
  assert.match(markdown, /!\[accuracy against J per inference on loihi\]\(front\.svg\)/);
  assert.equal(XMLValidator.validate(svg), true);
  assert.equal((svg.match(/<circle /g) ?? []).length, 6);
  assert.match(svg, /<title>c: 2e-6 J, 85<\/title>/);
  assert.match(svg, /<title>b: 1e-5 J, 95 \(Pareto front\)<\/title>/);
  assert.throws(() => tradeOffSvg({ title: "t", xLabel: "J", yLabel: "acc", points: [{ label: "z", x: 0, y: 1, onFront: true }] }), /log scale needs values > 0/);
});

test("compare sets each run's accuracy against the joules per inference its report estimates", () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "spikemed-tradeoff-"));
  try {
    const evaluation = (correct: number) => evaluateClassifier({
      classNames: ["a", "b"], yTrue: Int32Array.from([0, 0, 1, 1]), yPred: Int32Array.from([0, correct >= 2 ? 0 : 1, 1, correct >= 3 ? 1 : 0]), bootstrap: false,
    });
    const run = (name: string, correct: number, loihi: number | null) => writeRunReport(path.join(root, name), {
      title: name, config: {}, history: [], evaluations: [{ name: "test", evaluation: evaluation(correct) }],
      ...(loihi === null ? {} : { energy: { title: "Energy", columns: ["device", "kind", "joules per inference"], rows: [["cpu", "conventional", 1e-2], ["loihi", "spiking", loihi]] } }),
    });
    run("cheap", 2, 1e-7);
    run("accurate", 3, 1e-6);
    run("worse", 2, 2e-6);
    run("unpriced", 3, null);
    const reports = labelledReports(["cheap", "accurate", "worse", "unpriced"].map((r) => path.join(root, r)));
    const section = accuracyEnergySection(reports, "loihi", "plot.svg")!;
    // 4 of 4 and 3 of 4 test samples right.
    assert.match(section.markdown, /\| accurate \| 100\.00 \| 1\.00e-6 \| yes \|/);
    assert.match(section.markdown, /\| cheap \| 75\.00 \| 1\.00e-7 \| yes \|/);
    assert.match(section.markdown, /\| worse \| 75\.00 \| 2\.00e-6 \| no \|/);
    assert.match(section.markdown, /Not shown \(no energy estimate for loihi in their report\): unpriced\./);
    assert.equal(accuracyEnergySection(reports, "spinnaker", "plot.svg"), null);
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});
