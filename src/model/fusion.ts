/**
 * Layer fusion at inference: the runs of neighbouring layers that one kernel computes in a single
 * pass, and the layer loop that asks for them. When only the spikes are wanted (no gradient, no
 * recording of membranes), LIF neurons fire without keeping their membrane trace, take a max-pool
 * after them into the same pass, and take their currents straight from an event-driven
 * convolution before them: the batch's currents and membranes are never stored. Each pattern
 * gives exactly the outputs and activity of running its layers one by one.
 */
import * as ops from "../core/index.js";
import { isGradEnabled } from "../core/index.js";
import type { ActivityMeter } from "./diagnostics.js";
import { Conv1d, Pool, runsEventDriven } from "./layers.js";
import type { ForwardContext, Module, Signal } from "./module.js";
import { Leaky, Synaptic } from "./neurons.js";

/** What a fused pass ran: its output and how many layers of the chain it stands for. */
interface Fused {
  signal: Signal;
  layers: number;
}

/** A fusion pattern: the fused pass over the first layers of `layers` when they and the input fit it; else null. */
type Pattern = (layers: readonly Module[], input: Signal, ctx: ForwardContext) => Fused | null;

/**
 * Runs a chain of layers on a signal, each run of layers that a fusion pattern fits in one pass.
 * While observed (ctx.observe) every layer runs on its own, so that each is seen.
 */
export function forwardLayers(layers: readonly Module[], input: Signal, ctx: ForwardContext): Signal {
  let signal = input;
  for (let i = 0; i < layers.length;) {
    const layer = layers[i];
    const fused = fuse(ctx.observe ? [layer] : layers.slice(i), signal, ctx);
    const output = fused ? fused.signal : layer.forward(signal, ctx);
    if (ctx.observe && layer.children().length === 0) ctx.observe(layer, signal, output);
    signal = output;
    i += fused ? fused.layers : 1;
  }
  return signal;
}

/** The first pattern that fits the start of `layers`, run; null when none does. */
function fuse(layers: readonly Module[], input: Signal, ctx: ForwardContext): Fused | null {
  for (const pattern of PATTERNS) {
    const fused = pattern(layers, input, ctx);
    if (fused) return fused;
  }
  return null;
}

/** An event-driven 1-d convolution, the LIF neurons it drives, and a max-pool after them that folds. */
const eventDrivenConvolutionLif: Pattern = ([conv, neurons, next], input, ctx) => {
  if (!(conv instanceof Conv1d) || !(neurons instanceof Leaky) || input.static || !conv.eventDriven
    || !runsEventDriven(input, conv.outChannels, conv.weight) || !spikesSuffice(neurons, ctx, false)) return null;
  const poolWidth = foldedPoolWidth(next, conv.outputShape(input.x.shape.slice(2)));
  const options = { stride: conv.options.stride, padding: conv.options.padding };
  const signal = fire(neurons, (lif) => ops.sparseConv1dLif(input.x, conv.weight, conv.bias, options, lif), input.timeSteps, poolWidth);
  return { signal, layers: poolWidth > 1 ? 3 : 2 };
};

/**
 * LIF neurons (or the membrane of synaptic ones) firing spikes only, with a max-pool after them
 * when it folds. Samples must have features: a scalar per sample takes the layer's own path, whose
 * activity counts treat the batch as the neurons.
 */
const spikingNeurons: Pattern = ([neurons, next], input, ctx) => {
  const lif = neurons instanceof Synaptic ? neurons.membrane : neurons;
  if (!(lif instanceof Leaky) || input.x.rank - (input.static ? 1 : 2) < 1 || !spikesSuffice(lif, ctx, input.x.requiresGrad)) return null;
  // Synaptic neurons' current is their synapse's leaky integration of the input (never fused: it is a membrane).
  const current = neurons instanceof Synaptic ? neurons.synapse.forward(input, ctx) : input;
  const poolWidth = foldedPoolWidth(next, current.x.shape.slice(current.static ? 1 : 2));
  const staticSteps = current.static ? current.timeSteps : undefined;
  const meter = neurons instanceof Synaptic ? neurons.activity : lif.activity;
  const signal = fire(lif, (parameters) => ops.lifSpikes(current.x, { ...parameters, staticSteps }), current.timeSteps, poolWidth, meter);
  return { signal, layers: poolWidth > 1 ? 2 : 1 };
};

/** The patterns, tried in this order at each layer. */
const PATTERNS: readonly Pattern[] = [eventDrivenConvolutionLif, spikingNeurons];

/**
 * The window of the layer `next` when it is a max-pool that LIF neurons can fold into their spike
 * output (1-d, unpadded windows that tile the length of samples shaped `sampleShape`); else 1.
 */
export function foldedPoolWidth(next: Module | undefined, sampleShape: readonly number[]): number {
  if (!(next instanceof Pool) || next.kind !== "max" || next.dims !== 1 || next.stride !== next.kernel || next.padding !== 0) return 1;
  return sampleShape.length === 2 && sampleShape[1] % next.kernel === 0 ? next.kernel : 1;
}

/**
 * True when the spikes are all that is wanted of these neurons in this pass: no recording asks
 * for the membrane and no gradient will be recorded (none is when gradients are off, or neither
 * the current nor the neurons' parameters need one).
 */
function spikesSuffice(neurons: Leaky, ctx: ForwardContext, currentNeedsGrad: boolean): boolean {
  const recordsGradient = isGradEnabled() && (currentNeedsGrad || neurons.beta.requiresGrad || neurons.threshold.requiresGrad);
  return neurons.output === "spikes" && !ctx.recording && !recordsGradient;
}

/**
 * Fires the neurons on the currents that `drive` integrates (given their LIF parameters, it
 * returns the spikes and their counts) and measures the activity into `meter`.
 */
function fire(neurons: Leaky, drive: (lif: ops.LifSpikesOptions) => ops.LifSpikesResult, timeSteps: number, poolWidth: number,
  meter: ActivityMeter = neurons.activity): Signal {
  const { spikes, counts } = drive({ ...neurons.lifParameters(), poolWidth });
  meter.observe(counts.data, counts.data, spikes.shape[0], spikes.shape[1]);
  return { x: spikes, timeSteps, static: false, spikes: true };
}
