/**
 * Plain descriptions exchanged between the model code, the diagnostics and the energy
 * estimate. The model describes its layers; the diagnostics measure how active each layer's
 * input is on real data; the estimate turns both into operations and joules per inference.
 */

export type LayerType =
  | "conv1d"
  | "conv2d"
  | "dense"
  | "maxpool"
  | "avgpool"
  | "flatten"
  | "dropout"
  | "batchnorm"
  | "neuron"
  | "lstm"
  | "other";

export interface LayerDescription {
  /** Unique within the network; activity is keyed by it. */
  name: string;
  type: LayerType;
  /** Per sample, no batch dimension, channels first: (C, L) or (C, H, W); (F) for dense. */
  inputShape: number[];
  outputShape: number[];
  /** conv: [k] or [kh, kw]. */
  kernelSize?: number[];
  /** conv: input channels (defaults to inputShape[0]); dense: input features. */
  inChannels?: number;
  /** conv: output channels (filters); dense: output features (units). */
  outChannels?: number;
  /** neuron layers: true for LIF / IF / spiking ReLU, false for ReLU and other rate activations. */
  spiking?: boolean;
}

/** What the diagnostics measured on example data. */
export interface LayerActivity {
  /**
   * Per layer name: mean absolute input per input element per time step, i.e. spikes per
   * neuron per step for a layer fed by spikes (or the mean |value| for the analog first layer,
   * which is what KerasSpiking counts as that layer's input rate).
   */
  inputRates: Record<string, number>;
  /** Seconds per simulation step while measuring; converts per-step rates to Hz. */
  dt: number;
  /** Steps per inference while measuring. */
  timesteps: number;
}

export interface DeviceSpec {
  name: string;
  /** Event-based hardware: computes a synapse only when its input spikes. */
  spiking: boolean;
  /** Joules per synaptic operation (one multiply-accumulate on conventional hardware). */
  energyPerSynop: number;
  /** Joules per neuron update. */
  energyPerNeuronUpdate: number;
  description?: string;
  source?: string;
}

export interface EnergyParts {
  synop: number;
  neuron: number;
  total: number;
}

export interface LayerEnergyRow {
  name: string;
  type: LayerType;
  outputShape: number[];
  /** Input elements times the output units each one reaches (KerasSpiking's "Conn #"). */
  connections: number;
  /** Neuron updates per time step (KerasSpiking's "Neuron #"). */
  neurons: number;
  /** True unless this is a non-spiking activation (ReLU...) that a spiking device would convert. */
  spiking: boolean;
  /** Spikes per input element per step, or null when the layer has no connections to feed. */
  inputRatePerStep: number | null;
  inputRateHz: number | null;
  /** Synaptic operations per inference on event-based hardware: connections x rate x dt x T. */
  synopsEventBased: number;
  /** Neuron updates per inference on event-based hardware: neurons x T. */
  neuronUpdatesEventBased: number;
  /** Per device name: joules per inference by KerasSpiking's rules for that kind of device. */
  energy: Record<string, EnergyParts>;
}

export interface EnergyEstimate {
  rows: LayerEnergyRow[];
  devices: DeviceSpec[];
  /** Device step length (s) and steps per inference used for event-based devices. */
  dt: number;
  timesteps: number;
  /** Whether measured input rates were given (without them only non-spiking devices are priced). */
  measuredRates: boolean;
  totals: {
    connections: number;
    neurons: number;
    /** Neurons in spiking activation layers only. */
    spikingNeurons: number;
    synopsEventBased: number;
    neuronUpdatesEventBased: number;
    energy: Record<string, EnergyParts>;
  };
  /** Layers whose cost is unknown and counted as zero, and similar caveats. */
  warnings: string[];
}

export interface TwinComparisonRow {
  name: string;
  type: LayerType;
  /** ANN twin: every connection and neuron computed once per inference. */
  annOps: { synops: number; neuronUpdates: number };
  /** SNN on event-based hardware with the measured rates. */
  snnOps: { synops: number; neuronUpdates: number };
  /** Per device: joules per inference for each version on that device's per-operation costs. */
  energy: Record<string, { ann: number; snn: number }>;
}

export interface TwinComparison {
  rows: TwinComparisonRow[];
  devices: DeviceSpec[];
  dt: number;
  timesteps: number;
  totals: {
    annOps: { synops: number; neuronUpdates: number };
    snnOps: { synops: number; neuronUpdates: number };
    energy: Record<string, { ann: number; snn: number }>;
  };
}
