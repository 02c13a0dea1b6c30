import fs from "node:fs";
import path from "node:path";
import { Command } from "commander";
import { RESEARCH_NOTICE, Rng, SpikemedError } from "../core/index.js";
import { energyMarkdownFile, energyReportSection, loadDeviceCatalog, selectDevices } from "../energy/index.js";
import {
  accuracyEnergySection, compareReportsMarkdown, evaluateClassifier, labelledReports, writeFileAtomic, type ClassificationEvaluation, type Interval, type ReportTable, type SeedAggregate, type SeedSummary,
} from "../eval/index.js";
import { describeNir, exportNir } from "../export/index.js";
import {
  DEFAULT_ADAPT_MINUTES, accuracyByGroup, evaluateExternal, externalAdaptation, evaluateExternalSeeds, exampleBatches, holdsRunRecords, loadRun, prepareData, seedRunDirs, splitCautions, testProbabilities,
  type DataSpec, type RunManifest,
} from "../experiment/index.js";
import { backendOptions, selectBackend, type BackendOptions } from "./backend.js";
import { list, oneOf, positiveInt, positiveNumber } from "./options.js";

/** The run's data set and split again (with the features its model reads), from a different folder when --data is given. */
async function runData(manifest: RunManifest, dataDir?: string) {
  const resolved = dataDir ? { ...manifest.data, dataDir } as DataSpec : manifest.data;
  return prepareData(resolved, (line) => process.stderr.write(line + "\n"), manifest.model.features);
}

/** A results table as aligned text columns, under its title. */
function textTable(t: ReportTable): string[] {
  const widths = t.columns.map((c, k) => Math.max(c.length, ...t.rows.map((r) => String(r[k]).length)));
  const row = (cells: (string | number)[]): string => cells.map((v, k) => (k === 0 ? String(v).padEnd(widths[k]) : String(v).padStart(widths[k]))).join("  ").trimEnd();
  return [`${t.title}:`, row(t.columns), ...t.rows.map(row)];
}

const percentText = (v: number | null | undefined): string => (v === null || v === undefined ? "n/a" : `${(100 * v).toFixed(2)}%`);
const fourDigits = (v: number | null | undefined): string => (v === null || v === undefined ? "n/a" : v.toFixed(4));

/** Across seeds, for the terminal: each metric's mean with its 95% t interval, then each class's Se, +P and FPR. */
function seedAggregateLines(a: SeedAggregate): string[] {
  const text = (s: SeedSummary | null | undefined, format: (v: number | null) => string) =>
    (!s ? "n/a" : s.lower === null ? `${format(s.mean)} (1 seed)` : `${format(s.mean)} [${format(s.lower)}, ${format(s.upper)}]`);
  const lines = [`across ${a.seeds.length} seeds (${a.seeds.join(", ")}): mean [95% t interval of the mean]`,
    `accuracy ${text(a.accuracy, percentText)}`, `Cohen's kappa ${text(a.kappa, fourDigits)}`, `macro-F1 ${text(a.macroF1, percentText)}`];
  for (const c of a.perClass) lines.push(`${c.name}: Se ${text(c.recall, percentText)}, +P ${text(c.precision, percentText)}, FPR ${text(c.falsePositiveRate, percentText)}`);
  return [...lines, ...a.notes.map((x) => `note: ${x}`)];
}

/** An external evaluation's warnings (leads read in place of the run's, record names it trained on) and notes, one line each. */
function externalNotes(result: { warnings: string[]; notes: string[] }): string[] {
  return [...result.warnings.map((w) => `warning: ${w}`), ...result.notes.map((x) => `note: ${x}`)];
}

/** The evaluation in lines for the terminal: headline metrics with 95% intervals, then Se, +P and FPR of each class. */
function evaluationLines(evaluation: ClassificationEvaluation): string[] {
  const p = (v: number | null | undefined) => (v === null || v === undefined ? "n/a" : (100 * v).toFixed(2));
  const ci = (i: Interval | undefined, format: (v: number | null) => string) => (i ? `${format(i.estimate)} (95% CI ${format(i.lower)}-${format(i.upper)})` : "n/a");
  const four = (v: number | null) => (v === null ? "n/a" : v.toFixed(4));
  const lines = [`samples ${evaluation.n}`,
    `accuracy ${ci(evaluation.accuracy, (v) => `${p(v)}%`)}`,
    `Cohen's kappa ${ci(evaluation.kappa, four)}`,
    `macro-F1 ${p(evaluation.macroF1.estimate)}%` + (evaluation.macroAuc ? `, macro ROC AUC ${four(evaluation.macroAuc.estimate)}` : ""),
    "class  Se (sens.)  +P (prec.)     FPR  specificity      F1  support  predicted"];
  for (const c of evaluation.perClass) {
    lines.push(`${c.name.padEnd(5)} ${p(c.recall.estimate).padStart(11)} ${p(c.precision.estimate).padStart(11)} ${p(c.falsePositiveRate?.estimate).padStart(7)} ` +
      `${p(c.specificity.estimate).padStart(12)} ${p(c.f1.estimate).padStart(7)} ${String(c.support).padStart(8)} ${String(c.predicted).padStart(10)}`);
  }
  lines.push("(percent; Se = TP/(TP+FN), +P = TP/(TP+FP), FPR = FP/(FP+TN), pooled over all samples; n/a where 0/0)");
  return lines;
}

export function evaluateCommand(): Command {
  return backendOptions(new Command("evaluate"))
    .description("evaluate a trained run on its test split again, or (ECG) on every annotated record of another folder: metrics with 95% bootstrap intervals, " +
      "Se, +P and false-positive rate per class, Cohen's kappa, and the record-by-record table")
    .argument("<run>", "a run folder written by spikemed train")
    .option("--data <dir>", "read the data from this folder: the run's split is made again when it holds every record the run used; " +
      "otherwise (ECG) every annotated record in it is scored, as with --external")
    .option("--external", "ECG: score every labelled beat of every record in --data (another database, sampling rate or lead names), " +
      "without the run's split; writes report.md and report.json to --out")
    .option("--out <dir>", "with --external: the folder for the report (default: <run>/external-<name of the data folder>, with -adapt-<protocol> after it under --adapt)")
    .option("--adapt <protocol...>", "with --external: adapt the run to each record, reported as an adapted evaluation of its own (never the plain figure): " +
      "unlabeled (the model's batch-norm statistics re-estimated on the record's own beats; no label read); self-training (the record's confidently classified beats, " +
      `labelled by the model, vote beside it; no label read); local-beats [N] (N default ${DEFAULT_ADAPT_MINUTES}: the record's first N minutes, labelled, vote by nearest neighbour ` +
      "and are not scored: the test set is each record after minute N); models with a batch-norm layer, e.g. snn-families. " +
      "first-minutes and patient-specific train on the test records and are refused here (train --adapt)")
    .action(async (runDir: string, flags: BackendOptions & { data?: string; external?: boolean; out?: string; adapt?: string[] }) => {
      await selectBackend(flags);
      if (flags.external && !flags.data) throw new SpikemedError("--external needs --data <dir>, the folder of annotated WFDB records to score", "add --data");
      const adapt = flags.adapt && externalAdaptation(flags.adapt);
      const log = (line: string) => process.stderr.write(line + "\n");
      const seeds = fs.existsSync(path.join(runDir, "run.json")) ? [] : seedRunDirs(runDir);
      const { manifest, network } = loadRun(seeds.length > 0 ? seeds[0].dir : runDir);
      const external = manifest.data.task === "ecg" && flags.data !== undefined && (flags.external === true || !holdsRunRecords(manifest, flags.data));
      if (!external && flags.external) throw new SpikemedError("--external scores ECG records; this run is a chest X-ray run", "evaluate it on its own split, with --data for another copy of its images");
      if (!external && flags.out) {
        throw new SpikemedError(`--out is for an external evaluation; ${flags.data ? `${flags.data} holds the run's records, so its split is made again` : "without --data the run's split is evaluated"} and evaluation.json written into the run folder`,
          "add --data <dir> --external to score every record of another folder");
      }
      if (adapt && !external) {
        throw new SpikemedError(`--adapt on evaluate applies to an external evaluation; ${flags.data ? `${flags.data} holds the run's records, so its split is made again` : "without --data the run's own split is evaluated"} as it was trained`,
          "add --data <dir> --external, or train with --split inter --adapt to adapt on the run's own split");
      }
      if (seeds.length > 0 && !external) {
        throw new SpikemedError(`${runDir} holds a run of ${seeds.length} seeds (${seeds.map((s) => path.basename(s.dir)).join(", ")}): its split is evaluated seed by seed`,
          `evaluate ${seeds[0].dir} (and the other seed folders), or every seed on another database with --data <dir> --external`);
      }
      if (external && !flags.external) log(`${flags.data} does not hold every record the run was trained and tested on: scoring every record in it as an external database (--external)`);
      if (external && seeds.length > 0) {
        const result = evaluateExternalSeeds(runDir, seeds, flags.data as string, { outDir: flags.out, log, adapt });
        const lines = [RESEARCH_NOTICE, `${manifest.model.name}, ${seeds.length} seeds, on ${result.report.dataset}`, `split: ${result.report.split}`,
          ...result.perSeed.map((r) => `seed ${r.seed}: accuracy ${percentText(r.evaluation.accuracy.estimate)}, Cohen's kappa ${fourDigits(r.evaluation.kappa?.estimate)}`),
          ...seedAggregateLines(result.aggregate), ...externalNotes(result.perSeed[0]),
          `written to ${path.join(result.outDir, "report.md")} (summary) and ${path.join(result.outDir, "seed-*")} (each seed's report and record table)`];
        process.stdout.write(lines.join("\n") + "\n");
        return;
      }
      if (external) {
        const result = evaluateExternal(runDir, manifest, network, flags.data as string, { outDir: flags.out, log, adapt });
        const lines = [RESEARCH_NOTICE, `${manifest.model.name} on ${result.report.dataset}`, `split: ${result.report.split}`, ...evaluationLines(result.evaluation),
          ...textTable(result.byRecord), ...externalNotes(result), ...result.evaluation.warnings.map((w) => `note: ${w}`),
          `written to ${path.join(result.outDir, "report.md")} and report.json`];
        process.stdout.write(lines.join("\n") + "\n");
        return;
      }
      const prepared = await runData(manifest, flags.data);
      const { test } = prepared.split;
      const { probabilities } = testProbabilities(network, prepared, 256);
      const evaluation = evaluateClassifier({
        classNames: prepared.data.classNames, yTrue: Int32Array.from(test, (i) => prepared.data.labels[i]), probabilities, bootstrap: { seed: manifest.seed },
      });
      const byGroup = accuracyByGroup(prepared, test, probabilities);
      // The evaluation, with the table by record (ECG) or source (X-ray) beside it.
      writeFileAtomic(path.join(runDir, "evaluation.json"), JSON.stringify(byGroup ? { ...evaluation, byGroup } : evaluation, null, 2) + "\n");
      const lines = [RESEARCH_NOTICE, ...splitCautions(manifest.data).map((c) => `caution: ${c}`), `${manifest.model.name} on ${prepared.splitDescription}`,
        ...evaluationLines(evaluation)];
      if (byGroup) lines.push(...textTable({ ...byGroup, title: `test ${byGroup.title}` }));
      lines.push(...evaluation.warnings.map((w) => `note: ${w}`), `written to ${path.join(runDir, "evaluation.json")}`);
      process.stdout.write(lines.join("\n") + "\n");
    });
}

export function compareCommand(): Command {
  return new Command("compare")
    .description("side-by-side tables of several runs (accuracy, macro-F1, Cohen's kappa, macro AUC, epochs, speed; then per class Se, +P and false-positive rate); runs of several seeds are also paired seed by seed against the first of them (mean difference, t interval, paired t test); " +
      "then accuracy against the estimated joules per inference on one device, with the Pareto front (the runs no other run beats on both)")
    .argument("<runs...>", "run folders")
    .option("--energy-device <name>", "the device whose joules per inference (from each run's energy estimate) the accuracy is set against", "loihi")
    .option("--plot <file>", "write the accuracy-energy plot (SVG) to this file")
    .action((runs: string[], flags: { energyDevice: string; plot?: string }) => {
      const reports = labelledReports(runs);
      const energy = accuracyEnergySection(reports, flags.energyDevice.toLowerCase(), flags.plot ? path.basename(flags.plot) : "accuracy-energy.svg");
      if (flags.plot && !energy) throw new SpikemedError(`--plot ${flags.plot}: no run's report estimates energy on ${flags.energyDevice}`, "name a device the reports price (e.g. loihi, cpu)");
      if (flags.plot && energy) writeFileAtomic(flags.plot, energy.svg);
      process.stdout.write(`${RESEARCH_NOTICE}\n\n${compareReportsMarkdown(reports)}${energy?.markdown ?? ""}\n${flags.plot ? `plot written to ${flags.plot}\n` : ""}`);
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
      const { network, manifest } = loadRun(runDir);
      const summary = await exportNir(network, flags.out, { dt: flags.dt, run: { task: manifest.task, classNames: manifest.classNames, data: manifest.data } });
      process.stdout.write(describeNir(summary) + "\n");
    });
}
