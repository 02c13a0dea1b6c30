// Elementwise maps, broadcasting binary ops, reductions along an axis and softmax. Threads take
// contiguous, 4-aligned shares of the output, so every element is computed the same way whatever
// the thread count.

import { AccumulateArg, AffineArg, BinaryArg, BinaryCode, CopyRowsArg, CopyStridedArg, SoftmaxArg, SoftmaxBackwardArg, SumAxisArg, UnaryArg, UnaryBackwardArg, UnaryCode } from "../src/core/backends/wasm/kernel-interface";
import { argB, argF, argI, argP, claim, ELEMENT_CHUNK } from "./job";
import { expv, loadPartial, logv, sigmoidv, storePartial, tanhv } from "./mathv";

@inline function unaryv(op: i32, x: v128): v128 {
  switch (op) {
    case UnaryCode.Neg: return f32x4.neg(x);
    case UnaryCode.Exp: return expv(x);
    case UnaryCode.Log: return logv(x);
    case UnaryCode.Relu: return v128.and(x, f32x4.gt(x, f32x4.splat(0)));
    case UnaryCode.Sigmoid: return sigmoidv(x);
    case UnaryCode.Tanh: return tanhv(x);
    case UnaryCode.Sqrt: return f32x4.sqrt(x);
    case UnaryCode.Abs: return f32x4.abs(x);
    default: return f32x4.mul(x, x);
  }
}

@inline function unaryDerivativeTimes(op: i32, x: v128, y: v128, dy: v128): v128 {
  const one = f32x4.splat(1), zero = f32x4.splat(0);
  switch (op) {
    case UnaryCode.Neg: return f32x4.neg(dy);
    case UnaryCode.Exp: return f32x4.mul(dy, y);
    case UnaryCode.Log: return f32x4.mul(dy, f32x4.div(one, x));
    case UnaryCode.Relu: return f32x4.mul(dy, v128.and(one, f32x4.gt(x, zero)));
    case UnaryCode.Sigmoid: return f32x4.mul(dy, f32x4.mul(y, f32x4.sub(one, y)));
    // (1 - y)(1 + y) rather than 1 - y*y: no cancellation when |y| is near 1.
    case UnaryCode.Tanh: return f32x4.mul(dy, f32x4.mul(f32x4.sub(one, y), f32x4.add(one, y)));
    case UnaryCode.Sqrt: return f32x4.mul(dy, f32x4.div(f32x4.splat(0.5), y));
    case UnaryCode.Abs: {
      const sign = v128.bitselect(one, v128.and(f32x4.splat(-1), f32x4.lt(x, zero)), f32x4.gt(x, zero));
      return f32x4.mul(dy, sign);
    }
    default: return f32x4.mul(dy, f32x4.add(x, x));
  }
}

@inline function binaryv(op: i32, a: v128, b: v128): v128 {
  switch (op) {
    case BinaryCode.Add: return f32x4.add(a, b);
    case BinaryCode.Sub: return f32x4.sub(a, b);
    case BinaryCode.Mul: return f32x4.mul(a, b);
    case BinaryCode.Div: return f32x4.div(a, b);
    case BinaryCode.Max: return v128.bitselect(a, b, f32x4.ge(a, b));
    default: return v128.bitselect(a, b, f32x4.le(a, b));
  }
}

/** Job: y = op(x). Args: op, x, y, n. */
export function unary(job: usize): void {
  const op = argI(job, UnaryArg.Op), x = argP(job, UnaryArg.X), y = argP(job, UnaryArg.Y), n = argI(job, UnaryArg.Count);
  for (let c = claim(job); c * ELEMENT_CHUNK < n; c = claim(job)) {
    const e0 = c * ELEMENT_CHUNK, e1 = min(n, e0 + ELEMENT_CHUNK);
    let e = e0;
    for (; e + 4 <= e1; e += 4) {
      const off = <usize>e << 2;
      v128.store(y + off, unaryv(op, v128.load(x + off)));
    }
    if (e < e1) {
      const off = <usize>e << 2;
      storePartial(y + off, unaryv(op, loadPartial(x + off, e1 - e)), e1 - e);
    }
  }
}

/** Job: dx = dy * op'(x) (using y = op(x)). Args: op, x, y, dy, dx, n. */
export function unaryBackward(job: usize): void {
  const op = argI(job, UnaryBackwardArg.Op), x = argP(job, UnaryBackwardArg.X), y = argP(job, UnaryBackwardArg.Y), dy = argP(job, UnaryBackwardArg.Dy), dx = argP(job, UnaryBackwardArg.Dx), n = argI(job, UnaryBackwardArg.Count);
  for (let c = claim(job); c * ELEMENT_CHUNK < n; c = claim(job)) {
    const e0 = c * ELEMENT_CHUNK, e1 = min(n, e0 + ELEMENT_CHUNK);
    let e = e0;
    for (; e + 4 <= e1; e += 4) {
      const off = <usize>e << 2;
      v128.store(dx + off, unaryDerivativeTimes(op, v128.load(x + off), v128.load(y + off), v128.load(dy + off)));
    }
    if (e < e1) {
      const off = <usize>e << 2, rest = e1 - e;
      storePartial(dx + off, unaryDerivativeTimes(op, loadPartial(x + off, rest), loadPartial(y + off, rest), loadPartial(dy + off, rest)), rest);
    }
  }
}

/**
 * Job: out[i0, i1, i2] = a[..] op b[..] over a shape of up to 3 dimensions, where a and b are read
 * at element strides (sa0, sa1, sa2), (sb0, sb1, sb2) and the innermost strides are 0 or 1.
 * Args: op, a, b, out, d0, d1, d2, sa0, sa1, sa2, sb0, sb1, sb2.
 */
export function binary(job: usize): void {
  const op = argI(job, BinaryArg.Op), a = argP(job, BinaryArg.A), b = argP(job, BinaryArg.B), out = argP(job, BinaryArg.Out);
  const d1 = argI(job, BinaryArg.D1), d2 = argI(job, BinaryArg.D2);
  const sa0 = argI(job, BinaryArg.StrideA0), sa1 = argI(job, BinaryArg.StrideA1), aVec = argI(job, BinaryArg.StrideA2) != 0;
  const sb0 = argI(job, BinaryArg.StrideB0), sb1 = argI(job, BinaryArg.StrideB1), bVec = argI(job, BinaryArg.StrideB2) != 0;
  const total = argI(job, BinaryArg.D0) * d1 * d2;
  for (let c = claim(job); c * ELEMENT_CHUNK < total; c = claim(job)) {
    const e0 = c * ELEMENT_CHUNK, e1 = min(total, e0 + ELEMENT_CHUNK);
    let e = e0;
    while (e < e1) {
      const row = e / d2, col = e % d2;
      const len = min(d2 - col, e1 - e);
      const r0 = row / d1, r1 = row % d1;
      let pa = a + (<usize>(r0 * sa0 + r1 * sa1 + (aVec ? col : 0)) << 2);
      let pb = b + (<usize>(r0 * sb0 + r1 * sb1 + (bVec ? col : 0)) << 2);
      let po = out + (<usize>e << 2);
      const stepA: usize = aVec ? 16 : 0, stepB: usize = bVec ? 16 : 0;
      const sa = v128.load32_splat(pa), sb = v128.load32_splat(pb);
      let i = 0;
      for (; i + 4 <= len; i += 4) {
        v128.store(po, binaryv(op, aVec ? v128.load(pa) : sa, bVec ? v128.load(pb) : sb));
        pa += stepA; pb += stepB; po += 16;
      }
      if (i < len) {
        const rest = len - i;
        storePartial(po, binaryv(op, aVec ? loadPartial(pa, rest) : sa, bVec ? loadPartial(pb, rest) : sb), rest);
      }
      e += len;
    }
  }
}

/**
 * Job: y[i0, i1, i2] = x[i0*s0 + i1*s1 + i2*s2] over a shape of up to 3 dimensions (element
 * strides; x already points at the starting offset). Args: x, y, d0, d1, d2, s0, s1, s2.
 */
export function copyStrided(job: usize): void {
  const x = argP(job, CopyStridedArg.X), y = argP(job, CopyStridedArg.Y), d1 = argI(job, CopyStridedArg.D1), d2 = argI(job, CopyStridedArg.D2);
  const s0 = argI(job, CopyStridedArg.S0), s1 = argI(job, CopyStridedArg.S1), s2 = argI(job, CopyStridedArg.S2);
  const total = argI(job, CopyStridedArg.D0) * d1 * d2;
  for (let c = claim(job); c * ELEMENT_CHUNK < total; c = claim(job)) {
    const e0 = c * ELEMENT_CHUNK, e1 = min(total, e0 + ELEMENT_CHUNK);
    let e = e0;
    while (e < e1) {
      const row = e / d2, col = e % d2;
      const len = min(d2 - col, e1 - e);
      const src = x + (<usize>((row / d1) * s0 + (row % d1) * s1 + col * s2) << 2);
      const dst = y + (<usize>e << 2);
      if (s2 == 1) {
        memory.copy(dst, src, <usize>len << 2);
      } else if (s2 == 0) {
        const v = v128.load32_splat(src);
        let i = 0;
        for (; i + 4 <= len; i += 4) v128.store(dst + (<usize>i << 2), v);
        for (; i < len; i++) store<f32>(dst + (<usize>i << 2), f32x4.extract_lane(v, 0));
      } else {
        const step = <usize>s2 << 2;
        let p = src;
        for (let i = 0; i < len; i++, p += step) store<f32>(dst + (<usize>i << 2), load<f32>(p));
      }
      e += len;
    }
  }
}

/**
 * Job: rows r of the rows x cols matrix x copied to y + r*yStride (element offsets and strides).
 * Args: x, y, rows, cols, yStride. Work units are runs of rows of about ELEMENT_CHUNK elements.
 */
export function copyRows(job: usize): void {
  const x = argP(job, CopyRowsArg.X), y = argP(job, CopyRowsArg.Y), rows = argI(job, CopyRowsArg.Rows), cols = argI(job, CopyRowsArg.Cols), yStride = argI(job, CopyRowsArg.YStride);
  const rowsPerUnit = max(1, ELEMENT_CHUNK / max(1, cols));
  const rowBytes = <usize>cols << 2;
  for (let u = claim(job); u * rowsPerUnit < rows; u = claim(job)) {
    const r1 = min(rows, (u + 1) * rowsPerUnit);
    for (let r = u * rowsPerUnit; r < r1; r++) memory.copy(y + (<usize>r * yStride << 2), x + <usize>r * rowBytes, rowBytes);
  }
}

/** Job: y = x * scale + shift, in float64 like the reference (so bit-identical to it). Args: x, y, n, scale, shift. */
export function affine(job: usize): void {
  const x = argP(job, AffineArg.X), y = argP(job, AffineArg.Y), n = argI(job, AffineArg.Count);
  const scale = f64x2.splat(argF(job, AffineArg.Scale)), shift = f64x2.splat(argF(job, AffineArg.Shift));
  for (let c = claim(job); c * ELEMENT_CHUNK < n; c = claim(job)) {
    const e0 = c * ELEMENT_CHUNK, e1 = min(n, e0 + ELEMENT_CHUNK);
    let e = e0;
    for (; e + 4 <= e1; e += 4) {
      const off = <usize>e << 2;
      const v = v128.load(x + off);
      const lo = f64x2.add(f64x2.mul(f64x2.promote_low_f32x4(v), scale), shift);
      const hi = f64x2.add(f64x2.mul(f64x2.promote_low_f32x4(i32x4.shuffle(v, v, 2, 3, 0, 1)), scale), shift);
      v128.store(y + off, i32x4.shuffle(f32x4.demote_f64x2_zero(lo), f32x4.demote_f64x2_zero(hi), 0, 1, 4, 5));
    }
    const s = argF(job, AffineArg.Scale), t = argF(job, AffineArg.Shift);
    for (; e < e1; e++) {
      const off = <usize>e << 2;
      store<f32>(y + off, <f32>(<f64>load<f32>(x + off) * s + t));
    }
  }
}

/** Job: y += x. Args: x, y, n. */
export function accumulate(job: usize): void {
  const x = argP(job, AccumulateArg.X), y = argP(job, AccumulateArg.Y), n = argI(job, AccumulateArg.Count);
  for (let c = claim(job); c * ELEMENT_CHUNK < n; c = claim(job)) {
    const e0 = c * ELEMENT_CHUNK, e1 = min(n, e0 + ELEMENT_CHUNK);
    let e = e0;
    for (; e + 4 <= e1; e += 4) {
      const off = <usize>e << 2;
      v128.store(y + off, f32x4.add(v128.load(y + off), v128.load(x + off)));
    }
    for (; e < e1; e++) {
      const off = <usize>e << 2;
      store<f32>(y + off, load<f32>(y + off) + load<f32>(x + off));
    }
  }
}

/** Columns of y summed in blocks this wide stay in L1 while the reduced axis streams past. */
const SUM_BLOCK = 256;
/** Outputs per work unit of sumAxis: a multiple of 4 (SIMD) and of SUM_BLOCK. */
const SUM_CHUNK = 4096;

/**
 * Job: y[o, i] = sum over j of x[o, j, i]. With inner > 1 the sum runs over j in order, as in the
 * reference; with inner = 1 each row is summed in 4 SIMD lanes. Args: x, y, outer, len, inner.
 */
export function sumAxis(job: usize): void {
  const x = argP(job, SumAxisArg.X), y = argP(job, SumAxisArg.Y), outer = argI(job, SumAxisArg.Outer), len = argI(job, SumAxisArg.Length), inner = argI(job, SumAxisArg.Inner);
  const total = outer * inner;
  for (let c = claim(job); c * SUM_CHUNK < total; c = claim(job)) {
    const e0 = c * SUM_CHUNK, e1 = min(total, e0 + SUM_CHUNK);
    if (inner == 1) {
      for (let o = e0; o < e1; o++) {
        let p = x + (<usize>o * len << 2);
        const end = p + (<usize>len << 2);
        let acc = f32x4.splat(0);
        for (; p + 16 <= end; p += 16) acc = f32x4.add(acc, v128.load(p));
        let sum = (f32x4.extract_lane(acc, 0) + f32x4.extract_lane(acc, 1)) + (f32x4.extract_lane(acc, 2) + f32x4.extract_lane(acc, 3));
        for (; p < end; p += 4) sum += load<f32>(p);
        store<f32>(y + (<usize>o << 2), sum);
      }
      continue;
    }
    let e = e0;
    while (e < e1) {
      const o = e / inner, i0 = e % inner;
      const i1 = min(inner, min(i0 + (e1 - e), i0 + SUM_BLOCK));
      const dst = y + (<usize>e << 2);
      const width = i1 - i0;
      memory.fill(dst, 0, <usize>width << 2);
      for (let j = 0; j < len; j++) {
        const src = x + ((<usize>(o * len + j) * inner + i0) << 2);
        let i = 0;
        for (; i + 4 <= width; i += 4) {
          const off = <usize>i << 2;
          v128.store(dst + off, f32x4.add(v128.load(dst + off), v128.load(src + off)));
        }
        for (; i < width; i++) {
          const off = <usize>i << 2;
          store<f32>(dst + off, load<f32>(dst + off) + load<f32>(src + off));
        }
      }
      e += width;
    }
  }
}

@inline function horizontalMax(v: v128): f32 {
  return max(max(f32x4.extract_lane(v, 0), f32x4.extract_lane(v, 1)), max(f32x4.extract_lane(v, 2), f32x4.extract_lane(v, 3)));
}
@inline function horizontalSum(v: v128): f32 {
  return (f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1)) + (f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3));
}

/** Job: row-wise softmax or log-softmax, max-subtracted. Args: x, y, rows, cols, log. */
export function softmax(job: usize): void {
  const x = argP(job, SoftmaxArg.X), y = argP(job, SoftmaxArg.Y), rows = argI(job, SoftmaxArg.Rows), cols = argI(job, SoftmaxArg.Cols), log = argB(job, SoftmaxArg.Log);
  const rowChunk = max(1, ELEMENT_CHUNK / max(1, cols));
  for (let c = claim(job); c * rowChunk < rows; c = claim(job)) {
    const r0 = c * rowChunk, r1 = min(rows, r0 + rowChunk);
    const full = cols & ~3, rest = cols - full;
    const negInf = f32x4.splat(-Infinity);
    for (let r = r0; r < r1; r++) {
      const xr = x + (<usize>r * cols << 2), yr = y + (<usize>r * cols << 2);
      let vmax = negInf;
      for (let j = 0; j < full; j += 4) vmax = f32x4.max(vmax, v128.load(xr + (<usize>j << 2)));
      if (rest > 0) vmax = f32x4.max(vmax, v128.bitselect(loadPartial(xr + (<usize>full << 2), rest), negInf, i32x4.lt_s(i32x4(0, 1, 2, 3), i32x4.splat(rest))));
      const mx = f32x4.splat(horizontalMax(vmax));
      let vsum = f32x4.splat(0);
      for (let j = 0; j < full; j += 4) vsum = f32x4.add(vsum, expv(f32x4.sub(v128.load(xr + (<usize>j << 2)), mx)));
      let sum = horizontalSum(vsum);
      if (rest > 0) {
        const tail = expv(f32x4.sub(loadPartial(xr + (<usize>full << 2), rest), mx));
        sum += f32x4.extract_lane(tail, 0);
        if (rest > 1) sum += f32x4.extract_lane(tail, 1);
        if (rest > 2) sum += f32x4.extract_lane(tail, 2);
      }
      if (log) {
        const shift = f32x4.add(mx, logv(f32x4.splat(sum)));
        for (let j = 0; j < full; j += 4) v128.store(yr + (<usize>j << 2), f32x4.sub(v128.load(xr + (<usize>j << 2)), shift));
        if (rest > 0) storePartial(yr + (<usize>full << 2), f32x4.sub(loadPartial(xr + (<usize>full << 2), rest), shift), rest);
      } else {
        const inv = f32x4.splat(sum);
        for (let j = 0; j < full; j += 4) v128.store(yr + (<usize>j << 2), f32x4.div(expv(f32x4.sub(v128.load(xr + (<usize>j << 2)), mx)), inv));
        if (rest > 0) storePartial(yr + (<usize>full << 2), f32x4.div(expv(f32x4.sub(loadPartial(xr + (<usize>full << 2), rest), mx)), inv), rest);
      }
    }
  }
}

/** Job: softmax (or log-softmax) backward from y and dy. Args: y, dy, dx, rows, cols, log. */
export function softmaxBackward(job: usize): void {
  const y = argP(job, SoftmaxBackwardArg.Y), dy = argP(job, SoftmaxBackwardArg.Dy), dx = argP(job, SoftmaxBackwardArg.Dx), rows = argI(job, SoftmaxBackwardArg.Rows), cols = argI(job, SoftmaxBackwardArg.Cols), log = argB(job, SoftmaxBackwardArg.Log);
  const rowChunk = max(1, ELEMENT_CHUNK / max(1, cols));
  for (let c = claim(job); c * rowChunk < rows; c = claim(job)) {
    const r0 = c * rowChunk, r1 = min(rows, r0 + rowChunk);
    const full = cols & ~3, rest = cols - full;
    for (let r = r0; r < r1; r++) {
      const base = <usize>r * cols << 2;
      const yr = y + base, gr = dy + base, dr = dx + base;
      let vdot = f32x4.splat(0);
      for (let j = 0; j < full; j += 4) {
        const off = <usize>j << 2;
        const g = v128.load(gr + off);
        vdot = f32x4.add(vdot, log ? g : f32x4.mul(g, v128.load(yr + off)));
      }
      let dot = horizontalSum(vdot);
      for (let j = full; j < cols; j++) {
        const off = <usize>j << 2;
        dot += log ? load<f32>(gr + off) : load<f32>(gr + off) * load<f32>(yr + off);
      }
      const d = f32x4.splat(dot);
      for (let j = 0; j < full; j += 4) {
        const off = <usize>j << 2;
        const yv = v128.load(yr + off), g = v128.load(gr + off);
        v128.store(dr + off, log ? f32x4.sub(g, f32x4.mul(expv(yv), d)) : f32x4.mul(yv, f32x4.sub(g, d)));
      }
      if (rest > 0) {
        const off = <usize>full << 2;
        const yv = loadPartial(yr + off, rest), g = loadPartial(gr + off, rest);
        storePartial(dr + off, log ? f32x4.sub(g, f32x4.mul(expv(yv), d)) : f32x4.mul(yv, f32x4.sub(g, d)), rest);
      }
    }
  }
}
