import type { Command } from "commander";

/**
 * Every `dl` command, in the order `dl --help` lists them. A command is a function that adds
 * itself to the program; only commands that work are listed here.
 */
export const COMMANDS: ReadonlyArray<(program: Command) => void> = [];
