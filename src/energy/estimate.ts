import { SpikemedError } from "../core/errors.js";
import type {
  DeviceSpec,
  EnergyEstimate,
  EnergyParts,
  LayerActivity,
  LayerDescription,
  LayerEnergyRow,
  TwinComparison,
  TwinComparisonRow,
} from "./types.js";

/**
 * Energy per inference, counted the way KerasSpiking's ModelEnergy counts it so that its
 * published figures can be reproduced:
 * - connections: conv = output size x kernel area x input channels; dense = output size x
 *   input features (times any spatial positions it is applied at);
 * - neurons: output size of an activation layer (spiking or not); zero elsewhere;
 * - pooling, flatten, dropout and (folded) batch norm cost nothing; unknown layers cost
 *   nothing and raise a warning, as KerasSpiking's fallback does;
 * - a non-spiking device computes every connection and neuron once per inference;
 * - a spiking device computes connections x input rate (Hz) x dt x timesteps synaptic
 *   operations and neurons x timesteps neuron updates.
 */

/** KerasSpiking's default step length, used when neither the options nor the activity give one. */
export const DEFAULT_DT = 0.001;

export interface EstimateOptions {
  devices: readonly DeviceSpec[];
  /** Step length on the device (s); defaults to the activity's dt, else 0.001 s. */
  dt?: number;
  /** Steps per inference on the device; defaults to the activity's timesteps, else 1. */
  timesteps?: number;
}

export interface LayerStats {
  connections: number;
  neurons: number;
  spiking: boolean;
  /** Set when the layer's cost is unknown and therefore counted as zero. */
  warning?: string;
}

function product(shape: readonly number[]): number {
  let size = 1;
  for (const d of shape) size *= d;
  return size;
}

function layerError(layer: LayerDescription, problem: string): SpikemedError {
  return new SpikemedError(`energy: layer "${layer.name}" (${layer.type}): ${problem}`);
}

function checkShape(layer: LayerDescription, field: "inputShape" | "outputShape"): void {
  const shape = layer[field];
  if (!Array.isArray(shape) || shape.length === 0 || !shape.every((d) => Number.isInteger(d) && d > 0)) {
    throw layerError(layer, `${field} must be a non-empty list of positive integers, got ${JSON.stringify(shape)}`);
  }
}

function positiveInteger(layer: LayerDescription, field: string, value: number | undefined): number {
  if (value === undefined || !Number.isInteger(value) || value <= 0) {
    throw layerError(layer, `${field} must be a positive integer, got ${JSON.stringify(value)}`);
  }
  return value;
}

/** Connections and neurons of one layer, per time step and sample. */
export function layerStats(layer: LayerDescription): LayerStats {
  checkShape(layer, "inputShape");
  checkShape(layer, "outputShape");
  const outputSize = product(layer.outputShape);
  switch (layer.type) {
    case "conv1d":
    case "conv2d": {
      const dims = layer.type === "conv1d" ? 1 : 2;
      const kernel = layer.kernelSize;
      if (!Array.isArray(kernel) || kernel.length !== dims || !kernel.every((k) => Number.isInteger(k) && k > 0)) {
        throw layerError(layer, `kernelSize must list ${dims} positive integer(s), got ${JSON.stringify(kernel)}`);
      }
      const inChannels = positiveInteger(layer, "inChannels", layer.inChannels ?? layer.inputShape[0]);
      return { connections: outputSize * product(kernel) * inChannels, neurons: 0, spiking: true };
    }
    case "dense": {
      const inFeatures = positiveInteger(layer, "inChannels", layer.inChannels ?? layer.inputShape[layer.inputShape.length - 1]);
      const outFeatures = positiveInteger(layer, "outChannels", layer.outChannels ?? layer.outputShape[layer.outputShape.length - 1]);
      // A dense layer applied at several positions (a sequence) repeats its weights at each one.
      const positions = outputSize / outFeatures;
      if (!Number.isInteger(positions)) {
        throw layerError(layer, `output size ${outputSize} is not a multiple of outChannels ${outFeatures}`);
      }
      return { connections: positions * inFeatures * outFeatures, neurons: 0, spiking: true };
    }
    case "neuron":
      if (typeof layer.spiking !== "boolean") {
        throw layerError(layer, "spiking must be true (LIF, IF, spiking ReLU) or false (ReLU and other rate activations)");
      }
      return { connections: 0, neurons: outputSize, spiking: layer.spiking };
    case "maxpool":
    case "avgpool":
    case "flatten":
    case "dropout":
    case "batchnorm":
      return { connections: 0, neurons: 0, spiking: true };
    case "lstm":
    case "other":
      return {
        connections: 0,
        neurons: 0,
        spiking: true,
        warning: `layer "${layer.name}" (${layer.type}): cost unknown, counted as zero`,
      };
    default:
      throw layerError(layer, "unknown layer type");
  }
}

function positiveNumber(value: number, option: string): number {
  if (typeof value !== "number" || !Number.isFinite(value) || value <= 0) {
    throw new SpikemedError(`energy: ${option} must be a positive number, got ${JSON.stringify(value)}`);
  }
  return value;
}

interface Timing {
  dt: number;
  timesteps: number;
}

function resolveTiming(activity: LayerActivity | null, options: { dt?: number; timesteps?: number }): Timing {
  if (activity) {
    positiveNumber(activity.dt, "activity dt");
    positiveNumber(activity.timesteps, "activity timesteps");
  }
  return {
    dt: positiveNumber(options.dt ?? activity?.dt ?? DEFAULT_DT, "dt"),
    timesteps: positiveNumber(options.timesteps ?? activity?.timesteps ?? 1, "timesteps"),
  };
}

interface CountedLayer {
  layer: LayerDescription;
  stats: LayerStats;
  ratePerStep: number | null;
  rateHz: number | null;
  synopsEventBased: number;
  neuronUpdatesEventBased: number;
}

function countLayers(
  layers: readonly LayerDescription[],
  activity: LayerActivity | null,
  timing: Timing,
  needRates: boolean,
): CountedLayer[] {
  if (layers.length === 0) throw new SpikemedError("energy: the network has no layers");
  const seen = new Set<string>();
  return layers.map((layer) => {
    if (typeof layer.name !== "string" || layer.name.length === 0) {
      throw new SpikemedError(`energy: a layer of type ${layer.type} has no name`);
    }
    if (seen.has(layer.name)) throw layerError(layer, "the layer name is used twice; names must be unique");
    seen.add(layer.name);
    const stats = layerStats(layer);
    const measured = activity?.inputRates[layer.name];
    if (measured !== undefined && (typeof measured !== "number" || !Number.isFinite(measured) || measured < 0)) {
      throw layerError(layer, `measured input rate must be a finite number >= 0, got ${JSON.stringify(measured)}`);
    }
    if (needRates && stats.connections > 0 && measured === undefined) {
      throw layerError(
        layer,
        "no measured input rate; spiking devices and the ANN comparison need the input rate of every conv/dense layer",
      );
    }
    const ratePerStep = measured ?? null;
    const rateHz = ratePerStep === null || !activity ? null : ratePerStep / activity.dt;
    return {
      layer,
      stats,
      ratePerStep,
      rateHz,
      // events/s x s/step x steps/inference x operations/event
      synopsEventBased: rateHz === null ? 0 : stats.connections * rateHz * timing.dt * timing.timesteps,
      neuronUpdatesEventBased: stats.neurons * timing.timesteps,
    };
  });
}

function parts(synop: number, neuron: number): EnergyParts {
  return { synop, neuron, total: synop + neuron };
}

function deviceEnergy(counted: CountedLayer, device: DeviceSpec): EnergyParts {
  if (device.spiking) {
    return parts(
      device.energyPerSynop * counted.synopsEventBased,
      device.energyPerNeuronUpdate * counted.neuronUpdatesEventBased,
    );
  }
  return parts(device.energyPerSynop * counted.stats.connections, device.energyPerNeuronUpdate * counted.stats.neurons);
}

function checkDevices(devices: readonly DeviceSpec[]): void {
  if (devices.length === 0) throw new SpikemedError("energy: no device chosen", "pass at least one device (e.g. loihi,cpu)");
}

/**
 * Per-layer operations and joules per inference on each device. `activity` may be null when
 * only non-spiking devices are asked for (their cost does not depend on activity).
 */
export function estimateEnergy(
  layers: readonly LayerDescription[],
  activity: LayerActivity | null,
  options: EstimateOptions,
): EnergyEstimate {
  checkDevices(options.devices);
  const needRates = options.devices.some((d) => d.spiking);
  if (needRates && !activity) {
    const names = options.devices.filter((d) => d.spiking).map((d) => d.name);
    throw new SpikemedError(
      `energy: spiking device(s) ${names.join(", ")} need measured input rates`,
      "give example data so the diagnostics can measure each layer's input rate",
    );
  }
  const timing = resolveTiming(activity, options);
  const counted = countLayers(layers, activity, timing, needRates);

  const totalEnergy: Record<string, EnergyParts> = {};
  for (const device of options.devices) totalEnergy[device.name] = parts(0, 0);
  const totals = {
    connections: 0,
    neurons: 0,
    spikingNeurons: 0,
    synopsEventBased: 0,
    neuronUpdatesEventBased: 0,
    energy: totalEnergy,
  };
  const warnings: string[] = [];
  const rows: LayerEnergyRow[] = counted.map((c) => {
    const energy: Record<string, EnergyParts> = {};
    for (const device of options.devices) {
      const e = deviceEnergy(c, device);
      energy[device.name] = e;
      const sum = totalEnergy[device.name];
      totalEnergy[device.name] = parts(sum.synop + e.synop, sum.neuron + e.neuron);
    }
    totals.connections += c.stats.connections;
    totals.neurons += c.stats.neurons;
    if (c.layer.type === "neuron" && c.stats.spiking) totals.spikingNeurons += c.stats.neurons;
    totals.synopsEventBased += c.synopsEventBased;
    totals.neuronUpdatesEventBased += c.neuronUpdatesEventBased;
    if (c.stats.warning) warnings.push(c.stats.warning);
    return {
      name: c.layer.name,
      type: c.layer.type,
      outputShape: [...c.layer.outputShape],
      connections: c.stats.connections,
      neurons: c.stats.neurons,
      spiking: c.stats.spiking,
      inputRatePerStep: c.ratePerStep,
      inputRateHz: c.rateHz,
      synopsEventBased: c.synopsEventBased,
      neuronUpdatesEventBased: c.neuronUpdatesEventBased,
      energy,
    };
  });
  const rateActivations = counted.filter((c) => c.layer.type === "neuron" && !c.stats.spiking).map((c) => c.layer.name);
  if (needRates && rateActivations.length > 0) {
    warnings.push(
      `non-spiking activation(s) ${rateActivations.join(", ")}: spiking-device figures assume they are converted to spiking neurons`,
    );
  }
  return {
    rows,
    devices: [...options.devices],
    dt: timing.dt,
    timesteps: timing.timesteps,
    measuredRates: activity !== null,
    totals,
    warnings,
  };
}

/**
 * The SNN on event-based hardware against its ANN twin (same layers, rate activations, every
 * connection and neuron computed once per inference), both priced with each device's
 * per-operation costs, so that each layer shows whether spikes save work there.
 */
export function compareWithAnnTwin(
  layers: readonly LayerDescription[],
  activity: LayerActivity,
  options: EstimateOptions,
): TwinComparison {
  checkDevices(options.devices);
  const timing = resolveTiming(activity, options);
  const counted = countLayers(layers, activity, timing, true);
  const totals = {
    annOps: { synops: 0, neuronUpdates: 0 },
    snnOps: { synops: 0, neuronUpdates: 0 },
    energy: {} as Record<string, { ann: number; snn: number }>,
  };
  for (const device of options.devices) totals.energy[device.name] = { ann: 0, snn: 0 };
  const rows: TwinComparisonRow[] = counted.map((c) => {
    const annOps = { synops: c.stats.connections, neuronUpdates: c.stats.neurons };
    const snnOps = { synops: c.synopsEventBased, neuronUpdates: c.neuronUpdatesEventBased };
    const energy: Record<string, { ann: number; snn: number }> = {};
    for (const device of options.devices) {
      const ann = device.energyPerSynop * annOps.synops + device.energyPerNeuronUpdate * annOps.neuronUpdates;
      const snn = device.energyPerSynop * snnOps.synops + device.energyPerNeuronUpdate * snnOps.neuronUpdates;
      energy[device.name] = { ann, snn };
      totals.energy[device.name].ann += ann;
      totals.energy[device.name].snn += snn;
    }
    totals.annOps.synops += annOps.synops;
    totals.annOps.neuronUpdates += annOps.neuronUpdates;
    totals.snnOps.synops += snnOps.synops;
    totals.snnOps.neuronUpdates += snnOps.neuronUpdates;
    return { name: c.layer.name, type: c.layer.type, annOps, snnOps, energy };
  });
  return { rows, devices: [...options.devices], dt: timing.dt, timesteps: timing.timesteps, totals };
}
