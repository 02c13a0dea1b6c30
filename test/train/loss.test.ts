import assert from "node:assert/strict";
import test from "node:test";
import { backward, crossEntropy, tensor, tidy } from "../../src/core/index.js";
import { loadTorchFixtures, maxRelativeError } from "./torch-fixtures.js";

test("cross-entropy with label smoothing, weighted or not, mean or sum, matches torch (F.cross_entropy where it agrees) and its gradient", () => {
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

test("with label smoothing, a rare class of large weight does not pull other classes' samples towards itself", () => {
  // One sample of class 0 (weight 1) at equal logits; class 1 weighs 1,000. The smoothed target is
  // [0.95, 0.05], so the gradient is p - target = [-0.45, 0.45] and the loss (0.95 + 0.05) ln 2:
  // the step raises class 0. (Weighting each class's smoothed term by its own weight, as PyTorch
  // does, gives +24.5 for class 0: the step would lower the true class.)
  tidy(() => {
    const logits = tensor([0, 0], [1, 2], true);
    const loss = crossEntropy(logits, [0], { classWeights: [1, 1000], labelSmoothing: 0.1 });
    backward(loss);
    assert.ok(Math.abs(loss.item() - Math.LN2) < 1e-6, `loss ${loss.item()}`);
    const [g0, g1] = logits.grad!;
    assert.ok(Math.abs(g0 + 0.45) < 1e-6 && Math.abs(g1 - 0.45) < 1e-6, `gradient ${g0}, ${g1}`);
  });
});
