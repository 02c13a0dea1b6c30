// The inference-only spiking ops (on the reference backend) against the training ops they stand
// in for: lifSpikes against lif then a max-pool, sparseConv1dLif against conv1d, lif and a
// max-pool; their shape checks; and that they refuse to run where a gradient is being recorded.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as core from "../../src/core/index.js";
import { noGrad, Rng, tensor, type ResetMode, type Tensor } from "../../src/core/index.js";

const rng = new Rng(77);
const random = (shape: number[], lo: number, hi: number, requiresGrad = false): Tensor =>
  tensor(Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => lo + (hi - lo) * rng.uniform()), shape, requiresGrad);

function assertSame(actual: Tensor, expected: Tensor, what: string): void {
  assert.deepEqual(actual.shape, expected.shape, `${what}: shape`);
  assert.deepEqual(Array.from(actual.data), Array.from(expected.data), `${what}: values`);
}

/** The training path: lif's spikes, max-pooled along the last axis when poolWidth > 1, and their counts per feature. */
function trainingPath(current: Tensor, options: core.LifOptions, poolWidth: number): { spikes: Tensor; counts: number[] } {
  const { spikes } = core.lif(current, options);
  const [T, B] = spikes.shape;
  const F = spikes.size / (T * B);
  const counts = new Array<number>(F).fill(0);
  for (let i = 0; i < spikes.size; i++) counts[i % F] += spikes.data[i];
  if (poolWidth === 1) return { spikes, counts };
  const rest = spikes.shape.slice(2);
  const pooled = core.maxPool1d(core.reshape(spikes, [T * B, rest[0], rest[1]]), poolWidth);
  return { spikes: core.reshape(pooled, [T, B, ...pooled.shape.slice(1)]), counts };
}

test("lifSpikes gives lif's spikes, max-pooled, and their counts, for static and per-step currents", () => {
  noGrad(() => {
    for (const reset of ["subtract", "zero", "none"] as ResetMode[]) {
      for (const [shape, poolWidth] of [[[4, 3, 2, 10], 2], [[3, 2, 5, 9], 3], [[5, 7, 6], 1], [[2, 4, 3, 8], 1]] as [number[], number][]) {
        const F = shape.slice(2).reduce((a, b) => a * b, 1);
        const options = { beta: random([F], 0.6, 0.95), threshold: random([1], 0.5, 1), reset, surrogate: { kind: "arctan" as const, param: 2 }, vRest: 0.05 };
        const what = `${reset} ${JSON.stringify(shape)} pool ${poolWidth}`;
        const current = random(shape, -0.3, 1.2);
        const expected = trainingPath(current, options, poolWidth);
        const got = core.lifSpikes(current, { ...options, poolWidth });
        assertSame(got.spikes, expected.spikes, `${what}: spikes`);
        assert.deepEqual(Array.from(got.counts.data), expected.counts, `${what}: counts`);
        const once = random(shape.slice(1), -0.3, 1.2);
        const repeated = core.expand(core.reshape(once, [1, ...once.shape]), shape);
        const fromStatic = core.lifSpikes(once, { ...options, poolWidth, staticSteps: shape[0] });
        const expectedStatic = trainingPath(repeated, options, poolWidth);
        assertSame(fromStatic.spikes, expectedStatic.spikes, `${what}: spikes of a static current`);
        assert.deepEqual(Array.from(fromStatic.counts.data), expectedStatic.counts, `${what}: counts of a static current`);
      }
    }
  });
});

test("sparseConv1dLif gives the spikes of conv1d, lif and a max-pool, and their counts", () => {
  noGrad(() => {
    for (const [[T, B, cin, length], cout, kernel, padding, stride, poolWidth] of [
      [[3, 2, 4, 12], 6, 5, 2, 1, 2], [[2, 3, 35, 9], 5, 3, 0, 2, 1], [[4, 1, 2, 16], 3, 3, 1, 1, 4],
    ] as [number[], number, number, number, number, number][]) {
      const x = core.zeros([T, B, cin, length]);
      for (let i = 0; i < x.size; i++) if (rng.uniform() < 0.3) x.data[i] = 1;
      const weight = random([cout, cin, kernel], -0.7, 0.8), bias = random([cout], -0.1, 0.5);
      const lif = { beta: random([1], 0.7, 0.9), threshold: random([1], 0.4, 0.8), reset: "subtract" as ResetMode };
      const current = core.conv1d(core.reshape(x, [T * B, cin, length]), weight, bias, { padding, stride });
      const expected = trainingPath(core.reshape(current, [T, B, ...current.shape.slice(1)]), { ...lif, surrogate: { kind: "arctan", param: 2 } }, poolWidth);
      const got = core.sparseConv1dLif(x, weight, bias, { padding, stride }, { ...lif, poolWidth });
      const what = `[${T}, ${B}, ${cin}, ${length}] -> ${cout}, k${kernel} pad ${padding} stride ${stride}, pool ${poolWidth}`;
      assertSame(got.spikes, expected.spikes, `${what}: spikes`);
      assert.deepEqual(Array.from(got.counts.data), expected.counts, `${what}: counts`);
    }
  });
});

test("the spikes-only ops check their shapes and refuse to run where a gradient is recorded", () => {
  const lif = { beta: tensor([0.9]), threshold: tensor([1]), reset: "subtract" as ResetMode };
  noGrad(() => {
    assert.throws(() => core.lifSpikes(core.zeros([2, 3, 4, 5]), { ...lif, poolWidth: 2 }), /cannot pool/);
    assert.throws(() => core.lifSpikes(core.zeros([2, 10]), { ...lif, poolWidth: 2 }), /cannot pool/);
    assert.throws(() => core.lifSpikes(core.zeros([2, 3, 4]), { ...lif, beta: tensor([0.9, 0.8]) }), /beta has 2 values/);
    assert.throws(() => core.lifSpikes(core.zeros([3, 4]), { ...lif, staticSteps: 0 }), /staticSteps/);
    assert.throws(() => core.sparseConv1dLif(core.zeros([6, 2, 8]), core.zeros([3, 2, 3]), null, {}, lif), /expected input \[T, B, C, L\]/);
    assert.throws(() => core.sparseConv1dLif(core.zeros([2, 3, 2, 9]), core.zeros([3, 2, 3]), null, {}, { ...lif, poolWidth: 2 }), /cannot pool/);
  });
  const current = random([2, 3, 4], 0, 1, true);
  assert.throws(() => core.lifSpikes(current, lif), /has no gradient/);
  assert.throws(() => core.sparseConv1dLif(core.zeros([2, 3, 2, 9]), random([3, 2, 3], -1, 1, true), null, {}, lif), /has no gradient/);
});
