import * as ops from "../core/index.js";
import { Pool } from "./layers.js";
import { perStep, type Signal } from "./module.js";

/**
 * Sum pooling (NIR's SumPool2d, Sinabs's SumPool2d): the sum over each window, which is the
 * average pool times the window's size (padding counts as zeros in both). On spikes it counts
 * them, so the next layer sees whole numbers where an average pool would give fractions.
 */
export class SumPool extends Pool {
  constructor(name: string, dims: 1 | 2, kernel: number, stride = kernel, padding = 0) {
    super(name, "avg", dims, kernel, stride, padding);
  }

  override forward(input: Signal): Signal {
    const opts = { stride: this.stride, padding: this.padding };
    const size = this.kernel ** this.dims;
    const average = this.dims === 1 ? ops.avgPool1d : ops.avgPool2d;
    return perStep(input, (x) => ops.scale(average(x, this.kernel, opts), size));
  }
}
