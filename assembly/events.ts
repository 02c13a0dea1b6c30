// Event-driven dense and convolution layers for inputs that are mostly zero (spike trains): instead
// of a dense product, every nonzero input element (an event) adds its value times one row of
// rearranged weights into the outputs it reaches. Outputs are computed in register tiles of up to
// 32 channels; each event visits the tile's weights contiguously. Every output sums its events in
// one fixed order (input index order; for convolutions filter tap, then input channel) on the one
// thread that owns its row or sample, so results do not depend on the thread count, and the
// reference backend reproduces them bit for bit.

import { argB, argI, argP, claim } from "./job";
import { transpose4 } from "./gemm";

/** An event: byte address of its weight row (of the first tap, for convolutions), then its value. */
const EVENT_BYTES: usize = 8;
/**
 * A segment: address of a run of events, their count, the byte offset of the filter tap they hit,
 * and (in the dense layer) whether all their values are 1.
 */
const SEGMENT_BYTES: usize = 16;
/** Rows of the dense layer per work unit. */
const ROWS_PER_UNIT = 16;

/**
 * Writes an event for every nonzero of x[0, n) to `events`, with weight address wBase + i*wStep
 * for element i, and fills `segment` with them: their address, their count, tap offset 0, and 1
 * if every value is 1 (else 0). Every element is written and kept or not by adding its
 * nonzero-ness to the count, with no branch on it: spike trains make such branches unpredictable.
 */
function scanEvents(x: usize, n: i32, wBase: usize, wStep: usize, events: usize, segment: usize): void {
  let count = 0;
  let binary = i32x4.splat(-1);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const v = v128.load(x + bytes(i));
    binary = v128.and(binary, v128.or(f32x4.eq(v, f32x4.splat(0)), f32x4.eq(v, f32x4.splat(1))));
    const nonzero = f32x4.ne(v, f32x4.splat(0));
    const w = wBase + <usize>i * wStep;
    let e = events + <usize>count * EVENT_BYTES;
    store<u32>(e, <u32>w); store<f32>(e, f32x4.extract_lane(v, 0), 4);
    count -= i32x4.extract_lane(nonzero, 0);
    e = events + <usize>count * EVENT_BYTES;
    store<u32>(e, <u32>(w + wStep)); store<f32>(e, f32x4.extract_lane(v, 1), 4);
    count -= i32x4.extract_lane(nonzero, 1);
    e = events + <usize>count * EVENT_BYTES;
    store<u32>(e, <u32>(w + 2 * wStep)); store<f32>(e, f32x4.extract_lane(v, 2), 4);
    count -= i32x4.extract_lane(nonzero, 2);
    e = events + <usize>count * EVENT_BYTES;
    store<u32>(e, <u32>(w + 3 * wStep)); store<f32>(e, f32x4.extract_lane(v, 3), 4);
    count -= i32x4.extract_lane(nonzero, 3);
  }
  let unit = v128.all_true<i32>(binary);
  for (; i < n; i++) {
    const value = load<f32>(x + bytes(i));
    const e = events + <usize>count * EVENT_BYTES;
    store<u32>(e, <u32>(wBase + <usize>i * wStep));
    store<f32>(e, value, 4);
    count += i32(value != 0);
    unit = unit && (value == 0 || value == 1);
  }
  store<u32>(segment, <u32>events);
  store<u32>(segment, <u32>count, 4);
  store<u32>(segment, 0, 8);
  store<u32>(segment, unit ? 1 : 0, 12);
}

@inline function bytes(elements: i32): usize { return <usize>elements << 2; }

/**
 * dst[0, 32) = bias[0, 32) (or 0 when bias is 0) + the sum over the segments' events of
 * value * w[channel, channel + 32). When unit says that every value is 1 (binary spikes), the
 * multiplications, which would change no bits, are left out.
 */
function tile32(segments: usize, segmentCount: i32, channel: usize, bias: usize, dst: usize, unit: bool): void {
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
    for (; e < end; e += EVENT_BYTES) {
      const w = <usize>load<u32>(e) + offset;
      if (unit) {
        a0 = f32x4.add(a0, v128.load(w)); a1 = f32x4.add(a1, v128.load(w, 16));
        a2 = f32x4.add(a2, v128.load(w, 32)); a3 = f32x4.add(a3, v128.load(w, 48));
        a4 = f32x4.add(a4, v128.load(w, 64)); a5 = f32x4.add(a5, v128.load(w, 80));
        a6 = f32x4.add(a6, v128.load(w, 96)); a7 = f32x4.add(a7, v128.load(w, 112));
      } else {
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
function tile16(segments: usize, segmentCount: i32, channel: usize, bias: usize, dst: usize, unit: bool): void {
  let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
  if (bias != 0) { a0 = v128.load(bias); a1 = v128.load(bias, 16); a2 = v128.load(bias, 32); a3 = v128.load(bias, 48); }
  for (let s = 0; s < segmentCount; s++) {
    const seg = segments + <usize>s * SEGMENT_BYTES;
    let e = <usize>load<u32>(seg);
    const end = e + <usize>load<u32>(seg, 4) * EVENT_BYTES;
    const offset = <usize>load<u32>(seg, 8) + channel;
    for (; e < end; e += EVENT_BYTES) {
      const w = <usize>load<u32>(e) + offset;
      if (unit) {
        a0 = f32x4.add(a0, v128.load(w)); a1 = f32x4.add(a1, v128.load(w, 16));
        a2 = f32x4.add(a2, v128.load(w, 32)); a3 = f32x4.add(a3, v128.load(w, 48));
      } else {
        const v = v128.load32_splat(e, 4);
        a0 = f32x4.add(a0, f32x4.mul(v, v128.load(w))); a1 = f32x4.add(a1, f32x4.mul(v, v128.load(w, 16)));
        a2 = f32x4.add(a2, f32x4.mul(v, v128.load(w, 32))); a3 = f32x4.add(a3, f32x4.mul(v, v128.load(w, 48)));
      }
    }
  }
  v128.store(dst, a0); v128.store(dst, a1, 16); v128.store(dst, a2, 32); v128.store(dst, a3, 48);
}

/** tile32 for 4 channels. */
function tile4(segments: usize, segmentCount: i32, channel: usize, bias: usize, dst: usize, unit: bool): void {
  let a = bias != 0 ? v128.load(bias) : f32x4.splat(0);
  for (let s = 0; s < segmentCount; s++) {
    const seg = segments + <usize>s * SEGMENT_BYTES;
    let e = <usize>load<u32>(seg);
    const end = e + <usize>load<u32>(seg, 4) * EVENT_BYTES;
    const offset = <usize>load<u32>(seg, 8) + channel;
    for (; e < end; e += EVENT_BYTES) {
      const w = v128.load(<usize>load<u32>(e) + offset);
      if (unit) a = f32x4.add(a, w);
      else a = f32x4.add(a, f32x4.mul(v128.load32_splat(e, 4), w));
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
@inline function tile(width: i32, c: i32, segments: usize, segmentCount: i32, bias: usize, dst: usize, unit: bool): void {
  const b = bias != 0 ? bias + bytes(c) : 0;
  if (width == 32) tile32(segments, segmentCount, bytes(c), b, dst + bytes(c), unit);
  else if (width == 16) tile16(segments, segmentCount, bytes(c), b, dst + bytes(c), unit);
  else if (width == 4) tile4(segments, segmentCount, bytes(c), b, dst + bytes(c), unit);
  else tile1(segments, segmentCount, bytes(c), b, dst + bytes(c));
}

/**
 * Job: y[r, o] = bias[o] + sum over nonzero x[r, i] of x[r, i] * weightT[i, o]. Args: x, weightT
 * ([in, out]), bias, hasBias, y, rows, in, out, scratchBase, scratchStride. A thread's scratch
 * holds one segment, then room for a row of events.
 */
export function sparseLinear(job: usize, tid: i32): void {
  const x = argP(job, 1), weightT = argP(job, 2), hasBias = argB(job, 4), y = argP(job, 5);
  const bias = hasBias ? argP(job, 3) : 0;
  const rows = argI(job, 6), inFeatures = argI(job, 7), outFeatures = argI(job, 8);
  const segment = argP(job, 9) + <usize>tid * argP(job, 10);
  const events = segment + SEGMENT_BYTES;
  const rowStep = bytes(outFeatures);
  for (let u = claim(job); u * ROWS_PER_UNIT < rows; u = claim(job)) {
    const r1 = min(rows, (u + 1) * ROWS_PER_UNIT);
    for (let r = u * ROWS_PER_UNIT; r < r1; r++) {
      scanEvents(x + <usize>r * bytes(inFeatures), inFeatures, weightT, rowStep, events, segment);
      const unit = load<u32>(segment, 12) != 0;
      for (let c = 0, width = 0; c < outFeatures; c += width) {
        width = tileWidth(c, outFeatures);
        tile(width, c, segment, 1, bias, y + <usize>r * rowStep, unit);
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

/** Slot of the first of the 15 geometry values, as in the convolution jobs of conv.ts. */
const GEO = 8;

@inline function geo(job: usize, i: i32): i32 { return argI(job, GEO + i); }

/**
 * Job: y = conv(x, w) + bias from x's nonzero elements. Args: x, weightByTap ([cin, kh, kw,
 * cout]), bias, hasBias, y, scratchBase, scratchStride, geometry, then the byte offsets within a
 * thread's scratch of its events, segments and output rows (its bucket counts come first). Per
 * sample, the events are bucketed by input position (channel order within a bucket); each output
 * position then sums the buckets under its filter taps into a channels-last row, and the rows are
 * transposed into y.
 */
export function sparseConv(job: usize, tid: i32): void {
  const x = argP(job, 1), weights = argP(job, 2), hasBias = argB(job, 4), y = argP(job, 5);
  const bias = hasBias ? argP(job, 3) : 0;
  const n = geo(job, 0), cin = geo(job, 1), h = geo(job, 2), w = geo(job, 3), cout = geo(job, 4);
  const kh = geo(job, 5), kw = geo(job, 6), sh = geo(job, 7), sw = geo(job, 8), ph = geo(job, 9), pw = geo(job, 10);
  const dh = geo(job, 11), dw = geo(job, 12), oh = geo(job, 13), ow = geo(job, 14);
  const plane = h * w, spatial = oh * ow;
  const counts = argP(job, 6) + <usize>tid * argP(job, 7);
  const events = counts + argP(job, GEO + 15), segments = counts + argP(job, GEO + 16), rowsOut = counts + argP(job, GEO + 17);
  const channelStep = <usize>kh * kw * cout << 2;
  const bucketBytes = <usize>cin * EVENT_BYTES;
  const inBytes = <usize>cin * plane << 2, outBytes = <usize>cout * spatial << 2;
  for (let s = claim(job); s < n; s = claim(job)) {
    memory.fill(counts, 0, bytes(plane));
    let binary = i32x4.splat(-1);
    let unit = true;
    for (let c = 0; c < cin; c++) {
      const src = x + <usize>s * inBytes + <usize>c * bytes(plane);
      const weightRow = <u32>(weights + <usize>c * channelStep);
      // Branch-free, as in scanEvents: every element is written to its bucket, and counted if nonzero.
      let p = 0;
      for (; p + 4 <= plane; p += 4) {
        const v = v128.load(src + bytes(p));
        binary = v128.and(binary, v128.or(f32x4.eq(v, f32x4.splat(0)), f32x4.eq(v, f32x4.splat(1))));
        const nonzero = f32x4.ne(v, f32x4.splat(0));
        addToBucket(counts, events, bucketBytes, p, weightRow, f32x4.extract_lane(v, 0), i32x4.extract_lane(nonzero, 0));
        addToBucket(counts, events, bucketBytes, p + 1, weightRow, f32x4.extract_lane(v, 1), i32x4.extract_lane(nonzero, 1));
        addToBucket(counts, events, bucketBytes, p + 2, weightRow, f32x4.extract_lane(v, 2), i32x4.extract_lane(nonzero, 2));
        addToBucket(counts, events, bucketBytes, p + 3, weightRow, f32x4.extract_lane(v, 3), i32x4.extract_lane(nonzero, 3));
      }
      for (; p < plane; p++) {
        const value = load<f32>(src + bytes(p));
        addToBucket(counts, events, bucketBytes, p, weightRow, value, -i32(value != 0));
        unit = unit && (value == 0 || value == 1);
      }
    }
    unit = unit && v128.all_true<i32>(binary);
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
            const seg = segments + <usize>segmentCount * SEGMENT_BYTES;
            store<u32>(seg, <u32>(events + <usize>p * bucketBytes));
            store<u32>(seg, <u32>count, 4);
            store<u32>(seg, <u32>bytes((ky * kw + kx) * cout), 8);
            segmentCount++;
          }
        }
        const row = rowsOut + bytes((oy * ow + ox) * cout);
        for (let c = 0, width = 0; c < cout; c += width) {
          width = tileWidth(c, cout);
          tile(width, c, segments, segmentCount, bias, row, unit);
        }
      }
    }
    transposeInto(rowsOut, spatial, cout, y + <usize>s * outBytes, 0, cout);
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
  const src = argP(job, 1), dst = argP(job, 2), rows = argI(job, 3), cols = argI(job, 4);
  for (let u = claim(job); u * TRANSPOSE_COLUMNS < cols; u = claim(job)) {
    const c0 = u * TRANSPOSE_COLUMNS;
    transposeInto(src, rows, cols, dst, c0, min(cols, c0 + TRANSPOSE_COLUMNS));
  }
}
