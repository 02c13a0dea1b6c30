/**
 * Conversion before fine-tuning: a trained run's weights (e.g. a ReLU twin's) in another model
 * config of the same layers (its spiking version), evaluated untrained on the run's own validation
 * split at several time step counts. Shows what `train --init-from` starts from, and which layouts
 * carry a ReLU network's function over to spikes.
 * Usage: node dist/bench/ann-to-snn.js RUN CONFIG.json [T,T,...] [--batch N] [--threads N]
 */
import fs from "node:fs";
import { parseArgs } from "node:util";
import { useFastBackend } from "../src/core/index.js";
import { initializeFromRun, loadRun, prepareData } from "../src/experiment/index.js";
import { accuracy, argmaxRows } from "../src/eval/index.js";
import { buildNetwork, type ModelConfig, type Network } from "../src/model/index.js";
import { predictProbabilities } from "../src/train/index.js";

const { positionals, values } = parseArgs({ allowPositionals: true, options: { batch: { type: "string", default: "32" }, threads: { type: "string", default: "2" } } });
const [runDir, configFile, steps] = positionals;
if (!runDir || !configFile) throw new Error("usage: node dist/bench/ann-to-snn.js RUN CONFIG.json [T,T,...] [--batch N] [--threads N]");
await useFastBackend({ threads: Number(values.threads) });
const { manifest, network: source } = loadRun(runDir);
const config = JSON.parse(fs.readFileSync(configFile, "utf8")) as ModelConfig;
const { data, split } = await prepareData(manifest.data, () => {}, config.features);

const labels = Int32Array.from(split.val, (i) => data.labels[i]);

function validationAccuracy(network: Network): number {
  const { probabilities } = predictProbabilities(network, data, split.val, Number(values.batch));
  return accuracy(labels, argmaxRows(probabilities, split.val.length, data.classNames.length));
}

console.log(`| model | time steps | validation accuracy % (n = ${split.val.length}) |\n| --- | ---: | ---: |`);
console.log(`| ${manifest.model.name} (the run itself) | ${manifest.model.timeSteps} | ${(100 * validationAccuracy(source)).toFixed(2)} |`);
for (const T of (steps ?? String(config.timeSteps)).split(",").map(Number)) {
  const network = buildNetwork({ ...config, timeSteps: T }, manifest.seed);
  initializeFromRun(network, runDir, manifest.seed);
  console.log(`| ${config.name}, ${manifest.model.name}'s weights | ${T} | ${(100 * validationAccuracy(network)).toFixed(2)} |`);
}
