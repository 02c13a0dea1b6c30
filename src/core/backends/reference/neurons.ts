import type { LifSpec, SurrogateSpec } from "../../backend.js";
import { surrogateDerivative } from "../../surrogate.js";

const f32 = Math.fround;

export function lifForward(spec: LifSpec, current: Float32Array, mem: Float32Array, spikes: Float32Array): void {
  const { T, N, F, beta, threshold, vRest, reset } = spec;
  for (let t = 0; t < T; t++) {
    const row = t * N;
    const prev = row - N;
    for (let i = 0; i < N; i++) {
      const f = i % F;
      const b = beta[beta.length === 1 ? 0 : f];
      const th = threshold[threshold.length === 1 ? 0 : f];
      const uPrev = t === 0 ? vRest : mem[prev + i];
      const sPrev = t === 0 ? 0 : spikes[prev + i];
      const leak = f32(vRest + f32(b * f32(uPrev - vRest)));
      const pre = f32(leak + current[row + i]);
      let u: number;
      if (reset === "subtract") u = f32(pre - f32(sPrev * th));
      else if (reset === "zero") u = f32(pre * (1 - sPrev));
      else u = pre;
      mem[row + i] = u;
      spikes[row + i] = u > th ? 1 : 0;
    }
  }
}

export function lifInference(spec: LifSpec, current: Float32Array, staticCurrent: boolean, poolWidth: number,
  spikes: Float32Array, counts: Float32Array): void {
  const { T, N, F, beta, threshold, vRest, reset } = spec;
  const pooled = N / poolWidth;
  counts.fill(0, 0, F);
  for (let i = 0; i < N; i++) {
    const f = i % F;
    const b = beta[beta.length === 1 ? 0 : f];
    const th = threshold[threshold.length === 1 ? 0 : f];
    const window = Math.floor(i / poolWidth);
    const opensWindow = i % poolWidth === 0;
    let u = vRest;
    let s = 0;
    for (let t = 0; t < T; t++) {
      const leak = f32(vRest + f32(b * f32(u - vRest)));
      const pre = f32(leak + current[staticCurrent ? i : t * N + i]);
      if (reset === "subtract") u = f32(pre - f32(s * th));
      else if (reset === "zero") u = f32(pre * (1 - s));
      else u = pre;
      s = u > th ? 1 : 0;
      counts[f] += s;
      const out = t * pooled + window;
      spikes[out] = opensWindow ? s : Math.max(spikes[out], s);
    }
  }
}

export function lifBackward(spec: LifSpec, surrogate: SurrogateSpec, mem: Float32Array, spikes: Float32Array,
  dSpikes: Float32Array | null, dMem: Float32Array | null, dCurrent: Float32Array,
  dBeta: Float32Array | null, dThreshold: Float32Array | null): void {
  const { T, N, F, beta, threshold, vRest, reset } = spec;
  for (let i = 0; i < N; i++) {
    const f = i % F;
    const bIdx = beta.length === 1 ? 0 : f;
    const thIdx = threshold.length === 1 ? 0 : f;
    const b = beta[bIdx];
    const th = threshold[thIdx];
    let carry = 0; // dL/dU[t] arriving from step t+1
    let gBeta = 0;
    let gTh = 0;
    for (let t = T - 1; t >= 0; t--) {
      const idx = t * N + i;
      const fromSpike = dSpikes ? dSpikes[idx] * surrogateDerivative(surrogate, mem[idx] - th) : 0;
      const g = carry + fromSpike + (dMem ? dMem[idx] : 0);
      const sPrev = t === 0 ? 0 : spikes[idx - N];
      const uPrev = t === 0 ? vRest : mem[idx - N];
      const pass = reset === "zero" ? 1 - sPrev : 1;
      dCurrent[idx] = g * pass;
      gBeta += g * pass * (uPrev - vRest);
      gTh -= fromSpike;
      if (reset === "subtract") gTh -= g * sPrev;
      carry = g * pass * b;
    }
    if (dBeta) dBeta[bIdx] += gBeta;
    if (dThreshold) dThreshold[thIdx] += gTh;
  }
}

export function spikingReluForward(x: Float32Array, T: number, N: number, dt: number, voltage: Float32Array, y: Float32Array): void {
  for (let t = 0; t < T; t++) {
    const row = t * N;
    for (let i = 0; i < N; i++) {
      const xi = x[row + i];
      const v = f32(voltage[i] + f32((xi > 0 ? xi : 0) * dt));
      const n = Math.floor(v);
      voltage[i] = f32(v - n);
      y[row + i] = f32(n / dt);
    }
  }
}
