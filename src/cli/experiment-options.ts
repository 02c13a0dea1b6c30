import { Command } from "commander";
import { PROTOCOLS } from "../data/cxr/index.js";
import { DEFAULT_BEAT_WINDOW, ECG_RATE_RANGE, FEATURE_FAMILIES, featuresOfFamilies } from "../data/ecg/index.js";
import { RECIPES, defaultBeatSeconds, normalizeClassWeights, parseAugmentSettings, parseLeads, type RecipeName } from "../experiment/index.js";
import { MAX_TIME_STEPS, MODEL_NAMES, parseActivityPenalty } from "../model/index.js";
import { fraction, list, maxImagePixelsOption, nonNegativeNumber, numberOption, oneOf, optionParser, positiveInt, positiveNumber, seconds } from "./options.js";

/** The data, model and training options that train and search share. */
export function experimentOptions(command: Command): Command {
  return maxImagePixelsOption(command)
    .option("--data <dir>", "folder of WFDB records (ecg; default: the embedded MIT-BIH sample) or of images / a manifest CSV (cxr)")
    .option("--records <list>", "ecg: only these records, comma-separated", list)
    .option("--beat-window <before,after>", `ecg: seconds of signal before and after each R peak that the model sees (default ${defaultBeatSeconds().join(",")})`, seconds)
    .option("--sample-rate <hz>", `ecg: rate signals are resampled to before windowing (default ${DEFAULT_BEAT_WINDOW.sampleRate})`,
      numberOption({ min: ECG_RATE_RANGE.min, max: ECG_RATE_RANGE.max, expected: `a rate from ${ECG_RATE_RANGE.min} to ${ECG_RATE_RANGE.max} Hz` }))
    .option("--leads <list>", "ecg: signals the model sees side by side, comma-separated: names (MLII, V1), indices (0, 1) or next (the record's first signal not chosen yet); " +
      "the first gives the R peaks and the features (default MLII; MLII,next: both of MIT-BIH's leads, whose second is V1, V2, V4 or V5 by record)", optionParser(parseLeads))
    .option("--include-paced", "ecg: keep the paced records 102, 104, 107, 217 (their paced beats are class Q), which AAMI studies leave out")
    .option("--split <kind>", "ecg: intra (random beats) or inter (de Chazal DS1 -> DS2 patients)", oneOf(["intra", "inter"] as const), "intra")
    .option("--validation <from>", "ecg --split inter: validate on held-out beats of the training patients (beats, default) or on whole held-out records (records: patients the model never saw, an honest guide for early stopping)", oneOf(["beats", "records"] as const))
    .option("--protocol <name>", `cxr: ${PROTOCOLS.join(", ")}`, oneOf(PROTOCOLS), "mixed")
    .option("--holdout <source>", "cxr leave-one-source-out: the source to test on")
    .option("--model <name>", `ecg: ${MODEL_NAMES.ecg.join(", ")}; cxr: ${MODEL_NAMES.cxr.join(", ")}`, "snn")
    .option("--config <file>", "a model config JSON file instead of a built-in --model")
    .option("--features <families>", `ecg: the per-beat measurements a model that reads features is given instead of its own, families or feature names joined by + ` +
      `(e.g. rr-norm+wavelet+hos+lbp+morph): ${Object.keys(FEATURE_FAMILIES).join(", ")} (rhythm: the six patient-relative RR and amplitude features; ` +
      "rr: pre, post, local and global RR in seconds; rr-norm: the same over the record's mean of each; wavelet: the beat's 3-level Haar approximation, 23 values; " +
      "hos: skewness and kurtosis over 5 segments; lbp: uniform local binary pattern histogram, 59 bins; morph: 4 distances from the R peak; *-rel: the same minus the record's median of each (against the patient's usual beat); lead2-*: in the record's second lead; " +
      "src/data/ecg/beat-families.ts)", optionParser((value: string) => (featuresOfFamilies(value), value)))
    .option("--epochs <n>", "training epochs (ecg 10; cxr 10, --protocol same-source 15)", positiveInt)
    .option("--time-steps <n>", "simulation steps per input (spiking models)", numberOption({ whole: true, min: 1, max: MAX_TIME_STEPS, expected: `a whole number of steps from 1 to ${MAX_TIME_STEPS}` }))
    .option("--encoder <kind>", "how an input becomes activity over the time steps (spiking models): direct (the value itself at every step, the built-in models' default), " +
      "rate (Bernoulli spikes with probability = value), latency (one spike per input, earlier for larger values in [0, 1]) or delta (on/off spikes where the signal changes)",
      oneOf(["direct", "rate", "latency", "delta"] as const))
    .option("--activity-penalty <kind:weight>", "spike-count regularisation added to the training loss, per spiking layer: l1:W (W x the layer's mean firing rate), " +
      "l2:W (W x the mean squared rate of each neuron in each sample) or target:R:W (W x (mean rate - R)^2, R in spikes per neuron per step); the terms of the layers are summed. " +
      "Fewer spikes, fewer synaptic operations on a spiking chip (the run's energy.md)", optionParser((value: string) => (parseActivityPenalty(value), value)))
    .option("--activity-penalty-layers <list>", "with --activity-penalty: only these spiking layers, e.g. lif1,lif2 (default every spiking layer)", list)
    .option("--learn-neurons <list>", "learn the firing threshold and/or membrane decay of every LIF layer, one per neuron: threshold, beta or threshold,beta (the model config's learnThreshold, learnBeta)",
      (value: string) => list(value).map((v) => oneOf(["threshold", "beta"] as const)(v)))
    .option("--batch-size <n>", "samples per step (ecg 16, cxr 32)", positiveInt)
    .option("--micro-batch <n>", "compute each batch in chunks of n samples and sum their gradients (a large batch in the memory of a small one, e.g. gatti2025 at the paper's batch 32)", positiveInt)
    .option("--lr <rate>", "learning rate (default 0.001)", positiveNumber)
    .option("--optimizer <name>", "adam, adamw or sgd (default adam)", oneOf(["adam", "adamw", "sgd"] as const))
    .option("--momentum <m>", "sgd: momentum (default 0.9; 0 for plain SGD)", nonNegativeNumber)
    .option("--weight-decay <w>", "weight decay: adam and sgd add w x weight to the gradient, adamw shrinks the weights by lr x w each step (default 0, adamw 0.01)", nonNegativeNumber)
    .option("--schedule <name>", "learning-rate schedule: constant (ecg default), cosine (cxr default), step, plateau, or onecycle (PyTorch's OneCycleLR, every batch: " +
      "the rate rises from --lr / 25 to --lr, then falls to --lr / 250,000, while Adam's beta1 or SGD's momentum falls from 0.95 to 0.85 and rises back)", oneOf(["constant", "cosine", "step", "plateau", "onecycle"] as const))
    .option("--warmup <epochs>", "with --schedule cosine: raise the learning rate linearly from a third of --lr over this many epochs first, then anneal (PyTorch's LinearLR then CosineAnnealingLR); " +
      "with onecycle: the rise lasts this many epochs (default 30% of them)", positiveInt)
    .option("--clip-norm <value>", "clip the gradient norm", positiveNumber)
    .option("--label-smoothing <e>", "train towards 1 - e on the label and e / classes on every class, each sample weighted by its label's class weight (the validation loss stays plain cross-entropy)", fraction)
    .option("--balance <how>", "class imbalance: none, weights (loss weights n / (classes x class count)), sqrt-weights (their square roots: rare classes count more, a handful of beats no longer outweighs thousands) or sampling (balanced batches); default none, weights where the training classes are seldom balanced: ecg --split inter, cxr --protocol same-source and leave-one-source-out",
      oneOf(["none", "weights", "sqrt-weights", "sampling"] as const))
    .option("--max-class-weight <w>", "lower loss weights above w to w (with --balance weights or sqrt-weights: a class of a few samples, such as the 8 Q beats of MIT-BIH's inter-patient training split at weight 1,149, no longer dominates the loss)", positiveNumber)
    .option("--class-weights <class=w,...>", "loss weights of the named classes, e.g. F=1,Q=1, set after --balance and --max-class-weight (the other classes keep theirs): " +
      "a class whose training samples come from one patient (MIT-BIH's inter-patient F beats are almost all record 208's) need not be weighted up; " +
      "in a --grid, one class=w per value, or none", optionParser(normalizeClassWeights))
    .option("--patience <epochs>", "stop early after this many epochs without validation improvement", positiveInt)
    .option("--monitor <metric>", "validation metric that picks the best epoch: val_loss (default), val_accuracy or val_balanced_accuracy (mean recall of the classes present; weighs rare classes like common ones)",
      oneOf(["val_loss", "val_accuracy", "val_balanced_accuracy"] as const))
    .option("--recipe <name>", `cxr: training settings measured together, for the options not given beside it: ${Object.entries(RECIPES).map(([name, r]) => `${name} (${r.describe})`).join("; ")}`,
      oneOf(Object.keys(RECIPES) as RecipeName[]))
    .option("--limit <n>", "train on a random subset of n samples (quick runs)", positiveInt)
    .option("--memory-saving", "recompute LIF membranes in the backward pass instead of storing them (less memory, a little slower)")
    .option("--image-size <px>", "cxr: images are resized to this square size", positiveInt)
    .option("--on-bad-file <what>", "cxr: skip or fail on unreadable images", oneOf(["skip", "fail"] as const), "skip")
    .option("--augment", "augment training samples (cxr: flips, small rotations and shifts, contrast; ecg: amplitude, baseline wave, noise); default off (--augment-settings turns it on)")
    .option("--no-augment", "no augmentation of training samples")
    .option("--augment-settings <key=value,...>", "cxr: the augmentation's ranges: flip (probability, default 0.5), rotation (+- degrees, 5), shift (+- fraction of the side, 0.05), " +
      "contrast (1 +- this, 0.1), contrast-center (the intensity contrast scales about, default each image's mean; 0.5 as torchvision), brightness (+- this added to intensities in [0, 1], 0), shift-step (shifts in multiples of this many pixels, 0: any fraction, resampled bilinearly; " +
      "1: whole pixels, copied exactly without rotation); e.g. flip=0,rotation=0,shift=0.0625 keeps left and right where they are", optionParser((value: string) => (parseAugmentSettings(value), value)));
}
