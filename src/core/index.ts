/**
 * The compute core: float32 tensors, reverse-mode autograd, ops, and the backends that run them.
 * Importing it makes the reference backend active; `useFastBackend()` switches to WebAssembly.
 */
import { setBackend, type Backend } from "./backend.js";
import { ReferenceBackend } from "./backends/reference/index.js";
import type { WasmBackendOptions } from "./backends/wasm/index.js";

setBackend(new ReferenceBackend());

export * from "./backend.js";
export { ReferenceBackend } from "./backends/reference/index.js";
export { backward, record, withFiniteChecks } from "./autograd.js";
export * from "./tensor.js";
export * from "./ops/index.js";
export { Rng } from "./random.js";
export { SpikemedError } from "./errors.js";
export { RESEARCH_NOTICE } from "./notice.js";

/**
 * Makes the WebAssembly SIMD backend (kernels on worker threads over shared memory) the active
 * one. Loaded on demand, so code that stays on the reference backend never pulls in workers.
 */
export async function useFastBackend(options: Pick<WasmBackendOptions, "threads" | "processes" | "kernels" | "wasm"> = {}): Promise<Backend> {
  const { createWasmBackend } = await import("./backends/wasm/index.js");
  const backend = await createWasmBackend(options);
  setBackend(backend);
  return backend;
}
