import { after, test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Rng, tensor, tidy } from "../../src/core/index.js";
import {
  activityPenaltyLoss, activityPenaltyProblem, buildNetwork, checkConfigSettings, layerPenaltyTerm, parseActivityPenalty, SpikeCollector,
  type ActivityPenalty, type ModelConfig,
} from "../../src/model/index.js";
import { train, type ClassificationData } from "../../src/train/index.js";
import { checkGradients, randomTensor } from "../core/gradcheck.js";

const close = (actual: number, expected: number, tol = 1e-6): void => assert.ok(Math.abs(actual - expected) <= tol, `${actual} vs ${expected}`);

test("each penalty's gradient in the spikes matches central finite differences", () => {
  const rng = new Rng(3);
  for (const kind of ["l1", "l2", "target"] as const) {
    for (const height of [1, 4]) {
      // Continuous values stand in for spikes so that the function is differentiable everywhere.
      const spikes = randomTensor(rng, [3, 2, 5], 0, height);
      checkGradients(`${kind} height ${height}`, (s) => layerPenaltyTerm(kind, s, height, 0.1), [spikes], { eps: 1e-2 });
    }
  }
  const a = randomTensor(rng, [2, 3, 4], 0, 1);
  const b = randomTensor(rng, [2, 3, 2], 0, 1);
  const penalty: ActivityPenalty = { kind: "target", target: 0.3, weight: 2.5 };
  checkGradients("weighted sum over two layers", (x, y) => activityPenaltyLoss(penalty, [{ name: "a", spikes: x, height: 1 }, { name: "b", spikes: y, height: 1 }]), [a, b]);
});

test("the penalties equal their hand-computed values on a small spike train", () => {
  // T = 2, B = 1, 2 neurons; neuron 0 fires at both steps, neuron 1 at none.
  const spikes = tensor([1, 0, 1, 0], [2, 1, 2]);
  tidy(() => {
    close(layerPenaltyTerm("l1", spikes, 1).item(), 0.5);
    close(layerPenaltyTerm("l2", spikes, 1).item(), (1 ** 2 + 0 ** 2) / 2);
    close(layerPenaltyTerm("target", spikes, 1, 0.2).item(), (0.5 - 0.2) ** 2);
    // Spikes of height 2 (a spiking ReLU with dt 0.5) count as one spike each.
    close(layerPenaltyTerm("l1", tensor([2, 0, 2, 0], [2, 1, 2]), 2).item(), 0.5);
    const two = activityPenaltyLoss({ kind: "l1", weight: 3 }, [{ name: "x", spikes, height: 1 }, { name: "y", spikes: tensor([0, 0, 1, 0], [2, 1, 2]), height: 1 }]);
    close(two.item(), 3 * (0.5 + 0.25));
  });
});

const toyModel = (penalty?: ActivityPenalty): ModelConfig => ({
  name: "toy-snn", description: "toy", inputShape: [1, 16], classes: 2, timeSteps: 4, encoder: { kind: "direct" }, readout: "mean",
  layers: [
    { type: "conv1d", filters: 4, kernel: 3, padding: 1 }, { type: "lif", beta: 0.8 }, { type: "maxpool", kernel: 2 },
    { type: "flatten" }, { type: "dense", units: 8 }, { type: "lif", beta: 0.8 }, { type: "dense", units: 2 },
  ],
  ...(penalty ? { activityPenalty: penalty } : {}),
});

test("the collector gathers the spike trains the network records, and only the layers named", () => {
  const net = buildNetwork(toyModel(), 2);
  const x = randomTensor(new Rng(5), [3, 1, 16], 0, 3);
  x.requiresGrad = false;
  const recording = net.record(x);
  for (const layers of [undefined, ["lif2"]]) {
    const collector = new SpikeCollector({ kind: "l1", weight: 1, layers });
    tidy(() => {
      net.forward(x, { training: false, rng: new Rng(0), observe: collector.observe });
      assert.deepEqual(collector.collected.map((c) => c.name), layers ?? ["lif1", "lif2"]);
      for (const c of collector.collected) assert.deepEqual(c.spikes.toArray(), recording.spikes.get(c.name)!.toArray());
      const expected = collector.collected.reduce((sum, c) => sum + c.spikes.toArray().reduce((a, b) => a + b, 0) / c.spikes.size, 0);
      close(activityPenaltyLoss({ kind: "l1", weight: 1 }, collector.collected).item(), expected, 1e-5);
    });
  }
  assert.throws(() => SpikeCollector.check({ kind: "l1", weight: 1, layers: ["lif9"] }, net.neuronLayers()), /no spiking layer named "lif9"[\s\S]*lif1, lif2/);
});

const made: string[] = [];
after(() => { for (const dir of made) fs.rmSync(dir, { recursive: true, force: true }); });

test("training with an L1 penalty fires less than the same training without it", async () => {
  const rng = new Rng(1);
  const n = 64;
  const L = 16;
  const x = new Float32Array(n * L);
  const labels = Uint8Array.from({ length: n }, (_, i) => i % 2);
  for (let i = 0; i < n; i++) {
    const centre = labels[i] === 0 ? 4 : 11;
    for (let l = 0; l < L; l++) x[i * L + l] = 2 * Math.exp(-((l - centre) ** 2) / 2) + 0.1 * rng.normal();
  }
  const data: ClassificationData = {
    classNames: ["left", "right"], inputShape: [1, L], labels,
    fill: (indices, out) => Array.from(indices).forEach((idx, r) => out.signal.set(x.subarray(idx * L, (idx + 1) * L), r * L)),
  };
  const split = { train: Int32Array.from({ length: 48 }, (_, i) => i), val: Int32Array.from({ length: 16 }, (_, i) => 48 + i) };
  const rateAfter = async (penalty?: ActivityPenalty): Promise<number> => {
    const runDir = fs.mkdtempSync(path.join(os.tmpdir(), "spikemed-penalty-"));
    made.push(runDir);
    const result = await train(buildNetwork(toyModel(penalty), 1), data, split,
      { epochs: 6, batchSize: 8, optimizer: { kind: "adam", lr: 0.02 }, seed: 4, runDir, log: { write: () => true } });
    const rates = result.history[result.history.length - 1].firingRates!;
    return (rates.lif1 + rates.lif2) / 2;
  };
  const plain = await rateAfter();
  const penalised = await rateAfter({ kind: "l1", weight: 5 });
  assert.ok(plain > 0.05, `the plain network fires (${plain})`);
  assert.ok(penalised < plain / 2, `penalised ${penalised} against plain ${plain}`);
});

test("penalties are read from the command line's form and from configs, and malformed ones are refused in one line", () => {
  assert.deepEqual(parseActivityPenalty("l1:0.05"), { kind: "l1", weight: 0.05 });
  assert.deepEqual(parseActivityPenalty("target:0.02:1"), { kind: "target", target: 0.02, weight: 1 });
  assert.throws(() => parseActivityPenalty("l1"), /expected l1:WEIGHT, l2:WEIGHT or target:RATE:WEIGHT/);
  assert.throws(() => parseActivityPenalty("target:2:1"), /target rate from 0 to 1/);
  assert.throws(() => parseActivityPenalty("l3:1"), /expected l1:WEIGHT/);
  assert.equal(activityPenaltyProblem({ kind: "l2", weight: 0.1, layers: ["lif1"] }), null);
  assert.match(activityPenaltyProblem({ kind: "l1", weight: -1 }) ?? "", /weight must be a finite number >= 0/);
  assert.match(activityPenaltyProblem({ kind: "l1", weight: 1, target: 0.1 }) ?? "", /target rate applies to kind target only/);
  assert.match(activityPenaltyProblem({ kind: "l1", weigth: 1 }) ?? "", /unknown setting "weigth"/);
  checkConfigSettings(toyModel({ kind: "l1", weight: 0.1 }), "toy.json");
  assert.throws(() => checkConfigSettings({ ...toyModel(), activityPenalty: { kind: "l1" } }, "toy.json"), /toy\.json: activityPenalty: expected an activity penalty .*weight must be/);
});
