// Kernel workers start all or none: when one fails, the others are terminated rather than left
// waiting on shared memory (fake workers stand in for Node and browser ones).
import { test } from "node:test";
import assert from "node:assert/strict";
import { startAllOrNone, type StartingWorker } from "../../../src/core/backends/wasm/worker-team.js";

function fakeWorker(outcome: "ready" | "fails", terminated: number[], id: number): StartingWorker {
  return {
    handle: { terminate: async () => terminated.push(id) },
    ready: outcome === "ready" ? Promise.resolve() : Promise.reject(new Error(`worker ${id} could not start`)),
  };
}

test("startAllOrNone: every worker ready gives every handle, none terminated", async () => {
  const terminated: number[] = [];
  const handles = await startAllOrNone([1, 2, 3], (id) => fakeWorker("ready", terminated, id));
  assert.equal(handles.length, 3);
  assert.deepEqual(terminated, []);
});

test("startAllOrNone: one worker failing terminates all the others and rethrows its error", async () => {
  const terminated: number[] = [];
  await assert.rejects(
    startAllOrNone([1, 2, 3], (id) => fakeWorker(id === 2 ? "fails" : "ready", terminated, id)),
    /worker 2 could not start/);
  assert.deepEqual(terminated.sort(), [1, 2, 3]);
});

test("startAllOrNone: a worker that cannot even be created terminates those already started", async () => {
  const terminated: number[] = [];
  await assert.rejects(
    startAllOrNone([1, 2, 3], (id) => {
      if (id === 3) throw new Error("no Worker constructor");
      return fakeWorker("ready", terminated, id);
    }),
    /no Worker constructor/);
  assert.deepEqual(terminated.sort(), [1, 2]);
});
