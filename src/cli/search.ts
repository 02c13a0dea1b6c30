import path from "node:path";
import { spawn } from "node:child_process";
import { Command, InvalidArgumentError, Option } from "commander";
import { SpikemedError } from "../core/index.js";
import {
  MODEL_SETTINGS, SEARCH_OBJECTIVES, TRAINING_SETTINGS, describeObjective, describeValues, parseObjective, openSearch, openSharedSearch, searchHyperparameters, searchTrials, validationHint,
  type ExperimentChoices, type Grid, type SearchObjective, type SearchOptions,
} from "../experiment/index.js";
import { surrogates, type Task } from "../model/index.js";
import { writeFileAtomic } from "../eval/index.js";
import { checkQueueUrl } from "../experiment/queue/url.js";
import { backendOptions, selectBackend, type BackendOptions } from "./backend.js";
import { experimentOptions } from "./experiment-options.js";
import { nonNegativeInt, numberOption, oneOf, optionParser, positiveInt, positiveNumber, queueOption } from "./options.js";

/** How the command line reads the values of a model setting in a --grid. */
const MODEL_SETTING_PARSERS: Record<keyof typeof MODEL_SETTINGS, (value: string) => number | string> = {
  hidden: positiveInt,
  beta: numberOption({ min: 0, minIncluded: false, max: 1, expected: "a decay in (0, 1]" }),
  threshold: positiveNumber,
  surrogate: optionParser((value: string) => (surrogates.surrogateFromString(value), value)),
};

interface SearchFlags extends ExperimentChoices, BackendOptions {
  grid: string[]; folds: number; random?: number; objective: SearchObjective; seeds: number; out?: string; resume?: boolean;
  jobs: number; shard?: { index: number; count: number }; queue?: string;
}

export function searchCommand(): Command {
  const command: Command = queueOption(experimentOptions(backendOptions(new Command("search"))
    .description("hyper-parameter search: trains every combination of the --grid values on folds of the training side (never splitting a patient where the protocol does not), " +
      "ranks them by their held-out predictions and prints the train command of the best; the test split is never read")
    .argument("<task>", "ecg or cxr", oneOf(["ecg", "cxr"] as const)))
    .option("--grid <name=values>", `a setting and the comma-separated values to try, e.g. lr=3e-4,1e-3; repeat for more settings (all combinations are tried). ` +
      `Training: ${TRAINING_SETTINGS.join(", ")}; model: ${Object.entries(MODEL_SETTINGS).map(([name, p]) => `${name} (${p.describe})`).join(", ")}`,
      (value: string, previous: string[]) => [...previous, value], [])
    .option("--folds <k>", "cross-validation folds of the training side", positiveInt, 5)
    .option("--random <n>", "try n of the combinations, drawn at random with --seed, instead of all", positiveInt)
    .option("--objective <metric>", `what ranks the trials, on the pooled held-out predictions: ${SEARCH_OBJECTIVES.join(", ")} (balanced accuracy: the mean sensitivity of the classes, so a rare class counts like a common one); ` +
      "balanced_accuracy:N,S,V or macro_f1:N,S,V averages over the named classes only (leaving out classes the training side cannot teach); " +
      "METRIC@DEVICE<=J (e.g. balanced_accuracy@loihi<=2e-8) ranks first the trials whose estimated joules per inference on DEVICE stay within J, by the metric; " +
      "METRIC@DEVICE ranks by the Pareto front of the metric against joules per inference on DEVICE, and the report plots it (search-energy.svg)",
      (value: string) => { parseObjective(value); return value as SearchObjective; }, "balanced_accuracy")
    .option("--seeds <n>", "train every fold with n seeds and average their scores", positiveInt, 1)
    .option("--seed <n>", "seed of the folds and of the first training run", nonNegativeInt, 1)
    .option("--out <dir>", "search folder (default runs/search-<task>-<time>)")
    .option("--resume", "continue the interrupted search in --out (finished folds are kept); with another --objective, rank its saved folds again without training")
    .option("--jobs <n>", "train this many folds at once, each in its own process with its share of the default threads (e.g. 2 on a 2-core machine); the same results as one at a time", positiveInt, 1)
    .addOption(new Option("--shard <k/n>", "internal: the k-th of n processes of a --jobs search").hideHelp().argParser(parseShard)), "put the fold runs (trials x seeds x folds)")
    .action(async (task: Task, flags: SearchFlags) => {
      if (flags.recipe === "resnet-from-twin") {
        throw new SpikemedError("search trains every trial from random weights, and --recipe resnet-from-twin fine-tunes a trained twin", "search with --recipe resnet-twin, or without --recipe");
      }
      if (flags.queue) checkQueueUrl(flags.queue);
      const grid = parseGrid(flags.grid, command);
      const hint = validationHint(task, flags);
      if (hint && !flags.shard) process.stderr.write(`note: ${hint}\n`);
      await selectBackend(flags, flags.shard?.count ?? flags.jobs);
      const trials = searchTrials(task, flags, grid, flags.random);
      const outDir = flags.out ?? path.join("runs", `search-${task}-${new Date().toISOString().replace(/[:.]/g, "-").slice(0, 19)}`);
      const options: SearchOptions = {
        data: trials[0].data, trials: trials.map((t) => t.trial), folds: flags.folds, seed: flags.seed, seeds: flags.seeds,
        objective: flags.objective, outDir, resume: flags.resume,
      };
      if (flags.shard) {
        await searchHyperparameters({ ...options, resume: true, shard: flags.shard });
        return;
      }
      if (flags.queue) {
        if (flags.jobs > 1) throw new SpikemedError("--jobs shares the folds among processes of this machine, --queue among workers", "drop --jobs (start the workers with --concurrency instead)");
        // BullMQ and its Redis client load only for the commands that use the queue.
        const { runOnQueue, searchWork } = await import("../experiment/queue/index.js");
        openSearch(options);
        await runOnQueue(searchWork(options), { url: flags.queue });
      }
      if (flags.jobs > 1) await runInParallel(options, flags.jobs);
      // The folds of several processes or workers are saved by now: the search reads them back and ranks.
      const gathered = flags.jobs > 1 || flags.queue !== undefined;
      const result = await searchHyperparameters(gathered ? { ...options, resume: true, log: { write: () => true } } : options);
      const best = result.ranked[0];
      const bestModel = path.join(outDir, "best-model.json");
      writeFileAtomic(bestModel, JSON.stringify(trials[best.index].trial.model, null, 2) + "\n");
      process.stdout.write(`best of ${result.ranked.length}: ${describeValues(best.values)} (${describeObjective(flags.objective)} ${(100 * best.score).toFixed(2)}%, ` +
        `accuracy ${(100 * best.accuracy).toFixed(2)}%)\nreport: ${result.report}\nmeasure it on the test split:\n  ${trainCommandOf(task, command, flags, best.values, bestModel)}\n`);
    });
  return command;
}

/**
 * Shares the fold runs among `jobs` processes (this one and jobs - 1 copies of the command with
 * --shard), each taking the next fold run no process has claimed and saving it; the caller then
 * reads them all back and ranks.
 */
async function runInParallel(options: SearchOptions, jobs: number): Promise<void> {
  openSharedSearch(options);
  const args = process.argv.slice(1).filter((a) => a !== "--resume");
  const children = Array.from({ length: jobs - 1 }, (_, k) => new Promise<void>((resolve, reject) => {
    // --out named explicitly: a default one is made from the time, which differs in each process.
    const child = spawn(process.execPath, [...args, "--out", options.outDir, "--resume", "--shard", `${k + 1}/${jobs}`], { stdio: ["ignore", "ignore", "inherit"] });
    child.on("error", reject);
    child.on("exit", (code) => (code === 0 ? resolve() : reject(new SpikemedError(`search: job ${k + 2} of ${jobs} stopped (exit code ${code})`, "continue with --resume: finished folds are kept"))));
  }));
  const own = searchHyperparameters({ ...options, resume: true, shard: { index: 0, count: jobs } });
  await Promise.all([own, ...children]);
}

function parseShard(value: string): { index: number; count: number } {
  const match = /^(\d+)\/(\d+)$/.exec(value);
  if (!match || Number(match[1]) >= Number(match[2])) throw new InvalidArgumentError(`expected k/n with k < n, got "${value}"`);
  return { index: Number(match[1]), count: Number(match[2]) };
}

function parseGrid(specs: string[], command: Command): Grid {
  if (specs.length === 0) throw new SpikemedError("search needs at least one --grid", "e.g. --grid lr=3e-4,1e-3 --grid epochs=5,10");
  const grid: Grid = [];
  for (const spec of specs) {
    const match = /^([a-z-]+)=(.+)$/.exec(spec.trim());
    if (!match) throw new SpikemedError(`--grid ${spec}: expected name=value1,value2,...`, "e.g. --grid lr=3e-4,1e-3");
    const [, name, list] = match;
    if (grid.some((g) => g.name === name)) throw new SpikemedError(`--grid ${name} is given twice`, "list all its values in one --grid");
    const parse = parserOf(name, command);
    const values = list.split(",").map((v) => v.trim()).filter(Boolean).map((value) => {
      try {
        return parse(value);
      } catch (err) {
        throw new SpikemedError(`--grid ${name}: ${(err as Error).message}`);
      }
    });
    if (values.length === 0) throw new SpikemedError(`--grid ${spec}: no values`);
    grid.push({ name, values });
  }
  return grid;
}

function parserOf(name: string, command: Command): (value: string) => string | number {
  if (name in MODEL_SETTING_PARSERS) return MODEL_SETTING_PARSERS[name];
  if (!(TRAINING_SETTINGS as readonly string[]).includes(name)) {
    throw new SpikemedError(`--grid ${name}: not a setting a search can vary`, `choose from ${[...TRAINING_SETTINGS, ...Object.keys(MODEL_SETTINGS)].join(", ")}`);
  }
  const option = optionNamed(command, name);
  return (value) => (option.parseArg ? option.parseArg(value, undefined) : value) as string | number;
}

function optionNamed(command: Command, name: string): Option {
  const option = command.options.find((o) => o.long === `--${name}`);
  if (!option) throw new Error(`search: no --${name} option`);
  return option;
}

/** The options search shares with train, alone: to write the train command. */
const sharedOptions = experimentOptions(new Command("settings"));

/** The train command that measures the winner on the test split: the options given on the command line, the winner's values, its model file. */
function trainCommandOf(task: Task, command: Command, flags: SearchFlags, values: Record<string, string | number>, modelFile: string): string {
  const modelOptions = new Set(["model", "config", "time-steps", "encoder", "activity-penalty", "activity-penalty-layers", "learn-neurons", "memory-saving", ...Object.keys(MODEL_SETTINGS)]);
  const args = ["npx spikemed train", task, "--config", modelFile];
  for (const option of sharedOptions.options) {
    const name = option.long!.slice(2);
    const key = option.attributeName();
    // --no-augment shares --augment's attribute and is written from it.
    if (option.negate) continue;
    if (modelOptions.has(name) || name in values || command.getOptionValueSource(key) !== "cli") continue;
    const value = (flags as unknown as Record<string, unknown>)[key];
    if (value === true) args.push(option.long!);
    else if (value === false) args.push(`--no-${name}`);
    else args.push(option.long!, Array.isArray(value) ? value.join(",") : String(value));
  }
  for (const [name, value] of Object.entries(values)) if (!modelOptions.has(name)) args.push(`--${name}`, String(value));
  if (command.getOptionValueSource("seed") === "cli") args.push("--seed", String(flags.seed));
  args.push("--seeds", "5");
  return args.join(" ");
}
