import assert from "node:assert/strict";
import { test } from "node:test";
import { SpikemedError } from "../../../src/core/errors.js";
import { readCxrIndex } from "../../../src/data/cxr/listing.js";
import { makeSplit, sourcesWithAllClasses, splitInputFromIndex, type CxrSplit, type SplitInput } from "../../../src/data/cxr/protocols.js";
import { SHARED_MANIFEST, SKIP_SHARED, HAVE_SHARED_CXR } from "./paths.js";

const real: SplitInput | null = HAVE_SHARED_CXR ? splitInputFromIndex(readCxrIndex(SHARED_MANIFEST)) : null;

function assertPartition(split: CxrSplit, n: number): void {
  const seen = new Uint8Array(n);
  for (const part of [split.train, split.val, split.test]) {
    for (let k = 0; k < part.length; k++) {
      assert.equal(seen[part[k]], 0, `image ${part[k]} in two splits`);
      seen[part[k]] = 1;
      if (k > 0) assert.ok(part[k] > part[k - 1], "indices ascending");
    }
  }
}

function assertPatientsInOneSplit(split: CxrSplit, data: SplitInput): void {
  const where = new Map<string, string>();
  for (const name of ["train", "val", "test"] as const) {
    for (const i of split[name]) {
      const p = data.patientIds[i];
      if (p === null) continue;
      assert.equal(where.get(p) ?? name, name, `patient ${p} is in ${where.get(p)} and ${name}`);
      where.set(p, name);
    }
  }
}

test("real manifest: eight cohen patients have images of both classes", { skip: SKIP_SHARED }, () => {
  const labels = new Map<string, Set<number>>();
  real!.patientIds.forEach((p, i) => {
    if (p !== null) labels.set(p, (labels.get(p) ?? new Set()).add(real!.labels[i]));
  });
  const both = [...labels].filter(([, l]) => l.size === 2).map(([p]) => p);
  assert.equal(both.length, 8);
  assert.ok(both.every((p) => p.startsWith("cohen:")));
});

test("mixed on the real manifest: 70/14/16 per class, no patient in two splits", { skip: SKIP_SHARED }, () => {
  const data = real!;
  const split = makeSplit("mixed", data, { seed: 1 });
  assertPartition(split, data.labels.length);
  assert.equal(split.train.length + split.val.length + split.test.length, 5901);
  assertPatientsInOneSplit(split, data);
  for (let c = 0; c < data.classes.length; c++) {
    const total = Array.from(data.labels).filter((l) => l === c).length;
    for (const [name, want] of [["train", 0.7], ["val", 0.14], ["test", 0.16]] as const) {
      const got = Array.from(split[name]).filter((i) => data.labels[i] === c).length / total;
      assert.ok(Math.abs(got - want) < 0.005, `${data.classes[c]} ${name}: ${got}`);
    }
  }
  assert.match(split.description, /^mixed: stratified 70\/14\/16 split of all 5,901 images/);
  assert.match(split.description, /grouped by patient_id \(892 images of 570 patients/);
  assert.match(split.description, /only one class/);
  assert.deepEqual(makeSplit("mixed", data, { seed: 1 }), split, "same seed, same split");
  assert.notDeepEqual(makeSplit("mixed", data, { seed: 2 }).test, split.test);
});

test("same-source on the real manifest: the sources are found from the data, split by patient", { skip: SKIP_SHARED }, () => {
  const data = real!;
  assert.deepEqual(sourcesWithAllClasses(data), ["actualmed", "cohen", "figure1"]);
  const split = makeSplit("same-source", data, { seed: 4 });
  assert.deepEqual(split.sources, ["actualmed", "cohen", "figure1"]);
  assertPartition(split, data.labels.length);
  assertPatientsInOneSplit(split, data);
  const used = [...split.train, ...split.val, ...split.test];
  assert.equal(used.length, 356 + 95 + 32 + 5 + 25 + 18);
  assert.ok(used.every((i) => split.sources.includes(data.sources[i]!)));
  for (const source of split.sources) {
    for (let c = 0; c < 2; c++) {
      const inTest = Array.from(split.test).some((i) => data.sources[i] === source && data.labels[i] === c);
      assert.ok(inTest, `${source} ${data.classes[c]} is represented in test`);
    }
  }
  const share = split.train.length / used.length;
  assert.ok(Math.abs(share - 0.7) < 0.03, `train share ${share}`);
});

test("leave-one-source-out on the real manifest: the held-out source is exactly the test set", { skip: SKIP_SHARED }, () => {
  const data = real!;
  const split = makeSplit("leave-one-source-out", data, { seed: 2, heldOutSource: "cxnet" });
  assertPartition(split, data.labels.length);
  assertPatientsInOneSplit(split, data);
  assert.equal(split.test.length, 554);
  assert.ok(Array.from(split.test).every((i) => data.sources[i] === "cxnet"));
  assert.ok([...split.train, ...split.val].every((i) => data.sources[i] !== "cxnet"));
  assert.equal(split.train.length + split.val.length, 5901 - 554);
  assert.ok(Math.abs(split.val.length / (5901 - 554) - 1 / 6) < 0.01);
  assert.match(split.description, /holds only covid images: .*ROC AUC is undefined/);
  assert.throws(() => makeSplit("leave-one-source-out", data, { seed: 2, heldOutSource: "nowhere" }), /source "nowhere" is not in the data \(sources: actualmed, cohen/);
  assert.throws(() => makeSplit("leave-one-source-out", data, { seed: 2 }), /needs the source to hold out/);
});

test("grouping holds on a hand-made set where one patient has many images of both classes", () => {
  const n = 60;
  const data: SplitInput = {
    classes: ["a", "b"],
    labels: Int32Array.from({ length: n }, (_, i) => i % 2),
    patientIds: Array.from({ length: n }, (_, i) => (i < 20 ? "big" : i % 3 === 0 ? `p${i % 9}` : null)),
    sources: Array.from({ length: n }, () => null),
  };
  for (let seed = 0; seed < 20; seed++) {
    const split = makeSplit("mixed", data, { seed, fractions: { train: 0.5, val: 0.25, test: 0.25 } });
    assertPartition(split, n);
    assertPatientsInOneSplit(split, data);
    assert.equal(split.train.length + split.val.length + split.test.length, n);
  }
  assert.throws(() => makeSplit("same-source", data, { seed: 0 }), (err: unknown) => err instanceof SpikemedError && /needs the source of each image/.test(err.message));
  assert.throws(() => makeSplit("mixed", data, { seed: 0, fractions: { train: 0.7, val: 0.2, test: 0.2 } }), /sum to 1/);
});
