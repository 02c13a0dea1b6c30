import { fileURLToPath } from "node:url";
import { Worker } from "bullmq";
import type { OutputStream } from "../../train/index.js";
import { QUEUE_NAME, queueConnection } from "./connection.js";
import { redactQueueUrl } from "./url.js";
import type { QueueJob, QueueJobResult } from "./jobs.js";

export interface QueueWorkerOptions {
  url: string;
  /** Jobs this worker runs at once, each in its own thread. */
  concurrency: number;
  backend: "wasm" | "reference";
  /** Compute threads of each job (default: the wasm backend's, shared by `concurrency`). */
  threads?: number;
  /**
   * How long a job's lock lasts without being renewed, and how often the worker looks for jobs
   * whose lock ran out (their worker died) to take them again: BullMQ's lockDuration and
   * stalledInterval.
   */
  stalledSeconds: number;
  log?: OutputStream;
}

/**
 * A worker that takes spikemed's jobs from the queue until it is closed. A job whose worker died
 * (kill -9, a lost machine) is taken again by a worker once its lock runs out; a job that throws
 * fails for good, with its error, for the coordinator to report.
 */
export async function startQueueWorker(options: QueueWorkerOptions): Promise<{ close: () => Promise<void> }> {
  const log = options.log ?? process.stderr;
  const where = redactQueueUrl(options.url);
  const connection = queueConnection(options.url, log);
  // The sandboxed jobs read these when they start (a thread's environment is a copy of this one's).
  process.env.SPIKEMED_WORKER_BACKEND = options.backend;
  process.env.SPIKEMED_WORKER_CONCURRENCY = String(options.concurrency);
  if (options.threads) process.env.SPIKEMED_WORKER_THREADS = String(options.threads);
  else delete process.env.SPIKEMED_WORKER_THREADS;
  const worker = new Worker<QueueJob, QueueJobResult>(QUEUE_NAME, fileURLToPath(new URL("./processor.js", import.meta.url)), {
    connection, concurrency: options.concurrency, useWorkerThreads: true,
    lockDuration: options.stalledSeconds * 1000, stalledInterval: options.stalledSeconds * 1000,
  });
  const began = new Map<string, number>();
  worker.on("active", (job) => { began.set(job.id!, Date.now()); log.write(`started ${job.name}\n`); });
  worker.on("completed", (job) => log.write(`done ${job.name} (${(((Date.now() - (began.get(job.id!) ?? Date.now())) / 1000)).toFixed(1)} s)\n`));
  worker.on("failed", (job, err) => log.write(`failed ${job?.name ?? "a job"}: ${err.message}\n`));
  worker.on("error", () => {});
  await worker.waitUntilReady();
  log.write(`worker on ${where}: ${options.concurrency} job(s) at a time; Ctrl-C stops after the running job(s)\n`);
  return { close: () => worker.close() };
}
