import { getBackend } from "../src/core/index.js";

/** The active backend's name for a report, with the kernel module the wasm backend runs ("wasm (relaxed-SIMD kernels)"). */
export function backendLabel(): string {
  const backend = getBackend() as { name: string; kernelModule?: string };
  return backend.kernelModule ? `${backend.name} (${backend.kernelModule === "relaxed" ? "relaxed-SIMD" : backend.kernelModule} kernels)` : backend.name;
}
