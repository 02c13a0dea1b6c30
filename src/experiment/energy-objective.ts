/**
 * Energy in the hyper-parameter search: `--objective METRIC@DEVICE<=JOULES` ranks first the trials
 * whose estimated joules per inference on DEVICE stay within the bound (by the metric), then the
 * others (cheapest first); `--objective METRIC@DEVICE` ranks by the Pareto front of the metric
 * against joules per inference (the front first, by metric), and the report plots it. Each fold's
 * network is priced from the spike rates it emits on its held-out samples, as a run's energy.md.
 */
import path from "node:path";
import { Rng, SpikemedError } from "../core/index.js";
import { estimateEnergy, loadDeviceCatalog } from "../energy/index.js";
import { paretoFront, tradeOffSection, writeFileAtomic } from "../eval/index.js";
import type { Network } from "../model/index.js";
import type { ClassificationData } from "../train/index.js";
import { exampleBatches } from "./run.js";

export interface EnergyObjective {
  /** A built-in device (loihi, cpu...). */
  device: string;
  /** Joules per inference a trial may cost; absent: rank by the Pareto front instead. */
  bound?: number;
}

/** "balanced_accuracy@loihi<=2e-8" as the metric's text and the energy part; the text alone when it has none. */
export function splitEnergyObjective(text: string): { metric: string; energy?: EnergyObjective } {
  const at = text.indexOf("@");
  if (at < 0) return { metric: text };
  const fix = "write METRIC@DEVICE (rank by the Pareto front of the metric against J per inference) or METRIC@DEVICE<=JOULES (best metric within the bound), e.g. balanced_accuracy@loihi<=2e-8";
  const match = /^([a-z0-9][a-z0-9._-]*)(?:<=(.+))?$/.exec(text.slice(at + 1).trim().toLowerCase());
  if (!match) throw new SpikemedError(`search objective "${text}": no device after @`, fix);
  const [, device, boundText] = match;
  const devices = [...loadDeviceCatalog().keys()];
  if (!devices.includes(device)) throw new SpikemedError(`search objective "${text}": unknown device "${device}"`, `choose from ${devices.join(", ")}`);
  if (boundText === undefined) return { metric: text.slice(0, at), energy: { device } };
  const bound = Number(boundText);
  if (!(Number.isFinite(bound) && bound > 0)) throw new SpikemedError(`search objective "${text}": the bound must be a positive number of joules, got "${boundText}"`, fix);
  return { metric: text.slice(0, at), energy: { device, bound } };
}

/** The energy part in words, for reports. */
export function describeEnergyObjective(energy: EnergyObjective): string {
  return energy.bound === undefined ? `against J per inference on ${energy.device} (Pareto front)` : `with at most ${energy.bound} J per inference on ${energy.device}`;
}

/** Joules per inference of a trained network on every built-in device, from its spike rates on `indices` (up to 4 batches of 32). */
export function networkJoules(network: Network, data: ClassificationData, indices: Int32Array): Record<string, number> {
  const activity = network.measureInputRates(exampleBatches(data, indices, 4, 32), new Rng(0));
  const estimate = estimateEnergy(network.describe(), activity, { devices: [...loadDeviceCatalog().values()] });
  return Object.fromEntries(Object.entries(estimate.totals.energy).map(([device, e]) => [device, e.total]));
}

interface Ranked { index: number; score: number; joules?: Record<string, number> }

function joulesOn<T extends Ranked>(result: T, device: string): number {
  const joules = result.joules?.[device];
  if (joules === undefined) {
    throw new SpikemedError(`search: trial ${result.index + 1} has no energy estimate (its folds were saved before energy was estimated)`,
      "delete its fold files under trials/ to train them again, or search without @DEVICE");
  }
  return joules;
}

/**
 * Best first. With a bound: trials within it by score, then those over it by cost. Without: the
 * Pareto front by score, then the rest by score. Ties keep the trials' order.
 */
export function rankWithEnergy<T extends Ranked>(results: readonly T[], energy: EnergyObjective): T[] {
  const cost = (r: T): number => joulesOn(r, energy.device);
  if (energy.bound !== undefined) {
    const bound = energy.bound;
    return [...results].sort((a, b) => {
      const aIn = cost(a) <= bound, bIn = cost(b) <= bound;
      if (aIn !== bIn) return aIn ? -1 : 1;
      return (aIn ? b.score - a.score : cost(a) - cost(b)) || a.index - b.index;
    });
  }
  const front = paretoFront(results.map((r) => ({ label: String(r.index), score: r.score, joules: cost(r) })));
  const onFront = new Map(results.map((r, i) => [r, front[i]]));
  return [...results].sort((a, b) => Number(onFront.get(b)) - Number(onFront.get(a)) || b.score - a.score || a.index - b.index);
}

/**
 * The search report's energy section: each trial's metric against J per inference on the device,
 * the Pareto front marked, and the plot written beside the report as search-energy.svg.
 */
export function energySearchSection<T extends Ranked>(results: readonly T[], energy: EnergyObjective, metricName: string, outDir: string, labelOf: (r: T) => string): string[] {
  const file = "search-energy.svg";
  const points = results.map((r) => ({ label: labelOf(r), score: r.score, joules: joulesOn(r, energy.device) }));
  const section = tradeOffSection(points, energy.device, metricName, file);
  writeFileAtomic(path.join(outDir, file), section.svg);
  const bound = energy.bound === undefined ? "" : `Bound: ${energy.bound} J per inference; trials within it rank first, by ${metricName}.\n\n`;
  return ["## Energy", "", `Estimated joules per inference on ${energy.device}, from the spike rates each fold's network emits on its held-out samples ` +
    "(KerasSpiking's constants, as a run's energy.md), averaged over folds and seeds. " + bound, section.markdown];
}
