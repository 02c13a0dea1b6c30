/**
 * The kernel interface every backend implements. Tensors hold their data in Float32Arrays that the
 * active backend allocates (the WebAssembly backend hands out views into its shared linear memory),
 * and every op's forward and backward is expressed as calls to these kernels. A new backend is a
 * folder that implements this interface; it may extend the reference backend and replace only the
 * kernels it makes faster.
 *
 * Conventions: all arrays are contiguous, row-major; output arrays are overwritten (never
 * accumulated into) unless a parameter says otherwise; sizes are element counts.
 */

/** Geometry of a 2-d convolution over a batch (1-d convolutions use h = kh = 1). Channels-first. */
export interface ConvGeometry {
  n: number; cin: number; h: number; w: number;
  cout: number; kh: number; kw: number;
  strideH: number; strideW: number; padH: number; padW: number; dilationH: number; dilationW: number;
  outH: number; outW: number;
}

/** Geometry of 2-d pooling over `planes` independent planes (batch x channels). */
export interface PoolGeometry {
  planes: number; h: number; w: number;
  kh: number; kw: number; strideH: number; strideW: number; padH: number; padW: number;
  outH: number; outW: number;
}

export type UnaryOp = "neg" | "exp" | "log" | "relu" | "sigmoid" | "tanh" | "sqrt" | "abs" | "square";
export type BinaryOp = "add" | "sub" | "mul" | "div" | "max" | "min";

/** Surrogate derivatives of the Heaviside spike function, evaluated at x = U - threshold. */
export type SurrogateKind = "piecewise-linear" | "fast-sigmoid" | "arctan" | "sigmoid" | "straight-through";
export interface SurrogateSpec {
  kind: SurrogateKind;
  /** gamma (piecewise-linear width), slope (fast-sigmoid, sigmoid) or alpha (arctan); unused by straight-through. */
  param: number;
}

export type ResetMode = "subtract" | "zero" | "none";

/**
 * Leaky integrate-and-fire over T steps, for N neurons per step, of which F distinct features
 * (neuron i has feature i % F; beta and threshold have length 1 or F). Step t, in float32,
 * with each operation rounded to float32 in exactly this order (so every backend decides the
 * same spikes from the same currents):
 *   leak  = vRest + beta * (U[t-1] - vRest)          (U[-1] = vRest; vRest = 0 gives beta*U[t-1])
 *   subtract: U[t] = (leak + I[t]) - S[t-1] * threshold
 *   zero:     U[t] = (leak + I[t]) * (1 - S[t-1])       (S[-1] = 0)
 *   none:     U[t] =  leak + I[t]
 *   S[t] = U[t] > threshold ? 1 : 0
 * The reset term is detached in the backward pass (as in snnTorch).
 */
export interface LifSpec {
  T: number; N: number; F: number;
  beta: Float32Array; threshold: Float32Array; vRest: number; reset: ResetMode;
}

export interface Backend {
  readonly name: string;
  /** Worker threads the kernels use (1 = the calling thread only). */
  readonly threads: number;

  /**
   * An array of n floats owned by this backend: zero-filled, or with arbitrary contents when
   * `zeroed` is false (for outputs a kernel overwrites whole, which then skip the clearing pass).
   */
  alloc(n: number, zeroed?: boolean): Float32Array;
  /** Returns an array from alloc() for reuse. Using it afterwards is an error. */
  free(array: Float32Array): void;

  /**
   * C = op(A) * op(B) (+ C if accumulate), batched: for b < batch, matrices start at
   * b*strideA, b*strideB, b*strideC. op(A) is m x k (A stored k x m when transA), op(B) is k x n.
   */
  gemm(transA: boolean, transB: boolean, m: number, n: number, k: number,
    a: Float32Array, b: Float32Array, c: Float32Array, accumulate: boolean,
    batch?: number, strideA?: number, strideB?: number, strideC?: number): void;

  /** y[n, cout, outH, outW] = conv(x[n, cin, h, w], w[cout, cin, kh, kw]) + bias[cout]. */
  conv2dForward(x: Float32Array, weight: Float32Array, bias: Float32Array | null, y: Float32Array, g: ConvGeometry): void;
  /** dx = gradient of the convolution with respect to its input. */
  conv2dBackwardInput(dy: Float32Array, weight: Float32Array, dx: Float32Array, g: ConvGeometry): void;
  /** dWeight (and dBias when given) = gradient with respect to the filters (and bias). */
  conv2dBackwardWeight(x: Float32Array, dy: Float32Array, dWeight: Float32Array, dBias: Float32Array | null, g: ConvGeometry): void;

  /**
   * Event-driven dense layer for mostly-zero inputs (spike trains), weight [out, in] as in
   * linear: y[r, o] = bias[o] + the sum, over the nonzero x[r, i] in order of i, of
   * x[r, i] * weight[o, i], rounding to float32 after every product and sum. Zeros cost only
   * the scan that skips them.
   */
  sparseLinearForward(x: Float32Array, weight: Float32Array, bias: Float32Array | null, y: Float32Array,
    rows: number, inFeatures: number, outFeatures: number): void;
  /**
   * Event-driven conv2dForward for mostly-zero inputs. Output element (c, oy, ox) = bias[c] + the
   * sum, over the filter taps (ky, kx) in row-major order and then the input channels in order,
   * of each nonzero input under the tap times its weight, rounding to float32 after every product
   * and sum.
   */
  sparseConv2dForward(x: Float32Array, weight: Float32Array, bias: Float32Array | null, y: Float32Array, g: ConvGeometry): void;

  /** Max pooling; padding counts as -infinity. Backward routes dy to the first maximum of each window. */
  maxPool2dForward(x: Float32Array, y: Float32Array, g: PoolGeometry): void;
  maxPool2dBackward(x: Float32Array, dy: Float32Array, dx: Float32Array, g: PoolGeometry): void;
  /** Average pooling; padding counts as zeros and is included in the divisor (PyTorch's default). */
  avgPool2dForward(x: Float32Array, y: Float32Array, g: PoolGeometry): void;
  avgPool2dBackward(dy: Float32Array, dx: Float32Array, g: PoolGeometry): void;

  /** y = op(x), elementwise. */
  unary(op: UnaryOp, x: Float32Array, y: Float32Array): void;
  /** dx = dy * op'(x); y = op(x) is given because several derivatives are cheapest from it. */
  unaryBackward(op: UnaryOp, x: Float32Array, y: Float32Array, dy: Float32Array, dx: Float32Array): void;
  /**
   * out[i] = a[ia] op b[ib] over the index space `shape`, where ia/ib follow aStrides/bStrides
   * (stride 0 on broadcast dimensions).
   */
  binary(op: BinaryOp, a: Float32Array, aStrides: readonly number[], b: Float32Array, bStrides: readonly number[], out: Float32Array, shape: readonly number[]): void;
  /** y = x * scale + shift (scalars). */
  affine(x: Float32Array, scale: number, shift: number, y: Float32Array): void;
  /** Strided copy: y (contiguous, `shape`) from x read at `strides` starting at `offset`. */
  copyStrided(x: Float32Array, offset: number, strides: readonly number[], y: Float32Array, shape: readonly number[]): void;
  /**
   * Writes the rows x cols matrix x into y as rows `yStride` apart from `yOffset` on: a block of
   * columns of a wider matrix (concatenation). The rest of y is left as it is.
   */
  copyRows(x: Float32Array, rows: number, cols: number, y: Float32Array, yOffset: number, yStride: number): void;
  /** y += x. */
  accumulate(x: Float32Array, y: Float32Array): void;

  /** y[o, i] = sum over j of x[o, j, i] for a view of x as [outer, len, inner]. */
  sumAxis(x: Float32Array, outer: number, len: number, inner: number, y: Float32Array): void;
  /**
   * Per-channel moments of x viewed as [outer, channels, inner]: mean[c] and the biased variance[c]
   * about the float32 mean, each a float64 sum in four lanes (element i of a row in lane i % 4,
   * rows in order, the lanes then added as (0 + 1) + (2 + 3)) divided by outer * inner.
   */
  channelMoments(x: Float32Array, outer: number, channels: number, inner: number, mean: Float32Array, variance: Float32Array): void;
  /**
   * The sums a per-channel normalisation's backward pass needs, over the same view and in the same
   * float64 lanes as channelMoments: sumDy[c] = sum of dy, sumDyCentred[c] = sum of dy * (x - center[c]).
   */
  channelGradientSums(dy: Float32Array, x: Float32Array, center: Float32Array, outer: number, channels: number, inner: number,
    sumDy: Float32Array, sumDyCentred: Float32Array): void;
  /**
   * y = (x - center[c]) * xScale[c] (+ dy * dyScale[c] when dy is given) + shift[c], in float32 in
   * this order, over the view [outer, channels, inner]: a normalisation's forward pass, or with dy
   * its backward pass.
   */
  channelAffine(x: Float32Array, center: Float32Array, xScale: Float32Array, dy: Float32Array | null, dyScale: Float32Array | null,
    shift: Float32Array, outer: number, channels: number, inner: number, y: Float32Array): void;
  /** y[o, i] = max over j of x[o, j, i]; index[o, i] = the first j at the max (as float). */
  maxAxis(x: Float32Array, outer: number, len: number, inner: number, y: Float32Array, index: Float32Array): void;

  /** Row-wise softmax (or log-softmax) of a rows x cols matrix, max-subtracted. */
  softmax(x: Float32Array, rows: number, cols: number, y: Float32Array, log: boolean): void;
  /** dx from y (the softmax or log-softmax output) and dy. */
  softmaxBackward(y: Float32Array, dy: Float32Array, rows: number, cols: number, dx: Float32Array, log: boolean): void;

  /** LIF forward over all T steps: writes membrane U[T*N] and spikes S[T*N] from currents I[T*N]. */
  lifForward(spec: LifSpec, current: Float32Array, mem: Float32Array, spikes: Float32Array): void;
  /**
   * LIF forward at inference, when nothing will be differentiated: the spikes of lifForward (the
   * same float32 operations, so the same spikes) without the membrane trace. `current` is [T*N],
   * or [N] when `staticCurrent` (one current standing for every step: a directly encoded input).
   * The spikes are max-pooled over windows of `poolWidth` consecutive neurons (1: no pooling; F
   * must be a multiple of it), so `spikes` is [T*N/poolWidth]. Writes counts[F]: each feature's
   * spikes summed over the T steps and the N/F samples, before pooling (for the activity meters).
   */
  lifInference(spec: LifSpec, current: Float32Array, staticCurrent: boolean, poolWidth: number,
    spikes: Float32Array, counts: Float32Array): void;
  /**
   * sparseConv2dForward over g.n = T*B samples (step-major: sample t*B + b) feeding LIF neurons
   * at inference: lifInference on the convolution's output (spec.F = cout*outH*outW, spec.N =
   * B*F), which need not be stored for the whole batch. The spikes are pooled over windows of
   * `poolWidth` along outW (which it must divide): spikes [T*B, cout, outH, outW/poolWidth].
   */
  sparseConvLif(x: Float32Array, weight: Float32Array, bias: Float32Array | null, g: ConvGeometry,
    spec: LifSpec, poolWidth: number, spikes: Float32Array, counts: Float32Array): void;
  /**
   * LIF backward through time. dSpikes and dMem (either may be null: no gradient) are the
   * gradients flowing into S and U. Writes dCurrent[T*N]; accumulates dBeta (length of beta)
   * and dThreshold (length of threshold) when they are given.
   */
  lifBackward(spec: LifSpec, surrogate: SurrogateSpec, mem: Float32Array, spikes: Float32Array,
    dSpikes: Float32Array | null, dMem: Float32Array | null, dCurrent: Float32Array,
    dBeta: Float32Array | null, dThreshold: Float32Array | null): void;

  /**
   * KerasSpiking's SpikingActivation with ReLU over T steps of N values: v += relu(x[t]) * dt;
   * n = floor(v); v -= n; y[t] = n / dt. `voltage` holds the N initial voltages and is updated
   * to the final ones.
   */
  spikingReluForward(x: Float32Array, T: number, N: number, dt: number, voltage: Float32Array, y: Float32Array): void;
}

let active: Backend | null = null;

/** The backend that new tensors and ops use. Defaults to the reference backend if none was set. */
export function getBackend(): Backend {
  if (!active) throw new Error("spikemed: no backend set (import spikemed's core index, which sets the reference backend)");
  return active;
}

export function setBackend(backend: Backend): void {
  active = backend;
}
