// Starts the worker threads of the WebAssembly backend with Node's worker_threads.
import type { WorkerSetup } from "./worker.js";
import { startAllOrNone, type WorkerHandle } from "./worker-team.js";

/** Starts one worker per setup and resolves once each has instantiated the module. */
export async function startNodeWorkers(setups: WorkerSetup[]): Promise<WorkerHandle[]> {
  const { Worker } = await import("node:worker_threads");
  const url = new URL("./worker.js", import.meta.url);
  // --input-type (from `node --input-type=module -e ...`) is inherited by default and makes a worker
  // started from a file fail to load. V8's --experimental-wasm-* flags (relaxed SIMD on Node.js 20)
  // hold for the whole process already, and a worker refuses to be given them.
  const execArgv = process.execArgv.filter((arg) => !arg.startsWith("--input-type") && !arg.startsWith("--experimental-wasm-"));
  return startAllOrNone(setups, (workerData) => {
    const worker = new Worker(url, { workerData, execArgv });
    const ready = new Promise((resolve, reject) => {
      worker.once("message", () => {
        // A process whose work is done must be able to exit while the workers sleep.
        worker.unref();
        resolve(undefined);
      });
      worker.once("error", reject);
    });
    return { handle: worker, ready };
  });
}
