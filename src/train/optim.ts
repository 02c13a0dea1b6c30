import { SpikemedError } from "../core/errors.js";
import { type Param, validateParams } from "./param.js";

/**
 * Optimisers with PyTorch's update equations and defaults (torch.optim.Adam, AdamW, SGD).
 * Moments are stored in float32 like PyTorch's; each element's update is computed in float64
 * and rounded where PyTorch stores an intermediate float32 tensor, so results agree with
 * PyTorch to float32 rounding. Unlike PyTorch, every parameter is updated at every step (there
 * is no "grad is None" skip): a parameter that got no gradient must have a zero grad.
 */

export type OptimizerKind = "adam" | "adamw" | "sgd";

export interface AdamOptions {
  lr?: number;
  betas?: readonly [number, number];
  eps?: number;
  weightDecay?: number;
  amsgrad?: boolean;
}

export interface SgdOptions {
  lr?: number;
  momentum?: number;
  dampening?: number;
  weightDecay?: number;
  nesterov?: boolean;
}

export type OptimizerConfig =
  | ({ kind: "adam" } & AdamOptions)
  | ({ kind: "adamw" } & AdamOptions)
  | ({ kind: "sgd" } & SgdOptions);

/**
 * Everything needed to continue optimisation bit for bit: step count, hyperparameters (the
 * learning rate may have been changed by a schedule) and moment buffers keyed
 * `<param name>.<PyTorch state name>` (exp_avg, exp_avg_sq, max_exp_avg_sq, momentum_buffer).
 */
export interface OptimizerState {
  kind: OptimizerKind;
  stepCount: number;
  hyper: Record<string, number | boolean>;
  buffers: Map<string, Float32Array>;
}

export interface Optimizer {
  readonly kind: OptimizerKind;
  /** Learning rate used by the next step(); schedules set it. */
  lr: number;
  /** Adam's beta1 or SGD's momentum: what a one-cycle schedule cycles. */
  momentum: number;
  readonly stepCount: number;
  readonly params: readonly Param[];
  /** One update of every parameter from its current grad. */
  step(): void;
  /** A copy of the state, for checkpoints. */
  state(): OptimizerState;
  /** Restores a state from state(); `source` (e.g. the checkpoint file) is named in errors. */
  loadState(state: OptimizerState, source?: string): void;
}

export function createOptimizer(config: OptimizerConfig, params: readonly Param[]): Optimizer {
  switch (config.kind) {
    case "adam":
      return new Adam(params, config);
    case "adamw":
      return new AdamW(params, config);
    case "sgd":
      return new Sgd(params, config);
    default:
      throw new SpikemedError(`optimizer: unknown kind "${(config as { kind: unknown }).kind}"`, "use adam, adamw or sgd");
  }
}

function checkNumber(owner: string, option: string, value: number, min: number, maxExclusive = Infinity): number {
  if (!Number.isFinite(value) || value < min || value >= maxExclusive) {
    const range = maxExclusive === Infinity ? `>= ${min}` : `in [${min}, ${maxExclusive})`;
    throw new SpikemedError(`${owner}: option ${option} must be a finite number ${range}, got ${value}`);
  }
  return value;
}

function zeroBuffers(params: readonly Param[]): Float32Array[] {
  return params.map((p) => new Float32Array(p.value.length));
}

abstract class BaseOptimizer implements Optimizer {
  abstract readonly kind: OptimizerKind;
  lr: number;
  abstract momentum: number;
  protected steps = 0;

  constructor(readonly params: readonly Param[], lr: number, owner: string) {
    validateParams(params, owner);
    this.lr = checkNumber(owner, "lr", lr, 0);
  }

  get stepCount(): number {
    return this.steps;
  }

  abstract step(): void;
  protected abstract hyper(): Record<string, number | boolean>;
  protected abstract setHyper(hyper: Record<string, number | boolean>, source: string): void;
  /** Buffers by PyTorch state name, one array per parameter, in parameter order. */
  protected abstract namedBuffers(): [string, Float32Array[]][];

  state(): OptimizerState {
    const buffers = new Map<string, Float32Array>();
    for (const [suffix, arrays] of this.namedBuffers()) {
      this.params.forEach((p, i) => buffers.set(`${p.name}.${suffix}`, arrays[i].slice()));
    }
    return { kind: this.kind, stepCount: this.steps, hyper: this.hyper(), buffers };
  }

  loadState(state: OptimizerState, source = "optimizer state"): void {
    if (state === null || typeof state !== "object" || state.hyper === null || typeof state.hyper !== "object") {
      throw new SpikemedError(`${source}: holds no optimizer settings`, "the file is damaged; use an earlier checkpoint or start the run again without --resume");
    }
    if (state.kind !== this.kind) {
      throw new SpikemedError(`${source}: holds ${state.kind} optimizer state but the run uses ${this.kind}`, "resume with the optimizer the run was started with");
    }
    if (!Number.isInteger(state.stepCount) || state.stepCount < 0) {
      throw new SpikemedError(`${source}: optimizer step count ${state.stepCount} is not a non-negative integer`);
    }
    // Check everything before changing anything, so a failed load leaves the optimizer intact.
    const named = this.namedBuffers();
    for (const [suffix, arrays] of named) {
      this.params.forEach((p, i) => {
        const key = `${p.name}.${suffix}`;
        const saved = state.buffers.get(key);
        if (!saved) throw new SpikemedError(`${source}: optimizer buffer "${key}" is missing`, "the checkpoint was written for a different model");
        if (saved.length !== arrays[i].length) {
          throw new SpikemedError(`${source}: optimizer buffer "${key}" has ${saved.length} values, the parameter has ${arrays[i].length}`, "the checkpoint was written for a different model");
        }
      });
    }
    const expected = named.length * this.params.length;
    if (state.buffers.size !== expected) {
      throw new SpikemedError(`${source}: optimizer state has ${state.buffers.size} buffers, expected ${expected}`, "the checkpoint was written for a different model or optimizer");
    }
    this.setHyper(state.hyper, source);
    for (const [suffix, arrays] of named) {
      this.params.forEach((p, i) => arrays[i].set(state.buffers.get(`${p.name}.${suffix}`)!));
    }
    this.steps = state.stepCount;
  }
}

function hyperNumber(hyper: Record<string, number | boolean>, key: string, source: string): number {
  const v = hyper[key];
  if (typeof v !== "number" || !Number.isFinite(v)) throw new SpikemedError(`${source}: optimizer setting ${key} is missing or not a finite number`);
  return v;
}

function hyperBoolean(hyper: Record<string, number | boolean>, key: string, source: string): boolean {
  const v = hyper[key];
  if (typeof v !== "boolean") throw new SpikemedError(`${source}: optimizer setting ${key} is missing or not true/false`);
  return v;
}

/**
 * Adam (Kingma & Ba) as torch.optim.Adam: weightDecay adds an L2 term to the gradient;
 * p -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps).
 * Defaults: lr 1e-3, betas (0.9, 0.999), eps 1e-8, weightDecay 0, amsgrad false.
 */
export class Adam extends BaseOptimizer {
  readonly kind: OptimizerKind = "adam";
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  readonly amsgrad: boolean;
  private readonly expAvg: Float32Array[];
  private readonly expAvgSq: Float32Array[];
  private readonly maxExpAvgSq: Float32Array[];
  /** AdamW shrinks the weights directly instead of adding weightDecay * p to the gradient. */
  protected readonly decoupled: boolean = false;

  constructor(params: readonly Param[], options: AdamOptions = {}, owner = "adam", defaultWeightDecay = 0) {
    super(params, options.lr ?? 1e-3, owner);
    const [beta1, beta2] = options.betas ?? [0.9, 0.999];
    this.beta1 = checkNumber(owner, "betas[0]", beta1, 0, 1);
    this.beta2 = checkNumber(owner, "betas[1]", beta2, 0, 1);
    this.eps = checkNumber(owner, "eps", options.eps ?? 1e-8, 0);
    this.weightDecay = checkNumber(owner, "weightDecay", options.weightDecay ?? defaultWeightDecay, 0);
    this.amsgrad = options.amsgrad ?? false;
    this.expAvg = zeroBuffers(params);
    this.expAvgSq = zeroBuffers(params);
    this.maxExpAvgSq = this.amsgrad ? zeroBuffers(params) : [];
  }

  step(): void {
    const t = ++this.steps;
    const { lr, beta1, beta2, eps, weightDecay } = this;
    const stepSize = lr / (1 - Math.pow(beta1, t));
    const biasCorrection2Sqrt = Math.sqrt(1 - Math.pow(beta2, t));
    const shrink = this.decoupled ? Math.fround(1 - lr * weightDecay) : 1;
    const l2 = this.decoupled ? 0 : weightDecay;
    const oneMinusBeta1 = 1 - beta1;
    const oneMinusBeta2 = 1 - beta2;
    for (let i = 0; i < this.params.length; i++) {
      const value = this.params[i].value;
      const grad = this.params[i].grad;
      const m = this.expAvg[i];
      const v = this.expAvgSq[i];
      const vMax = this.amsgrad ? this.maxExpAvgSq[i] : null;
      for (let j = 0; j < value.length; j++) {
        const p = shrink === 1 ? value[j] : Math.fround(value[j] * shrink);
        const g = l2 === 0 ? grad[j] : Math.fround(grad[j] + l2 * p);
        const mj = Math.fround(beta1 * m[j] + oneMinusBeta1 * g);
        const vj = Math.fround(beta2 * v[j] + oneMinusBeta2 * g * g);
        m[j] = mj;
        v[j] = vj;
        let vUsed = vj;
        if (vMax !== null) {
          if (vj > vMax[j]) vMax[j] = vj;
          vUsed = vMax[j];
        }
        value[j] = p - (stepSize * mj) / (Math.sqrt(vUsed) / biasCorrection2Sqrt + eps);
      }
    }
  }

  get momentum(): number {
    return this.beta1;
  }
  set momentum(value: number) {
    this.beta1 = checkNumber(this.kind, "beta1", value, 0, 1);
  }

  protected hyper(): Record<string, number | boolean> {
    return { lr: this.lr, beta1: this.beta1, beta2: this.beta2, eps: this.eps, weightDecay: this.weightDecay, amsgrad: this.amsgrad };
  }

  protected setHyper(hyper: Record<string, number | boolean>, source: string): void {
    if (hyperBoolean(hyper, "amsgrad", source) !== this.amsgrad) {
      throw new SpikemedError(`${source}: optimizer state was saved with amsgrad ${!this.amsgrad}, the run uses amsgrad ${this.amsgrad}`);
    }
    const lr = hyperNumber(hyper, "lr", source);
    const beta1 = hyperNumber(hyper, "beta1", source);
    const beta2 = hyperNumber(hyper, "beta2", source);
    const eps = hyperNumber(hyper, "eps", source);
    const weightDecay = hyperNumber(hyper, "weightDecay", source);
    this.lr = checkNumber(source, "lr", lr, 0);
    this.beta1 = checkNumber(source, "beta1", beta1, 0, 1);
    this.beta2 = checkNumber(source, "beta2", beta2, 0, 1);
    this.eps = checkNumber(source, "eps", eps, 0);
    this.weightDecay = checkNumber(source, "weightDecay", weightDecay, 0);
  }

  protected namedBuffers(): [string, Float32Array[]][] {
    const named: [string, Float32Array[]][] = [["exp_avg", this.expAvg], ["exp_avg_sq", this.expAvgSq]];
    if (this.amsgrad) named.push(["max_exp_avg_sq", this.maxExpAvgSq]);
    return named;
  }
}

/**
 * AdamW (Loshchilov & Hutter) as torch.optim.AdamW: p *= 1 - lr * weightDecay, then the Adam
 * update without an L2 term. Defaults as Adam except weightDecay 1e-2.
 */
export class AdamW extends Adam {
  override readonly kind: OptimizerKind = "adamw";
  protected override readonly decoupled: boolean = true;

  constructor(params: readonly Param[], options: AdamOptions = {}) {
    super(params, options, "adamw", 1e-2);
  }
}

/**
 * SGD as torch.optim.SGD: g += weightDecay * p; buf = g at the first step, then
 * buf = momentum * buf + (1 - dampening) * g; g = nesterov ? g + momentum * buf : buf; p -= lr * g.
 * Defaults: lr 1e-3 (PyTorch 2.x), momentum 0, dampening 0, weightDecay 0, nesterov false.
 */
export class Sgd extends BaseOptimizer {
  readonly kind: OptimizerKind = "sgd";
  private momentumValue: number;
  dampening: number;
  weightDecay: number;
  readonly nesterov: boolean;
  private readonly momentumBuffer: Float32Array[];

  constructor(params: readonly Param[], options: SgdOptions = {}) {
    super(params, options.lr ?? 1e-3, "sgd");
    this.momentumValue = checkNumber("sgd", "momentum", options.momentum ?? 0, 0);
    this.dampening = checkNumber("sgd", "dampening", options.dampening ?? 0, 0);
    this.weightDecay = checkNumber("sgd", "weightDecay", options.weightDecay ?? 0, 0);
    this.nesterov = options.nesterov ?? false;
    if (this.nesterov && (this.momentum <= 0 || this.dampening !== 0)) {
      throw new SpikemedError("sgd: option nesterov needs momentum > 0 and dampening 0", "set momentum (e.g. 0.9) and leave dampening at 0, or turn nesterov off");
    }
    this.momentumBuffer = this.momentum > 0 ? zeroBuffers(params) : [];
  }

  get momentum(): number {
    return this.momentumValue;
  }
  /** A schedule may move the momentum, but not to or from 0: plain SGD keeps no momentum buffers. */
  set momentum(value: number) {
    checkNumber("sgd", "momentum", value, 0);
    if ((value > 0) !== (this.momentumValue > 0)) {
      throw new SpikemedError(`sgd: momentum cannot change from ${this.momentumValue} to ${value} during training`, "start SGD with momentum (e.g. 0.9) to let a schedule cycle it");
    }
    this.momentumValue = value;
  }

  step(): void {
    const first = this.steps === 0;
    this.steps++;
    const { lr, momentum, weightDecay, nesterov } = this;
    const keep = 1 - this.dampening;
    for (let i = 0; i < this.params.length; i++) {
      const value = this.params[i].value;
      const grad = this.params[i].grad;
      const buf = momentum > 0 ? this.momentumBuffer[i] : null;
      for (let j = 0; j < value.length; j++) {
        let g = weightDecay === 0 ? grad[j] : Math.fround(grad[j] + weightDecay * value[j]);
        if (buf !== null) {
          const b = first ? g : Math.fround(momentum * buf[j] + keep * g);
          buf[j] = b;
          g = nesterov ? Math.fround(g + momentum * b) : b;
        }
        value[j] = value[j] - lr * g;
      }
    }
  }

  protected hyper(): Record<string, number | boolean> {
    return { lr: this.lr, momentum: this.momentum, dampening: this.dampening, weightDecay: this.weightDecay, nesterov: this.nesterov };
  }

  protected setHyper(hyper: Record<string, number | boolean>, source: string): void {
    const momentum = hyperNumber(hyper, "momentum", source);
    if ((momentum > 0) !== (this.momentum > 0) || hyperBoolean(hyper, "nesterov", source) !== this.nesterov) {
      throw new SpikemedError(`${source}: SGD state was saved with momentum ${momentum}, nesterov ${hyper.nesterov}; the run uses momentum ${this.momentum}, nesterov ${this.nesterov}`);
    }
    const lr = hyperNumber(hyper, "lr", source);
    const dampening = hyperNumber(hyper, "dampening", source);
    const weightDecay = hyperNumber(hyper, "weightDecay", source);
    this.lr = checkNumber(source, "lr", lr, 0);
    this.momentum = checkNumber(source, "momentum", momentum, 0);
    this.dampening = checkNumber(source, "dampening", dampening, 0);
    this.weightDecay = checkNumber(source, "weightDecay", weightDecay, 0);
  }

  protected namedBuffers(): [string, Float32Array[]][] {
    return this.momentum > 0 ? [["momentum_buffer", this.momentumBuffer]] : [];
  }
}
