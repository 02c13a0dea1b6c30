// The event-driven ops (on the reference backend) against the dense ops they stand in for, and
// the density estimate that decides between them.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as core from "../../src/core/index.js";
import { noGrad, Rng, SpikemedError, tensor, type Tensor } from "../../src/core/index.js";
import { randomTensor } from "./gradcheck.js";

const rng = new Rng(99);

function spikeTensor(shape: number[], density: number, height = 1): Tensor {
  const t = core.zeros(shape);
  for (let i = 0; i < t.size; i++) if (rng.uniform() < density) t.data[i] = height;
  return t;
}

function assertNear(actual: Tensor, expected: Tensor, what: string): void {
  assert.deepEqual(actual.shape, expected.shape, `${what}: shape`);
  for (let i = 0; i < actual.size; i++) {
    const tol = 1e-5 * (1 + Math.abs(expected.data[i]));
    assert.ok(Math.abs(actual.data[i] - expected.data[i]) <= tol, `${what}: element ${i}: ${actual.data[i]} vs ${expected.data[i]}`);
  }
}

test("sparseLinear matches linear on spike inputs of every density, time-major batches included", () => {
  noGrad(() => {
    for (const [shape, outFeatures] of [[[7, 13], 5], [[3, 4, 37], 33], [[1, 1], 1]] as [number[], number][]) {
      const inFeatures = shape[shape.length - 1];
      const weight = randomTensor(rng, [outFeatures, inFeatures], -1, 1);
      const bias = randomTensor(rng, [outFeatures], -1, 1);
      for (const density of [0, 0.05, 0.3, 1]) {
        for (const height of [1, 4]) {
          const x = spikeTensor(shape, density, height);
          const what = `sparseLinear ${JSON.stringify(shape)}->${outFeatures} density ${density} height ${height}`;
          assertNear(core.sparseLinear(x, weight, bias), core.linear(x, weight, bias), what);
          assertNear(core.sparseLinear(x, weight, null), core.linear(x, weight, null), `${what}, no bias`);
        }
      }
    }
  });
});

test("sparseConv1d and sparseConv2d match conv1d and conv2d, with stride, padding and dilation", () => {
  noGrad(() => {
    const cases1d: [number[], number[], core.Conv1dOptions][] = [
      [[3, 4, 19], [6, 4, 5], { padding: 2 }],
      [[2, 3, 17], [5, 3, 3], { stride: 2, padding: 1 }],
      [[2, 2, 21], [3, 2, 3], { dilation: 2, padding: "same" }],
      [[1, 1, 5], [1, 1, 5], {}],
    ];
    for (const [xShape, wShape, options] of cases1d) {
      const weight = randomTensor(rng, wShape, -1, 1), bias = randomTensor(rng, [wShape[0]], -1, 1);
      for (const density of [0, 0.1, 0.5, 1]) {
        const x = spikeTensor(xShape, density);
        assertNear(core.sparseConv1d(x, weight, bias, options), core.conv1d(x, weight, bias, options),
          `sparseConv1d ${JSON.stringify(xShape)} ${JSON.stringify(options)} density ${density}`);
      }
    }
    const weight = randomTensor(rng, [4, 3, 3, 2], -1, 1);
    const x = spikeTensor([2, 3, 6, 7], 0.2, 2);
    const options: core.Conv2dOptions = { stride: [2, 1], padding: [1, 0] };
    assertNear(core.sparseConv2d(x, weight, null, options), core.conv2d(x, weight, null, options), "sparseConv2d");
  });
});

test("the event-driven ops refuse to run where a gradient would be recorded", () => {
  const weight = randomTensor(rng, [3, 4], -1, 1);
  weight.requiresGrad = true;
  const x = spikeTensor([2, 4], 0.5);
  assert.throws(() => core.sparseLinear(x, weight, null), (e: unknown) => e instanceof SpikemedError && /sparseLinear: has no gradient/.test(e.message));
  const filters = randomTensor(rng, [2, 4, 3], -1, 1);
  filters.requiresGrad = true;
  assert.throws(() => core.sparseConv1d(spikeTensor([1, 4, 6], 0.5), filters, null), (e: unknown) => e instanceof SpikemedError && /sparseConv2d: has no gradient/.test(e.message));
  // Inputs that need no gradient record nothing, so the ops may run.
  weight.requiresGrad = false;
  assertNear(core.sparseLinear(x, weight, null), core.linear(x, weight, null), "without gradients");
  assert.throws(() => noGrad(() => core.sparseLinear(spikeTensor([2, 5], 0.5), weight, null)), /sparseLinear: input \[2, 5\] does not fit weight \[3, 4\]/);
});

test("nonzeroFraction counts small tensors exactly and estimates large ones", () => {
  assert.equal(core.nonzeroFraction(tensor([0, 1, 0, -0, 2, 0, 0, 0.5], [8])), 3 / 8);
  assert.equal(core.nonzeroFraction(core.zeros([0, 4])), 0);
  for (const density of [0.03, 0.15, 0.6]) {
    // Spikes in a fixed column pattern over power-of-two rows: a stride that kept to a few columns would miss them.
    const x = core.zeros([512, 1024]);
    for (let i = 0; i < x.size; i++) if ((i % 1024) % 64 < 64 * density) x.data[i] = 1;
    const exact = x.data.reduce((n, v) => n + (v !== 0 ? 1 : 0), 0) / x.size;
    assert.ok(Math.abs(core.nonzeroFraction(x) - exact) < 0.02, `density ${exact}: estimated ${core.nonzeroFraction(x)}`);
  }
});
