// Starts the worker threads of the WebAssembly backend as module Workers, in a browser (or any
// host with the Web Worker API). Only a thread that may block can lead them (the backend waits on
// the shared memory for its workers), so in a browser the backend itself must run in a Worker.
import { SpikemedError } from "../../errors.js";
import type { WorkerSetup } from "./worker.js";
import { startAllOrNone, type WorkerHandle } from "./worker-team.js";

/** Starts one worker per setup and resolves once each has instantiated the module. */
export async function startBrowserWorkers(setups: WorkerSetup[]): Promise<WorkerHandle[]> {
  const url = new URL("./browser-worker.js", import.meta.url);
  return startAllOrNone(setups, (setup) => {
    const worker = new Worker(url, { type: "module" });
    const ready = new Promise((resolve, reject) => {
      worker.onmessage = () => resolve(undefined);
      worker.onerror = (event) => reject(new SpikemedError(`wasm backend: a kernel worker could not start (${event.message || url.href})`));
    });
    worker.postMessage(setup);
    return { handle: { terminate: async () => worker.terminate() }, ready };
  });
}
