import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { detectBeatsInRecord, labelledBeatsOfRecord, resolveLeads } from "../../../src/data/ecg/beats.js";
import { loadBeatDataset } from "../../../src/data/ecg/dataset.js";
import { sampleDataDir } from "../../../src/data/ecg/sample-data.js";
import { readRecord, type WfdbRecord } from "../../../src/data/ecg/wfdb-record.js";
import { beatData } from "../../../src/experiment/index.js";

const cacheDir = mkdtempSync(join(tmpdir(), "spikemed-leads-"));
after(() => rmSync(cacheDir, { recursive: true, force: true }));

test("leads resolve by name, index and next, each signal once (record 114 stores V5 before MLII)", () => {
  const record = { name: "114", signalNames: ["V5", "MLII"], physical: [new Float64Array(1), new Float64Array(1)] } as unknown as WfdbRecord;
  assert.deepEqual(resolveLeads(record), [1]);
  assert.deepEqual(resolveLeads(record, { lead: "V5" }), [0]);
  assert.deepEqual(resolveLeads(record, { leads: ["MLII", "next"] }), [1, 0]);
  assert.deepEqual(resolveLeads(record, { leads: ["next", "next"] }), [0, 1]);
  assert.deepEqual(resolveLeads(record, { leads: [1, 0] }), [1, 0]);
  assert.throws(() => resolveLeads(record, { leads: ["MLII", 1] }), /record 114: leads MLII,1 choose signal 1 \(MLII\) twice/);
  assert.throws(() => resolveLeads(record, { leads: ["MLII", "next", "next"] }), /record 114: no signal left for lead "next"/);
  assert.throws(() => resolveLeads(record, { leads: ["V1"] }), /record 114: no signal named "V1" \(signals: V5, MLII\)/);
});

test("two leads side by side: each lead's windows are exactly its single-lead windows, the features the first lead's", () => {
  const record = readRecord(sampleDataDir(), "100");
  const both = labelledBeatsOfRecord(record, { leads: ["MLII", "next"] });
  const first = labelledBeatsOfRecord(record);
  const second = labelledBeatsOfRecord(record, { lead: "V5" });
  const L = both.windowLength;
  assert.equal(both.leads, 2);
  assert.equal(both.x.length, first.x.length * 2);
  assert.deepEqual(both.y, first.y);
  assert.deepEqual(both.features, first.features);
  assert.notDeepEqual(first.x, second.x);
  for (const beat of [0, 1000, both.y.length - 1]) {
    assert.deepEqual(both.x.subarray((2 * beat) * L, (2 * beat + 1) * L), first.x.subarray(beat * L, (beat + 1) * L), `beat ${beat}, lead 1`);
    assert.deepEqual(both.x.subarray((2 * beat + 1) * L, (2 * beat + 2) * L), second.x.subarray(beat * L, (beat + 1) * L), `beat ${beat}, lead 2`);
  }

  // Detected beats (prediction) take their R peaks from the first lead and window both alike.
  const unannotated = readRecord(sampleDataDir(), "100", { annotator: null });
  const detectedBoth = detectBeatsInRecord(unannotated, { leads: ["MLII", "V5"] });
  const detectedFirst = detectBeatsInRecord(unannotated);
  assert.deepEqual(detectedBoth.sampleOfBeat, detectedFirst.sampleOfBeat);
  assert.deepEqual(detectedBoth.features, detectedFirst.features);
  assert.deepEqual(detectedBoth.x.subarray(2 * 7 * L, (2 * 7 + 1) * L), detectedFirst.x.subarray(7 * L, 8 * L));
});

test("a two-lead data set caches and feeds the network [2, window] samples", () => {
  const options = { records: ["100", "232"], cacheDir, leads: ["MLII", "next"] };
  const built = loadBeatDataset(options);
  const cached = loadBeatDataset(options);
  assert.equal(built.fromCache, false);
  assert.equal(cached.fromCache, true);
  assert.equal(cached.leads, 2);
  assert.deepEqual(cached.x, built.x);
  assert.equal(built.x.length, built.y.length * 2 * built.windowLength);
  assert.notEqual(loadBeatDataset({ records: ["100", "232"], cacheDir }).cacheFile, built.cacheFile);
  const data = beatData(built, ["pre_rr_ratio"]);
  assert.deepEqual(data.inputShape, [2, built.windowLength]);
  const sample = { signal: new Float32Array(2 * built.windowLength), features: new Float32Array(1) };
  data.fill(Int32Array.of(5), sample);
  assert.deepEqual(sample.signal, built.x.subarray(5 * 2 * built.windowLength, 6 * 2 * built.windowLength));
});
