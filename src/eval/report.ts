/**
 * Run reports: `report.json` (everything, machine-readable), `report.md` (for people) and SVG
 * plots in a run folder, plus a side-by-side comparison of several runs.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { SpikemedError } from "../core/errors.js";
import { RESEARCH_NOTICE } from "../core/notice.js";
import { writeFileAtomic } from "../data/atomic-file.js";
import type { ClassificationEvaluation, SeedAggregate } from "./evaluate.js";
import { pairedBySeed, type Interval, type PairedDifference, type SeedSummary } from "./stats.js";
import { barChartSvg, confusionMatrixSvg, panelsSvg, lineChartSvg, rocCurvesSvg, type BarChartOptions } from "./plots.js";
import { formatCompact } from "./svg.js";
import { tradeOffSection } from "./tradeoff.js";

export interface EpochRecord {
  /** 1-based epoch number. */
  epoch: number;
  trainLoss: number;
  /** Fraction in [0, 1]. */
  trainAccuracy: number;
  /** null or absent when the epoch had no validation pass. */
  valLoss?: number | null;
  valAccuracy?: number | null;
  /** Mean recall of the classes present in the validation set; recorded when it picks the best epoch. */
  valBalancedAccuracy?: number | null;
  /** The class predicted for every validation sample when the samples hold several classes (a collapsed classifier); absent otherwise. */
  valPredictsOnly?: string;
  learningRate?: number;
  /** Mean firing rate of each spiking layer (spikes per neuron per time step, in [0, 1]), by layer name, in network order. */
  firingRates?: Record<string, number>;
  /** Wall-clock seconds the epoch took. */
  seconds?: number;
}

export interface Timing {
  trainSeconds?: number;
  trainSamplesPerSecond?: number;
  inferenceSamplesPerSecond?: number;
  evaluateSeconds?: number;
}

/** A table of rows of cells under column headers (energy estimates, subgroup results), optionally with a bar chart. */
export interface ReportTable {
  title: string;
  /** A sentence shown above the table (the energy table's: whether the spikes save energy). */
  lead?: string;
  columns: string[];
  rows: (string | number)[][];
  notes?: string[];
  chart?: BarChartOptions;
}

export interface NamedEvaluation {
  /** e.g. "test" or "validation"; also names the plot files. */
  name: string;
  evaluation: ClassificationEvaluation;
}

export interface RunReportInput {
  title: string;
  /** Model kind, e.g. "snn", "bilstm", "cnn", "logreg". */
  model?: string;
  /** Data set description, e.g. "MIT-BIH (48 records)". */
  dataset?: string;
  /** e.g. "intra" or "inter (DS1 -> DS2)". */
  split?: string;
  /** The configuration the run used (model, optimiser, data...), as JSON-compatible values. */
  config: Record<string, unknown>;
  history: EpochRecord[];
  /** "test" first by convention: comparisons use the evaluation named "test", else the first. */
  evaluations: NamedEvaluation[];
  /** Headline metrics across seeds, when the experiment was repeated (`--seeds`). */
  seedAggregate?: SeedAggregate;
  timing?: Timing;
  energy?: ReportTable;
  /** Further results tables, shown after the evaluations (e.g. accuracy by source). */
  tables?: ReportTable[];
  /** What a reader must know before reading any figure (e.g. that test patients were seen in training), shown at the top. */
  cautions?: string[];
  notes?: string[];
  /** ISO 8601 time; defaults to now. */
  createdAt?: string;
}

export const REPORT_FORMAT = "spikemed-run-report";
export const REPORT_VERSION = 1;

export interface RunReport extends RunReportInput {
  format: typeof REPORT_FORMAT;
  version: typeof REPORT_VERSION;
  createdAt: string;
  /** Plot file names (relative to the run folder) by role, e.g. { "learning-curves": "learning-curves.svg" }. */
  plots: Record<string, string>;
}


function checkInput(input: RunReportInput): void {
  const where = `run report "${input.title}"`;
  input.history.forEach((e, i) => {
    for (const key of ["epoch", "trainLoss", "trainAccuracy"] as const)
      if (!Number.isFinite(e[key]))
        throw new SpikemedError(`${where}: history[${i}].${key} is ${e[key]}`, "record only epochs whose loss is a finite number");
    for (const key of ["valLoss", "valAccuracy", "valBalancedAccuracy", "learningRate", "seconds"] as const) {
      const v = e[key];
      if (v !== undefined && v !== null && !Number.isFinite(v))
        throw new SpikemedError(`${where}: history[${i}].${key} is ${v}`, "use null for a missing value");
    }
    for (const [layer, rate] of Object.entries(e.firingRates ?? {}))
      if (!Number.isFinite(rate)) throw new SpikemedError(`${where}: history[${i}] firing rate of layer "${layer}" is ${rate}`);
  });
  const seen = new Set<string>();
  for (const { name } of input.evaluations) {
    const file = fileStem(name);
    if (seen.has(file)) throw new SpikemedError(`${where}: two evaluations are named "${name}" (or the same after cleaning for file names)`);
    seen.add(file);
  }
}

function fileStem(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "") || "evaluation";
}

/** Firing-rate layer names in network order (first appearance across epochs). */
function firingLayers(history: readonly EpochRecord[]): string[] {
  const layers: string[] = [];
  for (const e of history) for (const layer of Object.keys(e.firingRates ?? {})) if (!layers.includes(layer)) layers.push(layer);
  return layers;
}

/**
 * Writes report.json, report.md and the SVG plots into `runDir` (created if needed), each file
 * atomically. Returns the report as stored in report.json.
 */
export function writeRunReport(runDir: string, input: RunReportInput): RunReport {
  checkInput(input);
  try {
    fs.mkdirSync(runDir, { recursive: true });
  } catch (error) {
    throw new SpikemedError(`cannot create the run folder "${runDir}": ${(error as Error).message}`, "choose another --out folder");
  }
  const plots: Record<string, string> = {};
  const writePlot = (role: string, svg: string) => {
    const file = `${role}.svg`;
    writeFileAtomic(path.join(runDir, file), svg);
    plots[role] = file;
  };

  const { history } = input;
  if (history.length > 0) {
    const epochs = history.map((e) => e.epoch);
    const hasVal = history.some((e) => e.valLoss !== undefined && e.valLoss !== null);
    const hasValAcc = history.some((e) => e.valAccuracy !== undefined && e.valAccuracy !== null);
    const percent = (v: number | null | undefined) => (v === undefined || v === null ? null : v * 100);
    writePlot(
      "learning-curves",
      panelsSvg(`Learning curves: ${input.title}`, [
        {
          title: "Loss",
          xLabel: "Epoch",
          yLabel: "Loss",
          integerX: true,
          series: [
            { name: "train", x: epochs, y: history.map((e) => e.trainLoss), markers: true },
            ...(hasVal ? [{ name: "validation", x: epochs, y: history.map((e) => e.valLoss ?? null), dashed: true, markers: true }] : []),
          ],
        },
        {
          title: "Accuracy",
          xLabel: "Epoch",
          yLabel: "Accuracy (%)",
          integerX: true,
          series: [
            { name: "train", x: epochs, y: history.map((e) => e.trainAccuracy * 100), markers: true },
            ...(hasValAcc ? [{ name: "validation", x: epochs, y: history.map((e) => percent(e.valAccuracy)), dashed: true, markers: true }] : []),
          ],
        },
      ]),
    );
    const layers = firingLayers(history);
    if (layers.length > 0)
      writePlot(
        "firing-rates",
        lineChartSvg({
          title: `Firing rate per layer: ${input.title}`,
          xLabel: "Epoch",
          yLabel: "Spikes per neuron per time step",
          integerX: true,
          yIncludeZero: true,
          series: layers.map((layer) => ({
            name: layer,
            x: epochs,
            y: history.map((e) => e.firingRates?.[layer] ?? null),
            markers: true,
          })),
        }),
      );
  }
  for (const { name, evaluation } of input.evaluations) {
    const stem = fileStem(name);
    writePlot(
      `confusion-${stem}`,
      confusionMatrixSvg({
        title: `Confusion matrix (${name}, n = ${evaluation.n})`,
        classNames: evaluation.classNames,
        matrix: evaluation.confusionMatrix.flat(),
      }),
    );
    if (evaluation.rocCurves.length > 0)
      writePlot(
        `roc-${stem}`,
        rocCurvesSvg({
          title: `ROC curves, one-vs-rest (${name})`,
          curves: evaluation.rocCurves.map((c) => ({ name: c.className, fpr: c.fpr, tpr: c.tpr, auc: c.auc })),
        }),
      );
  }
  if (input.energy?.chart) writePlot("energy", barChartSvg(input.energy.chart));

  const report: RunReport = {
    format: REPORT_FORMAT,
    version: REPORT_VERSION,
    ...input,
    createdAt: input.createdAt ?? new Date().toISOString(),
    plots,
  };
  writeFileAtomic(path.join(runDir, "report.json"), JSON.stringify(report, null, 2) + "\n");
  writeFileAtomic(path.join(runDir, "report.md"), renderMarkdown(report));
  return report;
}

/** Reads and checks `runDir/report.json`. */
export function readRunReport(runDir: string): RunReport {
  if (!fs.existsSync(runDir))
    throw new SpikemedError(`run folder "${runDir}" does not exist`, "give a folder written by `spikemed train --out`");
  if (!fs.statSync(runDir).isDirectory())
    throw new SpikemedError(`"${runDir}" is a file, not a run folder`, "give the folder that holds report.json");
  const file = path.join(runDir, "report.json");
  if (!fs.existsSync(file))
    throw new SpikemedError(`"${file}" not found: "${runDir}" is not a finished spikemed run`, "train into it with `spikemed train --out`, or give another folder");
  let parsed: unknown;
  try {
    parsed = JSON.parse(fs.readFileSync(file, "utf8"));
  } catch (error) {
    throw new SpikemedError(`"${file}" is not valid JSON: ${(error as Error).message}`);
  }
  const report = parsed as Partial<RunReport> | null;
  if (!report || typeof report !== "object" || report.format !== REPORT_FORMAT)
    throw new SpikemedError(`"${file}" is not a spikemed run report (its "format" field is not "${REPORT_FORMAT}")`);
  if (report.version !== REPORT_VERSION)
    throw new SpikemedError(`"${file}" is a version ${report.version} report; this spikemed reads version ${REPORT_VERSION}`, "update spikemed");
  if (!Array.isArray(report.history) || !Array.isArray(report.evaluations) || typeof report.title !== "string")
    throw new SpikemedError(`"${file}" is missing its title, history or evaluations`);
  return report as RunReport;
}

// ---------------------------------------------------------------------------------------------
// Markdown

const NA = "n/a";

function percent(v: number | null | undefined, digits = 2): string {
  return v === null || v === undefined ? NA : `${(v * 100).toFixed(digits)}%`;
}

function fixed(v: number | null | undefined, digits = 4): string {
  return v === null || v === undefined ? NA : v.toFixed(digits);
}

function cell(text: string): string {
  return text.replace(/\|/g, "\\|").replace(/\n/g, " ");
}

function table(header: string[], rows: string[][], align?: ("l" | "r")[]): string {
  const rule = header.map((_, i) => ((align?.[i] ?? (i === 0 ? "l" : "r")) === "r" ? "---:" : ":---"));
  return [header, rule, ...rows].map((r, i) => `| ${(i === 1 ? r : r.map(cell)).join(" | ")} |`).join("\n") + "\n";
}

type Formatter = (v: number | null | undefined) => string;

function intervalText(interval: Interval | null, format: Formatter): string {
  if (!interval) return NA;
  if (interval.lower === null || interval.upper === null) return format(interval.estimate);
  return `${format(interval.estimate)} [${format(interval.lower)}, ${format(interval.upper)}]`;
}

function seedText(summary: SeedSummary | null, format: Formatter): string {
  if (!summary) return NA;
  if (summary.lower === null || summary.upper === null) return `${format(summary.mean)} (1 seed)`;
  return `${format(summary.mean)} [${format(summary.lower)}, ${format(summary.upper)}]`;
}

function historyTable(history: readonly EpochRecord[]): string {
  const layers = firingLayers(history);
  const hasLr = history.some((e) => e.learningRate !== undefined);
  const hasTime = history.some((e) => e.seconds !== undefined);
  const hasBalanced = history.some((e) => e.valBalancedAccuracy !== undefined);
  const header = ["Epoch", "Train loss", "Train acc", "Val loss", "Val acc"];
  if (hasBalanced) header.push("Val balanced acc");
  if (hasLr) header.push("LR");
  header.push(...layers.map((l) => `Rate ${l}`));
  if (hasTime) header.push("Time (s)");
  const rows = history.map((e) => {
    const row = [String(e.epoch), fixed(e.trainLoss), percent(e.trainAccuracy), fixed(e.valLoss), percent(e.valAccuracy)];
    if (hasBalanced) row.push(percent(e.valBalancedAccuracy));
    if (hasLr) row.push(e.learningRate === undefined ? NA : formatCompact(e.learningRate));
    row.push(...layers.map((l) => (e.firingRates?.[l] === undefined ? NA : e.firingRates[l].toFixed(4))));
    if (hasTime) row.push(e.seconds === undefined ? NA : e.seconds.toFixed(1));
    return row;
  });
  return table(header, rows);
}

function evaluationSection(name: string, e: ClassificationEvaluation, plots: Record<string, string>): string {
  const stem = fileStem(name);
  const level = e.bootstrap ? `${Math.round(e.bootstrap.confidence * 100)}%` : "";
  let md = `## Evaluation: ${name} (n = ${e.n})\n\n`;
  md += e.bootstrap
    ? `Values with ${level} confidence intervals in brackets: percentile bootstrap over samples, ${e.bootstrap.resamples} resamples, seed ${e.bootstrap.seed}.\n\n`
    : "Point estimates (no bootstrap).\n\n";
  md += table(
    ["Metric", "Value"],
    [
      ["Accuracy", intervalText(e.accuracy, percent)],
      ["Macro-F1", intervalText(e.macroF1, percent)],
      ["Weighted F1", intervalText(e.weightedF1, percent)],
      ["Macro precision", intervalText(e.macroPrecision, percent)],
      ["Macro recall (sensitivity)", intervalText(e.macroRecall, percent)],
      ["Cohen's kappa", intervalText(e.kappa ?? null, fixed)],
      ["Macro ROC AUC (one-vs-rest)", intervalText(e.macroAuc, fixed)],
    ],
  );
  md += "\n### Per class\n\n";
  md += "AAMI EC57's statistics, gross (every sample pooled): Se, sensitivity TP / (TP + FN); +P, positive predictivity TP / (TP + FP); " +
    `FPR, false-positive rate FP / (FP + TN); ${NA} where a value is 0/0.\n\n`;
  md += table(
    ["Class", "Support", "Predicted", "Se (recall)", "+P (precision)", "FPR", "Specificity", "F1", "ROC AUC"],
    e.perClass.map((c) => [
      c.name,
      String(c.support),
      String(c.predicted),
      intervalText(c.recall, percent),
      intervalText(c.precision, percent),
      intervalText(c.falsePositiveRate ?? null, percent),
      intervalText(c.specificity, percent),
      intervalText(c.f1, percent),
      intervalText(c.auc, fixed),
    ]),
  );
  md += "\n### Confusion matrix\n\nRows: true class; columns: predicted class.\n\n";
  md += table(
    ["true \\ predicted", ...e.classNames, "total"],
    e.confusionMatrix.map((row, r) => [e.classNames[r], ...row.map(String), String(row.reduce((a, b) => a + b, 0))]),
  );
  const confusion = plots[`confusion-${stem}`];
  if (confusion) md += `\n![Confusion matrix, ${name}](${confusion})\n`;
  const roc = plots[`roc-${stem}`];
  if (roc) md += `\n![ROC curves, ${name}](${roc})\n`;
  if (e.warnings.length) md += `\n**Undefined values (${NA}) and caveats**\n\n${e.warnings.map((w) => `- ${w}`).join("\n")}\n`;
  return md + "\n";
}

function seedSection(a: SeedAggregate): string {
  const n = a.seeds.length;
  const level = `${Math.round(a.accuracy.confidence * 100)}%`;
  let md = `## Across ${n} seeds (${a.seeds.join(", ")})\n\nMean with the ${level} Student t interval of the mean in brackets, and the sample standard deviation.\n\n`;
  const row = (label: string, s: SeedSummary | null, format: Formatter): string[] => [
    label,
    seedText(s, format),
    s?.std === null || s?.std === undefined ? NA : format(s.std),
    s ? s.values.map((v) => format(v)).join(", ") : NA,
  ];
  const rows = [
    row("Accuracy", a.accuracy, percent),
    row("Macro-F1", a.macroF1, percent),
    row("Weighted F1", a.weightedF1, percent),
    ...(a.kappa !== undefined ? [row("Cohen's kappa", a.kappa, fixed)] : []),
    ...(a.macroAuc ? [row("Macro ROC AUC", a.macroAuc, fixed)] : []),
    ...a.perClass.flatMap((c) => [
      row(`Se ${c.name}`, c.recall, percent),
      ...(c.precision !== undefined ? [row(`+P ${c.name}`, c.precision, percent)] : []),
      ...(c.falsePositiveRate !== undefined ? [row(`FPR ${c.name}`, c.falsePositiveRate, percent)] : []),
      row(`F1 ${c.name}`, c.f1, percent),
    ]),
  ];
  md += table(["Metric", `Mean [${level} CI]`, "Std", "Per seed"], rows);
  if (a.notes.length) md += `\n${a.notes.map((x) => `- ${x}`).join("\n")}\n`;
  return md + "\n";
}

function timingSection(t: Timing): string {
  const rows: string[][] = [];
  if (t.trainSeconds !== undefined) rows.push(["Training time", `${t.trainSeconds.toFixed(1)} s`]);
  if (t.trainSamplesPerSecond !== undefined) rows.push(["Training speed", `${t.trainSamplesPerSecond.toFixed(1)} samples/s`]);
  if (t.inferenceSamplesPerSecond !== undefined) rows.push(["Inference speed", `${t.inferenceSamplesPerSecond.toFixed(1)} samples/s`]);
  if (t.evaluateSeconds !== undefined) rows.push(["Evaluation time", `${t.evaluateSeconds.toFixed(1)} s`]);
  return rows.length ? `## Timing\n\n${table(["", "Value"], rows)}\n` : "";
}

function tableSection(t: ReportTable): string {
  let md = `## Test ${t.title}\n\n`;
  md += table(t.columns, t.rows.map((r) => r.map(String)));
  if (t.notes?.length) md += `\n${t.notes.map((x) => `- ${x}`).join("\n")}\n`;
  return md + "\n";
}

function energySection(energy: ReportTable, plots: Record<string, string>): string {
  let md = `## Energy: ${energy.title}\n\n`;
  if (energy.lead) md += `**${energy.lead}**\n\n`;
  md += table(energy.columns, energy.rows.map((r) => r.map((v) => (typeof v === "number" ? formatCompact(v) : v))));
  if (plots.energy) md += `\n![${energy.title}](${plots.energy})\n`;
  if (energy.notes?.length) md += `\n${energy.notes.map((x) => `- ${x}`).join("\n")}\n`;
  return md + "\n";
}

export function renderMarkdown(report: RunReport): string {
  let md = `# ${report.title}\n\n> ${RESEARCH_NOTICE}\n\n`;
  for (const caution of report.cautions ?? []) md += `> **Caution:** ${caution}\n\n`;
  const facts = [
    report.model && `model \`${report.model}\``,
    report.dataset && `data: ${report.dataset}`,
    report.split && `split: ${report.split}`,
    `written ${report.createdAt}`,
  ].filter(Boolean);
  md += `${facts.join("; ")}.\n\n`;
  if (report.history.length) {
    md += `## Training (${report.history.length} epochs)\n\n`;
    md += historyTable(report.history);
    if (firingLayers(report.history).length)
      md += "\nFiring rate: mean spikes per neuron per time step of each spiking layer, on the training data.\n";
    if (report.plots["learning-curves"]) md += `\n![Learning curves](${report.plots["learning-curves"]})\n`;
    if (report.plots["firing-rates"]) md += `\n![Firing rate per layer](${report.plots["firing-rates"]})\n`;
    md += "\n";
  }
  for (const { name, evaluation } of report.evaluations) md += evaluationSection(name, evaluation, report.plots);
  for (const extra of report.tables ?? []) md += tableSection(extra);
  if (report.seedAggregate) md += seedSection(report.seedAggregate);
  if (report.timing) md += timingSection(report.timing);
  if (report.energy) md += energySection(report.energy, report.plots);
  if (report.notes?.length) md += `## Notes\n\n${report.notes.map((x) => `- ${x}`).join("\n")}\n\n`;
  md += `## Configuration\n\n\`\`\`json\n${JSON.stringify(report.config, null, 2)}\n\`\`\`\n`;
  return md;
}

// ---------------------------------------------------------------------------------------------
// Comparison

/** The evaluation a comparison shows: the one named "test", else the first. */
export function headlineEvaluation(report: RunReport): NamedEvaluation | null {
  return report.evaluations.find((e) => e.name === "test") ?? report.evaluations[0] ?? null;
}

/**
 * Side-by-side Markdown tables of several runs: accuracy, macro-F1, Cohen's kappa (with their
 * bootstrap interval, or the across-seed t interval when the run repeated seeds), macro AUC, epochs
 * and speed; then, class by class, each run's sensitivity, positive predictivity and false-positive rate.
 */
export function compareReportsMarkdown(runs: readonly { label: string; report: RunReport }[]): string {
  if (runs.length === 0) throw new SpikemedError("compare: no runs given", "name one or more run folders");
  const header = ["Run", "Model", "Split", "Evaluated on", "Accuracy", "Macro-F1", "Kappa", "Macro AUC", "Epochs", "Train time (s)", "Inference (samples/s)"];
  const rows = runs.map(({ label, report }) => {
    const headline = headlineEvaluation(report);
    const e = headline?.evaluation;
    const seeds = report.seedAggregate;
    const value = (ofSeeds: SeedSummary | null | undefined, ofRun: Interval | null | undefined, format: Formatter) => runValue(seeds !== undefined, ofSeeds, ofRun, format);
    return [
      label,
      report.model ?? "-",
      report.split ?? "-",
      headline ? `${headline.name} (n = ${headline.evaluation.n})${seeds ? `, ${seeds.seeds.length} seeds` : ""}` : "-",
      value(seeds?.accuracy, e?.accuracy, percent),
      value(seeds?.macroF1, e?.macroF1, percent),
      value(seeds?.kappa, e?.kappa, fixed),
      value(seeds?.macroAuc, e?.macroAuc, fixed),
      String(report.history.length),
      report.timing?.trainSeconds === undefined ? "-" : report.timing.trainSeconds.toFixed(1),
      report.timing?.inferenceSamplesPerSecond === undefined ? "-" : report.timing.inferenceSamplesPerSecond.toFixed(1),
    ];
  });
  const levels = new Set<string>();
  for (const { report } of runs) {
    const level = report.seedAggregate?.accuracy.confidence ?? headlineEvaluation(report)?.evaluation.bootstrap?.confidence;
    if (level !== undefined) levels.add(`${Math.round(level * 100)}%`);
  }
  const anySeeds = runs.some((r) => r.report.seedAggregate);
  let md = table(header, rows);
  md += `\nBrackets: ${[...levels].join(" or ") || "no"} confidence interval: percentile bootstrap over the evaluated samples`;
  md += anySeeds ? "; for runs with several seeds, the mean over seeds with the Student t interval of the mean.\n" : ".\n";
  return md + perClassComparison(runs) + pairedSection(runs);
}

/** A run's value: across seeds for a run of several, else with its bootstrap interval; "-" where its report does not record it. */
function runValue(seeded: boolean, ofSeeds: SeedSummary | null | undefined, ofRun: Interval | null | undefined, format: Formatter): string {
  if (seeded) return ofSeeds === undefined ? "-" : seedText(ofSeeds, format);
  return ofRun === undefined ? "-" : intervalText(ofRun, format);
}

/** Class by class, one row per run: Se, +P and FPR (across seeds where the run repeated them); "-" where a report lacks a value. */
function perClassComparison(runs: readonly { label: string; report: RunReport }[]): string {
  const classes: string[] = [];
  for (const { report } of runs)
    for (const name of headlineEvaluation(report)?.evaluation.classNames ?? []) if (!classes.includes(name)) classes.push(name);
  const rows: string[][] = [];
  for (const name of classes)
    for (const { label, report } of runs) {
      const c = headlineEvaluation(report)?.evaluation.perClass.find((x) => x.name === name);
      if (!c) continue;
      const seeds = report.seedAggregate?.perClass.find((x) => x.name === name);
      const value = (ofSeeds: SeedSummary | null | undefined, ofRun: Interval | null | undefined) => runValue(report.seedAggregate !== undefined, ofSeeds, ofRun, percent);
      rows.push([name, label, String(c.support), value(seeds?.recall, c.recall), value(seeds?.precision, c.precision),
        value(seeds?.falsePositiveRate, c.falsePositiveRate)]);
    }
  return (
    "\n## Per class (AAMI EC57 statistics, gross)\n\n" +
    `Se: sensitivity TP / (TP + FN); +P: positive predictivity TP / (TP + FP); FPR: false-positive rate FP / (FP + TN); ${NA} where a value is 0/0, ` +
    "- where the run's report does not record it.\n\n" +
    table(["Class", "Run", "Support", "Se", "+P", "FPR"], rows)
  );
}

/**
 * Several-seed runs against the first of them, seed by seed: two runs of one seed share the split's
 * test set and often the initialisation and batch order, so their difference varies less than
 * either run across seeds, and a paired test can show a difference their intervals hide.
 */
function pairedSection(runs: readonly { label: string; report: RunReport }[]): string {
  const seeded = runs.filter((r) => r.report.seedAggregate);
  if (seeded.length < 2) return "";
  const [reference, ...others] = seeded;
  const signed = (scale: number, digits: number): Formatter => (v) => (v === null || v === undefined ? NA : `${v >= 0 ? "+" : ""}${(v * scale).toFixed(digits)}`);
  const pText = (paired: PairedDifference | null) => (paired?.pValue == null ? NA : paired.pValue < 0.001 ? "< 0.001" : paired.pValue.toFixed(3));
  const ref = reference.report.seedAggregate as SeedAggregate;
  const rows = others.map(({ label, report }) => {
    const agg = report.seedAggregate as SeedAggregate;
    if ((report.split ?? "") !== (reference.report.split ?? "")) return [label, "not paired: another split", "-", "-", "-", "-"];
    const pair = (a: SeedSummary | null, b: SeedSummary | null) =>
      (a && b ? pairedBySeed({ seeds: ref.seeds, values: a.values }, { seeds: agg.seeds, values: b.values }) : null);
    const accuracy = pair(ref.accuracy, agg.accuracy);
    const auc = pair(ref.macroAuc, agg.macroAuc);
    if (!accuracy) return [label, "not paired: no seed in common", "-", "-", "-", "-"];
    return [label, accuracy.seeds.join(", "), seedText(accuracy.difference, signed(100, 2)), pText(accuracy),
      seedText(auc?.difference ?? null, signed(1, 4)), pText(auc)];
  });
  return (
    `\n## Paired by seed, against ${reference.label}\n\n` +
    `Each run's value minus ${reference.label}'s for the same seed, over the seeds both ran on the same split: the mean ` +
    "difference with its Student t interval, and p, the two-sided paired t test of no difference.\n\n" +
    table(["Run", "Seeds paired", "Accuracy difference (points)", "p", "Macro AUC difference", "p"], rows)
  );
}

/** Joules per inference on `device` from a report's energy table (its estimate), or null where the report has none. */
export function reportJoules(report: RunReport, device: string): number | null {
  const row = report.energy?.rows.find((r) => r[0] === device);
  return row && typeof row[2] === "number" ? row[2] : null;
}

/** The headline accuracy of a report: the mean over seeds for a run of several, else the test estimate. */
function reportAccuracy(report: RunReport): number | null {
  return report.seedAggregate?.accuracy.mean ?? headlineEvaluation(report)?.evaluation.accuracy.estimate ?? null;
}

/**
 * Accuracy against joules per inference on `device` for the runs whose reports price it: a table
 * with the Pareto front and the SVG plot (linked as `plotFile`); null when fewer than one run does.
 */
export function accuracyEnergySection(runs: readonly { label: string; report: RunReport }[], device: string, plotFile: string): { markdown: string; svg: string } | null {
  const points = runs.flatMap(({ label, report }) => {
    const joules = reportJoules(report, device);
    const score = reportAccuracy(report);
    return joules !== null && joules > 0 && score !== null ? [{ label, score, joules }] : [];
  });
  if (points.length === 0) return null;
  const section = tradeOffSection(points, device, "accuracy", plotFile);
  const missing = runs.filter((r) => !points.some((p) => p.label === r.label)).map((r) => r.label);
  const note = missing.length > 0 ? `\nNot shown (no energy estimate for ${device} in their report): ${missing.join(", ")}.\n` : "";
  return { markdown: `\n## Accuracy against energy per inference on ${device}\n\n${section.markdown}${note}`, svg: section.svg };
}

/** Each run folder's report.json, labelled by the folder's name. */
export function labelledReports(runDirs: readonly string[]): { label: string; report: RunReport }[] {
  return runDirs.map((dir) => ({ label: path.basename(path.resolve(dir)), report: readRunReport(dir) }));
}

/** Reads report.json in each run folder and returns the comparison table (`spikemed compare RUN...`). */
export function compareRuns(runDirs: readonly string[]): string {
  return compareReportsMarkdown(labelledReports(runDirs));
}
