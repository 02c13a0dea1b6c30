import assert from "node:assert/strict";
import fs from "node:fs";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { Rng, SpikemedError, Tensor } from "../../src/core/index.js";
import { buildNetwork, checkConfigSettings, MODEL_NAMES, modelFor, type LayerConfig, type ModelConfig, type Task } from "../../src/model/index.js";

test("every built-in model builds and ends in one score per class", () => {
  for (const task of Object.keys(MODEL_NAMES) as Task[]) {
    for (const name of MODEL_NAMES[task]) {
      if (name.startsWith("gatti2025")) continue; // 264 million weights at 256x256; test/model/silent-trap.test.ts builds it smaller
      const config = modelFor(task, name);
      assert.deepEqual(buildNetwork(config, 1).outputShape(), [config.classes], `${task} ${name}`);
    }
  }
});

test("cxr snn-deep has the parameters counted by hand and the layers of the benchmarked config", () => {
  // conv+batchnorm 16, 32, 64, 64, 128, 128 (3x3 weights, bias, gamma, beta), Dense 2048->128, 128->2
  const convs = [[1, 16], [16, 32], [32, 64], [64, 64], [64, 128], [128, 128]];
  const expected = convs.reduce((n, [cin, cout]) => n + cin * cout * 9 + 3 * cout, 0) + 2048 * 128 + 128 + 128 * 2 + 2;
  assert.equal(expected, 545_058);
  assert.equal(buildNetwork(modelFor("cxr", "snn-deep"), 1).parameterCount(), expected);
  assert.equal(buildNetwork(modelFor("cxr", "cnn-deep"), 1).parameterCount(), expected);
  for (const [name, file] of [["snn-deep", "cxr-snn-deep"], ["cnn-deep", "cxr-cnn-deep"]]) {
    const benchmarked = JSON.parse(fs.readFileSync(`bench/configs/${file}.json`, "utf8"));
    const builtIn = modelFor("cxr", name);
    assert.deepEqual(builtIn.layers, benchmarked.layers, name);
    assert.deepEqual([builtIn.inputShape, builtIn.timeSteps], [benchmarked.inputShape, benchmarked.timeSteps], name);
  }
});

test("cxr snn-resnet and its 256-pixel variants have the parameters of PyTorch's width-16 ResNet-18 and the layers of the benchmarked configs", () => {
  // bench/results/cxr-ceiling.md: bench/torch/cxr_ceiling.py's ResNet18(width=16) has 700,786 parameters;
  // the 256-pixel stem is the same 7x7 convolution at stride 4, its pool has no parameters.
  const resnets = ["snn-resnet", "srelu-resnet", "cnn-resnet", "srelu-resnet-256", "cnn-resnet-256"];
  for (const name of resnets) {
    assert.equal(buildNetwork(modelFor("cxr", name), 1).parameterCount(), 700_786, name);
    const benchmarked = JSON.parse(fs.readFileSync(`bench/configs/cxr-${name}.json`, "utf8"));
    const builtIn = modelFor("cxr", name);
    assert.deepEqual(builtIn.layers, benchmarked.layers, name);
    assert.deepEqual([builtIn.name, builtIn.inputShape, builtIn.timeSteps], [benchmarked.name, benchmarked.inputShape, benchmarked.timeSteps], name);
  }
});

test("srelu-resnet's stem max-pools before its spiking ReLUs: their rates then match ReLU-then-max-pool within 1/T; max-pooling spike trains overstates them at any T", () => {
  assert.deepEqual(modelFor("cxr", "srelu-resnet").layers.slice(2, 4).map((l) => l.type), ["maxpool", "spiking-relu"]);
  assert.deepEqual(modelFor("cxr", "cnn-resnet").layers.slice(2, 4).map((l) => l.type), ["relu", "maxpool"]);
  const rng = new Rng(3);
  const x = new Tensor([1, 1, 8, 8], Float32Array.from({ length: 64 }, () => 0.8 * rng.uniform()));
  const reluThenPool = Array.from({ length: 16 }, (_, k) => {
    const [i, j] = [Math.floor(k / 4), k % 4];
    return Math.max(0, ...[0, 1, 8, 9].map((d) => x.data[16 * i + 2 * j + d]));
  });
  const worstError = (layers: LayerConfig[], timeSteps: number): number => {
    const net = buildNetwork({ name: "stem", description: "a stem", inputShape: [1, 8, 8], classes: 16, timeSteps, encoder: { kind: "direct" }, readout: "mean", layers: [...layers, { type: "flatten" }] }, 1);
    const rates = net.forward(x, { training: false, rng: new Rng(0) }).data;
    return Math.max(...Array.from(rates, (rate, k) => Math.abs(rate - reluThenPool[k])));
  };
  const pool: LayerConfig = { type: "maxpool", kernel: 2 };
  const neuron: LayerConfig = { type: "spiking-relu" };
  for (const T of [4, 64, 512]) assert.ok(worstError([pool, neuron], T) <= 1 / T, `pool first, T = ${T}: ${worstError([pool, neuron], T)}`);
  assert.ok(worstError([neuron, pool], 512) > 0.2, `spikes pooled: ${worstError([neuron, pool], 512)}`);
});

test("a pooling layer's padding: a max-pool's windows ignore it (PyTorch's 3x3 stride-2 stem pool), an average pool counts it as zeros; bad padding is refused by name", () => {
  const pooled = (layer: LayerConfig, values: number[]) => {
    const net = buildNetwork({ name: "pool", description: "a pool", inputShape: [1, 4, 4], classes: 4, timeSteps: 1, encoder: { kind: "direct" }, readout: "mean", layers: [layer, { type: "flatten" }] }, 1);
    assert.deepEqual(net.outputShape(), [4]);
    return Array.from(net.forward(new Tensor([1, 1, 4, 4], Float32Array.from(values)), { training: false, rng: new Rng(0) }).data);
  };
  const ramp = Array.from({ length: 16 }, (_, k) => -(k + 1)); // -1 .. -16, row by row
  // Windows over rows and columns -1..1 and 1..3; the largest value in each is its top-left one inside the image
  // (-1, -2, -5, -6), not the padding's 0.
  assert.deepEqual(pooled({ type: "maxpool", kernel: 3, stride: 2, padding: 1 }, ramp), [-1, -2, -5, -6]);
  // The corner window's mean counts five zeros of padding: (-1 - 2 - 5 - 6) / 9.
  assert.ok(Math.abs(pooled({ type: "avgpool", kernel: 3, stride: 2, padding: 1 }, ramp)[0] - -14 / 9) < 1e-6);
  assert.throws(() => pooled({ type: "maxpool", kernel: 3, stride: 2, padding: 2 }, ramp), /layer.*padding 2 must be a whole number from 0 to half the kernel \(1\)/);
});

test("model configs: every built-in model and benchmark config passes the checks; wrong kinds, ranges and nesting are refused by file and field path", () => {
  const benchConfigs = fileURLToPath(new URL("../../../bench/configs/", import.meta.url));
  for (const task of ["ecg", "cxr"] as const) for (const name of MODEL_NAMES[task]) checkConfigSettings(JSON.parse(JSON.stringify(modelFor(task, name))), `${task} ${name}`);
  for (const file of fs.readdirSync(benchConfigs)) checkConfigSettings(JSON.parse(fs.readFileSync(benchConfigs + file, "utf8")), file);

  const base = (): ModelConfig => structuredClone(modelFor("ecg", "snn"));
  const denseAt = base().layers.findIndex((l) => l.type === "dense");
  const lifAt = base().layers.findIndex((l) => l.type === "lif");
  const withLayer = (at: number, change: object): object => { const m = base(); m.layers[at] = { ...m.layers[at], ...change } as LayerConfig; return m; };
  const cases: [object, RegExp][] = [
    ...["\"16\"", "1.5", "-5", "0", "1e9", "null"].map((units): [object, RegExp] =>
      [withLayer(denseAt, { units: JSON.parse(units) }), new RegExp(`^m\\.json: layers\\[${denseAt}\\]\\.units \\(dense\\): expected a whole number from 1 to 16,384, got ${JSON.stringify(JSON.parse(units)).replace(/[.]/g, "\\.")}$`)]),
    [withLayer(lifAt, { surrogate: "wobbly" }), new RegExp(`^m\\.json: layers\\[${lifAt}\\]\\.surrogate \\(lif\\): expected a known surrogate \\(unknown surrogate "wobbly"; choose one of .*arctan`)],
    [withLayer(lifAt, { surrogate: "arctan:abc" }), /arctan surrogate: .* must be a positive number, got NaN/],
    [withLayer(lifAt, { beta: 1.5 }), /layers\[\d+\]\.beta \(lif\): expected a decay from 0 to 1, got 1\.5/],
    [withLayer(lifAt, { reset: "sometimes" }), /layers\[\d+\]\.reset \(lif\): expected one of subtract, zero, none, got "sometimes"/],
    [{ ...base(), timeSteps: "8" }, /^m\.json: timeSteps: expected a whole number from 1 to 10,000, got "8"$/],
    [{ ...base(), inputShape: [1, -256] }, /^m\.json: inputShape: expected a list of 1 to 3 whole numbers/],
    [{ ...base(), classes: undefined }, /^m\.json: the model setting "classes" is missing/],
    [{ ...base(), layers: [{ type: "dense" }] }, /^m\.json: layers\[0\] \(dense\) needs "units"/],
  ];
  for (const [config, expected] of cases) {
    assert.throws(() => checkConfigSettings(JSON.parse(JSON.stringify(config)), "m.json"), (err: unknown) => err instanceof SpikemedError && expected.test(err.message), JSON.stringify(config).slice(0, 200));
  }
  // Residual blocks nested 5,000 deep, as JSON.parse reads them from a file: refused at depth 16, without exhausting the stack.
  const deep = JSON.stringify(base()).replace("\"layers\":[", `"layers":[${"{\"type\":\"residual\",\"layers\":[".repeat(5000)}{"type":"relu"}${"]}".repeat(5000)},`);
  assert.throws(() => checkConfigSettings(JSON.parse(deep), "deep.json"), /^SpikemedError: deep\.json: layers(\[0\]\.layers){16}\[0\] nests residual blocks more than 16 deep/);
});

test("a layer whose weights could not be allocated is refused by name before they are: a kernel wider than its input, a dense layer over 2^29 weights", () => {
  // Fuzz model-config case 918: a 3333-wide kernel made a Float32Array of 5.7e9 values throw a bare RangeError.
  const cxr = structuredClone(modelFor("cxr", "snn"));
  const convAt = cxr.layers.findIndex((l, i) => l.type === "conv2d" && i > 0);
  cxr.layers[convAt] = { ...cxr.layers[convAt], kernel: 3333 } as LayerConfig;
  assert.throws(() => buildNetwork(cxr, 1), /layer \d+ \(conv2d\): kernel 3333 is wider than its input \(64 \+ 2 x padding 1\)/);
  const wide: ModelConfig = { ...structuredClone(modelFor("ecg", "snn-features")), inputShape: [1, 65_536], features: undefined,
    layers: [{ type: "flatten" }, { type: "dense", units: 16_384 }, { type: "dense", units: 5 }] };
  assert.throws(() => buildNetwork(wide, 1), /layer 2 \(dense\): 1,073,741,824 weights, more than the 536,870,912 a layer may hold/);
});
