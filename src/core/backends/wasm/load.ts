// Loading the WebAssembly backend: compiles the kernel module, creates the shared memory and
// starts the worker threads (Node's worker_threads, or module Workers in a browser).
import { SpikemedError } from "../../errors.js";
import { WasmBackend } from "./backend.js";
import { TeamControl, controlInts } from "./control.js";
import { SharedHeap } from "./heap.js";
import { JOB_BYTES, type KernelExports } from "./kernels.js";
import type { WorkerHandle } from "./worker-team.js";
import type { WorkerSetup } from "./worker.js";

export interface WasmBackendOptions {
  /** Threads the kernels run on, the calling thread included (default: the available cores, at most 8, shared among `processes`). */
  threads?: number;
  /** Processes that will compute side by side on this machine, each taking its share of the default threads (default 1). */
  processes?: number;
  /** The compiled kernels: bytes, or where to load them (default: build/kernels.wasm of this package). */
  wasm?: BufferSource | URL;
  /** Iterations a waiting thread polls before it sleeps (default 20000, about 20-50 microseconds). */
  spin?: number;
}

const INITIAL_PAGES = 256;
const MAX_PAGES = 65536;
const DEFAULT_SPIN = 20000;
/**
 * Most threads taken when none are asked for. On a 16-core machine, training the default ECG SNN at
 * batch 16 gained 2.07x from 2 to 8 threads and 18% more from 8 to 16 (bench/results/ecg-speed-16-cores.md);
 * past 8, a laptop's extra "cores" are mostly hyper-threads sharing the SIMD units.
 */
const MAX_DEFAULT_THREADS = 8;

async function loadModule(source: BufferSource | URL | undefined): Promise<WebAssembly.Module> {
  if (source !== undefined && !(source instanceof URL)) return WebAssembly.compile(source);
  const url = source ?? new URL("../../../../../build/kernels.wasm", import.meta.url);
  if (url.protocol !== "file:") return WebAssembly.compileStreaming(fetch(url));
  const { readFile } = await import("node:fs/promises");
  let bytes: Uint8Array;
  try {
    bytes = await readFile(url);
  } catch {
    throw new SpikemedError(`wasm backend: cannot read the kernels at ${url.pathname}`, "build them with `npm run build` (it runs scripts/build-wasm.mjs)");
  }
  return WebAssembly.compile(bytes as Uint8Array<ArrayBuffer>);
}

async function availableCores(): Promise<number> {
  const nav = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator;
  if (nav?.hardwareConcurrency) return nav.hardwareConcurrency;
  try {
    const os = await import("node:os");
    return os.availableParallelism();
  } catch {
    return 1;
  }
}

function isNode(): boolean {
  return typeof process !== "undefined" && typeof process.versions?.node === "string";
}

/**
 * Whether this thread may start kernel workers: it waits for them on the shared memory, which a
 * browser forbids its pages' main thread (a Worker may).
 */
function mayLeadWorkers(): boolean {
  if (isNode()) return true;
  return typeof Worker !== "undefined" && typeof (globalThis as { document?: unknown }).document === "undefined";
}

/**
 * Loads the kernels and starts the worker threads: Node's worker_threads, or in a browser module
 * Workers when the backend itself runs in a Worker (on a page's main thread it runs single-threaded).
 */
export async function createWasmBackend(options: WasmBackendOptions = {}): Promise<WasmBackend> {
  const requested = options.threads ?? Math.max(1, Math.floor(Math.min(MAX_DEFAULT_THREADS, await availableCores()) / (options.processes ?? 1)));
  if (!Number.isInteger(requested) || requested < 1 || requested > 64) {
    throw new SpikemedError(`wasm backend: threads must be an integer from 1 to 64, got ${options.threads}`);
  }
  const spin = options.spin ?? DEFAULT_SPIN;
  if ((globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === false) {
    throw new SpikemedError("wasm backend: the kernels share their memory, which a browser allows only on a cross-origin isolated page",
      "serve the page with the headers Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp, or stay on the reference backend");
  }
  const module = await loadModule(options.wasm);
  const memory = new WebAssembly.Memory({ initial: INITIAL_PAGES, maximum: MAX_PAGES, shared: true });
  const instance = await WebAssembly.instantiate(module, { env: { memory } });
  const kernels = instance.exports as unknown as KernelExports;
  const heap = new SharedHeap(memory, kernels.heapBase());
  const threads = mayLeadWorkers() ? requested : 1;
  const ints = controlInts(threads - 1);
  const controlOffset = heap.alloc(ints * 4);
  const jobOffset = heap.alloc(JOB_BYTES);
  const control = new Int32Array(memory.buffer, controlOffset, ints);
  let workers: WorkerHandle[] = [];
  if (threads > 1) {
    const setups: WorkerSetup[] = [];
    for (let tid = 1; tid < threads; tid++) {
      setups.push({ module, memory, controlOffset, controlInts: ints, jobOffset, tid, spin });
    }
    workers = isNode() ? await (await import("./node-workers.js")).startNodeWorkers(setups)
      : await (await import("./browser-workers.js")).startBrowserWorkers(setups);
  }
  const team = workers.length > 0 ? new TeamControl(control, workers.length, spin) : null;
  return new WasmBackend({ heap, kernels, team, workers, jobOffset });
}
