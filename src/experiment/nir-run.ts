import path from "node:path";
import { SpikemedError } from "../core/index.js";
import { AAMI_CLASSES } from "../data/ecg/index.js";
import { importNir, type ImportedNir, type NirImportOptions } from "../export/index.js";
import type { DataSpec } from "./datasets.js";
import { writeFileAtomic } from "../eval/index.js";
import { saveRun, type RunManifest } from "./saved-run.js";

/** The imported model's config, beside run.json, for `train --config`. */
export const IMPORTED_MODEL = "model.json";

export interface NirRunOptions extends NirImportOptions {
  /** The task the network serves; a graph spikemed exported records its own. */
  task?: "ecg" | "cxr";
  /** The data folder the run reads (ECG default: the embedded sample; X-rays: needed). */
  dataDir?: string;
  /** A name per class, in the order of the graph's outputs. */
  classNames?: string[];
}

/**
 * Imports a NIR file into a run folder like the ones `spikemed train` writes (run.json and
 * model.ckpt, and the model config as model.json), so that predict, evaluate, energy, serve and
 * `train --config RUN/model.json --init-from RUN` take it. The task,
 * data and class names come from the graph when spikemed wrote it, else from the options.
 */
export async function importNirRun(file: string, outDir: string, options: NirRunOptions = {}): Promise<{ imported: ImportedNir; manifest: RunManifest }> {
  const imported = await importNir(file, options);
  const { config } = imported;
  const outputs = imported.network.outputShape();
  if (outputs.length !== 1 || config.classes < 2) {
    throw new SpikemedError(`${file}: the graph's output is [${outputs.join(", ")}] per step, not two or more class scores, so predict and evaluate could not read it`,
      "use the library's importNir and simulateSteps to run such a graph");
  }
  const recorded = imported.run;
  const task = options.task ?? (recorded?.task === "ecg" || recorded?.task === "cxr" ? recorded.task : undefined);
  if (!task) throw new SpikemedError(`${file}: the graph does not say which task its network serves`, "give --task ecg or --task cxr");
  const shape = config.inputShape;
  if (task === "ecg" ? shape.length !== 2 : shape.length !== 3 || shape[0] !== 1 || shape[1] !== shape[2]) {
    throw new SpikemedError(`${file}: the graph takes [${shape.join(", ")}] per step, which no ${task === "ecg" ? "ECG beat window ([leads, samples])" : "chest X-ray ([1, size, size] grey pixels)"} is`,
      task === "ecg" ? "import a graph whose input is [leads, samples], or run it with the library's importNir" : "import a graph whose input is one square grey image, or run it with the library's importNir");
  }
  const classNames = options.classNames ?? recorded?.classNames
    ?? (task === "ecg" && config.classes === AAMI_CLASSES.length ? [...AAMI_CLASSES] : Array.from({ length: config.classes }, (_, k) => `class${k + 1}`));
  if (classNames.length !== config.classes) throw new SpikemedError(`${file}: ${classNames.length} class names for the graph's ${config.classes} outputs`, `name ${config.classes} classes with --classes`);
  const manifest: RunManifest = {
    format: "spikemed-run", version: 1, task, model: config, classNames, data: dataSpec(file, task, recorded?.task === task ? recorded.data as DataSpec : undefined, options.dataDir, config.inputShape),
    train: { importedFrom: file, dt: imported.dt, notes: imported.notes }, seed: 1, createdAt: new Date().toISOString(),
  };
  saveRun(outDir, manifest, imported.network);
  // The model config alone, for training on from these weights: train --config RUN/model.json --init-from RUN.
  writeFileAtomic(path.join(outDir, IMPORTED_MODEL), JSON.stringify(config, null, 2) + "\n");
  return { imported, manifest };
}

function dataSpec(file: string, task: "ecg" | "cxr", recorded: DataSpec | undefined, dataDir: string | undefined, inputShape: number[]): DataSpec {
  if (recorded) return dataDir ? { ...recorded, dataDir } as DataSpec : recorded;
  if (task === "ecg") return { task, dataDir: dataDir ?? null, split: "intra", seed: 1 };
  if (!dataDir) throw new SpikemedError(`${file}: an X-ray run needs its images`, "give --data DIR (a folder of class subfolders or a manifest.csv)");
  return { task, dataDir, protocol: "mixed", imageSize: inputShape[inputShape.length - 1], seed: 1, onBadFile: "skip" };
}
