import * as ops from "../core/index.js";
import { SpikemedError, zeros, type Rng, type Tensor } from "../core/index.js";
import type { LayerDescription } from "../energy/types.js";
import { Module, namedParams, parameter, uniformInit, type Parameter, type Signal } from "./module.js";

interface Direction {
  weightIh: Tensor; weightHh: Tensor; biasIh: Tensor; biasHh: Tensor;
}

/**
 * Stacked bidirectional LSTM over a [C, L] signal read as L/stepFeatures steps of C*stepFeatures
 * values (the ECG paper's baseline). Emits the last forward and first backward hidden states of
 * the top layer, concatenated: [2 * hidden].
 */
export class BiLstm extends Module {
  private readonly directions: Direction[][] = [];
  readonly steps: number;
  readonly stepSize: number;

  constructor(name: string, readonly inputShape: number[], readonly hidden: number, readonly numLayers: number,
    readonly stepFeatures: number, rng: Rng) {
    super(name);
    const [channels, length] = inputShape;
    if (length % stepFeatures !== 0) {
      throw new SpikemedError(`${name}: signal length ${length} is not a multiple of stepFeatures ${stepFeatures}`);
    }
    this.steps = length / stepFeatures;
    this.stepSize = channels * stepFeatures;
    for (let layer = 0; layer < numLayers; layer++) {
      const inSize = layer === 0 ? this.stepSize : 2 * hidden;
      const make = (): Direction => ({
        weightIh: parameter(uniformInit(rng, 4 * hidden * inSize, hidden), [4 * hidden, inSize]),
        weightHh: parameter(uniformInit(rng, 4 * hidden * hidden, hidden), [4 * hidden, hidden]),
        biasIh: parameter(uniformInit(rng, 4 * hidden, hidden), [4 * hidden]),
        biasHh: parameter(uniformInit(rng, 4 * hidden, hidden), [4 * hidden]),
      });
      this.directions.push([make(), make()]);
    }
  }

  forward(input: Signal): Signal {
    if (!input.static) throw new SpikemedError(`${this.name}: a BiLSTM reads the signal itself; use the direct encoder with one time step`);
    const x = input.x;
    const B = x.shape[0];
    // [B, C, L] -> [B, L, C] -> [B, steps, stepSize]
    const sequence = ops.reshape(ops.transpose(x, [0, 2, 1]), [B, this.steps, this.stepSize]);
    let steps: Tensor[] = [];
    for (let s = 0; s < this.steps; s++) steps.push(ops.reshape(ops.slice(sequence, 1, s, s + 1), [B, this.stepSize]));
    let summary: Tensor | null = null;
    for (const [forward, backward] of this.directions) {
      const fwd = this.run(steps, forward, false);
      const bwd = this.run(steps, backward, true);
      steps = fwd.map((h, s) => ops.concat([h, bwd[s]], 1));
      summary = ops.concat([fwd[fwd.length - 1], bwd[0]], 1);
    }
    return { ...input, x: summary as Tensor };
  }

  private run(steps: Tensor[], w: Direction, reverse: boolean): Tensor[] {
    const B = steps[0].shape[0];
    let h = zeros([B, this.hidden]);
    let c = zeros([B, this.hidden]);
    const out = new Array<Tensor>(steps.length);
    for (let k = 0; k < steps.length; k++) {
      const s = reverse ? steps.length - 1 - k : k;
      ({ h, c } = ops.lstmCell(steps[s], h, c, w));
      out[s] = h;
    }
    return out;
  }

  outputShape(): number[] {
    return [2 * this.hidden];
  }

  override parameters(): Parameter[] {
    return this.directions.flatMap((pair, layer) => pair.flatMap((d, k) =>
      namedParams(`${this.name}.l${layer}.${k === 0 ? "forward" : "backward"}`, { ...d })));
  }

  override describe(inputShape: number[]): LayerDescription[] {
    return [{ name: this.name, type: "lstm", inputShape, outputShape: this.outputShape() }];
  }
}
