// Browser worker of the WebAssembly backend: worker.ts's loop, set up by a message (the compiled
// module and the shared memory are sent, not copied) instead of Node's workerData.
import { serveJobs } from "./control.js";
import type { KernelExports } from "./kernels.js";
import type { WorkerSetup } from "./worker.js";

const scope = globalThis as unknown as { onmessage: ((event: MessageEvent<WorkerSetup>) => void) | null; postMessage(message: unknown): void };

scope.onmessage = (event) => {
  scope.onmessage = null;
  const setup = event.data;
  const instance = new WebAssembly.Instance(setup.module, { env: { memory: setup.memory } });
  const kernels = instance.exports as unknown as KernelExports;
  const control = new Int32Array(setup.memory.buffer, setup.controlOffset, setup.controlInts);
  serveJobs(control, setup.tid - 1, setup.spin, () => kernels.run(setup.jobOffset, setup.tid), () => scope.postMessage("ready"));
};
