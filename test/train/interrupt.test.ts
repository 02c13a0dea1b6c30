import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import test from "node:test";
import { fileURLToPath } from "node:url";
import { loadTrainingCheckpoint } from "../../src/train/checkpoint.js";
import { GracefulStop } from "../../src/train/interrupt.js";
import { makeStepper } from "./stepper.js";

const dir = mkdtempSync(join(tmpdir(), "spikemed-interrupt-"));
test.after(() => rmSync(dir, { recursive: true, force: true }));

function recorder() {
  const events: string[] = [];
  return { events, stream: { write: (t: string) => events.push(`text: ${t.trim()}`) }, exit: (code: number) => events.push(`exit ${code}`) };
}

test("a real Ctrl-C (SIGINT to a child process) finishes the step, writes a checkpoint and exits 130", async () => {
  const file = join(dir, "interrupted.ckpt");
  const child = spawn(process.execPath, [fileURLToPath(new URL("./fixtures/interrupt-child.js", import.meta.url)), file], { stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stderr.on("data", (d) => (stderr += d));
  const ready = new Promise<void>((resolve) => child.stdout.on("data", (d) => { stdout += d; if (stdout.includes("ready")) resolve(); }));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  await ready;
  await new Promise((resolve) => setTimeout(resolve, 50));
  child.kill("SIGINT");
  const code = await exited;
  assert.equal(code, 130, `stderr: ${stderr}`);
  assert.match(stderr, /SIGINT received: finishing the current step, then saving a checkpoint/);
  const stepsDone = Number(/checkpoint written after (\d+) steps/.exec(stdout)?.[1]);
  assert.ok(stepsDone >= 1, stdout);

  // The checkpoint holds exactly `stepsDone` whole steps: replaying them here gives the same bits.
  const resumed = makeStepper();
  const { meta } = loadTrainingCheckpoint(file, { params: resumed.params, optimizer: resumed.optimizer });
  assert.equal(meta.stepsDone, stepsDone);
  assert.equal(resumed.optimizer.stepCount, stepsDone);
  const replay = makeStepper();
  for (let k = 0; k < stepsDone; k++) replay.step(k);
  assert.deepEqual(resumed.params[0].value, replay.params[0].value);
});

test("poll() does nothing without a signal; after one it saves, then exits with 128 + signal number", async () => {
  const { events, stream, exit } = recorder();
  const stop = new GracefulStop({ signals: ["SIGUSR2"], stream, exit, onStop: (signal) => events.push(`save on ${signal}`) });
  await stop.poll();
  assert.deepEqual(events, []);
  process.emit("SIGUSR2", "SIGUSR2");
  assert.equal(stop.requested, "SIGUSR2");
  assert.equal(events.length, 1, "the signal itself only prints a notice");
  await stop.poll();
  assert.deepEqual(events.slice(1), ["save on SIGUSR2", "exit 140"]);
  assert.equal(process.listenerCount("SIGUSR2"), 0, "handlers removed before exiting");
});

test("signals queued during one long step count once; a later second signal quits without saving", async () => {
  const { events, stream, exit } = recorder();
  const stop = new GracefulStop({ signals: ["SIGUSR2"], stream, exit, forceAfterMs: 30, onStop: () => events.push("save") });
  process.emit("SIGUSR2", "SIGUSR2");
  process.emit("SIGUSR2", "SIGUSR2");
  assert.equal(events.filter((e) => e.startsWith("exit")).length, 0);
  await new Promise((resolve) => setTimeout(resolve, 40));
  process.emit("SIGUSR2", "SIGUSR2");
  assert.deepEqual(events.slice(-2), ["text: SIGUSR2 received again: quitting without a checkpoint", "exit 140"]);
  assert.ok(!events.includes("save"));
  stop.dispose();
});
