import { test } from "node:test";
import assert from "node:assert/strict";
import { Rng, tensor } from "../../src/core/index.js";
import { encode, encodedChannels, encodeStep, type EncoderConfig } from "../../src/encode/index.js";

test("direct encoding keeps the input static (one value standing for every step)", () => {
  const x = tensor([0.2, 0.8], [1, 1, 2]);
  const s = encode({ kind: "direct" }, x, 5, new Rng(1));
  assert.equal(s.static, true);
  assert.equal(s.timeSteps, 5);
  assert.equal(s.x, x);
});

test("rate encoding spikes with probability gain * x, clipped to [0, 1]", () => {
  const x = tensor([0, 0.25, 0.5, 2], [1, 1, 4]);
  const T = 4000;
  const s = encode({ kind: "rate", gain: 1 }, x, T, new Rng(3));
  assert.deepEqual(s.x.shape, [T, 1, 1, 4]);
  const rates = [0, 1, 2, 3].map((i) => s.x.data.filter((_, k) => k % 4 === i).reduce((a, b) => a + b, 0) / T);
  assert.equal(rates[0], 0);
  assert.ok(Math.abs(rates[1] - 0.25) < 0.03 && Math.abs(rates[2] - 0.5) < 0.03, `${rates}`);
  assert.equal(rates[3], 1);
  assert.deepEqual(encode({ kind: "rate" }, x, 10, new Rng(3)).x.toArray(), encode({ kind: "rate" }, x, 10, new Rng(3)).x.toArray(), "same seed, same spikes");
});

test("latency encoding fires once per input, earlier for stronger inputs, never below the threshold", () => {
  const x = tensor([1, 0.5, 0, 0.005], [1, 1, 4]);
  const s = encode({ kind: "latency", threshold: 0.01 }, x, 5, new Rng(1)).x;
  const firstSpike = [0, 1, 2, 3].map((i) => [0, 1, 2, 3, 4].find((t) => s.data[t * 4 + i] === 1) ?? -1);
  assert.deepEqual(firstSpike, [0, 2, -1, -1]); // round((1 - x) * (T - 1))
  assert.equal(s.data.reduce((a, b) => a + b, 0), 2);
});

test("delta encoding emits on spikes for rises and off spikes for falls beyond the threshold", () => {
  const x = tensor([0, 0.5, 0.55, 0.1, 0.1], [1, 1, 5]);
  const s = encode({ kind: "delta", threshold: 0.1 }, x, 3, new Rng(1));
  assert.equal(s.static, true);
  assert.deepEqual(s.x.shape, [1, 2, 5]);
  assert.deepEqual(s.x.toArray(), [0, 1, 0, 0, 0, /* off */ 0, 0, 0, 1, 0]);
  assert.equal(encodedChannels({ kind: "delta" }, 3), 6);
  assert.throws(() => encode({ kind: "delta" }, tensor([1, 2], [2]), 3, new Rng(1)), /delta encoder: expects \[batch, channels, length\]/);
});

test("encodeStep gives each step of encode's output, the rate encoder drawing step by step in encode's order", () => {
  const x = tensor(Array.from({ length: 2 * 3 * 8 }, (_, i) => (Math.sin(i) + 1) / 2), [2, 3, 8]);
  const T = 6;
  const configs: EncoderConfig[] = [{ kind: "direct" }, { kind: "rate", gain: 0.9 }, { kind: "latency" }, { kind: "delta", threshold: 0.1 }];
  for (const config of configs) {
    const whole = encode(config, x, T, new Rng(4));
    const rng = new Rng(4);
    const stepSize = whole.static ? whole.x.size : whole.x.size / T;
    for (let t = 0; t < T; t++) {
      const step = encodeStep(config, x, t, T, rng);
      assert.deepEqual(step.shape, whole.static ? whole.x.shape : whole.x.shape.slice(1), config.kind);
      const expected = whole.static ? whole.x.data : whole.x.data.subarray(t * stepSize, (t + 1) * stepSize);
      assert.deepEqual(Array.from(step.data), Array.from(expected), `${config.kind} step ${t}`);
    }
  }
  assert.throws(() => encodeStep({ kind: "direct" }, x, T, T, new Rng(0)), /step 6 is not one of the 6 time steps/);
});
