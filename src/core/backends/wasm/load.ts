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
  /**
   * Which of the package's two kernel modules to run: "relaxed" (build/kernels-relaxed.wasm:
   * relaxed SIMD, with fused multiply-add in the GEMM), "simd128" (build/kernels.wasm), or "auto":
   * relaxed where WebAssembly.validate accepts relaxed SIMD, else simd128. Default: the
   * SPIKEMED_KERNELS environment variable in Node, else "auto".
   */
  kernels?: KernelModule;
  /** The compiled kernels: bytes, or where to load them (instead of the package's own). */
  wasm?: BufferSource | URL;
  /** Iterations a waiting thread polls before it sleeps (default 20000, about 20-50 microseconds). */
  spin?: number;
}

/** The package's kernel modules (scripts/build-wasm.mjs builds both); "auto" picks one for this engine. */
export type KernelModule = "auto" | "relaxed" | "simd128";
const MODULE_FILE = { relaxed: "kernels-relaxed.wasm", simd128: "kernels.wasm" } as const;

/**
 * The smallest module that uses a relaxed-SIMD instruction (i8x16.relaxed_swizzle): the engine
 * validates it exactly when it runs relaxed SIMD (the check of the wasm-feature-detect library).
 */
const RELAXED_SIMD_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 15, 1, 13, 0, 65, 1, 253, 15, 65, 2, 253, 15, 253, 128, 2, 11,
]);

/** True when this engine runs WebAssembly relaxed SIMD. */
export function relaxedSimdSupported(): boolean {
  return WebAssembly.validate(RELAXED_SIMD_PROBE);
}

/** The module that `requested` names on this engine; asking for relaxed SIMD where it cannot run is refused. */
export function chooseKernelModule(requested: string): "relaxed" | "simd128" {
  if (requested === "auto") return relaxedSimdSupported() ? "relaxed" : "simd128";
  if (requested === "simd128") return "simd128";
  if (requested === "relaxed") {
    if (relaxedSimdSupported()) return "relaxed";
    throw new SpikemedError("wasm backend: the relaxed-SIMD kernels were asked for, but this JavaScript engine does not run relaxed SIMD",
      "use Node.js 22 or later (Node.js 20: node --experimental-wasm-relaxed-simd), or ask for the simd128 kernels");
  }
  throw new SpikemedError(`wasm backend: unknown kernel module "${requested}"`, "use auto, relaxed or simd128 (option kernels, or SPIKEMED_KERNELS)");
}

function requestedKernels(options: WasmBackendOptions): string {
  if (options.kernels !== undefined) return options.kernels;
  const fromEnv = isNode() ? process.env.SPIKEMED_KERNELS : undefined;
  return fromEnv || "auto";
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

async function loadModule(source: BufferSource | URL | undefined, kernels: "relaxed" | "simd128"): Promise<WebAssembly.Module> {
  if (source !== undefined && !(source instanceof URL)) return WebAssembly.compile(source);
  const url = source ?? new URL(`../../../../../build/${MODULE_FILE[kernels]}`, import.meta.url);
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
  const kernelModule = chooseKernelModule(requestedKernels(options));
  const module = await loadModule(options.wasm, kernelModule);
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
  return new WasmBackend({ heap, kernels, team, workers, jobOffset, kernelModule: options.wasm === undefined ? kernelModule : "given" });
}
