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

test("record by record: beats, accuracy, Se and +P of S and V per record, gross and average rows, - for 0/0 (hand-computed)", () => {
  // Classes N, S, V = 0, 1, 2. Record a: true N N S S V, predicted N S S N V.
  //   S: TP 1, support 2, predicted 2 -> Se 50%, +P 50%; V: TP 1, support 1, predicted 1 -> 100%, 100%; accuracy 3/5.
  // Record b: true N N N V, predicted N N V V: no S beats and none predicted -> S Se "-", +P "-";
  //   V: TP 1, support 1, predicted 2 -> Se 100%, +P 50%; accuracy 3/4.
  // Gross (9 beats pooled): S TP 1 of 2 true, 2 predicted -> 50%, 50%; V TP 2 of 2 true, 3 predicted -> 100%, 66.67%; accuracy 6/9.
  // Average over records where defined: accuracy (60 + 75)/2 = 67.5%; S Se 50% and +P 50% (record a only);
  //   V Se 100%; V +P (100 + 50)/2 = 75%.
  const t = subgroupTable({
    groupName: "record", unit: "beats", classNames: ["N", "S", "V"], detailClasses: ["S", "V"],
    groupOf: ["a", "a", "a", "a", "a", "b", "b", "b", "b"],
    yTrue: [0, 0, 1, 1, 2, 0, 0, 0, 2],
    yPred: [0, 1, 1, 0, 2, 0, 0, 2, 2],
  });
  assert.deepEqual(t.columns, ["record", "beats", "N / S / V", "accuracy", "S Se", "S +P", "V Se", "V +P", "share of errors"]);
  assert.deepEqual(t.rows, [
    ["a", 5, "2 / 2 / 1", "60.00%", "50.00%", "50.00%", "100.00%", "100.00%", "66.7%"],
    ["b", 4, "3 / 0 / 1", "75.00%", "-", "-", "100.00%", "50.00%", "33.3%"],
    ["gross (pooled)", 9, "5 / 2 / 2", "66.67%", "50.00%", "50.00%", "100.00%", "66.67%", "100.0%"],
    ["average (2 records)", "", "", "67.50%", "50.00%", "50.00%", "100.00%", "75.00%", ""],
  ]);
  assert.throws(() => subgroupTable({ groupName: "record", classNames: ["N"], detailClasses: ["V"], groupOf: ["a"], yTrue: [0], yPred: [0] }), /no class "V"/);
});

test("groups and labels of different lengths are refused", () => {
  assert.throws(() => subgroupTable({ groupName: "g", classNames: ["x", "y"], groupOf: ["a"], yTrue: [0, 1], yPred: [0, 1] }), /must be as many/);
});
