import fs from "node:fs";
import path from "node:path";
import { Command } from "commander";
import { RESEARCH_NOTICE, Rng } from "../core/index.js";
import { energyMarkdownFile, energyReportSection, loadDeviceCatalog, selectDevices } from "../energy/index.js";
import { compareRuns, evaluateClassifier, writeFileAtomic } from "../eval/index.js";
import { describeNir, exportNir } from "../export/index.js";
import { accuracyByGroup, exampleBatches, loadRun, prepareData, splitCautions, type DataSpec, type RunManifest } from "../experiment/index.js";
import { predictProbabilities } from "../train/index.js";
import { backendOptions, selectBackend, type BackendOptions } from "./backend.js";
import { list, oneOf, positiveInt, positiveNumber } from "./options.js";

/** The run's data set and split again (with the features its model reads), from a different folder when --data is given. */
async function runData(manifest: RunManifest, dataDir?: string) {
  const resolved = dataDir ? { ...manifest.data, dataDir } as DataSpec : manifest.data;
  return prepareData(resolved, (line) => process.stderr.write(line + "\n"), manifest.model.features);
}

export function evaluateCommand(): Command {
  return backendOptions(new Command("evaluate"))
    .description("evaluate a trained run on its test split again (metrics with 95% bootstrap intervals)")
    .argument("<run>", "a run folder written by spikemed train")
    .option("--data <dir>", "read the data from this folder instead of the one the run was trained on")
    .action(async (runDir: string, flags: BackendOptions & { data?: string }) => {
      await selectBackend(flags);
      const { manifest, network } = loadRun(runDir);
      const prepared = await runData(manifest, flags.data);
      const { test } = prepared.split;
      const { probabilities } = predictProbabilities(network, prepared.data, test, 256);
      const evaluation = evaluateClassifier({
        classNames: prepared.data.classNames, yTrue: Int32Array.from(test, (i) => prepared.data.labels[i]), probabilities, bootstrap: { seed: manifest.seed },
      });
      writeFileAtomic(path.join(runDir, "evaluation.json"), JSON.stringify(evaluation, null, 2) + "\n");
      const p = (v: number | null) => (v === null ? "n/a" : (100 * v).toFixed(2));
      const lines = [RESEARCH_NOTICE, ...splitCautions(manifest.data).map((c) => `caution: ${c}`), `${manifest.model.name} on ${prepared.splitDescription}`, `test samples ${evaluation.n}`,
        `accuracy ${p(evaluation.accuracy.estimate)}% (95% CI ${p(evaluation.accuracy.lower)}-${p(evaluation.accuracy.upper)})`,
        `macro-F1 ${p(evaluation.macroF1.estimate)}%` + (evaluation.macroAuc ? `, macro ROC AUC ${evaluation.macroAuc.estimate?.toFixed(4)}` : ""),
        "class  precision  recall(sens)  specificity  F1      support"];
      for (const c of evaluation.perClass) {
        lines.push(`${c.name.padEnd(6)} ${p(c.precision.estimate).padStart(9)}  ${p(c.recall.estimate).padStart(12)}  ${p(c.specificity.estimate).padStart(11)}  ${p(c.f1.estimate).padStart(6)}  ${String(c.support).padStart(7)}`);
      }
      const byGroup = accuracyByGroup(prepared, test, probabilities);
      if (byGroup) {
        const widths = byGroup.columns.map((c, k) => Math.max(c.length, ...byGroup.rows.map((r) => String(r[k]).length)));
        const row = (cells: (string | number)[]): string => cells.map((v, k) => (k === 0 ? String(v).padEnd(widths[k]) : String(v).padStart(widths[k]))).join("  ");
        lines.push(`test ${byGroup.title}:`, row(byGroup.columns), ...byGroup.rows.map(row));
      }
      lines.push(...evaluation.warnings.map((w) => `note: ${w}`), `written to ${path.join(runDir, "evaluation.json")}`);
      process.stdout.write(lines.join("\n") + "\n");
    });
}

export function compareCommand(): Command {
  return new Command("compare")
    .description("side-by-side table of several runs (accuracy, macro-F1, per-class sensitivity, energy, speed); runs of several seeds are also paired seed by seed against the first of them (mean difference, t interval, paired t test)")
    .argument("<runs...>", "run folders")
    .action((runs: string[]) => {
      process.stdout.write(`${RESEARCH_NOTICE}\n\n${compareRuns(runs)}\n`);
    });
}

export function energyCommand(): Command {
  return backendOptions(new Command("energy"))
    .description("energy per inference of a trained run, per layer and device, from the spike rates it really emits")
    .argument("<run>", "a run folder written by spikemed train")
    .option("--data <dir>", "measure spike rates on this folder's data instead of the run's")
    .option("--devices <list>", "devices (default all built-in: cpu,gpu,arm,loihi,spinnaker,spinnaker2)", list)
    .option("--device-file <file>", "a JSON file with more devices")
    .option("--batches <n>", "test batches of 32 to measure spike rates on", positiveInt, 8)
    .action(async (runDir: string, flags: BackendOptions & { data?: string; devices?: string[]; deviceFile?: string; batches: number }) => {
      await selectBackend(flags);
      const { manifest, network } = loadRun(runDir);
      const prepared = await runData(manifest, flags.data);
      const batches = exampleBatches(prepared.data, prepared.split.test, flags.batches, 32);
      const activity = network.measureInputRates(batches, new Rng(0));
      const devices = selectDevices(loadDeviceCatalog(flags.deviceFile ? [flags.deviceFile] : []), flags.devices);
      // Beside training's energy.md, which keeps the energy measured while training (this command measures none).
      const section = energyReportSection({ layers: network.describe(), activity, devices, chartPrefix: "energy-estimate" });
      const file = path.join(runDir, "energy-estimate.md");
      const markdown = energyMarkdownFile(section, `Estimated by \`spikemed energy\` on ${new Date().toISOString()} from spike rates on ${batches.length} test batch(es) of up to 32 samples from ` +
        `${flags.data ?? "the run's data"}; the estimate made at training and the energy measured while training are in energy.md.`);
      writeFileAtomic(file, markdown);
      for (const chart of section.charts) writeFileAtomic(path.join(runDir, chart.fileName), chart.svg);
      process.stdout.write(markdown + `\nwritten to ${file}\n`);
    });
}

export function exportCommand(): Command {
  return new Command("export")
    .description("export a trained run for neuromorphic hardware and other SNN frameworks (NIR, HDF5)")
    .argument("<run>", "a run folder written by spikemed train")
    .requiredOption("--out <file>", "the .nir file to write")
    .option("--format <name>", "nir", oneOf(["nir"] as const), "nir")
    .option("--dt <seconds>", "time step that maps the discrete neurons to NIR's continuous ones (default 1e-4)", positiveNumber)
    .action(async (runDir: string, flags: { out: string; dt?: number }) => {
      const { network } = loadRun(runDir);
      const summary = await exportNir(network, flags.out, { dt: flags.dt });
      process.stdout.write(describeNir(summary) + "\n");
    });
}
