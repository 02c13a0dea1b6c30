/** The worker thread of harness.ts: builds a target's seeds, then runs cases `from`..`to` - 1 and reports each. */
import { parentPort, workerData } from "node:worker_threads";
import { classify, loadSeeds, makeCase, writeCase, type WorkerMessage } from "./harness.js";
import { targetNamed } from "./targets.js";

const { target: name, seed, from, to, dir, limit } = workerData as { target: string; seed: number; from: number; to: number; dir: string; limit: number };
const target = targetNamed(name);
const seeds = await loadSeeds(target);
const post = (message: WorkerMessage) => parentPort!.postMessage(message);
post({ kind: "ready" });
for (let index = from; index < to; index++) {
  const files = makeCase(target, seeds, seed, index);
  post({ kind: "start", index });
  writeCase(dir, files);
  const result = await classify(target, dir, limit);
  post({ kind: "done", index, result, bytes: Object.values(files).reduce((s, b) => s + b.length, 0) });
}
