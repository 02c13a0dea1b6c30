import assert from "node:assert/strict";
import test from "node:test";
import { Command } from "commander";
import { experimentOptions } from "../../src/cli/experiment-options.js";
import { checkRecipeStart, experimentSettings, type ExperimentChoices } from "../../src/experiment/index.js";

/** The shared options as the command line parses `args`. */
function flagsOf(args: string): ExperimentChoices {
  const command = experimentOptions(new Command("train")).exitOverride().configureOutput({ writeErr: () => undefined });
  command.parse(args.split(" "), { from: "user" });
  return command.opts() as ExperimentChoices;
}

// The options of the README's ResNet rows, as bench/experiments.sh spells them.
const TORCHAUG = "--protocol mixed --schedule cosine --optimizer adamw --weight-decay 0.05 --batch-size 64 " +
  "--augment-settings flip=0,rotation=0,shift=0.0625,contrast=0.1,brightness=0.1,shift-step=1 --monitor val_accuracy";

test("the ResNet recipes give the settings the benchmarked commands spelled out", () => {
  const twin = experimentSettings("cxr", flagsOf("--data d --model cnn-resnet-256 --recipe resnet-twin"));
  assert.deepEqual(twin, experimentSettings("cxr", flagsOf(`--data d --model cnn-resnet-256 ${TORCHAUG} --warmup 2 --epochs 20 --lr 2e-3`)));
  const spiking = experimentSettings("cxr", flagsOf("--data d --model srelu-resnet-256 --recipe resnet-from-twin"));
  assert.deepEqual(spiking, experimentSettings("cxr", flagsOf(`--data d --model srelu-resnet-256 ${TORCHAUG} --epochs 10 --lr 5e-4`)));
  // Without a recipe, the defaults stand.
  const plain = experimentSettings("cxr", flagsOf("--data d --model cnn-resnet-256"));
  assert.deepEqual([plain.train.optimizer, plain.train.monitor, plain.train.batchSize, plain.train.augment], [{ kind: "adam", lr: 1e-3, weightDecay: undefined }, "val_loss", 32, false]);
});

test("options given beside a recipe win over it, and --no-augment drops its augmentation", () => {
  const settings = experimentSettings("cxr", flagsOf("--data d --model cnn-resnet --recipe resnet-twin --lr 1e-3 --epochs 12 --monitor val_loss --no-augment"));
  assert.deepEqual(settings.train.optimizer, { kind: "adamw", lr: 1e-3, weightDecay: 0.05 });
  assert.deepEqual([settings.train.epochs, settings.train.monitor, settings.train.augment, settings.data.task === "cxr" && settings.data.augment], [12, "val_loss", false, undefined]);
  assert.deepEqual(settings.train.schedule, { kind: "cosine", totalEpochs: 12, warmupEpochs: 2 });
});

test("the twin recipe's warm-up gives way to a schedule or an epoch count given beside it", () => {
  assert.deepEqual(experimentSettings("cxr", flagsOf("--data d --recipe resnet-twin --epochs 2")).train.schedule, { kind: "cosine", totalEpochs: 2 });
  assert.deepEqual(experimentSettings("cxr", flagsOf("--data d --recipe resnet-twin --schedule constant")).train.schedule, { kind: "constant" });
  assert.deepEqual(experimentSettings("cxr", flagsOf("--data d --recipe resnet-twin --schedule onecycle")).train.schedule, { kind: "onecycle", totalEpochs: 20, pctStart: 0.1 });
  // A warm-up given explicitly is checked as always.
  assert.throws(() => experimentSettings("cxr", flagsOf("--data d --recipe resnet-twin --epochs 2 --warmup 2")), /--warmup 2 leaves no epoch of the 2 to anneal in/);
});

test("a recipe is refused for ECG, and the fine-tuning one without a run to start from", () => {
  assert.throws(() => experimentSettings("ecg", flagsOf("--recipe resnet-twin")), /--recipe resnet-twin is a chest X-ray recipe; this is ecg/);
  assert.throws(() => checkRecipeStart(flagsOf("--recipe resnet-from-twin"), undefined), /--recipe resnet-from-twin fine-tunes a trained ReLU twin: it needs --init-from RUN/);
  assert.doesNotThrow(() => checkRecipeStart(flagsOf("--recipe resnet-from-twin"), "runs/twin"));
  assert.throws(() => flagsOf("--recipe resnet"), /--recipe/);
});
