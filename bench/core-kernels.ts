// Speed of the WebAssembly backend's kernels on this machine: SGEMM GFLOP/s at 512^3 and at the
// shapes of the ECG reference net (1 and 2 threads), the convolution layers of that net, the LIF
// update, and the fixed cost of a kernel call, on the kernel module this engine picks (or the one
// SPIKEMED_KERNELS names). Prints a Markdown report and writes it to bench/results/core-kernels.md
// (SIMD128 module) or bench/results/core-kernels-relaxed.md (relaxed-SIMD module).
//   node dist/bench/core-kernels.js
//   node --experimental-wasm-relaxed-simd dist/bench/core-kernels.js   (relaxed SIMD on Node.js 20)
import { writeFileSync, mkdirSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import type { ConvGeometry } from "../src/core/backend.js";
import { createWasmBackend, type WasmBackend } from "../src/core/backends/wasm/index.js";
import { Rng } from "../src/core/random.js";

const rng = new Rng(42);

/** The median of 5 samples of the seconds a call of fn took, over enough repetitions to fill about `budget` seconds. */
function timeIt(fn: () => void, budget = 0.4): number {
  return timeCalls(fn, budget).wall;
}

/**
 * Median wall seconds per call of fn and median CPU seconds of this process per call: on one
 * thread, CPU time leaves out the time other processes held the core, so its rate stays
 * comparable on a loaded machine where the wall-clock one does not.
 */
function timeCalls(fn: () => void, budget = 0.4): { wall: number; cpu: number } {
  fn();
  const t0 = performance.now();
  fn();
  const once = Math.max(1e-7, (performance.now() - t0) / 1000);
  const reps = Math.max(3, Math.min(2000, Math.round(budget / once / 5)));
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let s = 0; s < 5; s++) {
    const start = performance.now();
    const cpuStart = process.cpuUsage();
    for (let r = 0; r < reps; r++) fn();
    const used = process.cpuUsage(cpuStart);
    wall.push((performance.now() - start) / 1000 / reps);
    cpu.push((used.user + used.system) / 1e6 / reps);
  }
  const median = (values: number[]) => values.sort((a, b) => a - b)[2];
  return { wall: median(wall), cpu: median(cpu) };
}

function filled(be: WasmBackend, n: number): Float32Array {
  const a = be.alloc(n);
  for (let i = 0; i < n; i++) a[i] = rng.uniform() - 0.5;
  return a;
}

function conv1d(n: number, cin: number, w: number, cout: number, k: number, pad: number): ConvGeometry {
  return { n, cin, h: 1, w, cout, kh: 1, kw: k, strideH: 1, strideW: 1, padH: 0, padW: pad, dilationH: 1, dilationW: 1,
    outH: 1, outW: w + 2 * pad - k + 1 };
}

const GEMMS: [string, boolean, boolean, number, number, number][] = [
  ["512x512x512 (NN)", false, false, 512, 512, 512],
  ["512x512x512 (TN)", true, false, 512, 512, 512],
  ["512x512x512 (NT)", false, true, 512, 512, 512],
  ["conv1 as one GEMM: M=32 K=5 N=65536", false, false, 32, 65536, 5],
  ["conv2 as one GEMM: M=64 K=160 N=32768", false, false, 64, 32768, 160],
  ["dense fwd: M=256 K=4096 N=128", false, true, 256, 128, 4096],
  ["dense dW: M=128 K=256 N=4096 (TN)", true, false, 128, 4096, 256],
  ["dense dX: M=256 K=128 N=4096", false, false, 256, 4096, 128],
];

async function main(): Promise<void> {
  const rows: string[] = [];
  const load = loadavg()[0].toFixed(2);
  const results = new Map<string, number[]>();
  const overhead: string[] = [];
  let kernelModule = "";
  for (const threads of [1, 2]) {
    const be = await createWasmBackend({ threads });
    kernelModule = be.kernelModule;
    for (const [label, ta, tb, m, n, k] of GEMMS) {
      const a = filled(be, m * k), b = filled(be, k * n), c = be.alloc(m * n);
      const { wall: s, cpu } = timeCalls(() => be.gemm(ta, tb, m, n, k, a, b, c, false));
      const gflops = (2 * m * n * k) / s / 1e9;
      if (!results.has(label)) results.set(label, []);
      results.get(label)!.push(gflops, s * 1e3, (2 * m * n * k) / cpu / 1e9);
      be.free(a); be.free(b); be.free(c);
    }
    const layers: [string, ConvGeometry][] = [
      ["Conv1d(1->32,k5,pad2) on 256x1x256", conv1d(256, 1, 256, 32, 5, 2)],
      ["Conv1d(32->64,k5,pad2) on 256x32x128", conv1d(256, 32, 128, 64, 5, 2)],
    ];
    for (const [label, g] of layers) {
      const x = filled(be, g.n * g.cin * g.w), w = filled(be, g.cout * g.cin * g.kw), bias = filled(be, g.cout);
      const y = be.alloc(g.n * g.cout * g.outW), dy = filled(be, y.length), dx = be.alloc(x.length), dw = be.alloc(w.length), db = be.alloc(g.cout);
      const flops = 2 * g.n * g.cout * g.cin * g.kw * g.outW;
      for (const [pass, fn] of [
        ["forward", () => be.conv2dForward(x, w, bias, y, g)],
        ["backward input", () => be.conv2dBackwardInput(dy, w, dx, g)],
        ["backward weight+bias", () => be.conv2dBackwardWeight(x, dy, dw, db, g)],
      ] as [string, () => void][]) {
        const s = timeIt(fn);
        const key = `${label} ${pass}`;
        if (!results.has(key)) results.set(key, []);
        results.get(key)!.push(flops / s / 1e9, s * 1e3);
      }
    }
    // LIF over T=8 steps on the first conv layer's output (32 beats x 32 channels x 256 samples).
    const N = 32 * 32 * 256, T = 8;
    const cur = filled(be, T * N), mem = be.alloc(T * N), spk = be.alloc(T * N), dI = be.alloc(T * N);
    const spec = { T, N, F: 1, beta: new Float32Array([0.9]), threshold: new Float32Array([0.5]), vRest: 0, reset: "subtract" as const };
    const sFwd = timeIt(() => be.lifForward(spec, cur, mem, spk));
    const sBwd = timeIt(() => be.lifBackward(spec, { kind: "fast-sigmoid", param: 25 }, mem, spk, cur, null, dI, null, null));
    const lifKey = `LIF T=8 N=${N} forward / backward (ms)`;
    if (!results.has(lifKey)) results.set(lifKey, []);
    results.get(lifKey)!.push(sFwd * 1e3, sBwd * 1e3);
    const tinyX = be.alloc(16), tinyY = be.alloc(16);
    const tiny = timeIt(() => be.accumulate(tinyX, tinyY), 0.2);
    const foreign = new Float32Array(16);
    const tinyForeign = timeIt(() => be.accumulate(foreign, tinyY), 0.2);
    overhead.push(`| ${threads} | ${(tiny * 1e6).toFixed(2)} | ${(tinyForeign * 1e6).toFixed(2)} | ${threads > 1 ? (timeIt(() => be.ping(), 0.2) * 1e6).toFixed(2) : "-"} |`);
    await be.dispose();
  }
  rows.push("| GEMM (C = A B, fp32) | 1 thread GFLOP/s | 1 thread GFLOP per CPU-second | 2 threads GFLOP/s | 2 threads ms |", "| --- | ---: | ---: | ---: | ---: |");
  for (const [label] of GEMMS) {
    const r = results.get(label)!;
    rows.push(`| ${label} | ${r[0].toFixed(1)} | ${r[2].toFixed(1)} | ${r[3].toFixed(1)} | ${r[4].toFixed(3)} |`);
  }
  rows.push("", "| Layer of the reference net (batch 256 = 32 beats x T 8) | 1 thread GFLOP/s (ms) | 2 threads GFLOP/s (ms) |", "| --- | ---: | ---: |");
  for (const [key, r] of results) {
    if (!key.startsWith("Conv1d")) continue;
    rows.push(`| ${key} | ${r[0].toFixed(1)} (${r[1].toFixed(2)}) | ${r[2].toFixed(1)} (${r[3].toFixed(2)}) |`);
  }
  for (const [key, r] of results) {
    if (key.startsWith("LIF")) rows.push(`| ${key} | ${r[0].toFixed(2)} / ${r[1].toFixed(2)} | ${r[2].toFixed(2)} / ${r[3].toFixed(2)} |`);
  }
  rows.push("", "| threads | tiny kernel call, 16 floats in backend memory (us) | same, plain Float32Array copied in/out (us) | empty job offered to all threads: wake, run, join (us) |",
    "| ---: | ---: | ---: | ---: |", ...overhead);
  const header = [
    "# WebAssembly kernel speed",
    "",
    `- command: \`npx tsc -p . && node scripts/build-wasm.mjs && node ${process.execArgv.join(" ")}${process.execArgv.length ? " " : ""}dist/bench/core-kernels.js\`${process.env.SPIKEMED_KERNELS ? ` with SPIKEMED_KERNELS=${process.env.SPIKEMED_KERNELS}` : ""}`,
    `- date: ${new Date().toISOString()}`,
    `- machine: ${cpus()[0].model}, ${cpus().length} cores; Node ${process.version}`,
    `- 1-minute load average at start: ${load}, at the end: ${loadavg()[0].toFixed(2)} (the 2 cores are shared with other jobs; a load above ~0.5 makes the wall-clock numbers pessimistic, the 2-thread ones most; the GFLOP per CPU-second of 1 thread leaves out the time other processes held the core)`,
    kernelModule === "relaxed" ? "- kernel module: relaxed SIMD (build/kernels-relaxed.wasm: fused multiply-add, 6x8 GEMM tile). Median of 5 runs."
      : `- kernel module: ${kernelModule} (SIMD128 without FMA, 4x8 GEMM tile; relaxed SIMD needs --experimental-wasm-relaxed-simd on Node.js 20). Median of 5 runs.`,
    "",
  ];
  const report = [...header, ...rows, ""].join("\n");
  console.log(report);
  mkdirSync(new URL("../../bench/results/", import.meta.url), { recursive: true });
  writeFileSync(new URL(`../../bench/results/core-kernels${kernelModule === "relaxed" ? "-relaxed" : ""}.md`, import.meta.url), report);
}

await main();
