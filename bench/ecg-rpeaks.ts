/**
 * R-peak detector accuracy on the whole MIT-BIH Arrhythmia Database against the reference beat
 * annotations, with the standard 150 ms matching window. Ventricular flutter episodes
 * (between "[" and "]" annotations, record 207) are left out of the comparison as in EC57.
 *
 * Usage: node dist/bench/ecg-rpeaks.js [dataDir]   (default ../shared/data/mitdb)
 * Writes bench/results/ecg-rpeaks.md and .json.
 */
import { cpus } from "node:os";
import { mkdirSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { listRecords, readRecord } from "../src/data/ecg/wfdb-record.js";
import { evaluateDetectorOnRecord } from "../src/data/ecg/rpeak-evaluation.js";

const root = fileURLToPath(new URL("../../", import.meta.url));
const dataDir = process.argv[2] ?? `${root}../shared/data/mitdb`;
const rows: Array<{ record: string; beats: number; tp: number; fn: number; fp: number; se: number; ppv: number }> = [];
const start = performance.now();
for (const name of listRecords(dataDir)) {
  const record = readRecord(dataDir, name, { requireAnnotations: true });
  const s = evaluateDetectorOnRecord(record);
  rows.push({ record: name, beats: s.truePositives + s.falseNegatives, tp: s.truePositives, fn: s.falseNegatives, fp: s.falsePositives, se: s.sensitivity, ppv: s.positivePredictivity });
}
const seconds = (performance.now() - start) / 1000;
const total = rows.reduce((t, r) => ({ beats: t.beats + r.beats, tp: t.tp + r.tp, fn: t.fn + r.fn, fp: t.fp + r.fp }), { beats: 0, tp: 0, fn: 0, fp: 0 });
const se = total.tp / (total.tp + total.fn);
const ppv = total.tp / (total.tp + total.fp);
const pct = (v: number): string => (100 * v).toFixed(2);
const lines = [
  "# R-peak detection on MIT-BIH (Pan-Tompkins, spikemed)",
  "",
  `- command: \`node dist/bench/ecg-rpeaks.js\``,
  `- date: ${new Date().toISOString()}`,
  `- machine: ${cpus()[0].model}, Node ${process.version}`,
  `- matching window: 150 ms; lead: first signal of each record; ventricular flutter episodes excluded`,
  `- time for all ${rows.length} records (read + detect + score): ${seconds.toFixed(1)} s`,
  "",
  `**Gross: beats ${total.beats}, TP ${total.tp}, FN ${total.fn}, FP ${total.fp}, Se ${pct(se)}%, +P ${pct(ppv)}%**`,
  "",
  "| record | beats | TP | FN | FP | Se % | +P % |",
  "|---|---:|---:|---:|---:|---:|---:|",
  ...rows.map((r) => `| ${r.record} | ${r.beats} | ${r.tp} | ${r.fn} | ${r.fp} | ${pct(r.se)} | ${pct(r.ppv)} |`),
  "",
];
mkdirSync(`${root}bench/results`, { recursive: true });
writeFileSync(`${root}bench/results/ecg-rpeaks.md`, lines.join("\n"));
writeFileSync(`${root}bench/results/ecg-rpeaks.json`, JSON.stringify({ date: new Date().toISOString(), machine: cpus()[0].model, seconds, gross: { ...total, sensitivity: se, positivePredictivity: ppv }, records: rows }, null, 1));
console.log(lines.slice(0, 9).join("\n"));
for (const r of rows) if (r.se < 0.995 || r.ppv < 0.995) console.log(`${r.record}: Se ${pct(r.se)} +P ${pct(r.ppv)} (FN ${r.fn}, FP ${r.fp})`);
