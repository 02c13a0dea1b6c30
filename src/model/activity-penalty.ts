/**
 * Spike-count regularisation: a term added to the training loss that makes every spike cost
 * something, so that training trades accuracy against activity (and with it the synaptic
 * operations a spiking chip spends). The penalties snnTorch and SpikingJelly users add by hand:
 * - "l1": the mean firing rate of each layer (spikes are >= 0, so this is the L1 norm of the
 *   spike trains over their size);
 * - "l2": the mean of the squared per-neuron rates (each neuron's spikes per step in a sample),
 *   which weighs a few busy neurons more than many quiet ones;
 * - "target": the squared distance of each layer's mean rate from a target rate.
 * Each chosen layer adds its own term; `weight` scales their sum against the cross-entropy. Like
 * Keras's activity regularisers it is part of the model's config (`activityPenalty`), so a run,
 * a search's best model and a resumed run carry it; the trainer adds it to the loss.
 */
import * as ops from "../core/index.js";
import { SpikemedError, type Tensor } from "../core/index.js";
import type { Module, Signal } from "./module.js";
import { NeuronLayer } from "./neurons.js";

export const ACTIVITY_PENALTY_KINDS = ["l1", "l2", "target"] as const;
export type ActivityPenaltyKind = (typeof ACTIVITY_PENALTY_KINDS)[number];

export interface ActivityPenalty {
  kind: ActivityPenaltyKind;
  /** Weight of the summed per-layer terms against the cross-entropy (>= 0). */
  weight: number;
  /** kind "target": the rate, in spikes per neuron per step, that each layer is pulled towards. */
  target?: number;
  /** Names of the spiking layers it applies to (e.g. lif1, lif2); every spiking layer when absent. */
  layers?: string[];
}

/** One spiking layer's output in one forward pass: [T, B, ...] spike trains of height `height`. */
export interface LayerSpikes {
  name: string;
  spikes: Tensor;
  height: number;
}

/** What is wrong with a penalty read from a file or the command line, or null when nothing is. */
export function activityPenaltyProblem(penalty: unknown): string | null {
  if (!penalty || typeof penalty !== "object" || Array.isArray(penalty)) return "an activity penalty is an object with kind and weight";
  const p = penalty as Record<string, unknown>;
  const known = ["kind", "weight", "target", "layers"];
  const extra = Object.keys(p).filter((k) => !known.includes(k));
  if (extra.length > 0) return `unknown setting ${extra.map((k) => `"${k}"`).join(", ")} (known: ${known.join(", ")})`;
  if (!(ACTIVITY_PENALTY_KINDS as readonly unknown[]).includes(p.kind)) return `kind must be one of ${ACTIVITY_PENALTY_KINDS.join(", ")}, got ${JSON.stringify(p.kind)}`;
  if (typeof p.weight !== "number" || !Number.isFinite(p.weight) || p.weight < 0) return `weight must be a finite number >= 0, got ${JSON.stringify(p.weight)}`;
  if (p.kind === "target" && (typeof p.target !== "number" || !(p.target >= 0 && p.target <= 1))) {
    return `kind target needs a target rate from 0 to 1 spikes per neuron per step, got ${JSON.stringify(p.target)}`;
  }
  if (p.kind !== "target" && p.target !== undefined) return `a target rate applies to kind target only, not ${String(p.kind)}`;
  if (p.layers !== undefined && (!Array.isArray(p.layers) || p.layers.length === 0 || !p.layers.every((l) => typeof l === "string" && l.length > 0))) {
    return "layers must be a non-empty list of layer names";
  }
  return null;
}

/**
 * Parses the command line's form: l1:WEIGHT, l2:WEIGHT or target:RATE:WEIGHT (e.g. l1:0.05,
 * target:0.02:1); an error that says what is accepted for anything else.
 */
export function parseActivityPenalty(text: string): ActivityPenalty {
  const parts = text.split(":");
  const kind = parts[0] as ActivityPenaltyKind;
  const numbers = parts.slice(1).map((s) => (s.trim() === "" ? NaN : Number(s)));
  const wanted = kind === "target" ? 2 : 1;
  if (!(ACTIVITY_PENALTY_KINDS as readonly string[]).includes(kind) || numbers.length !== wanted || numbers.some((n) => !Number.isFinite(n))) {
    throw new SpikemedError(`activity penalty "${text}": expected l1:WEIGHT, l2:WEIGHT or target:RATE:WEIGHT`, "e.g. l1:0.05 or target:0.02:1");
  }
  const penalty: ActivityPenalty = kind === "target" ? { kind, target: numbers[0], weight: numbers[1] } : { kind, weight: numbers[0] };
  const problem = activityPenaltyProblem(penalty);
  if (problem) throw new SpikemedError(`activity penalty "${text}": ${problem}`, "e.g. l1:0.05 or target:0.02:1");
  return penalty;
}

/** The penalty in words, for logs and reports. */
export function describeActivityPenalty(p: ActivityPenalty): string {
  const what = p.kind === "l1" ? "mean firing rate" : p.kind === "l2" ? "mean squared per-neuron rate" : `(mean rate - ${p.target})^2`;
  return `${p.weight} x ${what} of ${p.layers ? p.layers.join(", ") : "every spiking layer"}`;
}

/** One layer's term (before the weight), differentiable in the spikes. */
export function layerPenaltyTerm(kind: ActivityPenaltyKind, spikes: Tensor, height: number, target = 0): Tensor {
  const [T] = spikes.shape;
  switch (kind) {
    case "l1":
      return ops.scale(ops.mean(spikes), 1 / height);
    case "l2": {
      // Per sample and neuron: spikes per step over the T steps.
      const rates = ops.scale(ops.sum(spikes, 0), 1 / (T * height));
      return ops.mean(ops.square(rates));
    }
    case "target":
      return ops.square(ops.affine(ops.mean(spikes), 1 / height, -target));
  }
}

/** weight x the sum of the layers' terms: a scalar tensor in the autograd graph of the spikes. */
export function activityPenaltyLoss(penalty: ActivityPenalty, layers: readonly LayerSpikes[]): Tensor {
  if (layers.length === 0) throw new SpikemedError("activity penalty: no spiking layer to penalise");
  let total: Tensor | null = null;
  for (const l of layers) {
    const term = layerPenaltyTerm(penalty.kind, l.spikes, l.height, penalty.target);
    total = total ? ops.add(total, term) : term;
  }
  return ops.scale(total!, penalty.weight);
}

/**
 * Collects the spike trains of the penalised layers during a forward pass (pass `observe` in the
 * forward context); `check` refuses layer names the network does not have, once, before training.
 */
export class SpikeCollector {
  readonly collected: LayerSpikes[] = [];
  private readonly wanted: Set<string> | null;

  constructor(penalty: ActivityPenalty) {
    this.wanted = penalty.layers ? new Set(penalty.layers) : null;
  }

  /** Refuses a penalty that names layers the network lacks or that finds no spiking layer. */
  static check(penalty: ActivityPenalty, neuronLayers: readonly NeuronLayer[]): void {
    const spiking = neuronLayers.filter((l) => l.describe([1])[0].spiking !== false).map((l) => l.name);
    const missing = (penalty.layers ?? []).filter((name) => !spiking.includes(name));
    if (missing.length > 0) {
      throw new SpikemedError(`activity penalty: no spiking layer named ${missing.map((m) => `"${m}"`).join(", ")}`, `the network's spiking layers: ${spiking.join(", ") || "none"}`);
    }
    if (spiking.length === 0) throw new SpikemedError("activity penalty: the network has no spiking layer to penalise", "drop the activity penalty, or use a spiking model");
  }

  readonly observe = (layer: Module, _input: Signal, output: Signal): void => {
    if (!(layer instanceof NeuronLayer) || output.spikes !== true || output.static) return;
    if (this.wanted && !this.wanted.has(layer.name)) return;
    this.collected.push({ name: layer.name, spikes: output.x, height: layer.spikeHeight });
  };
}
