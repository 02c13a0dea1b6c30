import { after, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import sharp from "sharp";
import { RESEARCH_NOTICE } from "../../src/core/index.js";
import { readRecord, wfdbChecksum } from "../../src/data/ecg/index.js";
import { initializeFromRun, loadRun } from "../../src/experiment/index.js";
import { buildNetwork, modelFor, type ModelConfig } from "../../src/model/index.js";
import { readCheckpoint } from "../../src/train/checkpoint.js";

const made: string[] = [];
after(() => { for (const dir of made) fs.rmSync(dir, { recursive: true, force: true }); });
/** A fresh temporary folder, removed when the tests end. */
function temporaryDir(prefix: string): string {
  made.push(fs.mkdtempSync(path.join(os.tmpdir(), prefix)));
  return made[made.length - 1];
}

const main = fileURLToPath(new URL("../../src/cli/main.js", import.meta.url));
const sample = fileURLToPath(new URL("../../../data/mitdb-sample", import.meta.url));

function cli(...args: string[]): { code: number | null; out: string; err: string } {
  const r = spawnSync(process.execPath, [main, ...args], { encoding: "utf8", env: { ...process.env, SPIKEMED_CACHE: path.join(os.tmpdir(), "spikemed-cli-cache") } });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const escape = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
const noStack = (text: string): void => assert.doesNotMatch(text, /\n\s+at .*:\d+:\d+/, "no stack trace");

test("--help is available for the program and every command", () => {
  const top = cli("--help");
  assert.equal(top.code, 0);
  for (const c of ["train", "search", "evaluate", "predict", "compare", "energy", "export", "explain", "serve", "download"]) {
    assert.match(top.out, new RegExp(`\\b${c}\\b`));
    const r = cli(c, "--help");
    assert.equal(r.code, 0, `${c} --help`);
    assert.match(r.out, /Usage: spikemed/);
  }
});

test("bad input gives one clear error line naming the problem, never a stack trace", () => {
  const configs = temporaryDir("spikemed-configs-");
  const config = (name: string, change: (model: ModelConfig) => object) => {
    const file = path.join(configs, `${name}.json`);
    fs.writeFileSync(file, JSON.stringify(change(structuredClone(modelFor("ecg", "snn")))));
    return file;
  };
  const misspelt = config("misspelt", (m) => ({ ...m, layers: m.layers.map((l) => (l.type === "lif" ? { ...l, treshold: 0.5 } : l)) }));
  const nested = config("nested", (m) => ({ ...m, layers: [{ type: "residual", layers: [{ type: "maxpool", kernel: 2, pading: 1 }] }, ...m.layers] }));
  const cases: [string[], RegExp][] = [
    [["train", "ecg", "--epochs", "1", "--limit", "50", "--config", misspelt], /misspelt\.json: layers\[1\] \(lif\) has no setting "treshold"\n  fix: a lif layer takes beta, tauM, dt, threshold/],
    [["train", "ecg", "--epochs", "1", "--limit", "50", "--config", nested], /nested\.json: layers\[0\]\.layers\[0\] \(maxpool\) has no setting "pading"\n  fix: a maxpool layer takes kernel, stride, padding/],
    [["train", "ecg", "--epochs", "1", "--limit", "50", "--config", config("top", (m) => ({ ...m, timesteps: 4 }))], /top\.json: unknown model setting "timesteps"/],
    [["train", "ecg", "--data", "/no/such/folder"], /--data \/no\/such\/folder: no such folder/],
    [["train", "ekg"], /expected one of ecg, cxr, got "ekg"/],
    [["train", "ecg", "--activity-penalty", "l3:1"], /--activity-penalty.*expected l1:WEIGHT, l2:WEIGHT or target:RATE:WEIGHT/],
    [["train", "ecg", "--epochs", "1", "--limit", "50", "--activity-penalty", "l1:1", "--activity-penalty-layers", "lif9"], /activity penalty: no spiking layer named "lif9"\n  fix: the network's spiking layers: lif1, lif2, lif3/],
    [["search", "ecg", "--grid", "lr=1e-3", "--objective", "accuracy@tpu"], /unknown device "tpu"/],
    [["train", "ecg", "--epochs", "0"], /--epochs.*expected a positive integer, got "0"/],
    [["train", "cxr"], /train cxr needs --data DIR/],
    [["train", "ecg", "--model", "transformer"], /unknown ecg model "transformer"/],
    [["evaluate", "/no/such/run"], /not a spikemed run folder/],
    [["predict", "/no/such/run", "x"], /not a spikemed run folder/],
    [["train", "ecg", "--beat-window", "0.5"], /--beat-window.*expected two numbers of seconds/],
    [["train", "ecg", "--validation", "records"], /--validation applies to --split inter only/],
    [["train", "ecg", "--max-class-weight", "5"], /--max-class-weight applies to loss weights; --balance is none/],
    [["train", "ecg", "--weight-decay", "-0.1"], /--weight-decay.*expected a number >= 0, got "-0.1"/],
    [["train", "ecg", "--warmup", "2"], /--warmup applies to --schedule cosine and onecycle; the schedule is constant/],
    [["train", "ecg", "--momentum", "0.5"], /--momentum applies to --optimizer sgd; the optimizer is adam/],
    [["train", "ecg", "--label-smoothing", "1"], /--label-smoothing.*expected a number from 0 up to \(not including\) 1, got "1"/],
    [["train", "ecg", "--schedule", "cosine", "--epochs", "3", "--warmup", "3"], /--warmup 3 leaves no epoch of the 3 to anneal in/],
    [["train", "ecg", "--augment-settings", "flip=0"], /--augment-settings applies to augmented X-rays; this is train ecg/],
    [["train", "cxr", "--augment-settings", "flip=2"], /--augment-settings.*flip: expected a number from 0 to 1, got "2"/],
    [["train", "cxr", "--augment-settings", "tilt=3"], /--augment-settings.*expected key=value pairs with keys flip, rotation, shift, contrast, brightness, shift-step, contrast-center, got "tilt=3"/],
    [["train", "cxr", "--data", "/no/such/folder", "--model", "srelu-resnet-256", "--recipe", "resnet-from-twin"], /--recipe resnet-from-twin fine-tunes a trained ReLU twin: it needs --init-from RUN/],
    [["train", "ecg", "--recipe", "resnet-twin"], /--recipe resnet-twin is a chest X-ray recipe; this is ecg/],
    [["search", "cxr", "--data", "/no/such/folder", "--recipe", "resnet-from-twin", "--grid", "lr=1e-3"], /search trains every trial from random weights, and --recipe resnet-from-twin fine-tunes a trained twin/],
    [["search", "ecg"], /search needs at least one --grid/],
    [["search", "ecg", "--grid", "colour=1,2"], /--grid colour: not a setting a search can vary/],
    [["search", "ecg", "--grid", "lr=fast"], /--grid lr: expected a positive number, got "fast"/],
    [["search", "ecg", "--grid", "beta=1.5"], /--grid beta: expected a decay in \(0, 1\], got "1.5"/],
    [["search", "ecg", "--model", "cnn", "--grid", "beta=0.9"], /--grid beta: model "ecg-cnn" has no layer with that setting/],
    [["search", "ecg", "--grid", "surrogate=wobbly"], /--grid surrogate: unknown surrogate "wobbly"/],
    [["search", "ecg", "--grid", "class-weights=none,F"], /--grid class-weights: expected class=weight pairs/],
    [["train", "ecg", "--class-weights", "F=1,F=2"], /a class is named twice in "F=1,F=2"/],
    [["search", "ecg", "--objective", "recall"], /unknown search objective "recall"/],
    [["train", "ecg", "--beat-window", "0.25,0"], /beat window 0\.25 s before and 0 s after the R peak at 120 Hz holds no samples after the peak/],
  ];
  for (const [args, expected] of cases) {
    const r = cli(...args);
    assert.notEqual(r.code, 0, args.join(" "));
    assert.match(r.err, expected, `${args.join(" ")}: ${r.err}`);
    noStack(r.err);
  }
});

test("an empty data folder and an unreadable record are reported by name", () => {
  const empty = temporaryDir("spikemed-empty-");
  const r = cli("train", "ecg", "--data", empty, "--epochs", "1");
  assert.notEqual(r.code, 0);
  assert.match(r.err, new RegExp(empty.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")));
  noStack(r.err);

  const broken = temporaryDir("spikemed-broken-");
  for (const ext of ["hea", "atr"]) fs.copyFileSync(path.join(sample, `100.${ext}`), path.join(broken, `100.${ext}`));
  fs.writeFileSync(path.join(broken, "100.dat"), fs.readFileSync(path.join(sample, "100.dat")).subarray(0, 1000));
  const t = cli("train", "ecg", "--data", broken, "--epochs", "1");
  assert.notEqual(t.code, 0);
  assert.match(t.err, /100/);
  noStack(t.err);
});

test("issue 27's crashing inputs each get one error line naming the file or option and the fix", async () => {
  const dir = temporaryDir("spikemed-bad-inputs-");
  const write = (file: string, content: string | Buffer): string => {
    fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    fs.writeFileSync(path.join(dir, file), content);
    return path.join(dir, file);
  };
  const model = JSON.stringify(modelFor("ecg", "snn"));
  const units = write("units.json", model.replace('"units":128', '"units":"16"'));
  // Settings each valid, but the last layer gives 64 values per beat, not the 5 class scores.
  const unchained = write("unchained.json", model.replace(/"units":5\b/, '"units":64'));
  const nested = write("nested.json", model.replace('"layers":[', `"layers":[${'{"type":"residual","layers":['.repeat(5000)}{"type":"relu"}${"]}".repeat(5000)},`));
  // A WFDB header that names a file outside its folder.
  write("wfdb/r.hea", "r 1 360 2000\n../../../../etc/passwd 16 200 16 0\n");
  write("wfdb/r.atr", "");
  // X-rays: a folder of one class, and a manifest of two images.
  const image = await sharp(Buffer.alloc(32 * 32, 90), { raw: { width: 32, height: 32, channels: 1 } }).png().toBuffer();
  for (const file of ["one/covid/a.png", "one/covid/b.png", "one/covid/c.png", "two/covid/a.png", "two/normal/b.png"]) write(file, image);
  // A class folder whose files are all unreadable (say, a run folder left inside the data).
  for (const file of ["stray/covid/a.png", "stray/normal/b.png"]) write(file, image);
  write("stray/run/report.md", "# a report\n");
  const manifest = write("two/manifest.csv", "file,label\ncovid/a.png,covid\nnormal/b.png,normal\n");
  const cases: [string[], RegExp][] = [
    [["train", "ecg", "--config", units], /units\.json: layers\[9\]\.units \(dense\): expected a whole number from 1 to 16,384, got "16"/],
    [["train", "ecg", "--config", unchained], /--config .*unchained\.json: model "ecg-snn": the last layer gives \[64\] per sample, not 5 class scores\n  fix: /],
    [["train", "ecg", "--config", nested], /nested\.json: layers(\[0\]\.layers){16}\[0\] nests residual blocks more than 16 deep\n  fix: /],
    [["train", "ecg", "--data", path.join(dir, "wfdb")], /r\.hea: signal 0: signal file name "\.\.\/\.\.\/\.\.\/\.\.\/etc\/passwd" is not a file in the header's own folder/],
    [["train", "cxr", "--data", path.join(dir, "one"), "--out", path.join(dir, "run-one")], /--data .*one: every image is of one class \(covid\); a classifier learns from at least two\n  fix: /],
    [["train", "cxr", "--data", manifest, "--out", path.join(dir, "run-two")], /--data .*manifest\.csv: the mixed split of 2 images leaves no image for validation or test \(train 2, validation 0, test 0\)\n  fix: /],
    [["train", "cxr", "--data", path.join(dir, "stray"), "--out", path.join(dir, "run-stray")], /--data .*stray: class run has no readable image \(every file of it was skipped\)\n  fix: /],
    [["train", "ecg", "--sample-rate", "1e9"], /--sample-rate.*expected a rate from 50 to 10000 Hz, got "1e9"/],
    [["train", "ecg", "--epochs", "0x10"], /--epochs.*expected a positive integer, got "0x10"/],
    [["train", "ecg", "--time-steps", "20000"], /--time-steps.*expected a whole number of steps from 1 to 10000, got "20000"/],
    [["energy", "/no/such/run", "--batches", "abc"], /--batches.*expected a positive integer, got "abc"/],
    [["import", path.join(dir, "missing.nir"), "--out", path.join(dir, "imported")], /missing\.nir/],
  ];
  for (const [args, expected] of cases) {
    const r = cli(...args);
    assert.equal(r.code, 1, `${args.join(" ")}: exit code`);
    assert.match(r.err, expected, `${args.join(" ")}: ${r.err}`);
    assert.doesNotMatch(r.out, /Usage:/, args.join(" "));
    noStack(r.err);
  }
  for (const run of ["run-one", "run-two", "run-stray"]) assert.ok(!fs.existsSync(path.join(dir, run, "last.ckpt")), `${run}: refused before training`);
});

test("train, evaluate, predict, energy and compare work end to end on a small subset of the embedded sample", () => {
  const out = temporaryDir("spikemed-run-");
  const run = path.join(out, "run");
  const t = cli("train", "ecg", "--epochs", "1", "--limit", "300", "--time-steps", "2", "--out", run, "--records", "208", "--activity-penalty", "l1:0.5", "--activity-penalty-layers", "lif1,lif2");
  assert.equal(t.code, 0, t.err);
  assert.deepEqual(loadRun(run).manifest.model.activityPenalty, { kind: "l1", weight: 0.5, layers: ["lif1", "lif2"] });
  for (const f of ["report.md", "report.json", "run.json", "model.ckpt", "energy.md", "learning-curves.svg"]) assert.ok(fs.existsSync(path.join(run, f)), f);
  assert.match(t.err, /test accuracy \d+\.\d+%/);
  const report = fs.readFileSync(path.join(run, "report.md"), "utf8");
  assert.match(report, /## Test accuracy by record\n\n.*\n.*\n\| 208 \| \d+ \|/);
  // Before any figure: the notice, and that an intra-patient split tests patients seen in training.
  assert.match(report, new RegExp(`^# .*\\n\\n> ${escape(RESEARCH_NOTICE)}\\n\\n> \\*\\*Caution:\\*\\* intra-patient split: the same patients are in training and test .* will not hold for new patients`));
  const trainedEnergy = fs.readFileSync(path.join(run, "energy.md"), "utf8");
  assert.ok(trainedEnergy.startsWith(`> ${RESEARCH_NOTICE}\n`), "energy.md starts with the notice");
  assert.match(trainedEnergy, /## Measured on this machine/);
  // One sentence on whether the spikes save energy opens the section, before its tables.
  assert.match(trainedEnergy, /## Energy per inference\n\n\*\*(Yes, the spikes save energy|No, the spikes do not save energy|Only the chip saves energy, not the spikes): the SNN costs .* J per inference on loihi, .*x its ANN twin on gpu/);
  assert.match(report, /## Energy: .*\n\n\*\*(Yes|No|Only the chip)[^\n]*\*\*\n\n\| device \| kind \| joules per inference \| ANN twin joules per inference \|/);

  const e = cli("evaluate", run);
  assert.equal(e.code, 0, e.err);
  assert.match(e.out, /accuracy \d+\.\d+% \(95% CI/);
  assert.match(e.out, /test accuracy by record:\nrecord +beats +N \/ S \/ V \/ F \/ Q +accuracy +S Se +S \+P +V Se +V \+P +share of errors\n208 /);
  assert.match(e.out, /Cohen's kappa -?\d\.\d{4} \(95% CI/);
  assert.match(e.out, /\nV +(\d+\.\d\d|n\/a) +(\d+\.\d\d|n\/a) +\d+\.\d\d /);
  assert.match(e.out, /\ngross \(pooled\) +\d+ /);
  assert.doesNotMatch(e.out, /NaN/);
  const written = JSON.parse(fs.readFileSync(path.join(run, "evaluation.json"), "utf8"));
  assert.deepEqual(written.byGroup.columns.slice(4, 8), ["S Se", "S +P", "V Se", "V +P"]);
  assert.equal(typeof written.kappa.estimate, "number");

  assert.ok(e.out.startsWith(`${RESEARCH_NOTICE}\ncaution: intra-patient split: the same patients`), e.out.slice(0, 300));

  const p = cli("predict", run, path.join(sample, "208"), "--json");
  assert.equal(p.code, 0, p.err);
  const [result] = JSON.parse(p.out);
  assert.ok(result.beats > 2500, `beats ${result.beats}`);
  assert.ok(result.agreement.matched / result.beats > 0.99, "detected beats match the reference annotations");
  assert.equal(result.inTrainingData, true, "record 208 trained the run");
  assert.equal(p.err.trim(), RESEARCH_NOTICE, "with --json the notice goes to stderr");
  // A copy of 208 elsewhere is still 208; record 100 was not in this run's data (--records 208).
  const copy = temporaryDir("spikemed-copy-");
  for (const ext of ["hea", "dat"]) fs.copyFileSync(path.join(sample, `208.${ext}`), path.join(copy, `208.${ext}`));
  fs.copyFileSync(path.join(sample, "100.hea"), path.join(copy, "100.hea"));
  fs.copyFileSync(path.join(sample, "100.dat"), path.join(copy, "100.dat"));
  const text = cli("predict", run, path.join(copy, "208"), path.join(copy, "100"));
  assert.equal(text.code, 0, text.err);
  assert.ok(text.out.startsWith(`${RESEARCH_NOTICE}\n`), "the notice heads predict's output");
  assert.match(text.out, /record 208: \d+ beats detected .*\n  note: record 208 is in the data this run was trained on: the model has seen its beats/);
  assert.doesNotMatch(text.out, /record 100 is in the data this run was trained on/);

  const en = cli("energy", run, "--devices", "loihi,cpu", "--batches", "1");
  assert.equal(en.code, 0, en.err);
  assert.match(en.out, /loihi/);
  // The new estimate is written beside training's energy.md, which keeps its measured section.
  assert.equal(fs.readFileSync(path.join(run, "energy.md"), "utf8"), trainedEnergy);
  const estimate = fs.readFileSync(path.join(run, "energy-estimate.md"), "utf8");
  assert.ok(estimate.startsWith(`> ${RESEARCH_NOTICE}\n\nEstimated by \`spikemed energy\` on `), estimate.slice(0, 200));
  assert.match(estimate, /\(energy-estimate-per-device\.svg\)/);

  const x = cli("explain", run, path.join(sample, "208"), "--at", "2.4,60", "--out", path.join(out, "explain"));
  assert.equal(x.code, 0, x.err);
  assert.equal([...x.out.matchAll(/^record 208, beat at (\d+\.\d+) s: [NSVFQ] \d\.\d{4}; evidence for [NSVFQ]/gm)].length, 2, x.out);
  assert.match(x.out, /window: strongest evidence -?\d+ ms from the R peak .* -> \S+208-\d+\.\d\ds-window\.svg/);
  assert.match(x.out, /measurements: pre_rr_ratio|measurements: \w+ -?\d\.\d{4}/);
  const svgs = fs.readdirSync(path.join(out, "explain")).filter((f) => f.endsWith(".svg"));
  assert.equal(svgs.length, 4, svgs.join(", "));

  const plot = path.join(out, "front.svg");
  const c = cli("compare", run, run, "--plot", plot);
  assert.equal(c.code, 0, c.err);
  assert.ok(c.out.startsWith(`${RESEARCH_NOTICE}\n`), "compare's table comes under the notice");
  assert.match(c.out, /## Accuracy against energy per inference on loihi\n\n\| Run \| accuracy % \| J per inference on loihi \| Pareto front \|[\s\S]*\| run \| \d+\.\d\d \| \d\.\d\de-\d+ \| yes \|/);
  assert.match(fs.readFileSync(plot, "utf8"), /^<svg[\s\S]*Pareto front/);
  assert.match(cli("compare", run, "--energy-device", "spinnaker3", "--plot", plot).err, /no run's report estimates energy on spinnaker3/);

  // Runs from before beat windows were recorded used 360 Hz, 0.25 s before and 0.46 s after the R peak.
  const manifestFile = path.join(run, "run.json");
  const manifest = JSON.parse(fs.readFileSync(manifestFile, "utf8"));
  delete manifest.data.window;
  fs.writeFileSync(manifestFile, JSON.stringify(manifest));
  assert.deepEqual(loadRun(run).manifest.data, { ...manifest.data, window: { sampleRate: 360, before: 90, after: 166 } });

  const again = cli("train", "ecg", "--epochs", "1", "--out", run);
  assert.notEqual(again.code, 0);
  assert.match(again.err, /already holds a finished run/);
});

test("a longer beat window at another sampling rate: the model reads it, predict windows new records the same way", () => {
  const out = temporaryDir("spikemed-window-");
  const run = path.join(out, "run");
  const t = cli("train", "ecg", "--epochs", "1", "--limit", "200", "--time-steps", "2", "--records", "208",
    "--sample-rate", "120", "--beat-window", "1,1.2", "--out", run);
  assert.equal(t.code, 0, t.err);
  const manifest = JSON.parse(fs.readFileSync(path.join(run, "run.json"), "utf8"));
  assert.deepEqual(manifest.data.window, { sampleRate: 120, before: 120, after: 144 });
  assert.deepEqual(manifest.model.inputShape, [1, 264]);
  assert.match(fs.readFileSync(path.join(run, "report.md"), "utf8"), /windows of 264 samples at 120 Hz \(1\.00 s before to 1\.20 s after the R peak\)/);

  const p = cli("predict", run, path.join(sample, "208"), "--json");
  assert.equal(p.code, 0, p.err);
  const [result] = JSON.parse(p.out);
  assert.ok(result.agreement.matched / result.beats > 0.99, "detected beats match the reference annotations");

  const config = path.join(out, "model.json");
  fs.writeFileSync(config, JSON.stringify(manifest.model));
  const mismatch = cli("train", "ecg", "--epochs", "1", "--limit", "100", "--records", "208", "--config", config, "--out", path.join(out, "bad"));
  assert.notEqual(mismatch.code, 0);
  assert.match(mismatch.err, /reads inputs of shape \[1, 264\], the data's are \[1, 256\]/);
  noStack(mismatch.err);
});

test("two leads side by side: the model reads [2, window], predict and explain window new records' two leads the same way", () => {
  const out = temporaryDir("spikemed-leads-");
  const run = path.join(out, "run");
  const t = cli("train", "ecg", "--epochs", "1", "--limit", "200", "--time-steps", "2", "--records", "208", "--leads", "MLII,next", "--out", run);
  assert.equal(t.code, 0, t.err);
  const manifest = JSON.parse(fs.readFileSync(path.join(run, "run.json"), "utf8"));
  assert.deepEqual(manifest.data.leads, ["MLII", "next"]);
  assert.deepEqual(manifest.model.inputShape, [2, 256]);
  assert.match(fs.readFileSync(path.join(run, "report.md"), "utf8"), /leads MLII, next side by side/);

  const p = cli("predict", run, path.join(sample, "208"), "--json");
  assert.equal(p.code, 0, p.err);
  assert.ok(JSON.parse(p.out)[0].agreement.matched / JSON.parse(p.out)[0].beats > 0.99);
  const e = cli("explain", run, path.join(sample, "208"), "--at", "10", "--out", path.join(out, "explain"));
  assert.equal(e.code, 0, e.err);
  assert.match(e.out, /strongest evidence -?\d+ ms from the R peak in lead [12]/);

  const twice = cli("train", "ecg", "--leads", "MLII,MLII");
  assert.notEqual(twice.code, 0);
  assert.match(twice.err, /a lead is named twice in "MLII,MLII"/);
  const missing = cli("train", "ecg", "--epochs", "1", "--limit", "100", "--records", "208", "--leads", "MLII,V2", "--out", path.join(out, "bad"));
  assert.notEqual(missing.code, 0);
  assert.match(missing.err, /record 208: no signal named "V2" \(signals: MLII, V1\)/);
  noStack(missing.err);
});

test("the features-only SNN: trains on the beats' measurements, predicts an unannotated record, exports to NIR", () => {
  const out = temporaryDir("spikemed-features-");
  const run = path.join(out, "run");
  const t = cli("train", "ecg", "--model", "snn-features", "--epochs", "3", "--records", "208", "--out", run);
  assert.equal(t.code, 0, t.err);
  // Record 208 (N, V, F beats): 88.1% measured; the majority class N alone is 54%.
  const accuracy = Number(/test accuracy (\d+\.\d+)%/.exec(t.err)?.[1]);
  assert.ok(accuracy > 80, `test accuracy ${accuracy}%`);
  const p = cli("predict", run, path.join(sample, "208"), "--json");
  assert.equal(p.code, 0, p.err);
  const [result] = JSON.parse(p.out);
  assert.ok(result.agreement.matched / result.beats > 0.99, "detected beats match the reference annotations");
  const ex = cli("explain", run, path.join(sample, "208"), "--out", path.join(out, "explain"));
  assert.equal(ex.code, 0, ex.err);
  assert.doesNotMatch(ex.out, /window:/, "a features-only model never reads the window");
  assert.match(ex.out, /^  measurements: (template_|pre_rr|post_rr|amplitude)\w* -?\d\.\d{4}/m);
  assert.ok(fs.readdirSync(path.join(out, "explain")).every((f) => f.endsWith("-features.svg")));
  const x = cli("export", run, "--out", path.join(out, "model.nir"));
  assert.equal(x.code, 0, x.err);
  assert.match(x.err + x.out, /input is the model's 11 features per sample/);
  assert.ok(fs.existsSync(path.join(out, "model.nir")));
});

test("--features gives a features model families by name; an unknown family or a model that reads none is one line", () => {
  const out = temporaryDir("spikemed-families-");
  const run = path.join(out, "run");
  const t = cli("train", "ecg", "--model", "snn-families", "--features", "rhythm+morph-rel", "--epochs", "1", "--records", "208", "--out", run);
  assert.equal(t.code, 0, t.err);
  const { model } = JSON.parse(fs.readFileSync(path.join(run, "run.json"), "utf8"));
  assert.deepEqual(model.features, ["pre_rr_ratio", "post_rr_ratio", "amplitude_ratio", "pre_rr_record_ratio", "post_rr_record_ratio", "pre_rr_local_mean_ratio",
    "rel_morph_p_max", "rel_morph_q_min", "rel_morph_s_min", "rel_morph_t_max"]);
  const p = cli("predict", run, path.join(sample, "208"), "--json");
  assert.equal(p.code, 0, p.err);
  const unknown = cli("train", "ecg", "--model", "snn-families", "--features", "rhythm+wavelets", "--records", "208");
  assert.notEqual(unknown.code, 0);
  assert.match(unknown.err, /"wavelets" is neither a feature family nor a feature/);
  noStack(unknown.err);
  const none = cli("train", "ecg", "--model", "bilstm", "--features", "rhythm", "--records", "208");
  assert.notEqual(none.code, 0);
  assert.match(none.err, /--features: model "ecg-bilstm" reads no per-beat features/);
  noStack(none.err);
});

test("a model that reads second-lead features predicts two-lead records, and refuses a one-lead record by name", () => {
  const out = temporaryDir("spikemed-lead2-");
  const config = path.join(out, "model.json");
  fs.writeFileSync(config, JSON.stringify({
    name: "lead2-features", inputShape: [1, 256], features: ["pre_rr_ratio", "qrs_width_ratio", "lead2_template_correlation", "lead2_qrs_width_ratio"], classes: 5, timeSteps: 4,
    encoder: { kind: "direct" }, readout: "mean", layers: [{ type: "features" }, { type: "dense", units: 8 }, { type: "lif" }, { type: "dense", units: 5 }],
  }));
  const run = path.join(out, "run");
  const t = cli("train", "ecg", "--config", config, "--epochs", "1", "--records", "208", "--out", run);
  assert.equal(t.code, 0, t.err);
  assert.equal(cli("predict", run, path.join(sample, "208")).code, 0);
  // Record 208's first signal alone, as a one-lead record (format 16).
  const record = readRecord(sample, "208", { annotator: null });
  const digital = record.digital[0];
  const bytes = new Uint8Array(digital.length * 2);
  digital.forEach((v, i) => new DataView(bytes.buffer).setInt16(2 * i, v, true));
  fs.writeFileSync(path.join(out, "single.dat"), bytes);
  fs.writeFileSync(path.join(out, "single.hea"), `single 1 360 ${digital.length}\nsingle.dat 16 200 11 1024 ${digital[0]} ${wfdbChecksum(digital)} 0 MLII\n`);
  const p = cli("predict", run, path.join(out, "single"));
  assert.equal(p.code, 1, p.err);
  assert.match(p.err, /single: the model reads features of a second lead \(lead2_template_correlation, lead2_qrs_width_ratio\), but the record has one signal/);
  noStack(p.err);
});

test("search cross-validates a grid inside the training side, and its winner's train command runs as printed", () => {
  const out = temporaryDir("spikemed-cli-search-");
  const r = cli("search", "ecg", "--model", "snn-features", "--records", "208,209,100", "--split", "inter", "--validation", "records",
    "--epochs", "2", "--grid", "lr=3e-3,1e-2", "--grid", "hidden=8,16", "--folds", "2", "--out", path.join(out, "search"));
  assert.equal(r.code, 0, r.err);
  assert.match(r.err, /searching 4 trials x 2 folds x 1 seed\(s\) .*folds by record\); the test split is not read/);
  assert.doesNotMatch(r.err, /note: validating on held-out beats/, "no hint when --validation is given");
  const report = fs.readFileSync(path.join(out, "search", "search.md"), "utf8");
  assert.ok(report.includes(`\n\n> ${RESEARCH_NOTICE}\n\n`), "search.md carries the research notice");
  // The two DS1 records of the three are the two folds; DS2's record 100 is never predicted.
  assert.match(report, /\| 1 \| (208|209) \| \d+ \|/);
  assert.match(report, /\| 2 \| (208|209) \| \d+ \|/);
  assert.equal([...report.matchAll(/^\| [1-4] \| 0\.0(03|1) \| (8|16) \|/gm)].length, 4);
  const command = /measure it on the test split:\n  npx spikemed (train .*)\n/.exec(r.out);
  assert.ok(command, r.out);
  assert.match(command[1], /^train ecg --config \S+best-model\.json .*--records 208,209,100 .*--split inter .*--validation records .*--epochs 2 .*--lr \S+ --seeds 5$/);
  // Two processes sharing the folds rank the same trials with the same scores.
  const parallel = cli("search", "ecg", "--model", "snn-features", "--records", "208,209,100", "--split", "inter", "--validation", "records",
    "--epochs", "2", "--grid", "lr=3e-3,1e-2", "--grid", "hidden=8,16", "--folds", "2", "--jobs", "2", "--out", path.join(out, "search-2"));
  assert.equal(parallel.code, 0, parallel.err);
  // Without --out, every process of a --jobs search writes into the one folder made from the time.
  const defaultOut = spawnSync(process.execPath, [main, "search", "ecg", "--model", "snn-features", "--records", "208,209,100", "--split", "inter",
    "--epochs", "1", "--grid", "lr=3e-3,1e-2", "--folds", "2", "--jobs", "2"], { encoding: "utf8", cwd: out, env: { ...process.env, SPIKEMED_CACHE: path.join(os.tmpdir(), "spikemed-cli-cache") } });
  assert.equal(defaultOut.status, 0, defaultOut.stderr);
  assert.equal(fs.readdirSync(path.join(out, "runs")).length, 1);
  assert.equal((defaultOut.stderr.match(/note: validating on held-out beats/g) ?? []).length, 1, "one note, not one per process");
  const scores = (dir: string) => (JSON.parse(fs.readFileSync(path.join(out, dir, "results.json"), "utf8")) as { ranked: { values: object; score: number; accuracy: number; bestEpochs: number[] }[] })
    .ranked.map(({ values, score, accuracy, bestEpochs }) => ({ values, score, accuracy, bestEpochs }));
  assert.deepEqual(scores("search-2"), scores("search"));
  assert.equal(fs.readdirSync(path.join(out, "search-2", "trials")).length, 4);
  const best = JSON.parse(fs.readFileSync(path.join(out, "search", "best-model.json"), "utf8")) as { layers: { type: string; units?: number }[] };
  assert.ok([8, 16].includes(best.layers[1].units!), "the winner's hidden units are in its model file");
  const args = command[1].split(" ").map((a) => (a === "5" ? "1" : a));
  const t = cli(...args, "--out", path.join(out, "winner"));
  assert.equal(t.code, 0, t.err);
  assert.match(t.err, /test accuracy/);
});

test("an inter-patient run that validates on its training patients' beats says so, and how to validate on unseen patients", () => {
  const out = temporaryDir("spikemed-cli-inter-");
  const r = cli("train", "ecg", "--split", "inter", "--records", "208,209,100", "--model", "snn-features", "--epochs", "1", "--out", out);
  assert.equal(r.code, 0, r.err);
  assert.match(r.err, /note: validating on held-out beats of the training patients; --validation records --monitor val_balanced_accuracy validates on patients the model never saw/);
});

test("--adapt first-minutes: an inter-patient run whose report names the protocol first, kept in the run so --resume refuses other minutes; bad forms refused in one line", () => {
  const out = temporaryDir("spikemed-cli-adapt-");
  const common = ["train", "ecg", "--split", "inter", "--records", "208,100", "--model", "snn-families", "--epochs", "1", "--limit", "200", "--time-steps", "2"];
  const r = cli(...common, "--adapt", "first-minutes", "--out", out);
  assert.equal(r.code, 0, r.err);
  assert.match(r.err, /patient-specific: the first 5 minutes of each DS2 record, labelled, join training: train 200 \(\d+ of them DS2 beats of the first 5 minutes\)/);
  const report = fs.readFileSync(path.join(out, "report.md"), "utf8");
  assert.ok(report.indexOf("patient-specific protocol (--adapt first-minutes 5") < report.indexOf("## Training"), "the protocol is stated above the results");
  assert.deepEqual(JSON.parse(fs.readFileSync(path.join(out, "run.json"), "utf8")).data.adapt, { kind: "first-minutes", minutes: 5 });
  // --adapt unlabeled in predict: the same answers for the record with and without its annotations (none is read)
  const bare = temporaryDir("spikemed-cli-bare-");
  for (const ext of ["hea", "dat"]) fs.copyFileSync(path.join(sample, `100.${ext}`), path.join(bare, `100.${ext}`));
  const perBeat = (record: string, ...more: string[]) => {
    const p = cli("predict", out, record, "--json", ...more);
    assert.equal(p.code, 0, p.err);
    return JSON.parse(p.out)[0].perBeat;
  };
  const adapted = perBeat(path.join(sample, "100"), "--adapt", "unlabeled");
  assert.deepEqual(perBeat(path.join(bare, "100"), "--adapt", "unlabeled"), adapted);
  assert.notDeepEqual(perBeat(path.join(sample, "100")), adapted, "the record's own statistics change the answers");
  // --adapt unlabeled trains the plain run's model, bit for bit; only its test predictions adapt
  const models = ["plain", "unlabeled"].map((name) => {
    const run = path.join(out, name);
    const t = cli(...common, ...(name === "unlabeled" ? ["--adapt", "unlabeled"] : []), "--out", run);
    assert.equal(t.code, 0, t.err);
    return fs.readFileSync(path.join(run, "model.ckpt"));
  });
  assert.ok(models[0].equals(models[1]));
  assert.match(fs.readFileSync(path.join(out, "unlabeled", "report.md"), "utf8"), /Caution:\*\* label-free adaptation \(--adapt unlabeled, AdaBN\)/);
  const other = cli(...common, "--adapt", "first-minutes", "3", "--resume", "--out", out);
  assert.equal(other.code, 1);
  assert.match(other.err, /context\.data\.adapt\.minutes: 5 when the run started, 3 now/);
  for (const [args, message] of [
    [["train", "ecg", "--adapt", "first-minutes"], /--adapt applies to --split inter only/],
    [[...common, "--adapt", "weekly"], /--adapt weekly: unknown protocol "weekly"/],
    [["train", "ecg", "--split", "inter", "--model", "snn", "--adapt", "unlabeled"], /model "ecg-snn" has no batch-norm layer/],
    [[...common, "--adapt", "first-minutes", "0"], /--adapt first-minutes 0: expected a positive number of minutes/],
    [[...common, "--adapt", "local-beats", "0"], /--adapt local-beats 0: expected a positive number of minutes after local-beats/],
    [[...common, "--adapt", "self-training", "3"], /--adapt self-training 3: self-training reads no labelled minutes and takes no number/],
    [["train", "ecg", "--split", "inter", "--model", "snn", "--adapt", "self-training"], /--adapt self-training compares beats .* model "ecg-snn" has no measurements through a batch-norm layer/],
  ] as const) {
    const bad = cli(...args);
    assert.equal(bad.code, 1, bad.err);
    assert.match(bad.err, message);
    noStack(bad.err);
  }
});

test("the same seed gives the same trained model, bit for bit, on the 2-thread WebAssembly backend", () => {
  const out = temporaryDir("spikemed-det-");
  const models = ["a", "b"].map((name) => {
    const run = path.join(out, name);
    const r = cli("train", "ecg", "--epochs", "1", "--limit", "200", "--time-steps", "2", "--records", "209", "--threads", "2", "--out", run);
    assert.equal(r.code, 0, r.err);
    return fs.readFileSync(path.join(run, "model.ckpt"));
  });
  assert.ok(models[0].equals(models[1]));
});

test("seeds run as separate processes on one split and gathered with --resume report what one --seeds run does", () => {
  const out = temporaryDir("spikemed-seeds-");
  const common = ["train", "ecg", "--epochs", "1", "--limit", "200", "--time-steps", "2", "--records", "209"];
  const together = cli(...common, "--seeds", "2", "--out", path.join(out, "together"));
  assert.equal(together.code, 0, together.err);
  for (const seed of ["1", "2"]) {
    const r = cli(...common, "--seed", seed, "--split-seed", "1", "--out", path.join(out, "apart", `seed-${seed}`));
    assert.equal(r.code, 0, r.err);
  }
  const gathered = cli(...common, "--seeds", "2", "--resume", "--out", path.join(out, "apart"));
  assert.equal(gathered.code, 0, gathered.err);
  const summary = (dir: string) => JSON.parse(fs.readFileSync(path.join(out, dir, "report.json"), "utf8")).seedAggregate;
  assert.deepEqual(summary("apart"), summary("together"));
  for (const seed of ["1", "2"]) {
    const model = (dir: string) => fs.readFileSync(path.join(out, dir, `seed-${seed}`, "model.ckpt"));
    assert.ok(model("apart").equals(model("together")), `seed ${seed}: same model`);
  }
  // gathered under other settings, a seed refuses to resume, naming what changed
  const otherLr = cli(...common, "--seeds", "2", "--resume", "--lr", "0.01", "--out", path.join(out, "apart"));
  assert.equal(otherLr.code, 1);
  assert.match(otherLr.err, /seed-1.last\.ckpt was started with other settings:\n {2}train\.optimizer\.lr: 0\.001 when the run started, 0\.01 now\n/);
  const otherData = cli(...common, "--seeds", "2", "--resume", "--include-paced", "--out", path.join(out, "apart"));
  assert.match(otherData.err, /context\.data\.includePaced: \(not set\) when the run started, true now/);
  assert.doesNotMatch(otherLr.err + otherData.err, /\n {4}at /);
  // resuming an experiment of more seeds than were started trains the missing ones (a lone run with no checkpoint is refused)
  const more = cli(...common, "--seeds", "3", "--resume", "--out", path.join(out, "apart"));
  assert.equal(more.code, 0, more.err);
  assert.match(more.err, /no checkpoint in .*seed-3: seed 3 starts from the beginning/);
  const third = cli(...common, "--seed", "3", "--split-seed", "1", "--out", path.join(out, "third"));
  assert.equal(third.code, 0, third.err);
  assert.ok(fs.readFileSync(path.join(out, "apart", "seed-3", "model.ckpt")).equals(fs.readFileSync(path.join(out, "third", "model.ckpt"))));
  assert.equal(summary("apart").seeds.length, 3);
  const lone = cli(...common, "--resume", "--out", path.join(out, "nothing"));
  assert.match(lone.err, /--resume: no checkpoint at .*nothing.last\.ckpt/);
  // without --split-seed, seed 2 alone draws its own split: its test beats are not seed 1's
  const ownSplit = cli(...common, "--seed", "2", "--out", path.join(out, "own"));
  assert.equal(ownSplit.code, 0, ownSplit.err);
  assert.ok(!fs.readFileSync(path.join(out, "own", "model.ckpt")).equals(fs.readFileSync(path.join(out, "apart", "seed-2", "model.ckpt"))));
});

test("chest X-ray: class weights by default where the protocol leaves the training classes unbalanced, none for mixed; --weight-decay; --augment-settings", async () => {
  const { default: sharp } = await import("sharp");
  const root = temporaryDir("spikemed-cxr-protocols-");
  const rows = ["file,label,source,patient_id"];
  // Two hospitals, each with both classes, covid the majority in each (as in the shared set's mixed sources).
  for (const source of ["north", "south"]) {
    for (const [label, count, level] of [["covid", 9, 190], ["non_covid", 3, 60]] as const) {
      for (let i = 0; i < count; i++) {
        const file = `${source}-${label}-${i}.png`;
        await sharp(Buffer.alloc(24 * 24, level + i), { raw: { width: 24, height: 24, channels: 1 } }).png().toFile(path.join(root, file));
        rows.push(`${file},${label},${source},${source}-${label}-${i}`);
      }
    }
  }
  fs.writeFileSync(path.join(root, "manifest.csv"), rows.join("\n") + "\n");
  const train = (...options: string[]) => {
    const out = path.join(root, `run-${options.join("-")}`);
    const t = cli("train", "cxr", "--data", root, "--image-size", "32", "--epochs", "1", "--time-steps", "1", "--out", out, ...options);
    assert.equal(t.code, 0, t.err);
    return out;
  };
  const balanceOf = (...options: string[]) =>
    (JSON.parse(fs.readFileSync(path.join(train(...options), "run.json"), "utf8")) as { train: { balance: string } }).train.balance;
  assert.equal(balanceOf("--protocol", "mixed"), "none");
  assert.equal(balanceOf("--protocol", "same-source"), "weights");
  assert.equal(balanceOf("--protocol", "leave-one-source-out", "--holdout", "south"), "weights");
  assert.equal(balanceOf("--protocol", "same-source", "--balance", "none"), "none");

  // --weight-decay reaches the optimizer that trained (its state in the last checkpoint), and AdamW keeps its own default without it.
  const decayOf = (...options: string[]) =>
    (readCheckpoint(path.join(train("--protocol", "mixed", ...options), "last.ckpt")).meta as { optimizer: { hyper: { weightDecay: number } } }).optimizer.hyper.weightDecay;
  assert.equal(decayOf("--optimizer", "adamw", "--weight-decay", "0.05"), 0.05);
  assert.equal(decayOf("--optimizer", "adamw"), 0.01);
  assert.equal(decayOf("--optimizer", "adam", "--weight-decay", "0.001"), 0.001);

  // --augment-settings reaches the training images: at zero ranges augmentation is the identity, so the weights equal --no-augment's, which the default ranges do not.
  // (Images with a left-right ramp: a uniform image is the same flipped, turned or shifted.)
  for (const row of rows.slice(1)) {
    const [file, label] = row.split(",");
    const ramp = Buffer.from(Array.from({ length: 24 * 24 }, (_, p) => (label === "covid" ? 40 : 120) + 4 * (p % 24) + (file.length % 7)));
    await sharp(ramp, { raw: { width: 24, height: 24, channels: 1 } }).png().toFile(path.join(root, file));
  }
  const modelOf = (...options: string[]) => fs.readFileSync(path.join(train("--protocol", "mixed", ...options), "model.ckpt"));
  const plain = modelOf("--no-augment");
  assert.ok(plain.equals(modelOf("--augment", "--augment-settings", "flip=0,rotation=0,shift=0,contrast=0")), "zero ranges: the --no-augment weights");
  assert.ok(!plain.equals(modelOf("--augment")), "default ranges: other weights");
  // X-ray defaults are the README's recipe: no augmentation unless asked (--augment-settings asks), a cosine schedule, 10 epochs (same-source 15).
  assert.ok(plain.equals(modelOf("--seed", "1")), "no augmentation by default (--seed 1 is the default seed; it names another folder)");
  const mild = "flip=0,rotation=0,shift=0.1,contrast=0.1";
  const mildModel = modelOf("--augment-settings", mild);
  assert.ok(mildModel.equals(modelOf("--augment", "--augment-settings", mild)), "--augment-settings turns augmentation on");
  assert.ok(!mildModel.equals(modelOf("--augment-settings", `${mild},shift-step=1`)), "shift-step reaches the images");
  const trainOf = (...options: string[]) => {
    const out = path.join(root, `defaults-${options.join("-")}`);
    const t = cli("train", "cxr", "--data", root, "--image-size", "32", "--time-steps", "1", "--out", out, ...options);
    assert.equal(t.code, 0, t.err);
    return (JSON.parse(fs.readFileSync(path.join(out, "run.json"), "utf8")) as { train: { epochs: number; schedule: { kind: string; totalEpochs: number }; augment: boolean } }).train;
  };
  const mixed = trainOf("--protocol", "mixed");
  assert.deepEqual(mixed, { ...mixed, epochs: 10, schedule: { kind: "cosine", totalEpochs: 10 }, augment: false });
  assert.equal(trainOf("--protocol", "same-source").epochs, 15);
});

test("chest X-ray: train on a folder of class subfolders, then predict probabilities per image", async () => {
  const { default: sharp } = await import("sharp");
  const root = temporaryDir("spikemed-cxr-");
  for (const [label, level] of [["covid", 200], ["non_covid", 50]] as const) {
    fs.mkdirSync(path.join(root, label));
    for (let i = 0; i < 15; i++) {
      const pixels = Buffer.alloc(40 * 40, level + ((i * 7) % 30));
      await sharp(pixels, { raw: { width: 40, height: 40, channels: 1 } }).png().toFile(path.join(root, label, `${i}.png`));
    }
  }
  fs.writeFileSync(path.join(root, "covid", "broken.png"), "not an image");
  // Outputs outside the data folder, whose every subfolder is a class.
  const outputs = temporaryDir("spikemed-cxr-out-");
  const search = cli("search", "cxr", "--data", root, "--image-size", "32", "--epochs", "1", "--time-steps", "2", "--grid", "lr=1e-3,3e-3", "--folds", "3",
    "--out", path.join(outputs, "search"));
  assert.equal(search.code, 0, search.err);
  assert.match(search.err, /searching 2 trials x 3 folds x 1 seed\(s\) over the training side \(\d+ samples, folds by image\)/);
  assert.match(search.out, /measure it on the test split:\n  npx spikemed train cxr --config \S+ --data \S+ --epochs 1 --image-size 32 --lr \S+ --seeds 5/);
  const run = path.join(outputs, "run");
  const t = cli("train", "cxr", "--data", root, "--image-size", "32", "--epochs", "2", "--time-steps", "2", "--out", run);
  assert.equal(t.code, 0, t.err);
  assert.match(t.err, /broken\.png/, "the unreadable file is reported by name");
  const p = cli("predict", run, path.join(root, "covid", "0.png"), path.join(root, "non_covid", "0.png"), "--json");
  assert.equal(p.code, 0, p.err);
  const results = JSON.parse(p.out) as { probabilities: Record<string, number> }[];
  assert.equal(results.length, 2);
  for (const r of results) assert.ok(Math.abs(r.probabilities.covid + r.probabilities.non_covid - 1) < 1e-5);
  const explained = path.join(outputs, "explained");
  const x = cli("explain", run, path.join(root, "covid", "3.png"), "--out", explained, "--patch", "8");
  assert.equal(x.code, 0, x.err);
  assert.match(x.out, /3\.png: (covid|non_covid) \d\.\d{4}; evidence for \w+: \d+% in the outer 12\.5% border .* -> .*3-occlusion\.png/);
  const overlay = await sharp(path.join(explained, "3-occlusion.png")).metadata();
  assert.deepEqual([overlay.format, overlay.width, overlay.height, overlay.channels], ["png", 256, 256, 3]);
  const wrongClass = cli("explain", run, path.join(root, "covid", "3.png"), "--class", "flu", "--out", explained);
  assert.match(wrongClass.err, /--class flu: the run's classes are covid, non_covid/);
  noStack(wrongClass.err);
  const failing = cli("train", "cxr", "--data", root, "--image-size", "32", "--epochs", "1", "--on-bad-file", "fail", "--out", path.join(outputs, "run2"));
  assert.notEqual(failing.code, 0);
  assert.match(failing.err, /broken\.png/);
  noStack(failing.err);
});

test("--init-from starts a spiking network from its ReLU twin's trained weights (hybrid conversion), and refuses weights of another model by name", () => {
  const out = temporaryDir("spikemed-init-");
  const common = ["train", "ecg", "--epochs", "1", "--limit", "200", "--time-steps", "2", "--records", "208"];
  const cnnRun = path.join(out, "cnn");
  assert.equal(cli(...common, "--model", "cnn", "--out", cnnRun).code, 0);
  const { manifest: cnnManifest, network: cnn } = loadRun(cnnRun);
  const weightsOf = (network: typeof cnn) => new Map([...network.parameters(), ...network.buffers()].map((p) => [p.name, Array.from(p.tensor.data)]));

  // The library call copies every parameter, name by name, into a freshly initialised SNN.
  const snn = buildNetwork({ ...modelFor("ecg", "snn", 2), inputShape: cnnManifest.model.inputShape }, 7);
  assert.notDeepEqual(weightsOf(snn), weightsOf(cnn));
  assert.equal(initializeFromRun(snn, cnnRun, 7), path.join(cnnRun, "model.ckpt"));
  assert.deepEqual(weightsOf(snn), weightsOf(cnn));

  // Through the command line: at a learning rate too small to move them far, the SNN ends near the CNN's weights, which a random start does not.
  const distance = (run: string) => {
    const trained = loadRun(run).network.parameters().find((p) => p.name === "conv1.weight")!.tensor.data;
    const start = cnn.parameters().find((p) => p.name === "conv1.weight")!.tensor.data;
    return Math.max(...Array.from(trained, (v, i) => Math.abs(v - start[i])));
  };
  const fromCnn = path.join(out, "snn-from-cnn");
  const t = cli(...common, "--lr", "1e-7", "--init-from", cnnRun, "--out", fromCnn);
  assert.equal(t.code, 0, t.err);
  assert.match(t.err, /starting from the weights of .*cnn.model\.ckpt/);
  assert.equal((JSON.parse(fs.readFileSync(path.join(fromCnn, "run.json"), "utf8")) as { train: { initFrom: string } }).train.initFrom, cnnRun);
  // Resuming takes the weights from the checkpoint, so the twin may have moved since.
  const moved = `${cnnRun}-moved`;
  fs.renameSync(cnnRun, moved);
  const resumed = cli(...common, "--lr", "1e-7", "--init-from", cnnRun, "--out", fromCnn, "--resume");
  assert.equal(resumed.code, 0, resumed.err);
  assert.doesNotMatch(resumed.err, /starting from the weights/);
  fs.renameSync(moved, cnnRun);
  const fromScratch = path.join(out, "snn");
  assert.equal(cli(...common, "--lr", "1e-7", "--out", fromScratch).code, 0);
  assert.ok(distance(fromCnn) < 1e-4, `from the CNN: ${distance(fromCnn)}`);
  assert.ok(distance(fromScratch) > 1e-2, `from scratch: ${distance(fromScratch)}`);

  // The ReLU twin has no spikes: its report prices the spiking devices as a conversion, and says so; the SNN's does not.
  const reportOf = (run: string, file: string) => fs.readFileSync(path.join(run, file), "utf8");
  assert.match(reportOf(cnnRun, "report.md"), /no spiking neurons: spiking devices priced as a rate-coded conversion[\s\S]*\| loihi \| spiking, if converted \|/);
  assert.match(reportOf(cnnRun, "energy.md"), /This network has no spiking neurons/);
  assert.match(reportOf(fromCnn, "report.md"), /estimate from measured spike rates[\s\S]*\| loihi \| spiking \|/);
  assert.doesNotMatch(reportOf(fromCnn, "energy.md"), /no spiking neurons/);

  // A folder of several seeds gives each seed its own run's weights.
  const seeds = path.join(out, "seeds");
  fs.mkdirSync(seeds);
  fs.cpSync(cnnRun, path.join(seeds, "seed-3"), { recursive: true });
  assert.equal(initializeFromRun(snn, seeds, 3), path.join(seeds, "seed-3", "model.ckpt"));
  assert.throws(() => initializeFromRun(snn, seeds, 4), /--init-from .*seeds: holds neither model\.ckpt nor seed-4\/model\.ckpt/);

  const logregRun = path.join(out, "logreg");
  assert.equal(cli(...common, "--model", "logreg", "--out", logregRun).code, 0);
  for (const [from, expected] of [[logregRun, /its weights do not fit this model: conv1\.weight is missing/], [path.join(out, "nowhere"), /nowhere: does not exist/]] as const) {
    const r = cli(...common, "--init-from", from, "--out", path.join(out, "refused"));
    assert.notEqual(r.code, 0);
    assert.match(r.err, expected);
    noStack(r.err);
  }
});

test("--schedule onecycle steps every batch to --lr / 250,000 at the end; --optimizer sgd gets momentum 0.9 for it to cycle", () => {
  const run = path.join(temporaryDir("spikemed-onecycle-"), "run");
  const t = cli("train", "ecg", "--epochs", "2", "--limit", "100", "--time-steps", "1", "--records", "208", "--lr", "0.003", "--optimizer", "sgd", "--schedule", "onecycle", "--warmup", "1", "--out", run);
  assert.equal(t.code, 0, t.err);
  const rates = (JSON.parse(fs.readFileSync(path.join(run, "report.json"), "utf8")) as { history: { learningRate: number }[] }).history.map((h) => h.learningRate);
  // The last batch of the last epoch is the cycle's last step: --lr / divFactor 25 / finalDivFactor 1e4.
  assert.ok(Math.abs(rates[1] - 0.003 / 25 / 1e4) < 1e-15, `last epoch ends at ${rates[1]}`);
  assert.ok(Math.abs(rates[0] - 0.003) < 1e-15, `the rise lasts the one --warmup epoch, ending at --lr: ${rates[0]}`);
  const saved = JSON.parse(fs.readFileSync(path.join(run, "run.json"), "utf8")) as { train: { optimizer: unknown; schedule: unknown } };
  assert.deepEqual(saved.train.optimizer, { kind: "sgd", lr: 0.003, momentum: 0.9 });
  assert.deepEqual(saved.train.schedule, { kind: "onecycle", totalEpochs: 2, pctStart: 0.5 });
});

test("--warmup raises the learning rate linearly from a third of --lr before the cosine anneals it", () => {
  const run = path.join(temporaryDir("spikemed-warmup-"), "run");
  const t = cli("train", "ecg", "--epochs", "4", "--limit", "100", "--time-steps", "1", "--records", "208", "--lr", "0.003", "--schedule", "cosine", "--warmup", "2", "--out", run);
  assert.equal(t.code, 0, t.err);
  const rates = (JSON.parse(fs.readFileSync(path.join(run, "report.json"), "utf8")) as { history: { learningRate: number }[] }).history.map((h) => h.learningRate);
  // Epochs 1-2 warm up (0.001, 0.002), epochs 3-4 follow the cosine over the two epochs left (0.003, then halfway: 0.0015).
  const expected = [0.001, 0.002, 0.003, 0.0015];
  assert.equal(rates.length, 4);
  rates.forEach((rate, i) => assert.ok(Math.abs(rate - expected[i]) < 1e-9, `epoch ${i + 1}: ${rate}`));
});
