import { getBackend } from "./backend.js";
import { SpikemedError } from "./errors.js";

export type Shape = readonly number[];

/** How an op's output passes gradients to its inputs: `grad` is dLoss/dOutput. */
export interface GradNode {
  op: string;
  inputs: readonly Tensor[];
  /** Returns one gradient per input (null where an input needs none); arrays are handed over to the engine. */
  backward(grad: Float32Array): (Float32Array | null)[];
}

/**
 * A float32 tensor: a shape over contiguous row-major data allocated by the active backend.
 * Views (reshape) share their base's data. Gradients of leaves accumulate into `grad`.
 */
export class Tensor {
  readonly size: number;
  grad: Float32Array | null = null;
  node: GradNode | null = null;
  private disposed = false;

  constructor(
    readonly shape: Shape,
    readonly data: Float32Array,
    public requiresGrad = false,
    /** The tensor whose storage this one views, if any. */
    readonly base: Tensor | null = null,
  ) {
    this.size = sizeOf(shape);
    if (data.length !== this.size) {
      throw new Error(`Tensor: data has ${data.length} elements but shape [${shape.join(", ")}] needs ${this.size}`);
    }
    track(this);
  }

  get rank(): number {
    return this.shape.length;
  }

  get isDisposed(): boolean {
    return this.disposed;
  }

  /** Returns this tensor's memory to the backend (views only drop their reference). */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    if (this.base === null) getBackend().free(this.data);
    if (this.grad) {
      getBackend().free(this.grad);
      this.grad = null;
    }
  }

  /** A copy of the data as a plain array (for tests and reports). */
  toArray(): number[] {
    return Array.from(this.data);
  }

  /** The single value of a one-element tensor. */
  item(): number {
    if (this.size !== 1) throw new Error(`item(): tensor has shape [${this.shape.join(", ")}], not one element`);
    return this.data[0];
  }

  toString(): string {
    return `Tensor[${this.shape.join(", ")}]`;
  }
}

export function sizeOf(shape: Shape): number {
  let n = 1;
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) throw new Error(`invalid shape [${shape.join(", ")}]`);
    n *= d;
  }
  return n;
}

export function shapeString(shape: Shape): string {
  return `[${shape.join(", ")}]`;
}

/** Row-major strides of a contiguous shape. */
export function stridesOf(shape: Shape): number[] {
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    strides[d] = s;
    s *= shape[d];
  }
  return strides;
}

/**
 * Allocates data for an op's output (contents arbitrary: the op's kernel writes every element),
 * turning an allocation failure into an error naming the op.
 */
export function allocate(op: string, shape: Shape, zeroed = false): Float32Array {
  const n = sizeOf(shape);
  try {
    return getBackend().alloc(n, zeroed);
  } catch (err) {
    throw new SpikemedError(
      `${op}: out of memory allocating ${shapeString(shape)} (${(n * 4 / 2 ** 20).toFixed(1)} MiB): ${(err as Error).message}`,
      "use a smaller batch size, fewer time steps or a smaller input size",
    );
  }
}

// ---- creation -------------------------------------------------------------------------------

export function zeros(shape: Shape, requiresGrad = false): Tensor {
  return new Tensor(shape, allocate("zeros", shape, true), requiresGrad);
}

export function full(shape: Shape, value: number): Tensor {
  const t = zeros(shape);
  t.data.fill(value);
  return t;
}

/** A tensor holding a copy of `values` in backend memory. */
export function tensor(values: ArrayLike<number>, shape: Shape = [values.length], requiresGrad = false): Tensor {
  if (sizeOf(shape) !== values.length) {
    throw new Error(`tensor: ${values.length} values do not fill shape ${shapeString(shape)}`);
  }
  const t = zeros(shape, requiresGrad);
  t.data.set(values);
  return t;
}

// ---- gradient mode --------------------------------------------------------------------------

let gradEnabled = true;

export function isGradEnabled(): boolean {
  return gradEnabled;
}

/** Runs fn without recording operations for autograd (inference, metric computation). */
export function noGrad<T>(fn: () => T): T {
  const previous = gradEnabled;
  gradEnabled = false;
  try {
    return fn();
  } finally {
    gradEnabled = previous;
  }
}

// ---- memory scopes --------------------------------------------------------------------------

const scopes: Tensor[][] = [];

function track(t: Tensor): void {
  if (scopes.length > 0) scopes[scopes.length - 1].push(t);
}

/**
 * Runs fn and disposes every tensor created inside it except those reachable from its result
 * (tensors, arrays or plain objects of tensors) and those passed to keep(). A training step
 * wrapped in tidy() leaves the heap where it found it.
 */
export function tidy<T>(fn: () => T): T {
  scopes.push([]);
  let created: Tensor[] = [];
  let result: T;
  try {
    result = fn();
  } finally {
    created = scopes.pop()!;
  }
  const survivors = new Set<Tensor>();
  collectTensors(result, survivors);
  for (const t of created) {
    if (!survivors.has(t) && !kept.has(t)) t.dispose();
  }
  // Survivors now belong to the enclosing scope, if any.
  if (scopes.length > 0) for (const t of created) if (survivors.has(t)) scopes[scopes.length - 1].push(t);
  return result;
}

const kept = new WeakSet<Tensor>();

/** Exempts a tensor (e.g. a parameter or running statistic) from disposal by tidy(). */
export function keep<T extends Tensor>(t: T): T {
  kept.add(t);
  return t;
}

function collectTensors(value: unknown, into: Set<Tensor>): void {
  if (value instanceof Tensor) {
    for (let t: Tensor | null = value; t; t = t.base) into.add(t);
  } else if (Array.isArray(value)) {
    for (const v of value) collectTensors(v, into);
  } else if (value && typeof value === "object" && Object.getPrototypeOf(value) === Object.prototype) {
    for (const v of Object.values(value)) collectTensors(v, into);
  }
}
