import { Rng, SpikemedError } from "../core/index.js";
import type { EncoderConfig } from "../encode/index.js";
import { activityPenaltyProblem, type ActivityPenalty } from "./activity-penalty.js";
import { BiLstm } from "./bilstm.js";
import { AppendFeatures, SampleFeatures } from "./features.js";
import { BatchNorm, Conv1d, Conv2d, Dense, Dropout, Flatten, Pool, ReLU } from "./layers.js";
import type { Module } from "./module.js";
import { IntegrateAndFire, Leaky, SpikingReLU, Synaptic } from "./neurons.js";
import { EulerNeuron, NIR_NEURON_MODELS, type NirNeuronModel } from "./euler-neuron.js";
import { SumPool } from "./sum-pool.js";
import { Scale, ThresholdSpikes } from "./scale-threshold.js";
import { Delay } from "./delay.js";
import { Residual } from "./residual.js";
import { encodedInputShape, Network, type Readout } from "./network.js";
import { SURROGATE_NAMES, surrogateFromString } from "./surrogates.js";

/** One layer of a model config; channel and feature counts of inputs are inferred. */
export type LayerConfig =
  | { type: "conv1d" | "conv2d"; filters: number; kernel: number; stride?: number; padding?: number | "same"; bias?: boolean }
  | { type: "dense"; units: number; bias?: boolean }
  | { type: "maxpool" | "avgpool" | "sumpool"; kernel: number; stride?: number; padding?: number }
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
  /** A NIR neuron model stepped by forward Euler (EulerNeuron; what `spikemed import` builds), its parameters saved with the weights. */
  | { type: "neuron"; model: NirNeuronModel; dt: number; recurrent?: "affine" | "linear"; surrogate?: string }
  /** NIR's Scale (a factor per element) and Threshold (a spike where an element exceeds its threshold), their values saved with the weights. */
  | { type: "scale" }
  | { type: "threshold"; surrogate?: string }
  /** NIR's Delay: each element's input of its delay earlier, in steps of dt seconds. */
  | { type: "delay"; dt: number }
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
  /** Names of per-sample scalar features given beside the signal (e.g. RR intervals), which an "append-features" layer adds in. */
  features?: string[];
  classes: number;
  timeSteps: number;
  encoder: EncoderConfig;
  readout: Readout;
  layers: LayerConfig[];
  /** Spike-count regularisation while training (activity-penalty.ts), e.g. { "kind": "l1", "weight": 0.05 }. */
  activityPenalty?: ActivityPenalty;
}

/** The settings (keys besides `type`) of the layer configs of type T. */
type SettingsOf<L, T> = L extends { type: infer U } ? (T extends U ? Exclude<Extract<keyof L, string>, "type"> : never) : never;

/** What a setting's value must be: null when `value` is one, else the expected form in words. */
type Check = (value: unknown) => string | null;

/** Largest count of units, filters or hidden cells: 16,384 dense units on a 4,096-wide input are already 67 million weights. */
const MAX_WIDTH = 16_384;
/** Largest kernel, stride or padding, in samples or pixels. */
const MAX_SPAN = 4_096;
/** Most simulation steps per input a model may take (the benchmarks use at most 64). */
export const MAX_TIME_STEPS = 10_000;
/** Residual blocks nest at most this deep (the deepest built-in model nests 1). */
export const MAX_BLOCK_DEPTH = 16;

const whole = (min: number, max: number): Check => (v) =>
  (typeof v === "number" && Number.isInteger(v) && v >= min && v <= max ? null : `a whole number from ${min} to ${max.toLocaleString("en-US")}`);
const finite = (test: (n: number) => boolean, words: string): Check => (v) => (typeof v === "number" && Number.isFinite(v) && test(v) ? null : words);
const flag: Check = (v) => (typeof v === "boolean" ? null : "true or false");
const choice = (...options: string[]): Check => (v) => (typeof v === "string" && options.includes(v) ? null : `one of ${options.join(", ")}`);
const either = (a: Check, b: Check): Check => (v) => (a(v) === null || b(v) === null ? null : `${a(v)}, or ${b(v)}`);
const surrogate: Check = (v) => {
  if (typeof v !== "string") return `a surrogate: one of ${SURROGATE_NAMES.join(", ")}, with an optional :parameter (e.g. arctan:2)`;
  try {
    surrogateFromString(v);
    return null;
  } catch (err) {
    return `a known surrogate (${(err as Error).message})`;
  }
};
const decay = finite((n) => n >= 0 && n <= 1, "a decay from 0 to 1");
const positive = finite((n) => n > 0, "a positive number");
const count = whole(1, MAX_WIDTH);
const span = whole(1, MAX_SPAN);
/** Residual blocks' layer lists, which checkConfigSettings walks itself. */
const LAYERS: Check = () => null;

/**
 * The settings each layer type reads besides `type`, with what each must be; a hand-written config
 * naming any other is refused. Required settings are listed in REQUIRED_SETTINGS.
 */
const LAYER_SETTINGS: { [T in LayerConfig["type"]]: { readonly [K in SettingsOf<LayerConfig, T>]: Check } } = {
  conv1d: { filters: count, kernel: span, stride: span, padding: either(whole(0, MAX_SPAN), choice("same")), bias: flag },
  conv2d: { filters: count, kernel: span, stride: span, padding: either(whole(0, MAX_SPAN), choice("same")), bias: flag },
  dense: { units: count, bias: flag },
  maxpool: { kernel: span, stride: span, padding: whole(0, MAX_SPAN) },
  avgpool: { kernel: span, stride: span, padding: whole(0, MAX_SPAN) },
  sumpool: { kernel: span, stride: span, padding: whole(0, MAX_SPAN) },
  flatten: {},
  dropout: { p: finite((n) => n >= 0 && n < 1, "a probability from 0 up to (not including) 1") },
  batchnorm: {},
  relu: {},
  lif: {
    beta: decay, tauM: positive, dt: positive, threshold: positive, reset: choice("subtract", "zero", "none"), vRest: finite(() => true, "a number"),
    learnBeta: flag, learnThreshold: flag, surrogate, output: choice("spikes", "membrane"), recompute: flag,
  },
  if: { threshold: positive, surrogate },
  synaptic: { alpha: decay, beta: decay, threshold: positive, surrogate },
  "spiking-relu": { dt: positive, spikingAware: flag, initialVoltage: choice("random", "zero") },
  neuron: { model: choice(...NIR_NEURON_MODELS), dt: positive, recurrent: choice("affine", "linear"), surrogate },
  scale: {},
  threshold: { surrogate },
  delay: { dt: positive },
  bilstm: { hidden: count, layers: whole(1, 16), stepFeatures: whole(1, MAX_SPAN) },
  "append-features": {},
  features: {},
  residual: { layers: LAYERS, shortcut: LAYERS },
};

const REQUIRED_SETTINGS: Partial<Record<LayerConfig["type"], readonly string[]>> = {
  conv1d: ["filters", "kernel"], conv2d: ["filters", "kernel"], dense: ["units"], maxpool: ["kernel"], avgpool: ["kernel"], sumpool: ["kernel"], neuron: ["model", "dt"], delay: ["dt"],
  dropout: ["p"], synaptic: ["alpha"], bilstm: ["hidden"], residual: ["layers"],
};

/**
 * A value as JSON for an error message (so "16" and 16 differ), cut to 80 characters; a value
 * nested too deep for JSON.stringify's recursion (a fuzzed config 5,000 levels deep) is named by
 * its kind instead of overflowing the stack while the error is being written.
 */
function shown(value: unknown): string {
  let json: string | undefined;
  try {
    json = JSON.stringify(value);
  } catch {
    return `${Array.isArray(value) ? "a list" : "an object"} nested too deep to show`;
  }
  if (json === undefined) return String(value);
  return json.length > 80 ? `${json.slice(0, 77)}...` : json;
}

function unknownLayerType(where: string, type: unknown): SpikemedError {
  return new SpikemedError(`${where}: unknown layer type ${shown(type)}`, `choose one of ${Object.keys(LAYER_SETTINGS).join(", ")}`);
}

const text: Check = (v) => (typeof v === "string" ? null : "text");
const MODEL_SETTINGS: Record<keyof ModelConfig, Check> = {
  name: text,
  description: text,
  inputShape: (v) => (Array.isArray(v) && v.length >= 1 && v.length <= 3 && v.every((n) => whole(1, 65_536)(n) === null) ? null : "a list of 1 to 3 whole numbers from 1 to 65,536, channels first"),
  features: (v) => (Array.isArray(v) && v.every((f) => typeof f === "string") ? null : "a list of feature names"),
  classes: whole(2, 1_000),
  timeSteps: whole(1, MAX_TIME_STEPS),
  encoder: (v) => (v && typeof v === "object" && !Array.isArray(v) && choice("direct", "rate", "latency", "delta")((v as { kind?: unknown }).kind) === null &&
    ["gain", "threshold"].every((k) => (v as Record<string, unknown>)[k] === undefined || finite(() => true, "")((v as Record<string, unknown>)[k]) === null)
    ? null : "an object { kind: direct, rate, latency or delta, and optional finite gain and threshold }"),
  readout: choice("mean", "sum", "max", "last"),
  layers: LAYERS,
  activityPenalty: (v) => {
    const problem = activityPenaltyProblem(v);
    return problem === null ? null : `an activity penalty such as { "kind": "l1", "weight": 0.05 } (${problem})`;
  },
};

/** Settings a hand-written config may leave out: they only describe the model. */
const OPTIONAL_MODEL_SETTINGS = ["name", "description", "features", "activityPenalty"];

/** "expected ..., got ..." with the value as JSON (so "16" and 16 differ). */
function wrong(where: string, expected: string, value: unknown): SpikemedError {
  return new SpikemedError(`${where}: expected ${expected}, got ${shown(value)}`);
}

/**
 * Refuses a model config that would be misread or break the build: settings its reader would
 * ignore (a misspelt `treshold`, a setting of another layer type), values of the wrong kind or
 * out of range (units "16", 1.5, -5 or 1e9; an unknown surrogate), and residual blocks nested
 * deeper than MAX_BLOCK_DEPTH, each naming the file (`where`) and the setting's path.
 */
export function checkConfigSettings(config: unknown, where: string): void {
  if (!config || typeof config !== "object" || Array.isArray(config)) throw new SpikemedError(`${where}: a model config is a JSON object`);
  const settings = config as Record<string, unknown>;
  const unknown = Object.keys(settings).filter((k) => !Object.hasOwn(MODEL_SETTINGS, k));
  if (unknown.length > 0) throw new SpikemedError(`${where}: unknown model setting${unknown.length > 1 ? "s" : ""} ${unknown.map((k) => `"${k}"`).join(", ")}`, `a model config has ${Object.keys(MODEL_SETTINGS).join(", ")}`);
  for (const [key, check] of Object.entries(MODEL_SETTINGS)) {
    if (settings[key] === undefined) {
      if (!OPTIONAL_MODEL_SETTINGS.includes(key)) throw new SpikemedError(`${where}: the model setting "${key}" is missing`, `a model config has ${Object.keys(MODEL_SETTINGS).join(", ")}`);
      continue;
    }
    const expected = check(settings[key]);
    if (expected !== null) throw wrong(`${where}: ${key}`, expected, settings[key]);
  }
  const checkLayers = (layers: unknown, path: string, depth: number): void => {
    if (!Array.isArray(layers)) throw new SpikemedError(`${where}: ${path} is not a list of layers`);
    layers.forEach((layer: unknown, i) => {
      const at = `${path}[${i}]`;
      if (!layer || typeof layer !== "object" || Array.isArray(layer)) throw new SpikemedError(`${where}: ${at} is not a layer object`);
      const type = (layer as { type?: unknown }).type;
      if (typeof type !== "string" || !Object.hasOwn(LAYER_SETTINGS, type)) throw unknownLayerType(`${where}: ${at}`, type);
      const checks: Readonly<Record<string, Check>> = LAYER_SETTINGS[type as LayerConfig["type"]];
      const names = Object.keys(checks);
      const values = layer as Record<string, unknown>;
      const extra = Object.keys(values).filter((k) => k !== "type" && !Object.hasOwn(checks, k));
      if (extra.length > 0)
        throw new SpikemedError(`${where}: ${at} (${type}) has no setting ${extra.map((k) => `"${k}"`).join(", ")}`,
          names.length > 0 ? `a ${type} layer takes ${names.join(", ")}` : `a ${type} layer takes no settings`);
      const missing = (REQUIRED_SETTINGS[type as LayerConfig["type"]] ?? []).filter((k) => values[k] === undefined);
      if (missing.length > 0) throw new SpikemedError(`${where}: ${at} (${type}) needs ${missing.map((k) => `"${k}"`).join(", ")}`, `a ${type} layer takes ${names.join(", ")}`);
      for (const [key, check] of Object.entries(checks)) {
        const expected = values[key] === undefined ? null : check(values[key]);
        if (expected !== null) throw wrong(`${where}: ${at}.${key} (${type})`, expected, values[key]);
      }
      if (type === "residual") {
        if (depth >= MAX_BLOCK_DEPTH) throw new SpikemedError(`${where}: ${at} nests residual blocks more than ${MAX_BLOCK_DEPTH} deep`, "flatten the blocks into a sequence");
        checkLayers(values.layers, `${at}.layers`, depth + 1);
        if (values.shortcut !== undefined) checkLayers(values.shortcut, `${at}.shortcut`, depth + 1);
      }
    });
  };
  checkLayers(settings.layers, "layers", 0);
}

/** The same model with every LIF layer in memory-saving mode (membranes recomputed in the backward pass). */
export function withMemorySaving(config: ModelConfig): ModelConfig {
  return { ...config, layers: mapLayerConfigs(config.layers, (l) => (l.type === "lif" ? { ...l, recompute: true } : l)) };
}

/**
 * The same model with the firing threshold and/or the membrane decay of every spiking LIF layer
 * learnt, one per neuron (snnTorch's learn_threshold and learn_beta); refused for a model without one.
 */
export function withLearnableNeurons(config: ModelConfig, learn: readonly ("threshold" | "beta")[]): ModelConfig {
  let changed = 0;
  const layers = mapLayerConfigs(config.layers, (l) => {
    if (l.type !== "lif" || l.output === "membrane") return l;
    changed++;
    return { ...l, ...(learn.includes("threshold") ? { learnThreshold: true } : {}), ...(learn.includes("beta") ? { learnBeta: true } : {}) };
  });
  if (changed === 0) throw new SpikemedError(`model "${config.name}" has no spiking LIF layer whose threshold or decay could be learnt`, "use a model with LIF layers, e.g. --model snn");
  return { ...config, layers };
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

/**
 * Builds the network a config describes, initialised from the seed. `classifier: false` accepts
 * any output (one neuron's trace, an imported graph's), not only `classes` >= 2 class scores.
 */
export function buildNetwork(config: ModelConfig, seed: number, { classifier = true } = {}): Network {
  const rng = new Rng(seed).fork(`init:${config.name}`);
  validate(config, classifier);
  const counts = new Map<string, number>();
  const name = (type: string): string => {
    const n = (counts.get(type) ?? 0) + 1;
    counts.set(type, n);
    return `${type}${n}`;
  };
  const { layers, shape } = buildLayers(config.layers, encodedInputShape(config), { config, rng, name, where: `model "${config.name}" layer ` });
  if (classifier && (shape.length !== 1 || shape[0] !== config.classes)) {
    throw new SpikemedError(`model "${config.name}": the last layer gives [${shape.join(", ")}] per sample, not ${config.classes} class scores`,
      `end the layers with { type: "dense", units: ${config.classes} }`);
  }
  return new Network(layers, config);
}

/**
 * buildNetwork for a config read from a file: an error that the build finds (shapes that do not
 * chain, a last layer that is not the class scores) names `source`, the file, before the model's
 * own layer path, so that a bad `--config` or run.json is one line naming the file.
 */
export function buildNetworkFrom(config: ModelConfig, seed: number, source: string): Network {
  try {
    return buildNetwork(config, seed);
  } catch (err) {
    if (!(err instanceof SpikemedError)) throw err;
    const fix = err.hint === undefined ? "" : `\n  fix: ${err.hint}`;
    throw new SpikemedError(`${source}: ${err.message.slice(0, err.message.length - fix.length)}`, err.hint);
  }
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

/**
 * The most weights one layer may hold: 2^29 float32 values (2 GiB, as much again for their
 * gradient). The largest built-in layer, gatti2025's first dense layer, holds 264 million.
 */
const MAX_LAYER_WEIGHTS = 2 ** 29;

/** Refuses a layer whose weights could not be allocated, before they are (a Float32Array of 5.7e9 values throws a bare RangeError). */
function checkWeightCount(where: string, weights: number): void {
  if (weights > MAX_LAYER_WEIGHTS) {
    throw new SpikemedError(`${where}: ${weights.toLocaleString("en-US")} weights, more than the ${MAX_LAYER_WEIGHTS.toLocaleString("en-US")} a layer may hold`, "use fewer units, filters or a smaller kernel, or pool before this layer");
  }
}

/**
 * Refuses a convolution kernel wider than its padded input (no tap of it could ever touch the
 * input; with "same" padding, wider than twice the input less one) and one with too many weights.
 */
function checkConvolution(where: string, l: { filters: number; kernel: number; padding?: number | "same" }, [channels, ...sides]: number[]): void {
  for (const side of sides) {
    const widest = l.padding === "same" ? 2 * side - 1 : side + 2 * (l.padding ?? 0);
    if (l.kernel > widest) throw new SpikemedError(`${where}: kernel ${l.kernel} is wider than its input (${side}${l.padding === "same" ? ", padded same" : ` + 2 x padding ${l.padding ?? 0}`})`, "use a smaller kernel");
  }
  checkWeightCount(where, l.filters * channels * l.kernel ** sides.length);
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
        checkConvolution(where, l, shape);
        layer = new Conv1d(name("conv"), shape[0], l.filters, l.kernel, rng, l);
        break;
      case "conv2d":
        if (shape.length !== 3) throw new SpikemedError(`${where}: needs [C, H, W] input, got [${shape.join(", ")}]`);
        checkConvolution(where, l, shape);
        layer = new Conv2d(name("conv"), shape[0], l.filters, l.kernel, rng, l);
        break;
      case "dense":
        if (shape.length !== 1) throw new SpikemedError(`${where}: needs a flat input, got [${shape.join(", ")}]`, "add { type: \"flatten\" } before it");
        checkWeightCount(where, shape[0] * l.units);
        layer = new Dense(name("dense"), shape[0], l.units, rng, l.bias ?? true);
        break;
      case "maxpool":
      case "avgpool":
      case "sumpool":
        if (l.padding !== undefined && !(Number.isInteger(l.padding) && l.padding >= 0 && 2 * l.padding <= l.kernel))
          throw new SpikemedError(`${where}: padding ${l.padding} must be a whole number from 0 to half the kernel (${Math.floor(l.kernel / 2)})`);
        layer = l.type === "sumpool"
          ? new SumPool(name(l.type), shape.length === 2 ? 1 : 2, l.kernel, l.stride ?? l.kernel, l.padding ?? 0)
          : new Pool(name(l.type), l.type === "maxpool" ? "max" : "avg", shape.length === 2 ? 1 : 2, l.kernel, l.stride ?? l.kernel, l.padding ?? 0);
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
      case "neuron":
        if (l.recurrent) checkWeightCount(where, shape.reduce((a, b) => a * b, 1) ** 2);
        layer = new EulerNeuron(name(l.model.toLowerCase()), shape, { ...l, surrogate: l.surrogate ? surrogateFromString(l.surrogate) : undefined }, rng);
        break;
      case "scale": layer = new Scale(name("scale"), shape); break;
      case "delay": layer = new Delay(name("delay"), shape, l.dt); break;
      case "threshold": layer = new ThresholdSpikes(name("threshold"), shape, l.surrogate ? surrogateFromString(l.surrogate) : undefined); break;
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

function validate(config: ModelConfig, classifier: boolean): void {
  const where = `model "${config.name}"`;
  if (!Number.isInteger(config.timeSteps) || config.timeSteps < 1) throw new SpikemedError(`${where}: timeSteps must be a positive integer, got ${config.timeSteps}`);
  if (classifier && (!Number.isInteger(config.classes) || config.classes < 2)) throw new SpikemedError(`${where}: classes must be at least 2, got ${config.classes}`);
  if (!Array.isArray(config.layers) || config.layers.length === 0) throw new SpikemedError(`${where}: no layers`);
}
