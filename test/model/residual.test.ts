// Residual blocks: hand-computed sums through identity and projection shortcuts, gradients
// against finite differences, spiking blocks over time, shape errors, and the walks over a
// network (neuron layers, energy descriptions and input rates, memory saving; NIR export: test/export/nir.test.ts).
import { test } from "node:test";
import assert from "node:assert/strict";
import { Rng, SpikemedError, tensor } from "../../src/core/index.js";
import { builtinDevices, estimateEnergy } from "../../src/energy/index.js";
import { buildNetwork, Conv2d, Leaky, mapLayerConfigs, Residual, withMemorySaving, type LayerConfig, type ModelConfig } from "../../src/model/index.js";
import { checkGradients, randomTensor } from "../core/gradcheck.js";

const image = (layers: LayerConfig[], timeSteps = 1): ModelConfig => ({
  name: "residual-test", description: "", inputShape: [1, 4, 4], classes: 2, timeSteps, encoder: { kind: "direct" }, readout: "mean", layers,
});
const head: LayerConfig[] = [{ type: "flatten" }, { type: "dense", units: 2 }];

/** Sets a 1x1, one-channel convolution to y = w x + b. */
function setConv(conv: Conv2d, w: number, b: number | null): void {
  conv.weight.data.fill(w);
  if (b !== null) conv.bias!.data.fill(b);
}

test("residual: an identity shortcut adds the input (2x + 0.5 + x), a projection its own path (2x + 0.5 + 3x)", () => {
  const conv = (bias = true): LayerConfig => ({ type: "conv2d", filters: 1, kernel: 1, bias });
  const identity = buildNetwork(image([{ type: "residual", layers: [conv()] }, ...head]), 1);
  const projected = buildNetwork(image([{ type: "residual", layers: [conv()], shortcut: [conv(false)] }, ...head]), 1);
  const x = randomTensor(new Rng(4), [3, 1, 4, 4]);
  const cases: [Residual, number][] = [[identity.layers[0] as Residual, 3], [projected.layers[0] as Residual, 5]];
  for (const [block, slope] of cases) {
    setConv(block.main[0] as Conv2d, 2, 0.5);
    if (block.shortcut.length) setConv(block.shortcut[0] as Conv2d, 3, null);
    const y = block.forward({ x, timeSteps: 1, static: true }, { training: false, rng: new Rng(0) });
    assert.equal(y.static, true);
    y.x.toArray().forEach((v, i) => assert.ok(Math.abs(v - (slope * x.data[i] + 0.5)) < 1e-6, `element ${i}: ${v}`));
  }
});

test("residual: gradients through both paths match finite differences", () => {
  const net = buildNetwork(image([
    { type: "conv2d", filters: 3, kernel: 3, padding: 1 }, { type: "relu" },
    { type: "residual", layers: [{ type: "conv2d", filters: 3, kernel: 3, padding: 1 }, { type: "relu" }, { type: "conv2d", filters: 3, kernel: 3, padding: 1 }] },
    { type: "relu" },
    { type: "residual", layers: [{ type: "conv2d", filters: 4, kernel: 3, stride: 2, padding: 1 }], shortcut: [{ type: "conv2d", filters: 4, kernel: 1, stride: 2 }] },
    ...head,
  ]), 2);
  const byName = new Map(net.parameters().map((p) => [p.name, p.tensor]));
  // conv2 and conv3: the first block's main path; conv5: the second block's shortcut.
  for (const name of ["conv2.weight", "conv3.weight", "conv5.weight"]) assert.ok(byName.has(name), `${name} in ${[...byName.keys()].join(", ")}`);
  const params = ["conv2.weight", "conv3.weight", "conv5.weight"].map((n) => byName.get(n)!);
  checkGradients("residual", (x) => net.forward(x, { training: true, rng: new Rng(0) }), [randomTensor(new Rng(5), [2, 1, 4, 4]), ...params], { samples: 12 });
});

test("residual: a spiking block over time adds the static input to the main path's spikes at every step", () => {
  const net = buildNetwork(image([
    { type: "residual", layers: [{ type: "conv2d", filters: 1, kernel: 1 }, { type: "lif", beta: 0.5 }] }, ...head,
  ], 3), 1);
  const block = net.layers[0] as Residual;
  setConv(block.main[0] as Conv2d, 1, 0);
  const x = tensor([0.2, 0.7, 1.4, 0.0], [1, 1, 2, 2]);
  const y = block.forward({ x, timeSteps: 3, static: true }, { training: false, rng: new Rng(0) });
  assert.equal(y.static, false);
  assert.deepEqual(y.x.shape, [3, 1, 1, 2, 2]);
  // LIF (beta 0.5, threshold 1, reset by subtraction) driven by a constant current c: u1 = c, u2 = 0.5 u1 + c - s1, ...
  const spikes = (c: number): number[] => {
    let u = 0;
    let s = 0;
    return [0, 1, 2].map(() => {
      u = 0.5 * u + c - s;
      s = u > 1 ? 1 : 0;
      return s;
    });
  };
  const values = y.x.toArray();
  [0.2, 0.7, 1.4, 0].forEach((c, i) => spikes(c).forEach((s, t) => assert.ok(Math.abs(values[t * 4 + i] - (s + c)) < 1e-6, `step ${t} element ${i}`)));
});

test("residual: paths of different shapes are refused by name, with the shortcut that fixes it", () => {
  assert.throws(() => buildNetwork(image([{ type: "residual", layers: [{ type: "conv2d", filters: 2, kernel: 3, stride: 2, padding: 1 }] }, ...head]), 1),
    (e: unknown) => e instanceof SpikemedError && /residual1: the main path gives \[2, 2, 2\] per sample but the shortcut gives \[1, 4, 4\]/.test(e.message)
      && /kernel 1, the main path's stride and 2 filters/.test(e.hint ?? ""));
  assert.throws(() => buildNetwork(image([{ type: "residual", layers: [] }, ...head]), 1), /layer 1 \(residual\): needs "layers"/);
  assert.throws(() => buildNetwork(image([{ type: "residual", layers: [{ type: "dense", units: 3 }] }, ...head]), 1), /layer 1 \(residual\) main layer 1 \(dense\): needs a flat input/);
});

const spikingResNet = (): ModelConfig => image([
  { type: "conv2d", filters: 4, kernel: 3, padding: 1 }, { type: "batchnorm" }, { type: "lif" },
  { type: "residual", layers: [{ type: "conv2d", filters: 4, kernel: 3, padding: 1 }, { type: "batchnorm" }, { type: "lif" }, { type: "conv2d", filters: 4, kernel: 3, padding: 1 }, { type: "batchnorm" }] },
  { type: "lif" },
  ...head,
], 4);

test("residual: neuron layers, energy and memory saving reach the layers inside a block", () => {
  const config = spikingResNet();
  const net = buildNetwork(config, 3);
  assert.deepEqual(net.neuronLayers().map((l) => l.name), ["lif1", "lif2", "lif3"]);
  const described = net.describe().map((d) => d.name);
  for (const name of ["conv2", "batchnorm2", "lif2", "conv3"]) assert.ok(described.includes(name), `${name} described`);
  const x = randomTensor(new Rng(6), [4, 1, 4, 4], 0, 1);
  const activity = net.measureInputRates([x]);
  // conv3 reads lif2's spikes: its input rate is their mean, a fraction in [0, 1].
  assert.ok(activity.inputRates.conv3 >= 0 && activity.inputRates.conv3 <= 1, `conv3 rate ${activity.inputRates.conv3}`);
  const recorded = net.record(x);
  const lif2 = recorded.spikes.get("lif2")!.toArray();
  const rate = lif2.reduce((a, b) => a + b, 0) / lif2.length;
  assert.ok(Math.abs(activity.inputRates.conv3 - rate) < 1e-6, `conv3's input rate ${activity.inputRates.conv3} is lif2's spike rate ${rate}`);
  const energy = estimateEnergy(net.describe(), activity, { devices: builtinDevices().filter((d) => d.name === "loihi") });
  assert.ok(energy.rows.some((r) => r.name === "conv3"));

  // Nested layers get index -1, so a change keyed on top-level positions (the output layer) leaves them be.
  const indices: number[] = [];
  mapLayerConfigs(config.layers, (l, i) => (indices.push(i), l));
  assert.deepEqual(indices, [0, 1, 2, -1, -1, -1, -1, -1, 3, 4, 5, 6]);
  const saving = buildNetwork(withMemorySaving(config), 3);
  assert.ok(saving.neuronLayers().every((l) => l instanceof Leaky && l.recompute), "every LIF, nested ones too, recomputes");
});
