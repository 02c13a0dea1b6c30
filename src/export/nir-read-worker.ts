/** The worker thread behind readNirFile: reads each requested file and posts the graph or the error back. */
import { parentPort } from "node:worker_threads";
import { SpikemedError } from "../core/errors.js";
import type { NirReadReply } from "./nir-file.js";

// HDF5 aborting on a damaged file also prints "Aborted(...)" through the console.error the wasm module
// binds when it loads: the abort already becomes the file's one-line error, so that line is dropped.
const printError = console.error;
console.error = (...args: unknown[]) => {
  if (!(typeof args[0] === "string" && args[0].startsWith("Aborted("))) printError(...args);
};
const { readNirFileHere } = await import("./nir-file.js");

parentPort!.on("message", async ({ id, file }: { id: number; file: string }) => {
  let reply: NirReadReply;
  try {
    reply = { id, graph: await readNirFileHere(file) };
  } catch (err) {
    const e = err instanceof Error ? err : new Error(String(err));
    const hint = e instanceof SpikemedError ? e.hint : undefined;
    // SpikemedError's message ends with its hint; the thread that rebuilds the error adds it again.
    reply = { id, message: hint ? e.message.slice(0, e.message.lastIndexOf("\n  fix: ")) : e.message, hint, spikemed: e instanceof SpikemedError };
  }
  parentPort!.postMessage(reply);
});
