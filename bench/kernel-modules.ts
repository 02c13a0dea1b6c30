/**
 * The two kernel modules against each other in one process: SGEMM at 512^3 and the X-ray
 * ResNet's 3x3 convolutions (forward and both backward passes), on the SIMD128 module and the
 * relaxed-SIMD one (fused multiply-add, 6x8 GEMM tile), in alternating rounds, so that a machine
 * whose speed drifts (a shared one) slows both alike; the ratio is taken round by round. On one
 * thread it also gives the rate per CPU-second of this process. Writes
 * bench/results/kernel-modules.md, or --out=FILE; --rounds=N (default 9).
 * Where the engine does not run relaxed SIMD as it is (Node.js 20) the script restarts itself
 * under --experimental-wasm-relaxed-simd.
 */
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import type { ConvGeometry } from "../src/core/backend.js";
import { createWasmBackend, relaxedSimdSupported, type WasmBackend } from "../src/core/backends/wasm/index.js";
import { Rng } from "../src/core/random.js";

const RELAXED_FLAG = "--experimental-wasm-relaxed-simd";
if (!relaxedSimdSupported()) {
  if (process.execArgv.includes(RELAXED_FLAG)) throw new Error("this engine runs no relaxed SIMD, even with --experimental-wasm-relaxed-simd");
  execFileSync(process.execPath, [RELAXED_FLAG, ...process.execArgv, process.argv[1], ...process.argv.slice(2)], { stdio: "inherit" });
  process.exit(0);
}

const args = new Map(process.argv.slice(2).map((a) => a.replace(/^--/, "").split("=") as [string, string]));
const rounds = Number(args.get("rounds") ?? 9);
const out = args.get("out") ?? "bench/results/kernel-modules.md";
const MODULES = ["simd128", "relaxed"] as const;

interface Case { label: string; flops: number; setup: (be: WasmBackend) => () => void }

function filled(be: WasmBackend, rng: Rng, n: number): Float32Array {
  const a = be.alloc(n);
  for (let i = 0; i < n; i++) a[i] = rng.uniform() - 0.5;
  return a;
}

function conv3x3(n: number, c: number, side: number): ConvGeometry {
  return { n, cin: c, h: side, w: side, cout: c, kh: 3, kw: 3, strideH: 1, strideW: 1, padH: 1, padW: 1, dilationH: 1, dilationW: 1, outH: side, outW: side };
}

const gemm: Case = {
  label: "SGEMM 512x512x512 (NN)", flops: 2 * 512 ** 3,
  setup: (be) => {
    const rng = new Rng(1);
    const a = filled(be, rng, 512 * 512), b = filled(be, rng, 512 * 512), c = be.alloc(512 * 512);
    return () => be.gemm(false, false, 512, 512, 512, a, b, c, false);
  },
};
/** The X-ray ResNet's 3x3 stages at batch 64, T = 4 (bench/cxr-speed.ts times the same shapes). */
const convolutions: Case[] = [[16, 32], [32, 16], [64, 8], [128, 4]].map(([c, side]) => {
  const g = conv3x3(256, c, side);
  return {
    label: `3x3 conv ${c} -> ${c} at ${side}, batch 256, forward + both backward`, flops: 3 * 2 * g.n * c * c * 9 * side * side,
    setup: (be: WasmBackend) => {
      const rng = new Rng(2);
      const x = filled(be, rng, g.n * c * side * side), w = filled(be, rng, c * c * 9), bias = filled(be, rng, c);
      const y = be.alloc(x.length), dy = filled(be, rng, x.length), dx = be.alloc(x.length), dw = be.alloc(w.length), db = be.alloc(c);
      return () => {
        be.conv2dForward(x, w, bias, y, g);
        be.conv2dBackwardInput(dy, w, dx, g);
        be.conv2dBackwardWeight(x, dy, dw, db, g);
      };
    },
  };
});

/** Seconds of wall clock and of this process's CPU per call, over `reps` calls. */
function timeRound(run: () => void, reps: number): { wall: number; cpu: number } {
  const start = performance.now();
  const cpuStart = process.cpuUsage();
  for (let r = 0; r < reps; r++) run();
  const used = process.cpuUsage(cpuStart);
  return { wall: (performance.now() - start) / 1000 / reps, cpu: (used.user + used.system) / 1e6 / reps };
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const loadAtStart = os.loadavg().map((v) => v.toFixed(2)).join(" ");
const rows: string[] = [];
for (const threads of [1, 2]) {
  const backends = await Promise.all(MODULES.map((kernels) => createWasmBackend({ threads, kernels })));
  for (const testCase of [gemm, ...convolutions]) {
    const runs = backends.map((be) => testCase.setup(be));
    const once = timeRound(runs[0], 1).wall;
    const reps = Math.max(1, Math.round(0.3 / Math.max(once, 1e-4)));
    runs.forEach((run) => run());
    const samples = MODULES.map(() => ({ wall: [] as number[], cpu: [] as number[] }));
    const ratios: number[] = [];
    for (let round = 0; round < rounds; round++) {
      const times = runs.map((run) => timeRound(run, reps));
      times.forEach((t, i) => { samples[i].wall.push(t.wall); samples[i].cpu.push(t.cpu); });
      ratios.push(times[0].wall / times[1].wall);
    }
    const rate = (seconds: number) => (testCase.flops / seconds / 1e9).toFixed(1);
    const cpuRate = (i: number) => (threads === 1 ? rate(median(samples[i].cpu)) : "-");
    rows.push(`| ${testCase.label} | ${threads} | ${rate(median(samples[0].wall))} | ${cpuRate(0)} | ${rate(median(samples[1].wall))} | ${cpuRate(1)} | ${median(ratios).toFixed(2)}x (${Math.min(...ratios).toFixed(2)}-${Math.max(...ratios).toFixed(2)}) |`);
    console.log(rows[rows.length - 1]);
  }
  await Promise.all(backends.map((be) => be.dispose()));
}

const text = `# The two kernel modules: SIMD128 against relaxed SIMD

Command: \`node dist/bench/kernel-modules.js${process.argv.length > 2 ? " " + process.argv.slice(2).join(" ") : ""}\` (\`npm run bench:kernel-modules\`; on Node.js 20 it restarts itself under ${RELAXED_FLAG}). Date ${new Date().toISOString()}; ${os.cpus()[0].model}, ${os.availableParallelism()} cores; Node ${process.version}; load average at the start ${loadAtStart}, at the end ${os.loadavg().map((v) => v.toFixed(2)).join(" ")}.

Both modules in one process, in ${rounds} alternating rounds of about 0.3 s each; GFLOP/s are the median
round's; the speed-up is relaxed over SIMD128, the median (and range) of the rounds' ratios. The
2 cores are shared with other jobs: at a load above about 0.5 the wall-clock rates are pessimistic
(the 2-thread ones most), while the ratio holds, both modules being slowed alike. On one thread
the rate per CPU-second of this process leaves out the time other processes held the core.

| what | threads | SIMD128 GFLOP/s | SIMD128 per CPU-second | relaxed GFLOP/s | relaxed per CPU-second | relaxed / SIMD128 |
| --- | ---: | ---: | ---: | ---: | ---: | ---: |
${rows.join("\n")}
`;
fs.writeFileSync(out, text);
process.stdout.write(text);
