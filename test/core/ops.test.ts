import { test } from "node:test";
import assert from "node:assert/strict";
import * as core from "../../src/core/index.js";
import { Rng, tensor, type Tensor } from "../../src/core/index.js";
import { checkGradients, randomTensor } from "./gradcheck.js";

const rng = new Rng(1234);
const rand = (shape: number[], lo = -1, hi = 1): Tensor => randomTensor(rng, shape, lo, hi);
/** Values bounded away from 0, so kinks (relu, abs) are not crossed by finite differences. */
const awayFromZero = (shape: number[]): Tensor => {
  const t = rand(shape, 0.1, 1);
  for (let i = 0; i < t.size; i++) if (rng.uniform() < 0.5) t.data[i] = -t.data[i];
  return t;
};
/** Distinct values spaced 0.05 apart, so max-type ops have a unique, stable winner. */
const distinct = (shape: number[], offset = 0): Tensor => {
  const t = rand(shape);
  const perm = rng.permutation(t.size);
  for (let i = 0; i < t.size; i++) t.data[i] = (perm[i] - t.size / 2) * 0.05 + offset;
  return t;
};

test("elementwise ops with broadcasting match finite differences", () => {
  const shapes: [number[], number[]][] = [[[3, 4], [3, 4]], [[2, 3, 4], [4]], [[2, 1, 4], [3, 1]], [[5], []]];
  for (const [sa, sb] of shapes) {
    checkGradients(`add ${sa}/${sb}`, core.add, [rand(sa), rand(sb)]);
    checkGradients(`sub ${sa}/${sb}`, core.sub, [rand(sa), rand(sb)]);
    checkGradients(`mul ${sa}/${sb}`, core.mul, [rand(sa), rand(sb)]);
    checkGradients(`div ${sa}/${sb}`, core.div, [rand(sa), rand(sb, 0.5, 2)]);
    checkGradients(`maximum ${sa}/${sb}`, core.maximum, [distinct(sa), distinct(sb, 0.0125)], { eps: 1e-3 });
  }
});

test("broadcast shapes that do not fit raise an error naming the op and shapes", () => {
  assert.throws(() => core.add(rand([2, 3]), rand([4])), /add: shapes \[2, 3\] and \[4\] cannot be broadcast/);
});

test("unary ops match finite differences", () => {
  for (const op of [core.exp, core.sigmoid, core.tanh, core.square, core.neg]) {
    checkGradients(op.name, op, [rand([3, 5])]);
  }
  checkGradients("log", core.log, [rand([3, 5], 0.5, 2)]);
  checkGradients("sqrt", core.sqrt, [rand([3, 5], 0.5, 2)]);
  checkGradients("relu", core.relu, [awayFromZero([4, 6])]);
  checkGradients("abs", core.abs, [awayFromZero([4, 6])]);
  checkGradients("affine", (x) => core.affine(x, -1.5, 0.25), [rand([7])]);
});

test("shape ops move values and gradients correctly", () => {
  const x = tensor([0, 1, 2, 3, 4, 5], [2, 3]);
  assert.deepEqual(core.transpose(x).toArray(), [0, 3, 1, 4, 2, 5]);
  assert.deepEqual(core.slice(x, 1, 1, 3).toArray(), [1, 2, 4, 5]);
  assert.deepEqual(core.concat([x, x], 0).shape, [4, 3]);
  assert.deepEqual(core.concat([x, tensor([9, 9], [2, 1])], 1).toArray(), [0, 1, 2, 9, 3, 4, 5, 9]);
  assert.deepEqual(core.stack([x, x], 1).shape, [2, 2, 3]);
  assert.deepEqual(core.reshape(x, [3, -1]).shape, [3, 2]);
  assert.throws(() => core.reshape(x, [4, -1]), /reshape: cannot view \[2, 3\]/);
  checkGradients("transpose", (a) => core.transpose(a, [2, 0, 1]), [rand([2, 3, 4])]);
  checkGradients("slice", (a) => core.slice(a, 1, 1, 3), [rand([2, 4, 3])]);
  checkGradients("concat", (a, b) => core.concat([a, b], 1), [rand([2, 2, 3]), rand([2, 1, 3])]);
  checkGradients("stack", (a, b) => core.stack([a, b], 0), [rand([2, 3]), rand([2, 3])]);
  checkGradients("expand", (a) => core.expand(a, [4, 2, 3]), [rand([2, 1])]);
  checkGradients("flatten", (a) => core.flatten(a), [rand([2, 3, 2])]);
});

test("reductions match hand values and finite differences", () => {
  const x = tensor([1, 2, 3, 4, 5, 6], [2, 3]);
  assert.deepEqual(core.sum(x, 0).toArray(), [5, 7, 9]);
  assert.deepEqual(core.sum(x, 1, true).shape, [2, 1]);
  assert.deepEqual(core.mean(x).toArray(), [3.5]);
  assert.deepEqual(core.max(x, 1).toArray(), [3, 6]);
  checkGradients("sum", (a) => core.sum(a, [0, 2]), [rand([2, 3, 4])]);
  checkGradients("mean", (a) => core.mean(a, 1, true), [rand([2, 3, 4])]);
  checkGradients("max", (a) => core.max(a, 1), [distinct([3, 4, 2])], { eps: 1e-3 });
});

test("matmul and linear match a hand product and finite differences", () => {
  const a = tensor([1, 2, 3, 4, 5, 6], [2, 3]);
  const b = tensor([7, 8, 9, 10, 11, 12], [3, 2]);
  assert.deepEqual(core.matmul(a, b).toArray(), [58, 64, 139, 154]);
  checkGradients("matmul 2d", core.matmul, [rand([3, 5]), rand([5, 4])]);
  checkGradients("matmul batch x 2d", core.matmul, [rand([2, 3, 5]), rand([5, 4])]);
  checkGradients("matmul batched", core.matmul, [rand([2, 3, 5]), rand([2, 5, 4])]);
  checkGradients("linear", core.linear, [rand([4, 6]), rand([3, 6]), rand([3])]);
  checkGradients("linear no bias", (x, w) => core.linear(x, w, null), [rand([2, 3, 6]), rand([5, 6])]);
  assert.throws(() => core.matmul(rand([2, 3]), rand([4, 2])), /matmul: cannot multiply \[2, 3\] by \[4, 2\]/);
});

/** Direct-definition convolution, independent of the im2col path under test. */
function directConv2d(x: Tensor, w: Tensor, b: Tensor | null, s: number[], p: number[], d: number[]): number[] {
  const [n, cin, h, wd] = x.shape;
  const [cout, , kh, kw] = w.shape;
  const oh = Math.floor((h + 2 * p[0] - d[0] * (kh - 1) - 1) / s[0]) + 1;
  const ow = Math.floor((wd + 2 * p[1] - d[1] * (kw - 1) - 1) / s[1]) + 1;
  const out: number[] = [];
  for (let i = 0; i < n; i++) for (let o = 0; o < cout; o++) for (let y = 0; y < oh; y++) for (let xo = 0; xo < ow; xo++) {
    let acc = b ? b.data[o] : 0;
    for (let c = 0; c < cin; c++) for (let ky = 0; ky < kh; ky++) for (let kx = 0; kx < kw; kx++) {
      const iy = y * s[0] - p[0] + ky * d[0];
      const ix = xo * s[1] - p[1] + kx * d[1];
      if (iy >= 0 && iy < h && ix >= 0 && ix < wd) acc += x.data[((i * cin + c) * h + iy) * wd + ix] * w.data[((o * cin + c) * kh + ky) * kw + kx];
    }
    out.push(acc);
  }
  return out;
}

test("conv2d and conv1d match the direct definition and finite differences", () => {
  const cases = [
    { x: [2, 3, 6, 5], w: [4, 3, 3, 3], stride: [1, 1], pad: [1, 1], dil: [1, 1] },
    { x: [1, 2, 7, 7], w: [3, 2, 3, 2], stride: [2, 1], pad: [0, 1], dil: [1, 2] },
    { x: [2, 1, 5, 8], w: [2, 1, 1, 3], stride: [1, 3], pad: [0, 2], dil: [1, 1] },
  ];
  for (const c of cases) {
    const x = rand(c.x);
    const w = rand(c.w);
    const b = rand([c.w[0]]);
    const opts = { stride: c.stride as [number, number], padding: c.pad as [number, number], dilation: c.dil as [number, number] };
    const y = core.conv2d(x, w, b, opts);
    const expected = directConv2d(x, w, b, c.stride, c.pad, c.dil);
    y.toArray().forEach((v, i) => assert.ok(Math.abs(v - expected[i]) < 1e-4, `conv2d ${JSON.stringify(c)} element ${i}`));
    checkGradients(`conv2d ${JSON.stringify(c)}`, (a, ww, bb) => core.conv2d(a, ww, bb, opts), [x, w, b]);
  }
  checkGradients("conv1d same", (a, ww, bb) => core.conv1d(a, ww, bb, { padding: "same" }), [rand([2, 3, 9]), rand([4, 3, 5]), rand([4])]);
  checkGradients("conv1d stride dilation", (a, ww) => core.conv1d(a, ww, null, { stride: 2, padding: 1, dilation: 2 }), [rand([2, 2, 11]), rand([3, 2, 3])]);
  assert.throws(() => core.conv2d(rand([1, 2, 4, 4]), rand([3, 5, 3, 3]), null), /conv2d: shapes do not fit \(input \[1, 2, 4, 4\], weight \[3, 5, 3, 3\]\)/);
});

test("pooling matches hand values and finite differences", () => {
  const x = tensor([1, 5, 2, 0, 3, 4, 8, 7], [1, 1, 8]);
  assert.deepEqual(core.maxPool1d(x, 2).toArray(), [5, 2, 4, 8]);
  assert.deepEqual(core.avgPool1d(x, 4, { stride: 2 }).toArray(), [2, 2.25, 5.5]);
  const img = tensor([...Array(16).keys()], [1, 1, 4, 4]);
  assert.deepEqual(core.maxPool2d(img, 2).toArray(), [5, 7, 13, 15]);
  assert.deepEqual(core.maxPool2d(img, 4, { stride: 2, padding: 1 }).shape, [1, 1, 2, 2]);
  checkGradients("maxPool2d 4x4 s2", (a) => core.maxPool2d(a, 4, { stride: 2 }), [distinct([2, 2, 9, 9])], { eps: 1e-3 });
  checkGradients("maxPool1d", (a) => core.maxPool1d(a, 2), [distinct([2, 3, 8])], { eps: 1e-3 });
  checkGradients("avgPool2d pad", (a) => core.avgPool2d(a, 3, { stride: 2, padding: 1 }), [rand([2, 2, 6, 5])]);
  checkGradients("avgPool1d", (a) => core.avgPool1d(a, 3, { stride: 1 }), [rand([1, 2, 7])]);
});

test("softmax, log-softmax and weighted cross-entropy", () => {
  const p = core.softmax(tensor([1, 2, 3], [1, 3])).toArray();
  const z = Math.exp(1) + Math.exp(2) + Math.exp(3);
  p.forEach((v, i) => assert.ok(Math.abs(v - Math.exp(i + 1) / z) < 1e-6));
  checkGradients("softmax", (a) => core.softmax(a), [rand([3, 4])]);
  checkGradients("logSoftmax axis 0", (a) => core.logSoftmax(a, 0), [rand([3, 4])]);
  // PyTorch semantics: weighted mean = sum(w_y * nll) / sum(w_y).
  const logits = tensor([2, 0, 0, 0, 1, 0], [2, 3]);
  const loss = core.crossEntropy(logits, [0, 2], { classWeights: [1, 1, 3] }).item();
  const nll0 = -Math.log(Math.exp(2) / (Math.exp(2) + 2));
  const nll1 = -Math.log(1 / (2 + Math.E));
  assert.ok(Math.abs(loss - (nll0 + 3 * nll1) / 4) < 1e-6);
  checkGradients("crossEntropy weighted", (a) => core.crossEntropy(a, [1, 0, 3], { classWeights: [0.5, 2, 1, 1] }), [rand([3, 4])]);
  checkGradients("crossEntropy weighted, label smoothing", (a) => core.crossEntropy(a, [1, 0, 3], { classWeights: [0.5, 2, 1, 1], labelSmoothing: 0.2 }), [rand([3, 4])]);
  assert.throws(() => core.crossEntropy(rand([2, 3]), [0, 1], { labelSmoothing: 1.5 }), /label smoothing 1.5 must be in \[0, 1\]/);
  assert.throws(() => core.crossEntropy(rand([2, 3]), [0, 3]), /label 3 at row 1 is not a class index/);
});

test("dropout is deterministic per seed, scales kept values, and is the identity in evaluation", () => {
  const x = core.full([1000], 1);
  const a = core.dropout(x, 0.3, new Rng(5), true).toArray();
  const b = core.dropout(x, 0.3, new Rng(5), true).toArray();
  assert.deepEqual(a, b);
  const zeros = a.filter((v) => v === 0).length;
  assert.ok(zeros > 230 && zeros < 370, `${zeros} zeros`);
  assert.ok(a.every((v) => v === 0 || Math.abs(v - 1 / 0.7) < 1e-6));
  assert.equal(core.dropout(x, 0.3, new Rng(5), false), x);
  const mask = new Rng(9);
  checkGradients("dropout", (t) => core.dropout(t, 0.5, new Rng(mask.seed), true), [rand([20])]);
});

test("batch norm normalises per channel, tracks running stats and has correct gradients", () => {
  const state = (c = 3) => ({ runningMean: core.zeros([c]), runningVar: core.full([c], 1), momentum: 0.1, eps: 1e-5 });
  const x = rand([4, 3, 5], -2, 3);
  const s = state();
  const y = core.batchNorm(x, core.full([3], 1), core.zeros([3]), s, true);
  for (let c = 0; c < 3; c++) {
    const vals: number[] = [];
    for (let n = 0; n < 4; n++) for (let l = 0; l < 5; l++) vals.push(y.data[(n * 3 + c) * 5 + l]);
    const m = vals.reduce((a, b) => a + b) / vals.length;
    const v = vals.reduce((a, b) => a + (b - m) ** 2, 0) / vals.length;
    assert.ok(Math.abs(m) < 1e-5 && Math.abs(v - 1) < 1e-3);
  }
  assert.ok(s.runningMean.data.some((v) => v !== 0));
  checkGradients("batchNorm", (a, g, b) => core.batchNorm(a, g, b, state(2), true), [rand([3, 2, 4]), rand([2], 0.5, 1.5), rand([2])]);
});

test("batch norm equals the textbook formulas in float64, forward and backward, in training and evaluation", () => {
  const [N, C, L] = [5, 3, 7];
  const x = rand([N, C, L], -1, 4), gamma = rand([C], 0.5, 1.5), beta = rand([C]), dy = rand([N, C, L]);
  const at = (n: number, c: number, l: number) => (n * C + c) * L + l;
  for (const training of [true, false]) {
    const state = { runningMean: rand([C]), runningVar: rand([C], 0.5, 2), momentum: 0.1, eps: 1e-5 };
    const runningMean = Array.from(state.runningMean.data), runningVar = Array.from(state.runningVar.data);
    const [xs, g, b] = [x, gamma, beta].map((t) => tensor(t.data, t.shape, true));
    const y = core.batchNorm(xs, g, b, state, training);
    core.backward(y, dy.data);
    for (let c = 0; c < C; c++) {
      const values: number[] = [];
      for (let n = 0; n < N; n++) for (let l = 0; l < L; l++) values.push(x.data[at(n, c, l)]);
      const M = values.length;
      const batchMean = values.reduce((p, v) => p + v, 0) / M;
      const batchVar = values.reduce((p, v) => p + (v - batchMean) ** 2, 0) / M;
      const mu = training ? batchMean : runningMean[c], v = training ? batchVar : runningVar[c];
      const s = 1 / Math.sqrt(v + 1e-5);
      let sumDy = 0, sumDyXhat = 0;
      for (let n = 0; n < N; n++) for (let l = 0; l < L; l++) { sumDy += dy.data[at(n, c, l)]; sumDyXhat += dy.data[at(n, c, l)] * (x.data[at(n, c, l)] - mu) * s; }
      const close = (actual: number, expected: number, what: string) => assert.ok(Math.abs(actual - expected) <= 2e-5 * Math.max(1, Math.abs(expected)), `${what} (training ${training}): ${actual} vs ${expected}`);
      close(g.grad![c], sumDyXhat, `dgamma ${c}`);
      close(b.grad![c], sumDy, `dbeta ${c}`);
      for (let n = 0; n < N; n++) {
        for (let l = 0; l < L; l++) {
          const k = at(n, c, l), xhat = (x.data[k] - mu) * s;
          close(y.data[k], gamma.data[c] * xhat + beta.data[c], `y ${k}`);
          const dx = training ? gamma.data[c] * s * (dy.data[k] - sumDy / M - xhat * sumDyXhat / M) : gamma.data[c] * s * dy.data[k];
          close(xs.grad![k], dx, `dx ${k}`);
        }
      }
      close(state.runningMean.data[c], training ? 0.9 * runningMean[c] + 0.1 * batchMean : runningMean[c], `running mean ${c}`);
      close(state.runningVar.data[c], training ? 0.9 * runningVar[c] + 0.1 * batchVar * M / (M - 1) : runningVar[c], `running variance ${c}`);
    }
  }
  // An input that needs no gradient still gives gamma its gradient.
  const alone = tensor(gamma.data, gamma.shape, true);
  const constant = tensor(x.data, x.shape);
  core.backward(core.batchNorm(constant, alone, beta, { runningMean: core.zeros([C]), runningVar: core.full([C], 1), momentum: 0.1, eps: 1e-5 }, true), dy.data);
  const withInput = tensor(gamma.data, gamma.shape, true);
  core.backward(core.batchNorm(tensor(x.data, x.shape, true), withInput, beta, { runningMean: core.zeros([C]), runningVar: core.full([C], 1), momentum: 0.1, eps: 1e-5 }, true), dy.data);
  assert.equal(constant.requiresGrad, false);
  assert.deepEqual(Array.from(alone.grad!), Array.from(withInput.grad!));
  checkGradients("batchNorm in evaluation", (a, g, b) => core.batchNorm(a, g, b, { runningMean: core.full([2], 0.3), runningVar: core.full([2], 1.7), momentum: 0.1, eps: 1e-5 }, false),
    [rand([3, 2, 4]), rand([2], 0.5, 1.5), rand([2])]);
});

test("LSTM cell matches the gate equations and finite differences", () => {
  const H = 3;
  const x = rand([2, 4]);
  const h = rand([2, H]);
  const c = rand([2, H]);
  const w = { weightIh: rand([4 * H, 4]), weightHh: rand([4 * H, H]), biasIh: rand([4 * H]), biasHh: rand([4 * H]) };
  const out = core.lstmCell(x, h, c, w);
  // Row 0, unit 0 by hand.
  const gate = (k: number): number => {
    let s = w.biasIh.data[k * H] + w.biasHh.data[k * H];
    for (let j = 0; j < 4; j++) s += w.weightIh.data[k * H * 4 + j] * x.data[j];
    for (let j = 0; j < H; j++) s += w.weightHh.data[k * H * H + j] * h.data[j];
    return s;
  };
  const sig = (v: number): number => 1 / (1 + Math.exp(-v));
  const cExpected = sig(gate(1)) * c.data[0] + sig(gate(0)) * Math.tanh(gate(2));
  assert.ok(Math.abs(out.c.data[0] - cExpected) < 1e-5);
  assert.ok(Math.abs(out.h.data[0] - sig(gate(3)) * Math.tanh(cExpected)) < 1e-5);
  checkGradients("lstmCell", (a, hh, cc, wi, wh) => {
    const r = core.lstmCell(a, hh, cc, { weightIh: wi, weightHh: wh, biasIh: null, biasHh: null });
    return core.concat([r.h, r.c], 1);
  }, [x, h, c, w.weightIh, w.weightHh]);
});

test("finite checks name the op that produced NaN", () => {
  const x = tensor([1, -1], [2], true);
  assert.throws(() => core.withFiniteChecks(() => core.log(x)), /log: NaN in the forward pass at element 1 \(inputs \[2\]\)/);
});

test("tidy releases intermediates and keeps results", () => {
  const x = tensor([1, 2, 3], [3], true);
  let inner: Tensor | null = null;
  const y = core.tidy(() => {
    inner = core.exp(x);
    return core.sum(inner);
  });
  assert.ok((inner as unknown as Tensor).isDisposed);
  assert.ok(!y.isDisposed);
  assert.ok(!x.isDisposed);
});

test("bulk random draws are the sequence of single draws; dropout keeps exactly the values rng.uniform() >= p keeps", () => {
  const single = new Rng(11);
  const bulk = new Rng(11);
  single.uniform(); // states that have moved on, with all four words past 2^31 at some point
  bulk.uniform();
  const expected = Array.from({ length: 1000 }, () => single.nextUint32());
  const drawn = new Uint32Array(1000);
  bulk.fillUint32(drawn);
  assert.deepEqual(Array.from(drawn), expected);
  assert.deepEqual(bulk.getState(), single.getState());
  const uniforms = Array.from({ length: 1000 }, () => Math.fround(single.uniform()));
  const filled = new Float32Array(1000);
  bulk.fillUniform(filled);
  assert.deepEqual(Array.from(filled), uniforms);
  assert.deepEqual(bulk.getState(), single.getState());

  const x = tensor(Float32Array.from({ length: 500 }, (_, i) => i + 1), [5, 100]);
  const reference = new Rng(3);
  const kept = Array.from({ length: 500 }, (_, i) => (reference.uniform() < 0.4 ? 0 : (i + 1) / 0.6));
  const dropped = core.dropout(x, 0.4, new Rng(3), true).toArray();
  dropped.forEach((v, i) => assert.ok(Math.abs(v - kept[i]) < 1e-4, `${i}: ${v} vs ${kept[i]}`));
});
