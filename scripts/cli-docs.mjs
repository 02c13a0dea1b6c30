// Writes docs/cli.md from the commander definitions (run by `npm run docs:cli`, after the build).
import { writeFileSync } from "node:fs";
import { cliReference } from "../dist/src/cli/reference.js";
import { spikemedProgram } from "../dist/src/cli/program.js";

writeFileSync(new URL("../docs/cli.md", import.meta.url), cliReference(spikemedProgram()));
