// Builds the AssemblyScript kernels into build/kernels.wasm when their sources exist.
import { existsSync, mkdirSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { createRequire } from "node:module";

const entry = "assembly/kernels.ts";
if (!existsSync(entry)) process.exit(0);
mkdirSync("build", { recursive: true });
const require = createRequire(import.meta.url);
const asc = require.resolve("assemblyscript/bin/asc.js");
execFileSync(process.execPath, [asc, entry,
  "--outFile", "build/kernels.wasm", "--textFile", "build/kernels.wat",
  "-O3", "--noAssert", "--runtime", "stub",
  "--importMemory", "--sharedMemory", "--initialMemory", "64", "--maximumMemory", "65536",
  "--enable", "simd", "--enable", "threads"], { stdio: "inherit" });
