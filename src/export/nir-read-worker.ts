/** The worker thread behind readNirFile: reads each requested file and posts the graph or the error back. */
import { parentPort } from "node:worker_threads";
import { SpikemedError } from "../core/errors.js";
import { readNirFileHere, type NirReadReply } from "./nir-file.js";

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
