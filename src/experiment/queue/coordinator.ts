import { Queue } from "bullmq";
import { SpikemedError } from "../../core/index.js";
import { formatDuration, type OutputStream } from "../../train/index.js";
import { QUEUE_NAME, queueConnection } from "./connection.js";
import { redactQueueUrl } from "./url.js";
import type { QueueJobResult, QueuedWork } from "./jobs.js";

export interface QueueRunOptions {
  /** redis:// or rediss:// URL of the queue's Redis. */
  url: string;
  /** Progress lines. */
  log?: OutputStream;
  /** How often the coordinator looks at its jobs (default 1 s). */
  pollSeconds?: number;
}

/** How many of the coordinator's jobs are in each state. */
export interface QueueProgress { waiting: number; running: number; done: number; failed: number }

/**
 * Puts the work not finished yet on the queue and waits until workers have done it all, handing
 * each result to its work as it comes (so a coordinator stopped half-way keeps what came). A job
 * id names the same work every time, so a coordinator started again finds the jobs it queued
 * before, done or not, instead of queuing them twice. A job that failed fails the whole run with
 * its worker's error (it is not retried: the fix is the user's); a failed job left by an earlier
 * run is queued again. Jobs that Redis lost (restarted without saving) are queued again.
 */
export async function runOnQueue(work: QueuedWork[], options: QueueRunOptions): Promise<void> {
  const log = options.log ?? process.stderr;
  const where = redactQueueUrl(options.url);
  const connection = queueConnection(options.url, log);
  const queue = new Queue(QUEUE_NAME, { connection });
  queue.on("error", () => {});
  try {
    const pending = work.filter((w) => !w.finished());
    const skipped = work.length - pending.length;
    log.write(`queue ${where}: ${pending.length} job(s) to run${skipped ? `, ${skipped} already done` : ""}; ` +
      `workers take them: npx spikemed worker --queue ${where}\n`);
    for (const w of pending) await enqueue(queue, w);
    const began = Date.now();
    let doneHere = 0;
    let shown = "";
    let shownAt = 0;
    while (pending.length > 0) {
      const progress: QueueProgress = { waiting: 0, running: 0, done: work.length - pending.length, failed: 0 };
      for (const w of [...pending]) {
        // The state first: a finished job (completed or failed) no longer changes, so reading it after holds its outcome.
        const state = await queue.getJobState(w.id);
        const job = state === "completed" || state === "failed" ? await queue.getJob(w.id) : undefined;
        if (state === "unknown") {
          await enqueue(queue, w);
          progress.waiting++;
        } else if (state === "completed" && job) {
          w.done(job.returnvalue as QueueJobResult);
          pending.splice(pending.indexOf(w), 1);
          await job.remove();
          progress.done++;
          doneHere++;
        } else if (state === "failed" && job) {
          progress.failed++;
          log.write(`queue: ${describeProgress(progress)}\n`);
          await withdraw(queue, pending);
          throw new SpikemedError(`queue: ${w.name} failed on a worker: ${job.failedReason}`,
            "fix the cause, then run the same command with --resume: the jobs that finished are kept");
        } else if (state === "active") {
          progress.running++;
        } else {
          progress.waiting++;
        }
      }
      const eta = doneHere > 0 && pending.length > 0 ? ` - about ${formatDuration(((Date.now() - began) / 1000 / doneHere) * pending.length)} left` : "";
      const line = describeProgress(progress);
      if (line !== shown || Date.now() - shownAt > 60_000) {
        log.write(`queue: ${line}${eta}\n`);
        shown = line;
        shownAt = Date.now();
      }
      if (pending.length > 0) await new Promise((resolve) => setTimeout(resolve, (options.pollSeconds ?? 1) * 1000));
    }
  } finally {
    await queue.close();
    connection.disconnect();
  }
}

export function describeProgress(p: QueueProgress): string {
  return `${p.waiting} waiting, ${p.running} running, ${p.done} done, ${p.failed} failed`;
}

/** Queues `work` under its id; a job of that id already there (waiting, running or done) is left as it is, a failed one is queued again. */
async function enqueue(queue: Queue, work: QueuedWork): Promise<void> {
  const existing = await queue.getJob(work.id);
  if (existing && (await existing.getState()) === "failed") await existing.remove();
  await queue.add(work.name, work.job, { jobId: work.id, attempts: 1, removeOnComplete: false, removeOnFail: false });
}

/** Takes this run's jobs that no worker has started off the queue (a failed run stops them from running for nothing). */
async function withdraw(queue: Queue, work: QueuedWork[]): Promise<void> {
  for (const w of work) {
    const job = await queue.getJob(w.id);
    if (job && (await job.getState()) === "waiting") await job.remove();
  }
}
