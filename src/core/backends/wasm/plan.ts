// The planning of the WebAssembly backend's kernel calls: whether a call is worth waking the
// worker threads for, how a GEMM is cut into work units, how many samples share a convolution's
// GEMM, the layout of the event-driven kernels' scratch, and how a strided or broadcast index
// space collapses to the 3 dimensions the elementwise kernels take. Pure functions of sizes.
import type { ConvGeometry } from "../../backend.js";
import type { BinaryArg, ConvGeometryArg, CopyStridedArg, GemmArg, SparseConvArg } from "./kernel-interface.js";
import type { JobArgs } from "./kernels.js";

/** Below these sizes a kernel runs on the calling thread alone: waking the team costs more. */
export const PARALLEL_ELEMENTS = 1 << 16;
export const PARALLEL_MACS = 1 << 18;
/** Fixed number of partial sums for reductions over samples or neurons (independent of threads). */
export const REDUCTION_GROUPS = 8;
/** Rows of a work unit of the event-driven dense layer (ROWS_PER_UNIT in assembly/events.ts). */
export const SPARSE_ROWS_PER_UNIT = 16;
/**
 * Work units of the fused convolution and LIF (ranges of batch items, each with its own partial
 * spike counts): enough for the threads to share them evenly.
 */
export const CONV_LIF_GROUPS = 64;
/** Bytes of one event and one segment of the event-driven kernels (assembly/events.ts). */
export const EVENT_BYTES = 8;
export const SEGMENT_BYTES = 16;
/**
 * Output positions a convolution's GEMM covers at least: a sample's 4x4 or 8x8 map alone made the
 * filters be packed again for every 16 or 64 columns and gave the gradient for the filters a k of 16
 * or 64 (bench/cxr-speed.ts times the X-ray ResNet's convolutions).
 */
const GEMM_COLUMNS = 256;

/**
 * How a GEMM's work is cut: whole matrices of the batch, or (when the batch is smaller than twice
 * the threads) blocks of columns (alongN) or rows, aligned to the microkernel's register tile (the module's GEMM_MR rows, GEMM_NR columns).
 */
export function planGemm(m: number, n: number, batch: number, threads: number, parallel: boolean, tile: { rows: number; cols: number }): Pick<JobArgs<typeof GemmArg>, "AlongN" | "Chunk" | "Blocks"> {
  let alongN = true;
  let chunk = n;
  let blocks = 1;
  if (parallel && batch < 2 * threads) {
    alongN = n >= m;
    const dim = alongN ? n : m;
    const align = alongN ? tile.cols : tile.rows;
    const target = dim >= 256 * threads ? 2 * threads : threads;
    chunk = Math.ceil(Math.ceil(dim / target) / align) * align;
    blocks = Math.ceil(dim / chunk);
  }
  return { AlongN: alongN ? 1 : 0, Chunk: chunk, Blocks: blocks };
}

/**
 * The samples that share one GEMM in the convolution kernels (enough for GEMM_COLUMNS output
 * positions, all of a small map's batch at most), and the scratch a thread needs for them beside
 * the GEMM's own: their unfolded columns and, for several, the product or gathered gradient.
 */
export function convSamples(g: ConvGeometry, patch: number, spatial: number): { samples: number; bytes: number } {
  const samples = spatial >= GEMM_COLUMNS ? 1 : Math.min(g.n, Math.ceil(GEMM_COLUMNS / spatial));
  return { samples, bytes: patch * samples * spatial * 4 + (samples > 1 ? g.cout * samples * spatial * 4 : 0) };
}

export function convParallel(threads: number, g: ConvGeometry, patch: number, spatial: number): boolean {
  return threads > 1 && g.n >= 2 && g.n * g.cout * patch * spatial >= PARALLEL_MACS;
}

/**
 * A thread's scratch for the event-driven convolution: event counts per input position, then a
 * bucket of up to cin events per position, the segments of one output position, the
 * channels-last output rows of a sample, and a bit mask of spiking channels per input position
 * and 32 channels. The byte offsets of all but the counts (which come first), and the total.
 */
export function sparseConvScratch(g: ConvGeometry): { offsets: Pick<JobArgs<typeof SparseConvArg>, "Events" | "Segments" | "RowsOut" | "Masks">; bytes: number } {
  const plane = g.h * g.w;
  const events = alignTo64(plane * 4);
  const segments = alignTo64(events + plane * g.cin * EVENT_BYTES);
  const rowsOut = alignTo64(segments + g.kh * g.kw * SEGMENT_BYTES);
  const masks = alignTo64(rowsOut + g.outH * g.outW * g.cout * 4);
  return { offsets: { Events: events, Segments: segments, RowsOut: rowsOut, Masks: masks }, bytes: alignTo64(masks + Math.ceil(g.cin / 32) * plane * 4) };
}

/** Bytes rounded up to a whole number of cache lines. */
export function alignTo64(bytes: number): number {
  return Math.ceil(bytes / 64) * 64;
}

export function geometryArgs(g: ConvGeometry): JobArgs<typeof ConvGeometryArg> {
  return {
    N: g.n, Cin: g.cin, H: g.h, W: g.w, Cout: g.cout, Kh: g.kh, Kw: g.kw, StrideH: g.strideH, StrideW: g.strideW,
    PadH: g.padH, PadW: g.padW, DilationH: g.dilationH, DilationW: g.dilationW, OutH: g.outH, OutW: g.outW,
  };
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

/** A strided copy as 3 dimensions with their strides, or null when more than 3 remain. */
export function planCopy(shape: number[], strides: number[]): Pick<JobArgs<typeof CopyStridedArg>, "D0" | "D1" | "D2" | "S0" | "S1" | "S2"> | null {
  const dims = collapse(shape, [strides]);
  if (!dims) return null;
  const [d0, d1, d2] = dims;
  return { D0: d0.size, D1: d1.size, D2: d2.size, S0: d0.strides[0], S1: d1.strides[0], S2: d2.strides[0] };
}

/**
 * Plans a broadcast binary op as 3 dimensions with each operand's strides, or null when more than
 * 3 dimensions remain or an innermost stride is not 0 or 1 (the reference loop then handles it).
 */
export function planBinary(shape: number[], aStrides: number[], bStrides: number[]): Omit<JobArgs<typeof BinaryArg>, "Op" | "A" | "B" | "Out"> | null {
  const dims = collapse(shape, [aStrides, bStrides]);
  if (!dims) return null;
  const [d0, d1, d2] = dims;
  const [sa2, sb2] = d2.strides;
  if ((sa2 !== 0 && sa2 !== 1) || (sb2 !== 0 && sb2 !== 1)) return null;
  return {
    D0: d0.size, D1: d1.size, D2: d2.size,
    StrideA0: d0.strides[0], StrideA1: d1.strides[0], StrideA2: sa2,
    StrideB0: d0.strides[1], StrideB1: d1.strides[1], StrideB2: sb2,
  };
}
