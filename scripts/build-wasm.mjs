// Builds the AssemblyScript kernels, when their sources exist, into two modules: build/kernels.wasm
// (SIMD128: every engine with WebAssembly SIMD) and build/kernels-relaxed.wasm (relaxed SIMD as
// well: fused multiply-add in the GEMM), which the backend takes where WebAssembly.validate
// accepts relaxed SIMD (Node.js 22 and later, current Chromium; Node.js 20 with
// --experimental-wasm-relaxed-simd).
import { existsSync, mkdirSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { createRequire } from "node:module";

const entry = "assembly/kernels.ts";
if (!existsSync(entry)) process.exit(0);
mkdirSync("build", { recursive: true });
const require = createRequire(import.meta.url);
const asc = require.resolve("assemblyscript/bin/asc.js");
for (const [name, features] of [["kernels", ["simd", "threads"]], ["kernels-relaxed", ["simd", "relaxed-simd", "threads"]]]) {
  execFileSync(process.execPath, [asc, entry,
    "--outFile", `build/${name}.wasm`, "--textFile", `build/${name}.wat`,
    "-O3", "--noAssert", "--runtime", "stub",
    "--importMemory", "--sharedMemory", "--initialMemory", "64", "--maximumMemory", "65536",
    ...features.flatMap((feature) => ["--enable", feature])], { stdio: "inherit" });
}
