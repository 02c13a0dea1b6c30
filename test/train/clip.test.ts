import assert from "node:assert/strict";
import test from "node:test";
import { SpikemedError } from "../../src/core/errors.js";
import { assertFiniteGrads, clipGradNorm, clipGradValue } from "../../src/train/clip.js";
import type { Param } from "../../src/train/param.js";
import { loadTorchFixtures, maxRelativeError } from "./torch-fixtures.js";

function withGrads(grads: number[][]): Param[] {
  return grads.map((g, i) => ({ name: `layer${i}.weight`, value: new Float32Array(g.length), grad: Float32Array.from(g) }));
}

test("clipGradNorm matches torch.nn.utils.clip_grad_norm_ (L2 and inf norms)", () => {
  for (const c of loadTorchFixtures().clipping) {
    const params = withGrads(c.grads);
    const norm = clipGradNorm(params, c.maxNorm, c.normType === "inf" ? "inf" : 2);
    assert.ok(Math.abs(norm - c.totalNorm) / c.totalNorm < 1e-6, `norm ${norm} vs torch ${c.totalNorm}`);
    params.forEach((p, i) => assert.ok(maxRelativeError(p.grad, c.clipped[i]) < 1e-6, `max ${c.maxNorm} ${c.normType}: param ${i}`));
  }
});

test("clipGradNorm by hand: gradients (3, 4) and (12) have norm 13; clipped to 6.5 they halve", () => {
  const params = withGrads([[3, 4], [12]]);
  assert.equal(clipGradNorm(params, 6.5), 13);
  assert.ok(Math.abs(params[0].grad[0] - 1.5) < 1e-6 && Math.abs(params[1].grad[0] - 6) < 1e-6);
  const small = withGrads([[3, 4]]);
  assert.equal(clipGradNorm(small, 10), 5);
  assert.deepEqual([...small[0].grad], [3, 4], "below the limit nothing changes");
});

test("clipGradValue clamps each element", () => {
  const params = withGrads([[-3, -0.5, 0, 0.5, 3]]);
  clipGradValue(params, 1);
  assert.deepEqual([...params[0].grad], [-1, -0.5, 0, 0.5, 1]);
});

test("NaN or Inf gradients raise SpikemedError naming the parameter and element", () => {
  for (const bad of [NaN, Infinity, -Infinity]) {
    const params = withGrads([[1, 2], [3, bad, 5]]);
    assert.throws(() => assertFiniteGrads(params, "epoch 2, batch 7"), (e: Error) =>
      e instanceof SpikemedError && e.message.includes(`"layer1.weight" is ${bad} at element 1`) && e.message.includes("epoch 2, batch 7"));
    assert.throws(() => clipGradNorm(params, 1), /"layer1.weight"/);
    assert.throws(() => clipGradNorm(params, 1, "inf"), /"layer1.weight"/);
  }
  assert.doesNotThrow(() => assertFiniteGrads(withGrads([[1e38, -1e38, 0]])));
  assert.throws(() => clipGradNorm(withGrads([[1]]), 0), /max norm must be a finite number > 0/);
});
