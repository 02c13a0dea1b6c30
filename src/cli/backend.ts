import { useFastBackend } from "../core/index.js";

export interface BackendOptions {
  backend: "wasm" | "reference";
  threads?: number;
}

/** Activates the compute backend the command line asked for (the reference one is active by default). */
export async function selectBackend(options: BackendOptions): Promise<void> {
  if (options.backend === "wasm") await useFastBackend({ threads: options.threads });
}
