import type { BinaryOp, ConvGeometry, LifSpec, PoolGeometry, SurrogateSpec, UnaryOp } from "../../backend.js";
import { SpikemedError } from "../../errors.js";
import { ReferenceBackend } from "../reference/index.js";
import { checkConv, checkLif, checkPool, fits, need } from "./checks.js";
import type { TeamControl } from "./control.js";
import type { SharedHeap } from "./heap.js";
import {
  AccumulateArg, AffineArg, BinaryArg, ChannelAffineArg, ChannelGradientSumsArg, ChannelMomentsArg, ConvBackwardInputArg,
  ConvBackwardWeightArg, ConvForwardArg, ConvGeometryArg, CopyRowsArg, CopyStridedArg, GemmArg, JOB_SLOTS, Kernel, LifArg,
  LifBackwardArg, LifForwardArg, LifInferenceArg, PoolArg, ReduceGroupsArg, SoftmaxArg, SoftmaxBackwardArg, SparseConvArg,
  SparseConvLifArg, SparseLinearArg, SpikingReluArg, SumAxisArg, TransposeArg, UnaryArg, UnaryBackwardArg,
} from "./kernel-interface.js";
import {
  BINARY_CODE, JOB_BYTES, JOB_COUNTER_INDEX, RESET_CODE, SURROGATE_CODE, UNARY_CODE, writeArgs,
  type JobArgs, type KernelExports,
} from "./kernels.js";
import {
  CONV_LIF_GROUPS, EVENT_BYTES, PARALLEL_ELEMENTS, PARALLEL_MACS, REDUCTION_GROUPS, SEGMENT_BYTES, SPARSE_ROWS_PER_UNIT,
  alignTo64, convParallel, convSamples, geometryArgs, planBinary, planCopy, planGemm, sparseConvScratch,
} from "./plan.js";
import type { WorkerHandle } from "./worker-team.js";

/** An array staged into the heap because the caller's array lives outside it. */
interface Staged { caller: Float32Array; copy: Float32Array; writeBack: boolean }

/**
 * The fast backend: WebAssembly SIMD kernels (SIMD128, or relaxed SIMD where the engine has it) over a shared linear memory, run by the calling
 * thread plus worker threads. alloc() hands out views into that memory; kernels also accept
 * arrays from elsewhere (copied in and out). Create it with createWasmBackend().
 */
export class WasmBackend extends ReferenceBackend {
  override readonly name: string = "wasm";
  override readonly threads: number;
  /** The kernel module it runs: "relaxed" (relaxed SIMD), "simd128", or "given" (the caller's own bytes or URL). */
  readonly kernelModule: "relaxed" | "simd128" | "given";
  private readonly heap: SharedHeap;
  private readonly kernels: KernelExports;
  private readonly team: TeamControl | null;
  private readonly workers: WorkerHandle[];
  private readonly jobOffset: number;
  private readonly job: Float64Array;
  private readonly jobInts: Int32Array;
  private readonly gemmScratchBytes: number;
  private readonly gemmTile: { rows: number; cols: number };
  private scratch: Float32Array | null = null;
  private scratchStride = 0;
  private staged: Staged[] = [];
  private disposed = false;

  /** @internal Use createWasmBackend(). */
  constructor(parts: {
    heap: SharedHeap; kernels: KernelExports; team: TeamControl | null; workers: WorkerHandle[]; jobOffset: number;
    kernelModule: "relaxed" | "simd128" | "given";
  }) {
    super();
    this.kernelModule = parts.kernelModule;
    this.heap = parts.heap;
    this.kernels = parts.kernels;
    this.team = parts.team;
    this.workers = parts.workers;
    this.threads = parts.workers.length + 1;
    this.jobOffset = parts.jobOffset;
    this.job = new Float64Array(this.heap.buffer, this.jobOffset, JOB_SLOTS);
    this.jobInts = new Int32Array(this.heap.buffer, this.jobOffset, JOB_BYTES / 4);
    this.gemmScratchBytes = parts.kernels.GEMM_SCRATCH_BYTES.value as number;
    this.gemmTile = { rows: parts.kernels.GEMM_MR.value as number, cols: parts.kernels.GEMM_NR.value as number };
  }

  /** Bytes of linear memory currently reserved (grows on demand, never shrinks). */
  get memoryBytes(): number {
    return this.heap.capacity;
  }

  /** Blocks currently allocated and not freed (including the backend's own bookkeeping blocks). */
  get liveAllocations(): number {
    return this.heap.liveBlocks;
  }

  override alloc(n: number, zeroed = true): Float32Array {
    this.ensureOpen();
    if (!Number.isInteger(n) || n < 0) throw new SpikemedError(`wasm backend: alloc(${n}): size must be a non-negative integer`);
    const offset = this.heap.alloc(n * 4, zeroed);
    return new Float32Array(this.heap.buffer, offset, n);
  }

  override free(array: Float32Array): void {
    if (!this.heap.buffers.has(array.buffer)) return; // not from this backend: garbage-collected
    if (!this.heap.free(array.byteOffset)) {
      throw new SpikemedError(`wasm backend: free() of an array that is not a live allocation (offset ${array.byteOffset}, length ${array.length}): freed twice, or a view into another allocation`);
    }
  }

  /** True when the array is a view into this backend's memory (kernels then run on it in place). */
  owns(array: Float32Array): boolean {
    return this.heap.buffers.has(array.buffer);
  }

  /** Stops the worker threads. The backend cannot run kernels afterwards. */
  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    this.team?.quit();
    await Promise.all(this.workers.map((w) => w.terminate()));
  }

  /**
   * Offers an empty job to every thread and returns once each worker has finished it or had its
   * offer withdrawn: the fixed cost that a multi-threaded kernel call adds to its work.
   */
  ping(): void {
    this.setJob(Kernel.Noop);
    this.execute("ping", true);
  }

  override gemm(transA: boolean, transB: boolean, m: number, n: number, k: number,
    a: Float32Array, b: Float32Array, c: Float32Array, accumulate: boolean,
    batch = 1, strideA = 0, strideB = 0, strideC = 0): void {
    if (batch <= 0 || m <= 0 || n <= 0) return;
    need("gemm", "A", a, (batch - 1) * strideA + m * k);
    need("gemm", "B", b, (batch - 1) * strideB + k * n);
    need("gemm", "C", c, (batch - 1) * strideC + m * n);
    const work = batch * m * n * k;
    const parallel = this.threads > 1 && work >= PARALLEL_MACS;
    this.ensureScratch(this.gemmScratchBytes);
    this.setJob(Kernel.Gemm, GemmArg, {
      TransA: transA ? 1 : 0, TransB: transB ? 1 : 0, M: m, N: n, K: k, A: this.input(a), B: this.input(b), C: this.output(c),
      Accumulate: accumulate ? 1 : 0, Batch: batch, StrideA: strideA, StrideB: strideB, StrideC: strideC,
      Scratch: this.scratch!.byteOffset, ScratchStride: this.scratchStride, ...planGemm(m, n, batch, this.threads, parallel, this.gemmTile),
    });
    this.execute("gemm", parallel);
  }

  override conv2dForward(x: Float32Array, weight: Float32Array, bias: Float32Array | null, y: Float32Array, g: ConvGeometry): void {
    const { patch, spatial } = checkConv("conv2dForward", g);
    need("conv2dForward", "x", x, g.n * g.cin * g.h * g.w);
    need("conv2dForward", "weight", weight, g.cout * patch);
    if (bias) need("conv2dForward", "bias", bias, g.cout);
    need("conv2dForward", "y", y, g.n * g.cout * spatial);
    if (g.n === 0) return;
    const samples = this.convScratch(g, patch, spatial);
    const xp = this.input(x), wp = this.input(weight), bp = bias ? this.input(bias) : 0;
    this.setJob(Kernel.ConvForward, ConvForwardArg, {
      X: xp, Weight: wp, Bias: bp, HasBias: bias ? 1 : 0, Y: this.output(y), Scratch: this.scratch!.byteOffset, ScratchStride: this.scratchStride,
      Samples: samples,
    });
    this.args(ConvGeometryArg, geometryArgs(g));
    this.execute("conv2dForward", convParallel(this.threads, g, patch, spatial));
  }

  override conv2dBackwardInput(dy: Float32Array, weight: Float32Array, dx: Float32Array, g: ConvGeometry): void {
    const { patch, spatial } = checkConv("conv2dBackwardInput", g);
    need("conv2dBackwardInput", "dy", dy, g.n * g.cout * spatial);
    need("conv2dBackwardInput", "weight", weight, g.cout * patch);
    need("conv2dBackwardInput", "dx", dx, g.n * g.cin * g.h * g.w);
    if (g.n === 0) return;
    const samples = this.convScratch(g, patch, spatial);
    this.setJob(Kernel.ConvBackwardInput, ConvBackwardInputArg, {
      Dy: this.input(dy), Weight: this.input(weight), Dx: this.output(dx), Scratch: this.scratch!.byteOffset, ScratchStride: this.scratchStride,
      Samples: samples,
    });
    this.args(ConvGeometryArg, geometryArgs(g));
    this.execute("conv2dBackwardInput", convParallel(this.threads, g, patch, spatial));
  }

  override conv2dBackwardWeight(x: Float32Array, dy: Float32Array, dWeight: Float32Array, dBias: Float32Array | null, g: ConvGeometry): void {
    const { patch, spatial } = checkConv("conv2dBackwardWeight", g);
    need("conv2dBackwardWeight", "x", x, g.n * g.cin * g.h * g.w);
    need("conv2dBackwardWeight", "dy", dy, g.n * g.cout * spatial);
    need("conv2dBackwardWeight", "dWeight", dWeight, g.cout * patch);
    if (dBias) need("conv2dBackwardWeight", "dBias", dBias, g.cout);
    const groups = Math.max(1, Math.min(g.n, REDUCTION_GROUPS));
    const partStride = g.cout * patch + g.cout;
    const partials = this.alloc(groups * partStride);
    try {
      const samples = this.convScratch(g, patch, spatial);
      const parallel = convParallel(this.threads, g, patch, spatial);
      this.setJob(Kernel.ConvBackwardWeight, ConvBackwardWeightArg, {
        X: this.input(x), Dy: this.input(dy), Partials: partials.byteOffset, HasBias: dBias ? 1 : 0, Groups: g.n === 0 ? 0 : groups,
        Scratch: this.scratch!.byteOffset, ScratchStride: this.scratchStride, Samples: samples,
      });
      this.args(ConvGeometryArg, geometryArgs(g));
      this.execute("conv2dBackwardWeight", parallel);
      this.setJob(Kernel.ReduceGroups, ReduceGroupsArg, { Dst: this.output(dWeight), Src: partials.byteOffset, Count: g.cout * patch, Groups: groups, Stride: partStride });
      this.execute("conv2dBackwardWeight", parallel && g.cout * patch * groups >= PARALLEL_ELEMENTS);
      if (dBias) {
        this.setJob(Kernel.ReduceGroups, ReduceGroupsArg, {
          Dst: this.output(dBias), Src: partials.byteOffset + g.cout * patch * 4, Count: g.cout, Groups: groups, Stride: partStride,
        });
        this.execute("conv2dBackwardWeight", false);
      }
    } finally {
      this.free(partials);
    }
  }

  override sparseLinearForward(x: Float32Array, weight: Float32Array, bias: Float32Array | null, y: Float32Array,
    rows: number, inFeatures: number, outFeatures: number): void {
    if (![rows, inFeatures, outFeatures].every((v) => Number.isInteger(v) && v >= 0)) {
      throw new SpikemedError(`wasm backend: sparseLinearForward: invalid sizes ${rows} x ${inFeatures} -> ${outFeatures}`);
    }
    need("sparseLinearForward", "x", x, rows * inFeatures);
    need("sparseLinearForward", "weight", weight, inFeatures * outFeatures);
    if (bias) need("sparseLinearForward", "bias", bias, outFeatures);
    need("sparseLinearForward", "y", y, rows * outFeatures);
    if (rows === 0 || outFeatures === 0) return;
    // The kernel wants a row of weights per input, so that an event adds contiguous outputs.
    const weightT = this.transposed(weight, outFeatures, inFeatures);
    try {
      // Two segments (the spikes, then the values from the first that is not a spike on), then room
      // for a row of events and the 3 that packing a last vector may write past them.
      this.ensureScratch(2 * SEGMENT_BYTES + (inFeatures + 3) * EVENT_BYTES);
      this.setJob(Kernel.SparseLinear, SparseLinearArg, {
        X: this.input(x), WeightT: weightT.byteOffset, Bias: bias ? this.input(bias) : 0, HasBias: bias ? 1 : 0, Y: this.output(y),
        Rows: rows, InFeatures: inFeatures, OutFeatures: outFeatures, Scratch: this.scratch!.byteOffset, ScratchStride: this.scratchStride,
      });
      this.execute("sparseLinearForward", rows >= 2 * SPARSE_ROWS_PER_UNIT && rows * inFeatures >= PARALLEL_ELEMENTS);
    } finally {
      this.free(weightT);
    }
  }

  override sparseConv2dForward(x: Float32Array, weight: Float32Array, bias: Float32Array | null, y: Float32Array, g: ConvGeometry): void {
    const { patch, spatial } = checkConv("sparseConv2dForward", g);
    const plane = g.h * g.w;
    need("sparseConv2dForward", "x", x, g.n * g.cin * plane);
    need("sparseConv2dForward", "weight", weight, g.cout * patch);
    if (bias) need("sparseConv2dForward", "bias", bias, g.cout);
    need("sparseConv2dForward", "y", y, g.n * g.cout * spatial);
    if (g.n === 0 || g.cout === 0) return;
    // The filters as [cin, kh, kw, cout], so that an event adds contiguous output channels.
    const weightByTap = this.transposed(weight, g.cout, patch);
    try {
      const layout = sparseConvScratch(g);
      this.ensureScratch(layout.bytes);
      this.setSparseConvJob(Kernel.SparseConv, x, weightByTap, bias, y, g, layout.offsets);
      this.execute("sparseConv2dForward", g.n >= 2 && g.n * g.cin * plane >= PARALLEL_ELEMENTS);
    } finally {
      this.free(weightByTap);
    }
  }

  override sparseConvLif(x: Float32Array, weight: Float32Array, bias: Float32Array | null, g: ConvGeometry,
    spec: LifSpec, poolWidth: number, spikes: Float32Array, counts: Float32Array): void {
    const { patch, spatial } = checkConv("sparseConvLif", g);
    const count = checkLif("sparseConvLif", spec);
    if (spec.F !== g.cout * spatial || spec.N % spec.F !== 0 || g.n * spec.F !== count
      || !Number.isInteger(poolWidth) || poolWidth < 1 || g.outW % poolWidth !== 0) {
      throw new SpikemedError(`wasm backend: sparseConvLif: LIF neurons (T=${spec.T}, N=${spec.N}, F=${spec.F}) pooled by ${poolWidth} do not fit the convolution's output ${JSON.stringify(g)}`);
    }
    // The fused kernel keeps one beta and threshold in registers; per-neuron ones take the two kernels.
    if (spec.beta.length !== 1 || spec.threshold.length !== 1 || Math.fround(spec.vRest) !== spec.vRest) {
      super.sparseConvLif(x, weight, bias, g, spec, poolWidth, spikes, counts);
      return;
    }
    need("sparseConvLif", "x", x, g.n * g.cin * g.h * g.w);
    need("sparseConvLif", "weight", weight, g.cout * patch);
    if (bias) need("sparseConvLif", "bias", bias, g.cout);
    if (!spikeOutputs("sparseConvLif", spikes, counts, count, poolWidth, spec.F)) return;
    const items = spec.N / spec.F;
    const groups = Math.min(CONV_LIF_GROUPS, items);
    const weightByTap = this.transposed(weight, g.cout, patch);
    const partials = this.alloc(groups * spec.F, false);
    try {
      // After sparseConv's scratch: an item's currents (T steps of output rows) and spike counts,
      // then its pooled rows (T steps).
      const layout = sparseConvScratch(g);
      const stepBytes = spatial * g.cout * 4;
      const currents = layout.bytes, spikeCounts = alignTo64(currents + spec.T * stepBytes), pooled = alignTo64(spikeCounts + stepBytes);
      this.ensureScratch(pooled + (spec.T * stepBytes) / poolWidth);
      this.setSparseConvJob(Kernel.SparseConvLif, x, weightByTap, bias, spikes, g, layout.offsets);
      this.args(SparseConvLifArg, {
        T: spec.T, Beta: this.input(spec.beta), Threshold: this.input(spec.threshold), VRest: spec.vRest, Reset: RESET_CODE[spec.reset],
        PoolWidth: poolWidth, Partials: partials.byteOffset, Groups: groups, Currents: currents, SpikeCounts: spikeCounts, Pooled: pooled,
      });
      this.execute("sparseConvLif", items >= 2 && g.n * g.cin * g.h * g.w >= PARALLEL_ELEMENTS);
      this.sumCounts("sparseConvLif", partials, groups, counts, spec.F);
    } finally {
      this.free(weightByTap);
      this.free(partials);
    }
  }

  /**
   * Sets a job of the event-driven convolution (alone or fused with LIF): its arguments up to the
   * offsets in a thread's scratch (sparseConvScratch); the fused kernel's own follow.
   */
  private setSparseConvJob(kernel: Kernel.SparseConv | Kernel.SparseConvLif, x: Float32Array, weightByTap: Float32Array,
    bias: Float32Array | null, y: Float32Array, g: ConvGeometry, offsets: ReturnType<typeof sparseConvScratch>["offsets"]): void {
    this.setJob(kernel, SparseConvArg, {
      X: this.input(x), WeightByTap: weightByTap.byteOffset, Bias: bias ? this.input(bias) : 0, HasBias: bias ? 1 : 0,
      Y: this.output(y), Scratch: this.scratch!.byteOffset, ScratchStride: this.scratchStride, ...offsets,
    });
    this.args(ConvGeometryArg, geometryArgs(g));
  }

  /** A new array from alloc() holding the transpose [cols, rows] of the matrix a [rows, cols]. */
  private transposed(a: Float32Array, rows: number, cols: number): Float32Array {
    const t = this.alloc(rows * cols, false);
    try {
      this.setJob(Kernel.Transpose, TransposeArg, { Src: this.input(a), Dst: t.byteOffset, Rows: rows, Cols: cols });
      this.execute("transpose", rows * cols >= PARALLEL_ELEMENTS);
    } catch (error) {
      this.free(t);
      throw error;
    }
    return t;
  }

  override maxPool2dForward(x: Float32Array, y: Float32Array, g: PoolGeometry): void {
    this.pool(Kernel.MaxPoolForward, "maxPool2dForward", x, y, null, g);
  }

  override maxPool2dBackward(x: Float32Array, dy: Float32Array, dx: Float32Array, g: PoolGeometry): void {
    this.pool(Kernel.MaxPoolBackward, "maxPool2dBackward", x, dy, dx, g);
  }

  override avgPool2dForward(x: Float32Array, y: Float32Array, g: PoolGeometry): void {
    this.pool(Kernel.AvgPoolForward, "avgPool2dForward", x, y, null, g);
  }

  override avgPool2dBackward(dy: Float32Array, dx: Float32Array, g: PoolGeometry): void {
    this.pool(Kernel.AvgPoolBackward, "avgPool2dBackward", null, dy, dx, g);
  }

  override unary(op: UnaryOp, x: Float32Array, y: Float32Array): void {
    const n = x.length;
    need("unary", "y", y, n);
    if (n === 0) return;
    this.setJob(Kernel.Unary, UnaryArg, { Op: UNARY_CODE[op], X: this.input(x), Y: this.output(y), Count: n });
    this.execute("unary", n >= PARALLEL_ELEMENTS);
  }

  override unaryBackward(op: UnaryOp, x: Float32Array, y: Float32Array, dy: Float32Array, dx: Float32Array): void {
    const n = x.length;
    need("unaryBackward", "y", y, n);
    need("unaryBackward", "dy", dy, n);
    need("unaryBackward", "dx", dx, n);
    if (n === 0) return;
    this.setJob(Kernel.UnaryBackward, UnaryBackwardArg, {
      Op: UNARY_CODE[op], X: this.input(x), Y: this.input(y), Dy: this.input(dy), Dx: this.output(dx), Count: n,
    });
    this.execute("unaryBackward", n >= PARALLEL_ELEMENTS);
  }

  override binary(op: BinaryOp, a: Float32Array, aStrides: number[], b: Float32Array, bStrides: number[], out: Float32Array, shape: number[]): void {
    const total = shape.reduce((p, d) => p * d, 1);
    if (total === 0) return;
    const plan = planBinary(shape, aStrides, bStrides);
    if (!plan || !fits(a, shape, aStrides) || !fits(b, shape, bStrides)) {
      super.binary(op, a, aStrides, b, bStrides, out, shape);
      return;
    }
    need("binary", "out", out, total);
    this.setJob(Kernel.Binary, BinaryArg, { Op: BINARY_CODE[op], A: this.input(a), B: this.input(b), Out: this.output(out), ...plan });
    this.execute("binary", total >= PARALLEL_ELEMENTS);
  }

  override affine(x: Float32Array, scale: number, shift: number, y: Float32Array): void {
    const n = x.length;
    need("affine", "y", y, n);
    if (n === 0) return;
    this.setJob(Kernel.Affine, AffineArg, { X: this.input(x), Y: this.output(y), Count: n, Scale: scale, Shift: shift });
    this.execute("affine", n >= PARALLEL_ELEMENTS);
  }

  override copyStrided(x: Float32Array, offset: number, strides: number[], y: Float32Array, shape: number[]): void {
    const total = shape.reduce((p, d) => p * d, 1);
    if (total === 0) return;
    need("copyStrided", "y", y, total);
    const plan = planCopy(shape, strides);
    if (!plan || offset < 0 || !fits(x.subarray(Math.min(offset, x.length)), shape, strides)) {
      super.copyStrided(x, offset, strides, y, shape);
      return;
    }
    this.setJob(Kernel.CopyStrided, CopyStridedArg, { X: this.input(x) + offset * 4, Y: this.output(y), ...plan });
    this.execute("copyStrided", total >= PARALLEL_ELEMENTS);
  }

  override copyRows(x: Float32Array, rows: number, cols: number, y: Float32Array, yOffset: number, yStride: number): void {
    if (![rows, cols, yOffset, yStride].every((v) => Number.isInteger(v) && v >= 0) || (rows > 1 && yStride < cols)) {
      throw new SpikemedError(`wasm backend: copyRows: invalid layout (${rows} rows of ${cols} at offset ${yOffset}, stride ${yStride})`);
    }
    if (rows === 0 || cols === 0) return;
    need("copyRows", "x", x, rows * cols);
    need("copyRows", "y", y, yOffset + (rows - 1) * yStride + cols);
    this.setJob(Kernel.CopyRows, CopyRowsArg, { X: this.input(x), Y: this.output(y) + yOffset * 4, Rows: rows, Cols: cols, YStride: yStride });
    this.execute("copyRows", rows >= 2 && rows * cols >= PARALLEL_ELEMENTS);
  }

  override accumulate(x: Float32Array, y: Float32Array): void {
    const n = x.length;
    need("accumulate", "y", y, n);
    if (n === 0) return;
    this.setJob(Kernel.Accumulate, AccumulateArg, { X: this.input(x), Y: this.output(y), Count: n });
    this.execute("accumulate", n >= PARALLEL_ELEMENTS);
  }

  override sumAxis(x: Float32Array, outer: number, len: number, inner: number, y: Float32Array): void {
    need("sumAxis", "x", x, outer * len * inner);
    need("sumAxis", "y", y, outer * inner);
    if (outer * inner === 0) return;
    this.setJob(Kernel.SumAxis, SumAxisArg, { X: this.input(x), Y: this.output(y), Outer: outer, Length: len, Inner: inner });
    this.execute("sumAxis", outer * inner >= 8 && outer * len * inner >= PARALLEL_ELEMENTS);
  }

  override channelMoments(x: Float32Array, outer: number, channels: number, inner: number, mean: Float32Array, variance: Float32Array): void {
    need("channelMoments", "x", x, outer * channels * inner);
    need("channelMoments", "mean", mean, channels);
    need("channelMoments", "variance", variance, channels);
    if (channels === 0) return;
    this.setJob(Kernel.ChannelMoments, ChannelMomentsArg, {
      X: this.input(x), Outer: outer, Channels: channels, Inner: inner, Mean: this.output(mean), Variance: this.output(variance),
    });
    this.execute("channelMoments", channels >= 2 && outer * channels * inner >= PARALLEL_ELEMENTS);
  }

  override channelGradientSums(dy: Float32Array, x: Float32Array, center: Float32Array, outer: number, channels: number, inner: number,
    sumDy: Float32Array, sumDyCentred: Float32Array): void {
    const n = outer * channels * inner;
    need("channelGradientSums", "dy", dy, n);
    need("channelGradientSums", "x", x, n);
    need("channelGradientSums", "sumDy", sumDy, channels);
    need("channelGradientSums", "sumDyCentred", sumDyCentred, channels);
    if (channels === 0) return;
    this.setJob(Kernel.ChannelGradientSums, ChannelGradientSumsArg, {
      Dy: this.input(dy), X: this.input(x), Center: this.input(center), Outer: outer, Channels: channels, Inner: inner,
      SumDy: this.output(sumDy), SumDyCentred: this.output(sumDyCentred),
    });
    this.execute("channelGradientSums", channels >= 2 && n >= PARALLEL_ELEMENTS);
  }

  override channelAffine(x: Float32Array, center: Float32Array, xScale: Float32Array, dy: Float32Array | null, dyScale: Float32Array | null,
    shift: Float32Array, outer: number, channels: number, inner: number, y: Float32Array): void {
    const n = outer * channels * inner;
    need("channelAffine", "x", x, n);
    need("channelAffine", "y", y, n);
    if (dy) need("channelAffine", "dy", dy, n);
    if (n === 0) return;
    const dyAt = dy ? this.input(dy) : 0;
    const dyScaleAt = dy ? this.input(dyScale ?? new Float32Array(channels)) : 0;
    this.setJob(Kernel.ChannelAffine, ChannelAffineArg, {
      X: this.input(x), Center: this.input(center), XScale: this.input(xScale), Dy: dyAt, DyScale: dyScaleAt, Shift: this.input(shift),
      Outer: outer, Channels: channels, Inner: inner, Y: this.output(y),
    });
    this.execute("channelAffine", n >= PARALLEL_ELEMENTS);
  }

  override softmax(x: Float32Array, rows: number, cols: number, y: Float32Array, log: boolean): void {
    need("softmax", "x", x, rows * cols);
    need("softmax", "y", y, rows * cols);
    if (rows * cols === 0) return;
    this.setJob(Kernel.Softmax, SoftmaxArg, { X: this.input(x), Y: this.output(y), Rows: rows, Cols: cols, Log: log ? 1 : 0 });
    this.execute("softmax", rows >= 2 && rows * cols >= PARALLEL_ELEMENTS / 4);
  }

  override softmaxBackward(y: Float32Array, dy: Float32Array, rows: number, cols: number, dx: Float32Array, log: boolean): void {
    need("softmaxBackward", "y", y, rows * cols);
    need("softmaxBackward", "dy", dy, rows * cols);
    need("softmaxBackward", "dx", dx, rows * cols);
    if (rows * cols === 0) return;
    this.setJob(Kernel.SoftmaxBackward, SoftmaxBackwardArg, {
      Y: this.input(y), Dy: this.input(dy), Dx: this.output(dx), Rows: rows, Cols: cols, Log: log ? 1 : 0,
    });
    this.execute("softmaxBackward", rows >= 2 && rows * cols >= PARALLEL_ELEMENTS / 4);
  }

  override lifForward(spec: LifSpec, current: Float32Array, mem: Float32Array, spikes: Float32Array): void {
    // The kernel works in float32 throughout; a vRest that float32 cannot hold would round differently.
    if (Math.fround(spec.vRest) !== spec.vRest) {
      super.lifForward(spec, current, mem, spikes);
      return;
    }
    const count = checkLif("lifForward", spec);
    need("lifForward", "current", current, count);
    need("lifForward", "mem", mem, count);
    need("lifForward", "spikes", spikes, count);
    if (count === 0) return;
    this.setJob(Kernel.LifForward, LifArg, this.lifArgs(spec, spec.N));
    this.args(LifForwardArg, { Current: this.input(current), Mem: this.output(mem), Spikes: this.output(spikes) });
    this.execute("lifForward", count >= PARALLEL_ELEMENTS && spec.N >= 64);
  }

  override lifInference(spec: LifSpec, current: Float32Array, staticCurrent: boolean, poolWidth: number,
    spikes: Float32Array, counts: Float32Array): void {
    if (Math.fround(spec.vRest) !== spec.vRest) {
      super.lifInference(spec, current, staticCurrent, poolWidth, spikes, counts);
      return;
    }
    const count = checkLif("lifInference", spec);
    if (!Number.isInteger(poolWidth) || poolWidth < 1 || spec.F % poolWidth !== 0) {
      throw new SpikemedError(`wasm backend: lifInference: pooling width ${poolWidth} does not divide the ${spec.F} features`);
    }
    need("lifInference", "current", current, staticCurrent ? spec.N : count);
    if (!spikeOutputs("lifInference", spikes, counts, count, poolWidth, spec.F)) return;
    const samples = spec.N / spec.F;
    const groups = Math.min(REDUCTION_GROUPS, samples);
    const partials = this.alloc(groups * spec.F, false);
    try {
      this.setJob(Kernel.LifInference, LifArg, this.lifArgs(spec, samples));
      this.args(LifInferenceArg, {
        Current: this.input(current), StaticCurrent: staticCurrent ? 1 : 0, PoolWidth: poolWidth, Spikes: this.output(spikes),
        Partials: partials.byteOffset, Groups: groups,
      });
      this.execute("lifInference", count >= PARALLEL_ELEMENTS && spec.N >= 64);
      this.sumCounts("lifInference", partials, groups, counts, spec.F);
    } finally {
      this.free(partials);
    }
  }

  override lifBackward(spec: LifSpec, surrogate: SurrogateSpec, mem: Float32Array, spikes: Float32Array,
    dSpikes: Float32Array | null, dMem: Float32Array | null, dCurrent: Float32Array,
    dBeta: Float32Array | null, dThreshold: Float32Array | null): void {
    const count = checkLif("lifBackward", spec);
    need("lifBackward", "mem", mem, count);
    need("lifBackward", "spikes", spikes, count);
    if (dSpikes) need("lifBackward", "dSpikes", dSpikes, count);
    if (dMem) need("lifBackward", "dMem", dMem, count);
    need("lifBackward", "dCurrent", dCurrent, count);
    if (dBeta) need("lifBackward", "dBeta", dBeta, spec.beta.length);
    if (dThreshold) need("lifBackward", "dThreshold", dThreshold, spec.threshold.length);
    if (count === 0) return;
    const wantParams = dBeta !== null || dThreshold !== null;
    const groups = Math.min(REDUCTION_GROUPS, Math.ceil(spec.N / 4));
    const partStride = spec.beta.length + spec.threshold.length;
    const partials = this.alloc(wantParams ? groups * partStride : 0);
    try {
      this.setJob(Kernel.LifBackward, LifArg, this.lifArgs(spec, spec.N));
      this.args(LifBackwardArg, {
        Surrogate: SURROGATE_CODE[surrogate.kind], SurrogateParam: surrogate.param, Mem: this.input(mem), Spikes: this.input(spikes),
        DSpikes: dSpikes ? this.input(dSpikes) : 0, HasDSpikes: dSpikes ? 1 : 0, DMem: dMem ? this.input(dMem) : 0, HasDMem: dMem ? 1 : 0,
        DCurrent: this.output(dCurrent), Partials: partials.byteOffset, Groups: groups, WantParams: wantParams ? 1 : 0,
      });
      this.execute("lifBackward", count >= PARALLEL_ELEMENTS && spec.N >= 64);
      addGroupSums(dBeta, partials, 0, spec.beta.length, groups, partStride);
      addGroupSums(dThreshold, partials, spec.beta.length, spec.threshold.length, groups, partStride);
    } finally {
      this.free(partials);
    }
  }

  override spikingReluForward(x: Float32Array, T: number, N: number, dt: number, voltage: Float32Array, y: Float32Array): void {
    need("spikingReluForward", "x", x, T * N);
    need("spikingReluForward", "voltage", voltage, N);
    need("spikingReluForward", "y", y, T * N);
    if (T * N === 0) return;
    this.setJob(Kernel.SpikingRelu, SpikingReluArg, { X: this.input(x), T, N, Dt: dt, Voltage: this.output(voltage), Y: this.output(y) });
    this.execute("spikingReluForward", T * N >= PARALLEL_ELEMENTS && N >= 64);
  }

  /** counts = the sum of the groups' partial spike counts per neuron (partials [groups, F]). */
  private sumCounts(op: string, partials: Float32Array, groups: number, counts: Float32Array, F: number): void {
    // Counts are whole numbers, exact in float32, so the groups' order does not matter.
    this.setJob(Kernel.SumAxis, SumAxisArg, { X: partials.byteOffset, Y: this.output(counts), Outer: 1, Length: groups, Inner: F });
    this.execute(op, F >= 8 && groups * F >= PARALLEL_ELEMENTS);
  }

  /** The LIF arguments the three LIF kernels share; n: neurons per step (lifInference: samples). */
  private lifArgs(spec: LifSpec, n: number): JobArgs<typeof LifArg> {
    return {
      T: spec.T, N: n, F: spec.F, Beta: this.input(spec.beta), BetaLength: spec.beta.length,
      Threshold: this.input(spec.threshold), ThresholdLength: spec.threshold.length, VRest: spec.vRest, Reset: RESET_CODE[spec.reset],
    };
  }

  private pool(kernel: Kernel.MaxPoolForward | Kernel.MaxPoolBackward | Kernel.AvgPoolForward | Kernel.AvgPoolBackward, op: string, x: Float32Array | null, y: Float32Array, dx: Float32Array | null, g: PoolGeometry): void {
    const inSize = g.planes * g.h * g.w;
    const outSize = g.planes * g.outH * g.outW;
    checkPool(op, g);
    if (x) need(op, "x", x, inSize);
    need(op, dx ? "dy" : "y", y, outSize);
    if (dx) need(op, "dx", dx, inSize);
    if (g.planes === 0) return;
    const xp = x ? this.input(x) : 0;
    const yp = dx ? this.input(y) : this.output(y);
    const dxp = dx ? this.output(dx) : 0;
    this.setJob(kernel, PoolArg, {
      X: xp, Y: yp, Dx: dxp, Planes: g.planes, H: g.h, W: g.w, Kh: g.kh, Kw: g.kw,
      StrideH: g.strideH, StrideW: g.strideW, PadH: g.padH, PadW: g.padW, OutH: g.outH, OutW: g.outW,
    });
    this.execute(op, g.planes >= 2 && Math.max(inSize, outSize * g.kh * g.kw) >= PARALLEL_ELEMENTS);
  }

  /** The samples that share one GEMM in the convolution kernels, after reserving each thread's scratch for them. */
  private convScratch(g: ConvGeometry, patch: number, spatial: number): number {
    const { samples, bytes } = convSamples(g, patch, spatial);
    this.ensureScratch(this.gemmScratchBytes + bytes);
    return samples;
  }

  private ensureOpen(): void {
    if (this.disposed) throw new SpikemedError("wasm backend: used after dispose()");
  }

  /** Gives every thread `bytes` of scratch space (kept and reused across calls). */
  private ensureScratch(bytes: number): void {
    const stride = Math.ceil(bytes / 64) * 64;
    if (this.scratch && stride <= this.scratchStride) return;
    if (this.scratch) this.free(this.scratch);
    this.scratch = null;
    this.scratch = this.alloc((stride * this.threads) / 4);
    this.scratchStride = stride;
  }

  /** Starts a job of `kernel` with the arguments at the slots `layout` names (more may follow with args()). */
  private setJob<Layout extends Record<string, number | string>>(kernel: Kernel, layout?: Layout, args?: JobArgs<Layout>): void {
    this.ensureOpen();
    this.job[0] = kernel;
    if (layout && args) writeArgs(this.job, layout, args);
    this.jobInts[JOB_COUNTER_INDEX] = 0;
  }

  /** Adds arguments to the job that setJob started. */
  private args<Layout extends Record<string, number | string>>(layout: Layout, args: JobArgs<Layout>): void {
    writeArgs(this.job, layout, args);
  }

  /** Runs the job set by setJob (on all threads when parallel), then copies staged outputs back. */
  private execute(op: string, parallel: boolean): void {
    let ok = true;
    try {
      if (parallel && this.team) {
        const { kernels, jobOffset } = this;
        ok = this.team.dispatch(() => kernels.run(jobOffset, 0));
      } else {
        this.kernels.run(this.jobOffset, 0);
      }
      if (!ok) throw new SpikemedError(`wasm backend: ${op} failed in a worker thread`);
      for (const s of this.staged) if (s.writeBack) s.caller.set(s.copy);
    } finally {
      for (const s of this.staged) this.free(s.copy);
      this.staged = [];
    }
  }

  /** Byte offset of an input's data, copying it into the heap if it lives elsewhere. */
  private input(a: Float32Array): number {
    return this.stage(a, false);
  }

  /**
   * Byte offset of an output's data; results are copied back if it lives elsewhere (after copying
   * it in, since a strided kernel may leave gaps that must keep the caller's values).
   */
  private output(a: Float32Array): number {
    return this.stage(a, true);
  }

  private stage(a: Float32Array, writeBack: boolean): number {
    if (this.heap.buffers.has(a.buffer)) return a.byteOffset;
    const copy = this.alloc(a.length);
    copy.set(a);
    this.staged.push({ caller: a, copy, writeBack });
    return copy.byteOffset;
  }
}

/**
 * Checks the outputs of a LIF at inference (count neurons pooled by poolWidth, F features) and
 * says whether there is anything to compute: with no neurons the counts are zeroed and it is false.
 */
function spikeOutputs(op: string, spikes: Float32Array, counts: Float32Array, count: number, poolWidth: number, F: number): boolean {
  need(op, "spikes", spikes, count / poolWidth);
  need(op, "counts", counts, F);
  if (count === 0) counts.fill(0, 0, F);
  return count > 0;
}

/** Adds the per-group partial sums (in group order) to target. */
function addGroupSums(target: Float32Array | null, partials: Float32Array, start: number, len: number, groups: number, stride: number): void {
  if (!target) return;
  for (let i = 0; i < len; i++) {
    let sum = 0;
    for (let g = 0; g < groups; g++) sum = Math.fround(sum + partials[g * stride + start + i]);
    target[i] = Math.fround(target[i] + sum);
  }
}
