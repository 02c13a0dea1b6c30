import assert from "node:assert/strict";
import test from "node:test";
import { SpikemedError } from "../../src/core/errors.js";
import { EarlyStopping } from "../../src/train/early-stopping.js";

test("min mode: stops after `patience` epochs without an improvement larger than minDelta", () => {
  const stop = new EarlyStopping({ mode: "min", patience: 2, minDelta: 0.01 });
  const losses = [1.0, 0.8, 0.795, 0.7, 0.71, 0.695];
  const improved = losses.map((loss, epoch) => stop.update(epoch, loss));
  // 0.795 is not 0.01 below 0.8; 0.695 is not 0.01 below 0.7
  assert.deepEqual(improved, [true, true, false, true, false, false]);
  assert.equal(stop.best, 0.7);
  assert.equal(stop.bestEpoch, 3);
  assert.equal(stop.shouldStop, true);
});

test("max mode tracks the best epoch and resets the count on improvement", () => {
  const stop = new EarlyStopping({ mode: "max", patience: 3 });
  for (const [epoch, acc] of [0.5, 0.6, 0.6, 0.59, 0.61].entries()) stop.update(epoch, acc);
  assert.equal(stop.bestEpoch, 4);
  assert.equal(stop.epochsWithoutImprovement, 0);
  assert.equal(stop.shouldStop, false);
});

test("state round-trips through JSON and continues identically", () => {
  const metrics = [0.9, 0.8, 0.85, 0.86, 0.79, 0.8, 0.81, 0.82];
  const straight = new EarlyStopping({ patience: 3 });
  const decisions = metrics.map((m, e) => [straight.update(e, m), straight.shouldStop]);
  const first = new EarlyStopping({ patience: 3 });
  metrics.slice(0, 4).forEach((m, e) => first.update(e, m));
  const resumed = new EarlyStopping();
  resumed.loadState(JSON.parse(JSON.stringify(first.state())));
  const rest = metrics.slice(4).map((m, i) => [resumed.update(i + 4, m), resumed.shouldStop]);
  assert.deepEqual(rest, decisions.slice(4));
  assert.deepEqual(resumed.state(), straight.state());
});

test("bad settings and non-finite metrics raise SpikemedError", () => {
  assert.throws(() => new EarlyStopping({ patience: 0 }), (e: Error) => e instanceof SpikemedError && /patience/.test(e.message));
  assert.throws(() => new EarlyStopping({ minDelta: -1 }), /minDelta/);
  assert.throws(() => new EarlyStopping().update(3, NaN), /metric of epoch 3 is NaN/);
  assert.throws(() => new EarlyStopping().loadState({ mode: "min", patience: 2, minDelta: 0, best: null, bestEpoch: -2, badEpochs: 0 }, "x.ckpt"), /x.ckpt: early-stopping best epoch/);
});
