// The two kernel modules: the relaxed-SIMD one (fused multiply-add in the GEMM) where the engine
// runs relaxed SIMD, the SIMD128 one elsewhere. This process tests the one its engine picks; here
// the kernel tests run again, in a child process, on the other one (Node.js 20 runs relaxed SIMD
// under --experimental-wasm-relaxed-simd), so both pass them whatever Node.js runs the suite.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { test } from "node:test";
import { chooseKernelModule, createWasmBackend, relaxedSimdSupported } from "../../../src/core/backends/wasm/index.js";
import { SpikemedError } from "../../../src/core/errors.js";

const RELAXED_FLAG = "--experimental-wasm-relaxed-simd";
const KERNEL_TESTS = ["kernels.test.js", "sparse.test.js", "inference.test.js", "overwrite.test.js"];

test("auto picks the relaxed-SIMD module exactly where the engine validates relaxed SIMD; simd128 can be forced; relaxed is refused in one line where it cannot run", async () => {
  assert.equal(chooseKernelModule("auto"), relaxedSimdSupported() ? "relaxed" : "simd128");
  assert.equal(chooseKernelModule("simd128"), "simd128");
  if (relaxedSimdSupported()) assert.equal(chooseKernelModule("relaxed"), "relaxed");
  else assert.throws(() => chooseKernelModule("relaxed"), (e: unknown) => e instanceof SpikemedError && /relaxed SIMD/.test(e.message));
  assert.throws(() => chooseKernelModule("avx"), (e: unknown) => e instanceof SpikemedError && /unknown kernel module "avx"/.test(e.message));
  const forced = await createWasmBackend({ threads: 1, kernels: "simd128" });
  try {
    assert.equal(forced.kernelModule, "simd128");
  } finally {
    await forced.dispose();
  }
});

test("the kernel tests pass on the other kernel module too", { timeout: 600_000 }, async () => {
  const other = relaxedSimdSupported() ? "simd128" : "relaxed";
  const flags = other === "relaxed" ? [RELAXED_FLAG] : [];
  const dir = fileURLToPath(new URL(".", import.meta.url));
  // Without NODE_TEST_CONTEXT the child is a test run of its own, not a file of this one.
  const { NODE_TEST_CONTEXT: _, ...env } = process.env;
  const { code, output } = await new Promise<{ code: number | null; output: string }>((resolve) => {
    const child = execFile(process.execPath, [...flags, "--test", ...KERNEL_TESTS], {
      cwd: dir, env: { ...env, SPIKEMED_KERNELS: other }, maxBuffer: 64 << 20,
    }, (error, stdout, stderr) => resolve({ code: error ? (typeof error.code === "number" ? error.code : 1) : 0, output: stdout + stderr }));
    child.stdin?.end();
  });
  assert.equal(code, 0, `the kernel tests on the ${other} module failed:\n${output.split("\n").filter((l) => /not ok|Error|expected|actual/.test(l)).slice(0, 40).join("\n")}`);
  assert.match(output, /# pass [1-9]/);
  assert.match(output, /# fail 0/);
});
