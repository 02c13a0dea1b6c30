import { test } from "node:test";
import assert from "node:assert/strict";
import { Rng, tensor } from "../../src/core/index.js";
import { evaluateClassifier } from "../../src/eval/index.js";
import { buildNetwork, gatti2025, gatti2025Replication } from "../../src/model/index.js";
import { train, type ClassificationData } from "../../src/train/index.js";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

const SIZE = 32;
/** Image-like inputs in [0, 1], as the paper's preprocessing gives. */
function images(n: number, seed: number): Float32Array {
  const rng = new Rng(seed);
  return Float32Array.from({ length: n * SIZE * SIZE }, () => rng.uniform());
}

test("the X-ray replication's settings (T = 1, dt = 0.001) give a silent network that predicts one class, and the diagnostics say so", () => {
  const network = buildNetwork(gatti2025Replication(SIZE), 1);
  const x = tensor(images(8, 1), [8, 1, SIZE, SIZE]);
  const probabilities = network.predict(x).toArray();
  const predicted = Array.from({ length: 8 }, (_, r) => (probabilities[2 * r + 1] > probabilities[2 * r] ? 1 : 0));
  assert.ok(predicted.every((c) => c === predicted[0]), `every input gets the same class: ${predicted}`);
  // Evaluated on samples of both classes, the report says what the replication's 59% was.
  const evaluation = evaluateClassifier({ classNames: ["covid", "non_covid"], yTrue: Int32Array.from({ length: 8 }, (_, i) => i % 2), probabilities: Float64Array.from(probabilities), bootstrap: false });
  assert.match(evaluation.warnings[0], /^every one of the 8 samples is predicted as class (covid|non_covid): the network answers one class whatever the input, so its accuracy is that class's share \(50\.0%\)/);

  network.forward(x, { training: true, rng: new Rng(2) });
  const activity = network.activity();
  assert.ok([...activity.values()].every((s) => s.rate === 0), `rates ${[...activity.values()].map((s) => s.rate)}`);
  const warnings = network.activityWarnings();
  assert.deepEqual(warnings.map((w) => w.layer), [...activity.keys()], "every spiking layer is flagged");
  assert.ok(warnings.some((w) => w.kind === "silent" && /is silent: no spikes across \d+ samples, so the network cannot learn and will predict one class/.test(w.message)));
  for (const w of warnings) assert.match(w.message, /time steps T \(now 1\), dt \(now 0\.001\)/);
});

test("the same network with spikemed's defaults (dt = 1, T = 4) spikes in every layer", () => {
  const network = buildNetwork(gatti2025({ imageSize: SIZE }), 1);
  network.forward(tensor(images(8, 3), [8, 1, SIZE, SIZE]), { training: true, rng: new Rng(2) });
  const rates = [...network.activity().values()].map((s) => s.rate);
  assert.equal(rates.length, 6);
  assert.ok(rates.every((r) => r > 0), `rates ${rates}`);
  assert.deepEqual(network.activityWarnings().filter((w) => w.kind === "silent"), []);
});

test("training the silent network reports the warning in the run's result", async () => {
  const x = images(8, 4);
  const data: ClassificationData = {
    classNames: ["covid", "non_covid"], inputShape: [1, SIZE, SIZE], labels: Uint8Array.from([0, 1, 0, 1, 0, 1, 0, 1]),
    fill: (idx, out) => Array.from(idx).forEach((i, r) => out.signal.set(x.subarray(i * SIZE * SIZE, (i + 1) * SIZE * SIZE), r * SIZE * SIZE)),
  };
  const all = Int32Array.from([0, 1, 2, 3, 4, 5, 6, 7]);
  const runDir = fs.mkdtempSync(path.join(os.tmpdir(), "spikemed-silent-"));
  const result = await train(buildNetwork(gatti2025Replication(SIZE), 1), data, { train: all, val: all.subarray(0, 4) }, {
    epochs: 1, batchSize: 8, optimizer: { kind: "adam", lr: 1e-3 }, seed: 1,
    runDir, log: { write: () => true },
  });
  fs.rmSync(runDir, { recursive: true, force: true });
  assert.ok(result.warnings.some((w) => /spikingrelu\d is silent/.test(w)), result.warnings.join("\n"));
});
