import type { Command } from "commander";
import { useFastBackend } from "../core/index.js";
import { oneOf, positiveInt } from "./options.js";

export interface BackendOptions {
  backend: "wasm" | "reference";
  threads?: number;
}

/** The --backend and --threads options every computing command takes. */
export function backendOptions(command: Command): Command {
  return command
    .option("--backend <name>", "compute backend: wasm (fast, default) or reference", oneOf(["wasm", "reference"] as const), "wasm")
    .option("--threads <n>", "worker threads for the wasm backend (default: the machine's cores, at most 8; results do not depend on it)", positiveInt);
}

/**
 * Activates the compute backend the command line asked for (the reference one is active by default);
 * `processes` that compute side by side share the default threads.
 */
export async function selectBackend(options: BackendOptions, processes = 1): Promise<void> {
  if (options.backend === "wasm") await useFastBackend({ threads: options.threads, processes });
}
