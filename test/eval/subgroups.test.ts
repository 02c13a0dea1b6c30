import { test } from "node:test";
import assert from "node:assert/strict";
import { renderMarkdown, subgroupTable } from "../../src/eval/index.js";

test("accuracy by group: counts, class mix and share of errors of a worked example", () => {
  const t = subgroupTable({
    groupName: "source", classNames: ["covid", "normal"],
    groupOf: ["a", "a", "b", "b", "b", null],
    yTrue: [0, 1, 0, 0, 1, 1],
    yPred: [0, 0, 0, 1, 1, 1],
  });
  assert.deepEqual(t.columns, ["source", "samples", "covid / normal", "accuracy", "share of errors"]);
  assert.deepEqual(t.rows, [
    ["(unknown)", 1, "0 / 1", "100.00%", "0.0%"],
    ["a", 2, "1 / 1", "50.00%", "50.0%"],
    ["b", 3, "2 / 1", "66.67%", "50.0%"],
  ]);
  const md = renderMarkdown({
    format: "spikemed-run-report", version: 1, createdAt: "2026-01-01T00:00:00Z", plots: {},
    title: "t", config: {}, history: [], evaluations: [], tables: [t],
  });
  assert.match(md, /## Test accuracy by source/);
  assert.match(md, /\| b \| 3 \| 2 \/ 1 \| 66\.67% \| 50\.0% \|/);
});

test("groups and labels of different lengths are refused", () => {
  assert.throws(() => subgroupTable({ groupName: "g", classNames: ["x", "y"], groupOf: ["a"], yTrue: [0, 1], yPred: [0, 1] }), /must be as many/);
});
