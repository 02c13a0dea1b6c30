import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { sampleDataDir } from "../../src/data/ecg/index.js";
import { mayBeTrainingRecord, recordInTrainingData, recordInTrainingHeaders, trainingHeaders, type DataSpec } from "../../src/experiment/index.js";

// predict (recordInTrainingData, files) and the page (recordInTrainingHeaders, the headers the
// server hands out by trainingHeaders) must say the same of every record.
const sample = sampleDataDir();
const intra: DataSpec = { task: "ecg", dataDir: null, split: "intra", seed: 1 };

test("which records a run's split and record choice put in training: DS1's for inter-patient, no paced ones unless asked", () => {
  assert.equal(mayBeTrainingRecord(intra, "208"), true);
  assert.equal(mayBeTrainingRecord({ ...intra, records: ["100"] }, "208"), false);
  assert.equal(mayBeTrainingRecord(intra, "107"), false, "paced");
  assert.equal(mayBeTrainingRecord({ ...intra, includePaced: true }, "107"), true);
  // De Chazal et al.'s (2004) DS1 holds 208, DS2 holds 100.
  assert.equal(mayBeTrainingRecord({ ...intra, split: "inter" }, "208"), true);
  assert.equal(mayBeTrainingRecord({ ...intra, split: "inter" }, "100"), false);
  const xrays: DataSpec = { task: "cxr", dataDir: "x", protocol: "mixed", imageSize: 64, seed: 1, onBadFile: "skip" };
  assert.equal(mayBeTrainingRecord(xrays, "208"), false);
});

test("the headers the server hands the page give the page predict's answer, for a copy, a changed header and a record not trained on", () => {
  const served = trainingHeaders({ ...intra, records: ["208", "100"] });
  assert.deepEqual(Object.keys(served).sort(), ["100", "208"]);
  assert.equal(served["208"], fs.readFileSync(path.join(sample, "208.hea"), "latin1"));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "spikemed-trained-"));
  try {
    const spec: DataSpec = { ...intra, records: ["208"] };
    const headerOf = (name: string) => fs.readFileSync(path.join(dir, `${name}.hea`), "latin1");
    fs.copyFileSync(path.join(sample, "208.hea"), path.join(dir, "208.hea"));
    fs.copyFileSync(path.join(sample, "100.hea"), path.join(dir, "100.hea"));
    const page = (name: string) => recordInTrainingHeaders(spec, name, headerOf(name), trainingHeaders(spec)[name]);
    assert.deepEqual([recordInTrainingData(spec, path.join(dir, "208.hea")), page("208")], [true, true], "a copy of 208 is 208");
    assert.deepEqual([recordInTrainingData(spec, path.join(dir, "100.hea")), page("100")], [false, false], "100 was not in --records");
    // Another record under 208's name: its header (the signals' checksums) differs.
    fs.writeFileSync(path.join(dir, "208.hea"), headerOf("208").replace(/\n$/, "\n# another recording\n"));
    assert.deepEqual([recordInTrainingData(spec, path.join(dir, "208.hea")), page("208")], [false, false]);
    assert.equal(recordInTrainingData({ ...spec, dataDir: path.join(dir, "nowhere") }, path.join(sample, "208.hea")), false, "the run's data folder is not here");
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
