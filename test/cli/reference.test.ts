import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import { fileURLToPath } from "node:url";
import { spikemedProgram } from "../../src/cli/program.js";
import { cliReference } from "../../src/cli/reference.js";

const main = fileURLToPath(new URL("../../src/cli/main.js", import.meta.url));
const page = fileURLToPath(new URL("../../../docs/cli.md", import.meta.url));

test("docs/cli.md is what the commander definitions generate now (else run `npm run docs:cli`)", () => {
  assert.equal(fs.readFileSync(page, "utf8"), cliReference(spikemedProgram()),
    "docs/cli.md is stale: regenerate it with `npm run docs:cli` and commit it");
});

test("docs/cli.md names every command and every option that `spikemed COMMAND --help` prints", () => {
  const written = fs.readFileSync(page, "utf8");
  const top = spawnSync(process.execPath, [main, "--help"], { encoding: "utf8" }).stdout;
  const commands = [...top.split("Commands:")[1].matchAll(/^ {2}([a-z-]+)/gm)].map((m) => m[1]).filter((c) => c !== "help");
  assert.ok(commands.length >= 10, `commands found in --help: ${commands.join(", ")}`);
  for (const command of commands) {
    assert.match(written, new RegExp(`^## ${command}$`, "m"), `section for ${command}`);
    const help = spawnSync(process.execPath, [main, command, "--help"], { encoding: "utf8" }).stdout;
    const flags = [...help.matchAll(/^ {2}((?:-[a-zA-Z], )?--[a-z0-9-]+)/gm)].map((m) => m[1]);
    assert.ok(flags.length > 0, `options of ${command}`);
    const section = written.split(`\n## ${command}\n`)[1].split("\n## ")[0];
    for (const flag of flags) assert.ok(section.includes(`\`${flag}`), `${command} ${flag} in docs/cli.md`);
  }
});
