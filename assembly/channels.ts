// Per-channel reductions and affine maps over a view [outer, channels, inner]: batch
// normalisation's passes, one read of the data each instead of a chain of broadcast ops. The sums
// run in float64 in four lanes, in the order the reference backend's laneSum uses, so both give the
// same bits whatever the thread count: a channel's sums are one thread's work unit.

import { ChannelAffineArg, ChannelGradientSumsArg, ChannelMomentsArg } from "../src/core/backends/wasm/kernel-interface";
import { argI, argP, claim, ELEMENT_CHUNK } from "./job";

@inline function lanesLow(v: v128): v128 {
  return f64x2.promote_low_f32x4(v);
}

@inline function lanesHigh(v: v128): v128 {
  return f64x2.promote_low_f32x4(i32x4.shuffle(v, v, 2, 3, 0, 1));
}

/** The four lanes' sum, added as (0 + 1) + (2 + 3) like the reference backend's laneSum. */
@inline function laneTotal(lo: v128, hi: v128): f64 {
  return (f64x2.extract_lane(lo, 0) + f64x2.extract_lane(lo, 1)) + (f64x2.extract_lane(hi, 0) + f64x2.extract_lane(hi, 1));
}

/** The float32 at p as float64, or 0 past the row's end (adding +0 leaves a lane's sum as it is). */
@inline function tailLoad(p: usize, i: i32, inner: i32): f64 {
  return i < inner ? <f64>load<f32>(p) : 0;
}

/**
 * Job: mean[c] and biased variance[c] about the float32 mean, one channel per work unit.
 * Args: x, outer, channels, inner, mean, variance.
 */
export function channelMoments(job: usize): void {
  const x = argP(job, ChannelMomentsArg.X), outer = argI(job, ChannelMomentsArg.Outer), channels = argI(job, ChannelMomentsArg.Channels), inner = argI(job, ChannelMomentsArg.Inner);
  const mean = argP(job, ChannelMomentsArg.Mean), variance = argP(job, ChannelMomentsArg.Variance);
  const count = <f64>outer * <f64>inner;
  for (let c = claim(job); c < channels; c = claim(job)) {
    let a01 = f64x2.splat(0), a23 = f64x2.splat(0);
    for (let o = 0; o < outer; o++) {
      const row = x + ((<usize>(o * channels + c) * inner) << 2);
      let i = 0;
      for (; i + 4 <= inner; i += 4) {
        const v = v128.load(row + (<usize>i << 2));
        a01 = f64x2.add(a01, lanesLow(v));
        a23 = f64x2.add(a23, lanesHigh(v));
      }
      if (i < inner) {
        const p = row + (<usize>i << 2);
        a01 = f64x2.add(a01, f64x2(<f64>load<f32>(p), tailLoad(p + 4, i + 1, inner)));
        a23 = f64x2.add(a23, f64x2(tailLoad(p + 8, i + 2, inner), 0));
      }
    }
    const m = <f32>(laneTotal(a01, a23) / count);
    store<f32>(mean + (<usize>c << 2), m);
    const mv = f64x2.splat(<f64>m);
    a01 = f64x2.splat(0); a23 = f64x2.splat(0);
    for (let o = 0; o < outer; o++) {
      const row = x + ((<usize>(o * channels + c) * inner) << 2);
      let i = 0;
      for (; i + 4 <= inner; i += 4) {
        const v = v128.load(row + (<usize>i << 2));
        const d01 = f64x2.sub(lanesLow(v), mv), d23 = f64x2.sub(lanesHigh(v), mv);
        a01 = f64x2.add(a01, f64x2.mul(d01, d01));
        a23 = f64x2.add(a23, f64x2.mul(d23, d23));
      }
      for (; i < inner; i++) {
        const d = <f64>load<f32>(row + (<usize>i << 2)) - <f64>m;
        const lane = i & 3; // 0, 1 or 2: the tail is shorter than 4
        if (lane == 0) a01 = f64x2.add(a01, f64x2(d * d, 0));
        else if (lane == 1) a01 = f64x2.add(a01, f64x2(0, d * d));
        else a23 = f64x2.add(a23, f64x2(d * d, 0));
      }
    }
    const v = laneTotal(a01, a23) / count;
    store<f32>(variance + (<usize>c << 2), <f32>v);
  }
}

/**
 * Job: sumDy[c] = sum of dy and sumDyCentred[c] = sum of dy * (x - center[c]), one channel per
 * work unit. Args: dy, x, center, outer, channels, inner, sumDy, sumDyCentred.
 */
export function channelGradientSums(job: usize): void {
  const dy = argP(job, ChannelGradientSumsArg.Dy), x = argP(job, ChannelGradientSumsArg.X), center = argP(job, ChannelGradientSumsArg.Center), outer = argI(job, ChannelGradientSumsArg.Outer), channels = argI(job, ChannelGradientSumsArg.Channels), inner = argI(job, ChannelGradientSumsArg.Inner);
  const sumDy = argP(job, ChannelGradientSumsArg.SumDy), sumDyCentred = argP(job, ChannelGradientSumsArg.SumDyCentred);
  for (let c = claim(job); c < channels; c = claim(job)) {
    const m = <f64>load<f32>(center + (<usize>c << 2));
    const mv = f64x2.splat(m);
    let s01 = f64x2.splat(0), s23 = f64x2.splat(0), p01 = f64x2.splat(0), p23 = f64x2.splat(0);
    for (let o = 0; o < outer; o++) {
      const offset = (<usize>(o * channels + c) * inner) << 2;
      let i = 0;
      for (; i + 4 <= inner; i += 4) {
        const off = offset + (<usize>i << 2);
        const g = v128.load(dy + off), v = v128.load(x + off);
        const g01 = lanesLow(g), g23 = lanesHigh(g);
        s01 = f64x2.add(s01, g01);
        s23 = f64x2.add(s23, g23);
        p01 = f64x2.add(p01, f64x2.mul(g01, f64x2.sub(lanesLow(v), mv)));
        p23 = f64x2.add(p23, f64x2.mul(g23, f64x2.sub(lanesHigh(v), mv)));
      }
      for (; i < inner; i++) {
        const off = offset + (<usize>i << 2);
        const g = <f64>load<f32>(dy + off), product = g * (<f64>load<f32>(x + off) - m);
        const lane = i & 3;
        if (lane == 0) { s01 = f64x2.add(s01, f64x2(g, 0)); p01 = f64x2.add(p01, f64x2(product, 0)); }
        else if (lane == 1) { s01 = f64x2.add(s01, f64x2(0, g)); p01 = f64x2.add(p01, f64x2(0, product)); }
        else { s23 = f64x2.add(s23, f64x2(g, 0)); p23 = f64x2.add(p23, f64x2(product, 0)); }
      }
    }
    store<f32>(sumDy + (<usize>c << 2), <f32>laneTotal(s01, s23));
    store<f32>(sumDyCentred + (<usize>c << 2), <f32>laneTotal(p01, p23));
  }
}

/**
 * Job: y = (x - center[c]) * xScale[c] (+ dy * dyScale[c] when dy is not 0) + shift[c], in float32
 * in this order; a work unit is whole rows of about ELEMENT_CHUNK elements.
 * Args: x, center, xScale, dy, dyScale, shift, outer, channels, inner, y.
 */
export function channelAffine(job: usize): void {
  const x = argP(job, ChannelAffineArg.X), center = argP(job, ChannelAffineArg.Center), xScale = argP(job, ChannelAffineArg.XScale), dy = argP(job, ChannelAffineArg.Dy), dyScale = argP(job, ChannelAffineArg.DyScale), shift = argP(job, ChannelAffineArg.Shift);
  const outer = argI(job, ChannelAffineArg.Outer), channels = argI(job, ChannelAffineArg.Channels), inner = argI(job, ChannelAffineArg.Inner), y = argP(job, ChannelAffineArg.Y);
  const rows = outer * channels;
  const rowsPerUnit = max(1, ELEMENT_CHUNK / max(1, inner));
  for (let u = claim(job); u * rowsPerUnit < rows; u = claim(job)) {
    const r1 = min(rows, (u + 1) * rowsPerUnit);
    for (let r = u * rowsPerUnit; r < r1; r++) {
      const c = r % channels;
      const m = load<f32>(center + (<usize>c << 2)), a = load<f32>(xScale + (<usize>c << 2)), s = load<f32>(shift + (<usize>c << 2));
      const b = dy ? load<f32>(dyScale + (<usize>c << 2)) : <f32>0;
      const mv = f32x4.splat(m), av = f32x4.splat(a), sv = f32x4.splat(s), bv = f32x4.splat(b);
      const start = <usize>r * inner << 2;
      let i = 0;
      if (dy) {
        for (; i + 4 <= inner; i += 4) {
          const off = start + (<usize>i << 2);
          const t = f32x4.add(f32x4.mul(f32x4.sub(v128.load(x + off), mv), av), f32x4.mul(v128.load(dy + off), bv));
          v128.store(y + off, f32x4.add(t, sv));
        }
        for (; i < inner; i++) {
          const off = start + (<usize>i << 2);
          store<f32>(y + off, ((load<f32>(x + off) - m) * a + load<f32>(dy + off) * b) + s);
        }
      } else {
        for (; i + 4 <= inner; i += 4) {
          const off = start + (<usize>i << 2);
          v128.store(y + off, f32x4.add(f32x4.mul(f32x4.sub(v128.load(x + off), mv), av), sv));
        }
        for (; i < inner; i++) {
          const off = start + (<usize>i << 2);
          store<f32>(y + off, (load<f32>(x + off) - m) * a + s);
        }
      }
    }
  }
}
