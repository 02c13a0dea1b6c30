import { after, test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { openSharedSearch, parseObjective, prepareData, searchHyperparameters, type DataSpec, type SearchTrial } from "../../src/experiment/index.js";
import { ecgFeatureSnn } from "../../src/model/index.js";

process.env.SPIKEMED_CACHE ??= path.join(os.tmpdir(), "spikemed-experiment-cache");
const dirs: string[] = [];
after(() => { for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true }); });

const quiet = { write: () => true };
const data: DataSpec = { task: "ecg", dataDir: null, split: "intra", seed: 1 };
const trial = (lr: number, epochs: number): SearchTrial => ({
  values: { lr, epochs }, model: ecgFeatureSnn(4), balance: "none",
  train: { epochs, batchSize: 64, optimizer: { kind: "adam", lr }, schedule: { kind: "constant" } },
});
// A learning rate a million times too small leaves the network at its initial guess.
const trials = [trial(1e-9, 1), trial(3e-3, 3)];

test("search ranks a trial that learns above one that cannot, from held-out predictions of the training side only", async () => {
  const outDir = fs.mkdtempSync(path.join(os.tmpdir(), "spikemed-search-"));
  dirs.push(outDir);
  const options = { data, trials, folds: 3, seed: 1, seeds: 1, objective: "accuracy" as const, outDir, log: quiet };
  const result = await searchHyperparameters(options);
  assert.deepEqual(result.ranked.map((r) => r.index), [1, 0]);
  const [best, worst] = result.ranked;
  assert.ok(best.accuracy > 0.85 && worst.accuracy < best.accuracy - 0.1, `${best.accuracy} vs ${worst.accuracy}`);
  assert.equal(best.score, best.accuracy);

  // The pooled accuracy is the fold accuracies weighted by fold size; the folds hold exactly the
  // protocol's training and validation beats (its test beats are never predicted).
  const prepared = await prepareData(data, () => {}, ecgFeatureSnn(4).features);
  const report = fs.readFileSync(result.report, "utf8");
  const foldSizes = [...report.matchAll(/^\| (\d) \| \d+ beats \| (\d+) \|/gm)].map((m) => Number(m[2]));
  assert.equal(foldSizes.length, 3);
  assert.equal(foldSizes.reduce((a, b) => a + b, 0), prepared.split.train.length + prepared.split.val.length);
  const weighted = best.foldAccuracies.reduce((sum, a, f) => sum + a * foldSizes[f], 0) / (prepared.split.train.length + prepared.split.val.length);
  assert.ok(Math.abs(weighted - best.accuracy) < 1e-9, `${weighted} vs ${best.accuracy}`);
  assert.match(report, /\| 1 \| 0\.003 \| 3 \| \*\*|\| 1 \| 0\.003 \| 3 \| [\d.]+ \|/);

  // Resumed: every fold is read back, the ranking is the same; a lost fold is trained again, identically.
  const lines: string[] = [];
  const again = await searchHyperparameters({ ...options, resume: true, log: { write: (t: string) => { lines.push(t); return true; } } });
  assert.deepEqual(again.ranked, result.ranked);
  assert.equal(lines.filter((l) => l.includes("(saved)")).length, 6);
  fs.rmSync(path.join(outDir, "trials", "trial-002", "seed-1", "fold-2.json"));
  const retrained = await searchHyperparameters({ ...options, resume: true });
  assert.deepEqual(retrained.ranked.map((r) => r.accuracy), result.ranked.map((r) => r.accuracy));

  // Another objective ranks the saved folds again, training nothing.
  const reranked: string[] = [];
  const balanced = await searchHyperparameters({ ...options, objective: "balanced_accuracy", resume: true, log: { write: (t: string) => { reranked.push(t); return true; } } });
  assert.equal(reranked.filter((l) => l.includes("(saved)")).length, 6);
  assert.deepEqual(balanced.ranked.map((r) => r.score), balanced.ranked.map((r) => r.balancedAccuracy));
  assert.deepEqual(balanced.ranked.map((r) => r.accuracy), result.ranked.map((r) => r.accuracy));

  await assert.rejects(searchHyperparameters(options), /already holds a search/);
  await assert.rejects(searchHyperparameters({ ...options, folds: 4, resume: true }), /describes another search/);
});

test("an objective over some classes ranks by the mean sensitivity of those classes only", async () => {
  const outDir = fs.mkdtempSync(path.join(os.tmpdir(), "spikemed-search-"));
  dirs.push(outDir);
  const result = await searchHyperparameters({ data, trials: [trials[1]], folds: 3, seed: 1, seeds: 1, objective: "balanced_accuracy:N,S,V", outDir, log: quiet });
  const [only] = result.ranked;
  const { N, S, V, F } = only.recall;
  assert.ok(N !== null && S !== null && V !== null && F !== null);
  assert.ok(Math.abs(only.score - (N + S + V) / 3) < 1e-12, `${only.score} vs ${(N + S + V) / 3}`);
  // The sample's F beats are learnt less well than N, S and V, so leaving F out changes the score.
  assert.ok(Math.abs(only.score - only.balancedAccuracy) > 1e-3);
  assert.match(fs.readFileSync(result.report, "utf8"), /^# Hyper-parameter search \(balanced accuracy over N, S, V\)$/m);

  await assert.rejects(searchHyperparameters({ data, trials: [trials[1]], folds: 3, seed: 1, seeds: 1, objective: "balanced_accuracy:N,Z", outDir: path.join(outDir, "z"), log: quiet }),
    /no class "Z" \(classes: N, S, V, F, Q\)/);
});

test("search objectives are parsed or refused with what is accepted", () => {
  assert.deepEqual(parseObjective("accuracy"), { metric: "accuracy" });
  assert.deepEqual(parseObjective("macro_f1:N, S"), { metric: "macro_f1", classes: ["N", "S"] });
  for (const bad of ["recall", "accuracy:N", "balanced_accuracy:", "balanced_accuracy:N,N", "balanced_accuracy:N:S"]) {
    assert.throws(() => parseObjective(bad), /search objective/, bad);
  }
});

test("processes sharing a search take fold runs from one queue: each run once, stale claims released", async () => {
  const outDir = fs.mkdtempSync(path.join(os.tmpdir(), "spikemed-search-"));
  dirs.push(outDir);
  const options = { data, trials: [trial(3e-3, 1)], folds: 3, seed: 1, seeds: 2, objective: "accuracy" as const, outDir };
  openSharedSearch(options);
  // A claim left by an interrupted search would stop that fold run from ever being trained.
  fs.writeFileSync(path.join(outDir, "claims", "unit-0"), "");
  openSharedSearch({ ...options, resume: true });
  const trained: string[][] = [[], []];
  await Promise.all([0, 1].map((index) => searchHyperparameters({ ...options, resume: true, shard: { index, count: 2 },
    log: { write: (t: string) => { if (/fold \d\/3: accuracy [\d.]+% \(\d/.test(t)) trained[index].push(t); return true; } } })));
  assert.equal(trained[0].length + trained[1].length, 6);
  assert.equal(fs.readdirSync(path.join(outDir, "claims")).length, 6);
  const lines: string[] = [];
  const all = await searchHyperparameters({ ...options, resume: true, log: { write: (t: string) => { lines.push(t); return true; } } });
  assert.equal(lines.filter((l) => l.includes("(saved)")).length, 6);
  const alone = await searchHyperparameters({ ...options, outDir: path.join(outDir, "alone"), log: quiet });
  assert.deepEqual(all.ranked.map(({ seconds, ...r }) => r), alone.ranked.map(({ seconds, ...r }) => r));
});
