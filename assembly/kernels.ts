// Entry point of the kernel module. It imports a shared memory and exports one function, run(),
// that every thread of the worker pool calls with the same job block; the job's kernel id picks
// the kernel, and threads claim the job's work units from a shared counter until none are left.
// The module makes no host calls, so the same .wasm runs in Node and in browsers.

import { argI } from "./job";
import { accumulate, affine, binary, copyRows, copyStrided, softmax, softmaxBackward, sumAxis, unary, unaryBackward } from "./elementwise";
import { convBackwardInput, convBackwardWeight, convForward, gemmJob, reduceGroups } from "./conv";
import { avgPoolBackward, avgPoolForward, maxPoolBackward, maxPoolForward } from "./pool";
import { lifBackward, lifForward, lifInference, spikingRelu } from "./neurons";
import { sparseConv, sparseConvLif, sparseLinear, transpose } from "./events";
import { channelAffine, channelGradientSums, channelMoments } from "./channels";
import { Kernel } from "../src/core/backends/wasm/kernel-interface";
export { GEMM_SCRATCH_BYTES, MR as GEMM_MR, NR as GEMM_NR } from "./gemm";

/** First byte the host may allocate from (past the module's static data). */
export function heapBase(): usize {
  return __heap_base;
}

/** Runs thread tid's part of the job at byte offset job: the work units it claims (tid picks its scratch). */
export function run(job: usize, tid: i32): void {
  switch (argI(job, 0)) {
    case Kernel.Noop: break;
    case Kernel.Gemm: gemmJob(job, tid); break;
    case Kernel.ConvForward: convForward(job, tid); break;
    case Kernel.ConvBackwardInput: convBackwardInput(job, tid); break;
    case Kernel.ConvBackwardWeight: convBackwardWeight(job, tid); break;
    case Kernel.ReduceGroups: reduceGroups(job); break;
    case Kernel.MaxPoolForward: maxPoolForward(job); break;
    case Kernel.MaxPoolBackward: maxPoolBackward(job); break;
    case Kernel.AvgPoolForward: avgPoolForward(job); break;
    case Kernel.AvgPoolBackward: avgPoolBackward(job); break;
    case Kernel.Unary: unary(job); break;
    case Kernel.UnaryBackward: unaryBackward(job); break;
    case Kernel.Binary: binary(job); break;
    case Kernel.Affine: affine(job); break;
    case Kernel.Accumulate: accumulate(job); break;
    case Kernel.SumAxis: sumAxis(job); break;
    case Kernel.Softmax: softmax(job); break;
    case Kernel.SoftmaxBackward: softmaxBackward(job); break;
    case Kernel.LifForward: lifForward(job); break;
    case Kernel.LifBackward: lifBackward(job); break;
    case Kernel.SpikingRelu: spikingRelu(job); break;
    case Kernel.CopyStrided: copyStrided(job); break;
    case Kernel.SparseLinear: sparseLinear(job, tid); break;
    case Kernel.SparseConv: sparseConv(job, tid); break;
    case Kernel.Transpose: transpose(job); break;
    case Kernel.LifInference: lifInference(job); break;
    case Kernel.CopyRows: copyRows(job); break;
    case Kernel.SparseConvLif: sparseConvLif(job, tid); break;
    case Kernel.ChannelMoments: channelMoments(job); break;
    case Kernel.ChannelGradientSums: channelGradientSums(job); break;
    case Kernel.ChannelAffine: channelAffine(job); break;
    default: unreachable();
  }
}
