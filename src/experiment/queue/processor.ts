import type { SandboxedJob } from "bullmq";
import { useFastBackend } from "../../core/index.js";
import { runQueueJob, type QueueJob, type QueueJobResult } from "./jobs.js";

/**
 * What a worker runs for each job, in a thread of its own (BullMQ's sandboxed processor): the
 * worker's main thread keeps the job's lock alive while a training holds this thread for minutes.
 * The worker passes its backend, threads and concurrency in the environment.
 */
let backend: Promise<unknown> | undefined;

export default async function processQueueJob(job: SandboxedJob<QueueJob, QueueJobResult>): Promise<QueueJobResult> {
  const threads = process.env.SPIKEMED_WORKER_THREADS ? Number(process.env.SPIKEMED_WORKER_THREADS) : undefined;
  // Jobs side by side share the default threads, as the processes of a --jobs search do.
  const processes = Number(process.env.SPIKEMED_WORKER_CONCURRENCY ?? 1);
  backend ??= process.env.SPIKEMED_WORKER_BACKEND === "reference" ? Promise.resolve() : useFastBackend({ threads, processes });
  await backend;
  return runQueueJob(job.data, { write: (text: string) => process.stderr.write(text) });
}
