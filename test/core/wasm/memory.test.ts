// The WebAssembly backend's memory and threads: allocation from shared linear memory, reuse
// without growth, growth with views staying valid, arrays from elsewhere, errors, the default
// thread count, and workers that neither keep a finished process alive nor outlive dispose().
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import os from "node:os";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { ReferenceBackend } from "../../../src/core/backends/reference/index.js";
import { createWasmBackend } from "../../../src/core/backends/wasm/index.js";
import { sizeClass } from "../../../src/core/backends/wasm/heap.js";
import { SpikemedError } from "../../../src/core/errors.js";
import { Rng } from "../../../src/core/random.js";
import { assertBitIdentical, randomArray } from "./compare.js";

describe("wasm backend memory", () => {
  it("size classes round up by at most 12.5% and are 64-byte multiples", () => {
    for (const bytes of [0, 1, 64, 65, 4096, 4097, 10000, 1 << 20, (1 << 20) + 1, 123456789]) {
      const c = sizeClass(bytes);
      assert.ok(c >= bytes && c % 64 === 0, `class of ${bytes} is ${c}`);
      assert.ok(bytes <= 4096 || c <= bytes * 1.125, `class of ${bytes} is ${c}`);
    }
  });

  it("alloc returns zero-filled views into shared memory, and reused blocks are zeroed again", async () => {
    const be = await createWasmBackend({ threads: 1 });
    try {
      const a = be.alloc(1000);
      assert.ok(a.buffer instanceof SharedArrayBuffer);
      assert.ok(a.every((v) => v === 0));
      assert.equal(a.byteOffset % 64, 0);
      a.fill(7);
      be.free(a);
      const b = be.alloc(1000);
      assert.equal(b.byteOffset, a.byteOffset, "the freed block is reused");
      assert.ok(b.every((v) => v === 0));
      assert.throws(() => be.free(a.subarray(1)), SpikemedError);
      be.free(b);
      assert.throws(() => be.free(b), SpikemedError, "double free");
      be.free(new Float32Array(4)); // not from this backend: nothing to do
    } finally {
      await be.dispose();
    }
  });

  it("1000 training-like cycles of alloc/free do not grow memory or leak blocks", async () => {
    const be = await createWasmBackend({ threads: 2 });
    try {
      const sizes = [32 * 32 * 256, 32 * 32 * 128, 4096 * 16, 32 * 4096, 5 * 32, 17, 1, 100003];
      const cycle = () => {
        const arrays = sizes.map((n) => be.alloc(n));
        const a = arrays[5], y = arrays[6];
        be.unary("exp", a, a);
        be.accumulate(y, y);
        for (const x of arrays.reverse()) be.free(x);
      };
      cycle();
      const bytes = be.memoryBytes, live = be.liveAllocations;
      for (let i = 0; i < 1000; i++) cycle();
      assert.equal(be.memoryBytes, bytes);
      assert.equal(be.liveAllocations, live);
    } finally {
      await be.dispose();
    }
  });

  it("grows its memory on demand while earlier views stay valid and usable by kernels", async () => {
    const be = await createWasmBackend({ threads: 2 });
    const rng = new Rng(5);
    try {
      const before = be.memoryBytes;
      const first = randomArray(rng, 1 << 20, be);
      const saved = new Float32Array(first);
      const big = [];
      for (let i = 0; i < 6; i++) big.push(be.alloc(1 << 22)); // 96 MiB in all
      assert.ok(be.memoryBytes >= 6 * (1 << 24) + (1 << 22) && be.memoryBytes > before);
      assertBitIdentical(first, saved, "data allocated before growth");
      const last = big[big.length - 1];
      assert.ok(be.owns(first) && be.owns(last));
      last.fill(1);
      be.accumulate(first.subarray(0, 1000), last.subarray(0, 1000));
      for (let i = 0; i < 1000; i++) assert.equal(last[i], Math.fround(1 + saved[i]));
      // Freed memory is coalesced and reused for a larger request instead of growing again.
      for (const b of big) be.free(b);
      const grown = be.memoryBytes;
      const huge = be.alloc(5 * (1 << 22));
      assert.equal(be.memoryBytes, grown);
      be.free(huge);
    } finally {
      await be.dispose();
    }
  });

  it("kernels accept arrays that are not from the backend, aliased in place too", async () => {
    const be = await createWasmBackend({ threads: 2 });
    const ref = new ReferenceBackend();
    const rng = new Rng(6);
    try {
      const x = randomArray(rng, 100000), expected = new Float32Array(x);
      ref.unary("tanh", expected, expected);
      be.unary("tanh", x, x);
      for (let i = 0; i < x.length; i++) assert.ok(Math.abs(x[i] - expected[i]) <= 4e-7 * Math.abs(expected[i]) + 1e-30, `index ${i}`);
      const y = randomArray(rng, 100000), acc = randomArray(rng, 100000), accRef = new Float32Array(acc);
      be.accumulate(y, acc);
      ref.accumulate(y, accRef);
      assertBitIdentical(acc, accRef, "accumulate into a plain array");
      const liveBefore = be.liveAllocations;
      be.affine(y, 2, 1, y);
      assert.equal(be.liveAllocations, liveBefore, "staging copies are freed");
    } finally {
      await be.dispose();
    }
  });

  it("bad sizes raise a SpikemedError naming the kernel and the array", async () => {
    const be = await createWasmBackend({ threads: 1 });
    try {
      assert.throws(() => be.gemm(false, false, 4, 4, 4, be.alloc(16), be.alloc(15), be.alloc(16), false),
        (e: unknown) => e instanceof SpikemedError && /gemm: B has 15 elements, needs 16/.test(e.message));
      assert.throws(() => be.unary("exp", be.alloc(10), be.alloc(9)), /unary: y has 9 elements, needs 10/);
      assert.throws(() => be.alloc(-1), SpikemedError);
      assert.throws(() => be.alloc(2 ** 30), /out of memory allocating 4294967296 bytes/);
      assert.throws(() => be.lifForward({ T: 2, N: 4, F: 4, beta: new Float32Array(2), threshold: new Float32Array(1), vRest: 0, reset: "zero" },
        be.alloc(8), be.alloc(8), be.alloc(8)), /beta and threshold need length 1 or F/);
    } finally {
      await be.dispose();
    }
    assert.throws(() => be.alloc(4), /used after dispose/);
  });

  it("a job dispatched right after creation runs on every worker (no start-up race)", async () => {
    for (let round = 0; round < 8; round++) {
      const be = await createWasmBackend({ threads: 2 });
      be.ping();
      const x = be.alloc(1 << 17);
      x.fill(1);
      be.affine(x, 3, 0, x);
      assert.ok(x.every((v) => v === 3));
      await be.dispose();
    }
  });

  it("takes the machine's cores up to 8 by default, shared among the processes that compute side by side", async () => {
    const cores = os.availableParallelism();
    const expected = [[1, Math.min(8, cores)], [2, Math.max(1, Math.floor(Math.min(8, cores) / 2))], [64, 1]];
    for (const [processes, threads] of expected) {
      const be = await createWasmBackend({ processes });
      try {
        assert.equal(be.threads, threads, `${processes} process(es) on ${cores} cores`);
      } finally {
        await be.dispose();
      }
    }
  });

  it("a process that never disposes its 2-thread backend still exits", async () => {
    const moduleUrl = new URL("../../../src/core/backends/wasm/index.js", import.meta.url).href;
    const script = `const { createWasmBackend } = await import(${JSON.stringify(moduleUrl)});
      const be = await createWasmBackend({ threads: 2 });
      const a = be.alloc(1 << 18); be.unary("exp", a, a); console.log("threads", be.threads);`;
    const output = await new Promise<string>((resolve, reject) => {
      execFile(process.execPath, ["--input-type=module", "-e", script], { timeout: 20000, cwd: fileURLToPath(new URL(".", import.meta.url)) },
        (error, stdout) => (error ? reject(error) : resolve(stdout)));
    });
    assert.equal(output.trim(), "threads 2");
  });
});
