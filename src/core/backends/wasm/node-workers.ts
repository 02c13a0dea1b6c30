// Starts the worker threads of the WebAssembly backend with Node's worker_threads.
import type { WorkerSetup } from "./worker.js";

export interface WorkerHandle {
  terminate(): Promise<unknown>;
}

/** Starts one worker per setup and resolves once each has instantiated the module. */
export async function startNodeWorkers(setups: WorkerSetup[]): Promise<WorkerHandle[]> {
  const { Worker } = await import("node:worker_threads");
  const url = new URL("./worker.js", import.meta.url);
  return Promise.all(setups.map((workerData) => new Promise<WorkerHandle>((resolve, reject) => {
    // --input-type (from `node --input-type=module -e ...`) is inherited by default and makes a worker
    // started from a file fail to load.
    const execArgv = process.execArgv.filter((arg) => !arg.startsWith("--input-type"));
    const worker = new Worker(url, { workerData, execArgv });
    worker.once("message", () => {
      // A process whose work is done must be able to exit while the workers sleep.
      worker.unref();
      resolve(worker);
    });
    worker.once("error", reject);
  })));
}
