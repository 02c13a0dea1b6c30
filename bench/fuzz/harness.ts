/**
 * Runs fuzz cases and classifies them. Cases run in a worker thread, so that a case that hangs
 * (even in a synchronous loop) is stopped by terminating the worker; the next case then runs in a
 * fresh worker. Case i of a campaign depends only on (target, seed, i), so any case can be rebuilt.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Worker } from "node:worker_threads";
import { SpikemedError } from "../../src/core/errors.js";
import { Rng } from "../../src/core/random.js";
import { pick } from "./mutate.js";
import type { FuzzFiles, FuzzTarget } from "./targets.js";

/**
 * named: spikemed's own error, naming the file; unnamed: spikemed's error without the file's name;
 * accepted: read, output checked; crash: any other exception; hang: over the time limit;
 * non-finite: read, but the output holds NaN or Infinity (or an index outside the data).
 */
export const OUTCOMES = ["named", "unnamed", "accepted", "crash", "hang", "non-finite"] as const;
export type Outcome = (typeof OUTCOMES)[number];

export interface CaseResult {
  outcome: Outcome;
  /** The error's class and message, or what is wrong with the output. */
  detail: string;
  /** Where a crash was thrown (the first stack frame in spikemed's code). */
  where?: string;
  ms: number;
}

/**
 * A target's seeds as plain Uint8Arrays: a Node Buffer's slice() is a view, not a copy, and a
 * mutation must never change the seed it started from.
 */
export async function loadSeeds(target: FuzzTarget): Promise<FuzzFiles[]> {
  return (await target.seeds()).map((files) => Object.fromEntries(Object.entries(files).map(([name, bytes]) => [name, Uint8Array.from(bytes)])));
}

/** Case `index` of a campaign: a seed picked and mutated by the case's own generator. */
export function makeCase(target: FuzzTarget, seeds: readonly FuzzFiles[], seed: number, index: number): FuzzFiles {
  const rng = new Rng(seed).fork(`${target.name}/${index}`);
  return target.mutate(pick(rng, seeds), rng, seeds);
}

/** Writes a case's files into `dir` (emptied first). */
export function writeCase(dir: string, files: FuzzFiles): void {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  for (const [name, bytes] of Object.entries(files)) writeFileSync(join(dir, name), bytes);
}

/** Reads the case in `dir` and classifies what happened (a hang is the caller's to detect). */
export async function classify(target: FuzzTarget, dir: string, timeLimitMs: number): Promise<CaseResult> {
  const start = performance.now();
  let result: Omit<CaseResult, "ms">;
  try {
    const problem = await target.read(dir);
    result = problem === null ? { outcome: "accepted", detail: "" } : { outcome: "non-finite", detail: problem };
  } catch (err) {
    if (err instanceof SpikemedError) {
      result = { outcome: err.message.includes(target.mentions(dir)) ? "named" : "unnamed", detail: oneLine(err.message) };
    } else {
      const e = err instanceof Error ? err : new Error(String(err));
      result = { outcome: "crash", detail: `${e.name}: ${oneLine(e.message)}`, where: firstOwnFrame(e.stack) };
    }
  }
  const ms = performance.now() - start;
  // A read that finishes but takes longer than the limit counts as a hang: a user waits as long.
  if (ms > timeLimitMs && result.outcome !== "crash") return { outcome: "hang", detail: `took ${Math.round(ms)} ms (${result.outcome}: ${result.detail})`, ms };
  return { ...result, ms };
}

function oneLine(message: string): string {
  return message.split("\n")[0].slice(0, 160);
}

/** The first stack frame inside spikemed (dist/src), e.g. "src/data/ecg/wfdb-signal.js:160", else the first frame. */
function firstOwnFrame(stack: string | undefined): string | undefined {
  const frames = (stack ?? "").split("\n").filter((l) => l.trim().startsWith("at "));
  const own = frames.find((l) => l.includes("/dist/src/")) ?? frames[0];
  const match = own && (/\/dist\/(src\/[^:)]+:\d+)/.exec(own) ?? /\(([^)]+)\)/.exec(own));
  return match ? match[1] : own?.trim();
}

/** A distinct finding: cases of one outcome with the same error at the same place. */
export interface Finding {
  outcome: Outcome;
  detail: string;
  where?: string;
  /** Cases with this finding, and the smallest case's index. */
  count: number;
  example: number;
  exampleBytes: number;
}

export interface CampaignResult {
  target: string;
  seed: number;
  cases: number;
  counts: Record<Outcome, number>;
  findings: Finding[];
  seconds: number;
}

export interface CampaignOptions {
  target: string;
  cases: number;
  seed: number;
  /** Per case; a case running longer is a hang (default 5,000 ms). */
  timeLimitMs?: number;
  onProgress?: (done: number, counts: Record<Outcome, number>) => void;
}

/** Messages from the worker. */
export type WorkerMessage =
  | { kind: "ready" }
  | { kind: "start"; index: number }
  | { kind: "done"; index: number; result: CaseResult; bytes: number };

/** Runs cases 0..cases-1 of a target, one worker at a time, restarting the worker after a hang. */
export async function runCampaign(options: CampaignOptions): Promise<CampaignResult> {
  const limit = options.timeLimitMs ?? 5000;
  const counts = Object.fromEntries(OUTCOMES.map((o) => [o, 0])) as Record<Outcome, number>;
  const findings = new Map<string, Finding>();
  const started = performance.now();
  const scratch = mkdtempSync(join(tmpdir(), `spikemed-fuzz-${options.target}-`));
  const record = (index: number, result: CaseResult, bytes: number) => {
    counts[result.outcome]++;
    if (result.outcome === "accepted" || result.outcome === "named") return;
    // Paths, numbers, quoted values and shapes vary between cases of one finding: group without them.
    const key = `${result.outcome}|${result.where ?? ""}|${result.detail.replace(/\/tmp\/[^\s:"]+/g, "FILE").replace(/\[[^\]]*\]?/g, "[]").replace(/"[^"]*"?/g, '""').replace(/-?\d+(\.\d+)?(e[-+]?\d+)?/gi, "N")}`;
    const seen = findings.get(key);
    if (!seen) findings.set(key, { outcome: result.outcome, detail: result.detail, where: result.where, count: 1, example: index, exampleBytes: bytes });
    else {
      seen.count++;
      if (bytes < seen.exampleBytes) Object.assign(seen, { example: index, exampleBytes: bytes, detail: result.detail });
    }
  };
  try {
    let next = 0;
    while (next < options.cases) {
      next = await runWorker(options, scratch, next, limit, (index, result, bytes) => {
        record(index, result, bytes);
        options.onProgress?.(index + 1, counts);
      });
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  return {
    target: options.target, seed: options.seed, cases: options.cases, counts,
    findings: [...findings.values()].sort((a, b) => b.count - a.count), seconds: (performance.now() - started) / 1000,
  };
}

/** Runs cases from `from` in one worker until the end or a hang; returns the next case to run. */
function runWorker(options: CampaignOptions, scratch: string, from: number, limit: number,
  done: (index: number, result: CaseResult, bytes: number) => void): Promise<number> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL("./worker.js", import.meta.url), {
      workerData: { target: options.target, seed: options.seed, from, to: options.cases, dir: join(scratch, `case-${from}`), limit },
      // The stack of a command-line process (V8 reserves about 1 MB on the main thread), not a worker's default 4 MB.
      resourceLimits: { stackSizeMb: 1 },
    });
    let current = from;
    let ready = false;
    let timer: NodeJS.Timeout | undefined;
    let finished = false;
    const finish = (next: number) => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      void worker.terminate().then(() => resolve(next));
    };
    const arm = () => {
      clearTimeout(timer);
      // Generous slack over the limit: the worker measures the case itself; this catches a case that never returns.
      timer = setTimeout(() => {
        done(current, { outcome: "hang", detail: `no result after ${limit + 2000} ms`, ms: limit + 2000 }, 0);
        finish(current + 1);
      }, limit + 2000);
    };
    worker.on("message", (message: WorkerMessage) => {
      if (message.kind === "ready") ready = true;
      else if (message.kind === "start") {
        current = message.index;
        arm();
      } else if (message.kind === "done") {
        clearTimeout(timer);
        done(message.index, message.result, message.bytes);
        if (message.index + 1 >= options.cases) finish(options.cases);
      }
    });
    worker.on("error", (err) => {
      if (!ready) {
        finished = true;
        clearTimeout(timer);
        reject(new Error(`fuzz worker for ${options.target} failed before its first case: ${err.message}`));
        return;
      }
      // An error escaping the worker (not one a case threw: those are caught) ends the case it ran as a crash.
      done(current, { outcome: "crash", detail: `worker died: ${err.name}: ${oneLine(err.message)}`, ms: 0 }, 0);
      finish(current + 1);
    });
    worker.on("exit", (code) => {
      if (finished) return;
      if (!ready) reject(new Error(`fuzz worker for ${options.target} exited with code ${code} before its first case`));
      else {
        // A case that ends the thread (process.exit, out of memory) is a crash.
        done(current, { outcome: "crash", detail: `worker exited with code ${code}`, ms: 0 }, 0);
        finish(current + 1);
      }
    });
  });
}
