import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import * as ops from "../../src/core/index.js";
import { Rng, SpikemedError, tensor } from "../../src/core/index.js";
import {
  BatchNorm, buildNetwork, Conv1d, cxrSnn, Dense, ecgBiLstm, ecgCnn, ecgSnn, Leaky, type LayerConfig, type ModelConfig,
} from "../../src/model/index.js";
import { exportNir, NIR_VERSION, toNirGraph, type NirGraph, type NirNode, type NirValue } from "../../src/export/index.js";

function model(layers: LayerConfig[], inputShape = [1, 32], classes = 3): ModelConfig {
  return { name: "nir-test", description: "export test", inputShape, classes, timeSteps: 4, encoder: { kind: "direct" }, readout: "mean", layers };
}

/** conv1d + batch norm + LIF + 1-d avg pool + flatten + dense + LIF (reset zero) + dropout + dense. */
function testNetwork() {
  const net = buildNetwork(model([
    { type: "conv1d", filters: 4, kernel: 3, padding: 1 }, { type: "batchnorm" }, { type: "lif", beta: 0.8, threshold: 0.75 },
    { type: "avgpool", kernel: 2 }, { type: "flatten" },
    { type: "dense", units: 8 }, { type: "lif", beta: 0.9, reset: "zero" }, { type: "dropout", p: 0.2 },
    { type: "dense", units: 3 },
  ]), 7);
  const bn = net.layers[1] as BatchNorm;
  bn.gamma.data.set([1.5, 0.5, -1, 2]);
  bn.beta.data.set([0.1, -0.2, 0.3, 0]);
  bn.runningMean.data.set([0.05, -0.1, 0.2, 0]);
  bn.runningVar.data.set([0.5, 2, 1, 0.25]);
  return net;
}

function node(graph: NirGraph, name: string): NirNode {
  const found = graph.nodes.find((n) => n.name === name);
  assert.ok(found, `no node "${name}" in [${graph.nodes.map((n) => n.name).join(", ")}]`);
  return found;
}

function floatData(v: NirValue): Float32Array {
  assert.equal(v.dtype, "float32");
  return v.data as Float32Array;
}

function assertTypesChain(graph: NirGraph): void {
  for (const [from, to] of graph.edges) assert.deepEqual(node(graph, to).inputType, node(graph, from).outputType, `${from} -> ${to}`);
}

const relClose = (a: number, b: number, tol: number): boolean => Math.abs(a - b) <= tol * Math.max(Math.abs(a), Math.abs(b), 1e-12);

test("toNirGraph: nodes, edges and shapes of a conv1d/LIF/avgpool/dense network", () => {
  const graph = toNirGraph(testNetwork());
  assert.deepEqual(graph.nodes.map((n) => [n.name, n.type]), [
    ["input", "Input"], ["conv1", "Conv1d"], ["lif1", "LIF"], ["avgpool1", "Conv1d"], ["flatten1", "Flatten"],
    ["dense1", "Affine"], ["lif2", "LIF"], ["dense2", "Affine"], ["output", "Output"],
  ]);
  assert.deepEqual(graph.edges, [
    ["input", "conv1"], ["conv1", "lif1"], ["lif1", "avgpool1"], ["avgpool1", "flatten1"], ["flatten1", "dense1"],
    ["dense1", "lif2"], ["lif2", "dense2"], ["dense2", "output"],
  ]);
  assertTypesChain(graph);
  assert.deepEqual(node(graph, "conv1").source, ["conv1", "batchnorm1"]);
  assert.deepEqual(node(graph, "lif1").inputType, [4, 32]);
  assert.deepEqual(node(graph, "flatten1").params.input_type.data, [4, 16]);
  assert.deepEqual(node(graph, "output").params.shape.data, [3]);
  // Neuron parameters cover every neuron, so NIR derives the same types from them.
  for (const name of ["lif1", "lif2"]) for (const v of Object.values(node(graph, name).params)) assert.deepEqual(v.shape, node(graph, name).inputType);
  assert.equal(graph.warnings.filter((w) => w.startsWith("lif1: spikemed subtracts")).length, 1);
  assert.equal(graph.warnings.filter((w) => w.startsWith("lif2: spikemed zeroes")).length, 1);
});

test("toNirGraph: LIF time constants follow snnTorch's mapping tau = dt/(1 - beta), r = tau/dt", () => {
  const net = testNetwork();
  for (const [dt, expectedTau] of [[undefined, 5e-4], [1e-3, 5e-3]] as const) {
    const lif = node(toNirGraph(net, { dt }), "lif1").params;
    const step = dt ?? 1e-4;
    const beta = (net.layers[2] as Leaky).beta.data[0];
    for (let i = 0; i < 4 * 32; i++) {
      assert.equal(floatData(lif.tau)[i], Math.fround(step / (1 - beta)));
      assert.ok(relClose(floatData(lif.tau)[i], expectedTau, 1e-6), `tau ${floatData(lif.tau)[i]} vs ${expectedTau}`);
      assert.ok(relClose(floatData(lif.r)[i], 5, 1e-6));
      // Going back as snnTorch's import_from_nir does recovers beta = 0.8 and unit input gain.
      assert.ok(Math.abs(1 - step / floatData(lif.tau)[i] - 0.8) < 1e-6);
      assert.ok(Math.abs((floatData(lif.r)[i] * step) / floatData(lif.tau)[i] - 1) < 1e-6);
      assert.equal(floatData(lif.v_threshold)[i], 0.75);
      assert.equal(floatData(lif.v_leak)[i], 0);
      assert.equal(floatData(lif.v_reset)[i], 0);
    }
  }
});

test("toNirGraph: dense weights are the network's, batch norm folded into the conv gives the same outputs", () => {
  const net = testNetwork();
  const graph = toNirGraph(net);
  for (const [name, index] of [["dense1", 5], ["dense2", 8]] as const) {
    const dense = net.layers[index] as Dense;
    assert.deepEqual(floatData(node(graph, name).params.weight), dense.weight.data);
    assert.deepEqual(floatData(node(graph, name).params.bias), dense.bias?.data);
    assert.deepEqual(node(graph, name).params.weight.shape, [...dense.weight.shape]);
  }
  const conv = net.layers[0] as Conv1d;
  const bn = net.layers[1] as BatchNorm;
  const rng = new Rng(3);
  const x = tensor(Float32Array.from({ length: 2 * 32 }, () => rng.normal()), [2, 1, 32]);
  const ctx = { training: false, rng };
  const expected = bn.forward(conv.forward({ x, timeSteps: 1, static: true }), ctx).x;
  const folded = node(graph, "conv1").params;
  assert.deepEqual(folded.padding.data, [1]);
  assert.deepEqual(folded.input_shape, { dtype: "int64", shape: [], data: [32] });
  const actual = ops.conv1d(x, tensor(floatData(folded.weight), folded.weight.shape), tensor(floatData(folded.bias), [4]), { padding: 1 });
  assert.deepEqual(actual.shape, expected.shape);
  for (let i = 0; i < actual.size; i++) assert.ok(Math.abs(actual.data[i] - expected.data[i]) < 1e-5, `element ${i}: ${actual.data[i]} vs ${expected.data[i]}`);
});

test("toNirGraph: the grouped Conv1d standing for a 1-d avg pool averages the same windows", () => {
  const graph = toNirGraph(testNetwork());
  const pool = node(graph, "avgpool1").params;
  assert.deepEqual(pool.groups.data, [4]);
  assert.deepEqual(pool.weight.shape, [4, 1, 2]);
  const rng = new Rng(4);
  const z = tensor(Float32Array.from({ length: 2 * 4 * 32 }, () => rng.normal()), [2, 4, 32]);
  const expected = ops.avgPool1d(z, 2, { stride: 2 });
  const w = floatData(pool.weight);
  const stride = pool.stride.data[0] as number;
  for (let b = 0; b < 2; b++) for (let c = 0; c < 4; c++) for (let j = 0; j < 16; j++) {
    let sum = floatData(pool.bias)[c];
    for (let k = 0; k < 2; k++) sum += w[c * 2 + k] * z.data[(b * 4 + c) * 32 + j * stride + k];
    assert.ok(Math.abs(sum - expected.data[(b * 4 + c) * 16 + j]) < 1e-6);
  }
});

test("toNirGraph: a padded average pool keeps its padding (2-d AvgPool2d; 1-d grouped Conv1d, which averages the same windows)", () => {
  const pool2d = node(toNirGraph(buildNetwork(model([{ type: "avgpool", kernel: 3, stride: 2, padding: 1 }, { type: "flatten" }, { type: "dense", units: 2 }], [2, 6, 6], 2), 1)), "avgpool1");
  assert.deepEqual(pool2d.params.padding.data, [1, 1]);
  assert.deepEqual(pool2d.outputType, [2, 3, 3]);

  const pool1d = node(toNirGraph(buildNetwork(model([{ type: "avgpool", kernel: 3, stride: 2, padding: 1 }, { type: "flatten" }, { type: "dense", units: 2 }], [2, 9], 2), 1)), "avgpool1");
  const rng = new Rng(6);
  const z = tensor(Float32Array.from({ length: 2 * 9 }, () => rng.normal()), [1, 2, 9]);
  const expected = ops.avgPool1d(z, 3, { stride: 2, padding: 1 });
  const p = pool1d.params;
  const [stride, padding] = [p.stride.data[0] as number, p.padding.data[0] as number];
  assert.deepEqual([p.groups.data, pool1d.outputType, expected.shape], [[2], [2, 5], [1, 2, 5]]);
  // The depthwise convolution by hand, its padding read as zeros.
  for (let c = 0; c < 2; c++) for (let j = 0; j < 5; j++) {
    let sum = floatData(p.bias)[c];
    for (let k = 0; k < 3; k++) {
      const at = j * stride + k - padding;
      if (at >= 0 && at < 9) sum += floatData(p.weight)[c * 3 + k] * z.data[c * 9 + at];
    }
    assert.ok(Math.abs(sum - expected.data[c * 5 + j]) < 1e-6, `channel ${c}, window ${j}`);
  }
});

test("toNirGraph: neuron variants map to LI + Threshold, IF, IF + Scale, CubaLIF and LI", () => {
  const graph = toNirGraph(buildNetwork(model([
    { type: "flatten" }, { type: "dense", units: 6 }, { type: "lif", beta: 0.5, threshold: 0.4, reset: "none" },
    { type: "dense", units: 6 }, { type: "if", threshold: 1.25 },
    { type: "dense", units: 6 }, { type: "spiking-relu", dt: 0.5, initialVoltage: "zero" },
    { type: "dense", units: 6 }, { type: "synaptic", alpha: 0.5, beta: 0.8, threshold: 2 },
    { type: "dense", units: 3 }, { type: "lif", beta: 0.75, output: "membrane" },
  ], [2, 4]), 1));
  assert.deepEqual(graph.nodes.map((n) => n.type), [
    "Input", "Flatten", "Affine", "LI", "Threshold", "Affine", "IF", "Affine", "IF", "Scale", "Affine", "CubaLIF", "Affine", "LI", "Output",
  ]);
  assertTypesChain(graph);
  assert.ok(graph.edges.some(([a, b]) => a === "lif1" && b === "lif1.threshold"));
  assert.deepEqual([...floatData(node(graph, "lif1.threshold").params.threshold)], new Array(6).fill(Math.fround(0.4)));
  assert.ok(relClose(floatData(node(graph, "lif1").params.tau)[0], 2e-4, 1e-6));
  const ifNode = node(graph, "if1").params;
  assert.deepEqual(Object.keys(ifNode).sort(), ["r", "v_reset", "v_threshold"]);
  assert.equal(floatData(ifNode.r)[0], 1);
  assert.equal(floatData(ifNode.v_threshold)[5], 1.25);
  assert.equal(floatData(node(graph, "spikingrelu1").params.v_threshold)[0], 2);
  assert.equal(floatData(node(graph, "spikingrelu1.scale").params.scale)[0], 2);
  const cuba = node(graph, "synaptic1").params;
  assert.ok(relClose(floatData(cuba.tau_syn)[0], 2e-4, 1e-6));
  assert.ok(relClose(floatData(cuba.w_in)[0], 2, 1e-6));
  assert.ok(relClose(floatData(cuba.tau_mem)[0], 5e-4, 1e-6));
  assert.ok(relClose(floatData(cuba.r)[0], 5, 1e-6));
  assert.equal(floatData(cuba.v_threshold)[0], 2);
  const readout = node(graph, "integrator1");
  assert.equal(readout.type, "LI");
  assert.ok(relClose(floatData(readout.params.tau)[0], 4e-4, 1e-6));
  assert.ok(graph.warnings.some((w) => w.startsWith("spikingrelu1:") && !w.includes("random")));
});

test("toNirGraph: per-neuron learnt betas become per-neuron time constants in [C, L] order", () => {
  const net = buildNetwork(model([
    { type: "conv1d", filters: 2, kernel: 1 }, { type: "lif", learnBeta: true }, { type: "flatten" }, { type: "dense", units: 3 },
  ], [1, 3]), 2);
  const lif = net.layers[1] as Leaky;
  lif.beta.data.set([0.5, 0.6, 0.7, 0.8, 0.9, 0.95]);
  const tau = node(toNirGraph(net), "lif1").params.tau;
  assert.deepEqual(tau.shape, [2, 3]);
  for (let i = 0; i < 6; i++) assert.equal(floatData(tau)[i], Math.fround(1e-4 / (1 - lif.beta.data[i])));
});

test("toNirGraph: the default X-ray SNN exports with its batch norms folded into Conv2d nodes", () => {
  const graph = toNirGraph(buildNetwork(cxrSnn(), 1));
  assert.deepEqual(graph.nodes.map((n) => n.type), [
    "Input", "Conv2d", "LIF", "Conv2d", "LIF", "Conv2d", "LIF", "Conv2d", "LIF", "AvgPool2d", "Flatten", "Affine", "LIF", "Affine", "Output",
  ]);
  assertTypesChain(graph);
  const conv1 = node(graph, "conv1");
  assert.deepEqual(conv1.source, ["conv1", "batchnorm1"]);
  assert.deepEqual(conv1.params.input_shape.data, [128, 128]);
  assert.deepEqual(conv1.params.stride.data, [2, 2]);
  assert.deepEqual(conv1.params.padding.data, [1, 1]);
  assert.deepEqual(conv1.outputType, [16, 64, 64]);
  const pool = node(graph, "avgpool1");
  assert.deepEqual([pool.inputType, pool.outputType], [[64, 8, 8], [64, 4, 4]]);
  assert.deepEqual(pool.params.kernel_size.data, [2, 2]);
  assert.deepEqual(node(graph, "flatten1").outputType, [1024]);
});

test("toNirGraph: residual blocks become two paths from the block's input whose edges meet at the next node", () => {
  const conv = (filters: number, kernel: number, stride = 1): LayerConfig => ({ type: "conv2d", filters, kernel, stride, padding: (kernel - 1) / 2, bias: false });
  const graph = toNirGraph(buildNetwork(model([
    conv(4, 3), { type: "batchnorm" }, { type: "lif" },
    { type: "residual", layers: [conv(4, 3), { type: "batchnorm" }, { type: "lif" }, conv(4, 3), { type: "batchnorm" }] },
    { type: "lif" },
    { type: "residual", layers: [conv(8, 3, 2), { type: "batchnorm" }, { type: "lif" }, conv(8, 3), { type: "batchnorm" }], shortcut: [conv(8, 1, 2), { type: "batchnorm" }] },
    { type: "lif" }, { type: "avgpool", kernel: 2 }, { type: "flatten" }, { type: "dense", units: 2 },
  ], [1, 8, 8], 2), 1));
  assert.deepEqual(graph.nodes.map((n) => n.name), [
    "input", "conv1", "lif1", "conv2", "lif2", "conv3", "lif3", "conv4", "lif4", "conv5", "conv6", "lif5", "avgpool1", "flatten1", "dense1", "output",
  ]);
  assert.deepEqual(graph.edges, [
    ["input", "conv1"], ["conv1", "lif1"], ["lif1", "conv2"], ["conv2", "lif2"], ["lif2", "conv3"],
    ["conv3", "lif3"], ["lif1", "lif3"], // the first block's sum: its main path and the identity shortcut
    ["lif3", "conv4"], ["conv4", "lif4"], ["lif4", "conv5"], ["lif3", "conv6"],
    ["conv5", "lif5"], ["conv6", "lif5"], // the second block's sum: main path and projection shortcut
    ["lif5", "avgpool1"], ["avgpool1", "flatten1"], ["flatten1", "dense1"], ["dense1", "output"],
  ]);
  assertTypesChain(graph);
  assert.deepEqual(node(graph, "conv6").source, ["conv6", "batchnorm6"]);
  assert.deepEqual(node(graph, "conv6").outputType, [8, 4, 4]);
  // A batch norm at the start of a path would have to fold into a node that feeds the other path too.
  assert.throws(() => toNirGraph(buildNetwork(model([
    conv(2, 3), { type: "lif" }, { type: "residual", layers: [conv(2, 3)], shortcut: [{ type: "batchnorm" }] }, { type: "lif" }, { type: "flatten" }, { type: "dense", units: 2 },
  ], [1, 4, 4], 2), 1)), /export: batch norm "batchnorm1" follows the input of a residual block's path/);
});

test("toNirGraph: a network that reads only its features takes them as the graph's input", () => {
  const config: ModelConfig = {
    ...model([{ type: "features" }, { type: "dense", units: 6 }, { type: "lif", beta: 0.9 }, { type: "dense", units: 3 }]),
    features: ["rr", "amp", "corr"],
  };
  const graph = toNirGraph(buildNetwork(config, 2));
  assert.deepEqual(graph.nodes.map((n) => n.type), ["Input", "Affine", "LIF", "Affine", "Output"]);
  assert.deepEqual(node(graph, "input").outputType, [3]);
  assert.deepEqual(node(graph, "dense1").params.weight.shape, [6, 3]);
  assert.ok(graph.notes.some((n) => /input is the model's 3 features per sample \(rr, amp, corr\)/.test(n)), graph.notes.join("\n"));
});

test("toNirGraph refuses what NIR cannot express, naming the layer", () => {
  const refuses = (config: ModelConfig, ...patterns: RegExp[]): void => {
    assert.throws(() => toNirGraph(buildNetwork(config, 1)), (e: unknown) => {
      assert.ok(e instanceof SpikemedError);
      for (const p of patterns) assert.match(e.message, p);
      return true;
    });
  };
  refuses(ecgSnn(), /"maxpool1"/, /max-pool/, /avgpool/);
  refuses(ecgCnn(), /"relu1"/, /ReLU/);
  refuses(ecgBiLstm(), /"bilstm1"/);
  refuses(model([{ type: "batchnorm" }, { type: "flatten" }, { type: "dense", units: 3 }]), /"batchnorm1"/, /the input/);
  const net = testNetwork();
  for (const dt of [0, -1, Number.NaN]) assert.throws(() => toNirGraph(net, { dt }), /dt must be a positive number/);
});

const python = "/usr/bin/python3";
const h5pyMissing = spawnSync(python, ["-c", "import h5py"]).status !== 0
  ? `needs ${python} with h5py (apt-get install -y python3-h5py) to read the file back independently` : false;

test("exportNir writes the NIR HDF5 layout that h5py reads back value for value", { skip: h5pyMissing }, async () => {
  const dir = mkdtempSync(join(tmpdir(), "spikemed-nir-"));
  try {
    const net = testNetwork();
    const file = join(dir, "net.nir");
    const summary = await exportNir(net, file);
    const graph = toNirGraph(net);
    assert.deepEqual(summary.nodes.map((n) => n.name), graph.nodes.map((n) => n.name));
    assert.ok(summary.bytes > 0);
    const script = fileURLToPath(new URL("../../../test/export/read_nir.py", import.meta.url));
    const run = spawnSync(python, [script, file], { encoding: "utf8" });
    assert.equal(run.status, 0, run.stderr);
    const tree = JSON.parse(run.stdout);
    const version = tree.children.version;
    assert.deepEqual([version.dtype, version.encoding, version.variable_length, version.shape, version.value], ["string", "utf-8", true, [], NIR_VERSION]);
    const root = tree.children.node.children;
    assert.equal(root.type.value, "NIRGraph");
    assert.deepEqual(root.edges.shape, [graph.edges.length, 2]);
    assert.deepEqual(root.edges.value, graph.edges);
    assert.equal(root.metadata.children.dt.dtype, "float64");
    assert.equal(root.metadata.children.dt.value, 1e-4);
    const nodes = root.nodes.children;
    assert.deepEqual(Object.keys(nodes).sort(), graph.nodes.map((n) => n.name).sort());
    for (const n of graph.nodes) {
      const stored = nodes[n.name].children;
      // Exactly type plus NIR's fields: no input_type/output_type groups, which nir.read would reject.
      assert.deepEqual(Object.keys(stored).sort(), ["type", ...Object.keys(n.params)].sort(), n.name);
      assert.equal(stored.type.value, n.type);
      assert.equal(stored.type.dtype, "string");
      for (const [key, value] of Object.entries(n.params)) {
        const d = stored[key];
        assert.equal(d.kind, "dataset", `${n.name}/${key}`);
        assert.equal(d.dtype, value.dtype, `${n.name}/${key}`);
        assert.deepEqual(d.shape, value.shape, `${n.name}/${key}`);
        assert.deepEqual([d.value].flat(Infinity), [...value.data], `${n.name}/${key}`);
        if (value.dtype === "float32") assert.equal(d.compression, "gzip");
      }
    }
    // Spot checks against the network itself and hand-known values.
    assert.deepEqual(nodes.dense2.children.weight.value.flat(), [...(net.layers[8] as Dense).weight.data]);
    assert.deepEqual(nodes.input.children.shape.value, [1, 32]);
    assert.deepEqual(nodes.output.children.shape.value, [3]);
    assert.deepEqual([nodes.flatten1.children.input_type.value, nodes.flatten1.children.start_dim.value, nodes.flatten1.children.end_dim.value], [[4, 16], 0, -1]);
    assert.deepEqual([nodes.conv1.children.stride.dtype, nodes.conv1.children.stride.value], ["int64", 1]);
    assert.ok(nodes.lif1.children.v_threshold.value.flat().every((v: number) => v === 0.75));
    assert.ok(nodes.lif1.children.tau.value.flat().every((v: number) => relClose(v, 5e-4, 1e-6)));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("exportNir names the file when its folder does not exist", async () => {
  await assert.rejects(exportNir(testNetwork(), "/nonexistent-spikemed-folder/net.nir"),
    (e: unknown) => e instanceof SpikemedError && /nonexistent-spikemed-folder\/net\.nir/.test(e.message) && /does not exist/.test(e.message));
});
