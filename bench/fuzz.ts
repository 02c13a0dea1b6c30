/**
 * Fuzzes every file reader spikemed has (bench/fuzz/targets.ts) with seeded mutations of valid
 * files, and counts each target's cases by outcome (bench/fuzz/harness.ts): named error, unnamed
 * error, accepted, crash, hang, non-finite output. The same seed gives the same cases.
 *
 *   npm run fuzz -- [--cases=10000] [--seed=1] [--targets=wfdb-header,dicom] [--time-limit=5000] [--out=bench/results/fuzz.md]
 *
 * Results: bench/results/fuzz.md. Exits 1 when any case crashed, hung or gave non-finite output.
 */
import { writeFileSync } from "node:fs";
import os from "node:os";
import { OUTCOMES, runCampaign, type CampaignResult } from "./fuzz/harness.js";
import { TARGETS, targetNamed } from "./fuzz/targets.js";

const args = new Map(process.argv.slice(2).map((a) => { const [k, v] = a.replace(/^--/, "").split("="); return [k, v ?? ""] as [string, string]; }));
const known = ["cases", "seed", "targets", "time-limit", "out"];
for (const key of args.keys()) if (!known.includes(key)) throw new Error(`fuzz: unknown option --${key} (options: ${known.map((k) => `--${k}`).join(", ")})`);
const cases = Number(args.get("cases") ?? 10000);
const seed = Number(args.get("seed") ?? 1);
const timeLimitMs = Number(args.get("time-limit") ?? 5000);
const targets = args.get("targets") ? args.get("targets")!.split(",").map(targetNamed) : TARGETS;
if (!Number.isInteger(cases) || cases < 1 || !Number.isInteger(seed) || !(timeLimitMs > 0)) throw new Error("fuzz: --cases, --seed are integers (cases >= 1), --time-limit a positive number of ms");

const results: CampaignResult[] = [];
for (const target of targets) {
  const result = await runCampaign({
    target: target.name, cases, seed, timeLimitMs,
    onProgress: (done, counts) => {
      if (done % 1000 === 0 || done === cases) process.stderr.write(`${target.name}: ${done}/${cases} ${OUTCOMES.map((o) => `${o} ${counts[o]}`).join(", ")}\n`);
    },
  });
  results.push(result);
}

const table = [
  `| target | reader | cases | ${OUTCOMES.join(" | ")} | seconds |`,
  `|---|---|---:|${OUTCOMES.map(() => "---:").join("|")}|---:|`,
  ...results.map((r) => `| ${r.target} | ${targetNamed(r.target).about} | ${r.cases} | ${OUTCOMES.map((o) => r.counts[o]).join(" | ")} | ${r.seconds.toFixed(0)} |`),
];
const describe = (target: string, f: CampaignResult["findings"][number]) =>
  `- ${target} case ${f.example} (${f.exampleBytes} bytes; ${f.count} case${f.count > 1 ? "s" : ""}): **${f.outcome}** ${f.detail.replace(/(.)\1{20,}/g, "$1$1$1...")}${f.where ? ` at ${f.where}` : ""}`;
// Every crash, hang and non-finite output; the commonest errors that do not name the file (those are many but harmless).
const UNNAMED_SHOWN = 5;
const findings = results.flatMap((r) => {
  const unnamed = r.findings.filter((f) => f.outcome === "unnamed");
  return [
    ...r.findings.filter((f) => f.outcome !== "unnamed").map((f) => describe(r.target, f)),
    ...unnamed.slice(0, UNNAMED_SHOWN).map((f) => describe(r.target, f)),
    ...(unnamed.length > UNNAMED_SHOWN ? [`- ${r.target}: ${unnamed.length - UNNAMED_SHOWN} more kinds of unnamed error (${unnamed.slice(UNNAMED_SHOWN).reduce((s, f) => s + f.count, 0)} cases)`] : []),
  ];
});
const report = [
  ...table, "",
  findings.length > 0 ? "Distinct findings (outcome, error and place; the smallest case of each; rebuild one with makeCase(target, seeds, seed, case)):" : "No crash, hang, unnamed error or non-finite output.",
  ...findings,
].join("\n");
process.stdout.write(report + "\n");

if (args.has("out")) {
  const cpu = os.cpus()[0]?.model ?? "unknown CPU";
  writeFileSync(args.get("out")!, [
    "# Fuzzing every file reader",
    "",
    `Command: \`npm run fuzz -- --cases=${cases} --seed=${seed} --time-limit=${timeLimitMs} --out=${args.get("out")}\``,
    `Date: ${new Date().toISOString().slice(0, 10)}; machine: ${os.cpus().length} x ${cpu.trim()}, Node ${process.version}.`,
    "",
    "Each case is a valid seed file (the embedded MIT-BIH sample, test fixtures, files spikemed writes) with",
    "seeded mutations (bench/fuzz/mutate.ts: bytes, text tokens, JSON fields, DICOM numbers, PNG headers and",
    "checkpoints with their checksums recomputed), read the way the command line reads it (bench/fuzz/targets.ts).",
    "Outcomes: named = spikemed's error naming the file; unnamed = spikemed's error without the file's name;",
    "accepted = read, output finite (and indices inside the data); crash = any other exception; hang = over",
    `${timeLimitMs} ms; non-finite = read but the output holds NaN, Infinity or an index outside the data.`,
    "",
    report, "",
  ].join("\n"));
}
if (results.some((r) => r.counts.crash + r.counts.hang + r.counts["non-finite"] > 0)) process.exitCode = 1;
