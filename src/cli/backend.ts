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
    .option("--threads <n>", "worker threads for the wasm backend (default 2)", positiveInt);
}

/** Activates the compute backend the command line asked for (the reference one is active by default). */
export async function selectBackend(options: BackendOptions): Promise<void> {
  if (options.backend === "wasm") await useFastBackend({ threads: options.threads });
}
