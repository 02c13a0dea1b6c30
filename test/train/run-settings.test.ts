import { test } from "node:test";
import assert from "node:assert/strict";
import { checkSameSettings, settingsDifferences } from "../../src/train/run-settings.js";

test("settingsDifferences names every changed, added and removed setting by its path; arrays compare whole", () => {
  const started = { train: { optimizer: { kind: "adamw", lr: 0.002 }, classWeights: [1, 2], monitor: "val_loss" }, context: { data: { leads: ["MLII"] } } };
  const now = { train: { optimizer: { kind: "adamw", lr: 0.002 }, classWeights: [1, 3], augment: true }, context: { data: { leads: ["MLII"] } } };
  assert.deepEqual(settingsDifferences(started, now).sort(), [
    "train.augment: (not set) when the run started, true now",
    "train.classWeights: [1,2] when the run started, [1,3] now",
    "train.monitor: \"val_loss\" when the run started, (not set) now",
  ]);
  assert.deepEqual(settingsDifferences(started, structuredClone(started)), []);
});

test("checkSameSettings passes checkpoints from before settings were recorded, refuses a non-object, and lists at most eight differences", () => {
  checkSameSettings(undefined, { train: { seed: 1 } }, "old/last.ckpt");
  assert.throws(() => checkSameSettings("x", {}, "bad/last.ckpt"), /checkpoint bad\/last\.ckpt: its recorded settings are not an object/);
  const many = (v: number) => Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`k${i}`, v]));
  assert.throws(() => checkSameSettings(many(1), many(2), "run/last.ckpt"), (e: Error) => {
    assert.equal(e.message.split("\n").filter((line) => / when the run started, /.test(line)).length, 8);
    assert.match(e.message, /\.\.\. and 2 more$/m);
    return true;
  });
});
