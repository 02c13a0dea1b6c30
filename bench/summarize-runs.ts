/**
 * Collects the benchmark runs (runs/bench/<name>/report.json, written by `spikemed train`) into
 * bench/results/experiments.md: one row per run with the command that produced it (from
 * bench/experiments.sh), the test metrics with 95% intervals, timing and energy per inference.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { readRunReport, type RunReport } from "../src/eval/index.js";

const root = process.argv[2] ?? "runs/bench";
const script = fs.readFileSync("bench/experiments.sh", "utf8");
const commands = new Map<string, string>();
// The script's shared option lists (NAME="..."), spelled out in each command they appear in.
const shared = new Map<string, string>([["MITDB", "../shared/data/mitdb"], ["CXR", "../shared/data/cxr"]]);
for (const line of script.split("\n")) {
  const definition = /^([A-Z]+)="([^"$]*)"$/.exec(line);
  if (definition) shared.set(definition[1], definition[2]);
  const m = line.match(/--out runs\/bench\/([\w-]+)/);
  if (m) {
    // Earlier runs are listed as comments: their command, for the code of the commit named there.
    const command = line.trim().replace(/^#\s*/, "").replace(/^\$S /, "npx spikemed train ").replace(/\$([A-Z]+)\b/g, (text, name: string) => shared.get(name) ?? text);
    commands.set(m[1], command);
  }
}

const pct = (v: number | null | undefined): string => (v === null || v === undefined ? "n/a" : `${(100 * v).toFixed(2)}`);
const interval = (i: { estimate: number | null; lower: number | null; upper: number | null }): string =>
  i.lower === null ? pct(i.estimate) : `${pct(i.estimate)} [${pct(i.lower)}, ${pct(i.upper)}]`;
const energyOf = (r: RunReport, device: string): string => {
  const row = r.energy?.rows.find((x) => x[0] === device);
  return row ? Number(row[2]).toExponential(2) : "n/a";
};

// Run folders are not committed, so another machine or checkout has only its own: rows of runs whose
// folders are gone are kept from the previous file instead of dropped.
const output = "bench/results/experiments.md";
const previous = fs.existsSync(output) ? fs.readFileSync(output, "utf8").split("\n") : [];
const rows = new Map<string, string>();
const details = new Map<string, string>();
for (const line of previous) {
  const row = /^\| ([\w-]+) \| /.exec(line);
  if (row && row[1] !== "run") rows.set(row[1], line);
  const detail = /^- \*\*([\w-]+)\*\*: /.exec(line);
  if (detail) details.set(detail[1], line);
}
for (const name of fs.existsSync(root) ? fs.readdirSync(root).sort() : []) {
  const dir = path.join(root, name);
  if (!fs.existsSync(path.join(dir, "report.json"))) continue;
  const summary = readRunReport(dir);
  // A several-seed run keeps its per-run details (timing, energy) in each seed's folder: show the first.
  const seedDirs = fs.readdirSync(dir).filter((d) => d.startsWith("seed-")).sort();
  const r = summary.seedAggregate && seedDirs.length > 0 ? { ...readRunReport(path.join(dir, seedDirs[0])), seedAggregate: summary.seedAggregate } : summary;
  const test = r.evaluations.find((e) => e.name === "test")!.evaluation;
  const recall = (c: string): string => {
    const k = test.perClass.find((p) => p.name === c);
    return k ? pct(k.recall.estimate) : "-";
  };
  const seeds = r.seedAggregate;
  const acc = seeds ? `${pct(seeds.accuracy.mean)} [${pct(seeds.accuracy.lower)}, ${pct(seeds.accuracy.upper)}] (${seeds.seeds.length} seeds)` : interval(test.accuracy);
  const auc = seeds?.macroAuc ? `${seeds.macroAuc.mean.toFixed(4)} [${seeds.macroAuc.lower?.toFixed(4)}, ${seeds.macroAuc.upper?.toFixed(4)}]` : test.macroAuc ? test.macroAuc.estimate?.toFixed(4) : "n/a";
  const epochs = r.history.length;
  const trainMin = r.timing?.trainSeconds ? (r.timing.trainSeconds / 60).toFixed(0) + (seeds ? " per seed" : "") : "n/a";
  const macroF1 = seeds ? `${pct(seeds.macroF1.mean)} [${pct(seeds.macroF1.lower)}, ${pct(seeds.macroF1.upper)}]` : pct(test.macroF1.estimate);
  rows.set(name, `| ${name} | ${r.model} | ${acc} | ${macroF1} | ${auc} | ${recall("S")} / ${recall("V")} | ${epochs} | ${trainMin} | ${r.timing?.inferenceSamplesPerSecond?.toFixed(0) ?? "n/a"} | ${energyOf(r, "loihi")} / ${energyOf(r, "cpu")} |`);
  details.set(name, `- **${name}**: \`${commands.get(name) ?? "(command not in bench/experiments.sh)"}\`; data: ${r.dataset}; split: ${r.split}; written ${r.createdAt}.`);
}
const lines = [
  "# Experiment results", "",
  `Collected by \`node dist/bench/summarize-runs.js\` on ${new Date().toISOString()} (${os.cpus()[0].model}, ${os.cpus().length} cores) from the run folders under ${root} (rows of runs whose folders are not on this machine are kept from the file before; each row's date is in its details); each run's full report (training table, per-class metrics, confusion matrix, energy per layer) is its report.md.`, "",
  "Accuracy and macro-F1 in %, with 95% bootstrap intervals over the test set (or, for several seeds, the mean and 95% t-interval across seeds; sensitivities, timing and energy are then the first seed's). Sens S / V: sensitivity (recall) of the S and V classes (ECG). Train: minutes of training on this 2-core machine (often shared with other jobs). Energy: joules per inference estimated from the measured spike rates with KerasSpiking's constants (Loihi / CPU).", "",
  "| run | model | accuracy % | macro-F1 % | ROC AUC | sens S / V % | epochs | train min | inference / s | energy J (loihi / cpu) |",
  "| :--- | :--- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
  ...[...rows.keys()].sort().map((name) => rows.get(name)!), "", "Commands and data:", "", ...[...details.keys()].sort().map((name) => details.get(name)!),
];
fs.writeFileSync(output, lines.join("\n") + "\n");
console.log(lines.join("\n"));
