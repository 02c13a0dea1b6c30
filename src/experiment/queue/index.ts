export { QUEUE_NAME, queueConnection } from "./connection.js";
export { describeProgress, runOnQueue, type QueueProgress, type QueueRunOptions } from "./coordinator.js";
export { runQueueJob, searchWork, seedWork, type QueueJob, type QueueJobResult, type QueuedWork } from "./jobs.js";
export { checkQueueUrl, redactQueueUrl } from "./url.js";
export { startQueueWorker, type QueueWorkerOptions } from "./worker.js";
