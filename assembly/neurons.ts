// Spiking-neuron updates, vectorised over neurons with the time loop inside, so a neuron's state
// stays in registers for all T steps. The LIF forward performs the float32 operations of the
// Backend contract in its exact order (wasm f32 arithmetic rounds every operation), so membranes
// and spikes are bit-identical to the reference backend's.

import { argB, argF, argI, argP, claim, shareEnd, shareStart } from "./job";
import { expv, loadPartial, storePartial } from "./mathv";

const RESET_SUBTRACT = 0, RESET_ZERO = 1;
const PIECEWISE_LINEAR = 0, FAST_SIGMOID = 1, ARCTAN = 2, SIGMOID = 3;

/** Per-neuron parameter values for neurons i..i+3: neuron j uses p[j % F], or p[0] when the parameter is shared. */
function laneParams(p: usize, len: i32, i: i32, F: i32): v128 {
  if (len == 1) return v128.load32_splat(p);
  let v = f32x4.splat(0);
  v = f32x4.replace_lane(v, 0, load<f32>(p + (<usize>(i % F) << 2)));
  v = f32x4.replace_lane(v, 1, load<f32>(p + (<usize>((i + 1) % F) << 2)));
  v = f32x4.replace_lane(v, 2, load<f32>(p + (<usize>((i + 2) % F) << 2)));
  v = f32x4.replace_lane(v, 3, load<f32>(p + (<usize>((i + 3) % F) << 2)));
  return v;
}

@inline function loadLanes(p: usize, lanes: i32): v128 { return lanes == 4 ? v128.load(p) : loadPartial(p, lanes); }
@inline function storeLanes(p: usize, v: v128, lanes: i32): void { if (lanes == 4) v128.store(p, v); else storePartial(p, v, lanes); }

/**
 * Job: LIF forward over T steps. Args: T, N, F, beta, betaLen, threshold, thresholdLen, vRest,
 * reset (0 subtract, 1 zero, 2 none), current, mem, spikes. vRest must be a float32 value.
 */
export function lifForward(job: usize, tid: i32, nt: i32): void {
  const T = argI(job, 1), N = argI(job, 2), F = argI(job, 3);
  const beta = argP(job, 4), betaLen = argI(job, 5), th = argP(job, 6), thLen = argI(job, 7);
  const vr = f32x4.splat(<f32>argF(job, 8)), reset = argI(job, 9);
  const current = argP(job, 10), mem = argP(job, 11), spikes = argP(job, 12);
  const one = f32x4.splat(1);
  const rowBytes = <usize>N << 2;
  const i0 = shareStart(N, tid, nt, 4), i1 = shareEnd(N, tid, nt, 4);
  for (let i = i0; i < i1; i += 4) {
    const lanes = min(4, i1 - i);
    const b = laneParams(beta, betaLen, i, F), thr = laneParams(th, thLen, i, F);
    let u = vr, s = f32x4.splat(0);
    let off = <usize>i << 2;
    for (let t = 0; t < T; t++) {
      const leak = f32x4.add(vr, f32x4.mul(b, f32x4.sub(u, vr)));
      const pre = f32x4.add(leak, loadLanes(current + off, lanes));
      if (reset == RESET_SUBTRACT) u = f32x4.sub(pre, f32x4.mul(s, thr));
      else if (reset == RESET_ZERO) u = f32x4.mul(pre, f32x4.sub(one, s));
      else u = pre;
      s = v128.and(f32x4.gt(u, thr), one);
      storeLanes(mem + off, u, lanes);
      storeLanes(spikes + off, s, lanes);
      off += rowBytes;
    }
  }
}

@inline function surrogate(kind: i32, param: f32, x: v128): v128 {
  const one = f32x4.splat(1);
  if (kind == PIECEWISE_LINEAR) {
    return v128.and(f32x4.splat(1 / param), f32x4.le(f32x4.abs(x), f32x4.splat(param / 2)));
  } else if (kind == FAST_SIGMOID) {
    const d = f32x4.add(f32x4.mul(f32x4.splat(param), f32x4.abs(x)), one);
    return f32x4.div(one, f32x4.mul(d, d));
  } else if (kind == ARCTAN) {
    const z = f32x4.mul(f32x4.splat(<f32>(Math.PI / 2) * param), x);
    return f32x4.div(f32x4.splat(param / 2), f32x4.add(one, f32x4.mul(z, z)));
  } else if (kind == SIGMOID) {
    const sig = f32x4.div(one, f32x4.add(one, expv(f32x4.mul(f32x4.splat(-param), x))));
    return f32x4.mul(f32x4.splat(param), f32x4.mul(sig, f32x4.sub(one, sig)));
  }
  return one;
}

/**
 * Job: LIF backward through time. Args: T, N, F, beta, betaLen, threshold, thresholdLen, vRest,
 * reset, surrogateKind, surrogateParam, mem, spikes, dSpikes, hasDSpikes, dMem, hasDMem, dCurrent,
 * partials, groups, wantParams. Neurons are cut into `groups` fixed ranges; when wantParams, group g
 * adds its beta and threshold gradients (in neuron order) to partials + g*(betaLen + thresholdLen).
 */
export function lifBackward(job: usize): void {
  const T = argI(job, 1), N = argI(job, 2), F = argI(job, 3);
  const beta = argP(job, 4), betaLen = argI(job, 5), th = argP(job, 6), thLen = argI(job, 7);
  const vr = f32x4.splat(<f32>argF(job, 8)), reset = argI(job, 9);
  const kind = argI(job, 10), param = <f32>argF(job, 11);
  const mem = argP(job, 12), spikes = argP(job, 13);
  const dS = argP(job, 14), hasDS = argB(job, 15), dM = argP(job, 16), hasDM = argB(job, 17), dI = argP(job, 18);
  const partials = argP(job, 19), groups = argI(job, 20), wantParams = argB(job, 21);
  const one = f32x4.splat(1), zero = f32x4.splat(0);
  const rowBytes = <usize>N << 2;
  const vectors = (N + 3) / 4;
  for (let g = claim(job); g < groups; g = claim(job)) {
    const part = partials + (<usize>g * (betaLen + thLen) << 2);
    const v0 = <i32>(<i64>g * vectors / groups), v1 = <i32>(<i64>(g + 1) * vectors / groups);
    for (let v = v0; v < v1; v++) {
      const i = v * 4;
      const lanes = min(4, N - i);
      const b = laneParams(beta, betaLen, i, F), thr = laneParams(th, thLen, i, F);
      let carry = zero, gBeta = zero, gTh = zero;
      for (let t = T - 1; t >= 0; t--) {
        const off = <usize>t * rowBytes + (<usize>i << 2);
        let fromSpike = zero;
        if (hasDS) fromSpike = f32x4.mul(loadLanes(dS + off, lanes), surrogate(kind, param, f32x4.sub(loadLanes(mem + off, lanes), thr)));
        let grad = f32x4.add(carry, fromSpike);
        if (hasDM) grad = f32x4.add(grad, loadLanes(dM + off, lanes));
        const sPrev = t == 0 ? zero : loadLanes(spikes + off - rowBytes, lanes);
        const uPrev = t == 0 ? vr : loadLanes(mem + off - rowBytes, lanes);
        const passed = reset == RESET_ZERO ? f32x4.mul(grad, f32x4.sub(one, sPrev)) : grad;
        storeLanes(dI + off, passed, lanes);
        gBeta = f32x4.add(gBeta, f32x4.mul(passed, f32x4.sub(uPrev, vr)));
        gTh = f32x4.sub(gTh, fromSpike);
        if (reset == RESET_SUBTRACT) gTh = f32x4.sub(gTh, f32x4.mul(grad, sPrev));
        carry = f32x4.mul(passed, b);
      }
      if (wantParams) {
        for (let l = 0; l < lanes; l++) {
          const pb = part + (<usize>(betaLen == 1 ? 0 : (i + l) % F) << 2);
          const pt = part + (<usize>(betaLen + (thLen == 1 ? 0 : (i + l) % F)) << 2);
          store<f32>(pb, load<f32>(pb) + laneOf(gBeta, l));
          store<f32>(pt, load<f32>(pt) + laneOf(gTh, l));
        }
      }
    }
  }
}

@inline function laneOf(v: v128, l: i32): f32 {
  return l == 0 ? f32x4.extract_lane(v, 0) : l == 1 ? f32x4.extract_lane(v, 1) : l == 2 ? f32x4.extract_lane(v, 2) : f32x4.extract_lane(v, 3);
}

@inline function roundToF32(v: v128): v128 { return f64x2.promote_low_f32x4(f32x4.demote_f64x2_zero(v)); }

/**
 * Job: spiking ReLU over T steps, in float64 with float32 rounding where the reference rounds (so
 * bit-identical to it for any dt). Args: x, T, N, dt, voltage, y.
 */
export function spikingRelu(job: usize, tid: i32, nt: i32): void {
  const x = argP(job, 1), T = argI(job, 2), N = argI(job, 3), dt = argF(job, 4), voltage = argP(job, 5), y = argP(job, 6);
  const dtv = f64x2.splat(dt), zero = f64x2.splat(0);
  const rowBytes = <usize>N << 2;
  const i0 = shareStart(N, tid, nt, 4), i1 = shareEnd(N, tid, nt, 4);
  let i = i0;
  for (; i + 2 <= i1; i += 2) {
    const lane = <usize>i << 2;
    let vol = f64x2.promote_low_f32x4(v128.load64_zero(voltage + lane));
    let off = lane;
    for (let t = 0; t < T; t++) {
      const xv = f64x2.promote_low_f32x4(v128.load64_zero(x + off));
      const drive = roundToF32(f64x2.mul(v128.and(xv, f64x2.gt(xv, zero)), dtv));
      const v = roundToF32(f64x2.add(vol, drive));
      const count = f64x2.floor(v);
      vol = roundToF32(f64x2.sub(v, count));
      v128.store64_lane(y + off, f32x4.demote_f64x2_zero(f64x2.div(count, dtv)), 0);
      off += rowBytes;
    }
    v128.store64_lane(voltage + lane, f32x4.demote_f64x2_zero(vol), 0);
  }
  for (; i < i1; i++) {
    const lane = <usize>i << 2;
    let vol = <f64>load<f32>(voltage + lane);
    let off = lane;
    for (let t = 0; t < T; t++) {
      const xi = <f64>load<f32>(x + off);
      const v = <f64><f32>(vol + <f64><f32>((xi > 0 ? xi : 0) * dt));
      const count = Math.floor(v);
      vol = <f64><f32>(v - count);
      store<f32>(y + off, <f32>(count / dt));
      off += rowBytes;
    }
    store<f32>(voltage + lane, <f32>vol);
  }
}
