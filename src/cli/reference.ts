import type { Command } from "commander";

/**
 * docs/cli.md: every command, argument and option of the `spikemed` program, written from the
 * commander definitions through commander's own help formatter, so the page says what `--help` says
 * (test/cli/reference.test.ts fails when the committed page is older than the definitions).
 */
export function cliReference(program: Command): string {
  const help = program.createHelp();
  // commander lists an implicit `help` command; `--help` on each command says the same.
  const commands = help.visibleCommands(program).filter((c) => c.name() !== "help");
  // One table cell: one line, pipes escaped; in prose (not code spans) <dir> would read as an HTML tag.
  const code = (text: string): string => text.replace(/\s*\n\s*/g, " ").replace(/\|/g, "\\|");
  const cell = (text: string): string => code(text).replace(/</g, "&lt;").replace(/>/g, "&gt;");
  const lines = [
    "# spikemed command line",
    "",
    "<!-- Generated from src/cli/program.ts by `npm run docs:cli`; do not edit by hand. -->",
    "",
    "spikemed is research software, not a medical device: its outputs are not for diagnosis or treatment.",
    "",
    `\`${help.commandUsage(program)}\`: ${program.description()}`,
    "",
    "| command | what it does |",
    "| --- | --- |",
    ...commands.map((c) => `| [\`${c.name()}\`](#${c.name()}) | ${cell(help.subcommandDescription(c))} |`),
    "",
    "Every command also answers `--help` with the same text.",
  ];
  for (const command of commands) {
    lines.push("", `## ${command.name()}`, "", "```", help.commandUsage(command), "```", "", cell(help.commandDescription(command)));
    const args = help.visibleArguments(command);
    if (args.length > 0) {
      lines.push("", "| argument | meaning |", "| --- | --- |");
      for (const a of args) lines.push(`| \`${help.argumentTerm(a)}\` | ${cell(help.argumentDescription(a))} |`);
    }
    lines.push("", "| option | meaning |", "| --- | --- |");
    for (const o of help.visibleOptions(command)) lines.push(`| \`${code(help.optionTerm(o))}\` | ${cell(help.optionDescription(o))} |`);
  }
  return lines.join("\n") + "\n";
}
