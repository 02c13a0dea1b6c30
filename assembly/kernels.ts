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
export { GEMM_SCRATCH_BYTES } from "./gemm";

// Kernel ids: keep in step with KERNEL in src/core/backends/wasm/kernels.ts.
const NOOP = 0, GEMM = 1, CONV_FORWARD = 2, CONV_BACKWARD_INPUT = 3, CONV_BACKWARD_WEIGHT = 4, REDUCE_GROUPS = 5;
const MAX_POOL_FORWARD = 6, MAX_POOL_BACKWARD = 7, AVG_POOL_FORWARD = 8, AVG_POOL_BACKWARD = 9;
const UNARY = 10, UNARY_BACKWARD = 11, BINARY = 12, AFFINE = 13, ACCUMULATE = 14, SUM_AXIS = 15;
const SOFTMAX = 16, SOFTMAX_BACKWARD = 17, LIF_FORWARD = 18, LIF_BACKWARD = 19, SPIKING_RELU = 20, COPY_STRIDED = 21;
const SPARSE_LINEAR = 22, SPARSE_CONV = 23, TRANSPOSE = 24, LIF_INFERENCE = 25, COPY_ROWS = 26, SPARSE_CONV_LIF = 27;
const CHANNEL_MOMENTS = 28, CHANNEL_GRADIENT_SUMS = 29, CHANNEL_AFFINE = 30;

/** First byte the host may allocate from (past the module's static data). */
export function heapBase(): usize {
  return __heap_base;
}

/** Runs thread tid's part of the job at byte offset job: the work units it claims (tid picks its scratch). */
export function run(job: usize, tid: i32): void {
  switch (argI(job, 0)) {
    case NOOP: break;
    case GEMM: gemmJob(job, tid); break;
    case CONV_FORWARD: convForward(job, tid); break;
    case CONV_BACKWARD_INPUT: convBackwardInput(job, tid); break;
    case CONV_BACKWARD_WEIGHT: convBackwardWeight(job, tid); break;
    case REDUCE_GROUPS: reduceGroups(job); break;
    case MAX_POOL_FORWARD: maxPoolForward(job); break;
    case MAX_POOL_BACKWARD: maxPoolBackward(job); break;
    case AVG_POOL_FORWARD: avgPoolForward(job); break;
    case AVG_POOL_BACKWARD: avgPoolBackward(job); break;
    case UNARY: unary(job); break;
    case UNARY_BACKWARD: unaryBackward(job); break;
    case BINARY: binary(job); break;
    case AFFINE: affine(job); break;
    case ACCUMULATE: accumulate(job); break;
    case SUM_AXIS: sumAxis(job); break;
    case SOFTMAX: softmax(job); break;
    case SOFTMAX_BACKWARD: softmaxBackward(job); break;
    case LIF_FORWARD: lifForward(job); break;
    case LIF_BACKWARD: lifBackward(job); break;
    case SPIKING_RELU: spikingRelu(job); break;
    case COPY_STRIDED: copyStrided(job); break;
    case SPARSE_LINEAR: sparseLinear(job, tid); break;
    case SPARSE_CONV: sparseConv(job, tid); break;
    case TRANSPOSE: transpose(job); break;
    case LIF_INFERENCE: lifInference(job); break;
    case COPY_ROWS: copyRows(job); break;
    case SPARSE_CONV_LIF: sparseConvLif(job, tid); break;
    case CHANNEL_MOMENTS: channelMoments(job); break;
    case CHANNEL_GRADIENT_SUMS: channelGradientSums(job); break;
    case CHANNEL_AFFINE: channelAffine(job); break;
    default: unreachable();
  }
}
