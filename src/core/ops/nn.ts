import { getBackend } from "../backend.js";
import { record } from "../autograd.js";
import { SpikemedError } from "../errors.js";
import type { Rng } from "../random.js";
import { allocate, shapeString, Tensor } from "../tensor.js";
import { add, mul, sigmoid, tanh } from "./elementwise.js";
import { linear } from "./linalg.js";
import { slice, transpose } from "./shape.js";

function softmaxOp(x: Tensor, axis: number, log: boolean): Tensor {
  const a = axis < 0 ? axis + x.rank : axis;
  if (a < 0 || a >= x.rank) throw new SpikemedError(`softmax: axis ${axis} out of range for ${shapeString(x.shape)}`);
  if (a !== x.rank - 1) {
    const perm = [...Array(x.rank).keys()];
    [perm[a], perm[x.rank - 1]] = [perm[x.rank - 1], perm[a]];
    return transpose(softmaxOp(transpose(x, perm), -1, log), perm);
  }
  const backend = getBackend();
  const cols = x.shape[a];
  const rows = x.size / cols;
  const op = log ? "logSoftmax" : "softmax";
  const out = new Tensor(x.shape, allocate(op, x.shape));
  backend.softmax(x.data, rows, cols, out.data, log);
  return record(out, op, [x], (g) => {
    const dx = backend.alloc(x.size, false);
    backend.softmaxBackward(out.data, g, rows, cols, dx, log);
    return [dx];
  });
}

export const softmax = (x: Tensor, axis = -1): Tensor => softmaxOp(x, axis, false);
export const logSoftmax = (x: Tensor, axis = -1): Tensor => softmaxOp(x, axis, true);

export interface CrossEntropyOptions {
  /** Per-class weights (PyTorch semantics: the mean is weighted by the weights of the targets). */
  classWeights?: ArrayLike<number>;
  reduction?: "mean" | "sum";
  /**
   * Label smoothing e: the target puts 1 - e on the label and e / K on every class (PyTorch's and
   * Keras's target), and each sample's whole loss is weighted by its label's class weight, as
   * Keras's class_weight weighs it. PyTorch instead weights each class's smoothed term by that
   * class's weight (pytorch/pytorch#104776), so a rare class of large weight pulls every sample
   * towards itself: on the inter-patient ECG split (DS1's 8 Q beats weigh about 1,150, N's 0.22) a
   * smoothing of 0.1 made the network call every beat Q. Unweighted, the two agree.
   */
  labelSmoothing?: number;
}

/** Cross-entropy of logits [N, K] against integer class labels. */
export function crossEntropy(logits: Tensor, labels: ArrayLike<number>, options: CrossEntropyOptions = {}): Tensor {
  if (logits.rank !== 2 || labels.length !== logits.shape[0]) {
    throw new SpikemedError(`crossEntropy: logits ${shapeString(logits.shape)} do not match ${labels.length} labels; expected [N, classes]`);
  }
  const [n, k] = logits.shape;
  const weights = options.classWeights;
  if (weights && weights.length !== k) {
    throw new SpikemedError(`crossEntropy: ${weights.length} class weights for ${k} classes`);
  }
  const smoothing = options.labelSmoothing ?? 0;
  if (!(smoothing >= 0 && smoothing <= 1)) throw new SpikemedError(`crossEntropy: label smoothing ${smoothing} must be in [0, 1]`);
  const classWeight = (c: number): number => (weights ? weights[c] : 1);
  const backend = getBackend();
  // A tensor so that the enclosing tidy() scope releases it after the backward pass.
  const logpTensor = new Tensor(logits.shape, allocate("crossEntropy", logits.shape));
  const logp = logpTensor.data;
  backend.softmax(logits.data, n, k, logp, true);
  let total = 0;
  let norm = 0;
  for (let i = 0; i < n; i++) {
    const y = labels[i];
    if (!Number.isInteger(y) || y < 0 || y >= k) {
      logpTensor.dispose();
      throw new SpikemedError(`crossEntropy: label ${y} at row ${i} is not a class index in 0..${k - 1}`);
    }
    const w = classWeight(y);
    let sampleLoss = -(1 - smoothing) * logp[i * k + y];
    if (smoothing > 0) for (let c = 0; c < k; c++) sampleLoss -= (smoothing / k) * logp[i * k + c];
    total += w * sampleLoss;
    norm += w;
  }
  const divisor = options.reduction === "sum" ? 1 : norm;
  const out = new Tensor([], allocate("crossEntropy", []));
  out.data[0] = total / divisor;
  const result = record(out, "crossEntropy", [logits], (g) => {
    const dx = backend.alloc(logits.size);
    for (let i = 0; i < n; i++) {
      const y = labels[i];
      const scale = (classWeight(y) * g[0]) / divisor;
      // Softmax probabilities minus the smoothed target.
      for (let j = 0; j < k; j++) {
        const target = (j === y ? 1 - smoothing : 0) + smoothing / k;
        dx[i * k + j] = scale * (Math.exp(logp[i * k + j]) - target);
      }
    }
    return [dx];
  });
  if (!result.node) logpTensor.dispose();
  return result;
}

/** Inverted dropout: zeroes each element with probability p and scales the rest by 1/(1-p). */
export function dropout(x: Tensor, p: number, rng: Rng, training: boolean): Tensor {
  if (!(p >= 0 && p < 1)) throw new SpikemedError(`dropout: probability ${p} must be in [0, 1)`);
  if (!training || p === 0) return x;
  const mask = new Tensor(x.shape, allocate("dropout", x.shape));
  const keepScale = 1 / (1 - p);
  const draws = new Uint32Array(mask.size);
  rng.fillUint32(draws);
  // The same test as rng.uniform() < p on each draw (draw / 2^32 < p, both sides exact), without a
  // branch: at p = 0.5 a mispredicted branch per element made this loop five times slower.
  const dropBelow = p * 4294967296;
  const data = mask.data;
  for (let i = 0; i < data.length; i++) data[i] = +(draws[i] >= dropBelow) * keepScale;
  return mul(x, mask);
}

export interface BatchNormState {
  runningMean: Tensor;
  runningVar: Tensor;
  momentum: number;
  eps: number;
}

/**
 * Batch normalisation over axis 1 (channels) of [N, C, ...], PyTorch semantics: batch statistics
 * (biased variance) in training, updating the running mean and unbiased variance; running
 * statistics in evaluation. One fused op (a pass for the statistics, one for the output; two
 * backward) rather than a chain of broadcast ops, each of which would read the whole input again.
 */
export function batchNorm(x: Tensor, gamma: Tensor, beta: Tensor, state: BatchNormState, training: boolean): Tensor {
  const c = x.shape[1];
  if (x.rank < 2 || gamma.size !== c || beta.size !== c || state.runningMean.size !== c) {
    throw new SpikemedError(`batchNorm: input ${shapeString(x.shape)} does not match ${gamma.size} channels`);
  }
  const backend = getBackend();
  const outer = x.shape[0];
  const inner = x.shape.slice(2).reduce((a, b) => a * b, 1);
  const count = outer * inner;
  const center = new Float32Array(c);
  const variance = new Float32Array(c);
  if (training) {
    backend.channelMoments(x.data, outer, c, inner, center, variance);
    const m = state.momentum;
    const bessel = count > 1 ? count / (count - 1) : 1;
    for (let i = 0; i < c; i++) {
      state.runningMean.data[i] = (1 - m) * state.runningMean.data[i] + m * center[i];
      state.runningVar.data[i] = (1 - m) * state.runningVar.data[i] + m * variance[i] * bessel;
    }
  } else {
    center.set(state.runningMean.data);
    variance.set(state.runningVar.data);
  }
  const invStd = Float64Array.from(variance, (v) => 1 / Math.sqrt(v + state.eps));
  const scale = Float32Array.from(invStd, (s, i) => gamma.data[i] * s);
  const out = new Tensor(x.shape, allocate("batchNorm", x.shape));
  backend.channelAffine(x.data, center, scale, null, null, beta.data, outer, c, inner, out.data);
  return record(out, "batchNorm", [x, gamma, beta], (grad) => {
    const sumDy = new Float32Array(c);
    const sumDyCentred = new Float32Array(c);
    backend.channelGradientSums(grad, x.data, center, outer, c, inner, sumDy, sumDyCentred);
    const dGamma = backend.alloc(c, false);
    const dBeta = backend.alloc(c, false);
    // dx = gamma * invStd * (dy - mean(dy) - xhat * mean(dy * xhat)) in training, where the
    // statistics depend on x; gamma * invStd * dy in evaluation.
    const centredScale = new Float32Array(c);
    const shift = new Float32Array(c);
    for (let i = 0; i < c; i++) {
      dGamma[i] = sumDyCentred[i] * invStd[i];
      dBeta[i] = sumDy[i];
      if (training) {
        centredScale[i] = -scale[i] * invStd[i] * invStd[i] * sumDyCentred[i] / count;
        shift[i] = -scale[i] * sumDy[i] / count;
      }
    }
    if (!x.requiresGrad) return [null, dGamma, dBeta];
    const dx = backend.alloc(x.size, false);
    backend.channelAffine(x.data, center, centredScale, grad, scale, shift, outer, c, inner, dx);
    return [dx, dGamma, dBeta];
  });
}

export interface LstmWeights {
  /** [4H, in], [4H, H], [4H], [4H]; gate order i, f, g, o (PyTorch's). */
  weightIh: Tensor; weightHh: Tensor; biasIh: Tensor | null; biasHh: Tensor | null;
}

/** One LSTM step: returns the next hidden and cell states. */
export function lstmCell(x: Tensor, h: Tensor, c: Tensor, w: LstmWeights): { h: Tensor; c: Tensor } {
  const hidden = h.shape[1];
  if (w.weightIh.shape[0] !== 4 * hidden || w.weightHh.shape[1] !== hidden) {
    throw new SpikemedError(
      `lstmCell: weights ${shapeString(w.weightIh.shape)} / ${shapeString(w.weightHh.shape)} do not match hidden size ${hidden}`,
    );
  }
  const gates = add(linear(x, w.weightIh, w.biasIh), linear(h, w.weightHh, w.biasHh));
  const gate = (k: number): Tensor => slice(gates, 1, k * hidden, (k + 1) * hidden);
  const i = sigmoid(gate(0));
  const f = sigmoid(gate(1));
  const g = tanh(gate(2));
  const o = sigmoid(gate(3));
  const cNext = add(mul(f, c), mul(i, g));
  const hNext = mul(o, tanh(cNext));
  return { h: hNext, c: cNext };
}
