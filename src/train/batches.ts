import { SpikemedError } from "../core/errors.js";
import type { Rng } from "../core/random.js";

export interface BatchOptions {
  batchSize: number;
  /** Shuffle the order (needs rng). Default false. */
  shuffle?: boolean;
  rng?: Rng;
  /** Drop the last batch when it is smaller than batchSize. Default false. */
  dropLast?: boolean;
}

/**
 * The batches of one epoch. The order is fixed when this is made (the rng is drawn from once,
 * n - 1 times, at construction), so the k-th batch can be asked for directly, which is what a
 * resumed run needs to skip the batches it already did. Batches are views into `order`.
 */
export class EpochBatches implements Iterable<Int32Array> {
  /** All sample indices in this epoch's order. */
  readonly order: Int32Array;
  readonly batchSize: number;
  readonly count: number;

  constructor(samples: number | Int32Array, options: BatchOptions) {
    const { batchSize } = options;
    if (!Number.isInteger(batchSize) || batchSize < 1) {
      throw new SpikemedError(`batches: batch size must be an integer >= 1, got ${batchSize}`, "pass e.g. --batch-size 32");
    }
    if (typeof samples === "number") {
      if (!Number.isInteger(samples) || samples < 0) throw new SpikemedError(`batches: sample count must be a non-negative integer, got ${samples}`);
      this.order = new Int32Array(samples);
      for (let i = 0; i < samples; i++) this.order[i] = i;
    } else {
      this.order = samples.slice();
    }
    if (options.shuffle) {
      if (!options.rng) throw new SpikemedError("batches: shuffle needs an rng", "pass the run's Rng (e.g. rng.fork(`shuffle/epoch-${epoch}`))");
      options.rng.shuffle(this.order);
    }
    this.batchSize = batchSize;
    const n = this.order.length;
    this.count = options.dropLast ? Math.floor(n / batchSize) : Math.ceil(n / batchSize);
  }

  /** The `k`-th batch (0-based), a view into `order`. */
  batch(k: number): Int32Array {
    if (!Number.isInteger(k) || k < 0 || k >= this.count) throw new SpikemedError(`batches: batch ${k} does not exist (this epoch has ${this.count})`);
    const start = k * this.batchSize;
    return this.order.subarray(start, Math.min(start + this.batchSize, this.order.length));
  }

  /** Batches from `first` (default 0) to the end. */
  *from(first = 0): Generator<Int32Array> {
    for (let k = first; k < this.count; k++) yield this.batch(k);
  }

  [Symbol.iterator](): Iterator<Int32Array> {
    return this.from(0);
  }
}

/** Shorthand: `for (const batch of epochBatches(n, { batchSize: 32, shuffle: true, rng }))`. */
export function epochBatches(samples: number | Int32Array, options: BatchOptions): EpochBatches {
  return new EpochBatches(samples, options);
}
