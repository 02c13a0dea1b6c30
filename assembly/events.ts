// Event-driven dense and convolution layers for inputs that are mostly zero (spike trains): instead
// of a dense product, every nonzero input element (an event) adds its value times one row of
// rearranged weights into the outputs it reaches. Outputs are computed in register tiles of up to
// 32 channels; each event visits the tile's weights contiguously. Every output sums its events in
// one fixed order (input index order; for convolutions filter tap, then input channel) on the one
// thread that owns its row or sample, so results do not depend on the thread count, and the
// reference backend reproduces them bit for bit.

import { ConvGeometryArg as Geo, SparseConvArg, SparseConvLifArg, SparseLinearArg, TransposeArg } from "../src/core/backends/wasm/kernel-interface";
import { argB, argF, argI, argP, claim } from "./job";
import { transpose4 } from "./gemm";
import { inferenceStep, loadLanes, storeLanes } from "./neurons";

/** An event: byte address of its weight row (of the first tap, for convolutions), then its value. */
const EVENT_BYTES: usize = 8;
/**
 * A segment: address of a run of events, their count, the byte offset of the filter tap they hit,
 * and whether all their values are 1.
 */
const SEGMENT_BYTES: usize = 16;
/** Rows of the dense layer per work unit. */
const ROWS_PER_UNIT = 16;

/**
 * Writes an event for every nonzero of x[0, n) to `events` (which has room for 3 more), with
 * weight address wBase + i*wStep for element i, and describes them as segments (tap offset 0) at
 * `segments`: the events before the first value that is neither 0 nor 1 (all of them when there
 * is none) as a unit segment, the rest as another. Returns the number of segments, empty ones left
 * out. Runs of 16 zeros are skipped with one test; elsewhere each vector's nonzeros are packed
 * into events with a shuffle rather than a branch per element, which spike trains would make
 * unpredictable.
 */
function scanEvents(x: usize, n: i32, wBase: usize, wStep: usize, events: usize, segments: usize): i32 {
  const laneSteps = i32x4.mul(i32x4(0, 1, 2, 3), i32x4.splat(<i32>wStep));
  let count = 0;
  let split = -1;
  let i = 0;
  for (; i + 16 <= n; i += 16) {
    const p = x + bytes(i);
    const v0 = v128.load(p), v1 = v128.load(p, 16), v2 = v128.load(p, 32), v3 = v128.load(p, 48);
    // Any set bit, -0 included: such a run takes the exact path below.
    if (!v128.any_true(v128.or(v128.or(v0, v1), v128.or(v2, v3)))) continue;
    const w = i32x4.add(i32x4.splat(<i32>(wBase + <usize>i * wStep)), laneSteps), step = i32x4.splat(<i32>wStep << 2);
    if (split < 0) split = firstOddEvent(v0, count);
    count = packEvents(v0, w, events, count);
    if (split < 0) split = firstOddEvent(v1, count);
    count = packEvents(v1, i32x4.add(w, step), events, count);
    if (split < 0) split = firstOddEvent(v2, count);
    count = packEvents(v2, i32x4.add(w, i32x4.add(step, step)), events, count);
    if (split < 0) split = firstOddEvent(v3, count);
    count = packEvents(v3, i32x4.add(w, i32x4.mul(step, i32x4.splat(3))), events, count);
  }
  for (; i + 4 <= n; i += 4) {
    const v = v128.load(x + bytes(i));
    if (split < 0) split = firstOddEvent(v, count);
    count = packEvents(v, i32x4.add(i32x4.splat(<i32>(wBase + <usize>i * wStep)), laneSteps), events, count);
  }
  for (; i < n; i++) {
    const value = load<f32>(x + bytes(i));
    if (split < 0 && value != 0 && value != 1) split = count;
    const e = events + <usize>count * EVENT_BYTES;
    store<u32>(e, <u32>(wBase + <usize>i * wStep));
    store<f32>(e, value, 4);
    count += i32(value != 0);
  }
  if (split < 0) split = count;
  let segmentCount = 0;
  if (split > 0) {
    writeSegment(segments, events, split, 0, true);
    segmentCount++;
  }
  if (count > split) {
    writeSegment(segments + <usize>segmentCount * SEGMENT_BYTES, events + <usize>split * EVENT_BYTES, count - split, 0, false);
    segmentCount++;
  }
  return segmentCount;
}

/** For each 4-bit lane mask, the byte swizzle that moves the selected 32-bit lanes first, in order. */
const PACK_LANES = memory.data<u8>([
  0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,
  0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,
  4, 5, 6, 7, 0, 1, 2, 3, 8, 9, 10, 11, 12, 13, 14, 15,
  0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,
  8, 9, 10, 11, 0, 1, 2, 3, 4, 5, 6, 7, 12, 13, 14, 15,
  0, 1, 2, 3, 8, 9, 10, 11, 4, 5, 6, 7, 12, 13, 14, 15,
  4, 5, 6, 7, 8, 9, 10, 11, 0, 1, 2, 3, 12, 13, 14, 15,
  0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,
  12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11,
  0, 1, 2, 3, 12, 13, 14, 15, 4, 5, 6, 7, 8, 9, 10, 11,
  4, 5, 6, 7, 12, 13, 14, 15, 0, 1, 2, 3, 8, 9, 10, 11,
  0, 1, 2, 3, 4, 5, 6, 7, 12, 13, 14, 15, 8, 9, 10, 11,
  8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7,
  0, 1, 2, 3, 8, 9, 10, 11, 12, 13, 14, 15, 4, 5, 6, 7,
  4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3,
  0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15
]);

/**
 * Appends the events of v's nonzero lanes (weight addresses in the lanes of w) after the first
 * `count` events, writing 4 events' room; returns the new count.
 */
@inline function packEvents(v: v128, w: v128, events: usize, count: i32): i32 {
  const lanes = i32x4.bitmask(f32x4.ne(v, f32x4.splat(0)));
  const pack = v128.load(PACK_LANES + (<usize>lanes << 4));
  const addresses = i8x16.swizzle(w, pack), values = i8x16.swizzle(v, pack);
  const e = events + <usize>count * EVENT_BYTES;
  v128.store(e, v128.shuffle<i32>(addresses, values, 0, 4, 1, 5));
  v128.store(e, v128.shuffle<i32>(addresses, values, 2, 6, 3, 7), 16);
  return count + <i32>popcnt(lanes);
}

/**
 * The number of events before v's first value that is neither 0 nor 1, counting `count` events
 * before v; -1 when v has no such value.
 */
@inline function firstOddEvent(v: v128, count: i32): i32 {
  const odd = ~i32x4.bitmask(v128.or(f32x4.eq(v, f32x4.splat(0)), f32x4.eq(v, f32x4.splat(1)))) & 15;
  if (odd == 0) return -1;
  return count + <i32>popcnt(i32x4.bitmask(f32x4.ne(v, f32x4.splat(0))) & ((1 << ctz(odd)) - 1));
}

/** Fills the segment at `seg`: `count` events at `events` hitting the filter tap at byte offset `tap`, all of value 1 or not. */
@inline function writeSegment(seg: usize, events: usize, count: i32, tap: usize, unit: bool): void {
  store<u32>(seg, <u32>events);
  store<u32>(seg, <u32>count, 4);
  store<u32>(seg, <u32>tap, 8);
  store<u32>(seg, unit ? 1 : 0, 12);
}

@inline function bytes(elements: i32): usize { return <usize>elements << 2; }

/**
 * dst[0, 32) = bias[0, 32) (or 0 when bias is 0) + the sum over the segments' events of
 * value * w[channel, channel + 32). The multiplications are left out in segments whose values are
 * all 1 (binary spikes), where they would change no bits.
 */
function tile32(segments: usize, segmentCount: i32, channel: usize, bias: usize, dst: usize): void {
  let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
  let a4 = f32x4.splat(0), a5 = f32x4.splat(0), a6 = f32x4.splat(0), a7 = f32x4.splat(0);
  if (bias != 0) {
    a0 = v128.load(bias); a1 = v128.load(bias, 16); a2 = v128.load(bias, 32); a3 = v128.load(bias, 48);
    a4 = v128.load(bias, 64); a5 = v128.load(bias, 80); a6 = v128.load(bias, 96); a7 = v128.load(bias, 112);
  }
  for (let s = 0; s < segmentCount; s++) {
    const seg = segments + <usize>s * SEGMENT_BYTES;
    let e = <usize>load<u32>(seg);
    const end = e + <usize>load<u32>(seg, 4) * EVENT_BYTES;
    const offset = <usize>load<u32>(seg, 8) + channel;
    if (load<u32>(seg, 12) != 0) {
      for (; e < end; e += EVENT_BYTES) {
        const w = <usize>load<u32>(e) + offset;
        a0 = f32x4.add(a0, v128.load(w)); a1 = f32x4.add(a1, v128.load(w, 16));
        a2 = f32x4.add(a2, v128.load(w, 32)); a3 = f32x4.add(a3, v128.load(w, 48));
        a4 = f32x4.add(a4, v128.load(w, 64)); a5 = f32x4.add(a5, v128.load(w, 80));
        a6 = f32x4.add(a6, v128.load(w, 96)); a7 = f32x4.add(a7, v128.load(w, 112));
      }
    } else {
      for (; e < end; e += EVENT_BYTES) {
        const w = <usize>load<u32>(e) + offset;
        const v = v128.load32_splat(e, 4);
        a0 = f32x4.add(a0, f32x4.mul(v, v128.load(w))); a1 = f32x4.add(a1, f32x4.mul(v, v128.load(w, 16)));
        a2 = f32x4.add(a2, f32x4.mul(v, v128.load(w, 32))); a3 = f32x4.add(a3, f32x4.mul(v, v128.load(w, 48)));
        a4 = f32x4.add(a4, f32x4.mul(v, v128.load(w, 64))); a5 = f32x4.add(a5, f32x4.mul(v, v128.load(w, 80)));
        a6 = f32x4.add(a6, f32x4.mul(v, v128.load(w, 96))); a7 = f32x4.add(a7, f32x4.mul(v, v128.load(w, 112)));
      }
    }
  }
  v128.store(dst, a0); v128.store(dst, a1, 16); v128.store(dst, a2, 32); v128.store(dst, a3, 48);
  v128.store(dst, a4, 64); v128.store(dst, a5, 80); v128.store(dst, a6, 96); v128.store(dst, a7, 112);
}

/** tile32 for 16 channels. */
function tile16(segments: usize, segmentCount: i32, channel: usize, bias: usize, dst: usize): void {
  let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
  if (bias != 0) { a0 = v128.load(bias); a1 = v128.load(bias, 16); a2 = v128.load(bias, 32); a3 = v128.load(bias, 48); }
  for (let s = 0; s < segmentCount; s++) {
    const seg = segments + <usize>s * SEGMENT_BYTES;
    let e = <usize>load<u32>(seg);
    const end = e + <usize>load<u32>(seg, 4) * EVENT_BYTES;
    const offset = <usize>load<u32>(seg, 8) + channel;
    if (load<u32>(seg, 12) != 0) {
      for (; e < end; e += EVENT_BYTES) {
        const w = <usize>load<u32>(e) + offset;
        a0 = f32x4.add(a0, v128.load(w)); a1 = f32x4.add(a1, v128.load(w, 16));
        a2 = f32x4.add(a2, v128.load(w, 32)); a3 = f32x4.add(a3, v128.load(w, 48));
      }
    } else {
      for (; e < end; e += EVENT_BYTES) {
        const w = <usize>load<u32>(e) + offset;
        const v = v128.load32_splat(e, 4);
        a0 = f32x4.add(a0, f32x4.mul(v, v128.load(w))); a1 = f32x4.add(a1, f32x4.mul(v, v128.load(w, 16)));
        a2 = f32x4.add(a2, f32x4.mul(v, v128.load(w, 32))); a3 = f32x4.add(a3, f32x4.mul(v, v128.load(w, 48)));
      }
    }
  }
  v128.store(dst, a0); v128.store(dst, a1, 16); v128.store(dst, a2, 32); v128.store(dst, a3, 48);
}

/** tile32 for 4 channels. */
function tile4(segments: usize, segmentCount: i32, channel: usize, bias: usize, dst: usize): void {
  let a = bias != 0 ? v128.load(bias) : f32x4.splat(0);
  for (let s = 0; s < segmentCount; s++) {
    const seg = segments + <usize>s * SEGMENT_BYTES;
    let e = <usize>load<u32>(seg);
    const end = e + <usize>load<u32>(seg, 4) * EVENT_BYTES;
    const offset = <usize>load<u32>(seg, 8) + channel;
    if (load<u32>(seg, 12) != 0) {
      for (; e < end; e += EVENT_BYTES) a = f32x4.add(a, v128.load(<usize>load<u32>(e) + offset));
    } else {
      for (; e < end; e += EVENT_BYTES) a = f32x4.add(a, f32x4.mul(v128.load32_splat(e, 4), v128.load(<usize>load<u32>(e) + offset)));
    }
  }
  v128.store(dst, a);
}

/** tile32 for 1 channel (every value is used: this tile is too rare to specialise). */
function tile1(segments: usize, segmentCount: i32, channel: usize, bias: usize, dst: usize): void {
  let a: f32 = bias != 0 ? load<f32>(bias) : 0;
  for (let s = 0; s < segmentCount; s++) {
    const seg = segments + <usize>s * SEGMENT_BYTES;
    let e = <usize>load<u32>(seg);
    const end = e + <usize>load<u32>(seg, 4) * EVENT_BYTES;
    const offset = <usize>load<u32>(seg, 8) + channel;
    for (; e < end; e += EVENT_BYTES) a += load<f32>(e, 4) * load<f32>(<usize>load<u32>(e) + offset);
  }
  store<f32>(dst, a);
}

/** Width of the channel tile that starts at channel c: 32, 16, 4 or 1, the widest that fits. */
@inline function tileWidth(c: i32, channels: i32): i32 {
  const left = channels - c;
  return left >= 32 ? 32 : left >= 16 ? 16 : left >= 4 ? 4 : 1;
}

/** The tile of `width` channels starting at channel c, from the segments' events. */
@inline function tile(width: i32, c: i32, segments: usize, segmentCount: i32, bias: usize, dst: usize): void {
  const b = bias != 0 ? bias + bytes(c) : 0;
  if (width == 32) tile32(segments, segmentCount, bytes(c), b, dst + bytes(c));
  else if (width == 16) tile16(segments, segmentCount, bytes(c), b, dst + bytes(c));
  else if (width == 4) tile4(segments, segmentCount, bytes(c), b, dst + bytes(c));
  else tile1(segments, segmentCount, bytes(c), b, dst + bytes(c));
}

/**
 * Job: y[r, o] = bias[o] + sum over nonzero x[r, i] of x[r, i] * weightT[i, o]. Args: x, weightT
 * ([in, out]), bias, hasBias, y, rows, in, out, scratchBase, scratchStride. A thread's scratch
 * holds two segments, then room for a row of events.
 */
export function sparseLinear(job: usize, tid: i32): void {
  const x = argP(job, SparseLinearArg.X), weightT = argP(job, SparseLinearArg.WeightT), hasBias = argB(job, SparseLinearArg.HasBias), y = argP(job, SparseLinearArg.Y);
  const bias = hasBias ? argP(job, SparseLinearArg.Bias) : 0;
  const rows = argI(job, SparseLinearArg.Rows), inFeatures = argI(job, SparseLinearArg.InFeatures), outFeatures = argI(job, SparseLinearArg.OutFeatures);
  const segments = argP(job, SparseLinearArg.Scratch) + <usize>tid * argP(job, SparseLinearArg.ScratchStride);
  const events = segments + 2 * SEGMENT_BYTES;
  const rowStep = bytes(outFeatures);
  for (let u = claim(job); u * ROWS_PER_UNIT < rows; u = claim(job)) {
    const r1 = min(rows, (u + 1) * ROWS_PER_UNIT);
    for (let r = u * ROWS_PER_UNIT; r < r1; r++) {
      const segmentCount = scanEvents(x + <usize>r * bytes(inFeatures), inFeatures, weightT, rowStep, events, segments);
      for (let c = 0, width = 0; c < outFeatures; c += width) {
        width = tileWidth(c, outFeatures);
        tile(width, c, segments, segmentCount, bias, y + <usize>r * rowStep);
      }
    }
  }
}

/**
 * Writes an event (weight row, value) into the next free slot of input position p's bucket, and
 * takes the slot (counts[p] += 1) when `taken` is -1 (a lane mask; 0 leaves it free).
 */
@inline function addToBucket(counts: usize, events: usize, bucketBytes: usize, p: i32, weightRow: u32, value: f32, taken: i32): void {
  const slot = counts + bytes(p);
  const k = load<i32>(slot);
  const e = events + <usize>p * bucketBytes + <usize>k * EVENT_BYTES;
  store<u32>(e, weightRow);
  store<f32>(e, value, 4);
  store<i32>(slot, k - taken);
}

/**
 * Sets bit c % 32 of masks[c / 32][p] (a row of `plane` words per 32 channels) for each nonzero
 * x[c, p] of a sample, 4 positions per vector operation, while every value is 0 or 1. Returns
 * whether they all were (binary spikes); it stops at the first channel that is not.
 */
function spikeMasks(src: usize, cin: i32, plane: i32, masks: usize): bool {
  memory.fill(masks, 0, bytes(((cin + 31) >> 5) * plane));
  let binary = i32x4.splat(-1);
  for (let c = 0; c < cin; c++) {
    const values = src + bytes(c * plane), row = masks + bytes((c >> 5) * plane);
    const bit = 1 << (c & 31), bits = i32x4.splat(bit);
    let p = 0;
    for (; p + 4 <= plane; p += 4) {
      const v = v128.load(values + bytes(p));
      binary = v128.and(binary, v128.or(f32x4.eq(v, f32x4.splat(0)), f32x4.eq(v, f32x4.splat(1))));
      v128.store(row + bytes(p), v128.or(v128.load(row + bytes(p)), v128.and(f32x4.ne(v, f32x4.splat(0)), bits)));
    }
    for (; p < plane; p++) {
      const value = load<f32>(values + bytes(p));
      if (value != 0 && value != 1) return false;
      if (value != 0) store<i32>(row + bytes(p), load<i32>(row + bytes(p)) | bit);
    }
    if (!v128.all_true<i32>(binary)) return false;
  }
  return true;
}

/**
 * Buckets a sample's binary spikes from their masks (see spikeMasks): an event of value 1 per set
 * bit, in channel order within each position's bucket. Costs a step per spike, not per element.
 */
function bucketSpikes(masks: usize, cin: i32, plane: i32, weights: usize, channelStep: usize,
  counts: usize, events: usize, bucketBytes: usize): void {
  const words = (cin + 31) >> 5;
  for (let p = 0; p < plane; p++) {
    const first = events + <usize>p * bucketBytes;
    let e = first;
    for (let word = 0; word < words; word++) {
      let m = load<u32>(masks + bytes(word * plane + p));
      const rows = weights + <usize>(word << 5) * channelStep;
      while (m != 0) {
        store<u32>(e, <u32>(rows + <usize>ctz(m) * channelStep));
        store<f32>(e, 1, 4);
        e += EVENT_BYTES;
        m &= m - 1;
      }
    }
    store<i32>(counts + bytes(p), <i32>((e - first) / EVENT_BYTES));
  }
}

/** Buckets a sample's events whatever their values, element by element (channel order within a bucket). */
function bucketValues(src: usize, cin: i32, plane: i32, weights: usize, channelStep: usize,
  counts: usize, events: usize, bucketBytes: usize): void {
  memory.fill(counts, 0, bytes(plane));
  for (let c = 0; c < cin; c++) {
    const values = src + bytes(c * plane);
    const weightRow = <u32>(weights + <usize>c * channelStep);
    // Branch-free: every element is written to its bucket and counted if nonzero, as a branch on
    // each element would be unpredictable.
    let p = 0;
    for (; p + 4 <= plane; p += 4) {
      const v = v128.load(values + bytes(p));
      const nonzero = f32x4.ne(v, f32x4.splat(0));
      addToBucket(counts, events, bucketBytes, p, weightRow, f32x4.extract_lane(v, 0), i32x4.extract_lane(nonzero, 0));
      addToBucket(counts, events, bucketBytes, p + 1, weightRow, f32x4.extract_lane(v, 1), i32x4.extract_lane(nonzero, 1));
      addToBucket(counts, events, bucketBytes, p + 2, weightRow, f32x4.extract_lane(v, 2), i32x4.extract_lane(nonzero, 2));
      addToBucket(counts, events, bucketBytes, p + 3, weightRow, f32x4.extract_lane(v, 3), i32x4.extract_lane(nonzero, 3));
    }
    for (; p < plane; p++) {
      const value = load<f32>(values + bytes(p));
      addToBucket(counts, events, bucketBytes, p, weightRow, value, -i32(value != 0));
    }
  }
}

/**
 * Job: y = conv(x, w) + bias from x's nonzero elements. Args: x, weightByTap ([cin, kh, kw,
 * cout]), bias, hasBias, y, scratchBase, scratchStride, geometry, then the byte offsets within a
 * thread's scratch of its events, segments, output rows and spike masks (its bucket counts come
 * first). Per sample, the events are bucketed by input position (channel order within a bucket);
 * each output position then sums the buckets under its filter taps into a channels-last row, and
 * the rows are transposed into y.
 */
export function sparseConv(job: usize, tid: i32): void {
  const y = argP(job, SparseConvArg.Y), scratch = argP(job, SparseConvArg.Scratch) + <usize>tid * argP(job, SparseConvArg.ScratchStride);
  const n = argI(job, Geo.N), cout = argI(job, Geo.Cout), spatial = argI(job, Geo.OutH) * argI(job, Geo.OutW);
  const rowsOut = scratch + argP(job, SparseConvArg.RowsOut);
  for (let s = claim(job); s < n; s = claim(job)) {
    convolveSample(job, s, scratch, rowsOut);
    transposeInto(rowsOut, spatial, cout, y + <usize>s * bytes(cout * spatial), 0, cout);
  }
}

/**
 * Job: sparseConv feeding LIF neurons at inference: lifInference's pooled spikes and counts
 * (channels-first, like y), without storing the convolution in y's layout. Args: those of
 * sparseConv (y is the pooled spikes), then T, beta, threshold (one value each), vRest, reset,
 * poolWidth, partials, groups, and the byte offsets within a thread's scratch of an item's
 * currents (T steps of channels-last output rows), its spike counts and its pooled rows (T steps).
 * Samples are step-major (s = t*B + b). A work unit is one of `groups` fixed ranges of the B batch
 * items; each item's T steps are convolved into the scratch, then each neuron runs through them
 * with its membrane in a register. Group g writes its spike counts per neuron of a sample to
 * partials + g*cout*oh*ow.
 */
export function sparseConvLif(job: usize, tid: i32): void {
  const y = argP(job, SparseConvArg.Y), scratch = argP(job, SparseConvArg.Scratch) + <usize>tid * argP(job, SparseConvArg.ScratchStride);
  const n = argI(job, Geo.N), cout = argI(job, Geo.Cout), oh = argI(job, Geo.OutH), ow = argI(job, Geo.OutW);
  const T = argI(job, SparseConvLifArg.T), B = n / T;
  const beta = v128.load32_splat(argP(job, SparseConvLifArg.Beta)), thr = v128.load32_splat(argP(job, SparseConvLifArg.Threshold));
  const vRest = <f32>argF(job, SparseConvLifArg.VRest), reset = argI(job, SparseConvLifArg.Reset), poolWidth = argI(job, SparseConvLifArg.PoolWidth);
  const partials = argP(job, SparseConvLifArg.Partials), groups = argI(job, SparseConvLifArg.Groups);
  const currents = scratch + argP(job, SparseConvLifArg.Currents), counts = scratch + argP(job, SparseConvLifArg.SpikeCounts);
  const pooled = scratch + argP(job, SparseConvLifArg.Pooled);
  const neurons = oh * ow * cout, windows = oh * (ow / poolWidth);
  const stepBytes = bytes(neurons), pooledStepBytes = bytes(windows * cout);
  for (let g = claim(job); g < groups; g = claim(job)) {
    const b0 = <i32>(<i64>g * B / groups), b1 = <i32>(<i64>(g + 1) * B / groups);
    memory.fill(counts, 0, stepBytes);
    for (let b = b0; b < b1; b++) {
      for (let t = 0; t < T; t++) convolveSample(job, t * B + b, scratch, currents + <usize>t * stepBytes);
      if (vRest == 0) fireItem(true, T, currents, stepBytes, counts, beta, thr, vRest, reset, windows, poolWidth, cout, pooled, pooledStepBytes);
      else fireItem(false, T, currents, stepBytes, counts, beta, thr, vRest, reset, windows, poolWidth, cout, pooled, pooledStepBytes);
      for (let t = 0; t < T; t++) {
        transposeInto(pooled + <usize>t * pooledStepBytes, windows, cout, y + <usize>(t * B + b) * pooledStepBytes, 0, cout);
      }
    }
    transposeInto(counts, oh * ow, cout, partials + <usize>g * stepBytes, 0, cout);
  }
}

/**
 * Runs LIF neurons sharing beta and threshold through T steps of currents laid out as
 * channels-last rows (cout neurons per row, `poolWidth` rows per window; steps stepBytes apart),
 * each neuron's membrane in a register: adds their spikes to the counts (laid out like one step)
 * and writes each window's max-pooled spikes to a row of `pooled` per step. restAtZero is a
 * constant where this is inlined (see inferenceStep).
 */
@inline function fireItem(restAtZero: bool, T: i32, currents: usize, stepBytes: usize, counts: usize, beta: v128, thr: v128,
  vRest: f32, reset: i32, windows: i32, poolWidth: i32, cout: i32, pooled: usize, pooledStepBytes: usize): void {
  const one = f32x4.splat(1), zero = f32x4.splat(0), vr = f32x4.splat(vRest);
  for (let j = 0; j < windows; j++) {
    for (let k = 0; k < poolWidth; k++) {
      const row = (j * poolWidth + k) * cout;
      let c = 0;
      // Two vectors at a time: each neuron's update is a chain through the steps, and two
      // independent chains hide each other's latency.
      for (; c + 8 <= cout; c += 8) {
        let u0 = vr, s0 = zero, n0 = zero, u1 = vr, s1 = zero, n1 = zero;
        let at = currents + bytes(row + c), out = pooled + bytes(j * cout + c);
        for (let t = 0; t < T; t++) {
          u0 = inferenceStep(reset, restAtZero, vr, beta, thr, u0, s0, v128.load(at));
          u1 = inferenceStep(reset, restAtZero, vr, beta, thr, u1, s1, v128.load(at, 16));
          s0 = v128.and(f32x4.gt(u0, thr), one);
          s1 = v128.and(f32x4.gt(u1, thr), one);
          n0 = f32x4.add(n0, s0);
          n1 = f32x4.add(n1, s1);
          v128.store(out, k == 0 ? s0 : f32x4.max(v128.load(out), s0));
          v128.store(out, k == 0 ? s1 : f32x4.max(v128.load(out, 16), s1), 16);
          at += stepBytes;
          out += pooledStepBytes;
        }
        const total = counts + bytes(row + c);
        v128.store(total, f32x4.add(v128.load(total), n0));
        v128.store(total, f32x4.add(v128.load(total, 16), n1), 16);
      }
      for (; c < cout; c += 4) {
        const lanes = min(4, cout - c);
        let u = vr, s = zero, n = zero;
        let at = currents + bytes(row + c), out = pooled + bytes(j * cout + c);
        for (let t = 0; t < T; t++) {
          u = inferenceStep(reset, restAtZero, vr, beta, thr, u, s, loadLanes(at, lanes));
          s = v128.and(f32x4.gt(u, thr), one);
          n = f32x4.add(n, s);
          storeLanes(out, k == 0 ? s : f32x4.max(loadLanes(out, lanes), s), lanes);
          at += stepBytes;
          out += pooledStepBytes;
        }
        const total = counts + bytes(row + c);
        storeLanes(total, f32x4.add(loadLanes(total, lanes), n), lanes);
      }
    }
  }
}

/**
 * Convolves sample s of a sparseConv or sparseConvLif job into channels-last rows [oh*ow, cout] at
 * rowsOut, with the events in `scratch` (the calling thread's).
 */
function convolveSample(job: usize, s: i32, scratch: usize, rowsOut: usize): void {
  const x = argP(job, SparseConvArg.X), weights = argP(job, SparseConvArg.WeightByTap), hasBias = argB(job, SparseConvArg.HasBias);
  const bias = hasBias ? argP(job, SparseConvArg.Bias) : 0;
  const cin = argI(job, Geo.Cin), h = argI(job, Geo.H), w = argI(job, Geo.W), cout = argI(job, Geo.Cout);
  const kh = argI(job, Geo.Kh), kw = argI(job, Geo.Kw), sh = argI(job, Geo.StrideH), sw = argI(job, Geo.StrideW), ph = argI(job, Geo.PadH), pw = argI(job, Geo.PadW);
  const dh = argI(job, Geo.DilationH), dw = argI(job, Geo.DilationW), oh = argI(job, Geo.OutH), ow = argI(job, Geo.OutW);
  const plane = h * w;
  const counts = scratch, events = scratch + argP(job, SparseConvArg.Events), segments = scratch + argP(job, SparseConvArg.Segments);
  const masks = scratch + argP(job, SparseConvArg.Masks);
  const channelStep = <usize>kh * kw * cout << 2;
  const bucketBytes = <usize>cin * EVENT_BYTES;
  const src = x + <usize>s * bytes(cin * plane);
  const unit = spikeMasks(src, cin, plane, masks);
  if (unit) bucketSpikes(masks, cin, plane, weights, channelStep, counts, events, bucketBytes);
  else bucketValues(src, cin, plane, weights, channelStep, counts, events, bucketBytes);
  for (let oy = 0; oy < oh; oy++) {
    for (let ox = 0; ox < ow; ox++) {
      let segmentCount = 0;
      for (let ky = 0; ky < kh; ky++) {
        const iy = oy * sh - ph + ky * dh;
        if (iy < 0 || iy >= h) continue;
        for (let kx = 0; kx < kw; kx++) {
          const ix = ox * sw - pw + kx * dw;
          if (ix < 0 || ix >= w) continue;
          const p = iy * w + ix;
          const count = load<i32>(counts + bytes(p));
          if (count == 0) continue;
          writeSegment(segments + <usize>segmentCount * SEGMENT_BYTES, events + <usize>p * bucketBytes, count, bytes((ky * kw + kx) * cout), unit);
          segmentCount++;
        }
      }
      const row = rowsOut + bytes((oy * ow + ox) * cout);
      for (let c = 0, width = 0; c < cout; c += width) {
        width = tileWidth(c, cout);
        tile(width, c, segments, segmentCount, bias, row);
      }
    }
  }
}

/**
 * dst[c, r] = src[r, c] for src rows x cols and the columns c in [c0, c1), in 4x4 blocks with
 * scalar edges (c0 a multiple of 4).
 */
function transposeInto(src: usize, rows: i32, cols: i32, dst: usize, c0: i32, c1: i32): void {
  const srcStep = bytes(cols), dstStep = bytes(rows);
  let c = c0;
  for (; c + 4 <= c1; c += 4) {
    let r = 0;
    for (; r + 4 <= rows; r += 4) {
      const s = src + <usize>r * srcStep + bytes(c);
      transpose4(v128.load(s), v128.load(s + srcStep), v128.load(s + 2 * srcStep), v128.load(s + 3 * srcStep),
        dst + <usize>c * dstStep + bytes(r), dstStep);
    }
    for (; r < rows; r++) {
      for (let j = c; j < c + 4; j++) store<f32>(dst + <usize>j * dstStep + bytes(r), load<f32>(src + <usize>r * srcStep + bytes(j)));
    }
  }
  for (; c < c1; c++) {
    for (let r = 0; r < rows; r++) store<f32>(dst + <usize>c * dstStep + bytes(r), load<f32>(src + <usize>r * srcStep + bytes(c)));
  }
}

/** Columns of a work unit of the transpose job (a multiple of 4). */
const TRANSPOSE_COLUMNS = 64;

/**
 * Job: dst [cols, rows] = the transpose of src [rows, cols]: how the event-driven layers lay out
 * their weights, a row per input. Args: src, dst, rows, cols.
 */
export function transpose(job: usize): void {
  const src = argP(job, TransposeArg.Src), dst = argP(job, TransposeArg.Dst), rows = argI(job, TransposeArg.Rows), cols = argI(job, TransposeArg.Cols);
  for (let u = claim(job); u * TRANSPOSE_COLUMNS < cols; u = claim(job)) {
    const c0 = u * TRANSPOSE_COLUMNS;
    transposeInto(src, rows, cols, dst, c0, min(cols, c0 + TRANSPOSE_COLUMNS));
  }
}
