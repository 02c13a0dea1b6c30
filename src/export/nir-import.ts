/**
 * NIR graphs (written by spikemed, Norse, Sinabs, snnTorch, Rockpool, ...) as spikemed networks.
 * Each NIR node becomes a layer: Affine/Linear a dense layer, Conv1d/Conv2d a convolution,
 * AvgPool2d/SumPool2d a pool, Flatten a flatten, Scale, Threshold and Delay layers of their own,
 * the neuron models (LIF, LI, IF, I, CubaLIF, CubaLI) an EulerNeuron, which steps NIR's
 * differential equations by forward Euler. A cycle
 * neuron -> Affine/Linear -> neuron is that neuron's recurrent connection; two paths from one node
 * that meet again at a node (NIR sums the edges that meet) are a residual block; a second Input
 * feeding a Linear node that meets the main path after a dense layer is the sample's features,
 * appended to that dense layer's input. Whatever else is refused, naming the node and where it is.
 *
 * A graph that spikemed wrote also carries, in its metadata, the spikemed layer each neuron or
 * pooling node stands for (a LIF's beta and reset mode, a spiking ReLU); those layers are rebuilt
 * as they were, so that exporting and importing a network gives its outputs bit for bit.
 */
import { noGrad, Rng, SpikemedError, type Tensor } from "../core/index.js";
import {
  allLayers, buildNetwork, checkConfigSettings, forwardLayers, Conv1d, Conv2d, Delay, Dense, EulerNeuron, Leaky, NIR_NEURON_MODELS, NIR_NEURON_PARAMETERS, Scale, ThresholdSpikes,
  type LayerConfig, type ModelConfig, type Module, type Network, type NirNeuronModel, type Readout, type Recording,
} from "../model/index.js";
import { DEFAULT_NIR_DT, type NirFileGraph, type SpikemedNodeLayer } from "./nir-format.js";

export type { SpikemedNodeLayer };

export interface NirImportOptions {
  /** Seconds per simulation step (default: the graph's metadata dt, else 1e-4 s, the NIR paper's LIF step). */
  dt?: number;
  /** Steps a sample is shown for (default: the graph's metadata time_steps, else 1). */
  timeSteps?: number;
  /** How the per-step outputs become class scores (default: the graph's metadata readout, else "sum", a spike count). */
  readout?: Readout;
  /** The model's name (default: the graph's, else "nir-import"). */
  name?: string;
}

export interface ImportedNir {
  config: ModelConfig;
  /** The network with the graph's weights, built with any output (`classifier: false`). */
  network: Network;
  /** Which spikemed layer runs each NIR node, in the order they run. */
  layers: { nodes: string[]; layer: string }[];
  dt: number;
  notes: string[];
  /** What the graph's writer recorded about the run it came from (spikemed exports only). */
  run?: { task?: string; classNames?: string[]; data?: unknown };
}


type FileNode = NirFileGraph["nodes"][number];
type Param = { shape: number[]; data: Float64Array };

interface Plan {
  config: LayerConfig;
  nodes: string[];
  fill?: (layer: Module) => void;
  main?: Plan[];
  shortcut?: Plan[];
}

const WEIGHTED = new Set(["Affine", "Linear"]);
const SUPPORTED = new Set(["Input", "Output", "Affine", "Linear", "Conv1d", "Conv2d", "AvgPool2d", "SumPool2d", "Flatten", "Scale", "Threshold", "Delay", ...NIR_NEURON_MODELS]);

/** Builds the spikemed network a NIR graph describes (see the module comment); a SpikemedError names what it cannot simulate. */
export function fromNirGraph(graph: NirFileGraph, options: NirImportOptions = {}): ImportedNir {
  const meta = graph.metadata ?? {};
  const fromSpikemed = meta.source === "spikemed";
  const spikemedModel = fromSpikemed ? checkedModel(parseJson(meta.spikemed_model, "spikemed_model")) : undefined;
  const spikemedLayers = fromSpikemed ? checkedLayers(parseJson(meta.spikemed_layers, "spikemed_layers")) : {};
  const dt = options.dt ?? (typeof meta.dt === "number" ? meta.dt : DEFAULT_NIR_DT);
  if (!(dt > 0 && Number.isFinite(dt))) throw new SpikemedError(`import: dt must be a positive number of seconds, got ${dt}`);
  const notes: string[] = [];
  const byName = new Map(graph.nodes.map((n) => [n.name, n]));
  const outs = new Map<string, string[]>(graph.nodes.map((n) => [n.name, []]));
  const ins = new Map<string, string[]>(graph.nodes.map((n) => [n.name, []]));
  for (const [from, to] of graph.edges) {
    outs.get(from)!.push(to);
    ins.get(to)!.push(from);
  }
  const position = positions(graph);
  const where = (name: string): string => `node "${name}" (${byName.get(name)?.type}, ${position(name)})`;
  const refuse = (name: string, why: string, hint?: string): never => {
    throw new SpikemedError(`import: ${where(name)} ${why}`, hint);
  };

  // Nodes spikemed wrote beside a layer's main node (a spiking ReLU's Scale, a Threshold after a LIF without reset) are rebuilt with it.
  const companions = new Set(Object.values(spikemedLayers).flatMap((entry) => entry.companions ?? []));
  for (const n of graph.nodes) {
    if (!SUPPORTED.has(n.type) && !companions.has(n.name)) {
      refuse(n.name, n.type === "NIRGraph" ? "is a subgraph that was not flattened (readNirFile flattens those of a file)" : `is a node type spikemed does not simulate`,
        `spikemed simulates ${[...SUPPORTED].join(", ")}`);
    }
  }

  // A neuron's recurrent connection: neuron -> Affine/Linear -> the same neuron, the weighted node on no other edge.
  const recurrent = new Map<string, FileNode>();
  const ignored = new Set<string>();
  for (const n of graph.nodes) {
    if (!WEIGHTED.has(n.type)) continue;
    const [source] = ins.get(n.name)!;
    if (ins.get(n.name)!.length === 1 && outs.get(n.name)!.length === 1 && outs.get(n.name)![0] === source && isNeuron(byName.get(source)!.type)) {
      if (recurrent.has(source)) refuse(source, "has two recurrent connections");
      recurrent.set(source, n);
      ignored.add(n.name);
    }
  }

  // The inputs: one main input, and at most a second that carries per-sample features to a Linear/Affine node.
  const inputs = graph.nodes.filter((n) => n.type === "Input");
  if (inputs.length === 0) throw new SpikemedError("import: the graph has no Input node");
  if (inputs.length > 2) refuse(inputs[2].name, `is a third Input node; spikemed networks take a signal and at most one set of features`);
  let features: { input: FileNode; linear: FileNode; merge: string } | null = null;
  let main = inputs[0];
  if (inputs.length === 2) {
    const featureInput = (n: FileNode) => {
      const [head] = outs.get(n.name)!;
      const linear = head === undefined ? undefined : byName.get(head);
      if (outs.get(n.name)!.length !== 1 || !linear || !WEIGHTED.has(linear.type) || ins.get(linear.name)!.length !== 1 || outs.get(linear.name)!.length !== 1) return null;
      return { input: n, linear, merge: outs.get(linear.name)![0] };
    };
    const [a, b] = inputs;
    features = b.name !== "input" ? featureInput(b) : null;
    if (features) main = a;
    else if ((features = featureInput(a))) main = b;
    else refuse(b.name, "is a second Input node that does not feed one Linear or Affine node meeting the main path", "spikemed reads a second input only as per-sample features added to a dense layer's input");
    ignored.add(features!.input.name);
    ignored.add(features!.linear.name);
  }
  const next = (name: string): string[] => outs.get(name)!.filter((n) => !ignored.has(n));
  const inDegree = (name: string): number => ins.get(name)!.filter((n) => !ignored.has(n)).length;
  checkAcyclic(graph, ignored, refuse);
  for (const n of graph.nodes) {
    if (!ignored.has(n.name) && n.type !== "Input" && inDegree(n.name) === 0) refuse(n.name, "has no input edge");
  }

  const param = (node: FileNode, key: string): Param | undefined => node.params[key];
  const required = (node: FileNode, key: string): Param => param(node, key) ?? refuse(node.name, `has no ${key}`);
  const pair = (node: FileNode, key: string, fallback: number): [number, number] => {
    const p = param(node, key);
    if (!p) return [fallback, fallback];
    return p.data.length === 1 ? [p.data[0], p.data[0]] : [p.data[0], p.data[1]];
  };
  const square = (node: FileNode, key: string, fallback: number): number => {
    const [a, b] = pair(node, key, fallback);
    if (a !== b) refuse(node.name, `has ${key} ${a} x ${b}; spikemed's layers take one value for both sides`);
    return a;
  };

  /** The plans for node `name` given the per-sample shape entering it; the node that ends them (companions consumed). */
  const convert = (name: string, shape: number[], plans: Plan[]): { plans: Plan[]; shape: number[]; last: string } => {
    const node = byName.get(name)!;
    if (features && name === features.merge) appendFeatures(plans, features);
    const restored = spikemedLayers[name];
    if (restored) return restore(node, restored, shape);
    const size = shape.reduce((a, b) => a * b, 1);
    switch (node.type) {
      case "Affine":
      case "Linear": {
        const weight = required(node, "weight");
        if (weight.shape.length !== 2) refuse(name, `has a weight of shape [${weight.shape.join(", ")}], not [out, in]`);
        const [units, inFeatures] = weight.shape;
        if (shape.length !== 1 || inFeatures !== size) {
          refuse(name, `takes ${inFeatures} inputs but receives [${shape.join(", ")}] per sample`, shape.length !== 1 && inFeatures === size ? "put a Flatten node before it" : undefined);
        }
        const bias = node.type === "Affine" ? required(node, "bias") : null;
        checkSizes(node, weight, units * inFeatures, bias, units, refuse);
        return one({ config: { type: "dense", units, bias: bias !== null }, nodes: [name], fill: (l) => setDense(l as Dense, weight.data, bias?.data ?? null) }, [units], name);
      }
      case "Conv1d":
      case "Conv2d": {
        const dims = node.type === "Conv1d" ? 1 : 2;
        const weight = required(node, "weight");
        if (weight.shape.length !== dims + 2) refuse(name, `has a weight of shape [${weight.shape.join(", ")}]`);
        const [filters, channels, kernel] = weight.shape;
        if (dims === 2 && weight.shape[3] !== kernel) refuse(name, `has a ${kernel} x ${weight.shape[3]} kernel; spikemed's convolutions are square`);
        if (shape.length !== dims + 1 || shape[0] !== channels) refuse(name, `takes [${channels}, ...] ${dims}-d samples but receives [${shape.join(", ")}]`);
        if (square(node, "dilation", 1) !== 1) refuse(name, "is dilated; spikemed's convolutions are not");
        if (square(node, "groups", 1) !== 1) refuse(name, "is a grouped convolution; spikemed's convolutions have groups = 1");
        const stride = square(node, "stride", 1);
        const padding = square(node, "padding", 0);
        const bias = param(node, "bias") ?? null;
        checkSizes(node, weight, filters * channels * kernel ** dims, bias, filters, refuse);
        const config: LayerConfig = { type: dims === 1 ? "conv1d" : "conv2d", filters, kernel, stride, padding, bias: bias !== null };
        const outShape = pooledShape([filters, ...shape.slice(1)], kernel, stride, padding);
        if (outShape.some((d) => d < 1)) refuse(name, `has a kernel wider than its padded input [${shape.join(", ")}]`);
        return one({ config, nodes: [name], fill: (l) => setDense(l as Conv1d | Conv2d, weight.data, bias?.data ?? null) }, outShape, name);
      }
      case "AvgPool2d":
      case "SumPool2d": {
        if (shape.length !== 3) refuse(name, `pools [C, H, W] samples but receives [${shape.join(", ")}]`);
        const kernel = square(node, "kernel_size", 1);
        const stride = square(node, "stride", kernel);
        const padding = square(node, "padding", 0);
        if (2 * padding > kernel) refuse(name, `has padding ${padding}, more than half its window ${kernel}`);
        const outShape = pooledShape(shape, kernel, stride, padding);
        return one({ config: { type: node.type === "AvgPool2d" ? "avgpool" : "sumpool", kernel, stride, padding }, nodes: [name] }, outShape, name);
      }
      case "Flatten": {
        const start = param(node, "start_dim")?.data[0] ?? 0;
        const end = param(node, "end_dim")?.data[0] ?? -1;
        if (start !== 0 || !(end === -1 || end === shape.length - 1)) refuse(name, `flattens dimensions ${start} to ${end} of [${shape.join(", ")}]; spikemed flattens whole samples`);
        return one({ config: { type: "flatten" }, nodes: [name] }, [size], name);
      }
      case "Delay": {
        const delay = perElement(node, "delay", shape);
        if (delay.some((d) => !(d >= 0))) refuse(name, "has a negative delay");
        if (delay.some((d) => Math.abs(d / dt - Math.round(d / dt)) > 1e-3)) notes.push(`${name}: delays that are not whole steps of dt = ${dt} s are rounded to the nearest step`);
        return one({ config: { type: "delay", dt }, nodes: [name], fill: (l) => (l as Delay).delay.data.set(delay) }, shape, name);
      }
      case "Scale":
      case "Threshold": {
        const key = node.type === "Scale" ? "scale" : "threshold";
        const values = perElement(node, key, shape);
        const fill = (l: Module) => (l instanceof Scale ? l.scale : (l as ThresholdSpikes).threshold).data.set(values);
        return one({ config: { type: node.type === "Scale" ? "scale" : "threshold" }, nodes: [name], fill }, shape, name);
      }
      default:
        return one(neuronPlan(node, shape), shape, name);
    }
  };

  /** A parameter with one value, or one per element of a sample shaped `shape`, as one per element. */
  const perElement = (node: FileNode, key: string, shape: number[], fallback?: number): Float32Array => {
    const size = shape.reduce((a, b) => a * b, 1);
    const p = param(node, key) ?? (fallback !== undefined ? { shape: [], data: new Float64Array([fallback]) } : required(node, key));
    if (p.data.length !== 1 && p.data.length !== size) refuse(node.name, `has ${p.data.length} values of ${key} for ${size} neurons ([${shape.join(", ")}] per sample)`);
    return Float32Array.from({ length: size }, (_, i) => p.data[p.data.length === 1 ? 0 : i]);
  };

  const neuronPlan = (node: FileNode, shape: number[]): Plan => {
    const model = node.type as NirNeuronModel;
    const size = shape.reduce((a, b) => a * b, 1);
    const values: Record<string, Float32Array> = {};
    for (const key of NIR_NEURON_PARAMETERS[model]) {
      // NIR before 1.0 had no v_reset: those neurons reset to 0.
      values[key] = perElement(node, key, shape, key === "v_reset" ? 0 : undefined);
      if (key.startsWith("tau") && values[key].some((t) => !(t > 0))) refuse(node.name, `has a ${key} that is not positive`);
    }
    for (const key of ["tau", "tau_mem", "tau_syn"]) {
      if (values[key]?.some((t) => t < dt)) notes.push(`${node.name}: ${key} is shorter than the step dt = ${dt} s, where forward Euler overshoots; import with a smaller --dt`);
    }
    const loop = recurrent.get(node.name);
    const recurrentWeight = loop ? required(loop, "weight") : null;
    if (recurrentWeight && (recurrentWeight.shape.length !== 2 || recurrentWeight.shape[0] !== size || recurrentWeight.shape[1] !== size)) {
      refuse(loop!.name, `is the recurrent connection of ${size} neurons but has a weight of shape [${recurrentWeight.shape.join(", ")}]`);
    }
    const recurrentBias = loop?.type === "Affine" ? required(loop, "bias") : null;
    if (loop && recurrentWeight) checkSizes(loop, recurrentWeight, size * size, recurrentBias, size, refuse);
    return {
      config: { type: "neuron", model, dt, ...(loop ? { recurrent: loop.type === "Affine" ? "affine" : "linear" } : {}) },
      nodes: loop ? [node.name, loop.name] : [node.name],
      fill: (l) => {
        const neuron = l as EulerNeuron;
        for (const [key, v] of Object.entries(values)) neuron.nir[key].data.set(v);
        if (recurrentWeight) neuron.recurrentWeight!.data.set(Float32Array.from(recurrentWeight.data));
        if (recurrentBias) neuron.recurrentBias!.data.set(Float32Array.from(recurrentBias.data));
      },
    };
  };

  /** A node spikemed wrote for one of its own layers, rebuilt from the layer's config as recorded. */
  const restore = (node: FileNode, entry: SpikemedNodeLayer, shape: number[]): { plans: Plan[]; shape: number[]; last: string } => {
    const companions = entry.companions ?? [];
    let last = node.name;
    for (const companion of companions) {
      const [after] = next(last);
      if (after !== companion || next(last).length !== 1) refuse(node.name, `is recorded with "${companion}" after it, which the graph does not hold there`);
      last = companion;
    }
    const threshold = param(node, "v_threshold") ?? param(byName.get(companions[0] ?? "") ?? node, "threshold");
    return {
      plans: [{
        config: entry.layer, nodes: [node.name, ...companions],
        fill: (l) => {
          if (!(l instanceof Leaky)) return;
          if (entry.beta && l.beta.size === entry.beta.length) l.beta.data.set(entry.beta);
          if (threshold && l.threshold.size === threshold.data.length) l.threshold.data.set(Float32Array.from(threshold.data));
        },
      }],
      shape: entry.layer.type === "avgpool" || entry.layer.type === "sumpool"
        ? pooledShape(shape, entry.layer.kernel, entry.layer.stride ?? entry.layer.kernel, entry.layer.padding ?? 0)
        : shape,
      last,
    };
  };

  /** Walks from the node `from` (already converted) until the output, or until a node where paths meet when `inBranch`. */
  const walk = (from: string, shape: number[], inBranch: boolean): { plans: Plan[]; shape: number[]; end: string } => {
    const plans: Plan[] = [];
    let current = from;
    for (;;) {
      const heads = next(current);
      if (heads.length === 0) refuse(current, "leads to no Output node");
      if (heads.length > 2) refuse(current, `feeds ${heads.length} nodes; spikemed joins at most two paths (a residual block)`);
      if (heads.length === 1) {
        const head = heads[0];
        if (inDegree(head) > 1) {
          if (inBranch) return { plans, shape, end: head };
          refuse(head, `sums ${inDegree(head)} inputs that do not come from one node's two paths`);
        }
        if (byName.get(head)!.type === "Output") {
          if (inBranch) refuse(head, "is reached by one path of a residual block only");
          return { plans, shape, end: head };
        }
        const converted = convert(head, shape, plans);
        plans.push(...converted.plans);
        shape = converted.shape;
        current = converted.last;
        continue;
      }
      // Two paths from one node that meet again: a residual block, the longer path its main one.
      const branches = heads.map((head) => {
        if (inDegree(head) > 1) return { plans: [] as Plan[], shape, end: head };
        if (byName.get(head)!.type === "Output") refuse(current, "feeds the output and another path; spikemed networks have one output path");
        const first = convert(head, shape, plans);
        const rest = walk(first.last, first.shape, true);
        return { plans: [...first.plans, ...rest.plans], shape: rest.shape, end: rest.end };
      });
      const [a, b] = branches;
      if (a.end !== b.end) refuse(current, `starts two paths that end at different nodes ("${a.end}" and "${b.end}")`);
      if (inDegree(a.end) !== 2) refuse(a.end, `sums ${inDegree(a.end)} paths; a residual block sums two`);
      if (a.shape.join() !== b.shape.join()) refuse(a.end, `sums [${a.shape.join(", ")}] and [${b.shape.join(", ")}] per sample`);
      const [mainPath, shortcut] = a.plans.length >= b.plans.length ? [a, b] : [b, a];
      plans.push({
        config: { type: "residual", layers: mainPath.plans.map((p) => p.config), shortcut: shortcut.plans.map((p) => p.config) },
        nodes: [], main: mainPath.plans, shortcut: shortcut.plans,
      });
      shape = a.shape;
      if (byName.get(a.end)!.type === "Output") return { plans, shape, end: a.end };
      const converted = convert(a.end, shape, plans);
      plans.push(...converted.plans);
      shape = converted.shape;
      current = converted.last;
    }
  };

  const inputShape = shapeOf(main, "shape") ?? refuse(main.name, "has no shape");
  const { plans, shape: outputShape } = walk(main.name, inputShape, false);
  // A spikemed network that reads only its features took them as the graph's input: its first layer reads them again.
  const readsFeatures = meta.spikemed_reads_features === 1 && spikemedModel?.features !== undefined;
  if (readsFeatures) plans.unshift({ config: { type: "features" }, nodes: [main.name] });
  const featureNames = readsFeatures ? spikemedModel?.features : features ? (spikemedModel?.features ?? Array.from({ length: features.linear.params.weight.shape[1] }, (_, i) => `feature${i + 1}`)) : undefined;
  const readout = options.readout ?? (isReadout(meta.readout) ? meta.readout : "sum");
  const timeSteps = options.timeSteps ?? (typeof meta.time_steps === "number" ? meta.time_steps : 1);
  const config: ModelConfig = {
    name: options.name ?? spikemedModel?.name ?? "nir-import",
    description: spikemedModel?.description ?? `imported from NIR ${graph.version}: ${graph.nodes.length} nodes`,
    inputShape: spikemedModel?.inputShape ?? inputShape,
    ...(featureNames ? { features: [...featureNames] } : {}),
    classes: outputShape.reduce((a, b) => a * b, 1),
    timeSteps,
    encoder: spikemedModel?.encoder ?? { kind: "direct" },
    readout,
    layers: plans.map((p) => p.config),
  };
  // Settings read from the graph's metadata are checked as a hand-written config would be (any output size: it may be one neuron's trace).
  checkConfigSettings({ ...config, classes: Math.max(2, config.classes) }, "import: the model the graph describes");
  const network = buildNetwork(config, 1, { classifier: false });
  const flat = flatten(plans);
  const modules = allLayers(network.layers);
  flat.forEach((plan, i) => plan.fill?.(modules[i]));
  if (fromSpikemed) notes.push("written by spikemed: its layers are rebuilt as recorded in the graph's metadata");
  else notes.push(`neurons stepped by forward Euler with dt = ${dt} s (IF and I add r times the input each step)`);
  return {
    config, network, dt, notes,
    layers: flat.map((p, i) => ({ nodes: p.nodes, layer: modules[i].name })).filter((l) => l.nodes.length > 0),
    run: fromSpikemed ? checkedRun(parseJson(meta.spikemed_run, "spikemed_run")) : undefined,
  };
}

/**
 * Runs a network on an input that changes from step to step, x = [T, batch, ...inputShape]
 * (a NIR graph's input is one value per step), and returns every step's output [T, batch, ...].
 */
export function simulateSteps(network: Network, x: Tensor, { rng = new Rng(0), recording }: { rng?: Rng; recording?: Recording } = {}): Tensor {
  return noGrad(() => forwardLayers(network.layers, { x, timeSteps: x.shape[0], static: false }, { training: false, rng, recording }).x);
}

/** Refuses a weight or bias whose values do not fill its layer (a bias of another length than the outputs). */
function checkSizes(node: FileNode, weight: Param, weights: number, bias: Param | null, outputs: number, refuse: (name: string, why: string) => never): void {
  if (weight.data.length !== weights) refuse(node.name, `holds ${weight.data.length} weights for its shape [${weight.shape.join(", ")}]`);
  if (bias && bias.data.length !== outputs) refuse(node.name, `has ${bias.data.length} biases for ${outputs} outputs`);
}

/** [C, ...sides] after a pool (or a convolution's sides) of this window, stride and padding. */
function pooledShape([channels, ...sides]: number[], kernel: number, stride: number, padding: number): number[] {
  return [channels, ...sides.map((d) => Math.floor((d + 2 * padding - kernel) / stride) + 1)];
}

function one(plan: Plan, shape: number[], last: string): { plans: Plan[]; shape: number[]; last: string } {
  return { plans: [plan], shape, last };
}

function flatten(plans: Plan[]): Plan[] {
  return plans.flatMap((p) => [p, ...flatten(p.main ?? []), ...flatten(p.shortcut ?? [])]);
}

function isNeuron(type: string): boolean {
  return (NIR_NEURON_MODELS as readonly string[]).includes(type);
}

function isReadout(value: unknown): value is Readout {
  return value === "mean" || value === "sum" || value === "max" || value === "last";
}

function setDense(layer: Dense | Conv1d | Conv2d, weight: Float64Array, bias: Float64Array | null): void {
  layer.weight.data.set(Float32Array.from(weight));
  if (bias && layer.bias) layer.bias.data.set(Float32Array.from(bias));
}

/** The per-sample features' Linear node folded into the dense layer before the node where it meets the main path. */
function appendFeatures(plans: Plan[], features: { input: FileNode; linear: FileNode; merge: string }): void {
  const dense = plans[plans.length - 1];
  if (dense?.config.type !== "dense") {
    throw new SpikemedError(`import: the features' node "${features.linear.name}" meets the main path at "${features.merge}", which does not follow a dense layer`);
  }
  const extra = features.linear.params.weight;
  const units = dense.config.units;
  if (!extra || extra.shape.length !== 2) throw new SpikemedError(`import: the features' node "${features.linear.name}" has no [out, in] weight`);
  if (extra.shape[0] !== units) throw new SpikemedError(`import: the features' node "${features.linear.name}" gives ${extra.shape[0]} values, the dense layer beside it ${units}`);
  const fillDense = dense.fill!;
  plans.splice(plans.length - 1, 0, { config: { type: "append-features" }, nodes: [features.input.name] });
  dense.nodes.push(features.linear.name);
  dense.fill = (l) => {
    fillDense(l);
    // The dense layer's weight is [units, signal + features]: its signal columns from the main node, then the features'.
    const layer = l as Dense;
    const count = extra.shape[1];
    const signal = layer.inFeatures - count;
    const own = Float32Array.from(layer.weight.data.subarray(0, units * signal));
    for (let u = 0; u < units; u++) {
      for (let j = 0; j < signal; j++) layer.weight.data[u * layer.inFeatures + j] = own[u * signal + j];
      for (let j = 0; j < count; j++) layer.weight.data[u * layer.inFeatures + signal + j] = extra.data[u * count + j];
    }
    const extraBias = features.linear.params.bias;
    if (extraBias && layer.bias) for (let u = 0; u < units; u++) layer.bias.data[u] = Math.fround(layer.bias.data[u] + extraBias.data[u]);
  };
}

function shapeOf(node: FileNode, key: string): number[] | undefined {
  const p = node.params[key];
  return p ? Array.from(p.data) : undefined;
}

function parseJson(value: unknown, what: string): unknown {
  if (typeof value !== "string") return undefined;
  try {
    return JSON.parse(value);
  } catch {
    throw damagedMetadata(what, "is not valid JSON");
  }
}

function damagedMetadata(what: string, why: string): SpikemedError {
  return new SpikemedError(`import: the graph's metadata "${what}" ${why}`, "export the run again with spikemed export");
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** spikemed_model as the model settings it must be (the values are checked with the whole config later). */
function checkedModel(value: unknown): Partial<ModelConfig> | undefined {
  if (value === undefined) return undefined;
  if (!isObject(value)) throw damagedMetadata("spikemed_model", "is not an object");
  if (value.features !== undefined && !(Array.isArray(value.features) && value.features.every((f) => typeof f === "string"))) throw damagedMetadata("spikemed_model", "lists features that are not names");
  return value as Partial<ModelConfig>;
}

/** spikemed_run's fields that have the right kinds (the run folder's reader checks the data spec). */
function checkedRun(value: unknown): ImportedNir["run"] {
  if (!isObject(value)) return undefined;
  return {
    task: typeof value.task === "string" ? value.task : undefined,
    classNames: Array.isArray(value.classNames) && value.classNames.every((c) => typeof c === "string") ? value.classNames : undefined,
    data: value.data,
  };
}

/** spikemed_layers as node name -> { layer config, per-neuron betas, companion node names }. */
function checkedLayers(value: unknown): Record<string, SpikemedNodeLayer> {
  if (value === undefined) return {};
  if (!isObject(value)) throw damagedMetadata("spikemed_layers", "is not an object");
  for (const [name, entry] of Object.entries(value)) {
    const ok = isObject(entry) && isObject(entry.layer) && typeof entry.layer.type === "string"
      && (entry.beta === undefined || (Array.isArray(entry.beta) && entry.beta.every((b) => typeof b === "number")))
      && (entry.companions === undefined || (Array.isArray(entry.companions) && entry.companions.every((c) => typeof c === "string")));
    if (!ok) throw damagedMetadata("spikemed_layers", `holds no layer config for node "${name}"`);
  }
  return value as Record<string, SpikemedNodeLayer>;
}

/** Where each node sits: how many edges from an Input, and the node before it. */
function positions(graph: NirFileGraph): (name: string) => string {
  const depth = new Map<string, { steps: number; after: string | null }>();
  const queue = graph.nodes.filter((n) => n.type === "Input").map((n) => n.name);
  for (const name of queue) depth.set(name, { steps: 0, after: null });
  for (let i = 0; i < queue.length; i++) {
    const from = queue[i];
    for (const [a, b] of graph.edges) {
      if (a !== from || depth.has(b)) continue;
      depth.set(b, { steps: depth.get(from)!.steps + 1, after: from });
      queue.push(b);
    }
  }
  return (name) => {
    const d = depth.get(name);
    if (!d) return "not reached from any Input";
    return d.after === null ? "an input of the graph" : `${d.steps} edge${d.steps === 1 ? "" : "s"} from the input, after "${d.after}"`;
  };
}

/** Refuses a cycle that is not a neuron's recurrent connection, naming a node on it. */
function checkAcyclic(graph: NirFileGraph, ignored: Set<string>, refuse: (name: string, why: string) => never): void {
  const state = new Map<string, "open" | "done">();
  const visit = (name: string, path: string[]): void => {
    if (state.get(name) === "done") return;
    if (state.get(name) === "open") refuse(name, `lies on a cycle (${[...path.slice(path.indexOf(name)), name].join(" -> ")}) that is not a neuron's recurrent Affine/Linear connection`);
    state.set(name, "open");
    for (const [a, b] of graph.edges) if (a === name && !ignored.has(b)) visit(b, [...path, name]);
    state.set(name, "done");
  };
  for (const n of graph.nodes) if (!ignored.has(n.name)) visit(n.name, []);
}
