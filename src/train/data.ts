import * as ops from "../core/index.js";
import { noGrad, Rng, SpikemedError, tensor, tidy, type Tensor } from "../core/index.js";
import type { Network } from "../model/network.js";

// Samples as a network sees them, and predictions over them; no Node APIs, so a browser page can
// feed a network the way training does.

export interface ClassificationData {
  classNames: readonly string[];
  /** One sample's signal shape, channels first. */
  inputShape: number[];
  /** Names of the per-sample scalar features stored after each sample's signal (ECG: RR intervals), if any. */
  featureNames?: readonly string[];
  labels: ArrayLike<number>;
  /** Writes the samples at `indices` into `out` (batch-major rows of `sampleSize` values); augments them when an Rng is given. */
  fill(indices: ArrayLike<number>, out: Float32Array, augment?: Rng): void;
}

/** Values per sample: the signal, then its features. */
export function sampleSize(data: Pick<ClassificationData, "inputShape" | "featureNames">): number {
  return data.inputShape.reduce((a, b) => a * b, 1) + (data.featureNames?.length ?? 0);
}

/** The first `n` samples of a filled buffer as the network's input: [n, ...inputShape], or flat rows [n, size] when features follow the signal. */
export function batchTensor(data: Pick<ClassificationData, "inputShape" | "featureNames">, buffer: Float32Array, n: number): Tensor {
  const size = sampleSize(data);
  const values = buffer.subarray(0, n * size);
  return data.featureNames?.length ? tensor(values, [n, size]) : tensor(values, [n, ...data.inputShape]);
}

/** The samples at `indices` as one input tensor, not augmented. */
export function inputBatch(data: ClassificationData, indices: ArrayLike<number>): Tensor {
  const buffer = new Float32Array(indices.length * sampleSize(data));
  data.fill(indices, buffer);
  return batchTensor(data, buffer, indices.length);
}

/**
 * Labelled samples stored back to back in one flat array (ECG beats, decoded inputs to predict),
 * optionally with per-sample features stored in a second array.
 */
export function flatArrayData(x: Float32Array, inputShape: number[], classNames: readonly string[], labels: ArrayLike<number>,
  features?: { names: readonly string[]; values: Float32Array }): ClassificationData {
  const signal = inputShape.reduce((a, b) => a * b, 1);
  const width = features?.names.length ?? 0;
  if (features && features.values.length !== labels.length * width) {
    throw new SpikemedError(`flatArrayData: ${features.values.length} feature values for ${labels.length} samples of ${width} features`);
  }
  return {
    classNames, inputShape, labels, featureNames: features?.names,
    fill: (indices, out) => {
      const row = signal + width;
      for (let r = 0; r < indices.length; r++) {
        const i = indices[r];
        out.set(x.subarray(i * signal, (i + 1) * signal), r * row);
        if (features) out.set(features.values.subarray(i * width, (i + 1) * width), r * row + signal);
      }
    },
  };
}

/** Class probabilities [n, K] for the samples at `indices`, in batches, without gradients. */
export function predictProbabilities(network: Network, data: ClassificationData, indices: ArrayLike<number>, batchSize: number,
  rng = new Rng(0)): { probabilities: Float32Array } {
  const K = data.classNames.length;
  const inputSize = sampleSize(data);
  const probabilities = new Float32Array(indices.length * K);
  const buffer = new Float32Array(batchSize * inputSize);
  for (let s = 0; s < indices.length; s += batchSize) {
    const batch = Array.from({ length: Math.min(batchSize, indices.length - s) }, (_, i) => indices[s + i]);
    const inputs = buffer.subarray(0, batch.length * inputSize);
    data.fill(batch, inputs);
    noGrad(() => tidy(() => {
      const p = ops.softmax(network.forward(batchTensor(data, inputs, batch.length), { training: false, rng }));
      probabilities.set(p.data, s * K);
    }));
  }
  return { probabilities };
}
