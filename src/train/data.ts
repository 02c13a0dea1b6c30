import * as ops from "../core/index.js";
import { noGrad, Rng, SpikemedError, tensor, tidy } from "../core/index.js";
import type { Batch, Network } from "../model/network.js";

// Samples as a network sees them, and predictions over them; no Node APIs, so a browser page can
// feed a network the way training does.

export interface ClassificationData {
  classNames: readonly string[];
  /** One sample's signal shape, channels first. */
  inputShape: number[];
  /** Names of the per-sample scalar features that travel beside each sample's signal (ECG: RR intervals), if any. */
  featureNames?: readonly string[];
  labels: ArrayLike<number>;
  /** Writes the samples at `indices` into `out` (batch-major); augments their signals when an Rng is given. */
  fill(indices: ArrayLike<number>, out: BatchBuffers, augment?: Rng): void;
}

/**
 * The values of a batch of samples, batch-major: their signals back to back and, for data with
 * features, their features [n, F] apart from them.
 */
export interface BatchBuffers {
  signal: Float32Array;
  features?: Float32Array;
}

/** Values of one sample's signal. */
export function signalSize(data: Pick<ClassificationData, "inputShape">): number {
  return data.inputShape.reduce((a, b) => a * b, 1);
}

/** Buffers for up to `n` samples of `data`. */
export function batchBuffers(data: Pick<ClassificationData, "inputShape" | "featureNames">, n: number): BatchBuffers {
  const width = data.featureNames?.length ?? 0;
  return { signal: new Float32Array(n * signalSize(data)), features: width > 0 ? new Float32Array(n * width) : undefined };
}

/** Samples `first` to `first + n` of filled buffers: views of `buffers`, not copies. */
export function bufferRange(data: Pick<ClassificationData, "inputShape" | "featureNames">, buffers: BatchBuffers, first: number, n: number): BatchBuffers {
  const size = signalSize(data);
  const width = data.featureNames?.length ?? 0;
  return {
    signal: buffers.signal.subarray(first * size, (first + n) * size),
    features: buffers.features && width > 0 ? buffers.features.subarray(first * width, (first + n) * width) : undefined,
  };
}

/** The first `n` samples of filled buffers as the network's input: signals [n, ...inputShape], features [n, F] when the data has any. */
export function batchOf(data: Pick<ClassificationData, "inputShape" | "featureNames">, buffers: BatchBuffers, n: number): Batch {
  const { signal, features } = bufferRange(data, buffers, 0, n);
  return { signal: tensor(signal, [n, ...data.inputShape]), features: features ? tensor(features, [n, data.featureNames!.length]) : undefined };
}

/** The samples at `indices` as one input batch, not augmented. */
export function inputBatch(data: ClassificationData, indices: ArrayLike<number>): Batch {
  const buffers = batchBuffers(data, indices.length);
  data.fill(indices, buffers);
  return batchOf(data, buffers, indices.length);
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
      for (let r = 0; r < indices.length; r++) {
        const i = indices[r];
        out.signal.set(x.subarray(i * signal, (i + 1) * signal), r * signal);
        if (features && out.features) out.features.set(features.values.subarray(i * width, (i + 1) * width), r * width);
      }
    },
  };
}

/** Class probabilities [n, K] for the samples at `indices`, in batches, without gradients. */
export function predictProbabilities(network: Network, data: ClassificationData, indices: ArrayLike<number>, batchSize: number,
  rng = new Rng(0)): { probabilities: Float32Array } {
  const K = data.classNames.length;
  const probabilities = new Float32Array(indices.length * K);
  const buffers = batchBuffers(data, batchSize);
  for (let s = 0; s < indices.length; s += batchSize) {
    const batch = Array.from({ length: Math.min(batchSize, indices.length - s) }, (_, i) => indices[s + i]);
    data.fill(batch, bufferRange(data, buffers, 0, batch.length));
    noGrad(() => tidy(() => {
      const p = ops.softmax(network.forward(batchOf(data, buffers, batch.length), { training: false, rng }));
      probabilities.set(p.data, s * K);
    }));
  }
  return { probabilities };
}
