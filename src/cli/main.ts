#!/usr/bin/env node
import { CommanderError } from "commander";
import { SpikemedError } from "../core/index.js";
import { spikemedProgram } from "./program.js";

const program = spikemedProgram();

/**
 * Commander answers `spikemed import --help` (an unknown command asking for help) with the
 * program's help and exit 0, as if it were fine; without the help flag it reports the unknown
 * command (with a suggestion) and fails, which is the answer either way.
 */
function withoutHelpForUnknownCommand(argv: string[]): string[] {
  const named = argv.slice(2).find((arg) => !arg.startsWith("-"));
  const known = named === undefined || named === "help" || program.commands.some((c) => c.name() === named || c.aliases().includes(named));
  return known ? argv : argv.filter((arg, i) => i < 2 || (arg !== "--help" && arg !== "-h"));
}

try {
  await program.parseAsync(withoutHelpForUnknownCommand(process.argv));
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
