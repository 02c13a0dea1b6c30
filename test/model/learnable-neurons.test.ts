import { after, test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Rng } from "../../src/core/index.js";
import { buildNetwork, checkConfigSettings, withLearnableNeurons, type ModelConfig } from "../../src/model/index.js";
import { train, type ClassificationData } from "../../src/train/index.js";

const model: ModelConfig = {
  name: "toy-snn", description: "toy", inputShape: [1, 16], classes: 2, timeSteps: 4, encoder: { kind: "direct" }, readout: "mean",
  layers: [{ type: "flatten" }, { type: "dense", units: 8 }, { type: "lif", beta: 0.8 }, { type: "dense", units: 2 }],
};
const made: string[] = [];
after(() => { for (const dir of made) fs.rmSync(dir, { recursive: true, force: true }); });

test("learnt thresholds and decays: one per neuron, checked as config fields, moved by training", async () => {
  const learnt = withLearnableNeurons(model, ["threshold", "beta"]);
  checkConfigSettings(learnt, "learnt.json");
  assert.deepEqual(learnt.layers[2], { type: "lif", beta: 0.8, learnThreshold: true, learnBeta: true });
  const net = buildNetwork(learnt, 1);
  const names = net.parameters().map((p) => p.name);
  assert.ok(names.includes("lif1.threshold") && names.includes("lif1.beta"), names.join(", "));
  assert.equal(net.parameters().find((p) => p.name === "lif1.threshold")!.tensor.size, 8);

  const rng = new Rng(2);
  const n = 48;
  const x = Float32Array.from({ length: n * 16 }, (_, i) => (Math.floor(i / 16) % 2 === 0 ? (i % 16 < 8 ? 2 : 0) : (i % 16 >= 8 ? 2 : 0)) + 0.1 * rng.normal());
  const data: ClassificationData = {
    classNames: ["left", "right"], inputShape: [1, 16], labels: Uint8Array.from({ length: n }, (_, i) => i % 2),
    fill: (indices, out) => Array.from(indices).forEach((idx, r) => out.signal.set(x.subarray(idx * 16, (idx + 1) * 16), r * 16)),
  };
  const runDir = fs.mkdtempSync(path.join(os.tmpdir(), "spikemed-learn-"));
  made.push(runDir);
  await train(net, data, { train: Int32Array.from({ length: 40 }, (_, i) => i), val: Int32Array.from({ length: 8 }, (_, i) => 40 + i) },
    { epochs: 3, batchSize: 8, optimizer: { kind: "adam", lr: 0.02 }, seed: 1, runDir, log: { write: () => true } });
  const threshold = Array.from(net.parameters().find((p) => p.name === "lif1.threshold")!.tensor.data);
  const beta = Array.from(net.parameters().find((p) => p.name === "lif1.beta")!.tensor.data);
  assert.ok(threshold.some((t) => Math.abs(t - 1) > 1e-3), `thresholds ${threshold}`);
  assert.ok(beta.some((b) => Math.abs(b - 0.8) > 1e-3) && beta.every((b) => b >= 0 && b <= 1), `decays ${beta}`);

  assert.throws(() => withLearnableNeurons({ ...model, layers: [{ type: "flatten" }, { type: "dense", units: 2 }] }, ["beta"]), /has no spiking LIF layer/);
});
