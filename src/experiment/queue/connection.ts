import { Redis } from "ioredis";
import type { OutputStream } from "../../train/index.js";
import { checkQueueUrl, redactQueueUrl } from "./url.js";

/** The BullMQ queue spikemed's coordinators and workers share on one Redis. */
export const QUEUE_NAME = "spikemed";

/**
 * A Redis connection for BullMQ from the queue URL (ioredis reads its password, database and,
 * for rediss://, TLS). It reconnects by itself after Redis restarts, saying so on `log` (the URL
 * without its password); commands wait for it instead of failing (BullMQ's workers need that, and
 * a coordinator then rides out a restart too).
 */
export function queueConnection(url: string, log?: OutputStream): Redis {
  const redis = new Redis(checkQueueUrl(url), { maxRetriesPerRequest: null, retryStrategy: (times) => Math.min(200 * times, 2000) });
  // ioredis reports every failed reconnection as an "error" event; unheard, Node would stop the process.
  redis.on("error", () => {});
  if (log) {
    const where = redactQueueUrl(url);
    let lost = false;
    redis.on("reconnecting", () => { if (!lost) log.write(`lost the queue at ${where}; reconnecting\n`); lost = true; });
    redis.on("ready", () => { if (lost) log.write(`queue at ${where} is back\n`); lost = false; });
  }
  return redis;
}
