import type { BinaryOp, ResetMode, SurrogateKind, UnaryOp } from "../../backend.js";

/** Kernel ids understood by the module's run(); keep in step with assembly/kernels.ts. */
export const KERNEL = {
  noop: 0, gemm: 1, convForward: 2, convBackwardInput: 3, convBackwardWeight: 4, reduceGroups: 5,
  maxPoolForward: 6, maxPoolBackward: 7, avgPoolForward: 8, avgPoolBackward: 9,
  unary: 10, unaryBackward: 11, binary: 12, affine: 13, accumulate: 14, sumAxis: 15,
  softmax: 16, softmaxBackward: 17, lifForward: 18, lifBackward: 19, spikingRelu: 20, copyStrided: 21,
  sparseLinear: 22, sparseConv: 23, transpose: 24, lifInference: 25, copyRows: 26, sparseConvLif: 27,
  channelMoments: 28, channelGradientSums: 29, channelAffine: 30,
} as const;

/** Operation codes, in the order of the constants in assembly/elementwise.ts and assembly/neurons.ts. */
export const UNARY_CODE: Record<UnaryOp, number> = {
  neg: 0, exp: 1, log: 2, relu: 3, sigmoid: 4, tanh: 5, sqrt: 6, abs: 7, square: 8,
};
export const BINARY_CODE: Record<BinaryOp, number> = { add: 0, sub: 1, mul: 2, div: 3, max: 4, min: 5 };
export const RESET_CODE: Record<ResetMode, number> = { subtract: 0, zero: 1, none: 2 };
export const SURROGATE_CODE: Record<SurrogateKind, number> = {
  "piecewise-linear": 0, "fast-sigmoid": 1, arctan: 2, sigmoid: 3, "straight-through": 4,
};

/** Float64 argument slots of a job block, then its int32 work counter (see assembly/job.ts). */
export const JOB_SLOTS = 48;
export const JOB_COUNTER_INDEX = JOB_SLOTS * 2; // in int32 units
export const JOB_BYTES = JOB_SLOTS * 8 + 64;

/** The module's exports. */
export interface KernelExports {
  heapBase(): number;
  run(job: number, tid: number): void;
  GEMM_SCRATCH_BYTES: WebAssembly.Global;
}
