// Spiking-neuron updates, vectorised over neurons. With per-feature parameters the time loop runs
// inside, two vectors at a time, keeping each neuron's state in registers; with shared parameters
// a block of 1024 neurons is stepped through time together, reading the previous step back from
// L1. The LIF forward performs the float32 operations of the Backend contract in their exact
// order (wasm f32 arithmetic rounds every operation), so membranes and spikes are bit-identical
// to the reference backend's.

import { LifArg, LifBackwardArg, LifForwardArg, LifInferenceArg, ResetCode, SpikingReluArg, SurrogateCode } from "../src/core/backends/wasm/kernel-interface";
import { argB, argF, argI, argP, claim } from "./job";
import { expv, loadPartial, storePartial } from "./mathv";

/** Neurons per work unit: a multiple of 4 (SIMD lanes). */
const NEURON_CHUNK = 1024;

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

@inline export function loadLanes(p: usize, lanes: i32): v128 { return lanes == 4 ? v128.load(p) : loadPartial(p, lanes); }
@inline export function storeLanes(p: usize, v: v128, lanes: i32): void { if (lanes == 4) v128.store(p, v); else storePartial(p, v, lanes); }

/** One LIF membrane update, in the contract's float32 operation order. */
@inline function lifStep(reset: i32, vr: v128, b: v128, thr: v128, u: v128, s: v128, current: v128): v128 {
  const pre = f32x4.add(f32x4.add(vr, f32x4.mul(b, f32x4.sub(u, vr))), current);
  if (reset == ResetCode.Subtract) return f32x4.sub(pre, f32x4.mul(s, thr));
  if (reset == ResetCode.Zero) return f32x4.mul(pre, f32x4.sub(f32x4.splat(1), s));
  return pre;
}

/**
 * LIF forward for neurons [i0, i1) sharing one beta and threshold: step by step over this block
 * of neurons, so the previous step's membranes and spikes are read back from L1 and no neuron's
 * update waits on the latency of its own previous step.
 */
function lifForwardShared(T: i32, rowBytes: usize, i0: i32, i1: i32, b: v128, thr: v128, vr: v128, reset: i32,
  current: usize, mem: usize, spikes: usize): void {
  const one = f32x4.splat(1), zero = f32x4.splat(0);
  const full = i0 + ((i1 - i0) & ~3), rest = i1 - full;
  const start = <usize>i0 << 2, end = <usize>full << 2;
  for (let t = 0; t < T; t++) {
    const row = <usize>t * rowBytes;
    for (let off = row + start; off < row + end; off += 16) {
      const u = lifStep(reset, vr, b, thr, t == 0 ? vr : v128.load(mem + off - rowBytes), t == 0 ? zero : v128.load(spikes + off - rowBytes), v128.load(current + off));
      v128.store(mem + off, u);
      v128.store(spikes + off, v128.and(f32x4.gt(u, thr), one));
    }
    if (rest > 0) {
      const off = row + end;
      const u = lifStep(reset, vr, b, thr, t == 0 ? vr : loadPartial(mem + off - rowBytes, rest), t == 0 ? zero : loadPartial(spikes + off - rowBytes, rest), loadPartial(current + off, rest));
      storePartial(mem + off, u, rest);
      storePartial(spikes + off, v128.and(f32x4.gt(u, thr), one), rest);
    }
  }
}

/**
 * Job: LIF forward over T steps. Args: T, N, F, beta, betaLen, threshold, thresholdLen, vRest,
 * reset (0 subtract, 1 zero, 2 none), current, mem, spikes. vRest must be a float32 value.
 */
export function lifForward(job: usize): void {
  const T = argI(job, LifArg.T), N = argI(job, LifArg.N), F = argI(job, LifArg.F);
  const beta = argP(job, LifArg.Beta), betaLen = argI(job, LifArg.BetaLength), th = argP(job, LifArg.Threshold), thLen = argI(job, LifArg.ThresholdLength);
  const vr = f32x4.splat(<f32>argF(job, LifArg.VRest)), reset = argI(job, LifArg.Reset);
  const current = argP(job, LifForwardArg.Current), mem = argP(job, LifForwardArg.Mem), spikes = argP(job, LifForwardArg.Spikes);
  const one = f32x4.splat(1);
  const rowBytes = <usize>N << 2;
  for (let c = claim(job); c * NEURON_CHUNK < N; c = claim(job)) {
    const i0 = c * NEURON_CHUNK, i1 = min(N, i0 + NEURON_CHUNK);
    if (betaLen == 1 && thLen == 1) {
      lifForwardShared(T, rowBytes, i0, i1, v128.load32_splat(beta), v128.load32_splat(th), vr, reset, current, mem, spikes);
      continue;
    }
    let i = i0;
    // Two vectors at a time: each neuron's update is a chain of dependent operations, and two
    // independent chains keep the SIMD units busy while either one waits on its latency.
    for (; i + 8 <= i1; i += 8) {
      const b0 = laneParams(beta, betaLen, i, F), thr0 = laneParams(th, thLen, i, F);
      const b1 = laneParams(beta, betaLen, i + 4, F), thr1 = laneParams(th, thLen, i + 4, F);
      let u0 = vr, s0 = f32x4.splat(0), u1 = vr, s1 = f32x4.splat(0);
      let off = <usize>i << 2;
      for (let t = 0; t < T; t++) {
        u0 = lifStep(reset, vr, b0, thr0, u0, s0, v128.load(current + off));
        u1 = lifStep(reset, vr, b1, thr1, u1, s1, v128.load(current + off, 16));
        s0 = v128.and(f32x4.gt(u0, thr0), one);
        s1 = v128.and(f32x4.gt(u1, thr1), one);
        v128.store(mem + off, u0);
        v128.store(mem + off, u1, 16);
        v128.store(spikes + off, s0);
        v128.store(spikes + off, s1, 16);
        off += rowBytes;
      }
    }
    for (; i < i1; i += 4) {
      const lanes = min(4, i1 - i);
      const b = laneParams(beta, betaLen, i, F), thr = laneParams(th, thLen, i, F);
      let u = vr, s = f32x4.splat(0);
      let off = <usize>i << 2;
      for (let t = 0; t < T; t++) {
        u = lifStep(reset, vr, b, thr, u, s, loadLanes(current + off, lanes));
        s = v128.and(f32x4.gt(u, thr), one);
        storeLanes(mem + off, u, lanes);
        storeLanes(spikes + off, s, lanes);
        off += rowBytes;
      }
    }
  }
}

/** Features per work unit of lifInference, times its pooling width (so no window straddles two units). */
const FEATURE_CHUNK = 512;

/**
 * Job: LIF forward at inference, spikes only. Args: T, B, F, beta, betaLen, threshold,
 * thresholdLen, vRest, reset, current, staticCurrent, poolWidth, spikes, partials, groups. The
 * neurons are B samples of F features; a work unit is one of `groups` fixed ranges of samples
 * times a chunk of features. Each neuron's membrane stays in a register through the T steps and
 * is never stored. Group g writes its spike counts per feature to partials + g*F.
 */
export function lifInference(job: usize): void {
  const T = argI(job, LifArg.T), B = argI(job, LifArg.N), F = argI(job, LifArg.F);
  const beta = argP(job, LifArg.Beta), betaLen = argI(job, LifArg.BetaLength), th = argP(job, LifArg.Threshold), thLen = argI(job, LifArg.ThresholdLength);
  const vRest = <f32>argF(job, LifArg.VRest), reset = argI(job, LifArg.Reset);
  const current = argP(job, LifInferenceArg.Current), staticCurrent = argB(job, LifInferenceArg.StaticCurrent), poolWidth = argI(job, LifInferenceArg.PoolWidth);
  const spikes = argP(job, LifInferenceArg.Spikes), partials = argP(job, LifInferenceArg.Partials), groups = argI(job, LifInferenceArg.Groups);
  const chunk = FEATURE_CHUNK * poolWidth;
  const chunks = (F + chunk - 1) / chunk;
  const inStep: usize = staticCurrent ? 0 : <usize>B * F << 2;
  const outStep = (<usize>B * F / poolWidth) << 2;
  for (let u = claim(job); u < groups * chunks; u = claim(job)) {
    const g = u / chunks, f0 = (u % chunks) * chunk, f1 = min(F, f0 + chunk);
    const b0 = <i32>(<i64>g * B / groups), b1 = <i32>(<i64>(g + 1) * B / groups);
    const counts = partials + (<usize>g * F << 2);
    memory.fill(counts + (<usize>f0 << 2), 0, <usize>(f1 - f0) << 2);
    for (let b = b0; b < b1; b++) {
      let f = f0;
      if (poolWidth <= 2) {
        for (; f + 8 <= f1; f += 8) {
          if (vRest == 0) lifInference8(T, F, b, f, beta, betaLen, th, thLen, true, vRest, reset, current, inStep, poolWidth, spikes, outStep, counts);
          else lifInference8(T, F, b, f, beta, betaLen, th, thLen, false, vRest, reset, current, inStep, poolWidth, spikes, outStep, counts);
        }
      }
      for (; f < f1; f++) lifInference1(T, F, b, f, beta, betaLen, th, thLen, vRest, reset, current, inStep, poolWidth, spikes, outStep, counts);
    }
  }
}

/**
 * lifStep where the resting potential may be 0 (restAtZero, a constant where this is inlined):
 * the leak is then beta*U alone, which differs from vRest + beta*(U - vRest) only in the sign of
 * a zero membrane, and so never in a spike.
 */
@inline export function inferenceStep(reset: i32, restAtZero: bool, vr: v128, b: v128, thr: v128, u: v128, s: v128, current: v128): v128 {
  if (!restAtZero) return lifStep(reset, vr, b, thr, u, s, current);
  const pre = f32x4.add(f32x4.mul(b, u), current);
  if (reset == ResetCode.Subtract) return f32x4.sub(pre, f32x4.mul(s, thr));
  if (reset == ResetCode.Zero) return f32x4.mul(pre, f32x4.sub(f32x4.splat(1), s));
  return pre;
}

/**
 * lifInference for the 8 features f..f+7 of sample b (two vectors, whose independent chains hide
 * each other's latency), unpooled or pooled in pairs.
 */
@inline function lifInference8(T: i32, F: i32, b: i32, f: i32, beta: usize, betaLen: i32, th: usize, thLen: i32, restAtZero: bool, vRest: f32,
  reset: i32, current: usize, inStep: usize, poolWidth: i32, spikes: usize, outStep: usize, counts: usize): void {
  const one = f32x4.splat(1), zero = f32x4.splat(0), vr = f32x4.splat(vRest);
  const b0 = laneParams(beta, betaLen, f, F), thr0 = laneParams(th, thLen, f, F);
  const b1 = laneParams(beta, betaLen, f + 4, F), thr1 = laneParams(th, thLen, f + 4, F);
  const neuron = b * F + f;
  let u0 = vr, s0 = zero, n0 = zero, u1 = vr, s1 = zero, n1 = zero;
  let inAt = current + (<usize>neuron << 2), outAt = spikes + (<usize>(neuron / poolWidth) << 2);
  for (let t = 0; t < T; t++) {
    u0 = inferenceStep(reset, restAtZero, vr, b0, thr0, u0, s0, v128.load(inAt));
    u1 = inferenceStep(reset, restAtZero, vr, b1, thr1, u1, s1, v128.load(inAt, 16));
    s0 = v128.and(f32x4.gt(u0, thr0), one);
    s1 = v128.and(f32x4.gt(u1, thr1), one);
    n0 = f32x4.add(n0, s0);
    n1 = f32x4.add(n1, s1);
    if (poolWidth == 1) {
      v128.store(outAt, s0);
      v128.store(outAt, s1, 16);
    } else {
      v128.store(outAt, f32x4.max(v128.shuffle<f32>(s0, s1, 0, 2, 4, 6), v128.shuffle<f32>(s0, s1, 1, 3, 5, 7)));
    }
    inAt += inStep;
    outAt += outStep;
  }
  const at = counts + (<usize>f << 2);
  v128.store(at, f32x4.add(v128.load(at), n0));
  v128.store(at, f32x4.add(v128.load(at, 16), n1), 16);
}

/** One LIF membrane update of a single neuron, in the contract's float32 operation order. */
@inline function lifStepScalar(reset: i32, vRest: f32, beta: f32, thr: f32, u: f32, s: f32, current: f32): f32 {
  const pre = (vRest + beta * (u - vRest)) + current;
  return reset == ResetCode.Subtract ? pre - s * thr : reset == ResetCode.Zero ? pre * (1 - s) : pre;
}

/** lifInference for feature f of sample b, pooled over any window width. */
function lifInference1(T: i32, F: i32, b: i32, f: i32, beta: usize, betaLen: i32, th: usize, thLen: i32, vRest: f32,
  reset: i32, current: usize, inStep: usize, poolWidth: i32, spikes: usize, outStep: usize, counts: usize): void {
  const leakFactor = load<f32>(beta + (betaLen == 1 ? 0 : <usize>f << 2));
  const thr = load<f32>(th + (thLen == 1 ? 0 : <usize>f << 2));
  const neuron = b * F + f;
  const opensWindow = neuron % poolWidth == 0;
  let u = vRest, s: f32 = 0, n: f32 = 0;
  let inAt = current + (<usize>neuron << 2), outAt = spikes + (<usize>(neuron / poolWidth) << 2);
  for (let t = 0; t < T; t++) {
    u = lifStepScalar(reset, vRest, leakFactor, thr, u, s, load<f32>(inAt));
    s = u > thr ? 1 : 0;
    n += s;
    store<f32>(outAt, opensWindow ? s : max(load<f32>(outAt), s));
    inAt += inStep;
    outAt += outStep;
  }
  const at = counts + (<usize>f << 2);
  store<f32>(at, load<f32>(at) + n);
}

@inline function surrogate(kind: i32, param: f32, x: v128): v128 {
  const one = f32x4.splat(1);
  if (kind == SurrogateCode.PiecewiseLinear) {
    return v128.and(f32x4.splat(1 / param), f32x4.le(f32x4.abs(x), f32x4.splat(param / 2)));
  } else if (kind == SurrogateCode.FastSigmoid) {
    const d = f32x4.add(f32x4.mul(f32x4.splat(param), f32x4.abs(x)), one);
    return f32x4.div(one, f32x4.mul(d, d));
  } else if (kind == SurrogateCode.Arctan) {
    const z = f32x4.mul(f32x4.splat(<f32>(Math.PI / 2) * param), x);
    return f32x4.div(f32x4.splat(param / 2), f32x4.add(one, f32x4.mul(z, z)));
  } else if (kind == SurrogateCode.Sigmoid) {
    const sig = f32x4.div(one, f32x4.add(one, expv(f32x4.mul(f32x4.splat(-param), x))));
    return f32x4.mul(f32x4.splat(param), f32x4.mul(sig, f32x4.sub(one, sig)));
  }
  return one;
}

@inline function lifBackwardStep(off: usize, rowBytes: usize, t: i32, T: i32, lanes: i32, b: v128, thr: v128, reset: i32,
  kind: i32, param: f32, mem: usize, spikes: usize, dS: usize, dM: usize, dI: usize): void {
  const zero = f32x4.splat(0);
  // dI's row t holds the gradient carried back from step t + 1 until this step overwrites it.
  let grad = t == T - 1 ? zero : loadLanes(dI + off, lanes);
  if (dS != 0) grad = f32x4.add(grad, f32x4.mul(loadLanes(dS + off, lanes), surrogate(kind, param, f32x4.sub(loadLanes(mem + off, lanes), thr))));
  if (dM != 0) grad = f32x4.add(grad, loadLanes(dM + off, lanes));
  let passed = grad;
  if (reset == ResetCode.Zero && t > 0) passed = f32x4.mul(grad, f32x4.sub(f32x4.splat(1), loadLanes(spikes + off - rowBytes, lanes)));
  storeLanes(dI + off, passed, lanes);
  if (t > 0) storeLanes(dI + off - rowBytes, f32x4.mul(passed, b), lanes);
}

/**
 * LIF backward for neurons [i0, i1) sharing one beta and threshold, without parameter gradients:
 * step by step over this block of neurons (like lifForwardShared), with the gradient carried
 * through time parked in dI. dS or dM is 0 when absent. Same operations, same order, same bits as
 * the neuron-by-neuron loop.
 */
function lifBackwardShared(T: i32, rowBytes: usize, i0: i32, i1: i32, b: v128, thr: v128, reset: i32,
  kind: i32, param: f32, mem: usize, spikes: usize, dS: usize, dM: usize, dI: usize): void {
  const full = i0 + ((i1 - i0) & ~3), rest = i1 - full;
  const start = <usize>i0 << 2, end = <usize>full << 2;
  for (let t = T - 1; t >= 0; t--) {
    const row = <usize>t * rowBytes;
    for (let off = row + start; off < row + end; off += 16) {
      lifBackwardStep(off, rowBytes, t, T, 4, b, thr, reset, kind, param, mem, spikes, dS, dM, dI);
    }
    if (rest > 0) lifBackwardStep(row + end, rowBytes, t, T, rest, b, thr, reset, kind, param, mem, spikes, dS, dM, dI);
  }
}

/**
 * Job: LIF backward through time. Args: T, N, F, beta, betaLen, threshold, thresholdLen, vRest,
 * reset, surrogateKind, surrogateParam, mem, spikes, dSpikes, hasDSpikes, dMem, hasDMem, dCurrent,
 * partials, groups, wantParams. Neurons are cut into `groups` fixed ranges; when wantParams, group g
 * adds its beta and threshold gradients (in neuron order) to partials + g*(betaLen + thresholdLen).
 */
export function lifBackward(job: usize): void {
  const T = argI(job, LifArg.T), N = argI(job, LifArg.N), F = argI(job, LifArg.F);
  const beta = argP(job, LifArg.Beta), betaLen = argI(job, LifArg.BetaLength), th = argP(job, LifArg.Threshold), thLen = argI(job, LifArg.ThresholdLength);
  const vr = f32x4.splat(<f32>argF(job, LifArg.VRest)), reset = argI(job, LifArg.Reset);
  const kind = argI(job, LifBackwardArg.Surrogate), param = <f32>argF(job, LifBackwardArg.SurrogateParam);
  const mem = argP(job, LifBackwardArg.Mem), spikes = argP(job, LifBackwardArg.Spikes);
  const dS = argP(job, LifBackwardArg.DSpikes), hasDS = argB(job, LifBackwardArg.HasDSpikes), dM = argP(job, LifBackwardArg.DMem), hasDM = argB(job, LifBackwardArg.HasDMem), dI = argP(job, LifBackwardArg.DCurrent);
  const partials = argP(job, LifBackwardArg.Partials), groups = argI(job, LifBackwardArg.Groups), wantParams = argB(job, LifBackwardArg.WantParams);
  const one = f32x4.splat(1), zero = f32x4.splat(0);
  const rowBytes = <usize>N << 2;
  const vectors = (N + 3) / 4;
  for (let g = claim(job); g < groups; g = claim(job)) {
    const part = partials + (<usize>g * (betaLen + thLen) << 2);
    const v0 = <i32>(<i64>g * vectors / groups), v1 = <i32>(<i64>(g + 1) * vectors / groups);
    if (!wantParams && betaLen == 1 && thLen == 1) {
      lifBackwardShared(T, rowBytes, min(N, v0 * 4), min(N, v1 * 4), v128.load32_splat(beta), v128.load32_splat(th), reset,
        kind, param, mem, spikes, hasDS ? dS : 0, hasDM ? dM : 0, dI);
      continue;
    }
    let v = v0;
    // Two full vectors at a time, as in the forward pass: the carried gradient is a dependency
    // chain through time, and two independent chains hide each other's latency.
    for (; v + 2 <= v1 && (v + 2) * 4 <= N; v += 2) {
      const i = v * 4;
      const b0 = laneParams(beta, betaLen, i, F), thr0 = laneParams(th, thLen, i, F);
      const b1 = laneParams(beta, betaLen, i + 4, F), thr1 = laneParams(th, thLen, i + 4, F);
      let carry0 = zero, gBeta0 = zero, gTh0 = zero, carry1 = zero, gBeta1 = zero, gTh1 = zero;
      for (let t = T - 1; t >= 0; t--) {
        const off = <usize>t * rowBytes + (<usize>i << 2);
        const fromSpike0 = hasDS ? f32x4.mul(v128.load(dS + off), surrogate(kind, param, f32x4.sub(v128.load(mem + off), thr0))) : zero;
        const fromSpike1 = hasDS ? f32x4.mul(v128.load(dS + off, 16), surrogate(kind, param, f32x4.sub(v128.load(mem + off, 16), thr1))) : zero;
        let grad0 = f32x4.add(carry0, fromSpike0), grad1 = f32x4.add(carry1, fromSpike1);
        if (hasDM) { grad0 = f32x4.add(grad0, v128.load(dM + off)); grad1 = f32x4.add(grad1, v128.load(dM + off, 16)); }
        const sPrev0 = t == 0 ? zero : v128.load(spikes + off - rowBytes), sPrev1 = t == 0 ? zero : v128.load(spikes + off - rowBytes, 16);
        const uPrev0 = t == 0 ? vr : v128.load(mem + off - rowBytes), uPrev1 = t == 0 ? vr : v128.load(mem + off - rowBytes, 16);
        const passed0 = reset == ResetCode.Zero ? f32x4.mul(grad0, f32x4.sub(one, sPrev0)) : grad0;
        const passed1 = reset == ResetCode.Zero ? f32x4.mul(grad1, f32x4.sub(one, sPrev1)) : grad1;
        v128.store(dI + off, passed0);
        v128.store(dI + off, passed1, 16);
        carry0 = f32x4.mul(passed0, b0);
        carry1 = f32x4.mul(passed1, b1);
        if (wantParams) {
          gBeta0 = f32x4.add(gBeta0, f32x4.mul(passed0, f32x4.sub(uPrev0, vr)));
          gBeta1 = f32x4.add(gBeta1, f32x4.mul(passed1, f32x4.sub(uPrev1, vr)));
          gTh0 = f32x4.sub(gTh0, fromSpike0);
          gTh1 = f32x4.sub(gTh1, fromSpike1);
          if (reset == ResetCode.Subtract) { gTh0 = f32x4.sub(gTh0, f32x4.mul(grad0, sPrev0)); gTh1 = f32x4.sub(gTh1, f32x4.mul(grad1, sPrev1)); }
        }
      }
      if (wantParams) {
        addLanes(part, betaLen, thLen, F, i, 4, gBeta0, gTh0);
        addLanes(part, betaLen, thLen, F, i + 4, 4, gBeta1, gTh1);
      }
    }
    for (; v < v1; v++) {
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
        const passed = reset == ResetCode.Zero ? f32x4.mul(grad, f32x4.sub(one, sPrev)) : grad;
        storeLanes(dI + off, passed, lanes);
        gBeta = f32x4.add(gBeta, f32x4.mul(passed, f32x4.sub(uPrev, vr)));
        gTh = f32x4.sub(gTh, fromSpike);
        if (reset == ResetCode.Subtract) gTh = f32x4.sub(gTh, f32x4.mul(grad, sPrev));
        carry = f32x4.mul(passed, b);
      }
      if (wantParams) addLanes(part, betaLen, thLen, F, i, lanes, gBeta, gTh);
    }
  }
}

@inline function laneOf(v: v128, l: i32): f32 {
  return l == 0 ? f32x4.extract_lane(v, 0) : l == 1 ? f32x4.extract_lane(v, 1) : l == 2 ? f32x4.extract_lane(v, 2) : f32x4.extract_lane(v, 3);
}

/** Adds the first `lanes` neurons' beta and threshold gradients (neurons i, i+1, ...) to a group's partial sums. */
function addLanes(part: usize, betaLen: i32, thLen: i32, F: i32, i: i32, lanes: i32, gBeta: v128, gTh: v128): void {
  for (let l = 0; l < lanes; l++) {
    const pb = part + (<usize>(betaLen == 1 ? 0 : (i + l) % F) << 2);
    const pt = part + (<usize>(betaLen + (thLen == 1 ? 0 : (i + l) % F)) << 2);
    store<f32>(pb, load<f32>(pb) + laneOf(gBeta, l));
    store<f32>(pt, load<f32>(pt) + laneOf(gTh, l));
  }
}

@inline function roundToF32(v: v128): v128 { return f64x2.promote_low_f32x4(f32x4.demote_f64x2_zero(v)); }

/**
 * Job: spiking ReLU over T steps, in float64 with float32 rounding where the reference rounds (so
 * bit-identical to it for any dt). Args: x, T, N, dt, voltage, y.
 */
export function spikingRelu(job: usize): void {
  const x = argP(job, SpikingReluArg.X), T = argI(job, SpikingReluArg.T), N = argI(job, SpikingReluArg.N), dt = argF(job, SpikingReluArg.Dt), voltage = argP(job, SpikingReluArg.Voltage), y = argP(job, SpikingReluArg.Y);
  const dtv = f64x2.splat(dt), zero = f64x2.splat(0);
  const rowBytes = <usize>N << 2;
  for (let c = claim(job); c * NEURON_CHUNK < N; c = claim(job)) {
    const i0 = c * NEURON_CHUNK, i1 = min(N, i0 + NEURON_CHUNK);
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
}
