/**
 * An ensemble over seeds for the plain inter-patient row: the seeds' class probabilities averaged,
 * beat by beat, against each seed alone (issue 28, item 2).
 *
 * Usage: node dist/bench/ecg-ensemble.js --search DIR
 *          DS1 only: the out-of-fold probabilities of a `spikemed search` of one trial and several
 *          seeds (its fold files keep them), pooled over the folds; DS2 is not read.
 *        node dist/bench/ecg-ensemble.js --runs DIR [--plain]
 *          DS2 (log the read): the test probabilities of each seed-* run of DIR, as `evaluate` computes
 *          them; --plain leaves out the run's --adapt (a self-training or unlabeled run trains the
 *          plain row's networks bit for bit, so its seeds are the plain row's).
 */
import fs from "node:fs";
import path from "node:path";
import { confusionMatrix, metricsFromConfusion } from "../src/eval/index.js";
import { crossValidationFolds, loadRun, prepareData, testProbabilities, type DataSpec } from "../src/experiment/index.js";
import type { SearchTrial } from "../src/experiment/search.js";

function option(name: string): string | undefined {
  const at = process.argv.indexOf(name);
  return at >= 0 && at + 1 < process.argv.length ? process.argv[at + 1] : undefined;
}

/** The figures of one set of probabilities against the truth. */
function figures(truth: Int32Array, probabilities: Float32Array, classNames: readonly string[]): string {
  const K = classNames.length;
  const predicted = Int32Array.from(truth, (_, r) => {
    let best = 0;
    for (let c = 1; c < K; c++) if (probabilities[r * K + c] > probabilities[r * K + best]) best = c;
    return best;
  });
  const metrics = metricsFromConfusion(confusionMatrix(truth, predicted, K), K);
  const pct = (v: number | null): string => (v === null ? "-" : (100 * v).toFixed(2));
  const of = (name: string): string => {
    const c = metrics.perClass[classNames.indexOf(name)];
    return `${pct(c.recall)} / ${pct(c.precision)}`;
  };
  return `| ${pct(metrics.accuracy)} | ${of("S")} | ${of("V")} | ${metrics.kappa?.toFixed(3) ?? "-"} |`;
}

function mean(parts: Float32Array[]): Float32Array {
  const out = new Float32Array(parts[0].length);
  for (const p of parts) for (let i = 0; i < p.length; i++) out[i] += p[i] / parts.length;
  return out;
}

const header = "| probabilities | accuracy % | S Se / +P % | V Se / +P % | kappa |\n| --- | ---: | ---: | ---: | ---: |";
const searchDir = option("--search");
const runsDir = option("--runs");
if (searchDir) {
  const search = JSON.parse(fs.readFileSync(path.join(searchDir, "search.json"), "utf8")) as { data: DataSpec; folds: number; seed: number; seeds: number; trials: SearchTrial[] };
  const prepared = await prepareData(search.data, () => {}, search.trials[0].model.features);
  const pool = Int32Array.from([...prepared.split.train, ...prepared.split.val]).sort();
  const folds = crossValidationFolds(prepared.data.labels, pool, search.folds, prepared.crossValidation, search.seed);
  const K = prepared.data.classNames.length;
  const scored = Int32Array.from(folds.flatMap((f) => Array.from(f.test)));
  const truth = Int32Array.from(scored, (i) => prepared.data.labels[i]);
  const perSeed = Array.from({ length: search.seeds }, (_, s) => {
    const seed = search.seed + s;
    const parts = folds.map((fold, f) => {
      const saved = JSON.parse(fs.readFileSync(path.join(searchDir, "trials", "trial-001", `seed-${seed}`, `fold-${f + 1}.json`), "utf8")) as { probabilities: string };
      const bytes = Buffer.from(saved.probabilities, "base64");
      const p = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
      if (p.length !== fold.test.length * K) throw new Error(`seed ${seed} fold ${f + 1}: ${p.length / K} rows for ${fold.test.length} beats`);
      return p;
    });
    const all = new Float32Array(scored.length * K);
    let at = 0;
    for (const p of parts) { all.set(p, at); at += p.length; }
    return { seed, probabilities: all };
  });
  console.log(`DS1 ${search.folds}-fold CV by records (${searchDir}), pooled out-of-fold beats\n\n${header}`);
  for (const { seed, probabilities } of perSeed) console.log(`| seed ${seed} ${figures(truth, probabilities, prepared.data.classNames)}`);
  console.log(`| mean of ${perSeed.length} seeds' probabilities ${figures(truth, mean(perSeed.map((p) => p.probabilities)), prepared.data.classNames)}`);
} else if (runsDir) {
  const seeds = fs.readdirSync(runsDir).filter((d) => /^seed-\d+$/.test(d)).sort((a, b) => Number(a.slice(5)) - Number(b.slice(5)));
  if (seeds.length === 0) throw new Error(`${runsDir}: no seed-* run folders`);
  const runs = seeds.map((d) => loadRun(path.join(runsDir, d)));
  const spec = process.argv.includes("--plain") && runs[0].manifest.data.task === "ecg" ? { ...runs[0].manifest.data, adapt: undefined } : runs[0].manifest.data;
  const prepared = await prepareData(spec, () => {}, runs[0].manifest.model.features);
  const truth = Int32Array.from(prepared.split.test, (i) => prepared.data.labels[i]);
  const perSeed = runs.map((run) => testProbabilities(run.network, prepared, 256).probabilities);
  console.log(`${runsDir}${process.argv.includes("--plain") ? " (without --adapt)" : ""}: ${prepared.splitDescription}\n\n${header}`);
  perSeed.forEach((p, s) => console.log(`| ${seeds[s]} ${figures(truth, p, prepared.data.classNames)}`));
  console.log(`| mean of ${perSeed.length} seeds' probabilities ${figures(truth, mean(perSeed), prepared.data.classNames)}`);
} else {
  console.error("ecg-ensemble: give --search DIR (DS1 folds) or --runs DIR (a run of several seeds; DS2)");
  process.exit(2);
}
