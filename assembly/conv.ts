// Convolutions as im2col + GEMM, parallel over the samples of the batch. Where a sample's output
// is small (a 4x4 or 8x8 map), several samples' columns sit side by side in one GEMM, so the
// filters are packed once for them and the backward pass to the filters sums over a long k rather
// than a few positions. The gradient with respect to the filters is summed per fixed group of
// samples and the groups are then reduced in order, so the result does not depend on how many
// threads ran or which thread took which group.

import { ConvBackwardInputArg, ConvBackwardWeightArg, ConvForwardArg, ConvGeometryArg as Geo, GemmArg, ReduceGroupsArg } from "../src/core/backends/wasm/kernel-interface";
import { argB, argI, argP, claim, ELEMENT_CHUNK } from "./job";
import { gemmRange, GEMM_SCRATCH_BYTES } from "./gemm";

/** True when the convolution is a plain matrix product per sample (1x1 filter, stride 1, no padding). */
function isPointwise(job: usize): bool {
  return argI(job, Geo.Kh) == 1 && argI(job, Geo.Kw) == 1 && argI(job, Geo.StrideH) == 1 && argI(job, Geo.StrideW) == 1 && argI(job, Geo.PadH) == 0 && argI(job, Geo.PadW) == 0;
}

/** First output index o with o*stride + offset >= 0, and one past the last with o*stride + offset < size. */
@inline function validStart(offset: i32, stride: i32): i32 { return offset >= 0 ? 0 : (-offset + stride - 1) / stride; }
@inline function validEnd(offset: i32, stride: i32, size: i32, outSize: i32): i32 {
  const last = size - 1 - offset;
  return last < 0 ? 0 : min(outSize, last / stride + 1);
}

/** Zeroes the floats [from, to) of the row at p. */
@inline function zeroFloats(p: usize, from: i32, to: i32): void {
  let d = p + (<usize>from << 2);
  const end = p + (<usize>max(from, to) << 2);
  for (; d + 16 <= end; d += 16) v128.store(d, i32x4.splat(0));
  for (; d < end; d += 4) store<f32>(d, 0);
}

/** Copies `count` floats from src to dst (rows of a few floats to a few thousand). */
@inline function copyFloats(dst: usize, src: usize, count: i32): void {
  let d = dst, from = src;
  const end = dst + (<usize>count << 2);
  for (; d + 16 <= end; d += 16, from += 16) v128.store(d, v128.load(from));
  for (; d < end; d += 4, from += 4) store<f32>(d, load<f32>(from));
}

/**
 * Unfolds one image (cin x h x w at x) into col[cin*kh*kw, outH*outW], whose rows start `pitch`
 * floats apart (outH*outW for one sample; wider when samples sit side by side).
 */
function im2col(job: usize, x: usize, col: usize, pitch: i32): void {
  const cin = argI(job, Geo.Cin), h = argI(job, Geo.H), w = argI(job, Geo.W), kh = argI(job, Geo.Kh), kw = argI(job, Geo.Kw);
  const sh = argI(job, Geo.StrideH), sw = argI(job, Geo.StrideW), ph = argI(job, Geo.PadH), pw = argI(job, Geo.PadW), dh = argI(job, Geo.DilationH), dw = argI(job, Geo.DilationW);
  const oh = argI(job, Geo.OutH), ow = argI(job, Geo.OutW);
  const rowBytes = <usize>ow << 2;
  let row = col;
  for (let c = 0; c < cin; c++) {
    for (let ky = 0; ky < kh; ky++) {
      for (let kx = 0; kx < kw; kx++, row += <usize>pitch << 2) {
        let dst = row;
        const offX = kx * dw - pw;
        const lo = min(validStart(offX, sw), ow);
        const hi = max(lo, validEnd(offX, sw, w, ow));
        // Rows are short (4 to 64 floats in the X-ray ResNet): inline loops, not memory.copy/fill calls.
        for (let oy = 0; oy < oh; oy++) {
          const iy = oy * sh - ph + ky * dh;
          if (iy < 0 || iy >= h) {
            zeroFloats(dst, 0, ow);
          } else {
            const src = x + (<usize>(c * h + iy) * w << 2);
            zeroFloats(dst, 0, lo);
            if (sw == 1) {
              copyFloats(dst + (<usize>lo << 2), src + (<usize>(lo + offX) << 2), hi - lo);
            } else {
              for (let ox = lo; ox < hi; ox++) store<f32>(dst + (<usize>ox << 2), load<f32>(src + (<usize>(ox * sw + offX) << 2)));
            }
            zeroFloats(dst, hi, ow);
          }
          dst += rowBytes;
        }
      }
    }
  }
}

/** Adds col[cin*kh*kw, outH*outW] (rows `pitch` floats apart) into the image dx (cin x h x w), in the reference's order. */
function col2im(job: usize, col: usize, dx: usize, pitch: i32): void {
  const cin = argI(job, Geo.Cin), h = argI(job, Geo.H), w = argI(job, Geo.W), kh = argI(job, Geo.Kh), kw = argI(job, Geo.Kw);
  const sh = argI(job, Geo.StrideH), sw = argI(job, Geo.StrideW), ph = argI(job, Geo.PadH), pw = argI(job, Geo.PadW), dh = argI(job, Geo.DilationH), dw = argI(job, Geo.DilationW);
  const oh = argI(job, Geo.OutH), ow = argI(job, Geo.OutW);
  const rowBytes = <usize>ow << 2;
  let row = col;
  for (let c = 0; c < cin; c++) {
    for (let ky = 0; ky < kh; ky++) {
      for (let kx = 0; kx < kw; kx++, row += <usize>pitch << 2) {
        let src = row;
        const offX = kx * dw - pw;
        const lo = min(validStart(offX, sw), ow);
        const hi = max(lo, validEnd(offX, sw, w, ow));
        for (let oy = 0; oy < oh; oy++) {
          const iy = oy * sh - ph + ky * dh;
          if (iy >= 0 && iy < h) {
            const dst = dx + (<usize>(c * h + iy) * w << 2);
            if (sw == 1) {
              let d = dst + (<usize>(lo + offX) << 2);
              let s = src + (<usize>lo << 2);
              const end = s + (<usize>(hi - lo) << 2);
              for (; s + 16 <= end; s += 16, d += 16) v128.store(d, f32x4.add(v128.load(d), v128.load(s)));
              for (; s < end; s += 4, d += 4) store<f32>(d, load<f32>(d) + load<f32>(s));
            } else {
              for (let ox = lo; ox < hi; ox++) {
                const d = dst + (<usize>(ox * sw + offX) << 2);
                store<f32>(d, load<f32>(d) + load<f32>(src + (<usize>ox << 2)));
              }
            }
          }
          src += rowBytes;
        }
      }
    }
  }
}


/**
 * Job: y = conv(x, w) + bias. Args: x, w, bias, hasBias, y, scratchBase, scratchStride, geometry,
 * samples per GEMM. A thread's scratch: the GEMM's, then col [patch, samples*spatial], then (for
 * several samples) the product [cout, samples*spatial] before it goes to each sample's output.
 */
export function convForward(job: usize, tid: i32): void {
  const x = argP(job, ConvForwardArg.X), wt = argP(job, ConvForwardArg.Weight), bias = argP(job, ConvForwardArg.Bias), hasBias = argB(job, ConvForwardArg.HasBias), y = argP(job, ConvForwardArg.Y);
  const scratch = argP(job, ConvForwardArg.Scratch) + <usize>tid * argP(job, ConvForwardArg.ScratchStride);
  const col = scratch + GEMM_SCRATCH_BYTES;
  const n = argI(job, Geo.N), cin = argI(job, Geo.Cin), cout = argI(job, Geo.Cout);
  const spatial = argI(job, Geo.OutH) * argI(job, Geo.OutW);
  const patch = cin * argI(job, Geo.Kh) * argI(job, Geo.Kw);
  const samples = argI(job, ConvForwardArg.Samples);
  const pointwise = isPointwise(job) && samples == 1;
  const inBytes = <usize>cin * argI(job, Geo.H) * argI(job, Geo.W) << 2;
  const outBytes = <usize>cout * spatial << 2;
  const product = col + (<usize>patch * samples * spatial << 2);
  for (let u = claim(job); u * samples < n; u = claim(job)) {
    const s0 = u * samples, count = min(samples, n - s0), width = count * spatial;
    let src = x + <usize>s0 * inBytes;
    if (!pointwise) {
      for (let s = 0; s < count; s++) im2col(job, src + <usize>s * inBytes, col + (<usize>s * spatial << 2), width);
      src = col;
    }
    const out = samples == 1 ? y + <usize>s0 * outBytes : product;
    if (hasBias) {
      for (let o = 0; o < cout; o++) {
        const v = f32x4.splat(load<f32>(bias + (<usize>o << 2)));
        let d = out + (<usize>o * width << 2);
        const end = d + (<usize>width << 2);
        for (; d + 16 <= end; d += 16) v128.store(d, v);
        for (; d < end; d += 4) store<f32>(d, f32x4.extract_lane(v, 0));
      }
    }
    gemmRange(false, false, cout, width, patch, wt, src, out, hasBias, 0, cout, 0, width, scratch);
    if (samples > 1) {
      for (let s = 0; s < count; s++) {
        for (let o = 0; o < cout; o++) {
          copyFloats(y + <usize>(s0 + s) * outBytes + (<usize>o * spatial << 2), product + (<usize>(o * width + s * spatial) << 2), spatial);
        }
      }
    }
  }
}

/** Gathers `count` samples' dy ([cout, spatial] each, from sample s0) side by side into rows of width count*spatial. */
function gatherRows(dy: usize, s0: i32, count: i32, cout: i32, spatial: i32, dst: usize): void {
  const width = count * spatial;
  for (let s = 0; s < count; s++) {
    for (let o = 0; o < cout; o++) {
      copyFloats(dst + (<usize>(o * width + s * spatial) << 2), dy + (<usize>((s0 + s) * cout + o) * spatial << 2), spatial);
    }
  }
}

/** Job: dx = gradient wrt the input. Args: dy, w, -, -, dx, scratchBase, scratchStride, geometry, samples per GEMM. */
export function convBackwardInput(job: usize, tid: i32): void {
  const dy = argP(job, ConvBackwardInputArg.Dy), wt = argP(job, ConvBackwardInputArg.Weight), dx = argP(job, ConvBackwardInputArg.Dx);
  const scratch = argP(job, ConvBackwardInputArg.Scratch) + <usize>tid * argP(job, ConvBackwardInputArg.ScratchStride);
  const col = scratch + GEMM_SCRATCH_BYTES;
  const n = argI(job, Geo.N), cin = argI(job, Geo.Cin), cout = argI(job, Geo.Cout);
  const spatial = argI(job, Geo.OutH) * argI(job, Geo.OutW);
  const patch = cin * argI(job, Geo.Kh) * argI(job, Geo.Kw);
  const samples = argI(job, ConvBackwardInputArg.Samples);
  const pointwise = isPointwise(job) && samples == 1;
  const inBytes = <usize>cin * argI(job, Geo.H) * argI(job, Geo.W) << 2;
  const outBytes = <usize>cout * spatial << 2;
  const gathered = col + (<usize>patch * samples * spatial << 2);
  for (let u = claim(job); u * samples < n; u = claim(job)) {
    const s0 = u * samples, count = min(samples, n - s0), width = count * spatial;
    const dxs = dx + <usize>s0 * inBytes;
    if (pointwise) {
      gemmRange(true, false, patch, spatial, cout, wt, dy + <usize>s0 * outBytes, dxs, false, 0, patch, 0, spatial, scratch);
      continue;
    }
    let rows = dy + <usize>s0 * outBytes;
    if (samples > 1) {
      gatherRows(dy, s0, count, cout, spatial, gathered);
      rows = gathered;
    }
    gemmRange(true, false, patch, width, cout, wt, rows, col, false, 0, patch, 0, width, scratch);
    memory.fill(dxs, 0, <usize>count * inBytes);
    for (let s = 0; s < count; s++) col2im(job, col + (<usize>s * spatial << 2), dxs + <usize>s * inBytes, width);
  }
}

/**
 * Job: per-group partial gradients wrt the filters (and bias). Args: x, dy, partials, hasBias,
 * groups, scratchBase, scratchStride, geometry, samples per GEMM. Group g covers samples
 * [g*n/groups, (g+1)*n/groups) and writes cout*patch weight sums then cout bias sums at
 * partials + g*(cout*patch + cout).
 */
export function convBackwardWeight(job: usize, tid: i32): void {
  const x = argP(job, ConvBackwardWeightArg.X), dy = argP(job, ConvBackwardWeightArg.Dy), partials = argP(job, ConvBackwardWeightArg.Partials), hasBias = argB(job, ConvBackwardWeightArg.HasBias), groups = argI(job, ConvBackwardWeightArg.Groups);
  const scratch = argP(job, ConvBackwardWeightArg.Scratch) + <usize>tid * argP(job, ConvBackwardWeightArg.ScratchStride);
  const col = scratch + GEMM_SCRATCH_BYTES;
  const n = argI(job, Geo.N), cin = argI(job, Geo.Cin), cout = argI(job, Geo.Cout);
  const spatial = argI(job, Geo.OutH) * argI(job, Geo.OutW);
  const patch = cin * argI(job, Geo.Kh) * argI(job, Geo.Kw);
  const samples = argI(job, ConvBackwardWeightArg.Samples);
  const pointwise = isPointwise(job) && samples == 1;
  const inBytes = <usize>cin * argI(job, Geo.H) * argI(job, Geo.W) << 2;
  const outBytes = <usize>cout * spatial << 2;
  const partBytes = (<usize>cout * patch + cout) << 2;
  const gathered = col + (<usize>patch * samples * spatial << 2);
  for (let g = claim(job); g < groups; g = claim(job)) {
    const part = partials + <usize>g * partBytes;
    memory.fill(part, 0, partBytes);
    const s0 = <i32>(<i64>g * n / groups), s1 = <i32>(<i64>(g + 1) * n / groups);
    for (let s = s0; s < s1; s += samples) {
      const count = min(samples, s1 - s), width = count * spatial;
      let rows = dy + <usize>s * outBytes;
      let src = x + <usize>s * inBytes;
      if (!pointwise) {
        for (let k = 0; k < count; k++) im2col(job, src + <usize>k * inBytes, col + (<usize>k * spatial << 2), width);
        src = col;
      }
      if (samples > 1) {
        gatherRows(dy, s, count, cout, spatial, gathered);
        rows = gathered;
      }
      gemmRange(false, true, cout, patch, width, rows, src, part, true, 0, cout, 0, patch, scratch);
      if (hasBias) {
        const biasPart = part + (<usize>cout * patch << 2);
        for (let o = 0; o < cout; o++) {
          let p = rows + (<usize>o * width << 2);
          const end = p + (<usize>width << 2);
          let acc = f32x4.splat(0);
          for (; p + 16 <= end; p += 16) acc = f32x4.add(acc, v128.load(p));
          let sum = (f32x4.extract_lane(acc, 0) + f32x4.extract_lane(acc, 1)) + (f32x4.extract_lane(acc, 2) + f32x4.extract_lane(acc, 3));
          for (; p < end; p += 4) sum += load<f32>(p);
          const d = biasPart + (<usize>o << 2);
          store<f32>(d, load<f32>(d) + sum);
        }
      }
    }
  }
}

/** Job: dst[e] = sum over g (in order) of src[g*stride + e]. Args: dst, src, count, groups, stride (elements). */
export function reduceGroups(job: usize): void {
  const dst = argP(job, ReduceGroupsArg.Dst), src = argP(job, ReduceGroupsArg.Src), count = argI(job, ReduceGroupsArg.Count), groups = argI(job, ReduceGroupsArg.Groups);
  const stride = <usize>argI(job, ReduceGroupsArg.Stride) << 2;
  for (let c = claim(job); c * ELEMENT_CHUNK < count; c = claim(job)) {
    const e0 = c * ELEMENT_CHUNK, e1 = min(count, e0 + ELEMENT_CHUNK);
    let e = e0;
    for (; e + 4 <= e1; e += 4) {
      const off = <usize>e << 2;
      let acc = v128.load(src + off);
      for (let g = 1; g < groups; g++) acc = f32x4.add(acc, v128.load(src + <usize>g * stride + off));
      v128.store(dst + off, acc);
    }
    for (; e < e1; e++) {
      const off = <usize>e << 2;
      let acc = load<f32>(src + off);
      for (let g = 1; g < groups; g++) acc += load<f32>(src + <usize>g * stride + off);
      store<f32>(dst + off, acc);
    }
  }
}

/**
 * Job: batched GEMM. Args: transA, transB, m, n, k, a, b, c, accumulate, batch, strideA, strideB,
 * strideC (elements), scratchBase, scratchStride, alongN, chunk, blocks. Work unit u is matrix
 * u / blocks, rows (or columns when alongN) [chunk*(u % blocks), +chunk).
 */
export function gemmJob(job: usize, tid: i32): void {
  const transA = argB(job, GemmArg.TransA), transB = argB(job, GemmArg.TransB);
  const m = argI(job, GemmArg.M), n = argI(job, GemmArg.N), k = argI(job, GemmArg.K);
  const a = argP(job, GemmArg.A), b = argP(job, GemmArg.B), c = argP(job, GemmArg.C), accumulate = argB(job, GemmArg.Accumulate);
  const batch = argI(job, GemmArg.Batch);
  const strideA = argP(job, GemmArg.StrideA) << 2, strideB = argP(job, GemmArg.StrideB) << 2, strideC = argP(job, GemmArg.StrideC) << 2;
  const scratch = argP(job, GemmArg.Scratch) + <usize>tid * argP(job, GemmArg.ScratchStride);
  const alongN = argB(job, GemmArg.AlongN), chunk = argI(job, GemmArg.Chunk), blocks = argI(job, GemmArg.Blocks);
  const units = batch * blocks;
  for (let u = claim(job); u < units; u = claim(job)) {
    const bi = <usize>(u / blocks), blk = u % blocks;
    let i0 = 0, i1 = m, j0 = 0, j1 = n;
    if (alongN) { j0 = blk * chunk; j1 = min(n, j0 + chunk); } else { i0 = blk * chunk; i1 = min(m, i0 + chunk); }
    gemmRange(transA, transB, m, n, k, a + bi * strideA, b + bi * strideB, c + bi * strideC, accumulate, i0, i1, j0, j1, scratch);
  }
}
