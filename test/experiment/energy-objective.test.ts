import { after, test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseObjective, searchHyperparameters, type DataSpec, type SearchTrial } from "../../src/experiment/index.js";
import { rankWithEnergy, splitEnergyObjective } from "../../src/experiment/energy-objective.js";
import { ecgFeatureSnn } from "../../src/model/index.js";

process.env.SPIKEMED_CACHE ??= path.join(os.tmpdir(), "spikemed-experiment-cache");
const dirs: string[] = [];
after(() => { for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true }); });

test("an objective names a metric and, after @, a device with an optional bound in joules", () => {
  assert.deepEqual(splitEnergyObjective("accuracy"), { metric: "accuracy" });
  assert.deepEqual(splitEnergyObjective("balanced_accuracy:N,S,V@Loihi<=2e-8"), { metric: "balanced_accuracy:N,S,V", energy: { device: "loihi", bound: 2e-8 } });
  assert.deepEqual(parseObjective("macro_f1@cpu"), { metric: "macro_f1", energy: { device: "cpu" } });
  assert.throws(() => parseObjective("accuracy@tpu"), /unknown device "tpu"[\s\S]*loihi/);
  assert.throws(() => parseObjective("accuracy@loihi<=-1"), /bound must be a positive number/);
  assert.throws(() => parseObjective("accuracy@"), /no device after @/);
  assert.throws(() => parseObjective("acc@loihi"), /unknown search objective "acc"/);
});

test("with a bound the trials within it rank first by score, the rest cheapest first; without, the Pareto front first", () => {
  const r = (index: number, score: number, loihi: number) => ({ index, score, joules: { loihi } });
  const results = [r(0, 0.9, 5e-8), r(1, 0.8, 1e-8), r(2, 0.85, 2e-8), r(3, 0.95, 3e-8), r(4, 0.7, 4e-8)];
  assert.deepEqual(rankWithEnergy(results, { device: "loihi", bound: 2.5e-8 }).map((x) => x.index), [2, 1, 3, 4, 0]);
  // Front: 1 (cheapest), 2, 3 (best); 0 and 4 are beaten by 3 on both.
  assert.deepEqual(rankWithEnergy(results, { device: "loihi" }).map((x) => x.index), [3, 2, 1, 0, 4]);
  assert.throws(() => rankWithEnergy([{ index: 0, score: 1 }], { device: "loihi" }), /trial 1 has no energy estimate/);
});

test("a search with energy in its objective prices every fold's network and reports the front", async () => {
  const outDir = fs.mkdtempSync(path.join(os.tmpdir(), "spikemed-energy-search-"));
  dirs.push(outDir);
  const model = ecgFeatureSnn(4);
  const trial = (lr: number): SearchTrial => ({ values: { lr }, model, balance: "none", train: { epochs: 1, batchSize: 64, optimizer: { kind: "adam", lr } } });
  const data: DataSpec = { task: "ecg", dataDir: null, split: "intra", seed: 1 };
  const result = await searchHyperparameters({ data, trials: [trial(1e-9), trial(3e-3)], folds: 2, seed: 1, seeds: 1, objective: "accuracy@loihi", outDir, log: { write: () => true } });
  // On a conventional device the cost does not depend on activity: every connection and neuron once.
  const inputs = model.features!.length;
  const cpu = (inputs * 32 + 32 * 5 + 32) * 8.6e-9;
  for (const t of result.ranked) {
    assert.ok(Math.abs(t.joules!.cpu - cpu) < 1e-12, `${t.joules!.cpu} vs ${cpu}`);
    assert.ok(t.joules!.loihi > 0);
  }
  const report = fs.readFileSync(result.report, "utf8");
  assert.match(report, /# Hyper-parameter search \(accuracy against J per inference on loihi \(Pareto front\)\)/);
  assert.match(report, /## Energy[\s\S]*\| lr=0\.003 \| \d+\.\d\d \| \d\.\d\de-\d+ \| (yes|no) \|/);
  assert.match(fs.readFileSync(path.join(outDir, "search-energy.svg"), "utf8"), /^<svg/);
});
