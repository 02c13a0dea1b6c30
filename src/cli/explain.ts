import fs from "node:fs";
import path from "node:path";
import { Command } from "commander";
import sharp from "sharp";
import { SpikemedError } from "../core/index.js";
import { decodeImageFile } from "../data/cxr/index.js";
import { argmaxRows, borderShare, occlusionMap, occlusionOverlay } from "../eval/index.js";
import { loadRun } from "../experiment/index.js";
import { flatArrayData, predictProbabilities } from "../train/index.js";
import { backendOptions, selectBackend, type BackendOptions } from "./backend.js";
import { positiveInt } from "./options.js";

/** Share of the image's side that counts as its border (where hospitals put markers and labels). */
const BORDER = 0.125;

export function explainCommand(): Command {
  return backendOptions(new Command("explain"))
    .description("chest X-ray runs: where in each image the model looks (occlusion sensitivity), as a PNG overlay per image")
    .argument("<run>", "a chest X-ray run folder written by spikemed train")
    .argument("<images...>", "image files")
    .option("--out <dir>", "folder for the overlays", "explain")
    .option("--patch <px>", "side of the hiding patch in model pixels (default: a eighth of the image)", positiveInt)
    .option("--class <name>", "class whose evidence to map (default: each image's predicted class)")
    .action(async (runDir: string, images: string[], flags: BackendOptions & { out: string; patch?: number; class?: string }) => {
      await selectBackend(flags);
      const { manifest, network } = loadRun(runDir);
      if (manifest.data.task !== "cxr") throw new SpikemedError(`${runDir}: explain maps evidence in images; this is an ${manifest.data.task} run`);
      const classNames = manifest.classNames;
      const size = manifest.model.inputShape[1];
      const K = classNames.length;
      const chosen = flags.class === undefined ? undefined : classNames.indexOf(flags.class);
      if (chosen === -1) throw new SpikemedError(`--class ${flags.class}: the run's classes are ${classNames.join(", ")}`);
      fs.mkdirSync(flags.out, { recursive: true });
      const predict = (batch: Float32Array, n: number): Float32Array => {
        const data = flatArrayData(batch, [1, size, size], classNames, new Uint8Array(n));
        return predictProbabilities(network, data, Int32Array.from({ length: n }, (_, i) => i), 32).probabilities;
      };
      for (const file of images) {
        const pixels = await decodeImageFile(file, { size });
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
