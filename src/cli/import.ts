import { Command } from "commander";
import { importNirRun } from "../experiment/index.js";
import { list, oneOf, positiveInt, positiveNumber } from "./options.js";

export function importCommand(): Command {
  return new Command("import")
    .description("import a NIR graph (written by spikemed export, Norse, Sinabs, snnTorch, Rockpool, ...) as a run folder that predict, evaluate, energy, serve and train --init-from take")
    .argument("<file>", "the .nir file (NIR HDF5)")
    .requiredOption("--out <dir>", "the run folder to write (run.json, model.ckpt)")
    .option("--task <task>", "ecg or cxr: the data the network reads (default: what spikemed export recorded in the graph)", oneOf(["ecg", "cxr"] as const))
    .option("--data <dir>", "the run's data folder (ECG default: the embedded sample; X-rays: needed unless recorded)")
    .option("--classes <names>", "a name per output, comma-separated (default: recorded, or AAMI N,S,V,F,Q for five ECG outputs)", list)
    .option("--time-steps <n>", "steps each sample is shown for (default: recorded, else 1)", positiveInt)
    .option("--readout <kind>", "how the per-step outputs become class scores: mean, sum (a spike count), max or last (default: recorded, else sum)",
      oneOf(["mean", "sum", "max", "last"] as const))
    .option("--dt <seconds>", "seconds per simulation step: NIR's time constants are divided by it (default: recorded, else 1e-4)", positiveNumber)
    .action(async (file: string, flags: { out: string; task?: "ecg" | "cxr"; data?: string; classes?: string[]; timeSteps?: number; readout?: "mean" | "sum" | "max" | "last"; dt?: number }) => {
      const { imported, manifest } = await importNirRun(file, flags.out, {
        task: flags.task, dataDir: flags.data, classNames: flags.classes, timeSteps: flags.timeSteps, readout: flags.readout, dt: flags.dt,
      });
      const lines = [`imported ${file}: ${manifest.task} network "${manifest.model.name}", ${manifest.model.classes} classes (${manifest.classNames.join(", ")}), ` +
        `T = ${manifest.model.timeSteps}, readout ${manifest.model.readout}, dt = ${imported.dt} s`];
      for (const l of imported.layers) lines.push(`  ${l.nodes.join(" + ").padEnd(28)} -> ${l.layer}`);
      for (const n of imported.notes) lines.push(`note: ${n}`);
      lines.push(`wrote ${flags.out} (run.json, model.ckpt; model.json for train --config ${flags.out}/model.json --init-from ${flags.out})`);
      process.stdout.write(lines.join("\n") + "\n");
    });
}
