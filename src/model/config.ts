import { Rng, SpikemedError } from "../core/index.js";
import type { EncoderConfig } from "../encode/index.js";
import { BiLstm } from "./bilstm.js";
import { AppendFeatures, SampleFeatures } from "./features.js";
import { BatchNorm, Conv1d, Conv2d, Dense, Dropout, Flatten, Pool, ReLU } from "./layers.js";
import type { Module } from "./module.js";
import { IntegrateAndFire, Leaky, SpikingReLU, Synaptic } from "./neurons.js";
import { Residual } from "./residual.js";
import { encodedInputShape, Network, type Readout } from "./network.js";
import { surrogateFromString } from "./surrogates.js";

/** One layer of a model config; channel and feature counts of inputs are inferred. */
export type LayerConfig =
  | { type: "conv1d" | "conv2d"; filters: number; kernel: number; stride?: number; padding?: number | "same"; bias?: boolean }
  | { type: "dense"; units: number; bias?: boolean }
  | { type: "maxpool" | "avgpool"; kernel: number; stride?: number; padding?: number }
  | { type: "flatten" }
  | { type: "dropout"; p: number }
  | { type: "batchnorm" }
  | { type: "relu" }
  | { type: "lif"; beta?: number; tauM?: number; dt?: number; threshold?: number; reset?: "subtract" | "zero" | "none";
      vRest?: number; learnBeta?: boolean; learnThreshold?: boolean; surrogate?: string; output?: "spikes" | "membrane";
      recompute?: boolean }
  | { type: "if"; threshold?: number; surrogate?: string }
  | { type: "synaptic"; alpha: number; beta?: number; threshold?: number; surrogate?: string }
  | { type: "spiking-relu"; dt?: number; spikingAware?: boolean; initialVoltage?: "random" | "zero" }
  | { type: "bilstm"; hidden: number; layers?: number; stepFeatures?: number }
  | { type: "append-features" }
  /** The sample's features instead of its signal: the first layer of a network that reads only them. */
  | { type: "features" }
  /** The sum of `layers` and `shortcut` (default: the input itself); see Residual. */
  | { type: "residual"; layers: LayerConfig[]; shortcut?: LayerConfig[] };

/** A whole model, small enough to write by hand and stored with every run. */
export interface ModelConfig {
  name: string;
  description: string;
  /** One sample, channels first: [C, L] for signals, [C, H, W] for images. */
  inputShape: number[];
  /** Names of per-sample scalar features given after the signal (e.g. RR intervals), which an "append-features" layer adds in. */
  features?: string[];
  classes: number;
  timeSteps: number;
  encoder: EncoderConfig;
  readout: Readout;
  layers: LayerConfig[];
}

/** The settings (keys besides `type`) of the layer configs of type T. */
type SettingsOf<L, T> = L extends { type: infer U } ? (T extends U ? Exclude<Extract<keyof L, string>, "type"> : never) : never;

/** The settings each layer type reads besides `type`; a hand-written config naming any other is refused. */
const LAYER_SETTINGS: { [T in LayerConfig["type"]]: readonly SettingsOf<LayerConfig, T>[] } = {
  conv1d: ["filters", "kernel", "stride", "padding", "bias"],
  conv2d: ["filters", "kernel", "stride", "padding", "bias"],
  dense: ["units", "bias"],
  maxpool: ["kernel", "stride", "padding"],
  avgpool: ["kernel", "stride", "padding"],
  flatten: [],
  dropout: ["p"],
  batchnorm: [],
  relu: [],
  lif: ["beta", "tauM", "dt", "threshold", "reset", "vRest", "learnBeta", "learnThreshold", "surrogate", "output", "recompute"],
  if: ["threshold", "surrogate"],
  synaptic: ["alpha", "beta", "threshold", "surrogate"],
  "spiking-relu": ["dt", "spikingAware", "initialVoltage"],
  bilstm: ["hidden", "layers", "stepFeatures"],
  "append-features": [],
  features: [],
  residual: ["layers", "shortcut"],
};

function unknownLayerType(where: string, type: unknown): SpikemedError {
  return new SpikemedError(`${where}: unknown layer type ${JSON.stringify(type)}`, `choose one of ${Object.keys(LAYER_SETTINGS).join(", ")}`);
}

const MODEL_SETTINGS = ["name", "description", "inputShape", "features", "classes", "timeSteps", "encoder", "readout", "layers"];

/**
 * Refuses settings a model config's reader would ignore (a misspelt `treshold`, a setting of
 * another layer type), naming the file, the layer and the settings it does take.
 */
export function checkConfigSettings(config: unknown, where: string): void {
  if (!config || typeof config !== "object" || Array.isArray(config)) throw new SpikemedError(`${where}: a model config is a JSON object`);
  const unknown = Object.keys(config).filter((k) => !MODEL_SETTINGS.includes(k));
  if (unknown.length > 0) throw new SpikemedError(`${where}: unknown model setting${unknown.length > 1 ? "s" : ""} ${unknown.map((k) => `"${k}"`).join(", ")}`, `a model config has ${MODEL_SETTINGS.join(", ")}`);
  const checkLayers = (layers: unknown, path: string): void => {
    if (!Array.isArray(layers)) throw new SpikemedError(`${where}: ${path} is not a list of layers`);
    layers.forEach((layer: unknown, i) => {
      const at = `${path}[${i}]`;
      if (!layer || typeof layer !== "object") throw new SpikemedError(`${where}: ${at} is not a layer object`);
      const type = (layer as { type?: unknown }).type;
      if (typeof type !== "string" || !Object.hasOwn(LAYER_SETTINGS, type)) throw unknownLayerType(`${where}: ${at}`, type);
      const settings: readonly string[] = LAYER_SETTINGS[type as LayerConfig["type"]];
      const extra = Object.keys(layer).filter((k) => k !== "type" && !settings.includes(k));
      if (extra.length > 0)
        throw new SpikemedError(`${where}: ${at} (${type}) has no setting ${extra.map((k) => `"${k}"`).join(", ")}`,
          settings.length > 0 ? `a ${type} layer takes ${settings.join(", ")}` : `a ${type} layer takes no settings`);
      if (type === "residual") {
        checkLayers((layer as { layers?: unknown }).layers, `${at}.layers`);
        if ((layer as { shortcut?: unknown }).shortcut !== undefined) checkLayers((layer as { shortcut: unknown }).shortcut, `${at}.shortcut`);
      }
    });
  };
  checkLayers((config as { layers?: unknown }).layers, "layers");
}

/** The same model with every LIF layer in memory-saving mode (membranes recomputed in the backward pass). */
export function withMemorySaving(config: ModelConfig): ModelConfig {
  return { ...config, layers: mapLayerConfigs(config.layers, (l) => (l.type === "lif" ? { ...l, recompute: true } : l)) };
}

/**
 * `layers` with `change` applied to every layer, those inside residual blocks included (after their
 * insides); `change` gets the layer's index in `layers`, or -1 inside a block.
 */
export function mapLayerConfigs(layers: readonly LayerConfig[], change: (layer: LayerConfig, index: number) => LayerConfig, nested = false): LayerConfig[] {
  return layers.map((l, i) => change(l.type === "residual"
    ? { ...l, layers: mapLayerConfigs(l.layers, change, true), ...(l.shortcut ? { shortcut: mapLayerConfigs(l.shortcut, change, true) } : {}) }
    : l, nested ? -1 : i));
}

/** Builds the network a config describes, initialised from the seed. */
export function buildNetwork(config: ModelConfig, seed: number): Network {
  const rng = new Rng(seed).fork(`init:${config.name}`);
  validate(config);
  const counts = new Map<string, number>();
  const name = (type: string): string => {
    const n = (counts.get(type) ?? 0) + 1;
    counts.set(type, n);
    return `${type}${n}`;
  };
  const { layers, shape } = buildLayers(config.layers, encodedInputShape(config), { config, rng, name, where: `model "${config.name}" layer ` });
  if (shape.length !== 1 || shape[0] !== config.classes) {
    throw new SpikemedError(`model "${config.name}": the last layer gives [${shape.join(", ")}] per sample, not ${config.classes} class scores`,
      `end the layers with { type: "dense", units: ${config.classes} }`);
  }
  return new Network(layers, config);
}

interface LayerBuild {
  config: ModelConfig;
  rng: Rng;
  /** Unique layer names, numbered by type across the whole network. */
  name: (type: string) => string;
  /** Prefix of error messages, e.g. `model "m" layer `. */
  where: string;
  /** Inside a residual block. */
  nested?: boolean;
}

/** Builds a chain of layers from their configs, starting from `inputShape` per sample. */
function buildLayers(configs: readonly LayerConfig[], inputShape: number[], build: LayerBuild): { layers: Module[]; shape: number[] } {
  const { config, rng, name } = build;
  const layers: Module[] = [];
  let shape = inputShape;
  for (const [i, l] of configs.entries()) {
    const where = `${build.where}${i + 1} (${l.type})`;
    let layer: Module;
    switch (l.type) {
      case "conv1d":
        if (shape.length !== 2) throw new SpikemedError(`${where}: needs [C, L] input, got [${shape.join(", ")}]`);
        layer = new Conv1d(name("conv"), shape[0], l.filters, l.kernel, rng, l);
        break;
      case "conv2d":
        if (shape.length !== 3) throw new SpikemedError(`${where}: needs [C, H, W] input, got [${shape.join(", ")}]`);
        layer = new Conv2d(name("conv"), shape[0], l.filters, l.kernel, rng, l);
        break;
      case "dense":
        if (shape.length !== 1) throw new SpikemedError(`${where}: needs a flat input, got [${shape.join(", ")}]`, "add { type: \"flatten\" } before it");
        layer = new Dense(name("dense"), shape[0], l.units, rng, l.bias ?? true);
        break;
      case "maxpool":
      case "avgpool":
        if (l.padding !== undefined && !(Number.isInteger(l.padding) && l.padding >= 0 && 2 * l.padding <= l.kernel))
          throw new SpikemedError(`${where}: padding ${l.padding} must be a whole number from 0 to half the kernel (${Math.floor(l.kernel / 2)})`);
        layer = new Pool(name(l.type), l.type === "maxpool" ? "max" : "avg", shape.length === 2 ? 1 : 2, l.kernel, l.stride ?? l.kernel, l.padding ?? 0);
        break;
      case "flatten": layer = new Flatten(name("flatten")); break;
      case "dropout": layer = new Dropout(name("dropout"), l.p); break;
      case "batchnorm": layer = new BatchNorm(name("batchnorm"), shape[0]); break;
      case "relu": layer = new ReLU(name("relu")); break;
      case "lif": {
        const perNeuron = l.learnBeta || l.learnThreshold ? shape.reduce((a, b) => a * b, 1) : undefined;
        layer = new Leaky(name(l.output === "membrane" ? "integrator" : "lif"), {
          ...l, perNeuron, surrogate: l.surrogate ? surrogateFromString(l.surrogate) : undefined,
        });
        break;
      }
      case "if":
        layer = new IntegrateAndFire(name("if"), { threshold: l.threshold, surrogate: l.surrogate ? surrogateFromString(l.surrogate) : undefined });
        break;
      case "synaptic":
        layer = new Synaptic(name("synaptic"), { ...l, surrogate: l.surrogate ? surrogateFromString(l.surrogate) : undefined });
        break;
      case "spiking-relu": layer = new SpikingReLU(name("spikingrelu"), l); break;
      case "bilstm":
        if (shape.length !== 2) throw new SpikemedError(`${where}: needs [C, L] sequences, got [${shape.join(", ")}]`);
        layer = new BiLstm(name("bilstm"), shape, l.hidden, l.layers ?? 1, l.stepFeatures ?? 1, rng);
        break;
      case "append-features":
        if (!config.features?.length) throw new SpikemedError(`${where}: the model declares no features to append`, "list them in the config's \"features\"");
        layer = new AppendFeatures(name("features"), config.features.length);
        break;
      case "features":
        if (!config.features?.length) throw new SpikemedError(`${where}: the model declares no features to read`, "list them in the config's \"features\"");
        if (i !== 0 || build.nested) throw new SpikemedError(`${where}: reads the features in place of the signal, so it must be the first layer`, "use \"append-features\" to add them to a signal");
        layer = new SampleFeatures(name("features"), config.features.length);
        break;
      case "residual": {
        if (!Array.isArray(l.layers) || l.layers.length === 0) throw new SpikemedError(`${where}: needs "layers", the block's main path`);
        if (l.shortcut !== undefined && !Array.isArray(l.shortcut)) throw new SpikemedError(`${where}: "shortcut" must be a list of layers`);
        const blockName = name("residual");
        const inner = { ...build, nested: true };
        const main = buildLayers(l.layers, shape, { ...inner, where: `${where} main layer ` }).layers;
        const shortcut = buildLayers(l.shortcut ?? [], shape, { ...inner, where: `${where} shortcut layer ` }).layers;
        layer = new Residual(blockName, main, shortcut);
        break;
      }
      default:
        throw unknownLayerType(where, (l as { type: unknown }).type);
    }
    layers.push(layer);
    shape = layer.outputShape(shape);
  }
  return { layers, shape };
}

function validate(config: ModelConfig): void {
  const where = `model "${config.name}"`;
  if (!Number.isInteger(config.timeSteps) || config.timeSteps < 1) throw new SpikemedError(`${where}: timeSteps must be a positive integer, got ${config.timeSteps}`);
  if (!Number.isInteger(config.classes) || config.classes < 2) throw new SpikemedError(`${where}: classes must be at least 2, got ${config.classes}`);
  if (!Array.isArray(config.layers) || config.layers.length === 0) throw new SpikemedError(`${where}: no layers`);
}
