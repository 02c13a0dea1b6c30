import { Rng, SpikemedError } from "../core/index.js";
import { mapLayerConfigs, type LayerConfig, type ModelConfig, type Task } from "../model/index.js";
import type { DataSpec } from "./datasets.js";
import type { SearchTrial } from "./search.js";
import { experimentSettings, type ExperimentChoices } from "./settings.js";

/** Training settings a grid may vary, by their option names (each sets the choice of the same name in camel case). */
export const TRAINING_SETTINGS = ["lr", "epochs", "batch-size", "time-steps", "balance", "max-class-weight", "class-weights", "schedule", "optimizer", "momentum", "model", "monitor", "clip-norm", "label-smoothing", "features", "encoder", "activity-penalty"] as const;

/** Model settings a grid may vary, applied to the chosen model's layers. */
export const MODEL_SETTINGS: Record<string, { describe: string; apply: (model: ModelConfig, value: number | string) => ModelConfig }> = {
  hidden: {
    describe: "units of every dense layer but the output layer",
    apply: (model, units) => {
      const last = model.layers.map((l) => l.type).lastIndexOf("dense");
      return changeLayers(model, "hidden", (l, i) => (l.type === "dense" && i !== last ? { ...l, units: units as number } : null));
    },
  },
  beta: {
    describe: "membrane decay per step of every LIF and synaptic layer, in (0, 1]",
    apply: (model, beta) => changeLayers(model, "beta", (l) => (l.type === "lif" || l.type === "synaptic" ? { ...l, beta: beta as number } : null)),
  },
  threshold: {
    describe: "firing threshold of every LIF, IF and synaptic layer",
    apply: (model, threshold) => changeLayers(model, "threshold", (l) => (l.type === "lif" || l.type === "if" || l.type === "synaptic" ? { ...l, threshold: threshold as number } : null)),
  },
  surrogate: {
    describe: "surrogate gradient of every LIF, IF and synaptic layer (e.g. arctan:2, fast-sigmoid:25, piecewise-linear:0.5)",
    apply: (model, surrogate) => changeLayers(model, "surrogate", (l) => (l.type === "lif" || l.type === "if" || l.type === "synaptic" ? { ...l, surrogate: surrogate as string } : null)),
  },
};

/** A search grid: each setting with its (parsed) values; all combinations are tried. */
export type Grid = { name: string; values: (string | number)[] }[];

/** The choice a training setting of the grid sets: "batch-size" sets batchSize. */
export const choiceOf = (setting: string): string => setting.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

/** Every combination of the grid (the first setting varies slowest), or `random` of them drawn with `choices.seed`. */
export function searchTrials(task: Task, choices: ExperimentChoices, grid: Grid, random?: number): { trial: SearchTrial; data: DataSpec }[] {
  const total = grid.reduce((n, g) => n * g.values.length, 1);
  let picks = Array.from({ length: total }, (_, i) => i);
  if (random !== undefined && random < total) {
    picks = Array.from(new Rng(choices.seed).fork("search/random").permutation(total).slice(0, random)).sort((a, b) => a - b);
  }
  const trials = picks.map((pick) => {
    const values: Record<string, string | number> = {};
    let rest = pick;
    for (let g = grid.length - 1; g >= 0; g--) {
      values[grid[g].name] = grid[g].values[rest % grid[g].values.length];
      rest = Math.floor(rest / grid[g].values.length);
    }
    const ordered = Object.fromEntries(grid.map((g) => [g.name, values[g.name]]));
    const overrides: Record<string, string | number> = {};
    for (const g of grid) if (!(g.name in MODEL_SETTINGS)) overrides[choiceOf(g.name)] = ordered[g.name];
    const settings = experimentSettings(task, { ...choices, ...overrides } as ExperimentChoices);
    let model = settings.model;
    for (const g of grid) if (g.name in MODEL_SETTINGS) model = MODEL_SETTINGS[g.name].apply(model, ordered[g.name]);
    return { trial: { values: ordered, model, train: settings.train, balance: settings.balance, maxClassWeight: settings.maxClassWeight, classWeights: settings.classWeights }, data: settings.data };
  });
  const data = JSON.stringify(trials[0].data);
  if (trials.some((t) => JSON.stringify(t.data) !== data)) throw new SpikemedError("search: the grid changes the data, which every trial must share");
  return trials;
}

/** `model` with `change` applied to its layers (those inside residual blocks too); an error when no layer has the setting. */
function changeLayers(model: ModelConfig, setting: string, change: (layer: LayerConfig, index: number) => LayerConfig | null): ModelConfig {
  let changed = 0;
  const layers = mapLayerConfigs(model.layers, (l, i) => {
    const next = change(l, i);
    if (next) changed++;
    return next ?? l;
  });
  if (changed === 0) throw new SpikemedError(`--grid ${setting}: model "${model.name}" has no layer with that setting`, "vary it only with a model that has one");
  return { ...model, layers };
}
