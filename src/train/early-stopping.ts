import { SpikemedError } from "../core/errors.js";

export interface EarlyStoppingOptions {
  /** "min" for a loss, "max" for accuracy or F1. */
  mode?: "min" | "max";
  /** Epochs without improvement after which training stops. */
  patience?: number;
  /** An improvement must beat the best value by more than this. */
  minDelta?: number;
}

/** JSON-safe state for checkpoints. */
export interface EarlyStoppingState {
  mode: "min" | "max";
  patience: number;
  minDelta: number;
  best: number | null;
  bestEpoch: number;
  badEpochs: number;
}

/**
 * Stops training when a validation metric has not improved for `patience` epochs (the
 * Keras / Lightning rule) and remembers the best epoch, whose weights a trainer keeps.
 */
export class EarlyStopping {
  private mode: "min" | "max";
  private patience: number;
  private minDelta: number;
  private bestValue: number | null = null;
  private bestAt = -1;
  private bad = 0;

  constructor(options: EarlyStoppingOptions = {}) {
    this.mode = options.mode ?? "min";
    this.patience = options.patience ?? 10;
    this.minDelta = options.minDelta ?? 0;
    validate(this.mode, this.patience, this.minDelta, "early stopping");
  }

  /** Best metric so far, or null before the first update. */
  get best(): number | null {
    return this.bestValue;
  }
  /** Epoch of the best metric, or -1 before the first update. */
  get bestEpoch(): number {
    return this.bestAt;
  }
  /** Epochs since the last improvement. */
  get epochsWithoutImprovement(): number {
    return this.bad;
  }
  get shouldStop(): boolean {
    return this.bad >= this.patience;
  }

  /** Records the metric of `epoch`; returns true when it is a new best (save the weights then). */
  update(epoch: number, metric: number): boolean {
    if (!Number.isFinite(metric)) {
      throw new SpikemedError(`early stopping: validation metric of epoch ${epoch} is ${metric}`, "training diverged; lower the learning rate or enable gradient clipping");
    }
    const best = this.bestValue;
    const improved = best === null || (this.mode === "min" ? metric < best - this.minDelta : metric > best + this.minDelta);
    if (improved) {
      this.bestValue = metric;
      this.bestAt = epoch;
      this.bad = 0;
    } else {
      this.bad++;
    }
    return improved;
  }

  state(): EarlyStoppingState {
    return { mode: this.mode, patience: this.patience, minDelta: this.minDelta, best: this.bestValue, bestEpoch: this.bestAt, badEpochs: this.bad };
  }

  loadState(state: EarlyStoppingState, source = "early-stopping state"): void {
    if (state === null || typeof state !== "object") throw new SpikemedError(`${source}: early-stopping state is missing`);
    validate(state.mode, state.patience, state.minDelta, source);
    if (state.best !== null && !Number.isFinite(state.best)) throw new SpikemedError(`${source}: early-stopping best value ${state.best} is not a finite number`);
    if (!Number.isInteger(state.bestEpoch) || state.bestEpoch < -1) throw new SpikemedError(`${source}: early-stopping best epoch ${state.bestEpoch} is invalid`);
    if (!Number.isInteger(state.badEpochs) || state.badEpochs < 0) throw new SpikemedError(`${source}: early-stopping epoch count ${state.badEpochs} is invalid`);
    this.mode = state.mode;
    this.patience = state.patience;
    this.minDelta = state.minDelta;
    this.bestValue = state.best;
    this.bestAt = state.bestEpoch;
    this.bad = state.badEpochs;
  }
}

function validate(mode: unknown, patience: unknown, minDelta: unknown, owner: string): void {
  if (mode !== "min" && mode !== "max") throw new SpikemedError(`${owner}: mode must be "min" or "max", got "${String(mode)}"`);
  if (typeof patience !== "number" || !Number.isInteger(patience) || patience < 1) {
    throw new SpikemedError(`${owner}: patience must be an integer >= 1, got ${String(patience)}`);
  }
  if (typeof minDelta !== "number" || !Number.isFinite(minDelta) || minDelta < 0) {
    throw new SpikemedError(`${owner}: minDelta must be a finite number >= 0, got ${String(minDelta)}`);
  }
}
