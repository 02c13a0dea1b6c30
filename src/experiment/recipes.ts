import { SpikemedError } from "../core/index.js";
import type { Task } from "../model/index.js";

/**
 * The X-ray ResNet recipe (bench/results/cxr-recipe.md): PyTorch's augmentation (whole-pixel
 * shifts, contrast, brightness, no flips), AdamW, batch 64, the epoch kept by validation accuracy;
 * the ReLU twin trains first, the spiking network starts from its weights.
 */
const RESNET_SETTINGS = {
  optimizer: "adamw", weightDecay: 0.05, batchSize: 64, schedule: "cosine", monitor: "val_accuracy",
  augmentSettings: "flip=0,rotation=0,shift=0.0625,contrast=0.1,brightness=0.1,shift-step=1",
} as const;

/** Training settings measured together, each with what it is in words. */
export const RECIPES = {
  "resnet-twin": {
    settings: { ...RESNET_SETTINGS, epochs: 20, lr: 2e-3, warmup: 2 },
    describe: "the ReLU twin, e.g. of --model cnn-resnet-256: AdamW 0.05, lr 2e-3 with a 2-epoch warm-up then cosine, batch 64, 20 epochs, shifts of up to 1/16 in whole pixels, contrast and brightness +-0.1, the epoch of best validation accuracy",
  },
  "resnet-from-twin": {
    settings: { ...RESNET_SETTINGS, epochs: 10, lr: 5e-4 },
    describe: "the spiking network from its trained twin (needs --init-from), e.g. --model srelu-resnet-256: the same at lr 5e-4 for 10 epochs, no warm-up",
  },
} as const;
export type RecipeName = keyof typeof RECIPES;

/** The choices a recipe reads and fills in (see ExperimentChoices). */
interface RecipeChoices { recipe?: RecipeName; augment?: boolean; schedule?: string; warmup?: number; epochs?: number }

/**
 * The recipe's settings where the choices give none. Choices given beside it win, and take with
 * them what no longer fits: no augmentation drops its augmentation, another schedule or fewer
 * epochs than its warm-up drop its warm-up.
 */
export function withRecipe<T extends RecipeChoices>(task: Task, choices: T): T {
  if (!choices.recipe) return choices;
  if (task !== "cxr") throw new SpikemedError(`--recipe ${choices.recipe} is a chest X-ray recipe; this is ${task}`, "drop --recipe");
  const merged: Record<string, unknown> = { ...(choices as object) };
  for (const [key, value] of Object.entries(RECIPES[choices.recipe].settings)) {
    if (key === "augmentSettings" && choices.augment === false) continue;
    if (merged[key] === undefined) merged[key] = value;
  }
  const { schedule, warmup, epochs } = merged as RecipeChoices;
  const warmupFits = (schedule === "cosine" || schedule === "onecycle") && warmup! < epochs!;
  if (choices.warmup === undefined && warmup !== undefined && !warmupFits) delete merged.warmup;
  return merged as unknown as T;
}

/** A recipe that fine-tunes a trained network is refused without one to start from. */
export function checkRecipeStart(choices: Pick<RecipeChoices, "recipe">, initFrom: string | undefined): void {
  if (choices.recipe === "resnet-from-twin" && !initFrom) {
    throw new SpikemedError("--recipe resnet-from-twin fine-tunes a trained ReLU twin: it needs --init-from RUN",
      "train the twin first (e.g. --model cnn-resnet-256 --recipe resnet-twin --out runs/twin), then add --init-from runs/twin");
  }
}
