import assert from "node:assert/strict";
import test from "node:test";
import { SpikemedError } from "../../src/core/errors.js";
import { EpochTable, ProgressBar, formatDuration } from "../../src/train/progress.js";

function fakeStream(isTTY: boolean, columns = 100) {
  const writes: string[] = [];
  return { writes, stream: { isTTY, columns, write: (t: string) => writes.push(t) } };
}

test("TTY: redraws in place at most every 100 ms with loss, accuracy, rate and ETA", () => {
  const { writes, stream } = fakeStream(true);
  let now = 0;
  const bar = new ProgressBar({ total: 1000, label: "epoch 2/10", stream, now: () => now });
  for (let done = 10; done <= 1000; done += 10) {
    now += 10; // 100 updates over one second
    bar.update(done, { loss: 0.5, accuracy: 0.9 });
  }
  assert.ok(writes.length >= 9 && writes.length <= 11, `${writes.length} redraws in 1 s`);
  assert.ok(writes.every((w) => w.startsWith("\r") && w.includes("\x1b[K") && !w.includes("\n")));
  bar.finish({ loss: 0.25, accuracy: 0.975 });
  bar.finish();
  const last = writes.at(-1)!;
  assert.ok(last.endsWith("\n"));
  assert.match(last, /^\repoch 2\/10 \[=+\] 100% 1,000\/1,000 loss 0\.2500 acc 97\.50% 1,000 samples\/s in 0:01\x1b\[K\n$/);
});

test("ETA from the average rate: 250 of 1,000 samples in 1 s leaves 3 s", () => {
  const { writes, stream } = fakeStream(true, 120);
  let now = 0;
  const bar = new ProgressBar({ total: 1000, stream, now: () => now });
  now = 1000;
  bar.update(250);
  assert.match(writes[0], /\[=======>\s{22}\]  25% 250\/1,000 250 samples\/s ETA 0:03/);
});

test("a slow network's rate keeps two significant digits: 8 of 64 images in 24 s is 0.33 samples/s, 2:48 to go", () => {
  const { writes, stream } = fakeStream(false, 120);
  let now = 0;
  const bar = new ProgressBar({ total: 64, label: "epoch 1/1", stream, now: () => now });
  now = 24_000;
  bar.update(8);
  assert.match(writes[0], / 8\/64 0\.33 samples\/s ETA 2:48\n$/);
});

test("not a TTY (CI log): plain lines every plainIntervalMs and a final one, no control characters", () => {
  const { writes, stream } = fakeStream(false);
  let now = 0;
  const bar = new ProgressBar({ total: 600, label: "epoch 1/1", stream, now: () => now, plainIntervalMs: 10_000 });
  for (let s = 1; s <= 60; s++) {
    now = s * 1000;
    bar.update(s * 10, { loss: 1 / s });
  }
  bar.finish();
  assert.equal(writes.length, 6, writes.join(""));
  assert.equal(writes.filter((w) => w.includes("100%")).length, 1, "the complete bar is printed once");
  for (const w of writes) {
    assert.ok(w.endsWith("\n") && !/[\r\x1b]/.test(w), JSON.stringify(w));
    assert.ok(!w.includes("["), "no bar in logs");
  }
  assert.match(writes[0], /^epoch 1\/1  16% 100\/600 loss 0\.1000 10 samples\/s ETA 0:50\n$/);
  assert.match(writes[5], /100% 600\/600 .* in 1:00\n$/);
});

test("epoch table: aligned columns like the paper's, firing rate per layer, marked best epoch", () => {
  const { writes, stream } = fakeStream(false);
  const table = new EpochTable({ stream, layerNames: ["lif1", "lif2"], showLr: true });
  table.row({ epoch: 1, trainLoss: 0.51234, trainAccuracy: 0.8512, valLoss: 0.4, valAccuracy: 0.875, firingRates: [0.123456, 0.05], lr: 1e-3, seconds: 12.34 });
  table.row({ epoch: 2, trainLoss: 0.3, trainAccuracy: 0.9, firingRates: [0.1, 0.04], lr: 5e-4, seconds: 75, note: "best" });
  const lines = writes.join("").trimEnd().split("\n");
  assert.deepEqual(lines, [
    "epoch  train loss  train acc  val loss  val acc  rate lif1  rate lif2         lr     time",
    "-----  ----------  ---------  --------  -------  ---------  ---------  ---------  -------",
    "    1      0.5123     85.12%    0.4000   87.50%     0.1235     0.0500    1.00e-3    12.3s",
    "    2      0.3000     90.00%         -        -     0.1000     0.0400    5.00e-4     1:15  best",
  ]);
  assert.throws(() => table.row({ epoch: 3, trainLoss: 0, trainAccuracy: 0, seconds: 1 }), (e: Error) => e instanceof SpikemedError && /0 firing rates for 2 layers/.test(e.message));
});

test("durations: m:ss under an hour, h:mm:ss above", () => {
  assert.equal(formatDuration(0), "0:00");
  assert.equal(formatDuration(75), "1:15");
  assert.equal(formatDuration(3725), "1:02:05");
  assert.equal(formatDuration(Infinity), "--:--");
});
