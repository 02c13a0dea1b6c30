import { Redis } from "ioredis";
import { checkQueueUrl } from "./url.js";

/** The BullMQ queue spikemed's coordinators and workers share on one Redis. */
export const QUEUE_NAME = "spikemed";

/**
 * A Redis connection for BullMQ from the queue URL (ioredis reads its password, database and,
 * for rediss://, TLS). It reconnects by itself after Redis restarts; commands wait for it instead
 * of failing (BullMQ's workers need that, and a coordinator then rides out a restart too).
 */
export function queueConnection(url: string): Redis {
  const redis = new Redis(checkQueueUrl(url), { maxRetriesPerRequest: null, retryStrategy: (times) => Math.min(200 * times, 2000) });
  // ioredis reports every failed reconnection as an "error" event; unheard, Node would stop the process.
  redis.on("error", () => {});
  return redis;
}
