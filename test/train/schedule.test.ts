import assert from "node:assert/strict";
import test from "node:test";
import { SpikemedError } from "../../src/core/errors.js";
import { createSchedule, type ScheduleConfig } from "../../src/train/schedule.js";
import { loadTorchFixtures, maxRelativeError } from "./torch-fixtures.js";

const fixtures = loadTorchFixtures();

function run(config: ScheduleConfig, epochs: number, metrics?: number[]): number[] {
  const schedule = createSchedule(0.1, config);
  const lrs = [schedule.lr];
  for (let e = 0; e < epochs; e++) lrs.push(schedule.step(metrics?.[e]));
  return lrs;
}

test("schedules reproduce torch.optim.lr_scheduler (StepLR, CosineAnnealingLR, LinearLR+cosine, ReduceLROnPlateau)", () => {
  assert.equal(fixtures.schedules.length, 6);
  for (const s of fixtures.schedules) {
    const lrs = run(s.config as ScheduleConfig, s.lrs.length - 1, s.metrics);
    const err = maxRelativeError(lrs, s.lrs);
    assert.ok(err < 1e-12, `${s.name}: ${lrs.join(", ")} vs torch ${s.lrs.join(", ")}`);
  }
});

test("onecycle reproduces torch's OneCycleLR batch by batch: the rate and the momentum (Adam's beta1, SGD's momentum)", () => {
  assert.equal(fixtures.oneCycles.length, 4);
  for (const c of fixtures.oneCycles) {
    const schedule = createSchedule(c.maxLr, c.config as ScheduleConfig, c.batchesPerEpoch);
    const untouched = 0.9; // Adam's default beta1, which a schedule that does not cycle leaves as it is
    const lrs: number[] = [];
    const momenta: number[] = [];
    for (let epoch = 0; epoch < c.config.totalEpochs; epoch++) {
      for (let batch = 0; batch < c.batchesPerEpoch; batch++) {
        const at = schedule.atBatch(batch);
        lrs.push(at.lr);
        momenta.push(at.momentum ?? untouched);
      }
      schedule.step();
    }
    assert.ok(maxRelativeError(lrs, c.lrs) < 1e-12, `${c.name} rates: ${lrs.join(", ")} vs torch ${c.lrs.join(", ")}`);
    assert.ok(maxRelativeError(momenta, c.momenta) < 1e-12, `${c.name} momenta: ${momenta.join(", ")} vs torch ${c.momenta.join(", ")}`);
  }
});

test("onecycle holds its floor past the planned epochs, and starts every epoch where the last one stopped", () => {
  const schedule = createSchedule(0.01, { kind: "onecycle", totalEpochs: 2 }, 5);
  const floor = 0.01 / 25 / 1e4;
  assert.ok(Math.abs(schedule.atBatch(0).lr - 0.01 / 25) < 1e-18);
  schedule.step();
  assert.equal(schedule.lr, schedule.atBatch(0).lr);
  schedule.step();
  for (const batch of [0, 4]) {
    const at = schedule.atBatch(batch);
    assert.ok(Math.abs(at.lr - floor) < 1e-18, `epoch 3 batch ${batch}: ${at.lr}`);
    assert.ok(Math.abs(at.momentum! - 0.95) < 1e-15);
  }
});

test("step schedule by hand: 0.1 halved every 2 epochs", () => {
  assert.deepEqual(run({ kind: "step", stepSize: 2, gamma: 0.5 }, 6), [0.1, 0.1, 0.05, 0.05, 0.025, 0.025, 0.0125]);
  assert.deepEqual(run({ kind: "constant" }, 3), [0.1, 0.1, 0.1, 0.1]);
});

test("cosine holds the minimum after totalEpochs instead of rising again", () => {
  const lrs = run({ kind: "cosine", totalEpochs: 4, minLr: 0.01 }, 8);
  assert.ok(Math.abs(lrs[2] - 0.055) < 1e-15, `half way is the mean of base and min: ${lrs[2]}`);
  for (const lr of lrs.slice(4)) assert.ok(Math.abs(lr - 0.01) < 1e-15);
});

test("plateau: waits `patience` bad epochs, then cooldown, never below minLr", () => {
  // mode max (accuracy), patience 1, cooldown 1, factor 0.5, minLr 0.03
  const config: ScheduleConfig = { kind: "plateau", mode: "max", patience: 1, cooldown: 1, factor: 0.5, minLr: 0.03 };
  // epoch:            1    2    3    4    5    6    7    8    9
  const metrics = [0.5, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6];
  // bad epochs after 2: 3->1, 4->2 > 1 reduce to 0.05 (cooldown 1), 5 cooldown, 6->1, 7->2 reduce to 0.03 (floor)
  assert.deepEqual(run(config, 9, metrics), [0.1, 0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.03, 0.03, 0.03]);
});

test("state()/loadState() round-trips through JSON and continues identically", () => {
  const configs: ScheduleConfig[] = [
    { kind: "step", stepSize: 3, gamma: 0.3 },
    { kind: "cosine", totalEpochs: 12, warmupEpochs: 2, minLr: 1e-4 },
    { kind: "plateau", factor: 0.5, patience: 1, cooldown: 2 },
    { kind: "onecycle", totalEpochs: 12, pctStart: 0.2 },
  ];
  const metrics = [1, 0.9, 0.95, 0.97, 0.96, 0.99, 0.8, 0.85, 0.9, 0.9, 0.9, 0.9];
  for (const config of configs) {
    const straight = run(config, 12, metrics);
    const first = createSchedule(0.1, config);
    for (let e = 0; e < 5; e++) first.step(metrics[e]);
    const resumed = createSchedule(0.1, config);
    resumed.loadState(JSON.parse(JSON.stringify(first.state())));
    assert.equal(resumed.epoch, 5);
    const rest = [resumed.lr];
    for (let e = 5; e < 12; e++) rest.push(resumed.step(metrics[e]));
    assert.deepEqual(rest, straight.slice(5), config.kind);
  }
});

test("bad settings raise SpikemedError naming the option", () => {
  assert.throws(() => createSchedule(0.1, { kind: "step", stepSize: 0 }), (e: Error) => e instanceof SpikemedError && /stepSize/.test(e.message));
  assert.throws(() => createSchedule(0.1, { kind: "cosine", totalEpochs: 5, warmupEpochs: 5 }), /warmupEpochs/);
  assert.throws(() => createSchedule(0.1, { kind: "plateau", factor: 1 }), /factor must be < 1/);
  assert.throws(() => createSchedule(0.1, { kind: "plateau", mode: "up" as "min" }), /mode must be "min" or "max"/);
  assert.throws(() => createSchedule(-1, { kind: "constant" }), /lr/);
  assert.throws(() => createSchedule(0.1, { kind: "plateau" }).step(), /needs the epoch's validation metric/);
  assert.throws(() => createSchedule(0.1, { kind: "plateau" }).step(NaN), /NaN/);
  assert.throws(() => createSchedule(0.1, { kind: "onecycle", totalEpochs: 4, pctStart: 1 }), /pctStart must be strictly between 0 and 1/);
  assert.throws(() => createSchedule(0.1, { kind: "onecycle", totalEpochs: 4, baseMomentum: 0.96 }), /baseMomentum <= maxMomentum < 1/);
  assert.throws(() => createSchedule(0.1, { kind: "onecycle", totalEpochs: 4, divFactor: 0 }), /divFactor must be > 0/);
  assert.throws(() => createSchedule(0.1, { kind: "onecycle", totalEpochs: 3, pctStart: 0.3 }, 2), /its rise \(pctStart 0.3 of 6 steps\) must span at least 2 steps/);
  const stepState = createSchedule(0.1, { kind: "step", stepSize: 2 }).state();
  assert.throws(() => createSchedule(0.1, { kind: "cosine", totalEpochs: 3 }).loadState(stepState, "run/last.ckpt"), /run\/last.ckpt: holds a step schedule but the run uses cosine/);
});
