import { SpikemedError } from "../core/index.js";
import { PATIENT_RELATIVE_FEATURES, TEMPLATE_FEATURES, featuresOfFamilies } from "../data/ecg/beat-features.js";
import type { LayerConfig, ModelConfig } from "./config.js";

/**
 * The built-in models. Every baseline is the same code path as the spiking models: only the
 * layer list differs, so their numbers are comparable.
 */

const ECG_INPUT = [1, 256];
const ECG_CLASSES = 5;

/** Per-beat rhythm and amplitude features (RR intervals against the patient's own) the ECG models read beside the beat's shape. */
const ECG_FEATURES = [...PATIENT_RELATIVE_FEATURES];

/**
 * The default ECG spiking network (the ECG paper names no layer sizes): two convolution + LIF
 * blocks that see 5-sample patterns (42 ms at the default 120 Hz, 14 ms at 360 Hz), each halving the length, then one hidden
 * LIF layer of 128 that also reads the beat's RR intervals and amplitude (without them early
 * beats of normal shape, the S class, are invisible), through dropout. `morphologyOnly` drops
 * the features and the dropout: the compute core's reference benchmark net.
 */
export function ecgSnn(timeSteps = 8, options: { morphologyOnly?: boolean } = {}): ModelConfig {
  const withFeatures = !options.morphologyOnly;
  return {
    name: withFeatures ? "ecg-snn" : "ecg-snn-morphology",
    description: `Conv1d(1->32,k5) LIF MaxPool2 Conv1d(32->64,k5) LIF MaxPool2 ${withFeatures ? `Dropout(4096 + ${ECG_FEATURES.length} RR/amplitude features, ${ECG_DROPOUT}) Dense(${4096 + ECG_FEATURES.length}` : "Dense(4096"}->128) LIF Dense(128->5), mean over T`,
    inputShape: ECG_INPUT, features: withFeatures ? ECG_FEATURES : undefined, classes: ECG_CLASSES, timeSteps,
    encoder: { kind: "direct" }, readout: "mean",
    layers: ecgBody({ type: "lif", beta: 0.9, threshold: 1, surrogate: "arctan:2" }, withFeatures),
  };
}

/** The same network with ReLU instead of spiking neurons, one step. */
export function ecgCnn(): ModelConfig {
  return {
    name: "ecg-cnn", description: "ecg-snn with ReLU instead of LIF (its ANN twin)",
    inputShape: ECG_INPUT, features: ECG_FEATURES, classes: ECG_CLASSES, timeSteps: 1, encoder: { kind: "direct" }, readout: "mean",
    layers: ecgBody({ type: "relu" }, true),
  };
}

/**
 * Dropout of half the flattened beat features before the hidden layer: without it the twin CNN
 * fits the training beats to 99.99% and its validation loss rises from the fourth epoch on.
 */
const ECG_DROPOUT = 0.5;

function ecgBody(activation: LayerConfig, withFeatures: boolean): LayerConfig[] {
  return [
    { type: "conv1d", filters: 32, kernel: 5, padding: 2 }, activation, { type: "maxpool", kernel: 2 },
    { type: "conv1d", filters: 64, kernel: 5, padding: 2 }, activation, { type: "maxpool", kernel: 2 },
    { type: "flatten" }, ...(withFeatures ? [{ type: "append-features" } as const, { type: "dropout", p: ECG_DROPOUT } as const] : []),
    { type: "dense", units: 128 }, activation, { type: "dense", units: ECG_CLASSES },
  ];
}

/**
 * What the features-only networks read: the rhythm against the patient's own (as the window
 * networks) and the beat's likeness to the patient's median beat, whole and by wave.
 */
const ECG_MEASUREMENTS = [...PATIENT_RELATIVE_FEATURES, ...TEMPLATE_FEATURES];

/** Hidden neurons of the features-only networks: 64, or 64 then 32, scored lower across patients (3 seeds each). */
const ECG_FEATURE_HIDDEN = 32;

/**
 * A spiking network that reads no raw signal, only the beat's measurements against the patient's
 * own rhythm and usual beat: one hidden LIF layer. On patients it never saw it finds far more S
 * beats than the window networks, which learn the training patients' beat shapes, at their
 * accuracy, though fewer V beats (bench/results/ecg-inter.md); within patients, where shapes
 * repeat, the window network is better.
 */
export function ecgFeatureSnn(timeSteps = 8): ModelConfig {
  return {
    name: "ecg-snn-features", description: `Dense(${ECG_MEASUREMENTS.length} rhythm/shape features->${ECG_FEATURE_HIDDEN}) LIF Dense(${ECG_FEATURE_HIDDEN}->5), mean over T`,
    inputShape: ECG_INPUT, features: ECG_MEASUREMENTS, classes: ECG_CLASSES, timeSteps, encoder: { kind: "direct" }, readout: "mean",
    layers: [{ type: "features" }, { type: "dense", units: ECG_FEATURE_HIDDEN }, { type: "lif", beta: 0.9, threshold: 1, surrogate: "arctan:2" }, { type: "dense", units: ECG_CLASSES }],
  };
}

/** The same with ReLU, one step (its ANN twin). */
export function ecgFeatureMlp(): ModelConfig {
  return {
    ...ecgFeatureSnn(1), name: "ecg-mlp-features", description: "ecg-snn-features with ReLU instead of LIF (its ANN twin)",
    layers: [{ type: "features" }, { type: "dense", units: ECG_FEATURE_HIDDEN }, { type: "relu" }, { type: "dense", units: ECG_CLASSES }],
  };
}

/**
 * The families the `*-families` networks read by default (--features changes them): the rhythm
 * and template measurements of snn-features. Chosen by cross-validation over the DS1 patients
 * (bench/results/ecg-inter.md): every one of Mondéjar-Guerra et al.'s shape families
 * (beat-families.ts), in either lead, as measured or against the patient's median, and their RR
 * against the record's means, cost S sensitivity there.
 */
export const ECG_FAMILIES = "rhythm+template";

/**
 * A spiking network on per-beat measurements that z-scores them first: a batch-norm layer (the
 * training beats' running mean and variance, then a learnt scale and shift) before the LIF layer,
 * which reads them as currents at every time step (direct encoding), as Mondéjar-Guerra et al.
 * z-score their features on the training set before their SVMs. On the same 11 measurements as
 * snn-features, the z-scoring lifts accuracy across DS1's patients from 87.2% to 91.2% and S's
 * positive predictivity from 25% to 32% (3 seeds; bench/results/ecg-inter.md). T = 4, threshold
 * 0.5: the settings cross-validation on DS1 chose for snn-features (ecg-search.md).
 */
export function ecgFamiliesSnn(timeSteps = 4): ModelConfig {
  const features = featuresOfFamilies(ECG_FAMILIES);
  return {
    name: "ecg-snn-families", description: `BatchNorm(${features.length} measurements) Dense(->${ECG_FEATURE_HIDDEN}) LIF Dense(${ECG_FEATURE_HIDDEN}->5), mean over T`,
    inputShape: ECG_INPUT, features, classes: ECG_CLASSES, timeSteps, encoder: { kind: "direct" }, readout: "mean",
    layers: [{ type: "features" }, { type: "batchnorm" }, { type: "dense", units: ECG_FEATURE_HIDDEN }, { type: "lif", beta: 0.9, threshold: 0.5, surrogate: "arctan:2" }, { type: "dense", units: ECG_CLASSES }],
  };
}

/** The same with ReLU, one step (its ANN twin). */
export function ecgFamiliesMlp(): ModelConfig {
  return {
    ...ecgFamiliesSnn(1), name: "ecg-mlp-families", description: "ecg-snn-families with ReLU instead of LIF (its ANN twin)",
    layers: [{ type: "features" }, { type: "batchnorm" }, { type: "dense", units: ECG_FEATURE_HIDDEN }, { type: "relu" }, { type: "dense", units: ECG_CLASSES }],
  };
}

/** The ECG paper's baseline: two bidirectional LSTM layers of 64 units and a softmax layer. */
export function ecgBiLstm(): ModelConfig {
  return {
    name: "ecg-bilstm", description: "2 x BiLSTM(64) over 32 steps of 8 samples, Dense(128->5)",
    inputShape: ECG_INPUT, classes: ECG_CLASSES, timeSteps: 1, encoder: { kind: "direct" }, readout: "mean",
    layers: [{ type: "bilstm", hidden: 64, layers: 2, stepFeatures: 8 }, { type: "dense", units: ECG_CLASSES }],
  };
}

export function logisticRegression(inputShape: number[], classes: number, name: string, features?: string[]): ModelConfig {
  return {
    name, description: `multinomial logistic regression on the raw input${features ? " and its features" : ""}`,
    inputShape, features, classes, timeSteps: 1, encoder: { kind: "direct" }, readout: "mean",
    layers: [{ type: "flatten" }, ...(features ? [{ type: "append-features" } as const] : []), { type: "dense", units: classes }],
  };
}

/**
 * Gatti et al. 2025, exactly: conv 3x3 8, 64, 128 each with a spiking ReLU, 4x4 max-pool stride 2
 * after the second conv, dense 128, 64, 8 spiking, temporal average, linear 2. Its first dense
 * layer has 127*127*128*128 = 264 million weights.
 */
export function gatti2025(options: { timeSteps?: number; dt?: number; imageSize?: number; initialVoltage?: "random" | "zero" } = {}): ModelConfig {
  const spiking: LayerConfig = { type: "spiking-relu", dt: options.dt ?? 1, initialVoltage: options.initialVoltage };
  const size = options.imageSize ?? 256;
  return {
    name: "gatti2025", description: "Gatti et al. 2025 chest X-ray SNN (KerasSpiking), as published",
    inputShape: [1, size, size], classes: 2, timeSteps: options.timeSteps ?? 4, encoder: { kind: "direct" }, readout: "mean",
    layers: [
      { type: "conv2d", filters: 8, kernel: 3, padding: "same" }, spiking,
      { type: "conv2d", filters: 64, kernel: 3, padding: "same" }, spiking,
      { type: "maxpool", kernel: 4, stride: 2 },
      { type: "conv2d", filters: 128, kernel: 3, padding: "same" }, spiking,
      { type: "flatten" },
      { type: "dense", units: 128 }, spiking, { type: "dense", units: 64 }, spiking, { type: "dense", units: 8 }, spiking,
      { type: "dense", units: 2 },
    ],
  };
}

/**
 * The replication's settings: one time step of dt = 0.001, under which the network is silent.
 * Initial voltages are zero so that the outcome is the reported one (one class for every input);
 * with random initial voltages the rare neuron that does spike emits a spike of height 1/dt = 1000,
 * and the outputs become noise, which is no better.
 */
export function gatti2025Replication(imageSize = 256): ModelConfig {
  return { ...gatti2025({ timeSteps: 1, dt: 0.001, imageSize, initialVoltage: "zero" }), name: "gatti2025-replication",
    description: "gatti2025 with the PyTorchSpiking replication's T = 1, dt = 0.001 (silent: kept to show the trap)" };
}

/**
 * The chest X-ray networks by depth. `default`: sized to train to its best on a 2-core CPU within
 * an hour, four stride-2 3x3 convolutions on a 128x128 image, then one hidden layer. `deep`: a
 * stride-1 convolution after the third and fourth stride-2 ones, the fourth stage at 128 filters;
 * 2.7 times the multiply-adds, about 25 minutes for 10 epochs on one thread, and no better than
 * the default over five seeds (bench/results/cxr-recipe.md).
 */
export type CxrDepth = "default" | "deep";

const CXR_DEPTHS: Record<CxrDepth, { suffix: string; description: string; convolutions: { filters: number; stride: number }[] }> = {
  default: {
    suffix: "", description: "4 x [Conv2d 3x3 stride 2 + LIF] (16, 32, 64, 64), AvgPool2, Dense(1024->128) LIF, Dense(128->2)",
    convolutions: [16, 32, 64, 64].map((filters) => ({ filters, stride: 2 })),
  },
  deep: {
    suffix: "-deep", description: "cxr-snn with a stride-1 Conv2d 3x3 + LIF after the third and fourth stride-2 ones (16, 32, 64, 64, 128, 128), AvgPool2, Dense(2048->128) LIF, Dense(128->2)",
    convolutions: [[16, 2], [32, 2], [64, 2], [64, 1], [128, 2], [128, 1]].map(([filters, stride]) => ({ filters, stride })),
  },
};

export function cxrSnn(timeSteps = 4, depth: CxrDepth = "default"): ModelConfig {
  return {
    name: `cxr-snn${CXR_DEPTHS[depth].suffix}`, description: CXR_DEPTHS[depth].description,
    inputShape: [1, 128, 128], classes: 2, timeSteps, encoder: { kind: "direct" }, readout: "mean",
    layers: cxrBody({ type: "lif", beta: 0.9, threshold: 1, surrogate: "arctan:2" }, depth),
  };
}

export function cxrCnn(depth: CxrDepth = "default"): ModelConfig {
  return {
    name: `cxr-cnn${CXR_DEPTHS[depth].suffix}`, description: `cxr-snn${CXR_DEPTHS[depth].suffix} with ReLU instead of LIF (its ANN twin)`,
    inputShape: [1, 128, 128], classes: 2, timeSteps: 1, encoder: { kind: "direct" }, readout: "mean",
    layers: cxrBody({ type: "relu" }, depth),
  };
}

function cxrBody(activation: LayerConfig, depth: CxrDepth): LayerConfig[] {
  return [
    ...CXR_DEPTHS[depth].convolutions.flatMap(({ filters, stride }): LayerConfig[] => [
      { type: "conv2d", filters, kernel: 3, stride, padding: 1 }, { type: "batchnorm" }, activation,
    ]),
    { type: "avgpool", kernel: 2 }, { type: "flatten" },
    { type: "dense", units: 128 }, activation, { type: "dropout", p: 0.2 }, { type: "dense", units: 2 },
  ];
}

/**
 * ResNet-18's layout (He et al. 2016) at width 16 for 128x128 X-rays: a 7x7 stride-2 stem, a 2x2
 * max-pool, eight residual blocks of two 3x3 convolutions at 16, 32, 64 and 128 filters (a strided
 * 1x1 projection where the shape changes), global average pooling and a dense output; 37.8 million
 * multiply-adds per image, about cnn-deep's. Trained from scratch in PyTorch, this layout with ReLU
 * reached 95.2% on the mixed split where spikemed's plain networks stay near 92.5%
 * (bench/results/cxr-ceiling.md). With LIF neurons each block's sum is the input current of the
 * LIF after it. `poolFirst` max-pools the stem's currents before its neurons: for ReLU the same
 * function, so a ReLU twin's weights carry over; max-pooling spike trains step by step instead
 * overstates the rates (a max of four spike trains fires whenever any of them does). `size` 256
 * reads the paper's 256x256 images through a 7x7 stride-4 stem and PyTorch ResNet-18's 3x3 stride-2
 * stem pool, so every layer after the stem costs what it does at 128 (bench/results/cxr-recipe.md).
 */
function cxrResnetBody(activation: LayerConfig, poolFirst = false, size: ResnetImageSize = 128): LayerConfig[] {
  const conv = (filters: number, kernel: number, stride?: number): LayerConfig[] => [
    { type: "conv2d", filters, kernel, ...(stride === undefined ? {} : { stride }), ...(kernel > 1 ? { padding: (kernel - 1) / 2 } : {}), bias: false },
    { type: "batchnorm" },
  ];
  const block = (inChannels: number, filters: number, stride: number): LayerConfig[] => [
    {
      type: "residual", layers: [...conv(filters, 3, stride), activation, ...conv(filters, 3)],
      ...(stride !== 1 || inChannels !== filters ? { shortcut: conv(filters, 1, stride) } : {}),
    },
    activation,
  ];
  const widths = [16, 32, 64, 128];
  const stemPool: LayerConfig = size === 256 ? { type: "maxpool", kernel: 3, stride: 2, padding: 1 } : { type: "maxpool", kernel: 2 };
  return [
    ...conv(16, 7, size === 256 ? 4 : 2), ...(poolFirst ? [stemPool, activation] : [activation, stemPool]),
    ...widths.flatMap((filters, stage) => [...block(stage === 0 ? 16 : widths[stage - 1], filters, stage === 0 ? 1 : 2), ...block(filters, filters, 1)]),
    { type: "avgpool", kernel: 4 }, { type: "flatten" }, { type: "dense", units: 2 },
  ];
}

/** The ResNet layouts' input sizes: 128x128 (the default networks') or the X-ray paper's 256x256. */
export type ResnetImageSize = 128 | 256;

const resnetSuffix = (size: ResnetImageSize): string => (size === 256 ? "-256" : "");
const resnetInput = (size: ResnetImageSize): number[] => [1, size, size];
const AT_256 = ", reading the X-ray paper's 256x256 images through a 7x7 stride-4 stem and a 3x3 stride-2 stem pool (every later layer costs what it does at 128x128)";

export function cxrSnnResnet(timeSteps = 4): ModelConfig {
  return {
    name: "cxr-snn-resnet", description: "ResNet-18 layout at width 16 with LIF neurons (each block's sum is the input current of the LIF after it), T = 4",
    inputShape: [1, 128, 128], classes: 2, timeSteps, encoder: { kind: "direct" }, readout: "mean",
    layers: cxrResnetBody({ type: "lif", beta: 0.9, threshold: 1, surrogate: "arctan:2" }),
  };
}

/**
 * The X-ray paper's neuron (KerasSpiking's spiking ReLU, dt 1, random initial voltages) in the
 * ResNet layout: its spike counts over T steps approximate ReLU, so it starts from a trained
 * cnn-resnet (`train --init-from`) and fine-tunes with ReLU's gradient, as KerasSpiking trains.
 */
export function cxrSreluResnet(timeSteps = 4, size: ResnetImageSize = 128): ModelConfig {
  return {
    name: `cxr-srelu-resnet${resnetSuffix(size)}`,
    description: "ResNet-18 layout at width 16 with the X-ray paper's spiking ReLU neurons (KerasSpiking's SpikingActivation, dt 1, random initial voltages), T = 4; " +
      "the stem max-pools the batch-normed currents before its neurons (the same function as ReLU then max-pool in the ReLU twin, so the twin's weights carry over; max-pooling spike trains would overstate the rates)" +
      (size === 256 ? AT_256 : ""),
    inputShape: resnetInput(size), classes: 2, timeSteps, encoder: { kind: "direct" }, readout: "mean",
    layers: cxrResnetBody({ type: "spiking-relu" }, true, size),
  };
}

export function cxrCnnResnet(size: ResnetImageSize = 128): ModelConfig {
  return {
    name: `cxr-cnn-resnet${resnetSuffix(size)}`,
    description: size === 256 ? `cxr-cnn-resnet${AT_256}: the twin of cxr-srelu-resnet-256`
      : "ResNet-18 layout at width 16 (16, 32, 64, 128 filters; 7x7 stride-2 stem, 2x2 max-pool, eight residual blocks, global average pool) with ReLU: the twin of cxr-snn-resnet",
    inputShape: resnetInput(size), classes: 2, timeSteps: 1, encoder: { kind: "direct" }, readout: "mean",
    layers: cxrResnetBody({ type: "relu" }, false, size),
  };
}

export type Task = "ecg" | "cxr";

export const MODEL_NAMES: Record<Task, string[]> = {
  ecg: ["snn", "cnn", "bilstm", "logreg", "snn-features", "mlp-features", "snn-families", "mlp-families"],
  cxr: ["snn", "cnn", "snn-deep", "cnn-deep", "snn-resnet", "srelu-resnet", "cnn-resnet", "srelu-resnet-256", "cnn-resnet-256", "logreg", "gatti2025", "gatti2025-replication"],
};

/** A built-in model by task and short name, as the command line names them. */
export function modelFor(task: Task, name: string, timeSteps?: number): ModelConfig {
  const make: Record<string, () => ModelConfig> = task === "ecg"
    ? {
      snn: () => ecgSnn(timeSteps), cnn: ecgCnn, bilstm: ecgBiLstm, logreg: () => logisticRegression(ECG_INPUT, ECG_CLASSES, "ecg-logreg", ECG_FEATURES),
      "snn-features": () => ecgFeatureSnn(timeSteps), "mlp-features": ecgFeatureMlp, "snn-families": () => ecgFamiliesSnn(timeSteps), "mlp-families": ecgFamiliesMlp,
    }
    : {
      snn: () => cxrSnn(timeSteps), cnn: () => cxrCnn(), "snn-deep": () => cxrSnn(timeSteps, "deep"), "cnn-deep": () => cxrCnn("deep"),
      "snn-resnet": () => cxrSnnResnet(timeSteps), "srelu-resnet": () => cxrSreluResnet(timeSteps), "cnn-resnet": () => cxrCnnResnet(),
      "srelu-resnet-256": () => cxrSreluResnet(timeSteps, 256), "cnn-resnet-256": () => cxrCnnResnet(256), logreg: () => logisticRegression([1, 128, 128], 2, "cxr-logreg"),
      gatti2025: () => gatti2025({ timeSteps }), "gatti2025-replication": () => gatti2025Replication(),
    };
  const factory = make[name];
  if (!factory) throw new SpikemedError(`unknown ${task} model "${name}"`, `choose one of: ${MODEL_NAMES[task].join(", ")}`);
  return factory();
}
