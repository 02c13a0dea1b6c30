/**
 * Prices trained ECG runs for issue 31's targets: for every seed of every run folder given, the
 * spike rates on the whole test split, the synaptic operations against the ANN twin's
 * multiply-adds, joules per beat on Loihi, and the SNN on each spiking device against the twin on
 * its cheapest conventional device; with the accuracy across seeds. Writes Markdown to --out.
 *   node dist/bench/energy-ecg.js --out bench/results/energy-ecg.md RUN...
 */
import { execSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import { Rng } from "../src/core/index.js";
import { compareWithAnnTwin, crossDeviceComparison, formatSignificant, loadDeviceCatalog, spikeSavingSentence } from "../src/energy/index.js";
import { readRunReport, writeFileAtomic } from "../src/eval/index.js";
import { exampleBatches, loadRun, prepareData, seedRunDirs } from "../src/experiment/index.js";

const args = process.argv.slice(2);
const outIndex = args.indexOf("--out");
if (outIndex < 0 || args.length < outIndex + 2) {
  process.stderr.write("usage: node dist/bench/energy-ecg.js --out FILE.md RUN...\n");
  process.exit(2);
}
const outFile = args[outIndex + 1];
const runs = args.filter((_, i) => i !== outIndex && i !== outIndex + 1);
const devices = [...loadDeviceCatalog().values()];

interface SeedFigures { seed: number; synopsRatio: number; loihi: number; twinBest: number; twinDevice: string; loihiSameDevice: number; rates: string; sentence: string }

async function priceSeed(dir: string, seed: number): Promise<SeedFigures> {
  const { manifest, network } = loadRun(dir);
  const prepared = await prepareData(manifest.data, () => {}, manifest.model.features);
  const test = prepared.split.test;
  const activity = network.measureInputRates(exampleBatches(prepared.data, test, Math.ceil(test.length / 32), 32), new Rng(0));
  const comparison = compareWithAnnTwin(network.describe(), activity, { devices });
  const cross = crossDeviceComparison(comparison)!;
  const loihi = comparison.totals.energy.loihi;
  const rates = network.neuronLayers().map((l) => l.name).filter((n) => n in activity.inputRates);
  return {
    seed, synopsRatio: comparison.totals.snnOps.synops / comparison.totals.annOps.synops, loihi: loihi.snn, twinBest: cross.twinJoules, twinDevice: cross.twinDevice,
    loihiSameDevice: loihi.snn / loihi.ann, sentence: spikeSavingSentence(comparison),
    // The rate each layer reads: its input spikes per element per step.
    rates: Object.entries(activity.inputRates).filter(([name]) => !rates.includes(name) && /^(conv|dense)/.test(name)).map(([name, r]) => `${name} ${r.toFixed(3)}`).join(", "),
  };
}

const mean = (values: number[]): number => values.reduce((a, b) => a + b, 0) / values.length;
const pct = (v: number | null): string => (v === null ? "n/a" : (100 * v).toFixed(2));
const lines: string[] = [];
const commit = execSync("git rev-parse --short HEAD").toString().trim();
lines.push("# ECG: spikes against joules (issue 31)", "",
  "> spikemed is research software, not a medical device: its results must not be used to diagnose or treat anyone.", "",
  `Written by \`node dist/bench/energy-ecg.js --out ${outFile} ${runs.join(" ")}\` on ${new Date().toISOString()} at commit ${commit}, ` +
  `on ${os.cpus()[0]?.model ?? "an unknown CPU"} (${os.cpus().length} cores, shared with other jobs); the runs were trained by bench/energy-ecg.sh.`, "",
  "Energy is estimated with KerasSpiking's constants from the spike rates each seed's network emits on its whole test split " +
  "(synaptic operations: connections x input rate x T; the first layer reads the analog beat, counted as its mean |value| per step). " +
  "The ANN twin is the same layers with ReLU, every connection once per beat.", "",
  "| run | T | activity penalty | accuracy % (mean [95% t interval], seeds) | SNN synops / twin MACs (per seed) | J per beat on Loihi | twin's cheapest J per beat | SNN on Loihi / twin there | SNN / twin on Loihi's prices |",
  "| :--- | ---: | :--- | :--- | :--- | ---: | ---: | ---: | ---: |");
const sentences: string[] = [];
for (const run of runs) {
  const report = readRunReport(run);
  const seeds = seedRunDirs(run);
  const figures: SeedFigures[] = [];
  for (const s of seeds) figures.push(await priceSeed(s.dir, s.seed));
  const { manifest } = loadRun(seeds[0].dir);
  const a = report.seedAggregate!.accuracy;
  const penalty = manifest.model.activityPenalty;
  lines.push(`| ${run} | ${manifest.model.timeSteps} | ${penalty ? `${penalty.kind} ${penalty.weight} on ${penalty.layers?.join(", ") ?? "every spiking layer"}` : "none"} | ` +
    `${pct(a.mean)} [${pct(a.lower)}, ${pct(a.upper)}] (${a.values.map((v) => pct(v)).join(", ")}) | ` +
    `${formatSignificant(mean(figures.map((f) => f.synopsRatio)))}x (${figures.map((f) => formatSignificant(f.synopsRatio)).join(", ")}) | ` +
    `${formatSignificant(mean(figures.map((f) => f.loihi)))} | ${formatSignificant(mean(figures.map((f) => f.twinBest)))} (${figures[0].twinDevice}) | ` +
    `${formatSignificant(mean(figures.map((f) => f.loihi / f.twinBest)))}x | ${formatSignificant(mean(figures.map((f) => f.loihiSameDevice)))}x |`);
  sentences.push(`- ${run}, seed ${figures[0].seed}: ${figures[0].sentence} Input rates: ${figures[0].rates}.`);
}
lines.push("", "Each run's energy section opens with one sentence on whether its spikes save energy; the first seed's:", "", ...sentences, "");
writeFileAtomic(outFile, lines.join("\n"));
process.stdout.write(lines.join("\n") + "\n");
