#!/usr/bin/env node
import { Command, CommanderError } from "commander";
import { SpikemedError } from "../core/index.js";
import { downloadRecords } from "../data/ecg/index.js";
import { list } from "./options.js";
import { predictCommand } from "./predict.js";
import { explainCommand } from "./explain.js";
import { compareCommand, energyCommand, evaluateCommand, exportCommand } from "./runs.js";
import { searchCommand } from "./search.js";
import { serveCommand } from "./serve.js";
import { trainCommand } from "./train.js";

const program = new Command("spikemed")
  .description("spiking neural networks that diagnose from medical data: ECG arrhythmia (MIT-BIH) and chest X-rays")
  .version("0.1.0")
  .showHelpAfterError("(add --help for usage)")
  .exitOverride();

program.addCommand(trainCommand());
program.addCommand(searchCommand());
program.addCommand(evaluateCommand());
program.addCommand(predictCommand());
program.addCommand(compareCommand());
program.addCommand(energyCommand());
program.addCommand(exportCommand());
program.addCommand(explainCommand());
program.addCommand(serveCommand());
program.addCommand(new Command("download")
  .description("download WFDB records from PhysioNet (needs the internet), verifying every checksum")
  .requiredOption("--out <dir>", "destination folder")
  .option("--database <name>", "PhysioNet database", "mitdb")
  .option("--version <v>", "database version", "1.0.0")
  .option("--records <list>", "records to fetch (default: all in the database's RECORDS)", list)
  .action(async (flags: { out: string; database: string; version: string; records?: string[] }) => {
    const saved = await downloadRecords({
      destDir: flags.out, database: flags.database, version: flags.version, records: flags.records,
      onFile: (file: string) => process.stderr.write(`saved ${file}\n`),
    });
    process.stdout.write(`${saved.length} records in ${flags.out}\n`);
  }));
for (const command of program.commands) command.exitOverride();

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
