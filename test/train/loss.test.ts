import assert from "node:assert/strict";
import test from "node:test";
import { backward, crossEntropy, tensor, tidy } from "../../src/core/index.js";
import { loadTorchFixtures, maxRelativeError } from "./torch-fixtures.js";

test("cross-entropy with label smoothing, weighted or not, mean or sum, matches torch's F.cross_entropy and its gradient", () => {
  const cases = loadTorchFixtures().crossEntropies;
  assert.equal(cases.length, 4);
  for (const c of cases) {
    tidy(() => {
      const logits = tensor(c.logits.flat(), [c.logits.length, c.logits[0].length], true);
      const loss = crossEntropy(logits, c.labels, { classWeights: c.classWeights ?? undefined, reduction: c.reduction, labelSmoothing: c.labelSmoothing });
      backward(loss);
      assert.ok(Math.abs(loss.item() - c.loss) / c.loss < 1e-6, `${c.name}: loss ${loss.item()} vs torch ${c.loss}`);
      const error = maxRelativeError(logits.grad!, c.grad.flat());
      assert.ok(error < 1e-6, `${c.name}: gradient off by ${error}`);
    });
  }
});
