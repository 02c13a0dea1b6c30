import { SpikemedError } from "../core/errors.js";

/**
 * Learning-rate schedules with PyTorch's semantics (StepLR, CosineAnnealingLR, LinearLR warmup
 * followed by cosine as SequentialLR does, ReduceLROnPlateau, OneCycleLR). A schedule does not
 * own the optimizer: before every batch copy `atBatch(batch)` into it (the one-cycle schedule
 * moves the rate and the momentum every batch, the others once an epoch), and call `step()` once
 * at the end of every epoch.
 */

export type ScheduleConfig =
  | { kind: "constant" }
  | { kind: "step"; stepSize: number; gamma?: number }
  | { kind: "cosine"; totalEpochs: number; minLr?: number; warmupEpochs?: number; warmupStartFactor?: number }
  | ({ kind: "plateau" } & PlateauOptions)
  | ({ kind: "onecycle"; totalEpochs: number } & OneCycleOptions);

/**
 * torch.optim.lr_scheduler.OneCycleLR with cos annealing and two phases: the rate rises from
 * lr / divFactor to lr over the first pctStart of the steps and falls to lr / divFactor /
 * finalDivFactor; the momentum (Adam's beta1) moves the other way between maxMomentum and
 * baseMomentum unless cycleMomentum is false.
 */
export interface OneCycleOptions {
  pctStart?: number;
  divFactor?: number;
  finalDivFactor?: number;
  cycleMomentum?: boolean;
  baseMomentum?: number;
  maxMomentum?: number;
}

export interface PlateauOptions {
  mode?: "min" | "max";
  factor?: number;
  patience?: number;
  threshold?: number;
  thresholdMode?: "rel" | "abs";
  cooldown?: number;
  minLr?: number;
  eps?: number;
}

/** JSON-safe: everything needed to continue the schedule where it was. */
export interface ScheduleState {
  config: ScheduleConfig;
  baseLr: number;
  epoch: number;
  lr: number;
  best: number | null;
  badEpochs: number;
  cooldownLeft: number;
}

export interface LrSchedule {
  readonly config: ScheduleConfig;
  readonly baseLr: number;
  /** Number of step() calls so far (completed epochs). */
  readonly epoch: number;
  /** Learning rate for the coming epoch (its first batch). */
  readonly lr: number;
  /** The rate, and the momentum where the schedule sets it (null: leave it), for batch `batch` (0-based) of the coming epoch. */
  atBatch(batch: number): { lr: number; momentum: number | null };
  /** Ends an epoch; reduce-on-plateau needs the epoch's validation metric. Returns the new lr. */
  step(metric?: number): number;
  state(): ScheduleState;
  loadState(state: ScheduleState, source?: string): void;
}

/** `batchesPerEpoch` places the one-cycle schedule's steps; per-epoch schedules ignore it. */
export function createSchedule(baseLr: number, config: ScheduleConfig, batchesPerEpoch = 1): LrSchedule {
  checkRange("schedule", "lr", baseLr, 0, Infinity);
  checkRange("schedule", "batchesPerEpoch", batchesPerEpoch, 1, Infinity, true);
  return config.kind === "plateau" ? new PlateauSchedule(baseLr, config) : new ClosedFormSchedule(baseLr, config, batchesPerEpoch);
}

function checkRange(owner: string, option: string, value: unknown, min: number, max: number, integer = false): number {
  if (typeof value !== "number" || !Number.isFinite(value) || value < min || value > max || (integer && !Number.isInteger(value))) {
    const what = integer ? "an integer" : "a finite number";
    const range = max === Infinity ? `>= ${min}` : `in [${min}, ${max}]`;
    throw new SpikemedError(`${owner}: option ${option} must be ${what} ${range}, got ${String(value)}`);
  }
  return value;
}

function validateConfig(config: ScheduleConfig): void {
  const owner = `${config.kind} schedule`;
  switch (config.kind) {
    case "constant":
      return;
    case "step":
      checkRange(owner, "stepSize", config.stepSize, 1, Infinity, true);
      checkRange(owner, "gamma", config.gamma ?? 0.1, 0, Infinity);
      return;
    case "cosine": {
      const total = checkRange(owner, "totalEpochs", config.totalEpochs, 1, Infinity, true);
      checkRange(owner, "minLr", config.minLr ?? 0, 0, Infinity);
      checkRange(owner, "warmupEpochs", config.warmupEpochs ?? 0, 0, total - 1, true);
      const start = checkRange(owner, "warmupStartFactor", config.warmupStartFactor ?? 1 / 3, 0, 1);
      if (start === 0) throw new SpikemedError(`${owner}: option warmupStartFactor must be > 0 (as in PyTorch's LinearLR)`);
      return;
    }
    case "plateau":
      if (config.mode !== undefined && config.mode !== "min" && config.mode !== "max") {
        throw new SpikemedError(`${owner}: option mode must be "min" or "max", got "${String(config.mode)}"`);
      }
      if (config.thresholdMode !== undefined && config.thresholdMode !== "rel" && config.thresholdMode !== "abs") {
        throw new SpikemedError(`${owner}: option thresholdMode must be "rel" or "abs", got "${String(config.thresholdMode)}"`);
      }
      if (checkRange(owner, "factor", config.factor ?? 0.1, 0, 1) >= 1) throw new SpikemedError(`${owner}: option factor must be < 1, got ${config.factor}`);
      checkRange(owner, "patience", config.patience ?? 10, 0, Infinity, true);
      checkRange(owner, "threshold", config.threshold ?? 1e-4, 0, Infinity);
      checkRange(owner, "cooldown", config.cooldown ?? 0, 0, Infinity, true);
      checkRange(owner, "minLr", config.minLr ?? 0, 0, Infinity);
      checkRange(owner, "eps", config.eps ?? 1e-8, 0, Infinity);
      return;
    case "onecycle": {
      checkRange(owner, "totalEpochs", config.totalEpochs, 1, Infinity, true);
      const o = withOneCycleDefaults(config);
      const pctStart = checkRange(owner, "pctStart", o.pctStart, 0, 1);
      if (pctStart === 0 || pctStart === 1) throw new SpikemedError(`${owner}: option pctStart must be strictly between 0 and 1, got ${pctStart}`, "e.g. 0.3 (PyTorch's default) or --warmup a few epochs");
      if (checkRange(owner, "divFactor", o.divFactor, 0, Infinity) === 0) throw new SpikemedError(`${owner}: option divFactor must be > 0`);
      if (checkRange(owner, "finalDivFactor", o.finalDivFactor, 0, Infinity) === 0) throw new SpikemedError(`${owner}: option finalDivFactor must be > 0`);
      const base = checkRange(owner, "baseMomentum", o.baseMomentum, 0, 1);
      const max = checkRange(owner, "maxMomentum", o.maxMomentum, 0, 1);
      if (base > max || max === 1) throw new SpikemedError(`${owner}: momenta must satisfy baseMomentum <= maxMomentum < 1, got ${base} and ${max}`);
      if (typeof o.cycleMomentum !== "boolean") throw new SpikemedError(`${owner}: option cycleMomentum must be true or false`);
      return;
    }
    default:
      throw new SpikemedError(`schedule: unknown kind "${(config as { kind: unknown }).kind}"`, "use constant, step, cosine, plateau or onecycle");
  }
}

function checkState(state: ScheduleState, kind: ScheduleConfig["kind"], source: string): void {
  if (state === null || typeof state !== "object" || state.config?.kind !== kind) {
    throw new SpikemedError(`${source}: holds a ${String(state?.config?.kind)} schedule but the run uses ${kind}`, "resume with the schedule the run was started with");
  }
  try {
    validateConfig(state.config);
  } catch (err) {
    // validateConfig names the schedule (its errors usually answer a command-line option); here the file is at fault.
    if (err instanceof SpikemedError) throw new SpikemedError(`${source}: ${err.message}`, "the file is damaged; use an earlier checkpoint or start the run again without --resume");
    throw err;
  }
  checkRange(source, "schedule baseLr", state.baseLr, 0, Infinity);
  checkRange(source, "schedule epoch", state.epoch, 0, Infinity, true);
  checkRange(source, "schedule lr", state.lr, 0, Infinity);
}

/** Constant, step, cosine and one-cycle: the lr is a function of the epoch (one-cycle: and the batch) alone. */
class ClosedFormSchedule implements LrSchedule {
  private epochs = 0;
  private configNow: ScheduleConfig;
  private base: number;

  constructor(baseLr: number, config: ScheduleConfig, private readonly batchesPerEpoch: number) {
    validateConfig(config);
    if (config.kind === "onecycle") {
      const { pctStart } = withOneCycleDefaults(config);
      const steps = config.totalEpochs * batchesPerEpoch;
      if (pctStart * steps < 2) {
        throw new SpikemedError(`onecycle schedule: its rise (pctStart ${pctStart} of ${steps} steps) must span at least 2 steps`, "train for more epochs or with smaller batches, or warm up for longer");
      }
    }
    this.base = baseLr;
    this.configNow = config;
  }

  get config(): ScheduleConfig {
    return this.configNow;
  }
  get baseLr(): number {
    return this.base;
  }
  get epoch(): number {
    return this.epochs;
  }

  get lr(): number {
    const c = this.configNow;
    const t = this.epochs;
    switch (c.kind) {
      case "step":
        return this.base * Math.pow(c.gamma ?? 0.1, Math.floor(t / c.stepSize));
      case "cosine": {
        const warmup = c.warmupEpochs ?? 0;
        if (t < warmup) {
          const start = c.warmupStartFactor ?? 1 / 3;
          return this.base * (start + ((1 - start) * t) / warmup);
        }
        // PyTorch's cosine is periodic past T_max; a training run wants it to stay at the floor.
        const span = c.totalEpochs - warmup;
        const into = Math.min(t - warmup, span);
        const minLr = c.minLr ?? 0;
        return minLr + ((this.base - minLr) * (1 + Math.cos((Math.PI * into) / span))) / 2;
      }
      case "onecycle":
        return this.atBatch(0).lr;
      default:
        return this.base;
    }
  }

  atBatch(batch: number): { lr: number; momentum: number | null } {
    const c = this.configNow;
    if (c.kind !== "onecycle") return { lr: this.lr, momentum: null };
    const totalSteps = c.totalEpochs * this.batchesPerEpoch;
    // Past the planned steps (a run continued for more epochs) the rate stays at its floor.
    return oneCycleAt(this.base, c, Math.min(this.epochs * this.batchesPerEpoch + batch, totalSteps - 1), totalSteps);
  }

  step(): number {
    this.epochs++;
    return this.lr;
  }

  state(): ScheduleState {
    return { config: structuredClone(this.configNow), baseLr: this.base, epoch: this.epochs, lr: this.lr, best: null, badEpochs: 0, cooldownLeft: 0 };
  }

  loadState(state: ScheduleState, source = "schedule state"): void {
    checkState(state, this.configNow.kind, source);
    this.configNow = structuredClone(state.config);
    this.base = state.baseLr;
    this.epochs = state.epoch;
  }
}

/** OneCycleLR's defaults where the config leaves a setting out. */
function withOneCycleDefaults(config: OneCycleOptions): Required<OneCycleOptions> {
  return {
    pctStart: config.pctStart ?? 0.3,
    divFactor: config.divFactor ?? 25,
    finalDivFactor: config.finalDivFactor ?? 1e4,
    cycleMomentum: config.cycleMomentum ?? true,
    baseMomentum: config.baseMomentum ?? 0.85,
    maxMomentum: config.maxMomentum ?? 0.95,
  };
}

/** The one-cycle rate and momentum at 0-based step `step` of `totalSteps`, as OneCycleLR computes them. */
function oneCycleAt(maxLr: number, config: OneCycleOptions, step: number, totalSteps: number): { lr: number; momentum: number | null } {
  const { pctStart, divFactor, finalDivFactor, cycleMomentum, baseMomentum, maxMomentum } = withOneCycleDefaults(config);
  const initialLr = maxLr / divFactor;
  const minLr = initialLr / finalDivFactor;
  // PyTorch's phase boundary: the last step of the rise, a float (pctStart * totalSteps - 1).
  const peak = pctStart * totalSteps - 1;
  const rising = step <= peak;
  const pct = rising ? step / peak : (step - peak) / (totalSteps - 1 - peak);
  const anneal = (start: number, end: number): number => end + ((start - end) / 2) * (Math.cos(Math.PI * pct) + 1);
  const lr = rising ? anneal(initialLr, maxLr) : anneal(maxLr, minLr);
  if (!cycleMomentum) return { lr, momentum: null };
  return { lr, momentum: rising ? anneal(maxMomentum, baseMomentum) : anneal(baseMomentum, maxMomentum) };
}

/** ReduceLROnPlateau: multiplies the lr by `factor` after `patience` epochs without improvement. */
class PlateauSchedule implements LrSchedule {
  private configNow: { kind: "plateau" } & Required<PlateauOptions>;
  private base: number;
  private current: number;
  private epochs = 0;
  private best: number | null = null;
  private badEpochs = 0;
  private cooldownLeft = 0;

  constructor(baseLr: number, config: { kind: "plateau" } & PlateauOptions) {
    validateConfig(config);
    this.configNow = withPlateauDefaults(config);
    this.base = baseLr;
    this.current = baseLr;
  }

  get config(): ScheduleConfig {
    return this.configNow;
  }
  get baseLr(): number {
    return this.base;
  }
  get epoch(): number {
    return this.epochs;
  }
  get lr(): number {
    return this.current;
  }
  atBatch(): { lr: number; momentum: null } {
    return { lr: this.current, momentum: null };
  }

  step(metric?: number): number {
    if (metric === undefined || !Number.isFinite(metric)) {
      throw new SpikemedError(`plateau schedule: step() needs the epoch's validation metric as a finite number, got ${String(metric)}`, "check the validation loss for divergence (NaN/Inf)");
    }
    const c = this.configNow;
    this.epochs++;
    if (this.isBetter(metric)) {
      this.best = metric;
      this.badEpochs = 0;
    } else {
      this.badEpochs++;
    }
    if (this.cooldownLeft > 0) {
      this.cooldownLeft--;
      this.badEpochs = 0;
    }
    if (this.badEpochs > c.patience) {
      const reduced = Math.max(this.current * c.factor, c.minLr);
      if (this.current - reduced > c.eps) this.current = reduced;
      this.cooldownLeft = c.cooldown;
      this.badEpochs = 0;
    }
    return this.current;
  }

  private isBetter(metric: number): boolean {
    const best = this.best;
    if (best === null) return true;
    const { mode, thresholdMode, threshold } = this.configNow;
    if (mode === "min") return thresholdMode === "rel" ? metric < best * (1 - threshold) : metric < best - threshold;
    return thresholdMode === "rel" ? metric > best * (threshold + 1) : metric > best + threshold;
  }

  state(): ScheduleState {
    return { config: { ...this.configNow }, baseLr: this.base, epoch: this.epochs, lr: this.current, best: this.best, badEpochs: this.badEpochs, cooldownLeft: this.cooldownLeft };
  }

  loadState(state: ScheduleState, source = "schedule state"): void {
    checkState(state, "plateau", source);
    if (state.best !== null) checkRange(source, "schedule best", state.best, -Infinity, Infinity);
    checkRange(source, "schedule badEpochs", state.badEpochs, 0, Infinity, true);
    checkRange(source, "schedule cooldownLeft", state.cooldownLeft, 0, Infinity, true);
    this.configNow = withPlateauDefaults(state.config as { kind: "plateau" } & PlateauOptions);
    this.base = state.baseLr;
    this.current = state.lr;
    this.epochs = state.epoch;
    this.best = state.best;
    this.badEpochs = state.badEpochs;
    this.cooldownLeft = state.cooldownLeft;
  }
}

function withPlateauDefaults(config: { kind: "plateau" } & PlateauOptions): { kind: "plateau" } & Required<PlateauOptions> {
  return {
    kind: "plateau",
    mode: config.mode ?? "min",
    factor: config.factor ?? 0.1,
    patience: config.patience ?? 10,
    threshold: config.threshold ?? 1e-4,
    thresholdMode: config.thresholdMode ?? "rel",
    cooldown: config.cooldown ?? 0,
    minLr: config.minLr ?? 0,
    eps: config.eps ?? 1e-8,
  };
}
