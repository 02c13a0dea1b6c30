// The interface between the host and the kernel module, defined once: tsc compiles this file for
// the backend and AssemblyScript's asc compiles it into the module (assembly/ imports it). So it
// holds numeric enums and constants only, in the syntax both languages share, and imports nothing.
//
// A job is a block of JOB_SLOTS float64 arguments in shared memory: slot 0 holds the kernel id,
// the others the arguments at the slots that the kernel's enum below names; a work counter follows.

/** Float64 argument slots of a job block. */
export const JOB_SLOTS = 48;

/** The kernel that a job runs (slot 0). */
export enum Kernel {
  Noop = 0, Gemm, ConvForward, ConvBackwardInput, ConvBackwardWeight, ReduceGroups,
  MaxPoolForward, MaxPoolBackward, AvgPoolForward, AvgPoolBackward,
  Unary, UnaryBackward, Binary, Affine, Accumulate, SumAxis,
  Softmax, SoftmaxBackward, LifForward, LifBackward, SpikingRelu, CopyStrided,
  SparseLinear, SparseConv, Transpose, LifInference, CopyRows, SparseConvLif,
  ChannelMoments, ChannelGradientSums, ChannelAffine,
}

/** Operation codes of the elementwise and neuron kernels. */
export enum UnaryCode { Neg = 0, Exp, Log, Relu, Sigmoid, Tanh, Sqrt, Abs, Square }
export enum BinaryCode { Add = 0, Sub, Mul, Div, Max, Min }
export enum ResetCode { Subtract = 0, Zero, None }
export enum SurrogateCode { PiecewiseLinear = 0, FastSigmoid, Arctan, Sigmoid, StraightThrough }

// Argument slots, one enum a kernel (or a block that several kernels share). Pointers are byte
// offsets into the shared memory; flags are 0 or 1.

export enum GemmArg {
  TransA = 1, TransB, M, N, K, A, B, C, Accumulate, Batch, StrideA, StrideB, StrideC, Scratch, ScratchStride,
  /** 1: threads split the columns into blocks of Chunk; 0: the rows. */
  AlongN, Chunk, Blocks,
}

/** Where every convolution kernel keeps its geometry (the fields of ConvGeometry, in order). */
export enum ConvGeometryArg {
  N = 8, Cin, H, W, Cout, Kh, Kw, StrideH, StrideW, PadH, PadW, DilationH, DilationW, OutH, OutW,
}

/** Samples that share one GEMM: the slot after the geometry. */
export enum ConvForwardArg { X = 1, Weight, Bias, HasBias, Y, Scratch, ScratchStride, Samples = 23 }
export enum ConvBackwardInputArg { Dy = 1, Weight, Dx = 5, Scratch, ScratchStride, Samples = 23 }
export enum ConvBackwardWeightArg { X = 1, Dy, Partials, HasBias, Groups, Scratch, ScratchStride, Samples = 23 }
/** Sums Groups partial arrays of Count values, Stride floats apart, into Dst. */
export enum ReduceGroupsArg { Dst = 1, Src, Count, Groups, Stride }

/** The event-driven convolution: WeightByTap is [cin, kh, kw, cout]; the last four are offsets into a thread's scratch. */
export enum SparseConvArg {
  X = 1, WeightByTap, Bias, HasBias, Y, Scratch, ScratchStride, Events = 23, Segments, RowsOut, Masks,
}
/** The fused event-driven convolution and LIF: its slots after SparseConvArg's (Y holds the pooled spikes). */
export enum SparseConvLifArg {
  T = 27, Beta, Threshold, VRest, Reset, PoolWidth, Partials, Groups, Currents, SpikeCounts, Pooled,
}
/** The event-driven dense layer: WeightT is [inFeatures, outFeatures]. */
export enum SparseLinearArg { X = 1, WeightT, Bias, HasBias, Y, Rows, InFeatures, OutFeatures, Scratch, ScratchStride }
export enum TransposeArg { Src = 1, Dst, Rows, Cols }

/** Pooling: Y is the output forward and dy backward; Dx is the backward passes' output. */
export enum PoolArg { X = 1, Y, Dx, Planes, H, W, Kh, Kw, StrideH, StrideW, PadH, PadW, OutH, OutW }

export enum UnaryArg { Op = 1, X, Y, Count }
export enum UnaryBackwardArg { Op = 1, X, Y, Dy, Dx, Count }
/** Broadcast binary op over 3 dimensions, with each operand's strides (the innermost 0 or 1). */
export enum BinaryArg { Op = 1, A, B, Out, D0, D1, D2, StrideA0, StrideA1, StrideA2, StrideB0, StrideB1, StrideB2 }
export enum AffineArg { X = 1, Y, Count, Scale, Shift }
export enum AccumulateArg { X = 1, Y, Count }
export enum SumAxisArg { X = 1, Y, Outer, Length, Inner }
export enum CopyStridedArg { X = 1, Y, D0, D1, D2, S0, S1, S2 }
export enum CopyRowsArg { X = 1, Y, Rows, Cols, YStride }
export enum SoftmaxArg { X = 1, Y, Rows, Cols, Log }
export enum SoftmaxBackwardArg { Y = 1, Dy, Dx, Rows, Cols, Log }
export enum ChannelMomentsArg { X = 1, Outer, Channels, Inner, Mean, Variance }
export enum ChannelGradientSumsArg { Dy = 1, X, Center, Outer, Channels, Inner, SumDy, SumDyCentred }
export enum ChannelAffineArg { X = 1, Center, XScale, Dy, DyScale, Shift, Outer, Channels, Inner, Y }

/** The LIF neurons that the three LIF kernels share (N: lifInference's is the samples, N / F). */
export enum LifArg { T = 1, N, F, Beta, BetaLength, Threshold, ThresholdLength, VRest, Reset }
export enum LifForwardArg { Current = 10, Mem, Spikes }
export enum LifInferenceArg { Current = 10, StaticCurrent, PoolWidth, Spikes, Partials, Groups }
export enum LifBackwardArg {
  Surrogate = 10, SurrogateParam, Mem, Spikes, DSpikes, HasDSpikes, DMem, HasDMem, DCurrent, Partials, Groups, WantParams,
}
export enum SpikingReluArg { X = 1, T, N, Dt, Voltage, Y }
