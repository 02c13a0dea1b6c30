import * as ops from "../core/index.js";
import { SpikemedError } from "../core/index.js";
import type { LayerDescription } from "../energy/types.js";
import { forwardLayers } from "./fusion.js";
import { chainOutputShape, describeChain, Module, unrolled, type ForwardContext, type Parameter, type Signal } from "./module.js";

/**
 * A residual block (He et al. 2016): the sum of a chain of layers and a shortcut, which is the
 * block's input itself or a chain of its own (a strided 1x1 convolution with batch norm where the
 * shape changes). Followed by a neuron layer, the sum is that layer's input current, as in the
 * spiking ResNets of Hu et al. and Zheng et al. (tdBN); followed by a ReLU, it is the ANN block.
 * Shortcuts let a deep network train: the gradient reaches early layers through the sums.
 */
export class Residual extends Module {
  constructor(name: string, readonly main: Module[], readonly shortcut: Module[]) {
    super(name);
    if (main.length === 0) throw new SpikemedError(`${name}: a residual block needs at least one layer on its main path`);
  }

  forward(input: Signal, ctx: ForwardContext): Signal {
    return this.sum(forwardLayers(this.main, input, ctx), forwardLayers(this.shortcut, input, ctx));
  }

  /** The block's output: the sum of its main path's output and its shortcut's (streaming inference adds them step by step). */
  sum(main: Signal, shortcut: Signal): Signal {
    if (main.static && shortcut.static) return { x: ops.add(main.x, shortcut.x), timeSteps: main.timeSteps, static: true };
    return { x: ops.add(unrolled(main), unrolled(shortcut)), timeSteps: main.timeSteps, static: false };
  }

  outputShape(inputShape: number[]): number[] {
    const main = chainOutputShape(this.main, inputShape);
    const shortcut = chainOutputShape(this.shortcut, inputShape);
    if (main.length !== shortcut.length || main.some((d, i) => d !== shortcut[i])) {
      throw new SpikemedError(`${this.name}: the main path gives [${main.join(", ")}] per sample but the shortcut gives [${shortcut.join(", ")}], so they cannot be added`,
        `give the block a "shortcut" that maps [${inputShape.join(", ")}] to [${main.join(", ")}], e.g. a conv2d with kernel 1, the main path's stride and ${main[0]} filters`);
    }
    return main;
  }

  override parameters(): Parameter[] {
    return this.children().flatMap((l) => l.parameters());
  }

  override buffers(): Parameter[] {
    return this.children().flatMap((l) => l.buffers());
  }

  override children(): Module[] {
    return [...this.main, ...this.shortcut];
  }

  /** The layers of both paths (the additions of the shortcut are not counted: one per output element and step). */
  override describe(inputShape: number[]): LayerDescription[] {
    return [...describeChain(this.main, inputShape), ...describeChain(this.shortcut, inputShape)];
  }
}
