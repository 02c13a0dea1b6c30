import { Command } from "commander";
import { downloadRecords } from "../data/ecg/index.js";
import { list } from "./options.js";
import { predictCommand } from "./predict.js";
import { explainCommand } from "./explain.js";
import { importCommand } from "./import.js";
import { compareCommand, energyCommand, evaluateCommand, exportCommand } from "./runs.js";
import { searchCommand } from "./search.js";
import { serveCommand } from "./serve.js";
import { streamCommand } from "./stream.js";
import { trainCommand } from "./train.js";
import { workerCommand } from "./worker.js";

/** The `spikemed` command line, built but not parsed: main.ts runs it, and docs/cli.md is generated from it. */
export function spikemedProgram(): Command {
  const program = new Command("spikemed")
    .description("spiking neural networks that diagnose from medical data: ECG arrhythmia (MIT-BIH) and chest X-rays")
    .version("0.1.0")
    .showHelpAfterError("(add --help for usage)")
    .exitOverride();

  program.addCommand(trainCommand());
  program.addCommand(searchCommand());
  program.addCommand(workerCommand());
  program.addCommand(evaluateCommand());
  program.addCommand(predictCommand());
  program.addCommand(streamCommand());
  program.addCommand(compareCommand());
  program.addCommand(energyCommand());
  program.addCommand(exportCommand());
  program.addCommand(importCommand());
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
  return program;
}
