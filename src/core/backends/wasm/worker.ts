// Node worker thread of the WebAssembly backend: instantiates the kernel module over the shared
// memory and serves jobs until told to quit.
import { parentPort, workerData } from "node:worker_threads";
import { serveJobs } from "./control.js";
import type { KernelExports } from "./kernels.js";

export interface WorkerSetup {
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
  controlOffset: number;
  controlInts: number;
  jobOffset: number;
  tid: number;
  threads: number;
  spin: number;
}

const setup = workerData as WorkerSetup;
const instance = new WebAssembly.Instance(setup.module, { env: { memory: setup.memory } });
const kernels = instance.exports as unknown as KernelExports;
const control = new Int32Array(setup.memory.buffer, setup.controlOffset, setup.controlInts);
parentPort!.postMessage("ready");
serveJobs(control, setup.tid, setup.spin, () => kernels.run(setup.jobOffset, setup.tid, setup.threads));
