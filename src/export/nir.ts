/**
 * spikemed networks as NIR graphs (the Neuromorphic Intermediate Representation of
 * neuromorphs/NIR), the format snnTorch, Norse, SpikingJelly, Lava, Sinabs and neuromorphic
 * hardware toolchains read. Parameter names and shapes are NIR's own (snake_case), so the writer
 * can store them as they are.
 *
 * Neurons: spikemed's LIF is discrete, U[t] = beta*U[t-1] + I[t] (minus the reset); NIR's is
 * continuous, tau*dv/dt = (v_leak - v) + r*I. As snnTorch's export_to_nir, a forward-Euler step
 * of dt seconds links them: tau = dt/(1 - beta) and r = tau/dt, so that one step of the NIR
 * neuron is exactly one spikemed step (beta = 1 - dt/tau, input gain r*dt/tau = 1).
 */
import { SpikemedError, type Tensor } from "../core/index.js";
import {
  AppendFeatures, BatchNorm, BiLstm, Conv1d, Conv2d, Delay, Dense, Dropout, EulerNeuron, Flatten, Leaky, NeuronLayer, Pool, ReLU, Residual, Scale, SpikingReLU, SumPool, Synaptic, ThresholdSpikes,
  allLayers, readsOnlyFeatures, type LayerConfig, type ModelConfig, type Module, type Network,
} from "../model/index.js";
import { DEFAULT_NIR_DT, type SpikemedNodeLayer } from "./nir-format.js";

export { DEFAULT_NIR_DT };

export type NirNodeType =
  | "Input" | "Output" | "Affine" | "Linear" | "Conv1d" | "Conv2d" | "AvgPool2d" | "SumPool2d" | "Flatten"
  | "LIF" | "LI" | "IF" | "I" | "CubaLIF" | "CubaLI" | "Threshold" | "Scale" | "Delay";

/** A parameter as NIR stores it: float32 arrays, int64 arrays or scalars (shape []). */
export type NirValue =
  | { dtype: "float32"; shape: number[]; data: Float32Array }
  | { dtype: "int64"; shape: number[]; data: number[] };

export interface NirNode {
  name: string;
  type: NirNodeType;
  /** The node's fields under NIR's names (tau, v_threshold, weight, ...). */
  params: Record<string, NirValue>;
  /** Shape of one sample flowing in and out (no batch or time axis), as NIR's input_type/output_type. */
  inputType: number[];
  outputType: number[];
  /** The spikemed layers this node stands for (a convolution and the batch norm folded into it). */
  source: string[];
}

export interface NirGraph {
  nodes: NirNode[];
  edges: [string, string][];
  /** Graph metadata (NIR: informative only, never needed to run the graph). */
  metadata: Record<string, string | number>;
  /** Seconds per step the time constants were derived with. */
  dt: number;
  /** Layers that run differently in NIR than in spikemed, one line each. */
  warnings: string[];
  /** Exact re-expressions worth knowing (an average pool as a grouped convolution, ...). */
  notes: string[];
}

export interface NirExportOptions {
  /** Seconds per step for tau = dt/(1 - beta); snnTorch's export uses 1e-4 (an imported network's own step by default). */
  dt?: number;
  /** The run the network comes from, recorded in the graph's metadata so that `spikemed import` can write a run folder again. */
  run?: { task: string; classNames: string[]; data: unknown };
}

/** Converts a network to an in-memory NIR graph; throws a SpikemedError for what NIR cannot express. */
export function toNirGraph(network: Network, options: NirExportOptions = {}): NirGraph {
  // Layers from spikemed import step NIR's dynamics by their own dt: the graph is written with it.
  const eulerDt = allLayers(network.layers).find((l): l is EulerNeuron | Delay => l instanceof EulerNeuron || l instanceof Delay)?.dt;
  const dt = options.dt ?? eulerDt ?? DEFAULT_NIR_DT;
  if (!(Number.isFinite(dt) && dt > 0)) throw new SpikemedError(`export: dt must be a positive number of seconds, got ${options.dt}`);
  if (eulerDt !== undefined && eulerDt !== dt) throw new SpikemedError(`export: the network's NIR neurons and delays step by dt = ${eulerDt} s, not ${dt}`, `export with --dt ${eulerDt}`);
  const ctx: Context = { dt, warnings: [], notes: [], configs: layerConfigs(network), recorded: {} };
  // A network that reads only its sample's features takes them as the graph's input.
  const readsFeatures = readsOnlyFeatures(network);
  const inputShape = readsFeatures ? network.layers[0].outputShape(network.encodedShape()) : network.encodedShape();
  if (readsFeatures) ctx.notes.push(`the graph's input is the model's ${inputShape[0]} features per sample (${network.options.features?.join(", ")}), the same at every step`);
  const nodes: NirNode[] = [{
    name: "input", type: "Input", params: { shape: ints(inputShape, [inputShape.length]) },
    inputType: inputShape, outputType: inputShape, source: [],
  }];
  const edges: [string, string][] = [];
  const { tails, shape } = exportChain(readsFeatures ? network.layers.slice(1) : network.layers, [nodes[0]], inputShape, { ...ctx, nodes, edges, pendingFeatures: null });
  nodes.push({ name: "output", type: "Output", params: { shape: ints(shape, [shape.length]) }, inputType: shape, outputType: shape, source: [] });
  for (const tail of tails) edges.push([tail.name, "output"]);
  const names = new Set<string>();
  for (const n of nodes) {
    if (names.has(n.name)) throw new SpikemedError(`export: two NIR nodes would be named "${n.name}"`, "rename the layer so that no name repeats or equals input/output");
    names.add(n.name);
  }
  // The types of the nodes written for spikemed's discrete neurons (an imported NIR neuron keeps its own parameters).
  const types = new Set(nodes.filter((n) => n.source.some((name) => !(layerNamed(network, name) instanceof EulerNeuron))).map((n) => n.type));
  if (types.has("LIF") || types.has("LI") || types.has("CubaLIF")) {
    ctx.notes.push(`time constants assume a forward-Euler step of dt = ${dt} s (tau = dt/(1 - beta), r = tau/dt, as snnTorch's export); simulate the graph with that step`);
  }
  if (types.has("IF") || types.has("I")) ctx.notes.push("IF and I nodes have r = 1: each step adds the input once (snnTorch's reading of NIR's IF)");
  if (eulerDt !== undefined) ctx.notes.push(`NIR neurons (LIF, CubaLIF, ... layers from spikemed import) keep their own parameters; spikemed steps them by forward Euler with dt = ${dt} s`);
  if (network.options.encoder.kind !== "direct" && !readsFeatures) {
    ctx.notes.push(`the graph's input is the ${network.options.encoder.kind}-encoded spike train [${inputShape.join(", ")}] per step; the encoder itself is not part of the graph`);
  }
  ctx.notes.push(`the output node gives the class scores of every step; spikemed's "${network.options.readout}" readout over the ${network.options.timeSteps} steps is left to the user`);
  const { layers: _layers, ...model } = network.options as Partial<ModelConfig>;
  return {
    nodes, edges, dt, warnings: ctx.warnings, notes: ctx.notes,
    metadata: {
      source: "spikemed", dt, time_steps: network.options.timeSteps, readout: network.options.readout, encoder: network.options.encoder.kind,
      // spikemed's own description of what NIR leaves open (the model's settings, its neurons' discrete dynamics), for spikemed import.
      spikemed_model: JSON.stringify(model), spikemed_layers: JSON.stringify(ctx.recorded),
      ...(readsFeatures ? { spikemed_reads_features: 1 } : {}),
      ...(options.run ? { spikemed_run: JSON.stringify(options.run) } : {}),
    },
  };
}

function layerNamed(network: Network, name: string): Module | undefined {
  return allLayers(network.layers).find((l) => l.name === name);
}

/** Each layer's config (the network's options hold the model config it was built from), matched to the layers in the order they run; empty when unknown. */
function layerConfigs(network: Network): Map<Module, LayerConfig> {
  const configs = (network.options as Partial<ModelConfig>).layers;
  if (!configs) return new Map();
  const flat = (ls: readonly LayerConfig[]): LayerConfig[] => ls.flatMap((l) => [l, ...(l.type === "residual" ? [...flat(l.layers), ...flat(l.shortcut ?? [])] : [])]);
  const ordered = flat(configs);
  const modules = allLayers(network.layers);
  return ordered.length === modules.length ? new Map(modules.map((m, i) => [m, ordered[i]])) : new Map();
}

interface Context {
  dt: number;
  warnings: string[];
  notes: string[];
  configs: Map<Module, LayerConfig>;
  /** Per node, the spikemed layer it stands for where NIR's node does not pin down its dynamics. */
  recorded: Record<string, SpikemedNodeLayer>;
}

interface ChainContext extends Context {
  nodes: NirNode[];
  edges: [string, string][];
  /** Per-sample features an AppendFeatures layer adds to the next dense layer's input: that layer's feature columns become a Linear node fed by a second Input. */
  pendingFeatures: AppendFeatures | null;
}

/**
 * Appends the nodes of a chain of layers fed by `tails` (the nodes whose outputs sum into the
 * chain's input) and returns the chain's own tails. A residual block's two paths both start from
 * the block's input, and both of their ends feed the next node: NIR sums the edges that meet at a
 * node (as nirtorch runs a graph), which is the block's addition.
 */
function exportChain(layers: readonly Module[], tails: NirNode[], inputShape: number[], ctx: ChainContext): { tails: NirNode[]; shape: number[] } {
  let shape = inputShape;
  // Whether the tails are this chain's own nodes: a batch norm may fold only into those, not into a node that also feeds a block's other path.
  let own = false;
  for (const layer of layers) {
    checkName(layer.name);
    const outShape = layer.outputShape(shape);
    if (layer instanceof Dropout) {
      // Identity at inference.
    } else if (layer instanceof BatchNorm) {
      if (tails.length !== 1 || (!own && tails[0].type !== "Input")) {
        throw new SpikemedError(`export: batch norm "${layer.name}" follows ${tails.length !== 1 ? "a residual block's sum" : "the input of a residual block's path"}, which has no weights of its own to fold it into`,
          "place batch norm inside the block's paths, right after a conv or dense layer");
      }
      foldBatchNorm(layer, tails[0]);
    } else if (layer instanceof AppendFeatures) {
      ctx.pendingFeatures = layer;
    } else if (ctx.pendingFeatures && layer instanceof Dense) {
      const added = splitFeatures(layer, ctx.pendingFeatures, shape, outShape, ctx);
      for (const tail of tails) ctx.edges.push([tail.name, added.signal.name]);
      tails = [added.signal, added.features];
      ctx.pendingFeatures = null;
      own = false;
    } else if (layer instanceof Residual) {
      const main = exportChain(layer.main, tails, shape, ctx).tails;
      const shortcut = layer.shortcut.length ? exportChain(layer.shortcut, tails, shape, ctx).tails : tails;
      tails = [...main, ...shortcut];
      own = false;
    } else {
      if (ctx.pendingFeatures) {
        throw new SpikemedError(`export: layer "${ctx.pendingFeatures.name}" adds per-sample features that no dense layer takes in before "${layer.name}"`,
          "follow \"append-features\" with a dense layer (dropout between is fine)");
      }
      const added = convert(layer, shape, outShape, ctx);
      for (const tail of tails) ctx.edges.push([tail.name, added[0].name]);
      added.slice(1).forEach((n, i) => ctx.edges.push([added[i].name, n.name]));
      ctx.nodes.push(...added);
      tails = [added[added.length - 1]];
      own = true;
      const config = ctx.configs.get(layer);
      if (config && (layer instanceof NeuronLayer && !(layer instanceof EulerNeuron) && !(layer instanceof ThresholdSpikes) && !(layer instanceof Delay) || (layer instanceof Pool && layer.dims === 1))) {
        const beta = layer instanceof Leaky && layer.beta.size > 1 ? Array.from(layer.beta.data) : undefined;
        ctx.recorded[added[0].name] = { layer: config, ...(beta ? { beta } : {}), ...(added.length > 1 ? { companions: added.slice(1).map((n) => n.name) } : {}) };
      }
      if (layer instanceof EulerNeuron && layer.recurrentWeight) {
        const loop = recurrentNode(layer, ctx);
        ctx.nodes.push(loop);
        ctx.edges.push([added[0].name, loop.name], [loop.name, added[0].name]);
      }
    }
    shape = outShape;
  }
  return { tails, shape };
}

function convert(layer: Module, inShape: number[], outShape: number[], ctx: Context): NirNode[] {
  const node = (type: NirNodeType, params: Record<string, NirValue>, name = layer.name): NirNode =>
    ({ name, type, params, inputType: inShape, outputType: outShape, source: [layer.name] });
  if (layer instanceof Conv1d) {
    const pad = convPadding(layer.name, layer.kernel, layer.options.padding);
    return [node("Conv1d", {
      input_shape: ints([inShape[1]], []), weight: floats(layer.weight), stride: ints([layer.options.stride ?? 1], []),
      padding: ints([pad], []), dilation: ints([1], []), groups: ints([1], []), bias: biasOf(layer.bias, layer.outChannels),
    })];
  }
  if (layer instanceof Conv2d) {
    const pad = convPadding(layer.name, layer.kernel, layer.options.padding);
    const stride = layer.options.stride ?? 1;
    return [node("Conv2d", {
      input_shape: ints(inShape.slice(1), [2]), weight: floats(layer.weight), stride: ints([stride, stride], [2]),
      padding: ints([pad, pad], [2]), dilation: ints([1, 1], [2]), groups: ints([1], []), bias: biasOf(layer.bias, layer.outChannels),
    })];
  }
  if (layer instanceof Dense) {
    return [layer.bias
      ? node("Affine", { weight: floats(layer.weight), bias: floats(layer.bias) })
      : node("Linear", { weight: floats(layer.weight) })];
  }
  if (layer instanceof Pool) return [convertPool(layer, inShape, outShape, ctx)];
  if (layer instanceof Delay) return [node("Delay", { delay: floats(layer.delay) })];
  if (layer instanceof Scale) return [node("Scale", { scale: floats(layer.scale) })];
  if (layer instanceof ThresholdSpikes) return [node("Threshold", { threshold: floats(layer.threshold) })];
  if (layer instanceof EulerNeuron) {
    return [node(layer.model, Object.fromEntries(Object.entries(layer.nir).map(([key, t]) => [key, floats(t)])))];
  }
  if (layer instanceof Flatten) {
    return [node("Flatten", { input_type: ints(inShape, [inShape.length]), start_dim: ints([0], []), end_dim: ints([-1], []) })];
  }
  if (layer instanceof Leaky) return convertLeaky(layer, inShape, ctx);
  if (layer instanceof SpikingReLU) return convertSpikingRelu(layer, inShape, ctx);
  if (layer instanceof Synaptic) return [convertSynaptic(layer, inShape, ctx)];
  if (layer instanceof ReLU) {
    throw new SpikemedError(`export: layer "${layer.name}" is a ReLU, and NIR has no ReLU primitive`, "only spiking networks can be exported to NIR; export the spiking model instead of its ANN twin");
  }
  if (layer instanceof BiLstm) {
    throw new SpikemedError(`export: layer "${layer.name}" is a BiLSTM, which NIR cannot express`, "only spiking networks can be exported to NIR");
  }
  throw new SpikemedError(`export: layer "${layer.name}" (${layer.constructor.name}) has no NIR equivalent`);
}

function convertPool(layer: Pool, inShape: number[], outShape: number[], ctx: Context): NirNode {
  if (layer.kind === "max") {
    throw new SpikemedError(`export: layer "${layer.name}" is a max-pool, and NIR has no max-pooling primitive (only SumPool2d and AvgPool2d)`,
      `use { type: "avgpool", kernel: ${layer.kernel} } in the model config and retrain`);
  }
  const base = { inputType: inShape, outputType: outShape, source: [layer.name] };
  const sum = layer instanceof SumPool;
  if (layer.dims === 2) {
    return { ...base, name: layer.name, type: sum ? "SumPool2d" : "AvgPool2d", params: {
      kernel_size: ints([layer.kernel, layer.kernel], [2]), stride: ints([layer.stride, layer.stride], [2]), padding: ints([layer.padding, layer.padding], [2]),
    } };
  }
  // NIR has no 1-d pooling; a depthwise convolution with weights 1/k (1 for a sum) pools exactly the same windows.
  const channels = inShape[0];
  const tap = sum ? 1 : 1 / layer.kernel;
  ctx.notes.push(`${layer.name}: 1-d ${sum ? "sum" : "average"} pooling is written as a grouped Conv1d (groups = ${channels}, weights ${sum ? 1 : `1/${layer.kernel}`}), since NIR has no 1-d pooling`);
  return { ...base, name: layer.name, type: "Conv1d", params: {
    input_shape: ints([inShape[1]], []),
    weight: { dtype: "float32", shape: [channels, 1, layer.kernel], data: new Float32Array(channels * layer.kernel).fill(tap) },
    stride: ints([layer.stride], []), padding: ints([layer.padding], []), dilation: ints([1], []), groups: ints([channels], []),
    bias: { dtype: "float32", shape: [channels], data: new Float32Array(channels) },
  } };
}

/**
 * A dense layer that also takes the sample's features: its signal columns as this chain's node
 * (named after the layer), its feature columns as a Linear node fed by a second Input node,
 * "features"; both feed the next node, which NIR sums.
 */
function splitFeatures(layer: Dense, append: AppendFeatures, inShape: number[], outShape: number[], ctx: ChainContext): { signal: NirNode; features: NirNode } {
  const count = append.count;
  const signalWidth = inShape[0] - count;
  const columns = (from: number, width: number): NirValue => {
    const data = new Float32Array(layer.outFeatures * width);
    for (let u = 0; u < layer.outFeatures; u++) data.set(layer.weight.data.subarray(u * layer.inFeatures + from, u * layer.inFeatures + from + width), u * width);
    return { dtype: "float32", shape: [layer.outFeatures, width], data };
  };
  const input: NirNode = { name: "features", type: "Input", params: { shape: ints([count], [1]) }, inputType: [count], outputType: [count], source: [append.name] };
  const signalShape = [signalWidth];
  const signal: NirNode = layer.bias
    ? { name: layer.name, type: "Affine", params: { weight: columns(0, signalWidth), bias: floats(layer.bias) }, inputType: signalShape, outputType: outShape, source: [layer.name] }
    : { name: layer.name, type: "Linear", params: { weight: columns(0, signalWidth) }, inputType: signalShape, outputType: outShape, source: [layer.name] };
  const features: NirNode = { name: `${layer.name}.features`, type: "Linear", params: { weight: columns(signalWidth, count) }, inputType: [count], outputType: outShape, source: [append.name, layer.name] };
  ctx.nodes.push(input, signal, features);
  ctx.edges.push([input.name, features.name]);
  ctx.notes.push(`the ${count} per-sample features (${append.name}) are a second Input node, "features", the same at every step; "${features.name}" weighs them into the sum that "${layer.name}" feeds`);
  return { signal, features };
}

/** An EulerNeuron's recurrent connection as NIR writes it: an Affine or Linear node from the neuron back to itself. */
function recurrentNode(layer: EulerNeuron, ctx: Context): NirNode {
  const shape = layer.shape;
  const params: Record<string, NirValue> = { weight: floats(layer.recurrentWeight!) };
  if (layer.recurrentBias) params.bias = floats(layer.recurrentBias);
  ctx.notes.push(`${layer.name}: its recurrent connection is the node "${layer.name}.recurrent", fed by the neuron's output of the previous step`);
  return { name: `${layer.name}.recurrent`, type: layer.recurrentBias ? "Affine" : "Linear", params, inputType: shape, outputType: shape, source: [layer.name] };
}

function convertLeaky(layer: Leaky, shape: number[], ctx: Context): NirNode[] {
  // A learnt beta is clamped to [0, 1] at the start of each forward pass; the last optimiser step may have left it outside.
  const beta = perNeuron(layer.beta, shape, `${layer.name}.beta`).map((b) => Math.min(1, Math.max(0, b)));
  const threshold = perNeuron(layer.threshold, shape, `${layer.name}.threshold`);
  const integrating = beta.every((b) => b === 1);
  if (!integrating && beta.some((b) => b === 1)) {
    throw new SpikemedError(`export: layer "${layer.name}" has beta = 1 for some neurons and beta < 1 for others; NIR needs one neuron model per node`);
  }
  const dynamics = integrating ? integratorParams(shape) : leakyParams(beta, shape, layer.vRest, ctx.dt);
  if (layer.vRest !== 0) ctx.warnings.push(`${layer.name}: spikemed starts the membrane at vRest = ${layer.vRest}; NIR defines no initial state`);
  const node = (name: string, type: NirNodeType, params: Record<string, NirValue>): NirNode =>
    ({ name, type, params, inputType: shape, outputType: shape, source: [layer.name] });
  if (layer.output === "membrane") return [node(layer.name, integrating ? "I" : "LI", dynamics)];
  if (layer.reset === "none") {
    // Spikes without reset: the membrane integrates on, and a Threshold node reads the spikes off it.
    return [
      node(layer.name, integrating ? "I" : "LI", dynamics),
      node(`${layer.name}.threshold`, "Threshold", { threshold: fromValues(threshold, shape) }),
    ];
  }
  warnReset(layer.name, layer.reset, ctx);
  const firing = { v_threshold: fromValues(threshold, shape), v_reset: filled(shape, 0) };
  return [node(layer.name, integrating ? "IF" : "LIF", { ...dynamics, ...firing })];
}

/** NIR's I and IF, read as snnTorch reads them (v += r*I per step): r = 1 adds the input once per step. */
function integratorParams(shape: number[]): Record<string, NirValue> {
  return { r: filled(shape, 1) };
}

function leakyParams(beta: Float64Array, shape: number[], vRest: number, dt: number): Record<string, NirValue> {
  const tau = beta.map((b) => dt / (1 - b));
  return { tau: fromValues(tau, shape), r: fromValues(tau.map((t) => t / dt), shape), v_leak: filled(shape, vRest) };
}

function warnReset(name: string, reset: "subtract" | "zero", ctx: Context): void {
  ctx.warnings.push(reset === "subtract"
    ? `${name}: spikemed subtracts the threshold after a spike, NIR resets the membrane to v_reset = 0 (snnTorch's NIR export makes the same substitution)`
    : `${name}: spikemed zeroes the membrane one step after the spike (snnTorch's delayed reset), NIR at the spike`);
}

/**
 * KerasSpiking's spiking ReLU adds relu(x)*dt to its voltage each step and emits floor(v) spikes of
 * height 1/dt. Scaled by 1/dt, that is an IF neuron of threshold 1/dt fed x, followed by a Scale of 1/dt.
 */
function convertSpikingRelu(layer: SpikingReLU, shape: number[], ctx: Context): NirNode[] {
  const differences = ["integrates negative inputs too (no rectification)", "emits at most one spike per step", "resets to 0 instead of keeping the remainder"];
  if (layer.initialVoltage === "random") differences.push("starts from 0 instead of random voltages");
  ctx.warnings.push(`${layer.name}: the spiking ReLU is exported as an IF neuron, which ${differences.join(", ")}`);
  const node = (name: string, type: NirNodeType, params: Record<string, NirValue>): NirNode =>
    ({ name, type, params, inputType: shape, outputType: shape, source: [layer.name] });
  const neuron = node(layer.name, "IF", { r: filled(shape, 1), v_threshold: filled(shape, 1 / layer.dt), v_reset: filled(shape, 0) });
  if (layer.dt === 1) return [neuron];
  return [neuron, node(`${layer.name}.scale`, "Scale", { scale: filled(shape, 1 / layer.dt) })];
}

/**
 * snnTorch's Synaptic mapping: the synaptic current decays with tau_syn = dt/(1 - alpha) and takes
 * the input with gain w_in = tau_syn/dt, so one Euler step is syn = alpha*syn + I.
 */
function convertSynaptic(layer: Synaptic, shape: number[], ctx: Context): NirNode {
  const { synapse, membrane } = layer;
  const alpha = perNeuron(synapse.beta, shape, `${layer.name}.alpha`);
  const beta = perNeuron(membrane.beta, shape, `${layer.name}.beta`);
  if (alpha.some((a) => a === 1) || beta.some((b) => b === 1)) {
    throw new SpikemedError(`export: layer "${layer.name}" has alpha or beta = 1, and NIR's CubaLIF needs finite time constants`);
  }
  if (membrane.reset === "none" || membrane.output === "membrane") {
    throw new SpikemedError(`export: layer "${layer.name}" is a synaptic neuron without reset, which NIR's CubaLIF cannot express`);
  }
  warnReset(layer.name, membrane.reset, ctx);
  if (membrane.vRest !== 0) ctx.warnings.push(`${layer.name}: spikemed starts the membrane at vRest = ${membrane.vRest}; NIR defines no initial state`);
  const tauSyn = alpha.map((a) => ctx.dt / (1 - a));
  const tauMem = beta.map((b) => ctx.dt / (1 - b));
  return {
    name: layer.name, type: "CubaLIF", inputType: shape, outputType: shape, source: [layer.name],
    params: {
      tau_syn: fromValues(tauSyn, shape), tau_mem: fromValues(tauMem, shape), r: fromValues(tauMem.map((t) => t / ctx.dt), shape),
      v_leak: filled(shape, membrane.vRest), v_threshold: fromValues(perNeuron(membrane.threshold, shape, `${layer.name}.threshold`), shape),
      v_reset: filled(shape, 0), w_in: fromValues(tauSyn.map((t) => t / ctx.dt), shape),
    },
  };
}

/**
 * Folds inference-mode batch norm, y = gamma*(x - mean)/sqrt(var + eps) + beta per channel, into
 * the convolution or dense node before it: w' = w*s, b' = (b - mean)*s + beta, s = gamma/sqrt(var + eps).
 */
function foldBatchNorm(bn: BatchNorm, target: NirNode): void {
  if (!["Conv1d", "Conv2d", "Affine", "Linear"].includes(target.type)) {
    throw new SpikemedError(`export: batch norm "${bn.name}" follows ${target.type === "Input" ? "the input" : `"${target.name}"`}, not a convolution or dense layer, so it cannot be folded into weights`,
      "NIR has no batch-norm primitive; place batch norm right after a conv or dense layer");
  }
  const weight = target.params.weight as Extract<NirValue, { dtype: "float32" }>;
  const channels = weight.shape[0];
  const perChannel = weight.data.length / channels;
  const bias = target.params.bias?.data ?? new Float32Array(channels);
  const newWeight = new Float32Array(weight.data.length);
  const newBias = new Float32Array(channels);
  for (let c = 0; c < channels; c++) {
    const s = bn.gamma.data[c] / Math.sqrt(bn.runningVar.data[c] + bn.eps);
    for (let i = c * perChannel; i < (c + 1) * perChannel; i++) newWeight[i] = weight.data[i] * s;
    newBias[c] = (bias[c] - bn.runningMean.data[c]) * s + bn.beta.data[c];
  }
  target.params.weight = { dtype: "float32", shape: weight.shape, data: newWeight };
  target.params.bias = { dtype: "float32", shape: [channels], data: newBias };
  if (target.type === "Linear") target.type = "Affine";
  target.source.push(bn.name);
}

function convPadding(name: string, kernel: number, padding: number | "same" | undefined): number {
  const pad = padding === "same" ? (kernel - 1) / 2 : padding ?? 0;
  if (!Number.isInteger(pad) || pad < 0) {
    throw new SpikemedError(`export: layer "${name}" has padding ${JSON.stringify(padding)} with kernel ${kernel}, which is not a whole number of samples per side`);
  }
  return pad;
}

/** A parameter that holds one value for the layer or one per neuron, as one value per neuron. */
function perNeuron(t: Tensor, shape: number[], what: string): Float64Array {
  const n = shape.reduce((a, b) => a * b, 1);
  if (t.size !== 1 && t.size !== n) throw new SpikemedError(`export: ${what} has ${t.size} values for ${n} neurons`);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = t.data[t.size === 1 ? 0 : i];
  return out;
}

function checkName(name: string): void {
  if (name === "" || name.includes("/")) throw new SpikemedError(`export: layer name "${name}" cannot name an HDF5 group (empty or contains "/")`);
}

function floats(t: Tensor): NirValue {
  return { dtype: "float32", shape: [...t.shape], data: Float32Array.from(t.data) };
}

function biasOf(bias: Tensor | null, channels: number): NirValue {
  // NIR's convolutions always carry a bias; zeros stand for none (as snnTorch's export does).
  return bias ? floats(bias) : { dtype: "float32", shape: [channels], data: new Float32Array(channels) };
}

function fromValues(values: Float64Array, shape: number[]): NirValue {
  return { dtype: "float32", shape, data: Float32Array.from(values) };
}

function filled(shape: number[], value: number): NirValue {
  return { dtype: "float32", shape, data: new Float32Array(shape.reduce((a, b) => a * b, 1)).fill(value) };
}

function ints(values: number[], shape: number[]): NirValue {
  return { dtype: "int64", shape, data: [...values] };
}
