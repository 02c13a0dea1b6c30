import type { BinaryOp, ResetMode, SurrogateKind, UnaryOp } from "../../backend.js";
import { BinaryCode, JOB_SLOTS, ResetCode, SurrogateCode, UnaryCode } from "./kernel-interface.js";

/** The backend's operation names, as the kernels' codes (kernel-interface.ts). */
export const UNARY_CODE: Record<UnaryOp, UnaryCode> = {
  neg: UnaryCode.Neg, exp: UnaryCode.Exp, log: UnaryCode.Log, relu: UnaryCode.Relu, sigmoid: UnaryCode.Sigmoid,
  tanh: UnaryCode.Tanh, sqrt: UnaryCode.Sqrt, abs: UnaryCode.Abs, square: UnaryCode.Square,
};
export const BINARY_CODE: Record<BinaryOp, BinaryCode> = {
  add: BinaryCode.Add, sub: BinaryCode.Sub, mul: BinaryCode.Mul, div: BinaryCode.Div, max: BinaryCode.Max, min: BinaryCode.Min,
};
export const RESET_CODE: Record<ResetMode, ResetCode> = { subtract: ResetCode.Subtract, zero: ResetCode.Zero, none: ResetCode.None };
export const SURROGATE_CODE: Record<SurrogateKind, SurrogateCode> = {
  "piecewise-linear": SurrogateCode.PiecewiseLinear, "fast-sigmoid": SurrogateCode.FastSigmoid, arctan: SurrogateCode.Arctan,
  sigmoid: SurrogateCode.Sigmoid, "straight-through": SurrogateCode.StraightThrough,
};

/** A job block's int32 work counter (after the float64 slots; see assembly/job.ts), and its size. */
export const JOB_COUNTER_INDEX = JOB_SLOTS * 2;
export const JOB_BYTES = JOB_SLOTS * 8 + 64;

/** A value for every slot that an argument enum of kernel-interface.ts names, by member name. */
export type JobArgs<Layout> = { readonly [Slot in keyof Layout]: number };

/** Writes args into the job block at the slots that `layout` (an argument enum) gives their names. */
export function writeArgs<Layout extends Record<string, number | string>>(job: Float64Array, layout: Layout, args: JobArgs<Layout>): void {
  for (const name in args) job[layout[name] as number] = args[name];
}

/** The module's exports. */
export interface KernelExports {
  heapBase(): number;
  run(job: number, tid: number): void;
  GEMM_SCRATCH_BYTES: WebAssembly.Global;
  /** The GEMM's register tile: rows (4, or 6 in the relaxed-SIMD module) and columns. */
  GEMM_MR: WebAssembly.Global;
  GEMM_NR: WebAssembly.Global;
}
