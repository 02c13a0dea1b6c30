// The fast backend: WebAssembly SIMD kernels over a shared memory, run by a team of threads.
// load.ts starts it, backend.ts plans and checks each call (plan.ts, checks.ts) and runs it as a
// job whose layout kernel-interface.ts defines for both sides.
export { WasmBackend } from "./backend.js";
export { chooseKernelModule, createWasmBackend, relaxedSimdSupported, type KernelModule, type WasmBackendOptions } from "./load.js";
