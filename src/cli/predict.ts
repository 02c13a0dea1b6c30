import fs from "node:fs";
import path from "node:path";
import { Command } from "commander";
import { SpikemedError } from "../core/index.js";
import { decodeImageFile } from "../data/cxr/index.js";
import {
  aamiClassOfSymbol, annotationSymbol, BEAT_FEATURE_NAMES, beatWindowOptions, detectBeatsInRecord, readRecord, SECOND_LEAD_FEATURES, type BeatWindow,
} from "../data/ecg/index.js";
import { beatData, loadRun } from "../experiment/index.js";
import { argmaxRows } from "../eval/index.js";
import { flatArrayData, predictProbabilities } from "../train/index.js";
import { backendOptions, selectBackend, type BackendOptions } from "./backend.js";

export function predictCommand(): Command {
  return backendOptions(new Command("predict"))
    .description("classify inputs with a trained run: ECG records (per-beat labels and a summary) or chest X-ray images (probabilities)")
    .argument("<run>", "a run folder written by spikemed train")
    .argument("<inputs...>", "ecg: WFDB record paths (e.g. data/100 or data/100.hea); cxr: image files")
    .option("--json", "print JSON instead of tables")
    .action(async (runDir: string, inputs: string[], flags: BackendOptions & { json?: boolean }) => {
      await selectBackend(flags);
      const { manifest, network } = loadRun(runDir);
      const classNames = manifest.classNames;
      const results = [];
      for (const input of inputs) {
        const result = manifest.data.task === "ecg" ? predictRecord(network, classNames, input, manifest.data.window, manifest.model.features, manifest.data.leads) : await predictImage(network, classNames, input, manifest.model.inputShape[1]);
        results.push(result);
        if (!flags.json) process.stdout.write(result.text + "\n");
      }
      if (flags.json) process.stdout.write(JSON.stringify(results.map(({ text: _text, ...rest }) => rest), null, 2) + "\n");
    });
}

/** A record's detected beats as a model of the run reads them: the window of each of its leads, then the model's features. */
export function recordBeats(input: string, classNames: string[], window?: BeatWindow, features: readonly string[] = [], leads?: (string | number)[]) {
  const base = input.replace(/\.(hea|dat|atr)$/, "");
  const dir = path.dirname(base);
  const name = path.basename(base);
  if (!fs.existsSync(`${base}.hea`)) throw new SpikemedError(`${input}: no WFDB header ${base}.hea`, "give the record's path without extension, e.g. data/mitdb/100");
  const annotated = fs.existsSync(`${base}.atr`);
  const record = readRecord(dir, name, { annotator: annotated ? "atr" : null });
  const secondLeadFeatures = features.filter((f) => SECOND_LEAD_FEATURES.includes(f));
  if (secondLeadFeatures.length > 0 && record.physical.length < 2) {
    throw new SpikemedError(`${input}: the model reads features of a second lead (${secondLeadFeatures.join(", ")}), but the record has one signal`, "predict with a model that reads one lead's features");
  }
  const beats = detectBeatsInRecord(record, { ...beatWindowOptions(window), ...(leads ? { leads } : {}), secondLeadFeatures: secondLeadFeatures.length > 0 });
  const n = beats.sampleOfBeat.length;
  if (n === 0) throw new SpikemedError(`${input}: no heartbeats detected`, "check that the record holds an ECG lead");
  // Unlabelled beats through the same path as training beats.
  const data = beatData({ ...beats, featureNames: [...BEAT_FEATURE_NAMES], y: new Uint8Array(n), classNames }, features);
  return { name, annotated, record, beats, n, data };
}

function predictRecord(network: ReturnType<typeof loadRun>["network"], classNames: string[], input: string, window?: BeatWindow, features: readonly string[] = [],
  leads?: (string | number)[]) {
  const { name, annotated, record, beats, n, data } = recordBeats(input, classNames, window, features, leads);
  const { probabilities } = predictProbabilities(network, data, Int32Array.from({ length: n }, (_, i) => i), 256);
  const K = classNames.length;
  const labels = Array.from(argmaxRows(probabilities, n, K));
  const counts = classNames.map((_, k) => labels.filter((l) => l === k).length);
  const fs_ = record.samplingFrequency;
  const lines = [`record ${name}: ${n} beats detected (${(record.frameCount / fs_ / 60).toFixed(1)} min)`,
    `  summary: ${classNames.map((c, k) => `${c} ${counts[k]}`).join(", ")}`];
  let agreement: { matched: number; agree: number } | null = null;
  if (annotated && record.annotations) {
    agreement = compareWithReference(record.annotations, beats.sampleOfBeat, labels, Math.round(0.15 * fs_));
    lines.push(`  against the reference annotations: ${agreement.matched} beats matched within 150 ms, ` +
      `${(100 * agreement.agree / Math.max(1, agreement.matched)).toFixed(2)}% same AAMI class`);
  }
  lines.push("  time_s    sample  class  probability");
  for (let i = 0; i < n; i++) {
    lines.push(`  ${(beats.sampleOfBeat[i] / fs_).toFixed(3).padStart(8)}  ${String(beats.sampleOfBeat[i]).padStart(8)}  ${classNames[labels[i]].padEnd(5)}  ${probabilities[i * K + labels[i]].toFixed(4)}`);
  }
  return {
    input, beats: n, summary: Object.fromEntries(classNames.map((c, k) => [c, counts[k]])), agreement,
    perBeat: labels.map((l, i) => ({ sample: beats.sampleOfBeat[i], class: classNames[l], probability: probabilities[i * K + l] })),
    text: lines.join("\n"),
  };
}

/** Matches detected beats to annotated beats within `tolerance` samples and counts class agreement. */
function compareWithReference(a: { sample: Int32Array; code: Uint8Array }, detected: Int32Array, labels: number[], tolerance: number) {
  const ref: { sample: number; cls: number }[] = [];
  for (let i = 0; i < a.sample.length; i++) {
    const cls = aamiClassOfSymbol(annotationSymbol(a.code[i]));
    if (cls >= 0) ref.push({ sample: a.sample[i], cls });
  }
  let matched = 0;
  let agree = 0;
  let r = 0;
  for (let d = 0; d < detected.length; d++) {
    while (r < ref.length && ref[r].sample < detected[d] - tolerance) r++;
    if (r < ref.length && Math.abs(ref[r].sample - detected[d]) <= tolerance) {
      matched++;
      if (ref[r].cls === labels[d]) agree++;
      r++;
    }
  }
  return { matched, agree };
}

async function predictImage(network: ReturnType<typeof loadRun>["network"], classNames: string[], file: string, size: number) {
  const pixels = await decodeImageFile(file, { size });
  const { probabilities } = predictProbabilities(network, flatArrayData(pixels, [1, size, size], classNames, new Uint8Array(1)), [0], 1);
  const probs = Object.fromEntries(classNames.map((c, k) => [c, probabilities[k]]));
  return { input: file, probabilities: probs, text: `${file}: ${classNames.map((c, k) => `${c} ${probabilities[k].toFixed(4)}`).join("  ")}` };
}
