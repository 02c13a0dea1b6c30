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
  /** Thread index (1, 2, ...; the calling thread is 0): picks the thread's scratch space. */
  tid: number;
  spin: number;
}

const setup = workerData as WorkerSetup;
const instance = new WebAssembly.Instance(setup.module, { env: { memory: setup.memory } });
const kernels = instance.exports as unknown as KernelExports;
const control = new Int32Array(setup.memory.buffer, setup.controlOffset, setup.controlInts);
serveJobs(control, setup.tid - 1, setup.spin, () => kernels.run(setup.jobOffset, setup.tid),
  () => parentPort!.postMessage("ready"));
