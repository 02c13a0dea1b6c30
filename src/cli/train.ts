import fs from "node:fs";
import path from "node:path";
import { Command } from "commander";
import { SpikemedError } from "../core/index.js";
import { DEFAULT_ADAPT_MINUTES, PATIENT_SPECIFIC, checkRecipeStart, experimentSettings, runExperiment, validationHint, type ExperimentChoices } from "../experiment/index.js";
import { checkQueueUrl } from "../experiment/queue/url.js";
import type { Task } from "../model/index.js";
import { list, nonNegativeInt, oneOf, positiveInt, queueOption } from "./options.js";
import { backendOptions, selectBackend, type BackendOptions } from "./backend.js";
import { experimentOptions } from "./experiment-options.js";

interface TrainFlags extends ExperimentChoices, BackendOptions {
  seeds: number; out?: string; resume?: boolean; devices?: string[]; initFrom?: string; queue?: string;
}

export function trainCommand(): Command {
  return queueOption(experimentOptions(backendOptions(new Command("train"))
    .description("train a model on ECG beats (MIT-BIH style WFDB records) or chest X-rays, evaluate it and write a report")
    .argument("<task>", "ecg or cxr", oneOf(["ecg", "cxr"] as const)))
    .option("--seeds <n>", "repeat the experiment with n seeds and report mean and 95% interval", positiveInt, 1)
    .option("--seed <n>", "first seed", nonNegativeInt, 1)
    .option("--split-seed <n>", "seed of the train/validation/test split (default: --seed); fixing it lets the seeds of one experiment run as separate processes (--seed k --out DIR/seed-k each), then --seeds n --resume --out DIR gathers them", nonNegativeInt)
    .option("--out <dir>", "run folder (default runs/<task>-<model>-<time>)")
    .option("--resume", "continue the interrupted run in --out, with the options it was started with (other ones are refused, each named)")
    .option("--init-from <run>", "start from the weights of a trained run of the same layers instead of random ones, e.g. a cnn run for its snn twin " +
      "(hybrid conversion: the ReLU network's weights, then surrogate-gradient training); a folder of several seeds gives each seed its own")
    .option("--adapt <protocol...>", `ecg --split inter: adapt to each test patient, a protocol of its own whose figures are never the plain inter-patient ones: ` +
      `first-minutes [N] (AAMI's patient-specific protocol, N default ${DEFAULT_ADAPT_MINUTES}): the beats of the first N minutes of each test (DS2) record, with their labels, ` +
      "join the training set from the start (one training, no separate fine-tuning stage; validation stays on DS1) and the test set is each record's beats after minute N; " +
      "unlabeled: before classifying each test record, the model's batch-norm statistics are re-estimated on that record's own beats (AdaBN; their signals only, no label read; " +
      "models with a batch-norm layer, e.g. snn-families, mlp-families; training is the plain run's); " +
      `local-beats [N] (patient-specific, N default ${DEFAULT_ADAPT_MINUTES}): the first N minutes' beats of each test record, labelled, stay out of training and vote, ` +
      "by their nearest neighbours in the model's z-scored measurements, beside the network's probabilities on the rest of their record (de Chazal & Reilly 2006's local and global classifiers); " +
      "self-training (label-free): within each test record, the beats the network classifies with confidence, labelled by the network, vote the same way on every beat of the record " +
      "(both: features models with a batch-norm layer, e.g. snn-families; training is the plain run's); " +
      `patient-specific [N] (N default ${DEFAULT_ADAPT_MINUTES}): first-minutes with each local beat ${PATIENT_SPECIFIC.repeat} times in training, then each record's probabilities moved ` +
      `towards its local beats' class frequencies (to the power ${PATIENT_SPECIFIC.priorGamma}; both chosen on DS1's folds)`)
    .option("--devices <list>", "energy estimate devices (default all: cpu,gpu,arm,loihi,spinnaker,spinnaker2)", list), "put the seeds (each trained into its own folder under --out, which every worker must see)")
    .action(async (task: Task, flags: TrainFlags) => {
      if (flags.queue) checkQueueUrl(flags.queue);
      await selectBackend(flags);
      checkRecipeStart(flags, flags.initFrom);
      const settings = experimentSettings(task, flags);
      const outDir = flags.out ?? path.join("runs", `${task}-${settings.model.name}-${new Date().toISOString().replace(/[:.]/g, "-").slice(0, 19)}`);
      if (!flags.resume && fs.existsSync(path.join(outDir, "run.json"))) {
        throw new SpikemedError(`--out ${outDir} already holds a finished run`, "choose another --out, or add --resume to continue an interrupted one");
      }
      const hint = validationHint(task, flags);
      if (hint) process.stderr.write(`note: ${hint}\n`);
      const experiment = { ...settings, seed: flags.seed, seeds: flags.seeds, outDir, devices: flags.devices, initFrom: flags.initFrom };
      if (flags.queue) {
        // BullMQ and its Redis client load only for the commands that use the queue.
        const { runOnQueue, seedWork } = await import("../experiment/queue/index.js");
        const work = seedWork(experiment);
        if (!flags.resume && work.some((w) => w.finished())) {
          throw new SpikemedError(`--out ${outDir} already holds finished seeds`, "choose another --out, or add --resume to train only the seeds not finished");
        }
        await runOnQueue(work, { url: flags.queue });
      }
      // With --queue the workers have trained every seed: resuming each from its last checkpoint evaluates it here and writes the summary.
      await runExperiment({ ...experiment, resume: flags.resume || flags.queue !== undefined, handleSignals: true });
    });
}
