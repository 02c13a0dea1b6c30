// Max and average pooling, parallel over planes. Windows are visited in the reference's order and
// averages are formed in float64 like the reference, so results match it bit for bit.

import { PoolArg } from "../src/core/backends/wasm/kernel-interface";
import { argI, argP, claim, ELEMENT_CHUNK } from "./job";

/** True for the common 1-d window of 2 with stride 2 and no padding, which has a SIMD path. */
function isPairwise(kh: i32, kw: i32, sw: i32, ph: i32, pw: i32): bool {
  return kh == 1 && ph == 0 && kw == 2 && sw == 2 && pw == 0;
}

/** Job: y = max over each window (padding counts as -inf). Args: x, y, -, geometry. */
export function maxPoolForward(job: usize): void {
  const x = argP(job, PoolArg.X), y = argP(job, PoolArg.Y);
  const planes = argI(job, PoolArg.Planes), h = argI(job, PoolArg.H), w = argI(job, PoolArg.W), kh = argI(job, PoolArg.Kh), kw = argI(job, PoolArg.Kw);
  const sh = argI(job, PoolArg.StrideH), sw = argI(job, PoolArg.StrideW), ph = argI(job, PoolArg.PadH), pw = argI(job, PoolArg.PadW);
  const oh = argI(job, PoolArg.OutH), ow = argI(job, PoolArg.OutW);
  const planeChunk = max(1, ELEMENT_CHUNK / max(1, h * w));
  for (let c = claim(job); c * planeChunk < planes; c = claim(job)) {
    const p0 = c * planeChunk, p1 = min(planes, p0 + planeChunk);
    const pairwise = isPairwise(kh, kw, sw, ph, pw);
    const negInf = f32x4.splat(-Infinity);
    for (let p = p0; p < p1; p++) {
      const plane = x + (<usize>p * h * w << 2);
      for (let oy = 0; oy < oh; oy++) {
        let out = y + (<usize>(p * oh + oy) * ow << 2);
        let ox = 0;
        if (pairwise) {
          const row = plane + (<usize>(oy * sh) * w << 2);
          for (; ox + 4 <= ow; ox += 4) {
            const v0 = v128.load(row + (<usize>ox << 3)), v1 = v128.load(row + (<usize>ox << 3), 16);
            const even = i32x4.shuffle(v0, v1, 0, 2, 4, 6), odd = i32x4.shuffle(v0, v1, 1, 3, 5, 7);
            const first = v128.bitselect(even, negInf, f32x4.gt(even, negInf));
            v128.store(out + (<usize>ox << 2), v128.bitselect(odd, first, f32x4.gt(odd, first)));
          }
        }
        for (; ox < ow; ox++) {
          let best: f32 = -Infinity;
          for (let ky = 0; ky < kh; ky++) {
            const iy = oy * sh - ph + ky;
            if (iy < 0 || iy >= h) continue;
            for (let kx = 0; kx < kw; kx++) {
              const ix = ox * sw - pw + kx;
              if (ix < 0 || ix >= w) continue;
              const v = load<f32>(plane + (<usize>(iy * w + ix) << 2));
              if (v > best) best = v;
            }
          }
          store<f32>(out + (<usize>ox << 2), best);
        }
      }
    }
  }
}

/** Job: dx = dy routed to the first maximum of each window. Args: x, dy, dx, geometry. */
export function maxPoolBackward(job: usize): void {
  const x = argP(job, PoolArg.X), dy = argP(job, PoolArg.Y), dx = argP(job, PoolArg.Dx);
  const planes = argI(job, PoolArg.Planes), h = argI(job, PoolArg.H), w = argI(job, PoolArg.W), kh = argI(job, PoolArg.Kh), kw = argI(job, PoolArg.Kw);
  const sh = argI(job, PoolArg.StrideH), sw = argI(job, PoolArg.StrideW), ph = argI(job, PoolArg.PadH), pw = argI(job, PoolArg.PadW);
  const oh = argI(job, PoolArg.OutH), ow = argI(job, PoolArg.OutW);
  const planeChunk = max(1, ELEMENT_CHUNK / max(1, h * w));
  for (let c = claim(job); c * planeChunk < planes; c = claim(job)) {
    const p0 = c * planeChunk, p1 = min(planes, p0 + planeChunk);
    const pairwise = isPairwise(kh, kw, sw, ph, pw);
    const negInf = f32x4.splat(-Infinity), zero = f32x4.splat(0);
    for (let p = p0; p < p1; p++) {
      const planeBytes = <usize>h * w << 2;
      const plane = x + <usize>p * planeBytes;
      const dplane = dx + <usize>p * planeBytes;
      memory.fill(dplane, 0, planeBytes);
      for (let oy = 0; oy < oh; oy++) {
        const grad = dy + (<usize>(p * oh + oy) * ow << 2);
        let ox = 0;
        if (pairwise) {
          const off = <usize>(oy * sh) * w << 2;
          const row = plane + off, drow = dplane + off;
          for (; ox + 4 <= ow; ox += 4) {
            const v0 = v128.load(row + (<usize>ox << 3)), v1 = v128.load(row + (<usize>ox << 3), 16);
            const even = i32x4.shuffle(v0, v1, 0, 2, 4, 6), odd = i32x4.shuffle(v0, v1, 1, 3, 5, 7);
            const evenIsMax = f32x4.gt(even, negInf);
            const first = v128.bitselect(even, negInf, evenIsMax);
            const oddWins = f32x4.gt(odd, first);
            const g = v128.load(grad + (<usize>ox << 2));
            // Adding +0 turns a routed -0 into +0, as the reference's 0 += dy does.
            const dEven = f32x4.add(v128.and(g, v128.andnot(evenIsMax, oddWins)), zero);
            const dOdd = f32x4.add(v128.and(g, oddWins), zero);
            v128.store(drow + (<usize>ox << 3), i32x4.shuffle(dEven, dOdd, 0, 4, 1, 5));
            v128.store(drow + (<usize>ox << 3), i32x4.shuffle(dEven, dOdd, 2, 6, 3, 7), 16);
          }
        }
        for (; ox < ow; ox++) {
          let best: f32 = -Infinity;
          let arg = -1;
          for (let ky = 0; ky < kh; ky++) {
            const iy = oy * sh - ph + ky;
            if (iy < 0 || iy >= h) continue;
            for (let kx = 0; kx < kw; kx++) {
              const ix = ox * sw - pw + kx;
              if (ix < 0 || ix >= w) continue;
              const v = load<f32>(plane + (<usize>(iy * w + ix) << 2));
              if (v > best) { best = v; arg = iy * w + ix; }
            }
          }
          if (arg >= 0) {
            const d = dplane + (<usize>arg << 2);
            store<f32>(d, load<f32>(d) + load<f32>(grad + (<usize>ox << 2)));
          }
        }
      }
    }
  }
}

/** Job: y = mean over each window, zero padding included in the divisor. Args: x, y, -, geometry. */
export function avgPoolForward(job: usize): void {
  const x = argP(job, PoolArg.X), y = argP(job, PoolArg.Y);
  const planes = argI(job, PoolArg.Planes), h = argI(job, PoolArg.H), w = argI(job, PoolArg.W), kh = argI(job, PoolArg.Kh), kw = argI(job, PoolArg.Kw);
  const sh = argI(job, PoolArg.StrideH), sw = argI(job, PoolArg.StrideW), ph = argI(job, PoolArg.PadH), pw = argI(job, PoolArg.PadW);
  const oh = argI(job, PoolArg.OutH), ow = argI(job, PoolArg.OutW);
  const area = <f64>(kh * kw);
  const planeChunk = max(1, ELEMENT_CHUNK / max(1, h * w));
  for (let c = claim(job); c * planeChunk < planes; c = claim(job)) {
    const p0 = c * planeChunk, p1 = min(planes, p0 + planeChunk);
    for (let p = p0; p < p1; p++) {
      const plane = x + (<usize>p * h * w << 2);
      for (let oy = 0; oy < oh; oy++) {
        const out = y + (<usize>(p * oh + oy) * ow << 2);
        for (let ox = 0; ox < ow; ox++) {
          let sum: f64 = 0;
          for (let ky = 0; ky < kh; ky++) {
            const iy = oy * sh - ph + ky;
            if (iy < 0 || iy >= h) continue;
            for (let kx = 0; kx < kw; kx++) {
              const ix = ox * sw - pw + kx;
              if (ix >= 0 && ix < w) sum += <f64>load<f32>(plane + (<usize>(iy * w + ix) << 2));
            }
          }
          store<f32>(out + (<usize>ox << 2), <f32>(sum / area));
        }
      }
    }
  }
}

/** Job: dx = dy / area spread over each window. Args: -, dy, dx, geometry. */
export function avgPoolBackward(job: usize): void {
  const dy = argP(job, PoolArg.Y), dx = argP(job, PoolArg.Dx);
  const planes = argI(job, PoolArg.Planes), h = argI(job, PoolArg.H), w = argI(job, PoolArg.W), kh = argI(job, PoolArg.Kh), kw = argI(job, PoolArg.Kw);
  const sh = argI(job, PoolArg.StrideH), sw = argI(job, PoolArg.StrideW), ph = argI(job, PoolArg.PadH), pw = argI(job, PoolArg.PadW);
  const oh = argI(job, PoolArg.OutH), ow = argI(job, PoolArg.OutW);
  const area = <f64>(kh * kw);
  const planeChunk = max(1, ELEMENT_CHUNK / max(1, h * w));
  for (let c = claim(job); c * planeChunk < planes; c = claim(job)) {
    const p0 = c * planeChunk, p1 = min(planes, p0 + planeChunk);
    for (let p = p0; p < p1; p++) {
      const planeBytes = <usize>h * w << 2;
      const dplane = dx + <usize>p * planeBytes;
      memory.fill(dplane, 0, planeBytes);
      for (let oy = 0; oy < oh; oy++) {
        const grad = dy + (<usize>(p * oh + oy) * ow << 2);
        for (let ox = 0; ox < ow; ox++) {
          const share = <f64>load<f32>(grad + (<usize>ox << 2)) / area;
          for (let ky = 0; ky < kh; ky++) {
            const iy = oy * sh - ph + ky;
            if (iy < 0 || iy >= h) continue;
            for (let kx = 0; kx < kw; kx++) {
              const ix = ox * sw - pw + kx;
              if (ix < 0 || ix >= w) continue;
              const d = dplane + (<usize>(iy * w + ix) << 2);
              store<f32>(d, <f32>(<f64>load<f32>(d) + share));
            }
          }
        }
      }
    }
  }
}
