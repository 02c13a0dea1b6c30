import type { BinaryOp, ConvGeometry, LifSpec, PoolGeometry, SurrogateSpec, UnaryOp } from "../../backend.js";
import { SpikemedError } from "../../errors.js";
import { ReferenceBackend } from "../reference/index.js";
import { TeamControl, controlInts } from "./control.js";
import { SharedHeap } from "./heap.js";
import {
  BINARY_CODE, JOB_BYTES, JOB_COUNTER_INDEX, JOB_SLOTS, KERNEL, RESET_CODE, SURROGATE_CODE, UNARY_CODE,
  type KernelExports,
} from "./kernels.js";
import type { WorkerHandle } from "./worker-team.js";
import type { WorkerSetup } from "./worker.js";

export interface WasmBackendOptions {
  /** Threads the kernels run on, the calling thread included (default: the available cores, at most 8, shared among `processes`). */
  threads?: number;
  /** Processes that will compute side by side on this machine, each taking its share of the default threads (default 1). */
  processes?: number;
  /** The compiled kernels: bytes, or where to load them (default: build/kernels.wasm of this package). */
  wasm?: BufferSource | URL;
  /** Iterations a waiting thread polls before it sleeps (default 20000, about 20-50 microseconds). */
  spin?: number;
}

const INITIAL_PAGES = 256;
const MAX_PAGES = 65536;
const DEFAULT_SPIN = 20000;
/**
 * Most threads taken when none are asked for. On a 16-core machine, training the default ECG SNN at
 * batch 16 gained 2.07x from 2 to 8 threads and 18% more from 8 to 16 (bench/results/ecg-speed-16-cores.md);
 * past 8, a laptop's extra "cores" are mostly hyper-threads sharing the SIMD units.
 */
const MAX_DEFAULT_THREADS = 8;
/** Below these sizes a kernel runs on the calling thread alone: waking the team costs more. */
const PARALLEL_ELEMENTS = 1 << 16;
const PARALLEL_MACS = 1 << 18;
/** Fixed number of partial sums for reductions over samples or neurons (independent of threads). */
const REDUCTION_GROUPS = 8;
/** Rows of a work unit of the event-driven dense layer (ROWS_PER_UNIT in assembly/events.ts). */
const SPARSE_ROWS_PER_UNIT = 16;
/**
 * Work units of the fused convolution and LIF (ranges of batch items, each with its own partial
 * spike counts): enough for the threads to share them evenly.
 */
const CONV_LIF_GROUPS = 64;
/** Bytes of one event and one segment of the event-driven kernels (assembly/events.ts). */
const EVENT_BYTES = 8;
const SEGMENT_BYTES = 16;
/**
 * Output positions a convolution's GEMM covers at least: a sample's 4x4 or 8x8 map alone made the
 * filters be packed again for every 16 or 64 columns and gave the gradient for the filters a k of 16
 * or 64 (bench/cxr-speed.ts times the X-ray ResNet's convolutions).
 */
const GEMM_COLUMNS = 256;
/** Register tile of the GEMM microkernel in assembly/gemm.ts: column chunks align to NR, row chunks to MR. */
const NR = 8;
const MR = 4;

/** An array staged into the heap because the caller's array lives outside it. */
interface Staged { caller: Float32Array; copy: Float32Array; writeBack: boolean }

/**
 * The fast backend: WebAssembly SIMD128 kernels over a shared linear memory, run by the calling
 * thread plus worker threads. alloc() hands out views into that memory; kernels also accept
 * arrays from elsewhere (copied in and out). Create it with createWasmBackend().
 */
export class WasmBackend extends ReferenceBackend {
  override readonly name: string = "wasm";
  override readonly threads: number;
  private readonly heap: SharedHeap;
  private readonly kernels: KernelExports;
  private readonly team: TeamControl | null;
  private readonly workers: WorkerHandle[];
  private readonly jobOffset: number;
  private readonly job: Float64Array;
  private readonly jobInts: Int32Array;
  private readonly gemmScratchBytes: number;
  private scratch: Float32Array | null = null;
  private scratchStride = 0;
  private staged: Staged[] = [];
  private disposed = false;

  /** @internal Use createWasmBackend(). */
  constructor(parts: {
    heap: SharedHeap; kernels: KernelExports; team: TeamControl | null; workers: WorkerHandle[]; jobOffset: number;
  }) {
    super();
    this.heap = parts.heap;
    this.kernels = parts.kernels;
    this.team = parts.team;
    this.workers = parts.workers;
    this.threads = parts.workers.length + 1;
    this.jobOffset = parts.jobOffset;
    this.job = new Float64Array(this.heap.buffer, this.jobOffset, JOB_SLOTS);
    this.jobInts = new Int32Array(this.heap.buffer, this.jobOffset, JOB_BYTES / 4);
    this.gemmScratchBytes = parts.kernels.GEMM_SCRATCH_BYTES.value as number;
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
    this.setJob(KERNEL.noop, []);
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
    let alongN = true;
    let chunk = n;
    let blocks = 1;
    if (parallel && batch < 2 * this.threads) {
      alongN = n >= m;
      const dim = alongN ? n : m;
      const align = alongN ? NR : MR;
      const target = dim >= 256 * this.threads ? 2 * this.threads : this.threads;
      chunk = Math.ceil(Math.ceil(dim / target) / align) * align;
      blocks = Math.ceil(dim / chunk);
    }
    this.ensureScratch(this.gemmScratchBytes);
    this.setJob(KERNEL.gemm, [
      transA ? 1 : 0, transB ? 1 : 0, m, n, k, this.input(a), this.input(b), accumulate ? this.output(c) : this.output(c),
      accumulate ? 1 : 0, batch, strideA, strideB, strideC, this.scratch!.byteOffset, this.scratchStride,
      alongN ? 1 : 0, chunk, blocks]);
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
    this.setJob(KERNEL.convForward, [xp, wp, bp, bias ? 1 : 0, this.output(y), this.scratch!.byteOffset, this.scratchStride, ...geometryArgs(g), samples]);
    this.execute("conv2dForward", this.convParallel(g, patch, spatial));
  }

  override conv2dBackwardInput(dy: Float32Array, weight: Float32Array, dx: Float32Array, g: ConvGeometry): void {
    const { patch, spatial } = checkConv("conv2dBackwardInput", g);
    need("conv2dBackwardInput", "dy", dy, g.n * g.cout * spatial);
    need("conv2dBackwardInput", "weight", weight, g.cout * patch);
    need("conv2dBackwardInput", "dx", dx, g.n * g.cin * g.h * g.w);
    if (g.n === 0) return;
    const samples = this.convScratch(g, patch, spatial);
    this.setJob(KERNEL.convBackwardInput, [this.input(dy), this.input(weight), 0, 0, this.output(dx), this.scratch!.byteOffset, this.scratchStride, ...geometryArgs(g), samples]);
    this.execute("conv2dBackwardInput", this.convParallel(g, patch, spatial));
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
      const parallel = this.convParallel(g, patch, spatial);
      this.setJob(KERNEL.convBackwardWeight, [this.input(x), this.input(dy), partials.byteOffset, dBias ? 1 : 0, g.n === 0 ? 0 : groups,
        this.scratch!.byteOffset, this.scratchStride, ...geometryArgs(g), samples]);
      this.execute("conv2dBackwardWeight", parallel);
      this.setJob(KERNEL.reduceGroups, [this.output(dWeight), partials.byteOffset, g.cout * patch, groups, partStride]);
      this.execute("conv2dBackwardWeight", parallel && g.cout * patch * groups >= PARALLEL_ELEMENTS);
      if (dBias) {
        this.setJob(KERNEL.reduceGroups, [this.output(dBias), partials.byteOffset + g.cout * patch * 4, g.cout, groups, partStride]);
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
      this.setJob(KERNEL.sparseLinear, [this.input(x), weightT.byteOffset, bias ? this.input(bias) : 0, bias ? 1 : 0,
        this.output(y), rows, inFeatures, outFeatures, this.scratch!.byteOffset, this.scratchStride]);
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
      this.setJob(KERNEL.sparseConv, [this.input(x), weightByTap.byteOffset, bias ? this.input(bias) : 0, bias ? 1 : 0,
        this.output(y), this.scratch!.byteOffset, this.scratchStride, ...geometryArgs(g), ...layout.offsets]);
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
    need("sparseConvLif", "spikes", spikes, count / poolWidth);
    need("sparseConvLif", "counts", counts, spec.F);
    if (count === 0) {
      counts.fill(0, 0, spec.F);
      return;
    }
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
      this.setJob(KERNEL.sparseConvLif, [this.input(x), weightByTap.byteOffset, bias ? this.input(bias) : 0, bias ? 1 : 0,
        this.output(spikes), this.scratch!.byteOffset, this.scratchStride, ...geometryArgs(g), ...layout.offsets,
        spec.T, this.input(spec.beta), this.input(spec.threshold), spec.vRest, RESET_CODE[spec.reset], poolWidth,
        partials.byteOffset, groups, currents, spikeCounts, pooled]);
      this.execute("sparseConvLif", items >= 2 && g.n * g.cin * g.h * g.w >= PARALLEL_ELEMENTS);
      // Counts are whole numbers, exact in float32, so the groups' order does not matter.
      this.setJob(KERNEL.sumAxis, [partials.byteOffset, this.output(counts), 1, groups, spec.F]);
      this.execute("sparseConvLif", spec.F >= 8 && groups * spec.F >= PARALLEL_ELEMENTS);
    } finally {
      this.free(weightByTap);
      this.free(partials);
    }
  }

  /** A new array from alloc() holding the transpose [cols, rows] of the matrix a [rows, cols]. */
  private transposed(a: Float32Array, rows: number, cols: number): Float32Array {
    const t = this.alloc(rows * cols, false);
    try {
      this.setJob(KERNEL.transpose, [this.input(a), t.byteOffset, rows, cols]);
      this.execute("transpose", rows * cols >= PARALLEL_ELEMENTS);
    } catch (error) {
      this.free(t);
      throw error;
    }
    return t;
  }

  override maxPool2dForward(x: Float32Array, y: Float32Array, g: PoolGeometry): void {
    this.pool(KERNEL.maxPoolForward, "maxPool2dForward", x, y, null, g);
  }

  override maxPool2dBackward(x: Float32Array, dy: Float32Array, dx: Float32Array, g: PoolGeometry): void {
    this.pool(KERNEL.maxPoolBackward, "maxPool2dBackward", x, dy, dx, g);
  }

  override avgPool2dForward(x: Float32Array, y: Float32Array, g: PoolGeometry): void {
    this.pool(KERNEL.avgPoolForward, "avgPool2dForward", x, y, null, g);
  }

  override avgPool2dBackward(dy: Float32Array, dx: Float32Array, g: PoolGeometry): void {
    this.pool(KERNEL.avgPoolBackward, "avgPool2dBackward", null, dy, dx, g);
  }

  override unary(op: UnaryOp, x: Float32Array, y: Float32Array): void {
    const n = x.length;
    need("unary", "y", y, n);
    if (n === 0) return;
    this.setJob(KERNEL.unary, [UNARY_CODE[op], this.input(x), this.output(y), n]);
    this.execute("unary", n >= PARALLEL_ELEMENTS);
  }

  override unaryBackward(op: UnaryOp, x: Float32Array, y: Float32Array, dy: Float32Array, dx: Float32Array): void {
    const n = x.length;
    need("unaryBackward", "y", y, n);
    need("unaryBackward", "dy", dy, n);
    need("unaryBackward", "dx", dx, n);
    if (n === 0) return;
    this.setJob(KERNEL.unaryBackward, [UNARY_CODE[op], this.input(x), this.input(y), this.input(dy), this.output(dx), n]);
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
    this.setJob(KERNEL.binary, [BINARY_CODE[op], this.input(a), this.input(b), this.output(out), ...plan]);
    this.execute("binary", total >= PARALLEL_ELEMENTS);
  }

  override affine(x: Float32Array, scale: number, shift: number, y: Float32Array): void {
    const n = x.length;
    need("affine", "y", y, n);
    if (n === 0) return;
    this.setJob(KERNEL.affine, [this.input(x), this.output(y), n, scale, shift]);
    this.execute("affine", n >= PARALLEL_ELEMENTS);
  }

  override copyStrided(x: Float32Array, offset: number, strides: number[], y: Float32Array, shape: number[]): void {
    const total = shape.reduce((p, d) => p * d, 1);
    if (total === 0) return;
    need("copyStrided", "y", y, total);
    const dims = collapse(shape, [strides]);
    if (!dims || offset < 0 || !fits(x.subarray(Math.min(offset, x.length)), shape, strides)) {
      super.copyStrided(x, offset, strides, y, shape);
      return;
    }
    const [d0, d1, d2] = dims.map((d) => d.size);
    const [s0, s1, s2] = dims.map((d) => d.strides[0]);
    this.setJob(KERNEL.copyStrided, [this.input(x) + offset * 4, this.output(y), d0, d1, d2, s0, s1, s2]);
    this.execute("copyStrided", total >= PARALLEL_ELEMENTS);
  }

  override copyRows(x: Float32Array, rows: number, cols: number, y: Float32Array, yOffset: number, yStride: number): void {
    if (![rows, cols, yOffset, yStride].every((v) => Number.isInteger(v) && v >= 0) || (rows > 1 && yStride < cols)) {
      throw new SpikemedError(`wasm backend: copyRows: invalid layout (${rows} rows of ${cols} at offset ${yOffset}, stride ${yStride})`);
    }
    if (rows === 0 || cols === 0) return;
    need("copyRows", "x", x, rows * cols);
    need("copyRows", "y", y, yOffset + (rows - 1) * yStride + cols);
    this.setJob(KERNEL.copyRows, [this.input(x), this.output(y) + yOffset * 4, rows, cols, yStride]);
    this.execute("copyRows", rows >= 2 && rows * cols >= PARALLEL_ELEMENTS);
  }

  override accumulate(x: Float32Array, y: Float32Array): void {
    const n = x.length;
    need("accumulate", "y", y, n);
    if (n === 0) return;
    this.setJob(KERNEL.accumulate, [this.input(x), this.output(y), n]);
    this.execute("accumulate", n >= PARALLEL_ELEMENTS);
  }

  override sumAxis(x: Float32Array, outer: number, len: number, inner: number, y: Float32Array): void {
    need("sumAxis", "x", x, outer * len * inner);
    need("sumAxis", "y", y, outer * inner);
    if (outer * inner === 0) return;
    this.setJob(KERNEL.sumAxis, [this.input(x), this.output(y), outer, len, inner]);
    this.execute("sumAxis", outer * inner >= 8 && outer * len * inner >= PARALLEL_ELEMENTS);
  }

  override channelMoments(x: Float32Array, outer: number, channels: number, inner: number, mean: Float32Array, variance: Float32Array): void {
    need("channelMoments", "x", x, outer * channels * inner);
    need("channelMoments", "mean", mean, channels);
    need("channelMoments", "variance", variance, channels);
    if (channels === 0) return;
    this.setJob(KERNEL.channelMoments, [this.input(x), outer, channels, inner, this.output(mean), this.output(variance)]);
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
    this.setJob(KERNEL.channelGradientSums, [this.input(dy), this.input(x), this.input(center), outer, channels, inner, this.output(sumDy), this.output(sumDyCentred)]);
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
    this.setJob(KERNEL.channelAffine, [this.input(x), this.input(center), this.input(xScale), dyAt, dyScaleAt, this.input(shift), outer, channels, inner, this.output(y)]);
    this.execute("channelAffine", n >= PARALLEL_ELEMENTS);
  }

  override softmax(x: Float32Array, rows: number, cols: number, y: Float32Array, log: boolean): void {
    need("softmax", "x", x, rows * cols);
    need("softmax", "y", y, rows * cols);
    if (rows * cols === 0) return;
    this.setJob(KERNEL.softmax, [this.input(x), this.output(y), rows, cols, log ? 1 : 0]);
    this.execute("softmax", rows >= 2 && rows * cols >= PARALLEL_ELEMENTS / 4);
  }

  override softmaxBackward(y: Float32Array, dy: Float32Array, rows: number, cols: number, dx: Float32Array, log: boolean): void {
    need("softmaxBackward", "y", y, rows * cols);
    need("softmaxBackward", "dy", dy, rows * cols);
    need("softmaxBackward", "dx", dx, rows * cols);
    if (rows * cols === 0) return;
    this.setJob(KERNEL.softmaxBackward, [this.input(y), this.input(dy), this.output(dx), rows, cols, log ? 1 : 0]);
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
    this.setJob(KERNEL.lifForward, [spec.T, spec.N, spec.F, this.input(spec.beta), spec.beta.length,
      this.input(spec.threshold), spec.threshold.length, spec.vRest, RESET_CODE[spec.reset],
      this.input(current), this.output(mem), this.output(spikes)]);
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
    need("lifInference", "spikes", spikes, count / poolWidth);
    need("lifInference", "counts", counts, spec.F);
    if (count === 0) {
      counts.fill(0, 0, spec.F);
      return;
    }
    const samples = spec.N / spec.F;
    const groups = Math.min(REDUCTION_GROUPS, samples);
    const partials = this.alloc(groups * spec.F, false);
    try {
      this.setJob(KERNEL.lifInference, [spec.T, samples, spec.F, this.input(spec.beta), spec.beta.length,
        this.input(spec.threshold), spec.threshold.length, spec.vRest, RESET_CODE[spec.reset],
        this.input(current), staticCurrent ? 1 : 0, poolWidth, this.output(spikes), partials.byteOffset, groups]);
      this.execute("lifInference", count >= PARALLEL_ELEMENTS && spec.N >= 64);
      // Counts are whole numbers, exact in float32, so the groups' order does not matter.
      this.setJob(KERNEL.sumAxis, [partials.byteOffset, this.output(counts), 1, groups, spec.F]);
      this.execute("lifInference", spec.F >= 8 && groups * spec.F >= PARALLEL_ELEMENTS);
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
      this.setJob(KERNEL.lifBackward, [spec.T, spec.N, spec.F, this.input(spec.beta), spec.beta.length,
        this.input(spec.threshold), spec.threshold.length, spec.vRest, RESET_CODE[spec.reset],
        SURROGATE_CODE[surrogate.kind], surrogate.param, this.input(mem), this.input(spikes),
        dSpikes ? this.input(dSpikes) : 0, dSpikes ? 1 : 0, dMem ? this.input(dMem) : 0, dMem ? 1 : 0,
        this.output(dCurrent), partials.byteOffset, groups, wantParams ? 1 : 0]);
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
    this.setJob(KERNEL.spikingRelu, [this.input(x), T, N, dt, this.output(voltage), this.output(y)]);
    this.execute("spikingReluForward", T * N >= PARALLEL_ELEMENTS && N >= 64);
  }

  private pool(kernel: number, op: string, x: Float32Array | null, y: Float32Array, dx: Float32Array | null, g: PoolGeometry): void {
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
    this.setJob(kernel, [xp, yp, dxp, g.planes, g.h, g.w, g.kh, g.kw, g.strideH, g.strideW, g.padH, g.padW, g.outH, g.outW]);
    this.execute(op, g.planes >= 2 && Math.max(inSize, outSize * g.kh * g.kw) >= PARALLEL_ELEMENTS);
  }

  /**
   * The samples that share one GEMM in the convolution kernels (enough for GEMM_COLUMNS output
   * positions, all of a small map's batch at most), after reserving each thread's scratch for them:
   * the GEMM's, their unfolded columns and, for several, the product or gathered gradient.
   */
  private convScratch(g: ConvGeometry, patch: number, spatial: number): number {
    const samples = spatial >= GEMM_COLUMNS ? 1 : Math.min(g.n, Math.ceil(GEMM_COLUMNS / spatial));
    this.ensureScratch(this.gemmScratchBytes + patch * samples * spatial * 4 + (samples > 1 ? g.cout * samples * spatial * 4 : 0));
    return samples;
  }

  private convParallel(g: ConvGeometry, patch: number, spatial: number): boolean {
    return this.threads > 1 && g.n >= 2 && g.n * g.cout * patch * spatial >= PARALLEL_MACS;
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

  private setJob(kernel: number, args: number[]): void {
    this.ensureOpen();
    const job = this.job;
    job[0] = kernel;
    for (let i = 0; i < args.length; i++) job[i + 1] = args[i];
    this.jobInts[JOB_COUNTER_INDEX] = 0;
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

/** Adds the per-group partial sums (in group order) to target. */
function addGroupSums(target: Float32Array | null, partials: Float32Array, start: number, len: number, groups: number, stride: number): void {
  if (!target) return;
  for (let i = 0; i < len; i++) {
    let sum = 0;
    for (let g = 0; g < groups; g++) sum = Math.fround(sum + partials[g * stride + start + i]);
    target[i] = Math.fround(target[i] + sum);
  }
}

function need(op: string, name: string, array: Float32Array, count: number): void {
  if (array.length < count) {
    throw new SpikemedError(`wasm backend: ${op}: ${name} has ${array.length} elements, needs ${count}`);
  }
}

function checkConv(op: string, g: ConvGeometry): { patch: number; spatial: number } {
  const values = [g.n, g.cin, g.h, g.w, g.cout, g.kh, g.kw, g.strideH, g.strideW, g.padH, g.padW, g.dilationH, g.dilationW, g.outH, g.outW];
  const expectH = Math.floor((g.h + 2 * g.padH - g.dilationH * (g.kh - 1) - 1) / g.strideH) + 1;
  const expectW = Math.floor((g.w + 2 * g.padW - g.dilationW * (g.kw - 1) - 1) / g.strideW) + 1;
  if (values.some((v) => !Number.isInteger(v) || v < 0) || g.strideH < 1 || g.strideW < 1 || g.dilationH < 1 || g.dilationW < 1
    || g.outH !== expectH || g.outW !== expectW) {
    throw new SpikemedError(`wasm backend: ${op}: invalid geometry ${JSON.stringify(g)}`);
  }
  return { patch: g.cin * g.kh * g.kw, spatial: g.outH * g.outW };
}

function checkPool(op: string, g: PoolGeometry): void {
  const values = [g.planes, g.h, g.w, g.kh, g.kw, g.strideH, g.strideW, g.padH, g.padW, g.outH, g.outW];
  if (values.some((v) => !Number.isInteger(v) || v < 0) || g.strideH < 1 || g.strideW < 1
    || (g.outH - 1) * g.strideH - g.padH + g.kh > g.h + g.padH || (g.outW - 1) * g.strideW - g.padW + g.kw > g.w + g.padW) {
    throw new SpikemedError(`wasm backend: ${op}: invalid geometry ${JSON.stringify(g)}`);
  }
}

function checkLif(op: string, spec: LifSpec): number {
  const { T, N, F, beta, threshold } = spec;
  if (![T, N, F].every((v) => Number.isInteger(v) && v >= 0) || F < 1
    || (beta.length !== 1 && beta.length < F) || (threshold.length !== 1 && threshold.length < F)) {
    throw new SpikemedError(`wasm backend: ${op}: invalid LIF spec (T=${T}, N=${N}, F=${F}, beta length ${beta.length}, threshold length ${threshold.length}); beta and threshold need length 1 or F`);
  }
  return T * N;
}

/**
 * A thread's scratch for the event-driven convolution: event counts per input position, then a
 * bucket of up to cin events per position, the segments of one output position, the
 * channels-last output rows of a sample, and a bit mask of spiking channels per input position
 * and 32 channels. The byte offsets of all but the counts (which come first), and the total.
 */
function sparseConvScratch(g: ConvGeometry): { offsets: number[]; bytes: number } {
  const plane = g.h * g.w;
  const events = alignTo64(plane * 4);
  const segments = alignTo64(events + plane * g.cin * EVENT_BYTES);
  const rowsOut = alignTo64(segments + g.kh * g.kw * SEGMENT_BYTES);
  const masks = alignTo64(rowsOut + g.outH * g.outW * g.cout * 4);
  return { offsets: [events, segments, rowsOut, masks], bytes: alignTo64(masks + Math.ceil(g.cin / 32) * plane * 4) };
}

/** Bytes rounded up to a whole number of cache lines. */
function alignTo64(bytes: number): number {
  return Math.ceil(bytes / 64) * 64;
}

function geometryArgs(g: ConvGeometry): number[] {
  return [g.n, g.cin, g.h, g.w, g.cout, g.kh, g.kw, g.strideH, g.strideW, g.padH, g.padW, g.dilationH, g.dilationW, g.outH, g.outW];
}

/** True when every index the strides reach lies inside the array. */
function fits(array: Float32Array, shape: number[], strides: number[]): boolean {
  let last = 0;
  for (let d = 0; d < shape.length; d++) {
    if (strides[d] < 0) return false;
    last += (shape[d] - 1) * strides[d];
  }
  return last < array.length;
}

interface Dim { size: number; strides: number[] }

/**
 * Collapses an index space read through one or more stride lists to exactly 3 dimensions:
 * dimensions of size 1 are dropped and neighbours that are contiguous in every list are merged;
 * leading dimensions of size 1 pad it back to 3. Null when more than 3 remain.
 */
function collapse(shape: number[], stridesList: number[][]): Dim[] | null {
  const dims: Dim[] = [];
  for (let d = 0; d < shape.length; d++) {
    if (shape[d] === 1) continue;
    const prev = dims[dims.length - 1];
    const strides = stridesList.map((s) => s[d]);
    if (prev && prev.strides.every((s, i) => s === strides[i] * shape[d])) {
      prev.size *= shape[d];
      prev.strides = strides;
    } else {
      dims.push({ size: shape[d], strides });
    }
  }
  if (dims.length > 3) return null;
  while (dims.length < 3) dims.unshift({ size: 1, strides: stridesList.map(() => 0) });
  return dims;
}

/**
 * Plans a broadcast binary op as 3 dimensions: [d0, d1, d2, sa0, sa1, sa2, sb0, sb1, sb2], or null
 * when more than 3 dimensions remain or an innermost stride is not 0 or 1 (the reference loop
 * then handles it).
 */
function planBinary(shape: number[], aStrides: number[], bStrides: number[]): number[] | null {
  const dims = collapse(shape, [aStrides, bStrides]);
  if (!dims) return null;
  const [sa2, sb2] = dims[2].strides;
  if ((sa2 !== 0 && sa2 !== 1) || (sb2 !== 0 && sb2 !== 1)) return null;
  return [...dims.map((d) => d.size), ...dims.map((d) => d.strides[0]), ...dims.map((d) => d.strides[1])];
}

async function loadModule(source: BufferSource | URL | undefined): Promise<WebAssembly.Module> {
  if (source !== undefined && !(source instanceof URL)) return WebAssembly.compile(source);
  const url = source ?? new URL("../../../../../build/kernels.wasm", import.meta.url);
  if (url.protocol !== "file:") return WebAssembly.compileStreaming(fetch(url));
  const { readFile } = await import("node:fs/promises");
  let bytes: Uint8Array;
  try {
    bytes = await readFile(url);
  } catch {
    throw new SpikemedError(`wasm backend: cannot read the kernels at ${url.pathname}`, "build them with `npm run build` (it runs scripts/build-wasm.mjs)");
  }
  return WebAssembly.compile(bytes as Uint8Array<ArrayBuffer>);
}

async function availableCores(): Promise<number> {
  const nav = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator;
  if (nav?.hardwareConcurrency) return nav.hardwareConcurrency;
  try {
    const os = await import("node:os");
    return os.availableParallelism();
  } catch {
    return 1;
  }
}

function isNode(): boolean {
  return typeof process !== "undefined" && typeof process.versions?.node === "string";
}

/**
 * Whether this thread may start kernel workers: it waits for them on the shared memory, which a
 * browser forbids its pages' main thread (a Worker may).
 */
function mayLeadWorkers(): boolean {
  if (isNode()) return true;
  return typeof Worker !== "undefined" && typeof (globalThis as { document?: unknown }).document === "undefined";
}

/**
 * Loads the kernels and starts the worker threads: Node's worker_threads, or in a browser module
 * Workers when the backend itself runs in a Worker (on a page's main thread it runs single-threaded).
 */
export async function createWasmBackend(options: WasmBackendOptions = {}): Promise<WasmBackend> {
  const requested = options.threads ?? Math.max(1, Math.floor(Math.min(MAX_DEFAULT_THREADS, await availableCores()) / (options.processes ?? 1)));
  if (!Number.isInteger(requested) || requested < 1 || requested > 64) {
    throw new SpikemedError(`wasm backend: threads must be an integer from 1 to 64, got ${options.threads}`);
  }
  const spin = options.spin ?? DEFAULT_SPIN;
  if ((globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === false) {
    throw new SpikemedError("wasm backend: the kernels share their memory, which a browser allows only on a cross-origin isolated page",
      "serve the page with the headers Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp, or stay on the reference backend");
  }
  const module = await loadModule(options.wasm);
  const memory = new WebAssembly.Memory({ initial: INITIAL_PAGES, maximum: MAX_PAGES, shared: true });
  const instance = await WebAssembly.instantiate(module, { env: { memory } });
  const kernels = instance.exports as unknown as KernelExports;
  const heap = new SharedHeap(memory, kernels.heapBase());
  const threads = mayLeadWorkers() ? requested : 1;
  const ints = controlInts(threads - 1);
  const controlOffset = heap.alloc(ints * 4);
  const jobOffset = heap.alloc(JOB_BYTES);
  const control = new Int32Array(memory.buffer, controlOffset, ints);
  let workers: WorkerHandle[] = [];
  if (threads > 1) {
    const setups: WorkerSetup[] = [];
    for (let tid = 1; tid < threads; tid++) {
      setups.push({ module, memory, controlOffset, controlInts: ints, jobOffset, tid, spin });
    }
    workers = isNode() ? await (await import("./node-workers.js")).startNodeWorkers(setups)
      : await (await import("./browser-workers.js")).startBrowserWorkers(setups);
  }
  const team = workers.length > 0 ? new TeamControl(control, workers.length, spin) : null;
  return new WasmBackend({ heap, kernels, team, workers, jobOffset });
}
