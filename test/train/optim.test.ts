import assert from "node:assert/strict";
import test from "node:test";
import { SpikemedError } from "../../src/core/errors.js";
import { Rng } from "../../src/core/random.js";
import { Adam, AdamW, Sgd, createOptimizer, type OptimizerConfig } from "../../src/train/optim.js";
import type { Param } from "../../src/train/param.js";
import { loadTorchFixtures, maxRelativeError, paramsFrom } from "./torch-fixtures.js";

const fixtures = loadTorchFixtures();

const configs: Record<string, OptimizerConfig> = {
  "adam-default": { kind: "adam" },
  "adam-custom": { kind: "adam", lr: 0.01, betas: [0.8, 0.99], eps: 1e-6, weightDecay: 0.1 },
  "adam-amsgrad": { kind: "adam", lr: 0.01, amsgrad: true },
  "adamw-default": { kind: "adamw", lr: 0.01 },
  "adamw-amsgrad": { kind: "adamw", lr: 0.01, weightDecay: 0.1, amsgrad: true },
  "sgd-plain": { kind: "sgd", lr: 0.1 },
  "sgd-momentum": { kind: "sgd", lr: 0.1, momentum: 0.9 },
  "sgd-dampening-decay": { kind: "sgd", lr: 0.1, momentum: 0.9, dampening: 0.1, weightDecay: 0.01 },
  "sgd-nesterov": { kind: "sgd", lr: 0.05, momentum: 0.9, nesterov: true, weightDecay: 1e-3 },
};

test("optimisers follow torch.optim step by step (fixtures from PyTorch)", () => {
  assert.equal(fixtures.optimisers.length, Object.keys(configs).length);
  for (const c of fixtures.optimisers) {
    const params = paramsFrom(c.initial);
    const opt = createOptimizer(configs[c.name], params);
    c.grads.forEach((stepGrads, s) => {
      if (s + 1 === fixtures.lrChangeAt) opt.lr = c.lr / 2;
      params.forEach((p, i) => p.grad.set(stepGrads[i]));
      opt.step();
      params.forEach((p, i) => {
        const err = maxRelativeError(p.value, c.after[s][i]);
        assert.ok(err < 2e-6, `${c.name}: step ${s + 1}, param ${i}: relative error ${err}`);
      });
    });
    const state = opt.state();
    assert.equal(state.stepCount, c.grads.length);
    assert.equal(state.buffers.size, Object.keys(c.state).length, `${c.name}: buffer count`);
    for (const [key, expected] of Object.entries(c.state)) {
      const [index, name] = key.split(/\.(.*)/);
      const buffer = state.buffers.get(`p${index}.${name}`);
      assert.ok(buffer, `${c.name}: missing buffer ${key}`);
      const err = maxRelativeError(buffer, expected);
      assert.ok(err < 2e-6, `${c.name}: buffer ${key}: relative error ${err}`);
    }
  }
});

test("Adam's first step by hand: p - lr * m_hat / (sqrt(v_hat) + eps) moves by lr * sign(g)", () => {
  const p: Param = { name: "w", value: Float32Array.of(1, -2), grad: Float32Array.of(0.5, -4) };
  const adam = new Adam([p], { lr: 0.1 });
  adam.step();
  // m_hat = g and v_hat = g^2 after one step, so the update is lr * g / (|g| + 1e-8).
  assert.equal(p.value[0], Math.fround(1 - (0.1 * 0.5) / (0.5 + 1e-8)));
  assert.equal(p.value[1], Math.fround(-2 + (0.1 * 4) / (4 + 1e-8)));
});

/** The textbook equations in float64, independent of the implementation's float32 storage. */
function referenceRun(kind: "adam" | "adamw" | "sgd-nesterov", p0: number[], grads: number[][]): number[] {
  const p = p0.slice();
  const m = p.map(() => 0);
  const v = p.map(() => 0);
  const [lr, b1, b2, eps, wd, mom] = [0.01, 0.9, 0.999, 1e-8, 0.05, 0.9];
  grads.forEach((g0, s) => {
    const t = s + 1;
    for (let j = 0; j < p.length; j++) {
      if (kind === "sgd-nesterov") {
        const g = g0[j] + wd * p[j];
        m[j] = t === 1 ? g : mom * m[j] + g;
        p[j] -= lr * (g + mom * m[j]);
        continue;
      }
      if (kind === "adamw") p[j] *= 1 - lr * wd;
      const g = kind === "adam" ? g0[j] + wd * p[j] : g0[j];
      m[j] = b1 * m[j] + (1 - b1) * g;
      v[j] = b2 * v[j] + (1 - b2) * g * g;
      const mHat = m[j] / (1 - b1 ** t);
      const vHat = v[j] / (1 - b2 ** t);
      p[j] -= (lr * mHat) / (Math.sqrt(vHat) + eps);
    }
  });
  return p;
}

test("optimisers agree with a float64 implementation of the published equations over 50 steps", () => {
  const rng = new Rng(7);
  const n = 64;
  const p0 = Array.from({ length: n }, () => rng.normal());
  const grads = Array.from({ length: 50 }, () => Array.from({ length: n }, () => Math.fround(rng.normal() * 0.5)));
  for (const kind of ["adam", "adamw", "sgd-nesterov"] as const) {
    const param: Param = { name: "w", value: Float32Array.from(p0), grad: new Float32Array(n) };
    const opt =
      kind === "adam" ? new Adam([param], { lr: 0.01, weightDecay: 0.05 })
      : kind === "adamw" ? new AdamW([param], { lr: 0.01, weightDecay: 0.05 })
      : new Sgd([param], { lr: 0.01, momentum: 0.9, nesterov: true, weightDecay: 0.05 });
    for (const g of grads) {
      param.grad.set(g);
      opt.step();
    }
    const err = maxRelativeError(param.value, referenceRun(kind, p0, grads));
    assert.ok(err < 1e-5, `${kind}: relative error ${err}`);
  }
});

test("PyTorch defaults: Adam lr 1e-3, betas (0.9, 0.999), eps 1e-8, no decay; AdamW decay 1e-2; SGD lr 1e-3", () => {
  const p = (): Param[] => [{ name: "w", value: new Float32Array(1), grad: new Float32Array(1) }];
  assert.deepEqual(new Adam(p()).state().hyper, { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, amsgrad: false });
  assert.equal(new AdamW(p()).state().hyper.weightDecay, 1e-2);
  assert.deepEqual(new Sgd(p()).state().hyper, { lr: 1e-3, momentum: 0, dampening: 0, weightDecay: 0, nesterov: false });
});

test("state()/loadState() continue bit for bit, with the learning rate restored", () => {
  for (const config of Object.values(configs)) {
    const rng = new Rng(11);
    const grads = Array.from({ length: 8 }, () => Float32Array.from({ length: 10 }, () => rng.normal()));
    const make = (): Param[] => [{ name: "w", value: Float32Array.from({ length: 10 }, (_, i) => i / 10 - 0.5), grad: new Float32Array(10) }];
    const straight = make();
    const opt = createOptimizer(config, straight);
    grads.forEach((g, s) => {
      if (s === 2) opt.lr *= 0.5;
      straight[0].grad.set(g);
      opt.step();
    });

    const first = make();
    const optA = createOptimizer(config, first);
    grads.slice(0, 4).forEach((g, s) => {
      if (s === 2) optA.lr *= 0.5;
      first[0].grad.set(g);
      optA.step();
    });
    const saved = optA.state();
    const resumed: Param[] = [{ name: "w", value: first[0].value.slice(), grad: new Float32Array(10) }];
    const optB = createOptimizer(config, resumed);
    optB.loadState(saved);
    assert.equal(optB.lr, optA.lr);
    assert.equal(optB.stepCount, 4);
    grads.slice(4).forEach((g) => {
      resumed[0].grad.set(g);
      optB.step();
    });
    assert.deepEqual(resumed[0].value, straight[0].value, `${config.kind}: resumed run differs`);
  }
});

test("state() returns copies, so later steps do not change a saved state", () => {
  const p: Param = { name: "w", value: Float32Array.of(1), grad: Float32Array.of(1) };
  const adam = new Adam([p]);
  adam.step();
  const saved = adam.state();
  const before = saved.buffers.get("w.exp_avg")![0];
  adam.step();
  assert.equal(saved.buffers.get("w.exp_avg")![0], before);
});

test("bad options and mismatched states raise SpikemedError naming the problem", () => {
  const p = (): Param[] => [{ name: "w", value: new Float32Array(3), grad: new Float32Array(3) }];
  assert.throws(() => new Adam(p(), { lr: -1 }), (e: Error) => e instanceof SpikemedError && /lr/.test(e.message));
  assert.throws(() => new Adam(p(), { betas: [1, 0.999] }), /betas\[0\]/);
  assert.throws(() => new Sgd(p(), { nesterov: true }), /nesterov needs momentum/);
  assert.throws(() => new Sgd(p(), { momentum: 0.9, dampening: 0.1, nesterov: true }), /nesterov/);
  assert.throws(() => new Adam([{ name: "a", value: new Float32Array(2), grad: new Float32Array(3) }]), /"a" has 2 values but 3 gradients/);
  assert.throws(() => new Adam([...p(), ...p()]), /two parameters are named "w"/);
  const adamState = new Adam(p()).state();
  assert.throws(() => new Sgd(p(), { momentum: 0.9 }).loadState(adamState, "ckpt.bin"), /ckpt.bin: holds adam optimizer state but the run uses sgd/);
  const other = new Adam([{ name: "w", value: new Float32Array(4), grad: new Float32Array(4) }]);
  assert.throws(() => other.loadState(adamState, "ckpt.bin"), /buffer "w.exp_avg" has 3 values, the parameter has 4/);
  assert.throws(() => new Adam(p(), { amsgrad: true }).loadState(adamState, "ckpt.bin"), SpikemedError);
  assert.throws(() => createOptimizer({ kind: "rmsprop" } as unknown as OptimizerConfig, p()), /unknown kind "rmsprop"/);
});
