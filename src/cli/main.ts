import { Command, CommanderError } from "commander";
import { VERSION } from "../version.js";
import { DlError } from "../util/errors.js";
import { suggestionSuffix } from "../util/suggest.js";
import { COMMANDS } from "./commands/index.js";

/** Builds the `dl` program. Each command lives in its own file under commands/ and only parses, calls src/, prints. */
export function buildProgram(): Command {
  const program = new Command();
  program
    .name("dl")
    .description("Deep-learning experiments in one YAML file: pylearn2's toolbox for Node.js")
    .version(VERSION, "-V, --version", "print the dl version")
    .showHelpAfterError(false)
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
  for (const add of COMMANDS) add(program);
  // Unknown commands: commander would print its own text and exit 1; we want a suggestion and exit 2.
  program.on("command:*", (operands: string[]) => {
    const name = operands[0];
    const known = [...program.commands.map((c) => c.name()), "help"];
    throw new DlError(`unknown command '${name}'.${suggestionSuffix(name, known)} Run \`dl --help\` for the list.`, 2);
  });
  return program;
}

/** Runs the CLI and sets process.exitCode; errors print one message (stack only with DL_DEBUG=1). */
export async function main(argv: string[]): Promise<void> {
  const program = buildProgram();
  try {
    if (argv.length <= 2) {
      program.outputHelp();
      return;
    }
    await program.parseAsync(argv);
  } catch (err) {
    process.exitCode = reportError(err);
  }
}

export function reportError(err: unknown): number {
  if (err instanceof CommanderError) {
    // help and version "errors" are normal exits; commander already printed its message.
    if (err.code === "commander.helpDisplayed" || err.code === "commander.version" || err.code === "commander.help") return 0;
    return 2;
  }
  const debug = process.env.DL_DEBUG === "1";
  if (err instanceof DlError) {
    process.stderr.write(`dl: error: ${err.message}\n`);
    if (debug && err.stack) process.stderr.write(`${err.stack}\n`);
    return err.exitCode;
  }
  const e = err as Error;
  process.stderr.write(`dl: internal error: ${e?.message ?? String(err)}\n`);
  if (debug && e?.stack) process.stderr.write(`${e.stack}\n`);
  else process.stderr.write("dl: run again with DL_DEBUG=1 for the stack trace, and please report it.\n");
  return 1;
}
