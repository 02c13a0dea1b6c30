import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { writeFileAtomic } from "../../eval/index.js";
import { checkpointIn, type OutputStream } from "../../train/index.js";
import { prepareData, type DataSpec, type PreparedData } from "../datasets.js";
import { runExperiment, type ExperimentOptions } from "../run.js";
import { describeValues, foldPath, runFold, searchFolds, searchUnits, type SearchOptions, type SearchTrial } from "../search.js";

/**
 * spikemed's units of work on the queue: one fold run of a search (a trial trained with one seed
 * on all folds but one), or one seed of a training. Each carries everything a worker needs but
 * the data, which it reads from the same path (so every path in it is absolute).
 */
export type QueueJob =
  | { kind: "search-fold"; data: DataSpec; folds: number; searchSeed: number; trial: SearchTrial; trialIndex: number; seed: number; fold: number }
  | { kind: "train-seed"; experiment: Omit<ExperimentOptions, "log" | "handleSignals" | "resume"> };

/** What a worker sends back: a fold run's saved outcome and log (the coordinator writes them in its search folder), or where a seed's run lies. */
export type QueueJobResult = { kind: "search-fold"; outcome: string; log: string } | { kind: "train-seed"; runDir: string };

/** A job as a coordinator puts it on the queue: an id that names the same work in every run of the same command, a name for people, the job, and what to do with its result. */
export interface QueuedWork {
  id: string;
  name: string;
  job: QueueJob;
  /** Whether its result is already where it belongs (a resumed coordinator does not queue it again). */
  finished: () => boolean;
  done: (result: QueueJobResult) => void;
}

/** The fold runs of a search whose outcomes its folder does not hold yet, as queue work that saves them there. */
export function searchWork(options: SearchOptions): QueuedWork[] {
  const key = workKey({ data: options.data, trials: options.trials, folds: options.folds, seed: options.seed, seeds: options.seeds, outDir: path.resolve(options.outDir) });
  const data = withAbsoluteDataDir(options.data);
  return searchUnits(options).map((unit, index) => {
    const seed = options.seed + unit.seedIndex;
    const base = path.join(options.outDir, foldPath(unit.trial, seed, unit.fold));
    return {
      id: `search-${key}-${index}`,
      name: `search trial ${unit.trial + 1}/${options.trials.length} (${describeValues(options.trials[unit.trial].values)}) seed ${seed} fold ${unit.fold + 1}/${options.folds}`,
      job: { kind: "search-fold", data, folds: options.folds, searchSeed: options.seed, trial: options.trials[unit.trial], trialIndex: unit.trial, seed, fold: unit.fold },
      finished: () => fs.existsSync(`${base}.json`),
      done: (result) => {
        if (result.kind !== "search-fold") return;
        fs.mkdirSync(path.dirname(base), { recursive: true });
        writeFileAtomic(`${base}.log`, result.log);
        writeFileAtomic(`${base}.json`, result.outcome);
      },
    };
  });
}

/**
 * The seeds of an experiment whose run folders are not finished yet, as queue work: each seed
 * trains in its own folder under `outDir` (seed-k; `outDir` itself for one seed), which the
 * workers write, so `outDir` must be a folder they all see.
 */
export function seedWork(options: Omit<ExperimentOptions, "log" | "handleSignals" | "resume">): QueuedWork[] {
  const outDir = path.resolve(options.outDir);
  const experiment = { ...options, data: withAbsoluteDataDir(options.data), ...(options.initFrom ? { initFrom: path.resolve(options.initFrom) } : {}) };
  const key = workKey({ ...experiment, outDir });
  return Array.from({ length: options.seeds }, (_, k) => {
    const seed = options.seed + k;
    const runDir = options.seeds > 1 ? path.join(outDir, `seed-${seed}`) : outDir;
    return {
      id: `train-${key}-${seed}`,
      name: `train ${options.model.name} seed ${seed} (${k + 1}/${options.seeds}) -> ${runDir}`,
      job: { kind: "train-seed", experiment: { ...experiment, seed, seeds: 1, outDir: runDir } },
      finished: () => fs.existsSync(path.join(runDir, "run.json")),
      done: () => {},
    };
  });
}

/** The prepared data of each data set and feature list a worker has met, kept for its next jobs. */
const preparedData = new Map<string, Promise<PreparedData>>();

/** Runs one job in this worker; `log` hears a line for each stage of a training. */
export async function runQueueJob(job: QueueJob, log: OutputStream): Promise<QueueJobResult> {
  if (job.kind === "train-seed") {
    const { outDir } = job.experiment;
    fs.mkdirSync(outDir, { recursive: true });
    const logFile = fs.openSync(path.join(outDir, "train.log"), "a");
    try {
      // A job taken again after its worker died continues from the last epoch that worker saved.
      await runExperiment({ ...job.experiment, resume: fs.existsSync(checkpointIn(outDir)), log: { write: (text: string) => { fs.writeSync(logFile, text); return true; } } });
    } finally {
      fs.closeSync(logFile);
    }
    return { kind: "train-seed", runDir: outDir };
  }
  const key = JSON.stringify([job.data, job.trial.model.features ?? []]);
  if (!preparedData.has(key)) {
    const loading = Promise.resolve(prepareData(job.data, (line) => { log.write(line + "\n"); }, job.trial.model.features));
    preparedData.set(key, loading);
    loading.catch(() => preparedData.delete(key));
  }
  const prepared = await preparedData.get(key)!;
  const { folds } = searchFolds(prepared, { folds: job.folds, seed: job.searchSeed });
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "spikemed-job-"));
  try {
    const base = path.join(scratch, foldPath(job.trialIndex, job.seed, job.fold));
    await runFold(prepared, job.trial, folds[job.fold], job.seed, base, false);
    return { kind: "search-fold", outcome: fs.readFileSync(`${base}.json`, "utf8"), log: fs.readFileSync(`${base}.log`, "utf8") };
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}

/** A short fingerprint of what a piece of work is, so that a job id names the same work whenever it is queued. */
function workKey(value: unknown): string {
  return crypto.createHash("sha256").update(JSON.stringify(value)).digest("hex").slice(0, 16);
}

function withAbsoluteDataDir(data: DataSpec): DataSpec {
  return data.dataDir ? { ...data, dataDir: path.resolve(data.dataDir) } : data;
}
