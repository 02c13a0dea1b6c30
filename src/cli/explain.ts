import fs from "node:fs";
import path from "node:path";
import { Command } from "commander";
import sharp from "sharp";
import { RESEARCH_NOTICE, SpikemedError } from "../core/index.js";
import { decodeImageFile } from "../data/cxr/index.js";
import { DEFAULT_BEAT_WINDOW } from "../data/ecg/index.js";
import { argmaxRows, barChartSvg, borderShare, occlusionMap, occlusionOverlay, panelsSvg, writeFileAtomic } from "../eval/index.js";
import { beatEvidence, beatRows, loadRun } from "../experiment/index.js";
import { flatArrayData, predictProbabilities } from "../train/index.js";
import { backendOptions, selectBackend, type BackendOptions } from "./backend.js";
import { readNumber } from "../experiment/numbers.js";
import { list, maxImagePixelsOption, positiveInt, positiveNumber } from "./options.js";
import { readRecordAt } from "./predict.js";

/** Share of the image's side that counts as its border (where hospitals put markers and labels). */
const BORDER = 0.125;

type ExplainFlags = BackendOptions & { out: string; patch?: number; class?: string; at?: string[]; segment: number; maxImagePixels?: number };

export function explainCommand(): Command {
  return maxImagePixelsOption(backendOptions(new Command("explain")))
    .description("what a model's decision rests on (occlusion sensitivity): for chest X-rays, where in each image it looks (a PNG overlay per image); " +
      "for ECG records, which stretch of the beat window and which beat measurements carry each chosen beat's class (SVG plots)")
    .argument("<run>", "a run folder written by spikemed train")
    .argument("<inputs...>", "cxr: image files; ecg: WFDB record paths (e.g. data/mitdb/208)")
    .option("--out <dir>", "folder for the plots", "explain")
    .option("--patch <px>", "cxr: side of the hiding patch in model pixels (default: a eighth of the image)", positiveInt)
    .option("--class <name>", "class whose evidence to map (default: the predicted class)")
    .option("--at <seconds>", "ecg: explain the beats nearest these times (comma-separated seconds; default: the first beat predicted as each class)", list)
    .option("--segment <seconds>", "ecg: length of the stretch of signal hidden at a time", positiveNumber, 0.08)
    .action(async (runDir: string, inputs: string[], flags: ExplainFlags) => {
      await selectBackend(flags);
      const { manifest, network } = loadRun(runDir);
      process.stdout.write(`${RESEARCH_NOTICE}\n`);
      const classNames = manifest.classNames;
      const chosen = flags.class === undefined ? undefined : classNames.indexOf(flags.class);
      if (chosen === -1) throw new SpikemedError(`--class ${flags.class}: the run's classes are ${classNames.join(", ")}`);
      fs.mkdirSync(flags.out, { recursive: true });
      if (manifest.data.task === "ecg") {
        for (const input of inputs) explainRecord(network, manifest, input, flags, chosen);
        return;
      }
      const size = manifest.model.inputShape[1];
      const K = classNames.length;
      const predict = (batch: Float32Array, n: number): Float32Array => {
        const data = flatArrayData(batch, [1, size, size], classNames, new Uint8Array(n));
        return predictProbabilities(network, data, Int32Array.from({ length: n }, (_, i) => i), 32).probabilities;
      };
      for (const file of inputs) {
        const pixels = await decodeImageFile(file, { size, maxPixels: flags.maxImagePixels });
        const map = occlusionMap(pixels, size, K, predict, { classIndex: chosen, patch: flags.patch });
        const predicted = argmaxRows(map.whole, 1, K)[0];
        const out = path.join(flags.out, `${path.basename(file).replace(/\.[^.]+$/, "")}-occlusion.png`);
        await sharp(Buffer.from(occlusionOverlay(pixels, map)), { raw: { width: size, height: size, channels: 3 } })
          .resize(Math.max(size, 256), Math.max(size, 256), { kernel: "nearest" }).png().toFile(out);
        process.stdout.write(`${file}: ${classNames[predicted]} ${map.whole[predicted].toFixed(4)}; evidence for ${classNames[map.classIndex]}: ` +
          `${(100 * borderShare(map, BORDER)).toFixed(0)}% in the outer ${100 * BORDER}% border (which is ${(100 * (1 - (1 - 2 * BORDER) ** 2)).toFixed(0)}% of the image) -> ${out}\n`);
      }
    });
}

type LoadedRun = ReturnType<typeof loadRun>;

/** For chosen beats of a record: the evidence of src/experiment/beat-evidence.ts, drawn as SVG plots. */
function explainRecord(network: LoadedRun["network"], manifest: LoadedRun["manifest"], input: string, flags: ExplainFlags, classIndex?: number): void {
  const classNames = manifest.classNames;
  const K = classNames.length;
  const window = manifest.data.task === "ecg" ? manifest.data.window ?? DEFAULT_BEAT_WINDOW : DEFAULT_BEAT_WINDOW;
  const record = readRecordAt(input);
  const name = record.name;
  const rows = beatRows(network, manifest, record, input);
  const { beats, n, row, leads, leadLength, features } = rows;
  const predicted = argmaxRows(rows.predict(rows.rows, n), n, K);
  const fs_ = record.samplingFrequency;
  const picks = flags.at
    ? flags.at.map((text) => {
      const seconds = readNumber(text, { min: 0 });
      if (seconds === null) throw new SpikemedError(`--at ${text}: expected a time in seconds`);
      let best = 0;
      for (let i = 1; i < n; i++) if (Math.abs(beats.sampleOfBeat[i] / fs_ - seconds) < Math.abs(beats.sampleOfBeat[best] / fs_ - seconds)) best = i;
      return best;
    })
    : classNames.map((_, k) => predicted.indexOf(k)).filter((i) => i >= 0);
  const segment = Math.max(1, Math.min(leadLength, Math.round(flags.segment * window.sampleRate)));
  const leadName = (l: number): string => (leads > 1 ? `lead ${l + 1}` : "beat window");
  for (const i of picks) {
    const beat = rows.rows.subarray(i * row, (i + 1) * row);
    const result = beatEvidence(rows, manifest, i, flags.segment, classIndex);
    const seconds = beats.sampleOfBeat[i] / fs_;
    const stem = path.join(flags.out, `${name}-${seconds.toFixed(2)}s`);
    const lines = [`record ${name}, beat at ${seconds.toFixed(3)} s: ${classNames[predicted[i]]} ${result.whole[predicted[i]].toFixed(4)}; ` +
      `evidence for ${classNames[result.classIndex]} (${result.baseline.toFixed(4)})`];
    const profiles = result.leadProfiles;
    if (profiles.length > 0) {
      const ms = Float32Array.from({ length: leadLength }, (_, s) => (1000 * (s - window.before)) / window.sampleRate);
      let peak = { lead: 0, sample: 0 };
      profiles.forEach((profile, l) => { for (let s = 0; s < leadLength; s++) if (profile[s] > profiles[peak.lead][peak.sample]) peak = { lead: l, sample: s }; });
      writeFileAtomic(`${stem}-window.svg`, panelsSvg(`record ${name}, beat at ${seconds.toFixed(2)} s: ${classNames[predicted[i]]}`, profiles.flatMap((profile, l) => [
        { title: leadName(l), xLabel: "ms from the R peak", yLabel: "signal (normalised)", series: [{ name: "signal", x: ms, y: beat.subarray(l * leadLength, (l + 1) * leadLength) }] },
        { title: `fall of P(${classNames[result.classIndex]}) when flattened${leads > 1 ? ` (${leadName(l)})` : ""}`, xLabel: "ms from the R peak", yLabel: "probability drop", yIncludeZero: true,
          series: [{ name: `${Math.round((1000 * segment) / window.sampleRate)} ms flattened`, x: ms, y: profile, color: "#d62728" }] },
      ])));
      lines.push(`  window: strongest evidence ${ms[peak.sample].toFixed(0)} ms from the R peak${leads > 1 ? ` in ${leadName(peak.lead)}` : ""} ` +
        `(drop ${profiles[peak.lead][peak.sample].toFixed(4)}) -> ${stem}-window.svg`);
    }
    if (features.length > 0) {
      const drops = Array.from(result.featureDrops);
      writeFileAtomic(`${stem}-features.svg`, barChartSvg({
        title: `record ${name}, beat at ${seconds.toFixed(2)} s: fall of P(${classNames[result.classIndex]}) when a measurement is typical of the record`,
        categories: [...features], series: [{ name: "probability drop", values: drops }], yLabel: "probability drop",
      }));
      const order = drops.map((d, f) => [d, f] as const).sort((a, b) => b[0] - a[0]).slice(0, 3);
      lines.push(`  measurements: ${order.map(([d, f]) => `${features[f]} ${d.toFixed(4)}`).join(", ")} -> ${stem}-features.svg`);
    }
    process.stdout.write(lines.join("\n") + "\n");
  }
}
