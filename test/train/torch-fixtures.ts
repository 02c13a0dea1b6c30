import { readFileSync } from "node:fs";
import type { Param } from "../../src/train/param.js";

/** Values computed by PyTorch (test/train/fixtures/make_torch_fixtures.py). */
export interface TorchFixtures {
  torch: string;
  shapes: number[][];
  lrChangeAt: number;
  optimisers: {
    name: string;
    lr: number;
    initial: number[][];
    grads: number[][][];
    after: number[][][];
    state: Record<string, number[]>;
  }[];
  schedules: { name: string; config: Record<string, unknown> & { kind: string }; metrics?: number[]; lrs: number[] }[];
  /** OneCycleLR: the rate and momentum (Adam's beta1, SGD's momentum) of each optimizer step. */
  oneCycles: { name: string; optimizer: "Adam" | "AdamW" | "SGD"; config: Record<string, unknown> & { kind: "onecycle"; totalEpochs: number }; batchesPerEpoch: number; maxLr: number; lrs: number[]; momenta: number[] }[];
  /** Label-smoothed cross-entropy, each sample weighted by its label's class weight (F.cross_entropy where they agree): the loss and its gradient with respect to the logits. */
  crossEntropies: { name: string; logits: number[][]; labels: number[]; classWeights: number[] | null; reduction: "mean" | "sum"; labelSmoothing: number; loss: number; grad: number[][] }[];
  clipping: { maxNorm: number; normType: 2 | "inf"; grads: number[][]; totalNorm: number; clipped: number[][] }[];
}

// Compiled tests live in dist/test/train/, the fixtures stay in the source tree.
const FIXTURE = new URL("../../../test/train/fixtures/torch-train.json", import.meta.url);

export function loadTorchFixtures(): TorchFixtures {
  return JSON.parse(readFileSync(FIXTURE, "utf8")) as TorchFixtures;
}

export function paramsFrom(values: number[][]): Param[] {
  return values.map((v, i) => ({ name: `p${i}`, value: Float32Array.from(v), grad: new Float32Array(v.length) }));
}

/** Largest |a - b| / max(1, |b|) over all elements. */
export function maxRelativeError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  if (actual.length !== expected.length) throw new Error(`length ${actual.length} != ${expected.length}`);
  let worst = 0;
  for (let i = 0; i < actual.length; i++) {
    const err = Math.abs(actual[i] - expected[i]) / Math.max(1, Math.abs(expected[i]));
    if (!(err <= worst)) worst = err;
  }
  return worst;
}
