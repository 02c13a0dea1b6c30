import { Command } from "commander";
import { checkQueueUrl } from "../experiment/queue/url.js";
import { backendOptions, type BackendOptions } from "./backend.js";
import { positiveInt } from "./options.js";

interface WorkerFlags extends BackendOptions { queue: string; concurrency: number; stalledSeconds: number }

export function workerCommand(): Command {
  return backendOptions(new Command("worker"))
    .description("take the jobs of searches and trainings run with --queue from a BullMQ queue on Redis, train them and send their results back; " +
      "start any number, on any machines that see the same data (and, for train --seeds, the same run folder) and the same Redis (docs/training.md)")
    .requiredOption("--queue <url>", "the queue's Redis: redis://HOST:PORT, redis://:PASSWORD@HOST:PORT, or rediss://... for TLS (the password is never shown)")
    .option("--concurrency <n>", "jobs at once, each in its own thread (give each --threads 1 to fill a machine's cores with single-threaded jobs)", positiveInt, 1)
    .option("--stalled-seconds <s>", "a job whose worker stops renewing its lock (killed, machine lost) is taken again by another worker after this many seconds", positiveInt, 30)
    .action(async (flags: WorkerFlags) => {
      checkQueueUrl(flags.queue);
      // BullMQ and its Redis client load only for the commands that use the queue.
      const { startQueueWorker } = await import("../experiment/queue/index.js");
      const worker = await startQueueWorker({
        url: flags.queue, concurrency: flags.concurrency, backend: flags.backend, threads: flags.threads, stalledSeconds: flags.stalledSeconds,
      });
      const stop = (): void => {
        process.stderr.write("stopping after the running job(s)\n");
        void worker.close().then(() => process.exit(0));
      };
      process.once("SIGINT", stop);
      process.once("SIGTERM", stop);
    });
}
