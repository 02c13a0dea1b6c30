#!/usr/bin/env node
import { CommanderError } from "commander";
import { SpikemedError } from "../core/index.js";
import { spikemedProgram } from "./program.js";

const program = spikemedProgram();

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) process.exit(err.exitCode);
  if (err instanceof SpikemedError) {
    process.stderr.write(`error: ${err.message}\n`);
    process.exit(1);
  }
  const e = err as NodeJS.ErrnoException;
  if (e && (e.code === "ENOENT" || e.code === "EACCES" || e.code === "EISDIR")) {
    process.stderr.write(`error: ${e.message}\n`);
    process.exit(1);
  }
  process.stderr.write(`internal error (please report it): ${e?.stack ?? String(err)}\n`);
  process.exit(2);
}
