import { after, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { modelFor } from "../../src/model/index.js";

const made: string[] = [];
after(() => { for (const dir of made) fs.rmSync(dir, { recursive: true, force: true }); });

const main = fileURLToPath(new URL("../../src/cli/main.js", import.meta.url));
const sample = fileURLToPath(new URL("../../../data/mitdb-sample", import.meta.url));
const fixtures = fileURLToPath(new URL("../../../../shared/fixtures/nir/", import.meta.url));

function cli(...args: string[]): { code: number | null; out: string; err: string } {
  const r = spawnSync(process.execPath, [main, ...args], { encoding: "utf8", env: { ...process.env, SPIKEMED_CACHE: path.join(os.tmpdir(), "spikemed-cli-cache") } });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

test("spikemed import: an exported ECG run comes back as a run folder that predict, evaluate, energy and train --init-from take, predicting the same", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "spikemed-nir-import-cli-"));
  made.push(dir);
  // The default ECG SNN with average pools (NIR has no max-pool) and its six RR/amplitude features as a second input.
  const config = modelFor("ecg", "snn");
  config.layers = config.layers.map((l) => (l.type === "maxpool" ? { ...l, type: "avgpool" } : l));
  fs.writeFileSync(path.join(dir, "model.json"), JSON.stringify(config));
  const run = path.join(dir, "run");
  const trained = cli("train", "ecg", "--config", path.join(dir, "model.json"), "--epochs", "1", "--limit", "200", "--threads", "1", "--out", run);
  assert.equal(trained.code, 0, trained.err);
  const nir = path.join(dir, "model.nir");
  const exported = cli("export", run, "--out", nir);
  assert.equal(exported.code, 0, exported.err);
  assert.match(exported.out, /second Input node, "features"/);

  const imported = path.join(dir, "imported");
  const im = cli("import", nir, "--out", imported);
  assert.equal(im.code, 0, im.err);
  assert.match(im.out, /imported .*: ecg network "ecg-snn", 5 classes \(N, S, V, F, Q\), T = 8, readout mean/);
  assert.match(im.out, /dense1 \+ dense1\.features\s+-> dense1/);
  assert.ok(fs.existsSync(path.join(imported, "run.json")) && fs.existsSync(path.join(imported, "model.ckpt")));

  const predicted = [run, imported].map((r) => cli("predict", r, path.join(sample, "100"), "--json"));
  for (const p of predicted) assert.equal(p.code, 0, p.err);
  assert.ok(JSON.parse(predicted[0].out)[0].beats > 1000);
  assert.equal(predicted[1].out, predicted[0].out, "the imported run labels every beat as the trained one, with the same probabilities");

  for (const r of [run, imported]) assert.equal(cli("evaluate", r).code, 0);
  const metrics = [run, imported].map((r) => JSON.parse(fs.readFileSync(path.join(r, "evaluation.json"), "utf8")));
  assert.deepEqual(metrics[1].accuracy, metrics[0].accuracy);
  const energy = cli("energy", imported);
  assert.equal(energy.code, 0, energy.err);
  assert.match(energy.out + energy.err, /loihi/i);
  const tuned = cli("train", "ecg", "--config", path.join(imported, "model.json"), "--init-from", imported, "--epochs", "1", "--limit", "200", "--threads", "1", "--out", path.join(dir, "tuned"));
  assert.equal(tuned.code, 0, tuned.err);
});

test("spikemed import refuses in one line: a graph that names no task, one output, an input no task reads, a file that is not NIR", { skip: fs.existsSync(fixtures) ? false : "../shared/fixtures/nir is absent" }, () => {
  const out = path.join(os.tmpdir(), "spikemed-never-written");
  const cases: [string[], RegExp][] = [
    [["import", `${fixtures}02_cnn__cnn_sinabs.nir`, "--out", out], /cnn_sinabs\.nir: the graph does not say which task its network serves\n  fix: give --task ecg or --task cxr/],
    [["import", `${fixtures}02_cnn__cnn_sinabs.nir`, "--out", out, "--task", "ecg"], /the graph takes \[2, 34, 34\] per step, which no ECG beat window/],
    [["import", `${fixtures}01_lif__lif_norse.nir`, "--out", out, "--task", "ecg"], /lif_norse\.nir: the graph's output is \[1\] per step, not two or more class scores/],
    [["import", main, "--out", out], /main\.js: not a readable NIR file/],
    [["import", `${fixtures}03_rnn__braille_noDelay_bias_zero.nir`, "--out", out, "--task", "ecg", "--classes", "a,b"], /the graph takes \[12\] per step/],
  ];
  for (const [args, pattern] of cases) {
    const r = cli(...args);
    assert.notEqual(r.code, 0, args.join(" "));
    assert.match(r.err, pattern);
    assert.doesNotMatch(r.err, /\n\s+at .*:\d+:\d+/, "no stack trace");
  }
  assert.ok(!fs.existsSync(out));
});
