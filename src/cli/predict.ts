import fs from "node:fs";
import path from "node:path";
import { Command } from "commander";
import { RESEARCH_NOTICE, SpikemedError } from "../core/index.js";
import { decodeImageFileToBytes } from "../data/cxr/index.js";
import { readRecord, type WfdbRecord } from "../data/ecg/index.js";
import { imageSize, loadRun, predictImageBytes, predictRecordBeats, recordInTrainingData, trainingDataNote } from "../experiment/index.js";
import { backendOptions, selectBackend, type BackendOptions } from "./backend.js";
import { maxImagePixelsOption, oneOf } from "./options.js";

type LoadedRun = ReturnType<typeof loadRun>;

export function predictCommand(): Command {
  return maxImagePixelsOption(backendOptions(new Command("predict")))
    .description("classify inputs with a trained run: ECG records (per-beat labels and a summary) or chest X-ray images (probabilities)")
    .argument("<run>", "a run folder written by spikemed train")
    .argument("<inputs...>", "ecg: WFDB record paths (e.g. data/100 or data/100.hea); cxr: image files")
    .option("--json", "print JSON instead of tables")
    .option("--adapt <protocol>", "ecg: unlabeled: before classifying each record, re-estimate the model's batch-norm statistics on that record's own detected beats " +
      "(AdaBN; no annotation is read, so it works on an unannotated record; models with a batch-norm layer, e.g. snn-families); " +
      "self-training: the record's beats the model classifies with confidence, labelled by the model, vote by nearest neighbour beside it on every beat (no annotation read; snn-families, mlp-families)",
    oneOf(["unlabeled", "self-training"] as const))
    .action(async (runDir: string, inputs: string[], flags: BackendOptions & { json?: boolean; maxImagePixels?: number; adapt?: "unlabeled" | "self-training" }) => {
      await selectBackend(flags);
      const { manifest, network } = loadRun(runDir);
      if (flags.adapt && manifest.data.task !== "ecg") throw new SpikemedError(`--adapt applies to ECG runs; ${runDir} is a ${manifest.data.task} run`, "drop --adapt");
      // With --json the notice goes to stderr, so that stdout stays one JSON document.
      (flags.json ? process.stderr : process.stdout).write(`${RESEARCH_NOTICE}\n`);
      const results = [];
      for (const input of inputs) {
        const result = manifest.data.task === "ecg" ? predictRecord(network, manifest, input, flags.adapt) : await predictImage(network, manifest, input, flags.maxImagePixels);
        results.push(result);
        if (!flags.json) process.stdout.write(result.text + "\n");
      }
      if (flags.json) process.stdout.write(JSON.stringify(results.map(({ text: _text, ...rest }) => rest), null, 2) + "\n");
    });
}

/** `input` without its WFDB extension: data/100.hea -> data/100. */
function recordBase(input: string): string {
  return input.replace(/\.(hea|dat|atr)$/, "");
}

/** The WFDB record at `input` (a path with or without .hea / .dat / .atr), with its annotations when it has them. */
export function readRecordAt(input: string): WfdbRecord {
  const base = recordBase(input);
  if (!fs.existsSync(`${base}.hea`)) throw new SpikemedError(`${input}: no WFDB header ${base}.hea`, "give the record's path without extension, e.g. data/mitdb/100");
  return readRecord(path.dirname(base), path.basename(base), { annotator: fs.existsSync(`${base}.atr`) ? "atr" : null });
}

function predictRecord(network: LoadedRun["network"], manifest: LoadedRun["manifest"], input: string, adapt?: "unlabeled" | "self-training") {
  const record = readRecordAt(input);
  const { sampleOfBeat, labels, probabilities, summary, agreement } = predictRecordBeats(network, manifest, record, input, adapt);
  const classNames = manifest.classNames;
  const K = classNames.length;
  const fs_ = record.samplingFrequency;
  const inTraining = recordInTrainingData(manifest.data, `${recordBase(input)}.hea`);
  const lines = [`record ${record.name}: ${labels.length} beats detected (${(record.frameCount / fs_ / 60).toFixed(1)} min)`,
    ...(inTraining ? [`  ${trainingDataNote(record.name)}`] : []),
    ...(adapt === "unlabeled" ? ["  adapted: batch-norm statistics re-estimated on this record's own beats (--adapt unlabeled; no annotation read)"] : []),
    ...(adapt === "self-training" ? ["  adapted: the record's confidently classified beats voted beside the model on every beat (--adapt self-training; no annotation read)"] : []),
    `  summary: ${classNames.map((c) => `${c} ${summary[c]}`).join(", ")}`];
  if (agreement) {
    lines.push(`  against the reference annotations: ${agreement.matched} beats matched within 150 ms, ` +
      `${(100 * agreement.agree / Math.max(1, agreement.matched)).toFixed(2)}% same AAMI class`);
  }
  lines.push("  time_s    sample  class  probability");
  for (let i = 0; i < labels.length; i++) {
    lines.push(`  ${(sampleOfBeat[i] / fs_).toFixed(3).padStart(8)}  ${String(sampleOfBeat[i]).padStart(8)}  ${classNames[labels[i]].padEnd(5)}  ${probabilities[i * K + labels[i]].toFixed(4)}`);
  }
  return {
    input, beats: labels.length, inTrainingData: inTraining, summary, agreement,
    perBeat: Array.from(labels, (l, i) => ({ sample: sampleOfBeat[i], class: classNames[l], probability: probabilities[i * K + l] })),
    text: lines.join("\n"),
  };
}

async function predictImage(network: LoadedRun["network"], manifest: LoadedRun["manifest"], file: string, maxPixels?: number) {
  const probs = predictImageBytes(network, manifest, await decodeImageFileToBytes(file, { size: imageSize(manifest), maxPixels }), file);
  return { input: file, probabilities: probs, text: `${file}: ${Object.entries(probs).map(([c, p]) => `${c} ${p.toFixed(4)}`).join("  ")}` };
}
